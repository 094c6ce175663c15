/* clock/clock.h — the site's clock: the one "now" of every vq program.
 *
 * Every program of a site (vqd, vq-kiosk, vq-gate, vq-display, vq-sim) takes its time
 * from a vq_clock made from the same options, so all of them show and judge the same time:
 *   --clock-start T    a demo clock that reads T at the real instant --clock-origin
 *                      (T: Unix seconds; YYYY-MM-DDTHH:MM[:SS] with Z or +HH:MM; or HH:MM,
 *                      today in the site's zone, where the program knows the zone)
 *   --clock-speed X    the demo clock runs X times as fast as real time (0 < X <= 10000)
 *   --clock-origin R   the real Unix time (seconds) at which the demo clock reads T;
 *                      default: when the program starts. tools/run-demo gives every
 *                      program the same T, X and R, so their clocks agree to the ms.
 * Without --clock-start a program runs on the wall clock.
 *
 * Both kinds are driven by CLOCK_MONOTONIC, so an NTP step of the system clock breaks
 * nothing: a demo clock ignores it, and the wall clock is followed smoothly — time never
 * goes back, and an error of up to VQ_CLOCK_ADOPT_MS is worked off by running 1/8 slower
 * or faster until the clock agrees with the system's again (a step back of 5 minutes
 * takes 40 minutes), so no admission window opens twice and no timeout fires early. Only a
 * clock found far behind (more than VQ_CLOCK_ADOPT_MS: the program started before the
 * machine's first sync) jumps forward at once.
 * Not thread-safe: one thread reads a clock.
 */
#ifndef VQ_CLOCK_H
#define VQ_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define VQ_CLOCK_ADOPT_MS (15 * 60 * 1000)
#define VQ_CLOCK_SLEW     8 /* the wall clock is followed at 1 +- 1/8 speed */

typedef struct vq_clockopt {
	char start[64];    /* --clock-start as given; "" = the wall clock */
	double speed;      /* --clock-speed; 1 by default */
	int64_t origin_ms; /* --clock-origin in ms; 0 = when the clock is made */
} vq_clockopt;

typedef struct vq_clock {
	int demo;
	double speed;
	int64_t start_us; /* demo: the reading at mono_us0 */
	int64_t mono_us0; /* CLOCK_MONOTONIC when the clock was made */
	int64_t last_us;  /* wall: the last reading given out, and when (monotonic) */
	int64_t last_mono_us;
	int started;
} vq_clock;

void vq_clockopt_init(vq_clockopt *o);
/* If argv[*i] is one of the options above, consumes it and its value and returns 1; 0 if
 * it is not ours; -1 with a message naming the option in err if the value is bad. */
int vq_clockopt_parse(vq_clockopt *o, int argc, char **argv, int *i, char *err, size_t errlen);
const char *vq_clockopt_usage(void); /* the option lines for a usage message */

/* Makes the clock the options describe. zone (IANA name, or NULL when the program does
 * not know it yet) resolves an HH:MM start. VQ_EINVAL with a message in err. */
int vq_clock_init(vq_clock *c, const vq_clockopt *o, const char *zone, char *err, size_t errlen);

int64_t vq_clock_now(vq_clock *c);    /* Unix seconds */
int64_t vq_clock_now_ms(vq_clock *c); /* Unix milliseconds */
double vq_clock_speed(const vq_clock *c);
int vq_clock_is_demo(const vq_clock *c);

/* The clock's rule on given readings (microseconds), for tests: what vq_clock_now_ms
 * does with the system's wall clock and CLOCK_MONOTONIC. Monotonic readings must not
 * decrease. */
int64_t vq_clock_step_us(vq_clock *c, int64_t wall_us, int64_t mono_us);

/* Parses a time as --clock-start takes it, into Unix ms (HH:MM needs zone). */
int vq_clock_parse_time(const char *s, const char *zone, int64_t wall_ms, int64_t *out_ms);

#endif
