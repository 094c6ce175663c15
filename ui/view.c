/* ui/view.c — display lists: building, reading and drawing them (see view.h).
 *
 * Owns nothing between calls. Drawing resolves sizes first (vq_view_sizes: each text's
 * largest fitting size, then the smallest of its size group), then paints in order;
 * ui/text.c's caches make a list drawn again with mostly the same strings cheap.
 */
#include "ui/view.h"

#include "core/mem.h"
#include "ui/qr.h"
#include "ui/text.h"
#include "ui/uipriv.h"
#include "ui/widgets.h"

#include <stdio.h>
#include <string.h>

/* --- building ------------------------------------------------------------------------ */

void vq_view_reset(vq_view *v, int w, int h)
{
	memset(v, 0, offsetof(vq_view, arena));
	v->arena[0] = '\0';
	v->used = 1; /* offset 0 is always "" */
	v->overflow = 0;
	v->w = w;
	v->h = h;
}

static size_t put(vq_view *v, const char *s)
{
	if (!s || !*s)
		return 0;
	size_t n = strlen(s) + 1;
	if (v->used + n > sizeof v->arena) {
		v->overflow = 1;
		return 0;
	}
	memcpy(v->arena + v->used, s, n);
	v->used += n;
	return v->used - n;
}

vq_el *vq_view_add(vq_view *v, int kind, vq_rect r)
{
	static vq_el spare; /* where elements past the end go: drawn nowhere */
	if (v->n >= VQ_VIEW_MAX) {
		v->overflow = 1;
		memset(&spare, 0, sizeof spare);
		return &spare;
	}
	vq_el *e = &v->el[v->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->r = r;
	return e;
}

static void set_role(vq_el *e, const char *role)
{
	snprintf(e->role, sizeof e->role, "%s", role ? role : "");
}

vq_el *vq_view_fill(vq_view *v, vq_rect r, vq_color c, int radius)
{
	vq_el *e = vq_view_add(v, VQ_EL_FILL, r);
	e->bg = c;
	e->radius = radius;
	return e;
}

static int clamp_px(int px)
{
	return px < VQ_TEXT_PX_MIN ? VQ_TEXT_PX_MIN : px > VQ_TEXT_PX_MAX ? VQ_TEXT_PX_MAX : px;
}

vq_el *vq_view_text(vq_view *v, vq_rect r, const char *role, const char *s, int px, int bold,
                    vq_color fg, int align)
{
	vq_el *e = vq_view_add(v, VQ_EL_TEXT, r);
	e->text = put(v, s);
	e->px = clamp_px(px);
	e->min_px = clamp_px(e->px / 2);
	e->bold = bold;
	e->fg = fg;
	e->align = align;
	e->valign = VQ_VALIGN_MIDDLE;
	e->wrap = 1;
	set_role(e, role);
	return e;
}

vq_el *vq_view_button(vq_view *v, vq_rect r, const char *id, const char *role, const char *label,
                      vq_color bg, vq_color fg)
{
	vq_el *e = vq_view_add(v, VQ_EL_BUTTON, r);
	snprintf(e->id, sizeof e->id, "%s", id ? id : "");
	e->text = put(v, label);
	e->bg = bg;
	e->fg = fg;
	e->bold = 1;
	e->wrap = 1;
	set_role(e, role);
	return e;
}

vq_el *vq_view_qr(vq_view *v, vq_rect r, const char *role, const char *s)
{
	vq_el *e = vq_view_add(v, VQ_EL_QR, r);
	e->text = put(v, s);
	set_role(e, role);
	return e;
}

void vq_el_set_text(vq_view *v, vq_el *e, const char *s)
{
	e->text = put(v, s);
}

/* --- reading ------------------------------------------------------------------------- */

const char *vq_el_text(const vq_view *v, const vq_el *e)
{
	return e->text < v->used ? v->arena + e->text : "";
}

const vq_el *vq_view_hit(const vq_view *v, int x, int y)
{
	for (int i = v->n; i-- > 0;) {
		const vq_el *e = &v->el[i];
		if (e->kind == VQ_EL_BUTTON && !e->disabled && vq_rect_contains(e->r, x, y))
			return e;
	}
	return NULL;
}

const vq_el *vq_view_find(const vq_view *v, const char *id)
{
	for (int i = 0; i < v->n; i++)
		if (v->el[i].kind == VQ_EL_BUTTON && strcmp(v->el[i].id, id) == 0)
			return &v->el[i];
	return NULL;
}

int vq_view_has_text(const vq_view *v, const char *needle)
{
	for (int i = 0; i < v->n; i++)
		if ((v->el[i].kind == VQ_EL_TEXT || v->el[i].kind == VQ_EL_BUTTON) &&
		    strstr(vq_el_text(v, &v->el[i]), needle))
			return 1;
	return 0;
}

const vq_el *vq_view_role(const vq_view *v, const char *role, int from)
{
	for (int i = from < 0 ? 0 : from; i < v->n; i++)
		if (strcmp(v->el[i].role, role) == 0)
			return &v->el[i];
	return NULL;
}

/* --- sizes --------------------------------------------------------------------------- */

static vq_button as_button(const vq_el *e, const char *label, int dx, int dy)
{
	return (vq_button){.id = e->id[0] ? e->id : NULL,
	                   .r = {e->r.x + dx, e->r.y + dy, e->r.w, e->r.h},
	                   .label = label,
	                   .bg = e->bg,
	                   .fg = e->fg,
	                   .px = e->px,
	                   .pressed = e->pressed,
	                   .disabled = e->disabled};
}

/* Where and how e's text goes (TEXT, or a BUTTON's label): 0 if it has none. */
int ui_view_text_style(const vq_view *v, const vq_el *e, vq_rect *box, vq_text_style *st)
{
	const char *s = vq_el_text(v, e);
	if (!*s || e->r.w <= 0 || e->r.h <= 0)
		return 0;
	if (e->kind == VQ_EL_BUTTON) {
		vq_button b = as_button(e, s, 0, 0);
		if (!vq_button_label(&b, box, st))
			return 0;
		if (e->min_px > 0 && e->min_px < st->px)
			st->min_px = e->min_px;
		return 1;
	}
	if (e->kind != VQ_EL_TEXT)
		return 0;
	*box = e->r;
	*st = (vq_text_style){.px = clamp_px(e->px),
	                      .bold = e->bold,
	                      .color = e->fg,
	                      .align = e->align,
	                      .valign = e->valign,
	                      .wrap = e->wrap,
	                      .min_px = e->min_px > 0 && e->min_px < e->px ? e->min_px : 0};
	return 1;
}

static int same_group(const vq_el *a, const vq_el *b, const vq_text_style *sa,
                      const vq_text_style *sb)
{
	return a->role[0] && a->kind == b->kind && sa->px == sb->px && sa->bold == sb->bold &&
	       strcmp(a->role, b->role) == 0;
}

int vq_view_sizes(vq_ui *ui, const vq_view *v, int *px)
{
	vq_text_style *sts = vq_malloc((size_t)(v->n ? v->n : 1) * sizeof *sts);
	if (!sts)
		return VQ_ENOMEM;
	int rc = VQ_OK;
	for (int i = 0; i < v->n; i++) {
		vq_rect box;
		px[i] = 0;
		if (!ui_view_text_style(v, &v->el[i], &box, &sts[i]))
			continue;
		vq_text_info info;
		int r = vq_ui_text_layout(ui, box, &sts[i], vq_el_text(v, &v->el[i]), &info);
		if (r != VQ_OK) {
			rc = rc == VQ_OK ? r : rc;
			continue;
		}
		px[i] = info.px;
	}
	/* one size a group: the smallest any member fits at */
	for (int i = 0; i < v->n; i++) {
		if (!px[i])
			continue;
		int m = px[i];
		for (int j = i + 1; j < v->n; j++)
			if (px[j] && same_group(&v->el[i], &v->el[j], &sts[i], &sts[j]) &&
			    px[j] < m)
				m = px[j];
		for (int j = i; j < v->n; j++)
			if (px[j] && (j == i || same_group(&v->el[i], &v->el[j], &sts[i], &sts[j])))
				px[j] = m;
	}
	vq_free(sts);
	return rc;
}

/* --- drawing ------------------------------------------------------------------------- */

static void draw_text(vq_ui *ui, const vq_view *v, const vq_el *e, int px, int dx, int dy,
                      vq_view_stats *st, int *first)
{
	vq_rect box;
	vq_text_style ts;
	if (!px || !ui_view_text_style(v, e, &box, &ts))
		return;
	box.x += dx;
	box.y += dy;
	ts.px = px;
	ts.min_px = 0;
	vq_text_info info;
	int rc = vq_ui_text(ui, box, &ts, vq_el_text(v, e), &info);
	if (rc != VQ_OK) {
		st->errors++;
		if (*first == VQ_OK)
			*first = rc;
		return;
	}
	st->texts++;
	st->clipped += !info.fits;
	st->midword += info.midword;
	if (!st->min_px || info.px < st->min_px)
		st->min_px = info.px;
}

int vq_view_draw(vq_ui *ui, const vq_view *v, int x, int y, vq_view_stats *st)
{
	vq_view_stats local;
	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	int *px = vq_malloc((size_t)(v->n ? v->n : 1) * sizeof *px);
	if (!px)
		return VQ_ENOMEM;
	int first = vq_view_sizes(ui, v, px);
	for (int i = 0; i < v->n; i++) {
		const vq_el *e = &v->el[i];
		vq_rect r = {e->r.x + x, e->r.y + y, e->r.w, e->r.h};
		int rc = VQ_OK;
		switch (e->kind) {
		case VQ_EL_FILL:
			vq_ui_fill(ui, r, e->radius, e->bg);
			break;
		case VQ_EL_BUTTON: {
			vq_button b = as_button(e, vq_el_text(v, e), x, y);
			rc = vq_ui_button_face(ui, &b);
			break;
		}
		case VQ_EL_QR:
			vq_ui_fill(ui, r, 0, VQ_COL_WHITE);
			/* a code too long for its box leaves the box white rather than failing
			 * the screen: the number and window are still on it */
			if (*vq_el_text(v, e))
				rc = vq_ui_qr(ui, r, vq_el_text(v, e), NULL);
			break;
		default:
			break;
		}
		if (rc != VQ_OK) {
			st->errors++;
			if (first == VQ_OK)
				first = rc;
		}
		draw_text(ui, v, e, px[i], x, y, st, &first);
	}
	vq_free(px);
	return first;
}
