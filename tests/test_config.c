/* tests/test_config.c — the site config as vqd runs it (coordinator/config.c): the file
 * with the operators' tier rules laid over it.
 *
 * Overrides come from vqd's store, but are read as strictly as any outside bytes: a tier
 * entry that is not an object of integer rules is refused (and, once, leaked memory: ASan's
 * leak checker watches every test here), and the file under them is strict JSON too. */
#include "coordinator/config.h"
#include "support/tutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

static void setup(void)
{
	dir = tu_tempdir("config");
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

static const char *park(void)
{
	return tu_src("assets/demo-park.json");
}

static int load(const char *path, const char *ov, vq_site **site, char *err, size_t errlen)
{
	*site = NULL;
	return vqd_config_load(path, ov, site, err, errlen);
}

START_TEST(test_overrides_apply)
{
	vq_site *site;
	char err[512];
	ck_assert_int_eq(load(park(), "{\"gold\":{\"max_passes\":4,\"horizon_min\":300}}", &site,
	                      err, sizeof err),
	                 VQ_OK);
	const vq_tier *gold = vq_site_tier(site, vq_site_tier_find(site, "gold"));
	ck_assert_int_eq(gold->max_passes, 4);
	ck_assert_int_eq(gold->horizon_min, 300);
	vq_site_free(site);
	/* a tier the file no longer has: its rules lapse */
	ck_assert_int_eq(load(park(), "{\"diamond\":{\"max_passes\":4}}", &site, err, sizeof err),
	                 VQ_OK);
	vq_site_free(site);
}
END_TEST

static const struct {
	const char *ov;
	const char *err; /* after "<path>: " */
} BAD_OV[] = {
    {"{\"gold\":[1,2]}", "tier overrides: gold: expected an object of integer rules"},
    {"{\"gold\":5}", "tier overrides: gold: expected an object of integer rules"},
    {"{\"gold\":{\"max_passes\":4.0}}",
     "tier overrides: gold: expected an object of integer rules"},
    {"{\"gold\":{\"max_passes\":1e300}}",
     "tier overrides: gold: expected an object of integer rules"},
    {"{\"gold\":{\"colour\":1}}", "tier overrides: gold: expected an object of integer rules"},
    {"{\"gold\":{\"max_passes\":4},\"gold\":{\"max_passes\":9}}",
     "tier overrides: gold: duplicate field"},
    {"{\"gold\":{\"max_passes\":4}} []",
     "tier overrides: trailing data after the JSON value near byte 26"},
    {"[1]", "tier overrides: not a JSON object"},
    {"{\"gold\":{\"max_passes\":99}}", "tiers[2].max_passes: out of range (1..20)"},
};

START_TEST(test_overrides_refused)
{
	vq_site *site;
	char err[512], want[600];
	ck_assert_int_eq(load(park(), BAD_OV[_i].ov, &site, err, sizeof err), VQ_ECONFIG);
	ck_assert_ptr_null(site);
	snprintf(want, sizeof want, "%s: %s", park(), BAD_OV[_i].err);
	ck_assert_msg(strcmp(err, want) == 0, "case %d: got '%s' want '%s'", _i, err, want);
}
END_TEST

/* A file with something after its object is refused with or without overrides. */
START_TEST(test_file_strict_under_overrides)
{
	size_t len;
	char *text = tu_read_file(park(), &len);
	ck_assert_ptr_nonnull(text);
	char path[600];
	snprintf(path, sizeof path, "%s/park.json", dir);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(text, 1, len, f);
	fputs("\n{\"version\":1}\n", f);
	fclose(f);
	free(text);
	vq_site *site;
	char err[512];
	ck_assert_int_eq(load(path, NULL, &site, err, sizeof err), VQ_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err, "config: trailing data after the JSON value"));
	ck_assert_int_eq(load(path, "{\"gold\":{\"max_passes\":4}}", &site, err, sizeof err),
	                 VQ_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err, "config: trailing data after the JSON value"));
}
END_TEST

START_TEST(test_merge)
{
	cJSON *changes = cJSON_Parse("{\"max_passes\":5}");
	char *out = NULL;
	/* a tier entry of the wrong shape is replaced, not added to */
	ck_assert_int_eq(vqd_config_merge("{\"gold\":[1,2],\"silver\":{\"max_passes\":3}}", "gold",
	                                  changes, &out),
	                 VQ_OK);
	ck_assert_str_eq(out, "{\"silver\":{\"max_passes\":3},\"gold\":{\"max_passes\":5}}");
	free(out);
	/* unreadable overrides start afresh */
	ck_assert_int_eq(vqd_config_merge("{\"gold\":{}} x", "gold", changes, &out), VQ_OK);
	ck_assert_str_eq(out, "{\"gold\":{\"max_passes\":5}}");
	free(out);
	cJSON_Delete(changes);
	changes = cJSON_Parse("{\"colour\":5}");
	ck_assert_int_eq(vqd_config_merge(NULL, "gold", changes, &out), VQ_EBADREQ);
	cJSON_Delete(changes);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_overrides_apply);
	tcase_add_loop_test(tc, test_overrides_refused, 0, sizeof BAD_OV / sizeof BAD_OV[0]);
	tcase_add_test(tc, test_file_strict_under_overrides);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
