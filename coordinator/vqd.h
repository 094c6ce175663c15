/* coordinator/vqd.h — what vqd's parts share: the daemon's context.
 *
 * vqd.c owns the process (options, signals, the loop, MQTT); batch.c decides a batch of
 * requests all or nothing, and keeps vqd up without a book; handlers.c turns one request
 * into one reply inside the open batch; settings.c holds the operators' run-time settings
 * a batch changes only once it committed; state.c renders the retained state.
 * Everything here is touched by the main thread only.
 */
#ifndef VQ_VQD_H
#define VQ_VQD_H

#include "bus/bus.h"
#include "clock/clock.h"
#include "coordinator/intake.h"
#include "coordinator/keyfile.h"
#include "coordinator/ratelimit.h"
#include "coordinator/service.h"
#include "core/code.h"
#include "core/day.h"

#include <cjson/cJSON.h>

#define VQD_MAX_REQUEST    (64 * 1024)
#define VQD_MAX_OPS        (1024 * 1024)
#define VQD_MAX_IMPORT     1000
#define VQD_KEEP_REPLIES_S (2 * 86400) /* request ids answered from memory this long */
#define VQD_MAX_SYNC       200
#define VQD_MERGE_FAST     4 /* the base merge ratio until an operator sets one */
#define VQD_MERGE_STANDBY  1
#define VQD_RATE_BUCKETS   4096 /* accounts (x roles) whose request rate vqd follows */

/* The web verbs' rate limits: tokens per second and bucket size, per visitor and for
 * the whole site (handlers_web.c). */
typedef struct vqd_web_limits {
	double visitor_rate, visitor_burst;
	double site_rate, site_burst;
} vqd_web_limits;
typedef struct vqd_web vqd_web;

typedef struct vqd_event {
	char suffix[64];
	char *json; /* malloc'd */
} vqd_event;

typedef struct vq_vqd {
	vq_site *site; /* owned; replaced whole on a reload or a tier change */
	const char *config_path;
	char *overrides;       /* operators' tier rules (JSON), as stored */
	vq_site *pending_site; /* a tier change, applied once its batch committed */
	char *pending_overrides;
	/* Per attraction, what the open batch set (applied once it committed; see
	 * settings.c): standby -1 and merge 0 mean "not changed". */
	int *pending_standby;
	int *pending_merge_fast, *pending_merge_standby;
	int pending_key; /* a new signing key, below, waits for its commit */
	uint8_t pending_kid;
	uint8_t pending_pk[32];
	uint8_t pending_sk[64];
	int npending_retired; /* keys the batch retired: their secrets leave the key file */
	uint8_t pending_retired[256];
	vq_keyring pending_ring; /* the ring after the batch, with a new key or a retirement */
	vq_service *svc;
	vq_keyfile *keyfile; /* the signing secrets (keyfile.h); the store has the public keys */
	uint8_t kid;         /* the active signing key */
	uint8_t pk[32];
	uint8_t sk[64];
	vq_keyring ring;       /* every key that verifies */
	uint8_t guest_key[32]; /* keys the hash that turns a card into a guest reference */
	int *standby_min;      /* per attraction, posted standby wait */
	int *merge_fast;       /* per attraction, the operator's base merge ratio */
	int *merge_standby;
	int *backlog;           /* per attraction, as of backlog_now (vqd_count) */
	vq_noshow *noshow;      /* per attraction, as of backlog_now too */
	int64_t backlog_now;    /* -1: not counted since the book last changed */
	unsigned char *dirty;   /* per attraction: state to publish */
	int64_t *admit_seen;    /* per attraction, from and until: the admitting window last
	                           marked for publishing (time moves it; boards announce it) */
	int64_t windows_at;     /* the second admit_seen was last brought up to date */
	unsigned char *soldout; /* per attraction x VQ_MAX_TIERS: today's sell-out noted */
	int site_dirty;         /* state/_site to publish */
	vqd_event *events;      /* to publish once the batch is committed */
	size_t nevents, capevents;
	vqd_web *web;         /* the phones' rate limits */
	double clock_speed;   /* site seconds per real second (phones count down with it) */
	vq_ratelimit *limits; /* a token bucket per account and role */
	int64_t real_ms;      /* a monotonic clock's ms at this batch: limits run on real time */
	int64_t started;
	uint64_t batches, requests, replays, failed_commits, rate_limited, rid_reused;
	vqd_intake intake; /* requests refused before they are decided (intake.h) */
	/* No book (a rebuild failed): since when (monotonic ms; 0 = there is a book), when to
	 * try again and the wait after that (batch.c). */
	double nobook_since, nobook_retry_at;
	int nobook_wait_ms;
	unsigned nobook_attempts;
	int64_t long_name_logged; /* when an over-long account was last logged (site clock) */

	/* the calendar (days.c) */
	vq_clock *clock;     /* vqd's clock; its reading and speed go out in state/_site */
	vq_day day;          /* the local day vqd serves, or is trying to load */
	int day_loaded;      /* the service's book is day's: requests are decided */
	char day_error[512]; /* why day is not loaded, as logged; "" when it is */
	double day_retry_ms; /* CLOCK_MONOTONIC ms of the next try */
	/* Who serves (serving.c). */
	const char *account; /* ours: the origin our replies carry */
	int lease_ms;
	int serving;          /* we hold the site's claim, and answer */
	int64_t term;         /* the claim's term we serve in */
	char term_text[24];   /* the same, as our replies carry it */
	double next_claim_ms; /* standing by: when to try to claim again (monotonic ms) */
	double served_since;
	double presence_said_ms; /* when we last took the presence name back */
	int claim_err_logged;
	double unlinked_since; /* monotonic ms since when no broker is reached; 0: one is */
	const char *key_path;  /* the key file (--key-file) */
	int new_key_at_start;  /* --new-signing-key: at the first takeover */
	int fatal;             /* cannot serve at all (the first vqd without its keys): exit */
} vq_vqd;

/* Signing keys (keys.c). At start, between batches: opens the key file at path (refusing
 * one that others may read), moves the secrets a database of schema 1 held into it, makes
 * the first signing key on a first start (and a new one if new_key, for a key file that
 * was lost), in a batch of their own, and loads the active key, the ring and the guest key.
 * err says what failed and what to do. */
int vqd_keys_start(vq_vqd *d, const char *path, int new_key, int64_t now, char *err, size_t errlen);
/* Within the open batch, pending until it committed (settings.c): a new active signing key
 * (VQ_EINVAL when the ring is full; its secret is in the key file before the store names
 * it), and a key out of the ring (VQ_ESTATE for the active key; its secret leaves the key
 * file once the batch committed, vqd_keys_settle). VQ_ESTORE if the key file or the store
 * could not be written; err says which. */
int vqd_keys_rotate(vq_vqd *d, int64_t now, char *err, size_t errlen);
int vqd_keys_retire(vq_vqd *d, uint8_t kid, int64_t now, char *err, size_t errlen);
/* Applies the batch's key changes once it committed, or drops them. */
void vqd_keys_settle(vq_vqd *d, int committed);
/* How many unused tickets may still carry key k and admit after now: those issued before
 * k stopped signing. */
int vqd_keys_dependents(vq_vqd *d, const vq_store_key *k, int64_t now, int64_t *n);

/* One request of a batch, as it came in. */
typedef struct vqd_in {
	const char *suffix; /* "svc/issue" */
	const char *payload;
	size_t len;
	const char *client; /* the requester's account */
} vqd_in;

/* Decides requests in[0..n) as one batch and fills replies[0..n) (malloc'd JSON text, NULL
 * only without memory). All or nothing: VQ_OK if the batch committed; otherwise every
 * reply that decided something is `storage`, no event is left in d->events and nothing
 * of the batch stayed in memory. With no book, every request gets `storage` at once. */
int vqd_batch(vq_vqd *d, const vqd_in *in, size_t n, int64_t now, char **replies);

/* The no-book state, once per turn of the loop (mono_ms: a monotonic clock): logs once
 * that vqd has no book and why, tries the rebuild again with backoff, logs the recovery.
 * Returns the ms until the next attempt (the loop's poll wait), or -1 when there is a book.
 * *recovered is set to 1 when this call rebuilt the book. */
int vqd_book_retry(vq_vqd *d, double mono_ms, int *recovered);

/* Operators' settings as the open batch sees them (its own changes included). */
int vqd_standby_min(const vq_vqd *d, int a);
void vqd_merge_base(const vq_vqd *d, int a, int *fast, int *standby);
/* Sizes the attraction-indexed arrays for site and reads the stored standby and merge
 * settings. */
int vqd_size_for_site(vq_vqd *d, const vq_site *site);
/* Puts fresh in the place of the running site: the book is rebuilt under it. On failure
 * the running site stays and fresh is freed. */
int vqd_swap_site(vq_vqd *d, vq_site *fresh);
/* True when both configs name the same chain, or none: the store was opened with it. */
int vqd_same_chain(const vq_site *a, const vq_site *b);
/* Applies what the batch set in memory if it committed, drops it if not. */
void vqd_settle(vq_vqd *d, int committed);
/* Frees everything the context owns except the service. */
void vqd_free_memory(vq_vqd *d);

/* Who serves (serving.c). The name every vqd of a site shares for its presence. */
const char *vqd_presence_name(void);
/* Claims (standing by) or proves (serving) the site's claim when it is time, taking over
 * or standing by as the claim says. Returns the ms until it wants to run again. */
int vqd_claim_tick(vq_vqd *d, vq_bus *bus, double mono, int64_t now);
/* 1 if we serve and can prove it now (replies, events and state may go out). */
int vqd_lease_ok(const vq_vqd *d, double mono);
/* Before anything goes out: vqd_lease_ok, or a proof made now; 0 (and standing by from
 * then on) if neither. */
int vqd_serving_fence(vq_vqd *d, vq_bus *bus, double mono);
/* A message on presence/vqd: the one serving takes the name back from a Will. */
void vqd_presence_seen(vq_vqd *d, vq_bus *bus, const vq_bus_msg *m);

/* Handles one request inside the open batch and returns its reply (malloc'd JSON text,
 * NULL only without memory). suffix is the verb ("svc/issue"); client is the requester's
 * account, the last level of its request topic (intake.h). Before anything else the
 * request is counted against client's rate limit (d->real_ms). */
char *vqd_handle(vq_vqd *d, const char *suffix, const char *payload, size_t len, const char *client,
                 int64_t now);

/* The key a request's first reply is remembered under: the client's account and its
 * request id. vqd_request_key finds it in a request's bytes (0 if it has no usable rid),
 * and the card it names, if any ("" if none), so a batch can look all of its keys and
 * cards up at once before deciding (vq_service_prefetch, vq_store_prefetch_members). */
void vqd_reply_key(const char *client, const char *rid, char key[VQ_STORE_RID_MAX + 1]);
int vqd_request_key(const char *payload, size_t len, const char *client,
                    char key[VQ_STORE_RID_MAX + 1], char card[VQ_STORE_CARD_MAX + 1]);

/* The reply every request of a batch whose commit failed gets instead. */
char *vqd_storage_error(const char *payload, size_t len);

/* The phones' side (handlers_web.c). vqd_web_route checks a message that came on
 * web/svc/<verb>/<visitor> (its full topic, its suffix after the site prefix, and its
 * response topic): VQ_OK if the visitor is 32 lowercase hex digits and the response topic
 * is exactly that visitor's web/reply/<visitor>, with the verb ("web/svc/ticket") and the
 * client to hand vqd_handle ("~" and the id's 128 bits in base32: 27 bytes, which no
 * account name can be); VQ_EDENIED otherwise (not answered). */
int vqd_web_route(const char *topic, const char *suffix, const char *response_topic, char *verb,
                  size_t verblen, char *client, size_t clientlen);
/* "RATE/BURST" (e.g. "1/10") into its numbers; VQ_EINVAL if it does not parse. */
int vqd_web_limits_parse(const char *text, double *rate, double *burst);
int vqd_web_new(const vqd_web_limits *lim, vqd_web **out);
void vqd_web_free(vqd_web *w); /* NULL is fine */
uint64_t vqd_web_refused(const vqd_web *w);
/* What phones are told of an attraction (web/state/<attraction>), from its full state:
 * a new object when what a guest sees changed (names, status, closure, hours) or 30 s
 * passed since the last, else NULL; so phones hear of a closure at once but not of every
 * ticket issued. The caller deletes it. */
cJSON *vqd_web_attr_state(vqd_web *w, const cJSON *state);
/* The next vqd_web_attr_state of every attraction tells (after a reconnect: the broker
 * may have lost its retained messages). */
void vqd_web_forget(vqd_web *w);
/* The calendar (days.c): loads the local day that holds now when vqd has none or now has
 * passed the end of the one it has (days never go back), and retries a day that would not
 * load every VQD_DAY_RETRY_S, logging why once (and again only if the reason changes).
 * mono_ms is CLOCK_MONOTONIC in ms. */
#define VQD_DAY_RETRY_S 60
void vqd_day_follow(vq_vqd *d, int64_t now, double mono_ms);
/* The reply every request gets while the day is not loaded (malloc'd JSON text). */
char *vqd_day_refusal(const vq_vqd *d, const char *payload, size_t len);
/* "2027-03-29": the day's local date. */
void vqd_day_name(const vq_day *day, char out[11]);

/* Brings backlog and noshow up to now from the book's kept counts (vq_book_tallies: the
 * cost of what time and the book changed since, not of the day's tickets), for
 * vqd_state_attr to render every attraction from. */
void vqd_count(vq_vqd *d, int64_t now);
/* Retained state of attraction a, and of the site. The caller deletes them. */
cJSON *vqd_state_attr(const vq_vqd *d, int a, int64_t now);
/* The windows the gate of attraction a admits at now (its "admitting"): the first slot's
 * start and the last window's end, both 0 when none (closed, or outside the windows). */
void vqd_admitting(const vq_vqd *d, int a, int64_t now, int64_t *from, int64_t *until);
/* Marks dirty every attraction whose admitting window moved since it was last marked,
 * so a window that opens as time passes is published at once, not at the next refresh. */
void vqd_mark_moved_windows(vq_vqd *d, int64_t now);
cJSON *vqd_state_site(const vq_vqd *d, int64_t now);

#endif
