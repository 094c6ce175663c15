/* tools/vq-bench/mqtt_bench.c — vq-bench mqtt: tickets issued end to end through the broker
 * and vqd, next to a bare MQTT 5 request/echo through the same broker in the same run.
 *
 * Owns the load generator and its figures, not the system under test: vqd and mosquitto
 * are already running (tools/bench-mqtt starts both). The run, in order:
 *   1. connects every account it needs (operator "bench", kiosks "bench-kiosk-1..N", and the
 *      two ends of the baseline, "bench-ping" and the echo responder "bench-echo", whose
 *      role may touch bench/ only), each its own vq_bus; any failure ends the run;
 *   2. learns the site's tiers and attractions from the retained state/_site, sends one
 *      real issue to learn the sizes of a request and its reply, and asks svc/identify how
 *      many passes a member card of each tier may hold;
 *   3. baseline: bench-ping sends requests of an issue's size to bench/echo/bench-ping
 *      (as a kiosk sends svc/issue/<kiosk>) with response topic bench/reply/bench-ping,
 *      which a thread of ours answers (vq_bus_reply) with a reply of an issue reply's size:
 *      the same MQTT 5 request/response as vqd's, minus vqd;
 *   4. imports enough member cards (svc/ops members_import) that no card is asked for
 *      more passes than it may hold: the pool is sized from the baseline's rate, which
 *      vqd does not beat;
 *   5. vqd: the kiosks send svc/issue, K in flight in total;
 *   6. unless --rate 0, both again open loop: R requests/s evenly paced, at most K in
 *      flight.
 * Closed loop keeps K requests in flight and measures throughput; open loop measures the
 * latency a fixed load sees. Open-loop latency runs from when a request was due, not when
 * it went out, so a stalled server is not hidden by requests that waited for a free slot.
 * Everything runs on one machine, so the generator's own CPU is taken from vqd and the
 * broker alike: the figures compare within one run, not across machines.
 */
#define _GNU_SOURCE /* ppoll: open-loop pacing needs waits finer than poll's milliseconds */

#include "bench.h"

#include "bus/bus.h"
#include "bus/busopt.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_KIOSKS       64
#define MAX_CODES        24
#define POLL_BATCH       256
#define CONNECT_MS       10000
#define CALL_MS          10000
#define IMPORT_CHUNK     1000    /* the most members vqd takes in one request */
#define CARD_MAX         32      /* card numbers are 1..32 printable ASCII */
#define EST_ISSUES_PER_S 20000.0 /* sizes the card pool without a baseline to go by */

struct options {
	vq_busopt bo; /* broker, site, credentials; the user is the operator account */
	int kiosks;
	int inflight;
	int attractions; /* 0: all */
	double seconds;
	double rate; /* open loop requests/s; 0: closed loop only */
	double timeout;
	const char *tier_mix;
	long cards; /* per tier; 0: sized from the run */
	pid_t vqd_pid;
	bool quiet;
	bool baseline_only, vqd_only;
	size_t request_size, reply_size; /* baseline-only: no vqd to measure them on */
	uint64_t seed;
};

/* One tier of the mix: how often it is drawn, and the member cards that give it. */
struct tier {
	char id[VQ_ID_MAX];
	int weight; /* cumulative, over the whole mix */
	int pct;
	bool card;      /* false for the site's lowest tier: no card at all */
	int max_passes; /* a card is used this many times, then the next one */
	long ncards, next, uses;
	bool wrapped; /* ran out of cards and started over: expect limit_reached */
};

struct conn {
	vq_bus *bus;
	char name[VQ_BUS_ID_MAX];
	int cap, inflight;
	uint64_t seq;
	bool down; /* a send failed: skip it until the next wait */
};

struct pend {
	char corr[VQ_BUS_CORR_MAX]; /* "" = free */
	uint64_t hash;
	double t0;
	int conn;
};

/* In-flight requests by correlation id; linear probing with backward-shift deletion. */
struct ptab {
	struct pend *e;
	size_t mask, n;
};

struct code_count {
	char code[32];
	uint64_t n;
};

struct result {
	bool ran;
	uint64_t sent, replies, ok, errors, lost, stray, send_failed, deferred;
	uint64_t bytes;
	uint64_t ok_tier[VQ_MAX_TIERS];
	struct code_count codes[MAX_CODES];
	int ncodes;
	uint32_t *lat_us;
	size_t nlat, caplat;
	double elapsed; /* first send to last reply */
};

struct echo {
	vq_bus *bus;
	pthread_t thread;
	atomic_bool stop;
	char *payload;
	size_t len;
	uint64_t answered, failed;
};

struct bench {
	struct options o;
	char nonce[12];
	uint64_t rng;
	uint64_t card_base;
	vq_bus *oper;
	struct echo echo;
	bool echo_running;
	struct conn kiosk[MAX_KIOSKS];
	int nkiosks;
	struct conn base; /* bench-ping's bus, the baseline's one requester */
	char (*attrs)[VQ_ID_MAX];
	int nattrs;
	char site_tiers[VQ_MAX_TIERS][VQ_ID_MAX];
	int nsite_tiers;
	struct tier tiers[VQ_MAX_TIERS];
	int ntiers, total_weight;
	char *echo_req; /* baseline request: issue-sized */
	size_t echo_req_len;
	size_t probe_req_len, probe_reply_len;
	int imports; /* members_import requests sent: their rids */
};

static void say(const struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct bench *b, const char *fmt, ...)
{
	if (b->o.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("vq-bench mqtt: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

/* ---- in-flight table ---- */

static int ptab_init(struct ptab *t, int inflight)
{
	size_t size = 64;
	while (size < (size_t)inflight * 4)
		size *= 2;
	t->e = calloc(size, sizeof *t->e);
	t->mask = size - 1;
	t->n = 0;
	return t->e ? 0 : -1;
}

static void ptab_put(struct ptab *t, const char *corr, double t0, int conn)
{
	uint64_t h = hash_bytes(corr, strlen(corr));
	size_t i = h & t->mask;
	while (t->e[i].corr[0])
		i = (i + 1) & t->mask;
	snprintf(t->e[i].corr, sizeof t->e[i].corr, "%s", corr);
	t->e[i].hash = h;
	t->e[i].t0 = t0;
	t->e[i].conn = conn;
	t->n++;
}

static struct pend *ptab_find(struct ptab *t, const unsigned char *corr, size_t len)
{
	if (!corr || len >= VQ_BUS_CORR_MAX)
		return NULL;
	uint64_t h = hash_bytes(corr, len);
	for (size_t i = h & t->mask; t->e[i].corr[0]; i = (i + 1) & t->mask)
		if (t->e[i].hash == h && strlen(t->e[i].corr) == len &&
		    memcmp(t->e[i].corr, corr, len) == 0)
			return &t->e[i];
	return NULL;
}

/* Backward shift instead of tombstones, so lookups never slow down over a long run. */
static void ptab_del(struct ptab *t, struct pend *p)
{
	size_t i = (size_t)(p - t->e), j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->e[j].corr[0])
			break;
		size_t home = t->e[j].hash & t->mask;
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			t->e[i] = t->e[j];
			i = j;
		}
	}
	t->e[i].corr[0] = '\0';
	t->n--;
}

/* ---- results ---- */

static void add_latency(struct result *r, double secs)
{
	if (r->nlat == r->caplat) {
		size_t cap = r->caplat ? r->caplat * 2 : 65536;
		uint32_t *p = realloc(r->lat_us, cap * sizeof *p);
		if (!p)
			return; /* a shorter sample, not a failed run */
		r->lat_us = p;
		r->caplat = cap;
	}
	double us = secs * 1e6;
	r->lat_us[r->nlat++] = us < 0 ? 0 : us > 4e9 ? 4000000000u : (uint32_t)us;
}

static void add_code(struct result *r, const char *code)
{
	for (int i = 0; i < r->ncodes; i++) {
		if (!strcmp(r->codes[i].code, code)) {
			r->codes[i].n++;
			return;
		}
	}
	int i = r->ncodes < MAX_CODES ? r->ncodes++ : MAX_CODES - 1;
	if (i == MAX_CODES - 1 && r->codes[i].n)
		code = "(other)";
	snprintf(r->codes[i].code, sizeof r->codes[i].code, "%s", code);
	r->codes[i].n++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile in milliseconds; the sample must be sorted. */
static double pct_ms(const struct result *r, double p)
{
	if (r->nlat == 0)
		return NAN;
	size_t k = (size_t)ceil(p * (double)r->nlat);
	k = k == 0 ? 0 : k - 1;
	if (k >= r->nlat)
		k = r->nlat - 1;
	return r->lat_us[k] / 1000.0;
}

static double rate_of(const struct result *r)
{
	return r->elapsed > 0 ? (double)r->replies / r->elapsed : 0;
}

/* ---- payloads ---- */

/* head (a JSON object's opening, no closing brace) padded with a "pad" string to exactly
 * size bytes when it fits, so the baseline moves the same bytes as the real thing. */
static char *padded_json(const char *head, size_t size, size_t *len)
{
	size_t hl = strlen(head), min = hl + strlen(",\"pad\":\"\"}");
	size_t n = size > min ? size : min;
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, head, hl);
	memcpy(p + hl, ",\"pad\":\"", 8);
	memset(p + hl + 8, 'x', n - min);
	memcpy(p + n - 2, "\"}", 3);
	*len = n;
	return p;
}

static void card_name(const struct bench *b, int t, long i, char out[CARD_MAX + 1])
{
	int n = snprintf(out, CARD_MAX + 1, "bench-%s-%" PRIu64, b->tiers[t].id,
	                 b->card_base + (uint64_t)i);
	if (n > CARD_MAX) /* a long tier id: its index keeps the card unique */
		snprintf(out, CARD_MAX + 1, "bench-t%d-%" PRIu64, t, b->card_base + (uint64_t)i);
}

static int pick_tier(struct bench *b, uint64_t *rng)
{
	int w = (int)(vq_bench_rng(rng) % (uint64_t)b->total_weight);
	for (int t = 0; t < b->ntiers; t++)
		if (w < b->tiers[t].weight)
			return t;
	return b->ntiers - 1;
}

/* The next card of tier t: each is used max_passes times, so none hits its limit. */
static void next_card(struct tier *t, long *idx)
{
	if (t->uses >= t->max_passes) {
		t->uses = 0;
		if (++t->next >= t->ncards) {
			t->next = 0;
			t->wrapped = true;
		}
	}
	t->uses++;
	*idx = t->next;
}

static int issue_payload(struct bench *b, struct tier *tiers, uint64_t *rng, int conn, uint64_t seq,
                         char *buf, size_t cap)
{
	int t = pick_tier(b, rng);
	const char *attr = b->attrs[vq_bench_rng(rng) % (uint64_t)b->nattrs];
	int party = 1 + (int)(vq_bench_rng(rng) % 4);
	char card[CARD_MAX + 1] = "";
	if (tiers[t].card) {
		long idx;
		next_card(&tiers[t], &idx);
		card_name(b, t, idx, card);
	}
	return snprintf(buf, cap,
	                "{\"v\":1,\"rid\":\"%s-%d-%" PRIu64 "\"%s%s%s,\"attraction\":\"%s\","
	                "\"party\":%d}",
	                b->nonce, conn, seq, card[0] ? ",\"card\":\"" : "", card,
	                card[0] ? "\"" : "", attr, party);
}

/* ---- the echo responder ---- */

static void *echo_main(void *arg)
{
	struct echo *e = arg;
	vq_bus_msg *msgs[POLL_BATCH];
	while (!atomic_load(&e->stop)) {
		size_t n = 0;
		if (vq_bus_poll(e->bus, msgs, POLL_BATCH, &n, 100) != VQ_OK)
			break;
		for (size_t i = 0; i < n; i++) {
			if (msgs[i]->kind == VQ_BUS_MESSAGE && msgs[i]->response_topic &&
			    !strncmp(msgs[i]->suffix, "bench/echo/", 11)) {
				if (vq_bus_reply(e->bus, msgs[i], e->payload, e->len) == VQ_OK)
					e->answered++;
				else
					e->failed++;
			}
			vq_bus_msg_free(msgs[i]);
		}
	}
	return NULL;
}

/* ---- connecting ---- */

/* Role "bench" may touch bench/ only (broker-config/roles): its reply topic is
 * bench/reply/<user>, and it has no presence. */
static int connect_account(struct bench *b, const char *user, const char *role,
                           const char *const *subs, vq_bus **out)
{
	vq_busopt bo = b->o.bo;
	char err[256], reply[VQ_BUS_TOPIC_MAX];
	snprintf(bo.user, sizeof bo.user, "%s", user);
	snprintf(bo.role, sizeof bo.role, "%s", role);
	bo.password[0] = '\0'; /* each account has its own: from --credentials */
	if (vq_busopt_finish(&bo, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-bench mqtt: %s\n", err);
		return -1;
	}
	if (!strcmp(role, "bench")) {
		snprintf(reply, sizeof reply, "bench/reply/%s", user);
		bo.opts.reply_suffix = reply;
		bo.opts.no_presence = true;
	}
	vq_bus *bus = NULL;
	if (vq_bus_new(&bo.opts, &bus) != VQ_OK) {
		fprintf(stderr, "vq-bench mqtt: %s: bad connection options\n", user);
		return -1;
	}
	for (const char *const *s = subs; s && *s; s++)
		vq_bus_subscribe(bus, *s, 1);
	if (vq_bus_start(bus) != VQ_OK) {
		fprintf(stderr, "vq-bench mqtt: %s: cannot start its connection\n", user);
		vq_bus_free(bus);
		return -1;
	}
	*out = bus;
	return 0;
}

/* Waits for every bus together, so N kiosks cost one connect time, not N. */
static int wait_all(struct bench *b, vq_bus **buses, const char **names, int n)
{
	double deadline = vq_bench_now() + CONNECT_MS / 1000.0;
	for (int i = 0; i < n; i++) {
		int left = (int)((deadline - vq_bench_now()) * 1000);
		int rc = vq_bus_wait_connected(buses[i], left > 0 ? left : 0);
		if (rc == VQ_OK)
			continue;
		vq_bus_stats st;
		vq_bus_get_stats(buses[i], &st);
		if (rc == VQ_EBUS)
			fprintf(stderr,
			        "vq-bench mqtt: the broker at %s:%d refused account '%s' (reason "
			        "0x%02x): wrong password, or not in the broker's accounts?\n",
			        b->o.bo.host, b->o.bo.port ? b->o.bo.port : 1883, names[i],
			        (unsigned)st.last_refusal);
		else
			fprintf(stderr,
			        "vq-bench mqtt: account '%s' could not connect to the broker at "
			        "%s:%d within %d s: is mosquitto running there?\n",
			        names[i], b->o.bo.host, b->o.bo.port ? b->o.bo.port : 1883,
			        CONNECT_MS / 1000);
		return -1;
	}
	return 0;
}

static int connect_all(struct bench *b)
{
	vq_bus *buses[MAX_KIOSKS + 3];
	const char *names[MAX_KIOSKS + 3];
	int n = 0;
	static const char *const oper_subs[] = {"state/_site", NULL};
	static const char *const echo_subs[] = {"bench/echo/+", NULL};

	if (connect_account(b, b->o.bo.user, "operator", b->o.baseline_only ? NULL : oper_subs,
	                    &b->oper))
		return -1;
	buses[n] = b->oper;
	names[n++] = b->o.bo.user;
	if (!b->o.vqd_only) {
		if (connect_account(b, "bench-echo", "bench", echo_subs, &b->echo.bus))
			return -1;
		buses[n] = b->echo.bus;
		names[n++] = "bench-echo";
		if (connect_account(b, "bench-ping", "bench", NULL, &b->base.bus))
			return -1;
		buses[n] = b->base.bus;
		names[n++] = "bench-ping";
		snprintf(b->base.name, sizeof b->base.name, "bench-ping");
	}
	if (!b->o.baseline_only) {
		for (int i = 0; i < b->o.kiosks; i++) {
			struct conn *c = &b->kiosk[i];
			snprintf(c->name, sizeof c->name, "bench-kiosk-%d", i + 1);
			if (connect_account(b, c->name, "kiosk", NULL, &c->bus))
				return -1;
			b->nkiosks++;
			buses[n] = c->bus;
			names[n++] = c->name;
		}
	}
	return wait_all(b, buses, names, n);
}

/* ---- learning the site ---- */

static int read_site(struct bench *b)
{
	double deadline = vq_bench_now() + 5;
	cJSON *site = NULL;
	while (!site && vq_bench_now() < deadline) {
		vq_bus_msg *m[16];
		size_t n = 0;
		vq_bus_poll(b->oper, m, 16, &n, 200);
		for (size_t i = 0; i < n; i++) {
			if (!site && !strcmp(m[i]->suffix, "state/_site"))
				site = cJSON_ParseWithLength(m[i]->payload, m[i]->len);
			vq_bus_msg_free(m[i]);
		}
	}
	if (!site) {
		fprintf(stderr,
		        "vq-bench mqtt: no retained state/_site on site '%s' within 5 s: "
		        "is vqd running for this site?\n",
		        b->o.bo.site);
		return -1;
	}
	const cJSON *tiers = cJSON_GetObjectItemCaseSensitive(site, "tiers");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(site, "attractions");
	const cJSON *it;
	cJSON_ArrayForEach(it, tiers)
	{
		const cJSON *id =
		    cJSON_IsString(it) ? it : cJSON_GetObjectItemCaseSensitive(it, "id");
		if (cJSON_IsString(id) && b->nsite_tiers < VQ_MAX_TIERS)
			snprintf(b->site_tiers[b->nsite_tiers++], VQ_ID_MAX, "%s", id->valuestring);
	}
	int na = cJSON_GetArraySize(attrs);
	b->attrs = calloc(na > 0 ? (size_t)na : 1, sizeof *b->attrs);
	cJSON_ArrayForEach(it, attrs)
	{
		const cJSON *id =
		    cJSON_IsString(it) ? it : cJSON_GetObjectItemCaseSensitive(it, "id");
		if (b->attrs && cJSON_IsString(id))
			snprintf(b->attrs[b->nattrs++], VQ_ID_MAX, "%s", id->valuestring);
	}
	cJSON_Delete(site);
	vq_bus_unsubscribe(b->oper, "state/_site"); /* nothing more to hear from it */
	if (b->nsite_tiers == 0 || b->nattrs == 0) {
		fprintf(stderr, "vq-bench mqtt: state/_site names no tiers or no attractions\n");
		return -1;
	}
	if (b->o.attractions > 0 && b->o.attractions < b->nattrs)
		b->nattrs = b->o.attractions;
	return 0;
}

static int parse_mix(struct bench *b)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", b->o.tier_mix);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		char *end = NULL;
		long pct = colon ? strtol(colon + 1, &end, 10) : -1;
		if (!colon || !end || *end || pct < 0 || pct > 1000000) {
			fprintf(stderr,
			        "vq-bench mqtt: --tier-mix: want TIER:WEIGHT,..., got '%s'\n", tok);
			return -1;
		}
		*colon = '\0';
		int site_idx = -1;
		for (int i = 0; i < b->nsite_tiers; i++)
			if (!strcmp(b->site_tiers[i], tok))
				site_idx = i;
		if (site_idx < 0) {
			fprintf(stderr, "vq-bench mqtt: --tier-mix: site '%s' has no tier '%s'\n",
			        b->o.bo.site, tok);
			return -1;
		}
		if (b->ntiers == VQ_MAX_TIERS || pct == 0)
			continue;
		struct tier *t = &b->tiers[b->ntiers++];
		snprintf(t->id, sizeof t->id, "%s", tok);
		t->pct = (int)pct;
		b->total_weight += (int)pct;
		t->weight = b->total_weight;
		t->card = site_idx > 0;
		t->max_passes = 1;
	}
	if (b->total_weight <= 0) {
		fprintf(stderr, "vq-bench mqtt: --tier-mix gives no tier a weight\n");
		return -1;
	}
	return 0;
}

/* A reply's "ok", or its error code in code (a malformed reply: "(bad reply)"). */
static bool reply_ok(const char *payload, size_t len, char *code, size_t codelen, char *tier,
                     size_t tierlen)
{
	cJSON *j = cJSON_ParseWithLength(payload, len);
	bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"));
	if (code)
		snprintf(code, codelen, "%s", j ? "(no code)" : "(bad reply)");
	if (tier)
		tier[0] = '\0';
	if (ok && tier) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(j, "ticket"), "tier");
		if (cJSON_IsString(t))
			snprintf(tier, tierlen, "%s", t->valuestring);
	} else if (!ok && code) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(j, "error"), "code");
		if (cJSON_IsString(c))
			snprintf(code, codelen, "%s", c->valuestring);
	}
	cJSON_Delete(j);
	return ok;
}

static const char *call_error(int rc)
{
	switch (rc) {
	case VQ_EBUS:
		return "nobody is subscribed to it: is vqd running for this site?";
	case VQ_EDENIED:
		return "the broker refused it (ACL)";
	case VQ_ETIMEOUT:
		return "no reply in time";
	default:
		return vq_strerror(rc);
	}
}

/* One request and its reply, for the set-up steps. The reply is malloc'd text. */
static int call(struct bench *b, vq_bus *bus, const char *suffix, const char *payload, char **reply,
                size_t *len)
{
	vq_bus_msg *m = NULL;
	int rc = vq_bus_call(bus, suffix, payload, strlen(payload), CALL_MS, &m);
	if (rc != VQ_OK) {
		fprintf(stderr, "vq-bench mqtt: %s as %s: %s\n", suffix, vq_bus_client_id(bus),
		        call_error(rc));
		return -1;
	}
	*reply = malloc(m->len + 1);
	if (*reply) {
		memcpy(*reply, m->payload, m->len + 1);
		*len = m->len;
	}
	vq_bus_msg_free(m);
	return *reply ? 0 : -1;
}

/* One real issue: its request and reply sizes are what the baseline sends and echoes. */
static int probe(struct bench *b)
{
	char req[512], *reply = NULL, code[64];
	size_t len = 0;
	snprintf(req, sizeof req,
	         "{\"v\":1,\"rid\":\"%s-probe\",\"attraction\":\"%s\",\"party\":2}", b->nonce,
	         b->attrs[0]);
	if (call(b, b->kiosk[0].bus, "svc/issue", req, &reply, &len))
		return -1;
	bool ok = reply_ok(reply, len, code, sizeof code, NULL, 0);
	if (!ok) {
		fprintf(stderr, "vq-bench mqtt: the probe issue was refused (%s): %s\n", code,
		        reply);
		free(reply);
		return -1;
	}
	b->probe_reply_len = len;
	free(reply);

	/* The mean request of the mix, from a copy of the generator's state. */
	struct tier scratch[VQ_MAX_TIERS];
	memcpy(scratch, b->tiers, sizeof scratch);
	uint64_t rng = b->rng;
	size_t sum = 0;
	for (int i = 0; i < 256; i++) {
		char buf[512];
		sum += (size_t)issue_payload(b, scratch, &rng, 1, 100000 + (uint64_t)i, buf,
		                             sizeof buf);
	}
	b->probe_req_len = sum / 256;
	return 0;
}

/* Makes cards [from, to) of tier t members of that tier, IMPORT_CHUNK a request. */
static int import_range(struct bench *b, int t, long from, long to)
{
	for (long i = from; i < to;) {
		cJSON *req = cJSON_CreateObject();
		char rid[64];
		snprintf(rid, sizeof rid, "%s-import-%d", b->nonce, b->imports++);
		cJSON_AddNumberToObject(req, "v", 1);
		cJSON_AddStringToObject(req, "rid", rid);
		cJSON_AddStringToObject(req, "cmd", "members_import");
		cJSON *arr = cJSON_AddArrayToObject(req, "members");
		for (int k = 0; k < IMPORT_CHUNK && i < to; k++, i++) {
			char card[CARD_MAX + 1];
			card_name(b, t, i, card);
			cJSON *m = cJSON_CreateObject();
			cJSON_AddStringToObject(m, "card", card);
			cJSON_AddStringToObject(m, "tier", b->tiers[t].id);
			cJSON_AddItemToArray(arr, m);
		}
		char *text = cJSON_PrintUnformatted(req);
		cJSON_Delete(req);
		char *reply = NULL, code[64];
		size_t len = 0;
		int rc = text ? call(b, b->oper, "svc/ops", text, &reply, &len) : -1;
		free(text);
		if (rc)
			return -1;
		if (!reply_ok(reply, len, code, sizeof code, NULL, 0)) {
			fprintf(stderr, "vq-bench mqtt: members_import refused (%s): %s\n", code,
			        reply);
			free(reply);
			return -1;
		}
		free(reply);
	}
	return 0;
}

/* One member card per carded tier, and svc/identify on it: how many passes a card of
 * that tier may hold. Each card is then used that many times, so the run never asks
 * for more than a guest may hold, and the pool is sized to match. */
static int identify_tiers(struct bench *b)
{
	for (int t = 0; t < b->ntiers; t++) {
		if (!b->tiers[t].card)
			continue;
		char card[CARD_MAX + 1], req[256], *reply = NULL;
		size_t len = 0;
		card_name(b, t, 0, card);
		if (import_range(b, t, 0, 1))
			return -1;
		snprintf(req, sizeof req, "{\"v\":1,\"rid\":\"%s-identify-%d\",\"card\":\"%s\"}",
		         b->nonce, t, card);
		if (call(b, b->kiosk[0].bus, "svc/identify", req, &reply, &len))
			return -1;
		cJSON *j = cJSON_ParseWithLength(reply, len);
		const cJSON *mp = cJSON_GetObjectItemCaseSensitive(j, "max_passes");
		const cJSON *tier = cJSON_GetObjectItemCaseSensitive(j, "tier");
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok")) ||
		    !cJSON_IsNumber(mp) || mp->valueint < 1 || !cJSON_IsString(tier) ||
		    strcmp(tier->valuestring, b->tiers[t].id)) {
			fprintf(stderr, "vq-bench mqtt: svc/identify of member card %s (%s): %s\n",
			        card, b->tiers[t].id, reply);
			cJSON_Delete(j);
			free(reply);
			return -1;
		}
		b->tiers[t].max_passes = mp->valueint;
		b->tiers[t].ncards = 1;
		cJSON_Delete(j);
		free(reply);
	}
	return 0;
}

/* Enough cards for every run still to come if vqd answered at issues_per_s closed loop. */
static int import_pool(struct bench *b, double issues_per_s)
{
	double issues = b->o.seconds * (issues_per_s + b->o.rate);
	long want[VQ_MAX_TIERS], total = 0;
	for (int t = 0; t < b->ntiers; t++) {
		const struct tier *tr = &b->tiers[t];
		want[t] =
		    b->o.cards > 0
		        ? b->o.cards
		        : (long)ceil(issues * tr->pct / b->total_weight / tr->max_passes) + 16;
		if (tr->card && want[t] > tr->ncards)
			total += want[t] - tr->ncards;
	}
	if (total)
		say(b, "importing %ld member cards (svc/ops members_import)", total);
	for (int t = 0; t < b->ntiers; t++) {
		struct tier *tr = &b->tiers[t];
		if (!tr->card || want[t] <= tr->ncards)
			continue;
		if (import_range(b, t, tr->ncards, want[t]))
			return -1;
		tr->ncards = want[t];
	}
	return 0;
}

/* ---- one measurement ---- */

struct phase {
	const char *suffix;
	struct conn *conns;
	int nconns;
	bool vqd;    /* issue requests, replies classified */
	double rate; /* 0: closed loop */
};

static int send_one(struct bench *b, const struct phase *ph, struct ptab *tab, int ci, double t0,
                    struct result *r)
{
	struct conn *c = &ph->conns[ci];
	char buf[512], corr[VQ_BUS_CORR_MAX];
	const char *payload = b->echo_req;
	size_t len = b->echo_req_len;
	uint64_t seq = ++c->seq;
	if (ph->vqd) {
		int n = issue_payload(b, b->tiers, &b->rng, ci + 1, seq, buf, sizeof buf);
		payload = buf;
		len = (size_t)n;
	}
	int rc = vq_bus_request(c->bus, ph->suffix, payload, len, corr);
	if (rc != VQ_OK) {
		r->send_failed++;
		c->down = true;
		return -1;
	}
	ptab_put(tab, corr, t0, ci);
	c->inflight++;
	r->sent++;
	return 0;
}

static void on_reply(struct bench *b, const struct phase *ph, struct ptab *tab, struct result *r,
                     vq_bus_msg *m, double now, double *last)
{
	struct pend *p = m->kind == VQ_BUS_MESSAGE ? ptab_find(tab, m->corr, m->corr_len) : NULL;
	if (!p) {
		if (m->kind == VQ_BUS_MESSAGE && m->corr)
			r->stray++;
		return;
	}
	add_latency(r, now - p->t0);
	ph->conns[p->conn].inflight--;
	ptab_del(tab, p);
	r->replies++;
	r->bytes += m->len;
	*last = now;
	if (!ph->vqd) {
		r->ok++;
		return;
	}
	char code[32], tier[VQ_ID_MAX];
	if (reply_ok(m->payload, m->len, code, sizeof code, tier, sizeof tier)) {
		r->ok++;
		for (int t = 0; t < b->ntiers; t++)
			if (!strcmp(b->tiers[t].id, tier))
				r->ok_tier[t]++;
	} else {
		r->errors++;
		add_code(r, code);
	}
}

/* Requests unanswered after --timeout are lost: their slot goes back to the loop. */
static void expire(const struct phase *ph, struct ptab *tab, struct result *r, double now,
                   double timeout)
{
	for (size_t i = 0; i <= tab->mask;) {
		struct pend *p = &tab->e[i];
		if (p->corr[0] && now - p->t0 > timeout) {
			ph->conns[p->conn].inflight--;
			ptab_del(tab, p);
			r->lost++;
			continue; /* the shift may have moved another entry into i */
		}
		i++;
	}
}

static int run_phase(struct bench *b, const struct phase *ph, struct result *r)
{
	struct ptab tab;
	struct pollfd pfd[MAX_KIOSKS];
	int k = b->o.inflight;
	memset(r, 0, sizeof *r);
	r->ran = true;
	if (ptab_init(&tab, k))
		return -1;
	for (int i = 0; i < ph->nconns; i++) {
		struct conn *c = &ph->conns[i];
		c->cap = k / ph->nconns + (i < k % ph->nconns);
		c->inflight = 0;
		c->down = false;
		pfd[i] = (struct pollfd){.fd = vq_bus_fd(c->bus), .events = POLLIN};
	}
	double start = vq_bench_now(), stop = start + b->o.seconds, last = start,
	       next_expire = start;
	double interval = ph->rate > 0 ? 1.0 / ph->rate : 0, due = start;
	int rr = 0; /* open loop: the next connection to try */
	bool deferred = false;

	for (;;) {
		double now = vq_bench_now();
		bool sending = now < stop;
		int inflight = (int)tab.n;
		if (!sending && inflight == 0)
			break;
		if (!sending && now > stop + b->o.timeout) {
			r->lost += tab.n;
			break;
		}
		if (sending && interval == 0) {
			for (int i = 0; i < ph->nconns; i++)
				while (!ph->conns[i].down &&
				       ph->conns[i].inflight < ph->conns[i].cap &&
				       send_one(b, ph, &tab, i, vq_bench_now(), r) == 0)
					;
		} else if (sending) {
			while (due <= now && due < stop) {
				int ci = -1;
				for (int n = 0; n < ph->nconns && ci < 0; n++) {
					int i = (rr + n) % ph->nconns;
					if (!ph->conns[i].down &&
					    ph->conns[i].inflight < ph->conns[i].cap)
						ci = i;
				}
				if (ci < 0) {
					if (!deferred)
						r->deferred++;
					deferred = true;
					break;
				}
				rr = ci + 1;
				deferred = false;
				if (send_one(b, ph, &tab, ci, due, r) == 0)
					due += interval;
			}
		}

		double wait = 0.1;
		if (sending && interval > 0 && !deferred && due < stop)
			wait = due - vq_bench_now();
		else if (sending)
			wait = stop - vq_bench_now();
		if (wait > 0.1)
			wait = 0.1;
		if (wait < 0)
			wait = 0;
		bool down = false;
		for (int i = 0; i < ph->nconns; i++)
			down |= ph->conns[i].down;
		if (down && wait > 0.001)
			wait = 0.001; /* a failed send: retry soon, without spinning */
		struct timespec ts = {(time_t)wait, (long)((wait - floor(wait)) * 1e9)};
		if (ppoll(pfd, (nfds_t)ph->nconns, &ts, NULL) < 0 && errno != EINTR) {
			perror("vq-bench mqtt: ppoll");
			free(tab.e);
			return -1;
		}
		now = vq_bench_now();
		for (int i = 0; i < ph->nconns; i++) {
			ph->conns[i].down = false;
			if (!(pfd[i].revents & POLLIN))
				continue;
			vq_bus_msg *m[POLL_BATCH];
			size_t n = 0;
			vq_bus_poll(ph->conns[i].bus, m, POLL_BATCH, &n, 0);
			for (size_t j = 0; j < n; j++) {
				on_reply(b, ph, &tab, r, m[j], now, &last);
				vq_bus_msg_free(m[j]);
			}
		}
		if (now >= next_expire) {
			expire(ph, &tab, r, now, b->o.timeout);
			next_expire = now + 0.1;
		}
	}
	r->elapsed = last - start;
	qsort(r->lat_us, r->nlat, sizeof *r->lat_us, cmp_u32);
	free(tab.e);
	return 0;
}

/* ---- reporting ---- */

static long proc_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	if (!f)
		return -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			kb = strtol(line + kl + 1, NULL, 10);
	fclose(f);
	return kb;
}

static void fmt_num(char *out, size_t n, double v, int prec)
{
	if (isnan(v))
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.*f", prec, v);
}

static void row(const char *label, double base, double vqd, int prec, bool ratio)
{
	char a[32], c[32], q[32] = "";
	fmt_num(a, sizeof a, base, prec);
	fmt_num(c, sizeof c, vqd, prec);
	if (ratio)
		fmt_num(q, sizeof q, base > 0 && !isnan(vqd) ? vqd / base : NAN, 2);
	printf("  %-22s %12s %12s %12s\n", label, a, c, q);
}

static void table(const char *title, const struct result *base, const struct result *vqd)
{
	printf("%s\n", title);
	printf("  %-22s %12s %12s %12s\n", "", "baseline", "vqd", "vqd/baseline");
	double nan = NAN;
	row("replies/s", base->ran ? rate_of(base) : nan, vqd->ran ? rate_of(vqd) : nan, 0, true);
	row("latency p50 ms", base->ran ? pct_ms(base, 0.50) : nan,
	    vqd->ran ? pct_ms(vqd, 0.50) : nan, 2, true);
	row("latency p99 ms", base->ran ? pct_ms(base, 0.99) : nan,
	    vqd->ran ? pct_ms(vqd, 0.99) : nan, 2, true);
	row("latency max ms", base->ran ? pct_ms(base, 1.0) : nan,
	    vqd->ran ? pct_ms(vqd, 1.0) : nan, 2, true);
	row("replies", base->ran ? (double)base->replies : nan,
	    vqd->ran ? (double)vqd->replies : nan, 0, false);
	row("mean reply bytes",
	    base->ran && base->replies ? (double)base->bytes / base->replies : nan,
	    vqd->ran && vqd->replies ? (double)vqd->bytes / vqd->replies : nan, 0, false);
}

/* Anything that went wrong in a run; returns 1 if the figures should not be trusted. */
static int problems(const char *what, const struct result *r)
{
	int bad = 0;
	if (!r->ran)
		return 0;
	if (r->lost) {
		printf("  %s: %" PRIu64 " requests got no reply\n", what, r->lost);
		bad = 1;
	}
	if (r->send_failed) {
		printf("  %s: %" PRIu64 " requests could not be sent (connection lost?)\n", what,
		       r->send_failed);
		bad = 1;
	}
	if (r->errors)
		printf("  %s: %.1f%% of the replies were refusals, which cost vqd less than a "
		       "ticket\n",
		       what, 100.0 * (double)r->errors / (double)r->replies);
	if (r->stray)
		printf("  %s: %" PRIu64 " replies matched no request in flight (late?)\n", what,
		       r->stray);
	if (r->deferred)
		printf("  %s: the in-flight limit held back sends %" PRIu64
		       " times (the rate is above what the system answers)\n",
		       what, r->deferred);
	return bad;
}

static void outcome(const struct bench *b, const char *what, const struct result *r)
{
	if (!r->ran)
		return;
	printf("vqd issues, %s: %" PRIu64 " replies = %" PRIu64 " tickets (%.0f/s)", what,
	       r->replies, r->ok, r->elapsed > 0 ? r->ok / r->elapsed : 0.0);
	const char *sep = ": ";
	for (int t = 0; t < b->ntiers; t++) {
		printf("%s%s %" PRIu64, sep, b->tiers[t].id, r->ok_tier[t]);
		sep = ", ";
	}
	printf("\n  + %" PRIu64 " errors", r->errors);
	sep = ": ";
	for (int i = 0; i < r->ncodes; i++) {
		printf("%s%s %" PRIu64, sep, r->codes[i].code, r->codes[i].n);
		sep = ", ";
	}
	printf("\n");
}

/* ---- options ---- */

static int usage(void)
{
	fprintf(stderr,
	        "usage: vq-bench mqtt --site ID --credentials FILE [--broker HOST[:PORT]] "
	        "[options]\n"
	        "  --kiosks N            simulated kiosks, accounts bench-kiosk-1..N (4)\n"
	        "  --inflight K          requests in flight in total (64)\n"
	        "  --seconds S           per measurement (5)\n"
	        "  --rate R              then open loop at R requests/s (1000; 0: skip it)\n"
	        "  --attractions A       issue for the site's first A attractions (all)\n"
	        "  --tier-mix MIX        tier weights; the lowest tier takes no card\n"
	        "                        (standard:70,silver:20,gold:8,platinum:2)\n"
	        "  --cards N             member cards per tier (sized from the run)\n"
	        "  --timeout S           a request unanswered this long is lost (10)\n"
	        "  --vqd-pid PID         report vqd's memory from /proc/PID/status\n"
	        "  --baseline-only       only the echo baseline (no vqd needed); then\n"
	        "    --request-size B --reply-size B  its payloads (100, 400)\n"
	        "  --vqd-only            only vqd\n"
	        "  --seed N              the request mix's random seed\n"
	        "  --quiet               only the figures\n"
	        "connection (--user: the operator account, default bench):\n"
	        "%s",
	        vq_busopt_usage());
	return 2;
}

static int num_arg(int argc, char **argv, int *i, double lo, double hi, double *out)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "vq-bench mqtt: %s needs a value\n", argv[*i]);
		return -1;
	}
	char *end;
	double v = strtod(argv[*i + 1], &end);
	if (*end || end == argv[*i + 1] || v < lo || v > hi) {
		fprintf(stderr, "vq-bench mqtt: %s: want a number in %g..%g, got '%s'\n", argv[*i],
		        lo, hi, argv[*i + 1]);
		return -1;
	}
	*out = v;
	*i += 2;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	vq_busopt_init(&o->bo, "operator");
	snprintf(o->bo.user, sizeof o->bo.user, "bench");
	o->kiosks = 4;
	o->inflight = 64;
	o->seconds = 5;
	o->timeout = 10;
	o->tier_mix = "standard:70,silver:20,gold:8,platinum:2";
	o->rate = 1000;
	o->request_size = 100;
	o->reply_size = 400;
	o->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	for (int i = 0; i < argc;) {
		const char *a = argv[i];
		char err[256];
		double v = 0;
		int rc = vq_busopt_parse(&o->bo, argc, argv, &i, err, sizeof err);
		if (rc < 0) {
			fprintf(stderr, "vq-bench mqtt: %s\n", err);
			return -1;
		}
		if (rc > 0)
			continue;
		if (!strcmp(a, "--quiet")) {
			o->quiet = true;
			i++;
		} else if (!strcmp(a, "--baseline-only")) {
			o->baseline_only = true;
			i++;
		} else if (!strcmp(a, "--vqd-only")) {
			o->vqd_only = true;
			i++;
		} else if (!strcmp(a, "--tier-mix") && i + 1 < argc) {
			o->tier_mix = argv[i + 1];
			i += 2;
		} else if (!strcmp(a, "--kiosks")) {
			if (num_arg(argc, argv, &i, 1, MAX_KIOSKS, &v))
				return -1;
			o->kiosks = (int)v;
		} else if (!strcmp(a, "--inflight")) {
			if (num_arg(argc, argv, &i, 1, 100000, &v))
				return -1;
			o->inflight = (int)v;
		} else if (!strcmp(a, "--seconds")) {
			if (num_arg(argc, argv, &i, 0.1, 3600, &o->seconds))
				return -1;
		} else if (!strcmp(a, "--rate")) {
			if (num_arg(argc, argv, &i, 0, 1e6, &o->rate))
				return -1;
		} else if (!strcmp(a, "--attractions")) {
			if (num_arg(argc, argv, &i, 0, 100000, &v))
				return -1;
			o->attractions = (int)v;
		} else if (!strcmp(a, "--cards")) {
			if (num_arg(argc, argv, &i, 1, 1e8, &v))
				return -1;
			o->cards = (long)v;
		} else if (!strcmp(a, "--timeout")) {
			if (num_arg(argc, argv, &i, 0.1, 3600, &o->timeout))
				return -1;
		} else if (!strcmp(a, "--vqd-pid")) {
			if (num_arg(argc, argv, &i, 1, 1e9, &v))
				return -1;
			o->vqd_pid = (pid_t)v;
		} else if (!strcmp(a, "--request-size")) {
			if (num_arg(argc, argv, &i, 1, 65536, &v))
				return -1;
			o->request_size = (size_t)v;
		} else if (!strcmp(a, "--reply-size")) {
			if (num_arg(argc, argv, &i, 1, 65536, &v))
				return -1;
			o->reply_size = (size_t)v;
		} else if (!strcmp(a, "--seed")) {
			if (num_arg(argc, argv, &i, 0, 1e18, &v))
				return -1;
			o->seed = (uint64_t)v;
		} else {
			if (strcmp(a, "--help") && strcmp(a, "-h"))
				fprintf(stderr,
				        "vq-bench mqtt: unknown or incomplete option '%s'\n", a);
			return -1;
		}
	}
	if (o->baseline_only && o->vqd_only) {
		fprintf(stderr,
		        "vq-bench mqtt: --baseline-only and --vqd-only exclude each other\n");
		return -1;
	}
	if (o->bo.tls_cert[0] || o->bo.tls_key[0]) {
		fprintf(stderr,
		        "vq-bench mqtt: it connects as several accounts, so it needs each "
		        "one's own certificate (--tls-dir) or password (--credentials), not "
		        "one device certificate\n");
		return -1;
	}
	if (!o->bo.site[0]) {
		fprintf(stderr, "vq-bench mqtt: no site: give --site (or VQ_SITE)\n");
		return -1;
	}
	if (!o->bo.credentials[0] && !o->bo.tls_dir[0]) {
		fprintf(stderr, "vq-bench mqtt: no --credentials: it needs the passwords of "
		                "several accounts (bench, bench-echo, bench-ping, bench-kiosk-N), "
		                "or --tls-dir\n");
		return -1;
	}
	return 0;
}

/* ---- the run ---- */

static void teardown(struct bench *b)
{
	if (b->echo_running) {
		atomic_store(&b->echo.stop, true);
		pthread_join(b->echo.thread, NULL);
	}
	/* In parallel would be faster, but each is bounded (~1 s) and only at the end. */
	for (int i = 0; i < b->nkiosks; i++)
		vq_bus_free(b->kiosk[i].bus);
	vq_bus_free(b->echo.bus);
	vq_bus_free(b->oper);
	vq_bus_free(b->base.bus);
	free(b->echo.payload);
	free(b->echo_req);
	free(b->attrs);
}

static int start_echo(struct bench *b, size_t req_size, size_t reply_size)
{
	char head[64];
	snprintf(head, sizeof head, "{\"v\":1,\"rid\":\"%s-echo\"", b->nonce);
	b->echo_req = padded_json(head, req_size, &b->echo_req_len);
	b->echo.payload = padded_json("{\"v\":1,\"ok\":true", reply_size, &b->echo.len);
	if (!b->echo_req || !b->echo.payload)
		return -1;
	atomic_store(&b->echo.stop, false);
	if (pthread_create(&b->echo.thread, NULL, echo_main, &b->echo) != 0)
		return -1;
	b->echo_running = true;
	return 0;
}

int vq_bench_mqtt(int argc, char **argv)
{
	struct bench *b = calloc(1, sizeof *b);
	if (!b)
		return 1;
	if (parse_options(argc, argv, &b->o)) {
		free(b);
		return usage();
	}
	struct options *o = &b->o;
	b->rng = o->seed;
	snprintf(b->nonce, sizeof b->nonce, "%08" PRIx32, (uint32_t)vq_bench_rng(&b->rng));
	/* Cards unique to this run, so a second run on the same vqd starts with empty hands. */
	b->card_base = (uint64_t)(time(NULL) % 100000) * 1000000;
	signal(SIGPIPE, SIG_IGN);

	int rc = 1;
	struct result cb = {0}, cv = {0}, ob = {0}, ov = {0};
	long rss0 = -1;
	if (o->vqd_pid && kill(o->vqd_pid, 0) != 0 && errno == ESRCH) {
		fprintf(stderr, "vq-bench mqtt: --vqd-pid %ld: no such process\n",
		        (long)o->vqd_pid);
		goto out;
	}
	say(b, "connecting to %s:%d, site %s", o->bo.host, o->bo.port ? o->bo.port : 1883,
	    o->bo.site);
	if (connect_all(b))
		goto out;

	size_t req_size = o->request_size, reply_size = o->reply_size;
	if (!o->baseline_only) {
		if (read_site(b) || parse_mix(b) || probe(b))
			goto out;
		req_size = b->probe_req_len;
		reply_size = b->probe_reply_len;
		if (identify_tiers(b))
			goto out;
	}
	say(b, "payloads: request %zu B, reply %zu B%s", req_size, reply_size,
	    o->baseline_only ? " (--request-size, --reply-size)" : " (as a real issue)");

	struct phase base = {.suffix = "bench/echo", .conns = &b->base, .nconns = 1};
	struct phase vqd = {
	    .suffix = "svc/issue", .conns = b->kiosk, .nconns = b->nkiosks, .vqd = true};
	if (!o->vqd_only) {
		if (start_echo(b, req_size, reply_size))
			goto out;
		say(b, "baseline: echo through the broker, %d in flight, %.1f s", o->inflight,
		    o->seconds);
		if (run_phase(b, &base, &cb))
			goto out;
	}
	if (!o->baseline_only) {
		/* vqd does not outrun the bare echo: half again as many cards is plenty. */
		double est = cb.ran ? 1.5 * rate_of(&cb) : EST_ISSUES_PER_S;
		if (import_pool(b, est > 1000 ? est : 1000))
			goto out;
		rss0 = o->vqd_pid ? proc_kb(o->vqd_pid, "VmRSS") : -1;
		say(b, "vqd: svc/issue from %d kiosks, %d in flight, %.1f s", b->nkiosks,
		    o->inflight, o->seconds);
		if (run_phase(b, &vqd, &cv))
			goto out;
	}
	if (o->rate > 0) {
		base.rate = vqd.rate = o->rate;
		if (!o->vqd_only) {
			say(b, "baseline: open loop, %.0f/s", o->rate);
			if (run_phase(b, &base, &ob))
				goto out;
		}
		if (!o->baseline_only) {
			say(b, "vqd: open loop, %.0f/s", o->rate);
			if (run_phase(b, &vqd, &ov))
				goto out;
		}
	}

	printf("vq-bench mqtt: site %s at %s:%d; %d in flight; %.1f s per run", o->bo.site,
	       o->bo.host, o->bo.port ? o->bo.port : 1883, o->inflight, o->seconds);
	if (!o->vqd_only)
		printf("; baseline: %s -> bench-echo, 1 connection", b->base.name);
	if (!o->baseline_only)
		printf("; vqd: %d kiosks, %d attractions, %s", b->nkiosks, b->nattrs, o->tier_mix);
	printf("\n");
	printf("payloads: request %zu B, reply %zu B\n", req_size, reply_size);
	char title[128];
	snprintf(title, sizeof title, "closed loop, %d in flight", o->inflight);
	table(title, &cb, &cv);
	if (o->rate > 0) {
		snprintf(title, sizeof title, "open loop, %.0f requests/s, at most %d in flight",
		         o->rate, o->inflight);
		table(title, &ob, &ov);
	}
	outcome(b, "closed loop", &cv);
	outcome(b, "open loop", &ov);
	for (int t = 0; t < b->ntiers; t++)
		if (b->tiers[t].wrapped)
			printf("  the %ld %s cards ran out and were used again (limit_reached "
			       "expected): raise --cards\n",
			       b->tiers[t].ncards, b->tiers[t].id);
	int bad = problems("baseline closed", &cb) | problems("vqd closed", &cv) |
	          problems("baseline open", &ob) | problems("vqd open", &ov);
	if (b->echo.failed)
		printf("  the echo responder failed to answer %" PRIu64 " requests\n",
		       b->echo.failed);
	if (o->vqd_pid) {
		long hwm = proc_kb(o->vqd_pid, "VmHWM"), rss = proc_kb(o->vqd_pid, "VmRSS");
		if (hwm < 0) {
			printf("vqd memory: /proc/%ld/status unreadable: did vqd exit?\n",
			       (long)o->vqd_pid);
			bad = 1;
		} else {
			printf("vqd memory: peak (VmHWM) %.1f MiB; VmRSS %.1f MiB at the end",
			       hwm / 1024.0, rss / 1024.0);
			if (rss0 >= 0)
				printf(", %.1f MiB before the runs", rss0 / 1024.0);
			printf("\n");
		}
	}
	if (cb.ran && cv.ran) {
		double q = rate_of(&cb) > 0 ? rate_of(&cv) / rate_of(&cb) : 0;
		printf("goal: vqd throughput >= 0.5 x echo at K=%d: %.2f, %s\n", o->inflight, q,
		       q >= 0.5 ? "met" : "NOT met");
	}
	if (ov.ran) {
		double p99 = pct_ms(&ov, 0.99);
		printf("goal: vqd p99 < 20 ms at %.0f issues/s: %.2f ms, %s\n", o->rate, p99,
		       p99 < 20 ? "met" : "NOT met");
	}
	rc = bad ? 1 : 0;
out:
	teardown(b);
	free(cb.lat_us);
	free(cv.lat_us);
	free(ob.lat_us);
	free(ov.lat_us);
	free(b);
	return rc;
}
