/* ui/window.c — the window, its renderer, the frame, and the physical scale (see ui.h).
 *
 * Owns SDL's video subsystem and SDL_ttf for the life of the vq_ui, the frame texture
 * every drawing call targets, and the letterbox geometry that maps the frame onto the
 * window. The geometry is recomputed whenever the frame is shown, so input mapping and
 * the mm scale follow window resizes.
 */
#include "ui/uipriv.h"

#include "clock/clock.h"
#include "core/mem.h"
#include "ui/file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FONT_REGULAR     "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define FONT_BOLD        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#define FONT_MAX_BYTES   (64L * 1024 * 1024)
#define DEFAULT_SCAN_GAP 40
#define DEFAULT_SCAN_MIN 4
#define MM_PER_INCH      25.4

static void put_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void put_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void ui_set_error(vq_ui *ui, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->err, sizeof ui->err, fmt, ap);
	va_end(ap);
}

/* Drivers with no GPU behind them can only do software rendering, and asking them for
 * acceleration may half-succeed through EGL; so we do not ask. */
static int software_only(void)
{
	const char *d = SDL_GetCurrentVideoDriver();
	return d && (strcmp(d, "offscreen") == 0 || strcmp(d, "dummy") == 0);
}

/* Needs the window as the render target (the output size is the target's size). */
static void update_geometry(vq_ui *ui)
{
	int ow = 0, oh = 0;
	if (SDL_GetRendererOutputSize(ui->ren, &ow, &oh) != 0 || ow <= 0 || oh <= 0) {
		ow = ui->w;
		oh = ui->h;
	}
	double s = fmin((double)ow / ui->w, (double)oh / ui->h);
	int dw = (int)lround(ui->w * s), dh = (int)lround(ui->h * s);
	if (dw < 1)
		dw = 1;
	if (dh < 1)
		dh = 1;
	ui->out_w = ow;
	ui->out_h = oh;
	ui->dst = (SDL_Rect){(ow - dw) / 2, (oh - dh) / 2, dw, dh};
}

void ui_target_frame(vq_ui *ui)
{
	if (SDL_GetRenderTarget(ui->ren) != ui->frame)
		SDL_SetRenderTarget(ui->ren, ui->frame);
}

void ui_target_window(vq_ui *ui)
{
	if (SDL_GetRenderTarget(ui->ren) != NULL)
		SDL_SetRenderTarget(ui->ren, NULL);
}

void ui_damage(vq_ui *ui, SDL_Rect r)
{
	SDL_Rect frame = {0, 0, ui->w, ui->h}, clip;
	if (!SDL_IntersectRect(&r, &frame, &r))
		return;
	if (SDL_RenderIsClipEnabled(ui->ren)) {
		SDL_RenderGetClipRect(ui->ren, &clip);
		if (!SDL_IntersectRect(&r, &clip, &r))
			return;
	}
	if (ui->damage.w <= 0)
		ui->damage = r;
	else
		SDL_UnionRect(&ui->damage, &r, &ui->damage);
}

void ui_damage_all(vq_ui *ui)
{
	ui->damage = (SDL_Rect){0, 0, ui->w, ui->h};
	ui->shown = 0;
}

/* A window that keeps its pixels and shows the whole frame where it showed it before
 * needs only what changed copied again: at 4K, a state change is a row, not 33 MB. */
void ui_present_frame(vq_ui *ui)
{
	ui_target_window(ui);
	update_geometry(ui);
	if (ui->keeps_window && ui->shown && SDL_RectEquals(&ui->dst, &ui->shown_dst)) {
		SDL_Rect d = ui->damage;
		if (d.w > 0 && (ui->dst.w != ui->w || ui->dst.h != ui->h))
			d = (SDL_Rect){0, 0, ui->w, ui->h}; /* scaled: whole, or seams show */
		if (d.w > 0) {
			SDL_Rect out = {ui->dst.x + d.x * ui->dst.w / ui->w,
			                ui->dst.y + d.y * ui->dst.h / ui->h,
			                d.w * ui->dst.w / ui->w, d.h * ui->dst.h / ui->h};
			SDL_RenderCopy(ui->ren, ui->frame, &d, &out);
		}
	} else {
		SDL_SetRenderDrawColor(ui->ren, 0, 0, 0, 255);
		SDL_RenderClear(ui->ren);
		SDL_RenderCopy(ui->ren, ui->frame, NULL, &ui->dst);
		ui->shown = 1;
		ui->shown_dst = ui->dst;
	}
	ui->damage = (SDL_Rect){0, 0, 0, 0};
	SDL_RenderPresent(ui->ren);
}

static int parse_pair(const char *s, char sep, long lo, long hi, int *a, int *b)
{
	char *end;
	if (!s)
		return -1;
	errno = 0;
	long x = strtol(s, &end, 10);
	if (errno || end == s || *end != sep)
		return -1;
	const char *t = end + 1;
	long y = strtol(t, &end, 10);
	if (errno || end == t || *end || x < lo || x > hi || y < lo || y > hi)
		return -1;
	*a = (int)x;
	*b = (int)y;
	return 0;
}

int vq_ui_parse_size(const char *s, int *w, int *h)
{
	return parse_pair(s, 'x', 64, 16384, w, h);
}

int vq_ui_parse_point(const char *s, int *x, int *y)
{
	return parse_pair(s, ',', -16384, 16384, x, y);
}

static int check_opts(const vq_ui_opts *o, char *err, size_t errlen)
{
	if (o->width < 64 || o->width > 8192 || o->height < 64 || o->height > 8192) {
		put_err(err, errlen, "logical size %dx%d: each side must be 64..8192", o->width,
		        o->height);
		return VQ_EINVAL;
	}
	if (o->window_width < 0 || o->window_width > 16384 || o->window_height < 0 ||
	    o->window_height > 16384) {
		put_err(err, errlen, "window size %dx%d out of range", o->window_width,
		        o->window_height);
		return VQ_EINVAL;
	}
	if (!(o->screen_width_mm >= 0 && o->screen_width_mm <= 100000)) {
		put_err(err, errlen, "screen_width_mm must be 0..100000");
		return VQ_EINVAL;
	}
	if (o->scan_min_len < 0 || o->scan_min_len >= VQ_INPUT_TEXT_MAX || o->scan_gap_ms > 1000) {
		put_err(err, errlen, "scan_min_len or scan_gap_ms out of range");
		return VQ_EINVAL;
	}
	return VQ_OK;
}

int vq_ui_new(const vq_ui_opts *o, vq_ui **out, char *err, size_t errlen)
{
	if (!o || !out) {
		put_err(err, errlen, "no options");
		return VQ_EINVAL;
	}
	int rc = check_opts(o, err, errlen);
	if (rc != VQ_OK)
		return rc;
	vq_ui *ui = vq_calloc(1, sizeof *ui);
	if (!ui) {
		put_err(err, errlen, "out of memory");
		return VQ_ENOMEM;
	}
	ui->w = o->width;
	ui->h = o->height;
	ui->screen_width_mm = o->screen_width_mm;
	ui->fd = -1;
	ui_text_caches_init(ui);
	ui->clock = o->clock;
	if (!ui->clock) {
		ui->own_clock = vq_calloc(1, sizeof *ui->own_clock);
		if (!ui->own_clock ||
		    vq_clock_init(ui->own_clock, NULL, NULL, err, errlen) != VQ_OK) {
			vq_free(ui->own_clock);
			vq_free(ui);
			put_err(err, errlen, "out of memory");
			return VQ_ENOMEM;
		}
		ui->clock = ui->own_clock;
	}
	vq_scan_init(&ui->scan, o->scan_gap_ms ? o->scan_gap_ms : DEFAULT_SCAN_GAP,
	             o->scan_min_len ? o->scan_min_len : DEFAULT_SCAN_MIN);

	/* Fonts are read whole once: opening a face per size from memory is then cheap, and a
	 * missing font file is reported when the program starts, not at the first string. */
	const char *fonts[2] = {o->font_regular ? o->font_regular : FONT_REGULAR,
	                        o->font_bold ? o->font_bold : FONT_BOLD};
	for (int i = 0; i < 2; i++) {
		char *data = NULL;
		rc = ui_read_file(fonts[i], FONT_MAX_BYTES, &data, &ui->font_len[i], err, errlen);
		if (rc != VQ_OK)
			goto fail;
		ui->font_data[i] = data;
	}

	rc = VQ_ENOTFOUND;
	/* A kiosk must not iconify when something else (an on-screen keyboard, a
	 * notification) takes focus. */
	SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
	if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
		put_err(err, errlen, "SDL video: %s", SDL_GetError());
		goto fail;
	}
	ui->sdl_video = 1;
	if (TTF_Init() != 0) {
		put_err(err, errlen, "SDL_ttf: %s", TTF_GetError());
		goto fail;
	}
	ui->ttf = 1;

	/* With no display behind the window, SDL would still present the software
	 * renderer's surface through an OpenGL texture (loading EGL and Mesa, for nothing);
	 * plain framebuffer copies do. An SDL_FRAMEBUFFER_ACCELERATION in the environment
	 * still wins. */
	if (o->software || software_only())
		SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
	Uint32 wflags = SDL_WINDOW_ALLOW_HIGHDPI;
	if (o->fullscreen)
		wflags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
	int ww = o->window_width ? o->window_width : o->width;
	int wh = o->window_height ? o->window_height : o->height;
	int wx = o->window_placed ? o->window_x : (int)SDL_WINDOWPOS_CENTERED;
	int wy = o->window_placed ? o->window_y : (int)SDL_WINDOWPOS_CENTERED;
	ui->win = SDL_CreateWindow(o->title ? o->title : "vq", wx, wy, ww, wh, wflags);
	if (!ui->win) {
		put_err(err, errlen, "SDL window: %s", SDL_GetError());
		goto fail;
	}
	if (!o->software && !software_only())
		ui->ren = SDL_CreateRenderer(ui->win, -1,
		                             SDL_RENDERER_ACCELERATED | SDL_RENDERER_TARGETTEXTURE);
	if (!ui->ren)
		ui->ren = SDL_CreateRenderer(ui->win, -1,
		                             SDL_RENDERER_SOFTWARE | SDL_RENDERER_TARGETTEXTURE);
	if (!ui->ren) {
		put_err(err, errlen, "SDL renderer: %s", SDL_GetError());
		goto fail;
	}
	/* The software renderer draws into the window's own surface, which keeps what it
	 * showed; a GPU's back buffers do not, and are redrawn whole. */
	SDL_RendererInfo info;
	ui->keeps_window =
	    SDL_GetRendererInfo(ui->ren, &info) == 0 && (info.flags & SDL_RENDERER_SOFTWARE) != 0;
	ui->frame = SDL_CreateTexture(ui->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET,
	                              ui->w, ui->h);
	if (!ui->frame) {
		put_err(err, errlen, "SDL frame texture: %s", SDL_GetError());
		goto fail;
	}
	/* The frame is copied, not blended, onto the window; smoothed when scaled. */
	SDL_SetTextureBlendMode(ui->frame, SDL_BLENDMODE_NONE);
	SDL_SetTextureScaleMode(ui->frame, SDL_ScaleModeLinear);
	if (SDL_SetRenderTarget(ui->ren, ui->frame) != 0) {
		put_err(err, errlen, "SDL render target: %s", SDL_GetError());
		goto fail;
	}
	ui_target_window(ui);
	if (o->fullscreen)
		SDL_ShowCursor(SDL_DISABLE);
	SDL_StartTextInput();
	vq_ui_clear(ui, (vq_color){0, 0, 0, 255});
	ui_present_frame(ui);
	*out = ui;
	return VQ_OK;
fail:
	vq_ui_free(ui);
	return rc;
}

void vq_ui_free(vq_ui *ui)
{
	if (!ui)
		return;
	vq_script_free(ui->script);
	ui_text_caches_clear(ui);
	ui_fonts_close(ui);
	if (ui->frame)
		SDL_DestroyTexture(ui->frame);
	if (ui->ren)
		SDL_DestroyRenderer(ui->ren);
	if (ui->win)
		SDL_DestroyWindow(ui->win);
	if (ui->ttf)
		TTF_Quit();
	if (ui->sdl_video)
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
	vq_free(ui->font_data[0]);
	vq_free(ui->font_data[1]);
	vq_free(ui->own_clock);
	vq_free(ui);
}

int vq_ui_width(const vq_ui *ui)
{
	return ui->w;
}

int vq_ui_height(const vq_ui *ui)
{
	return ui->h;
}

double vq_ui_px_per_mm(const vq_ui *ui)
{
	/* Output pixels per mm, times logical pixels per output pixel. */
	double out_per_mm =
	    ui->screen_width_mm > 0 ? ui->out_w / ui->screen_width_mm : 96.0 / MM_PER_INCH;
	return out_per_mm * ui->w / ui->dst.w;
}

int vq_ui_mm(const vq_ui *ui, double mm)
{
	/* Rounded up, so a target asked to be 15 mm is never a hair under; the epsilon
	 * keeps an exact product (15 x 4.0) from rounding up to one pixel more. */
	double px = ceil(mm * vq_ui_px_per_mm(ui) - 1e-9);
	return px < 0 ? 0 : px > 1e6 ? 1000000 : (int)px;
}

void vq_ui_clear(vq_ui *ui, vq_color c)
{
	ui_target_frame(ui);
	ui->dirty = 1;
	ui_damage(ui, (SDL_Rect){0, 0, ui->w, ui->h});
	SDL_SetRenderDrawColor(ui->ren, c.r, c.g, c.b, 255);
	SDL_RenderClear(ui->ren);
}

void vq_ui_present(vq_ui *ui)
{
	/* Only a frame that was drawn again replaces the buttons `tap_id` sees; presenting
	 * an unchanged frame twice must not forget them. */
	if (ui->dirty) {
		ui->drawing ^= 1;
		ui->nhits[ui->drawing] = 0;
		ui->dirty = 0;
	}
	ui_present_frame(ui);
}

void vq_ui_repaint(vq_ui *ui)
{
	ui->shown = 0;
	ui_present_frame(ui);
}

int vq_ui_read_rgb(vq_ui *ui, vq_rect r, uint8_t *rgb)
{
	if (!rgb || r.w <= 0 || r.h <= 0 || r.x < 0 || r.y < 0 || r.x > ui->w - r.w ||
	    r.y > ui->h - r.h) {
		ui_set_error(ui, "read_rgb: rect %d,%d %dx%d not inside the %dx%d frame", r.x, r.y,
		             r.w, r.h, ui->w, ui->h);
		return VQ_EINVAL;
	}
	SDL_Rect sr = {r.x, r.y, r.w, r.h};
	ui_target_frame(ui);
	if (SDL_RenderReadPixels(ui->ren, &sr, SDL_PIXELFORMAT_RGB24, rgb, r.w * 3) != 0) {
		ui_set_error(ui, "read_rgb: %s", SDL_GetError());
		return VQ_ESTATE;
	}
	return VQ_OK;
}

int vq_ui_screenshot(vq_ui *ui, const char *path)
{
	int rc = VQ_ENOMEM;
	char *tmp = NULL;
	size_t stride = (size_t)ui->w * 3;
	uint8_t *rgb = vq_malloc(stride * (size_t)ui->h);
	if (!path || !*path) {
		ui_set_error(ui, "screenshot: no path");
		rc = VQ_EINVAL;
		goto cleanup;
	}
	size_t plen = strlen(path) + 5;
	tmp = vq_malloc(plen);
	if (!rgb || !tmp) {
		ui_set_error(ui, "screenshot: out of memory");
		goto cleanup;
	}
	snprintf(tmp, plen, "%s.tmp", path);
	rc = vq_ui_read_rgb(ui, (vq_rect){0, 0, ui->w, ui->h}, rgb);
	if (rc != VQ_OK)
		goto cleanup;
	rc = ui_png_write_rgb(tmp, ui->w, ui->h, rgb, stride, ui->err, sizeof ui->err);
	if (rc != VQ_OK) {
		remove(tmp);
		goto cleanup;
	}
	if (rename(tmp, path) != 0) {
		ui_set_error(ui, "screenshot %s: %s", path, strerror(errno));
		remove(tmp);
		rc = VQ_ESTORE;
	}
cleanup:
	vq_free(tmp);
	vq_free(rgb);
	return rc;
}

int64_t vq_ui_now_ms(const vq_ui *ui)
{
	if (ui->script && ui->virtual_clock)
		return ui->vclock_ms;
	return vq_clock_now_ms(ui->clock);
}

const char *vq_ui_error(const vq_ui *ui)
{
	return ui->err;
}

struct SDL_Renderer *vq_ui_renderer(vq_ui *ui)
{
	ui_target_frame(ui);
	ui->dirty = 1;
	ui_damage_all(ui); /* whatever the caller draws */
	return ui->ren;
}

static int id_ok(const char *id)
{
	size_t n = 0;
	for (; id[n]; n++) {
		char c = id[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return n > 0 && n < VQ_ID_MAX;
}

int ui_register_hit(vq_ui *ui, const char *id, vq_rect r)
{
	if (!id_ok(id)) {
		ui_set_error(ui, "button id '%s': want [a-z0-9_-], 1..%d bytes", id, VQ_ID_MAX - 1);
		return VQ_EINVAL;
	}
	int d = ui->drawing;
	if (ui->nhits[d] >= UI_MAX_HITS) {
		ui_set_error(ui, "more than %d buttons with ids in one frame", UI_MAX_HITS);
		return VQ_ETOOBIG;
	}
	struct ui_hit *h = &ui->hits[d][ui->nhits[d]++];
	snprintf(h->id, sizeof h->id, "%s", id);
	h->r = r;
	return VQ_OK;
}

const vq_rect *ui_find_hit(const vq_ui *ui, const char *id)
{
	int shown = !ui->drawing;
	/* From the last: a button drawn later lies on top. */
	for (int i = ui->nhits[shown] - 1; i >= 0; i--)
		if (strcmp(ui->hits[shown][i].id, id) == 0)
			return &ui->hits[shown][i].r;
	return NULL;
}

int vq_ui_window_to_logical(const vq_ui *ui, int wx, int wy, int *x, int *y)
{
	int ww = 0, wh = 0;
	SDL_GetWindowSize(ui->win, &ww, &wh);
	if (ww <= 0 || wh <= 0 || ui->dst.w <= 0 || ui->dst.h <= 0)
		return 0;
	/* Window coordinates are points; on a high-DPI output there are more pixels. */
	double ox = (wx + 0.5) * ui->out_w / ww, oy = (wy + 0.5) * ui->out_h / wh;
	double lx = (ox - ui->dst.x) * ui->w / ui->dst.w;
	double ly = (oy - ui->dst.y) * ui->h / ui->dst.h;
	if (lx < 0 || ly < 0 || lx >= ui->w || ly >= ui->h)
		return 0;
	*x = (int)lx;
	*y = (int)ly;
	return 1;
}
