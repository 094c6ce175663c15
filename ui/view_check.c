/* ui/view_check.c — what a display list would look like, checked without looking (see
 * view.h, vq_view_check).
 *
 * Owns nothing. Every text is laid out exactly as vq_view_draw lays it out (same sizes,
 * same size groups, same caches), so a check that passes describes the frame that is
 * drawn. The colour under a text is composed from the list itself: every element drawn
 * before it that covers the point, translucent fills blended over what lies beneath, a
 * button's face (pressed or disabled as drawn) under its own label.
 */
#include "ui/view.h"

#include "core/mem.h"
#include "ui/text.h"
#include "ui/uipriv.h"
#include "ui/widgets.h"

#include <stdio.h>
#include <string.h>

static vq_color blend(vq_color under, vq_color over)
{
	if (over.a == 255)
		return over;
	int a = over.a;
	return (vq_color){(uint8_t)((over.r * a + under.r * (255 - a) + 127) / 255),
	                  (uint8_t)((over.g * a + under.g * (255 - a) + 127) / 255),
	                  (uint8_t)((over.b * a + under.b * (255 - a) + 127) / 255), 255};
}

/* The colour at (x, y) after drawing elements [0, upto) — and element upto itself if it
 * is a button (its label lies on its face). The frame starts black. */
static vq_color under(const vq_view *v, int upto, int x, int y)
{
	vq_color c = VQ_COL_BLACK;
	for (int j = 0; j <= upto && j < v->n; j++) {
		const vq_el *e = &v->el[j];
		if (!vq_rect_contains(e->r, x, y))
			continue;
		if (e->kind == VQ_EL_FILL) {
			c = blend(c, e->bg);
		} else if (e->kind == VQ_EL_BUTTON) {
			vq_button b = {
			    .r = e->r, .bg = e->bg, .pressed = e->pressed, .disabled = e->disabled};
			c = vq_button_face_color(&b);
		} else if (e->kind == VQ_EL_QR) {
			c = VQ_COL_WHITE;
		}
	}
	return c;
}

static vq_rect intersect(vq_rect a, vq_rect b)
{
	int x0 = a.x > b.x ? a.x : b.x, y0 = a.y > b.y ? a.y : b.y;
	int x1 = a.x + a.w < b.x + b.w ? a.x + a.w : b.x + b.w;
	int y1 = a.y + a.h < b.y + b.h ? a.y + a.h : b.y + b.h;
	return (vq_rect){x0, y0, x1 > x0 ? x1 - x0 : 0, y1 > y0 ? y1 - y0 : 0};
}

static void add(vq_flaw *out, int max, int *n, int kind, int el, int px, double contrast)
{
	if (*n < max)
		out[*n] = (vq_flaw){kind, el, px, contrast};
	(*n)++;
}

int vq_view_check(vq_ui *ui, const vq_view *v, double min_contrast, vq_flaw *out, int max)
{
	int n = 0;
	if (v->overflow)
		add(out, max, &n, VQ_FLAW_OVERFLOW, -1, 0, 0);
	int *px = vq_malloc((size_t)(v->n ? v->n : 1) * sizeof *px);
	if (!px)
		return -VQ_ENOMEM;
	int rc = vq_view_sizes(ui, v, px);
	if (rc != VQ_OK) {
		vq_free(px);
		return -rc;
	}
	vq_rect frame = {0, 0, v->w, v->h};
	for (int i = 0; i < v->n; i++) {
		const vq_el *e = &v->el[i];
		vq_rect box;
		vq_text_style st;
		if ((e->kind == VQ_EL_TEXT || e->kind == VQ_EL_BUTTON) &&
		    (e->r.w > 0 && e->r.h > 0) &&
		    (intersect(e->r, frame).w != e->r.w || intersect(e->r, frame).h != e->r.h))
			add(out, max, &n, VQ_FLAW_OUTSIDE, i, px[i], 0);
		if (!px[i] || !ui_view_text_style(v, e, &box, &st))
			continue;
		st.px = px[i];
		st.min_px = 0;
		vq_text_info info;
		if ((rc = vq_ui_text_layout(ui, box, &st, vq_el_text(v, e), &info)) != VQ_OK) {
			vq_free(px);
			return -rc;
		}
		if (!info.fits)
			add(out, max, &n, VQ_FLAW_CLIPPED, i, px[i], 0);
		if (info.midword)
			add(out, max, &n, VQ_FLAW_MIDWORD, i, px[i], 0);
		/* the ink as drawn (clipped to its box): its corners, just inside, and centre */
		vq_rect ink = intersect(info.ink, box);
		if (ink.w <= 0 || ink.h <= 0)
			continue;
		int xs[3] = {ink.x + 1, ink.x + ink.w / 2, ink.x + ink.w - 2};
		int ys[3] = {ink.y + 1, ink.y + ink.h / 2, ink.y + ink.h - 2};
		double worst = 21;
		for (int a = 0; a < 3; a++)
			for (int b = 0; b < 3; b++) {
				if ((a == 1) != (b == 1))
					continue; /* corners and the centre */
				double c = vq_color_contrast(st.color, under(v, i, xs[a], ys[b]));
				if (c < worst)
					worst = c;
			}
		if (worst < min_contrast)
			add(out, max, &n, VQ_FLAW_CONTRAST, i, px[i], worst);
	}
	vq_free(px);
	return n;
}

static const char *kind_name(int kind)
{
	static const char *const names[] = {"fill", "text", "button", "qr"};
	return kind >= 0 && kind <= VQ_EL_QR ? names[kind] : "?";
}

void vq_flaw_describe(const vq_view *v, const vq_flaw *f, double min_contrast, char *out,
                      size_t outlen)
{
	char what[64];
	switch (f->kind) {
	case VQ_FLAW_CLIPPED:
		snprintf(what, sizeof what, "clipped at %d px", f->px);
		break;
	case VQ_FLAW_MIDWORD:
		snprintf(what, sizeof what, "a word broken at %d px", f->px);
		break;
	case VQ_FLAW_CONTRAST:
		snprintf(what, sizeof what, "contrast %.2f < %.1f", f->contrast, min_contrast);
		break;
	case VQ_FLAW_OUTSIDE:
		snprintf(what, sizeof what, "outside the %dx%d frame", v->w, v->h);
		break;
	default:
		snprintf(out, outlen, "the view ran out of room (%d elements)", v->n);
		return;
	}
	const vq_el *e = &v->el[f->el];
	snprintf(out, outlen, "%s: %s %s%s%s '%s' #%02X%02X%02X at %d,%d %dx%d", what,
	         kind_name(e->kind), e->role[0] ? "\"" : "", e->role, e->role[0] ? "\"" : "",
	         vq_el_text(v, e), e->fg.r, e->fg.g, e->fg.b, e->r.x, e->r.y, e->r.w, e->r.h);
}
