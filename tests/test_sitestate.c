/* tests/test_sitestate.c — the screens' view of vqd's retained state: parsing, order,
 * presence and staleness, bad messages changing nothing, fields of the wrong shape ignored
 * and logged, and the saved site for gates (damaged copies included). */
#include "client/sitestate.h"
#include "support/tutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char SITE[] =
    "{\"v\":1,\"site\":\"demo\",\"name\":\"Demo\",\"timezone\":\"UTC\","
    "\"languages\":[\"en\",\"ru\"],"
    "\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":\"Standard\",\"ru\":\"Стандарт\"}},"
    "{\"id\":\"gold\",\"names\":{\"en\":\"Gold\"},\"late_grace_min\":10}],"
    "\"attractions\":[\"coaster\",\"desk\"],"
    "\"keys\":[{\"kid\":1,\"public_key\":"
    "\"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c\"}],"
    "\"updated\":100}";

static const char COASTER[] =
    "{\"v\":1,\"attraction\":\"coaster\",\"kind\":\"ride\","
    "\"names\":{\"en\":\"Coaster\",\"ru\":\"Горки\"},\"status\":\"open\",\"closed_at\":0,"
    "\"reopened_at\":0,\"admitting\":{\"from\":1000,\"until\":4600},"
    "\"next\":{\"standard\":{\"start\":7200,\"end\":10800},\"gold\":null},"
    "\"capacity\":{\"today\":900,\"taken\":12},\"standby_min\":35,\"prefix\":\"C\","
    "\"early_grace_min\":5,\"late_grace_min\":15,\"opens\":500,\"closes\":9000,"
    "\"merge\":{\"fast\":8,\"standby\":1,\"phase\":1,\"backlog\":200,\"backlog_min\":17},"
    "\"updated\":101}";

static vq_bus_msg msg(const char *suffix, const char *payload)
{
	vq_bus_msg m;
	memset(&m, 0, sizeof m);
	m.kind = VQ_BUS_MESSAGE;
	m.topic = suffix;
	m.suffix = suffix;
	m.payload = payload;
	m.len = strlen(payload);
	return m;
}

static int feed(vq_sitestate *s, const char *suffix, const char *payload, int64_t now)
{
	vq_bus_msg m = msg(suffix, payload);
	return vq_sitestate_feed(s, &m, now);
}

START_TEST(test_site_and_attr)
{
	vq_sitestate *s;
	ck_assert_int_eq(vq_sitestate_new(&s), VQ_OK);
	ck_assert_int_eq(vq_sitestate_stale(s, -1, 0, 1000), 1);
	/* a state heard before the site is kept */
	ck_assert_int_eq(feed(s, "state/coaster", COASTER, 10), 1);
	ck_assert_int_eq(feed(s, "state/_site", SITE, 20), 1);
	const vq_site_view *v = vq_sitestate_site(s);
	ck_assert_str_eq(v->site, "demo");
	ck_assert_int_eq(v->nlangs, 2);
	ck_assert_int_eq(v->ntiers, 2);
	ck_assert_str_eq(v->tier_names[0][1], "Стандарт");
	ck_assert_int_eq(v->keys.count, 1);
	ck_assert_int_eq(v->keys.keys[0].kid, 1);
	ck_assert_int_eq(v->keys.keys[0].pk[0], 0x3d);
	ck_assert_int_eq(vq_sitestate_attr_count(s), 2);
	ck_assert_str_eq(vq_sitestate_attr(s, 1)->id, "desk");
	ck_assert_int_eq(vq_sitestate_attr(s, 1)->known, 0);
	/* the state heard before the site is read again with the site's languages and tiers */
	const vq_attr_view *a = vq_sitestate_find(s, "coaster");
	ck_assert_str_eq(vq_sitestate_attr_name(s, a, 1), "Горки");
	ck_assert_int_eq(a->next[0].start, 7200);
	ck_assert_int_eq(feed(s, "state/coaster", COASTER, 30), 0);
	a = vq_sitestate_find(s, "coaster");
	ck_assert_ptr_eq(a, vq_sitestate_attr(s, 0));
	ck_assert_str_eq(vq_sitestate_attr_name(s, a, 1), "Горки");
	ck_assert_int_eq(a->open, 1);
	ck_assert_int_eq(a->admitting.start, 1000);
	ck_assert_int_eq(a->admitting.end, 4600);
	ck_assert_int_eq(a->next[0].start, 7200);
	ck_assert_int_eq(a->next[1].start, 0);
	ck_assert_int_eq(a->cap_today, 900);
	ck_assert_int_eq(a->standby_min, 35);
	ck_assert_int_eq(a->has_rules, 1);
	ck_assert_str_eq(a->prefix, "C");
	ck_assert_int_eq(a->early_grace_min, 5);
	ck_assert_int_eq(a->late_grace_min, 15);
	ck_assert_int_eq(a->closes, 9000);
	ck_assert_int_eq(vq_sitestate_site(s)->tier_late_grace[1], 10);
	ck_assert_int_eq(a->has_merge, 1);
	ck_assert_int_eq(a->merge_fast, 8);
	ck_assert_int_eq(a->backlog_min, 17);
	ck_assert_int_eq(a->received_ms, 30);
	/* the same state again changes nothing but its freshness */
	ck_assert_int_eq(feed(s, "state/coaster", COASTER, 40), 0);
	ck_assert_int_eq(vq_sitestate_find(s, "coaster")->received_ms, 40);
	ck_assert_int_eq(vq_sitestate_tier(s, "gold"), 1);
	ck_assert_int_eq(vq_sitestate_lang(s, "ro"), -1);
	vq_sitestate_free(s);
	vq_sitestate_free(NULL);
}
END_TEST

START_TEST(test_presence_and_staleness)
{
	vq_sitestate *s;
	ck_assert_int_eq(vq_sitestate_new(&s), VQ_OK);
	feed(s, "state/_site", SITE, 0);
	feed(s, "state/coaster", COASTER, 0);
	ck_assert_int_eq(vq_sitestate_stale(s, 0, 10, 1000), 1); /* vqd not heard online */
	ck_assert_int_eq(feed(s, "presence/vqd", "{\"v\":1,\"id\":\"vqd\",\"online\":true}", 5), 1);
	ck_assert_int_eq(vq_sitestate_stale(s, -1, 10, 1000), 0);
	ck_assert_int_eq(vq_sitestate_stale(s, 0, 1000, 1000), 0);
	ck_assert_int_eq(vq_sitestate_stale(s, 0, 1001, 1000), 1);
	ck_assert_int_eq(vq_sitestate_stale(s, 1, 10, 1000), 1); /* desk never heard */
	ck_assert_int_eq(feed(s, "presence/vqd", "{\"v\":1,\"id\":\"vqd\",\"online\":false}", 50),
	                 1);
	ck_assert_int_eq(vq_sitestate_site(s)->vqd_changed_ms, 50);
	ck_assert_int_eq(vq_sitestate_stale(s, 0, 60, 1000), 1);
	feed(s, "presence/vqd", "{\"v\":1,\"online\":true}", 70);
	vq_bus_msg d;
	memset(&d, 0, sizeof d);
	d.kind = VQ_BUS_DISCONNECTED;
	d.topic = d.suffix = d.payload = "";
	ck_assert_int_eq(vq_sitestate_feed(s, &d, 80), 1);
	ck_assert_int_eq(vq_sitestate_site(s)->vqd_online, 0);
	vq_sitestate_free(s);
}
END_TEST

START_TEST(test_bad_messages_change_nothing)
{
	vq_sitestate *s;
	ck_assert_int_eq(vq_sitestate_new(&s), VQ_OK);
	feed(s, "state/_site", SITE, 0);
	feed(s, "state/coaster", COASTER, 0);
	ck_assert_int_eq(feed(s, "state/coaster", "{not json", 1), -VQ_EBADREQ);
	ck_assert_int_eq(feed(s, "state/coaster", "[1,2]", 1), -VQ_EBADREQ);
	ck_assert_int_eq(feed(s, "state/coaster", "{\"status\":3}", 1), -VQ_EBADREQ);
	ck_assert_int_eq(feed(s, "state/_site", "{\"site\":\"x\"}", 1), -VQ_EBADREQ);
	ck_assert_int_eq(feed(s, "presence/vqd", "{\"online\":\"yes\"}", 1), -VQ_EBADREQ);
	ck_assert_int_eq(feed(s, "events/admission", "{}", 1), 0);
	ck_assert_int_eq(feed(s, "state/coaster", "", 1), 0); /* a cleared retained topic */
	ck_assert_str_eq(vq_sitestate_site(s)->site, "demo");
	ck_assert_int_eq(vq_sitestate_find(s, "coaster")->cap_today, 900);
	vq_sitestate_free(s);
}
END_TEST

/* Strict input: what is not exactly what vqd writes changes nothing, and no number is
 * cast before its range is checked (UBSan stopped on each of these once). */
START_TEST(test_strict_input)
{
	vq_sitestate *s;
	ck_assert_int_eq(vq_sitestate_new(&s), VQ_OK);
	feed(s, "state/_site", SITE, 0);
	feed(s, "state/coaster", COASTER, 0);
	/* NUL, bidi controls, a key twice, trailing data: refused whole */
	static const char *const bad[] = {
	    "{\"v\":1,\"status\":\"open\",\"names\":{\"en\":\"Coaster\\u0000X\"}}",
	    "{\"v\":1,\"status\":\"open\",\"names\":{\"en\":\"\xe2\x80\xaeretsaoC\"}}",
	    "{\"v\":1,\"status\":\"open\",\"status\":\"closed\"}",
	    "{\"v\":1,\"status\":\"closed\"} {}",
	    "{\"v\":1,\"status\":\"closed\",\"names\":{\"en\":\"\xff\"}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(feed(s, "state/coaster", bad[i], 1) == -VQ_EBADREQ, "case %zu", i);
	const vq_attr_view *a = vq_sitestate_find(s, "coaster");
	ck_assert_str_eq(vq_sitestate_attr_name(s, a, 0), "Coaster");
	ck_assert_int_eq(a->open, 1);
	/* numbers out of every range read as 0, never cast */
	ck_assert_int_eq(feed(s, "state/coaster",
	                      "{\"v\":1,\"status\":\"open\",\"capacity\":{\"today\":1e30,\"taken\":"
	                      "4294967297},\"standby_min\":-1e300,\"updated\":1e300,\"closed_at\":"
	                      "9223372036854775808,\"next\":{\"standard\":{\"start\":2.5,"
	                      "\"end\":1e19}},\"merge\":{\"fast\":1e10,\"backlog\":-4294967297}}",
	                      2),
	                 1);
	a = vq_sitestate_find(s, "coaster");
	ck_assert_int_eq(a->cap_today, 0);
	ck_assert_int_eq(a->cap_taken, 0);
	ck_assert_int_eq(a->standby_min, 0);
	ck_assert_int_eq(a->updated, 0);
	ck_assert_int_eq(a->closed_at, 0);
	ck_assert_int_eq(a->next[0].start, 0);
	ck_assert_int_eq(a->next[0].end, 0);
	ck_assert_int_eq(a->merge_fast, 0);
	ck_assert_int_eq(a->backlog, 0);
	/* a key id past 255 is not key 1 (it once wrapped to it): no key at all */
	ck_assert_int_eq(
	    feed(s, "state/_site",
	         "{\"v\":1,\"site\":\"demo\",\"languages\":[\"en\"],\"tiers\":[{\"id\":\"gold\","
	         "\"late_grace_min\":1e300}],\"attractions\":[\"coaster\"],\"keys\":[{\"kid\":"
	         "4294967297,\"public_key\":"
	         "\"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c\"}],"
	         "\"updated\":-1e300}",
	         3),
	    1);
	ck_assert_int_eq(vq_sitestate_site(s)->keys.count, 0);
	ck_assert_int_eq(vq_sitestate_site(s)->tier_late_grace[0], 0);
	ck_assert_int_eq(vq_sitestate_site(s)->updated, 0);
	/* names or next of the wrong shape are no names (strcmp once got NULL) */
	ck_assert_int_eq(feed(s, "state/coaster",
	                      "{\"v\":1,\"status\":\"open\",\"names\":[\"x\"],\"next\":[1,2]}", 4),
	                 1);
	vq_sitestate_free(s);
}
END_TEST

START_TEST(test_save_load)
{
	char *dir = tu_tempdir("sitestate");
	char path[512];
	snprintf(path, sizeof path, "%s/site.json", dir);
	vq_sitestate *s, *t;
	ck_assert_int_eq(vq_sitestate_new(&s), VQ_OK);
	ck_assert_int_eq(vq_sitestate_save(s, path), VQ_ENOTFOUND);
	feed(s, "state/_site", SITE, 0);
	ck_assert_int_eq(vq_sitestate_save(s, path), VQ_OK);
	ck_assert_int_eq(vq_sitestate_new(&t), VQ_OK);
	ck_assert_int_eq(vq_sitestate_load(t, path, 5), VQ_OK);
	ck_assert_int_eq(vq_sitestate_site(t)->keys.count, 1);
	ck_assert_mem_eq(vq_sitestate_site(t)->keys.keys[0].pk,
	                 vq_sitestate_site(s)->keys.keys[0].pk, 32);
	ck_assert_int_eq(vq_sitestate_attr_count(t), 2);
	ck_assert_int_eq(vq_sitestate_site(t)->vqd_online, 0); /* a saved copy proves nothing */
	char bad[512];
	snprintf(bad, sizeof bad, "%s/missing.json", dir);
	ck_assert_int_eq(vq_sitestate_load(t, bad, 5), VQ_ENOTFOUND);
	vq_sitestate_free(t);
	vq_sitestate_free(s);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* --- shapes that are wrong: ignored and logged, never followed ----------------------- */

struct logged {
	int n;
	char last[256];
	char all[4096];
};

static void catch_log(void *ctx, const char *line)
{
	struct logged *l = ctx;
	l->n++;
	snprintf(l->last, sizeof l->last, "%s", line);
	strncat(l->all, line, sizeof l->all - strlen(l->all) - 2);
	strcat(l->all, "\n");
}

START_TEST(test_wrong_shapes)
{
	vq_sitestate *s;
	struct logged l;
	memset(&l, 0, sizeof l);
	ck_assert_int_eq(vq_sitestate_new(&s), VQ_OK);
	vq_sitestate_set_log(s, catch_log, &l);
	/* a site whose parts are of the wrong kind: the sound parts are taken */
	ck_assert_int_eq(
	    feed(s, "state/_site",
	         "{\"v\":1,\"site\":\"demo\",\"name\":[1],\"timezone\":\"UTC\","
	         "\"languages\":[7,\"en\",\"ru\"],"
	         "\"tiers\":[{\"id\":\"standard\",\"names\":[\"Standard\"]},5,"
	         "{\"id\":\"gold\",\"names\":{\"en\":7,\"ru\":\"Золото\"}}],"
	         "\"attractions\":[{\"id\":\"x\"},\"coaster\"],"
	         "\"keys\":[5,{\"kid\":1,\"public_key\":"
	         "\"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c\"}]}",
	         10),
	    1);
	const vq_site_view *v = vq_sitestate_site(s);
	ck_assert_int_eq(v->nlangs, 2);
	ck_assert_str_eq(v->langs[0], "en");
	ck_assert_int_eq(v->ntiers,
	                 3); /* tier indexes are the codes': the bad one keeps its place */
	ck_assert_str_eq(v->tiers[2], "gold");
	ck_assert_str_eq(v->tier_names[2][1], "Золото");
	ck_assert_str_eq(v->tier_names[2][0], "");
	ck_assert_int_eq(v->keys.count, 1);
	ck_assert_int_eq(vq_sitestate_attr_count(s), 1);
	ck_assert_str_eq(v->name, "");
	ck_assert_msg(
	    strstr(l.all, "state/_site: tiers[1]: wrong type") &&
	        strstr(l.all, "state/_site: names: wrong type (expected object); ignored") &&
	        strstr(l.all, "keys: an item of the wrong type") &&
	        strstr(l.all, "attractions: an item") && strstr(l.all, "languages: an item") &&
	        strstr(l.all, "name: wrong type"),
	    "log:\n%s", l.all);

	/* the crash: names and next as arrays (strcmp got NULL) */
	unsigned before = vq_sitestate_problems(s);
	static const char BAD[] =
	    "{\"v\":1,\"attraction\":\"coaster\",\"kind\":5,\"names\":[\"Coaster\"],"
	    "\"status\":\"open\",\"admitting\":[1,2],\"next\":[{\"start\":1,\"end\":2}],"
	    "\"capacity\":[900,12],\"standby_min\":35,\"prefix\":7,\"merge\":\"fast\","
	    "\"updated\":101}";
	ck_assert_int_eq(feed(s, "state/coaster", BAD, 20), 1);
	const vq_attr_view *a = vq_sitestate_find(s, "coaster");
	ck_assert_ptr_nonnull(a);
	ck_assert(a->known && a->open);
	ck_assert_int_eq(a->standby_min, 35);
	ck_assert_str_eq(vq_sitestate_attr_name(s, a, 0), "coaster");
	ck_assert_int_eq(a->next[0].start, 0);
	ck_assert_int_eq(a->admitting.start, 0);
	ck_assert_int_eq(a->cap_today, 0);
	ck_assert(!a->has_rules && !a->has_merge && !a->service);
	ck_assert_uint_eq(vq_sitestate_problems(s), before + 7);
	ck_assert_msg(strstr(l.all, "state/coaster: names: wrong type (expected object)") &&
	                  strstr(l.all, "state/coaster: next: wrong type") &&
	                  strstr(l.all, "state/coaster: capacity: wrong type") &&
	                  strstr(l.all, "state/coaster: merge: wrong type") &&
	                  strstr(l.all, "state/coaster: admitting: wrong type") &&
	                  strstr(l.all, "state/coaster: prefix: wrong type") &&
	                  strstr(l.all, "state/coaster: kind: wrong type"),
	              "log:\n%s", l.all);
	/* a next that is an object with a tier of the wrong kind */
	ck_assert_int_eq(
	    feed(s, "state/coaster",
	         "{\"status\":\"open\",\"next\":{\"standard\":[1,2],\"gold\":{\"start\":"
	         "5,\"end\":9}},\"names\":{\"en\":[\"x\"]}}",
	         30),
	    1);
	a = vq_sitestate_find(s, "coaster");
	ck_assert_int_eq(a->next[0].start, 0);
	ck_assert_int_eq(a->next[2].start, 5);
	ck_assert_msg(strstr(l.all, "next.standard: wrong type") &&
	                  strstr(l.all, "names.en: wrong type"),
	              "log:\n%s", l.all);
	/* the same bad state again: counted, not said again */
	int lines = l.n;
	ck_assert_int_eq(feed(s, "state/coaster", BAD, 40), 1);
	ck_assert_int_eq(feed(s, "state/coaster", BAD, 50), 0);
	ck_assert_int_le(l.n, lines + 7);
	lines = l.n;
	ck_assert_int_eq(feed(s, "state/coaster", BAD, 60), 0);
	ck_assert_int_eq(l.n, lines);
	vq_sitestate_free(s);
}
END_TEST

/* A gate's saved site is a file of its own: damaged, it is refused or read in part, never
 * followed into a crash; saving replaces it whole and leaves nothing beside it. */
START_TEST(test_cache_damaged)
{
	char *dir = tu_tempdir("sitestate");
	char path[512], tmp[600];
	snprintf(path, sizeof path, "%s/site.json", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	vq_sitestate *s, *t;
	ck_assert_int_eq(vq_sitestate_new(&s), VQ_OK);
	feed(s, "state/_site", SITE, 0);
	ck_assert_int_eq(vq_sitestate_save(s, path), VQ_OK);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	static const char *const damaged[] = {
	    "", "\x01\x02", "{\"site\":\"demo\",\"languages\":", "[1,2,3]",
	    "{\"site\":\"demo\",\"languages\":{\"en\":1},\"tiers\":[],\"attractions\":[]}"};
	for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
		FILE *f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		fputs(damaged[i], f);
		fclose(f);
		ck_assert_int_eq(vq_sitestate_new(&t), VQ_OK);
		ck_assert_int_eq(vq_sitestate_load(t, path, 5), VQ_EBADREQ);
		ck_assert_int_eq(vq_sitestate_site(t)->known, 0);
		vq_sitestate_free(t);
	}
	/* sound JSON with parts of the wrong shape: the keys still come through */
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs("{\"site\":\"demo\",\"languages\":[\"en\"],\"tiers\":[{\"id\":\"standard\","
	      "\"names\":[1]}],\"attractions\":[[1]],\"keys\":[{\"kid\":1,\"public_key\":"
	      "\"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c\"}]}",
	      f);
	fclose(f);
	ck_assert_int_eq(vq_sitestate_new(&t), VQ_OK);
	ck_assert_int_eq(vq_sitestate_load(t, path, 5), VQ_OK);
	ck_assert_int_eq(vq_sitestate_site(t)->keys.count, 1);
	ck_assert_uint_ge(vq_sitestate_problems(t), 2);
	vq_sitestate_free(t);
	/* a save over it puts the whole good copy back */
	ck_assert_int_eq(vq_sitestate_save(s, path), VQ_OK);
	size_t len = 0;
	char *back = tu_read_file(path, &len);
	ck_assert_ptr_nonnull(back);
	ck_assert_str_eq(back, SITE);
	free(back);
	/* a folder that cannot take the file: an error, the old copy untouched */
	char bad[600];
	snprintf(bad, sizeof bad, "%s/no/such/folder/site.json", dir);
	ck_assert_int_eq(vq_sitestate_save(s, bad), VQ_ESTORE);
	vq_sitestate_free(s);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sitestate");
	TCase *tc = tcase_create("sitestate");
	tcase_add_test(tc, test_site_and_attr);
	tcase_add_test(tc, test_presence_and_staleness);
	tcase_add_test(tc, test_bad_messages_change_nothing);
	tcase_add_test(tc, test_strict_input);
	tcase_add_test(tc, test_save_load);
	tcase_add_test(tc, test_wrong_shapes);
	tcase_add_test(tc, test_cache_damaged);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
