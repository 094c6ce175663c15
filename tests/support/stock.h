/* tests/support/stock.h — a stock MQTT 5 client for tests: libmosquitto used directly, not
 * bus/, so a test can do what any outside client may (any response topic, any request
 * topic, a Last Will anywhere, dying without a DISCONNECT) and see what the broker and
 * vqd make of it.
 *
 * One client = one connection with its own network thread (mosquitto_loop_start). Every
 * received message is kept (topic, payload, correlation data, retain flag) until the
 * client is freed; the PUBACK reason code of every QoS 1 publish is kept by message id.
 * Every wait is bounded. Functions return enum vq_err (VQ_ETIMEOUT when a wait ran out).
 */
#ifndef VQ_TEST_STOCK_H
#define VQ_TEST_STOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/vq.h"

typedef struct vq_stock vq_stock;

typedef struct vq_stock_opts {
	const char *host; /* NULL: 127.0.0.1 */
	int port;
	const char *client_id; /* NULL: username (the broker makes it so anyway) */
	const char *username, *password;
	const char *cafile, *certfile, *keyfile; /* TLS when cafile is set */
	const char *will_topic, *will_payload;   /* a Last Will (QoS 1) when will_topic is set */
	bool will_retain;
} vq_stock_opts;

typedef struct vq_stock_msg {
	const char *topic, *payload, *corr; /* corr NULL: none */
	bool retain;
} vq_stock_msg;

/* Connects (MQTT 5, clean start) and waits for the CONNACK. VQ_OK with *out set; otherwise
 * *out is NULL and *connack (if not NULL) holds the CONNACK's reason code, or -1 when
 * none came (the TLS handshake or the connection failed). */
int vq_stock_connect(const vq_stock_opts *o, int timeout_ms, vq_stock **out, int *connack);
/* A clean DISCONNECT (no Will), then frees. NULL is fine. */
void vq_stock_free(vq_stock *s);
/* Drops the connection without a DISCONNECT, as a crash would (the broker then publishes
 * the Will), then frees. */
void vq_stock_kill(vq_stock *s);

/* Subscribes (QoS 1) to n full topic filters and waits for every SUBACK. */
int vq_stock_subscribe(vq_stock *s, const char *const *filters, size_t n, int timeout_ms);

/* Publishes at QoS 1 without waiting; *mid identifies it for vq_stock_reason. response
 * and corr (both may be NULL) become the MQTT 5 Response Topic and Correlation Data. */
int vq_stock_send(vq_stock *s, const char *topic, const char *payload, bool retain,
                  const char *response, const char *corr, int *mid);
/* The PUBACK reason code of message mid, waiting up to timeout_ms: VQ_OK with *reason
 * (0, 0x10 no matching subscribers, 0x87 not authorized, ...), or VQ_ETIMEOUT. */
int vq_stock_reason(vq_stock *s, int mid, int timeout_ms, int *reason);
/* vq_stock_send + vq_stock_reason. */
int vq_stock_publish(vq_stock *s, const char *topic, const char *payload, bool retain,
                     const char *response, const char *corr, int timeout_ms, int *reason);

/* Messages received so far. *msg stays valid until vq_stock_free. */
size_t vq_stock_count(vq_stock *s);
vq_stock_msg vq_stock_at(vq_stock *s, size_t i);
/* Waits until at least n messages have been received. */
int vq_stock_wait_count(vq_stock *s, size_t n, int timeout_ms);
/* The first message from index *from on whose topic ends with topic_end (NULL: any) and
 * whose payload holds needle (NULL: any), waiting up to timeout_ms; *from is moved past
 * it. VQ_ENOTFOUND if none came. */
int vq_stock_find(vq_stock *s, size_t *from, const char *topic_end, const char *needle,
                  int timeout_ms, vq_stock_msg *out);

#endif
