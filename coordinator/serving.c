/* coordinator/serving.c — which vqd serves the site: the claim, the lease, taking over and
 * standing by.
 *
 * Several vqd may run for one site on one store; the one whose store holds the site's
 * claim (store.h: on PostgreSQL a session advisory lock, in the session every batch
 * runs in) serves, the others stand by and try to claim every CLAIM_EVERY_MS. Invariants:
 *   - a vqd answers, publishes state and holds the presence name "vqd" only while it can
 *     prove its claim: the last statement that succeeded in the claiming session was sent
 *     less than 2/3 of the lease ago (vqd_lease_ok). The server ends that session a full
 *     lease after its last statement at the earliest, and only then can another vqd take
 *     the claim, so two vqd never answer at once; the third of the lease left over covers
 *     the time between the check and the send;
 *   - the serving vqd proves the claim by itself (a round trip) once a third of the lease
 *     has passed without a statement, so an idle site keeps its server;
 *   - a vqd that cannot prove its claim any more stops at once: it answers nothing more
 *     (not even `storage`: requesters retry, and the one that serves then answers),
 *     unsubscribes from requests and lets the presence name go without a word (by then
 *     another may hold it);
 *   - a vqd serves only while it reaches a broker: standing by, it claims only while
 *     connected; serving, once it has been without any broker for a lease it lets the
 *     claim go (vq_store_release_claim) and stands by, so a vqd the kiosks can reach takes
 *     over (on SQLite, with no other vqd, none of this applies: it serves from the start
 *     and keeps serving while it waits for a broker);
 *   - taking over loads everything from the store before answering anything: the day's
 *     book, the operators' tier rules and settings, the signing keys (the key file read
 *     afresh; if it lacks the newest key of the vqd served before, a new key is made:
 *     tickets signed before keep verifying); then it subscribes
 *     to requests (a retried request finds its first reply in the store), republishes
 *     all retained state and takes the presence name.
 */
#include "coordinator/config.h"
#include "coordinator/log.h"
#include "coordinator/vqd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLAIM_EVERY_MS 500
#define PRESENCE_NAME  "vqd"
#define REQUEST_FILTER "svc/+/+"
#define PRESENCE_TOPIC "presence/" PRESENCE_NAME

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *vqd_presence_name(void)
{
	return PRESENCE_NAME;
}

int vqd_lease_ok(const vq_vqd *d, double mono)
{
	if (!d->serving)
		return 0;
	double proof = vq_store_claim_proof(vq_service_store(d->svc));
	return proof > 0 && mono - proof < d->lease_ms * 2.0 / 3.0;
}

/* Loads what serving needs from the store: the site under the operators' tier rules, the
 * book of today (days.c, which forgets replies too old to be asked for again), the
 * keys. */
static int load_all(vq_vqd *d, int64_t now)
{
	char err[512] = "";
	char ov[8192];
	int rc = vq_store_get_setting(vq_service_store(d->svc), "tier_overrides", ov, sizeof ov);
	if (rc != VQ_OK && rc != VQ_ENOTFOUND)
		return rc;
	free(d->overrides);
	d->overrides = rc == VQ_OK ? strdup(ov) : NULL;
	vq_site *fresh = NULL;
	rc = vqd_config_load(d->config_path, d->overrides, &fresh, err, sizeof err);
	if (rc != VQ_OK && d->overrides) {
		vq_log(VQ_LOG_WARN, "the operators' tier rules no longer apply: %s", err);
		rc = vqd_config_load(d->config_path, NULL, &fresh, err, sizeof err);
	}
	if (rc != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "taking over: %s", err);
		return rc;
	}
	if (!vqd_same_chain(fresh, d->site)) {
		vq_log(VQ_LOG_ERROR, "taking over: the config's chain changed since vqd started: "
		                     "restart vqd to change it");
		vq_site_free(fresh);
		return VQ_ECONFIG;
	}
	/* the book is rebuilt under the fresh site: what another vqd wrote is in it */
	if ((rc = vqd_swap_site(d, fresh)) != VQ_OK)
		return rc;
	/* today's book (days.c), tried at once: a day that will not load is refused with
	 * day_unavailable by the vqd that serves, as by a vqd alone */
	d->day_retry_ms = 0;
	vqd_day_follow(d, now, mono_ms());
	/* the key file afresh: another vqd of the site may have written it */
	vq_keyfile_free(d->keyfile);
	d->keyfile = NULL;
	rc = vqd_keys_start(d, d->key_path, d->new_key_at_start, now, err, sizeof err);
	if (rc == VQ_ENOTFOUND && d->term > 1 && !d->new_key_at_start) {
		/* taking over from another vqd whose newest key this one's file lacks: sign with
		 * a new one (tickets signed before keep verifying: the ring has their keys) */
		vq_log(VQ_LOG_WARN, "%s; making a new signing key to serve with", err);
		vq_keyfile_free(d->keyfile);
		d->keyfile = NULL;
		rc = vqd_keys_start(d, d->key_path, 1, now, err, sizeof err);
	}
	if (rc != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "signing keys: %s", err);
		if (d->term <= 1)
			d->fatal =
			    1; /* a site's first vqd without its keys: as a start that fails */
		return rc;
	}
	d->new_key_at_start = 0;
	return VQ_OK;
}

static void stand_by(vq_vqd *d, vq_bus *bus, double mono, const char *why)
{
	if (d->serving)
		vq_log(VQ_LOG_WARN, "no longer serving (term %lld): %s; standing by",
		       (long long)d->term, why);
	d->serving = 0;
	vq_bus_unsubscribe(bus, REQUEST_FILTER);
	vq_bus_hold_presence(bus, false);
	d->next_claim_ms = mono + CLAIM_EVERY_MS;
}

static void take_over(vq_vqd *d, vq_bus *bus, double mono, int64_t now, int64_t term)
{
	double t0 = mono_ms();
	d->term = term;
	int rc = load_all(d, now);
	if (rc != VQ_OK) {
		/* a claim we cannot serve from helps nobody: give the others a chance */
		vq_log(VQ_LOG_ERROR, "cannot take over: %s (%s)", vq_strerror(rc),
		       vq_store_errmsg(vq_service_store(d->svc)));
		d->next_claim_ms = mono + CLAIM_EVERY_MS;
		return;
	}
	d->serving = 1;
	snprintf(d->term_text, sizeof d->term_text, "%lld", (long long)term);
	d->served_since = mono;
	vq_bus_subscribe(bus, REQUEST_FILTER, 1);
	vq_bus_hold_presence(bus, true);
	memset(d->dirty, 1, (size_t)vq_site_attr_count(d->site));
	d->site_dirty = 1;
	vq_log(VQ_LOG_INFO, "serving site %s as %s in term %lld (loaded in %.0f ms)",
	       vq_site_id(d->site), d->account, (long long)term, mono_ms() - t0);
}

int vqd_claim_tick(vq_vqd *d, vq_bus *bus, double mono, int64_t now)
{
	vq_store *st = vq_service_store(d->svc);
	int held = 0;
	int64_t term = 0;
	/* with nobody to hand over to (SQLite), a vqd serves whether or not a broker is
	 * there: it loads its day and keys at once, as a lone vqd always has */
	int linked = vq_bus_connected(bus) || !vq_store_claim_shared(st);
	if (linked)
		d->unlinked_since = 0;
	else if (!d->unlinked_since)
		d->unlinked_since = mono;
	if (d->serving && !linked && mono - d->unlinked_since >= d->lease_ms) {
		if (vq_store_release_claim(st) == VQ_OK) {
			stand_by(d, bus, mono,
			         "no broker reached for a whole lease: the claim is let go");
			return CLAIM_EVERY_MS;
		}
		d->unlinked_since = mono; /* the session is in doubt: ask again later */
	}
	if (d->serving) {
		double proof = vq_store_claim_proof(st);
		if (proof > 0 && mono - proof < d->lease_ms / 3.0)
			return (int)(d->lease_ms / 3.0 - (mono - proof)) + 1;
		int rc = vq_store_claim(st, d->lease_ms, &held, &term);
		if (rc != VQ_OK || !held || term != d->term) {
			stand_by(d, bus, mono,
			         rc != VQ_OK ? vq_store_errmsg(st)
			                     : "the claim went with the session");
			return CLAIM_EVERY_MS;
		}
		return d->lease_ms / 3;
	}
	if (mono < d->next_claim_ms)
		return (int)(d->next_claim_ms - mono) + 1;
	d->next_claim_ms = mono + CLAIM_EVERY_MS;
	if (!linked)
		return CLAIM_EVERY_MS; /* nobody could ask us anything */
	int rc = vq_store_claim(st, d->lease_ms, &held, &term);
	if (rc != VQ_OK) {
		if (!d->claim_err_logged)
			vq_log(VQ_LOG_WARN, "cannot reach the store to claim the site: %s",
			       vq_store_errmsg(st));
		d->claim_err_logged = 1;
		return CLAIM_EVERY_MS;
	}
	d->claim_err_logged = 0;
	if (held)
		take_over(d, bus, mono, now, term);
	return d->serving ? d->lease_ms / 3 : CLAIM_EVERY_MS;
}

int vqd_serving_fence(vq_vqd *d, vq_bus *bus, double mono)
{
	if (vqd_lease_ok(d, mono))
		return 1;
	if (!d->serving)
		return 0;
	/* not proved lately (a long commit, a pause): prove it now or stop */
	vq_store *st = vq_service_store(d->svc);
	int held = 0;
	int64_t term = 0;
	if (vq_store_claim(st, d->lease_ms, &held, &term) == VQ_OK && held && term == d->term &&
	    vqd_lease_ok(d, mono_ms()))
		return 1;
	stand_by(d, bus, mono, "the claim could not be proved in time");
	return 0;
}

void vqd_presence_seen(vq_vqd *d, vq_bus *bus, const vq_bus_msg *m)
{
	if (!d->serving || strcmp(m->suffix, PRESENCE_TOPIC) != 0)
		return;
	cJSON *j = cJSON_ParseWithLength(m->payload, m->len);
	const cJSON *online = cJSON_GetObjectItemCaseSensitive(j, "online");
	const cJSON *by = cJSON_GetObjectItemCaseSensitive(j, "by");
	/* "by" is left out when the account is the name itself */
	const char *who = cJSON_IsString(by) ? by->valuestring : PRESENCE_NAME;
	int ours = cJSON_IsTrue(online) && strcmp(who, d->account) == 0;
	cJSON_Delete(j);
	/* a Will of a vqd standing by, or of one that served before: the name is ours; said
	 * again at most once a second, whatever comes back */
	double now = mono_ms();
	if (!ours && now - d->presence_said_ms >= 1000) {
		d->presence_said_ms = now;
		vq_bus_hold_presence(bus, true);
	}
}
