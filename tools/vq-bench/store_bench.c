/* tools/vq-bench/store_bench.c — what durability costs vq, next to what it costs SQLite alone.
 *
 * For batch sizes 1, 16 and 128, measures durable ticket writes per second through the store
 * (per ticket: vq_store_put_ticket + vq_store_put_request, one vq_store_begin/commit per
 * batch), and next to it a bare SQLite loop inserting one row of the same width per ticket
 * with the same settings (WAL, synchronous=FULL, one transaction per batch, a prepared
 * statement). The ratio is vq's overhead: a second row per ticket (the request id), the
 * indexes, the validation and the fault-injection VFS. Every measurement gets a fresh
 * database in a scratch folder under $TMPDIR, removed afterwards; fsync cost depends on that
 * file system, so the figures compare within one run, not across machines.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp, clock_gettime when compiled on its own */
#endif

#include "bench.h"

#include "coordinator/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_DAY 1798675200 /* any midnight will do */

static const int batches[] = {1, 16, 128};

struct plan {
	double seconds; /* per measurement, used when count == 0 */
	long count;     /* tickets per measurement, 0 = time-bound */
};

static int more(const struct plan *p, long done, double start)
{
	if (p->count > 0)
		return done < p->count;
	return vq_bench_now() - start < p->seconds;
}

static void fill_ticket(vq_ticket *t, uint64_t id)
{
	memset(t, 0, sizeof *t);
	t->id = id;
	snprintf(t->attr, sizeof t->attr, "coaster");
	t->slot_start = BENCH_DAY + 9 * 3600 + (int64_t)(id % 48) * 900;
	t->win_start = t->slot_start;
	t->win_end = t->slot_start + 3600;
	t->tier = (uint8_t)(id % 3);
	t->party = (uint8_t)(1 + id % 4);
	t->number = (uint16_t)(id % 999 + 1);
	t->guest = id * 0x9E3779B97F4A7C15ull;
	t->state = VQ_TS_ISSUED;
	t->issued_at = BENCH_DAY + 8 * 3600 + (int64_t)id;
}

/* The reply a kiosk would get back, about the size vqd sends. */
static int fill_reply(char *out, size_t len, const vq_ticket *t)
{
	return snprintf(
	    out, len,
	    "{\"v\":1,\"ok\":true,\"ticket\":{\"id\":%llu,\"attr\":\"%s\",\"number\":\"C-%03u\","
	    "\"from\":%lld,\"until\":%lld,\"party\":%u,\"code\":\"V1C0AST3RQ7Z9X2M4K6"
	    "P8R0T1W3Y5B7D9F2H4J6L8N0Q2S4U6\"}}",
	    (unsigned long long)t->id, t->attr, t->number, (long long)t->win_start,
	    (long long)t->win_end, t->party);
}

/* Durable tickets per second through the store, or a negative value on failure. */
static double run_vq(const char *path, int batch, const struct plan *p)
{
	char err[256];
	vq_store *st = NULL;
	if (vq_store_open(path, NULL, NULL, &st, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-bench store: %s\n", err);
		return -1;
	}
	uint64_t id = 1;
	long done = 0;
	double start = vq_bench_now();
	while (more(p, done, start)) {
		if (vq_store_begin(st) != VQ_OK)
			goto fail;
		for (int k = 0; k < batch; k++, id++) {
			vq_ticket t;
			char rid[48], reply[320];
			/* vqd binds each reply to a digest of its request: 32 bytes a row */
			uint8_t digest[VQ_STORE_DIGEST_LEN] = {0};
			memcpy(digest, &id, sizeof id);
			fill_ticket(&t, id);
			snprintf(rid, sizeof rid, "kiosk-%02u:%010llu", (unsigned)(id % 17),
			         (unsigned long long)id);
			int len = fill_reply(reply, sizeof reply, &t);
			if (vq_store_put_ticket(st, &t) != VQ_OK ||
			    vq_store_put_request(st, rid, "issue", digest, reply, (size_t)len,
			                         t.issued_at) != VQ_OK)
				goto fail;
		}
		if (vq_store_commit(st) != VQ_OK)
			goto fail;
		done += batch;
	}
	double rate = (double)done / (vq_bench_now() - start);
	vq_store_close(st);
	return rate;
fail:
	fprintf(stderr, "vq-bench store: %s\n", vq_store_errmsg(st));
	vq_store_close(st);
	return -1;
}

static int exec_ok(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 1;
	fprintf(stderr, "vq-bench store: bare: %s: %s\n", sql, sqlite3_errmsg(db));
	return 0;
}

static int step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE;
}

/* Rows per second for the bare loop: one row of a ticket's width per ticket. */
static double run_bare(const char *path, int batch, const struct plan *p)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *begin = NULL, *commit = NULL, *ins = NULL;
	double rate = -1;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "vq-bench store: bare: %s\n", sqlite3_errmsg(db));
		goto cleanup;
	}
	if (!exec_ok(db, "PRAGMA journal_mode = WAL") ||
	    !exec_ok(db, "PRAGMA synchronous = FULL") ||
	    !exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, attr TEXT, slot_start INTEGER,"
	                 " win_start INTEGER, win_end INTEGER, tier INTEGER, party INTEGER,"
	                 " number INTEGER, guest INTEGER, state INTEGER, issued_at INTEGER,"
	                 " valid_from INTEGER, valid_until INTEGER, used_at INTEGER,"
	                 " used_gate TEXT, used_offline INTEGER)"))
		goto cleanup;
	if (sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	                       " ?12, ?13, ?14, ?15, ?16)",
	                       -1, &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "vq-bench store: bare: %s\n", sqlite3_errmsg(db));
		goto cleanup;
	}
	uint64_t id = 1;
	long done = 0;
	double start = vq_bench_now();
	while (more(p, done, start)) {
		if (!step_done(begin))
			goto failed;
		for (int k = 0; k < batch; k++, id++) {
			vq_ticket t;
			fill_ticket(&t, id);
			int64_t guest;
			memcpy(&guest, &t.guest, sizeof guest);
			sqlite3_bind_int64(ins, 1, (int64_t)t.id);
			sqlite3_bind_text(ins, 2, t.attr, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 3, t.slot_start);
			sqlite3_bind_int64(ins, 4, t.win_start);
			sqlite3_bind_int64(ins, 5, t.win_end);
			sqlite3_bind_int(ins, 6, t.tier);
			sqlite3_bind_int(ins, 7, t.party);
			sqlite3_bind_int(ins, 8, t.number);
			sqlite3_bind_int64(ins, 9, guest);
			sqlite3_bind_int(ins, 10, t.state);
			sqlite3_bind_int64(ins, 11, t.issued_at);
			sqlite3_bind_int64(ins, 12, t.valid_from);
			sqlite3_bind_int64(ins, 13, t.valid_until);
			sqlite3_bind_int64(ins, 14, t.used_at);
			sqlite3_bind_text(ins, 15, t.used_gate, -1, SQLITE_STATIC);
			sqlite3_bind_int(ins, 16, t.used_offline);
			if (!step_done(ins))
				goto failed;
		}
		if (!step_done(commit))
			goto failed;
		done += batch;
	}
	rate = (double)done / (vq_bench_now() - start);
	goto cleanup;
failed:
	fprintf(stderr, "vq-bench store: bare: %s\n", sqlite3_errmsg(db));
cleanup:
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return rate;
}

/* Removes a measurement's database and its WAL companions. */
static void remove_db(const char *path)
{
	char side[1200]; /* paths are made in buffers of 1100 */
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

static int usage(void)
{
	fprintf(stderr, "usage: vq-bench store [--seconds S | --count N]\n");
	return 2;
}

int vq_bench_store(int argc, char **argv)
{
	struct plan p = {.seconds = 2.0, .count = 0};
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			p.seconds = atof(argv[++i]);
			if (p.seconds <= 0)
				return usage();
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			p.count = atol(argv[++i]);
			if (p.count <= 0)
				return usage();
		} else {
			return usage();
		}
	}

	const char *tmp = getenv("TMPDIR");
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/vq-bench-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("vq-bench store: mkdtemp");
		return 1;
	}

	printf("store: durable writes (WAL, synchronous=FULL), one transaction per batch, in %s\n",
	       dir);
	if (p.count > 0)
		printf("       %ld tickets per measurement\n", p.count);
	else
		printf("       %.1f s per measurement\n", p.seconds);
	printf("%8s %16s %18s %8s\n", "batch", "vq tickets/s", "bare inserts/s", "ratio");

	int status = 0;
	for (size_t i = 0; i < sizeof batches / sizeof batches[0]; i++) {
		char vq_path[1100], bare_path[1100];
		snprintf(vq_path, sizeof vq_path, "%s/vq-%d.db", dir, batches[i]);
		snprintf(bare_path, sizeof bare_path, "%s/bare-%d.db", dir, batches[i]);
		double vq = run_vq(vq_path, batches[i], &p);
		double bare = run_bare(bare_path, batches[i], &p);
		remove_db(vq_path);
		remove_db(bare_path);
		if (vq < 0 || bare < 0) {
			status = 1;
			break;
		}
		printf("%8d %16.0f %18.0f %8.2f\n", batches[i], vq, bare, vq / bare);
		fflush(stdout);
	}
	rmdir(dir);
	return status;
}
