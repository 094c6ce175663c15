/* tests/test_site.c — the site-config parser (core/site.c).
 *
 * Covers: the bundled demo park read back through every accessor; defaults; fallback names;
 * one bad config per rule, each with its exact message (built by mutating a small valid
 * config, so every case differs from a good one in exactly one place); raw JSON errors;
 * size and count limits; and allocation starvation (every failing allocation gives
 * VQ_ENOMEM, leaves *out alone and leaks nothing — ASan's leak checker watches).
 * Every input is handed over in a buffer of exactly its length, with no NUL after it, so
 * ASan also catches any read past the end.
 */
#include "core/mem.h"
#include "core/site.h"
#include "support/tutil.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small but complete: two languages, three tiers, two attractions; attractions[0] leaves
 * every optional field out, attractions[1] sets them all. */
static const char BASE[] =
    "{"
    " \"version\": 1, \"id\": \"t\", \"name\": \"Test Park\","
    " \"timezone\": \"UTC\", \"languages\": [\"en\", \"ru\"],"
    " \"tiers\": ["
    "  {\"id\": \"standard\", \"names\": {\"en\": \"Standard\"},"
    "   \"max_passes\": 1, \"horizon_min\": 60},"
    "  {\"id\": \"silver\", \"names\": {\"en\": \"Silver\", \"ru\": \"Серебро\"},"
    "   \"protect_pct\": 30, \"release_min\": 45, \"max_passes\": 2,"
    "   \"horizon_min\": 180, \"late_grace_min\": 5},"
    "  {\"id\": \"gold\", \"names\": {\"en\": \"Gold\"}, \"protect_pct\": 20,"
    "   \"max_passes\": 3, \"horizon_min\": 240}"
    " ],"
    " \"attractions\": ["
    "  {\"id\": \"coaster\", \"names\": {\"en\": \"Coaster\"},"
    "   \"throughput_per_hour\": 1200, \"fast_share_pct\": 40, \"slot_min\": 15,"
    "   \"window_min\": 60, \"open\": \"09:00\", \"close\": \"21:00\","
    "   \"max_party\": 8},"
    "  {\"id\": \"carousel\", \"prefix\": \"K\", \"kind\": \"service\","
    "   \"names\": {\"en\": \"Carousel\", \"ru\": \"Карусель\"},"
    "   \"throughput_per_hour\": 600, \"fast_share_pct\": 25, \"slot_min\": 30,"
    "   \"window_min\": 30, \"open\": \"10:30\", \"close\": \"24:00\","
    "   \"early_grace_min\": 3, \"late_grace_min\": 7, \"max_party\": 20,"
    "   \"standby_min\": 600}"
    " ]"
    "}";

/* What *out holds before a parse that must leave it alone; never dereferenced. */
static int sentinel_store;
#define SENTINEL ((vq_site *)(void *)&sentinel_store)

/* Parses len bytes copied into a buffer of exactly that size. */
static int parse_exact(const char *text, size_t len, vq_site **out, char *err, size_t errlen)
{
	char *buf = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, text, len);
	int rc = vq_site_parse(buf, len, out, err, errlen);
	/* The site must not point into the JSON: wipe it before anyone reads the site. */
	memset(buf, 'x', len);
	free(buf);
	return rc;
}

static vq_site *parse_ok(const char *text)
{
	vq_site *site = NULL;
	char err[256];
	int rc = parse_exact(text, strlen(text), &site, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "rc %d: %s", rc, err);
	ck_assert_str_eq(err, "");
	ck_assert_ptr_nonnull(site);
	return site;
}

/* ---- the demo park ---- */

static const struct {
	const char *id, *en, *ru, *ro;
	int protect, release, passes, horizon, grace;
} DEMO_TIERS[] = {
    {"standard", "Standard", "Стандарт", "Standard", 0, 60, 1, 120, 0},
    {"silver", "Silver", "Серебро", "Argint", 30, 45, 2, 180, 5},
    {"gold", "Gold", "Золото", "Aur", 20, 30, 3, 240, 10},
    {"platinum", "Platinum", "Платина", "Platină", 10, 20, 4, 720, 15},
};

static const struct {
	const char *id, *prefix, *en, *ru, *ro;
	int kind, tput, share, slot, window, open, close, early, late, party, standby;
} DEMO_ATTRS[] = {
    {"coaster", "C", "Thunder Coaster", "Громовые горки", "Montagnele rusești „Tunetul”",
     VQ_KIND_RIDE, 1200, 40, 15, 60, 9 * 60, 21 * 60, 5, 10, 8, 35},
    {"log_flume", "L", "Log Flume", "Сплав на брёвнах", "Râul cu bușteni", VQ_KIND_RIDE, 900, 30,
     10, 45, 10 * 60, 19 * 60, 5, 10, 6, 25},
    {"haunted_mine", "M", "Haunted Mine", "Шахта с привидениями", "Mina bântuită", VQ_KIND_RIDE,
     1500, 50, 20, 60, 9 * 60, 21 * 60, 5, 15, 8, 20},
    {"carousel", "K", "Imperial Carousel", "Императорская карусель", "Caruselul împărătesc",
     VQ_KIND_RIDE, 600, 25, 5, 30, 9 * 60, 22 * 60, 0, 5, 10, 10},
    {"drop_tower", "T", "Sky Drop Tower", "Башня свободного падения", "Turnul căderii libere",
     VQ_KIND_RIDE, 480, 35, 30, 90, 11 * 60, 20 * 60, 10, 10, 4, 40},
    {"kids_train", "J", "Kids' Train", "Детский паровозик", "Trenulețul copiilor", VQ_KIND_RIDE,
     360, 50, 12, 36, 9 * 60, 18 * 60, 0, 10, 6, 15},
    {"guest_services", "H", "Guest Services", "Служба помощи гостям", "Asistență pentru vizitatori",
     VQ_KIND_SERVICE, 24, 100, 10, 20, 9 * 60, 21 * 60, 0, 5, 4, 0},
};

static vq_site *load_demo(void)
{
	size_t len;
	char *text = tu_read_file(tu_src("assets/demo-park.json"), &len);
	ck_assert_msg(text != NULL, "cannot read %s", tu_src("assets/demo-park.json"));
	vq_site *site = NULL;
	char err[256];
	int rc = parse_exact(text, len, &site, err, sizeof err);
	free(text);
	ck_assert_msg(rc == VQ_OK, "demo park: %s", err);
	return site;
}

START_TEST(test_demo_park)
{
	vq_site *site = load_demo();

	ck_assert_str_eq(vq_site_id(site), "demo");
	ck_assert_str_eq(vq_site_name(site), "Demo Park");
	ck_assert_str_eq(vq_site_timezone(site), "Europe/Chisinau");
	ck_assert_int_eq(vq_site_unknown_policy(site), VQ_UNKNOWN_STANDARD);
	ck_assert_int_eq(vq_site_min_lead_min(site), 0);

	ck_assert_int_eq(vq_site_lang_count(site), 3);
	ck_assert_str_eq(vq_site_lang(site, 0), "en");
	ck_assert_str_eq(vq_site_lang(site, 1), "ru");
	ck_assert_str_eq(vq_site_lang(site, 2), "ro");
	ck_assert_ptr_null(vq_site_lang(site, 3));
	ck_assert_ptr_null(vq_site_lang(site, -1));
	ck_assert_int_eq(vq_site_lang_find(site, "ro"), 2);
	ck_assert_int_eq(vq_site_lang_find(site, "de"), -1);
	ck_assert_int_eq(vq_site_lang_find(site, "RU"), -1);
	ck_assert_int_eq(vq_site_lang_find(site, NULL), -1);

	const int n_tiers = (int)(sizeof DEMO_TIERS / sizeof DEMO_TIERS[0]);
	ck_assert_int_eq(vq_site_tier_count(site), n_tiers);
	for (int i = 0; i < n_tiers; i++) {
		const vq_tier *t = vq_site_tier(site, i);
		ck_assert_ptr_nonnull(t);
		ck_assert_str_eq(t->id, DEMO_TIERS[i].id);
		ck_assert_int_eq(vq_site_tier_find(site, DEMO_TIERS[i].id), i);
		ck_assert_int_eq(t->protect_pct, DEMO_TIERS[i].protect);
		ck_assert_int_eq(t->release_min, DEMO_TIERS[i].release);
		ck_assert_int_eq(t->max_passes, DEMO_TIERS[i].passes);
		ck_assert_int_eq(t->horizon_min, DEMO_TIERS[i].horizon);
		ck_assert_int_eq(t->late_grace_min, DEMO_TIERS[i].grace);
		ck_assert_str_eq(vq_tier_name(site, i, 0), DEMO_TIERS[i].en);
		ck_assert_str_eq(vq_tier_name(site, i, 1), DEMO_TIERS[i].ru);
		ck_assert_str_eq(vq_tier_name(site, i, 2), DEMO_TIERS[i].ro);
		ck_assert_str_eq(t->name[2], DEMO_TIERS[i].ro);
	}
	ck_assert_ptr_null(vq_site_tier(site, n_tiers));
	ck_assert_ptr_null(vq_site_tier(site, -1));
	ck_assert_int_eq(vq_site_tier_find(site, "diamond"), -1);
	ck_assert_int_eq(vq_site_tier_find(site, NULL), -1);

	const int n_attrs = (int)(sizeof DEMO_ATTRS / sizeof DEMO_ATTRS[0]);
	ck_assert_int_eq(vq_site_attr_count(site), n_attrs);
	for (int i = 0; i < n_attrs; i++) {
		const vq_attraction *a = vq_site_attr(site, i);
		ck_assert_ptr_nonnull(a);
		ck_assert_str_eq(a->id, DEMO_ATTRS[i].id);
		ck_assert_int_eq(vq_site_attr_find(site, DEMO_ATTRS[i].id), i);
		ck_assert_str_eq(a->prefix, DEMO_ATTRS[i].prefix);
		ck_assert_int_eq(a->kind, DEMO_ATTRS[i].kind);
		ck_assert_int_eq(a->throughput_per_hour, DEMO_ATTRS[i].tput);
		ck_assert_int_eq(a->fast_share_pct, DEMO_ATTRS[i].share);
		ck_assert_int_eq(a->slot_min, DEMO_ATTRS[i].slot);
		ck_assert_int_eq(a->window_min, DEMO_ATTRS[i].window);
		ck_assert_int_eq(a->open_min, DEMO_ATTRS[i].open);
		ck_assert_int_eq(a->close_min, DEMO_ATTRS[i].close);
		ck_assert_int_eq(a->early_grace_min, DEMO_ATTRS[i].early);
		ck_assert_int_eq(a->late_grace_min, DEMO_ATTRS[i].late);
		ck_assert_int_eq(a->max_party, DEMO_ATTRS[i].party);
		ck_assert_int_eq(a->standby_min, DEMO_ATTRS[i].standby);
		ck_assert_int_eq((a->close_min - a->open_min) % a->slot_min, 0);
		ck_assert_str_eq(vq_attr_name(site, i, 0), DEMO_ATTRS[i].en);
		ck_assert_str_eq(vq_attr_name(site, i, 1), DEMO_ATTRS[i].ru);
		ck_assert_str_eq(vq_attr_name(site, i, 2), DEMO_ATTRS[i].ro);
		/* Romanian takes the comma-below letters, not the Turkish cedilla ones. */
		ck_assert_ptr_null(strstr(a->name[2], "ş"));
		ck_assert_ptr_null(strstr(a->name[2], "ţ"));
	}
	ck_assert_ptr_null(vq_site_attr(site, n_attrs));
	ck_assert_ptr_null(vq_site_attr(site, -1));
	ck_assert_ptr_null(vq_attr_name(site, n_attrs, 0));
	ck_assert_int_eq(vq_site_attr_find(site, "ferris_wheel"), -1);
	ck_assert_int_eq(vq_site_attr_find(site, NULL), -1);

	vq_site_free(site);
}
END_TEST

/* ---- defaults and fallbacks ---- */

START_TEST(test_defaults)
{
	vq_site *site = parse_ok(BASE);

	ck_assert_int_eq(vq_site_unknown_policy(site), VQ_UNKNOWN_STANDARD);
	ck_assert_int_eq(vq_site_min_lead_min(site), 0);
	ck_assert_int_eq(vq_site_access_margin_min(site), VQ_ACCESS_MARGIN_DEFAULT);
	const vq_tier *t0 = vq_site_tier(site, 0);
	ck_assert_int_eq(t0->protect_pct, 0);
	ck_assert_int_eq(t0->release_min, 0);
	ck_assert_int_eq(t0->late_grace_min, 0);

	const vq_attraction *a = vq_site_attr(site, 0);
	ck_assert_str_eq(a->prefix, "C"); /* from the id */
	ck_assert_int_eq(a->kind, VQ_KIND_RIDE);
	ck_assert_int_eq(a->early_grace_min, 0);
	ck_assert_int_eq(a->late_grace_min, 0);
	ck_assert_int_eq(a->standby_min, 0);

	const vq_attraction *b = vq_site_attr(site, 1);
	ck_assert_str_eq(b->prefix, "K");
	ck_assert_int_eq(b->kind, VQ_KIND_SERVICE);
	ck_assert_int_eq(b->open_min, 10 * 60 + 30);
	ck_assert_int_eq(b->close_min, 24 * 60);
	ck_assert_int_eq(b->early_grace_min, 3);
	ck_assert_int_eq(b->late_grace_min, 7);
	ck_assert_int_eq(b->max_party, VQ_MAX_PARTY);
	ck_assert_int_eq(b->standby_min, 600);

	/* no "limits": every role gets its default */
	static const int want[VQ_ROLE_COUNT][2] = {
	    {VQ_LIMIT_KIOSK_RATE, VQ_LIMIT_KIOSK_BURST},
	    {VQ_LIMIT_GATE_RATE, VQ_LIMIT_GATE_BURST},
	    {VQ_LIMIT_OPERATOR_RATE, VQ_LIMIT_OPERATOR_BURST}};
	for (int r = 0; r < VQ_ROLE_COUNT; r++) {
		ck_assert_int_eq(vq_site_limit(site, r)->rate_per_s, want[r][0]);
		ck_assert_int_eq(vq_site_limit(site, r)->burst, want[r][1]);
	}
	ck_assert_ptr_null(vq_site_limit(site, VQ_ROLE_COUNT));
	ck_assert_ptr_null(vq_site_limit(site, -1));
	ck_assert_str_eq(vq_role_name(VQ_ROLE_GATE), "gate");
	ck_assert_str_eq(vq_role_name(VQ_ROLE_COUNT), "?");
	vq_site_free(site);

	/* a role or a field left out keeps its default */
	char lim[sizeof BASE + 160];
	snprintf(lim, sizeof lim,
	         "{\"limits\": {\"gate\": {\"burst\": 5000}, \"operator\": {\"rate_per_s\": 1,"
	         " \"burst\": 1}},%s",
	         BASE + 1);
	site = parse_ok(lim);
	ck_assert_int_eq(vq_site_limit(site, VQ_ROLE_KIOSK)->rate_per_s, VQ_LIMIT_KIOSK_RATE);
	ck_assert_int_eq(vq_site_limit(site, VQ_ROLE_KIOSK)->burst, VQ_LIMIT_KIOSK_BURST);
	ck_assert_int_eq(vq_site_limit(site, VQ_ROLE_GATE)->rate_per_s, VQ_LIMIT_GATE_RATE);
	ck_assert_int_eq(vq_site_limit(site, VQ_ROLE_GATE)->burst, 5000);
	ck_assert_int_eq(vq_site_limit(site, VQ_ROLE_OPERATOR)->rate_per_s, 1);
	ck_assert_int_eq(vq_site_limit(site, VQ_ROLE_OPERATOR)->burst, 1);
	vq_site_free(site);

	/* The other policy, and a lead every tier's horizon still clears. */
	char text[sizeof BASE + 96];
	snprintf(
	    text, sizeof text,
	    "{\"unknown_cards\": \"refuse\", \"min_lead_min\": 60, \"access_margin_min\": 0,%s",
	    BASE + 1);
	site = parse_ok(text);
	ck_assert_int_eq(vq_site_unknown_policy(site), VQ_UNKNOWN_REFUSE);
	ck_assert_int_eq(vq_site_min_lead_min(site), 60);
	ck_assert_int_eq(vq_site_access_margin_min(site), 0);
	ck_assert_ptr_null(vq_site_chain(site)); /* in no chain unless it says so */
	vq_site_free(site);

	/* A chain: the member list the site shares. */
	snprintf(text, sizeof text, "{\"chain\": \"resort-1\",%s", BASE + 1);
	site = parse_ok(text);
	ck_assert_str_eq(vq_site_chain(site), "resort-1");
	vq_site_free(site);
}
END_TEST

START_TEST(test_fallback_names)
{
	vq_site *site = parse_ok(BASE);

	/* Given in both languages. */
	ck_assert_str_eq(vq_tier_name(site, 1, 0), "Silver");
	ck_assert_str_eq(vq_tier_name(site, 1, 1), "Серебро");
	ck_assert_str_eq(vq_attr_name(site, 1, 1), "Карусель");
	/* Only in the first: stored as "", read through the fallback. */
	ck_assert_str_eq(vq_site_tier(site, 0)->name[1], "");
	ck_assert_str_eq(vq_tier_name(site, 0, 1), "Standard");
	ck_assert_str_eq(vq_site_attr(site, 0)->name[1], "");
	ck_assert_str_eq(vq_attr_name(site, 0, 1), "Coaster");
	/* Languages the site does not have fall back too. */
	ck_assert_str_eq(vq_attr_name(site, 1, -1), "Carousel");
	ck_assert_str_eq(vq_attr_name(site, 1, 2), "Carousel");
	ck_assert_str_eq(vq_tier_name(site, 1, VQ_MAX_LANGS), "Silver");
	/* Unknown tiers and attractions have no name. */
	ck_assert_ptr_null(vq_tier_name(site, 3, 0));
	ck_assert_ptr_null(vq_tier_name(site, -1, 0));
	ck_assert_ptr_null(vq_attr_name(site, 2, 0));
	vq_site_free(site);
}
END_TEST

START_TEST(test_free_null)
{
	vq_site_free(NULL);
}
END_TEST

/* ---- bad configs: one mutation of BASE each ---- */

enum op {
	SET,    /* replace the value at path, or add it */
	DEL,    /* remove the value at path */
	DUPKEY, /* add path's key a second time to its object */
	APPEND, /* append value to the array at path */
};

typedef struct bad_case {
	enum op op;
	const char *path;  /* "attractions[1].names.en" */
	const char *value; /* JSON text */
	const char *err;
} bad_case;

#define LONG_KEY "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FORTY_A  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NAME_95  "\"ÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅx\"" /* 47 x 2 + 1 bytes */
#define NAME_96  "\"ÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅ\"" /* 48 x 2 bytes */

static const bad_case BAD[] = {
    /* top level */
    {DEL, "version", NULL, "version: missing"},
    {SET, "version", "2", "version: unsupported (expected 1)"},
    {SET, "version", "\"1\"", "version: wrong type (expected integer)"},
    {SET, "version", "1.5", "version: wrong type (expected integer)"},
    {DEL, "id", NULL, "id: missing"},
    {SET, "id", "\"Demo\"", "id: invalid id 'Demo' (expected 1..31 of a-z 0-9 _ -)"},
    {SET, "id", "\"\"", "id: invalid id '' (expected 1..31 of a-z 0-9 _ -)"},
    {SET, "id", "\"abcdefghijklmnopqrstuvwxyz012345\"",
     "id: invalid id 'abcdefghijklmnopqrstuvwxyz012345' (expected 1..31 of a-z 0-9 _ -)"},
    {DEL, "name", NULL, "name: missing"},
    {SET, "name", "\"\"", "name: wrong length (expected 1..95 bytes)"},
    {SET, "name", NAME_96, "name: wrong length (expected 1..95 bytes)"},
    {SET, "name", "\"Bell\\u0007Park\"", "name: control character not allowed"},
    {SET, "name", "\"Tab\\tPark\"", "name: control character not allowed"},
    {SET, "name", "\"Demo \xe2\x80\xaeParK\"", "name: bidirectional control character not allowed"},
    {SET, "name", "\"\\u2066Demo\\u2069\"", "name: bidirectional control character not allowed"},
    {SET, "name", "[\"Park\"]", "name: wrong type (expected string)"},
    {DEL, "timezone", NULL, "timezone: missing"},
    {SET, "timezone", "3", "timezone: wrong type (expected string)"},
    {SET, "timezone", "\"../../etc/passwd\"",
     "timezone: invalid timezone '../../etc/passwd' (expected an IANA name)"},
    {SET, "timezone", "\"/etc/localtime\"",
     "timezone: invalid timezone '/etc/localtime' (expected an IANA name)"},
    {SET, "timezone", "\"Europe//Chisinau\"",
     "timezone: invalid timezone 'Europe//Chisinau' (expected an IANA name)"},
    {DEL, "languages", NULL, "languages: missing"},
    {SET, "languages", "\"en\"", "languages: wrong type (expected array)"},
    {SET, "languages", "[]", "languages: must have 1..8 entries"},
    {SET, "languages", "[\"en\",\"ru\",\"ro\",\"de\",\"fr\",\"it\",\"es\",\"pt\",\"uk\"]",
     "languages: must have 1..8 entries"},
    {SET, "languages", "[\"en\", 5]", "languages[1]: wrong type (expected string)"},
    {SET, "languages", "[\"en\", \"en\"]", "languages[1]: duplicate language 'en'"},
    {SET, "languages", "[\"e\"]",
     "languages[0]: invalid language 'e' (expected 2..7 of a-z A-Z -)"},
    {SET, "languages", "[\"en\", \"pt_BR\"]",
     "languages[1]: invalid language 'pt_BR' (expected 2..7 of a-z A-Z -)"},
    {SET, "languages", "[\"en\", \"zh-Hant-TW\"]",
     "languages[1]: invalid language 'zh-Hant-TW' (expected 2..7 of a-z A-Z -)"},
    {SET, "min_lead_min", "241", "min_lead_min: out of range (0..240)"},
    {SET, "access_margin_min", "601", "access_margin_min: out of range (0..600)"},
    {SET, "access_margin_min", "-1", "access_margin_min: out of range (0..600)"},
    {SET, "access_margin_min", "\"10\"", "access_margin_min: wrong type (expected integer)"},
    {SET, "min_lead_min", "-1", "min_lead_min: out of range (0..240)"},
    {SET, "min_lead_min", "\"5\"", "min_lead_min: wrong type (expected integer)"},
    {SET, "min_lead_min", "90", "tiers[0].horizon_min: must not be below min_lead_min (90)"},
    {SET, "unknown_cards", "\"maybe\"",
     "unknown_cards: invalid policy 'maybe' (expected 'standard' or 'refuse')"},
    {SET, "unknown_cards", "false", "unknown_cards: wrong type (expected string)"},
    {SET, "chain", "\"Resort\"", "chain: invalid id 'Resort' (expected 1..31 of a-z 0-9 _ -)"},
    {SET, "chain", "\"\"", "chain: invalid id '' (expected 1..31 of a-z 0-9 _ -)"},
    {SET, "chain", "7", "chain: wrong type (expected string)"},
    {SET, "atractions", "[]", "atractions: unknown field"},
    {SET, "Version", "1", "Version: unknown field"},
    {SET, LONG_KEY, "1", FORTY_A "...: unknown field"},
    {SET, "a\001b", "1", "a?b: unknown field"},
    {SET, "", "1", "'': unknown field"},
    {DUPKEY, "id", "\"t2\"", "id: duplicate field"},

    /* tiers */
    {DEL, "tiers", NULL, "tiers: missing"},
    {SET, "tiers", "{}", "tiers: wrong type (expected array)"},
    {SET, "tiers", "[]", "tiers: must have 1..8 entries"},
    {SET, "tiers[1]", "5", "tiers[1]: wrong type (expected object)"},
    {SET, "tiers[0].colour", "\"red\"", "tiers[0].colour: unknown field"},
    {DUPKEY, "tiers[2].max_passes", "4", "tiers[2].max_passes: duplicate field"},
    {DEL, "tiers[1].id", NULL, "tiers[1].id: missing"},
    {SET, "tiers[1].id", "\"standard\"", "tiers[1].id: duplicate id 'standard'"},
    {SET, "tiers[2].id", "\"Gold\"",
     "tiers[2].id: invalid id 'Gold' (expected 1..31 of a-z 0-9 _ -)"},
    {SET, "tiers[2].id", "7", "tiers[2].id: wrong type (expected string)"},
    {SET, "tiers[0].protect_pct", "10", "tiers[0].protect_pct: must be 0 for the lowest tier"},
    {SET, "tiers[2].protect_pct", "40",
     "tiers[2].protect_pct: must not exceed the tier below (30)"},
    {SET, "tiers[1].protect_pct", "101", "tiers[1].protect_pct: out of range (0..100)"},
    {SET, "tiers[1].protect_pct", "30.5", "tiers[1].protect_pct: wrong type (expected integer)"},
    {SET, "tiers[1].release_min", "721", "tiers[1].release_min: out of range (0..720)"},
    {DEL, "tiers[1].max_passes", NULL, "tiers[1].max_passes: missing"},
    {SET, "tiers[1].max_passes", "0", "tiers[1].max_passes: out of range (1..20)"},
    {SET, "tiers[1].max_passes", "21", "tiers[1].max_passes: out of range (1..20)"},
    {DEL, "tiers[0].horizon_min", NULL, "tiers[0].horizon_min: missing"},
    {SET, "tiers[0].horizon_min", "1.5", "tiers[0].horizon_min: wrong type (expected integer)"},
    {SET, "tiers[0].horizon_min", "1441", "tiers[0].horizon_min: out of range (1..1440)"},
    {SET, "tiers[0].horizon_min", "null", "tiers[0].horizon_min: wrong type (expected integer)"},
    {SET, "tiers[1].late_grace_min", "-1", "tiers[1].late_grace_min: out of range (0..120)"},
    {SET, "tiers[1].late_grace_min", "121", "tiers[1].late_grace_min: out of range (0..120)"},
    {DEL, "tiers[1].names", NULL, "tiers[1].names: missing"},
    {SET, "tiers[1].names", "\"Silver\"", "tiers[1].names: wrong type (expected object)"},
    {SET, "tiers[1].names", "{\"ru\": \"Серебро\"}", "tiers[1].names.en: missing"},
    {SET, "tiers[1].names", "{\"en\": \"Silver\", \"de\": \"Silber\"}",
     "tiers[1].names.de: unknown language"},
    {SET, "tiers[1].names", "{\"en\": \"Silver\", \"RU\": \"Серебро\"}",
     "tiers[1].names.RU: unknown language"},
    {SET, "tiers[1].names", "{\"en\": \"\"}",
     "tiers[1].names.en: wrong length (expected 1..95 bytes)"},
    {SET, "tiers[1].names", "{\"en\": 3}", "tiers[1].names.en: wrong type (expected string)"},
    {SET, "tiers[1].names.ru", "\"\xc3\x28\"", "tiers[1].names.ru: invalid UTF-8"},
    {SET, "tiers[1].names.ru", "\"\xc0\xaf\"", "tiers[1].names.ru: invalid UTF-8"}, /* overlong */
    {SET, "tiers[1].names.ru", "\"\xed\xa0\x80\"",
     "tiers[1].names.ru: invalid UTF-8"}, /* surrogate */
    {SET, "tiers[1].names.ru", "\"\xf4\x90\x80\x80\"", "tiers[1].names.ru: invalid UTF-8"},
    {SET, "tiers[1].names.ru", "\"ab\xe2\x82\"", "tiers[1].names.ru: invalid UTF-8"}, /* cut */
    {SET, "tiers[1].names.ru", "\"\xc2\x85\"", "tiers[1].names.ru: control character not allowed"},
    {SET, "tiers[1].names.ru", NAME_96, "tiers[1].names.ru: wrong length (expected 1..95 bytes)"},
    {DUPKEY, "tiers[1].names.en", "\"Silver 2\"", "tiers[1].names.en: duplicate field"},

    /* attractions */
    {DEL, "attractions", NULL, "attractions: missing"},
    {SET, "attractions", "{}", "attractions: wrong type (expected array)"},
    {SET, "attractions", "[]", "attractions: must have 1..256 entries"},
    {SET, "attractions[1]", "\"carousel\"", "attractions[1]: wrong type (expected object)"},
    {SET, "attractions[0].thruput", "1200", "attractions[0].thruput: unknown field"},
    {DUPKEY, "attractions[0].slot_min", "15", "attractions[0].slot_min: duplicate field"},
    {DEL, "attractions[0].id", NULL, "attractions[0].id: missing"},
    {SET, "attractions[1].id", "\"coaster\"", "attractions[1].id: duplicate id 'coaster'"},
    {SET, "attractions[1].id", "\"big wheel\"",
     "attractions[1].id: invalid id 'big wheel' (expected 1..31 of a-z 0-9 _ -)"},
    {SET, "attractions[0].id", "\"4d_cinema\"",
     "attractions[0].prefix: missing (the id does not start with a letter)"},
    {SET, "attractions[1].prefix", "\"C\"", "attractions[1].prefix: duplicate prefix 'C'"},
    {DEL, "attractions[1].prefix", NULL,
     "attractions[1].prefix: duplicate prefix 'C' (taken from the id; set one)"},
    {SET, "attractions[1].prefix", "\"k\"",
     "attractions[1].prefix: invalid prefix 'k' (expected 1..3 of A-Z)"},
    {SET, "attractions[1].prefix", "\"ABCD\"",
     "attractions[1].prefix: invalid prefix 'ABCD' (expected 1..3 of A-Z)"},
    {SET, "attractions[1].prefix", "\"\"",
     "attractions[1].prefix: invalid prefix '' (expected 1..3 of A-Z)"},
    {SET, "attractions[1].prefix", "1", "attractions[1].prefix: wrong type (expected string)"},
    {DEL, "attractions[0].names", NULL, "attractions[0].names: missing"},
    {SET, "attractions[0].names", "{\"en\": \"Coaster\", \"fr\": \"Montagnes russes\"}",
     "attractions[0].names.fr: unknown language"},
    {SET, "attractions[0].names", "{}", "attractions[0].names.en: missing"},
    {SET, "attractions[0].names.ru", NAME_96,
     "attractions[0].names.ru: wrong length (expected 1..95 bytes)"},
    {SET, "attractions[1].kind", "\"coaster\"",
     "attractions[1].kind: invalid kind 'coaster' (expected 'ride' or 'service')"},
    {SET, "attractions[1].kind", "1", "attractions[1].kind: wrong type (expected string)"},
    {DEL, "attractions[0].throughput_per_hour", NULL,
     "attractions[0].throughput_per_hour: missing"},
    {SET, "attractions[0].throughput_per_hour", "\"1200\"",
     "attractions[0].throughput_per_hour: wrong type (expected integer)"},
    {SET, "attractions[0].throughput_per_hour", "0",
     "attractions[0].throughput_per_hour: out of range (1..100000)"},
    {SET, "attractions[0].throughput_per_hour", "100001",
     "attractions[0].throughput_per_hour: out of range (1..100000)"},
    {SET, "attractions[0].throughput_per_hour", "1e300",
     "attractions[0].throughput_per_hour: wrong type (expected integer)"},
    {SET, "attractions[0].throughput_per_hour", "4294968496",
     "attractions[0].throughput_per_hour: out of range (1..100000)"},
    {DEL, "attractions[0].fast_share_pct", NULL, "attractions[0].fast_share_pct: missing"},
    {SET, "attractions[0].fast_share_pct", "101",
     "attractions[0].fast_share_pct: out of range (0..100)"},
    {SET, "attractions[0].fast_share_pct", "true",
     "attractions[0].fast_share_pct: wrong type (expected integer)"},
    {DEL, "attractions[0].open", NULL, "attractions[0].open: missing"},
    {SET, "attractions[0].open", "900", "attractions[0].open: wrong type (expected string)"},
    {SET, "attractions[0].open", "\"9:00\"",
     "attractions[0].open: invalid time '9:00' (expected HH:MM, 00:00..23:59)"},
    {SET, "attractions[0].open", "\"09.00\"",
     "attractions[0].open: invalid time '09.00' (expected HH:MM, 00:00..23:59)"},
    {SET, "attractions[0].open", "\"24:00\"",
     "attractions[0].open: invalid time '24:00' (expected HH:MM, 00:00..23:59)"},
    {SET, "attractions[0].open", "\"12:60\"",
     "attractions[0].open: invalid time '12:60' (expected HH:MM, 00:00..23:59)"},
    {SET, "attractions[0].open", "\" 9:00\"",
     "attractions[0].open: invalid time ' 9:00' (expected HH:MM, 00:00..23:59)"},
    {SET, "attractions[0].open", "\"09:00 \"",
     "attractions[0].open: invalid time '09:00 ' (expected HH:MM, 00:00..23:59)"},
    {DEL, "attractions[0].close", NULL, "attractions[0].close: missing"},
    {SET, "attractions[0].close", "\"24:01\"",
     "attractions[0].close: invalid time '24:01' (expected HH:MM, 00:00..24:00)"},
    {SET, "attractions[0].close", "\"25:00\"",
     "attractions[0].close: invalid time '25:00' (expected HH:MM, 00:00..24:00)"},
    {SET, "attractions[0].close", "\"09:00\"", "attractions[0].close: must be after open (09:00)"},
    {SET, "attractions[0].close", "\"08:45\"", "attractions[0].close: must be after open (09:00)"},
    {DEL, "attractions[0].slot_min", NULL, "attractions[0].slot_min: missing"},
    {SET, "attractions[0].slot_min", "0", "attractions[0].slot_min: out of range (1..240)"},
    {SET, "attractions[0].slot_min", "241", "attractions[0].slot_min: out of range (1..240)"},
    {SET, "attractions[0].slot_min", "25",
     "attractions[0].slot_min: must divide the opening hours (720 min)"},
    {SET, "attractions[1].slot_min", "60",
     "attractions[1].slot_min: must divide the opening hours (810 min)"},
    {DEL, "attractions[0].window_min", NULL, "attractions[0].window_min: missing"},
    {SET, "attractions[0].window_min", "10", "attractions[0].window_min: out of range (15..720)"},
    {SET, "attractions[0].window_min", "721", "attractions[0].window_min: out of range (15..720)"},
    {SET, "attractions[0].early_grace_min", "121",
     "attractions[0].early_grace_min: out of range (0..120)"},
    {SET, "attractions[0].late_grace_min", "-5",
     "attractions[0].late_grace_min: out of range (0..120)"},
    {DEL, "attractions[0].max_party", NULL, "attractions[0].max_party: missing"},
    {SET, "attractions[0].max_party", "0", "attractions[0].max_party: out of range (1..20)"},
    {SET, "attractions[0].max_party", "21", "attractions[0].max_party: out of range (1..20)"},
    {SET, "attractions[1].standby_min", "601", "attractions[1].standby_min: out of range (0..600)"},
    {SET, "attractions[1].standby_min", "[]",
     "attractions[1].standby_min: wrong type (expected integer)"},
    {APPEND, "attractions", "{\"id\": \"coaster\"}", "attractions[2].id: duplicate id 'coaster'"},
    /* limits */
    {SET, "limits", "3", "limits: wrong type (expected object)"},
    {SET, "limits", "{\"bench\": {}}", "limits.bench: unknown field"},
    {SET, "limits", "{\"kiosk\": []}", "limits.kiosk: wrong type (expected object)"},
    {SET, "limits", "{\"kiosk\": {\"rate\": 5}}", "limits.kiosk.rate: unknown field"},
    {SET, "limits", "{\"gate\": {\"rate_per_s\": 0}}",
     "limits.gate.rate_per_s: out of range (1..100000)"},
    {SET, "limits", "{\"gate\": {\"rate_per_s\": 100001}}",
     "limits.gate.rate_per_s: out of range (1..100000)"},
    {SET, "limits", "{\"operator\": {\"burst\": 0}}",
     "limits.operator.burst: out of range (1..1000000)"},
    {SET, "limits", "{\"operator\": {\"burst\": 1000001}}",
     "limits.operator.burst: out of range (1..1000000)"},
    {SET, "limits", "{\"kiosk\": {\"burst\": 2.5}}",
     "limits.kiosk.burst: wrong type (expected integer)"},
    {SET, "limits", "{\"kiosk\": {\"burst\": \"5\"}}",
     "limits.kiosk.burst: wrong type (expected integer)"},
};

/* Walks a path like "tiers[1].names.en" to the container of its last step and returns it:
 * an object with the last key in key (and *index = -1), or for a last step "tiers[1]" the
 * array with 1 in *index (and key ""). */
static cJSON *walk(cJSON *root, const char *path, char *key, size_t keycap, int *index)
{
	cJSON *cur = root;
	const char *p = path;
	for (;;) {
		char step[128];
		int idx = -1;
		size_t n = strcspn(p, ".[");
		ck_assert_uint_lt(n, sizeof step);
		memcpy(step, p, n);
		step[n] = '\0';
		p += n;
		if (*p == '[') {
			idx = atoi(p + 1);
			p = strchr(p, ']') + 1;
		}
		int last = *p == '\0';
		if (last && idx < 0) {
			snprintf(key, keycap, "%s", step);
			*index = -1;
			return cur;
		}
		cur = cJSON_GetObjectItemCaseSensitive(cur, step);
		ck_assert_msg(cur != NULL, "no '%s' in %s", step, path);
		if (last) {
			key[0] = '\0';
			*index = idx;
			return cur;
		}
		if (idx >= 0) {
			cur = cJSON_GetArrayItem(cur, idx);
			ck_assert_msg(cur != NULL, "no [%d] in %s", idx, path);
		}
		if (*p == '.')
			p++;
	}
}

static char *mutate(const bad_case *bc)
{
	cJSON *root = cJSON_Parse(BASE);
	ck_assert_ptr_nonnull(root);
	cJSON *val = NULL;
	if (bc->value) {
		val = cJSON_Parse(bc->value);
		ck_assert_msg(val != NULL, "bad test value %s", bc->value);
	}
	char key[128];
	int idx;
	cJSON *parent = walk(root, bc->path, key, sizeof key, &idx);
	switch (bc->op) {
	case SET:
		if (idx >= 0)
			ck_assert(cJSON_ReplaceItemInArray(parent, idx, val));
		else if (cJSON_GetObjectItemCaseSensitive(parent, key))
			ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(parent, key, val));
		else
			ck_assert(cJSON_AddItemToObject(parent, key, val));
		break;
	case DEL:
		ck_assert_int_lt(idx, 0);
		ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(parent, key));
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
		break;
	case DUPKEY:
		ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(parent, key));
		ck_assert(cJSON_AddItemToObject(parent, key, val));
		break;
	case APPEND:
		ck_assert(cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(parent, key), val));
		break;
	}
	char *text = cJSON_PrintUnformatted(root);
	ck_assert_ptr_nonnull(text);
	cJSON_Delete(root);
	return text;
}

START_TEST(test_bad_configs)
{
	const bad_case *bc = &BAD[_i];
	char *text = mutate(bc);
	char err[256];
	vq_site *site = SENTINEL;
	int rc = parse_exact(text, strlen(text), &site, err, sizeof err);
	ck_assert_msg(rc == VQ_ECONFIG, "case %d (%s): rc %d, err '%s'", _i, bc->path, rc, err);
	ck_assert_msg(strcmp(err, bc->err) == 0, "case %d (%s):\n got  '%s'\n want '%s'", _i,
	              bc->path, err, bc->err);
	ck_assert_ptr_eq(site, SENTINEL); /* untouched */
	cJSON_free(text);
}
END_TEST

/* ---- raw text: JSON syntax and the document's shape ---- */

/* sizeof, not strlen: a case may hold a NUL that belongs to the input. */
#define RAW_CASE(text, err)                                                                        \
	{                                                                                          \
		text, sizeof(text) - 1, err                                                        \
	}

static const struct {
	const char *text;
	size_t len;
	const char *err;
} RAW[] = {
    RAW_CASE("", "config: invalid JSON near byte 0"),
    RAW_CASE("   ", "config: invalid JSON near byte 2"),
    RAW_CASE("{\"version\": 1,}", "config: invalid JSON near byte 14"),
    RAW_CASE("{\"version\": 1", "config: invalid JSON near byte 12"),
    RAW_CASE("{\"version\" 1}", "config: invalid JSON near byte 11"),
    RAW_CASE("{\"version\": tru}", "config: invalid JSON near byte 12"),
    RAW_CASE("{\"version\": 1} x", "config: trailing data after the JSON value near byte 15"),
    RAW_CASE("{\"version\": 1}\n\n{}", "config: trailing data after the JSON value near byte 16"),
    RAW_CASE("{\"version\": 1}\0", "config: trailing data after the JSON value near byte 14"),
    RAW_CASE("{\"version\": 1, \"v\\u0065rsion\": 1}", "version: duplicate field"),
    RAW_CASE("{\"version\": 1.0}", "version: wrong type (expected integer)"),
    RAW_CASE("{\"version\": 1e0}", "version: wrong type (expected integer)"),
    RAW_CASE("{\"version\": 1, \"name\": \"a\xff\"}", "name: invalid UTF-8"),
    RAW_CASE("{\"version\": 1, \"name\": \"Demo\\u0000Park\"}", "name: NUL character not allowed"),
    RAW_CASE("null", "config: wrong type (expected object)"),
    RAW_CASE("[{\"version\": 1}]", "config: wrong type (expected object)"),
    RAW_CASE("\"site\"", "config: wrong type (expected object)"),
    RAW_CASE("{}", "version: missing"),
    RAW_CASE("{\"tiers\": [], \"lanes\": 2, \"version\": 2}", "version: unsupported (expected 1)"),
    RAW_CASE("{\"lanes\": 2, \"version\": 1}", "lanes: unknown field"),
    RAW_CASE("\xef\xbb\xbf{\"version\": 2}", "version: unsupported (expected 1)"), /* BOM ok */
};

START_TEST(test_raw_errors)
{
	char err[256];
	vq_site *site = SENTINEL;
	int rc = parse_exact(RAW[_i].text, RAW[_i].len, &site, err, sizeof err);
	ck_assert_int_eq(rc, VQ_ECONFIG);
	ck_assert_msg(strcmp(err, RAW[_i].err) == 0, "case %d: got '%s' want '%s'", _i, err,
	              RAW[_i].err);
	ck_assert_ptr_eq(site, SENTINEL);
}
END_TEST

/* Integers are read as written: BASE with one integer spelt another way. The cases above
 * are built through cJSON, which would print 1200.0 back as 1200. */
START_TEST(test_integer_spellings)
{
	static const char *const spellings[] = {"1200.0", "12e2", "1.2e3", "1200e0"};
	const char *at = strstr(BASE, "1200");
	ck_assert_ptr_nonnull(at);
	size_t head = (size_t)(at - BASE);
	char text[sizeof BASE + 16], err[256];
	snprintf(text, sizeof text, "%.*s%s%s", (int)head, BASE, spellings[_i], at + 4);
	vq_site *site = SENTINEL;
	ck_assert_int_eq(parse_exact(text, strlen(text), &site, err, sizeof err), VQ_ECONFIG);
	ck_assert_str_eq(err, "attractions[0].throughput_per_hour: wrong type (expected integer)");
	ck_assert_ptr_eq(site, SENTINEL);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_size_limit)
{
	const size_t max = (size_t)4 << 20;
	char *buf = malloc(max + 1);
	ck_assert_ptr_nonnull(buf);
	char err[256];
	vq_site *site = NULL;

	/* Exactly at the limit: a good config padded with whitespace still parses. */
	memset(buf, ' ', max + 1);
	memcpy(buf, BASE, strlen(BASE));
	ck_assert_int_eq(vq_site_parse(buf, max, &site, err, sizeof err), VQ_OK);
	vq_site_free(site);
	site = NULL;

	/* One byte over is refused before anything reads it. */
	ck_assert_int_eq(vq_site_parse(buf, max + 1, &site, err, sizeof err), VQ_ECONFIG);
	ck_assert_str_eq(err, "config: too large");
	ck_assert_ptr_null(site);
	free(buf);
}
END_TEST

/* BASE with its tiers or attractions replaced by n generated ones. */
static char *with_many(const char *what, int n)
{
	cJSON *root = cJSON_Parse(BASE);
	cJSON *arr = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		char id[16], prefix[4];
		cJSON *o = cJSON_CreateObject();
		snprintf(id, sizeof id, "x%d", i);
		cJSON_AddStringToObject(o, "id", id);
		cJSON *names = cJSON_AddObjectToObject(o, "names");
		cJSON_AddStringToObject(names, "en", id);
		if (strcmp(what, "tiers") == 0) {
			cJSON_AddNumberToObject(o, "max_passes", 1);
			cJSON_AddNumberToObject(o, "horizon_min", 60);
		} else {
			/* Unique prefixes: A..Z, then AA..ZZ. */
			if (i < 26)
				snprintf(prefix, sizeof prefix, "%c", 'A' + i);
			else
				snprintf(prefix, sizeof prefix, "%c%c", 'A' + (i / 26 - 1),
				         'A' + i % 26);
			cJSON_AddStringToObject(o, "prefix", prefix);
			cJSON_AddNumberToObject(o, "throughput_per_hour", 100);
			cJSON_AddNumberToObject(o, "fast_share_pct", 50);
			cJSON_AddNumberToObject(o, "slot_min", 60);
			cJSON_AddNumberToObject(o, "window_min", 60);
			cJSON_AddStringToObject(o, "open", "00:00");
			cJSON_AddStringToObject(o, "close", "24:00");
			cJSON_AddNumberToObject(o, "max_party", 1);
		}
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_ReplaceItemInObjectCaseSensitive(root, what, arr);
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	ck_assert_ptr_nonnull(text);
	return text;
}

START_TEST(test_count_limits)
{
	char err[256];
	vq_site *site = NULL;
	char *text;

	text = with_many("tiers", VQ_MAX_TIERS);
	ck_assert_int_eq(parse_exact(text, strlen(text), &site, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_site_tier_count(site), VQ_MAX_TIERS);
	ck_assert_int_eq(vq_site_tier_find(site, "x7"), 7);
	vq_site_free(site);
	site = NULL;
	cJSON_free(text);

	text = with_many("tiers", VQ_MAX_TIERS + 1);
	ck_assert_int_eq(parse_exact(text, strlen(text), &site, err, sizeof err), VQ_ECONFIG);
	ck_assert_str_eq(err, "tiers: must have 1..8 entries");
	cJSON_free(text);

	text = with_many("attractions", 256);
	ck_assert_int_eq(parse_exact(text, strlen(text), &site, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_site_attr_count(site), 256);
	ck_assert_int_eq(vq_site_attr_find(site, "x255"), 255);
	ck_assert_str_eq(vq_site_attr(site, 255)->prefix, "IV");
	vq_site_free(site);
	site = NULL;
	cJSON_free(text);

	text = with_many("attractions", 257);
	ck_assert_int_eq(parse_exact(text, strlen(text), &site, err, sizeof err), VQ_ECONFIG);
	ck_assert_str_eq(err, "attractions: must have 1..256 entries");
	ck_assert_ptr_null(site);
	cJSON_free(text);
}
END_TEST

/* Every length limit at its largest accepted value. */
START_TEST(test_max_lengths)
{
	static const char ID_31[] = "abcdefghijklmnopqrstuvwxyz_0-19";
	static const char ID_16[] = "abcdefghijklmnop";
	static const char TZ[] = "America/Argentina/ComodRivadavia";
	cJSON *root = cJSON_Parse(BASE);
	/* 95 bytes (47 two-byte letters and one ASCII): the limit counts bytes, not letters.
	 * NAME_96 is refused in BAD. */
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(root, "name", cJSON_Parse(NAME_95)));
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(root, "id", cJSON_CreateString(ID_31)));
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(root, "timezone", cJSON_CreateString(TZ)));
	cJSON *langs = cJSON_GetObjectItemCaseSensitive(root, "languages");
	ck_assert(cJSON_AddItemToArray(langs, cJSON_CreateString("zh-Hant")));
	cJSON *a1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "attractions"), 1);
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(a1, "prefix", cJSON_CreateString("ABC")));
	/* a ticket code carries the site's and the attraction's ids: 47 bytes together */
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(a1, "id", cJSON_CreateString(ID_16)));
	cJSON *a1_names = cJSON_GetObjectItemCaseSensitive(a1, "names");
	cJSON_AddItemToObject(a1_names, "zh-Hant", cJSON_Parse(NAME_95));
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);

	vq_site *site = parse_ok(text);
	ck_assert_uint_eq(strlen(vq_site_name(site)), VQ_NAME_MAX - 1);
	ck_assert_str_eq(vq_site_id(site), ID_31);
	ck_assert_str_eq(vq_site_timezone(site), TZ);
	ck_assert_str_eq(vq_site_lang(site, 2), "zh-Hant");
	ck_assert_int_eq(vq_site_lang_find(site, "zh-Hant"), 2);
	ck_assert_str_eq(vq_site_attr(site, 1)->id, ID_16);
	ck_assert_str_eq(vq_site_attr(site, 1)->prefix, "ABC");
	ck_assert_uint_eq(strlen(vq_attr_name(site, 1, 2)), VQ_NAME_MAX - 1);
	vq_site_free(site);
	cJSON_free(text);

	root = cJSON_Parse(BASE);
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(root, "id", cJSON_CreateString(ID_31)));
	a1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "attractions"), 1);
	ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(a1, "id",
	                                                 cJSON_CreateString("abcdefghijklmnopq")));
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	char err[256] = "";
	ck_assert_int_eq(vq_site_parse(text, strlen(text), &site, err, sizeof err), VQ_ECONFIG);
	ck_assert_str_eq(
	    err, "attractions[1].id: too long with the site id (47 bytes together at most)");
	cJSON_free(text);
}
END_TEST

/* ---- the caller's side of the contract ---- */

START_TEST(test_arguments)
{
	vq_site *site = NULL;
	char err[256];
	const char *bad = "{\"version\": 2}";

	ck_assert_int_eq(vq_site_parse(BASE, strlen(BASE), NULL, err, sizeof err), VQ_EINVAL);
	ck_assert_int_eq(vq_site_parse(NULL, 5, &site, err, sizeof err), VQ_EINVAL);
	/* NULL with no length is just empty input. */
	ck_assert_int_eq(vq_site_parse(NULL, 0, &site, err, sizeof err), VQ_ECONFIG);
	ck_assert_str_eq(err, "config: invalid JSON near byte 0");

	/* No room for a message is fine; a small room gets a cut, terminated message. */
	ck_assert_int_eq(vq_site_parse(bad, strlen(bad), &site, NULL, 0), VQ_ECONFIG);
	ck_assert_int_eq(vq_site_parse(bad, strlen(bad), &site, err, 0), VQ_ECONFIG);
	memset(err, '#', sizeof err);
	ck_assert_int_eq(vq_site_parse(bad, strlen(bad), &site, err, 8), VQ_ECONFIG);
	ck_assert_str_eq(err, "version");
	memset(err, '#', sizeof err);
	ck_assert_int_eq(vq_site_parse(bad, strlen(bad), &site, err, 12), VQ_ECONFIG);
	ck_assert_str_eq(err, "version: un");
	ck_assert_ptr_null(site);

	/* Success clears a message left from before. */
	strcpy(err, "stale");
	ck_assert_int_eq(vq_site_parse(BASE, strlen(BASE), &site, err, sizeof err), VQ_OK);
	ck_assert_str_eq(err, "");
	vq_site_free(site);
}
END_TEST

/* Two sites from one text are independent copies. */
START_TEST(test_independent)
{
	vq_site *a = parse_ok(BASE), *b = parse_ok(BASE);
	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_ne(vq_site_attr(a, 0), vq_site_attr(b, 0));
	vq_site_free(a);
	ck_assert_str_eq(vq_attr_name(b, 1, 1), "Карусель");
	vq_site_free(b);
}
END_TEST

/* ---- allocation starvation ---- */

static void starve(const char *text, size_t len)
{
	char err[256];
	unsigned long n;
	for (n = 1;; n++) {
		vq_site *site = SENTINEL;
		vq_mem_fail_after(n);
		int rc = parse_exact(text, len, &site, err, sizeof err);
		vq_mem_fail_after(0);
		if (rc == VQ_OK) {
			ck_assert_ptr_ne(site, SENTINEL);
			vq_site_free(site);
			break;
		}
		ck_assert_msg(rc == VQ_ENOMEM, "fail at %lu: rc %d (%s)", n, rc, err);
		ck_assert_str_eq(err, "config: out of memory");
		ck_assert_ptr_eq(site, SENTINEL);
		ck_assert_uint_lt(n, 1000);
	}
	ck_assert_uint_gt(n, 1); /* at least one allocation was starved */
}

START_TEST(test_starvation)
{
	starve(BASE, strlen(BASE));
	size_t len;
	char *demo = tu_read_file(tu_src("assets/demo-park.json"), &len);
	ck_assert_ptr_nonnull(demo);
	starve(demo, len);
	free(demo);
}
END_TEST

static Suite *site_suite(void)
{
	Suite *s = suite_create("site");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_demo_park);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_fallback_names);
	tcase_add_test(tc, test_free_null);
	tcase_add_loop_test(tc, test_bad_configs, 0, (int)(sizeof BAD / sizeof BAD[0]));
	tcase_add_loop_test(tc, test_integer_spellings, 0, 4);
	tcase_add_loop_test(tc, test_raw_errors, 0, (int)(sizeof RAW / sizeof RAW[0]));
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_count_limits);
	tcase_add_test(tc, test_max_lengths);
	tcase_add_test(tc, test_arguments);
	tcase_add_test(tc, test_independent);
	tcase_add_test(tc, test_starvation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(site_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
