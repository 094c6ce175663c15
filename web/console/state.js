// web/console/state.js — what the console knows and how it says it: the one state object
// every part of the page reads (console.js alone changes it), the site's clock, the
// words in the chosen language, times in the park's zone, and the park's names for its
// attractions and tiers.
import { fill, pickLanguage } from '../lib/i18n.js';
import { hhmm as localHhmm } from '../lib/localtime.js';
import { SiteClock } from '../lib/siteclock.js';
import { LANGUAGES, STRINGS } from './strings.js';

export const S = {
	lang: pickLanguage(LANGUAGES),
	phase: 'signin', // signin | connecting | desk
	account: '',
	message: '', // sign-in message key
	site: null, // state/_site
	attrs: new Map(), // id -> state/<id>
	slots: new Map(), // id -> ops slots reply
	presence: new Map(), // account -> presence
	journals: new Map(), // gate -> journal/<gate>
	audit: [],
	conflicts: new Map(), // "ticket/gate" -> conflict
	tiers: [],
	answers: new Map(), // attraction id or "tiers" -> { kind, text }
	connected: false,
	connectedAt: 0,
	freshAt: 0, // performance.now() of the last live word from vqd
	freshSite: 0,
	unreachableSince: 0,
};
export const clock = new SiteClock();

export const t = (key, vars) => fill(STRINGS[S.lang][key] ?? STRINGS.en[key] ?? key, vars || {});

// --- time --------------------------------------------------------------------------

// Formatters are made once per language, zone and shape: making one costs far more than
// using it, and a card's chart labels a hundred slots.
const formatters = new Map();
function fmt(unix, opts) {
	const key = JSON.stringify([S.lang, S.site?.timezone, opts]);
	let f = formatters.get(key);
	if (!f) {
		try {
			f = new Intl.DateTimeFormat(S.lang, { timeZone: S.site?.timezone, ...opts });
		} catch {
			f = new Intl.DateTimeFormat(S.lang, opts); // a zone this browser does not know
		}
		formatters.set(key, f);
	}
	return f.format(new Date(unix * 1000));
}
// As the kiosk prints it and the phone shows it: with the offset where the clocks go back
// over that time (lib/localtime.js). Remembered, since that rule asks the browser's zone
// database several times a call, and a chart labels its slots at every redraw.
const shown = new Map();
export function hhmm(unix) {
	const s = Math.floor(unix);
	const key = `${S.lang} ${S.site?.timezone} ${s}`;
	let text = shown.get(key);
	if (text === undefined) {
		if (shown.size > 20000) shown.clear();
		text = localHhmm(S.site?.timezone, s, S.lang);
		shown.set(key, text);
	}
	return text;
}
export const hhmmss = (unix) =>
	fmt(unix, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

export const pct = (x) => (Math.round(x * 1000) / 10).toLocaleString(S.lang);

// --- names -------------------------------------------------------------------------

export function attrName(id) {
	const names = S.attrs.get(id)?.names || {};
	const first = S.site?.languages?.[0];
	return names[S.lang] || (first && names[first]) || id;
}

export function tierName(id) {
	const tier = S.site?.tiers?.find((x) => x.id === id);
	return tier?.names?.[S.lang] || tier?.names?.en || id;
}
