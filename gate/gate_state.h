/* gate/gate_state.h — vq-gate, the staff program at a fast-lane entrance, as a state
 * machine: input and bus messages in, a view (what staff see) and requests out.
 *
 * A scan is redeemed online (svc/redeem) while vqd can be reached. When it cannot — the bus
 * is down, presence/vqd says offline, or a redeem got no reply within the timeout — the gate
 * checks the code itself (gate_offline_check: the signature with the site's public keys,
 * then the admission rule of core/admit.h), admits, and writes the admission to its journal
 * (gate/gate_journal.h), which it sends with svc/sync once vqd answers again. Staff
 * overrides go through the journal too, so one made offline reaches vqd's audit log later.
 * Staff also issue accessibility return passes here (F3 or the footer's button: the
 * guest's card and party, svc/access), online only: one pass a guest is vqd's to keep.
 *
 * Effects go through gate_io (the bus, the trace, the beep), so tests drive the machine
 * with fake ones and hand-made replies. Time is always passed in: ms since the epoch.
 */
#ifndef VQ_GATE_STATE_H
#define VQ_GATE_STATE_H

#include "bus/bus.h"
#include "client/sitestate.h"
#include "core/site.h"
#include "gate/gate_journal.h"
#include "ui/i18n.h"
#include "ui/input.h"
#include "ui/widgets.h"

/* Why a ticket was refused; one counter each. */
enum gate_reason {
	GATE_R_NONE = 0,
	GATE_R_TOO_EARLY,
	GATE_R_EXPIRED,
	GATE_R_USED,
	GATE_R_FORGED, /* forged, or damaged so that it does not parse */
	GATE_R_UNKNOWN_KEY,
	GATE_R_WRONG_ATTR,
	GATE_R_CLOSED,
	GATE_R_CANCELLED,
	GATE_R_UNKNOWN_TICKET,
	GATE_R_NO_KEYS,       /* offline and no public keys yet: nothing can be checked */
	GATE_R_CANNOT_RECORD, /* offline, and the journal cannot be written (disk full) */
	GATE_R_NOT_OURS,      /* not a vq code at all ("VQ1:..."): another barcode, a park ticket */
	GATE_R_OTHER,         /* anything else vqd said (error names it) */
	GATE_R_COUNT
};

/* The stable name ("too_early", "already_used", "forged", "not_a_ticket", ...) used in
 * traces. */
const char *gate_reason_name(int reason);
/* The reason for one of vqd's error codes ("malformed_code" -> GATE_R_FORGED). */
int gate_reason_from_wire(const char *code);

enum gate_screen {
	GATE_SCREEN_READY = 0, /* waiting for a scan */
	GATE_SCREEN_CHECKING,  /* a redeem is on its way */
	GATE_SCREEN_VERDICT,   /* full-screen admit or refuse */
	GATE_SCREEN_OVERRIDE,  /* choosing the reason for a staff override */
	GATE_SCREEN_ACCESS,    /* an accessibility return pass: the guest's card and party */
	GATE_SCREEN_PASS       /* the pass vqd issued, shown like a ticket (QR) */
};

enum gate_cue { GATE_CUE_ADMIT = 1, GATE_CUE_REFUSE, GATE_CUE_ALERT };

/* Why the gate works offline. */
enum gate_mode { GATE_ONLINE = 0, GATE_OFF_BUS, GATE_OFF_PRESENCE, GATE_OFF_TIMEOUT };
/* How long a gate with no keys tries to connect before it says it cannot reach the
 * server (a broker on the LAN answers within a second or two). */
#define GATE_UNREACHABLE_MS 10000

enum gate_notice_kind {
	GATE_NOTICE_NONE = 0,
	GATE_NOTICE_CONFLICT,     /* a ticket admitted twice while gates were offline */
	GATE_NOTICE_SYNC_REFUSED, /* vqd refused an admission made offline */
	GATE_NOTICE_JOURNAL       /* the journal could not be written */
};

typedef struct gate_verdict {
	int admit;
	int reason;   /* enum gate_reason, when !admit */
	int offline;  /* decided by the gate alone */
	int override; /* staff override */
	int pending;  /* override: not yet recorded by vqd */
	int anytime;  /* an any-time pass (its window fell in a closure) */
	int access;   /* an accessibility return pass (its code says so; svc/access) */
	uint64_t ticket;
	char number[GATE_NUMBER_MAX];
	int party;
	char tier[VQ_ID_MAX];
	int64_t win_start, win_end; /* the ticket's window, Unix s; 0: unknown */
	int64_t from, until;        /* too early / expired: the admission interval */
	int64_t used_at;            /* already used: when and where */
	char used_gate[VQ_ID_MAX];
	char ticket_attr[VQ_ID_MAX]; /* wrong attraction: the ticket's */
	char error[GATE_ERROR_MAX];  /* GATE_R_OTHER: vqd's code */
	char code[VQ_CODE_MAX];      /* what was scanned (for an override) */
	int64_t at;                  /* when it was decided, Unix s */
} gate_verdict;

typedef struct gate_counters {
	int admitted; /* every admission: online, offline, override */
	int offline;  /* of which made offline */
	int overrides;
	int refused;
	int by_reason[GATE_R_COUNT];
	int conflicts;    /* tickets admitted twice (reported by vqd) */
	int sync_refused; /* offline admissions vqd did not accept */
} gate_counters;

typedef struct gate_notice {
	int kind; /* enum gate_notice_kind */
	uint64_t ticket;
	char number[GATE_NUMBER_MAX];
	char other_gate[VQ_ID_MAX];
	int64_t other_at;
	char error[GATE_ERROR_MAX];
} gate_notice;

/* An accessibility return pass vqd issued at this gate (svc/access). */
typedef struct gate_pass {
	uint64_t ticket;
	char number[GATE_NUMBER_MAX];
	char attraction[VQ_ID_MAX];
	int party;
	int64_t start, end; /* from the return time to closing, Unix s */
	char code[VQ_CODE_MAX];
} gate_pass;

/* What a screen shows; the renderer reads nothing else of the state. */
typedef struct gate_view {
	int screen; /* enum gate_screen */
	gate_verdict verdict;
	char entry[VQ_INPUT_TEXT_MAX]; /* typed: a code (ready) or a reason (override) */
	int mode;                      /* enum gate_mode */
	int connected;                 /* the bus is up */
	int heard;                     /* the site and vqd's presence have been heard */
	int have_keys;                 /* public keys to check codes offline */
	int unreachable; /* off the bus with no keys for GATE_UNREACHABLE_MS: it cannot check
	                    a code until the broker answers, and staff must know */
	int pending;     /* journal entries vqd has not confirmed */
	gate_counters counters;
	gate_notice notice;
	char ov_code[VQ_CODE_MAX]; /* the override screen: the refused code, or "" */
	char ov_number[GATE_NUMBER_MAX];
	int acc_party;                  /* the access screen: the party chosen, 1.. */
	int acc_busy;                   /* svc/access asked, no answer yet */
	char acc_error[GATE_ERROR_MAX]; /* why the last one was not issued: a wire code, or
	                                   "offline", "timeout"; "" none */
	char acc_held[GATE_NUMBER_MAX]; /* limit_reached: the pass the guest holds */
	gate_pass pass;                 /* GATE_SCREEN_PASS */
	char pressed[VQ_ID_MAX];        /* the button under a finger */
	int64_t now_ms;
	int clock_skew_min; /* this gate's clock minus vqd's, once over a minute; else 0 */
	char attraction[VQ_ID_MAX];
	char gate_id[VQ_ID_MAX];
	char lang[VQ_LANG_MAX];
} gate_view;

/* A key combination: "ctrl+alt+shift+q". */
#define GATE_MOD_CTRL  1u
#define GATE_MOD_ALT   2u
#define GATE_MOD_SHIFT 4u
#define GATE_MOD_GUI   8u
typedef struct gate_combo {
	int32_t key; /* SDL_Keycode, lower case for letters */
	unsigned mods;
} gate_combo;
/* VQ_EINVAL if text is not modifiers and one key joined by '+'. */
int gate_combo_parse(const char *text, gate_combo *out);

typedef struct gate_io {
	void *ctx;
	/* Publishes a request to svc ("svc/redeem"), writing its correlation id; as
	 * vq_bus_request. */
	int (*request)(void *ctx, const char *svc, const char *body, size_t len,
	               char corr[VQ_BUS_CORR_MAX]);
	/* Takes queued messages without waiting; as vq_bus_poll with timeout 0. May be NULL. */
	int (*poll)(void *ctx, vq_bus_msg **out, size_t max, size_t *n);
	void (*trace)(void *ctx, const char *line); /* one verdict or sync line; may be NULL */
	void (*cue)(void *ctx, int cue);            /* enum gate_cue; may be NULL */
	void (*site_changed)(void *ctx);            /* state/_site changed: cache it; or NULL */
} gate_io;

typedef struct gate_opts {
	const char *attraction; /* required: the attraction this gate admits to */
	const char *gate_id;    /* required: our client id, "gate-1" */
	const char *lang;       /* NULL: "en" */
	const vq_i18n *i18n;    /* required (labels of buttons) */
	/* The site config vqd runs, for exact offline checks (grace times, number prefixes);
	 * NULL: the gate builds rules from state/_site with no grace at all, so offline it
	 * admits exactly the printed window, never what vqd would refuse. Borrowed. */
	const vq_site *config;
	int timeout_ms;    /* a redeem without reply this long sends the gate offline; 0: 1500 */
	int verdict_ms;    /* a verdict stays on screen this long; 0: 6000 */
	int probe_ms;      /* after a timeout, ask vqd again this much later; 0: 15000 */
	gate_combo quit;   /* key: 0 = none */
	int width, height; /* the logical frame; 0: 1280 x 800 */
} gate_opts;

typedef struct gate gate;

/* ss and j are borrowed and must outlive the gate; io is copied. */
int gate_new(const gate_opts *o, vq_sitestate *ss, gate_journal *j, const gate_io *io, gate **out);
void gate_free(gate *g); /* NULL is fine */

/* One input (VQ_IN_BUS: drains io->poll), then gate_tick. */
void gate_update(gate *g, const vq_input *in, int64_t now_ms);
/* One bus message: site state, replies, connection changes, events/conflict. */
void gate_on_msg(gate *g, const vq_bus_msg *m, int64_t now_ms);
/* Time passed: timeouts, sync and overrides to send, the verdict's end. */
void gate_tick(gate *g, int64_t now_ms);

/* A request is on its way, or work waits that vqd can take now (a script waits for it). */
int gate_busy(const gate *g, int64_t now_ms);
/* The ms until gate_tick has something to do (a timeout, the verdict's end, the minute of
 * the clock), at most max_ms. */
int gate_wait_ms(const gate *g, int64_t now_ms, int max_ms);

int gate_dirty(const gate *g);
void gate_clean(gate *g);
int gate_quit(const gate *g);

const gate_view *gate_view_get(const gate *g);
const vq_sitestate *gate_sitestate(const gate *g);
/* The site's zone: from vqd's state/_site, else the --site-config; NULL if neither. */
const char *gate_zone(const gate *g);
const vq_i18n *gate_i18n(const gate *g);

/* Where things are on the frame: the renderer draws there, taps are tested there. */
typedef struct gate_layout {
	vq_rect header; /* attraction, gate, online or offline, clock */
	vq_rect banner; /* a notice (conflict...) to acknowledge; h = 0 when none */
	vq_rect main;   /* the verdict, or the ready screen */
	vq_rect footer; /* merge guidance, shift counters, the staff button */
	vq_rect merge, counters, action, notice_ok;
	vq_rect access; /* the footer's "Access pass" button, left of the action */
} gate_layout;
void gate_layout_get(const gate *g, gate_layout *out);

/* The buttons of the current screen, as drawn and as hit; returns how many (<= max). */
int gate_buttons(const gate *g, vq_button *out, int max);

/* --- the offline check (pure) ------------------------------------------------------- */

typedef struct gate_offline {
	const vq_keyring *keys;
	const char *site_id;         /* a code of another site is refused as forged */
	const vq_site *rules;        /* the config, or gate_rules_synth's */
	const char *attraction;      /* the gate's */
	const vq_attr_view *state;   /* the gate's attraction as last heard, or NULL */
	const gate_journal *journal; /* tickets known used, or NULL */
	const char *prefix;          /* our number prefix ("C"), or NULL/"" if unknown */
	int exact; /* rules is the site's config: its prefixes are the real ones */
} gate_offline;

/* Checks code (len bytes) at now (Unix s) and fills *out (admit, or the reason and its
 * details). Returns VQ_OK to admit, otherwise the vq_err behind the refusal. A ticket whose
 * admission interval met a closure of this attraction that has ended is an any-time pass,
 * valid from the reopening (for 24 h: the gate does not know the closing time). */
int gate_offline_check(const gate_offline *c, const char *code, size_t len, int64_t now,
                       gate_verdict *out);

/* Offline rules from what vqd publishes: the tiers and their late grace (state/_site),
 * each attraction's prefix and graces (state/<id>) — vqd's own rules once those came,
 * grace 0 where nothing was heard yet (never admitting what vqd would refuse). The gate's
 * own attraction is included even if not listed. VQ_EINVAL while the tiers are unknown. */
int gate_rules_synth(const vq_sitestate *ss, const char *attraction, vq_site **out);

/* A scanned or typed code tidied: spaces dropped, letters upper-cased (the alphabet is
 * A-Z 2-7). Writes at most outlen bytes with the NUL. */
void gate_code_normalize(const char *in, char *out, size_t outlen);

/* Whether a tidied code is a vq ticket code at all ("VQ1:" and more): anything else is
 * some other barcode, refused as "not a fast-lane ticket" rather than as forged. */
int gate_code_is_ours(const char *code);

#endif
