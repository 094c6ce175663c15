/* tests/test_batch.c — vqd's batches (coordinator/batch.c) in-process: the real handlers,
 * the real service and SQLite store, with a second writer on the database and I/O faults
 * injected through the store's fault VFS (vq_store_fail_io_after).
 *
 * vqd.c only carries messages between the bus and vqd_batch, so driving vqd_batch here
 * decides exactly what the daemon would, while the test sees the book, the store and vqd's
 * memory between batches: a dead batch changes none of them; a commit that failed answers
 * storage to everything it decided; operators' settings run only once committed; vqd
 * without a book answers storage and comes back when the database reads again. The
 * randomized run checks after every batch that every ok reply is on disk exactly once,
 * every storage reply left nothing, and the book equals the store; it prints its figures
 * and its seed. ctest runs 2,000 batches with seed 1; VQ_FAULT_BATCHES and VQ_FAULT_SEED
 * choose others (the issue's acceptance run is VQ_FAULT_BATCHES=10000).
 */
#include "coordinator/config.h"
#include "coordinator/faultvfs.h"
#include "coordinator/log.h"
#include "coordinator/vqd.h"
#include "support/books.h"
#include "support/fixtures.h"
#include "support/tutil.h"

#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const int64_t DAY = VQ_TEST_DAY;
#define AT(h, m) (DAY + (int64_t)(h)*3600 + (int64_t)(m)*60)

#define REQUIRE(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

/* --- a vqd without its process ---------------------------------------------------------- */

struct rig {
	vq_vqd d;
	char *dir;
	char cfg[512], db[512];
	sqlite3 *ro; /* the test's own read-only look at the file */
};

static struct rig R;

static void rig_open_service(struct rig *r, int64_t now)
{
	char err[512];
	vq_site *site = NULL;
	int rc = vqd_config_load(r->cfg, NULL, &site, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "config: %s", err);
	rc = vq_service_open(site, r->db, vq_test_day(DAY), &r->d.svc, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "service: %s", err);
	r->d.site = site;
	r->d.config_path = r->cfg;
	r->d.started = now;
	ck_assert_int_eq(vqd_size_for_site(&r->d, site), VQ_OK);
	char keys[600];
	snprintf(keys, sizeof keys, "%s.keys", r->db);
	rc = vqd_keys_start(&r->d, keys, 0, now, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "keys: %s", err);
}

static void setup(void)
{
	ck_assert_int_ge(sodium_init(), 0);
	vq_log_set_level(VQ_LOG_ERROR + 1); /* failures are the point here: no log lines */
	memset(&R, 0, sizeof R);
	/* the database's own durability is test_store's: here every commit's fsync would only
	 * slow thousands of batches down, so memory-backed when the machine has it */
	char shm[] = "/dev/shm/vq-batch-XXXXXX";
	R.dir = mkdtemp(shm) ? strdup(shm) : tu_tempdir("batch");
	ck_assert_ptr_nonnull(R.dir);
	snprintf(R.cfg, sizeof R.cfg, "%s/site.json", R.dir);
	snprintf(R.db, sizeof R.db, "%s/vqd.db", R.dir);
	FILE *f = fopen(R.cfg, "w");
	ck_assert_ptr_nonnull(f);
	fputs(VQ_TEST_SITE, f);
	fclose(f);
	rig_open_service(&R, AT(9, 0));
	ck_assert_int_eq(sqlite3_open_v2(R.db, &R.ro, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
}

static void teardown(void)
{
	vq_store_fail_io_after(0);
	sqlite3_close(R.ro);
	vq_service_free(R.d.svc);
	vqd_free_memory(&R.d);
	tu_rmtree(R.dir);
	free(R.dir);
}

static int64_t rows(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int64_t rows(const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	sqlite3_stmt *s = NULL;
	REQUIRE(sqlite3_prepare_v2(R.ro, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
	        sqlite3_errmsg(R.ro));
	REQUIRE(sqlite3_step(s) == SQLITE_ROW, "%s: no row", sql);
	int64_t n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* The reply remembered under key (as the store keeps it, bound to its request), or NULL:
 * read through the test's own connection. The caller frees it. */
static char *remembered(const char *key, size_t *len)
{
	sqlite3_stmt *s = NULL;
	char *out = NULL;
	REQUIRE(sqlite3_prepare_v2(R.ro, "SELECT reply FROM requests WHERE rid = ?1", -1, &s,
	                           NULL) == SQLITE_OK,
	        "remembered: %s", sqlite3_errmsg(R.ro));
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(s, 0);
		out = malloc(*len + 1);
		REQUIRE(out != NULL, "out of memory");
		if (*len)
			memcpy(out, sqlite3_column_blob(s, 0), *len);
		out[*len] = '\0';
	}
	sqlite3_finalize(s);
	return out;
}

/* One request as vqd's loop hands it over. */
struct req {
	const char *client;
	const char *suffix;
	char body[1024];
};

static struct req mk(const char *client, const char *suffix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct req mk(const char *client, const char *suffix, const char *fmt, ...)
{
	struct req q = {.client = client, .suffix = suffix};
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(q.body, sizeof q.body, fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof q.body);
	return q;
}

/* Runs one batch; replies[i] (parsed) for each request. Returns vqd_batch's result. */
static int run(const struct req *q, size_t n, int64_t now, cJSON **replies, char **raw)
{
	vqd_in in[64];
	char *text[64];
	ck_assert_uint_le(n, 64);
	for (size_t i = 0; i < n; i++)
		in[i] = (vqd_in){q[i].suffix, q[i].body, strlen(q[i].body), q[i].client};
	int rc = vqd_batch(&R.d, in, n, now, text);
	for (size_t i = 0; i < n; i++) {
		REQUIRE(text[i] != NULL, "request %zu: no reply", i);
		replies[i] = cJSON_Parse(text[i]);
		REQUIRE(cJSON_IsObject(replies[i]), "request %zu: reply %s", i, text[i]);
		if (raw)
			raw[i] = text[i];
		else
			free(text[i]);
	}
	/* what vqd.c does with the events: send them; here they are only counted */
	for (size_t e = 0; e < R.d.nevents; e++)
		free(R.d.events[e].json);
	R.d.nevents = 0;
	return rc;
}

static const char *errcode(const cJSON *r)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
	return cJSON_IsString(c) ? c->valuestring : "";
}

static int is_ok(const cJSON *r)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
}

static int64_t num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
}

static const char *str(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void free_all(cJSON **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(r[i]);
}

static void book_is_store(const char *ctx)
{
	char why[160];
	const vq_book *b = vq_service_book(R.d.svc);
	REQUIRE(b != NULL, "%s: no book", ctx);
	REQUIRE(!tu_book_vs_store(b, vq_service_store(R.d.svc), why, sizeof why), "%s: %s", ctx,
	        why);
}

/* A ticket issued on its own, committed. */
static void take_ticket(const char *client, const char *rid, const char *card, const char *attr,
                        int64_t now, uint64_t *id, char *code, size_t codelen)
{
	struct req q =
	    mk(client, "svc/issue",
	       "{\"v\":1,\"rid\":\"%s\",\"card\":\"%s\",\"attraction\":\"%s\",\"party\":1}", rid,
	       card, attr);
	cJSON *r;
	ck_assert_int_eq(run(&q, 1, now, &r, NULL), VQ_OK);
	REQUIRE(is_ok(r), "issue %s refused: %s", rid, errcode(r));
	*id = (uint64_t)num(r, "ticket", "id");
	if (code)
		snprintf(code, codelen, "%s", str(r, "ticket", "code"));
	cJSON_Delete(r);
}

/* Another process admits ticket id behind vqd's back. */
static void second_writer_redeems(uint64_t id)
{
	vq_store *other = NULL;
	char err[256];
	ck_assert_int_eq(vq_store_open(R.db, NULL, NULL, &other, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_store_begin(other), VQ_OK);
	ck_assert_int_eq(vq_store_redeem(other, id, "intruder", AT(9, 30), 0), VQ_OK);
	ck_assert_int_eq(vq_store_commit(other), VQ_OK);
	vq_store_close(other);
}

/* --- the examples -------------------------------------------------------------------- */

/* The issue's story: a redeem finds the disk disagreeing (a second writer), and the later
 * requests of that batch used to change the rebuilt book, answer storage, and then be
 * committed by the next, unrelated batch: one rid, two tickets. */
START_TEST(test_dead_batch_changes_nothing)
{
	uint64_t a, b;
	char code_a[VQ_CODE_MAX];
	take_ticket("kiosk-1", "first", "card-1", "coaster", AT(9, 0), &a, code_a, sizeof code_a);
	take_ticket("kiosk-1", "other", "card-2", "coaster", AT(9, 0), &b, NULL, 0);
	second_writer_redeems(a);
	int standby = R.d.standby_min[0], mfast = R.d.merge_fast[0];
	int64_t tickets = rows("SELECT count(*) FROM tickets");

	struct req q[] = {
	    mk("kiosk-3", "svc/quote", "{\"v\":1,\"rid\":\"q0\",\"party\":1}"),
	    mk("gate-1", "svc/redeem",
	       "{\"v\":1,\"rid\":\"g1\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code_a),
	    mk("kiosk-2", "svc/issue",
	       "{\"v\":1,\"rid\":\"second\",\"card\":\"card-3\",\"attraction\":\"flume\",\"party\":"
	       "2}"),
	    mk("kiosk-1", "svc/cancel",
	       "{\"v\":1,\"rid\":\"c1\",\"card\":\"card-2\",\"ticket\":%" PRIu64 "}", b),
	    mk("ops-1", "svc/ops",
	       "{\"v\":1,\"rid\":\"o1\",\"cmd\":\"standby\",\"attraction\":\"coaster\",\"minutes\":"
	       "55}"),
	    mk("ops-1", "svc/ops",
	       "{\"v\":1,\"rid\":\"o2\",\"cmd\":\"merge\",\"attraction\":\"coaster\",\"fast\":7,"
	       "\"standby\":2}"),
	    mk("ops-1", "svc/ops",
	       "{\"v\":1,\"rid\":\"o3\",\"cmd\":\"close\",\"attraction\":\"desk\"}"),
	    mk("ops-1", "svc/ops",
	       "{\"v\":1,\"rid\":\"o4\",\"cmd\":\"members_import\",\"members\":[{\"card\":\"m1\","
	       "\"tier\":\"gold\"}]}"),
	};
	size_t n = sizeof q / sizeof q[0];
	cJSON *r[16];
	ck_assert_int_eq(run(q, n, AT(9, 31), r, NULL), VQ_ESTORE);
	for (size_t i = 0; i < n; i++)
		REQUIRE(!strcmp(errcode(r[i]), "storage"), "request %zu (%s): %s", i, q[i].suffix,
		        cJSON_PrintUnformatted(r[i]));
	free_all(r, n);
	book_is_store("after the dead batch");
	ck_assert_int_eq(rows("SELECT count(*) FROM tickets"), tickets);
	ck_assert_int_eq(rows("SELECT count(*) FROM requests WHERE rid NOT IN "
	                      "('kiosk-1/first', 'kiosk-1/other')"),
	                 0);
	ck_assert_int_eq(rows("SELECT count(*) FROM audit"), 0);
	ck_assert_int_eq(rows("SELECT count(*) FROM members"), 0);
	ck_assert_int_eq(rows("SELECT count(*) FROM settings WHERE key LIKE 'standby.%%' OR key "
	                      "LIKE 'merge.%%'"),
	                 0);
	ck_assert_int_eq(rows("SELECT state FROM tickets WHERE id = %" PRIu64, b), VQ_TS_ISSUED);
	ck_assert_int_eq(R.d.standby_min[0], standby);
	ck_assert_int_eq(R.d.merge_fast[0], mfast);
	ck_assert_int_eq(vq_book_attr_state(vq_service_book(R.d.svc), 1)->status, VQ_ATTR_OPEN);

	/* an unrelated batch commits its own ticket and nothing of the dead one */
	uint64_t c;
	take_ticket("kiosk-3", "third", "card-4", "coaster", AT(9, 32), &c, NULL, 0);
	ck_assert_int_eq(rows("SELECT count(*) FROM tickets"), tickets + 1);
	book_is_store("after the next batch");

	/* the kiosk's retry of "second" gets one ticket, and its own retry the same bytes */
	struct req again = q[2];
	char *raw1, *raw2;
	ck_assert_int_eq(run(&again, 1, AT(9, 33), r, &raw1), VQ_OK);
	REQUIRE(is_ok(r[0]), "retry: %s", raw1);
	cJSON_Delete(r[0]);
	ck_assert_int_eq(run(&again, 1, AT(9, 34), r, &raw2), VQ_OK);
	cJSON_Delete(r[0]);
	ck_assert_str_eq(raw1, raw2);
	free(raw1);
	free(raw2);
	ck_assert_int_eq(rows("SELECT count(*) FROM tickets"), tickets + 2);
	ck_assert_int_eq(rows("SELECT count(*) FROM tickets WHERE attr = 'flume'"), 1);
	book_is_store("after the retries");
}
END_TEST

/* Operators' settings held in memory run only once their batch committed: a commit that
 * fails leaves boards and gates showing what was in force. */
START_TEST(test_settings_wait_for_commit)
{
	int standby = R.d.standby_min[0], mfast = R.d.merge_fast[0],
	    mstandby = R.d.merge_standby[0];
	uint8_t kid = R.d.kid;
	int ring = R.d.ring.count;
	int gold = vq_site_tier_find(R.d.site, "gold");
	int passes = vq_site_tier(R.d.site, gold)->max_passes;
	struct req q[] = {
	    mk("ops-1", "svc/ops",
	       "{\"v\":1,\"rid\":\"s1\",\"cmd\":\"standby\",\"attraction\":\"coaster\",\"minutes\":"
	       "42}"),
	    mk("ops-1", "svc/ops",
	       "{\"v\":1,\"rid\":\"s2\",\"cmd\":\"merge\",\"attraction\":\"coaster\",\"fast\":9,"
	       "\"standby\":3}"),
	    mk("ops-1", "svc/ops", "{\"v\":1,\"rid\":\"s3\",\"cmd\":\"keys_rotate\"}"),
	    mk("ops-1", "svc/ops",
	       "{\"v\":1,\"rid\":\"s4\",\"cmd\":\"tier\",\"tier\":\"gold\",\"max_passes\":%d}",
	       passes + 1),
	    mk("ops-1", "svc/ops", "{\"v\":1,\"rid\":\"s5\",\"cmd\":\"status\"}"),
	};
	size_t n = sizeof q / sizeof q[0];
	cJSON *r[8];
	/* the disk fails at the commit */
	vq_store_fail_io_after(1);
	int rc = run(q, n, AT(9, 30), r, NULL);
	vq_store_fail_io_after(0);
	ck_assert_int_eq(rc, VQ_ESTORE);
	for (size_t i = 0; i < n; i++)
		REQUIRE(!strcmp(errcode(r[i]), "storage"), "request %zu: %s", i,
		        cJSON_PrintUnformatted(r[i]));
	free_all(r, n);
	ck_assert_int_eq(R.d.standby_min[0], standby);
	ck_assert_int_eq(R.d.merge_fast[0], mfast);
	ck_assert_int_eq(R.d.merge_standby[0], mstandby);
	ck_assert_int_eq(R.d.kid, kid);
	ck_assert_int_eq(R.d.ring.count, ring);
	ck_assert_int_eq(vq_site_tier(R.d.site, gold)->max_passes, passes);
	ck_assert_ptr_null(R.d.pending_site);
	ck_assert(!R.d.pending_key);
	cJSON *st = vqd_state_attr(&R.d, 0, AT(9, 30));
	ck_assert_int_eq(num(st, "standby_min", NULL), standby);
	cJSON_Delete(st);
	book_is_store("after the failed commit");

	/* the same batch committed: the settings run, and the batch's own status saw them */
	ck_assert_int_eq(run(q, n, AT(9, 31), r, NULL), VQ_OK);
	for (size_t i = 0; i < n; i++)
		REQUIRE(is_ok(r[i]), "request %zu: %s", i, cJSON_PrintUnformatted(r[i]));
	ck_assert_int_eq(num(cJSON_GetArrayItem(cJSON_GetObjectItem(r[4], "attractions"), 0),
	                     "standby_min", NULL),
	                 42);
	free_all(r, n);
	ck_assert_int_eq(R.d.standby_min[0], 42);
	ck_assert_int_eq(R.d.merge_fast[0], 9);
	ck_assert_int_eq(R.d.merge_standby[0], 3);
	ck_assert_int_ne(R.d.kid, kid);
	ck_assert_int_eq(R.d.ring.count, ring + 1);
	ck_assert_int_eq(vq_site_tier(R.d.site, gold)->max_passes, passes + 1);
	ck_assert_int_eq(rows("SELECT count(*) FROM audit"), 4);
	book_is_store("after the commit");
}
END_TEST

/* An account the store cannot record (32..64 bytes) is refused on its own; the batch it
 * came in with commits. */
START_TEST(test_long_account)
{
	uint64_t a;
	char code[VQ_CODE_MAX];
	take_ticket("kiosk-1", "t1", "card-1", "coaster", AT(9, 0), &a, code, sizeof code);
	const char *longest = "gate-0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
	struct req q[] = {
	    mk("gate-0123456789abcdef01234567890", "svc/redeem",
	       "{\"v\":1,\"rid\":\"r1\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code),
	    mk(longest, "svc/redeem",
	       "{\"v\":1,\"rid\":\"r2\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code),
	    mk("kiosk-1", "svc/issue",
	       "{\"v\":1,\"rid\":\"t2\",\"card\":\"card-2\",\"attraction\":\"coaster\",\"party\":"
	       "1}"),
	};
	ck_assert_uint_eq(strlen(q[0].client), VQ_ID_MAX);
	cJSON *r[3];
	/* vqd's log, caught: one clear line, not one a request */
	char logpath[600];
	snprintf(logpath, sizeof logpath, "%s/vqd.log", R.dir);
	fflush(stderr);
	int saved = dup(2), fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	vq_log_set_level(VQ_LOG_ERROR);
	int rc = run(q, 3, AT(9, 20), r, NULL);
	free_all(r, 3);
	int rc2 = run(q, 2, AT(9, 20) + 30, r, NULL);
	free_all(r, 2);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	vq_log_set_level(VQ_LOG_ERROR + 1);
	ck_assert_int_eq(rc, VQ_OK);
	ck_assert_int_eq(rc2, VQ_OK);
	char *log = tu_read_file(logpath, NULL);
	ck_assert_ptr_nonnull(log);
	const char *line =
	    strstr(log, "refusing svc/redeem from account 'gate-0123456789abcdef01234567890'");
	ck_assert_msg(line && strstr(line, "1..31"), "log: %s", log);
	ck_assert_msg(!strstr(line + 1, "refusing"), "logged more than once a minute: %s", log);
	free(log);
	ck_assert_int_eq(run(q, 3, AT(9, 22), r, NULL), VQ_OK);
	ck_assert_str_eq(errcode(r[0]), "denied");
	ck_assert_str_eq(str(r[0], "rid", NULL), "r1");
	ck_assert_msg(strstr(str(r[0], "error", "message"), "1..31"), "message: %s",
	              str(r[0], "error", "message"));
	ck_assert_str_eq(errcode(r[1]), "denied");
	ck_assert(is_ok(r[2]));
	free_all(r, 3);
	ck_assert_int_eq(rows("SELECT state FROM tickets WHERE id = %" PRIu64, a), VQ_TS_ISSUED);
	ck_assert_int_eq(rows("SELECT count(*) FROM tickets"), 2);
	ck_assert_int_eq(rows("SELECT count(*) FROM requests WHERE rid LIKE 'gate-%%'"), 0);
	book_is_store("after the refusal");
}
END_TEST

/* A rebuild that fails leaves vqd without a book: it stays up, answers storage at once,
 * retries with a growing wait, and serves again once the database reads again. */
START_TEST(test_no_book)
{
	uint64_t a;
	char code[VQ_CODE_MAX];
	take_ticket("kiosk-1", "t1", "card-1", "coaster", AT(9, 0), &a, code, sizeof code);
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(R.db, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
	                              "UPDATE tickets SET state = 1, used_gate = 'x';"
	                              "UPDATE slots SET taken = taken + 3",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	struct req q =
	    mk("gate-1", "svc/redeem",
	       "{\"v\":1,\"rid\":\"r1\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code);
	cJSON *r;
	ck_assert_int_eq(run(&q, 1, AT(9, 20), &r, NULL), VQ_ESTORE);
	ck_assert_str_eq(errcode(r), "storage");
	cJSON_Delete(r);
	ck_assert_ptr_null(vq_service_book(R.d.svc));

	int recovered = 1;
	double t = 1000;
	int wait = vqd_book_retry(&R.d, t, &recovered);
	ck_assert_int_gt(wait, 0);
	ck_assert(!recovered);
	/* every request, reads too, gets storage without a batch */
	struct req two[] = {q, mk("kiosk-1", "svc/quote", "{\"v\":1,\"rid\":\"q\",\"party\":1}")};
	cJSON *rr[2];
	ck_assert_int_ne(run(two, 2, AT(9, 21), rr, NULL), VQ_OK);
	ck_assert_str_eq(errcode(rr[0]), "storage");
	ck_assert_str_eq(errcode(rr[1]), "storage");
	free_all(rr, 2);
	/* not before the wait is over; then waits that grow */
	ck_assert_int_gt(vqd_book_retry(&R.d, t + 1, &recovered), 0);
	ck_assert_uint_eq(R.d.nobook_attempts, 0);
	int prev = 0;
	for (int i = 0; i < 4; i++) {
		t = R.d.nobook_retry_at;
		wait = vqd_book_retry(&R.d, t, &recovered);
		ck_assert(!recovered);
		ck_assert_int_gt(wait, prev);
		prev = wait;
	}
	ck_assert_uint_eq(R.d.nobook_attempts, 4);
	ck_assert_ptr_null(vq_service_book(R.d.svc));
	/* repaired */
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE slots SET taken = taken - 3", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(vqd_book_retry(&R.d, R.d.nobook_retry_at, &recovered), -1);
	ck_assert(recovered);
	ck_assert_ptr_nonnull(vq_service_book(R.d.svc));
	ck_assert_int_eq(run(&q, 1, AT(9, 22), &r, NULL), VQ_OK);
	ck_assert_str_eq(errcode(r), "already_used");
	cJSON_Delete(r);
	book_is_store("after the recovery");
}
END_TEST

/* --- randomized faults ----------------------------------------------------------------- */

#define MAX_TICKETS 40000
#define MAX_RIDS    60000
#define ATTRS       3

static const char *const ATTR_IDS[ATTRS] = {"coaster", "desk", "flume"};

struct tk {
	uint64_t id;
	int card;
	int attr;
	char code[VQ_CODE_MAX];
};

enum rstate { RQ_NEW = 0, RQ_OK, RQ_REFUSED, RQ_STORAGE };

/* A mutating request that may be sent again, as a client retries. */
struct rr {
	struct req q;
	int state;   /* enum rstate: its last answer */
	char *reply; /* the ok reply's bytes, once committed */
};

struct model {
	tu_rng rng;
	struct tk *t;
	int nt;
	struct rr *r;
	int nr;
	int64_t tickets, redemptions, audits;
	int standby[ATTRS], mfast[ATTRS], mstandby[ATTRS];
	uint8_t kid;
	unsigned long seq;
	int64_t now;
	/* figures */
	unsigned long batches, armed, failed, ok, refused, storage, replays;
};

static const char *const KIOSKS[] = {"kiosk-1", "kiosk-2", "kiosk-3"};
static const char *const GATES[] = {"gate-1", "gate-2"};

static int pick(struct model *m, int n)
{
	return (int)tu_rng_below(&m->rng, (uint32_t)n);
}

/* A request of a random kind; mutating ones are kept to be retried. idx: its entry in
 * m->r, -1 for reads. */
static struct req random_req(struct model *m, int *idx)
{
	struct req q;
	unsigned long k = ++m->seq;
	int roll = pick(m, 100);
	*idx = -1;
	if (roll < 8 && m->nr > 0) {
		/* a client sends a request again: same rid, same body */
		int i = pick(m, m->nr);
		if (m->r[i].state == RQ_OK || m->r[i].state == RQ_STORAGE) {
			*idx = i;
			return m->r[i].q;
		}
	}
	if (roll < 40 || m->nt == 0) {
		q = mk(KIOSKS[k % 3], "svc/issue",
		       "{\"v\":1,\"rid\":\"i%lu\",\"card\":\"card-%d\",\"attraction\":\"%s\","
		       "\"party\":%d}",
		       k, pick(m, 400), ATTR_IDS[pick(m, ATTRS)], 1 + pick(m, 3));
	} else if (roll < 48) {
		const struct tk *t = &m->t[pick(m, m->nt)];
		q = mk(KIOSKS[k % 3], "svc/cancel",
		       "{\"v\":1,\"rid\":\"c%lu\",\"card\":\"card-%d\",\"ticket\":%" PRIu64 "}", k,
		       t->card, t->id);
	} else if (roll < 60) {
		const struct tk *t = &m->t[pick(m, m->nt)];
		q = mk(GATES[k % 2], "svc/redeem",
		       "{\"v\":1,\"rid\":\"r%lu\",\"code\":\"%s\",\"attraction\":\"%s\"}", k,
		       t->code, ATTR_IDS[t->attr]);
	} else if (roll < 65) {
		const struct tk *t1 = &m->t[pick(m, m->nt)], *t2 = &m->t[pick(m, m->nt)];
		q = mk(GATES[k % 2], "svc/sync",
		       "{\"v\":1,\"rid\":\"y%lu\",\"admissions\":[{\"code\":\"%s\",\"attraction\":"
		       "\"%s\",\"at\":%" PRId64
		       "},{\"code\":\"%s\",\"attraction\":\"%s\",\"at\":%" PRId64 "}]}",
		       k, t1->code, ATTR_IDS[t1->attr], m->now - pick(m, 600), t2->code,
		       ATTR_IDS[t2->attr], m->now);
	} else if (roll < 69) {
		const struct tk *t = &m->t[pick(m, m->nt)];
		q = mk(GATES[k % 2], "svc/override",
		       "{\"v\":1,\"rid\":\"o%lu\",\"code\":\"%s\",\"attraction\":\"%s\",\"reason\":"
		       "\"ride was down\"}",
		       k, t->code, ATTR_IDS[t->attr]);
	} else if (roll < 75) {
		*idx = -2;
		return pick(m, 2)
		           ? mk(KIOSKS[k % 3], "svc/quote",
		                "{\"v\":1,\"rid\":\"q%lu\",\"card\":\"card-%d\",\"party\":1}", k,
		                pick(m, 400))
		           : mk(KIOSKS[k % 3], "svc/identify",
		                "{\"v\":1,\"rid\":\"d%lu\",\"card\":\"card-%d\"}", k, pick(m, 400));
	} else if (roll < 83) {
		q = mk("ops-1", "svc/ops",
		       "{\"v\":1,\"rid\":\"s%lu\",\"cmd\":\"standby\",\"attraction\":\"%s\","
		       "\"minutes\":"
		       "%d}",
		       k, ATTR_IDS[pick(m, ATTRS)], pick(m, 601));
	} else if (roll < 88) {
		q = mk(
		    "ops-1", "svc/ops",
		    "{\"v\":1,\"rid\":\"m%lu\",\"cmd\":\"merge\",\"attraction\":\"%s\",\"fast\":%d,"
		    "\"standby\":%d}",
		    k, ATTR_IDS[pick(m, ATTRS)], 1 + pick(m, 9), 1 + pick(m, 9));
	} else if (roll < 92) {
		q = mk("ops-1", "svc/ops",
		       "{\"v\":1,\"rid\":\"p%lu\",\"cmd\":\"capacity\",\"attraction\":\"%s\","
		       "\"overbook_pct\":%d}",
		       k, ATTR_IDS[pick(m, ATTRS)], pick(m, 30));
	} else if (roll < 96) {
		q = mk("ops-1", "svc/ops",
		       "{\"v\":1,\"rid\":\"x%lu\",\"cmd\":\"%s\",\"attraction\":\"%s\"}", k,
		       pick(m, 2) ? "close" : "reopen", ATTR_IDS[pick(m, ATTRS)]);
	} else if (roll < 99) {
		q = mk(
		    "ops-1", "svc/ops",
		    "{\"v\":1,\"rid\":\"n%lu\",\"cmd\":\"members_import\",\"members\":[{\"card\":"
		    "\"card-%d\",\"tier\":\"%s\"}]}",
		    k, pick(m, 400), pick(m, 2) ? "gold" : "platinum");
	} else if (pick(m, 4) == 0) {
		q = mk("ops-1", "svc/ops", "{\"v\":1,\"rid\":\"k%lu\",\"cmd\":\"keys_rotate\"}", k);
	} else {
		q = mk("ops-1", "svc/ops",
		       "{\"v\":1,\"rid\":\"t%lu\",\"cmd\":\"tier\",\"tier\":\"gold\",\"max_"
		       "passes\":%d}",
		       k, 2 + pick(m, 4));
	}
	ck_assert_int_lt(m->nr, MAX_RIDS);
	*idx = m->nr;
	m->r[m->nr++] = (struct rr){.q = q, .state = RQ_NEW};
	return q;
}

static int attr_index(const char *id)
{
	for (int a = 0; a < ATTRS; a++)
		if (id && !strcmp(id, ATTR_IDS[a]))
			return a;
	return -1;
}

/* What a committed ok reply of a first-time request adds to the disk. */
static void account_ok(struct model *m, const struct req *q, const cJSON *r, const char *ctx)
{
	if (!strcmp(q->suffix, "svc/issue")) {
		m->tickets++;
		ck_assert_int_lt(m->nt, MAX_TICKETS);
		struct tk *t = &m->t[m->nt++];
		t->id = (uint64_t)num(r, "ticket", "id");
		t->attr = attr_index(str(r, "ticket", "attraction"));
		sscanf(strstr(q->body, "card-"), "card-%d", &t->card);
		snprintf(t->code, sizeof t->code, "%s", str(r, "ticket", "code"));
		REQUIRE(rows("SELECT count(*) FROM tickets WHERE id = %" PRIu64 " AND attr = '%s'",
		             t->id, ATTR_IDS[t->attr]) == 1,
		        "%s: ticket %" PRIu64 " of an ok issue is not on disk", ctx, t->id);
	} else if (!strcmp(q->suffix, "svc/cancel")) {
		int64_t id = num(r, "ticket", "id");
		REQUIRE(rows("SELECT state FROM tickets WHERE id = %" PRId64, id) ==
		            VQ_TS_CANCELLED,
		        "%s: cancelled ticket %" PRId64 " is not cancelled on disk", ctx, id);
	} else if (!strcmp(q->suffix, "svc/redeem")) {
		int64_t id = num(r, "ticket", "id");
		m->redemptions++;
		REQUIRE(rows("SELECT count(*) FROM redemptions WHERE ticket = %" PRId64, id) == 1,
		        "%s: admitted ticket %" PRId64 " is not admitted exactly once", ctx, id);
	} else if (!strcmp(q->suffix, "svc/sync")) {
		const cJSON *res;
		cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(r, "results"))
		{
			if (is_ok(res))
				m->redemptions++;
		}
	} else if (!strcmp(q->suffix, "svc/override")) {
		m->audits++;
		if (cJSON_GetObjectItemCaseSensitive(r, "ticket"))
			m->redemptions++;
	} else if (!strcmp(q->suffix, "svc/ops")) {
		m->audits++;
		const char *cmd = strstr(q->body, "\"cmd\":\"") + 7;
		const char *at = strstr(q->body, "\"attraction\":\"");
		int a = at ? attr_index(str(r, "state", "attraction")) : -1;
		if (!strncmp(cmd, "standby", 7))
			m->standby[a] = (int)num(r, "state", "standby_min");
		else if (!strncmp(cmd, "merge", 5))
			sscanf(strstr(q->body, "\"fast\":"), "\"fast\":%d,\"standby\":%d",
			       &m->mfast[a], &m->mstandby[a]);
		else if (!strncmp(cmd, "keys_rotate", 11))
			m->kid = (uint8_t)num(r, "kid", NULL);
	}
}

/* After every batch: what the disk holds is exactly what was acknowledged, and vqd's
 * memory is what the disk says. */
static void check_world(struct model *m, const char *ctx)
{
	book_is_store(ctx);
	int64_t t = rows("SELECT count(*) FROM tickets");
	int64_t rd = rows("SELECT count(*) FROM redemptions");
	/* vqd's own notes for the day's report (sell-outs, conflicts) come on top */
	int64_t au =
	    rows("SELECT count(*) FROM audit WHERE action NOT IN ('sold_out', 'conflict')");
	REQUIRE(t == m->tickets, "%s: %" PRId64 " tickets on disk, %" PRId64 " acknowledged", ctx,
	        t, m->tickets);
	REQUIRE(rd == m->redemptions,
	        "%s: %" PRId64 " admissions on disk, %" PRId64 " acknowledged", ctx, rd,
	        m->redemptions);
	REQUIRE(au == m->audits, "%s: %" PRId64 " audit lines, %" PRId64 " acknowledged", ctx, au,
	        m->audits);
	for (int a = 0; a < ATTRS; a++) {
		REQUIRE(R.d.standby_min[a] == m->standby[a], "%s: standby of %s is %d, told %d",
		        ctx, ATTR_IDS[a], R.d.standby_min[a], m->standby[a]);
		REQUIRE(R.d.merge_fast[a] == m->mfast[a] && R.d.merge_standby[a] == m->mstandby[a],
		        "%s: merge of %s differs", ctx, ATTR_IDS[a]);
	}
	REQUIRE(R.d.kid == m->kid, "%s: signing key %d, told %d", ctx, R.d.kid, m->kid);
	REQUIRE(!R.d.pending_key && !R.d.pending_site && R.d.nevents == 0,
	        "%s: something is still pending", ctx);
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	return v && *v ? strtoul(v, NULL, 0) : def;
}

START_TEST(test_random_faults)
{
	unsigned long nbatches = env_ul("VQ_FAULT_BATCHES", 2000);
	uint64_t seed = env_ul("VQ_FAULT_SEED", 1);
	printf("test_random_faults: seed %" PRIu64 " (VQ_FAULT_SEED=%" PRIu64
	       " repeats it), %lu batches\n",
	       seed, seed, nbatches);
	fflush(stdout);
	struct model m;
	memset(&m, 0, sizeof m);
	m.rng.s = seed;
	m.t = calloc(MAX_TICKETS, sizeof *m.t);
	m.r = calloc(MAX_RIDS, sizeof *m.r);
	ck_assert(m.t && m.r);
	for (int a = 0; a < ATTRS; a++) {
		m.standby[a] = R.d.standby_min[a];
		m.mfast[a] = R.d.merge_fast[a];
		m.mstandby[a] = R.d.merge_standby[a];
	}
	m.kid = R.d.kid;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m.now = AT(9, 0);
	for (unsigned long b = 0; b < nbatches; b++) {
		char ctx[96];
		snprintf(ctx, sizeof ctx, "seed %" PRIu64 " batch %lu", seed, b);
		struct req q[8];
		int idx[8];
		size_t n = 1 + (size_t)pick(&m, 8);
		m.now += 1 + pick(&m, 3);
		for (size_t i = 0; i < n; i++)
			q[i] = random_req(&m, &idx[i]);
		int64_t audits_before = rows("SELECT count(*) FROM audit");
		int armed = pick(&m, 10) < 3;
		if (armed)
			vq_store_fail_io_after(1 + (unsigned long)pick(&m, 12));
		cJSON *r[8];
		char *raw[8];
		int rc = run(q, n, m.now, r, raw);
		vq_store_fail_io_after(0);
		m.batches++;
		m.armed += armed;
		REQUIRE(rc == VQ_OK || armed, "%s: a batch without a fault failed: %s", ctx,
		        vq_store_errmsg(vq_service_store(R.d.svc)));
		if (rc != VQ_OK) {
			m.failed++;
			REQUIRE(rows("SELECT count(*) FROM audit") == audits_before,
			        "%s: a failed batch left audit lines", ctx);
		}
		for (size_t i = 0; i < n; i++) {
			const char *code = errcode(r[i]);
			int storage = !strcmp(code, "storage");
			REQUIRE(rc == VQ_OK ? !storage : storage,
			        "%s: %s answered %s in a batch that %s", ctx, q[i].suffix, raw[i],
			        rc == VQ_OK ? "committed" : "failed");
			if (storage)
				m.storage++;
			else if (is_ok(r[i]))
				m.ok++;
			else
				m.refused++;
			if (idx[i] < 0)
				continue;
			struct rr *e = &m.r[idx[i]];
			char key[96];
			snprintf(key, sizeof key, "%s/%s", q[i].client, str(r[i], "rid", NULL));
			if (e->state == RQ_OK) {
				/* a retry of an acknowledged request: the first answer, byte for
				 * byte */
				if (!storage) {
					REQUIRE(!strcmp(e->reply, raw[i]),
					        "%s: %s answered again differently:\n%s\n%s", ctx,
					        key, e->reply, raw[i]);
					m.replays++;
				}
			} else if (storage) {
				e->state = RQ_STORAGE;
				REQUIRE(rows("SELECT count(*) FROM requests WHERE rid = '%s'",
				             key) == 0,
				        "%s: %s answered storage yet is remembered", ctx, key);
			} else if (is_ok(r[i])) {
				e->state = RQ_OK;
				e->reply = strdup(raw[i]);
				size_t len = 0;
				char *stored = remembered(key, &len);
				REQUIRE(
				    stored && len == strlen(raw[i]) && !memcmp(stored, raw[i], len),
				    "%s: the ok reply to %s is not what is remembered", ctx, key);
				free(stored);
				account_ok(&m, &q[i], r[i], ctx);
			} else {
				e->state = RQ_REFUSED;
			}
		}
		for (size_t i = 0; i < n; i++)
			free(raw[i]);
		free_all(r, n);
		check_world(&m, ctx);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("test_random_faults: seed %" PRIu64 ": %lu batches (%lu with a fault armed, %lu "
	       "failed), replies %lu ok, %lu refused, %lu storage, %lu replays; %" PRId64
	       " tickets, %" PRId64 " admissions; %.1f s\n",
	       seed, m.batches, m.armed, m.failed, m.ok, m.refused, m.storage, m.replays, m.tickets,
	       m.redemptions, secs);
	ck_assert_msg(m.failed > nbatches / 20 && m.ok > nbatches && m.replays > 0,
	              "seed %" PRIu64 ": the run must exercise failures (%lu), oks (%lu), "
	              "replays (%lu)",
	              seed, m.failed, m.ok, m.replays);
	for (int i = 0; i < m.nr; i++)
		free(m.r[i].reply);
	free(m.r);
	free(m.t);
}
END_TEST

static Suite *batch_suite(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("examples");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dead_batch_changes_nothing);
	tcase_add_test(tc, test_settings_wait_for_commit);
	tcase_add_test(tc, test_long_account);
	tcase_add_test(tc, test_no_book);
	suite_add_tcase(s, tc);
	TCase *rnd = tcase_create("random");
	tcase_add_checked_fixture(rnd, setup, teardown);
	tcase_set_timeout(rnd, 600);
	tcase_add_test(rnd, test_random_faults);
	suite_add_tcase(s, rnd);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(batch_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
