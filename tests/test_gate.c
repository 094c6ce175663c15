/* tests/test_gate.c — vq-gate: the offline check, the state machine with a fake bus (the
 * journal's own file is tests/test_gate_journal.c), the screens (offscreen), and the
 * program itself against a real broker and vqd.
 *
 * Unit tests drive gate/gate_state.c through gate_io fakes: requests are recorded, replies
 * are hand-made vq_bus_msg values with the recorded correlation ids, and time is a number.
 * The end-to-end tests run the vq-gate binary (built by the same tree) with --script and a
 * virtual clock that starts where vqd's does (tests/support/vqsite.h), read its --trace
 * lines, and decode its screenshots with libpng to check the colour staff see.
 *
 * Check forks every test; the gate processes die with their test (PR_SET_PDEATHSIG), and
 * every wait is bounded.
 */
#include <SDL.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/code.h"
#include "core/site.h"
#include "gate/gate_journal.h"
#include "gate/gate_render.h"
#include "gate/gate_state.h"
#include "support/fixtures.h"
#include "support/tutil.h"
#include "support/vqsite.h"
#include "ui/i18n.h"
#include "ui/ui.h"

/* Times on the fixture site's day (VQ_TEST_DAY, UTC): a gold ticket for coaster,
 * 10:15-11:15. Coaster admits 5 minutes early and 10 late, gold 10 more: [10:10, 11:35). */
#define AT(h, m)  (VQ_TEST_DAY + (h)*3600 + (m)*60)
#define MS(h, m)  ((int64_t)AT(h, m) * 1000)
#define WIN_START AT(10, 15)
#define WIN_END   AT(11, 15)
#define GATE_ID   "gate-1"
#define RUN_MS    45000 /* one vq-gate run, at most */

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

static vq_i18n *load_i18n(void)
{
	vq_i18n *t = NULL;
	char err[256] = "";
	int rc = vq_i18n_load(tu_src("assets/i18n"), &t, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "i18n: %s", err);
	return t;
}

static vq_site *load_site(void)
{
	vq_site *s = NULL;
	char err[256];
	int rc = vq_site_parse(VQ_TEST_SITE, strlen(VQ_TEST_SITE), &s, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "site: %s", err);
	return s;
}

/* --- keys and codes ---------------------------------------------------------------- */

struct keys {
	uint8_t pk[32], sk[64];
	vq_keyring ring;
	char hex[65];
};

static void make_keys(struct keys *k)
{
	ck_assert_int_ge(sodium_init(), 0);
	crypto_sign_keypair(k->pk, k->sk);
	memset(&k->ring, 0, sizeof k->ring);
	ck_assert_int_eq(vq_keyring_add(&k->ring, 1, k->pk), VQ_OK);
	sodium_bin2hex(k->hex, sizeof k->hex, k->pk, 32);
}

static void make_code(const struct keys *k, const char *site, const char *attr, uint64_t id,
                      int64_t start, int64_t end, int tier, int party, int number, char *out)
{
	vq_claims c;
	memset(&c, 0, sizeof c);
	c.kid = 1;
	snprintf(c.site, sizeof c.site, "%s", site);
	snprintf(c.attr, sizeof c.attr, "%s", attr);
	c.ticket_id = id;
	c.win_start = start;
	c.win_end = end;
	c.tier = (uint8_t)tier;
	c.party = (uint8_t)party;
	c.number = (uint16_t)number;
	ck_assert_int_eq(vq_code_sign(&c, k->sk, out, VQ_CODE_MAX), VQ_OK);
}

/* The default ticket of these tests: gold, party 2, number 5, coaster 10:15-11:15. */
static void std_code(const struct keys *k, uint64_t id, char *out)
{
	make_code(k, "t", "coaster", id, WIN_START, WIN_END, 2, 2, 5, out);
}

/* --- site state from hand-made messages ------------------------------------------- */

static vq_bus_msg msg(int kind, const char *suffix, const char *payload)
{
	vq_bus_msg m;
	memset(&m, 0, sizeof m);
	m.kind = kind;
	m.topic = suffix;
	m.suffix = suffix;
	m.payload = payload;
	m.len = strlen(payload);
	m.qos = 1;
	return m;
}

static void site_json(const struct keys *k, char *out, size_t len)
{
	snprintf(out, len,
	         "{\"v\":1,\"site\":\"t\",\"name\":\"T\",\"timezone\":\"UTC\","
	         "\"languages\":[\"en\",\"ru\",\"ro\"],\"tiers\":["
	         "{\"id\":\"standard\",\"names\":{\"en\":\"Standard\",\"ru\":\"Стандарт\","
	         "\"ro\":\"Standard\"}},"
	         "{\"id\":\"silver\",\"names\":{\"en\":\"Silver\",\"ru\":\"Серебро\",\"ro\":"
	         "\"Argint\"}},"
	         "{\"id\":\"gold\",\"names\":{\"en\":\"Gold\",\"ru\":\"Золото\",\"ro\":\"Aur\"}},"
	         "{\"id\":\"platinum\",\"names\":{\"en\":\"Platinum\",\"ru\":\"Платина\","
	         "\"ro\":\"Platină\"}}],"
	         "\"attractions\":[\"coaster\",\"desk\",\"flume\"],"
	         "\"keys\":[{\"kid\":1,\"public_key\":\"%s\"}],\"updated\":%lld}",
	         k->hex, (long long)AT(10, 0));
}

static void attr_json(const char *status, int64_t closed_at, int64_t reopened_at, int fast,
                      int standby, int phase, int backlog, int backlog_min, char *out, size_t len)
{
	snprintf(out, len,
	         "{\"v\":1,\"attraction\":\"coaster\",\"kind\":\"ride\","
	         "\"names\":{\"en\":\"Thunder Coaster\",\"ru\":\"Громовые горки\","
	         "\"ro\":\"Montagnele rusești\"},\"status\":\"%s\",\"closed_at\":%lld,"
	         "\"reopened_at\":%lld,\"admitting\":null,\"next\":{},"
	         "\"capacity\":{\"today\":100,\"taken\":10},\"standby_min\":30,"
	         "\"merge\":{\"fast\":%d,\"standby\":%d,\"phase\":%d,\"backlog\":%d,"
	         "\"backlog_min\":%d},\"updated\":%lld}",
	         status, (long long)closed_at, (long long)reopened_at, fast, standby, phase,
	         backlog, backlog_min, (long long)AT(10, 0));
}

static void feed(vq_sitestate *ss, gate *g, const char *suffix, const char *payload, int64_t now)
{
	vq_bus_msg m = msg(VQ_BUS_MESSAGE, suffix, payload);
	if (g)
		gate_on_msg(g, &m, now);
	else
		ck_assert_int_ge(vq_sitestate_feed(ss, &m, now), 0);
}

/* --- the gate with fake effects ------------------------------------------------------ */

#define FAKE_MAX 64

struct fake {
	int nreq;
	char svc[FAKE_MAX][32];
	char body[FAKE_MAX][8192];
	char corr[FAKE_MAX][VQ_BUS_CORR_MAX];
	int ntrace;
	char trace[FAKE_MAX * 2][512];
	int cues[4];
	int site_changed;
	int refuse; /* requests fail as if the bus were down */
};

static int fake_request(void *ctx, const char *svc, const char *body, size_t len,
                        char corr[VQ_BUS_CORR_MAX])
{
	struct fake *f = ctx;
	if (f->refuse || f->nreq >= FAKE_MAX)
		return VQ_EBUS;
	snprintf(f->svc[f->nreq], sizeof f->svc[0], "%s", svc);
	snprintf(f->body[f->nreq], sizeof f->body[0], "%.*s", (int)len, body);
	snprintf(corr, VQ_BUS_CORR_MAX, "corr-%d", f->nreq);
	snprintf(f->corr[f->nreq], VQ_BUS_CORR_MAX, "corr-%d", f->nreq);
	f->nreq++;
	return VQ_OK;
}

static void fake_trace(void *ctx, const char *line)
{
	struct fake *f = ctx;
	if (f->ntrace < FAKE_MAX * 2)
		snprintf(f->trace[f->ntrace++], sizeof f->trace[0], "%s", line);
}

static void fake_cue(void *ctx, int cue)
{
	struct fake *f = ctx;
	if (cue >= 0 && cue < 4)
		f->cues[cue]++;
}

static void fake_site_changed(void *ctx)
{
	struct fake *f = ctx;
	f->site_changed++;
}

/* The last trace line containing s, or NULL. */
static const char *traced(const struct fake *f, const char *s)
{
	for (int i = f->ntrace - 1; i >= 0; i--)
		if (strstr(f->trace[i], s))
			return f->trace[i];
	return NULL;
}

struct rig {
	struct keys k;
	vq_i18n *t;
	vq_site *config;
	vq_sitestate *ss;
	gate_journal *j;
	gate *g;
	struct fake f;
	char *dir;
	char jpath[512];
	const char *lang;
	int synth; /* no config: rules from state/_site */
	int w, h;  /* the frame; 0: the gate's default */
};

static void rig_gate(struct rig *r)
{
	gate_io io = {.ctx = &r->f,
	              .request = fake_request,
	              .trace = fake_trace,
	              .cue = fake_cue,
	              .site_changed = fake_site_changed};
	gate_opts o = {.attraction = "coaster",
	               .gate_id = GATE_ID,
	               .lang = r->lang ? r->lang : "en",
	               .i18n = r->t,
	               .config = r->synth ? NULL : r->config,
	               .width = r->w,
	               .height = r->h};
	ck_assert_int_eq(gate_combo_parse("ctrl+alt+shift+q", &o.quit), VQ_OK);
	ck_assert_int_eq(gate_new(&o, r->ss, r->j, &io, &r->g), VQ_OK);
}

static void rig_journal(struct rig *r)
{
	char err[256] = "";
	int rc = gate_journal_open(r->jpath[0] ? r->jpath : NULL, GATE_ID, AT(9, 0), &r->j, err,
	                           sizeof err);
	ck_assert_msg(rc == VQ_OK, "journal: %s %s", vq_errname(rc), err);
}

/* A gate for coaster that has heard the site, its attraction and (if online) vqd. */
static void rig_up(struct rig *r, int file_journal, int online)
{
	memset(r, 0, sizeof *r);
	setenv("TZ", "UTC", 1);
	tzset();
	make_keys(&r->k);
	r->t = load_i18n();
	r->config = load_site();
	ck_assert_int_eq(vq_sitestate_new(&r->ss), VQ_OK);
	if (file_journal) {
		r->dir = tu_tempdir("gate");
		ck_assert_ptr_nonnull(r->dir);
		snprintf(r->jpath, sizeof r->jpath, "%s/gate.journal", r->dir);
	}
	rig_journal(r);
	rig_gate(r);
	char buf[4096];
	vq_bus_msg c = msg(VQ_BUS_CONNECTED, "", "");
	gate_on_msg(r->g, &c, MS(10, 0));
	site_json(&r->k, buf, sizeof buf);
	feed(r->ss, r->g, "state/_site", buf, MS(10, 0));
	attr_json("open", 0, 0, 4, 1, 0, 12, 3, buf, sizeof buf);
	feed(r->ss, r->g, "state/coaster", buf, MS(10, 0));
	feed(r->ss, r->g, "presence/vqd",
	     online ? "{\"v\":1,\"id\":\"vqd\",\"online\":true}"
	            : "{\"v\":1,\"id\":\"vqd\",\"online\":false}",
	     MS(10, 0));
	gate_tick(r->g, MS(10, 0));
}

static void rig_down(struct rig *r)
{
	gate_free(r->g);
	gate_journal_free(r->j);
	vq_sitestate_free(r->ss);
	vq_site_free(r->config);
	vq_i18n_free(r->t);
	if (r->dir) {
		tu_rmtree(r->dir);
		free(r->dir);
	}
}

static void scan(struct rig *r, const char *code, int64_t now)
{
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_SCAN;
	snprintf(in.text, sizeof in.text, "%s", code);
	gate_update(r->g, &in, now);
}

static void tap_id(struct rig *r, const char *id, int64_t now)
{
	vq_button bs[16];
	int n = gate_buttons(r->g, bs, 16);
	for (int i = 0; i < n; i++) {
		if (strcmp(bs[i].id, id) != 0)
			continue;
		vq_input in;
		memset(&in, 0, sizeof in);
		in.kind = VQ_IN_TAP;
		in.x = bs[i].r.x + bs[i].r.w / 2;
		in.y = bs[i].r.y + bs[i].r.h / 2;
		gate_update(r->g, &in, now);
		return;
	}
	ck_abort_msg("no button %s on screen %d", id, gate_view_get(r->g)->screen);
}

/* Answers request i with payload. */
static void reply(struct rig *r, int i, const char *payload, int64_t now)
{
	CHECK(i < r->f.nreq, "no request %d to answer", i);
	vq_bus_msg m = msg(VQ_BUS_MESSAGE, "reply/" GATE_ID, payload);
	m.corr = (const unsigned char *)r->f.corr[i];
	m.corr_len = strlen(r->f.corr[i]);
	gate_on_msg(r->g, &m, now);
	gate_tick(r->g, now);
}

static cJSON *body(const struct rig *r, int i)
{
	CHECK(i < r->f.nreq, "no request %d", i);
	cJSON *b = cJSON_Parse(r->f.body[i]);
	CHECK(b != NULL, "request %d is not JSON: %s", i, r->f.body[i]);
	return b;
}

static const char *bstr(const cJSON *b, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* --- pure helpers ---------------------------------------------------------------------- */

START_TEST(test_reasons_and_combo)
{
	static const struct {
		const char *wire;
		int reason;
		const char *name;
	} cases[] = {{"too_early", GATE_R_TOO_EARLY, "too_early"},
	             {"expired", GATE_R_EXPIRED, "expired"},
	             {"already_used", GATE_R_USED, "already_used"},
	             {"forged", GATE_R_FORGED, "forged"},
	             {"malformed_code", GATE_R_FORGED, "forged"},
	             {"unknown_key", GATE_R_UNKNOWN_KEY, "unknown_key"},
	             {"wrong_attraction", GATE_R_WRONG_ATTR, "wrong_attraction"},
	             {"closed", GATE_R_CLOSED, "closed"},
	             {"cancelled", GATE_R_CANCELLED, "cancelled"},
	             {"unknown_ticket", GATE_R_UNKNOWN_TICKET, "unknown_ticket"},
	             {"bad_request", GATE_R_OTHER, "other"},
	             {"not_operating", GATE_R_OTHER, "other"}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = gate_reason_from_wire(cases[i].wire);
		CHECK(r == cases[i].reason && strcmp(gate_reason_name(r), cases[i].name) == 0,
		      "%s -> %d %s", cases[i].wire, r, gate_reason_name(r));
	}
	ck_assert_int_eq(gate_reason_from_wire(NULL), GATE_R_OTHER);

	gate_combo c;
	ck_assert_int_eq(gate_combo_parse("ctrl+alt+shift+q", &c), VQ_OK);
	ck_assert_int_eq(c.key, 'q');
	ck_assert_uint_eq(c.mods, GATE_MOD_CTRL | GATE_MOD_ALT | GATE_MOD_SHIFT);
	ck_assert_int_eq(gate_combo_parse("Ctrl+F12", &c), VQ_OK);
	ck_assert_uint_eq(c.mods, GATE_MOD_CTRL);
	ck_assert_int_ne(c.key, 0);
	ck_assert_int_eq(gate_combo_parse("ctrl+alt", &c), VQ_EINVAL);
	ck_assert_int_eq(gate_combo_parse("q+ctrl", &c), VQ_EINVAL);
	ck_assert_int_eq(gate_combo_parse("ctrl+nosuchkey", &c), VQ_EINVAL);
	ck_assert_int_eq(gate_combo_parse("", &c), VQ_EINVAL);

	char out[64];
	gate_code_normalize("  vq1:abc d2\n", out, sizeof out);
	ck_assert_str_eq(out, "VQ1:ABCD2");
	gate_code_normalize("VQ1:ABCDEFG", out, 6);
	ck_assert_str_eq(out, "VQ1:A");
}
END_TEST

/* --- the offline check --------------------------------------------------------------- */

struct offline_rig {
	struct keys k;
	vq_site *site;
	vq_attr_view attr;
	gate_offline c;
};

static void offline_up(struct offline_rig *o)
{
	memset(o, 0, sizeof *o);
	make_keys(&o->k);
	o->site = load_site();
	snprintf(o->attr.id, sizeof o->attr.id, "coaster");
	o->attr.known = 1;
	o->attr.open = 1;
	o->c = (gate_offline){.keys = &o->k.ring,
	                      .site_id = "t",
	                      .rules = o->site,
	                      .attraction = "coaster",
	                      .state = &o->attr,
	                      .prefix = "C"};
}

static int check_code(struct offline_rig *o, const char *code, int64_t now, gate_verdict *v)
{
	return gate_offline_check(&o->c, code, strlen(code), now, v);
}

START_TEST(test_offline_valid)
{
	struct offline_rig o;
	offline_up(&o);
	char code[VQ_CODE_MAX];
	std_code(&o.k, 42, code);
	gate_verdict v;
	/* the admission interval is [10:10, 11:35): grace included, half-open */
	ck_assert_int_eq(check_code(&o, code, AT(10, 10), &v), VQ_OK);
	ck_assert(v.admit && v.offline && !v.anytime);
	ck_assert_uint_eq(v.ticket, 42);
	ck_assert_str_eq(v.number, "C-005");
	ck_assert_str_eq(v.tier, "gold");
	ck_assert_int_eq(v.party, 2);
	ck_assert_int_eq(check_code(&o, code, AT(11, 34), &v), VQ_OK);
	ck_assert_int_eq(check_code(&o, code, AT(10, 9), &v), VQ_ETOOEARLY);
	ck_assert(!v.admit && v.reason == GATE_R_TOO_EARLY);
	ck_assert_int_eq(v.from, AT(10, 10));
	ck_assert_int_eq(check_code(&o, code, AT(11, 35), &v), VQ_EEXPIRED);
	ck_assert(v.reason == GATE_R_EXPIRED && v.until == AT(11, 35));
	/* without a prefix the number is still the number */
	o.c.prefix = NULL;
	ck_assert_int_eq(check_code(&o, code, AT(10, 30), &v), VQ_OK);
	ck_assert_str_eq(v.number, "005");
	vq_site_free(o.site);
}
END_TEST

/* An accessibility pass checks offline by the ticket rules, and the gate knows it is one
 * from its code alone. */
START_TEST(test_offline_access)
{
	struct offline_rig o;
	offline_up(&o);
	vq_claims c;
	memset(&c, 0, sizeof c);
	c.kid = 1;
	snprintf(c.site, sizeof c.site, "t");
	snprintf(c.attr, sizeof c.attr, "coaster");
	c.ticket_id = 77;
	c.win_start = AT(10, 40);
	c.win_end = AT(21, 0);
	c.party = 3;
	c.number = 12;
	c.kind = VQ_TK_ACCESS;
	char code[VQ_CODE_MAX], fast[VQ_CODE_MAX];
	ck_assert_int_eq(vq_code_sign(&c, o.k.sk, code, sizeof code), VQ_OK);
	gate_verdict v;
	/* early grace 5 min, as for any ticket of the coaster */
	ck_assert_int_eq(check_code(&o, code, AT(10, 34), &v), VQ_ETOOEARLY);
	ck_assert(!v.admit && v.access && v.from == AT(10, 35));
	ck_assert_int_eq(check_code(&o, code, AT(10, 35), &v), VQ_OK);
	ck_assert(v.admit && v.offline && v.access);
	ck_assert_str_eq(v.number, "C-012");
	ck_assert_int_eq(v.party, 3);
	ck_assert_int_eq(check_code(&o, code, AT(20, 59), &v), VQ_OK);
	std_code(&o.k, 42, fast);
	ck_assert_int_eq(check_code(&o, fast, AT(10, 30), &v), VQ_OK);
	ck_assert(v.admit && !v.access);
	vq_site_free(o.site);
}
END_TEST

START_TEST(test_offline_forged)
{
	struct offline_rig o;
	offline_up(&o);
	char code[VQ_CODE_MAX], bad[VQ_CODE_MAX];
	std_code(&o.k, 42, code);
	size_t len = strlen(code);
	/* every single character changed, anywhere: never admitted, always "forged" (or, where
	 * the key id is, "unknown key"; in the "VQ1:" that says it is ours, "not a ticket") */
	for (size_t i = 0; i < len; i++) {
		memcpy(bad, code, len + 1);
		bad[i] = code[i] == 'A' ? 'B' : 'A';
		gate_verdict v;
		int rc = check_code(&o, bad, AT(10, 30), &v);
		/* the key id byte changed: a key we do not hold, which is refused too */
		int want = i < 4 ? v.reason == GATE_R_NOT_OURS
		                 : v.reason == GATE_R_FORGED || v.reason == GATE_R_UNKNOWN_KEY;
		if (rc == VQ_OK || v.admit || !want)
			ck_abort_msg("char %zu changed: rc %s reason %s", i, vq_errname(rc),
			             gate_reason_name(v.reason));
	}
	gate_verdict v;
	ck_assert_int_ne(check_code(&o, "", AT(10, 30), &v), VQ_OK);
	ck_assert_int_eq(v.reason, GATE_R_NOT_OURS);
	ck_assert_int_ne(check_code(&o, "12345678", AT(10, 30), &v), VQ_OK);
	ck_assert_int_eq(v.reason, GATE_R_NOT_OURS);
	ck_assert_int_ne(check_code(&o, "VQ1:", AT(10, 30), &v), VQ_OK);
	ck_assert_int_eq(v.reason, GATE_R_NOT_OURS);
	/* a vq code damaged past reading is forged or damaged, not someone else's */
	ck_assert_int_ne(check_code(&o, "VQ1:HELLO", AT(10, 30), &v), VQ_OK);
	ck_assert_int_eq(v.reason, GATE_R_FORGED);
	/* and with no keys at all, another barcode is still just another barcode */
	const vq_keyring *keys = o.c.keys;
	o.c.keys = NULL;
	ck_assert_int_ne(check_code(&o, "12345678", AT(10, 30), &v), VQ_OK);
	ck_assert_int_eq(v.reason, GATE_R_NOT_OURS);
	o.c.keys = keys;
	/* a good code of another site, signed with the same key: not ours */
	make_code(&o.k, "other", "coaster", 42, WIN_START, WIN_END, 2, 2, 5, code);
	ck_assert_int_eq(check_code(&o, code, AT(10, 30), &v), VQ_EBADSIG);
	ck_assert_int_eq(v.reason, GATE_R_FORGED);
	/* a key the gate does not hold */
	struct keys other;
	make_keys(&other);
	std_code(&other, 42, code);
	ck_assert_int_eq(check_code(&o, code, AT(10, 30), &v), VQ_EBADSIG);
	/* (kid 1 with another key: a forgery) ... and kid 9: unknown */
	vq_claims c = {.kid = 9,
	               .ticket_id = 1,
	               .win_start = WIN_START,
	               .win_end = WIN_END,
	               .tier = 0,
	               .party = 1,
	               .number = 1};
	snprintf(c.site, sizeof c.site, "t");
	snprintf(c.attr, sizeof c.attr, "coaster");
	ck_assert_int_eq(vq_code_sign(&c, other.sk, code, sizeof code), VQ_OK);
	ck_assert_int_eq(check_code(&o, code, AT(10, 30), &v), VQ_EUNKNOWNKEY);
	ck_assert_int_eq(v.reason, GATE_R_UNKNOWN_KEY);
	/* no keys at all */
	o.c.keys = NULL;
	std_code(&o.k, 42, code);
	ck_assert_int_ne(check_code(&o, code, AT(10, 30), &v), VQ_OK);
	ck_assert_int_eq(v.reason, GATE_R_NO_KEYS);
	vq_site_free(o.site);
}
END_TEST

START_TEST(test_offline_rules)
{
	struct offline_rig o;
	offline_up(&o);
	char code[VQ_CODE_MAX];
	gate_verdict v;
	/* wrong attraction: flume's ticket at coaster's gate */
	make_code(&o.k, "t", "flume", 7, WIN_START, WIN_END, 0, 1, 3, code);
	ck_assert_int_eq(check_code(&o, code, AT(10, 30), &v), VQ_EWRONGATTR);
	ck_assert_int_eq(v.reason, GATE_R_WRONG_ATTR);
	ck_assert_str_eq(v.ticket_attr, "flume");
	ck_assert_str_eq(v.number, "003"); /* its prefix is not ours to know */
	/* expired yesterday's ticket */
	make_code(&o.k, "t", "coaster", 8, WIN_START - 86400, WIN_END - 86400, 0, 1, 4, code);
	ck_assert_int_eq(check_code(&o, code, AT(10, 30), &v), VQ_EEXPIRED);
	/* closed now */
	std_code(&o.k, 42, code);
	o.attr.open = 0;
	o.attr.closed_at = AT(10, 20);
	ck_assert_int_eq(check_code(&o, code, AT(10, 30), &v), VQ_ECLOSED);
	ck_assert_int_eq(v.reason, GATE_R_CLOSED);
	/* reopened at 12:00: the window met the closure, so it is an any-time pass now */
	o.attr.open = 1;
	o.attr.reopened_at = AT(12, 0);
	ck_assert_int_eq(check_code(&o, code, AT(13, 0), &v), VQ_OK);
	ck_assert(v.admit && v.anytime);
	ck_assert_int_eq(check_code(&o, code, AT(11, 59), &v), VQ_ETOOEARLY);
	/* a ticket after the closure is an ordinary one */
	make_code(&o.k, "t", "coaster", 9, AT(13, 0), AT(14, 0), 0, 1, 9, code);
	ck_assert_int_eq(check_code(&o, code, AT(13, 30), &v), VQ_OK);
	ck_assert(!v.anytime);
	ck_assert_int_eq(check_code(&o, code, AT(15, 0), &v), VQ_EEXPIRED);
	vq_site_free(o.site);
}
END_TEST

START_TEST(test_offline_used_and_synth)
{
	struct offline_rig o;
	offline_up(&o);
	gate_journal *j = NULL;
	char err[128], code[VQ_CODE_MAX];
	ck_assert_int_eq(gate_journal_open(NULL, GATE_ID, AT(9, 0), &j, err, sizeof err), VQ_OK);
	o.c.journal = j;
	std_code(&o.k, 42, code);
	gate_verdict v;
	ck_assert_int_eq(check_code(&o, code, AT(10, 30), &v), VQ_OK);
	ck_assert_int_eq(gate_journal_mark_used(j, 42, AT(10, 30), "gate-2", 1), VQ_OK);
	ck_assert_int_eq(check_code(&o, code, AT(10, 31), &v), VQ_EUSED);
	ck_assert_int_eq(v.reason, GATE_R_USED);
	ck_assert_str_eq(v.used_gate, "gate-2");
	ck_assert_int_eq(v.used_at, AT(10, 30));
	gate_journal_free(j);

	/* no config: rules from state/_site, no grace at all */
	vq_sitestate *ss = NULL;
	ck_assert_int_eq(vq_sitestate_new(&ss), VQ_OK);
	vq_site *synth = NULL;
	ck_assert_int_eq(gate_rules_synth(ss, "coaster", &synth), VQ_EINVAL);
	char buf[4096];
	site_json(&o.k, buf, sizeof buf);
	feed(ss, NULL, "state/_site", buf, 0);
	ck_assert_int_eq(gate_rules_synth(ss, "coaster", &synth), VQ_OK);
	ck_assert_int_eq(vq_site_tier_count(synth), 4);
	ck_assert_int_ge(vq_site_attr_find(synth, "flume"), 0);
	o.c.rules = synth;
	o.c.journal = NULL;
	ck_assert_int_eq(check_code(&o, code, AT(10, 15), &v), VQ_OK);
	ck_assert_str_eq(v.tier, "gold");
	ck_assert_int_eq(check_code(&o, code, AT(10, 14), &v), VQ_ETOOEARLY);
	ck_assert_int_eq(check_code(&o, code, AT(11, 15), &v), VQ_EEXPIRED);
	vq_site_free(synth);
	/* an attraction state/_site does not list is still the gate's own */
	ck_assert_int_eq(gate_rules_synth(ss, "new_ride", &synth), VQ_OK);
	ck_assert_int_ge(vq_site_attr_find(synth, "new_ride"), 0);
	vq_site_free(synth);
	vq_sitestate_free(ss);
	vq_site_free(o.site);
}
END_TEST

/* --- the state machine with a fake bus -------------------------------------------------- */

static void redeem_ok(struct rig *r, int i, uint64_t id, int64_t now)
{
	char buf[1024];
	snprintf(buf, sizeof buf,
	         "{\"v\":1,\"rid\":\"x\",\"ok\":true,\"admit\":true,\"ticket\":{\"id\":%llu,"
	         "\"number\":\"C-%03llu\",\"attraction\":\"coaster\",\"tier\":\"gold\",\"party\":2,"
	         "\"start\":%lld,\"end\":%lld,\"state\":\"redeemed\",\"used_at\":%lld,"
	         "\"used_gate\":\"" GATE_ID "\",\"used_offline\":false}}",
	         (unsigned long long)id, (unsigned long long)id, (long long)WIN_START,
	         (long long)WIN_END, (long long)(now / 1000));
	reply(r, i, buf, now);
}

START_TEST(test_state_online)
{
	struct rig r;
	rig_up(&r, 0, 1);
	const gate_view *v = gate_view_get(r.g);
	ck_assert_int_eq(v->mode, GATE_ONLINE);
	ck_assert(v->heard && v->have_keys);
	ck_assert_int_ge(r.f.site_changed, 1);
	char code[VQ_CODE_MAX];
	std_code(&r.k, 5, code);

	scan(&r, code, MS(10, 20));
	ck_assert_int_eq(r.f.nreq, 1);
	ck_assert_str_eq(r.f.svc[0], "svc/redeem");
	cJSON *b = body(&r, 0);
	ck_assert_str_eq(bstr(b, "code"), code);
	ck_assert_str_eq(bstr(b, "attraction"), "coaster");
	ck_assert_int_gt((int)strlen(bstr(b, "rid")), 2);
	char rid0[64];
	snprintf(rid0, sizeof rid0, "%s", bstr(b, "rid"));
	cJSON_Delete(b);
	ck_assert_int_eq(v->screen, GATE_SCREEN_CHECKING);
	ck_assert(gate_busy(r.g, MS(10, 20)));

	redeem_ok(&r, 0, 5, MS(10, 20));
	ck_assert_int_eq(v->screen, GATE_SCREEN_VERDICT);
	ck_assert(v->verdict.admit && !v->verdict.offline);
	ck_assert_str_eq(v->verdict.number, "C-005");
	ck_assert_int_eq(v->counters.admitted, 1);
	ck_assert_int_eq(v->counters.offline, 0);
	ck_assert_ptr_nonnull(traced(&r.f, "verdict admit ticket=5 number=C-005 offline=0"));
	ck_assert_int_eq(r.f.cues[GATE_CUE_ADMIT], 1);
	ck_assert(!gate_busy(r.g, MS(10, 20)));

	/* the scanner reads the same code again at once: not a second guest */
	scan(&r, code, MS(10, 20) + 500);
	ck_assert_int_eq(r.f.nreq, 1);
	/* later, vqd says it is used; the next redeem has a new rid */
	scan(&r, code, MS(10, 21));
	ck_assert_int_eq(r.f.nreq, 2);
	b = body(&r, 1);
	ck_assert_str_ne(bstr(b, "rid"), rid0);
	cJSON_Delete(b);
	reply(&r, 1,
	      "{\"v\":1,\"rid\":\"x\",\"ok\":false,\"error\":{\"code\":\"already_used\","
	      "\"message\":\"m\",\"used_at\":1798712400,\"used_gate\":\"gate-2\"}}",
	      MS(10, 21));
	ck_assert(!v->verdict.admit);
	ck_assert_int_eq(v->verdict.reason, GATE_R_USED);
	ck_assert_str_eq(v->verdict.used_gate, "gate-2");
	ck_assert_str_eq(v->verdict.number, "C-005"); /* from the code itself */
	ck_assert_int_eq(v->counters.refused, 1);
	ck_assert_int_eq(v->counters.by_reason[GATE_R_USED], 1);
	ck_assert_ptr_nonnull(traced(&r.f, "verdict refuse reason=already_used gate=gate-2"));
	ck_assert_int_eq(r.f.cues[GATE_CUE_REFUSE], 1);

	/* the verdict stays for its time, then the gate is ready again */
	gate_tick(r.g, MS(10, 21) + 5000);
	ck_assert_int_eq(v->screen, GATE_SCREEN_VERDICT);
	gate_tick(r.g, MS(10, 21) + 6000);
	ck_assert_int_eq(v->screen, GATE_SCREEN_READY);

	/* typed codes: lower case, spaces, Enter */
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_TEXT;
	char typed[VQ_CODE_MAX + 8];
	snprintf(typed, sizeof typed, "vq1:%s", code + 4);
	for (char *p = typed; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	snprintf(in.text, sizeof in.text, "%s", typed);
	gate_update(r.g, &in, MS(10, 30));
	ck_assert_str_eq(v->entry, typed);
	in.kind = VQ_IN_KEY;
	in.key = VQ_KEY_RETURN;
	gate_update(r.g, &in, MS(10, 30));
	ck_assert_int_eq(r.f.nreq, 3);
	b = body(&r, 2);
	ck_assert_str_eq(bstr(b, "code"), code);
	cJSON_Delete(b);
	ck_assert_str_eq(v->entry, "");

	/* the staff combination quits; the key alone does not */
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_KEY;
	in.key = 'q';
	gate_update(r.g, &in, MS(10, 31));
	ck_assert(!gate_quit(r.g));
	in.mod = KMOD_LCTRL | KMOD_LALT | KMOD_LSHIFT;
	gate_update(r.g, &in, MS(10, 31));
	ck_assert(gate_quit(r.g));
	rig_down(&r);
}
END_TEST

/* Every refusal vqd can give, as staff see it. */
START_TEST(test_state_refusals)
{
	static const struct {
		const char *error; /* the error object's fields */
		int reason;
		const char *shown; /* in the verdict text, English */
	} cases[] = {
	    {"\"code\":\"too_early\",\"from\":1798713900,\"until\":1798718100", GATE_R_TOO_EARLY,
	     "come back at 10:45"},
	    {"\"code\":\"expired\",\"from\":1798713900,\"until\":1798718100", GATE_R_EXPIRED,
	     "Expired at 11:55"},
	    {"\"code\":\"already_used\",\"used_at\":1798712400,\"used_gate\":\"gate-2\"",
	     GATE_R_USED, "Already used at 10:20 at gate-2"},
	    {"\"code\":\"forged\"", GATE_R_FORGED, "Forged or damaged"},
	    {"\"code\":\"malformed_code\"", GATE_R_FORGED, "Forged or damaged"},
	    {"\"code\":\"unknown_key\"", GATE_R_UNKNOWN_KEY, "unknown key"},
	    {"\"code\":\"wrong_attraction\",\"ticket_attraction\":\"flume\"", GATE_R_WRONG_ATTR,
	     "Wrong attraction (this is for flume)"},
	    {"\"code\":\"closed\"", GATE_R_CLOSED, "Attraction closed"},
	    {"\"code\":\"cancelled\"", GATE_R_CANCELLED, "cancelled"},
	    {"\"code\":\"unknown_ticket\"", GATE_R_UNKNOWN_TICKET, "Unknown ticket"},
	    {"\"code\":\"bad_request\"", GATE_R_OTHER, "Refused: bad_request"},
	};
	struct rig r;
	rig_up(&r, 0, 1);
	const gate_view *v = gate_view_get(r.g);
	char code[VQ_CODE_MAX], buf[1024];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		std_code(&r.k, 100 + i, code);
		scan(&r, code, MS(11, (int)i));
		if (r.f.nreq != (int)i + 1)
			ck_abort_msg("case %zu: no redeem sent", i);
		snprintf(buf, sizeof buf, "{\"v\":1,\"ok\":false,\"error\":{%s,\"message\":\"m\"}}",
		         cases[i].error);
		reply(&r, (int)i, buf, MS(11, (int)i));
		gate_text tx;
		gate_verdict_text(&v->verdict, r.t, "en", r.ss, &tx);
		if (v->screen != GATE_SCREEN_VERDICT || v->verdict.admit ||
		    v->verdict.reason != cases[i].reason || !strstr(tx.big, cases[i].shown) ||
		    strcmp(tx.headline, "DO NOT ADMIT") != 0 ||
		    memcmp(&tx.bg, &VQ_COL_ERROR, sizeof tx.bg) != 0 || tx.note[0])
			ck_abort_msg("case %s: reason %s, text '%s' / '%s'", cases[i].error,
			             gate_reason_name(v->verdict.reason), tx.headline, tx.big);
		if (v->counters.by_reason[cases[i].reason] < 1)
			ck_abort_msg("case %zu not counted", i);
	}
	ck_assert_int_eq(v->counters.refused, (int)(sizeof cases / sizeof cases[0]));
	ck_assert_int_eq(v->counters.by_reason[GATE_R_FORGED], 2);
	ck_assert_int_eq(v->counters.admitted, 0);

	/* another barcode (a park ticket, a shop's): said as such, decided without asking
	 * vqd, and counted apart from forged codes */
	int nreq = r.f.nreq;
	scan(&r, "12345678", MS(11, 30));
	ck_assert_int_eq(r.f.nreq, nreq);
	ck_assert_int_eq(v->screen, GATE_SCREEN_VERDICT);
	ck_assert_int_eq(v->verdict.reason, GATE_R_NOT_OURS);
	gate_text tx;
	gate_verdict_text(&v->verdict, r.t, "en", r.ss, &tx);
	ck_assert_str_eq(tx.big, "Not a fast-lane ticket");
	ck_assert_ptr_nonnull(strstr(tx.detail, "12345678"));
	ck_assert_int_eq(v->counters.by_reason[GATE_R_NOT_OURS], 1);
	ck_assert_int_eq(v->counters.by_reason[GATE_R_FORGED], 2);
	ck_assert_ptr_nonnull(strstr(r.f.trace[r.f.ntrace - 1], "reason=not_a_ticket"));
	/* staff may still let the guest in: logged without a ticket code */
	tap_id(&r, "override", MS(11, 31));
	ck_assert_str_eq(v->ov_code, "");
	rig_down(&r);
}
END_TEST

START_TEST(test_state_timeout)
{
	struct rig r;
	rig_up(&r, 0, 1);
	const gate_view *v = gate_view_get(r.g);
	char code[VQ_CODE_MAX];
	std_code(&r.k, 5, code);
	scan(&r, code, MS(10, 20));
	ck_assert_int_eq(r.f.nreq, 1);
	ck_assert_int_eq(gate_wait_ms(r.g, MS(10, 20), 60000), 1500);
	gate_tick(r.g, MS(10, 20) + 1499);
	ck_assert_int_eq(v->screen, GATE_SCREEN_CHECKING);
	/* no answer in time: the gate decides alone, and says so */
	gate_tick(r.g, MS(10, 20) + 1500);
	ck_assert_int_eq(v->screen, GATE_SCREEN_VERDICT);
	ck_assert(v->verdict.admit && v->verdict.offline);
	ck_assert_int_eq(v->mode, GATE_OFF_TIMEOUT);
	ck_assert_int_eq(v->counters.offline, 1);
	ck_assert_int_eq(v->pending, 1);
	ck_assert_ptr_nonnull(traced(&r.f, "verdict admit ticket=5 number=C-005 offline=1"));
	ck_assert_ptr_nonnull(traced(&r.f, "mode offline reason=timeout"));
	/* while vqd is suspect, scans do not wait for it */
	char code2[VQ_CODE_MAX];
	std_code(&r.k, 6, code2);
	scan(&r, code2, MS(10, 20) + 3000);
	ck_assert_int_eq(r.f.nreq, 1);
	ck_assert(v->verdict.admit && v->verdict.offline && v->verdict.ticket == 6);
	ck_assert_int_eq(v->pending, 2);
	/* the late answer says vqd did admit ticket 5: not to be synced again */
	redeem_ok(&r, 0, 5, MS(10, 20) + 4000);
	ck_assert_int_eq(v->pending, 1);
	ck_assert_ptr_nonnull(traced(&r.f, "redeem late admit ticket=5"));
	/* vqd answered, so it is reachable: the rest is synced at once */
	gate_tick(r.g, MS(10, 20) + 4000);
	ck_assert_int_eq(v->mode, GATE_ONLINE);
	ck_assert_int_eq(r.f.nreq, 2);
	ck_assert_str_eq(r.f.svc[1], "svc/sync");
	cJSON *b = body(&r, 1);
	const cJSON *adm = cJSON_GetObjectItemCaseSensitive(b, "admissions");
	ck_assert_int_eq(cJSON_GetArraySize(adm), 1);
	ck_assert_str_eq(bstr(cJSON_GetArrayItem(adm, 0), "code"), code2);
	cJSON_Delete(b);
	rig_down(&r);
}
END_TEST

static void presence(struct rig *r, int online, int64_t now)
{
	feed(r->ss, r->g, "presence/vqd",
	     online ? "{\"v\":1,\"id\":\"vqd\",\"online\":true}"
	            : "{\"v\":1,\"id\":\"vqd\",\"online\":false}",
	     now);
	gate_tick(r->g, now);
}

START_TEST(test_state_offline_sync)
{
	struct rig r;
	rig_up(&r, 1, 0);
	const gate_view *v = gate_view_get(r.g);
	ck_assert_int_eq(v->mode, GATE_OFF_PRESENCE);
	char a[VQ_CODE_MAX], b2[VQ_CODE_MAX], early[VQ_CODE_MAX];
	std_code(&r.k, 5, a);
	std_code(&r.k, 6, b2);
	make_code(&r.k, "t", "coaster", 7, AT(12, 0), AT(13, 0), 0, 1, 7, early);
	scan(&r, a, MS(10, 20));
	ck_assert_int_eq(r.f.nreq, 0);
	ck_assert(v->verdict.admit && v->verdict.offline);
	gate_text tx;
	gate_verdict_text(&v->verdict, r.t, "en", r.ss, &tx);
	ck_assert_str_eq(tx.headline, "ADMIT");
	ck_assert_str_eq(tx.big, "Party: 2");
	ck_assert_ptr_nonnull(strstr(tx.detail, "C-005"));
	ck_assert_ptr_nonnull(strstr(tx.detail, "Gold"));
	ck_assert_ptr_nonnull(strstr(tx.note, "Offline"));
	/* the same code again, offline: this gate knows it let that ticket in */
	scan(&r, a, MS(10, 25));
	ck_assert(!v->verdict.admit && v->verdict.offline);
	ck_assert_int_eq(v->verdict.reason, GATE_R_USED);
	ck_assert_str_eq(v->verdict.used_gate, GATE_ID);
	ck_assert_ptr_nonnull(traced(&r.f, "verdict refuse reason=already_used gate=gate-1"));
	scan(&r, early, MS(10, 26));
	ck_assert_int_eq(v->verdict.reason, GATE_R_TOO_EARLY);
	scan(&r, b2, MS(10, 27));
	ck_assert(v->verdict.admit);
	ck_assert_int_eq(v->pending, 2);
	ck_assert_int_eq(v->counters.offline, 2);

	/* a restart while offline: the journal remembers */
	gate_free(r.g);
	gate_journal_free(r.j);
	rig_journal(&r);
	rig_gate(&r);
	v = gate_view_get(r.g);
	vq_bus_msg c = msg(VQ_BUS_CONNECTED, "", "");
	gate_on_msg(r.g, &c, MS(10, 30));
	gate_tick(r.g, MS(10, 30));
	ck_assert_int_eq(v->pending, 2);
	scan(&r, a, MS(10, 30));
	ck_assert_int_eq(v->verdict.reason, GATE_R_USED);

	/* vqd is back: one sync carries both, in the order they were made */
	presence(&r, 1, MS(10, 40));
	ck_assert_int_eq(r.f.nreq, 1);
	ck_assert_str_eq(r.f.svc[0], "svc/sync");
	cJSON *b = body(&r, 0);
	char rid[64];
	snprintf(rid, sizeof rid, "%s", bstr(b, "rid"));
	const cJSON *adm = cJSON_GetObjectItemCaseSensitive(b, "admissions");
	ck_assert_int_eq(cJSON_GetArraySize(adm), 2);
	ck_assert_str_eq(bstr(cJSON_GetArrayItem(adm, 0), "code"), a);
	ck_assert_str_eq(bstr(cJSON_GetArrayItem(adm, 1), "code"), b2);
	ck_assert_int_eq((int64_t)cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(adm, 0), "at")
	                     ->valuedouble,
	                 AT(10, 20));
	cJSON_Delete(b);
	ck_assert(gate_busy(r.g, MS(10, 40)));

	/* no answer: sent again later with the same rid */
	gate_tick(r.g, MS(10, 40) + 5000);
	ck_assert_ptr_nonnull(traced(&r.f, "no answer"));
	gate_tick(r.g, MS(10, 40) + 30000);
	ck_assert_int_eq(r.f.nreq, 2);
	b = body(&r, 1);
	ck_assert_str_eq(bstr(b, "rid"), rid);
	cJSON_Delete(b);
	/* vqd could not commit: again, same rid */
	reply(&r, 1, "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"storage\",\"message\":\"m\"}}",
	      MS(10, 41));
	ck_assert_ptr_nonnull(traced(&r.f, "sync retry"));
	gate_tick(r.g, MS(10, 41) + 2000);
	ck_assert_int_eq(r.f.nreq, 3);
	b = body(&r, 2);
	ck_assert_str_eq(bstr(b, "rid"), rid);
	cJSON_Delete(b);
	/* over the rate limit (refused unread, no rid): again, same rid, not before vqd's
	 * retry_after_ms, and nothing of the journal settled */
	reply(&r, 2,
	      "{\"v\":1,\"rid\":null,\"ok\":false,\"error\":{\"code\":\"rate_limited\","
	      "\"message\":\"m\",\"retry_after_ms\":9000}}",
	      MS(10, 41) + 2500);
	ck_assert_int_eq(v->pending, 2);
	gate_tick(r.g, MS(10, 41) + 8000);
	ck_assert_int_eq(r.f.nreq, 3);
	gate_tick(r.g, MS(10, 41) + 11500);
	ck_assert_int_eq(r.f.nreq, 4);
	b = body(&r, 3);
	ck_assert_str_eq(bstr(b, "rid"), rid);
	cJSON_Delete(b);
	/* answered: one fine, one that gate-2 had admitted first */
	reply(&r, 3,
	      "{\"v\":1,\"ok\":true,\"results\":[{\"ticket\":5,\"ok\":true},{\"ticket\":6,"
	      "\"ok\":false,\"error\":\"already_used\",\"conflict\":true,\"used_at\":1798797600,"
	      "\"used_gate\":\"gate-2\"}]}",
	      MS(10, 42));
	ck_assert_int_eq(v->pending, 0);
	ck_assert_ptr_nonnull(traced(&r.f, "sync ok ticket=5"));
	ck_assert_ptr_nonnull(traced(&r.f, "sync conflict ticket=6 first_gate=gate-2"));
	ck_assert_int_eq(v->counters.conflicts, 1);
	ck_assert_int_eq(v->notice.kind, GATE_NOTICE_CONFLICT);
	ck_assert_str_eq(v->notice.other_gate, "gate-2");
	ck_assert_str_eq(v->notice.number, "C-005"); /* numbers of the fixture codes */
	ck_assert_int_eq(r.f.cues[GATE_CUE_ALERT], 1);
	/* the late first answer repeats the same: nothing counted twice */
	reply(&r, 0,
	      "{\"v\":1,\"ok\":true,\"results\":[{\"ticket\":5,\"ok\":true},{\"ticket\":6,"
	      "\"ok\":false,\"error\":\"already_used\",\"conflict\":true,\"used_at\":1798797600,"
	      "\"used_gate\":\"gate-2\"}]}",
	      MS(10, 43));
	ck_assert_int_eq(v->counters.conflicts, 1);
	/* staff acknowledge the notice */
	tap_id(&r, "notice-ok", MS(10, 44));
	ck_assert_int_eq(v->notice.kind, GATE_NOTICE_NONE);
	ck_assert(!gate_busy(r.g, MS(10, 44)));

	/* and after another restart nothing is sent again */
	gate_free(r.g);
	gate_journal_free(r.j);
	rig_journal(&r);
	ck_assert_int_eq(gate_journal_pending(r.j), 0);
	rig_gate(&r);
	rig_down(&r);
}
END_TEST

START_TEST(test_state_sync_edge)
{
	struct rig r;
	rig_up(&r, 1, 0);
	const gate_view *v = gate_view_get(r.g);
	char a[VQ_CODE_MAX], b2[VQ_CODE_MAX], c3[VQ_CODE_MAX];
	std_code(&r.k, 5, a);
	std_code(&r.k, 6, b2);
	std_code(&r.k, 7, c3);
	scan(&r, a, MS(10, 20));
	scan(&r, b2, MS(10, 21));
	scan(&r, c3, MS(10, 22));
	/* sent but unanswered when the gate restarts: resent whole, with the same rid */
	presence(&r, 1, MS(10, 30));
	ck_assert_int_eq(r.f.nreq, 1);
	cJSON *b = body(&r, 0);
	char rid[64];
	snprintf(rid, sizeof rid, "%s", bstr(b, "rid"));
	cJSON_Delete(b);
	gate_free(r.g);
	gate_journal_free(r.j);
	rig_journal(&r);
	memset(&r.f, 0, sizeof r.f);
	rig_gate(&r);
	v = gate_view_get(r.g);
	vq_bus_msg c = msg(VQ_BUS_CONNECTED, "", "");
	gate_on_msg(r.g, &c, MS(10, 31));
	gate_tick(r.g, MS(10, 31));
	ck_assert_int_eq(r.f.nreq, 1);
	b = body(&r, 0);
	ck_assert_str_eq(bstr(b, "rid"), rid);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "admissions")), 3);
	cJSON_Delete(b);
	/* a conflict with ourselves is our own late redeem, not a second use; vqd may also
	 * refuse an admission (our clock was wrong): staff hear of it */
	reply(&r, 0,
	      "{\"v\":1,\"ok\":true,\"results\":[{\"ticket\":5,\"ok\":false,\"error\":"
	      "\"already_used\",\"conflict\":true,\"used_at\":1,\"used_gate\":\"" GATE_ID "\"},"
	      "{\"ticket\":6,\"ok\":false,\"error\":\"expired\"},{\"ok\":false,\"error\":"
	      "\"forged\"}]}",
	      MS(10, 32));
	ck_assert_int_eq(v->counters.conflicts, 0);
	ck_assert_int_eq(v->counters.sync_refused, 2);
	ck_assert_ptr_nonnull(traced(&r.f, "sync ok ticket=5"));
	ck_assert_ptr_nonnull(traced(&r.f, "sync refused ticket=6 reason=expired"));
	ck_assert_ptr_nonnull(traced(&r.f, "sync refused ticket=7 reason=forged"));
	ck_assert_int_eq(v->notice.kind, GATE_NOTICE_SYNC_REFUSED);
	ck_assert_int_eq(v->pending, 0);

	/* the first gate hears of a conflict from events/conflict */
	feed(r.ss, r.g, "events/conflict",
	     "{\"v\":1,\"attraction\":\"coaster\",\"ticket\":5,\"gate\":\"gate-2\",\"at\":1,"
	     "\"first_gate\":\"" GATE_ID "\",\"first_at\":1}",
	     MS(10, 33));
	ck_assert_int_eq(v->counters.conflicts, 1);
	ck_assert_ptr_nonnull(traced(&r.f, "conflict ticket=5 gate=gate-2 first_gate=gate-1"));
	ck_assert_str_eq(v->notice.number, "C-005");
	/* ... but not of one it reported itself, or of another attraction's */
	feed(r.ss, r.g, "events/conflict",
	     "{\"v\":1,\"attraction\":\"coaster\",\"ticket\":5,\"gate\":\"" GATE_ID "\",\"at\":1,"
	     "\"first_gate\":\"gate-2\",\"first_at\":1}",
	     MS(10, 34));
	feed(r.ss, r.g, "events/conflict",
	     "{\"v\":1,\"attraction\":\"flume\",\"ticket\":5,\"gate\":\"gate-2\",\"at\":1,"
	     "\"first_gate\":\"" GATE_ID "\",\"first_at\":1}",
	     MS(10, 34));
	ck_assert_int_eq(v->counters.conflicts, 1);

	/* the bus goes down: offline at once */
	vq_bus_msg d = msg(VQ_BUS_DISCONNECTED, "", "");
	gate_on_msg(r.g, &d, MS(10, 35));
	gate_tick(r.g, MS(10, 35));
	ck_assert_int_eq(v->mode, GATE_OFF_BUS);
	ck_assert_ptr_nonnull(traced(&r.f, "mode offline reason=bus"));
	rig_down(&r);
}
END_TEST

START_TEST(test_state_override)
{
	struct rig r;
	rig_up(&r, 1, 1);
	const gate_view *v = gate_view_get(r.g);
	char code[VQ_CODE_MAX];
	make_code(&r.k, "t", "coaster", 9, AT(14, 0), AT(15, 0), 0, 3, 9, code);
	scan(&r, code, MS(10, 20));
	reply(&r, 0,
	      "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"too_early\",\"from\":1798812900,"
	      "\"until\":1798817400}}",
	      MS(10, 20));
	ck_assert_int_eq(v->verdict.reason, GATE_R_TOO_EARLY);
	/* on a refusal the staff button admits this guest anyway */
	vq_button bs[16];
	int n = gate_buttons(r.g, bs, 16);
	ck_assert_int_eq(n, 2); /* the accessibility pass, then the override */
	ck_assert_str_eq(bs[0].id, "access");
	ck_assert_str_eq(bs[1].id, "override");
	ck_assert_str_eq(bs[1].label, "Admit anyway");
	tap_id(&r, "override", MS(10, 21));
	ck_assert_int_eq(v->screen, GATE_SCREEN_OVERRIDE);
	ck_assert_str_eq(v->ov_code, code);
	ck_assert_str_eq(v->ov_number, "C-009");
	n = gate_buttons(r.g, bs, 16);
	ck_assert_int_eq(n, 6); /* four reasons, the typed one, cancel */
	tap_id(&r, "ov-1", MS(10, 22));
	ck_assert_int_eq(r.f.nreq, 2);
	ck_assert_str_eq(r.f.svc[1], "svc/override");
	cJSON *b = body(&r, 1);
	ck_assert_str_eq(bstr(b, "reason"), "Ride was down at their time");
	ck_assert_str_eq(bstr(b, "code"), code);
	ck_assert_str_eq(bstr(b, "attraction"), "coaster");
	char rid[64];
	snprintf(rid, sizeof rid, "%s", bstr(b, "rid"));
	cJSON_Delete(b);
	ck_assert(v->verdict.admit && v->verdict.override && v->verdict.pending);
	ck_assert_int_eq(v->verdict.party, 3);
	ck_assert_int_eq(v->counters.overrides, 1);
	ck_assert_int_eq(v->counters.admitted, 1);
	ck_assert_ptr_nonnull(
	    traced(&r.f, "verdict admit ticket=9 number=C-009 offline=0 override=1"));
	reply(
	    &r, 1,
	    "{\"v\":1,\"ok\":true,\"admit\":true,\"ticket\":{\"id\":9,\"number\":\"C-009\","
	    "\"attraction\":\"coaster\",\"tier\":\"standard\",\"party\":3,\"state\":\"redeemed\"}}",
	    MS(10, 22));
	ck_assert(!v->verdict.pending);
	ck_assert_ptr_nonnull(traced(&r.f, "override recorded ticket=9"));
	ck_assert_int_eq(v->pending, 0);

	/* offline, from the ready screen, typed: kept until vqd is back, then sent as it was */
	gate_tick(r.g, MS(10, 30));
	presence(&r, 0, MS(10, 30));
	tap_id(&r, "override", MS(10, 31));
	ck_assert_str_eq(v->ov_code, "");
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_TEXT;
	snprintf(in.text, sizeof in.text, "код не читается");
	gate_update(r.g, &in, MS(10, 31));
	in.kind = VQ_IN_KEY;
	in.key = VQ_KEY_RETURN;
	gate_update(r.g, &in, MS(10, 31));
	ck_assert(v->verdict.admit && v->verdict.override && v->verdict.offline);
	ck_assert_int_eq(r.f.nreq, 2);
	ck_assert_int_eq(v->pending, 1);
	gate_text tx;
	gate_verdict_text(&v->verdict, r.t, "en", r.ss, &tx);
	ck_assert_ptr_nonnull(strstr(tx.extra, "when the server is back"));
	presence(&r, 1, MS(10, 40));
	ck_assert_int_eq(r.f.nreq, 3);
	b = body(&r, 2);
	ck_assert_str_eq(bstr(b, "reason"), "код не читается");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(b, "code"));
	ck_assert_str_ne(bstr(b, "rid"), rid);
	cJSON_Delete(b);
	reply(&r, 2, "{\"v\":1,\"ok\":true,\"admit\":true}", MS(10, 40));
	ck_assert_int_eq(v->pending, 0);
	/* cancel leaves the override screen without admitting */
	tap_id(&r, "override", MS(10, 50));
	tap_id(&r, "cancel", MS(10, 50));
	ck_assert_int_eq(v->screen, GATE_SCREEN_READY);
	ck_assert_int_eq(v->counters.overrides, 2);
	rig_down(&r);
}
END_TEST

/* Staff issue an accessibility return pass: the guest's card (a scan goes to the card, not
 * to admission), the party, svc/access; the pass shows like a ticket; a refusal says why;
 * offline nothing is asked; a retry after a timeout keeps its request id. */
START_TEST(test_state_access)
{
	struct rig r;
	rig_up(&r, 0, 1);
	const gate_view *v = gate_view_get(r.g);
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_KEY;
	in.key = SDLK_F3;
	gate_update(r.g, &in, MS(10, 1));
	ck_assert_int_eq(v->screen, GATE_SCREEN_ACCESS);
	vq_button bs[16];
	int n = gate_buttons(r.g, bs, 16);
	ck_assert_int_eq(n, 10);   /* 8 party sizes, issue, cancel */
	ck_assert(bs[8].disabled); /* no card yet */
	scan(&r, "4000123412341234", MS(10, 1));
	ck_assert_int_eq(v->screen, GATE_SCREEN_ACCESS);
	ck_assert_str_eq(v->entry, "4000123412341234");
	ck_assert_int_eq(r.f.nreq, 0);
	tap_id(&r, "acc-party-3", MS(10, 1));
	ck_assert_int_eq(v->acc_party, 3);
	tap_id(&r, "acc-issue", MS(10, 2));
	ck_assert_int_eq(r.f.nreq, 1);
	ck_assert_str_eq(r.f.svc[0], "svc/access");
	cJSON *b = body(&r, 0);
	ck_assert_str_eq(bstr(b, "card"), "4000123412341234");
	ck_assert_str_eq(bstr(b, "attraction"), "coaster");
	ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(b, "party")->valueint, 3);
	char rid[64];
	snprintf(rid, sizeof rid, "%s", bstr(b, "rid"));
	cJSON_Delete(b);
	ck_assert(v->acc_busy);
	/* no answer in time: asked again, the same rid */
	gate_tick(r.g, MS(10, 4));
	ck_assert(!v->acc_busy);
	ck_assert_str_eq(v->acc_error, "timeout");
	presence(&r, 1, MS(10, 5));
	gate_tick(r.g, MS(10, 5) + 20000);
	tap_id(&r, "acc-issue", MS(10, 5) + 20000);
	ck_assert_int_eq(r.f.nreq, 2);
	b = body(&r, 1);
	ck_assert_str_eq(bstr(b, "rid"), rid);
	cJSON_Delete(b);
	reply(&r, 1,
	      "{\"v\":1,\"ok\":true,\"standby_min\":35,\"margin_min\":10,\"ticket\":{\"id\":57,"
	      "\"number\":\"C-058\",\"attraction\":\"coaster\",\"tier\":\"standard\","
	      "\"party\":3,\"start\":1798799100,\"end\":1798837200,\"state\":\"issued\","
	      "\"kind\":\"access\",\"code\":\"VQ1:ABCDEFG234567\"}}",
	      MS(10, 6));
	ck_assert_int_eq(v->screen, GATE_SCREEN_PASS);
	ck_assert_str_eq(v->pass.number, "C-058");
	ck_assert_int_eq(v->pass.party, 3);
	ck_assert_str_eq(v->entry, ""); /* the card is not kept */
	ck_assert_ptr_nonnull(traced(&r.f, "access issued ticket=57 number=C-058"));
	vq_view *view = malloc(sizeof *view);
	gate_view_build(r.g, view);
	ck_assert(vq_view_has_text(view, "Accessibility pass"));
	ck_assert(vq_view_has_text(view, "C-058"));
	ck_assert(vq_view_has_text(view, "Return from 10:25, until 21:00"));
	int qr = 0;
	for (int i = 0; i < view->n; i++)
		qr |= view->el[i].kind == VQ_EL_QR &&
		      !strcmp(vq_el_text(view, &view->el[i]), "VQ1:ABCDEFG234567");
	ck_assert_msg(qr, "no QR of the pass");
	tap_id(&r, "acc-done", MS(10, 7));
	ck_assert_int_eq(v->screen, GATE_SCREEN_READY);

	/* refused: the pass the guest holds is named */
	tap_id(&r, "access", MS(10, 8));
	scan(&r, "4000123412341234", MS(10, 8));
	in.key = VQ_KEY_RETURN;
	gate_update(r.g, &in, MS(10, 8));
	ck_assert_int_eq(r.f.nreq, 3);
	reply(&r, 2,
	      "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"limit_reached\",\"held\":"
	      "[{\"id\":57,\"number\":\"C-058\"}]}}",
	      MS(10, 8));
	ck_assert_int_eq(v->screen, GATE_SCREEN_ACCESS);
	ck_assert_str_eq(v->acc_error, "limit_reached");
	gate_view_build(r.g, view);
	ck_assert(vq_view_has_text(view, "This guest already holds pass C-058"));
	/* offline: not asked at all */
	presence(&r, 0, MS(10, 9));
	tap_id(&r, "acc-issue", MS(10, 9));
	ck_assert_int_eq(r.f.nreq, 3);
	ck_assert_str_eq(v->acc_error, "offline");
	gate_view_build(r.g, view);
	ck_assert(vq_view_has_text(view, "Passes need the queue system"));
	tap_id(&r, "cancel", MS(10, 9));
	ck_assert_int_eq(v->screen, GATE_SCREEN_READY);
	free(view);
	rig_down(&r);
}
END_TEST

/* Retained messages come in any order: our attraction's state before the site's. */
START_TEST(test_state_retained_order)
{
	struct rig r;
	memset(&r, 0, sizeof r);
	make_keys(&r.k);
	r.t = load_i18n();
	r.config = load_site();
	ck_assert_int_eq(vq_sitestate_new(&r.ss), VQ_OK);
	rig_journal(&r);
	rig_gate(&r);
	char buf[4096];
	attr_json("open", 0, 0, 4, 1, 0, 12, 3, buf, sizeof buf);
	feed(r.ss, r.g, "state/coaster", buf, MS(10, 0));
	site_json(&r.k, buf, sizeof buf);
	feed(r.ss, r.g, "state/_site", buf, MS(10, 0));
	const vq_attr_view *a = vq_sitestate_find(r.ss, "coaster");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(vq_sitestate_attr_name(r.ss, a, vq_sitestate_lang(r.ss, "ru")),
	                 "Громовые горки");
	ck_assert_int_eq(a->merge_fast, 4);
	/* not heard until the bus is up and vqd's presence is known */
	gate_tick(r.g, MS(10, 0));
	ck_assert(!gate_view_get(r.g)->heard);
	vq_bus_msg c = msg(VQ_BUS_CONNECTED, "", "");
	gate_on_msg(r.g, &c, MS(10, 0));
	feed(r.ss, r.g, "presence/vqd", "{\"v\":1,\"id\":\"vqd\",\"online\":false}", MS(10, 0));
	gate_tick(r.g, MS(10, 0));
	ck_assert(gate_view_get(r.g)->heard);
	ck_assert_int_eq(gate_view_get(r.g)->mode, GATE_OFF_PRESENCE);
	rig_down(&r);
}
END_TEST

START_TEST(test_merge_text)
{
	vq_i18n *t = load_i18n();
	vq_attr_view a;
	memset(&a, 0, sizeof a);
	char ratio[256], backlog[256], phase[256];
	gate_merge_text(NULL, t, "en", ratio, backlog, phase, sizeof ratio);
	ck_assert_str_eq(ratio, "No merge guidance yet");
	a.known = a.has_merge = 1;
	a.merge_fast = 4;
	a.merge_standby = 1;
	a.backlog = 212;
	a.backlog_min = 17;
	gate_merge_text(&a, t, "en", ratio, backlog, phase, sizeof ratio);
	ck_assert_str_eq(ratio, "4 fast lane : 1 standby");
	ck_assert_str_eq(backlog, "Backlog: 212 guests (17 min)");
	ck_assert_str_eq(phase, "");
	a.merge_fast = 8;
	a.merge_phase = 1;
	gate_merge_text(&a, t, "en", ratio, backlog, phase, sizeof ratio);
	ck_assert_str_eq(ratio, "8 fast lane : 1 standby");
	ck_assert_str_eq(phase, "stepped up, phase 1");
	a.merge_standby = 0;
	a.merge_phase = 3;
	gate_merge_text(&a, t, "ru", ratio, backlog, phase, sizeof ratio);
	ck_assert_str_eq(ratio, "Только быстрая очередь");
	gate_merge_text(&a, t, "ro", ratio, backlog, phase, sizeof ratio);
	ck_assert_str_eq(ratio, "Doar banda rapidă");
	/* every language has every key, with the same placeholders */
	char err[256] = "";
	ck_assert_msg(vq_i18n_check(t, err, sizeof err) == VQ_OK, "%s", err);
	vq_i18n_free(t);
}
END_TEST

/* --- the screens, offscreen ------------------------------------------------------------ */

static vq_ui *open_ui(int w, int h)
{
	vq_ui_opts o = {.title = "test-gate", .width = w, .height = h};
	vq_ui *ui = NULL;
	char err[256] = "";
	int rc = vq_ui_new(&o, &ui, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "vq_ui_new: %s", err);
	return ui;
}

/* The share (0..100) of pixels in r that are exactly c. */
static int share_of(vq_ui *ui, vq_rect r, vq_color c)
{
	uint8_t *rgb = malloc((size_t)r.w * (size_t)r.h * 3);
	CHECK(rgb && vq_ui_read_rgb(ui, r, rgb) == VQ_OK, "cannot read the frame");
	long n = 0;
	for (long i = 0; i < (long)r.w * r.h; i++)
		n += rgb[i * 3] == c.r && rgb[i * 3 + 1] == c.g && rgb[i * 3 + 2] == c.b;
	free(rgb);
	return (int)(n * 100 / ((long)r.w * r.h));
}

/* Checks the screen's display list (every text fits without a broken word, inside the
 * frame, at 4.5:1 or more against what lies under it), renders it, and checks that the
 * main area is mostly bg (the override screen, mostly buttons, only at least a quarter).
 * VQ_GATE_SHOTS=DIR keeps a PNG of each for a look. */
static void render_check(struct rig *r, vq_ui *ui, vq_color bg, const char *what)
{
	int want = gate_view_get(r->g)->screen == GATE_SCREEN_OVERRIDE ? 25 : 50;
	vq_view *view = malloc(sizeof *view);
	ck_assert_ptr_nonnull(view);
	gate_view_build(r->g, view);
	vq_flaw flaws[4];
	int n = vq_view_check(ui, view, 4.5, flaws, 4);
	if (n != 0) {
		char line[512] = "?";
		if (n > 0)
			vq_flaw_describe(view, &flaws[0], 4.5, line, sizeof line);
		ck_abort_msg("%s (%s, %dx%d): %d flaws; first: %s", what, r->lang, vq_ui_width(ui),
		             vq_ui_height(ui), n, line);
	}
	free(view);
	int clipped = -1;
	CHECK(gate_render(r->g, ui, &clipped) == VQ_OK, "%s: render failed", what);
	CHECK(clipped == 0, "%s (%s): %d texts do not fit", what, r->lang, clipped);
	const char *dir = getenv("VQ_GATE_SHOTS");
	if (dir) {
		char path[1024], name[64];
		snprintf(name, sizeof name, "%s", what);
		for (char *c = name; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
				*c = '-';
		snprintf(path, sizeof path, "%s/%dx%d-%s-%s.png", dir, vq_ui_width(ui),
		         vq_ui_height(ui), r->lang, name);
		vq_ui_screenshot(ui, path);
	}
	gate_layout lay;
	gate_layout_get(r->g, &lay);
	int share = share_of(ui, lay.main, bg);
	if (share < want)
		ck_abort_msg("%s (%s): only %d%% of the main area in its colour", what, r->lang,
		             share);
}

/* A gate that has never reached the broker, and so has no keys, says after
 * GATE_UNREACHABLE_MS that it cannot check codes (amber), not "Connecting…" for ever;
 * keys from the site, or the bus back, end it. In every language and size. */
START_TEST(test_render_unreachable)
{
	static const char *const langs[] = {"en", "ru", "ro"};
	static const int sizes[][2] = {{1280, 800}, {800, 480}, {1920, 1080}};
	vq_ui *ui = open_ui(sizes[_i / 3][0], sizes[_i / 3][1]);
	struct rig r;
	memset(&r, 0, sizeof r);
	setenv("TZ", "UTC", 1);
	tzset();
	make_keys(&r.k);
	r.t = load_i18n();
	r.config = load_site();
	ck_assert_int_eq(vq_sitestate_new(&r.ss), VQ_OK);
	rig_journal(&r);
	r.lang = langs[_i % 3];
	r.w = sizes[_i / 3][0];
	r.h = sizes[_i / 3][1];
	rig_gate(&r);
	const gate_view *v = gate_view_get(r.g);
	gate_layout lay;

	int64_t t0 = MS(10, 0);
	gate_tick(r.g, t0);
	gate_tick(r.g, t0 + GATE_UNREACHABLE_MS - 1);
	CHECK(v->mode == GATE_OFF_BUS && !v->unreachable, "unreachable before its time");
	render_check(&r, ui, VQ_COL_WHITE, "connecting");
	gate_layout_get(r.g, &lay);
	CHECK(share_of(ui, lay.header, VQ_COL_WARN) == 0, "connecting is amber");

	gate_tick(r.g, t0 + GATE_UNREACHABLE_MS);
	CHECK(v->unreachable && gate_dirty(r.g), "not unreachable after %d ms",
	      GATE_UNREACHABLE_MS);
	render_check(&r, ui, VQ_COL_WHITE, "unreachable");
	CHECK(share_of(ui, lay.header, VQ_COL_WARN) > 0, "unreachable is not amber");

	/* the broker at last, and the site's keys: an ordinary gate */
	char buf[4096];
	int64_t t1 = t0 + 60000;
	vq_bus_msg c = msg(VQ_BUS_CONNECTED, "", "");
	gate_on_msg(r.g, &c, t1);
	gate_tick(r.g, t1);
	CHECK(!v->unreachable, "still unreachable on the bus");
	site_json(&r.k, buf, sizeof buf);
	feed(r.ss, r.g, "state/_site", buf, t1);
	/* lost again, with keys: offline, checking codes itself, not unreachable */
	vq_bus_msg d = msg(VQ_BUS_DISCONNECTED, "", "");
	gate_on_msg(r.g, &d, t1 + 1000);
	gate_tick(r.g, t1 + 1000 + 2 * GATE_UNREACHABLE_MS);
	CHECK(v->have_keys && !v->unreachable && v->mode == GATE_OFF_BUS,
	      "with keys the gate is offline, not unreachable");
	rig_down(&r);
	vq_ui_free(ui);
}
END_TEST

START_TEST(test_render_all)
{
	static const char *const langs[] = {"en", "ru", "ro"};
	/* the staff tablet's 1280 x 800, a 7-inch panel's 800 x 480, a full-HD screen */
	static const int sizes[][2] = {{1280, 800}, {800, 480}, {1920, 1080}};
	const char *lang = langs[_i % 3];
	vq_ui *ui = open_ui(sizes[_i / 3][0], sizes[_i / 3][1]);
	struct rig r;
	rig_up(&r, 0, 1);
	gate_free(r.g);
	r.lang = lang;
	r.w = sizes[_i / 3][0];
	r.h = sizes[_i / 3][1];
	rig_gate(&r);
	vq_bus_msg c = msg(VQ_BUS_CONNECTED, "", "");
	gate_on_msg(r.g, &c, MS(10, 0));
	gate_tick(r.g, MS(10, 0));
	const gate_view *v = gate_view_get(r.g);
	render_check(&r, ui, VQ_COL_WHITE, "ready");

	/* every refusal */
	static const char *const errors[] = {
	    "\"code\":\"too_early\",\"from\":1798713900,\"until\":1798718100",
	    "\"code\":\"expired\",\"from\":1798713900,\"until\":1798718100",
	    "\"code\":\"already_used\",\"used_at\":1798712400,\"used_gate\":\"gate-2\"",
	    "\"code\":\"forged\"",
	    "\"code\":\"unknown_key\"",
	    "\"code\":\"wrong_attraction\",\"ticket_attraction\":\"flume\"",
	    "\"code\":\"closed\"",
	    "\"code\":\"cancelled\"",
	    "\"code\":\"unknown_ticket\"",
	    "\"code\":\"not_operating\""};
	/* a barcode that is not ours, decided at once */
	scan(&r, "12345678", MS(10, 19));
	render_check(&r, ui, VQ_COL_ERROR, "not a ticket");
	char code[VQ_CODE_MAX], buf[1024];
	int64_t now = MS(10, 20);
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++, now += 60000) {
		std_code(&r.k, 200 + i, code);
		scan(&r, code, now);
		if (i == 0)
			render_check(&r, ui, VQ_COL_LIGHT, "checking");
		snprintf(buf, sizeof buf, "{\"v\":1,\"ok\":false,\"error\":{%s}}", errors[i]);
		reply(&r, r.f.nreq - 1, buf, now);
		render_check(&r, ui, VQ_COL_ERROR, errors[i]);
	}
	/* admitted online, an any-time pass, by override */
	std_code(&r.k, 300, code);
	scan(&r, code, now);
	redeem_ok(&r, r.f.nreq - 1, 300, now);
	render_check(&r, ui, VQ_COL_OK, "admit");
	tap_id(&r, "override", now + 1000);
	render_check(&r, ui, VQ_COL_WHITE, "override screen");
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_TEXT;
	snprintf(in.text, sizeof in.text, "a long reason typed by a member of staff, in words");
	gate_update(r.g, &in, now + 1000);
	render_check(&r, ui, VQ_COL_WHITE, "override typed");
	tap_id(&r, "ov-3", now + 2000);
	render_check(&r, ui, VQ_COL_OK, "override admit");
	now += 60000;

	/* an accessibility pass: the card and party, a refusal, the pass itself */
	tap_id(&r, "access", now);
	render_check(&r, ui, VQ_COL_WHITE, "access screen");
	scan(&r, "4000123412341234", now);
	tap_id(&r, "acc-party-4", now);
	tap_id(&r, "acc-issue", now);
	reply(&r, r.f.nreq - 1,
	      "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"limit_reached\",\"held\":"
	      "[{\"id\":57,\"number\":\"C-058\"}]}}",
	      now);
	render_check(&r, ui, VQ_COL_WHITE, "access refused");
	tap_id(&r, "acc-issue", now);
	reply(&r, r.f.nreq - 1,
	      "{\"v\":1,\"ok\":true,\"ticket\":{\"id\":58,\"number\":\"C-059\","
	      "\"attraction\":\"coaster\",\"party\":4,\"start\":1798799100,\"end\":1798837200,"
	      "\"kind\":\"access\",\"code\":\"VQ1:ABCDEFG234567ABCDEFG234567ABCDEFG234567\"}}",
	      now);
	ck_assert_int_eq(v->screen, GATE_SCREEN_PASS);
	render_check(&r, ui, VQ_COL_PRIMARY, "access pass");
	tap_id(&r, "acc-done", now);
	now += 60000;

	/* offline: the amber strip, a refusal decided alone, and a conflict to acknowledge */
	presence(&r, 0, now);
	std_code(&r.k, 301, code);
	scan(&r, code, now);
	ck_assert(v->verdict.offline);
	render_check(&r, ui, VQ_COL_OK, "offline admit");
	scan(&r, code, now + 5000);
	ck_assert(!v->verdict.admit);
	render_check(&r, ui, VQ_COL_ERROR, "offline refuse");
	feed(r.ss, r.g, "events/conflict",
	     "{\"v\":1,\"attraction\":\"coaster\",\"ticket\":301,\"gate\":\"gate-2\",\"at\":1,"
	     "\"first_gate\":\"" GATE_ID "\",\"first_at\":1}",
	     now);
	ck_assert_int_eq(v->notice.kind, GATE_NOTICE_CONFLICT);
	render_check(&r, ui, VQ_COL_ERROR, "conflict banner");
	/* a closure and a reopening: any-time passes */
	attr_json("open", AT(10, 0), AT(12, 0), 8, 1, 1, 250, 20, buf, sizeof buf);
	feed(r.ss, r.g, "state/coaster", buf, now);
	std_code(&r.k, 302, code);
	scan(&r, code, MS(12, 30));
	ck_assert(v->verdict.admit && v->verdict.anytime);
	render_check(&r, ui, VQ_COL_OK, "anytime");
	gate_text tx;
	gate_verdict_text(&v->verdict, r.t, lang, r.ss, &tx);
	ck_assert_str_eq(tx.extra, vq_i18n_get(r.t, lang, "gate_anytime_admit"));
	ck_assert_int_ne(tx.note[0], '\0');
	gate_tick(r.g, MS(12, 40));
	render_check(&r, ui, VQ_COL_WHITE, "ready with counters");
	rig_down(&r);
	vq_ui_free(ui);
}
END_TEST

/* A full disk: the gate cannot write its journal, so it cannot remember an offline
 * admission or an override, and it shows neither as admitted. Staff see a red verdict
 * that says why and what to do; once the disk has room, the gate admits again. Writes
 * happen under a lowered RLIMIT_FSIZE (no Check assertion until it is lifted: Check
 * writes each one to a file of its own). */
START_TEST(test_state_journal_full)
{
	static const char *const langs[] = {"en", "ru", "ro"};
	struct rig r;
	rig_up(&r, 1, 0);
	gate_free(r.g);
	r.lang = langs[_i];
	rig_gate(&r);
	gate_tick(r.g, MS(10, 0));
	const gate_view *v = gate_view_get(r.g);
	char code[VQ_CODE_MAX];
	std_code(&r.k, 5, code);
	signal(SIGXFSZ, SIG_IGN);
	struct stat st;
	ck_assert_int_eq(stat(r.jpath, &st), 0);
	struct rlimit rl, full;
	getrlimit(RLIMIT_FSIZE, &rl);
	full = rl;
	full.rlim_cur = (rlim_t)st.st_size + 16;
	setrlimit(RLIMIT_FSIZE, &full);
	scan(&r, code, MS(10, 20));
	gate_verdict scanned = v->verdict;
	int notice = v->notice.kind, pending = v->pending, admitted = v->counters.admitted;
	tap_id(&r, "override", MS(10, 21));
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_TEXT;
	snprintf(in.text, sizeof in.text, "guest assistance");
	gate_update(r.g, &in, MS(10, 21));
	in.kind = VQ_IN_KEY;
	in.key = VQ_KEY_RETURN;
	gate_update(r.g, &in, MS(10, 21));
	gate_verdict overridden = v->verdict;
	int admitted2 = v->counters.admitted, pending2 = v->pending;
	setrlimit(RLIMIT_FSIZE, &rl);

	ck_assert(!scanned.admit && scanned.offline);
	ck_assert_int_eq(scanned.reason, GATE_R_CANNOT_RECORD);
	ck_assert_int_eq(notice, GATE_NOTICE_JOURNAL);
	ck_assert_int_eq(pending, 0);
	ck_assert_int_eq(admitted, 0);
	ck_assert_ptr_nonnull(traced(&r.f, "verdict refuse reason=cannot_record"));
	ck_assert(!overridden.admit && !overridden.override);
	ck_assert_int_eq(overridden.reason, GATE_R_CANNOT_RECORD);
	ck_assert_int_eq(admitted2, 0);
	ck_assert_int_eq(pending2, 0);
	ck_assert_int_eq(gate_journal_count(r.j), 0);
	gate_text tx;
	gate_verdict_text(&v->verdict, r.t, r.lang, r.ss, &tx);
	ck_assert_str_eq(tx.big, vq_i18n_get(r.t, r.lang, "gate_cannot_record"));
	vq_ui *ui = open_ui(1280, 800);
	render_check(&r, ui, VQ_COL_ERROR, "journal full");
	vq_ui_free(ui);

	/* room again: the same code is admitted, and remembered */
	scan(&r, code, MS(10, 30));
	ck_assert(v->verdict.admit && v->verdict.offline);
	ck_assert_int_eq(v->pending, 1);
	ck_assert_int_eq(gate_journal_count(r.j), 1);
	rig_down(&r);
}
END_TEST

/* --- end to end: the program, a real broker, a real vqd -------------------------------- */

static vqs_site *site;
/* The gate's --clock-start: NULL for where the default site's vqd starts. */
static const char *gate_clock;

static void e2e_setup(void)
{
	site = NULL;
	gate_clock = NULL;
}

static void e2e_teardown(void)
{
	vqs_free(site);
	site = NULL;
}

static char *slurp(const char *path)
{
	size_t len = 0;
	char *s = tu_read_file(path, &len);
	return s ? s : strdup("");
}

struct run {
	int status;
	char out[600], err[600];
	char *trace; /* stdout */
};

/* The online test runs with sound (SDL_AUDIODRIVER=dummy in ctest), the rest muted. */
static int run_muted = 1;

static void run_free(struct run *r)
{
	free(r->trace);
	r->trace = NULL;
}

/* Runs vq-gate as account user with a script, on the site's broker (or broker_override),
 * its clock starting where vqd's starts, virtual. With no script it runs on its own clock
 * with --frames 10 --screenshot <dir>/<tag>.png and no input at all. */
static void run_gate(const char *user, const char *script_text, const char *broker_override,
                     const char *tag, struct run *r)
{
	memset(r, 0, sizeof *r);
	const char *dir = vqs_dir(site);
	char script[600], journal[600], cache[600], broker[64], clock[32], assets[600], exe[600];
	snprintf(script, sizeof script, "%s/%s.script", dir, tag);
	snprintf(journal, sizeof journal, "%s/%s.journal", dir, user);
	snprintf(cache, sizeof cache, "%s/%s.site.json", dir, user);
	snprintf(r->out, sizeof r->out, "%s/%s.out", dir, tag);
	snprintf(r->err, sizeof r->err, "%s/%s.err", dir, tag);
	snprintf(broker, sizeof broker, "127.0.0.1:%d", vqs_port(site));
	if (gate_clock)
		snprintf(clock, sizeof clock, "%s", gate_clock);
	else
		snprintf(clock, sizeof clock, "%lld", (long long)VQS_CLOCK_START);
	snprintf(assets, sizeof assets, "%s", tu_src("assets"));
	const char *bin = getenv("VQ_BINARY_DIR");
	ck_assert_ptr_nonnull(bin);
	snprintf(exe, sizeof exe, "%s/gate/vq-gate", bin);
	char shot[600];
	snprintf(shot, sizeof shot, "%s/%s.png", dir, tag);
	if (script_text) {
		FILE *f = fopen(script, "w");
		ck_assert_ptr_nonnull(f);
		fputs(script_text, f);
		fclose(f);
	}
	const char *argv[] = {exe,
	                      "--attraction",
	                      "coaster",
	                      "--site",
	                      VQS_SITE,
	                      "--user",
	                      user,
	                      "--credentials",
	                      vqs_credentials(site),
	                      "--broker",
	                      broker_override ? broker_override : broker,
	                      "--journal",
	                      journal,
	                      "--site-cache",
	                      cache,
	                      "--site-config",
	                      vqs_config_path(site),
	                      "--assets",
	                      assets,
	                      "--clock-start",
	                      clock,
	                      "--trace",
	                      NULL,
	                      NULL,
	                      NULL,
	                      NULL,
	                      NULL,
	                      NULL};
	size_t n = sizeof argv / sizeof argv[0] - 6;
	if (script_text) {
		argv[n++] = "--script";
		argv[n++] = script;
		argv[n++] = "--virtual-clock";
	} else {
		argv[n++] = "--frames";
		argv[n++] = "10";
		argv[n++] = "--screenshot";
		argv[n++] = shot;
	}
	if (run_muted)
		argv[n++] = "--mute";
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int out = open(r->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(r->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (out < 0 || err < 0)
			_exit(126);
		dup2(out, 1);
		dup2(err, 2);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = 0;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > RUN_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			char *e = slurp(r->err);
			ck_abort_msg("vq-gate %s did not finish; stderr:\n%s", tag, e);
		}
		struct timespec nap = {0, 20 * 1000000};
		nanosleep(&nap, NULL);
	}
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->trace = slurp(r->out);
	if (r->status != 0) {
		char *e = slurp(r->err);
		vqs_dump_log(site, false);
		ck_abort_msg("vq-gate %s exited %d; stdout:\n%s\nstderr:\n%s", tag, r->status,
		             r->trace, e);
	}
}

static void expect_trace(const struct run *r, const char *want, const char *tag)
{
	if (!strstr(r->trace, want)) {
		char *e = slurp(r->err);
		vqs_dump_log(site, false);
		ck_abort_msg("%s: no \"%s\" in the trace:\n%s\nstderr:\n%s", tag, want, r->trace,
		             e);
	}
}

static void expect_no_trace(const struct run *r, const char *unwanted, const char *tag)
{
	CHECK(!strstr(r->trace, unwanted), "%s: \"%s\" in the trace:\n%s", tag, unwanted, r->trace);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The most frequent colour of a PNG, as 0xRRGGBB. */
static uint32_t dominant(const char *path)
{
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	ck_assert_msg(png_image_begin_read_from_file(&img, path), "%s: %s", path, img.message);
	img.format = PNG_FORMAT_RGB;
	size_t n = (size_t)img.width * img.height;
	uint8_t *rgb = malloc(PNG_IMAGE_SIZE(img));
	uint32_t *px = malloc(n * sizeof *px);
	ck_assert(rgb && px);
	ck_assert_msg(png_image_finish_read(&img, NULL, rgb, 0, NULL), "%s: %s", path, img.message);
	for (size_t i = 0; i < n; i++)
		px[i] = (uint32_t)rgb[i * 3] << 16 | (uint32_t)rgb[i * 3 + 1] << 8 | rgb[i * 3 + 2];
	qsort(px, n, sizeof *px, cmp_u32);
	uint32_t best = 0;
	size_t best_n = 0;
	for (size_t i = 0; i < n;) {
		size_t k = i;
		while (k < n && px[k] == px[i])
			k++;
		if (k - i > best_n) {
			best_n = k - i;
			best = px[i];
		}
		i = k;
	}
	free(rgb);
	free(px);
	return best;
}

static uint32_t rgb_of(vq_color c)
{
	return (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
}

static void expect_colour(const char *path, vq_color c, const char *what)
{
	uint32_t d = dominant(path);
	CHECK(d == rgb_of(c), "%s: %s is mostly #%06x, not #%06x", what, path, d, rgb_of(c));
}

/* Issues a ticket as kiosk-1; returns its id and writes its code. */
static int64_t issue(vq_bus *kiosk, const char *rid, const char *attr, char *code)
{
	cJSON *r = vqs_callf(kiosk, "svc/issue",
	                     "{\"v\":1,\"rid\":\"%s\",\"card\":\"card-%s\",\"attraction\":\"%s\","
	                     "\"party\":2}",
	                     rid, rid, attr);
	CHECK(r && vqs_ok(r), "issue %s refused", rid);
	int64_t id = 0;
	CHECK(vqs_int(r, "ticket.id", &id), "issue: no ticket id");
	const char *c = vqs_str(r, "ticket.code");
	CHECK(c != NULL, "issue: no code");
	snprintf(code, VQ_CODE_MAX, "%s", c);
	cJSON_Delete(r);
	return id;
}

static void up(void)
{
	int rc = vqs_start(NULL, &site);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
}

/* Copies a screenshot to $VQ_GATE_SCREENSHOTS (tools/screenshots-gate) if that is set. */
static void keep_screenshot(const char *path, const char *name)
{
	const char *dir = getenv("VQ_GATE_SCREENSHOTS");
	if (!dir || !*dir)
		return;
	char dst[700];
	snprintf(dst, sizeof dst, "%s/%s", dir, name);
	size_t len = 0;
	char *data = tu_read_file(path, &len);
	FILE *f = data ? fopen(dst, "wb") : NULL;
	CHECK(f && fwrite(data, 1, len, f) == len, "cannot write %s", dst);
	fclose(f);
	free(data);
}

/* --frames N ends a capture after N frames shown even when nothing changes (the gate
 * redraws on its own once a minute at most), and not before the park's state is in. */
START_TEST(test_e2e_frames)
{
	up();
	struct run r;
	run_gate("gate-1", NULL, NULL, "frames", &r);
	char path[700];
	snprintf(path, sizeof path, "%s/frames.png", vqs_dir(site));
	CHECK(dominant(path) != 0, "no screenshot %s", path);
	snprintf(path, sizeof path, "%s/gate-1.site.json", vqs_dir(site));
	char *cache = slurp(path);
	CHECK(strstr(cache, "\"attractions\"") != NULL,
	      "the gate quit before the park's state was in (site cache: %s)", cache);
	free(cache);
	run_free(&r);
}
END_TEST

START_TEST(test_e2e_online)
{
	run_muted = 0;
	up();
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(kiosk != NULL, "no kiosk bus");
	char code[VQ_CODE_MAX], late[VQ_CODE_MAX], forged[VQ_CODE_MAX];
	int64_t id = issue(kiosk, "e2e-a", "coaster", code);
	int64_t late_id = issue(kiosk, "e2e-late", "late", late);
	vq_bus_free(kiosk);
	snprintf(forged, sizeof forged, "%s", code);
	size_t mid = strlen(forged) / 2;
	forged[mid] = forged[mid] == 'A' ? 'B' : 'A';

	const char *dir = vqs_dir(site);
	char script[4096];
	/* the ticket for "late" at coaster's gate: refused, and admitted by override */
	snprintf(script, sizeof script,
	         "# admit once, then refuse as used, then a forged code; then an override\n"
	         "scan %s\n"
	         "screenshot %s/admit.png\n"
	         "wait 3000\n"
	         "scan %s\n"
	         "screenshot %s/refuse.png\n"
	         "wait 3000\n"
	         "scan %s\n"
	         "screenshot %s/forged.png\n"
	         "wait 3000\n"
	         "scan %s\n"
	         "tap_id override\n"
	         "screenshot %s/override.png\n"
	         "tap_id ov-1\n"
	         "screenshot %s/override-admit.png\n",
	         code, dir, code, dir, forged, dir, late, dir, dir);
	struct run r;
	run_gate("gate-1", script, NULL, "online", &r);
	char want[160];
	snprintf(want, sizeof want, "verdict admit ticket=%lld number=C-", (long long)id);
	expect_trace(&r, want, "first scan");
	expect_trace(&r, "offline=0", "first scan");
	expect_trace(&r, "verdict refuse reason=already_used gate=gate-1", "second scan");
	expect_trace(&r, "verdict refuse reason=forged", "forged code");
	expect_trace(&r, "verdict refuse reason=wrong_attraction attraction=late", "late ticket");
	snprintf(want, sizeof want, "override recorded ticket=%lld", (long long)late_id);
	expect_trace(&r, want, "override");
	expect_no_trace(&r, "offline=1", "online run");

	char path[700];
	snprintf(path, sizeof path, "%s/admit.png", dir);
	expect_colour(path, VQ_COL_OK, "admit");
	keep_screenshot(path, "gate-admit.png");
	snprintf(path, sizeof path, "%s/refuse.png", dir);
	expect_colour(path, VQ_COL_ERROR, "already used");
	keep_screenshot(path, "gate-refuse.png");
	snprintf(path, sizeof path, "%s/forged.png", dir);
	expect_colour(path, VQ_COL_ERROR, "forged");
	snprintf(path, sizeof path, "%s/override-admit.png", dir);
	expect_colour(path, VQ_COL_OK, "override");

	/* vqd's record: one redemption each, and the override in the audit log */
	int64_t n = -1;
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM redemptions WHERE ticket = %lld",
	         (long long)id);
	CHECK(vqs_db_int(site, sql, &n) == VQ_OK && n == 1, "%lld redemptions of %lld",
	      (long long)n, (long long)id);
	CHECK(vqs_db_int(site,
	                 "SELECT count(*) FROM audit WHERE action = 'override' AND actor = "
	                 "'gate-1' AND detail LIKE '%Ride was down%'",
	                 &n) == VQ_OK &&
	          n == 1,
	      "%lld overrides audited", (long long)n);
	run_free(&r);
}
END_TEST

/* The retained journal/<gate> an operator reads: how many entries the gate still owes vqd
 * (its count when it last could say), or -1 if none came. */
static int64_t journal_unsynced(const char *account, int64_t *oldest)
{
	char topic[64];
	snprintf(topic, sizeof topic, "journal/%s", account);
	vq_bus *ops = vqs_bus(site, "ops-1", (const char *const[]){topic, NULL});
	CHECK(ops != NULL, "no operator bus");
	cJSON *j = vqs_wait_json(ops, topic, NULL, NULL, 3000);
	vq_bus_free(ops);
	int64_t n = -1, updated = 0;
	*oldest = -1;
	if (!j)
		return n;
	const char *g = vqs_str(j, "gate"), *a = vqs_str(j, "attraction");
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "oldest");
	int ok = g && !strcmp(g, account) && a && !strcmp(a, "coaster") &&
	         vqs_int(j, "unsynced", &n) && vqs_int(j, "updated", &updated) &&
	         (cJSON_IsNull(o) || cJSON_IsNumber(o));
	if (cJSON_IsNumber(o))
		*oldest = (int64_t)o->valuedouble;
	cJSON_Delete(j);
	CHECK(ok, "%s: not what protocol.md says", topic);
	return n;
}

START_TEST(test_e2e_offline_conflict)
{
	up();
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(kiosk != NULL, "no kiosk bus");
	char code[VQ_CODE_MAX];
	int64_t id = issue(kiosk, "e2e-off", "coaster", code);
	vq_bus_free(kiosk);
	const char *dir = vqs_dir(site);
	char script[2048], want[160];
	struct run r;

	/* gate-2 meets vqd once: it keeps the site (and its keys) for later */
	run_gate("gate-2", "wait 100\n", NULL, "g2-online", &r);
	expect_trace(&r, "mode online", "gate-2 first start");
	run_free(&r);

	ck_assert_int_eq(vqs_vqd_stop(site, NULL), VQ_OK);

	/* gate-1: vqd is away (its presence says so); the same ticket twice */
	snprintf(script, sizeof script,
	         "scan %s\nscreenshot %s/offline-admit.png\nwait 3000\nscan %s\n"
	         "screenshot %s/offline-refuse.png\n",
	         code, dir, code, dir);
	run_gate("gate-1", script, NULL, "g1-offline", &r);
	snprintf(want, sizeof want, "verdict admit ticket=%lld number=C-", (long long)id);
	expect_trace(&r, want, "gate-1 offline");
	expect_trace(&r, "offline=1", "gate-1 offline");
	expect_trace(&r, "verdict refuse reason=already_used gate=gate-1", "gate-1 second scan");
	char path[700];
	snprintf(path, sizeof path, "%s/offline-admit.png", dir);
	expect_colour(path, VQ_COL_OK, "offline admit");
	snprintf(path, sizeof path, "%s/offline-refuse.png", dir);
	expect_colour(path, VQ_COL_ERROR, "offline refuse");
	run_free(&r);
	/* what the operators' console is told: one admission vqd has not heard of, since */
	int64_t oldest = 0, unsynced = journal_unsynced("gate-1", &oldest);
	CHECK(unsynced == 1 && oldest >= VQS_CLOCK_START && oldest < VQS_CLOCK_START + 60,
	      "journal/gate-1 while vqd is away: %lld unsynced since %lld", (long long)unsynced,
	      (long long)oldest);

	/* gate-2 restarted with no broker at all: the cached keys still verify */
	snprintf(script, sizeof script, "scan %s\n", code);
	run_gate("gate-2", script, "127.0.0.1:1", "g2-offline", &r);
	expect_trace(&r, want, "gate-2 offline");
	expect_trace(&r, "offline=1", "gate-2 offline");
	expect_trace(&r, "mode offline reason=bus", "gate-2 offline");
	run_free(&r);

	/* vqd is back: both gates sync; the second one learns of the conflict */
	ck_assert_int_eq(vqs_vqd_start(site), VQ_OK);
	run_gate("gate-1", "wait 100\n", NULL, "g1-sync", &r);
	snprintf(want, sizeof want, "sync ok ticket=%lld", (long long)id);
	expect_trace(&r, want, "gate-1 sync");
	run_free(&r);
	unsynced = journal_unsynced("gate-1", &oldest);
	CHECK(unsynced == 0 && oldest == -1, "journal/gate-1 after its sync: %lld since %lld",
	      (long long)unsynced, (long long)oldest);
	run_gate("gate-2", "wait 100\n", NULL, "g2-sync", &r);
	snprintf(want, sizeof want, "sync conflict ticket=%lld first_gate=gate-1", (long long)id);
	expect_trace(&r, want, "gate-2 sync");
	run_free(&r);
	/* once synced, a restart sends nothing again */
	run_gate("gate-2", "wait 100\n", NULL, "g2-again", &r);
	expect_no_trace(&r, "sync sent", "gate-2 again");
	run_free(&r);

	int64_t n = -1;
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM redemptions WHERE ticket = %lld",
	         (long long)id);
	CHECK(vqs_db_int(site, sql, &n) == VQ_OK && n == 1, "%lld redemptions", (long long)n);
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM redemptions WHERE ticket = %lld AND offline = 1 AND gate = "
	         "'gate-1'",
	         (long long)id);
	CHECK(vqs_db_int(site, sql, &n) == VQ_OK && n == 1, "not gate-1's offline redemption");
}
END_TEST

/* A gate's saved site (--site-cache) is its own file, but not to be trusted either: one
 * whose parts have the wrong shape (an array where an object belongs) still starts the
 * gate, which ignores those parts, says so, and verifies with the keys that are sound;
 * one that is not JSON at all is ignored. */
START_TEST(test_e2e_corrupt_cache)
{
	up();
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(kiosk != NULL, "no kiosk bus");
	char code[VQ_CODE_MAX], want[160], path[700];
	int64_t id = issue(kiosk, "e2e-cache", "coaster", code);
	vq_bus_free(kiosk);
	struct run r;
	run_gate("gate-2", "wait 100\n", NULL, "g2-online", &r);
	run_free(&r);

	snprintf(path, sizeof path, "%s/gate-2.site.json", vqs_dir(site));
	char *text = tu_read_file(path, NULL);
	CHECK(text != NULL, "gate-2 saved no site");
	cJSON *saved = cJSON_Parse(text);
	free(text);
	CHECK(cJSON_IsObject(saved), "the saved site is not JSON");
	cJSON *tier = cJSON_GetArrayItem(cJSON_GetObjectItem(saved, "tiers"), 0);
	cJSON_ReplaceItemInObject(tier, "names", cJSON_CreateStringArray((const char *[]){"x"}, 1));
	cJSON_AddItemToArray(cJSON_GetObjectItem(saved, "keys"), cJSON_CreateNumber(7));
	cJSON_ReplaceItemInObject(saved, "name", cJSON_CreateArray());
	text = cJSON_PrintUnformatted(saved);
	cJSON_Delete(saved);
	FILE *f = fopen(path, "w");
	CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
	free(text);

	char script[512];
	snprintf(script, sizeof script, "scan %s\n", code);
	run_gate("gate-2", script, "127.0.0.1:1", "g2-corrupt", &r);
	snprintf(want, sizeof want, "verdict admit ticket=%lld", (long long)id);
	expect_trace(&r, want, "a gate started from a damaged cache");
	char *err = slurp(r.err);
	CHECK(strstr(err, "vq-gate: state/_site: names: wrong type (expected object); ignored") &&
	          strstr(err, "keys: an item of the wrong type"),
	      "stderr does not name what was ignored:\n%s", err);
	free(err);
	run_free(&r);

	f = fopen(path, "w");
	CHECK(f && fputs("\x01\x02{\"names\":", f) >= 0 && fclose(f) == 0, "cannot write %s", path);
	run_gate("gate-2", script, "127.0.0.1:1", "g2-garbage", &r);
	expect_trace(&r, "verdict refuse reason=no_keys", "a gate started from a garbage cache");
	err = slurp(r.err);
	CHECK(strstr(err, "unreadable; ignored"), "stderr:\n%s", err);
	free(err);
	run_free(&r);
}
END_TEST

/* --- the clocks change (issue 9) ----------------------------------------------------- */

/* A site in zone whose coaster runs all day in 30-minute slots, admitted from 30 minutes
 * before a window to 5 after it. */
static void dst_site(const char *zone, char *out, size_t n)
{
	snprintf(
	    out, n,
	    "{\"version\":1,\"id\":\"" VQS_SITE "\",\"name\":\"Test Park\",\"timezone\":\"%s\","
	    "\"languages\":[\"en\"],\"min_lead_min\":0,\"unknown_cards\":\"standard\","
	    "\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":\"Standard\"},\"protect_pct\":0,"
	    "\"release_min\":0,\"max_passes\":9,\"horizon_min\":1440,\"late_grace_min\":0}],"
	    "\"attractions\":[{\"id\":\"coaster\",\"prefix\":\"C\",\"kind\":\"ride\","
	    "\"names\":{\"en\":\"Coaster\"},\"throughput_per_hour\":600,\"fast_share_pct\":50,"
	    "\"slot_min\":30,\"window_min\":30,\"open\":\"00:00\",\"close\":\"24:00\","
	    "\"early_grace_min\":30,\"late_grace_min\":5,\"max_party\":8}]}",
	    zone);
}

/* One zone's two changes of 2027, and what its screens must say around them. */
struct dst_case {
	const char *zone;
	int64_t spring, autumn; /* the instants the clocks change */
	const char *spring_day, *autumn_day;
	/* the gate's trace: online 5 min after the spring change (a ticket taken 20 min
	 * before it), offline at 35 (one taken 5 min after it) */
	const char *spring_online, *spring_offline;
	/* online 5 min after the autumn change: a ticket for the slot after it admits; one
	 * taken 50 min before the change (the first pass of the wall times shown twice) is
	 * over, online and offline (at 35 min) */
	const char *autumn_admit, *autumn_first, *autumn_online_at, *autumn_offline_at;
};

static void iso(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* (Re)starts vqd at instant t of the demo clock. */
static void vqd_at(int64_t t)
{
	char c[32];
	iso(t, c);
	vqs_set_clock(site, c, NULL);
	if (vqs_vqd_alive(site))
		CHECK(vqs_vqd_stop(site, NULL) == VQ_OK, "vqd did not stop");
	CHECK(vqs_vqd_start(site) == VQ_OK, "vqd did not start at %s", c);
}

static void gate_at(int64_t t, char clock[32])
{
	iso(t, clock);
	gate_clock = clock;
}

static void run_dst(const struct dst_case *k)
{
	char config[2048], want[256], script[1024], clock[32];
	dst_site(k->zone, config, sizeof config);
	vqs_opts o = {.config = config, .no_vqd = true};
	ck_assert_int_eq(vqs_start(&o, &site), VQ_OK);
	vq_bus *kiosk = NULL;
	char before[VQ_CODE_MAX], after[VQ_CODE_MAX], first[VQ_CODE_MAX], second[VQ_CODE_MAX];
	struct run r;

	/* spring: a ticket 20 min before the change gets the slot at the change; vqd
	 * restarted after it loads the 23-hour day and goes on */
	vqd_at(k->spring - 20 * 60);
	kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(kiosk != NULL, "no kiosk bus");
	int64_t a1 = issue(kiosk, "s-before", "coaster", before);
	vq_bus_free(kiosk);
	vqd_at(k->spring + 5 * 60);
	snprintf(want, sizeof want, "serving day %s (%s): 23 h 0 min long", k->spring_day, k->zone);
	char *log = slurp(vqs_log_path(site));
	CHECK(strstr(log, want), "vqd's log does not say \"%s\"", want);
	free(log);
	kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(kiosk != NULL, "no kiosk bus");
	int64_t a2 = issue(kiosk, "s-after", "coaster", after);
	vq_bus_free(kiosk);
	gate_at(k->spring + 5 * 60, clock);
	snprintf(script, sizeof script, "scan %s\n", before);
	run_gate("gate-1", script, NULL, "spring-online", &r);
	snprintf(want, sizeof want, "verdict admit ticket=%lld number=C-001 offline=0 %s",
	         (long long)a1, k->spring_online);
	expect_trace(&r, want, "spring, online");
	run_free(&r);
	CHECK(vqs_vqd_stop(site, NULL) == VQ_OK, "vqd did not stop");
	gate_at(k->spring + 35 * 60, clock);
	snprintf(script, sizeof script, "scan %s\n", after);
	run_gate("gate-1", script, NULL, "spring-offline", &r);
	snprintf(want, sizeof want, "verdict admit ticket=%lld number=C-002 offline=1 %s",
	         (long long)a2, k->spring_offline);
	expect_trace(&r, want, "spring, offline");
	run_free(&r);

	/* autumn: a ticket 50 min before the change is for the first pass of a wall time
	 * the clocks show twice; vqd restarted after the change loads the 25-hour day */
	vqd_at(k->autumn - 50 * 60);
	kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(kiosk != NULL, "no kiosk bus");
	int64_t c0 = issue(kiosk, "a-before", "coaster", first);
	vq_bus_free(kiosk);
	vqd_at(k->autumn + 5 * 60);
	snprintf(want, sizeof want, "serving day %s (%s): 25 h 0 min long", k->autumn_day, k->zone);
	log = slurp(vqs_log_path(site));
	CHECK(strstr(log, want), "vqd's log does not say \"%s\"", want);
	free(log);
	kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(kiosk != NULL, "no kiosk bus");
	int64_t c1 = issue(kiosk, "a-after", "coaster", second);
	vq_bus_free(kiosk);
	gate_at(k->autumn + 5 * 60, clock);
	snprintf(script, sizeof script, "scan %s\nwait 3000\nscan %s\n", second, first);
	run_gate("gate-1", script, NULL, "autumn-online", &r);
	snprintf(want, sizeof want, "verdict admit ticket=%lld number=C-002 offline=0 %s",
	         (long long)c1, k->autumn_admit);
	expect_trace(&r, want, "autumn, online");
	snprintf(want, sizeof want, "ticket=%lld offline=0 %s %s", (long long)c0,
	         k->autumn_online_at, k->autumn_first);
	expect_trace(&r, want, "autumn, the first pass's ticket");
	expect_trace(&r, "verdict refuse reason=expired", "autumn, the first pass's ticket");
	run_free(&r);
	/* and the gate alone judges the same, by its own clock */
	CHECK(vqs_vqd_stop(site, NULL) == VQ_OK, "vqd did not stop");
	gate_at(k->autumn + 35 * 60, clock);
	snprintf(script, sizeof script, "scan %s\n", first);
	run_gate("gate-1", script, NULL, "autumn-offline", &r);
	snprintf(want, sizeof want,
	         "verdict refuse reason=expired from=%lld until=%lld ticket=%lld "
	         "offline=1 %s %s",
	         (long long)(k->autumn - 60 * 60), (long long)(k->autumn + 5 * 60), (long long)c0,
	         k->autumn_offline_at, k->autumn_first);
	expect_trace(&r, want, "autumn, offline");
	run_free(&r);
	/* vqd took every ticket on its own local day */
	int64_t n = -1;
	CHECK(vqs_db_int(site, "SELECT count(DISTINCT day_start) FROM slots", &n) == VQ_OK &&
	          n == 2,
	      "slots of %lld days", (long long)n);
}

/* Europe/Bucharest, 28 March and 31 October 2027: 03:00 becomes 04:00, then 04:00 03:00. */
START_TEST(test_e2e_clock_changes_bucharest)
{
	static const struct dst_case k = {"Europe/Bucharest",
	                                  1806195600, /* 2027-03-28 01:00 UTC */
	                                  1824944400, /* 2027-10-31 01:00 UTC */
	                                  "2027-03-28",
	                                  "2027-10-31",
	                                  "at=04:05 window=04:00-04:30",
	                                  "at=04:35 window=04:30-05:00",
	                                  "at=03:05 UTC+2 window=03:30 UTC+2-04:00",
	                                  "window=03:30 UTC+3-03:00 UTC+2",
	                                  "at=03:05 UTC+2",
	                                  "at=03:35 UTC+2"};
	run_dst(&k);
}
END_TEST

/* America/New_York, 14 March and 7 November 2027: 02:00 becomes 03:00, then 02:00 01:00. */
START_TEST(test_e2e_clock_changes_new_york)
{
	static const struct dst_case k = {"America/New_York",
	                                  1805007600, /* 2027-03-14 07:00 UTC */
	                                  1825567200, /* 2027-11-07 06:00 UTC */
	                                  "2027-03-14",
	                                  "2027-11-07",
	                                  "at=03:05 window=03:00-03:30",
	                                  "at=03:35 window=03:30-04:00",
	                                  "at=01:05 UTC-5 window=01:30 UTC-5-02:00",
	                                  "window=01:30 UTC-4-01:00 UTC-5",
	                                  "at=01:05 UTC-5",
	                                  "at=01:35 UTC-5"};
	run_dst(&k);
}
END_TEST

/* Accessibility passes that staff gave at another gate (svc/access) are admitted as passes:
 * online, then offline with vqd away (and synced after), each once. */
START_TEST(test_e2e_access)
{
	up();
	vq_bus *staff = vqs_bus(site, "gate-2", NULL);
	CHECK(staff != NULL, "no gate-2 bus");
	char code[2][VQ_CODE_MAX];
	int64_t id[2];
	/* one pass from gate-2's account over the bus: standby 35 - margin 10, back at 10:26,
	 * and the coaster's 30-minute early grace lets the guest in at once */
	cJSON *p = vqs_callf(staff, "svc/access",
	                     "{\"v\":1,\"rid\":\"acc-0\",\"card\":\"guest-0\","
	                     "\"attraction\":\"coaster\",\"party\":2}");
	CHECK(p && vqs_ok(p), "access refused");
	CHECK(vqs_int(p, "ticket.id", &id[0]), "access: no id");
	snprintf(code[0], VQ_CODE_MAX, "%s", vqs_str(p, "ticket.code"));
	cJSON_Delete(p);
	vq_bus_free(staff);
	/* the other from vq-gate's own screen: F3, the guest's card, party 2, Return */
	char script[2048], want[160];
	struct run r;
	run_gate("gate-1",
	         "key F3\nscan guest-1\ntap_id acc-party-2\nkey Return\nwait 2000\n"
	         "tap_id acc-done\n",
	         NULL, "acc-issue", &r);
	expect_trace(&r, "access sent rid=", "the gate asks for a pass");
	const char *line = strstr(r.trace, "access issued ticket=");
	CHECK(line != NULL, "the gate issued no pass:\n%s", r.trace);
	id[1] = strtoll(line + strlen("access issued ticket="), NULL, 10);
	const char *c = strstr(line, " code=");
	CHECK(c != NULL, "no code in: %.200s", line);
	size_t clen = strcspn(c + 6, " \n");
	CHECK(clen < VQ_CODE_MAX, "code too long");
	memcpy(code[1], c + 6, clen);
	code[1][clen] = '\0';
	run_free(&r);
	int64_t audits = -1;
	CHECK(vqs_db_int(site,
	                 "SELECT count(*) FROM audit WHERE action = 'access_pass' AND actor = "
	                 "'gate-1'",
	                 &audits) == VQ_OK &&
	          audits == 1,
	      "%lld passes audited under gate-1", (long long)audits);

	snprintf(script, sizeof script, "scan %s\n", code[0]);
	run_gate("gate-1", script, NULL, "acc-online", &r);
	snprintf(want, sizeof want, "verdict admit ticket=%lld number=C-", (long long)id[0]);
	expect_trace(&r, want, "pass online");
	expect_trace(&r, "offline=0 access=1", "pass online");
	run_free(&r);

	ck_assert_int_eq(vqs_vqd_stop(site, NULL), VQ_OK);
	snprintf(script, sizeof script, "scan %s\nwait 3000\nscan %s\n", code[1], code[0]);
	run_gate("gate-1", script, NULL, "acc-offline", &r);
	snprintf(want, sizeof want, "verdict admit ticket=%lld number=C-", (long long)id[1]);
	expect_trace(&r, want, "pass offline");
	expect_trace(&r, "offline=1 access=1", "pass offline");
	expect_trace(&r, "verdict refuse reason=already_used gate=gate-1", "first pass again");
	run_free(&r);

	ck_assert_int_eq(vqs_vqd_start(site), VQ_OK);
	run_gate("gate-1", "wait 100\n", NULL, "acc-sync", &r);
	snprintf(want, sizeof want, "sync ok ticket=%lld", (long long)id[1]);
	expect_trace(&r, want, "sync of the pass");
	run_free(&r);
	int64_t n = -1;
	char sql[200];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM redemptions r JOIN tickets t ON t.id = r.ticket WHERE"
	         " t.kind = 1 AND r.gate = 'gate-1' AND r.offline = (r.ticket = %lld)",
	         (long long)id[1]);
	CHECK(vqs_db_int(site, sql, &n) == VQ_OK && n == 2, "%lld pass redemptions", (long long)n);
}
END_TEST

static Suite *gate_suite(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("unit");
	tcase_add_test(tc, test_reasons_and_combo);
	tcase_add_test(tc, test_offline_valid);
	tcase_add_test(tc, test_offline_access);
	tcase_add_test(tc, test_offline_forged);
	tcase_add_test(tc, test_offline_rules);
	tcase_add_test(tc, test_offline_used_and_synth);
	tcase_add_test(tc, test_state_online);
	tcase_add_test(tc, test_state_refusals);
	tcase_add_test(tc, test_state_timeout);
	tcase_add_test(tc, test_state_offline_sync);
	tcase_add_test(tc, test_state_sync_edge);
	tcase_add_test(tc, test_state_override);
	tcase_add_test(tc, test_state_access);
	tcase_add_test(tc, test_state_retained_order);
	tcase_add_test(tc, test_merge_text);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("screens");
	tcase_add_loop_test(tc, test_render_all, 0, 9);
	tcase_add_loop_test(tc, test_render_unreachable, 0, 9);
	tcase_add_loop_test(tc, test_state_journal_full, 0, 3);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("e2e");
	tcase_add_checked_fixture(tc, e2e_setup, e2e_teardown);
	tcase_add_test(tc, test_e2e_online);
	tcase_add_test(tc, test_e2e_frames);
	tcase_add_test(tc, test_e2e_offline_conflict);
	tcase_add_test(tc, test_e2e_corrupt_cache);
	tcase_add_test(tc, test_e2e_clock_changes_bucharest);
	tcase_add_test(tc, test_e2e_clock_changes_new_york);
	tcase_add_test(tc, test_e2e_access);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gate_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
