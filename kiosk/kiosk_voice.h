/* kiosk/kiosk_voice.h — vq-kiosk for a guest who cannot see it, or not well: an audio mode
 * (headphones in mind) driven from a keypad, and high-contrast and large-text views.
 *
 * Pure: it reads the kiosk's display list (ui/view.h) and the keys, and says what to speak
 * and which input the kiosk should get; vq-kiosk (kiosk_main.c) moves the keys in and the
 * words out to the speech engine (speech/speech.h). Because it works from the very list
 * that is drawn and hit-tested, every screen the kiosk can show has a spoken form, and a
 * choice made from the keypad is the same tap a finger would make on that button.
 *
 * Keys (a numeric keypad, or a keyboard):
 *   F1, or a press held 2 s anywhere    audio mode on / off
 *   arrows (and Tab)                    the next / previous choice, which is spoken
 *   Enter                               take the spoken choice (the button's tap)
 *   Escape, Backspace                   back, or delete a typed character (the kiosk's own)
 *   digits                              the party size, or the card number being typed
 *   '*' or F2                           say the screen again (on the ticket: its window and
 *                                       number)
 *   F3, or the header's "Contrast"      high contrast on / off
 *   F4, or the header's "Large text"    large text on / off
 * What is spoken: on a new screen, its title, what it says (the ticket's window and number
 * included) and how to move, then the choice in focus; on each move, the choice; a typed
 * character; a repeat, the screen again.
 */
#ifndef VQ_KIOSK_VOICE_H
#define VQ_KIOSK_VOICE_H

#include <stddef.h>
#include <stdint.h>

#include "ui/i18n.h"
#include "ui/input.h"
#include "ui/view.h"

#define KIOSK_VOICE_TEXT_MAX  1024 /* what is said at once, NUL included */
#define KIOSK_VOICE_LONG_MS   2000 /* a press held this long toggles audio mode */
#define KIOSK_VOICE_ITEMS_MAX 64

typedef struct kiosk_voice kiosk_voice;

int kiosk_voice_new(const vq_i18n *i18n, kiosk_voice **out); /* VQ_EINVAL, VQ_ENOMEM */
void kiosk_voice_free(kiosk_voice *v);                       /* NULL is fine */

int kiosk_voice_on(const kiosk_voice *v);
void kiosk_voice_set(kiosk_voice *v, int on); /* turning it on speaks the screen */
void kiosk_voice_set_look(kiosk_voice *v, int contrast, int large);
int kiosk_voice_contrast(const kiosk_voice *v);
int kiosk_voice_large(const kiosk_voice *v);

enum kiosk_voice_pass {
	KV_PASS = 0, /* give the kiosk the input as it came */
	KV_EATEN,    /* the input was ours: give the kiosk nothing */
	KV_TAP       /* give the kiosk *fwd instead: a tap on the button in focus */
};

/* Looks at an input before the kiosk does; view is the kiosk's current screen. */
int kiosk_voice_filter(kiosk_voice *v, const vq_view *view, const vq_input *in, int64_t now_ms,
                       vq_input *fwd);

/* What to say now that the kiosk has taken the input (a new screen, a move, a typed
 * character, a repeat), in lang: 1 and out, or 0. Nothing while audio mode is off. */
int kiosk_voice_speech(kiosk_voice *v, const vq_view *view, const char *lang, char *out,
                       size_t outlen);

/* The element in focus in view (-1: none), for drawing it. */
int kiosk_voice_focus(kiosk_voice *v, const vq_view *view);

/* --- the pure parts, for tests ------------------------------------------------------ */

/* The choices of a screen in reading order (rows top to bottom, left to right within a
 * row): enabled buttons that say something, on top of any dialog, without the on-screen
 * keyboard's keys (digits come from the keypad). Writes element indexes; returns the count. */
int kiosk_voice_items(const vq_view *view, int *els, int max);
/* What a button says: its label, or the texts drawn on it (a ride's name and time). */
void kiosk_voice_label(const vq_view *view, int el, char *out, size_t outlen);
/* The screen: title, what it says outside its buttons, and how to move. */
void kiosk_voice_screen(const vq_view *view, const vq_i18n *i18n, const char *lang, char *out,
                        size_t outlen);

/* The view as this guest wants it: high contrast (white on black, buttons black on yellow),
 * large text (labels half as large again, each still shrinking to fit as before), and a
 * ring around the element in focus (focus < 0: none). */
void kiosk_voice_adapt(vq_view *view, int contrast, int large, int focus);

#endif
