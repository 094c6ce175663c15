/* tests/test_ha.c — an HA site end to end, on loopback: a PostgreSQL formation with
 * automatic failover (tools/pg-formation: monitor + 2 synchronous nodes), two vqd on it
 * (vqd, vqd-2: one serves, one stands by), two mosquitto brokers bridged as
 * `vq-accounts --peer` renders them (A, and B bridged to A), and a load client: kiosk-1
 * and kiosk-2 on B first, CLIENTS threads issuing tickets, each request retried with the
 * same rid until it is answered ok.
 *
 * Scenarios, in this order, on the one formation (it takes ~20 s to come up):
 *   vqd_killed      kill -9 of the vqd that serves
 *   vqd_paused      SIGSTOP of the vqd that serves, past its lease, then SIGCONT: it must
 *                   have stopped answering before the other took over, and stay quiet
 *   broker_killed   kill -9 of broker B, the one the kiosks are on
 *   primary_killed  kill -9 of the formation's primary node
 *   vqd_unlinked    the serving vqd, on broker B only, loses B: it lets the claim go after
 *                   a lease, and the other, on A, takes over
 *   chain_members   a second site of the same chain on the same formation, with its own
 *                   broker and vqd: one member list for both, each vqd deciding only its
 *                   own site
 * Each must show: every acknowledged ticket in the store and answered again from its
 * remembered reply by whichever vqd serves now (0 lost); as many tickets in the store as
 * acknowledged requests, each request's ticket its own (0 issued twice); the replies'
 * origin and term (MQTT 5 user properties) never going back in the order they arrived,
 * one origin per term (no two vqd answering at once); and service back within 10 s of the
 * fault. The times measured are printed ("ha: ..."), for the report.
 *
 * Everything runs in one process without forking per test (CK_NOFORK): the site is set
 * up once, each scenario repairs what it broke for the next.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/pgformation.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#define LEASE_MS     3000
#define CLIENTS      8     /* threads, shared by the two kiosk buses */
#define PACE_MS      50    /* one new request per thread at most this often */
#define CALL_MS      1000  /* then the same request again */
#define GIVE_UP_MS   30000 /* a request unanswered this long counts as lost */
#define BACK_MS      10000 /* service must be back within this */
#define WARM_MS      3000  /* load before each fault */
#define AFTER_MS     3000  /* load once service is back */
#define MAX_REQUESTS 200000
#define MAX_REPLIES  400000
#define RECHECK      20 /* acknowledged requests sent again after each fault */
#define START_MS     30000
#define SCHEMA       "vq_site_" VQS_SITE
#define CHAIN        "resort"

static const char *const ACCOUNTS[2] = {"vqd", "vqd-2"};

typedef struct req {
	char rid[48];
	char body[160];
	double first_ms, acked_ms;
	int64_t ticket;
	int scenario;
	int kiosk; /* the bus it went through: a request is its account's */
	int tries;
	int acked;
} req;

typedef struct reply {
	double at_ms;
	int64_t term;
	int origin; /* index in ACCOUNTS, or -1 */
} reply;

static struct {
	vq_test_pgf *pgf;
	vqs_site *site;
	char exe[1024], keyfile[1100], logs[2][1100], config[1100];
	char brokers[2][64]; /* vqd's list; vqd-2's, the other way round */
	char origin_s[32], start_s[32];
	pid_t vqd[2];
	vq_bus *kiosk[2];
	/* the load */
	pthread_t threads[CLIENTS];
	atomic_int stop;
	atomic_int scenario;
	pthread_mutex_t mu;
	req *reqs;
	size_t nreqs;
	reply *replies;
	size_t nreplies;
	size_t unexpected; /* refusals other than storage or day_unavailable */
	int scenario_open; /* a scenario began and did not get to its end: logs wanted */
	size_t extra;      /* tickets issued at the site other than by the load */
} H;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {(time_t)(ms / 1000), (long)((long long)ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void dump_logs(void)
{
	for (int i = 0; i < 2; i++) {
		size_t len = 0;
		char *t = tu_read_file(H.logs[i], &len);
		fprintf(stderr, "----- %s's log, the end -----\n%s\n", ACCOUNTS[i],
		        t ? t + (len > 12000 ? len - 12000 : 0) : "(none)");
		free(t);
	}
	if (H.pgf)
		vq_test_pgf_show(H.pgf);
}

/* --- the two vqd --------------------------------------------------------------------- */

static int vqd_start(int i)
{
	char *argv[] = {H.exe,
	                "--config",
	                H.config,
	                "--db",
	                (char *)vq_test_pgf_uri(H.pgf),
	                "--key-file",
	                H.keyfile,
	                "--broker",
	                H.brokers[i],
	                "--site",
	                VQS_SITE,
	                "--user",
	                (char *)ACCOUNTS[i],
	                "--credentials",
	                (char *)vqs_credentials(H.site),
	                "--clock-start",
	                H.start_s,
	                "--clock-origin",
	                H.origin_s,
	                "--lease-ms",
	                "3000",
	                "--log-level",
	                "info",
	                NULL};
	int logfd = open(H.logs[i], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		return VQ_EBUS;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		tu_exec_child(argv, parent, logfd, SIGKILL);
	close(logfd);
	if (pid < 0)
		return VQ_EBUS;
	H.vqd[i] = pid;
	return VQ_OK;
}

static void vqd_reap(int i, int sig)
{
	if (H.vqd[i] <= 0)
		return;
	kill(H.vqd[i], sig);
	int st;
	while (waitpid(H.vqd[i], &st, 0) < 0 && errno == EINTR)
		;
	H.vqd[i] = 0;
}

/* Waits until vqd i's log holds text after offset from (its length when asked). */
static int log_says(int i, size_t from, const char *text, int timeout_ms)
{
	double deadline = now_ms() + timeout_ms;
	do {
		size_t len = 0;
		char *t = tu_read_file(H.logs[i], &len);
		int found = t && len > from && strstr(t + from, text);
		free(t);
		if (found)
			return 1;
		if (H.vqd[i] > 0 && waitpid(H.vqd[i], NULL, WNOHANG) == H.vqd[i]) {
			H.vqd[i] = 0;
			return 0;
		}
		sleep_ms(50);
	} while (now_ms() < deadline);
	return 0;
}

static size_t log_len(int i)
{
	size_t len = 0;
	free(tu_read_file(H.logs[i], &len));
	return len;
}

/* Starts vqd i where the other one serves, and waits until it is on a broker (then
 * standing by). */
static void standby_start(int i)
{
	size_t from = log_len(i);
	ck_assert_int_eq(vqd_start(i), VQ_OK);
	if (!log_says(i, from, "connected to the broker at", START_MS)) {
		dump_logs();
		ck_abort_msg("%s did not start", ACCOUNTS[i]);
	}
}

/* --- the load ------------------------------------------------------------------------ */

static int origin_index(const char *name)
{
	for (int i = 0; name && i < 2; i++)
		if (strcmp(name, ACCOUNTS[i]) == 0)
			return i;
	return -1;
}

/* Sends r until it is answered ok (or GIVE_UP_MS); records every reply. */
static void send_until_acked(vq_bus *bus, req *r)
{
	r->first_ms = now_ms();
	for (;;) {
		vq_bus_msg *m = NULL;
		r->tries++;
		int rc = vq_bus_call(bus, "svc/issue", r->body, strlen(r->body), CALL_MS, &m);
		double at = now_ms();
		if (rc == VQ_OK) {
			reply rep = {.at_ms = at,
			             .origin = origin_index(vq_bus_msg_prop(m, "origin")),
			             .term = atoll(vq_bus_msg_prop(m, "term")
			                               ? vq_bus_msg_prop(m, "term")
			                               : "0")};
			cJSON *j = cJSON_ParseWithLength(m->payload, m->len);
			int64_t ticket = 0;
			int ok = vqs_ok(j) && vqs_int(j, "ticket.id", &ticket);
			const char *code = vqs_errcode(j);
			int retry =
			    strcmp(code, "storage") == 0 || strcmp(code, "day_unavailable") == 0;
			pthread_mutex_lock(&H.mu);
			if (H.nreplies < MAX_REPLIES)
				H.replies[H.nreplies++] = rep;
			if (!ok && !retry) {
				H.unexpected++;
				fprintf(stderr, "ha: unexpected reply to %s: %.*s\n", r->rid,
				        (int)m->len, m->payload);
			}
			if (ok) {
				r->ticket = ticket;
				r->acked_ms = at;
				r->acked = 1;
			}
			pthread_mutex_unlock(&H.mu);
			cJSON_Delete(j);
			vq_bus_msg_free(m);
			if (ok || !retry)
				return;
		}
		if (at - r->first_ms > GIVE_UP_MS)
			return;
		if (rc != VQ_ETIMEOUT)
			sleep_ms(100); /* not the time a timeout took already */
	}
}

static void *load_main(void *arg)
{
	int t = (int)(intptr_t)arg;
	vq_bus *bus = H.kiosk[t % 2];
	unsigned n = 0;
	while (!atomic_load(&H.stop)) {
		pthread_mutex_lock(&H.mu);
		req *r = H.nreqs < MAX_REQUESTS ? &H.reqs[H.nreqs++] : NULL;
		pthread_mutex_unlock(&H.mu);
		if (!r)
			break;
		int s = atomic_load(&H.scenario);
		r->scenario = s;
		r->kiosk = t % 2;
		snprintf(r->rid, sizeof r->rid, "ha-%d-%d-%u", s, t, n);
		snprintf(r->body, sizeof r->body,
		         "{\"v\":1,\"rid\":\"%s\",\"card\":\"card-%d-%d-%u\",\"attraction\":"
		         "\"coaster\",\"party\":1}",
		         r->rid, s, t, n);
		n++;
		double t0 = now_ms();
		send_until_acked(bus, r);
		sleep_ms(PACE_MS - (now_ms() - t0));
	}
	return NULL;
}

static void load_start(int scenario)
{
	atomic_store(&H.scenario, scenario);
	atomic_store(&H.stop, 0);
	for (int t = 0; t < CLIENTS; t++)
		ck_assert_int_eq(
		    pthread_create(&H.threads[t], NULL, load_main, (void *)(intptr_t)t), 0);
}

/* Stops sending new requests and waits for the ones under way. */
static void load_stop(void)
{
	atomic_store(&H.stop, 1);
	for (int t = 0; t < CLIENTS; t++)
		pthread_join(H.threads[t], NULL);
	/* late replies to requests sent again meanwhile: nobody waits for them */
	for (int k = 0; k < 2; k++) {
		vq_bus_msg *m[64];
		size_t n = 0;
		do {
			vq_bus_poll(H.kiosk[k], m, 64, &n, 0);
			for (size_t i = 0; i < n; i++)
				vq_bus_msg_free(m[i]);
		} while (n);
	}
}

/* The first acknowledgement of a request first sent after t (ms), or 0. */
static double first_ack_after(double t)
{
	double best = 0;
	pthread_mutex_lock(&H.mu);
	for (size_t i = 0; i < H.nreqs; i++)
		if (H.reqs[i].acked && H.reqs[i].first_ms > t &&
		    (!best || H.reqs[i].acked_ms < best))
			best = H.reqs[i].acked_ms;
	pthread_mutex_unlock(&H.mu);
	return best;
}

/* The first ok reply from a term above term, received after t, or 0; its origin. */
static double first_reply_of_new_term(double t, int64_t term, int *origin)
{
	pthread_mutex_lock(&H.mu);
	double best = 0;
	for (size_t i = 0; i < H.nreplies; i++)
		if (H.replies[i].at_ms > t && H.replies[i].term > term &&
		    (!best || H.replies[i].at_ms < best)) {
			best = H.replies[i].at_ms;
			*origin = H.replies[i].origin;
		}
	pthread_mutex_unlock(&H.mu);
	return best;
}

/* The latest reply's origin and term (waiting for one up to 10 s). */
static int serving_now(int64_t *term)
{
	double deadline = now_ms() + 10000;
	while (now_ms() < deadline) {
		pthread_mutex_lock(&H.mu);
		int origin = -1;
		if (H.nreplies) {
			origin = H.replies[H.nreplies - 1].origin;
			*term = H.replies[H.nreplies - 1].term;
		}
		pthread_mutex_unlock(&H.mu);
		if (origin >= 0)
			return origin;
		sleep_ms(50);
	}
	ck_abort_msg("no reply from any vqd");
	return -1;
}

/* Waits until service is back after a fault that had taken effect at t_effect (an ok
 * reply to a request first sent after it), then AFTER_MS more of load. */
static void wait_back(double t_effect)
{
	while (!first_ack_after(t_effect) && now_ms() - t_effect < BACK_MS + 5000)
		sleep_ms(50);
	sleep_ms(AFTER_MS);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The longest time without an acknowledgement, from 2 s before t until the end. */
static double longest_silence(double t)
{
	pthread_mutex_lock(&H.mu);
	size_t n = 0;
	double *at = malloc((H.nreqs ? H.nreqs : 1) * sizeof *at);
	for (size_t i = 0; at && i < H.nreqs; i++)
		if (H.reqs[i].acked && H.reqs[i].acked_ms >= t - 2000)
			at[n++] = H.reqs[i].acked_ms;
	pthread_mutex_unlock(&H.mu);
	ck_assert_ptr_nonnull(at);
	qsort(at, n, sizeof *at, cmp_double);
	double worst = 0;
	for (size_t i = 1; i < n; i++)
		if (at[i] - at[i - 1] > worst)
			worst = at[i] - at[i - 1];
	free(at);
	return worst;
}

/* --- the checks ---------------------------------------------------------------------- */

static int64_t db_int(const char *sql)
{
	PGconn *c = PQconnectdb(vq_test_pgf_uri(H.pgf));
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	if (!ok)
		fprintf(stderr, "ha: %s: %s\n", sql, PQerrorMessage(c));
	int64_t v = ok ? atoll(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	PQfinish(c);
	ck_assert_msg(ok, "cannot ask the store: %s", sql);
	return v;
}

static int cmp_reply(const void *a, const void *b)
{
	const reply *x = a, *y = b;
	return x->at_ms < y->at_ms ? -1 : x->at_ms > y->at_ms;
}

/* No two vqd at once: in the order replies arrived, terms never go back, and each term
 * has one origin. */
static void check_origins(void)
{
	pthread_mutex_lock(&H.mu);
	size_t n = H.nreplies;
	reply *sorted = malloc((n ? n : 1) * sizeof *sorted);
	ck_assert_ptr_nonnull(sorted);
	memcpy(sorted, H.replies, n * sizeof *sorted);
	pthread_mutex_unlock(&H.mu);
	qsort(sorted, n, sizeof *sorted, cmp_reply);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(sorted[i].origin >= 0 && sorted[i].term > 0,
		              "a reply without origin or term");
		if (i == 0)
			continue;
		ck_assert_msg(sorted[i].term >= sorted[i - 1].term,
		              "a reply of term %lld (%s) came after one of term %lld (%s)",
		              (long long)sorted[i].term, ACCOUNTS[sorted[i].origin],
		              (long long)sorted[i - 1].term, ACCOUNTS[sorted[i - 1].origin]);
		if (sorted[i].term == sorted[i - 1].term)
			ck_assert_msg(sorted[i].origin == sorted[i - 1].origin,
			              "term %lld answered by both vqd", (long long)sorted[i].term);
	}
	free(sorted);
}

/* Every request of the scenario acknowledged; every acknowledged ticket in the store,
 * each its own; no ticket in the store that nobody acknowledged; a few acknowledged
 * requests sent again get their first answer from whoever serves now. */
static void check_tickets(int scenario, size_t *acked_out)
{
	size_t acked = 0, lost = 0, all_acked = 0;
	pthread_mutex_lock(&H.mu);
	size_t n = H.nreqs;
	int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
	ck_assert_ptr_nonnull(ids);
	for (size_t i = 0; i < n; i++) {
		if (H.reqs[i].acked)
			all_acked++;
		if (H.reqs[i].scenario != scenario)
			continue;
		if (!H.reqs[i].acked) {
			lost++;
			continue;
		}
		ids[acked++] = H.reqs[i].ticket;
	}
	pthread_mutex_unlock(&H.mu);
	ck_assert_msg(lost == 0, "%zu requests never acknowledged in %d s", lost,
	              GIVE_UP_MS / 1000);
	ck_assert_msg(H.unexpected == 0, "%zu unexpected refusals", H.unexpected);
	ck_assert_msg(acked > 0, "nothing acknowledged");
	/* each acknowledged request got a ticket of its own ... */
	size_t len = 64 + acked * 21;
	char *sql = malloc(len + 128);
	ck_assert_ptr_nonnull(sql);
	int at =
	    snprintf(sql, len, "SELECT count(DISTINCT id) FROM " SCHEMA ".tickets WHERE id IN (");
	for (size_t i = 0; i < acked; i++)
		at += snprintf(sql + at, len + 128 - (size_t)at, "%s%lld", i ? "," : "",
		               (long long)ids[i]);
	snprintf(sql + at, len + 128 - (size_t)at, ")");
	int64_t found = db_int(sql);
	free(sql);
	free(ids);
	/* ... every one of them is in the store (0 lost) ... */
	ck_assert_msg(found == (int64_t)acked, "%zu tickets acknowledged, %lld of them stored",
	              acked, (long long)found);
	/* ... and the store holds no other (0 issued twice: a request recorded twice would
	 * be two tickets for one acknowledgement) */
	int64_t total = db_int("SELECT count(*) FROM " SCHEMA ".tickets");
	ck_assert_msg(total == (int64_t)(all_acked + H.extra),
	              "%lld tickets stored for %zu acknowledged", (long long)total,
	              all_acked + H.extra);
	*acked_out = acked;
}

/* Acknowledged requests from before the fault, sent again: the same ticket, from the
 * vqd that serves now (its remembered reply). */
static void check_retries(int scenario, double t_fault)
{
	int sent = 0;
	for (size_t i = 0; i < H.nreqs && sent < RECHECK; i++) {
		req *r = &H.reqs[i];
		if (r->scenario != scenario || !r->acked || r->first_ms > t_fault)
			continue;
		/* every (n/RECHECK)th, so they spread over the warm-up */
		if (i % 7)
			continue;
		vq_bus_msg *m = NULL;
		int rc =
		    vq_bus_call(H.kiosk[r->kiosk], "svc/issue", r->body, strlen(r->body), 5000, &m);
		ck_assert_int_eq(rc, VQ_OK);
		cJSON *j = cJSON_ParseWithLength(m->payload, m->len);
		int64_t ticket = 0;
		ck_assert_msg(vqs_ok(j) && vqs_int(j, "ticket.id", &ticket) && ticket == r->ticket,
		              "%s sent again: %.*s (ticket %lld first)", r->rid, (int)m->len,
		              m->payload, (long long)r->ticket);
		cJSON_Delete(j);
		vq_bus_msg_free(m);
		sent++;
	}
	ck_assert_int_gt(sent, 0);
}

/* A fault: begun at start (ms), in full effect at effect; the term served before. */
typedef struct fault {
	const char *name;
	int scenario;
	double start, effect;
	int64_t term;
	int expect_new_term; /* the claim must have moved: a vqd or its session died */
} fault;

/* The checks, and the figures for the report: service back (the first acknowledgement
 * of a request first sent once the fault was in effect, from its start), the longest
 * time without any acknowledgement, and for a claim that moved, the first reply of the
 * new term. */
static void report(const fault *f)
{
	size_t acked = 0;
	check_tickets(f->scenario, &acked);
	check_origins();
	size_t retried = 0;
	pthread_mutex_lock(&H.mu);
	for (size_t i = 0; i < H.nreqs; i++)
		if (H.reqs[i].scenario == f->scenario && H.reqs[i].tries > 1)
			retried++;
	pthread_mutex_unlock(&H.mu);
	double first = first_ack_after(f->effect);
	double back = first ? first - f->start : -1;
	double silence = longest_silence(f->start);
	int origin = -1;
	double taken = first_reply_of_new_term(f->start, f->term, &origin);
	char takeover[96] = "";
	if (taken)
		snprintf(takeover, sizeof takeover, ", takeover by %s in %.0f ms", ACCOUNTS[origin],
		         taken - f->start);
	fprintf(stderr,
	        "ha: %s: service back in %.0f ms (longest silence %.0f ms)%s; %zu acknowledged, "
	        "%zu sent more than once, 0 lost, 0 issued twice, one vqd at a time\n",
	        f->name, back, silence, takeover, acked, retried);
	ck_assert_msg(!f->expect_new_term || taken, "%s: no reply of a new term", f->name);
	ck_assert_msg(back >= 0 && back <= BACK_MS, "%s: service back in %.0f ms", f->name, back);
	ck_assert_msg(silence <= BACK_MS, "%s: %.0f ms without an acknowledgement", f->name,
	              silence);
}

/* --- set-up -------------------------------------------------------------------------- */

/* vqsite's default site under another id, in the chain CHAIN, without rate limits.
 * malloc'd. */
static char *chain_config(const char *id)
{
	char *base = vqs_config_with_limits(VQS_NO_LIMITS);
	ck_assert_ptr_nonnull(base);
	const char *from = strstr(base, "\"name\":");
	ck_assert_ptr_nonnull(from);
	size_t len = strlen(from) + 128;
	char *c = malloc(len);
	ck_assert_ptr_nonnull(c);
	snprintf(c, len, "{\"version\":1,\"id\":\"%s\",\"chain\":\"" CHAIN "\",%s", id, from);
	free(base);
	return c;
}

static void setup(void)
{
	tu_scratch_begin("ha");
	pthread_mutex_init(&H.mu, NULL);
	H.reqs = calloc(MAX_REQUESTS, sizeof *H.reqs);
	H.replies = calloc(MAX_REPLIES, sizeof *H.replies);
	ck_assert(H.reqs && H.replies);
	int rc = vq_test_pgf_start(2, &H.pgf);
	ck_assert_msg(rc == VQ_OK, "no formation: %s", vq_strerror(rc));
	char *config = chain_config(VQS_SITE);
	vqs_opts o = {.config = config, .no_vqd = true, .peer = true};
	rc = vqs_start(&o, &H.site);
	free(config);
	ck_assert_msg(rc == VQ_OK, "no site: %s", vq_strerror(rc));
	const char *bin = getenv("VQ_BINARY_DIR");
	snprintf(H.exe, sizeof H.exe, "%s/coordinator/vqd", bin && *bin ? bin : ".");
	snprintf(H.config, sizeof H.config, "%s", vqs_config_path(H.site));
	snprintf(H.keyfile, sizeof H.keyfile, "%s/vqd.keys", vqs_dir(H.site));
	for (int i = 0; i < 2; i++)
		snprintf(H.logs[i], sizeof H.logs[i], "%s/%s.log", vqs_dir(H.site), ACCOUNTS[i]);
	int a = vqs_port(H.site), b = vq_test_broker_port(vqs_peer(H.site));
	snprintf(H.brokers[0], sizeof H.brokers[0], "127.0.0.1:%d,127.0.0.1:%d", a, b);
	snprintf(H.brokers[1], sizeof H.brokers[1], "127.0.0.1:%d,127.0.0.1:%d", b, a);
	/* both vqd read the same demo clock: 10:01 at the same real instant */
	snprintf(H.origin_s, sizeof H.origin_s, "%lld", (long long)time(NULL));
	snprintf(H.start_s, sizeof H.start_s, "%lld", VQS_CLOCK_START);
	ck_assert_int_eq(vqd_start(0), VQ_OK);
	if (vqs_wait_presence(H.site, true, START_MS) != VQ_OK) {
		dump_logs();
		ck_abort_msg("vqd did not come online");
	}
	standby_start(1);
	const int ports[] = {b, a};
	for (int k = 0; k < 2; k++) {
		H.kiosk[k] = vqs_bus_at(H.site, k ? "kiosk-2" : "kiosk-1", NULL, ports, 2);
		ck_assert_ptr_nonnull(H.kiosk[k]);
	}
}

static void teardown(void)
{
	if (H.scenario_open)
		dump_logs();
	for (int k = 0; k < 2; k++)
		vq_bus_free(H.kiosk[k]);
	for (int i = 0; i < 2; i++)
		vqd_reap(i, SIGKILL);
	vqs_free(H.site);
	vq_test_pgf_stop(H.pgf);
	free(H.reqs);
	free(H.replies);
	pthread_mutex_destroy(&H.mu);
	tu_scratch_end();
}

/* --- the scenarios ------------------------------------------------------------------- */

/* What an earlier scenario broke and did not get to repair (it failed half way): both
 * vqd running, broker B up. */
static void ensure_site(void)
{
	if (H.scenario_open)
		dump_logs();
	H.scenario_open = 1;
	for (int i = 0; i < 2; i++) {
		if (H.vqd[i] > 0 && waitpid(H.vqd[i], NULL, WNOHANG) == H.vqd[i])
			H.vqd[i] = 0;
		if (H.vqd[i] > 0)
			kill(H.vqd[i], SIGCONT);
		else
			standby_start(i);
	}
	if (!vq_test_broker_pid(vqs_peer(H.site)))
		ck_assert_int_eq(vq_test_broker_up(vqs_peer(H.site)), VQ_OK);
}

START_TEST(vqd_killed)
{
	ensure_site();
	load_start(1);
	sleep_ms(WARM_MS);
	fault f = {.name = "kill -9 of the serving vqd", .scenario = 1, .expect_new_term = 1};
	int old = serving_now(&f.term);
	f.start = now_ms();
	vqd_reap(old, SIGKILL);
	f.effect = now_ms();
	wait_back(f.effect);
	load_stop();
	report(&f);
	int origin = -1;
	first_reply_of_new_term(f.start, f.term, &origin);
	ck_assert_msg(origin == 1 - old, "%s did not take over", ACCOUNTS[1 - old]);
	check_retries(1, f.start);
	standby_start(old);
	H.scenario_open = 0;
}
END_TEST

START_TEST(vqd_paused)
{
	ensure_site();
	load_start(2);
	sleep_ms(WARM_MS);
	fault f = {.name = "SIGSTOP of the serving vqd past its lease",
	           .scenario = 2,
	           .expect_new_term = 1};
	int old = serving_now(&f.term);
	size_t from = log_len(old);
	f.start = f.effect = now_ms();
	kill(H.vqd[old], SIGSTOP);
	wait_back(f.effect);
	/* paused well past its lease and the other's takeover; then awake, it finds it lost
	 * the claim, and answers nothing while the load goes on */
	sleep_ms(2.0 * LEASE_MS - (now_ms() - f.start));
	kill(H.vqd[old], SIGCONT);
	int stood_by = log_says(old, from, "no longer serving", 5000);
	sleep_ms(AFTER_MS);
	load_stop();
	report(&f);
	int origin = -1;
	first_reply_of_new_term(f.start, f.term, &origin);
	ck_assert_msg(origin == 1 - old, "%s did not take over", ACCOUNTS[1 - old]);
	ck_assert_msg(stood_by, "%s did not stand by once awake", ACCOUNTS[old]);
	check_retries(2, f.start);
	H.scenario_open = 0;
}
END_TEST

START_TEST(broker_killed)
{
	ensure_site();
	load_start(3);
	sleep_ms(WARM_MS);
	fault f = {.name = "kill -9 of the kiosks' broker", .scenario = 3};
	serving_now(&f.term);
	vq_test_broker *b = vqs_peer(H.site);
	char on_b[32], on_a[32], at[300];
	snprintf(on_b, sizeof on_b, "127.0.0.1:%d", vq_test_broker_port(b));
	snprintf(on_a, sizeof on_a, "127.0.0.1:%d", vqs_port(H.site));
	for (int k = 0; k < 2; k++) {
		vq_bus_broker(H.kiosk[k], at, sizeof at);
		ck_assert_str_eq(at, on_b);
	}
	f.start = now_ms();
	kill(vq_test_broker_pid(b), SIGKILL);
	f.effect = now_ms();
	wait_back(f.effect);
	for (int k = 0; k < 2; k++) {
		vq_bus_broker(H.kiosk[k], at, sizeof at);
		ck_assert_str_eq(at, on_a);
	}
	load_stop();
	vq_test_broker_down(b); /* reaps it */
	report(&f);
	check_retries(3, f.start);
	ck_assert_int_eq(vq_test_broker_up(b), VQ_OK);
	H.scenario_open = 0;
}
END_TEST

START_TEST(primary_killed)
{
	ensure_site();
	load_start(4);
	sleep_ms(WARM_MS);
	fault f = {
	    .name = "kill -9 of the primary database node", .scenario = 4, .expect_new_term = 1};
	int port = 0;
	ck_assert_int_eq(vq_test_pgf_primary(H.pgf, &port), VQ_OK);
	serving_now(&f.term);
	f.start = now_ms();
	ck_assert_int_eq(vq_test_pgf_kill(H.pgf, port), VQ_OK);
	f.effect = now_ms();
	wait_back(f.effect);
	load_stop();
	report(&f);
	check_retries(4, f.start);
	ck_assert_int_eq(vq_test_pgf_node_start(H.pgf, port), VQ_OK);
	H.scenario_open = 0;
}
END_TEST

/* Asks and checks: identify at a site, with the tier and the number of tickets held
 * there that the answer must show. */
static void identify(vq_bus *kiosk, const char *card, const char *tier, int held)
{
	cJSON *r =
	    vqs_callf(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"id-%s-%d\",\"card\":\"%s\"}", card,
	              (int)(now_ms()) % 1000000, card);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(vqs_ok(r), "identify %s: %s", card, vqs_errcode(r));
	ck_assert_str_eq(vqs_str(r, "tier"), tier);
	bool member = false;
	ck_assert(vqs_bool(r, "member", &member) && member);
	ck_assert_int_eq(cJSON_GetArraySize(vqs_get(r, "held")), held);
	cJSON_Delete(r);
}

START_TEST(chain_members)
{
	ensure_site();
	/* a second site of the chain: its own broker, accounts, key file and vqd, on the same
	 * formation */
	char *config = chain_config("other");
	vqs_site *other = NULL;
	vqs_opts o = {.site = "other", .config = config, .no_vqd = true};
	ck_assert_int_eq(vqs_start(&o, &other), VQ_OK);
	free(config);
	char port[32], keys[1100], log[1100];
	snprintf(port, sizeof port, "127.0.0.1:%d", vqs_port(other));
	snprintf(keys, sizeof keys, "%s/vqd.keys", vqs_dir(other));
	snprintf(log, sizeof log, "%s/vqd-pg.log", vqs_dir(other));
	char *argv[] = {H.exe,
	                "--config",
	                (char *)vqs_config_path(other),
	                "--db",
	                (char *)vq_test_pgf_uri(H.pgf),
	                "--key-file",
	                keys,
	                "--broker",
	                port,
	                "--site",
	                "other",
	                "--user",
	                "vqd",
	                "--credentials",
	                (char *)vqs_credentials(other),
	                "--clock-start",
	                H.start_s,
	                "--clock-origin",
	                H.origin_s,
	                NULL};
	int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ck_assert_int_ge(logfd, 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		tu_exec_child(argv, parent, logfd, SIGKILL);
	close(logfd);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(vqs_wait_presence(other, true, START_MS), VQ_OK);

	/* members imported at one site are the other's too, and the other way round */
	vq_bus *ops = vqs_bus(H.site, "ops-1", NULL);
	vq_bus *ops2 = vqs_bus(other, "ops-1", NULL);
	vq_bus *kiosk2 = vqs_bus(other, "kiosk-1", NULL);
	ck_assert(ops && ops2 && kiosk2);
	cJSON *r = vqs_callf(ops, "svc/ops",
	                     "{\"v\":1,\"rid\":\"chain-1\",\"cmd\":\"members_import\","
	                     "\"members\":[{\"card\":\"chain-a\",\"tier\":\"gold\"}]}");
	ck_assert_msg(r && vqs_ok(r), "members_import at %s", VQS_SITE);
	cJSON_Delete(r);
	r = vqs_callf(ops2, "svc/ops",
	              "{\"v\":1,\"rid\":\"chain-2\",\"cmd\":\"members_import\","
	              "\"members\":[{\"card\":\"chain-b\",\"tier\":\"gold\"}]}");
	ck_assert_msg(r && vqs_ok(r), "members_import at other");
	cJSON_Delete(r);
	identify(kiosk2, "chain-a", "gold", 0);
	identify(H.kiosk[0], "chain-b", "gold", 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM vq_chain_" CHAIN ".members"), 2);

	/* each vqd decides its own site: a ticket at one is not held at the other, and their
	 * books count apart */
	r = vqs_callf(H.kiosk[0], "svc/issue",
	              "{\"v\":1,\"rid\":\"chain-3\",\"card\":\"chain-a\",\"attraction\":"
	              "\"coaster\",\"party\":2}");
	ck_assert_msg(r && vqs_ok(r), "issue at %s", VQS_SITE);
	ck_assert_str_eq(vqs_str(r, "ticket.tier"), "gold");
	cJSON_Delete(r);
	H.extra++;
	identify(H.kiosk[0], "chain-a", "gold", 1);
	identify(kiosk2, "chain-a", "gold", 0);
	r = vqs_callf(kiosk2, "svc/issue",
	              "{\"v\":1,\"rid\":\"chain-4\",\"card\":\"chain-a\",\"attraction\":"
	              "\"coaster\",\"party\":2}");
	ck_assert_msg(r && vqs_ok(r), "issue at other");
	ck_assert_str_eq(vqs_str(r, "ticket.tier"), "gold");
	int64_t id = 0;
	ck_assert(vqs_int(r, "ticket.id", &id));
	ck_assert_int_eq(id, 1); /* the other site's first ticket */
	cJSON_Delete(r);
	identify(kiosk2, "chain-a", "gold", 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM vq_site_other.tickets"), 1);
	/* and both serve at once: a site's claim is its own */
	int64_t term = 0;
	serving_now(&term);
	ck_assert_int_gt(term, 0);

	/* the day report reads the site from the formation (its schema, read-only) */
	char vqctl[1100], csv[1100], rlog[1100];
	const char *bin = getenv("VQ_BINARY_DIR");
	snprintf(vqctl, sizeof vqctl, "%s/tools/vqctl", bin && *bin ? bin : ".");
	snprintf(csv, sizeof csv, "%s/report", vqs_dir(other));
	snprintf(rlog, sizeof rlog, "%s/report.log", vqs_dir(other));
	char *rargv[] = {vqctl,      "report",
	                 "--db",     (char *)vq_test_pgf_uri(H.pgf),
	                 "--config", (char *)vqs_config_path(other),
	                 "--date",   "2027-01-01",
	                 "--csv",    csv,
	                 NULL};
	logfd = open(rlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	pid_t rp = fork();
	if (rp == 0)
		tu_exec_child(rargv, parent, logfd, SIGKILL);
	close(logfd);
	int st = -1;
	waitpid(rp, &st, 0);
	char *out = tu_read_file(rlog, NULL);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vqctl report: %s", out ? out : "");
	free(out);
	char tickets[1200];
	snprintf(tickets, sizeof tickets, "%s/tickets.csv", csv);
	char *t = tu_read_file(tickets, NULL);
	ck_assert_ptr_nonnull(t);
	int nlines = 0;
	for (const char *c = t; *c; c++)
		nlines += *c == '\n';
	ck_assert_msg(nlines == 2, "tickets.csv: a header and other's one ticket:\n%s", t);
	free(t);

	vq_bus_free(ops);
	vq_bus_free(ops2);
	vq_bus_free(kiosk2);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	vqs_free(other);
	fprintf(stderr,
	        "ha: two sites of chain %s on one formation: one member list, each vqd "
	        "deciding its own site\n",
	        CHAIN);
	H.scenario_open = 0;
}
END_TEST

START_TEST(vqd_unlinked)
{
	ensure_site();
	int64_t term = 0;
	load_start(5);
	sleep_ms(WARM_MS);
	int old = serving_now(&term), lone = 1 - old;
	/* the standby again, on broker B alone; then it takes over from the one serving */
	char both[64];
	snprintf(both, sizeof both, "%s", H.brokers[lone]);
	snprintf(H.brokers[lone], sizeof H.brokers[lone], "127.0.0.1:%d",
	         vq_test_broker_port(vqs_peer(H.site)));
	vqd_reap(lone, SIGKILL);
	standby_start(lone);
	snprintf(H.brokers[lone], sizeof H.brokers[lone], "%s", both);
	double t0 = now_ms();
	vqd_reap(old, SIGKILL);
	int origin = -1;
	while (first_reply_of_new_term(t0, term, &origin) == 0 && now_ms() - t0 < BACK_MS)
		sleep_ms(50);
	ck_assert_msg(origin == lone, "%s did not take over", ACCOUNTS[lone]);
	standby_start(old);
	serving_now(&term);
	/* B goes: the one serving reaches no broker; a lease later it lets the claim go */
	fault f = {.name = "the serving vqd's only broker killed",
	           .scenario = 5,
	           .expect_new_term = 1,
	           .term = term};
	size_t from = log_len(lone);
	vq_test_broker *b = vqs_peer(H.site);
	f.start = now_ms();
	kill(vq_test_broker_pid(b), SIGKILL);
	f.effect = now_ms();
	wait_back(f.effect);
	load_stop();
	vq_test_broker_down(b);
	report(&f);
	first_reply_of_new_term(f.start, f.term, &origin);
	ck_assert_msg(origin == old, "%s did not take over", ACCOUNTS[old]);
	ck_assert_msg(log_says(lone, from, "the claim is let go", 1000), "%s kept its claim",
	              ACCOUNTS[lone]);
	check_retries(5, f.start);
	ck_assert_int_eq(vq_test_broker_up(b), VQ_OK);
	vqd_reap(lone, SIGKILL);
	standby_start(lone);
	H.scenario_open = 0;
}
END_TEST

static Suite *ha_suite(void)
{
	Suite *s = suite_create("ha");
	TCase *tc = tcase_create("site");
	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vqd_killed);
	tcase_add_test(tc, vqd_paused);
	tcase_add_test(tc, broker_killed);
	tcase_add_test(tc, primary_killed);
	tcase_add_test(tc, vqd_unlinked);
	tcase_add_test(tc, chain_members);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ha_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
