// tests/browser/driver.mjs — Debian's chromium, headless, driven by puppeteer-core, on
// behalf of a test program written in C (tests/support/browser.c). Every page of web/
// is tested through it; the assertions stay in the Check tests.
//
// Protocol: one JSON object per line each way. The driver first writes
//   {"ready":true,"version":"<chromium version>"}
// or, when chromium cannot run here, {"skip":"<why>"} and exits 77. Then each request
// {"id":N,"cmd":"…",…} gets exactly one answer {"id":N,"ok":true,"value":…} or
// {"id":N,"ok":false,"error":"…"}. Commands:
//   open    url, lang ("en"), notifications (bool), viewport (optional {width, height}:
//           a desktop screen; default a phone): a new page with the browser's languages
//           set to lang, spies on vibrate, notifications and sound (window.__vqSpy), the
//           page's console kept; value: the final URL
//   text    selector: {"text","visible"} of the first match, or null
//   wait    selector, contains (text, optional), hidden (bool), timeout_ms: until it holds;
//           value: {"ms","text"}
//   click   selector
//   type    selector, text: focuses the field, deletes what it holds and types text, key
//           by key, as a person would
//   eval    expr: a JavaScript expression in the page; value: its JSON result
//   axe     the page audited by axe-core (WCAG 2.x A and AA); value: the violations
//   shot    path, selector (optional): a PNG screenshot
//   metrics value: {"fcp_ms","transfer_bytes","resources"} from the page's own timing
//   console value: the page's console messages and errors so far
//   close   closes the page
// stdin closing ends the driver (and chromium) at once.
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

// the npm packages live in web/ (web/package-lock.json, installed by tools/setup-deps)
const require = createRequire(new URL('../../web/package.json', import.meta.url));
let puppeteer, axeSource;
try {
	puppeteer = require('puppeteer-core');
	axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch {
	out({ skip: 'puppeteer-core or axe-core is not installed in web/ (run tools/setup-deps)' });
	process.exit(77);
}

const exe = process.env.VQ_CHROMIUM || '/usr/bin/chromium';
const profile = mkdtempSync(join(tmpdir(), 'vq-chromium-'));
let browser;
try {
	browser = await puppeteer.launch({
		executablePath: exe,
		headless: true,
		userDataDir: profile,
		// as root in a sandbox with no network: no sandbox, no GPU, nothing that calls home
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--disable-dev-shm-usage',
			'--autoplay-policy=no-user-gesture-required',
		],
		timeout: 30000,
		pipe: true, // chromium ends with the driver, however the driver ends
	});
} catch (e) {
	rmSync(profile, { recursive: true, force: true });
	out({ skip: `chromium (${exe}) cannot run here: ${String(e.message).split('\n')[0]}` });
	process.exit(77);
}

let page = null;
let logs = [];

// Spies installed before any script of the page runs: what the page asked the phone to
// do, as the phone's own APIs saw it.
function spies() {
	const spy = { vibrate: [], notifications: [], tones: 0 };
	Object.defineProperty(window, '__vqSpy', { value: spy });
	navigator.vibrate = (p) => (spy.vibrate.push(p), true);
	const N = window.Notification;
	if (N) {
		const Fake = function (title, opts) {
			spy.notifications.push({ title, body: opts?.body || '' });
			return new N(title, opts);
		};
		Object.defineProperty(Fake, 'permission', { get: () => N.permission });
		Fake.requestPermission = (...a) => N.requestPermission(...a);
		window.Notification = Fake;
	}
	if (window.ServiceWorkerRegistration) {
		const show = ServiceWorkerRegistration.prototype.showNotification;
		ServiceWorkerRegistration.prototype.showNotification = function (title, opts) {
			spy.notifications.push({ title, body: opts?.body || '' });
			return show.call(this, title, opts);
		};
	}
	const start = window.OscillatorNode?.prototype.start;
	if (start) {
		OscillatorNode.prototype.start = function (...a) {
			spy.tones += 1;
			return start.apply(this, a);
		};
	}
}

async function open(req) {
	if (page) await page.close();
	logs = [];
	const ctx = browser.defaultBrowserContext();
	const origin = new URL(req.url).origin;
	await ctx.clearPermissionOverrides();
	if (req.notifications) await ctx.overridePermissions(origin, ['notifications']);
	page = await browser.newPage();
	page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
	page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
	const lang = req.lang || 'en';
	await page.setViewport(
		req.viewport
			? { width: req.viewport.width, height: req.viewport.height, deviceScaleFactor: 1 }
			: { width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
	);
	await page.setExtraHTTPHeaders({ 'Accept-Language': lang });
	await page.evaluateOnNewDocument((l) => {
		Object.defineProperty(navigator, 'languages', { get: () => [l] });
		Object.defineProperty(navigator, 'language', { get: () => l });
	}, lang);
	await page.evaluateOnNewDocument(spies);
	await page.goto(req.url, { waitUntil: 'load', timeout: 15000 });
	return page.url();
}

async function text(req) {
	return page.evaluate((sel) => {
		const el = document.querySelector(sel);
		if (!el) return null;
		const r = el.getBoundingClientRect();
		const visible = !el.closest('[hidden]') && r.width > 0 && r.height > 0;
		return { text: el.textContent.trim(), visible };
	}, req.selector);
}

async function wait(req) {
	const t0 = Date.now();
	const fn = (sel, contains, hidden) => {
		const el = document.querySelector(sel);
		if (!el) return hidden ? '' : false;
		const r = el.getBoundingClientRect();
		const visible = !el.closest('[hidden]') && r.width > 0 && r.height > 0;
		if (hidden) return visible ? false : el.textContent.trim();
		if (!visible) return false;
		const t = el.textContent.trim();
		return !contains || t.includes(contains) ? t : false;
	};
	const h = await page.waitForFunction(fn, { timeout: req.timeout_ms || 10000, polling: 50 }, req.selector,
		req.contains || '', !!req.hidden);
	const value = await h.jsonValue();
	return { ms: Date.now() - t0, text: value };
}

async function metrics() {
	return page.evaluate(() => {
		const fcp = performance.getEntriesByName('first-contentful-paint')[0];
		const nav = performance.getEntriesByType('navigation')[0];
		const res = performance.getEntriesByType('resource');
		const bytes = (nav?.transferSize || 0) + res.reduce((n, r) => n + (r.transferSize || 0), 0);
		return {
			fcp_ms: fcp ? Math.round(fcp.startTime) : null,
			transfer_bytes: bytes,
			resources: [nav, ...res].filter(Boolean).map((r) => ({ name: r.name, bytes: r.transferSize })),
		};
	});
}

const commands = {
	open,
	text,
	wait,
	click: async (req) => (await page.click(req.selector), true),
	type: async (req) => {
		await page.$eval(req.selector, (e) => (e.focus(), e.select?.()));
		await page.keyboard.press('Backspace');
		await page.type(req.selector, req.text);
		return true;
	},
	eval: async (req) => page.evaluate(`JSON.parse(JSON.stringify(${req.expr}) ?? 'null')`),
	axe: async () => {
		await page.evaluate(axeSource);
		const r = await page.evaluate(() =>
			window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
		);
		return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
	},
	shot: async (req) => {
		const target = req.selector ? await page.$(req.selector) : page;
		await target.screenshot({ path: req.path });
		return req.path;
	},
	metrics,
	console: async () => logs,
	close: async () => {
		if (page) await page.close();
		page = null;
		return true;
	},
};

async function quit(code) {
	try {
		await browser.close();
	} finally {
		rmSync(profile, { recursive: true, force: true });
		process.exit(code);
	}
}

out({ ready: true, version: await browser.version() });
const rl = createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
	queue = queue.then(async () => {
		let req;
		try {
			req = JSON.parse(line);
		} catch {
			out({ id: null, ok: false, error: 'not JSON' });
			return;
		}
		const fn = commands[req.cmd];
		if (!fn) return out({ id: req.id, ok: false, error: `unknown command ${req.cmd}` });
		if (!page && !['open', 'close'].includes(req.cmd)) return out({ id: req.id, ok: false, error: 'no page open' });
		try {
			out({ id: req.id, ok: true, value: (await fn(req)) ?? null });
		} catch (e) {
			out({ id: req.id, ok: false, error: String(e.message || e).split('\n')[0] });
		}
	});
});
rl.on('close', () => queue.then(() => quit(0)));
