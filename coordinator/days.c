/* coordinator/days.c — vqd's calendar: which local day it serves, moving to the next one,
 * and what it says when a day will not load.
 *
 * Owns d->day and d->day_loaded (see vqd.h). The day comes from the site's zone through
 * the tz database (clock/zone.h); the service loads its book (coordinator/service.h).
 * Invariants:
 *   - requests are decided only against the book of the day that holds vqd's now: when a
 *     day will not load, vqd refuses every request with day_unavailable rather than go on
 *     with the previous day's book;
 *   - days only move forward: a clock that went back never reloads an earlier day;
 *   - each reason a day will not load is logged once, with the date and what was wrong.
 */
#include "clock/zone.h"
#include "coordinator/handlers.h"
#include "coordinator/log.h"

#include <stdio.h>
#include <string.h>

void vqd_day_name(const vq_day *day, char out[11])
{
	int y, m, dd;
	vq_date_to_ymd(day->date, &y, &m, &dd);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	         (unsigned)dd % 100u);
}

/* Says (once per distinct reason) that the day would not load. */
static void day_failed(vq_vqd *d, const char *why)
{
	char name[11];
	vqd_day_name(&d->day, name);
	char msg[sizeof d->day_error];
	snprintf(msg, sizeof msg, "day %s (%s) cannot be loaded: %s", name,
	         vq_site_timezone(d->site), why);
	if (strcmp(msg, d->day_error) != 0) {
		vq_log(VQ_LOG_ERROR,
		       "%s; every request is refused with day_unavailable until it loads (tried "
		       "again every %d s)",
		       msg, VQD_DAY_RETRY_S);
		d->site_dirty = 1; /* state/_site says the day is not loaded */
	}
	snprintf(d->day_error, sizeof d->day_error, "%s", msg);
}

static void day_loaded(vq_vqd *d, int first)
{
	char name[11];
	vqd_day_name(&d->day, name);
	long long len = (long long)vq_day_length(&d->day);
	if (d->day_error[0])
		vq_log(VQ_LOG_INFO, "day %s loaded: serving again", name);
	else if (len != 86400)
		vq_log(VQ_LOG_INFO, "%s day %s (%s): %lld h %lld min long, the clocks change",
		       first ? "serving" : "a new day begins:", name, vq_site_timezone(d->site),
		       len / 3600, len / 60 % 60);
	else
		vq_log(VQ_LOG_INFO, "%s day %s (%s)", first ? "serving" : "a new day begins:", name,
		       vq_site_timezone(d->site));
	d->day_error[0] = '\0';
	/* a new day sells out anew */
	memset(d->soldout, 0, (size_t)vq_site_attr_count(d->site) * VQ_MAX_TIERS);
	/* retries come within minutes, not days */
	int64_t gone = 0;
	if (vq_service_prune_requests(d->svc, d->day.start - VQD_KEEP_REPLIES_S, &gone) != VQ_OK)
		vq_log(VQ_LOG_WARN, "cannot forget old replies: %s",
		       vq_store_errmsg(vq_service_store(d->svc)));
	else if (gone > 0)
		vq_log(VQ_LOG_INFO, "forgot %lld replies from before yesterday", (long long)gone);
}

/* Loads d->day into the service. */
static void day_load(vq_vqd *d, double mono_ms)
{
	int first = vq_service_local_day(d->svc) == NULL;
	d->day_retry_ms = mono_ms + VQD_DAY_RETRY_S * 1000.0;
	int rc = vq_service_set_day(d->svc, &d->day);
	if (rc != VQ_OK) {
		char why[400];
		snprintf(why, sizeof why, "%s",
		         rc == VQ_ESTORE ? vq_store_errmsg(vq_service_store(d->svc))
		                         : vq_strerror(rc));
		d->day_loaded = 0;
		day_failed(d, why);
		return;
	}
	d->day_loaded = 1;
	memset(d->dirty, 1, (size_t)vq_site_attr_count(d->site));
	d->site_dirty = 1;
	day_loaded(d, first);
}

void vqd_day_follow(vq_vqd *d, int64_t now, double mono_ms)
{
	int have = d->day.nspans > 0; /* a day was worked out (loaded or not) */
	if (have && now < d->day.end) {
		if (!d->day_loaded && mono_ms >= d->day_retry_ms)
			day_load(d, mono_ms);
		return;
	}
	if (!have && d->day_error[0] && mono_ms < d->day_retry_ms)
		return; /* the zone failed us a moment ago */
	vq_day next;
	int rc = vq_zone_day_of(vq_site_timezone(d->site), now, &next);
	if (rc != VQ_OK) {
		char err[256];
		vq_zone_check(vq_site_timezone(d->site), err, sizeof err);
		d->day_loaded = 0;
		d->day_retry_ms = mono_ms + VQD_DAY_RETRY_S * 1000.0;
		day_failed(d, rc == VQ_ENOTFOUND ? err : vq_strerror(rc));
		return;
	}
	if (have && next.date <= d->day.date)
		return; /* the clock went back: today stays today */
	d->day = next;
	day_load(d, mono_ms);
}

char *vqd_day_refusal(const vq_vqd *d, const char *payload, size_t len)
{
	char name[11], msg[96];
	vqd_day_name(&d->day, name);
	snprintf(msg, sizeof msg,
	         "day %s could not be loaded; nothing was decided (vqd's log says why)", name);
	return vqd_refuse(payload, len, VQ_ENODAY, msg);
}
