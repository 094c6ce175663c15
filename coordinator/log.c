/* coordinator/log.c — see log.h. The level is process-wide: one daemon, one log. */
#include "coordinator/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int threshold = VQ_LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void vq_log_set_level(int level)
{
	threshold = level;
}

int vq_log_parse_level(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

void vq_log(int level, const char *fmt, ...)
{
	if (level < threshold || level < 0 || level > VQ_LOG_ERROR)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	/* one fprintf per line, so lines from threads never interleave */
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ vqd %s: %s\n", tm.tm_year + 1900,
	        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
	        names[level], msg);
}
