/* tools/vqctl/report.h — `vqctl report`: one day of a site, from vqd's database, as a
 * self-contained HTML page with charts and as CSV files.
 *
 * The figures are a model (JSON) built from the store's report queries
 * (coordinator/store_report.h) and the site config; the page embeds that model, the chart
 * library's JavaScript (Chart.js, from the npm package tools/setup-deps installs) and its
 * own script and style, so it opens anywhere with no network. Definitions, per ticket of
 * the day (a ticket belongs to the day of its slot):
 *   issued     every ticket, whatever became of it (= the four below);
 *   redeemed   admitted (online, offline, or by a staff override);
 *   cancelled  given back;
 *   no_show    unused, and its admission interval (window plus the attraction's and the
 *              tier's late grace; an anytime pass's validity) ended by the report's
 *              moment (`as_of`);
 *   pending    unused, interval not ended yet.
 * Each figure is [tickets, guests] (guests: the sum of party sizes).
 */
#ifndef VQCTL_REPORT_H
#define VQCTL_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "coordinator/store_report.h"
#include "core/day.h"
#include "core/site.h"

typedef struct vqctl_report_day {
	char date[11];     /* YYYY-MM-DD, the site's local date */
	int64_t from;      /* its first instant (local midnight, or a gap's end) */
	int64_t until;     /* the next day's first instant */
	int64_t as_of;     /* no-shows are judged at this moment */
	int64_t generated; /* when the report was made */
	vq_day local;      /* the day as core lays it out (core/day.h) */
} vqctl_report_day;

/* The day for date (YYYY-MM-DD, or "" for the local day of at) in zone, the site's
 * (clock/zone.h); as_of is at, but the day's end once that is past. VQ_EINVAL for a date
 * the calendar does not have, or a zone not installed here. */
int vqctl_report_day_of(const char *zone, const char *date, int64_t at, int64_t now,
                        vqctl_report_day *out);

/* Builds the model of the day (see the definitions above). On failure err says why. */
int vqctl_report_model(vq_store_reader *r, const vq_site *site, const vqctl_report_day *day,
                       cJSON **out, char *err, size_t errlen);

/* Writes the page: the model as JSON data, chart_js (the library's source, len bytes) and
 * the page's own script and style, all inline. VQ_EINVAL if the library holds "</script"
 * (it could not be inlined safely), VQ_ESTORE if writing fails. */
int vqctl_report_html(FILE *f, const cJSON *model, const char *chart_js, size_t len);

/* Writes tickets.csv, admissions.csv and audit.csv for the day into dir (made if
 * missing). Tier indexes are written as the site's tier ids. */
int vqctl_report_csv(vq_store_reader *r, const vq_site *site, const vqctl_report_day *day,
                     const char *dir, char *err, size_t errlen);

#endif
