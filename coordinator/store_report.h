/* coordinator/store_report.h — what the end-of-day report reads from vq's database.
 *
 * Part of the store module (store.h owns the schema and every statement that writes): a
 * read-only connection and the queries of `vqctl report` and its CSV export. It never
 * writes, never migrates and never creates a file: a database that is missing, of another
 * application or of a newer schema is refused. Reading while vqd runs is fine (SQLite's
 * WAL, PostgreSQL's snapshots: a reader sees the last commit and blocks nobody). Each query is one
 * read transaction, so what one call reports is consistent; two calls may see different commits.
 * Days are [from, until) in Unix seconds: tickets belong to the day of their slot, audit
 * entries and admissions to the day they happened.
 */
#ifndef VQ_STORE_REPORT_H
#define VQ_STORE_REPORT_H

#include "coordinator/store.h"
#include "core/book.h"

typedef struct vq_store_reader vq_store_reader;

/* Opens where read-only: a SQLite file, or a PostgreSQL URI (store.h), where site names
 * the site's schema (SQLite ignores it). VQ_ESTORE with a message in err if it cannot. */
int vq_store_reader_open(const char *where, const char *site, vq_store_reader **out, char *err,
                         size_t errlen);
void vq_store_reader_close(vq_store_reader *r); /* NULL is fine */
const char *vq_store_reader_errmsg(const vq_store_reader *r);

/* A setting (store.h's vq_store_set_setting); VQ_ENOTFOUND, VQ_EINVAL if out is too small. */
int vq_store_reader_setting(vq_store_reader *r, const char *key, char *out, size_t outlen);

/* The operator's figures and closure of attr on the day starting at day_start, as vqd
 * stored them; VQ_ENOTFOUND if nothing changed that day (the config's figures hold). */
int vq_store_reader_attr_state(vq_store_reader *r, const char *attr, int64_t day_start,
                               vq_attr_state *out);

/* Every stored slot of attr on that day (only slots that ever changed have a row). */
typedef int (*vq_store_slot_fn)(void *arg, int slot, int64_t start, int cap, int taken);
int vq_store_reader_slots(vq_store_reader *r, const char *attr, int64_t day_start,
                          vq_store_slot_fn fn, void *arg);

/* The day's tickets of attr, counted in groups of equal slot, tier, state, end of window
 * (win_end; valid_until for an anytime ticket), valid_from (non-zero: made anytime by the
 * reopening at that instant), admitting gate and offline flag. Summing groups gives every
 * figure of the report without reading 200,000 rows into C. A callback that returns
 * non-zero stops the walk and is returned. */
typedef struct vq_ticket_group {
	int64_t slot_start;
	int tier;
	int state; /* enum vq_ticket_state */
	int64_t until;
	int64_t valid_from;
	const char *gate; /* "" unless redeemed; valid during the callback only */
	int offline;
	int64_t tickets, guests;
} vq_ticket_group;
typedef int (*vq_ticket_group_fn)(void *arg, const vq_ticket_group *g);
int vq_store_reader_ticket_groups(vq_store_reader *r, const char *attr, int64_t from, int64_t until,
                                  vq_ticket_group_fn fn, void *arg);

/* The audit log of [from, until), oldest first (entries as store.h's vq_audit_entry).
 * Strings are valid during the callback. */
int vq_store_reader_audit(vq_store_reader *r, int64_t from, int64_t until, vq_audit_fn fn,
                          void *arg);

/* Rows for the CSV export: names (the header) and values as text ("" for NULL), ncols
 * of each. tickets: the day's tickets of attr (slot in [from, until)); admissions: every
 * admission recorded in [from, until) with its ticket's attraction, tier and party. */
typedef int (*vq_store_row_fn)(void *arg, int ncols, const char *const *names,
                               const char *const *values);
int vq_store_reader_tickets(vq_store_reader *r, const char *attr, int64_t from, int64_t until,
                            vq_store_row_fn fn, void *arg);
int vq_store_reader_admissions(vq_store_reader *r, int64_t from, int64_t until, vq_store_row_fn fn,
                               void *arg);

#endif
