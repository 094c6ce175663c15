/* core/site.h — a site's configuration: attractions, tiers, languages, policy.
 *
 * A vq_site is immutable once parsed; operator changes at run time (capacity, closures)
 * live in the day's book (core/book.h), not here. Times of day are wall-clock minutes in
 * the site's timezone (0..1440); core/day.h turns them into instants on each local day,
 * from offsets the I/O layer reads from the tz database, and on a day the clocks change
 * as many slots fit as the real hours hold (core/book.h).
 */
#ifndef VQ_SITE_H
#define VQ_SITE_H

#include "vq.h"

enum vq_kind { VQ_KIND_RIDE = 0, VQ_KIND_SERVICE = 1 };
enum vq_unknown_policy { VQ_UNKNOWN_REFUSE = 0, VQ_UNKNOWN_STANDARD = 1 };

typedef struct vq_tier {
	char id[VQ_ID_MAX];                   /* "gold" */
	char name[VQ_MAX_LANGS][VQ_NAME_MAX]; /* per site language; "" falls back to lang 0 */
	int protect_pct;    /* % of each slot held for this tier and the ones above it; tier 0: 0 */
	int release_min;    /* this tier's protection lapses this long before a slot starts */
	int max_passes;     /* passes a guest of this tier may hold at once, >= 1 */
	int horizon_min;    /* a slot may start at most this long after now */
	int late_grace_min; /* extra minutes after the window end at the gate */
} vq_tier;

typedef struct vq_attraction {
	char id[VQ_ID_MAX];                   /* "coaster" */
	char prefix[4];                       /* short-number prefix, 1-3 of [A-Z]: "H" -> H-042 */
	char name[VQ_MAX_LANGS][VQ_NAME_MAX]; /* per site language; "" falls back to lang 0 */
	int kind;                             /* enum vq_kind */
	int throughput_per_hour; /* guests per hour through the attraction, 1..100000 */
	int fast_share_pct;      /* % of throughput for the fast lane, 0..100 */
	int slot_min;            /* slot length, 1..240, divides close_min - open_min */
	int window_min;          /* return window length, slot_min..720 */
	int open_min, close_min; /* opening hours, 0 <= open < close <= 1440 */
	int early_grace_min;     /* the gate admits this early, 0..120 */
	int late_grace_min;      /* the gate admits this late (tier adds its own) */
	int max_party;           /* 1..VQ_MAX_PARTY */
	int standby_min;         /* posted standby wait at start of day, minutes */
} vq_attraction;

/* The roles whose requests vqd limits, one token bucket per account and role. */
enum vq_role { VQ_ROLE_KIOSK = 0, VQ_ROLE_GATE = 1, VQ_ROLE_OPERATOR = 2, VQ_ROLE_COUNT };

typedef struct vq_limit {
	int rate_per_s; /* requests a second one account keeps up, 1..100000 */
	int burst;      /* requests it may send at once after a quiet spell, 1..1000000 */
} vq_limit;

/* Without a "limits" section: far above what a device of the role sends (a kiosk serves a
 * guest in half a minute, a gate scans a guest a second and syncs its journal 200
 * admissions a request, an operator imports members 1000 a request). */
#define VQ_LIMIT_KIOSK_RATE     5
#define VQ_LIMIT_KIOSK_BURST    60
#define VQ_LIMIT_GATE_RATE      10
#define VQ_LIMIT_GATE_BURST     200
#define VQ_LIMIT_OPERATOR_RATE  20
#define VQ_LIMIT_OPERATOR_BURST 200

typedef struct vq_site vq_site;

/* Parses a site config from len bytes of JSON (need not be NUL-terminated). On success
 * returns VQ_OK and *out; on failure returns VQ_ECONFIG (or VQ_ENOMEM) and writes into err
 * a message that names the field and the reason, e.g.
 * "attractions[2].slot_min: out of range (1..240)" or "tiers[1].id: duplicate id 'gold'". */
int vq_site_parse(const char *json, size_t len, vq_site **out, char *err, size_t errlen);
void vq_site_free(vq_site *site); /* NULL is fine */

const char *vq_site_id(const vq_site *site);
/* The chain whose member list the site shares ("chain" in the config), or NULL. */
const char *vq_site_chain(const vq_site *site);
const char *vq_site_name(const vq_site *site);
const char *vq_site_timezone(const vq_site *site); /* IANA name, e.g. "Europe/Chisinau" */
int vq_site_unknown_policy(const vq_site *site);   /* enum vq_unknown_policy */
int vq_site_min_lead_min(const vq_site *site);     /* earliest a slot may start after now */
/* An accessibility return pass gives the posted standby wait less this many minutes. */
#define VQ_ACCESS_MARGIN_DEFAULT 10
int vq_site_access_margin_min(const vq_site *site);

int vq_site_lang_count(const vq_site *site);
const char *vq_site_lang(const vq_site *site, int i);         /* "en"; i in 0..count-1 */
int vq_site_lang_find(const vq_site *site, const char *lang); /* index or -1 */

int vq_site_tier_count(const vq_site *site); /* 1..VQ_MAX_TIERS, ordered lowest first */
const vq_tier *vq_site_tier(const vq_site *site, int i);
int vq_site_tier_find(const vq_site *site, const char *id); /* index or -1 */

int vq_site_attr_count(const vq_site *site);
const vq_attraction *vq_site_attr(const vq_site *site, int i);
int vq_site_attr_find(const vq_site *site, const char *id); /* index or -1 */

/* The request limit of a role (enum vq_role); NULL if role is out of range. */
const vq_limit *vq_site_limit(const vq_site *site, int role);
const char *vq_role_name(int role); /* "kiosk", "gate", "operator"; "?" if out of range */

/* A name in language lang (index), falling back to language 0. */
const char *vq_attr_name(const vq_site *site, int attr, int lang);
const char *vq_tier_name(const vq_site *site, int tier, int lang);

#endif
