/* coordinator/ratelimit.c — token buckets per account and role (contract: ratelimit.h).
 *
 * Invariants: the table never holds more than max buckets and never allocates after
 * vq_ratelimit_new; a bucket's tokens stay in [0, burst]; a refused request takes nothing,
 * so a client that waits retry_after_ms is let in. Lookups scan the buckets in use
 * comparing a hash first: a site has tens of accounts, and the scan is bounded by max.
 */
#include "coordinator/ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct bucket {
	uint64_t hash;
	int role;
	char account[VQ_RATELIMIT_ACCOUNT_MAX];
	double tokens;
	int64_t last_ms;   /* when tokens was brought up to date */
	int64_t warned_ms; /* the last refusal the caller was told to log; INT64_MIN: none */
};

struct vq_ratelimit {
	struct bucket *b;
	size_t max, n;
};

/* FNV-1a over the account and the role. */
static uint64_t key_hash(const char *account, int role)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)account; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (h ^ (uint64_t)(unsigned)role) * 1099511628211ull;
}

int vq_ratelimit_new(size_t max, vq_ratelimit **out)
{
	if (!out || max == 0 || max > SIZE_MAX / sizeof(struct bucket))
		return VQ_EINVAL;
	vq_ratelimit *rl = calloc(1, sizeof *rl);
	if (!rl)
		return VQ_ENOMEM;
	rl->b = calloc(max, sizeof *rl->b);
	if (!rl->b) {
		free(rl);
		return VQ_ENOMEM;
	}
	rl->max = max;
	*out = rl;
	return VQ_OK;
}

void vq_ratelimit_free(vq_ratelimit *rl)
{
	if (!rl)
		return;
	free(rl->b);
	free(rl);
}

size_t vq_ratelimit_count(const vq_ratelimit *rl)
{
	return rl ? rl->n : 0;
}

/* The account's bucket, made (full) if it has none: in a free place, or in the place of
 * the bucket idle longest. */
static struct bucket *bucket_of(vq_ratelimit *rl, const char *account, size_t len, int role,
                                const vq_limit *lim, int64_t now_ms)
{
	uint64_t h = key_hash(account, role);
	for (size_t i = 0; i < rl->n; i++) {
		struct bucket *b = &rl->b[i];
		if (b->hash == h && b->role == role && strcmp(b->account, account) == 0)
			return b;
	}
	struct bucket *b;
	if (rl->n < rl->max) {
		b = &rl->b[rl->n++];
	} else {
		b = &rl->b[0];
		for (size_t i = 1; i < rl->n; i++)
			if (rl->b[i].last_ms < b->last_ms)
				b = &rl->b[i];
	}
	b->hash = h;
	b->role = role;
	memcpy(b->account, account, len + 1);
	b->tokens = lim->burst;
	b->last_ms = now_ms;
	b->warned_ms = INT64_MIN;
	return b;
}

int vq_ratelimit_take(vq_ratelimit *rl, const char *account, int role, const vq_limit *lim,
                      int64_t now_ms, int64_t *retry_after_ms, int *warn)
{
	if (warn)
		*warn = 0;
	if (!rl || !account || !lim || lim->rate_per_s < 1 || lim->burst < 1 || !retry_after_ms)
		return VQ_EINVAL;
	size_t len = strnlen(account, VQ_RATELIMIT_ACCOUNT_MAX);
	if (len == 0 || len >= VQ_RATELIMIT_ACCOUNT_MAX)
		return VQ_EINVAL;
	struct bucket *b = bucket_of(rl, account, len, role, lim, now_ms);
	/* refill for the time since, never past the burst (a reload may have lowered it); a
	 * clock that stepped back refills nothing */
	if (now_ms > b->last_ms)
		b->tokens += (double)(now_ms - b->last_ms) * lim->rate_per_s / 1000.0;
	if (b->tokens > lim->burst)
		b->tokens = lim->burst;
	b->last_ms = now_ms;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		*retry_after_ms = 0;
		return VQ_OK;
	}
	double wait = ceil((1.0 - b->tokens) * 1000.0 / lim->rate_per_s);
	*retry_after_ms = wait < 1 ? 1 : (int64_t)wait;
	if (warn && (b->warned_ms == INT64_MIN || now_ms - b->warned_ms >= VQ_RATELIMIT_WARN_MS)) {
		*warn = 1;
		b->warned_ms = now_ms;
	}
	return VQ_ERATELIMIT;
}
