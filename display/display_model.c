/* display/display_model.c — the board model (see display_model.h).
 *
 * Owns the board's options and the numbers admitted per attraction; everything else it
 * reads from the vq_sitestate it is handed. Invariants:
 *   - each called list holds at most opts.called entries, newest (by vqd's time, then by
 *     arrival) first, no ticket twice;
 *   - a view is zeroed before it is filled, and holds only what is drawn (e.g. the time
 *     of the last update only while the banner shows it), so equal screens compare equal.
 */
#include "display/display_model.h"
#include "core/json.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct called_entry {
	vq_board_called c;
	int64_t ticket;
	uint64_t seq; /* arrival order, to order admissions of the same second */
};

struct called_list {
	char id[VQ_ID_MAX];
	int n;
	struct called_entry e[VQ_BOARD_CALLED_MAX];
};

struct vq_board {
	int stale_s, called, called_age_s, page_s, reopened_s, lang_rotate_s;
	char lang[VQ_LANG_MAX]; /* fixed; "" rotates */
	int nlangs;
	char langs[VQ_MAX_LANGS][VQ_LANG_MAX];
	int nfilter; /* 0: every attraction */
	char filter[VQ_BOARD_MAX_ATTRS][VQ_ID_MAX];
	int nlists;
	struct called_list lists[VQ_BOARD_MAX_ATTRS];
	uint64_t seq;
};

static int valid_id(const char *s, size_t n)
{
	if (n == 0 || n >= VQ_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static int valid_lang(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 2 || n >= VQ_LANG_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int parse_filter(vq_board *b, const char *list, char *err, size_t errlen)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (!valid_id(p, n)) {
			snprintf(err, errlen, "--attractions: '%.*s' is not an attraction id",
			         (int)n, p);
			return VQ_EINVAL;
		}
		int dup = 0;
		for (int i = 0; i < b->nfilter && !dup; i++)
			dup = strlen(b->filter[i]) == n && memcmp(b->filter[i], p, n) == 0;
		if (!dup) {
			if (b->nfilter == VQ_BOARD_MAX_ATTRS) {
				snprintf(err, errlen, "--attractions: more than %d",
				         VQ_BOARD_MAX_ATTRS);
				return VQ_EINVAL;
			}
			memcpy(b->filter[b->nfilter], p, n);
			b->filter[b->nfilter++][n] = '\0';
		}
		p += n;
		if (*p == ',' && !*++p) {
			snprintf(err, errlen, "--attractions: ends with a comma");
			return VQ_EINVAL;
		}
	}
	return VQ_OK;
}

static int in_range(int v, int lo, int hi)
{
	return v >= lo && v <= hi;
}

int vq_board_new(const vq_board_opts *o, vq_board **out, char *err, size_t errlen)
{
	if (!o || !out)
		return VQ_EINVAL;
	const char *bad = NULL;
	if (o->stale_s && !in_range(o->stale_s, 1, 86400))
		bad = "--stale-seconds: 1..86400";
	else if (o->called && !in_range(o->called, 1, VQ_BOARD_CALLED_MAX))
		bad = "--called: 1..8";
	else if (o->called_age_s && !in_range(o->called_age_s, 1, 86400))
		bad = "called age: 1..86400 s";
	else if (o->page_s && !in_range(o->page_s, 1, 3600))
		bad = "--page-seconds: 1..3600";
	else if (o->reopened_s && !in_range(o->reopened_s, 1, 86400))
		bad = "reopened: 1..86400 s";
	else if (!in_range(o->lang_rotate_s, 0, 3600))
		bad = "--lang-rotate: 0..3600";
	else if (!o->langs || !in_range(o->nlangs, 1, VQ_MAX_LANGS))
		bad = "languages: 1..8 needed";
	else if (o->lang && !valid_lang(o->lang))
		bad = "--lang: not a language code";
	if (bad) {
		snprintf(err, errlen, "%s", bad);
		return VQ_EINVAL;
	}
	for (int i = 0; i < o->nlangs; i++)
		if (!valid_lang(o->langs[i])) {
			snprintf(err, errlen, "languages: '%s' is not a language code",
			         o->langs[i] ? o->langs[i] : "(null)");
			return VQ_EINVAL;
		}
	vq_board *b = calloc(1, sizeof *b);
	if (!b)
		return VQ_ENOMEM;
	b->stale_s = o->stale_s ? o->stale_s : VQ_BOARD_DEFAULT_STALE_S;
	b->called = o->called ? o->called : VQ_BOARD_DEFAULT_CALLED;
	b->called_age_s = o->called_age_s ? o->called_age_s : VQ_BOARD_DEFAULT_CALLED_AGE;
	b->page_s = o->page_s ? o->page_s : VQ_BOARD_DEFAULT_PAGE_S;
	b->reopened_s = o->reopened_s ? o->reopened_s : VQ_BOARD_DEFAULT_REOPENED_S;
	b->lang_rotate_s = o->lang_rotate_s;
	if (o->lang)
		snprintf(b->lang, sizeof b->lang, "%s", o->lang);
	b->nlangs = o->nlangs;
	for (int i = 0; i < o->nlangs; i++)
		snprintf(b->langs[i], sizeof b->langs[i], "%s", o->langs[i]);
	int rc = o->attractions ? parse_filter(b, o->attractions, err, errlen) : VQ_OK;
	if (rc != VQ_OK) {
		free(b);
		return rc;
	}
	*out = b;
	return VQ_OK;
}

void vq_board_free(vq_board *b)
{
	free(b);
}

int vq_board_subscribe(vq_bus *bus)
{
	return vq_bus_subscribe(bus, "events/admission", 1);
}

static int follows(const vq_board *b, const char *id)
{
	if (!b->nfilter)
		return 1;
	for (int i = 0; i < b->nfilter; i++)
		if (strcmp(b->filter[i], id) == 0)
			return 1;
	return 0;
}

static struct called_list *list_of(vq_board *b, const char *id, int make)
{
	for (int i = 0; i < b->nlists; i++)
		if (strcmp(b->lists[i].id, id) == 0)
			return &b->lists[i];
	if (!make || b->nlists == VQ_BOARD_MAX_ATTRS)
		return NULL;
	struct called_list *l = &b->lists[b->nlists++];
	memset(l, 0, sizeof *l);
	snprintf(l->id, sizeof l->id, "%s", id);
	return l;
}

static const struct called_list *list_find(const vq_board *b, const char *id)
{
	return list_of((vq_board *)b, id, 0);
}

/* The desk a service's gate stands for: "gate-3" and "desk-3" are desk 3; a gate id
 * without a number is shown whole. */
static void desk_of(const char *gate, char *out, size_t outlen)
{
	size_t n = strlen(gate), d = n;
	while (d > 0 && gate[d - 1] >= '0' && gate[d - 1] <= '9')
		d--;
	snprintf(out, outlen, "%s", d < n ? gate + d : gate);
}

/* Is a listed before b (newer)? */
static int newer(const struct called_entry *a, const struct called_entry *b)
{
	return a->c.at != b->c.at ? a->c.at > b->c.at : a->seq > b->seq;
}

static int called_add(vq_board *b, struct called_list *l, const struct called_entry *e)
{
	for (int i = 0; i < l->n; i++)
		if (l->e[i].ticket == e->ticket)
			return 0;
	int pos = 0;
	while (pos < l->n && newer(&l->e[pos], e))
		pos++;
	if (pos >= b->called)
		return 0; /* older than every number we keep */
	int n = l->n < b->called ? l->n + 1 : b->called;
	memmove(&l->e[pos + 1], &l->e[pos], (size_t)(n - 1 - pos) * sizeof l->e[0]);
	l->e[pos] = *e;
	l->n = n;
	return 1;
}

static int json_int(const cJSON *o, const char *key, int64_t *v)
{
	/* as written, range-checked before any cast (core/json.h) */
	return vq_json_int(cJSON_GetObjectItemCaseSensitive(o, key), INT64_MIN, INT64_MAX, v) ==
	       VQ_OK;
}

static const char *json_str(const cJSON *o, const char *key, size_t max)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsString(j) || !j->valuestring[0] || strlen(j->valuestring) >= max)
		return NULL;
	return j->valuestring;
}

int vq_board_admission_parse(const vq_bus_msg *m, vq_board_admission *out)
{
	memset(out, 0, sizeof *out);
	if (!m || m->kind != VQ_BUS_MESSAGE || !m->suffix ||
	    strcmp(m->suffix, "events/admission") != 0)
		return 0;
	cJSON *j = NULL;
	if (vq_json_parse(m->payload, m->len, VQ_JSON_TEXT, &j, NULL) != VQ_OK)
		j = NULL;
	const char *attr = json_str(j, "attraction", VQ_ID_MAX);
	const char *number = json_str(j, "number", VQ_BOARD_NUMBER_MAX);
	const char *gate = json_str(j, "gate", VQ_BUS_ID_MAX);
	int rc = -VQ_EBADREQ;
	if (cJSON_IsObject(j) && attr && number && gate && json_int(j, "ticket", &out->ticket) &&
	    json_int(j, "at", &out->at)) {
		snprintf(out->attr, sizeof out->attr, "%s", attr);
		snprintf(out->number, sizeof out->number, "%s", number);
		snprintf(out->gate, sizeof out->gate, "%s", gate);
		rc = 1;
	}
	cJSON_Delete(j);
	return rc;
}

int vq_board_feed(vq_board *b, const vq_bus_msg *m, int64_t now_ms)
{
	(void)now_ms;
	vq_board_admission ad;
	int rc = b ? vq_board_admission_parse(m, &ad) : 0;
	if (rc <= 0 || !follows(b, ad.attr))
		return rc < 0 ? rc : 0;
	struct called_list *l = list_of(b, ad.attr, 1);
	if (!l)
		return 0;
	struct called_entry e;
	memset(&e, 0, sizeof e);
	e.ticket = ad.ticket;
	e.c.at = ad.at;
	snprintf(e.c.number, sizeof e.c.number, "%s", ad.number);
	desk_of(ad.gate, e.c.desk, sizeof e.c.desk);
	e.seq = ++b->seq;
	return called_add(b, l, &e);
}

int vq_board_lang_index(int n, int rotate_s, int64_t now_ms)
{
	if (n <= 1 || rotate_s <= 0 || now_ms < 0)
		return 0;
	return (int)((now_ms / ((int64_t)rotate_s * 1000)) % n);
}

int vq_board_page_index(int npages, int page_s, int64_t now_ms)
{
	return vq_board_lang_index(npages, page_s, now_ms);
}

void vq_board_hhmm(const char *zone, int64_t t, char out[VQ_BOARD_TIME_MAX])
{
	vq_time_hhmm(zone, t, out);
}

const char *vq_board_stale_name(int stale)
{
	static const char *const names[] = {"ok", "no_site", "offline", "old"};
	return stale >= 0 && stale <= VQ_BOARD_OLD ? names[stale] : "?";
}

/* --- views ------------------------------------------------------------------------- */

/* The sitestate indices of the attractions the board follows, in display order. */
static int followed(const vq_board *b, const vq_sitestate *ss, int *idx)
{
	int count = vq_sitestate_attr_count(ss), n = 0;
	if (!b->nfilter) {
		for (int i = 0; i < count && n < VQ_BOARD_MAX_ATTRS; i++)
			idx[n++] = i;
		return n;
	}
	for (int f = 0; f < b->nfilter; f++)
		for (int i = 0; i < count; i++)
			if (strcmp(vq_sitestate_attr(ss, i)->id, b->filter[f]) == 0) {
				idx[n++] = i;
				break;
			}
	return n;
}

/* vqd's clock minus ours, in ms: from the last live state/_site (vqd's clock to the ms,
 * just sent), else from the state that arrived last; 0 if none has. vqd's times are
 * compared with vqd's time only, so a board whose clock is off still shows them right. */
static int park_offset(const vq_sitestate *ss, int64_t *off_ms)
{
	if (vq_sitestate_clock_skew(ss, off_ms))
		return 1;
	int64_t best = INT64_MIN;
	for (int i = 0; i < vq_sitestate_attr_count(ss); i++) {
		const vq_attr_view *a = vq_sitestate_attr(ss, i);
		if (a->known && a->updated > 0 && a->received_ms > best) {
			best = a->received_ms;
			*off_ms = a->updated * 1000 - a->received_ms;
		}
	}
	return best != INT64_MIN;
}

/* The languages the board may speak now: its own, narrowed to the site's once known, in
 * the site's order (the order its kiosks offer them). */
static int candidates(const vq_board *b, const vq_sitestate *ss, const char **out)
{
	int n = 0;
	const vq_site_view *site = vq_sitestate_site(ss);
	for (int l = 0; site->known && l < site->nlangs && l < VQ_MAX_LANGS; l++)
		for (int i = 0; i < b->nlangs; i++)
			if (strcmp(site->langs[l], b->langs[i]) == 0)
				out[n++] = b->langs[i];
	if (n == 0)
		for (int i = 0; i < b->nlangs; i++)
			out[n++] = b->langs[i];
	return n;
}

static const char *pick_lang(const vq_board *b, const vq_sitestate *ss, int64_t now_ms)
{
	if (b->lang[0])
		return b->lang;
	const char *c[VQ_MAX_LANGS];
	int n = candidates(b, ss, c);
	return c[vq_board_lang_index(n, b->lang_rotate_s, now_ms)];
}

static int row_status(const vq_board *b, const vq_attr_view *a, int64_t park_s, int64_t *since)
{
	*since = 0;
	if (!a->known)
		return VQ_BOARD_WAITING;
	if (!a->open) {
		*since = a->closed_at;
		return VQ_BOARD_CLOSED;
	}
	if (a->reopened_at > 0 && park_s - a->reopened_at < b->reopened_s) {
		*since = a->reopened_at;
		return VQ_BOARD_REOPENED;
	}
	return VQ_BOARD_OPEN;
}

/* Natural order: letters as they are, runs of digits by value ("C-9" before "C-10"). */
static int natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
			if (na != nb)
				return na < nb ? -1 : 1;
			int c = strncmp(a, b, na);
			if (c)
				return c;
			a += na;
			b += nb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int by_number(const void *x, const void *y)
{
	const vq_board_called *a = x, *b = y;
	int c = natcmp(a->number, b->number);
	return c ? c : natcmp(a->desk, b->desk);
}

int vq_board_row_marks(const vq_board_row *r, int ntiers, int *tiers)
{
	int n = 0;
	for (int u = 1; u < ntiers && u < VQ_MAX_TIERS; u++)
		if (r->next[u].start > 0 && r->next[u].start != r->next[u - 1].start)
			tiers[n++] = u;
	return n;
}

static void fill_row(const vq_board *b, const vq_sitestate *ss, int i, int lang, int ntiers,
                     int64_t park_s, int site_stale, int64_t now_ms, vq_board_row *r)
{
	const vq_attr_view *a = vq_sitestate_attr(ss, i);
	snprintf(r->id, sizeof r->id, "%s", a->id);
	const char *name = a->known ? vq_sitestate_attr_name(ss, a, lang) : NULL;
	snprintf(r->name, sizeof r->name, "%s", name && *name ? name : a->id);
	r->service = a->service;
	r->status = row_status(b, a, park_s, &r->since);
	r->standby_min = -1;
	if (a->known) {
		if (a->open)
			r->admitting = a->admitting;
		for (int t = 0; t < ntiers; t++)
			r->next[t] = a->next[t];
		if (!a->service)
			r->standby_min = a->standby_min;
		/* only with vqd's clock (park_s) and both bounds: hours unknown are not closed */
		if (a->open && park_s && a->opens > 0 && a->closes > a->opens) {
			if (park_s < a->opens) {
				r->hours = VQ_BOARD_BEFORE_HOURS;
				r->opens = a->opens;
			} else if (park_s >= a->closes) {
				r->hours = VQ_BOARD_AFTER_HOURS;
			}
		}
	}
	/* The gate admits a window from its start less the early grace: at 10:05 with 5
	 * minutes of grace, return times up to 10:10, whatever later window the slots
	 * overlapping now run to. */
	if (a->known && a->open && a->admitting.start > 0 && park_s && !r->hours) {
		int64_t early = a->has_rules ? (int64_t)a->early_grace_min * 60 : 0;
		r->admits_upto = (park_s + early) / 60 * 60;
	}
	r->stale = site_stale ||
	           (a->known && vq_sitestate_stale(ss, i, now_ms, (int64_t)b->stale_s * 1000));
	const struct called_list *l = list_find(b, a->id);
	for (int k = 0; l && k < l->n; k++) {
		if (park_s && l->e[k].c.at < park_s - b->called_age_s)
			break; /* listed newest first: the rest are older still */
		r->called[r->ncalled] = l->e[k].c;
		r->called[r->ncalled].newness = r->ncalled;
		r->ncalled++;
	}
	/* shown in number order, so a guest finds theirs at a glance */
	qsort(r->called, (size_t)r->ncalled, sizeof r->called[0], by_number);
}

int vq_board_view_make(const vq_board *b, const vq_sitestate *ss, int per_page, int64_t now_ms,
                       vq_board_view *out)
{
	if (!b || !ss || !out || per_page < 1 || per_page > VQ_BOARD_PAGE_MAX)
		return VQ_EINVAL;
	memset(out, 0, sizeof *out);
	const vq_site_view *site = vq_sitestate_site(ss);
	const char *lang = pick_lang(b, ss, now_ms);
	snprintf(out->lang, sizeof out->lang, "%s", lang);
	int li = vq_sitestate_lang(ss, lang);
	if (li < 0)
		li = 0;
	if (site->known) {
		snprintf(out->site_name, sizeof out->site_name, "%s", site->name);
		out->ntiers = site->ntiers < VQ_MAX_TIERS ? site->ntiers : VQ_MAX_TIERS;
		for (int t = 0; t < out->ntiers; t++) {
			const char *n = site->tier_names[t][li];
			if (!*n)
				n = site->tier_names[t][0];
			snprintf(out->tier_names[t], sizeof out->tier_names[t], "%s",
			         *n ? n : site->tiers[t]);
		}
	}

	snprintf(out->zone, sizeof out->zone, "%s", site->timezone);
	int64_t off = 0, park_s = 0, skew = 0;
	if (park_offset(ss, &off)) {
		park_s = (now_ms + off) / 1000;
		out->clock_min = (now_ms + off) / 60000;
	}
	if (vq_sitestate_clock_skew(ss, &skew) && llabs(skew) > VQ_CLOCK_SKEW_MAX_MS)
		out->clock_skew_min = (int)(-skew / 60000);

	out->stale = !site->known ? VQ_BOARD_NO_SITE : !site->vqd_online ? VQ_BOARD_OFFLINE : 0;
	int idx[VQ_BOARD_MAX_ATTRS];
	int n = followed(b, ss, idx);
	int64_t newest = 0;
	for (int k = 0; k < n; k++) {
		const vq_attr_view *a = vq_sitestate_attr(ss, idx[k]);
		if (!a->known)
			continue;
		if (a->updated > newest)
			newest = a->updated;
		if (!out->stale &&
		    vq_sitestate_stale(ss, idx[k], now_ms, (int64_t)b->stale_s * 1000))
			out->stale = VQ_BOARD_OLD;
	}
	if (out->stale)
		out->last_update = newest;

	out->total = n;
	out->npages = n > 0 ? (n + per_page - 1) / per_page : 1;
	out->page = vq_board_page_index(out->npages, b->page_s, now_ms);
	int first = out->page * per_page;
	for (int k = first; k < n && k < first + per_page; k++)
		fill_row(b, ss, idx[k], li, out->ntiers, park_s,
		         out->stale == VQ_BOARD_NO_SITE || out->stale == VQ_BOARD_OFFLINE, now_ms,
		         &out->rows[out->nrows++]);
	return VQ_OK;
}

int vq_board_count(const vq_board *b, const vq_sitestate *ss)
{
	int idx[VQ_BOARD_MAX_ATTRS];
	return b && ss ? followed(b, ss, idx) : 0;
}

static void sooner(int64_t *best, int64_t t)
{
	if (t < *best)
		*best = t;
}

/* The next multiple of period_ms after now_ms. */
static int64_t next_turn(int64_t now_ms, int64_t period_ms)
{
	return (now_ms / period_ms + 1) * period_ms;
}

int64_t vq_board_next_change(const vq_board *b, const vq_sitestate *ss, int per_page,
                             int64_t now_ms)
{
	int64_t best = INT64_MAX;
	if (!b || !ss || per_page < 1)
		return best;
	const char *c[VQ_MAX_LANGS];
	if (!b->lang[0] && b->lang_rotate_s > 0 && candidates(b, ss, c) > 1)
		sooner(&best, next_turn(now_ms, (int64_t)b->lang_rotate_s * 1000));
	int idx[VQ_BOARD_MAX_ATTRS];
	int n = followed(b, ss, idx);
	if (n > per_page)
		sooner(&best, next_turn(now_ms, (int64_t)b->page_s * 1000));
	int64_t off = 0;
	int clock = park_offset(ss, &off);
	int64_t park_ms = now_ms + off;
	if (clock)
		sooner(&best, now_ms + (60000 - ((park_ms % 60000) + 60000) % 60000));
	for (int k = 0; k < n; k++) {
		const vq_attr_view *a = vq_sitestate_attr(ss, idx[k]);
		if (!a->known)
			continue;
		int64_t old_at = a->received_ms + (int64_t)b->stale_s * 1000 + 1;
		if (old_at > now_ms)
			sooner(&best, old_at);
		if (!clock)
			continue;
		int64_t until = (a->reopened_at + b->reopened_s) * 1000;
		if (a->open && a->reopened_at > 0 && until > park_ms)
			sooner(&best, now_ms + (until - park_ms));
		/* the row turns "Opens at" -> admitting -> "Closed for today" on its own */
		if (a->open && a->opens * 1000 > park_ms)
			sooner(&best, now_ms + (a->opens * 1000 - park_ms));
		if (a->open && a->closes * 1000 > park_ms)
			sooner(&best, now_ms + (a->closes * 1000 - park_ms));
		const struct called_list *l = list_find(b, a->id);
		for (int e = 0; l && e < l->n; e++) {
			int64_t gone = (l->e[e].c.at + b->called_age_s) * 1000 + 1000;
			if (gone > park_ms)
				sooner(&best, now_ms + (gone - park_ms));
		}
	}
	return best;
}

/* --- describing a row --------------------------------------------------------------- */

static void window_text(const char *zone, vq_window w, char *out, size_t n)
{
	if (!w.start) {
		snprintf(out, n, "none");
		return;
	}
	char a[VQ_BOARD_TIME_MAX], b[VQ_BOARD_TIME_MAX];
	vq_board_hhmm(zone, w.start, a);
	vq_board_hhmm(zone, w.end, b);
	snprintf(out, n, "%s-%s", a, b);
}

/* Appends printf output at *len, never past outlen (a cut line stays NUL-terminated). */
__attribute__((format(printf, 4, 5))) static void add(char *out, size_t outlen, size_t *len,
                                                      const char *fmt, ...)
{
	if (*len >= outlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + *len, outlen - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < outlen ? *len + (size_t)n : outlen - 1;
}

void vq_board_row_describe(const vq_board_row *r, const char *zone, const char (*tiers)[VQ_ID_MAX],
                           int ntiers, char *out, size_t outlen)
{
	static const char *const status[] = {"waiting", "open", "closed", "reopened"};
	if (!out || outlen == 0)
		return;
	size_t len = 0;
	char w[2 * VQ_BOARD_TIME_MAX + 2], t[VQ_BOARD_TIME_MAX];
	out[0] = '\0';
	add(out, outlen, &len, "%s %s", r->id, status[r->status & 3]);
	if (r->since) {
		vq_board_hhmm(zone, r->since, t);
		add(out, outlen, &len, "@%s", t);
	}
	if (r->hours == VQ_BOARD_BEFORE_HOURS) {
		vq_board_hhmm(zone, r->opens, t);
		add(out, outlen, &len, " hours=before@%s", t);
	} else if (r->hours == VQ_BOARD_AFTER_HOURS) {
		add(out, outlen, &len, " hours=after");
	}
	window_text(zone, r->admitting, w, sizeof w);
	add(out, outlen, &len, " admitting=%s", w);
	if (r->admits_upto) {
		vq_board_hhmm(zone, r->admits_upto, t);
		add(out, outlen, &len, " upto=%s", t);
	}
	add(out, outlen, &len, " next=");
	for (int i = 0; i < ntiers; i++) {
		window_text(zone, r->next[i], w, sizeof w);
		add(out, outlen, &len, "%s%s@%s", i ? "," : "", tiers ? tiers[i] : "?", w);
	}
	if (r->standby_min >= 0)
		add(out, outlen, &len, " standby=%d", r->standby_min);
	else
		add(out, outlen, &len, " standby=none");
	add(out, outlen, &len, " called=");
	for (int i = 0; i < r->ncalled; i++)
		add(out, outlen, &len, "%s%s%s%s", i ? "," : "", r->called[i].number,
		    r->service ? ">" : "", r->service ? r->called[i].desk : "");
	if (!r->ncalled)
		add(out, outlen, &len, "none");
	add(out, outlen, &len, " stale=%d", r->stale);
}
