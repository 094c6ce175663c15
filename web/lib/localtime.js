// web/lib/localtime.js — local time for people, in pages: the same rule as the C programs'
// clock/timefmt.c, so a phone and the kiosk that printed its ticket agree on every day.
//
//   "14:05"          a time the site's clock shows once;
//   "03:30 UTC+3"    a time the clock shows twice (the clocks go back over it): the offset
//   "03:30 UTC+2"    tells the two apart;
//   "14:05"          a zone this browser does not know: its own zone, as before.
// Offsets come from the browser's own tz database (Intl), never from a table of ours.

const PROBE_S = 3 * 3600; // as VQ_ZONE_PROBE_S: no zone changes twice closer than this

// Seconds east of UTC of zone at unix (seconds), or null if the browser does not know it.
export function zoneOffset(zone, unix) {
	let parts;
	try {
		parts = new Intl.DateTimeFormat('en-US', {
			timeZone: zone,
			hourCycle: 'h23',
			year: 'numeric', month: 'numeric', day: 'numeric',
			hour: 'numeric', minute: 'numeric', second: 'numeric',
		}).formatToParts(new Date(unix * 1000));
	} catch {
		return null;
	}
	const v = Object.fromEntries(parts.map((p) => [p.type, Number(p.value)]));
	const wall = Date.UTC(v.year, v.month - 1, v.day, v.hour % 24, v.minute, v.second) / 1000;
	return Math.round((wall - Math.floor(unix)) / 60) * 60;
}

// "UTC+3", "UTC-3:30", "UTC" (as vq_time_offset_name).
export function offsetName(off) {
	if (off === 0) return 'UTC';
	const sign = off < 0 ? '-' : '+';
	const a = Math.abs(off);
	const h = Math.floor(a / 3600);
	const m = Math.floor((a % 3600) / 60);
	return m ? `UTC${sign}${h}:${String(m).padStart(2, '0')}` : `UTC${sign}${h}`;
}

// Whether another instant shows the same wall time as unix (whose offset is off).
export function shownTwice(zone, unix, off) {
	const after = zoneOffset(zone, unix + PROBE_S);
	const before = zoneOffset(zone, unix - PROBE_S);
	if (after === null || before === null) return false;
	// clocks go back later: the same wall time comes again (off - after) later
	if (after < off && zoneOffset(zone, unix + (off - after)) === after) return true;
	// clocks went back before: it was shown (before - off) earlier
	if (before > off && zoneOffset(zone, unix - (before - off)) === before) return true;
	return false;
}

// "HH:MM" in zone, with the offset where that time occurs twice.
export function hhmm(zone, unix, lang = 'en') {
	const opts = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
	const off = zone ? zoneOffset(zone, unix) : null;
	if (off === null) return new Intl.DateTimeFormat(lang, opts).format(new Date(unix * 1000));
	const text = new Intl.DateTimeFormat(lang, { ...opts, timeZone: zone }).format(
		new Date(unix * 1000),
	);
	return shownTwice(zone, unix, off) ? `${text} ${offsetName(off)}` : text;
}
