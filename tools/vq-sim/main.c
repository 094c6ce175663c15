/* tools/vq-sim/main.c — simulated visitors, so a demo park moves.
 *
 * One kiosk account takes tickets for made-up guests (walk-ins and demo members) at a
 * steady rate, and one gate account admits each ticket when its window opens, by the
 * site's clock (--clock-start and friends, as every program of the site takes them: a demo
 * clock running fast moves the sim along).
 * A share of the guests (--no-show) never come back: their tickets are simply not used,
 * which is what vqd's no-show measure and overbooking advice are tested against.
 * Every random choice comes from one seeded generator (--seed; printed at start).
 * Everything goes through the broker and vqd exactly as real devices do: it is a client,
 * not a back door. Stops on SIGINT/SIGTERM.
 */
#include "bus/busopt.h"
#include "client/sitestate.h"
#include "clock/clock.h"
#include "clock/timefmt.h"
#include "core/json.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_HELD 4096

typedef struct held {
	char code[VQ_CODE_MAX];
	char attr[VQ_ID_MAX];
	int64_t start;
	int no_show; /* this guest will not come back */
} held;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: vq-sim --kiosk NAME --gate NAME --site ID (--credentials FILE | --tls-dir "
	        "DIR)\n"
	        "              [options]\n"
	        "  --rate N          tickets a minute (60; vqd's limit for a kiosk, 300 a minute\n"
	        "                    unless the site config raises it, caps it)\n"
	        "  --members PREFIX  cards PREFIX-<tier>-<1..5> are members (demo)\n"
	        "  --seconds S       stop after S seconds (run until stopped)\n"
	        "  --drain S         after --seconds, admit the tickets held for up to S more\n"
	        "                    seconds, issuing none (0)\n"
	        "  --no-show P       share of guests who never come back, 0..1 (0)\n"
	        "  --seed N          seed of every random choice (the time)\n"
	        "%s%s",
	        vq_clockopt_usage(), vq_busopt_usage());
}

/* The wait vqd asks for when it refused a request over the account's rate limit
 * (docs/protocol.md), or -1 for any other reply. */
static int64_t limited_for(const vq_bus_msg *reply)
{
	cJSON *j = cJSON_ParseWithLength(reply->payload, reply->len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	int64_t wait = -1;
	if (cJSON_IsString(code) && !strcmp(code->valuestring, "rate_limited") &&
	    vq_json_int(cJSON_GetObjectItemCaseSensitive(e, "retry_after_ms"), 1, 60000, &wait) !=
	        VQ_OK)
		wait = 1000;
	cJSON_Delete(j);
	return wait;
}

static vq_bus *connect_as(vq_busopt *base, const char *user, const char *role)
{
	vq_busopt bo = *base;
	char err[256];
	snprintf(bo.user, sizeof bo.user, "%s", user);
	snprintf(bo.role, sizeof bo.role, "%s", role);
	bo.password[0] = '\0';
	vq_bus *bus = NULL;
	if (vq_busopt_finish(&bo, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-sim: %s\n", err);
		return NULL;
	}
	if (vq_bus_new(&bo.opts, &bus) != VQ_OK || vq_bus_start(bus) != VQ_OK ||
	    vq_bus_wait_connected(bus, 10000) != VQ_OK) {
		fprintf(stderr, "vq-sim: cannot connect as %s\n", user);
		vq_bus_free(bus);
		return NULL;
	}
	return bus;
}

int main(int argc, char **argv)
{
	vq_busopt bo;
	vq_busopt_init(&bo, "kiosk");
	vq_clockopt co;
	vq_clockopt_init(&co);
	const char *kiosk = "kiosk-2", *gate = "gate-2", *members = "demo";
	double rate = 60, seconds = 0, drain = 0, no_show = 0;
	uint64_t seed = (uint64_t)time(NULL);
	char err[256];
	for (int i = 1; i < argc;) {
		int r = vq_busopt_parse(&bo, argc, argv, &i, err, sizeof err);
		if (r == 0)
			r = vq_clockopt_parse(&co, argc, argv, &i, err, sizeof err);
		if (r < 0) {
			fprintf(stderr, "vq-sim: %s\n", err);
			return 2;
		}
		if (r > 0)
			continue;
		if (i + 1 >= argc) {
			usage();
			return 2;
		}
		const char *k = argv[i], *v = argv[i + 1];
		i += 2;
		if (!strcmp(k, "--kiosk"))
			kiosk = v;
		else if (!strcmp(k, "--gate"))
			gate = v;
		else if (!strcmp(k, "--members"))
			members = v;
		else if (!strcmp(k, "--rate"))
			rate = atof(v);
		else if (!strcmp(k, "--seconds"))
			seconds = atof(v);
		else if (!strcmp(k, "--drain"))
			drain = atof(v);
		else if (!strcmp(k, "--no-show"))
			no_show = atof(v);
		else if (!strcmp(k, "--seed"))
			seed = strtoull(v, NULL, 10);
		else {
			usage();
			return 2;
		}
	}
	if (rate <= 0 || rate > 60000) {
		fprintf(stderr, "vq-sim: --rate: 0 < N <= 60000\n");
		return 2;
	}
	if (!(drain >= 0)) {
		fprintf(stderr, "vq-sim: --drain: S >= 0\n");
		return 2;
	}
	if (!(no_show >= 0 && no_show <= 1)) {
		fprintf(stderr, "vq-sim: --no-show: 0 <= P <= 1\n");
		return 2;
	}
	if (bo.tls_cert[0] || bo.tls_key[0]) {
		fprintf(stderr, "vq-sim: it connects as two accounts, each with its own "
		                "certificate: give --tls-dir, not --tls-cert/--tls-key\n");
		return 2;
	}
	vq_clock clk;
	if (vq_clock_init(&clk, &co, NULL, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "vq-sim: %s\n", err);
		return 2;
	}
	printf("vq-sim: seed %llu\n", (unsigned long long)seed);
	fflush(stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	int status = 1;
	vq_sitestate *view = NULL;
	held *tickets = calloc(MAX_HELD, sizeof *tickets);
	vq_bus *kb = connect_as(&bo, kiosk, "kiosk");
	vq_bus *gb = kb ? connect_as(&bo, gate, "gate") : NULL;
	if (!tickets || !gb || vq_sitestate_new(&view) != VQ_OK ||
	    vq_sitestate_subscribe(kb) != VQ_OK)
		goto out;
	static const char *const tiers[] = {"silver", "gold", "platinum"};
	int nheld = 0;
	unsigned seq = 0;
	int64_t t0 = mono_ms(), next_issue = t0, issued = 0, admitted = 0, refused = 0;
	int64_t no_shows = 0;
	int64_t gate_free_at = t0; /* over the gate's rate limit: wait until then */
	int announced = 0;
	/* issuing ends after --seconds; admitting goes on --drain seconds more, or until no
	 * ticket is left to admit */
	int64_t issue_until = seconds > 0 ? t0 + (int64_t)(seconds * 1000) : INT64_MAX;
	int64_t run_until = seconds > 0 ? issue_until + (int64_t)(drain * 1000) : INT64_MAX;
	while (!stopping && mono_ms() < run_until && (mono_ms() < issue_until || nheld > 0)) {
		vq_bus_msg *m[64];
		size_t n = 0;
		/* wake for the next issue, or at least every 50 ms for the gate */
		int64_t until_issue = next_issue - mono_ms();
		vq_bus_poll(kb, m, 64, &n,
		            until_issue < 0    ? 0
		            : until_issue < 50 ? (int)until_issue
		                               : 50);
		for (size_t i = 0; i < n; i++) {
			vq_sitestate_feed(view, m[i], vq_clock_now_ms(&clk));
			vq_bus_msg_free(m[i]);
		}
		const vq_site_view *sv = vq_sitestate_site(view);
		if (sv->known && !announced) {
			/* which clock this runs on, in the site's time, for whoever reads the log
			 */
			char hm[VQ_TIME_HHMM_MAX];
			vq_time_hhmm(sv->timezone, vq_clock_now(&clk), hm);
			printf("vq-sim: site %s, %s clock at %s\n", sv->site,
			       vq_clock_is_demo(&clk) ? "demo" : "wall", hm);
			fflush(stdout);
			announced = 1;
		}
		int count = vq_sitestate_attr_count(view);
		int64_t now = mono_ms();
		if (count > 0 && now >= next_issue && now < issue_until && nheld < MAX_HELD) {
			/* on the schedule, not after the last reply: a slow reply is caught up,
			 * a second at most */
			next_issue += (int64_t)(60000.0 / rate);
			if (next_issue < now - 1000)
				next_issue = now;
			const vq_attr_view *av =
			    vq_sitestate_attr(view, (int)(rng(&seed) % (uint64_t)count));
			char card[64], body[512], rid[64];
			uint64_t r = rng(&seed);
			if (r % 4 == 0)
				snprintf(card, sizeof card, "%s-%s-%d", members,
				         tiers[(r >> 8) % 3], 1 + (int)((r >> 16) % 5));
			else
				snprintf(card, sizeof card, "walkin-%llu",
				         (unsigned long long)(r >> 20));
			snprintf(rid, sizeof rid, "sim-%lld-%u", (long long)t0, ++seq);
			snprintf(body, sizeof body,
			         "{\"v\":1,\"rid\":\"%s\",\"card\":\"%s\",\"attraction\":\"%s\","
			         "\"party\":%d}",
			         rid, card, av->id, 1 + (int)((r >> 40) % 4));
			vq_bus_msg *reply = NULL;
			int64_t wait;
			if (vq_bus_call(kb, "svc/issue", body, strlen(body), 5000, &reply) ==
			        VQ_OK &&
			    (wait = limited_for(reply)) >= 0) {
				next_issue = now + wait; /* a guest who waits a moment */
			} else if (reply) {
				cJSON *j = cJSON_ParseWithLength(reply->payload, reply->len);
				const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "ticket");
				const cJSON *code = cJSON_GetObjectItemCaseSensitive(t, "code");
				const cJSON *start = cJSON_GetObjectItemCaseSensitive(t, "start");
				int64_t when;
				if (cJSON_IsString(code) &&
				    vq_json_int(start, INT64_MIN, INT64_MAX, &when) == VQ_OK) {
					held *h = &tickets[nheld++];
					snprintf(h->code, sizeof h->code, "%s", code->valuestring);
					snprintf(h->attr, sizeof h->attr, "%s", av->id);
					h->start = when;
					/* 53 random bits: a uniform double in [0, 1) */
					h->no_show =
					    (double)(rng(&seed) >> 11) / 9007199254740992.0 <
					    no_show;
					issued++;
				}
				cJSON_Delete(j);
			}
			vq_bus_msg_free(reply);
		}
		/* guests come back when their window opens: admit at the gate */
		int64_t site_t = vq_clock_now(&clk);
		for (int i = 0; i < nheld && now >= gate_free_at; i++) {
			if (tickets[i].start > site_t)
				continue;
			if (tickets[i].no_show) {
				no_shows++;
				tickets[i--] = tickets[--nheld];
				continue;
			}
			char body[512], rid[64];
			snprintf(rid, sizeof rid, "simg-%lld-%u", (long long)t0, ++seq);
			snprintf(body, sizeof body,
			         "{\"v\":1,\"rid\":\"%s\",\"code\":\"%s\",\"attraction\":\"%s\"}",
			         rid, tickets[i].code, tickets[i].attr);
			vq_bus_msg *reply = NULL;
			int64_t wait;
			if (vq_bus_call(gb, "svc/redeem", body, strlen(body), 5000, &reply) ==
			        VQ_OK &&
			    (wait = limited_for(reply)) >= 0) {
				/* not read: the guest stays in line and tries again */
				gate_free_at = now + wait;
				vq_bus_msg_free(reply);
				break;
			}
			if (reply) {
				if (strstr(reply->payload, "\"ok\":true"))
					admitted++;
				else
					refused++;
			}
			vq_bus_msg_free(reply);
			tickets[i--] = tickets[--nheld];
		}
	}
	printf("vq-sim: %lld tickets issued, %lld admitted, %lld refused, %lld no-shows\n",
	       (long long)issued, (long long)admitted, (long long)refused, (long long)no_shows);
	status = 0;
out:
	vq_bus_free(gb);
	vq_bus_free(kb);
	vq_sitestate_free(view);
	free(tickets);
	return status;
}
