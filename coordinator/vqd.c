/* coordinator/vqd.c — the coordinator daemon: the one process that holds the truth.
 *
 * Owns the process: options, signals, the clock, the MQTT connection and the loop.
 * Requests come in on svc/<verb>/<account>, and only those with that account's own reply
 * topic are taken (intake.h). The loop takes every request that arrived together (up to
 * --max-batch), decides them
 * all inside one store transaction, commits once, and only then sends the replies and
 * events (group commit: no reply before its commit). Retained state is republished when
 * it changed, coalesced to at most one message per attraction every 200 ms, at least
 * every 30 s, as soon as time moves the windows a gate admits, and after every reconnect.
 * SIGTERM/SIGINT finish the batch in hand and exit 0; SIGHUP reloads the site config.
 */
#include "coordinator/vqd.h"
#include "bus/busopt.h"
#include "clock/timefmt.h"
#include "clock/zone.h"
#include "coordinator/config.h"
#include "coordinator/log.h"
#include "coordinator/parks.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define STATE_MIN_GAP_MS 200
#define STATE_REFRESH_S  30

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct options {
	const char *config;
	const char *db;
	const char *key_file;
	char key_file_default[4096];
	int new_signing_key;
	vq_clockopt clock;
	int max_batch;
	vqd_web_limits web;
	int lease_ms;
	vq_busopt bus;
} options;

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vqd --config SITE.json --db FILE|URI [options]\n"
	        "  --config FILE         the site (attractions, tiers); SIGHUP reloads it\n"
	        "  --db FILE             the SQLite database (made on first start), or\n"
	        "  --db postgresql://... a PostgreSQL database (libpq URI; the site's schema is\n"
	        "                        made on first start)\n"
	        "  --key-file FILE       the signing secrets, mode 0600, made on first start\n"
	        "                        (DB.keys for a file; needed with a URI); keep it apart\n"
	        "                        from the database's backups\n"
	        "  --new-signing-key     make a new signing key at start (after losing the key\n"
	        "                        file: tickets already issued keep verifying)\n"
	        "  --max-batch N         requests decided per transaction (1..4096, 256)\n"
	        "  --web-limit R/B       phones: requests a second and burst, per visitor (1/10)\n"
	        "  --web-limit-site R/B  phones: the same for all of them together (200/400)\n"
	        "  --lease-ms N          with a store several vqd share: how long the one serving\n"
	        "                        may go unheard before another takes over (1000..60000,\n"
	        "                        3000)\n"
	        "  --log-level L         debug, info, warn or error (info)\n"
	        "%s%s",
	        vq_clockopt_usage(), vq_busopt_usage());
}

static int parse_args(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	vq_clockopt_init(&o->clock);
	o->max_batch = 256;
	o->web = (vqd_web_limits){
	    .visitor_rate = 1, .visitor_burst = 10, .site_rate = 200, .site_burst = 400};
	o->lease_ms = 3000;
	vq_busopt_init(&o->bus, "coordinator");
	if (!o->bus.user[0])
		snprintf(o->bus.user, sizeof o->bus.user, "vqd");
	char err[256];
	for (int i = 1; i < argc;) {
		int r = vq_busopt_parse(&o->bus, argc, argv, &i, err, sizeof err);
		if (r == 0)
			r = vq_clockopt_parse(&o->clock, argc, argv, &i, err, sizeof err);
		if (r < 0) {
			fprintf(stderr, "vqd: %s\n", err);
			return -1;
		}
		if (r > 0)
			continue;
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--new-signing-key")) {
			o->new_signing_key = 1;
			i++;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "vqd: unknown option or missing value: %s\n", a);
			return -1;
		}
		const char *v = argv[i + 1];
		i += 2;
		if (!strcmp(a, "--config"))
			o->config = v;
		else if (!strcmp(a, "--db"))
			o->db = v;
		else if (!strcmp(a, "--key-file"))
			o->key_file = v;
		else if (!strcmp(a, "--max-batch")) {
			o->max_batch = atoi(v);
			if (o->max_batch < 1 || o->max_batch > 4096) {
				fprintf(stderr, "vqd: --max-batch: expected 1..4096\n");
				return -1;
			}
		} else if (!strcmp(a, "--web-limit") || !strcmp(a, "--web-limit-site")) {
			int site = !strcmp(a, "--web-limit-site");
			if (vqd_web_limits_parse(v, site ? &o->web.site_rate : &o->web.visitor_rate,
			                         site ? &o->web.site_burst
			                              : &o->web.visitor_burst) != VQ_OK) {
				fprintf(stderr, "vqd: %s: expected RATE/BURST, e.g. 1/10\n", a);
				return -1;
			}
		} else if (!strcmp(a, "--lease-ms")) {
			char *end;
			long l = strtol(v, &end, 10);
			if (*end || l < 1000 || l > 60000) {
				fprintf(stderr, "vqd: --lease-ms: expected 1000..60000\n");
				return -1;
			}
			o->lease_ms = (int)l;
		} else if (!strcmp(a, "--log-level")) {
			int l = vq_log_parse_level(v);
			if (l < 0) {
				fprintf(stderr,
				        "vqd: --log-level: expected debug, info, warn or error\n");
				return -1;
			}
			vq_log_set_level(l);
		} else {
			fprintf(stderr, "vqd: unknown option: %s\n", a);
			return -1;
		}
	}
	if (!o->config || !o->db) {
		fprintf(stderr, "vqd: --config and --db are required\n");
		return -1;
	}
	if (!o->key_file && vq_store_is_uri(o->db)) {
		fprintf(stderr,
		        "vqd: --key-file is needed with a PostgreSQL --db (a URI is no path "
		        "to put it beside)\n");
		return -1;
	}
	if (!o->key_file) {
		if ((size_t)snprintf(o->key_file_default, sizeof o->key_file_default, "%s.keys",
		                     o->db) >= sizeof o->key_file_default) {
			fprintf(stderr, "vqd: --db: path too long\n");
			return -1;
		}
		o->key_file = o->key_file_default;
	}
	return 0;
}

static void reload(vq_vqd *d)
{
	vq_site *fresh = NULL;
	char err[512];
	if (vqd_config_load(d->config_path, d->overrides, &fresh, err, sizeof err) != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "reload: %s; keeping the running config", err);
		return;
	}
	if (strcmp(vq_site_id(fresh), vq_site_id(d->site)) != 0) {
		vq_log(VQ_LOG_ERROR,
		       "reload: site id changed (%s -> %s); keeping the running config",
		       vq_site_id(d->site), vq_site_id(fresh));
		vq_site_free(fresh);
		return;
	}
	/* the store was opened with the chain's member list */
	if (!vqd_same_chain(fresh, d->site)) {
		vq_log(
		    VQ_LOG_ERROR,
		    "reload: chain changed (%s -> %s); keeping the running config (restart vqd to "
		    "change the chain)",
		    vq_site_chain(d->site) ? vq_site_chain(d->site) : "none",
		    vq_site_chain(fresh) ? vq_site_chain(fresh) : "none");
		vq_site_free(fresh);
		return;
	}
	/* the day vqd serves was laid out in the zone it started with */
	if (strcmp(vq_site_timezone(fresh), vq_site_timezone(d->site)) != 0) {
		vq_log(VQ_LOG_ERROR,
		       "reload: timezone changed (%s -> %s); keeping the running config (restart "
		       "vqd to change the zone)",
		       vq_site_timezone(d->site), vq_site_timezone(fresh));
		vq_site_free(fresh);
		return;
	}
	int rc = vqd_swap_site(d, fresh);
	if (rc != VQ_OK)
		vq_log(VQ_LOG_ERROR, "reload: %s; keeping the running config", vq_strerror(rc));
	else
		vq_log(VQ_LOG_INFO, "reloaded %s: %d attractions", d->config_path,
		       vq_site_attr_count(d->site));
}

static void publish_json(vq_bus *bus, const char *suffix, cJSON *o, int retain)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return;
	int rc = vq_bus_publish(bus, suffix, s, strlen(s), 1, retain);
	if (rc != VQ_OK && rc != VQ_EBUS)
		vq_log(VQ_LOG_WARN, "publish %s: %s", suffix, vq_strerror(rc));
	free(s);
}

/* The same state for existing theme-park apps (coordinator/parks.h); NULL if it cannot
 * be rendered, which only costs those apps one refresh. */
static cJSON *parks_of(const vq_vqd *d, int a, const cJSON *state)
{
	const vq_attraction *cfg = vq_site_attr(d->site, a);
	vq_parks_ctx ctx = {.park_id = vq_site_id(d->site),
	                    .lang = vq_site_lang(d->site, 0),
	                    .zone = vq_site_timezone(d->site)};
	vq_book_hours(vq_service_book(d->svc), a, &ctx.open_at, &ctx.close_at);
	cJSON *out = NULL;
	int rc = vq_parks_live(state, &ctx, &out);
	if (rc != VQ_OK)
		vq_log(VQ_LOG_WARN, "parks/%s: %s", cfg->id, vq_strerror(rc));
	return out;
}

/* Returns whether it published anything. */
static int publish_state(vq_vqd *d, vq_bus *bus, int64_t now)
{
	int any = 0;
	for (int a = 0; !any && a < vq_site_attr_count(d->site); a++)
		any = d->dirty[a];
	/* without a book, or without today's, there is nothing true to tell: what was last
	 * published stays (state/_site says whether today is loaded); and only the vqd that
	 * serves speaks for the site */
	if (!vq_bus_connected(bus) || (!any && !d->site_dirty) || !vqd_lease_ok(d, mono_ms()))
		return 0;
	if (!vq_service_book(d->svc) && !d->site_dirty)
		return 0;
	if (!vq_service_book(d->svc) || !d->day_loaded) {
		any = 0;
		memset(d->dirty, 0, (size_t)vq_site_attr_count(d->site));
	}
	/* every attraction's backlog and no-shows from the book's kept counts, not a pass
	 * over the day's tickets */
	if (any)
		vqd_count(d, now);
	for (int a = 0; a < vq_site_attr_count(d->site); a++) {
		if (!d->dirty[a])
			continue;
		char suffix[64];
		snprintf(suffix, sizeof suffix, "state/%s", vq_site_attr(d->site, a)->id);
		cJSON *st = vqd_state_attr(d, a, now);
		cJSON *pk = parks_of(d, a, st);
		cJSON *ws = vqd_web_attr_state(d->web, st);
		publish_json(bus, suffix, st, 1);
		if (ws) {
			snprintf(suffix, sizeof suffix, "web/state/%s",
			         vq_site_attr(d->site, a)->id);
			publish_json(bus, suffix, ws, 1);
		}
		if (pk) {
			snprintf(suffix, sizeof suffix, "parks/%s", vq_site_attr(d->site, a)->id);
			publish_json(bus, suffix, pk, 1);
		}
		d->dirty[a] = 0;
	}
	if (d->site_dirty) {
		publish_json(bus, "state/_site", vqd_state_site(d, now), 1);
		d->site_dirty = 0;
	}
	return 1;
}

static void mark_all(vq_vqd *d)
{
	memset(d->dirty, 1, (size_t)vq_site_attr_count(d->site));
	d->site_dirty = 1;
}

/* Requests the bus had to drop (its queue full, in messages or bytes, or too big): said
 * when there are new ones, at most every refresh. */
static void log_bus_drops(vq_bus *bus, uint64_t *seen)
{
	vq_bus_stats st;
	vq_bus_get_stats(bus, &st);
	uint64_t now =
	    st.dropped_queue_full + st.dropped_queue_bytes + st.dropped_too_big + st.dropped_nomem;
	if (now > *seen)
		vq_log(VQ_LOG_WARN,
		       "the bus dropped %llu messages (%llu over the queue's %s, %llu too big); "
		       "their senders time out and retry",
		       (unsigned long long)(now - *seen),
		       (unsigned long long)(st.dropped_queue_full + st.dropped_queue_bytes),
		       st.dropped_queue_bytes ? "bytes" : "count",
		       (unsigned long long)st.dropped_too_big);
	*seen = now;
}

/* Answers every request of a batch with day_unavailable: the day is not loaded, so
 * nothing can be decided (days.c). Only requests the intake takes are answered, as in a
 * batch. */
static void refuse_batch(vq_vqd *d, vq_bus *bus, vq_bus_msg **msgs, size_t n)
{
	if (!vqd_serving_fence(d, bus, mono_ms()))
		return; /* only the vqd that serves answers, even this */
	const char *origin[] = {"origin", d->account, "term", d->term_text, NULL};
	for (size_t i = 0; i < n; i++) {
		const vq_bus_msg *m = msgs[i];
		if (m->kind != VQ_BUS_MESSAGE)
			continue;
		char verb[VQ_BUS_TOPIC_MAX], who[64];
		int taken = strncmp(m->suffix, "web/", 4) == 0
		                ? vqd_web_route(m->topic, m->suffix, m->response_topic, verb,
		                                sizeof verb, who, sizeof who) == VQ_OK
		                : vqd_intake_take(&d->intake, m, mono_ms(), verb) != NULL;
		if (!taken)
			continue;
		char *reply = vqd_day_refusal(d, m->payload, m->len);
		if (reply && vq_bus_reply_props(bus, m, reply, strlen(reply), origin) != VQ_OK)
			vq_log(VQ_LOG_WARN, "reply on %s failed", m->response_topic);
		free(reply);
	}
}

/* Says which clock vqd runs on, so a log shows when a demo clock was in use. */
static void log_clock(vq_clock *clk, const char *zone)
{
	char iso[VQ_TIME_ISO_MAX];
	int64_t now = vq_clock_now(clk);
	if (vq_time_iso(zone, now, iso, sizeof iso) != VQ_OK)
		snprintf(iso, sizeof iso, "%lld", (long long)now);
	if (vq_clock_is_demo(clk))
		vq_log(VQ_LOG_INFO, "demo clock: %s (%s), %g x real time", iso, zone,
		       vq_clock_speed(clk));
	else
		vq_log(VQ_LOG_INFO, "wall clock: %s (%s)", iso, zone);
}

/* Decides one batch of messages (batch.c) and answers them after the commit. */
static void serve_batch(vq_vqd *d, vq_bus *bus, vq_bus_msg **msgs, size_t n, int64_t now)
{
	vqd_in *in = calloc(n, sizeof *in);
	size_t *of = calloc(n, sizeof *of); /* in[k] is msgs[of[k]] */
	char(*verbs)[VQ_BUS_TOPIC_MAX] = calloc(n, sizeof *verbs);
	char(*who)[64] = calloc(n, sizeof *who); /* phones' "web/<visitor>" */
	char **replies = calloc(n, sizeof *replies);
	if (!in || !of || !verbs || !who || !replies) {
		vq_log(VQ_LOG_ERROR, "no memory for a batch of %zu", n);
		goto out; /* requesters time out and retry with the same rid */
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const vq_bus_msg *m = msgs[i];
		if (m->kind != VQ_BUS_MESSAGE)
			continue;
		if (strncmp(m->suffix, "web/", 4) == 0) {
			/* a phone, through the web broker: its own reply topic or nothing */
			if (vqd_web_route(m->topic, m->suffix, m->response_topic, verbs[k],
			                  sizeof verbs[k], who[k], sizeof who[k]) != VQ_OK) {
				d->intake.refused++;
				vq_log(VQ_LOG_DEBUG, "%s: not a visitor's own request; dropped",
				       m->suffix);
				continue;
			}
			in[k] = (vqd_in){verbs[k], m->payload, m->len, who[k]};
			of[k++] = i;
			continue;
		}
		char verb[VQ_BUS_TOPIC_MAX];
		const char *account = vqd_intake_take(&d->intake, m, mono_ms(), verb);
		if (!account)
			continue; /* refused by the intake: not decided, not answered */
		memcpy(verbs[k], verb, sizeof verbs[k]);
		in[k] = (vqd_in){verbs[k], m->payload, m->len, account};
		of[k++] = i;
	}
	if (!k)
		goto out;
	double t0 = mono_ms();
	int rc = vqd_batch(d, in, k, now, replies);
	if (rc != VQ_OK)
		mark_all(d); /* what the batch marked did not happen; say what is true */
	vq_log(VQ_LOG_DEBUG, "batch of %zu %s in %.2f ms", k, rc == VQ_OK ? "committed" : "failed",
	       mono_ms() - t0);
	if (!vqd_serving_fence(d, bus, mono_ms())) {
		/* another vqd may serve by now: it answers the retries, from the store */
		for (size_t e = 0; e < d->nevents; e++)
			free(d->events[e].json);
		d->nevents = 0;
		goto out;
	}
	/* who answered, and in which term: a stranger sees it with mosquitto_sub -F %P */
	const char *origin[] = {"origin", d->account, "term", d->term_text, NULL};
	for (size_t j = 0; j < k; j++) {
		if (!replies[j])
			continue;
		int prc =
		    vq_bus_reply_props(bus, msgs[of[j]], replies[j], strlen(replies[j]), origin);
		if (prc != VQ_OK)
			vq_log(VQ_LOG_WARN, "reply on %s: %s", msgs[of[j]]->response_topic,
			       vq_strerror(prc));
	}
	for (size_t e = 0; e < d->nevents; e++) {
		vq_bus_publish(bus, d->events[e].suffix, d->events[e].json,
		               strlen(d->events[e].json), 1, 0);
		free(d->events[e].json);
	}
	d->nevents = 0;
out:
	for (size_t j = 0; replies && j < n; j++)
		free(replies[j]);
	free(replies);
	free(who);
	free(verbs);
	free(of);
	free(in);
}

static int run(options *o)
{
	int status = 1;
	vq_vqd d;
	memset(&d, 0, sizeof d);
	vq_bus *bus = NULL;
	vq_bus_msg **msgs = NULL;
	char err[512];
	vq_site *site = NULL;
	if (vqd_config_load(o->config, NULL, &site, err, sizeof err) != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "%s", err);
		return 2;
	}
	if (!o->bus.site[0])
		snprintf(o->bus.site, sizeof o->bus.site, "%s", vq_site_id(site));
	if (vq_busopt_finish(&o->bus, err, sizeof err) != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "%s", err);
		vq_site_free(site);
		return 2;
	}
	/* the site's hours are wall-clock times in its zone: without the zone there are no
	 * days to serve (the C library would quietly use UTC) */
	if (vq_zone_check(vq_site_timezone(site), err, sizeof err) != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "%s: timezone: %s", o->config, err);
		vq_site_free(site);
		return 2;
	}
	vq_clock clk;
	if (vq_clock_init(&clk, &o->clock, vq_site_timezone(site), err, sizeof err) != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "%s", err);
		vq_site_free(site);
		return 2;
	}
	d.clock = &clk;
	if (sodium_init() < 0) {
		vq_log(VQ_LOG_ERROR, "libsodium failed to initialise");
		goto out;
	}
	int64_t now = vq_clock_now(&clk);
	/* the day is loaded below (days.c): a day that will not load is refused, not fatal */
	if (vq_service_open(site, o->db, NULL, &d.svc, err, sizeof err) != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "%s", err);
		goto out;
	}
	d.site = site;
	d.config_path = o->config;
	d.started = now;
	d.clock_speed = vq_clock_speed(&clk);
	d.account = o->bus.user;
	d.lease_ms = o->lease_ms;
	d.key_path = o->key_file;
	d.new_key_at_start = o->new_signing_key;
	if (vqd_web_new(&o->web, &d.web) != VQ_OK)
		goto out;
	if (vqd_size_for_site(&d, site) != VQ_OK ||
	    vq_ratelimit_new(VQD_RATE_BUCKETS, &d.limits) != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "out of memory");
		goto out;
	}
	log_clock(&clk, vq_site_timezone(site));
	/* what serving needs (tier rules, today's book, keys) is loaded when this vqd takes
	 * the site's claim (serving.c): at once when it is alone, later if another serves */
	o->bus.opts.state_messages = true;
	o->bus.opts.max_payload = VQD_MAX_OPS + 1024;
	/* every vqd of the site speaks under one presence name, while it serves */
	o->bus.opts.presence_name = vqd_presence_name();
	o->bus.opts.presence_held = true;
	int rc = vq_bus_new(&o->bus.opts, &bus);
	char ptopic[64];
	snprintf(ptopic, sizeof ptopic, "presence/%s", vqd_presence_name());
	if (rc == VQ_OK)
		rc = vq_bus_subscribe(bus, ptopic, 1);
	if (rc == VQ_OK)
		rc = vq_bus_subscribe(bus, "web/svc/+/+", 1);
	if (rc == VQ_OK)
		rc = vq_bus_start(bus);
	if (rc != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "bus: %s", vq_strerror(rc));
		goto out;
	}
	msgs = calloc((size_t)o->max_batch, sizeof *msgs);
	if (!msgs)
		goto out;
	char where[512];
	vq_store_describe(o->db, where, sizeof where);
	vq_log(VQ_LOG_INFO, "site %s (%d attractions), %s store %s, broker %s:%d%s as %s",
	       vq_site_id(site), vq_site_attr_count(site),
	       vq_store_backend(vq_service_store(d.svc)), where, o->bus.host,
	       o->bus.port ? o->bus.port : 1883, o->bus.nbrokers > 1 ? " (and others)" : "",
	       o->bus.user);

	if (vq_site_chain(site) && strcmp(vq_store_backend(vq_service_store(d.svc)), "sqlite") == 0)
		vq_log(
		    VQ_LOG_WARN,
		    "the config names chain %s, but a chain's one member list needs a PostgreSQL "
		    "store: this database's members are its own",
		    vq_site_chain(site));
	double last_pub = 0, last_refresh = mono_ms();
	uint64_t drops_seen = 0;
	while (!stop_requested && !d.fatal) {
		if (reload_requested) {
			reload_requested = 0;
			reload(&d);
			d.day_retry_ms = 0; /* the new config may be what today needed */
		}
		int any_dirty = d.site_dirty;
		for (int a = 0; !any_dirty && a < vq_site_attr_count(d.site); a++)
			any_dirty = d.dirty[a];
		/* a change goes out at once unless state went out less than the gap ago; then
		 * when the gap is over, not a whole gap after this wake-up (nothing goes out
		 * without a link or a book: then no hurry) */
		double since = mono_ms() - last_pub;
		int timeout = !any_dirty || !vq_bus_connected(bus) || !vq_service_book(d.svc) ? 1000
		              : since >= STATE_MIN_GAP_MS                                     ? 0
		                                          : (int)(STATE_MIN_GAP_MS - since) + 1;
		int claim_ms = vqd_claim_tick(&d, bus, mono_ms(), vq_clock_now(&clk));
		if (claim_ms < timeout)
			timeout = claim_ms;
		/* a book lost to a failed rebuild (batch.c); today's not loading is days.c's */
		int recovered = 0;
		int retry_ms =
		    d.serving && d.day_loaded ? vqd_book_retry(&d, mono_ms(), &recovered) : -1;
		if (recovered)
			mark_all(&d);
		if (retry_ms >= 0 && retry_ms < timeout)
			timeout = retry_ms;
		size_t n = 0;
		vq_bus_poll(bus, msgs, (size_t)o->max_batch, &n, timeout);
		now = vq_clock_now(&clk);
		/* only the vqd that serves follows the calendar: the day's book is loaded (and
		 * old replies forgotten) when it takes over */
		if (d.serving)
			vqd_day_follow(&d, now, mono_ms());
		size_t requests = 0;
		for (size_t i = 0; i < n; i++) {
			vq_bus_msg *m = msgs[i];
			msgs[i] = NULL;
			if (m->kind == VQ_BUS_CONNECTED) {
				char at[300];
				vq_bus_broker(bus, at, sizeof at);
				vq_log(VQ_LOG_INFO, "connected to the broker at %s; %s", at,
				       d.serving ? "serving" : "standing by");
				mark_all(&d); /* the broker may have lost its retained messages */
				vqd_web_forget(d.web);
			} else if (m->kind == VQ_BUS_DISCONNECTED) {
				vq_log(VQ_LOG_WARN, "lost the broker; reconnecting");
			} else if (strncmp(m->suffix, "presence/", 9) == 0) {
				vqd_presence_seen(&d, bus, m);
			} else {
				msgs[requests++] =
				    m; /* requests == i at most: nothing is overwritten */
				continue;
			}
			vq_bus_msg_free(m);
		}
		n = requests;
		d.real_ms = (int64_t)mono_ms();
		/* requests taken in before this vqd stood by are another's to answer now */
		if (n && d.serving && d.day_loaded)
			serve_batch(&d, bus, msgs, n, now);
		else if (n && d.serving)
			refuse_batch(&d, bus, msgs, n);
		for (size_t i = 0; i < n; i++)
			vq_bus_msg_free(msgs[i]);
		/* time moves the windows the gates admit: a board hears of one that opens now */
		vqd_mark_moved_windows(&d, now);
		double t = mono_ms();
		if (t - last_refresh >= STATE_REFRESH_S * 1000.0) {
			log_bus_drops(bus, &drops_seen);
			mark_all(&d);
			last_refresh = t;
		}
		if (t - last_pub >= STATE_MIN_GAP_MS) {
			if (publish_state(&d, bus, now))
				last_pub = t;
		}
	}
	vq_log(VQ_LOG_INFO, "stopping: %llu requests in %llu batches",
	       (unsigned long long)d.requests, (unsigned long long)d.batches);
	status = d.fatal ? 2 : 0;
out:
	vq_bus_free(bus);
	free(msgs);
	vq_service_free(d.svc);
	vqd_web_free(d.web);
	d.web = NULL;
	if (!d.site)
		d.site = site;
	vqd_free_memory(&d);
	return status;
}

int main(int argc, char **argv)
{
	options o;
	if (parse_args(argc, argv, &o) != 0) {
		usage(stderr);
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* nobody but vqd's user reads what it makes: the key file, the database (cards) */
	umask(077);
	return run(&o);
}
