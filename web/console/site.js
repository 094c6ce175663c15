// web/console/site.js — the site's panels of the console: which devices are online,
// gates whose journal still owes vqd admissions, today's conflicts, the latest entries of
// the audit log and the tier rules. Drawn from the state (state.js) alone; a panel's
// content is made again only when what it shows changed, and the tier table's rows are
// made once, so nothing the operator is about to press moves under the pointer.
import { $, el, setText } from '../lib/dom.js';
import { S, attrName, hhmm, hhmmss, t, tierName } from './state.js';
import { STRINGS } from './strings.js';

// Rebuilds node's children only when what they show changed, so that a button keeps its
// focus and a screen reader its place while the console follows the park.
const built = new WeakMap();
function rebuild(node, data, build) {
	const key = JSON.stringify([S.lang, S.site?.timezone, data]);
	if (built.get(node) === key) return;
	built.set(node, key);
	node.replaceChildren(...build());
}

function renderDevices() {
	const groups = ['coordinator', 'kiosk', 'gate', 'display'];
	rebuild($('devices'), [...S.presence.entries()], () => devices(groups));
}

// How long a device has been on or off line, in real time: its "since" is its own
// machine's clock, not the park's, which a demo may run fast or start at another hour.
function lasted(since) {
	const s = Math.max(0, Date.now() / 1000 - since);
	if (s < 60) return t('dur_under_min');
	const m = Math.floor(s / 60);
	if (m < 60) return t('minutes', { n: m });
	return t('dur_h_min', { h: Math.floor(m / 60), m: String(m % 60).padStart(2, '0') });
}

function devices(groups) {
	const parts = [];
	for (const role of groups) {
		const list = [...S.presence.entries()].filter(([, p]) => p.role === role).sort(([a], [b]) => a.localeCompare(b));
		const on = list.filter(([, p]) => p.online === true).length;
		const items = list.map(([id, p]) =>
			el(
				'li',
				{ class: p.online ? 'on' : 'off', id: `dev-${id}` },
				el('span', { class: 'dot', 'aria-hidden': 'true' }),
				`${id} `,
				el('small', {}, `${p.online ? t('online') : t('offline')}${p.since ? ` ${t('for', { t: lasted(p.since) })}` : ''}`),
			),
		);
		parts.push(
			el(
				'div',
				{ class: 'group' },
				el('h4', {}, `${t(`role_${role}`)}: ${list.length ? t('n_online', { n: on, m: list.length }) : t('none_seen')}`),
				el('ul', { class: 'chips' }, ...items),
			),
		);
	}
	return parts;
}

export function renderSite(onTierChange) {
	setText('site-title', t('site'));
	setText('devices-title', t('devices'));
	renderDevices();
	setText('unsynced-title', t('unsynced'));
	const owing = [...S.journals.entries()]
		.filter(([, j]) => typeof j.unsynced === 'number' && j.unsynced > 0)
		.sort(([a], [b]) => a.localeCompare(b));
	rebuild($('unsynced'), [owing, [...S.presence.entries()]], () =>
		owing.length
			? owing.map(([gate, j]) => {
					const offline = S.presence.get(gate)?.online === false;
					const text = t('unsynced_item', {
						gate,
						attraction: attrName(j.attraction),
						n: j.unsynced,
						time: typeof j.oldest === 'number' ? hhmm(j.oldest) : '—',
					});
					return el(
						'li',
						{ id: `unsynced-${gate}`, class: offline ? 'warn' : '' },
						offline ? `${text} (${t('unsynced_offline', { time: hhmm(j.updated) })})` : text,
					);
				})
			: [el('li', { class: 'none' }, t('unsynced_none'))],
	);
	setText('conflicts-title', t('conflicts'));
	const dayStart = S.site?.day_start || 0;
	const conflicts = [...S.conflicts.values()].filter((c) => c.reported >= dayStart).sort((a, b) => b.reported - a.reported);
	rebuild($('conflicts'), conflicts, () =>
		conflicts.length
			? conflicts.map((c) =>
					el(
						'li',
						{ class: 'warn' },
						t('conflict_item', {
							time: hhmm(c.reported),
							ticket: c.ticket,
							attraction: attrName(c.attraction),
							gate: c.gate,
							at: hhmm(c.at),
							first_gate: c.first_gate,
							first_at: hhmm(c.first_at),
						}),
					),
				)
			: [el('li', { class: 'none' }, t('conflicts_none'))],
	);
	setText('audit-title', t('audit'));
	for (const k of ['at', 'who', 'what', 'detail']) setText(`h-${k}`, t(`h_${k}`));
	rebuild($('audit').tBodies[0], S.audit, () => auditRows());
	setText('tiers-title', t('tiers'));
	for (const k of ['tier', 'protect', 'release', 'passes', 'horizon', 'grace', 'change']) setText(`h-${k}`, t(`h_${k}`));
	renderTiers(onTierChange);
	renderAnswer('tiers', $('tiers-answer'));
}

function auditRows() {
	const rows = S.audit.map((e) =>
		el(
			'tr',
			{},
			el('td', {}, hhmmss(e.at)),
			el('td', {}, e.actor),
			el('td', {}, STRINGS[S.lang][`action_${e.action}`] ? t(`action_${e.action}`) : e.action),
			el('td', {}, detailText(e)),
		),
	);
	return rows.length ? rows : [el('tr', {}, el('td', { colspan: '4' }, t('audit_none')))];
}

export const TIER_RULES = ['protect_pct', 'release_min', 'max_passes', 'horizon_min', 'late_grace_min'];

// The tier table: a row per tier, made once and then only its figures change, so its
// "Change…" button is never swapped under the operator's pointer.
function renderTiers(onTierChange) {
	const body = $('tiers').tBodies[0];
	const ids = S.tiers.map((x) => x.id).join(' ');
	if (body.dataset.ids !== ids) {
		body.dataset.ids = ids;
		body.replaceChildren(
			...S.tiers.map((x) => {
				const b = el('button', { type: 'button', id: `tier-${x.id}-change`, class: 'secondary' }, el('span'), el('span', { class: 'visually-hidden' }));
				b.addEventListener('click', () => onTierChange(x.id));
				return el(
					'tr',
					{ id: `tier-${x.id}` },
					el('th', { scope: 'row' }),
					...TIER_RULES.map(() => el('td', { class: 'n' })),
					el('td', {}, b),
				);
			}),
		);
	}
	for (const x of S.tiers) {
		const row = $(`tier-${x.id}`);
		setText(row.cells[0], tierName(x.id));
		TIER_RULES.forEach((k, i) => setText(row.cells[i + 1], String(x[k])));
		const [seen, said] = $(`tier-${x.id}-change`).children;
		setText(seen, t('change'));
		setText(said, ` ${t('change_tier', { tier: tierName(x.id) })}`);
	}
}

// What an audit entry changed, in a line: the request's own fields, without the envelope.
function detailText(e) {
	const d = e.detail;
	if (!d || typeof d !== 'object') return e.detail_bytes ? `${e.detail_bytes} B` : '';
	const skip = new Set(['v', 'rid', 'cmd', 'members']);
	const value = (k, v) => {
		if (typeof v === 'object') return JSON.stringify(v);
		// the names operators know, not ids ("Haunted Mine", not haunted_mine)
		if ((k === 'attraction' || k === 'ticket_attraction') && typeof v === 'string') return attrName(v);
		if (k === 'tier' && typeof v === 'string') return tierName(v);
		// instants (at, first_at, used_at …) as the park's time of day
		if (typeof v === 'number' && (k === 'at' || k.endsWith('_at')) && v > 0) return hhmm(v);
		return v;
	};
	return Object.entries(d)
		.filter(([k]) => !skip.has(k))
		// "key: value; …": the line may wrap after a colon or a semicolon, so a narrow
		// column breaks between words, never inside one
		.map(([k, v]) => `${k}: ${value(k, v)}`)
		.join('; ');
}

export function renderAnswer(key, node) {
	if (!node) return;
	const a = S.answers.get(key);
	setText(node, a ? a.text : '');
	node.className = `answer ${a ? a.kind : ''}`;
}
