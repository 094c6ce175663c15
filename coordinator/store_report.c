/* coordinator/store_report.c — the report's read-only queries (contract: store_report.h).
 *
 * Owns a second, read-only kind of connection to the store's database and the SELECTs the
 * report needs; the schema is store.c's (migration 1) and is only read here. Invariants:
 *   - the connection is opened SQLITE_OPEN_READONLY, so no code path here can write;
 *   - a database of another application, or of a schema other than the one this code was
 *     written against, is refused at open;
 *   - each query runs to its end (or the caller's stop) and is finalized before returning,
 *     so no read transaction is held between calls.
 */
#include "coordinator/store_report.h"

#include "coordinator/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPLICATION_ID  0x76710001 /* store.c's: "vq", format 1 */
#define BUSY_TIMEOUT_MS 5000

struct vq_store_reader {
	sqlite3 *db;
	char errmsg[256];
};

static int fail(vq_store_reader *r, const char *what)
{
	snprintf(r->errmsg, sizeof r->errmsg, "%s: %s", what, sqlite3_errmsg(r->db));
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

int vq_store_reader_open(const char *path, vq_store_reader **out, char *err, size_t errlen)
{
	if (!path || !*path || !out || !err || errlen == 0)
		return VQ_EINVAL;
	*out = NULL;
	vq_store_reader *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return VQ_ENOMEM;
	}
	int app = 0, version = 0;
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		         r->db ? sqlite3_errmsg(r->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
	if (pragma_int(r->db, "PRAGMA application_id", &app) != SQLITE_OK ||
	    pragma_int(r->db, "PRAGMA user_version", &version) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(r->db));
		goto fail;
	}
	if (app != APPLICATION_ID || version != VQ_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen,
		         "%s: not a vq database of schema %d (application 0x%08x, schema %d)", path,
		         VQ_STORE_SCHEMA_VERSION, (unsigned)app, version);
		goto fail;
	}
	*out = r;
	return VQ_OK;
fail:
	vq_store_reader_close(r);
	return VQ_ESTORE;
}

void vq_store_reader_close(vq_store_reader *r)
{
	if (!r)
		return;
	sqlite3_close_v2(r->db);
	free(r);
}

const char *vq_store_reader_errmsg(const vq_store_reader *r)
{
	return r ? r->errmsg : "no database";
}

static int prepare(vq_store_reader *r, const char *sql, sqlite3_stmt **s)
{
	return sqlite3_prepare_v2(r->db, sql, -1, s, NULL) == SQLITE_OK ? VQ_OK
	                                                                : fail(r, "prepare");
}

static const char *text(sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	return t ? t : "";
}

int vq_store_reader_setting(vq_store_reader *r, const char *key, char *out, size_t outlen)
{
	if (!r || !key || !out || outlen == 0)
		return VQ_EINVAL;
	sqlite3_stmt *s = NULL;
	int rc = prepare(r, "SELECT value FROM settings WHERE key = ?1", &s);
	if (rc != VQ_OK)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW: {
		const char *v = text(s, 0);
		size_t n = strlen(v);
		if (n >= outlen) {
			rc = VQ_EINVAL;
			break;
		}
		memcpy(out, v, n + 1);
		break;
	}
	case SQLITE_DONE:
		rc = VQ_ENOTFOUND;
		break;
	default:
		rc = fail(r, "setting");
	}
	sqlite3_finalize(s);
	return rc;
}

int vq_store_reader_attr_state(vq_store_reader *r, const char *attr, int64_t day_start,
                               vq_attr_state *out)
{
	if (!r || !attr || !out)
		return VQ_EINVAL;
	sqlite3_stmt *s = NULL;
	int rc = prepare(r,
	                 "SELECT status, closed_at, reopened_at, throughput, share, overbook,"
	                 " next_number FROM attr_state WHERE attr = ?1 AND day_start = ?2",
	                 &s);
	if (rc != VQ_OK)
		return rc;
	sqlite3_bind_text(s, 1, attr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, day_start);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		out->status = sqlite3_column_int(s, 0);
		out->closed_at = sqlite3_column_int64(s, 1);
		out->reopened_at = sqlite3_column_int64(s, 2);
		out->throughput_per_hour = sqlite3_column_int(s, 3);
		out->fast_share_pct = sqlite3_column_int(s, 4);
		out->overbook_pct = sqlite3_column_int(s, 5);
		out->next_number = (unsigned)sqlite3_column_int(s, 6);
		break;
	case SQLITE_DONE:
		rc = VQ_ENOTFOUND;
		break;
	default:
		rc = fail(r, "attraction state");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Steps s to its end, handing each row to each(); finalizes s. */
static int walk(vq_store_reader *r, sqlite3_stmt *s, const char *what,
                int (*each)(sqlite3_stmt *s, void *ctx), void *ctx)
{
	int rc = VQ_OK, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = each(s, ctx)) != 0)
			break;
	if (rc == VQ_OK && step != SQLITE_DONE)
		rc = fail(r, what);
	sqlite3_finalize(s);
	return rc;
}

struct slot_ctx {
	vq_store_slot_fn fn;
	void *arg;
};

static int slot_row(sqlite3_stmt *s, void *ctx)
{
	struct slot_ctx *c = ctx;
	return c->fn(c->arg, sqlite3_column_int(s, 0), sqlite3_column_int64(s, 1),
	             sqlite3_column_int(s, 2), sqlite3_column_int(s, 3));
}

int vq_store_reader_slots(vq_store_reader *r, const char *attr, int64_t day_start,
                          vq_store_slot_fn fn, void *arg)
{
	if (!r || !attr || !fn)
		return VQ_EINVAL;
	sqlite3_stmt *s = NULL;
	int rc = prepare(r,
	                 "SELECT slot, start, cap, taken FROM slots"
	                 " WHERE attr = ?1 AND day_start = ?2 ORDER BY slot",
	                 &s);
	if (rc != VQ_OK)
		return rc;
	sqlite3_bind_text(s, 1, attr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, day_start);
	struct slot_ctx c = {fn, arg};
	return walk(r, s, "slots", slot_row, &c);
}

struct group_ctx {
	vq_ticket_group_fn fn;
	void *arg;
};

static int group_row(sqlite3_stmt *s, void *ctx)
{
	struct group_ctx *c = ctx;
	vq_ticket_group g = {
	    .slot_start = sqlite3_column_int64(s, 0),
	    .tier = sqlite3_column_int(s, 1),
	    .state = sqlite3_column_int(s, 2),
	    .until = sqlite3_column_int64(s, 3),
	    .valid_from = sqlite3_column_int64(s, 4),
	    .gate = text(s, 5),
	    .offline = sqlite3_column_int(s, 6),
	    .tickets = sqlite3_column_int64(s, 7),
	    .guests = sqlite3_column_int64(s, 8),
	};
	return c->fn(c->arg, &g);
}

int vq_store_reader_ticket_groups(vq_store_reader *r, const char *attr, int64_t from, int64_t until,
                                  vq_ticket_group_fn fn, void *arg)
{
	if (!r || !attr || !fn)
		return VQ_EINVAL;
	sqlite3_stmt *s = NULL;
	/* the (attr, slot_start) index finds the day; the grouping is one pass over it. Only
	 * fast-lane tickets: accessibility passes hold no seats, so they are not set against
	 * capacity (tickets.csv lists them, kind "access"). */
	int rc = prepare(r,
	                 "SELECT slot_start, tier, state,"
	                 " CASE state WHEN 3 THEN valid_until ELSE win_end END,"
	                 " valid_from, used_gate, used_offline, count(*), sum(party)"
	                 " FROM tickets WHERE attr = ?1 AND slot_start >= ?2 AND slot_start < ?3"
	                 " AND kind = 0 GROUP BY 1, 2, 3, 4, 5, 6, 7",
	                 &s);
	if (rc != VQ_OK)
		return rc;
	sqlite3_bind_text(s, 1, attr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, until);
	struct group_ctx c = {fn, arg};
	return walk(r, s, "tickets", group_row, &c);
}

struct audit_ctx {
	vq_audit_fn fn;
	void *arg;
};

static int audit_row(sqlite3_stmt *s, void *ctx)
{
	struct audit_ctx *c = ctx;
	vq_audit_entry e = {
	    .id = sqlite3_column_int64(s, 0),
	    .at = sqlite3_column_int64(s, 1),
	    .actor = text(s, 2),
	    .action = text(s, 3),
	    .detail = (const char *)sqlite3_column_text(s, 4),
	};
	return c->fn(c->arg, &e);
}

int vq_store_reader_audit(vq_store_reader *r, int64_t from, int64_t until, vq_audit_fn fn,
                          void *arg)
{
	if (!r || !fn)
		return VQ_EINVAL;
	sqlite3_stmt *s = NULL;
	int rc = prepare(r,
	                 "SELECT id, at, actor, action, detail FROM audit"
	                 " WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
	                 &s);
	if (rc != VQ_OK)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, until);
	struct audit_ctx c = {fn, arg};
	return walk(r, s, "audit", audit_row, &c);
}

#define MAX_COLS 24

struct row_ctx {
	vq_store_row_fn fn;
	void *arg;
};

static int plain_row(sqlite3_stmt *s, void *ctx)
{
	struct row_ctx *c = ctx;
	const char *names[MAX_COLS], *values[MAX_COLS];
	int n = sqlite3_column_count(s);
	if (n > MAX_COLS)
		n = MAX_COLS;
	for (int i = 0; i < n; i++) {
		names[i] = sqlite3_column_name(s, i);
		values[i] = text(s, i);
	}
	return c->fn(c->arg, n, names, values);
}

static int rows(vq_store_reader *r, const char *sql, const char *attr, int64_t from, int64_t until,
                vq_store_row_fn fn, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc = prepare(r, sql, &s);
	if (rc != VQ_OK)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, until);
	if (attr)
		sqlite3_bind_text(s, 3, attr, -1, SQLITE_STATIC);
	struct row_ctx c = {fn, arg};
	return walk(r, s, "export", plain_row, &c);
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
