/* coordinator/daylog.c — what vqd writes down about the day only because operators look
 * back at it (vqctl report): the moment each attraction sold out for each tier, and every
 * ticket two offline gates both admitted (a conflict).
 *
 * Both go to the audit log inside the batch that caused them (actor "vqd" for a sell-out,
 * the syncing gate for a conflict), so they are durable exactly when that batch is.
 * A sell-out is noted once per attraction and tier and day (d->soldout): the first time
 * an issue or a capacity change leaves no slot today for a party of one of that tier.
 * Seats can come back later (a cancellation, a higher tier's protection lapsing), so the
 * note says when it first happened, not that it lasted; a restart may note it again and
 * the report takes the earliest.
 */
#include "coordinator/handlers.h"
#include "coordinator/log.h"

#include <stdlib.h>
#include <string.h>

static void note(vq_vqd *d, const char *actor, const char *action, cJSON *detail, int64_t now)
{
	char *s = cJSON_PrintUnformatted(detail);
	cJSON_Delete(detail);
	if (!s || vq_store_audit(vq_service_store(d->svc), now, actor, action, s) != VQ_OK)
		vq_log(VQ_LOG_ERROR, "audit of %s by %s failed", action, actor);
	free(s);
}

void vqd_note_soldout(vq_vqd *d, int a, int64_t now)
{
	const vq_book *b = vq_service_book(d->svc);
	for (int t = 0; t < vq_site_tier_count(d->site) && t < VQ_MAX_TIERS; t++) {
		unsigned char *seen = &d->soldout[(size_t)a * VQ_MAX_TIERS + (size_t)t];
		vq_request r = {.attr = a, .tier = t, .party = 1, .guest = 0};
		vq_offer off;
		if (*seen || vq_book_quote(b, &r, now, &off) != VQ_ESOLDOUT)
			continue;
		*seen = 1;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "attraction", vq_site_attr(d->site, a)->id);
		cJSON_AddStringToObject(o, "tier", vq_site_tier(d->site, t)->id);
		note(d, "vqd", "sold_out", o, now);
	}
}

void vqd_note_conflict(vq_vqd *d, const char *gate, const cJSON *event, int64_t now)
{
	note(d, gate, "conflict", cJSON_Duplicate(event, 1), now);
}
