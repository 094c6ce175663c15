/* coordinator/store.c — the store's SQLite backend (contract: store.h, store_backend.h).
 *
 * Owns the SQLite connection, its schema and migrations, and every SQL statement vq runs
 * on SQLite (store_pg.c is PostgreSQL's twin); store_api.c has checked every argument
 * before a function here runs. Invariants:
 *   - every statement is prepared once, at open, and every function that steps one resets it
 *     and clears its bindings before returning, so no statement keeps a read snapshot, a lock
 *     or a pointer into the caller's memory between calls;
 *   - every write happens inside the caller's batch (vq_store_begin .. commit/rollback): a
 *     write outside one fails, so nothing is ever committed on its own; a call that writes
 *     more than one row runs under a savepoint, so it is atomic within the batch;
 *   - a database whose schema is newer than this code is never written to: open refuses it;
 *   - whether a transaction is open is asked of SQLite (sqlite3_get_autocommit), because
 *     SQLite rolls back on its own after some I/O errors; we keep only the caller's intent;
 *   - once a batch is dead (SQLite rolled it back by itself, a write of it failed, or the
 *     caller declared it dead with vq_store_poison), every write up to the caller's commit
 *     or rollback fails and the commit fails, so a batch is never half durable.
 * Integers that C holds as uint64_t (ticket ids, guest references) are stored bit for bit
 * in SQLite's signed 64-bit INTEGER; ids are kept below 2^63 so they also sort as numbers.
 */
#include "coordinator/faultvfs.h"
#include "coordinator/store_backend.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 5000
#define APPLICATION_ID  0x76710001 /* "vq", format 1: tells our files from other SQLite dbs */

/* ---- schema ---- */

/* Migration 1. A later version appends a new array and a row in `migrations`; a step, once
 * released, is never edited, because databases in the field have already run it. */
static const char *const migration_1[] = {
    "CREATE TABLE tickets ("
    " id INTEGER PRIMARY KEY CHECK (id > 0),"
    " attr TEXT NOT NULL,"
    " slot_start INTEGER NOT NULL,"
    " win_start INTEGER NOT NULL,"
    " win_end INTEGER NOT NULL,"
    " tier INTEGER NOT NULL CHECK (tier BETWEEN 0 AND 255),"
    " party INTEGER NOT NULL CHECK (party BETWEEN 1 AND 255),"
    " number INTEGER NOT NULL CHECK (number BETWEEN 0 AND 65535),"
    " guest INTEGER NOT NULL,"
    " state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),"
    " issued_at INTEGER NOT NULL,"
    " valid_from INTEGER NOT NULL,"
    " valid_until INTEGER NOT NULL,"
    " used_at INTEGER NOT NULL,"
    " used_gate TEXT NOT NULL,"
    " used_offline INTEGER NOT NULL CHECK (used_offline IN (0, 1))"
    ") STRICT",
    "CREATE INDEX tickets_attr_slot ON tickets (attr, slot_start)",
    "CREATE TABLE slots ("
    " attr TEXT NOT NULL,"
    " day_start INTEGER NOT NULL,"
    " slot INTEGER NOT NULL CHECK (slot >= 0),"
    " start INTEGER NOT NULL,"
    " cap INTEGER NOT NULL CHECK (cap >= 0),"
    " taken INTEGER NOT NULL CHECK (taken >= 0),"
    " PRIMARY KEY (attr, day_start, slot)"
    ") STRICT, WITHOUT ROWID",
    "CREATE TABLE attr_state ("
    " attr TEXT NOT NULL,"
    " day_start INTEGER NOT NULL,"
    " status INTEGER NOT NULL CHECK (status IN (0, 1)),"
    " closed_at INTEGER NOT NULL,"
    " reopened_at INTEGER NOT NULL,"
    " throughput INTEGER NOT NULL CHECK (throughput >= 0),"
    " share INTEGER NOT NULL CHECK (share BETWEEN 0 AND 100),"
    " overbook INTEGER NOT NULL CHECK (overbook BETWEEN 0 AND 100),"
    " next_number INTEGER NOT NULL CHECK (next_number BETWEEN 0 AND 65535),"
    " PRIMARY KEY (attr, day_start)"
    ") STRICT, WITHOUT ROWID",
    "CREATE TABLE members ("
    " card TEXT PRIMARY KEY,"
    " tier TEXT NOT NULL"
    ") STRICT, WITHOUT ROWID",
    /* Replies can be a few hundred bytes: too wide for a WITHOUT ROWID row. */
    "CREATE TABLE requests ("
    " rid TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " reply BLOB NOT NULL,"
    " at INTEGER NOT NULL"
    ") STRICT",
    "CREATE TABLE redemptions ("
    " id INTEGER PRIMARY KEY,"
    " ticket INTEGER NOT NULL REFERENCES tickets (id),"
    " gate TEXT NOT NULL,"
    " at INTEGER NOT NULL,"
    " offline INTEGER NOT NULL CHECK (offline IN (0, 1))"
    ") STRICT",
    "CREATE INDEX redemptions_ticket ON redemptions (ticket)",
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " detail TEXT"
    ") STRICT",
    "CREATE TABLE keys ("
    " kid INTEGER PRIMARY KEY CHECK (kid BETWEEN 0 AND 255),"
    " pk BLOB NOT NULL CHECK (length(pk) = 32),"
    " sk BLOB NOT NULL CHECK (length(sk) = 64),"
    " active INTEGER NOT NULL CHECK (active IN (0, 1)),"
    " created INTEGER NOT NULL"
    ") STRICT",
    /* The schema itself guarantees at most one active signing key. */
    "CREATE UNIQUE INDEX keys_one_active ON keys (active) WHERE active = 1",
    "CREATE TABLE settings ("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL"
    ") STRICT, WITHOUT ROWID",
};

/* Migration 2: a remembered reply is bound to the request that produced it, and the
 * signing secrets leave the database for vqd's key file (coordinator/keyfile.h). */
static const char *const migration_2[] = {
    /* The digest of the verb and the canonical request body (handlers.c); rows from before
     * have none and are bound to their verb alone until they are pruned. */
    "ALTER TABLE requests ADD COLUMN digest BLOB"
    " CHECK (digest IS NULL OR length(digest) = 32)",
    /* Where the secret keys wait until vqd has written them to its key file; emptied at
     * vqd's first start (vq_store_forget_legacy_secrets), never written again. */
    "CREATE TABLE legacy_secrets ("
    " kid INTEGER PRIMARY KEY CHECK (kid BETWEEN 0 AND 255),"
    " sk BLOB NOT NULL CHECK (length(sk) = 64)"
    ") STRICT",
    "INSERT INTO legacy_secrets (kid, sk) SELECT kid, sk FROM keys",
    /* Keys keep their history: when one stopped signing (the tickets issued before then may
     * carry it) and when it left the ring. */
    "CREATE TABLE keys_2 ("
    " kid INTEGER PRIMARY KEY CHECK (kid BETWEEN 0 AND 255),"
    " pk BLOB NOT NULL CHECK (length(pk) = 32),"
    " active INTEGER NOT NULL CHECK (active IN (0, 1)),"
    " created INTEGER NOT NULL,"
    " deactivated INTEGER NOT NULL DEFAULT 0,"
    " retired INTEGER NOT NULL DEFAULT 0,"
    " CHECK (active = 0 OR retired = 0)"
    ") STRICT",
    /* A key stopped signing when the next one was made. */
    "INSERT INTO keys_2 (kid, pk, active, created, deactivated)"
    " SELECT kid, pk, active, created, CASE WHEN active = 1 THEN 0 ELSE coalesce("
    "(SELECT min(n.created) FROM keys n WHERE n.created > keys.created), created) END"
    " FROM keys",
    "DROP TABLE keys",
    "ALTER TABLE keys_2 RENAME TO keys",
    "CREATE UNIQUE INDEX keys_one_active ON keys (active) WHERE active = 1",
};

/* Migration 3: accessibility return passes are tickets of another kind that hold no seats;
 * every ticket also records the account that asked for it. Existing rows are fast-lane
 * tickets of an unknown account. */
static const char *const migration_3[] = {
    "ALTER TABLE tickets ADD COLUMN kind INTEGER NOT NULL DEFAULT 0 CHECK (kind IN (0, 1))",
    "ALTER TABLE tickets ADD COLUMN issued_by TEXT NOT NULL DEFAULT ''",
};

static const struct {
	const char *const *steps;
	size_t nsteps;
} migrations[] = {
    {migration_1, sizeof migration_1 / sizeof migration_1[0]},
    {migration_2, sizeof migration_2 / sizeof migration_2[0]},
    {migration_3, sizeof migration_3 / sizeof migration_3[0]},
};

_Static_assert(sizeof migrations / sizeof migrations[0] == VQ_STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* ---- statements ---- */

#define TICKET_COLS                                                                                \
	"id, attr, slot_start, win_start, win_end, tier, party, number, guest, state, issued_at, " \
	"valid_from, valid_until, used_at, used_gate, used_offline, kind, issued_by"

enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_USER_VERSION,
	S_PUT_TICKET,
	S_GET_TICKET,
	S_DAY_TICKETS,
	S_NEXT_ID,
	S_PUT_SLOT,
	S_DAY_SLOTS,
	S_PUT_ATTR,
	S_GET_ATTR,
	S_PUT_REQUEST,
	S_GET_REQUEST,
	S_PRUNE_REQUESTS,
	S_REDEEM,
	S_REDEEM_LOG,
	S_TICKET_STATE,
	S_PUT_MEMBER,
	S_GET_MEMBER,
	S_COUNT_MEMBERS,
	S_AUDIT,
	S_COUNT_AUDIT,
	S_RECENT_AUDIT,
	S_KEYS_DEACTIVATE,
	S_PUT_KEY,
	S_ACTIVE_KEY,
	S_KEYRING,
	S_GET_KEY,
	S_RETIRE_KEY,
	S_LEGACY_SECRETS,
	S_FORGET_LEGACY,
	S_CHECKPOINT,
	S_OPEN_TICKETS,
	S_SET_SETTING,
	S_GET_SETTING,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT vq_op",
    [S_RELEASE] = "RELEASE vq_op",
    [S_ROLLBACK_TO] = "ROLLBACK TO vq_op",
    [S_USER_VERSION] = "PRAGMA user_version",
    /* State only moves forward (ticket.h): an update that would move it back, or rewrite a
     * finished ticket as something else, matches no row and the caller hears VQ_ESTATE. */
    [S_PUT_TICKET] =
        "INSERT INTO tickets (" TICKET_COLS ")"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
        " ?18)"
        " ON CONFLICT (id) DO UPDATE SET attr = excluded.attr,"
        " slot_start = excluded.slot_start, win_start = excluded.win_start,"
        " win_end = excluded.win_end, tier = excluded.tier, party = excluded.party,"
        " number = excluded.number, guest = excluded.guest, state = excluded.state,"
        " issued_at = excluded.issued_at, valid_from = excluded.valid_from,"
        " valid_until = excluded.valid_until, used_at = excluded.used_at,"
        " used_gate = excluded.used_gate, used_offline = excluded.used_offline,"
        " kind = excluded.kind, issued_by = excluded.issued_by"
        " WHERE tickets.state = excluded.state OR tickets.state = 0"
        " OR (tickets.state = 3 AND excluded.state IN (1, 2))",
    [S_GET_TICKET] = "SELECT " TICKET_COLS " FROM tickets WHERE id = ?1",
    [S_DAY_TICKETS] = "SELECT " TICKET_COLS " FROM tickets"
                      " WHERE attr = ?1 AND slot_start BETWEEN ?2 AND ?3",
    [S_NEXT_ID] = "SELECT coalesce(max(id), 0) FROM tickets",
    [S_PUT_SLOT] = "INSERT INTO slots (attr, day_start, slot, start, cap, taken)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                   " ON CONFLICT (attr, day_start, slot) DO UPDATE SET start = excluded.start,"
                   " cap = excluded.cap, taken = excluded.taken",
    [S_DAY_SLOTS] = "SELECT slot, start, cap, taken FROM slots"
                    " WHERE attr = ?1 AND day_start = ?2 ORDER BY slot",
    [S_PUT_ATTR] = "INSERT INTO attr_state (attr, day_start, status, closed_at, reopened_at,"
                   " throughput, share, overbook, next_number)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                   " ON CONFLICT (attr, day_start) DO UPDATE SET status = excluded.status,"
                   " closed_at = excluded.closed_at, reopened_at = excluded.reopened_at,"
                   " throughput = excluded.throughput, share = excluded.share,"
                   " overbook = excluded.overbook, next_number = excluded.next_number",
    [S_GET_ATTR] = "SELECT status, closed_at, reopened_at, throughput, share, overbook,"
                   " next_number FROM attr_state WHERE attr = ?1 AND day_start = ?2",
    [S_PUT_REQUEST] = "INSERT INTO requests (rid, kind, reply, at, digest)"
                      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (rid) DO NOTHING",
    [S_GET_REQUEST] = "SELECT reply, kind, digest FROM requests WHERE rid = ?1",
    [S_PRUNE_REQUESTS] = "DELETE FROM requests WHERE at < ?1",
    [S_REDEEM] = "UPDATE tickets SET state = 1, used_at = ?2, used_gate = ?3, used_offline = ?4"
                 " WHERE id = ?1 AND state IN (0, 3)",
    [S_REDEEM_LOG] = "INSERT INTO redemptions (ticket, gate, at, offline) VALUES (?1, ?2, ?3, ?4)",
    [S_TICKET_STATE] = "SELECT state FROM tickets WHERE id = ?1",
    [S_PUT_MEMBER] = "INSERT INTO members (card, tier) VALUES (?1, ?2)"
                     " ON CONFLICT (card) DO UPDATE SET tier = excluded.tier",
    [S_GET_MEMBER] = "SELECT tier FROM members WHERE card = ?1",
    [S_COUNT_MEMBERS] = "SELECT count(*) FROM members",
    [S_AUDIT] = "INSERT INTO audit (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
    [S_COUNT_AUDIT] = "SELECT count(*) FROM audit",
    [S_RECENT_AUDIT] = "SELECT id, at, actor, action, detail FROM audit"
                       " WHERE at >= ?1 AND (?2 IS NULL OR action = ?2)"
                       " ORDER BY id DESC LIMIT ?3",
    [S_KEYS_DEACTIVATE] = "UPDATE keys SET active = 0, deactivated = ?2"
                          " WHERE active = 1 AND kid <> ?1",
    /* A kid of a retired key may be given to a new one: the row starts afresh. */
    [S_PUT_KEY] = "INSERT INTO keys (kid, pk, active, created) VALUES (?1, ?2, ?3, ?4)"
                  " ON CONFLICT (kid) DO UPDATE SET pk = excluded.pk, active = excluded.active,"
                  " created = excluded.created, deactivated = 0, retired = 0",
    [S_ACTIVE_KEY] = "SELECT kid, pk FROM keys WHERE active = 1",
    /* A ring holds VQ_KEYRING_MAX keys: the newest ones are the ones tickets still carry. */
    [S_KEYRING] = "SELECT kid, pk FROM keys WHERE retired = 0"
                  " ORDER BY created DESC, kid DESC LIMIT ?1",
    [S_GET_KEY] = "SELECT pk, active, created, deactivated, retired FROM keys WHERE kid = ?1",
    [S_RETIRE_KEY] = "UPDATE keys SET retired = ?2"
                     " WHERE kid = ?1 AND active = 0 AND retired = 0",
    [S_LEGACY_SECRETS] = "SELECT kid, sk FROM legacy_secrets ORDER BY kid",
    [S_FORGET_LEGACY] = "DELETE FROM legacy_secrets",
    [S_CHECKPOINT] = "PRAGMA wal_checkpoint(TRUNCATE)",
    /* 14400 s: the most grace a ticket gets past its window (120 min from its attraction,
     * 120 from its tier: core/site.c), so no ticket that may still admit is left out. */
    [S_OPEN_TICKETS] = "SELECT count(*) FROM tickets WHERE slot_start >= ?1 - 172800"
                       " AND slot_start < ?1 AND state IN (0, 3) AND issued_at <= ?2"
                       " AND (CASE WHEN state = 3 THEN valid_until ELSE win_end + 14400 END)"
                       " > ?3",
    [S_SET_SETTING] = "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                      " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [S_GET_SETTING] = "SELECT value FROM settings WHERE key = ?1",
};

typedef struct lite {
	vq_store base; /* first: the API holds a pointer to it */
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	/* The caller opened a transaction with vq_store_begin and has not ended it. This is
	 * intent, not state: compared with SQLite's own view it reveals a transaction SQLite
	 * rolled back after an error, so that later writes of the batch are refused instead of
	 * silently committing one by one in autocommit mode. */
	int batch;
	/* A write or read of the open batch failed in the store (VQ_ESTORE), or the caller
	 * found the disk disagreeing with what it believed (vq_store_poison). Whether SQLite
	 * undid just that statement or more, the batch is no longer what the caller built, so
	 * every later write of it and its commit must fail too. */
	int poisoned;
	char errmsg[256];
} lite;

/* ---- small helpers ---- */

static int64_t u64_to_i64(uint64_t u)
{
	int64_t i;
	memcpy(&i, &u, sizeof i);
	return i;
}

static uint64_t i64_to_u64(int64_t i)
{
	uint64_t u;
	memcpy(&u, &i, sizeof u);
	return u;
}

static void set_err(lite *st, const char *what, const char *detail)
{
	snprintf(st->errmsg, sizeof st->errmsg, "%s: %s", what, detail);
}

static int store_fail(lite *st, const char *what, const char *detail)
{
	set_err(st, what, detail);
	if (st->batch)
		st->poisoned = 1;
	return VQ_ESTORE;
}

/* Records SQLite's message for the failure that just happened; call before the reset. */
static int sq_fail(lite *st, const char *what)
{
	return store_fail(st, what, sqlite3_errmsg(st->db));
}

static sqlite3_stmt *stmt(lite *st, enum stmt_id id)
{
	return st->stmt[id];
}

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Steps a statement that returns no rows, then resets it. */
static int run(lite *st, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = stmt(st, id);
	int rc = sqlite3_step(s) == SQLITE_DONE ? VQ_OK : sq_fail(st, what);
	done(s);
	return rc;
}

/* As run, but for undoing after a failure: keeps the message of the failure itself. */
static void run_quiet(lite *st, enum stmt_id id)
{
	sqlite3_stmt *s = stmt(st, id);
	sqlite3_step(s);
	done(s);
}

static int in_tx(const lite *st)
{
	return !sqlite3_get_autocommit(st->db);
}

/* Every write starts here: VQ_EINVAL outside a batch (a write on its own would commit by
 * itself, behind the caller's back); VQ_ESTORE once the batch is dead (see struct
 * vq_store), keeping the message of what killed it. */
static int writable(lite *st)
{
	if (!st->batch) {
		set_err(st, "write", "outside a batch");
		return VQ_EINVAL;
	}
	if (!in_tx(st))
		return store_fail(st, "write", "the transaction was rolled back after an error");
	if (st->poisoned)
		return VQ_ESTORE;
	return VQ_OK;
}

/* Brackets a multi-row write in a savepoint of the caller's batch, so it is all or
 * nothing even when the batch goes on. */
static int op_begin(lite *st)
{
	int rc = writable(st);
	return rc == VQ_OK ? run(st, S_SAVEPOINT, "savepoint") : rc;
}

/* Ends what op_begin started: keeps it if rc is VQ_OK, else undoes it and returns rc. */
static int op_end(lite *st, int rc)
{
	if (rc == VQ_OK)
		return run(st, S_RELEASE, "release savepoint");
	/* If SQLite already rolled the whole transaction back (an I/O error), the savepoint
	 * is gone and these fail harmlessly. */
	run_quiet(st, S_ROLLBACK_TO);
	run_quiet(st, S_RELEASE);
	return rc;
}

/* ---- open, migrate, close ---- */

static int read_int_pragma(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(s, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* Runs migrations from the stored version up to ours in one IMMEDIATE transaction; the
 * version is read again under the write lock because another process may have migrated
 * while we waited for it. */
static int migrate(lite *st, char *err, size_t errlen)
{
	sqlite3 *db = st->db;
	char *emsg = NULL;
	int version = 0;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &emsg) != SQLITE_OK)
		goto fail;
	if (read_int_pragma(db, "PRAGMA user_version", &version) != SQLITE_OK)
		goto fail;
	if (version > VQ_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "database schema version %d is newer than this vq (%d)",
		         version, VQ_STORE_SCHEMA_VERSION);
		goto rollback;
	}
	for (int v = version; v < VQ_STORE_SCHEMA_VERSION; v++) {
		for (size_t i = 0; i < migrations[v].nsteps; i++) {
			if (sqlite3_exec(db, migrations[v].steps[i], NULL, NULL, &emsg) !=
			    SQLITE_OK) {
				snprintf(err, errlen, "migration %d step %zu: %s", v + 1, i + 1,
				         emsg ? emsg : sqlite3_errmsg(db));
				goto rollback;
			}
		}
	}
	if (version < VQ_STORE_SCHEMA_VERSION) {
		char sql[96];
		snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
		         APPLICATION_ID, VQ_STORE_SCHEMA_VERSION);
		if (sqlite3_exec(db, sql, NULL, NULL, &emsg) != SQLITE_OK)
			goto fail;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &emsg) != SQLITE_OK)
		goto fail;
	return VQ_OK;

fail:
	snprintf(err, errlen, "migration: %s", emsg ? emsg : sqlite3_errmsg(db));
rollback:
	sqlite3_free(emsg);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return VQ_ESTORE;
}

/* Connection settings, then the schema check; err names what failed. */
static int configure(lite *st, char *err, size_t errlen)
{
	sqlite3 *db = st->db;
	sqlite3_stmt *s = NULL;
	int rc = VQ_ESTORE;

	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);

	/* The pragma answers with the mode it ended in; anything but WAL means another
	 * process holds the file in a mode we cannot share safely. */
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, errlen, "journal_mode: %s", sqlite3_errmsg(db));
		goto cleanup;
	}
	const char *mode = (const char *)sqlite3_column_text(s, 0);
	if (!mode || strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "journal_mode: got '%s', need 'wal'", mode ? mode : "?");
		goto cleanup;
	}
	sqlite3_finalize(s);
	s = NULL;

	/* secure_delete: what is deleted (secret keys moving to the key file, pruned replies,
	 * members) is overwritten with zeros, so a copy of the file does not hold it. */
	if (sqlite3_exec(db,
	                 "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	                 " PRAGMA secure_delete = ON",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "pragmas: %s", sqlite3_errmsg(db));
		goto cleanup;
	}

	int app = 0, version = 0;
	if (read_int_pragma(db, "PRAGMA application_id", &app) != SQLITE_OK ||
	    read_int_pragma(db, "PRAGMA user_version", &version) != SQLITE_OK) {
		snprintf(err, errlen, "reading schema version: %s", sqlite3_errmsg(db));
		goto cleanup;
	}
	if (app != 0 && app != APPLICATION_ID) {
		snprintf(err, errlen, "not a vq database (application_id 0x%08x)", (unsigned)app);
		goto cleanup;
	}
	if (version > VQ_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "database schema version %d is newer than this vq (%d)",
		         version, VQ_STORE_SCHEMA_VERSION);
		goto cleanup;
	}
	if (version < VQ_STORE_SCHEMA_VERSION && migrate(st, err, errlen) != VQ_OK)
		goto cleanup;

	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
		                       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "preparing statement %d: %s", i, sqlite3_errmsg(db));
			goto cleanup;
		}
	}
	rc = VQ_OK;

cleanup:
	sqlite3_finalize(s);
	return rc;
}

static void lite_close(vq_store *base);

/* A file holds one site: site and chain are not needed (store.h). */
static int lite_open(const char *path, const char *site, const char *chain, vq_store **out,
                     char *err, size_t errlen)
{
	int rc = vq_faultvfs_register();
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "registering vfs: %s", sqlite3_errstr(rc));
		return VQ_ESTORE;
	}
	lite *st = calloc(1, sizeof *st);
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return VQ_ENOMEM;
	}
	st->base.ops = &vq_store_sqlite_ops;
	/* NOMUTEX: one vq_store is used by one thread (store.h), so SQLite's per-connection
	 * mutex would only cost. */
	rc = sqlite3_open_v2(path, &st->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
	                         SQLITE_OPEN_EXRESCODE,
	                     VQ_FAULTVFS_NAME);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		         st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		lite_close(&st->base);
		return rc == SQLITE_NOMEM ? VQ_ENOMEM : VQ_ESTORE;
	}
	rc = configure(st, err, errlen);
	if (rc != VQ_OK) {
		lite_close(&st->base);
		return rc;
	}
	*out = &st->base;
	return VQ_OK;
}

static void lite_close(vq_store *base)
{
	lite *st = (lite *)base;
	if (st->db && in_tx(st))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	/* Every statement is finalized, so close_v2 closes now rather than later. */
	sqlite3_close_v2(st->db);
	free(st);
}

static int lite_schema_version(vq_store *base, int *out)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_USER_VERSION);
	int rc = VQ_OK;
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	else
		rc = sq_fail(st, "schema version");
	done(s);
	return rc;
}

static const char *lite_errmsg(const vq_store *base)
{
	const lite *st = (const lite *)base;
	return st ? st->errmsg : "no store";
}

/* ---- transactions ---- */

static int lite_begin(vq_store *base)
{
	lite *st = (lite *)base;
	if (st->batch || in_tx(st)) {
		set_err(st, "begin", "a transaction is already open");
		return VQ_EINVAL;
	}
	int rc = run(st, S_BEGIN, "begin");
	st->batch = rc == VQ_OK;
	st->poisoned = 0;
	return rc;
}

static int lite_commit(vq_store *base)
{
	lite *st = (lite *)base;
	if (!st->batch) {
		set_err(st, "commit", "no transaction is open");
		return VQ_EINVAL;
	}
	st->batch = 0;
	/* SQLite rolled it back by itself after an I/O error in a write: the caller must hear
	 * that nothing of it is durable. */
	if (!in_tx(st))
		return store_fail(st, "commit", "the transaction was rolled back after an error");
	if (st->poisoned) {
		run_quiet(st, S_ROLLBACK);
		return VQ_ESTORE; /* errmsg still names the failure that poisoned it */
	}
	int rc = run(st, S_COMMIT, "commit");
	if (rc != VQ_OK && in_tx(st))
		run_quiet(st, S_ROLLBACK);
	return rc;
}

static int lite_poison(vq_store *base, const char *why)
{
	lite *st = (lite *)base;
	if (!st->batch)
		return VQ_EINVAL;
	store_fail(st, "batch", why ? why : "declared dead by the caller");
	return VQ_OK;
}

static int lite_batch_ok(const vq_store *base)
{
	const lite *st = (const lite *)base;
	return st && st->batch && in_tx(st) && !st->poisoned;
}

static int lite_rollback(vq_store *base)
{
	lite *st = (lite *)base;
	st->batch = 0;
	if (!in_tx(st))
		return VQ_OK; /* SQLite may have rolled back already; the outcome is the same */
	return run(st, S_ROLLBACK, "rollback");
}

/* ---- tickets, slots, attraction states ---- */

static int lite_put_ticket(vq_store *base, const vq_ticket *t)
{
	lite *st = (lite *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s = stmt(st, S_PUT_TICKET);
	sqlite3_bind_int64(s, 1, (int64_t)t->id);
	sqlite3_bind_text(s, 2, t->attr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, t->slot_start);
	sqlite3_bind_int64(s, 4, t->win_start);
	sqlite3_bind_int64(s, 5, t->win_end);
	sqlite3_bind_int(s, 6, t->tier);
	sqlite3_bind_int(s, 7, t->party);
	sqlite3_bind_int(s, 8, t->number);
	sqlite3_bind_int64(s, 9, u64_to_i64(t->guest));
	sqlite3_bind_int(s, 10, t->state);
	sqlite3_bind_int64(s, 11, t->issued_at);
	sqlite3_bind_int64(s, 12, t->valid_from);
	sqlite3_bind_int64(s, 13, t->valid_until);
	sqlite3_bind_int64(s, 14, t->used_at);
	sqlite3_bind_text(s, 15, t->used_gate, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 16, t->used_offline);
	sqlite3_bind_int(s, 17, t->kind);
	sqlite3_bind_text(s, 18, t->issued_by, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = sq_fail(st, "put ticket");
	else if (sqlite3_changes(st->db) == 0)
		rc = VQ_ESTATE; /* the stored ticket is further along than this one */
	done(s);
	return rc;
}

/* Reads the current row of a statement that selects TICKET_COLS. */
static int row_to_ticket(lite *st, sqlite3_stmt *s, vq_ticket *t)
{
	const char *attr = (const char *)sqlite3_column_text(s, 1);
	int attr_len = sqlite3_column_bytes(s, 1);
	const char *gate = (const char *)sqlite3_column_text(s, 14);
	int gate_len = sqlite3_column_bytes(s, 14);
	const char *by = (const char *)sqlite3_column_text(s, 17);
	int by_len = sqlite3_column_bytes(s, 17);
	if (!attr || !gate || !by || attr_len >= VQ_ID_MAX || gate_len >= VQ_ID_MAX ||
	    by_len >= VQ_ID_MAX)
		return store_fail(st, "ticket row", "attraction, gate or issuer id too long");
	memset(t, 0, sizeof *t);
	t->id = (uint64_t)sqlite3_column_int64(s, 0);
	memcpy(t->attr, attr, (size_t)attr_len);
	t->slot_start = sqlite3_column_int64(s, 2);
	t->win_start = sqlite3_column_int64(s, 3);
	t->win_end = sqlite3_column_int64(s, 4);
	/* The table's CHECK constraints bound these to their C types. */
	t->tier = (uint8_t)sqlite3_column_int(s, 5);
	t->party = (uint8_t)sqlite3_column_int(s, 6);
	t->number = (uint16_t)sqlite3_column_int(s, 7);
	t->guest = i64_to_u64(sqlite3_column_int64(s, 8));
	t->state = (uint8_t)sqlite3_column_int(s, 9);
	t->issued_at = sqlite3_column_int64(s, 10);
	t->valid_from = sqlite3_column_int64(s, 11);
	t->valid_until = sqlite3_column_int64(s, 12);
	t->used_at = sqlite3_column_int64(s, 13);
	memcpy(t->used_gate, gate, (size_t)gate_len);
	t->used_offline = (uint8_t)sqlite3_column_int(s, 15);
	t->kind = (uint8_t)sqlite3_column_int(s, 16);
	memcpy(t->issued_by, by, (size_t)by_len);
	return VQ_OK;
}

static int lite_get_ticket(vq_store *base, uint64_t id, vq_ticket *out)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_GET_TICKET);
	sqlite3_bind_int64(s, 1, (int64_t)id);
	int rc;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = row_to_ticket(st, s, out);
		break;
	case SQLITE_DONE:
		rc = VQ_ENOTICKET;
		break;
	default:
		rc = sq_fail(st, "get ticket");
	}
	done(s);
	return rc;
}

static int lite_next_ticket_id(vq_store *base, uint64_t *out)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_NEXT_ID);
	int rc = VQ_OK;
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(s, 0) + 1;
	else
		rc = sq_fail(st, "next ticket id");
	done(s);
	return rc;
}

static int lite_put_slot(vq_store *base, const char *attr, int64_t day_start, int slot,
                         const vq_slot_view *sv)
{
	lite *st = (lite *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s = stmt(st, S_PUT_SLOT);
	sqlite3_bind_text(s, 1, attr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, day_start);
	sqlite3_bind_int(s, 3, slot);
	sqlite3_bind_int64(s, 4, sv->start);
	sqlite3_bind_int(s, 5, sv->cap);
	sqlite3_bind_int(s, 6, sv->taken);
	rc = sqlite3_step(s) == SQLITE_DONE ? VQ_OK : sq_fail(st, "put slot");
	done(s);
	return rc;
}

static int lite_put_attr_state(vq_store *base, const char *attr, int64_t day_start,
                               const vq_attr_state *a)
{
	lite *st = (lite *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s = stmt(st, S_PUT_ATTR);
	sqlite3_bind_text(s, 1, attr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, day_start);
	sqlite3_bind_int(s, 3, a->status);
	sqlite3_bind_int64(s, 4, a->closed_at);
	sqlite3_bind_int64(s, 5, a->reopened_at);
	sqlite3_bind_int(s, 6, a->throughput_per_hour);
	sqlite3_bind_int(s, 7, a->fast_share_pct);
	sqlite3_bind_int(s, 8, a->overbook_pct);
	sqlite3_bind_int(s, 9, (int)a->next_number);
	rc = sqlite3_step(s) == SQLITE_DONE ? VQ_OK : sq_fail(st, "put attraction state");
	done(s);
	return rc;
}

/* ---- the reads a day is rebuilt from (store_api.c) ---- */

static int lite_get_attr_state(vq_store *base, const char *attr, int64_t day_start,
                               vq_attr_state *out)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_GET_ATTR);
	sqlite3_bind_text(s, 1, attr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, day_start);
	int rc = VQ_OK;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		*out = (vq_attr_state){
		    .status = sqlite3_column_int(s, 0),
		    .closed_at = sqlite3_column_int64(s, 1),
		    .reopened_at = sqlite3_column_int64(s, 2),
		    .throughput_per_hour = sqlite3_column_int(s, 3),
		    .fast_share_pct = sqlite3_column_int(s, 4),
		    .overbook_pct = sqlite3_column_int(s, 5),
		    .next_number = (unsigned)sqlite3_column_int(s, 6),
		};
		break;
	case SQLITE_DONE:
		rc = VQ_ENOTFOUND;
		break;
	default:
		rc = sq_fail(st, "load attraction state");
	}
	done(s);
	return rc;
}

static int lite_walk_slots(vq_store *base, const char *attr, int64_t day_start, vq_store_slot_cb fn,
                           void *arg)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_DAY_SLOTS);
	sqlite3_bind_text(s, 1, attr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, day_start);
	int rc = VQ_OK, step = SQLITE_DONE;
	while (rc == VQ_OK && (step = sqlite3_step(s)) == SQLITE_ROW)
		rc = fn(arg, sqlite3_column_int(s, 0), sqlite3_column_int64(s, 1),
		        sqlite3_column_int(s, 2), sqlite3_column_int(s, 3));
	if (rc == VQ_OK && step != SQLITE_DONE)
		rc = sq_fail(st, "load slots");
	done(s);
	return rc;
}

static int lite_walk_tickets(vq_store *base, const char *attr, int64_t first, int64_t last,
                             vq_store_ticket_cb fn, void *arg)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_DAY_TICKETS);
	sqlite3_bind_text(s, 1, attr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, first);
	sqlite3_bind_int64(s, 3, last);
	int rc = VQ_OK, step = SQLITE_DONE;
	while (rc == VQ_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		vq_ticket t;
		rc = row_to_ticket(st, s, &t);
		if (rc == VQ_OK)
			rc = fn(arg, &t);
	}
	if (rc == VQ_OK && step != SQLITE_DONE)
		rc = sq_fail(st, "load tickets");
	done(s);
	return rc;
}

static void lite_set_errmsg(vq_store *base, const char *msg)
{
	lite *st = (lite *)base;
	snprintf(st->errmsg, sizeof st->errmsg, "%s", msg);
}

/* ---- idempotency ---- */

static int lite_put_request(vq_store *base, const char *rid, const char *kind,
                            const uint8_t digest[VQ_STORE_DIGEST_LEN], const char *reply,
                            size_t len, int64_t at)
{
	lite *st = (lite *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s = stmt(st, S_PUT_REQUEST);
	sqlite3_bind_text(s, 1, rid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	/* A NULL pointer would bind SQL NULL; an empty reply is an empty blob. */
	sqlite3_bind_blob(s, 3, reply ? reply : "", (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, at);
	sqlite3_bind_blob(s, 5, digest, VQ_STORE_DIGEST_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = sq_fail(st, "put request");
	else if (sqlite3_changes(st->db) == 0)
		rc = VQ_EEXISTS;
	done(s);
	return rc;
}

static int lite_prune_requests(vq_store *base, int64_t before, int64_t *removed)
{
	lite *st = (lite *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s = stmt(st, S_PRUNE_REQUESTS);
	sqlite3_bind_int64(s, 1, before);
	rc = sqlite3_step(s) == SQLITE_DONE ? VQ_OK : sq_fail(st, "prune requests");
	if (rc == VQ_OK && removed)
		*removed = sqlite3_changes64(st->db);
	done(s);
	return rc;
}

/* Is the stored row (current row of S_GET_REQUEST) the same request? Rows written before
 * digests were kept (NULL) are bound to their verb alone. */
static int same_request(sqlite3_stmt *s, const char *kind, const uint8_t *digest)
{
	const char *k = (const char *)sqlite3_column_text(s, 1);
	if (!k || strcmp(k, kind) != 0)
		return 0;
	if (sqlite3_column_type(s, 2) == SQLITE_NULL)
		return 1;
	return sqlite3_column_bytes(s, 2) == VQ_STORE_DIGEST_LEN &&
	       memcmp(sqlite3_column_blob(s, 2), digest, VQ_STORE_DIGEST_LEN) == 0;
}

static int lite_get_request(vq_store *base, const char *rid, const char *kind,
                            const uint8_t digest[VQ_STORE_DIGEST_LEN], char **reply, size_t *len)
{
	lite *st = (lite *)base;
	*reply = NULL;
	sqlite3_stmt *s = stmt(st, S_GET_REQUEST);
	sqlite3_bind_text(s, 1, rid, -1, SQLITE_STATIC);
	int rc = VQ_OK;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW: {
		if (!same_request(s, kind, digest)) {
			rc = VQ_ERIDREUSED;
			break;
		}
		const void *p = sqlite3_column_blob(s, 0);
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		char *copy = malloc(n + 1);
		if (!copy) {
			rc = VQ_ENOMEM;
			break;
		}
		if (n)
			memcpy(copy, p, n);
		copy[n] = '\0';
		*reply = copy;
		if (len)
			*len = n;
		break;
	}
	case SQLITE_DONE:
		rc = VQ_ENOTFOUND;
		break;
	default:
		rc = sq_fail(st, "get request");
	}
	done(s);
	return rc;
}

/* ---- many rows at once (SQLite: one by one, each call is cheap) ---- */

/* A refusal inside a write of many rows leaves the batch half written: it dies. */
static int many_failed(lite *st, int rc, const char *what)
{
	if (rc != VQ_ESTORE && st->batch && !st->poisoned)
		store_fail(st, what, vq_strerror(rc));
	return rc;
}

static int lite_put_rows(vq_store *base, const vq_store_rows *rows)
{
	lite *st = (lite *)base;
	int rc = VQ_OK;
	for (size_t i = 0; rc == VQ_OK && i < rows->ntickets; i++)
		rc = lite_put_ticket(base, rows->tickets[i]);
	for (size_t i = 0; rc == VQ_OK && i < rows->nslots; i++)
		rc = lite_put_slot(base, rows->slots[i].attr, rows->day_start, rows->slots[i].slot,
		                   &rows->slots[i].view);
	for (size_t i = 0; rc == VQ_OK && i < rows->nattrs; i++)
		rc = lite_put_attr_state(base, rows->attrs[i].attr, rows->day_start,
		                         &rows->attrs[i].state);
	return rc == VQ_OK ? VQ_OK : many_failed(st, rc, "put rows");
}

static int lite_put_requests(vq_store *base, const vq_store_reply *r, size_t n)
{
	lite *st = (lite *)base;
	int rc = VQ_OK;
	for (size_t i = 0; rc == VQ_OK && i < n; i++)
		rc = lite_put_request(base, r[i].rid, r[i].kind, r[i].digest, r[i].reply, r[i].len,
		                      r[i].at);
	return rc == VQ_OK ? VQ_OK : many_failed(st, rc, "put requests");
}

static int lite_get_requests(vq_store *base, const char *const *rids, size_t n,
                             vq_store_reply_fn fn, void *arg)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_GET_REQUEST);
	int rc = VQ_OK;
	for (size_t i = 0; rc == VQ_OK && i < n; i++) {
		sqlite3_bind_text(s, 1, rids[i], -1, SQLITE_STATIC);
		switch (sqlite3_step(s)) {
		case SQLITE_ROW: {
			/* copies: the column pointers last until the next step or reset only */
			size_t len = (size_t)sqlite3_column_bytes(s, 0);
			char *copy = malloc(len + 1);
			const char *kind = (const char *)sqlite3_column_text(s, 1);
			char k[VQ_STORE_LABEL_MAX + 1];
			uint8_t digest[VQ_STORE_DIGEST_LEN];
			int has_digest = sqlite3_column_type(s, 2) != SQLITE_NULL;
			if (!copy) {
				rc = VQ_ENOMEM;
				break;
			}
			if (!kind ||
			    (has_digest && sqlite3_column_bytes(s, 2) != VQ_STORE_DIGEST_LEN)) {
				free(copy);
				rc = store_fail(st, "get requests", "a row that is not vq's");
				break;
			}
			snprintf(k, sizeof k, "%s", kind);
			if (has_digest)
				memcpy(digest, sqlite3_column_blob(s, 2), sizeof digest);
			if (len)
				memcpy(copy, sqlite3_column_blob(s, 0), len);
			copy[len] = '\0';
			rc = fn(arg, i, copy, len, k, has_digest ? digest : NULL);
			free(copy);
			break;
		}
		case SQLITE_DONE:
			break;
		default:
			rc = sq_fail(st, "get requests");
		}
		done(s);
	}
	return rc;
}

/* ---- redemption ---- */

/* Nothing changed: says why, from the row as it is under our write lock. */
static int why_not_redeemed(lite *st, uint64_t id)
{
	sqlite3_stmt *s = stmt(st, S_TICKET_STATE);
	sqlite3_bind_int64(s, 1, (int64_t)id);
	int rc;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = sqlite3_column_int(s, 0) == VQ_TS_REDEEMED ? VQ_EUSED : VQ_ESTATE;
		break;
	case SQLITE_DONE:
		rc = VQ_ENOTICKET;
		break;
	default:
		rc = sq_fail(st, "redeem");
	}
	done(s);
	return rc;
}

static int lite_redeem(vq_store *base, uint64_t id, const char *gate, int64_t at, int offline)
{
	lite *st = (lite *)base;
	int rc = op_begin(st);
	if (rc != VQ_OK)
		return rc;

	/* The conditional UPDATE is the whole race: under the write lock exactly one caller
	 * finds the ticket still issued or anytime; every later one changes nothing. */
	sqlite3_stmt *s = stmt(st, S_REDEEM);
	sqlite3_bind_int64(s, 1, (int64_t)id);
	sqlite3_bind_int64(s, 2, at);
	sqlite3_bind_text(s, 3, gate, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, offline ? 1 : 0);
	int changed = 0;
	if (sqlite3_step(s) == SQLITE_DONE)
		changed = sqlite3_changes(st->db);
	else
		rc = sq_fail(st, "redeem");
	done(s);
	if (rc != VQ_OK)
		goto end;
	if (!changed) {
		rc = why_not_redeemed(st, id);
		goto end;
	}

	s = stmt(st, S_REDEEM_LOG);
	sqlite3_bind_int64(s, 1, (int64_t)id);
	sqlite3_bind_text(s, 2, gate, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, at);
	sqlite3_bind_int(s, 4, offline ? 1 : 0);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = sq_fail(st, "redeem log");
	done(s);

end:
	return op_end(st, rc);
}

/* ---- members ---- */

static int lite_put_member(vq_store *base, const char *card, const char *tier)
{
	lite *st = (lite *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s = stmt(st, S_PUT_MEMBER);
	sqlite3_bind_text(s, 1, card, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, tier, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? VQ_OK : sq_fail(st, "put member");
	done(s);
	return rc;
}

/* Copies a text column into a caller's buffer of size cap; VQ_ESTORE if it does not fit,
 * which for ids means the row was not written by us. */
static int copy_text(lite *st, sqlite3_stmt *s, int col, char *out, size_t cap, int oversize_rc)
{
	const char *p = (const char *)sqlite3_column_text(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	if (!p)
		return store_fail(st, "read", "unexpected NULL");
	if (n >= cap)
		return oversize_rc == VQ_ESTORE ? store_fail(st, "read", "stored text too long")
		                                : oversize_rc;
	memcpy(out, p, n);
	out[n] = '\0';
	return VQ_OK;
}

static int lite_get_member(vq_store *base, const char *card, char tier[VQ_ID_MAX])
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_GET_MEMBER);
	sqlite3_bind_text(s, 1, card, -1, SQLITE_STATIC);
	int rc;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = copy_text(st, s, 0, tier, VQ_ID_MAX, VQ_ESTORE);
		break;
	case SQLITE_DONE:
		rc = VQ_ENOTFOUND;
		break;
	default:
		rc = sq_fail(st, "get member");
	}
	done(s);
	return rc;
}

static int count_rows(lite *st, enum stmt_id id, int64_t *out, const char *what)
{
	sqlite3_stmt *s = stmt(st, id);
	int rc = VQ_OK;
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		rc = sq_fail(st, what);
	done(s);
	return rc;
}

static int lite_member_count(vq_store *base, int64_t *out)
{
	lite *st = (lite *)base;
	return count_rows(st, S_COUNT_MEMBERS, out, "count members");
}

/* ---- audit ---- */

static int lite_audit(vq_store *base, int64_t at, const char *actor, const char *action,
                      const char *detail)
{
	lite *st = (lite *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s = stmt(st, S_AUDIT);
	sqlite3_bind_int64(s, 1, at);
	sqlite3_bind_text(s, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
	if (detail)
		sqlite3_bind_text(s, 4, detail, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 4);
	rc = sqlite3_step(s) == SQLITE_DONE ? VQ_OK : sq_fail(st, "audit");
	done(s);
	return rc;
}

static int lite_audit_count(vq_store *base, int64_t *out)
{
	lite *st = (lite *)base;
	return count_rows(st, S_COUNT_AUDIT, out, "count audit");
}

static int lite_audit_recent(vq_store *base, int64_t since, const char *action, int limit,
                             vq_audit_fn fn, void *arg)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_RECENT_AUDIT);
	sqlite3_bind_int64(s, 1, since);
	if (action)
		sqlite3_bind_text(s, 2, action, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int(s, 3, limit);
	int rc = VQ_OK, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const vq_audit_entry e = {
		    .id = sqlite3_column_int64(s, 0),
		    .at = sqlite3_column_int64(s, 1),
		    .actor = (const char *)sqlite3_column_text(s, 2),
		    .action = (const char *)sqlite3_column_text(s, 3),
		    .detail = (const char *)sqlite3_column_text(s, 4),
		};
		if (!e.actor || !e.action) {
			rc = store_fail(st, "recent audit", "an entry without actor or action");
			break;
		}
		if ((rc = fn(arg, &e)) != 0)
			break;
	}
	if (rc == VQ_OK && step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sq_fail(st, "recent audit");
	done(s);
	return rc;
}

/* ---- signing keys ---- */

static int lite_put_key(vq_store *base, uint8_t kid, const uint8_t pk[32], int active,
                        int64_t created)
{
	lite *st = (lite *)base;
	int rc = op_begin(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s;
	if (active) {
		/* One active key at a time (a unique index insists): the new one takes over,
		 * and the old one stops signing now. */
		s = stmt(st, S_KEYS_DEACTIVATE);
		sqlite3_bind_int(s, 1, kid);
		sqlite3_bind_int64(s, 2, created);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = sq_fail(st, "put key");
		done(s);
		if (rc != VQ_OK)
			goto end;
	}
	s = stmt(st, S_PUT_KEY);
	sqlite3_bind_int(s, 1, kid);
	sqlite3_bind_blob(s, 2, pk, 32, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, active ? 1 : 0);
	sqlite3_bind_int64(s, 4, created);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = sq_fail(st, "put key");
	done(s);
end:
	return op_end(st, rc);
}

static int lite_get_active_key(vq_store *base, uint8_t *kid, uint8_t pk[32])
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_ACTIVE_KEY);
	int rc = VQ_OK;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		/* The CHECK constraints fix the size; a mismatch would be a foreign row. */
		if (sqlite3_column_bytes(s, 1) != 32) {
			rc = store_fail(st, "active key", "key of the wrong size");
			break;
		}
		*kid = (uint8_t)sqlite3_column_int(s, 0);
		memcpy(pk, sqlite3_column_blob(s, 1), 32);
		break;
	case SQLITE_DONE:
		rc = VQ_ENOTFOUND;
		break;
	default:
		rc = sq_fail(st, "active key");
	}
	done(s);
	return rc;
}

static int lite_get_key(vq_store *base, uint8_t kid, vq_store_key *out)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_GET_KEY);
	sqlite3_bind_int(s, 1, kid);
	int rc = VQ_OK;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (sqlite3_column_bytes(s, 0) != 32) {
			rc = store_fail(st, "key", "key of the wrong size");
			break;
		}
		out->kid = kid;
		memcpy(out->pk, sqlite3_column_blob(s, 0), 32);
		out->active = sqlite3_column_int(s, 1);
		out->created = sqlite3_column_int64(s, 2);
		out->deactivated = sqlite3_column_int64(s, 3);
		out->retired = sqlite3_column_int64(s, 4);
		break;
	case SQLITE_DONE:
		rc = VQ_ENOTFOUND;
		break;
	default:
		rc = sq_fail(st, "key");
	}
	done(s);
	return rc;
}

static int lite_retire_key(vq_store *base, uint8_t kid, int64_t at)
{
	lite *st = (lite *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s = stmt(st, S_RETIRE_KEY);
	sqlite3_bind_int(s, 1, kid);
	sqlite3_bind_int64(s, 2, at);
	int changed = 0;
	if (sqlite3_step(s) == SQLITE_DONE)
		changed = sqlite3_changes(st->db);
	else
		rc = sq_fail(st, "retire key");
	done(s);
	if (rc != VQ_OK || changed)
		return rc;
	/* nothing changed: say why */
	vq_store_key k;
	rc = lite_get_key(base, kid, &k);
	if (rc != VQ_OK)
		return rc;
	return k.retired ? VQ_ENOTFOUND : VQ_ESTATE;
}

static int lite_get_keyring(vq_store *base, vq_keyring *ring)
{
	lite *st = (lite *)base;
	vq_keyring r;
	memset(&r, 0, sizeof r);
	sqlite3_stmt *s = stmt(st, S_KEYRING);
	sqlite3_bind_int(s, 1, VQ_KEYRING_MAX);
	int rc = VQ_OK, step = SQLITE_DONE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 1) != 32) {
			rc = store_fail(st, "keyring", "key of the wrong size");
			break;
		}
		r.keys[r.count].kid = (uint8_t)sqlite3_column_int(s, 0);
		memcpy(r.keys[r.count].pk, sqlite3_column_blob(s, 1), 32);
		r.count++;
	}
	if (rc == VQ_OK && step != SQLITE_DONE)
		rc = sq_fail(st, "keyring");
	done(s);
	if (rc == VQ_OK)
		*ring = r; /* all or nothing: a failed read leaves the caller's ring as it was */
	return rc;
}

static int lite_legacy_secrets(vq_store *base, uint8_t kid[256], uint8_t (*sk)[64], int *n)
{
	lite *st = (lite *)base;
	*n = 0;
	sqlite3_stmt *s = stmt(st, S_LEGACY_SECRETS);
	int rc = VQ_OK, step = SQLITE_DONE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 1) != 64 || *n >= 256) {
			rc = store_fail(st, "legacy secrets", "key of the wrong size");
			break;
		}
		kid[*n] = (uint8_t)sqlite3_column_int(s, 0);
		memcpy(sk[*n], sqlite3_column_blob(s, 1), 64);
		(*n)++;
	}
	if (rc == VQ_OK && step != SQLITE_DONE)
		rc = sq_fail(st, "legacy secrets");
	done(s);
	return rc;
}

static int lite_forget_legacy_secrets(vq_store *base)
{
	lite *st = (lite *)base;
	if (st->batch || in_tx(st))
		return VQ_EINVAL; /* the checkpoint below needs no transaction of ours open */
	/* a batch of its own */
	int rc = lite_begin(base);
	if (rc != VQ_OK)
		return rc;
	rc = run(st, S_FORGET_LEGACY, "forget legacy secrets");
	if (rc == VQ_OK)
		rc = lite_commit(base);
	else
		lite_rollback(base);
	if (rc != VQ_OK)
		return rc;
	/* secure_delete zeroed the rows in the pages written to the WAL; the checkpoint puts
	 * those pages over the old ones in the database file, and TRUNCATE empties the WAL,
	 * which held the secrets since the migration copied them. A reader still holding an
	 * old snapshot makes the checkpoint incomplete: vqd calls this before anyone else. */
	sqlite3_stmt *s = stmt(st, S_CHECKPOINT);
	if (sqlite3_step(s) != SQLITE_ROW)
		rc = sq_fail(st, "checkpoint");
	else if (sqlite3_column_int(s, 0) != 0)
		rc = store_fail(st, "checkpoint", "busy: another connection reads the database");
	done(s);
	return rc;
}

static int lite_count_open_tickets(vq_store *base, int64_t day_start, int64_t issued_until,
                                   int64_t now, int64_t *out)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_OPEN_TICKETS);
	sqlite3_bind_int64(s, 1, day_start);
	sqlite3_bind_int64(s, 2, issued_until);
	sqlite3_bind_int64(s, 3, now);
	int rc = VQ_OK;
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		rc = sq_fail(st, "count open tickets");
	done(s);
	return rc;
}

/* ---- settings ---- */

static int lite_set_setting(vq_store *base, const char *key, const char *value)
{
	lite *st = (lite *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	sqlite3_stmt *s = stmt(st, S_SET_SETTING);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? VQ_OK : sq_fail(st, "set setting");
	done(s);
	return rc;
}

static int lite_get_setting(vq_store *base, const char *key, char *out, size_t outlen)
{
	lite *st = (lite *)base;
	sqlite3_stmt *s = stmt(st, S_GET_SETTING);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int rc;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = copy_text(st, s, 0, out, outlen, VQ_EINVAL); /* caller's buffer too small */
		break;
	case SQLITE_DONE:
		rc = VQ_ENOTFOUND;
		break;
	default:
		rc = sq_fail(st, "get setting");
	}
	done(s);
	return rc;
}

/* ---- who serves: one process a file ---- */

static int lite_claim(vq_store *base, int lease_ms, int *held, int64_t *term)
{
	lite *st = (lite *)base;
	if (st->batch) {
		set_err(st, "claim", "inside a batch");
		return VQ_EINVAL;
	}
	*held = 1;
	*term = 1;
	return VQ_OK;
}

static double lite_claim_proof(const vq_store *base)
{
	return vq_store_mono_ms();
}

/* A file is at hand: each card is read when it is asked for. */
static int lite_prefetch_members(vq_store *base, const char *const *cards, size_t n)
{
	const lite *st = (const lite *)base;
	return st->batch ? VQ_OK : VQ_EINVAL;
}

/* One after the other: a file's writes and commit cost no round trips. */
static int lite_commit_rows(vq_store *base, const vq_store_rows *rows, const vq_store_reply *r,
                            size_t n)
{
	lite *st = (lite *)base;
	if (!st->batch) {
		set_err(st, "commit", "no transaction is open");
		return VQ_EINVAL;
	}
	int rc = VQ_OK;
	if (rows && (rows->ntickets || rows->nslots || rows->nattrs))
		rc = lite_put_rows(base, rows);
	if (rc == VQ_OK && n)
		rc = lite_put_requests(base, r, n);
	if (rc != VQ_OK) {
		lite_rollback(base);
		return VQ_ESTORE;
	}
	return lite_commit(base);
}

static int lite_release_claim(vq_store *base)
{
	set_err((lite *)base, "release claim", "one process serves a file: the claim stays");
	return VQ_EINVAL;
}

const vq_store_ops vq_store_sqlite_ops = {
    .name = "sqlite",
    .open = lite_open,
    .close = lite_close,
    .schema_version = lite_schema_version,
    .errmsg = lite_errmsg,
    .begin = lite_begin,
    .commit = lite_commit,
    .commit_rows = lite_commit_rows,
    .rollback = lite_rollback,
    .poison = lite_poison,
    .batch_ok = lite_batch_ok,
    .put_ticket = lite_put_ticket,
    .put_slot = lite_put_slot,
    .put_attr_state = lite_put_attr_state,
    .put_request = lite_put_request,
    .get_request = lite_get_request,
    .put_rows = lite_put_rows,
    .put_requests = lite_put_requests,
    .get_requests = lite_get_requests,
    .prune_requests = lite_prune_requests,
    .redeem = lite_redeem,
    .get_ticket = lite_get_ticket,
    .next_ticket_id = lite_next_ticket_id,
    .get_attr_state = lite_get_attr_state,
    .walk_slots = lite_walk_slots,
    .walk_tickets = lite_walk_tickets,
    .set_errmsg = lite_set_errmsg,
    .put_member = lite_put_member,
    .get_member = lite_get_member,
    .prefetch_members = lite_prefetch_members,
    .member_count = lite_member_count,
    .audit = lite_audit,
    .audit_count = lite_audit_count,
    .audit_recent = lite_audit_recent,
    .put_key = lite_put_key,
    .get_active_key = lite_get_active_key,
    .get_key = lite_get_key,
    .get_keyring = lite_get_keyring,
    .retire_key = lite_retire_key,
    .count_open_tickets = lite_count_open_tickets,
    .legacy_secrets = lite_legacy_secrets,
    .forget_legacy_secrets = lite_forget_legacy_secrets,
    .set_setting = lite_set_setting,
    .get_setting = lite_get_setting,
    .claim = lite_claim,
    .claim_proof = lite_claim_proof,
    .release_claim = lite_release_claim,
};
