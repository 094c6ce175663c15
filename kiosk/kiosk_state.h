/* kiosk/kiosk_state.h — the visitor kiosk as a pure state machine: screens, the guest's
 * session, the one request in flight, and the idle timeout.
 *
 * No I/O and no clock: input events (ui/input.h), replies and the link's state go in with
 * the caller's `now`; a display list (ui/view.h), the request to send and trace
 * lines come out. So every screen transition is tested without a window or a broker, and
 * vq-kiosk (kiosk_main.c) is only the plumbing around it:
 *
 *	kiosk_update(k, &in, now);                 input, or VQ_IN_NONE to let time pass
 *	while (kiosk_outgoing(k, &rq))             a request to publish (svc/...)
 *		kiosk_sent(k, vq_bus_request(...), now);
 *	kiosk_reply(k, payload, len, now);        its reply (matched by correlation)
 *	if (kiosk_dirty(k)) render(kiosk_view_get(k)); drawn only when something changed
 *
 * The guest (card number, tier, held passes, the ticket shown) lives only in the kiosk's
 * memory, and is wiped (zeroed, not just forgotten) whenever the screen returns to the
 * welcome screen: by "Start over", "Done" or after idle_ms without a touch.
 *
 * Requests. At most one is in flight. It keeps its request id (rid) from the first try to
 * the last: a reply that does not come within reply_timeout_ms is asked again with the
 * same rid, so vqd answers a repeated issue with the first ticket, never a second one.
 * While the link is down (broker or vqd unreachable) the guest sees "please use the
 * standby line" and the request is retried every retry_ms and as soon as the link is
 * back, until it is answered or the guest gives up.
 */
#ifndef VQ_KIOSK_STATE_H
#define VQ_KIOSK_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "client/sitestate.h"
#include "clock/timefmt.h"
#include "ui/i18n.h"
#include "ui/input.h"
#include "ui/view.h"

#define KIOSK_MAX_SERVED 64  /* attractions one kiosk offers */
#define KIOSK_CARD_MAX   33  /* card numbers: 1..32 printable ASCII (protocol) and NUL */
#define KIOSK_RID_MAX    65  /* 1..64 printable ASCII and NUL */
#define KIOSK_BODY_MAX   512 /* a request body */
#define KIOSK_PARTY_MAX  8   /* party sizes offered: 1..8, less once a max_party is learned */
#define KIOSK_HELD_MAX   16  /* passes of a guest shown */

enum kiosk_screen {
	KS_WELCOME = 0, /* attractions, next return times, languages */
	KS_IDENTIFY,    /* scan or type a ticket or card number */
	KS_PARTY,       /* how many people */
	KS_CONFIRM,     /* the quote: "Gold: return 10:15–11:15", and what the next tier
	                   would get for the same party if that is better; confirm */
	KS_TICKET,      /* the ticket: window, number, QR */
	KS_ERROR,       /* a refusal, with what to do next */
	KS_OFFLINE      /* a request cannot reach vqd: standby line, retrying */
};

enum kiosk_req {
	KR_NONE = 0,
	KR_IDENTIFY, /* svc/identify */
	KR_QUOTE,    /* svc/quote (all attractions: the others are the alternatives) */
	KR_ISSUE,    /* svc/issue */
	KR_CANCEL,   /* svc/cancel: a held pass given back */
	KR_COMPARE   /* svc/quote as the next tier, same party and attraction: the one honest
	                comparison the confirm screen shows */
};

/* What a button does when tapped (vq_el.action; arg in vq_el.arg). */
enum kiosk_action {
	KA_NONE = 0,
	KA_LANG,          /* arg: i18n language index */
	KA_ATTR,          /* arg: served attraction index */
	KA_KEY,           /* arg: the character typed ('0'..'9', 'a'..'z', '-') */
	KA_DELETE,        /* remove the last character typed */
	KA_SUBMIT,        /* the typed number */
	KA_BACK,          /* one screen back */
	KA_START_OVER,    /* forget the guest, welcome screen */
	KA_PARTY,         /* arg: party size */
	KA_CONFIRM,       /* take the ticket quoted */
	KA_DONE,          /* ticket taken: welcome screen */
	KA_ALT,           /* arg: served attraction index of an alternative */
	KA_CHOOSE_AGAIN,  /* back to the party size */
	KA_TRY_AGAIN,     /* back to identify */
	KA_CONTINUE,      /* still here: dismisses the idle warning */
	KA_GIVE_BACK,     /* arg: index of a held pass; asks for confirmation */
	KA_GIVE_BACK_YES, /* the pass asked about is cancelled (svc/cancel) */
	KA_GIVE_BACK_NO,  /* keep it after all */
	KA_CONTRAST,      /* high contrast on / off (kiosk_voice.h: the view, not the state) */
	KA_LARGE_TEXT     /* large text on / off (the same) */
};

typedef void (*kiosk_trace_fn)(void *ctx, const char *line);

typedef struct kiosk_cfg {
	const vq_i18n *i18n;      /* required; outlives the kiosk */
	const vq_sitestate *site; /* the retained state; required, outlives the kiosk */
	int width, height;        /* the logical frame the view is laid out in */
	int target_px;            /* least side of a touch target (vq_ui_mm(ui, 15)) */
	const char *lang;         /* first language; NULL: "en" */
	const char *attractions;  /* "a,b,c": those served, in that order; NULL/"": all */
	const char *rid_prefix;   /* [!-~]{1,40}, unique per kiosk run: "kiosk-1-lx3k9a" */
	const char *staff_combo;  /* "ctrl+alt+shift+q" (the default when NULL) */
	const char *phone_url;    /* the guests' phone page ("https://park.example/phone/"):
	                           * tickets also carry it with their code after '#' as a
	                           * second, smaller QR; NULL/"": none. http(s), no '#' */
	int64_t idle_ms;          /* 0: 45000 */
	int64_t reply_timeout_ms; /* 0: 4000 */
	int64_t retry_ms;         /* 0: 3000 */
	int tries_before_offline; /* 0: 2 (unanswered tries before the standby screen) */
	kiosk_trace_fn trace;     /* one line per state change / request outcome; or NULL */
	void *trace_ctx;
} kiosk_cfg;

/* A request ready to publish. body is JSON, NUL-terminated. */
typedef struct kiosk_request {
	int kind;           /* enum kiosk_req */
	const char *suffix; /* "svc/identify", ... */
	char rid[KIOSK_RID_MAX];
	char body[KIOSK_BODY_MAX];
	size_t len;
	unsigned serial; /* the same for every try of one request */
	int attempt;     /* 1 for the first try */
} kiosk_request;

/* The ticket on screen, for the printable copies (kiosk/kiosk_spool.h). */
typedef struct kiosk_ticket {
	uint64_t id;
	char number[16];
	char attraction[VQ_ID_MAX];
	char tier[VQ_ID_MAX];
	int party;
	int64_t start, end;
	char code[VQ_CODE_MAX];
} kiosk_ticket;

typedef struct kiosk kiosk;

/* VQ_EINVAL (bad cfg: no i18n or site, a size under 64, a bad rid prefix or combo),
 * VQ_ENOMEM. *out is left alone on failure. */
int kiosk_new(const kiosk_cfg *cfg, int64_t now_ms, kiosk **out);
void kiosk_free(kiosk *k); /* NULL is fine; wipes the guest first */

/* One input event at now_ms (VQ_IN_NONE: only time passed). VQ_IN_BUS is the caller's
 * business and ignored here. */
void kiosk_update(kiosk *k, const vq_input *in, int64_t now_ms);

/* The retained state changed (vq_sitestate_feed returned 1): redraw the times. */
void kiosk_site_changed(kiosk *k, int64_t now_ms);

/* The link: 1 when the bus is connected and vqd says it is online. */
void kiosk_link(kiosk *k, int up, int64_t now_ms);

/* A request waiting to be published (the first try or a retry): 1 and *out, or 0. */
int kiosk_outgoing(const kiosk *k, kiosk_request *out);
/* What publishing the outgoing request gave (vq_bus_request's result). */
void kiosk_sent(kiosk *k, int rc, int64_t now_ms);
/* The reply to the request in flight (the caller matched its correlation data). A reply
 * whose rid is not the current request's is ignored. */
void kiosk_reply(kiosk *k, const char *payload, size_t len, int64_t now_ms);

/* The serial of the current request (0: none); it changes only with a new request. */
unsigned kiosk_request_serial(const kiosk *k);
/* A request is out and its answer awaited now (not merely waiting to retry). */
int kiosk_busy(const kiosk *k);
/* The latest time kiosk_update must next be called (idle, timeouts, retries);
 * INT64_MAX if nothing is due. */
int64_t kiosk_deadline(const kiosk *k);

int kiosk_screen(const kiosk *k); /* enum kiosk_screen */
const char *kiosk_screen_name(int screen);
int kiosk_quit(const kiosk *k); /* the staff combination was pressed */
int kiosk_link_up(const kiosk *k);
const char *kiosk_lang(const kiosk *k);
const char *kiosk_card(const kiosk *k);       /* "" when no guest */
const char *kiosk_tier(const kiosk *k);       /* the guest's tier id from vqd; "" if none */
const char *kiosk_attraction(const kiosk *k); /* chosen attraction id; "" if none */
int kiosk_party(const kiosk *k);
const char *kiosk_error_code(const kiosk *k); /* KS_ERROR: the wire code shown */
int kiosk_held_count(const kiosk *k);
/* The id of the held pass awaiting "give back?" confirmation; 0 when none. */
uint64_t kiosk_give_back_pending(const kiosk *k);
/* KS_TICKET: 1 and *out; else 0. */
int kiosk_ticket_get(const kiosk *k, kiosk_ticket *out);
/* How many times nobody touched the kiosk for its idle time, on any screen: whoever was
 * there has walked away, and what they chose for themselves (in vq-kiosk: audio mode,
 * contrast, large text) goes with them, as the guest and the language do. */
unsigned kiosk_idle_wipes(const kiosk *k);
/* A guest's input that the kiosk itself did not get (audio mode's keys: kiosk_voice.h)
 * still shows someone is there: it holds off the idle wipe like a touch. */
void kiosk_touched(kiosk *k, int64_t now_ms);
/* Served attractions: count and id of each (in the welcome screen's order). */
int kiosk_served_count(const kiosk *k);
const char *kiosk_served_id(const kiosk *k, int i);

/* Redraw needed since the last kiosk_clean. */
int kiosk_dirty(const kiosk *k);
void kiosk_clean(kiosk *k);
void kiosk_touch_view(kiosk *k); /* the frame was overwritten (e.g. by a print): redraw */

/* The screen as it should look now (rebuilt lazily, so always current). */
const vq_view *kiosk_view_get(kiosk *k);
/* The printable ticket laid out in w x h (KS_TICKET only; NULL otherwise), into *out. */
int kiosk_print_view(kiosk *k, int w, int h, vq_view *out);

/* A ticket whose printable copies are still to be written (0 when none). */
/* An address a phone can open: http(s)://, printable ASCII, no '#', under 200 bytes. */
int kiosk_phone_url_ok(const char *url);
/* The link to the ticket on the guest's phone ("<phone_url>#<code>") into out; 0 when
 * the kiosk has no phone page or the link does not fit. */
int kiosk_phone_link(const kiosk *k, const char *code, char *out, size_t outlen);

uint64_t kiosk_spool_pending(const kiosk *k);
void kiosk_spool_done(kiosk *k, uint64_t id);

/* Times as the site shows them: "10:15" in the site's timezone, with the offset where
 * that time is shown twice, "10:15 UTC" while the zone is unknown (clock/timefmt.h). */
void kiosk_hhmm(const kiosk *k, int64_t t, char out[VQ_TIME_HHMM_MAX]);
/* The day of t as the site shows it, in the kiosk's language: "15 June 2027". */
void kiosk_date(const kiosk *k, int64_t t, char *out, size_t outlen);

/* The i18n string of key in the kiosk's language (placeholders left as written). */
const char *kiosk_tr(const kiosk *k, const char *key);

/* Parses a combination "ctrl+alt+shift+q" into an SDL keycode and the modifiers it
 * needs (KMOD_CTRL...). VQ_EINVAL if it names no key. */
int kiosk_combo_parse(const char *combo, int32_t *key, uint16_t *mods);

#endif
