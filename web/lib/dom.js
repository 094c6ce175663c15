// web/lib/dom.js — the few DOM helpers every page shares: find, make, and set a text only
// when it changes (so a screen reader is not told the same thing again).
export const $ = (id) => document.getElementById(id);

export function setText(el, text) {
	const e = typeof el === 'string' ? $(el) : el;
	if (e && e.textContent !== text) e.textContent = text;
}

export function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === 'class') e.className = v;
		else e.setAttribute(k, v);
	}
	e.append(...kids);
	return e;
}
