/* client/sitestate.c — follows vqd's retained state for a screen (see sitestate.h).
 *
 * Invariants: attraction views are kept in the order state/_site lists them, with the
 * names and tiers indexed by state/_site's languages and tiers; a message that does not
 * parse changes nothing. Messages are strict JSON (core/json.h) of text a person may read;
 * a number that is not an integer in its field's range reads as 0. State for an attraction
 * that state/_site does not (yet) list is kept too, appended, so a screen that heard
 * state/<id> first does not lose it. Nothing
 * in a message is trusted to have the shape it should: a field of the wrong type (an
 * array where an object belongs, a number where a string does) is ignored and reported
 * through the log callback, never followed.
 */
#include "client/sitestate.h"
#include "core/json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ATTRS           256
#define PROBLEMS_REMEMBERED 32

struct vq_sitestate {
	vq_site_view site;
	int nattrs;
	vq_attr_view attrs[MAX_ATTRS];
	char *raw[MAX_ATTRS]; /* each attraction's last state, parsed again when the site's
	                       * languages or tiers arrive (retained messages come in any order) */
	char *site_json;      /* the last state/_site, for vq_sitestate_save */
	vq_sitestate_log_fn log;
	void *log_ctx;
	unsigned problems;
	/* problems said lately (hashes): the same ones again, in a state vqd republishes every
	 * 30 s, are not news */
	uint64_t said[PROBLEMS_REMEMBERED];
	unsigned nsaid;
	const char *topic; /* of the message being read, for the log */
};

int vq_sitestate_new(vq_sitestate **out)
{
	vq_sitestate *s = calloc(1, sizeof *s);
	if (!s)
		return VQ_ENOMEM;
	*out = s;
	return VQ_OK;
}

void vq_sitestate_free(vq_sitestate *s)
{
	if (!s)
		return;
	for (int i = 0; i < MAX_ATTRS; i++)
		free(s->raw[i]);
	free(s->site_json);
	free(s);
}

void vq_sitestate_set_log(vq_sitestate *s, vq_sitestate_log_fn fn, void *ctx)
{
	s->log = fn;
	s->log_ctx = ctx;
}

unsigned vq_sitestate_problems(const vq_sitestate *s)
{
	return s->problems;
}

void vq_sitestate_log_stderr(void *prog, const char *line)
{
	fprintf(stderr, "%s: %s\n", prog ? (const char *)prog : "sitestate", line);
}

static void problem(vq_sitestate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A field of the wrong shape, ignored: counted, and said once while it repeats. */
static void problem(vq_sitestate *s, const char *fmt, ...)
{
	char what[120], line[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(line, sizeof line, "%s: %s; ignored", s->topic ? s->topic : "state", what);
	s->problems++;
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	for (const char *p = line; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	for (unsigned i = 0; i < s->nsaid && i < PROBLEMS_REMEMBERED; i++)
		if (s->said[i] == h)
			return;
	s->said[s->nsaid++ % PROBLEMS_REMEMBERED] = h;
	if (s->log)
		s->log(s->log_ctx, line);
}

/* o's member k if it is of the wanted kind (cJSON_IsObject...), NULL if absent, NULL and a
 * problem if it is something else (null counts as absent). */
static const cJSON *member(vq_sitestate *s, const cJSON *o, const char *k,
                           cJSON_bool (*is)(const cJSON *), const char *kind)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!v || cJSON_IsNull(v) || is(v))
		return cJSON_IsNull(v) ? NULL : v;
	problem(s, "%s: wrong type (expected %s)", k, kind);
	return NULL;
}

int vq_sitestate_subscribe(vq_bus *bus)
{
	int rc = vq_bus_subscribe(bus, "state/#", 1);
	return rc == VQ_OK ? vq_bus_subscribe(bus, "presence/vqd", 1) : rc;
}

static void copy(char *dst, size_t n, const cJSON *v)
{
	snprintf(dst, n, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static int64_t num(const cJSON *o, const char *k)
{
	int64_t v;
	return vq_json_int(cJSON_GetObjectItemCaseSensitive(o, k), INT64_MIN, INT64_MAX, &v) ==
	               VQ_OK
	           ? v
	           : 0;
}

static int inum(const cJSON *o, const char *k)
{
	int64_t v;
	return vq_json_int(cJSON_GetObjectItemCaseSensitive(o, k), INT_MIN, INT_MAX, &v) == VQ_OK
	           ? (int)v
	           : 0;
}

/* The strict parse every message and saved copy goes through. */
static cJSON *parse(const char *text, size_t len)
{
	cJSON *j = NULL;
	return vq_json_parse(text, len, VQ_JSON_TEXT, &j, NULL) == VQ_OK ? j : NULL;
}

static vq_window window(const cJSON *w, const char *from, const char *to)
{
	vq_window r = {0, 0};
	if (cJSON_IsObject(w)) {
		r.start = num(w, from);
		r.end = num(w, to);
	}
	return r;
}

int vq_sitestate_lang(const vq_sitestate *s, const char *lang)
{
	for (int i = 0; lang && i < s->site.nlangs; i++)
		if (strcmp(s->site.langs[i], lang) == 0)
			return i;
	return -1;
}

int vq_sitestate_tier(const vq_sitestate *s, const char *tier)
{
	for (int i = 0; tier && i < s->site.ntiers; i++)
		if (strcmp(s->site.tiers[i], tier) == 0)
			return i;
	return -1;
}

static int find_index(const vq_sitestate *s, const char *id)
{
	for (int i = 0; i < s->nattrs; i++)
		if (strcmp(s->attrs[i].id, id) == 0)
			return i;
	return -1;
}

/* Per-language names in the site's language order, from an object {"en": "..."}. */
static void names_into(vq_sitestate *s, const cJSON *owner, char out[][VQ_NAME_MAX])
{
	const cJSON *names = member(s, owner, "names", cJSON_IsObject, "object");
	const cJSON *n;
	cJSON_ArrayForEach(n, names)
	{
		if (!cJSON_IsString(n)) {
			problem(s, "names.%s: wrong type (expected string)", n->string);
			continue;
		}
		int l = vq_sitestate_lang(s, n->string);
		if (l >= 0)
			copy(out[l], VQ_NAME_MAX, n);
	}
}

static int feed_attr(vq_sitestate *s, const char *id, const cJSON *j, const vq_bus_msg *m,
                     int64_t now_ms);

static int feed_site(vq_sitestate *s, const cJSON *j, const vq_bus_msg *m, int64_t now_ms)
{
	const char *text = m->payload;
	size_t len = m->len;
	vq_site_view v;
	memset(&v, 0, sizeof v);
	const cJSON *langs = cJSON_GetObjectItemCaseSensitive(j, "languages");
	const cJSON *tiers = cJSON_GetObjectItemCaseSensitive(j, "tiers");
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(j, "attractions");
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(j, "keys");
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "site")) || !cJSON_IsArray(langs) ||
	    !cJSON_IsArray(tiers) || !cJSON_IsArray(attrs))
		return -VQ_EBADREQ;
	v.known = 1;
	copy(v.site, sizeof v.site, cJSON_GetObjectItemCaseSensitive(j, "site"));
	copy(v.name, sizeof v.name, member(s, j, "name", cJSON_IsString, "string"));
	copy(v.timezone, sizeof v.timezone, member(s, j, "timezone", cJSON_IsString, "string"));
	v.updated = num(j, "updated");
	const cJSON *it;
	cJSON_ArrayForEach(it, langs)
	{
		if (!cJSON_IsString(it))
			problem(s, "languages: an item of the wrong type (expected string)");
		else if (v.nlangs < VQ_MAX_LANGS)
			copy(v.langs[v.nlangs++], VQ_LANG_MAX, it);
	}
	/* the names below are indexed by these languages: install them first */
	vq_site_view old = s->site;
	s->site.nlangs = v.nlangs;
	memcpy(s->site.langs, v.langs, sizeof v.langs);
	cJSON_ArrayForEach(it, tiers)
	{
		if (v.ntiers >= VQ_MAX_TIERS)
			break;
		if (!cJSON_IsObject(it) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "id"))) {
			/* its place would shift every tier after it: the tier indexes are the
			 * codes' */
			problem(s, "tiers[%d]: wrong type (expected an object with an id)",
			        v.ntiers);
			copy(v.tiers[v.ntiers++], VQ_ID_MAX, NULL);
			continue;
		}
		copy(v.tiers[v.ntiers], VQ_ID_MAX, cJSON_GetObjectItemCaseSensitive(it, "id"));
		names_into(s, it, v.tier_names[v.ntiers]);
		v.tier_late_grace[v.ntiers] = inum(it, "late_grace_min");
		v.ntiers++;
	}
	if (keys && !cJSON_IsArray(keys)) {
		problem(s, "keys: wrong type (expected array)");
		keys = NULL;
	}
	cJSON_ArrayForEach(it, keys)
	{
		if (!cJSON_IsObject(it)) {
			problem(s, "keys: an item of the wrong type (expected object)");
			continue;
		}
		const cJSON *pk = cJSON_GetObjectItemCaseSensitive(it, "public_key");
		uint8_t raw[32];
		size_t n = 0;
		int64_t kid;
		if (cJSON_IsString(pk) &&
		    vq_json_int(cJSON_GetObjectItemCaseSensitive(it, "kid"), 0, 255, &kid) ==
		        VQ_OK &&
		    sodium_hex2bin(raw, sizeof raw, pk->valuestring, strlen(pk->valuestring), NULL,
		                   &n, NULL) == 0 &&
		    n == sizeof raw)
			vq_keyring_add(&v.keys, (uint8_t)kid, raw);
	}
	v.vqd_online = old.vqd_online;
	v.vqd_changed_ms = old.vqd_changed_ms;
	/* vqd's clock, only from a copy vqd sent just now: a retained one may be old */
	const cJSON *clk = cJSON_GetObjectItemCaseSensitive(j, "clock");
	v.vqd_clock_ms = old.vqd_clock_ms;
	v.clock_heard_ms = old.clock_heard_ms;
	if (!m->retain && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(clk, "now_ms"))) {
		v.vqd_clock_ms = num(clk, "now_ms");
		v.clock_heard_ms = now_ms;
	}
	s->site = v;

	/* attractions in the site's order; states already heard move along with them */
	vq_attr_view *next = calloc(MAX_ATTRS, sizeof *next);
	char **raw = calloc(MAX_ATTRS, sizeof *raw);
	if (!next || !raw) {
		free(next);
		free(raw);
		return -VQ_ENOMEM;
	}
	int n = 0;
	cJSON_ArrayForEach(it, attrs)
	{
		if (!cJSON_IsString(it) || strlen(it->valuestring) >= VQ_ID_MAX) {
			problem(s, "attractions: an item that is not an attraction id");
			continue;
		}
		if (n >= MAX_ATTRS)
			continue;
		int old_i = find_index(s, it->valuestring);
		if (old_i >= 0) {
			next[n] = s->attrs[old_i];
			raw[n] = s->raw[old_i];
			s->raw[old_i] = NULL;
		} else {
			copy(next[n].id, VQ_ID_MAX, it);
		}
		n++;
	}
	for (int i = 0; i < s->nattrs && n < MAX_ATTRS; i++) {
		if (!s->raw[i])
			continue; /* listed above, or never heard */
		next[n] = s->attrs[i];
		raw[n++] = s->raw[i];
		s->raw[i] = NULL;
	}
	for (int i = 0; i < MAX_ATTRS; i++)
		free(s->raw[i]);
	memcpy(s->attrs, next, (size_t)n * sizeof *next);
	memcpy(s->raw, raw, MAX_ATTRS * sizeof *raw);
	s->nattrs = n;
	free(next);
	free(raw);
	/* states heard before this site named their languages and tiers: read them again */
	const char *site_topic = s->topic;
	for (int i = 0; i < n; i++) {
		if (!s->raw[i])
			continue;
		char topic[VQ_ID_MAX + 8];
		snprintf(topic, sizeof topic, "state/%s", s->attrs[i].id);
		s->topic = topic;
		cJSON *aj = parse(s->raw[i], strlen(s->raw[i]));
		if (aj)
			feed_attr(s, s->attrs[i].id, aj, NULL, s->attrs[i].received_ms);
		cJSON_Delete(aj);
	}
	s->topic = site_topic;
	char *copy_json = malloc(len + 1);
	if (copy_json) {
		memcpy(copy_json, text, len);
		copy_json[len] = '\0';
		free(s->site_json);
		s->site_json = copy_json;
	}
	return 1;
}

/* text (len bytes) is kept to be parsed again when the site changes; NULL keeps what is
 * kept. */
static int feed_attr(vq_sitestate *s, const char *id, const cJSON *j, const vq_bus_msg *m,
                     int64_t now_ms)
{
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
	if (!cJSON_IsString(status))
		return -VQ_EBADREQ;
	int i = find_index(s, id);
	if (i < 0) {
		if (s->nattrs >= MAX_ATTRS)
			return 0;
		i = s->nattrs++;
		memset(&s->attrs[i], 0, sizeof s->attrs[i]);
		snprintf(s->attrs[i].id, VQ_ID_MAX, "%s", id);
	}
	if (m) {
		char *copy_text = malloc(m->len + 1);
		if (!copy_text)
			return -VQ_ENOMEM;
		memcpy(copy_text, m->payload, m->len);
		copy_text[m->len] = '\0';
		free(s->raw[i]);
		s->raw[i] = copy_text;
	}
	vq_attr_view a;
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "%s", id);
	a.known = 1;
	const cJSON *kind = member(s, j, "kind", cJSON_IsString, "string");
	a.service = kind && strcmp(kind->valuestring, "service") == 0;
	names_into(s, j, a.names);
	a.open = strcmp(status->valuestring, "closed") != 0;
	a.closed_at = num(j, "closed_at");
	a.reopened_at = num(j, "reopened_at");
	a.admitting =
	    window(member(s, j, "admitting", cJSON_IsObject, "object or null"), "from", "until");
	const cJSON *next = member(s, j, "next", cJSON_IsObject, "object");
	const cJSON *t;
	cJSON_ArrayForEach(t, next)
	{
		int ti = vq_sitestate_tier(s, t->string);
		if (ti < 0)
			continue;
		if (!cJSON_IsObject(t) && !cJSON_IsNull(t))
			problem(s, "next.%s: wrong type (expected object or null)", t->string);
		a.next[ti] = window(t, "start", "end");
	}
	const cJSON *cap = member(s, j, "capacity", cJSON_IsObject, "object");
	a.cap_today = inum(cap, "today");
	a.cap_taken = inum(cap, "taken");
	a.standby_min = inum(j, "standby_min");
	const cJSON *prefix = member(s, j, "prefix", cJSON_IsString, "string");
	if (prefix) {
		a.has_rules = 1;
		copy(a.prefix, sizeof a.prefix, prefix);
		a.early_grace_min = inum(j, "early_grace_min");
		a.late_grace_min = inum(j, "late_grace_min");
		a.opens = num(j, "opens");
		a.closes = num(j, "closes");
	}
	const cJSON *mg = member(s, j, "merge", cJSON_IsObject, "object or null");
	if (mg) {
		a.has_merge = 1;
		a.merge_fast = inum(mg, "fast");
		a.merge_standby = inum(mg, "standby");
		a.merge_phase = inum(mg, "phase");
		a.backlog = inum(mg, "backlog");
		a.backlog_min = inum(mg, "backlog_min");
	}
	a.updated = num(j, "updated");
	a.received_ms = now_ms;
	/* a republished state with nothing new still proves it is fresh */
	vq_attr_view prev = s->attrs[i];
	prev.received_ms = now_ms;
	prev.updated = a.updated;
	int changed = memcmp(&prev, &a, sizeof a) != 0;
	s->attrs[i] = a;
	return changed;
}

int vq_sitestate_feed(vq_sitestate *s, const vq_bus_msg *m, int64_t now_ms)
{
	if (m->kind == VQ_BUS_DISCONNECTED) {
		int was = s->site.vqd_online;
		s->site.vqd_online = 0;
		if (was)
			s->site.vqd_changed_ms = now_ms;
		return was;
	}
	if (m->kind != VQ_BUS_MESSAGE)
		return 0;
	int rc = 0;
	if (strcmp(m->suffix, "presence/vqd") == 0) {
		cJSON *j = parse(m->payload, m->len);
		const cJSON *on = cJSON_GetObjectItemCaseSensitive(j, "online");
		if (!cJSON_IsBool(on)) {
			cJSON_Delete(j);
			return m->len ? -VQ_EBADREQ : 0;
		}
		int online = cJSON_IsTrue(on);
		if (online != s->site.vqd_online) {
			s->site.vqd_online = online;
			s->site.vqd_changed_ms = now_ms;
			rc = 1;
		}
		cJSON_Delete(j);
		return rc;
	}
	if (strncmp(m->suffix, "state/", 6) != 0 || m->len == 0)
		return 0;
	cJSON *j = parse(m->payload, m->len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return -VQ_EBADREQ;
	}
	const char *id = m->suffix + 6;
	s->topic = m->suffix;
	if (strcmp(id, "_site") == 0)
		rc = feed_site(s, j, m, now_ms);
	else if (strlen(id) < VQ_ID_MAX)
		rc = feed_attr(s, id, j, m, now_ms);
	s->topic = NULL;
	cJSON_Delete(j);
	return rc;
}

int vq_sitestate_clock_skew(const vq_sitestate *s, int64_t *skew_ms)
{
	if (!s->site.clock_heard_ms)
		return 0;
	*skew_ms = s->site.vqd_clock_ms - s->site.clock_heard_ms;
	return 1;
}

const vq_site_view *vq_sitestate_site(const vq_sitestate *s)
{
	return &s->site;
}

int vq_sitestate_attr_count(const vq_sitestate *s)
{
	return s->nattrs;
}

const vq_attr_view *vq_sitestate_attr(const vq_sitestate *s, int i)
{
	return i >= 0 && i < s->nattrs ? &s->attrs[i] : NULL;
}

const vq_attr_view *vq_sitestate_find(const vq_sitestate *s, const char *id)
{
	int i = find_index(s, id);
	return i >= 0 ? &s->attrs[i] : NULL;
}

const char *vq_sitestate_attr_name(const vq_sitestate *s, const vq_attr_view *a, int lang)
{
	(void)s;
	if (lang >= 0 && lang < VQ_MAX_LANGS && a->names[lang][0])
		return a->names[lang];
	return a->names[0][0] ? a->names[0] : a->id;
}

int vq_sitestate_stale(const vq_sitestate *s, int a, int64_t now_ms, int64_t max_age_ms)
{
	if (!s->site.known || !s->site.vqd_online)
		return 1;
	if (a < 0)
		return 0;
	if (a >= s->nattrs || !s->attrs[a].known)
		return 1;
	return now_ms - s->attrs[a].received_ms > max_age_ms;
}

/* A renamed file survives a crash only once its folder is synced too. */
static int sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int vq_sitestate_save(const vq_sitestate *s, const char *path)
{
	if (!s->site_json)
		return VQ_ENOTFOUND;
	char tmp[1024];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return VQ_EINVAL;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return VQ_ESTORE;
	size_t n = strlen(s->site_json), done = 0;
	while (done < n) {
		ssize_t w = write(fd, s->site_json + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	int ok = done == n && fsync(fd) == 0;
	ok &= close(fd) == 0;
	/* the data is on disk before the name points at it, so a gate that dies mid-write
	 * keeps the previous copy and a power cut never leaves an empty one */
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return VQ_ESTORE;
	}
	return sync_dir_of(path) == 0 ? VQ_OK : VQ_ESTORE;
}

int vq_sitestate_load(vq_sitestate *s, const char *path, int64_t now_ms)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return VQ_ENOTFOUND;
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
	fclose(f);
	if (!buf)
		return VQ_ENOMEM;
	vq_bus_msg m;
	memset(&m, 0, sizeof m);
	m.kind = VQ_BUS_MESSAGE;
	m.topic = "state/_site";
	m.suffix = "state/_site";
	m.payload = buf;
	m.len = n;
	m.retain = true; /* an old copy, not vqd speaking now */
	int rc = vq_sitestate_feed(s, &m, now_ms);
	free(buf);
	return rc > 0 ? VQ_OK : VQ_EBADREQ;
}
