/* tests/test_tally.c — the book's running counts of backlog and no-shows (core/tally.h):
 * the tally alone and the book's counts at hand-checked instants, then a seeded
 * differential test (seed printed) against the book's full scans (vq_book_backlogs,
 * vq_book_noshows, kept as the oracle): every call that changes a book, at instants that
 * also go back, each first tried with the allocator starved so that a refusal with
 * VQ_ENOMEM must leave the counts as they were, and books rebuilt row by row. */
#include "core/book.h"
#include "core/mem.h"
#include "core/tally.h"
#include "support/fixtures.h"
#include "support/tutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t DAY = VQ_TEST_DAY;
#define AT(h, m) (DAY + (int64_t)(h)*3600 + (int64_t)(m)*60)
#define NATTR    3

static vq_site *site;

static void setup(void)
{
	char err[256];
	int rc = vq_site_parse(VQ_TEST_SITE, strlen(VQ_TEST_SITE), &site, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "site: %s", err);
}

static void teardown(void)
{
	vq_site_free(site);
	site = NULL;
}

static vq_book *new_book(void)
{
	vq_book *b = NULL;
	ck_assert_int_eq(vq_book_new(site, vq_test_day(DAY), 1, &b), VQ_OK);
	return b;
}

/* Only a failure may cost anything in loops that run this often. */
#define REQUIRE(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

/* The kept counts at now equal the full scans at now. */
static void same_as_scan(vq_book *b, int64_t now, uint64_t seed, int step)
{
	int kept[NATTR], scan[NATTR];
	vq_noshow kept_ns[NATTR], scan_ns[NATTR];
	vq_book_tallies(b, now, kept, kept_ns);
	vq_book_backlogs(b, now, scan);
	vq_book_noshows(b, now, scan_ns);
	for (int a = 0; a < NATTR; a++) {
		REQUIRE(
		    kept[a] == scan[a], "seed %llu step %d at %lld: attr %d backlog %d, scan %d",
		    (unsigned long long)seed, step, (long long)(now - DAY), a, kept[a], scan[a]);
		REQUIRE(kept_ns[a].seats == scan_ns[a].seats &&
		            kept_ns[a].no_shows == scan_ns[a].no_shows,
		        "seed %llu step %d at %lld: attr %d no-shows %lld/%lld, scan %lld/%lld",
		        (unsigned long long)seed, step, (long long)(now - DAY), a,
		        (long long)kept_ns[a].no_shows, (long long)kept_ns[a].seats,
		        (long long)scan_ns[a].no_shows, (long long)scan_ns[a].seats);
	}
}

/* The tally alone: parts of one interval share a group; counts move with the cursor. */
START_TEST(test_parts_and_cursor)
{
	vq_tally *t = NULL;
	ck_assert_int_eq(vq_tally_new(2, &t), VQ_OK);
	ck_assert_int_eq(vq_tally_reserve(t, 2), VQ_OK);
	vq_tally_part p = {
	    .attr = 0, .from = 100, .until = 200, .backlog = 3, .seats = 3, .no_shows = 3};
	int32_t g = vq_tally_add(t, &p);
	vq_tally_part q = p;
	q.backlog = 0; /* redeemed: ended seats, no backlog, no no-show */
	q.no_shows = 0;
	q.seats = 2;
	ck_assert_int_eq(vq_tally_add(t, &q), g);
	vq_tally_part r = {.attr = 1, .from = 150, .until = 300, .backlog = 4};
	int32_t h = vq_tally_add(t, &r);
	ck_assert_int_ne(h, g);
	ck_assert_uint_eq(vq_tally_groups(t), 2);
	int bl[2];
	vq_noshow ns[2];
	vq_tally_at(t, 99, bl, ns);
	ck_assert_int_eq(bl[0], 0);
	vq_tally_at(t, 100, bl, ns);
	ck_assert_int_eq(bl[0], 3);
	ck_assert_int_eq(bl[1], 0);
	vq_tally_at(t, 199, bl, ns);
	ck_assert_int_eq(bl[0], 3);
	ck_assert_int_eq(bl[1], 4);
	ck_assert_int_eq(ns[0].seats, 0);
	vq_tally_at(t, 200, bl, ns);
	ck_assert_int_eq(bl[0], 0);
	ck_assert_int_eq(ns[0].seats, 5);
	ck_assert_int_eq(ns[0].no_shows, 3);
	/* a part taken away at the cursor leaves its counts at once */
	vq_tally_sub(t, g, &p);
	vq_tally_at(t, 200, bl, ns);
	ck_assert_int_eq(ns[0].seats, 2);
	ck_assert_int_eq(ns[0].no_shows, 0);
	/* and back in time */
	vq_tally_at(t, 120, bl, ns);
	ck_assert_int_eq(bl[0], 0);
	ck_assert_int_eq(bl[1], 0);
	ck_assert_int_eq(ns[0].seats, 0);
	vq_tally_at(t, 299, bl, ns);
	ck_assert_int_eq(bl[1], 4);
	vq_tally_at(t, 300, bl, NULL);
	ck_assert_int_eq(bl[1], 0);
	vq_tally_free(t);
	vq_tally_free(NULL);
}
END_TEST

/* The book's counts at hand-checked instants, as vq_book_noshows' own example has them. */
START_TEST(test_book_example)
{
	vq_book *b = new_book();
	vq_request q = {.attr = 0, .tier = 0, .party = 2};
	vq_ticket t1, t2, t3;
	int64_t now = AT(9, 0);
	ck_assert_int_eq(vq_book_issue(b, &q, now, &t1), VQ_OK); /* 09:00-10:00, grace 10 */
	q.party = 3;
	ck_assert_int_eq(vq_book_issue(b, &q, now, &t2), VQ_OK);
	int bl[NATTR];
	vq_noshow ns[NATTR];
	vq_book_tallies(b, AT(9, 30), bl, ns);
	ck_assert_int_eq(bl[0], 5);
	vq_verdict v;
	ck_assert_int_eq(vq_book_redeem(b, t2.id, "coaster", "g", 0, AT(9, 31), &v, NULL), VQ_OK);
	vq_book_tallies(b, AT(9, 31), bl, ns);
	ck_assert_int_eq(bl[0], 2);
	q.party = 4;
	ck_assert_int_eq(vq_book_issue(b, &q, now, &t3), VQ_OK);
	ck_assert_int_eq(vq_book_cancel(b, t3.id, now, NULL), VQ_OK);
	vq_book_tallies(b, AT(10, 10), bl, ns);
	ck_assert_int_eq(bl[0], 0);
	ck_assert_int_eq(ns[0].seats, 5);
	ck_assert_int_eq(ns[0].no_shows, 2);
	same_as_scan(b, AT(10, 9), 0, 0);
	vq_book_free(b);
}
END_TEST

static const uint64_t SEEDS[] = {1, 2, 3, 20261203, 0xfeedface, 424242};

/* A random instant to ask about: mostly now, sometimes anywhere in the day or around it. */
static int64_t ask_at(tu_rng *rng, int64_t now)
{
	uint32_t k = tu_rng_below(rng, 10);
	if (k < 6)
		return now;
	if (k < 8)
		return now - 600 + tu_rng_below(rng, 1200);
	return DAY - 3600 + (int64_t)tu_rng_below(rng, 28 * 3600);
}

/* Every call that changes a book, chosen and filled in before it is made, so that a call
 * refused for want of memory can be made again exactly. */
enum op_kind {
	OP_ISSUE,
	OP_ACCESS,
	OP_CANCEL,
	OP_REDEEM,
	OP_REDEEM_OFFLINE, /* a gate's sync: admitted earlier, told now */
	OP_FORCE,
	OP_CLOSE,
	OP_REOPEN,
	OP_CAPACITY,
	OP_RESTORE_TICKET,
	OP_RESTORE_ATTR,
	OP_RESTORE_CAP,
	OP_CLEAR, /* the batch's rows written: vq_book_changes, vq_book_changes_clear */
	OP_KINDS
};

typedef struct op {
	int kind;
	int64_t now;
	vq_request req;
	int wait_min;
	uint64_t id;
	const char *gate_attr;
	int attr, slot, cap;
	vq_capacity capacity;
	vq_attr_state st;
	vq_ticket t;
} op;

/* An instant for a call: the clock mostly, often earlier, now and then anywhere. */
static int64_t op_now(tu_rng *rng, int64_t clock)
{
	uint32_t k = tu_rng_below(rng, 20);
	if (k < 14)
		return clock;
	if (k < 18)
		return clock - (int64_t)tu_rng_below(rng, 2 * 3600);
	return DAY - 3600 + (int64_t)tu_rng_below(rng, 28 * 3600);
}

static op make_op(tu_rng *rng, const vq_book *b, int64_t clock)
{
	static const int weight[OP_KINDS] = {
	    [OP_ISSUE] = 40,         [OP_ACCESS] = 3,         [OP_CANCEL] = 8,
	    [OP_REDEEM] = 14,        [OP_REDEEM_OFFLINE] = 5, [OP_FORCE] = 3,
	    [OP_CLOSE] = 3,          [OP_REOPEN] = 3,         [OP_CAPACITY] = 3,
	    [OP_RESTORE_TICKET] = 6, [OP_RESTORE_ATTR] = 2,   [OP_RESTORE_CAP] = 2,
	    [OP_CLEAR] = 8};
	int total = 0;
	for (int k = 0; k < OP_KINDS; k++)
		total += weight[k];
	int pick = (int)tu_rng_below(rng, (uint32_t)total);
	op o = {0};
	while (pick >= weight[o.kind])
		pick -= weight[o.kind++];
	o.now = op_now(rng, clock);
	o.attr = (int)tu_rng_below(rng, NATTR);
	size_t count = vq_book_ticket_count(b);
	const vq_ticket *some =
	    count ? vq_book_ticket_at(b, tu_rng_below(rng, (uint32_t)count)) : NULL;
	o.id = some ? some->id : 1;
	o.gate_attr = some && tu_rng_below(rng, 8) ? some->attr : vq_site_attr(site, o.attr)->id;
	switch (o.kind) {
	case OP_ISSUE:
		o.req = (vq_request){.attr = o.attr,
		                     .tier = (int)tu_rng_below(rng, 4),
		                     .party = 1 + (int)tu_rng_below(rng, 4),
		                     .guest = 1 + tu_rng_below(rng, 500)};
		break;
	case OP_ACCESS:
		o.req = (vq_request){
		    .attr = o.attr, .tier = 0, .party = 1, .guest = 1000 + tu_rng_below(rng, 100)};
		o.wait_min = (int)tu_rng_below(rng, 60);
		break;
	case OP_REDEEM:
		/* at the ticket's own window half the time, so that most redemptions pass */
		if (some && tu_rng_below(rng, 2))
			o.now = some->win_start + (int64_t)tu_rng_below(rng, 3600);
		break;
	case OP_REDEEM_OFFLINE:
		if (some)
			o.now = some->win_start - 300 + (int64_t)tu_rng_below(rng, 5400);
		break;
	case OP_CAPACITY:
		o.capacity = (vq_capacity){.throughput_per_hour = 100 + (int)tu_rng_below(rng, 900),
		                           .fast_share_pct = (int)tu_rng_below(rng, 101),
		                           .overbook_pct = (int)tu_rng_below(rng, 40) - 1};
		break;
	case OP_RESTORE_TICKET: {
		/* a ticket told by the store: any state, kind and window of a real slot */
		int64_t opens, closes;
		vq_book_hours(b, o.attr, &opens, &closes);
		int nslots = vq_book_slot_count(b, o.attr);
		vq_slot_view v;
		vq_book_slot(b, o.attr, (int)tu_rng_below(rng, (uint32_t)nslots), &v);
		vq_ticket *t = &o.t;
		t->id = vq_book_next_ticket_id(b) + tu_rng_below(rng, 3);
		memcpy(t->attr, vq_site_attr(site, o.attr)->id, sizeof t->attr);
		t->slot_start = v.start;
		t->win_start = v.start + 60 * (int64_t)tu_rng_below(rng, 10);
		t->win_end = t->win_start + 60 * (int64_t)(15 + tu_rng_below(rng, 60));
		t->tier = (uint8_t)tu_rng_below(rng, 4);
		t->party = (uint8_t)(1 + tu_rng_below(rng, 4));
		t->guest = 1 + tu_rng_below(rng, 500);
		t->state = (uint8_t)tu_rng_below(rng, 4);
		t->kind = tu_rng_below(rng, 8) ? VQ_TK_FAST : VQ_TK_ACCESS;
		if (t->state == VQ_TS_ANYTIME || tu_rng_below(rng, 6) == 0) {
			t->valid_from = o.now;
			t->valid_until = o.now + (int64_t)tu_rng_below(rng, 6 * 3600);
		}
		t->issued_at = o.now;
		break;
	}
	case OP_RESTORE_ATTR:
		o.st = *vq_book_attr_state(b, o.attr);
		o.st.status = (int)tu_rng_below(rng, 2);
		o.st.closed_at = o.st.status == VQ_ATTR_CLOSED ? o.now : o.st.closed_at;
		break;
	case OP_RESTORE_CAP:
		o.slot = (int)tu_rng_below(rng, (uint32_t)vq_book_slot_count(b, o.attr));
		o.cap = (int)tu_rng_below(rng, 200);
		break;
	default:
		break;
	}
	return o;
}

static int apply_op(vq_book *b, const op *o)
{
	vq_ticket t;
	vq_verdict v;
	vq_changes ch;
	switch (o->kind) {
	case OP_ISSUE:
		return vq_book_issue(b, &o->req, o->now, &t);
	case OP_ACCESS:
		return vq_book_issue_access(b, &o->req, o->wait_min, o->now, &t);
	case OP_CANCEL:
		return vq_book_cancel(b, o->id, o->now, &t);
	case OP_REDEEM:
	case OP_REDEEM_OFFLINE:
		return vq_book_redeem(b, o->id, o->gate_attr, "g", o->kind == OP_REDEEM_OFFLINE,
		                      o->now, &v, &t);
	case OP_FORCE:
		return vq_book_force_redeem(b, o->id, o->gate_attr, "staff", o->now, &t);
	case OP_CLOSE:
		return vq_book_close(b, o->attr, o->now);
	case OP_REOPEN:
		return vq_book_reopen(b, o->attr, o->now, NULL);
	case OP_CAPACITY:
		return vq_book_set_capacity(b, o->attr, &o->capacity, o->now);
	case OP_RESTORE_TICKET:
		return vq_book_restore_ticket(b, &o->t);
	case OP_RESTORE_ATTR:
		return vq_book_restore_attr(b, o->attr, &o->st);
	case OP_RESTORE_CAP:
		return vq_book_restore_slot_cap(b, o->attr, o->slot, o->cap);
	default:
		vq_book_changes(b, &ch);
		vq_book_changes_clear(b);
		return VQ_OK;
	}
}

#define NASK 4

/* The kept counts at some instants, to show a refused call changed none of them. */
typedef struct snapshot {
	int64_t at[NASK];
	int backlog[NASK][NATTR];
	vq_noshow noshow[NASK][NATTR];
	size_t tickets;
} snapshot;

static void take(vq_book *b, const int64_t at[NASK], snapshot *s)
{
	memcpy(s->at, at, sizeof s->at);
	for (int k = 0; k < NASK; k++)
		vq_book_tallies(b, at[k], s->backlog[k], s->noshow[k]);
	s->tickets = vq_book_ticket_count(b);
}

static void same_snapshot(vq_book *b, const snapshot *before, uint64_t seed, int step, int kind)
{
	snapshot after;
	take(b, before->at, &after);
	REQUIRE(memcmp(before->backlog, after.backlog, sizeof after.backlog) == 0 &&
	            memcmp(before->noshow, after.noshow, sizeof after.noshow) == 0 &&
	            before->tickets == after.tickets,
	        "seed %llu step %d: op %d refused for memory changed the counts",
	        (unsigned long long)seed, step, kind);
}

/* A book rebuilt from another's rows, as vqd does after a failed commit or a tier change,
 * each restore first tried starved; it counts as the original's full scans do. */
static void rebuild_and_compare(vq_book *b, tu_rng *rng, int64_t clock, uint64_t seed, int step,
                                int *nomem)
{
	vq_book *c = new_book();
	for (int a = 0; a < NATTR; a++) {
		REQUIRE(vq_book_restore_attr(c, a, vq_book_attr_state(b, a)) == VQ_OK,
		        "seed %llu step %d: restore attr %d", (unsigned long long)seed, step, a);
		for (int s = 0; s < vq_book_slot_count(b, a); s++) {
			vq_slot_view v;
			vq_book_slot(b, a, s, &v);
			vq_book_restore_slot_cap(c, a, s, v.cap);
		}
	}
	for (size_t i = 0; i < vq_book_ticket_count(b); i++) {
		int64_t at[NASK] = {clock, ask_at(rng, clock), ask_at(rng, clock),
		                    ask_at(rng, clock)};
		snapshot before;
		take(c, at, &before);
		vq_mem_fail_after(1 + tu_rng_below(rng, 3));
		int rc = vq_book_restore_ticket(c, vq_book_ticket_at(b, i));
		vq_mem_fail_after(0);
		if (rc == VQ_ENOMEM) {
			++*nomem;
			same_snapshot(c, &before, seed, step, OP_RESTORE_TICKET);
			rc = vq_book_restore_ticket(c, vq_book_ticket_at(b, i));
		}
		REQUIRE(rc == VQ_OK, "seed %llu step %d: restore %zu: %d", (unsigned long long)seed,
		        step, i, rc);
	}
	for (int k = 0; k < 20; k++) {
		int64_t now = ask_at(rng, clock);
		int kept[NATTR], scan[NATTR];
		vq_noshow kept_ns[NATTR], scan_ns[NATTR];
		vq_book_tallies(c, now, kept, kept_ns);
		vq_book_backlogs(b, now, scan);
		vq_book_noshows(b, now, scan_ns);
		REQUIRE(memcmp(kept, scan, sizeof kept) == 0 &&
		            memcmp(kept_ns, scan_ns, sizeof kept_ns) == 0,
		        "seed %llu step %d: the rebuilt book counts otherwise at %lld",
		        (unsigned long long)seed, step, (long long)(now - DAY));
	}
	vq_book_free(c);
}

/* The differential test: every call that changes a book, in a long random sequence at
 * instants that also go back, each first tried with the allocator starved a few
 * allocations ahead. After every call the kept counts equal the full scans (at the call's
 * instant and at another), and a call refused with VQ_ENOMEM left them as they were. A
 * hook missing from any path that changes what a ticket counts fails it. */
START_TEST(test_random_days)
{
	uint64_t seed = SEEDS[_i];
	fprintf(stderr, "test_random_days: seed %llu\n", (unsigned long long)seed);
	tu_rng rng = {seed};
	vq_book *b = new_book();
	int64_t clock = AT(8, 30);
	int ok[OP_KINDS] = {0}, nomem = 0;
	for (int step = 0; step < 6000; step++) {
		clock += tu_rng_below(&rng, 12); /* ~10 hours over the run */
		op o = make_op(&rng, b, clock);
		int64_t at[NASK] = {o.now, ask_at(&rng, clock), ask_at(&rng, o.now),
		                    DAY - 3600 + (int64_t)tu_rng_below(&rng, 28 * 3600)};
		snapshot before;
		take(b, at, &before);
		vq_mem_fail_after(1 + tu_rng_below(&rng, 3));
		int rc = apply_op(b, &o);
		vq_mem_fail_after(0);
		if (rc == VQ_ENOMEM) {
			nomem++;
			same_snapshot(b, &before, seed, step, o.kind);
			same_as_scan(b, o.now, seed, step);
			rc = apply_op(b, &o);
		}
		ok[o.kind] += rc == VQ_OK;
		same_as_scan(b, o.now, seed, step);
		same_as_scan(b, ask_at(&rng, clock), seed, step);
		if (step % 1000 == 999)
			rebuild_and_compare(b, &rng, clock, seed, step, &nomem);
	}
	fprintf(stderr,
	        "seed %llu: %d issued, %d passes, %d cancelled, %d redeemed, %d offline, %d "
	        "forced, %d closed, %d reopened, %d capacity, %d restored, %d attr, %d cap, "
	        "%d refused for memory\n",
	        (unsigned long long)seed, ok[OP_ISSUE], ok[OP_ACCESS], ok[OP_CANCEL], ok[OP_REDEEM],
	        ok[OP_REDEEM_OFFLINE], ok[OP_FORCE], ok[OP_CLOSE], ok[OP_REOPEN], ok[OP_CAPACITY],
	        ok[OP_RESTORE_TICKET], ok[OP_RESTORE_ATTR], ok[OP_RESTORE_CAP], nomem);
	for (int k = 0; k < OP_KINDS; k++)
		REQUIRE(ok[k] > 10, "seed %llu: op %d succeeded only %d times",
		        (unsigned long long)seed, k, ok[k]);
	REQUIRE(nomem > 10, "seed %llu: only %d calls were refused for memory",
	        (unsigned long long)seed, nomem);
	vq_book_free(b);
}
END_TEST

static Suite *tally_suite(void)
{
	Suite *s = suite_create("tally");
	TCase *tc = tcase_create("tally");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_parts_and_cursor);
	tcase_add_test(tc, test_book_example);
	tcase_add_loop_test(tc, test_random_days, 0, (int)(sizeof SEEDS / sizeof SEEDS[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tally_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
