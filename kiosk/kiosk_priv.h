/* kiosk/kiosk_priv.h — the inside of a kiosk, shared by kiosk_state.c (transitions) and
 * kiosk_layout.c (what each screen shows) and nobody else.
 *
 * Invariants:
 *   - everything about the guest (card, typed, tier, held, quote, ticket, error details)
 *     is zero whenever screen is KS_WELCOME and guest_known is 0;
 *   - rq_state is RQ_IDLE exactly when no request is current, and then serial is 0;
 *   - view_valid is 0 whenever something the view depends on changed (the layout is
 *     rebuilt on the next kiosk_view_get).
 */
#ifndef VQ_KIOSK_PRIV_H
#define VQ_KIOSK_PRIV_H

#include "kiosk/kiosk_state.h"
#include "ui/view.h"

#define KIOSK_ERRCODE_MAX   32
#define KIOSK_PREFIX_MAX    41
#define KIOSK_PHONE_URL_MAX 201   /* the phone page's address, plus NUL */
#define KIOSK_STARTUP_MS    10000 /* how long "please wait" may show before "standby line" */

enum rq_state {
	RQ_IDLE = 0,
	RQ_SEND,   /* to be published now (kiosk_outgoing) */
	RQ_WAIT,   /* published; the reply is awaited until rq_deadline */
	RQ_BACKOFF /* unanswered or unsendable; sent again at rq_deadline if the link is up */
};

struct kiosk_held {
	uint64_t id;
	char number[16];
	char attr[VQ_ID_MAX];
	int64_t start, end;
	int anytime;
};

struct kiosk_alt {
	int served; /* index into the served attractions */
	int64_t start, end;
};

struct kiosk_maxp {
	char attr[VQ_ID_MAX];
	int max_party;
};

struct kiosk {
	/* configuration, copied */
	const vq_i18n *i18n;
	const vq_sitestate *site;
	int w, h, target;
	char lang0[VQ_LANG_MAX];
	char rid_prefix[KIOSK_PREFIX_MAX];
	int nserved_cfg; /* 0: every attraction state/_site lists */
	char served_cfg[KIOSK_MAX_SERVED][VQ_ID_MAX];
	int32_t combo_key;
	uint16_t combo_mods;
	int64_t idle_ms, timeout_ms, retry_ms;
	int tries_offline;
	kiosk_trace_fn trace;
	void *trace_ctx;

	/* the kiosk */
	char lang[VQ_LANG_MAX];
	char phone_url[KIOSK_PHONE_URL_MAX]; /* "" : no phone QR */
	int screen;
	int quit;
	int link_up;
	int clock_skew_min; /* this kiosk's clock minus vqd's once over a minute; else 0 */
	int64_t last_input;
	int idle_warning;     /* the "are you still there" band is showing */
	unsigned idle_wipes;  /* times nobody touched for the idle time (kiosk_idle_wipes) */
	int64_t idle_counted; /* the last_input whose idle time idle_wipes counted */
	int standby_shown;    /* the standby-line message is on screen (for the trace) */
	int64_t started;      /* kiosk_new's now */
	int startup_over;     /* KIOSK_STARTUP_MS passed: silence means unreachable */
	char pressed[VQ_ID_MAX];
	struct kiosk_maxp maxp[KIOSK_MAX_SERVED]; /* learned from party_size errors */
	int nmaxp;
	unsigned long rid_counter;
	unsigned next_serial;

	/* the guest: wiped by reset */
	int guest_known; /* identified by vqd */
	char card[KIOSK_CARD_MAX];
	char typed[KIOSK_CARD_MAX];
	char tier[VQ_ID_MAX];
	int member;
	int max_passes;
	int nheld;
	struct kiosk_held held[KIOSK_HELD_MAX];
	char attr[VQ_ID_MAX]; /* chosen attraction */
	int party;
	int64_t q_start, q_end;   /* the quote */
	char cmp_tier[VQ_ID_MAX]; /* the next tier's quote for the same party, if better */
	int64_t cmp_start, cmp_end;
	kiosk_ticket ticket;
	uint64_t spool_id;
	char err[KIOSK_ERRCODE_MAX]; /* KS_ERROR: wire code */
	int err_max_party;
	int nalts;
	struct kiosk_alt alts[KIOSK_MAX_SERVED];
	uint64_t give_back; /* held pass id awaiting confirmation, or being cancelled */
	char notice[48];    /* i18n key of a one-line notice on the screen, or "" */

	/* the request */
	int rq_state; /* enum rq_state */
	int rq_kind;  /* enum kiosk_req */
	unsigned serial;
	char rid[KIOSK_RID_MAX];
	char body[KIOSK_BODY_MAX];
	size_t body_len;
	int attempt;    /* tries published */
	int unanswered; /* tries that got no answer */
	int64_t rq_deadline;

	/* output */
	int dirty;
	int view_valid;
	vq_view view;
};

/* kiosk_layout.c: the screen for the current state into k->view. */
void kiosk_layout(kiosk *k, vq_view *v);
/* The printable ticket in w x h. */
void kiosk_layout_print(kiosk *k, int w, int h, vq_view *v);

/* kiosk_state.c, for the layout */
int kiosk_served_index(const kiosk *k, const char *id);       /* -1 if not served */
const vq_attr_view *kiosk_served_view(const kiosk *k, int i); /* NULL if not heard yet */
const char *kiosk_attr_name(const kiosk *k, const char *id);
const char *kiosk_tier_name(const kiosk *k, const char *tier);
int kiosk_known_max_party(const kiosk *k, const char *attr); /* 0: unknown */
int kiosk_shows_standby(const kiosk *k);
int kiosk_format(const kiosk *k, const char *key, char *out, size_t outlen, ...);

#endif
