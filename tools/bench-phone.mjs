// tools/bench-phone.mjs — what a guest's phone costs and sees, measured; run by
// tools/bench-phone (the page) and tools/bench-mqtt --phones N (the crowd), which start
// the site, the web broker and the web server first.
//
//   node tools/bench-phone.mjs page    --url URL [--rounds N] [--label L]
//   node tools/bench-phone.mjs latency --url URL --broker HOST:PORT --site S
//                                      --credentials FILE [--changes N] [--label L]
//   node tools/bench-phone.mjs phones  --ws URL --site S --count N --code CODE
//                                      [--ramp-s S] [--seconds S] [--refresh-s S]
//
// page:    N cold loads (a fresh browser profile each, nothing cached) in Debian's headless
//          chromium: first contentful paint, the moment the ticket shows, bytes transferred.
// latency: the page open; an operator closes and reopens the ticket's attraction N times
//          (svc/ops over MQTT, as vqctl does); from the request sent to the page's text
//          changing (a MutationObserver in the page stamps it). Beside it, in the same run,
//          the bare cost: a message published on the site broker to a client on the web
//          broker's WebSocket path, through the bridge and the web server.
// phones:  N MQTT.js clients over WebSockets as the page makes them (random 128-bit id;
//          state/_site, their attraction's web/state, presence/vqd, web/bridge, their reply
//          topic), each asking for its
//          ticket on connect and every --refresh-s (60, as the page) with jitter; runs
//          until stdin closes or --seconds pass, printing one line of counts every 5 s.
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// the npm packages live in web/ (web/package-lock.json, installed by tools/setup-deps)
const require = createRequire(new URL('../web/package.json', import.meta.url));
const mqtt = require('mqtt');

const args = process.argv.slice(3);
const opt = (name, dflt) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 ? args[i + 1] : dflt;
};
const mode = process.argv[2];

const pct = (xs, p) => {
	if (!xs.length) return NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const hex = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, '0')).join('');

async function chromium() {
	const puppeteer = require('puppeteer-core');
	const profile = mkdtempSync(join(tmpdir(), 'vq-bench-chromium-'));
	const browser = await puppeteer.launch({
		executablePath: process.env.VQ_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		userDataDir: profile,
		pipe: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
	});
	return { browser, done: async () => (await browser.close(), rmSync(profile, { recursive: true, force: true })) };
}

async function phonePage(browser) {
	const ctx = await browser.createBrowserContext(); // no cache, no storage: a cold phone
	const page = await ctx.newPage();
	await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
	return { ctx, page };
}

async function page() {
	const url = opt('url');
	const rounds = Number(opt('rounds', 20));
	const { browser, done } = await chromium();
	const fcp = [], shown = [], bytes = [];
	let failed = '';
	for (let i = 0; i < rounds; i++) {
		const { ctx, page: p } = await phonePage(browser);
		const errors = [];
		p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
		const t0 = Date.now();
		await p.goto(url, { waitUntil: 'load' });
		try {
			await p.waitForFunction(() => !document.getElementById('ticket').hidden, { polling: 'mutation', timeout: 10000 });
			shown.push(Date.now() - t0);
		} catch {
			failed = errors[0] || 'the ticket never showed';
		}
		const m = await p.evaluate(() => {
			const nav = performance.getEntriesByType('navigation')[0];
			const res = performance.getEntriesByType('resource');
			const f = performance.getEntriesByName('first-contentful-paint')[0];
			return { fcp: f ? f.startTime : NaN, bytes: nav.transferSize + res.reduce((n, r) => n + r.transferSize, 0) };
		});
		fcp.push(m.fcp);
		bytes.push(m.bytes);
		await ctx.close();
	}
	await done();
	const label = opt('label', url);
	console.log(`page ${label}: ${rounds} cold loads`);
	console.log(`  transferred        ${bytes[0]} bytes (${(bytes[0] / 1024).toFixed(1)} KiB; goal < 150 KiB)`);
	if (failed) console.log(`  the page does not work: ${failed}`);
	console.log(`  first paint ms     p50 ${f1(pct(fcp, 0.5))}  p99 ${f1(pct(fcp, 0.99))}  max ${f1(Math.max(...fcp))}`);
	console.log(`  ticket shown ms    p50 ${f1(pct(shown, 0.5))}  p99 ${f1(pct(shown, 0.99))}  max ${f1(Math.max(...shown))}`);
}

function credentials(file, account) {
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		const [name, , pass] = line.trim().split(/\s+/);
		if (name === account) return pass;
	}
	throw new Error(`no ${account} in ${file}`);
}

function siteClient(broker, account, file) {
	const c = mqtt.connect(`mqtt://${broker}`, {
		protocolVersion: 5,
		clientId: account,
		username: account,
		password: credentials(file, account),
		clean: true,
	});
	return new Promise((ok, fail) => (c.once('connect', () => ok(c)), c.once('error', fail)));
}

async function latency() {
	const url = opt('url');
	const site = opt('site');
	const changes = Number(opt('changes', 100));
	if (opt('bare-only')) return bareOnly(site, changes);
	const ops = await siteClient(opt('broker'), 'ops-1', opt('credentials'));
	const prefix = `vq/v1/${site}/`;
	// vqd's replies to the operator: the next change waits for the last to be decided
	await ops.subscribeAsync(`${prefix}reply/ops-1`, { qos: 1 });
	const { browser, done } = await chromium();
	const { page: p } = await phonePage(browser);
	await p.evaluateOnNewDocument(() => {
		window.__changes = [];
		new MutationObserver(() => {
			const t = document.getElementById('phase')?.textContent || '';
			const last = window.__changes.at(-1);
			if (!last || last.text !== t) window.__changes.push({ at: performance.timeOrigin + performance.now(), text: t });
		}).observe(document, { subtree: true, childList: true, characterData: true });
	});
	await p.goto(url, { waitUntil: 'load' });
	await p.waitForFunction(() => !document.getElementById('ticket').hidden, { timeout: 15000 });
	const attraction = await p.evaluate(() => document.getElementById('attraction').textContent);
	const ms = [];
	let rid = 0;
	for (let i = 0; i < changes; i++) {
		const cmd = i % 2 === 0 ? 'close' : 'reopen';
		const seen = await p.evaluate(() => window.__changes.length);
		const t0 = Date.now();
		ops.publish(`${prefix}svc/ops/ops-1`, JSON.stringify({ v: 1, rid: `bench-phone-${Date.now()}-${rid++}`, cmd, attraction: opt('attraction', 'coaster') }),
			{ qos: 1, properties: { responseTopic: `${prefix}reply/ops-1` } });
		const h = await p.waitForFunction((n) => window.__changes.length > n && window.__changes.at(-1), { timeout: 10000, polling: 'mutation' }, seen);
		const c = await h.jsonValue();
		ms.push(c.at - t0);
		await new Promise((r) => setTimeout(r, 250)); // past vqd's 200 ms coalescing of one attraction
	}
	ops.end();
	await done();
	console.log(`latency ${opt('label', url)}: ${changes} state changes (${attraction} closed / reopened)`);
	console.log(`  request -> page ms   p50 ${f1(pct(ms, 0.5))}  p99 ${f1(pct(ms, 0.99))}  max ${f1(Math.max(...ms))}  (goal p99 < 200)`);
	await bareOnly(site, changes);
}

// The bare cost: a message published on the site broker, through the bridge and the web
// broker, to an MQTT.js client on the WebSocket path --ws.
async function bareOnly(site, changes) {
	const prefix = `vq/v1/${site}/`;
	const ws = mqtt.connect(opt('ws'), { protocolVersion: 5, clientId: hex(), clean: true });
	await new Promise((r) => ws.once('connect', r));
	await ws.subscribeAsync(`${prefix}web/state/_bench`, { qos: 0 });
	const raw = await siteClient(opt('broker'), 'bench-vqd', opt('credentials'));
	const bare = [];
	for (let i = 0; i < changes; i++) {
		const got = new Promise((r) => ws.once('message', () => r(performance.now())));
		const t0 = performance.now();
		raw.publish(`${prefix}web/state/_bench`, String(i), { qos: 0 });
		bare.push((await got) - t0);
		await new Promise((r) => setTimeout(r, 20));
	}
	raw.end();
	ws.end();
	console.log(`  bare message ms      p50 ${f1(pct(bare, 0.5))}  p99 ${f1(pct(bare, 0.99))}  max ${f1(Math.max(...bare))}  (site broker -> bridge -> ${opt('label', '')} WebSocket)`);
}

async function phones() {
	const url = opt('ws');
	const site = opt('site');
	const count = Number(opt('count', 1000));
	const code = opt('code');
	const rampMs = Number(opt('ramp-s', 10)) * 1000;
	const refreshMs = Number(opt('refresh-s', 60)) * 1000;
	const seconds = Number(opt('seconds', 0));
	const prefix = `vq/v1/${site}/`;
	const stats = { connected: 0, messages: 0, asked: 0, answered: 0, refused: 0, errors: 0 };
	const clients = [];
	const ask = (c, id) => {
		stats.asked++;
		c.publish(`${prefix}web/svc/ticket/${id}`, JSON.stringify({ v: 1, rid: `p-${Date.now()}`, code }),
			{ qos: 1, properties: { responseTopic: `${prefix}web/reply/${id}` } });
	};
	for (let i = 0; i < count; i++) {
		const id = hex();
		const c = mqtt.connect(url, { protocolVersion: 5, clientId: id, clean: true, keepalive: 30, reconnectPeriod: 5000 });
		c.on('connect', () => {
			stats.connected++;
			c.subscribe([`${prefix}state/_site`, `${prefix}web/state/${opt('attraction', 'coaster')}`, `${prefix}presence/vqd`, `${prefix}web/bridge`,
				`${prefix}web/reply/${id}`], { qos: 1 }, () => ask(c, id));
		});
		c.on('close', () => stats.connected > 0 && stats.connected--);
		c.on('error', () => stats.errors++);
		c.on('message', (t, payload) => {
			stats.messages++;
			if (t.endsWith(`/web/reply/${id}`)) {
				if (payload.includes('"ok":true')) stats.answered++;
				else stats.refused++;
			}
		});
		// a crowd that came at different times: each phone's minute starts anywhere
		const client = { c, timer: null };
		client.timer = setTimeout(() => {
			ask(c, id);
			client.timer = setInterval(() => c.connected && ask(c, id), refreshMs + Math.random() * 10000);
		}, Math.random() * refreshMs);
		clients.push(client);
		await new Promise((r) => setTimeout(r, rampMs / count));
	}
	const t0 = Date.now();
	let last = { ...stats };
	const tick = setInterval(() => {
		const s = (Date.now() - t0) / 1000;
		console.log(`phones t=${s.toFixed(0)}s connected ${stats.connected}/${count}  messages/s ${((stats.messages - last.messages) / 5).toFixed(0)}  asked ${stats.asked}  answered ${stats.answered}  refused ${stats.refused}  errors ${stats.errors}`);
		last = { ...stats };
	}, 5000);
	console.log(`phones ready ${stats.connected}/${count}`);
	const stop = () => {
		clearInterval(tick);
		for (const { c, timer } of clients) {
			clearTimeout(timer);
			clearInterval(timer);
			c.end(true);
		}
		console.log(`phones done: asked ${stats.asked}, answered ${stats.answered}, refused ${stats.refused}, messages ${stats.messages}, errors ${stats.errors}`);
		setTimeout(() => process.exit(0), 500);
	};
	process.stdin.on('end', stop);
	process.stdin.resume();
	if (seconds > 0) setTimeout(stop, seconds * 1000);
}

const modes = { page, latency, phones };
if (!modes[mode]) {
	console.error('usage: node tools/bench-phone.mjs page|latency|phones [options] (see the file)');
	process.exit(2);
}
await modes[mode]();
if (mode !== 'phones') process.exit(0);
