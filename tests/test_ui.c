/* tests/test_ui.c — the screens' shared layer (ui/): window and mm scale, text in
 * English, Russian and Romanian, QR codes read back by a real decoder, buttons, the
 * scanner accumulator, replay scripts, real SDL input translation, the bus fd wake-up,
 * and translations.
 *
 * Runs under SDL_VIDEODRIVER=offscreen (set by tests/CMakeLists.txt), so every pixel
 * checked here is the software renderer's. QR codes are decoded by `zbarimg` (zbar-tools)
 * from the PNG that vq_ui_screenshot wrote, so the whole path a gate's camera would take
 * (drawn modules -> PNG -> decoder) is exercised, not just libqrencode's matrix.
 */
#include "core/mem.h"
#include "support/tutil.h"
#include "ui/i18n.h"
#include "ui/input.h"
#include "ui/qr.h"
#include "ui/script.h"
#include "ui/text.h"
#include "ui/ui.h"
#include "ui/utf8.h"
#include "ui/view.h"
#include "ui/widgets.h"

#include <SDL.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static vq_ui *open_ui(int w, int h, int ww, int wh, double mm)
{
	vq_ui_opts o = {.title = "test",
	                .width = w,
	                .height = h,
	                .window_width = ww,
	                .window_height = wh,
	                .screen_width_mm = mm};
	vq_ui *ui = NULL;
	char err[256] = "";
	int rc = vq_ui_new(&o, &ui, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "vq_ui_new: %s (%s)", vq_errname(rc), err);
	return ui;
}

/* Pixels in r darker than mid-grey (text is drawn in ink on paper). */
static int dark_pixels(vq_ui *ui, vq_rect r)
{
	uint8_t *rgb = malloc((size_t)r.w * (size_t)r.h * 3);
	ck_assert_ptr_nonnull(rgb);
	ck_assert_int_eq(vq_ui_read_rgb(ui, r, rgb), VQ_OK);
	int n = 0;
	for (int i = 0; i < r.w * r.h; i++)
		if (rgb[i * 3] + rgb[i * 3 + 1] + rgb[i * 3 + 2] < 384)
			n++;
	free(rgb);
	return n;
}

static vq_i18n *load_assets(void)
{
	vq_i18n *t = NULL;
	char err[256] = "";
	int rc = vq_i18n_load(tu_src("assets/i18n"), &t, err, sizeof err);
	ck_assert_msg(rc == VQ_OK, "i18n: %s", err);
	return t;
}

/* --- window --- */

START_TEST(test_opts_rejected)
{
	vq_ui *ui = (vq_ui *)(void *)&ui;
	vq_ui *const sentinel = ui;
	char err[256];
	vq_ui_opts o = {.width = 10, .height = 100};
	ck_assert_int_eq(vq_ui_new(&o, &ui, err, sizeof err), VQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "64..8192"));
	o = (vq_ui_opts){.width = 100, .height = 100, .screen_width_mm = -1};
	ck_assert_int_eq(vq_ui_new(&o, &ui, err, sizeof err), VQ_EINVAL);
	o = (vq_ui_opts){.width = 100, .height = 100, .font_bold = "/nonexistent/font.ttf"};
	ck_assert_int_eq(vq_ui_new(&o, &ui, err, sizeof err), VQ_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/font.ttf"));
	ck_assert_ptr_eq(ui, sentinel);
	vq_ui_free(NULL);

	/* the command line's sizes and places */
	int a = 0, b = 0;
	ck_assert_int_eq(vq_ui_parse_size("1280x800", &a, &b), 0);
	ck_assert(a == 1280 && b == 800);
	ck_assert_int_eq(vq_ui_parse_point("970,-20", &a, &b), 0);
	ck_assert(a == 970 && b == -20);
	static const char *const bad_sizes[] = {"",           "1280",       "1280x",
	                                        "x800",       "1280x800x2", "63x800",
	                                        "1280x99999", "1280,800",   "abcxdef"};
	for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++)
		ck_assert_msg(vq_ui_parse_size(bad_sizes[i], &a, &b) != 0, "%s", bad_sizes[i]);
	ck_assert_int_ne(vq_ui_parse_point("10x20", &a, &b), 0);
	ck_assert_int_ne(vq_ui_parse_point("10,", &a, &b), 0);
	ck_assert_int_ne(vq_ui_parse_point(NULL, &a, &b), 0);
}
END_TEST

START_TEST(test_mm_scale)
{
	/* 1080 logical pixels shown 540 pixels wide on a 270 mm wide screen: 2 screen
	 * pixels a mm, so 4 logical pixels a mm, and a 15 mm button is 60 px. */
	vq_ui *ui = open_ui(1080, 1920, 540, 960, 270);
	ck_assert_int_eq(vq_ui_width(ui), 1080);
	ck_assert_int_eq(vq_ui_height(ui), 1920);
	ck_assert_double_eq_tol(vq_ui_px_per_mm(ui), 4.0, 1e-9);
	ck_assert_int_eq(vq_ui_mm(ui, 15), 60);
	ck_assert_int_eq(vq_ui_mm(ui, 15.1), 61); /* rounded up, never under */
	ck_assert_int_eq(vq_ui_mm(ui, 0), 0);

	/* The window maps onto the frame: its middle is the frame's middle. */
	int x = -1, y = -1;
	ck_assert(vq_ui_window_to_logical(ui, 270, 480, &x, &y));
	ck_assert_int_eq(x, 541);
	ck_assert_int_eq(y, 961);
	ck_assert(vq_ui_window_to_logical(ui, 0, 0, &x, &y));
	ck_assert_int_eq(x, 1);
	ck_assert_int_eq(y, 1);
	ck_assert(!vq_ui_window_to_logical(ui, 540, 10, &x, &y));
	vq_ui_free(ui);

	/* No physical width: 96 dpi. */
	ui = open_ui(800, 600, 0, 0, 0);
	ck_assert_double_eq_tol(vq_ui_px_per_mm(ui), 96 / 25.4, 1e-9);
	ck_assert_int_eq(vq_ui_mm(ui, 15), 57);
	vq_ui_free(ui);

	/* A landscape window showing a portrait frame: letterboxed, bars on the sides, and
	 * only the frame's part of the screen counts. 400 px wide window, 200 mm: 2 px/mm;
	 * the 300x600 frame is shown 200x400, so 300 / 100 mm = 3 logical px per mm. */
	ui = open_ui(300, 600, 400, 400, 200);
	ck_assert_double_eq_tol(vq_ui_px_per_mm(ui), 3.0, 1e-9);
	ck_assert(!vq_ui_window_to_logical(ui, 50, 200, &x, &y)); /* on the left bar */
	ck_assert(vq_ui_window_to_logical(ui, 199, 199, &x, &y));
	ck_assert_int_eq(x, 149);
	ck_assert_int_eq(y, 299);
	vq_ui_free(ui);
}
END_TEST

START_TEST(test_screenshot)
{
	char *dir = tu_tempdir("ui-shot");
	ck_assert_ptr_nonnull(dir);
	vq_ui *ui = open_ui(120, 80, 0, 0, 0);
	vq_ui_clear(ui, VQ_COL_PAPER);
	vq_ui_fill(ui, (vq_rect){10, 10, 20, 20}, 0, VQ_COL_ERROR);
	vq_ui_present(ui);
	/* After presenting, the frame is still there to read. */
	uint8_t px[3];
	ck_assert_int_eq(vq_ui_read_rgb(ui, (vq_rect){15, 15, 1, 1}, px), VQ_OK);
	ck_assert_int_eq(px[0], 0xA3);
	ck_assert_int_eq(px[1], 0x00);
	ck_assert_int_eq(px[2], 0x1B);
	ck_assert_int_eq(vq_ui_read_rgb(ui, (vq_rect){110, 0, 20, 1}, px), VQ_EINVAL);

	char path[600];
	snprintf(path, sizeof path, "%s/shot.png", dir);
	ck_assert_int_eq(vq_ui_screenshot(ui, path), VQ_OK);
	size_t len = 0;
	char *png = tu_read_file(path, &len);
	ck_assert_ptr_nonnull(png);
	ck_assert_uint_gt(len, 33);
	ck_assert_int_eq(memcmp(png, "\x89PNG\r\n\x1a\n", 8), 0);
	/* IHDR: width and height, big-endian. */
	ck_assert_int_eq(((unsigned char)png[18] << 8) | (unsigned char)png[19], 120);
	ck_assert_int_eq(((unsigned char)png[22] << 8) | (unsigned char)png[23], 80);
	free(png);
	snprintf(path, sizeof path, "%s/no/such/dir/shot.png", dir);
	ck_assert_int_eq(vq_ui_screenshot(ui, path), VQ_ESTORE);
	ck_assert_str_ne(vq_ui_error(ui), "");
	vq_ui_free(ui);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* --- text --- */

static const char *const SAMPLES[] = {
    "Choose an attraction: Thunder Coaster, 14:05–15:05",
    "Съешь же ещё этих мягких французских булок, да выпей чаю. ЁЩЖЯ «ёщжя»",
    "Reveniți între 14:05 și 15:05 — ă â î ș ț Ă Â Î Ș Ț",
};

START_TEST(test_text_langs)
{
	vq_ui *ui = open_ui(800, 400, 0, 0, 0);
	const char *s = SAMPLES[_i];
	for (int bold = 0; bold <= 1; bold++) {
		int missing = -1;
		ck_assert_int_eq(vq_ui_text_missing_glyphs(ui, bold, s, &missing), VQ_OK);
		ck_assert_msg(missing == 0, "%d glyphs missing (bold %d) in %s", missing, bold, s);
	}
	vq_ui_clear(ui, VQ_COL_PAPER);
	vq_rect box = {20, 20, 760, 360};
	ck_assert_int_eq(dark_pixels(ui, box), 0);
	vq_text_style st = {.px = 40, .color = VQ_COL_INK, .wrap = 1};
	vq_text_info info;
	ck_assert_int_eq(vq_ui_text(ui, box, &st, s, &info), VQ_OK);
	ck_assert(info.fits);
	ck_assert_int_eq(info.px, 40);
	ck_assert_int_ge(info.lines, 2);
	int dark = dark_pixels(ui, box);
	ck_assert_msg(dark > 2000, "only %d dark pixels", dark);
	/* Nothing outside the box. */
	ck_assert_int_eq(dark_pixels(ui, (vq_rect){0, 0, 800, 20}), 0);
	ck_assert_int_eq(dark_pixels(ui, (vq_rect){0, 380, 800, 20}), 0);
	vq_ui_free(ui);
}
END_TEST

START_TEST(test_missing_glyphs_detected)
{
	vq_ui *ui = open_ui(200, 100, 0, 0, 0);
	int missing = -1;
	/* DejaVu Sans has no CJK; an invalid byte counts too; spaces and newlines never. */
	ck_assert_int_eq(vq_ui_text_missing_glyphs(ui, 0, "ab \xe4\xb8\xad\n\xff", &missing),
	                 VQ_OK);
	ck_assert_int_eq(missing, 2);
	ck_assert_int_eq(vq_ui_text_missing_glyphs(ui, 1, "", &missing), VQ_OK);
	ck_assert_int_eq(missing, 0);
	vq_ui_free(ui);
}
END_TEST

/* Every string of every language renders without a single missing glyph, in both faces. */
START_TEST(test_all_translations_have_glyphs)
{
	vq_ui *ui = open_ui(200, 100, 0, 0, 0);
	vq_i18n *t = load_assets();
	for (size_t li = 0; li < vq_i18n_lang_count(t); li++) {
		const char *lang = vq_i18n_lang_at(t, li);
		for (size_t i = 0; i < vq_i18n_key_count(t, lang); i++) {
			const char *key = vq_i18n_key_at(t, lang, i);
			const char *val = vq_i18n_get(t, lang, key);
			for (int bold = 0; bold <= 1; bold++) {
				int missing = -1;
				ck_assert_int_eq(vq_ui_text_missing_glyphs(ui, bold, val, &missing),
				                 VQ_OK);
				ck_assert_msg(missing == 0, "%s.%s: %d missing", lang, key,
				              missing);
			}
		}
	}
	vq_i18n_free(t);
	vq_ui_free(ui);
}
END_TEST

START_TEST(test_text_layout)
{
	vq_ui *ui = open_ui(600, 400, 0, 0, 0);
	vq_text_info info;
	vq_rect box = {100, 50, 300, 200};
	const char *longline = "Return between 14:05 and 15:05 at the fast lane";

	/* No wrap, no shrink: one line wider than the box. */
	vq_text_style st = {.px = 40, .color = VQ_COL_INK};
	ck_assert_int_eq(vq_ui_text_layout(ui, box, &st, longline, &info), VQ_OK);
	ck_assert_int_eq(info.lines, 1);
	ck_assert(!info.fits);
	ck_assert_int_gt(info.ink.w, box.w);

	/* Shrink to fit: the largest size that fits, and one size up would not. */
	st.min_px = 8;
	ck_assert_int_eq(vq_ui_text_layout(ui, box, &st, longline, &info), VQ_OK);
	ck_assert(info.fits);
	ck_assert_int_lt(info.px, 40);
	ck_assert_int_le(info.ink.w, box.w);
	int w1 = 0;
	ck_assert_int_eq(vq_ui_text_size(ui, info.px + 1, 0, longline, &w1, NULL), VQ_OK);
	ck_assert_int_gt(w1, box.w);

	/* Wrap: several lines, each within the width. */
	st = (vq_text_style){.px = 30, .color = VQ_COL_INK, .wrap = 1};
	ck_assert_int_eq(vq_ui_text_layout(ui, box, &st, longline, &info), VQ_OK);
	ck_assert(info.fits);
	ck_assert_int_ge(info.lines, 2);
	ck_assert_int_le(info.ink.w, box.w);

	ck_assert_int_eq(info.midword, 0);

	/* A word longer than the box is never cut: it does not fit, and shrinking is the
	 * only way to make it fit. The other words still wrap at the spaces. */
	st.px = 40;
	ck_assert_int_eq(
	    vq_ui_text_layout(ui, (vq_rect){0, 0, 120, 400}, &st, "ȘȚȘȚȘȚȘȚȘȚȘȚȘȚȘȚ", &info),
	    VQ_OK);
	ck_assert_int_eq(info.lines, 1);
	ck_assert(!info.fits);
	ck_assert_int_eq(info.midword, 0);
	ck_assert_int_eq(vq_ui_text_layout(ui, (vq_rect){0, 0, 260, 400}, &st,
	                                   "Пропустить вручную Imperatorskaya", &info),
	                 VQ_OK);
	ck_assert_int_eq(info.lines, 3);
	ck_assert(!info.fits);
	st.min_px = 8;
	ck_assert_int_eq(vq_ui_text_layout(ui, (vq_rect){0, 0, 120, 400}, &st,
	                                   "Стереть Șterge привидениями", &info),
	                 VQ_OK);
	ck_assert(info.fits);
	ck_assert_int_ge(info.lines, 2);
	ck_assert_int_eq(info.midword, 0);
	ck_assert_int_le(info.ink.w, 120);
	/* lines are at least 1.25 em apart: three lines of 40 px take 2.5 em and a line */
	st = (vq_text_style){.px = 40, .color = VQ_COL_INK, .wrap = 1};
	vq_text_info one;
	ck_assert_int_eq(vq_ui_text_layout(ui, box, &st, "Admiteți", &one), VQ_OK);
	ck_assert_int_eq(vq_ui_text_layout(ui, box, &st, "Admiteți\ntotuși\nț", &info), VQ_OK);
	ck_assert_int_ge(info.ink.h - one.ink.h, 100);

	/* Explicit newlines always break, even without wrap. */
	st = (vq_text_style){.px = 20, .color = VQ_COL_INK};
	ck_assert_int_eq(vq_ui_text_layout(ui, box, &st, "a\n\nb", &info), VQ_OK);
	ck_assert_int_eq(info.lines, 3);

	/* Alignment: right flush with the box, centre in the middle, bottom at the end. */
	st = (vq_text_style){
	    .px = 20, .color = VQ_COL_INK, .align = VQ_ALIGN_RIGHT, .valign = VQ_VALIGN_BOTTOM};
	ck_assert_int_eq(vq_ui_text_layout(ui, box, &st, "Hello", &info), VQ_OK);
	ck_assert_int_eq(info.ink.x + info.ink.w, box.x + box.w);
	ck_assert_int_eq(info.ink.y + info.ink.h, box.y + box.h);
	st.align = VQ_ALIGN_CENTER;
	st.valign = VQ_VALIGN_MIDDLE;
	ck_assert_int_eq(vq_ui_text_layout(ui, box, &st, "Hello", &info), VQ_OK);
	ck_assert_int_le(abs((info.ink.x + info.ink.w / 2) - (box.x + box.w / 2)), 1);
	ck_assert_int_le(abs((info.ink.y + info.ink.h / 2) - (box.y + box.h / 2)), 1);

	/* Drawn text that cannot fit is clipped to its box. */
	vq_ui_clear(ui, VQ_COL_PAPER);
	st = (vq_text_style){.px = 120, .color = VQ_COL_INK, .min_px = 100};
	ck_assert_int_eq(vq_ui_text(ui, (vq_rect){100, 100, 200, 100}, &st, "WWWWWWWW", &info),
	                 VQ_OK);
	ck_assert(!info.fits);
	ck_assert_int_eq(info.px, 100);
	ck_assert_int_gt(dark_pixels(ui, (vq_rect){100, 100, 200, 100}), 1000);
	ck_assert_int_eq(dark_pixels(ui, (vq_rect){300, 0, 300, 400}), 0);
	ck_assert_int_eq(dark_pixels(ui, (vq_rect){0, 200, 600, 200}), 0);

	/* Bad styles. */
	st = (vq_text_style){.px = 2};
	ck_assert_int_eq(vq_ui_text(ui, box, &st, "x", NULL), VQ_EINVAL);
	st = (vq_text_style){.px = 20, .align = 7};
	ck_assert_int_eq(vq_ui_text(ui, box, &st, "x", NULL), VQ_EINVAL);
	st = (vq_text_style){.px = 20};
	ck_assert_int_eq(vq_ui_text(ui, (vq_rect){0, 0, 0, 10}, &st, "x", NULL), VQ_EINVAL);
	ck_assert_int_eq(vq_ui_text(ui, box, &st, NULL, NULL), VQ_EINVAL);
	vq_ui_free(ui);
}
END_TEST

/* --- QR --- */

/* Runs zbarimg on a PNG; returns what it decoded (malloc'd), without the final newline. */
static char *zbar(const char *png)
{
	/* stderr apart: zbarimg chats about D-Bus on machines without one. */
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "zbarimg --raw -q '%s' 2>'%s.err'", png, png);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char *out = calloc(1, 8192);
	ck_assert_ptr_nonnull(out);
	size_t n = fread(out, 1, 8191, p);
	int status = pclose(p);
	if (status != 0) {
		char errpath[1024];
		snprintf(errpath, sizeof errpath, "%s.err", png);
		char *msg = tu_read_file(errpath, NULL);
		ck_abort_msg("zbarimg failed (status %d): %s", status, msg ? msg : "?");
	}
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
	return out;
}

/* Every module is m x m pixels of one colour: read back and check each cell is uniform. */
static void check_crisp(vq_ui *ui, vq_rect q, int modules)
{
	int total = modules + 2 * VQ_QR_QUIET;
	ck_assert_int_eq(q.w, q.h);
	ck_assert_int_eq(q.w % total, 0);
	int m = q.w / total;
	uint8_t *rgb = malloc((size_t)q.w * (size_t)q.h * 3);
	ck_assert_ptr_nonnull(rgb);
	ck_assert_int_eq(vq_ui_read_rgb(ui, q, rgb), VQ_OK);
	for (int cy = 0; cy < total; cy++) {
		for (int cx = 0; cx < total; cx++) {
			const uint8_t *first = rgb + ((size_t)(cy * m) * q.w + cx * m) * 3;
			ck_assert(first[0] == first[1] && first[1] == first[2]);
			ck_assert(first[0] == 0 || first[0] == 255);
			int quiet = cx < VQ_QR_QUIET || cy < VQ_QR_QUIET ||
			            cx >= total - VQ_QR_QUIET || cy >= total - VQ_QR_QUIET;
			if (quiet)
				ck_assert_int_eq(first[0], 255);
			for (int y = 0; y < m; y++)
				for (int x = 0; x < m; x++)
					ck_assert_int_eq(
					    memcmp(first,
					           rgb + ((size_t)(cy * m + y) * q.w + cx * m + x) *
					                     3,
					           3),
					    0);
		}
	}
	free(rgb);
}

static void qr_round_trip(const char *text, int size)
{
	char *dir = tu_tempdir("ui-qr");
	ck_assert_ptr_nonnull(dir);
	vq_ui *ui = open_ui(size, size, 0, 0, 0);
	/* A coloured background, so the quiet zone has to be drawn by vq_ui_qr itself. */
	vq_ui_clear(ui, VQ_COL_PRIMARY);
	int modules = 0;
	ck_assert_int_eq(vq_qr_modules(text, &modules), VQ_OK);
	vq_rect q;
	ck_assert_int_eq(vq_ui_qr(ui, (vq_rect){10, 10, size - 20, size - 20}, text, &q), VQ_OK);
	ck_assert_int_ge(q.x, 10);
	ck_assert_int_le(q.x + q.w, size - 10);
	check_crisp(ui, q, modules);
	vq_ui_present(ui);
	char path[600];
	snprintf(path, sizeof path, "%s/qr.png", dir);
	ck_assert_int_eq(vq_ui_screenshot(ui, path), VQ_OK);
	char *got = zbar(path);
	ck_assert_str_eq(got, text);
	free(got);
	vq_ui_free(ui);
	tu_rmtree(dir);
	free(dir);
}

START_TEST(test_qr_ticket_code)
{
	/* A ticket code's shape: "VQ1:" and base32. */
	static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint64_t seed = 0x5eed0001u + (uint64_t)_i;
	tu_rng rng = {seed};
	char code[160];
	memcpy(code, "VQ1:", 4);
	for (int i = 4; i < 154; i++)
		code[i] = B32[tu_rng_below(&rng, 32)];
	code[154] = '\0';
	int modules = 0;
	ck_assert_int_eq(vq_qr_modules(code, &modules), VQ_OK);
	ck_assert_msg(modules <= 57, "seed %llu: %d modules: not packed as alphanumeric",
	              (unsigned long long)seed, modules);
	qr_round_trip(code, 480);
}
END_TEST

START_TEST(test_qr_case_and_errors)
{
	qr_round_trip("https://park.example/t?c=AbC-123_xyz", 300);
	int modules;
	ck_assert_int_eq(vq_qr_modules("", &modules), VQ_EINVAL);
	char *huge = malloc(8000);
	ck_assert_ptr_nonnull(huge);
	memset(huge, 'a', 7999);
	huge[7999] = '\0';
	ck_assert_int_eq(vq_qr_modules(huge, &modules), VQ_ETOOBIG);
	free(huge);
	vq_ui *ui = open_ui(100, 100, 0, 0, 0);
	ck_assert_int_eq(vq_ui_qr(ui, (vq_rect){0, 0, 20, 20}, "VQ1:ABCDEFG", NULL), VQ_EINVAL);
	vq_ui_free(ui);
}
END_TEST

/* --- widgets --- */

START_TEST(test_palette_contrast)
{
	static const struct {
		vq_color fg, bg;
		const char *what;
	} PAIRS[] = {
	    {VQ_COL_INK, VQ_COL_PAPER, "ink on paper"},
	    {VQ_COL_MUTED, VQ_COL_PAPER, "muted on paper"},
	    {VQ_COL_INK, VQ_COL_LIGHT, "ink on light"},
	    {VQ_COL_WHITE, VQ_COL_PRIMARY, "white on primary"},
	    {VQ_COL_WHITE, VQ_COL_OK, "white on ok"},
	    {VQ_COL_WHITE, VQ_COL_ERROR, "white on error"},
	    {VQ_COL_INK, VQ_COL_WARN, "ink on warn"},
	    {VQ_COL_WHITE, VQ_COL_NIGHT, "white on night"},
	    {VQ_COL_HIGHLIGHT, VQ_COL_NIGHT, "highlight on night"},
	};
	for (size_t i = 0; i < sizeof PAIRS / sizeof PAIRS[0]; i++) {
		double c = vq_color_contrast(PAIRS[i].fg, PAIRS[i].bg);
		ck_assert_msg(c >= 7.0, "%s: contrast %.2f", PAIRS[i].what, c);
	}
	ck_assert_double_eq_tol(vq_color_contrast(VQ_COL_BLACK, VQ_COL_WHITE), 21.0, 1e-9);
	ck_assert_double_eq_tol(vq_color_contrast(VQ_COL_WHITE, VQ_COL_BLACK), 21.0, 1e-9);
	/* Disabled labels stay readable. */
	ck_assert(vq_color_contrast(VQ_COL_DISABLED_FG, VQ_COL_DISABLED_BG) >= 4.5);
}
END_TEST

START_TEST(test_button_hits)
{
	vq_button bs[3] = {
	    {.id = "a", .r = {10, 10, 100, 50}, .label = "A"},
	    {.id = "b", .r = {200, 10, 100, 50}, .label = "B", .disabled = 1},
	    {.id = "c", .r = {50, 30, 100, 50}, .label = "C"}, /* overlaps a */
	};
	static const struct {
		int x, y, want;
	} CASES[] = {
	    {10, 10, 0}, {109, 59, 2}, {110, 10, -1}, {9, 10, -1},   {10, 60, -1}, {60, 40, 2},
	    {20, 20, 0}, {149, 79, 2}, {150, 79, -1}, {250, 30, -1}, /* disabled: never hit */
	};
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
		ck_assert_msg(vq_button_find(bs, 3, CASES[i].x, CASES[i].y) == CASES[i].want,
		              "(%d,%d): want %d", CASES[i].x, CASES[i].y, CASES[i].want);
	ck_assert(vq_button_hit(&bs[0], 10, 10));
	ck_assert(!vq_button_hit(&bs[1], 250, 30));
	ck_assert(!vq_button_hit(NULL, 0, 0));
	ck_assert_int_eq(vq_button_find(bs, 0, 10, 10), -1);
	/* Far edges cannot overflow. */
	vq_rect big = {2147483600, 0, 2147483600, 10};
	ck_assert(vq_rect_contains(big, 2147483647, 5));
	ck_assert(!vq_rect_contains(big, -2147483647 - 1, 5));
	ck_assert(!vq_rect_contains((vq_rect){0, 0, 0, 10}, 0, 0));
}
END_TEST

START_TEST(test_button_draw)
{
	vq_ui *ui = open_ui(400, 300, 0, 0, 0);
	vq_ui_clear(ui, VQ_COL_PAPER);
	vq_button b = {.id = "ok",
	               .r = {50, 50, 300, 120},
	               .label = "Подтвердить",
	               .bg = VQ_COL_PRIMARY,
	               .fg = VQ_COL_WHITE};
	ck_assert_int_eq(vq_ui_button(ui, &b), VQ_OK);
	uint8_t px[3];
	ck_assert_int_eq(vq_ui_read_rgb(ui, (vq_rect){60, 100, 1, 1}, px), VQ_OK);
	ck_assert_int_eq(px[0], 0x0B); /* the face */
	ck_assert_int_eq(px[2], 0x6B);
	ck_assert_int_eq(vq_ui_read_rgb(ui, (vq_rect){50, 50, 1, 1}, px), VQ_OK);
	ck_assert_int_eq(px[0], 0xFF); /* a rounded corner leaves the paper */
	b.pressed = 1;
	ck_assert_int_eq(vq_ui_button(ui, &b), VQ_OK);
	ck_assert_int_eq(vq_ui_read_rgb(ui, (vq_rect){60, 100, 1, 1}, px), VQ_OK);
	ck_assert_int_lt(px[2], 0x6B); /* darker while pressed */
	b.pressed = 0;
	b.disabled = 1;
	ck_assert_int_eq(vq_ui_button(ui, &b), VQ_OK);
	ck_assert_int_eq(vq_ui_read_rgb(ui, (vq_rect){60, 100, 1, 1}, px), VQ_OK);
	ck_assert_int_eq(px[0], 0xD6);
	b.id = "Bad Id";
	ck_assert_int_eq(vq_ui_button(ui, &b), VQ_EINVAL);
	b.id = NULL;
	b.label = NULL;
	ck_assert_int_eq(vq_ui_button(ui, &b), VQ_EINVAL);
	vq_ui_free(ui);
}
END_TEST

/* --- the scanner accumulator --- */

struct sev {
	int64_t t;
	char kind; /* T text, E Return, N keypad Enter, K Backspace, P tap, t tick */
	const char *s;
};

static const struct scan_case {
	const char *name;
	int gap, min_len;
	struct sev ev[16];
	const char *want;
} SCANS[] = {
    {"scanner",
     40,
     4,
     {{0, 'T', "V"}, {5, 'T', "Q"}, {10, 'T', "1"}, {15, 'T', ":"}, {20, 'T', "A"}, {25, 'E', 0}},
     "scan:VQ1:A|"},
    {"keypad enter",
     40,
     4,
     {{0, 'T', "4"}, {3, 'T', "0"}, {6, 'T', "0"}, {9, 'T', "0"}, {12, 'N', 0}},
     "scan:4000|"},
    {"person typing",
     40,
     4,
     {{0, 'T', "1"}, {200, 'T', "2"}, {400, 'T', "3"}, {600, 'T', "4"}, {800, 'E', 0}},
     "text:1|text:2|text:3|text:4|key:13|"},
    {"too short", 40, 4, {{0, 'T', "1"}, {5, 'T', "2"}, {10, 'E', 0}}, "text:12|key:13|"},
    {"enter too late",
     40,
     4,
     {{0, 'T', "A"}, {5, 'T', "B"}, {10, 'T', "C"}, {15, 'T', "D"}, {100, 'E', 0}},
     "text:ABCD|key:13|"},
    {"exactly the gap",
     40,
     4,
     {{0, 'T', "1"}, {40, 'T', "2"}, {80, 'T', "3"}, {120, 'T', "4"}, {160, 'E', 0}},
     "scan:1234|"},
    {"one ms over the gap",
     40,
     4,
     {{0, 'T', "1"}, {40, 'T', "2"}, {81, 'T', "3"}, {120, 'T', "4"}, {160, 'E', 0}},
     "text:12|text:34|key:13|"},
    {"tick lets go", 40, 4, {{0, 'T', "a"}, {40, 't', 0}, {41, 't', 0}}, "text:a|"},
    {"tap lets go first", 40, 4, {{0, 'T', "a"}, {1, 'T', "b"}, {5, 'P', 0}}, "text:ab|tap|"},
    {"backspace lets go first", 40, 4, {{0, 'T', "a"}, {5, 'K', 0}}, "text:a|key:8|"},
    {"two scans",
     40,
     4,
     {{0, 'T', "1234"},
      {5, 'T', "56"},
      {10, 'E', 0},
      {30, 'T', "6543"},
      {35, 'T', "21"},
      {40, 'E', 0}},
     "scan:123456|scan:654321|"},
    {"late text then scan",
     40,
     4,
     {{0, 'T', "x"},
      {100, 'T', "1"},
      {102, 'T', "2"},
      {104, 'T', "3"},
      {106, 'T', "4"},
      {108, 'E', 0}},
     "text:x|scan:1234|"},
    {"characters, not bytes",
     40,
     4,
     {{0, 'T', "ță"}, {5, 'T', "ș"}, {10, 'E', 0}},
     "text:țăș|key:13|"},
    {"characters enough", 40, 4, {{0, 'T', "ță"}, {5, 'T', "șî"}, {10, 'E', 0}}, "scan:țășî|"},
    {"enter alone", 40, 4, {{0, 'E', 0}}, "key:13|"},
    {"off", -1, 4, {{0, 'T', "a"}, {1, 'T', "b"}, {2, 'E', 0}}, "text:a|text:b|key:13|"},
};

static void describe(const vq_input *out, size_t n, char *log, size_t loglen)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(log);
		if (out[i].kind == VQ_IN_KEY)
			snprintf(log + l, loglen - l, "key:%d|", (int)out[i].key);
		else if (out[i].kind == VQ_IN_TEXT || out[i].kind == VQ_IN_SCAN)
			snprintf(log + l, loglen - l, "%s:%s|", vq_input_kind_name(out[i].kind),
			         out[i].text);
		else
			snprintf(log + l, loglen - l, "%s|", vq_input_kind_name(out[i].kind));
	}
}

START_TEST(test_scan_table)
{
	const struct scan_case *c = &SCANS[_i];
	vq_scan s;
	vq_scan_init(&s, c->gap, c->min_len);
	char log[1024] = "";
	int64_t last = 0;
	for (size_t i = 0; i < sizeof c->ev / sizeof c->ev[0] && c->ev[i].kind; i++) {
		const struct sev *e = &c->ev[i];
		vq_input in, out[VQ_SCAN_OUT_MAX];
		memset(&in, 0, sizeof in);
		size_t n;
		switch (e->kind) {
		case 't':
			n = vq_scan_tick(&s, e->t, out);
			break;
		case 'T':
			in.kind = VQ_IN_TEXT;
			snprintf(in.text, sizeof in.text, "%s", e->s);
			n = vq_scan_feed(&s, &in, e->t, out);
			break;
		case 'P':
			in.kind = VQ_IN_TAP;
			n = vq_scan_feed(&s, &in, e->t, out);
			break;
		default:
			in.kind = VQ_IN_KEY;
			in.key = e->kind == 'E'   ? VQ_KEY_RETURN
			         : e->kind == 'N' ? VQ_KEY_KP_ENTER
			                          : 8;
			n = vq_scan_feed(&s, &in, e->t, out);
			break;
		}
		ck_assert_uint_le(n, VQ_SCAN_OUT_MAX);
		describe(out, n, log, sizeof log);
		last = e->t;
	}
	/* Whatever is still held goes once time moves on. */
	vq_input out[VQ_SCAN_OUT_MAX];
	describe(out, vq_scan_tick(&s, last + 100000, out), log, sizeof log);
	ck_assert_msg(strcmp(log, c->want) == 0, "%s: got %s, want %s", c->name, log, c->want);
	ck_assert_int_eq(vq_scan_deadline(&s), INT64_MAX);
}
END_TEST

START_TEST(test_scan_deadline_and_overflow)
{
	vq_scan s;
	vq_scan_init(&s, 40, 4);
	ck_assert_int_eq(vq_scan_deadline(&s), INT64_MAX);
	vq_input in, out[VQ_SCAN_OUT_MAX];
	memset(&in, 0, sizeof in);
	in.kind = VQ_IN_TEXT;
	strcpy(in.text, "a");
	ck_assert_uint_eq(vq_scan_feed(&s, &in, 1000, out), 0);
	ck_assert_int_eq(vq_scan_deadline(&s), 1041);
	/* Text beyond what one event can carry is let go, never dropped or split mid-way. */
	memset(in.text, 'x', VQ_INPUT_TEXT_MAX - 1);
	in.text[VQ_INPUT_TEXT_MAX - 1] = '\0';
	size_t n = vq_scan_feed(&s, &in, 1001, out);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0].text, "a");
	in.kind = VQ_IN_KEY;
	in.key = VQ_KEY_RETURN;
	n = vq_scan_feed(&s, &in, 1002, out);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(out[0].kind, VQ_IN_SCAN);
	ck_assert_uint_eq(strlen(out[0].text), VQ_INPUT_TEXT_MAX - 1);
}
END_TEST

/* --- scripts --- */

static const char GOOD[] = "# a visitor session\r\n"
                           "clock 2026-07-01T10:00:00Z\r\n"
                           "\n"
                           "tap 10 20\n"
                           "  tap_id attr-coaster  \n"
                           "key Return\n"
                           "key Keypad Enter\n"
                           "key a\n"
                           "text héllo wörld \n"
                           "scan VQ1:ABC\n"
                           "wait 65000\n"
                           "screenshot out/one.png\n"
                           "clock 1782900060\n"
                           "\ttap\t5\t 6  "; /* no final newline */

START_TEST(test_script_parse_good)
{
	vq_script *s = NULL;
	char err[256] = "";
	ck_assert_int_eq(vq_script_parse(GOOD, strlen(GOOD), "good.txt", &s, err, sizeof err),
	                 VQ_OK);
	ck_assert_uint_eq(vq_script_len(s), 12);
	const vq_script_step *st = vq_script_step_at(s, 0);
	ck_assert_int_eq(st->op, VQ_STEP_CLOCK);
	ck_assert_int_eq(st->line, 2);
	ck_assert_int_eq(st->ms, 1782900000000LL);
	st = vq_script_step_at(s, 1);
	ck_assert_int_eq(st->op, VQ_STEP_TAP);
	ck_assert_int_eq(st->line, 4);
	ck_assert_int_eq(st->x, 10);
	ck_assert_int_eq(st->y, 20);
	st = vq_script_step_at(s, 2);
	ck_assert_int_eq(st->op, VQ_STEP_TAP_ID);
	ck_assert_str_eq(st->arg, "attr-coaster");
	ck_assert_int_eq(vq_script_step_at(s, 3)->key, SDLK_RETURN);
	ck_assert_int_eq(vq_script_step_at(s, 4)->key, SDLK_KP_ENTER);
	ck_assert_int_eq(vq_script_step_at(s, 5)->key, 'a');
	st = vq_script_step_at(s, 6);
	ck_assert_int_eq(st->op, VQ_STEP_TEXT);
	ck_assert_str_eq(st->arg, "héllo wörld "); /* as is, trailing blank included */
	ck_assert_str_eq(vq_script_step_at(s, 7)->arg, "VQ1:ABC");
	ck_assert_int_eq(vq_script_step_at(s, 7)->op, VQ_STEP_SCAN);
	ck_assert_int_eq(vq_script_step_at(s, 8)->ms, 65000);
	ck_assert_str_eq(vq_script_step_at(s, 9)->arg, "out/one.png");
	ck_assert_int_eq(vq_script_step_at(s, 10)->ms, 1782900060000LL);
	st = vq_script_step_at(s, 11);
	ck_assert_int_eq(st->line, 14);
	ck_assert_int_eq(st->x, 5);
	ck_assert_int_eq(st->y, 6);
	ck_assert_ptr_null(vq_script_step_at(s, 12));
	vq_script_free(s);

	ck_assert_int_eq(vq_script_parse("", 0, NULL, &s, err, sizeof err), VQ_OK);
	ck_assert_uint_eq(vq_script_len(s), 0);
	vq_script_free(s);
	vq_script_free(NULL);
}
END_TEST

static const struct {
	const char *line;
	const char *want; /* in the message after "bad.txt:3: " */
} BAD[] = {
    {"tapp 1 2", "unknown command 'tapp'"},
    {"tap 1", "tap wants X Y"},
    {"tap -1 2", "tap wants X Y"},
    {"tap 1 2 3", "tap wants X Y"},
    {"tap 1 70000", "tap wants X Y"},
    {"tap x y", "tap wants X Y"},
    {"tap_id Bad", "tap_id wants a button id"},
    {"tap_id abcdefghijklmnopqrstuvwxyz0123456", "tap_id wants a button id"},
    {"key NoSuchKey", "key: unknown SDL key name 'NoSuchKey'"},
    {"key", "key needs an argument"},
    {"text", "text needs an argument"},
    {"text    ", "text needs an argument"},
    {"text \xff\xfe", "not valid UTF-8"},
    {"wait -5", "wait wants milliseconds"},
    {"wait 1.5", "wait wants milliseconds"},
    {"wait 86400001", "wait wants milliseconds"},
    {"screenshot", "screenshot needs an argument"},
    {"clock 2026-02-29T00:00:00Z", "clock wants"},
    {"clock 2026-07-01 10:00:00", "clock wants"},
    {"clock 1969-12-31T23:59:59Z", "clock wants"},
    {"clock 2026-07-01T24:00:00Z", "clock wants"},
    {"clock +5", "clock wants"},
    {"Tap 1 2", "unknown command 'Tap'"},
};

START_TEST(test_script_parse_bad)
{
	char text[1024];
	snprintf(text, sizeof text, "# fine\ntap 1 1\n%s\ntap 2 2\n", BAD[_i].line);
	vq_script *s = (vq_script *)(void *)text;
	char err[256] = "";
	ck_assert_int_eq(vq_script_parse(text, strlen(text), "bad.txt", &s, err, sizeof err),
	                 VQ_EINVAL);
	ck_assert_ptr_eq(s, (vq_script *)(void *)text);
	ck_assert_msg(strncmp(err, "bad.txt:3: ", 11) == 0 && strstr(err, BAD[_i].want),
	              "%s: got '%s'", BAD[_i].line, err);
}
END_TEST

START_TEST(test_script_parse_limits)
{
	vq_script *s = NULL;
	char err[256];
	/* A scan as long as an event can carry is fine; one byte more is not. */
	char *text = malloc(VQ_INPUT_TEXT_MAX + 16);
	ck_assert_ptr_nonnull(text);
	strcpy(text, "scan ");
	memset(text + 5, 'A', VQ_INPUT_TEXT_MAX - 1);
	text[5 + VQ_INPUT_TEXT_MAX - 1] = '\0';
	ck_assert_int_eq(vq_script_parse(text, strlen(text), "t", &s, err, sizeof err), VQ_OK);
	vq_script_free(s);
	strcat(text, "A");
	ck_assert_int_eq(vq_script_parse(text, strlen(text), "t", &s, err, sizeof err), VQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	free(text);
	ck_assert_int_eq(vq_script_parse("tap 1 1\ntext a\0b\n", 17, "t", &s, err, sizeof err),
	                 VQ_EINVAL);
	ck_assert_str_eq(err, "t:2: a NUL byte");
	ck_assert_int_eq(vq_script_load("/nonexistent/script.txt", &s, err, sizeof err),
	                 VQ_ENOTFOUND);
	ck_assert_int_eq(vq_script_parse("x", VQ_SCRIPT_MAX_BYTES + 1, "t", &s, err, sizeof err),
	                 VQ_ETOOBIG);
}
END_TEST

START_TEST(test_script_starvation)
{
	char err[256];
	unsigned long n;
	for (n = 1;; n++) {
		vq_script *s = NULL;
		vq_mem_fail_after(n);
		int rc = vq_script_parse(GOOD, strlen(GOOD), "good.txt", &s, err, sizeof err);
		vq_mem_fail_after(0);
		if (rc == VQ_OK) {
			ck_assert_uint_eq(vq_script_len(s), 12);
			vq_script_free(s);
			break;
		}
		ck_assert_int_eq(rc, VQ_ENOMEM);
		ck_assert_ptr_null(s);
		ck_assert_uint_lt(n, 1000);
	}
	ck_assert_uint_gt(n, 5);
}
END_TEST

/* Polls until an event other than NONE arrives (at most tries polls). */
static void next_event(vq_ui *ui, vq_input *in)
{
	for (int tries = 0; tries < 200; tries++) {
		int rc = vq_ui_poll(ui, in, 5);
		ck_assert_msg(rc == VQ_OK, "poll: %s: %s", vq_errname(rc), vq_ui_error(ui));
		if (in->kind != VQ_IN_NONE)
			return;
	}
	ck_abort_msg("no event");
}

static void expect(vq_ui *ui, int kind)
{
	vq_input in;
	int rc = vq_ui_poll(ui, &in, 0);
	ck_assert_msg(rc == VQ_OK, "poll: %s: %s", vq_errname(rc), vq_ui_error(ui));
	ck_assert_msg(in.kind == kind, "got %s, want %s", vq_input_kind_name(in.kind),
	              vq_input_kind_name(kind));
}

START_TEST(test_replay_virtual)
{
	char *dir = tu_tempdir("ui-replay");
	ck_assert_ptr_nonnull(dir);
	char text[2048];
	snprintf(text, sizeof text,
	         "clock 2026-07-01T10:00:00Z\n"
	         "tap 10 20\n"
	         "tap_id confirm\n"
	         "wait 65000\n"
	         "key Return\n"
	         "key Space\n"
	         "text Ș 2\n"
	         "scan VQ1:ABC\n"
	         "screenshot %s/s.png\n",
	         dir);
	vq_script *s = NULL;
	char err[256];
	ck_assert_int_eq(vq_script_parse(text, strlen(text), "visit.txt", &s, err, sizeof err),
	                 VQ_OK);
	vq_ui *ui = open_ui(400, 300, 0, 0, 0);
	vq_ui_clear(ui, VQ_COL_PAPER);
	vq_button b = {.id = "confirm",
	               .r = {100, 200, 200, 60},
	               .label = "OK",
	               .bg = VQ_COL_OK,
	               .fg = VQ_COL_WHITE};
	ck_assert_int_eq(vq_ui_button(ui, &b), VQ_OK);
	vq_ui_present(ui);
	vq_ui_present(ui); /* presenting an unchanged frame keeps its buttons */
	ck_assert_int_eq(vq_ui_replay(ui, s, 1, 1000), VQ_OK);
	ck_assert_int_eq(vq_ui_now_ms(ui), 1000);

	vq_input in;
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_NONE); /* the clock step */
	ck_assert_int_eq(vq_ui_now_ms(ui), 1782900000000LL);
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_PRESS);
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_TAP);
	ck_assert_int_eq(in.x, 10);
	ck_assert_int_eq(in.y, 20);
	expect(ui, VQ_IN_PRESS);
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_TAP);
	ck_assert(vq_button_hit(&b, in.x, in.y));
	ck_assert_int_eq(in.x, 200);
	ck_assert_int_eq(in.y, 230);
	/* 65 s pass at once. */
	Uint64 t0 = SDL_GetTicks64();
	expect(ui, VQ_IN_NONE);
	ck_assert_int_eq(vq_ui_now_ms(ui), 1782900065000LL);
	ck_assert_int_lt(SDL_GetTicks64() - t0, 1000);
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_KEY);
	ck_assert_int_eq(in.key, SDLK_RETURN);
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_TEXT); /* a printable key types */
	ck_assert_str_eq(in.text, " ");
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_TEXT);
	ck_assert_str_eq(in.text, "Ș 2");
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_SCAN);
	ck_assert_str_eq(in.text, "VQ1:ABC");
	expect(ui, VQ_IN_QUIT); /* screenshot taken, then the end */
	expect(ui, VQ_IN_QUIT);
	char path[600];
	snprintf(path, sizeof path, "%s/s.png", dir);
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_gt(sb.st_size, 100);

	/* Only one script at a time; the second is freed all the same. */
	ck_assert_int_eq(vq_script_parse("tap 1 1", 7, "t", &s, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_ui_replay(ui, s, 1, 0), VQ_EINVAL);
	vq_ui_free(ui);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_replay_errors)
{
	static const struct {
		const char *script;
		const char *want;
	} CASES[] = {
	    {"tap 1 1\ntap_id nope\n", "t.txt:2: tap_id nope: no button"},
	    {"tap 400 10\n", "t.txt:1: tap 400 10 is outside the 400x300 frame"},
	    {"wait 10\nclock 1000\n", "t.txt:2: clock may not go back"},
	    {"screenshot /nonexistent/dir/x.png\n", "t.txt:1: "},
	};
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		vq_script *s = NULL;
		char err[256];
		ck_assert_int_eq(vq_script_parse(CASES[i].script, strlen(CASES[i].script), "t.txt",
		                                 &s, err, sizeof err),
		                 VQ_OK);
		vq_ui *ui = open_ui(400, 300, 0, 0, 0);
		ck_assert_int_eq(vq_ui_replay(ui, s, 1, 5000000), VQ_OK);
		vq_input in;
		int rc = VQ_OK;
		for (int n = 0; n < 10 && rc == VQ_OK; n++)
			rc = vq_ui_poll(ui, &in, 0);
		ck_assert_int_ne(rc, VQ_OK);
		ck_assert_msg(strncmp(vq_ui_error(ui), CASES[i].want, strlen(CASES[i].want)) == 0,
		              "got '%s', want '%s'", vq_ui_error(ui), CASES[i].want);
		vq_ui_free(ui);
	}
}
END_TEST

START_TEST(test_replay_real_time)
{
	vq_script *s = NULL;
	char err[256];
	const char *text = "clock 1\nwait 60\ntap 1 1\n";
	ck_assert_int_eq(vq_script_parse(text, strlen(text), "t", &s, err, sizeof err), VQ_OK);
	vq_ui *ui = open_ui(100, 100, 0, 0, 0);
	ck_assert_int_eq(vq_ui_replay(ui, s, 0, 0), VQ_OK);
	int64_t wall = vq_ui_now_ms(ui);
	ck_assert_int_gt(wall, 1700000000000LL); /* the wall clock, `clock` ignored */
	Uint64 t0 = SDL_GetTicks64();
	vq_input in;
	next_event(ui, &in);
	ck_assert_int_eq(in.kind, VQ_IN_PRESS);
	ck_assert_int_ge(SDL_GetTicks64() - t0, 60);
	vq_ui_free(ui);
}
END_TEST

/* --- real input and the bus fd --- */

START_TEST(test_poll_sdl_events)
{
	/* The window is shown at half size: window (100, 50) is logical (200, 100). */
	vq_ui *ui = open_ui(400, 300, 200, 150, 0);
	vq_input in;
	SDL_Event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = SDL_MOUSEBUTTONDOWN;
	ev.button.button = SDL_BUTTON_LEFT;
	ev.button.x = 100;
	ev.button.y = 50;
	SDL_PushEvent(&ev);
	ev.type = SDL_MOUSEBUTTONUP;
	SDL_PushEvent(&ev);
	ev.button.which = SDL_TOUCH_MOUSEID; /* a touch's synthetic click: ignored */
	SDL_PushEvent(&ev);
	memset(&ev, 0, sizeof ev);
	ev.type = SDL_FINGERUP;
	ev.tfinger.x = 0.25f;
	ev.tfinger.y = 0.5f;
	SDL_PushEvent(&ev);

	/* A scanner: characters and Enter in one burst. */
	const char *code = "VQ1:ZX";
	for (const char *c = code; *c; c++) {
		memset(&ev, 0, sizeof ev);
		ev.type = SDL_KEYDOWN;
		ev.key.keysym.sym = (SDL_Keycode)(unsigned char)*c;
		SDL_PushEvent(&ev); /* a printable key: dropped, its text follows */
		memset(&ev, 0, sizeof ev);
		ev.type = SDL_TEXTINPUT;
		ev.text.text[0] = *c;
		SDL_PushEvent(&ev);
	}
	memset(&ev, 0, sizeof ev);
	ev.type = SDL_KEYDOWN;
	ev.key.keysym.sym = SDLK_RETURN;
	SDL_PushEvent(&ev);
	memset(&ev, 0, sizeof ev);
	ev.type = SDL_KEYDOWN;
	ev.key.keysym.sym = SDLK_q;
	ev.key.keysym.mod = KMOD_LCTRL;
	SDL_PushEvent(&ev);
	memset(&ev, 0, sizeof ev);
	ev.type = SDL_QUIT;
	SDL_PushEvent(&ev);

	next_event(ui, &in);
	ck_assert_int_eq(in.kind, VQ_IN_PRESS);
	ck_assert_int_eq(in.x, 201);
	ck_assert_int_eq(in.y, 101);
	next_event(ui, &in);
	ck_assert_int_eq(in.kind, VQ_IN_TAP);
	ck_assert_int_eq(in.x, 201);
	next_event(ui, &in);
	ck_assert_int_eq(in.kind, VQ_IN_TAP); /* the finger */
	ck_assert_int_eq(in.x, 101);
	ck_assert_int_eq(in.y, 151);
	next_event(ui, &in);
	ck_assert_int_eq(in.kind, VQ_IN_SCAN);
	ck_assert_str_eq(in.text, code);
	next_event(ui, &in);
	ck_assert_int_eq(in.kind, VQ_IN_KEY);
	ck_assert_int_eq(in.key, SDLK_q);
	ck_assert(in.mod & KMOD_CTRL);
	next_event(ui, &in);
	ck_assert_int_eq(in.kind, VQ_IN_QUIT);

	/* A person's single keystroke comes out as text once the gap has passed. */
	memset(&ev, 0, sizeof ev);
	ev.type = SDL_TEXTINPUT;
	strcpy(ev.text.text, "ș");
	SDL_PushEvent(&ev);
	next_event(ui, &in);
	ck_assert_int_eq(in.kind, VQ_IN_TEXT);
	ck_assert_str_eq(in.text, "ș");

	/* Ctrl+V: the clipboard's first line, as if typed (a code copied from a printout) */
	ck_assert_int_eq(SDL_SetClipboardText("VQ1:AB\tCD ț\nsecond line"), 0);
	memset(&ev, 0, sizeof ev);
	ev.type = SDL_KEYDOWN;
	ev.key.keysym.sym = SDLK_v;
	ev.key.keysym.mod = KMOD_LCTRL;
	SDL_PushEvent(&ev);
	next_event(ui, &in);
	ck_assert_int_eq(in.kind, VQ_IN_TEXT);
	ck_assert_str_eq(in.text, "VQ1:ABCD ț");
	vq_ui_free(ui);
}
END_TEST

START_TEST(test_poll_fd)
{
	vq_ui *ui = open_ui(100, 100, 0, 0, 0);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	vq_ui_watch_fd(ui, p[0]);
	vq_input in;
	Uint64 t0 = SDL_GetTicks64();
	ck_assert_int_eq(vq_ui_poll(ui, &in, 50), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_NONE);
	ck_assert_int_ge(SDL_GetTicks64() - t0, 50);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	t0 = SDL_GetTicks64();
	ck_assert_int_eq(vq_ui_poll(ui, &in, 5000), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_BUS);
	ck_assert_int_lt(SDL_GetTicks64() - t0, 1000);
	/* Level-triggered: still readable, so again. */
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_BUS);
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(vq_ui_poll(ui, &in, 0), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_NONE);
	vq_ui_watch_fd(ui, -1);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(vq_ui_poll(ui, &in, 20), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_NONE);
	close(p[0]);
	close(p[1]);
	vq_ui_free(ui);
}
END_TEST

/* --- translations --- */

START_TEST(test_i18n_assets)
{
	vq_i18n *t = load_assets();
	char err[256] = "";
	ck_assert_msg(vq_i18n_check(t, err, sizeof err) == VQ_OK, "%s", err);
	ck_assert_uint_eq(vq_i18n_lang_count(t), 3);
	ck_assert_str_eq(vq_i18n_lang_at(t, 0), "en");
	ck_assert_str_eq(vq_i18n_lang_at(t, 1), "ro");
	ck_assert_str_eq(vq_i18n_lang_at(t, 2), "ru");
	ck_assert_ptr_null(vq_i18n_lang_at(t, 3));
	/* Every English key in both translations, spelled out (vq_i18n_check does too). */
	static const char *const LANGS[] = {"ru", "ro"};
	size_t nen = vq_i18n_key_count(t, "en");
	ck_assert_uint_gt(nen, 50);
	for (size_t l = 0; l < 2; l++) {
		ck_assert_uint_eq(vq_i18n_key_count(t, LANGS[l]), nen);
		for (size_t i = 0; i < nen; i++) {
			const char *key = vq_i18n_key_at(t, "en", i);
			ck_assert_msg(vq_i18n_key_at(t, LANGS[l], i) &&
			                  strcmp(vq_i18n_key_at(t, LANGS[l], i), key) == 0,
			              "%s lacks %s", LANGS[l], key);
		}
	}
	ck_assert_str_eq(vq_i18n_get(t, "ru", "lang_name"), "Русский");
	ck_assert_str_eq(vq_i18n_get(t, "ro", "lang_name"), "Română");
	/* Romanian uses comma-below ș ț (U+0219, U+021B), never cedilla ş ţ. */
	static const char *const CEDILLA[] = {"\xc5\x9e", "\xc5\x9f", "\xc5\xa2", "\xc5\xa3"};
	int commas = 0;
	for (size_t i = 0; i < vq_i18n_key_count(t, "ro"); i++) {
		const char *v = vq_i18n_get(t, "ro", vq_i18n_key_at(t, "ro", i));
		for (size_t c = 0; c < 4; c++)
			ck_assert_msg(!strstr(v, CEDILLA[c]), "cedilla in ro: %s", v);
		commas += strstr(v, "ș") || strstr(v, "ț");
	}
	ck_assert_int_gt(commas, 5);
	char out[256];
	vq_i18n_arg args[] = {{"start", "14:05"}, {"end", "15:05"}};
	ck_assert_int_eq(vq_i18n_format(t, "ro", "kiosk_return_between", args, 2, out, sizeof out),
	                 VQ_OK);
	ck_assert_str_eq(out, "Reveniți între 14:05 și 15:05");
	ck_assert_int_eq(vq_i18n_format(t, "ru", "kiosk_return_between", args, 2, out, sizeof out),
	                 VQ_OK);
	ck_assert_str_eq(out, "Возвращайтесь с 14:05 до 15:05");
	vq_i18n_free(t);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_i18n_fallback_and_format)
{
	char *dir = tu_tempdir("ui-i18n");
	ck_assert_ptr_nonnull(dir);
	write_file(
	    dir, "en.json",
	    "{\"a\":\"A {x} and {y}\",\"b\":\"B\",\"c\":\"{x}{x}\",\"d\":\"{ {x } {Q} {}\"}");
	write_file(dir, "ru.json", "{\"a\":\"Аа {y} и {x}\",\"c\":\"{x}\",\"d\":\"д\"}");
	write_file(dir, "pt.json", "{\"b\":\"Bp\"}");
	write_file(dir, "notes.txt", "ignored");
	write_file(dir, "EN.json", "ignored: not a language code");
	vq_i18n *t = NULL;
	char err[256] = "";
	ck_assert_msg(vq_i18n_load(dir, &t, err, sizeof err) == VQ_OK, "%s", err);
	ck_assert_uint_eq(vq_i18n_lang_count(t), 3);
	ck_assert_str_eq(vq_i18n_lang_at(t, 0), "en");
	ck_assert_str_eq(vq_i18n_lang_at(t, 1), "pt");
	ck_assert(vq_i18n_has_lang(t, "ru"));
	ck_assert(!vq_i18n_has_lang(t, "pt-BR"));

	ck_assert_str_eq(vq_i18n_get(t, "ru", "a"), "Аа {y} и {x}");
	ck_assert_str_eq(vq_i18n_get(t, "ru", "b"), "B");     /* to English */
	ck_assert_str_eq(vq_i18n_get(t, "pt-BR", "b"), "Bp"); /* to the base language */
	ck_assert_str_eq(vq_i18n_get(t, "xx", "b"), "B");     /* unknown language */
	ck_assert_str_eq(vq_i18n_get(t, NULL, "b"), "B");
	ck_assert_str_eq(vq_i18n_get(t, "ru", "zzz"), "zzz"); /* to the key */
	ck_assert_str_eq(vq_i18n_get(NULL, "ru", "zzz"), "zzz");

	char out[64];
	vq_i18n_arg args[] = {{"x", "1"}, {"y", "двa"}};
	ck_assert_int_eq(vq_i18n_format(t, "ru", "a", args, 2, out, sizeof out), VQ_OK);
	ck_assert_str_eq(out, "Аа двa и 1");
	ck_assert_int_eq(vq_i18n_format(t, "en", "c", args, 1, out, sizeof out), VQ_OK);
	ck_assert_str_eq(out, "11");
	/* No value: the placeholder stays, so the gap shows. */
	ck_assert_int_eq(vq_i18n_format(t, "en", "a", args, 1, out, sizeof out), VQ_OK);
	ck_assert_str_eq(out, "A 1 and {y}");
	/* Not placeholders: left as they are. */
	ck_assert_int_eq(vq_i18n_format(t, "en", "d", args, 2, out, sizeof out), VQ_OK);
	ck_assert_str_eq(out, "{ {x } {Q} {}");
	/* Cut to fit, between characters: "Аа " is 5 bytes, "д" 2 more would need 8. */
	char small[8];
	ck_assert_int_eq(vq_i18n_format(t, "ru", "a", args, 2, small, sizeof small), VQ_ETOOBIG);
	ck_assert_str_eq(small, "Аа д");
	ck_assert_int_eq(vq_i18n_format(t, "ru", "a", args, 2, small, 6), VQ_ETOOBIG);
	ck_assert_str_eq(small, "Аа ");
	ck_assert(vq_utf8_valid(small, strlen(small)));
	ck_assert_int_eq(vq_i18n_format(t, "ru", "a", args, 2, out, 0), VQ_EINVAL);

	/* Languages are checked in order (en, pt, ru); pt lacks a. (ru's c has {x} once
	 * where English has it twice: the same set, which is fine.) */
	ck_assert_int_eq(vq_i18n_check(t, err, sizeof err), VQ_ECONFIG);
	ck_assert_str_eq(err, "pt: missing key a");
	vq_i18n_free(t);

	write_file(dir, "pt.json", "{\"a\":\"{x}{y}\",\"b\":\"b\",\"c\":\"c\",\"d\":\"d\"}");
	ck_assert_int_eq(vq_i18n_load(dir, &t, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_i18n_check(t, err, sizeof err), VQ_ECONFIG);
	ck_assert_str_eq(err, "pt: c: its {placeholders} differ from English");
	vq_i18n_free(t);

	write_file(dir, "pt.json",
	           "{\"a\":\"{x}{y}\",\"b\":\"b\",\"c\":\"{x}\",\"d\":\"d\",\"e\":\"e\"}");
	ck_assert_int_eq(vq_i18n_load(dir, &t, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_i18n_check(t, err, sizeof err), VQ_ECONFIG);
	ck_assert_str_eq(err, "pt: key e is not in English");
	vq_i18n_free(t);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_i18n_bad_files)
{
	static const struct {
		const char *ru;
		int rc;
		const char *want;
	} CASES[] = {
	    {"[1,2]", VQ_ECONFIG, "not a JSON object"},
	    {"{\"a\":1}", VQ_ECONFIG, "key \"a\""},
	    {"{\"a\":\"x\",\"a\":\"y\"}", VQ_ECONFIG, "appears twice"},
	    {"{\"a\":\"\xff\"}", VQ_ECONFIG, "UTF-8"},
	    {"{\"\":\"x\"}", VQ_ECONFIG, "non-empty key"},
	    {"{\"a\":", VQ_ECONFIG, "not a JSON object"},
	};
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		char *dir = tu_tempdir("ui-i18n-bad");
		ck_assert_ptr_nonnull(dir);
		write_file(dir, "en.json", "{\"a\":\"A\"}");
		write_file(dir, "ru.json", CASES[i].ru);
		vq_i18n *t = (vq_i18n *)(void *)dir;
		char err[256] = "";
		ck_assert_int_eq(vq_i18n_load(dir, &t, err, sizeof err), CASES[i].rc);
		ck_assert_ptr_eq(t, (vq_i18n *)(void *)dir);
		ck_assert_msg(strstr(err, CASES[i].want) && strstr(err, "ru.json"), "case %zu: %s",
		              i, err);
		tu_rmtree(dir);
		free(dir);
	}
	char *dir = tu_tempdir("ui-i18n-none");
	ck_assert_ptr_nonnull(dir);
	write_file(dir, "ru.json", "{}");
	vq_i18n *t = NULL;
	char err[256];
	ck_assert_int_eq(vq_i18n_load(dir, &t, err, sizeof err), VQ_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err, "no en.json"));
	tu_rmtree(dir);
	ck_assert_int_eq(vq_i18n_load(dir, &t, err, sizeof err), VQ_ENOTFOUND);
	free(dir);
	vq_i18n_free(NULL);
}
END_TEST

START_TEST(test_i18n_starvation)
{
	char err[256];
	unsigned long n;
	for (n = 1;; n++) {
		vq_i18n *t = NULL;
		vq_mem_fail_after(n);
		int rc = vq_i18n_load(tu_src("assets/i18n"), &t, err, sizeof err);
		vq_mem_fail_after(0);
		if (rc == VQ_OK) {
			vq_i18n_free(t);
			break;
		}
		ck_assert_msg(rc == VQ_ENOMEM, "at %lu: %s", n, err);
		ck_assert_ptr_null(t);
		ck_assert_uint_lt(n, 5000);
	}
	ck_assert_uint_gt(n, 100);
}
END_TEST

START_TEST(test_utf8)
{
	int32_t cp;
	ck_assert_uint_eq(vq_utf8_next("ș", 2, &cp), 2);
	ck_assert_int_eq(cp, 0x219);
	ck_assert_uint_eq(vq_utf8_next("\xf0\x9f\x98\x80", 4, &cp), 4);
	ck_assert_int_eq(cp, 0x1F600);
	static const char *const BAD_SEQ[] = {"\xc0\xaf",         "\xe0\x80\xaf", "\xed\xa0\x80",
	                                      "\xf4\x90\x80\x80", "\x80",         "\xe2\x82"};
	for (size_t i = 0; i < 6; i++) {
		ck_assert_uint_eq(vq_utf8_next(BAD_SEQ[i], strlen(BAD_SEQ[i]), &cp), 1);
		ck_assert_int_eq(cp, -1);
		ck_assert(!vq_utf8_valid(BAD_SEQ[i], strlen(BAD_SEQ[i])));
	}
	ck_assert_uint_eq(vq_utf8_count("țară", strlen("țară")), 4);
	ck_assert_uint_eq(vq_utf8_prefix("țară", strlen("țară"), 1), 0);
	ck_assert_uint_eq(vq_utf8_prefix("țară", strlen("țară"), 3), 3);
	ck_assert_uint_eq(vq_utf8_prefix("țară", strlen("țară"), 5), 4); /* ț a r, not half of ă */
	ck_assert_uint_eq(vq_utf8_prefix("abc", 3, 10), 3);
}
END_TEST

/* --- display lists --- */

#define UI_TEST_STRINGS 9000 /* more than ui/text.c caches (8192 each) */

/* Pixels in r within 48 of c in every channel. */
static int pixels_near(vq_ui *ui, vq_rect r, vq_color c)
{
	uint8_t *rgb = malloc((size_t)r.w * (size_t)r.h * 3);
	ck_assert_ptr_nonnull(rgb);
	ck_assert_int_eq(vq_ui_read_rgb(ui, r, rgb), VQ_OK);
	int n = 0;
	for (int i = 0; i < r.w * r.h; i++)
		if (abs(rgb[i * 3] - c.r) < 48 && abs(rgb[i * 3 + 1] - c.g) < 48 &&
		    abs(rgb[i * 3 + 2] - c.b) < 48)
			n++;
	free(rgb);
	return n;
}

START_TEST(test_view_build_and_hit)
{
	vq_view *v = malloc(sizeof *v);
	ck_assert_ptr_nonnull(v);
	memset(v, 0xAB, sizeof *v); /* a reset view owes nothing to what was there */
	vq_view_reset(v, 400, 300);
	ck_assert(!v->overflow);
	vq_view_fill(v, (vq_rect){0, 0, 400, 300}, VQ_COL_PAPER, 0);
	vq_view_text(v, (vq_rect){10, 10, 380, 40}, "title", "Hello", 30, 1, VQ_COL_INK,
	             VQ_ALIGN_LEFT);
	vq_view_button(v, (vq_rect){10, 100, 100, 60}, "a", "key", "A", VQ_COL_PRIMARY,
	               VQ_COL_WHITE)
	    ->action = 7;
	vq_view_button(v, (vq_rect){50, 100, 100, 60}, "b", "key", "B", VQ_COL_PRIMARY,
	               VQ_COL_WHITE);
	vq_view_button(v, (vq_rect){200, 100, 100, 60}, "c", "key", "C", VQ_COL_PRIMARY,
	               VQ_COL_WHITE)
	    ->disabled = 1;
	ck_assert_int_eq(v->n, 5);
	ck_assert_str_eq(vq_view_hit(v, 60, 120)->id, "b"); /* the later lies on top */
	ck_assert_str_eq(vq_view_hit(v, 20, 120)->id, "a");
	ck_assert_ptr_null(vq_view_hit(v, 250, 120)); /* disabled */
	ck_assert_int_eq(vq_view_find(v, "a")->action, 7);
	ck_assert(vq_view_has_text(v, "Hell") && vq_view_has_text(v, "C"));
	ck_assert(!vq_view_has_text(v, "nowhere"));
	ck_assert_str_eq(vq_el_text(v, vq_view_role(v, "title", 0)), "Hello");
	ck_assert_ptr_eq(vq_view_role(v, "key", 3), &v->el[3]);
	/* a copy is a whole view: texts live inside it */
	vq_view *c = malloc(sizeof *c);
	ck_assert_ptr_nonnull(c);
	memcpy(c, v, sizeof *c);
	memset(v, 0, sizeof *v);
	ck_assert_str_eq(vq_el_text(c, vq_view_find(c, "b")), "B");
	/* running out of room is said, not crashed on */
	vq_view_reset(v, 400, 300);
	for (int i = 0; i < VQ_VIEW_MAX + 3; i++)
		vq_view_text(v, (vq_rect){0, 0, 10, 10}, "x", "y", 10, 0, VQ_COL_INK,
		             VQ_ALIGN_LEFT);
	ck_assert(v->overflow);
	ck_assert_int_eq(v->n, VQ_VIEW_MAX);
	free(c);
	free(v);
}
END_TEST

/* Labels of one kind are one size: the largest every one of them fits at. */
START_TEST(test_view_size_groups)
{
	vq_ui *ui = open_ui(800, 400, 0, 0, 0);
	vq_view *v = malloc(sizeof *v);
	ck_assert_ptr_nonnull(v);
	vq_view_reset(v, 800, 400);
	vq_view_fill(v, (vq_rect){0, 0, 800, 400}, VQ_COL_PAPER, 0);
	vq_view_text(v, (vq_rect){0, 0, 400, 60}, "name", "Carousel", 40, 1, VQ_COL_INK,
	             VQ_ALIGN_LEFT);
	vq_view_text(v, (vq_rect){0, 60, 400, 60}, "name", "Императорская карусель", 40, 1,
	             VQ_COL_INK, VQ_ALIGN_LEFT)
	    ->wrap = 0;
	vq_view_text(v, (vq_rect){0, 120, 400, 60}, "other", "Carousel", 40, 1, VQ_COL_INK,
	             VQ_ALIGN_LEFT);
	vq_view_button(v, (vq_rect){420, 0, 120, 90}, "k1", "key", "OK", VQ_COL_PRIMARY,
	               VQ_COL_WHITE);
	vq_view_button(v, (vq_rect){560, 0, 120, 90}, "k2", "key", "Șterge tot", VQ_COL_LIGHT,
	               VQ_COL_INK);
	int px[8];
	ck_assert_int_eq(vq_view_sizes(ui, v, px), VQ_OK);
	ck_assert_int_eq(px[0], 0); /* a fill has no text */
	ck_assert_int_lt(px[2], 40);
	ck_assert_int_eq(px[1], px[2]);
	ck_assert_int_eq(px[3], 40);
	ck_assert_int_eq(px[4], px[5]);
	ck_assert_int_lt(px[4], 30);
	vq_view_stats st;
	ck_assert_int_eq(vq_view_draw(ui, v, 0, 0, &st), VQ_OK);
	ck_assert_int_eq(st.texts, 5);
	ck_assert_int_eq(st.clipped, 0);
	ck_assert_int_eq(st.midword, 0);
	ck_assert_int_eq(st.min_px, px[4] < px[1] ? px[4] : px[1]);
	free(v);
	vq_ui_free(ui);
}
END_TEST

/* The checker finds what a guest would see wrong, from the list alone. */
START_TEST(test_view_check)
{
	vq_ui *ui = open_ui(600, 400, 0, 0, 0);
	vq_view *v = malloc(sizeof *v);
	ck_assert_ptr_nonnull(v);
	vq_flaw f[8];
	char line[512];

	vq_view_reset(v, 600, 400);
	vq_view_fill(v, (vq_rect){0, 0, 600, 400}, VQ_COL_PAPER, 0);
	vq_view_text(v, (vq_rect){10, 10, 580, 60}, "t", "Scan your park ticket", 30, 1, VQ_COL_INK,
	             VQ_ALIGN_LEFT);
	vq_view_button(v, (vq_rect){10, 100, 200, 80}, "b", "b", "Пропустить вручную",
	               VQ_COL_PRIMARY, VQ_COL_WHITE);
	ck_assert_int_eq(vq_view_check(ui, v, 4.5, f, 8), 0);

	/* a word too long for its box at its smallest size: clipped, never broken */
	vq_view_text(v, (vq_rect){10, 200, 90, 40}, "t2", "Императорская", 30, 1, VQ_COL_INK,
	             VQ_ALIGN_LEFT)
	    ->min_px = 28;
	ck_assert_int_eq(vq_view_check(ui, v, 4.5, f, 8), 1);
	ck_assert_int_eq(f[0].kind, VQ_FLAW_CLIPPED);
	ck_assert_int_eq(f[0].el, 3);
	vq_flaw_describe(v, &f[0], 4.5, line, sizeof line);
	ck_assert_msg(strstr(line, "clipped") && strstr(line, "Императорская"), "%s", line);
	v->n--;

	/* grey on grey; and grey on white under a translucent dim: blended, then judged */
	vq_view_fill(v, (vq_rect){300, 200, 200, 100}, VQ_COL_DISABLED_BG, 0);
	vq_view_text(v, (vq_rect){300, 200, 200, 50}, "t3", "Full", 30, 0, VQ_RGB(0x90, 0x90, 0x90),
	             VQ_ALIGN_LEFT);
	ck_assert_int_eq(vq_view_check(ui, v, 4.5, f, 8), 1);
	ck_assert_int_eq(f[0].kind, VQ_FLAW_CONTRAST);
	ck_assert(f[0].contrast > 1.5 && f[0].contrast < 2.5);
	vq_flaw_describe(v, &f[0], 4.5, line, sizeof line);
	ck_assert_msg(strstr(line, "contrast") && strstr(line, "#909090"), "%s", line);
	v->n -= 2;
	vq_view_fill(v, (vq_rect){0, 0, 600, 400}, (vq_color){0, 0, 0, 150}, 0);
	vq_view_fill(v, (vq_rect){100, 250, 300, 100}, VQ_COL_WHITE, 0);
	vq_view_text(v, (vq_rect){100, 250, 300, 100}, "d", "Keep it", 30, 1, VQ_COL_INK,
	             VQ_ALIGN_LEFT);
	ck_assert_int_eq(vq_view_check(ui, v, 4.5, f, 8), 0);
	vq_view_text(v, (vq_rect){10, 350, 80, 40}, "u", "Under", 20, 1, VQ_COL_INK, VQ_ALIGN_LEFT);
	ck_assert_int_eq(vq_view_check(ui, v, 4.5, f, 8), 1); /* ink on dimmed paper */
	ck_assert_int_eq(f[0].kind, VQ_FLAW_CONTRAST);
	v->n--;

	/* a button hanging off the frame */
	vq_view_button(v, (vq_rect){550, 10, 100, 60}, "off", "b", "Off", VQ_COL_PRIMARY,
	               VQ_COL_WHITE);
	ck_assert_int_eq(vq_view_check(ui, v, 4.5, f, 8), 1);
	ck_assert_int_eq(f[0].kind, VQ_FLAW_OUTSIDE);
	/* more flaws than room: all counted */
	ck_assert_int_eq(vq_view_check(ui, v, 21, f, 0), 5);
	free(v);
	vq_ui_free(ui);
}
END_TEST

/* The window's pixels in r, as presented (the software renderer draws into the window's
 * own surface), as RGB. */
static void window_rgb(vq_rect r, uint8_t *rgb)
{
	SDL_Window *w = NULL;
	for (Uint32 id = 1; id < 64 && !w; id++)
		w = SDL_GetWindowFromID(id);
	ck_assert_ptr_nonnull(w);
	SDL_Surface *s = SDL_GetWindowSurface(w);
	ck_assert_ptr_nonnull(s);
	SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGB24, 0);
	ck_assert_ptr_nonnull(c);
	for (int y = 0; y < r.h; y++)
		memcpy(rgb + (size_t)y * r.w * 3,
		       (uint8_t *)c->pixels + (size_t)(r.y + y) * c->pitch + (size_t)r.x * 3,
		       (size_t)r.w * 3);
	SDL_FreeSurface(c);
}

static void two_views(vq_view *a, vq_view *b)
{
	for (int k = 0; k < 2; k++) {
		vq_view *v = k ? b : a;
		vq_view_reset(v, 640, 400);
		vq_view_fill(v, (vq_rect){0, 0, 640, 400}, VQ_COL_NIGHT, 0);
		for (int r = 0; r < 8; r++) {
			char s[32];
			snprintf(s, sizeof s, "Row %d: %02d:%02d", r, 10 + r,
			         k && r == 3 ? 45 : 15);
			if (r % 2)
				vq_view_fill(v, (vq_rect){0, 40 * r, 640, 40},
				             VQ_RGB(0x15, 0x1A, 0x24), 0);
			vq_view_text(v, (vq_rect){10, 40 * r, 400, 40}, "row", s, 28, 1,
			             k && r == 5 ? VQ_COL_HIGHLIGHT : VQ_COL_WHITE, VQ_ALIGN_LEFT);
		}
		vq_view_button(v, (vq_rect){450, 330, 180, 60}, "go", "b", k ? "Next" : "Go",
		               VQ_COL_PRIMARY, VQ_COL_WHITE);
		if (!k) /* a text that goes away */
			vq_view_text(v, (vq_rect){450, 10, 180, 40}, "gone", "Soon gone", 24, 0,
			             VQ_COL_WHITE, VQ_ALIGN_LEFT);
	}
}

/* Drawing only what changed gives the very frame a whole drawing gives, and the window
 * shows it: presenting copies what was drawn, and a window event repaints all. */
START_TEST(test_view_draw_diff)
{
	vq_ui *ui = open_ui(640, 400, 0, 0, 0);
	vq_view *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	size_t n = 640 * 400 * 3;
	uint8_t *whole = malloc(n), *diff = malloc(n), *win = malloc(n);
	ck_assert(a && b && whole && diff && win);
	vq_rect all = {0, 0, 640, 400};
	two_views(a, b);
	ck_assert_int_eq(vq_view_draw(ui, b, 0, 0, NULL), VQ_OK);
	ck_assert_int_eq(vq_ui_read_rgb(ui, all, whole), VQ_OK);

	vq_ui_clear(ui, VQ_COL_BLACK);
	ck_assert_int_eq(vq_view_draw_diff(ui, NULL, a, NULL), VQ_OK);
	vq_ui_present(ui);
	vq_view_stats st;
	ck_assert_int_eq(vq_view_draw_diff(ui, a, b, &st), VQ_OK);
	ck_assert_int_lt(st.texts, 8); /* not every row was drawn again */
	ck_assert_int_ge(st.texts, 3);
	ck_assert_int_eq(vq_ui_read_rgb(ui, all, diff), VQ_OK);
	ck_assert_int_eq(memcmp(whole, diff, n), 0);
	vq_ui_present(ui);
	window_rgb(all, win);
	ck_assert_int_eq(memcmp(whole, win, n), 0);
	/* the button, drawn again or not, is where a script's tap_id finds it */
	char *dir = tu_tempdir("ui-diff");
	char path[512], err[256] = "";
	snprintf(path, sizeof path, "%s/tap.script", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("tap_id go\n", f);
	fclose(f);
	vq_script *sc = NULL;
	ck_assert_msg(vq_script_load(path, &sc, err, sizeof err) == VQ_OK, "%s", err);
	ck_assert_int_eq(vq_ui_replay(ui, sc, 1, 0), VQ_OK);
	vq_input in;
	ck_assert_int_eq(vq_ui_poll(ui, &in, 100), VQ_OK);
	ck_assert_int_eq(in.kind, VQ_IN_PRESS);
	ck_assert(in.x >= 450 && in.x < 630 && in.y >= 330 && in.y < 390);
	tu_rmtree(dir);
	free(dir);
	/* nothing drawn: presenting again changes nothing */
	vq_ui_present(ui);
	window_rgb(all, win);
	ck_assert_int_eq(memcmp(whole, win, n), 0);
	vq_ui_repaint(ui);
	window_rgb(all, win);
	ck_assert_int_eq(memcmp(whole, win, n), 0);
	free(a);
	free(b);
	free(whole);
	free(diff);
	free(win);
	vq_ui_free(ui);
}
END_TEST

/* Text drawn again comes from the caches: the same pixels, and a new colour is a new
 * rendering, never the old one. */
START_TEST(test_text_cache)
{
	vq_ui *ui = open_ui(400, 200, 0, 0, 0);
	vq_text_style st = {.px = 40, .bold = 1, .color = VQ_COL_ERROR};
	vq_rect box = {10, 10, 380, 80};
	uint8_t *a = malloc(400 * 200 * 3), *b = malloc(400 * 200 * 3);
	ck_assert(a && b);
	for (int round = 0; round < 2; round++) {
		vq_ui_clear(ui, VQ_COL_PAPER);
		ck_assert_int_eq(vq_ui_text(ui, box, &st, "Thunder Coaster", NULL), VQ_OK);
		ck_assert_int_eq(vq_ui_read_rgb(ui, (vq_rect){0, 0, 400, 200}, round ? b : a),
		                 VQ_OK);
	}
	ck_assert_int_eq(memcmp(a, b, 400 * 200 * 3), 0);
	ck_assert_int_gt(pixels_near(ui, box, VQ_COL_ERROR), 200);
	st.color = VQ_COL_OK;
	vq_ui_clear(ui, VQ_COL_PAPER);
	ck_assert_int_eq(vq_ui_text(ui, box, &st, "Thunder Coaster", NULL), VQ_OK);
	ck_assert_int_eq(pixels_near(ui, box, VQ_COL_ERROR), 0);
	ck_assert_int_gt(pixels_near(ui, box, VQ_COL_OK), 200);
	/* more different strings than the caches hold: they stay bounded and keep working */
	for (int i = 0; i < UI_TEST_STRINGS; i++) {
		char s[32];
		snprintf(s, sizeof s, "%05d", i);
		ck_assert_int_eq(vq_ui_text(ui, box, &st, s, NULL), VQ_OK);
	}
	free(a);
	free(b);
	vq_ui_free(ui);
}
END_TEST

static Suite *ui_suite(void)
{
	Suite *s = suite_create("ui");
	TCase *tc = tcase_create("window");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_opts_rejected);
	tcase_add_test(tc, test_mm_scale);
	tcase_add_test(tc, test_screenshot);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_text_langs, 0, (int)(sizeof SAMPLES / sizeof SAMPLES[0]));
	tcase_add_test(tc, test_missing_glyphs_detected);
	tcase_add_test(tc, test_all_translations_have_glyphs);
	tcase_add_test(tc, test_text_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("qr");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_qr_ticket_code, 0, 3);
	tcase_add_test(tc, test_qr_case_and_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("widgets");
	tcase_add_test(tc, test_palette_contrast);
	tcase_add_test(tc, test_button_hits);
	tcase_add_test(tc, test_button_draw);
	suite_add_tcase(s, tc);

	tc = tcase_create("view");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_view_build_and_hit);
	tcase_add_test(tc, test_view_size_groups);
	tcase_add_test(tc, test_view_check);
	tcase_add_test(tc, test_text_cache);
	tcase_add_test(tc, test_view_draw_diff);
	suite_add_tcase(s, tc);

	tc = tcase_create("input");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_scan_table, 0, (int)(sizeof SCANS / sizeof SCANS[0]));
	tcase_add_test(tc, test_scan_deadline_and_overflow);
	tcase_add_test(tc, test_script_parse_good);
	tcase_add_loop_test(tc, test_script_parse_bad, 0, (int)(sizeof BAD / sizeof BAD[0]));
	tcase_add_test(tc, test_script_parse_limits);
	tcase_add_test(tc, test_script_starvation);
	tcase_add_test(tc, test_replay_virtual);
	tcase_add_test(tc, test_replay_errors);
	tcase_add_test(tc, test_replay_real_time);
	tcase_add_test(tc, test_poll_sdl_events);
	tcase_add_test(tc, test_poll_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("i18n");
	tcase_set_timeout(tc, 120); /* starvation parses the translations once per allocation */
	tcase_add_test(tc, test_i18n_assets);
	tcase_add_test(tc, test_i18n_fallback_and_format);
	tcase_add_test(tc, test_i18n_bad_files);
	tcase_add_test(tc, test_i18n_starvation);
	tcase_add_test(tc, test_utf8);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ui_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
