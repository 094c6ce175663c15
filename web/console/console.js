// web/console/console.js — the operators' live console: the day of every attraction and
// of the site at a glance, and the operators' controls, over MQTT to the site broker.
//
// Owns signing in, what the console knows (the retained state, presence and gate journals
// it follows; the slots, tiers and audit entries it asks vqd for), when it asks, and what
// it shows. An operator signs in with their own account and password; the web server
// carries the console's WebSocket to the site broker's password listener (/console/mqtt),
// where the account is the client id, so every command is vqd's `svc/ops` under the
// operator's own name and audited under it. An account that is not an operator's cannot
// send `svc/ops` at all (the broker refuses it: PUBACK 0x87), and the console says so and
// shows nothing of the park.
//
// Invariants: nothing of the desk shows before vqd has answered an operator command of
// this account; a change goes out only after the operator confirmed it (dialog.js), once
// per rid however often it is retried, and its answer — done, vqd's refusal with its code
// and reason, or no answer — is shown where it was asked; the console asks for each
// attraction's slots at most once every SLOTS_GAP_MS and for the audit log at most once
// every AUDIT_GAP_MS, so its load on vqd is bounded whatever the park does.
import { $, el, setText } from '../lib/dom.js';
import { languageButtons, showLanguage } from '../lib/i18n.js';
import { Link, brokerUrl } from '../lib/link.js';
import { setShows, setSlots, showsChart, slotsChart } from './charts.js';
import { ask, setupDialog } from './dialog.js';
import { TIER_RULES, renderAnswer, renderSite } from './site.js';
import { S, attrName, clock, hhmm, pct, t, tierName } from './state.js';
import { LANGUAGES } from './strings.js';

const SLOTS_GAP_MS = 2000; // one attraction's slots, at most this often
const SLOTS_EVERY_MS = 60000; // and at least this often (admissions move them too)
const AUDIT_GAP_MS = 2000;
const AUDIT_EVERY_MS = 15000;
const AUDIT_LIMIT = 15;
const CONFLICTS_LIMIT = 50;
const SITE_WAIT_MS = 6000; // connected and still no word of the park: not for this account
const FRESH_MS = 95000; // vqd republishes state every 30 s
const TICK_MS = 250;

let link = null;
const charts = new Map(); // id -> { slots, shows }
// for the tests (and anyone curious): the Chart.js charts as drawn
window.__vqCharts = charts;
const due = new Map(); // "slots/<id>" | "audit" -> { want, last, busy }


// --- signing in --------------------------------------------------------------------

function signIn(ev) {
	ev.preventDefault();
	const account = $('account').value.trim();
	const password = $('password').value;
	if (!account || !password) {
		S.message = 'need_both';
		render();
		return;
	}
	try {
		localStorage.setItem('vq.console.account', account); // the name, never the password
	} catch {
		// private mode
	}
	S.account = account;
	S.phase = 'connecting';
	S.message = 'signing_in';
	S.connectedAt = 0;
	link = new Link({
		url: brokerUrl(window.location, '/console/mqtt'),
		clientId: account,
		username: account,
		password,
		replyFamily: 'reply',
		filters: ['state/+', 'presence/+', 'journal/+', 'events/+'],
		onMessage,
		onSite: () => prove(),
		onRefused: () => refuse('bad_password'),
		onLink: ({ connected }) => {
			S.connected = connected;
			if (connected) {
				S.connectedAt = performance.now();
				S.unreachableSince = 0;
				if (link.site) prove();
			} else if (!S.unreachableSince) {
				S.unreachableSince = performance.now();
			}
			render();
		},
	});
	render();
}

// The account may read the park: is it an operator's? Only vqd's answer to an operator
// command says so; the broker refuses the command outright for any other account.
let proving = false;
async function prove() {
	if (proving || S.phase !== 'connecting' || !link) return;
	proving = true;
	const mine = link;
	try {
		const r = await command({ cmd: 'tiers' });
		if (link !== mine) return;
		if (r.ok) {
			S.tiers = r.tiers || [];
			S.phase = 'desk';
			S.message = '';
			want('audit');
			for (const id of S.attrs.keys()) want(`slots/${id}`);
		} else {
			S.message = 'waiting_vqd';
		}
	} catch (e) {
		if (link !== mine) return;
		if (e.message === 'denied') {
			refuse('not_operator');
			return;
		}
		S.message = 'waiting_vqd'; // vqd away: asked again on the next tick
	} finally {
		proving = false;
		render();
	}
}

function refuse(why) {
	S.message = why;
	signOut(false);
}

function signOut(clearMessage = true) {
	link?.close();
	link = null;
	S.phase = 'signin';
	if (clearMessage) S.message = '';
	S.connected = false;
	S.site = null;
	for (const m of [S.attrs, S.slots, S.presence, S.journals, S.conflicts, S.answers, due]) m.clear();
	S.audit = [];
	S.tiers = [];
	for (const c of charts.values()) {
		c.slots.destroy();
		c.shows.destroy();
	}
	charts.clear();
	$('attractions').replaceChildren();
	drawn.clear();
	$('password').value = '';
	render();
}

// --- asking vqd ----------------------------------------------------------------------

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// One svc/ops command; resolves with vqd's reply. A retry carries the same rid, so a
// change is made at most once: after `rate_limited`, when vqd says (up to RATE_RETRIES
// times), and after no answer, up to `tries` sends in all. Rejects with 'denied' (not an
// operator account), 'timeout' or 'offline' after the retries.
const RATE_RETRIES = 10;
async function command(body, tries = 3) {
	const rid = link.rid(body.cmd);
	let limited = 0;
	for (let i = 1; ; ) {
		try {
			const r = await link.request('svc/ops', { rid, ...body });
			if (r.ok === false && r.error?.code === 'rate_limited' && limited++ < RATE_RETRIES) {
				await sleep(r.error.retry_after_ms || 1000);
				continue;
			}
			return r;
		} catch (e) {
			if (e.message === 'denied' || i >= tries) throw e;
			i++;
			await sleep(500);
		}
	}
}

function want(key) {
	const d = due.get(key) || { want: false, last: -Infinity, busy: false };
	d.want = true;
	due.set(key, d);
	if (!pumpSoon) pumpSoon = setTimeout(pump, 0); // not a tick later: the gaps still hold
}
let pumpSoon = 0;

// Sends what is wanted and allowed by the gaps; called every TICK_MS and after a want.
function pump() {
	clearTimeout(pumpSoon);
	pumpSoon = 0;
	if (S.phase === 'connecting' && S.connected && link?.site && !proving) {
		if (performance.now() - S.connectedAt > SITE_WAIT_MS / 2) prove();
	}
	if (S.phase === 'connecting' && S.connected && !link?.site && S.connectedAt &&
		performance.now() - S.connectedAt > SITE_WAIT_MS) {
		refuse('no_site');
		return;
	}
	if (S.phase !== 'desk' || !S.connected) return;
	const now = performance.now();
	for (const [key, d] of due) {
		const every = key === 'audit' ? AUDIT_EVERY_MS : SLOTS_EVERY_MS;
		const gap = key === 'audit' ? AUDIT_GAP_MS : SLOTS_GAP_MS;
		if (d.busy || now - d.last < gap || (!d.want && now - d.last < every)) continue;
		d.want = false;
		d.busy = true;
		d.last = now;
		const done = () => {
			d.busy = false;
			render();
		};
		if (key === 'audit') fetchAudit().finally(done);
		else fetchSlots(key.slice(6)).finally(done);
	}
}

async function fetchSlots(id) {
	try {
		const r = await command({ cmd: 'slots', attraction: id }, 1);
		if (r.ok) {
			S.slots.set(id, r);
			// vqd's own clock as it answered, until state/_site carries it exactly
			if (typeof r.now === 'number') clock.hint(r.now);
		}
	} catch {
		// asked again later
	}
}

async function fetchAudit() {
	try {
		const [recent, conflicts] = await Promise.all([
			command({ cmd: 'audit', limit: AUDIT_LIMIT }, 1),
			command({ cmd: 'audit', action: 'conflict', since: S.site?.day_start || 0, limit: CONFLICTS_LIMIT }, 1),
		]);
		if (recent.ok) S.audit = recent.entries;
		if (conflicts.ok) {
			for (const e of conflicts.entries) if (e.detail) addConflict(e.detail, e.at);
		}
	} catch {
		// asked again later
	}
}

async function fetchTiers() {
	try {
		const r = await command({ cmd: 'tiers' }, 1);
		if (r.ok) S.tiers = r.tiers;
	} catch {
		// the table keeps what it had
	}
	render();
}

// --- the controls ------------------------------------------------------------------

const LABELS = () => ({
	review: t('review'),
	confirm: t('confirm'),
	back: t('back'),
	cancel: t('cancel'),
	notWhole: (field) => t('not_whole', { field }),
});

// The question a change asks: "Change capacity of Coaster: overbook (%) 0 → 12?"
function changes(fields, values) {
	const parts = [];
	for (const f of fields) {
		if (!(f.name in values) || values[f.name] === f.value) continue;
		parts.push(`${f.label} ${f.value ?? '—'} → ${values[f.name]}`);
	}
	return parts.join(', ');
}

// all: every field must be given (a value that is set whole, like the standby wait)
function changeSpec(title, what, fields, all = false) {
	return {
		title,
		fields,
		labels: LABELS(),
		review: (values) => {
			const missing = all && fields.find((f) => !(f.name in values));
			if (missing) return { error: t('not_whole', { field: missing.label }) };
			const c = changes(fields, values);
			return c ? t('q_change', { what, changes: c }) : { error: t('nothing_changed') };
		},
	};
}

async function send(where, body) {
	S.answers.set(where, { kind: 'busy', text: t('sending') });
	render();
	let r;
	try {
		r = await command(body);
	} catch (e) {
		if (e.message === 'denied') {
			refuse('not_operator');
			return;
		}
		S.answers.set(where, { kind: 'err', text: t(e.message === 'offline' ? 'not_sent' : 'no_answer') });
		render();
		return;
	}
	if (r.ok) {
		const text =
			typeof r.converted === 'number'
				? t('done_converted', { account: S.account, n: r.converted })
				: t('done', { account: S.account });
		S.answers.set(where, { kind: 'ok', text });
		if (r.state) onState(r.state, false);
	} else {
		S.answers.set(where, {
			kind: 'err',
			text: t('refused', { code: r.error?.code || '?', message: r.error?.message || '' }),
		});
	}
	want('audit');
	if (body.attraction) want(`slots/${body.attraction}`);
	if (body.cmd === 'tier') fetchTiers();
	render();
}

async function control(id, kind) {
	const st = S.attrs.get(id);
	if (!st) return;
	const name = attrName(id);
	let spec;
	let body = (v) => ({ ...v });
	if (kind === 'close' || kind === 'reopen') {
		spec = {
			title: t(`d_${kind}`, { name }),
			fields: [],
			labels: LABELS(),
			review: () => t(`q_${kind}`, { name }),
		};
	} else if (kind === 'capacity') {
		const sug = st.noshow?.suggested_overbook_pct;
		const fields = [
			{ name: 'throughput_per_hour', label: t('f_throughput_per_hour'), value: st.throughput_per_hour },
			{ name: 'fast_share_pct', label: t('f_fast_share_pct'), value: st.fast_share_pct },
			{
				name: 'overbook_pct',
				label: t('f_overbook_pct'),
				value: st.overbook_pct,
				extra: typeof sug === 'number' ? { label: t('use_suggested', { pct: sug }), value: sug } : null,
			},
		];
		spec = changeSpec(t('d_capacity', { name }), t('d_capacity', { name }), fields);
		// only what changed goes to vqd: the rest stays as it is
		body = (v) => Object.fromEntries(Object.entries(v).filter(([k, x]) => fields.find((f) => f.name === k).value !== x));
	} else if (kind === 'standby') {
		spec = changeSpec(t('d_standby', { name }), t('d_standby', { name }), [
			{ name: 'minutes', label: t('f_minutes'), value: st.standby_min },
		], true);
	} else if (kind === 'merge') {
		const fast = st.merge?.base_fast ?? 4;
		const standby = st.merge?.base_standby ?? 1;
		const fields = [
			{ name: 'fast', label: t('f_fast'), value: fast },
			{ name: 'standby', label: t('f_standby'), value: standby },
		];
		spec = changeSpec(t('d_merge', { name }), t('d_merge', { name }), fields, true);
		// a ratio is sent whole, and asked about whole: "4 : 1 → 6 : 1"
		spec.review = (v) => {
			const missing = fields.find((f) => !(f.name in v));
			if (missing) return { error: t('not_whole', { field: missing.label }) };
			if (v.fast === fast && v.standby === standby) return { error: t('nothing_changed') };
			return t('q_change', { what: spec.title, changes: `${fast} : ${standby} → ${v.fast} : ${v.standby}` });
		};
	}
	const values = await ask(spec);
	if (values === null) return;
	send(id, { cmd: kind, attraction: id, ...body(values) });
}

async function tierControl(id) {
	const tier = S.tiers.find((x) => x.id === id);
	if (!tier) return;
	const fields = TIER_RULES.map((name) => ({
		name,
		label: t(`f_${name}`),
		value: tier[name],
	}));
	const title = t('change_tier', { tier: tierName(id) });
	const values = await ask(changeSpec(title, title, fields));
	if (values === null) return;
	const changed = Object.fromEntries(Object.entries(values).filter(([k, x]) => tier[k] !== x));
	send('tiers', { cmd: 'tier', tier: id, ...changed });
}

// --- messages ----------------------------------------------------------------------

function fresh() {
	S.freshAt = performance.now();
	S.freshSite = clock.now();
}

function onState(st, retained) {
	if (!st || typeof st.attraction !== 'string') return;
	const before = S.attrs.get(st.attraction);
	S.attrs.set(st.attraction, st);
	if (!charts.has(st.attraction)) addCard(st.attraction);
	// a change of what is sold or how much there is: the chart asks again
	if (!before || before.capacity?.taken !== st.capacity?.taken || before.capacity?.today !== st.capacity?.today ||
		before.status !== st.status) want(`slots/${st.attraction}`);
	if (before && !retained) {
		const changed = ['throughput_per_hour', 'fast_share_pct', 'overbook_pct', 'standby_min', 'status'].some(
			(k) => before[k] !== st[k],
		);
		if (changed || before.merge?.base_fast !== st.merge?.base_fast || before.merge?.base_standby !== st.merge?.base_standby)
			want('audit'); // another operator changed something
	}
}

function addConflict(c, at) {
	if (!c || typeof c.ticket !== 'number') return;
	const key = `${c.ticket}/${c.gate}`;
	if (!S.conflicts.has(key)) S.conflicts.set(key, { ...c, reported: at ?? c.at });
}

function onMessage(suffix, text, retained) {
	let m;
	try {
		m = JSON.parse(text);
	} catch {
		return;
	}
	if (!m || typeof m !== 'object') return;
	if (suffix === 'state/_site') {
		S.site = m;
		// vqd's clock as it published this (calendar: state/_site carries it)
		const c = m.clock;
		if (!retained && c && typeof c.now_ms === 'number') clock.set(c.now_ms / 1000, c.speed);
		else if (c && typeof c.speed === 'number') clock.setSpeed(c.speed);
		// the cards in the site's order, as vqd lists its attractions
		const order = m.attractions || [];
		const cards = [...$('attractions').children];
		cards.sort((a, b) => order.indexOf(a.id.slice(5)) - order.indexOf(b.id.slice(5)));
		$('attractions').append(...cards);
	} else if (suffix.startsWith('state/')) {
		onState(m, retained);
	} else if (suffix.startsWith('presence/')) {
		S.presence.set(suffix.slice(9), m);
		return schedule();
	} else if (suffix.startsWith('journal/')) {
		S.journals.set(suffix.slice(8), m);
		return schedule();
	} else if (suffix === 'events/admission') {
		if (typeof m.attraction === 'string') want(`slots/${m.attraction}`);
		return schedule();
	} else if (suffix === 'events/conflict') {
		addConflict(m, Math.floor(clock.now()));
		want('audit');
		return schedule();
	} else {
		return;
	}
	if (!retained && typeof m.updated === 'number') {
		clock.hint(m.updated);
		fresh();
	}
	schedule();
}

// --- drawing -----------------------------------------------------------------------

let queued = false;
function schedule() {
	if (queued) return;
	queued = true;
	requestAnimationFrame(() => {
		queued = false;
		render();
	});
}

function fact(id, key) {
	return el('div', {}, el('dt', { id: `${id}-l-${key}` }), el('dd', { id: `${id}-${key}` }));
}

function addCard(id) {
	const name = el('h2', { id: `attr-${id}-name` });
	const status = el('p', { id: `attr-${id}-status`, class: 'status' });
	// a chart's words come with its first figures; until then it says what it is
	const slotsCanvas = el('canvas', { id: `attr-${id}-chart-slots`, role: 'img', 'aria-label': t('slots_chart') });
	const showsCanvas = el('canvas', { id: `attr-${id}-chart-shows`, role: 'img', 'aria-label': t('shows_chart') });
	const buttons = el('div', { class: 'controls' });
	for (const kind of ['close', 'reopen', 'capacity', 'standby', 'merge']) {
		const b = el('button', { id: `attr-${id}-do-${kind}`, type: 'button', class: kind === 'close' ? 'danger' : '' });
		b.addEventListener('click', () => control(id, kind));
		buttons.append(b);
	}
	const card = el(
		'section',
		{ id: `attr-${id}`, class: 'attr', 'aria-labelledby': `attr-${id}-name` },
		el('header', {}, name, status),
		el('div', { class: 'chart slots' }, slotsCanvas),
		el(
			'div',
			{ class: 'row' },
			el(
				'dl',
				{ class: 'facts' },
				...['seats', 'next', 'backlog', 'merge', 'standby', 'throughput', 'overbook', 'suggested', 'shows'].map((k) =>
					fact(`attr-${id}`, k),
				),
			),
			el('div', { class: 'chart shows' }, showsCanvas),
		),
		buttons,
		el('p', { id: `attr-${id}-answer`, class: 'answer', role: 'status' }),
	);
	// in the site's order, as vqd lists its attractions
	const order = S.site?.attractions || [];
	const after = [...$('attractions').children].find((c) => order.indexOf(c.id.slice(5)) > order.indexOf(id));
	$('attractions').insertBefore(card, after || null);
	charts.set(id, { slots: slotsChart(slotsCanvas), shows: showsChart(showsCanvas) });
}

function renderHeader(realNow) {
	const now = clock.now();
	setText('park', S.site?.name || '');
	setText('clock', S.site ? hhmm(now) : '');
	const desk = S.phase === 'desk';
	setText('who', desk ? t('signed_in_as', { account: S.account }) : '');
	$('signout').hidden = S.phase === 'signin';
	const vqd = S.presence.get('vqd');
	let status = '';
	let bad = false;
	if (S.phase !== 'signin') {
		if (!S.connected) {
			bad = true;
			status = S.freshAt ? t('stale', { time: hhmm(S.freshSite) }) : t('connecting');
		} else if (vqd && vqd.online === false) {
			bad = true;
			status = t('vqd_offline');
		} else if (S.freshAt && realNow - S.freshAt > FRESH_MS) {
			bad = true;
			status = t('stale', { time: hhmm(S.freshSite) });
		} else if (desk) {
			status = t('live');
		}
	}
	setText('link', status);
	$('link').classList.toggle('bad', bad);
}

function renderSignin(realNow) {
	const show = S.phase !== 'desk';
	$('signin').hidden = !show;
	$('desk').hidden = show;
	if (!show) return;
	for (const inp of ['account', 'password', 'signin-go']) $(inp).disabled = S.phase === 'connecting';
	let msg = S.message ? t(S.message, { account: S.account }) : '';
	if (S.phase === 'connecting' && !S.connected && S.unreachableSince && realNow - S.unreachableSince > 5000)
		msg = t('unreachable');
	setText('signin-message', msg);
	$('signin-message').classList.toggle('bad', ['bad_password', 'not_operator', 'no_site', 'need_both'].includes(S.message));
}

function slotData(id, now) {
	const r = S.slots.get(id);
	if (!r) return null;
	const slots = r.slots || [];
	const len = slots.length > 1 ? slots[1].start - slots[0].start : 900;
	let past = 0;
	let x = null;
	for (let i = 0; i < slots.length; i++) {
		if (slots[i].start + len <= now) past = i + 1;
		if (slots[i].start <= now && now < slots[i].start + len) x = i - 0.5 + (now - slots[i].start) / len;
	}
	if (x === null && slots.length && now < slots[0].start) x = -0.5;
	if (x === null && slots.length && now >= slots[slots.length - 1].start + len) x = slots.length - 0.5;
	// the line moves in hundredths of a slot: a chart is redrawn when something shows
	// differently, not every second
	if (x !== null) x = Math.round(x * 100) / 100;
	return {
		labels: slots.map((s) => hhmm(s.start)),
		tiers: (r.tiers || []).map((tier, i) => ({ name: tierName(tier), data: slots.map((s) => s.taken_tier[i]) })),
		cap: slots.map((s) => s.cap),
		admitted: slots.map((s) => s.redeemed),
		past,
		now: x,
		names: { capacity: t('capacity_ds'), admitted: t('admitted_ds'), now: t('now'), guests: '' },
	};
}

const drawn = new Map(); // id -> what the charts last drew, so an unchanged chart is left alone

function renderCard(id, now) {
	const st = S.attrs.get(id);
	const c = charts.get(id);
	if (!st || !c) return;
	const p = `attr-${id}`;
	const name = attrName(id);
	setText(`${p}-name`, name);
	const closed = st.status === 'closed';
	setText(`${p}-status`, closed ? t('closed', { time: hhmm(st.closed_at) }) : t('open'));
	$(`${p}-status`).className = `status ${closed ? 'closed' : 'open'}`;
	const label = (k, text, value) => {
		setText(`${p}-l-${k}`, text);
		setText(`${p}-${k}`, value);
	};
	label('seats', t('seats'), t('seats_v', { taken: st.capacity?.taken ?? 0, cap: st.capacity?.today ?? 0 }));
	const next = Object.entries(st.next || {})
		.map(([tier, w]) => `${tierName(tier)} ${w ? hhmm(w.start) : t('next_none')}`)
		.join(' · ');
	label('next', t('next'), next);
	const m = st.merge;
	label('backlog', t('backlog'), m ? t('backlog_v', { n: m.backlog, min: m.backlog_min }) : '—');
	label(
		'merge',
		t('merge'),
		m ? t('merge_v', { fast: m.fast, standby: m.standby, phase: m.phase, bf: m.base_fast ?? '?', bs: m.base_standby ?? '?' }) : t('merge_none'),
	);
	label('standby', t('standby'), t('minutes', { n: st.standby_min }));
	label('throughput', t('throughput'), t('throughput_v', { n: st.throughput_per_hour, share: st.fast_share_pct }));
	const ns = st.noshow || {};
	label('overbook', t('overbook'), `${st.overbook_pct} %`);
	const sug =
		typeof ns.suggested_overbook_pct === 'number'
			? `${t('suggested', { pct: ns.suggested_overbook_pct })}: ${t('suggested_basis', { rate: pct(ns.rate), low: pct(ns.rate_low), seats: ns.seats })}`
			: t('suggested_none', { seats: ns.seats ?? 0, min: ns.min_sample ?? '?' });
	label('suggested', '', sug);
	const seats = ns.seats ?? 0;
	const noShows = ns.no_shows ?? 0;
	const admitted = (S.slots.get(id)?.slots || []).reduce((n, x) => n + x.redeemed, 0);
	label(
		'shows',
		t('shows'),
		t('shows_v', { redeemed: seats - noShows, no_shows: noShows, rate: pct(ns.rate ?? 0), admitted }),
	);
	for (const kind of ['close', 'reopen', 'capacity', 'standby', 'merge']) {
		const b = $(`${p}-do-${kind}`);
		setText(b, t(`btn_${kind}`));
		b.hidden = (kind === 'close' && closed) || (kind === 'reopen' && !closed);
	}
	renderAnswer(id, $(`${p}-answer`));

	const d = slotData(id, now);
	const key = JSON.stringify([S.lang, d, seats, noShows]);
	if (drawn.get(id) === key) return;
	drawn.set(id, key);
	if (d) {
		setSlots(c.slots, d);
		const cap = d.cap.reduce((a, b) => a + b, 0);
		const taken = d.tiers.reduce((a, tr) => a + tr.data.reduce((x, y) => x + y, 0), 0);
		$(`${p}-chart-slots`).setAttribute('aria-label', `${t('slots_chart')}. ${t('slots_label', { name, taken, cap, time: hhmm(now) })}`);
	}
	setShows(c.shows, { redeemed: seats - noShows, noShows, names: { redeemed: t('redeemed_ds'), noShows: t('no_shows_ds') } });
	$(`${p}-chart-shows`).setAttribute('aria-label', `${t('shows_chart')}. ${t('shows_label', { name, redeemed: seats - noShows, no_shows: noShows })}`);
}

function renderStatic() {
	document.documentElement.lang = S.lang;
	document.title = t('title');
	setText('title', t('title'));
	showLanguage($('langs'), S.lang, t('language'));
	setText('signin-title', t('signin_title'));
	setText('signin-help', t('signin_help'));
	setText('l-account', t('account'));
	setText('l-password', t('password'));
	setText('signin-go', t('signin'));
	setText('signout', t('signout'));
	drawn.clear();
}

function render() {
	const realNow = performance.now();
	const now = clock.now();
	renderHeader(realNow);
	renderSignin(realNow);
	if (S.phase !== 'desk') return;
	renderSite(tierControl);
	for (const id of charts.keys()) renderCard(id, now);
}

// --- start -------------------------------------------------------------------------

function start() {
	languageButtons($('langs'), LANGUAGES, (lang) => {
		S.lang = lang;
		renderStatic();
		render();
	});
	setupDialog();
	const answer = el('p', { id: 'tiers-answer', class: 'answer', role: 'status' });
	$('tiers').after(answer);
	try {
		$('account').value = localStorage.getItem('vq.console.account') || '';
	} catch {
		// private mode
	}
	$('signin').addEventListener('submit', signIn);
	$('signout').addEventListener('click', () => signOut());
	renderStatic();
	setInterval(pump, TICK_MS);
	// the clock, the "now" line and the link's freshness move with time alone
	setInterval(render, 1000);
	render();
}

start();
