/* coordinator/store.h — the durable truth, behind one interface for two databases.
 *
 * Owns the schema (versioned; migrations run at open) and every SQL statement vq runs:
 * tickets, slot capacities and counts, attraction states, members (card number + tier,
 * no names), request ids for idempotency, redemptions, the operators' audit log, the
 * public half of the signing keys (the secret half lives in vqd's key file, never here)
 * and small settings; deleted content is overwritten with zeros (SQLite: secure_delete).
 * Every write happens inside a batch, vq_store_begin .. vq_store_commit, so many requests
 * share one transaction (group commit): a write outside one fails (VQ_EINVAL) instead of
 * committing by itself. Nothing a caller acknowledges may come before vq_store_commit
 * returned VQ_OK. Once a batch is dead (a write of it failed, the database rolled it back
 * by itself, its connection was lost, or the caller said so with vq_store_poison), every
 * later write of it fails with VQ_ESTORE and so does its commit: a batch is durable whole
 * or not at all. One vq_store is used by one thread.
 *
 * Two backends (store_backend.h), chosen by where the store is:
 *   - a file path: SQLite in WAL mode with synchronous=FULL (store.c), one site a file;
 *   - a URI postgresql://... or postgres://...: PostgreSQL through libpq (store_pg.c), with
 *     libpq's own URI syntax (several hosts and target_session_attrs=read-write find the
 *     primary of a formation). A database holds many sites, each in a schema of its own.
 *     A lost connection is made again at the next call outside a batch; a batch that
 *     loses its connection is dead. Durable means committed as the server is configured
 *     (with synchronous replication: on the standby too); a commit the server cut short
 *     (its session ended, or its wait for the standby cancelled) fails, although the server
 *     may have kept it: the caller acknowledges nothing of it and reads back what is there.
 * Both backends keep the same contract, function for function; tests/test_store.c runs
 * against both.
 */
#ifndef VQ_STORE_H
#define VQ_STORE_H

#include "core/book.h"
#include "core/code.h"

typedef struct vq_store vq_store;

#define VQ_STORE_SCHEMA_VERSION 3

/* Opens or creates the store of site at where (a path or a PostgreSQL URI, above) and
 * migrates it to VQ_STORE_SCHEMA_VERSION. site is the site's id: a PostgreSQL store needs
 * it (the site's schema), a SQLite file holds one site and may be given NULL. chain, if not
 * NULL, is the id of the chain whose one member list the site shares with the chain's
 * other sites in the same PostgreSQL database (put_member, get_member and member_count
 * then act on the chain's list); SQLite ignores it (a file's members are its own).
 * VQ_EINVAL for a bad argument, VQ_ESTORE with a message in err if it cannot open
 * (unreachable, unreadable, newer schema, not vq's). */
int vq_store_open(const char *where, const char *site, const char *chain, vq_store **out, char *err,
                  size_t errlen);
void vq_store_close(vq_store *st); /* NULL is fine; rolls back an open transaction */
int vq_store_schema_version(vq_store *st, int *out);
const char *vq_store_errmsg(const vq_store *st); /* the database's last message */
/* "sqlite" or "postgresql". */
const char *vq_store_backend(const vq_store *st);
/* True if where names a PostgreSQL database (a postgresql:// or postgres:// URI). */
int vq_store_is_uri(const char *where);
/* where as it may be logged: a URI's password (user:PASSWORD@ or password=...) becomes
 * "***". Always NUL-terminates out (cut if too small). */
void vq_store_describe(const char *where, char *out, size_t outlen);

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

/* Everything a batch changed, written at once (inside a batch): tickets, then slot
 * capacities and counts, then attraction states, all of the day day_start. The same rules
 * as the single puts, row for row: VQ_ESTATE if a stored ticket is further along than the
 * one given. On any failure the batch is dead. PostgreSQL writes them in one round trip. */
typedef struct vq_store_slot {
	const char *attr;
	int slot;
	vq_slot_view view;
} vq_store_slot;
typedef struct vq_store_attr {
	const char *attr;
	vq_attr_state state;
} vq_store_attr;
typedef struct vq_store_rows {
	int64_t day_start;
	const vq_ticket *const *tickets;
	size_t ntickets;
	const vq_store_slot *slots;
	size_t nslots;
	const vq_store_attr *attrs;
	size_t nattrs;
} vq_store_rows;
int vq_store_put_rows(vq_store *st, const vq_store_rows *rows);

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
/* 1 if put_request would take these arguments (it may still find rid stored). */
int vq_store_request_valid(const char *rid, const char *kind, const uint8_t *digest,
                           const char *reply, size_t len);
/* Many replies at once, inside a batch, as n put_request: VQ_EEXISTS if a rid is stored
 * already (or given twice), and then the batch is dead. */
typedef struct vq_store_reply {
	const char *rid, *kind;
	const uint8_t *digest; /* VQ_STORE_DIGEST_LEN bytes */
	const char *reply;
	size_t len;
	int64_t at;
} vq_store_reply;
int vq_store_put_requests(vq_store *st, const vq_store_reply *r, size_t n);
/* The end of a batch in one call: rows (NULL: none) written as vq_store_put_rows would,
 * the n replies as vq_store_put_requests would, then vq_store_commit — on PostgreSQL in
 * one round trip (the writes check themselves on the server, so the COMMIT queued behind a
 * refused one never runs). VQ_OK only if all of it was written and committed; otherwise
 * nothing of the batch was, and the batch has ended (VQ_ESTORE). VQ_EINVAL outside a
 * batch, or for rows or replies the single calls would refuse (the batch stays open). */
int vq_store_commit_rows(vq_store *st, const vq_store_rows *rows, const vq_store_reply *r,
                         size_t n);
/* Looks n request ids up at once: fn(arg, i, reply, len, kind, digest) for each rids[i]
 * stored (reply is len bytes plus a NUL; digest is NULL for a reply kept before digests
 * were; all valid during the call only). The caller compares kind and digest as
 * get_request does. A non-zero return of fn stops the walk and is returned. PostgreSQL
 * asks once for them all. */
typedef int (*vq_store_reply_fn)(void *arg, size_t i, const char *reply, size_t len,
                                 const char *kind, const uint8_t *digest);
int vq_store_get_requests(vq_store *st, const char *const *rids, size_t n, vq_store_reply_fn fn,
                          void *arg);
/* Forgets the replies remembered before `before` (a retry never comes days later), inside
 * a batch; the number removed goes to *removed (may be NULL). */
int vq_store_prune_requests(vq_store *st, int64_t before, int64_t *removed);

/* Marks ticket id redeemed if, and only if, it is issued or anytime now, and records the
 * redemption, inside a batch; atomic even against another process on the same database
 * (SQLite: the batch holds the write lock from its begin; PostgreSQL: the row's lock). VQ_EUSED if
 * it was redeemed already, VQ_ENOTICKET if unknown, VQ_ESTATE if cancelled. */
int vq_store_redeem(vq_store *st, uint64_t id, const char *gate, int64_t at, int offline);

/* Reads. */
int vq_store_get_ticket(vq_store *st, uint64_t id, vq_ticket *out); /* VQ_ENOTICKET */
int vq_store_next_ticket_id(vq_store *st, uint64_t *out);           /* max id + 1, or 1 */
/* Rebuilds a fresh book (vq_book_new with the same day_start) from what is stored for its
 * day: attraction states, slot capacities, then tickets. VQ_ESTORE if a stored slot count
 * disagrees with the tickets (corruption), with the book left as it was rebuilt. */
int vq_store_load_day(vq_store *st, vq_book *book);

/* Members: a card number (1..VQ_STORE_CARD_MAX printable ASCII) and a tier id. */
#define VQ_STORE_CARD_MAX 32
int vq_store_put_member(vq_store *st, const char *card, const char *tier);
int vq_store_get_member(vq_store *st, const char *card, char tier[VQ_ID_MAX]); /* ENOTFOUND */
/* Inside a batch, once, at its start: looks the cards up at once, so that
 * vq_store_get_member answers them for the rest of the batch without a round trip each
 * (a database across a network; SQLite reads its file when asked and does nothing here).
 * What the batch writes with vq_store_put_member is seen as usual. VQ_EINVAL outside a
 * batch or for a card that is not one. */
int vq_store_prefetch_members(vq_store *st, const char *const *cards, size_t n);
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
 * more; call it outside a transaction, before another connection reads the database.
 * (A PostgreSQL store never held a secret: its first schema already left them out, so it
 * has none to give and nothing to forget.) */
int vq_store_legacy_secrets(vq_store *st, uint8_t kid[256], uint8_t (*sk)[64], int *n);
int vq_store_forget_legacy_secrets(vq_store *st);

/* Small settings (site-wide values the operator set at run time). */
int vq_store_set_setting(vq_store *st, const char *key, const char *value);
int vq_store_get_setting(vq_store *st, const char *key, char *out, size_t outlen);

/* Who serves the site. Several vqd may share a site's store, one serving and the others
 * standing by; the one whose store holds the site's claim serves.
 * PostgreSQL: a session advisory lock on the site (pg_try_advisory_lock on a 64-bit hash
 * of "vq site <site>"), held by the store's own session, the one every batch runs in, so
 * a batch commits only while its claim is held. Claiming also sets that session to end
 * itself after lease_ms without a statement (idle_session_timeout and
 * idle_in_transaction_session_timeout): a holder that stops (SIGSTOP, a machine that
 * hangs) or is cut off from the database loses the claim lease_ms after its last
 * statement at most, and another may then take it. The claim goes with the session: a
 * store that had to connect again does not hold it until it claims again. Each claim
 * taken counts a term (stored, 1, 2, ...), so whoever serves after whom is on record.
 * Once a store has claimed, vq_store_begin refuses (VQ_ESTORE) while it does not hold the
 * claim: a batch commits only in the session that holds it, so a vqd that lost its
 * session never writes beside the one that took over.
 * SQLite: one process serves a file; the claim is always held, in term 1.
 *
 * vq_store_claim, outside a batch: takes the claim if it is free, or proves it if held
 * (a round trip); *held says whether this store holds it now, *term (may be NULL) the
 * term it serves in. VQ_ESTORE (and *held 0) if the database cannot be reached. */
int vq_store_claim(vq_store *st, int lease_ms, int *held, int64_t *term);
/* While the claim is held: the monotonic time (CLOCK_MONOTONIC, in ms) at which the last
 * statement that succeeded in the claiming session was sent. The claim was held then,
 * and nobody else can hold it before that time plus lease_ms. 0 when not held. */
double vq_store_claim_proof(const vq_store *st);
/* Lets the claim go, outside a batch, so another may take it at once (a vqd that cannot
 * serve: it lost every broker). VQ_OK when this store no longer holds it (also when the
 * session was already gone); VQ_EINVAL on SQLite, whose one process cannot give it up. */
int vq_store_release_claim(vq_store *st);
/* True when other processes may hold the claim (PostgreSQL); false for SQLite, where the
 * one process on a file always holds it. */
int vq_store_claim_shared(const vq_store *st);

/* Fault injection for tests (SQLite): the n-th next write or sync the store's database
 * file(s) do (1 = the very next), and every one after it, fails with an I/O error; 0 turns
 * it off. Works through a SQLite VFS shim that the store always opens its database with.
 * (PostgreSQL's faults are real ones: tests end the server's session or kill the server.) */
void vq_store_fail_io_after(unsigned long n);

#endif
