/* client/sitestate.h — what vqd tells every screen, kept current: the site (languages,
 * tiers, the public keys that verify ticket codes) and each attraction's live state, from
 * the retained topics state/_site and state/<attraction>, and whether vqd is online
 * (presence/vqd). vq-kiosk, vq-gate and vq-display all follow the park through this.
 *
 * Pure bookkeeping: messages go in (vq_sitestate_feed), views come out; the caller owns
 * the bus and the clock. Attractions keep the order in which state/_site lists them.
 */
#ifndef VQ_SITESTATE_H
#define VQ_SITESTATE_H

#include "bus/bus.h"
#include "core/code.h"

typedef struct vq_window {
	int64_t start, end; /* Unix seconds; start 0 = none */
} vq_window;

typedef struct vq_attr_view {
	char id[VQ_ID_MAX];
	int service;                           /* kind "service" (a desk) rather than a ride */
	char names[VQ_MAX_LANGS][VQ_NAME_MAX]; /* by the site's language index; "" = unknown */
	int known;                             /* a state/<id> message has arrived */
	int open;                              /* 0: closed (breakdown) */
	int64_t closed_at, reopened_at;
	vq_window admitting;          /* windows the fast lane admits now */
	vq_window next[VQ_MAX_TIERS]; /* by the site's tier index */
	int cap_today, cap_taken;
	int standby_min;
	int has_rules;                       /* the four below came with the state */
	char prefix[4];                      /* short-number prefix, "C" for C-042 */
	int early_grace_min, late_grace_min; /* the gate admits this early / late */
	int64_t opens, closes;               /* today's opening hours, Unix seconds */
	int has_merge;                       /* the merge guidance below is valid */
	int merge_fast, merge_standby, merge_phase, backlog, backlog_min;
	int64_t updated;     /* vqd's clock when it published */
	int64_t received_ms; /* the caller's clock when it arrived */
} vq_attr_view;

typedef struct vq_site_view {
	int known; /* state/_site has arrived */
	char site[VQ_ID_MAX];
	char name[VQ_NAME_MAX];
	char timezone[64];
	int nlangs;
	char langs[VQ_MAX_LANGS][VQ_LANG_MAX];
	int ntiers;
	char tiers[VQ_MAX_TIERS][VQ_ID_MAX];
	char tier_names[VQ_MAX_TIERS][VQ_MAX_LANGS][VQ_NAME_MAX];
	int tier_late_grace[VQ_MAX_TIERS]; /* minutes a tier may come after its window */
	vq_keyring keys;                   /* every key that verifies codes */
	int vqd_online;                    /* presence/vqd says online */
	int64_t vqd_changed_ms;            /* when that last changed (caller's clock) */
	int64_t updated;                   /* vqd's clock in state/_site */
	int64_t vqd_clock_ms;   /* vqd's clock ("clock.now_ms") in the last live state/_site */
	int64_t clock_heard_ms; /* the caller's clock when that arrived; 0: never heard live */
} vq_site_view;

typedef struct vq_sitestate vq_sitestate;

int vq_sitestate_new(vq_sitestate **out);
void vq_sitestate_free(vq_sitestate *s); /* NULL is fine */

/* Where a field of the wrong shape is reported: one line ("state/coaster: names: wrong type
 * (expected object); ignored"), once for as long as it is among the last 32 problems said
 * (vqd republishes a state every 30 s). NULL: nowhere. */
typedef void (*vq_sitestate_log_fn)(void *ctx, const char *line);
void vq_sitestate_set_log(vq_sitestate *s, vq_sitestate_log_fn fn, void *ctx);
/* Fields of the wrong shape met so far (each time, repeats included). */
unsigned vq_sitestate_problems(const vq_sitestate *s);
/* A log function for programs: "<prog>: <line>" on stderr; ctx is the program's name. */
void vq_sitestate_log_stderr(void *prog, const char *line);

/* The subscriptions a screen needs ("state/#" and "presence/vqd"); call before start. */
int vq_sitestate_subscribe(vq_bus *bus);

/* Takes one bus message. Returns 1 if it changed the view, 0 if it is not ours (or
 * repeats what we know), VQ_EBADREQ (negated: -VQ_EBADREQ) for one of ours that does not
 * parse — the view is then unchanged. A field of the wrong type inside a message that does
 * parse (an array where an object belongs) is ignored, counted and logged; the rest of the
 * message is taken. A VQ_BUS_DISCONNECTED message marks vqd offline: we cannot know better
 * while we cannot hear it. */
int vq_sitestate_feed(vq_sitestate *s, const vq_bus_msg *m, int64_t now_ms);

const vq_site_view *vq_sitestate_site(const vq_sitestate *s);
int vq_sitestate_attr_count(const vq_sitestate *s);
const vq_attr_view *vq_sitestate_attr(const vq_sitestate *s, int i);
const vq_attr_view *vq_sitestate_find(const vq_sitestate *s, const char *id);
/* The site's index of a language code or tier id, -1 if unknown. */
int vq_sitestate_lang(const vq_sitestate *s, const char *lang);
int vq_sitestate_tier(const vq_sitestate *s, const char *tier);
/* An attraction's name in language index lang, falling back to the first language. */
const char *vq_sitestate_attr_name(const vq_sitestate *s, const vq_attr_view *a, int lang);

/* vqd's clock minus the caller's, in ms, as the last live (not retained) state/_site
 * showed it: 1 and *skew_ms, or 0 if none has arrived live yet. Every program of a site
 * should run on one clock (clock/clock.h); a screen says so when they differ by more than
 * VQ_CLOCK_SKEW_MAX_MS. */
#define VQ_CLOCK_SKEW_MAX_MS 60000
int vq_sitestate_clock_skew(const vq_sitestate *s, int64_t *skew_ms);

/* True when what we show may be out of date: vqd offline, the site unknown, or (a >= 0)
 * attraction a's state older than max_age_ms by the caller's clock. */
int vq_sitestate_stale(const vq_sitestate *s, int a, int64_t now_ms, int64_t max_age_ms);

/* The site part (names, tiers, keys) written to / read from a file, so a gate that starts
 * while vqd is unreachable can still verify codes. Save replaces the file whole (a file
 * beside it, fsync'd, renamed over it, the folder fsync'd): VQ_ESTORE if it cannot.
 * Load feeds the saved state/_site, with the same shape checks as a message:
 * VQ_ENOTFOUND without a file, VQ_EBADREQ if it does not parse. */
int vq_sitestate_save(const vq_sitestate *s, const char *path);
int vq_sitestate_load(vq_sitestate *s, const char *path, int64_t now_ms);

#endif
