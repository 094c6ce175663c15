/* tests/test_zone.c — clock/zone: local days from the system's tz database, and the
 * property sweep of issue 9: every day from 2026-01-01 to 2028-12-31 in every zone of the
 * tz database, for attractions open 00:00-24:00 (45-minute slots), 01:00-06:00 (30) and
 * 09:00-22:00 (15). For each day the book (core/book.c, on the day clock/zone.c made) is
 * checked against an oracle built here from the C library alone: the zone's changes,
 * found by reading its offset every hour and halving down to the second. The oracle
 * checks properties rather than recomputing: the day begins at the first instant of its
 * date, the first slot starts at the first instant the clock shows the opening time, the
 * last ends by the last instant it shows a time before closing, the slot count is the real
 * open length over the slot length, no instant is in two slots or two days, and the
 * offsets parks/ writes are the zone's (on the days around every change of offset, and
 * weekly between them).
 */
#include "clock/timefmt.h"
#include "clock/zone.h"
#include "coordinator/parks.h"
#include "core/book.h"
#include "support/tutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define H 3600

static int64_t utc(int y, int m, int d, int hh, int mm)
{
	return (int64_t)vq_date_from_ymd(y, m, d) * 86400 + hh * H + mm * 60;
}

START_TEST(test_check)
{
	char err[256];
	ck_assert_int_eq(vq_zone_check("Europe/Bucharest", err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_zone_check("UTC", err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_zone_check("Mars/Olympus_Mons", err, sizeof err), VQ_ENOTFOUND);
	ck_assert_msg(strstr(err, "Mars/Olympus_Mons") && strstr(err, "not installed"), "%s", err);
	ck_assert_int_eq(vq_zone_check("../etc/passwd", err, sizeof err), VQ_EINVAL);
	ck_assert_int_eq(vq_zone_check("/etc/localtime", err, sizeof err), VQ_EINVAL);
	ck_assert_int_eq(vq_zone_check("", err, sizeof err), VQ_EINVAL);
	ck_assert_int_eq(vq_zone_check(NULL, err, sizeof err), VQ_EINVAL);
	ck_assert_int_eq(vq_zone_check("zone1970.tab", err, sizeof err), VQ_EINVAL);
	/* a file where a zone should be that is not one */
	char *dir = tu_tempdir("zone-tests");
	ck_assert_ptr_nonnull(dir);
	char path[512];
	snprintf(path, sizeof path, "%s/Fake", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/Fake/Zone", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a zone\n", f);
	fclose(f);
	setenv("TZDIR", dir, 1);
	ck_assert_int_eq(vq_zone_check("Fake/Zone", err, sizeof err), VQ_ENOTFOUND);
	unsetenv("TZDIR");
	tu_rmtree(dir);
	free(dir);
	vq_day d;
	ck_assert_int_eq(vq_zone_day("Mars/Olympus_Mons", 20000, &d), VQ_ENOTFOUND);
	int32_t off;
	ck_assert_int_eq(vq_zone_offset("Mars/Olympus_Mons", 0, &off), VQ_ENOTFOUND);
}
END_TEST

START_TEST(test_real_days)
{
	vq_day d;
	/* Europe/Bucharest 2027: 23 and 25 hours, changes at 01:00 UTC */
	ck_assert_int_eq(vq_zone_day("Europe/Bucharest", vq_date_from_ymd(2027, 3, 28), &d), VQ_OK);
	ck_assert_int_eq(d.start, utc(2027, 3, 27, 22, 0));
	ck_assert_int_eq(vq_day_length(&d), 23 * H);
	ck_assert_int_eq(d.nspans, 2);
	ck_assert_int_eq(d.spans[1].from, utc(2027, 3, 28, 1, 0));
	ck_assert_int_eq(vq_zone_day("Europe/Bucharest", vq_date_from_ymd(2027, 10, 31), &d),
	                 VQ_OK);
	ck_assert_int_eq(vq_day_length(&d), 25 * H);
	/* America/New_York 2027: 14 March and 7 November at 02:00 local */
	ck_assert_int_eq(vq_zone_day("America/New_York", vq_date_from_ymd(2027, 3, 14), &d), VQ_OK);
	ck_assert_int_eq(d.start, utc(2027, 3, 14, 5, 0));
	ck_assert_int_eq(d.spans[1].from, utc(2027, 3, 14, 7, 0));
	ck_assert_int_eq(vq_day_length(&d), 23 * H);
	ck_assert_int_eq(vq_zone_day("America/New_York", vq_date_from_ymd(2027, 11, 7), &d), VQ_OK);
	ck_assert_int_eq(vq_day_length(&d), 25 * H);
	/* America/Havana: clocks skip from midnight to 01:00, so the day starts at 01:00 */
	ck_assert_int_eq(vq_zone_day("America/Havana", vq_date_from_ymd(2027, 3, 14), &d), VQ_OK);
	ck_assert_int_eq(d.start, utc(2027, 3, 14, 5, 0));
	ck_assert_int_eq(d.nspans, 1);
	ck_assert_int_eq(d.spans[0].offset, -4 * H);
	/* Australia/Lord_Howe: half an hour back */
	ck_assert_int_eq(vq_zone_day("Australia/Lord_Howe", vq_date_from_ymd(2027, 4, 4), &d),
	                 VQ_OK);
	ck_assert_int_eq(vq_day_length(&d), 24 * H + 1800);
	/* a plain day, and the day that holds an instant */
	ck_assert_int_eq(vq_zone_day("UTC", vq_date_from_ymd(2027, 1, 1), &d), VQ_OK);
	ck_assert_int_eq(d.start, 1798761600);
	ck_assert_int_eq(vq_zone_day_of("Europe/Bucharest", utc(2027, 3, 28, 20, 59), &d), VQ_OK);
	ck_assert_int_eq(d.date, vq_date_from_ymd(2027, 3, 28));
	ck_assert_int_eq(vq_zone_day_of("Europe/Bucharest", utc(2027, 3, 28, 21, 0), &d), VQ_OK);
	ck_assert_int_eq(d.date, vq_date_from_ymd(2027, 3, 29));
	/* the process's TZ is the zone last used, never another zone's by mistake */
	int32_t off;
	ck_assert_int_eq(vq_zone_offset("Asia/Kolkata", utc(2027, 6, 1, 0, 0), &off), VQ_OK);
	ck_assert_int_eq(off, 5 * H + 1800);
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_int_eq(vq_zone_offset("Asia/Kolkata", utc(2027, 6, 1, 0, 0), &off), VQ_OK);
	ck_assert_int_eq(off, 5 * H + 1800);
}
END_TEST

START_TEST(test_timeline)
{
	vq_offset_span tl[8];
	int n = 0;
	/* a year of New York: two changes, each to the second */
	ck_assert_int_eq(vq_zone_timeline("America/New_York", utc(2027, 1, 1, 0, 0),
	                                  utc(2028, 1, 1, 0, 0), tl, 8, &n),
	                 VQ_OK);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(tl[0].offset, -5 * H);
	ck_assert_int_eq(tl[1].from, utc(2027, 3, 14, 7, 0));
	ck_assert_int_eq(tl[1].offset, -4 * H);
	ck_assert_int_eq(tl[2].from, utc(2027, 11, 7, 6, 0));
	ck_assert_int_eq(vq_zone_timeline("America/New_York", utc(2027, 1, 1, 0, 0),
	                                  utc(2030, 1, 1, 0, 0), tl, 4, &n),
	                 VQ_ETOOBIG);
	ck_assert_int_eq(vq_zone_timeline("UTC", 10, 10, tl, 4, &n), VQ_EINVAL);
}
END_TEST

/* --- the sweep ---------------------------------------------------------------------- */

/* Check's own assertions record a checkpoint on every pass (a write to its parent); the
 * sweep checks tens of millions of things, so it only calls Check when one fails. */
#define REQUIRE(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

static const char SWEEP_SITE[] =
    "{\"version\":1,\"id\":\"w\",\"name\":\"W\",\"timezone\":\"UTC\",\"languages\":[\"en\"],"
    "\"min_lead_min\":0,\"unknown_cards\":\"standard\","
    "\"tiers\":[{\"id\":\"standard\",\"names\":{\"en\":\"S\"},\"protect_pct\":0,"
    "\"release_min\":0,\"max_passes\":9,\"horizon_min\":1440,\"late_grace_min\":0}],"
    "\"attractions\":["
    "{\"id\":\"allday\",\"prefix\":\"A\",\"names\":{\"en\":\"A\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":45,\"window_min\":45,"
    "\"open\":\"00:00\",\"close\":\"24:00\",\"max_party\":8},"
    "{\"id\":\"night\",\"prefix\":\"N\",\"names\":{\"en\":\"N\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":30,\"window_min\":30,"
    "\"open\":\"01:00\",\"close\":\"06:00\",\"max_party\":8},"
    "{\"id\":\"day\",\"prefix\":\"D\",\"names\":{\"en\":\"D\"},\"kind\":\"ride\","
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":15,\"window_min\":60,"
    "\"open\":\"09:00\",\"close\":\"22:00\",\"max_party\":8}]}";

static const int OPEN_MIN[3] = {0, 60, 540}, CLOSE_MIN[3] = {1440, 360, 1320},
                 SLOT_MIN[3] = {45, 30, 15};

#define MAX_CHANGES 64

/* The oracle: a zone's offsets over the sweep, read with localtime_r alone. */
typedef struct oracle {
	int64_t at[MAX_CHANGES]; /* at[0]: the start of the stretch */
	int32_t off[MAX_CHANGES];
	int n;
} oracle;

static int32_t libc_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	REQUIRE(localtime_r(&tt, &tm) != NULL, "localtime_r");
	return (int32_t)tm.tm_gmtoff;
}

static void oracle_make(const char *zone, int64_t from, int64_t to, oracle *o)
{
	setenv("TZ", zone, 1);
	tzset();
	o->n = 1;
	o->at[0] = from;
	o->off[0] = libc_offset(from);
	for (int64_t t = from; t < to; t += H) {
		int32_t next = libc_offset(t + H);
		if (next == o->off[o->n - 1])
			continue;
		int64_t a = t, b = t + H;
		while (b - a > 1) {
			int64_t mid = a + (b - a) / 2;
			if (libc_offset(mid) == o->off[o->n - 1])
				a = mid;
			else
				b = mid;
		}
		REQUIRE(o->n < MAX_CHANGES, "%s: too many changes", zone);
		o->at[o->n] = b;
		o->off[o->n] = libc_offset(b);
		o->n++;
	}
}

static int32_t oracle_offset(const oracle *o, int64_t t)
{
	int i = o->n - 1;
	while (i > 0 && o->at[i] > t)
		i--;
	return o->off[i];
}

static int is_change(const oracle *o, int64_t t)
{
	for (int i = 1; i < o->n; i++)
		if (o->at[i] == t)
			return 1;
	return 0;
}

/* Wall time (seconds, counted from 1970-01-01 00:00 local) at t. */
static int64_t wall(const oracle *o, int64_t t)
{
	return t + oracle_offset(o, t);
}

/* The highest wall time shown in [a, b) (b > a): just before b or before a change. */
static int64_t max_wall(const oracle *o, int64_t a, int64_t b)
{
	int64_t m = wall(o, b - 1);
	for (int i = 1; i < o->n; i++)
		if (o->at[i] > a && o->at[i] < b && wall(o, o->at[i] - 1) > m)
			m = wall(o, o->at[i] - 1);
	return m;
}

/* The lowest wall time shown in [a, b): at a or at a change. */
static int64_t min_wall(const oracle *o, int64_t a, int64_t b)
{
	int64_t m = wall(o, a);
	for (int i = 1; i < o->n; i++)
		if (o->at[i] > a && o->at[i] < b && wall(o, o->at[i]) < m)
			m = wall(o, o->at[i]);
	return m;
}

typedef struct sweep_stats {
	long zones, days, slots, short_days, long_days, odd_days, empty, parks;
} sweep_stats;

/* The ISO time parks/ writes for t must carry the zone's offset at t and name t. */
static void check_iso(const char *zone, const oracle *o, const char *iso, int64_t t)
{
	int y, mo, d, hh, mi, ss, oh, om;
	char sign;
	REQUIRE(iso && sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d", &y, &mo, &d, &hh, &mi, &ss,
	                      &sign, &oh, &om) == 9,
	        "%s: parks time '%s'", zone, iso ? iso : "(none)");
	int32_t off = (sign == '-' ? -1 : 1) * (oh * H + om * 60);
	int64_t back = (int64_t)vq_date_from_ymd(y, mo, d) * 86400 + hh * H + mi * 60 + ss - off;
	REQUIRE(off == oracle_offset(o, t) && back == t,
	        "%s: parks wrote %s for %lld (offset there %d)", zone, iso, (long long)t,
	        oracle_offset(o, t));
}

static void check_parks(const char *zone, const oracle *o, int64_t start, int64_t end,
                        int64_t opens, int64_t closes)
{
	char s[512];
	snprintf(s, sizeof s,
	         "{\"v\":1,\"attraction\":\"allday\",\"kind\":\"ride\",\"names\":{\"en\":\"A\"},"
	         "\"status\":\"open\",\"next\":{\"standard\":{\"start\":%lld,\"end\":%lld}},"
	         "\"standby_min\":5,\"updated\":%lld}",
	         (long long)start, (long long)end, (long long)start);
	cJSON *st = cJSON_Parse(s);
	vq_parks_ctx ctx = {"w", "en", opens, closes, zone};
	cJSON *out = NULL;
	REQUIRE(vq_parks_live(st, &ctx, &out) == VQ_OK, "vq_parks_live failed");
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(out, "queue");
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(q, "RETURN_TIME");
	check_iso(zone, o,
	          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rt, "returnStart")), start);
	check_iso(zone, o, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rt, "returnEnd")),
	          end);
	check_iso(zone, o,
	          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "lastUpdated")),
	          start);
	cJSON_Delete(out);
	cJSON_Delete(st);
}

/* One attraction on one day against the oracle. */
static void check_attr(const char *zone, const oracle *o, const vq_book *b, int a, const vq_day *d,
                       int parks, int64_t *prev_end, sweep_stats *stats)
{
	int64_t w0 = (int64_t)d->date * 86400;
	int64_t open_w = w0 + OPEN_MIN[a] * 60, close_w = w0 + CLOSE_MIN[a] * 60;
	int64_t step = SLOT_MIN[a] * 60;
	int64_t opens, closes;
	REQUIRE(vq_book_hours(b, a, &opens, &closes) == VQ_OK, "vq_book_hours failed");
	char what[160];
	int y, m, dd;
	vq_date_to_ymd(d->date, &y, &m, &dd);
	snprintf(what, sizeof what, "%s %04d-%02d-%02d attraction %d", zone, y, m, dd, a);

	/* opening: the first instant of the day whose clock shows the opening time */
	REQUIRE(opens >= d->start && opens <= d->end, "%s: opens outside the day", what);
	if (opens > d->start)
		REQUIRE(max_wall(o, d->start, opens) < open_w, "%s: open before %lld", what,
		        (long long)opens);
	if (opens < d->end)
		REQUIRE(wall(o, opens) >= open_w, "%s: opens at %lld, before its time", what,
		        (long long)opens);
	/* closing: from it to the day's end the clock shows closing time or later */
	REQUIRE(closes >= opens && closes <= d->end, "%s: closes outside the day", what);
	if (closes < d->end)
		REQUIRE(min_wall(o, closes, d->end) >= close_w, "%s: closes too early", what);
	if (closes > opens)
		REQUIRE(wall(o, closes - 1) < close_w, "%s: closes too late", what);

	/* slots: the real open length over the slot length, back to back from opening */
	int n = vq_book_slot_count(b, a);
	REQUIRE(n == (closes - opens) / step, "%s: %d slots for %lld s open", what, n,
	        (long long)(closes - opens));
	for (int i = 0; i < n; i++) {
		vq_slot_view v;
		REQUIRE(vq_book_slot(b, a, i, &v) == VQ_OK, "vq_book_slot failed");
		REQUIRE(v.start == opens + i * step, "%s: slot %d at %lld", what, i,
		        (long long)v.start);
	}
	if (n > 0) {
		REQUIRE(opens + n * step <= closes, "%s: last slot ends after closing", what);
		/* no instant in two slots, on this day or across days */
		REQUIRE(opens >= *prev_end, "%s: first slot before the last day's ended", what);
		*prev_end = opens + n * step;
	} else {
		stats->empty++;
	}
	stats->slots += n;
	if (parks && a == 0 && n > 0) {
		check_parks(zone, o, opens, opens + step, opens, closes);
		stats->parks++;
	}
}

static void sweep_zone(const char *zone, vq_site *site, sweep_stats *stats)
{
	static oracle o;
	int32_t first = vq_date_from_ymd(2026, 1, 1), last = vq_date_from_ymd(2028, 12, 31);
	oracle_make(zone, (int64_t)first * 86400 - 2 * 86400, (int64_t)last * 86400 + 3 * 86400,
	            &o);
	int64_t prev_end[3] = {INT64_MIN, INT64_MIN, INT64_MIN};
	int64_t prev_day_end = 0;
	int prev_spans = 1;
	int32_t prev_offset = 0;
	for (int32_t date = first; date <= last; date++) {
		vq_day d;
		int rc = vq_zone_day(zone, date, &d);
		REQUIRE(rc == VQ_OK, "%s day %d: %s", zone, date, vq_errname(rc));
		/* the day: its first instant shows its date, the one before an earlier date */
		int64_t w0 = (int64_t)date * 86400;
		REQUIRE(d.end == d.start || wall(&o, d.start) >= w0, "%s %d: start", zone, date);
		REQUIRE(max_wall(&o, d.start - 2 * 86400, d.start) < w0, "%s %d: starts late", zone,
		        date);
		REQUIRE(date == first || d.start == prev_day_end, "%s %d: days do not tile", zone,
		        date);
		prev_day_end = d.end;
		for (int i = 0; i < d.nspans; i++)
			REQUIRE(d.spans[i].offset == oracle_offset(&o, d.spans[i].from) &&
			            (i == 0 || is_change(&o, d.spans[i].from)),
			        "%s %d: span %d", zone, date, i);
		int64_t len = vq_day_length(&d);
		stats->short_days += len < 86400;
		stats->long_days += len > 86400;
		stats->odd_days += len != 86400 && len != 23 * H && len != 25 * H;
		/* parks/ (a JSON rendering, the costly part) on the days around every change of
		 * offset and on one day a week between them */
		int parks = date % 7 == 0 || d.nspans > 1 || prev_spans > 1 ||
		            d.spans[0].offset != prev_offset;
		prev_spans = d.nspans;
		prev_offset = d.spans[d.nspans - 1].offset;
		vq_book *b = NULL;
		REQUIRE(vq_book_new(site, &d, 1, &b) == VQ_OK, "vq_book_new failed");
		for (int a = 0; a < 3; a++)
			check_attr(zone, &o, b, a, &d, parks, &prev_end[a], stats);
		vq_book_free(b);
		stats->days++;
	}
	stats->zones++;
}

/* Every Zone line of the tz database's own source, tzdata.zi ("Z NAME ..."). */
static char **zone_names(int *count)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/tzdata.zi", dir && *dir ? dir : "/usr/share/zoneinfo");
	FILE *f = fopen(path, "r");
	REQUIRE(f != NULL, "cannot read %s (install tzdata)", path);
	char **names = NULL, line[512];
	int n = 0, cap = 0;
	while (fgets(line, sizeof line, f)) {
		char name[128];
		if (line[0] != 'Z' || line[1] != ' ' || sscanf(line + 2, "%127s", name) != 1)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 512;
			names = realloc(names, (size_t)cap * sizeof *names);
			REQUIRE(names != NULL, "no memory");
		}
		names[n++] = strdup(name);
	}
	fclose(f);
	*count = n;
	return names;
}

START_TEST(test_sweep_every_zone)
{
	vq_site *site = NULL;
	char err[256];
	ck_assert_msg(vq_site_parse(SWEEP_SITE, strlen(SWEEP_SITE), &site, err, sizeof err) ==
	                  VQ_OK,
	              "%s", err);
	int n = 0;
	char **names = zone_names(&n);
	ck_assert_msg(n > 300, "only %d zones in tzdata.zi", n);
	sweep_stats stats;
	memset(&stats, 0, sizeof stats);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		REQUIRE(vq_zone_check(names[i], err, sizeof err) == VQ_OK, "%s", err);
		sweep_zone(names[i], site, &stats);
		free(names[i]);
	}
	free(names);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr,
	        "test_zone: swept %ld zones x 2026-01-01..2028-12-31 = %ld days, %ld slots, "
	        "parks/ on %ld days, in %.1f s: %ld days shorter than 24 h, %ld longer, %ld of "
	        "them neither 23 nor 25 h; %ld attraction-days without a slot\n",
	        stats.zones, stats.days, stats.slots, stats.parks, s, stats.short_days,
	        stats.long_days, stats.odd_days, stats.empty);
	ck_assert_int_gt(stats.short_days, 300);
	ck_assert_int_gt(stats.long_days, 300);
	vq_site_free(site);
}
END_TEST

static Suite *zone_suite(void)
{
	Suite *s = suite_create("zone");
	TCase *tc = tcase_create("zone");
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_real_days);
	tcase_add_test(tc, test_timeline);
	suite_add_tcase(s, tc);
	TCase *sw = tcase_create("sweep");
	tcase_set_timeout(sw, 240);
	tcase_add_test(sw, test_sweep_every_zone);
	suite_add_tcase(s, sw);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(zone_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
