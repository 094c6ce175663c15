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
	vq_day day;
	int has_day;
	int in_batch;
};

/* A fresh book for the day, filled from the store. */
static int load_book(vq_service *svc, const vq_day *day, vq_book **out)
{
	uint64_t next = 1;
	vq_book *b = NULL;
	int rc = vq_store_next_ticket_id(svc->store, &next);
	if (rc == VQ_OK)
		rc = vq_book_new(svc->site, day, next, &b);
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
	if (!svc->has_day)
		return VQ_EINVAL;
	vq_book *b = NULL;
	int rc = load_book(svc, &svc->day, &b);
	vq_book_free(svc->book);
	/* with no book every call fails until the store is readable again: never serve a
	 * view that is not on disk */
	svc->book = rc == VQ_OK ? b : NULL;
	return rc;
}

int vq_service_open(const vq_site *site, const char *db_path, const vq_day *day, vq_service **out,
                    char *err, size_t errlen)
{
	vq_service *svc = calloc(1, sizeof *svc);
	if (!svc)
		return VQ_ENOMEM;
	svc->site = site;
	int rc = vq_store_open(db_path, &svc->store, err, errlen);
	if (rc == VQ_OK && day) {
		svc->day = *day;
		svc->has_day = 1;
		rc = load_book(svc, day, &svc->book);
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
	return svc->has_day ? svc->day.start : 0;
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
			rc = vq_store_put_slot(svc->store, a->id, svc->day.start, ch.slots[i].slot,
			                       &v);
	}
	for (size_t i = 0; rc == VQ_OK && i < ch.nattrs; i++) {
		const vq_attraction *a = vq_site_attr(svc->site, ch.attrs[i]);
		rc = vq_store_put_attr_state(svc->store, a->id, svc->day.start,
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

/* The disk disagrees with the book (another writer admitted or changed the ticket, or
 * I/O failed): everything this batch decided was decided against a book that is not the
 * truth. The batch is dead; its commit fails and rebuilds the book from the disk. */
static int disagree(vq_service *svc, uint64_t id, int src, vq_verdict *v)
{
	char why[96];
	snprintf(why, sizeof why, "ticket %llu: the database disagrees with the book (%s)",
	         (unsigned long long)id, vq_errname(src));
	if (vq_store_batch_ok(svc->store))
		vq_store_poison(svc->store, why);
	memset(v, 0, sizeof *v);
	return v->result = VQ_ESTORE;
}

/* A ticket today's book does not hold may be an earlier day's still inside its admission
 * interval: one for the last slot before midnight, admitted with its late grace just after
 * (or synced later by a gate that admitted it offline then). The store has it, core's
 * rule judges it, and the store's conditional update admits it once. */
static int admit_earlier_day(vq_service *svc, uint64_t id, const char *gate_attr,
                             const char *gate_id, int offline, int64_t now, vq_verdict *v,
                             vq_ticket *out)
{
	vq_ticket t;
	int src = vq_store_get_ticket(svc->store, id, &t);
	if (src == VQ_ENOTICKET || (src == VQ_OK && t.slot_start >= svc->day.start)) {
		v->result = VQ_ENOTICKET;
		return VQ_ENOTICKET;
	}
	if (src != VQ_OK)
		return disagree(svc, id, src, v);
	int ai = gate_attr ? vq_site_attr_find(svc->site, gate_attr) : -1;
	const vq_attr_state *st = ai >= 0 ? vq_book_attr_state(svc->book, ai) : NULL;
	int rc = vq_admit_check(svc->site, &t, gate_attr ? gate_attr : "",
	                        st && st->status == VQ_ATTR_CLOSED, now, v);
	if (rc != VQ_OK) {
		if (out)
			*out = t;
		return rc;
	}
	src = vq_store_redeem(svc->store, id, gate_id ? gate_id : "", now, offline);
	if (src != VQ_OK)
		return disagree(svc, id, src, v);
	if (out) {
		*out = t;
		out->state = VQ_TS_REDEEMED;
		out->used_at = now;
		out->used_offline = offline ? 1 : 0;
		memset(out->used_gate, 0, sizeof out->used_gate);
		if (gate_id)
			strncpy(out->used_gate, gate_id, sizeof out->used_gate - 1);
	}
	return VQ_OK;
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
		goto disk_wins;
	vq_book_changes_clear(svc->book);
	int rc = force ? vq_book_force_redeem(svc->book, id, gate_attr, gate_id, now, out)
	               : vq_book_redeem(svc->book, id, gate_attr, gate_id, offline, now, v, out);
	if (rc == VQ_ENOTICKET && !force)
		return admit_earlier_day(svc, id, gate_attr, gate_id, offline, now, v, out);
	if (rc != VQ_OK) {
		v->result = rc;
		return rc;
	}
	src = vq_store_redeem(svc->store, id, gate_id ? gate_id : "", now, offline);
	if (src == VQ_OK)
		return VQ_OK;
disk_wins:
	return disagree(svc, id, src, v);
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

int vq_service_set_day(vq_service *svc, const vq_day *day)
{
	if (svc->in_batch || !day)
		return VQ_EINVAL;
	vq_book *b = NULL;
	int rc = load_book(svc, day, &b);
	if (rc != VQ_OK)
		return rc;
	vq_book_free(svc->book);
	svc->book = b;
	svc->day = *day;
	svc->has_day = 1;
	return VQ_OK;
}

const vq_day *vq_service_local_day(const vq_service *svc)
{
	return svc->has_day ? &svc->day : NULL;
}

int vq_service_set_site(vq_service *svc, const vq_site *site)
{
	if (svc->in_batch)
		return VQ_EINVAL;
	const vq_site *old = svc->site;
	svc->site = site;
	if (!svc->has_day)
		return VQ_OK; /* nothing to rebuild: the next day loads under the new site */
	vq_book *b = NULL;
	int rc = load_book(svc, &svc->day, &b);
	if (rc != VQ_OK) {
		svc->site = old;
		return rc;
	}
	vq_book_free(svc->book);
	svc->book = b;
	return VQ_OK;
}
