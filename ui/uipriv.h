/* ui/uipriv.h — the inside of a vq_ui, shared by the files of ui/ and nobody else.
 *
 * Invariants while a vq_ui exists:
 *   - the renderer's target is the frame while a frame is being drawn (every drawing
 *     call starts with ui_target_frame), and the window from a present until the next
 *     drawing call. SDL's renderer rescales touch coordinates as events are queued, from
 *     whatever target is current; the software renderer gets that wrong with a texture
 *     target, so events must only ever be queued while the window is the target;
 *   - hits[drawing] lists the buttons drawn since the last present, hits[!drawing] those
 *     of the frame on screen (what `tap_id` looks up);
 *   - pending[] holds events already decided but not yet handed out, oldest first.
 */
#ifndef VQ_UI_UIPRIV_H
#define VQ_UI_UIPRIV_H

#include <SDL.h>
#include <SDL_ttf.h>

#include "ui/cache.h"
#include "ui/input.h"
#include "ui/script.h"
#include "ui/ui.h"

#define UI_FONT_CACHE 24
/* Text caches (text.c): a 4K board's pages in three languages are a few thousand lines
 * of a few hundred KB at most; the bounds keep a screen of ever new strings in check. */
#define UI_LAYOUT_CACHE       8192
#define UI_LAYOUT_CACHE_BYTES (8u << 20)
#define UI_LINE_CACHE         8192
#define UI_LINE_CACHE_BYTES   (192u << 20)
#define UI_MAX_HITS           128
#define UI_PENDING            8

struct ui_font {
	TTF_Font *font; /* NULL: free slot */
	int px;
	int bold;
	unsigned long used; /* for evicting the least recently used */
};

struct ui_hit {
	char id[VQ_ID_MAX];
	vq_rect r;
};

struct vq_ui {
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *frame;
	int w, h;               /* logical size */
	double screen_width_mm; /* 0: assume 96 dpi */
	SDL_Rect dst;           /* where the frame lands in the window's output pixels */
	int out_w, out_h;       /* the window's output size in pixels */
	int sdl_video, ttf;     /* what we initialised, so free undoes exactly that */

	void *font_data[2]; /* [bold]: the TTF file, kept for TTF_OpenFontRW */
	size_t font_len[2];
	struct ui_font fonts[UI_FONT_CACHE];
	unsigned long font_clock;
	struct ui_cache layouts; /* struct ui_laid by box, style and string */
	struct ui_cache lines;   /* struct ui_line_tex by size, face, colour and string */

	struct ui_hit hits[2][UI_MAX_HITS];
	int nhits[2];
	int drawing; /* index into hits of the frame being drawn */
	int dirty;   /* something was drawn since the last present */

	/* What changed in the frame since the last present, so presenting copies only that
	 * where the window keeps what it showed (the software renderer's surface does). */
	SDL_Rect damage;    /* bounding box; w = 0: nothing */
	int keeps_window;   /* the renderer draws into a surface that keeps its pixels */
	int shown;          /* the window shows the whole frame, at dst */
	SDL_Rect shown_dst; /* where, when shown */

	int fd; /* watched for VQ_IN_BUS; -1: none */
	vq_scan scan;
	vq_input pending[UI_PENDING];
	int npending;

	struct vq_clock *clock; /* the program's clock, or own_clock */
	struct vq_clock *own_clock;

	vq_script *script; /* replaying; NULL: real input */
	size_t step;       /* next step to run */
	int virtual_clock;
	int64_t vclock_ms;  /* the virtual clock, ms since the epoch */
	int64_t wait_until; /* real-time `wait`: SDL ticks when it ends; 0: not waiting */
	int script_done;    /* the script's end was reached: VQ_IN_QUIT from now on */

	char err[256];
};

/* window.c */
void ui_present_frame(vq_ui *ui); /* copies the frame to the window, letterboxed */
void ui_target_frame(vq_ui *ui);  /* before drawing or reading the frame */
void ui_target_window(vq_ui *ui); /* before SDL may queue events */
void ui_set_error(vq_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_damage(vq_ui *ui, SDL_Rect r); /* r of the frame was drawn on */
void ui_damage_all(vq_ui *ui);
int ui_register_hit(vq_ui *ui, const char *id, vq_rect r);
const vq_rect *ui_find_hit(const vq_ui *ui, const char *id); /* in the frame on screen */

/* input.c: queues an event for vq_ui_poll to hand out (dropped if the queue is full,
 * which the callers' at most two events a turn never make it). */
void ui_push(vq_ui *ui, const vq_input *in);

/* script.c: runs replay steps until one yields events (queued with ui_push) or a real
 * wait has to pass. now_ticks: SDL_GetTicks64(). VQ_EINVAL/VQ_ESTORE with ui->err. */
int ui_replay_step(vq_ui *ui, uint64_t now_ticks);

/* text.c */
TTF_Font *ui_font(vq_ui *ui, int px, int bold); /* cached; NULL with ui->err on failure */
void ui_fonts_close(vq_ui *ui);
void ui_text_caches_init(vq_ui *ui);
void ui_text_caches_clear(vq_ui *ui); /* before the renderer goes: they hold textures */

/* view.c: where and how element e's text goes (a TEXT, or a BUTTON's label); 0 if it
 * has none. view_check.c lays texts out exactly as the drawing does. */
struct vq_view;
struct vq_el;
struct vq_text_style;
int ui_view_text_style(const struct vq_view *v, const struct vq_el *e, vq_rect *box,
                       struct vq_text_style *st);

/* png.c: writes w x h pixels of 8-bit RGB (rows of stride bytes) as a PNG file. */
int ui_png_write_rgb(const char *path, int w, int h, const uint8_t *rgb, size_t stride, char *err,
                     size_t errlen);

#endif
