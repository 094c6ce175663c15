/* client/sitestate.c — follows vqd's retained state for a screen (see sitestate.h).
 *
 * Invariants: attraction views are kept in the order state/_site lists them, with the
 * names and tiers indexed by state/_site's languages and tiers; a message that does not
 * parse changes nothing. State for an attraction that state/_site does not (yet) list is
 * kept too, appended, so a screen that heard state/<id> first does not lose it.
 */
#include "client/sitestate.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTRS 256

struct vq_sitestate {
	vq_site_view site;
	int nattrs;
	vq_attr_view attrs[MAX_ATTRS];
	char *raw[MAX_ATTRS]; /* each attraction's last state, parsed again when the site's
	                       * languages or tiers arrive (retained messages come in any order) */
	char *site_json;      /* the last state/_site, for vq_sitestate_save */
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
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
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
	for (int i = 0; i < s->site.nlangs; i++)
		if (strcmp(s->site.langs[i], lang) == 0)
			return i;
	return -1;
}

int vq_sitestate_tier(const vq_sitestate *s, const char *tier)
{
	for (int i = 0; i < s->site.ntiers; i++)
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

/* Per-language names in the site's language order. */
static void names_into(const vq_sitestate *s, const cJSON *names, char out[][VQ_NAME_MAX])
{
	const cJSON *n;
	cJSON_ArrayForEach(n, names)
	{
		int l = vq_sitestate_lang(s, n->string);
		if (l >= 0)
			copy(out[l], VQ_NAME_MAX, n);
	}
}

static int feed_attr(vq_sitestate *s, const char *id, const cJSON *j, const vq_bus_msg *m,
                     int64_t now_ms);

static int feed_site(vq_sitestate *s, const cJSON *j, const char *text, size_t len)
{
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
	copy(v.name, sizeof v.name, cJSON_GetObjectItemCaseSensitive(j, "name"));
	copy(v.timezone, sizeof v.timezone, cJSON_GetObjectItemCaseSensitive(j, "timezone"));
	v.updated = num(j, "updated");
	const cJSON *it;
	cJSON_ArrayForEach(it, langs)
	{
		if (v.nlangs < VQ_MAX_LANGS && cJSON_IsString(it))
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
		copy(v.tiers[v.ntiers], VQ_ID_MAX, cJSON_GetObjectItemCaseSensitive(it, "id"));
		names_into(s, cJSON_GetObjectItemCaseSensitive(it, "names"),
		           v.tier_names[v.ntiers]);
		v.tier_late_grace[v.ntiers] = (int)num(it, "late_grace_min");
		v.ntiers++;
	}
	cJSON_ArrayForEach(it, keys)
	{
		const cJSON *pk = cJSON_GetObjectItemCaseSensitive(it, "public_key");
		uint8_t raw[32];
		size_t n = 0;
		if (cJSON_IsString(pk) &&
		    sodium_hex2bin(raw, sizeof raw, pk->valuestring, strlen(pk->valuestring), NULL,
		                   &n, NULL) == 0 &&
		    n == sizeof raw)
			vq_keyring_add(&v.keys, (uint8_t)num(it, "kid"), raw);
	}
	v.vqd_online = old.vqd_online;
	v.vqd_changed_ms = old.vqd_changed_ms;
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
		if (!cJSON_IsString(it) || n >= MAX_ATTRS)
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
	for (int i = 0; i < n; i++) {
		if (!s->raw[i])
			continue;
		cJSON *aj = cJSON_Parse(s->raw[i]);
		if (aj)
			feed_attr(s, s->attrs[i].id, aj, NULL, s->attrs[i].received_ms);
		cJSON_Delete(aj);
	}
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
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
	a.service = cJSON_IsString(kind) && strcmp(kind->valuestring, "service") == 0;
	names_into(s, cJSON_GetObjectItemCaseSensitive(j, "names"), a.names);
	a.open = strcmp(status->valuestring, "closed") != 0;
	a.closed_at = num(j, "closed_at");
	a.reopened_at = num(j, "reopened_at");
	a.admitting = window(cJSON_GetObjectItemCaseSensitive(j, "admitting"), "from", "until");
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(j, "next");
	const cJSON *t;
	cJSON_ArrayForEach(t, next)
	{
		int ti = vq_sitestate_tier(s, t->string);
		if (ti >= 0)
			a.next[ti] = window(t, "start", "end");
	}
	const cJSON *cap = cJSON_GetObjectItemCaseSensitive(j, "capacity");
	a.cap_today = (int)num(cap, "today");
	a.cap_taken = (int)num(cap, "taken");
	a.standby_min = (int)num(j, "standby_min");
	const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(j, "prefix");
	if (cJSON_IsString(prefix)) {
		a.has_rules = 1;
		copy(a.prefix, sizeof a.prefix, prefix);
		a.early_grace_min = (int)num(j, "early_grace_min");
		a.late_grace_min = (int)num(j, "late_grace_min");
		a.opens = num(j, "opens");
		a.closes = num(j, "closes");
	}
	const cJSON *mg = cJSON_GetObjectItemCaseSensitive(j, "merge");
	if (cJSON_IsObject(mg)) {
		a.has_merge = 1;
		a.merge_fast = (int)num(mg, "fast");
		a.merge_standby = (int)num(mg, "standby");
		a.merge_phase = (int)num(mg, "phase");
		a.backlog = (int)num(mg, "backlog");
		a.backlog_min = (int)num(mg, "backlog_min");
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
		cJSON *j = cJSON_ParseWithLength(m->payload, m->len);
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
	cJSON *j = cJSON_ParseWithLength(m->payload, m->len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return -VQ_EBADREQ;
	}
	const char *id = m->suffix + 6;
	if (strcmp(id, "_site") == 0)
		rc = feed_site(s, j, m->payload, m->len);
	else if (strlen(id) < VQ_ID_MAX)
		rc = feed_attr(s, id, j, m, now_ms);
	cJSON_Delete(j);
	return rc;
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

int vq_sitestate_save(const vq_sitestate *s, const char *path)
{
	if (!s->site_json)
		return VQ_ENOTFOUND;
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return VQ_EINVAL;
	size_t n = strlen(s->site_json);
	int ok = fwrite(s->site_json, 1, n, f) == n;
	ok &= fflush(f) == 0;
	ok &= fclose(f) == 0;
	/* rename, so a gate that dies mid-write keeps the previous copy */
	if (!ok || rename(tmp, path) != 0) {
		remove(tmp);
		return VQ_EINVAL;
	}
	return VQ_OK;
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
	int rc = vq_sitestate_feed(s, &m, now_ms);
	free(buf);
	return rc > 0 ? VQ_OK : VQ_EBADREQ;
}
