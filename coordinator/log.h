/* coordinator/log.h — vqd's log: one line per event on stderr, with a level. */
#ifndef VQ_LOG_H
#define VQ_LOG_H

enum vq_log_level { VQ_LOG_DEBUG = 0, VQ_LOG_INFO, VQ_LOG_WARN, VQ_LOG_ERROR };

void vq_log_set_level(int level);
int vq_log_parse_level(const char *name); /* -1 if unknown */
void vq_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
