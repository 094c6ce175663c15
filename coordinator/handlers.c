/* coordinator/handlers.c — one request in, one reply out, inside vqd's open batch.
 *
 * Owns the translation between the wire (docs/protocol.md) and the service: it checks
 * every field of a request before anything changes, so a bad request changes nothing and
 * gets an error naming the field. Mutating requests are idempotent by request id: the
 * first reply is remembered in the same transaction as the change, and a repeated id gets
 * that reply back byte for byte.
 */
#include "coordinator/config.h"
#include "coordinator/log.h"
#include "coordinator/vqd.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- replies ------------------------------------------------------------------------- */

static cJSON *reply_new(const char *rid, int ok)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "v", 1);
	if (rid)
		cJSON_AddStringToObject(r, "rid", rid);
	else
		cJSON_AddNullToObject(r, "rid");
	cJSON_AddBoolToObject(r, "ok", ok);
	return r;
}

/* An error reply; returns the "error" object so callers can add details. */
static cJSON *reply_err(cJSON **out, const char *rid, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static cJSON *reply_err(cJSON **out, const char *rid, int code, const char *fmt, ...)
{
	*out = reply_new(rid, 0);
	cJSON *e = cJSON_AddObjectToObject(*out, "error");
	cJSON_AddStringToObject(e, "code", vq_errname(code));
	char msg[256];
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
	} else {
		snprintf(msg, sizeof msg, "%s", vq_strerror(code));
	}
	cJSON_AddStringToObject(e, "message", msg);
	return e;
}

static char *render(cJSON *r)
{
	char *s = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	return s;
}

char *vqd_storage_error(const char *payload, size_t len)
{
	cJSON *req = cJSON_ParseWithLength(payload, len);
	const cJSON *rid = req ? cJSON_GetObjectItemCaseSensitive(req, "rid") : NULL;
	cJSON *r;
	reply_err(&r, cJSON_IsString(rid) ? rid->valuestring : NULL, VQ_ESTORE,
	          "could not record the request; nothing changed; retry with the same rid");
	cJSON_Delete(req);
	return render(r);
}

/* --- request fields ------------------------------------------------------------------ */

typedef struct req {
	cJSON *root;
	const char *rid;
	cJSON *reply; /* set by a failing getter */
} req;

static int printable(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

/* Optional string field: VQ_OK with *out NULL when absent. */
static int get_str(req *q, const char *name, int required, size_t maxlen, const char **out)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(q->root, name);
	*out = NULL;
	if (!f) {
		if (!required)
			return VQ_OK;
		reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: missing", name);
		return VQ_EBADREQ;
	}
	if (!cJSON_IsString(f)) {
		reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: wrong type (expected string)", name);
		return VQ_EBADREQ;
	}
	if (!printable(f->valuestring, 1, maxlen)) {
		reply_err(&q->reply, q->rid, VQ_EBADREQ,
		          "%s: expected 1..%zu printable ASCII characters", name, maxlen);
		return VQ_EBADREQ;
	}
	*out = f->valuestring;
	return VQ_OK;
}

/* Integer field in [lo, hi]; *present says whether it was there. */
static int get_int(req *q, const char *name, int required, int64_t lo, int64_t hi, int64_t *out,
                   int *present)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(q->root, name);
	if (present)
		*present = f != NULL;
	if (!f) {
		if (!required)
			return VQ_OK;
		reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: missing", name);
		return VQ_EBADREQ;
	}
	double v = f->valuedouble;
	if (!cJSON_IsNumber(f) || v != (double)(int64_t)v) {
		reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: wrong type (expected integer)", name);
		return VQ_EBADREQ;
	}
	if (v < (double)lo || v > (double)hi) {
		reply_err(&q->reply, q->rid, VQ_EINVAL,
		          "%s: out of range (%" PRId64 "..%" PRId64 ")", name, lo, hi);
		return VQ_EINVAL;
	}
	*out = (int64_t)v;
	return VQ_OK;
}

/* --- guests and tickets -------------------------------------------------------------- */

/* A card number becomes a pseudonymous guest reference: a keyed hash, so the store and
 * the tickets never hold the number itself and references cannot be guessed from it. */
static uint64_t guest_of(const vq_vqd *d, const char *card)
{
	uint8_t h[8];
	crypto_generichash(h, sizeof h, (const unsigned char *)card, strlen(card), d->guest_key,
	                   sizeof d->guest_key);
	uint64_t g = 0;
	for (int i = 0; i < 8; i++)
		g = g << 8 | h[i];
	return g ? g : 1;
}

/* The tier of a card (index), or an error reply (unknown card under a refusing policy). */
static int tier_of(vq_vqd *d, req *q, const char *card, int *tier, int *member)
{
	*tier = 0;
	*member = 0;
	if (!card)
		return VQ_OK;
	char tid[VQ_ID_MAX];
	int rc = vq_store_get_member(vq_service_store(d->svc), card, tid);
	if (rc == VQ_OK) {
		int t = vq_site_tier_find(d->site, tid);
		*tier = t >= 0 ? t : 0;
		*member = 1;
		return VQ_OK;
	}
	if (rc != VQ_ENOTFOUND) {
		reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
		return VQ_ESTORE;
	}
	if (vq_site_unknown_policy(d->site) == VQ_UNKNOWN_REFUSE) {
		reply_err(&q->reply, q->rid, VQ_EUNKNOWNCARD, NULL);
		return VQ_EUNKNOWNCARD;
	}
	return VQ_OK;
}

static int attr_of(vq_vqd *d, req *q, const char *id)
{
	int a = vq_site_attr_find(d->site, id);
	if (a < 0)
		reply_err(&q->reply, q->rid, VQ_ENOATTR, "unknown attraction '%s'", id);
	return a;
}

static cJSON *ticket_json(const vq_vqd *d, const vq_ticket *t, int with_code)
{
	cJSON *o = cJSON_CreateObject();
	int a = vq_site_attr_find(d->site, t->attr);
	char number[16];
	vq_ticket_number_format(a >= 0 ? vq_site_attr(d->site, a)->prefix : "?", t->number, number,
	                        sizeof number);
	const vq_tier *tier = vq_site_tier(d->site, t->tier);
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "number", number);
	cJSON_AddStringToObject(o, "attraction", t->attr);
	cJSON_AddStringToObject(o, "tier", tier ? tier->id : "?");
	cJSON_AddNumberToObject(o, "party", t->party);
	cJSON_AddNumberToObject(o, "start", (double)t->win_start);
	cJSON_AddNumberToObject(o, "end", (double)t->win_end);
	cJSON_AddStringToObject(o, "state", vq_ticket_state_name(t->state));
	if (t->state == VQ_TS_ANYTIME) {
		cJSON_AddNumberToObject(o, "valid_from", (double)t->valid_from);
		cJSON_AddNumberToObject(o, "valid_until", (double)t->valid_until);
	}
	if (t->state == VQ_TS_REDEEMED) {
		cJSON_AddNumberToObject(o, "used_at", (double)t->used_at);
		cJSON_AddStringToObject(o, "used_gate", t->used_gate);
		cJSON_AddBoolToObject(o, "used_offline", t->used_offline);
	}
	if (with_code) {
		vq_claims c = {.kid = d->kid,
		               .ticket_id = t->id,
		               .win_start = t->win_start,
		               .win_end = t->win_end,
		               .tier = t->tier,
		               .party = t->party,
		               .number = t->number};
		snprintf(c.site, sizeof c.site, "%s", vq_site_id(d->site));
		snprintf(c.attr, sizeof c.attr, "%s", t->attr);
		char code[VQ_CODE_MAX];
		if (vq_code_sign(&c, d->sk, code, sizeof code) == VQ_OK)
			cJSON_AddStringToObject(o, "code", code);
		else
			vq_log(VQ_LOG_ERROR, "cannot sign ticket %" PRIu64, t->id);
	}
	return o;
}

/* The guest's tickets that still count against the tier's limit. */
static cJSON *held_json(const vq_vqd *d, uint64_t guest, int64_t now)
{
	cJSON *arr = cJSON_CreateArray();
	if (guest == 0)
		return arr;
	const vq_book *b = vq_service_book(d->svc);
	for (size_t i = 0; i < vq_book_ticket_count(b); i++) {
		const vq_ticket *t = vq_book_ticket_at(b, i);
		if (t->guest != guest || (t->state != VQ_TS_ISSUED && t->state != VQ_TS_ANYTIME))
			continue;
		const vq_attraction *a = vq_site_attr(d->site, vq_site_attr_find(d->site, t->attr));
		const vq_tier *tier = vq_site_tier(d->site, t->tier);
		int64_t until =
		    t->state == VQ_TS_ANYTIME
		        ? t->valid_until
		        : t->win_end + (int64_t)(a->late_grace_min + tier->late_grace_min) * 60;
		if (now < until)
			cJSON_AddItemToArray(arr, ticket_json(d, t, 1));
	}
	return arr;
}

static void mark_dirty(vq_vqd *d, const char *attr)
{
	int a = vq_site_attr_find(d->site, attr);
	if (a >= 0)
		d->dirty[a] = 1;
}

static void add_event(vq_vqd *d, const char *suffix, cJSON *ev)
{
	if (d->nevents == d->capevents) {
		size_t n = d->capevents ? d->capevents * 2 : 16;
		vqd_event *e = realloc(d->events, n * sizeof *e);
		if (!e) {
			cJSON_Delete(ev);
			return;
		}
		d->events = e;
		d->capevents = n;
	}
	vqd_event *e = &d->events[d->nevents];
	snprintf(e->suffix, sizeof e->suffix, "%s", suffix);
	e->json = render(ev);
	if (e->json)
		d->nevents++;
}

/* --- svc/identify, svc/quote --------------------------------------------------------- */

static cJSON *do_identify(vq_vqd *d, req *q, int64_t now)
{
	const char *card;
	int tier, member;
	if (get_str(q, "card", 1, 32, &card) || tier_of(d, q, card, &tier, &member))
		return q->reply;
	cJSON *r = reply_new(q->rid, 1);
	cJSON_AddStringToObject(r, "tier", vq_site_tier(d->site, tier)->id);
	cJSON_AddBoolToObject(r, "member", member);
	cJSON_AddNumberToObject(r, "max_passes", vq_site_tier(d->site, tier)->max_passes);
	cJSON_AddItemToObject(r, "held", held_json(d, guest_of(d, card), now));
	return r;
}

static cJSON *quote_item(vq_vqd *d, int a, const vq_request *rq, int64_t now)
{
	vq_request r = *rq;
	r.attr = a;
	vq_offer o;
	cJSON *it = cJSON_CreateObject();
	cJSON_AddStringToObject(it, "attraction", vq_site_attr(d->site, a)->id);
	int rc = vq_book_quote(vq_service_book(d->svc), &r, now, &o);
	cJSON_AddBoolToObject(it, "ok", rc == VQ_OK);
	if (rc == VQ_OK) {
		cJSON_AddNumberToObject(it, "start", (double)o.win_start);
		cJSON_AddNumberToObject(it, "end", (double)o.win_end);
		cJSON_AddNumberToObject(it, "seats_left", o.seats_left);
	} else {
		cJSON_AddStringToObject(it, "error", vq_errname(rc));
	}
	return it;
}

static cJSON *do_quote(vq_vqd *d, req *q, int64_t now)
{
	const char *card, *attr;
	int64_t party;
	int tier, member;
	if (get_str(q, "card", 0, 32, &card) || get_str(q, "attraction", 0, VQ_ID_MAX - 1, &attr) ||
	    get_int(q, "party", 1, 1, VQ_MAX_PARTY, &party, NULL) ||
	    tier_of(d, q, card, &tier, &member))
		return q->reply;
	int only = -1;
	if (attr && (only = attr_of(d, q, attr)) < 0)
		return q->reply;
	uint64_t guest = card ? guest_of(d, card) : 0;
	vq_request rq = {.tier = tier, .party = (int)party, .guest = guest};
	cJSON *r = reply_new(q->rid, 1);
	cJSON_AddStringToObject(r, "tier", vq_site_tier(d->site, tier)->id);
	cJSON_AddNumberToObject(r, "held", vq_book_guest_held(vq_service_book(d->svc), guest, now));
	cJSON_AddNumberToObject(r, "max_passes", vq_site_tier(d->site, tier)->max_passes);
	cJSON *arr = cJSON_AddArrayToObject(r, "quotes");
	for (int a = 0; a < vq_site_attr_count(d->site); a++)
		if (only < 0 || a == only)
			cJSON_AddItemToArray(arr, quote_item(d, a, &rq, now));
	return r;
}

/* --- svc/issue, svc/cancel ----------------------------------------------------------- */

static cJSON *do_issue(vq_vqd *d, req *q, int64_t now)
{
	const char *card, *attr;
	int64_t party;
	int tier, member, a;
	if (get_str(q, "card", 0, 32, &card) || get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) ||
	    get_int(q, "party", 1, 1, VQ_MAX_PARTY, &party, NULL) ||
	    (a = attr_of(d, q, attr)) < 0 || tier_of(d, q, card, &tier, &member))
		return q->reply;
	uint64_t guest = card ? guest_of(d, card) : 0;
	vq_request rq = {.attr = a, .tier = tier, .party = (int)party, .guest = guest};
	vq_ticket t;
	vq_book *b = vq_service_book(d->svc);
	int rc = vq_book_issue(b, &rq, now, &t);
	if (rc == VQ_OK) {
		mark_dirty(d, t.attr);
		cJSON *r = reply_new(q->rid, 1);
		cJSON_AddItemToObject(r, "ticket", ticket_json(d, &t, 1));
		return r;
	}
	cJSON *r;
	cJSON *e = reply_err(&r, q->rid, rc, NULL);
	if (rc == VQ_EPARTY) {
		cJSON_AddNumberToObject(e, "max_party", vq_site_attr(d->site, a)->max_party);
	} else if (rc == VQ_ELIMIT) {
		cJSON_AddItemToObject(e, "held", held_json(d, guest, now));
	} else if (rc == VQ_ESOLDOUT || rc == VQ_ECLOSED || rc == VQ_ENOTOPEN) {
		/* what the guest could take instead, so the kiosk can offer it */
		cJSON *alts = cJSON_AddArrayToObject(e, "alternatives");
		for (int o = 0; o < vq_site_attr_count(d->site); o++) {
			vq_offer off;
			vq_request alt = rq;
			alt.attr = o;
			if (o == a || vq_book_quote(b, &alt, now, &off) != VQ_OK)
				continue;
			cJSON *it = cJSON_CreateObject();
			cJSON_AddStringToObject(it, "attraction", vq_site_attr(d->site, o)->id);
			cJSON_AddNumberToObject(it, "start", (double)off.win_start);
			cJSON_AddNumberToObject(it, "end", (double)off.win_end);
			cJSON_AddItemToArray(alts, it);
		}
	}
	return r;
}

static cJSON *do_cancel(vq_vqd *d, req *q, int64_t now)
{
	const char *card;
	int64_t id;
	if (get_str(q, "card", 1, 32, &card) ||
	    get_int(q, "ticket", 1, 1, INT64_C(1) << 48, &id, NULL))
		return q->reply;
	vq_book *b = vq_service_book(d->svc);
	const vq_ticket *t = vq_book_ticket(b, (uint64_t)id);
	/* someone else's ticket is reported as unknown: ids are not secrets */
	if (!t || t->guest != guest_of(d, card)) {
		reply_err(&q->reply, q->rid, VQ_ENOTICKET, "no ticket %" PRId64 " for this card",
		          id);
		return q->reply;
	}
	vq_ticket out;
	int rc = vq_book_cancel(b, (uint64_t)id, now, &out);
	if (rc != VQ_OK) {
		reply_err(&q->reply, q->rid, rc, "ticket %" PRId64 " is %s", id,
		          vq_ticket_state_name(t->state));
		return q->reply;
	}
	mark_dirty(d, out.attr);
	cJSON *r = reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "ticket", ticket_json(d, &out, 0));
	return r;
}

/* --- svc/redeem, svc/sync, svc/override, svc/lookup --------------------------------- */

/* Boards show admitted numbers; gates' shift counters and audits read the same event. */
static void admission_event(vq_vqd *d, const vq_ticket *t, const char *attr, const char *gate,
                            int64_t at, int offline, int override)
{
	int a = vq_site_attr_find(d->site, attr);
	char number[16];
	vq_ticket_number_format(a >= 0 ? vq_site_attr(d->site, a)->prefix : "?", t->number, number,
	                        sizeof number);
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "v", 1);
	cJSON_AddStringToObject(ev, "attraction", attr);
	cJSON_AddStringToObject(ev, "number", number);
	cJSON_AddNumberToObject(ev, "ticket", (double)t->id);
	cJSON_AddNumberToObject(ev, "party", t->party);
	cJSON_AddStringToObject(ev, "tier", vq_site_tier(d->site, t->tier)->id);
	cJSON_AddStringToObject(ev, "gate", gate);
	cJSON_AddNumberToObject(ev, "at", (double)at);
	cJSON_AddBoolToObject(ev, "offline", offline);
	if (override)
		cJSON_AddBoolToObject(ev, "override", 1);
	add_event(d, "events/admission", ev);
}

/* Verifies a code field into claims, or sets an error reply. */
static int code_of(vq_vqd *d, req *q, const char *code, vq_claims *c)
{
	int rc = vq_code_verify(code, strlen(code), &d->ring, c);
	if (rc == VQ_OK && strcmp(c->site, vq_site_id(d->site)) != 0)
		rc = VQ_EBADSIG; /* a valid code of another site is not ours to honour */
	if (rc != VQ_OK)
		reply_err(&q->reply, q->rid, rc == VQ_EINVAL ? VQ_EMALFORMED : rc, NULL);
	return rc;
}

static cJSON *do_redeem(vq_vqd *d, req *q, const char *client, int64_t now)
{
	const char *code, *attr;
	int64_t at = now;
	int has_at;
	vq_claims c;
	if (get_str(q, "code", 1, VQ_CODE_MAX - 1, &code) ||
	    get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) ||
	    get_int(q, "at", 0, 0, now, &at, &has_at) || attr_of(d, q, attr) < 0 ||
	    code_of(d, q, code, &c))
		return q->reply;
	vq_verdict v;
	vq_ticket t;
	int rc = vq_service_redeem(d->svc, c.ticket_id, attr, client, has_at, at, &v, &t);
	if (rc == VQ_OK) {
		mark_dirty(d, attr);
		cJSON *r = reply_new(q->rid, 1);
		cJSON_AddBoolToObject(r, "admit", 1);
		cJSON_AddItemToObject(r, "ticket", ticket_json(d, &t, 0));
		admission_event(d, &t, attr, client, at, has_at, 0);
		return r;
	}
	if (rc == VQ_ENOTICKET && c.win_end < vq_book_day_start(vq_service_book(d->svc))) {
		/* a ticket of an earlier day: its window is long gone */
		rc = VQ_EEXPIRED;
		v.from = c.win_start;
		v.until = c.win_end;
	}
	cJSON *e = reply_err(&q->reply, q->rid, rc, NULL);
	if (rc == VQ_ETOOEARLY || rc == VQ_EEXPIRED) {
		cJSON_AddNumberToObject(e, "from", (double)v.from);
		cJSON_AddNumberToObject(e, "until", (double)v.until);
	} else if (rc == VQ_EUSED) {
		cJSON_AddNumberToObject(e, "used_at", (double)v.used_at);
		cJSON_AddStringToObject(e, "used_gate", v.used_gate);
	} else if (rc == VQ_EWRONGATTR) {
		cJSON_AddStringToObject(e, "ticket_attraction", c.attr);
	}
	return q->reply;
}

/* A gate that admitted while it could not reach vqd sends those admissions when it can.
 * Each is checked at the instant it happened; one that another gate admitted first is a
 * conflict: the ticket was used twice, and both gates must know. */
static cJSON *do_sync(vq_vqd *d, req *q, const char *client, int64_t now)
{
	const cJSON *adm = cJSON_GetObjectItemCaseSensitive(q->root, "admissions");
	int n = cJSON_IsArray(adm) ? cJSON_GetArraySize(adm) : -1;
	if (n < 1 || n > VQD_MAX_SYNC) {
		reply_err(&q->reply, q->rid, VQ_EBADREQ, "admissions: %s",
		          n < 0 ? "missing or not an array" : "1..200 a request");
		return q->reply;
	}
	cJSON *r = reply_new(q->rid, 1);
	cJSON *results = cJSON_AddArrayToObject(r, "results");
	const cJSON *it;
	cJSON_ArrayForEach(it, adm)
	{
		cJSON *res = cJSON_CreateObject();
		cJSON_AddItemToArray(results, res);
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(it, "code");
		const cJSON *attr = cJSON_GetObjectItemCaseSensitive(it, "attraction");
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(it, "at");
		vq_claims c;
		int rc = VQ_EBADREQ;
		if (cJSON_IsString(code) && cJSON_IsString(attr) && cJSON_IsNumber(at) &&
		    at->valuedouble >= 0 && at->valuedouble <= (double)now &&
		    vq_site_attr_find(d->site, attr->valuestring) >= 0) {
			rc = vq_code_verify(code->valuestring, strlen(code->valuestring), &d->ring,
			                    &c);
			if (rc == VQ_OK && strcmp(c.site, vq_site_id(d->site)) != 0)
				rc = VQ_EBADSIG;
		}
		if (rc != VQ_OK) {
			cJSON_AddBoolToObject(res, "ok", 0);
			cJSON_AddStringToObject(res, "error", vq_errname(rc));
			continue;
		}
		cJSON_AddNumberToObject(res, "ticket", (double)c.ticket_id);
		vq_verdict v;
		vq_ticket t;
		int64_t when = (int64_t)at->valuedouble;
		rc = vq_service_redeem(d->svc, c.ticket_id, attr->valuestring, client, 1, when, &v,
		                       &t);
		if (rc == VQ_ESTORE || rc == VQ_EINVAL) {
			cJSON_Delete(r);
			reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
			return q->reply;
		}
		cJSON_AddBoolToObject(res, "ok", rc == VQ_OK);
		if (rc == VQ_OK) {
			mark_dirty(d, attr->valuestring);
			admission_event(d, &t, attr->valuestring, client, when, 1, 0);
			continue;
		}
		cJSON_AddStringToObject(res, "error", vq_errname(rc));
		if (rc == VQ_EUSED) {
			cJSON_AddBoolToObject(res, "conflict", 1);
			cJSON_AddNumberToObject(res, "used_at", (double)v.used_at);
			cJSON_AddStringToObject(res, "used_gate", v.used_gate);
			cJSON *ev = cJSON_CreateObject();
			cJSON_AddNumberToObject(ev, "v", 1);
			cJSON_AddStringToObject(ev, "attraction", attr->valuestring);
			cJSON_AddNumberToObject(ev, "ticket", (double)c.ticket_id);
			cJSON_AddStringToObject(ev, "gate", client);
			cJSON_AddNumberToObject(ev, "at", (double)when);
			cJSON_AddStringToObject(ev, "first_gate", v.used_gate);
			cJSON_AddNumberToObject(ev, "first_at", (double)v.used_at);
			add_event(d, "events/conflict", ev);
		}
	}
	return r;
}

static int reason_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 200)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Staff admit anyway, with a reason that lands in the audit log: a damaged code, a guest
 * who missed the window through the park's fault. A known, unused ticket is marked used. */
static cJSON *do_override(vq_vqd *d, req *q, const char *client, int64_t now)
{
	const char *code, *attr;
	int64_t id = 0;
	int has_id;
	vq_claims c;
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(q->root, "reason");
	if (get_str(q, "code", 0, VQ_CODE_MAX - 1, &code) ||
	    get_int(q, "ticket", 0, 1, INT64_C(1) << 48, &id, &has_id) ||
	    get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) || attr_of(d, q, attr) < 0)
		return q->reply;
	if (!cJSON_IsString(reason) || !reason_ok(reason->valuestring)) {
		reply_err(&q->reply, q->rid, VQ_EBADREQ, "reason: %s",
		          reason ? "expected 1..200 bytes of text" : "missing");
		return q->reply;
	}
	if (code && vq_code_verify(code, strlen(code), &d->ring, &c) == VQ_OK &&
	    strcmp(c.site, vq_site_id(d->site)) == 0) {
		id = (int64_t)c.ticket_id;
		has_id = 1;
	}
	cJSON *r = reply_new(q->rid, 1);
	cJSON_AddBoolToObject(r, "admit", 1);
	if (has_id) {
		vq_ticket t;
		int rc = vq_service_override(d->svc, (uint64_t)id, client, now, &t);
		if (rc == VQ_ESTORE || rc == VQ_EINVAL) {
			cJSON_Delete(r);
			reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
			return q->reply;
		}
		if (rc == VQ_OK) {
			mark_dirty(d, t.attr);
			cJSON_AddItemToObject(r, "ticket", ticket_json(d, &t, 0));
			admission_event(d, &t, attr, client, now, 0, 1);
		} else {
			/* admitted all the same: the audit says the ticket could not be marked */
			cJSON_AddStringToObject(r, "ticket_state", vq_errname(rc));
		}
	}
	char *detail = cJSON_PrintUnformatted(q->root);
	if (vq_store_audit(vq_service_store(d->svc), now, client, "override", detail) != VQ_OK) {
		free(detail);
		cJSON_Delete(r);
		reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
		return q->reply;
	}
	free(detail);
	return r;
}

static cJSON *do_lookup(vq_vqd *d, req *q)
{
	const char *code;
	int64_t id = 0;
	int has_id;
	vq_claims c;
	if (get_str(q, "code", 0, VQ_CODE_MAX - 1, &code) ||
	    get_int(q, "ticket", 0, 1, INT64_C(1) << 48, &id, &has_id))
		return q->reply;
	if (!code && !has_id) {
		reply_err(&q->reply, q->rid, VQ_EBADREQ, "ticket or code: missing");
		return q->reply;
	}
	if (code) {
		if (code_of(d, q, code, &c))
			return q->reply;
		id = (int64_t)c.ticket_id;
	}
	vq_ticket t;
	const vq_ticket *bt = vq_book_ticket(vq_service_book(d->svc), (uint64_t)id);
	if (bt)
		t = *bt;
	else if (vq_store_get_ticket(vq_service_store(d->svc), (uint64_t)id, &t) != VQ_OK) {
		reply_err(&q->reply, q->rid, VQ_ENOTICKET, "no ticket %" PRId64, id);
		return q->reply;
	}
	cJSON *r = reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "ticket", ticket_json(d, &t, 0));
	return r;
}

/* --- svc/ops ------------------------------------------------------------------------- */

static void audit(vq_vqd *d, req *q, const char *client, const char *cmd, int64_t now)
{
	char *detail = cJSON_PrintUnformatted(q->root);
	if (vq_store_audit(vq_service_store(d->svc), now, client, cmd, detail) != VQ_OK)
		vq_log(VQ_LOG_ERROR, "audit of %s by %s failed", cmd, client);
	free(detail);
}

static cJSON *state_reply(vq_vqd *d, req *q, int a, int64_t now)
{
	d->dirty[a] = 1;
	cJSON *r = reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "state", vqd_state_attr(d, a, now));
	return r;
}

static cJSON *ops_capacity(vq_vqd *d, req *q, int a, int64_t now)
{
	int64_t tp = -1, share = -1, over = -1;
	int p1, p2, p3;
	if (get_int(q, "throughput_per_hour", 0, 1, 100000, &tp, &p1) ||
	    get_int(q, "fast_share_pct", 0, 0, 100, &share, &p2) ||
	    get_int(q, "overbook_pct", 0, 0, 100, &over, &p3))
		return q->reply;
	if (!p1 && !p2 && !p3) {
		reply_err(&q->reply, q->rid, VQ_EBADREQ,
		          "throughput_per_hour, fast_share_pct or overbook_pct: missing");
		return q->reply;
	}
	vq_capacity c = {.throughput_per_hour = (int)tp,
	                 .fast_share_pct = (int)share,
	                 .overbook_pct = (int)over};
	int rc = vq_book_set_capacity(vq_service_book(d->svc), a, &c, now);
	if (rc != VQ_OK) {
		reply_err(&q->reply, q->rid, rc, NULL);
		return q->reply;
	}
	return state_reply(d, q, a, now);
}

static cJSON *ops_import(vq_vqd *d, req *q)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(q->root, "members");
	if (!cJSON_IsArray(m)) {
		reply_err(&q->reply, q->rid, VQ_EBADREQ, "members: %s",
		          m ? "wrong type (expected array)" : "missing");
		return q->reply;
	}
	int n = cJSON_GetArraySize(m);
	if (n < 1 || n > VQD_MAX_IMPORT) {
		reply_err(&q->reply, q->rid, VQ_EINVAL, "members: 1..%d a request", VQD_MAX_IMPORT);
		return q->reply;
	}
	/* all or nothing: check every entry before writing any */
	int i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, m)
	{
		const cJSON *card = cJSON_GetObjectItemCaseSensitive(it, "card");
		const cJSON *tier = cJSON_GetObjectItemCaseSensitive(it, "tier");
		if (!cJSON_IsString(card) || !printable(card->valuestring, 1, 32)) {
			reply_err(&q->reply, q->rid, VQ_EBADREQ,
			          "members[%d].card: expected 1..32 printable ASCII characters", i);
			return q->reply;
		}
		if (!cJSON_IsString(tier) || vq_site_tier_find(d->site, tier->valuestring) < 0) {
			reply_err(&q->reply, q->rid, VQ_ENOTIER, "members[%d].tier: unknown tier",
			          i);
			return q->reply;
		}
		i++;
	}
	cJSON_ArrayForEach(it, m)
	{
		if (vq_store_put_member(
		        vq_service_store(d->svc),
		        cJSON_GetObjectItemCaseSensitive(it, "card")->valuestring,
		        cJSON_GetObjectItemCaseSensitive(it, "tier")->valuestring) != VQ_OK) {
			reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
			return q->reply;
		}
	}
	cJSON *r = reply_new(q->rid, 1);
	cJSON_AddNumberToObject(r, "imported", n);
	return r;
}

static cJSON *ops_stats(vq_vqd *d, req *q, int64_t now)
{
	const vq_book *b = vq_service_book(d->svc);
	int64_t by_state[4] = {0}, members = 0, audits = 0;
	for (size_t i = 0; i < vq_book_ticket_count(b); i++)
		by_state[vq_book_ticket_at(b, i)->state & 3]++;
	vq_store_member_count(vq_service_store(d->svc), &members);
	vq_store_audit_count(vq_service_store(d->svc), &audits);
	cJSON *r = reply_new(q->rid, 1);
	cJSON *t = cJSON_AddObjectToObject(r, "tickets_today");
	for (int s = 0; s < 4; s++)
		cJSON_AddNumberToObject(t, vq_ticket_state_name(s), (double)by_state[s]);
	cJSON_AddNumberToObject(r, "members", (double)members);
	cJSON_AddNumberToObject(r, "audit_entries", (double)audits);
	cJSON_AddNumberToObject(r, "requests", (double)d->requests);
	cJSON_AddNumberToObject(r, "replays", (double)d->replays);
	cJSON_AddNumberToObject(r, "batches", (double)d->batches);
	cJSON_AddNumberToObject(r, "failed_commits", (double)d->failed_commits);
	cJSON_AddNumberToObject(r, "uptime_s", (double)(now - d->started));
	return r;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, b, n);
}

static cJSON *ops_keys(vq_vqd *d, req *q)
{
	cJSON *r = reply_new(q->rid, 1);
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

static cJSON *ops_rotate(vq_vqd *d, req *q, int64_t now)
{
	if (d->ring.count >= VQ_KEYRING_MAX) {
		reply_err(&q->reply, q->rid, VQ_EINVAL, "the key ring is full (%d keys)",
		          VQ_KEYRING_MAX);
		return q->reply;
	}
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	uint8_t kid = (uint8_t)(d->kid + 1);
	vq_keyring ring = d->ring;
	if (vq_keyring_add(&ring, kid, pk) != VQ_OK ||
	    vq_store_put_key(vq_service_store(d->svc), kid, pk, sk, 1, now) != VQ_OK) {
		sodium_memzero(sk, sizeof sk);
		reply_err(&q->reply, q->rid, VQ_ESTORE, "could not store the new key");
		return q->reply;
	}
	/* the new key signs from the next ticket on; a failed commit reloads the old one */
	d->ring = ring;
	d->kid = kid;
	memcpy(d->pk, pk, sizeof pk);
	memcpy(d->sk, sk, sizeof sk);
	sodium_memzero(sk, sizeof sk);
	d->site_dirty = 1;
	char h[65];
	hex(pk, 32, h);
	cJSON *r = reply_new(q->rid, 1);
	cJSON_AddNumberToObject(r, "kid", kid);
	cJSON_AddStringToObject(r, "public_key", h);
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
static cJSON *ops_tier(vq_vqd *d, req *q)
{
	const char *id;
	if (get_str(q, "tier", 1, VQ_ID_MAX - 1, &id))
		return q->reply;
	if (vq_site_tier_find(d->site, id) < 0) {
		reply_err(&q->reply, q->rid, VQ_ENOTIER, "unknown tier '%s'", id);
		return q->reply;
	}
	cJSON *changes = cJSON_CreateObject();
	for (int i = 0; vqd_tier_fields[i]; i++) {
		int64_t v;
		int present;
		if (get_int(q, vqd_tier_fields[i], 0, 0, 100000, &v, &present)) {
			cJSON_Delete(changes);
			return q->reply;
		}
		if (present)
			cJSON_AddNumberToObject(changes, vqd_tier_fields[i], (double)v);
	}
	if (cJSON_GetArraySize(changes) == 0) {
		cJSON_Delete(changes);
		reply_err(&q->reply, q->rid, VQ_EBADREQ,
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
		reply_err(&q->reply, q->rid, VQ_EINVAL, "%s", why ? why + 2 : err);
		free(merged);
		return q->reply;
	}
	if (rc != VQ_OK ||
	    vq_store_set_setting(vq_service_store(d->svc), "tier_overrides", merged) != VQ_OK) {
		reply_err(&q->reply, q->rid, rc == VQ_OK ? VQ_ESTORE : rc, NULL);
		free(merged);
		vq_site_free(fresh);
		return q->reply;
	}
	vq_site_free(d->pending_site);
	free(d->pending_overrides);
	d->pending_site = fresh;
	d->pending_overrides = merged;
	cJSON *r = reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "tier", tier_json(fresh, vq_site_tier_find(fresh, id)));
	return r;
}

static int ops_reads_only(const char *cmd)
{
	static const char *const ro[] = {"status", "stats", "member", "keys", "tiers", NULL};
	for (int i = 0; ro[i]; i++)
		if (strcmp(cmd, ro[i]) == 0)
			return 1;
	return 0;
}

static cJSON *do_ops(vq_vqd *d, req *q, const char *cmd, const char *client, int64_t now)
{
	if (!strcmp(cmd, "status")) {
		cJSON *r = reply_new(q->rid, 1);
		cJSON *arr = cJSON_AddArrayToObject(r, "attractions");
		for (int a = 0; a < vq_site_attr_count(d->site); a++)
			cJSON_AddItemToArray(arr, vqd_state_attr(d, a, now));
		return r;
	}
	if (!strcmp(cmd, "stats"))
		return ops_stats(d, q, now);
	if (!strcmp(cmd, "keys"))
		return ops_keys(d, q);
	if (!strcmp(cmd, "tiers")) {
		cJSON *r = reply_new(q->rid, 1);
		cJSON *arr = cJSON_AddArrayToObject(r, "tiers");
		for (int t = 0; t < vq_site_tier_count(d->site); t++)
			cJSON_AddItemToArray(arr, tier_json(d->site, t));
		return r;
	}
	if (!strcmp(cmd, "member")) {
		const char *card;
		char tier[VQ_ID_MAX];
		if (get_str(q, "card", 1, 32, &card))
			return q->reply;
		if (vq_store_get_member(vq_service_store(d->svc), card, tier) != VQ_OK) {
			reply_err(&q->reply, q->rid, VQ_ENOTFOUND, "card '%s' is not a member",
			          card);
			return q->reply;
		}
		cJSON *r = reply_new(q->rid, 1);
		cJSON_AddStringToObject(r, "card", card);
		cJSON_AddStringToObject(r, "tier", tier);
		return r;
	}
	cJSON *r = NULL;
	if (!strcmp(cmd, "members_import")) {
		r = ops_import(d, q);
	} else if (!strcmp(cmd, "keys_rotate")) {
		r = ops_rotate(d, q, now);
	} else if (!strcmp(cmd, "tier")) {
		r = ops_tier(d, q);
	} else if (!strcmp(cmd, "capacity") || !strcmp(cmd, "close") || !strcmp(cmd, "reopen") ||
	           !strcmp(cmd, "standby") || !strcmp(cmd, "merge")) {
		const char *attr;
		int a;
		if (get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) ||
		    (a = attr_of(d, q, attr)) < 0)
			return q->reply;
		vq_book *b = vq_service_book(d->svc);
		if (!strcmp(cmd, "capacity")) {
			r = ops_capacity(d, q, a, now);
		} else if (!strcmp(cmd, "merge")) {
			int64_t fast, standby;
			if (get_int(q, "fast", 1, 1, 99, &fast, NULL) ||
			    get_int(q, "standby", 1, 1, 99, &standby, NULL))
				return q->reply;
			char key[64], val[16];
			snprintf(key, sizeof key, "merge.%s", attr);
			snprintf(val, sizeof val, "%d:%d", (int)fast, (int)standby);
			if (vq_store_set_setting(vq_service_store(d->svc), key, val) != VQ_OK) {
				reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
				return q->reply;
			}
			d->merge_fast[a] = (int)fast;
			d->merge_standby[a] = (int)standby;
			r = state_reply(d, q, a, now);
		} else if (!strcmp(cmd, "standby")) {
			int64_t min;
			if (get_int(q, "minutes", 1, 0, 600, &min, NULL))
				return q->reply;
			d->standby_min[a] = (int)min;
			char key[64], val[16];
			snprintf(key, sizeof key, "standby.%s", attr);
			snprintf(val, sizeof val, "%d", (int)min);
			if (vq_store_set_setting(vq_service_store(d->svc), key, val) != VQ_OK) {
				reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
				return q->reply;
			}
			r = state_reply(d, q, a, now);
		} else if (!strcmp(cmd, "close")) {
			int rc = vq_book_close(b, a, now);
			if (rc != VQ_OK) {
				reply_err(&q->reply, q->rid, rc, "'%s' is already closed", attr);
				return q->reply;
			}
			r = state_reply(d, q, a, now);
		} else {
			size_t converted = 0;
			int rc = vq_book_reopen(b, a, now, &converted);
			if (rc != VQ_OK) {
				reply_err(&q->reply, q->rid, rc, "'%s' is not closed", attr);
				return q->reply;
			}
			r = state_reply(d, q, a, now);
			cJSON_AddNumberToObject(r, "converted", (double)converted);
		}
	} else {
		reply_err(&q->reply, q->rid, VQ_EUNKNOWNCMD, "unknown command '%s'", cmd);
		return q->reply;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")))
		audit(d, q, client, cmd, now);
	return r;
}

/* --- dispatch ------------------------------------------------------------------------ */

enum kind {
	K_IDENTIFY,
	K_QUOTE,
	K_ISSUE,
	K_CANCEL,
	K_REDEEM,
	K_SYNC,
	K_OVERRIDE,
	K_LOOKUP,
	K_OPS,
	K_UNKNOWN
};

static enum kind kind_of(const char *suffix)
{
	static const char *const names[] = {"svc/identify", "svc/quote",  "svc/issue",
	                                    "svc/cancel",   "svc/redeem", "svc/sync",
	                                    "svc/override", "svc/lookup", "svc/ops"};
	for (int k = 0; k < K_UNKNOWN; k++)
		if (strcmp(suffix, names[k]) == 0)
			return (enum kind)k;
	return K_UNKNOWN;
}

char *vqd_handle(vq_vqd *d, const char *suffix, const char *payload, size_t len, const char *client,
                 int64_t now)
{
	enum kind k = kind_of(suffix);
	req q = {0};
	cJSON *r = NULL;
	d->requests++;
	if (len > (k == K_OPS ? (size_t)VQD_MAX_OPS : (size_t)VQD_MAX_REQUEST)) {
		reply_err(&r, NULL, VQ_ETOOBIG, "payload of %zu bytes; the limit is %d", len,
		          k == K_OPS ? VQD_MAX_OPS : VQD_MAX_REQUEST);
		return render(r);
	}
	q.root = cJSON_ParseWithLength(payload, len);
	if (!cJSON_IsObject(q.root)) {
		reply_err(&r, NULL, VQ_EBADREQ,
		          q.root ? "expected a JSON object" : "not valid JSON");
		goto out;
	}
	const cJSON *rid = cJSON_GetObjectItemCaseSensitive(q.root, "rid");
	if (cJSON_IsString(rid) && printable(rid->valuestring, 1, 64))
		q.rid = rid->valuestring;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(q.root, "v");
	if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
		reply_err(&r, q.rid, VQ_EBADREQ, "v: %s",
		          v ? "unsupported version (expected 1)" : "missing");
		goto out;
	}
	if (!q.rid) {
		reply_err(&r, NULL, VQ_EBADREQ, "rid: %s",
		          rid ? "expected 1..64 printable ASCII characters" : "missing");
		goto out;
	}
	if (k == K_UNKNOWN) {
		reply_err(&r, q.rid, VQ_EUNKNOWNCMD, "vqd does not serve %s", suffix);
		goto out;
	}
	const char *cmd = NULL;
	if (k == K_OPS && get_str(&q, "cmd", 1, 31, &cmd)) {
		r = q.reply;
		goto out;
	}
	int mutating = k == K_ISSUE || k == K_CANCEL || k == K_REDEEM || k == K_SYNC ||
	               k == K_OVERRIDE || (k == K_OPS && !ops_reads_only(cmd));
	/* request ids are the client's own: scoped by the client id the broker vouches for */
	char key[VQ_STORE_RID_MAX + 1];
	snprintf(key, sizeof key, "%s/%s", client, q.rid);
	if (mutating) {
		char *prev = NULL;
		size_t plen = 0;
		if (vq_service_recall(d->svc, key, &prev, &plen) == VQ_OK) {
			d->replays++;
			cJSON_Delete(q.root);
			return prev;
		}
	}
	switch (k) {
	case K_IDENTIFY:
		r = do_identify(d, &q, now);
		break;
	case K_QUOTE:
		r = do_quote(d, &q, now);
		break;
	case K_ISSUE:
		r = do_issue(d, &q, now);
		break;
	case K_CANCEL:
		r = do_cancel(d, &q, now);
		break;
	case K_REDEEM:
		r = do_redeem(d, &q, client, now);
		break;
	case K_SYNC:
		r = do_sync(d, &q, client, now);
		break;
	case K_OVERRIDE:
		r = do_override(d, &q, client, now);
		break;
	case K_LOOKUP:
		r = do_lookup(d, &q);
		break;
	case K_OPS:
		r = do_ops(d, &q, cmd, client, now);
		break;
	case K_UNKNOWN:
		break;
	}
	if (r != q.reply)
		cJSON_Delete(q.reply);
	char *text = render(r);
	/* storage errors are not answers: a retry with the same rid must be tried again */
	if (mutating && text && !strstr(text, "\"code\":\"storage\"") &&
	    vq_service_remember(d->svc, key, suffix + 4, text, strlen(text), now) != VQ_OK) {
		free(text);
		text = vqd_storage_error(payload, len);
	}
	cJSON_Delete(q.root);
	return text;
out:
	cJSON_Delete(q.root);
	return render(r);
}
