/* clock/zone.h — the site's time zone, from the system's tz database.
 *
 * The edge where local time is resolved: the C library (TZ, tzset, localtime_r) reads the
 * zone file, this turns what it says into the offsets and days core works with
 * (core/day.h). Zones are IANA names ("Europe/Bucharest"); one that is not installed is an
 * error here, never the C library's silent UTC.
 * Process-wide: the zone in use is the process's TZ, switched on demand, so call from
 * one thread (every vq program reads time from its main thread).
 */
#ifndef VQ_ZONE_H
#define VQ_ZONE_H

#include "core/day.h"

/* VQ_OK if zone is an installed zone (a TZif file under $TZDIR or /usr/share/zoneinfo);
 * else VQ_ENOTFOUND (VQ_EINVAL for a name that cannot be one) with a message in err. */
int vq_zone_check(const char *zone, char *err, size_t errlen);

/* The UTC offset, in seconds east, at instant t. VQ_ENOTFOUND if zone is not installed. */
int vq_zone_offset(const char *zone, int64_t t, int32_t *out);

/* The zone's offsets over [from, to): out[0].from == from, one span per change, each
 * change found to the second. VQ_ETOOBIG if more than max; VQ_ENOTFOUND. Changes closer
 * together than VQ_ZONE_PROBE_S apart are not told apart (no zone has them). */
#define VQ_ZONE_PROBE_S (3 * 3600)
int vq_zone_timeline(const char *zone, int64_t from, int64_t to, vq_offset_span *out, int max,
                     int *n);

/* Local date `date` (core/day.h) in zone, or the local day that holds instant t. */
int vq_zone_day(const char *zone, int32_t date, vq_day *out);
int vq_zone_day_of(const char *zone, int64_t t, vq_day *out);

#endif
