/* tests/test_display_voice.c — what a board says aloud (display/display_voice.h), fed the
 * retained state and events as vqd publishes them: a window that opens, a closure, a
 * reopening, a desk's call, each in en, ru and ro; nothing for a republished state, a
 * repeated event, a first sight, another board's attraction or the quiet hours. Then the
 * same announcements spoken through speech/ into a WAV file and measured. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "display/display_voice.h"
#include "support/tutil.h"

#define T10 1798797600LL /* 2027-01-01 10:00 UTC */

static const char SITE[] = "{\"v\":1,\"site\":\"demo\",\"name\":\"Demo\",\"timezone\":\"UTC\","
                           "\"languages\":[\"en\",\"ru\",\"ro\"],"
                           "\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":\"Standard\"}}],"
                           "\"attractions\":[\"coaster\",\"desk\"],\"keys\":[],\"updated\":100}";

static vq_i18n *i18n;
static vq_sitestate *ss;

static void feed(const char *suffix, const char *payload)
{
	vq_bus_msg m;
	memset(&m, 0, sizeof m);
	m.kind = VQ_BUS_MESSAGE;
	m.topic = suffix;
	m.suffix = suffix;
	m.payload = payload;
	m.len = strlen(payload);
	ck_assert_int_ge(vq_sitestate_feed(ss, &m, 0), 0);
}

/* The coaster's state at vqd's clock `at`: open or closed, admitting up to `until`. */
static void coaster(int64_t at, int open, int64_t reopened, int64_t until)
{
	char buf[1024], adm[96] = "null";
	if (open && until)
		snprintf(adm, sizeof adm, "{\"from\":%lld,\"until\":%lld}",
		         (long long)(until - 3600), (long long)until);
	snprintf(buf, sizeof buf,
	         "{\"v\":1,\"attraction\":\"coaster\",\"kind\":\"ride\","
	         "\"names\":{\"en\":\"Thunder Coaster\",\"ru\":\"Громовые горки\","
	         "\"ro\":\"Montagnele rusești\"},\"status\":\"%s\",\"closed_at\":%lld,"
	         "\"reopened_at\":%lld,\"admitting\":%s,\"next\":{\"standard\":null},"
	         "\"capacity\":{\"today\":900,\"taken\":12},\"standby_min\":35,\"prefix\":\"C\","
	         "\"early_grace_min\":5,\"late_grace_min\":15,\"updated\":%lld}",
	         open ? "open" : "closed", (long long)(open ? 0 : at), (long long)reopened, adm,
	         (long long)at);
	feed("state/coaster", buf);
}

static void desk(int64_t at)
{
	char buf[512];
	snprintf(buf, sizeof buf,
	         "{\"v\":1,\"attraction\":\"desk\",\"kind\":\"service\","
	         "\"names\":{\"en\":\"Guest Services\",\"ru\":\"Служба помощи гостям\"},"
	         "\"status\":\"open\",\"closed_at\":0,\"reopened_at\":0,\"admitting\":null,"
	         "\"next\":{\"standard\":null},\"capacity\":{\"today\":90,\"taken\":2},"
	         "\"standby_min\":0,\"prefix\":\"H\",\"updated\":%lld}",
	         (long long)at);
	feed("state/desk", buf);
}

static void setup(void)
{
	char err[256];
	ck_assert_int_eq(vq_i18n_load(tu_src("assets/i18n"), &i18n, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_sitestate_new(&ss), VQ_OK);
	feed("state/_site", SITE);
}

static void teardown(void)
{
	vq_sitestate_free(ss);
	vq_i18n_free(i18n);
}

static board_voice *voice(const char *const *attrs, int nattrs, int quiet_from, int quiet_until)
{
	board_voice_opts o = {.i18n = i18n,
	                      .langs = {"en", "ru", "ro"},
	                      .nlangs = 3,
	                      .attrs = attrs,
	                      .nattrs = nattrs,
	                      .quiet_from = quiet_from,
	                      .quiet_until = quiet_until};
	board_voice *v = NULL;
	ck_assert_int_eq(board_voice_new(&o, &v), VQ_OK);
	return v;
}

START_TEST(test_state_changes)
{
	board_voice *v = voice(NULL, 0, 0, 0);
	board_announcement a[4];
	coaster(T10 + 60, 1, 0, T10 + 3600);
	desk(T10 + 60);
	ck_assert_int_eq(board_voice_state(v, ss, 600, a, 4), 0); /* first sight */
	coaster(T10 + 90, 1, 0, T10 + 3600);                      /* republished */
	ck_assert_int_eq(board_voice_state(v, ss, 600, a, 4), 0);

	/* 10:10: the 10:15 slot admits (5 min early): return times up to 10:15 */
	coaster(T10 + 600, 1, 0, T10 + 4500);
	ck_assert_int_eq(board_voice_state(v, ss, 610, a, 4), 1);
	ck_assert_str_eq(a[0].kind, "admitting");
	ck_assert_int_eq(a[0].nparts, 3);
	ck_assert_str_eq(a[0].lang[0], "en");
	ck_assert_str_eq(a[0].text[0], "Thunder Coaster: return times up to 10:15 are welcome.");
	ck_assert_str_eq(a[0].lang[1], "ru");
	ck_assert_str_eq(a[0].text[1],
	                 "Громовые горки: приглашаем гостей со временем возврата до 10:15.");
	ck_assert_str_eq(a[0].lang[2], "ro");
	ck_assert_msg(strstr(a[0].text[2], "Montagnele rusești") && strstr(a[0].text[2], "10:15"),
	              "%s", a[0].text[2]);
	coaster(T10 + 630, 1, 0, T10 + 4500);
	ck_assert_int_eq(board_voice_state(v, ss, 610, a, 4), 0);

	/* a breakdown, said once; then the reopening, not also as a window */
	coaster(T10 + 700, 0, 0, 0);
	ck_assert_int_eq(board_voice_state(v, ss, 611, a, 4), 1);
	ck_assert_str_eq(a[0].kind, "closed");
	ck_assert_msg(strstr(a[0].text[0], "Thunder Coaster is closed"), "%s", a[0].text[0]);
	coaster(T10 + 730, 0, 0, 0);
	ck_assert_int_eq(board_voice_state(v, ss, 612, a, 4), 0);
	coaster(T10 + 1200, 1, T10 + 1200, T10 + 5400);
	ck_assert_int_eq(board_voice_state(v, ss, 620, a, 4), 1);
	ck_assert_str_eq(a[0].kind, "reopened");
	ck_assert_str_eq(a[0].text[0], "Thunder Coaster is open again.");
	coaster(T10 + 1230, 1, T10 + 1200, T10 + 5400);
	ck_assert_int_eq(board_voice_state(v, ss, 620, a, 4), 0);
	/* out of room: nothing written past max, and the change is not said later either */
	coaster(T10 + 1500, 1, T10 + 1200, T10 + 6300);
	ck_assert_int_eq(board_voice_state(v, ss, 625, a, 0), 0);
	ck_assert_int_eq(board_voice_state(v, ss, 625, a, 4), 0);
	board_voice_free(v);
	board_voice_free(NULL);
}
END_TEST

START_TEST(test_quiet_hours_and_other_boards)
{
	/* quiet from 22:00 to 07:00: said neither then nor later */
	board_voice *v = voice(NULL, 0, 22 * 60, 7 * 60);
	board_announcement a[4];
	coaster(T10, 1, 0, T10 + 3600);
	ck_assert_int_eq(board_voice_state(v, ss, 23 * 60, a, 4), 0);
	coaster(T10 + 600, 1, 0, T10 + 4500);
	ck_assert_int_eq(board_voice_state(v, ss, 23 * 60, a, 4), 0);
	ck_assert_int_eq(board_voice_state(v, ss, 8 * 60, a, 4), 0);
	coaster(T10 + 1500, 1, 0, T10 + 5400);
	ck_assert_int_eq(board_voice_state(v, ss, 6 * 60 + 59, a, 4), 0);
	coaster(T10 + 2400, 1, 0, T10 + 6300);
	ck_assert_int_eq(board_voice_state(v, ss, 7 * 60, a, 4), 1);
	board_voice_free(v);

	/* a board of the desk alone says nothing of the coaster */
	const char *const mine[] = {"desk"};
	v = voice(mine, 1, 0, 0);
	coaster(T10 + 3000, 1, 0, T10 + 6300);
	desk(T10 + 3000);
	ck_assert_int_eq(board_voice_state(v, ss, 650, a, 4), 0);
	coaster(T10 + 3300, 0, 0, 0);
	ck_assert_int_eq(board_voice_state(v, ss, 655, a, 4), 0);
	ck_assert_int_eq(board_voice_admission(v, ss, "coaster", "C-007", "gate-1", 7, 655, a), 0);
	ck_assert_int_eq(board_voice_admission(v, ss, "desk", "H-042", "desk-2", 42, 655, a), 1);
	board_voice_free(v);

	int from, until;
	ck_assert_int_eq(board_voice_parse_quiet("22:00-07:30", &from, &until), VQ_OK);
	ck_assert_int_eq(from, 22 * 60);
	ck_assert_int_eq(until, 7 * 60 + 30);
	ck_assert_int_eq(board_voice_parse_quiet("22:00", &from, &until), VQ_EINVAL);
	ck_assert_int_eq(board_voice_parse_quiet("24:00-07:00", &from, &until), VQ_EINVAL);
	ck_assert_int_eq(board_voice_parse_quiet("22:00-07:00x", &from, &until), VQ_EINVAL);
	ck_assert_int_eq(board_voice_parse_quiet("2:00-07:00", &from, &until), VQ_EINVAL);
	board_voice_opts bad = {.i18n = i18n, .langs = {"en"}, .nlangs = 1, .quiet_from = 1440};
	ck_assert_int_eq(board_voice_new(&bad, &v), VQ_EINVAL);
	bad.quiet_from = 0;
	bad.nlangs = 0;
	ck_assert_int_eq(board_voice_new(&bad, &v), VQ_EINVAL);
}
END_TEST

START_TEST(test_desk_calls)
{
	board_voice *v = voice(NULL, 0, 0, 0);
	board_announcement a;
	desk(T10);
	coaster(T10, 1, 0, T10 + 3600);
	ck_assert_int_eq(board_voice_admission(v, ss, "desk", "H-042", "desk-2", 42, 600, &a), 1);
	ck_assert_str_eq(a.kind, "called");
	ck_assert_str_eq(a.text[0], "H 42, desk 2.");
	ck_assert_str_eq(a.text[1], "H 42, окно 2.");
	ck_assert_str_eq(a.text[2], "H 42, ghișeul 2.");
	/* the same event again (QoS 1 may repeat it): not said twice */
	ck_assert_int_eq(board_voice_admission(v, ss, "desk", "H-042", "desk-2", 42, 600, &a), 0);
	/* a desk without a number in its account is named as it is */
	ck_assert_int_eq(board_voice_admission(v, ss, "desk", "H-043", "north", 43, 600, &a), 1);
	ck_assert_str_eq(a.text[0], "H 43, desk north.");
	/* a ride's admissions are not called; unknown attractions neither */
	ck_assert_int_eq(board_voice_admission(v, ss, "coaster", "C-001", "gate-1", 1, 600, &a), 0);
	ck_assert_int_eq(board_voice_admission(v, ss, "nope", "X-001", "gate-1", 2, 600, &a), 0);
	/* many later, the first one is forgotten only after BOARD_VOICE_CALLED others */
	for (uint64_t t = 100; t < 100 + BOARD_VOICE_CALLED - 2; t++)
		ck_assert_int_eq(
		    board_voice_admission(v, ss, "desk", "H-100", "desk-1", t, 600, &a), 1);
	ck_assert_int_eq(board_voice_admission(v, ss, "desk", "H-042", "desk-2", 42, 600, &a), 0);
	ck_assert_int_eq(board_voice_admission(v, ss, "desk", "H-999", "desk-1", 999, 600, &a), 1);
	ck_assert_int_eq(board_voice_admission(v, ss, "desk", "H-042", "desk-2", 42, 600, &a), 1);
	board_voice_free(v);
}
END_TEST

/* The board's announcements through the speech engine into a WAV file: each heard once,
 * opening with one chime, in en, ru and ro voices, one after the other. */
START_TEST(test_spoken_to_wav)
{
	tu_scratch_begin("display-voice");
	char path[512];
	snprintf(path, sizeof path, "%s/board.wav", getenv("TMPDIR"));
	board_voice *v = voice(NULL, 0, 0, 0);
	vq_speech_opts so = {.wav_path = path, .volume = -1};
	vq_speech *sp = NULL;
	ck_assert_int_eq(vq_speech_new(&so, &sp), VQ_OK);
	board_announcement a[4];
	vq_speech_part parts[VQ_SPEECH_PARTS_MAX];
	coaster(T10, 1, 0, T10 + 3600);
	desk(T10);
	ck_assert_int_eq(board_voice_state(v, ss, 600, a, 4), 0);
	coaster(T10 + 600, 1, 0, T10 + 4500);
	coaster(T10 + 610, 1, 0, T10 + 4500); /* republished at once: still one */
	int n = board_voice_state(v, ss, 610, a, 4);
	n += board_voice_admission(v, ss, "desk", "H-042", "desk-2", 42, 610, &a[n]);
	n += board_voice_admission(v, ss, "desk", "H-042", "desk-2", 42, 610, &a[n]);
	ck_assert_int_eq(n, 2);
	for (int i = 0; i < n; i++) {
		int k = board_voice_parts(&a[i], parts);
		ck_assert_int_eq(vq_speech_say_parts(sp, parts, k), VQ_OK);
	}
	ck_assert_int_eq(vq_speech_wait_idle(sp, 60000), VQ_OK);
	int rate = vq_speech_rate(sp);
	vq_speech_record r[6];
	ck_assert_uint_eq(vq_speech_records(sp, r, 6), 6);
	vq_speech_free(sp);
	board_voice_free(v);

	size_t len = 0;
	char *bytes = tu_read_file(path, &len);
	ck_assert_ptr_nonnull(bytes);
	ck_assert_uint_eq(len, 44 + (size_t)r[5].end * 2);
	const int16_t *s = (const int16_t *)(bytes + 44);
	static const char *const voices[] = {"en", "ru", "ro"};
	for (int i = 0; i < 6; i++) {
		ck_assert_msg(!strncmp(r[i].voice, voices[i % 3], 2), "part %d voice %s", i,
		              r[i].voice);
		double acc = 0;
		for (int64_t k = r[i].speech; k < r[i].end; k++)
			acc += (double)s[k] * s[k];
		ck_assert_msg(sqrt(acc / (double)(r[i].end - r[i].speech)) > 800, "part %d silent",
		              i);
		if (i % 3 == 0)
			ck_assert_int_gt(r[i].speech, r[i].start); /* the chime opens each */
		else
			ck_assert_int_eq(r[i].speech, r[i].start);
	}
	ck_assert_int_eq(r[3].start, r[2].end); /* the second after the first, not over it */
	ck_assert_int_gt(r[0].end - r[0].start, rate);
	free(bytes);
	tu_scratch_end();
}
END_TEST

static Suite *voice_suite(void)
{
	Suite *s = suite_create("display_voice");
	TCase *tc = tcase_create("announcements");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_state_changes);
	tcase_add_test(tc, test_quiet_hours_and_other_boards);
	tcase_add_test(tc, test_desk_calls);
	tcase_add_test(tc, test_spoken_to_wav);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(voice_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
