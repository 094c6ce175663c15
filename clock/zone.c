/* clock/zone.c — offsets and local days from the tz database (see zone.h).
 *
 * Owns the process's TZ: it is set to the zone asked for only when that zone is
 * installed, so the C library never falls back to UTC behind our back. A timeline is
 * found by reading the offset every VQ_ZONE_PROBE_S and, where two readings differ,
 * halving the interval down to the second of the change.
 */
#include "clock/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZONE_MAX    64
#define DAY_MARGIN  (16 * 3600) /* beyond any zone's offset: the day lies inside */
#define MAX_CHANGES 16

static char installed[ZONE_MAX]; /* the last zone found installed */
static char missing[ZONE_MAX];   /* the last zone found missing: not looked for again */

static int name_ok(const char *z)
{
	size_t n = z ? strlen(z) : 0;
	if (n == 0 || n >= ZONE_MAX || z[0] == '/' || strstr(z, ".."))
		return 0;
	for (const char *p = z; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("/_+-", *p)))
			return 0;
	return 1;
}

int vq_zone_check(const char *zone, char *err, size_t errlen)
{
	if (!name_ok(zone)) {
		if (err)
			snprintf(err, errlen,
			         "'%.64s' is not a time zone name (expected e.g. "
			         "Europe/Bucharest)",
			         zone ? zone : "");
		return VQ_EINVAL;
	}
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	FILE *f = fopen(path, "rb");
	char magic[4] = {0};
	size_t got = f ? fread(magic, 1, sizeof magic, f) : 0;
	if (f)
		fclose(f);
	if (got != sizeof magic || memcmp(magic, "TZif", 4) != 0) {
		if (err)
			snprintf(err, errlen,
			         "time zone '%s' is not installed here (no %s; install tzdata)",
			         zone, path);
		return VQ_ENOTFOUND;
	}
	return VQ_OK;
}

/* Makes zone the one localtime_r uses (TZ is compared each time: a test may set it). */
static int use(const char *zone)
{
	if (!zone || strcmp(zone, installed) != 0) {
		if (zone && strcmp(zone, missing) == 0)
			return VQ_ENOTFOUND;
		int rc = vq_zone_check(zone, NULL, 0);
		if (rc != VQ_OK) {
			snprintf(missing, sizeof missing, "%s", zone ? zone : "");
			return rc;
		}
		snprintf(installed, sizeof installed, "%s", zone);
	}
	const char *tz = getenv("TZ");
	if (tz && strcmp(tz, zone) == 0)
		return VQ_OK;
	if (setenv("TZ", zone, 1) != 0)
		return VQ_ENOMEM;
	tzset();
	return VQ_OK;
}

static int32_t offset_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm))
		return 0;
	return (int32_t)tm.tm_gmtoff;
}

int vq_zone_offset(const char *zone, int64_t t, int32_t *out)
{
	int rc = use(zone);
	if (rc == VQ_OK)
		*out = offset_at(t);
	return rc;
}

int vq_zone_timeline(const char *zone, int64_t from, int64_t to, vq_offset_span *out, int max,
                     int *n)
{
	if (!out || max < 1 || !n || to <= from)
		return VQ_EINVAL;
	int rc = use(zone);
	if (rc != VQ_OK)
		return rc;
	int count = 1;
	out[0].from = from;
	out[0].offset = offset_at(from);
	int64_t lo = from;
	int32_t lo_off = out[0].offset;
	while (lo < to - 1) {
		int64_t hi = lo + VQ_ZONE_PROBE_S;
		if (hi > to - 1)
			hi = to - 1;
		int32_t hi_off = offset_at(hi);
		if (hi_off == lo_off) {
			lo = hi;
			continue;
		}
		/* a change in (lo, hi]: the first second that no longer has lo's offset */
		int64_t a = lo, b = hi;
		while (b - a > 1) {
			int64_t mid = a + (b - a) / 2;
			if (offset_at(mid) == lo_off)
				a = mid;
			else
				b = mid;
		}
		if (count == max)
			return VQ_ETOOBIG;
		out[count].from = b;
		out[count].offset = offset_at(b);
		lo = b;
		lo_off = out[count].offset;
		count++;
	}
	*n = count;
	return VQ_OK;
}

int vq_zone_day(const char *zone, int32_t date, vq_day *out)
{
	vq_offset_span tl[MAX_CHANGES];
	int n = 0;
	int64_t from = (int64_t)date * 86400 - DAY_MARGIN;
	int64_t to = (int64_t)(date + 1) * 86400 + DAY_MARGIN;
	int rc = vq_zone_timeline(zone, from, to, tl, MAX_CHANGES, &n);
	if (rc == VQ_OK)
		rc = vq_day_make(date, tl, n, to, out);
	return rc;
}

int vq_zone_day_of(const char *zone, int64_t t, vq_day *out)
{
	int32_t off;
	int rc = vq_zone_offset(zone, t, &off);
	if (rc != VQ_OK)
		return rc;
	/* The date the clock shows at t; where clocks went back over midnight t may still
	 * belong to the next day (days start at the first instant of their date). */
	int32_t date = vq_date_of(t, off);
	vq_day d;
	for (int tries = 0; tries < 4; tries++) {
		if ((rc = vq_zone_day(zone, date, &d)) != VQ_OK)
			return rc;
		if (t < d.start)
			date--;
		else if (t >= d.end)
			date++;
		else {
			*out = d;
			return VQ_OK;
		}
	}
	return VQ_EINVAL;
}
