/* core/book.h — one site's day: slot inventory per attraction, the tickets, the closures.
 *
 * The book is the in-memory view vqd decides with; the store (coordinator/store.h) is its
 * durable copy. Every mutation marks what it touched as changed, so the layer above writes
 * exactly those rows in its next transaction (vq_book_changes) and, if that commit fails,
 * rebuilds the book from the store.
 *
 * Invariants after every call that returns VQ_OK:
 *   - an issue never makes a slot's taken exceed its capacity (capacity cuts may leave
 *     earlier tickets above it: issued tickets are always honoured);
 *   - tier t takes a seat only if, for every tier k > t whose protection has not lapsed,
 *     the seats still protected for k (protect(k) minus seats taken by tiers >= k) stay free;
 *   - a slot's taken equals the party sizes of the tickets that hold its seats.
 * Capacity: base(slot) = throughput * fast_share% * slot_min / 60 (rounded down), then
 * cap = base * (100 + overbook%) / 100 (rounded down).
 * The calendar: an attraction opens and closes at the instants its wall-clock hours have on
 * the book's local day (core/day.h), and its slots are laid in real time from opening, one
 * after another, as many as fit before closing: (closing - opening) / slot_min of them,
 * so a 23-hour day has fewer and a 25-hour day more, no two start at one instant, and
 * every one lies inside the day.
 */
#ifndef VQ_BOOK_H
#define VQ_BOOK_H

#include "admit.h"
#include "day.h"
#include "site.h"
#include "ticket.h"

typedef struct vq_book vq_book;

enum vq_attr_status { VQ_ATTR_OPEN = 0, VQ_ATTR_CLOSED = 1 };

typedef struct vq_attr_state {
	int status;              /* enum vq_attr_status */
	int64_t closed_at;       /* last closure start, 0 if none */
	int64_t reopened_at;     /* last reopening, 0 if none */
	int throughput_per_hour; /* operator's current figures; start as the site config's */
	int fast_share_pct;
	int overbook_pct;     /* 0..100 */
	unsigned next_number; /* next short number, 1..999 then wraps to 1 */
} vq_attr_state;

typedef struct vq_slot_view {
	int64_t start;                /* unix seconds */
	int cap;                      /* fast seats, overbooking included */
	int taken;                    /* seats held by tickets */
	int taken_tier[VQ_MAX_TIERS]; /* taken, per tier of the ticket */
} vq_slot_view;

typedef struct vq_request {
	int attr;       /* index into the site's attractions */
	int tier;       /* index into the site's tiers */
	int party;      /* seats, 1..max_party */
	uint64_t guest; /* pseudonymous reference, 0 = anonymous (no per-guest limit) */
	const char *by; /* the account asking (the ticket's issued_by), NULL = unknown */
} vq_request;

typedef struct vq_offer {
	int attr;
	int slot; /* index into the attraction's slots */
	int64_t slot_start;
	int64_t win_start; /* the window the guest would get */
	int64_t win_end;
	int seats_left; /* seats this tier may still take in that slot, after this party */
	int held;       /* passes the guest holds now */
} vq_offer;

typedef struct vq_capacity {
	int throughput_per_hour; /* -1 = keep */
	int fast_share_pct;      /* -1 = keep */
	int overbook_pct;        /* -1 = keep */
} vq_capacity;

typedef struct vq_slot_ref {
	int attr;
	int slot;
} vq_slot_ref;

/* What mutations touched since the last vq_book_changes_clear. Pointers stay valid until
 * the next mutation of the book. */
typedef struct vq_changes {
	const vq_ticket *const *tickets;
	size_t ntickets;
	const vq_slot_ref *slots;
	size_t nslots;
	const int *attrs;
	size_t nattrs;
} vq_changes;

/* A new book for the local day `day` (copied; VQ_EINVAL unless vq_day_check passes); ticket
 * ids handed out start at next_ticket_id (> 0). The site must outlive the book. */
int vq_book_new(const vq_site *site, const vq_day *day, uint64_t next_ticket_id, vq_book **out);
void vq_book_free(vq_book *book); /* NULL is fine */

const vq_site *vq_book_site(const vq_book *book);
const vq_day *vq_book_day(const vq_book *book);
int64_t vq_book_day_start(const vq_book *book); /* the day's first instant, its key in the store */
/* When attraction attr opens and closes on the book's day (closes >= opens; equal when
 * its hours fall in a gap of the clocks). VQ_ENOATTR. */
int vq_book_hours(const vq_book *book, int attr, int64_t *opens, int64_t *closes);
uint64_t vq_book_next_ticket_id(const vq_book *book);

/* The earliest slot the request could get now, without taking it. Errors: VQ_ENOATTR,
 * VQ_ENOTIER, VQ_EPARTY, VQ_ECLOSED, VQ_ENOTOPEN (the day is over), VQ_ELIMIT, VQ_ESOLDOUT. */
int vq_book_quote(const vq_book *book, const vq_request *req, int64_t now, vq_offer *out);

/* As quote, then takes the seats and records a new ticket, copied to *out. */
int vq_book_issue(vq_book *book, const vq_request *req, int64_t now, vq_ticket *out);

/* Issues an accessibility return pass for req's guest (never 0) and party at req's
 * attraction, at req's tier: its return time is the minute now falls in (or the opening,
 * if earlier) plus wait_min, the attraction's posted standby wait less the site's margin
 * (>= 0, the caller's arithmetic), and it admits from then to closing time. It takes no
 * seats, so fast-lane inventory and the tier's pass limit are untouched; a guest holds one
 * active pass at a time. Errors: VQ_ENOATTR, VQ_ENOTIER, VQ_EPARTY, VQ_EINVAL (a service
 * desk, guest 0, wait_min < 0), VQ_ECLOSED, VQ_ENOTOPEN (the return time would fall at or
 * after closing), VQ_ELIMIT (the guest's active pass: vq_book_guest_pass). */
int vq_book_issue_access(vq_book *book, const vq_request *req, int wait_min, int64_t now,
                         vq_ticket *out);

/* The guest's active accessibility pass at now (issued or anytime, its admission interval
 * not over), or NULL. */
const vq_ticket *vq_book_guest_pass(const vq_book *book, uint64_t guest, int64_t now);

/* Gives an issued ticket back; its seats return to the slot. VQ_ENOTICKET, VQ_ESTATE. */
int vq_book_cancel(vq_book *book, uint64_t id, int64_t now, vq_ticket *out);

/* Admits ticket id at a gate of gate_attr: checks it (core/admit.h) and, if it admits,
 * marks it redeemed by gate_id. Returns the verdict's result (VQ_ENOTICKET if unknown);
 * *v is always filled, *out (may be NULL) with the ticket as it is afterwards. */
int vq_book_redeem(vq_book *book, uint64_t id, const char *gate_attr, const char *gate_id,
                   int offline, int64_t now, vq_verdict *v, vq_ticket *out);

/* Staff override at a gate of gate_attr: marks an issued or anytime ticket of that
 * attraction redeemed by gate_id whatever its window says. A ticket of another attraction
 * is never consumed here (VQ_EWRONGATTR): it stays usable where it belongs. VQ_ENOTICKET,
 * VQ_EUSED, VQ_ECANCELLED. */
int vq_book_force_redeem(vq_book *book, uint64_t id, const char *gate_attr, const char *gate_id,
                         int64_t now, vq_ticket *out);

/* The fast lane's backlog at attr: guests (party sizes) holding an issued or anytime
 * fast-lane ticket whose admission interval holds now. Accessibility passes are left out
 * here and in vq_book_noshows: they hold no seats and admit until closing. */
int vq_book_backlog(const vq_book *book, int attr, int64_t now);
/* The same for every attraction at once (out[attr], vq_site_attr_count entries), in one
 * pass over the day's tickets. */
void vq_book_backlogs(const vq_book *book, int64_t now, int *out);

/* What became of the seats whose admission interval has ended by now, per attraction
 * (out[attr], vq_site_attr_count entries), in one pass: seats of tickets that are issued
 * or redeemed, never made anytime by a closure (a breakdown changes who comes back), and
 * whose interval [win_start - early grace, win_end + late graces) ended at or before now;
 * no_shows are those still unredeemed. A ticket redeemed early waits for its interval's
 * end like the others, so shows and no-shows are counted over the same windows. */
typedef struct vq_noshow {
	int64_t seats;    /* seats of tickets whose interval ended */
	int64_t no_shows; /* of those, seats never admitted */
} vq_noshow;
void vq_book_noshows(const vq_book *book, int64_t now, vq_noshow *out);

/* vq_book_backlogs and vq_book_noshows at once (either out may be NULL), from counts the
 * book keeps as its tickets change (core/tally.h): the cost is the admission intervals
 * that start or end between the previous call's now and this one, not the day's tickets,
 * so vqd can ask on every publish. now may go back as well as forward. */
void vq_book_tallies(vq_book *book, int64_t now, int *backlog, vq_noshow *noshow);

/* Applies new capacity figures to the slots that have not started at now; tickets already
 * issued keep their seats even where the new capacity is below them. */
int vq_book_set_capacity(vq_book *book, int attr, const vq_capacity *c, int64_t now);

/* Closes an attraction (breakdown): no issue, no admission until reopened. */
int vq_book_close(vq_book *book, int attr, int64_t now);

/* Reopens it: every issued ticket whose admission interval met the closure becomes an
 * anytime ticket valid from now to the attraction's closing; *converted (may be NULL) counts them.
 */
int vq_book_reopen(vq_book *book, int attr, int64_t now, size_t *converted);

/* Passes guest holds at now: issued or anytime fast-lane tickets not yet past their
 * interval (accessibility passes are counted apart: vq_book_guest_pass). */
int vq_book_guest_held(const vq_book *book, uint64_t guest, int64_t now);

const vq_ticket *vq_book_ticket(const vq_book *book, uint64_t id); /* NULL if unknown */
size_t vq_book_ticket_count(const vq_book *book);
const vq_ticket *vq_book_ticket_at(const vq_book *book, size_t i); /* in issue order */
const vq_attr_state *vq_book_attr_state(const vq_book *book, int attr);
int vq_book_slot_count(const vq_book *book, int attr);
int vq_book_slot(const vq_book *book, int attr, int slot, vq_slot_view *out);

void vq_book_changes(vq_book *book, vq_changes *out);
void vq_book_changes_clear(vq_book *book);

/* Rebuilding from the store: first attribute states and slot capacities, then tickets. A
 * restored ticket takes its seats if its state holds any; nothing is marked changed. */
int vq_book_restore_attr(vq_book *book, int attr, const vq_attr_state *st);
int vq_book_restore_slot_cap(vq_book *book, int attr, int slot, int cap);
int vq_book_restore_ticket(vq_book *book, const vq_ticket *t);

#endif
