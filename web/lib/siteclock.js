// web/lib/siteclock.js — the site's clock as a page sees it: vqd's time, which a demo may
// run fast or start at another hour, carried forward by the browser's monotonic clock.
//
// Owns the model now(t) = base + (t - at) * speed, where (base, at, speed) come from vqd
// (a reply's "clock") or from live state messages ("updated", whole seconds). Invariant:
// a sample from vqd moves the model only when it disagrees by more than the seconds'
// rounding, so the countdown does not jitter; and time never runs backwards on screen by
// less than that.
export class SiteClock {
	constructor() {
		this.base = Date.now() / 1000;
		this.at = performance.now();
		this.speed = 1;
		this.known = false; // false until vqd has told us its time
	}

	now() {
		return this.base + ((performance.now() - this.at) / 1000) * this.speed;
	}

	// vqd's clock as it answered a request: exact now and speed.
	set(now, speed) {
		if (speed > 0) this.speed = speed;
		this.#sample(now, 0.5);
		this.known = true;
	}

	// vqd's clock speed alone: from a retained message, whose time is old but whose speed
	// is not. The time shown so far carries on from here at the new speed.
	setSpeed(speed) {
		if (!(speed > 0) || speed === this.speed) return;
		this.base = this.now();
		this.at = performance.now();
		this.speed = speed;
	}

	// A state message vqd published just now ("updated", rounded down to the second).
	hint(updated) {
		if (!this.known) {
			this.#sample(updated + 0.5, 0);
			return;
		}
		const lag = this.now() - updated;
		// a live message is never from the future, and is at most a second (of the site's
		// time, plus transit) old
		if (lag < 0 || lag > 1 + this.speed) this.#sample(updated + 0.5, 0);
	}

	#sample(now, slack) {
		if (Math.abs(this.now() - now) > slack) {
			this.base = now;
			this.at = performance.now();
		}
	}
}
