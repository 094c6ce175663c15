/* tests/test_bus.c — the MQTT layer against a real mosquitto started per test.
 *
 * Every test gets its own broker (tests/support/broker.h), so retained messages and
 * presence never leak between tests. Waits are bounded by deadlines, never by fixed
 * sleeps; the longest (reconnect after a broker restart) is a few seconds because the
 * buses here use a 100..500 ms reconnect backoff.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "support/broker.h"
#include "support/tutil.h"

#define SITE    "test"
#define WAIT_MS 5000

/* The test's broker and scratch folder, removed by teardown. Check skips teardown
 * after a failed assertion (the test process just _exits; its broker dies with it),
 * so every folder is made inside one made by the runner process, which removes it
 * whatever happened to the tests. */
static vq_test_broker *broker;
static char *scratch;

static void suite_setup(void)
{
	tu_scratch_begin("bus-tests");
}

static void suite_teardown(void)
{
	tu_scratch_end();
}

static void setup(void)
{
	ck_assert_int_eq(vq_test_broker_start(NULL, &broker), VQ_OK);
}

/* For tests that make a broker of their own, with its own config. */
static void setup_own(void)
{
}

static void teardown(void)
{
	vq_test_broker_stop(broker);
	broker = NULL;
	if (scratch)
		tu_rmtree(scratch);
	free(scratch);
	scratch = NULL;
}

static vq_bus_opts opts_for(const char *id, const char *role)
{
	vq_bus_opts o = {0};
	o.port = vq_test_broker_port(broker);
	o.client_id = id;
	o.site = SITE;
	o.role = role;
	o.reconnect_min_ms = 100;
	o.reconnect_max_ms = 500;
	return o;
}

/* Starts a bus with the given subscriptions (NULL-terminated) already in place. */
static vq_bus *start_opts(const vq_bus_opts *o, const char *const *subs)
{
	vq_bus *b = NULL;
	ck_assert_int_eq(vq_bus_new(o, &b), VQ_OK);
	for (; subs && *subs; subs++)
		ck_assert_int_eq(vq_bus_subscribe(b, *subs, 1), VQ_OK);
	ck_assert_int_eq(vq_bus_start(b), VQ_OK);
	ck_assert_int_eq(vq_bus_wait_connected(b, WAIT_MS), VQ_OK);
	return b;
}

static vq_bus *start_bus(const char *id, const char *const *subs)
{
	vq_bus_opts o = opts_for(id, "test");
	return start_opts(&o, subs);
}

/* The next MQTT message whose suffix is `suffix` (NULL: any), dropping others. */
static vq_bus_msg *wait_msg(vq_bus *b, const char *suffix, int timeout_ms)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	for (;;) {
		long long left = deadline - tu_mono_ms();
		if (left <= 0)
			return NULL;
		vq_bus_msg *m;
		size_t n;
		ck_assert_int_eq(vq_bus_poll(b, &m, 1, &n, (int)left), VQ_OK);
		if (n == 0)
			return NULL;
		if (m->kind == VQ_BUS_MESSAGE && (!suffix || strcmp(m->suffix, suffix) == 0))
			return m;
		vq_bus_msg_free(m);
	}
}

/* The next state message (VQ_BUS_CONNECTED / _DISCONNECTED), dropping MQTT ones. */
static int wait_state(vq_bus *b, int timeout_ms)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	for (;;) {
		long long left = deadline - tu_mono_ms();
		if (left <= 0)
			return -1;
		vq_bus_msg *m;
		size_t n;
		ck_assert_int_eq(vq_bus_poll(b, &m, 1, &n, (int)left), VQ_OK);
		if (n == 0)
			return -1;
		int kind = m->kind;
		vq_bus_msg_free(m);
		if (kind != VQ_BUS_MESSAGE)
			return kind;
	}
}

/* In a forked child: never outlive the test, even one that failed half-way. */
static void die_with_parent(pid_t parent)
{
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	if (getppid() != parent)
		_exit(1);
}

static bool payload_is(const vq_bus_msg *m, const char *text)
{
	return m && m->len == strlen(text) && memcmp(m->payload, text, m->len) == 0;
}

static bool has(const vq_bus_msg *m, const char *needle)
{
	return m && strstr(m->payload, needle) != NULL;
}

/* Waits until at least n messages are queued on b; returns how many are. */
static size_t wait_queued(const vq_bus *b, size_t n, int timeout_ms)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	vq_bus_stats st;
	for (;;) {
		vq_bus_get_stats(b, &st);
		if (st.queued >= n || tu_mono_ms() >= deadline)
			return st.queued;
		tu_sleep_ms(2);
	}
}

static uint64_t connects(const vq_bus *b)
{
	vq_bus_stats st;
	vq_bus_get_stats(b, &st);
	return st.connects;
}

START_TEST(test_pubsub_roundtrip)
{
	const char *subs[] = {"t/+", NULL};
	vq_bus *a = start_bus("a", subs);
	vq_bus *b = start_bus("b", NULL);

	ck_assert_int_eq(vq_bus_publish(b, "t/hello", "hi there", 8, 1, false), VQ_OK);
	ck_assert_int_eq(vq_bus_publish(b, "t/zero", "", 0, 0, false), VQ_OK);
	vq_bus_msg *m = wait_msg(a, NULL, WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->topic, "vq/v1/" SITE "/t/hello");
	ck_assert_str_eq(m->suffix, "t/hello");
	ck_assert(payload_is(m, "hi there"));
	ck_assert_int_eq(m->payload[m->len], '\0');
	ck_assert_int_eq(m->qos, 1);
	ck_assert(!m->retain);
	ck_assert_ptr_null(m->response_topic);
	ck_assert_ptr_null(m->corr);
	vq_bus_msg_free(m);
	m = wait_msg(a, NULL, WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->suffix, "t/zero");
	ck_assert_uint_eq(m->len, 0);
	vq_bus_msg_free(m);

	/* Not subscribed: not delivered. */
	ck_assert_int_eq(vq_bus_publish(b, "u/other", "x", 1, 1, false), VQ_OK);
	ck_assert_ptr_null(wait_msg(a, "u/other", 200));

	vq_bus_free(b);
	vq_bus_free(a);
}
END_TEST

START_TEST(test_subscribe_later_and_unsubscribe)
{
	vq_bus *a = start_bus("a", NULL);
	vq_bus *b = start_bus("b", NULL);
	ck_assert_int_eq(vq_bus_subscribe(a, "state/#", 1), VQ_OK);
	/* A later subscription takes a round trip: publish until it shows up. */
	vq_bus_msg *m = NULL;
	for (int i = 0; i < 50 && !m; i++) {
		ck_assert_int_eq(vq_bus_publish(b, "state/x", "1", 1, 0, false), VQ_OK);
		m = wait_msg(a, "state/x", 100);
	}
	ck_assert_ptr_nonnull(m);
	vq_bus_msg_free(m);

	ck_assert_int_eq(vq_bus_unsubscribe(a, "state/#"), VQ_OK);
	ck_assert_int_eq(vq_bus_unsubscribe(a, "state/#"), VQ_ENOTFOUND);
	/* Unsubscribing also takes a round trip. a's UNSUBSCRIBE goes out before its
	 * "sync" message, and the broker handles a client's packets in order: once b
	 * has the sync, the broker has dropped a's subscription. */
	ck_assert_int_eq(vq_bus_subscribe(b, "sync", 1), VQ_OK);
	m = NULL;
	for (int i = 0; i < 50 && !m; i++) {
		ck_assert_int_eq(vq_bus_publish(a, "sync", "s", 1, 1, false), VQ_OK);
		m = wait_msg(b, "sync", 100);
	}
	ck_assert_ptr_nonnull(m);
	vq_bus_msg_free(m);
	ck_assert_int_eq(vq_bus_publish(b, "state/x", "after", 5, 1, false), VQ_OK);
	/* Stragglers of the first loop may still come; "after" must not. */
	while ((m = wait_msg(a, "state/x", 300))) {
		ck_assert(!payload_is(m, "after"));
		vq_bus_msg_free(m);
	}

	vq_bus_free(b);
	vq_bus_free(a);
}
END_TEST

START_TEST(test_retained_late_subscriber)
{
	const char *psubs[] = {"state/+", NULL};
	vq_bus *pub = start_bus("vqd", psubs);
	const char *state = "{\"v\":1,\"status\":\"open\"}";
	ck_assert_int_eq(vq_bus_publish(pub, "state/coaster", state, strlen(state), 1, true),
	                 VQ_OK);
	/* Once it comes back to its own subscription the broker has stored it. */
	vq_bus_msg *m = wait_msg(pub, "state/coaster", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	vq_bus_msg_free(m);
	const char *subs[] = {"state/+", NULL};
	vq_bus *late = start_bus("board-1", subs);
	m = wait_msg(late, "state/coaster", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(m->retain);
	ck_assert(payload_is(m, state));
	vq_bus_msg_free(m);

	/* A live update is not flagged retained for a subscriber already there. */
	ck_assert_int_eq(vq_bus_publish(pub, "state/coaster", "closed", 6, 1, true), VQ_OK);
	m = wait_msg(late, "state/coaster", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(!m->retain);
	ck_assert(payload_is(m, "closed"));
	vq_bus_msg_free(m);

	vq_bus_free(late);
	vq_bus_free(pub);
}
END_TEST

/* Answers every request on svc/echo/<client> with "re:" + its payload, in reverse order of
 * each batch so that matching cannot lean on order. Returns how many it answered. */
static int serve_batch(vq_bus *srv, int timeout_ms)
{
	vq_bus_msg *batch[64];
	size_t n;
	ck_assert_int_eq(vq_bus_poll(srv, batch, 64, &n, timeout_ms), VQ_OK);
	int answered = 0;
	for (size_t i = n; i-- > 0;) {
		vq_bus_msg *m = batch[i];
		if (m->kind == VQ_BUS_MESSAGE && strncmp(m->suffix, "svc/echo/", 9) == 0) {
			char out[300];
			int len = snprintf(out, sizeof out, "re:%.*s", (int)m->len, m->payload);
			ck_assert_int_eq(vq_bus_reply(srv, m, out, (size_t)len), VQ_OK);
			answered++;
		}
		vq_bus_msg_free(m);
	}
	return answered;
}

START_TEST(test_request_reply_many)
{
	enum { N = 300 };
	const char *ssubs[] = {"svc/echo/+", NULL};
	vq_bus *srv = start_bus("vqd", ssubs);
	vq_bus *cli = start_bus("kiosk-1", NULL);

	static char corr[N][VQ_BUS_CORR_MAX];
	static bool got[N];
	memset(got, 0, sizeof got);
	for (int i = 0; i < N; i++) {
		char body[32];
		int len = snprintf(body, sizeof body, "req-%d", i);
		ck_assert_int_eq(vq_bus_request(cli, "svc/echo", body, (size_t)len, corr[i]),
		                 VQ_OK);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(corr[i], corr[j]);
	}

	/* The server sees our client id at the end of the request's topic, our reply topic
	 * and the correlation on each request. */
	vq_bus_msg *first = wait_msg(srv, "svc/echo/kiosk-1", WAIT_MS);
	ck_assert_ptr_nonnull(first);
	ck_assert_str_eq(first->topic, "vq/v1/" SITE "/svc/echo/kiosk-1");
	ck_assert_str_eq(first->response_topic, "vq/v1/" SITE "/reply/kiosk-1");
	ck_assert_str_eq(first->response_topic, vq_bus_reply_topic(cli));
	ck_assert(vq_bus_msg_corr_is(first, corr[0]));
	ck_assert(payload_is(first, "req-0"));
	ck_assert_int_eq(vq_bus_reply(srv, first, "re:req-0", 8), VQ_OK);
	vq_bus_msg_free(first);

	int answered = 1, matched = 0;
	long long deadline = tu_mono_ms() + 15000;
	while (matched < N && tu_mono_ms() < deadline) {
		if (answered < N)
			answered += serve_batch(srv, 20);
		vq_bus_msg *batch[64];
		size_t n;
		ck_assert_int_eq(vq_bus_poll(cli, batch, 64, &n, 20), VQ_OK);
		for (size_t k = 0; k < n; k++) {
			vq_bus_msg *m = batch[k];
			ck_assert_int_eq(m->kind, VQ_BUS_MESSAGE);
			ck_assert_str_eq(m->topic, vq_bus_reply_topic(cli));
			ck_assert_str_eq(m->suffix, "reply/kiosk-1");
			int idx = -1;
			for (int i = 0; i < N && idx < 0; i++)
				if (vq_bus_msg_corr_is(m, corr[i]))
					idx = i;
			ck_assert_msg(idx >= 0, "reply with unknown correlation %s", m->corr);
			ck_assert_msg(!got[idx], "two replies for request %d", idx);
			got[idx] = true;
			char want[32];
			snprintf(want, sizeof want, "re:req-%d", idx);
			ck_assert_msg(payload_is(m, want), "request %d got %s", idx, m->payload);
			matched++;
			vq_bus_msg_free(m);
		}
	}
	ck_assert_int_eq(answered, N);
	ck_assert_int_eq(matched, N);

	/* A message without a response topic cannot be answered. */
	const char *subs2[] = {"plain", NULL};
	vq_bus *c2 = start_bus("c2", subs2);
	ck_assert_int_eq(vq_bus_publish(cli, "plain", "p", 1, 1, false), VQ_OK);
	vq_bus_msg *p = wait_msg(c2, "plain", WAIT_MS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(vq_bus_reply(c2, p, "x", 1), VQ_EINVAL);
	vq_bus_msg_free(p);

	vq_bus_free(c2);
	vq_bus_free(cli);
	vq_bus_free(srv);
}
END_TEST

struct server {
	vq_bus *bus;
	atomic_int stop;
	pthread_t thread;
	int answered;
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	while (!atomic_load(&s->stop)) {
		vq_bus_msg *batch[32];
		size_t n;
		if (vq_bus_poll(s->bus, batch, 32, &n, 20) != VQ_OK)
			break;
		for (size_t i = 0; i < n; i++) {
			vq_bus_msg *m = batch[i];
			if (m->kind == VQ_BUS_MESSAGE && strncmp(m->suffix, "svc/echo/", 9) == 0) {
				char out[300];
				int len =
				    snprintf(out, sizeof out, "re:%.*s", (int)m->len, m->payload);
				if (vq_bus_reply(s->bus, m, out, (size_t)len) == VQ_OK)
					s->answered++;
			}
			vq_bus_msg_free(m);
		}
	}
	return NULL;
}

static void server_start(struct server *s)
{
	const char *subs[] = {"svc/echo/+", NULL};
	s->bus = start_bus("vqd", subs);
	atomic_store(&s->stop, 0);
	s->answered = 0;
	ck_assert_int_eq(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	vq_bus_free(s->bus);
}

struct caller {
	vq_bus *bus;
	int id;
	int ok;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;
	for (int i = 0; i < 25; i++) {
		char body[32], want[40];
		int len = snprintf(body, sizeof body, "t%d-%d", c->id, i);
		snprintf(want, sizeof want, "re:%s", body);
		vq_bus_msg *r = NULL;
		if (vq_bus_call(c->bus, "svc/echo", body, (size_t)len, WAIT_MS, &r) == VQ_OK &&
		    payload_is(r, want))
			c->ok++;
		vq_bus_msg_free(r);
	}
	return NULL;
}

START_TEST(test_call)
{
	struct server srv;
	server_start(&srv);
	const char *subs[] = {"news", NULL};
	vq_bus *cli = start_bus("vqctl", subs);
	const char *osubs[] = {"svc/slow/+", NULL}; /* a responder that never answers */
	vq_bus *other = start_bus("other", osubs);

	/* A message queued before the call stays queued, untouched, behind it. */
	ck_assert_int_eq(vq_bus_publish(other, "news", "first", 5, 1, false), VQ_OK);
	ck_assert_uint_eq(wait_queued(cli, 1, WAIT_MS), 1);

	vq_bus_msg *r = NULL;
	ck_assert_int_eq(vq_bus_call(cli, "svc/echo", "ping", 4, WAIT_MS, &r), VQ_OK);
	ck_assert(payload_is(r, "re:ping"));
	ck_assert_str_eq(r->topic, vq_bus_reply_topic(cli));
	vq_bus_msg_free(r);
	ck_assert_int_eq(vq_bus_publish(other, "news", "second", 6, 1, false), VQ_OK);
	ck_assert_int_eq(vq_bus_call(cli, "svc/echo", "pong", 4, WAIT_MS, &r), VQ_OK);
	ck_assert(payload_is(r, "re:pong"));
	vq_bus_msg_free(r);

	vq_bus_msg *m = wait_msg(cli, NULL, WAIT_MS);
	ck_assert(payload_is(m, "first"));
	vq_bus_msg_free(m);
	m = wait_msg(cli, NULL, WAIT_MS);
	ck_assert(payload_is(m, "second"));
	vq_bus_msg_free(m);

	/* Four threads calling at once on one bus each get their own replies. */
	struct caller c[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		c[i] = (struct caller){.bus = cli, .id = i};
		ck_assert_int_eq(pthread_create(&t[i], NULL, caller_main, &c[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(c[i].ok, 25);
	}
	vq_bus_stats st;
	vq_bus_get_stats(cli, &st);
	ck_assert_uint_eq(st.queued, 0);

	/* A responder that stays silent: a timeout, on time. */
	long long t0 = tu_mono_ms();
	ck_assert_int_eq(vq_bus_call(cli, "svc/slow", "x", 1, 300, &r), VQ_ETIMEOUT);
	long long took = tu_mono_ms() - t0;
	ck_assert_ptr_null(r);
	ck_assert_int_ge(took, 290);
	ck_assert_int_lt(took, 2000);
	/* Its late answer is queued like any other message. */
	vq_bus_msg *req = wait_msg(other, "svc/slow/vqctl", WAIT_MS);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(vq_bus_reply(other, req, "late", 4), VQ_OK);
	vq_bus_msg_free(req);
	m = wait_msg(cli, NULL, WAIT_MS);
	ck_assert(payload_is(m, "late"));
	ck_assert_str_eq(m->suffix, "reply/vqctl");
	vq_bus_msg_free(m);

	/* Nobody subscribed at all: the broker says so, and the call fails at once. */
	t0 = tu_mono_ms();
	ck_assert_int_eq(vq_bus_call(cli, "svc/none", "x", 1, WAIT_MS, &r), VQ_EBUS);
	ck_assert_int_lt(tu_mono_ms() - t0, 1000);

	vq_bus_free(other);
	vq_bus_free(cli);
	server_stop(&srv);
}
END_TEST

START_TEST(test_presence_clean)
{
	const char *subs[] = {"presence/+", NULL};
	vq_bus *obs = start_bus("observer", subs);

	vq_bus_opts o = opts_for("kiosk-7", "kiosk");
	vq_bus *k = start_opts(&o, NULL);
	vq_bus_msg *m = wait_msg(obs, "presence/kiosk-7", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(has(m, "\"v\":1"));
	ck_assert(has(m, "\"id\":\"kiosk-7\""));
	ck_assert(has(m, "\"role\":\"kiosk\""));
	ck_assert(has(m, "\"online\":true"));
	ck_assert(has(m, "\"since\":"));
	vq_bus_msg_free(m);

	vq_bus_free(k);
	m = wait_msg(obs, "presence/kiosk-7", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(has(m, "\"online\":false"));
	ck_assert(has(m, "\"role\":\"kiosk\""));
	ck_assert_msg(has(m, "\"since\":"), "expected the explicit offline, got %s", m->payload);
	vq_bus_msg_free(m);
	/* A clean disconnect: the broker must not publish the Will after it. */
	ck_assert_ptr_null(wait_msg(obs, "presence/kiosk-7", 300));

	/* The retained state a newcomer sees is "offline". */
	const char *subs2[] = {"presence/kiosk-7", NULL};
	vq_bus *late = start_bus("late", subs2);
	m = wait_msg(late, "presence/kiosk-7", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(m->retain);
	ck_assert(has(m, "\"online\":false"));
	vq_bus_msg_free(m);

	vq_bus_free(late);
	vq_bus_free(obs);
}
END_TEST

START_TEST(test_last_will)
{
	/* Fork before this process has any bus thread, so the child starts clean. */
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	int port = vq_test_broker_port(broker);
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		die_with_parent(parent);
		close(ready[0]);
		vq_bus_opts o = {0};
		o.port = port;
		o.client_id = "gate-3";
		o.site = SITE;
		o.role = "gate";
		vq_bus *g = NULL;
		if (vq_bus_new(&o, &g) || vq_bus_start(g) || vq_bus_wait_connected(g, WAIT_MS))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause(); /* until SIGKILL: no DISCONNECT ever goes out */
	}
	close(ready[1]);
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);

	const char *subs[] = {"presence/+", NULL};
	vq_bus *obs = start_bus("observer", subs);
	vq_bus_msg *m = wait_msg(obs, "presence/gate-3", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(has(m, "\"online\":true"));
	vq_bus_msg_free(m);

	kill(pid, SIGKILL);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	m = wait_msg(obs, "presence/gate-3", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(has(m, "\"online\":false"));
	ck_assert(has(m, "\"id\":\"gate-3\""));
	ck_assert(has(m, "\"role\":\"gate\""));
	ck_assert_msg(!has(m, "\"since\""), "expected the Will, got %s", m->payload);
	vq_bus_msg_free(m);
	vq_bus_free(obs);
}
END_TEST

START_TEST(test_broker_restart)
{
	struct server srv;
	server_start(&srv);
	vq_bus_opts o = opts_for("board-2", "display");
	o.state_messages = true;
	const char *subs[] = {"state/+", NULL};
	vq_bus *board = start_opts(&o, subs);
	ck_assert_int_eq(wait_state(board, WAIT_MS), VQ_BUS_CONNECTED);
	vq_bus *cli = start_bus("kiosk-2", NULL);

	ck_assert_int_eq(vq_test_broker_restart(broker), VQ_OK);

	ck_assert_int_eq(wait_state(board, WAIT_MS), VQ_BUS_DISCONNECTED);
	ck_assert_int_eq(wait_state(board, 10000), VQ_BUS_CONNECTED);
	ck_assert(vq_bus_connected(board));
	long long deadline = tu_mono_ms() + 10000;
	while ((connects(cli) < 2 || connects(srv.bus) < 2 || !vq_bus_connected(cli) ||
	        !vq_bus_connected(srv.bus)) &&
	       tu_mono_ms() < deadline) {
		tu_sleep_ms(10);
	}
	ck_assert_uint_eq(connects(cli), 2);
	ck_assert_uint_eq(connects(srv.bus), 2);
	vq_bus_stats st;
	vq_bus_get_stats(board, &st);
	ck_assert_uint_eq(st.disconnects, 1);

	/* Subscriptions were renewed... */
	ck_assert_int_eq(vq_bus_publish(cli, "state/coaster", "open", 4, 1, false), VQ_OK);
	vq_bus_msg *m = wait_msg(board, "state/coaster", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(payload_is(m, "open"));
	vq_bus_msg_free(m);
	/* ...and so was the reply topic, on both sides of a call. */
	vq_bus_msg *r = NULL;
	ck_assert_int_eq(vq_bus_call(cli, "svc/echo", "after", 5, WAIT_MS, &r), VQ_OK);
	ck_assert(payload_is(r, "re:after"));
	vq_bus_msg_free(r);

	/* Presence came back too (retained, fresh after the restart). */
	const char *psubs[] = {"presence/board-2", NULL};
	vq_bus *obs = start_bus("observer", psubs);
	m = wait_msg(obs, "presence/board-2", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(has(m, "\"online\":true"));
	vq_bus_msg_free(m);

	vq_bus_free(obs);
	vq_bus_free(cli);
	vq_bus_free(board);
	server_stop(&srv);
}
END_TEST

START_TEST(test_inflight_resent_after_broker_crash)
{
	/* A QoS 1 message the broker never acknowledged is sent again on the next
	 * connection: freeze the broker so the message sits unread in its socket, kill
	 * it, start a fresh one (no persistence), and look for the message there. */
	vq_bus *pub = start_bus("vqd", NULL);
	pid_t pid = (pid_t)vq_test_broker_pid(broker);
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	ck_assert_int_eq(vq_bus_publish(pub, "state/ride", "v2", 2, 1, true), VQ_OK);
	tu_sleep_ms(50); /* lets the network thread hand it to the kernel */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	vq_test_broker_down(broker);
	ck_assert_int_eq(vq_test_broker_up(broker), VQ_OK);
	long long deadline = tu_mono_ms() + 10000;
	while (connects(pub) < 2 && tu_mono_ms() < deadline)
		tu_sleep_ms(10);
	ck_assert_uint_eq(connects(pub), 2);

	const char *subs[] = {"state/+", NULL};
	vq_bus *late = start_bus("late", subs);
	vq_bus_msg *m = wait_msg(late, "state/ride", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(payload_is(m, "v2"));
	vq_bus_msg_free(m);
	vq_bus_free(late);
	vq_bus_free(pub);
}
END_TEST

START_TEST(test_offline_then_broker_comes_up)
{
	vq_test_broker_down(broker);
	vq_bus_opts o = opts_for("early", "kiosk");
	vq_bus *b = NULL;
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_OK);
	ck_assert_int_eq(vq_bus_start(b), VQ_OK);
	ck_assert_int_eq(vq_bus_start(b), VQ_EINVAL);
	ck_assert_int_eq(vq_bus_wait_connected(b, 300), VQ_ETIMEOUT);
	ck_assert(!vq_bus_connected(b));
	ck_assert_int_eq(vq_bus_publish(b, "t/x", "x", 1, 1, false), VQ_EBUS);
	vq_bus_msg *r = NULL;
	ck_assert_int_eq(vq_bus_call(b, "svc/x", "x", 1, 100, &r), VQ_EBUS);

	ck_assert_int_eq(vq_test_broker_up(broker), VQ_OK);
	ck_assert_int_eq(vq_bus_wait_connected(b, WAIT_MS), VQ_OK);
	vq_bus_free(b);

	/* Freeing a bus whose broker is gone is prompt, whatever its backoff. */
	o.reconnect_min_ms = 20000;
	o.reconnect_max_ms = 30000;
	b = start_opts(&o, NULL);
	vq_test_broker_down(broker);
	long long deadline = tu_mono_ms() + WAIT_MS;
	while (vq_bus_connected(b) && tu_mono_ms() < deadline) {
		tu_sleep_ms(5);
	}
	ck_assert(!vq_bus_connected(b));
	long long t0 = tu_mono_ms();
	vq_bus_free(b);
	ck_assert_int_lt(tu_mono_ms() - t0, 1500);
}
END_TEST

/* Two brokers of one site: a bus moves on to the next the moment it loses one, at
 * once and without its backoff, and back when that one is lost in turn. */
START_TEST(test_brokers_move_on)
{
	vq_test_broker *other = NULL;
	ck_assert_int_eq(vq_test_broker_start(NULL, &other), VQ_OK);
	vq_bus_addr addrs[2] = {{"127.0.0.1", vq_test_broker_port(broker)},
	                        {"127.0.0.1", vq_test_broker_port(other)}};
	vq_bus_opts o = opts_for("kiosk-1", "kiosk");
	o.brokers = addrs;
	o.nbrokers = 2;
	o.reconnect_min_ms = 5000; /* so a quick move cannot be the backoff */
	o.reconnect_max_ms = 5000;
	o.state_messages = true;
	vq_bus *b = start_opts(&o, NULL);
	char at[64], want[64];
	vq_bus_broker(b, at, sizeof at);
	snprintf(want, sizeof want, "127.0.0.1:%d", addrs[0].port);
	ck_assert_str_eq(at, want);
	ck_assert_int_eq(wait_state(b, WAIT_MS), VQ_BUS_CONNECTED);

	vq_test_broker_down(broker);
	long long t0 = tu_mono_ms();
	ck_assert_int_eq(wait_state(b, WAIT_MS), VQ_BUS_DISCONNECTED);
	ck_assert_int_eq(wait_state(b, WAIT_MS), VQ_BUS_CONNECTED);
	ck_assert_msg(tu_mono_ms() - t0 < 2000, "moved on in %lld ms", tu_mono_ms() - t0);
	vq_bus_broker(b, at, sizeof at);
	snprintf(want, sizeof want, "127.0.0.1:%d", addrs[1].port);
	ck_assert_str_eq(at, want);
	/* it works there */
	ck_assert_int_eq(vq_bus_publish(b, "news", "x", 1, 1, false), VQ_OK);

	/* the first is back, the second goes: back to the first */
	ck_assert_int_eq(vq_test_broker_up(broker), VQ_OK);
	vq_test_broker_down(other);
	ck_assert_int_eq(wait_state(b, WAIT_MS), VQ_BUS_DISCONNECTED);
	ck_assert_int_eq(wait_state(b, WAIT_MS), VQ_BUS_CONNECTED);
	vq_bus_broker(b, at, sizeof at);
	snprintf(want, sizeof want, "127.0.0.1:%d", addrs[0].port);
	ck_assert_str_eq(at, want);
	vq_bus_free(b);
	vq_test_broker_stop(other);

	/* bad lists are refused */
	vq_bus_addr bad[1] = {{"", 1883}};
	o.brokers = bad;
	o.nbrokers = 1;
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	o.brokers = addrs;
	o.nbrokers = VQ_BUS_MAX_BROKERS + 1;
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
}
END_TEST

/* A reply's MQTT 5 user properties reach the caller: who answered. */
START_TEST(test_reply_props)
{
	const char *ssubs[] = {"svc/who/+", NULL};
	vq_bus *srv = start_bus("vqd-2", ssubs);
	vq_bus *cli = start_bus("kiosk-1", NULL);
	ck_assert_int_eq(vq_bus_request(cli, "svc/who", "?", 1, NULL), VQ_OK);
	vq_bus_msg *req = wait_msg(srv, "svc/who/kiosk-1", WAIT_MS);
	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_null(vq_bus_msg_prop(req, "origin"));
	const char *props[] = {"origin", "vqd-2", "term", "7", "origin", "again", NULL};
	ck_assert_int_eq(vq_bus_reply_props(srv, req, "ok", 2, props), VQ_OK);
	const char *odd[] = {"origin", NULL};
	ck_assert_int_eq(vq_bus_reply_props(srv, req, "ok", 2, odd), VQ_EINVAL);
	vq_bus_msg_free(req);
	vq_bus_msg *r = wait_msg(cli, NULL, WAIT_MS);
	ck_assert_ptr_nonnull(r);
	ck_assert(payload_is(r, "ok"));
	ck_assert_str_eq(vq_bus_msg_prop(r, "origin"), "vqd-2"); /* the first of two */
	ck_assert_str_eq(vq_bus_msg_prop(r, "term"), "7");
	ck_assert_ptr_null(vq_bus_msg_prop(r, "nope"));
	vq_bus_msg_free(r);
	vq_bus_free(cli);
	vq_bus_free(srv);
}
END_TEST

/* A presence name several accounts share: said online only while held, with the account
 * in "by"; released, nothing is said; the Will is always there. */
START_TEST(test_presence_held)
{
	const char *subs[] = {"presence/vqd", NULL};
	vq_bus *obs = start_bus("observer", subs);
	vq_bus_opts o = opts_for("vqd-2", "coordinator");
	o.presence_name = "vqd";
	o.presence_held = true;
	vq_bus *b = start_opts(&o, NULL);
	ck_assert_ptr_null(wait_msg(obs, "presence/vqd", 300)); /* not held: silent */
	ck_assert_int_eq(vq_bus_hold_presence(b, true), VQ_OK);
	vq_bus_msg *m = wait_msg(obs, "presence/vqd", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(has(m, "\"id\":\"vqd\""));
	ck_assert(has(m, "\"online\":true"));
	ck_assert(has(m, "\"by\":\"vqd-2\""));
	vq_bus_msg_free(m);
	ck_assert_int_eq(vq_bus_hold_presence(b, false), VQ_OK);
	vq_bus_free(b); /* released: no offline either */
	ck_assert_ptr_null(wait_msg(obs, "presence/vqd", 500));

	b = start_opts(&o, NULL);
	ck_assert_int_eq(vq_bus_hold_presence(b, true), VQ_OK);
	m = wait_msg(obs, "presence/vqd", WAIT_MS);
	vq_bus_msg_free(m);
	vq_bus_free(b); /* held: a clean exit says offline */
	m = wait_msg(obs, "presence/vqd", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(has(m, "\"online\":false"));
	ck_assert(has(m, "\"by\":\"vqd-2\""));
	vq_bus_msg_free(m);
	/* only with presence_held */
	vq_bus *plain = start_bus("plain", NULL);
	ck_assert_int_eq(vq_bus_hold_presence(plain, true), VQ_EINVAL);
	vq_bus_free(plain);
	vq_bus_free(obs);
}
END_TEST

START_TEST(test_kicked_client_returns)
{
	/* A second client with the same id takes the session over and the broker drops
	 * the first (mosquitto 2.0.11 just closes it; a broker may also send DISCONNECT
	 * 0x8E): the first must still come back by itself. */
	vq_bus_opts o = opts_for("kiosk-9", "kiosk");
	o.state_messages = true;
	vq_bus *first = start_opts(&o, NULL);
	ck_assert_int_eq(wait_state(first, WAIT_MS), VQ_BUS_CONNECTED);
	vq_bus_opts o2 = opts_for("kiosk-9", "kiosk");
	o2.reconnect_min_ms = 20000; /* the intruder must not fight back while we watch */
	o2.reconnect_max_ms = 20000;
	vq_bus *second = start_opts(&o2, NULL);
	ck_assert_int_eq(wait_state(first, WAIT_MS), VQ_BUS_DISCONNECTED);
	vq_bus_free(second);
	ck_assert_int_eq(wait_state(first, WAIT_MS), VQ_BUS_CONNECTED);
	ck_assert(vq_bus_connected(first));
	vq_bus_free(first);
}
END_TEST

START_TEST(test_too_big)
{
	vq_bus_opts o = opts_for("small", "test");
	o.max_payload = 1024;
	const char *subs[] = {"big/+", NULL};
	vq_bus *small = start_opts(&o, subs);
	vq_bus *big = start_bus("big", NULL);

	static char buf[VQ_BUS_DEFAULT_MAX_PAYLOAD + 1];
	memset(buf, 'x', sizeof buf);
	ck_assert_int_eq(vq_bus_publish(big, "big/a", buf, sizeof buf, 1, false), VQ_ETOOBIG);
	ck_assert_int_eq(vq_bus_request(big, "big/a", buf, sizeof buf, NULL), VQ_ETOOBIG);
	vq_bus_msg *r = NULL;
	ck_assert_int_eq(vq_bus_call(big, "big/a", buf, sizeof buf, 100, &r), VQ_ETOOBIG);
	ck_assert_int_eq(vq_bus_publish(small, "big/a", buf, 1025, 1, false), VQ_ETOOBIG);

	/* Inbound: dropped and counted; what follows still arrives. */
	ck_assert_int_eq(vq_bus_publish(big, "big/a", buf, 1025, 1, false), VQ_OK);
	ck_assert_int_eq(vq_bus_publish(big, "big/b", buf, 1024, 1, false), VQ_OK);
	vq_bus_msg *m = wait_msg(small, NULL, WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->suffix, "big/b");
	ck_assert_uint_eq(m->len, 1024);
	vq_bus_msg_free(m);
	vq_bus_stats st;
	vq_bus_get_stats(small, &st);
	ck_assert_uint_eq(st.dropped_too_big, 1);

	vq_bus_free(big);
	vq_bus_free(small);
}
END_TEST

/* A stalled owner holds at most max_queue_bytes: what would pass it is dropped and
 * counted, and one message always fits an empty queue (up to max_payload). */
START_TEST(test_queue_bytes)
{
	vq_bus_opts o = opts_for("slow", "test");
	o.max_payload = 128 * 1024;
	o.max_queue_bytes = 64 * 1024;
	const char *subs[] = {"q/+", NULL};
	vq_bus *slow = start_opts(&o, subs);
	vq_bus *fast = start_bus("fast", NULL);
	static char buf[100 * 1024];
	memset(buf, 'q', sizeof buf);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(vq_bus_publish(fast, "q/a", buf, 16 * 1024, 1, false), VQ_OK);
	vq_bus_stats st;
	long long deadline = tu_mono_ms() + WAIT_MS;
	do {
		tu_sleep_ms(5);
		vq_bus_get_stats(slow, &st);
	} while (st.queued + st.dropped_queue_bytes < 20 && tu_mono_ms() < deadline);
	ck_assert_uint_eq(st.queued + st.dropped_queue_bytes, 20);
	ck_assert_uint_eq(st.queued, 3); /* 4 x 16 KiB and their bookkeeping pass 64 KiB */
	ck_assert_uint_gt(st.queued_bytes, 3 * 16 * 1024);
	ck_assert_uint_le(st.queued_bytes, o.max_queue_bytes);
	ck_assert_uint_eq(st.dropped_queue_bytes, 17);
	ck_assert_uint_eq(st.dropped_queue_full, 0);

	vq_bus_msg *m[8];
	size_t n = 0;
	ck_assert_int_eq(vq_bus_poll(slow, m, 8, &n, 0), VQ_OK);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(m[i]->len, 16 * 1024);
		vq_bus_msg_free(m[i]);
	}
	vq_bus_get_stats(slow, &st);
	ck_assert_uint_eq(st.queued_bytes, 0);
	/* bigger than the whole bound, into an empty queue: it gets through */
	ck_assert_int_eq(vq_bus_publish(fast, "q/b", buf, sizeof buf, 1, false), VQ_OK);
	vq_bus_msg *big = wait_msg(slow, NULL, WAIT_MS);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_eq(big->len, sizeof buf);
	vq_bus_msg_free(big);
	vq_bus_free(fast);
	vq_bus_free(slow);
}
END_TEST

START_TEST(test_poll_timeout_and_fd)
{
	const char *subs[] = {"t/#", NULL};
	vq_bus *a = start_bus("a", subs);
	vq_bus *b = start_bus("b", NULL);
	vq_bus_msg *out[8];
	size_t n = 99;

	long long t0 = tu_mono_ms();
	ck_assert_int_eq(vq_bus_poll(a, out, 8, &n, 200), VQ_OK);
	long long took = tu_mono_ms() - t0;
	ck_assert_uint_eq(n, 0);
	ck_assert_int_ge(took, 190);
	ck_assert_int_lt(took, 1000);
	ck_assert_int_eq(vq_bus_poll(a, out, 8, &n, 0), VQ_OK);
	ck_assert_uint_eq(n, 0);

	struct pollfd pfd = {.fd = vq_bus_fd(a), .events = POLLIN};
	ck_assert_int_ge(pfd.fd, 0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(vq_bus_publish(b, "t/x", "12345", 5, 1, false), VQ_OK);
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	ck_assert_uint_eq(wait_queued(a, 5, WAIT_MS), 5);

	/* Messages that arrived together come out together, up to max. */
	ck_assert_int_eq(vq_bus_poll(a, out, 3, &n, 0), VQ_OK);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		vq_bus_msg_free(out[i]);
	ck_assert_int_eq(poll(&pfd, 1, 0), 1); /* two left: still readable */
	ck_assert_int_eq(vq_bus_poll(a, out, 8, &n, 1000), VQ_OK);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++)
		vq_bus_msg_free(out[i]);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0); /* drained: not readable */

	ck_assert_int_eq(vq_bus_poll(a, out, 0, &n, 0), VQ_EINVAL);
	vq_bus_free(b);
	vq_bus_free(a);
}
END_TEST

START_TEST(test_invalid)
{
	vq_bus_free(NULL);
	vq_bus_msg_free(NULL);
	vq_bus *b = NULL;
	vq_bus_opts o = opts_for("x", "test");
	o.site = NULL;
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	o.site = "a/b";
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	o = opts_for(NULL, "test");
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	o = opts_for("k+1", "test");
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	o = opts_for("k\"1", "test");
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	o = opts_for("k1", "te st");
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	o = opts_for("k1", "test");
	o.keepalive = 2;
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	o = opts_for("k1", "test");
	o.tls_certfile = "/nonexistent.pem";
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	o = opts_for("k1", "test");
	o.tls_cafile = "/nonexistent-ca.pem";
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_EINVAL);
	ck_assert_ptr_null(b);

	/* client_id defaults to username. */
	o = opts_for(NULL, NULL);
	o.username = "kiosk-4";
	ck_assert_int_eq(vq_bus_new(&o, &b), VQ_OK);
	ck_assert_str_eq(vq_bus_client_id(b), "kiosk-4");
	ck_assert_str_eq(vq_bus_reply_topic(b), "vq/v1/" SITE "/reply/kiosk-4");
	ck_assert_int_eq(vq_bus_wait_connected(b, 0), VQ_EINVAL); /* not started */
	ck_assert_int_eq(vq_bus_subscribe(b, "", 1), VQ_EINVAL);
	ck_assert_int_eq(vq_bus_subscribe(b, "/x", 1), VQ_EINVAL);
	ck_assert_int_eq(vq_bus_subscribe(b, "a/#/b", 1), VQ_EINVAL);
	ck_assert_int_eq(vq_bus_subscribe(b, "a/b", 3), VQ_EINVAL);
	ck_assert_int_eq(vq_bus_publish(b, "a/+", "x", 1, 1, false), VQ_EINVAL);
	ck_assert_int_eq(vq_bus_publish(b, "a/#", "x", 1, 1, false), VQ_EINVAL);
	ck_assert_int_eq(vq_bus_publish(b, "a", "x", 1, -1, false), VQ_EINVAL);
	char longs[300];
	memset(longs, 'a', sizeof longs - 1);
	longs[sizeof longs - 1] = '\0';
	ck_assert_int_eq(vq_bus_publish(b, longs, "x", 1, 1, false), VQ_EINVAL);
	ck_assert_int_eq(vq_bus_subscribe(b, "fine/+", 1), VQ_OK); /* before start: kept */
	vq_bus_free(b);                                            /* never started */
}
END_TEST

/* A password file made with mosquitto_passwd; returns false if the tool is missing. */
static bool make_passwd(const char *dir, const char *user, const char *pass)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "mosquitto_passwd -c -b '%s/passwd' '%s' '%s' >/dev/null 2>&1",
	         dir, user, pass);
	return system(cmd) == 0;
}

START_TEST(test_auth)
{
	/* This test makes its own broker: it needs a password file. */
	scratch = tu_tempdir("bus-auth");
	ck_assert_ptr_nonnull(scratch);
	char tmpl[1024];
	snprintf(tmpl, sizeof tmpl, "%s/auth.conf", scratch);
	FILE *f = fopen(tmpl, "w");
	ck_assert_ptr_nonnull(f);
	fputs("allow_anonymous false\npassword_file @DIR@/passwd\nuse_username_as_clientid true\n",
	      f);
	fclose(f);
	ck_assert_int_eq(vq_test_broker_new(tmpl, &broker), VQ_OK);
	if (!make_passwd(vq_test_broker_dir(broker), "kiosk-5", "s3cret")) {
		fprintf(stderr, "test_auth: mosquitto_passwd not available, skipped\n");
		return;
	}
	ck_assert_int_eq(vq_test_broker_up(broker), VQ_OK);

	vq_bus_opts o = {0};
	o.port = vq_test_broker_port(broker);
	o.site = SITE;
	o.role = "kiosk";
	o.username = "kiosk-5";
	o.password = "wrong";
	o.reconnect_min_ms = 100;
	o.reconnect_max_ms = 200;
	vq_bus *bad = NULL;
	ck_assert_int_eq(vq_bus_new(&o, &bad), VQ_OK);
	ck_assert_int_eq(vq_bus_start(bad), VQ_OK);
	ck_assert_int_eq(vq_bus_wait_connected(bad, WAIT_MS), VQ_EBUS);
	vq_bus_stats st;
	vq_bus_get_stats(bad, &st);
	ck_assert_uint_ge(st.refusals, 1);
	/* mosquitto 2.0 answers a wrong password with 135 "not authorized" rather
	 * than 134 "bad user name or password"; either is a refusal. */
	ck_assert_msg(st.last_refusal == 134 || st.last_refusal == 135, "refused with %d",
	              st.last_refusal);
	/* It keeps trying (an operator may fix the broker) and stays quick to free. */
	ck_assert_int_eq(vq_bus_wait_connected(bad, WAIT_MS), VQ_EBUS);
	long long t0 = tu_mono_ms();
	vq_bus_free(bad);
	ck_assert_int_lt(tu_mono_ms() - t0, 1500);

	o.password = "s3cret";
	vq_bus *good = NULL;
	ck_assert_int_eq(vq_bus_new(&o, &good), VQ_OK);
	ck_assert_int_eq(vq_bus_start(good), VQ_OK);
	ck_assert_int_eq(vq_bus_wait_connected(good, WAIT_MS), VQ_OK);
	vq_bus_msg *r = NULL;
	/* Its reply topic works: it answers itself. */
	ck_assert_int_eq(vq_bus_subscribe(good, "svc/self/+", 1), VQ_OK);
	char corr[VQ_BUS_CORR_MAX];
	vq_bus_msg *req = NULL;
	for (int i = 0; i < 50 && !req; i++) {
		ck_assert_int_eq(vq_bus_request(good, "svc/self", "q", 1, corr), VQ_OK);
		req = wait_msg(good, "svc/self/kiosk-5", 100);
	}
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(vq_bus_reply(good, req, "a", 1), VQ_OK);
	vq_bus_msg_free(req);
	r = wait_msg(good, "reply/kiosk-5", WAIT_MS);
	ck_assert_ptr_nonnull(r);
	ck_assert(payload_is(r, "a"));
	vq_bus_msg_free(r);
	vq_bus_free(good);
}
END_TEST

/* A throwaway CA, a server certificate for 127.0.0.1 and a client certificate for
 * kiosk-8, in dir; false if openssl is missing or fails. */
static bool make_certs(const char *dir)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
	         "cd '%s' && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
	         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	         "-keyout ca.key -out ca.crt -subj /CN=vq-test-ca -days 2 && "
	         "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	         "-keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
	         "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
	         "-out server.crt -days 2 -extfile san.ext && "
	         "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	         "-keyout client.key -out client.csr -subj /CN=kiosk-8 && "
	         "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
	         "-out client.crt -days 2",
	         dir);
	char full[4200];
	snprintf(full, sizeof full, "( %s ) >/dev/null 2>&1", cmd);
	return system(full) == 0;
}

START_TEST(test_tls_client_cert)
{
	/* TLS with a certificate per device, as in production; the bus must connect,
	 * and reconnect after a restart, over it. */
	scratch = tu_tempdir("bus-tls");
	ck_assert_ptr_nonnull(scratch);
	char tmpl[1024];
	snprintf(tmpl, sizeof tmpl, "%s/tls.conf", scratch);
	FILE *f = fopen(tmpl, "w");
	ck_assert_ptr_nonnull(f);
	fputs("cafile @DIR@/ca.crt\ncertfile @DIR@/server.crt\nkeyfile @DIR@/server.key\n"
	      "require_certificate true\nuse_identity_as_username true\nallow_anonymous false\n"
	      "set_tcp_nodelay true\n",
	      f);
	fclose(f);
	ck_assert_int_eq(vq_test_broker_new(tmpl, &broker), VQ_OK);
	const char *dir = vq_test_broker_dir(broker);
	if (!make_certs(dir)) {
		fprintf(stderr, "test_tls_client_cert: openssl not available, skipped\n");
		return;
	}
	ck_assert_int_eq(vq_test_broker_up(broker), VQ_OK);

	char ca[1024], crt[1024], key[1024];
	snprintf(ca, sizeof ca, "%s/ca.crt", dir);
	snprintf(crt, sizeof crt, "%s/client.crt", dir);
	snprintf(key, sizeof key, "%s/client.key", dir);
	vq_bus_opts o = {0};
	o.port = vq_test_broker_port(broker);
	o.site = SITE;
	o.role = "kiosk";
	o.client_id = "kiosk-8";
	o.tls_cafile = ca;
	o.tls_certfile = crt;
	o.tls_keyfile = key;
	o.reconnect_min_ms = 100;
	o.reconnect_max_ms = 500;
	vq_bus *b = start_opts(&o, (const char *const[]){"svc/self/+", NULL});
	char corr[VQ_BUS_CORR_MAX];
	ck_assert_int_eq(vq_bus_request(b, "svc/self", "q", 1, corr), VQ_OK);
	vq_bus_msg *req = wait_msg(b, "svc/self/kiosk-8", WAIT_MS);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(vq_bus_reply(b, req, "a", 1), VQ_OK);
	vq_bus_msg_free(req);
	vq_bus_msg *r = wait_msg(b, "reply/kiosk-8", WAIT_MS);
	ck_assert_ptr_nonnull(r);
	ck_assert(vq_bus_msg_corr_is(r, corr));
	vq_bus_msg_free(r);

	ck_assert_int_eq(vq_test_broker_restart(broker), VQ_OK);
	long long deadline = tu_mono_ms() + 10000;
	while ((connects(b) < 2 || !vq_bus_connected(b)) && tu_mono_ms() < deadline)
		tu_sleep_ms(10);
	ck_assert_uint_eq(connects(b), 2);
	ck_assert_int_eq(vq_bus_publish(b, "svc/self/kiosk-8", "again", 5, 1, false), VQ_OK);
	r = wait_msg(b, "svc/self/kiosk-8", WAIT_MS);
	ck_assert(payload_is(r, "again"));
	vq_bus_msg_free(r);
	vq_bus_free(b);

	/* Without a client certificate the broker will not have us. */
	o.tls_certfile = o.tls_keyfile = NULL;
	o.client_id = "nocert";
	vq_bus *anon = NULL;
	ck_assert_int_eq(vq_bus_new(&o, &anon), VQ_OK);
	ck_assert_int_eq(vq_bus_start(anon), VQ_OK);
	ck_assert_int_ne(vq_bus_wait_connected(anon, 1000), VQ_OK);
	vq_bus_free(anon);
}
END_TEST

START_TEST(test_site_broker_config)
{
	/* The bus against the site's real broker config and ACL (broker-config/):
	 * presence and Will, a kiosk's request and vqd's reply, a board that may not
	 * subscribe to a reply topic of its own. */
	char accounts[1024], tmpl[1024]; /* tu_src returns one static buffer */
	snprintf(accounts, sizeof accounts, "%s", tu_src("broker-config/vq-accounts"));
	snprintf(tmpl, sizeof tmpl, "%s", tu_src("broker-config/mosquitto-local.conf.in"));
	if (access(accounts, X_OK) != 0 || access(tmpl, R_OK) != 0) {
		fprintf(stderr, "test_site_broker_config: broker-config/ not there, skipped\n");
		return;
	}
	ck_assert_int_eq(vq_test_broker_new(tmpl, &broker), VQ_OK);
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
	         "'%s' --site " SITE " --out '%s' --device coordinator:vqd:pw-vqd "
	         "--device kiosk:kiosk-1:pw-k1 --device display:board-1:pw-b1 "
	         "--device bench:bench-echo:pw-be --device bench:bench-ping:pw-bp >/dev/null 2>&1",
	         accounts, vq_test_broker_dir(broker));
	ck_assert_msg(system(cmd) == 0, "vq-accounts failed");
	ck_assert_int_eq(vq_test_broker_up(broker), VQ_OK);

	vq_bus_opts o = {0};
	o.port = vq_test_broker_port(broker);
	o.site = SITE;
	o.reconnect_min_ms = 100;
	o.reconnect_max_ms = 500;

	/* The kiosk runs in a child, so that it can die without a DISCONNECT. It is
	 * forked before this process has bus threads, and starts when told to. */
	int go[2], ready[2];
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		die_with_parent(parent);
		close(go[1]);
		close(ready[0]);
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		o.username = "kiosk-1";
		o.password = "pw-k1";
		o.role = "kiosk";
		vq_bus *k = NULL;
		vq_bus_msg *r = NULL;
		if (vq_bus_new(&o, &k) || vq_bus_start(k) || vq_bus_wait_connected(k, WAIT_MS) ||
		    vq_bus_call(k, "svc/issue", "{\"v\":1}", 7, WAIT_MS, &r) ||
		    !payload_is(r, "{\"ok\":true}"))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(go[0]);

	o.username = "vqd";
	o.password = "pw-vqd";
	o.role = "coordinator";
	vq_bus *vqd = start_opts(&o, (const char *const[]){"svc/#", "presence/+", NULL});
	o.username = "board-1";
	o.password = "pw-b1";
	o.role = "display";
	vq_bus *board = start_opts(&o, (const char *const[]){"state/#", NULL});
	/* (Its reply topic is not in a display's ACL; mosquitto 2.0.11 still grants the
	 * subscription and just never delivers, so the board connects as usual.) */

	ck_assert_int_eq(write(go[1], "g", 1), 1);
	close(go[1]);
	close(ready[1]);
	vq_bus_msg *m = wait_msg(vqd, "presence/kiosk-1", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(has(m, "\"online\":true"));
	vq_bus_msg_free(m);
	m = wait_msg(vqd, "svc/issue/kiosk-1", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->response_topic, "vq/v1/" SITE "/reply/kiosk-1");
	ck_assert_int_eq(vq_bus_reply(vqd, m, "{\"ok\":true}", 11), VQ_OK);
	vq_bus_msg_free(m);
	char c = 0;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	kill(pid, SIGKILL);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	m = wait_msg(vqd, "presence/kiosk-1", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(has(m, "\"online\":false"));
	vq_bus_msg_free(m);

	/* The board may not publish requests: the broker drops them (PUBACK 0x87), and
	 * the call says so at once instead of timing out. */
	vq_bus_msg *r = NULL;
	long long t0 = tu_mono_ms();
	ck_assert_int_eq(vq_bus_call(board, "svc/issue", "x", 1, WAIT_MS, &r), VQ_EDENIED);
	ck_assert_int_lt(tu_mono_ms() - t0, 1000);
	vq_bus_stats st;
	vq_bus_get_stats(board, &st);
	ck_assert_uint_eq(st.pub_refused, 1);
	ck_assert_ptr_null(wait_msg(vqd, "svc/issue/board-1", 200));

	/* The broker's max_packet_size (256 KiB, the whole packet) binds before our
	 * max_payload (256 KiB of payload): libmosquitto refuses, the link stays up. */
	static char big[VQ_BUS_DEFAULT_MAX_PAYLOAD];
	memset(big, 'x', sizeof big);
	ck_assert_int_eq(vq_bus_publish(vqd, "state/big", big, sizeof big, 1, false), VQ_ETOOBIG);
	ck_assert_int_eq(vq_bus_publish(vqd, "state/big", big, 200000, 1, false), VQ_OK);
	m = wait_msg(board, "state/big", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->len, 200000);
	vq_bus_msg_free(m);
	ck_assert(vq_bus_connected(vqd));

	/* Role bench may touch bench/ only: its buses keep their reply topic there and make
	 * no presence (the broker would refuse it: pub_refused stays 0), and a request and
	 * its echo work within bench/. */
	o.role = "bench";
	o.no_presence = true;
	o.username = "bench-echo";
	o.password = "pw-be";
	vq_bus *echo = start_opts(&o, (const char *const[]){"bench/echo/+", NULL});
	o.username = "bench-ping";
	o.password = "pw-bp";
	o.reply_suffix = "bench/reply/bench-ping";
	vq_bus *ping = start_opts(&o, NULL);
	ck_assert_str_eq(vq_bus_reply_topic(ping), "vq/v1/" SITE "/bench/reply/bench-ping");
	char corr[VQ_BUS_CORR_MAX];
	ck_assert_int_eq(vq_bus_request(ping, "bench/echo", "hi", 2, corr), VQ_OK);
	m = wait_msg(echo, "bench/echo/bench-ping", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->response_topic, vq_bus_reply_topic(ping));
	ck_assert_int_eq(vq_bus_reply(echo, m, "ho", 2), VQ_OK);
	vq_bus_msg_free(m);
	m = wait_msg(ping, "bench/reply/bench-ping", WAIT_MS);
	ck_assert_ptr_nonnull(m);
	ck_assert(vq_bus_msg_corr_is(m, corr) && payload_is(m, "ho"));
	vq_bus_msg_free(m);
	vq_bus_get_stats(ping, &st);
	ck_assert_uint_eq(st.pub_refused, 0);
	vq_bus_get_stats(echo, &st);
	ck_assert_uint_eq(st.pub_refused, 0);
	vq_bus_free(ping);
	vq_bus_free(echo);
	for (long long end = tu_mono_ms() + 300;
	     (m = wait_msg(vqd, NULL, (int)(end - tu_mono_ms())));) {
		ck_assert_msg(strncmp(m->suffix, "presence/bench-", 15) != 0, "presence of %s",
		              m->suffix);
		vq_bus_msg_free(m);
	}

	vq_bus_free(board);
	vq_bus_free(vqd);
}
END_TEST

static Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("broker");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pubsub_roundtrip);
	tcase_add_test(tc, test_subscribe_later_and_unsubscribe);
	tcase_add_test(tc, test_retained_late_subscriber);
	tcase_add_test(tc, test_request_reply_many);
	tcase_add_test(tc, test_call);
	tcase_add_test(tc, test_presence_clean);
	tcase_add_test(tc, test_last_will);
	tcase_add_test(tc, test_broker_restart);
	tcase_add_test(tc, test_inflight_resent_after_broker_crash);
	tcase_add_test(tc, test_offline_then_broker_comes_up);
	tcase_add_test(tc, test_kicked_client_returns);
	tcase_add_test(tc, test_brokers_move_on);
	tcase_add_test(tc, test_reply_props);
	tcase_add_test(tc, test_presence_held);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_queue_bytes);
	tcase_add_test(tc, test_poll_timeout_and_fd);
	tcase_add_test(tc, test_invalid);
	suite_add_tcase(s, tc);

	TCase *own = tcase_create("own-broker");
	tcase_add_unchecked_fixture(own, suite_setup, suite_teardown);
	tcase_add_checked_fixture(own, setup_own, teardown);
	tcase_set_timeout(own, 60);
	tcase_add_test(own, test_auth);
	tcase_add_test(own, test_tls_client_cert);
	tcase_add_test(own, test_site_broker_config);
	suite_add_tcase(s, own);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bus_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
