/* tools/vq-bench/core_bench.c — how fast the pure allocator decides, with no I/O at all.
 *
 * Loads a site config, then issues tickets for random (attraction, tier, party, guest)
 * requests through vq_book_issue as the day advances, starting a fresh book whenever the
 * day is sold out. Prints decisions per second for quote and for issue, the ratio of
 * issues that got a ticket, and the book's memory per ticket; then what vqd's publish
 * costs to count every attraction's backlog and no-shows on a full day (up to 50,000
 * tickets), from the book's kept counts (vq_book_tallies) and by the full pass over the
 * tickets they replace (vq_book_backlogs + vq_book_noshows), measured side by side.
 */
#include "bench.h"

#include "core/book.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Any attraction, any tier, parties of 1..4, one of 20,000 guests. */
static vq_request random_request(uint64_t *seed, int nattrs, int ntiers)
{
	uint64_t r = vq_bench_rng(seed);
	return (vq_request){.attr = (int)(r % (uint64_t)nattrs),
	                    .tier = (int)((r >> 16) % (uint64_t)ntiers),
	                    .party = 1 + (int)((r >> 24) % 4),
	                    .guest = 1 + (r >> 32) % 20000};
}

static vq_site *load_site(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "vq-bench: cannot open %s\n", path);
		return NULL;
	}
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	vq_site *site = NULL;
	char err[256];
	if (vq_site_parse(buf, n, &site, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-bench: %s: %s\n", path, err);
		return NULL;
	}
	return site;
}

int vq_bench_core(int argc, char **argv)
{
	const char *site_path = "assets/demo-park.json";
	double seconds = 2.0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--site") && i + 1 < argc)
			site_path = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else {
			fprintf(stderr, "usage: vq-bench core [--site FILE] [--seconds S]\n");
			return 2;
		}
	}
	vq_site *site = load_site(site_path);
	if (!site)
		return 1;
	const int64_t day = 1798675200; /* any midnight will do: core has no clock */
	vq_day utc;
	if (vq_day_fixed((int32_t)(day / 86400), 0, &utc) != VQ_OK)
		return 1;
	int nattrs = vq_site_attr_count(site), ntiers = vq_site_tier_count(site);
	uint64_t seed = 42;

	/* quotes: read-only decisions on a book kept half full */
	vq_book *b = NULL;
	if (vq_book_new(site, &utc, 1, &b) != VQ_OK)
		return 1;
	uint64_t quotes = 0, issues = 0, granted = 0, books = 1;
	int64_t t = day + 8 * 3600;
	double start = vq_bench_now(), stop = start + seconds / 2;
	while (vq_bench_now() < stop) {
		for (int i = 0; i < 4096; i++) {
			vq_request q = random_request(&seed, nattrs, ntiers);
			vq_offer o;
			vq_book_quote(b, &q, t, &o);
			quotes++;
		}
	}
	double quote_s = vq_bench_now() - start;

	size_t peak_tickets = 0;
	start = vq_bench_now();
	stop = start + seconds / 2;
	while (vq_bench_now() < stop) {
		for (int i = 0; i < 4096; i++) {
			vq_request q = random_request(&seed, nattrs, ntiers);
			vq_ticket tk;
			issues++;
			if (vq_book_issue(b, &q, t, &tk) == VQ_OK)
				granted++;
			if ((issues & 1) == 0)
				t += 1; /* the day moves on: 13 hours are about 94,000 requests */
			if (t > day + 21 * 3600) {
				if (vq_book_ticket_count(b) > peak_tickets)
					peak_tickets = vq_book_ticket_count(b);
				vq_book_free(b);
				b = NULL;
				if (vq_book_new(site, &utc, 1, &b) != VQ_OK)
					return 1;
				books++;
				t = day + 8 * 3600;
			}
		}
		vq_book_changes_clear(b);
	}
	double issue_s = vq_bench_now() - start;
	if (vq_book_ticket_count(b) > peak_tickets)
		peak_tickets = vq_book_ticket_count(b);

	/* publishes: one a second of the day, as vqd's each batch asks at its own now */
	vq_book_free(b);
	b = NULL;
	if (vq_book_new(site, &utc, 1, &b) != VQ_OK)
		return 1;
	for (t = day + 8 * 3600; vq_book_ticket_count(b) < 50000 && t < day + 21 * 3600; t += 1)
		for (int i = 0; i < 8; i++) {
			vq_request q = random_request(&seed, nattrs, ntiers);
			vq_ticket tk;
			vq_book_issue(b, &q, t, &tk);
		}
	vq_book_changes_clear(b);
	int *backlog = calloc((size_t)nattrs, sizeof *backlog);
	vq_noshow *noshow = calloc((size_t)nattrs, sizeof *noshow);
	if (!backlog || !noshow)
		return 1;
	double pass_s = 0, tally_s = 0;
	uint64_t publishes = 0;
	int64_t sum = 0; /* so that neither loop is optimised away */
	start = vq_bench_now();
	while (vq_bench_now() < start + seconds / 2) {
		for (int64_t now = day + 8 * 3600; now < day + 22 * 3600; now += 60) {
			double t0 = vq_bench_now();
			vq_book_backlogs(b, now, backlog);
			vq_book_noshows(b, now, noshow);
			double t1 = vq_bench_now();
			sum += backlog[0] + noshow[0].seats;
			vq_book_tallies(b, now, backlog, noshow);
			tally_s += vq_bench_now() - t1;
			pass_s += t1 - t0;
			sum -= backlog[0] + noshow[0].seats;
			publishes++;
		}
	}
	if (sum != 0) {
		fprintf(stderr, "vq-bench: kept counts differ from the full pass\n");
		return 1;
	}

	printf("core allocator (%s: %d attractions, %d tiers), no I/O\n", site_path, nattrs,
	       ntiers);
	printf("  %-28s %12.0f /s\n", "quotes", (double)quotes / quote_s);
	printf("  %-28s %12.0f /s  (%" PRIu64 " simulated days)\n", "issue decisions",
	       (double)issues / issue_s, books);
	printf("  %-28s %12.0f /s  (%.1f%% of decisions; the rest sold out or at a limit)\n",
	       "allocations (tickets)", (double)granted / issue_s,
	       issues ? 100.0 * (double)granted / (double)issues : 0.0);
	printf("  %-28s %12zu\n", "most tickets in one day", peak_tickets);
	printf("publish counts, %zu tickets (backlog and no-shows of every attraction)\n",
	       vq_book_ticket_count(b));
	printf("  %-28s %12.2f us\n", "full pass (before)", pass_s * 1e6 / (double)publishes);
	printf("  %-28s %12.2f us  (%.0fx less)\n", "kept counts",
	       tally_s * 1e6 / (double)publishes, tally_s > 0 ? pass_s / tally_s : 0.0);
	free(backlog);
	free(noshow);
	vq_book_free(b);
	vq_site_free(site);
	return 0;
}
