/* bus/bus.h — the MQTT layer every vq program shares: vqd, kiosks, gates, boards, vqctl
 * and vq-bench talk to each other only through this.
 *
 * Owns one MQTT 5 connection per vq_bus: connecting and reconnecting, the site's topic
 * prefix, subscriptions that survive reconnects, presence with a Last Will, MQTT 5
 * request/response with correlation data, and a queue from which the owner takes
 * received messages at its own pace. It knows nothing of what the payloads mean.
 *
 * Topics. Every topic is "vq/v1/<site>/<suffix>". Functions take the suffix
 * ("svc/issue", "state/+", "presence/kiosk-1") and prepend the prefix; received
 * messages carry both the full topic and the suffix. Requests also append our client
 * id (below). The one exception is a response topic, which is always a full topic (it
 * is whatever the requester asked for).
 *
 * Threads. A vq_bus runs one network thread of its own (all signals blocked) that
 * drives libmosquitto, reconnects, and copies each received message into a queue
 * guarded by a mutex. Every function below may be called from any thread, except that
 * vq_bus_free must not race with any other call on the same bus. The owner drains the
 * queue with vq_bus_poll, or waits on vq_bus_fd with poll()/SDL first.
 *
 * Connection. vq_bus_start returns at once; the network thread connects in the
 * background and, whenever the connection drops, reconnects with exponential backoff
 * (reconnect_min_ms doubling up to reconnect_max_ms, each wait jittered down to half
 * so a park of kiosks does not hammer a restarted broker in step). It never gives up,
 * not even when the broker refuses the credentials: an operator may fix the broker.
 * An attempt that gets no CONNACK is abandoned after keepalive seconds. With several
 * brokers (bridged, so each reaches the whole site), a connection lost or an attempt
 * failed moves on to the next broker at once; the backoff applies once every broker
 * failed in turn, and the round starts again from the one after the last that worked.
 * Sessions are clean (MQTT clean start, no session expiry): on every (re)connect the
 * bus renews its subscriptions (those made with vq_bus_subscribe, and its own reply
 * topic) and reports itself connected only once the broker has acknowledged them all.
 * So a request published after vq_bus_connected() turns true has its reply
 * subscription in place, and so does every filter subscribed before vq_bus_start.
 * Retained messages are delivered again after each reconnect; messages published to
 * us while we were offline are lost (requesters time out and retry; vqd answers a
 * repeated request id with its first answer).
 *
 * Presence. On every connect the bus publishes, retained at QoS 1, to
 * "presence/<client_id>":  {"v":1,"id":"<client_id>","role":"<role>","online":true,
 * "since":<unix s>}. Its Last Will (retained, QoS 1), published by the broker if the
 * connection dies without a DISCONNECT, is {"v":1,"id":...,"role":...,"online":false}.
 * vq_bus_free publishes {"v":1,"id":...,"role":...,"online":false,"since":<unix s>}
 * itself before a clean DISCONNECT; the "since" tells a clean exit from a death.
 * A bus made with no_presence does none of this.
 * A presence_name other than the client id is a name several accounts share (the vqd of
 * a site, one serving and others standing by): the topic is "presence/<presence_name>",
 * "id" is that name and a field "by" names the account. With presence_held the bus says
 * "online" only while its owner holds the name (vq_bus_hold_presence), on every connect
 * while held, and "offline" on vq_bus_free only if it still holds it; releasing says
 * nothing, since by then another account may hold the name. Its Will is always set: the
 * holder republishes when anything but its own "online" shows up (a Will of another).
 *
 * Request/response. vq_bus_request publishes at QoS 1 to
 * "vq/v1/<site>/<suffix>/<client_id>" ("svc/issue" from kiosk-1 goes to
 * ".../svc/issue/kiosk-1") with the MQTT 5 Response Topic "vq/v1/<site>/reply/<client_id>"
 * (or <reply_suffix>) and fresh Correlation Data (printable ASCII, unique per bus
 * instance, returned as a string). The client id is the account the broker authenticated
 * (below), and the broker's ACL lets an account write only request topics that end in
 * its own name, so the last level of a request's topic says who asks: vqd takes the
 * identity from there and answers only on that account's own reply topic
 * (docs/protocol.md). The responder answers with vq_bus_reply, which echoes the
 * correlation data to the response topic. vq_bus_call does both and waits: its reply is
 * handed straight to the waiting caller and never enters the queue, so other messages
 * stay queued, in order, for vq_bus_poll. A reply that arrives after its call timed out
 * is queued like any other message.
 *
 * Broker set-up. The broker runs with use_username_as_clientid, so client_id must
 * equal username (leave client_id NULL to get exactly that). Client ids and site
 * names appear inside topics and JSON, so they may not contain '/', '+', '#', '"',
 * '\\', spaces or control characters. Every bus subscribes to its reply topic, even
 * one whose role never asks anything (a board); mosquitto 2.0 grants a subscription
 * its ACL denies and just never delivers, so that costs nothing. With TLS, host must
 * match the broker certificate's subjectAltName. The broker's own packet limit
 * (max_packet_size, announced in CONNACK) also applies to what we send: a message
 * over it fails with VQ_ETOOBIG even when it is under max_payload.
 *
 * Process. libmosquitto's mosquitto_lib_init runs once per process (pthread_once)
 * the first time a bus is made; mosquitto_lib_cleanup is left to process exit.
 */
#ifndef VQ_BUS_H
#define VQ_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vq.h"

#define VQ_BUS_CORR_MAX                64  /* correlation id string, NUL included */
#define VQ_BUS_ID_MAX                  65  /* client id, site, role: 1..64 bytes plus NUL */
#define VQ_BUS_TOPIC_MAX               256 /* full topic, NUL included */
#define VQ_BUS_DEFAULT_MAX_PAYLOAD     (256u * 1024u)
#define VQ_BUS_DEFAULT_MAX_QUEUE       65536u
#define VQ_BUS_DEFAULT_MAX_QUEUE_BYTES (64u * 1024u * 1024u)
#define VQ_BUS_DEFAULT_KEEPALIVE       15 /* seconds; the broker declares us dead after 1.5x */

typedef struct vq_bus vq_bus;

#define VQ_BUS_MAX_BROKERS 8

/* A broker's address. */
typedef struct vq_bus_addr {
	const char *host;
	int port; /* 0: 1883, or 8883 with TLS */
} vq_bus_addr;

/* Everything a bus needs to know. Zero means "the default" for every number; strings
 * are copied by vq_bus_new, so the caller may free them afterwards. */
typedef struct vq_bus_opts {
	const char *host;          /* broker host; NULL: "127.0.0.1" */
	int port;                  /* 0: 1883, or 8883 with TLS */
	const char *username;      /* NULL: connect without credentials */
	const char *password;      /* NULL: username only */
	const char *client_id;     /* NULL: username; one of the two is required */
	const char *site;          /* required: the <site> in "vq/v1/<site>/" */
	const char *role;          /* presence role ("kiosk", "gate", ...); NULL: "client" */
	const char *tls_cafile;    /* non-NULL turns TLS on and verifies the broker */
	const char *tls_certfile;  /* client certificate (PEM); with keyfile, or NULL */
	const char *tls_keyfile;   /* its private key (PEM) */
	int keepalive;             /* seconds, 5..65535; 0: VQ_BUS_DEFAULT_KEEPALIVE */
	size_t max_payload;        /* bytes; 0: VQ_BUS_DEFAULT_MAX_PAYLOAD. Larger inbound
	                            * messages are dropped and counted; larger outbound
	                            * ones are refused with VQ_ETOOBIG. */
	size_t max_queue;          /* queued messages; 0: VQ_BUS_DEFAULT_MAX_QUEUE. Beyond
	                            * it, inbound messages are dropped and counted. */
	size_t max_queue_bytes;    /* bytes queued (payloads, topics and their bookkeeping);
	                            * 0: VQ_BUS_DEFAULT_MAX_QUEUE_BYTES (64 MiB). An inbound
	                            * message that would take the queue past it is dropped
	                            * and counted, except into an empty queue, so one message
	                            * up to max_payload always gets through. Bounds what a
	                            * stalled owner can be made to hold. */
	unsigned reconnect_min_ms; /* 0: 1000 */
	unsigned reconnect_max_ms; /* 0: 30000 */
	bool state_messages;       /* also queue VQ_BUS_CONNECTED / VQ_BUS_DISCONNECTED
	                            * messages, so a screen's loop wakes on a change */
	/* For an account whose role lives outside the site's own families (vq-bench's echo
	 * baseline, which may touch only bench/): */
	const char *reply_suffix; /* our reply topic's suffix; NULL: "reply/<client_id>" */
	bool no_presence;         /* no presence message and no Last Will */
	/* More brokers than host/port (which are then ignored): tried in turn (above). */
	const vq_bus_addr *brokers;
	size_t nbrokers; /* 0..VQ_BUS_MAX_BROKERS */
	/* Presence under a name several accounts share, said only while held (above). */
	const char *presence_name; /* NULL: the client id */
	bool presence_held;
} vq_bus_opts;

enum vq_bus_kind {
	VQ_BUS_MESSAGE = 0,  /* an MQTT message */
	VQ_BUS_CONNECTED,    /* (state_messages) connected; subscriptions renewed */
	VQ_BUS_DISCONNECTED, /* (state_messages) the connection was lost or closed */
};

/* One received message, one allocation: every pointer points into the same block and
 * lives until vq_bus_msg_free. For state messages topic, suffix and payload are "". */
typedef struct vq_bus_msg {
	int kind;            /* enum vq_bus_kind */
	const char *topic;   /* full topic, "vq/v1/park/svc/issue" */
	const char *suffix;  /* after the prefix, "svc/issue" */
	const char *payload; /* len bytes, followed by a NUL that len leaves out */
	size_t len;
	int qos;
	bool retain;                /* a retained message (sent on subscribe) */
	const char *response_topic; /* full topic to answer to, or NULL */
	const unsigned char *corr;  /* correlation data, corr_len bytes plus a NUL; or NULL */
	size_t corr_len;
	/* MQTT 5 user properties, as "name\0value\0" pairs ended by an empty name; or NULL.
	 * Read them with vq_bus_msg_prop. */
	const char *props;
} vq_bus_msg;

typedef struct vq_bus_stats {
	uint64_t received;            /* messages queued (replies to calls included) */
	uint64_t dropped_too_big;     /* inbound over max_payload */
	uint64_t dropped_queue_full;  /* inbound while max_queue messages were queued */
	uint64_t dropped_queue_bytes; /* inbound that would have passed max_queue_bytes */
	uint64_t dropped_nomem;       /* inbound we had no memory to copy */
	uint64_t connects;            /* successful connects (CONNACK accepted) */
	uint64_t disconnects;         /* established connections lost or closed */
	uint64_t refusals;            /* CONNACKs that refused us (bad credentials...) */
	uint64_t sub_refused;         /* subscriptions the broker refused */
	uint64_t pub_refused;         /* QoS 1 messages the broker refused (PUBACK >= 0x80, ACL) */
	int last_refusal;             /* MQTT reason code of the latest refusal, or 0 */
	size_t queued;                /* messages waiting for vq_bus_poll now */
	size_t queued_bytes;          /* and the bytes they hold */
} vq_bus_stats;

/* Checks and copies the options and prepares the connection without touching the
 * network. VQ_EINVAL names no field; the header above says what is accepted. */
int vq_bus_new(const vq_bus_opts *opts, vq_bus **out);

/* Starts the network thread, which connects in the background; returns at once.
 * VQ_EINVAL if already started. Subscriptions made before it apply on the first
 * connect. */
int vq_bus_start(vq_bus *bus);

/* If connected: publishes offline presence and waits (up to ~1 s) for the broker to
 * take it, then disconnects cleanly. Stops the thread, frees every queued message.
 * Bounded in time even when the broker is gone. NULL is fine. */
void vq_bus_free(vq_bus *bus);

/* True while connected, with the subscriptions of this connection acknowledged. */
bool vq_bus_connected(const vq_bus *bus);

/* Waits until connected. VQ_OK; VQ_ETIMEOUT after timeout_ms (< 0: forever);
 * VQ_EBUS as soon as the broker refuses a connect attempt made during the wait (the
 * bus keeps retrying; stats say why); VQ_EINVAL if the bus was never started. */
int vq_bus_wait_connected(vq_bus *bus, int timeout_ms);

/* Remembers a subscription to "vq/v1/<site>/<filter>" (MQTT wildcards allowed) and
 * makes it now if connected, again on every reconnect. Made before vq_bus_start, it is
 * in place when vq_bus_wait_connected returns; made later, it takes effect a round
 * trip after this call returns. Subscribing again to the same filter changes its QoS
 * (and makes the broker send its retained messages again). VQ_EINVAL for a bad
 * filter or qos outside 0..2. */
int vq_bus_subscribe(vq_bus *bus, const char *filter, int qos);
/* Forgets a subscription. VQ_ENOTFOUND if it was never made. */
int vq_bus_unsubscribe(vq_bus *bus, const char *filter);

/* Publishes len bytes to "vq/v1/<site>/<suffix>". VQ_EBUS when not connected (nothing
 * is kept to be sent later); VQ_ETOOBIG over max_payload; VQ_EINVAL for a bad topic.
 * A QoS 1 message accepted here is delivered at least once, even if the connection
 * drops before the broker acknowledged it (libmosquitto resends after reconnect). */
int vq_bus_publish(vq_bus *bus, const char *suffix, const void *payload, size_t len, int qos,
                   bool retain);

/* Publishes a request (QoS 1) to "<suffix>/<client_id>" with our reply topic and a fresh
 * correlation id, which is written to corr if corr is not NULL. Errors as
 * vq_bus_publish. */
int vq_bus_request(vq_bus *bus, const char *suffix, const void *payload, size_t len,
                   char corr[VQ_BUS_CORR_MAX]);

/* Answers req (QoS 1) on its response topic with its correlation data. VQ_EINVAL if
 * req has no response topic (or a malformed one); otherwise errors as vq_bus_publish. */
int vq_bus_reply(vq_bus *bus, const vq_bus_msg *req, const void *payload, size_t len);
/* The same with MQTT 5 user properties: props is "name", "value", ... NULL (UTF-8). */
int vq_bus_reply_props(vq_bus *bus, const vq_bus_msg *req, const void *payload, size_t len,
                       const char *const *props);
/* The value of user property name on msg (the first, if repeated), or NULL. */
const char *vq_bus_msg_prop(const vq_bus_msg *msg, const char *name);

/* With presence_held: takes (held) or releases the presence name. Taking publishes
 * "online" now if connected, and on every connect after; releasing publishes nothing.
 * VQ_EINVAL on a bus made without presence_held. */
int vq_bus_hold_presence(vq_bus *bus, bool held);
/* The broker of the current connection ("host:port"), or "" when not connected. */
void vq_bus_broker(const vq_bus *bus, char *out, size_t outlen);

/* Sends a request (to "<suffix>/<client_id>", as vq_bus_request) and waits up to
 * timeout_ms (< 0: forever) for its reply, which is
 * returned in *reply (free it with vq_bus_msg_free). Other messages are left queued.
 * Several threads may call at once. Fails early when the broker's PUBACK says the
 * answer cannot come: VQ_EDENIED if it refused the request (ACL), VQ_EBUS if nobody is
 * subscribed to the topic (no responder running). VQ_ETIMEOUT if no reply came in
 * time (a later one is queued for vq_bus_poll); other errors as vq_bus_request. */
int vq_bus_call(vq_bus *bus, const char *suffix, const void *payload, size_t len, int timeout_ms,
                vq_bus_msg **reply);

/* Takes up to max queued messages, oldest first, into out[0..*n). If none is queued,
 * waits up to timeout_ms (0: not at all; < 0: forever) for at least one; then takes
 * whatever has arrived, so messages that came in together come out together.
 * *n = 0 after a timeout (still VQ_OK). The caller frees each with vq_bus_msg_free. */
int vq_bus_poll(vq_bus *bus, vq_bus_msg **out, size_t max, size_t *n, int timeout_ms);
void vq_bus_msg_free(vq_bus_msg *msg); /* NULL is fine */

/* A file descriptor that is readable exactly while the queue is not empty. Only poll
 * or select on it; never read or close it. */
int vq_bus_fd(const vq_bus *bus);

/* True if msg carries exactly the correlation id corr (as from vq_bus_request). */
bool vq_bus_msg_corr_is(const vq_bus_msg *msg, const char *corr);

void vq_bus_get_stats(const vq_bus *bus, vq_bus_stats *out);
/* The MQTT 5 reason code's name ("Not authorized"), for messages to people. */
const char *vq_bus_reason_string(int reason);
const char *vq_bus_client_id(const vq_bus *bus);
const char *vq_bus_reply_topic(const vq_bus *bus); /* full topic */

#endif
