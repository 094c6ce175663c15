/* ui/script.h — input replayed from a file, so a whole visitor session is a test.
 *
 * One step a line; blank lines and lines starting with '#' are skipped:
 *
 *	tap X Y              a finger down and up at logical (X, Y): VQ_IN_PRESS, VQ_IN_TAP
 *	tap_id ID            the same, at the centre of the button with that id in the frame
 *	                     last presented (vq_ui_button registers ids); an error if none
 *	key NAME             VQ_IN_KEY for an SDL key name: Return, Escape, Backspace, F5,
 *	                     Keypad Enter...; a key that types (a, Space) gives its
 *	                     VQ_IN_TEXT instead, as a real keyboard does
 *	text STRING          VQ_IN_TEXT: the rest of the line, as is
 *	scan STRING          VQ_IN_SCAN: the rest of the line, as is (a whole barcode)
 *	wait MS              let MS milliseconds pass (0..86400000); returns VQ_IN_NONE after
 *	screenshot FILE      vq_ui_screenshot of the frame as it is now
 *	clock TIME           set the virtual clock: Unix seconds, or YYYY-MM-DDTHH:MM:SSZ (UTC);
 *	                     it may not go back; ignored in real time
 *
 * Replaying (vq_ui_replay), vq_ui_poll hands out the steps' events instead of real input
 * (only quitting and window events still come from SDL; the bus fd is still watched, and
 * served before the next step), one step's worth at a time, and VQ_IN_QUIT at the end.
 * With the virtual clock, time stands still except for `wait` and `clock`, so `wait
 * 65000` tests an idle timeout instantly; the screen must take its `now` from
 * vq_ui_now_ms. In real time, `wait` really waits (bus replies arrive meanwhile).
 */
#ifndef VQ_UI_SCRIPT_H
#define VQ_UI_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "ui/ui.h"

#define VQ_SCRIPT_MAX_BYTES (1024 * 1024)
#define VQ_SCRIPT_WAIT_MAX  86400000

enum vq_script_op {
	VQ_STEP_TAP = 0,
	VQ_STEP_TAP_ID,
	VQ_STEP_KEY,
	VQ_STEP_TEXT,
	VQ_STEP_SCAN,
	VQ_STEP_WAIT,
	VQ_STEP_SCREENSHOT,
	VQ_STEP_CLOCK
};

typedef struct vq_script_step {
	int op;      /* enum vq_script_op */
	int line;    /* 1-based line in the file, for messages */
	int x, y;    /* TAP */
	int32_t key; /* KEY: SDL_Keycode */
	int64_t ms;  /* WAIT: milliseconds; CLOCK: ms since the Unix epoch */
	char *arg;   /* TAP_ID: id; TEXT, SCAN: the string; SCREENSHOT: path; else NULL */
} vq_script_step;

typedef struct vq_script vq_script;

/* Parses len bytes of script text; name is used in messages ("name:LINE: ..."). On error
 * returns VQ_EINVAL (a bad line), VQ_ETOOBIG or VQ_ENOMEM with a message in err, and
 * leaves *out alone. */
int vq_script_parse(const char *text, size_t len, const char *name, vq_script **out, char *err,
                    size_t errlen);
/* Reads and parses a file; VQ_ENOTFOUND if it cannot be read. */
int vq_script_load(const char *path, vq_script **out, char *err, size_t errlen);
void vq_script_free(vq_script *s); /* NULL is fine */

size_t vq_script_len(const vq_script *s);
const vq_script_step *vq_script_step_at(const vq_script *s, size_t i); /* NULL past end */

/* Replays s through vq_ui_poll from now on; ui takes ownership of s (also on failure) and
 * frees it with itself. virtual_clock: 1 for a virtual clock starting at start_ms (ms since
 * the Unix epoch; 0: the wall clock's time now), 0 for real time. VQ_EINVAL if ui already
 * replays a script. */
int vq_ui_replay(vq_ui *ui, vq_script *s, int virtual_clock, int64_t start_ms);

#endif
