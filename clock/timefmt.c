/* clock/timefmt.c — local times as people read them (see timefmt.h).
 *
 * Owns the rule for telling repeated times apart: a wall time is shown with its offset
 * when another instant near it shows the same wall time, which happens exactly where the
 * clocks went back (or will go back) over it. The twin of t, if any, is t moved by the
 * difference between t's offset and the offset on the other side of that change; real
 * changes are hours apart, so looking VQ_ZONE_PROBE_S either side finds it.
 */
#include "clock/timefmt.h"

#include "clock/zone.h"
#include "core/vq.h"

#include <stdio.h>
#include <time.h>

void vq_time_offset_name(int32_t offset, char out[12])
{
	if (offset == 0) {
		snprintf(out, 12, "UTC");
		return;
	}
	char sign = offset < 0 ? '-' : '+';
	int32_t a = offset < 0 ? -offset : offset;
	int h = (int)(a / 3600) % 100, m = (int)(a / 60 % 60);
	if (m)
		snprintf(out, 12, "UTC%c%d:%02d", sign, h, m);
	else
		snprintf(out, 12, "UTC%c%d", sign, h);
}

/* Another instant showing the same wall time as t (offset off), if there is one. */
static int shown_twice(const char *zone, int64_t t, int32_t off)
{
	int32_t after, before, o;
	if (vq_zone_offset(zone, t + VQ_ZONE_PROBE_S, &after) != VQ_OK ||
	    vq_zone_offset(zone, t - VQ_ZONE_PROBE_S, &before) != VQ_OK)
		return 0;
	/* clocks go back later: the same wall time comes again (off - after) later */
	if (after < off && vq_zone_offset(zone, t + (off - after), &o) == VQ_OK && o == after)
		return 1;
	/* clocks went back before: it was shown (before - off) earlier */
	if (before > off && vq_zone_offset(zone, t - (before - off), &o) == VQ_OK && o == before)
		return 1;
	return 0;
}

/* Local broken-down time of t in zone; *utc set when the zone could not be used. */
static int local(const char *zone, int64_t t, struct tm *tm, int *utc)
{
	time_t tt = (time_t)t;
	if ((int64_t)tt != t)
		return VQ_EINVAL;
	int32_t off;
	*utc = !zone || !*zone || vq_zone_offset(zone, t, &off) != VQ_OK;
	if (*utc)
		return gmtime_r(&tt, tm) ? VQ_OK : VQ_EINVAL;
	return localtime_r(&tt, tm) ? VQ_OK : VQ_EINVAL;
}

void vq_time_hhmm(const char *zone, int64_t t, char out[VQ_TIME_HHMM_MAX])
{
	struct tm tm;
	int utc;
	if (t <= 0 || local(zone, t, &tm, &utc) != VQ_OK) {
		snprintf(out, VQ_TIME_HHMM_MAX, "--:--");
		return;
	}
	int h = tm.tm_hour % 100, m = tm.tm_min % 100;
	if (utc) {
		snprintf(out, VQ_TIME_HHMM_MAX, "%02d:%02d UTC", h, m);
		return;
	}
	int32_t off = (int32_t)tm.tm_gmtoff;
	if (!shown_twice(zone, t, off)) {
		snprintf(out, VQ_TIME_HHMM_MAX, "%02d:%02d", h, m);
		return;
	}
	char name[12];
	vq_time_offset_name(off, name);
	snprintf(out, VQ_TIME_HHMM_MAX, "%02d:%02d %s", h, m, name);
}

int vq_time_iso(const char *zone, int64_t t, char *out, size_t outlen)
{
	struct tm tm;
	int utc;
	if (!out || outlen < VQ_TIME_ISO_MAX || local(zone, t, &tm, &utc) != VQ_OK)
		return VQ_EINVAL;
	long off = utc ? 0 : tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, sign, off / 3600, off / 60 % 60);
	return n > 0 && (size_t)n < outlen ? VQ_OK : VQ_EINVAL;
}

int vq_time_ymd(const char *zone, int64_t t, int *y, int *m, int *d)
{
	struct tm tm;
	int utc;
	if (!y || !m || !d || local(zone, t, &tm, &utc) != VQ_OK)
		return VQ_EINVAL;
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
	return VQ_OK;
}
