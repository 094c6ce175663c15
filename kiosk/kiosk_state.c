/* kiosk/kiosk_state.c — the kiosk's transitions: input, replies, the link, time (see
 * kiosk_state.h).
 *
 * Owns the guest's session and the one request in flight. Invariants (kiosk_priv.h) are
 * kept by two doors: every way back to the welcome screen goes through reset(), which
 * zeroes the guest, and every new request goes through request_new(), which is the only
 * place a rid is made — retries reuse it untouched.
 *
 * Which attraction a guest gets, at what time and at what tier is always vqd's answer;
 * the kiosk decides nothing but which screen to show it on.
 */
#include "core/json.h"
#include "kiosk/kiosk_priv.h"

#include <SDL_keyboard.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_IDLE_MS    45000
#define DEFAULT_TIMEOUT_MS 4000
#define DEFAULT_RETRY_MS   3000
#define DEFAULT_TRIES      2
#define WARN_MS            10000 /* the idle warning shows this long before the reset */
#define DEFAULT_COMBO      "ctrl+alt+shift+q"

static const char *const SCREEN_NAMES[] = {"welcome", "identify", "party",  "confirm",
                                           "ticket",  "error",    "offline"};
static const char *const REQ_NAMES[] = {"none", "identify", "quote", "issue", "cancel", "compare"};
static const char *const REQ_SUFFIX[] = {"",          "svc/identify", "svc/quote",
                                         "svc/issue", "svc/cancel",   "svc/quote"};

const char *kiosk_screen_name(int screen)
{
	return screen >= 0 && screen < (int)(sizeof SCREEN_NAMES / sizeof SCREEN_NAMES[0])
	           ? SCREEN_NAMES[screen]
	           : "?";
}

static void ktrace(kiosk *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ktrace(kiosk *k, const char *fmt, ...)
{
	if (!k->trace)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	k->trace(k->trace_ctx, line);
}

static void invalidate(kiosk *k)
{
	k->view_valid = 0;
	k->dirty = 1;
}

/* --- small queries the layout shares ---------------------------------------------- */

const char *kiosk_tr(const kiosk *k, const char *key)
{
	return vq_i18n_get(k->i18n, k->lang, key);
}

int kiosk_format(const kiosk *k, const char *key, char *out, size_t outlen, ...)
{
	vq_i18n_arg args[8];
	size_t n = 0;
	va_list ap;
	va_start(ap, outlen);
	const char *name;
	while (n < 8 && (name = va_arg(ap, const char *)) != NULL) {
		args[n].name = name;
		args[n].value = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	return vq_i18n_format(k->i18n, k->lang, key, args, n, out, outlen);
}

unsigned kiosk_idle_wipes(const kiosk *k)
{
	return k->idle_wipes;
}

int kiosk_served_count(const kiosk *k)
{
	if (k->nserved_cfg)
		return k->nserved_cfg;
	int n = vq_sitestate_attr_count(k->site);
	return n > KIOSK_MAX_SERVED ? KIOSK_MAX_SERVED : n;
}

const char *kiosk_served_id(const kiosk *k, int i)
{
	if (i < 0 || i >= kiosk_served_count(k))
		return NULL;
	if (k->nserved_cfg)
		return k->served_cfg[i];
	const vq_attr_view *a = vq_sitestate_attr(k->site, i);
	return a ? a->id : NULL;
}

int kiosk_served_index(const kiosk *k, const char *id)
{
	int n = kiosk_served_count(k);
	for (int i = 0; i < n; i++) {
		const char *s = kiosk_served_id(k, i);
		if (s && strcmp(s, id) == 0)
			return i;
	}
	return -1;
}

const vq_attr_view *kiosk_served_view(const kiosk *k, int i)
{
	const char *id = kiosk_served_id(k, i);
	const vq_attr_view *a = id ? vq_sitestate_find(k->site, id) : NULL;
	return a && a->known ? a : NULL;
}

static int site_lang(const kiosk *k)
{
	int l = vq_sitestate_lang(k->site, k->lang);
	return l < 0 ? 0 : l;
}

const char *kiosk_attr_name(const kiosk *k, const char *id)
{
	const vq_attr_view *a = vq_sitestate_find(k->site, id);
	return a ? vq_sitestate_attr_name(k->site, a, site_lang(k)) : id;
}

const char *kiosk_tier_name(const kiosk *k, const char *tier)
{
	const vq_site_view *s = vq_sitestate_site(k->site);
	int t = vq_sitestate_tier(k->site, tier);
	if (t < 0)
		return tier;
	int l = site_lang(k);
	if (s->tier_names[t][l][0])
		return s->tier_names[t][l];
	return s->tier_names[t][0][0] ? s->tier_names[t][0] : s->tiers[t];
}

int kiosk_known_max_party(const kiosk *k, const char *attr)
{
	for (int i = 0; i < k->nmaxp; i++)
		if (strcmp(k->maxp[i].attr, attr) == 0)
			return k->maxp[i].max_party;
	return 0;
}

static void learn_max_party(kiosk *k, const char *attr, int max)
{
	for (int i = 0; i < k->nmaxp; i++)
		if (strcmp(k->maxp[i].attr, attr) == 0) {
			k->maxp[i].max_party = max;
			return;
		}
	if (k->nmaxp < KIOSK_MAX_SERVED) {
		snprintf(k->maxp[k->nmaxp].attr, VQ_ID_MAX, "%s", attr);
		k->maxp[k->nmaxp++].max_party = max;
	}
}

/* The standby-line message is what a guest sees whenever vqd cannot be asked. */
int kiosk_shows_standby(const kiosk *k)
{
	if (k->screen == KS_OFFLINE)
		return 1;
	/* Until the park's state first arrives, a short silence is only the start; a long
	 * one means the broker or vqd cannot be reached. */
	return k->screen == KS_WELCOME && !k->link_up &&
	       (vq_sitestate_site(k->site)->known || k->startup_over);
}

void kiosk_hhmm(const kiosk *k, int64_t t, char out[VQ_TIME_HHMM_MAX])
{
	vq_time_hhmm(vq_sitestate_site(k->site)->timezone, t, out);
}

void kiosk_date(const kiosk *k, int64_t t, char *out, size_t outlen)
{
	char day[16], month[24], year[16];
	int y, m, d;
	if (vq_time_ymd(vq_sitestate_site(k->site)->timezone, t, &y, &m, &d) != VQ_OK) {
		snprintf(out, outlen, "--");
		return;
	}
	snprintf(day, sizeof day, "%d", d);
	snprintf(month, sizeof month, "month_%d", m);
	snprintf(year, sizeof year, "%d", y);
	kiosk_format(k, "date", out, outlen, "day", day, "month", kiosk_tr(k, month), "year", year,
	             NULL);
}

/* --- the guest ---------------------------------------------------------------------- */

/* Zeroes every trace of the guest, so nothing of one visitor is left for the next, in
 * memory as on screen. */
static void wipe_guest(kiosk *k)
{
	sodium_memzero(k->card, sizeof k->card);
	sodium_memzero(k->typed, sizeof k->typed);
	sodium_memzero(k->tier, sizeof k->tier);
	sodium_memzero(k->held, sizeof k->held);
	sodium_memzero(&k->ticket, sizeof k->ticket);
	sodium_memzero(k->attr, sizeof k->attr);
	sodium_memzero(k->alts, sizeof k->alts);
	sodium_memzero(k->err, sizeof k->err);
	sodium_memzero(k->notice, sizeof k->notice);
	sodium_memzero(k->cmp_tier, sizeof k->cmp_tier);
	k->cmp_start = k->cmp_end = 0;
	k->guest_known = 0;
	k->member = 0;
	k->max_passes = 0;
	k->nheld = 0;
	k->party = 0;
	k->q_start = k->q_end = 0;
	k->spool_id = 0;
	k->err_max_party = 0;
	k->nalts = 0;
	k->give_back = 0;
}

static void request_drop(kiosk *k)
{
	k->rq_state = RQ_IDLE;
	k->rq_kind = KR_NONE;
	k->serial = 0;
	k->attempt = 0;
	k->unanswered = 0;
	k->rq_deadline = 0;
	sodium_memzero(k->body, sizeof k->body);
	k->body_len = 0;
	k->rid[0] = '\0';
}

static void update_standby(kiosk *k)
{
	int s = kiosk_shows_standby(k);
	if (s != k->standby_shown) {
		k->standby_shown = s;
		ktrace(k, "standby %s", s ? "on" : "off");
	}
}

static void go(kiosk *k, int screen)
{
	k->screen = screen;
	k->pressed[0] = '\0';
	/* A "give back?" question belongs to the screen it was asked on; only the cancel
	 * in flight keeps its ticket id, for its reply. */
	if (k->rq_kind != KR_CANCEL)
		k->give_back = 0;
	k->idle_warning = 0;
	invalidate(k);
	update_standby(k);
}

static void reset(kiosk *k, const char *reason, int default_lang)
{
	int had_guest = k->guest_known || k->card[0] || k->typed[0] || k->screen != KS_WELCOME;
	request_drop(k);
	wipe_guest(k);
	if (default_lang && strcmp(k->lang, k->lang0) != 0) {
		snprintf(k->lang, sizeof k->lang, "%s", k->lang0);
		ktrace(k, "lang %s", k->lang);
	}
	if (had_guest)
		ktrace(k, "guest forgotten");
	go(k, KS_WELCOME);
	ktrace(k, "state welcome reason=%s", reason);
}

/* --- requests --------------------------------------------------------------------- */

static void request_new(kiosk *k, int kind, cJSON *body)
{
	request_drop(k);
	k->rq_kind = kind;
	k->serial = ++k->next_serial;
	if (k->serial == 0)
		k->serial = ++k->next_serial;
	snprintf(k->rid, sizeof k->rid, "%s-%lu", k->rid_prefix, ++k->rid_counter);
	cJSON_AddNumberToObject(body, "v", 1);
	cJSON_AddStringToObject(body, "rid", k->rid);
	if (!cJSON_PrintPreallocated(body, k->body, (int)sizeof k->body, 0)) {
		/* Cannot happen with ids and a 32-byte card; say so rather than send half. */
		ktrace(k, "request %s too large", REQ_NAMES[kind]);
		request_drop(k);
		cJSON_Delete(body);
		return;
	}
	cJSON_Delete(body);
	k->body_len = strlen(k->body);
	/* Without a link nobody would answer: straight to the standby screen, from which
	 * the request goes out as soon as the link is back. */
	if (k->link_up) {
		k->rq_state = RQ_SEND;
	} else {
		k->rq_state = RQ_BACKOFF;
		k->rq_deadline = 0;
		ktrace(k, "defer %s rid=%s reason=offline", REQ_NAMES[kind], k->rid);
		go(k, KS_OFFLINE);
		ktrace(k, "state offline");
	}
	invalidate(k);
}

static void send_identify(kiosk *k, const char *card)
{
	cJSON *b = cJSON_CreateObject();
	if (!b)
		return;
	cJSON_AddStringToObject(b, "card", card);
	request_new(k, KR_IDENTIFY, b);
}

/* Quotes every attraction at once: the chosen one is the offer, the others are what
 * to suggest if it has nothing left. */
static void send_quote(kiosk *k)
{
	cJSON *b = cJSON_CreateObject();
	if (!b)
		return;
	if (k->card[0])
		cJSON_AddStringToObject(b, "card", k->card);
	cJSON_AddNumberToObject(b, "party", k->party);
	request_new(k, KR_QUOTE, b);
}

/* The next tier up from the guest's, for the same card, party and attraction: what the
 * confirm screen may honestly compare with. */
static void send_compare(kiosk *k, const char *tier)
{
	cJSON *b = cJSON_CreateObject();
	if (!b)
		return;
	if (k->card[0])
		cJSON_AddStringToObject(b, "card", k->card);
	cJSON_AddStringToObject(b, "attraction", k->attr);
	cJSON_AddNumberToObject(b, "party", k->party);
	cJSON_AddStringToObject(b, "tier", tier);
	request_new(k, KR_COMPARE, b);
}

static void send_issue(kiosk *k)
{
	cJSON *b = cJSON_CreateObject();
	if (!b)
		return;
	if (k->card[0])
		cJSON_AddStringToObject(b, "card", k->card);
	cJSON_AddStringToObject(b, "attraction", k->attr);
	cJSON_AddNumberToObject(b, "party", k->party);
	request_new(k, KR_ISSUE, b);
}

/* Only the card and the ticket: vqd checks the ticket is this card's, so a pass can be
 * given back only by whoever holds the card. */
static void send_cancel(kiosk *k)
{
	cJSON *b = cJSON_CreateObject();
	if (!b)
		return;
	cJSON_AddStringToObject(b, "card", k->card);
	cJSON_AddNumberToObject(b, "ticket", (double)k->give_back);
	request_new(k, KR_CANCEL, b);
}

int kiosk_outgoing(const kiosk *k, kiosk_request *out)
{
	if (k->rq_state != RQ_SEND)
		return 0;
	memset(out, 0, sizeof *out);
	out->kind = k->rq_kind;
	out->suffix = REQ_SUFFIX[k->rq_kind];
	memcpy(out->rid, k->rid, sizeof out->rid);
	memcpy(out->body, k->body, sizeof out->body);
	out->len = k->body_len;
	out->serial = k->serial;
	out->attempt = k->attempt + 1;
	return 1;
}

static void to_offline(kiosk *k)
{
	if (k->screen != KS_OFFLINE) {
		go(k, KS_OFFLINE);
		ktrace(k, "state offline");
	}
}

/* A try that cannot be answered: again at once while that may help, then from the
 * standby screen every retry_ms (and as soon as the link is back). */
static void unanswered(kiosk *k, int64_t now, const char *why)
{
	k->unanswered++;
	ktrace(k, "%s %s rid=%s attempt=%d", why, REQ_NAMES[k->rq_kind], k->rid, k->attempt);
	if (k->link_up && k->unanswered < k->tries_offline) {
		k->rq_state = RQ_SEND;
	} else {
		k->rq_state = RQ_BACKOFF;
		k->rq_deadline = now + k->retry_ms;
		to_offline(k);
	}
	invalidate(k);
}

void kiosk_sent(kiosk *k, int rc, int64_t now)
{
	if (k->rq_state != RQ_SEND)
		return;
	k->attempt++;
	if (rc == VQ_OK) {
		k->rq_state = RQ_WAIT;
		k->rq_deadline = now + k->timeout_ms;
		ktrace(k, "request %s rid=%s attempt=%d", REQ_NAMES[k->rq_kind], k->rid,
		       k->attempt);
		return;
	}
	if (rc == VQ_EBUS || rc == VQ_ETIMEOUT) {
		unanswered(k, now, "unsent");
		return;
	}
	/* Refused locally (too big, bad topic): a bug, not the network; retrying is futile. */
	ktrace(k, "request %s rid=%s failed=%s", REQ_NAMES[k->rq_kind], k->rid, vq_errname(rc));
	request_drop(k);
	snprintf(k->err, sizeof k->err, "%s", vq_errname(rc));
	go(k, KS_ERROR);
	ktrace(k, "state error code=%s", k->err);
}

unsigned kiosk_request_serial(const kiosk *k)
{
	return k->serial;
}

int kiosk_busy(const kiosk *k)
{
	return k->rq_state == RQ_SEND || k->rq_state == RQ_WAIT;
}

/* --- replies ------------------------------------------------------------------------ */

static int jint(const cJSON *o, const char *key, int64_t *out)
{
	/* as written, range-checked before any cast (core/json.h) */
	return vq_json_int(cJSON_GetObjectItemCaseSensitive(o, key), INT64_MIN, INT64_MAX, out) ==
	       VQ_OK;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void parse_held(kiosk *k, const cJSON *arr)
{
	sodium_memzero(k->held, sizeof k->held);
	k->nheld = 0;
	const cJSON *t;
	cJSON_ArrayForEach(t, arr)
	{
		if (k->nheld >= KIOSK_HELD_MAX)
			break;
		struct kiosk_held *h = &k->held[k->nheld];
		int64_t id = 0;
		jint(t, "id", &id);
		h->id = (uint64_t)id;
		copy_str(h->number, sizeof h->number, jstr(t, "number"));
		copy_str(h->attr, sizeof h->attr, jstr(t, "attraction"));
		jint(t, "start", &h->start);
		jint(t, "end", &h->end);
		const char *st = jstr(t, "state");
		h->anytime = st && strcmp(st, "anytime") == 0;
		if (h->anytime) {
			jint(t, "valid_from", &h->start);
			jint(t, "valid_until", &h->end);
		}
		k->nheld++;
	}
}

static void add_alt(kiosk *k, const char *attr, int64_t start, int64_t end)
{
	int i = attr ? kiosk_served_index(k, attr) : -1;
	if (i < 0 || k->nalts >= KIOSK_MAX_SERVED || start <= 0 || strcmp(attr, k->attr) == 0)
		return;
	k->alts[k->nalts++] = (struct kiosk_alt){i, start, end};
}

static void show_error(kiosk *k, const char *code)
{
	copy_str(k->err, sizeof k->err, code);
	go(k, KS_ERROR);
	ktrace(k, "state error code=%s attraction=%s alternatives=%d held=%d", k->err,
	       k->attr[0] ? k->attr : "-", k->nalts, k->nheld);
}

static void to_party(kiosk *k)
{
	if (k->max_passes > 0 && k->nheld >= k->max_passes) {
		show_error(k, "limit_reached");
		return;
	}
	go(k, KS_PARTY);
	ktrace(k, "state party attraction=%s tier=%s member=%d", k->attr, k->tier, k->member);
}

static void on_identify(kiosk *k, const cJSON *r)
{
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
		const char *code = jstr(cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
		sodium_memzero(k->card, sizeof k->card);
		show_error(k, code ? code : "bad_reply");
		return;
	}
	k->guest_known = 1;
	copy_str(k->tier, sizeof k->tier, jstr(r, "tier"));
	k->member = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "member"));
	int64_t mp = 0;
	jint(r, "max_passes", &mp);
	k->max_passes = (int)mp;
	parse_held(k, cJSON_GetObjectItemCaseSensitive(r, "held"));
	ktrace(k, "identified tier=%s member=%d held=%d max_passes=%d", k->tier, k->member,
	       k->nheld, k->max_passes);
	if (k->attr[0]) {
		to_party(k);
	} else {
		go(k, KS_WELCOME);
		ktrace(k, "state welcome tier=%s", k->tier);
	}
}

static void to_confirm(kiosk *k)
{
	go(k, KS_CONFIRM);
	ktrace(k, "state confirm attraction=%s party=%d tier=%s start=%lld end=%lld compare=%s",
	       k->attr, k->party, k->tier, (long long)k->q_start, (long long)k->q_end,
	       k->cmp_tier[0] ? k->cmp_tier : "-");
}

static void on_quote(kiosk *k, const cJSON *r)
{
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
		const char *code = jstr(cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
		show_error(k, code ? code : "bad_reply");
		return;
	}
	const char *tier = jstr(r, "tier");
	if (tier)
		copy_str(k->tier, sizeof k->tier, tier);
	k->nalts = 0;
	const cJSON *mine = NULL, *q;
	cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(r, "quotes"))
	{
		const char *a = jstr(q, "attraction");
		if (a && strcmp(a, k->attr) == 0) {
			mine = q;
			continue;
		}
		int64_t s = 0, e = 0;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(q, "ok")) &&
		    jint(q, "start", &s) && jint(q, "end", &e))
			add_alt(k, a, s, e);
	}
	if (!mine) {
		show_error(k, "unknown_attraction");
		return;
	}
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mine, "ok"))) {
		const char *code = jstr(mine, "error");
		k->err_max_party = kiosk_known_max_party(k, k->attr);
		show_error(k, code ? code : "bad_reply");
		return;
	}
	jint(mine, "start", &k->q_start);
	jint(mine, "end", &k->q_end);
	sodium_memzero(k->cmp_tier, sizeof k->cmp_tier);
	k->cmp_start = k->cmp_end = 0;
	/* one honest comparison: the next tier up, asked for this very party */
	const vq_site_view *site = vq_sitestate_site(k->site);
	int t = vq_sitestate_tier(k->site, k->tier);
	if (t >= 0 && t + 1 < site->ntiers) {
		send_compare(k, site->tiers[t + 1]);
		return;
	}
	to_confirm(k);
}

static void on_compare(kiosk *k, const cJSON *r)
{
	const cJSON *q = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "quotes"), 0);
	const char *tier = jstr(r, "tier"), *a = jstr(q, "attraction");
	int64_t s = 0, e = 0;
	/* only a better window is worth a line; anything else (a refusal, the same time)
	 * says nothing */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")) && tier && a &&
	    strcmp(a, k->attr) == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(q, "ok")) &&
	    jint(q, "start", &s) && jint(q, "end", &e) && s > 0 && s < k->q_start) {
		copy_str(k->cmp_tier, sizeof k->cmp_tier, tier);
		k->cmp_start = s;
		k->cmp_end = e;
	}
	to_confirm(k);
}

static void on_issue(kiosk *k, const cJSON *r)
{
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
		const char *code = jstr(e, "code");
		int64_t mp = 0;
		k->nalts = 0;
		if (jint(e, "max_party", &mp) && mp > 0) {
			learn_max_party(k, k->attr, (int)mp);
			k->err_max_party = (int)mp;
		}
		const cJSON *held = cJSON_GetObjectItemCaseSensitive(e, "held");
		if (cJSON_IsArray(held))
			parse_held(k, held);
		const cJSON *alt;
		cJSON_ArrayForEach(alt, cJSON_GetObjectItemCaseSensitive(e, "alternatives"))
		{
			int64_t s = 0, en = 0;
			if (jint(alt, "start", &s) && jint(alt, "end", &en))
				add_alt(k, jstr(alt, "attraction"), s, en);
		}
		show_error(k, code ? code : "bad_reply");
		return;
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "ticket");
	kiosk_ticket *tk = &k->ticket;
	memset(tk, 0, sizeof *tk);
	int64_t id = 0, party = 0;
	const char *code = jstr(t, "code");
	if (!jint(t, "id", &id) || id <= 0 || !code) {
		show_error(k, "bad_reply");
		return;
	}
	tk->id = (uint64_t)id;
	copy_str(tk->number, sizeof tk->number, jstr(t, "number"));
	copy_str(tk->attraction, sizeof tk->attraction, jstr(t, "attraction"));
	copy_str(tk->tier, sizeof tk->tier, jstr(t, "tier"));
	jint(t, "party", &party);
	tk->party = (int)party;
	jint(t, "start", &tk->start);
	jint(t, "end", &tk->end);
	copy_str(tk->code, sizeof tk->code, code);
	if (k->nheld < KIOSK_HELD_MAX) {
		struct kiosk_held *h = &k->held[k->nheld++];
		h->id = tk->id;
		copy_str(h->number, sizeof h->number, tk->number);
		copy_str(h->attr, sizeof h->attr, tk->attraction);
		h->start = tk->start;
		h->end = tk->end;
	}
	k->spool_id = tk->id;
	go(k, KS_TICKET);
	ktrace(k,
	       "state ticket id=%llu number=%s attraction=%s tier=%s party=%d start=%lld "
	       "end=%lld code=%s",
	       (unsigned long long)tk->id, tk->number, tk->attraction, tk->tier, tk->party,
	       (long long)tk->start, (long long)tk->end, tk->code);
}

static void on_cancel(kiosk *k, const cJSON *r)
{
	uint64_t id = k->give_back;
	k->give_back = 0;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
		const char *code = jstr(cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
		show_error(k, code ? code : "bad_reply");
		return;
	}
	int i = 0;
	while (i < k->nheld && k->held[i].id != id)
		i++;
	if (i < k->nheld) {
		memmove(&k->held[i], &k->held[i + 1],
		        (size_t)(k->nheld - i - 1) * sizeof k->held[0]);
		k->nheld--;
		sodium_memzero(&k->held[k->nheld], sizeof k->held[0]);
	}
	copy_str(k->notice, sizeof k->notice, "kiosk_given_back");
	ktrace(k, "given back id=%llu held=%d", (unsigned long long)id, k->nheld);
	/* Under the limit again: the welcome screen, where the guest picks a new pass. */
	if (k->screen == KS_ERROR && (k->max_passes <= 0 || k->nheld < k->max_passes)) {
		sodium_memzero(k->attr, sizeof k->attr);
		k->err[0] = '\0';
		k->nalts = 0;
		go(k, KS_WELCOME);
		ktrace(k, "state welcome tier=%s", k->tier);
	}
}

void kiosk_reply(kiosk *k, const char *payload, size_t len, int64_t now)
{
	if (k->rq_state == RQ_IDLE)
		return;
	cJSON *r = NULL;
	if (vq_json_parse(payload, len, VQ_JSON_TEXT, &r, NULL) != VQ_OK)
		r = NULL;
	const char *rid = jstr(r, "rid");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
	const char *code = jstr(e, "code");
	/* over the rate limit vqd refuses unread, so without the rid: the correlation data the
	 * caller matched says it is ours */
	int unread = !rid && code && strcmp(code, "rate_limited") == 0;
	if (!cJSON_IsObject(r) || (!unread && (!rid || strcmp(rid, k->rid) != 0))) {
		/* Not an answer to this request (a stale one, or garbage): the request stays
		 * out, and its timeout decides. */
		ktrace(k, "reply ignored rid=%s", rid ? rid : "-");
		cJSON_Delete(r);
		return;
	}
	int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
	if (!ok && code && (strcmp(code, "storage") == 0 || unread)) {
		/* vqd recorded nothing and asks for the same rid again: after a pause, since
		 * its disk will not heal in a millisecond (or it asked for one: retry_after_ms),
		 * and without the standby screen, since vqd is there. */
		int64_t after = 0, wait = k->retry_ms;
		if (jint(e, "retry_after_ms", &after) && after > wait && after < 3600000)
			wait = after;
		k->unanswered++;
		k->rq_state = RQ_BACKOFF;
		k->rq_deadline = now + wait;
		ktrace(k, "%s %s rid=%s attempt=%d", code, REQ_NAMES[k->rq_kind], k->rid,
		       k->attempt);
		invalidate(k);
		cJSON_Delete(r);
		return;
	}
	int kind = k->rq_kind;
	ktrace(k, "reply %s rid=%s attempt=%d %s%s", REQ_NAMES[kind], k->rid, k->attempt,
	       ok ? "ok" : "error=", ok ? "" : (code ? code : "?"));
	request_drop(k);
	if (kind == KR_IDENTIFY)
		on_identify(k, r);
	else if (kind == KR_QUOTE)
		on_quote(k, r);
	else if (kind == KR_ISSUE)
		on_issue(k, r);
	else if (kind == KR_CANCEL)
		on_cancel(k, r);
	else if (kind == KR_COMPARE)
		on_compare(k, r);
	invalidate(k);
	update_standby(k);
	cJSON_Delete(r);
}

/* --- input ------------------------------------------------------------------------- */

static int card_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= KIOSK_CARD_MAX)
		return 0;
	for (; *s; s++)
		if (*s < '!' || *s > '~')
			return 0;
	return 1;
}

/* A card read or typed: vqd says who this is. */
static void identify(kiosk *k, const char *card)
{
	if (!card_ok(card)) {
		sodium_memzero(k->typed, sizeof k->typed);
		copy_str(k->notice, sizeof k->notice, "kiosk_unknown_card");
		ktrace(k, "card refused=format");
		invalidate(k);
		return;
	}
	copy_str(k->card, sizeof k->card, card);
	sodium_memzero(k->typed, sizeof k->typed);
	k->notice[0] = '\0';
	send_identify(k, k->card);
}

static void choose_attraction(kiosk *k, int i)
{
	const char *id = kiosk_served_id(k, i);
	const vq_attr_view *a = kiosk_served_view(k, i);
	if (!id || !a || !a->open)
		return;
	copy_str(k->attr, sizeof k->attr, id);
	if (k->guest_known) {
		to_party(k);
		return;
	}
	sodium_memzero(k->typed, sizeof k->typed);
	k->notice[0] = '\0';
	go(k, KS_IDENTIFY);
	ktrace(k, "state identify attraction=%s", k->attr);
}

static void type_char(kiosk *k, char c)
{
	size_t n = strlen(k->typed);
	if (c < '!' || c > '~' || n + 1 >= sizeof k->typed)
		return;
	k->typed[n] = c;
	k->typed[n + 1] = '\0';
	k->notice[0] = '\0';
	invalidate(k);
}

static void back(kiosk *k)
{
	switch (k->screen) {
	case KS_IDENTIFY:
		reset(k, "back", 0);
		break;
	case KS_PARTY:
	case KS_ERROR:
		/* The guest stays known: another attraction is a tap away. */
		if (!k->guest_known) {
			reset(k, "back", 0);
			break;
		}
		sodium_memzero(k->attr, sizeof k->attr);
		k->err[0] = '\0';
		k->nalts = 0;
		go(k, KS_WELCOME);
		ktrace(k, "state welcome tier=%s", k->tier);
		break;
	case KS_CONFIRM:
		go(k, KS_PARTY);
		ktrace(k, "state party attraction=%s tier=%s member=%d", k->attr, k->tier,
		       k->member);
		break;
	default:
		break;
	}
}

static void choose_party(kiosk *k, int n)
{
	int max = kiosk_known_max_party(k, k->attr);
	if (n < 1 || n > KIOSK_PARTY_MAX || (max > 0 && n > max))
		return;
	k->party = n;
	send_quote(k);
}

static void set_lang(kiosk *k, int i)
{
	const char *l = vq_i18n_lang_at(k->i18n, (size_t)i);
	if (!l || strcmp(l, k->lang) == 0)
		return;
	copy_str(k->lang, sizeof k->lang, l);
	ktrace(k, "lang %s", k->lang);
	invalidate(k);
}

static void act(kiosk *k, int action, int arg)
{
	/* While vqd is being asked only the way out and the language stay live: a second
	 * tap must not start a second request. */
	if (k->rq_state != RQ_IDLE && action != KA_START_OVER && action != KA_LANG &&
	    action != KA_CONTINUE)
		return;
	switch (action) {
	case KA_LANG:
		set_lang(k, arg);
		break;
	case KA_ATTR:
		if (k->screen == KS_WELCOME)
			choose_attraction(k, arg);
		break;
	case KA_KEY:
		type_char(k, (char)arg);
		break;
	case KA_DELETE:
		if (k->typed[0]) {
			k->typed[strlen(k->typed) - 1] = '\0';
			invalidate(k);
		}
		break;
	case KA_SUBMIT:
		if (k->typed[0]) {
			char card[KIOSK_CARD_MAX];
			memcpy(card, k->typed, sizeof card);
			identify(k, card);
			sodium_memzero(card, sizeof card);
		}
		break;
	case KA_BACK:
		back(k);
		break;
	case KA_START_OVER:
		reset(k, "start_over", 0);
		break;
	case KA_PARTY:
		if (k->screen == KS_PARTY)
			choose_party(k, arg);
		break;
	case KA_CONFIRM:
		if (k->screen == KS_CONFIRM)
			send_issue(k);
		break;
	case KA_DONE:
		reset(k, "done", 1);
		break;
	case KA_ALT:
		if (k->screen == KS_ERROR && kiosk_served_id(k, arg) && k->party > 0) {
			copy_str(k->attr, sizeof k->attr, kiosk_served_id(k, arg));
			ktrace(k, "alternative attraction=%s", k->attr);
			send_quote(k);
		}
		break;
	case KA_CHOOSE_AGAIN:
		go(k, KS_PARTY);
		ktrace(k, "state party attraction=%s tier=%s member=%d", k->attr, k->tier,
		       k->member);
		break;
	case KA_GIVE_BACK:
		if (k->guest_known && k->card[0] && arg >= 0 && arg < k->nheld &&
		    (k->screen == KS_WELCOME || k->screen == KS_ERROR)) {
			k->give_back = k->held[arg].id;
			ktrace(k, "give back? id=%llu", (unsigned long long)k->give_back);
			invalidate(k);
		}
		break;
	case KA_GIVE_BACK_YES:
		if (k->give_back)
			send_cancel(k);
		break;
	case KA_GIVE_BACK_NO:
		k->give_back = 0;
		invalidate(k);
		break;
	case KA_TRY_AGAIN:
		sodium_memzero(k->card, sizeof k->card);
		k->guest_known = 0;
		go(k, KS_IDENTIFY);
		ktrace(k, "state identify attraction=%s", k->attr);
		break;
	default:
		break;
	}
}

static int combo_hit(const kiosk *k, const vq_input *in)
{
	if (in->key != k->combo_key)
		return 0;
	static const uint16_t groups[] = {KMOD_CTRL, KMOD_ALT, KMOD_SHIFT, KMOD_GUI};
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if ((k->combo_mods & groups[i]) && !(in->mod & groups[i]))
			return 0;
	return 1;
}

static void on_key(kiosk *k, const vq_input *in)
{
	if (k->combo_key && combo_hit(k, in)) {
		k->quit = 1;
		ktrace(k, "quit staff");
		return;
	}
	switch (in->key) {
	case SDLK_RETURN:
	case SDLK_KP_ENTER:
		if (k->screen == KS_IDENTIFY)
			act(k, KA_SUBMIT, 0);
		else if (k->screen == KS_CONFIRM)
			act(k, KA_CONFIRM, 0);
		else if (k->screen == KS_TICKET)
			act(k, KA_DONE, 0);
		break;
	case SDLK_BACKSPACE:
		if (k->screen == KS_IDENTIFY)
			act(k, KA_DELETE, 0);
		break;
	case SDLK_ESCAPE:
		act(k, KA_BACK, 0);
		break;
	default:
		break;
	}
}

static void on_text(kiosk *k, const char *text)
{
	if (k->rq_state != RQ_IDLE)
		return;
	if (k->screen == KS_IDENTIFY) {
		for (const char *p = text; *p; p++)
			type_char(k, *p);
	} else if (k->screen == KS_PARTY && text[0] >= '1' && text[0] <= '9' && !text[1]) {
		choose_party(k, text[0] - '0');
	}
}

/* A scanner read: on the identify screen it is this guest's card; anywhere else it is
 * a new visitor starting over with their card. */
static void on_scan(kiosk *k, const char *text)
{
	if (k->rq_state != RQ_IDLE && k->screen != KS_OFFLINE)
		return;
	ktrace(k, "scan len=%zu", strlen(text));
	if (k->screen != KS_IDENTIFY) {
		if (k->screen != KS_WELCOME || k->guest_known)
			reset(k, "scan", 0);
	}
	identify(k, text);
}

static void activity(kiosk *k, int64_t now)
{
	k->last_input = now;
	if (k->idle_warning) {
		k->idle_warning = 0;
		invalidate(k);
	}
}

void kiosk_touched(kiosk *k, int64_t now_ms)
{
	activity(k, now_ms);
}

/* Untouched for the idle time, on any screen: whoever was here has gone. Counted before
 * a new touch is taken, so the guest after them never inherits their modes. */
static void count_idle(kiosk *k, int64_t now)
{
	if (now - k->last_input >= k->idle_ms && k->idle_counted != k->last_input) {
		k->idle_counted = k->last_input;
		k->idle_wipes++;
	}
}

static int guest_present(const kiosk *k)
{
	return k->screen != KS_WELCOME || k->guest_known || k->card[0] || k->typed[0] ||
	       k->rq_state != RQ_IDLE;
}

static int64_t warn_ms(const kiosk *k)
{
	return k->idle_ms / 4 < WARN_MS ? k->idle_ms / 4 : WARN_MS;
}

static void tick(kiosk *k, int64_t now)
{
	if (!k->startup_over && now - k->started >= KIOSK_STARTUP_MS) {
		k->startup_over = 1;
		invalidate(k);
		update_standby(k);
	}
	count_idle(k, now);
	if (guest_present(k)) {
		int64_t idle = now - k->last_input;
		if (idle >= k->idle_ms) {
			reset(k, "idle", 1);
		} else if (!k->idle_warning && idle >= k->idle_ms - warn_ms(k)) {
			k->idle_warning = 1;
			ktrace(k, "idle warning");
			invalidate(k);
		}
	}
	if (k->rq_state == RQ_WAIT && now >= k->rq_deadline)
		unanswered(k, now, "timeout");
	else if (k->rq_state == RQ_BACKOFF && k->link_up && k->rq_deadline && now >= k->rq_deadline)
		k->rq_state = RQ_SEND;
}

void kiosk_update(kiosk *k, const vq_input *in, int64_t now)
{
	const vq_el *el;
	count_idle(k, now);
	switch (in->kind) {
	case VQ_IN_PRESS:
		activity(k, now);
		el = vq_view_hit(kiosk_view_get(k), in->x, in->y);
		copy_str(k->pressed, sizeof k->pressed, el ? el->id : "");
		invalidate(k);
		break;
	case VQ_IN_TAP:
		activity(k, now);
		el = vq_view_hit(kiosk_view_get(k), in->x, in->y);
		k->pressed[0] = '\0';
		invalidate(k);
		if (el)
			act(k, el->action, el->arg);
		break;
	case VQ_IN_KEY:
		activity(k, now);
		on_key(k, in);
		break;
	case VQ_IN_TEXT:
		activity(k, now);
		on_text(k, in->text);
		break;
	case VQ_IN_SCAN:
		activity(k, now);
		on_scan(k, in->text);
		break;
	case VQ_IN_REDRAW:
		invalidate(k);
		break;
	default:
		break;
	}
	tick(k, now);
}

void kiosk_site_changed(kiosk *k, int64_t now)
{
	(void)now;
	/* every program of the site runs on one clock: staff hear when this one does not */
	int64_t skew = 0;
	int min = vq_sitestate_clock_skew(k->site, &skew) && llabs(skew) > VQ_CLOCK_SKEW_MAX_MS
	              ? (int)(-skew / 60000)
	              : 0;
	if (min != k->clock_skew_min) {
		k->clock_skew_min = min;
		ktrace(k, "clock skew_min=%d", min);
	}
	invalidate(k);
	update_standby(k);
}

void kiosk_link(kiosk *k, int up, int64_t now)
{
	up = up ? 1 : 0;
	if (up == k->link_up)
		return;
	k->link_up = up;
	ktrace(k, "link %s", up ? "up" : "down");
	if (!up && (k->rq_state == RQ_WAIT || k->rq_state == RQ_SEND)) {
		/* The reply cannot come now; the standby screen says so at once. */
		k->rq_state = RQ_BACKOFF;
		k->rq_deadline = now + k->retry_ms;
		to_offline(k);
	} else if (up && k->rq_state == RQ_BACKOFF) {
		k->rq_state = RQ_SEND;
	}
	invalidate(k);
	update_standby(k);
}

int64_t kiosk_deadline(const kiosk *k)
{
	int64_t d = k->startup_over ? INT64_MAX : k->started + KIOSK_STARTUP_MS;
	if (guest_present(k)) {
		int64_t idle =
		    k->last_input + (k->idle_warning ? k->idle_ms : k->idle_ms - warn_ms(k));
		if (idle < d)
			d = idle;
	}
	if (k->idle_counted != k->last_input && k->last_input + k->idle_ms < d)
		d = k->last_input + k->idle_ms; /* once: the moment to count it (count_idle) */
	if ((k->rq_state == RQ_WAIT || (k->rq_state == RQ_BACKOFF && k->rq_deadline)) &&
	    k->rq_deadline < d)
		d = k->rq_deadline;
	return d;
}

/* --- accessors ------------------------------------------------------------------ */

int kiosk_screen(const kiosk *k)
{
	return k->screen;
}

int kiosk_quit(const kiosk *k)
{
	return k->quit;
}

int kiosk_link_up(const kiosk *k)
{
	return k->link_up;
}

const char *kiosk_lang(const kiosk *k)
{
	return k->lang;
}

const char *kiosk_card(const kiosk *k)
{
	return k->card;
}

const char *kiosk_tier(const kiosk *k)
{
	return k->tier;
}

const char *kiosk_attraction(const kiosk *k)
{
	return k->attr;
}

int kiosk_party(const kiosk *k)
{
	return k->party;
}

const char *kiosk_error_code(const kiosk *k)
{
	return k->screen == KS_ERROR ? k->err : "";
}

int kiosk_held_count(const kiosk *k)
{
	return k->nheld;
}

uint64_t kiosk_give_back_pending(const kiosk *k)
{
	return k->rq_state == RQ_IDLE ? k->give_back : 0;
}

int kiosk_ticket_get(const kiosk *k, kiosk_ticket *out)
{
	if (k->screen != KS_TICKET)
		return 0;
	*out = k->ticket;
	return 1;
}

int kiosk_dirty(const kiosk *k)
{
	return k->dirty;
}

void kiosk_clean(kiosk *k)
{
	k->dirty = 0;
}

void kiosk_touch_view(kiosk *k)
{
	k->dirty = 1;
}

const vq_view *kiosk_view_get(kiosk *k)
{
	if (!k->view_valid) {
		kiosk_layout(k, &k->view);
		k->view_valid = 1;
	}
	return &k->view;
}

int kiosk_print_view(kiosk *k, int w, int h, vq_view *out)
{
	if (k->screen != KS_TICKET || w < 64 || h < 64)
		return VQ_EINVAL;
	kiosk_layout_print(k, w, h, out);
	return VQ_OK;
}

uint64_t kiosk_spool_pending(const kiosk *k)
{
	return k->screen == KS_TICKET ? k->spool_id : 0;
}

void kiosk_spool_done(kiosk *k, uint64_t id)
{
	if (k->spool_id == id)
		k->spool_id = 0;
}

/* --- construction --------------------------------------------------------------- */

int kiosk_combo_parse(const char *combo, int32_t *key, uint16_t *mods)
{
	char buf[64];
	if (!combo || strlen(combo) >= sizeof buf)
		return VQ_EINVAL;
	snprintf(buf, sizeof buf, "%s", combo);
	uint16_t m = 0;
	int32_t kc = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		if (kc)
			return VQ_EINVAL; /* the key comes last */
		if (!strcasecmp(tok, "ctrl") || !strcasecmp(tok, "control"))
			m |= KMOD_CTRL;
		else if (!strcasecmp(tok, "alt"))
			m |= KMOD_ALT;
		else if (!strcasecmp(tok, "shift"))
			m |= KMOD_SHIFT;
		else if (!strcasecmp(tok, "gui") || !strcasecmp(tok, "super") ||
		         !strcasecmp(tok, "win"))
			m |= KMOD_GUI;
		else if ((kc = SDL_GetKeyFromName(tok)) == SDLK_UNKNOWN)
			return VQ_EINVAL;
	}
	/* A combination without a modifier could be typed by a visitor. */
	if (!kc || !m)
		return VQ_EINVAL;
	*key = kc;
	*mods = m;
	return VQ_OK;
}

static int parse_served(kiosk *k, const char *list)
{
	if (!list || !*list)
		return VQ_OK;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || n >= VQ_ID_MAX || k->nserved_cfg >= KIOSK_MAX_SERVED)
			return VQ_EINVAL;
		memcpy(k->served_cfg[k->nserved_cfg], p, n);
		k->served_cfg[k->nserved_cfg][n] = '\0';
		k->nserved_cfg++;
		p += n;
		if (*p == ',')
			p++;
	}
	return VQ_OK;
}

int kiosk_phone_url_ok(const char *u)
{
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return 0;
	if (strlen(u) >= KIOSK_PHONE_URL_MAX || strchr(u, '#'))
		return 0;
	for (; *u; u++)
		if (*u < '!' || *u > '~')
			return 0;
	return 1;
}

int kiosk_phone_link(const kiosk *k, const char *code, char *out, size_t outlen)
{
	if (!k->phone_url[0] || !code || !*code)
		return 0;
	int n = snprintf(out, outlen, "%s#%s", k->phone_url, code);
	return n > 0 && (size_t)n < outlen;
}

int kiosk_new(const kiosk_cfg *cfg, int64_t now, kiosk **out)
{
	if (!cfg || !out || !cfg->i18n || !cfg->site || cfg->width < 64 || cfg->height < 64 ||
	    cfg->target_px < 1 || !cfg->rid_prefix || !*cfg->rid_prefix ||
	    strlen(cfg->rid_prefix) >= KIOSK_PREFIX_MAX)
		return VQ_EINVAL;
	for (const char *p = cfg->rid_prefix; *p; p++)
		if (*p < '!' || *p > '~')
			return VQ_EINVAL;
	if (cfg->phone_url && *cfg->phone_url && !kiosk_phone_url_ok(cfg->phone_url))
		return VQ_EINVAL;
	kiosk *k = calloc(1, sizeof *k);
	if (!k)
		return VQ_ENOMEM;
	k->i18n = cfg->i18n;
	k->site = cfg->site;
	k->w = cfg->width;
	k->h = cfg->height;
	k->target = cfg->target_px;
	copy_str(k->lang0, sizeof k->lang0,
	         cfg->lang && vq_i18n_has_lang(cfg->i18n, cfg->lang) ? cfg->lang : "en");
	copy_str(k->lang, sizeof k->lang, k->lang0);
	copy_str(k->rid_prefix, sizeof k->rid_prefix, cfg->rid_prefix);
	copy_str(k->phone_url, sizeof k->phone_url, cfg->phone_url ? cfg->phone_url : "");
	k->idle_ms = cfg->idle_ms > 0 ? cfg->idle_ms : DEFAULT_IDLE_MS;
	k->timeout_ms = cfg->reply_timeout_ms > 0 ? cfg->reply_timeout_ms : DEFAULT_TIMEOUT_MS;
	k->retry_ms = cfg->retry_ms > 0 ? cfg->retry_ms : DEFAULT_RETRY_MS;
	k->tries_offline =
	    cfg->tries_before_offline > 0 ? cfg->tries_before_offline : DEFAULT_TRIES;
	k->trace = cfg->trace;
	k->trace_ctx = cfg->trace_ctx;
	if (parse_served(k, cfg->attractions) != VQ_OK ||
	    kiosk_combo_parse(cfg->staff_combo ? cfg->staff_combo : DEFAULT_COMBO, &k->combo_key,
	                      &k->combo_mods) != VQ_OK) {
		free(k);
		return VQ_EINVAL;
	}
	k->screen = KS_WELCOME;
	k->last_input = now;
	k->started = now;
	invalidate(k);
	*out = k;
	return VQ_OK;
}

void kiosk_free(kiosk *k)
{
	if (!k)
		return;
	wipe_guest(k);
	request_drop(k);
	free(k);
}
