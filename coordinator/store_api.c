/* coordinator/store_api.c — the one store API (store.h) in front of its backends.
 *
 * Owns the choice of backend at open (a postgresql:// or postgres:// URI: PostgreSQL; any
 * other string: a SQLite file), every argument check of store.h's contract, so both
 * backends refuse the same calls with the same code before touching their database, and
 * rebuilding a day's book from what a backend reads back. Invariants:
 *   - a backend function is only called with arguments store.h allows;
 *   - a call refused here changes nothing and leaves the backend's message as it was.
 */
#include "coordinator/store_backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 1..max bytes of printable ASCII (space included). */
static int printable(const char *s, size_t max)
{
	if (!s)
		return 0;
	size_t n = 0;
	for (; s[n]; n++) {
		if (n >= max || s[n] < 0x20 || s[n] > 0x7e)
			return 0;
	}
	return n > 0;
}

int vq_store_valid_id(const char *s)
{
	if (!s)
		return 0;
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (n >= VQ_ID_MAX - 1 ||
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return n > 0;
}

/* A NUL-terminated string that fits a char[VQ_ID_MAX] field; empty allowed if allow_empty. */
static int fits_field(const char *s, int allow_empty)
{
	size_t n = strnlen(s, VQ_ID_MAX);
	return n < VQ_ID_MAX && (allow_empty || n > 0);
}

static int text_ok(const char *s)
{
	return strnlen(s, VQ_STORE_TEXT_MAX + 1) <= VQ_STORE_TEXT_MAX;
}

/* ---- open, close, transactions ---- */

int vq_store_is_uri(const char *where)
{
	return where &&
	       (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0);
}

void vq_store_describe(const char *where, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return;
	snprintf(out, outlen, "%s", where ? where : "");
	if (!vq_store_is_uri(out))
		return;
	char buf[1024];
	size_t n = 0;
	const char *p = out;
	const char *scheme_end = strstr(p, "://") + 3;
	/* the authority ends at the first '/', '?' or the end; its userinfo at the last '@' */
	const char *auth_end = scheme_end + strcspn(scheme_end, "/?");
	const char *at = NULL;
	for (const char *q = scheme_end; q < auth_end; q++)
		if (*q == '@')
			at = q;
	const char *colon = at ? memchr(scheme_end, ':', (size_t)(at - scheme_end)) : NULL;
	for (; *p && n + 4 < sizeof buf; p++) {
		if (colon && p == colon + 1) {
			n += (size_t)snprintf(buf + n, sizeof buf - n, "***");
			p = at - 1;
			continue;
		}
		if (p > auth_end && strncmp(p, "password=", 9) == 0 &&
		    (p[-1] == '?' || p[-1] == '&')) {
			n += (size_t)snprintf(buf + n, sizeof buf - n, "password=***");
			p += 8 + strcspn(p + 9, "&");
			continue;
		}
		buf[n++] = *p;
	}
	buf[n] = '\0';
	snprintf(out, outlen, "%s", buf);
}

int vq_store_open(const char *where, const char *site, const char *chain, vq_store **out, char *err,
                  size_t errlen)
{
	char scratch[8];
	if (!err || errlen == 0) {
		err = scratch;
		errlen = sizeof scratch;
	}
	err[0] = '\0';
	if (!out) {
		snprintf(err, errlen, "no handle to fill");
		return VQ_EINVAL;
	}
	*out = NULL;
	if (!where || !*where) {
		snprintf(err, errlen, "no path");
		return VQ_EINVAL;
	}
	if ((site && !vq_store_valid_id(site)) || (chain && !vq_store_valid_id(chain))) {
		snprintf(err, errlen, "%s: expected 1..%d of a-z 0-9 _ -",
		         site && !vq_store_valid_id(site) ? "site" : "chain", VQ_ID_MAX - 1);
		return VQ_EINVAL;
	}
	const vq_store_ops *ops = vq_store_is_uri(where) ? &vq_store_pg_ops : &vq_store_sqlite_ops;
	return ops->open(where, site, chain, out, err, errlen);
}

void vq_store_close(vq_store *st)
{
	if (st)
		st->ops->close(st);
}

int vq_store_schema_version(vq_store *st, int *out)
{
	if (!st || !out)
		return VQ_EINVAL;
	return st->ops->schema_version(st, out);
}

const char *vq_store_errmsg(const vq_store *st)
{
	return st ? st->ops->errmsg(st) : "no store";
}

const char *vq_store_backend(const vq_store *st)
{
	return st ? st->ops->name : "";
}

int vq_store_begin(vq_store *st)
{
	return st ? st->ops->begin(st) : VQ_EINVAL;
}

int vq_store_commit(vq_store *st)
{
	return st ? st->ops->commit(st) : VQ_EINVAL;
}

int vq_store_rollback(vq_store *st)
{
	return st ? st->ops->rollback(st) : VQ_EINVAL;
}

int vq_store_poison(vq_store *st, const char *why)
{
	return st ? st->ops->poison(st, why) : VQ_EINVAL;
}

int vq_store_batch_ok(const vq_store *st)
{
	return st && st->ops->batch_ok(st);
}

/* ---- tickets, slots, attraction states ---- */

static int valid_ticket(const vq_ticket *t)
{
	return t && t->id > 0 && t->id <= (uint64_t)INT64_MAX && vq_store_valid_id(t->attr) &&
	       fits_field(t->used_gate, 1) && t->state <= VQ_TS_ANYTIME && t->party >= 1 &&
	       t->used_offline <= 1 && t->kind <= VQ_TK_ACCESS && fits_field(t->issued_by, 1);
}

int vq_store_put_ticket(vq_store *st, const vq_ticket *t)
{
	if (!st || !valid_ticket(t))
		return VQ_EINVAL;
	return st->ops->put_ticket(st, t);
}

int vq_store_put_slot(vq_store *st, const char *attr, int64_t day_start, int slot,
                      const vq_slot_view *sv)
{
	if (!st || !vq_store_valid_id(attr) || slot < 0 || !sv || sv->cap < 0 || sv->taken < 0)
		return VQ_EINVAL;
	return st->ops->put_slot(st, attr, day_start, slot, sv);
}

static int valid_attr_state(const vq_attr_state *a)
{
	return (a->status == VQ_ATTR_OPEN || a->status == VQ_ATTR_CLOSED) &&
	       a->throughput_per_hour >= 0 && a->fast_share_pct >= 0 && a->fast_share_pct <= 100 &&
	       a->overbook_pct >= 0 && a->overbook_pct <= 100 && a->next_number <= 65535;
}

int vq_store_put_attr_state(vq_store *st, const char *attr, int64_t day_start,
                            const vq_attr_state *a)
{
	if (!st || !vq_store_valid_id(attr) || !a || !valid_attr_state(a))
		return VQ_EINVAL;
	return st->ops->put_attr_state(st, attr, day_start, a);
}

int vq_store_get_ticket(vq_store *st, uint64_t id, vq_ticket *out)
{
	if (!st || !out || id == 0)
		return VQ_EINVAL;
	if (id > (uint64_t)INT64_MAX)
		return VQ_ENOTICKET;
	return st->ops->get_ticket(st, id, out);
}

int vq_store_next_ticket_id(vq_store *st, uint64_t *out)
{
	if (!st || !out)
		return VQ_EINVAL;
	return st->ops->next_ticket_id(st, out);
}

/* ---- idempotency ---- */

int vq_store_put_request(vq_store *st, const char *rid, const char *kind,
                         const uint8_t digest[VQ_STORE_DIGEST_LEN], const char *reply, size_t len,
                         int64_t at)
{
	if (!st || !vq_store_request_valid(rid, kind, digest, reply, len))
		return VQ_EINVAL;
	return st->ops->put_request(st, rid, kind, digest, reply, len, at);
}

int vq_store_request_valid(const char *rid, const char *kind, const uint8_t *digest,
                           const char *reply, size_t len)
{
	return printable(rid, VQ_STORE_RID_MAX) && printable(kind, VQ_STORE_LABEL_MAX) && digest &&
	       (reply || len == 0) && len <= VQ_STORE_TEXT_MAX;
}

static int replies_valid(const vq_store_reply *r, size_t n)
{
	if (n && !r)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!vq_store_request_valid(r[i].rid, r[i].kind, r[i].digest, r[i].reply, r[i].len))
			return 0;
	return 1;
}

int vq_store_put_requests(vq_store *st, const vq_store_reply *r, size_t n)
{
	if (!st || !replies_valid(r, n))
		return VQ_EINVAL;
	return n ? st->ops->put_requests(st, r, n) : VQ_OK;
}

int vq_store_get_requests(vq_store *st, const char *const *rids, size_t n, vq_store_reply_fn fn,
                          void *arg)
{
	if (!st || (n && !rids) || !fn)
		return VQ_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!printable(rids[i], VQ_STORE_RID_MAX))
			return VQ_EINVAL;
	return n ? st->ops->get_requests(st, rids, n, fn, arg) : VQ_OK;
}

static int rows_valid(const vq_store_rows *rows)
{
	if (!rows || (rows->ntickets && !rows->tickets) || (rows->nslots && !rows->slots) ||
	    (rows->nattrs && !rows->attrs))
		return 0;
	for (size_t i = 0; i < rows->ntickets; i++)
		if (!valid_ticket(rows->tickets[i]))
			return 0;
	for (size_t i = 0; i < rows->nslots; i++) {
		const vq_store_slot *s = &rows->slots[i];
		if (!vq_store_valid_id(s->attr) || s->slot < 0 || s->view.cap < 0 ||
		    s->view.taken < 0)
			return 0;
	}
	for (size_t i = 0; i < rows->nattrs; i++)
		if (!vq_store_valid_id(rows->attrs[i].attr) ||
		    !valid_attr_state(&rows->attrs[i].state))
			return 0;
	return 1;
}

int vq_store_put_rows(vq_store *st, const vq_store_rows *rows)
{
	if (!st || !rows_valid(rows))
		return VQ_EINVAL;
	return st->ops->put_rows(st, rows);
}

int vq_store_commit_rows(vq_store *st, const vq_store_rows *rows, const vq_store_reply *r, size_t n)
{
	if (!st || (rows && !rows_valid(rows)) || !replies_valid(r, n))
		return VQ_EINVAL;
	return st->ops->commit_rows(st, rows, r, n);
}

int vq_store_get_request(vq_store *st, const char *rid, const char *kind,
                         const uint8_t digest[VQ_STORE_DIGEST_LEN], char **reply, size_t *len)
{
	if (!st || !printable(rid, VQ_STORE_RID_MAX) || !printable(kind, VQ_STORE_LABEL_MAX) ||
	    !digest || !reply)
		return VQ_EINVAL;
	*reply = NULL;
	return st->ops->get_request(st, rid, kind, digest, reply, len);
}

int vq_store_prune_requests(vq_store *st, int64_t before, int64_t *removed)
{
	if (!st)
		return VQ_EINVAL;
	return st->ops->prune_requests(st, before, removed);
}

/* ---- redemption ---- */

int vq_store_redeem(vq_store *st, uint64_t id, const char *gate, int64_t at, int offline)
{
	if (!st || id == 0 || !gate || !fits_field(gate, 0))
		return VQ_EINVAL;
	if (id > (uint64_t)INT64_MAX)
		return VQ_ENOTICKET;
	return st->ops->redeem(st, id, gate, at, offline ? 1 : 0);
}

/* ---- members, audit, keys, settings ---- */

int vq_store_put_member(vq_store *st, const char *card, const char *tier)
{
	if (!st || !printable(card, VQ_STORE_CARD_MAX) || !vq_store_valid_id(tier))
		return VQ_EINVAL;
	return st->ops->put_member(st, card, tier);
}

int vq_store_get_member(vq_store *st, const char *card, char tier[VQ_ID_MAX])
{
	if (!st || !printable(card, VQ_STORE_CARD_MAX) || !tier)
		return VQ_EINVAL;
	return st->ops->get_member(st, card, tier);
}

int vq_store_prefetch_members(vq_store *st, const char *const *cards, size_t n)
{
	if (!st || (n && !cards))
		return VQ_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!printable(cards[i], VQ_STORE_CARD_MAX))
			return VQ_EINVAL;
	return st->ops->prefetch_members(st, cards, n);
}

int vq_store_member_count(vq_store *st, int64_t *out)
{
	if (!st || !out)
		return VQ_EINVAL;
	return st->ops->member_count(st, out);
}

int vq_store_audit(vq_store *st, int64_t at, const char *actor, const char *action,
                   const char *detail)
{
	if (!st || !printable(actor, VQ_STORE_LABEL_MAX) ||
	    !printable(action, VQ_STORE_LABEL_MAX) || (detail && !text_ok(detail)))
		return VQ_EINVAL;
	return st->ops->audit(st, at, actor, action, detail);
}

int vq_store_audit_count(vq_store *st, int64_t *out)
{
	if (!st || !out)
		return VQ_EINVAL;
	return st->ops->audit_count(st, out);
}

int vq_store_audit_recent(vq_store *st, int64_t since, const char *action, int limit,
                          vq_audit_fn fn, void *arg)
{
	if (!st || !fn || limit < 1 || limit > VQ_STORE_AUDIT_MAX ||
	    (action && !printable(action, VQ_STORE_LABEL_MAX)))
		return VQ_EINVAL;
	return st->ops->audit_recent(st, since, action, limit, fn, arg);
}

int vq_store_put_key(vq_store *st, uint8_t kid, const uint8_t pk[32], int active, int64_t created)
{
	if (!st || !pk)
		return VQ_EINVAL;
	return st->ops->put_key(st, kid, pk, active ? 1 : 0, created);
}

int vq_store_get_active_key(vq_store *st, uint8_t *kid, uint8_t pk[32])
{
	if (!st || !kid || !pk)
		return VQ_EINVAL;
	return st->ops->get_active_key(st, kid, pk);
}

int vq_store_get_key(vq_store *st, uint8_t kid, vq_store_key *out)
{
	if (!st || !out)
		return VQ_EINVAL;
	return st->ops->get_key(st, kid, out);
}

int vq_store_retire_key(vq_store *st, uint8_t kid, int64_t at)
{
	if (!st || at <= 0)
		return VQ_EINVAL;
	return st->ops->retire_key(st, kid, at);
}

int vq_store_count_open_tickets(vq_store *st, int64_t day_start, int64_t issued_until, int64_t now,
                                int64_t *out)
{
	if (!st || !out)
		return VQ_EINVAL;
	return st->ops->count_open_tickets(st, day_start, issued_until, now, out);
}

int vq_store_legacy_secrets(vq_store *st, uint8_t kid[256], uint8_t (*sk)[64], int *n)
{
	if (!st || !kid || !sk || !n)
		return VQ_EINVAL;
	*n = 0;
	return st->ops->legacy_secrets(st, kid, sk, n);
}

int vq_store_forget_legacy_secrets(vq_store *st)
{
	return st ? st->ops->forget_legacy_secrets(st) : VQ_EINVAL;
}

int vq_store_get_keyring(vq_store *st, vq_keyring *ring)
{
	if (!st || !ring)
		return VQ_EINVAL;
	return st->ops->get_keyring(st, ring);
}

int vq_store_set_setting(vq_store *st, const char *key, const char *value)
{
	if (!st || !printable(key, VQ_STORE_LABEL_MAX) || !value || !text_ok(value))
		return VQ_EINVAL;
	return st->ops->set_setting(st, key, value);
}

int vq_store_get_setting(vq_store *st, const char *key, char *out, size_t outlen)
{
	if (!st || !printable(key, VQ_STORE_LABEL_MAX) || !out || outlen == 0)
		return VQ_EINVAL;
	return st->ops->get_setting(st, key, out, outlen);
}

/* ---- rebuilding a day ---- */

/* Names a failure of the rebuild in the store's message and returns VQ_ESTORE. */
static int load_fail(vq_store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int load_fail(vq_store *st, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	st->ops->set_errmsg(st, msg);
	return VQ_ESTORE;
}

/* A book's refusal of stored data is corruption (or a site config that no longer matches
 * the day); only running out of memory keeps its own name. */
static int book_refused(vq_store *st, int rc, const char *what, const char *attr, long long n)
{
	if (rc == VQ_ENOMEM)
		return rc;
	return load_fail(st, "load day: %s %s %lld: book refused it (%s)", what, attr, n,
	                 vq_errname(rc));
}

typedef struct slot_walk {
	vq_store *st;
	vq_book *book;
	int a;
	const char *id;
	int check; /* 0: restore capacities; 1: compare seat counts with the book's */
} slot_walk;

static int on_slot(void *arg, int slot, int64_t start, int cap, int taken)
{
	slot_walk *w = arg;
	vq_slot_view v;
	if (slot >= vq_book_slot_count(w->book, w->a) ||
	    vq_book_slot(w->book, w->a, slot, &v) != VQ_OK || v.start != start)
		return load_fail(w->st,
		                 "load day: %s slot %d (start %lld) is not a slot of the day",
		                 w->id, slot, (long long)start);
	if (!w->check) {
		int rc = vq_book_restore_slot_cap(w->book, w->a, slot, cap);
		return rc == VQ_OK ? VQ_OK : book_refused(w->st, rc, "capacity of", w->id, slot);
	}
	if (v.taken != taken)
		return load_fail(w->st,
		                 "load day: %s slot %d: %d seats stored as taken, tickets hold %d",
		                 w->id, slot, taken, v.taken);
	return VQ_OK;
}

typedef struct ticket_list {
	vq_ticket *v;
	size_t n, cap;
} ticket_list;

static int on_ticket(void *arg, const vq_ticket *t)
{
	ticket_list *l = arg;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		vq_ticket *nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return VQ_ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *t;
	return VQ_OK;
}

static int by_id(const void *pa, const void *pb)
{
	const vq_ticket *a = pa, *b = pb;
	return (a->id > b->id) - (a->id < b->id);
}

/* Attraction a's stored state and slot capacities into the book, and its tickets of the
 * day into l. Only tickets whose slot is one of the book's slots for a are read, so days
 * never bleed into each other whatever the opening hours or the length of the day. */
static int load_attr(vq_store *st, vq_book *book, int a, const char *id, ticket_list *l)
{
	const int64_t day = vq_book_day_start(book);
	vq_attr_state as;
	int rc = st->ops->get_attr_state(st, id, day, &as);
	if (rc == VQ_OK) {
		rc = vq_book_restore_attr(book, a, &as);
		if (rc != VQ_OK)
			return book_refused(st, rc, "state of", id, (long long)day);
	} else if (rc != VQ_ENOTFOUND) {
		return rc;
	}
	/* VQ_ENOTFOUND: nothing changed that day yet, the book's defaults are right */
	slot_walk w = {.st = st, .book = book, .a = a, .id = id, .check = 0};
	rc = st->ops->walk_slots(st, id, day, on_slot, &w);
	if (rc != VQ_OK)
		return rc;
	int nslots = vq_book_slot_count(book, a);
	vq_slot_view first, last;
	if (nslots <= 0)
		return VQ_OK;
	if (vq_book_slot(book, a, 0, &first) != VQ_OK ||
	    vq_book_slot(book, a, nslots - 1, &last) != VQ_OK)
		return load_fail(st, "load day: book has no slot view");
	return st->ops->walk_tickets(st, id, first.start, last.start, on_ticket, l);
}

int vq_store_load_day(vq_store *st, vq_book *book)
{
	if (!st || !book)
		return VQ_EINVAL;
	const vq_site *site = vq_book_site(book);
	const int nattr = vq_site_attr_count(site);
	ticket_list l = {0};
	int rc = VQ_OK;

	for (int a = 0; a < nattr && rc == VQ_OK; a++)
		rc = load_attr(st, book, a, vq_site_attr(site, a)->id, &l);
	if (rc != VQ_OK)
		goto cleanup;

	/* The book keeps tickets in issue order, which is id order across attractions. */
	if (l.n > 1)
		qsort(l.v, l.n, sizeof *l.v, by_id);
	for (size_t i = 0; i < l.n; i++) {
		rc = vq_book_restore_ticket(book, &l.v[i]);
		if (rc != VQ_OK) {
			rc = book_refused(st, rc, "ticket of", l.v[i].attr, (long long)l.v[i].id);
			goto cleanup;
		}
	}
	for (int a = 0; a < nattr && rc == VQ_OK; a++) {
		slot_walk w = {
		    .st = st, .book = book, .a = a, .id = vq_site_attr(site, a)->id, .check = 1};
		rc = st->ops->walk_slots(st, w.id, vq_book_day_start(book), on_slot, &w);
	}

cleanup:
	free(l.v);
	return rc;
}

/* ---- who serves ---- */

double vq_store_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int vq_store_claim(vq_store *st, int lease_ms, int *held, int64_t *term)
{
	if (held)
		*held = 0;
	if (!st || !held || lease_ms < 100 || lease_ms > 600000)
		return VQ_EINVAL;
	int64_t t = 0;
	int rc = st->ops->claim(st, lease_ms, held, &t);
	if (term)
		*term = t;
	return rc;
}

double vq_store_claim_proof(const vq_store *st)
{
	return st ? st->ops->claim_proof(st) : 0;
}

int vq_store_claim_shared(const vq_store *st)
{
	return st && st->ops != &vq_store_sqlite_ops;
}

int vq_store_release_claim(vq_store *st)
{
	return st ? st->ops->release_claim(st) : VQ_EINVAL;
}
