// tools/bench-console.mjs — what the operators' console shows, and how soon: run by
// tools/bench-console, which starts the site, vqd and the web server first.
//
//   node tools/bench-console.mjs --url URL --broker HOST:PORT --ws URL --site S
//        --credentials FILE [--changes N] [--chart-changes N] [--attraction ID]
//
// In Debian's headless chromium the console is opened and signed in as ops-1. Another
// operator (ops-2, over MQTT to the site broker, as vqctl does) then changes the
// attraction, and the page's own MutationObserver stamps when the change shows:
//   - state change to screen: `standby` N times (30/31 min alternately), from the request
//     sent to the card's text; beside it vqd's answer to ops-2 (request -> reply);
//   - change to chart: `capacity` (the throughput) --chart-changes times, 2.5 s apart (the
//     console asks for an attraction's slots at most every 2 s), from the request to the
//     slot chart redrawn with the new capacity (its label carries the day's sum);
//   - the bare cost in the same run: a message published on the site broker to an MQTT.js
//     client on the console's own WebSocket path (lighttpd's /console/mqtt), as ops-3.
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// the npm packages live in web/ (web/package-lock.json, installed by tools/setup-deps)
const require = createRequire(new URL('../web/package.json', import.meta.url));
const mqtt = require('mqtt');
const puppeteer = require('puppeteer-core');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 ? args[i + 1] : dflt;
};
const pct = (xs, p) => {
	if (!xs.length) return NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const line = (label, xs, goal = '') =>
	console.log(`  ${label.padEnd(28)} p50 ${f1(pct(xs, 0.5))}  p99 ${f1(pct(xs, 0.99))}  max ${f1(Math.max(...xs))}${goal}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function credentials(file, account) {
	for (const l of readFileSync(file, 'utf8').split('\n')) {
		const [name, , pass] = l.trim().split(/\s+/);
		if (name === account) return pass;
	}
	throw new Error(`no ${account} in ${file}`);
}

function client(url, account) {
	const c = mqtt.connect(url, {
		protocolVersion: 5,
		clientId: account,
		username: account,
		password: credentials(opt('credentials'), account),
		clean: true,
	});
	return new Promise((ok, fail) => (c.once('connect', () => ok(c)), c.once('error', fail)));
}

const site = opt('site');
const attraction = opt('attraction', 'coaster');
const prefix = `vq/v1/${site}/`;
const changes = Number(opt('changes', 100));
const chartChanges = Number(opt('chart-changes', 20));

const profile = mkdtempSync(join(tmpdir(), 'vq-bench-chromium-'));
const browser = await puppeteer.launch({
	executablePath: process.env.VQ_CHROMIUM || '/usr/bin/chromium',
	headless: true,
	userDataDir: profile,
	pipe: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const page = await browser.newPage();
await page.setViewport({ width: 1440, height: 1000 });
await page.evaluateOnNewDocument((id) => {
	window.__seen = { text: [], chart: [] };
	const stamp = (list, v) => {
		if (list.at(-1)?.v !== v) list.push({ at: performance.timeOrigin + performance.now(), v });
	};
	new MutationObserver(() => {
		const text = document.getElementById(`attr-${id}-standby`)?.textContent;
		if (text) stamp(window.__seen.text, text);
		const label = document.getElementById(`attr-${id}-chart-slots`)?.getAttribute('aria-label');
		if (label) stamp(window.__seen.chart, label.replace(/; now .*/, ''));
	}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
}, attraction);
await page.goto(opt('url'), { waitUntil: 'load' });
await page.type('#account', 'ops-1');
await page.type('#password', credentials(opt('credentials'), 'ops-1'));
await page.click('#signin-go');
await page.waitForFunction((id) => /seats taken/.test(document.getElementById(`attr-${id}-chart-slots`)?.getAttribute('aria-label') || ''),
	{ timeout: 20000 }, attraction);

const ops = await client(`mqtt://${opt('broker')}`, 'ops-2');
await ops.subscribeAsync(`${prefix}reply/ops-2`, { qos: 1 });
let rid = 0;
const waiting = new Map();
ops.on('message', (_t, payload) => {
	const r = JSON.parse(payload.toString());
	waiting.get(r.rid)?.(r);
});
function command(body) {
	const id = `bench-console-${Date.now()}-${rid++}`;
	const replied = new Promise((ok) => waiting.set(id, ok));
	const t0 = Date.now();
	ops.publish(`${prefix}svc/ops/ops-2`, JSON.stringify({ v: 1, rid: id, ...body }),
		{ qos: 1, properties: { responseTopic: `${prefix}reply/ops-2` } });
	return { t0, replied };
}
async function shown(kind, n) {
	const h = await page.waitForFunction((k, m) => window.__seen[k].length > m && window.__seen[k].at(-1), { timeout: 15000, polling: 'mutation' }, kind, n);
	return h.jsonValue();
}

// state change to screen
const text = [];
const answer = [];
for (let i = 0; i < changes; i++) {
	const n = await page.evaluate(() => window.__seen.text.length);
	const { t0, replied } = command({ cmd: 'standby', attraction, minutes: 30 + (i % 2) });
	const [r, s] = await Promise.all([replied.then((x) => ({ x, at: Date.now() })), shown('text', n)]);
	if (!r.x.ok) throw new Error(`standby: ${JSON.stringify(r.x)}`);
	answer.push(r.at - t0);
	text.push(s.at - t0);
	await sleep(250); // past vqd's 200 ms coalescing of one attraction's state
}

// change to chart
const chart = [];
for (let i = 0; i < chartChanges; i++) {
	await sleep(2500);
	const n = await page.evaluate(() => window.__seen.chart.length);
	const { t0, replied } = command({ cmd: 'capacity', attraction, throughput_per_hour: 1200 + 60 * ((i % 2) + 1) });
	const [r, s] = await Promise.all([replied, shown('chart', n)]);
	if (!r.ok) throw new Error(`capacity: ${JSON.stringify(r)}`);
	chart.push(s.at - t0);
}

// the bare cost on the same path
const ws = await client(opt('ws'), 'ops-3');
await ws.subscribeAsync(`${prefix}state/_bench`, { qos: 0 });
const raw = await client(`mqtt://${opt('broker')}`, 'bench-vqd');
const bare = [];
for (let i = 0; i < changes; i++) {
	const got = new Promise((r) => ws.once('message', () => r(performance.now())));
	const t0 = performance.now();
	raw.publish(`${prefix}state/_bench`, String(i), { qos: 0 });
	bare.push((await got) - t0);
	await sleep(20);
}
raw.end();
ws.end();
ops.end();
await browser.close();
rmSync(profile, { recursive: true, force: true });

console.log(`console: ${changes} state changes and ${chartChanges} capacity changes of ${attraction} by another operator`);
line('state change -> screen ms', text, '  (goal p99 < 200)');
line('  of which vqd answered ms', answer);
line('capacity change -> chart ms', chart, '  (one ops slots round trip more)');
line('bare message ms', bare, '  (site broker -> lighttpd /console/mqtt -> MQTT.js)');
process.exit(0);
