/* tests/support/fixtures.h — the small site the core and store tests share: 4 tiers and
 * three attractions of different shapes, on a fixed day. */
#ifndef VQ_FIXTURES_H
#define VQ_FIXTURES_H

#include <stdint.h>

#include "core/day.h"

/* standard < silver (30% protected, 45 min release) < gold (20%, 30) < platinum (10%, 20);
 * coaster: 600/h x 50% x 15 min = 75 seats a slot, 09:00-21:00, window 60, party 8;
 * desk: a service, 24/h x 100% x 10 min = 4 seats, 10:00-18:00, window 20, party 4;
 * flume: 300/h x 40% x 30 min = 60 seats, 09:30-19:30, window 60, party 6. */
extern const char VQ_TEST_SITE[];

#define VQ_TEST_DAY INT64_C(1798675200) /* 2026-12-31 00:00 UTC; the site's zone is UTC */

/* The UTC day that begins at midnight (a multiple of 86400), for vq_book_new and the
 * service. The pointer stays valid for the next 7 calls. */
const vq_day *vq_test_day(int64_t midnight);

#endif
