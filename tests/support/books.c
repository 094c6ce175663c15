/* tests/support/books.c — see books.h. */
#include "books.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int ticket_diff(const vq_ticket *a, const vq_ticket *b)
{
	return a->id != b->id || strcmp(a->attr, b->attr) || a->slot_start != b->slot_start ||
	       a->win_start != b->win_start || a->win_end != b->win_end || a->tier != b->tier ||
	       a->party != b->party || a->number != b->number || a->guest != b->guest ||
	       a->state != b->state || a->issued_at != b->issued_at ||
	       a->valid_from != b->valid_from || a->valid_until != b->valid_until ||
	       a->used_at != b->used_at || strcmp(a->used_gate, b->used_gate) ||
	       a->used_offline != b->used_offline;
}

int tu_book_diff(const vq_book *x, const vq_book *y, char *why, size_t len)
{
	const vq_site *site = vq_book_site(x);
	if (vq_book_ticket_count(x) != vq_book_ticket_count(y)) {
		snprintf(why, len, "%zu vs %zu tickets", vq_book_ticket_count(x),
		         vq_book_ticket_count(y));
		return 1;
	}
	if (vq_book_next_ticket_id(x) != vq_book_next_ticket_id(y)) {
		snprintf(why, len, "next ticket id %" PRIu64 " vs %" PRIu64,
		         vq_book_next_ticket_id(x), vq_book_next_ticket_id(y));
		return 1;
	}
	for (size_t i = 0; i < vq_book_ticket_count(x); i++) {
		if (ticket_diff(vq_book_ticket_at(x, i), vq_book_ticket_at(y, i))) {
			snprintf(why, len, "ticket %" PRIu64 " differs",
			         vq_book_ticket_at(x, i)->id);
			return 1;
		}
	}
	for (int a = 0; a < vq_site_attr_count(site); a++) {
		const vq_attr_state *p = vq_book_attr_state(x, a), *q = vq_book_attr_state(y, a);
		if (p->status != q->status || p->closed_at != q->closed_at ||
		    p->reopened_at != q->reopened_at ||
		    p->throughput_per_hour != q->throughput_per_hour ||
		    p->fast_share_pct != q->fast_share_pct || p->overbook_pct != q->overbook_pct ||
		    p->next_number != q->next_number) {
			snprintf(why, len, "attraction %d state differs", a);
			return 1;
		}
		for (int s = 0; s < vq_book_slot_count(x, a); s++) {
			vq_slot_view v, w;
			vq_book_slot(x, a, s, &v);
			vq_book_slot(y, a, s, &w);
			if (v.start != w.start || v.cap != w.cap || v.taken != w.taken ||
			    memcmp(v.taken_tier, w.taken_tier, sizeof v.taken_tier) != 0) {
				snprintf(why, len, "slot %d of attraction %d differs", s, a);
				return 1;
			}
		}
	}
	return 0;
}

int tu_book_vs_store(const vq_book *book, vq_store *st, char *why, size_t len)
{
	uint64_t next = 0;
	vq_book *disk = NULL;
	int rc = vq_store_next_ticket_id(st, &next);
	if (rc == VQ_OK)
		rc = vq_book_new(vq_book_site(book), vq_book_day(book), next, &disk);
	if (rc == VQ_OK)
		rc = vq_store_load_day(st, disk);
	int diff = 1;
	if (rc != VQ_OK)
		snprintf(why, len, "the store does not rebuild: %s (%s)", vq_errname(rc),
		         vq_store_errmsg(st));
	else
		diff = tu_book_diff(book, disk, why, len);
	vq_book_free(disk);
	return diff;
}
