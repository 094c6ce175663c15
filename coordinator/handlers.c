/* coordinator/handlers.c — one request in, one reply out, inside vqd's open batch.
 *
 * Owns the request envelope and the helpers every verb shares (handlers.h); the verbs
 * live in handlers_guest.c, handlers_gate.c, handlers_access.c, handlers_ops.c and
 * handlers_web.c; which fields each verb may carry, in fields.c. It checks
 * every field of a request before anything changes, so a bad request changes nothing and
 * gets an error naming the field.
 *
 * Before any of that, the request counts against its account's rate limit (the verb's
 * role: ratelimit.h); a refused one costs a bucket look-up and a short reply, nothing more.
 *
 * Mutating requests are idempotent by request id: the first reply is remembered in the
 * same transaction as the change, bound to a digest of the verb and the request, and a
 * repeated id gets that reply back byte for byte if it asks the same thing, `rid_reused`
 * if it asks anything else. A refusal that decided nothing (the request's form, an unknown
 * name, a code that does not verify, a limit) is not remembered: the same request gets it
 * again anyway, and a flood of such requests leaves nothing behind.
 */
#include "coordinator/handlers.h"
#include "coordinator/log.h"
#include "core/json.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- replies ------------------------------------------------------------------------- */

cJSON *vqd_reply_new(const char *rid, int ok)
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

cJSON *vqd_reply_err(cJSON **out, const char *rid, int code, const char *fmt, ...)
{
	*out = vqd_reply_new(rid, 0);
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

char *vqd_render(cJSON *r)
{
	char *s = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	return s;
}

char *vqd_refuse(const char *payload, size_t len, int code, const char *msg)
{
	cJSON *req = cJSON_ParseWithLength(payload, len);
	const cJSON *rid =
	    cJSON_IsObject(req) ? cJSON_GetObjectItemCaseSensitive(req, "rid") : NULL;
	cJSON *r;
	vqd_reply_err(&r,
	              cJSON_IsString(rid) && vqd_printable(rid->valuestring, 1, VQD_RID_MAX)
	                  ? rid->valuestring
	                  : NULL,
	              code, "%s", msg);
	cJSON_Delete(req);
	return vqd_render(r);
}

char *vqd_storage_error(const char *payload, size_t len)
{
	return vqd_refuse(payload, len, VQ_ESTORE,
	                  "could not record the request; nothing changed; retry with the same rid");
}

/* --- request fields ------------------------------------------------------------------ */

int vqd_printable(const char *s, size_t min, size_t max)
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
int vqd_get_str(vqd_req *q, const char *name, int required, size_t maxlen, const char **out)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(q->root, name);
	*out = NULL;
	if (!f) {
		if (!required)
			return VQ_OK;
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: missing", name);
		return VQ_EBADREQ;
	}
	if (!cJSON_IsString(f)) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: wrong type (expected string)",
		              name);
		return VQ_EBADREQ;
	}
	if (!vqd_printable(f->valuestring, 1, maxlen)) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ,
		              "%s: expected 1..%zu printable ASCII characters", name, maxlen);
		return VQ_EBADREQ;
	}
	*out = f->valuestring;
	return VQ_OK;
}

/* Text a person reads (a reason): 1..maxlen bytes of UTF-8 without control or bidi
 * characters. The envelope already refused those anywhere in a request; this also holds
 * the length, and stays true if the envelope's rules ever loosen. */
int vqd_get_text(vqd_req *q, const char *name, int required, size_t maxlen, const char **out)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(q->root, name);
	*out = NULL;
	if (!f) {
		if (!required)
			return VQ_OK;
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: missing", name);
		return VQ_EBADREQ;
	}
	if (!cJSON_IsString(f)) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: wrong type (expected string)",
		              name);
		return VQ_EBADREQ;
	}
	size_t n = strlen(f->valuestring);
	if (n < 1 || n > maxlen) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: expected 1..%zu bytes of text",
		              name, maxlen);
		return VQ_EBADREQ;
	}
	int fault = vq_json_text_check(f->valuestring, n);
	if (fault) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: %s", name,
		              vq_json_text_reason(fault));
		return VQ_EBADREQ;
	}
	*out = f->valuestring;
	return VQ_OK;
}

/* Integer field in [lo, hi], read from the number as written (core/json.h): 1.0, 1e0 or
 * 1e300 are not integers, and nothing is cast before its range is checked. */
int vqd_get_int(vqd_req *q, const char *name, int required, int64_t lo, int64_t hi, int64_t *out,
                int *present)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(q->root, name);
	if (present)
		*present = f != NULL;
	if (!f) {
		if (!required)
			return VQ_OK;
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: missing", name);
		return VQ_EBADREQ;
	}
	int rc = vq_json_int(f, lo, hi, out);
	if (rc == VQ_EBADREQ)
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s: wrong type (expected integer)",
		              name);
	else if (rc != VQ_OK)
		vqd_reply_err(&q->reply, q->rid, VQ_EINVAL,
		              "%s: out of range (%" PRId64 "..%" PRId64 ")", name, lo, hi);
	return rc;
}

/* --- guests and tickets -------------------------------------------------------------- */

/* A card number becomes a pseudonymous guest reference: a keyed hash, so the store and
 * the tickets never hold the number itself and references cannot be guessed from it. */
uint64_t vqd_guest_of(const vq_vqd *d, const char *card)
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
int vqd_tier_of(vq_vqd *d, vqd_req *q, const char *card, int *tier, int *member)
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
		vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
		return VQ_ESTORE;
	}
	if (vq_site_unknown_policy(d->site) == VQ_UNKNOWN_REFUSE) {
		vqd_reply_err(&q->reply, q->rid, VQ_EUNKNOWNCARD, NULL);
		return VQ_EUNKNOWNCARD;
	}
	return VQ_OK;
}

int vqd_attr_of(vq_vqd *d, vqd_req *q, const char *id)
{
	int a = vq_site_attr_find(d->site, id);
	if (a < 0)
		vqd_reply_err(&q->reply, q->rid, VQ_ENOATTR, "unknown attraction '%s'", id);
	return a;
}

cJSON *vqd_ticket_json(const vq_vqd *d, const vq_ticket *t, int with_code)
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
	cJSON_AddNumberToObject(o, "issued_at", (double)t->issued_at);
	cJSON_AddStringToObject(o, "kind", vq_ticket_kind_name(t->kind));
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
		               .number = t->number,
		               .kind = t->kind};
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

int64_t vqd_ticket_until(const vq_vqd *d, const vq_ticket *t)
{
	if (t->state == VQ_TS_ANYTIME)
		return t->valid_until;
	const vq_attraction *a = vq_site_attr(d->site, vq_site_attr_find(d->site, t->attr));
	const vq_tier *tier = vq_site_tier(d->site, t->tier);
	return t->win_end +
	       (int64_t)((a ? a->late_grace_min : 0) + (tier ? tier->late_grace_min : 0)) * 60;
}

/* The guest's tickets that still count against the tier's limit (fast-lane tickets only:
 * an accessibility pass does not). */
cJSON *vqd_held_json(const vq_vqd *d, uint64_t guest, int64_t now)
{
	cJSON *arr = cJSON_CreateArray();
	if (guest == 0)
		return arr;
	const vq_book *b = vq_service_book(d->svc);
	for (size_t i = 0; i < vq_book_ticket_count(b); i++) {
		const vq_ticket *t = vq_book_ticket_at(b, i);
		if (t->guest != guest || t->kind != VQ_TK_FAST ||
		    (t->state != VQ_TS_ISSUED && t->state != VQ_TS_ANYTIME))
			continue;
		if (now < vqd_ticket_until(d, t))
			cJSON_AddItemToArray(arr, vqd_ticket_json(d, t, 1));
	}
	return arr;
}

void vqd_mark_dirty(vq_vqd *d, const char *attr)
{
	int a = vq_site_attr_find(d->site, attr);
	if (a >= 0)
		d->dirty[a] = 1;
}

void vqd_add_event(vq_vqd *d, const char *suffix, cJSON *ev)
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
	e->json = vqd_render(ev);
	if (e->json)
		d->nevents++;
}

/* --- request ids bound to what they asked ----------------------------------------- */

static int by_name(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* A count or a length, little-endian whatever the machine: a digest stays valid across a
 * move of the database. */
static void feed32(crypto_generichash_state *h, uint32_t v)
{
	const uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	                      (uint8_t)(v >> 24)};
	crypto_generichash_update(h, b, sizeof b);
}

/* Feeds the canonical form of a JSON value to the hash: a tag, then the value; strings and
 * keys length-prefixed; an object's members sorted by name (so order, whitespace and
 * escapes do not matter, and no two different values feed the same bytes); numbers by
 * value, as the double they parse to. skip names a top-level member left out ("rid"). */
static int feed(crypto_generichash_state *h, const cJSON *v, const char *skip)
{
	uint8_t tag;
	if (cJSON_IsObject(v)) {
		size_t n = 0, k = 0;
		for (const cJSON *c = v->child; c; c = c->next)
			n++;
		const cJSON **m = n ? malloc(n * sizeof *m) : NULL;
		if (n && !m)
			return VQ_ENOMEM;
		for (const cJSON *c = v->child; c; c = c->next)
			if (!skip || !c->string || strcmp(c->string, skip) != 0)
				m[k++] = c;
		if (k > 1)
			qsort(m, k, sizeof *m, by_name);
		tag = '{';
		crypto_generichash_update(h, &tag, 1);
		feed32(h, (uint32_t)k);
		int rc = VQ_OK;
		for (size_t i = 0; rc == VQ_OK && i < k; i++) {
			const char *name = m[i]->string ? m[i]->string : "";
			uint32_t len = (uint32_t)strlen(name);
			feed32(h, len);
			crypto_generichash_update(h, (const uint8_t *)name, len);
			rc = feed(h, m[i], NULL);
		}
		free(m);
		return rc;
	}
	if (cJSON_IsArray(v)) {
		uint32_t cnt = 0;
		for (const cJSON *c = v->child; c; c = c->next)
			cnt++;
		tag = '[';
		crypto_generichash_update(h, &tag, 1);
		feed32(h, cnt);
		for (const cJSON *c = v->child; c; c = c->next) {
			int rc = feed(h, c, NULL);
			if (rc != VQ_OK)
				return rc;
		}
		return VQ_OK;
	}
	if (cJSON_IsString(v)) {
		uint32_t len = (uint32_t)strlen(v->valuestring);
		tag = 's';
		crypto_generichash_update(h, &tag, 1);
		feed32(h, len);
		crypto_generichash_update(h, (const uint8_t *)v->valuestring, len);
		return VQ_OK;
	}
	if (cJSON_IsNumber(v)) {
		double x = v->valuedouble == 0 ? 0.0 : v->valuedouble; /* -0 is 0 */
		uint64_t bits;
		memcpy(&bits, &x, sizeof bits);
		uint8_t b[8];
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(bits >> (8 * i));
		tag = 'd';
		crypto_generichash_update(h, &tag, 1);
		crypto_generichash_update(h, b, sizeof b);
		return VQ_OK;
	}
	tag = cJSON_IsTrue(v) ? 't' : cJSON_IsFalse(v) ? 'f' : 'n';
	crypto_generichash_update(h, &tag, 1);
	return VQ_OK;
}

/* What a remembered reply is bound to: the verb and the request without its rid. */
static int request_digest(const char *suffix, const cJSON *root, uint8_t out[VQ_STORE_DIGEST_LEN])
{
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, VQ_STORE_DIGEST_LEN);
	crypto_generichash_update(&h, (const uint8_t *)suffix, strlen(suffix) + 1);
	int rc = feed(&h, root, "rid");
	crypto_generichash_final(&h, out, VQ_STORE_DIGEST_LEN);
	return rc;
}

/* A refusal that decided nothing is not remembered: it depends on the request's bytes,
 * the site's names and keys, or a limit, not on the state of the day, so the same request
 * gets it again; remembering it would only let a client fill the disk. */
static int remembered(const cJSON *r)
{
	static const char *const nothing[] = {
	    "bad_request",  "invalid",        "too_large",      "unknown_attraction",
	    "unknown_tier", "unknown_card",   "unknown_ticket", "unknown_command",
	    "unknown_key",  "malformed_code", "forged",         "rid_reused",
	    "rate_limited", "storage",        "no_memory",      NULL};
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")))
		return 1;
	const cJSON *code =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
	if (!cJSON_IsString(code))
		return 0;
	for (int i = 0; nothing[i]; i++)
		if (strcmp(code->valuestring, nothing[i]) == 0)
			return 0;
	return 1;
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
	K_ACCESS,
	K_OPS,
	K_WEB_TICKET,
	K_WEB_GIVEBACK,
	K_UNKNOWN
};

/* Whose limit a verb counts against: the ACL lets each role publish its own verbs only
 * (broker-config/README.md), so the verb says the role; lookup, which operators may send
 * too, counts as a gate's. */
static int role_of(enum kind k)
{
	switch (k) {
	case K_REDEEM:
	case K_SYNC:
	case K_OVERRIDE:
	case K_LOOKUP:
	case K_ACCESS:
		return VQ_ROLE_GATE;
	case K_OPS:
		return VQ_ROLE_OPERATOR;
	default:
		return VQ_ROLE_KIOSK;
	}
}

static enum kind kind_of(const char *suffix)
{
	static const char *const names[] = {"svc/identify", "svc/quote",      "svc/issue",
	                                    "svc/cancel",   "svc/redeem",     "svc/sync",
	                                    "svc/override", "svc/lookup",     "svc/access",
	                                    "svc/ops",      "web/svc/ticket", "web/svc/giveback"};
	for (int k = 0; k < K_UNKNOWN; k++)
		if (strcmp(suffix, names[k]) == 0)
			return (enum kind)k;
	return K_UNKNOWN;
}

void vqd_reply_key(const char *client, const char *rid, char key[VQ_STORE_RID_MAX + 1])
{
	/* request ids are the client's own: scoped by the client id the broker vouches for */
	snprintf(key, VQ_STORE_RID_MAX + 1, "%s/%s", client, rid);
}

int vqd_request_key(const char *payload, size_t len, const char *client,
                    char key[VQ_STORE_RID_MAX + 1], char card[VQ_STORE_CARD_MAX + 1])
{
	card[0] = '\0';
	if (len > VQD_MAX_OPS)
		return 0;
	cJSON *root = cJSON_ParseWithLength(payload, len);
	const cJSON *rid =
	    cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "rid") : NULL;
	const cJSON *c =
	    cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "card") : NULL;
	int ok = cJSON_IsString(rid) && vqd_printable(rid->valuestring, 1, VQD_RID_MAX);
	if (ok)
		vqd_reply_key(client, rid->valuestring, key);
	/* the handlers' own rule for a card (vqd_get_str "card", 1..32) */
	if (cJSON_IsString(c) && vqd_printable(c->valuestring, 1, VQ_STORE_CARD_MAX))
		memcpy(card, c->valuestring, strlen(c->valuestring) + 1);
	cJSON_Delete(root);
	return ok;
}

char *vqd_handle(vq_vqd *d, const char *suffix, const char *payload, size_t len, const char *client,
                 int64_t now)
{
	enum kind k = kind_of(suffix);
	vqd_req q = {0};
	cJSON *r = NULL;
	d->requests++;
	int role = role_of(k);
	int64_t wait_ms = 0;
	int warn = 0;
	/* (phones are anonymous: their own limits come below, vqd_web_admit) */
	if (k != K_WEB_TICKET && k != K_WEB_GIVEBACK &&
	    vq_ratelimit_take(d->limits, client, role, vq_site_limit(d->site, role), d->real_ms,
	                      &wait_ms, &warn) == VQ_ERATELIMIT) {
		/* unread, like a payload too large: the correlation data says which request */
		d->rate_limited++;
		if (warn)
			vq_log(VQ_LOG_WARN,
			       "%s sends faster than a %s may (%d/s, burst %d): refusing", client,
			       vq_role_name(role), vq_site_limit(d->site, role)->rate_per_s,
			       vq_site_limit(d->site, role)->burst);
		cJSON *e = vqd_reply_err(
		    &r, NULL, VQ_ERATELIMIT, "more than %d requests a second; retry in %lld ms",
		    vq_site_limit(d->site, role)->rate_per_s, (long long)wait_ms);
		cJSON_AddNumberToObject(e, "retry_after_ms", (double)wait_ms);
		return vqd_render(r);
	}
	if (len > (k == K_OPS ? (size_t)VQD_MAX_OPS : (size_t)VQD_MAX_REQUEST)) {
		vqd_reply_err(&r, NULL, VQ_ETOOBIG, "payload of %zu bytes; the limit is %d", len,
		              k == K_OPS ? VQD_MAX_OPS : VQD_MAX_REQUEST);
		return vqd_render(r);
	}
	/* strict (core/json.h): NUL, invalid UTF-8, control and bidi characters anywhere,
	 * duplicate keys, trailing data and deep nesting are refused here, naming the field */
	vq_json_error je;
	int prc = vq_json_parse(payload, len, VQ_JSON_TEXT, &q.root, &je);
	if (prc == VQ_ENOMEM)
		return vqd_storage_error(payload, len);
	if (prc != VQ_OK || !cJSON_IsObject(q.root)) {
		char msg[160];
		if (prc != VQ_OK)
			vq_json_error_text(&je, NULL, msg, sizeof msg);
		else
			snprintf(msg, sizeof msg, "expected a JSON object");
		cJSON_Delete(q.root);
		return vqd_refuse(payload, len, VQ_EBADREQ, msg);
	}
	const cJSON *rid = cJSON_GetObjectItemCaseSensitive(q.root, "rid");
	if (cJSON_IsString(rid) && vqd_printable(rid->valuestring, 1, VQD_RID_MAX))
		q.rid = rid->valuestring;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(q.root, "v");
	int64_t version = 0;
	int vrc = vq_json_int(v, 1, 1, &version);
	if (vrc != VQ_OK) {
		vqd_reply_err(&r, q.rid, VQ_EBADREQ, "v: %s",
		              !v                  ? "missing"
		              : vrc == VQ_EBADREQ ? "wrong type (expected integer)"
		                                  : "unsupported version (expected 1)");
		goto out;
	}
	if (!q.rid) {
		vqd_reply_err(&r, NULL, VQ_EBADREQ, "rid: %s",
		              rid ? "expected 1..64 printable ASCII characters" : "missing");
		goto out;
	}
	if (k == K_UNKNOWN) {
		vqd_reply_err(&r, q.rid, VQ_EUNKNOWNCMD, "vqd does not serve %s", suffix);
		goto out;
	}
	const char *cmd = NULL;
	if (k == K_OPS && vqd_get_str(&q, "cmd", 1, 31, &cmd)) {
		r = q.reply;
		goto out;
	}
	/* a phone is anonymous: its limits come before anything costs vqd a look-up */
	if ((k == K_WEB_TICKET || k == K_WEB_GIVEBACK) && vqd_web_admit(d, &q, client) != VQ_OK) {
		r = q.reply;
		goto out;
	}
	if (vqd_check_request_fields(&q, suffix, cmd) != VQ_OK) {
		r = q.reply;
		goto out;
	}
	int mutating = k == K_ISSUE || k == K_CANCEL || k == K_REDEEM || k == K_SYNC ||
	               k == K_OVERRIDE || k == K_WEB_GIVEBACK || k == K_ACCESS ||
	               (k == K_OPS && !vqd_ops_reads_only(cmd));
	char key[VQ_STORE_RID_MAX + 1];
	vqd_reply_key(client, q.rid, key);
	/* A rid is one request: a mutating one is answered from its first reply, and any
	 * other request under a rid already answered is refused. (A read is never kept, so
	 * for a read any reply kept under its rid is another request's.) */
	uint8_t digest[VQ_STORE_DIGEST_LEN] = {0};
	{
		char *prev = NULL;
		size_t plen = 0;
		int rc = mutating ? request_digest(suffix, q.root, digest) : VQ_OK;
		if (rc == VQ_OK)
			rc = vq_service_recall(d->svc, key, suffix + 4, digest, &prev, &plen);
		if (rc == VQ_OK && mutating) {
			d->replays++;
			cJSON_Delete(q.root);
			return prev;
		}
		free(prev);
		if (rc == VQ_OK || rc == VQ_ERIDREUSED) {
			d->rid_reused++;
			vqd_reply_err(&r, q.rid, VQ_ERIDREUSED,
			              "rid '%s' was used for another request of yours; nothing "
			              "changed (a new request needs a new rid)",
			              q.rid);
			goto out;
		}
		if (rc != VQ_ENOTFOUND) {
			vqd_reply_err(&r, q.rid, VQ_ESTORE,
			              "could not look the rid up; nothing changed; retry with the "
			              "same rid");
			goto out;
		}
	}
	switch (k) {
	case K_IDENTIFY:
		r = vqd_do_identify(d, &q, now);
		break;
	case K_QUOTE:
		r = vqd_do_quote(d, &q, now);
		break;
	case K_ISSUE:
		r = vqd_do_issue(d, &q, client, now);
		break;
	case K_CANCEL:
		r = vqd_do_cancel(d, &q, now);
		break;
	case K_REDEEM:
		r = vqd_do_redeem(d, &q, client, now);
		break;
	case K_SYNC:
		r = vqd_do_sync(d, &q, client, now);
		break;
	case K_OVERRIDE:
		r = vqd_do_override(d, &q, client, now);
		break;
	case K_LOOKUP:
		r = vqd_do_lookup(d, &q);
		break;
	case K_ACCESS:
		r = vqd_do_access(d, &q, client, now);
		break;
	case K_OPS:
		r = vqd_do_ops(d, &q, cmd, client, now);
		break;
	case K_WEB_TICKET:
		r = vqd_do_web_ticket(d, &q, now);
		break;
	case K_WEB_GIVEBACK:
		r = vqd_do_web_giveback(d, &q, now);
		/* anonymous callers: only a give-back that happened is worth remembering */
		mutating = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
		break;
	case K_UNKNOWN:
		break;
	}
	if (r != q.reply)
		cJSON_Delete(q.reply);
	int keep = mutating && remembered(r);
	char *text = vqd_render(r);
	if (keep && text &&
	    vq_service_remember(d->svc, key, suffix + 4, digest, text, strlen(text), now) !=
	        VQ_OK) {
		free(text);
		text = vqd_storage_error(payload, len);
	}
	cJSON_Delete(q.root);
	return text;
out:
	cJSON_Delete(q.root);
	return vqd_render(r);
}
