/* clock/clock.c — the site's clock (see clock.h).
 *
 * Owns the options, the demo clock and the smooth following of the wall clock. Everything
 * is kept in microseconds so that following at 1/8 of the elapsed time never rounds to
 * nothing between two close readings. Invariant: a clock's readings never decrease.
 */
#include "clock/clock.h"

#include "clock/zone.h"
#include "core/vq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SPEED 10000.0

static int64_t read_us(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void vq_clockopt_init(vq_clockopt *o)
{
	memset(o, 0, sizeof *o);
	o->speed = 1.0;
}

const char *vq_clockopt_usage(void)
{
	return "  --clock-start T       demo clock reading T (Unix s, YYYY-MM-DDTHH:MM[:SS]Z or\n"
	       "                        +HH:MM, or HH:MM today in the site's zone)\n"
	       "  --clock-speed X       demo clock speed, site seconds a real second (1)\n"
	       "  --clock-origin R      real Unix time at which the demo clock reads T (now)\n";
}

static int parse_2(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "Z", "+HH:MM" or "-HH:MM" exactly: seconds east of UTC. */
static int parse_offset(const char *s, int64_t *off)
{
	if (strcmp(s, "Z") == 0) {
		*off = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':')
		return -1;
	int h = parse_2(s + 1), m = parse_2(s + 4);
	if (h < 0 || h > 26 || m < 0 || m > 59)
		return -1;
	*off = (s[0] == '-' ? -1 : 1) * ((int64_t)h * 3600 + m * 60);
	return 0;
}

int vq_clock_parse_time(const char *s, const char *zone, int64_t wall_ms, int64_t *out_ms)
{
	if (!s || !*s || !out_ms)
		return VQ_EINVAL;
	size_t len = strlen(s);
	if (strspn(s, "0123456789") == len) {
		errno = 0;
		char *end;
		long long v = strtoll(s, &end, 10);
		if (errno || v <= 0 || v > INT64_MAX / 1000)
			return VQ_EINVAL;
		*out_ms = (int64_t)v * 1000;
		return VQ_OK;
	}
	if (len == 5 && s[2] == ':') {
		int h = parse_2(s), m = parse_2(s + 3);
		if (h < 0 || h > 23 || m < 0 || m > 59 || !zone || !*zone)
			return VQ_EINVAL;
		vq_day day;
		if (vq_zone_day_of(zone, wall_ms / 1000, &day) != VQ_OK)
			return VQ_EINVAL;
		*out_ms = vq_day_opening(&day, h * 60 + m) * 1000;
		return VQ_OK;
	}
	/* YYYY-MM-DDTHH:MM[:SS] and an offset */
	if (len < 17 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':')
		return VQ_EINVAL;
	int y = parse_2(s) * 100 + parse_2(s + 2);
	int mo = parse_2(s + 5), d = parse_2(s + 8), h = parse_2(s + 11), mi = parse_2(s + 14);
	int sec = 0;
	const char *rest = s + 16;
	if (*rest == ':') {
		sec = parse_2(rest + 1);
		rest += 3;
	}
	int64_t off;
	if (parse_2(s) < 0 || parse_2(s + 2) < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || parse_offset(rest, &off) != 0)
		return VQ_EINVAL;
	int32_t date = vq_date_from_ymd(y, mo, d);
	int yy, mm, dd;
	vq_date_to_ymd(date, &yy, &mm, &dd);
	if (mm != mo || dd != d)
		return VQ_EINVAL; /* 31 April */
	int64_t t = (int64_t)date * 86400 + h * 3600 + mi * 60 + sec - off;
	if (t <= 0)
		return VQ_EINVAL;
	*out_ms = t * 1000;
	return VQ_OK;
}

int vq_clockopt_parse(vq_clockopt *o, int argc, char **argv, int *i, char *err, size_t errlen)
{
	const char *a = argv[*i];
	if (strcmp(a, "--clock-start") != 0 && strcmp(a, "--clock-speed") != 0 &&
	    strcmp(a, "--clock-origin") != 0)
		return 0;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s needs a value", a);
		return -1;
	}
	const char *v = argv[*i + 1];
	*i += 2;
	if (strcmp(a, "--clock-start") == 0) {
		if (!*v || strlen(v) >= sizeof o->start) {
			snprintf(err, errlen, "--clock-start: expected a time, got '%.64s'", v);
			return -1;
		}
		snprintf(o->start, sizeof o->start, "%s", v);
		return 1;
	}
	if (strcmp(a, "--clock-speed") == 0) {
		char *end;
		errno = 0;
		double x = strtod(v, &end);
		if (errno || end == v || *end || !(x > 0) || x > MAX_SPEED) {
			snprintf(err, errlen, "--clock-speed: expected 0 < X <= 10000, got '%.64s'",
			         v);
			return -1;
		}
		o->speed = x;
		return 1;
	}
	int64_t ms;
	if (strspn(v, "0123456789") != strlen(v) || vq_clock_parse_time(v, NULL, 0, &ms) != VQ_OK) {
		snprintf(err, errlen, "--clock-origin: expected Unix seconds, got '%.64s'", v);
		return -1;
	}
	o->origin_ms = ms;
	return 1;
}

int vq_clock_init(vq_clock *c, const vq_clockopt *o, const char *zone, char *err, size_t errlen)
{
	vq_clockopt dflt;
	if (!o) {
		vq_clockopt_init(&dflt);
		o = &dflt;
	}
	if (!(o->speed > 0) || o->speed > MAX_SPEED) {
		snprintf(err, errlen, "--clock-speed: expected 0 < X <= 10000");
		return VQ_EINVAL;
	}
	vq_clock fresh;
	memset(&fresh, 0, sizeof fresh);
	fresh.speed = 1.0;
	fresh.mono_us0 = read_us(CLOCK_MONOTONIC);
	int64_t wall_us = read_us(CLOCK_REALTIME);
	if (o->start[0]) {
		int64_t start_ms;
		if (vq_clock_parse_time(o->start, zone, wall_us / 1000, &start_ms) != VQ_OK) {
			snprintf(err, errlen,
			         "--clock-start: expected Unix seconds, YYYY-MM-DDTHH:MM[:SS]Z (or "
			         "+HH:MM)%s, got '%.64s'",
			         zone && *zone ? " or HH:MM" : "", o->start);
			return VQ_EINVAL;
		}
		fresh.demo = 1;
		fresh.speed = o->speed;
		/* where the clock is now if it read start at origin */
		int64_t since = o->origin_ms ? wall_us - o->origin_ms * 1000 : 0;
		fresh.start_us = start_ms * 1000 + (int64_t)((double)since * o->speed);
	} else if (o->speed != 1.0 || o->origin_ms) {
		snprintf(err, errlen, "--clock-speed and --clock-origin need --clock-start");
		return VQ_EINVAL;
	}
	*c = fresh;
	return VQ_OK;
}

int64_t vq_clock_step_us(vq_clock *c, int64_t wall_us, int64_t mono_us)
{
	if (c->demo)
		return c->start_us + (int64_t)((double)(mono_us - c->mono_us0) * c->speed);
	if (!c->started) {
		c->started = 1;
		c->last_us = wall_us;
		c->last_mono_us = mono_us;
		return wall_us;
	}
	int64_t dt = mono_us - c->last_mono_us;
	if (dt < 0)
		dt = 0;
	int64_t ahead = c->last_us + dt; /* where elapsed time alone puts us */
	int64_t err = wall_us - ahead;
	int64_t allow = dt / VQ_CLOCK_SLEW;
	int64_t now;
	if (err > (int64_t)VQ_CLOCK_ADOPT_MS * 1000)
		now = wall_us; /* far behind: this clock never had the time, take it */
	else if (err > allow)
		now = ahead + allow;
	else if (err < -allow)
		now = ahead - allow;
	else
		now = wall_us;
	if (now < c->last_us)
		now = c->last_us;
	c->last_us = now;
	c->last_mono_us = mono_us;
	return now;
}

int64_t vq_clock_now_ms(vq_clock *c)
{
	int64_t us =
	    vq_clock_step_us(c, c->demo ? 0 : read_us(CLOCK_REALTIME), read_us(CLOCK_MONOTONIC));
	return us / 1000;
}

int64_t vq_clock_now(vq_clock *c)
{
	return vq_clock_now_ms(c) / 1000;
}

double vq_clock_speed(const vq_clock *c)
{
	return c->speed;
}

int vq_clock_is_demo(const vq_clock *c)
{
	return c->demo;
}
