/* coordinator/settings.c — the operators' run-time settings in vqd's memory: each
 * attraction's posted standby wait and base merge ratio, the tier rules, the signing key
 * (whose changes keys.c settles).
 *
 * Owns when such a setting changes in memory. A batch writes the new value to the store
 * and keeps it as pending (vq_vqd.pending_*); vqd_settle makes it the running value once
 * the batch committed, or drops it. Invariants: between batches nothing is pending; what
 * runs is what the store holds, so a failed commit leaves every board, gate and reply
 * showing what the operator was told is in force. Inside a batch, its own pending values
 * are what its later requests see (vqd_standby_min, vqd_merge_base), as they see its book.
 */
#include "coordinator/log.h"
#include "coordinator/vqd.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vqd_standby_min(const vq_vqd *d, int a)
{
	return d->pending_standby && d->pending_standby[a] >= 0 ? d->pending_standby[a]
	                                                        : d->standby_min[a];
}

void vqd_merge_base(const vq_vqd *d, int a, int *fast, int *standby)
{
	if (d->pending_merge_fast && d->pending_merge_fast[a] > 0) {
		*fast = d->pending_merge_fast[a];
		*standby = d->pending_merge_standby[a];
	} else {
		*fast = d->merge_fast[a];
		*standby = d->merge_standby[a];
	}
}

static void clear_pending_attrs(vq_vqd *d, size_t n)
{
	for (size_t a = 0; a < n; a++) {
		d->pending_standby[a] = -1;
		d->pending_merge_fast[a] = 0;
		d->pending_merge_standby[a] = 0;
	}
}

int vqd_size_for_site(vq_vqd *d, const vq_site *site)
{
	size_t n = (size_t)vq_site_attr_count(site);
	int *standby = calloc(n, sizeof *standby);
	int *mfast = calloc(n, sizeof *mfast);
	int *mstandby = calloc(n, sizeof *mstandby);
	int *backlog = calloc(n, sizeof *backlog);
	vq_noshow *noshow = calloc(n, sizeof *noshow);
	unsigned char *soldout = calloc(n * VQ_MAX_TIERS, 1);
	int *pstandby = calloc(n, sizeof *pstandby);
	int *pfast = calloc(n, sizeof *pfast);
	int *pmstandby = calloc(n, sizeof *pmstandby);
	unsigned char *dirty = calloc(n, 1);
	int64_t *seen = calloc(2 * n + 1, sizeof *seen);
	if (!standby || !mfast || !mstandby || !backlog || !noshow || !soldout || !pstandby ||
	    !pfast || !pmstandby || !dirty || !seen) {
		free(seen);
		free(noshow);
		free(soldout);
		free(standby);
		free(mfast);
		free(mstandby);
		free(backlog);
		free(pstandby);
		free(pfast);
		free(pmstandby);
		free(dirty);
		return VQ_ENOMEM;
	}
	vq_store *st = vq_service_store(d->svc);
	for (size_t a = 0; a < n; a++) {
		const vq_attraction *cfg = vq_site_attr(site, (int)a);
		char key[64], val[16];
		snprintf(key, sizeof key, "standby.%s", cfg->id);
		standby[a] = cfg->standby_min;
		if (vq_store_get_setting(st, key, val, sizeof val) == VQ_OK)
			standby[a] = atoi(val);
		snprintf(key, sizeof key, "merge.%s", cfg->id);
		mfast[a] = VQD_MERGE_FAST;
		mstandby[a] = VQD_MERGE_STANDBY;
		int f, sb;
		if (vq_store_get_setting(st, key, val, sizeof val) == VQ_OK &&
		    sscanf(val, "%d:%d", &f, &sb) == 2) {
			mfast[a] = f;
			mstandby[a] = sb;
		}
		dirty[a] = 1;
	}
	free(d->standby_min);
	free(d->merge_fast);
	free(d->merge_standby);
	free(d->backlog);
	free(d->noshow);
	free(d->soldout);
	free(d->pending_standby);
	free(d->pending_merge_fast);
	free(d->pending_merge_standby);
	free(d->dirty);
	free(d->admit_seen);
	d->admit_seen = seen;
	d->backlog = backlog;
	d->noshow = noshow;
	d->soldout = soldout;
	d->backlog_now = -1;
	d->standby_min = standby;
	d->merge_fast = mfast;
	d->merge_standby = mstandby;
	d->pending_standby = pstandby;
	d->pending_merge_fast = pfast;
	d->pending_merge_standby = pmstandby;
	clear_pending_attrs(d, n);
	d->dirty = dirty;
	d->site_dirty = 1;
	return VQ_OK;
}

int vqd_same_chain(const vq_site *a, const vq_site *b)
{
	const char *x = vq_site_chain(a), *y = vq_site_chain(b);
	return x && y ? strcmp(x, y) == 0 : x == y;
}

int vqd_swap_site(vq_vqd *d, vq_site *fresh)
{
	int rc = vq_service_set_site(d->svc, fresh);
	if (rc == VQ_OK && (rc = vqd_size_for_site(d, fresh)) != VQ_OK)
		vq_service_set_site(d->svc, d->site);
	if (rc != VQ_OK) {
		vq_site_free(fresh);
		return rc;
	}
	vq_site_free(d->site);
	d->site = fresh;
	return VQ_OK;
}

/* The per-attraction values the batch set. */
static void settle_attrs(vq_vqd *d, int committed)
{
	size_t n = (size_t)vq_site_attr_count(d->site);
	for (size_t a = 0; committed && a < n; a++) {
		if (d->pending_standby[a] >= 0)
			d->standby_min[a] = d->pending_standby[a];
		if (d->pending_merge_fast[a] > 0) {
			d->merge_fast[a] = d->pending_merge_fast[a];
			d->merge_standby[a] = d->pending_merge_standby[a];
		}
	}
	clear_pending_attrs(d, n);
}

/* A tier change rebuilds the book under the new rules, so it goes last. */
static void settle_tiers(vq_vqd *d, int committed)
{
	if (!d->pending_site)
		return;
	vq_site *fresh = d->pending_site;
	d->pending_site = NULL;
	if (!committed) {
		vq_site_free(fresh);
		free(d->pending_overrides);
		d->pending_overrides = NULL;
		return;
	}
	int rc = vqd_swap_site(d, fresh);
	if (rc != VQ_OK) {
		vq_log(VQ_LOG_ERROR, "tier change: %s", vq_strerror(rc));
		free(d->pending_overrides);
	} else {
		free(d->overrides);
		d->overrides = d->pending_overrides;
	}
	d->pending_overrides = NULL;
}

void vqd_settle(vq_vqd *d, int committed)
{
	settle_attrs(d, committed);
	vqd_keys_settle(d, committed);
	settle_tiers(d, committed);
}

void vqd_free_memory(vq_vqd *d)
{
	vq_keyfile_free(d->keyfile);
	d->keyfile = NULL;
	vq_ratelimit_free(d->limits);
	d->limits = NULL;
	sodium_memzero(d->sk, sizeof d->sk);
	sodium_memzero(d->pending_sk, sizeof d->pending_sk);
	free(d->standby_min);
	free(d->merge_fast);
	free(d->merge_standby);
	free(d->pending_standby);
	free(d->pending_merge_fast);
	free(d->pending_merge_standby);
	free(d->backlog);
	free(d->noshow);
	free(d->soldout);
	free(d->dirty);
	free(d->admit_seen);
	for (size_t e = 0; e < d->nevents; e++)
		free(d->events[e].json);
	free(d->events);
	free(d->overrides);
	vq_site_free(d->pending_site);
	free(d->pending_overrides);
	vq_site_free(d->site);
	d->site = NULL;
}
