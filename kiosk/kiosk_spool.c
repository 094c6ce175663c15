/* kiosk/kiosk_spool.c — a ticket's printable copies (see kiosk_spool.h).
 *
 * Owns nothing between calls. The receipt is laid out by kiosk_layout_print and painted
 * by the same renderer as the screens, in the top-left corner of the frame, then read
 * back: there is one window per process, and the frame is only shown on present, so the
 * visitor never sees the receipt drawn.
 */
#include "kiosk/kiosk_spool.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/kiosk_priv.h"

/* --- text ------------------------------------------------------------------------- */

struct out {
	char *p;
	size_t n, used;
	int cut;
};

static void emit(struct out *o, const char *s, size_t len)
{
	if (o->used + len + 1 > o->n) {
		o->cut = 1;
		len = o->n > o->used + 1 ? o->n - o->used - 1 : 0;
	}
	memcpy(o->p + o->used, s, len);
	o->used += len;
	o->p[o->used] = '\0';
}

static size_t cps(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static void line(struct out *o, const char *s, size_t len, int center)
{
	size_t w = cps(s, len);
	size_t lead = center && w < KIOSK_PRINT_COLS ? (KIOSK_PRINT_COLS - w) / 2 : 0;
	for (size_t i = 0; i < lead; i++)
		emit(o, " ", 1);
	emit(o, s, len);
	emit(o, "\n", 1);
}

/* Word-wraps s at KIOSK_PRINT_COLS code points; a word longer than a line is cut. */
static void para(struct out *o, const char *s, int center)
{
	while (*s) {
		while (*s == ' ')
			s++;
		size_t len = strlen(s), best = 0, i = 0, cols = 0;
		if (cps(s, len) <= KIOSK_PRINT_COLS) {
			if (len)
				line(o, s, len, center);
			return;
		}
		for (i = 0; s[i] && cols <= KIOSK_PRINT_COLS; i++) {
			if (((unsigned char)s[i] & 0xC0) != 0x80)
				cols++;
			if (cols <= KIOSK_PRINT_COLS && s[i] == ' ')
				best = i;
		}
		if (!best) {
			/* cut before the code point that does not fit */
			size_t j = 0;
			cols = 0;
			while (s[j]) {
				if (((unsigned char)s[j] & 0xC0) != 0x80 &&
				    ++cols > KIOSK_PRINT_COLS)
					break;
				j++;
			}
			best = j;
		}
		line(o, s, best, center);
		s += best;
	}
}

static void rule(struct out *o, char c)
{
	char r[KIOSK_PRINT_COLS + 1];
	memset(r, c, KIOSK_PRINT_COLS);
	r[KIOSK_PRINT_COLS] = '\0';
	line(o, r, KIOSK_PRINT_COLS, 0);
}

int kiosk_ticket_text(kiosk *k, char *buf, size_t buflen)
{
	kiosk_ticket t;
	if (!buf || buflen == 0 || !kiosk_ticket_get(k, &t))
		return VQ_EINVAL;
	struct out o = {buf, buflen, 0, 0};
	buf[0] = '\0';
	char s[256], a[VQ_TIME_HHMM_MAX], b[VQ_TIME_HHMM_MAX], n[16];
	const vq_site_view *site = vq_sitestate_site(k->site);
	rule(&o, '=');
	para(&o, site->name[0] ? site->name : site->site, 1);
	para(&o, kiosk_attr_name(k, t.attraction), 1);
	rule(&o, '=');
	kiosk_hhmm(k, t.start, a);
	kiosk_hhmm(k, t.end, b);
	kiosk_date(k, t.start, s, sizeof s);
	para(&o, s, 1);
	kiosk_format(k, "kiosk_return_between", s, sizeof s, "start", a, "end", b, NULL);
	para(&o, s, 1);
	kiosk_format(k, "kiosk_ticket_number", s, sizeof s, "number", t.number, NULL);
	para(&o, s, 0);
	kiosk_format(k, "tier", s, sizeof s, "tier", kiosk_tier_name(k, t.tier), NULL);
	para(&o, s, 0);
	snprintf(n, sizeof n, "%d", t.party);
	kiosk_format(k, "kiosk_party_size_n", s, sizeof s, "n", n, NULL);
	para(&o, s, 0);
	rule(&o, '-');
	para(&o, kiosk_tr(k, "kiosk_show_code"), 0);
	line(&o, t.code, strlen(t.code), 0);
	char link[KIOSK_PHONE_URL_MAX + VQ_CODE_MAX + 2];
	if (kiosk_phone_link(k, t.code, link, sizeof link)) {
		rule(&o, '-');
		para(&o, kiosk_tr(k, "kiosk_phone_hint"), 0);
		line(&o, link, strlen(link), 0);
	}
	rule(&o, '=');
	return o.cut ? VQ_ETOOBIG : VQ_OK;
}

/* --- files ---------------------------------------------------------------------- */

static int commit(const char *tmp, const char *path)
{
	if (rename(tmp, path) != 0) {
		remove(tmp);
		return VQ_ESTORE;
	}
	return VQ_OK;
}

static int write_text(const char *path, const char *text)
{
	char tmp[1100];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return VQ_ESTORE;
	size_t n = strlen(text);
	int ok = fwrite(text, 1, n, f) == n;
	ok &= fflush(f) == 0;
	ok &= fclose(f) == 0;
	if (!ok) {
		remove(tmp);
		return VQ_ESTORE;
	}
	return commit(tmp, path);
}

static int write_png(const char *path, int w, int h, const uint8_t *rgb)
{
	char tmp[1100];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)w;
	img.height = (png_uint_32)h;
	img.format = PNG_FORMAT_RGB;
	int ok = png_image_write_to_file(&img, tmp, 0, rgb, (png_int_32)w * 3, NULL);
	png_image_free(&img);
	if (!ok) {
		remove(tmp);
		return VQ_ESTORE;
	}
	return commit(tmp, path);
}

int kiosk_spool_write(vq_ui *ui, kiosk *k, const char *dir, char *png, char *txt, size_t pathlen)
{
	kiosk_ticket t;
	if (!ui || !dir || !kiosk_ticket_get(k, &t))
		return VQ_EINVAL;
	int rc = VQ_ENOMEM;
	char ppath[1024], tpath[1024];
	char *text = NULL;
	uint8_t *rgb = NULL;
	vq_view *v = malloc(sizeof *v);
	int w = vq_ui_width(ui) < KIOSK_PRINT_W ? vq_ui_width(ui) : KIOSK_PRINT_W;
	int h = w * 4 / 3 < vq_ui_height(ui) ? w * 4 / 3 : vq_ui_height(ui);
	if (snprintf(ppath, sizeof ppath, "%s/ticket-%llu.png", dir, (unsigned long long)t.id) >=
	        (int)sizeof ppath ||
	    snprintf(tpath, sizeof tpath, "%s/ticket-%llu.txt", dir, (unsigned long long)t.id) >=
	        (int)sizeof tpath) {
		rc = VQ_EINVAL;
		goto cleanup;
	}
	text = malloc(4096);
	rgb = malloc((size_t)w * (size_t)h * 3);
	if (!v || !text || !rgb)
		goto cleanup;

	rc = kiosk_print_view(k, w, h, v);
	if (rc != VQ_OK)
		goto cleanup;
	kiosk_touch_view(k); /* the frame now holds the receipt, not the screen */
	vq_view_draw(ui, v, 0, 0, NULL);
	rc = vq_ui_read_rgb(ui, (vq_rect){0, 0, w, h}, rgb);
	if (rc != VQ_OK)
		goto cleanup;
	rc = write_png(ppath, w, h, rgb);
	if (rc != VQ_OK)
		goto cleanup;
	rc = kiosk_ticket_text(k, text, 4096);
	if (rc != VQ_OK)
		goto cleanup;
	rc = write_text(tpath, text);
	if (rc != VQ_OK)
		goto cleanup;
	if (png)
		snprintf(png, pathlen, "%s", ppath);
	if (txt)
		snprintf(txt, pathlen, "%s", tpath);
cleanup:
	free(v);
	free(text);
	free(rgb);
	return rc;
}
