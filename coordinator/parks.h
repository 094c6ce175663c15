/* coordinator/parks.h — an attraction's live state in the shape ThemeParks.wiki's
 * "parksapi" gives live data, so existing theme-park apps can read vq's return-time queue.
 *
 * vqd publishes it, retained, on parks/<attraction> right after state/<attraction>
 * (docs/protocol.md). It is rendered from that very state/<attraction> object, so the
 * two never disagree. No clock, no I/O but the zone's offsets: times are written as
 * ISO 8601 in the site's zone with the UTC offset they have on their day
 * (clock/timefmt.h), so the offset changes with the clocks.
 */
#ifndef VQ_PARKS_H
#define VQ_PARKS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/vq.h"

typedef struct vq_parks_ctx {
	const char *park_id; /* parksapi's parkId: the site id */
	const char *lang;    /* which of the state's names becomes "name"; NULL or absent: the
	                        first one listed */
	int64_t open_at;     /* today's opening hours (Unix s); both 0: not known, so the */
	int64_t close_at;    /* attraction counts as operating unless it is closed */
	const char *zone;    /* the site's zone (IANA name); NULL: times in UTC */
} vq_parks_ctx;

/* Renders the parksapi live-data entity for one attraction from its state/<attraction>
 * object (docs/protocol.md). On VQ_OK *out is a new object the caller deletes:
 *
 *   {"id":"coaster","name":"Thunder Coaster","entityType":"ATTRACTION","parkId":"demo",
 *    "status":"OPERATING",
 *    "queue":{"STANDBY":{"waitTime":35},
 *             "RETURN_TIME":{"state":"AVAILABLE","returnStart":"…","returnEnd":"…"}},
 *    "lastUpdated":"2027-01-01T10:01:00+02:00"}
 *
 * status: DOWN while closed for a breakdown; CLOSED outside opening hours; else OPERATING.
 * RETURN_TIME is the lowest tier's next window (what any visitor gets at a kiosk):
 * AVAILABLE with its window; TEMP_FULL while down, or when the lowest tier has none but a
 * higher tier still has one (protected seats are released to lower tiers before a slot
 * starts); FINISHED when no tier has one, or after closing. returnStart and returnEnd
 * are null unless AVAILABLE. STANDBY (rides only; a service desk has no standby line)
 * carries the posted wait while operating, else null.
 * VQ_EBADREQ if state lacks a field it needs or has one of the wrong type, VQ_EINVAL for
 * NULL arguments, VQ_ENOMEM; *out is then left alone. */
int vq_parks_live(const cJSON *state, const vq_parks_ctx *ctx, cJSON **out);

#endif
