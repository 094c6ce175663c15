/* coordinator/clock.c — see clock.h. */
#include "coordinator/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t vq_local_midnight(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int vq_clock_init(vq_clock *c, const char *spec, double speed)
{
	memset(c, 0, sizeof *c);
	c->speed = speed > 0 ? speed : 1.0;
	c->mono_start = mono();
	if (!spec) {
		c->real = speed <= 0 || speed == 1.0;
		c->start = (int64_t)time(NULL);
		return 0;
	}
	int hh, mm;
	char tail;
	if (sscanf(spec, "%d:%d%c", &hh, &mm, &tail) == 2) {
		if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
			return -1;
		c->start = vq_local_midnight((int64_t)time(NULL)) + hh * 3600 + mm * 60;
		return 0;
	}
	char *end;
	long long v = strtoll(spec, &end, 10);
	if (*end || v <= 0)
		return -1;
	c->start = v;
	return 0;
}

int64_t vq_clock_now(const vq_clock *c)
{
	if (c->real)
		return (int64_t)time(NULL);
	return c->start + (int64_t)((mono() - c->mono_start) * c->speed);
}
