/* core/overbook.h — how much to overbook an attraction, from the no-shows measured so far.
 *
 * A guest who takes a return ticket and never comes leaves a seat of the fast lane empty.
 * If a share p of the seats sold are not used, selling base / (1 - p) seats fills the
 * base capacity on average: overbook = p / (1 - p). The rule is built to be safe:
 *   - it needs a minimum sample (seats whose admission interval has ended), so one quiet
 *     morning hour does not set the day's policy;
 *   - it takes, instead of the measured rate, the lower end of its one-sided 95 %
 *     confidence interval (Wilson score), so a small or noisy sample suggests less;
 *   - it rounds down and is capped, so a broken day (a ride down all afternoon) cannot
 *     suggest selling twice the ride.
 * It only suggests: vqd publishes it beside the current overbook %, the operator decides.
 * Pure arithmetic; no state.
 */
#ifndef VQ_OVERBOOK_H
#define VQ_OVERBOOK_H

#include "book.h"

#define VQ_OVERBOOK_MIN_SAMPLE 200   /* seats whose interval ended */
#define VQ_OVERBOOK_MAX_PCT    50    /* a suggestion never exceeds this */
#define VQ_OVERBOOK_Z          1.645 /* one-sided 95 % */

typedef struct vq_overbook_rule {
	int64_t min_sample; /* >= 1 */
	int max_pct;        /* 0..100 (the book's overbook range) */
	double z;           /* confidence: standard normal quantile, 0..10 */
} vq_overbook_rule;

typedef struct vq_overbook_advice {
	int suggested_pct; /* 0..max_pct, or -1 when the sample is below min_sample */
	double rate;       /* no_shows / seats; 0 with no seats */
	double rate_low;   /* the lower confidence bound the suggestion is built on */
} vq_overbook_advice;

/* The site-wide defaults above. */
vq_overbook_rule vq_overbook_default_rule(void);

/* Suggests an overbook % from a measured sample (vq_book_noshows). rule NULL: defaults.
 * VQ_EINVAL for a sample with no_shows outside 0..seats or a rule out of range; *out is
 * then untouched. */
int vq_overbook_suggest(const vq_noshow *sample, const vq_overbook_rule *rule,
                        vq_overbook_advice *out);

#endif
