/* ui/script.c — replay scripts: the grammar, and running the steps (see script.h).
 *
 * Owns a parsed script: an array of steps, each with its line number, every string in
 * it checked (valid UTF-8, within VQ_INPUT_TEXT_MAX) when parsed, so replaying can only
 * fail on what depends on the screen (a tap_id with no such button, a tap off the frame,
 * a screenshot that cannot be written). Parsing either returns a whole script or nothing.
 */
#include "ui/script.h"

#include "core/mem.h"
#include "ui/uipriv.h"
#include "ui/utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CLOCK_MAX_S 253402300799LL /* 9999-12-31T23:59:59Z */

struct vq_script {
	char *name;
	vq_script_step *steps;
	size_t n, cap;
};

static const struct {
	const char *word;
	int op;
} OPS[] = {
    {"tap", VQ_STEP_TAP},
    {"tap_id", VQ_STEP_TAP_ID},
    {"key", VQ_STEP_KEY},
    {"text", VQ_STEP_TEXT},
    {"scan", VQ_STEP_SCAN},
    {"wait", VQ_STEP_WAIT},
    {"screenshot", VQ_STEP_SCREENSHOT},
    {"clock", VQ_STEP_CLOCK},
};

static char *dup_n(const char *s, size_t n)
{
	char *d = vq_malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void vq_script_free(vq_script *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		vq_free(s->steps[i].arg);
	vq_free(s->steps);
	vq_free(s->name);
	vq_free(s);
}

size_t vq_script_len(const vq_script *s)
{
	return s ? s->n : 0;
}

const vq_script_step *vq_script_step_at(const vq_script *s, size_t i)
{
	return s && i < s->n ? &s->steps[i] : NULL;
}

/* Whole decimal numbers only: no sign, no spaces, nothing after. */
static int parse_uint(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > max)
			return 0;
	}
	*out = v;
	return 1;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DDTHH:MM:SSZ, 1970..9999, to Unix seconds. */
static int parse_iso(const char *s, int64_t *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, end = 0;
	if (strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &end) != 6 ||
	    end != 20)
		return 0;
	for (int i = 0; i < 20; i++) {
		char c = s[i];
		int want_digit = !(i == 4 || i == 7 || i == 10 || i == 13 || i == 16 || i == 19);
		if (want_digit != (c >= '0' && c <= '9'))
			return 0;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return 0;
	int64_t days = 0;
	for (int i = 1970; i < y; i++)
		days += 365 + leap(i);
	for (int i = 1; i < mo; i++)
		days += mdays[i - 1] + (i == 2 && leap(y));
	days += d - 1;
	*out = ((days * 24 + h) * 60 + mi) * 60 + sec;
	return 1;
}

static int id_ok(const char *id)
{
	size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-");
	return n > 0 && id[n] == '\0' && n < VQ_ID_MAX;
}

/* Keys that would type a character come out as that text, as from a keyboard. */
static int key_types(int32_t k)
{
	return k >= 32 && k != SDLK_DELETE && !(k & SDLK_SCANCODE_MASK) && k <= 0x10FFFF;
}

/* Parses one non-blank, non-comment line into *st (st->arg owned by st on success). */
static int parse_line(const char *word, size_t wlen, char *arg, vq_script_step *st, char *why,
                      size_t whylen)
{
	st->op = -1;
	for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
		if (strlen(OPS[i].word) == wlen && memcmp(OPS[i].word, word, wlen) == 0)
			st->op = OPS[i].op;
	if (st->op < 0) {
		snprintf(why, whylen,
		         "unknown command '%.*s' (want tap, tap_id, key, text, scan, wait, "
		         "screenshot, clock, or # for a comment)",
		         (int)(wlen > 40 ? 40 : wlen), word);
		return 0;
	}
	if (!*arg) {
		snprintf(why, whylen, "%.*s needs an argument", (int)wlen, word);
		return 0;
	}
	if (!vq_utf8_valid(arg, strlen(arg))) {
		snprintf(why, whylen, "%.*s: the argument is not valid UTF-8", (int)wlen, word);
		return 0;
	}
	/* Trailing blanks are invisible in an editor, so they count only where the
	 * argument is typed as is. */
	if (st->op != VQ_STEP_TEXT && st->op != VQ_STEP_SCAN) {
		size_t n = strlen(arg);
		while (n && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
			arg[--n] = '\0';
	}
	int64_t a, b;
	char *sp;
	switch (st->op) {
	case VQ_STEP_TAP:
		sp = arg + strcspn(arg, " \t");
		if (*sp)
			*sp++ = '\0';
		sp += strspn(sp, " \t");
		if (!parse_uint(arg, 65535, &a) || !parse_uint(sp, 65535, &b)) {
			snprintf(why, whylen, "tap wants X Y: two whole numbers 0..65535");
			return 0;
		}
		st->x = (int)a;
		st->y = (int)b;
		return 1;
	case VQ_STEP_TAP_ID:
		if (!id_ok(arg)) {
			snprintf(why, whylen, "tap_id wants a button id: [a-z0-9_-], 1..%d bytes",
			         VQ_ID_MAX - 1);
			return 0;
		}
		st->arg = arg;
		return 1;
	case VQ_STEP_KEY:
		st->key = SDL_GetKeyFromName(arg);
		if (st->key == SDLK_UNKNOWN) {
			snprintf(why, whylen, "key: unknown SDL key name '%.40s'", arg);
			return 0;
		}
		return 1;
	case VQ_STEP_TEXT:
	case VQ_STEP_SCAN:
		if (strlen(arg) >= VQ_INPUT_TEXT_MAX) {
			snprintf(why, whylen, "%.*s: longer than %d bytes", (int)wlen, word,
			         VQ_INPUT_TEXT_MAX - 1);
			return 0;
		}
		st->arg = arg;
		return 1;
	case VQ_STEP_WAIT:
		if (!parse_uint(arg, VQ_SCRIPT_WAIT_MAX, &a)) {
			snprintf(why, whylen, "wait wants milliseconds: a whole number 0..%d",
			         VQ_SCRIPT_WAIT_MAX);
			return 0;
		}
		st->ms = a;
		return 1;
	case VQ_STEP_SCREENSHOT:
		st->arg = arg;
		return 1;
	case VQ_STEP_CLOCK:
		if (!parse_uint(arg, CLOCK_MAX_S, &a) && !parse_iso(arg, &a)) {
			snprintf(
			    why, whylen,
			    "clock wants Unix seconds or YYYY-MM-DDTHH:MM:SSZ (UTC, 1970..9999)");
			return 0;
		}
		st->ms = a * 1000;
		return 1;
	}
	return 0;
}

static int add_step(vq_script *s, const vq_script_step *st)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		vq_script_step *n = vq_realloc(s->steps, cap * sizeof *n);
		if (!n)
			return VQ_ENOMEM;
		s->steps = n;
		s->cap = cap;
	}
	s->steps[s->n++] = *st;
	return VQ_OK;
}

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

int vq_script_parse(const char *text, size_t len, const char *name, vq_script **out, char *err,
                    size_t errlen)
{
	if (!name)
		name = "script";
	if (!out || (!text && len)) {
		put_err(err, errlen, "%s: no script", name);
		return VQ_EINVAL;
	}
	if (len > VQ_SCRIPT_MAX_BYTES) {
		put_err(err, errlen, "%s: over %d bytes", name, VQ_SCRIPT_MAX_BYTES);
		return VQ_ETOOBIG;
	}
	int rc = VQ_ENOMEM;
	char *arg = NULL;
	vq_script *s = vq_calloc(1, sizeof *s);
	if (!s || !(s->name = dup_n(name, strlen(name))))
		goto nomem;
	size_t pos = 0;
	for (int line = 1; pos < len; line++) {
		const char *l = text + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos;
		pos += ll + (nl ? 1 : 0);
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (memchr(l, '\0', ll)) {
			put_err(err, errlen, "%s:%d: a NUL byte", name, line);
			rc = VQ_EINVAL;
			goto fail;
		}
		size_t i = 0;
		while (i < ll && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i == ll || l[i] == '#')
			continue;
		size_t w0 = i;
		while (i < ll && l[i] != ' ' && l[i] != '\t')
			i++;
		size_t wlen = i - w0;
		while (i < ll && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (!(arg = dup_n(l + i, ll - i)))
			goto nomem;
		vq_script_step st = {.line = line};
		char why[200];
		if (!parse_line(l + w0, wlen, arg, &st, why, sizeof why)) {
			put_err(err, errlen, "%s:%d: %s", name, line, why);
			rc = VQ_EINVAL;
			goto fail;
		}
		if (!st.arg)
			vq_free(arg);
		arg = NULL;
		if (add_step(s, &st) != VQ_OK) {
			vq_free(st.arg);
			goto nomem;
		}
	}
	*out = s;
	return VQ_OK;
nomem:
	put_err(err, errlen, "%s: out of memory", name);
fail:
	vq_free(arg);
	vq_script_free(s);
	return rc;
}

int vq_script_load(const char *path, vq_script **out, char *err, size_t errlen)
{
	int rc = VQ_ENOTFOUND;
	char *buf = NULL;
	FILE *f = path ? fopen(path, "rb") : NULL;
	if (!f) {
		put_err(err, errlen, "%s: %s", path ? path : "(null)", strerror(errno));
		return VQ_ENOTFOUND;
	}
	buf = vq_malloc(VQ_SCRIPT_MAX_BYTES + 1);
	if (!buf) {
		rc = VQ_ENOMEM;
		put_err(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	size_t len = fread(buf, 1, VQ_SCRIPT_MAX_BYTES + 1, f);
	if (ferror(f)) {
		put_err(err, errlen, "%s: read error", path);
		goto cleanup;
	}
	rc = vq_script_parse(buf, len, path, out, err, errlen);
cleanup:
	vq_free(buf);
	fclose(f);
	return rc;
}

int vq_ui_replay(vq_ui *ui, vq_script *s, int virtual_clock, int64_t start_ms)
{
	if (!s || ui->script || start_ms < 0) {
		ui_set_error(ui, "replay: no script, a bad start time, or one replays already");
		vq_script_free(s);
		return VQ_EINVAL;
	}
	int64_t now = vq_ui_now_ms(ui);
	ui->script = s;
	ui->step = 0;
	ui->virtual_clock = virtual_clock ? 1 : 0;
	ui->vclock_ms = start_ms ? start_ms : now;
	ui->wait_until = 0;
	ui->script_done = 0;
	/* From here the script is the only input: forget real input not yet handed out. */
	ui->npending = 0;
	vq_scan_init(&ui->scan, ui->scan.gap_ms, ui->scan.min_len);
	return VQ_OK;
}

static size_t utf8_encode(int32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static void push_kind(vq_ui *ui, int kind, int x, int y)
{
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = kind;
	in.x = x;
	in.y = y;
	ui_push(ui, &in);
}

static void push_text(vq_ui *ui, int kind, const char *text, size_t len)
{
	vq_input in;
	memset(&in, 0, sizeof in);
	in.kind = kind;
	memcpy(in.text, text, len);
	ui_push(ui, &in);
}

static int tap(vq_ui *ui, const vq_script_step *st, int x, int y)
{
	if (x < 0 || y < 0 || x >= ui->w || y >= ui->h) {
		ui_set_error(ui, "%s:%d: tap %d %d is outside the %dx%d frame", ui->script->name,
		             st->line, x, y, ui->w, ui->h);
		return VQ_EINVAL;
	}
	push_kind(ui, VQ_IN_PRESS, x, y);
	push_kind(ui, VQ_IN_TAP, x, y);
	return VQ_OK;
}

int ui_replay_step(vq_ui *ui, uint64_t now_ticks)
{
	if (ui->script_done) {
		push_kind(ui, VQ_IN_QUIT, 0, 0);
		return VQ_OK;
	}
	if (ui->wait_until) {
		if (now_ticks < (uint64_t)ui->wait_until)
			return VQ_OK;
		ui->wait_until = 0;
		push_kind(ui, VQ_IN_NONE, 0, 0);
		return VQ_OK;
	}
	while (ui->step < ui->script->n) {
		const vq_script_step *st = &ui->script->steps[ui->step++];
		const vq_rect *r;
		char buf[4];
		switch (st->op) {
		case VQ_STEP_TAP:
			return tap(ui, st, st->x, st->y);
		case VQ_STEP_TAP_ID:
			r = ui_find_hit(ui, st->arg);
			if (!r) {
				ui_set_error(ui,
				             "%s:%d: tap_id %s: no button with that id on screen",
				             ui->script->name, st->line, st->arg);
				return VQ_EINVAL;
			}
			return tap(ui, st, r->x + r->w / 2, r->y + r->h / 2);
		case VQ_STEP_KEY:
			if (key_types(st->key)) {
				push_text(ui, VQ_IN_TEXT, buf, utf8_encode(st->key, buf));
			} else {
				vq_input in;
				memset(&in, 0, sizeof in);
				in.kind = VQ_IN_KEY;
				in.key = st->key;
				ui_push(ui, &in);
			}
			return VQ_OK;
		case VQ_STEP_TEXT:
		case VQ_STEP_SCAN:
			push_text(ui, st->op == VQ_STEP_TEXT ? VQ_IN_TEXT : VQ_IN_SCAN, st->arg,
			          strlen(st->arg));
			return VQ_OK;
		case VQ_STEP_WAIT:
			if (ui->virtual_clock || st->ms == 0) {
				if (ui->virtual_clock)
					ui->vclock_ms += st->ms;
				push_kind(ui, VQ_IN_NONE, 0, 0);
			} else {
				ui->wait_until = (int64_t)now_ticks + st->ms;
			}
			return VQ_OK;
		case VQ_STEP_SCREENSHOT:
			if (vq_ui_screenshot(ui, st->arg) != VQ_OK) {
				char why[sizeof ui->err];
				snprintf(why, sizeof why, "%s", ui->err);
				ui_set_error(ui, "%s:%d: %s", ui->script->name, st->line, why);
				return VQ_ESTORE;
			}
			continue;
		case VQ_STEP_CLOCK:
			if (!ui->virtual_clock)
				continue;
			if (st->ms < ui->vclock_ms) {
				ui_set_error(ui, "%s:%d: clock may not go back", ui->script->name,
				             st->line);
				return VQ_EINVAL;
			}
			ui->vclock_ms = st->ms;
			push_kind(ui, VQ_IN_NONE, 0, 0);
			return VQ_OK;
		}
	}
	ui->script_done = 1;
	push_kind(ui, VQ_IN_QUIT, 0, 0);
	return VQ_OK;
}
