/* coordinator/store_report.c — the report's read-only queries (contract: store_report.h).
 *
 * Owns a second, read-only kind of connection to the store's database and the SELECTs the
 * report needs, for both backends; the schemas are store.c's and store_pg.c's (the same
 * tables and columns) and are only read here. Every query is written once, with SQLite's
 * ?N parameters (made $N for PostgreSQL), and reads its rows through one small cursor.
 * Invariants:
 *   - SQLite: the connection is opened SQLITE_OPEN_READONLY; PostgreSQL: the session's
 *     transactions are read-only (default_transaction_read_only), so no code path here
 *     can write;
 *   - a database of another application, or of a schema other than the one this code was
 *     written against, is refused at open;
 *   - each query runs to its end (or the caller's stop) and is finished before returning,
 *     so no read transaction is held between calls.
 */
#include "coordinator/store_report.h"

#include "coordinator/store.h"
#include "coordinator/store_backend.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPLICATION_ID  0x76710001 /* store.c's: "vq", format 1 */
#define BUSY_TIMEOUT_MS 5000
#define MAX_PARAMS      4
#define MAX_SQL         1024

struct vq_store_reader {
	sqlite3 *db;  /* SQLite, or NULL */
	PGconn *conn; /* PostgreSQL, or NULL */
	char errmsg[256];
};

static int fail(vq_store_reader *r, const char *what)
{
	snprintf(r->errmsg, sizeof r->errmsg, "%s: %s", what,
	         r->db ? sqlite3_errmsg(r->db) : PQerrorMessage(r->conn));
	r->errmsg[strcspn(r->errmsg, "\n")] = '\0';
	return VQ_ESTORE;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = sqlite3_column_int(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

static int open_sqlite(vq_store_reader *r, const char *path, char *err, size_t errlen)
{
	int app = 0, version = 0;
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		         r->db ? sqlite3_errmsg(r->db) : "cannot open");
		return VQ_ESTORE;
	}
	sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
	if (pragma_int(r->db, "PRAGMA application_id", &app) != SQLITE_OK ||
	    pragma_int(r->db, "PRAGMA user_version", &version) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(r->db));
		return VQ_ESTORE;
	}
	if (app != APPLICATION_ID || version != VQ_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen,
		         "%s: not a vq database of schema %d (application 0x%08x, schema %d)", path,
		         VQ_STORE_SCHEMA_VERSION, (unsigned)app, version);
		return VQ_ESTORE;
	}
	return VQ_OK;
}

/* The site's schema (store_pg.c: "vq_site_<site>", its vq_schema saying app "vq"), read
 * only. */
static int open_pg(vq_store_reader *r, const char *uri, const char *site, char *err, size_t errlen)
{
	char where[512];
	vq_store_describe(uri, where, sizeof where);
	if (!site || !vq_store_valid_id(site)) {
		snprintf(err, errlen, "%s: a PostgreSQL store needs the site's id", where);
		return VQ_EINVAL;
	}
	static const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname",
	                                   NULL};
	const char *vals[] = {"5", "vqctl", uri, NULL};
	r->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(r->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "%s: %s", where, PQerrorMessage(r->conn));
		err[strcspn(err, "\n")] = '\0';
		return VQ_ESTORE;
	}
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SET default_transaction_read_only = on; SET search_path TO \"vq_site_%s\"", site);
	PGresult *res = PQexec(r->conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	res = ok ? PQexec(r->conn, "SELECT app, version FROM vq_schema") : NULL;
	int version = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "vq") == 0)
		version = atoi(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (version != VQ_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: no vq site '%s' of schema %d in this database (%s)",
		         where, site, VQ_STORE_SCHEMA_VERSION,
		         version >= 0 ? "another schema" : "no schema vq_site_<site>, or not vq's");
		return VQ_ESTORE;
	}
	return VQ_OK;
}

int vq_store_reader_open(const char *where, const char *site, vq_store_reader **out, char *err,
                         size_t errlen)
{
	if (!where || !*where || !out || !err || errlen == 0)
		return VQ_EINVAL;
	*out = NULL;
	vq_store_reader *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return VQ_ENOMEM;
	}
	int rc = vq_store_is_uri(where) ? open_pg(r, where, site, err, errlen)
	                                : open_sqlite(r, where, err, errlen);
	if (rc != VQ_OK) {
		vq_store_reader_close(r);
		return rc;
	}
	*out = r;
	return VQ_OK;
}

void vq_store_reader_close(vq_store_reader *r)
{
	if (!r)
		return;
	sqlite3_close_v2(r->db);
	PQfinish(r->conn);
	free(r);
}

const char *vq_store_reader_errmsg(const vq_store_reader *r)
{
	return r ? r->errmsg : "no database";
}

/* ---- one cursor over both backends ---- */

typedef struct param {
	const char *text; /* or NULL: i64 */
	int64_t i64;
} param;

#define P_TEXT(t) ((param){.text = (t)})
#define P_INT(i)  ((param){.i64 = (i)})

/* The row a query is on. */
typedef struct row {
	sqlite3_stmt *s;
	PGresult *res;
	int i;
} row;

static int ncols(const row *w)
{
	return w->s ? sqlite3_column_count(w->s) : PQnfields(w->res);
}

static const char *col_name(const row *w, int c)
{
	return w->s ? sqlite3_column_name(w->s, c) : PQfname(w->res, c);
}

static int col_null(const row *w, int c)
{
	return w->s ? sqlite3_column_type(w->s, c) == SQLITE_NULL : PQgetisnull(w->res, w->i, c);
}

/* "" for NULL. */
static const char *col_text(const row *w, int c)
{
	if (w->s) {
		const char *t = (const char *)sqlite3_column_text(w->s, c);
		return t ? t : "";
	}
	return PQgetvalue(w->res, w->i, c);
}

static int64_t col_i64(const row *w, int c)
{
	return w->s ? sqlite3_column_int64(w->s, c)
	            : strtoll(PQgetvalue(w->res, w->i, c), NULL, 10);
}

typedef int (*row_fn)(const row *w, void *ctx);

static int query_sqlite(vq_store_reader *r, const char *what, const char *sql, const param *p,
                        int np, row_fn each, void *ctx)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(r, what);
	for (int i = 0; i < np; i++) {
		if (p[i].text)
			sqlite3_bind_text(s, i + 1, p[i].text, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(s, i + 1, p[i].i64);
	}
	int rc = VQ_OK, step;
	row w = {.s = s};
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = each(&w, ctx)) != 0)
			break;
	if (rc == VQ_OK && step != SQLITE_DONE)
		rc = fail(r, what);
	sqlite3_finalize(s);
	return rc;
}

static int query_pg(vq_store_reader *r, const char *what, const char *sql, const param *p, int np,
                    row_fn each, void *ctx)
{
	char pgsql[MAX_SQL];
	size_t n = strlen(sql);
	if (n >= sizeof pgsql) {
		snprintf(r->errmsg, sizeof r->errmsg, "%s: statement too long", what);
		return VQ_ESTORE;
	}
	for (size_t i = 0; i <= n; i++) /* ?N -> $N */
		pgsql[i] = sql[i] == '?' && sql[i + 1] >= '1' && sql[i + 1] <= '9' ? '$' : sql[i];
	char nums[MAX_PARAMS][24];
	const char *vals[MAX_PARAMS];
	for (int i = 0; i < np && i < MAX_PARAMS; i++) {
		snprintf(nums[i], sizeof nums[i], "%lld", (long long)p[i].i64);
		vals[i] = p[i].text ? p[i].text : nums[i];
	}
	PGresult *res = PQexecParams(r->conn, pgsql, np, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(r->errmsg, sizeof r->errmsg, "%s: %s", what,
		         res ? PQresultErrorMessage(res) : PQerrorMessage(r->conn));
		r->errmsg[strcspn(r->errmsg, "\n")] = '\0';
		PQclear(res);
		return VQ_ESTORE;
	}
	int rc = VQ_OK;
	row w = {.res = res};
	for (w.i = 0; rc == VQ_OK && w.i < PQntuples(res); w.i++)
		rc = each(&w, ctx);
	PQclear(res);
	return rc;
}

/* Runs sql with its ?1..?np parameters, handing each row to each() until it returns
 * non-zero (which is returned). */
static int query(vq_store_reader *r, const char *what, const char *sql, const param *p, int np,
                 row_fn each, void *ctx)
{
	if (np > MAX_PARAMS)
		return VQ_EINVAL;
	return r->db ? query_sqlite(r, what, sql, p, np, each, ctx)
	             : query_pg(r, what, sql, p, np, each, ctx);
}

/* ---- the queries ---- */

#define ONE_ROW (-1) /* a row function's "that was the row": stops the query, not an error */

struct one_ctx {
	int found;
	char *out;
	size_t outlen;
	int too_long;
};

static int setting_row(const row *w, void *ctx)
{
	struct one_ctx *c = ctx;
	const char *v = col_text(w, 0);
	size_t n = strlen(v);
	c->found = 1;
	if (n >= c->outlen)
		c->too_long = 1;
	else
		memcpy(c->out, v, n + 1);
	return ONE_ROW;
}

int vq_store_reader_setting(vq_store_reader *r, const char *key, char *out, size_t outlen)
{
	if (!r || !key || !out || outlen == 0)
		return VQ_EINVAL;
	struct one_ctx c = {.out = out, .outlen = outlen};
	param p[] = {P_TEXT(key)};
	int rc =
	    query(r, "setting", "SELECT value FROM settings WHERE key = ?1", p, 1, setting_row, &c);
	if (rc != VQ_OK && rc != ONE_ROW)
		return rc;
	return !c.found ? VQ_ENOTFOUND : c.too_long ? VQ_EINVAL : VQ_OK;
}

struct state_ctx {
	int found;
	vq_attr_state *out;
};

static int state_row(const row *w, void *ctx)
{
	struct state_ctx *c = ctx;
	c->found = 1;
	c->out->status = (int)col_i64(w, 0);
	c->out->closed_at = col_i64(w, 1);
	c->out->reopened_at = col_i64(w, 2);
	c->out->throughput_per_hour = (int)col_i64(w, 3);
	c->out->fast_share_pct = (int)col_i64(w, 4);
	c->out->overbook_pct = (int)col_i64(w, 5);
	c->out->next_number = (unsigned)col_i64(w, 6);
	return ONE_ROW;
}

int vq_store_reader_attr_state(vq_store_reader *r, const char *attr, int64_t day_start,
                               vq_attr_state *out)
{
	if (!r || !attr || !out)
		return VQ_EINVAL;
	struct state_ctx c = {.out = out};
	param p[] = {P_TEXT(attr), P_INT(day_start)};
	int rc = query(r, "attraction state",
	               "SELECT status, closed_at, reopened_at, throughput, share, overbook,"
	               " next_number FROM attr_state WHERE attr = ?1 AND day_start = ?2",
	               p, 2, state_row, &c);
	if (rc != VQ_OK && rc != ONE_ROW)
		return rc;
	return c.found ? VQ_OK : VQ_ENOTFOUND;
}

struct slot_ctx {
	vq_store_slot_fn fn;
	void *arg;
};

static int slot_row(const row *w, void *ctx)
{
	struct slot_ctx *c = ctx;
	return c->fn(c->arg, (int)col_i64(w, 0), col_i64(w, 1), (int)col_i64(w, 2),
	             (int)col_i64(w, 3));
}

int vq_store_reader_slots(vq_store_reader *r, const char *attr, int64_t day_start,
                          vq_store_slot_fn fn, void *arg)
{
	if (!r || !attr || !fn)
		return VQ_EINVAL;
	struct slot_ctx c = {fn, arg};
	param p[] = {P_TEXT(attr), P_INT(day_start)};
	return query(r, "slots",
	             "SELECT slot, start, cap, taken FROM slots"
	             " WHERE attr = ?1 AND day_start = ?2 ORDER BY slot",
	             p, 2, slot_row, &c);
}

struct group_ctx {
	vq_ticket_group_fn fn;
	void *arg;
};

static int group_row(const row *w, void *ctx)
{
	struct group_ctx *c = ctx;
	vq_ticket_group g = {
	    .slot_start = col_i64(w, 0),
	    .tier = (int)col_i64(w, 1),
	    .state = (int)col_i64(w, 2),
	    .until = col_i64(w, 3),
	    .valid_from = col_i64(w, 4),
	    .gate = col_text(w, 5),
	    .offline = (int)col_i64(w, 6),
	    .tickets = col_i64(w, 7),
	    .guests = col_i64(w, 8),
	};
	return c->fn(c->arg, &g);
}

int vq_store_reader_ticket_groups(vq_store_reader *r, const char *attr, int64_t from, int64_t until,
                                  vq_ticket_group_fn fn, void *arg)
{
	if (!r || !attr || !fn)
		return VQ_EINVAL;
	/* the (attr, slot_start) index finds the day; the grouping is one pass over it. Only
	 * fast-lane tickets: accessibility passes hold no seats, so they are not set against
	 * capacity (tickets.csv lists them, kind "access"). */
	struct group_ctx c = {fn, arg};
	param p[] = {P_TEXT(attr), P_INT(from), P_INT(until)};
	return query(r, "tickets",
	             "SELECT slot_start, tier, state,"
	             " CASE state WHEN 3 THEN valid_until ELSE win_end END,"
	             " valid_from, used_gate, used_offline, count(*), sum(party)"
	             " FROM tickets WHERE attr = ?1 AND slot_start >= ?2 AND slot_start < ?3"
	             " AND kind = 0 GROUP BY 1, 2, 3, 4, 5, 6, 7",
	             p, 3, group_row, &c);
}

struct audit_ctx {
	vq_audit_fn fn;
	void *arg;
};

static int audit_row(const row *w, void *ctx)
{
	struct audit_ctx *c = ctx;
	vq_audit_entry e = {
	    .id = col_i64(w, 0),
	    .at = col_i64(w, 1),
	    .actor = col_text(w, 2),
	    .action = col_text(w, 3),
	    .detail = col_null(w, 4) ? NULL : col_text(w, 4),
	};
	return c->fn(c->arg, &e);
}

int vq_store_reader_audit(vq_store_reader *r, int64_t from, int64_t until, vq_audit_fn fn,
                          void *arg)
{
	if (!r || !fn)
		return VQ_EINVAL;
	struct audit_ctx c = {fn, arg};
	param p[] = {P_INT(from), P_INT(until)};
	return query(r, "audit",
	             "SELECT id, at, actor, action, detail FROM audit"
	             " WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
	             p, 2, audit_row, &c);
}

#define MAX_COLS 24

struct row_ctx {
	vq_store_row_fn fn;
	void *arg;
};

static int plain_row(const row *w, void *ctx)
{
	struct row_ctx *c = ctx;
	const char *names[MAX_COLS], *values[MAX_COLS];
	int n = ncols(w);
	if (n > MAX_COLS)
		n = MAX_COLS;
	for (int i = 0; i < n; i++) {
		names[i] = col_name(w, i);
		values[i] = col_text(w, i);
	}
	return c->fn(c->arg, n, names, values);
}

static int rows(vq_store_reader *r, const char *sql, const char *attr, int64_t from, int64_t until,
                vq_store_row_fn fn, void *arg)
{
	struct row_ctx c = {fn, arg};
	param p[] = {P_INT(from), P_INT(until), P_TEXT(attr)};
	return query(r, "export", sql, p, attr ? 3 : 2, plain_row, &c);
}

int vq_store_reader_tickets(vq_store_reader *r, const char *attr, int64_t from, int64_t until,
                            vq_store_row_fn fn, void *arg)
{
	if (!r || !attr || !fn)
		return VQ_EINVAL;
	return rows(r,
	            "SELECT id, attr AS attraction, number, tier, party, slot_start, win_start,"
	            " win_end, CASE state WHEN 0 THEN 'issued' WHEN 1 THEN 'redeemed'"
	            " WHEN 2 THEN 'cancelled' ELSE 'anytime' END AS state, issued_at, valid_from,"
	            " valid_until, used_at, used_gate, used_offline,"
	            " CASE kind WHEN 1 THEN 'access' ELSE 'fast' END AS kind, issued_by"
	            " FROM tickets WHERE attr = ?3 AND slot_start >= ?1 AND slot_start < ?2"
	            " ORDER BY id",
	            attr, from, until, fn, arg);
}

int vq_store_reader_admissions(vq_store_reader *r, int64_t from, int64_t until, vq_store_row_fn fn,
                               void *arg)
{
	if (!r || !fn)
		return VQ_EINVAL;
	return rows(r,
	            "SELECT r.id, r.ticket, t.attr AS attraction, t.tier, t.party, r.gate, r.at,"
	            " r.offline FROM redemptions r JOIN tickets t ON t.id = r.ticket"
	            " WHERE r.at >= ?1 AND r.at < ?2 ORDER BY r.id",
	            NULL, from, until, fn, arg);
}
