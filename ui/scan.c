/* ui/scan.c — telling a barcode scanner from a person at the keyboard (see input.h).
 *
 * Pure: the verdict depends only on the events and the times given. Invariants: buf
 * holds len bytes of text (not NUL-terminated) that arrived with no gap over gap_ms, the
 * last at last_ms; len == 0 means nothing is held. Held text is never dropped, only let
 * go as TEXT or as one SCAN.
 */
#include "ui/input.h"

#include "ui/utf8.h"

#include <string.h>

void vq_scan_init(vq_scan *s, int gap_ms, int min_len)
{
	memset(s, 0, sizeof *s);
	s->gap_ms = gap_ms;
	s->min_len = min_len < 1 ? 1 : min_len;
}

static size_t emit_held(vq_scan *s, int kind, vq_input *out)
{
	if (s->len == 0)
		return 0;
	memset(out, 0, sizeof *out);
	out->kind = kind;
	memcpy(out->text, s->buf, s->len);
	out->text[s->len] = '\0';
	s->len = 0;
	s->chars = 0;
	return 1;
}

static int expired(const vq_scan *s, int64_t t_ms)
{
	return s->len && t_ms - s->last_ms > s->gap_ms;
}

size_t vq_scan_feed(vq_scan *s, const vq_input *in, int64_t t_ms, vq_input *out)
{
	size_t n = 0;
	if (s->gap_ms < 0) {
		out[0] = *in;
		return 1;
	}
	if (expired(s, t_ms))
		n += emit_held(s, VQ_IN_TEXT, &out[n]);
	if (in->kind == VQ_IN_TEXT) {
		size_t tl = strnlen(in->text, sizeof in->text - 1);
		if (tl == 0)
			return n;
		/* More than any code we could hand over whole: it is no scan of ours. */
		if (s->len + tl >= sizeof s->buf)
			n += emit_held(s, VQ_IN_TEXT, &out[n]);
		memcpy(s->buf + s->len, in->text, tl);
		s->len += tl;
		s->chars += vq_utf8_count(in->text, tl);
		s->last_ms = t_ms;
		return n;
	}
	int enter =
	    in->kind == VQ_IN_KEY && (in->key == VQ_KEY_RETURN || in->key == VQ_KEY_KP_ENTER);
	if (enter && s->len && s->chars >= (size_t)s->min_len)
		return n + emit_held(s, VQ_IN_SCAN, &out[n]);
	n += emit_held(s, VQ_IN_TEXT, &out[n]);
	out[n++] = *in;
	return n;
}

size_t vq_scan_tick(vq_scan *s, int64_t now_ms, vq_input *out)
{
	return expired(s, now_ms) ? emit_held(s, VQ_IN_TEXT, out) : 0;
}

int64_t vq_scan_deadline(const vq_scan *s)
{
	return s->len ? s->last_ms + s->gap_ms + 1 : INT64_MAX;
}
