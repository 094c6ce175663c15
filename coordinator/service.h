/* coordinator/service.h — the book and the store kept in step: what vqd decides with.
 *
 * A service owns one day's book (core, in memory) and the store (SQLite). Callers open a
 * batch, change the book through its own API (issue, cancel, capacity, closures) or through
 * vq_service_redeem, remember each reply under its request id, and commit: the commit
 * writes exactly the rows the batch changed and makes them durable in one transaction.
 * Nothing may be acknowledged before vq_service_commit returned VQ_OK.
 *
 * A batch is all or nothing. It dies when the disk disagrees with it (a redeem finds the
 * ticket changed by another writer, a write or I/O fails); from then on
 * vq_service_batch_ok is 0, every write of it fails, and the caller must change nothing
 * more (book, store or its own memory) for the rest of the batch. A commit that does not
 * succeed — a dead batch's always — throws the book away and rebuilds it from the store,
 * so memory never runs ahead of the disk. If that rebuild fails there is no book
 * (vq_service_book is NULL) and no batch opens until vq_service_rebuild succeeds.
 */
#ifndef VQ_SERVICE_H
#define VQ_SERVICE_H

#include "coordinator/store.h"

typedef struct vq_service vq_service;

/* Opens the store at db_path and, if day is not NULL, loads that local day (core/day.h).
 * With day NULL the service has no day, and no book, until vq_service_set_day. The
 * site must outlive the service. */
int vq_service_open(const vq_site *site, const char *db_path, const vq_day *day, vq_service **out,
                    char *err, size_t errlen);
void vq_service_free(vq_service *svc); /* NULL is fine; an open batch is rolled back */

vq_book *vq_service_book(vq_service *svc); /* NULL after a failed rebuild */
vq_store *vq_service_store(vq_service *svc);
/* The day's first instant (its key in the store), book or not; 0 before the first day. */
int64_t vq_service_day(const vq_service *svc);

/* Opens a batch. VQ_ESTORE while there is no book. */
int vq_service_begin(vq_service *svc);
/* 1 while a batch is open and alive; 0 once it is dead (or none is open). */
int vq_service_batch_ok(const vq_service *svc);
/* Flushes the batch's changes and commits. VQ_ESTORE: nothing of the batch is durable and
 * the book was rebuilt from the store (any reply prepared in the batch must not be sent);
 * if that rebuild failed too, there is no book. VQ_EINVAL: no batch was open. */
int vq_service_commit(vq_service *svc);
/* Drops the batch: store rolled back, book rebuilt. */
int vq_service_rollback(vq_service *svc);
/* Rebuilds the book from the store between batches (after a rebuild failed: VQ_OK when
 * the store reads again). On failure there is no book. */
int vq_service_rebuild(vq_service *svc);
/* Forgets the replies remembered before `before`, in a batch of its own (between batches). */
int vq_service_prune_requests(vq_service *svc, int64_t before, int64_t *removed);

/* Idempotency: the reply first given to request id rid, bound to the request's kind and
 * digest (vq_store_get_request). recall returns VQ_ENOTFOUND, VQ_ERIDREUSED (the rid was
 * used for another request) or a malloc'd copy, from the open batch's own replies, from
 * those prefetched for it, or from the store. remember keeps a reply within the open batch
 * (VQ_EEXISTS if the batch has one for rid already, VQ_ESTORE once the batch is dead); the
 * batch's replies are written at its commit, with its rows, and are gone with it if it
 * does not commit. prefetch looks the request ids of a whole batch up at once, at its start
 * (a database across a network is then asked once a batch rather than once a request);
 * recall of a prefetched id that is not stored costs nothing. */
int vq_service_recall(vq_service *svc, const char *rid, const char *kind,
                      const uint8_t digest[VQ_STORE_DIGEST_LEN], char **reply, size_t *len);
int vq_service_prefetch(vq_service *svc, const char *const *rids, size_t n);
int vq_service_remember(vq_service *svc, const char *rid, const char *kind,
                        const uint8_t digest[VQ_STORE_DIGEST_LEN], const char *reply, size_t len,
                        int64_t now);

/* Admission within the open batch: the book decides, and the store's conditional update
 * guards against a second process on the same database. A ticket of an earlier day (not
 * in the book) is judged from the store by the same rule, so one still inside its late
 * grace after midnight is admitted once. Same contract as vq_book_redeem, except that if
 * the store disagrees with the book (another writer admitted or changed the ticket, or a
 * write failed) it returns VQ_ESTORE and the batch is dead (see above). VQ_EINVAL, and
 * the batch lives on, for a gate_id longer than the store takes (VQ_ID_MAX - 1 bytes). */
int vq_service_redeem(vq_service *svc, uint64_t id, const char *gate_attr, const char *gate_id,
                      int offline, int64_t now, vq_verdict *v, vq_ticket *out);

/* Staff override within the open batch at a gate of gate_attr: admits an unused ticket of
 * that attraction whatever its window (vq_book_force_redeem: VQ_EWRONGATTR for another
 * attraction's), with the same store guard as vq_service_redeem. */
int vq_service_override(vq_service *svc, uint64_t id, const char *gate_attr, const char *gate_id,
                        int64_t now, vq_ticket *out);

/* Switches to another site config (a reload): rebuilds the day's book under it from the
 * store. On failure (a stored ticket's attraction is gone, say) nothing changes. The new
 * site must outlive the service; the caller frees the old one after VQ_OK. */
int vq_service_set_site(vq_service *svc, const vq_site *site);

/* Moves to another local day (commits nothing; call between batches). On failure the
 * service keeps the day and book it had, and vq_store_errmsg says why the day would not
 * load (corrupt rows, or rows laid out for other opening hours). */
int vq_service_set_day(vq_service *svc, const vq_day *day);
/* The day loaded, or NULL before the first one. */
const vq_day *vq_service_local_day(const vq_service *svc);

#endif
