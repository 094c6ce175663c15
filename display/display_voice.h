/* display/display_voice.h — what a board says aloud, and when (pure: no audio, no clock).
 *
 * The board feeds it the site state after every change and every admission event; it
 * answers with the announcements to make, each in every one of the board's languages (the
 * speech engine, speech/speech.h, plays them with one chime). It announces:
 *   - a return window that opens: vqd's admitting window grows to a later end while the
 *     attraction stays open ("Thunder Coaster: return times up to 10:30 are welcome", the
 *     time being what the board shows: vqd's clock plus the early grace, in the site's
 *     zone as clock/timefmt.h writes it);
 *   - a closure, and a reopening;
 *   - a number a service desk calls: an admission at an attraction of kind service
 *     ("H-042, desk 2": the desk is the gate account's last number, or its name).
 * Invariants: nothing is announced for what is only republished (the same state again, a
 * repeated event); an attraction's first state is learned silently (a board that starts,
 * or reconnects, does not recite the park); only the board's own attractions speak;
 * nothing is announced inside the quiet hours (and nothing said then is kept for later).
 */
#ifndef VQ_DISPLAY_VOICE_H
#define VQ_DISPLAY_VOICE_H

#include "client/sitestate.h"
#include "speech/speech.h"
#include "ui/i18n.h"

#define BOARD_VOICE_ATTRS_MAX 256
#define BOARD_VOICE_CALLED    64 /* ticket ids remembered against repeated events */

typedef struct board_voice board_voice;

typedef struct board_voice_opts {
	const vq_i18n *i18n; /* required */
	/* the languages to speak in, in order (1..VQ_SPEECH_PARTS_MAX) */
	const char *langs[VQ_SPEECH_PARTS_MAX];
	int nlangs;
	/* the board's attractions (ids); none: every attraction */
	const char *const *attrs;
	int nattrs;
	/* quiet hours, minutes after local midnight, [from, until), wrapping midnight when
	 * from > until; from == until: none */
	int quiet_from, quiet_until;
} board_voice_opts;

/* One announcement: the same thing in each language. */
typedef struct board_announcement {
	char kind[16]; /* "admitting", "closed", "reopened", "called": for logs and tests */
	char attr[VQ_ID_MAX];
	int nparts;
	char lang[VQ_SPEECH_PARTS_MAX][VQ_LANG_MAX];
	char text[VQ_SPEECH_PARTS_MAX][VQ_SPEECH_TEXT_MAX];
} board_announcement;

/* VQ_EINVAL without i18n or languages, or with a quiet hour out of 0..1439. */
int board_voice_new(const board_voice_opts *o, board_voice **out);
void board_voice_free(board_voice *v); /* NULL is fine */

/* Compares the site state with what it last saw; writes up to max announcements (in the
 * order of the site's attractions) and returns how many. local_min is the local time of
 * day in minutes (for the quiet hours). What changed is remembered whatever is said. */
int board_voice_state(board_voice *v, const vq_sitestate *ss, int local_min,
                      board_announcement *out, int max);

/* An events/admission message's fields: 1 announcement in *out if it is a number a service
 * desk of this board calls and not one already called, else 0. */
int board_voice_admission(board_voice *v, const vq_sitestate *ss, const char *attr,
                          const char *number, const char *gate, uint64_t ticket, int local_min,
                          board_announcement *out);

/* The parts of a for vq_speech_say_parts (pointers into a). */
int board_voice_parts(const board_announcement *a, vq_speech_part *parts);

/* "22:00-07:00" into minutes; VQ_EINVAL if it is not two HH:MM joined by '-'. */
int board_voice_parse_quiet(const char *text, int *from, int *until);

#endif
