/* core/day.c — a local day as instants, from a timeline of UTC offsets (see day.h).
 *
 * Owns the arithmetic of wall-clock time against real time; not the zone's data (the
 * I/O layer reads the tz database). Pure: no clock, no environment, no allocation.
 * Wall time here is "t + offset" in seconds, so the local midnight that begins date D is
 * the wall time D * 86400 whatever the offsets. Within one span wall time runs with real
 * time; between spans it jumps forward (a gap) or back (a time shown twice).
 * Invariant of every day built here: vq_day_check(day) == VQ_OK.
 */
#include "day.h"

#define MAX_OFFSET   (26 * 3600)
#define MAX_DATE     (1 << 26) /* ~180,000 years either way: instants stay far from overflow */
#define SECS_PER_DAY 86400

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

static int64_t wall_midnight(int32_t date)
{
	return (int64_t)date * SECS_PER_DAY;
}

/* The first instant of the timeline whose wall time is at least w, or INT64_MAX. */
static int64_t first_reaching(const vq_offset_span *tl, int n, int64_t tl_end, int64_t w)
{
	for (int i = 0; i < n; i++) {
		int64_t a = tl[i].from, b = i + 1 < n ? tl[i + 1].from : tl_end;
		int64_t t = w - tl[i].offset;
		if (t < a)
			t = a;
		if (t < b)
			return t;
	}
	return INT64_MAX;
}

static int timeline_ok(const vq_offset_span *tl, int n, int64_t tl_end)
{
	if (!tl || n < 1)
		return 0;
	for (int i = 0; i < n; i++) {
		if (tl[i].offset < -MAX_OFFSET || tl[i].offset > MAX_OFFSET)
			return 0;
		int64_t next = i + 1 < n ? tl[i + 1].from : tl_end;
		if (next <= tl[i].from)
			return 0;
	}
	return 1;
}

int vq_day_make(int32_t date, const vq_offset_span *tl, int n, int64_t tl_end, vq_day *out)
{
	if (!out || date < -MAX_DATE || date > MAX_DATE || !timeline_ok(tl, n, tl_end))
		return VQ_EINVAL;
	int64_t w0 = wall_midnight(date);
	int64_t start = first_reaching(tl, n, tl_end, w0);
	int64_t end = first_reaching(tl, n, tl_end, w0 + SECS_PER_DAY);
	/* room on both sides: the timeline began before the day and goes on after it */
	if (start <= tl[0].from || end == INT64_MAX || end >= tl_end)
		return VQ_EINVAL;

	vq_day d = {.date = date, .start = start, .end = end, .nspans = 0};
	for (int i = 0; i < n; i++) {
		int64_t a = tl[i].from, b = i + 1 < n ? tl[i + 1].from : tl_end;
		if (b <= start || (a >= end && d.nspans > 0))
			continue;
		if (d.nspans > 0 && d.spans[d.nspans - 1].offset == tl[i].offset)
			continue; /* the same offset again: no change of wall time */
		if (d.nspans == VQ_DAY_MAX_SPANS)
			return VQ_EINVAL;
		d.spans[d.nspans].from = a > start ? a : start;
		d.spans[d.nspans].offset = tl[i].offset;
		d.nspans++;
		if (start == end)
			break; /* a date the zone skipped: one span at its instant */
	}
	*out = d;
	return VQ_OK;
}

int vq_day_fixed(int32_t date, int32_t offset, vq_day *out)
{
	if (!out || date < -MAX_DATE || date > MAX_DATE || offset < -MAX_OFFSET ||
	    offset > MAX_OFFSET)
		return VQ_EINVAL;
	vq_day d = {.date = date, .nspans = 1};
	d.start = wall_midnight(date) - offset;
	d.end = d.start + SECS_PER_DAY;
	d.spans[0].from = d.start;
	d.spans[0].offset = offset;
	*out = d;
	return VQ_OK;
}

static int64_t span_end(const vq_day *d, int i)
{
	return i + 1 < d->nspans ? d->spans[i + 1].from : d->end;
}

int vq_day_check(const vq_day *d)
{
	if (!d || d->date < -MAX_DATE || d->date > MAX_DATE || d->start > d->end || d->nspans < 1 ||
	    d->nspans > VQ_DAY_MAX_SPANS || d->spans[0].from != d->start)
		return VQ_EINVAL;
	int64_t w0 = wall_midnight(d->date);
	if (d->end - d->start > 2 * SECS_PER_DAY)
		return VQ_EINVAL;
	for (int i = 0; i < d->nspans; i++) {
		const vq_offset_span *s = &d->spans[i];
		if (s->offset < -MAX_OFFSET || s->offset > MAX_OFFSET)
			return VQ_EINVAL;
		if (i > 0 &&
		    (s->from <= d->spans[i - 1].from || s->offset == d->spans[i - 1].offset))
			return VQ_EINVAL;
		if (d->start == d->end) {
			if (d->nspans != 1)
				return VQ_EINVAL;
			break;
		}
		/* every instant of the day shows a wall time before the next midnight */
		if (s->from >= d->end || span_end(d, i) - 1 + s->offset >= w0 + SECS_PER_DAY)
			return VQ_EINVAL;
	}
	/* and its first instant shows this date (or a later one, after a gap) */
	if (d->start + d->spans[0].offset < w0)
		return VQ_EINVAL;
	return VQ_OK;
}

int64_t vq_day_opening(const vq_day *d, int minute)
{
	int64_t w = wall_midnight(d->date) + (int64_t)minute * 60;
	int64_t t = first_reaching(d->spans, d->nspans, d->end, w);
	return t == INT64_MAX ? d->end : t;
}

int64_t vq_day_closing(const vq_day *d, int minute)
{
	int64_t w = wall_midnight(d->date) + (int64_t)minute * 60;
	int64_t c = d->start;
	for (int i = 0; i < d->nspans; i++) {
		/* instants of this span before `limit` show a wall time before w */
		int64_t a = d->spans[i].from, b = span_end(d, i);
		int64_t limit = w - d->spans[i].offset;
		if (limit > a) {
			int64_t last = limit < b ? limit : b;
			if (last > c)
				c = last;
		}
	}
	return c;
}

int32_t vq_day_offset(const vq_day *d, int64_t t)
{
	int i = d->nspans - 1;
	while (i > 0 && d->spans[i].from > t)
		i--;
	return d->spans[i].offset;
}

int64_t vq_day_length(const vq_day *d)
{
	return d->end - d->start;
}

int32_t vq_date_from_ymd(int y, int m, int d)
{
	/* Years counted from March, so that the leap day is the last day of a year; then
	 * 400-year eras of 146097 days. */
	int64_t yy = m <= 2 ? (int64_t)y - 1 : y;
	int64_t era = floordiv(yy, 400);
	int64_t yoe = yy - era * 400;
	int64_t mp = (m + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void vq_date_to_ymd(int32_t date, int *y, int *m, int *d)
{
	int64_t z = (int64_t)date + 719468;
	int64_t era = floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2 ? 1 : 0));
}

int32_t vq_date_of(int64_t t, int32_t off)
{
	return (int32_t)floordiv(t + off, SECS_PER_DAY);
}
