/* core/book.c — one site's day: slots, tickets, closures, and the choice of slot.
 *
 * Owns the in-memory inventory and the allocation rule (see book.h for the invariants),
 * and the accessibility return passes, which share tickets' ids, numbers and admission
 * but never hold seats.
 * Tickets are kept in issue order, which is also id order, so a lookup by id is a binary
 * search. A guest's tickets are chained newest-first through an open-addressing table
 * keyed by guest reference, so the passes-held limit costs a guest's own tickets, not the
 * day's. Every mutating call reserves all memory it may need before it changes anything,
 * so a failure (VQ_ENOMEM included) leaves the book exactly as it was.
 * Every fast-lane ticket's part in the backlog and no-show counts is in the tally
 * (core/tally.h) as the ticket is now, in the group entry.group names (-1: it counts
 * nothing): each change takes its old part out and puts its new one in, so vq_book_tallies
 * never counts the day's tickets. A part's interval also reads the site's graces, which
 * never change under a book: vqd gives a changed site (tier rules, a reload) a book
 * rebuilt from the store (vq_service_set_site).
 */
#include "book.h"

#include "mem.h"
#include "tally.h"

#include <string.h>

struct slot {
	int64_t start;
	int cap;
	int taken;
	int taken_tier[VQ_MAX_TIERS];
	uint8_t dirty;
};

struct attr {
	vq_attr_state st;
	int64_t opens, closes; /* the day's hours as instants */
	int nslots;
	struct slot *slots;
	uint8_t dirty;
};

struct entry {
	vq_ticket t;
	int attr;
	int slot;
	int32_t prev_of_guest; /* older ticket of the same guest, -1 at the end */
	int32_t group;         /* its part's group in the tally, -1 when it has no part */
	uint8_t dirty;
};

struct guest_cell {
	uint64_t guest; /* 0 = empty */
	int32_t newest; /* index into entries */
};

struct vq_book {
	const vq_site *site;
	vq_day day;
	uint64_t next_id;
	int nattrs;
	struct attr *attrs;

	struct entry *entries;
	size_t nentries, capentries;

	struct guest_cell *guests;
	size_t nguests, capguests; /* capguests is a power of two */

	/* changed since vq_book_changes_clear; each vector is reserved ahead of a mutation */
	size_t *dirty_tix;
	const vq_ticket **dirty_ptrs; /* filled by vq_book_changes, same length as dirty_tix */
	size_t ndirty_tix, capdirty_tix, capdirty_ptrs;
	vq_slot_ref *dirty_slots;
	size_t ndirty_slots, capdirty_slots;
	int *dirty_attrs; /* at most nattrs entries, allocated once */
	size_t ndirty_attrs;

	vq_tally *tally;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return VQ_OK;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	void *np = vq_realloc(*p, n * elem);
	if (!np)
		return VQ_ENOMEM;
	*p = np;
	*cap = n;
	return VQ_OK;
}

static int slot_base(int throughput, int share, int slot_min)
{
	return (int)((int64_t)throughput * share * slot_min / 6000);
}

static int slot_cap(const vq_attr_state *st, int slot_min)
{
	int base = slot_base(st->throughput_per_hour, st->fast_share_pct, slot_min);
	return (int)((int64_t)base * (100 + st->overbook_pct) / 100);
}

int vq_book_new(const vq_site *site, const vq_day *day, uint64_t next_ticket_id, vq_book **out)
{
	if (!site || !out || next_ticket_id == 0 || vq_day_check(day) != VQ_OK)
		return VQ_EINVAL;
	vq_book *b = vq_calloc(1, sizeof *b);
	if (!b)
		return VQ_ENOMEM;
	b->site = site;
	b->day = *day;
	b->next_id = next_ticket_id;
	b->nattrs = vq_site_attr_count(site);
	b->attrs = vq_calloc((size_t)b->nattrs, sizeof *b->attrs);
	b->dirty_attrs = vq_calloc((size_t)b->nattrs, sizeof *b->dirty_attrs);
	if (!b->attrs || !b->dirty_attrs || vq_tally_new(b->nattrs, &b->tally) != VQ_OK)
		goto nomem;
	for (int a = 0; a < b->nattrs; a++) {
		const vq_attraction *cfg = vq_site_attr(site, a);
		struct attr *at = &b->attrs[a];
		at->st.status = VQ_ATTR_OPEN;
		at->st.throughput_per_hour = cfg->throughput_per_hour;
		at->st.fast_share_pct = cfg->fast_share_pct;
		at->st.overbook_pct = 0;
		at->st.next_number = 1;
		/* wall-clock hours to instants, then slots in real time: a slot is slot_min
		 * of real time whatever the clocks do meanwhile */
		at->opens = vq_day_opening(day, cfg->open_min);
		at->closes = vq_day_closing(day, cfg->close_min);
		if (at->closes < at->opens)
			at->closes = at->opens;
		int64_t step = (int64_t)cfg->slot_min * 60;
		at->nslots = (int)((at->closes - at->opens) / step);
		if (at->nslots == 0)
			continue;
		at->slots = vq_calloc((size_t)at->nslots, sizeof *at->slots);
		if (!at->slots)
			goto nomem;
		int cap = slot_cap(&at->st, cfg->slot_min);
		for (int i = 0; i < at->nslots; i++) {
			at->slots[i].start = at->opens + (int64_t)i * step;
			at->slots[i].cap = cap;
		}
	}
	*out = b;
	return VQ_OK;
nomem:
	vq_book_free(b);
	return VQ_ENOMEM;
}

void vq_book_free(vq_book *b)
{
	if (!b)
		return;
	for (int a = 0; b->attrs && a < b->nattrs; a++)
		vq_free(b->attrs[a].slots);
	vq_free(b->attrs);
	vq_free(b->entries);
	vq_free(b->guests);
	vq_free(b->dirty_tix);
	vq_free(b->dirty_ptrs);
	vq_free(b->dirty_slots);
	vq_free(b->dirty_attrs);
	vq_tally_free(b->tally);
	vq_free(b);
}

const vq_site *vq_book_site(const vq_book *b)
{
	return b->site;
}

const vq_day *vq_book_day(const vq_book *b)
{
	return &b->day;
}

int64_t vq_book_day_start(const vq_book *b)
{
	return b->day.start;
}

int vq_book_hours(const vq_book *b, int attr, int64_t *opens, int64_t *closes)
{
	if (attr < 0 || attr >= b->nattrs)
		return VQ_ENOATTR;
	*opens = b->attrs[attr].opens;
	*closes = b->attrs[attr].closes;
	return VQ_OK;
}

uint64_t vq_book_next_ticket_id(const vq_book *b)
{
	return b->next_id;
}

/* --- guests ---------------------------------------------------------------------- */

static size_t guest_hash(uint64_t g)
{
	g ^= g >> 33;
	g *= 0xff51afd7ed558ccdull;
	g ^= g >> 33;
	return (size_t)g;
}

static struct guest_cell *guest_find(const vq_book *b, uint64_t g)
{
	if (!b->capguests)
		return NULL;
	size_t mask = b->capguests - 1;
	for (size_t i = guest_hash(g) & mask;; i = (i + 1) & mask) {
		if (b->guests[i].guest == g)
			return &b->guests[i];
		if (b->guests[i].guest == 0)
			return NULL;
	}
}

static struct guest_cell *guest_slot_for(struct guest_cell *cells, size_t cap, uint64_t g)
{
	size_t mask = cap - 1;
	size_t i = guest_hash(g) & mask;
	while (cells[i].guest != 0 && cells[i].guest != g)
		i = (i + 1) & mask;
	return &cells[i];
}

/* Makes room so that one more guest can be inserted without allocating. */
static int guest_reserve(vq_book *b)
{
	if ((b->nguests + 1) * 2 <= b->capguests)
		return VQ_OK;
	size_t ncap = b->capguests ? b->capguests * 2 : 64;
	struct guest_cell *cells = vq_calloc(ncap, sizeof *cells);
	if (!cells)
		return VQ_ENOMEM;
	for (size_t i = 0; i < b->capguests; i++)
		if (b->guests[i].guest)
			*guest_slot_for(cells, ncap, b->guests[i].guest) = b->guests[i];
	vq_free(b->guests);
	b->guests = cells;
	b->capguests = ncap;
	return VQ_OK;
}

static void guest_link(vq_book *b, size_t idx)
{
	uint64_t g = b->entries[idx].t.guest;
	b->entries[idx].prev_of_guest = -1;
	if (g == 0)
		return;
	struct guest_cell *c = guest_slot_for(b->guests, b->capguests, g);
	if (c->guest == 0) {
		c->guest = g;
		b->nguests++;
	} else {
		b->entries[idx].prev_of_guest = c->newest;
	}
	c->newest = (int32_t)idx;
}

/* --- time rules ------------------------------------------------------------------ */

/* The end of the interval in which a ticket still admits (and so still counts as held). */
static int64_t admit_until(const vq_book *b, const struct entry *e)
{
	if (e->t.state == VQ_TS_ANYTIME)
		return e->t.valid_until;
	const vq_attraction *cfg = vq_site_attr(b->site, e->attr);
	const vq_tier *tier = vq_site_tier(b->site, e->t.tier);
	int grace = cfg->late_grace_min + (tier ? tier->late_grace_min : 0);
	return e->t.win_end + (int64_t)grace * 60;
}

static int64_t admit_from(const vq_book *b, const struct entry *e)
{
	if (e->t.state == VQ_TS_ANYTIME)
		return e->t.valid_from;
	const vq_attraction *cfg = vq_site_attr(b->site, e->attr);
	return e->t.win_start - (int64_t)cfg->early_grace_min * 60;
}

/* --- backlog and no-show counts ------------------------------------------------- */

/* What a ticket counts, as it is now (the rules of vq_book_backlogs and vq_book_noshows). */
static int entry_part(const vq_book *b, const struct entry *e, vq_tally_part *p)
{
	int st = e->t.state, party = e->t.party;
	int ended = (st == VQ_TS_ISSUED || st == VQ_TS_REDEEMED) && e->t.valid_from == 0;
	p->attr = e->attr;
	p->from = admit_from(b, e);
	p->until = admit_until(b, e);
	p->backlog = st == VQ_TS_ISSUED || st == VQ_TS_ANYTIME ? party : 0;
	p->seats = ended ? party : 0;
	p->no_shows = ended && st == VQ_TS_ISSUED ? party : 0;
	return e->t.kind == VQ_TK_FAST && (p->backlog || p->seats);
}

/* Takes the ticket's part out of the tally, before it changes. */
static void tally_out(vq_book *b, struct entry *e)
{
	vq_tally_part p;
	if (e->group < 0)
		return;
	entry_part(b, e, &p);
	vq_tally_sub(b->tally, e->group, &p);
	e->group = -1;
}

/* Puts the ticket's part, as it is now, into the tally; room for a group must have been
 * reserved (reserve_entry, reserve_dirty). */
static void tally_in(vq_book *b, struct entry *e)
{
	vq_tally_part p;
	e->group = entry_part(b, e, &p) ? vq_tally_add(b->tally, &p) : -1;
}

void vq_book_tallies(vq_book *b, int64_t now, int *backlog, vq_noshow *noshow)
{
	vq_tally_at(b->tally, now, backlog, noshow);
}

int vq_book_guest_held(const vq_book *b, uint64_t guest, int64_t now)
{
	if (guest == 0)
		return 0;
	const struct guest_cell *c = guest_find(b, guest);
	int held = 0;
	for (int32_t i = c ? c->newest : -1; i >= 0; i = b->entries[i].prev_of_guest) {
		const struct entry *e = &b->entries[i];
		if (e->t.kind == VQ_TK_FAST &&
		    (e->t.state == VQ_TS_ISSUED || e->t.state == VQ_TS_ANYTIME) &&
		    now < admit_until(b, e))
			held++;
	}
	return held;
}

const vq_ticket *vq_book_guest_pass(const vq_book *b, uint64_t guest, int64_t now)
{
	if (guest == 0)
		return NULL;
	const struct guest_cell *c = guest_find(b, guest);
	for (int32_t i = c ? c->newest : -1; i >= 0; i = b->entries[i].prev_of_guest) {
		const struct entry *e = &b->entries[i];
		if (e->t.kind == VQ_TK_ACCESS &&
		    (e->t.state == VQ_TS_ISSUED || e->t.state == VQ_TS_ANYTIME) &&
		    now < admit_until(b, e))
			return &e->t;
	}
	return NULL;
}

/* --- allocation ------------------------------------------------------------------ */

/* Seats tier t may take in slot s at now: the free seats minus the largest reserve still
 * protected for a tier above t. A tier's reserve is its protected share minus what tiers
 * at or above it already hold, so higher tiers draw their own reserve down first. */
static int seats_for_tier(const vq_book *b, const struct slot *s, int t, int64_t now)
{
	int free_seats = s->cap - s->taken;
	int ntiers = vq_site_tier_count(b->site);
	int reserve = 0, used_ge = 0;
	for (int k = ntiers - 1; k > t; k--) {
		used_ge += s->taken_tier[k];
		const vq_tier *tk = vq_site_tier(b->site, k);
		if (now >= s->start - (int64_t)tk->release_min * 60)
			continue;
		int prot = (int)((int64_t)s->cap * tk->protect_pct / 100);
		int r = prot - used_ge;
		if (r > reserve)
			reserve = r;
	}
	return free_seats - reserve;
}

/* The return window: window_min from the slot's start, cut at closing. */
static int64_t window_end(const vq_attraction *cfg, const struct attr *at, int64_t slot_start)
{
	int64_t end = slot_start + (int64_t)cfg->window_min * 60;
	return end < at->closes ? end : at->closes;
}

int vq_book_quote(const vq_book *b, const vq_request *req, int64_t now, vq_offer *out)
{
	if (!b || !req || !out)
		return VQ_EINVAL;
	if (req->attr < 0 || req->attr >= b->nattrs)
		return VQ_ENOATTR;
	if (req->tier < 0 || req->tier >= vq_site_tier_count(b->site))
		return VQ_ENOTIER;
	const vq_attraction *cfg = vq_site_attr(b->site, req->attr);
	const vq_tier *tier = vq_site_tier(b->site, req->tier);
	if (req->party < 1 || req->party > cfg->max_party)
		return VQ_EPARTY;
	const struct attr *at = &b->attrs[req->attr];
	if (at->st.status == VQ_ATTR_CLOSED)
		return VQ_ECLOSED;

	int64_t earliest = now + (int64_t)vq_site_min_lead_min(b->site) * 60;
	int64_t latest = now + (int64_t)tier->horizon_min * 60;
	int first = 0;
	if (at->nslots == 0)
		return VQ_ENOTOPEN;
	if (earliest > at->slots[0].start) {
		int64_t into = earliest - at->slots[0].start;
		int64_t step = (int64_t)cfg->slot_min * 60;
		int64_t i = (into + step - 1) / step;
		first = i > at->nslots ? at->nslots : (int)i;
	}
	if (first >= at->nslots)
		return VQ_ENOTOPEN;

	int held = vq_book_guest_held(b, req->guest, now);
	if (req->guest != 0 && held >= tier->max_passes)
		return VQ_ELIMIT;

	for (int i = first; i < at->nslots && at->slots[i].start <= latest; i++) {
		int avail = seats_for_tier(b, &at->slots[i], req->tier, now);
		if (avail < req->party)
			continue;
		out->attr = req->attr;
		out->slot = i;
		out->slot_start = at->slots[i].start;
		out->win_start = at->slots[i].start;
		out->win_end = window_end(cfg, at, at->slots[i].start);
		out->seats_left = avail - req->party;
		out->held = held;
		return VQ_OK;
	}
	return VQ_ESOLDOUT;
}

/* --- change tracking ------------------------------------------------------------- */

static int reserve_dirty(vq_book *b, size_t more_tickets, size_t more_slots)
{
	size_t need = b->ndirty_tix + more_tickets;
	int rc = grow((void **)&b->dirty_tix, &b->capdirty_tix, need, sizeof *b->dirty_tix);
	if (rc == VQ_OK)
		rc = grow((void **)&b->dirty_ptrs, &b->capdirty_ptrs, need, sizeof *b->dirty_ptrs);
	if (rc == VQ_OK)
		rc = grow((void **)&b->dirty_slots, &b->capdirty_slots,
		          b->ndirty_slots + more_slots, sizeof *b->dirty_slots);
	/* tickets changed together by one call move to one group at most (a reopening gives
	 * them all the same anytime interval) */
	if (rc == VQ_OK && more_tickets)
		rc = vq_tally_reserve(b->tally, 1);
	return rc;
}

static void mark_ticket(vq_book *b, size_t idx)
{
	if (b->entries[idx].dirty)
		return;
	b->entries[idx].dirty = 1;
	b->dirty_tix[b->ndirty_tix++] = idx;
}

static void mark_slot(vq_book *b, int a, int s)
{
	if (b->attrs[a].slots[s].dirty)
		return;
	b->attrs[a].slots[s].dirty = 1;
	b->dirty_slots[b->ndirty_slots++] = (vq_slot_ref){a, s};
}

static void mark_attr(vq_book *b, int a)
{
	if (b->attrs[a].dirty)
		return;
	b->attrs[a].dirty = 1;
	b->dirty_attrs[b->ndirty_attrs++] = a;
}

void vq_book_changes(vq_book *b, vq_changes *out)
{
	/* pointers are made here, not when marking, because entries move when they grow */
	for (size_t i = 0; i < b->ndirty_tix; i++)
		b->dirty_ptrs[i] = &b->entries[b->dirty_tix[i]].t;
	out->tickets = b->dirty_ptrs;
	out->ntickets = b->ndirty_tix;
	out->slots = b->dirty_slots;
	out->nslots = b->ndirty_slots;
	out->attrs = b->dirty_attrs;
	out->nattrs = b->ndirty_attrs;
}

void vq_book_changes_clear(vq_book *b)
{
	for (size_t i = 0; i < b->ndirty_tix; i++)
		b->entries[b->dirty_tix[i]].dirty = 0;
	for (size_t i = 0; i < b->ndirty_slots; i++)
		b->attrs[b->dirty_slots[i].attr].slots[b->dirty_slots[i].slot].dirty = 0;
	for (size_t i = 0; i < b->ndirty_attrs; i++)
		b->attrs[b->dirty_attrs[i]].dirty = 0;
	b->ndirty_tix = b->ndirty_slots = b->ndirty_attrs = 0;
}

/* --- tickets --------------------------------------------------------------------- */

static int reserve_entry(vq_book *b)
{
	int rc = grow((void **)&b->entries, &b->capentries, b->nentries + 1, sizeof *b->entries);
	if (rc == VQ_OK)
		rc = guest_reserve(b);
	if (rc == VQ_OK)
		rc = vq_tally_reserve(b->tally, 1);
	return rc;
}

static void seats_add(struct slot *s, int tier, int party)
{
	s->taken += party;
	s->taken_tier[tier] += party;
}

int vq_book_issue(vq_book *b, const vq_request *req, int64_t now, vq_ticket *out)
{
	vq_offer off;
	int rc = vq_book_quote(b, req, now, &off);
	if (rc != VQ_OK)
		return rc;
	if ((rc = reserve_entry(b)) != VQ_OK || (rc = reserve_dirty(b, 1, 1)) != VQ_OK)
		return rc;

	struct attr *at = &b->attrs[req->attr];
	const vq_attraction *cfg = vq_site_attr(b->site, req->attr);
	size_t idx = b->nentries++;
	struct entry *e = &b->entries[idx];
	memset(e, 0, sizeof *e);
	e->attr = req->attr;
	e->slot = off.slot;
	vq_ticket *t = &e->t;
	t->id = b->next_id++;
	memcpy(t->attr, cfg->id, sizeof t->attr);
	t->slot_start = off.slot_start;
	t->win_start = off.win_start;
	t->win_end = off.win_end;
	t->tier = (uint8_t)req->tier;
	t->party = (uint8_t)req->party;
	t->number = (uint16_t)at->st.next_number;
	t->guest = req->guest;
	t->state = VQ_TS_ISSUED;
	t->issued_at = now;
	if (req->by)
		strncpy(t->issued_by, req->by, sizeof t->issued_by - 1);
	at->st.next_number = at->st.next_number >= 999 ? 1 : at->st.next_number + 1;
	guest_link(b, idx);
	tally_in(b, e);
	seats_add(&at->slots[off.slot], req->tier, req->party);
	mark_ticket(b, idx);
	mark_slot(b, req->attr, off.slot);
	mark_attr(b, req->attr);
	*out = *t;
	return VQ_OK;
}

int vq_book_issue_access(vq_book *b, const vq_request *req, int wait_min, int64_t now,
                         vq_ticket *out)
{
	if (!b || !req || !out)
		return VQ_EINVAL;
	if (req->attr < 0 || req->attr >= b->nattrs)
		return VQ_ENOATTR;
	if (req->tier < 0 || req->tier >= vq_site_tier_count(b->site))
		return VQ_ENOTIER;
	const vq_attraction *cfg = vq_site_attr(b->site, req->attr);
	if (req->party < 1 || req->party > cfg->max_party)
		return VQ_EPARTY;
	/* a service desk has no standby line to wait in instead */
	if (cfg->kind != VQ_KIND_RIDE || req->guest == 0 || wait_min < 0)
		return VQ_EINVAL;
	struct attr *at = &b->attrs[req->attr];
	if (at->st.status == VQ_ATTR_CLOSED)
		return VQ_ECLOSED;
	if (at->nslots < 1)
		return VQ_ENOTOPEN;
	int64_t step = (int64_t)cfg->slot_min * 60;
	int64_t open = at->slots[0].start;
	int64_t close = at->slots[at->nslots - 1].start + step;
	/* whole minutes, as a code carries them; rounding down lets a guest whose wait is
	 * nothing go at once */
	int64_t base = now - ((now % 60) + 60) % 60;
	if (base < open)
		base = open;
	int64_t start = base + (int64_t)wait_min * 60;
	if (now >= close || start >= close)
		return VQ_ENOTOPEN;
	if (vq_book_guest_pass(b, req->guest, now))
		return VQ_ELIMIT;
	int rc;
	if ((rc = reserve_entry(b)) != VQ_OK || (rc = reserve_dirty(b, 1, 0)) != VQ_OK)
		return rc;

	size_t idx = b->nentries++;
	struct entry *e = &b->entries[idx];
	memset(e, 0, sizeof *e);
	e->attr = req->attr;
	e->slot = (int)((start - open) / step);
	vq_ticket *t = &e->t;
	t->id = b->next_id++;
	memcpy(t->attr, cfg->id, sizeof t->attr);
	t->slot_start = at->slots[e->slot].start;
	t->win_start = start;
	t->win_end = close;
	t->tier = (uint8_t)req->tier;
	t->party = (uint8_t)req->party;
	t->number = (uint16_t)at->st.next_number;
	t->guest = req->guest;
	t->state = VQ_TS_ISSUED;
	t->issued_at = now;
	t->kind = VQ_TK_ACCESS;
	if (req->by)
		strncpy(t->issued_by, req->by, sizeof t->issued_by - 1);
	at->st.next_number = at->st.next_number >= 999 ? 1 : at->st.next_number + 1;
	guest_link(b, idx);
	tally_in(b, e);
	mark_ticket(b, idx);
	mark_attr(b, req->attr);
	*out = *t;
	return VQ_OK;
}

static struct entry *find_entry(const vq_book *b, uint64_t id, size_t *idx)
{
	size_t lo = 0, hi = b->nentries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t mid_id = b->entries[mid].t.id;
		if (mid_id == id) {
			if (idx)
				*idx = mid;
			return &b->entries[mid];
		}
		if (mid_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const vq_ticket *vq_book_ticket(const vq_book *b, uint64_t id)
{
	const struct entry *e = find_entry(b, id, NULL);
	return e ? &e->t : NULL;
}

size_t vq_book_ticket_count(const vq_book *b)
{
	return b->nentries;
}

const vq_ticket *vq_book_ticket_at(const vq_book *b, size_t i)
{
	return i < b->nentries ? &b->entries[i].t : NULL;
}

int vq_book_cancel(vq_book *b, uint64_t id, int64_t now, vq_ticket *out)
{
	size_t idx;
	struct entry *e = find_entry(b, id, &idx);
	if (!e)
		return VQ_ENOTICKET;
	if (e->t.state != VQ_TS_ISSUED && e->t.state != VQ_TS_ANYTIME)
		return VQ_ESTATE;
	int rc = reserve_dirty(b, 1, 1);
	if (rc != VQ_OK)
		return rc;
	if (e->t.kind == VQ_TK_FAST) {
		struct slot *s = &b->attrs[e->attr].slots[e->slot];
		s->taken -= e->t.party;
		s->taken_tier[e->t.tier] -= e->t.party;
		mark_slot(b, e->attr, e->slot);
	}
	tally_out(b, e);
	e->t.state = VQ_TS_CANCELLED;
	tally_in(b, e);
	mark_ticket(b, idx);
	if (out)
		*out = e->t;
	(void)now;
	return VQ_OK;
}

static void mark_used(vq_book *b, size_t idx, const char *gate_id, int offline, int64_t now)
{
	struct entry *e = &b->entries[idx];
	tally_out(b, e);
	e->t.state = VQ_TS_REDEEMED;
	e->t.used_at = now;
	e->t.used_offline = offline ? 1 : 0;
	memset(e->t.used_gate, 0, sizeof e->t.used_gate);
	if (gate_id)
		strncpy(e->t.used_gate, gate_id, sizeof e->t.used_gate - 1);
	tally_in(b, e);
	mark_ticket(b, idx);
}

int vq_book_redeem(vq_book *b, uint64_t id, const char *gate_attr, const char *gate_id, int offline,
                   int64_t now, vq_verdict *v, vq_ticket *out)
{
	memset(v, 0, sizeof *v);
	size_t idx;
	struct entry *e = find_entry(b, id, &idx);
	if (!e) {
		v->result = VQ_ENOTICKET;
		return VQ_ENOTICKET;
	}
	int ai = gate_attr ? vq_site_attr_find(b->site, gate_attr) : -1;
	int closed = ai >= 0 && b->attrs[ai].st.status == VQ_ATTR_CLOSED;
	int rc = vq_admit_check(b->site, &e->t, gate_attr ? gate_attr : "", closed, now, v);
	if (rc == VQ_OK) {
		int r2 = reserve_dirty(b, 1, 0);
		if (r2 != VQ_OK) {
			v->result = r2;
			return r2;
		}
		mark_used(b, idx, gate_id, offline, now);
	}
	if (out)
		*out = e->t;
	return rc;
}

int vq_book_force_redeem(vq_book *b, uint64_t id, const char *gate_attr, const char *gate_id,
                         int64_t now, vq_ticket *out)
{
	size_t idx;
	struct entry *e = find_entry(b, id, &idx);
	if (!e)
		return VQ_ENOTICKET;
	if (!gate_attr || strcmp(e->t.attr, gate_attr) != 0)
		return VQ_EWRONGATTR;
	if (e->t.state == VQ_TS_REDEEMED)
		return VQ_EUSED;
	if (e->t.state == VQ_TS_CANCELLED)
		return VQ_ECANCELLED;
	int rc = reserve_dirty(b, 1, 0);
	if (rc != VQ_OK)
		return rc;
	mark_used(b, idx, gate_id, 0, now);
	if (out)
		*out = e->t;
	return VQ_OK;
}

int vq_book_backlog(const vq_book *b, int attr, int64_t now)
{
	int guests = 0;
	for (size_t i = 0; i < b->nentries; i++) {
		const struct entry *e = &b->entries[i];
		if (e->attr == attr && e->t.kind == VQ_TK_FAST &&
		    (e->t.state == VQ_TS_ISSUED || e->t.state == VQ_TS_ANYTIME) &&
		    admit_from(b, e) <= now && now < admit_until(b, e))
			guests += e->t.party;
	}
	return guests;
}

void vq_book_backlogs(const vq_book *b, int64_t now, int *out)
{
	memset(out, 0, (size_t)b->nattrs * sizeof *out);
	for (size_t i = 0; i < b->nentries; i++) {
		const struct entry *e = &b->entries[i];
		if (e->t.kind == VQ_TK_FAST &&
		    (e->t.state == VQ_TS_ISSUED || e->t.state == VQ_TS_ANYTIME) &&
		    admit_from(b, e) <= now && now < admit_until(b, e))
			out[e->attr] += e->t.party;
	}
}

void vq_book_noshows(const vq_book *b, int64_t now, vq_noshow *out)
{
	memset(out, 0, (size_t)b->nattrs * sizeof *out);
	for (size_t i = 0; i < b->nentries; i++) {
		const struct entry *e = &b->entries[i];
		if ((e->t.state != VQ_TS_ISSUED && e->t.state != VQ_TS_REDEEMED) ||
		    e->t.kind != VQ_TK_FAST || e->t.valid_from != 0 || admit_until(b, e) > now)
			continue;
		out[e->attr].seats += e->t.party;
		if (e->t.state == VQ_TS_ISSUED)
			out[e->attr].no_shows += e->t.party;
	}
}

/* --- operator actions ------------------------------------------------------------ */

int vq_book_set_capacity(vq_book *b, int attr, const vq_capacity *c, int64_t now)
{
	if (attr < 0 || attr >= b->nattrs)
		return VQ_ENOATTR;
	struct attr *at = &b->attrs[attr];
	vq_attr_state st = at->st;
	if (c->throughput_per_hour >= 0)
		st.throughput_per_hour = c->throughput_per_hour;
	if (c->fast_share_pct >= 0)
		st.fast_share_pct = c->fast_share_pct;
	if (c->overbook_pct >= 0)
		st.overbook_pct = c->overbook_pct;
	if (c->throughput_per_hour == 0 || st.throughput_per_hour < 1 ||
	    st.throughput_per_hour > 100000 || st.fast_share_pct > 100 || st.overbook_pct > 100)
		return VQ_EINVAL;
	const vq_attraction *cfg = vq_site_attr(b->site, attr);
	int cap = slot_cap(&st, cfg->slot_min);
	int changing = 0;
	for (int i = 0; i < at->nslots; i++)
		if (at->slots[i].start > now && at->slots[i].cap != cap)
			changing++;
	int rc = reserve_dirty(b, 0, (size_t)changing);
	if (rc != VQ_OK)
		return rc;
	at->st = st;
	for (int i = 0; i < at->nslots; i++) {
		if (at->slots[i].start > now && at->slots[i].cap != cap) {
			at->slots[i].cap = cap;
			mark_slot(b, attr, i);
		}
	}
	mark_attr(b, attr);
	return VQ_OK;
}

int vq_book_close(vq_book *b, int attr, int64_t now)
{
	if (attr < 0 || attr >= b->nattrs)
		return VQ_ENOATTR;
	struct attr *at = &b->attrs[attr];
	if (at->st.status == VQ_ATTR_CLOSED)
		return VQ_ESTATE;
	at->st.status = VQ_ATTR_CLOSED;
	at->st.closed_at = now;
	mark_attr(b, attr);
	return VQ_OK;
}

int vq_book_reopen(vq_book *b, int attr, int64_t now, size_t *converted)
{
	if (attr < 0 || attr >= b->nattrs)
		return VQ_ENOATTR;
	struct attr *at = &b->attrs[attr];
	if (at->st.status != VQ_ATTR_CLOSED)
		return VQ_ESTATE;
	int64_t close_of_day = at->closes;
	/* A ticket is affected when its admission interval met the closure [closed_at, now). */
	size_t n = 0;
	for (size_t i = 0; i < b->nentries; i++) {
		const struct entry *e = &b->entries[i];
		if (e->attr == attr && e->t.state == VQ_TS_ISSUED && admit_from(b, e) < now &&
		    admit_until(b, e) > at->st.closed_at)
			n++;
	}
	int rc = reserve_dirty(b, n, 0);
	if (rc != VQ_OK)
		return rc;
	for (size_t i = 0; i < b->nentries; i++) {
		struct entry *e = &b->entries[i];
		if (e->attr == attr && e->t.state == VQ_TS_ISSUED && admit_from(b, e) < now &&
		    admit_until(b, e) > at->st.closed_at) {
			tally_out(b, e);
			e->t.state = VQ_TS_ANYTIME;
			e->t.valid_from = now;
			e->t.valid_until = close_of_day > now ? close_of_day : now;
			tally_in(b, e);
			mark_ticket(b, i);
		}
	}
	at->st.status = VQ_ATTR_OPEN;
	at->st.reopened_at = now;
	mark_attr(b, attr);
	if (converted)
		*converted = n;
	return VQ_OK;
}

/* --- views ----------------------------------------------------------------------- */

const vq_attr_state *vq_book_attr_state(const vq_book *b, int attr)
{
	return attr >= 0 && attr < b->nattrs ? &b->attrs[attr].st : NULL;
}

int vq_book_slot_count(const vq_book *b, int attr)
{
	return attr >= 0 && attr < b->nattrs ? b->attrs[attr].nslots : 0;
}

int vq_book_slot(const vq_book *b, int attr, int slot, vq_slot_view *out)
{
	if (attr < 0 || attr >= b->nattrs)
		return VQ_ENOATTR;
	if (slot < 0 || slot >= b->attrs[attr].nslots)
		return VQ_EINVAL;
	const struct slot *s = &b->attrs[attr].slots[slot];
	out->start = s->start;
	out->cap = s->cap;
	out->taken = s->taken;
	memcpy(out->taken_tier, s->taken_tier, sizeof out->taken_tier);
	return VQ_OK;
}

/* --- restore --------------------------------------------------------------------- */

int vq_book_restore_attr(vq_book *b, int attr, const vq_attr_state *st)
{
	if (attr < 0 || attr >= b->nattrs)
		return VQ_ENOATTR;
	if ((st->status != VQ_ATTR_OPEN && st->status != VQ_ATTR_CLOSED) ||
	    st->throughput_per_hour < 1 || st->fast_share_pct < 0 || st->fast_share_pct > 100 ||
	    st->overbook_pct < 0 || st->overbook_pct > 100 || st->next_number < 1 ||
	    st->next_number > 999)
		return VQ_EINVAL;
	b->attrs[attr].st = *st;
	return VQ_OK;
}

int vq_book_restore_slot_cap(vq_book *b, int attr, int slot, int cap)
{
	if (attr < 0 || attr >= b->nattrs)
		return VQ_ENOATTR;
	if (slot < 0 || slot >= b->attrs[attr].nslots || cap < 0)
		return VQ_EINVAL;
	b->attrs[attr].slots[slot].cap = cap;
	return VQ_OK;
}

int vq_book_restore_ticket(vq_book *b, const vq_ticket *t)
{
	int a = vq_site_attr_find(b->site, t->attr);
	if (a < 0)
		return VQ_ENOATTR;
	if (t->tier >= vq_site_tier_count(b->site))
		return VQ_ENOTIER;
	if (t->id == 0 || (b->nentries && t->id <= b->entries[b->nentries - 1].t.id) ||
	    t->state > VQ_TS_ANYTIME || t->party < 1 || t->kind > VQ_TK_ACCESS)
		return VQ_EINVAL;
	const vq_attraction *cfg = vq_site_attr(b->site, a);
	int64_t off = t->slot_start - b->attrs[a].opens;
	int64_t step = (int64_t)cfg->slot_min * 60;
	if (off < 0 || off % step != 0 || off / step >= b->attrs[a].nslots)
		return VQ_EINVAL;
	int rc = reserve_entry(b);
	if (rc != VQ_OK)
		return rc;
	size_t idx = b->nentries++;
	struct entry *e = &b->entries[idx];
	memset(e, 0, sizeof *e);
	e->t = *t;
	e->attr = a;
	e->slot = (int)(off / step);
	guest_link(b, idx);
	tally_in(b, e);
	if (t->state != VQ_TS_CANCELLED && t->kind == VQ_TK_FAST)
		seats_add(&b->attrs[a].slots[e->slot], t->tier, t->party);
	if (t->id >= b->next_id)
		b->next_id = t->id + 1;
	return VQ_OK;
}
