/* ui/widgets.c — filled shapes and buttons (see widgets.h).
 *
 * Owns no state: a button is the caller's value. Drawing one registers its id with the
 * frame (for a script's `tap_id`); hit-testing reads only the value, so a screen's update
 * can test taps without a window.
 */
#include "ui/widgets.h"

#include "ui/text.h"
#include "ui/uipriv.h"

#include <math.h>

static double channel_lum(uint8_t v)
{
	double c = v / 255.0;
	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double luminance(vq_color c)
{
	return 0.2126 * channel_lum(c.r) + 0.7152 * channel_lum(c.g) + 0.0722 * channel_lum(c.b);
}

double vq_color_contrast(vq_color a, vq_color b)
{
	double la = luminance(a), lb = luminance(b);
	return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

int vq_rect_contains(vq_rect r, int x, int y)
{
	/* Subtractions, not x < r.x + r.w, so a huge rect cannot overflow. */
	return r.w > 0 && r.h > 0 && x >= r.x && y >= r.y && (long long)x - r.x < r.w &&
	       (long long)y - r.y < r.h;
}

void vq_ui_fill(vq_ui *ui, vq_rect r, int radius, vq_color c)
{
	if (r.w <= 0 || r.h <= 0)
		return;
	ui_target_frame(ui);
	ui->dirty = 1;
	ui_damage(ui, (SDL_Rect){r.x, r.y, r.w, r.h});
	SDL_SetRenderDrawBlendMode(ui->ren, c.a < 255 ? SDL_BLENDMODE_BLEND : SDL_BLENDMODE_NONE);
	SDL_SetRenderDrawColor(ui->ren, c.r, c.g, c.b, c.a);
	int rad = radius < 0 ? 0 : radius;
	if (rad > r.w / 2)
		rad = r.w / 2;
	if (rad > r.h / 2)
		rad = r.h / 2;
	if (r.h - 2 * rad > 0) {
		SDL_Rect mid = {r.x, r.y + rad, r.w, r.h - 2 * rad};
		SDL_RenderFillRect(ui->ren, &mid);
	}
	/* The corner rows, each inset to where the circle through its pixel centres runs:
	 * no anti-aliasing, which at kiosk sizes nobody misses, and every pixel is set once,
	 * so a translucent fill has no darker seams. */
	for (int i = 0; i < rad; i++) {
		double dy = rad - i - 0.5;
		int inset = rad - (int)floor(sqrt((double)rad * rad - dy * dy) + 0.5);
		SDL_Rect top = {r.x + inset, r.y + i, r.w - 2 * inset, 1};
		SDL_Rect bottom = {r.x + inset, r.y + r.h - 1 - i, r.w - 2 * inset, 1};
		SDL_RenderFillRect(ui->ren, &top);
		SDL_RenderFillRect(ui->ren, &bottom);
	}
	SDL_SetRenderDrawBlendMode(ui->ren, SDL_BLENDMODE_NONE);
}

static vq_color darker(vq_color c, int percent)
{
	return (vq_color){(uint8_t)(c.r * percent / 100), (uint8_t)(c.g * percent / 100),
	                  (uint8_t)(c.b * percent / 100), c.a};
}

vq_color vq_button_face_color(const vq_button *b)
{
	if (b->disabled)
		return VQ_COL_DISABLED_BG;
	return b->pressed ? darker(b->bg, 70) : b->bg;
}

int vq_button_label(const vq_button *b, vq_rect *box, vq_text_style *st)
{
	int px = b->px ? b->px : b->r.h / 3;
	if (px < VQ_TEXT_PX_MIN)
		px = VQ_TEXT_PX_MIN;
	if (px > VQ_TEXT_PX_MAX)
		px = VQ_TEXT_PX_MAX;
	int pad = b->r.h / 10 > 4 ? b->r.h / 10 : 4;
	*box = (vq_rect){b->r.x + pad, b->r.y + pad, b->r.w - 2 * pad, b->r.h - 2 * pad};
	*st = (vq_text_style){.px = px,
	                      .bold = 1,
	                      .color = b->disabled ? VQ_COL_DISABLED_FG : b->fg,
	                      .align = VQ_ALIGN_CENTER,
	                      .valign = VQ_VALIGN_MIDDLE,
	                      .wrap = 1,
	                      .min_px = px / 2 > VQ_TEXT_PX_MIN ? px / 2 : VQ_TEXT_PX_MIN};
	return box->w > 0 && box->h > 0;
}

int vq_ui_button_face(vq_ui *ui, const vq_button *b)
{
	if (!b || b->r.w <= 0 || b->r.h <= 0 || b->px < 0) {
		ui_set_error(ui, "button: an empty rect");
		return VQ_EINVAL;
	}
	if (b->id) {
		int rc = ui_register_hit(ui, b->id, b->r);
		if (rc != VQ_OK)
			return rc;
	}
	vq_color bg = vq_button_face_color(b);
	int radius = b->r.h / 8;
	/* A rim a shade darker than the face, so a pale button still has an edge on a pale
	 * screen. */
	int rim = b->r.h / 40 > 2 ? b->r.h / 40 : 2;
	vq_ui_fill(ui, b->r, radius, darker(bg, 75));
	vq_ui_fill(ui, (vq_rect){b->r.x + rim, b->r.y + rim, b->r.w - 2 * rim, b->r.h - 2 * rim},
	           radius - rim, bg);
	return VQ_OK;
}

int vq_ui_button(vq_ui *ui, const vq_button *b)
{
	if (!b || !b->label) {
		ui_set_error(ui, "button: no label");
		return VQ_EINVAL;
	}
	int rc = vq_ui_button_face(ui, b);
	vq_rect box;
	vq_text_style st;
	if (rc != VQ_OK || !vq_button_label(b, &box, &st) || !b->label[0])
		return rc; /* too small for a label: the face is all there is to see */
	return vq_ui_text(ui, box, &st, b->label, NULL);
}

int vq_button_hit(const vq_button *b, int x, int y)
{
	return b && !b->disabled && vq_rect_contains(b->r, x, y);
}

int vq_button_find(const vq_button *bs, size_t n, int x, int y)
{
	for (size_t i = n; i-- > 0;)
		if (vq_button_hit(&bs[i], x, y))
			return (int)i;
	return -1;
}
