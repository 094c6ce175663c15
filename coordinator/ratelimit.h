/* coordinator/ratelimit.h — how fast one account may ask vqd: a token bucket per account
 * and role (the limits of core/site.h).
 *
 * The table of buckets has a fixed size, so what clients send never makes it grow: when an
 * account needs a bucket and the table is full, the bucket idle longest is given up. A
 * bucket idle long enough to have filled up again knows nothing a new one would not; the
 * table is sized (VQD_RATE_BUCKETS) well above the accounts a site has, which the broker
 * authenticates, so only a table full of busy accounts would forget one early. Time is a
 * parameter (milliseconds of a monotonic clock, not the site's clock, which a demo may
 * run fast), so all of it is tested without sleeping.
 */
#ifndef VQ_RATELIMIT_H
#define VQ_RATELIMIT_H

#include "core/site.h"

#include <stddef.h>
#include <stdint.h>

#define VQ_RATELIMIT_ACCOUNT_MAX 65 /* an account (client id): 1..64 bytes, plus NUL */
#define VQ_RATELIMIT_WARN_MS     60000

typedef struct vq_ratelimit vq_ratelimit;

/* A table of at most max (>= 1) buckets, allocated whole now. */
int vq_ratelimit_new(size_t max, vq_ratelimit **out);
void vq_ratelimit_free(vq_ratelimit *rl); /* NULL is fine */

/* Takes one request of account (in role, whose limit is lim) at now_ms. VQ_OK if its
 * bucket held a token; VQ_ERATELIMIT if not, with *retry_after_ms (>= 1) until it will
 * hold one, and nothing taken. *warn (may be NULL) is set on a refusal when the account's
 * previous warned refusal is VQ_RATELIMIT_WARN_MS old or more, so a flood is logged once a
 * minute, not once a request. VQ_EINVAL for an empty or too long account or a bad lim. */
int vq_ratelimit_take(vq_ratelimit *rl, const char *account, int role, const vq_limit *lim,
                      int64_t now_ms, int64_t *retry_after_ms, int *warn);

size_t vq_ratelimit_count(const vq_ratelimit *rl); /* buckets in use */

#endif
