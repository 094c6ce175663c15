/* coordinator/parks.c — parksapi live data from vq's retained state (see parks.h).
 *
 * Owns the mapping from vq's words to parksapi's: open/closed and opening hours to
 * OPERATING/DOWN/CLOSED, the lowest tier's next window to RETURN_TIME. Invariant: a
 * returned object always has id, name, entityType, parkId, status, queue.RETURN_TIME
 * and lastUpdated, so a reader never has to guess whether a key is merely late.
 */
#include "coordinator/parks.h"
#include "core/json.h"

#include "clock/timefmt.h"

#include <stdio.h>
#include <string.h>

enum { RT_AVAILABLE, RT_TEMP_FULL, RT_FINISHED };

static const char *const RT_NAMES[] = {"AVAILABLE", "TEMP_FULL", "FINISHED"};

static int get_int(const cJSON *o, const char *key, int64_t *v)
{
	/* range-checked before any cast (core/json.h) */
	return vq_json_int(cJSON_GetObjectItemCaseSensitive(o, key), INT64_MIN, INT64_MAX, v) ==
	       VQ_OK;
}

/* A window object {"start","end"}: 1 and its times; 0 for null; -1 for anything else. */
static int window_of(const cJSON *w, int64_t *start, int64_t *end)
{
	if (cJSON_IsNull(w))
		return 0;
	if (!cJSON_IsObject(w) || !get_int(w, "start", start) || !get_int(w, "end", end))
		return -1;
	return 1;
}

static int add_time(cJSON *o, const char *zone, const char *key, int64_t t)
{
	char iso[VQ_TIME_ISO_MAX];
	if (vq_time_iso(zone, t, iso, sizeof iso) != VQ_OK)
		return VQ_EBADREQ;
	return cJSON_AddStringToObject(o, key, iso) ? VQ_OK : VQ_ENOMEM;
}

static const char *name_of(const cJSON *names, const char *lang)
{
	const cJSON *n = lang ? cJSON_GetObjectItemCaseSensitive(names, lang) : NULL;
	if (!cJSON_IsString(n))
		n = names ? names->child : NULL;
	return cJSON_IsString(n) ? n->valuestring : NULL;
}

int vq_parks_live(const cJSON *state, const vq_parks_ctx *ctx, cJSON **out)
{
	if (!state || !ctx || !ctx->park_id || !out)
		return VQ_EINVAL;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(state, "attraction");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(state, "kind");
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(state, "names");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(state, "status");
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(state, "next");
	int64_t updated, standby = 0;
	if (!cJSON_IsString(id) || !cJSON_IsString(kind) || !cJSON_IsObject(names) ||
	    !cJSON_IsString(status) || !cJSON_IsObject(next) || !next->child ||
	    !get_int(state, "updated", &updated))
		return VQ_EBADREQ;
	int service = strcmp(kind->valuestring, "service") == 0;
	if (!service && !get_int(state, "standby_min", &standby))
		return VQ_EBADREQ;
	const char *name = name_of(names, ctx->lang);
	if (!name)
		return VQ_EBADREQ;

	/* Tiers are listed lowest first: the first is what anyone may get. */
	int64_t start = 0, end = 0, s2, e2;
	int lowest = window_of(next->child, &start, &end);
	int any = lowest == 1;
	for (const cJSON *t = next->child; t; t = t->next) {
		int w = window_of(t, &s2, &e2);
		if (w < 0)
			return VQ_EBADREQ;
		any |= w;
	}
	if (lowest < 0)
		return VQ_EBADREQ;

	int down = strcmp(status->valuestring, "closed") == 0;
	int hours = ctx->open_at || ctx->close_at;
	int before = hours && updated < ctx->open_at;
	int after = hours && updated >= ctx->close_at;
	const char *st = down ? "DOWN" : before || after ? "CLOSED" : "OPERATING";
	int rt = down            ? RT_TEMP_FULL
	         : after || !any ? RT_FINISHED
	         : lowest        ? RT_AVAILABLE
	                         : RT_TEMP_FULL;

	int rc = VQ_ENOMEM;
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "id", id->valuestring) ||
	    !cJSON_AddStringToObject(o, "name", name) ||
	    !cJSON_AddStringToObject(o, "entityType", "ATTRACTION") ||
	    !cJSON_AddStringToObject(o, "parkId", ctx->park_id) ||
	    !cJSON_AddStringToObject(o, "status", st))
		goto cleanup;
	cJSON *queue = cJSON_AddObjectToObject(o, "queue");
	if (!queue)
		goto cleanup;
	if (!service) {
		cJSON *sb = cJSON_AddObjectToObject(queue, "STANDBY");
		int operating = !down && !before && !after;
		if (!sb || !(operating ? cJSON_AddNumberToObject(sb, "waitTime", (double)standby)
		                       : cJSON_AddNullToObject(sb, "waitTime")))
			goto cleanup;
	}
	cJSON *ret = cJSON_AddObjectToObject(queue, "RETURN_TIME");
	if (!ret || !cJSON_AddStringToObject(ret, "state", RT_NAMES[rt]))
		goto cleanup;
	if (rt == RT_AVAILABLE) {
		if ((rc = add_time(ret, ctx->zone, "returnStart", start)) != VQ_OK ||
		    (rc = add_time(ret, ctx->zone, "returnEnd", end)) != VQ_OK)
			goto cleanup;
	} else if (!cJSON_AddNullToObject(ret, "returnStart") ||
	           !cJSON_AddNullToObject(ret, "returnEnd")) {
		rc = VQ_ENOMEM;
		goto cleanup;
	}
	if ((rc = add_time(o, ctx->zone, "lastUpdated", updated)) != VQ_OK)
		goto cleanup;
	*out = o;
	return VQ_OK;
cleanup:
	cJSON_Delete(o);
	return rc;
}
