/* tests/test_gate_journal.c — the gate's journal (gate/gate_journal.c) on a real file:
 * replay after a restart, a torn last line, a damaged line, numbers missing from older
 * files, and a disk that fills up (RLIMIT_FSIZE stands in for a full file system: a write
 * past the limit fails with EFBIG, part written or not at all, as ENOSPC does).
 *
 * A write under the lowered limit must not be a Check assertion: Check writes each passing
 * assertion to a scratch file of its own, which the limit would stop too. So the limited
 * part only records results; they are asserted once the limit is lifted.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "gate/gate_journal.h"
#include "support/fixtures.h"
#include "support/tutil.h"

#define AT(h, m) (VQ_TEST_DAY + (h)*3600 + (m)*60)
#define GATE_ID  "gate-1"

/* --- the journal ------------------------------------------------------------------- */

static char *dir;
static char path[512];

static void setup(void)
{
	dir = tu_tempdir("gate-journal");
	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/j", dir);
	signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead of killing us */
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

static gate_jentry admission(uint64_t ticket, int64_t at)
{
	gate_jentry e;
	memset(&e, 0, sizeof e);
	e.kind = GATE_J_ADMIT;
	e.ticket = ticket;
	snprintf(e.code, sizeof e.code, "VQ1:CODE%llu", (unsigned long long)ticket);
	snprintf(e.attraction, sizeof e.attraction, "coaster");
	e.at = at;
	snprintf(e.number, sizeof e.number, "C-%03llu", (unsigned long long)ticket);
	e.party = 2;
	snprintf(e.tier, sizeof e.tier, "gold");
	return e;
}

static gate_journal *jopen(const char *file, const char *gate_id)
{
	gate_journal *j = NULL;
	char err[256] = "";
	int rc = gate_journal_open(file, gate_id, AT(9, 0), &j, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "open %s: %s %s", file, vq_errname(rc), err);
	return j;
}

START_TEST(test_journal_reload)
{
	gate_journal *j = jopen(path, GATE_ID);
	char jid[32];
	snprintf(jid, sizeof jid, "%s", gate_journal_jid(j));
	int n = 0;
	for (int i = 1; i <= 5; i++) {
		gate_jentry e = admission((uint64_t)i, AT(10, i));
		ck_assert_int_eq(gate_journal_add(j, &e, &n), VQ_OK);
		ck_assert_int_eq(n, i);
	}
	gate_jentry ov;
	memset(&ov, 0, sizeof ov);
	ov.kind = GATE_J_OVERRIDE;
	snprintf(ov.attraction, sizeof ov.attraction, "coaster");
	snprintf(ov.reason, sizeof ov.reason, "ride was down: «très» важно");
	ov.at = AT(10, 9);
	ck_assert_int_eq(gate_journal_add(j, &ov, &n), VQ_OK);
	ck_assert_int_eq(n, 6);
	const gate_jentry *e6 = gate_journal_entry(j, 6);
	ck_assert_ptr_nonnull(strstr(e6->rid, jid));
	/* a batch of 1..3, answered for 1 and 2; 4 and 5 still pending */
	int ns[3] = {1, 2, 3};
	char rid[GATE_RID_MAX];
	ck_assert_int_eq(gate_journal_batch(j, ns, 3, rid), VQ_OK);
	ck_assert_ptr_nonnull(strstr(rid, jid));
	ck_assert_int_eq(gate_journal_batch(j, ns, 1, rid), VQ_EINVAL); /* already sent */
	gate_jresult rs[2];
	memset(rs, 0, sizeof rs);
	rs[0].ok = 1;
	rs[1].conflict = 1;
	snprintf(rs[1].error, sizeof rs[1].error, "already_used");
	snprintf(rs[1].first_gate, sizeof rs[1].first_gate, "gate-2");
	rs[1].first_at = AT(10, 1);
	ck_assert_int_eq(gate_journal_results(j, ns, rs, 2), VQ_OK);
	ck_assert_int_eq(gate_journal_mark_used(j, 99, AT(10, 20), GATE_ID, 0), VQ_OK);
	ck_assert_int_eq(gate_journal_pending(j), 4);
	gate_journal_free(j);

	/* after a restart: the same entries, states, rids, used tickets, journal id */
	j = jopen(path, GATE_ID);
	ck_assert_str_eq(gate_journal_jid(j), jid);
	ck_assert_int_eq(gate_journal_count(j), 6);
	ck_assert_int_eq(gate_journal_pending(j), 4);
	ck_assert_int_eq(gate_journal_skipped(j), 0);
	ck_assert_int_eq(gate_journal_torn(j), 0);
	ck_assert_int_eq(gate_journal_entry(j, 1)->state, GATE_J_DONE);
	ck_assert(gate_journal_entry(j, 1)->res.ok);
	const gate_jentry *e2 = gate_journal_entry(j, 2);
	ck_assert(e2->state == GATE_J_DONE && e2->res.conflict && !e2->res.ok);
	ck_assert_str_eq(e2->res.first_gate, "gate-2");
	ck_assert_int_eq(e2->res.first_at, AT(10, 1));
	const gate_jentry *e3 = gate_journal_entry(j, 3);
	ck_assert_int_eq(e3->state, GATE_J_SENT);
	ck_assert_str_eq(e3->rid, rid);
	ck_assert_str_eq(e3->code, "VQ1:CODE3");
	ck_assert_str_eq(e3->number, "C-003");
	ck_assert_int_eq(gate_journal_entry(j, 4)->state, GATE_J_PENDING);
	e6 = gate_journal_entry(j, 6);
	ck_assert_int_eq(e6->kind, GATE_J_OVERRIDE);
	ck_assert_str_eq(e6->reason, "ride was down: «très» важно");
	gate_used u;
	ck_assert(gate_journal_find_used(j, 4, &u) && u.offline && !strcmp(u.gate, GATE_ID));
	ck_assert(gate_journal_find_used(j, 99, &u) && !u.offline && u.at == AT(10, 20));
	ck_assert(!gate_journal_find_used(j, 100, &u));
	/* the next batch gets a new rid */
	int ns2[2] = {4, 5};
	char rid2[GATE_RID_MAX];
	ck_assert_int_eq(gate_journal_batch(j, ns2, 2, rid2), VQ_OK);
	ck_assert_str_ne(rid2, rid);
	gate_journal_free(j);

	/* another gate's journal is not ours to sync */
	gate_journal *other = NULL;
	char err[256];
	ck_assert_int_eq(gate_journal_open(path, "gate-2", AT(9, 0), &other, err, sizeof err),
	                 VQ_EINVAL);
	ck_assert_ptr_null(other);
}
END_TEST

START_TEST(test_journal_torn)
{
	gate_journal *j = jopen(path, GATE_ID);
	for (int i = 1; i <= 3; i++) {
		gate_jentry e = admission((uint64_t)i, AT(10, i));
		ck_assert_int_eq(gate_journal_add(j, &e, NULL), VQ_OK);
	}
	gate_journal_free(j);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	off_t whole = st.st_size;

	/* the power failed in the middle of the fourth line */
	FILE *f = fopen(path, "ab");
	ck_assert_ptr_nonnull(f);
	fputs("{\"t\":\"adm\",\"n\":4,\"ticket\":4,\"code\":\"VQ1:CO", f);
	fclose(f);
	j = jopen(path, GATE_ID);
	ck_assert_int_eq(gate_journal_count(j), 3);
	ck_assert_int_gt(gate_journal_torn(j), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, whole); /* cut back to whole lines */
	gate_jentry e = admission(4, AT(10, 4));
	int n = 0;
	ck_assert_int_eq(gate_journal_add(j, &e, &n), VQ_OK);
	ck_assert_int_eq(n, 4);
	gate_journal_free(j);

	/* a damaged line in the middle is skipped, the rest replays */
	f = fopen(path, "ab");
	ck_assert_ptr_nonnull(f);
	fputs("{not json at all\n", f);
	fclose(f);
	j = jopen(path, GATE_ID);
	ck_assert_int_eq(gate_journal_torn(j), 0);
	ck_assert_int_eq(gate_journal_skipped(j), 1);
	ck_assert_int_eq(gate_journal_count(j), 4);
	ck_assert_str_eq(gate_journal_entry(j, 4)->code, "VQ1:CODE4");
	e = admission(5, AT(10, 5));
	ck_assert_int_eq(gate_journal_add(j, &e, &n), VQ_OK);
	ck_assert_int_eq(n, 5);
	gate_journal_free(j);
	j = jopen(path, GATE_ID);
	ck_assert_int_eq(gate_journal_count(j), 5);
	ck_assert_int_eq(gate_journal_pending(j), 5);
	gate_journal_free(j);

	/* a file cut right after its header (or empty) starts afresh */
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs("{\"t\":\"op", f);
	fclose(f);
	j = jopen(path, GATE_ID);
	ck_assert_int_eq(gate_journal_count(j), 0);
	ck_assert_int_ne(gate_journal_jid(j)[0], '\0');
	gate_journal_free(j);
}
END_TEST

/* --- a disk that fills up -------------------------------------------------------------- */

static long file_size(void)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return (long)st.st_size;
}

/* From now on, no file of this process may grow past bytes (no Check assertion until
 * disk_freed). */
static void disk_full_at(long bytes)
{
	struct rlimit rl;
	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = (rlim_t)bytes;
	setrlimit(RLIMIT_FSIZE, &rl);
}

static void disk_freed(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* The case: add 1 ok, add 2 fails, add 3 ok. Entry 2 must not exist (its number
 * goes to the next entry that does reach the disk), and after a restart the third
 * admission is still known used and still waits for its sync. */
START_TEST(test_full_disk_numbers)
{
	gate_journal *j = jopen(path, GATE_ID);
	gate_jentry e1 = admission(1, AT(10, 1)), e2 = admission(2, AT(10, 2)),
	            e3 = admission(3, AT(10, 3));
	int n1 = 0, n2 = -1, n3 = 0;
	ck_assert_int_eq(gate_journal_add(j, &e1, &n1), VQ_OK);
	long before = file_size();
	disk_full_at(before + 20); /* room for a part of a line, not a whole one */
	int rc2 = gate_journal_add(j, &e2, &n2);
	disk_freed();
	ck_assert_int_eq(rc2, VQ_ESTORE);
	ck_assert_int_eq(n2, -1);
	ck_assert_int_eq(gate_journal_count(j), 1);
	ck_assert_int_eq(gate_journal_pending(j), 1);
	ck_assert(!gate_journal_find_used(j, 2, NULL));
	ck_assert_int_eq(file_size(), before); /* what got written of the line is cut */
	ck_assert_int_eq(gate_journal_add(j, &e3, &n3), VQ_OK);
	ck_assert_int_eq(n3, 2);
	gate_journal_free(j);

	j = jopen(path, GATE_ID);
	ck_assert_int_eq(gate_journal_skipped(j), 0);
	ck_assert_int_eq(gate_journal_torn(j), 0);
	ck_assert_int_eq(gate_journal_gaps(j), 0);
	ck_assert_int_eq(gate_journal_count(j), 2);
	ck_assert_int_eq(gate_journal_pending(j), 2);
	ck_assert_uint_eq(gate_journal_entry(j, 2)->ticket, 3);
	ck_assert(gate_journal_find_used(j, 3, NULL));
	ck_assert(!gate_journal_find_used(j, 2, NULL));
	gate_journal_free(j);
}
END_TEST

/* Two failed appends in a row, each leaving part of a line behind, then one that works:
 * no line already on disk is cut, no hole is left, nothing is half replayed. */
START_TEST(test_full_disk_twice)
{
	gate_journal *j = jopen(path, GATE_ID);
	int n = 0;
	for (int i = 1; i <= 3; i++) {
		gate_jentry e = admission((uint64_t)i, AT(10, i));
		ck_assert_int_eq(gate_journal_add(j, &e, &n), VQ_OK);
	}
	long whole = file_size();
	gate_jentry e4 = admission(4, AT(10, 4)), e5 = admission(5, AT(10, 5));
	disk_full_at(whole + 30);
	int rc4 = gate_journal_add(j, &e4, NULL);
	disk_full_at(whole + 7);
	int rc5 = gate_journal_add(j, &e5, NULL);
	int ns[3] = {1, 2, 3};
	char rid[GATE_RID_MAX] = "x";
	int rcb = gate_journal_batch(j, ns, 3, rid);
	gate_jresult rs[3];
	memset(rs, 0, sizeof rs);
	int rcr = gate_journal_results(j, ns, rs, 3);
	int rcu = gate_journal_mark_used(j, 77, AT(10, 7), GATE_ID, 0);
	disk_freed();
	ck_assert_int_eq(rc4, VQ_ESTORE);
	ck_assert_int_eq(rc5, VQ_ESTORE);
	ck_assert_int_eq(rcb, VQ_ESTORE);
	ck_assert_str_eq(rid, ""); /* a sync never goes out under a rid the file lacks */
	ck_assert_int_eq(gate_journal_entry(j, 1)->state, GATE_J_PENDING);
	ck_assert_int_eq(rcr, VQ_ESTORE);
	ck_assert_int_eq(gate_journal_pending(j), 3);
	ck_assert_int_eq(rcu, VQ_ESTORE);
	ck_assert(gate_journal_find_used(j, 77, NULL)); /* still refused while we run */
	ck_assert_int_eq(file_size(), whole);
	ck_assert_int_eq(gate_journal_count(j), 3);

	/* the disk has room again: the same numbers and rid continue */
	ck_assert_int_eq(gate_journal_add(j, &e5, &n), VQ_OK);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(gate_journal_batch(j, ns, 3, rid), VQ_OK);
	char want[GATE_RID_MAX];
	snprintf(want, sizeof want, "s-%s-1", gate_journal_jid(j));
	ck_assert_str_eq(rid, want);
	gate_journal_free(j);

	char *text = tu_read_file(path, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), (size_t)file_size()); /* no NUL: no hole */
	free(text);
	j = jopen(path, GATE_ID);
	ck_assert_int_eq(gate_journal_skipped(j), 0);
	ck_assert_int_eq(gate_journal_torn(j), 0);
	ck_assert_int_eq(gate_journal_count(j), 4);
	ck_assert_uint_eq(gate_journal_entry(j, 4)->ticket, 5);
	ck_assert_int_eq(gate_journal_entry(j, 3)->state, GATE_J_SENT);
	ck_assert_str_eq(gate_journal_entry(j, 3)->rid, want);
	gate_journal_free(j);
}
END_TEST

/* A journal an older gate wrote after a failed append: entry 2 was numbered but never
 * written. Replay keeps entry 3 (and its results) instead of dropping everything after
 * the gap, and says so. */
START_TEST(test_gap_replayed)
{
	gate_journal *j = jopen(path, GATE_ID);
	gate_jentry e = admission(1, AT(10, 1));
	ck_assert_int_eq(gate_journal_add(j, &e, NULL), VQ_OK);
	gate_journal_free(j);
	FILE *f = fopen(path, "ab");
	ck_assert_ptr_nonnull(f);
	fputs("{\"t\":\"adm\",\"n\":3,\"ticket\":3,\"code\":\"VQ1:CODE3\",\"attraction\":"
	      "\"coaster\",\"at\":1798797780,\"number\":\"C-003\",\"party\":2,\"tier\":\"gold\"}\n"
	      "{\"t\":\"adm\",\"n\":5,\"ticket\":5,\"code\":\"VQ1:CODE5\",\"attraction\":"
	      "\"coaster\",\"at\":1798797900}\n"
	      "{\"t\":\"res\",\"n\":5,\"ok\":true}\n"
	      "{\"t\":\"adm\",\"n\":5,\"ticket\":6,\"code\":\"VQ1:CODE6\",\"attraction\":"
	      "\"coaster\",\"at\":1798797960}\n",
	      f);
	fclose(f);
	j = jopen(path, GATE_ID);
	ck_assert_int_eq(gate_journal_gaps(j), 2);    /* 2 and 4 */
	ck_assert_int_eq(gate_journal_skipped(j), 1); /* a second entry 5 */
	ck_assert_int_eq(gate_journal_count(j), 5);
	ck_assert_int_eq(gate_journal_entry(j, 2)->kind, GATE_J_MISSING);
	ck_assert_int_eq(gate_journal_entry(j, 2)->state, GATE_J_DONE);
	ck_assert_uint_eq(gate_journal_entry(j, 3)->ticket, 3);
	ck_assert_int_eq(gate_journal_entry(j, 3)->state, GATE_J_PENDING);
	ck_assert_int_eq(gate_journal_entry(j, 5)->state, GATE_J_DONE);
	ck_assert(gate_journal_find_used(j, 3, NULL));
	ck_assert(!gate_journal_find_used(j, 6, NULL));
	ck_assert_int_eq(gate_journal_pending(j), 2); /* 1 and 3 */
	int n = 0;
	e = admission(7, AT(10, 7));
	ck_assert_int_eq(gate_journal_add(j, &e, &n), VQ_OK);
	ck_assert_int_eq(n, 6);
	/* a placeholder is never sent */
	int ns[1] = {2};
	char rid[GATE_RID_MAX];
	ck_assert_int_eq(gate_journal_batch(j, ns, 1, rid), VQ_EINVAL);
	gate_journal_free(j);
}
END_TEST

/* Numbers in the journal are read as written and range-checked before any cast: an entry
 * number of 2^32 + 1 once settled entry 1, and 1e30 stopped the gate under UBSan. Lines
 * that are not strict JSON are skipped whole. */
START_TEST(test_journal_numbers)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(
	    "{\"t\":\"open\",\"v\":1,\"jid\":\"a1b2c3d4e5f6\",\"gate\":\"" GATE_ID
	    "\",\"created\":1}\n"
	    "{\"t\":\"adm\",\"n\":1,\"ticket\":7,\"code\":\"VQ1:A\",\"attraction\":\"coaster\","
	    "\"at\":100}\n"
	    "{\"t\":\"res\",\"n\":4294967297,\"ok\":true}\n"
	    "{\"t\":\"batch\",\"rid\":\"s-x-1\",\"n\":[4294967297,1e300,-1,1.0]}\n"
	    "{\"t\":\"adm\",\"n\":2,\"ticket\":1e30,\"code\":\"VQ1:B\",\"attraction\":\"coaster\","
	    "\"at\":1e300,\"party\":4294967298}\n"
	    "{\"t\":\"res\",\"n\":2,\"ok\":true} trailing\n"
	    "{\"t\":\"res\",\"n\":2,\"n\":1,\"ok\":true}\n"
	    "{\"t\":\"used\",\"ticket\":-5,\"at\":1e300,\"gate\":\"g\",\"offline\":4294967297}\n",
	    f);
	fclose(f);
	gate_journal *j = jopen(path, GATE_ID);
	ck_assert_int_eq(gate_journal_count(j), 2);
	ck_assert_int_eq(gate_journal_entry(j, 1)->state, GATE_J_PENDING);
	ck_assert_int_eq(gate_journal_entry(j, 2)->state, GATE_J_PENDING);
	ck_assert_int_eq(gate_journal_entry(j, 2)->ticket, 0);
	ck_assert_int_eq(gate_journal_entry(j, 2)->at, 0);
	ck_assert_int_eq(gate_journal_entry(j, 2)->party, 0);
	ck_assert_int_eq(gate_journal_pending(j), 2);
	/* the wrapped res, the trailing data, the duplicate key and the used ticket -5 */
	ck_assert_int_eq(gate_journal_skipped(j), 4);
	gate_journal_free(j);
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("gate_journal");
	TCase *tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_journal_reload);
	tcase_add_test(tc, test_journal_torn);
	tcase_add_test(tc, test_full_disk_numbers);
	tcase_add_test(tc, test_full_disk_twice);
	tcase_add_test(tc, test_gap_replayed);
	tcase_add_test(tc, test_journal_numbers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(journal_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
