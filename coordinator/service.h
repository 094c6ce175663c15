/* coordinator/service.h — the book and the store kept in step: what vqd decides with.
 *
 * A service owns one day's book (core, in memory) and the store (SQLite). Callers open a
 * batch, change the book through its own API (issue, cancel, capacity, closures) or through
 * vq_service_redeem, remember each reply under its request id, and commit: the commit
 * writes exactly the rows the batch changed and makes them durable in one transaction.
 * Nothing may be acknowledged before vq_service_commit returned VQ_OK. If the commit
 * fails, the book is rebuilt from the store, so memory never runs ahead of the disk.
 */
#ifndef VQ_SERVICE_H
#define VQ_SERVICE_H

#include "coordinator/store.h"

typedef struct vq_service vq_service;

/* Opens the store at db_path and loads the day whose local midnight is day_start. The
 * site must outlive the service. */
int vq_service_open(const vq_site *site, const char *db_path, int64_t day_start, vq_service **out,
                    char *err, size_t errlen);
void vq_service_free(vq_service *svc); /* NULL is fine; an open batch is rolled back */

vq_book *vq_service_book(vq_service *svc);
vq_store *vq_service_store(vq_service *svc);

int vq_service_begin(vq_service *svc);
/* Flushes the batch's changes and commits. VQ_ESTORE: nothing of the batch is durable and
 * the book was rebuilt from the store (any reply prepared in the batch must not be sent). */
int vq_service_commit(vq_service *svc);
/* Drops the batch: store rolled back, book rebuilt. */
int vq_service_rollback(vq_service *svc);

/* Idempotency: the reply first given to request id rid. recall returns VQ_ENOTFOUND or a
 * malloc'd copy; remember keeps a reply within the open batch. */
int vq_service_recall(vq_service *svc, const char *rid, char **reply, size_t *len);
int vq_service_remember(vq_service *svc, const char *rid, const char *kind, const char *reply,
                        size_t len, int64_t now);

/* Admission within the open batch: the book decides, and the store's conditional update
 * guards against a second process on the same database. Same contract as vq_book_redeem,
 * except that if the store disagrees with the book (VQ_EUSED from another writer, or
 * VQ_ESTORE) the whole batch is rolled back and the book rebuilt: the caller must treat
 * every reply of the batch as failed. */
int vq_service_redeem(vq_service *svc, uint64_t id, const char *gate_attr, const char *gate_id,
                      int offline, int64_t now, vq_verdict *v, vq_ticket *out);

/* Staff override within the open batch: admits an unused ticket whatever its window or
 * attraction (vq_book_force_redeem), with the same store guard as vq_service_redeem. */
int vq_service_override(vq_service *svc, uint64_t id, const char *gate_id, int64_t now,
                        vq_ticket *out);

/* Switches to another site config (a reload): rebuilds the day's book under it from the
 * store. On failure (a stored ticket's attraction is gone, say) nothing changes. The new
 * site must outlive the service; the caller frees the old one after VQ_OK. */
int vq_service_set_site(vq_service *svc, const vq_site *site);

/* Moves to another day (commits nothing; call between batches). */
int vq_service_set_day(vq_service *svc, int64_t day_start);

#endif
