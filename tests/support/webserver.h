/* tests/support/webserver.h — the project's web server (Debian's lighttpd with
 * web/lighttpd.conf.in) for one test, on a free 127.0.0.1 port: it serves the built pages
 * and carries their WebSockets to a web broker (phones) and to the site broker (the
 * operators' console).
 *
 * The server is a child of the calling thread and dies with it; stopping always reaps
 * it. Its scratch folder holds the rendered lighttpd.conf, its error log and the
 * compressed-file cache. Functions return enum vq_err: VQ_EBUS if lighttpd is missing or
 * would not start (its log is copied to stderr), VQ_ETIMEOUT if it did not accept
 * connections within ~5 s.
 */
#ifndef VQ_TEST_WEBSERVER_H
#define VQ_TEST_WEBSERVER_H

#include "core/vq.h"

typedef struct vq_test_web vq_test_web;

/* root: the built pages (VQ_BINARY_DIR/web); mqtt_port: the web broker's (phones, /mqtt);
 * ops_port: the site broker's plain loopback listener (the operators' console, /ops/mqtt). */
int vq_test_web_start(const char *root, int mqtt_port, int ops_port, vq_test_web **out);
int vq_test_web_port(const vq_test_web *w);
/* SIGTERM, reap, remove the folder (kept with VQ_KEEP_BROKER_DIR), free. NULL is fine. */
void vq_test_web_stop(vq_test_web *w);

/* True if lighttpd is installed (so a caller can skip with a clear message). */
int vq_test_web_available(void);

#endif
