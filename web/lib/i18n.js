// web/lib/i18n.js — which language a page speaks: the visitor's choice if made (kept in
// localStorage), else the first of the browser's languages the page has, else English.
// Owns the choice only; the strings are each page's own.

const KEY = 'vq.lang';

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
