/* tests/test_intake.c — coordinator/intake.c: which messages vqd takes as requests, from
 * which account, and how it reports the ones it refuses. Pure: messages are made here,
 * time is a parameter, vqd's log (stderr) is caught in a file.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/intake.h"
#include "support/tutil.h"

#define PRE "vq/v1/park/"

/* A received request as bus/ hands it over. */
static vq_bus_msg msg(const char *topic, const char *response)
{
	vq_bus_msg m = {.kind = VQ_BUS_MESSAGE, .topic = topic, .payload = "{}", .len = 2};
	m.suffix = strncmp(topic, PRE, strlen(PRE)) == 0 ? topic + strlen(PRE) : topic;
	m.response_topic = response;
	return m;
}

static char logpath[1024];
static int saved_stderr = -1;

static void catch_log(void)
{
	char *dir = tu_tempdir("intake");
	ck_assert_ptr_nonnull(dir);
	snprintf(logpath, sizeof logpath, "%s/log", dir);
	free(dir);
	fflush(stderr);
	saved_stderr = dup(2);
	ck_assert_ptr_nonnull(freopen(logpath, "w", stderr));
}

/* Lines logged so far that hold needle. */
static int logged(const char *needle)
{
	fflush(stderr);
	char *text = tu_read_file(logpath, NULL);
	int n = 0;
	for (char *p = text; p && (p = strstr(p, needle)); p++)
		n++;
	free(text);
	return n;
}

static void release_log(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	char *dir = strdup(logpath);
	*strrchr(dir, '/') = '\0';
	tu_rmtree(dir);
	free(dir);
}

START_TEST(test_takes_own_reply_topic)
{
	vqd_intake in = {0};
	char verb[VQ_BUS_TOPIC_MAX];
	vq_bus_msg m = msg(PRE "svc/issue/kiosk-1", PRE "reply/kiosk-1");
	const char *who = vqd_intake_take(&in, &m, 0, verb);
	ck_assert_ptr_nonnull(who);
	ck_assert_str_eq(who, "kiosk-1");
	ck_assert_str_eq(verb, "svc/issue");
	m = msg(PRE "svc/ops/ops-1", PRE "reply/ops-1");
	ck_assert_str_eq(vqd_intake_take(&in, &m, 0, verb), "ops-1");
	ck_assert_str_eq(verb, "svc/ops");
	ck_assert_uint_eq(in.refused, 0);
}
END_TEST

START_TEST(test_refuses_other_reply_topics)
{
	catch_log();
	static const char *const bad[] = {
	    PRE "reply/kiosk-2",
	    PRE "state/_site",
	    PRE "state/coaster",
	    PRE "parks/coaster",
	    PRE "events/admission",
	    PRE "reply/kiosk-1/x",
	    PRE "reply/kiosk-",
	    PRE "reply/",
	    "vq/v1/other/reply/kiosk-1",
	    "reply/kiosk-1",
	    "",
	    NULL,
	};
	vqd_intake in = {0};
	char verb[VQ_BUS_TOPIC_MAX];
	size_t n = sizeof bad / sizeof bad[0];
	for (size_t i = 0; i < n; i++) {
		vq_bus_msg m = msg(PRE "svc/issue/kiosk-1", bad[i]);
		ck_assert_msg(vqd_intake_take(&in, &m, 1000.0 * (double)i, verb) == NULL,
		              "took a request with response topic %s", bad[i] ? bad[i] : "(none)");
	}
	ck_assert_uint_eq(in.refused, n);
	/* One line for the account within the minute, naming it and the response topic. */
	ck_assert_int_eq(logged("refused svc/issue from kiosk-1"), 1);
	ck_assert_int_eq(logged("'" PRE "reply/kiosk-2' is not its own reply topic"), 1);
	release_log();
}
END_TEST

START_TEST(test_refuses_other_topics)
{
	catch_log();
	static const char *const bad[] = {PRE "svc/issue", PRE "svc/issue/", PRE "svc//kiosk-1",
	                                  PRE "svc/issue/x/kiosk-1", PRE "state/kiosk-1"};
	vqd_intake in = {0};
	char verb[VQ_BUS_TOPIC_MAX];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		vq_bus_msg m = msg(bad[i], PRE "reply/kiosk-1");
		ck_assert_msg(vqd_intake_take(&in, &m, 0, verb) == NULL, "took %s", bad[i]);
	}
	ck_assert_uint_eq(in.refused, sizeof bad / sizeof bad[0]);
	release_log();
}
END_TEST

START_TEST(test_log_pace)
{
	catch_log();
	vqd_intake in = {0};
	char verb[VQ_BUS_TOPIC_MAX];
	vq_bus_msg a = msg(PRE "svc/issue/kiosk-1", PRE "state/_site");
	vq_bus_msg b = msg(PRE "svc/redeem/gate-1", NULL);
	/* 1000 refusals each within a minute: one line each. */
	for (int i = 0; i < 1000; i++) {
		ck_assert_ptr_null(vqd_intake_take(&in, &a, i * 10.0, verb));
		ck_assert_ptr_null(vqd_intake_take(&in, &b, i * 10.0, verb));
	}
	ck_assert_int_eq(logged("from kiosk-1"), 1);
	ck_assert_int_eq(logged("refused svc/redeem from gate-1: no response topic"), 1);
	/* A minute after its last line, the next says how many went unsaid. */
	ck_assert_ptr_null(vqd_intake_take(&in, &a, VQD_INTAKE_QUIET_MS + 1, verb));
	ck_assert_int_eq(logged("from kiosk-1"), 2);
	ck_assert_int_eq(logged("; 999 more from it since the last of these"), 1);
	ck_assert_uint_eq(in.refused, 2001);
	/* More accounts than slots: memory stays fixed, every new account is said once. */
	char topics[3 * VQD_INTAKE_SLOTS][64];
	for (int i = 0; i < 3 * VQD_INTAKE_SLOTS; i++) {
		snprintf(topics[i], sizeof topics[i], PRE "svc/quote/k%d", i);
		vq_bus_msg m = msg(topics[i], NULL);
		ck_assert_ptr_null(vqd_intake_take(&in, &m, 2 * VQD_INTAKE_QUIET_MS, verb));
	}
	ck_assert_int_eq(logged("refused svc/quote from k"), 3 * VQD_INTAKE_SLOTS);
	release_log();
}
END_TEST

static Suite *intake_suite(void)
{
	Suite *s = suite_create("intake");
	TCase *tc = tcase_create("intake");
	tcase_add_test(tc, test_takes_own_reply_topic);
	tcase_add_test(tc, test_refuses_other_reply_topics);
	tcase_add_test(tc, test_refuses_other_topics);
	tcase_add_test(tc, test_log_pace);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(intake_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
