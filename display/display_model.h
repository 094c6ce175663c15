/* display/display_model.h — what a vq-display board shows, as plain data: the board model.
 *
 * A board follows the park through a vq_sitestate (client/sitestate.h: retained state,
 * vqd's presence) and the admissions vqd announces on events/admission. From those and
 * the time it makes a vq_board_view: one page of rows, each an attraction's status,
 * which return times the fast lane admits now (up to when, by the gate's own rule: a
 * window is welcome from its start less the early grace), the next return time per tier,
 * the standby wait and the numbers just admitted there. The renderer draws a view; the program
 * redraws only when the view it would draw differs from the one on screen (a plain memcmp), so the
 * view holds exactly what is visible and nothing else.
 *
 * Pure: no I/O, no clock (now_ms is given), no SDL. Times shown are vqd's (Unix s), in the
 * site's zone; the park clock is vqd's, as its latest live state/_site gave it (or, until
 * one came, its other states), so a board shows the park's time even when its own clock
 * is off. The board's own clock measures ages (staleness), drives rotation and paging,
 * and is compared with vqd's: more than a minute apart, the footer says so.
 *
 * Honesty rules (the board never shows old times as current):
 *   - nothing from vqd yet (state/_site not seen): VQ_BOARD_NO_SITE;
 *   - vqd's presence says offline, or we lost the broker: VQ_BOARD_OFFLINE;
 *   - a shown attraction's state arrived more than stale_s ago (vqd republishes at least
 *     every 30 s): that row is stale, and the board VQ_BOARD_OLD.
 * A stale board keeps its data on screen, greyed, under a banner that says so.
 */
#ifndef VQ_DISPLAY_MODEL_H
#define VQ_DISPLAY_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"
#include "client/sitestate.h"
#include "clock/timefmt.h"
#include "core/vq.h"

#define VQ_BOARD_MAX_ATTRS  128              /* attractions a board follows */
#define VQ_BOARD_PAGE_MAX   32               /* rows on one page */
#define VQ_BOARD_CALLED_MAX 8                /* numbers kept per attraction */
#define VQ_BOARD_NUMBER_MAX 16               /* "H-042" and the NUL */
#define VQ_BOARD_TIME_MAX   VQ_TIME_HHMM_MAX /* "10:42", "03:30 UTC+3" and the NUL */

#define VQ_BOARD_DEFAULT_STALE_S    90
#define VQ_BOARD_DEFAULT_CALLED     4
#define VQ_BOARD_DEFAULT_CALLED_AGE 3600 /* s of park time a number stays listed */
#define VQ_BOARD_DEFAULT_PAGE_S     12
#define VQ_BOARD_DEFAULT_REOPENED_S 1800 /* "reopened at" shows this long */

typedef struct vq_board_opts {
	const char *attractions;  /* comma-separated ids, shown in this order; NULL/"": all, in
	                             the order state/_site lists them */
	int stale_s;              /* 0: VQ_BOARD_DEFAULT_STALE_S; else 1..86400 */
	int called;               /* numbers per attraction, 1..VQ_BOARD_CALLED_MAX; 0: default */
	int called_age_s;         /* 0: VQ_BOARD_DEFAULT_CALLED_AGE */
	int page_s;               /* seconds a page shows; 0: VQ_BOARD_DEFAULT_PAGE_S */
	int reopened_s;           /* 0: VQ_BOARD_DEFAULT_REOPENED_S */
	const char *lang;         /* a fixed language; NULL: rotate through langs */
	int lang_rotate_s;        /* rotation period; 0: no rotation (the first language) */
	const char *const *langs; /* the languages the board can speak (translations loaded),
	                             preferred order; the site's own list narrows them */
	int nlangs;               /* 1..VQ_MAX_LANGS */
} vq_board_opts;

enum vq_board_status {
	VQ_BOARD_WAITING = 0, /* no state/<attraction> yet */
	VQ_BOARD_OPEN,
	VQ_BOARD_CLOSED,   /* closed for a breakdown, since closed_at */
	VQ_BOARD_REOPENED, /* open again, since reopened_at (shown for reopened_s) */
};

/* An open attraction outside its hours admits no one: the board says why rather than
 * showing an empty "now admitting". */
enum vq_board_hours {
	VQ_BOARD_IN_HOURS = 0, /* or hours unknown */
	VQ_BOARD_BEFORE_HOURS, /* "Opens at HH:MM" */
	VQ_BOARD_AFTER_HOURS,  /* "Closed for today" */
};

enum vq_board_stale {
	VQ_BOARD_FRESH = 0,
	VQ_BOARD_NO_SITE, /* never heard from vqd */
	VQ_BOARD_OFFLINE, /* vqd (or the broker) is gone */
	VQ_BOARD_OLD,     /* a shown attraction's state is older than stale_s */
};

typedef struct vq_board_called {
	char number[VQ_BOARD_NUMBER_MAX]; /* "C-042" */
	char desk[VQ_ID_MAX];             /* services: the desk, from the gate id ("gate-3": "3") */
	int64_t at;                       /* vqd's time of the admission */
	int newness;                      /* 0: the newest of the row, 1: the one before... */
} vq_board_called;

typedef struct vq_board_row {
	char id[VQ_ID_MAX];
	char name[VQ_NAME_MAX]; /* in the view's language */
	int service;            /* a desk: numbers show with their desk */
	int status;             /* enum vq_board_status */
	int64_t since;          /* CLOSED: closed_at; REOPENED: reopened_at */
	vq_window admitting;    /* start 0: none */
	int64_t admits_upto;    /* the gate admits now every return time starting up to this
	                           (vqd's time, whole minutes); 0: admitting none */
	vq_window next[VQ_MAX_TIERS];
	int standby_min; /* -1: none posted (services) */
	int hours;       /* enum vq_board_hours: open but outside today's opening hours */
	int64_t opens;   /* VQ_BOARD_BEFORE_HOURS: when it opens (vqd's time) */
	int ncalled;
	vq_board_called called[VQ_BOARD_CALLED_MAX]; /* the newest admitted, in number order */
	int stale;                                   /* this row's data may be out of date */
} vq_board_row;

/* Everything one frame shows. Unused bytes are zero, so two views compare with memcmp. */
typedef struct vq_board_view {
	char lang[VQ_LANG_MAX]; /* the language of this frame */
	char site_name[VQ_NAME_MAX];
	int ntiers;
	char tier_names[VQ_MAX_TIERS][VQ_NAME_MAX];
	int stale;           /* enum vq_board_stale: the banner */
	char zone[64];       /* the site's time zone: every time is shown in it */
	int64_t clock_min;   /* the park's clock, in whole minutes since the epoch; 0: unknown */
	int clock_skew_min;  /* the board's clock minus vqd's, in minutes, once they differ by
	                        more than VQ_CLOCK_SKEW_MAX_MS; else 0 */
	int64_t last_update; /* vqd's time of the newest state shown (Unix s); 0: none */
	int page, npages;    /* 0-based page, and how many the attractions fill */
	int total;           /* attractions the board follows (known so far) */
	int nrows;           /* rows on this page */
	vq_board_row rows[VQ_BOARD_PAGE_MAX];
} vq_board_view;

typedef struct vq_board vq_board;

/* Checks and copies o. VQ_EINVAL with a message in err (naming the option) otherwise. */
int vq_board_new(const vq_board_opts *o, vq_board **out, char *err, size_t errlen);
void vq_board_free(vq_board *b); /* NULL is fine */

/* The subscriptions a board needs besides vq_sitestate_subscribe's. */
int vq_board_subscribe(vq_bus *bus);

/* An events/admission message's fields (docs/protocol.md), each checked for its type and
 * length: 1 and *out; 0 for another message; -VQ_EBADREQ for an admission that does not
 * parse. */
typedef struct vq_board_admission {
	char attr[VQ_ID_MAX];
	char number[VQ_BOARD_NUMBER_MAX];
	char gate[VQ_BUS_ID_MAX];
	int64_t ticket, at;
} vq_board_admission;
int vq_board_admission_parse(const vq_bus_msg *m, vq_board_admission *out);

/* Takes one bus message. events/admission for an attraction the board follows: returns
 * 1 if it added a number (a repeat of one already listed, as QoS 1 may deliver, adds
 * nothing). 0 for anything else; -VQ_EBADREQ for an admission that does not parse. */
int vq_board_feed(vq_board *b, const vq_bus_msg *m, int64_t now_ms);

/* Makes the view of the board at now_ms with per_page rows a page (1..VQ_BOARD_PAGE_MAX,
 * from the layout). VQ_EINVAL for a bad per_page. */
int vq_board_view_make(const vq_board *b, const vq_sitestate *ss, int per_page, int64_t now_ms,
                       vq_board_view *out);

/* How many attractions the board follows that the site has announced (all of them, or
 * those of --attractions it knows): what the layout must make room for. */
int vq_board_count(const vq_board *b, const vq_sitestate *ss);

/* When, by the board's clock, the view may next change with no message arriving: a
 * language or page turns, a state becomes too old, the park clock's minute ends, a
 * "reopened" or a called number expires. INT64_MAX if nothing is due. Waking earlier
 * than needed is harmless (the view is compared); later is not. */
int64_t vq_board_next_change(const vq_board *b, const vq_sitestate *ss, int per_page,
                             int64_t now_ms);

/* The index into langs[0..n) the board speaks at now_ms when rotating every rotate_s
 * seconds: by the wall clock, so every board in the park turns at the same moment. */
int vq_board_lang_index(int n, int rotate_s, int64_t now_ms);

/* The page shown at now_ms of npages turning every page_s seconds. */
int vq_board_page_index(int npages, int page_s, int64_t now_ms);

/* Unix seconds as local "HH:MM" in zone (the view's), with the offset where that time is
 * shown twice (clock/timefmt.h). */
void vq_board_hhmm(const char *zone, int64_t t, char out[VQ_BOARD_TIME_MAX]);

/* The tiers worth a mark on a row that shows one "next return" (the lowest tier's):
 * those (index >= 1) whose next return differs from the tier below theirs, and is not
 * none. Writes their indices to tiers (room for ntiers) and returns how many. */
int vq_board_row_marks(const vq_board_row *r, int ntiers, int *tiers);

/* One line describing a row, for --trace and tests:
 *   "flume open admitting=10:10-10:55 upto=10:15 next=standard@10:20-11:05,gold@none
 *    standby=25 called=L-003,L-008 stale=0"
 * (outside hours, " hours=before@10:00" or " hours=after" follows the status) * (services:
 * called=T-001>1, the desk after '>'). Times in zone; tiers: the site's tier ids, ntiers of
 * them. Cut to fit outlen. */
void vq_board_row_describe(const vq_board_row *r, const char *zone, const char (*tiers)[VQ_ID_MAX],
                           int ntiers, char *out, size_t outlen);

/* "ok", "no_site", "offline", "old". */
const char *vq_board_stale_name(int stale);

#endif
