/* clock/timefmt.h — local time for people: the one place every vq program formats it.
 *
 * kiosk screens and receipts, gate verdicts, boards, vqctl and parks/ all print times
 * through here, in the site's zone (clock/zone.h), so they agree on every day:
 *   "14:05"            a time the clock shows once;
 *   "03:30 UTC+3"      a time the clock shows twice (the clocks go back over it): the
 *   "03:30 UTC+2"      offset tells the two apart, so two slots never read alike;
 *   "14:05 UTC"        the zone is not installed here (or not known yet): shown in UTC,
 *                      and said so.
 * Not thread-safe (the zone is the process's TZ).
 */
#ifndef VQ_TIMEFMT_H
#define VQ_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define VQ_TIME_HHMM_MAX 20 /* "03:30 UTC+10:30" and the NUL, with room */
#define VQ_TIME_ISO_MAX  32 /* "2027-10-31T03:30:00+02:00" and the NUL */

/* t (Unix seconds) as above; "--:--" for t <= 0 (the protocol's "never"). */
void vq_time_hhmm(const char *zone, int64_t t, char out[VQ_TIME_HHMM_MAX]);

/* t as ISO 8601 local time with its offset: "2027-10-31T03:30:00+02:00" (UTC gives
 * "+00:00"). In UTC if the zone is not installed. VQ_EINVAL if t cannot be converted or
 * outlen < VQ_TIME_ISO_MAX. */
int vq_time_iso(const char *zone, int64_t t, char *out, size_t outlen);

/* The local date of t in zone (UTC if the zone is not installed): year, month 1..12,
 * day 1..31. VQ_EINVAL if t cannot be converted. For dates in words ("15 June 2027"),
 * which each program spells in its own language. */
int vq_time_ymd(const char *zone, int64_t t, int *y, int *m, int *d);

/* "UTC+3", "UTC-3:30", "UTC" for offset 0 (seconds east). */
void vq_time_offset_name(int32_t offset, char out[12]);

#endif
