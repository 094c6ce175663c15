/* coordinator/clock.h — the time vqd gives core: the real clock, or a demo clock that
 * starts where asked and runs at any speed; and local midnights in the site's zone. */
#ifndef VQ_CLOCK_H
#define VQ_CLOCK_H

#include <stdint.h>

typedef struct vq_clock {
	int64_t start;     /* site time at the moment the clock was made */
	double speed;      /* site seconds per real second */
	double mono_start; /* CLOCK_MONOTONIC at that moment */
	int real;          /* 1: plain wall clock */
} vq_clock;

/* spec: NULL (the wall clock), Unix seconds, or "HH:MM" (today, local time). Uses the
 * process's TZ, which vqd sets to the site's timezone. -1 if spec does not parse. */
int vq_clock_init(vq_clock *c, const char *spec, double speed);
int64_t vq_clock_now(const vq_clock *c);

/* The instant of local midnight of the day that holds t (TZ of the process). */
int64_t vq_local_midnight(int64_t t);

#endif
