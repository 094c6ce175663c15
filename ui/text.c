/* ui/text.c — fonts and text layout (see text.h).
 *
 * Owns the font cache: one TTF_Font per (face, size), opened from the font files read at
 * vq_ui_new, least recently used evicted. Layout works on a private copy of the string,
 * whose bytes it cuts with a NUL only for the length of one measurement, so the caller's
 * string is never touched. A line is a byte range of that copy; breaking a word never
 * splits a UTF-8 sequence.
 */
#include "ui/text.h"

#include "core/mem.h"
#include "ui/uipriv.h"
#include "ui/utf8.h"

#include <string.h>

TTF_Font *ui_font(vq_ui *ui, int px, int bold)
{
	struct ui_font *victim = &ui->fonts[0];
	bold = bold ? 1 : 0;
	for (int i = 0; i < UI_FONT_CACHE; i++) {
		struct ui_font *f = &ui->fonts[i];
		if (f->font && f->px == px && f->bold == bold) {
			f->used = ++ui->font_clock;
			return f->font;
		}
		if (!f->font || (victim->font && f->used < victim->used))
			victim = f;
	}
	SDL_RWops *rw = SDL_RWFromConstMem(ui->font_data[bold], (int)ui->font_len[bold]);
	TTF_Font *font = rw ? TTF_OpenFontRW(rw, 1, px) : NULL;
	if (!font) {
		ui_set_error(ui, "font %s %dpx: %s", bold ? "bold" : "regular", px, TTF_GetError());
		return NULL;
	}
	if (victim->font)
		TTF_CloseFont(victim->font);
	*victim = (struct ui_font){font, px, bold, ++ui->font_clock};
	return font;
}

void ui_fonts_close(vq_ui *ui)
{
	for (int i = 0; i < UI_FONT_CACHE; i++) {
		if (ui->fonts[i].font)
			TTF_CloseFont(ui->fonts[i].font);
		ui->fonts[i].font = NULL;
	}
}

struct line {
	size_t off, len;
	int w;
};

struct layout {
	char *buf; /* the text's copy, NUL-terminated */
	size_t blen;
	struct line *lines;
	size_t n, cap;
	TTF_Font *font;
	int px;
	int skip; /* baseline to baseline */
	int w, h; /* the block: widest line, first line's top to last line's bottom */
	int fits;
};

static void layout_free(struct layout *lo)
{
	vq_free(lo->buf);
	vq_free(lo->lines);
}

static int measure(struct layout *lo, size_t off, size_t len, int *w)
{
	*w = 0;
	if (len == 0)
		return VQ_OK;
	char saved = lo->buf[off + len];
	lo->buf[off + len] = '\0';
	int rc = TTF_SizeUTF8(lo->font, lo->buf + off, w, NULL);
	lo->buf[off + len] = saved;
	return rc == 0 ? VQ_OK : VQ_EINVAL;
}

static int push_line(struct layout *lo, size_t off, size_t len, int w)
{
	if (lo->n == lo->cap) {
		size_t cap = lo->cap ? lo->cap * 2 : 8;
		struct line *l = vq_realloc(lo->lines, cap * sizeof *l);
		if (!l)
			return VQ_ENOMEM;
		lo->lines = l;
		lo->cap = cap;
	}
	lo->lines[lo->n++] = (struct line){off, len, w};
	return VQ_OK;
}

/* Greedy: as many whole words as fit; a line with no whole word that fits takes as many
 * characters as fit (at least one, so layout always moves on). */
static int wrap_paragraph(struct layout *lo, size_t start, size_t end, int maxw)
{
	const char *s = lo->buf;
	size_t ls = start;
	int rc;
	while (ls < end) {
		size_t good = ls, pos = ls;
		int goodw = 0, w;
		for (;;) {
			size_t e = pos;
			while (e < end && s[e] != ' ')
				e++;
			if ((rc = measure(lo, ls, e - ls, &w)) != VQ_OK)
				return rc;
			if (w > maxw)
				break;
			good = e;
			goodw = w;
			if (e == end)
				break;
			pos = e + 1;
		}
		if (good == ls) {
			size_t cut = ls;
			while (cut < end) {
				int32_t cp;
				size_t next = cut + vq_utf8_next(s + cut, end - cut, &cp);
				if ((rc = measure(lo, ls, next - ls, &w)) != VQ_OK)
					return rc;
				if (w > maxw && cut > ls)
					break;
				cut = next;
				goodw = w;
				if (w > maxw)
					break;
			}
			good = cut;
		}
		if ((rc = push_line(lo, ls, good - ls, goodw)) != VQ_OK)
			return rc;
		ls = good;
		while (ls < end && s[ls] == ' ')
			ls++;
	}
	return VQ_OK;
}

static int layout_at(vq_ui *ui, struct layout *lo, int px, const vq_text_style *st, vq_rect box)
{
	int rc;
	lo->n = 0;
	lo->px = px;
	lo->font = ui_font(ui, px, st->bold);
	if (!lo->font)
		return VQ_ENOTFOUND;
	size_t p = 0;
	for (;;) {
		size_t e = p;
		while (e < lo->blen && lo->buf[e] != '\n')
			e++;
		if (st->wrap && e > p) {
			rc = wrap_paragraph(lo, p, e, box.w);
		} else {
			int w;
			rc = measure(lo, p, e - p, &w);
			if (rc == VQ_OK)
				rc = push_line(lo, p, e - p, w);
		}
		if (rc != VQ_OK)
			return rc;
		if (e == lo->blen)
			break;
		p = e + 1;
	}
	lo->skip = TTF_FontLineSkip(lo->font);
	lo->w = 0;
	for (size_t i = 0; i < lo->n; i++)
		if (lo->lines[i].w > lo->w)
			lo->w = lo->lines[i].w;
	lo->h = (int)(lo->n - 1) * lo->skip + TTF_FontHeight(lo->font);
	lo->fits = lo->w <= box.w && lo->h <= box.h;
	return VQ_OK;
}

static int check_style(vq_ui *ui, vq_rect box, const vq_text_style *st, const char *utf8)
{
	if (!st || !utf8 || box.w <= 0 || box.h <= 0 || st->px < VQ_TEXT_PX_MIN ||
	    st->px > VQ_TEXT_PX_MAX || st->min_px < 0 ||
	    (st->min_px > 0 && st->min_px < VQ_TEXT_PX_MIN) || st->align < VQ_ALIGN_LEFT ||
	    st->align > VQ_ALIGN_RIGHT || st->valign < VQ_VALIGN_TOP ||
	    st->valign > VQ_VALIGN_BOTTOM) {
		ui_set_error(ui, "text: bad box or style");
		return VQ_EINVAL;
	}
	return VQ_OK;
}

/* Lays out at st->px, or the largest size down to min_px that fits (sizes that fit form
 * a lower range, so a binary search finds it in a handful of layouts). */
static int layout_fit(vq_ui *ui, vq_rect box, const vq_text_style *st, const char *utf8,
                      struct layout *lo)
{
	int rc = check_style(ui, box, st, utf8);
	if (rc != VQ_OK)
		return rc;
	lo->blen = strlen(utf8);
	lo->buf = vq_malloc(lo->blen + 1);
	if (!lo->buf)
		return VQ_ENOMEM;
	memcpy(lo->buf, utf8, lo->blen + 1);
	rc = layout_at(ui, lo, st->px, st, box);
	if (rc != VQ_OK || lo->fits || st->min_px == 0 || st->min_px >= st->px)
		return rc;
	int low = st->min_px, high = st->px - 1, best = st->min_px;
	while (low <= high) {
		int mid = low + (high - low) / 2;
		if ((rc = layout_at(ui, lo, mid, st, box)) != VQ_OK)
			return rc;
		if (lo->fits) {
			best = mid;
			low = mid + 1;
		} else {
			high = mid - 1;
		}
	}
	return layout_at(ui, lo, best, st, box);
}

static int line_x(vq_rect box, const vq_text_style *st, int w)
{
	switch (st->align) {
	case VQ_ALIGN_CENTER:
		return box.x + (box.w - w) / 2;
	case VQ_ALIGN_RIGHT:
		return box.x + box.w - w;
	default:
		return box.x;
	}
}

static int block_y(vq_rect box, const vq_text_style *st, int h)
{
	switch (st->valign) {
	case VQ_VALIGN_MIDDLE:
		return box.y + (box.h - h) / 2;
	case VQ_VALIGN_BOTTOM:
		return box.y + box.h - h;
	default:
		return box.y;
	}
}

static void fill_info(const struct layout *lo, vq_rect box, const vq_text_style *st,
                      vq_text_info *info)
{
	if (!info)
		return;
	info->px = lo->px;
	info->lines = (int)lo->n;
	info->fits = lo->fits;
	info->ink = (vq_rect){line_x(box, st, lo->w), block_y(box, st, lo->h), lo->w, lo->h};
}

int vq_ui_text_layout(vq_ui *ui, vq_rect box, const vq_text_style *st, const char *utf8,
                      vq_text_info *info)
{
	struct layout lo = {0};
	int rc = layout_fit(ui, box, st, utf8, &lo);
	if (rc == VQ_OK)
		fill_info(&lo, box, st, info);
	layout_free(&lo);
	return rc;
}

static int draw_line(vq_ui *ui, struct layout *lo, const struct line *l, int x, int y, vq_color c)
{
	if (l->len == 0)
		return VQ_OK;
	int rc = VQ_OK;
	char saved = lo->buf[l->off + l->len];
	lo->buf[l->off + l->len] = '\0';
	SDL_Surface *surf =
	    TTF_RenderUTF8_Blended(lo->font, lo->buf + l->off, (SDL_Color){c.r, c.g, c.b, c.a});
	lo->buf[l->off + l->len] = saved;
	SDL_Texture *tex = surf ? SDL_CreateTextureFromSurface(ui->ren, surf) : NULL;
	if (!tex) {
		ui_set_error(ui, "text: %s", SDL_GetError());
		rc = VQ_ENOMEM;
		goto cleanup;
	}
	SDL_Rect dst = {x, y, surf->w, surf->h};
	SDL_RenderCopy(ui->ren, tex, NULL, &dst);
cleanup:
	if (tex)
		SDL_DestroyTexture(tex);
	SDL_FreeSurface(surf);
	return rc;
}

int vq_ui_text(vq_ui *ui, vq_rect box, const vq_text_style *st, const char *utf8,
               vq_text_info *info)
{
	struct layout lo = {0};
	int rc = layout_fit(ui, box, st, utf8, &lo);
	if (rc != VQ_OK)
		goto cleanup;
	fill_info(&lo, box, st, info);
	ui_target_frame(ui);
	ui->dirty = 1;

	/* Clip to the box (within any clip the caller set), so overflow cannot paint over
	 * a neighbour. */
	SDL_Rect prev, clip = {box.x, box.y, box.w, box.h};
	SDL_bool had_clip = SDL_RenderIsClipEnabled(ui->ren);
	SDL_RenderGetClipRect(ui->ren, &prev);
	if (had_clip && !SDL_IntersectRect(&prev, &clip, &clip))
		goto cleanup;
	SDL_RenderSetClipRect(ui->ren, &clip);
	int y = block_y(box, st, lo.h);
	for (size_t i = 0; i < lo.n && rc == VQ_OK; i++) {
		const struct line *l = &lo.lines[i];
		rc = draw_line(ui, &lo, l, line_x(box, st, l->w), y + (int)i * lo.skip, st->color);
	}
	SDL_RenderSetClipRect(ui->ren, had_clip ? &prev : NULL);
cleanup:
	layout_free(&lo);
	return rc;
}

int vq_ui_text_size(vq_ui *ui, int px, int bold, const char *utf8, int *w, int *h)
{
	if (!utf8 || px < VQ_TEXT_PX_MIN || px > VQ_TEXT_PX_MAX)
		return VQ_EINVAL;
	TTF_Font *font = ui_font(ui, px, bold);
	if (!font)
		return VQ_ENOTFOUND;
	int tw = 0, th = TTF_FontHeight(font);
	if (*utf8 && TTF_SizeUTF8(font, utf8, &tw, &th) != 0) {
		ui_set_error(ui, "text: %s", TTF_GetError());
		return VQ_EINVAL;
	}
	if (w)
		*w = tw;
	if (h)
		*h = th;
	return VQ_OK;
}

int vq_ui_text_missing_glyphs(vq_ui *ui, int bold, const char *utf8, int *missing)
{
	if (!utf8 || !missing)
		return VQ_EINVAL;
	/* Coverage does not depend on size; take one the cache likely holds anyway. */
	TTF_Font *font = ui_font(ui, 32, bold);
	if (!font)
		return VQ_ENOTFOUND;
	size_t len = strlen(utf8), i = 0;
	int n = 0;
	while (i < len) {
		int32_t cp;
		i += vq_utf8_next(utf8 + i, len - i, &cp);
		if (cp < 0)
			n++;
		else if (cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0))
			continue;
		else if (!TTF_GlyphIsProvided32(font, (Uint32)cp))
			n++;
	}
	*missing = n;
	return VQ_OK;
}
