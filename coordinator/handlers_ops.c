/* coordinator/handlers_ops.c — the operators' commands (svc/ops).
 *
 * Owns what operators change at run time; every command that changes something is
 * written to the audit log under the operator's account in the same batch. A setting vqd
 * also holds in memory (standby, merge, tier rules, the signing key) is only made pending
 * here; it runs once the batch committed (settings.c).
 */
#include "coordinator/config.h"
#include "coordinator/handlers.h"
#include "coordinator/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- svc/ops ------------------------------------------------------------------------- */

/* A change nobody can account for is not made: a failed audit fails the command. */
static int audit(vq_vqd *d, vqd_req *q, const char *client, const char *cmd, int64_t now)
{
	char *detail = cJSON_PrintUnformatted(q->root);
	int rc =
	    detail ? vq_store_audit(vq_service_store(d->svc), now, client, cmd, detail) : VQ_ENOMEM;
	if (rc != VQ_OK)
		vq_log(VQ_LOG_ERROR, "audit of %s by %s failed: %s", cmd, client, vq_strerror(rc));
	free(detail);
	return rc;
}

static cJSON *state_reply(vq_vqd *d, vqd_req *q, int a, int64_t now)
{
	d->dirty[a] = 1;
	vqd_count(d, now);
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "state", vqd_state_attr(d, a, now));
	return r;
}

static cJSON *ops_capacity(vq_vqd *d, vqd_req *q, int a, int64_t now)
{
	int64_t tp = -1, share = -1, over = -1;
	int p1, p2, p3;
	if (vqd_get_int(q, "throughput_per_hour", 0, 1, 100000, &tp, &p1) ||
	    vqd_get_int(q, "fast_share_pct", 0, 0, 100, &share, &p2) ||
	    vqd_get_int(q, "overbook_pct", 0, 0, 100, &over, &p3))
		return q->reply;
	if (!p1 && !p2 && !p3) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ,
		              "throughput_per_hour, fast_share_pct or overbook_pct: missing");
		return q->reply;
	}
	vq_capacity c = {.throughput_per_hour = (int)tp,
	                 .fast_share_pct = (int)share,
	                 .overbook_pct = (int)over};
	int rc = vq_book_set_capacity(vq_service_book(d->svc), a, &c, now);
	if (rc != VQ_OK) {
		vqd_reply_err(&q->reply, q->rid, rc, NULL);
		return q->reply;
	}
	vqd_note_soldout(d, a, now);
	return state_reply(d, q, a, now);
}

struct card_at {
	const char *card;
	int at;
};

static int by_card(const void *a, const void *b)
{
	const struct card_at *x = a, *y = b;
	int c = strcmp(x->card, y->card);
	return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Finds a card given twice among n (sorting, so a list of 1000 costs no million compares):
 * VQ_EEXISTS with the first duplicate in sorted order, as its earlier and later index. */
static int duplicate(const char *const *cards, int n, int *first, int *again)
{
	struct card_at *v = malloc((size_t)n * sizeof *v);
	int found = VQ_OK;
	if (!v)
		return VQ_ENOMEM;
	for (int i = 0; i < n; i++)
		v[i] = (struct card_at){cards[i], i};
	qsort(v, (size_t)n, sizeof *v, by_card);
	for (int i = 1; i < n && found == VQ_OK; i++)
		if (strcmp(v[i - 1].card, v[i].card) == 0) {
			*first = v[i - 1].at;
			*again = v[i].at;
			found = VQ_EEXISTS;
		}
	free(v);
	return found;
}

static cJSON *ops_import(vq_vqd *d, vqd_req *q)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(q->root, "members");
	if (!cJSON_IsArray(m)) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "members: %s",
		              m ? "wrong type (expected array)" : "missing");
		return q->reply;
	}
	int n = cJSON_GetArraySize(m);
	if (n < 1 || n > VQD_MAX_IMPORT) {
		vqd_reply_err(&q->reply, q->rid, VQ_EINVAL, "members: 1..%d a request",
		              VQD_MAX_IMPORT);
		return q->reply;
	}
	/* all or nothing: check every entry before writing any */
	int i = 0;
	const cJSON *it;
	const char **cards = malloc((size_t)n * sizeof *cards);
	if (!cards) {
		vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, "out of memory; nothing imported");
		return q->reply;
	}
	cJSON_ArrayForEach(it, m)
	{
		static const char *const member_fields[] = {"card", "tier", NULL};
		char path[32];
		snprintf(path, sizeof path, "members[%d]", i);
		if (vqd_check_fields(q, it, path, member_fields) != VQ_OK) {
			free(cards);
			return q->reply;
		}
		const cJSON *card = cJSON_GetObjectItemCaseSensitive(it, "card");
		const cJSON *tier = cJSON_GetObjectItemCaseSensitive(it, "tier");
		if (!cJSON_IsString(card) || !vqd_printable(card->valuestring, 1, 32)) {
			free(cards);
			vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ,
			              "members[%d].card: expected 1..32 printable ASCII characters",
			              i);
			return q->reply;
		}
		if (!cJSON_IsString(tier) || vq_site_tier_find(d->site, tier->valuestring) < 0) {
			free(cards);
			vqd_reply_err(&q->reply, q->rid, VQ_ENOTIER,
			              "members[%d].tier: unknown tier", i);
			return q->reply;
		}
		cards[i++] = card->valuestring;
	}
	/* one card twice would leave which tier it gets to the order of the list: refused */
	int first = 0, again = 0, dup = duplicate(cards, n, &first, &again);
	if (dup == VQ_EEXISTS)
		vqd_reply_err(
		    &q->reply, q->rid, VQ_EINVAL,
		    "members[%d].card: '%s' is also members[%d]; each card once a request", again,
		    cards[again], first);
	else if (dup != VQ_OK)
		vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, "out of memory; nothing imported");
	free(cards);
	if (dup != VQ_OK)
		return q->reply;
	cJSON_ArrayForEach(it, m)
	{
		if (vq_store_put_member(
		        vq_service_store(d->svc),
		        cJSON_GetObjectItemCaseSensitive(it, "card")->valuestring,
		        cJSON_GetObjectItemCaseSensitive(it, "tier")->valuestring) != VQ_OK) {
			vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
			return q->reply;
		}
	}
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddNumberToObject(r, "imported", n);
	return r;
}

static cJSON *ops_stats(vq_vqd *d, vqd_req *q, int64_t now)
{
	const vq_book *b = vq_service_book(d->svc);
	int64_t by_state[4] = {0}, members = 0, audits = 0;
	for (size_t i = 0; i < vq_book_ticket_count(b); i++)
		by_state[vq_book_ticket_at(b, i)->state & 3]++;
	vq_store_member_count(vq_service_store(d->svc), &members);
	vq_store_audit_count(vq_service_store(d->svc), &audits);
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON *t = cJSON_AddObjectToObject(r, "tickets_today");
	for (int s = 0; s < 4; s++)
		cJSON_AddNumberToObject(t, vq_ticket_state_name(s), (double)by_state[s]);
	cJSON_AddNumberToObject(r, "members", (double)members);
	cJSON_AddNumberToObject(r, "audit_entries", (double)audits);
	cJSON_AddNumberToObject(r, "requests", (double)d->requests);
	cJSON_AddNumberToObject(r, "replays", (double)d->replays);
	cJSON_AddNumberToObject(r, "rid_reused", (double)d->rid_reused);
	cJSON_AddNumberToObject(r, "rate_limited", (double)d->rate_limited);
	cJSON_AddNumberToObject(r, "batches", (double)d->batches);
	cJSON_AddNumberToObject(r, "failed_commits", (double)d->failed_commits);
	cJSON_AddNumberToObject(r, "refused_reply_topic", (double)d->intake.refused);
	cJSON_AddNumberToObject(r, "web_rate_limited", (double)vqd_web_refused(d->web));
	cJSON_AddNumberToObject(r, "uptime_s", (double)(now - d->started));
	return r;
}

/* One attraction's day slot by slot, for the operators' console: capacity, seats taken per
 * tier and guests admitted so far. Reads the book only. */
static cJSON *ops_slots(vq_vqd *d, vqd_req *q, int64_t now)
{
	const char *attr;
	int a;
	if (vqd_get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) ||
	    (a = vqd_attr_of(d, q, attr)) < 0)
		return q->reply;
	const vq_book *b = vq_service_book(d->svc);
	int n = vq_book_slot_count(b, a), ntiers = vq_site_tier_count(d->site);
	int64_t *redeemed = calloc((size_t)n + 1, sizeof *redeemed);
	if (!redeemed) {
		vqd_reply_err(&q->reply, q->rid, VQ_ENOMEM, NULL);
		return q->reply;
	}
	vq_slot_view first;
	int slot_s = vq_site_attr(d->site, a)->slot_min * 60;
	if (n > 0 && vq_book_slot(b, a, 0, &first) == VQ_OK) {
		for (size_t i = 0; i < vq_book_ticket_count(b); i++) {
			const vq_ticket *t = vq_book_ticket_at(b, i);
			int64_t s = (t->slot_start - first.start) / slot_s;
			/* fast-lane tickets only: an accessibility pass holds no seat of a slot */
			if (t->state == VQ_TS_REDEEMED && t->kind == VQ_TK_FAST &&
			    !strcmp(t->attr, attr) && s >= 0 && s < n)
				redeemed[s] += t->party;
		}
	}
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddStringToObject(r, "attraction", attr);
	cJSON_AddNumberToObject(r, "now", (double)now);
	cJSON *tiers = cJSON_AddArrayToObject(r, "tiers");
	for (int t = 0; t < ntiers; t++)
		cJSON_AddItemToArray(tiers, cJSON_CreateString(vq_site_tier(d->site, t)->id));
	cJSON *arr = cJSON_AddArrayToObject(r, "slots");
	for (int s = 0; s < n; s++) {
		vq_slot_view v;
		vq_book_slot(b, a, s, &v);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "start", (double)v.start);
		cJSON_AddNumberToObject(o, "cap", v.cap);
		cJSON_AddNumberToObject(o, "taken", v.taken);
		cJSON *tt = cJSON_AddArrayToObject(o, "taken_tier");
		for (int t = 0; t < ntiers; t++)
			cJSON_AddItemToArray(tt, cJSON_CreateNumber(v.taken_tier[t]));
		cJSON_AddNumberToObject(o, "redeemed", (double)redeemed[s]);
		cJSON_AddItemToArray(arr, o);
	}
	free(redeemed);
	return r;
}

/* A detail longer than this is left out of `audit` (its size is said instead), so that a
 * hundred entries fit well in one MQTT message (members_import's detail holds every card). */
#define AUDIT_DETAIL_MAX 1024

static int audit_entry(void *arg, const vq_audit_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return VQ_ENOMEM;
	cJSON_AddItemToArray(arg, o);
	cJSON_AddNumberToObject(o, "id", (double)e->id);
	cJSON_AddNumberToObject(o, "at", (double)e->at);
	cJSON_AddStringToObject(o, "actor", e->actor);
	cJSON_AddStringToObject(o, "action", e->action);
	size_t len = e->detail ? strlen(e->detail) : 0;
	cJSON *detail = len && len <= AUDIT_DETAIL_MAX ? cJSON_Parse(e->detail) : NULL;
	if (detail)
		cJSON_AddItemToObject(o, "detail", detail);
	else
		cJSON_AddNullToObject(o, "detail");
	if (len > AUDIT_DETAIL_MAX)
		cJSON_AddNumberToObject(o, "detail_bytes", (double)len);
	return VQ_OK;
}

/* The newest entries of the audit log, for the operators' console: `limit` of them
 * (1..VQ_STORE_AUDIT_MAX, 20), made at or after `since` (Unix s), of `action` alone if
 * given. Reads the store only. */
static cJSON *ops_audit(vq_vqd *d, vqd_req *q)
{
	int64_t limit = 20, since = 0;
	const char *action = NULL;
	if (vqd_get_int(q, "limit", 0, 1, VQ_STORE_AUDIT_MAX, &limit, NULL) ||
	    vqd_get_int(q, "since", 0, 0, INT64_C(1) << 40, &since, NULL) ||
	    vqd_get_str(q, "action", 0, 63, &action))
		return q->reply;
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON *arr = cJSON_AddArrayToObject(r, "entries");
	int rc = vq_store_audit_recent(vq_service_store(d->svc), since, action, (int)limit,
	                               audit_entry, arr);
	if (rc != VQ_OK) {
		cJSON_Delete(r);
		vqd_reply_err(&q->reply, q->rid, rc == VQ_ENOMEM ? VQ_ENOMEM : VQ_ESTORE, NULL);
		return q->reply;
	}
	return r;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, b, n);
}

static cJSON *ops_keys(vq_vqd *d, vqd_req *q)
{
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON *arr = cJSON_AddArrayToObject(r, "keys");
	for (int i = 0; i < d->ring.count; i++) {
		char h[65];
		hex(d->ring.keys[i].pk, 32, h);
		cJSON *k = cJSON_CreateObject();
		cJSON_AddNumberToObject(k, "kid", d->ring.keys[i].kid);
		cJSON_AddStringToObject(k, "public_key", h);
		cJSON_AddBoolToObject(k, "active", d->ring.keys[i].kid == d->kid);
		cJSON_AddItemToArray(arr, k);
	}
	return r;
}

static cJSON *ops_rotate(vq_vqd *d, vqd_req *q, int64_t now)
{
	char err[512];
	int rc = vqd_keys_rotate(d, now, err, sizeof err);
	if (rc == VQ_EINVAL) {
		vqd_reply_err(&q->reply, q->rid, VQ_EINVAL, "%s", err);
		return q->reply;
	}
	if (rc != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "keys_rotate: %s", err);
		vqd_reply_err(
		    &q->reply, q->rid, VQ_ESTORE,
		    "could not store the new key; nothing changed; retry with the same rid");
		return q->reply;
	}
	/* the new key signs once the batch committed (settings.c); a failed commit never
	 * used it */
	char h[65];
	hex(d->pending_pk, 32, h);
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddNumberToObject(r, "kid", d->pending_kid);
	cJSON_AddStringToObject(r, "public_key", h);
	return r;
}

/* Takes a key out of the ring, so rotation always has room and a leaked key stops
 * verifying; not the active one, and not while unexpired tickets may carry it, unless
 * forced (their codes are then refused as unknown_key; staff can look them up by number). */
static cJSON *ops_retire(vq_vqd *d, vqd_req *q, int64_t now)
{
	int64_t kid;
	if (vqd_get_int(q, "kid", 1, 0, 255, &kid, NULL))
		return q->reply;
	const cJSON *force = cJSON_GetObjectItemCaseSensitive(q->root, "force");
	if (force && !cJSON_IsBool(force)) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ,
		              "force: wrong type (expected boolean)");
		return q->reply;
	}
	vq_store_key k;
	int rc = vq_store_get_key(vq_service_store(d->svc), (uint8_t)kid, &k);
	if (rc == VQ_ENOTFOUND || (rc == VQ_OK && k.retired)) {
		vqd_reply_err(&q->reply, q->rid, VQ_EUNKNOWNKEY, "key %d is not in the key ring",
		              (int)kid);
		return q->reply;
	}
	int64_t n = 0;
	if (rc == VQ_OK && !k.active)
		rc = vqd_keys_dependents(d, &k, now, &n);
	if (rc != VQ_OK) {
		vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
		return q->reply;
	}
	if (k.active) {
		vqd_reply_err(&q->reply, q->rid, VQ_EINVAL,
		              "key %d is the active signing key: rotate first (keys_rotate), then "
		              "retire it",
		              (int)kid);
		return q->reply;
	}
	if (n > 0 && !cJSON_IsTrue(force)) {
		cJSON *e = vqd_reply_err(
		    &q->reply, q->rid, VQ_EINVAL,
		    "%lld unexpired ticket%s may carry key %d: retire it once they have expired, "
		    "or "
		    "with \"force\":true (gates then refuse their codes as unknown_key)",
		    (long long)n, n == 1 ? "" : "s", (int)kid);
		cJSON_AddNumberToObject(e, "tickets", (double)n);
		return q->reply;
	}
	char err[512];
	if ((rc = vqd_keys_retire(d, (uint8_t)kid, now, err, sizeof err)) != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "keys_retire %d: %s", (int)kid, err);
		vqd_reply_err(&q->reply, q->rid, VQ_ESTORE,
		              "could not retire the key; retry with the same rid");
		return q->reply;
	}
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddNumberToObject(r, "kid", (double)kid);
	cJSON_AddNumberToObject(r, "tickets", (double)n);
	return r;
}

static cJSON *tier_json(const vq_site *site, int t)
{
	const vq_tier *tier = vq_site_tier(site, t);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", tier->id);
	cJSON_AddNumberToObject(o, "protect_pct", tier->protect_pct);
	cJSON_AddNumberToObject(o, "release_min", tier->release_min);
	cJSON_AddNumberToObject(o, "max_passes", tier->max_passes);
	cJSON_AddNumberToObject(o, "horizon_min", tier->horizon_min);
	cJSON_AddNumberToObject(o, "late_grace_min", tier->late_grace_min);
	return o;
}

/* Changes a tier's rules: checked by building the whole site anew with them, applied by
 * vqd once the batch committed (vqd.c). */
static cJSON *ops_tier(vq_vqd *d, vqd_req *q)
{
	const char *id;
	if (vqd_get_str(q, "tier", 1, VQ_ID_MAX - 1, &id))
		return q->reply;
	if (vq_site_tier_find(d->site, id) < 0) {
		vqd_reply_err(&q->reply, q->rid, VQ_ENOTIER, "unknown tier '%s'", id);
		return q->reply;
	}
	cJSON *changes = cJSON_CreateObject();
	for (int i = 0; vqd_tier_fields[i]; i++) {
		int64_t v;
		int present;
		if (vqd_get_int(q, vqd_tier_fields[i], 0, 0, 100000, &v, &present)) {
			cJSON_Delete(changes);
			return q->reply;
		}
		if (present)
			cJSON_AddNumberToObject(changes, vqd_tier_fields[i], (double)v);
	}
	if (cJSON_GetArraySize(changes) == 0) {
		cJSON_Delete(changes);
		vqd_reply_err(
		    &q->reply, q->rid, VQ_EBADREQ,
		    "protect_pct, release_min, max_passes, horizon_min or late_grace_min: "
		    "missing");
		return q->reply;
	}
	char *merged = NULL;
	vq_site *fresh = NULL;
	char err[512];
	const char *base = d->pending_overrides ? d->pending_overrides : d->overrides;
	int rc = vqd_config_merge(base, id, changes, &merged);
	cJSON_Delete(changes);
	if (rc == VQ_OK &&
	    vqd_config_load(d->config_path, merged, &fresh, err, sizeof err) != VQ_OK) {
		/* the parser's message names the rule, e.g. protect_pct above the tier below */
		const char *why = strstr(err, ": ");
		vqd_reply_err(&q->reply, q->rid, VQ_EINVAL, "%s", why ? why + 2 : err);
		free(merged);
		return q->reply;
	}
	if (rc != VQ_OK ||
	    vq_store_set_setting(vq_service_store(d->svc), "tier_overrides", merged) != VQ_OK) {
		vqd_reply_err(&q->reply, q->rid, rc == VQ_OK ? VQ_ESTORE : rc, NULL);
		free(merged);
		vq_site_free(fresh);
		return q->reply;
	}
	vq_site_free(d->pending_site);
	free(d->pending_overrides);
	d->pending_site = fresh;
	d->pending_overrides = merged;
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "tier", tier_json(fresh, vq_site_tier_find(fresh, id)));
	return r;
}

int vqd_ops_reads_only(const char *cmd)
{
	static const char *const ro[] = {"status", "stats",  "member", "keys", "tiers",
	                                 "slots",  "passes", "audit",  NULL};
	for (int i = 0; ro[i]; i++)
		if (strcmp(cmd, ro[i]) == 0)
			return 1;
	return 0;
}

cJSON *vqd_do_ops(vq_vqd *d, vqd_req *q, const char *cmd, const char *client, int64_t now)
{
	if (!strcmp(cmd, "status")) {
		cJSON *r = vqd_reply_new(q->rid, 1);
		cJSON *arr = cJSON_AddArrayToObject(r, "attractions");
		vqd_count(d, now);
		for (int a = 0; a < vq_site_attr_count(d->site); a++)
			cJSON_AddItemToArray(arr, vqd_state_attr(d, a, now));
		return r;
	}
	if (!strcmp(cmd, "stats"))
		return ops_stats(d, q, now);
	if (!strcmp(cmd, "slots"))
		return ops_slots(d, q, now);
	if (!strcmp(cmd, "audit"))
		return ops_audit(d, q);
	if (!strcmp(cmd, "keys"))
		return ops_keys(d, q);
	if (!strcmp(cmd, "passes"))
		return vqd_ops_passes(d, q);
	if (!strcmp(cmd, "tiers")) {
		cJSON *r = vqd_reply_new(q->rid, 1);
		cJSON *arr = cJSON_AddArrayToObject(r, "tiers");
		for (int t = 0; t < vq_site_tier_count(d->site); t++)
			cJSON_AddItemToArray(arr, tier_json(d->site, t));
		return r;
	}
	if (!strcmp(cmd, "member")) {
		const char *card;
		char tier[VQ_ID_MAX];
		if (vqd_get_str(q, "card", 1, 32, &card))
			return q->reply;
		int rc = vq_store_get_member(vq_service_store(d->svc), card, tier);
		if (rc != VQ_OK) {
			vqd_reply_err(&q->reply, q->rid,
			              rc == VQ_ENOTFOUND ? VQ_EUNKNOWNCARD : VQ_ESTORE,
			              rc == VQ_ENOTFOUND ? "card '%s' is not a member"
			                                 : "could not read card '%s'",
			              card);
			return q->reply;
		}
		cJSON *r = vqd_reply_new(q->rid, 1);
		cJSON_AddStringToObject(r, "card", card);
		cJSON_AddStringToObject(r, "tier", tier);
		return r;
	}
	cJSON *r = NULL;
	if (!strcmp(cmd, "members_import")) {
		r = ops_import(d, q);
	} else if (!strcmp(cmd, "keys_rotate")) {
		r = ops_rotate(d, q, now);
	} else if (!strcmp(cmd, "keys_retire")) {
		r = ops_retire(d, q, now);
	} else if (!strcmp(cmd, "tier")) {
		r = ops_tier(d, q);
	} else if (!strcmp(cmd, "capacity") || !strcmp(cmd, "close") || !strcmp(cmd, "reopen") ||
	           !strcmp(cmd, "standby") || !strcmp(cmd, "merge")) {
		const char *attr;
		int a;
		if (vqd_get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) ||
		    (a = vqd_attr_of(d, q, attr)) < 0)
			return q->reply;
		vq_book *b = vq_service_book(d->svc);
		if (!strcmp(cmd, "capacity")) {
			r = ops_capacity(d, q, a, now);
		} else if (!strcmp(cmd, "merge")) {
			int64_t fast, standby;
			if (vqd_get_int(q, "fast", 1, 1, 99, &fast, NULL) ||
			    vqd_get_int(q, "standby", 1, 1, 99, &standby, NULL))
				return q->reply;
			char key[64], val[16];
			snprintf(key, sizeof key, "merge.%s", attr);
			snprintf(val, sizeof val, "%d:%d", (int)fast, (int)standby);
			if (vq_store_set_setting(vq_service_store(d->svc), key, val) != VQ_OK) {
				vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
				return q->reply;
			}
			d->pending_merge_fast[a] = (int)fast;
			d->pending_merge_standby[a] = (int)standby;
			r = state_reply(d, q, a, now);
		} else if (!strcmp(cmd, "standby")) {
			int64_t min;
			if (vqd_get_int(q, "minutes", 1, 0, 600, &min, NULL))
				return q->reply;
			char key[64], val[16];
			snprintf(key, sizeof key, "standby.%s", attr);
			snprintf(val, sizeof val, "%d", (int)min);
			if (vq_store_set_setting(vq_service_store(d->svc), key, val) != VQ_OK) {
				vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
				return q->reply;
			}
			d->pending_standby[a] = (int)min;
			r = state_reply(d, q, a, now);
		} else if (!strcmp(cmd, "close")) {
			int rc = vq_book_close(b, a, now);
			if (rc != VQ_OK) {
				vqd_reply_err(&q->reply, q->rid, rc, "'%s' is already closed",
				              attr);
				return q->reply;
			}
			r = state_reply(d, q, a, now);
		} else {
			size_t converted = 0;
			int rc = vq_book_reopen(b, a, now, &converted);
			if (rc != VQ_OK) {
				vqd_reply_err(&q->reply, q->rid, rc, "'%s' is not closed", attr);
				return q->reply;
			}
			r = state_reply(d, q, a, now);
			cJSON_AddNumberToObject(r, "converted", (double)converted);
		}
	} else {
		vqd_reply_err(&q->reply, q->rid, VQ_EUNKNOWNCMD, "unknown command '%s'", cmd);
		return q->reply;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")) &&
	    audit(d, q, client, cmd, now) != VQ_OK) {
		cJSON_Delete(r);
		vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
		return q->reply;
	}
	return r;
}
