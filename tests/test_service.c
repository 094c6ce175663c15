/* tests/test_service.c — the book and the store together, as vqd drives them: batches,
 * request ids, commits that fail, batches that die half way (a second writer on the
 * database, an I/O fault at any write or sync), a rebuild that fails, and reopening. The
 * seeded random run checks after every batch that the same request id always got the same
 * answer, that a ticket admitted once, and that reopening the database rebuilds exactly the
 * book that was in memory.
 *
 * What holds for both backends runs on both (loop tests; _i picks SQLITE or PG, and a seed
 * for the random run). PostgreSQL runs share one throwaway server started by main; a
 * commit fails there for real: the store's session is ended by the server just before it
 * (as an administrator, an idle timeout or a failover would), or while it waits for a
 * synchronous standby, when the server has kept the batch although the commit was not
 * acknowledged. SQLite's faults are injected through its VFS.
 */
#include "coordinator/faultvfs.h"
#include "coordinator/service.h"
#include "support/books.h"
#include "support/fixtures.h"
#include "support/pgserver.h"
#include "support/tutil.h"

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t DAY = VQ_TEST_DAY;
/* The digest a remembered reply is bound to (any 32 bytes will do here). */
static const uint8_t DG[VQ_STORE_DIGEST_LEN] = {0x5e, 0x41};
#define AT(h, m) (DAY + (int64_t)(h)*3600 + (int64_t)(m)*60)

enum { SQLITE, PG, NBACKENDS };

static vq_test_pg *pg; /* one server for the program (main) */
static int be;         /* the backend of the running test */
static vq_site *site;
static char *dir;
static char dbpath[512];

static void setup(void)
{
	char err[256];
	ck_assert_msg(vq_site_parse(VQ_TEST_SITE, strlen(VQ_TEST_SITE), &site, err, sizeof err) ==
	                  VQ_OK,
	              "%s", err);
	dir = tu_tempdir("svc");
	ck_assert_ptr_nonnull(dir);
	snprintf(dbpath, sizeof dbpath, "%s/vq.db", dir);
	be = SQLITE;
}

static void teardown(void)
{
	vq_store_fail_io_after(0);
	vq_site_free(site);
	tu_rmtree(dir);
	free(dir);
}

/* Runs the test on backend b, from an empty store. */
static void use(int b)
{
	be = b;
	if (b != PG)
		return;
	ck_assert_msg(pg != NULL, "PostgreSQL is needed and did not start: %s", vq_test_pg_why());
	char sql[128];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"vq_site_%s\" CASCADE", vq_site_id(site));
	ck_assert_int_eq(vq_test_pg_exec(pg, NULL, sql, NULL), VQ_OK);
}

static const char *where(void)
{
	return be == PG ? vq_test_pg_uri(pg) : dbpath;
}

static vq_service *open_svc(void)
{
	vq_service *svc = NULL;
	char err[256] = "";
	int rc = vq_service_open(site, where(), vq_test_day(DAY), &svc, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "open: %s %s", vq_strerror(rc), err);
	return svc;
}

/* Ends the store's session (its connections call themselves "vqd"): the next statement
 * of a batch, or its commit, fails as if the server had gone. */
static void end_session(void)
{
	ck_assert_int_eq(vq_test_pg_exec(pg, NULL,
	                                 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	                                 " WHERE application_name = 'vqd'",
	                                 NULL),
	                 VQ_OK);
}

/* Check's assertions report every pass; comparisons of whole books must cost nothing
 * unless they fail. */
#define REQUIRE(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

/* Two books hold the same day: tickets, slots, attraction states. */
static void book_eq(const vq_book *x, const vq_book *y, const char *ctx)
{
	char why[128];
	REQUIRE(!tu_book_diff(x, y, why, sizeof why), "%s: %s", ctx, why);
}

/* A book that mirrors the service's, built from scratch out of the store. */
static vq_book *reload(vq_service *svc)
{
	uint64_t next;
	vq_book *b = NULL;
	ck_assert_int_eq(vq_store_next_ticket_id(vq_service_store(svc), &next), VQ_OK);
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY), next, &b), VQ_OK);
	ck_assert_int_eq(vq_store_load_day(vq_service_store(svc), b), VQ_OK);
	return b;
}

/* What vqd does with one issue request: answer a known id from the store, else decide,
 * remember and (at commit) persist. */
static int issue_once(vq_service *svc, const char *rid, const vq_request *r, int64_t now,
                      char *reply, size_t replylen)
{
	char *prev = NULL;
	size_t plen = 0;
	if (vq_service_recall(svc, rid, "issue", DG, &prev, &plen) == VQ_OK) {
		snprintf(reply, replylen, "%s", prev);
		free(prev);
		return 1;
	}
	vq_ticket t;
	int rc = vq_book_issue(vq_service_book(svc), r, now, &t);
	if (rc == VQ_OK)
		snprintf(reply, replylen, "ticket %" PRIu64 " %" PRId64, t.id, t.slot_start);
	else
		snprintf(reply, replylen, "error %s", vq_errname(rc));
	ck_assert_int_eq(vq_service_remember(svc, rid, "issue", DG, reply, strlen(reply), now),
	                 VQ_OK);
	return 0;
}

START_TEST(test_issue_commit_reopen)
{
	use(_i);
	vq_service *svc = open_svc();
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	vq_request r = {.attr = 0, .tier = 2, .party = 3, .guest = 11};
	char a[128], b[128];
	ck_assert_int_eq(issue_once(svc, "k1-0001", &r, AT(9, 0), a, sizeof a), 0);
	/* the same id inside the same batch is already answered */
	ck_assert_int_eq(issue_once(svc, "k1-0001", &r, AT(9, 0), b, sizeof b), 1);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 1);
	vq_service_free(svc);

	svc = open_svc();
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 1);
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(issue_once(svc, "k1-0001", &r, AT(9, 5), b, sizeof b), 1);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 1);
	vq_service_free(svc);
}
END_TEST

/* A batch looks its request ids up at once: what is stored comes back, what is not is
 * known absent, the batch's own replies win, and nothing outlives the batch. */
START_TEST(test_prefetch)
{
	use(_i);
	vq_service *svc = open_svc();
	vq_request r = {.attr = 0, .tier = 1, .party = 2, .guest = 8};
	char a[128], b[128];
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(issue_once(svc, "kiosk-1/one", &r, AT(9, 0), a, sizeof a), 0);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);

	const char *ids[] = {"kiosk-1/two", "kiosk-1/one", "kiosk-1/two", "kiosk-2/one"};
	ck_assert_int_eq(vq_service_prefetch(svc, ids, 4), VQ_EINVAL); /* no batch */
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_service_prefetch(svc, ids, 4), VQ_OK);
	ck_assert_int_eq(vq_service_prefetch(svc, ids, 4), VQ_EINVAL); /* once a batch */
	ck_assert_int_eq(issue_once(svc, "kiosk-1/one", &r, AT(9, 1), b, sizeof b), 1);
	ck_assert_str_eq(a, b);
	char *prev = NULL;
	size_t n = 0;
	ck_assert_int_eq(vq_service_recall(svc, "kiosk-2/one", "issue", DG, &prev, &n),
	                 VQ_ENOTFOUND);
	/* a prefetched reply answers only the same request, as the store's */
	static const uint8_t OTHER[VQ_STORE_DIGEST_LEN] = {1};
	ck_assert_int_eq(vq_service_recall(svc, "kiosk-1/one", "issue", OTHER, &prev, &n),
	                 VQ_ERIDREUSED);
	ck_assert_int_eq(vq_service_recall(svc, "kiosk-1/one", "cancel", DG, &prev, &n),
	                 VQ_ERIDREUSED);
	ck_assert_int_eq(issue_once(svc, "kiosk-1/two", &r, AT(9, 1), a, sizeof a), 0);
	ck_assert_int_eq(issue_once(svc, "kiosk-1/two", &r, AT(9, 1), b, sizeof b), 1);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(vq_service_remember(svc, "kiosk-1/two", "issue", DG, "x", 1, AT(9, 1)),
	                 VQ_EEXISTS);
	ck_assert_int_eq(vq_service_remember(svc, "bad\nrid", "issue", DG, "x", 1, AT(9, 1)),
	                 VQ_EINVAL);
	ck_assert_int_eq(vq_service_recall(svc, "kiosk-1/two", "issue", OTHER, &prev, &n),
	                 VQ_ERIDREUSED); /* the batch's own too */
	ck_assert_int_eq(vq_service_rollback(svc), VQ_OK);
	/* rolled back: the batch's reply is gone, the stored one stays */
	ck_assert_int_eq(vq_service_recall(svc, "kiosk-1/two", "issue", DG, &prev, &n),
	                 VQ_ENOTFOUND);
	ck_assert_int_eq(vq_service_recall(svc, "kiosk-1/one", "issue", DG, &prev, &n), VQ_OK);
	free(prev);
	vq_service_free(svc);
}
END_TEST

START_TEST(test_rollback_forgets)
{
	use(_i);
	vq_service *svc = open_svc();
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	vq_request r = {.attr = 1, .tier = 0, .party = 1, .guest = 0};
	char a[128];
	issue_once(svc, "x", &r, AT(10, 0), a, sizeof a);
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 1);
	ck_assert_int_eq(vq_service_rollback(svc), VQ_OK);
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 0);
	char *prev;
	size_t n;
	ck_assert_int_eq(vq_service_recall(svc, "x", "issue", DG, &prev, &n), VQ_ENOTFOUND);
	vq_service_free(svc);
}
END_TEST

START_TEST(test_redeem_once)
{
	use(_i);
	vq_service *svc = open_svc();
	vq_ticket t;
	vq_verdict v;
	vq_request r = {.attr = 0, .tier = 0, .party = 2, .guest = 0};
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_service_redeem(svc, t.id, "coaster", "gate-1", 0, AT(9, 20), &v, NULL),
	                 VQ_OK);
	ck_assert_int_eq(vq_service_redeem(svc, t.id, "coaster", "gate-2", 0, AT(9, 21), &v, NULL),
	                 VQ_EUSED);
	ck_assert_str_eq(v.used_gate, "gate-1");
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	vq_ticket st;
	ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), t.id, &st), VQ_OK);
	ck_assert_int_eq(st.state, VQ_TS_REDEEMED);
	ck_assert_str_eq(st.used_gate, "gate-1");

	/* staff override: far too early, still admitted once, and durable */
	vq_ticket o;
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_service_override(svc, t.id, "flume", "gate-9", AT(9, 1), &o),
	                 VQ_EWRONGATTR);
	ck_assert_int_eq(vq_service_override(svc, t.id, "coaster", "gate-9", AT(9, 1), &o), VQ_OK);
	ck_assert_int_eq(vq_service_override(svc, t.id, "coaster", "gate-9", AT(9, 1), &o),
	                 VQ_EUSED);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), t.id, &st), VQ_OK);
	ck_assert_int_eq(st.state, VQ_TS_REDEEMED);
	ck_assert_str_eq(st.used_gate, "gate-9");
	vq_service_free(svc);
}
END_TEST

/* After the service moved to the next day, a ticket of the day before that is still inside
 * its late grace is admitted once from the store (before, it was "unknown"). */
START_TEST(test_earlier_day_ticket)
{
	use(_i);
	vq_service *svc = open_svc();
	vq_ticket late, early, t;
	vq_verdict v;
	/* coaster's last slot (20:45, window cut at 21:00, +10 min late grace) and a morning
	 * one, long over by the evening */
	vq_request r = {.attr = 0, .tier = 0, .party = 2, .guest = 0};
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(20, 40), &late), VQ_OK);
	ck_assert_int_eq(late.slot_start, AT(20, 45));
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	vq_book *b = vq_service_book(svc);
	/* the book's own clock is a parameter: issue "earlier" by asking at 9:00 */
	ck_assert_int_eq(vq_book_issue(b, &r, AT(9, 0), &early), VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);

	ck_assert_int_eq(vq_service_set_day(svc, vq_test_day(DAY + 86400)), VQ_OK);
	ck_assert_ptr_null(vq_book_ticket(vq_service_book(svc), late.id));
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_service_redeem(svc, late.id, "coaster", "gate-1", 0, AT(21, 5), &v, &t),
	                 VQ_OK);
	ck_assert_int_eq(t.state, VQ_TS_REDEEMED);
	ck_assert_str_eq(t.used_gate, "gate-1");
	ck_assert_int_eq(vq_service_redeem(svc, late.id, "coaster", "gate-2", 0, AT(21, 6), &v, &t),
	                 VQ_EUSED);
	/* one that is over is expired, with its interval; a wrong gate is still a wrong gate */
	ck_assert_int_eq(
	    vq_service_redeem(svc, early.id, "coaster", "gate-1", 0, AT(21, 7), &v, &t),
	    VQ_EEXPIRED);
	ck_assert_int_eq(v.until, early.win_end + 10 * 60);
	ck_assert_int_eq(vq_service_redeem(svc, early.id, "flume", "gate-1", 0, AT(21, 7), &v, &t),
	                 VQ_EWRONGATTR);
	ck_assert_int_eq(vq_service_redeem(svc, 999999, "coaster", "gate-1", 0, AT(21, 7), &v, &t),
	                 VQ_ENOTICKET);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	vq_ticket st;
	ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), late.id, &st), VQ_OK);
	ck_assert_int_eq(st.state, VQ_TS_REDEEMED);
	ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), early.id, &st), VQ_OK);
	ck_assert_int_eq(st.state, VQ_TS_ISSUED);
	vq_service_free(svc);
}
END_TEST

/* A commit whose writes fail leaves neither the disk nor the memory changed. */
START_TEST(test_failed_commit_rebuilds)
{
	vq_service *svc = open_svc();
	vq_request r = {.attr = 0, .tier = 1, .party = 2, .guest = 5};
	vq_ticket t;
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	int failures = 0;
	for (unsigned long n = 1; n <= 12; n++) {
		ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
		vq_request q = {.attr = 2, .tier = 3, .party = 1, .guest = 100 + n};
		ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &q, AT(9, 0), &t), VQ_OK);
		size_t before = vq_book_ticket_count(vq_service_book(svc));
		vq_store_fail_io_after(n);
		int rc = vq_service_commit(svc);
		vq_store_fail_io_after(0);
		if (rc != VQ_OK) {
			failures++;
			ck_assert_int_eq(rc, VQ_ESTORE);
			ck_assert_ptr_nonnull(vq_service_book(svc));
			ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), before - 1);
		}
		vq_book *disk = reload(svc);
		book_eq(vq_service_book(svc), disk, "after a faulty commit");
		vq_book_free(disk);
	}
	ck_assert_int_gt(failures, 0);
	vq_service_free(svc);
}
END_TEST

/* The same on PostgreSQL, where a commit fails for real: the session is gone. The store
 * connects again for the rebuild. */
START_TEST(test_pg_failed_commit_rebuilds)
{
	use(PG);
	vq_service *svc = open_svc();
	vq_request r = {.attr = 0, .tier = 1, .party = 2, .guest = 5};
	vq_ticket t;
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	for (int n = 0; n < 4; n++) {
		ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
		vq_request q = {.attr = 2, .tier = 3, .party = 1, .guest = 100 + (uint64_t)n};
		ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &q, AT(9, 0), &t), VQ_OK);
		size_t before = vq_book_ticket_count(vq_service_book(svc));
		end_session();
		ck_assert_int_eq(vq_service_commit(svc), VQ_ESTORE);
		ck_assert_ptr_nonnull(vq_service_book(svc));
		ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), before - 1);
		vq_book *disk = reload(svc);
		book_eq(vq_service_book(svc), disk, "after a commit without a session");
		vq_book_free(disk);
	}
	/* and it goes on */
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 1), &t), VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 2);
	vq_service_free(svc);
}
END_TEST

typedef struct cutter {
	vq_test_pg *pg;
	volatile int stop;
	int done;
} cutter;

static void *cut_commit(void *arg)
{
	cutter *c = arg;
	c->done = vq_test_pg_cut_sync_wait(c->pg, "vqd", 1, 10000, &c->stop) == VQ_OK;
	return NULL;
}

/* A commit in doubt: the session ends while COMMIT waits for a synchronous standby, and the
 * server has kept the batch. The service reports failure (no reply may go out), rebuilds
 * the book from what the server holds, batch included, and a retry of the request gets
 * its first reply. A server of its own: it is made to wait for a standby that is not. */
START_TEST(test_pg_commit_in_doubt)
{
	use(PG);
	vq_test_pg *shared = pg, *mine = NULL;
	ck_assert_msg(vq_test_pg_start(&mine) == VQ_OK, "%s", vq_test_pg_why());
	pg = mine;
	vq_service *svc = open_svc();
	ck_assert_int_eq(vq_test_pg_sync_standby(pg, "nobody"), VQ_OK);
	int waited = 0;
	char rid[32], first[128], again[128];
	/* until the server applies the setting, commits do not wait: try again */
	for (int attempt = 0; attempt < 50 && !waited; attempt++) {
		snprintf(rid, sizeof rid, "kiosk-1-%d", attempt);
		vq_request r = {.attr = 0, .tier = 0, .party = 2, .guest = 7};
		ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
		ck_assert_int_eq(issue_once(svc, rid, &r, AT(9, 0), first, sizeof first), 0);
		size_t in_batch = vq_book_ticket_count(vq_service_book(svc));
		cutter c = {.pg = pg};
		pthread_t th;
		ck_assert_int_eq(pthread_create(&th, NULL, cut_commit, &c), 0);
		int rc = vq_service_commit(svc);
		c.stop = 1;
		pthread_join(th, NULL);
		if (!c.done) {
			ck_assert_int_eq(rc, VQ_OK);
			continue;
		}
		waited = 1;
		ck_assert_int_eq(rc, VQ_ESTORE);
		ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), in_batch);
		vq_book *disk = reload(svc);
		book_eq(vq_service_book(svc), disk, "after a commit in doubt");
		vq_book_free(disk);
	}
	ck_assert_msg(waited, "no commit ever waited for the standby");
	ck_assert_int_eq(vq_test_pg_sync_standby(pg, ""), VQ_OK);
	vq_request r = {.attr = 0, .tier = 0, .party = 2, .guest = 7};
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(issue_once(svc, rid, &r, AT(9, 1), again, sizeof again), 1);
	ck_assert_str_eq(first, again);
	ck_assert_int_eq(vq_service_rollback(svc), VQ_OK);
	vq_service_free(svc);
	pg = shared;
	vq_test_pg_stop(mine);
}
END_TEST

/* --- batches that die half way ------------------------------------------------------- */

static int64_t count_rows(const char *sql)
{
	if (be == PG) {
		char schema[64];
		int64_t n = -1;
		snprintf(schema, sizeof schema, "vq_site_%s", vq_site_id(site));
		ck_assert_int_eq(vq_test_pg_exec(pg, schema, sql, &n), VQ_OK);
		return n;
	}
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* Issues a ticket in a batch of its own (platinum: the whole day is open to it). */
static vq_ticket issued(vq_service *svc, int attr, uint64_t guest, int64_t now)
{
	vq_request r = {.attr = attr, .tier = 3, .party = 1, .guest = guest};
	vq_ticket t;
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, now, &t), VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	return t;
}

/* Another process admits a ticket behind the service's back (a second vqd on the same
 * file, an operator's script): the next redeem of it finds the disk disagreeing with the
 * book. Everything the batch did before and after dies with it, nothing leaks into the next
 * batch, and the book comes back from the disk. */
START_TEST(test_second_writer)
{
	use(_i);
	vq_service *svc = open_svc();
	vq_ticket a = issued(svc, 0, 1, AT(9, 0));
	vq_ticket b = issued(svc, 0, 2, AT(9, 0));

	vq_store *other = NULL;
	char err[256];
	ck_assert_int_eq(vq_store_open(where(), vq_site_id(site), NULL, &other, err, sizeof err),
	                 VQ_OK);
	ck_assert_int_eq(vq_store_begin(other), VQ_OK);
	ck_assert_int_eq(vq_store_redeem(other, a.id, "intruder", AT(9, 15), 0), VQ_OK);
	ck_assert_int_eq(vq_store_commit(other), VQ_OK);
	vq_store_close(other);

	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	vq_request r = {.attr = 1, .tier = 0, .party = 2, .guest = 3};
	vq_ticket c, e;
	vq_verdict v;
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 20), &c), VQ_OK);
	ck_assert_int_eq(vq_service_remember(svc, "kiosk-1/first", "issue", DG, "c", 1, AT(9, 20)),
	                 VQ_OK);
	ck_assert(vq_service_batch_ok(svc));
	ck_assert_int_eq(vq_service_redeem(svc, a.id, "coaster", "gate-1", 0, AT(9, 20), &v, NULL),
	                 VQ_ESTORE);
	ck_assert(!vq_service_batch_ok(svc));
	/* dead: no write of it goes through, whatever the caller still tries */
	ck_assert_int_eq(vq_service_remember(svc, "kiosk-1/second", "issue", DG, "e", 1, AT(9, 20)),
	                 VQ_ESTORE);
	ck_assert_int_eq(vq_store_audit(vq_service_store(svc), AT(9, 20), "ops-1", "close", NULL),
	                 VQ_ESTORE);
	ck_assert_int_eq(vq_store_set_setting(vq_service_store(svc), "standby.coaster", "30"),
	                 VQ_ESTORE);
	ck_assert_int_eq(vq_service_redeem(svc, b.id, "coaster", "gate-1", 0, AT(9, 20), &v, NULL),
	                 VQ_ESTORE);
	/* a careless caller that still changes the book: the commit throws it away */
	r.guest = 5;
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 20), &e), VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_ESTORE);
	ck_assert_msg(strstr(vq_store_errmsg(vq_service_store(svc)), "disagrees"), "message: %s",
	              vq_store_errmsg(vq_service_store(svc)));
	vq_book *disk = reload(svc);
	book_eq(vq_service_book(svc), disk, "after the dead batch");
	vq_book_free(disk);
	ck_assert_int_eq(vq_book_ticket(vq_service_book(svc), a.id)->state, VQ_TS_REDEEMED);
	ck_assert_str_eq(vq_book_ticket(vq_service_book(svc), a.id)->used_gate, "intruder");

	/* the next, unrelated batch commits its own change and nothing else */
	vq_ticket d = issued(svc, 2, 4, AT(9, 21));
	ck_assert_int_eq(count_rows("SELECT count(*) FROM tickets"), 3);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM requests"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM settings"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM redemptions"), 1);
	vq_ticket got;
	ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), d.id, &got), VQ_OK);
	ck_assert_str_eq(got.attr, "flume"); /* the fresh one, not the dead batch's */
	ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), b.id, &got), VQ_OK);
	ck_assert_int_eq(got.state, VQ_TS_ISSUED);
	disk = reload(svc);
	book_eq(vq_service_book(svc), disk, "after the next batch");
	vq_book_free(disk);
	vq_service_free(svc);
}
END_TEST

/* A gate id the store cannot hold is refused before it can kill the batch. */
START_TEST(test_long_gate_id)
{
	use(_i);
	vq_service *svc = open_svc();
	vq_ticket a = issued(svc, 0, 1, AT(9, 0));
	char gate[64];
	memset(gate, 'g', 40);
	gate[40] = '\0';
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	vq_verdict v;
	ck_assert_int_eq(vq_service_redeem(svc, a.id, "coaster", gate, 0, AT(9, 20), &v, NULL),
	                 VQ_EINVAL);
	ck_assert(vq_service_batch_ok(svc));
	ck_assert_int_eq(vq_service_redeem(svc, a.id, "coaster", "gate-1", 0, AT(9, 20), &v, NULL),
	                 VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM redemptions WHERE gate = 'gate-1'"), 1);
	vq_service_free(svc);
}
END_TEST

/* What one batch does: tickets a and b exist; it writes `wide` wide audit lines (enough of
 * them and SQLite's cache spills to the WAL before the commit, so faults land in the middle
 * of the batch; replies would not do, the service writes them at the commit), redeems a,
 * then issues, cancels b, changes a capacity, closes or reopens an attraction, writes an
 * audit line and a setting, stopping at the first sign of a dead batch as vqd does. step_rc is the
 * first failing step (VQ_OK if none), commit_rc the commit's. */
#define WIDE_LINES 40 /* 2.4 MB: past SQLite's default 2 MB cache */
#define WIDE_LEN   60000

struct fault_batch {
	int step_rc;
	int commit_rc;
};

static int alive(vq_service *svc, int rc)
{
	return rc == VQ_OK && vq_service_batch_ok(svc);
}

static void run_fault_batch(vq_service *svc, int round, int wide_lines, const vq_ticket *a,
                            const vq_ticket *b, struct fault_batch *out)
{
	static char wide[WIDE_LEN];
	memset(wide, 'w', sizeof wide);
	int64_t now = AT(9, 20);
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	int rc = VQ_OK;
	char rid[64];
	wide[sizeof wide - 1] = '\0';
	for (int i = 0; i < wide_lines && alive(svc, rc); i++)
		rc = vq_store_audit(vq_service_store(svc), now, "ops-1", "note", wide);
	vq_verdict v;
	if (alive(svc, rc))
		rc = vq_service_redeem(svc, a->id, "coaster", "gate-1", 0, now, &v, NULL);
	if (alive(svc, rc)) {
		vq_request r = {.attr = 0, .tier = 3, .party = 1, .guest = 900 + (uint64_t)round};
		vq_ticket t;
		rc = vq_book_issue(vq_service_book(svc), &r, now, &t);
		snprintf(rid, sizeof rid, "kiosk-1/r%d-issue", round);
		if (rc == VQ_OK)
			rc = vq_service_remember(svc, rid, "issue", DG, "ok", 2, now);
	}
	if (alive(svc, rc))
		rc = vq_book_cancel(vq_service_book(svc), b->id, now, NULL);
	if (alive(svc, rc)) {
		vq_capacity c = {.throughput_per_hour = 500 + round % 100,
		                 .fast_share_pct = -1,
		                 .overbook_pct = -1};
		rc = vq_book_set_capacity(vq_service_book(svc), 2, &c, now);
	}
	if (alive(svc, rc))
		rc = vq_book_attr_state(vq_service_book(svc), 1)->status == VQ_ATTR_OPEN
		         ? vq_book_close(vq_service_book(svc), 1, now)
		         : vq_book_reopen(vq_service_book(svc), 1, now, NULL);
	if (alive(svc, rc))
		rc = vq_store_audit(vq_service_store(svc), now, "ops-1", "capacity", "{}");
	if (alive(svc, rc)) {
		char val[16];
		snprintf(val, sizeof val, "%d", round % 600);
		rc = vq_store_set_setting(vq_service_store(svc), "standby.coaster", val);
	}
	if (rc == VQ_OK && !vq_service_batch_ok(svc))
		rc = VQ_ESTORE;
	out->step_rc = rc;
	out->commit_rc = vq_service_commit(svc);
}

struct fault_tally {
	int died_in_batch, died_at_commit, committed;
};

/* Runs the batch with an I/O fault at the n-th write or sync, for each n of ns[0..count);
 * the batch is on disk whole or not at all, the book always equals the disk, and the next
 * batch commits nothing of a dead one. */
static void fault_rounds(vq_service *svc, int wide, const unsigned long *ns, size_t count,
                         unsigned long cost, struct fault_tally *tally)
{
	for (size_t i = 0; i < count; i++) {
		unsigned long n = ns[i];
		int round = (int)i + 1;
		vq_ticket a, b;
		vq_request r = {.attr = 0, .tier = 3, .party = 1, .guest = 10 + n};
		ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
		ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 0), &a), VQ_OK);
		r.guest = 5000 + n;
		ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 0), &b), VQ_OK);
		ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
		int64_t tickets = count_rows("SELECT count(*) FROM tickets");
		int64_t requests = count_rows("SELECT count(*) FROM requests");
		int64_t audits = count_rows("SELECT count(*) FROM audit");
		int64_t redemptions = count_rows("SELECT count(*) FROM redemptions");
		struct fault_batch fb;
		vq_store_fail_io_after(n);
		run_fault_batch(svc, round, wide, &a, &b, &fb);
		vq_store_fail_io_after(0);
		char ctx[64];
		snprintf(ctx, sizeof ctx, "fault at I/O %lu of %lu", n, cost);
		ck_assert_msg(vq_service_book(svc) != NULL, "%s: no book", ctx);
		vq_book *disk = reload(svc);
		book_eq(vq_service_book(svc), disk, ctx);
		vq_book_free(disk);
		vq_ticket got;
		ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), a.id, &got), VQ_OK);
		if (fb.commit_rc == VQ_OK) {
			ck_assert_msg(fb.step_rc == VQ_OK, "%s: a failed step (%s) committed", ctx,
			              vq_errname(fb.step_rc));
			tally->committed++;
			ck_assert_int_eq(got.state, VQ_TS_REDEEMED);
			ck_assert_int_eq(count_rows("SELECT count(*) FROM tickets"), tickets + 1);
			ck_assert_int_eq(count_rows("SELECT count(*) FROM requests"), requests + 1);
			ck_assert_int_eq(count_rows("SELECT count(*) FROM audit"),
			                 audits + wide + 1);
			ck_assert_int_eq(count_rows("SELECT count(*) FROM redemptions"),
			                 redemptions + 1);
			continue;
		}
		ck_assert_int_eq(fb.commit_rc, VQ_ESTORE);
		if (fb.step_rc != VQ_OK)
			tally->died_in_batch++;
		else
			tally->died_at_commit++;
		ck_assert_msg(got.state == VQ_TS_ISSUED, "%s: ticket a is %s", ctx,
		              vq_ticket_state_name(got.state));
		ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), b.id, &got), VQ_OK);
		ck_assert_int_eq(got.state, VQ_TS_ISSUED);
		ck_assert_int_eq(count_rows("SELECT count(*) FROM tickets"), tickets);
		ck_assert_int_eq(count_rows("SELECT count(*) FROM requests"), requests);
		ck_assert_int_eq(count_rows("SELECT count(*) FROM audit"), audits);
		ck_assert_int_eq(count_rows("SELECT count(*) FROM redemptions"), redemptions);
	}
}

/* What a clean run of the batch costs in writes and syncs. */
static unsigned long fault_cost(vq_service *svc, int wide)
{
	vq_ticket a = issued(svc, 0, 1, AT(9, 0)), b = issued(svc, 0, 2, AT(9, 0));
	struct fault_batch fb;
	vq_store_fail_io_after(0);
	run_fault_batch(svc, 0, wide, &a, &b, &fb);
	unsigned long cost = vq_faultvfs_io_count();
	ck_assert_int_eq(fb.step_rc, VQ_OK);
	ck_assert_int_eq(fb.commit_rc, VQ_OK);
	return cost;
}

/* An I/O fault at every write and at every sync of the batch, in turn. */
START_TEST(test_fault_every_io)
{
	vq_service *svc = open_svc();
	unsigned long cost = fault_cost(svc, 0);
	ck_assert_uint_gt(cost, 2);
	unsigned long ns[256];
	ck_assert_uint_lt(cost + 1, sizeof ns / sizeof ns[0]);
	for (unsigned long n = 1; n <= cost + 1; n++)
		ns[n - 1] = n;
	struct fault_tally t = {0};
	fault_rounds(svc, 0, ns, cost + 1, cost, &t);
	ck_assert_msg(t.died_at_commit > 0 && t.committed == 1,
	              "at the commit %d, none %d (of %lu)", t.died_at_commit, t.committed, cost);
	vq_service_free(svc);
}
END_TEST

/* The same batch grown past SQLite's cache, so that it writes before its commit: faults
 * in the middle of it (before the admission's flush, in it, after it), at its commit, and
 * none. Every write and sync of that one too would cost a minute; these are its places. */
START_TEST(test_fault_mid_batch)
{
	vq_service *svc = open_svc();
	unsigned long cost = fault_cost(svc, WIDE_LINES);
	ck_assert_uint_gt(cost, 100);
	unsigned long ns[] = {1,
	                      2,
	                      3,
	                      cost / 8,
	                      cost / 4,
	                      cost / 3,
	                      cost / 2,
	                      2 * cost / 3,
	                      3 * cost / 4,
	                      cost - 3,
	                      cost - 2,
	                      cost - 1,
	                      cost,
	                      cost + 1};
	struct fault_tally t = {0};
	fault_rounds(svc, WIDE_LINES, ns, sizeof ns / sizeof ns[0], cost, &t);
	ck_assert_msg(t.died_in_batch > 0 && t.died_at_commit > 0 && t.committed > 0,
	              "in the batch %d, at the commit %d, none %d", t.died_in_batch,
	              t.died_at_commit, t.committed);
	vq_service_free(svc);
}
END_TEST

/* A rebuild that fails leaves no book: no batch opens until the disk reads again. */
START_TEST(test_rebuild_fails_then_recovers)
{
	vq_service *svc = open_svc();
	vq_ticket a = issued(svc, 0, 1, AT(9, 0));
	/* another process changes the ticket and leaves the day not adding up */
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
	                              "UPDATE slots SET taken = taken + 5;"
	                              "UPDATE tickets SET state = 1, used_gate = 'x'",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	vq_verdict v;
	ck_assert_int_eq(vq_service_redeem(svc, a.id, "coaster", "gate-1", 0, AT(9, 20), &v, NULL),
	                 VQ_ESTORE);
	ck_assert_int_eq(vq_service_commit(svc), VQ_ESTORE);
	ck_assert_ptr_null(vq_service_book(svc));
	ck_assert_int_eq(vq_service_day(svc), DAY);
	ck_assert_int_eq(vq_service_begin(svc), VQ_ESTORE);
	ck_assert_int_eq(vq_service_rebuild(svc), VQ_ESTORE);
	ck_assert_ptr_null(vq_service_book(svc));
	/* repaired: the next attempt finds a day that adds up */
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE slots SET taken = taken - 5", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(vq_service_rebuild(svc), VQ_OK);
	ck_assert_ptr_nonnull(vq_service_book(svc));
	ck_assert_int_eq(vq_book_ticket(vq_service_book(svc), a.id)->state, VQ_TS_REDEEMED);
	issued(svc, 1, 2, AT(9, 30));
	vq_service_free(svc);
}
END_TEST

/* --- randomized --------------------------------------------------------------------- */

static const uint64_t SEEDS[] = {7, 11, 20261123, 0xfeedface};
/* runs 0..3: SQLite with each seed; then PostgreSQL with the first PG_SEEDS (each of its
 * round trips costs more than a SQLite call) */
#define PG_SEEDS 2
#define NSEEDS   (int)(sizeof SEEDS / sizeof SEEDS[0])
#define STEPS    10000
#define MAX_RIDS 12000

struct rid_answer {
	char reply[64];
	int known;
};

START_TEST(test_random_batches)
{
	use(_i < NSEEDS ? SQLITE : PG);
	uint64_t seed = SEEDS[_i % NSEEDS];
	tu_rng rng = {seed};
	vq_service *svc = open_svc();
	struct rid_answer *answers = calloc(MAX_RIDS, sizeof *answers);
	struct rid_answer *pending = calloc(MAX_RIDS, sizeof *pending);
	unsigned char *admitted = calloc(STEPS + 10, 1);
	unsigned char *admitted_pending = calloc(STEPS + 10, 1);
	int nrids = 0, step = 0, batches = 0, failed_batches = 0, reopens = 0, replays = 0;
	int64_t now = AT(8, 30);
	while (step < STEPS) {
		int size = 1 + (int)tu_rng_below(&rng, 24);
		int inject = tu_rng_below(&rng, 40) == 0;
		ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
		memset(pending, 0, MAX_RIDS * sizeof *pending);
		memset(admitted_pending, 0, STEPS + 10);
		for (int i = 0; i < size && step < STEPS; i++, step++) {
			vq_book *b = vq_service_book(svc);
			now += tu_rng_below(&rng, 9);
			uint32_t op = tu_rng_below(&rng, 100);
			if (op < 60) {
				int reuse = nrids > 0 && tu_rng_below(&rng, 10) == 0;
				int k = reuse ? (int)tu_rng_below(&rng, (uint32_t)nrids) : nrids++;
				char rid[32], reply[64];
				snprintf(rid, sizeof rid, "kiosk-%d-%06d", k % 7, k);
				vq_request r = {.attr = (int)tu_rng_below(&rng, 3),
				                .tier = (int)tu_rng_below(&rng, 4),
				                .party = 1 + (int)tu_rng_below(&rng, 4),
				                .guest = 1 + tu_rng_below(&rng, 300)};
				int replayed = issue_once(svc, rid, &r, now, reply, sizeof reply);
				const struct rid_answer *known = answers[k].known   ? &answers[k]
				                                 : pending[k].known ? &pending[k]
				                                                    : NULL;
				if (known) {
					ck_assert_msg(replayed,
					              "seed %llu step %d: rid %s answered twice",
					              (unsigned long long)seed, step, rid);
					ck_assert_msg(!strcmp(known->reply, reply),
					              "seed %llu step %d: rid %s: '%s' then '%s'",
					              (unsigned long long)seed, step, rid,
					              known->reply, reply);
					replays++;
				} else {
					ck_assert_msg(!replayed,
					              "seed %llu step %d: new rid %s replayed",
					              (unsigned long long)seed, step, rid);
					pending[k].known = 1;
					snprintf(pending[k].reply, sizeof pending[k].reply, "%s",
					         reply);
				}
			} else if (op < 70 && vq_book_ticket_count(b)) {
				uint64_t id =
				    1 + tu_rng_below(&rng, (uint32_t)vq_book_ticket_count(b));
				vq_book_cancel(b, id, now, NULL);
			} else if (op < 88 && vq_book_ticket_count(b)) {
				uint64_t id =
				    1 + tu_rng_below(&rng, (uint32_t)vq_book_ticket_count(b));
				const vq_ticket *t = vq_book_ticket(b, id);
				char attr[VQ_ID_MAX];
				memcpy(attr, t->attr, sizeof attr);
				vq_verdict v;
				int rc =
				    vq_service_redeem(svc, id, attr, "gate-1", 0, now, &v, NULL);
				if (rc == VQ_OK) {
					ck_assert_msg(!admitted[id] && !admitted_pending[id],
					              "seed %llu step %d: ticket %" PRIu64
					              " admitted twice",
					              (unsigned long long)seed, step, id);
					admitted_pending[id] = 1;
				} else if (admitted[id] || admitted_pending[id]) {
					ck_assert_int_eq(rc, VQ_EUSED);
				}
			} else if (op < 95) {
				int a = (int)tu_rng_below(&rng, 3);
				vq_capacity c = {.throughput_per_hour =
				                     100 + (int)tu_rng_below(&rng, 900),
				                 .fast_share_pct = (int)tu_rng_below(&rng, 101),
				                 .overbook_pct = (int)tu_rng_below(&rng, 30)};
				ck_assert_int_eq(vq_book_set_capacity(b, a, &c, now), VQ_OK);
			} else {
				int a = (int)tu_rng_below(&rng, 3);
				if (vq_book_attr_state(b, a)->status == VQ_ATTR_OPEN)
					ck_assert_int_eq(vq_book_close(b, a, now), VQ_OK);
				else
					ck_assert_int_eq(vq_book_reopen(b, a, now, NULL), VQ_OK);
			}
		}
		if (inject && be == SQLITE)
			vq_store_fail_io_after(1 + tu_rng_below(&rng, 6));
		else if (inject)
			end_session();
		int rc = vq_service_commit(svc);
		vq_store_fail_io_after(0);
		batches++;
		if (rc == VQ_OK) {
			for (int k = 0; k < nrids; k++)
				if (pending[k].known)
					answers[k] = pending[k];
			for (int id = 0; id < STEPS + 10; id++)
				admitted[id] |= admitted_pending[id];
		} else {
			ck_assert_msg(inject, "%s seed %llu: commit failed without a fault: %s",
			              be == PG ? "postgresql" : "sqlite", (unsigned long long)seed,
			              vq_store_errmsg(vq_service_store(svc)));
			failed_batches++;
		}
		/* memory never runs ahead of (or behind) the disk; a full reload is costly, so
		 * after every failed commit and every tenth batch */
		if (rc != VQ_OK || batches % 10 == 0) {
			vq_book *disk = reload(svc);
			char ctx[64];
			snprintf(ctx, sizeof ctx, "seed %llu batch %d", (unsigned long long)seed,
			         batches);
			book_eq(vq_service_book(svc), disk, ctx);
			vq_book_free(disk);
		}
		if (tu_rng_below(&rng, 50) == 0) {
			vq_service_free(svc);
			svc = open_svc();
			reopens++;
		}
	}
	ck_assert_msg(replays > 50 && reopens > 2 && failed_batches > 0,
	              "seed %llu: the run must exercise replays (%d), reopens (%d) and failed "
	              "commits (%d)",
	              (unsigned long long)seed, replays, reopens, failed_batches);
	vq_service_free(svc);
	free(answers);
	free(pending);
	free(admitted);
	free(admitted_pending);
}
END_TEST

static Suite *service_suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("examples");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_issue_commit_reopen, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_rollback_forgets, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_prefetch, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_redeem_once, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_earlier_day_ticket, 0, NBACKENDS);
	tcase_add_test(tc, test_failed_commit_rebuilds);
	tcase_add_test(tc, test_pg_failed_commit_rebuilds);
	tcase_add_test(tc, test_pg_commit_in_doubt);
	tcase_add_loop_test(tc, test_second_writer, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_long_gate_id, 0, NBACKENDS);
	tcase_add_test(tc, test_rebuild_fails_then_recovers);
	suite_add_tcase(s, tc);
	TCase *faults = tcase_create("faults");
	tcase_add_checked_fixture(faults, setup, teardown);
	tcase_set_timeout(faults, 240);
	tcase_add_test(faults, test_fault_every_io);
	tcase_add_test(faults, test_fault_mid_batch);
	suite_add_tcase(s, faults);
	TCase *rnd = tcase_create("random");
	tcase_add_checked_fixture(rnd, setup, teardown);
	tcase_set_timeout(rnd, 280);
	tcase_add_loop_test(rnd, test_random_batches, 0, NSEEDS + PG_SEEDS);
	suite_add_tcase(s, rnd);
	return s;
}

int main(void)
{
	/* One server for every PostgreSQL run; if it cannot start, those runs fail and say
	 * why (setup-deps installs PostgreSQL, so CI has it). */
	if (vq_test_pg_start(&pg) != VQ_OK)
		pg = NULL;
	SRunner *sr = srunner_create(service_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	vq_test_pg_stop(pg);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
