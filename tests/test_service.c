/* tests/test_service.c — the book and the store together, as vqd drives them: batches,
 * request ids, commits that fail, and reopening. The seeded random run checks after every
 * batch that the same request id always got the same answer, that a ticket admitted once,
 * and that reopening the database rebuilds exactly the book that was in memory. */
#include "coordinator/service.h"
#include "support/fixtures.h"
#include "support/tutil.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t DAY = VQ_TEST_DAY;
#define AT(h, m) (DAY + (int64_t)(h)*3600 + (int64_t)(m)*60)

static vq_site *site;
static char *dir;
static char dbpath[512];

static void setup(void)
{
	char err[256];
	ck_assert_msg(vq_site_parse(VQ_TEST_SITE, strlen(VQ_TEST_SITE), &site, err, sizeof err) == VQ_OK,
	              "%s", err);
	dir = tu_tempdir("svc");
	ck_assert_ptr_nonnull(dir);
	snprintf(dbpath, sizeof dbpath, "%s/vq.db", dir);
}

static void teardown(void)
{
	vq_store_fail_io_after(0);
	vq_site_free(site);
	tu_rmtree(dir);
	free(dir);
}

static vq_service *open_svc(void)
{
	vq_service *svc = NULL;
	char err[256] = "";
	int rc = vq_service_open(site, dbpath, DAY, &svc, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "open: %s %s", vq_strerror(rc), err);
	return svc;
}

/* Check's assertions report every pass; comparisons of whole books must cost nothing
 * unless they fail. */
#define REQUIRE(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

static void ticket_eq(const vq_ticket *a, const vq_ticket *b, const char *ctx)
{
	REQUIRE(a->id == b->id && !strcmp(a->attr, b->attr) && a->slot_start == b->slot_start &&
	            a->win_start == b->win_start && a->win_end == b->win_end &&
	            a->tier == b->tier && a->party == b->party && a->number == b->number &&
	            a->guest == b->guest && a->state == b->state && a->issued_at == b->issued_at &&
	            a->valid_from == b->valid_from && a->valid_until == b->valid_until &&
	            a->used_at == b->used_at && !strcmp(a->used_gate, b->used_gate) &&
	            a->used_offline == b->used_offline,
	        "%s: ticket %" PRIu64 " differs", ctx, a->id);
}

/* Two books hold the same day: tickets, slots, attraction states. */
static void book_eq(const vq_book *x, const vq_book *y, const char *ctx)
{
	REQUIRE(vq_book_ticket_count(x) == vq_book_ticket_count(y), "%s: %zu vs %zu tickets", ctx,
	        vq_book_ticket_count(x), vq_book_ticket_count(y));
	REQUIRE(vq_book_next_ticket_id(x) == vq_book_next_ticket_id(y), "%s: next id", ctx);
	for (size_t i = 0; i < vq_book_ticket_count(x); i++)
		ticket_eq(vq_book_ticket_at(x, i), vq_book_ticket_at(y, i), ctx);
	for (int a = 0; a < vq_site_attr_count(site); a++) {
		const vq_attr_state *p = vq_book_attr_state(x, a), *q = vq_book_attr_state(y, a);
		REQUIRE(p->status == q->status && p->closed_at == q->closed_at &&
		            p->reopened_at == q->reopened_at &&
		            p->throughput_per_hour == q->throughput_per_hour &&
		            p->fast_share_pct == q->fast_share_pct &&
		            p->overbook_pct == q->overbook_pct && p->next_number == q->next_number,
		        "%s: attraction %d state differs", ctx, a);
		for (int s = 0; s < vq_book_slot_count(x, a); s++) {
			vq_slot_view v, w;
			vq_book_slot(x, a, s, &v);
			vq_book_slot(y, a, s, &w);
			REQUIRE(v.start == w.start && v.cap == w.cap && v.taken == w.taken &&
			            !memcmp(v.taken_tier, w.taken_tier, sizeof v.taken_tier),
			        "%s: slot %d/%d differs", ctx, a, s);
		}
	}
}

/* A book that mirrors the service's, built from scratch out of the store. */
static vq_book *reload(vq_service *svc)
{
	uint64_t next;
	vq_book *b = NULL;
	ck_assert_int_eq(vq_store_next_ticket_id(vq_service_store(svc), &next), VQ_OK);
	ck_assert_int_eq(vq_book_new(site, DAY, next, &b), VQ_OK);
	ck_assert_int_eq(vq_store_load_day(vq_service_store(svc), b), VQ_OK);
	return b;
}

/* What vqd does with one issue request: answer a known id from the store, else decide,
 * remember and (at commit) persist. */
static int issue_once(vq_service *svc, const char *rid, const vq_request *r, int64_t now,
                      char *reply, size_t replylen)
{
	char *prev = NULL;
	size_t plen = 0;
	if (vq_service_recall(svc, rid, &prev, &plen) == VQ_OK) {
		snprintf(reply, replylen, "%s", prev);
		free(prev);
		return 1;
	}
	vq_ticket t;
	int rc = vq_book_issue(vq_service_book(svc), r, now, &t);
	if (rc == VQ_OK)
		snprintf(reply, replylen, "ticket %" PRIu64 " %" PRId64, t.id, t.slot_start);
	else
		snprintf(reply, replylen, "error %s", vq_errname(rc));
	ck_assert_int_eq(vq_service_remember(svc, rid, "issue", reply, strlen(reply), now), VQ_OK);
	return 0;
}

START_TEST(test_issue_commit_reopen)
{
	vq_service *svc = open_svc();
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	vq_request r = {.attr = 0, .tier = 2, .party = 3, .guest = 11};
	char a[128], b[128];
	ck_assert_int_eq(issue_once(svc, "k1-0001", &r, AT(9, 0), a, sizeof a), 0);
	/* the same id inside the same batch is already answered */
	ck_assert_int_eq(issue_once(svc, "k1-0001", &r, AT(9, 0), b, sizeof b), 1);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 1);
	vq_service_free(svc);

	svc = open_svc();
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 1);
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(issue_once(svc, "k1-0001", &r, AT(9, 5), b, sizeof b), 1);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 1);
	vq_service_free(svc);
}
END_TEST

START_TEST(test_rollback_forgets)
{
	vq_service *svc = open_svc();
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	vq_request r = {.attr = 1, .tier = 0, .party = 1, .guest = 0};
	char a[128];
	issue_once(svc, "x", &r, AT(10, 0), a, sizeof a);
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 1);
	ck_assert_int_eq(vq_service_rollback(svc), VQ_OK);
	ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), 0);
	char *prev;
	size_t n;
	ck_assert_int_eq(vq_service_recall(svc, "x", &prev, &n), VQ_ENOTFOUND);
	vq_service_free(svc);
}
END_TEST

START_TEST(test_redeem_once)
{
	vq_service *svc = open_svc();
	vq_ticket t;
	vq_verdict v;
	vq_request r = {.attr = 0, .tier = 0, .party = 2, .guest = 0};
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_service_redeem(svc, t.id, "coaster", "gate-1", 0, AT(9, 20), &v, NULL),
	                 VQ_OK);
	ck_assert_int_eq(vq_service_redeem(svc, t.id, "coaster", "gate-2", 0, AT(9, 21), &v, NULL),
	                 VQ_EUSED);
	ck_assert_str_eq(v.used_gate, "gate-1");
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	vq_ticket st;
	ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), t.id, &st), VQ_OK);
	ck_assert_int_eq(st.state, VQ_TS_REDEEMED);
	ck_assert_str_eq(st.used_gate, "gate-1");

	/* staff override: far too early, still admitted once, and durable */
	vq_ticket o;
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_service_override(svc, t.id, "gate-9", AT(9, 1), &o), VQ_OK);
	ck_assert_int_eq(vq_service_override(svc, t.id, "gate-9", AT(9, 1), &o), VQ_EUSED);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	ck_assert_int_eq(vq_store_get_ticket(vq_service_store(svc), t.id, &st), VQ_OK);
	ck_assert_int_eq(st.state, VQ_TS_REDEEMED);
	ck_assert_str_eq(st.used_gate, "gate-9");
	vq_service_free(svc);
}
END_TEST

/* A commit whose writes fail leaves neither the disk nor the memory changed. */
START_TEST(test_failed_commit_rebuilds)
{
	vq_service *svc = open_svc();
	vq_request r = {.attr = 0, .tier = 1, .party = 2, .guest = 5};
	vq_ticket t;
	ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
	ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &r, AT(9, 0), &t), VQ_OK);
	ck_assert_int_eq(vq_service_commit(svc), VQ_OK);
	int failures = 0;
	for (unsigned long n = 1; n <= 12; n++) {
		ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
		vq_request q = {.attr = 2, .tier = 3, .party = 1, .guest = 100 + n};
		ck_assert_int_eq(vq_book_issue(vq_service_book(svc), &q, AT(9, 0), &t), VQ_OK);
		size_t before = vq_book_ticket_count(vq_service_book(svc));
		vq_store_fail_io_after(n);
		int rc = vq_service_commit(svc);
		vq_store_fail_io_after(0);
		if (rc != VQ_OK) {
			failures++;
			ck_assert_int_eq(rc, VQ_ESTORE);
			ck_assert_ptr_nonnull(vq_service_book(svc));
			ck_assert_int_eq(vq_book_ticket_count(vq_service_book(svc)), before - 1);
		}
		vq_book *disk = reload(svc);
		book_eq(vq_service_book(svc), disk, "after a faulty commit");
		vq_book_free(disk);
	}
	ck_assert_int_gt(failures, 0);
	vq_service_free(svc);
}
END_TEST

/* --- randomized --------------------------------------------------------------------- */

static const uint64_t SEEDS[] = {7, 11, 20261123, 0xfeedface};
#define STEPS    10000
#define MAX_RIDS 12000

struct rid_answer {
	char reply[64];
	int known;
};

START_TEST(test_random_batches)
{
	uint64_t seed = SEEDS[_i];
	tu_rng rng = {seed};
	vq_service *svc = open_svc();
	struct rid_answer *answers = calloc(MAX_RIDS, sizeof *answers);
	struct rid_answer *pending = calloc(MAX_RIDS, sizeof *pending);
	unsigned char *admitted = calloc(STEPS + 10, 1);
	unsigned char *admitted_pending = calloc(STEPS + 10, 1);
	int nrids = 0, step = 0, batches = 0, failed_batches = 0, reopens = 0, replays = 0;
	int64_t now = AT(8, 30);
	while (step < STEPS) {
		int size = 1 + (int)tu_rng_below(&rng, 24);
		int inject = tu_rng_below(&rng, 40) == 0;
		ck_assert_int_eq(vq_service_begin(svc), VQ_OK);
		memset(pending, 0, MAX_RIDS * sizeof *pending);
		memset(admitted_pending, 0, STEPS + 10);
		for (int i = 0; i < size && step < STEPS; i++, step++) {
			vq_book *b = vq_service_book(svc);
			now += tu_rng_below(&rng, 9);
			uint32_t op = tu_rng_below(&rng, 100);
			if (op < 60) {
				int reuse = nrids > 0 && tu_rng_below(&rng, 10) == 0;
				int k = reuse ? (int)tu_rng_below(&rng, (uint32_t)nrids) : nrids++;
				char rid[32], reply[64];
				snprintf(rid, sizeof rid, "kiosk-%d-%06d", k % 7, k);
				vq_request r = {.attr = (int)tu_rng_below(&rng, 3),
				                .tier = (int)tu_rng_below(&rng, 4),
				                .party = 1 + (int)tu_rng_below(&rng, 4),
				                .guest = 1 + tu_rng_below(&rng, 300)};
				int replayed = issue_once(svc, rid, &r, now, reply, sizeof reply);
				const struct rid_answer *known = answers[k].known   ? &answers[k]
				                                 : pending[k].known ? &pending[k]
				                                                    : NULL;
				if (known) {
					ck_assert_msg(replayed,
					              "seed %llu step %d: rid %s answered twice",
					              (unsigned long long)seed, step, rid);
					ck_assert_msg(!strcmp(known->reply, reply),
					              "seed %llu step %d: rid %s: '%s' then '%s'",
					              (unsigned long long)seed, step, rid,
					              known->reply, reply);
					replays++;
				} else {
					ck_assert_msg(!replayed,
					              "seed %llu step %d: new rid %s replayed",
					              (unsigned long long)seed, step, rid);
					pending[k].known = 1;
					snprintf(pending[k].reply, sizeof pending[k].reply, "%s",
					         reply);
				}
			} else if (op < 70 && vq_book_ticket_count(b)) {
				uint64_t id =
				    1 + tu_rng_below(&rng, (uint32_t)vq_book_ticket_count(b));
				vq_book_cancel(b, id, now, NULL);
			} else if (op < 88 && vq_book_ticket_count(b)) {
				uint64_t id =
				    1 + tu_rng_below(&rng, (uint32_t)vq_book_ticket_count(b));
				const vq_ticket *t = vq_book_ticket(b, id);
				char attr[VQ_ID_MAX];
				memcpy(attr, t->attr, sizeof attr);
				vq_verdict v;
				int rc =
				    vq_service_redeem(svc, id, attr, "gate-1", 0, now, &v, NULL);
				if (rc == VQ_OK) {
					ck_assert_msg(!admitted[id] && !admitted_pending[id],
					              "seed %llu step %d: ticket %" PRIu64
					              " admitted twice",
					              (unsigned long long)seed, step, id);
					admitted_pending[id] = 1;
				} else if (admitted[id] || admitted_pending[id]) {
					ck_assert_int_eq(rc, VQ_EUSED);
				}
			} else if (op < 95) {
				int a = (int)tu_rng_below(&rng, 3);
				vq_capacity c = {.throughput_per_hour =
				                     100 + (int)tu_rng_below(&rng, 900),
				                 .fast_share_pct = (int)tu_rng_below(&rng, 101),
				                 .overbook_pct = (int)tu_rng_below(&rng, 30)};
				ck_assert_int_eq(vq_book_set_capacity(b, a, &c, now), VQ_OK);
			} else {
				int a = (int)tu_rng_below(&rng, 3);
				if (vq_book_attr_state(b, a)->status == VQ_ATTR_OPEN)
					ck_assert_int_eq(vq_book_close(b, a, now), VQ_OK);
				else
					ck_assert_int_eq(vq_book_reopen(b, a, now, NULL), VQ_OK);
			}
		}
		if (inject)
			vq_store_fail_io_after(1 + tu_rng_below(&rng, 6));
		int rc = vq_service_commit(svc);
		vq_store_fail_io_after(0);
		batches++;
		if (rc == VQ_OK) {
			for (int k = 0; k < nrids; k++)
				if (pending[k].known)
					answers[k] = pending[k];
			for (int id = 0; id < STEPS + 10; id++)
				admitted[id] |= admitted_pending[id];
		} else {
			ck_assert_msg(inject, "seed %llu: commit failed without a fault: %s",
			              (unsigned long long)seed,
			              vq_store_errmsg(vq_service_store(svc)));
			failed_batches++;
		}
		/* memory never runs ahead of (or behind) the disk; a full reload is costly, so
		 * after every failed commit and every tenth batch */
		if (rc != VQ_OK || batches % 10 == 0) {
			vq_book *disk = reload(svc);
			char ctx[64];
			snprintf(ctx, sizeof ctx, "seed %llu batch %d", (unsigned long long)seed,
			         batches);
			book_eq(vq_service_book(svc), disk, ctx);
			vq_book_free(disk);
		}
		if (tu_rng_below(&rng, 50) == 0) {
			vq_service_free(svc);
			svc = open_svc();
			reopens++;
		}
	}
	ck_assert_msg(replays > 50 && reopens > 2 && failed_batches > 0,
	              "seed %llu: the run must exercise replays (%d), reopens (%d) and failed "
	              "commits (%d)",
	              (unsigned long long)seed, replays, reopens, failed_batches);
	vq_service_free(svc);
	free(answers);
	free(pending);
	free(admitted);
	free(admitted_pending);
}
END_TEST

static Suite *service_suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("examples");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_issue_commit_reopen);
	tcase_add_test(tc, test_rollback_forgets);
	tcase_add_test(tc, test_redeem_once);
	tcase_add_test(tc, test_failed_commit_rebuilds);
	suite_add_tcase(s, tc);
	TCase *rnd = tcase_create("random");
	tcase_add_checked_fixture(rnd, setup, teardown);
	tcase_set_timeout(rnd, 280);
	tcase_add_loop_test(rnd, test_random_batches, 0, sizeof SEEDS / sizeof SEEDS[0]);
	suite_add_tcase(s, rnd);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(service_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
