/* coordinator/service.c — keeps the day's book and the store in step (see service.h).
 *
 * Invariants between batches: the book equals what vq_store_load_day would rebuild from
 * the store, or there is no book (a rebuild failed) and no batch opens until one succeeds.
 * A batch may break the first only until its commit, which either makes the batch's rows
 * durable or throws the book away and rebuilds it from the store. A batch is dead from the
 * moment the disk disagrees with it (the store's word: vq_store_batch_ok); nothing of it
 * is written after that, and its commit fails.
 */
#include "coordinator/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vq_service {
	const vq_site *site;
	vq_store *store;
	vq_book *book;
	int64_t day_start;
	int in_batch;
};

/* A fresh book for the day, filled from the store. */
static int load_book(vq_service *svc, int64_t day_start, vq_book **out)
{
	uint64_t next = 1;
	vq_book *b = NULL;
	int rc = vq_store_next_ticket_id(svc->store, &next);
	if (rc == VQ_OK)
		rc = vq_book_new(svc->site, day_start, next, &b);
	if (rc == VQ_OK)
		rc = vq_store_load_day(svc->store, b);
	if (rc != VQ_OK) {
		vq_book_free(b);
		return rc;
	}
	*out = b;
	return VQ_OK;
}

static int rebuild(vq_service *svc)
{
	vq_book *b = NULL;
	int rc = load_book(svc, svc->day_start, &b);
	vq_book_free(svc->book);
	/* with no book every call fails until the store is readable again: never serve a
	 * view that is not on disk */
	svc->book = rc == VQ_OK ? b : NULL;
	return rc;
}

int vq_service_open(const vq_site *site, const char *db_path, int64_t day_start, vq_service **out,
                    char *err, size_t errlen)
{
	vq_service *svc = calloc(1, sizeof *svc);
	if (!svc)
		return VQ_ENOMEM;
	svc->site = site;
	svc->day_start = day_start;
	int rc = vq_store_open(db_path, &svc->store, err, errlen);
	if (rc == VQ_OK) {
		rc = load_book(svc, day_start, &svc->book);
		if (rc != VQ_OK && err && errlen)
			snprintf(err, errlen, "loading the day from %s: %s (%s)", db_path,
			         vq_strerror(rc), vq_store_errmsg(svc->store));
	}
	if (rc != VQ_OK) {
		vq_service_free(svc);
		return rc;
	}
	*out = svc;
	return VQ_OK;
}

void vq_service_free(vq_service *svc)
{
	if (!svc)
		return;
	if (svc->in_batch)
		vq_store_rollback(svc->store);
	vq_book_free(svc->book);
	vq_store_close(svc->store);
	free(svc);
}

vq_book *vq_service_book(vq_service *svc)
{
	return svc->book;
}

vq_store *vq_service_store(vq_service *svc)
{
	return svc->store;
}

int64_t vq_service_day(const vq_service *svc)
{
	return svc->day_start;
}

int vq_service_rebuild(vq_service *svc)
{
	if (svc->in_batch)
		return VQ_EINVAL;
	return rebuild(svc);
}

int vq_service_begin(vq_service *svc)
{
	if (svc->in_batch)
		return VQ_EINVAL;
	if (!svc->book)
		return VQ_ESTORE; /* the caller retries vq_service_rebuild at its own pace */
	int rc = vq_store_begin(svc->store);
	if (rc == VQ_OK)
		svc->in_batch = 1;
	return rc;
}

int vq_service_batch_ok(const vq_service *svc)
{
	return svc->in_batch && svc->book && vq_store_batch_ok(svc->store);
}

static int flush(vq_service *svc)
{
	vq_changes ch;
	vq_book_changes(svc->book, &ch);
	int rc = VQ_OK;
	for (size_t i = 0; rc == VQ_OK && i < ch.ntickets; i++)
		rc = vq_store_put_ticket(svc->store, ch.tickets[i]);
	for (size_t i = 0; rc == VQ_OK && i < ch.nslots; i++) {
		vq_slot_view v;
		const vq_attraction *a = vq_site_attr(svc->site, ch.slots[i].attr);
		rc = vq_book_slot(svc->book, ch.slots[i].attr, ch.slots[i].slot, &v);
		if (rc == VQ_OK)
			rc = vq_store_put_slot(svc->store, a->id, svc->day_start, ch.slots[i].slot,
			                       &v);
	}
	for (size_t i = 0; rc == VQ_OK && i < ch.nattrs; i++) {
		const vq_attraction *a = vq_site_attr(svc->site, ch.attrs[i]);
		rc = vq_store_put_attr_state(svc->store, a->id, svc->day_start,
		                             vq_book_attr_state(svc->book, ch.attrs[i]));
	}
	return rc;
}

int vq_service_commit(vq_service *svc)
{
	if (!svc->in_batch)
		return VQ_EINVAL;
	int rc = vq_service_batch_ok(svc) ? flush(svc) : VQ_ESTORE;
	svc->in_batch = 0;
	if (rc == VQ_OK)
		rc = vq_store_commit(svc->store);
	else
		vq_store_rollback(svc->store);
	if (rc == VQ_OK) {
		vq_book_changes_clear(svc->book);
		return VQ_OK;
	}
	rebuild(svc);
	return VQ_ESTORE;
}

int vq_service_rollback(vq_service *svc)
{
	if (!svc->in_batch)
		return VQ_EINVAL;
	svc->in_batch = 0;
	vq_store_rollback(svc->store);
	return rebuild(svc);
}

int vq_service_recall(vq_service *svc, const char *rid, const char *kind,
                      const uint8_t digest[VQ_STORE_DIGEST_LEN], char **reply, size_t *len)
{
	return vq_store_get_request(svc->store, rid, kind, digest, reply, len);
}

int vq_service_remember(vq_service *svc, const char *rid, const char *kind,
                        const uint8_t digest[VQ_STORE_DIGEST_LEN], const char *reply, size_t len,
                        int64_t now)
{
	if (!svc->in_batch)
		return VQ_EINVAL;
	return vq_store_put_request(svc->store, rid, kind, digest, reply, len, now);
}

/* Admits through the book (checked, or forced by staff) and then through the store's
 * conditional update. */
static int admit(vq_service *svc, uint64_t id, const char *gate_attr, const char *gate_id,
                 int offline, int force, int64_t now, vq_verdict *v, vq_ticket *out)
{
	memset(v, 0, sizeof *v);
	if (!svc->in_batch || (gate_id && strnlen(gate_id, VQ_ID_MAX) >= VQ_ID_MAX))
		return v->result = VQ_EINVAL; /* a gate id the store cannot hold kills no batch */
	if (!vq_service_batch_ok(svc))
		return v->result = VQ_ESTORE;
	/* the store must hold the ticket as the book has it before its conditional update:
	 * write what the batch changed so far (a ticket issued in this very batch included) */
	int src = flush(svc);
	if (src != VQ_OK)
		goto disagree;
	vq_book_changes_clear(svc->book);
	int rc = force ? vq_book_force_redeem(svc->book, id, gate_attr, gate_id, now, out)
	               : vq_book_redeem(svc->book, id, gate_attr, gate_id, offline, now, v, out);
	if (rc != VQ_OK) {
		v->result = rc;
		return rc;
	}
	src = vq_store_redeem(svc->store, id, gate_id ? gate_id : "", now, offline);
	if (src == VQ_OK)
		return VQ_OK;
disagree:;
	/* The disk disagrees with the book (another writer admitted or changed the ticket, or
	 * I/O failed): everything this batch decided was decided against a book that is not
	 * the truth. The batch is dead; its commit fails and rebuilds the book from the disk. */
	char why[96];
	snprintf(why, sizeof why, "ticket %llu: the database disagrees with the book (%s)",
	         (unsigned long long)id, vq_errname(src));
	if (vq_store_batch_ok(svc->store))
		vq_store_poison(svc->store, why);
	memset(v, 0, sizeof *v);
	return v->result = VQ_ESTORE;
}

int vq_service_redeem(vq_service *svc, uint64_t id, const char *gate_attr, const char *gate_id,
                      int offline, int64_t now, vq_verdict *v, vq_ticket *out)
{
	return admit(svc, id, gate_attr, gate_id, offline, 0, now, v, out);
}

int vq_service_override(vq_service *svc, uint64_t id, const char *gate_attr, const char *gate_id,
                        int64_t now, vq_ticket *out)
{
	vq_verdict v;
	return admit(svc, id, gate_attr, gate_id, 0, 1, now, &v, out);
}

int vq_service_prune_requests(vq_service *svc, int64_t before, int64_t *removed)
{
	if (svc->in_batch)
		return VQ_EINVAL;
	int rc = vq_store_begin(svc->store);
	if (rc != VQ_OK)
		return rc;
	rc = vq_store_prune_requests(svc->store, before, removed);
	if (rc == VQ_OK)
		return vq_store_commit(svc->store);
	vq_store_rollback(svc->store);
	return rc;
}

int vq_service_set_day(vq_service *svc, int64_t day_start)
{
	if (svc->in_batch)
		return VQ_EINVAL;
	vq_book *b = NULL;
	int rc = load_book(svc, day_start, &b);
	if (rc != VQ_OK)
		return rc;
	vq_book_free(svc->book);
	svc->book = b;
	svc->day_start = day_start;
	return VQ_OK;
}

int vq_service_set_site(vq_service *svc, const vq_site *site)
{
	if (svc->in_batch)
		return VQ_EINVAL;
	const vq_site *old = svc->site;
	svc->site = site;
	vq_book *b = NULL;
	int rc = load_book(svc, svc->day_start, &b);
	if (rc != VQ_OK) {
		svc->site = old;
		return rc;
	}
	vq_book_free(svc->book);
	svc->book = b;
	return VQ_OK;
}
