/* tests/test_parks.c — parks/<attraction>: vq's live state in ThemeParks.wiki's parksapi
 * shape (coordinator/parks.h). The pure rendering for every status and queue state, and
 * what the real vqd publishes, retained, next to state/<attraction>.
 */
#include "clock/timefmt.h"
#include "coordinator/parks.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T0 1798797600LL /* 2027-01-01 10:00 UTC */

/* A state/<attraction> object as vqd renders it; next windows: start or 0 for null. */
static cJSON *state(const char *kind, const char *status, int64_t std, int64_t gold,
                    int64_t updated)
{
	char s[2048], w1[96] = "null", w2[96] = "null";
	if (std)
		snprintf(w1, sizeof w1, "{\"start\":%lld,\"end\":%lld}", (long long)std,
		         (long long)std + 3600);
	if (gold)
		snprintf(w2, sizeof w2, "{\"start\":%lld,\"end\":%lld}", (long long)gold,
		         (long long)gold + 3600);
	snprintf(s, sizeof s,
	         "{\"v\":1,\"attraction\":\"coaster\",\"kind\":\"%s\",\"names\":{\"en\":\"Thunder "
	         "Coaster\",\"ru\":\"Громовые горки\"},\"status\":\"%s\",\"closed_at\":0,"
	         "\"reopened_at\":0,\"admitting\":null,\"next\":{\"standard\":%s,\"gold\":%s},"
	         "\"capacity\":{\"today\":100,\"taken\":3},\"throughput_per_hour\":1200,"
	         "\"fast_share_pct\":40,\"overbook_pct\":0,\"standby_min\":35,\"merge\":null,"
	         "\"updated\":%lld}",
	         kind, status, w1, w2, (long long)updated);
	cJSON *j = cJSON_Parse(s);
	ck_assert_ptr_nonnull(j);
	return j;
}

static const vq_parks_ctx CTX = {"demo", "en", T0 - 3600, T0 + 11 * 3600, "UTC"};

static cJSON *live(const cJSON *st, const vq_parks_ctx *ctx)
{
	cJSON *out = NULL;
	int rc = vq_parks_live(st, ctx, &out);
	ck_assert_msg(rc == VQ_OK, "vq_parks_live: %s", vq_strerror(rc));
	return out;
}

static const char *str(const cJSON *j, const char *path)
{
	const char *s = vqs_str(j, path);
	return s ? s : "(absent)";
}

static int is_null(const cJSON *j, const char *path)
{
	return cJSON_IsNull(vqs_get(j, path));
}

START_TEST(test_available)
{
	cJSON *st = state("ride", "open", T0 + 900, T0 + 900, T0 + 60);
	cJSON *o = live(st, &CTX);
	ck_assert_str_eq(str(o, "id"), "coaster");
	ck_assert_str_eq(str(o, "name"), "Thunder Coaster");
	ck_assert_str_eq(str(o, "entityType"), "ATTRACTION");
	ck_assert_str_eq(str(o, "parkId"), "demo");
	ck_assert_str_eq(str(o, "status"), "OPERATING");
	int64_t wait = 0;
	ck_assert(vqs_int(o, "queue.STANDBY.waitTime", &wait) && wait == 35);
	ck_assert_str_eq(str(o, "queue.RETURN_TIME.state"), "AVAILABLE");
	ck_assert_str_eq(str(o, "queue.RETURN_TIME.returnStart"), "2027-01-01T10:15:00+00:00");
	ck_assert_str_eq(str(o, "queue.RETURN_TIME.returnEnd"), "2027-01-01T11:15:00+00:00");
	ck_assert_str_eq(str(o, "lastUpdated"), "2027-01-01T10:01:00+00:00");
	cJSON_Delete(o);

	/* the name in the language asked for; an unknown one falls back to the first */
	vq_parks_ctx ru = CTX;
	ru.lang = "ru";
	o = live(st, &ru);
	ck_assert_str_eq(str(o, "name"), "Громовые горки");
	cJSON_Delete(o);
	ru.lang = "xx";
	o = live(st, &ru);
	ck_assert_str_eq(str(o, "name"), "Thunder Coaster");
	cJSON_Delete(o);

	/* times carry the site's offset on their day, whatever the process's TZ */
	vq_parks_ctx chisinau = CTX;
	chisinau.zone = "Europe/Chisinau";
	o = live(st, &chisinau);
	ck_assert_str_eq(str(o, "queue.RETURN_TIME.returnStart"), "2027-01-01T12:15:00+02:00");
	cJSON_Delete(o);
	char iso[VQ_TIME_ISO_MAX];
	ck_assert_int_eq(vq_time_iso("Europe/Chisinau", 1813996800, iso, sizeof iso), VQ_OK);
	ck_assert_str_eq(iso, "2027-06-26T11:00:00+03:00"); /* June: summer time */
	/* a zone not installed: the instant is still right, in UTC */
	chisinau.zone = "Mars/Olympus_Mons";
	o = live(st, &chisinau);
	ck_assert_str_eq(str(o, "queue.RETURN_TIME.returnStart"), "2027-01-01T10:15:00+00:00");
	cJSON_Delete(o);
	cJSON_Delete(st);
}
END_TEST

START_TEST(test_return_states)
{
	static const struct {
		const char *kind, *status;
		int64_t std, gold, updated;
		const char *want_status, *want_state;
		int standby; /* -1: null, -2: absent, else the wait */
	} cases[] = {
	    /* the lowest tier is full, a higher one is not: its protected seats come free */
	    {"ride", "open", 0, T0 + 900, T0 + 60, "OPERATING", "TEMP_FULL", 35},
	    /* nobody can get one today */
	    {"ride", "open", 0, 0, T0 + 60, "OPERATING", "FINISHED", 35},
	    /* a breakdown: no issuing until it reopens */
	    {"ride", "closed", 0, 0, T0 + 60, "DOWN", "TEMP_FULL", -1},
	    {"ride", "closed", T0 + 900, T0 + 900, T0 + 60, "DOWN", "TEMP_FULL", -1},
	    /* before opening, tickets can already be had */
	    {"ride", "open", T0 + 900, T0 + 900, T0 - 7200, "CLOSED", "AVAILABLE", -1},
	    /* after closing, nothing */
	    {"ride", "open", T0 + 900, T0 + 900, T0 + 11 * 3600, "CLOSED", "FINISHED", -1},
	    /* a desk has no standby line */
	    {"service", "open", T0 + 900, T0 + 900, T0 + 60, "OPERATING", "AVAILABLE", -2},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *st = state(cases[i].kind, cases[i].status, cases[i].std, cases[i].gold,
		                  cases[i].updated);
		cJSON *o = live(st, &CTX);
		const char *status = str(o, "status"), *rs = str(o, "queue.RETURN_TIME.state");
		int avail = strcmp(cases[i].want_state, "AVAILABLE") == 0;
		int64_t wait = -3;
		int standby = !vqs_get(o, "queue.STANDBY")                  ? -2
		              : is_null(o, "queue.STANDBY.waitTime")        ? -1
		              : vqs_int(o, "queue.STANDBY.waitTime", &wait) ? (int)wait
		                                                            : -3;
		if (strcmp(status, cases[i].want_status) || strcmp(rs, cases[i].want_state) ||
		    standby != cases[i].standby ||
		    (!avail && !(is_null(o, "queue.RETURN_TIME.returnStart") &&
		                 is_null(o, "queue.RETURN_TIME.returnEnd"))) ||
		    (avail && !vqs_str(o, "queue.RETURN_TIME.returnStart")) ||
		    !vqs_str(o, "lastUpdated")) {
			char *t = cJSON_PrintUnformatted(o);
			ck_abort_msg("case %zu: %s", i, t);
		}
		cJSON_Delete(o);
		cJSON_Delete(st);
	}
	/* opening hours unknown: operating unless down */
	vq_parks_ctx none = {"demo", NULL, 0, 0, "UTC"};
	cJSON *st = state("ride", "open", T0 + 900, 0, T0 - 86400);
	cJSON *o = live(st, &none);
	ck_assert_str_eq(str(o, "status"), "OPERATING");
	cJSON_Delete(o);
	cJSON_Delete(st);
}
END_TEST

START_TEST(test_bad_input)
{
	cJSON *sentinel = (cJSON *)(void *)&sentinel, *out = sentinel;
	cJSON *st = state("ride", "open", T0 + 900, T0 + 900, T0);
	ck_assert_int_eq(vq_parks_live(NULL, &CTX, &out), VQ_EINVAL);
	ck_assert_int_eq(vq_parks_live(st, NULL, &out), VQ_EINVAL);
	vq_parks_ctx nopark = {NULL, "en", 0, 0, "UTC"};
	ck_assert_int_eq(vq_parks_live(st, &nopark, &out), VQ_EINVAL);
	static const char *const drop[] = {"attraction", "kind",        "names",
	                                   "status",     "standby_min", "updated"};
	for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
		cJSON *c = cJSON_Duplicate(st, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(c, drop[i]);
		if (vq_parks_live(c, &CTX, &out) != VQ_EBADREQ)
			ck_abort_msg("accepted a state without %s", drop[i]);
		cJSON_Delete(c);
	}
	cJSON *c = cJSON_Duplicate(st, 1);
	cJSON *gold =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "next"), "gold");
	ck_assert_ptr_nonnull(gold);
	cJSON_DeleteItemFromObjectCaseSensitive(gold, "end");
	ck_assert_int_eq(vq_parks_live(c, &CTX, &out), VQ_EBADREQ);
	cJSON_Delete(c);
	c = cJSON_Duplicate(st, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(c, "next", cJSON_CreateObject());
	ck_assert_int_eq(vq_parks_live(c, &CTX, &out), VQ_EBADREQ);
	cJSON_Delete(c);
	ck_assert_ptr_eq(out, sentinel);
	char iso[8];
	ck_assert_int_eq(vq_time_iso("UTC", T0, iso, sizeof iso), VQ_EINVAL);
	cJSON_Delete(st);
}
END_TEST

/* --- the real vqd ------------------------------------------------------------------------ */

static bool is_coaster(const cJSON *j, void *arg)
{
	const char *want = arg;
	const char *id = vqs_str(j, "id");
	const char *st = vqs_str(j, "status");
	return id && strcmp(id, "coaster") == 0 && st && (!want || strcmp(st, want) == 0);
}

START_TEST(test_vqd_publishes)
{
	char *root = tu_tempdir("parks-tests");
	ck_assert_ptr_nonnull(root);
	setenv("TMPDIR", root, 1);
	vqs_site *site = NULL;
	ck_assert_int_eq(vqs_start(NULL, &site), VQ_OK);
	/* a board may read parks/ (broker ACL), as may any display */
	vq_bus *b = vqs_bus(site, "board-1", (const char *const[]){"parks/#", NULL});
	vq_bus *ops = vqs_bus(site, "ops-1", (const char *const[]){"state/coaster", NULL});
	ck_assert(b && ops);
	cJSON *p = vqs_wait_json(b, "parks/coaster", is_coaster, NULL, 5000);
	ck_assert_msg(p != NULL, "no parks/coaster");
	ck_assert_str_eq(str(p, "status"), "OPERATING");
	ck_assert_str_eq(str(p, "parkId"), VQS_SITE);
	ck_assert_str_eq(str(p, "queue.RETURN_TIME.state"), "AVAILABLE");
	ck_assert_str_eq(str(p, "queue.RETURN_TIME.returnStart"), "2027-01-01T10:15:00+00:00");
	cJSON_Delete(p);

	/* it is exactly what state/coaster says, in the other shape */
	cJSON *st = vqs_wait_json(ops, "state/coaster", NULL, NULL, 5000);
	ck_assert_ptr_nonnull(st);
	cJSON *r =
	    vqs_callf(ops, "svc/ops",
	              "{\"v\":1,\"rid\":\"p-1\",\"cmd\":\"close\",\"attraction\":\"coaster\"}");
	ck_assert(vqs_ok(r));
	cJSON_Delete(r);
	p = vqs_wait_json(b, "parks/coaster", is_coaster, "DOWN", 5000);
	ck_assert_msg(p != NULL, "parks/coaster did not say DOWN after a closure");
	ck_assert_str_eq(str(p, "queue.RETURN_TIME.state"), "TEMP_FULL");
	cJSON_Delete(p);
	cJSON_Delete(st);
	st = vqs_wait_json(ops, "state/coaster", NULL, NULL, 5000);
	ck_assert_ptr_nonnull(st);
	vq_parks_ctx ctx = {VQS_SITE, "en", VQS_TEN_AM - 3600, VQS_TEN_AM + 11 * 3600, "UTC"};
	cJSON *mine = live(st, &ctx);
	/* the retained copy is the latest: read it fresh */
	vq_bus *b2 = NULL;
	vq_bus_free(b);
	b2 = vqs_bus(site, "board-1", (const char *const[]){"parks/coaster", NULL});
	ck_assert_ptr_nonnull(b2);
	p = vqs_wait_json(b2, "parks/coaster", NULL, NULL, 5000);
	ck_assert_ptr_nonnull(p);
	/* (a periodic republish may have moved lastUpdated on since) */
	ck_assert_ptr_nonnull(vqs_str(p, "lastUpdated"));
	cJSON_DeleteItemFromObjectCaseSensitive(p, "lastUpdated");
	cJSON_DeleteItemFromObjectCaseSensitive(mine, "lastUpdated");
	char *a = cJSON_PrintUnformatted(p), *m = cJSON_PrintUnformatted(mine);
	ck_assert_msg(cJSON_Compare(p, mine, 1), "retained %s\nrendered %s", a, m);
	free(a);
	free(m);
	cJSON_Delete(p);
	cJSON_Delete(mine);
	cJSON_Delete(st);
	vq_bus_free(b2);
	vq_bus_free(ops);
	vqs_free(site);
	tu_rmtree(root);
	free(root);
}
END_TEST

static Suite *parks_suite(void)
{
	Suite *s = suite_create("parks");
	TCase *tc = tcase_create("parks");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_available);
	tcase_add_test(tc, test_return_states);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_vqd_publishes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parks_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
