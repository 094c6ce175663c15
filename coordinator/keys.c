/* coordinator/keys.c — vqd's signing keys: the secret halves in the key file, the public
 * halves and their history in the store, kept in step (contract: vqd.h).
 *
 * Invariants:
 *   - a key the store names (in any batch, committed or not) has its secret in the key
 *     file: a new key's secret is written (durably) before the store hears of it, and a
 *     retired key's secret leaves the file only once its retirement committed;
 *   - the database never holds a secret: a database of schema 1 has its secrets moved to
 *     the key file at the first start, then deleted and checkpointed away;
 *   - between batches d->kid/d->pk/d->sk are the store's active key and d->ring the
 *     store's ring; a batch's changes wait in d->pending_* until it committed
 *     (vqd_keys_settle), so a failed commit leaves gates and replies as they were.
 */
#include "coordinator/handlers.h"
#include "coordinator/keyfile.h"
#include "coordinator/log.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int in_ring(const vq_keyring *r, uint8_t kid)
{
	for (int i = 0; i < r->count; i++)
		if (r->keys[i].kid == kid)
			return 1;
	return 0;
}

/* Does sk belong to pk? */
static int pair_of(const uint8_t sk[64], const uint8_t pk[32])
{
	uint8_t derived[32];
	return crypto_sign_ed25519_sk_to_pk(derived, sk) == 0 && memcmp(derived, pk, 32) == 0;
}

/* The ring and the active kid as the open batch sees them (its own changes included). */
static const vq_keyring *ring_now(const vq_vqd *d)
{
	return d->pending_key || d->npending_retired ? &d->pending_ring : &d->ring;
}

static int active_now(const vq_vqd *d)
{
	return d->pending_key ? d->pending_kid : d->kid;
}

/* The kid for a new key: the first after the active one that is neither in the ring nor
 * in the key file (a leftover of a rotation whose commit failed, say), else the first not
 * in the ring. VQ_EINVAL when the ring is full. */
static int next_kid(const vq_vqd *d, int have_active, uint8_t *out)
{
	const vq_keyring *ring = ring_now(d);
	if (ring->count >= VQ_KEYRING_MAX)
		return VQ_EINVAL;
	uint8_t from = have_active ? (uint8_t)active_now(d) : 0;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 1; i <= 256; i++) {
			uint8_t k = (uint8_t)(from + i);
			if (!in_ring(ring, k) && (pass || !vq_keyfile_get(d->keyfile, k))) {
				*out = k;
				return VQ_OK;
			}
		}
	return VQ_EINVAL;
}

/* Makes a new active key inside the open batch, pending until it commits: the secret in
 * the key file first, then the public half in the store. */
static int make_key(vq_vqd *d, int have_active, int64_t now, char *err, size_t errlen)
{
	uint8_t kid;
	if (next_kid(d, have_active, &kid) != VQ_OK)
		return fail(err, errlen, VQ_EINVAL,
		            "the key ring is full (%d keys): retire one first (keys_retire)",
		            VQ_KEYRING_MAX);
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	vq_keyring ring = *ring_now(d);
	int rc = vq_keyring_add(&ring, kid, pk);
	if (rc == VQ_OK)
		rc = vq_keyfile_put(d->keyfile, kid, sk, err, errlen);
	if (rc == VQ_OK &&
	    (rc = vq_store_put_key(vq_service_store(d->svc), kid, pk, 1, now)) != VQ_OK)
		fail(err, errlen, rc, "storing the new key: %s",
		     vq_store_errmsg(vq_service_store(d->svc)));
	if (rc == VQ_OK) {
		d->pending_key = 1;
		d->pending_ring = ring;
		d->pending_kid = kid;
		memcpy(d->pending_pk, pk, sizeof pk);
		memcpy(d->pending_sk, sk, sizeof sk);
	}
	sodium_memzero(sk, sizeof sk);
	return rc;
}

void vqd_keys_settle(vq_vqd *d, int committed)
{
	if (committed && (d->pending_key || d->npending_retired)) {
		if (d->pending_key) {
			d->kid = d->pending_kid;
			memcpy(d->pk, d->pending_pk, sizeof d->pk);
			memcpy(d->sk, d->pending_sk, sizeof d->sk);
		}
		d->ring = d->pending_ring;
		d->site_dirty = 1;
		/* the retirements are durable: their secrets go (a write that fails leaves a
		 * secret no ring trusts any more, and the log says so) */
		for (int i = 0; i < d->npending_retired; i++) {
			char err[512];
			if (vq_keyfile_remove(d->keyfile, d->pending_retired[i], err, sizeof err) !=
			    VQ_OK)
				vq_log(VQ_LOG_ERROR, "retired key %d: %s", d->pending_retired[i],
				       err);
		}
	}
	sodium_memzero(d->pending_sk, sizeof d->pending_sk);
	d->pending_key = 0;
	d->npending_retired = 0;
}

/* The guest key (it keys the hash that turns card numbers into guest references): made
 * on the first start, inside the caller's transaction. */
static int guest_key(vq_vqd *d)
{
	vq_store *st = vq_service_store(d->svc);
	char hexkey[65];
	int rc = vq_store_get_setting(st, "guest_key", hexkey, sizeof hexkey);
	if (rc == VQ_ENOTFOUND) {
		randombytes_buf(d->guest_key, sizeof d->guest_key);
		sodium_bin2hex(hexkey, sizeof hexkey, d->guest_key, sizeof d->guest_key);
		return vq_store_set_setting(st, "guest_key", hexkey);
	}
	if (rc != VQ_OK)
		return rc;
	size_t n = 0;
	if (sodium_hex2bin(d->guest_key, sizeof d->guest_key, hexkey, strlen(hexkey), NULL, &n,
	                   NULL) != 0 ||
	    n != sizeof d->guest_key)
		return VQ_ESTORE;
	return VQ_OK;
}

/* The active key (its secret from the key file), the ring and the guest key, as the store
 * has them. VQ_ENOTFOUND if the key file lacks the active key's secret. */
static int keys_load(vq_vqd *d)
{
	vq_store *st = vq_service_store(d->svc);
	uint8_t kid, pk[32];
	int rc = vq_store_get_active_key(st, &kid, pk);
	if (rc != VQ_OK)
		return rc;
	const uint8_t *sk = vq_keyfile_get(d->keyfile, kid);
	if (!sk || !pair_of(sk, pk))
		return VQ_ENOTFOUND;
	vq_keyring ring;
	if ((rc = vq_store_get_keyring(st, &ring)) != VQ_OK)
		return rc;
	d->kid = kid;
	memcpy(d->pk, pk, sizeof pk);
	memcpy(d->sk, sk, sizeof d->sk);
	d->ring = ring;
	return guest_key(d);
}

/* A database of schema 1 kept the secrets itself: they move to the key file (each written
 * durably there before the database forgets any). */
static int move_legacy(vq_vqd *d, char *err, size_t errlen)
{
	vq_store *st = vq_service_store(d->svc);
	uint8_t kids[256];
	uint8_t(*sks)[64] = sodium_malloc(256 * 64);
	int n = 0, rc;
	if (!sks)
		return fail(err, errlen, VQ_ENOMEM, "out of memory");
	rc = vq_store_legacy_secrets(st, kids, sks, &n);
	if (rc != VQ_OK)
		fail(err, errlen, rc, "reading the database's secret keys: %s",
		     vq_store_errmsg(st));
	for (int i = 0; rc == VQ_OK && i < n; i++) {
		vq_store_key k;
		const uint8_t *have = vq_keyfile_get(d->keyfile, kids[i]);
		int known = vq_store_get_key(st, kids[i], &k) == VQ_OK;
		if (have && (!known || pair_of(have, k.pk)))
			continue; /* the file has it already (an earlier start stopped half way) */
		rc = vq_keyfile_put(d->keyfile, kids[i], sks[i], err, errlen);
	}
	sodium_free(sks);
	if (rc != VQ_OK || n == 0)
		return rc;
	if ((rc = vq_store_forget_legacy_secrets(st)) != VQ_OK)
		return fail(err, errlen, rc, "removing the secret keys from the database: %s",
		            vq_store_errmsg(st));
	vq_log(VQ_LOG_INFO, "moved %d signing secret%s from the database to the key file %s", n,
	       n == 1 ? "" : "s", vq_keyfile_path(d->keyfile));
	return VQ_OK;
}

/* Retires the oldest key that does not sign, to make room (--new-signing-key with a full
 * ring). */
static int retire_oldest(vq_vqd *d, int64_t now, char *err, size_t errlen)
{
	for (int i = d->ring.count - 1; i >= 0; i--) { /* the ring is newest first */
		uint8_t kid = d->ring.keys[i].kid;
		vq_store_key k;
		if (vq_store_get_key(vq_service_store(d->svc), kid, &k) != VQ_OK || k.active)
			continue;
		vq_log(VQ_LOG_WARN, "the key ring is full: retiring key %d to make room", kid);
		return vqd_keys_retire(d, kid, now, err, errlen);
	}
	return fail(err, errlen, VQ_EINVAL, "the key ring is full and no key can be retired");
}

int vqd_keys_start(vq_vqd *d, const char *path, int new_key, int64_t now, char *err, size_t errlen)
{
	vq_store *st = vq_service_store(d->svc);
	int rc = vq_keyfile_open(path, &d->keyfile, err, errlen);
	if (rc != VQ_OK)
		return rc;
	if ((rc = move_legacy(d, err, errlen)) != VQ_OK)
		return rc;
	uint8_t kid, pk[32];
	rc = vq_store_get_active_key(st, &kid, pk);
	if (rc != VQ_OK && rc != VQ_ENOTFOUND)
		return fail(err, errlen, rc, "reading the signing keys: %s", vq_store_errmsg(st));
	int have_active = rc == VQ_OK;
	const uint8_t *sk = have_active ? vq_keyfile_get(d->keyfile, kid) : NULL;
	if (have_active && (!sk || !pair_of(sk, pk)) && !new_key)
		return fail(err, errlen, VQ_ENOTFOUND,
		            "the key file %s holds no secret for the active signing key %d of this "
		            "database: restore the key file that goes with it (operations.md, "
		            "Restore), or start vqd once with --new-signing-key to make a new key",
		            path, kid);
	if ((rc = vq_store_get_keyring(st, &d->ring)) != VQ_OK)
		return fail(err, errlen, rc, "reading the key ring: %s", vq_store_errmsg(st));
	d->kid = have_active ? kid : 0;
	if (!have_active && vq_keyfile_count(d->keyfile) > 0)
		vq_log(VQ_LOG_WARN,
		       "the key file %s already holds %d secrets this new database does not name; "
		       "they are kept",
		       path, vq_keyfile_count(d->keyfile));
	char hexkey[65];
	if (have_active && !new_key &&
	    vq_store_get_setting(st, "guest_key", hexkey, sizeof hexkey) == VQ_OK) {
		/* nothing to write, so no batch: vqd starts even on a day whose book will not
		 * load (it answers day_unavailable then, days.c) */
		if ((rc = keys_load(d)) != VQ_OK)
			return fail(err, errlen, rc, "loading the signing keys: %s",
			            vq_store_errmsg(st));
		return VQ_OK;
	}
	/* the first key and the guest key, or a new key, in one batch of their own */
	if ((rc = vq_service_begin(d->svc)) != VQ_OK)
		return fail(err, errlen, rc, "%s", vq_store_errmsg(st));
	if (!have_active || new_key) {
		if (new_key && d->ring.count >= VQ_KEYRING_MAX)
			rc = retire_oldest(d, now, err, errlen);
		if (rc == VQ_OK)
			rc = make_key(d, have_active, now, err, errlen);
	}
	if (rc == VQ_OK && (rc = guest_key(d)) != VQ_OK)
		fail(err, errlen, rc, "the guest key: %s", vq_store_errmsg(st));
	if (rc != VQ_OK) {
		vq_service_rollback(d->svc);
		vqd_keys_settle(d, 0);
		return rc;
	}
	if ((rc = vq_service_commit(d->svc)) != VQ_OK) {
		vqd_keys_settle(d, 0);
		return fail(err, errlen, rc, "%s", vq_store_errmsg(st));
	}
	vqd_keys_settle(d, 1);
	if (!have_active || new_key)
		vq_log(VQ_LOG_INFO, "made signing key %d (secret in %s)", d->kid, path);
	if ((rc = keys_load(d)) != VQ_OK)
		return fail(err, errlen, rc, "loading the signing keys: %s", vq_store_errmsg(st));
	return VQ_OK;
}

int vqd_keys_rotate(vq_vqd *d, int64_t now, char *err, size_t errlen)
{
	return make_key(d, 1, now, err, errlen);
}

int vqd_keys_dependents(vq_vqd *d, const vq_store_key *k, int64_t now, int64_t *n)
{
	/* A ticket issued while k signed, or before (its code is signed again whenever vqd
	 * shows it), may carry k until its admission interval ends. Same second counts. */
	int64_t until_issued = k->deactivated ? k->deactivated : now;
	const vq_book *b = vq_service_book(d->svc);
	int64_t count = 0;
	for (size_t i = 0; i < vq_book_ticket_count(b); i++) {
		const vq_ticket *t = vq_book_ticket_at(b, i);
		if ((t->state == VQ_TS_ISSUED || t->state == VQ_TS_ANYTIME) &&
		    t->issued_at <= until_issued && now < vqd_ticket_until(d, t))
			count++;
	}
	/* yesterday's tickets may still admit after midnight */
	int64_t earlier = 0;
	int rc = vq_store_count_open_tickets(vq_service_store(d->svc), vq_book_day_start(b),
	                                     until_issued, now, &earlier);
	if (rc != VQ_OK)
		return rc;
	*n = count + earlier;
	return VQ_OK;
}

int vqd_keys_retire(vq_vqd *d, uint8_t kid, int64_t now, char *err, size_t errlen)
{
	vq_store *st = vq_service_store(d->svc);
	if (kid == active_now(d))
		return fail(err, errlen, VQ_ESTATE, "key %d is the active signing key", kid);
	if (d->npending_retired >= (int)sizeof d->pending_retired)
		return fail(err, errlen, VQ_EINVAL, "too many retirements in one batch");
	/* the store's ring inside the batch: this retirement and the batch's other changes */
	vq_keyring ring;
	int rc;
	if ((rc = vq_store_retire_key(st, kid, now)) != VQ_OK ||
	    (rc = vq_store_get_keyring(st, &ring)) != VQ_OK)
		return fail(err, errlen, rc == VQ_ESTATE || rc == VQ_ENOTFOUND ? rc : VQ_ESTORE,
		            "retiring key %d: %s", kid, vq_store_errmsg(st));
	d->pending_ring = ring;
	d->pending_retired[d->npending_retired++] = kid;
	return VQ_OK;
}
