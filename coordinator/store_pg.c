/* coordinator/store_pg.c — the store's PostgreSQL backend, through libpq (contract: store.h,
 * store_backend.h).
 *
 * Owns the connection to the site's database, the site's schema and its migrations, and the
 * SQL of every store function on PostgreSQL (store.c is SQLite's twin; store_api.c checked
 * the arguments). Layout: one database may hold many sites; each site's tables live in the
 * schema "vq_site_<site>", a chain's member list in "vq_chain_<chain>". Invariants:
 *   - every statement is prepared once per connection, right after it is made, with
 *     search_path set to the site's schema (members are named with their schema: the
 *     site's own, or its chain's);
 *   - every write happens inside the caller's batch, one transaction of one session; a
 *     call that writes more than one row runs under a savepoint, so it is atomic within
 *     the batch;
 *   - if a statement of a batch fails, or the connection drops, or the caller declares the
 *     batch dead (vq_store_poison), or the server warns during COMMIT (a wait for the
 *     synchronous standby cut short: committed locally, maybe not replicated), the batch
 *     is dead: every later write of it fails and so does its commit, so nothing of it is
 *     acknowledged;
 *   - a connection found lost is made again at the next call outside a batch (libpq's
 *     multi-host URI with target_session_attrs=read-write finds the current primary);
 *     a batch never reconnects, so it never spans two sessions;
 *   - a schema whose version is newer than this code is never written to: open refuses it;
 *   - the session never times statements out: a COMMIT cancelled while it waits for a
 *     synchronous standby would be committed locally and reported as a success.
 * Integers that C holds as uint64_t (guest references) are stored bit for bit in bigint.
 */
#include "coordinator/store_backend.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APP_SITE     "vq"         /* vq_schema.app of a site's schema */
#define APP_CHAIN    "vq-chain"   /* ... and of a chain's */
#define MIGRATE_LOCK "7671000001" /* pg_advisory_xact_lock key: one migration at a time */
#define MAX_PARAMS   36

/* ---- schema ---- */

/* Migration 1 of a site's schema: the tables of store.c's migration 1, in PostgreSQL's
 * types, with the same names, keys and checks, but for the signing secrets: PostgreSQL
 * came after they left the database (store.c's migration 2), so its keys never had them.
 * Text keys compare bytewise (COLLATE "C"), as SQLite's do. slots and attr_state are a few
 * rows that every batch updates again (seats taken, the next number): their pages are
 * kept nearly empty (fillfactor 10) so that PostgreSQL prunes their dead versions as it
 * goes, instead of walking ever longer chains of them on each lookup (a third more issues
 * a second on bench-mqtt). A step, once released, is never edited. */
static const char *const site_migration_1[] = {
    "CREATE TABLE tickets ("
    " id bigint PRIMARY KEY CHECK (id > 0),"
    " attr text COLLATE \"C\" NOT NULL,"
    " slot_start bigint NOT NULL,"
    " win_start bigint NOT NULL,"
    " win_end bigint NOT NULL,"
    " tier smallint NOT NULL CHECK (tier BETWEEN 0 AND 255),"
    " party smallint NOT NULL CHECK (party BETWEEN 1 AND 255),"
    " number integer NOT NULL CHECK (number BETWEEN 0 AND 65535),"
    " guest bigint NOT NULL,"
    " state smallint NOT NULL CHECK (state BETWEEN 0 AND 3),"
    " issued_at bigint NOT NULL,"
    " valid_from bigint NOT NULL,"
    " valid_until bigint NOT NULL,"
    " used_at bigint NOT NULL,"
    " used_gate text NOT NULL,"
    " used_offline smallint NOT NULL CHECK (used_offline IN (0, 1)))",
    "CREATE INDEX tickets_attr_slot ON tickets (attr, slot_start)",
    "CREATE TABLE slots ("
    " attr text COLLATE \"C\" NOT NULL,"
    " day_start bigint NOT NULL,"
    " slot integer NOT NULL CHECK (slot >= 0),"
    " start bigint NOT NULL,"
    " cap integer NOT NULL CHECK (cap >= 0),"
    " taken integer NOT NULL CHECK (taken >= 0),"
    " PRIMARY KEY (attr, day_start, slot)) WITH (fillfactor = 10)",
    "CREATE TABLE attr_state ("
    " attr text COLLATE \"C\" NOT NULL,"
    " day_start bigint NOT NULL,"
    " status smallint NOT NULL CHECK (status IN (0, 1)),"
    " closed_at bigint NOT NULL,"
    " reopened_at bigint NOT NULL,"
    " throughput integer NOT NULL CHECK (throughput >= 0),"
    " share integer NOT NULL CHECK (share BETWEEN 0 AND 100),"
    " overbook integer NOT NULL CHECK (overbook BETWEEN 0 AND 100),"
    " next_number integer NOT NULL CHECK (next_number BETWEEN 0 AND 65535),"
    " PRIMARY KEY (attr, day_start)) WITH (fillfactor = 10)",
    "CREATE TABLE members (card text COLLATE \"C\" PRIMARY KEY, tier text NOT NULL)",
    "CREATE TABLE requests ("
    " rid text COLLATE \"C\" PRIMARY KEY,"
    " kind text NOT NULL,"
    " reply bytea NOT NULL,"
    " at bigint NOT NULL)",
    "CREATE TABLE redemptions ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " ticket bigint NOT NULL REFERENCES tickets (id),"
    " gate text NOT NULL,"
    " at bigint NOT NULL,"
    " offline smallint NOT NULL CHECK (offline IN (0, 1)))",
    "CREATE INDEX redemptions_ticket ON redemptions (ticket)",
    "CREATE TABLE audit ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " at bigint NOT NULL,"
    " actor text NOT NULL,"
    " action text NOT NULL,"
    " detail text)",
    "CREATE TABLE keys ("
    " kid smallint PRIMARY KEY CHECK (kid BETWEEN 0 AND 255),"
    " pk bytea NOT NULL CHECK (length(pk) = 32),"
    " active smallint NOT NULL CHECK (active IN (0, 1)),"
    " created bigint NOT NULL)",
    /* The schema itself guarantees at most one active signing key. */
    "CREATE UNIQUE INDEX keys_one_active ON keys (active) WHERE active = 1",
    "CREATE TABLE settings (key text COLLATE \"C\" PRIMARY KEY, value text NOT NULL)",
};

/* Migration 2, store.c's twin: a remembered reply is bound to the request that produced
 * it, and keys keep their history. legacy_secrets is there for the shape's sake: no
 * PostgreSQL store ever held a secret, so it stays empty. */
static const char *const site_migration_2[] = {
    "ALTER TABLE requests ADD COLUMN digest bytea"
    " CHECK (digest IS NULL OR length(digest) = 32)",
    "CREATE TABLE legacy_secrets ("
    " kid smallint PRIMARY KEY CHECK (kid BETWEEN 0 AND 255),"
    " sk bytea NOT NULL CHECK (length(sk) = 64))",
    "ALTER TABLE keys ADD COLUMN deactivated bigint NOT NULL DEFAULT 0,"
    " ADD COLUMN retired bigint NOT NULL DEFAULT 0,"
    " ADD CONSTRAINT keys_active_not_retired CHECK (active = 0 OR retired = 0)",
    /* A key stopped signing when the next one was made. */
    "UPDATE keys SET deactivated = CASE WHEN active = 1 THEN 0 ELSE coalesce("
    "(SELECT min(n.created) FROM keys n WHERE n.created > keys.created), created) END",
};

/* Migration 3, store.c's twin: accessibility return passes are tickets of another kind
 * that hold no seats, and every ticket records the account that asked for it. */
static const char *const site_migration_3[] = {
    "ALTER TABLE tickets ADD COLUMN kind smallint NOT NULL DEFAULT 0 CHECK (kind IN (0, 1)),"
    " ADD COLUMN issued_by text NOT NULL DEFAULT ''",
};

/* A chain's schema: its one member list. */
static const char *const chain_migration_1[] = {
    "CREATE TABLE members (card text COLLATE \"C\" PRIMARY KEY, tier text NOT NULL)",
};

typedef struct migration {
	const char *const *steps;
	size_t nsteps;
} migration;

static const migration site_migrations[] = {
    {site_migration_1, sizeof site_migration_1 / sizeof site_migration_1[0]},
    {site_migration_2, sizeof site_migration_2 / sizeof site_migration_2[0]},
    {site_migration_3, sizeof site_migration_3 / sizeof site_migration_3[0]},
};
static const migration chain_migrations[] = {
    {chain_migration_1, sizeof chain_migration_1 / sizeof chain_migration_1[0]},
};

_Static_assert(sizeof site_migrations / sizeof site_migrations[0] == VQ_STORE_SCHEMA_VERSION,
               "one migration per schema version, as in store.c");
#define CHAIN_SCHEMA_VERSION ((int)(sizeof chain_migrations / sizeof chain_migrations[0]))

/* ---- statements ---- */

#define TICKET_COLS                                                                                \
	"id, attr, slot_start, win_start, win_end, tier, party, number, guest, state, issued_at, " \
	"valid_from, valid_until, used_at, used_gate, used_offline, kind, issued_by"

/* A batch's rows in one statement: one array a column (unnest zips them into rows); each
 * part counts the rows it wrote, so a ticket refused by the state rule shows. */
#define PUT_ROWS_CTE                                                                               \
	"WITH t AS (INSERT INTO tickets (" TICKET_COLS ")"                                         \
	" SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[],"              \
	" $5::bigint[], $6::smallint[], $7::smallint[], $8::integer[], $9::bigint[],"              \
	" $10::smallint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[],"            \
	" $15::text[], $16::smallint[], $17::smallint[], $18::text[])"                             \
	" ON CONFLICT (id) DO UPDATE SET attr = excluded.attr,"                                    \
	" slot_start = excluded.slot_start, win_start = excluded.win_start,"                       \
	" win_end = excluded.win_end, tier = excluded.tier, party = excluded.party,"               \
	" number = excluded.number, guest = excluded.guest, state = excluded.state,"               \
	" issued_at = excluded.issued_at, valid_from = excluded.valid_from,"                       \
	" valid_until = excluded.valid_until, used_at = excluded.used_at,"                         \
	" used_gate = excluded.used_gate, used_offline = excluded.used_offline,"                   \
	" kind = excluded.kind, issued_by = excluded.issued_by"                                    \
	" WHERE tickets.state = excluded.state OR tickets.state = 0"                               \
	" OR (tickets.state = 3 AND excluded.state IN (1, 2)) RETURNING 1),"                       \
	" s AS (INSERT INTO slots (attr, day_start, slot, start, cap, taken)"                      \
	" SELECT a, $19, sl, st, c, tk FROM unnest($20::text[], $21::integer[], $22::bigint[],"    \
	" $23::integer[], $24::integer[]) AS x (a, sl, st, c, tk)"                                 \
	" ON CONFLICT (attr, day_start, slot) DO UPDATE SET start = excluded.start,"               \
	" cap = excluded.cap, taken = excluded.taken RETURNING 1),"                                \
	" a AS (INSERT INTO attr_state (attr, day_start, status, closed_at, reopened_at,"          \
	" throughput, share, overbook, next_number)"                                               \
	" SELECT a, $19, s, c, r, t, sh, o, n FROM unnest($25::text[], $26::smallint[],"           \
	" $27::bigint[], $28::bigint[], $29::integer[], $30::integer[], $31::integer[],"           \
	" $32::integer[]) AS x (a, s, c, r, t, sh, o, n)"                                          \
	" ON CONFLICT (attr, day_start) DO UPDATE SET status = excluded.status,"                   \
	" closed_at = excluded.closed_at, reopened_at = excluded.reopened_at,"                     \
	" throughput = excluded.throughput, share = excluded.share,"                               \
	" overbook = excluded.overbook, next_number = excluded.next_number RETURNING 1)"

enum stmt_id {
	S_SCHEMA_VERSION,
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
	S_GET_MEMBERS,
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
	S_OPEN_TICKETS,
	S_SET_SETTING,
	S_GET_SETTING,
	S_PUT_ROWS,
	S_PUT_ROWS_CHECKED,
	S_PUT_REQUESTS,
	S_PUT_REQUESTS_CHECKED,
	S_GET_REQUESTS,
	S_COUNT
};

/* "@M" stands for the schema that holds the member list. */
static const char *const stmt_sql[S_COUNT] = {
    [S_SCHEMA_VERSION] = "SELECT version FROM vq_schema",
    /* State only moves forward (ticket.h), as in store.c. */
    [S_PUT_TICKET] =
        "INSERT INTO tickets (" TICKET_COLS ")"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
        " $18)"
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
    [S_GET_TICKET] = "SELECT " TICKET_COLS " FROM tickets WHERE id = $1",
    [S_DAY_TICKETS] = "SELECT " TICKET_COLS " FROM tickets"
                      " WHERE attr = $1 AND slot_start BETWEEN $2 AND $3",
    [S_NEXT_ID] = "SELECT coalesce(max(id), 0) FROM tickets",
    [S_PUT_SLOT] = "INSERT INTO slots (attr, day_start, slot, start, cap, taken)"
                   " VALUES ($1, $2, $3, $4, $5, $6)"
                   " ON CONFLICT (attr, day_start, slot) DO UPDATE SET start = excluded.start,"
                   " cap = excluded.cap, taken = excluded.taken",
    [S_DAY_SLOTS] = "SELECT slot, start, cap, taken FROM slots"
                    " WHERE attr = $1 AND day_start = $2 ORDER BY slot",
    [S_PUT_ATTR] = "INSERT INTO attr_state (attr, day_start, status, closed_at, reopened_at,"
                   " throughput, share, overbook, next_number)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                   " ON CONFLICT (attr, day_start) DO UPDATE SET status = excluded.status,"
                   " closed_at = excluded.closed_at, reopened_at = excluded.reopened_at,"
                   " throughput = excluded.throughput, share = excluded.share,"
                   " overbook = excluded.overbook, next_number = excluded.next_number",
    [S_GET_ATTR] = "SELECT status, closed_at, reopened_at, throughput, share, overbook,"
                   " next_number FROM attr_state WHERE attr = $1 AND day_start = $2",
    [S_PUT_REQUEST] = "INSERT INTO requests (rid, kind, reply, at, digest)"
                      " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (rid) DO NOTHING",
    [S_GET_REQUEST] = "SELECT reply, kind, digest FROM requests WHERE rid = $1",
    [S_PRUNE_REQUESTS] = "DELETE FROM requests WHERE at < $1",
    [S_REDEEM] = "UPDATE tickets SET state = 1, used_at = $2, used_gate = $3, used_offline = $4"
                 " WHERE id = $1 AND state IN (0, 3)",
    [S_REDEEM_LOG] = "INSERT INTO redemptions (ticket, gate, at, offline) VALUES ($1, $2, $3, $4)",
    [S_TICKET_STATE] = "SELECT state FROM tickets WHERE id = $1",
    [S_PUT_MEMBER] = "INSERT INTO @M.members (card, tier) VALUES ($1, $2)"
                     " ON CONFLICT (card) DO UPDATE SET tier = excluded.tier",
    [S_GET_MEMBER] = "SELECT tier FROM @M.members WHERE card = $1",
    [S_GET_MEMBERS] = "SELECT card, tier FROM @M.members WHERE card = ANY ($1::text[])",
    [S_COUNT_MEMBERS] = "SELECT count(*) FROM @M.members",
    [S_AUDIT] = "INSERT INTO audit (at, actor, action, detail) VALUES ($1, $2, $3, $4)",
    [S_COUNT_AUDIT] = "SELECT count(*) FROM audit",
    [S_RECENT_AUDIT] = "SELECT id, at, actor, action, detail FROM audit"
                       " WHERE at >= $1 AND ($2::text IS NULL OR action = $2)"
                       " ORDER BY id DESC LIMIT $3",
    [S_KEYS_DEACTIVATE] = "UPDATE keys SET active = 0, deactivated = $2"
                          " WHERE active = 1 AND kid <> $1",
    /* A kid of a retired key may be given to a new one: the row starts afresh. */
    [S_PUT_KEY] = "INSERT INTO keys (kid, pk, active, created) VALUES ($1, $2, $3, $4)"
                  " ON CONFLICT (kid) DO UPDATE SET pk = excluded.pk, active = excluded.active,"
                  " created = excluded.created, deactivated = 0, retired = 0",
    [S_ACTIVE_KEY] = "SELECT kid, pk FROM keys WHERE active = 1",
    [S_KEYRING] = "SELECT kid, pk FROM keys WHERE retired = 0"
                  " ORDER BY created DESC, kid DESC LIMIT $1",
    [S_GET_KEY] = "SELECT pk, active, created, deactivated, retired FROM keys WHERE kid = $1",
    [S_RETIRE_KEY] = "UPDATE keys SET retired = $2 WHERE kid = $1 AND active = 0 AND retired = 0",
    [S_LEGACY_SECRETS] = "SELECT kid, sk FROM legacy_secrets ORDER BY kid",
    [S_FORGET_LEGACY] = "DELETE FROM legacy_secrets",
    /* as store.c: 14400 s is the most grace a ticket gets past its window */
    [S_OPEN_TICKETS] = "SELECT count(*) FROM tickets WHERE slot_start >= $1::bigint - 172800"
                       " AND slot_start < $1 AND state IN (0, 3) AND issued_at <= $2"
                       " AND (CASE WHEN state = 3 THEN valid_until ELSE win_end + 14400 END)"
                       " > $3",
    [S_SET_SETTING] = "INSERT INTO settings (key, value) VALUES ($1, $2)"
                      " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [S_GET_SETTING] = "SELECT value FROM settings WHERE key = $1",
    [S_PUT_ROWS] = PUT_ROWS_CTE
    " SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM s), (SELECT count(*) FROM a)",
    /* The same, failing by itself when a row was not written ($33..$35: how many of each
     * must be), so that a COMMIT sent behind it in one pipeline never runs after it. */
    [S_PUT_ROWS_CHECKED] = PUT_ROWS_CTE
    " SELECT CASE WHEN (SELECT count(*) FROM t) = $33::bigint"
    " AND (SELECT count(*) FROM s) = $34::bigint AND (SELECT count(*) FROM a) = $35::bigint"
    " THEN 0 ELSE ('a row of the batch was not written: tickets '"
    " || (SELECT count(*) FROM t) || ' of ' || $33::bigint || ', slots '"
    " || (SELECT count(*) FROM s) || ' of ' || $34::bigint || ', states '"
    " || (SELECT count(*) FROM a) || ' of ' || $35::bigint)::integer END",
    [S_PUT_REQUESTS] = "INSERT INTO requests (rid, kind, reply, at, digest)"
                       " SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[],"
                       " $5::bytea[]) ON CONFLICT (rid) DO NOTHING",
    [S_PUT_REQUESTS_CHECKED] =
        "WITH r AS (INSERT INTO requests (rid, kind, reply, at, digest)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[],"
        " $5::bytea[]) ON CONFLICT (rid) DO NOTHING RETURNING 1)"
        " SELECT CASE WHEN count(*) = $6::bigint THEN 0 ELSE ('a request id is remembered"
        " already: ' || count(*) || ' of ' || $6::bigint || ' replies written')::integer END"
        " FROM r",
    [S_GET_REQUESTS] = "SELECT rid, reply, kind, digest FROM requests WHERE rid = ANY ($1::text[])",
};

typedef struct seen_member {
	char card[VQ_STORE_CARD_MAX + 1];
	char tier[VQ_ID_MAX]; /* "" when the card is not a member */
} seen_member;

typedef struct pgs {
	vq_store base; /* first: the API holds a pointer to it */
	PGconn *conn;
	char *where;                      /* the URI, to connect again */
	char schema[2 * VQ_ID_MAX + 16];  /* "vq_site_<site>", quoted */
	char members[2 * VQ_ID_MAX + 16]; /* the schema of the member list, quoted */
	/* The caller opened a batch and has not ended it. */
	int batch;
	/* The batch can no longer be committed (see the invariants). */
	int poisoned;
	/* COMMIT is running: a WARNING now means it did not complete as asked. */
	int committing, commit_warned;
	/* The claim (store.h): held by this session; the lease asked for (0: none yet, and
	 * sessions never time out); when the last statement that succeeded was sent. */
	int held;
	int lease_ms;
	double proof_ms;
	int64_t term;
	/* Members the batch looked up at its start (vq_store_prefetch_members), sorted by card;
	 * forgotten when the batch ends. */
	struct seen_member *seen;
	size_t nseen;
	char site[VQ_ID_MAX];
	char errmsg[256];
} pgs;

/* ---- small helpers ---- */

static void set_err(pgs *st, const char *what, const char *detail)
{
	snprintf(st->errmsg, sizeof st->errmsg, "%s: %s", what, detail);
	/* libpq's messages end in a newline */
	size_t n = strlen(st->errmsg);
	while (n > 0 && (st->errmsg[n - 1] == '\n' || st->errmsg[n - 1] == ' '))
		st->errmsg[--n] = '\0';
}

static int store_fail(pgs *st, const char *what, const char *detail)
{
	set_err(st, what, detail);
	if (st->batch)
		st->poisoned = 1;
	return VQ_ESTORE;
}

/* Records the failure of res (or of the connection when res is NULL) and frees res. */
static int pq_fail(pgs *st, const char *what, PGresult *res)
{
	const char *msg = res ? PQresultErrorMessage(res) : "";
	if (!msg || !*msg)
		msg = PQerrorMessage(st->conn);
	int rc = store_fail(st, what, msg && *msg ? msg : "unknown error");
	PQclear(res);
	return rc;
}

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

/* Parameters of one statement: text, except byte strings, which go in binary. */
typedef struct params {
	int n;
	const char *v[MAX_PARAMS];
	int len[MAX_PARAMS];
	int fmt[MAX_PARAMS];
	char num[MAX_PARAMS][24];
} params;

static void p_i64(params *p, int64_t x)
{
	snprintf(p->num[p->n], sizeof p->num[p->n], "%lld", (long long)x);
	p->v[p->n] = p->num[p->n];
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void p_str(params *p, const char *s)
{
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void p_null(params *p)
{
	p_str(p, NULL);
}

static void p_bytes(params *p, const void *b, size_t n)
{
	p->v[p->n] = n ? b : "";
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->n++;
}

static int64_t col_i64(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int col_int(const PGresult *r, int row, int col)
{
	return (int)strtol(PQgetvalue(r, row, col), NULL, 10);
}

/* The number of rows a command changed. */
static long changed(const PGresult *r)
{
	return strtol(PQcmdTuples((PGresult *)r), NULL, 10);
}

/* ---- the connection ---- */

/* A notice during COMMIT is the server saying it did not do all it was asked: above all
 * "canceling wait for synchronous replication" (committed here, maybe not on the
 * standby). Such a commit is not acknowledged. */
static void on_notice(void *arg, const PGresult *res)
{
	pgs *st = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	if (st->committing && sev && strcmp(sev, "WARNING") == 0) {
		st->commit_warned = 1;
		set_err(st, "commit", PQresultErrorMessage(res));
	}
}

/* Runs a statement that is not prepared (session set-up, migrations, transactions). */
/* A statement that succeeded proves the session, and any claim it holds, alive when it
 * was sent. */
static void proved(pgs *st, double sent)
{
	if (st->held)
		st->proof_ms = sent;
}

static int ensure_conn(pgs *st);

/* Outside a batch, a statement that found the connection gone (the server ended an idle
 * session, or failed over) is tried once more on a new one: nothing of it had happened.
 * Whenever it gives up *r, *r is NULL after (the caller's result is then the failure to
 * connect again). */
static int again(pgs *st, PGresult **r)
{
	ExecStatusType s = PQresultStatus(*r);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || st->batch ||
	    PQstatus(st->conn) == CONNECTION_OK)
		return 0;
	PQclear(*r);
	*r = NULL;
	return ensure_conn(st) == VQ_OK;
}

static int exec_sql(pgs *st, const char *sql, const char *what)
{
	double sent = vq_store_mono_ms();
	PGresult *r = PQexec(st->conn, sql);
	if (again(st, &r)) {
		sent = vq_store_mono_ms();
		r = PQexec(st->conn, sql);
	}
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return pq_fail(st, what, r);
	PQclear(r);
	proved(st, sent);
	return VQ_OK;
}

/* Writes sql with every "@M" replaced by the member list's schema. */
static int expand(const pgs *st, const char *sql, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = sql; *p; p++) {
		if (p[0] == '@' && p[1] == 'M') {
			size_t m = strlen(st->members);
			if (n + m >= cap)
				return -1;
			memcpy(out + n, st->members, m);
			n += m;
			p++;
		} else {
			if (n + 1 >= cap)
				return -1;
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return 0;
}

/* Settings of a session, then its prepared statements. */
static int prepare_session(pgs *st)
{
	char sql[4096];
	PQsetNoticeReceiver(st->conn, on_notice, st);
	snprintf(sql, sizeof sql,
	         "SET search_path TO %s; SET statement_timeout = 0; SET lock_timeout = 0;"
	         " SET synchronous_commit = on; SET idle_session_timeout = %d;"
	         " SET idle_in_transaction_session_timeout = %d",
	         st->schema, st->lease_ms, st->lease_ms);
	/* synchronous_commit is the server's choice when the server demands more; "on" here
	 * only refuses a weaker setting a role or database may carry */
	int rc = exec_sql(st, sql, "session");
	for (int i = 0; rc == VQ_OK && i < S_COUNT; i++) {
		char name[8];
		snprintf(name, sizeof name, "s%d", i);
		if (expand(st, stmt_sql[i], sql, sizeof sql) != 0)
			return store_fail(st, "prepare", "statement too long");
		PGresult *r = PQprepare(st->conn, name, sql, 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pq_fail(st, "prepare", r);
		else
			PQclear(r);
	}
	return rc;
}

/* Connects with vq's defaults under the URI's own parameters: libpq applies keywords in
 * order and the URI (expanded from dbname) comes last, so what it says wins. */
static PGconn *connect_uri(const char *uri)
{
	static const char *const keys[] = {"connect_timeout",  "keepalives",
	                                   "keepalives_idle",  "keepalives_interval",
	                                   "keepalives_count", "fallback_application_name",
	                                   "dbname",           NULL};
	const char *vals[] = {"2", "1", "2", "1", "3", "vqd", uri, NULL};
	return PQconnectdbParams(keys, vals, 1);
}

/* The connection, made again if it was lost, outside a batch only. */
static int ensure_conn(pgs *st)
{
	if (PQstatus(st->conn) == CONNECTION_OK)
		return VQ_OK;
	st->held = 0; /* the claim went with the session */
	if (st->batch)
		return store_fail(st, "connection", "lost during the batch");
	PQfinish(st->conn);
	st->conn = connect_uri(st->where);
	if (PQstatus(st->conn) != CONNECTION_OK)
		return pq_fail(st, "connect", NULL);
	return prepare_session(st);
}

/* Runs prepared statement id; returns its result (the caller clears it) or NULL after
 * recording the failure. The connection is checked first (see ensure_conn). */
static PGresult *run(pgs *st, enum stmt_id id, const params *p, const char *what)
{
	if (ensure_conn(st) != VQ_OK)
		return NULL;
	char name[8];
	snprintf(name, sizeof name, "s%d", (int)id);
	double sent = vq_store_mono_ms();
	PGresult *r = PQexecPrepared(st->conn, name, p ? p->n : 0, p ? p->v : NULL,
	                             p ? p->len : NULL, p ? p->fmt : NULL, 0);
	if (again(st, &r)) {
		sent = vq_store_mono_ms();
		r = PQexecPrepared(st->conn, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
		                   p ? p->fmt : NULL, 0);
	}
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		pq_fail(st, what, r);
		return NULL;
	}
	proved(st, sent);
	return r;
}

/* Every write starts here: VQ_EINVAL outside a batch (a write on its own would commit by
 * itself, behind the caller's back); VQ_ESTORE once the batch is dead, keeping the message
 * of what killed it. */
static int writable(pgs *st)
{
	if (!st->batch) {
		set_err(st, "write", "outside a batch");
		return VQ_EINVAL;
	}
	if (st->poisoned)
		return VQ_ESTORE;
	if (PQstatus(st->conn) != CONNECTION_OK || PQtransactionStatus(st->conn) != PQTRANS_INTRANS)
		return store_fail(st, "write", "the batch's transaction is gone");
	return VQ_OK;
}

/* Runs a write that changes one row or none; *n (may be NULL) gets how many. */
static int run_write(pgs *st, enum stmt_id id, const params *p, const char *what, long *n)
{
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	PGresult *r = run(st, id, p, what);
	if (!r)
		return VQ_ESTORE;
	if (n)
		*n = changed(r);
	PQclear(r);
	return VQ_OK;
}

/* Brackets a multi-row write in a savepoint of the caller's batch, so it is all or
 * nothing even when the batch goes on. */
static int op_begin(pgs *st)
{
	int rc = writable(st);
	return rc == VQ_OK ? exec_sql(st, "SAVEPOINT vq_op", "savepoint") : rc;
}

/* Ends what op_begin started: keeps it if rc is VQ_OK, else undoes it and returns rc. A
 * refusal (used, unknown ticket) leaves the batch alive; a failure of the store killed it
 * already (store_fail). */
static int op_end(pgs *st, int rc)
{
	if (rc == VQ_OK)
		return exec_sql(st, "RELEASE vq_op", "release savepoint");
	PGresult *r = PQexec(st->conn, "ROLLBACK TO vq_op; RELEASE vq_op");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		st->poisoned = 1; /* the session or the transaction is gone */
	PQclear(r);
	return rc;
}

/* ---- open, migrate, close ---- */

/* The version of one schema: 0 if the schema is empty or new, -1 (err) if it holds tables
 * that are not vq's or vq_schema is not ours. Runs inside the migration transaction. */
static int schema_version_of(pgs *st, const char *schema_raw, const char *app, char *err,
                             size_t errlen)
{
	const char *vals[1] = {schema_raw};
	PGresult *r = PQexecParams(st->conn,
	                           "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = $1),"
	                           " (SELECT count(*) FROM pg_tables WHERE schemaname = $1"
	                           "  AND tablename = 'vq_schema')",
	                           1, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "schema %s: %s", schema_raw, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	long tables = col_i64(r, 0, 0), marker = col_i64(r, 0, 1);
	PQclear(r);
	if (tables == 0)
		return 0;
	if (!marker) {
		snprintf(err, errlen, "schema %s holds tables that are not vq's", schema_raw);
		return -1;
	}
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT app, version FROM \"%s\".vq_schema", schema_raw);
	r = PQexec(st->conn, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
	    strcmp(PQgetvalue(r, 0, 0), app) != 0) {
		snprintf(err, errlen, "schema %s: not a vq %s schema", schema_raw,
		         strcmp(app, APP_SITE) == 0 ? "site" : "chain");
		PQclear(r);
		return -1;
	}
	int v = col_int(r, 0, 1);
	PQclear(r);
	return v;
}

/* Brings one schema to the newest of its migrations. */
static int migrate_schema(pgs *st, const char *schema_raw, const char *app, const migration *m,
                          int newest, char *err, size_t errlen)
{
	int version = schema_version_of(st, schema_raw, app, err, errlen);
	if (version < 0)
		return VQ_ESTORE;
	if (version > newest) {
		snprintf(err, errlen, "schema %s version %d is newer than this vq (%d)", schema_raw,
		         version, newest);
		return VQ_ESTORE;
	}
	if (version == newest)
		return VQ_OK;
	char sql[256];
	snprintf(sql, sizeof sql,
	         "CREATE SCHEMA IF NOT EXISTS \"%s\"; SET LOCAL search_path TO \"%s\"", schema_raw,
	         schema_raw);
	if (exec_sql(st, sql, "migration") != VQ_OK)
		goto fail;
	for (int v = version; v < newest; v++) {
		for (size_t i = 0; i < m[v].nsteps; i++) {
			if (exec_sql(st, m[v].steps[i], "migration") != VQ_OK) {
				snprintf(err, errlen, "schema %s migration %d step %zu: %s",
				         schema_raw, v + 1, i + 1, st->errmsg);
				return VQ_ESTORE;
			}
		}
	}
	if (version == 0)
		snprintf(sql, sizeof sql,
		         "CREATE TABLE vq_schema (app text NOT NULL, version integer NOT NULL);"
		         " INSERT INTO vq_schema VALUES ('%s', %d)",
		         app, newest);
	else
		snprintf(sql, sizeof sql, "UPDATE vq_schema SET version = %d", newest);
	if (exec_sql(st, sql, "migration") == VQ_OK)
		return VQ_OK;
fail:
	snprintf(err, errlen, "schema %s: %s", schema_raw, st->errmsg);
	return VQ_ESTORE;
}

/* Both schemas in one transaction, one migrating process at a time across the database. */
static int migrate(pgs *st, const char *site_schema, const char *chain_schema, char *err,
                   size_t errlen)
{
	if (exec_sql(st, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", "migration") !=
	    VQ_OK) {
		snprintf(err, errlen, "migration: %s", st->errmsg);
		return VQ_ESTORE;
	}
	int rc = migrate_schema(st, site_schema, APP_SITE, site_migrations, VQ_STORE_SCHEMA_VERSION,
	                        err, errlen);
	if (rc == VQ_OK && chain_schema)
		rc = migrate_schema(st, chain_schema, APP_CHAIN, chain_migrations,
		                    CHAIN_SCHEMA_VERSION, err, errlen);
	if (rc == VQ_OK && exec_sql(st, "COMMIT", "migration") != VQ_OK) {
		snprintf(err, errlen, "migration: %s", st->errmsg);
		rc = VQ_ESTORE;
	}
	if (rc != VQ_OK && PQtransactionStatus(st->conn) != PQTRANS_IDLE)
		PQclear(PQexec(st->conn, "ROLLBACK"));
	return rc;
}

static void pg_close(vq_store *base);

static int pg_open(const char *where, const char *site, const char *chain, vq_store **out,
                   char *err, size_t errlen)
{
	if (!site) {
		snprintf(err, errlen, "a PostgreSQL store needs the site's id");
		return VQ_EINVAL;
	}
	pgs *st = calloc(1, sizeof *st);
	if (!st || !(st->where = strdup(where))) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return VQ_ENOMEM;
	}
	st->base.ops = &vq_store_pg_ops;
	snprintf(st->site, sizeof st->site, "%s", site);
	char site_schema[VQ_ID_MAX + 16], chain_schema[VQ_ID_MAX + 16];
	/* ids are [a-z0-9_-] (store_api.c): quoted, they are safe identifiers */
	snprintf(site_schema, sizeof site_schema, "vq_site_%s", site);
	snprintf(st->schema, sizeof st->schema, "\"%s\"", site_schema);
	if (chain) {
		snprintf(chain_schema, sizeof chain_schema, "vq_chain_%s", chain);
		snprintf(st->members, sizeof st->members, "\"%s\"", chain_schema);
	} else {
		snprintf(st->members, sizeof st->members, "%s", st->schema);
	}
	int rc = VQ_ESTORE;
	st->conn = connect_uri(where);
	if (PQstatus(st->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "connecting: %s", PQerrorMessage(st->conn));
		goto fail;
	}
	rc = migrate(st, site_schema, chain ? chain_schema : NULL, err, errlen);
	if (rc == VQ_OK && (rc = prepare_session(st)) != VQ_OK)
		snprintf(err, errlen, "%s", st->errmsg);
	if (rc == VQ_OK) {
		st->errmsg[0] = '\0';
		*out = &st->base;
		return VQ_OK;
	}
fail : {
	/* libpq's messages end in a newline */
	size_t n = strlen(err);
	while (n > 0 && err[n - 1] == '\n')
		err[--n] = '\0';
}
	pg_close(&st->base);
	return rc;
}

static void pg_close(vq_store *base)
{
	pgs *st = (pgs *)base;
	/* closing the session rolls back whatever it had open */
	PQfinish(st->conn);
	free(st->seen);
	free(st->where);
	free(st);
}

static int pg_schema_version(vq_store *base, int *out)
{
	pgs *st = (pgs *)base;
	PGresult *r = run(st, S_SCHEMA_VERSION, NULL, "schema version");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_OK;
	if (PQntuples(r) == 1)
		*out = col_int(r, 0, 0);
	else
		rc = store_fail(st, "schema version", "no version row");
	PQclear(r);
	return rc;
}

static const char *pg_errmsg(const vq_store *base)
{
	return ((const pgs *)base)->errmsg;
}

static void pg_set_errmsg(vq_store *base, const char *msg)
{
	pgs *st = (pgs *)base;
	snprintf(st->errmsg, sizeof st->errmsg, "%s", msg);
}

/* ---- transactions ---- */

static void forget_members(pgs *st)
{
	free(st->seen);
	st->seen = NULL;
	st->nseen = 0;
}

static int pg_begin(vq_store *base)
{
	pgs *st = (pgs *)base;
	forget_members(st);
	if (st->batch) {
		set_err(st, "begin", "a transaction is already open");
		return VQ_EINVAL;
	}
	int rc = ensure_conn(st);
	if (rc == VQ_OK && PQtransactionStatus(st->conn) != PQTRANS_IDLE) {
		set_err(st, "begin", "a transaction is already open");
		return VQ_EINVAL;
	}
	if (rc == VQ_OK)
		rc = exec_sql(st, "BEGIN", "begin");
	/* once vq_store_claim is in use, only the session that holds the site's claim writes:
	 * one made again after the old one was lost (even by BEGIN itself) holds nothing
	 * until it claims again, and another vqd may serve meanwhile (store.h) */
	if (rc == VQ_OK && st->lease_ms > 0 && !st->held) {
		PQclear(PQexec(st->conn, "ROLLBACK"));
		return store_fail(st, "begin", "this session does not hold the site's claim");
	}
	st->batch = rc == VQ_OK;
	st->poisoned = 0;
	return rc;
}

static int pg_commit(vq_store *base)
{
	pgs *st = (pgs *)base;
	if (!st->batch) {
		set_err(st, "commit", "no transaction is open");
		return VQ_EINVAL;
	}
	int rc = writable(st);
	st->batch = 0;
	forget_members(st);
	if (rc != VQ_OK) {
		if (PQstatus(st->conn) == CONNECTION_OK &&
		    PQtransactionStatus(st->conn) != PQTRANS_IDLE)
			PQclear(PQexec(st->conn, "ROLLBACK"));
		return VQ_ESTORE; /* errmsg still names the failure that killed the batch */
	}
	st->committing = 1;
	st->commit_warned = 0;
	PGresult *r = PQexec(st->conn, "COMMIT");
	st->committing = 0;
	/* a COMMIT of a transaction that failed answers ROLLBACK without an error */
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pq_fail(st, "commit", r);
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		PQclear(r);
		return store_fail(st, "commit", "the server rolled the batch back");
	}
	PQclear(r);
	return st->commit_warned ? VQ_ESTORE : VQ_OK;
}

static int pg_poison(vq_store *base, const char *why)
{
	pgs *st = (pgs *)base;
	if (!st->batch)
		return VQ_EINVAL;
	store_fail(st, "batch", why ? why : "declared dead by the caller");
	return VQ_OK;
}

static int pg_batch_ok(const vq_store *base)
{
	const pgs *st = (const pgs *)base;
	return st->batch && !st->poisoned && PQstatus(st->conn) == CONNECTION_OK &&
	       PQtransactionStatus(st->conn) == PQTRANS_INTRANS;
}

static int pg_rollback(vq_store *base)
{
	pgs *st = (pgs *)base;
	st->batch = 0;
	forget_members(st);
	st->poisoned = 0;
	if (PQstatus(st->conn) != CONNECTION_OK || PQtransactionStatus(st->conn) == PQTRANS_IDLE)
		return VQ_OK; /* the session, and the transaction with it, is gone: same outcome */
	return exec_sql(st, "ROLLBACK", "rollback");
}

/* ---- tickets, slots, attraction states ---- */

static int pg_put_ticket(vq_store *base, const vq_ticket *t)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_i64(&p, (int64_t)t->id);
	p_str(&p, t->attr);
	p_i64(&p, t->slot_start);
	p_i64(&p, t->win_start);
	p_i64(&p, t->win_end);
	p_i64(&p, t->tier);
	p_i64(&p, t->party);
	p_i64(&p, t->number);
	p_i64(&p, u64_to_i64(t->guest));
	p_i64(&p, t->state);
	p_i64(&p, t->issued_at);
	p_i64(&p, t->valid_from);
	p_i64(&p, t->valid_until);
	p_i64(&p, t->used_at);
	p_str(&p, t->used_gate);
	p_i64(&p, t->used_offline);
	p_i64(&p, t->kind);
	p_str(&p, t->issued_by);
	long n = 0;
	int rc = run_write(st, S_PUT_TICKET, &p, "put ticket", &n);
	if (rc == VQ_OK && n == 0)
		rc = VQ_ESTATE; /* the stored ticket is further along than this one */
	return rc;
}

/* Reads row i of a result that selects TICKET_COLS. */
static int row_to_ticket(pgs *st, const PGresult *r, int i, vq_ticket *t)
{
	const char *attr = PQgetvalue(r, i, 1), *gate = PQgetvalue(r, i, 14),
	           *by = PQgetvalue(r, i, 17);
	if (strlen(attr) >= VQ_ID_MAX || strlen(gate) >= VQ_ID_MAX || strlen(by) >= VQ_ID_MAX)
		return store_fail(st, "ticket row", "attraction, gate or issuer id too long");
	memset(t, 0, sizeof *t);
	t->id = (uint64_t)col_i64(r, i, 0);
	memcpy(t->attr, attr, strlen(attr));
	t->slot_start = col_i64(r, i, 2);
	t->win_start = col_i64(r, i, 3);
	t->win_end = col_i64(r, i, 4);
	/* The table's CHECK constraints bound these to their C types. */
	t->tier = (uint8_t)col_int(r, i, 5);
	t->party = (uint8_t)col_int(r, i, 6);
	t->number = (uint16_t)col_int(r, i, 7);
	t->guest = i64_to_u64(col_i64(r, i, 8));
	t->state = (uint8_t)col_int(r, i, 9);
	t->issued_at = col_i64(r, i, 10);
	t->valid_from = col_i64(r, i, 11);
	t->valid_until = col_i64(r, i, 12);
	t->used_at = col_i64(r, i, 13);
	memcpy(t->used_gate, gate, strlen(gate));
	t->used_offline = (uint8_t)col_int(r, i, 15);
	t->kind = (uint8_t)col_int(r, i, 16);
	memcpy(t->issued_by, by, strlen(by));
	return VQ_OK;
}

static int pg_get_ticket(vq_store *base, uint64_t id, vq_ticket *out)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_i64(&p, (int64_t)id);
	PGresult *r = run(st, S_GET_TICKET, &p, "get ticket");
	if (!r)
		return VQ_ESTORE;
	int rc = PQntuples(r) == 1 ? row_to_ticket(st, r, 0, out) : VQ_ENOTICKET;
	PQclear(r);
	return rc;
}

static int pg_next_ticket_id(vq_store *base, uint64_t *out)
{
	pgs *st = (pgs *)base;
	PGresult *r = run(st, S_NEXT_ID, NULL, "next ticket id");
	if (!r)
		return VQ_ESTORE;
	*out = (uint64_t)col_i64(r, 0, 0) + 1;
	PQclear(r);
	return VQ_OK;
}

static int pg_put_slot(vq_store *base, const char *attr, int64_t day_start, int slot,
                       const vq_slot_view *sv)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, attr);
	p_i64(&p, day_start);
	p_i64(&p, slot);
	p_i64(&p, sv->start);
	p_i64(&p, sv->cap);
	p_i64(&p, sv->taken);
	return run_write(st, S_PUT_SLOT, &p, "put slot", NULL);
}

static int pg_put_attr_state(vq_store *base, const char *attr, int64_t day_start,
                             const vq_attr_state *a)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, attr);
	p_i64(&p, day_start);
	p_i64(&p, a->status);
	p_i64(&p, a->closed_at);
	p_i64(&p, a->reopened_at);
	p_i64(&p, a->throughput_per_hour);
	p_i64(&p, a->fast_share_pct);
	p_i64(&p, a->overbook_pct);
	p_i64(&p, (int64_t)a->next_number);
	return run_write(st, S_PUT_ATTR, &p, "put attraction state", NULL);
}

/* ---- the reads a day is rebuilt from (store_api.c) ---- */

static int pg_get_attr_state(vq_store *base, const char *attr, int64_t day_start,
                             vq_attr_state *out)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, attr);
	p_i64(&p, day_start);
	PGresult *r = run(st, S_GET_ATTR, &p, "load attraction state");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_ENOTFOUND;
	if (PQntuples(r) == 1) {
		*out = (vq_attr_state){
		    .status = col_int(r, 0, 0),
		    .closed_at = col_i64(r, 0, 1),
		    .reopened_at = col_i64(r, 0, 2),
		    .throughput_per_hour = col_int(r, 0, 3),
		    .fast_share_pct = col_int(r, 0, 4),
		    .overbook_pct = col_int(r, 0, 5),
		    .next_number = (unsigned)col_int(r, 0, 6),
		};
		rc = VQ_OK;
	}
	PQclear(r);
	return rc;
}

static int pg_walk_slots(vq_store *base, const char *attr, int64_t day_start, vq_store_slot_cb fn,
                         void *arg)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, attr);
	p_i64(&p, day_start);
	PGresult *r = run(st, S_DAY_SLOTS, &p, "load slots");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_OK;
	for (int i = 0; rc == VQ_OK && i < PQntuples(r); i++)
		rc =
		    fn(arg, col_int(r, i, 0), col_i64(r, i, 1), col_int(r, i, 2), col_int(r, i, 3));
	PQclear(r);
	return rc;
}

static int pg_walk_tickets(vq_store *base, const char *attr, int64_t first, int64_t last,
                           vq_store_ticket_cb fn, void *arg)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, attr);
	p_i64(&p, first);
	p_i64(&p, last);
	PGresult *r = run(st, S_DAY_TICKETS, &p, "load tickets");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_OK;
	for (int i = 0; rc == VQ_OK && i < PQntuples(r); i++) {
		vq_ticket t;
		rc = row_to_ticket(st, r, i, &t);
		if (rc == VQ_OK)
			rc = fn(arg, &t);
	}
	PQclear(r);
	return rc;
}

/* ---- idempotency ---- */

static int pg_put_request(vq_store *base, const char *rid, const char *kind,
                          const uint8_t digest[VQ_STORE_DIGEST_LEN], const char *reply, size_t len,
                          int64_t at)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, rid);
	p_str(&p, kind);
	p_bytes(&p, reply, len);
	p_i64(&p, at);
	p_bytes(&p, digest, VQ_STORE_DIGEST_LEN);
	long n = 0;
	int rc = run_write(st, S_PUT_REQUEST, &p, "put request", &n);
	return rc == VQ_OK && n == 0 ? VQ_EEXISTS : rc;
}

/* A bytea column as bytes (malloc'd, PQfreemem), or NULL with *n 0 for SQL NULL. */
static unsigned char *col_raw(const PGresult *r, int row, int col, size_t *n)
{
	*n = 0;
	if (PQgetisnull(r, row, col))
		return NULL;
	return PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), n);
}

/* Is the stored row the same request (kind, then digest; rows from before digests were
 * kept are bound to their kind alone)? As store.c's same_request. */
static int same_request(const char *skind, const unsigned char *sdigest, size_t dlen,
                        int digest_null, const char *kind, const uint8_t *digest)
{
	if (strcmp(skind, kind) != 0)
		return 0;
	if (digest_null)
		return 1;
	return sdigest && dlen == VQ_STORE_DIGEST_LEN &&
	       memcmp(sdigest, digest, VQ_STORE_DIGEST_LEN) == 0;
}

static int pg_get_request(vq_store *base, const char *rid, const char *kind,
                          const uint8_t digest[VQ_STORE_DIGEST_LEN], char **reply, size_t *len)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, rid);
	PGresult *r = run(st, S_GET_REQUEST, &p, "get request");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_ENOTFOUND;
	if (PQntuples(r) == 1) {
		size_t n = 0, dn = 0;
		unsigned char *d = col_raw(r, 0, 2, &dn);
		int same =
		    same_request(PQgetvalue(r, 0, 1), d, dn, PQgetisnull(r, 0, 2), kind, digest);
		PQfreemem(d);
		unsigned char *raw = same ? col_raw(r, 0, 0, &n) : NULL;
		char *copy = raw ? malloc(n + 1) : NULL;
		if (!same) {
			rc = VQ_ERIDREUSED;
		} else if (copy) {
			memcpy(copy, raw, n);
			copy[n] = '\0';
			*reply = copy;
			if (len)
				*len = n;
			rc = VQ_OK;
		} else {
			rc = VQ_ENOMEM;
		}
		PQfreemem(raw);
	}
	PQclear(r);
	return rc;
}

static int pg_prune_requests(vq_store *base, int64_t before, int64_t *removed)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_i64(&p, before);
	long n = 0;
	int rc = run_write(st, S_PRUNE_REQUESTS, &p, "prune requests", &n);
	if (rc == VQ_OK && removed)
		*removed = n;
	return rc;
}

/* ---- many rows at once: arrays, one statement ---- */

/* A PostgreSQL array literal being built: {1,2}, {"a","b"}, {"\\x00ff"}. */
typedef struct arr {
	char *s;
	size_t len, cap;
	size_t n; /* elements */
	int oom;
} arr;

static void arr_put(arr *a, const char *b, size_t n)
{
	if (a->oom)
		return;
	if (a->len + n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap : 256;
		while (cap < a->len + n + 2)
			cap *= 2;
		char *ns = realloc(a->s, cap);
		if (!ns) {
			a->oom = 1;
			return;
		}
		a->s = ns;
		a->cap = cap;
	}
	memcpy(a->s + a->len, b, n);
	a->len += n;
	a->s[a->len] = '\0';
}

static void arr_sep(arr *a)
{
	arr_put(a, a->n++ ? "," : "{", 1);
}

static void arr_i64(arr *a, int64_t v)
{
	char num[24];
	int k = snprintf(num, sizeof num, "%lld", (long long)v);
	arr_sep(a);
	arr_put(a, num, (size_t)k);
}

/* Quoted, with " and \ escaped: any text goes in as it is. */
static void arr_text(arr *a, const char *t)
{
	arr_sep(a);
	arr_put(a, "\"", 1);
	for (; *t; t++) {
		if (*t == '"' || *t == '\\')
			arr_put(a, "\\", 1);
		arr_put(a, t, 1);
	}
	arr_put(a, "\"", 1);
}

/* bytea in hex: "\\x..." (the array's quoting halves the backslash). */
static void arr_bytes(arr *a, const void *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = b;
	arr_sep(a);
	arr_put(a, "\"\\\\x", 4);
	for (size_t i = 0; i < n; i++) {
		char two[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
		arr_put(a, two, 2);
	}
	arr_put(a, "\"", 1);
}

static const char *arr_done(arr *a)
{
	if (!a->n)
		arr_put(a, "{", 1);
	arr_put(a, "}", 1);
	return a->oom ? NULL : a->s;
}

static void arrs_free(arr *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i].s);
}

/* Closes the arrays and makes them the statement's parameters; VQ_ENOMEM if one could not
 * be built. */
static int arr_params(params *p, arr *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = arr_done(&a[i]);
		if (!v)
			return VQ_ENOMEM;
		p_str(p, v);
	}
	return VQ_OK;
}

enum { T_COLS = 18, S_COLS = 5, A_COLS = 8, R_COLS = 5 };

/* A batch's rows as S_PUT_ROWS's parameters, in arrays the caller frees. */
static int rows_params(const vq_store_rows *rows, arr *t, arr *sl, arr *at, params *p)
{
	for (size_t i = 0; i < rows->ntickets; i++) {
		const vq_ticket *k = rows->tickets[i];
		arr_i64(&t[0], (int64_t)k->id);
		arr_text(&t[1], k->attr);
		arr_i64(&t[2], k->slot_start);
		arr_i64(&t[3], k->win_start);
		arr_i64(&t[4], k->win_end);
		arr_i64(&t[5], k->tier);
		arr_i64(&t[6], k->party);
		arr_i64(&t[7], k->number);
		arr_i64(&t[8], u64_to_i64(k->guest));
		arr_i64(&t[9], k->state);
		arr_i64(&t[10], k->issued_at);
		arr_i64(&t[11], k->valid_from);
		arr_i64(&t[12], k->valid_until);
		arr_i64(&t[13], k->used_at);
		arr_text(&t[14], k->used_gate);
		arr_i64(&t[15], k->used_offline);
		arr_i64(&t[16], k->kind);
		arr_text(&t[17], k->issued_by);
	}
	for (size_t i = 0; i < rows->nslots; i++) {
		const vq_store_slot *x = &rows->slots[i];
		arr_text(&sl[0], x->attr);
		arr_i64(&sl[1], x->slot);
		arr_i64(&sl[2], x->view.start);
		arr_i64(&sl[3], x->view.cap);
		arr_i64(&sl[4], x->view.taken);
	}
	for (size_t i = 0; i < rows->nattrs; i++) {
		const vq_store_attr *x = &rows->attrs[i];
		arr_text(&at[0], x->attr);
		arr_i64(&at[1], x->state.status);
		arr_i64(&at[2], x->state.closed_at);
		arr_i64(&at[3], x->state.reopened_at);
		arr_i64(&at[4], x->state.throughput_per_hour);
		arr_i64(&at[5], x->state.fast_share_pct);
		arr_i64(&at[6], x->state.overbook_pct);
		arr_i64(&at[7], (int64_t)x->state.next_number);
	}
	int rc = arr_params(p, t, T_COLS);
	if (rc == VQ_OK) {
		p_i64(p, rows->day_start);
		rc = arr_params(p, sl, S_COLS);
	}
	if (rc == VQ_OK)
		rc = arr_params(p, at, A_COLS);
	return rc;
}

static int pg_put_rows(vq_store *base, const vq_store_rows *rows)
{
	pgs *st = (pgs *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	arr t[T_COLS] = {{0}}, sl[S_COLS] = {{0}}, at[A_COLS] = {{0}};
	params p = {0};
	rc = rows_params(rows, t, sl, at, &p);
	PGresult *r = NULL;
	if (rc == VQ_OK && !(r = run(st, S_PUT_ROWS, &p, "put rows")))
		rc = VQ_ESTORE;
	if (r) {
		/* upserts of slots and states always write; a ticket only moves forward */
		if (col_i64(r, 0, 1) != (int64_t)rows->nslots ||
		    col_i64(r, 0, 2) != (int64_t)rows->nattrs)
			rc = store_fail(st, "put rows",
			                "a slot or an attraction state was not written");
		else if (col_i64(r, 0, 0) != (int64_t)rows->ntickets)
			rc = VQ_ESTATE;
		PQclear(r);
	}
	if (rc != VQ_OK && rc != VQ_ESTORE)
		store_fail(st, "put rows", vq_strerror(rc)); /* half written: the batch dies */
	arrs_free(t, T_COLS);
	arrs_free(sl, S_COLS);
	arrs_free(at, A_COLS);
	return rc;
}

/* A batch's replies as S_PUT_REQUESTS's parameters, in arrays the caller frees. */
static int replies_params(const vq_store_reply *r, size_t n, arr *a, params *p)
{
	for (size_t i = 0; i < n; i++) {
		arr_text(&a[0], r[i].rid);
		arr_text(&a[1], r[i].kind);
		arr_bytes(&a[2], r[i].reply ? r[i].reply : "", r[i].len);
		arr_i64(&a[3], r[i].at);
		arr_bytes(&a[4], r[i].digest, VQ_STORE_DIGEST_LEN);
	}
	return arr_params(p, a, R_COLS);
}

static int pg_put_requests(vq_store *base, const vq_store_reply *r, size_t n)
{
	pgs *st = (pgs *)base;
	int rc = writable(st);
	if (rc != VQ_OK)
		return rc;
	arr a[R_COLS] = {{0}};
	params p = {0};
	rc = replies_params(r, n, a, &p);
	PGresult *res = NULL;
	if (rc == VQ_OK && !(res = run(st, S_PUT_REQUESTS, &p, "put requests")))
		rc = VQ_ESTORE;
	if (res && changed(res) != (long)n)
		rc = VQ_EEXISTS;
	PQclear(res);
	if (rc != VQ_OK && rc != VQ_ESTORE)
		store_fail(st, "put requests", vq_strerror(rc)); /* half written: the batch dies */
	arrs_free(a, R_COLS);
	return rc;
}

/* Sends statement id in pipeline mode (its result is read later). */
static int send_prepared(pgs *st, enum stmt_id id, const params *p)
{
	char name[8];
	snprintf(name, sizeof name, "s%d", (int)id);
	return PQsendQueryPrepared(st->conn, name, p->n, p->v, p->len, p->fmt, 0);
}

/* The end of a batch in one round trip: its rows, its replies and COMMIT in one pipeline.
 * The two writes check themselves (S_*_CHECKED fail when a row was not written), so a
 * COMMIT behind a failed one is skipped by the server and the whole batch rolls back. */
static int pg_commit_rows(vq_store *base, const vq_store_rows *rows, const vq_store_reply *r,
                          size_t n)
{
	pgs *st = (pgs *)base;
	if (!st->batch) {
		set_err(st, "commit", "no transaction is open");
		return VQ_EINVAL;
	}
	int has_rows = rows && (rows->ntickets || rows->nslots || rows->nattrs);
	if (writable(st) != VQ_OK || (!has_rows && !n))
		return pg_commit(base); /* a dead batch fails there; an empty one just commits */
	arr t[T_COLS] = {{0}}, sl[S_COLS] = {{0}}, at[A_COLS] = {{0}}, a[R_COLS] = {{0}};
	params pr = {0}, pq = {0};
	int rc = VQ_OK;
	if (has_rows && (rc = rows_params(rows, t, sl, at, &pr)) == VQ_OK) {
		p_i64(&pr, (int64_t)rows->ntickets);
		p_i64(&pr, (int64_t)rows->nslots);
		p_i64(&pr, (int64_t)rows->nattrs);
	}
	if (rc == VQ_OK && n && (rc = replies_params(r, n, a, &pq)) == VQ_OK)
		p_i64(&pq, (int64_t)n);
	if (rc != VQ_OK) {
		store_fail(st, "commit", vq_strerror(rc));
		rc = pg_commit(base); /* poisoned: rolls back */
		goto out;
	}
	st->batch = 0;
	forget_members(st);
	st->committing = 1;
	st->commit_warned = 0;
	/* libpq copies the parameters as it queues each statement */
	int nsent = 0, ok = PQenterPipelineMode(st->conn);
	if (ok && has_rows && (ok = send_prepared(st, S_PUT_ROWS_CHECKED, &pr)))
		nsent++;
	if (ok && n && (ok = send_prepared(st, S_PUT_REQUESTS_CHECKED, &pq)))
		nsent++;
	if (ok && (ok = PQsendQueryParams(st->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)))
		nsent++;
	ok = ok && PQpipelineSync(st->conn);
	/* the results in order, each followed by NULL, then the sync */
	int got = 0, nulls = 0, failed = !ok, synced = 0;
	while (nsent && !synced) {
		PGresult *res = PQgetResult(st->conn);
		if (!res) { /* between two results; never more of them than results */
			if (PQstatus(st->conn) != CONNECTION_OK || ++nulls > nsent)
				break;
			continue;
		}
		ExecStatusType s = PQresultStatus(res);
		if (s == PGRES_PIPELINE_SYNC) {
			synced = 1;
		} else if (got++ < nsent - 1) { /* a write */
			if (s != PGRES_TUPLES_OK && !failed) {
				failed = 1;
				set_err(st, "commit",
				        s == PGRES_PIPELINE_ABORTED ? "aborted"
				                                    : PQresultErrorMessage(res));
			}
		} else if (s != PGRES_COMMAND_OK || strcmp(PQcmdStatus(res), "COMMIT") != 0) {
			if (!failed)
				set_err(st, "commit",
				        s == PGRES_COMMAND_OK ? "the server rolled the batch back"
				                              : PQresultErrorMessage(res));
			failed = 1;
		}
		PQclear(res);
	}
	st->committing = 0;
	if (!synced || !PQexitPipelineMode(st->conn)) {
		/* the session's state is unknown: end it (and any claim with it) */
		if (!failed)
			set_err(st, "commit", PQerrorMessage(st->conn));
		failed = 1;
		PQfinish(st->conn);
		st->conn = NULL;
		st->held = 0;
	}
	st->errmsg[strcspn(st->errmsg, "\n")] = '\0';
	if (failed) {
		if (PQstatus(st->conn) == CONNECTION_OK &&
		    PQtransactionStatus(st->conn) != PQTRANS_IDLE)
			PQclear(PQexec(st->conn, "ROLLBACK"));
		rc = VQ_ESTORE;
	} else {
		rc = st->commit_warned ? VQ_ESTORE : VQ_OK;
	}
out:
	arrs_free(t, T_COLS);
	arrs_free(sl, S_COLS);
	arrs_free(at, A_COLS);
	arrs_free(a, R_COLS);
	return rc;
}

/* A request id and where it was asked for: sorted by id, so a returned row finds its
 * index by bisection. */
typedef struct rid_at {
	const char *rid;
	size_t i;
} rid_at;

static int by_rid(const void *a, const void *b)
{
	return strcmp(((const rid_at *)a)->rid, ((const rid_at *)b)->rid);
}

static int pg_get_requests(vq_store *base, const char *const *rids, size_t n, vq_store_reply_fn fn,
                           void *arg)
{
	pgs *st = (pgs *)base;
	rid_at *x = malloc(n * sizeof *x);
	arr a = {0};
	if (!x)
		return VQ_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		x[i] = (rid_at){rids[i], i};
		arr_text(&a, rids[i]);
	}
	qsort(x, n, sizeof *x, by_rid);
	params p = {0};
	int rc = arr_params(&p, &a, 1);
	PGresult *r = NULL;
	if (rc == VQ_OK && !(r = run(st, S_GET_REQUESTS, &p, "get requests")))
		rc = VQ_ESTORE;
	for (int i = 0; r && rc == VQ_OK && i < PQntuples(r); i++) {
		rid_at key = {PQgetvalue(r, i, 0), 0};
		const rid_at *hit = bsearch(&key, x, n, sizeof *x, by_rid);
		size_t len = 0, dn = 0;
		unsigned char *raw = col_raw(r, i, 1, &len);
		unsigned char *d = col_raw(r, i, 3, &dn);
		char *copy = raw ? malloc(len + 1) : NULL;
		if (!copy || (!PQgetisnull(r, i, 3) && !d)) {
			rc = VQ_ENOMEM;
		} else if (d && dn != VQ_STORE_DIGEST_LEN) {
			rc = store_fail(st, "get requests", "a row that is not vq's");
		} else if (hit) {
			memcpy(copy, raw, len);
			copy[len] = '\0';
			rc = fn(arg, hit->i, copy, len, PQgetvalue(r, i, 2), d);
		}
		free(copy);
		PQfreemem(raw);
		PQfreemem(d);
	}
	PQclear(r);
	free(a.s);
	free(x);
	return rc;
}

/* ---- redemption ---- */

static int pg_redeem(vq_store *base, uint64_t id, const char *gate, int64_t at, int offline)
{
	pgs *st = (pgs *)base;
	int rc = op_begin(st);
	if (rc != VQ_OK)
		return rc;
	/* The conditional UPDATE is the whole race: the row lock makes a second caller wait for
	 * the first one's transaction, then see the ticket redeemed and change nothing. */
	params p = {0};
	p_i64(&p, (int64_t)id);
	p_i64(&p, at);
	p_str(&p, gate);
	p_i64(&p, offline);
	PGresult *r = run(st, S_REDEEM, &p, "redeem");
	if (!r) {
		rc = VQ_ESTORE;
		goto end;
	}
	long n = changed(r);
	PQclear(r);
	if (n == 0) {
		params q = {0};
		p_i64(&q, (int64_t)id);
		r = run(st, S_TICKET_STATE, &q, "redeem");
		if (!r)
			rc = VQ_ESTORE;
		else if (PQntuples(r) == 0)
			rc = VQ_ENOTICKET;
		else
			rc = col_int(r, 0, 0) == VQ_TS_REDEEMED ? VQ_EUSED : VQ_ESTATE;
		PQclear(r);
		goto end;
	}
	params lg = {0};
	p_i64(&lg, (int64_t)id);
	p_str(&lg, gate);
	p_i64(&lg, at);
	p_i64(&lg, offline);
	r = run(st, S_REDEEM_LOG, &lg, "redeem log");
	if (!r)
		rc = VQ_ESTORE;
	PQclear(r);
end:
	return op_end(st, rc);
}

/* ---- members ---- */

static int by_card(const void *a, const void *b)
{
	return strcmp(((const seen_member *)a)->card, ((const seen_member *)b)->card);
}

/* The batch's answer for card, if it looked it up. */
static seen_member *seen(pgs *st, const char *card)
{
	seen_member key;
	snprintf(key.card, sizeof key.card, "%s", card);
	return st->nseen ? bsearch(&key, st->seen, st->nseen, sizeof key, by_card) : NULL;
}

static int pg_prefetch_members(vq_store *base, const char *const *cards, size_t n)
{
	pgs *st = (pgs *)base;
	if (!st->batch || st->nseen)
		return VQ_EINVAL;
	seen_member *m = calloc(n ? n : 1, sizeof *m);
	if (!m)
		return VQ_ENOMEM;
	arr a = {0};
	for (size_t i = 0; i < n; i++) {
		snprintf(m[i].card, sizeof m[i].card, "%s", cards[i]);
		arr_text(&a, cards[i]);
	}
	/* sorted, each card once */
	qsort(m, n, sizeof *m, by_card);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || strcmp(m[k - 1].card, m[i].card) != 0)
			m[k++] = m[i];
	params p = {0};
	int rc = arr_params(&p, &a, 1);
	PGresult *r = NULL;
	if (rc == VQ_OK && !(r = run(st, S_GET_MEMBERS, &p, "get members")))
		rc = VQ_ESTORE;
	for (int i = 0; r && rc == VQ_OK && i < PQntuples(r); i++) {
		seen_member key;
		snprintf(key.card, sizeof key.card, "%s", PQgetvalue(r, i, 0));
		seen_member *hit = bsearch(&key, m, k, sizeof key, by_card);
		const char *t = PQgetvalue(r, i, 1);
		if (strlen(t) >= VQ_ID_MAX || !*t)
			rc = store_fail(st, "get members", "a tier that is not vq's");
		else if (hit)
			memcpy(hit->tier, t, strlen(t) + 1);
	}
	PQclear(r);
	free(a.s);
	if (rc != VQ_OK) {
		free(m);
		return rc;
	}
	st->seen = m;
	st->nseen = k;
	return VQ_OK;
}

static int pg_put_member(vq_store *base, const char *card, const char *tier)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, card);
	p_str(&p, tier);
	int rc = run_write(st, S_PUT_MEMBER, &p, "put member", NULL);
	seen_member *m = rc == VQ_OK ? seen(st, card) : NULL;
	if (m) /* what the batch looked up is what it wrote since */
		snprintf(m->tier, sizeof m->tier, "%s", tier);
	return rc;
}

static int pg_get_member(vq_store *base, const char *card, char tier[VQ_ID_MAX])
{
	pgs *st = (pgs *)base;
	const seen_member *m = st->batch ? seen(st, card) : NULL;
	if (m) {
		if (!m->tier[0])
			return VQ_ENOTFOUND;
		memcpy(tier, m->tier, strlen(m->tier) + 1);
		return VQ_OK;
	}
	params p = {0};
	p_str(&p, card);
	PGresult *r = run(st, S_GET_MEMBER, &p, "get member");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_ENOTFOUND;
	if (PQntuples(r) == 1) {
		const char *t = PQgetvalue(r, 0, 0);
		if (strlen(t) >= VQ_ID_MAX) {
			rc = store_fail(st, "read", "stored text too long");
		} else {
			memcpy(tier, t, strlen(t) + 1);
			rc = VQ_OK;
		}
	}
	PQclear(r);
	return rc;
}

static int count_rows(pgs *st, enum stmt_id id, int64_t *out, const char *what)
{
	PGresult *r = run(st, id, NULL, what);
	if (!r)
		return VQ_ESTORE;
	*out = col_i64(r, 0, 0);
	PQclear(r);
	return VQ_OK;
}

static int pg_member_count(vq_store *base, int64_t *out)
{
	return count_rows((pgs *)base, S_COUNT_MEMBERS, out, "count members");
}

/* ---- audit ---- */

static int pg_audit(vq_store *base, int64_t at, const char *actor, const char *action,
                    const char *detail)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_i64(&p, at);
	p_str(&p, actor);
	p_str(&p, action);
	if (detail)
		p_str(&p, detail);
	else
		p_null(&p);
	return run_write(st, S_AUDIT, &p, "audit", NULL);
}

static int pg_audit_count(vq_store *base, int64_t *out)
{
	return count_rows((pgs *)base, S_COUNT_AUDIT, out, "count audit");
}

static int pg_audit_recent(vq_store *base, int64_t since, const char *action, int limit,
                           vq_audit_fn fn, void *arg)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_i64(&p, since);
	if (action)
		p_str(&p, action);
	else
		p_null(&p);
	p_i64(&p, limit);
	PGresult *r = run(st, S_RECENT_AUDIT, &p, "recent audit");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_OK;
	for (int i = 0; i < PQntuples(r) && rc == VQ_OK; i++) {
		const vq_audit_entry e = {
		    .id = col_i64(r, i, 0),
		    .at = col_i64(r, i, 1),
		    .actor = PQgetvalue(r, i, 2),
		    .action = PQgetvalue(r, i, 3),
		    .detail = PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4),
		};
		rc = fn(arg, &e);
	}
	PQclear(r);
	return rc;
}

/* ---- signing keys ---- */

static int pg_put_key(vq_store *base, uint8_t kid, const uint8_t pk[32], int active,
                      int64_t created)
{
	pgs *st = (pgs *)base;
	int rc = op_begin(st);
	if (rc != VQ_OK)
		return rc;
	PGresult *r;
	if (active) {
		/* One active key at a time (a unique index insists): the new one takes over,
		 * and the old one stops signing now. */
		params d = {0};
		p_i64(&d, kid);
		p_i64(&d, created);
		r = run(st, S_KEYS_DEACTIVATE, &d, "put key");
		if (!r) {
			rc = VQ_ESTORE;
			goto end;
		}
		PQclear(r);
	}
	params p = {0};
	p_i64(&p, kid);
	p_bytes(&p, pk, 32);
	p_i64(&p, active);
	p_i64(&p, created);
	r = run(st, S_PUT_KEY, &p, "put key");
	if (!r)
		rc = VQ_ESTORE;
	PQclear(r);
end:
	return op_end(st, rc);
}

/* Copies a bytea column of exactly n bytes into out. */
static int col_bytes(pgs *st, const PGresult *r, int row, int col, void *out, size_t n,
                     const char *what)
{
	size_t got = 0;
	unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &got);
	int rc = VQ_OK;
	if (!raw)
		rc = VQ_ENOMEM;
	else if (got != n)
		rc = store_fail(st, what, "key of the wrong size");
	else
		memcpy(out, raw, n);
	PQfreemem(raw);
	return rc;
}

static int pg_get_active_key(vq_store *base, uint8_t *kid, uint8_t pk[32])
{
	pgs *st = (pgs *)base;
	PGresult *r = run(st, S_ACTIVE_KEY, NULL, "active key");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_ENOTFOUND;
	if (PQntuples(r) == 1) {
		uint8_t p[32];
		rc = col_bytes(st, r, 0, 1, p, sizeof p, "active key");
		if (rc == VQ_OK) {
			*kid = (uint8_t)col_int(r, 0, 0);
			memcpy(pk, p, sizeof p);
		}
	}
	PQclear(r);
	return rc;
}

static int pg_get_key(vq_store *base, uint8_t kid, vq_store_key *out)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_i64(&p, kid);
	PGresult *r = run(st, S_GET_KEY, &p, "key");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_ENOTFOUND;
	if (PQntuples(r) == 1) {
		vq_store_key k = {.kid = kid};
		rc = col_bytes(st, r, 0, 0, k.pk, sizeof k.pk, "key");
		k.active = col_int(r, 0, 1);
		k.created = col_i64(r, 0, 2);
		k.deactivated = col_i64(r, 0, 3);
		k.retired = col_i64(r, 0, 4);
		if (rc == VQ_OK)
			*out = k;
	}
	PQclear(r);
	return rc;
}

static int pg_get_keyring(vq_store *base, vq_keyring *ring)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_i64(&p, VQ_KEYRING_MAX);
	PGresult *r = run(st, S_KEYRING, &p, "keyring");
	if (!r)
		return VQ_ESTORE;
	vq_keyring k;
	memset(&k, 0, sizeof k);
	int rc = VQ_OK;
	for (int i = 0; rc == VQ_OK && i < PQntuples(r) && i < VQ_KEYRING_MAX; i++) {
		k.keys[i].kid = (uint8_t)col_int(r, i, 0);
		rc = col_bytes(st, r, i, 1, k.keys[i].pk, 32, "keyring");
		k.count++;
	}
	PQclear(r);
	if (rc == VQ_OK)
		*ring = k; /* all or nothing: a failed read leaves the caller's ring as it was */
	return rc;
}

static int pg_retire_key(vq_store *base, uint8_t kid, int64_t at)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_i64(&p, kid);
	p_i64(&p, at);
	long n = 0;
	int rc = run_write(st, S_RETIRE_KEY, &p, "retire key", &n);
	if (rc != VQ_OK || n)
		return rc;
	/* nothing changed: say why */
	vq_store_key k;
	rc = pg_get_key(base, kid, &k);
	if (rc != VQ_OK)
		return rc;
	return k.retired ? VQ_ENOTFOUND : VQ_ESTATE;
}

static int pg_count_open_tickets(vq_store *base, int64_t day_start, int64_t issued_until,
                                 int64_t now, int64_t *out)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_i64(&p, day_start);
	p_i64(&p, issued_until);
	p_i64(&p, now);
	PGresult *r = run(st, S_OPEN_TICKETS, &p, "count open tickets");
	if (!r)
		return VQ_ESTORE;
	*out = col_i64(r, 0, 0);
	PQclear(r);
	return VQ_OK;
}

static int pg_legacy_secrets(vq_store *base, uint8_t kid[256], uint8_t (*sk)[64], int *n)
{
	pgs *st = (pgs *)base;
	PGresult *r = run(st, S_LEGACY_SECRETS, NULL, "legacy secrets");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_OK;
	for (int i = 0; rc == VQ_OK && i < PQntuples(r) && i < 256; i++) {
		kid[i] = (uint8_t)col_int(r, i, 0);
		rc = col_bytes(st, r, i, 1, sk[i], 64, "legacy secrets");
		if (rc == VQ_OK)
			(*n)++;
	}
	PQclear(r);
	return rc;
}

static int pg_forget_legacy_secrets(vq_store *base)
{
	pgs *st = (pgs *)base;
	if (st->batch)
		return VQ_EINVAL;
	/* a batch of its own; there is never anything in it (migration 1 above) */
	int rc = exec_sql(st, "BEGIN", "forget legacy secrets");
	if (rc != VQ_OK)
		return rc;
	st->batch = 1;
	rc = run_write(st, S_FORGET_LEGACY, NULL, "forget legacy secrets", NULL);
	st->batch = 0;
	if (rc == VQ_OK)
		return exec_sql(st, "COMMIT", "forget legacy secrets");
	PQclear(PQexec(st->conn, "ROLLBACK"));
	return rc;
}

/* ---- settings ---- */

static int pg_set_setting(vq_store *base, const char *key, const char *value)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, key);
	p_str(&p, value);
	return run_write(st, S_SET_SETTING, &p, "set setting", NULL);
}

static int pg_get_setting(vq_store *base, const char *key, char *out, size_t outlen)
{
	pgs *st = (pgs *)base;
	params p = {0};
	p_str(&p, key);
	PGresult *r = run(st, S_GET_SETTING, &p, "get setting");
	if (!r)
		return VQ_ESTORE;
	int rc = VQ_ENOTFOUND;
	if (PQntuples(r) == 1) {
		const char *v = PQgetvalue(r, 0, 0);
		size_t n = strlen(v);
		if (n >= outlen) {
			rc = VQ_EINVAL; /* the caller's buffer is too small */
		} else {
			memcpy(out, v, n + 1);
			rc = VQ_OK;
		}
	}
	PQclear(r);
	return rc;
}

/* ---- who serves: a session advisory lock on the site ---- */

static int pg_claim(vq_store *base, int lease_ms, int *held, int64_t *term)
{
	pgs *st = (pgs *)base;
	if (st->batch) {
		set_err(st, "claim", "inside a batch");
		return VQ_EINVAL;
	}
	if (PQstatus(st->conn) != CONNECTION_OK)
		st->held = 0;
	int rc = VQ_OK;
	if (lease_ms != st->lease_ms) {
		/* from now on, and on every session made again */
		st->lease_ms = lease_ms;
		char sql[160];
		snprintf(
		    sql, sizeof sql,
		    "SET idle_session_timeout = %d; SET idle_in_transaction_session_timeout = %d",
		    lease_ms, lease_ms);
		rc = ensure_conn(st);
		if (rc == VQ_OK)
			rc = exec_sql(st, sql, "claim");
	}
	if (rc == VQ_OK)
		rc = ensure_conn(st);
	int taken = 0;
	if (rc == VQ_OK && st->held) {
		rc = exec_sql(st, "SELECT 1", "prove the claim");
		if (rc != VQ_OK)
			st->held = 0;
	} else if (rc == VQ_OK) {
		static const char lock[] =
		    "SELECT pg_try_advisory_lock(hashtextextended('vq site ' || $1, 0))";
		const char *vals[1] = {st->site};
		double sent = vq_store_mono_ms();
		PGresult *r = PQexecParams(st->conn, lock, 1, NULL, vals, NULL, NULL, 0);
		if (again(st, &r)) {
			sent = vq_store_mono_ms();
			r = PQexecParams(st->conn, lock, 1, NULL, vals, NULL, NULL, 0);
		}
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = pq_fail(st, "claim", r);
		} else {
			int got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
			PQclear(r);
			if (got) {
				st->held = taken = 1;
				st->proof_ms = sent;
			}
		}
	}
	if (rc == VQ_OK && taken) {
		/* a claim just taken opens a term: count it, in a transaction of its own */
		PGresult *r = PQexec(
		    st->conn, "INSERT INTO settings (key, value) VALUES ('serving_term', '1')"
		              " ON CONFLICT (key) DO UPDATE SET value ="
		              " (settings.value::bigint + 1)::text RETURNING value");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = pq_fail(st, "claim: term", r);
			st->held = 0;
		} else {
			st->term = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
			PQclear(r);
		}
	}
	*held = st->held;
	*term = st->held ? st->term : 0;
	return rc;
}

static int pg_release_claim(vq_store *base)
{
	pgs *st = (pgs *)base;
	if (st->batch) {
		set_err(st, "release claim", "inside a batch");
		return VQ_EINVAL;
	}
	if (!st->held || PQstatus(st->conn) != CONNECTION_OK) {
		st->held = 0;
		return VQ_OK; /* nothing held, or it went with the session */
	}
	st->held = 0;
	const char *vals[1] = {st->site};
	PGresult *r = PQexecParams(
	    st->conn, "SELECT pg_advisory_unlock(hashtextextended('vq site ' || $1, 0))", 1, NULL,
	    vals, NULL, NULL, 0);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	if (!ok) { /* the session is in doubt: end it, and the claim with it (the next call
		    * connects again) */
		PQfinish(st->conn);
		st->conn = NULL;
	}
	return VQ_OK;
}

static double pg_claim_proof(const vq_store *base)
{
	const pgs *st = (const pgs *)base;
	return st->held && PQstatus(st->conn) == CONNECTION_OK ? st->proof_ms : 0;
}

const vq_store_ops vq_store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .schema_version = pg_schema_version,
    .errmsg = pg_errmsg,
    .begin = pg_begin,
    .commit = pg_commit,
    .commit_rows = pg_commit_rows,
    .rollback = pg_rollback,
    .poison = pg_poison,
    .batch_ok = pg_batch_ok,
    .put_ticket = pg_put_ticket,
    .put_slot = pg_put_slot,
    .put_attr_state = pg_put_attr_state,
    .put_request = pg_put_request,
    .get_request = pg_get_request,
    .put_rows = pg_put_rows,
    .put_requests = pg_put_requests,
    .get_requests = pg_get_requests,
    .prune_requests = pg_prune_requests,
    .redeem = pg_redeem,
    .get_ticket = pg_get_ticket,
    .next_ticket_id = pg_next_ticket_id,
    .get_attr_state = pg_get_attr_state,
    .walk_slots = pg_walk_slots,
    .walk_tickets = pg_walk_tickets,
    .set_errmsg = pg_set_errmsg,
    .put_member = pg_put_member,
    .get_member = pg_get_member,
    .prefetch_members = pg_prefetch_members,
    .member_count = pg_member_count,
    .audit = pg_audit,
    .audit_count = pg_audit_count,
    .audit_recent = pg_audit_recent,
    .put_key = pg_put_key,
    .get_active_key = pg_get_active_key,
    .get_key = pg_get_key,
    .get_keyring = pg_get_keyring,
    .retire_key = pg_retire_key,
    .count_open_tickets = pg_count_open_tickets,
    .legacy_secrets = pg_legacy_secrets,
    .forget_legacy_secrets = pg_forget_legacy_secrets,
    .set_setting = pg_set_setting,
    .get_setting = pg_get_setting,
    .claim = pg_claim,
    .claim_proof = pg_claim_proof,
    .release_claim = pg_release_claim,
};
