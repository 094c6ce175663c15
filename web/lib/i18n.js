// web/lib/i18n.js — which language a page speaks: the visitor's choice if made (kept in
// localStorage), else the first of the browser's languages the page has, else English.
// Owns the choice and the language buttons of a page's header (each language under its own
// name); the strings are each page's own.

const KEY = 'vq.lang';

const NAMES = { en: 'English', ru: 'Русский', ro: 'Română' };

export function pickLanguage(have, stored = safeGet(), wanted = navigator.languages || []) {
	if (stored && have.includes(stored)) return stored;
	for (const tag of wanted) {
		const base = String(tag).toLowerCase().split('-')[0];
		if (have.includes(base)) return base;
	}
	return have[0];
}

export function rememberLanguage(lang) {
	try {
		localStorage.setItem(KEY, lang);
	} catch {
		// private mode: the choice lasts as long as the page
	}
}

function safeGet() {
	try {
		return localStorage.getItem(KEY);
	} catch {
		return null;
	}
}

// "{n} min" with n filled in.
export function fill(text, vars) {
	return text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

// One button a language in nav (a page's <nav id="langs">), in the order given; pressing
// one remembers the choice and calls pick(lang).
export function languageButtons(nav, languages, pick) {
	for (const lang of languages) {
		const b = document.createElement('button');
		b.type = 'button';
		b.lang = lang;
		// the visible "RU" is part of the name a screen reader says: "RU Русский"
		const full = document.createElement('span');
		full.className = 'visually-hidden';
		full.textContent = ` ${NAMES[lang] ?? lang}`;
		b.append(lang.toUpperCase(), full);
		b.addEventListener('click', () => {
			rememberLanguage(lang);
			pick(lang);
		});
		nav.append(b);
	}
}

// Which button is pressed, and the nav's name in the page's language.
export function showLanguage(nav, lang, label) {
	nav.setAttribute('aria-label', label);
	for (const b of nav.children) b.setAttribute('aria-pressed', String(b.lang === lang));
}
