/* ui/input.h — one kind of input event for every screen, whatever produced it.
 *
 * Sources: mouse and touch (a tap, in logical pixels), the keyboard (control keys; typed
 * characters come as text), a barcode scanner that acts as a keyboard (recognised by
 * speed, below: one scan event), the window (quit, redraw), one watched file descriptor
 * (the bus: vq_bus_fd), and a replayed script (ui/script.h), which makes exactly these
 * same events.
 *
 * Scanners. A USB or Bluetooth scanner "types" its code a few ms a character and ends
 * with Enter; people take 80 ms or more between keys. So characters held back while
 * they keep coming at most gap_ms apart, and ended by Enter within gap_ms, become one
 * VQ_IN_SCAN if there are at least min_len of them. Otherwise they are let go as
 * VQ_IN_TEXT once the gap passes (at most gap_ms late, too little for a person to see),
 * and the Enter as a VQ_IN_KEY. The accumulator (vq_scan) is a pure function of the
 * events and their times, so it is tested without a keyboard.
 */
#ifndef VQ_UI_INPUT_H
#define VQ_UI_INPUT_H

#include <stdint.h>

#include "ui/ui.h"

#define VQ_INPUT_TEXT_MAX 512 /* text and scans, bytes with the NUL: room for any ticket code */

/* Keys are SDL_Keycode values (SDLK_*); these two matter to the scanner logic. */
#define VQ_KEY_RETURN   0x0d       /* SDLK_RETURN */
#define VQ_KEY_KP_ENTER 0x40000058 /* SDLK_KP_ENTER */

enum vq_input_kind {
	VQ_IN_NONE = 0, /* nothing happened before the timeout: update with the new time */
	VQ_IN_PRESS,    /* a finger or the mouse went down at (x, y): show that button pressed */
	VQ_IN_TAP,      /* ... and came up at (x, y): act on the button there */
	VQ_IN_KEY,      /* a key without text: Return, Backspace, Escape, arrows, F1..., or
	                   any key with Ctrl/Alt/GUI held; key and mod */
	VQ_IN_TEXT,     /* typed characters, UTF-8 in text (one or more) */
	VQ_IN_SCAN,     /* a whole barcode or card read, in text, without the Enter */
	VQ_IN_BUS,      /* the watched fd is readable: drain the bus (vq_bus_poll, timeout 0) */
	VQ_IN_REDRAW,   /* the frame was lost (GPU reset): render again */
	VQ_IN_QUIT      /* window closed, SIGINT/SIGTERM, or a replayed script ended */
};

typedef struct vq_input {
	int kind;                     /* enum vq_input_kind */
	int x, y;                     /* PRESS, TAP: logical pixels, inside the frame */
	int32_t key;                  /* KEY: SDL_Keycode */
	uint16_t mod;                 /* KEY: SDL_Keymod */
	char text[VQ_INPUT_TEXT_MAX]; /* TEXT, SCAN: UTF-8, NUL-terminated */
} vq_input;

const char *vq_input_kind_name(int kind); /* "tap", ...; "?" if out of range */

/* --- Scanner accumulator (pure) --- */

#define VQ_SCAN_OUT_MAX 2 /* most events one call lets go */

typedef struct vq_scan {
	int gap_ms;  /* < 0: off, every event passes straight through */
	int min_len; /* fewest characters (code points) a scan has */
	char buf[VQ_INPUT_TEXT_MAX];
	size_t len;      /* bytes held in buf */
	size_t chars;    /* code points held */
	int64_t last_ms; /* when the last held character came */
} vq_scan;

void vq_scan_init(vq_scan *s, int gap_ms, int min_len);

/* Takes one event that happened at t_ms (any monotonic ms clock, non-decreasing) and
 * writes the events now let go to out (room for VQ_SCAN_OUT_MAX), oldest first; returns
 * how many. TEXT is held; Return or keypad Enter may complete a scan; anything else first
 * lets the held text go, then itself. */
size_t vq_scan_feed(vq_scan *s, const vq_input *in, int64_t t_ms, vq_input *out);

/* Time has reached now_ms: lets the held text go if the gap has passed. */
size_t vq_scan_tick(vq_scan *s, int64_t now_ms, vq_input *out);

/* When vq_scan_tick next has something to do; INT64_MAX if nothing is held. */
int64_t vq_scan_deadline(const vq_scan *s);

/* --- Waiting for input --- */

/* Waits up to timeout_ms (< 0: for ever) for the next event and fills *in; VQ_IN_NONE if
 * none came. Replaying, a script step that fails gives VQ_EINVAL (or VQ_ESTORE for a
 * screenshot) with the message in vq_ui_error ("file:line: ..."); stop then.
 *
 * Why not a thread: SDL waits for its events in slices of at most 10 ms, and between
 * slices the watched fd is polled without blocking. That keeps one thread and no locks,
 * costs ~100 wake-ups a second on an idle kiosk, and delays a bus message by at most one
 * slice, which nobody can see; SDL itself falls back to sleeping in 1 ms steps on video
 * drivers without a native wait (offscreen, KMSDRM). */
int vq_ui_poll(vq_ui *ui, vq_input *in, int timeout_ms);

/* Watches fd (the bus: vq_bus_fd) for readability: vq_ui_poll returns VQ_IN_BUS while it
 * stays readable. -1 stops watching. The fd is only ever polled, never read or closed. */
void vq_ui_watch_fd(vq_ui *ui, int fd);

/* Maps a point in window coordinates to logical pixels; 0 if it falls outside the frame
 * (on the letterbox bars). For tests and for screens that read SDL themselves. */
int vq_ui_window_to_logical(const vq_ui *ui, int wx, int wy, int *x, int *y);

#endif
