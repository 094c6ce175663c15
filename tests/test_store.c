/* tests/test_store.c — the store, on both backends: schema and migrations, every table's
 * round trip, single-use redemption under a race of processes, group commit and rollback,
 * faults (never a partial batch, never an unopenable store) and rebuilding a day's book.
 *
 * Every test that holds for both backends is a loop test over them (_i: SQLITE, PG); the
 * PostgreSQL runs share one throwaway server (support/pgserver.h) started by main, and each
 * test gets a site, hence a schema, of its own. Faults are each backend's own: SQLite's are
 * injected through its VFS, PostgreSQL's are real (a session ended by the server, a commit
 * cut short while it waits for a synchronous standby, the server killed). Raw SQL is used
 * only to play the part of a newer vq, of corruption or of an administrator.
 */
#include "coordinator/faultvfs.h"
#include "coordinator/store.h"
#include "coordinator/store_report.h"
#include "support/fixtures.h"
#include "support/pgserver.h"
#include "support/tutil.h"

#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DAY 1699920000 /* 2023-11-14 00:00 UTC */

/* The digest a remembered reply is bound to (any 32 bytes will do for the store). */
static const uint8_t DG[VQ_STORE_DIGEST_LEN] = {0xd1, 0x6e, 0x57};

enum { SQLITE, PG, NBACKENDS };
static const char *const BACKEND_NAME[NBACKENDS] = {"sqlite", "postgresql"};

static vq_test_pg *pg; /* one server for the program (main) */
static int be;         /* the backend of the running test */
static char *dir;
static char path[1024];
static char site_id[40], schema[64]; /* PostgreSQL: the test's own site and its schema */
static char err[256];

static void setup(void)
{
	dir = tu_tempdir("store");
	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/vq.db", dir);
	vq_store_fail_io_after(0);
	be = SQLITE;
}

static void teardown(void)
{
	vq_store_fail_io_after(0);
	tu_rmtree(dir);
	free(dir);
	dir = NULL;
}

/* Runs the test on backend b: PostgreSQL must be there (setup-deps installs it). */
static void use(int b)
{
	be = b;
	if (b != PG)
		return;
	ck_assert_msg(pg != NULL, "PostgreSQL is needed and did not start: %s", vq_test_pg_why());
	/* each test runs in a process of its own: the pid makes its site new */
	static int n;
	snprintf(site_id, sizeof site_id, "t%d-%d", (int)getpid(), ++n);
	snprintf(schema, sizeof schema, "vq_site_%s", site_id);
}

static const char *where(void)
{
	return be == PG ? vq_test_pg_uri(pg) : path;
}

static int open_store(vq_store **st)
{
	return vq_store_open(where(), be == PG ? site_id : NULL, NULL, st, err, sizeof err);
}

static vq_store *open_ok(void)
{
	vq_store *st = NULL;
	int rc = open_store(&st);
	ck_assert_msg(rc == VQ_OK, "%s: open: %s (%s)", BACKEND_NAME[be], vq_errname(rc), err);
	ck_assert_str_eq(vq_store_backend(st), BACKEND_NAME[be]);
	return st;
}

static vq_ticket mk_ticket(uint64_t id)
{
	vq_ticket t;
	memset(&t, 0, sizeof t);
	t.id = id;
	snprintf(t.attr, sizeof t.attr, "coaster");
	t.slot_start = DAY + 9 * 3600 + (int64_t)(id % 48) * 900;
	t.win_start = t.slot_start;
	t.win_end = t.slot_start + 3600;
	t.tier = (uint8_t)(id % 2);
	t.party = (uint8_t)(1 + id % 6);
	t.number = (uint16_t)(id % 999 + 1);
	t.guest = id * 7919;
	t.state = VQ_TS_ISSUED;
	t.issued_at = DAY + 8 * 3600;
	return t;
}

static void ck_ticket_eq(const vq_ticket *a, const vq_ticket *b)
{
	ck_assert_uint_eq(a->id, b->id);
	ck_assert_str_eq(a->attr, b->attr);
	ck_assert_int_eq(a->slot_start, b->slot_start);
	ck_assert_int_eq(a->win_start, b->win_start);
	ck_assert_int_eq(a->win_end, b->win_end);
	ck_assert_uint_eq(a->tier, b->tier);
	ck_assert_uint_eq(a->party, b->party);
	ck_assert_uint_eq(a->number, b->number);
	ck_assert_uint_eq(a->guest, b->guest);
	ck_assert_uint_eq(a->state, b->state);
	ck_assert_int_eq(a->issued_at, b->issued_at);
	ck_assert_int_eq(a->valid_from, b->valid_from);
	ck_assert_int_eq(a->valid_until, b->valid_until);
	ck_assert_int_eq(a->used_at, b->used_at);
	ck_assert_str_eq(a->used_gate, b->used_gate);
	ck_assert_uint_eq(a->used_offline, b->used_offline);
	ck_assert_uint_eq(a->kind, b->kind);
	ck_assert_str_eq(a->issued_by, b->issued_by);
}

/* Runs SQL on the database behind the store's back (the store must be closed, or at
 * least outside a batch); PostgreSQL's in the test's schema. */
static void raw_exec(const char *sql)
{
	if (be == PG) {
		ck_assert_int_eq(vq_test_pg_exec(pg, schema, sql, NULL), VQ_OK);
		return;
	}
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

/* Every write is inside a batch (store.h): these open and close one that must work. */
static void begin_ok(vq_store *st)
{
	int rc = vq_store_begin(st);
	ck_assert_msg(rc == VQ_OK, "begin: %s (%s)", vq_errname(rc), vq_store_errmsg(st));
}

static void commit_ok(vq_store *st)
{
	int rc = vq_store_commit(st);
	ck_assert_msg(rc == VQ_OK, "commit: %s (%s)", vq_errname(rc), vq_store_errmsg(st));
}

static int64_t raw_count(const char *sql)
{
	if (be == PG) {
		int64_t n = -1;
		ck_assert_int_eq(vq_test_pg_exec(pg, schema, sql, &n), VQ_OK);
		return n;
	}
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* The schema version as stored, read and written behind the store's back. */
static int64_t raw_version(void)
{
	return raw_count(be == PG ? "SELECT version FROM vq_schema" : "PRAGMA user_version");
}

static void raw_set_version(int v)
{
	char sql[96];
	snprintf(sql, sizeof sql,
	         be == PG ? "UPDATE vq_schema SET version = %d" : "PRAGMA user_version = %d", v);
	raw_exec(sql);
}

/* ---- schema ---- */

START_TEST(test_schema_created)
{
	use(_i);
	vq_store *st = open_ok();
	int v = -1;
	ck_assert_int_eq(vq_store_schema_version(st, &v), VQ_OK);
	ck_assert_int_eq(v, VQ_STORE_SCHEMA_VERSION);
	ck_assert_str_eq(vq_store_errmsg(st), "");
	vq_store_close(st);

	ck_assert_int_eq(raw_version(), VQ_STORE_SCHEMA_VERSION);
	if (be == SQLITE) {
		ck_assert_int_eq(
		    raw_count("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
		              "name IN ('tickets', 'slots', 'attr_state', 'members', "
		              "'requests', 'redemptions', 'audit', 'keys', 'settings')"),
		    9);
		/* WAL is persistent in the file: a plain connection finds it set. */
		ck_assert_int_eq(raw_count("SELECT count(*) FROM pragma_journal_mode WHERE "
		                           "journal_mode = 'wal'"),
		                 1);
	} else {
		/* the site's tables are in its own schema, and nowhere else */
		char sql[512];
		snprintf(sql, sizeof sql,
		         "SELECT count(*) FROM pg_tables WHERE schemaname = '%s' AND tablename IN "
		         "('tickets', 'slots', 'attr_state', 'members', 'requests', 'redemptions', "
		         "'audit', 'keys', 'settings')",
		         schema);
		ck_assert_int_eq(raw_count(sql), 9);
		ck_assert_int_eq(raw_count("SELECT count(*) FROM pg_tables WHERE schemaname = "
		                           "'public'"),
		                 0);
	}

	/* Reopening migrates nothing and keeps the version. */
	st = open_ok();
	ck_assert_int_eq(vq_store_schema_version(st, &v), VQ_OK);
	ck_assert_int_eq(v, VQ_STORE_SCHEMA_VERSION);
	vq_store_close(st);
}
END_TEST

START_TEST(test_reopen_keeps_everything)
{
	use(_i);
	vq_store *st = open_ok();
	vq_ticket t = mk_ticket(5);
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	ck_assert_int_eq(vq_store_put_member(st, "CARD-1", "gold"), VQ_OK);
	ck_assert_int_eq(vq_store_put_request(st, "r1", "issue", DG, "{}", 2, 10), VQ_OK);
	ck_assert_int_eq(vq_store_set_setting(st, "unknown_cards", "refuse"), VQ_OK);
	ck_assert_int_eq(vq_store_audit(st, 11, "op", "close", "{\"attr\":\"coaster\"}"), VQ_OK);
	commit_ok(st);
	vq_store_close(st);

	st = open_ok();
	vq_ticket got;
	ck_assert_int_eq(vq_store_get_ticket(st, 5, &got), VQ_OK);
	ck_ticket_eq(&got, &t);
	char tier[VQ_ID_MAX];
	ck_assert_int_eq(vq_store_get_member(st, "CARD-1", tier), VQ_OK);
	ck_assert_str_eq(tier, "gold");
	char *reply = NULL;
	size_t len = 0;
	ck_assert_int_eq(vq_store_get_request(st, "r1", "issue", DG, &reply, &len), VQ_OK);
	ck_assert_str_eq(reply, "{}");
	free(reply);
	char val[32];
	ck_assert_int_eq(vq_store_get_setting(st, "unknown_cards", val, sizeof val), VQ_OK);
	ck_assert_str_eq(val, "refuse");
	int64_t n = 0;
	ck_assert_int_eq(vq_store_audit_count(st, &n), VQ_OK);
	ck_assert_int_eq(n, 1);
	uint64_t next = 0;
	ck_assert_int_eq(vq_store_next_ticket_id(st, &next), VQ_OK);
	ck_assert_uint_eq(next, 6);
	vq_store_close(st);
}
END_TEST

/* A database of schema 2 (before accessibility passes) is migrated at open: its tickets
 * become fast-lane tickets of an unknown account, and nothing else changes. */
START_TEST(test_migrates_schema_2)
{
	use(_i);
	vq_store *st = open_ok();
	vq_ticket t = mk_ticket(5);
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	commit_ok(st);
	vq_store_close(st);
	raw_exec("ALTER TABLE tickets DROP COLUMN kind; ALTER TABLE tickets DROP COLUMN issued_by");
	raw_set_version(2);
	ck_assert_int_eq(raw_version(), 2);
	st = open_ok();
	int v = -1;
	ck_assert_int_eq(vq_store_schema_version(st, &v), VQ_OK);
	ck_assert_int_eq(v, VQ_STORE_SCHEMA_VERSION);
	vq_ticket got;
	ck_assert_int_eq(vq_store_get_ticket(st, 5, &got), VQ_OK);
	ck_ticket_eq(&got, &t);
	ck_assert_uint_eq(got.kind, VQ_TK_FAST);
	ck_assert_str_eq(got.issued_by, "");
	vq_store_close(st);
}
END_TEST

START_TEST(test_future_version_refused)
{
	use(_i);
	vq_store_close(open_ok());
	raw_set_version(99);
	vq_store *st = (vq_store *)1;
	int rc = open_store(&st);
	ck_assert_int_eq(rc, VQ_ESTORE);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err, "newer") && strstr(err, "99"), "message: %s", err);
	/* Refusing wrote nothing: the version is still the future one. */
	ck_assert_int_eq(raw_version(), 99);
}
END_TEST

START_TEST(test_not_a_database)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 512; i++)
		fputs("this is not sqlite ", f);
	fclose(f);
	vq_store *st = NULL;
	ck_assert_int_eq(vq_store_open(path, NULL, NULL, &st, err, sizeof err), VQ_ESTORE);
	ck_assert_ptr_null(st);
	ck_assert(err[0] != '\0');

	/* Another application's SQLite file is not ours either. */
	unlink(path);
	raw_exec("PRAGMA application_id = 1234; CREATE TABLE x (y)");
	ck_assert_int_eq(vq_store_open(path, NULL, NULL, &st, err, sizeof err), VQ_ESTORE);
	ck_assert_msg(strstr(err, "not a vq database"), "message: %s", err);

	ck_assert_int_eq(vq_store_open(NULL, NULL, NULL, &st, err, sizeof err), VQ_EINVAL);
}
END_TEST

START_TEST(test_pg_not_ours)
{
	use(PG);
	vq_store *st = (vq_store *)1;
	/* A schema of the site's name that holds someone else's tables. */
	char sql[256];
	snprintf(sql, sizeof sql, "CREATE SCHEMA \"%s\"; CREATE TABLE x (y int)", schema);
	raw_exec(sql);
	ck_assert_int_eq(open_store(&st), VQ_ESTORE);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err, "not vq's"), "message: %s", err);
	/* ... or a version table that is not vq's site schema's. */
	raw_exec("DROP TABLE x; CREATE TABLE vq_schema (app text, version int);"
	         " INSERT INTO vq_schema VALUES ('vq-chain', 1)");
	ck_assert_int_eq(open_store(&st), VQ_ESTORE);
	ck_assert_msg(strstr(err, "not a vq site schema"), "message: %s", err);
	/* Nothing was written to them. */
	ck_assert_int_eq(
	    raw_count("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"), 1);

	/* A site is required; its id is checked. */
	ck_assert_int_eq(vq_store_open(where(), NULL, NULL, &st, err, sizeof err), VQ_EINVAL);
	ck_assert_msg(strstr(err, "site"), "message: %s", err);
	ck_assert_int_eq(vq_store_open(where(), "Bad Site", NULL, &st, err, sizeof err), VQ_EINVAL);
	ck_assert_int_eq(vq_store_open(where(), "ok", "bad\"chain", &st, err, sizeof err),
	                 VQ_EINVAL);

	/* Nobody listening: refused at once, with libpq's reason. */
	int fd, port;
	ck_assert_int_ge(fd = tu_hold_port(&port), 0);
	char uri[128];
	snprintf(uri, sizeof uri, "postgresql://postgres@127.0.0.1:%d/vq", port);
	ck_assert_int_eq(vq_store_open(uri, site_id, NULL, &st, err, sizeof err), VQ_ESTORE);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err, "connect"), "message: %s", err);
	close(fd);
}
END_TEST

/* ---- tickets ---- */

START_TEST(test_ticket_roundtrip)
{
	use(_i);
	vq_store *st = open_ok();
	vq_ticket t;
	memset(&t, 0, sizeof t);
	t.id = ((uint64_t)1 << 62) + 3; /* large, but below 2^63 */
	snprintf(t.attr, sizeof t.attr, "%s", "abcdefghijklmnopqrstuvwxyz01234"); /* 31 bytes */
	t.slot_start = -5;
	t.win_start = INT64_MAX - 1;
	t.win_end = INT64_MIN + 1;
	t.tier = 255;
	t.party = VQ_MAX_PARTY;
	t.number = 65535;
	t.guest = UINT64_MAX - 12345; /* beyond int64: stored bit for bit */
	t.state = VQ_TS_ANYTIME;
	t.issued_at = 123456789;
	t.valid_from = 987654321;
	t.valid_until = 987654999;
	t.used_at = 42;
	snprintf(t.used_gate, sizeof t.used_gate, "gate-%s", "north-7");
	t.used_offline = 1;
	t.kind = VQ_TK_ACCESS;
	snprintf(t.issued_by, sizeof t.issued_by, "%s", "desk-abcdefghijklmnopqrstuvwxy"); /* 30 */
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK); /* writing it twice is fine */

	vq_ticket got;
	memset(&got, 0xAA, sizeof got);
	ck_assert_int_eq(vq_store_get_ticket(st, t.id, &got), VQ_OK);
	ck_ticket_eq(&got, &t);
	ck_assert_int_eq(vq_store_get_ticket(st, 77, &got), VQ_ENOTICKET);
	ck_assert_int_eq(vq_store_get_ticket(st, UINT64_MAX, &got), VQ_ENOTICKET);

	uint64_t next = 0;
	ck_assert_int_eq(vq_store_next_ticket_id(st, &next), VQ_OK);
	ck_assert_uint_eq(next, t.id + 1);

	/* State moves forward only: anytime -> redeemed is fine, back to issued is not. */
	vq_ticket r = t;
	r.state = VQ_TS_REDEEMED;
	ck_assert_int_eq(vq_store_put_ticket(st, &r), VQ_OK);
	vq_ticket back = t;
	back.state = VQ_TS_ISSUED;
	ck_assert_int_eq(vq_store_put_ticket(st, &back), VQ_ESTATE);
	ck_assert_int_eq(vq_store_get_ticket(st, t.id, &got), VQ_OK);
	ck_assert_uint_eq(got.state, VQ_TS_REDEEMED);

	/* Invalid tickets never reach the table. */
	vq_ticket bad = mk_ticket(1);
	bad.id = 0;
	ck_assert_int_eq(vq_store_put_ticket(st, &bad), VQ_EINVAL);
	bad = mk_ticket(1);
	bad.id = (uint64_t)INT64_MAX + 1;
	ck_assert_int_eq(vq_store_put_ticket(st, &bad), VQ_EINVAL);
	bad = mk_ticket(1);
	bad.state = 9;
	ck_assert_int_eq(vq_store_put_ticket(st, &bad), VQ_EINVAL);
	bad = mk_ticket(1);
	memset(bad.attr, 'a', sizeof bad.attr); /* not terminated */
	ck_assert_int_eq(vq_store_put_ticket(st, &bad), VQ_EINVAL);
	bad = mk_ticket(1);
	bad.attr[0] = '\0';
	ck_assert_int_eq(vq_store_put_ticket(st, &bad), VQ_EINVAL);
	bad = mk_ticket(1);
	bad.kind = 2;
	ck_assert_int_eq(vq_store_put_ticket(st, &bad), VQ_EINVAL);
	bad = mk_ticket(1);
	memset(bad.issued_by, 'k', sizeof bad.issued_by); /* not terminated */
	ck_assert_int_eq(vq_store_put_ticket(st, &bad), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_ticket(st, NULL), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_ticket(NULL, &t), VQ_EINVAL);
	ck_assert_int_eq(vq_store_get_ticket(st, 0, &got), VQ_EINVAL);
	/* refusals of bad arguments and of a state going back do not kill the batch */
	ck_assert(vq_store_batch_ok(st));
	commit_ok(st);
	ck_assert_int_eq(vq_store_get_ticket(st, t.id, &got), VQ_OK);
	ck_assert_uint_eq(got.state, VQ_TS_REDEEMED);
	vq_store_close(st);
}
END_TEST

/* ---- request ids ---- */

START_TEST(test_requests)
{
	use(_i);
	vq_store *st = open_ok();
	const char first[] = "{\"ok\":true,\"ticket\":7}\0tail"; /* bytes, NUL inside */
	const size_t flen = sizeof first - 1;
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_request(st, "kiosk-3:000001", "issue", DG, first, flen, 100),
	                 VQ_OK);
	ck_assert_int_eq(
	    vq_store_put_request(st, "kiosk-3:000001", "issue", DG, "{\"other\":1}", 11, 101),
	    VQ_EEXISTS);

	char *reply = NULL;
	size_t len = 0;
	ck_assert_int_eq(vq_store_get_request(st, "kiosk-3:000001", "issue", DG, &reply, &len),
	                 VQ_OK);
	ck_assert_uint_eq(len, flen);
	ck_assert_mem_eq(reply, first, flen);
	ck_assert_int_eq(reply[len], '\0');
	free(reply);

	ck_assert_int_eq(vq_store_get_request(st, "nope", "issue", DG, &reply, &len), VQ_ENOTFOUND);
	ck_assert_ptr_null(reply);
	/* The rid is bound to what it asked: another verb or another request is refused. */
	uint8_t other[VQ_STORE_DIGEST_LEN];
	memcpy(other, DG, sizeof other);
	other[31] ^= 1;
	ck_assert_int_eq(vq_store_get_request(st, "kiosk-3:000001", "cancel", DG, &reply, &len),
	                 VQ_ERIDREUSED);
	ck_assert_ptr_null(reply);
	ck_assert_int_eq(vq_store_get_request(st, "kiosk-3:000001", "issue", other, &reply, &len),
	                 VQ_ERIDREUSED);
	ck_assert_ptr_null(reply);
	ck_assert_int_eq(vq_store_put_request(st, "k", "issue", NULL, "a", 1, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_get_request(st, "k", "issue", NULL, &reply, &len), VQ_EINVAL);

	/* An empty reply is a reply. */
	ck_assert_int_eq(vq_store_put_request(st, "empty", "cancel", DG, NULL, 0, 1), VQ_OK);
	ck_assert_int_eq(vq_store_get_request(st, "empty", "cancel", DG, &reply, &len), VQ_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(reply, "");
	free(reply);

	/* old replies are forgotten, recent ones kept */
	ck_assert_int_eq(vq_store_put_request(st, "old-1", "issue", DG, "x", 1, 100), VQ_OK);
	ck_assert_int_eq(vq_store_put_request(st, "new-1", "issue", DG, "y", 1, 5000), VQ_OK);
	int64_t removed = -1;
	ck_assert_int_eq(vq_store_prune_requests(st, 1000, &removed), VQ_OK);
	ck_assert_int_ge(removed, 1);
	ck_assert_int_eq(vq_store_get_request(st, "old-1", "issue", DG, &reply, &len),
	                 VQ_ENOTFOUND);
	ck_assert_int_eq(vq_store_get_request(st, "new-1", "issue", DG, &reply, &len), VQ_OK);
	free(reply);

	char rid[VQ_STORE_RID_MAX + 8];
	memset(rid, 'x', VQ_STORE_RID_MAX);
	rid[VQ_STORE_RID_MAX] = '\0';
	ck_assert_int_eq(vq_store_put_request(st, rid, "issue", DG, "a", 1, 1), VQ_OK);
	rid[VQ_STORE_RID_MAX] = 'x';
	rid[VQ_STORE_RID_MAX + 1] = '\0';
	ck_assert_int_eq(vq_store_put_request(st, rid, "issue", DG, "a", 1, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_request(st, "", "issue", DG, "a", 1, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_request(st, "a\nb", "issue", DG, "a", 1, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_request(st, NULL, "issue", DG, "a", 1, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_request(st, "k", NULL, DG, "a", 1, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_request(st, "k", "issue", DG, NULL, 3, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_get_request(st, rid, "issue", DG, &reply, &len), VQ_EINVAL);
	commit_ok(st);
	ck_assert_int_eq(vq_store_get_request(st, "new-1", "issue", DG, &reply, &len), VQ_OK);
	free(reply);
	vq_store_close(st);

	/* A reply kept before digests existed (schema 1) is bound to its verb alone. */
	raw_exec(be == PG ? "INSERT INTO requests (rid, kind, reply, at) VALUES ('old', 'redeem',"
	                    " '\\x7b7d', 1)"
	                  : "INSERT INTO requests (rid, kind, reply, at) VALUES ('old', 'redeem',"
	                    " X'7b7d', 1)");
	st = open_ok();
	ck_assert_int_eq(vq_store_get_request(st, "old", "redeem", other, &reply, &len), VQ_OK);
	ck_assert_str_eq(reply, "{}");
	free(reply);
	ck_assert_int_eq(vq_store_get_request(st, "old", "override", DG, &reply, &len),
	                 VQ_ERIDREUSED);
	vq_store_close(st);
}
END_TEST

/* ---- many rows at once ---- */

static int on_reply(void *arg, size_t i, const char *reply, size_t len, const char *kind,
                    const uint8_t *digest)
{
	char(*got)[64] = arg;
	ck_assert_uint_lt(len, 63);
	ck_assert(!strcmp(kind, "issue") || !strcmp(kind, "cancel"));
	ck_assert_ptr_nonnull(digest);
	ck_assert_mem_eq(digest, DG, VQ_STORE_DIGEST_LEN);
	memcpy(got[i], reply, len);
	got[i][len] = '\0';
	return VQ_OK;
}

START_TEST(test_many_rows)
{
	use(_i);
	vq_store *st = open_ok();
	vq_ticket t[3] = {mk_ticket(1), mk_ticket(2), mk_ticket(3)};
	snprintf(t[2].used_gate, sizeof t[2].used_gate, "g\"a\\te"); /* quoted in arrays */
	const vq_ticket *tp[3] = {&t[0], &t[1], &t[2]};
	vq_store_slot slots[2] = {{"coaster", 0, {.start = DAY + 9 * 3600, .cap = 75, .taken = 3}},
	                          {"wheel", 4, {.start = DAY + 11 * 3600, .cap = 10, .taken = 0}}};
	vq_store_attr attrs[1] = {{"coaster",
	                           {.status = VQ_ATTR_CLOSED,
	                            .closed_at = DAY + 10 * 3600,
	                            .throughput_per_hour = 600,
	                            .fast_share_pct = 50,
	                            .overbook_pct = 10,
	                            .next_number = 42}}};
	vq_store_rows rows = {.day_start = DAY,
	                      .tickets = tp,
	                      .ntickets = 3,
	                      .slots = slots,
	                      .nslots = 2,
	                      .attrs = attrs,
	                      .nattrs = 1};
	ck_assert_int_eq(vq_store_put_rows(st, &rows), VQ_EINVAL); /* outside a batch */
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_rows(st, &rows), VQ_OK);
	ck_assert_int_eq(vq_store_put_rows(st, &rows), VQ_OK); /* the same twice is fine */
	const char quote[] = "{\"ok\":true,\"x\":\"a\\\"b\"}";
	vq_store_reply r[3] = {{"kiosk-1/a", "issue", DG, quote, sizeof quote - 1, 5},
	                       {"kiosk-1/q\"uo\\te", "issue", DG, "bin\0ary", 7, 5},
	                       {"kiosk-2/e", "cancel", DG, "", 0, 6}};
	ck_assert_int_eq(vq_store_put_requests(st, r, 3), VQ_OK);
	commit_ok(st);

	vq_ticket got;
	for (int k = 0; k < 3; k++) {
		ck_assert_int_eq(vq_store_get_ticket(st, t[k].id, &got), VQ_OK);
		ck_ticket_eq(&got, &t[k]);
	}
	ck_assert_int_eq(raw_count("SELECT cap FROM slots WHERE attr = 'coaster' AND slot = 0"),
	                 75);
	ck_assert_int_eq(raw_count("SELECT taken FROM slots WHERE attr = 'coaster' AND slot = 0"),
	                 3);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM slots"), 2);
	ck_assert_int_eq(raw_count("SELECT next_number FROM attr_state WHERE attr = 'coaster'"),
	                 42);
	ck_assert_int_eq(raw_count("SELECT overbook FROM attr_state WHERE attr = 'coaster'"), 10);

	/* read back at once: found ones by their index, the unknown one not at all */
	const char *ids[4] = {"kiosk-2/e", "nobody/x", "kiosk-1/q\"uo\\te", "kiosk-1/a"};
	char replies[4][64];
	memset(replies, '#', sizeof replies);
	ck_assert_int_eq(vq_store_get_requests(st, ids, 4, on_reply, replies), VQ_OK);
	ck_assert_str_eq(replies[0], "");
	ck_assert_int_eq(replies[1][0], '#');
	ck_assert_mem_eq(replies[2], "bin\0ary", 7);
	ck_assert_str_eq(replies[3], quote);
	char *one = NULL;
	size_t len = 0;
	ck_assert_int_eq(vq_store_get_request(st, "kiosk-1/q\"uo\\te", "issue", DG, &one, &len),
	                 VQ_OK);
	ck_assert_uint_eq(len, 7);
	free(one);

	/* a ticket that would move back, or a reply already there, kills the batch */
	begin_ok(st);
	vq_ticket back = t[0];
	back.state = VQ_TS_REDEEMED;
	const vq_ticket *bp[1] = {&back};
	vq_store_rows fwd = {.day_start = DAY, .tickets = bp, .ntickets = 1};
	ck_assert_int_eq(vq_store_put_rows(st, &fwd), VQ_OK);
	commit_ok(st);
	begin_ok(st);
	vq_ticket t4 = mk_ticket(4);
	const vq_ticket *bad[2] = {&t4, &t[0]}; /* t[0] is issued: back from redeemed */
	vq_store_rows mixed = {.day_start = DAY, .tickets = bad, .ntickets = 2};
	ck_assert_int_eq(vq_store_put_rows(st, &mixed), VQ_ESTATE);
	ck_assert(!vq_store_batch_ok(st));
	ck_assert_int_eq(vq_store_commit(st), VQ_ESTORE);
	ck_assert_int_eq(vq_store_get_ticket(st, 4, &got), VQ_ENOTICKET);
	begin_ok(st);
	vq_store_reply again[2] = {{"kiosk-9/new", "issue", DG, "n", 1, 7}, r[0]};
	ck_assert_int_eq(vq_store_put_requests(st, again, 2), VQ_EEXISTS);
	ck_assert(!vq_store_batch_ok(st));
	ck_assert_int_eq(vq_store_commit(st), VQ_ESTORE);
	ck_assert_int_eq(vq_store_get_request(st, "kiosk-9/new", "issue", DG, &one, &len),
	                 VQ_ENOTFOUND);

	/* bad arguments change nothing */
	begin_ok(st);
	vq_store_reply badrid[2] = {{"a\nb", "issue", DG, "x", 1, 1},
	                            {"ok", "issue", NULL, "x", 1, 1}};
	ck_assert_int_eq(vq_store_put_requests(st, badrid, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_requests(st, badrid + 1, 1), VQ_EINVAL); /* no digest */
	vq_store_slot badslot[1] = {{"Coaster", 0, {.cap = 1}}};
	vq_store_rows br = {.day_start = DAY, .slots = badslot, .nslots = 1};
	ck_assert_int_eq(vq_store_put_rows(st, &br), VQ_EINVAL);
	ck_assert(vq_store_batch_ok(st));
	commit_ok(st);
	const char *badids[1] = {""};
	ck_assert_int_eq(vq_store_get_requests(st, badids, 1, on_reply, replies), VQ_EINVAL);

	/* The end of a batch in one call: rows, replies and the commit; anything refused and
	 * nothing of the batch is kept (on PostgreSQL the refusal happens on the server, in
	 * the same round trip as the COMMIT queued behind it). */
	ck_assert_int_eq(vq_store_commit_rows(st, &rows, r, 3), VQ_EINVAL); /* outside a batch */
	begin_ok(st);
	vq_ticket t5 = mk_ticket(5);
	const vq_ticket *t5p[1] = {&t5};
	vq_store_slot s5[1] = {{"coaster", 7, {.start = DAY + 12 * 3600, .cap = 9, .taken = 1}}};
	vq_store_rows rows5 = {
	    .day_start = DAY, .tickets = t5p, .ntickets = 1, .slots = s5, .nslots = 1};
	vq_store_reply r5[1] = {{"kiosk-5/one", "issue", DG, "five", 4, 8}};
	ck_assert_int_eq(vq_store_commit_rows(st, &br, r5, 1), VQ_EINVAL); /* still open */
	ck_assert(vq_store_batch_ok(st));
	ck_assert_int_eq(vq_store_commit_rows(st, &rows5, r5, 1), VQ_OK);
	ck_assert_int_eq(vq_store_get_ticket(st, 5, &got), VQ_OK);
	ck_assert_int_eq(raw_count("SELECT taken FROM slots WHERE attr = 'coaster' AND slot = 7"),
	                 1);
	ck_assert_int_eq(vq_store_get_request(st, "kiosk-5/one", "issue", DG, &one, &len), VQ_OK);
	free(one);
	/* a ticket moving back: refused, and the new ticket, slot and reply with it */
	begin_ok(st);
	vq_ticket t6 = mk_ticket(6);
	const vq_ticket *b6[2] = {&t6, &t[0]};
	s5[0].view.taken = 2;
	vq_store_rows rows6 = {
	    .day_start = DAY, .tickets = b6, .ntickets = 2, .slots = s5, .nslots = 1};
	vq_store_reply r6[1] = {{"kiosk-6/one", "issue", DG, "six", 3, 9}};
	ck_assert_int_eq(vq_store_commit_rows(st, &rows6, r6, 1), VQ_ESTORE);
	ck_assert_int_eq(vq_store_get_ticket(st, 6, &got), VQ_ENOTICKET);
	ck_assert_int_eq(raw_count("SELECT taken FROM slots WHERE attr = 'coaster' AND slot = 7"),
	                 1);
	ck_assert_int_eq(vq_store_get_request(st, "kiosk-6/one", "issue", DG, &one, &len),
	                 VQ_ENOTFOUND);
	/* a reply already remembered: the same */
	begin_ok(st);
	const vq_ticket *t6p[1] = {&t6};
	vq_store_rows rows7 = {.day_start = DAY, .tickets = t6p, .ntickets = 1};
	vq_store_reply r7[2] = {{"kiosk-7/one", "issue", DG, "7", 1, 9}, r5[0]};
	ck_assert_int_eq(vq_store_commit_rows(st, &rows7, r7, 2), VQ_ESTORE);
	ck_assert_int_eq(vq_store_get_ticket(st, 6, &got), VQ_ENOTICKET);
	ck_assert_int_eq(vq_store_get_request(st, "kiosk-7/one", "issue", DG, &one, &len),
	                 VQ_ENOTFOUND);
	/* the store goes on: a batch after them commits */
	begin_ok(st);
	ck_assert_int_eq(vq_store_commit_rows(st, &rows7, r7, 1), VQ_OK);
	ck_assert_int_eq(vq_store_get_ticket(st, 6, &got), VQ_OK);
	vq_store_close(st);
}
END_TEST

/* ---- members, audit, keys, settings ---- */

START_TEST(test_members)
{
	use(_i);
	vq_store *st = open_ok();
	int64_t n = -1;
	ck_assert_int_eq(vq_store_member_count(st, &n), VQ_OK);
	ck_assert_int_eq(n, 0);
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_member(st, "4111 2222 3333", "silver"), VQ_OK);
	ck_assert_int_eq(vq_store_put_member(st, "A", "gold"), VQ_OK);
	char tier[VQ_ID_MAX];
	ck_assert_int_eq(vq_store_get_member(st, "4111 2222 3333", tier), VQ_OK);
	ck_assert_str_eq(tier, "silver");
	ck_assert_int_eq(vq_store_put_member(st, "4111 2222 3333", "platinum_2"), VQ_OK);
	ck_assert_int_eq(vq_store_get_member(st, "4111 2222 3333", tier), VQ_OK);
	ck_assert_str_eq(tier, "platinum_2");
	ck_assert_int_eq(vq_store_member_count(st, &n), VQ_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(vq_store_get_member(st, "B", tier), VQ_ENOTFOUND);

	char card[40];
	memset(card, '7', 32);
	card[32] = '\0';
	ck_assert_int_eq(vq_store_put_member(st, card, "gold"), VQ_OK);
	card[32] = '7';
	card[33] = '\0';
	ck_assert_int_eq(vq_store_put_member(st, card, "gold"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_member(st, "", "gold"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_member(st, "bad\x01", "gold"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_member(st, "caf\xc3\xa9", "gold"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_member(st, NULL, "gold"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_member(st, "C", "Gold"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_member(st, "C", "go ld"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_member(st, "C", ""), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_member(st, "C", "abcdefghijklmnopqrstuvwxyz012345"),
	                 VQ_EINVAL); /* 32 bytes */
	ck_assert_int_eq(vq_store_put_member(st, "C", "abcdefghijklmnopqrstuvwxyz01234"), VQ_OK);
	ck_assert_int_eq(vq_store_get_member(st, card, tier), VQ_EINVAL);
	commit_ok(st);
	ck_assert_int_eq(vq_store_member_count(st, &n), VQ_OK);
	ck_assert_int_eq(n, 4);

	/* A batch looks its cards up at once: the answers are the same, what it writes after
	 * is seen, and nothing outlives it. */
	const char *const cards[] = {"A", "B", "4111 2222 3333", "A"};
	ck_assert_int_eq(vq_store_prefetch_members(st, cards, 4), VQ_EINVAL); /* not in a batch */
	begin_ok(st);
	ck_assert_int_eq(vq_store_prefetch_members(st, (const char *const[]){"bad\x01"}, 1),
	                 VQ_EINVAL);
	ck_assert_int_eq(vq_store_prefetch_members(st, cards, 4), VQ_OK);
	ck_assert_int_eq(vq_store_get_member(st, "A", tier), VQ_OK);
	ck_assert_str_eq(tier, "gold");
	ck_assert_int_eq(vq_store_get_member(st, "4111 2222 3333", tier), VQ_OK);
	ck_assert_str_eq(tier, "platinum_2");
	ck_assert_int_eq(vq_store_get_member(st, "B", tier), VQ_ENOTFOUND);
	ck_assert_int_eq(vq_store_put_member(st, "B", "silver"), VQ_OK);
	ck_assert_int_eq(vq_store_get_member(st, "B", tier), VQ_OK);
	ck_assert_str_eq(tier, "silver");
	ck_assert_int_eq(vq_store_get_member(st, "C", tier), VQ_OK); /* not looked up: read */
	vq_store_rollback(st);
	ck_assert_int_eq(vq_store_get_member(st, "B", tier), VQ_ENOTFOUND);
	vq_store_close(st);
}
END_TEST

static int64_t store_session(void);

/* PostgreSQL: the cards a batch looked up are answered without the server (the session
 * gone, they still are; a card not looked up then fails, as any read would). */
START_TEST(test_pg_members_prefetched)
{
	use(PG);
	vq_store *st = open_ok();
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_member(st, "A", "gold"), VQ_OK);
	commit_ok(st);
	begin_ok(st);
	ck_assert_int_eq(vq_store_prefetch_members(st, (const char *const[]){"A", "Z"}, 2), VQ_OK);
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)store_session());
	raw_exec(sql);
	char tier[VQ_ID_MAX];
	ck_assert_int_eq(vq_store_get_member(st, "A", tier), VQ_OK);
	ck_assert_str_eq(tier, "gold");
	ck_assert_int_eq(vq_store_get_member(st, "Z", tier), VQ_ENOTFOUND);
	ck_assert_int_eq(vq_store_get_member(st, "Q", tier), VQ_ESTORE);
	ck_assert_int_eq(vq_store_commit(st), VQ_ESTORE);
	vq_store_close(st);
}
END_TEST

struct recent {
	int n;
	int64_t id[8], at[8];
	char actor[8][32], action[8][32], detail[8][64];
};

static int recent_add(void *arg, const vq_audit_entry *e)
{
	struct recent *r = arg;
	ck_assert_int_lt(r->n, 8);
	r->id[r->n] = e->id;
	r->at[r->n] = e->at;
	snprintf(r->actor[r->n], sizeof r->actor[0], "%s", e->actor);
	snprintf(r->action[r->n], sizeof r->action[0], "%s", e->action);
	snprintf(r->detail[r->n], sizeof r->detail[0], "%s", e->detail ? e->detail : "(null)");
	r->n++;
	return 0;
}

START_TEST(test_audit)
{
	use(_i);
	vq_store *st = open_ok();
	int64_t n = -1;
	ck_assert_int_eq(vq_store_audit_count(st, &n), VQ_OK);
	ck_assert_int_eq(n, 0);
	begin_ok(st);
	ck_assert_int_eq(vq_store_audit(st, 1, "vqctl:alice", "capacity", "{\"overbook\":10}"),
	                 VQ_OK);
	ck_assert_int_eq(vq_store_audit(st, 2, "vqctl:alice", "close", NULL), VQ_OK);
	ck_assert_int_eq(vq_store_audit(st, 3, "vqd", "key-rotate", "{}"), VQ_OK);
	ck_assert_int_eq(vq_store_audit(st, 4, "", "close", NULL), VQ_EINVAL);
	ck_assert_int_eq(vq_store_audit(st, 4, "x", NULL, NULL), VQ_EINVAL);
	commit_ok(st);
	ck_assert_int_eq(vq_store_audit_count(st, &n), VQ_OK);
	ck_assert_int_eq(n, 3);

	/* the newest first, from a time on, of one action or all (the console's audit) */
	struct recent r = {0};
	ck_assert_int_eq(vq_store_audit_recent(st, 0, NULL, 10, recent_add, &r), VQ_OK);
	ck_assert_int_eq(r.n, 3);
	ck_assert_str_eq(r.action[0], "key-rotate");
	ck_assert_str_eq(r.action[2], "capacity");
	ck_assert_str_eq(r.detail[0], "{}");
	ck_assert_str_eq(r.detail[1], "(null)");
	ck_assert_int_gt(r.id[0], r.id[1]);
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(vq_store_audit_recent(st, 2, NULL, 1, recent_add, &r), VQ_OK);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.at[0], 3);
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(vq_store_audit_recent(st, 0, "close", 10, recent_add, &r), VQ_OK);
	ck_assert_int_eq(r.n, 1);
	ck_assert_str_eq(r.actor[0], "vqctl:alice");
	ck_assert_int_eq(vq_store_audit_recent(st, 0, NULL, 0, recent_add, &r), VQ_EINVAL);
	ck_assert_int_eq(vq_store_audit_recent(st, 0, "a\tb", 10, recent_add, &r), VQ_EINVAL);
	vq_store_close(st);
}
END_TEST

START_TEST(test_keys)
{
	use(_i);
	vq_store *st = open_ok();
	uint8_t pk[3][32];
	for (int k = 0; k < 3; k++)
		memset(pk[k], 0x10 + k, sizeof pk[k]);
	uint8_t kid = 0, gpk[32];
	ck_assert_int_eq(vq_store_get_active_key(st, &kid, gpk), VQ_ENOTFOUND);
	vq_keyring ring;
	ck_assert_int_eq(vq_store_get_keyring(st, &ring), VQ_OK);
	ck_assert_int_eq(ring.count, 0);

	begin_ok(st);
	ck_assert_int_eq(vq_store_put_key(st, 1, pk[0], 1, 100), VQ_OK);
	commit_ok(st);
	ck_assert_int_eq(vq_store_get_active_key(st, &kid, gpk), VQ_OK);
	ck_assert_uint_eq(kid, 1);
	ck_assert_mem_eq(gpk, pk[0], 32);

	/* Rotation: the new active key takes over; the old one stops signing then, and still
	 * verifies. */
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_key(st, 2, pk[1], 1, 200), VQ_OK);
	ck_assert_int_eq(vq_store_put_key(st, 255, pk[2], 0, 300), VQ_OK);
	commit_ok(st);
	ck_assert_int_eq(vq_store_get_active_key(st, &kid, gpk), VQ_OK);
	ck_assert_uint_eq(kid, 2);
	vq_store_key k;
	ck_assert_int_eq(vq_store_get_key(st, 1, &k), VQ_OK);
	ck_assert_int_eq(k.active, 0);
	ck_assert_int_eq(k.created, 100);
	ck_assert_int_eq(k.deactivated, 200);
	ck_assert_int_eq(k.retired, 0);
	ck_assert_int_eq(vq_store_get_key(st, 2, &k), VQ_OK);
	ck_assert_int_eq(k.active, 1);
	ck_assert_int_eq(k.deactivated, 0);
	ck_assert_int_eq(vq_store_get_key(st, 7, &k), VQ_ENOTFOUND);

	/* Rolled back with the batch. */
	ck_assert_int_eq(vq_store_begin(st), VQ_OK);
	ck_assert_int_eq(vq_store_put_key(st, 255, pk[2], 1, 300), VQ_OK);
	ck_assert_int_eq(vq_store_get_active_key(st, &kid, gpk), VQ_OK);
	ck_assert_uint_eq(kid, 255);
	ck_assert_int_eq(vq_store_rollback(st), VQ_OK);
	ck_assert_int_eq(vq_store_get_active_key(st, &kid, gpk), VQ_OK);
	ck_assert_uint_eq(kid, 2);

	ck_assert_int_eq(vq_store_get_keyring(st, &ring), VQ_OK);
	ck_assert_int_eq(ring.count, 3);
	int seen = 0;
	for (int i = 0; i < ring.count; i++) {
		int n = ring.keys[i].kid == 1 ? 0 : ring.keys[i].kid == 2 ? 1 : 2;
		ck_assert_mem_eq(ring.keys[i].pk, pk[n], 32);
		seen |= 1 << n;
	}
	ck_assert_int_eq(seen, 7);

	/* Retiring: not the active key, not twice, only inside a batch; the ring loses it,
	 * the history keeps it. */
	ck_assert_int_eq(vq_store_retire_key(st, 1, 400), VQ_EINVAL);
	begin_ok(st);
	ck_assert_int_eq(vq_store_retire_key(st, 2, 400), VQ_ESTATE);
	ck_assert_int_eq(vq_store_retire_key(st, 9, 400), VQ_ENOTFOUND);
	ck_assert_int_eq(vq_store_retire_key(st, 1, 400), VQ_OK);
	ck_assert_int_eq(vq_store_retire_key(st, 1, 401), VQ_ENOTFOUND);
	ck_assert_int_eq(vq_store_get_key(st, 1, &k), VQ_OK);
	ck_assert_int_eq(k.retired, 400);
	ck_assert_int_eq(vq_store_get_keyring(st, &ring), VQ_OK);
	ck_assert_int_eq(ring.count, 2);
	for (int i = 0; i < ring.count; i++)
		ck_assert_uint_ne(ring.keys[i].kid, 1);
	/* a retired kid may be given to a new key, whose history starts afresh */
	ck_assert_int_eq(vq_store_put_key(st, 1, pk[2], 1, 500), VQ_OK);
	ck_assert_int_eq(vq_store_get_key(st, 1, &k), VQ_OK);
	ck_assert_int_eq(k.retired, 0);
	ck_assert_int_eq(k.created, 500);
	ck_assert_int_eq(k.active, 1);
	ck_assert_int_eq(vq_store_get_key(st, 2, &k), VQ_OK);
	ck_assert_int_eq(k.deactivated, 500);
	ck_assert_int_eq(vq_store_put_key(st, 3, NULL, 0, 1), VQ_EINVAL);
	commit_ok(st);
	vq_store_close(st);

	/* The database holds no secret at all. */
	char sql[160];
	snprintf(sql, sizeof sql,
	         be == PG ? "SELECT count(*) FROM information_schema.columns WHERE table_schema ="
	                    " '%s' AND table_name = 'keys' AND column_name = 'sk'"
	                  : "SELECT count(*) FROM pragma_table_info('keys') WHERE name = 'sk'%s",
	         be == PG ? schema : "");
	ck_assert_int_eq(raw_count(sql), 0);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM legacy_secrets"), 0);
}
END_TEST

/* What a key's retirement would leave without a key: tickets of the two days before that
 * may still admit. And the secrets a schema-1 database left behind: none here. */
START_TEST(test_open_tickets)
{
	use(_i);
	vq_store *st = open_ok();
	begin_ok(st);
	const int64_t day = DAY + 2 * 86400;
	struct {
		int64_t slot;
		uint8_t state;
		int64_t issued, win_end, valid_until;
		int counts; /* at now = day - 3600, issued until day - 7200 */
	} t[] = {
	    {day - 86400 + 3600, VQ_TS_ISSUED, day - 86400, day - 3600 - 100, 0, 1},   /* grace */
	    {day - 86400 + 3600, VQ_TS_ISSUED, day - 86400, day - 3600 - 14500, 0, 0}, /* over */
	    {day - 86400 + 3600, VQ_TS_REDEEMED, day - 86400, day, 0, 0},              /* used */
	    {day - 86400 + 3600, VQ_TS_ANYTIME, day - 86400, 0, day, 1},               /* anytime */
	    {day - 86400 + 3600, VQ_TS_ISSUED, day - 7000, day, 0, 0},           /* issued later */
	    {day - 3 * 86400, VQ_TS_ISSUED, day - 3 * 86400, day + 86400, 0, 0}, /* too old */
	    {day + 3600, VQ_TS_ISSUED, day - 86400, day + 7200, 0, 0},           /* today */
	};
	int want = 0;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		vq_ticket k = mk_ticket(i + 1);
		k.slot_start = t[i].slot;
		k.state = t[i].state;
		k.issued_at = t[i].issued;
		k.win_end = t[i].win_end;
		k.valid_until = t[i].valid_until;
		ck_assert_int_eq(vq_store_put_ticket(st, &k), VQ_OK);
		want += t[i].counts;
	}
	commit_ok(st);
	int64_t n = -1;
	ck_assert_int_eq(vq_store_count_open_tickets(st, day, day - 7200, day - 3600, &n), VQ_OK);
	ck_assert_int_eq(n, want);
	ck_assert_int_eq(vq_store_count_open_tickets(st, day, day - 7200, day - 3600, NULL),
	                 VQ_EINVAL);

	uint8_t kids[256], sks[256][64];
	int got = -1;
	ck_assert_int_eq(vq_store_legacy_secrets(st, kids, sks, &got), VQ_OK);
	ck_assert_int_eq(got, 0);
	ck_assert_int_eq(vq_store_forget_legacy_secrets(st), VQ_OK);
	begin_ok(st);
	ck_assert_int_eq(vq_store_forget_legacy_secrets(st), VQ_EINVAL); /* not in a batch */
	vq_store_rollback(st);
	vq_store_close(st);
}
END_TEST

START_TEST(test_settings)
{
	use(_i);
	vq_store *st = open_ok();
	char out[16];
	ck_assert_int_eq(vq_store_get_setting(st, "lang", out, sizeof out), VQ_ENOTFOUND);
	begin_ok(st);
	ck_assert_int_eq(vq_store_set_setting(st, "lang", "ro"), VQ_OK);
	ck_assert_int_eq(vq_store_get_setting(st, "lang", out, sizeof out), VQ_OK);
	ck_assert_str_eq(out, "ro");
	ck_assert_int_eq(vq_store_set_setting(st, "lang", "pt-BR"), VQ_OK);
	ck_assert_int_eq(vq_store_get_setting(st, "lang", out, sizeof out), VQ_OK);
	ck_assert_str_eq(out, "pt-BR");
	ck_assert_int_eq(vq_store_set_setting(st, "empty", ""), VQ_OK);
	ck_assert_int_eq(vq_store_get_setting(st, "empty", out, sizeof out), VQ_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(vq_store_set_setting(st, "long", "0123456789abcdef"), VQ_OK);
	ck_assert_int_eq(vq_store_get_setting(st, "long", out, sizeof out), VQ_EINVAL);
	ck_assert_int_eq(vq_store_set_setting(st, "", "x"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_set_setting(st, "k", NULL), VQ_EINVAL);
	commit_ok(st);
	ck_assert_int_eq(vq_store_get_setting(st, "lang", out, sizeof out), VQ_OK);
	ck_assert_str_eq(out, "pt-BR");
	vq_store_close(st);
}
END_TEST

/* ---- redemption ---- */

START_TEST(test_redeem)
{
	use(_i);
	vq_store *st = open_ok();
	vq_ticket t = mk_ticket(1);
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	vq_ticket c = mk_ticket(2);
	c.state = VQ_TS_CANCELLED;
	ck_assert_int_eq(vq_store_put_ticket(st, &c), VQ_OK);
	vq_ticket a = mk_ticket(3);
	a.state = VQ_TS_ANYTIME;
	ck_assert_int_eq(vq_store_put_ticket(st, &a), VQ_OK);

	ck_assert_int_eq(vq_store_redeem(st, 1, "gate-a", 5000, 1), VQ_OK);
	ck_assert_int_eq(vq_store_redeem(st, 1, "gate-b", 5001, 0), VQ_EUSED);
	vq_ticket got;
	ck_assert_int_eq(vq_store_get_ticket(st, 1, &got), VQ_OK);
	ck_assert_uint_eq(got.state, VQ_TS_REDEEMED);
	ck_assert_int_eq(got.used_at, 5000);
	ck_assert_str_eq(got.used_gate, "gate-a");
	ck_assert_uint_eq(got.used_offline, 1);

	ck_assert_int_eq(vq_store_redeem(st, 2, "gate-a", 5000, 0), VQ_ESTATE);
	ck_assert_int_eq(vq_store_redeem(st, 3, "gate-a", 5000, 0), VQ_OK);
	ck_assert_int_eq(vq_store_redeem(st, 99, "gate-a", 5000, 0), VQ_ENOTICKET);
	ck_assert_int_eq(vq_store_redeem(st, 0, "gate-a", 5000, 0), VQ_EINVAL);
	ck_assert_int_eq(vq_store_redeem(st, 1, NULL, 5000, 0), VQ_EINVAL);
	commit_ok(st);

	/* It shares its batch's fate. */
	vq_ticket b = mk_ticket(4);
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_ticket(st, &b), VQ_OK);
	commit_ok(st);
	ck_assert_int_eq(vq_store_begin(st), VQ_OK);
	ck_assert_int_eq(vq_store_redeem(st, 4, "gate-a", 6000, 0), VQ_OK);
	ck_assert_int_eq(vq_store_redeem(st, 4, "gate-a", 6001, 0), VQ_EUSED);
	ck_assert_int_eq(vq_store_rollback(st), VQ_OK);
	ck_assert_int_eq(vq_store_get_ticket(st, 4, &got), VQ_OK);
	ck_assert_uint_eq(got.state, VQ_TS_ISSUED);
	ck_assert_int_eq(vq_store_begin(st), VQ_OK);
	ck_assert_int_eq(vq_store_redeem(st, 4, "gate-a", 6002, 0), VQ_OK);
	ck_assert_int_eq(vq_store_commit(st), VQ_OK);
	vq_store_close(st);

	ck_assert_int_eq(raw_count("SELECT count(*) FROM redemptions"), 3);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM redemptions WHERE ticket = 1 AND "
	                           "gate = 'gate-a' AND at = 5000 AND offline = 1"),
	                 1);
}
END_TEST

#define RACERS 8

START_TEST(test_redeem_race)
{
	use(_i);
	vq_store *st = open_ok();
	vq_ticket t = mk_ticket(1);
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	commit_ok(st);
	vq_store_close(st); /* a connection must not cross fork() */

	int ready[2], go[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid_t pids[RACERS];
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			vq_store *cs = NULL;
			if (open_store(&cs) != VQ_OK)
				_exit(200);
			char gate[VQ_ID_MAX], c;
			snprintf(gate, sizeof gate, "gate-%d", i);
			if (write(ready[1], "r", 1) != 1)
				_exit(201);
			/* Everyone blocks here until the parent closes the pipe: then all go. */
			if (read(go[0], &c, 1) != 0)
				_exit(202);
			int rc = vq_store_begin(cs);
			if (rc == VQ_OK)
				rc = vq_store_redeem(cs, 1, gate, 7000 + i, 0);
			int crc = vq_store_commit(cs);
			if (rc == VQ_OK)
				rc = crc;
			vq_store_close(cs);
			_exit(rc);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < RACERS; i++) {
		char c;
		ck_assert_int_eq(read(ready[0], &c, 1), 1);
	}
	close(go[1]);
	close(ready[0]);

	int ok = 0, used = 0;
	for (int i = 0; i < RACERS; i++) {
		int status = 0;
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		int rc = WEXITSTATUS(status);
		if (rc == VQ_OK)
			ok++;
		else if (rc == VQ_EUSED)
			used++;
		else
			ck_abort_msg("racer %d: %d (%s)", i, rc, vq_errname(rc));
	}
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(used, RACERS - 1);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM redemptions"), 1);
	ck_assert_int_eq(raw_count("SELECT state FROM tickets WHERE id = 1"), VQ_TS_REDEEMED);
}
END_TEST

/* ---- transactions ---- */

static void put_batch(vq_store *st, uint64_t first, int n, int *rc)
{
	for (int k = 0; k < n && *rc == VQ_OK; k++) {
		vq_ticket t = mk_ticket(first + (uint64_t)k);
		char rid[32], reply[96];
		snprintf(rid, sizeof rid, "rid-%llu", (unsigned long long)t.id);
		int len = snprintf(reply, sizeof reply, "{\"ok\":true,\"ticket\":%llu}",
		                   (unsigned long long)t.id);
		*rc = vq_store_put_ticket(st, &t);
		if (*rc == VQ_OK)
			*rc = vq_store_put_request(st, rid, "issue", DG, reply, (size_t)len,
			                           t.issued_at);
	}
}

/* How many of tickets first..first+n-1 and their request ids are stored; each ticket and
 * its request must be stored together. */
static int count_batch(vq_store *st, uint64_t first, int n)
{
	int present = 0;
	for (int k = 0; k < n; k++) {
		vq_ticket got;
		char rid[32], *reply = NULL;
		size_t len;
		uint64_t id = first + (uint64_t)k;
		snprintf(rid, sizeof rid, "rid-%llu", (unsigned long long)id);
		int trc = vq_store_get_ticket(st, id, &got);
		int rrc = vq_store_get_request(st, rid, "issue", DG, &reply, &len);
		free(reply);
		ck_assert_msg(trc == VQ_OK || trc == VQ_ENOTICKET, "get ticket: %s",
		              vq_errname(trc));
		ck_assert_msg((trc == VQ_OK) == (rrc == VQ_OK), "ticket %llu without its request",
		              (unsigned long long)id);
		if (trc == VQ_OK) {
			vq_ticket want = mk_ticket(id);
			ck_ticket_eq(&got, &want);
			present++;
		}
	}
	return present;
}

START_TEST(test_group_commit)
{
	use(_i);
	vq_store *st = open_ok();
	int rc = vq_store_begin(st);
	ck_assert_int_eq(rc, VQ_OK);
	put_batch(st, 1, 500, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_int_eq(vq_store_commit(st), VQ_OK);
	vq_store_close(st);

	st = open_ok();
	ck_assert_int_eq(count_batch(st, 1, 500), 500);
	vq_store_close(st);
}
END_TEST

START_TEST(test_rollback)
{
	use(_i);
	vq_store *st = open_ok();
	int rc = vq_store_begin(st);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_int_eq(vq_store_begin(st), VQ_EINVAL); /* no nesting */
	put_batch(st, 1, 50, &rc);
	ck_assert_int_eq(vq_store_put_member(st, "M1", "gold"), VQ_OK);
	ck_assert_int_eq(count_batch(st, 1, 50), 50); /* visible inside */
	ck_assert_int_eq(vq_store_rollback(st), VQ_OK);
	ck_assert_int_eq(count_batch(st, 1, 50), 0);
	ck_assert_int_eq(vq_store_commit(st), VQ_EINVAL); /* nothing open */
	ck_assert_int_eq(vq_store_rollback(st), VQ_OK);   /* harmless */
	vq_store_close(st);

	st = open_ok();
	ck_assert_int_eq(count_batch(st, 1, 50), 0);
	char tier[VQ_ID_MAX];
	ck_assert_int_eq(vq_store_get_member(st, "M1", tier), VQ_ENOTFOUND);

	/* Closing with a batch open rolls it back. */
	rc = vq_store_begin(st);
	put_batch(st, 100, 5, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	vq_store_close(st);
	st = open_ok();
	ck_assert_int_eq(count_batch(st, 100, 5), 0);
	vq_store_close(st);
}
END_TEST

/* ---- injected faults ---- */

#define FAULT_BATCH 8

START_TEST(test_fault_commit_all_or_nothing)
{
	vq_store *st = open_ok();
	uint64_t committed[64];
	int ncommitted = 0, failed = 0;
	uint64_t first = 1;
	/* n runs past the I/O a batch costs, so the last rounds must succeed. */
	for (unsigned long n = 1; n <= 40; n++, first += FAULT_BATCH) {
		vq_store_fail_io_after(n);
		int rc = vq_store_begin(st);
		put_batch(st, first, FAULT_BATCH, &rc);
		if (rc == VQ_OK)
			rc = vq_store_commit(st);
		else
			vq_store_rollback(st);
		vq_store_fail_io_after(0);
		ck_assert_msg(rc == VQ_OK || rc == VQ_ESTORE, "n=%lu: %s", n, vq_errname(rc));
		if (rc != VQ_OK)
			ck_assert_msg(vq_store_errmsg(st)[0] != '\0', "n=%lu: no message", n);

		vq_store_close(st);
		st = open_ok();
		int present = count_batch(st, first, FAULT_BATCH);
		if (rc == VQ_OK) {
			ck_assert_msg(present == FAULT_BATCH, "n=%lu: committed, %d present", n,
			              present);
			committed[ncommitted++] = first;
		} else {
			ck_assert_msg(present == 0, "n=%lu: failed, yet %d present", n, present);
			failed++;
		}
		for (int i = 0; i < ncommitted; i++)
			ck_assert_int_eq(count_batch(st, committed[i], FAULT_BATCH), FAULT_BATCH);
	}
	ck_assert_msg(failed > 0, "no fault was ever hit");
	ck_assert_msg(ncommitted > 0, "no batch ever committed");
	vq_store_close(st);
}
END_TEST

/* A batch bigger than SQLite's page cache spills to the WAL before COMMIT, so faults hit
 * the puts themselves; the store must then refuse to commit what is left. */
enum { SPILL = 1500 };

/* Puts tickets first..first+SPILL-1 with wide replies, then commits whatever the puts said:
 * a careless caller. Returns the commit's result; *put_rc is the first put failure. */
static int spill_batch(vq_store *st, uint64_t first, int *put_rc)
{
	static char blob[2048];
	memset(blob, 'z', sizeof blob);
	int rc = vq_store_begin(st);
	for (int k = 0; k < SPILL && rc == VQ_OK; k++) {
		vq_ticket t = mk_ticket(first + (uint64_t)k);
		char rid[32];
		snprintf(rid, sizeof rid, "rid-%llu", (unsigned long long)t.id);
		rc = vq_store_put_ticket(st, &t);
		if (rc == VQ_OK)
			rc = vq_store_put_request(st, rid, "issue", DG, blob, sizeof blob, 0);
	}
	*put_rc = rc;
	return vq_store_commit(st);
}

START_TEST(test_fault_spill_all_or_nothing)
{
	vq_store *st = open_ok();
	/* Measure what a clean batch costs, then fail early, in the middle, at the end. */
	int put_rc;
	vq_store_fail_io_after(0);
	ck_assert_int_eq(spill_batch(st, 1, &put_rc), VQ_OK);
	unsigned long cost = vq_faultvfs_io_count();
	ck_assert_uint_gt(cost, 100);
	const unsigned long ns[] = {1, 2, cost / 4, cost / 2, cost - 2, cost - 1, cost, cost + 1};
	int failed_in_put = 0, failed_in_commit = 0, ok = 0;
	uint64_t first = 1 + SPILL;
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++, first += SPILL) {
		vq_store_fail_io_after(ns[i]);
		int crc = spill_batch(st, first, &put_rc);
		vq_store_fail_io_after(0);
		if (put_rc != VQ_OK) {
			ck_assert_int_eq(crc, VQ_ESTORE);
			failed_in_put++;
		} else if (crc != VQ_OK) {
			ck_assert_int_eq(crc, VQ_ESTORE);
			failed_in_commit++;
		}
		vq_store_close(st);
		st = open_ok();
		int present = 0;
		for (int k = 0; k < SPILL; k += 97) {
			vq_ticket got;
			present += vq_store_get_ticket(st, first + (uint64_t)k, &got) == VQ_OK;
		}
		if (crc == VQ_OK) {
			ck_assert_int_eq(present, (SPILL + 96) / 97);
			ok++;
		} else {
			ck_assert_msg(present == 0, "n=%lu: failed, yet %d present", ns[i],
			              present);
		}
	}
	ck_assert_msg(failed_in_put > 0, "no fault hit a put");
	ck_assert_msg(failed_in_commit > 0, "no fault hit a commit");
	ck_assert_int_ge(ok, 1);
	vq_store_close(st);
}
END_TEST

START_TEST(test_fault_open_recovers)
{
	/* What creating a database costs, so every write and sync of it gets its turn. */
	snprintf(path, sizeof path, "%s/clean.db", dir);
	vq_store_fail_io_after(0);
	vq_store_close(open_ok());
	unsigned long cost = vq_faultvfs_io_count();
	ck_assert_uint_gt(cost, 0);

	int failed = 0;
	for (unsigned long n = 1; n <= cost + 1; n++) {
		snprintf(path, sizeof path, "%s/open-%lu.db", dir, n);
		vq_store *st = NULL;
		vq_store_fail_io_after(n);
		int rc = vq_store_open(path, NULL, NULL, &st, err, sizeof err);
		if (rc == VQ_OK)
			vq_store_close(st); /* closing may fail its checkpoint: also a case */
		vq_store_fail_io_after(0);
		if (rc != VQ_OK) {
			ck_assert_msg(rc == VQ_ESTORE, "n=%lu: %s", n, vq_errname(rc));
			ck_assert_ptr_null(st);
			ck_assert_msg(err[0] != '\0', "n=%lu: no message", n);
			failed++;
		}
		st = open_ok();
		int v = 0;
		ck_assert_int_eq(vq_store_schema_version(st, &v), VQ_OK);
		ck_assert_int_eq(v, VQ_STORE_SCHEMA_VERSION);
		vq_ticket t = mk_ticket(1);
		begin_ok(st);
		ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
		commit_ok(st);
		vq_store_close(st);
	}
	ck_assert_msg(failed > 0, "no fault was ever hit during open");
	ck_assert_msg((unsigned long)failed < cost + 1, "open never succeeded");
}
END_TEST

START_TEST(test_fault_counter)
{
	vq_store *st = open_ok();
	vq_store_fail_io_after(0);
	vq_ticket t = mk_ticket(1);
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	commit_ok(st);
	ck_assert_uint_gt(vq_faultvfs_io_count(), 0); /* unarmed, it still counts */
	vq_store_fail_io_after(1);
	t = mk_ticket(2);
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK); /* in the cache: no I/O yet */
	ck_assert_int_eq(vq_store_commit(st), VQ_ESTORE);
	ck_assert(vq_store_errmsg(st)[0] != '\0');
	vq_store_fail_io_after(0);
	ck_assert_int_eq(vq_store_get_ticket(st, 2, &t), VQ_ENOTICKET);
	t = mk_ticket(3);
	begin_ok(st);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	commit_ok(st);
	vq_store_close(st);
}
END_TEST

/* A write outside a batch would commit on its own, behind the caller's back: every one
 * fails and leaves nothing. */
START_TEST(test_writes_need_a_batch)
{
	use(_i);
	vq_store *st = open_ok();
	vq_ticket t = mk_ticket(1);
	vq_slot_view sv = {.start = DAY + 9 * 3600, .cap = 10, .taken = 0};
	vq_attr_state as = {
	    .status = VQ_ATTR_OPEN, .throughput_per_hour = 10, .fast_share_pct = 50};
	uint8_t pk[32] = {1};
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_EINVAL);
	ck_assert_msg(strstr(vq_store_errmsg(st), "outside a batch"), "message: %s",
	              vq_store_errmsg(st));
	ck_assert_int_eq(vq_store_put_slot(st, "coaster", DAY, 0, &sv), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_attr_state(st, "coaster", DAY, &as), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_request(st, "r", "issue", DG, "{}", 2, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_prune_requests(st, 1000, NULL), VQ_EINVAL);
	ck_assert_int_eq(vq_store_redeem(st, 1, "gate-1", 5, 0), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_member(st, "M", "gold"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_audit(st, 1, "op", "close", NULL), VQ_EINVAL);
	ck_assert_int_eq(vq_store_put_key(st, 1, pk, 1, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_retire_key(st, 1, 1), VQ_EINVAL);
	ck_assert_int_eq(vq_store_set_setting(st, "k", "v"), VQ_EINVAL);
	ck_assert_int_eq(vq_store_poison(st, "x"), VQ_EINVAL);
	ck_assert(!vq_store_batch_ok(st));
	vq_store_close(st);
	const char *const tables[] = {"tickets", "slots", "attr_state", "requests", "redemptions",
	                              "members", "audit", "keys",       "settings"};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
		ck_assert_msg(raw_count(sql) == 0, "%s holds a row written outside a batch",
		              tables[i]);
	}
}
END_TEST

/* A batch the caller declared dead (the disk disagreed with it) writes nothing more and
 * cannot commit; what it wrote before is gone with it. */
START_TEST(test_poisoned_batch)
{
	use(_i);
	vq_store *st = open_ok();
	begin_ok(st);
	vq_ticket t = mk_ticket(1);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	ck_assert(vq_store_batch_ok(st));
	ck_assert_int_eq(vq_store_poison(st, "ticket 9 was admitted by someone else"), VQ_OK);
	ck_assert(!vq_store_batch_ok(st));
	t = mk_ticket(2);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_ESTORE);
	ck_assert_int_eq(vq_store_put_request(st, "r", "issue", DG, "{}", 2, 1), VQ_ESTORE);
	ck_assert_int_eq(vq_store_audit(st, 1, "op", "close", NULL), VQ_ESTORE);
	ck_assert_int_eq(vq_store_set_setting(st, "k", "v"), VQ_ESTORE);
	ck_assert_int_eq(vq_store_redeem(st, 1, "gate-1", 5, 0), VQ_ESTORE);
	ck_assert_int_eq(vq_store_commit(st), VQ_ESTORE);
	ck_assert_msg(strstr(vq_store_errmsg(st), "someone else"), "message: %s",
	              vq_store_errmsg(st));
	/* the next batch is a fresh one */
	begin_ok(st);
	ck_assert(vq_store_batch_ok(st));
	t = mk_ticket(3);
	ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	commit_ok(st);
	vq_store_close(st);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM tickets"), 1);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM tickets WHERE id = 3"), 1);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM requests"), 0);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM audit"), 0);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM settings"), 0);
}
END_TEST

/* ---- the report's reader ---- */

/* What a reader says, as text: each call's rows in order, one per line. */
typedef struct said {
	char buf[16384];
	size_t len;
} said;

static void say(said *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(said *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof o->buf - o->len);
	o->len += (size_t)n;
}

static int said_slot(void *arg, int slot, int64_t start, int cap, int taken)
{
	say(arg, "slot %d %lld %d %d\n", slot, (long long)start, cap, taken);
	return 0;
}

static int said_group(void *arg, const vq_ticket_group *g)
{
	say(arg, "group %lld %d %d %lld %lld '%s' %d %lld %lld\n", (long long)g->slot_start,
	    g->tier, g->state, (long long)g->until, (long long)g->valid_from, g->gate, g->offline,
	    (long long)g->tickets, (long long)g->guests);
	return 0;
}

static int said_audit(void *arg, const vq_audit_entry *e)
{
	say(arg, "audit %lld %s %s %s\n", (long long)e->at, e->actor, e->action,
	    e->detail ? e->detail : "(null)");
	return 0;
}

static int said_row(void *arg, int ncols, const char *const *names, const char *const *values)
{
	for (int i = 0; i < ncols; i++)
		say(arg, "%s=%s%s", names[i], values[i], i + 1 < ncols ? " " : "\n");
	return 0;
}

/* Everything the report reads of the day written by fill_day, through where's reader. */
static void read_day(const char *at, const char *site, said *o)
{
	vq_store_reader *r = NULL;
	ck_assert_msg(vq_store_reader_open(at, site, &r, err, sizeof err) == VQ_OK, "%s", err);
	char v[64];
	ck_assert_int_eq(vq_store_reader_setting(r, "tier_overrides", v, sizeof v), VQ_OK);
	say(o, "setting %s\n", v);
	ck_assert_int_eq(vq_store_reader_setting(r, "tier_overrides", v, 4), VQ_EINVAL);
	ck_assert_int_eq(vq_store_reader_setting(r, "nothing", v, sizeof v), VQ_ENOTFOUND);
	vq_attr_state a;
	ck_assert_int_eq(vq_store_reader_attr_state(r, "coaster", DAY, &a), VQ_OK);
	say(o, "state %d %lld %lld %d %d %d %u\n", a.status, (long long)a.closed_at,
	    (long long)a.reopened_at, a.throughput_per_hour, a.fast_share_pct, a.overbook_pct,
	    a.next_number);
	ck_assert_int_eq(vq_store_reader_attr_state(r, "flume", DAY, &a), VQ_ENOTFOUND);
	ck_assert_int_eq(vq_store_reader_slots(r, "coaster", DAY, said_slot, o), VQ_OK);
	ck_assert_int_eq(
	    vq_store_reader_ticket_groups(r, "coaster", DAY, DAY + 86400, said_group, o), VQ_OK);
	ck_assert_int_eq(vq_store_reader_audit(r, DAY, DAY + 86400, said_audit, o), VQ_OK);
	ck_assert_int_eq(vq_store_reader_tickets(r, "coaster", DAY, DAY + 86400, said_row, o),
	                 VQ_OK);
	ck_assert_int_eq(vq_store_reader_admissions(r, DAY, DAY + 86400, said_row, o), VQ_OK);
	vq_store_reader_close(r);
}

/* A day with a bit of everything the report reads. */
static void fill_day(vq_store *st)
{
	begin_ok(st);
	for (uint64_t id = 1; id <= 12; id++) {
		vq_ticket t = mk_ticket(id);
		if (id % 4 == 1) {
			t.state = VQ_TS_REDEEMED;
			t.used_at = t.slot_start + 60;
			snprintf(t.used_gate, sizeof t.used_gate, "gate-%d", (int)(id % 3));
			t.used_offline = id % 2;
		} else if (id % 4 == 2) {
			t.state = VQ_TS_CANCELLED;
		} else if (id % 4 == 3) {
			t.state = VQ_TS_ANYTIME;
			t.valid_from = DAY + 12 * 3600;
			t.valid_until = DAY + 20 * 3600;
		}
		if (id == 12) { /* an accessibility pass: listed, not set against capacity */
			t.kind = VQ_TK_ACCESS;
			snprintf(t.issued_by, sizeof t.issued_by, "desk-1");
		}
		ck_assert_int_eq(vq_store_put_ticket(st, &t), VQ_OK);
	}
	vq_slot_view sv = {.start = DAY + 9 * 3600, .cap = 40, .taken = 7};
	ck_assert_int_eq(vq_store_put_slot(st, "coaster", DAY, 0, &sv), VQ_OK);
	sv = (vq_slot_view){.start = DAY + 9 * 3600 + 900, .cap = 40, .taken = 0};
	ck_assert_int_eq(vq_store_put_slot(st, "coaster", DAY, 1, &sv), VQ_OK);
	vq_attr_state a = {.status = 1,
	                   .closed_at = DAY + 11 * 3600,
	                   .reopened_at = 0,
	                   .throughput_per_hour = 500,
	                   .fast_share_pct = 40,
	                   .overbook_pct = 5,
	                   .next_number = 13};
	ck_assert_int_eq(vq_store_put_attr_state(st, "coaster", DAY, &a), VQ_OK);
	ck_assert_int_eq(
	    vq_store_audit(st, DAY + 11 * 3600, "ops-1", "close", "{\"attraction\":\"coaster\"}"),
	    VQ_OK);
	ck_assert_int_eq(vq_store_audit(st, DAY + 11 * 3600 + 5, "ops-1", "note", NULL), VQ_OK);
	ck_assert_int_eq(vq_store_set_setting(st, "tier_overrides", "{\"gold\":{}}"), VQ_OK);
	commit_ok(st);
	begin_ok(st);
	ck_assert_int_eq(vq_store_redeem(st, 4, "gate-2", DAY + 10 * 3600, 0), VQ_OK);
	commit_ok(st);
}

/* The report reads the same day the same way from either backend: PostgreSQL's reader is
 * SQLite's twin, call for call and row for row. */
START_TEST(test_reader_twins)
{
	use(PG);
	vq_store *pgst = open_ok();
	fill_day(pgst);
	vq_store_close(pgst);
	be = SQLITE;
	vq_store *lite = open_ok();
	fill_day(lite);
	vq_store_close(lite);
	static said a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	read_day(path, NULL, &a);
	read_day(vq_test_pg_uri(pg), site_id, &b);
	ck_assert_msg(strstr(a.buf, "group") && strstr(a.buf, "ticket=4") &&
	                  strstr(a.buf, "kind=access issued_by=desk-1"),
	              "%s", a.buf);
	ck_assert_str_eq(a.buf, b.buf);

	/* a site the database does not hold, or no site at all, is refused */
	vq_store_reader *r = NULL;
	ck_assert_int_eq(
	    vq_store_reader_open(vq_test_pg_uri(pg), "nosuchsite", &r, err, sizeof err), VQ_ESTORE);
	ck_assert_msg(strstr(err, "nosuchsite"), "%s", err);
	ck_assert_int_eq(vq_store_reader_open(vq_test_pg_uri(pg), NULL, &r, err, sizeof err),
	                 VQ_EINVAL);
	ck_assert_ptr_null(r);
}
END_TEST

/* ---- who serves ---- */

/* SQLite: one process a file, always the holder. PostgreSQL: one holder at a time; the
 * claim goes with its session, and a session that says nothing for the lease ends. */
START_TEST(test_claim)
{
	use(_i);
	vq_store *a = open_ok(), *b = open_ok();
	int held = -1;
	int64_t term = -1;
	ck_assert_int_eq(vq_store_claim(a, 50, &held, &term), VQ_EINVAL); /* lease too short */
	double before = vq_store_claim_proof(a);
	ck_assert_int_eq(vq_store_claim(a, 1000, &held, &term), VQ_OK);
	ck_assert_int_eq(held, 1);
	ck_assert_int_eq(term, 1);
	ck_assert(vq_store_claim_proof(a) >= before);
	begin_ok(a);
	ck_assert_int_eq(vq_store_claim(a, 1000, &held, &term), VQ_EINVAL); /* not in a batch */
	vq_store_rollback(a);
	if (be == SQLITE) {
		ck_assert_int_eq(vq_store_release_claim(a), VQ_EINVAL); /* one process a file */
		vq_store_close(a);
		vq_store_close(b);
		return;
	}
	ck_assert_int_eq(vq_store_claim(b, 1000, &held, &term), VQ_OK);
	ck_assert_int_eq(held, 0);
	ck_assert_int_eq(term, 0);
	ck_assert(vq_store_claim_proof(b) == 0);
	/* a proves by talking; every statement that succeeds counts */
	double p1 = vq_store_claim_proof(a);
	struct timespec ts = {0, 20 * 1000000};
	nanosleep(&ts, NULL);
	char val[16];
	ck_assert_int_eq(vq_store_get_setting(a, "serving_term", val, sizeof val), VQ_OK);
	ck_assert_str_eq(val, "1");
	ck_assert(vq_store_claim_proof(a) > p1);
	ck_assert_int_eq(vq_store_claim(a, 1000, &held, &term), VQ_OK);
	ck_assert_int_eq(held, 1);
	ck_assert_int_eq(term, 1);

	/* a falls silent past its lease: the server ends its session, b takes over */
	ts = (struct timespec){1, 500 * 1000000};
	nanosleep(&ts, NULL);
	ck_assert_int_eq(vq_store_claim(b, 1000, &held, &term), VQ_OK);
	ck_assert_int_eq(held, 1);
	ck_assert_int_eq(term, 2);
	/* a learns it at its next word: a batch it begins finds the session gone, and the
	 * new session, without the claim, writes nothing beside b */
	ck_assert(vq_store_claim_proof(a) != 0); /* nothing told it yet */
	ck_assert_int_eq(vq_store_begin(a), VQ_ESTORE);
	ck_assert_msg(strstr(vq_store_errmsg(a), "claim"), "%s", vq_store_errmsg(a));
	ck_assert(vq_store_claim_proof(a) == 0);
	ck_assert_int_eq(vq_store_claim(a, 1000, &held, &term), VQ_OK);
	ck_assert_int_eq(held, 0);
	ck_assert_int_eq(vq_store_begin(a), VQ_ESTORE);
	begin_ok(b);
	vq_store_rollback(b);
	/* b's session ends (killed, failed over): a takes it in the next term, and writes */
	vq_store_close(b);
	/* (its backend lets go of the lock a moment after the connection closed) */
	held = 0;
	for (int i = 0; i < 100 && !held; i++) {
		ck_assert_int_eq(vq_store_claim(a, 1000, &held, &term), VQ_OK);
		nanosleep(&(struct timespec){0, 20 * 1000000}, NULL);
	}
	ck_assert_int_eq(held, 1);
	ck_assert_int_eq(term, 3);
	begin_ok(a);
	vq_store_rollback(a);
	/* a lets it go (it lost its brokers): another takes it at once, in the next term */
	ck_assert_int_eq(vq_store_release_claim(a), VQ_OK);
	ck_assert(vq_store_claim_proof(a) == 0);
	ck_assert_int_eq(vq_store_begin(a), VQ_ESTORE);
	b = open_ok();
	ck_assert_int_eq(vq_store_claim(b, 1000, &held, &term), VQ_OK);
	ck_assert_int_eq(held, 1);
	ck_assert_int_eq(term, 4);
	ck_assert_int_eq(vq_store_release_claim(a), VQ_OK); /* nothing held: nothing to do */
	vq_store_close(b);
	vq_store_close(a);
}
END_TEST

/* ---- PostgreSQL's faults: real ones ---- */

/* The pid of the store's session: the store's connections name themselves "vqd", and a
 * test has one store open. */
static int64_t store_session(void)
{
	int64_t pid = 0;
	ck_assert_int_eq(vq_test_pg_exec(pg, NULL,
	                                 "SELECT pid FROM pg_stat_activity WHERE application_name ="
	                                 " 'vqd' AND datname = 'vq'",
	                                 &pid),
	                 VQ_OK);
	ck_assert_int_gt(pid, 0);
	return pid;
}

START_TEST(test_pg_session_ended_mid_batch)
{
	use(PG);
	vq_store *st = open_ok();
	int rc = vq_store_begin(st);
	put_batch(st, 1, FAULT_BATCH, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_int_eq(vq_store_commit(st), VQ_OK);

	/* An administrator (or the server's idle timeout) ends the session inside a batch:
	 * the rest of the batch fails, its commit fails, nothing of it is stored. */
	rc = vq_store_begin(st);
	put_batch(st, 100, FAULT_BATCH / 2, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)store_session());
	raw_exec(sql);
	put_batch(st, 100 + FAULT_BATCH / 2, FAULT_BATCH / 2, &rc);
	ck_assert_int_eq(rc, VQ_ESTORE);
	ck_assert_int_eq(vq_store_commit(st), VQ_ESTORE);
	ck_assert_msg(vq_store_errmsg(st)[0] != '\0', "no message");

	/* The next call outside a batch connects again. */
	ck_assert_int_eq(count_batch(st, 1, FAULT_BATCH), FAULT_BATCH);
	ck_assert_int_eq(count_batch(st, 100, FAULT_BATCH), 0);
	rc = vq_store_begin(st);
	put_batch(st, 200, FAULT_BATCH, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_int_eq(vq_store_commit(st), VQ_OK);
	vq_store_close(st);
	st = open_ok();
	ck_assert_int_eq(count_batch(st, 200, FAULT_BATCH), FAULT_BATCH);
	ck_assert_int_eq(count_batch(st, 100, FAULT_BATCH), 0);
	vq_store_close(st);
}
END_TEST

/* Ends (or cancels) the store's session once its COMMIT waits for the synchronous
 * standby, from a thread of its own while the test's thread is inside vq_store_commit. */
typedef struct cutter {
	int terminate;
	volatile int stop; /* the commit returned */
	int done;
} cutter;

static void *cut_commit(void *arg)
{
	cutter *c = arg;
	c->done = vq_test_pg_cut_sync_wait(pg, "vqd", c->terminate, 10000, &c->stop) == VQ_OK;
	return NULL;
}

/* A COMMIT waits for a synchronous standby that never answers, and is cut short: by the
 * session's end, or by a cancel, after which the server reports success with a WARNING
 * (committed here, not replicated). Neither is an acknowledged commit. The server did keep
 * the batch, whole: a retry of its requests finds their first replies. A server of its own,
 * since it is made to wait for a standby that does not exist. */
START_TEST(test_pg_commit_cut_short)
{
	use(PG);
	static const char *const fns[] = {"pg_terminate_backend", "pg_cancel_backend"};
	vq_test_pg *shared = pg, *mine = NULL;
	ck_assert_msg(vq_test_pg_start(&mine) == VQ_OK, "%s", vq_test_pg_why());
	pg = mine;
	vq_store *st = open_ok(); /* its migration commits before there is a standby to wait for */
	ck_assert_int_eq(vq_test_pg_sync_standby(pg, "nobody"), VQ_OK);
	for (int k = 0; k < 2; k++) {
		/* the checkpointer applies the reload a moment later: until then a commit does
		 * not wait, and the attempt is made again with new tickets */
		int waited = 0;
		for (int attempt = 0; attempt < 50 && !waited; attempt++) {
			uint64_t first = 1 + (uint64_t)k * 1000 + (uint64_t)attempt * 10;
			int rc = vq_store_begin(st);
			put_batch(st, first, FAULT_BATCH, &rc);
			ck_assert_int_eq(rc, VQ_OK);
			cutter c = {.terminate = k == 0};
			pthread_t th;
			ck_assert_int_eq(pthread_create(&th, NULL, cut_commit, &c), 0);
			rc = vq_store_commit(st);
			c.stop = 1;
			pthread_join(th, NULL);
			if (!c.done) {
				ck_assert_int_eq(rc, VQ_OK);
				continue;
			}
			waited = 1;
			ck_assert_msg(rc == VQ_ESTORE, "%s: commit said %s", fns[k],
			              vq_errname(rc));
			ck_assert_msg(vq_store_errmsg(st)[0] != '\0', "%s: no message", fns[k]);
			int present = count_batch(st, first, FAULT_BATCH);
			ck_assert_msg(present == 0 || present == FAULT_BATCH, "%s: %d of %d stored",
			              fns[k], present, FAULT_BATCH);
		}
		ck_assert_msg(waited, "%s: no commit ever waited for the standby", fns[k]);
	}
	vq_store_close(st);
	pg = shared;
	vq_test_pg_stop(mine);
}
END_TEST

/* The server dies (kill -9 of every process) inside a batch and comes back: the batch
 * fails, calls fail while the server is away, the store connects again on its own, and
 * exactly the committed batches are there. A server of its own: the test kills it. */
START_TEST(test_pg_server_killed)
{
	use(PG);
	vq_test_pg *shared = pg, *mine = NULL;
	ck_assert_msg(vq_test_pg_start(&mine) == VQ_OK, "%s", vq_test_pg_why());
	pg = mine;
	vq_store *st = open_ok();
	int rc = vq_store_begin(st);
	put_batch(st, 1, FAULT_BATCH, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_int_eq(vq_store_commit(st), VQ_OK);

	rc = vq_store_begin(st);
	put_batch(st, 100, FAULT_BATCH, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_int_eq(vq_test_pg_kill(pg), VQ_OK);
	ck_assert_int_eq(vq_store_commit(st), VQ_ESTORE);
	vq_ticket t;
	ck_assert_int_eq(vq_store_get_ticket(st, 1, &t), VQ_ESTORE);
	ck_assert_msg(strstr(vq_store_errmsg(st), "connect"), "message: %s", vq_store_errmsg(st));
	ck_assert_int_eq(vq_store_begin(st), VQ_ESTORE);

	ck_assert_int_eq(vq_test_pg_up(pg), VQ_OK);
	ck_assert_int_eq(count_batch(st, 1, FAULT_BATCH), FAULT_BATCH);
	ck_assert_int_eq(count_batch(st, 100, FAULT_BATCH), 0);
	rc = vq_store_begin(st);
	put_batch(st, 200, FAULT_BATCH, &rc);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_int_eq(vq_store_commit(st), VQ_OK);
	ck_assert_int_eq(count_batch(st, 200, FAULT_BATCH), FAULT_BATCH);
	vq_store_close(st);
	pg = shared;
	vq_test_pg_stop(mine);
}
END_TEST

/* ---- rebuilding a day ---- */

static const char SITE_JSON[] =
    "{\"version\":1,\"id\":\"t\",\"name\":\"T\",\"timezone\":\"UTC\",\"languages\":[\"en\"],"
    "\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":\"S\"},\"protect_pct\":0,"
    "\"release_min\":0,\"max_passes\":2,\"horizon_min\":600,\"late_grace_min\":0},"
    "{\"id\":\"gold\",\"names\":{\"en\":\"G\"},\"protect_pct\":20,\"release_min\":30,"
    "\"max_passes\":3,\"horizon_min\":600,\"late_grace_min\":10}],"
    "\"attractions\":[{\"id\":\"coaster\",\"prefix\":\"C\",\"names\":{\"en\":\"Coaster\"},"
    "\"kind\":\"ride\",\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":15,"
    "\"window_min\":60,\"open\":\"09:00\",\"close\":\"21:00\",\"early_grace_min\":5,"
    "\"late_grace_min\":10,\"max_party\":6},"
    "{\"id\":\"wheel\",\"prefix\":\"W\",\"names\":{\"en\":\"Wheel\"},"
    "\"kind\":\"ride\",\"throughput_per_hour\":120,\"fast_share_pct\":25,\"slot_min\":30,"
    "\"window_min\":60,\"open\":\"10:00\",\"close\":\"18:00\",\"early_grace_min\":5,"
    "\"late_grace_min\":10,\"max_party\":4}]}";

static vq_site *parse_site(void)
{
	vq_site *site = NULL;
	int rc = vq_site_parse(SITE_JSON, sizeof SITE_JSON - 1, &site, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "site: %s", err);
	return site;
}

/* Writes what the book changed, as vqd does after each group of requests. */
static void persist_changes(vq_store *st, vq_book *b)
{
	const vq_site *site = vq_book_site(b);
	int64_t day = vq_book_day_start(b);
	vq_changes ch;
	vq_book_changes(b, &ch);
	ck_assert_int_eq(vq_store_begin(st), VQ_OK);
	for (size_t i = 0; i < ch.ntickets; i++)
		ck_assert_int_eq(vq_store_put_ticket(st, ch.tickets[i]), VQ_OK);
	for (size_t i = 0; i < ch.nslots; i++) {
		vq_slot_view v;
		ck_assert_int_eq(vq_book_slot(b, ch.slots[i].attr, ch.slots[i].slot, &v), VQ_OK);
		ck_assert_int_eq(vq_store_put_slot(st, vq_site_attr(site, ch.slots[i].attr)->id,
		                                   day, ch.slots[i].slot, &v),
		                 VQ_OK);
	}
	for (size_t i = 0; i < ch.nattrs; i++) {
		int a = ch.attrs[i];
		ck_assert_int_eq(vq_store_put_attr_state(st, vq_site_attr(site, a)->id, day,
		                                         vq_book_attr_state(b, a)),
		                 VQ_OK);
	}
	ck_assert_int_eq(vq_store_commit(st), VQ_OK);
	vq_book_changes_clear(b);
}

/* A day of traffic: issues by both tiers, cancels, redemptions, a breakdown and a capacity
 * change, persisted group by group. */
static vq_book *busy_day(vq_store *st, const vq_site *site, int64_t day, uint64_t seed)
{
	vq_book *b = NULL;
	uint64_t next = 0;
	ck_assert_int_eq(vq_store_next_ticket_id(st, &next), VQ_OK);
	ck_assert_int_eq(vq_book_new(site, vq_test_day(day), next, &b), VQ_OK);
	tu_rng rng = {seed};
	int64_t now = day + 8 * 3600;
	int issued = 0;
	for (int step = 0; step < 600; step++) {
		uint32_t op = tu_rng_below(&rng, 100);
		size_t n = vq_book_ticket_count(b);
		if (op < 75 || n == 0) {
			vq_request rq = {
			    .attr = (int)tu_rng_below(&rng, 2),
			    .tier = (int)tu_rng_below(&rng, 2),
			    .party = 1 + (int)tu_rng_below(&rng, 4),
			    .guest = 1 + tu_rng_below(&rng, 150),
			};
			vq_ticket t;
			issued += vq_book_issue(b, &rq, now, &t) == VQ_OK;
		} else if (op < 85) {
			const vq_ticket *t = vq_book_ticket_at(b, tu_rng_below(&rng, (uint32_t)n));
			vq_book_cancel(b, t->id, now, NULL);
		} else {
			const vq_ticket *t = vq_book_ticket_at(b, tu_rng_below(&rng, (uint32_t)n));
			vq_verdict v;
			char attr[VQ_ID_MAX];
			snprintf(attr, sizeof attr, "%s", t->attr);
			vq_book_redeem(b, t->id, attr, "gate-1", (int)(op & 1), t->win_start + 60,
			               &v, NULL);
		}
		/* The wheel breaks down from about 10:30 to 10:50, while windows are open. */
		if (step == 300)
			ck_assert_int_eq(vq_book_close(b, 1, now), VQ_OK);
		if (step == 340)
			ck_assert_int_eq(vq_book_reopen(b, 1, now, NULL), VQ_OK);
		if (step == 400) {
			vq_capacity c = {
			    .throughput_per_hour = 500, .fast_share_pct = -1, .overbook_pct = 10};
			ck_assert_int_eq(vq_book_set_capacity(b, 0, &c, now), VQ_OK);
		}
		if (step % 2 == 1)
			now += 60;
		if (step % 25 == 24)
			persist_changes(st, b);
	}
	persist_changes(st, b);
	ck_assert_int_gt(issued, 50);
	/* Every ticket state must occur, or the round trip proves less than it claims. */
	int states[4] = {0};
	for (size_t i = 0; i < vq_book_ticket_count(b); i++)
		states[vq_book_ticket_at(b, i)->state]++;
	for (int k = 0; k < 4; k++)
		ck_assert_msg(states[k] > 0, "seed %llu: no ticket in state %s",
		              (unsigned long long)seed, vq_ticket_state_name(k));
	return b;
}

static void ck_books_eq(const vq_book *a, const vq_book *b)
{
	const vq_site *site = vq_book_site(a);
	ck_assert_uint_eq(vq_book_ticket_count(a), vq_book_ticket_count(b));
	ck_assert_uint_eq(vq_book_next_ticket_id(a), vq_book_next_ticket_id(b));
	for (size_t i = 0; i < vq_book_ticket_count(a); i++)
		ck_ticket_eq(vq_book_ticket_at(a, i), vq_book_ticket_at(b, i));
	for (int at = 0; at < vq_site_attr_count(site); at++) {
		const vq_attr_state *sa = vq_book_attr_state(a, at),
		                    *sb = vq_book_attr_state(b, at);
		ck_assert_int_eq(sa->status, sb->status);
		ck_assert_int_eq(sa->closed_at, sb->closed_at);
		ck_assert_int_eq(sa->reopened_at, sb->reopened_at);
		ck_assert_int_eq(sa->throughput_per_hour, sb->throughput_per_hour);
		ck_assert_int_eq(sa->fast_share_pct, sb->fast_share_pct);
		ck_assert_int_eq(sa->overbook_pct, sb->overbook_pct);
		ck_assert_uint_eq(sa->next_number, sb->next_number);
		ck_assert_int_eq(vq_book_slot_count(a, at), vq_book_slot_count(b, at));
		for (int s = 0; s < vq_book_slot_count(a, at); s++) {
			vq_slot_view va, vb;
			ck_assert_int_eq(vq_book_slot(a, at, s, &va), VQ_OK);
			ck_assert_int_eq(vq_book_slot(b, at, s, &vb), VQ_OK);
			ck_assert_int_eq(va.start, vb.start);
			ck_assert_int_eq(va.cap, vb.cap);
			ck_assert_int_eq(va.taken, vb.taken);
			for (int k = 0; k < vq_site_tier_count(site); k++)
				ck_assert_int_eq(va.taken_tier[k], vb.taken_tier[k]);
		}
	}
}

START_TEST(test_load_day)
{
	use(_i);
	vq_site *site = parse_site();
	vq_store *st = open_ok();
	vq_book *today = busy_day(st, site, DAY, 1);
	/* The next day shares the tables but must not bleed into this one. */
	vq_book *tomorrow = busy_day(st, site, DAY + 86400, 2);
	vq_store_close(st);

	st = open_ok();
	uint64_t next = 0;
	ck_assert_int_eq(vq_store_next_ticket_id(st, &next), VQ_OK);
	vq_book *b = NULL;
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY), 1, &b), VQ_OK);
	int rc = vq_store_load_day(st, b);
	ck_assert_msg(rc == VQ_OK, "load_day: %s (%s)", vq_errname(rc), vq_store_errmsg(st));
	ck_books_eq(today, b);
	vq_book_free(b);

	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY + 86400), next, &b), VQ_OK);
	rc = vq_store_load_day(st, b);
	ck_assert_msg(rc == VQ_OK, "load_day: %s (%s)", vq_errname(rc), vq_store_errmsg(st));
	ck_books_eq(tomorrow, b);
	vq_book_free(b);

	/* A day nothing happened on loads as an empty book. */
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY - 86400), next, &b), VQ_OK);
	ck_assert_int_eq(vq_store_load_day(st, b), VQ_OK);
	ck_assert_uint_eq(vq_book_ticket_count(b), 0);
	vq_book_free(b);

	vq_store_close(st);
	vq_book_free(today);
	vq_book_free(tomorrow);
	vq_site_free(site);
}
END_TEST

START_TEST(test_load_day_tampered)
{
	use(_i);
	vq_site *site = parse_site();
	vq_store *st = open_ok();
	vq_book *today = busy_day(st, site, DAY, 3);
	vq_store_close(st);
	vq_book_free(today);

	raw_exec("UPDATE slots SET taken = taken + 1 WHERE attr = 'coaster' AND slot = "
	         "(SELECT min(slot) FROM slots WHERE attr = 'coaster' AND taken > 0)");
	st = open_ok();
	vq_book *b = NULL;
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY), 1, &b), VQ_OK);
	ck_assert_int_eq(vq_store_load_day(st, b), VQ_ESTORE);
	ck_assert_msg(strstr(vq_store_errmsg(st), "taken"), "message: %s", vq_store_errmsg(st));
	vq_book_free(b);
	vq_store_close(st);

	/* A slot that is not a slot of the day is corruption too. */
	raw_exec("UPDATE slots SET taken = taken - 1 WHERE attr = 'coaster' AND slot = "
	         "(SELECT min(slot) FROM slots WHERE attr = 'coaster' AND taken > 0);"
	         "INSERT INTO slots VALUES ('coaster', 1699920000, 999, 0, 1, 0)");
	st = open_ok();
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY), 1, &b), VQ_OK);
	ck_assert_int_eq(vq_store_load_day(st, b), VQ_ESTORE);
	vq_book_free(b);
	vq_store_close(st);
	vq_site_free(site);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("basic");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_schema_created, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_reopen_keeps_everything, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_migrates_schema_2, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_future_version_refused, 0, NBACKENDS);
	tcase_add_test(tc, test_not_a_database);
	tcase_add_test(tc, test_pg_not_ours);
	tcase_add_loop_test(tc, test_ticket_roundtrip, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_requests, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_many_rows, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_members, 0, NBACKENDS);
	tcase_add_test(tc, test_pg_members_prefetched);
	tcase_add_loop_test(tc, test_audit, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_keys, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_open_tickets, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_settings, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_redeem, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_redeem_race, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_group_commit, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_rollback, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_writes_need_a_batch, 0, NBACKENDS);
	tcase_add_loop_test(tc, test_poisoned_batch, 0, NBACKENDS);
	tcase_add_test(tc, test_reader_twins);
	suite_add_tcase(s, tc);

	TCase *tf = tcase_create("faults");
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_set_timeout(tf, 240);
	tcase_add_test(tf, test_fault_counter);
	tcase_add_test(tf, test_fault_commit_all_or_nothing);
	tcase_add_test(tf, test_fault_spill_all_or_nothing);
	tcase_add_test(tf, test_fault_open_recovers);
	tcase_add_loop_test(tf, test_claim, 0, NBACKENDS);
	tcase_add_test(tf, test_pg_session_ended_mid_batch);
	tcase_add_test(tf, test_pg_server_killed);
	tcase_add_test(tf, test_pg_commit_cut_short);
	suite_add_tcase(s, tf);

	TCase *td = tcase_create("day");
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_set_timeout(td, 120);
	tcase_add_loop_test(td, test_load_day, 0, NBACKENDS);
	tcase_add_loop_test(td, test_load_day_tampered, 0, NBACKENDS);
	suite_add_tcase(s, td);
	return s;
}

int main(void)
{
	/* One server for every PostgreSQL run; if it cannot start, those runs fail and say
	 * why (setup-deps installs PostgreSQL, so CI has it). */
	if (vq_test_pg_start(&pg) != VQ_OK)
		pg = NULL;
	SRunner *sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	vq_test_pg_stop(pg);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
