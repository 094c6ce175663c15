/* ui/text.c — fonts, text layout, and the caches that make redrawing text cheap (see
 * text.h).
 *
 * Owns three caches, least recently used evicted from each: one TTF_Font per (face,
 * size), opened from the font files read at vq_ui_new; layouts (where the lines of a
 * string break, at which size, for a box and style); and rendered lines (a texture per
 * string, size, face and colour). A screen redrawn with the same strings thus lays out
 * and rasterises nothing: a frame is texture copies. Layout works on its own copy of the
 * string, whose bytes it cuts with a NUL only for the length of one measurement, so the
 * caller's string is never touched. A line is a byte range of that copy, and ends only at
 * a space, a '\n' or the end: a word is never broken.
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

/* A laid-out text, as the layout cache keeps it: lines are byte ranges of buf, its own
 * copy of the string. */
struct ui_laid {
	int px;
	int n;
	struct ui_line {
		size_t off, len;
		int w;
	} * lines;
	int skip; /* baseline to baseline */
	int w, h; /* the block: widest line, first line's top to last line's bottom */
	int fits;
	int midword; /* line breaks that fall inside a word (never made here; checked) */
	size_t blen;
	char buf[]; /* blen bytes and a NUL */
};

/* A rendered line, as the texture cache keeps it. */
struct ui_line_tex {
	SDL_Texture *tex;
	int w, h;
};

static void laid_free(void *p)
{
	struct ui_laid *l = p;
	if (l)
		vq_free(l->lines);
	vq_free(l);
}

static void line_tex_free(void *p)
{
	struct ui_line_tex *t = p;
	if (t && t->tex)
		SDL_DestroyTexture(t->tex);
	vq_free(t);
}

void ui_text_caches_init(vq_ui *ui)
{
	ui_cache_init(&ui->layouts, UI_LAYOUT_CACHE, UI_LAYOUT_CACHE_BYTES, laid_free);
	ui_cache_init(&ui->lines, UI_LINE_CACHE, UI_LINE_CACHE_BYTES, line_tex_free);
}

void ui_text_caches_clear(vq_ui *ui)
{
	ui_cache_clear(&ui->layouts);
	ui_cache_clear(&ui->lines);
}

/* Line spacing: the font's own, but never under 1.25 em, so a comma below (ț, ș) on one
 * line never meets an accent or ascender on the next. */
static int line_skip(TTF_Font *font, int px)
{
	int skip = TTF_FontLineSkip(font), want = (px * 5 + 3) / 4;
	return skip > want ? skip : want;
}

struct work {
	char *buf; /* the text's copy, NUL-terminated */
	size_t blen;
	struct ui_line *lines;
	int n, cap;
	TTF_Font *font;
	int px;
	int w, h, skip, fits;
};

static int measure(struct work *lo, size_t off, size_t len, int *w)
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

static int push_line(struct work *lo, size_t off, size_t len, int w)
{
	if (lo->n == lo->cap) {
		int cap = lo->cap ? lo->cap * 2 : 8;
		struct ui_line *l = vq_realloc(lo->lines, (size_t)cap * sizeof *l);
		if (!l)
			return VQ_ENOMEM;
		lo->lines = l;
		lo->cap = cap;
	}
	lo->lines[lo->n++] = (struct ui_line){off, len, w};
	return VQ_OK;
}

static size_t word_end(const char *s, size_t p, size_t end)
{
	while (p < end && s[p] != ' ')
		p++;
	return p;
}

/* Greedy, at spaces only: a line is as many whole words as fit, and at least one. A word
 * wider than the box is never cut: its line is too wide, so the text does not fit, and
 * the caller shrinks it (or reports it clipped). */
static int wrap_paragraph(struct work *lo, size_t start, size_t end, int maxw)
{
	const char *s = lo->buf;
	size_t ls = start;
	int rc;
	while (ls < end) {
		size_t good = word_end(s, ls, end);
		int goodw, w;
		if ((rc = measure(lo, ls, good - ls, &goodw)) != VQ_OK)
			return rc;
		while (goodw <= maxw && good < end) {
			size_t pos = good;
			while (pos < end && s[pos] == ' ')
				pos++;
			if (pos == end)
				break;
			size_t e = word_end(s, pos, end);
			if ((rc = measure(lo, ls, e - ls, &w)) != VQ_OK)
				return rc;
			if (w > maxw)
				break;
			good = e;
			goodw = w;
		}
		if ((rc = push_line(lo, ls, good - ls, goodw)) != VQ_OK)
			return rc;
		ls = good;
		while (ls < end && s[ls] == ' ')
			ls++;
	}
	return VQ_OK;
}

static int layout_at(vq_ui *ui, struct work *lo, int px, const vq_text_style *st, vq_rect box)
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
	lo->skip = line_skip(lo->font, px);
	lo->w = 0;
	for (int i = 0; i < lo->n; i++)
		if (lo->lines[i].w > lo->w)
			lo->w = lo->lines[i].w;
	lo->h = (lo->n - 1) * lo->skip + TTF_FontHeight(lo->font);
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
static int layout_fit(vq_ui *ui, vq_rect box, const vq_text_style *st, struct work *lo)
{
	int rc = layout_at(ui, lo, st->px, st, box);
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

/* The cache key of a layout: what it depends on (not colour, not alignment). */
struct layout_key {
	int w, h, px, min_px, bold, wrap;
};

/* The layout of utf8 in box, from the cache or made now (and kept). */
static const struct ui_laid *laid_get(vq_ui *ui, vq_rect box, const vq_text_style *st,
                                      const char *utf8)
{
	size_t blen = strlen(utf8);
	struct layout_key k = {box.w,           box.h, st->px, st->min_px, st->bold ? 1 : 0,
	                       st->wrap ? 1 : 0};
	char *key = vq_malloc(sizeof k + blen);
	if (!key) {
		ui_set_error(ui, "text: out of memory");
		return NULL;
	}
	memcpy(key, &k, sizeof k);
	memcpy(key + sizeof k, utf8, blen);
	struct ui_laid *l = ui_cache_get(&ui->layouts, key, sizeof k + blen);
	if (l)
		goto done;
	struct work lo = {0};
	lo.blen = blen;
	l = vq_calloc(1, sizeof *l + blen + 1);
	if (!l) {
		ui_set_error(ui, "text: out of memory");
		goto done;
	}
	memcpy(l->buf, utf8, blen + 1);
	l->blen = blen;
	lo.buf = l->buf;
	if (layout_fit(ui, box, st, &lo) != VQ_OK) {
		vq_free(lo.lines);
		laid_free(l);
		l = NULL;
		goto done;
	}
	/* the layout cut the string only for measuring: buf is whole again */
	l->px = lo.px;
	l->n = lo.n;
	l->lines = lo.lines;
	l->skip = lo.skip;
	l->w = lo.w;
	l->h = lo.h;
	l->fits = lo.fits;
	for (int i = 0; i < l->n; i++) {
		size_t e = l->lines[i].off + l->lines[i].len;
		if (e < blen && l->buf[e] != ' ' && l->buf[e] != '\n')
			l->midword++;
	}
	if (ui_cache_put(&ui->layouts, key, sizeof k + blen, l,
	                 sizeof *l + blen + (size_t)l->n * sizeof *l->lines) != VQ_OK) {
		ui_set_error(ui, "text: out of memory");
		l = NULL;
	}
done:
	vq_free(key);
	return l;
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

static void fill_info(const struct ui_laid *lo, vq_rect box, const vq_text_style *st,
                      vq_text_info *info)
{
	if (!info)
		return;
	info->px = lo->px;
	info->lines = lo->n;
	info->fits = lo->fits;
	info->midword = lo->midword;
	info->ink = (vq_rect){line_x(box, st, lo->w), block_y(box, st, lo->h), lo->w, lo->h};
}

int vq_ui_text_layout(vq_ui *ui, vq_rect box, const vq_text_style *st, const char *utf8,
                      vq_text_info *info)
{
	int rc = check_style(ui, box, st, utf8);
	if (rc != VQ_OK)
		return rc;
	const struct ui_laid *l = laid_get(ui, box, st, utf8);
	if (!l)
		return VQ_ENOMEM;
	fill_info(l, box, st, info);
	return VQ_OK;
}

/* The key of a rendered line: size, face, colour, then the bytes. */
struct line_key {
	int px, bold;
	vq_color c;
};

/* A line of l rendered in colour c, from the cache or rendered now (and kept). */
static const struct ui_line_tex *line_get(vq_ui *ui, const struct ui_laid *l,
                                          const struct ui_line *ln, int bold, vq_color c)
{
	struct line_key k;
	memset(&k, 0, sizeof k);
	k.px = l->px;
	k.bold = bold ? 1 : 0;
	k.c = c;
	char key[sizeof k + 256], *kp = key;
	size_t klen = sizeof k + ln->len;
	if (klen > sizeof key && !(kp = vq_malloc(klen))) {
		ui_set_error(ui, "text: out of memory");
		return NULL;
	}
	memcpy(kp, &k, sizeof k);
	memcpy(kp + sizeof k, l->buf + ln->off, ln->len);
	struct ui_line_tex *t = ui_cache_get(&ui->lines, kp, klen);
	if (t)
		goto done;
	TTF_Font *font = ui_font(ui, l->px, bold);
	char *s = font ? vq_malloc(ln->len + 1) : NULL;
	SDL_Surface *surf = NULL;
	if (s) {
		memcpy(s, l->buf + ln->off, ln->len);
		s[ln->len] = '\0';
		surf = TTF_RenderUTF8_Blended(font, s, (SDL_Color){c.r, c.g, c.b, c.a});
		vq_free(s);
	}
	t = surf ? vq_calloc(1, sizeof *t) : NULL;
	if (t) {
		t->tex = SDL_CreateTextureFromSurface(ui->ren, surf);
		t->w = surf->w;
		t->h = surf->h;
	}
	SDL_FreeSurface(surf);
	if (!t || !t->tex) {
		ui_set_error(ui, "text: %s", SDL_GetError());
		line_tex_free(t);
		t = NULL;
		goto done;
	}
	if (ui_cache_put(&ui->lines, kp, klen, t, (size_t)t->w * (size_t)t->h * 4 + 64) != VQ_OK) {
		ui_set_error(ui, "text: out of memory");
		t = NULL;
	}
done:
	if (kp != key)
		vq_free(kp);
	return t;
}

int vq_ui_text(vq_ui *ui, vq_rect box, const vq_text_style *st, const char *utf8,
               vq_text_info *info)
{
	int rc = check_style(ui, box, st, utf8);
	if (rc != VQ_OK)
		return rc;
	const struct ui_laid *l = laid_get(ui, box, st, utf8);
	if (!l)
		return VQ_ENOMEM;
	fill_info(l, box, st, info);
	ui_target_frame(ui);
	ui->dirty = 1;

	/* Clip to the box (within any clip the caller set), so overflow cannot paint over
	 * a neighbour. */
	SDL_Rect prev, clip = {box.x, box.y, box.w, box.h};
	SDL_bool had_clip = SDL_RenderIsClipEnabled(ui->ren);
	SDL_RenderGetClipRect(ui->ren, &prev);
	if (had_clip && !SDL_IntersectRect(&prev, &clip, &clip))
		return VQ_OK;
	SDL_RenderSetClipRect(ui->ren, &clip);
	ui_damage(ui, clip);
	int y = block_y(box, st, l->h);
	for (int i = 0; i < l->n && rc == VQ_OK; i++) {
		const struct ui_line *ln = &l->lines[i];
		if (ln->len == 0)
			continue;
		const struct ui_line_tex *t = line_get(ui, l, ln, st->bold, st->color);
		if (!t) {
			rc = VQ_ENOMEM;
			break;
		}
		SDL_Rect dst = {line_x(box, st, ln->w), y + i * l->skip, t->w, t->h};
		SDL_RenderCopy(ui->ren, t->tex, NULL, &dst);
	}
	SDL_RenderSetClipRect(ui->ren, had_clip ? &prev : NULL);
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
