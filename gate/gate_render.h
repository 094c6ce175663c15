/* gate/gate_render.h — vq-gate's screens from its view (gate/gate_state.h).
 *
 * What the screens say is made by pure functions (gate_verdict_text, gate_merge_text), so
 * tests check the words for every verdict without a window; gate_view_build lays them out
 * as a display list (ui/view.h) and gate_render draws that.
 * Colours: admit is full-width green, refusal red, both with white text (ui/widgets.h
 * palette, 7:1); anything decided offline carries an amber strip.
 */
#ifndef VQ_GATE_RENDER_H
#define VQ_GATE_RENDER_H

#include "gate/gate_state.h"
#include "ui/ui.h"
#include "ui/view.h"

#define GATE_TEXT_MAX 256

typedef struct gate_text {
	vq_color bg, fg;
	char headline[GATE_TEXT_MAX]; /* ADMIT / DO NOT ADMIT */
	char big[GATE_TEXT_MAX];      /* the party size, or the reason */
	char detail[GATE_TEXT_MAX];   /* ticket number, tier, window */
	char extra[GATE_TEXT_MAX];    /* any-time pass, staff override */
	char note[GATE_TEXT_MAX];     /* offline: on an amber strip; "" when online */
} gate_text;

/* HH:MM in zone (the site's), with the offset where that time is shown twice
 * (clock/timefmt.h); "--:--" for 0. */
void gate_fmt_time(const char *zone, int64_t unix_s, char *out, size_t outlen);

/* The words of a verdict in lang. ss (may be NULL) names tiers and attractions. */
void gate_verdict_text(const gate_verdict *v, const vq_i18n *t, const char *lang,
                       const vq_sitestate *ss, gate_text *out);

/* The merge guidance for attraction a (NULL: unknown): the ratio ("4 fast lane : 1
 * standby" or "Fast lane only"), the backlog and, when stepped up, the phase ("" if 0). */
void gate_merge_text(const vq_attr_view *a, const vq_i18n *t, const char *lang, char *ratio,
                     char *backlog, char *phase, size_t len);

/* The whole screen as a display list (ui/view.h), for the gate's frame size: what
 * gate_render draws, and what a test checks (vq_view_check). */
void gate_view_build(const gate *g, vq_view *out);

/* Draws the whole frame (not presented). *clipped (may be NULL): how many texts did not fit
 * their boxes even shrunk, which a test wants to be 0. */
int gate_render(const gate *g, vq_ui *ui, int *clipped);

#endif
