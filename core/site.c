/* core/site.c — parses and holds a site's configuration (see site.h).
 *
 * Owns the JSON schema below and every rule a config must pass before vqd runs a day on it.
 * Invariants of a vq_site that vq_site_parse returned:
 *   - every field is within the ranges below; ids, prefixes and languages are unique;
 *   - nothing points into the caller's JSON (strings are copied), so it may be freed;
 *   - it is never modified after parsing.
 * On failure the parser frees all it allocated, leaves *out alone and names the first bad
 * field in err as "path: reason". Fields are checked in a fixed order (version first;
 * then in each object its unknown and duplicate keys, then its fields as listed here), so
 * a given config always yields the same message.
 *
 * The text is strict JSON (core/json.h: UTF-8, no NUL, no key twice, nothing after the
 * object; a leading byte-order mark is allowed, editors write one).
 * Schema, version 1. "opt" fields may be left out (default in brackets); integers are
 * written as integers (not 1.0 or 1e0); unknown keys are errors everywhere, to catch typos.
 *   version        1
 *   id             id: 1..31 of [a-z0-9_-]
 *   chain          opt [none], an id as above: the chain whose one member list the site
 *                  shares with its other sites (PostgreSQL stores; tiers are the chain's)
 *   name           text: 1..95 bytes of UTF-8, no control or bidi control characters
 *   timezone       IANA name, 1..63 of [A-Za-z0-9_+-] in '/'-separated parts
 *   languages      1..8 unique codes, 2..7 of [a-zA-Z-]; the first is the fallback
 *   min_lead_min   opt [0], 0..240
 *   unknown_cards  opt ["standard"], "standard" | "refuse"
 *   access_margin_min opt [10], 0..600: an accessibility return pass's return time is
 *                  the posted standby wait minus this
 *   tiers          1..8 objects, lowest first:
 *     id, names    names: {lang: text}, keys among the languages, the first one required
 *     protect_pct  opt [0]; tier 0: 0; tier 1: 0..100; higher: at most the tier below's
 *     release_min  opt [0], 0..720
 *     max_passes   1..20
 *     horizon_min  1..1440, at least min_lead_min
 *     late_grace_min opt [0], 0..120
 *   attractions    1..256 objects:
 *     id, names    as for tiers; ids unique
 *     prefix       opt [the id's first letter, uppercased], 1..3 of [A-Z], unique
 *     kind         opt ["ride"], "ride" | "service"
 *     throughput_per_hour 1..100000;  fast_share_pct 0..100
 *     open, close  "HH:MM", open 00:00..23:59, close up to "24:00", open < close
 *     slot_min     1..240, divides close - open;  window_min slot_min..720
 *     early_grace_min, late_grace_min  opt [0], 0..120
 *     max_party    1..VQ_MAX_PARTY;  standby_min opt [0], 0..600
 *   limits         opt: what one account may ask of vqd, a token bucket per role (site.h):
 *     kiosk, gate, operator  opt objects of
 *       rate_per_s opt [VQ_LIMIT_<ROLE>_RATE], 1..100000
 *       burst      opt [VQ_LIMIT_<ROLE>_BURST], 1..1000000
 */
#include "site.h"

#include "code.h"
#include "json.h"
#include "mem.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SITE_JSON_MAX  (4u << 20) /* a real park is a few KiB; this bounds cJSON's work */
#define SITE_MAX_ATTRS 256
#define SITE_TZ_MAX    64
#define PATH_MAX_LEN   96 /* "attractions[255].names.pt-BR" fits with room to spare */
#define ECHO_MAX       44 /* config text quoted in a message: 40 bytes and "..." */

struct vq_site {
	char id[VQ_ID_MAX];
	char chain[VQ_ID_MAX]; /* "" when the site is in no chain */
	char name[VQ_NAME_MAX];
	char timezone[SITE_TZ_MAX];
	int unknown_policy;
	int min_lead_min;
	int access_margin_min;
	int nlangs;
	char langs[VQ_MAX_LANGS][VQ_LANG_MAX];
	int ntiers;
	vq_tier tiers[VQ_MAX_TIERS];
	int nattrs;
	vq_attraction *attrs;
	vq_limit limits[VQ_ROLE_COUNT];
};

/* By enum vq_role, NULL-terminated for check_keys. */
static const char *const ROLE_NAMES[VQ_ROLE_COUNT + 1] = {"kiosk", "gate", "operator", NULL};
static const vq_limit DEFAULT_LIMITS[VQ_ROLE_COUNT] = {
    {VQ_LIMIT_KIOSK_RATE, VQ_LIMIT_KIOSK_BURST},
    {VQ_LIMIT_GATE_RATE, VQ_LIMIT_GATE_BURST},
    {VQ_LIMIT_OPERATOR_RATE, VQ_LIMIT_OPERATOR_BURST},
};

typedef struct pctx {
	char *err;
	size_t errlen;
} pctx;

/* Writes "obj.field: reason" (or "field: reason" at the top) and returns VQ_ECONFIG, so
 * callers can `return fail(...)`. */
static int fail(pctx *c, const char *obj, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(pctx *c, const char *obj, const char *field, const char *fmt, ...)
{
	if (!c->err || c->errlen == 0)
		return VQ_ECONFIG;
	int n = snprintf(c->err, c->errlen, "%s%s%s: ", obj, *obj && *field ? "." : "", field);
	if (n < 0 || (size_t)n >= c->errlen)
		return VQ_ECONFIG;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return VQ_ECONFIG;
}

static int fail_nomem(pctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "config: out of memory");
	return VQ_ENOMEM;
}

/* A short, printable copy of text from the config for an error message: operators read
 * these in logs and on vqctl, where control bytes or a megabyte-long key do harm. */
static const char *echo(const char *s, char *buf, size_t cap)
{
	size_t i = 0;
	for (; s[i] && i + 4 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static int is_id_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

static int valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n >= VQ_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_id_char(s[i]))
			return 0;
	return 1;
}

static int valid_lang(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n >= VQ_LANG_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-'))
			return 0;
	}
	return 1;
}

static int valid_prefix(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 3)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

/* The I/O layer may look the name up under a zoneinfo directory, so no '.', no leading
 * '/', no empty part: a config must not be able to name a file outside it. */
static int valid_timezone(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n >= SITE_TZ_MAX)
		return 0;
	char prev = '/';
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		         (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' ||
		         (ch == '/' && prev != '/');
		if (!ok)
			return 0;
		prev = ch;
	}
	return prev != '/';
}

/* Copies a display text after checking it; dst holds VQ_NAME_MAX bytes. */
static int take_text(pctx *c, const char *obj, const char *field, const cJSON *v, char *dst)
{
	if (!cJSON_IsString(v))
		return fail(c, obj, field, "wrong type (expected string)");
	size_t n = strlen(v->valuestring);
	if (n < 1 || n >= VQ_NAME_MAX)
		return fail(c, obj, field, "wrong length (expected 1..%d bytes)", VQ_NAME_MAX - 1);
	int fault = vq_json_text_check(v->valuestring, n);
	if (fault)
		return fail(c, obj, field, "%s", vq_json_text_reason(fault));
	memcpy(dst, v->valuestring, n + 1);
	return VQ_OK;
}

/* Rejects keys not in known (NULL-terminated). Keys given twice never get here: the
 * strict parser refuses them, since silently using the first would hide the operator's
 * edit of the second. */
static int check_keys(pctx *c, const char *obj, const cJSON *o, const char *const *known)
{
	char eb[ECHO_MAX];
	for (const cJSON *k = o->child; k; k = k->next) {
		const char *key = k->string ? k->string : "";
		int found = 0;
		for (size_t i = 0; known[i] && !found; i++)
			found = strcmp(known[i], key) == 0;
		if (!found)
			return fail(c, obj, echo(*key ? key : "''", eb, sizeof eb),
			            "unknown field");
	}
	return VQ_OK;
}

/* Reads an integer field in lo..hi. Every optional integer in the schema defaults to 0. */
static int get_int(pctx *c, const char *obj, const cJSON *o, const char *key, int required, int lo,
                   int hi, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v) {
		if (required)
			return fail(c, obj, key, "missing");
		*out = 0;
		return VQ_OK;
	}
	int64_t x;
	int rc = vq_json_int(v, lo, hi, &x);
	if (rc == VQ_EBADREQ)
		return fail(c, obj, key, "wrong type (expected integer)");
	if (rc != VQ_OK)
		return fail(c, obj, key, "out of range (%d..%d)", lo, hi);
	*out = (int)x; /* within lo..hi */
	return VQ_OK;
}

/* Reads a string field; *out points into the cJSON tree (NULL if absent and optional). */
static int get_str(pctx *c, const char *obj, const cJSON *o, const char *key, int required,
                   const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = NULL;
	if (!v)
		return required ? fail(c, obj, key, "missing") : VQ_OK;
	if (!cJSON_IsString(v))
		return fail(c, obj, key, "wrong type (expected string)");
	*out = v->valuestring;
	return VQ_OK;
}

/* Reads an array field that must hold lo..hi entries. */
static int get_array(pctx *c, const cJSON *o, const char *key, int lo, int hi, const cJSON **out,
                     int *count)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return fail(c, "", key, "missing");
	if (!cJSON_IsArray(v))
		return fail(c, "", key, "wrong type (expected array)");
	int n = cJSON_GetArraySize(v);
	if (n < lo || n > hi)
		return fail(c, "", key, "must have %d..%d entries", lo, hi);
	*out = v;
	*count = n;
	return VQ_OK;
}

/* "HH:MM" to minutes after midnight; 24:00 only when allow_24. Returns -1 if malformed. */
static int parse_hhmm(const char *s, int allow_24)
{
	if (strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (allow_24 && h == 24 && m == 0)
		return 24 * 60;
	if (h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

static int get_time(pctx *c, const char *obj, const cJSON *o, const char *key, int allow_24,
                    int *out)
{
	const char *s;
	int rc = get_str(c, obj, o, key, 1, &s);
	if (rc)
		return rc;
	int t = parse_hhmm(s, allow_24);
	if (t < 0) {
		char eb[ECHO_MAX];
		return fail(c, obj, key, "invalid time '%s' (expected HH:MM, 00:00..%s)",
		            echo(s, eb, sizeof eb), allow_24 ? "24:00" : "23:59");
	}
	*out = t;
	return VQ_OK;
}

static int get_id(pctx *c, const char *obj, const cJSON *o, char *dst)
{
	const char *s;
	int rc = get_str(c, obj, o, "id", 1, &s);
	if (rc)
		return rc;
	if (!valid_id(s)) {
		char eb[ECHO_MAX];
		return fail(c, obj, "id", "invalid id '%s' (expected 1..%d of a-z 0-9 _ -)",
		            echo(s, eb, sizeof eb), VQ_ID_MAX - 1);
	}
	memcpy(dst, s, strlen(s) + 1);
	return VQ_OK;
}

static int find_lang(const vq_site *site, const char *lang)
{
	for (int i = 0; i < site->nlangs; i++)
		if (strcmp(site->langs[i], lang) == 0)
			return i;
	return -1;
}

/* names: {lang: text}; languages left out stay "" and fall back to the first. */
static int get_names(pctx *c, const char *obj, const cJSON *o, const vq_site *site,
                     char names[VQ_MAX_LANGS][VQ_NAME_MAX])
{
	char path[PATH_MAX_LEN], eb[ECHO_MAX];
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "names");
	if (!v)
		return fail(c, obj, "names", "missing");
	if (!cJSON_IsObject(v))
		return fail(c, obj, "names", "wrong type (expected object)");
	snprintf(path, sizeof path, "%s.names", obj);
	for (const cJSON *k = v->child; k; k = k->next) {
		int li = find_lang(site, k->string);
		if (li < 0)
			return fail(c, path, echo(*k->string ? k->string : "''", eb, sizeof eb),
			            "unknown language");
		int rc = take_text(c, path, k->string, k, names[li]);
		if (rc)
			return rc;
	}
	if (!names[0][0])
		return fail(c, path, site->langs[0], "missing");
	return VQ_OK;
}

static int parse_tier(pctx *c, const char *obj, const cJSON *o, vq_site *site, int idx)
{
	static const char *const known[] = {
	    "id",         "names",       "protect_pct",    "release_min",
	    "max_passes", "horizon_min", "late_grace_min", NULL};
	vq_tier *t = &site->tiers[idx];
	int rc;

	if (!cJSON_IsObject(o))
		return fail(c, obj, "", "wrong type (expected object)");
	if ((rc = check_keys(c, obj, o, known)))
		return rc;
	if ((rc = get_id(c, obj, o, t->id)))
		return rc;
	for (int i = 0; i < idx; i++)
		if (strcmp(site->tiers[i].id, t->id) == 0)
			return fail(c, obj, "id", "duplicate id '%s'", t->id);
	if ((rc = get_names(c, obj, o, site, t->name)))
		return rc;
	if ((rc = get_int(c, obj, o, "protect_pct", 0, 0, 100, &t->protect_pct)))
		return rc;
	/* Nested limits: protect(k) covers tier k and every tier above it, so from tier 1 up
	 * it can only shrink; tier 0 has nobody below it to protect against. */
	if (idx == 0 && t->protect_pct != 0)
		return fail(c, obj, "protect_pct", "must be 0 for the lowest tier");
	if (idx > 1 && t->protect_pct > site->tiers[idx - 1].protect_pct)
		return fail(c, obj, "protect_pct", "must not exceed the tier below (%d)",
		            site->tiers[idx - 1].protect_pct);
	if ((rc = get_int(c, obj, o, "release_min", 0, 0, 720, &t->release_min)))
		return rc;
	if ((rc = get_int(c, obj, o, "max_passes", 1, 1, 20, &t->max_passes)))
		return rc;
	if ((rc = get_int(c, obj, o, "horizon_min", 1, 1, 1440, &t->horizon_min)))
		return rc;
	/* A horizon shorter than the lead would leave the tier no bookable slot at all. */
	if (t->horizon_min < site->min_lead_min)
		return fail(c, obj, "horizon_min", "must not be below min_lead_min (%d)",
		            site->min_lead_min);
	return get_int(c, obj, o, "late_grace_min", 0, 0, 120, &t->late_grace_min);
}

static int get_prefix(pctx *c, const char *obj, const cJSON *o, const vq_site *site, int idx)
{
	vq_attraction *a = &site->attrs[idx];
	const char *s;
	char eb[ECHO_MAX];
	int rc = get_str(c, obj, o, "prefix", 0, &s);
	if (rc)
		return rc;
	int defaulted = s == NULL;
	if (s) {
		if (!valid_prefix(s))
			return fail(c, obj, "prefix", "invalid prefix '%s' (expected 1..3 of A-Z)",
			            echo(s, eb, sizeof eb));
		memcpy(a->prefix, s, strlen(s) + 1);
	} else {
		if (a->id[0] < 'a' || a->id[0] > 'z')
			return fail(c, obj, "prefix",
			            "missing (the id does not start with a letter)");
		a->prefix[0] = (char)(a->id[0] - 'a' + 'A');
		a->prefix[1] = '\0';
	}
	for (int i = 0; i < idx; i++)
		if (strcmp(site->attrs[i].prefix, a->prefix) == 0)
			return fail(c, obj, "prefix", "duplicate prefix '%s'%s", a->prefix,
			            defaulted ? " (taken from the id; set one)" : "");
	return VQ_OK;
}

static int parse_attr(pctx *c, const char *obj, const cJSON *o, vq_site *site, int idx)
{
	static const char *const known[] = {
	    "id",        "prefix",      "names", "kind",  "throughput_per_hour", "fast_share_pct",
	    "slot_min",  "window_min",  "open",  "close", "early_grace_min",     "late_grace_min",
	    "max_party", "standby_min", NULL};
	vq_attraction *a = &site->attrs[idx];
	const char *kind;
	char eb[ECHO_MAX];
	int rc;

	if (!cJSON_IsObject(o))
		return fail(c, obj, "", "wrong type (expected object)");
	if ((rc = check_keys(c, obj, o, known)))
		return rc;
	if ((rc = get_id(c, obj, o, a->id)))
		return rc;
	for (int i = 0; i < idx; i++)
		if (strcmp(site->attrs[i].id, a->id) == 0)
			return fail(c, obj, "id", "duplicate id '%s'", a->id);
	/* Every ticket code carries both ids, and its length is bounded (core/code.h). */
	if (strlen(site->id) + strlen(a->id) > VQ_CODE_IDS_MAX)
		return fail(c, obj, "id", "too long with the site id (%d bytes together at most)",
		            VQ_CODE_IDS_MAX);
	if ((rc = get_prefix(c, obj, o, site, idx)))
		return rc;
	if ((rc = get_names(c, obj, o, site, a->name)))
		return rc;
	if ((rc = get_str(c, obj, o, "kind", 0, &kind)))
		return rc;
	if (!kind || strcmp(kind, "ride") == 0)
		a->kind = VQ_KIND_RIDE;
	else if (strcmp(kind, "service") == 0)
		a->kind = VQ_KIND_SERVICE;
	else
		return fail(c, obj, "kind", "invalid kind '%s' (expected 'ride' or 'service')",
		            echo(kind, eb, sizeof eb));
	if ((rc = get_int(c, obj, o, "throughput_per_hour", 1, 1, 100000, &a->throughput_per_hour)))
		return rc;
	if ((rc = get_int(c, obj, o, "fast_share_pct", 1, 0, 100, &a->fast_share_pct)))
		return rc;
	if ((rc = get_time(c, obj, o, "open", 0, &a->open_min)))
		return rc;
	if ((rc = get_time(c, obj, o, "close", 1, &a->close_min)))
		return rc;
	if (a->close_min <= a->open_min)
		return fail(c, obj, "close", "must be after open (%02d:%02d)", a->open_min / 60,
		            a->open_min % 60);
	if ((rc = get_int(c, obj, o, "slot_min", 1, 1, 240, &a->slot_min)))
		return rc;
	/* The day is a whole number of slots, so the last one ends at closing. */
	int hours = a->close_min - a->open_min;
	if (hours % a->slot_min != 0)
		return fail(c, obj, "slot_min", "must divide the opening hours (%d min)", hours);
	if ((rc = get_int(c, obj, o, "window_min", 1, a->slot_min, 720, &a->window_min)))
		return rc;
	if ((rc = get_int(c, obj, o, "early_grace_min", 0, 0, 120, &a->early_grace_min)))
		return rc;
	if ((rc = get_int(c, obj, o, "late_grace_min", 0, 0, 120, &a->late_grace_min)))
		return rc;
	if ((rc = get_int(c, obj, o, "max_party", 1, 1, VQ_MAX_PARTY, &a->max_party)))
		return rc;
	return get_int(c, obj, o, "standby_min", 0, 0, 600, &a->standby_min);
}

static int parse_languages(pctx *c, const cJSON *root, vq_site *site)
{
	const cJSON *arr;
	char path[PATH_MAX_LEN], eb[ECHO_MAX];
	int n, rc = get_array(c, root, "languages", 1, VQ_MAX_LANGS, &arr, &n);
	if (rc)
		return rc;
	int i = 0;
	for (const cJSON *v = arr->child; v; v = v->next, i++) {
		snprintf(path, sizeof path, "languages[%d]", i);
		if (!cJSON_IsString(v))
			return fail(c, "", path, "wrong type (expected string)");
		if (!valid_lang(v->valuestring))
			return fail(c, "", path,
			            "invalid language '%s' (expected 2..%d of a-z A-Z -)",
			            echo(v->valuestring, eb, sizeof eb), VQ_LANG_MAX - 1);
		if (find_lang(site, v->valuestring) >= 0)
			return fail(c, "", path, "duplicate language '%s'", v->valuestring);
		memcpy(site->langs[i], v->valuestring, strlen(v->valuestring) + 1);
		site->nlangs = i + 1;
	}
	return VQ_OK;
}

/* Everything at the top level except tiers and attractions. */
static int parse_head(pctx *c, const cJSON *root, vq_site *site)
{
	static const char *const known[] = {
	    "version",  "id",          "chain",        "name",
	    "timezone", "languages",   "min_lead_min", "unknown_cards",
	    "tiers",    "attractions", "limits",       "access_margin_min",
	    NULL};
	const cJSON *v;
	const char *s;
	char eb[ECHO_MAX];
	int rc;

	/* The version before the keys: a newer file should fail as such, not on its new
	 * fields. */
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!v)
		return fail(c, "", "version", "missing");
	int64_t version;
	int vrc = vq_json_int(v, 1, 1, &version);
	if (vrc == VQ_EBADREQ)
		return fail(c, "", "version", "wrong type (expected integer)");
	if (vrc != VQ_OK)
		return fail(c, "", "version", "unsupported (expected 1)");
	if ((rc = check_keys(c, "", root, known)))
		return rc;
	if ((rc = get_id(c, "", root, site->id)))
		return rc;
	if ((rc = get_str(c, "", root, "chain", 0, &s)))
		return rc;
	if (s && !valid_id(s))
		return fail(c, "", "chain", "invalid id '%s' (expected 1..%d of a-z 0-9 _ -)",
		            echo(s, eb, sizeof eb), VQ_ID_MAX - 1);
	if (s)
		memcpy(site->chain, s, strlen(s) + 1);
	v = cJSON_GetObjectItemCaseSensitive(root, "name");
	if (!v)
		return fail(c, "", "name", "missing");
	if ((rc = take_text(c, "", "name", v, site->name)))
		return rc;
	if ((rc = get_str(c, "", root, "timezone", 1, &s)))
		return rc;
	if (!valid_timezone(s))
		return fail(c, "", "timezone", "invalid timezone '%s' (expected an IANA name)",
		            echo(s, eb, sizeof eb));
	memcpy(site->timezone, s, strlen(s) + 1);
	if ((rc = parse_languages(c, root, site)))
		return rc;
	if ((rc = get_int(c, "", root, "min_lead_min", 0, 0, 240, &site->min_lead_min)))
		return rc;
	if ((rc = get_int(c, "", root, "access_margin_min", 0, 0, 600, &site->access_margin_min)))
		return rc;
	if (!cJSON_GetObjectItemCaseSensitive(root, "access_margin_min"))
		site->access_margin_min = VQ_ACCESS_MARGIN_DEFAULT;
	if ((rc = get_str(c, "", root, "unknown_cards", 0, &s)))
		return rc;
	if (!s || strcmp(s, "standard") == 0)
		site->unknown_policy = VQ_UNKNOWN_STANDARD;
	else if (strcmp(s, "refuse") == 0)
		site->unknown_policy = VQ_UNKNOWN_REFUSE;
	else
		return fail(c, "", "unknown_cards",
		            "invalid policy '%s' (expected 'standard' or 'refuse')",
		            echo(s, eb, sizeof eb));
	return VQ_OK;
}

/* limits: {role: {rate_per_s, burst}}; a role or a field left out keeps its default. */
static int parse_limits(pctx *c, const cJSON *root, vq_site *site)
{
	static const char *const fields[] = {"rate_per_s", "burst", NULL};
	memcpy(site->limits, DEFAULT_LIMITS, sizeof site->limits);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "limits");
	if (!v)
		return VQ_OK;
	if (!cJSON_IsObject(v))
		return fail(c, "", "limits", "wrong type (expected object)");
	int rc = check_keys(c, "limits", v, ROLE_NAMES);
	if (rc)
		return rc;
	for (int r = 0; r < VQ_ROLE_COUNT; r++) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(v, ROLE_NAMES[r]);
		char path[PATH_MAX_LEN];
		snprintf(path, sizeof path, "limits.%s", ROLE_NAMES[r]);
		if (!o)
			continue;
		if (!cJSON_IsObject(o))
			return fail(c, "limits", ROLE_NAMES[r], "wrong type (expected object)");
		if ((rc = check_keys(c, path, o, fields)))
			return rc;
		vq_limit *l = &site->limits[r];
		if (cJSON_GetObjectItemCaseSensitive(o, "rate_per_s") &&
		    (rc = get_int(c, path, o, "rate_per_s", 1, 1, 100000, &l->rate_per_s)))
			return rc;
		if (cJSON_GetObjectItemCaseSensitive(o, "burst") &&
		    (rc = get_int(c, path, o, "burst", 1, 1, 1000000, &l->burst)))
			return rc;
	}
	return VQ_OK;
}

int vq_site_parse(const char *json, size_t len, vq_site **out, char *err, size_t errlen)
{
	pctx c = {err, errlen};
	cJSON *root = NULL;
	vq_site *site = NULL;
	const cJSON *arr;
	char path[PATH_MAX_LEN];
	int rc, n, i;
	vq_json_error je;

	if (err && errlen)
		err[0] = '\0';
	if (!out || (!json && len > 0))
		return VQ_EINVAL;
	if (len > SITE_JSON_MAX)
		return fail(&c, "", "config", "too large");
	rc = vq_json_parse(json, len, VQ_JSON_BOM, &root, &je);
	if (rc == VQ_ENOMEM)
		return fail_nomem(&c);
	if (rc != VQ_OK)
		return fail(&c, "", je.path[0] ? je.path : "config", "%s", je.reason);
	if (!cJSON_IsObject(root)) {
		rc = fail(&c, "", "config", "wrong type (expected object)");
		goto cleanup;
	}

	site = vq_calloc(1, sizeof *site);
	if (!site) {
		rc = fail_nomem(&c);
		goto cleanup;
	}
	if ((rc = parse_head(&c, root, site)))
		goto cleanup;

	if ((rc = get_array(&c, root, "tiers", 1, VQ_MAX_TIERS, &arr, &n)))
		goto cleanup;
	i = 0;
	for (const cJSON *v = arr->child; v; v = v->next, i++) {
		snprintf(path, sizeof path, "tiers[%d]", i);
		if ((rc = parse_tier(&c, path, v, site, i)))
			goto cleanup;
		site->ntiers = i + 1;
	}

	if ((rc = get_array(&c, root, "attractions", 1, SITE_MAX_ATTRS, &arr, &n)))
		goto cleanup;
	site->attrs = vq_calloc((size_t)n, sizeof *site->attrs);
	if (!site->attrs) {
		rc = fail_nomem(&c);
		goto cleanup;
	}
	i = 0;
	for (const cJSON *v = arr->child; v; v = v->next, i++) {
		snprintf(path, sizeof path, "attractions[%d]", i);
		if ((rc = parse_attr(&c, path, v, site, i)))
			goto cleanup;
		site->nattrs = i + 1;
	}
	if ((rc = parse_limits(&c, root, site)))
		goto cleanup;

	*out = site;
	site = NULL;
	rc = VQ_OK;
cleanup:
	vq_site_free(site);
	cJSON_Delete(root);
	return rc;
}

void vq_site_free(vq_site *site)
{
	if (!site)
		return;
	vq_free(site->attrs);
	vq_free(site);
}

const char *vq_site_id(const vq_site *site)
{
	return site->id;
}

const char *vq_site_chain(const vq_site *site)
{
	return site->chain[0] ? site->chain : NULL;
}

const char *vq_site_name(const vq_site *site)
{
	return site->name;
}

const char *vq_site_timezone(const vq_site *site)
{
	return site->timezone;
}

int vq_site_unknown_policy(const vq_site *site)
{
	return site->unknown_policy;
}

int vq_site_min_lead_min(const vq_site *site)
{
	return site->min_lead_min;
}

int vq_site_access_margin_min(const vq_site *site)
{
	return site->access_margin_min;
}

int vq_site_lang_count(const vq_site *site)
{
	return site->nlangs;
}

const char *vq_site_lang(const vq_site *site, int i)
{
	return i >= 0 && i < site->nlangs ? site->langs[i] : NULL;
}

int vq_site_lang_find(const vq_site *site, const char *lang)
{
	return lang ? find_lang(site, lang) : -1;
}

int vq_site_tier_count(const vq_site *site)
{
	return site->ntiers;
}

const vq_tier *vq_site_tier(const vq_site *site, int i)
{
	return i >= 0 && i < site->ntiers ? &site->tiers[i] : NULL;
}

int vq_site_tier_find(const vq_site *site, const char *id)
{
	for (int i = 0; id && i < site->ntiers; i++)
		if (strcmp(site->tiers[i].id, id) == 0)
			return i;
	return -1;
}

int vq_site_attr_count(const vq_site *site)
{
	return site->nattrs;
}

const vq_attraction *vq_site_attr(const vq_site *site, int i)
{
	return i >= 0 && i < site->nattrs ? &site->attrs[i] : NULL;
}

int vq_site_attr_find(const vq_site *site, const char *id)
{
	for (int i = 0; id && i < site->nattrs; i++)
		if (strcmp(site->attrs[i].id, id) == 0)
			return i;
	return -1;
}

const vq_limit *vq_site_limit(const vq_site *site, int role)
{
	return role >= 0 && role < VQ_ROLE_COUNT ? &site->limits[role] : NULL;
}

const char *vq_role_name(int role)
{
	return role >= 0 && role < VQ_ROLE_COUNT ? ROLE_NAMES[role] : "?";
}

/* An unknown language, or one the config left without this name, gets the first. */
static const char *pick_name(const vq_site *site, const char (*names)[VQ_NAME_MAX], int lang)
{
	if (lang < 0 || lang >= site->nlangs || !names[lang][0])
		lang = 0;
	return names[lang];
}

const char *vq_attr_name(const vq_site *site, int attr, int lang)
{
	if (attr < 0 || attr >= site->nattrs)
		return NULL;
	return pick_name(site, site->attrs[attr].name, lang);
}

const char *vq_tier_name(const vq_site *site, int tier, int lang)
{
	if (tier < 0 || tier >= site->ntiers)
		return NULL;
	return pick_name(site, site->tiers[tier].name, lang);
}
