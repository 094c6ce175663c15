/* tools/vqctl/report.c — the report's model: the day's figures from the store's report
 * queries and the site config (contract and definitions: report.h).
 *
 * Owns the arithmetic of the report: which ticket counts as what, per slot and tier, per
 * attraction; sell-outs, closures and what they converted, offline admissions per gate,
 * conflicts and overrides from the audit log. Every figure is a sum of the store's ticket
 * groups, so the page's numbers are SQL counts. Times also go out as local "HH:MM" labels
 * in the site's zone (clock/timefmt.h: with the offset where the clocks show a time
 * twice), so the page needs no time-zone data; the day is the site's local day
 * (clock/zone.h), 23 or 25 hours long when the clocks change.
 */
#include "tools/vqctl/report.h"
#include "core/json.h"

#include "clock/timefmt.h"
#include "clock/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_REDEEMED, C_CANCELLED, C_NOSHOW, C_PENDING, C_COUNT };
static const char *const cat_names[C_COUNT] = {"redeemed", "cancelled", "no_show", "pending"};

typedef struct pair {
	int64_t tickets, guests;
} pair;

typedef struct gate_count {
	char gate[VQ_ID_MAX];
	pair admitted;
} gate_count;

typedef struct conv {
	int64_t at; /* valid_from: the reopening that made them anytime */
	pair n;
} conv;

/* One attraction's tallies while the groups stream in. */
typedef struct tally {
	const vq_site *site;
	int attr, ntiers, nslots;
	int64_t *starts; /* nslots slot starts, ascending */
	pair *cells;     /* [slot][tier][cat] */
	pair tier_tot[VQ_MAX_TIERS][C_COUNT];
	pair unslotted; /* tickets whose slot is not one of today's (a changed config) */
	pair offline;
	gate_count *gates;
	size_t ngates;
	conv *convs;
	size_t nconvs;
	int64_t as_of;
	int failed;
} tally;

static void add(pair *p, const vq_ticket_group *g)
{
	p->tickets += g->tickets;
	p->guests += g->guests;
}

static cJSON *pair_json(pair p)
{
	cJSON *a = cJSON_CreateArray();
	cJSON_AddItemToArray(a, cJSON_CreateNumber((double)p.tickets));
	cJSON_AddItemToArray(a, cJSON_CreateNumber((double)p.guests));
	return a;
}

static void add_time(cJSON *o, const char *zone, const char *name, int64_t t)
{
	char l[VQ_TIME_HHMM_MAX], key[48];
	cJSON_AddNumberToObject(o, name, (double)t);
	vq_time_hhmm(zone, t, l);
	snprintf(key, sizeof key, "%s_label", name);
	cJSON_AddStringToObject(o, key, l);
}

static int category(const tally *t, const vq_ticket_group *g)
{
	switch (g->state) {
	case VQ_TS_REDEEMED:
		return C_REDEEMED;
	case VQ_TS_CANCELLED:
		return C_CANCELLED;
	case VQ_TS_ANYTIME:
		return g->until <= t->as_of ? C_NOSHOW : C_PENDING;
	default: {
		const vq_tier *tier = vq_site_tier(t->site, g->tier);
		int grace = vq_site_attr(t->site, t->attr)->late_grace_min +
		            (tier ? tier->late_grace_min : 0);
		return g->until + (int64_t)grace * 60 <= t->as_of ? C_NOSHOW : C_PENDING;
	}
	}
}

static int slot_index(const tally *t, int64_t start)
{
	int lo = 0, hi = t->nslots - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (t->starts[mid] == start)
			return mid;
		if (t->starts[mid] < start)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static int on_group(void *arg, const vq_ticket_group *g)
{
	tally *t = arg;
	if (g->tier < 0 || g->tier >= t->ntiers || g->state < 0 || g->state > VQ_TS_ANYTIME)
		return 0; /* not a row vqd wrote for this config: left out of every figure */
	int c = category(t, g);
	int s = slot_index(t, g->slot_start);
	if (s >= 0)
		add(&t->cells[((size_t)s * (size_t)t->ntiers + (size_t)g->tier) * C_COUNT + c], g);
	else
		add(&t->unslotted, g);
	add(&t->tier_tot[g->tier][c], g);
	if (g->state == VQ_TS_REDEEMED && g->offline) {
		add(&t->offline, g);
		size_t i = 0;
		while (i < t->ngates && strcmp(t->gates[i].gate, g->gate) != 0)
			i++;
		if (i == t->ngates) {
			gate_count *ng = realloc(t->gates, (t->ngates + 1) * sizeof *ng);
			if (!ng)
				return t->failed = VQ_ENOMEM;
			t->gates = ng;
			memset(&ng[i], 0, sizeof ng[i]);
			snprintf(ng[i].gate, sizeof ng[i].gate, "%s", g->gate);
			t->ngates++;
		}
		add(&t->gates[i].admitted, g);
	}
	if (g->valid_from != 0) {
		size_t i = 0;
		while (i < t->nconvs && t->convs[i].at != g->valid_from)
			i++;
		if (i == t->nconvs) {
			conv *nc = realloc(t->convs, (t->nconvs + 1) * sizeof *nc);
			if (!nc)
				return t->failed = VQ_ENOMEM;
			t->convs = nc;
			memset(&nc[i], 0, sizeof nc[i]);
			nc[i].at = g->valid_from;
			t->nconvs++;
		}
		add(&t->convs[i].n, g);
	}
	return 0;
}

struct slot_arg {
	vq_book *b;
	int attr;
};

/* A stored slot row carries the capacity operators gave it; a row of another layout of
 * the day (the config changed since) restores nothing. */
static int on_slot(void *arg, int slot, int64_t start, int cap, int taken)
{
	const struct slot_arg *sa = arg;
	vq_slot_view v;
	(void)taken;
	if (vq_book_slot(sa->b, sa->attr, slot, &v) == VQ_OK && v.start == start)
		vq_book_restore_slot_cap(sa->b, sa->attr, slot, cap);
	return 0;
}

/* --- the audit log ------------------------------------------------------------------- */

typedef struct audit_view {
	cJSON *all;       /* array of entries, parsed detail included */
	const char *zone; /* the site's: times' labels are local times in it */
} audit_view;

static int on_audit(void *arg, const vq_audit_entry *e)
{
	audit_view *v = arg;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return VQ_ENOMEM;
	cJSON_AddNumberToObject(o, "id", (double)e->id);
	add_time(o, v->zone, "at", e->at);
	cJSON_AddStringToObject(o, "actor", e->actor);
	cJSON_AddStringToObject(o, "action", e->action);
	cJSON *d = e->detail ? cJSON_Parse(e->detail) : NULL;
	const cJSON *members = cJSON_GetObjectItemCaseSensitive(d, "members");
	if (!strcmp(e->action, "members_import") && cJSON_IsArray(members)) {
		/* how many, not who: a report is passed around, card numbers should not be */
		int n = cJSON_GetArraySize(members);
		cJSON_Delete(d);
		d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "members", n);
	}
	cJSON_AddItemToObject(o, "detail", d ? d : cJSON_CreateNull());
	cJSON_AddItemToArray(v->all, o);
	return 0;
}

static const char *detail_str(const cJSON *entry, const char *field)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(entry, "detail"), field);
	return cJSON_IsString(f) ? f->valuestring : NULL;
}

static int is_action(const cJSON *entry, const char *action)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(entry, "action");
	return cJSON_IsString(a) && strcmp(a->valuestring, action) == 0;
}

static int64_t num(const cJSON *o, const char *field)
{
	int64_t v; /* range-checked before any cast (core/json.h) */
	return vq_json_int(cJSON_GetObjectItemCaseSensitive(o, field), INT64_MIN, INT64_MAX, &v) ==
	               VQ_OK
	           ? v
	           : 0;
}

static const char *str(const cJSON *o, const char *field)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, field);
	return cJSON_IsString(f) ? f->valuestring : "";
}

/* The first sell-out of each tier at attraction id (the log may hold more after a
 * restart: the earliest counts). */
static cJSON *sold_out_json(const vq_site *site, const cJSON *audit, const char *id)
{
	cJSON *arr = cJSON_CreateArray();
	for (int t = 0; t < vq_site_tier_count(site); t++) {
		const char *tier = vq_site_tier(site, t)->id;
		int64_t first = 0;
		const cJSON *e;
		cJSON_ArrayForEach(e, audit)
		{
			const char *a = detail_str(e, "attraction"), *tr = detail_str(e, "tier");
			if (is_action(e, "sold_out") && a && tr && !strcmp(a, id) &&
			    !strcmp(tr, tier) && (!first || num(e, "at") < first))
				first = num(e, "at");
		}
		if (!first)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tier", tier);
		add_time(o, vq_site_timezone(site), "at", first);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* Closures of attraction id from the operators' close and reopen commands, each with the
 * tickets its reopening made anytime passes. */
static cJSON *closures_json(const tally *t, const cJSON *audit, const char *id)
{
	cJSON *arr = cJSON_CreateArray();
	cJSON *open = NULL;
	const cJSON *e;
	cJSON_ArrayForEach(e, audit)
	{
		const char *a = detail_str(e, "attraction");
		if (!a || strcmp(a, id) != 0)
			continue;
		if (is_action(e, "close")) {
			open = cJSON_CreateObject();
			add_time(open, vq_site_timezone(t->site), "closed_at", num(e, "at"));
			cJSON_AddStringToObject(open, "closed_by", str(e, "actor"));
			cJSON_AddNullToObject(open, "reopened_at");
			cJSON_AddItemToObject(open, "converted", pair_json((pair){0, 0}));
			cJSON_AddItemToArray(arr, open);
		} else if (is_action(e, "reopen") && open) {
			int64_t at = num(e, "at");
			cJSON_DeleteItemFromObject(open, "reopened_at");
			add_time(open, vq_site_timezone(t->site), "reopened_at", at);
			cJSON_AddStringToObject(open, "reopened_by", str(e, "actor"));
			pair n = {0, 0};
			for (size_t i = 0; i < t->nconvs; i++)
				if (t->convs[i].at == at)
					n = t->convs[i].n;
			cJSON_ReplaceItemInObject(open, "converted", pair_json(n));
			open = NULL;
		}
	}
	return arr;
}

/* --- one attraction ------------------------------------------------------------------ */

static cJSON *cats_json(const pair *cats)
{
	cJSON *o = cJSON_CreateObject();
	pair issued = {0, 0};
	for (int c = 0; c < C_COUNT; c++) {
		issued.tickets += cats[c].tickets;
		issued.guests += cats[c].guests;
	}
	cJSON_AddItemToObject(o, "issued", pair_json(issued));
	for (int c = 0; c < C_COUNT; c++)
		cJSON_AddItemToObject(o, cat_names[c], pair_json(cats[c]));
	return o;
}

static int attraction_json(vq_store_reader *r, const vq_site *site, const vqctl_report_day *day,
                           int a, const cJSON *audit, cJSON **out, char *err, size_t errlen)
{
	const vq_attraction *cfg = vq_site_attr(site, a);
	tally t = {
	    .site = site, .attr = a, .ntiers = vq_site_tier_count(site), .as_of = day->as_of};
	vq_book *b = NULL;
	cJSON *o = NULL;
	/* the day's slots and capacities as vqd had them: the config's layout, then the
	 * operators' figures and the slot rows they changed */
	int rc = vq_book_new(site, &day->local, 1, &b);
	if (rc != VQ_OK) {
		snprintf(err, errlen, "%s: cannot lay out the day", cfg->id);
		goto cleanup;
	}
	vq_attr_state as;
	rc = vq_store_reader_attr_state(r, cfg->id, day->from, &as);
	if (rc == VQ_OK)
		rc = vq_book_restore_attr(b, a, &as);
	if (rc == VQ_OK || rc == VQ_ENOTFOUND) {
		struct slot_arg sa = {b, a};
		rc = vq_store_reader_slots(r, cfg->id, day->from, on_slot, &sa);
	}
	if (rc != VQ_OK)
		goto store_failed;
	t.nslots = vq_book_slot_count(b, a);
	t.starts = calloc((size_t)t.nslots + 1, sizeof *t.starts);
	t.cells = calloc(((size_t)t.nslots + 1) * (size_t)t.ntiers * C_COUNT, sizeof *t.cells);
	if (!t.starts || !t.cells) {
		rc = VQ_ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	for (int s = 0; s < t.nslots; s++) {
		vq_slot_view v;
		vq_book_slot(b, a, s, &v);
		t.starts[s] = v.start;
	}
	rc = vq_store_reader_ticket_groups(r, cfg->id, day->from, day->until, on_group, &t);
	if (rc == VQ_ENOMEM || t.failed) {
		rc = VQ_ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	if (rc != VQ_OK)
		goto store_failed;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", cfg->id);
	cJSON_AddStringToObject(o, "name", vq_attr_name(site, a, 0));
	cJSON_AddNumberToObject(o, "slot_min", cfg->slot_min);
	cJSON *slots = cJSON_AddArrayToObject(o, "slots");
	for (int s = 0; s < t.nslots; s++) {
		vq_slot_view v;
		vq_book_slot(b, a, s, &v);
		cJSON *so = cJSON_CreateObject();
		add_time(so, vq_site_timezone(site), "start", v.start);
		cJSON_AddNumberToObject(so, "cap", v.cap);
		cJSON *tiers = cJSON_AddArrayToObject(so, "tiers");
		for (int k = 0; k < t.ntiers; k++)
			cJSON_AddItemToArray(
			    tiers,
			    cats_json(
			        &t.cells[((size_t)s * (size_t)t.ntiers + (size_t)k) * C_COUNT]));
		cJSON_AddItemToArray(slots, so);
	}
	pair all[C_COUNT] = {{0, 0}};
	cJSON *by_tier = cJSON_AddArrayToObject(o, "by_tier");
	for (int k = 0; k < t.ntiers; k++) {
		cJSON *tj = cats_json(t.tier_tot[k]);
		cJSON_AddStringToObject(tj, "tier", vq_site_tier(site, k)->id);
		cJSON_AddItemToArray(by_tier, tj);
		for (int c = 0; c < C_COUNT; c++) {
			all[c].tickets += t.tier_tot[k][c].tickets;
			all[c].guests += t.tier_tot[k][c].guests;
		}
	}
	cJSON *tot = cats_json(all);
	cJSON_AddItemToObject(tot, "offline", pair_json(t.offline));
	cJSON_AddItemToObject(tot, "unslotted", pair_json(t.unslotted));
	cJSON_AddItemToObject(o, "totals", tot);
	cJSON_AddItemToObject(o, "sold_out", sold_out_json(site, audit, cfg->id));
	cJSON_AddItemToObject(o, "closures", closures_json(&t, audit, cfg->id));
	cJSON *gates = cJSON_AddArrayToObject(o, "offline");
	for (size_t i = 0; i < t.ngates; i++) {
		cJSON *g = cJSON_CreateObject();
		cJSON_AddStringToObject(g, "gate", t.gates[i].gate);
		cJSON_AddItemToObject(g, "admitted", pair_json(t.gates[i].admitted));
		cJSON_AddItemToArray(gates, g);
	}
	*out = o;
	o = NULL;
	rc = VQ_OK;
	goto cleanup;
store_failed:
	snprintf(err, errlen, "%s: %s", cfg->id, vq_store_reader_errmsg(r));
cleanup:
	cJSON_Delete(o);
	vq_book_free(b);
	free(t.starts);
	free(t.cells);
	free(t.gates);
	free(t.convs);
	return rc;
}

/* --- the day and the site ------------------------------------------------------------- */

int vqctl_report_day_of(const char *zone, const char *date, int64_t at, int64_t now,
                        vqctl_report_day *out)
{
	vq_day local;
	if (date && *date) {
		int y, m, d, yy, mm, dd;
		char tail;
		if (sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
		    d < 1 || d > 31)
			return VQ_EINVAL;
		int32_t n = vq_date_from_ymd(y, m, d);
		vq_date_to_ymd(n, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d)
			return VQ_EINVAL; /* 30 February */
		if (vq_zone_day(zone, n, &local) != VQ_OK)
			return VQ_EINVAL;
	} else if (vq_zone_day_of(zone, at >= 0 ? at : now, &local) != VQ_OK) {
		return VQ_EINVAL;
	}
	vqctl_report_day day = {.generated = now, .local = local};
	day.from = local.start;
	day.until = local.end;
	int y, m, d;
	vq_date_to_ymd(local.date, &y, &m, &d);
	snprintf(day.date, sizeof day.date, "%04u-%02u-%02u", (unsigned)y % 10000u,
	         (unsigned)m % 100u, (unsigned)d % 100u);
	int64_t t = at >= 0 ? at : now;
	day.as_of = t < day.until ? t : day.until;
	*out = day;
	return VQ_OK;
}

static cJSON *site_events(const char *zone, const cJSON *audit, const char *action)
{
	cJSON *arr = cJSON_CreateArray();
	const cJSON *e;
	cJSON_ArrayForEach(e, audit)
	{
		if (!is_action(e, action))
			continue;
		cJSON *o = cJSON_CreateObject();
		add_time(o, zone, "at", num(e, "at"));
		cJSON_AddStringToObject(o, "gate", str(e, "actor"));
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "detail");
		const cJSON *f;
		cJSON_ArrayForEach(f, d)
		{
			/* the gate's own words and ids; never the code, which admits a guest */
			int64_t t;
			int is_time = vq_json_int(f, INT64_MIN, INT64_MAX, &t) == VQ_OK;
			if (!strcmp(f->string, "at") && is_time)
				add_time(o, zone, "admitted_at", t);
			else if (!strcmp(f->string, "first_at") && is_time)
				add_time(o, zone, "first_at", t);
			else if (strcmp(f->string, "code") && strcmp(f->string, "v") &&
			         strcmp(f->string, "rid") && strcmp(f->string, "gate"))
				cJSON_AddItemToObject(o, f->string, cJSON_Duplicate(f, 1));
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

int vqctl_report_model(vq_store_reader *r, const vq_site *site, const vqctl_report_day *day,
                       cJSON **out, char *err, size_t errlen)
{
	cJSON *m = cJSON_CreateObject();
	audit_view av = {cJSON_CreateArray(), vq_site_timezone(site)};
	int rc = VQ_ENOMEM;
	if (!m || !av.all) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	rc = vq_store_reader_audit(r, day->from, day->until, on_audit, &av);
	if (rc != VQ_OK) {
		snprintf(err, errlen, "audit: %s",
		         rc == VQ_ENOMEM ? "out of memory" : vq_store_reader_errmsg(r));
		goto cleanup;
	}
	cJSON_AddNumberToObject(m, "v", 1);
	cJSON *so = cJSON_AddObjectToObject(m, "site");
	cJSON_AddStringToObject(so, "id", vq_site_id(site));
	cJSON_AddStringToObject(so, "name", vq_site_name(site));
	cJSON_AddStringToObject(so, "timezone", vq_site_timezone(site));
	cJSON_AddStringToObject(m, "date", day->date);
	const char *zone = vq_site_timezone(site);
	add_time(m, zone, "from", day->from);
	add_time(m, zone, "until", day->until);
	add_time(m, zone, "as_of", day->as_of);
	add_time(m, zone, "generated", day->generated);
	cJSON *tiers = cJSON_AddArrayToObject(m, "tiers");
	for (int t = 0; t < vq_site_tier_count(site); t++) {
		cJSON *tj = cJSON_CreateObject();
		cJSON_AddStringToObject(tj, "id", vq_site_tier(site, t)->id);
		cJSON_AddStringToObject(tj, "name", vq_tier_name(site, t, 0));
		cJSON_AddItemToArray(tiers, tj);
	}
	cJSON *attrs = cJSON_AddArrayToObject(m, "attractions");
	for (int a = 0; a < vq_site_attr_count(site); a++) {
		cJSON *aj = NULL;
		rc = attraction_json(r, site, day, a, av.all, &aj, err, errlen);
		if (rc != VQ_OK)
			goto cleanup;
		cJSON_AddItemToArray(attrs, aj);
	}
	cJSON_AddItemToObject(m, "conflicts", site_events(zone, av.all, "conflict"));
	cJSON_AddItemToObject(m, "overrides", site_events(zone, av.all, "override"));
	cJSON_AddItemToObject(m, "audit", av.all);
	av.all = NULL;
	*out = m;
	m = NULL;
	rc = VQ_OK;
cleanup:
	cJSON_Delete(av.all);
	cJSON_Delete(m);
	return rc;
}
