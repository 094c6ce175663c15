/* coordinator/batch.c — vqd's unit of work: a batch of requests, durable whole or not at
 * all; and vqd while it has no book.
 *
 * Owns the batch around the handlers: it opens the service's batch, hands each request to
 * vqd_handle while the batch lives, commits once, and settles what the batch did to vqd's
 * memory by the commit's outcome. Invariants:
 *   - once the batch is dead (vq_service_batch_ok is 0: the disk disagreed with the book,
 *     a write failed), no later request of it reaches a handler: each gets `storage` and
 *     changes nothing in the book, the store or vqd's memory;
 *   - a request answered `storage` kills the batch (whatever it had changed would
 *     otherwise be committed under a reply that says nothing changed);
 *   - a batch whose commit failed answers `storage` to every request it decided, keeps no
 *     event and leaves vqd's settings as they were (settings.c); the service rebuilt the
 *     book from the disk;
 *   - with no book (that rebuild failed), no batch opens: every request gets `storage` at
 *     once, and the loop retries the rebuild with backoff (vqd_book_retry), saying once
 *     that the book is lost and why, and once that it is back;
 *   - a request from an account longer than the store can record (VQ_ID_MAX - 1 bytes)
 *     is refused (`denied`) before anything looks at it, so it can never kill a batch.
 */
#include "coordinator/handlers.h"
#include "coordinator/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOBOOK_FIRST_MS   250
#define NOBOOK_MAX_MS     10000
#define LONG_NAME_LOG_GAP 60 /* seconds between two log lines about over-long accounts */
#define ACCOUNT_SHOWN_MAX 64

/* The store records who admitted a ticket in VQ_ID_MAX - 1 bytes; broker-config's
 * vq-accounts makes no longer names, but a broker set up by hand may. */
static char *account_refusal(vq_vqd *d, const vqd_in *in, int64_t now)
{
	size_t n = strnlen(in->client, ACCOUNT_SHOWN_MAX + 1);
	if (n > 0 && n < VQ_ID_MAX)
		return NULL;
	if (d->long_name_logged == 0 || now - d->long_name_logged >= LONG_NAME_LOG_GAP) {
		vq_log(VQ_LOG_ERROR,
		       "refusing %s from account '%.*s%s' (%zu%s bytes): vqd records accounts of "
		       "1..%d bytes; rename it (broker-config/vq-accounts)",
		       in->suffix, ACCOUNT_SHOWN_MAX, in->client,
		       n > ACCOUNT_SHOWN_MAX ? "..." : "",
		       n > ACCOUNT_SHOWN_MAX ? (size_t)ACCOUNT_SHOWN_MAX : n,
		       n > ACCOUNT_SHOWN_MAX ? "+" : "", VQ_ID_MAX - 1);
		d->long_name_logged = now;
	}
	char msg[128];
	snprintf(msg, sizeof msg, "account names are 1..%d bytes; this one is longer",
	         VQ_ID_MAX - 1);
	return vqd_refuse(in->payload, in->len, VQ_EDENIED, msg);
}

/* A reply that says "nothing changed; retry" (or none at all, for lack of memory). */
static int says_storage(const char *reply)
{
	if (!reply)
		return 1;
	if (!strstr(reply, "\"storage\""))
		return 0;
	cJSON *r = cJSON_Parse(reply);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	int yes = cJSON_IsString(code) && strcmp(code->valuestring, "storage") == 0;
	cJSON_Delete(r);
	return yes;
}

static void drop_events(vq_vqd *d)
{
	for (size_t e = 0; e < d->nevents; e++)
		free(d->events[e].json);
	d->nevents = 0;
}

/* Looks every remembered reply and every member card the batch may need up at once (one
 * round trip each to a database across a network, instead of one a request). A failure
 * here is the store's, and kills the batch like any other. */
static void prefetch(vq_vqd *d, const vqd_in *in, size_t n)
{
	char(*keys)[VQ_STORE_RID_MAX + 1] = malloc(n * sizeof *keys);
	char(*cards)[VQ_STORE_CARD_MAX + 1] = malloc(n * sizeof *cards);
	const char **ids = malloc(n * sizeof *ids), **cids = malloc(n * sizeof *cids);
	size_t k = 0, c = 0;
	for (size_t i = 0; keys && cards && ids && cids && i < n; i++) {
		size_t an = strnlen(in[i].client, VQ_ID_MAX);
		if (an == 0 || an >= VQ_ID_MAX)
			continue;
		if (vqd_request_key(in[i].payload, in[i].len, in[i].client, keys[k], cards[c])) {
			ids[k] = keys[k];
			k++;
		}
		if (cards[c][0]) {
			cids[c] = cards[c];
			c++;
		}
	}
	vq_store *st = vq_service_store(d->svc);
	if (k && vq_service_prefetch(d->svc, ids, k) != VQ_OK && vq_service_batch_ok(d->svc))
		vq_store_poison(st, "the batch's replies could not be read");
	if (c && vq_service_batch_ok(d->svc) && vq_store_prefetch_members(st, cids, c) != VQ_OK &&
	    vq_service_batch_ok(d->svc))
		vq_store_poison(st, "the batch's members could not be read");
	free(ids);
	free(cids);
	free(keys);
	free(cards);
}

int vqd_batch(vq_vqd *d, const vqd_in *in, size_t n, int64_t now, char **replies)
{
	d->backlog_now = -1; /* the batch may change it: replies count it afresh */
	unsigned char *decided = calloc(n ? n : 1, 1);
	int rc = decided ? vq_service_begin(d->svc) : VQ_ENOMEM;
	if (rc != VQ_OK) {
		/* without a book vqd_book_retry has said why; anything else is news */
		if (vq_service_book(d->svc))
			vq_log(VQ_LOG_ERROR, "cannot open a batch: %s",
			       rc == VQ_ENOMEM ? vq_strerror(rc)
			                       : vq_store_errmsg(vq_service_store(d->svc)));
		for (size_t i = 0; i < n; i++) {
			d->requests++;
			replies[i] = vqd_storage_error(in[i].payload, in[i].len);
		}
		free(decided);
		return rc;
	}
	prefetch(d, in, n);
	for (size_t i = 0; i < n; i++) {
		if ((replies[i] = account_refusal(d, &in[i], now)) != NULL) {
			d->requests++;
			continue;
		}
		decided[i] = 1;
		if (!vq_service_batch_ok(d->svc)) {
			/* dead: nothing more may change, not even what a read would answer */
			d->requests++;
			replies[i] = vqd_storage_error(in[i].payload, in[i].len);
			continue;
		}
		replies[i] =
		    vqd_handle(d, in[i].suffix, in[i].payload, in[i].len, in[i].client, now);
		if (vq_service_batch_ok(d->svc) && says_storage(replies[i]))
			vq_store_poison(vq_service_store(d->svc),
			                "a request could not be recorded; the batch is dropped");
	}
	rc = vq_service_commit(d->svc);
	d->batches++;
	if (rc != VQ_OK) {
		d->failed_commits++;
		vq_log(VQ_LOG_ERROR, "batch of %zu requests not committed: %s", n,
		       vq_store_errmsg(vq_service_store(d->svc)));
		for (size_t i = 0; i < n; i++) {
			if (!decided[i])
				continue;
			free(replies[i]);
			replies[i] = vqd_storage_error(in[i].payload, in[i].len);
		}
		drop_events(d);
		/* sell-outs noted in the batch were not written: note them again */
		memset(d->soldout, 0, (size_t)vq_site_attr_count(d->site) * VQ_MAX_TIERS);
	}
	vqd_settle(d, rc == VQ_OK);
	free(decided);
	return rc;
}

int vqd_book_retry(vq_vqd *d, double mono_ms, int *recovered)
{
	*recovered = 0;
	if (vq_service_book(d->svc)) {
		if (d->nobook_since) {
			/* a new day or a reload loaded one */
			vq_log(VQ_LOG_INFO, "the book is back after %.1f s; serving again",
			       (mono_ms - d->nobook_since) / 1000.0);
			d->nobook_since = 0;
			*recovered = 1;
		}
		return -1;
	}
	if (!d->nobook_since) {
		d->nobook_since = mono_ms > 0 ? mono_ms : 1;
		d->nobook_attempts = 0;
		d->nobook_wait_ms = NOBOOK_FIRST_MS;
		d->nobook_retry_at = mono_ms + d->nobook_wait_ms;
		vq_log(VQ_LOG_ERROR,
		       "no book: the day cannot be rebuilt from the database (%s); answering "
		       "storage to every request and retrying",
		       vq_store_errmsg(vq_service_store(d->svc)));
		return d->nobook_wait_ms;
	}
	if (mono_ms < d->nobook_retry_at)
		return (int)(d->nobook_retry_at - mono_ms) + 1;
	d->nobook_attempts++;
	if (vq_service_rebuild(d->svc) == VQ_OK) {
		vq_log(VQ_LOG_INFO,
		       "the book is rebuilt from the database after %u attempts and %.1f s; "
		       "serving again",
		       d->nobook_attempts, (mono_ms - d->nobook_since) / 1000.0);
		d->nobook_since = 0;
		*recovered = 1;
		return -1;
	}
	d->nobook_wait_ms =
	    d->nobook_wait_ms * 2 > NOBOOK_MAX_MS ? NOBOOK_MAX_MS : d->nobook_wait_ms * 2;
	d->nobook_retry_at = mono_ms + d->nobook_wait_ms;
	vq_log(VQ_LOG_DEBUG, "rebuild attempt %u failed: %s; next in %d ms", d->nobook_attempts,
	       vq_store_errmsg(vq_service_store(d->svc)), d->nobook_wait_ms);
	return d->nobook_wait_ms;
}
