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

/* Draws element i of v at its size px, moved by (dx, dy). */
static void draw_el(vq_ui *ui, const vq_view *v, int i, int px, int dx, int dy, vq_view_stats *st,
                    int *first)
{
	const vq_el *e = &v->el[i];
	vq_rect r = {e->r.x + dx, e->r.y + dy, e->r.w, e->r.h};
	int rc = VQ_OK;
	switch (e->kind) {
	case VQ_EL_FILL:
		vq_ui_fill(ui, r, e->radius, e->bg);
		break;
	case VQ_EL_BUTTON: {
		vq_button b = as_button(e, vq_el_text(v, e), dx, dy);
		rc = vq_ui_button_face(ui, &b);
		break;
	}
	case VQ_EL_QR:
		vq_ui_fill(ui, r, 0, VQ_COL_WHITE);
		/* a code too long for its box leaves the box white rather than failing the
		 * screen: the number and window are still on it */
		if (*vq_el_text(v, e))
			rc = vq_ui_qr(ui, r, vq_el_text(v, e), NULL);
		break;
	default:
		break;
	}
	if (rc != VQ_OK) {
		st->errors++;
		if (*first == VQ_OK)
			*first = rc;
	}
	draw_text(ui, v, e, px, dx, dy, st, first);
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
	for (int i = 0; i < v->n; i++)
		draw_el(ui, v, i, px[i], x, y, st, &first);
	vq_free(px);
	return first;
}

/* --- drawing what changed ---------------------------------------------------------- */

#define DIFF_RECTS 16

static int same_el(const vq_view *a, const vq_el *x, const vq_view *b, const vq_el *y)
{
	return x->kind == y->kind && !memcmp(&x->r, &y->r, sizeof x->r) &&
	       !memcmp(&x->bg, &y->bg, sizeof x->bg) && !memcmp(&x->fg, &y->fg, sizeof x->fg) &&
	       x->radius == y->radius && x->px == y->px && x->min_px == y->min_px &&
	       x->bold == y->bold && x->align == y->align && x->valign == y->valign &&
	       x->wrap == y->wrap && x->pressed == y->pressed && x->disabled == y->disabled &&
	       !strcmp(x->id, y->id) && !strcmp(x->role, y->role) &&
	       !strcmp(vq_el_text(a, x), vq_el_text(b, y));
}

static long area(SDL_Rect r)
{
	return (long)r.w * r.h;
}

/* Adds r to the dirty set, merging it with any rect it touches; a full set merges r into
 * the rect that grows least. */
static void dirty_add(SDL_Rect *d, int *n, vq_rect vr)
{
	SDL_Rect r = {vr.x, vr.y, vr.w, vr.h};
	if (r.w <= 0 || r.h <= 0)
		return;
	for (;;) {
		int merged = 0;
		for (int i = 0; i < *n; i++) {
			SDL_Rect grown = {d[i].x - 1, d[i].y - 1, d[i].w + 2, d[i].h + 2};
			if (SDL_HasIntersection(&grown, &r)) {
				SDL_UnionRect(&d[i], &r, &r);
				d[i] = d[--*n];
				merged = 1;
				break;
			}
		}
		if (!merged)
			break;
	}
	if (*n < DIFF_RECTS) {
		d[(*n)++] = r;
		return;
	}
	int best = 0;
	long cost = -1;
	for (int i = 0; i < *n; i++) {
		SDL_Rect u;
		SDL_UnionRect(&d[i], &r, &u);
		if (cost < 0 || area(u) - area(d[i]) < cost) {
			cost = area(u) - area(d[i]);
			best = i;
		}
	}
	SDL_UnionRect(&d[best], &r, &d[best]);
}

int vq_view_draw_diff(vq_ui *ui, const vq_view *before, const vq_view *after, vq_view_stats *st)
{
	if (!before || before->w != after->w || before->h != after->h)
		return vq_view_draw(ui, after, 0, 0, st);
	vq_view_stats local;
	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	int nmax = after->n > before->n ? after->n : before->n;
	int *pa = vq_malloc((size_t)(nmax ? nmax : 1) * sizeof *pa);
	int *pb = vq_malloc((size_t)(nmax ? nmax : 1) * sizeof *pb);
	if (!pa || !pb) {
		vq_free(pa);
		vq_free(pb);
		return VQ_ENOMEM;
	}
	unsigned char *drawn = vq_calloc((size_t)(nmax ? nmax : 1), 1);
	if (!drawn) {
		vq_free(pa);
		vq_free(pb);
		return VQ_ENOMEM;
	}
	int first = vq_view_sizes(ui, after, pa);
	int rb = vq_view_sizes(ui, before, pb);
	if (first == VQ_OK)
		first = rb;
	SDL_Rect d[DIFF_RECTS];
	int nd = 0;
	for (int i = 0; i < nmax; i++) {
		const vq_el *x = i < before->n ? &before->el[i] : NULL;
		const vq_el *y = i < after->n ? &after->el[i] : NULL;
		if (x && y && same_el(before, x, after, y) && pb[i] == pa[i])
			continue;
		if (x)
			dirty_add(d, &nd, x->r);
		if (y)
			dirty_add(d, &nd, y->r);
	}
	long dirty = 0;
	for (int i = 0; i < nd; i++)
		dirty += area(d[i]);
	if (dirty * 10 > (long)after->w * after->h * 6) {
		/* most of the screen changed: drawing it whole is as cheap */
		vq_free(drawn);
		vq_free(pa);
		vq_free(pb);
		return vq_view_draw(ui, after, 0, 0, st);
	}
	for (int k = 0; k < nd; k++) {
		ui_target_frame(ui);
		SDL_RenderSetClipRect(ui->ren, &d[k]);
		for (int i = 0; i < after->n; i++) {
			const vq_el *e = &after->el[i];
			SDL_Rect r = {e->r.x, e->r.y, e->r.w, e->r.h};
			if (SDL_HasIntersection(&r, &d[k])) {
				draw_el(ui, after, i, pa[i], 0, 0, st, &first);
				drawn[i] = 1;
			}
		}
		ui_target_frame(ui);
		SDL_RenderSetClipRect(ui->ren, NULL);
	}
	/* every button of the new frame answers tap_id, drawn again or not */
	for (int i = 0; i < after->n; i++) {
		const vq_el *e = &after->el[i];
		if (e->kind == VQ_EL_BUTTON && e->id[0] && !drawn[i]) {
			int rc = ui_register_hit(ui, e->id, e->r);
			if (rc != VQ_OK && first == VQ_OK)
				first = rc;
		}
	}
	ui->dirty = 1;
	vq_free(drawn);
	vq_free(pa);
	vq_free(pb);
	return first;
}
