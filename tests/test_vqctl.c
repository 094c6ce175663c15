/* tests/test_vqctl.c — vqctl, the operator's command line.
 *
 * Two halves. The pure parts (tools/vqctl: argument parsing, the members CSV, tables
 * and reply printers) are tested as functions, in the site's zone (UTC). Then
 * the vqctl binary is run against a real site (support/vqsite.h: mosquitto with the
 * site's ACL, and vqd) as an operator would run it, checking its output and, above
 * all, its exit codes, which scripts depend on.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/tutil.h"
#include "support/vqsite.h"
#include "tools/vqctl/cli.h"
#include "tools/vqctl/csv.h"
#include "tools/vqctl/table.h"

/* ---- helpers ----------------------------------------------------------------------- */

/* Parses a command line given as one NULL-terminated list (argv[0] added here). */
static int parse(vqctl_args *a, char *err, size_t errlen, const char *const *words)
{
	char *argv[32] = {"vqctl"};
	int argc = 1;
	for (; words[argc - 1]; argc++)
		argv[argc] = (char *)words[argc - 1];
	vqctl_args_init(a);
	err[0] = '\0';
	return vqctl_args_parse(a, argc, argv, err, errlen);
}

#define PARSE_OK(a, ...)                                                                           \
	do {                                                                                       \
		char e_[256];                                                                      \
		int rc_ = parse(a, e_, sizeof e_, (const char *const[]){__VA_ARGS__, NULL});       \
		ck_assert_msg(rc_ == VQCTL_EXIT_OK, "unexpected usage error: %s", e_);             \
	} while (0)

/* Expects a usage error whose message contains want. */
#define PARSE_BAD(want, ...)                                                                       \
	do {                                                                                       \
		vqctl_args a_;                                                                     \
		char e_[256];                                                                      \
		int rc_ = parse(&a_, e_, sizeof e_, (const char *const[]){__VA_ARGS__, NULL});     \
		ck_assert_int_eq(rc_, VQCTL_EXIT_USAGE);                                           \
		ck_assert_msg(strstr(e_, want), "message '%s' lacks '%s'", e_, want);              \
	} while (0)

static vqctl_members csv(const char *text)
{
	vqctl_members m;
	ck_assert_int_eq(vqctl_csv_parse(text, strlen(text), &m), VQ_OK);
	return m;
}

/* The bad line reported for line `line`, or NULL. */
static const char *bad_at(const vqctl_members *m, unsigned line)
{
	for (size_t i = 0; i < m->nbad_kept; i++)
		if (m->bad[i].line == line)
			return m->bad[i].why;
	return NULL;
}

#define BAD_LINE(m, line, want)                                                                    \
	do {                                                                                       \
		const char *w_ = bad_at(&(m), line);                                               \
		ck_assert_msg(w_, "line %u not reported bad", (unsigned)(line));                   \
		ck_assert_msg(strstr(w_, want), "line %u: '%s' lacks '%s'", (unsigned)(line), w_,  \
		              want);                                                               \
	} while (0)

/* Captures what a printer writes. */
typedef struct capture {
	FILE *f;
	char *buf;
	size_t len;
} capture;

static void cap_open(capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	ck_assert_ptr_nonnull(c->f);
}

static char *cap_close(capture *c)
{
	fclose(c->f);
	return c->buf;
}

static cJSON *json(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	ck_assert_msg(j != NULL, "bad test JSON: %s", text);
	return j;
}

/* Prints reply (JSON text) as command cmd would and returns the text (caller frees). */
static char *printed(int cmd, const char *reply, int *rc)
{
	cJSON *j = json(reply);
	capture c;
	cap_open(&c);
	*rc = vqctl_print_reply(c.f, "UTC", cmd, j);
	cJSON_Delete(j);
	return cap_close(&c);
}

/* ---- arguments --------------------------------------------------------------------- */

START_TEST(test_args_commands)
{
	vqctl_args a;
	PARSE_OK(&a, "status");
	ck_assert_int_eq(a.cmd, VQCTL_STATUS);
	ck_assert(!a.json);
	ck_assert_int_eq(a.timeout_ms, VQCTL_DEFAULT_TIMEOUT);

	PARSE_OK(&a, "--json", "--timeout", "250", "stats");
	ck_assert_int_eq(a.cmd, VQCTL_STATS);
	ck_assert(a.json);
	ck_assert_int_eq(a.timeout_ms, 250);

	/* options after the command words work too */
	PARSE_OK(&a, "close", "coaster", "--json");
	ck_assert_int_eq(a.cmd, VQCTL_CLOSE);
	ck_assert_str_eq(a.attraction, "coaster");
	ck_assert(a.json);

	PARSE_OK(&a, "reopen", "log_flume-2");
	ck_assert_int_eq(a.cmd, VQCTL_REOPEN);
	ck_assert_str_eq(a.attraction, "log_flume-2");

	PARSE_OK(&a, "standby", "coaster", "35");
	ck_assert_int_eq(a.cmd, VQCTL_STANDBY);
	ck_assert_int_eq(a.minutes, 35);
	PARSE_OK(&a, "standby", "coaster", "0");
	ck_assert_int_eq(a.minutes, 0);
	PARSE_OK(&a, "standby", "coaster", "600");
	ck_assert_int_eq(a.minutes, 600);

	PARSE_OK(&a, "capacity", "coaster", "--share", "45");
	ck_assert_int_eq(a.cmd, VQCTL_CAPACITY);
	ck_assert_int_eq(a.share, 45);
	ck_assert_int_eq(a.throughput, -1);
	ck_assert_int_eq(a.overbook, -1);
	PARSE_OK(&a, "capacity", "--throughput", "1200", "coaster", "--overbook", "10", "--share",
	         "0");
	ck_assert_int_eq(a.throughput, 1200);
	ck_assert_int_eq(a.share, 0);
	ck_assert_int_eq(a.overbook, 10);

	PARSE_OK(&a, "members", "import", "m.csv");
	ck_assert_int_eq(a.cmd, VQCTL_IMPORT);
	ck_assert_str_eq(a.file, "m.csv");
	ck_assert_int_eq(a.batch, VQCTL_DEFAULT_BATCH);
	ck_assert(!a.skip_bad);
	PARSE_OK(&a, "members", "import", "--batch", "1000", "--skip-bad", "m.csv");
	ck_assert_int_eq(a.batch, 1000);
	ck_assert(a.skip_bad);

	PARSE_OK(&a, "member", "4000 1234");
	ck_assert_int_eq(a.cmd, VQCTL_MEMBER);
	ck_assert_str_eq(a.card, "4000 1234");

	PARSE_OK(&a, "ticket", "42");
	ck_assert_int_eq(a.cmd, VQCTL_TICKET);
	ck_assert_int_eq(a.ticket_id, 42);
	PARSE_OK(&a, "ticket", "--code", "VQ1:ABC");
	ck_assert_int_eq(a.ticket_id, 0);
	ck_assert_str_eq(a.code, "VQ1:ABC");

	PARSE_OK(&a, "keys");
	ck_assert_int_eq(a.cmd, VQCTL_KEYS);
	PARSE_OK(&a, "keys", "rotate");
	ck_assert_int_eq(a.cmd, VQCTL_KEYS_ROTATE);
	PARSE_OK(&a, "keys", "retire", "7");
	ck_assert_int_eq(a.cmd, VQCTL_KEYS_RETIRE);
	ck_assert_int_eq(a.kid, 7);
	ck_assert(!a.force);
	PARSE_OK(&a, "keys", "retire", "--force", "0");
	ck_assert_int_eq(a.kid, 0);
	ck_assert(a.force);

	PARSE_OK(&a, "tiers");
	ck_assert_int_eq(a.cmd, VQCTL_TIERS);
	PARSE_OK(&a, "tier", "gold", "--max-passes", "5", "--protect", "25");
	ck_assert_int_eq(a.cmd, VQCTL_TIER);
	ck_assert_str_eq(a.tier, "gold");
	ck_assert_int_eq(a.tier_rule[0], 25);
	ck_assert_int_eq(a.tier_rule[1], -1);
	ck_assert_int_eq(a.tier_rule[2], 5);

	PARSE_OK(&a, "help");
	ck_assert_int_eq(a.cmd, VQCTL_HELP);
	/* --help wins over anything, even a bad command line */
	PARSE_OK(&a, "frobnicate", "--help");
	ck_assert_int_eq(a.cmd, VQCTL_HELP);
	PARSE_OK(&a, "-h");
	ck_assert_int_eq(a.cmd, VQCTL_HELP);

	/* "--" ends the options: a card may then start with a dash */
	PARSE_OK(&a, "member", "--", "--weird");
	ck_assert_str_eq(a.card, "--weird");
}
END_TEST

START_TEST(test_args_broker_options)
{
	unsetenv("VQ_BROKER");
	unsetenv("VQ_SITE");
	unsetenv("VQ_USER");
	unsetenv("VQ_PASSWORD");
	unsetenv("VQ_CREDENTIALS");
	vqctl_args a;
	PARSE_OK(&a, "--broker", "mq.example:1884", "--site", "park", "status", "--user", "ops-1",
	         "--password", "pw");
	ck_assert_str_eq(a.bo.host, "mq.example");
	ck_assert_int_eq(a.bo.port, 1884);
	ck_assert_str_eq(a.bo.site, "park");
	ck_assert_str_eq(a.bo.user, "ops-1");
	ck_assert_str_eq(a.bo.role, "operator");
	char err[256];
	ck_assert_int_eq(vq_busopt_finish(&a.bo, err, sizeof err), VQ_OK);

	/* the environment gives the defaults */
	setenv("VQ_SITE", "fromenv", 1);
	PARSE_OK(&a, "status");
	ck_assert_str_eq(a.bo.site, "fromenv");
	unsetenv("VQ_SITE");

	PARSE_BAD("--broker", "--broker", "host:notaport", "status");
	PARSE_BAD("--site needs a value", "status", "--site");

	/* two brokers of one site, as a list or repeated; the first names the first */
	PARSE_OK(&a, "--broker", "mq-a:1884,mq-b", "--broker", "mq-c:1890", "--site", "park",
	         "--user", "ops-1", "--password", "pw", "status");
	ck_assert_uint_eq(a.bo.nbrokers, 3);
	ck_assert_str_eq(a.bo.host, "mq-a");
	ck_assert_str_eq(a.bo.hosts[1], "mq-b");
	ck_assert_int_eq(a.bo.ports[1], 0);
	ck_assert_int_eq(a.bo.ports[2], 1890);
	ck_assert_int_eq(vq_busopt_finish(&a.bo, err, sizeof err), VQ_OK);
	ck_assert_uint_eq(a.bo.opts.nbrokers, 3);
	ck_assert_str_eq(a.bo.opts.brokers[2].host, "mq-c");
	setenv("VQ_BROKER", "e1:1,e2:2", 1);
	PARSE_OK(&a, "status");
	ck_assert_uint_eq(a.bo.nbrokers, 2);
	PARSE_OK(&a, "--broker", "only", "status"); /* the command line replaces the list */
	ck_assert_uint_eq(a.bo.nbrokers, 1);
	unsetenv("VQ_BROKER");
	PARSE_BAD("--broker", "--broker", "a:1,,b:2", "status");
	PARSE_BAD("--broker", "--broker", "a,b,c,d,e,f,g,h,i", "status");
}
END_TEST

START_TEST(test_args_errors)
{
	PARSE_BAD("no command", "--json");
	PARSE_BAD("unknown command 'frobnicate'", "frobnicate");
	PARSE_BAD("unknown option '--frob'", "status", "--frob");
	PARSE_BAD("unexpected argument 'x'", "status", "x");
	PARSE_BAD("unexpected argument 'x'", "stats", "x");

	PARSE_BAD("close: missing ATTRACTION", "close");
	PARSE_BAD("reopen: missing ATTRACTION", "reopen");
	PARSE_BAD("unexpected argument 'flume'", "close", "coaster", "flume");
	PARSE_BAD("not an attraction id", "close", "Coaster");
	PARSE_BAD("not an attraction id", "close", "a/b");
	PARSE_BAD("not an attraction id", "close", "abcdefghijklmnopqrstuvwxyz0123456");

	PARSE_BAD("missing ATTRACTION and MINUTES", "standby");
	PARSE_BAD("missing MINUTES", "standby", "coaster");
	PARSE_BAD("whole number 0..600, got 'abc'", "standby", "coaster", "abc");
	PARSE_BAD("got '-5'", "standby", "coaster", "-5");
	PARSE_BAD("got '601'", "standby", "coaster", "601");
	PARSE_BAD("got '3.5'", "standby", "coaster", "3.5");
	PARSE_BAD("got '12x'", "standby", "coaster", "12x");
	PARSE_BAD("got ''", "standby", "coaster", "");

	PARSE_BAD("at least one of", "capacity", "coaster");
	PARSE_BAD("--share: expected a whole number 0..100, got '101'", "capacity", "coaster",
	          "--share", "101");
	PARSE_BAD("--throughput", "capacity", "coaster", "--throughput", "fast");
	PARSE_BAD("--throughput", "capacity", "coaster", "--throughput", "0");
	PARSE_BAD("--overbook", "capacity", "coaster", "--overbook", "-1");
	PARSE_BAD("--share needs a value", "capacity", "coaster", "--share");

	PARSE_BAD("expected 'members import FILE.csv'", "members");
	PARSE_BAD("expected 'members import FILE.csv'", "members", "export", "x.csv");
	PARSE_BAD("missing FILE.csv", "members", "import");
	PARSE_BAD("--batch", "members", "import", "m.csv", "--batch", "0");
	PARSE_BAD("--batch", "members", "import", "m.csv", "--batch", "1001");
	PARSE_BAD("--batch", "members", "import", "m.csv", "--batch", "many");

	PARSE_BAD("member: missing CARD", "member");
	PARSE_BAD("not a card number", "member", "012345678901234567890123456789012");
	PARSE_BAD("not a card number", "member", "caf\xc3\xa9");

	PARSE_BAD("ticket: missing ID", "ticket");
	PARSE_BAD("ticket: ID must be", "ticket", "abc");
	PARSE_BAD("ticket: ID must be", "ticket", "0");
	PARSE_BAD("ticket: ID must be", "ticket", "99999999999999999999");
	PARSE_BAD("not both", "ticket", "42", "--code", "VQ1:X");
	PARSE_BAD("empty", "ticket", "--code", "");

	PARSE_BAD("'keys', 'keys rotate' or 'keys retire KID'", "keys", "spin");
	PARSE_BAD("unexpected argument 'now'", "keys", "rotate", "now");
	PARSE_BAD("keys retire: missing KID", "keys", "retire");
	PARSE_BAD("keys retire: KID: expected a whole number 0..255, got '256'", "keys", "retire",
	          "256");
	PARSE_BAD("got 'old'", "keys", "retire", "old");
	PARSE_BAD("unexpected argument '4'", "keys", "retire", "3", "4");
	PARSE_BAD("--force belongs to 'keys retire'", "keys", "rotate", "--force");

	PARSE_BAD("tier: missing TIER", "tier");
	PARSE_BAD("tier: give at least one", "tier", "gold");
	PARSE_BAD("--horizon: expected a whole number", "tier", "gold", "--horizon", "soon");
	PARSE_BAD("not a tier id", "tier", "Gold!", "--horizon", "60");
	PARSE_BAD("--protect belongs to 'tier'", "status", "--protect", "10");

	/* an option of another command is refused, not silently ignored */
	PARSE_BAD("--batch belongs to 'members import'", "status", "--batch", "10");
	PARSE_BAD("--share belongs to 'capacity'", "close", "coaster", "--share", "10");
	PARSE_BAD("--code belongs to 'ticket'", "member", "x", "--code", "y");
	PARSE_BAD("--skip-bad belongs to 'members import'", "stats", "--skip-bad");

	PARSE_BAD("--timeout", "--timeout", "soon", "status");
	PARSE_BAD("--timeout", "--timeout", "0", "status");
	PARSE_BAD("--timeout needs a value", "status", "--timeout");
}
END_TEST

START_TEST(test_parse_int)
{
	long long v = 7;
	ck_assert_int_eq(vqctl_parse_int("0", 0, 10, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(vqctl_parse_int("-3", -5, 10, &v), 0);
	ck_assert_int_eq(v, -3);
	ck_assert_int_eq(vqctl_parse_int("9007199254740991", 1, VQCTL_JSON_SAFE_ID_MAX, &v), 0);
	ck_assert_int_eq(vqctl_parse_int("9007199254740992", 1, VQCTL_JSON_SAFE_ID_MAX, &v), -1);
	const char *bad[] = {"", "-", "+1", " 1", "1 ", "0x10", "1e3", "1.0", "--1", NULL};
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(vqctl_parse_int(bad[i], -100, 100, &v) == -1, "'%s' accepted",
		              bad[i]);
}
END_TEST

START_TEST(test_rid)
{
	char rid[VQCTL_RID_MAX];
	size_t n = vqctl_rid(rid, "ops-1", 1798797600, 4242, 7);
	ck_assert_str_eq(rid, "ops-1-1798797600-4242-7");
	ck_assert_uint_eq(n, strlen(rid));

	/* a long account name is cut, never the counter that makes the rid unique */
	char user[100];
	memset(user, 'u', sizeof user - 1);
	user[sizeof user - 1] = '\0';
	n = vqctl_rid(rid, user, 1798797600, 4194304, 123456);
	ck_assert_uint_eq(n, 64);
	ck_assert_uint_eq(strlen(rid), 64);
	ck_assert_str_eq(rid + 64 - strlen("-1798797600-4194304-123456"),
	                 "-1798797600-4194304-123456");

	/* characters a rid may not carry */
	vqctl_rid(rid, "a b\"c", 1, 2, 3);
	ck_assert_str_eq(rid, "a_b_c-1-2-3");
}
END_TEST

START_TEST(test_requests)
{
	vqctl_args a;
	const char *suffix = NULL;
	cJSON *r;
	char *s;

	PARSE_OK(&a, "capacity", "coaster", "--share", "40");
	r = vqctl_request(&a, "ops-1-1-1-1", &suffix);
	s = cJSON_PrintUnformatted(r);
	ck_assert_str_eq(suffix, "svc/ops");
	ck_assert_str_eq(
	    s, "{\"v\":1,\"rid\":\"ops-1-1-1-1\",\"cmd\":\"capacity\",\"attraction\":\"coaster\","
	       "\"fast_share_pct\":40}");
	free(s);
	cJSON_Delete(r);

	static const struct {
		const char *words[8];
		const char *suffix, *json;
	} cases[] = {
	    {{"status"}, "svc/ops", "{\"v\":1,\"rid\":\"r\",\"cmd\":\"status\"}"},
	    {{"stats"}, "svc/ops", "{\"v\":1,\"rid\":\"r\",\"cmd\":\"stats\"}"},
	    {{"close", "flume"},
	     "svc/ops",
	     "{\"v\":1,\"rid\":\"r\",\"cmd\":\"close\",\"attraction\":\"flume\"}"},
	    {{"reopen", "flume"},
	     "svc/ops",
	     "{\"v\":1,\"rid\":\"r\",\"cmd\":\"reopen\",\"attraction\":\"flume\"}"},
	    {{"standby", "flume", "20"},
	     "svc/ops",
	     "{\"v\":1,\"rid\":\"r\",\"cmd\":\"standby\",\"attraction\":\"flume\",\"minutes\":20}"},
	    {{"capacity", "flume", "--throughput", "900", "--overbook", "5"},
	     "svc/ops",
	     "{\"v\":1,\"rid\":\"r\",\"cmd\":\"capacity\",\"attraction\":\"flume\","
	     "\"throughput_per_hour\":900,\"overbook_pct\":5}"},
	    {{"member", "4000"},
	     "svc/ops",
	     "{\"v\":1,\"rid\":\"r\",\"cmd\":\"member\",\"card\":\"4000\"}"},
	    {{"keys"}, "svc/ops", "{\"v\":1,\"rid\":\"r\",\"cmd\":\"keys\"}"},
	    {{"keys", "rotate"}, "svc/ops", "{\"v\":1,\"rid\":\"r\",\"cmd\":\"keys_rotate\"}"},
	    {{"keys", "retire", "3"},
	     "svc/ops",
	     "{\"v\":1,\"rid\":\"r\",\"cmd\":\"keys_retire\",\"kid\":3}"},
	    {{"keys", "retire", "3", "--force"},
	     "svc/ops",
	     "{\"v\":1,\"rid\":\"r\",\"cmd\":\"keys_retire\",\"kid\":3,\"force\":true}"},
	    {{"tiers"}, "svc/ops", "{\"v\":1,\"rid\":\"r\",\"cmd\":\"tiers\"}"},
	    {{"tier", "gold", "--late-grace", "12", "--release", "40"},
	     "svc/ops",
	     "{\"v\":1,\"rid\":\"r\",\"cmd\":\"tier\",\"tier\":\"gold\",\"release_min\":40,"
	     "\"late_grace_min\":12}"},
	    {{"ticket", "42"}, "svc/lookup", "{\"v\":1,\"rid\":\"r\",\"ticket\":42}"},
	    {{"passes"}, "svc/ops", "{\"v\":1,\"rid\":\"r\",\"cmd\":\"passes\"}"},
	    {{"passes", "flume"},
	     "svc/ops",
	     "{\"v\":1,\"rid\":\"r\",\"cmd\":\"passes\",\"attraction\":\"flume\"}"},
	    {{"ticket", "--code", "VQ1:AB"},
	     "svc/lookup",
	     "{\"v\":1,\"rid\":\"r\",\"code\":\"VQ1:AB\"}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[256];
		ck_assert_int_eq(parse(&a, err, sizeof err, cases[i].words), VQCTL_EXIT_OK);
		r = vqctl_request(&a, "r", &suffix);
		ck_assert_ptr_nonnull(r);
		s = cJSON_PrintUnformatted(r);
		ck_assert_str_eq(suffix, cases[i].suffix);
		ck_assert_str_eq(s, cases[i].json);
		free(s);
		cJSON_Delete(r);
	}
}
END_TEST

START_TEST(test_usage_text)
{
	capture c;
	cap_open(&c);
	vqctl_usage(c.f);
	char *t = cap_close(&c);
	const char *must[] = {"usage: vqctl", "members import", "--skip-bad",
	                      "--broker",     "--credentials",  "Exit status",
	                      "--json",       "--timeout",      NULL};
	for (int i = 0; must[i]; i++)
		ck_assert_msg(strstr(t, must[i]), "usage lacks '%s'", must[i]);
	free(t);
}
END_TEST

/* ---- members CSV ------------------------------------------------------------------- */

START_TEST(test_csv_basic)
{
	vqctl_members m = csv("4000123412341234,gold\n4000000000000001,standard\n");
	ck_assert_uint_eq(m.n, 2);
	ck_assert_uint_eq(m.nbad, 0);
	ck_assert(!m.header);
	ck_assert_str_eq(m.v[0].card, "4000123412341234");
	ck_assert_str_eq(m.v[0].tier, "gold");
	ck_assert_uint_eq(m.v[0].line, 1);
	ck_assert_str_eq(m.v[1].tier, "standard");
	ck_assert_uint_eq(m.v[1].line, 2);
	vqctl_members_free(&m);

	/* no newline at the end; blanks around fields; tier case */
	m = csv("  77 ,\tGold  ");
	ck_assert_uint_eq(m.n, 1);
	ck_assert_str_eq(m.v[0].card, "77");
	ck_assert_str_eq(m.v[0].tier, "gold");
	vqctl_members_free(&m);

	m = csv("");
	ck_assert_uint_eq(m.n, 0);
	ck_assert_uint_eq(m.nbad, 0);
	vqctl_members_free(&m);
	vqctl_members_free(&m); /* twice is fine */
}
END_TEST

START_TEST(test_csv_header_comments)
{
	vqctl_members m = csv("# members export 2027-01-01\n"
	                      "\n"
	                      "   \t\n"
	                      " Card , TIER \n"
	                      "  # an indented comment\n"
	                      "1,gold\n"
	                      "#2,silver\n"
	                      "3,silver # not a comment\n");
	ck_assert(m.header);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_str_eq(m.v[0].card, "1");
	ck_assert_uint_eq(m.v[0].line, 6);
	ck_assert_uint_eq(m.nbad, 1);
	BAD_LINE(m, 8, "not a tier id");
	vqctl_members_free(&m);

	/* only the first record can be a header */
	m = csv("1,gold\ncard,tier\n");
	ck_assert(!m.header);
	ck_assert_uint_eq(m.n, 2);
	const char *tiers[] = {"standard", "gold"};
	vqctl_members_check_tiers(&m, tiers, 2);
	ck_assert_uint_eq(m.n, 1);
	BAD_LINE(m, 2, "unknown tier 'tier' (this site has: standard, gold)");
	vqctl_members_free(&m);

	/* a header with a third column is a bad line, not silently a header */
	m = csv("card,tier,name\n1,gold\n");
	ck_assert(!m.header);
	BAD_LINE(m, 1, "expected 2 fields (card,tier), found 3");
	vqctl_members_free(&m);
}
END_TEST

START_TEST(test_csv_quotes)
{
	vqctl_members m = csv("\"4000,1\",gold\n"
	                      "\"40\"\"01\",\"silver\"\n"
	                      "  \"42\"  ,  \"gold\"  \n"
	                      "\"\",gold\n"
	                      "\" 5\",gold\n"
	                      "\"6,gold\n"
	                      "\"7\"x,gold\n"
	                      "8\"9,gold\n"
	                      "\"# not a comment\",gold\n");
	ck_assert_uint_eq(m.n, 4);
	ck_assert_str_eq(m.v[0].card, "4000,1");
	ck_assert_str_eq(m.v[1].card, "40\"01");
	ck_assert_str_eq(m.v[1].tier, "silver");
	ck_assert_str_eq(m.v[2].card, "42");
	ck_assert_str_eq(m.v[3].card, "# not a comment");
	ck_assert_uint_eq(m.v[3].line, 9);
	ck_assert_uint_eq(m.nbad, 5);
	BAD_LINE(m, 4, "empty card");
	BAD_LINE(m, 5, "starts or ends with a space");
	BAD_LINE(m, 6, "field 1: quote not closed");
	BAD_LINE(m, 7, "field 1: text after the closing quote");
	BAD_LINE(m, 8, "field 1: a quote inside an unquoted field");
	vqctl_members_free(&m);
}
END_TEST

START_TEST(test_csv_line_ends)
{
	/* CRLF, a BOM, and a bad line: its number must count the CRLF lines right */
	vqctl_members m = csv("\xEF\xBB\xBF"
	                      "card,tier\r\n"
	                      "1,gold\r\n"
	                      "\r\n"
	                      "2,silver\r\n"
	                      "3\r\n"
	                      "4,standard");
	ck_assert(m.header);
	ck_assert_uint_eq(m.n, 3);
	ck_assert_str_eq(m.v[0].tier, "gold");
	ck_assert_str_eq(m.v[1].tier, "silver");
	ck_assert_uint_eq(m.v[1].line, 4);
	ck_assert_str_eq(m.v[2].tier, "standard");
	ck_assert_uint_eq(m.v[2].line, 6);
	BAD_LINE(m, 5, "expected 2 fields (card,tier), found 1");
	ck_assert_uint_eq(m.nbad, 1);
	vqctl_members_free(&m);
}
END_TEST

START_TEST(test_csv_bad_lines)
{
	static const char text[] = "1,gold\n"
	                           "2\n"
	                           "3,gold,extra\n"
	                           ",gold\n"
	                           "5,\n"
	                           "012345678901234567890123456789012,gold\n"
	                           "01234567890123456789012345678901,gold\n"
	                           "caf\xc3\xa9,gold\n"
	                           "9,go ld\n"
	                           "10,gold-member-of-the-month-club-xx\n"
	                           "11,gold\n";
	vqctl_members m = csv(text);
	ck_assert_uint_eq(m.n, 3);
	ck_assert_str_eq(m.v[1].card, "01234567890123456789012345678901");
	ck_assert_uint_eq(m.nbad, 8);
	ck_assert_uint_eq(m.nbad_kept, 8);
	BAD_LINE(m, 2, "found 1");
	BAD_LINE(m, 3, "found 3");
	BAD_LINE(m, 4, "empty card");
	BAD_LINE(m, 5, "empty tier");
	BAD_LINE(m, 6, "card is 33 characters long (at most 32)");
	BAD_LINE(m, 8, "not printable ASCII");
	BAD_LINE(m, 9, "'go ld' is not a tier id");
	BAD_LINE(m, 10, "not a tier id");
	/* sorted by line */
	for (size_t i = 1; i < m.nbad_kept; i++)
		ck_assert_uint_lt(m.bad[i - 1].line, m.bad[i].line);
	vqctl_members_free(&m);

	/* a NUL byte: a binary file given by mistake */
	static const char bin[] = "1,gold\n2,go\0ld\n3,gold\n";
	ck_assert_int_eq(vqctl_csv_parse(bin, sizeof bin - 1, &m), VQ_OK);
	ck_assert_uint_eq(m.n, 2);
	BAD_LINE(m, 2, "NUL byte");
	vqctl_members_free(&m);
}
END_TEST

START_TEST(test_csv_duplicates)
{
	vqctl_members m = csv("1,gold\n"
	                      "2,silver\n"
	                      "1,GOLD\n"
	                      "3,gold\n"
	                      "2,standard\n"
	                      "1,gold\n");
	/* 1 three times with one tier: sent once; 2 with two tiers: both lines bad */
	ck_assert_uint_eq(m.n, 2);
	ck_assert_str_eq(m.v[0].card, "1");
	ck_assert_uint_eq(m.v[0].line, 1);
	ck_assert_str_eq(m.v[1].card, "3");
	ck_assert_uint_eq(m.duplicates, 2);
	ck_assert_uint_eq(m.nbad, 2);
	BAD_LINE(m, 2, "card '2' has tier 'silver' here, 'standard' on line 5");
	BAD_LINE(m, 5, "card '2' has tier 'standard' here, 'silver' on line 2");
	vqctl_members_free(&m);
}
END_TEST

START_TEST(test_csv_tiers_and_many)
{
	/* 3000 lines, every 7th with an unknown tier, every 11th malformed */
	size_t cap = 3000 * 40;
	char *text = malloc(cap);
	size_t len = 0, want_bad = 0, want_good = 0;
	for (unsigned i = 1; i <= 3000; i++) {
		if (i % 11 == 0) {
			len += (size_t)snprintf(text + len, cap - len, "card-%05u\n", i);
			want_bad++;
		} else if (i % 7 == 0) {
			len += (size_t)snprintf(text + len, cap - len, "card-%05u,platinum\n", i);
			want_bad++;
		} else {
			len += (size_t)snprintf(text + len, cap - len, "card-%05u,%s\n", i,
			                        i % 2 ? "gold" : "standard");
			want_good++;
		}
	}
	vqctl_members m;
	ck_assert_int_eq(vqctl_csv_parse(text, len, &m), VQ_OK);
	const char *tiers[] = {"standard", "gold"};
	vqctl_members_check_tiers(&m, tiers, 2);
	ck_assert_uint_eq(m.n, want_good);
	ck_assert_uint_eq(m.nbad, want_bad);
	for (size_t i = 0; i < m.nbad_kept; i++) {
		unsigned l = m.bad[i].line;
		ck_assert_msg(l % 11 == 0 || l % 7 == 0, "line %u reported bad", l);
		if (i)
			ck_assert_uint_lt(m.bad[i - 1].line, l);
	}
	BAD_LINE(m, 7, "unknown tier 'platinum'");
	BAD_LINE(m, 11, "found 1");
	for (size_t i = 0; i < m.n; i++)
		ck_assert(m.v[i].line % 7 && m.v[i].line % 11);
	vqctl_members_free(&m);
	free(text);

	/* past VQCTL_BAD_KEEP bad lines: all counted, the first ones kept */
	cap = 1500 * 8;
	text = malloc(cap);
	len = 0;
	for (unsigned i = 0; i < 1500; i++)
		len += (size_t)snprintf(text + len, cap - len, "x\n");
	ck_assert_int_eq(vqctl_csv_parse(text, len, &m), VQ_OK);
	ck_assert_uint_eq(m.nbad, 1500);
	ck_assert_uint_eq(m.nbad_kept, VQCTL_BAD_KEEP);
	ck_assert_uint_eq(m.bad[0].line, 1);
	vqctl_members_free(&m);
	free(text);
}
END_TEST

START_TEST(test_import_request)
{
	vqctl_members m = csv("a,gold\n\"b\"\"\",standard\n");
	cJSON *r = vqctl_import_request(m.v, m.n, "ops-1-5-6-7");
	char *s = cJSON_PrintUnformatted(r);
	ck_assert_str_eq(s, "{\"v\":1,\"rid\":\"ops-1-5-6-7\",\"cmd\":\"members_import\","
	                    "\"members\":[{\"card\":\"a\",\"tier\":\"gold\"},"
	                    "{\"card\":\"b\\\"\",\"tier\":\"standard\"}]}");
	free(s);
	cJSON_Delete(r);
	vqctl_members_free(&m);
}
END_TEST

/* ---- tables and printers ----------------------------------------------------------- */

START_TEST(test_table_layout)
{
	vqctl_table *t = vqctl_table_new(3);
	ck_assert_ptr_nonnull(t);
	vqctl_table_align_right(t, 1);
	ck_assert_int_eq(vqctl_table_add(t, (const char *const[]){"NAME", "N", "NOTE"}), VQ_OK);
	ck_assert_int_eq(vqctl_table_add(t, (const char *const[]){"a", "1234", "x"}), VQ_OK);
	/* UTF-8: "Montaña" is 7 characters, 8 bytes */
	ck_assert_int_eq(vqctl_table_add(t, (const char *const[]){"Monta\xc3\xb1"
	                                                          "a",
	                                                          "5", NULL}),
	                 VQ_OK);
	capture c;
	cap_open(&c);
	vqctl_table_print(t, c.f);
	char *s = cap_close(&c);
	ck_assert_str_eq(s, "NAME        N  NOTE\n"
	                    "a        1234  x\n"
	                    "Monta\xc3\xb1"
	                    "a     5  \n");
	free(s);
	vqctl_table_free(t);
	vqctl_table_free(NULL);
}
END_TEST

START_TEST(test_hhmm_progress)
{
	char hm[VQ_TIME_HHMM_MAX];
	vqctl_hhmm("UTC", 1798797600, hm); /* 2027-01-01 10:00 UTC */
	ck_assert_str_eq(hm, "10:00");
	vqctl_hhmm("UTC", 1798797600 + 5 * 3600 + 7 * 60 + 59, hm);
	ck_assert_str_eq(hm, "15:07");
	vqctl_hhmm("UTC", 0, hm);
	ck_assert_str_eq(hm, "-");
	/* the site's zone, whatever this machine's; a time shown twice says its offset */
	vqctl_hhmm("Europe/Bucharest", 1798797600, hm);
	ck_assert_str_eq(hm, "12:00");
	vqctl_hhmm("America/New_York", 1825565400, hm); /* 2027-11-07 05:30 UTC */
	ck_assert_str_eq(hm, "01:30 UTC-4");
	vqctl_hhmm(NULL, 1798797600, hm);
	ck_assert_str_eq(hm, "10:00 UTC");

	char p[128];
	vqctl_progress(p, sizeof p, 500, 2000, 20);
	ck_assert_str_eq(p, "[#####...............]  500/2000  25%");
	vqctl_progress(p, sizeof p, 2000, 2000, 10);
	ck_assert_str_eq(p, "[##########]  2000/2000  100%");
	vqctl_progress(p, sizeof p, 0, 3, 4);
	ck_assert_str_eq(p, "[....]  0/3  0%");
}
END_TEST

#define T0 "1798797600" /* 10:00 UTC */

START_TEST(test_print_status)
{
	static const char reply[] =
	    "{\"v\":1,\"rid\":\"r\",\"ok\":true,\"attractions\":["
	    "{\"attraction\":\"coaster\",\"status\":\"open\",\"closed_at\":0,"
	    " \"next\":{\"standard\":{\"start\":1798798500,\"end\":1798802100},"
	    "          \"gold\":{\"start\":" T0 ",\"end\":1798801200}},"
	    " \"capacity\":{\"today\":36000,\"taken\":412},\"standby_min\":35},"
	    "{\"attraction\":\"flume\",\"status\":\"closed\",\"closed_at\":1798799400,"
	    " \"next\":{\"standard\":null,\"gold\":null},"
	    " \"capacity\":{\"today\":2430,\"taken\":0},\"standby_min\":0}]}";
	int rc;
	char *s = printed(VQCTL_STATUS, reply, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_str_eq(s, "ATTRACTION  STATUS        STANDARD  GOLD   TAKEN/TODAY  STANDBY\n"
	                    "coaster     open          10:15     10:00    412/36000   35 min\n"
	                    "flume       closed 10:30  -         -           0/2430    0 min\n");
	free(s);

	s = printed(VQCTL_STATUS, "{\"ok\":true}", &rc);
	ck_assert_int_eq(rc, VQ_EBADREQ);
	free(s);

	/* fields left out print as "?" or "-", they do not fail */
	s = printed(VQCTL_STATUS, "{\"ok\":true,\"attractions\":[{\"attraction\":\"x\"}]}", &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_str_eq(s, "ATTRACTION  STATUS  TAKEN/TODAY  STANDBY\n"
	                    "x           ?                 ?        -\n");
	free(s);
}
END_TEST

START_TEST(test_print_state_replies)
{
	static const char state[] =
	    "\"state\":{\"attraction\":\"coaster\",\"status\":\"open\",\"closed_at\":0,"
	    "\"next\":{\"standard\":{\"start\":" T0 ",\"end\":1798801200}},"
	    "\"capacity\":{\"today\":100,\"taken\":7},\"throughput_per_hour\":1200,"
	    "\"fast_share_pct\":40,\"overbook_pct\":5,\"standby_min\":20}";
	char buf[1024];
	int rc;

	snprintf(buf, sizeof buf, "{\"ok\":true,%s,\"converted\":3}", state);
	char *s = printed(VQCTL_REOPEN, buf, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_str_eq(s, "ATTRACTION  STATUS  STANDARD  TAKEN/TODAY  STANDBY\n"
	                    "coaster     open    10:00           7/100   20 min\n"
	                    "3 tickets caught by the closure became 'any time today'\n");
	free(s);

	snprintf(buf, sizeof buf, "{\"ok\":true,%s}", state);
	s = printed(VQCTL_CAPACITY, buf, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_msg(strstr(s, "throughput 1200/h, fast share 40%, overbooking 5%"), "%s", s);
	free(s);

	s = printed(VQCTL_CLOSE, "{\"ok\":true}", &rc);
	ck_assert_int_eq(rc, VQ_EBADREQ);
	free(s);
}
END_TEST

START_TEST(test_print_other_replies)
{
	int rc;
	char *s = printed(VQCTL_STATS,
	                  "{\"v\":1,\"rid\":\"r\",\"ok\":true,\"tickets_today\":{\"issued\":12,"
	                  "\"redeemed\":3},\"members\":2000,\"uptime_s\":7320}",
	                  &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_str_eq(s, "tickets_today.issued    12\n"
	                    "tickets_today.redeemed  3\n"
	                    "members                 2000\n"
	                    "uptime_s                7320 (2h 02m)\n");
	free(s);

	s = printed(VQCTL_PASSES,
	            "{\"ok\":true,\"passes\":[{\"id\":5,\"number\":\"C-005\",\"attraction\":"
	            "\"coaster\",\"party\":3,\"start\":" T0 ",\"end\":1798833600,\"state\":"
	            "\"issued\",\"kind\":\"access\",\"issued_by\":\"gate-1\",\"issued_at\":"
	            "1798797000}]}",
	            &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_str_eq(s, "NUMBER  ATTRACTION  PARTY  RETURN  UNTIL  STATE   ISSUED BY  AT\n"
	                    "C-005   coaster         3  10:00   20:00  issued  gate-1     09:50\n"
	                    "1 pass\n");
	free(s);

	s = printed(VQCTL_MEMBER,
	            "{\"v\":1,\"rid\":\"r\",\"ok\":true,\"card\":\"4000\",\"tier\":\"gold\"}", &rc);
	ck_assert_str_eq(s, "card  4000\ntier  gold\n");
	free(s);

	s = printed(VQCTL_TICKET,
	            "{\"ok\":true,\"ticket\":{\"id\":42,\"number\":\"C-042\",\"attraction\":"
	            "\"coaster\",\"tier\":\"gold\",\"party\":2,\"start\":" T0 ",\"end\":1798801200,"
	            "\"state\":\"redeemed\",\"used_at\":1798798200,\"used_gate\":\"gate-1\","
	            "\"used_offline\":true,\"code\":\"VQ1:ABC\",\"lane\":\"b\"}}",
	            &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_str_eq(s, "ticket      42  C-042\n"
	                    "attraction  coaster\n"
	                    "tier        gold\n"
	                    "party       2\n"
	                    "window      10:00-11:00\n"
	                    "state       redeemed\n"
	                    "used        10:10 at gate-1 (offline)\n"
	                    "lane        b\n"
	                    "code        VQ1:ABC\n");
	free(s);

	s = printed(VQCTL_TICKET,
	            "{\"ok\":true,\"ticket\":{\"id\":7,\"state\":\"anytime\",\"valid_from\":" T0
	            ",\"valid_until\":1798833600}}",
	            &rc);
	ck_assert_msg(strstr(s, "valid       10:00-20:00\n"), "%s", s);
	ck_assert_msg(!strstr(s, "code"), "%s", s);
	free(s);

	s = printed(VQCTL_KEYS,
	            "{\"ok\":true,\"keys\":[{\"kid\":1,\"public_key\":\"aa\",\"active\":false},"
	            "{\"kid\":2,\"public_key\":\"bb\",\"active\":true}]}",
	            &rc);
	ck_assert_str_eq(s, "KID  ACTIVE  PUBLIC KEY\n"
	                    "  1          aa\n"
	                    "  2  yes     bb\n");
	free(s);

	s = printed(VQCTL_KEYS_ROTATE, "{\"ok\":true,\"kid\":3,\"public_key\":\"cc\"}", &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_msg(strstr(s, "new signing key 3") && strstr(s, "cc"), "%s", s);
	free(s);
	s = printed(VQCTL_KEYS_RETIRE, "{\"ok\":true,\"kid\":2,\"tickets\":0}", &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_str_eq(s, "key 2 retired: gates no longer accept codes signed with it\n");
	free(s);
	s = printed(VQCTL_KEYS_RETIRE, "{\"ok\":true,\"kid\":2,\"tickets\":5}", &rc);
	ck_assert_msg(strstr(s, "(5 unexpired tickets among them)"), "%s", s);
	free(s);
	s = printed(VQCTL_KEYS_RETIRE, "{\"ok\":true}", &rc);
	ck_assert_int_eq(rc, VQ_EBADREQ);
	free(s);

	s = printed(VQCTL_TICKET, "{\"ok\":true}", &rc);
	ck_assert_int_eq(rc, VQ_EBADREQ);
	free(s);
}
END_TEST

/* ---- end to end: the vqctl binary against a real site ------------------------------ */

static vqs_site *site;
static char *root;    /* made by the runner; holds every folder the tests make */
static char *scratch; /* per test: vqctl's captured output, CSV files */

static void e2e_setup(void)
{
	scratch = tu_tempdir("vqctl");
	ck_assert_ptr_nonnull(scratch);
	ck_assert_int_eq(vqs_start(NULL, &site), VQ_OK);
}

static void e2e_teardown(void)
{
	vqs_free(site);
	site = NULL;
	if (scratch)
		tu_rmtree(scratch);
	free(scratch);
	scratch = NULL;
}

static void noop_setup(void)
{
	scratch = tu_tempdir("vqctl");
	ck_assert_ptr_nonnull(scratch);
}

typedef struct run {
	int status; /* exit code, or 128 + signal */
	char *out, *err;
} run;

static void run_free(run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof *r);
}

/* Starts vqctl with args (NULL-terminated) after the connection options for `user`
 * (NULL: no connection options at all); its stdout and stderr go to files. */
static pid_t spawn(const char *user, const char *const *args)
{
	static char exe[1024], port[64], out[1024], err[1024];
	const char *bin = getenv("VQ_BINARY_DIR");
	snprintf(exe, sizeof exe, "%s/tools/vqctl", bin && *bin ? bin : ".");
	snprintf(out, sizeof out, "%s/out", scratch);
	snprintf(err, sizeof err, "%s/err", scratch);
	const char *argv[48];
	int n = 0;
	argv[n++] = "vqctl";
	if (user) {
		snprintf(port, sizeof port, "127.0.0.1:%d", site ? vqs_port(site) : 1);
		argv[n++] = "--broker";
		argv[n++] = port;
		argv[n++] = "--site";
		argv[n++] = VQS_SITE;
		argv[n++] = "--user";
		argv[n++] = user;
		if (site) {
			argv[n++] = "--credentials";
			argv[n++] = vqs_credentials(site);
		}
	}
	for (; *args && n < 47; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(fo >= 0 && fe >= 0);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(fo);
	close(fe);
	return pid;
}

static run finish(pid_t pid)
{
	run r = {0};
	int st;
	char path[1024];
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	snprintf(path, sizeof path, "%s/out", scratch);
	r.out = tu_read_file(path, NULL);
	snprintf(path, sizeof path, "%s/err", scratch);
	r.err = tu_read_file(path, NULL);
	ck_assert(r.out && r.err);
	return r;
}

static run vqctl_as(const char *user, const char *const *args)
{
	return finish(spawn(user, args));
}

#define VQCTL(...) vqctl_as("ops-1", (const char *const[]){__VA_ARGS__, NULL})

/* Asserts the exit code, printing vqctl's output when it is not the expected one. */
#define EXPECT_EXIT(r, code)                                                                       \
	ck_assert_msg((r).status == (code), "exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s",        \
	              (r).status, (code), (r).out, (r).err)
#define EXPECT_IN(text, want) ck_assert_msg(strstr(text, want), "'%s' not in:\n%s", want, text)

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s/%s", scratch, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static int64_t db_int(const char *sql)
{
	int64_t v = -1;
	ck_assert_int_eq(vqs_db_int(site, sql, &v), VQ_OK);
	return v;
}

START_TEST(test_e2e_usage_exit_codes)
{
	/* no broker is needed to refuse a bad command line */
	run r = vqctl_as(NULL, (const char *const[]){NULL});
	EXPECT_EXIT(r, VQCTL_EXIT_USAGE);
	EXPECT_IN(r.err, "vqctl: no command given");
	EXPECT_IN(r.err, "--help");
	run_free(&r);

	r = vqctl_as(NULL, (const char *const[]){"frobnicate", NULL});
	EXPECT_EXIT(r, VQCTL_EXIT_USAGE);
	EXPECT_IN(r.err, "unknown command 'frobnicate'");
	run_free(&r);

	r = vqctl_as(NULL, (const char *const[]){"--help", NULL});
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "usage: vqctl");
	run_free(&r);

	r = vqctl_as("ops-1", (const char *const[]){"standby", "coaster", "abc", NULL});
	EXPECT_EXIT(r, VQCTL_EXIT_USAGE);
	EXPECT_IN(r.err, "whole number");
	run_free(&r);

	/* no site given anywhere */
	unsetenv("VQ_SITE");
	r = vqctl_as(NULL, (const char *const[]){"--user", "ops-1", "status", NULL});
	EXPECT_EXIT(r, VQCTL_EXIT_USAGE);
	EXPECT_IN(r.err, "no site");
	run_free(&r);

	r = vqctl_as("ops-1", (const char *const[]){"--password", "x", "members", "import",
	                                            "/nonexistent/m.csv", NULL});
	EXPECT_EXIT(r, VQCTL_EXIT_USAGE);
	EXPECT_IN(r.err, "cannot read /nonexistent/m.csv");
	run_free(&r);

	/* nothing listens on port 1 */
	r = vqctl_as("ops-1",
	             (const char *const[]){"--password", "x", "--timeout", "700", "status", NULL});
	EXPECT_EXIT(r, VQCTL_EXIT_UNREACHABLE);
	EXPECT_IN(r.err, "cannot reach the broker at 127.0.0.1:1");
	run_free(&r);
}
END_TEST

START_TEST(test_e2e_operations)
{
	run r = VQCTL("status");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "ATTRACTION");
	EXPECT_IN(r.out, "STANDARD");
	EXPECT_IN(r.out, "coaster");
	EXPECT_IN(r.out, "flume");
	ck_assert_str_eq(r.err, "");
	run_free(&r);

	r = VQCTL("--json", "status");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	cJSON *j = json(r.out);
	ck_assert(vqs_ok(j));
	ck_assert_str_eq(vqs_str(j, "attractions.0.status"), "open");
	cJSON_Delete(j);
	run_free(&r);

	r = VQCTL("close", "coaster");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "coaster     closed 10:");
	run_free(&r);

	/* closing twice is refused by vqd: exit 1 and "vqctl: <code>: <message>" */
	r = VQCTL("close", "coaster");
	EXPECT_EXIT(r, VQCTL_EXIT_REFUSED);
	ck_assert_msg(!strncmp(r.err, "vqctl: ", 7) && strstr(r.err, ": ") != NULL, "%s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);

	r = VQCTL("--json", "close", "coaster");
	EXPECT_EXIT(r, VQCTL_EXIT_REFUSED);
	j = json(r.out);
	ck_assert(!vqs_ok(j));
	ck_assert_str_ne(vqs_errcode(j), "");
	cJSON_Delete(j);
	run_free(&r);

	r = VQCTL("reopen", "coaster");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "coaster     open");
	EXPECT_IN(r.out, "became 'any time today'");
	run_free(&r);

	r = VQCTL("close", "nowhere");
	EXPECT_EXIT(r, VQCTL_EXIT_REFUSED);
	EXPECT_IN(r.err, "vqctl: unknown_attraction: ");
	run_free(&r);

	r = VQCTL("capacity", "flume", "--share", "50", "--overbook", "10");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "fast share 50%, overbooking 10%");
	run_free(&r);

	r = VQCTL("standby", "flume", "25");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "25 min");
	run_free(&r);

	/* the day's accessibility passes: none, then the one a gate gave */
	r = VQCTL("passes");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "0 passes");
	run_free(&r);
	vq_bus *gate = vqs_bus(site, "gate-1", NULL);
	ck_assert_ptr_nonnull(gate);
	cJSON *pass = vqs_callf(gate, "svc/access",
	                        "{\"v\":1,\"rid\":\"g1-1\",\"card\":\"walk-in-9\","
	                        "\"attraction\":\"coaster\",\"party\":3}");
	vq_bus_free(gate);
	ck_assert_msg(pass && vqs_ok(pass), "access refused: %s", pass ? vqs_errcode(pass) : "");
	r = VQCTL("passes", "coaster");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, vqs_str(pass, "ticket.number"));
	EXPECT_IN(r.out, "gate-1");
	EXPECT_IN(r.out, "issued");
	EXPECT_IN(r.out, "1 pass\n");
	run_free(&r);
	r = VQCTL("passes", "flume");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "0 passes");
	run_free(&r);
	cJSON_Delete(pass);

	/* a ticket, looked up by id and by code */
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	ck_assert_ptr_nonnull(kiosk);
	cJSON *issued = vqs_callf(kiosk, "svc/issue",
	                          "{\"v\":1,\"rid\":\"k1-1\",\"card\":\"walk-in-1\","
	                          "\"attraction\":\"coaster\",\"party\":2}");
	vq_bus_free(kiosk);
	ck_assert_ptr_nonnull(issued);
	ck_assert_msg(vqs_ok(issued), "issue refused: %s", vqs_errcode(issued));
	int64_t id;
	ck_assert(vqs_int(issued, "ticket.id", &id));
	char ids[32], code[VQCTL_CODE_MAX];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	snprintf(code, sizeof code, "%s", vqs_str(issued, "ticket.code"));
	const char *number = vqs_str(issued, "ticket.number");
	r = VQCTL("ticket", ids);
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, number);
	EXPECT_IN(r.out, "state       issued");
	EXPECT_IN(r.out, "party       2");
	run_free(&r);
	r = VQCTL("ticket", "--code", code, "--json");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	j = json(r.out);
	int64_t got;
	ck_assert(vqs_int(j, "ticket.id", &got));
	ck_assert_int_eq(got, id);
	cJSON_Delete(j);
	run_free(&r);
	cJSON_Delete(issued);

	r = VQCTL("ticket", "999999");
	EXPECT_EXIT(r, VQCTL_EXIT_REFUSED);
	EXPECT_IN(r.err, "vqctl: unknown_ticket: ");
	run_free(&r);

	r = VQCTL("stats");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "members");
	run_free(&r);

	r = VQCTL("keys");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "PUBLIC KEY");
	EXPECT_IN(r.out, "yes");
	run_free(&r);
	r = VQCTL("keys", "rotate");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "new signing key 2");
	run_free(&r);
	r = VQCTL("--json", "keys");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	j = json(r.out);
	ck_assert_int_eq(cJSON_GetArraySize(vqs_get(j, "keys")), 2);
	cJSON_Delete(j);
	run_free(&r);

	r = VQCTL("tier", "gold", "--max-passes", "6");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "MAX PASSES");
	run_free(&r);
	r = VQCTL("--json", "tiers");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	j = json(r.out);
	int64_t passes = 0;
	ck_assert(vqs_int(j, "tiers.1.max_passes", &passes));
	ck_assert_int_eq(passes, 6);
	cJSON_Delete(j);
	run_free(&r);
	/* a rule a config could not have is refused by vqd, naming it */
	r = VQCTL("tier", "gold", "--protect", "101");
	EXPECT_EXIT(r, VQCTL_EXIT_REFUSED);
	EXPECT_IN(r.err, "vqctl: invalid: ");
	EXPECT_IN(r.err, "protect_pct");
	run_free(&r);

	r = VQCTL("member", "nobody-here");
	EXPECT_EXIT(r, VQCTL_EXIT_REFUSED);
	EXPECT_IN(r.err, "vqctl: ");
	run_free(&r);
}
END_TEST

START_TEST(test_e2e_members_import)
{
	/* 2,000 members with a header, a comment and CRLF line ends, in batches of 300 */
	size_t cap = 2100 * 40, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len, "# loyalty export\r\ncard,tier\r\n");
	for (unsigned i = 0; i < 2000; i++)
		len += (size_t)snprintf(text + len, cap - len, "\"m-%05u\",%s\r\n", i,
		                        i % 3 ? "standard" : "gold");
	const char *path = write_file("members.csv", text, len);
	free(text);
	run r = VQCTL("members", "import", path, "--batch", "300");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "imported 2000 members from");
	/* stderr is a file here, not a terminal: plain progress lines */
	EXPECT_IN(r.err, "imported 300/2000\n");
	EXPECT_IN(r.err, "imported 2000/2000\n");
	ck_assert_msg(!strchr(r.err, '\r'), "a progress bar on a non-terminal: %s", r.err);
	run_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM members"), 2000);

	r = VQCTL("member", "m-01997");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	ck_assert_str_eq(r.out, "card  m-01997\ntier  standard\n");
	run_free(&r);
	r = VQCTL("--json", "member", "m-01997");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	cJSON *j = json(r.out);
	ck_assert_str_eq(vqs_str(j, "tier"), "standard");
	cJSON_Delete(j);
	run_free(&r);

	r = VQCTL("--json", "stats");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	j = json(r.out);
	int64_t members;
	ck_assert(vqs_int(j, "members", &members));
	ck_assert_int_eq(members, 2000);
	cJSON_Delete(j);
	run_free(&r);

	/* bad lines, one only vqd's tier list can catch: nothing imported, exit 1 */
	static const char bad[] = "card,tier\n"
	                          "n-1,gold\n"
	                          "n-2\n"
	                          "n-3,platinum\n"
	                          "n-4,standard\n";
	path = write_file("bad.csv", bad, sizeof bad - 1);
	r = VQCTL("members", "import", path);
	EXPECT_EXIT(r, VQCTL_EXIT_REFUSED);
	char want[1200];
	snprintf(want, sizeof want, "vqctl: %s:3: expected 2 fields", path);
	EXPECT_IN(r.err, want);
	snprintf(want, sizeof want, "vqctl: %s:4: unknown tier 'platinum'", path);
	EXPECT_IN(r.err, want);
	EXPECT_IN(r.err, "nothing imported");
	run_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM members"), 2000);

	/* --skip-bad: the good ones go in, and the exit code still says some were bad */
	r = VQCTL("members", "import", path, "--skip-bad", "--json");
	EXPECT_EXIT(r, VQCTL_EXIT_REFUSED);
	j = json(r.out);
	int64_t n;
	ck_assert(vqs_int(j, "imported", &n));
	ck_assert_int_eq(n, 2);
	ck_assert(vqs_int(j, "bad", &n));
	ck_assert_int_eq(n, 2);
	ck_assert(vqs_int(j, "bad_lines.0.line", &n));
	ck_assert_int_eq(n, 3);
	cJSON_Delete(j);
	run_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM members"), 2002);

	/* a file with nothing to import */
	path = write_file("empty.csv", "card,tier\n# none yet\n", 21);
	r = VQCTL("members", "import", path);
	EXPECT_EXIT(r, VQCTL_EXIT_REFUSED);
	EXPECT_IN(r.err, "no members to import");
	run_free(&r);
}
END_TEST

START_TEST(test_e2e_unreachable)
{
	/* a wrong password: the broker refuses the account */
	run r = VQCTL("--password", "wrong", "status");
	EXPECT_EXIT(r, VQCTL_EXIT_UNREACHABLE);
	EXPECT_IN(r.err, "refused account 'ops-1'");
	run_free(&r);

	/* a kiosk account may not publish svc/ops: the broker's PUBACK says so */
	r = vqctl_as("kiosk-2", (const char *const[]){"status", NULL});
	EXPECT_EXIT(r, VQCTL_EXIT_UNREACHABLE);
	EXPECT_IN(r.err, "does not let account 'kiosk-2' publish svc/ops");
	run_free(&r);

	/* vqd stopped: nobody serves svc/ops */
	ck_assert_int_eq(vqs_vqd_stop(site, NULL), VQ_OK);
	r = VQCTL("--timeout", "1000", "status");
	EXPECT_EXIT(r, VQCTL_EXIT_UNREACHABLE);
	EXPECT_IN(r.err, "vqd is not running");
	run_free(&r);
}
END_TEST

/* After a timeout vqctl asks again with the same rid: vqd, frozen through the first
 * attempt and thawed during the second, answers both with its first answer, so a
 * close that would be refused the second time is applied once and reported done. */
START_TEST(test_e2e_retry_same_rid)
{
	pid_t vqd = vqs_vqd_pid(site);
	ck_assert_int_gt(vqd, 0);
	ck_assert_int_eq(kill(vqd, SIGSTOP), 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t p =
	    spawn("ops-1", (const char *const[]){"--timeout", "3000", "close", "flume", NULL});
	/* past the first 3 s timeout, well inside the second */
	struct timespec nap = {4, 500000000};
	nanosleep(&nap, NULL);
	ck_assert_int_eq(kill(vqd, SIGCONT), 0);
	run r = finish(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	EXPECT_IN(r.out, "flume       closed");
	ck_assert_msg(t1.tv_sec - t0.tv_sec >= 4, "answered before vqd was thawed");
	run_free(&r);

	r = VQCTL("--json", "status");
	EXPECT_EXIT(r, VQCTL_EXIT_OK);
	cJSON *j = json(r.out);
	const cJSON *a;
	int closed = 0;
	cJSON_ArrayForEach(a, vqs_get(j, "attractions"))
	{
		if (!strcmp(vqs_str(a, "attraction"), "flume"))
			closed = !strcmp(vqs_str(a, "status"), "closed");
	}
	ck_assert(closed);
	cJSON_Delete(j);
	run_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vqctl");
	TCase *tc = tcase_create("pure");
	tcase_add_test(tc, test_args_commands);
	tcase_add_test(tc, test_args_broker_options);
	tcase_add_test(tc, test_args_errors);
	tcase_add_test(tc, test_parse_int);
	tcase_add_test(tc, test_rid);
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_usage_text);
	tcase_add_test(tc, test_csv_basic);
	tcase_add_test(tc, test_csv_header_comments);
	tcase_add_test(tc, test_csv_quotes);
	tcase_add_test(tc, test_csv_line_ends);
	tcase_add_test(tc, test_csv_bad_lines);
	tcase_add_test(tc, test_csv_duplicates);
	tcase_add_test(tc, test_csv_tiers_and_many);
	tcase_add_test(tc, test_import_request);
	tcase_add_test(tc, test_table_layout);
	tcase_add_test(tc, test_hhmm_progress);
	tcase_add_test(tc, test_print_status);
	tcase_add_test(tc, test_print_state_replies);
	tcase_add_test(tc, test_print_other_replies);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, noop_setup, e2e_teardown);
	tcase_add_test(tc, test_e2e_usage_exit_codes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("e2e");
	tcase_add_checked_fixture(tc, e2e_setup, e2e_teardown);
	tcase_add_test(tc, test_e2e_operations);
	tcase_add_test(tc, test_e2e_members_import);
	tcase_add_test(tc, test_e2e_unreachable);
	tcase_add_test(tc, test_e2e_retry_same_rid);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* every folder of every test goes under one the runner removes, whatever happens
	 * to a test (a failed assertion skips its teardown) */
	const char *t = getenv("TMPDIR");
	char *saved = t ? strdup(t) : NULL;
	root = tu_tempdir("vqctl-tests");
	if (!root)
		return 1;
	setenv("TMPDIR", root, 1);
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	if (!getenv("VQ_KEEP_BROKER_DIR"))
		tu_rmtree(root);
	free(root);
	return failed ? 1 : 0;
}
