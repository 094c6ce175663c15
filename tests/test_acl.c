/* tests/test_acl.c — the broker's ACL, cell by cell: every role × every topic family ×
 * publish / subscribe-and-receive / retain / will, against a real mosquitto running the
 * site's own local config with the ACL that broker-config/vq-accounts generates.
 *
 * What each cell should be comes from the same role table vq-accounts reads
 * (broker-config/roles), matched here with MQTT's own topic rules; what it is comes from
 * the broker: a publish's PUBACK and whether an observer received it, a subscription's
 * deliveries, a retained message still there for a later subscriber, a Last Will
 * delivered when its connection died. The observers (read everything) and the injector
 * (writes everything) are test-only roles appended to a copy of the table. Each role has
 * two accounts: "<role>-a" acts, "<role>-b" is the other account of the same role whose
 * topics it must not touch. Clients are stock MQTT 5 (tests/support/stock.h).
 */
#include <check.h>
#include <mqtt_protocol.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/broker.h"
#include "support/stock.h"
#include "support/tutil.h"

#define SITE       "test"
#define PREFIX     "vq/v1/" SITE "/"
#define WAIT_MS    5000
#define SETTLE_MS  300 /* after the last expected message, how long to watch for strays */
#define MAX_RULES  128
#define MAX_ROLES  16
#define MAX_FAM    64
#define PW         "acl-test-pw"
#define MAX_REPORT 4096

enum mode { PUBLISH, RECEIVE, RETAIN, WILL, NMODES };
static const char *const MODE[] = {"publish", "subscribe-and-receive", "retain", "will"};

typedef struct rule {
	char role[32], access[16], topic[128];
} rule;

typedef struct cell {
	char topic[160]; /* full topic */
	bool want[NMODES], got[NMODES];
	int reason[NMODES]; /* PUBACK reason code, for publish and retain */
} cell;

typedef struct role {
	char name[32], self[40], other[40];
	cell cells[MAX_FAM];
	int ncells;
	vq_stock *c; /* the acting account's connection, while a phase needs it */
} role;

static rule rules[MAX_RULES];
static int nrules;
static role roles[MAX_ROLES];
static int nroles;
static vq_test_broker *broker;
static char report[MAX_REPORT];

/* --- the role table ---------------------------------------------------------------------- */

/* Lines "ROLE ACCESS TOPIC"; '#' starts a comment at a line's start or after white space
 * (a topic may end in the wildcard #), exactly as vq-accounts reads them. */
static void read_roles(void)
{
	char *text = tu_read_file(tu_src("broker-config/roles"), NULL);
	ck_assert_msg(text != NULL, "cannot read broker-config/roles");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		for (char *h = line; (h = strchr(h, '#')); h++)
			if (h == line || h[-1] == ' ' || h[-1] == '\t') {
				*h = '\0';
				break;
			}
		rule r;
		char extra[8];
		int n = sscanf(line, "%31s %15s %127s %7s", r.role, r.access, r.topic, extra);
		if (n <= 0)
			continue;
		ck_assert_msg(n == 3, "roles: bad line '%s'", line);
		ck_assert_int_lt(nrules, MAX_RULES);
		rules[nrules++] = r;
		bool known = !strcmp(r.role, "anonymous");
		for (int i = 0; i < nroles && !known; i++)
			known = !strcmp(roles[i].name, r.role);
		if (!known) {
			ck_assert_int_lt(nroles, MAX_ROLES);
			role *ro = &roles[nroles++];
			snprintf(ro->name, sizeof ro->name, "%s", r.role);
			snprintf(ro->self, sizeof ro->self, "%s-a", r.role);
			snprintf(ro->other, sizeof ro->other, "%s-b", r.role);
		}
	}
	free(text);
	ck_assert_msg(nroles >= 6, "only %d roles in broker-config/roles", nroles);
}

/* MQTT topic matching: '+' one level, '#' this level and all below (or the parent). */
static bool matches(const char *filter, const char *topic)
{
	for (;;) {
		if (filter[0] == '#' && !filter[1])
			return true;
		if (filter[0] == '+') {
			topic += strcspn(topic, "/");
			filter++;
		} else {
			size_t n = strcspn(filter, "/");
			if (strncmp(filter, topic, n) != 0 || (topic[n] && topic[n] != '/'))
				return false;
			filter += n;
			topic += n;
		}
		if (!*filter && !*topic)
			return true;
		if (!*filter || *filter != '/')
			return false;
		if (!*topic)
			return strcmp(filter, "/#") == 0;
		filter++;
		topic++;
	}
}

/* Does the table let role (as account self) read or write topic? */
static bool granted(const role *ro, const char *topic, bool write)
{
	for (int i = 0; i < nrules; i++) {
		const rule *r = &rules[i];
		if (strcmp(r->role, ro->name) != 0)
			continue;
		if (strcmp(r->access, "readwrite") != 0 &&
		    strcmp(r->access, write ? "write" : "read"))
			continue;
		char filter[200];
		size_t o = (size_t)snprintf(filter, sizeof filter, "%s", PREFIX);
		for (const char *p = r->topic; *p && o + 40 < sizeof filter; p++) {
			if (p[0] == '%' && p[1] == 'a') {
				o +=
				    (size_t)snprintf(filter + o, sizeof filter - o, "%s", ro->self);
				p++;
			} else {
				filter[o++] = *p;
			}
		}
		filter[o] = '\0';
		if (matches(filter, topic))
			return true;
	}
	return false;
}

/* Every topic family, written out for role ro's acting account. */
static void make_cells(role *ro)
{
	/* vqd's verbs today, and any other verb the table grants (svc/<verb>/%a). */
	char verbs[MAX_FAM][32] = {"identify", "quote",    "issue",  "cancel", "redeem",
	                           "sync",     "override", "lookup", "ops"};
	int nverbs = 9;
	for (int i = 0; i < nrules; i++) {
		char v[32];
		int end = 0;
		if (sscanf(rules[i].topic, "svc/%31[^/+#]/%%a%n", v, &end) != 1 || end == 0 ||
		    rules[i].topic[end])
			continue;
		bool known = false;
		for (int k = 0; k < nverbs && !known; k++)
			known = !strcmp(verbs[k], v);
		if (!known && nverbs < MAX_FAM)
			snprintf(verbs[nverbs++], sizeof verbs[0], "%s", v);
	}
	char t[MAX_FAM + MAX_FAM + 16][160];
	int n = 0;
	for (int v = 0; v < nverbs; v++) {
		snprintf(t[n++], sizeof t[0], PREFIX "svc/%s/%s", verbs[v], ro->self);
		snprintf(t[n++], sizeof t[0], PREFIX "svc/%s/%s", verbs[v], ro->other);
	}
	snprintf(t[n++], sizeof t[0], PREFIX "svc/issue");
	snprintf(t[n++], sizeof t[0], PREFIX "reply/%s", ro->self);
	snprintf(t[n++], sizeof t[0], PREFIX "reply/%s", ro->other);
	snprintf(t[n++], sizeof t[0], PREFIX "state/_site");
	snprintf(t[n++], sizeof t[0], PREFIX "state/coaster");
	snprintf(t[n++], sizeof t[0], PREFIX "parks/coaster");
	snprintf(t[n++], sizeof t[0], PREFIX "events/admission");
	snprintf(t[n++], sizeof t[0], PREFIX "presence/%s", ro->self);
	snprintf(t[n++], sizeof t[0], PREFIX "presence/%s", ro->other);
	snprintf(t[n++], sizeof t[0], PREFIX "journal/%s", ro->self);
	snprintf(t[n++], sizeof t[0], PREFIX "journal/%s", ro->other);
	snprintf(t[n++], sizeof t[0], PREFIX "presence/vqd"); /* the serving vqd's, shared */
	snprintf(t[n++], sizeof t[0], PREFIX "bench/echo/%s", ro->self);
	snprintf(t[n++], sizeof t[0], PREFIX "bench/reply/%s", ro->other);
	ck_assert_int_le(n, MAX_FAM);
	ro->ncells = n;
	for (int i = 0; i < n; i++) {
		cell *c = &ro->cells[i];
		memset(c, 0, sizeof *c);
		snprintf(c->topic, sizeof c->topic, "%s", t[i]);
		bool w = granted(ro, c->topic, true);
		c->want[PUBLISH] = c->want[RETAIN] = c->want[WILL] = w;
		c->want[RECEIVE] = granted(ro, c->topic, false);
	}
}

/* --- the broker --------------------------------------------------------------------------- */

static void start_broker(void)
{
	char tmpl[1024], accounts[1024];
	snprintf(tmpl, sizeof tmpl, "%s", tu_src("broker-config/mosquitto-local.conf.in"));
	snprintf(accounts, sizeof accounts, "%s", tu_src("broker-config/vq-accounts"));
	char *src = tu_read_file(tu_src("broker-config/roles"), NULL);
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(vq_test_broker_new(tmpl, &broker), VQ_OK);
	const char *dir = vq_test_broker_dir(broker);
	/* The table as it is, plus the two test-only roles. */
	char table[1200];
	snprintf(table, sizeof table, "%s/roles-under-test", dir);
	FILE *f = fopen(table, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\nacltest-observer read +/#\nacltest-injector write +/#\n", src);
	ck_assert_int_eq(fclose(f), 0);
	free(src);
	static char cmd[8192];
	int o = snprintf(cmd, sizeof cmd, "VQ_ROLES='%s' '%s' --site " SITE " --out '%s'", table,
	                 accounts, dir);
	for (int i = 0; i < nroles; i++)
		o += snprintf(cmd + o, sizeof cmd - (size_t)o,
		              " --device %s:%s:" PW " --device %s:%s:" PW, roles[i].name,
		              roles[i].self, roles[i].name, roles[i].other);
	snprintf(cmd + o, sizeof cmd - (size_t)o,
	         " --device acltest-observer:observer:" PW
	         " --device acltest-observer:latecomer:" PW
	         " --device acltest-injector:injector:" PW " >'%s/accounts.log' 2>&1",
	         dir);
	ck_assert_msg(system(cmd) == 0, "vq-accounts failed: %s", cmd);
	ck_assert_int_eq(vq_test_broker_up(broker), VQ_OK);
}

static vq_stock *connect_as(const char *account, const char *will_topic, const char *will)
{
	vq_stock_opts o = {.port = vq_test_broker_port(broker),
	                   .username = account,
	                   .password = PW,
	                   .will_topic = will_topic,
	                   .will_payload = will};
	vq_stock *s = NULL;
	int connack = -1;
	int rc = vq_stock_connect(&o, WAIT_MS, &s, &connack);
	ck_assert_msg(rc == VQ_OK, "%s: cannot connect (CONNACK %d)", account, connack);
	return s;
}

/* An account that reads everything: "observer" all along, "latecomer" for what is
 * retained (one account has one connection: a second would take the first over). */
static vq_stock *observer(const char *account)
{
	vq_stock *s = connect_as(account, NULL, NULL);
	const char *all[] = {PREFIX "#"};
	ck_assert_int_eq(vq_stock_subscribe(s, all, 1, WAIT_MS), VQ_OK);
	return s;
}

/* True if s received a message on topic with exactly this payload (and retain flag, when
 * retained is not NULL). */
static bool received(vq_stock *s, const char *topic, const char *payload, const bool *retained)
{
	for (size_t i = 0; i < vq_stock_count(s); i++) {
		vq_stock_msg m = vq_stock_at(s, i);
		if (!strcmp(m.topic, topic) && !strcmp(m.payload, payload) &&
		    (!retained || m.retain == *retained))
			return true;
	}
	return false;
}

static int count_wanted(int mode)
{
	int n = 0;
	for (int r = 0; r < nroles; r++)
		for (int i = 0; i < roles[r].ncells; i++)
			n += roles[r].cells[i].want[mode];
	return n;
}

/* Waits until obs holds base + n messages, then SETTLE_MS more for strays. */
static void settle(vq_stock *obs, size_t want)
{
	vq_stock_wait_count(obs, want, WAIT_MS);
	tu_sleep_ms(SETTLE_MS);
}

static void payload_of(char *out, size_t n, int mode, const role *ro, const cell *c)
{
	snprintf(out, n, "%s|%s|%s", MODE[mode], ro->self, c->topic);
}

/* --- the phases --------------------------------------------------------------------------- */

static void phase_publish(vq_stock *obs, int mode)
{
	bool retain = mode == RETAIN;
	for (int r = 0; r < nroles; r++) {
		role *ro = &roles[r];
		vq_stock *c = connect_as(ro->self, NULL, NULL);
		int mids[MAX_FAM];
		for (int i = 0; i < ro->ncells; i++) {
			char p[256];
			payload_of(p, sizeof p, mode, ro, &ro->cells[i]);
			ck_assert_int_eq(
			    vq_stock_send(c, ro->cells[i].topic, p, retain, NULL, NULL, &mids[i]),
			    VQ_OK);
		}
		for (int i = 0; i < ro->ncells; i++) {
			cell *ce = &ro->cells[i];
			ck_assert_msg(vq_stock_reason(c, mids[i], WAIT_MS, &ce->reason[mode]) ==
			                  VQ_OK,
			              "%s: no PUBACK on %s", ro->self, ce->topic);
		}
		vq_stock_free(c);
		if (!retain)
			continue;
		/* What a subscriber arriving later finds kept, then the slate wiped clean. */
		vq_stock *late = observer("latecomer");
		tu_sleep_ms(SETTLE_MS);
		vq_stock *inj = connect_as("injector", NULL, NULL);
		for (int i = 0; i < ro->ncells; i++) {
			cell *ce = &ro->cells[i];
			char p[256];
			payload_of(p, sizeof p, mode, ro, ce);
			bool yes = true;
			ce->got[mode] = received(late, ce->topic, p, &yes);
			int reason;
			ck_assert_int_eq(vq_stock_publish(inj, ce->topic, "", true, NULL, NULL,
			                                  WAIT_MS, &reason),
			                 VQ_OK);
		}
		vq_stock_free(inj);
		vq_stock_free(late);
	}
	if (retain)
		return;
	settle(obs, (size_t)count_wanted(mode));
	for (int r = 0; r < nroles; r++)
		for (int i = 0; i < roles[r].ncells; i++) {
			cell *ce = &roles[r].cells[i];
			char p[256];
			payload_of(p, sizeof p, mode, &roles[r], ce);
			ce->got[mode] = received(obs, ce->topic, p, NULL);
		}
}

static void phase_receive(vq_stock *obs)
{
	size_t base = vq_stock_count(obs);
	int sent = 0;
	for (int r = 0; r < nroles; r++) {
		role *ro = &roles[r];
		ro->c = connect_as(ro->self, NULL, NULL);
		const char *filters[MAX_FAM];
		for (int i = 0; i < ro->ncells; i++)
			filters[i] = ro->cells[i].topic;
		ck_assert_int_eq(vq_stock_subscribe(ro->c, filters, (size_t)ro->ncells, WAIT_MS),
		                 VQ_OK);
	}
	vq_stock *inj = connect_as("injector", NULL, NULL);
	for (int r = 0; r < nroles; r++)
		for (int i = 0; i < roles[r].ncells; i++) {
			int reason;
			ck_assert_int_eq(vq_stock_publish(inj, roles[r].cells[i].topic,
			                                  "receive|injector", false, NULL, NULL,
			                                  WAIT_MS, &reason),
			                 VQ_OK);
			ck_assert_msg(reason == 0, "the injector may not publish %s (%d)",
			              roles[r].cells[i].topic, reason);
			sent++;
		}
	vq_stock_free(inj);
	settle(obs, base + (size_t)sent);
	for (int r = 0; r < nroles; r++) {
		role *ro = &roles[r];
		for (int i = 0; i < ro->ncells; i++)
			ro->cells[i].got[RECEIVE] =
			    received(ro->c, ro->cells[i].topic, "receive|injector", NULL);
		vq_stock_free(ro->c);
		ro->c = NULL;
	}
}

/* One thread per role: its acting account connects once per topic with a Will there and
 * dies (one account, one connection at a time: a second would take the first over). */
static void *will_main(void *arg)
{
	role *ro = arg;
	for (int i = 0; i < ro->ncells; i++) {
		char p[256];
		payload_of(p, sizeof p, WILL, ro, &ro->cells[i]);
		vq_stock_opts o = {.port = vq_test_broker_port(broker),
		                   .username = ro->self,
		                   .password = PW,
		                   .will_topic = ro->cells[i].topic,
		                   .will_payload = p};
		vq_stock *s = NULL;
		if (vq_stock_connect(&o, WAIT_MS, &s, NULL) == VQ_OK)
			vq_stock_kill(s);
		else
			ro->cells[i].reason[WILL] = -2; /* could not connect: reported below */
	}
	return NULL;
}

static void phase_will(vq_stock *obs)
{
	size_t base = vq_stock_count(obs);
	pthread_t t[MAX_ROLES];
	for (int r = 0; r < nroles; r++)
		ck_assert_int_eq(pthread_create(&t[r], NULL, will_main, &roles[r]), 0);
	for (int r = 0; r < nroles; r++)
		pthread_join(t[r], NULL);
	settle(obs, base + (size_t)count_wanted(WILL));
	for (int r = 0; r < nroles; r++)
		for (int i = 0; i < roles[r].ncells; i++) {
			cell *ce = &roles[r].cells[i];
			ck_assert_msg(ce->reason[WILL] != -2,
			              "%s could not connect with a Will on %s", roles[r].self,
			              ce->topic);
			char p[256];
			payload_of(p, sizeof p, WILL, &roles[r], ce);
			ce->got[WILL] = received(obs, ce->topic, p, NULL);
		}
}

/* --- the matrix ------------------------------------------------------------------------------ */

static bool allowed_reason(int reason)
{
	return reason == 0 || reason == MQTT_RC_NO_MATCHING_SUBSCRIBERS;
}

START_TEST(test_role_matrix)
{
	read_roles();
	for (int r = 0; r < nroles; r++)
		make_cells(&roles[r]);
	start_broker();
	long long t0 = tu_mono_ms();
	vq_stock *obs = observer("observer");
	phase_publish(obs, PUBLISH);
	phase_receive(obs);
	phase_publish(obs, RETAIN);
	phase_will(obs);
	vq_stock_free(obs);

	int cells = 0, wrong = 0, granted_cells = 0;
	size_t o = 0;
	for (int r = 0; r < nroles; r++)
		for (int i = 0; i < roles[r].ncells; i++)
			for (int m = 0; m < NMODES; m++) {
				const cell *ce = &roles[r].cells[i];
				bool got = ce->got[m];
				/* The broker's own answer must agree with what arrived. */
				bool acked = (m == PUBLISH || m == RETAIN)
				                 ? allowed_reason(ce->reason[m])
				                 : got;
				cells++;
				granted_cells += ce->want[m];
				if (got == ce->want[m] && acked == ce->want[m] &&
				    (got || m == RECEIVE || m == WILL ||
				     ce->reason[m] == MQTT_RC_NOT_AUTHORIZED))
					continue;
				wrong++;
				if (o + 200 < sizeof report)
					o += (size_t)snprintf(
					    report + o, sizeof report - o,
					    "\n  %s (%s) %s %s: table says %s, broker %s "
					    "(PUBACK %d)",
					    roles[r].self, roles[r].name, MODE[m],
					    ce->topic + strlen(PREFIX), ce->want[m] ? "yes" : "no",
					    got ? "did" : "did not", ce->reason[m]);
			}
	fprintf(stderr, "test_acl: %d roles, %d cells (%d granted), %d wrong, %lld ms\n", nroles,
	        cells, granted_cells, wrong, tu_mono_ms() - t0);
	ck_assert_msg(wrong == 0, "%d cells differ from broker-config/roles:%s", wrong, report);
	/* The matrix is not trivially empty or full. */
	ck_assert_int_gt(granted_cells, nroles * 4);
	ck_assert_int_lt(granted_cells, cells / 2);
	vq_test_broker_stop(broker);
	broker = NULL;
}
END_TEST

/* The table itself says what issue 8 requires of it. */
START_TEST(test_role_table_least_privilege)
{
	read_roles();
	for (int r = 0; r < nroles; r++) {
		role *ro = &roles[r];
		make_cells(ro);
		bool coordinator = !strcmp(ro->name, "coordinator"),
		     bench = !strcmp(ro->name, "bench"),
		     /* the link between a site's two brokers carries every family both ways, as
		      * they are (broker-config/README.md): it is the broker pair, not a device */
		    peer = !strcmp(ro->name, "peer");
		for (int i = 0; i < ro->ncells; i++) {
			const cell *c = &ro->cells[i];
			const char *t = c->topic + strlen(PREFIX);
			bool owned = !strncmp(t, "state/", 6) || !strncmp(t, "parks/", 6) ||
			             !strncmp(t, "events/", 7) || !strncmp(t, "reply/", 6);
			if (owned)
				ck_assert_msg(coordinator || peer || !c->want[PUBLISH],
				              "%s may publish %s", ro->name, t);
			if (!strncmp(t, "bench/", 6))
				ck_assert_msg(bench || (!c->want[PUBLISH] && !c->want[RECEIVE]),
				              "%s may touch %s", ro->name, t);
			if (bench)
				ck_assert_msg(!strncmp(t, "bench/", 6) ||
				                  (!c->want[PUBLISH] && !c->want[RECEIVE]),
				              "bench may touch %s", t);
			if (coordinator && c->want[PUBLISH])
				ck_assert_msg(owned || !strcmp(t, "presence/coordinator-a") ||
				                  !strcmp(t, "presence/vqd"),
				              "the coordinator may publish %s", t);
			size_t tl = strlen(t);
			if (tl > 2 && !strcmp(t + tl - 2, "-b") && !bench && !coordinator && !peer)
				ck_assert_msg(!c->want[PUBLISH],
				              "%s may publish another account's %s", ro->name, t);
			if (!strncmp(t, "reply/", 6) && strcmp(t + 6, ro->self) != 0)
				ck_assert_msg(peer || !c->want[RECEIVE], "%s may read %s", ro->name,
				              t);
			if (!strcmp(t, "svc/issue"))
				ck_assert_msg(!c->want[PUBLISH],
				              "%s may publish the bare svc/issue", ro->name);
		}
	}
}
END_TEST

static void suite_setup(void)
{
	tu_scratch_begin("acl-tests");
}

static void suite_teardown(void)
{
	tu_scratch_end();
}

static void setup(void)
{
	nrules = nroles = 0;
	memset(roles, 0, sizeof roles);
	report[0] = '\0';
}

static Suite *acl_suite(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("roles");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_role_table_least_privilege);
	tcase_add_test(tc, test_role_matrix);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(acl_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
