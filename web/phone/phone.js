// web/phone/phone.js — the guest's phone page: one ticket, live, from the code in the
// URL fragment (#VQ1:…), which never reaches a server log.
//
// Owns what the guest sees: the ticket as vqd knows it (web/svc/ticket), the attraction's
// live state (state/<attraction>), a countdown on the site's clock, the window-open notice
// (banner, sound, vibration, system notification), give-back (web/svc/giveback), and an
// honest word when what it shows may be stale. Everything on screen is render()'s
// function of the state below and the clock; handlers only change the state.
//
// Invariants: the page never holds a card number (it has none to send); a give-back is
// sent with one rid however often it is retried; the window-open notice sounds at most
// once per ticket (remembered across reloads); without a link the page keeps counting
// down on the last clock it had and says since when it has not heard from the park.
import qrcode from 'qrcode-generator';

import { $, setText } from '../lib/dom.js';
import { fill, languageButtons, pickLanguage, showLanguage } from '../lib/i18n.js';
import { Link, brokerUrl, visitorId } from '../lib/link.js';
import { hhmm as localHhmm } from '../lib/localtime.js';
import { SiteClock } from '../lib/siteclock.js';
import { LANGUAGES, STRINGS } from './strings.js';

const FRESH_MS = 95000; // vqd republishes state every 30 s: three missed means stale
const REFRESH_MS = 60000; // the ticket is asked for again at least this often
const MIN_GAP_MS = 3000; // and at most this often, whatever happens

const S = {
	code: decodeURIComponent(window.location.hash.replace(/^#/, '')).trim(),
	lang: pickLanguage(LANGUAGES),
	site: null, // state/_site
	attr: null, // state/<ticket's attraction>
	attrSeen: '', // status, closed_at, reopened_at last seen: a change asks again
	ticket: null,
	error: null, // 'forged' | 'unknown_ticket' | 'no_code' | null
	connected: false,
	bridge: null, // '1' | '0' from web/bridge
	vqdOnline: null,
	freshAt: 0, // performance.now() of the last word from vqd
	freshSite: 0, // the site time then
	busyUntil: 0,
	givingBack: null, // { rid } while a give-back is on its way
	giveBackError: '',
	notifyState: '',
};
const clock = new SiteClock();
let link = null;
let lastAsk = -Infinity;
let askTimer = null;
let lastPhase = null;
let audio = null;

const t = (key, vars) => fill(STRINGS[S.lang][key] ?? STRINGS.en[key], vars || {});

// --- time --------------------------------------------------------------------------

function fmt(unix, opts) {
	const base = { timeZone: S.site?.timezone, ...opts };
	try {
		return new Intl.DateTimeFormat(S.lang, base).format(new Date(unix * 1000));
	} catch {
		delete base.timeZone; // a zone this browser does not know: its own, and say no more
		return new Intl.DateTimeFormat(S.lang, base).format(new Date(unix * 1000));
	}
}
// as the kiosk prints it: with the offset where the clocks go back over that time
const hhmm = (unix) => localHhmm(S.site?.timezone, unix, S.lang);
// a day's number stays with its month ("June 15", "15 июня") when the line wraps
const day = (unix) =>
	fmt(unix, { weekday: 'long', day: 'numeric', month: 'long' }).replace(/ (?=\d)|(?<=\d) /g, '\u00a0');
// a number and its unit stay on one line ("10 min")
const NB = '\u00a0';

// "in 1 h 05 min": whole minutes, rounded up (so "in 1 min" until the very end)
function span(seconds) {
	const s = Math.max(0, Math.ceil(seconds));
	if (s < 60) return `${s}${NB}${t('unit_s')}`;
	const mins = Math.ceil(s / 60);
	const h = Math.floor(mins / 60);
	const m = mins % 60;
	if (h > 0) return `${h}${NB}${t('unit_h')} ${String(m).padStart(2, '0')}${NB}${t('unit_min')}`;
	return `${m}${NB}${t('unit_min')}`;
}

// The big countdown, with its units: "9 min 58 s", "1 h 02 min 03 s". Never "09:58",
// which under "Come back at 10:15" reads as a time of day.
function clockFace(seconds) {
	const s = Math.max(0, Math.floor(seconds));
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const sec = `${String(s % 60).padStart(2, '0')}${NB}${t('unit_s')}`;
	if (h > 0) return `${h}${NB}${t('unit_h')} ${String(m).padStart(2, '0')}${NB}${t('unit_min')} ${sec}`;
	if (m > 0) return `${m}${NB}${t('unit_min')} ${sec}`;
	return `${s % 60}${NB}${t('unit_s')}`;
}

// --- what phase the ticket is in ---------------------------------------------------

function phaseOf(tk, now) {
	if (tk.state === 'cancelled') return 'cancelled';
	if (tk.state === 'redeemed') return 'redeemed';
	if (S.attr?.status === 'closed') return 'closed';
	if (now >= tk.admit.until) return 'expired';
	if (tk.state === 'anytime') return now >= tk.valid_from ? 'open' : 'before';
	if (now < tk.start) return 'before';
	if (now < tk.end) return 'open';
	return 'late';
}

function attrName() {
	const names = S.attr?.names || {};
	const first = S.site?.languages?.[0];
	return names[S.lang] || (first && names[first]) || S.ticket?.attraction || '';
}

// --- drawing -----------------------------------------------------------------------

function renderStatic() {
	document.documentElement.lang = S.lang;
	document.title = t('title');
	setText('title', t('title'));
	showLanguage($('langs'), S.lang, t('language'));
	setText('l-window', t('window'));
	setText('l-date', t('date'));
	setText('l-party', t('party'));
	setText('l-tier', t('tier'));
	setText('gate-caption', t('gate_code'));
	setText('notify', t('notify'));
	setText('giveback', t('giveback'));
	setText('confirm-yes', t('giveback_yes'));
	setText('confirm-no', t('giveback_no'));
}

function renderLink(realNow) {
	const live =
		S.connected && S.bridge !== '0' && S.vqdOnline !== false && realNow - S.freshAt < FRESH_MS;
	const el = $('link');
	el.classList.toggle('stale', !live && S.freshAt > 0);
	if (live) setText('link', t('live'));
	else if (S.freshAt > 0) setText('link', t('stale', { time: hhmm(S.freshSite) }));
	else setText('link', S.code ? t('reconnecting') : '');
}

let qrFor = '';
function renderQr(tk) {
	const usable = tk.state === 'issued' || tk.state === 'anytime';
	$('gate').hidden = !usable;
	if (!usable || qrFor === S.code) return;
	const qr = qrcode(0, 'M');
	qr.addData(S.code, 'Alphanumeric');
	qr.make();
	$('qr').innerHTML = qr.createSvgTag({ cellSize: 4, margin: 16, scalable: true });
	qrFor = S.code;
}

function render() {
	const realNow = performance.now();
	const now = clock.now();
	renderLink(realNow);
	setText('park', S.site?.name || '');
	if (S.error || !S.ticket) {
		$('ticket').hidden = true;
		$('banner').hidden = true;
		setText('message', S.error ? t(S.error) : S.busyUntil > realNow ? t('busy') : t('loading'));
		return;
	}
	const tk = S.ticket;
	const name = attrName();
	$('ticket').hidden = false;
	setText('attraction', name);
	setText('number', tk.number);
	setText('window', `${hhmm(tk.start)}–${hhmm(tk.end)}`);
	setText('date', day(tk.start));
	setText('party', t('party_n', { n: tk.party }));
	const tier = S.site?.tiers?.find((x) => x.id === tk.tier);
	setText('tier', tier?.names?.[S.lang] || tier?.names?.en || tk.tier);
	$('qr').setAttribute('aria-label', t('gate_code_label', { number: tk.number }));
	renderQr(tk);

	const phase = phaseOf(tk, now);
	const ph = $('phase');
	ph.classList.toggle('now', phase === 'open');
	ph.classList.toggle('closed', phase === 'closed');
	let text = '';
	let face = '';
	if (phase === 'before') {
		const from = tk.state === 'anytime' ? tk.valid_from : tk.start;
		text = `${t('starts_in', { t: span(from - now) })}. ${t('starts_at', { time: hhmm(from) })}`;
		face = clockFace(from - now);
	} else if (phase === 'open') {
		text =
			tk.state === 'anytime'
				? t('anytime', { time: hhmm(tk.valid_until) })
				: t('open_now', { time: hhmm(tk.end) });
	} else if (phase === 'late') {
		text = t('late', { end: hhmm(tk.end), until: hhmm(tk.admit.until) });
	} else if (phase === 'expired') {
		text = t('expired', { time: hhmm(tk.admit.until) });
	} else if (phase === 'closed') {
		text = t('closed', { name });
	} else if (phase === 'redeemed') {
		text = t('redeemed', { time: hhmm(tk.used_at) });
	} else {
		text = t('cancelled');
	}
	setText('phase', text);
	setText('countdown', face);
	$('banner').hidden = phase !== 'open';
	if (phase === 'open') {
		setText('banner', t('open_banner', { name, time: hhmm(tk.state === 'anytime' ? tk.valid_until : tk.end) }));
	}
	const usable = tk.state === 'issued' || tk.state === 'anytime';
	$('giveback').hidden = !usable;
	$('notify').hidden = !usable || phase !== 'before' || !('Notification' in window);
	setText('notify-state', S.notifyState ? t(S.notifyState) : '');
	setText('message', S.giveBackError);

	if (lastPhase !== null && phase !== lastPhase) ask('phase'); // the window opened or ended
	if (phase === 'open' && lastPhase !== 'open') windowOpened(name, tk);
	lastPhase = phase;
}

// --- the window-open notice --------------------------------------------------------

function noticeKey() {
	return `vq.notified.${S.code.slice(-24)}`;
}

function windowOpened(name, tk) {
	try {
		if (localStorage.getItem(noticeKey())) return;
		localStorage.setItem(noticeKey(), '1');
	} catch {
		// no storage: notice once per page load
	}
	const body = t('open_banner', { name, time: hhmm(tk.state === 'anytime' ? tk.valid_until : tk.end) });
	beep();
	if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 300]);
	if ('Notification' in window && Notification.permission === 'granted') {
		const opts = { body, tag: noticeKey(), lang: S.lang };
		navigator.serviceWorker?.getRegistration().then(
			(reg) => (reg ? reg.showNotification(t('title'), opts) : new Notification(t('title'), opts)),
			() => new Notification(t('title'), opts),
		);
	}
}

// A browser lets a page make sound only after a touch: the audio context is opened on
// the first one, and the notice plays on it.
function unlockAudio() {
	const Ctx = window.AudioContext || window.webkitAudioContext;
	if (!audio && Ctx) audio = new Ctx();
	audio?.resume?.();
}

function beep() {
	if (!audio) unlockAudio();
	if (!audio) return;
	const start = audio.currentTime + 0.05;
	for (let i = 0; i < 3; i++) {
		const o = audio.createOscillator();
		const g = audio.createGain();
		o.frequency.value = 880;
		g.gain.setValueAtTime(0.3, start + i * 0.35);
		g.gain.setValueAtTime(0, start + i * 0.35 + 0.2);
		o.connect(g).connect(audio.destination);
		o.start(start + i * 0.35);
		o.stop(start + i * 0.35 + 0.22);
	}
}

async function askNotify() {
	unlockAudio();
	let p = Notification.permission;
	if (p === 'default') p = await Notification.requestPermission();
	if (p === 'granted' && 'serviceWorker' in navigator) {
		// where a page may not construct notices itself (Android), its worker may
		navigator.serviceWorker.register('sw.js').catch(() => {});
	}
	S.notifyState = p === 'granted' ? 'notify_on' : 'notify_blocked';
	render();
}

// --- talking to vqd ----------------------------------------------------------------

function fresh() {
	S.freshAt = performance.now();
	S.freshSite = clock.now();
}

// Asks vqd for the ticket, at most every MIN_GAP_MS; why is for the record only.
function ask(why) {
	if (!link || !S.code || S.error === 'no_code') return;
	const wait = Math.max(lastAsk + MIN_GAP_MS - performance.now(), S.busyUntil - performance.now());
	if (wait > 0) {
		if (!askTimer) askTimer = setTimeout(() => ((askTimer = null), ask(why)), wait);
		return;
	}
	lastAsk = performance.now();
	link.request('web/svc/ticket', { rid: link.rid('t'), code: S.code }).then(onTicketReply, () => {});
}

function onTicketReply(r) {
	if (r.clock) clock.set(r.clock.now, r.clock.speed);
	if (r.ok) {
		S.ticket = r.ticket;
		S.error = null;
		// only this attraction's state: a park's worth of every attraction's changes,
		// times every phone, is traffic nobody reads
		link.subscribe(`web/state/${r.ticket.attraction}`);
		fresh();
	} else {
		const code = r.error?.code;
		if (code === 'rate_limited') {
			S.busyUntil = performance.now() + (r.error.retry_after_ms || 5000);
			ask('busy');
		} else if (code === 'forged' || code === 'malformed_code' || code === 'unknown_key') {
			S.error = 'forged';
			S.ticket = null;
		} else if (code === 'unknown_ticket') {
			S.error = 'unknown_ticket';
		}
	}
	render();
}

async function giveBack() {
	const rid = S.givingBack?.rid || link.rid('g');
	S.givingBack = { rid };
	S.giveBackError = '';
	for (let attempt = 0; attempt < 5; attempt++) {
		try {
			const r = await link.request('web/svc/giveback', { rid, code: S.code });
			if (r.ok) {
				S.ticket = r.ticket;
				if (r.clock) clock.set(r.clock.now, r.clock.speed);
				fresh();
			} else if (r.error?.code === 'rate_limited') {
				await new Promise((ok) => setTimeout(ok, r.error.retry_after_ms || 2000));
				continue;
			} else {
				S.giveBackError = t('giveback_failed', { why: r.error?.message || r.error?.code });
				ask('giveback');
			}
			break;
		} catch {
			// no answer: the same rid again, so it can only ever happen once
			await new Promise((ok) => setTimeout(ok, 2000));
		}
	}
	S.givingBack = null;
	render();
}

// --- messages ----------------------------------------------------------------------

function onMessage(suffix, text, retained) {
	if (suffix === 'web/bridge') {
		S.bridge = text;
	} else if (suffix === 'presence/vqd') {
		try {
			S.vqdOnline = JSON.parse(text).online === true;
		} catch {
			S.vqdOnline = null;
		}
	} else if (suffix === 'state/_site' || suffix.startsWith('web/state/')) {
		let st;
		try {
			st = JSON.parse(text);
		} catch {
			return;
		}
		if (!retained && typeof st.updated === 'number') {
			clock.hint(st.updated);
			fresh();
		}
		if (suffix === 'state/_site') {
			S.site = st;
			// vqd's clock, where vqd publishes it with the site (exact, in ms)
			const c = st.clock;
			if (!retained && c && typeof c.now_ms === 'number') clock.set(c.now_ms / 1000, c.speed);
		} else if (S.ticket && st.attraction === S.ticket.attraction) {
			S.attr = st;
			const seen = `${st.status}/${st.closed_at}/${st.reopened_at}`;
			if (S.attrSeen && seen !== S.attrSeen) ask('attraction'); // closed, reopened
			S.attrSeen = seen;
		}
	}
	render();
}


// --- start -------------------------------------------------------------------------

function start() {
	languageButtons($('langs'), LANGUAGES, (lang) => {
		S.lang = lang;
		renderStatic();
		render();
	});
	renderStatic();
	if (!/^VQ1:[A-Z2-7]+$/.test(S.code)) {
		S.error = S.code ? 'forged' : 'no_code';
		render();
		return;
	}
	$('notify').addEventListener('click', askNotify);
	$('giveback').addEventListener('click', () => {
		unlockAudio();
		setText('confirm-text', t('giveback_confirm', { name: attrName(), time: hhmm(S.ticket.start) }));
		$('confirm').showModal();
	});
	$('confirm-no').addEventListener('click', () => $('confirm').close());
	$('confirm-yes').addEventListener('click', () => {
		$('confirm').close();
		giveBack();
	});
	document.addEventListener('pointerdown', unlockAudio, { once: true });
	document.addEventListener('visibilitychange', () => {
		if (document.visibilityState === 'visible') ask('visible');
	});
	window.addEventListener('hashchange', () => window.location.reload());

	link = new Link({
		url: brokerUrl(),
		clientId: visitorId(),
		replyFamily: 'web/reply',
		filters: ['state/_site', 'presence/vqd', 'web/bridge'],
		onMessage,
		onSite: () => ask('site'),
		onLink: ({ connected }) => {
			S.connected = connected;
			if (connected && link.site) ask('connected');
			render();
		},
	});
	setInterval(render, 250);
	const periodic = () => {
		ask('periodic');
		setTimeout(periodic, REFRESH_MS + Math.random() * 10000);
	};
	setTimeout(periodic, REFRESH_MS);
	render();
}

start();
