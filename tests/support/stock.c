/* tests/support/stock.c — see stock.h. Owns one libmosquitto client and what it received.
 *
 * Invariants: everything the callbacks (network thread) touch is guarded by s->mu; the
 * strings of a received message are allocated once and never move or change until
 * vq_stock_free, so vq_stock_msg copies stay valid.
 */
#include "support/stock.h"
#include "support/tutil.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct ack {
	int mid, reason;
};

struct vq_stock {
	struct mosquitto *m;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int connack; /* -1 until a CONNACK */
	bool gone;   /* the connection closed */
	int subacks;
	struct ack *acks;
	size_t nacks, capacks;
	vq_stock_msg *rx;
	size_t nrx, caprx;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	mosquitto_lib_init();
}

/* Under s->mu: waits for a signal or until the deadline; false once it has passed. */
static bool wait_until(vq_stock *s, long long deadline)
{
	long long left = deadline - tu_mono_ms();
	if (left <= 0)
		return false;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long ns = ts.tv_nsec + (left < 50 ? left : 50) * 1000000LL;
	ts.tv_sec += (time_t)(ns / 1000000000LL);
	ts.tv_nsec = (long)(ns % 1000000000LL);
	pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	return true;
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                       const mosquitto_property *p)
{
	vq_stock *s = obj;
	pthread_mutex_lock(&s->mu);
	s->connack = rc;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *p)
{
	vq_stock *s = obj;
	pthread_mutex_lock(&s->mu);
	s->gone = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
                         const mosquitto_property *p)
{
	vq_stock *s = obj;
	pthread_mutex_lock(&s->mu);
	s->subacks++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int reason,
                       const mosquitto_property *p)
{
	vq_stock *s = obj;
	pthread_mutex_lock(&s->mu);
	if (s->nacks == s->capacks) {
		size_t cap = s->capacks ? s->capacks * 2 : 64;
		struct ack *a = realloc(s->acks, cap * sizeof *a);
		if (!a)
			abort();
		s->acks = a;
		s->capacks = cap;
	}
	s->acks[s->nacks++] = (struct ack){mid, reason};
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static char *dup_n(const void *p, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		abort();
	if (n)
		memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
	vq_stock *s = obj;
	void *corr = NULL;
	uint16_t clen = 0;
	mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &clen, false);
	vq_stock_msg r = {.topic = dup_n(msg->topic, strlen(msg->topic)),
	                  .payload = dup_n(msg->payload, (size_t)msg->payloadlen),
	                  .corr = corr ? dup_n(corr, clen) : NULL,
	                  .retain = msg->retain};
	free(corr);
	pthread_mutex_lock(&s->mu);
	if (s->nrx == s->caprx) {
		size_t cap = s->caprx ? s->caprx * 2 : 64;
		vq_stock_msg *a = realloc(s->rx, cap * sizeof *a);
		if (!a)
			abort();
		s->rx = a;
		s->caprx = cap;
	}
	s->rx[s->nrx++] = r;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void destroy(vq_stock *s)
{
	if (s->m) {
		/* Disconnecting first makes the loop thread end by itself: cancelling it could
		 * catch it inside a reconnect's getaddrinfo, which then leaks. */
		mosquitto_disconnect(s->m);
		mosquitto_loop_stop(s->m, false);
		mosquitto_destroy(s->m);
	}
	for (size_t i = 0; i < s->nrx; i++) {
		free((char *)s->rx[i].topic);
		free((char *)s->rx[i].payload);
		free((char *)s->rx[i].corr);
	}
	free(s->rx);
	free(s->acks);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

int vq_stock_connect(const vq_stock_opts *o, int timeout_ms, vq_stock **out, int *connack)
{
	*out = NULL;
	if (connack)
		*connack = -1;
	pthread_once(&lib_once, lib_init);
	vq_stock *s = calloc(1, sizeof *s);
	if (!s)
		return VQ_ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->connack = -1;
	int rc = VQ_EBUS;
	s->m = mosquitto_new(o->client_id ? o->client_id : o->username, true, s);
	if (!s->m)
		goto fail;
	mosquitto_int_option(s->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	if (o->username && mosquitto_username_pw_set(s->m, o->username, o->password))
		goto fail;
	if (o->cafile &&
	    mosquitto_tls_set(s->m, o->cafile, NULL, o->certfile, o->keyfile, NULL) != 0)
		goto fail;
	if (o->will_topic &&
	    mosquitto_will_set_v5(s->m, o->will_topic, (int)strlen(o->will_payload),
	                          o->will_payload, 1, o->will_retain, NULL) != MOSQ_ERR_SUCCESS)
		goto fail;
	mosquitto_connect_v5_callback_set(s->m, on_connect);
	mosquitto_disconnect_v5_callback_set(s->m, on_disconnect);
	mosquitto_subscribe_v5_callback_set(s->m, on_subscribe);
	mosquitto_publish_v5_callback_set(s->m, on_publish);
	mosquitto_message_v5_callback_set(s->m, on_message);
	if (mosquitto_connect_bind_v5(s->m, o->host ? o->host : "127.0.0.1", o->port, 30, NULL,
	                              NULL) != MOSQ_ERR_SUCCESS ||
	    mosquitto_loop_start(s->m) != MOSQ_ERR_SUCCESS)
		goto fail;
	long long deadline = tu_mono_ms() + timeout_ms;
	pthread_mutex_lock(&s->mu);
	while (s->connack < 0 && !s->gone && wait_until(s, deadline))
		;
	int got = s->connack;
	pthread_mutex_unlock(&s->mu);
	if (connack)
		*connack = got;
	if (got == 0) {
		*out = s;
		return VQ_OK;
	}
	rc = got < 0 ? VQ_ETIMEOUT : VQ_EDENIED;
fail:
	if (s->m)
		mosquitto_disconnect(s->m);
	destroy(s);
	return rc;
}

void vq_stock_free(vq_stock *s)
{
	if (!s)
		return;
	/* Let the DISCONNECT out before the thread stops, or the broker sees a death. */
	if (mosquitto_disconnect_v5(s->m, 0, NULL) == MOSQ_ERR_SUCCESS) {
		long long deadline = tu_mono_ms() + 2000;
		pthread_mutex_lock(&s->mu);
		while (!s->gone && wait_until(s, deadline))
			;
		pthread_mutex_unlock(&s->mu);
	}
	destroy(s);
}

void vq_stock_kill(vq_stock *s)
{
	if (!s)
		return;
	/* The broker sees the socket close with no DISCONNECT before it: a dead client. */
	int fd = mosquitto_socket(s->m);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	long long deadline = tu_mono_ms() + 2000;
	pthread_mutex_lock(&s->mu);
	while (!s->gone && wait_until(s, deadline))
		;
	pthread_mutex_unlock(&s->mu);
	destroy(s);
}

int vq_stock_subscribe(vq_stock *s, const char *const *filters, size_t n, int timeout_ms)
{
	pthread_mutex_lock(&s->mu);
	int want = s->subacks + (int)n;
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++)
		if (mosquitto_subscribe_v5(s->m, NULL, filters[i], 1, 0, NULL) != MOSQ_ERR_SUCCESS)
			return VQ_EBUS;
	long long deadline = tu_mono_ms() + timeout_ms;
	pthread_mutex_lock(&s->mu);
	while (s->subacks < want && wait_until(s, deadline))
		;
	int rc = s->subacks >= want ? VQ_OK : VQ_ETIMEOUT;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int vq_stock_send(vq_stock *s, const char *topic, const char *payload, bool retain,
                  const char *response, const char *corr, int *mid)
{
	mosquitto_property *props = NULL;
	if (response)
		mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, response);
	if (corr)
		mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, corr,
		                              (uint16_t)strlen(corr));
	int rc =
	    mosquitto_publish_v5(s->m, mid, topic, (int)strlen(payload), payload, 1, retain, props);
	mosquitto_property_free_all(&props);
	return rc == MOSQ_ERR_SUCCESS ? VQ_OK : VQ_EBUS;
}

int vq_stock_reason(vq_stock *s, int mid, int timeout_ms, int *reason)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	int rc = VQ_ETIMEOUT;
	pthread_mutex_lock(&s->mu);
	for (size_t seen = 0;;) {
		for (; seen < s->nacks && rc != VQ_OK; seen++)
			if (s->acks[seen].mid == mid) {
				*reason = s->acks[seen].reason;
				rc = VQ_OK;
			}
		if (rc == VQ_OK || !wait_until(s, deadline))
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int vq_stock_publish(vq_stock *s, const char *topic, const char *payload, bool retain,
                     const char *response, const char *corr, int timeout_ms, int *reason)
{
	int mid = 0;
	int rc = vq_stock_send(s, topic, payload, retain, response, corr, &mid);
	return rc == VQ_OK ? vq_stock_reason(s, mid, timeout_ms, reason) : rc;
}

size_t vq_stock_count(vq_stock *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->nrx;
	pthread_mutex_unlock(&s->mu);
	return n;
}

vq_stock_msg vq_stock_at(vq_stock *s, size_t i)
{
	pthread_mutex_lock(&s->mu);
	vq_stock_msg m = i < s->nrx ? s->rx[i] : (vq_stock_msg){0};
	pthread_mutex_unlock(&s->mu);
	return m;
}

int vq_stock_wait_count(vq_stock *s, size_t n, int timeout_ms)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	pthread_mutex_lock(&s->mu);
	while (s->nrx < n && wait_until(s, deadline))
		;
	int rc = s->nrx >= n ? VQ_OK : VQ_ETIMEOUT;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static bool ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);
	return a >= b && strcmp(s + a - b, end) == 0;
}

int vq_stock_find(vq_stock *s, size_t *from, const char *topic_end, const char *needle,
                  int timeout_ms, vq_stock_msg *out)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	int rc = VQ_ENOTFOUND;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		for (; *from < s->nrx && rc != VQ_OK; (*from)++) {
			const vq_stock_msg *m = &s->rx[*from];
			if ((!topic_end || ends_with(m->topic, topic_end)) &&
			    (!needle || strstr(m->payload, needle))) {
				if (out)
					*out = *m;
				rc = VQ_OK;
			}
		}
		if (rc == VQ_OK || !wait_until(s, deadline))
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}
