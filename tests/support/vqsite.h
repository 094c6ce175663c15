/* tests/support/vqsite.h — a real vq site for one integration test: accounts, a mosquitto
 * with the site's own broker config and ACL, and vqd, all on loopback.
 *
 * A site is a scratch folder holding
 *     devices.txt   the accounts below, fed to broker-config/vq-accounts --site test
 *     site.json     the site config vqd runs (vqs_opts.config, or the default below)
 *     vqd.db        vqd's database, kept across vqd restarts
 *     vqd.log       vqd's stdout and stderr, appended over restarts
 *     accounts.log  what vq-accounts said
 * and a broker (support/broker.h) whose own folder holds passwd, acl and credentials as
 * vq-accounts wrote them, where broker-config/mosquitto-local.conf.in finds them (@DIR@).
 *
 * Accounts (role): vqd (coordinator); kiosk-1, kiosk-2 (kiosk); gate-1, gate-2 (gate);
 * board-1 (display); ops-1, ops-2 (operator); web-1 (web: the web broker's bridge), web-2
 * (web, for a test to act as a bridge without throwing the real one off); vqd-2
 * (coordinator: a second vqd of the site); peer (peer: the bridge between the site's two
 * brokers, opts.peer); and "watch" (display), which the harness keeps
 * for itself to follow presence/vqd and state/_site. A second connection under an
 * account takes the first one over, so a test must not open two buses for one account.
 *
 * Readiness. vqd counts as up once presence/vqd says "online":true after it was started
 * (the harness watches presence continuously, so a retained message from an earlier run
 * is never mistaken for the new one). Every wait is bounded.
 *
 * Processes. mosquitto and vqd are children of the calling thread and die with it
 * (PR_SET_PDEATHSIG), so a test that fails an assertion or times out leaves nothing
 * running even though its teardown never runs; vqs_free kills and reaps both. Call
 * everything here from the thread that made the site (the test's main thread), except
 * vqs_call and the JSON helpers, which any thread may use.
 *
 * Errors are enum vq_err values; on any failure the harness says why on stderr (and
 * copies vqd's log there when vqd is the reason).
 */
#ifndef VQ_TEST_VQSITE_H
#define VQ_TEST_VQSITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "bus/bus.h"
#include "core/code.h"
#include "support/broker.h"

#define VQS_SITE "test"
/* The default --clock-start is 2027-01-01 10:01 UTC (the default site runs in UTC): a
 * minute past the hour, so that "the next slot" (10:15) is the same whether a request
 * comes in vqd's first second (when the 10:00 slot has not quite started) or later. */
#define VQS_TEN_AM      1798797600LL
#define VQS_CLOCK_START (VQS_TEN_AM + 60)
#define VQS_CALL_MS     5000 /* default reply timeout of the helpers */

typedef struct vqs_site vqs_site;

typedef struct vqs_opts {
	const char *site;        /* the site id (topics, accounts, vqd --site); NULL: VQS_SITE.
	                          * The config must carry the same id. */
	const char *config;      /* site config JSON; NULL: vqs_default_config() */
	const char *clock_start; /* --clock-start; NULL: VQS_CLOCK_START */
	const char *clock_speed; /* --clock-speed; NULL: not passed (real time) */
	const char *log_level;   /* --log-level; NULL: "info" */
	const char *const *args; /* more vqd arguments, NULL-terminated; or NULL */
	bool no_vqd;             /* vqs_start sets up everything but does not start vqd */
	bool tls;                /* the production config: vq-accounts --tls, a TLS listener
	                          * with client certificates (CN = account) that vqd, the
	                          * watch bus and vqs_bus use, and a loopback password
	                          * listener (vq_test_broker_port) */
	bool web;                /* also the phones' web broker (broker-config/
	                          * mosquitto-web.conf.in), bridged to the site's as web-1 */
	bool peer;               /* also the site's second broker, bridged to the first as
	                          * `vq-accounts --peer` renders it (account peer); no TLS */
} vqs_opts;

/* The default site: id "test", timezone UTC, languages en; tiers standard (max 2
 * passes) and gold (max 3, 20 % protected); attractions
 *   coaster C  750 fast seats per 15-min slot, window 60, 09-21, early grace 30,
 *              max party 8 (so a ticket taken at 10:01, for 10:15, is admitted at once)
 *   flume   L  45 seats per 10-min slot, window 45, 09-19, early grace 30, max party 6
 *   tiny    T  4 seats per 60-min slot, 09-12: sold out after a few parties
 *   late    Z  opens 14:00, no early grace: its tickets are too early in the morning
 * Unknown cards are served as standard. */
const char *vqs_default_config(void);
/* The default site with a "limits" section (docs/operations.md), e.g.
 * "{\"kiosk\":{\"rate_per_s\":100000,\"burst\":100000}}": for a test that sends
 * faster than a device would, or one about the limits. malloc'd; NULL without memory. */
char *vqs_config_with_limits(const char *limits);
/* Limits no test's pace reaches, for every role. */
#define VQS_NO_LIMITS                                                                              \
	"{\"kiosk\":{\"rate_per_s\":100000,\"burst\":100000},"                                     \
	"\"gate\":{\"rate_per_s\":100000,\"burst\":100000},"                                       \
	"\"operator\":{\"rate_per_s\":100000,\"burst\":100000}}"

/* Makes the folder, the accounts and the site config, starts the broker and the
 * harness's watch bus, then (unless opts->no_vqd) vqd, and waits for it to be online.
 * opts may be NULL. On failure *out is NULL and nothing is left running. */
int vqs_start(const vqs_opts *opts, vqs_site **out);
/* Kills vqd (SIGKILL) and the broker, reaps both, removes the folders (unless
 * VQ_KEEP_BROKER_DIR is set), frees. Buses the test made must be freed before. NULL ok. */
void vqs_free(vqs_site *s);

/* Starts vqd on the site's db and waits up to 15 s for presence online. VQ_EBUS if vqd
 * exited first (its log goes to stderr), VQ_ETIMEOUT if it never came online. */
int vqs_vqd_start(vqs_site *s);
/* SIGTERM (or sig, e.g. SIGINT), then waits up to 10 s for the exit, then SIGKILL.
 * *status (may be NULL): the exit code, or 128 + signal if killed. VQ_OK if it exited
 * by itself, VQ_ETIMEOUT if it had to be killed, VQ_EINVAL if it was not running. */
int vqs_vqd_stop(vqs_site *s, int *status);
int vqs_vqd_signal_stop(vqs_site *s, int sig, int *status);
/* SIGKILL, reap, and wait (up to 3 s) for the broker to publish vqd's Last Will. */
int vqs_vqd_kill(vqs_site *s);
/* Stop (SIGTERM) and start again on the same db. VQ_EBUS also if the stop's exit code
 * was not 0. */
int vqs_vqd_restart(vqs_site *s);
/* Sends a signal to the running vqd (SIGHUP for a reload). */
int vqs_vqd_signal(vqs_site *s, int sig);
/* True while vqd runs (reaps it, and remembers its status, if it has exited). */
bool vqs_vqd_alive(vqs_site *s);
int vqs_vqd_pid(const vqs_site *s); /* 0 when not running */
/* The exit status of the last vqd that ended (as vqs_vqd_stop), or -1. */
int vqs_vqd_last_status(const vqs_site *s);

/* The demo clock the next vqd start uses (--clock-start, and --clock-speed unless NULL:
 * real time), for a test that restarts vqd at another moment of the park's calendar. */
void vqs_set_clock(vqs_site *s, const char *clock_start, const char *clock_speed);

/* Runs vqd with exactly these arguments (after the program name, NULL-terminated) to
 * its end, its output appended to vqd.log; waits up to timeout_ms, then kills it.
 * *status as vqs_vqd_stop. For usage and config errors. */
int vqs_vqd_run(vqs_site *s, const char *const *args, int timeout_ms, int *status);

/* Runs tools/vqctl (from $VQ_BINARY_DIR) as account user of this site (--broker, --site,
 * --user, --credentials filled in) with args (NULL-terminated) to its end; waits up to
 * timeout_ms, then kills it. *status as vqs_vqd_stop; *output (may be NULL) its stdout and
 * stderr together, malloc'd. */
int vqs_vqctl(vqs_site *s, const char *user, const char *const *args, int timeout_ms, int *status,
              char **output);

/* Restarts the broker on the same port and waits up to 20 s for vqd to reconnect by
 * itself and say online again. */
int vqs_broker_restart(vqs_site *s);

/* Waits for a presence/vqd message with the given "online" value that arrives after
 * this call started (one already queued counts). */
int vqs_wait_presence(vqs_site *s, bool online, int timeout_ms);
/* The latest retained state/_site vqd published, waiting for one up to timeout_ms;
 * NULL if none came. The caller cJSON_Deletes it. */
cJSON *vqs_site_state(vqs_site *s, int timeout_ms);
/* The gates' keyring, from the public keys in state/_site (hex or base64). */
int vqs_keyring(vqs_site *s, vq_keyring *ring, int timeout_ms);

/* A connected bus for an account of the site (password and role from its
 * credentials), with subs (NULL-terminated "state/#"... or NULL) in place. Short
 * reconnect backoff (100..500 ms). NULL on failure. */
vq_bus *vqs_bus(vqs_site *s, const char *account, const char *const *subs);

/* The same on a list of brokers (loopback ports, tried in turn as vq_bus does), e.g. the
 * second broker first: {vq_test_broker_port(vqs_peer(s)), vqs_port(s)}. nports 0: the
 * site's broker. */
vq_bus *vqs_bus_at(vqs_site *s, const char *account, const char *const *subs, const int *ports,
                   size_t nports);

/* An anonymous phone on the web broker (opts.web): client id visitor (32 hex digits),
 * replies on web/reply/<visitor>, with subs in place. NULL on failure. vq_bus_call with
 * "web/svc/<verb>" sends to "web/svc/<verb>/<visitor>". */
vq_bus *vqs_phone_bus(vqs_site *s, const char *visitor, const char *const *subs);

/* Sends len bytes as a request to svc ("svc/issue") and waits for the reply. On VQ_OK
 * *reply is the parsed reply (the caller cJSON_Deletes it) and, if raw is not NULL,
 * *raw (*rawlen bytes) a malloc'd NUL-terminated copy of its bytes. Checks what every reply
 * must be: a JSON object with "v":1 and a boolean "ok", correlated by the bus, and, if
 * the request carried a valid rid, the same "rid" (or null for the refusals vqd gives
 * unread: too_large, rate_limited); a reply that is not gives
 * VQ_EBADREQ (and says why on stderr). Other errors are vq_bus_call's (VQ_EDENIED,
 * VQ_EBUS, VQ_ETIMEOUT). Safe from any thread. */
int vqs_call(vq_bus *b, const char *svc, const void *body, size_t len, int timeout_ms,
             cJSON **reply, char **raw, size_t *rawlen);
/* vqs_call with a printf-made body and VQS_CALL_MS; NULL (and why, on stderr) on any
 * failure. */
cJSON *vqs_callf(vq_bus *b, const char *svc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Publishes raw bytes at QoS 1 without a response topic (nobody to answer). */
int vqs_publish_raw(vq_bus *b, const char *suffix, const void *bytes, size_t len);

/* Waits for the next message on b whose suffix is suffix (others are dropped) and
 * whose payload, parsed, satisfies match (NULL: any); returns it parsed, or NULL after
 * timeout_ms. */
cJSON *vqs_wait_json(vq_bus *b, const char *suffix, bool (*match)(const cJSON *, void *), void *arg,
                     int timeout_ms);

/* JSON lookups by a dotted path ("error.code", "ticket.id", "quotes.0.start"; a
 * number selects an array element). NULL / false when absent or of another type. */
const cJSON *vqs_get(const cJSON *j, const char *path);
const char *vqs_str(const cJSON *j, const char *path);
bool vqs_int(const cJSON *j, const char *path, int64_t *out); /* integers only */
bool vqs_bool(const cJSON *j, const char *path, bool *out);
/* j as compact JSON text for a test's message ("(null)" for NULL), in one of four
 * buffers of this thread taken in turn, so up to four may stand in one message; a longer
 * text is cut at 8 KiB. */
const char *vqs_js(const cJSON *j);
/* "ok" is true. */
bool vqs_ok(const cJSON *reply);
/* error.code of a refusal, or "" if the reply is not one. Never NULL. */
const char *vqs_errcode(const cJSON *reply);

/* Runs a query that yields one integer on vqd's db (read only; fine while vqd runs).
 * VQ_ESTORE if it cannot. */
int vqs_db_int(vqs_site *s, const char *sql, int64_t *out);

/* vqd's log (everything so far) to stderr, under a header; once per vqd run at most
 * unless force. */
void vqs_dump_log(vqs_site *s, bool force);
/* A Check test's assertion on site s (a vqs_site *, may be NULL): when cond is false,
 * vqd's log goes to stderr (vqs_dump_log) and the test fails with the printf message. */
#define VQS_CHECK(s, cond, ...)                                                                    \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			vqs_dump_log((s), false);                                                  \
			ck_abort_msg(__VA_ARGS__);                                                 \
		}                                                                                  \
	} while (0)

const char *vqs_site_id(const vqs_site *s);
const char *vqs_dir(const vqs_site *s);
const char *vqs_db_path(const vqs_site *s);
const char *vqs_log_path(const vqs_site *s);
const char *vqs_config_path(const vqs_site *s);
const char *vqs_credentials(const vqs_site *s);
int vqs_port(const vqs_site *s);            /* the port clients use: TLS's with opts.tls */
const char *vqs_tls_dir(const vqs_site *s); /* ca.crt, devices/<account>.crt|key; or NULL */
vq_test_broker *vqs_broker(vqs_site *s);
int vqs_web_port(const vqs_site *s);   /* the web broker's, or -1 */
vq_test_broker *vqs_peer(vqs_site *s); /* the second broker (opts.peer), or NULL */

#endif
