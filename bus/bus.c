/* bus/bus.c — one MQTT 5 connection per vq_bus, driven by a thread of our own.
 *
 * Why not mosquitto_loop_start(): with libmosquitto 2.0.11 its thread (loop_forever)
 * was seen here to
 *   - never connect at all if the first connect_async is refused (a kiosk that boots
 *     before the broker stays offline for good);
 *   - end for good on an MQTT 5 CONNACK refusal (bad password, reported to it as
 *     MOSQ_ERR_PROTOCOL), after a single attempt; by its source it also ends on TLS
 *     errors and a stale errno of EPROTO.
 * A kiosk must come back by itself whatever happened, so our thread calls
 * mosquitto_loop() itself, reconnects with mosquitto_reconnect_async() on its own
 * jittered backoff, and waits between attempts on a condition variable that
 * vq_bus_free can signal. mosquitto_threaded_set(true) makes every other thread's
 * publish/subscribe only queue the packet and wake our select() via libmosquitto's
 * socket pair, so only our thread ever touches the socket. Our thread blocks all
 * signals: OpenSSL writes to a reset socket raise SIGPIPE (libmosquitto does not use
 * MSG_NOSIGNAL there), which must not kill the program.
 *
 * Also seen with 2.0.11: a TLS connect attempt whose socket is refused or reset
 * (broker restarting) makes mosquitto_loop spin on SSL_connect's EPIPE until keepalive
 * runs out; attempt_failed() catches that and we start over.
 *
 * Invariants:
 *   - b->mu guards every field below it in struct vq_bus. Callbacks run on the network
 *     thread with libmosquitto's callback_mutex held and take b->mu, and on_connect
 *     calls into libmosquitto while holding it; so threads other than the network
 *     thread never call libmosquitto while holding b->mu (that would invert the order).
 *   - the notification pipe holds exactly one byte iff the queue is not empty
 *     (fd_armed mirrors it); both change together under b->mu.
 *   - a reply whose correlation matches a waiting vq_bus_call goes to that caller and
 *     never into the queue; everything else is queued in arrival order.
 *   - connected is true only once the broker has acknowledged (SUBACK) every
 *     subscription made when this connection came up; a subscription is in the list
 *     and sent exactly once per connection, by on_connect or by vq_bus_subscribe.
 */
#include "bus/bus.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#define PRESENCE_MAX    384
#define RECENT_ACKS     64
#define OFFLINE_PENDING (-2) /* being published by vq_bus_free; mid not known yet */
#define LOOP_TIMEOUT_MS 1000
#define STOP_GRACE_MS   1000 /* for the offline presence to be acknowledged */
#define STOP_LIMIT_MS   1500 /* for the DISCONNECT to go out; then we just close */

/* One queued message: the link, the public part, then its strings in one block. */
struct qnode {
	struct qnode *next;
	size_t size; /* of the whole block: what it costs the queue */
	vq_bus_msg msg;
	char data[];
};

struct sub {
	char *topic; /* full filter */
	int qos;
};

/* A PUBACK seen: which message, the broker's verdict, and when (monotonic ms, so a
 * mid reused after 65535 publishes cannot be mistaken for a newer one). */
struct ack {
	int mid;
	int reason;
	int64_t at;
};

/* A vq_bus_call in progress; lives on the caller's stack, linked while it waits. */
struct waiter {
	struct waiter *next;
	char corr[VQ_BUS_CORR_MAX];
	size_t corr_len;
	struct qnode *reply;
	int mid;       /* of the request, once known; 0 before */
	int64_t since; /* PUBACKs older than this are not ours */
};

struct vq_bus {
	/* Fixed by vq_bus_new; read-only afterwards. */
	struct mosquitto *mosq;
	char *hosts[VQ_BUS_MAX_BROKERS];
	int ports[VQ_BUS_MAX_BROKERS];
	size_t nbrokers; /* >= 1 */
	int keepalive;
	char client_id[VQ_BUS_ID_MAX];
	char role[VQ_BUS_ID_MAX];
	char prefix[VQ_BUS_ID_MAX + 8]; /* "vq/v1/<site>/" */
	size_t prefix_len;
	char reply_topic[VQ_BUS_TOPIC_MAX];
	char presence_topic[VQ_BUS_TOPIC_MAX]; /* "": no presence (opts.no_presence) */
	char presence_name[VQ_BUS_ID_MAX];     /* the <name> of presence/<name> */
	bool presence_held;                    /* said online only while holding */
	size_t max_payload;
	size_t max_queue;
	size_t max_queue_bytes;
	unsigned backoff_min;
	unsigned backoff_max;
	bool state_messages;
	uint64_t nonce; /* makes correlation ids unique across restarts of one client */
	int pipe_r, pipe_w;
	pthread_t thread;

	/* Network thread only. */
	unsigned backoff_ms; /* current backoff step; 0 right after a successful connect */
	uint64_t rng;
	size_t cur;   /* the broker of the current attempt or connection */
	size_t tried; /* brokers that failed in turn since the last connection */

	pthread_mutex_t mu;
	pthread_cond_t cv;     /* owner-side waits: queue, replies, connection state */
	pthread_cond_t net_cv; /* the network thread's wait between connect attempts */
	struct qnode *qhead, *qtail;
	size_t qlen;
	size_t qbytes;
	bool fd_armed;
	struct sub *subs;
	size_t nsubs, capsubs;
	struct waiter *waiters;
	bool started, stopping;
	bool online;      /* CONNACK accepted on the current connection */
	bool holding;     /* presence_held: the owner holds the presence name */
	int at_broker;    /* index of the broker we are online with; -1 when not */
	bool connected;   /* online, and the broker acknowledged the subscriptions */
	int *suback_wait; /* mids of this connection's first SUBSCRIBEs not yet acked */
	size_t nsuback_wait;
	uint64_t corr_seq;
	int offline_mid;       /* of the offline presence; -1: none sent; or OFFLINE_PENDING */
	int64_t offline_since; /* when vq_bus_free began: older PUBACKs are not for it */
	struct ack recent_acks[RECENT_ACKS]; /* latest PUBACKs: offline_mid, calls */
	unsigned recent_ack_pos;
	vq_bus_stats st;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_rc;

static void lib_init(void)
{
	lib_rc = mosquitto_lib_init();
}

/* Getters take a const bus but must still lock; the mutex is not part of its value. */
static void lock(const vq_bus *b)
{
	pthread_mutex_lock((pthread_mutex_t *)&b->mu);
}

static void unlock(const vq_bus *b)
{
	pthread_mutex_unlock((pthread_mutex_t *)&b->mu);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Waits on cv until deadline (monotonic ms; < 0: forever). Returns ETIMEDOUT once it
 * has passed, else 0 (which may be spurious: callers re-check their condition). */
static int wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline)
{
	if (deadline < 0)
		return pthread_cond_wait(cv, mu);
	if (now_ms() >= deadline)
		return ETIMEDOUT;
	struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
	return pthread_cond_timedwait(cv, mu, &ts);
}

static int map_mosq(int rc)
{
	switch (rc) {
	case MOSQ_ERR_SUCCESS:
		return VQ_OK;
	case MOSQ_ERR_NOMEM:
		return VQ_ENOMEM;
	case MOSQ_ERR_INVAL:
	case MOSQ_ERR_MALFORMED_UTF8:
	case MOSQ_ERR_DUPLICATE_PROPERTY:
	case MOSQ_ERR_QOS_NOT_SUPPORTED:
	case MOSQ_ERR_RETAIN_NOT_SUPPORTED:
		return VQ_EINVAL;
	case MOSQ_ERR_PAYLOAD_SIZE:
	case MOSQ_ERR_OVERSIZE_PACKET:
		return VQ_ETOOBIG;
	default:
		return VQ_EBUS;
	}
}

/* Names that end up inside topics and presence JSON: no topic separators or
 * wildcards, nothing JSON would have to escape. */
static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) >= VQ_BUS_ID_MAX)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || c == '/' || c == '+' || c == '#' || c == '"' ||
		    c == '\\')
			return false;
	}
	return true;
}

/* Full topic for a suffix; a filter may hold wildcards, a topic may not. */
static int make_topic(const vq_bus *b, const char *suffix, bool filter, char out[VQ_BUS_TOPIC_MAX])
{
	if (!suffix || !*suffix || suffix[0] == '/')
		return VQ_EINVAL;
	int n = snprintf(out, VQ_BUS_TOPIC_MAX, "%s%s", b->prefix, suffix);
	if (n < 0 || n >= VQ_BUS_TOPIC_MAX)
		return VQ_EINVAL;
	if (mosquitto_validate_utf8(out, n) != MOSQ_ERR_SUCCESS)
		return VQ_EINVAL;
	int rc = filter ? mosquitto_sub_topic_check(out) : mosquitto_pub_topic_check(out);
	return rc == MOSQ_ERR_SUCCESS ? VQ_OK : VQ_EINVAL;
}

static struct qnode *node_new(const vq_bus *b, int kind, const char *topic, const void *payload,
                              size_t len, const char *rtopic, const void *corr, size_t corr_len,
                              const char *props, size_t props_len)
{
	size_t tlen = strlen(topic);
	size_t rlen = rtopic ? strlen(rtopic) + 1 : 0;
	size_t clen = corr ? corr_len + 1 : 0;
	size_t size = sizeof(struct qnode) + tlen + 1 + len + 1 + rlen + clen + props_len;
	struct qnode *n = malloc(size);
	if (!n)
		return NULL;
	char *p = n->data;
	memset(&n->msg, 0, sizeof n->msg);
	n->next = NULL;
	n->size = size;
	n->msg.kind = kind;

	memcpy(p, topic, tlen + 1);
	n->msg.topic = p;
	n->msg.suffix = strncmp(p, b->prefix, b->prefix_len) == 0 ? p + b->prefix_len : p;
	p += tlen + 1;

	if (len)
		memcpy(p, payload, len);
	p[len] = '\0';
	n->msg.payload = p;
	n->msg.len = len;
	p += len + 1;

	if (rtopic) {
		memcpy(p, rtopic, rlen);
		n->msg.response_topic = p;
		p += rlen;
	}
	if (corr) {
		memcpy(p, corr, corr_len);
		p[corr_len] = '\0';
		n->msg.corr = (const unsigned char *)p;
		n->msg.corr_len = corr_len;
		p += clen;
	}
	if (props_len) {
		memcpy(p, props, props_len);
		n->msg.props = p;
	}
	return n;
}

static struct qnode *node_of(vq_bus_msg *msg)
{
	return (struct qnode *)(void *)((char *)msg - offsetof(struct qnode, msg));
}

void vq_bus_msg_free(vq_bus_msg *msg)
{
	if (msg)
		free(node_of(msg));
}

/* Under b->mu. */
static void enqueue(vq_bus *b, struct qnode *n)
{
	if (b->qtail)
		b->qtail->next = n;
	else
		b->qhead = n;
	b->qtail = n;
	b->qlen++;
	b->qbytes += n->size;
	b->st.received++;
	if (!b->fd_armed) {
		/* The pipe never holds more than this one byte, so it cannot be full. */
		if (write(b->pipe_w, "m", 1) == 1)
			b->fd_armed = true;
	}
	pthread_cond_broadcast(&b->cv);
}

/* Under b->mu: a state message, if the owner asked for them. */
static void enqueue_state(vq_bus *b, int kind)
{
	if (!b->state_messages)
		return;
	struct qnode *n = node_new(b, kind, "", NULL, 0, NULL, NULL, 0, NULL, 0);
	if (n)
		enqueue(b, n);
	else
		b->st.dropped_nomem++;
}

static int presence_json(const vq_bus *b, bool online, bool stamp, char out[PRESENCE_MAX])
{
	char since[40] = "", by[VQ_BUS_ID_MAX + 16] = "";
	if (stamp)
		snprintf(since, sizeof since, ",\"since\":%lld", (long long)time(NULL));
	/* a shared name says which account speaks for it */
	if (strcmp(b->presence_name, b->client_id) != 0)
		snprintf(by, sizeof by, ",\"by\":\"%s\"", b->client_id);
	int n =
	    snprintf(out, PRESENCE_MAX, "{\"v\":1,\"id\":\"%s\",\"role\":\"%s\",\"online\":%s%s%s}",
	             b->presence_name, b->role, online ? "true" : "false", since, by);
	return n > 0 && n < PRESENCE_MAX ? n : -1;
}

/* Under b->mu: whether "online" may be said now. */
static bool says_online(const vq_bus *b)
{
	return b->presence_topic[0] && (!b->presence_held || b->holding);
}

/* ---- callbacks: network thread, libmosquitto's callback_mutex held ---- */

/* Under b->mu. */
static void mark_connected(vq_bus *b)
{
	b->connected = true;
	b->st.connects++;
	enqueue_state(b, VQ_BUS_CONNECTED);
	pthread_cond_broadcast(&b->cv);
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
	vq_bus *b = obj;
	if (rc != 0) {
		lock(b);
		b->st.refusals++;
		b->st.last_refusal = rc;
		pthread_cond_broadcast(&b->cv);
		unlock(b);
		return;
	}
	b->backoff_ms = 0;
	b->tried = 0;

	char js[PRESENCE_MAX];
	int jl = presence_json(b, true, true, js);
	lock(b);
	b->online = true;
	b->at_broker = (int)b->cur;
	free(b->suback_wait);
	b->nsuback_wait = 0;
	b->suback_wait = malloc((b->nsubs + 1) * sizeof *b->suback_wait);
	/* Subscribe from the list and set online in one critical section, so that a
	 * concurrent vq_bus_subscribe is sent exactly once: by us, or by itself. */
	int mid;
	if (mosquitto_subscribe(m, &mid, b->reply_topic, 1) == MOSQ_ERR_SUCCESS && b->suback_wait)
		b->suback_wait[b->nsuback_wait++] = mid;
	for (size_t i = 0; i < b->nsubs; i++) {
		if (mosquitto_subscribe(m, &mid, b->subs[i].topic, b->subs[i].qos) ==
		        MOSQ_ERR_SUCCESS &&
		    b->suback_wait)
			b->suback_wait[b->nsuback_wait++] = mid;
	}
	if (jl > 0 && says_online(b))
		mosquitto_publish_v5(m, NULL, b->presence_topic, jl, js, 1, true, NULL);
	/* Connected means the broker holds our subscriptions (SUBACK), so a request
	 * sent from now on cannot have its reply dropped for want of one. Without
	 * memory to track the SUBACKs we only know they were sent first, which the
	 * broker's in-order handling makes almost as good. */
	if (b->nsuback_wait == 0)
		mark_connected(b);
	unlock(b);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int count, const int *granted,
                         const mosquitto_property *props)
{
	vq_bus *b = obj;
	lock(b);
	for (int i = 0; i < count; i++)
		if (granted[i] >= 0x80)
			b->st.sub_refused++;
	for (size_t i = 0; i < b->nsuback_wait; i++) {
		if (b->suback_wait[i] == mid) {
			b->suback_wait[i] = b->suback_wait[--b->nsuback_wait];
			if (b->nsuback_wait == 0 && b->online && !b->connected)
				mark_connected(b);
			break;
		}
	}
	unlock(b);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props)
{
	vq_bus *b = obj;
	lock(b);
	b->online = false;
	b->at_broker = -1;
	b->nsuback_wait = 0;
	/* Also called when a connect attempt fails; only a lost connection counts. */
	if (b->connected) {
		b->connected = false;
		b->st.disconnects++;
		enqueue_state(b, VQ_BUS_DISCONNECTED);
	}
	pthread_cond_broadcast(&b->cv);
	unlock(b);
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int reason,
                       const mosquitto_property *props)
{
	vq_bus *b = obj;
	lock(b);
	b->recent_acks[b->recent_ack_pos++ % RECENT_ACKS] =
	    (struct ack){.mid = mid, .reason = reason, .at = now_ms()};
	if (reason >= 0x80)
		b->st.pub_refused++;
	/* A call whose request was refused, or reached nobody, need not wait on. */
	if (reason != 0 && b->waiters)
		pthread_cond_broadcast(&b->cv);
	unlock(b);
}

/* Under b->mu: the broker's verdict on our message mid sent at or after since, or -1
 * if no PUBACK for it has been seen. */
static int ack_reason(const vq_bus *b, int mid, int64_t since)
{
	for (unsigned i = 0; i < RECENT_ACKS; i++) {
		const struct ack *a = &b->recent_acks[i];
		if (a->mid == mid && a->at >= since)
			return a->reason;
	}
	return -1;
}

/* A message's user properties as "name\0value\0...\0" (malloc'd into *out); its length,
 * or 0 when it has none (or no memory: they are then missing, the message is not). */
static size_t user_props(const mosquitto_property *props, char **out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	char *name = NULL, *value = NULL;
	for (const mosquitto_property *p = mosquitto_property_read_string_pair(
	         props, MQTT_PROP_USER_PROPERTY, &name, &value, false);
	     p; p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value,
	                                                true)) {
		size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
		if (len + nl + vl + 1 > cap) {
			cap = (len + nl + vl + 1) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(name);
				free(value);
				free(buf);
				return 0;
			}
			buf = nb;
		}
		memcpy(buf + len, name, nl);
		memcpy(buf + len + nl, value, vl);
		len += nl + vl;
		free(name);
		free(value);
		name = value = NULL;
	}
	if (!buf)
		return 0;
	buf[len++] = '\0';
	*out = buf;
	return len;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *mm,
                       const mosquitto_property *props)
{
	vq_bus *b = obj;
	if (mm->payloadlen < 0 || (size_t)mm->payloadlen > b->max_payload) {
		lock(b);
		b->st.dropped_too_big++;
		unlock(b);
		return;
	}
	char *rtopic = NULL;
	void *corr = NULL;
	uint16_t corr_len = 0;
	mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &rtopic, false);
	mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &corr_len, false);
	char *up = NULL;
	size_t up_len = user_props(props, &up);
	struct qnode *n = node_new(b, VQ_BUS_MESSAGE, mm->topic, mm->payload,
	                           (size_t)mm->payloadlen, rtopic, corr, corr_len, up, up_len);
	free(rtopic);
	free(corr);
	free(up);

	lock(b);
	if (!n) {
		b->st.dropped_nomem++;
		goto out;
	}
	n->msg.qos = mm->qos;
	n->msg.retain = mm->retain;
	if (n->msg.corr && strcmp(n->msg.topic, b->reply_topic) == 0) {
		for (struct waiter *w = b->waiters; w; w = w->next) {
			if (!w->reply && w->corr_len == n->msg.corr_len &&
			    memcmp(w->corr, n->msg.corr, w->corr_len) == 0) {
				w->reply = n;
				b->st.received++;
				pthread_cond_broadcast(&b->cv);
				goto out;
			}
		}
	}
	if (b->qlen >= b->max_queue) {
		b->st.dropped_queue_full++;
		free(n);
		goto out;
	}
	if (b->qlen > 0 && b->qbytes + n->size > b->max_queue_bytes) {
		b->st.dropped_queue_bytes++;
		free(n);
		goto out;
	}
	enqueue(b, n);
out:
	unlock(b);
}

static void on_log(struct mosquitto *m, void *obj, int level, const char *text)
{
	const vq_bus *b = obj;
	fprintf(stderr, "vq-bus[%s]: %s\n", b->client_id, text);
}

/* ---- the network thread ---- */

static uint64_t rng_next(vq_bus *b)
{
	uint64_t x = b->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return b->rng = x;
}

/* Milliseconds to wait before the next connect attempt: the step doubles from
 * backoff_min to backoff_max; the wait is drawn from its upper half. */
static int64_t next_backoff(vq_bus *b)
{
	if (b->backoff_ms == 0)
		b->backoff_ms = b->backoff_min;
	else if (b->backoff_ms < b->backoff_max / 2)
		b->backoff_ms *= 2;
	else
		b->backoff_ms = b->backoff_max;
	unsigned half = b->backoff_ms / 2;
	return half + (int64_t)(rng_next(b) % (b->backoff_ms - half + 1));
}

/* When to try again after an attempt failed or a connection was lost: at once with the
 * next broker while some have not failed in this round, after the backoff once all have. */
static int64_t after_failure(vq_bus *b)
{
	if (b->nbrokers > 1) {
		b->cur = (b->cur + 1) % b->nbrokers;
		if (++b->tried < b->nbrokers)
			return now_ms();
		b->tried = 0;
	}
	return now_ms() + next_backoff(b);
}

static bool stopping(vq_bus *b)
{
	lock(b);
	bool s = b->stopping;
	unlock(b);
	return s;
}

static bool is_online(vq_bus *b)
{
	lock(b);
	bool on = b->online;
	unlock(b);
	return on;
}

static bool offline_acked(vq_bus *b)
{
	lock(b);
	bool acked = b->offline_mid == -1 || !b->connected ||
	             (b->offline_mid > 0 && ack_reason(b, b->offline_mid, b->offline_since) >= 0);
	unlock(b);
	return acked;
}

/* Lets the offline presence reach the broker, then says goodbye properly so the
 * broker does not publish our Will. Bounded: a dead broker just gets a closed socket. */
static void net_shutdown(vq_bus *b)
{
	struct mosquitto *m = b->mosq;
	/* Before CONNACK there is nobody to say goodbye to, and a half-made TLS
	 * connection may never carry our DISCONNECT: mosquitto_destroy will close it. */
	if (!is_online(b))
		return;
	int64_t grace = now_ms() + STOP_GRACE_MS;
	while (mosquitto_socket(m) >= 0 && !offline_acked(b) && now_ms() < grace)
		mosquitto_loop(m, 50, 1);
	mosquitto_disconnect(m);
	int64_t limit = now_ms() + STOP_LIMIT_MS;
	while (mosquitto_socket(m) >= 0 && now_ms() < limit)
		mosquitto_loop(m, 50, 1);
}

/* True if a connect attempt's socket was refused or reset. libmosquitto 2.0.11 does
 * not notice this during a TLS handshake: it takes SSL_connect's EPIPE for "try
 * again" and spins at full CPU until keepalive runs out. */
static bool attempt_failed(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

static void *net_main(void *arg)
{
	vq_bus *b = arg;
	struct mosquitto *m = b->mosq;
	int64_t next_attempt = 0;
	bool initialised = false;
	bool dead = false; /* the socket libmosquitto holds is known to be useless */

	while (!stopping(b)) {
		if (dead || mosquitto_socket(m) < 0) {
			int64_t now = now_ms();
			if (now < next_attempt) {
				lock(b);
				if (!b->stopping)
					wait_until(&b->net_cv, &b->mu, next_attempt);
				unlock(b);
				continue;
			}
			/* Non-blocking TCP connect; mosquitto_loop completes it. The first
			 * call also records host, port and keepalive for later reconnects;
			 * later ones close whatever socket is left first. */
			int rc = initialised && b->nbrokers == 1
			             ? mosquitto_reconnect_async(m)
			             : mosquitto_connect_bind_async(m, b->hosts[b->cur],
			                                            b->ports[b->cur], b->keepalive,
			                                            NULL);
			initialised = true;
			dead = false;
			if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(m) < 0) {
				next_attempt = after_failure(b);
				continue;
			}
		}
		/* An attempt that gets no CONNACK at all is closed by libmosquitto after
		 * keepalive seconds; one whose socket failed we abandon at once. */
		if (!is_online(b) && attempt_failed(mosquitto_socket(m))) {
			dead = true;
			next_attempt = after_failure(b);
			continue;
		}
		int rc = mosquitto_loop(m, LOOP_TIMEOUT_MS, 1);
		if (mosquitto_socket(m) < 0) {
			/* Lost, refused, or told to go by the broker (which also returns
			 * success): the next broker, or a wait before the next attempt. */
			next_attempt = after_failure(b);
		} else if (rc != MOSQ_ERR_SUCCESS) {
			/* A select() failure with the socket still open: do not spin. */
			struct timespec ts = {0, 50 * 1000000};
			nanosleep(&ts, NULL);
		}
	}
	net_shutdown(b);
	return NULL;
}

/* ---- construction ---- */

static uint64_t fresh_nonce(void)
{
	uint64_t n = 0;
	if (getrandom(&n, sizeof n, GRND_NONBLOCK) != (ssize_t)sizeof n) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		n = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
	}
	return n ? n : 0x9E3779B97F4A7C15ull;
}

/* A request's topic: the caller's suffix ("svc/issue") and our own client id, the account
 * the broker authenticated, so the responder learns who asks from the topic alone. */
static int make_request_topic(const vq_bus *b, const char *suffix, char out[VQ_BUS_TOPIC_MAX])
{
	char s[VQ_BUS_TOPIC_MAX];
	if (!suffix)
		return VQ_EINVAL;
	int n = snprintf(s, sizeof s, "%s/%s", suffix, b->client_id);
	if (n < 0 || (size_t)n >= sizeof s)
		return VQ_EINVAL;
	return make_topic(b, s, false, out);
}

static int set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int init_sync(vq_bus *b)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca))
		return VQ_ENOMEM;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = VQ_ENOMEM;
	if (pthread_mutex_init(&b->mu, NULL))
		goto out;
	if (pthread_cond_init(&b->cv, &ca)) {
		pthread_mutex_destroy(&b->mu);
		goto out;
	}
	if (pthread_cond_init(&b->net_cv, &ca)) {
		pthread_cond_destroy(&b->cv);
		pthread_mutex_destroy(&b->mu);
		goto out;
	}
	rc = VQ_OK;
out:
	pthread_condattr_destroy(&ca);
	return rc;
}

static int check_opts(const vq_bus_opts *o)
{
	const char *id = o->client_id ? o->client_id : o->username;
	if (!name_ok(id) || !name_ok(o->site) || (o->role && !name_ok(o->role)))
		return VQ_EINVAL;
	if (o->host && !*o->host)
		return VQ_EINVAL;
	if (o->port < 0 || o->port > 65535)
		return VQ_EINVAL;
	if (o->keepalive && (o->keepalive < 5 || o->keepalive > 65535))
		return VQ_EINVAL;
	if (!o->tls_cafile && (o->tls_certfile || o->tls_keyfile))
		return VQ_EINVAL;
	if (!o->tls_certfile != !o->tls_keyfile)
		return VQ_EINVAL;
	if (o->password && !o->username)
		return VQ_EINVAL;
	if (o->max_payload > MQTT_MAX_PAYLOAD)
		return VQ_EINVAL;
	if (o->reconnect_max_ms && o->reconnect_min_ms > o->reconnect_max_ms)
		return VQ_EINVAL;
	if (o->nbrokers > VQ_BUS_MAX_BROKERS || (o->nbrokers && !o->brokers))
		return VQ_EINVAL;
	for (size_t i = 0; i < o->nbrokers; i++)
		if (!o->brokers[i].host || !*o->brokers[i].host || o->brokers[i].port < 0 ||
		    o->brokers[i].port > 65535)
			return VQ_EINVAL;
	if (o->presence_name && !name_ok(o->presence_name))
		return VQ_EINVAL;
	return VQ_OK;
}

/* Everything libmosquitto needs before the first connect. */
static int setup_mosq(vq_bus *b, const vq_bus_opts *o)
{
	struct mosquitto *m = mosquitto_new(b->client_id, true, b);
	if (!m)
		return errno == EINVAL ? VQ_EINVAL : VQ_ENOMEM;
	b->mosq = m;
	mosquitto_threaded_set(m, true);
	if (mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) ||
	    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1) ||
	    mosquitto_int_option(m, MOSQ_OPT_RECEIVE_MAXIMUM, 100) ||
	    mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, 100))
		return VQ_EINVAL;
	if (o->username) {
		int rc = mosquitto_username_pw_set(m, o->username, o->password);
		if (rc)
			return map_mosq(rc);
	}
	if (o->tls_cafile) {
		int rc = mosquitto_tls_set(m, o->tls_cafile, NULL, o->tls_certfile, o->tls_keyfile,
		                           NULL);
		if (rc)
			return map_mosq(rc);
	}
	char js[PRESENCE_MAX];
	int jl = presence_json(b, false, false, js);
	if (jl < 0)
		return VQ_EINVAL;
	if (b->presence_topic[0]) {
		int rc = mosquitto_will_set_v5(m, b->presence_topic, jl, js, 1, true, NULL);
		if (rc)
			return map_mosq(rc);
	}
	mosquitto_connect_v5_callback_set(m, on_connect);
	mosquitto_disconnect_v5_callback_set(m, on_disconnect);
	mosquitto_publish_v5_callback_set(m, on_publish);
	mosquitto_subscribe_v5_callback_set(m, on_subscribe);
	mosquitto_message_v5_callback_set(m, on_message);
	const char *dbg = getenv("VQ_BUS_DEBUG");
	if (dbg && *dbg && strcmp(dbg, "0") != 0)
		mosquitto_log_callback_set(m, on_log);
	return VQ_OK;
}

int vq_bus_new(const vq_bus_opts *o, vq_bus **out)
{
	if (!o || !out)
		return VQ_EINVAL;
	*out = NULL;
	int rc = check_opts(o);
	if (rc)
		return rc;
	pthread_once(&lib_once, lib_init);
	if (lib_rc != MOSQ_ERR_SUCCESS)
		return VQ_EBUS;

	vq_bus *b = calloc(1, sizeof *b);
	if (!b)
		return VQ_ENOMEM;
	b->pipe_r = b->pipe_w = -1;
	b->offline_mid = -1;
	snprintf(b->client_id, sizeof b->client_id, "%s",
	         o->client_id ? o->client_id : o->username);
	snprintf(b->role, sizeof b->role, "%s", o->role ? o->role : "client");
	int n = snprintf(b->prefix, sizeof b->prefix, "vq/v1/%s/", o->site);
	b->prefix_len = (size_t)n;
	if (o->reply_suffix)
		rc = make_topic(b, o->reply_suffix, false, b->reply_topic);
	else
		snprintf(b->reply_topic, sizeof b->reply_topic, "%sreply/%s", b->prefix,
		         b->client_id);
	snprintf(b->presence_name, sizeof b->presence_name, "%s",
	         o->presence_name ? o->presence_name : b->client_id);
	b->presence_held = o->presence_held;
	b->at_broker = -1;
	if (!o->no_presence)
		snprintf(b->presence_topic, sizeof b->presence_topic, "%spresence/%s", b->prefix,
		         b->presence_name);
	if (rc) {
		free(b);
		return rc;
	}
	int dflt = o->tls_cafile ? 8883 : 1883;
	b->nbrokers = o->nbrokers ? o->nbrokers : 1;
	for (size_t i = 0; i < b->nbrokers; i++) {
		int port = o->nbrokers ? o->brokers[i].port : o->port;
		b->ports[i] = port ? port : dflt;
	}
	b->keepalive = o->keepalive ? o->keepalive : VQ_BUS_DEFAULT_KEEPALIVE;
	b->max_payload = o->max_payload ? o->max_payload : VQ_BUS_DEFAULT_MAX_PAYLOAD;
	b->max_queue = o->max_queue ? o->max_queue : VQ_BUS_DEFAULT_MAX_QUEUE;
	b->max_queue_bytes =
	    o->max_queue_bytes ? o->max_queue_bytes : VQ_BUS_DEFAULT_MAX_QUEUE_BYTES;
	b->backoff_min = o->reconnect_min_ms ? o->reconnect_min_ms : 1000;
	b->backoff_max = o->reconnect_max_ms ? o->reconnect_max_ms : 30000;
	if (b->backoff_max < b->backoff_min)
		b->backoff_max = b->backoff_min;
	b->state_messages = o->state_messages;
	b->nonce = fresh_nonce();
	b->rng = b->nonce;

	rc = init_sync(b);
	if (rc) {
		free(b);
		return rc;
	}
	rc = VQ_ENOMEM;
	for (size_t i = 0; i < b->nbrokers; i++) {
		const char *h = o->nbrokers ? o->brokers[i].host : o->host ? o->host : "127.0.0.1";
		if (!(b->hosts[i] = strdup(h)))
			goto fail;
	}
	int fds[2];
	if (pipe(fds) != 0)
		goto fail;
	b->pipe_r = fds[0];
	b->pipe_w = fds[1];
	if (set_flags(b->pipe_r) || set_flags(b->pipe_w)) {
		rc = VQ_EBUS;
		goto fail;
	}
	rc = setup_mosq(b, o);
	if (rc)
		goto fail;
	*out = b;
	return VQ_OK;
fail:
	vq_bus_free(b);
	return rc;
}

int vq_bus_start(vq_bus *b)
{
	if (!b)
		return VQ_EINVAL;
	lock(b);
	bool already = b->started;
	b->started = true;
	unlock(b);
	if (already)
		return VQ_EINVAL;

	/* Signals belong to the program's own threads, and a SIGPIPE raised by a write
	 * to a broker that just went away must not kill the process. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&b->thread, NULL, net_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		lock(b);
		b->started = false;
		unlock(b);
		return VQ_ENOMEM;
	}
	return VQ_OK;
}

void vq_bus_free(vq_bus *b)
{
	if (!b)
		return;
	if (b->mosq) {
		lock(b);
		bool started = b->started, connected = b->connected;
		unlock(b);
		if (started) {
			/* Stopping is raised first, so that the network thread cannot miss it
			 * between the wake-up our publish causes and its next select(). Until
			 * the mid is known it waits for the offline presence to be acked. */
			lock(b);
			b->stopping = true;
			b->offline_mid = connected ? OFFLINE_PENDING : -1;
			b->offline_since = now_ms();
			pthread_cond_broadcast(&b->net_cv);
			unlock(b);
			int mid = -1;
			char js[PRESENCE_MAX];
			int jl = presence_json(b, false, true, js);
			/* Publishing also wakes the network thread's select(). */
			lock(b);
			bool say = says_online(b);
			unlock(b);
			if (connected && jl > 0 && say &&
			    mosquitto_publish_v5(b->mosq, &mid, b->presence_topic, jl, js, 1, true,
			                         NULL) != MOSQ_ERR_SUCCESS)
				mid = -1;
			lock(b);
			b->offline_mid = mid;
			unlock(b);
			if (mid < 0) /* nothing sent: wake a select() on a pending connect */
				mosquitto_disconnect(b->mosq);
			pthread_join(b->thread, NULL);
		}
		mosquitto_destroy(b->mosq);
	}
	for (struct qnode *n = b->qhead, *next; n; n = next) {
		next = n->next;
		free(n);
	}
	for (size_t i = 0; i < b->nsubs; i++)
		free(b->subs[i].topic);
	free(b->subs);
	free(b->suback_wait);
	if (b->pipe_r >= 0)
		close(b->pipe_r);
	if (b->pipe_w >= 0)
		close(b->pipe_w);
	pthread_cond_destroy(&b->net_cv);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	for (size_t i = 0; i < VQ_BUS_MAX_BROKERS; i++)
		free(b->hosts[i]);
	free(b);
}

/* ---- state ---- */

bool vq_bus_connected(const vq_bus *b)
{
	if (!b)
		return false;
	lock(b);
	bool c = b->connected;
	unlock(b);
	return c;
}

int vq_bus_wait_connected(vq_bus *b, int timeout_ms)
{
	if (!b)
		return VQ_EINVAL;
	int64_t deadline = deadline_after(timeout_ms);
	int rc = VQ_OK;
	lock(b);
	uint64_t refusals = b->st.refusals;
	if (!b->started)
		rc = VQ_EINVAL;
	while (rc == VQ_OK && !b->connected) {
		if (b->st.refusals != refusals)
			rc = VQ_EBUS;
		else if (wait_until(&b->cv, &b->mu, deadline) == ETIMEDOUT && !b->connected)
			rc = VQ_ETIMEOUT;
	}
	unlock(b);
	return rc;
}

void vq_bus_get_stats(const vq_bus *b, vq_bus_stats *out)
{
	if (!b || !out)
		return;
	lock(b);
	*out = b->st;
	out->queued = b->qlen;
	out->queued_bytes = b->qbytes;
	unlock(b);
}

const char *vq_bus_client_id(const vq_bus *b)
{
	return b ? b->client_id : NULL;
}

const char *vq_bus_reply_topic(const vq_bus *b)
{
	return b ? b->reply_topic : NULL;
}

int vq_bus_fd(const vq_bus *b)
{
	return b ? b->pipe_r : -1;
}

const char *vq_bus_msg_prop(const vq_bus_msg *msg, const char *name)
{
	if (!msg || !msg->props || !name)
		return NULL;
	for (const char *p = msg->props; *p;) {
		const char *v = p + strlen(p) + 1;
		if (strcmp(p, name) == 0)
			return v;
		p = v + strlen(v) + 1;
	}
	return NULL;
}

int vq_bus_hold_presence(vq_bus *b, bool held)
{
	if (!b || !b->presence_held || !b->presence_topic[0])
		return VQ_EINVAL;
	char js[PRESENCE_MAX];
	int jl = presence_json(b, true, true, js);
	lock(b);
	b->holding = held;
	bool online = b->online;
	unlock(b);
	if (!held || !online || jl < 0)
		return VQ_OK;
	return map_mosq(
	    mosquitto_publish_v5(b->mosq, NULL, b->presence_topic, jl, js, 1, true, NULL));
}

void vq_bus_broker(const vq_bus *b, char *out, size_t outlen)
{
	if (!out || !outlen)
		return;
	out[0] = '\0';
	if (!b)
		return;
	lock(b);
	if (b->at_broker >= 0)
		snprintf(out, outlen, "%s:%d", b->hosts[b->at_broker], b->ports[b->at_broker]);
	unlock(b);
}

/* ---- subscriptions ---- */

static struct sub *find_sub(vq_bus *b, const char *topic)
{
	for (size_t i = 0; i < b->nsubs; i++)
		if (strcmp(b->subs[i].topic, topic) == 0)
			return &b->subs[i];
	return NULL;
}

int vq_bus_subscribe(vq_bus *b, const char *filter, int qos)
{
	if (!b || qos < 0 || qos > 2)
		return VQ_EINVAL;
	char topic[VQ_BUS_TOPIC_MAX];
	int rc = make_topic(b, filter, true, topic);
	if (rc)
		return rc;
	lock(b);
	struct sub *s = find_sub(b, topic);
	if (s) {
		s->qos = qos;
	} else {
		rc = VQ_ENOMEM;
		if (b->nsubs == b->capsubs) {
			size_t cap = b->capsubs ? b->capsubs * 2 : 8;
			struct sub *ns = realloc(b->subs, cap * sizeof *ns);
			if (!ns)
				goto out;
			b->subs = ns;
			b->capsubs = cap;
		}
		char *t = strdup(topic);
		if (!t)
			goto out;
		b->subs[b->nsubs++] = (struct sub){.topic = t, .qos = qos};
		rc = VQ_OK;
	}
	bool online = b->online;
	unlock(b);
	/* Outside b->mu (see the invariants). If the connection drops meanwhile, the
	 * next connect subscribes from the list. */
	if (online)
		mosquitto_subscribe(b->mosq, NULL, topic, qos);
	return VQ_OK;
out:
	unlock(b);
	return rc;
}

int vq_bus_unsubscribe(vq_bus *b, const char *filter)
{
	if (!b)
		return VQ_EINVAL;
	char topic[VQ_BUS_TOPIC_MAX];
	int rc = make_topic(b, filter, true, topic);
	if (rc)
		return rc;
	lock(b);
	struct sub *s = find_sub(b, topic);
	if (!s) {
		unlock(b);
		return VQ_ENOTFOUND;
	}
	free(s->topic);
	*s = b->subs[--b->nsubs];
	bool online = b->online;
	unlock(b);
	if (online)
		mosquitto_unsubscribe(b->mosq, NULL, topic);
	return VQ_OK;
}

/* ---- publishing ---- */

static int publish_full(vq_bus *b, const char *topic, const void *payload, size_t len, int qos,
                        bool retain, const mosquitto_property *props, int *mid)
{
	if (len > b->max_payload)
		return VQ_ETOOBIG;
	if (len && !payload)
		return VQ_EINVAL;
	/* Refuse rather than let libmosquitto keep a QoS 1 message for a reconnect that
	 * may never come: the caller decides whether to retry. */
	if (!vq_bus_connected(b))
		return VQ_EBUS;
	return map_mosq(
	    mosquitto_publish_v5(b->mosq, mid, topic, (int)len, payload, qos, retain, props));
}

int vq_bus_publish(vq_bus *b, const char *suffix, const void *payload, size_t len, int qos,
                   bool retain)
{
	if (!b || qos < 0 || qos > 2)
		return VQ_EINVAL;
	if (len > b->max_payload)
		return VQ_ETOOBIG;
	char topic[VQ_BUS_TOPIC_MAX];
	int rc = make_topic(b, suffix, false, topic);
	if (rc)
		return rc;
	return publish_full(b, topic, payload, len, qos, retain, NULL, NULL);
}

static void new_corr(vq_bus *b, char corr[VQ_BUS_CORR_MAX])
{
	lock(b);
	uint64_t seq = ++b->corr_seq;
	unlock(b);
	snprintf(corr, VQ_BUS_CORR_MAX, "%016" PRIx64 "-%" PRIx64, b->nonce, seq);
}

static int send_request(vq_bus *b, const char *topic, const void *payload, size_t len,
                        const char *corr, int *mid)
{
	mosquitto_property *props = NULL;
	int rc = VQ_ENOMEM;
	if (mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, b->reply_topic) ||
	    mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, corr,
	                                  (uint16_t)strlen(corr)))
		goto out;
	rc = publish_full(b, topic, payload, len, 1, false, props, mid);
out:
	mosquitto_property_free_all(&props);
	return rc;
}

int vq_bus_request(vq_bus *b, const char *suffix, const void *payload, size_t len,
                   char corr[VQ_BUS_CORR_MAX])
{
	if (!b)
		return VQ_EINVAL;
	if (len > b->max_payload)
		return VQ_ETOOBIG;
	char topic[VQ_BUS_TOPIC_MAX];
	int rc = make_request_topic(b, suffix, topic);
	if (rc)
		return rc;
	char id[VQ_BUS_CORR_MAX];
	new_corr(b, id);
	rc = send_request(b, topic, payload, len, id, NULL);
	if (rc == VQ_OK && corr)
		memcpy(corr, id, sizeof id);
	return rc;
}

int vq_bus_reply(vq_bus *b, const vq_bus_msg *req, const void *payload, size_t len)
{
	return vq_bus_reply_props(b, req, payload, len, NULL);
}

int vq_bus_reply_props(vq_bus *b, const vq_bus_msg *req, const void *payload, size_t len,
                       const char *const *up)
{
	if (!b || !req || !req->response_topic)
		return VQ_EINVAL;
	if (len > b->max_payload)
		return VQ_ETOOBIG;
	/* The response topic came from another client: check it as we would our own. */
	size_t tl = strlen(req->response_topic);
	if (tl == 0 || tl >= UINT16_MAX ||
	    mosquitto_validate_utf8(req->response_topic, (int)tl) != MOSQ_ERR_SUCCESS ||
	    mosquitto_pub_topic_check(req->response_topic) != MOSQ_ERR_SUCCESS)
		return VQ_EINVAL;
	mosquitto_property *props = NULL;
	int rc = VQ_ENOMEM;
	if (req->corr && mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA,
	                                               req->corr, (uint16_t)req->corr_len))
		goto out;
	for (size_t i = 0; up && up[i]; i += 2) {
		if (!up[i + 1]) {
			rc = VQ_EINVAL;
			goto out;
		}
		int prc = mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, up[i],
		                                             up[i + 1]);
		if (prc) {
			rc = map_mosq(prc);
			goto out;
		}
	}
	rc = publish_full(b, req->response_topic, payload, len, 1, false, props, NULL);
out:
	mosquitto_property_free_all(&props);
	return rc;
}

int vq_bus_call(vq_bus *b, const char *suffix, const void *payload, size_t len, int timeout_ms,
                vq_bus_msg **reply)
{
	if (!b || !reply)
		return VQ_EINVAL;
	*reply = NULL;
	if (len > b->max_payload)
		return VQ_ETOOBIG;
	char topic[VQ_BUS_TOPIC_MAX];
	int rc = make_request_topic(b, suffix, topic);
	if (rc)
		return rc;
	int64_t deadline = deadline_after(timeout_ms);

	struct waiter w = {.since = now_ms()};
	new_corr(b, w.corr);
	w.corr_len = strlen(w.corr);
	/* Registered before the request leaves, so even an instant reply finds us. */
	lock(b);
	w.next = b->waiters;
	b->waiters = &w;
	unlock(b);

	int mid = 0;
	rc = send_request(b, topic, payload, len, w.corr, &mid);

	lock(b);
	w.mid = mid;
	while (rc == VQ_OK && !w.reply) {
		/* 0x10 "no matching subscribers": nobody serves this topic now, so no
		 * answer can come; 0x80 and up: the broker refused it (ACL). */
		int reason = ack_reason(b, w.mid, w.since);
		if (reason >= 0x80)
			rc = VQ_EDENIED;
		else if (reason == MQTT_RC_NO_MATCHING_SUBSCRIBERS)
			rc = VQ_EBUS;
		else if (wait_until(&b->cv, &b->mu, deadline) == ETIMEDOUT && !w.reply)
			rc = VQ_ETIMEOUT;
	}
	for (struct waiter **pp = &b->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == &w) {
			*pp = w.next;
			break;
		}
	}
	unlock(b);
	if (rc == VQ_OK)
		*reply = &w.reply->msg;
	else if (w.reply)
		free(w.reply);
	return rc;
}

/* ---- receiving ---- */

int vq_bus_poll(vq_bus *b, vq_bus_msg **out, size_t max, size_t *n, int timeout_ms)
{
	if (n)
		*n = 0;
	if (!b || !out || !n || max == 0)
		return VQ_EINVAL;
	int64_t deadline = deadline_after(timeout_ms);
	lock(b);
	while (!b->qhead && timeout_ms != 0) {
		if (wait_until(&b->cv, &b->mu, deadline) == ETIMEDOUT)
			break;
	}
	size_t k = 0;
	while (k < max && b->qhead) {
		struct qnode *q = b->qhead;
		b->qhead = q->next;
		if (!b->qhead)
			b->qtail = NULL;
		b->qlen--;
		b->qbytes -= q->size;
		q->next = NULL;
		out[k++] = &q->msg;
	}
	if (!b->qhead && b->fd_armed) {
		char buf[8];
		while (read(b->pipe_r, buf, sizeof buf) > 0)
			;
		b->fd_armed = false;
	}
	unlock(b);
	*n = k;
	return VQ_OK;
}

bool vq_bus_msg_corr_is(const vq_bus_msg *msg, const char *corr)
{
	if (!msg || !msg->corr || !corr)
		return false;
	size_t l = strlen(corr);
	return l == msg->corr_len && memcmp(msg->corr, corr, l) == 0;
}

const char *vq_bus_reason_string(int reason)
{
	return mosquitto_reason_string(reason);
}
