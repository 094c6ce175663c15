// web/lib/link.js — a page's MQTT link to its site (MQTT.js over WebSockets), shared by
// every page in web/.
//
// Owns the connection (same origin: path /mqtt, which the web server carries to the web
// broker, for phones; /console/mqtt, carried to the site broker, for the operators' console),
// reconnecting, the site's topic prefix, subscriptions, and request/reply: a
// request goes to <prefix><verb>/<clientId> with the MQTT 5 Response Topic
// <prefix><replyFamily>/<clientId> and Correlation Data of its own, and its reply is the
// message there with the same correlation data (vqd echoes it), or else the same "rid"
// (vqd echoes that too, except on a refusal it gave unread, such as rate_limited). A page learns its site from the first message it receives: it
// subscribes with a wildcard at the site level, and the broker's ACL delivers only its
// one site's topics.
//
// Invariants: at most one request per rid is waiting; every wait ends (reply, timeout or
// close); the page hears of every change of the link's state through onLink.
import mqtt from 'mqtt';

// 128 random bits as 32 lowercase hex digits: a phone's client id, which the web broker's
// ACL makes its only request/reply pair (broker-config/README.md).
export function visitorId() {
	const b = new Uint8Array(16);
	crypto.getRandomValues(b);
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function brokerUrl(loc = window.location, path = '/mqtt') {
	return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${path}`;
}

export class Link {
	// opts: { url, clientId, username?, password?, replyFamily, filters: ['state/#', ...],
	//         onMessage(suffix, text, retained), onLink({connected}), onSite(site),
	//         onRefused(reasonCode) }
	// onRefused: the broker refused the CONNECT (134 bad user name or password, 135 not
	// authorized); MQTT.js then stops reconnecting, since trying again cannot help.
	constructor(opts) {
		this.opts = opts;
		this.site = null;
		this.pending = new Map(); // rid -> { resolve, reject, timer, corr }
		this.corrs = new Map(); // correlation data -> rid
		this.rids = 0;
		this.sends = 0;
		this.connected = false;
		const client = mqtt.connect(opts.url, {
			protocolVersion: 5,
			clientId: opts.clientId,
			username: opts.username,
			password: opts.password,
			clean: true,
			keepalive: 30,
			reconnectPeriod: 2000,
			connectTimeout: 10000,
			resubscribe: true,
		});
		this.client = client;
		const filters = [...opts.filters, `${opts.replyFamily}/${opts.clientId}`];
		client.on('connect', () => {
			client.subscribe(
				filters.map((f) => `vq/v1/+/${f}`),
				{ qos: 1 },
				(err) => {
					this.connected = !err;
					opts.onLink?.({ connected: this.connected });
				},
			);
		});
		const down = () => {
			if (this.connected) {
				this.connected = false;
				opts.onLink?.({ connected: false });
			}
		};
		client.on('close', down);
		client.on('offline', down);
		client.on('error', (e) => {
			// anything else: it reconnects by itself, and the state says enough
			if (e?.code === 134 || e?.code === 135) opts.onRefused?.(e.code);
		});
		client.on('message', (topic, payload, packet) => this.#message(topic, payload, packet));
	}

	#message(topic, payload, packet) {
		const m = /^vq\/v1\/([a-z0-9_-]{1,31})\/(.+)$/.exec(topic);
		if (!m) return;
		if (!this.site) {
			this.site = m[1];
			this.opts.onSite?.(this.site);
		}
		if (m[1] !== this.site) return;
		const suffix = m[2];
		const text = new TextDecoder().decode(payload);
		if (suffix === `${this.opts.replyFamily}/${this.opts.clientId}`) {
			let reply;
			try {
				reply = JSON.parse(text);
			} catch {
				return;
			}
			const cd = packet.properties?.correlationData;
			const byCorr = cd ? this.corrs.get(new TextDecoder().decode(cd)) : undefined;
			const rid = byCorr ?? reply?.rid;
			const w = reply && this.pending.get(rid);
			if (w) {
				this.#forget(rid);
				w.resolve(reply);
			}
			return;
		}
		this.opts.onMessage?.(suffix, text, packet.retain);
	}

	// One more subscription ("state/coaster"), kept across reconnects; the site must be
	// known (onSite) and the same filter is subscribed once.
	subscribe(filter) {
		if (!this.site) return;
		const topic = `vq/v1/${this.site}/${filter}`;
		this.extra ??= new Set();
		if (this.extra.has(topic)) return;
		this.extra.add(topic);
		this.client.subscribe(topic, { qos: 1 });
	}

	#forget(rid) {
		const w = this.pending.get(rid);
		if (!w) return;
		clearTimeout(w.timer);
		this.corrs.delete(w.corr);
		this.pending.delete(rid);
	}

	// A fresh request id, unique for this page load.
	rid(tag) {
		this.rids += 1;
		return `${tag}-${Date.now().toString(36)}-${this.rids}`;
	}

	// Sends body (an object with "rid") as verb ("web/svc/ticket") and resolves with the
	// reply object; rejects with Error('timeout'), Error('offline'), or Error('denied')
	// when the broker refused the request (PUBACK 0x87: the ACL gives this account no such
	// verb, so no answer can come).
	request(verb, body, timeoutMs = 8000) {
		if (!this.site || !this.connected) return Promise.reject(new Error('offline'));
		const { clientId, replyFamily } = this.opts;
		const prefix = `vq/v1/${this.site}/`;
		const before = this.pending.get(body.rid);
		if (before) {
			// the same rid sent again: the earlier wait gives way to this one
			this.#forget(body.rid);
			before.reject(new Error('timeout'));
		}
		// fresh for every send, so a reply is known even when vqd could not read its rid
		this.sends += 1;
		const corr = `${clientId}-${Date.now().toString(36)}-${this.sends}`;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#forget(body.rid);
				reject(new Error('timeout'));
			}, timeoutMs);
			this.pending.set(body.rid, { resolve, reject, timer, corr });
			this.corrs.set(corr, body.rid);
			this.client.publish(
				`${prefix}${verb}/${clientId}`,
				JSON.stringify({ v: 1, ...body }),
				{ qos: 1, properties: { responseTopic: `${prefix}${replyFamily}/${clientId}`, correlationData: corr } },
				(err) => {
					if (err && this.pending.get(body.rid)?.corr === corr) {
						this.#forget(body.rid);
						reject(new Error(err.code === 135 ? 'denied' : 'offline'));
					}
				},
			);
		});
	}

	// Disconnects for good (signing out); every waiting request ends with 'offline'.
	close() {
		for (const [rid, w] of this.pending) {
			this.#forget(rid);
			w.reject(new Error('offline'));
		}
		this.client.end(true);
	}
}
