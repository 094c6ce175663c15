/* display/display_synth.h — a made-up park fed to a board as vqd would feed it, for
 * `vq-display --bench-render` and for tests that need a full board without a broker.
 *
 * Everything goes through the same doors as live data (vq_sitestate_feed, vq_board_feed)
 * as protocol JSON (docs/protocol.md), so a synthetic board is a real one. The park has
 * three languages (en, ru, ro), real-length names in each, and a mix of what boards show:
 * closures, reopenings, sold-out tiers, service desks, rides that open later or are done
 * for the day, one whose state has not come yet, and numbers just admitted everywhere.
 */
#ifndef VQ_DISPLAY_SYNTH_H
#define VQ_DISPLAY_SYNTH_H

#include "client/sitestate.h"
#include "display/display_model.h"

typedef struct vq_board_synth_opts {
	int nattrs;     /* 1..VQ_BOARD_MAX_ATTRS */
	int ntiers;     /* 1..4: standard, silver, gold, platinum */
	int64_t park_s; /* vqd's clock (Unix s); the day's times are around it */
	int64_t now_ms; /* the board's clock when the messages arrive */
	int online;     /* presence/vqd says online */
} vq_board_synth_opts;

/* Feeds ss (and b, if not NULL) the presence, site, attraction and admission messages of
 * the made-up park. VQ_EINVAL for bad opts; VQ_EBADREQ if ss refused a message (the
 * message is on stderr). */
int vq_board_synth(vq_sitestate *ss, vq_board *b, const vq_board_synth_opts *o);

/* Feeds ss attraction i's state again as it is after k changes (k >= 1: its return times
 * k minutes later, its standby wait k minutes longer): a live state change, for
 * benchmarks. VQ_EINVAL for a bad i or k. */
int vq_board_synth_change(vq_sitestate *ss, const vq_board_synth_opts *o, int i, int k);

/* Feeds one message (suffix under the site prefix, JSON text) to ss and b (either may be
 * NULL). Returns what the feeds returned, or'ed: 1 if either changed. */
int vq_board_synth_msg(vq_sitestate *ss, vq_board *b, const char *suffix, const char *json,
                       int64_t now_ms);

#endif
