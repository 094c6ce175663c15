/* coordinator/handlers_web.c — the guests' phones: a ticket's live state, and giving it
 * back, for whoever holds its signed code.
 *
 * Owns the web verbs (web/svc/ticket, web/svc/giveback), where they may come from, and
 * their rate limits. A phone is anonymous: it reaches vqd through the web broker's bridge
 * (broker-config/README.md), on web/svc/<verb>/<visitor>, where <visitor> is the 32-hex
 * client id the web broker's ACL ties to that one connection; vqd answers only on
 * web/reply/<visitor>. What a phone may see is the guest's own ticket: never a card, a
 * guest reference, a ticket id, a gate's name, nor any other ticket.
 *
 * Invariants:
 *   - the code is the only credential: a code that does not verify against the key ring,
 *     or names another site, gets no ticket and changes nothing;
 *   - every web request passes two token buckets first, the visitor's and the site's;
 *     a refusal (rate_limited) is answered, never remembered, and costs no store access;
 *   - the visitor table has a fixed size: a visitor is forgotten once its bucket has
 *     refilled, and when no slot is free the visitor is let through on the site bucket
 *     alone (which still bounds the total).
 */
#include "coordinator/handlers.h"
#include "coordinator/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VISITOR_HEX 32 /* 128 random bits */
#define TABLE_SIZE  8192
#define PROBES      8

struct bucket {
	double tokens;
	double at_ms; /* when tokens was last brought up to date */
};

struct visitor {
	char id[32]; /* the visitor's client ("~" and base32, vqd_web_route); "" = free */
	struct bucket b;
};

/* What phones were last told of an attraction. */
struct told {
	char attr[VQ_ID_MAX];
	char *digest; /* the guest's fields, as JSON text */
	double at_ms;
};

struct vqd_web {
	vqd_web_limits lim;
	struct bucket site;
	struct visitor *table;
	uint64_t refused;
	struct told *told;
	size_t ntold;
};

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int vqd_web_limits_parse(const char *text, double *rate, double *burst)
{
	char *end;
	double r = strtod(text, &end);
	if (end == text || *end != '/')
		return VQ_EINVAL;
	const char *b_text = end + 1;
	double b = strtod(b_text, &end);
	if (end == b_text || *end || !(r > 0) || r > 1e6 || !(b >= 1) || b > 1e6)
		return VQ_EINVAL;
	*rate = r;
	*burst = b;
	return VQ_OK;
}

int vqd_web_new(const vqd_web_limits *lim, vqd_web **out)
{
	*out = NULL;
	vqd_web *w = calloc(1, sizeof *w);
	struct visitor *t = calloc(TABLE_SIZE, sizeof *t);
	if (!w || !t) {
		free(w);
		free(t);
		return VQ_ENOMEM;
	}
	w->lim = *lim;
	w->table = t;
	w->site = (struct bucket){.tokens = lim->site_burst, .at_ms = mono_ms()};
	*out = w;
	return VQ_OK;
}

void vqd_web_free(vqd_web *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->ntold; i++)
		free(w->told[i].digest);
	free(w->told);
	free(w->table);
	free(w);
}

#define WEB_STATE_REFRESH_MS 30000 /* also the phones' heartbeat: "Live" needs one in 95 s */

void vqd_web_forget(vqd_web *w)
{
	for (size_t i = 0; w && i < w->ntold; i++)
		w->told[i].at_ms = -WEB_STATE_REFRESH_MS;
}

cJSON *vqd_web_attr_state(vqd_web *w, const cJSON *state)
{
	static const char *const keep[] = {"attraction", "kind",        "names", "status",
	                                   "closed_at",  "reopened_at", "opens", "closes",
	                                   "prefix",     "standby_min", NULL};
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(state, "attraction");
	if (!w || !cJSON_IsString(id))
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "v", 1);
	for (int i = 0; keep[i]; i++) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(state, keep[i]);
		if (f)
			cJSON_AddItemToObject(o, keep[i], cJSON_Duplicate(f, 1));
	}
	char *digest = cJSON_PrintUnformatted(o);
	const cJSON *upd = cJSON_GetObjectItemCaseSensitive(state, "updated");
	if (cJSON_IsNumber(upd))
		cJSON_AddNumberToObject(o, "updated", upd->valuedouble);
	double now = mono_ms();
	struct told *t = NULL;
	for (size_t i = 0; i < w->ntold && !t; i++)
		if (!strcmp(w->told[i].attr, id->valuestring))
			t = &w->told[i];
	if (!t) {
		struct told *more = realloc(w->told, (w->ntold + 1) * sizeof *more);
		if (!more || !digest) {
			w->told = more ? more : w->told;
			free(digest);
			return o; /* no memory to remember: tell them anyway */
		}
		w->told = more;
		t = &w->told[w->ntold++];
		*t = (struct told){.at_ms = -WEB_STATE_REFRESH_MS};
		snprintf(t->attr, sizeof t->attr, "%s", id->valuestring);
	}
	if (digest && t->digest && !strcmp(digest, t->digest) &&
	    now - t->at_ms < WEB_STATE_REFRESH_MS) {
		free(digest);
		cJSON_Delete(o);
		return NULL;
	}
	free(t->digest);
	t->digest = digest;
	t->at_ms = now;
	return o;
}

uint64_t vqd_web_refused(const vqd_web *w)
{
	return w ? w->refused : 0;
}

static void refill(struct bucket *b, double rate, double burst, double now)
{
	b->tokens += (now - b->at_ms) / 1e3 * rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->at_ms = now;
}

/* The visitor's bucket, made full on first sight; NULL when every probed slot holds a
 * visitor whose bucket is still refilling. */
static struct bucket *visitor_bucket(vqd_web *w, const char *id, double now)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a: ids are random, any spread will do */
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	struct visitor *free_slot = NULL;
	for (int i = 0; i < PROBES; i++) {
		struct visitor *v = &w->table[(h + (uint64_t)i) % TABLE_SIZE];
		if (strcmp(v->id, id) == 0) {
			refill(&v->b, w->lim.visitor_rate, w->lim.visitor_burst, now);
			return &v->b;
		}
		if (!free_slot && v->id[0]) {
			refill(&v->b, w->lim.visitor_rate, w->lim.visitor_burst, now);
			if (v->b.tokens >= w->lim.visitor_burst)
				free_slot = v; /* refilled: forgetting it changes nothing */
		} else if (!free_slot) {
			free_slot = v;
		}
	}
	if (!free_slot)
		return NULL;
	snprintf(free_slot->id, sizeof free_slot->id, "%s", id);
	free_slot->b = (struct bucket){.tokens = w->lim.visitor_burst, .at_ms = now};
	return &free_slot->b;
}

int vqd_web_admit(vq_vqd *d, vqd_req *q, const char *client)
{
	vqd_web *w = d->web;
	if (!w)
		return VQ_OK;
	double now = mono_ms();
	const char *id = client;
	refill(&w->site, w->lim.site_rate, w->lim.site_burst, now);
	struct bucket *b = visitor_bucket(w, id, now);
	double wait_ms = 0;
	if (b && b->tokens < 1)
		wait_ms = (1 - b->tokens) / w->lim.visitor_rate * 1e3;
	if (w->site.tokens < 1) {
		double site_wait = (1 - w->site.tokens) / w->lim.site_rate * 1e3;
		if (site_wait > wait_ms)
			wait_ms = site_wait;
	}
	if (wait_ms > 0) {
		w->refused++;
		cJSON *e = vqd_reply_err(&q->reply, q->rid, VQ_ERATELIMIT,
		                         "too many requests; retry after %.0f ms", wait_ms + 0.5);
		cJSON_AddNumberToObject(e, "retry_after_ms", (double)(int64_t)(wait_ms + 0.5));
		return VQ_ERATELIMIT;
	}
	w->site.tokens -= 1;
	if (b)
		b->tokens -= 1;
	return VQ_OK;
}

/* --- where a web request comes from ------------------------------------------------- */

static int is_visitor_id(const char *s, size_t n)
{
	if (n != VISITOR_HEX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The client vqd keeps a visitor as: "~" and the 128 bits of its id in base32 (27 bytes,
 * within the 31 vqd records for an account; no account name starts with "~"). */
static void visitor_client(const char *hex, char out[28])
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char bytes[16];
	for (int i = 0; i < 16; i++) {
		int hi = hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10;
		int lo = hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10;
		bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	out[0] = '~';
	unsigned acc = 0;
	int bits = 0, n = 1;
	for (int i = 0; i < 16; i++) {
		acc = acc << 8 | bytes[i];
		bits += 8;
		while (bits >= 5) {
			out[n++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[n++] = b32[(acc << (5 - bits)) & 31];
	out[n] = '\0';
}

int vqd_web_route(const char *topic, const char *suffix, const char *response_topic, char *verb,
                  size_t verblen, char *client, size_t clientlen)
{
	static const char head[] = "web/svc/";
	if (strncmp(suffix, head, sizeof head - 1) != 0 || !response_topic)
		return VQ_EDENIED;
	const char *name = suffix + sizeof head - 1;
	const char *slash = strchr(name, '/');
	if (!slash || slash == name || strchr(slash + 1, '/'))
		return VQ_EDENIED;
	const char *id = slash + 1;
	size_t idlen = strlen(id);
	if (!is_visitor_id(id, idlen))
		return VQ_EDENIED;
	/* the reply goes exactly where the web broker lets only this visitor read */
	size_t plen = strlen(topic) - strlen(suffix);
	if (strncmp(response_topic, topic, plen) != 0 ||
	    strncmp(response_topic + plen, "web/reply/", 10) != 0 ||
	    strcmp(response_topic + plen + 10, id) != 0)
		return VQ_EDENIED;
	char who[28];
	visitor_client(id, who);
	int n = snprintf(verb, verblen, "web/svc/%.*s", (int)(slash - name), name);
	int m = snprintf(client, clientlen, "%s", who);
	if (n < 0 || (size_t)n >= verblen || m < 0 || (size_t)m >= clientlen)
		return VQ_EDENIED;
	return VQ_OK;
}

/* --- web/svc/ticket, web/svc/giveback ---------------------------------------------- */

/* The ticket the code names, as the book (or, for another day, the store) holds it. */
static int ticket_of_code(vq_vqd *d, vqd_req *q, vq_ticket *t)
{
	const char *code;
	if (vqd_get_str(q, "code", 1, VQ_CODE_MAX - 1, &code))
		return VQ_EBADREQ;
	vq_claims c;
	int rc = vq_code_verify(code, strlen(code), &d->ring, &c);
	if (rc == VQ_OK && strcmp(c.site, vq_site_id(d->site)) != 0)
		rc = VQ_EBADSIG; /* a valid code of another site is not ours to show */
	if (rc != VQ_OK) {
		vqd_reply_err(&q->reply, q->rid, rc == VQ_EINVAL ? VQ_EMALFORMED : rc, NULL);
		return rc;
	}
	const vq_ticket *bt = vq_book_ticket(vq_service_book(d->svc), c.ticket_id);
	if (bt)
		*t = *bt;
	else if ((rc = vq_store_get_ticket(vq_service_store(d->svc), c.ticket_id, t)) != VQ_OK) {
		vqd_reply_err(&q->reply, q->rid, rc == VQ_ESTORE ? VQ_ESTORE : VQ_ENOTICKET, NULL);
		return rc == VQ_ESTORE ? VQ_ESTORE : VQ_ENOTICKET;
	}
	if (strcmp(t->attr, c.attr) != 0 || t->win_start != c.win_start || t->party != c.party) {
		/* signed, yet not this ticket: only a leaked signing key makes this */
		vq_log(VQ_LOG_ERROR, "a verified code disagrees with ticket %" PRIu64, t->id);
		vqd_reply_err(&q->reply, q->rid, VQ_EBADSIG, NULL);
		return VQ_EBADSIG;
	}
	return VQ_OK;
}

/* What the guest may see of a ticket: no id, no guest, no gate, no code. */
static cJSON *guest_ticket(const vq_vqd *d, const vq_ticket *t)
{
	cJSON *o = cJSON_CreateObject();
	int a = vq_site_attr_find(d->site, t->attr);
	const vq_attraction *cfg = a >= 0 ? vq_site_attr(d->site, a) : NULL;
	const vq_tier *tier = vq_site_tier(d->site, t->tier);
	char number[16];
	vq_ticket_number_format(cfg ? cfg->prefix : "?", t->number, number, sizeof number);
	cJSON_AddStringToObject(o, "number", number);
	cJSON_AddStringToObject(o, "attraction", t->attr);
	cJSON_AddStringToObject(o, "tier", tier ? tier->id : "?");
	cJSON_AddNumberToObject(o, "party", t->party);
	cJSON_AddNumberToObject(o, "start", (double)t->win_start);
	cJSON_AddNumberToObject(o, "end", (double)t->win_end);
	cJSON_AddStringToObject(o, "state", vq_ticket_state_name(t->state));
	int64_t from = t->win_start, until = t->win_end;
	if (t->state == VQ_TS_ANYTIME) {
		cJSON_AddNumberToObject(o, "valid_from", (double)t->valid_from);
		cJSON_AddNumberToObject(o, "valid_until", (double)t->valid_until);
		from = t->valid_from;
		until = t->valid_until;
	} else if (cfg) {
		from -= (int64_t)cfg->early_grace_min * 60;
		until += (int64_t)(cfg->late_grace_min + (tier ? tier->late_grace_min : 0)) * 60;
	}
	if (t->state == VQ_TS_REDEEMED)
		cJSON_AddNumberToObject(o, "used_at", (double)t->used_at);
	/* when the fast lane lets this ticket in: the window with the graces */
	cJSON *adm = cJSON_AddObjectToObject(o, "admit");
	cJSON_AddNumberToObject(adm, "from", (double)from);
	cJSON_AddNumberToObject(adm, "until", (double)until);
	return o;
}

static cJSON *reply_with(const vq_vqd *d, vqd_req *q, const vq_ticket *t, int64_t now)
{
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "ticket", guest_ticket(d, t));
	/* the phone counts down on vqd's clock, which a demo may run fast */
	cJSON *clk = cJSON_AddObjectToObject(r, "clock");
	cJSON_AddNumberToObject(clk, "now", (double)now);
	cJSON_AddNumberToObject(clk, "speed", d->clock_speed > 0 ? d->clock_speed : 1);
	return r;
}

cJSON *vqd_do_web_ticket(vq_vqd *d, vqd_req *q, int64_t now)
{
	vq_ticket t;
	if (ticket_of_code(d, q, &t))
		return q->reply;
	return reply_with(d, q, &t, now);
}

cJSON *vqd_do_web_giveback(vq_vqd *d, vqd_req *q, int64_t now)
{
	vq_ticket t;
	if (ticket_of_code(d, q, &t))
		return q->reply;
	if (t.state != VQ_TS_ISSUED && t.state != VQ_TS_ANYTIME) {
		vqd_reply_err(&q->reply, q->rid, VQ_ESTATE, "this ticket is %s",
		              vq_ticket_state_name(t.state));
		return q->reply;
	}
	vq_ticket out;
	int rc = vq_book_cancel(vq_service_book(d->svc), t.id, now, &out);
	if (rc != VQ_OK) {
		/* not in today's book: a ticket of another day can no longer be given back */
		vqd_reply_err(&q->reply, q->rid, rc == VQ_ENOTICKET ? VQ_ESTATE : rc,
		              rc == VQ_ENOTICKET ? "this ticket's day is over" : NULL);
		return q->reply;
	}
	vqd_mark_dirty(d, out.attr);
	vq_log(VQ_LOG_INFO, "ticket %" PRIu64 " given back from a phone", out.id);
	return reply_with(d, q, &out, now);
}
