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

/* A reply the batch remembered (written at its commit), or one it looked up ahead
 * (reply NULL: not stored). */
typedef struct memo {
	char *rid;
	char *kind;
	char *reply;
	size_t len;
	int64_t at; /* remembered only */
	uint8_t digest[VQ_STORE_DIGEST_LEN];
	int has_digest; /* 0: a reply kept before digests were, bound to its kind alone */
} memo;

struct vq_service {
	const vq_site *site;
	vq_store *store;
	vq_book *book;
	vq_day day;
	int has_day;
	int in_batch;
	/* The replies this batch remembered, in order: written with one call at its commit,
	 * so a database across a network is not asked once a request. */
	memo *mine;
	size_t nmine, capmine;
	/* The replies looked up ahead for the batch (vq_service_prefetch), sorted by rid. */
	memo *ahead;
	size_t nahead;
};

static void memos_free(memo *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].rid);
		free(m[i].kind);
		free(m[i].reply);
	}
}

/* Forgets what the batch remembered and looked up: at its end, whatever the end. */
static void forget_batch(vq_service *svc)
{
	memos_free(svc->mine, svc->nmine);
	memos_free(svc->ahead, svc->nahead);
	free(svc->ahead);
	svc->ahead = NULL;
	svc->nmine = svc->nahead = 0;
}

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
	int rc =
	    vq_store_open(db_path, vq_site_id(site), vq_site_chain(site), &svc->store, err, errlen);
	if (rc == VQ_OK && day) {
		svc->day = *day;
		svc->has_day = 1;
		rc = load_book(svc, day, &svc->book);
		if (rc != VQ_OK && err && errlen) {
			char where[512];
			vq_store_describe(db_path, where, sizeof where);
			snprintf(err, errlen, "loading the day from %s: %s (%s)", where,
			         vq_strerror(rc), vq_store_errmsg(svc->store));
		}
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
	forget_batch(svc);
	free(svc->mine);
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

/* What the batch changed, as rows for the store: the book's changes (vq_book_changes), with
 * slots and attraction states read from the book. slots and attrs are the caller's to
 * free. */
static int batch_rows(vq_service *svc, vq_store_rows *rows, vq_store_slot **slots,
                      vq_store_attr **attrs)
{
	vq_changes ch;
	vq_book_changes(svc->book, &ch);
	*slots = calloc(ch.nslots ? ch.nslots : 1, sizeof **slots);
	*attrs = calloc(ch.nattrs ? ch.nattrs : 1, sizeof **attrs);
	int rc = *slots && *attrs ? VQ_OK : VQ_ENOMEM;
	for (size_t i = 0; rc == VQ_OK && i < ch.nslots; i++) {
		(*slots)[i].attr = vq_site_attr(svc->site, ch.slots[i].attr)->id;
		(*slots)[i].slot = ch.slots[i].slot;
		rc = vq_book_slot(svc->book, ch.slots[i].attr, ch.slots[i].slot, &(*slots)[i].view);
	}
	for (size_t i = 0; rc == VQ_OK && i < ch.nattrs; i++) {
		(*attrs)[i].attr = vq_site_attr(svc->site, ch.attrs[i])->id;
		(*attrs)[i].state = *vq_book_attr_state(svc->book, ch.attrs[i]);
	}
	*rows = (vq_store_rows){.day_start = svc->day.start,
	                        .tickets = ch.tickets,
	                        .ntickets = ch.ntickets,
	                        .slots = *slots,
	                        .nslots = ch.nslots,
	                        .attrs = *attrs,
	                        .nattrs = ch.nattrs};
	return rc;
}

/* Writes what the batch changed in the book so far, in one call (a redemption's
 * conditional update needs the ticket on disk as the book has it). */
static int flush(vq_service *svc)
{
	vq_store_rows rows;
	vq_store_slot *slots = NULL;
	vq_store_attr *attrs = NULL;
	int rc = batch_rows(svc, &rows, &slots, &attrs);
	if (rc == VQ_OK && (rows.ntickets || rows.nslots || rows.nattrs))
		rc = vq_store_put_rows(svc->store, &rows);
	free(slots);
	free(attrs);
	return rc;
}

/* The replies the batch remembered, for the store (pointing into svc->mine). */
static int batch_replies(vq_service *svc, vq_store_reply **out)
{
	vq_store_reply *r = calloc(svc->nmine ? svc->nmine : 1, sizeof *r);
	if (!r)
		return VQ_ENOMEM;
	for (size_t i = 0; i < svc->nmine; i++)
		r[i] = (vq_store_reply){.rid = svc->mine[i].rid,
		                        .kind = svc->mine[i].kind,
		                        .digest = svc->mine[i].digest,
		                        .reply = svc->mine[i].reply,
		                        .len = svc->mine[i].len,
		                        .at = svc->mine[i].at};
	*out = r;
	return VQ_OK;
}

int vq_service_commit(vq_service *svc)
{
	if (!svc->in_batch)
		return VQ_EINVAL;
	vq_store_rows rows;
	vq_store_slot *slots = NULL;
	vq_store_attr *attrs = NULL;
	vq_store_reply *replies = NULL;
	/* the rows, the replies and the commit in one call: one round trip to a database
	 * across a network */
	int rc = vq_service_batch_ok(svc) ? batch_rows(svc, &rows, &slots, &attrs) : VQ_ESTORE;
	if (rc == VQ_OK)
		rc = batch_replies(svc, &replies);
	int ended = 0;
	if (rc == VQ_OK) {
		rc = vq_store_commit_rows(svc->store, &rows, replies, svc->nmine);
		ended = rc != VQ_EINVAL;
	}
	if (!ended)
		vq_store_rollback(svc->store);
	svc->in_batch = 0;
	forget_batch(svc);
	free(slots);
	free(attrs);
	free(replies);
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
	forget_batch(svc);
	vq_store_rollback(svc->store);
	return rebuild(svc);
}

static int by_rid(const void *a, const void *b)
{
	return strcmp(((const memo *)a)->rid, ((const memo *)b)->rid);
}

static int copy_reply(const char *reply, size_t len, char **out, size_t *outlen)
{
	char *c = malloc(len + 1);
	if (!c)
		return VQ_ENOMEM;
	memcpy(c, reply, len);
	c[len] = '\0';
	*out = c;
	if (outlen)
		*outlen = len;
	return VQ_OK;
}

/* A kept reply answers only the same request: same kind, same digest (none kept: the kind
 * alone, as vq_store_get_request). */
static int recall_memo(const memo *m, const char *kind, const uint8_t *digest, char **reply,
                       size_t *len)
{
	if (strcmp(m->kind, kind) != 0 ||
	    (m->has_digest && memcmp(m->digest, digest, VQ_STORE_DIGEST_LEN) != 0))
		return VQ_ERIDREUSED;
	return copy_reply(m->reply, m->len, reply, len);
}

int vq_service_recall(vq_service *svc, const char *rid, const char *kind,
                      const uint8_t digest[VQ_STORE_DIGEST_LEN], char **reply, size_t *len)
{
	if (!rid || !kind || !digest || !reply)
		return VQ_EINVAL;
	*reply = NULL;
	/* this batch's own first (a retry that came in the same batch), then what was looked
	 * up ahead, then the store */
	for (size_t i = 0; svc->in_batch && i < svc->nmine; i++)
		if (strcmp(svc->mine[i].rid, rid) == 0)
			return recall_memo(&svc->mine[i], kind, digest, reply, len);
	memo key = {.rid = (char *)rid};
	const memo *hit =
	    svc->nahead ? bsearch(&key, svc->ahead, svc->nahead, sizeof key, by_rid) : NULL;
	if (hit)
		return hit->reply ? recall_memo(hit, kind, digest, reply, len) : VQ_ENOTFOUND;
	return vq_store_get_request(svc->store, rid, kind, digest, reply, len);
}

static int on_ahead(void *arg, size_t i, const char *reply, size_t len, const char *kind,
                    const uint8_t *digest)
{
	vq_service *svc = arg;
	memo *m = &svc->ahead[i];
	if (!(m->kind = strdup(kind)))
		return VQ_ENOMEM;
	m->has_digest = digest != NULL;
	if (digest)
		memcpy(m->digest, digest, VQ_STORE_DIGEST_LEN);
	return copy_reply(reply, len, &m->reply, &m->len);
}

int vq_service_prefetch(vq_service *svc, const char *const *rids, size_t n)
{
	if (!svc->in_batch || svc->nahead || (n && !rids))
		return VQ_EINVAL;
	if (!n)
		return VQ_OK;
	memo *a = calloc(n, sizeof *a);
	const char **ids = calloc(n, sizeof *ids);
	int rc = a && ids ? VQ_OK : VQ_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; rc == VQ_OK && i < n; i++, k++)
		if (!(a[i].rid = strdup(rids[i])))
			rc = VQ_ENOMEM;
	if (rc == VQ_OK) {
		/* sorted and each id once: recall bisects, and a retry that came twice in one
		 * batch is one lookup */
		qsort(a, n, sizeof *a, by_rid);
		k = 0;
		for (size_t i = 0; i < n; i++) {
			if (k && strcmp(a[k - 1].rid, a[i].rid) == 0) {
				free(a[i].rid);
				continue;
			}
			a[k++] = a[i];
		}
		for (size_t i = 0; i < k; i++)
			ids[i] = a[i].rid;
		svc->ahead = a;
		svc->nahead = k;
		rc = vq_store_get_requests(svc->store, ids, k, on_ahead, svc);
	}
	free(ids);
	if (rc == VQ_OK)
		return VQ_OK;
	memos_free(a, k);
	free(a);
	svc->ahead = NULL;
	svc->nahead = 0;
	return rc;
}

int vq_service_remember(vq_service *svc, const char *rid, const char *kind,
                        const uint8_t digest[VQ_STORE_DIGEST_LEN], const char *reply, size_t len,
                        int64_t now)
{
	if (!svc->in_batch || !vq_store_request_valid(rid, kind, digest, reply, len))
		return VQ_EINVAL;
	if (!vq_service_batch_ok(svc))
		return VQ_ESTORE;
	for (size_t i = 0; i < svc->nmine; i++)
		if (strcmp(svc->mine[i].rid, rid) == 0)
			return VQ_EEXISTS;
	if (svc->nmine == svc->capmine) {
		size_t cap = svc->capmine ? svc->capmine * 2 : 64;
		memo *m = realloc(svc->mine, cap * sizeof *m);
		if (!m)
			return VQ_ENOMEM;
		svc->mine = m;
		svc->capmine = cap;
	}
	memo m = {.rid = strdup(rid), .kind = strdup(kind), .len = len, .at = now, .has_digest = 1};
	memcpy(m.digest, digest, VQ_STORE_DIGEST_LEN);
	if (!m.rid || !m.kind || copy_reply(reply ? reply : "", len, &m.reply, NULL) != VQ_OK) {
		memos_free(&m, 1);
		return VQ_ENOMEM;
	}
	svc->mine[svc->nmine++] = m;
	return VQ_OK;
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
