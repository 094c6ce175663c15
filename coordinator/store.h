/* coordinator/store.h — the durable truth: SQLite in WAL mode with synchronous=FULL.
 *
 * Owns the schema (versioned; migrations run at open) and every SQL statement vq runs:
 * tickets, slot capacities and counts, attraction states, members (card number + tier,
 * no names), request ids for idempotency, redemptions, the operators' audit log, the
 * public half of the signing keys (the secret half lives in vqd's key file, never here)
 * and small settings; deleted content is overwritten with zeros (secure_delete). Every
 * write happens inside a batch, vq_store_begin .. vq_store_commit, so many requests share
 * one transaction (group commit): a write outside one fails (VQ_EINVAL) instead of
 * committing by itself. Nothing a caller acknowledges may come before vq_store_commit
 * returned VQ_OK. Once a batch is dead (a write of it failed, SQLite rolled it back after
 * an I/O error, or the caller said so with vq_store_poison), every later write of it fails
 * with VQ_ESTORE and so does its commit: a batch is durable whole or not at all. One
 * vq_store is used by one thread.
 */
#ifndef VQ_STORE_H
#define VQ_STORE_H

#include "core/book.h"
#include "core/code.h"

typedef struct vq_store vq_store;

#define VQ_STORE_SCHEMA_VERSION 3

/* Opens or creates the database at path and migrates it to VQ_STORE_SCHEMA_VERSION.
 * VQ_ESTORE with a message in err if it cannot (unreadable, newer schema, not a db). */
int vq_store_open(const char *path, vq_store **out, char *err, size_t errlen);
void vq_store_close(vq_store *st); /* NULL is fine; rolls back an open transaction */
int vq_store_schema_version(vq_store *st, int *out);
const char *vq_store_errmsg(const vq_store *st); /* SQLite's last message */

int vq_store_begin(vq_store *st);
int vq_store_commit(vq_store *st); /* VQ_ESTORE: rolled back, nothing of it is durable */
int vq_store_rollback(vq_store *st);
/* Declares the open batch dead (the caller found the disk disagreeing with what it
 * believed); why goes to vq_store_errmsg. Every later write fails, and so does the commit.
 * VQ_EINVAL without an open batch. */
int vq_store_poison(vq_store *st, const char *why);
/* 1 while a batch is open and alive: its writes can still be committed. */
int vq_store_batch_ok(const vq_store *st);

/* Writes (inside a batch). Rows are keyed so writing the same thing twice is fine. */
int vq_store_put_ticket(vq_store *st, const vq_ticket *t);
int vq_store_put_slot(vq_store *st, const char *attr, int64_t day_start, int slot,
                      const vq_slot_view *s);
int vq_store_put_attr_state(vq_store *st, const char *attr, int64_t day_start,
                            const vq_attr_state *a);

/* Idempotency: the first reply to request key rid (1..VQ_STORE_RID_MAX printable bytes) is
 * kept with the request's kind (its verb) and a digest of what it asked; a later request
 * with the same key and the same kind and digest gets it back. VQ_EEXISTS if rid is already
 * there. Callers scope a client's request id by the client ("kiosk-1/abc"), so one
 * client can neither see nor block another's replies. */
#define VQ_STORE_RID_MAX    160
#define VQ_STORE_DIGEST_LEN 32
int vq_store_put_request(vq_store *st, const char *rid, const char *kind,
                         const uint8_t digest[VQ_STORE_DIGEST_LEN], const char *reply, size_t len,
                         int64_t at);
/* VQ_ENOTFOUND if rid is unknown; VQ_ERIDREUSED if it was kept for another kind or digest
 * (a reply kept before digests existed is bound to its kind alone); else *reply is a
 * malloc'd NUL-terminated copy (free()). */
int vq_store_get_request(vq_store *st, const char *rid, const char *kind,
                         const uint8_t digest[VQ_STORE_DIGEST_LEN], char **reply, size_t *len);
/* Forgets the replies remembered before `before` (a retry never comes days later), inside
 * a batch; the number removed goes to *removed (may be NULL). */
int vq_store_prune_requests(vq_store *st, int64_t before, int64_t *removed);

/* Marks ticket id redeemed if, and only if, it is issued or anytime now, and records the
 * redemption, inside a batch; atomic even against another process on the same database
 * (the batch holds the write lock from its begin). VQ_EUSED if it
 * was redeemed already, VQ_ENOTICKET if unknown, VQ_ESTATE if cancelled. */
int vq_store_redeem(vq_store *st, uint64_t id, const char *gate, int64_t at, int offline);

/* Reads. */
int vq_store_get_ticket(vq_store *st, uint64_t id, vq_ticket *out); /* VQ_ENOTICKET */
int vq_store_next_ticket_id(vq_store *st, uint64_t *out);           /* max id + 1, or 1 */
/* Rebuilds a fresh book (vq_book_new with the same day_start) from what is stored for its
 * day: attraction states, slot capacities, then tickets. VQ_ESTORE if a stored slot count
 * disagrees with the tickets (corruption), with the book left as it was rebuilt. */
int vq_store_load_day(vq_store *st, vq_book *book);

/* Members: a card number (1..32 printable ASCII) and a tier id. */
int vq_store_put_member(vq_store *st, const char *card, const char *tier);
int vq_store_get_member(vq_store *st, const char *card, char tier[VQ_ID_MAX]); /* ENOTFOUND */
int vq_store_member_count(vq_store *st, int64_t *out);

/* Operators' audit log: who did what, when; detail is JSON text. */
int vq_store_audit(vq_store *st, int64_t at, const char *actor, const char *action,
                   const char *detail);
int vq_store_audit_count(vq_store *st, int64_t *out);
/* One entry of the audit log; strings are valid during the callback only. */
typedef struct vq_audit_entry {
	int64_t id, at;
	const char *actor, *action;
	const char *detail; /* JSON text, or NULL */
} vq_audit_entry;
typedef int (*vq_audit_fn)(void *arg, const vq_audit_entry *e);
/* The newest entries, newest first (by id): at most limit (1..VQ_STORE_AUDIT_MAX) of those
 * made at or after since, and of action alone unless action is NULL. A callback that
 * returns non-zero stops the walk and is returned. A read: fine inside or outside a batch. */
#define VQ_STORE_AUDIT_MAX 100
int vq_store_audit_recent(vq_store *st, int64_t since, const char *action, int limit,
                          vq_audit_fn fn, void *arg);

/* Signing keys, public halves: kid 0..255. The active key signs new tickets; every key of
 * the ring (not retired) verifies. A key's history says which tickets may carry it: it
 * signed from created until deactivated (0 while active). */
typedef struct vq_store_key {
	uint8_t kid;
	uint8_t pk[32];
	int active;
	int64_t created, deactivated, retired; /* retired: 0 while in the ring */
} vq_store_key;
/* Adds (or, for the kid of a retired key, replaces) a key inside a batch; an active one
 * takes over from the active one, which stops signing at `created`. */
int vq_store_put_key(vq_store *st, uint8_t kid, const uint8_t pk[32], int active, int64_t created);
int vq_store_get_active_key(vq_store *st, uint8_t *kid, uint8_t pk[32]); /* VQ_ENOTFOUND */
int vq_store_get_key(vq_store *st, uint8_t kid, vq_store_key *out);      /* VQ_ENOTFOUND */
/* The ring: keys not retired, newest first, at most VQ_KEYRING_MAX. */
int vq_store_get_keyring(vq_store *st, vq_keyring *ring);
/* Takes key kid out of the ring at `at`. VQ_ESTATE for the active key, VQ_ENOTFOUND for a
 * key that is not in the ring. */
int vq_store_retire_key(vq_store *st, uint8_t kid, int64_t at);
/* Tickets of the two days before day_start (older ones admit nobody) issued at or before
 * issued_until that may still admit at now: unused, and their window plus the most grace
 * any ticket gets has not ended. For what a key retirement would invalidate. */
int vq_store_count_open_tickets(vq_store *st, int64_t day_start, int64_t issued_until, int64_t now,
                                int64_t *out);
/* Secret keys a database of schema 1 held, left by the migration for vqd to move to its key
 * file: up to 256, in kid order. Then vq_store_forget_legacy_secrets deletes them and
 * checkpoints the WAL away, so neither the database nor its WAL holds their bytes any
 * more; call it outside a transaction, before another connection reads the database. */
int vq_store_legacy_secrets(vq_store *st, uint8_t kid[256], uint8_t (*sk)[64], int *n);
int vq_store_forget_legacy_secrets(vq_store *st);

/* Small settings (site-wide values the operator set at run time). */
int vq_store_set_setting(vq_store *st, const char *key, const char *value);
int vq_store_get_setting(vq_store *st, const char *key, char *out, size_t outlen);

/* Fault injection for tests: the n-th next write or sync the store's database file(s) do
 * (1 = the very next), and every one after it, fails with an I/O error; 0 turns it off.
 * Works through a SQLite VFS shim that the store always opens its database with. */
void vq_store_fail_io_after(unsigned long n);

#endif
