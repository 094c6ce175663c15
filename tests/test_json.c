/* tests/test_json.c — strict JSON (core/json.c): what is refused, with which words, and
 * that what is accepted is exactly cJSON's tree with every number's literal kept.
 *
 * Every input is handed over in a heap buffer of exactly its length (no NUL after it), so
 * ASan catches any read past the end. Allocation starvation shows that a failing
 * allocation gives VQ_ENOMEM and leaks nothing (ASan's leak checker watches).
 */
#include "core/json.h"
#include "core/mem.h"
#include "support/tutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_exact(const char *text, size_t len, unsigned flags, cJSON **out, vq_json_error *e)
{
	char *buf = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, text, len);
	int rc = vq_json_parse(buf, len, flags, out, e);
	free(buf);
	return rc;
}

/* sizeof, not strlen: a case may hold a NUL that belongs to the input. */
#define CASE(flags, text, msg)                                                                     \
	{                                                                                          \
		flags, text, sizeof(text) - 1, msg                                                 \
	}

static const struct {
	unsigned flags;
	const char *text;
	size_t len;
	const char *msg; /* vq_json_error_text with doc "request" */
} BAD[] = {
    /* not JSON, or more than one value */
    CASE(0, "", "request: invalid JSON near byte 0"),
    CASE(0, "   ", "request: invalid JSON near byte 2"),
    CASE(0, "{\"a\":1,}", "request: invalid JSON near byte 7"),
    CASE(0, "{\"a\" 1}", "request: invalid JSON near byte 5"),
    CASE(0, "{\"a\":tru}", "request: invalid JSON near byte 5"),
    CASE(0, "{\"a\":01}", "request: invalid JSON near byte 6"),
    CASE(0, "{\"a\":+1}", "request: invalid JSON near byte 5"),
    CASE(0, "{\"a\":.5}", "request: invalid JSON near byte 5"),
    CASE(0, "{\"a\":1.}", "request: invalid JSON near byte 7"),
    CASE(0, "{\"a\":0x10}", "request: invalid JSON near byte 6"),
    CASE(0, "{\"a\":\"\\x\"}", "request: invalid JSON near byte 6"),
    CASE(0, "{\"a\":\"\\u12\"}", "request: invalid JSON near byte 6"),
    CASE(0, "{\"a\":'x'}", "request: invalid JSON near byte 5"),
    CASE(0, "{\"a\":1} x", "request: trailing data after the JSON value near byte 8"),
    CASE(0, "{\"a\":1}{}", "request: trailing data after the JSON value near byte 7"),
    CASE(0, "{\"a\":1}\0", "request: trailing data after the JSON value near byte 7"),
    CASE(0, "\xef\xbb\xbf{}", "request: invalid JSON near byte 0"),
    /* NUL, raw or escaped, in values and keys, at any depth */
    CASE(0, "{\"card\":\"demo-gold-1\\u0000XYZ\"}", "card: NUL character not allowed"),
    CASE(0, "{\"cmd\":\"stats\\u0000junk\"}", "cmd: NUL character not allowed"),
    CASE(0, "{\"card\":\"ab\0c\"}", "card: NUL character not allowed"),
    CASE(0, "{\"ca\\u0000rd\":1}", "ca?rd: NUL character not allowed"),
    CASE(0, "{\"m\":[{\"c\":\"x\"},{\"c\":\"\\u0000\"}]}", "m[1].c: NUL character not allowed"),
    /* raw controls are not JSON, whatever the flags */
    CASE(0, "{\"a\":\"x\ty\"}", "a: control character not allowed"),
    CASE(0, "{\"a\":\"x\ny\"}", "a: control character not allowed"),
    /* UTF-8 */
    CASE(0, "{\"a\":\"\xc3\x28\"}", "a: invalid UTF-8"),
    CASE(0, "{\"a\":\"\xc0\xaf\"}", "a: invalid UTF-8"),         /* overlong */
    CASE(0, "{\"a\":\"\xed\xa0\x80\"}", "a: invalid UTF-8"),     /* surrogate */
    CASE(0, "{\"a\":\"\xf4\x90\x80\x80\"}", "a: invalid UTF-8"), /* past U+10FFFF */
    CASE(0, "{\"a\":\"\xff\"}", "a: invalid UTF-8"),
    CASE(0, "{\"a\":\"ab\xe2\x82", "a: invalid UTF-8"), /* cut at the end */
    CASE(0, "{\"k\xff\":1}", "k?: invalid UTF-8"),
    CASE(0, "{\"a\":\"\\ud800\"}", "a: invalid \\u escape (lone surrogate)"),
    CASE(0, "{\"a\":\"\\udc00\\ud800\"}", "a: invalid \\u escape (lone surrogate)"),
    CASE(0, "{\"a\":\"\\ud800\\u0041\"}", "a: invalid \\u escape (lone surrogate)"),
    /* duplicate keys, also when spelt differently, also in big objects */
    CASE(0, "{\"a\":1,\"a\":2}", "a: duplicate field"),
    CASE(0, "{\"a\":1,\"\\u0061\":2}", "a: duplicate field"),
    CASE(0, "{\"x\":{\"b\":1,\"c\":2,\"b\":3}}", "x.b: duplicate field"),
    CASE(0,
         "{\"k0\":0,\"k1\":0,\"k2\":0,\"k3\":0,\"k4\":0,\"k5\":0,\"k6\":0,\"k7\":0,\"k8\":0,"
         "\"k9\":0,\"ka\":0,\"kb\":0,\"kc\":0,\"kd\":0,\"ke\":0,\"kf\":0,\"kg\":0,\"k4\":1}",
         "k4: duplicate field"),
    /* depth: 16 levels are fine (below), 17 are not */
    CASE(0, "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",
         "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: too deep (more than 16 levels)"),
    CASE(0,
         "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":{\"k\":{\"l\":{"
         "\"m\":{\"n\":{\"o\":{\"p\":{}}}}}}}}}}}}}}}}}",
         "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p: too deep (more than 16 levels)"),
    /* numbers */
    CASE(0, "{\"n\":12345678901234567890123456789012345678901}",
         "n: number too long (more than 40 characters)"),
    /* text a person reads: controls (escaped too), C1, DEL, bidi overrides and isolates */
    CASE(VQ_JSON_TEXT, "{\"reason\":\"a\\nb\"}", "reason: control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"reason\":\"a\\u0007b\"}", "reason: control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"reason\":\"a\x7f\"}", "reason: control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"reason\":\"\xc2\x85\"}", "reason: control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"reason\":\"\\u009b\"}", "reason: control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"reason\":\"evil\xe2\x80\xae\"}",
         "reason: bidirectional control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"reason\":\"\\u202a\"}",
         "reason: bidirectional control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"reason\":\"\xe2\x81\xa6x\xe2\x81\xa9\"}",
         "reason: bidirectional control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"reason\":\"\\u2069\"}",
         "reason: bidirectional control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"a\\u202eb\":1}", "a?b: bidirectional control character not allowed"),
    CASE(VQ_JSON_TEXT, "{\"x\":[\"ok\",{\"y\":\"\\t\"}]}", "x[1].y: control character not allowed"),
};

START_TEST(test_refusals)
{
	cJSON *out = (cJSON *)(void *)&out; /* must stay untouched */
	cJSON *const before = out;
	vq_json_error e;
	int rc = parse_exact(BAD[_i].text, BAD[_i].len, BAD[_i].flags, &out, &e);
	ck_assert_int_eq(rc, VQ_EBADREQ);
	ck_assert_ptr_eq(out, before);
	char msg[256];
	vq_json_error_text(&e, "request", msg, sizeof msg);
	ck_assert_msg(strcmp(msg, BAD[_i].msg) == 0, "case %d: got '%s' want '%s'", _i, msg,
	              BAD[_i].msg);
}
END_TEST

static const struct {
	unsigned flags;
	const char *text;
} GOOD[] = {
    {0, "{}"},
    {0, "[]"},
    {0, " {\"a\" : [ 1 , -0 , 2.5e-3 , true , false , null , \"x\" ] } \r\n\t"},
    {0, "\"\\u00e9\\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\""},
    {0, "{\"a\":1,\"A\":2,\"a \":3}"},
    {0, "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]"}, /* 16 levels */
    {0, "{\"\xd0\x9f\xd0\xb0\xd1\x80\xd0\xba\":\"\xe4\xb8\xad\xf0\x9f\x8e\xa2\"}"},
    {VQ_JSON_TEXT,
     "{\"reason\":\"missed the window: ride was down \xe2\x80\x94 \xd0\xb4\xd0\xb0\"}"},
    {VQ_JSON_TEXT, "{\"name\":\"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \\u200f\"}"}, /* RTL text, RLM */
    {VQ_JSON_BOM, "\xef\xbb\xbf{\"a\":1}"},
    {VQ_JSON_BOM, "\xef\xbb\xbf"
                  "2"}, /* cJSON itself skips a BOM only in 5 bytes or more */
    {0, "12345678901234567890123456789012345678.0"}, /* 40 characters */
};

/* What is accepted is cJSON's own tree, numbers with their literal. */
START_TEST(test_accepts_what_cjson_reads)
{
	cJSON *mine = NULL;
	vq_json_error e;
	size_t len = strlen(GOOD[_i].text);
	int rc = parse_exact(GOOD[_i].text, len, GOOD[_i].flags, &mine, &e);
	ck_assert_msg(rc == VQ_OK, "case %d: %s: %s", _i, e.path, e.reason);
	size_t bom =
	    (GOOD[_i].flags & VQ_JSON_BOM) && !strncmp(GOOD[_i].text, "\xef\xbb\xbf", 3) ? 3 : 0;
	cJSON *ref = cJSON_ParseWithLength(GOOD[_i].text + bom, len - bom);
	ck_assert_ptr_nonnull(ref);
	ck_assert_msg(cJSON_Compare(mine, ref, 1), "case %d differs from cJSON", _i);
	cJSON_Delete(ref);
	cJSON_Delete(mine);
}
END_TEST

START_TEST(test_number_literals_kept)
{
	const char text[] = "{\"a\":[1,-0,2.5,1e0,1.0,-9223372036854775808],\"b\":{\"c\":42}}";
	cJSON *j = NULL;
	ck_assert_int_eq(parse_exact(text, sizeof text - 1, 0, &j, NULL), VQ_OK);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "a");
	const char *want[] = {"1", "-0", "2.5", "1e0", "1.0", "-9223372036854775808"};
	for (int i = 0; i < 6; i++)
		ck_assert_str_eq(cJSON_GetArrayItem(a, i)->valuestring, want[i]);
	const cJSON *c =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "b"), "c");
	ck_assert_str_eq(c->valuestring, "42");
	/* a copy keeps them; printing is cJSON's as ever */
	cJSON *dup = cJSON_Duplicate(j, 1);
	ck_assert_str_eq(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(dup, "a"), 3)->valuestring, "1e0");
	cJSON *ref = cJSON_Parse(text);
	char *printed = cJSON_PrintUnformatted(dup), *want_printed = cJSON_PrintUnformatted(ref);
	ck_assert_str_eq(printed, want_printed);
	free(printed);
	free(want_printed);
	cJSON_Delete(ref);
	cJSON_Delete(dup);
	cJSON_Delete(j);
}
END_TEST

static int int_of(const char *text, int64_t lo, int64_t hi, int64_t *v)
{
	char doc[128];
	snprintf(doc, sizeof doc, "{\"n\":%s}", text);
	cJSON *j = NULL;
	ck_assert_int_eq(vq_json_parse(doc, strlen(doc), 0, &j, NULL), VQ_OK);
	int rc = vq_json_int(cJSON_GetObjectItemCaseSensitive(j, "n"), lo, hi, v);
	cJSON_Delete(j);
	return rc;
}

START_TEST(test_integers_from_the_literal)
{
	int64_t v = -7;
	ck_assert_int_eq(int_of("5", 1, 20, &v), VQ_OK);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(int_of("-0", -1, 1, &v), VQ_OK);
	ck_assert_int_eq(v, 0);
	/* written as something else than an integer: refused, whatever its value */
	v = -7;
	ck_assert_int_eq(int_of("1.0", 0, 10, &v), VQ_EBADREQ);
	ck_assert_int_eq(int_of("1e0", 0, 10, &v), VQ_EBADREQ);
	ck_assert_int_eq(int_of("2.5", 0, 10, &v), VQ_EBADREQ);
	ck_assert_int_eq(int_of("1e300", 0, 10, &v), VQ_EBADREQ);
	ck_assert_int_eq(int_of("1E2", 0, 1000, &v), VQ_EBADREQ);
	ck_assert_int_eq(int_of("\"5\"", 0, 10, &v), VQ_EBADREQ);
	ck_assert_int_eq(int_of("true", 0, 10, &v), VQ_EBADREQ);
	ck_assert_int_eq(int_of("null", 0, 10, &v), VQ_EBADREQ);
	ck_assert_int_eq(v, -7);
	/* out of the caller's range, or of int64: no double ever in between */
	ck_assert_int_eq(int_of("21", 1, 20, &v), VQ_EINVAL);
	ck_assert_int_eq(int_of("0", 1, 20, &v), VQ_EINVAL);
	ck_assert_int_eq(int_of("4294967297", 1, INT32_MAX, &v), VQ_EINVAL);
	ck_assert_int_eq(int_of("9223372036854775807", INT64_MIN, INT64_MAX, &v), VQ_OK);
	ck_assert(v == INT64_MAX);
	ck_assert_int_eq(int_of("-9223372036854775808", INT64_MIN, INT64_MAX, &v), VQ_OK);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(int_of("9223372036854775808", INT64_MIN, INT64_MAX, &v), VQ_EINVAL);
	ck_assert_int_eq(int_of("-9223372036854775809", INT64_MIN, INT64_MAX, &v), VQ_EINVAL);
	ck_assert_int_eq(int_of("99999999999999999999999999999999999999", INT64_MIN, INT64_MAX, &v),
	                 VQ_EINVAL);
	/* 2^53 + 1 is exact here; through a double it would read 2^53 */
	ck_assert_int_eq(int_of("9007199254740993", 0, INT64_MAX, &v), VQ_OK);
	ck_assert(v == INT64_C(9007199254740993));
}
END_TEST

/* Numbers cJSON made (no literal): the double decides, its range checked before any cast. */
START_TEST(test_integers_without_literal)
{
	int64_t v = 3;
	cJSON *n = cJSON_CreateNumber(42);
	ck_assert_int_eq(vq_json_int(n, 0, 100, &v), VQ_OK);
	ck_assert_int_eq(v, 42);
	cJSON_SetNumberValue(n, 2.5);
	ck_assert_int_eq(vq_json_int(n, 0, 100, &v), VQ_EBADREQ);
	cJSON_SetNumberValue(n, 1e300);
	ck_assert_int_eq(vq_json_int(n, INT64_MIN, INT64_MAX, &v), VQ_EINVAL);
	cJSON_SetNumberValue(n, -1e30);
	ck_assert_int_eq(vq_json_int(n, INT64_MIN, INT64_MAX, &v), VQ_EINVAL);
	cJSON_SetNumberValue(n, 9223372036854775808.0);
	ck_assert_int_eq(vq_json_int(n, INT64_MIN, INT64_MAX, &v), VQ_EINVAL);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(vq_json_int(NULL, 0, 1, &v), VQ_EBADREQ);
	cJSON_Delete(n);
}
END_TEST

START_TEST(test_text_check)
{
	const char *gold = "Gold \xd0\x97\xd0\xbe\xd0\xbb\xd0\xbe\xd1\x82\xd0\xbe";
	ck_assert_int_eq(vq_json_text_check(gold, strlen(gold)), VQ_TEXT_OK);
	ck_assert_int_eq(vq_json_text_check("a\0b", 3), VQ_TEXT_NUL);
	ck_assert_int_eq(vq_json_text_check("a\tb", 3), VQ_TEXT_CONTROL);
	ck_assert_int_eq(vq_json_text_check("a\x7f", 2), VQ_TEXT_CONTROL);
	ck_assert_int_eq(vq_json_text_check("\xc2\x9f", 2), VQ_TEXT_CONTROL);
	ck_assert_int_eq(vq_json_text_check("\xe2\x80\xad", 3), VQ_TEXT_BIDI);
	ck_assert_int_eq(vq_json_text_check("\xe2\x81\xa8", 3), VQ_TEXT_BIDI);
	ck_assert_int_eq(vq_json_text_check("\xe2\x80\xaf", 3), VQ_TEXT_OK); /* U+202F: a space */
	ck_assert_int_eq(vq_json_text_check("\xe2\x80", 2), VQ_TEXT_UTF8);
	ck_assert_int_eq(vq_json_text_check("\xc3", 1), VQ_TEXT_UTF8);
	ck_assert_str_eq(vq_json_text_reason(VQ_TEXT_BIDI),
	                 "bidirectional control character not allowed");
}
END_TEST

/* A key shown in a message is cut short and made printable. */
START_TEST(test_path_echo)
{
	const char text[] =
	    "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":{\"\":{\"q\\\"\\n\":"
	    "[0,\"\\u0000\"]}}}";
	vq_json_error e;
	cJSON *j = NULL;
	ck_assert_int_eq(parse_exact(text, sizeof text - 1, 0, &j, &e), VQ_EBADREQ);
	ck_assert_str_eq(e.path, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa....''.q\"?[1]");
	char msg[64];
	vq_json_error_text(&e, NULL, msg, sizeof msg); /* cut to the buffer, still a string */
	ck_assert_uint_eq(strlen(msg), sizeof msg - 1);
}
END_TEST

/* Every allocation the parser makes may fail: VQ_ENOMEM, *out untouched, nothing leaked. */
START_TEST(test_starved)
{
	const char text[] =
	    "{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18],\"b\":{\"c\":1.5},"
	    "\"k0\":0,\"k1\":0,\"k2\":0,\"k3\":0,\"k4\":0,\"k5\":0,\"k6\":0,\"k7\":0,"
	    "\"k8\":0,\"k9\":0,\"ka\":0,\"kb\":0,\"kc\":0,\"kd\":0,\"ke\":0,\"kf\":0}";
	int failures = 0;
	for (unsigned long n = 1;; n++) {
		cJSON *j = NULL;
		vq_mem_fail_after(n);
		int rc = parse_exact(text, sizeof text - 1, 0, &j, NULL);
		vq_mem_fail_after(0);
		if (rc == VQ_OK) {
			cJSON_Delete(j);
			break;
		}
		ck_assert_int_eq(rc, VQ_ENOMEM);
		ck_assert_ptr_null(j);
		failures++;
	}
	ck_assert_int_gt(failures, 20);
}
END_TEST

/* Random documents built by cJSON and printed by it are read back the same; random
 * mutations of them are either refused or read exactly as cJSON reads them. */
START_TEST(test_random_round_trips)
{
	static const uint64_t seeds[] = {1, 0xfeed};
	tu_rng r = {seeds[_i]};
	fprintf(stderr, "test_random_round_trips: seed %llu\n", (unsigned long long)seeds[_i]);
	for (int round = 0; round < 3000; round++) {
		cJSON *doc = cJSON_CreateObject();
		for (int k = 0, n = (int)tu_rng_below(&r, 8); k < n; k++) {
			char key[16];
			snprintf(key, sizeof key, "k%d", k);
			switch (tu_rng_below(&r, 4)) {
			case 0:
				cJSON_AddNumberToObject(doc, key, (double)(int32_t)tu_rng_next(&r));
				break;
			case 1:
				cJSON_AddStringToObject(doc, key, "t\xc3\xa9xt \"q\" \\");
				break;
			case 2:
				cJSON_AddItemToObject(doc, key,
				                      cJSON_CreateIntArray((int[]){1, 2, 3}, 3));
				break;
			default:
				cJSON_AddBoolToObject(doc, key, 1);
			}
		}
		char *text = cJSON_PrintUnformatted(doc);
		size_t len = strlen(text);
		cJSON *j = NULL;
		ck_assert_int_eq(parse_exact(text, len, 0, &j, NULL), VQ_OK);
		ck_assert(cJSON_Compare(j, doc, 1));
		cJSON_Delete(j);
		/* one byte changed */
		if (len) {
			text[tu_rng_below(&r, (uint32_t)len)] = (char)tu_rng_below(&r, 256);
			j = NULL;
			if (parse_exact(text, len, 0, &j, NULL) == VQ_OK) {
				/* compared printed: cJSON_Compare finds inf unequal to itself */
				cJSON *ref = cJSON_ParseWithLength(text, len);
				ck_assert_msg(ref != NULL, "round %d: cJSON refuses %s", round,
				              text);
				char *a = cJSON_PrintUnformatted(j),
				     *b = cJSON_PrintUnformatted(ref);
				ck_assert_msg(strcmp(a, b) == 0, "round %d: %s", round, text);
				free(a);
				free(b);
				cJSON_Delete(ref);
				cJSON_Delete(j);
			}
		}
		free(text);
		cJSON_Delete(doc);
	}
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_refusals, 0, sizeof BAD / sizeof BAD[0]);
	tcase_add_loop_test(tc, test_accepts_what_cjson_reads, 0, sizeof GOOD / sizeof GOOD[0]);
	tcase_add_test(tc, test_number_literals_kept);
	tcase_add_test(tc, test_integers_from_the_literal);
	tcase_add_test(tc, test_integers_without_literal);
	tcase_add_test(tc, test_text_check);
	tcase_add_test(tc, test_path_echo);
	tcase_add_test(tc, test_starved);
	tcase_add_loop_test(tc, test_random_round_trips, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
