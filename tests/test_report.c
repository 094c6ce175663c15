/* tests/test_report.c — `vqctl report` on a simulated day: its figures against SQL.
 *
 * A real site (broker, vqd) lives through a morning: kiosks issue at three attractions
 * (one sells out), gates admit online and offline (one ticket twice: a conflict), staff
 * override with a reason, a guest cancels, an operator cuts capacity and closes and
 * reopens a ride. Then vqctl writes the day's report from the database, and every figure
 * in the page's embedded data is compared with a query of its own over the same
 * database: per attraction, per slot and tier, sell-outs, closures and conversions,
 * offline admissions per gate, conflicts, overrides; the CSV files' rows likewise. The
 * page is opened in Debian's headless chromium with the network off, to show it draws
 * its charts from what it carries. Bad command lines and databases are refused clearly.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/tutil.h"
#include "support/vqsite.h"

#define DAY_END (VQS_TEN_AM + 14 * 3600) /* 2027-01-02 00:00 UTC */

static vqs_site *site;
static char scratch[1024];

/* --- running programs ------------------------------------------------------------------ */

typedef struct run {
	int status;
	char *out;
} run;

/* Runs argv (argv[0] a path) to its end with stdout and stderr into one file. */
static run run_prog(char *const *argv)
{
	char log[1200];
	snprintf(log, sizeof log, "%s/prog.log", scratch);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(fd >= 0);
	int parent = getpid();
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0)
		tu_exec_child(argv, parent, fd, SIGKILL);
	close(fd);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	run r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), tu_read_file(log, NULL)};
	ck_assert_ptr_nonnull(r.out);
	return r;
}

static const char *vqctl_path(void)
{
	static char p[1024];
	const char *bin = getenv("VQ_BINARY_DIR");
	snprintf(p, sizeof p, "%s/tools/vqctl", bin && *bin ? bin : ".");
	return p;
}

/* --- SQL over the same database -------------------------------------------------------- */

static sqlite3 *db;

static int64_t q1(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t q1(const char *fmt, ...)
{
	char sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	sqlite3_stmt *s = NULL;
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
	              sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The day's tickets of attr: slot_start in [10:00 - 10 h, next midnight). */
#define DAY_WHERE "slot_start >= 1798761600 AND slot_start < 1798848000"

static void expect_pair(const cJSON *pair, int64_t tickets, int64_t guests, const char *what)
{
	ck_assert_msg(cJSON_IsArray(pair) && cJSON_GetArraySize(pair) == 2, "%s: not a pair", what);
	int64_t t = (int64_t)cJSON_GetArrayItem(pair, 0)->valuedouble;
	int64_t g = (int64_t)cJSON_GetArrayItem(pair, 1)->valuedouble;
	ck_assert_msg(t == tickets && g == guests, "%s: report %lld/%lld, SQL %lld/%lld", what,
	              (long long)t, (long long)g, (long long)tickets, (long long)guests);
}

/* state condition for each of the report's categories, once the day is over */
static const struct {
	const char *name, *where;
} cats[] = {
    {"issued", "1"},
    {"redeemed", "state = 1"},
    {"cancelled", "state = 2"},
    {"no_show", "state IN (0, 3)"},
    {"pending", "0"},
};

/* --- the day ----------------------------------------------------------------------------- */

static void live_a_morning(void)
{
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	vq_bus *gate1 = vqs_bus(site, "gate-1", NULL);
	vq_bus *gate2 = vqs_bus(site, "gate-2", NULL);
	vq_bus *ops = vqs_bus(site, "ops-1", NULL);
	ck_assert(kiosk && gate1 && gate2 && ops);
	char codes[40][600];
	int ncodes = 0;
	int64_t cancel_id = 0;
	/* coaster and flume: 30 parties each; tiny (4 seats an hour, three hours) sells out */
	static const char *const attrs[] = {"coaster", "flume", "tiny"};
	for (int a = 0; a < 3; a++) {
		for (int i = 0; i < 30; i++) {
			char card[64], body[512];
			snprintf(card, sizeof card, "walk-%s-%d", attrs[a], i);
			snprintf(
			    body, sizeof body,
			    "{\"v\":1,\"rid\":\"i-%s-%d\",\"card\":\"%s\",\"attraction\":\"%s\","
			    "\"party\":%d}",
			    attrs[a], i, card, attrs[a], 1 + i % 4);
			cJSON *r = vqs_callf(kiosk, "svc/issue", "%s", body);
			ck_assert_ptr_nonnull(r);
			const char *code = vqs_str(r, "ticket.code");
			if (code && a == 0 && i == 11)
				ck_assert(vqs_int(r, "ticket.id", &cancel_id));
			else if (code && a == 0 && ncodes < 40)
				snprintf(codes[ncodes++], sizeof codes[0], "%s", code);
			cJSON_Delete(r);
		}
	}
	ck_assert_int_ge(ncodes, 12);
	/* gate-1 admits eight coaster tickets online; one guest gives a ticket back */
	for (int i = 0; i < 8; i++) {
		char body[900];
		snprintf(body, sizeof body,
		         "{\"v\":1,\"rid\":\"g1-%d\",\"code\":\"%s\",\"attraction\":\"coaster\"}",
		         i, codes[i]);
		cJSON *r = vqs_callf(gate1, "svc/redeem", "%s", body);
		ck_assert(r && vqs_ok(r));
		cJSON_Delete(r);
	}
	cJSON *r =
	    vqs_callf(kiosk, "svc/cancel",
	              "{\"v\":1,\"rid\":\"c-1\",\"card\":\"walk-coaster-11\",\"ticket\":%lld}",
	              (long long)cancel_id);
	ck_assert(r && vqs_ok(r));
	cJSON_Delete(r);
	/* gate-2 was offline: it syncs three admissions, one of a ticket gate-1 admitted */
	char body[4096];
	snprintf(body, sizeof body,
	         "{\"v\":1,\"rid\":\"g2-sync\",\"admissions\":["
	         "{\"code\":\"%s\",\"attraction\":\"coaster\",\"at\":%lld},"
	         "{\"code\":\"%s\",\"attraction\":\"coaster\",\"at\":%lld},"
	         "{\"code\":\"%s\",\"attraction\":\"coaster\",\"at\":%lld}]}",
	         codes[8], VQS_CLOCK_START, codes[9], VQS_CLOCK_START, codes[0], VQS_CLOCK_START);
	r = vqs_callf(gate2, "svc/sync", "%s", body);
	ck_assert(r && vqs_ok(r));
	bool conflict = false;
	ck_assert(vqs_bool(r, "results.2.conflict", &conflict) && conflict);
	cJSON_Delete(r);
	/* staff let a guest in anyway, with a reason (and a comma, for the CSV) */
	snprintf(body, sizeof body,
	         "{\"v\":1,\"rid\":\"g1-ov\",\"attraction\":\"coaster\",\"code\":\"%s\","
	         "\"reason\":\"QR torn, \\\"checked\\\" by hand\"}",
	         codes[10]);
	r = vqs_callf(gate1, "svc/override", "%s", body);
	ck_assert(r && vqs_ok(r));
	cJSON_Delete(r);
	/* operators: a capacity cut, a breakdown of the flume */
	const char *const opsreq[] = {
	    "{\"v\":1,\"rid\":\"o-1\",\"cmd\":\"capacity\",\"attraction\":\"coaster\","
	    "\"throughput_per_hour\":1000}",
	    "{\"v\":1,\"rid\":\"o-2\",\"cmd\":\"close\",\"attraction\":\"flume\"}",
	    "{\"v\":1,\"rid\":\"o-3\",\"cmd\":\"reopen\",\"attraction\":\"flume\"}",
	};
	for (int i = 0; i < 3; i++) {
		r = vqs_callf(ops, "svc/ops", "%s", opsreq[i]);
		ck_assert_msg(r && vqs_ok(r), "%s", opsreq[i]);
		if (i == 2) {
			int64_t conv = 0;
			ck_assert(vqs_int(r, "converted", &conv) && conv > 0);
		}
		cJSON_Delete(r);
	}
	vq_bus_free(kiosk);
	vq_bus_free(gate1);
	vq_bus_free(gate2);
	vq_bus_free(ops);
}

/* --- the report -------------------------------------------------------------------------- */

static cJSON *embedded_data(const char *html)
{
	const char *open = "<script type=\"application/json\" id=\"vq-report-data\">";
	const char *p = strstr(html, open);
	ck_assert_ptr_nonnull(p);
	p += strlen(open);
	const char *end = strstr(p, "</script>");
	ck_assert_ptr_nonnull(end);
	cJSON *j = cJSON_ParseWithLength(p, (size_t)(end - p));
	ck_assert_msg(j != NULL, "the embedded data is not JSON");
	return j;
}

static const cJSON *attraction(const cJSON *m, const char *id)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(m, "attractions"))
	{
		if (!strcmp(vqs_str(a, "id"), id))
			return a;
	}
	ck_abort_msg("no attraction %s in the report", id);
	return NULL;
}

/* [tickets, guests] of the day's tickets of attr matching a condition */
static void expect_sql(const cJSON *pair, const char *attr, const char *cond, const char *what)
{
	int64_t t = q1("SELECT count(*) FROM tickets WHERE attr = '%s' AND " DAY_WHERE " AND %s",
	               attr, cond);
	int64_t g =
	    q1("SELECT coalesce(sum(party), 0) FROM tickets WHERE attr = '%s' AND " DAY_WHERE
	       " AND %s",
	       attr, cond);
	expect_pair(pair, t, g, what);
}

static void check_attraction(const cJSON *m, const char *id)
{
	const cJSON *a = attraction(m, id);
	const cJSON *tiers = cJSON_GetObjectItemCaseSensitive(m, "tiers");
	int ntiers = cJSON_GetArraySize(tiers);
	char what[160], cond[256];
	for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
		snprintf(what, sizeof what, "%s totals.%s", id, cats[c].name);
		expect_sql(cJSON_GetObjectItemCaseSensitive(vqs_get(a, "totals"), cats[c].name), id,
		           cats[c].where, what);
		for (int k = 0; k < ntiers; k++) {
			snprintf(what, sizeof what, "%s by_tier.%d.%s", id, k, cats[c].name);
			snprintf(cond, sizeof cond, "tier = %d AND %s", k, cats[c].where);
			const cJSON *bt = cJSON_GetArrayItem(vqs_get(a, "by_tier"), k);
			expect_sql(cJSON_GetObjectItemCaseSensitive(bt, cats[c].name), id, cond,
			           what);
		}
	}
	/* every slot, every tier, every category */
	int nslots = 0;
	const cJSON *slot;
	cJSON_ArrayForEach(slot, vqs_get(a, "slots"))
	{
		int64_t start = 0, cap = 0;
		ck_assert(vqs_int(slot, "start", &start) && vqs_int(slot, "cap", &cap));
		if (q1("SELECT count(*) FROM slots WHERE attr = '%s' AND start = %lld", id,
		       (long long)start))
			ck_assert_int_eq(
			    cap, q1("SELECT cap FROM slots WHERE attr = '%s' AND start = %lld", id,
			            (long long)start));
		for (int k = 0; k < ntiers; k++) {
			const cJSON *cell = cJSON_GetArrayItem(vqs_get(slot, "tiers"), k);
			for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
				snprintf(what, sizeof what, "%s slot %lld tier %d %s", id,
				         (long long)start, k, cats[c].name);
				snprintf(cond, sizeof cond,
				         "slot_start = %lld AND tier = %d AND %s", (long long)start,
				         k, cats[c].where);
				expect_sql(cJSON_GetObjectItemCaseSensitive(cell, cats[c].name), id,
				           cond, what);
			}
		}
		nslots++;
	}
	ck_assert_int_gt(nslots, 0);
	/* offline admissions, per gate and in all */
	expect_sql(vqs_get(a, "totals.offline"), id, "state = 1 AND used_offline = 1",
	           "offline admissions");
	const cJSON *g;
	int ngates = 0;
	cJSON_ArrayForEach(g, vqs_get(a, "offline"))
	{
		snprintf(cond, sizeof cond, "state = 1 AND used_offline = 1 AND used_gate = '%s'",
		         vqs_str(g, "gate"));
		expect_sql(vqs_get(g, "admitted"), id, cond, "offline admissions of a gate");
		ngates++;
	}
	ck_assert_int_eq(ngates,
	                 q1("SELECT count(DISTINCT used_gate) FROM tickets WHERE attr = '%s' "
	                    "AND " DAY_WHERE " AND state = 1 AND used_offline = 1",
	                    id));
	/* sell-outs: the earliest note per tier */
	for (int k = 0; k < ntiers; k++) {
		const char *tier = vqs_str(cJSON_GetArrayItem(tiers, k), "id");
		int64_t first =
		    q1("SELECT coalesce(min(at), 0) FROM audit WHERE action = 'sold_out' AND "
		       "json_extract(detail, '$.attraction') = '%s' AND "
		       "json_extract(detail, '$.tier') = '%s'",
		       id, tier);
		int64_t got = 0;
		const cJSON *so;
		cJSON_ArrayForEach(so, vqs_get(a, "sold_out"))
		{
			if (!strcmp(vqs_str(so, "tier"), tier))
				ck_assert(vqs_int(so, "at", &got));
		}
		ck_assert_msg(got == first, "%s %s sold out at %lld, SQL %lld", id, tier,
		              (long long)got, (long long)first);
	}
	/* closures and the tickets each reopening made anytime passes */
	int ncl = 0;
	const cJSON *cl;
	cJSON_ArrayForEach(cl, vqs_get(a, "closures"))
	{
		int64_t reopened = 0;
		ck_assert(vqs_int(cl, "reopened_at", &reopened));
		snprintf(cond, sizeof cond, "valid_from = %lld", (long long)reopened);
		expect_sql(vqs_get(cl, "converted"), id, cond, "converted by a reopening");
		ncl++;
	}
	ck_assert_int_eq(ncl, q1("SELECT count(*) FROM audit WHERE action = 'close' AND "
	                         "json_extract(detail, '$.attraction') = '%s'",
	                         id));
}

static int64_t lines(const char *path)
{
	char *t = tu_read_file(path, NULL);
	ck_assert_msg(t != NULL, "%s missing", path);
	int64_t n = 0;
	for (const char *p = t; *p; p++)
		n += *p == '\n';
	free(t);
	return n;
}

START_TEST(test_report_figures_equal_sql)
{
	live_a_morning();
	char out[1200], csv[1200], at[32];
	snprintf(out, sizeof out, "%s/day.html", scratch);
	snprintf(csv, sizeof csv, "%s/csv", scratch);
	snprintf(at, sizeof at, "%lld", (long long)DAY_END);
	char *argv[] = {(char *)vqctl_path(),
	                "report",
	                "--db",
	                (char *)vqs_db_path(site),
	                "--config",
	                (char *)vqs_config_path(site),
	                "--date",
	                "2027-01-01",
	                "--at",
	                at,
	                "--out",
	                out,
	                "--csv",
	                csv,
	                NULL};
	run r = run_prog(argv);
	ck_assert_msg(r.status == 0, "vqctl report: exit %d\n%s", r.status, r.out);
	free(r.out);
	ck_assert_int_eq(sqlite3_open_v2(vqs_db_path(site), &db, SQLITE_OPEN_READONLY, NULL),
	                 SQLITE_OK);
	char *html = tu_read_file(out, NULL);
	ck_assert_ptr_nonnull(html);
	cJSON *m = embedded_data(html);
	/* the morning happened as planned */
	ck_assert_int_gt(q1("SELECT count(*) FROM tickets WHERE state = 3"), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM tickets WHERE state = 2"), 1);
	ck_assert_int_gt(q1("SELECT count(*) FROM audit WHERE action = 'sold_out'"), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit WHERE action = 'conflict'"), 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM tickets WHERE used_offline = 1"), 2);
	static const char *const ids[] = {"coaster", "flume", "tiny", "late"};
	for (int i = 0; i < 4; i++)
		check_attraction(m, ids[i]);
	ck_assert_int_gt(cJSON_GetArraySize(vqs_get(attraction(m, "tiny"), "sold_out")), 0);
	ck_assert_int_eq(cJSON_GetArraySize(vqs_get(attraction(m, "flume"), "closures")), 1);
	/* the site's conflicts, overrides (with their reasons) and audit log */
	ck_assert_int_eq(cJSON_GetArraySize(vqs_get(m, "conflicts")),
	                 q1("SELECT count(*) FROM audit WHERE action = 'conflict'"));
	ck_assert_str_eq(vqs_str(m, "conflicts.0.gate"), "gate-2");
	ck_assert_str_eq(vqs_str(m, "conflicts.0.first_gate"), "gate-1");
	ck_assert_int_eq(cJSON_GetArraySize(vqs_get(m, "overrides")),
	                 q1("SELECT count(*) FROM audit WHERE action = 'override'"));
	ck_assert_str_eq(vqs_str(m, "overrides.0.reason"), "QR torn, \"checked\" by hand");
	ck_assert_str_eq(vqs_str(m, "overrides.0.gate"), "gate-1");
	ck_assert_int_eq(cJSON_GetArraySize(vqs_get(m, "audit")), q1("SELECT count(*) FROM audit"));
	/* self-contained: Chart.js is inside, nothing is fetched */
	ck_assert_ptr_nonnull(strstr(html, "Chart.js v4"));
	ck_assert_ptr_null(strstr(html, "<script src"));
	ck_assert_ptr_null(strstr(html, "<link"));
	/* the CSV files: one line per row plus the header */
	char path[1300];
	snprintf(path, sizeof path, "%s/tickets.csv", csv);
	ck_assert_int_eq(lines(path), 1 + q1("SELECT count(*) FROM tickets WHERE " DAY_WHERE));
	snprintf(path, sizeof path, "%s/admissions.csv", csv);
	ck_assert_int_eq(lines(path), 1 + q1("SELECT count(*) FROM redemptions"));
	snprintf(path, sizeof path, "%s/audit.csv", csv);
	/* the override's reason holds no line break, so a row is a line */
	ck_assert_int_eq(lines(path), 1 + q1("SELECT count(*) FROM audit"));
	char *t = tu_read_file(path, NULL);
	ck_assert_ptr_nonnull(strstr(t, "\"\"QR torn, \\\"\"checked\\\"\" by hand\"\""));
	free(t);
	cJSON_Delete(m);
	free(html);
	sqlite3_close(db);

	/* a real browser with every host unresolvable draws it: the page is complete */
	char url[1300];
	snprintf(url, sizeof url, "file://%s", out);
	char *chrome[] = {"/usr/bin/chromium",
	                  "--headless=new",
	                  "--no-sandbox",
	                  "--disable-gpu",
	                  "--host-resolver-rules=MAP * ~NOTFOUND",
	                  "--dump-dom",
	                  url,
	                  NULL};
	r = run_prog(chrome);
	ck_assert_msg(r.status == 0, "chromium: exit %d\n%s", r.status, r.out);
	ck_assert_msg(strstr(r.out, "data-ready=\"1\""),
	              "the page's script did not finish:\n%.2000s", r.out);
	int canvases = 0;
	for (const char *p = r.out; (p = strstr(p, "<canvas")); p++)
		canvases++;
	/* the site summary, sell-outs, a slot chart per attraction, gates */
	ck_assert_int_eq(canvases, 3 + 4);
	free(r.out);
}
END_TEST

START_TEST(test_report_refuses_bad_input)
{
	char out[1200], bad[1200];
	snprintf(out, sizeof out, "%s/x.html", scratch);
	snprintf(bad, sizeof bad, "%s/not-a-db", scratch);
	FILE *f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("hello", f);
	fclose(f);
	const char *dbp = vqs_db_path(site), *cfg = vqs_config_path(site);
	static const struct {
		int which; /* what to break */
		int status;
		const char *says;
	} cases[] = {
	    {0, 2, "--date: expected YYYY-MM-DD"},
	    {1, 2, "--date: no such day"},
	    {2, 2, "not-a-db"},
	    {3, 2, "nowhere.db"},
	    {4, 2, "cannot read the chart library"},
	    {5, 2, "needs --db FILE (or a PostgreSQL URI) and --config"},
	    {6, 2, "give --out FILE.html, --csv DIR or both"},
	    {7, 2, "nowhere.json"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *d = dbp, *date = "2027-01-01", *js = NULL, *c = cfg, *o = out;
		char nowhere[1300], nocfg[1300];
		snprintf(nowhere, sizeof nowhere, "%s/nowhere.db", scratch);
		snprintf(nocfg, sizeof nocfg, "%s/nowhere.json", scratch);
		switch (cases[i].which) {
		case 0:
			date = "1/1/2027";
			break;
		case 1:
			date = "2027-02-30";
			break;
		case 2:
			d = bad;
			break;
		case 3:
			d = nowhere;
			break;
		case 4:
			js = nowhere;
			break;
		case 7:
			c = nocfg;
			break;
		}
		char *argv[16];
		int n = 0;
		argv[n++] = (char *)vqctl_path();
		argv[n++] = "report";
		if (cases[i].which != 5) {
			argv[n++] = "--db";
			argv[n++] = (char *)d;
			argv[n++] = "--config";
			argv[n++] = (char *)c;
		}
		argv[n++] = "--date";
		argv[n++] = (char *)date;
		if (cases[i].which != 6) {
			argv[n++] = "--out";
			argv[n++] = (char *)o;
		}
		if (js) {
			argv[n++] = "--chart-js";
			argv[n++] = (char *)js;
		}
		argv[n] = NULL;
		run r = run_prog(argv);
		ck_assert_msg(r.status == cases[i].status && strstr(r.out, cases[i].says),
		              "case %zu: exit %d, output:\n%s", i, r.status, r.out);
		free(r.out);
		ck_assert_msg(access(out, F_OK) != 0, "case %zu left a page behind", i);
	}
	/* the database was only read: no file appeared beside a missing one */
	char nowhere[1300];
	snprintf(nowhere, sizeof nowhere, "%s/nowhere.db", scratch);
	ck_assert_int_ne(access(nowhere, F_OK), 0);
}
END_TEST

static void setup(void)
{
	char *d = tu_tempdir("report");
	snprintf(scratch, sizeof scratch, "%s", d);
	free(d);
	/* a morning's worth of requests in a second: out of the way of the rate limits */
	char *cfg = vqs_config_with_limits(VQS_NO_LIMITS);
	ck_assert_ptr_nonnull(cfg);
	vqs_opts o = {.config = cfg};
	ck_assert_int_eq(vqs_start(&o, &site), VQ_OK);
	free(cfg);
}

static void teardown(void)
{
	vqs_free(site);
	site = NULL;
}

int main(void)
{
	tu_scratch_begin("report-tests");
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_report_figures_equal_sql);
	tcase_add_test(tc, test_report_refuses_bad_input);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tu_scratch_end();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
