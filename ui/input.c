/* ui/input.c — real input turned into vq_input events, and the wait for them (see
 * input.h).
 *
 * Owns the pending queue and the order of events: everything, including quitting and
 * taps, goes through the scanner accumulator, so held text is always let go before
 * whatever came after it. While a script replays, SDL's input events are drained and
 * dropped (the script is the only source of input), but quitting and window events are
 * still honoured.
 */
#include "ui/input.h"

#include "ui/uipriv.h"
#include "ui/utf8.h"

#include <poll.h>
#include <string.h>

#define SLICE_MS 10 /* longest SDL wait while the fd is watched or a replay waits */

_Static_assert(VQ_KEY_RETURN == SDLK_RETURN, "VQ_KEY_RETURN is SDLK_RETURN");
_Static_assert(VQ_KEY_KP_ENTER == SDLK_KP_ENTER, "VQ_KEY_KP_ENTER is SDLK_KP_ENTER");
_Static_assert(sizeof(((SDL_TextInputEvent *)0)->text) < VQ_INPUT_TEXT_MAX,
               "an SDL text event fits a vq_input");

const char *vq_input_kind_name(int kind)
{
	static const char *const names[] = {"none", "press", "tap",    "key", "text",
	                                    "scan", "bus",   "redraw", "quit"};
	return kind >= 0 && kind < (int)(sizeof names / sizeof names[0]) ? names[kind] : "?";
}

void ui_push(vq_ui *ui, const vq_input *in)
{
	if (ui->npending < UI_PENDING)
		ui->pending[ui->npending++] = *in;
}

static int pop(vq_ui *ui, vq_input *in)
{
	if (ui->npending == 0)
		return 0;
	*in = ui->pending[0];
	ui->npending--;
	memmove(&ui->pending[0], &ui->pending[1], (size_t)ui->npending * sizeof ui->pending[0]);
	return 1;
}

static void feed(vq_ui *ui, const vq_input *in, int64_t t_ms)
{
	vq_input out[VQ_SCAN_OUT_MAX];
	size_t n = vq_scan_feed(&ui->scan, in, t_ms, out);
	for (size_t i = 0; i < n; i++)
		ui_push(ui, &out[i]);
}

/* SDL stamps events with 32-bit ms ticks; widen them against the 64-bit clock so a kiosk
 * that runs past 49 days keeps telling scanners from people. */
static int64_t event_ms(Uint32 stamp)
{
	Uint64 now = SDL_GetTicks64();
	Uint32 age = (Uint32)now - stamp;
	return age > 60000 || age > now ? (int64_t)now : (int64_t)(now - age);
}

/* Does this key press also come as SDL_TEXTINPUT? Then it is text, not a key. With
 * Ctrl, Alt or GUI held it is a shortcut and types nothing. */
static int types_text(SDL_Keycode k, Uint16 mod)
{
	if (mod & (KMOD_CTRL | KMOD_ALT | KMOD_GUI))
		return 0;
	if (k >= 32 && k != SDLK_DELETE && !(k & SDLK_SCANCODE_MASK))
		return 1;
	switch (k) {
	case SDLK_KP_DIVIDE:
	case SDLK_KP_MULTIPLY:
	case SDLK_KP_MINUS:
	case SDLK_KP_PLUS:
		return 1;
	case SDLK_KP_0:
	case SDLK_KP_1:
	case SDLK_KP_2:
	case SDLK_KP_3:
	case SDLK_KP_4:
	case SDLK_KP_5:
	case SDLK_KP_6:
	case SDLK_KP_7:
	case SDLK_KP_8:
	case SDLK_KP_9:
	case SDLK_KP_PERIOD:
		return (mod & KMOD_NUM) != 0;
	default:
		return 0;
	}
}

static int pointer(vq_ui *ui, vq_input *in, int kind, int wx, int wy)
{
	if (!vq_ui_window_to_logical(ui, wx, wy, &in->x, &in->y))
		return 0;
	in->kind = kind;
	return 1;
}

/* Ctrl+V or Shift+Insert: the clipboard's text as if typed, one line of it, control
 * characters dropped (a code copied from a printout, pasted where it would be typed). */
static int pasted(SDL_Keycode key, Uint16 mod, char *out, size_t outlen)
{
	if (!((key == SDLK_v && (mod & KMOD_CTRL) && !(mod & (KMOD_ALT | KMOD_SHIFT))) ||
	      (key == SDLK_INSERT && (mod & KMOD_SHIFT))) ||
	    !SDL_HasClipboardText())
		return 0;
	char *clip = SDL_GetClipboardText();
	size_t n = 0, len = clip ? strlen(clip) : 0, i = 0;
	while (i < len) {
		int32_t cp;
		size_t k = vq_utf8_next(clip + i, len - i, &cp);
		if (cp == '\n' || cp == '\r' || n + k + 1 > outlen)
			break;
		if (cp >= 0x20 && cp != 0x7F) {
			memcpy(out + n, clip + i, k);
			n += k;
		}
		i += k;
	}
	out[n] = '\0';
	SDL_free(clip);
	return n > 0;
}

static void translate(vq_ui *ui, const SDL_Event *ev)
{
	vq_input in;
	memset(&in, 0, sizeof in);
	int ww = 0, wh = 0;
	switch (ev->type) {
	case SDL_QUIT:
		in.kind = VQ_IN_QUIT;
		break;
	case SDL_WINDOWEVENT:
		/* The frame is kept, so the window is repainted here, whole, without the
		 * screen. */
		if (ev->window.event == SDL_WINDOWEVENT_EXPOSED ||
		    ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
		    ev->window.event == SDL_WINDOWEVENT_RESTORED) {
			ui->shown = 0;
			ui_present_frame(ui);
		}
		return;
	case SDL_RENDER_TARGETS_RESET:
	case SDL_RENDER_DEVICE_RESET:
		in.kind = VQ_IN_REDRAW;
		break;
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
		/* Touches also arrive as synthetic mouse clicks; the finger events count. */
		if (ui->script || ev->button.which == SDL_TOUCH_MOUSEID ||
		    ev->button.button != SDL_BUTTON_LEFT)
			return;
		if (!pointer(ui, &in, ev->type == SDL_MOUSEBUTTONDOWN ? VQ_IN_PRESS : VQ_IN_TAP,
		             ev->button.x, ev->button.y))
			return;
		break;
	case SDL_FINGERDOWN:
	case SDL_FINGERUP:
		if (ui->script)
			return;
		SDL_GetWindowSize(ui->win, &ww, &wh);
		if (!pointer(ui, &in, ev->type == SDL_FINGERDOWN ? VQ_IN_PRESS : VQ_IN_TAP,
		             (int)(ev->tfinger.x * ww), (int)(ev->tfinger.y * wh)))
			return;
		break;
	case SDL_KEYDOWN:
		if (ui->script || types_text(ev->key.keysym.sym, ev->key.keysym.mod))
			return;
		if (pasted(ev->key.keysym.sym, ev->key.keysym.mod, in.text, sizeof in.text)) {
			in.kind = VQ_IN_TEXT;
			break;
		}
		in.kind = VQ_IN_KEY;
		in.key = ev->key.keysym.sym;
		in.mod = ev->key.keysym.mod;
		break;
	case SDL_TEXTINPUT:
		if (ui->script)
			return;
		in.kind = VQ_IN_TEXT;
		memcpy(in.text, ev->text.text, sizeof ev->text.text);
		in.text[sizeof ev->text.text - 1] = '\0';
		break;
	default:
		return;
	}
	feed(ui, &in, event_ms(ev->common.timestamp));
}

static int fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

int vq_ui_poll(vq_ui *ui, vq_input *in, int timeout_ms)
{
	memset(in, 0, sizeof *in);
	in->kind = VQ_IN_NONE;
	if (pop(ui, in))
		return VQ_OK;
	ui_target_window(ui);
	Uint64 start = SDL_GetTicks64();
	for (;;) {
		SDL_Event ev;
		while (SDL_PollEvent(&ev)) {
			translate(ui, &ev);
			if (pop(ui, in))
				return VQ_OK;
		}
		if (ui->fd >= 0 && fd_readable(ui->fd)) {
			in->kind = VQ_IN_BUS;
			return VQ_OK;
		}
		Uint64 now = SDL_GetTicks64();
		vq_input out[VQ_SCAN_OUT_MAX];
		size_t n = vq_scan_tick(&ui->scan, (int64_t)now, out);
		for (size_t i = 0; i < n; i++)
			ui_push(ui, &out[i]);
		if (pop(ui, in))
			return VQ_OK;
		if (ui->script) {
			int rc = ui_replay_step(ui, now);
			if (rc != VQ_OK)
				return rc;
			if (pop(ui, in))
				return VQ_OK;
		}
		if (timeout_ms >= 0 && now - start >= (Uint64)timeout_ms)
			return VQ_OK;

		int64_t wait =
		    timeout_ms < 0 ? INT32_MAX : (int64_t)(start + (Uint64)timeout_ms - now);
		if ((ui->fd >= 0 || ui->script) && wait > SLICE_MS)
			wait = SLICE_MS;
		int64_t deadline = vq_scan_deadline(&ui->scan);
		if (deadline != INT64_MAX && deadline - (int64_t)now < wait)
			wait = deadline - (int64_t)now;
		if (wait <= 0)
			continue;
		if (ui->fd >= 0) {
			/* SDL cannot wait on our fd, and where its driver cannot block (offscreen)
			 * its own wait wakes every millisecond: sleep on the fd for the slice and
			 * look at SDL's queue after it (input waits at most one slice) */
			struct pollfd p = {.fd = ui->fd, .events = POLLIN};
			poll(&p, 1, (int)wait);
		} else if (SDL_WaitEventTimeout(&ev, (int)wait)) {
			translate(ui, &ev);
			if (pop(ui, in))
				return VQ_OK;
		}
	}
}

void vq_ui_watch_fd(vq_ui *ui, int fd)
{
	ui->fd = fd < 0 ? -1 : fd;
}
