/* coordinator/state.c — what vqd tells every screen without being asked: the retained
 * state of each attraction and of the site, and the keys gates verify codes with.
 *
 * Pure rendering from the book at a given now; vqd.c decides when to publish.
 */
#include "coordinator/log.h"
#include "coordinator/vqd.h"
#include "core/merge.h"
#include "core/overbook.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *window(int64_t from, int64_t until)
{
	cJSON *w = cJSON_CreateObject();
	cJSON_AddNumberToObject(w, "start", (double)from);
	cJSON_AddNumberToObject(w, "end", (double)until);
	return w;
}

static cJSON *names(const vq_site *site, int a)
{
	cJSON *n = cJSON_CreateObject();
	for (int l = 0; l < vq_site_lang_count(site); l++)
		cJSON_AddStringToObject(n, vq_site_lang(site, l), vq_attr_name(site, a, l));
	return n;
}

void vqd_count(vq_vqd *d, int64_t now)
{
	vq_book *b = vq_service_book(d->svc);
	if (!b || !d->backlog || !d->noshow)
		return;
	vq_book_tallies(b, now, d->backlog, d->noshow);
	d->backlog_now = now;
}

/* Rates go out rounded to 0.1 %: the sample behind them is published beside them. */
static double rounded(double rate)
{
	return round(rate * 1000) / 1000;
}

/* The no-shows of the day's expired windows and the overbooking they suggest
 * (core/overbook.h); the operator decides. */
static cJSON *noshow_json(const vq_vqd *d, int a, int64_t now)
{
	vq_noshow s = {0, 0};
	if (d->noshow && d->backlog_now == now) {
		s = d->noshow[a];
	} else {
		vq_noshow *all = calloc((size_t)vq_site_attr_count(d->site), sizeof *all);
		if (all) {
			vq_book_noshows(vq_service_book(d->svc), now, all);
			s = all[a];
		}
		free(all);
	}
	vq_overbook_rule rule = vq_overbook_default_rule();
	vq_overbook_advice adv;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seats", (double)s.seats);
	cJSON_AddNumberToObject(o, "no_shows", (double)s.no_shows);
	if (vq_overbook_suggest(&s, &rule, &adv) != VQ_OK)
		adv = (vq_overbook_advice){.suggested_pct = -1};
	cJSON_AddNumberToObject(o, "rate", rounded(adv.rate));
	cJSON_AddNumberToObject(o, "rate_low", rounded(adv.rate_low));
	cJSON_AddNumberToObject(o, "min_sample", (double)rule.min_sample);
	if (adv.suggested_pct >= 0)
		cJSON_AddNumberToObject(o, "suggested_overbook_pct", adv.suggested_pct);
	else
		cJSON_AddNullToObject(o, "suggested_overbook_pct");
	return o;
}

void vqd_admitting(const vq_vqd *d, int a, int64_t now, int64_t *from, int64_t *until)
{
	*from = *until = 0;
	const vq_book *b = vq_service_book(d->svc);
	const vq_attr_state *st = b ? vq_book_attr_state(b, a) : NULL;
	if (!st || st->status != VQ_ATTR_OPEN)
		return;
	const vq_attraction *cfg = vq_site_attr(d->site, a);
	int64_t opens = 0, closes = 0;
	vq_book_hours(b, a, &opens, &closes);
	/* the slots whose window, with the attraction's grace, holds now */
	int n = vq_book_slot_count(b, a);
	for (int s = 0; s < n; s++) {
		vq_slot_view v;
		vq_book_slot(b, a, s, &v);
		int64_t end = v.start + (int64_t)cfg->window_min * 60;
		if (end > closes)
			end = closes;
		if (v.start - (int64_t)cfg->early_grace_min * 60 <= now &&
		    now < end + (int64_t)cfg->late_grace_min * 60) {
			if (!*from)
				*from = v.start;
			*until = end;
		}
	}
}

void vqd_mark_moved_windows(vq_vqd *d, int64_t now)
{
	/* windows move by whole minutes: once a second is soon enough, and cheap under load */
	if (!vq_service_book(d->svc) || !d->admit_seen || now == d->windows_at)
		return;
	d->windows_at = now;
	for (int a = 0; a < vq_site_attr_count(d->site); a++) {
		int64_t from, until;
		vqd_admitting(d, a, now, &from, &until);
		if (from != d->admit_seen[2 * a] || until != d->admit_seen[2 * a + 1]) {
			d->admit_seen[2 * a] = from;
			d->admit_seen[2 * a + 1] = until;
			d->dirty[a] = 1;
		}
	}
}

cJSON *vqd_state_attr(const vq_vqd *d, int a, int64_t now)
{
	const vq_book *b = vq_service_book(d->svc);
	const vq_attraction *cfg = vq_site_attr(d->site, a);
	const vq_attr_state *st = vq_book_attr_state(b, a);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "v", 1);
	cJSON_AddStringToObject(o, "attraction", cfg->id);
	cJSON_AddStringToObject(o, "kind", cfg->kind == VQ_KIND_SERVICE ? "service" : "ride");
	cJSON_AddItemToObject(o, "names", names(d->site, a));
	/* what a gate needs to judge a code as vqd would when it cannot ask, and boards to say
	 * when an attraction opens */
	cJSON_AddStringToObject(o, "prefix", cfg->prefix);
	cJSON_AddNumberToObject(o, "early_grace_min", cfg->early_grace_min);
	cJSON_AddNumberToObject(o, "late_grace_min", cfg->late_grace_min);
	int64_t opens = 0, closes = 0;
	vq_book_hours(b, a, &opens, &closes);
	cJSON_AddNumberToObject(o, "opens", (double)opens);
	cJSON_AddNumberToObject(o, "closes", (double)closes);
	cJSON_AddStringToObject(o, "status", st->status == VQ_ATTR_CLOSED ? "closed" : "open");
	cJSON_AddNumberToObject(o, "closed_at", (double)st->closed_at);
	cJSON_AddNumberToObject(o, "reopened_at", (double)st->reopened_at);

	/* The windows the gate admits now. Boards show them as "now admitting 10:15 - 11:30". */
	int64_t from, until;
	vqd_admitting(d, a, now, &from, &until);
	int n = vq_book_slot_count(b, a);
	if (from) {
		cJSON *w = cJSON_AddObjectToObject(o, "admitting");
		cJSON_AddNumberToObject(w, "from", (double)from);
		cJSON_AddNumberToObject(w, "until", (double)until);
	} else
		cJSON_AddNullToObject(o, "admitting");

	cJSON *next = cJSON_AddObjectToObject(o, "next");
	for (int t = 0; t < vq_site_tier_count(d->site); t++) {
		vq_request r = {.attr = a, .tier = t, .party = 1, .guest = 0};
		vq_offer off;
		if (vq_book_quote(b, &r, now, &off) == VQ_OK)
			cJSON_AddItemToObject(next, vq_site_tier(d->site, t)->id,
			                      window(off.win_start, off.win_end));
		else
			cJSON_AddNullToObject(next, vq_site_tier(d->site, t)->id);
	}
	int64_t cap = 0, taken = 0;
	for (int s = 0; s < n; s++) {
		vq_slot_view v;
		vq_book_slot(b, a, s, &v);
		cap += v.cap;
		taken += v.taken;
	}
	cJSON *c = cJSON_AddObjectToObject(o, "capacity");
	cJSON_AddNumberToObject(c, "today", (double)cap);
	cJSON_AddNumberToObject(c, "taken", (double)taken);
	cJSON_AddNumberToObject(o, "throughput_per_hour", st->throughput_per_hour);
	cJSON_AddNumberToObject(o, "fast_share_pct", st->fast_share_pct);
	cJSON_AddNumberToObject(o, "overbook_pct", st->overbook_pct);
	cJSON_AddNumberToObject(o, "standby_min", vqd_standby_min(d, a));
	/* merge guidance for the gate: the operator's ratio, stepped up as the backlog grows */
	vq_merge m;
	int backlog =
	    d->backlog && d->backlog_now == now ? d->backlog[a] : vq_book_backlog(b, a, now);
	int fast_per_hour = st->throughput_per_hour * st->fast_share_pct / 100;
	int base_fast, base_standby;
	vqd_merge_base(d, a, &base_fast, &base_standby);
	if (fast_per_hour > 0 &&
	    vq_merge_ratio(base_fast, base_standby, backlog, fast_per_hour, &m) == VQ_OK) {
		cJSON *mj = cJSON_AddObjectToObject(o, "merge");
		cJSON_AddNumberToObject(mj, "fast", m.fast);
		cJSON_AddNumberToObject(mj, "standby", m.standby);
		cJSON_AddNumberToObject(mj, "phase", m.phase);
		cJSON_AddNumberToObject(mj, "backlog", backlog);
		cJSON_AddNumberToObject(mj, "backlog_min", m.backlog_min);
		/* the operator's own ratio, which the phases step up from */
		cJSON_AddNumberToObject(mj, "base_fast", base_fast);
		cJSON_AddNumberToObject(mj, "base_standby", base_standby);
	} else {
		cJSON_AddNullToObject(o, "merge");
	}
	cJSON_AddItemToObject(o, "noshow", noshow_json(d, a, now));
	cJSON_AddNumberToObject(o, "updated", (double)now);
	return o;
}

cJSON *vqd_state_site(const vq_vqd *d, int64_t now)
{
	const vq_site *s = d->site;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "v", 1);
	cJSON_AddStringToObject(o, "site", vq_site_id(s));
	cJSON_AddStringToObject(o, "name", vq_site_name(s));
	cJSON_AddStringToObject(o, "timezone", vq_site_timezone(s));
	cJSON *langs = cJSON_AddArrayToObject(o, "languages");
	for (int l = 0; l < vq_site_lang_count(s); l++)
		cJSON_AddItemToArray(langs, cJSON_CreateString(vq_site_lang(s, l)));
	cJSON *tiers = cJSON_AddArrayToObject(o, "tiers");
	for (int t = 0; t < vq_site_tier_count(s); t++) {
		cJSON *it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "id", vq_site_tier(s, t)->id);
		cJSON_AddNumberToObject(it, "late_grace_min", vq_site_tier(s, t)->late_grace_min);
		cJSON *n = cJSON_AddObjectToObject(it, "names");
		for (int l = 0; l < vq_site_lang_count(s); l++)
			cJSON_AddStringToObject(n, vq_site_lang(s, l), vq_tier_name(s, t, l));
		cJSON_AddItemToArray(tiers, it);
	}
	cJSON *attrs = cJSON_AddArrayToObject(o, "attractions");
	for (int a = 0; a < vq_site_attr_count(s); a++)
		cJSON_AddItemToArray(attrs, cJSON_CreateString(vq_site_attr(s, a)->id));
	cJSON *keys = cJSON_AddArrayToObject(o, "keys");
	for (int i = 0; i < d->ring.count; i++) {
		char h[65];
		sodium_bin2hex(h, sizeof h, d->ring.keys[i].pk, 32);
		cJSON *k = cJSON_CreateObject();
		cJSON_AddNumberToObject(k, "kid", d->ring.keys[i].kid);
		cJSON_AddStringToObject(k, "public_key", h);
		cJSON_AddItemToArray(keys, k);
	}
	/* the day vqd serves (or fails to load), and its clock, so screens can tell when
	 * theirs is not the same */
	char day[11];
	vqd_day_name(&d->day, day);
	cJSON_AddStringToObject(o, "day", day);
	cJSON_AddNumberToObject(o, "day_start", (double)d->day.start);
	cJSON_AddNumberToObject(o, "day_end", (double)d->day.end);
	cJSON_AddBoolToObject(o, "day_loaded", d->day_loaded);
	if (d->clock) {
		cJSON *c = cJSON_AddObjectToObject(o, "clock");
		cJSON_AddNumberToObject(c, "now_ms", (double)vq_clock_now_ms(d->clock));
		cJSON_AddNumberToObject(c, "speed", vq_clock_speed(d->clock));
		cJSON_AddBoolToObject(c, "demo", vq_clock_is_demo(d->clock));
	}
	cJSON_AddNumberToObject(o, "updated", (double)now);
	return o;
}
