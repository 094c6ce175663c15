/* gate/gate_state.c — vq-gate's state machine (see gate_state.h).
 *
 * Owns when the gate is online, the requests in flight (one redeem, one sync, one override
 * at a time), the queue of scans that came while a redeem was out, the offline check, the
 * shift counters and the screen being shown. Invariants:
 *   - a scan gets exactly one verdict: from vqd's reply, or from the offline check when
 *     the gate is offline or the reply is late (a late reply then only settles the
 *     journal: an admission vqd already recorded is not synced again);
 *   - every admission made offline and every override is in the journal before its
 *     verdict is shown, and leaves the journal only by vqd's answer (same rid on every
 *     resend), so nothing staff did is lost to a restart or a lost reply; one the journal
 *     cannot record (a full disk) is refused, never shown as admitted;
 *   - a sync goes out only under a rid the journal holds;
 *   - each counter moves once per verdict or per answer about a journal entry.
 */
#include "gate/gate_state.h"
#include "core/json.h"

#include <SDL.h>
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock/timefmt.h"
#include "core/admit.h"

#define DEF_W          1280
#define DEF_H          800
#define DEF_TIMEOUT_MS 1500
#define DEF_VERDICT_MS 6000
#define DEF_PROBE_MS   15000
#define SYNC_TIMEOUT   5000 /* a sync carries up to 200 admissions: give it time */
#define BACKOFF_MIN    1000
#define BACKOFF_MAX    30000
#define DEBOUNCE_MS    2000 /* a scanner that reads one code twice */
#define QUEUE_MAX      8
#define LATE_MAX       16
#define POLL_BATCH     32
#define ANYTIME_S      (24 * 3600)
#define MAX_BUTTONS    16

enum req_kind { REQ_NONE = 0, REQ_REDEEM, REQ_SYNC, REQ_OVERRIDE, REQ_ACCESS };
#define ACCESS_PARTY_MAX 8 /* party buttons on the access screen */

struct req {
	int kind;
	char corr[VQ_BUS_CORR_MAX];
	char rid[GATE_RID_MAX];
	int64_t sent_ms;
	int n;                  /* redeem: the offline admission made instead (0: none);
	                           override: its journal entry */
	char code[VQ_CODE_MAX]; /* redeem */
};

struct gate {
	char attraction[VQ_ID_MAX], gate_id[VQ_ID_MAX], lang[VQ_LANG_MAX];
	const vq_i18n *i18n;
	const vq_site *config;
	vq_site *synth;
	int synth_stale;
	int timeout_ms, verdict_ms, probe_ms;
	gate_combo quit_combo;
	int w, h;
	vq_sitestate *ss;
	gate_journal *j;
	gate_io io;
	gate_view v;
	int dirty, quit;
	int64_t verdict_until;
	int64_t suspect_until; /* after a timeout: offline until then */
	int64_t minute;        /* of the clock on screen */
	struct req redeem, sync, ovr, acc;
	char acc_asked[VQ_INPUT_TEXT_MAX + 8]; /* card and party of acc_rid: asked again the same */
	char acc_rid[GATE_RID_MAX];
	struct req late[LATE_MAX]; /* timed out, still answerable */
	int late_next;
	char queue[QUEUE_MAX][VQ_CODE_MAX];
	int nqueue;
	int64_t work_next; /* sync and overrides wait until then after a failure */
	int backoff;
	char last_code[VQ_CODE_MAX];
	int64_t last_scan_ms;
	char prefix[4]; /* of our attraction's numbers, learnt from vqd's replies */
	char session[16];
	unsigned rid_seq;
	int shown_override; /* journal entry of the override on screen, 0: none */
	int presence_heard; /* presence/vqd arrived (the site state says only "online") */
	int64_t off_since;  /* when the bus was last lost, or the first tick; -1: on it */
	int clock_told;     /* the trace said which time this gate shows */
};

static const char *const REASON_NAMES[GATE_R_COUNT] = {
    "none",        "too_early",        "expired",      "already_used", "forged",
    "unknown_key", "wrong_attraction", "closed",       "cancelled",    "unknown_ticket",
    "no_keys",     "cannot_record",    "not_a_ticket", "other"};

/* The override reasons offered as buttons: id, i18n key. What vqd records is the English
 * text, so the audit log reads the same whatever language the gate shows. */
static const char *const OV_KEYS[] = {"gate_ov_ride_down", "gate_ov_damaged", "gate_ov_assistance",
                                      "gate_ov_manager"};
static const char *const OV_IDS[] = {"ov-1", "ov-2", "ov-3", "ov-4"};
#define OV_COUNT 4

const char *gate_reason_name(int reason)
{
	return reason >= 0 && reason < GATE_R_COUNT ? REASON_NAMES[reason] : "other";
}

int gate_reason_from_wire(const char *code)
{
	if (!code)
		return GATE_R_OTHER;
	if (strcmp(code, "malformed_code") == 0)
		return GATE_R_FORGED;
	for (int r = GATE_R_TOO_EARLY; r < GATE_R_OTHER; r++)
		if (strcmp(code, REASON_NAMES[r]) == 0)
			return r;
	return GATE_R_OTHER;
}

static int reason_from_err(int rc)
{
	switch (rc) {
	case VQ_ETOOEARLY:
		return GATE_R_TOO_EARLY;
	case VQ_EEXPIRED:
		return GATE_R_EXPIRED;
	case VQ_EUSED:
		return GATE_R_USED;
	case VQ_EMALFORMED:
	case VQ_EBADSIG:
		return GATE_R_FORGED;
	case VQ_EUNKNOWNKEY:
		return GATE_R_UNKNOWN_KEY;
	case VQ_EWRONGATTR:
		return GATE_R_WRONG_ATTR;
	case VQ_ECLOSED:
		return GATE_R_CLOSED;
	case VQ_ECANCELLED:
		return GATE_R_CANCELLED;
	case VQ_ENOTICKET:
		return GATE_R_UNKNOWN_TICKET;
	default:
		return GATE_R_OTHER;
	}
}

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static const char *L(const gate *g, const char *key)
{
	return vq_i18n_get(g->i18n, g->lang, key);
}

static void trace(gate *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace(gate *g, const char *fmt, ...)
{
	if (!g->io.trace)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	g->io.trace(g->io.ctx, line);
}

static void cue(gate *g, int c)
{
	if (g->io.cue)
		g->io.cue(g->io.ctx, c);
}

/* --- small pure helpers ------------------------------------------------------------- */

void gate_code_normalize(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	if (!outlen)
		return;
	for (; in && *in && n + 1 < outlen; in++) {
		unsigned char c = (unsigned char)*in;
		if (c <= ' ')
			continue;
		out[n++] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
	}
	out[n] = '\0';
}

int gate_code_is_ours(const char *code)
{
	return code && strncmp(code, "VQ1:", 4) == 0 && code[4];
}

int gate_combo_parse(const char *text, gate_combo *out)
{
	gate_combo c = {0, 0};
	char buf[64];
	if (!text || !out || strlen(text) >= sizeof buf || !*text)
		return VQ_EINVAL;
	memcpy(buf, text, strlen(text) + 1);
	char *save = NULL;
	for (char *tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		if (c.key)
			return VQ_EINVAL; /* the key comes last */
		if (!SDL_strcasecmp(tok, "ctrl") || !SDL_strcasecmp(tok, "control"))
			c.mods |= GATE_MOD_CTRL;
		else if (!SDL_strcasecmp(tok, "alt"))
			c.mods |= GATE_MOD_ALT;
		else if (!SDL_strcasecmp(tok, "shift"))
			c.mods |= GATE_MOD_SHIFT;
		else if (!SDL_strcasecmp(tok, "gui") || !SDL_strcasecmp(tok, "super") ||
		         !SDL_strcasecmp(tok, "win") || !SDL_strcasecmp(tok, "cmd"))
			c.mods |= GATE_MOD_GUI;
		else if (strlen(tok) == 1)
			c.key = (unsigned char)tok[0] >= 'A' && (unsigned char)tok[0] <= 'Z'
			            ? tok[0] - 'A' + 'a'
			            : (unsigned char)tok[0];
		else if ((c.key = SDL_GetKeyFromName(tok)) == SDLK_UNKNOWN)
			return VQ_EINVAL;
	}
	if (!c.key)
		return VQ_EINVAL;
	*out = c;
	return VQ_OK;
}

static int combo_matches(const gate_combo *c, const vq_input *in)
{
	if (!c->key)
		return 0;
	int32_t k = in->key >= 'A' && in->key <= 'Z' ? in->key - 'A' + 'a' : in->key;
	unsigned have = ((in->mod & KMOD_CTRL) ? GATE_MOD_CTRL : 0) |
	                ((in->mod & KMOD_ALT) ? GATE_MOD_ALT : 0) |
	                ((in->mod & KMOD_SHIFT) ? GATE_MOD_SHIFT : 0) |
	                ((in->mod & KMOD_GUI) ? GATE_MOD_GUI : 0);
	return k == c->key && have == c->mods;
}

static void number_format(const char *prefix, unsigned number, char *out, size_t outlen)
{
	if (prefix && *prefix)
		snprintf(out, outlen, "%s-%03u", prefix, number);
	else
		snprintf(out, outlen, "%03u", number);
}

/* --- offline rules ------------------------------------------------------------------ */

static void prefix_for(int i, char out[4])
{
	/* Unique, valid prefixes (A..Z, AA..ZZ, AAA..): the synthetic site needs them, and
	 * nobody sees them. */
	if (i < 26) {
		out[0] = (char)('A' + i);
		out[1] = '\0';
	} else if (i < 26 + 26 * 26) {
		i -= 26;
		out[0] = (char)('A' + i / 26);
		out[1] = (char)('A' + i % 26);
		out[2] = '\0';
	} else {
		i -= 26 + 26 * 26;
		out[0] = (char)('A' + (i / 676) % 26);
		out[1] = (char)('A' + (i / 26) % 26);
		out[2] = (char)('A' + i % 26);
		out[3] = '\0';
	}
}

/* An attraction as far as the offline check needs it: vqd's own prefix and graces when
 * its state carried them (v may be NULL: an attraction heard of only by name). */
static void add_attr(cJSON *arr, const char *id, const vq_attr_view *v, int i)
{
	char prefix[4];
	prefix_for(i, prefix);
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "id", id);
	cJSON_AddStringToObject(a, "prefix", v && v->has_rules ? v->prefix : prefix);
	if (v && v->has_rules) {
		cJSON_AddNumberToObject(a, "early_grace_min", v->early_grace_min);
		cJSON_AddNumberToObject(a, "late_grace_min", v->late_grace_min);
	}
	cJSON *names = cJSON_AddObjectToObject(a, "names");
	cJSON_AddStringToObject(names, "en", id);
	cJSON_AddNumberToObject(a, "throughput_per_hour", 1);
	cJSON_AddNumberToObject(a, "fast_share_pct", 100);
	cJSON_AddStringToObject(a, "open", "00:00");
	cJSON_AddStringToObject(a, "close", "24:00");
	cJSON_AddNumberToObject(a, "slot_min", 60);
	cJSON_AddNumberToObject(a, "window_min", 60);
	cJSON_AddNumberToObject(a, "max_party", VQ_MAX_PARTY);
	cJSON_AddItemToArray(arr, a);
}

int gate_rules_synth(const vq_sitestate *ss, const char *attraction, vq_site **out)
{
	const vq_site_view *sv = vq_sitestate_site(ss);
	if (!sv->known || sv->ntiers < 1 || !attraction || !*attraction)
		return VQ_EINVAL;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(root, "id", sv->site);
	cJSON_AddStringToObject(root, "name", sv->site);
	cJSON_AddStringToObject(root, "timezone", "UTC");
	cJSON *langs = cJSON_AddArrayToObject(root, "languages");
	cJSON_AddItemToArray(langs, cJSON_CreateString("en"));
	cJSON *tiers = cJSON_AddArrayToObject(root, "tiers");
	for (int t = 0; t < sv->ntiers; t++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", sv->tiers[t]);
		cJSON *names = cJSON_AddObjectToObject(o, "names");
		cJSON_AddStringToObject(names, "en", sv->tiers[t]);
		cJSON_AddNumberToObject(o, "max_passes", 1);
		cJSON_AddNumberToObject(o, "horizon_min", 1440);
		cJSON_AddNumberToObject(o, "late_grace_min", sv->tier_late_grace[t]);
		cJSON_AddItemToArray(tiers, o);
	}
	cJSON *attrs = cJSON_AddArrayToObject(root, "attractions");
	int n = 0, ours = 0;
	for (int i = 0; i < vq_sitestate_attr_count(ss); i++) {
		const vq_attr_view *a = vq_sitestate_attr(ss, i);
		if (!a || !a->id[0])
			continue;
		ours |= strcmp(a->id, attraction) == 0;
		add_attr(attrs, a->id, a, n++);
	}
	if (!ours)
		add_attr(attrs, attraction, NULL, n++);
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return VQ_ENOMEM;
	char err[160];
	int rc = vq_site_parse(text, strlen(text), out, err, sizeof err);
	free(text);
	return rc == VQ_OK ? VQ_OK : VQ_EINVAL;
}

/* --- the offline check -------------------------------------------------------------- */

int gate_offline_check(const gate_offline *c, const char *code, size_t len, int64_t now,
                       gate_verdict *out)
{
	memset(out, 0, sizeof *out);
	out->offline = 1;
	out->at = now;
	copy_str(out->code, sizeof out->code, code);
	int rc;
	if (len <= 4 || strncmp(code, "VQ1:", 4) != 0) {
		/* some other barcode: nothing to verify, whatever keys we hold */
		out->reason = GATE_R_NOT_OURS;
		return VQ_EMALFORMED;
	}
	if (!c->keys || c->keys->count == 0 || !c->rules) {
		out->reason = GATE_R_NO_KEYS;
		return VQ_EUNKNOWNKEY;
	}
	vq_claims cl;
	rc = len >= VQ_CODE_MAX ? VQ_EMALFORMED : vq_code_verify(code, len, c->keys, &cl);
	if (rc == VQ_OK && c->site_id && strcmp(cl.site, c->site_id) != 0)
		rc = VQ_EBADSIG; /* a genuine code of another site is not ours to honour */
	if (rc != VQ_OK) {
		out->reason = reason_from_err(rc == VQ_EINVAL ? VQ_EMALFORMED : rc);
		return rc;
	}

	/* What the code says, shown whatever the verdict. */
	out->ticket = cl.ticket_id;
	out->access = cl.kind == VQ_TK_ACCESS;
	out->party = cl.party;
	out->win_start = cl.win_start;
	out->win_end = cl.win_end;
	int ai = vq_site_attr_find(c->rules, cl.attr);
	const vq_attraction *a = ai >= 0 ? vq_site_attr(c->rules, ai) : NULL;
	const vq_tier *tier =
	    cl.tier < vq_site_tier_count(c->rules) ? vq_site_tier(c->rules, cl.tier) : NULL;
	if (tier)
		copy_str(out->tier, sizeof out->tier, tier->id);
	const char *prefix = NULL;
	if (c->exact && a)
		prefix = a->prefix;
	else if (c->prefix && *c->prefix && strcmp(cl.attr, c->attraction) == 0)
		prefix = c->prefix;
	number_format(prefix, cl.number, out->number, sizeof out->number);

	vq_ticket t;
	memset(&t, 0, sizeof t);
	t.id = cl.ticket_id;
	copy_str(t.attr, sizeof t.attr, cl.attr);
	t.slot_start = cl.win_start;
	t.win_start = cl.win_start;
	t.win_end = cl.win_end;
	t.tier = cl.tier;
	t.party = cl.party;
	t.number = cl.number;
	t.state = VQ_TS_ISSUED;

	/* A closure of this attraction that has ended made the tickets whose admission
	 * interval met it any-time passes (core/book.c, vq_book_reopen). */
	const vq_attr_view *st = c->state;
	if (a && tier && st && st->known && st->closed_at > 0 && st->reopened_at >= st->closed_at &&
	    strcmp(cl.attr, c->attraction) == 0) {
		int64_t from = cl.win_start - (int64_t)a->early_grace_min * 60;
		int64_t until =
		    cl.win_end + (int64_t)(a->late_grace_min + tier->late_grace_min) * 60;
		if (from < st->reopened_at && until > st->closed_at) {
			/* valid until closing, as vqd makes it; a day's length if vqd did not say
			 */
			t.state = VQ_TS_ANYTIME;
			t.valid_from = st->reopened_at;
			t.valid_until =
			    st->closes > 0
			        ? (st->closes > st->reopened_at ? st->closes : st->reopened_at)
			        : st->reopened_at + ANYTIME_S;
			out->anytime = 1;
		}
	}
	gate_used u;
	if (c->journal && gate_journal_find_used(c->journal, cl.ticket_id, &u)) {
		t.state = VQ_TS_REDEEMED;
		t.used_at = u.at;
		copy_str(t.used_gate, sizeof t.used_gate, u.gate);
	}

	vq_verdict vd;
	int closed = st && st->known && !st->open;
	rc = vq_admit_check(c->rules, &t, c->attraction, closed, now, &vd);
	out->from = vd.from;
	out->until = vd.until;
	if (rc == VQ_OK) {
		out->admit = 1;
		return VQ_OK;
	}
	out->reason = reason_from_err(rc);
	if (rc == VQ_EUSED) {
		out->used_at = vd.used_at;
		copy_str(out->used_gate, sizeof out->used_gate, vd.used_gate);
	} else if (rc == VQ_EWRONGATTR) {
		copy_str(out->ticket_attr, sizeof out->ticket_attr, cl.attr);
	} else if (out->reason == GATE_R_OTHER) {
		copy_str(out->error, sizeof out->error, vq_errname(rc));
	}
	return rc;
}

/* --- the gate ------------------------------------------------------------------------ */

int gate_new(const gate_opts *o, vq_sitestate *ss, gate_journal *j, const gate_io *io, gate **out)
{
	if (!o || !o->attraction || !*o->attraction || strlen(o->attraction) >= VQ_ID_MAX ||
	    !o->gate_id || !*o->gate_id || strlen(o->gate_id) >= VQ_ID_MAX || !o->i18n || !ss ||
	    !j || !io || !out || (o->lang && strlen(o->lang) >= VQ_LANG_MAX))
		return VQ_EINVAL;
	gate *g = calloc(1, sizeof *g);
	if (!g)
		return VQ_ENOMEM;
	copy_str(g->attraction, sizeof g->attraction, o->attraction);
	copy_str(g->gate_id, sizeof g->gate_id, o->gate_id);
	copy_str(g->lang, sizeof g->lang, o->lang ? o->lang : "en");
	g->i18n = o->i18n;
	g->config = o->config;
	g->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEF_TIMEOUT_MS;
	g->verdict_ms = o->verdict_ms > 0 ? o->verdict_ms : DEF_VERDICT_MS;
	g->probe_ms = o->probe_ms > 0 ? o->probe_ms : DEF_PROBE_MS;
	g->quit_combo = o->quit;
	g->w = o->width > 0 ? o->width : DEF_W;
	g->h = o->height > 0 ? o->height : DEF_H;
	g->ss = ss;
	g->j = j;
	g->io = *io;
	g->synth_stale = 1;
	g->off_since = -1;
	g->backoff = BACKOFF_MIN;
	g->minute = -1;
	if (g->config) {
		int ai = vq_site_attr_find(g->config, g->attraction);
		if (ai >= 0)
			copy_str(g->prefix, sizeof g->prefix, vq_site_attr(g->config, ai)->prefix);
	}
	/* Request ids must never repeat for this account (vqd answers a repeated one with its
	 * first answer), also across restarts: redeems carry a fresh random session. */
	unsigned char raw[4];
	if (sodium_init() < 0) {
		free(g);
		return VQ_ENOMEM;
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(g->session, sizeof g->session, raw, sizeof raw);
	g->v.screen = GATE_SCREEN_READY;
	g->v.mode = -1; /* so the first tick says which mode the gate starts in */
	copy_str(g->v.attraction, sizeof g->v.attraction, g->attraction);
	copy_str(g->v.gate_id, sizeof g->v.gate_id, g->gate_id);
	copy_str(g->v.lang, sizeof g->v.lang, g->lang);
	g->v.pending = gate_journal_pending(j);
	g->dirty = 1;
	*out = g;
	return VQ_OK;
}

void gate_free(gate *g)
{
	if (!g)
		return;
	vq_site_free(g->synth);
	free(g);
}

int gate_dirty(const gate *g)
{
	return g->dirty;
}

void gate_clean(gate *g)
{
	g->dirty = 0;
}

int gate_quit(const gate *g)
{
	return g->quit;
}

const gate_view *gate_view_get(const gate *g)
{
	return &g->v;
}

const vq_sitestate *gate_sitestate(const gate *g)
{
	return g->ss;
}

const char *gate_zone(const gate *g)
{
	const vq_site_view *sv = vq_sitestate_site(g->ss);
	if (sv->timezone[0])
		return sv->timezone;
	return g->config ? vq_site_timezone(g->config) : NULL;
}

const vq_i18n *gate_i18n(const gate *g)
{
	return g->i18n;
}

static int compute_mode(const gate *g, int64_t now)
{
	if (!g->v.connected)
		return GATE_OFF_BUS;
	if (!vq_sitestate_site(g->ss)->vqd_online)
		return GATE_OFF_PRESENCE;
	if (now < g->suspect_until)
		return GATE_OFF_TIMEOUT;
	return GATE_ONLINE;
}

static const vq_site *rules(gate *g)
{
	if (g->config)
		return g->config;
	if (g->synth_stale) {
		vq_site *s = NULL;
		if (gate_rules_synth(g->ss, g->attraction, &s) == VQ_OK) {
			vq_site_free(g->synth);
			g->synth = s;
			g->synth_stale = 0;
		}
	}
	return g->synth;
}

static void offline_ctx(gate *g, gate_offline *c)
{
	const vq_site_view *sv = vq_sitestate_site(g->ss);
	memset(c, 0, sizeof *c);
	c->keys = &sv->keys;
	c->site_id = sv->known ? sv->site : g->config ? vq_site_id(g->config) : NULL;
	c->rules = rules(g);
	c->attraction = g->attraction;
	c->state = vq_sitestate_find(g->ss, g->attraction);
	c->journal = g->j;
	c->prefix = g->prefix;
	c->exact = g->config != NULL || (c->state && c->state->has_rules);
}

static void journal_problem(gate *g)
{
	g->v.notice.kind = GATE_NOTICE_JOURNAL;
	trace(g, "journal error");
	cue(g, GATE_CUE_ALERT);
}

/* " at=10:05 window=10:00-10:30": the gate's clock and the ticket's window, in the site's
 * local time as the screen shows them, for the trace. */
static void local_times(const gate *g, const gate_verdict *v, int64_t now, char *out, size_t n)
{
	char at[VQ_TIME_HHMM_MAX], a[VQ_TIME_HHMM_MAX], b[VQ_TIME_HHMM_MAX];
	const char *zone = gate_zone(g);
	vq_time_hhmm(zone, now / 1000, at);
	vq_time_hhmm(zone, v->win_start, a);
	vq_time_hhmm(zone, v->win_end, b);
	snprintf(out, n, " at=%s window=%s-%s", at, a, b);
}

static void show_verdict(gate *g, const gate_verdict *v, int64_t now)
{
	char times[96];
	local_times(g, v, now, times, sizeof times);
	g->v.verdict = *v;
	g->v.screen = GATE_SCREEN_VERDICT;
	g->verdict_until = now + g->verdict_ms;
	g->dirty = 1;
	gate_counters *c = &g->v.counters;
	if (v->admit) {
		c->admitted++;
		c->offline += v->offline;
		c->overrides += v->override;
		trace(g, "verdict admit ticket=%llu number=%s offline=%d%s%s%s%s",
		      (unsigned long long)v->ticket, v->number[0] ? v->number : "-", v->offline,
		      v->override ? " override=1" : "", v->anytime ? " anytime=1" : "",
		      v->access ? " access=1" : "", times);
		cue(g, GATE_CUE_ADMIT);
		return;
	}
	c->refused++;
	c->by_reason[v->reason >= 0 && v->reason < GATE_R_COUNT ? v->reason : GATE_R_OTHER]++;
	char detail[160] = "";
	switch (v->reason) {
	case GATE_R_USED:
		snprintf(detail, sizeof detail, " gate=%s used_at=%lld",
		         v->used_gate[0] ? v->used_gate : "-", (long long)v->used_at);
		break;
	case GATE_R_WRONG_ATTR:
		snprintf(detail, sizeof detail, " attraction=%s", v->ticket_attr);
		break;
	case GATE_R_TOO_EARLY:
	case GATE_R_EXPIRED:
		snprintf(detail, sizeof detail, " from=%lld until=%lld", (long long)v->from,
		         (long long)v->until);
		break;
	case GATE_R_OTHER:
		snprintf(detail, sizeof detail, " error=%s", v->error[0] ? v->error : "-");
		break;
	default:
		break;
	}
	trace(g, "verdict refuse reason=%s%s ticket=%llu offline=%d%s", gate_reason_name(v->reason),
	      detail, (unsigned long long)v->ticket, v->offline, times);
	cue(g, GATE_CUE_REFUSE);
}

/* An admission the gate cannot remember is not made: a red verdict that tells staff why. */
static void cannot_record(gate *g, gate_verdict *v)
{
	v->admit = 0;
	v->override = 0;
	v->pending = 0;
	v->anytime = 0;
	v->reason = GATE_R_CANNOT_RECORD;
	journal_problem(g);
}

/* Decides a scan alone; returns the journal entry of the admission (0: refused). */
static int decide_offline(gate *g, const char *code, int64_t now)
{
	gate_offline c;
	gate_verdict v;
	offline_ctx(g, &c);
	int rc = gate_offline_check(&c, code, strlen(code), now / 1000, &v);
	int n = 0;
	if (rc == VQ_OK) {
		gate_jentry e;
		memset(&e, 0, sizeof e);
		e.kind = GATE_J_ADMIT;
		e.ticket = v.ticket;
		copy_str(e.code, sizeof e.code, code);
		copy_str(e.attraction, sizeof e.attraction, g->attraction);
		e.at = now / 1000;
		copy_str(e.number, sizeof e.number, v.number);
		e.party = v.party;
		copy_str(e.tier, sizeof e.tier, v.tier);
		if (gate_journal_add(g->j, &e, &n) != VQ_OK) {
			n = 0;
			cannot_record(g, &v);
		}
		g->v.pending = gate_journal_pending(g->j);
	}
	show_verdict(g, &v, now);
	return n;
}

static int send_json(gate *g, struct req *r, const char *svc, cJSON *body)
{
	char *s = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (!s)
		return VQ_ENOMEM;
	int rc = g->io.request ? g->io.request(g->io.ctx, svc, s, strlen(s), r->corr) : VQ_EBUS;
	free(s);
	return rc;
}

static void to_late(gate *g, struct req *r)
{
	g->late[g->late_next] = *r;
	g->late_next = (g->late_next + 1) % LATE_MAX;
	r->kind = REQ_NONE;
}

static void start_scan(gate *g, const char *code, int64_t now)
{
	copy_str(g->last_code, sizeof g->last_code, code);
	g->last_scan_ms = now;
	if (compute_mode(g, now) == GATE_ONLINE) {
		struct req r;
		memset(&r, 0, sizeof r);
		r.kind = REQ_REDEEM;
		snprintf(r.rid, sizeof r.rid, "r-%s-%u", g->session, ++g->rid_seq);
		copy_str(r.code, sizeof r.code, code);
		r.sent_ms = now;
		cJSON *b = cJSON_CreateObject();
		cJSON_AddNumberToObject(b, "v", 1);
		cJSON_AddStringToObject(b, "rid", r.rid);
		cJSON_AddStringToObject(b, "code", code);
		cJSON_AddStringToObject(b, "attraction", g->attraction);
		if (send_json(g, &r, "svc/redeem", b) == VQ_OK) {
			g->redeem = r;
			g->v.screen = GATE_SCREEN_CHECKING;
			g->dirty = 1;
			return;
		}
		/* the bus refused it: we are not connected after all */
	}
	decide_offline(g, code, now);
}

static void on_code(gate *g, const char *text, int64_t now)
{
	char code[VQ_INPUT_TEXT_MAX];
	gate_code_normalize(text, code, sizeof code);
	if (!code[0])
		return;
	if (strcmp(code, g->last_code) == 0 && now - g->last_scan_ms < DEBOUNCE_MS) {
		g->last_scan_ms = now; /* a scanner reading the same code again: not a guest */
		return;
	}
	if (!gate_code_is_ours(code) || strlen(code) >= VQ_CODE_MAX) {
		/* cannot be a ticket code; vqd would only say so */
		gate_verdict v;
		memset(&v, 0, sizeof v);
		v.reason = gate_code_is_ours(code) ? GATE_R_FORGED : GATE_R_NOT_OURS;
		copy_str(v.code, sizeof v.code, code);
		v.at = now / 1000;
		v.offline = compute_mode(g, now) != GATE_ONLINE;
		copy_str(g->last_code, sizeof g->last_code, code);
		g->last_scan_ms = now;
		show_verdict(g, &v, now);
		return;
	}
	if (g->redeem.kind) {
		if (g->nqueue < QUEUE_MAX)
			copy_str(g->queue[g->nqueue++], VQ_CODE_MAX, code);
		return;
	}
	start_scan(g, code, now);
}

/* --- accessibility return passes ------------------------------------------------------ */

static const char *jstr(const cJSON *o, const char *k);
static int64_t jint(const cJSON *o, const char *k);

static void open_access(gate *g)
{
	g->v.entry[0] = '\0';
	g->v.acc_party = 1;
	g->v.acc_error[0] = '\0';
	g->v.acc_held[0] = '\0';
	g->v.screen = GATE_SCREEN_ACCESS;
	g->dirty = 1;
}

/* Asks vqd for a pass for the card typed or scanned. A retry of the same card and party
 * (after a timeout) keeps its request id, so vqd answers it with the first pass. */
static void do_access(gate *g, int64_t now)
{
	char card[VQ_INPUT_TEXT_MAX];
	const char *p = g->v.entry;
	while (*p == ' ')
		p++;
	copy_str(card, sizeof card, p);
	for (size_t n = strlen(card); n > 0 && card[n - 1] == ' '; n--)
		card[n - 1] = '\0';
	if (!card[0] || g->acc.kind)
		return;
	g->v.acc_error[0] = '\0';
	g->v.acc_held[0] = '\0';
	g->dirty = 1;
	if (compute_mode(g, now) != GATE_ONLINE) {
		copy_str(g->v.acc_error, sizeof g->v.acc_error, "offline");
		trace(g, "access refused error=offline");
		return;
	}
	char asked[sizeof g->acc_asked];
	snprintf(asked, sizeof asked, "%s/%d", card, g->v.acc_party);
	if (strcmp(asked, g->acc_asked) != 0) {
		copy_str(g->acc_asked, sizeof g->acc_asked, asked);
		snprintf(g->acc_rid, sizeof g->acc_rid, "a-%s-%u", g->session, ++g->rid_seq);
	}
	struct req r;
	memset(&r, 0, sizeof r);
	r.kind = REQ_ACCESS;
	copy_str(r.rid, sizeof r.rid, g->acc_rid);
	r.sent_ms = now;
	cJSON *b = cJSON_CreateObject();
	cJSON_AddNumberToObject(b, "v", 1);
	cJSON_AddStringToObject(b, "rid", r.rid);
	cJSON_AddStringToObject(b, "card", card);
	cJSON_AddStringToObject(b, "attraction", g->attraction);
	cJSON_AddNumberToObject(b, "party", g->v.acc_party);
	if (send_json(g, &r, "svc/access", b) != VQ_OK) {
		copy_str(g->v.acc_error, sizeof g->v.acc_error, "offline");
		trace(g, "access refused error=offline");
		return;
	}
	g->acc = r;
	g->v.acc_busy = 1;
	trace(g, "access sent rid=%s party=%d", r.rid, g->v.acc_party);
}

static void access_reply(gate *g, const cJSON *root)
{
	g->v.acc_busy = 0;
	g->dirty = 1;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "ticket");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok")) && cJSON_IsObject(t)) {
		gate_pass *p = &g->v.pass;
		memset(p, 0, sizeof *p);
		p->ticket = (uint64_t)jint(t, "id");
		copy_str(p->number, sizeof p->number, jstr(t, "number"));
		copy_str(p->attraction, sizeof p->attraction, jstr(t, "attraction"));
		p->party = (int)jint(t, "party");
		p->start = jint(t, "start");
		p->end = jint(t, "end");
		copy_str(p->code, sizeof p->code, jstr(t, "code"));
		/* the guest's card is not kept once the pass is out */
		sodium_memzero(g->v.entry, sizeof g->v.entry);
		g->acc_asked[0] = '\0';
		g->v.screen = GATE_SCREEN_PASS;
		trace(g, "access issued ticket=%llu number=%s start=%lld end=%lld party=%d code=%s",
		      (unsigned long long)p->ticket, p->number, (long long)p->start,
		      (long long)p->end, p->party, p->code);
		cue(g, GATE_CUE_ADMIT);
		return;
	}
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const char *code = jstr(e, "code");
	copy_str(g->v.acc_error, sizeof g->v.acc_error, code ? code : "bad_reply");
	const cJSON *held = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "held"), 0);
	copy_str(g->v.acc_held, sizeof g->v.acc_held, jstr(held, "number"));
	trace(g, "access refused error=%s", g->v.acc_error);
	cue(g, GATE_CUE_REFUSE);
}

/* --- overrides ----------------------------------------------------------------------- */

static void open_override(gate *g)
{
	const gate_verdict *v = &g->v.verdict;
	int refused = g->v.screen == GATE_SCREEN_VERDICT && !v->admit && !v->override;
	/* another barcode is no ticket to mark used: the override is logged without one */
	int ours = refused && gate_code_is_ours(v->code);
	copy_str(g->v.ov_code, sizeof g->v.ov_code, ours ? v->code : "");
	copy_str(g->v.ov_number, sizeof g->v.ov_number, refused ? v->number : "");
	g->v.entry[0] = '\0';
	g->v.screen = GATE_SCREEN_OVERRIDE;
	g->dirty = 1;
}

/* Cuts s to at most max bytes without splitting a UTF-8 character. */
static void utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	s[n] = '\0';
}

static void do_override(gate *g, const char *reason_in, int64_t now)
{
	char reason[GATE_REASON_MAX];
	const char *p = reason_in;
	while (*p == ' ')
		p++;
	copy_str(reason, sizeof reason, p);
	utf8_cut(reason, GATE_REASON_MAX - 1);
	for (size_t n = strlen(reason); n > 0 && reason[n - 1] == ' '; n--)
		reason[n - 1] = '\0';
	if (!reason[0])
		return;
	int offline = compute_mode(g, now) != GATE_ONLINE;
	gate_verdict v;
	memset(&v, 0, sizeof v);
	if (g->v.ov_code[0]) {
		/* what the code says (number, party), even if vqd would refuse it */
		gate_offline c;
		offline_ctx(g, &c);
		c.journal = NULL;
		gate_offline_check(&c, g->v.ov_code, strlen(g->v.ov_code), now / 1000, &v);
		copy_str(v.code, sizeof v.code, g->v.ov_code);
	}
	v.admit = 1;
	v.override = 1;
	v.pending = 1;
	v.offline = offline;
	v.reason = GATE_R_NONE;
	v.at = now / 1000;
	v.anytime = 0;

	gate_jentry e;
	memset(&e, 0, sizeof e);
	e.kind = GATE_J_OVERRIDE;
	e.ticket = v.ticket;
	copy_str(e.code, sizeof e.code, g->v.ov_code);
	copy_str(e.attraction, sizeof e.attraction, g->attraction);
	e.at = now / 1000;
	copy_str(e.number, sizeof e.number, v.number);
	e.party = v.party;
	copy_str(e.tier, sizeof e.tier, v.tier);
	copy_str(e.reason, sizeof e.reason, reason);
	int n = 0;
	if (gate_journal_add(g->j, &e, &n) != VQ_OK) {
		/* vqd would never hear of it: staff must know it did not happen */
		cannot_record(g, &v);
		g->v.entry[0] = '\0';
		g->v.ov_code[0] = '\0';
		trace(g, "override reason=\"%s\" not recorded", reason);
		show_verdict(g, &v, now);
		return;
	}
	if (v.ticket && gate_journal_mark_used(g->j, v.ticket, e.at, g->gate_id, offline) != VQ_OK)
		journal_problem(g);
	g->v.pending = gate_journal_pending(g->j);
	g->shown_override = n;
	g->v.entry[0] = '\0';
	g->v.ov_code[0] = '\0';
	g->work_next = now;
	trace(g, "override reason=\"%s\"", reason);
	show_verdict(g, &v, now);
}

/* --- replies ------------------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An integer as written, range-checked before any cast; 0 if there is none. */
static int64_t jint(const cJSON *o, const char *k)
{
	int64_t v;
	return vq_json_int(cJSON_GetObjectItemCaseSensitive(o, k), INT64_MIN, INT64_MAX, &v) ==
	               VQ_OK
	           ? v
	           : 0;
}

/* The strict parse of what the broker brings (core/json.h); NULL if it is not. */
static cJSON *parse(const vq_bus_msg *m)
{
	cJSON *j = NULL;
	return vq_json_parse(m->payload, m->len, VQ_JSON_TEXT, &j, NULL) == VQ_OK ? j : NULL;
}

static void learn_prefix(gate *g, const cJSON *ticket)
{
	const char *num = jstr(ticket, "number"), *attr = jstr(ticket, "attraction");
	if (g->config || !num || !attr || strcmp(attr, g->attraction) != 0)
		return;
	const char *dash = strchr(num, '-');
	if (!dash || dash == num || dash - num > 3)
		return;
	memcpy(g->prefix, num, (size_t)(dash - num));
	g->prefix[dash - num] = '\0';
}

static void verdict_from_ticket(gate_verdict *v, const cJSON *t)
{
	if (!cJSON_IsObject(t))
		return;
	v->ticket = (uint64_t)jint(t, "id");
	copy_str(v->number, sizeof v->number, jstr(t, "number"));
	v->party = (int)jint(t, "party");
	copy_str(v->tier, sizeof v->tier, jstr(t, "tier"));
	v->win_start = jint(t, "start");
	v->win_end = jint(t, "end");
	const char *kind = jstr(t, "kind");
	v->access = kind && strcmp(kind, "access") == 0;
}

/* vqd could not be asked after all (timeout, or it could not commit): decide alone. */
static void redeem_failed(gate *g, struct req *r, int64_t now, const char *why)
{
	g->suspect_until = now + g->probe_ms;
	trace(g, "redeem %s: deciding offline", why);
	r->n = decide_offline(g, r->code, now);
}

/* A refusal after which the same request goes again: nothing was recorded (storage), vqd
 * has no book of today to decide with (day_unavailable), or vqd did not read it
 * (rate_limited); no code at all is a reply we cannot read. */
static int try_again(const char *code)
{
	return !code || strcmp(code, "storage") == 0 || strcmp(code, "day_unavailable") == 0 ||
	       strcmp(code, "rate_limited") == 0;
}

/* When to send again: after the backoff, and not before vqd's retry_after_ms. */
static int64_t again_at(const gate *g, const cJSON *root, int64_t now)
{
	int64_t after = jint(cJSON_GetObjectItemCaseSensitive(root, "error"), "retry_after_ms");
	return now + (after > g->backoff ? after : g->backoff);
}

static void redeem_reply(gate *g, struct req *r, const cJSON *root, int64_t now)
{
	gate_verdict v;
	memset(&v, 0, sizeof v);
	copy_str(v.code, sizeof v.code, r->code);
	v.at = now / 1000;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "ticket");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok")) &&
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "admit"))) {
		v.admit = 1;
		verdict_from_ticket(&v, t);
		learn_prefix(g, t);
		/* vqd's reply does not say "any time"; the code and the closure do */
		gate_offline c;
		gate_verdict lv;
		offline_ctx(g, &c);
		c.journal = NULL;
		gate_offline_check(&c, r->code, strlen(r->code), now / 1000, &lv);
		v.anytime = lv.anytime;
		if (v.ticket &&
		    gate_journal_mark_used(g->j, v.ticket, v.at, g->gate_id, 0) != VQ_OK)
			journal_problem(g);
		show_verdict(g, &v, now);
		return;
	}
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const char *code = jstr(e, "code");
	if (code && try_again(code)) {
		redeem_failed(g, r, now, code);
		return;
	}
	v.reason = gate_reason_from_wire(code);
	v.from = jint(e, "from");
	v.until = jint(e, "until");
	v.used_at = jint(e, "used_at");
	copy_str(v.used_gate, sizeof v.used_gate, jstr(e, "used_gate"));
	copy_str(v.ticket_attr, sizeof v.ticket_attr, jstr(e, "ticket_attraction"));
	copy_str(v.error, sizeof v.error, code ? code : "bad_reply");
	/* the number and party help staff talk to the guest: take them from the code */
	gate_offline c;
	gate_verdict lv;
	offline_ctx(g, &c);
	c.journal = NULL;
	if (v.reason != GATE_R_FORGED && v.reason != GATE_R_UNKNOWN_KEY &&
	    gate_offline_check(&c, r->code, strlen(r->code), now / 1000, &lv) != VQ_EBADSIG &&
	    lv.ticket) {
		v.ticket = lv.ticket;
		v.access = lv.access;
		copy_str(v.number, sizeof v.number, lv.number);
		v.party = lv.party;
		copy_str(v.tier, sizeof v.tier, lv.tier);
		v.win_start = lv.win_start;
		v.win_end = lv.win_end;
	}
	if (v.reason == GATE_R_USED && v.ticket)
		gate_journal_mark_used(g->j, v.ticket, v.used_at, v.used_gate, 0);
	show_verdict(g, &v, now);
}

/* A reply to a redeem we had given up on and decided offline. */
static void redeem_late(gate *g, const struct req *r, const cJSON *root)
{
	if (!r->n || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "admit")))
		return; /* a refusal: the sync will tell what vqd makes of our admission */
	/* vqd recorded it online: the offline admission must not be synced as a second use */
	gate_jresult res;
	memset(&res, 0, sizeof res);
	res.ok = 1;
	if (gate_journal_results(g->j, &r->n, &res, 1) != VQ_OK)
		journal_problem(g);
	g->v.pending = gate_journal_pending(g->j);
	trace(g, "redeem late admit ticket=%llu: offline admission settled",
	      (unsigned long long)jint(cJSON_GetObjectItemCaseSensitive(root, "ticket"), "id"));
}

static int batch_of(const gate *g, const char *rid, int *ns)
{
	int count = 0;
	for (int n = 1; n <= gate_journal_count(g->j) && count < GATE_SYNC_MAX; n++) {
		const gate_jentry *e = gate_journal_entry(g->j, n);
		if (e->kind == GATE_J_ADMIT && strcmp(e->rid, rid) == 0)
			ns[count++] = n;
	}
	return count;
}

static void conflict_notice(gate *g, uint64_t ticket, const char *number, const char *other,
                            int64_t other_at)
{
	gate_notice *nt = &g->v.notice;
	nt->kind = GATE_NOTICE_CONFLICT;
	nt->ticket = ticket;
	copy_str(nt->number, sizeof nt->number, number);
	copy_str(nt->other_gate, sizeof nt->other_gate, other);
	nt->other_at = other_at;
	nt->error[0] = '\0';
	g->v.counters.conflicts++;
	cue(g, GATE_CUE_ALERT);
	g->dirty = 1;
}

static void sync_reply(gate *g, const struct req *r, const cJSON *root, int64_t now)
{
	int ns[GATE_SYNC_MAX];
	gate_jresult rs[GATE_SYNC_MAX];
	int count = batch_of(g, r->rid, ns);
	int was_done[GATE_SYNC_MAX];
	memset(rs, 0, sizeof rs);
	for (int i = 0; i < count; i++)
		was_done[i] = gate_journal_entry(g->j, ns[i])->state == GATE_J_DONE;

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok"))) {
		const char *code = jstr(cJSON_GetObjectItemCaseSensitive(root, "error"), "code");
		if (try_again(code)) {
			/* nothing was recorded: the same rid goes again */
			g->work_next = again_at(g, root, now);
			trace(g, "sync retry rid=%s error=%s", r->rid, code ? code : "bad_reply");
			return;
		}
		for (int i = 0; i < count; i++)
			copy_str(rs[i].error, sizeof rs[i].error, code);
		trace(g, "sync failed rid=%s error=%s", r->rid, code);
	} else {
		const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
		for (int i = 0; i < count; i++) {
			const cJSON *it =
			    cJSON_IsArray(results) ? cJSON_GetArrayItem(results, i) : NULL;
			if (!cJSON_IsObject(it)) {
				copy_str(rs[i].error, sizeof rs[i].error, "no_result");
				continue;
			}
			rs[i].ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "ok"));
			copy_str(rs[i].error, sizeof rs[i].error, jstr(it, "error"));
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "conflict"))) {
				const char *first = jstr(it, "used_gate");
				if (first && strcmp(first, g->gate_id) == 0) {
					/* our own redeem got there after all: one use, not two */
					rs[i].ok = 1;
					rs[i].error[0] = '\0';
					continue;
				}
				rs[i].conflict = 1;
				copy_str(rs[i].first_gate, sizeof rs[i].first_gate, first);
				rs[i].first_at = jint(it, "used_at");
			}
		}
	}
	if (gate_journal_results(g->j, ns, rs, count) != VQ_OK)
		journal_problem(g);
	for (int i = 0; i < count; i++) {
		if (was_done[i])
			continue;
		const gate_jentry *e = gate_journal_entry(g->j, ns[i]);
		if (rs[i].ok) {
			trace(g, "sync ok ticket=%llu", (unsigned long long)e->ticket);
		} else if (rs[i].conflict) {
			trace(g, "sync conflict ticket=%llu first_gate=%s first_at=%lld",
			      (unsigned long long)e->ticket, rs[i].first_gate,
			      (long long)rs[i].first_at);
			conflict_notice(g, e->ticket, e->number, rs[i].first_gate, rs[i].first_at);
		} else {
			trace(g, "sync refused ticket=%llu reason=%s",
			      (unsigned long long)e->ticket, rs[i].error);
			gate_notice *nt = &g->v.notice;
			if (nt->kind != GATE_NOTICE_CONFLICT) {
				nt->kind = GATE_NOTICE_SYNC_REFUSED;
				nt->ticket = e->ticket;
				copy_str(nt->number, sizeof nt->number, e->number);
				copy_str(nt->error, sizeof nt->error, rs[i].error);
			}
			g->v.counters.sync_refused++;
			cue(g, GATE_CUE_ALERT);
		}
	}
	g->backoff = BACKOFF_MIN;
	g->work_next = now;
	g->v.pending = gate_journal_pending(g->j);
	g->dirty = 1;
}

static void override_reply(gate *g, const struct req *r, const cJSON *root, int64_t now)
{
	const gate_jentry *e = gate_journal_entry(g->j, r->n);
	if (!e || e->state == GATE_J_DONE)
		return;
	gate_jresult res;
	memset(&res, 0, sizeof res);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "ticket");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok"))) {
		res.ok = 1;
		copy_str(res.error, sizeof res.error, jstr(root, "ticket_state"));
		trace(g, "override recorded ticket=%llu%s%s",
		      (unsigned long long)(cJSON_IsObject(t) ? (uint64_t)jint(t, "id") : e->ticket),
		      res.error[0] ? " ticket_state=" : "", res.error);
	} else {
		const char *code = jstr(cJSON_GetObjectItemCaseSensitive(root, "error"), "code");
		if (try_again(code)) {
			g->work_next = again_at(g, root, now);
			return;
		}
		copy_str(res.error, sizeof res.error, code);
		trace(g, "override failed error=%s", code);
	}
	if (gate_journal_results(g->j, &r->n, &res, 1) != VQ_OK)
		journal_problem(g);
	if (g->shown_override == r->n && g->v.screen == GATE_SCREEN_VERDICT &&
	    g->v.verdict.override) {
		g->v.verdict.pending = 0;
		if (cJSON_IsObject(t)) {
			verdict_from_ticket(&g->v.verdict, t);
			learn_prefix(g, t);
		}
		g->dirty = 1;
	}
	g->backoff = BACKOFF_MIN;
	g->work_next = now;
	g->v.pending = gate_journal_pending(g->j);
}

static void on_reply(gate *g, const vq_bus_msg *m, int64_t now)
{
	struct req *r = NULL;
	int late = 0;
	struct req *live[] = {&g->redeem, &g->sync, &g->ovr, &g->acc};
	for (size_t i = 0; i < 4 && !r; i++)
		if (live[i]->kind && vq_bus_msg_corr_is(m, live[i]->corr))
			r = live[i];
	for (int i = 0; i < LATE_MAX && !r; i++)
		if (g->late[i].kind && vq_bus_msg_corr_is(m, g->late[i].corr)) {
			r = &g->late[i];
			late = 1;
		}
	if (!r)
		return;
	struct req copy = *r;
	r->kind = REQ_NONE;
	g->suspect_until = 0; /* vqd answers */
	cJSON *root = parse(m);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		root = cJSON_CreateObject(); /* an answer we cannot read: handled as a failure */
	}
	switch (copy.kind) {
	case REQ_REDEEM:
		if (late)
			redeem_late(g, &copy, root);
		else
			redeem_reply(g, &copy, root, now);
		break;
	case REQ_SYNC:
		sync_reply(g, &copy, root, now);
		break;
	case REQ_OVERRIDE:
		override_reply(g, &copy, root, now);
		break;
	case REQ_ACCESS:
		if (!late)
			access_reply(g, root);
		break;
	default:
		break;
	}
	cJSON_Delete(root);
}

static void on_conflict_event(gate *g, const vq_bus_msg *m)
{
	cJSON *o = parse(m);
	const char *first = jstr(o, "first_gate"), *other = jstr(o, "gate"),
	           *attr = jstr(o, "attraction");
	/* The gate that synced second hears of it in its reply; the first one hears it here. */
	if (first && other && attr && strcmp(first, g->gate_id) == 0 &&
	    strcmp(other, g->gate_id) != 0 && strcmp(attr, g->attraction) == 0) {
		uint64_t ticket = (uint64_t)jint(o, "ticket");
		char number[GATE_NUMBER_MAX] = "";
		for (int n = 1; n <= gate_journal_count(g->j); n++) {
			const gate_jentry *e = gate_journal_entry(g->j, n);
			if (e->ticket == ticket && e->number[0])
				copy_str(number, sizeof number, e->number);
		}
		trace(g, "conflict ticket=%llu gate=%s first_gate=%s", (unsigned long long)ticket,
		      other, first);
		conflict_notice(g, ticket, number, other, jint(o, "at"));
	}
	cJSON_Delete(o);
}

void gate_on_msg(gate *g, const vq_bus_msg *m, int64_t now_ms)
{
	if (m->kind == VQ_BUS_CONNECTED || m->kind == VQ_BUS_DISCONNECTED) {
		g->v.connected = m->kind == VQ_BUS_CONNECTED;
		g->off_since = g->v.connected ? -1 : now_ms;
		vq_sitestate_feed(g->ss, m, now_ms);
		g->dirty = 1;
		return;
	}
	if (strncmp(m->suffix, "reply/", 6) == 0) {
		on_reply(g, m, now_ms);
		return;
	}
	if (strcmp(m->suffix, "events/conflict") == 0) {
		on_conflict_event(g, m);
		return;
	}
	if (strcmp(m->suffix, "presence/vqd") == 0)
		g->presence_heard = 1;
	int changed = vq_sitestate_feed(g->ss, m, now_ms);
	if (changed == 1 && strncmp(m->suffix, "state/", 6) == 0)
		g->synth_stale = 1; /* an attraction's prefix and graces come with its state */
	if (changed == 1 && strcmp(m->suffix, "state/_site") == 0) {
		if (g->io.site_changed)
			g->io.site_changed(g->io.ctx);
		if (!g->clock_told) {
			char hm[VQ_TIME_HHMM_MAX];
			vq_time_hhmm(gate_zone(g), now_ms / 1000, hm);
			trace(g, "clock %s zone=%s", hm, gate_zone(g) ? gate_zone(g) : "-");
			g->clock_told = 1;
		}
		/* offline verdicts go by this gate's clock: staff must see when it is off */
		int64_t skew = 0;
		int min =
		    vq_sitestate_clock_skew(g->ss, &skew) && llabs(skew) > VQ_CLOCK_SKEW_MAX_MS
		        ? (int)(-skew / 60000)
		        : 0;
		if (min != g->v.clock_skew_min) {
			g->v.clock_skew_min = min;
			trace(g, "clock skew_min=%d", min);
		}
	}
	if (changed == 1)
		g->dirty = 1;
}

/* --- sending what the journal holds ------------------------------------------------- */

static void backoff_more(gate *g)
{
	g->backoff = g->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : g->backoff * 2;
}

static void send_sync(gate *g, int64_t now)
{
	int ns[GATE_SYNC_MAX], count = 0;
	char rid[GATE_RID_MAX] = "";
	/* A batch sent before without an answer goes first, whole and with its rid, so vqd
	 * answers it from its first answer if it did get it. */
	for (int n = 1; n <= gate_journal_count(g->j); n++) {
		const gate_jentry *e = gate_journal_entry(g->j, n);
		if (e->kind == GATE_J_ADMIT && e->state == GATE_J_SENT) {
			copy_str(rid, sizeof rid, e->rid);
			break;
		}
	}
	if (rid[0]) {
		count = batch_of(g, rid, ns);
	} else {
		for (int n = 1; n <= gate_journal_count(g->j) && count < GATE_SYNC_MAX; n++) {
			const gate_jentry *e = gate_journal_entry(g->j, n);
			if (e->kind == GATE_J_ADMIT && e->state == GATE_J_PENDING)
				ns[count++] = n;
		}
		if (!count)
			return;
		int jr = gate_journal_batch(g->j, ns, count, rid);
		if (jr != VQ_OK) {
			/* not on disk, so not sent: a rid the journal forgets could be reused
			 * for other admissions after a restart */
			if (jr == VQ_ESTORE)
				journal_problem(g);
			g->work_next = now + g->backoff;
			backoff_more(g);
			return;
		}
	}
	struct req r;
	memset(&r, 0, sizeof r);
	r.kind = REQ_SYNC;
	copy_str(r.rid, sizeof r.rid, rid);
	r.sent_ms = now;
	cJSON *b = cJSON_CreateObject();
	cJSON_AddNumberToObject(b, "v", 1);
	cJSON_AddStringToObject(b, "rid", rid);
	cJSON *arr = cJSON_AddArrayToObject(b, "admissions");
	for (int i = 0; i < count; i++) {
		const gate_jentry *e = gate_journal_entry(g->j, ns[i]);
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "code", e->code);
		cJSON_AddStringToObject(a, "attraction", e->attraction);
		cJSON_AddNumberToObject(a, "at", (double)e->at);
		cJSON_AddItemToArray(arr, a);
	}
	if (send_json(g, &r, "svc/sync", b) != VQ_OK) {
		g->work_next = now + g->backoff;
		return;
	}
	trace(g, "sync sent rid=%s admissions=%d", rid, count);
	g->sync = r;
}

static void send_override(gate *g, int64_t now)
{
	const gate_jentry *e = NULL;
	for (int n = 1; n <= gate_journal_count(g->j) && !e; n++) {
		const gate_jentry *x = gate_journal_entry(g->j, n);
		if (x->kind == GATE_J_OVERRIDE && x->state != GATE_J_DONE)
			e = x;
	}
	if (!e)
		return;
	struct req r;
	memset(&r, 0, sizeof r);
	r.kind = REQ_OVERRIDE;
	r.n = e->n;
	copy_str(r.rid, sizeof r.rid, e->rid);
	r.sent_ms = now;
	cJSON *b = cJSON_CreateObject();
	cJSON_AddNumberToObject(b, "v", 1);
	cJSON_AddStringToObject(b, "rid", e->rid);
	cJSON_AddStringToObject(b, "attraction", e->attraction);
	cJSON_AddStringToObject(b, "reason", e->reason);
	if (e->code[0])
		cJSON_AddStringToObject(b, "code", e->code);
	if (send_json(g, &r, "svc/override", b) != VQ_OK) {
		g->work_next = now + g->backoff;
		return;
	}
	g->ovr = r;
}

static int has_work(const gate *g, int kind)
{
	for (int n = 1; n <= gate_journal_count(g->j); n++) {
		const gate_jentry *e = gate_journal_entry(g->j, n);
		if (e->kind == kind && e->state != GATE_J_DONE)
			return 1;
	}
	return 0;
}

void gate_tick(gate *g, int64_t now)
{
	g->v.now_ms = now;
	const vq_site_view *sv = vq_sitestate_site(g->ss);
	int heard = g->v.connected && sv->known && g->presence_heard;
	int keys = sv->keys.count > 0;
	if (!g->v.connected && g->off_since < 0)
		g->off_since = now;
	int unreachable =
	    !g->v.connected && !keys && now - g->off_since >= (int64_t)GATE_UNREACHABLE_MS;
	if (heard != g->v.heard || keys != g->v.have_keys || unreachable != g->v.unreachable) {
		g->v.heard = heard;
		g->v.have_keys = keys;
		g->v.unreachable = unreachable;
		g->dirty = 1;
	}

	/* a redeem without its answer in time: vqd is unreachable for now */
	if (g->redeem.kind && now - g->redeem.sent_ms >= g->timeout_ms) {
		struct req r = g->redeem;
		g->redeem.kind = REQ_NONE;
		redeem_failed(g, &r, now, "timeout");
		to_late(g, &r);
	}
	/* a pass not answered in time: staff may ask again (the same rid) */
	if (g->acc.kind && now - g->acc.sent_ms >= g->timeout_ms) {
		trace(g, "access rid=%s: no answer", g->acc.rid);
		g->acc.kind = REQ_NONE;
		g->v.acc_busy = 0;
		copy_str(g->v.acc_error, sizeof g->v.acc_error, "timeout");
		g->suspect_until = now + g->probe_ms;
		g->dirty = 1;
	}
	int sync_timeout = g->timeout_ms > SYNC_TIMEOUT ? g->timeout_ms : SYNC_TIMEOUT;
	struct req *slow[] = {&g->sync, &g->ovr};
	for (size_t i = 0; i < 2; i++) {
		if (slow[i]->kind && now - slow[i]->sent_ms >= sync_timeout) {
			trace(g, "%s rid=%s: no answer",
			      slow[i]->kind == REQ_SYNC ? "sync" : "override", slow[i]->rid);
			to_late(g, slow[i]);
			g->suspect_until = now + g->probe_ms;
			g->work_next = now + g->backoff;
			backoff_more(g);
		}
	}

	int mode = compute_mode(g, now);
	if (mode != g->v.mode) {
		static const char *const why[] = {"", "bus", "presence", "timeout"};
		if (mode == GATE_ONLINE)
			trace(g, "mode online");
		else
			trace(g, "mode offline reason=%s", why[mode]);
		g->v.mode = mode;
		g->dirty = 1;
	}

	if (g->v.screen == GATE_SCREEN_VERDICT && now >= g->verdict_until) {
		g->v.screen = GATE_SCREEN_READY;
		g->shown_override = 0;
		g->dirty = 1;
	}
	if (now / 60000 != g->minute) {
		g->minute = now / 60000;
		g->dirty = 1;
	}

	while (!g->redeem.kind && g->nqueue > 0) {
		char code[VQ_CODE_MAX];
		copy_str(code, sizeof code, g->queue[0]);
		g->nqueue--;
		memmove(g->queue[0], g->queue[1], (size_t)g->nqueue * sizeof g->queue[0]);
		start_scan(g, code, now);
	}

	if (mode == GATE_ONLINE && now >= g->work_next && gate_journal_pending(g->j) > 0) {
		if (!g->sync.kind && has_work(g, GATE_J_ADMIT))
			send_sync(g, now);
		if (!g->ovr.kind && has_work(g, GATE_J_OVERRIDE))
			send_override(g, now);
	}
	int pending = gate_journal_pending(g->j);
	if (pending != g->v.pending) {
		g->v.pending = pending;
		g->dirty = 1;
	}
}

int gate_busy(const gate *g, int64_t now)
{
	if (g->redeem.kind || g->sync.kind || g->ovr.kind || g->acc.kind || g->nqueue)
		return 1;
	return compute_mode(g, now) == GATE_ONLINE && now >= g->work_next &&
	       gate_journal_pending(g->j) > 0;
}

int gate_wait_ms(const gate *g, int64_t now, int max_ms)
{
	int64_t next = now + max_ms;
	int sync_timeout = g->timeout_ms > SYNC_TIMEOUT ? g->timeout_ms : SYNC_TIMEOUT;
#define SOONER(t)                                                                                  \
	do {                                                                                       \
		if ((t) < next)                                                                    \
			next = (t);                                                                \
	} while (0)
	if (g->redeem.kind)
		SOONER(g->redeem.sent_ms + g->timeout_ms);
	if (g->sync.kind)
		SOONER(g->sync.sent_ms + sync_timeout);
	if (g->ovr.kind)
		SOONER(g->ovr.sent_ms + sync_timeout);
	if (g->acc.kind)
		SOONER(g->acc.sent_ms + g->timeout_ms);
	if (g->v.screen == GATE_SCREEN_VERDICT)
		SOONER(g->verdict_until);
	if (g->suspect_until > now)
		SOONER(g->suspect_until);
	if (gate_journal_pending(g->j) > 0 && g->work_next > now)
		SOONER(g->work_next);
	SOONER((now / 60000 + 1) * 60000);
#undef SOONER
	return next <= now ? 0 : (int)(next - now);
}

/* --- input --------------------------------------------------------------------------- */

void gate_layout_get(const gate *g, gate_layout *out)
{
	int w = g->w, h = g->h, pad = w / 50;
	out->header = (vq_rect){0, 0, w, h * 11 / 100};
	int banner_h = g->v.notice.kind ? h * 12 / 100 : 0;
	out->banner = (vq_rect){0, out->header.h, w, banner_h};
	int foot_h = h * 24 / 100;
	out->footer = (vq_rect){0, h - foot_h, w, foot_h};
	int top = out->header.h + banner_h;
	out->main = (vq_rect){0, top, w, out->footer.y - top};
	int aw = w * 18 / 100;
	out->action = (vq_rect){w - pad - aw, out->footer.y + pad, aw, foot_h - 2 * pad};
	out->access =
	    (vq_rect){out->action.x - pad - aw, out->footer.y + pad, aw, foot_h - 2 * pad};
	out->merge = (vq_rect){pad, out->footer.y + pad / 2, w * 30 / 100, foot_h - pad};
	int cx = out->merge.x + out->merge.w + pad;
	out->counters =
	    (vq_rect){cx, out->footer.y + pad / 2, out->access.x - pad - cx, foot_h - pad};
	out->notice_ok = (vq_rect){w - pad - w * 15 / 100, out->banner.y + banner_h / 8,
	                           w * 15 / 100, banner_h - banner_h / 4};
}

int gate_buttons(const gate *g, vq_button *out, int max)
{
	gate_layout lay;
	gate_layout_get(g, &lay);
	vq_button bs[MAX_BUTTONS];
	int n = 0;
	const vq_color white = VQ_COL_WHITE;
	if (g->v.screen == GATE_SCREEN_OVERRIDE) {
		const vq_rect m = lay.main;
		int pad = g->w / 50;
		int title_h = m.h * 16 / 100, row_h = m.h * 22 / 100, gap = m.h * 3 / 100;
		int bw = (m.w - 3 * pad) / 2;
		for (int i = 0; i < OV_COUNT; i++) {
			int col = i % 2, row = i / 2;
			bs[n++] = (vq_button){.id = OV_IDS[i],
			                      .r = {pad + col * (bw + pad),
			                            m.y + title_h + row * (row_h + gap), bw, row_h},
			                      .label = L(g, OV_KEYS[i]),
			                      .bg = VQ_COL_PRIMARY,
			                      .fg = white};
		}
		int ty = m.y + title_h + 2 * (row_h + gap) + gap;
		int tw = m.w * 28 / 100;
		bs[n++] = (vq_button){.id = "ov-typed",
		                      .r = {m.w - pad - tw, ty, tw, row_h},
		                      .label = L(g, "gate_ov_typed_btn"),
		                      .bg = VQ_COL_PRIMARY,
		                      .fg = white,
		                      .disabled = !g->v.entry[0]};
		bs[n++] = (vq_button){.id = "cancel",
		                      .r = lay.action,
		                      .label = L(g, "cancel"),
		                      .bg = VQ_COL_LIGHT,
		                      .fg = VQ_COL_INK};
	} else if (g->v.screen == GATE_SCREEN_ACCESS) {
		const vq_rect m = lay.main;
		int pad = g->w / 50;
		int bw = (m.w - (ACCESS_PARTY_MAX + 1) * pad) / ACCESS_PARTY_MAX;
		int by = m.y + m.h * 58 / 100, bh = m.h * 20 / 100;
		static const char *const party_ids[ACCESS_PARTY_MAX] = {
		    "acc-party-1", "acc-party-2", "acc-party-3", "acc-party-4",
		    "acc-party-5", "acc-party-6", "acc-party-7", "acc-party-8"};
		static const char *const party_labels[ACCESS_PARTY_MAX] = {"1", "2", "3", "4",
		                                                           "5", "6", "7", "8"};
		for (int i = 0; i < ACCESS_PARTY_MAX; i++) {
			int chosen = g->v.acc_party == i + 1;
			bs[n++] = (vq_button){.id = party_ids[i],
			                      .r = {pad + i * (bw + pad), by, bw, bh},
			                      .label = party_labels[i],
			                      .bg = chosen ? VQ_COL_PRIMARY : VQ_COL_LIGHT,
			                      .fg = chosen ? white : VQ_COL_INK};
		}
		bs[n++] = (vq_button){.id = "acc-issue",
		                      .r = lay.access,
		                      .label = L(g, "gate_access_issue"),
		                      .bg = VQ_COL_PRIMARY,
		                      .fg = white,
		                      .disabled = !g->v.entry[0] || g->v.acc_busy};
		bs[n++] = (vq_button){.id = "cancel",
		                      .r = lay.action,
		                      .label = L(g, "cancel"),
		                      .bg = VQ_COL_LIGHT,
		                      .fg = VQ_COL_INK};
	} else if (g->v.screen == GATE_SCREEN_PASS) {
		bs[n++] = (vq_button){.id = "acc-done",
		                      .r = lay.action,
		                      .label = L(g, "gate_access_done"),
		                      .bg = VQ_COL_PRIMARY,
		                      .fg = white};
	} else {
		int refused = g->v.screen == GATE_SCREEN_VERDICT && !g->v.verdict.admit;
		bs[n++] = (vq_button){.id = "access",
		                      .r = lay.access,
		                      .label = L(g, "gate_access_btn"),
		                      .bg = VQ_COL_LIGHT,
		                      .fg = VQ_COL_INK};
		bs[n++] =
		    (vq_button){.id = "override",
		                .r = lay.action,
		                .label = L(g, refused ? "gate_admit_anyway" : "gate_override_btn"),
		                .bg = VQ_COL_PRIMARY,
		                .fg = white};
	}
	if (g->v.notice.kind)
		bs[n++] = (vq_button){.id = "notice-ok",
		                      .r = lay.notice_ok,
		                      .label = L(g, "ok"),
		                      .bg = VQ_COL_PRIMARY,
		                      .fg = white};
	for (int i = 0; i < n; i++)
		bs[i].pressed = g->v.pressed[0] && strcmp(bs[i].id, g->v.pressed) == 0;
	int k = n < max ? n : max;
	memcpy(out, bs, (size_t)k * sizeof *out);
	return k;
}

static void on_button(gate *g, const char *id, int64_t now)
{
	if (strcmp(id, "override") == 0) {
		open_override(g);
	} else if (strcmp(id, "access") == 0) {
		open_access(g);
	} else if (strcmp(id, "acc-issue") == 0) {
		do_access(g, now);
	} else if (strncmp(id, "acc-party-", 10) == 0) {
		g->v.acc_party = atoi(id + 10);
		g->dirty = 1;
	} else if (strcmp(id, "acc-done") == 0 || strcmp(id, "cancel") == 0) {
		g->v.screen = GATE_SCREEN_READY;
		sodium_memzero(g->v.entry, sizeof g->v.entry);
		g->dirty = 1;
	} else if (strcmp(id, "ov-typed") == 0) {
		do_override(g, g->v.entry, now);
	} else if (strcmp(id, "notice-ok") == 0) {
		g->v.notice.kind = GATE_NOTICE_NONE;
		g->dirty = 1;
	} else {
		for (int i = 0; i < OV_COUNT; i++)
			if (strcmp(id, OV_IDS[i]) == 0)
				do_override(g, vq_i18n_get(g->i18n, "en", OV_KEYS[i]), now);
	}
}

static void on_key(gate *g, const vq_input *in, int64_t now)
{
	if (combo_matches(&g->quit_combo, in)) {
		g->quit = 1;
		return;
	}
	if (in->mod & (KMOD_CTRL | KMOD_ALT | KMOD_GUI))
		return;
	char *e = g->v.entry;
	size_t len = strlen(e);
	switch (in->key) {
	case SDLK_RETURN:
	case SDLK_KP_ENTER:
		if (g->v.screen == GATE_SCREEN_OVERRIDE) {
			do_override(g, e, now);
		} else if (g->v.screen == GATE_SCREEN_ACCESS) {
			do_access(g, now);
		} else if (g->v.screen == GATE_SCREEN_PASS) {
			g->v.screen = GATE_SCREEN_READY;
			g->dirty = 1;
		} else if (len) {
			char code[VQ_INPUT_TEXT_MAX];
			copy_str(code, sizeof code, e);
			e[0] = '\0';
			g->dirty = 1;
			on_code(g, code, now);
		}
		break;
	case SDLK_BACKSPACE:
		while (len > 0 && ((unsigned char)e[len - 1] & 0xC0) == 0x80)
			len--;
		if (len > 0)
			len--;
		e[len] = '\0';
		g->dirty = 1;
		break;
	case SDLK_ESCAPE:
		if (len)
			e[0] = '\0';
		else if (g->v.screen != GATE_SCREEN_READY && g->v.screen != GATE_SCREEN_CHECKING)
			g->v.screen = GATE_SCREEN_READY;
		g->dirty = 1;
		break;
	case SDLK_F2:
		open_override(g);
		break;
	case SDLK_F3:
		open_access(g);
		break;
	default:
		break;
	}
}

static void on_text(gate *g, const char *text)
{
	char *e = g->v.entry;
	size_t len = strlen(e), add = 0;
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			add++;
	if (len + add >= sizeof g->v.entry)
		return;
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			e[len++] = *p;
	e[len] = '\0';
	if (g->v.screen == GATE_SCREEN_VERDICT || g->v.screen == GATE_SCREEN_PASS)
		g->v.screen = GATE_SCREEN_READY; /* typing starts the next code */
	g->dirty = 1;
}

void gate_update(gate *g, const vq_input *in, int64_t now_ms)
{
	vq_button bs[MAX_BUTTONS];
	int n, i;
	g->v.now_ms = now_ms;
	switch (in->kind) {
	case VQ_IN_BUS:
		if (!g->io.poll)
			break;
		for (;;) {
			vq_bus_msg *msgs[POLL_BATCH];
			size_t got = 0;
			if (g->io.poll(g->io.ctx, msgs, POLL_BATCH, &got) != VQ_OK || got == 0)
				break;
			for (size_t k = 0; k < got; k++) {
				gate_on_msg(g, msgs[k], now_ms);
				vq_bus_msg_free(msgs[k]);
			}
			if (got < POLL_BATCH)
				break;
		}
		break;
	case VQ_IN_SCAN:
		if (g->v.screen == GATE_SCREEN_ACCESS) {
			/* the guest's card, read for the pass: not a code to admit */
			copy_str(g->v.entry, sizeof g->v.entry, in->text);
			g->dirty = 1;
			break;
		}
		if (g->v.screen == GATE_SCREEN_OVERRIDE || g->v.screen == GATE_SCREEN_PASS)
			g->v.screen = GATE_SCREEN_READY; /* a guest's code: back to admitting */
		on_code(g, in->text, now_ms);
		break;
	case VQ_IN_TEXT:
		on_text(g, in->text);
		break;
	case VQ_IN_KEY:
		on_key(g, in, now_ms);
		break;
	case VQ_IN_PRESS:
		n = gate_buttons(g, bs, MAX_BUTTONS);
		i = vq_button_find(bs, (size_t)n, in->x, in->y);
		copy_str(g->v.pressed, sizeof g->v.pressed, i >= 0 ? bs[i].id : "");
		g->dirty = 1;
		break;
	case VQ_IN_TAP:
		n = gate_buttons(g, bs, MAX_BUTTONS);
		i = vq_button_find(bs, (size_t)n, in->x, in->y);
		g->v.pressed[0] = '\0';
		g->dirty = 1;
		if (i >= 0) {
			char id[VQ_ID_MAX];
			copy_str(id, sizeof id, bs[i].id);
			on_button(g, id, now_ms);
		}
		break;
	case VQ_IN_REDRAW:
		g->dirty = 1;
		break;
	case VQ_IN_QUIT:
		g->quit = 1;
		break;
	default:
		break;
	}
	gate_tick(g, now_ms);
}
