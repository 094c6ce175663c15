/* tools/vq-bench/report_bench.c — how long `vqctl report` takes for a busy day.
 *
 * Writes a database holding one day of N tickets (default 200,000) spread over the site's
 * attractions, slots and tiers in every state, plus a day's worth of audit entries
 * (closures, sell-outs, overrides, conflicts), through the store as vqd would. Then times
 * what `vqctl report --out` does — the model from the store's report queries and the whole
 * HTML page with Chart.js inlined — next to the bare cost of one SQLite pass that counts
 * the same tickets, in the same run. Prints the best of --runs.
 */
#include "bench.h"

#include "coordinator/store.h"
#include "coordinator/store_report.h"
#include "tools/vqctl/report.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY INT64_C(1798761600) /* 2027-01-01 00:00 UTC */

static vq_site *load_site(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	vq_site *site = NULL;
	char err[256];
	if (vq_site_parse(buf, n, &site, err, sizeof err) != VQ_OK)
		fprintf(stderr, "vq-bench: %s: %s\n", path, err);
	return site;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b)
		*len = (size_t)n;
	return b;
}

/* One day of n tickets: random attraction, slot, tier and party; most redeemed (a tenth
 * offline), some cancelled, some never used. */
static int fill(const char *path, const vq_site *site, long n)
{
	vq_store *st = NULL;
	char err[256];
	if (vq_store_open(path, NULL, NULL, &st, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-bench: %s\n", err);
		return -1;
	}
	uint64_t seed = 42;
	int rc = vq_store_begin(st);
	int nattr = vq_site_attr_count(site), ntiers = vq_site_tier_count(site);
	for (long i = 0; i < n && rc == VQ_OK; i++) {
		uint64_t r = vq_bench_rng(&seed);
		const vq_attraction *a = vq_site_attr(site, (int)(r % (uint64_t)nattr));
		int nslots = (a->close_min - a->open_min) / a->slot_min;
		int slot = (int)((r >> 8) % (uint64_t)nslots);
		vq_ticket t;
		memset(&t, 0, sizeof t);
		t.id = (uint64_t)i + 1;
		snprintf(t.attr, sizeof t.attr, "%s", a->id);
		t.slot_start = DAY + (int64_t)(a->open_min + slot * a->slot_min) * 60;
		t.win_start = t.slot_start;
		t.win_end = t.slot_start + (int64_t)a->window_min * 60;
		t.tier = (uint8_t)((r >> 20) % (uint64_t)ntiers);
		t.party = (uint8_t)(1 + (r >> 24) % 4);
		t.number = (uint16_t)(1 + i % 999);
		t.guest = r >> 32;
		t.issued_at = t.slot_start - 3600;
		unsigned fate = (unsigned)((r >> 40) % 100);
		if (fate < 75) {
			t.state = VQ_TS_REDEEMED;
			t.used_at = t.win_start + 300;
			t.used_offline = fate < 8;
			snprintf(t.used_gate, sizeof t.used_gate, "gate-%u",
			         1 + (unsigned)(r >> 48) % 4);
		} else if (fate < 80) {
			t.state = VQ_TS_CANCELLED;
		}
		rc = vq_store_put_ticket(st, &t);
	}
	static const char *const actions[] = {"sold_out", "override", "conflict", "capacity"};
	for (int i = 0; i < 400 && rc == VQ_OK; i++) {
		char detail[256];
		snprintf(
		    detail, sizeof detail,
		    "{\"attraction\":\"%s\",\"tier\":\"%s\",\"reason\":\"bench %d\",\"ticket\":%d}",
		    vq_site_attr(site, i % nattr)->id, vq_site_tier(site, i % ntiers)->id, i,
		    i + 1);
		rc = vq_store_audit(st, DAY + 8 * 3600 + i * 60, "gate-1", actions[i % 4], detail);
	}
	if (rc == VQ_OK)
		rc = vq_store_commit(st);
	vq_store_close(st);
	return rc == VQ_OK ? 0 : -1;
}

static double bare_scan(const char *path, long *count)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	double t0 = vq_bench_now();
	sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	sqlite3_prepare_v2(db,
	                   "SELECT attr, state, count(*), sum(party) FROM tickets"
	                   " WHERE slot_start >= ?1 AND slot_start < ?2 GROUP BY 1, 2",
	                   -1, &s, NULL);
	sqlite3_bind_int64(s, 1, DAY);
	sqlite3_bind_int64(s, 2, DAY + 86400);
	*count = 0;
	while (sqlite3_step(s) == SQLITE_ROW)
		*count += sqlite3_column_int64(s, 2);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return vq_bench_now() - t0;
}

static double report_once(const char *path, const vq_site *site, const char *js, size_t jslen,
                          size_t *bytes)
{
	double t0 = vq_bench_now();
	vq_store_reader *r = NULL;
	char err[256];
	cJSON *m = NULL;
	vqctl_report_day day;
	FILE *f = tmpfile();
	snprintf(err, sizeof err, "the bench site's day");
	if (!f ||
	    vqctl_report_day_of(vq_site_timezone(site), "2027-01-01", DAY + 86400, DAY + 86400,
	                        &day) != VQ_OK ||
	    vq_store_reader_open(path, NULL, &r, err, sizeof err) != VQ_OK ||
	    vqctl_report_model(r, site, &day, &m, err, sizeof err) != VQ_OK ||
	    vqctl_report_html(f, m, js, jslen) != VQ_OK || fflush(f) != 0) {
		fprintf(stderr, "vq-bench: report failed: %s\n", err);
		t0 = -1;
	}
	double t = vq_bench_now() - t0;
	if (f) {
		*bytes = (size_t)ftell(f);
		fclose(f);
	}
	cJSON_Delete(m);
	vq_store_reader_close(r);
	return t0 < 0 ? -1 : t;
}

int vq_bench_report(int argc, char **argv)
{
	const char *site_path = "assets/demo-park.json";
	const char *js_path = VQ_CHARTJS_DEFAULT;
	long n = 200000;
	int runs = 3;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--site") && i + 1 < argc)
			site_path = argv[++i];
		else if (!strcmp(argv[i], "--tickets") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--chart-js") && i + 1 < argc)
			js_path = argv[++i];
		else {
			fprintf(stderr,
			        "usage: vq-bench report [--site FILE] [--tickets N] [--runs R] "
			        "[--chart-js FILE]\n");
			return 2;
		}
	}
	if (n < 1 || runs < 1)
		return 2;
	vq_site *site = load_site(site_path);
	size_t jslen = 0;
	char *js = read_all(js_path, &jslen);
	if (!site || !js) {
		fprintf(stderr, "vq-bench: cannot read %s\n", site ? js_path : site_path);
		vq_site_free(site);
		free(js);
		return 1;
	}
	char path[] = "/tmp/vq-bench-report-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	unlink(path);
	double t0 = vq_bench_now();
	int status = 1;
	if (fill(path, site, n) != 0)
		goto out;
	printf("report: %ld tickets at %d attractions, database written in %.1f s\n", n,
	       vq_site_attr_count(site), vq_bench_now() - t0);
	double best = 1e9, bare = 1e9;
	size_t bytes = 0;
	long counted = 0;
	for (int i = 0; i < runs; i++) {
		double b = bare_scan(path, &counted);
		double t = report_once(path, site, js, jslen, &bytes);
		if (t < 0)
			goto out;
		if (b < bare)
			bare = b;
		if (t < best)
			best = t;
	}
	printf("  bare SQLite pass counting the day's tickets: %8.1f ms (%ld tickets)\n",
	       bare * 1e3, counted);
	printf("  vqctl report (model + HTML, %zu KiB):       %8.1f ms   goal < 2000 ms\n",
	       bytes / 1024, best * 1e3);
	status = 0;
out:
	for (const char *suffix = ""; suffix; suffix = *suffix ? NULL : "-wal") {
		char p[64];
		snprintf(p, sizeof p, "%s%s", path, suffix);
		unlink(p);
	}
	char shm[64];
	snprintf(shm, sizeof shm, "%s-shm", path);
	unlink(shm);
	vq_site_free(site);
	free(js);
	return status;
}
