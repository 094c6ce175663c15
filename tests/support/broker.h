/* tests/support/broker.h — a real mosquitto broker for one test, on loopback only.
 *
 * Each broker gets a free 127.0.0.1 port, held for its whole life (even while the
 * broker is down, so that no parallel test can take it and clients see "refused"),
 * and a scratch folder holding its mosquitto.conf and mosquitto.log (the broker's
 * stdout and stderr). The conf is
 *     listener <port> 127.0.0.1
 *     [user root]      (only when running as root, to keep access to the folder)
 *     <template, or "allow_anonymous true" and "set_tcp_nodelay true">
 * where every "@DIR@" in the template becomes the scratch folder, so a template can
 * name password and ACL files that the test puts there (vq_test_broker_new, write the
 * files into vq_test_broker_dir, then vq_test_broker_up). A template that holds
 * "@PORT@" (broker-config/mosquitto-local.conf.in) gets the port there and writes its
 * own listener line, so ours is left out; one with its own "user" line keeps it. One
 * that holds "@TLS_PORT@" (broker-config/mosquitto-production.conf.in) gets a second
 * port of its own there, and 127.0.0.1 for "@TLS_BIND@".
 *
 * The broker is a child process of the test. Stopping always reaps it; on Linux it
 * also dies with the thread that started it, so a test that crashes leaves no broker
 * behind (start it from a thread that outlives it: the test's main thread).
 * Functions return enum vq_err: VQ_EBUS if mosquitto would not start (its log is
 * copied to stderr), VQ_ETIMEOUT if it did not accept connections within ~5 s.
 * VQ_KEEP_BROKER_DIR=1 in the environment keeps the folders for a post-mortem.
 */
#ifndef VQ_TEST_BROKER_H
#define VQ_TEST_BROKER_H

#include "core/vq.h"

typedef struct vq_test_broker vq_test_broker;

/* Picks the port, makes the folder and writes the conf; does not start the broker.
 * conf_template is a file path, or NULL for an anonymous broker. */
int vq_test_broker_new(const char *conf_template, vq_test_broker **out);
/* The same, with more names to replace in the template: vars holds NULL-terminated
 * name, value pairs ("@SITE_PORT@", "1883", ..., NULL), at most 32 names. */
int vq_test_broker_new_vars(const char *conf_template, const char *const *vars,
                            vq_test_broker **out);
/* Starts mosquitto and waits until its port accepts connections. */
int vq_test_broker_up(vq_test_broker *b);
/* SIGTERM, then SIGKILL if it has not exited within ~3 s; always reaps. Idempotent. */
void vq_test_broker_down(vq_test_broker *b);

/* new + up; on failure *out is NULL and nothing is left behind. */
int vq_test_broker_start(const char *conf_template, vq_test_broker **out);
/* down + up on the same port (clients reconnect to the same address). */
int vq_test_broker_restart(vq_test_broker *b);
/* down, remove the folder, free. NULL is fine. */
void vq_test_broker_stop(vq_test_broker *b);

int vq_test_broker_port(const vq_test_broker *b);
int vq_test_broker_tls_port(const vq_test_broker *b); /* 0: the template has no @TLS_PORT@ */
const char *vq_test_broker_dir(const vq_test_broker *b);
int vq_test_broker_pid(const vq_test_broker *b); /* 0 while down */

#endif
