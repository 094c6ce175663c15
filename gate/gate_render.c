/* gate/gate_render.c — vq-gate's screens (see gate_render.h).
 *
 * Owns the words of each verdict and where everything is drawn; reads only the gate's view,
 * its site state and its layout (gate_layout_get), the same rectangles taps are tested
 * against. Sizes scale with the frame's height (designed at 1280 x 800). Every text box
 * shrinks its text to fit, and whatever still does not fit is counted, not hidden.
 */
#include "gate/gate_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock/timefmt.h"
#include "ui/text.h"

#define DESIGN_H 800

void gate_fmt_time(const char *zone, int64_t unix_s, char *out, size_t outlen)
{
	char hm[VQ_TIME_HHMM_MAX];
	vq_time_hhmm(zone, unix_s, hm);
	snprintf(out, outlen, "%s", hm);
}

/* The site's zone as the sitestate knows it; NULL (UTC, said so) before it is known. */
static const char *zone_of(const vq_sitestate *ss)
{
	const vq_site_view *sv = ss ? vq_sitestate_site(ss) : NULL;
	return sv && sv->timezone[0] ? sv->timezone : NULL;
}

static void fmt(const vq_i18n *t, const char *lang, const char *key, char *out, size_t len,
                const vq_i18n_arg *args, size_t nargs)
{
	vq_i18n_format(t, lang, key, args, nargs, out, len);
}

static void fmt_n(const vq_i18n *t, const char *lang, const char *key, long n, char *out,
                  size_t len)
{
	char num[24];
	snprintf(num, sizeof num, "%ld", n);
	vq_i18n_arg a = {"n", num};
	fmt(t, lang, key, out, len, &a, 1);
}

static int lang_index(const vq_sitestate *ss, const char *lang)
{
	int i = ss ? vq_sitestate_lang(ss, lang) : -1;
	return i < 0 ? 0 : i;
}

static const char *tier_name(const vq_sitestate *ss, const char *lang, const char *tier)
{
	int ti = ss && tier[0] ? vq_sitestate_tier(ss, tier) : -1;
	if (ti < 0)
		return tier;
	const vq_site_view *sv = vq_sitestate_site(ss);
	int li = lang_index(ss, lang);
	if (sv->tier_names[ti][li][0])
		return sv->tier_names[ti][li];
	return sv->tier_names[ti][0][0] ? sv->tier_names[ti][0] : tier;
}

static const char *attr_name(const vq_sitestate *ss, const char *lang, const char *id)
{
	const vq_attr_view *a = ss && id[0] ? vq_sitestate_find(ss, id) : NULL;
	return a ? vq_sitestate_attr_name(ss, a, lang_index(ss, lang)) : id;
}

/* "Ticket C-005 · Tier: Gold" and friends, joined by a middle dot that a no-break space
 * ties to the part before it, so a wrapped line never starts with the dot. */
static void join(char *out, size_t len, const char *part)
{
	if (!part[0])
		return;
	size_t n = strlen(out);
	snprintf(out + n, len - n, "%s%s", n ? "\u00a0· " : "", part);
}

void gate_verdict_text(const gate_verdict *v, const vq_i18n *t, const char *lang,
                       const vq_sitestate *ss, gate_text *out)
{
	char a[GATE_TEXT_MAX], b[GATE_TEXT_MAX], tm1[VQ_TIME_HHMM_MAX], tm2[VQ_TIME_HHMM_MAX];
	memset(out, 0, sizeof *out);
	out->fg = VQ_COL_WHITE;

	/* who the ticket is for: number, party, tier, window */
	if (v->number[0]) {
		vq_i18n_arg arg = {"number", v->number};
		fmt(t, lang, "gate_number", a, sizeof a, &arg, 1);
		join(out->detail, sizeof out->detail, a);
	}
	if (v->tier[0]) {
		vq_i18n_arg arg = {"tier", tier_name(ss, lang, v->tier)};
		fmt(t, lang, "tier", a, sizeof a, &arg, 1);
		join(out->detail, sizeof out->detail, a);
	}

	if (v->admit) {
		out->bg = VQ_COL_OK;
		snprintf(out->headline, sizeof out->headline, "%s",
		         vq_i18n_get(t, lang, "gate_admit_big"));
		if (v->party > 0)
			fmt_n(t, lang, "gate_party", v->party, out->big, sizeof out->big);
		if (v->override) {
			snprintf(out->extra, sizeof out->extra, "%s",
			         vq_i18n_get(t, lang, "gate_override_done"));
			if (v->pending)
				join(out->extra, sizeof out->extra,
				     vq_i18n_get(t, lang, "gate_override_pending"));
		} else if (v->anytime) {
			snprintf(out->extra, sizeof out->extra, "%s",
			         vq_i18n_get(t, lang, "gate_anytime_admit"));
		}
		if (v->access && !v->override)
			join(out->extra, sizeof out->extra,
			     vq_i18n_get(t, lang, "gate_access_admit"));
		if (v->offline && !v->override)
			snprintf(out->note, sizeof out->note, "%s",
			         vq_i18n_get(t, lang, "gate_offline_checked"));
		return;
	}

	out->bg = VQ_COL_ERROR;
	snprintf(out->headline, sizeof out->headline, "%s",
	         vq_i18n_get(t, lang, "gate_refuse_big"));
	switch (v->reason) {
	case GATE_R_TOO_EARLY: {
		gate_fmt_time(zone_of(ss), v->from, tm1, sizeof tm1);
		vq_i18n_arg arg = {"time", tm1};
		fmt(t, lang, "gate_too_early", out->big, sizeof out->big, &arg, 1);
		break;
	}
	case GATE_R_EXPIRED:
		if (v->until > 0) {
			gate_fmt_time(zone_of(ss), v->until, tm1, sizeof tm1);
			vq_i18n_arg arg = {"time", tm1};
			fmt(t, lang, "gate_expired_at", out->big, sizeof out->big, &arg, 1);
		} else {
			snprintf(out->big, sizeof out->big, "%s",
			         vq_i18n_get(t, lang, "gate_expired"));
		}
		break;
	case GATE_R_USED: {
		gate_fmt_time(zone_of(ss), v->used_at, tm1, sizeof tm1);
		vq_i18n_arg args[2] = {{"time", tm1},
		                       {"gate", v->used_gate[0] ? v->used_gate : "?"}};
		fmt(t, lang, "gate_already_used", out->big, sizeof out->big, args, 2);
		break;
	}
	case GATE_R_WRONG_ATTR: {
		vq_i18n_arg arg = {"attraction", attr_name(ss, lang, v->ticket_attr)};
		fmt(t, lang, "gate_wrong_attraction", out->big, sizeof out->big, &arg, 1);
		break;
	}
	case GATE_R_OTHER: {
		vq_i18n_arg arg = {"reason", v->error[0] ? v->error : "?"};
		fmt(t, lang, "gate_refused_other", out->big, sizeof out->big, &arg, 1);
		break;
	}
	default: {
		static const char *const keys[GATE_R_COUNT] = {
		    [GATE_R_FORGED] = "gate_forged",
		    [GATE_R_UNKNOWN_KEY] = "gate_unknown_key",
		    [GATE_R_CLOSED] = "gate_attraction_closed",
		    [GATE_R_CANCELLED] = "gate_cancelled",
		    [GATE_R_UNKNOWN_TICKET] = "gate_unknown_ticket",
		    [GATE_R_NO_KEYS] = "gate_no_keys",
		    [GATE_R_CANNOT_RECORD] = "gate_cannot_record",
		    [GATE_R_NOT_OURS] = "gate_not_ours",
		};
		const char *k = v->reason > 0 && v->reason < GATE_R_COUNT && keys[v->reason]
		                    ? keys[v->reason]
		                    : "gate_forged";
		snprintf(out->big, sizeof out->big, "%s", vq_i18n_get(t, lang, k));
		break;
	}
	}
	if (v->reason == GATE_R_NOT_OURS && v->code[0]) {
		/* what the scanner read, so staff see it was, say, the park ticket */
		char read[40];
		snprintf(read, sizeof read, "%.24s%s", v->code, strlen(v->code) > 24 ? "…" : "");
		vq_i18n_arg arg = {"code", read};
		fmt(t, lang, "gate_read", out->detail, sizeof out->detail, &arg, 1);
	}
	if (v->party > 0) {
		fmt_n(t, lang, "gate_party", v->party, b, sizeof b);
		join(out->detail, sizeof out->detail, b);
	}
	if (v->win_start > 0 && v->win_end > 0 &&
	    (v->reason == GATE_R_TOO_EARLY || v->reason == GATE_R_EXPIRED)) {
		gate_fmt_time(zone_of(ss), v->win_start, tm1, sizeof tm1);
		gate_fmt_time(zone_of(ss), v->win_end, tm2, sizeof tm2);
		vq_i18n_arg args[2] = {{"start", tm1}, {"end", tm2}};
		fmt(t, lang, "gate_window", out->extra, sizeof out->extra, args, 2);
	}
	if (v->offline)
		snprintf(out->note, sizeof out->note, "%s",
		         vq_i18n_get(t, lang, "gate_offline_decided"));
}

void gate_merge_text(const vq_attr_view *a, const vq_i18n *t, const char *lang, char *ratio,
                     char *backlog, char *phase, size_t len)
{
	ratio[0] = backlog[0] = phase[0] = '\0';
	if (!a || !a->known || !a->has_merge) {
		snprintf(ratio, len, "%s", vq_i18n_get(t, lang, "gate_merge_none"));
		return;
	}
	char f[16], s[16], n[16], m[16];
	snprintf(f, sizeof f, "%d", a->merge_fast);
	snprintf(s, sizeof s, "%d", a->merge_standby);
	if (a->merge_standby == 0) {
		snprintf(ratio, len, "%s", vq_i18n_get(t, lang, "gate_merge_fast_only"));
	} else {
		vq_i18n_arg args[2] = {{"fast", f}, {"standby", s}};
		vq_i18n_format(t, lang, "gate_merge_ratio", args, 2, ratio, len);
	}
	snprintf(n, sizeof n, "%d", a->backlog);
	snprintf(m, sizeof m, "%d", a->backlog_min);
	vq_i18n_arg bl[2] = {{"n", n}, {"min", m}};
	vq_i18n_format(t, lang, "gate_merge_backlog", bl, 2, backlog, len);
	if (a->merge_phase > 0)
		fmt_n(t, lang, "gate_merge_phase", a->merge_phase, phase, len);
}

/* --- the display list -------------------------------------------------------------- */

struct pen {
	vq_view *v;
	int h;
};

static int S(const struct pen *p, int px)
{
	int v = px * p->h / DESIGN_H;
	return v < VQ_TEXT_PX_MIN ? VQ_TEXT_PX_MIN : v > VQ_TEXT_PX_MAX ? VQ_TEXT_PX_MAX : v;
}

static void text(struct pen *p, vq_rect box, const char *role, int px, int bold, vq_color c,
                 int align, int valign, const char *s)
{
	if (!s || !s[0] || box.w <= 0 || box.h <= 0)
		return;
	vq_view_text(p->v, box, role, s, S(p, px), bold, c, align)->valign = valign;
}

static void fill(struct pen *p, vq_rect r, int radius, vq_color c)
{
	vq_view_fill(p->v, r, c, radius);
}

static vq_rect inset(vq_rect r, int dx, int dy)
{
	return (vq_rect){r.x + dx, r.y + dy, r.w - 2 * dx, r.h - 2 * dy};
}

static void draw_header(struct pen *p, const gate *g, const gate_layout *lay)
{
	const gate_view *v = gate_view_get(g);
	const vq_sitestate *ss = gate_sitestate(g);
	const vq_i18n *t = gate_i18n(g);
	vq_rect h = lay->header;
	int pad = h.w / 50;
	fill(p, h, 0, VQ_COL_PRIMARY);

	char line[GATE_TEXT_MAX], tm[VQ_TIME_HHMM_MAX];
	vq_rect left = {pad, h.y, h.w * 48 / 100, h.h * 62 / 100};
	text(p, left, "header.attraction", 38, 1, VQ_COL_WHITE, VQ_ALIGN_LEFT, VQ_VALIGN_BOTTOM,
	     attr_name(ss, v->lang, v->attraction));
	vq_i18n_arg arg = {"gate", v->gate_id};
	vq_i18n_format(t, v->lang, "gate_gate", &arg, 1, line, sizeof line);
	text(p, (vq_rect){pad, h.y + left.h, left.w, h.h - left.h}, "header.gate", 22, 0,
	     VQ_COL_WHITE, VQ_ALIGN_LEFT, VQ_VALIGN_TOP, line);

	/* online or not, and what waits to be synced */
	vq_rect pill = {h.w * 52 / 100, h.y + h.h / 6, h.w * 32 / 100, h.h * 2 / 3};
	vq_color bg = VQ_COL_OK, fg = VQ_COL_WHITE;
	if (v->mode == GATE_ONLINE) {
		snprintf(line, sizeof line, "%s", vq_i18n_get(t, v->lang, "gate_online"));
	} else if (v->unreachable) {
		bg = VQ_COL_WARN;
		fg = VQ_COL_INK;
		snprintf(line, sizeof line, "%s", vq_i18n_get(t, v->lang, "gate_unreachable"));
	} else if (!v->heard && v->mode == GATE_OFF_BUS && !v->have_keys) {
		bg = VQ_COL_LIGHT;
		fg = VQ_COL_INK;
		snprintf(line, sizeof line, "%s", vq_i18n_get(t, v->lang, "gate_connecting"));
	} else {
		bg = VQ_COL_WARN;
		fg = VQ_COL_INK;
		snprintf(line, sizeof line, "%s", vq_i18n_get(t, v->lang, "offline"));
	}
	if (v->pending > 0) {
		char n[GATE_TEXT_MAX];
		fmt_n(t, v->lang, "gate_to_sync", v->pending, n, sizeof n);
		join(line, sizeof line, n);
	}
	if (v->clock_skew_min) {
		/* offline verdicts go by this clock: it must be the park's */
		char n[16], msg[GATE_TEXT_MAX];
		snprintf(n, sizeof n, "%+d", v->clock_skew_min);
		vq_i18n_arg mins = {"minutes", n};
		vq_i18n_format(t, v->lang, "clock_differs", &mins, 1, msg, sizeof msg);
		join(line, sizeof line, msg);
		bg = VQ_COL_WARN;
		fg = VQ_COL_INK;
	}
	fill(p, pill, pill.h / 2, bg);
	text(p, inset(pill, pill.h / 3, 0), "header.status", 28, 1, fg, VQ_ALIGN_CENTER,
	     VQ_VALIGN_MIDDLE, line);

	gate_fmt_time(gate_zone(g), v->now_ms / 1000, tm, sizeof tm);
	text(p, (vq_rect){pill.x + pill.w + pad, h.y, h.w - pill.x - pill.w - 2 * pad, h.h},
	     "header.clock", 44, 1, VQ_COL_WHITE, VQ_ALIGN_RIGHT, VQ_VALIGN_MIDDLE, tm);
}

static void draw_banner(struct pen *p, const gate *g, const gate_layout *lay)
{
	const gate_view *v = gate_view_get(g);
	const vq_i18n *t = gate_i18n(g);
	if (!v->notice.kind || lay->banner.h <= 0)
		return;
	const gate_notice *n = &v->notice;
	fill(p, lay->banner, 0, VQ_COL_WARN);
	char line[GATE_TEXT_MAX * 2], tm[VQ_TIME_HHMM_MAX], num[GATE_NUMBER_MAX + 24];
	if (n->number[0])
		snprintf(num, sizeof num, "%s", n->number);
	else
		snprintf(num, sizeof num, "#%llu", (unsigned long long)n->ticket);
	if (n->kind == GATE_NOTICE_CONFLICT) {
		gate_fmt_time(gate_zone(g), n->other_at, tm, sizeof tm);
		vq_i18n_arg args[3] = {{"number", num}, {"gate", n->other_gate}, {"time", tm}};
		vq_i18n_format(t, v->lang, "gate_conflict", args, 3, line, sizeof line);
	} else if (n->kind == GATE_NOTICE_SYNC_REFUSED) {
		vq_i18n_arg args[2] = {{"number", num}, {"reason", n->error}};
		vq_i18n_format(t, v->lang, "gate_sync_refused", args, 2, line, sizeof line);
	} else {
		snprintf(line, sizeof line, "%s", vq_i18n_get(t, v->lang, "gate_journal_error"));
	}
	int pad = lay->banner.w / 50;
	vq_rect box = {pad, lay->banner.y, lay->notice_ok.x - 2 * pad, lay->banner.h};
	text(p, box, "banner", 28, 1, VQ_COL_INK, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, line);
}

static void draw_ready(struct pen *p, const gate *g, vq_rect m)
{
	const gate_view *v = gate_view_get(g);
	const vq_i18n *t = gate_i18n(g);
	int pad = m.w / 25;
	text(p, (vq_rect){pad, m.y + m.h / 10, m.w - 2 * pad, m.h * 30 / 100}, "ready.title", 84, 1,
	     VQ_COL_INK, VQ_ALIGN_CENTER, VQ_VALIGN_MIDDLE, vq_i18n_get(t, v->lang, "gate_scan"));
	text(p, (vq_rect){pad, m.y + m.h * 42 / 100, m.w - 2 * pad, m.h * 12 / 100}, "ready.hint",
	     32, 0, VQ_COL_MUTED, VQ_ALIGN_CENTER, VQ_VALIGN_MIDDLE,
	     vq_i18n_get(t, v->lang, "gate_scan_or_type"));
	vq_rect field = {pad * 2, m.y + m.h * 60 / 100, m.w - 4 * pad, m.h * 22 / 100};
	fill(p, field, S(p, 12), VQ_COL_LIGHT);
	if (v->entry[0]) {
		char line[VQ_INPUT_TEXT_MAX + 32];
		vq_i18n_arg arg = {"code", v->entry};
		vq_i18n_format(t, v->lang, "gate_typed", &arg, 1, line, sizeof line);
		text(p, inset(field, S(p, 16), S(p, 8)), "ready.typed", 30, 0, VQ_COL_INK,
		     VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, line);
	}
}

static void draw_verdict(struct pen *p, const gate *g, vq_rect m)
{
	const gate_view *v = gate_view_get(g);
	gate_text tx;
	gate_verdict_text(&v->verdict, gate_i18n(g), v->lang, gate_sitestate(g), &tx);
	fill(p, m, 0, tx.bg);
	int pad = m.w / 30;
	int note_h = tx.note[0] ? m.h * 14 / 100 : 0;
	vq_rect body = {pad, m.y, m.w - 2 * pad, m.h - note_h};
	text(p, (vq_rect){body.x, body.y + body.h * 4 / 100, body.w, body.h * 34 / 100},
	     "verdict.headline", 130, 1, tx.fg, VQ_ALIGN_CENTER, VQ_VALIGN_MIDDLE, tx.headline);
	text(p, (vq_rect){body.x, body.y + body.h * 38 / 100, body.w, body.h * 26 / 100},
	     "verdict.reason", 64, 1, tx.fg, VQ_ALIGN_CENTER, VQ_VALIGN_MIDDLE, tx.big);
	text(p, (vq_rect){body.x, body.y + body.h * 64 / 100, body.w, body.h * 17 / 100},
	     "verdict.detail", 38, 0, tx.fg, VQ_ALIGN_CENTER, VQ_VALIGN_MIDDLE, tx.detail);
	text(p, (vq_rect){body.x, body.y + body.h * 81 / 100, body.w, body.h * 17 / 100},
	     "verdict.extra", 32, 0, tx.fg, VQ_ALIGN_CENTER, VQ_VALIGN_MIDDLE, tx.extra);
	if (note_h) {
		vq_rect strip = {0, m.y + m.h - note_h, m.w, note_h};
		fill(p, strip, 0, VQ_COL_WARN);
		text(p, inset(strip, pad, 0), "verdict.note", 30, 1, VQ_COL_INK, VQ_ALIGN_CENTER,
		     VQ_VALIGN_MIDDLE, tx.note);
	}
}

static void draw_override(struct pen *p, const gate *g, vq_rect m)
{
	const gate_view *v = gate_view_get(g);
	const vq_i18n *t = gate_i18n(g);
	int pad = m.w / 50;
	int title_h = m.h * 16 / 100, row_h = m.h * 22 / 100, gap = m.h * 3 / 100;
	char sub[GATE_TEXT_MAX];
	if (v->ov_code[0] && v->ov_number[0]) {
		vq_i18n_arg arg = {"number", v->ov_number};
		vq_i18n_format(t, v->lang, "gate_number", &arg, 1, sub, sizeof sub);
	} else if (v->ov_code[0]) {
		snprintf(sub, sizeof sub, "%s", vq_i18n_get(t, v->lang, "gate_override_code"));
	} else {
		snprintf(sub, sizeof sub, "%s", vq_i18n_get(t, v->lang, "gate_override_no_code"));
	}
	text(p, (vq_rect){pad, m.y, m.w * 55 / 100, title_h}, "override.title", 40, 1, VQ_COL_INK,
	     VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, vq_i18n_get(t, v->lang, "gate_override_title"));
	text(p, (vq_rect){m.w * 57 / 100, m.y, m.w * 43 / 100 - pad, title_h}, "override.ticket",
	     28, 0, VQ_COL_MUTED, VQ_ALIGN_RIGHT, VQ_VALIGN_MIDDLE, sub);
	int ty = m.y + title_h + 2 * (row_h + gap) + gap;
	int tw = m.w * 28 / 100;
	vq_rect field = {pad, ty, m.w - 3 * pad - tw, row_h};
	fill(p, field, S(p, 12), VQ_COL_LIGHT);
	if (v->entry[0])
		text(p, inset(field, S(p, 16), S(p, 6)), "override.typed", 30, 0, VQ_COL_INK,
		     VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, v->entry);
	else
		text(p, inset(field, S(p, 16), S(p, 6)), "override.hint", 26, 0, VQ_COL_MUTED,
		     VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE,
		     vq_i18n_get(t, v->lang, "gate_override_choose"));
}

/* The accessibility pass: the guest's card (scanned or typed), the party, and why the last
 * one was not issued. */
static void draw_access(struct pen *p, const gate *g, vq_rect m)
{
	const gate_view *v = gate_view_get(g);
	const vq_i18n *t = gate_i18n(g);
	int pad = m.w / 50;
	text(p, (vq_rect){pad, m.y, m.w - 2 * pad, m.h * 16 / 100}, "access.title", 40, 1,
	     VQ_COL_INK, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE,
	     vq_i18n_get(t, v->lang, "gate_access_title"));
	vq_rect field = {pad, m.y + m.h * 18 / 100, m.w - 2 * pad, m.h * 18 / 100};
	fill(p, field, S(p, 12), VQ_COL_LIGHT);
	if (v->entry[0])
		text(p, inset(field, S(p, 16), S(p, 6)), "access.typed", 30, 0, VQ_COL_INK,
		     VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, v->entry);
	else
		text(p, inset(field, S(p, 16), S(p, 6)), "access.hint", 26, 0, VQ_COL_MUTED,
		     VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, vq_i18n_get(t, v->lang, "gate_access_hint"));
	char line[GATE_TEXT_MAX];
	fmt_n(t, v->lang, "gate_party", v->acc_party, line, sizeof line);
	text(p, (vq_rect){pad, m.y + m.h * 40 / 100, m.w - 2 * pad, m.h * 16 / 100}, "access.party",
	     30, 1, VQ_COL_INK, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, line);
	const char *msg = NULL;
	vq_color c = VQ_COL_ERROR;
	if (v->acc_busy) {
		msg = vq_i18n_get(t, v->lang, "gate_checking");
		c = VQ_COL_INK;
	} else if (v->acc_held[0]) {
		vq_i18n_arg arg = {"number", v->acc_held};
		vq_i18n_format(t, v->lang, "gate_access_held", &arg, 1, line, sizeof line);
		msg = line;
	} else if (!strcmp(v->acc_error, "offline")) {
		msg = vq_i18n_get(t, v->lang, "gate_access_offline");
	} else if (v->acc_error[0]) {
		vq_i18n_arg arg = {"error", v->acc_error};
		vq_i18n_format(t, v->lang, "gate_access_error", &arg, 1, line, sizeof line);
		msg = line;
	}
	text(p, (vq_rect){pad, m.y + m.h * 80 / 100, m.w - 2 * pad, m.h * 18 / 100}, "access.error",
	     28, 1, c, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, msg);
}

/* The pass as the guest takes it: marked as a pass, its number, return time and QR. */
static void draw_pass(struct pen *p, const gate *g, vq_rect m)
{
	const gate_view *v = gate_view_get(g);
	const vq_i18n *t = gate_i18n(g);
	const gate_pass *ps = &v->pass;
	int pad = m.w / 50, qr = m.h - 2 * pad;
	int tw = m.w - qr - 3 * pad;
	char line[GATE_TEXT_MAX], t1[VQ_TIME_HHMM_MAX], t2[VQ_TIME_HHMM_MAX];
	fill(p, (vq_rect){0, m.y, tw + 2 * pad, m.h}, 0, VQ_COL_PRIMARY);
	text(p, (vq_rect){pad, m.y + m.h * 2 / 100, tw, m.h * 18 / 100}, "pass.kind", 40, 1,
	     VQ_COL_WHITE, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE,
	     vq_i18n_get(t, v->lang, "gate_access_pass"));
	vq_i18n_arg num = {"number", ps->number};
	vq_i18n_format(t, v->lang, "gate_number", &num, 1, line, sizeof line);
	text(p, (vq_rect){pad, m.y + m.h * 22 / 100, tw, m.h * 24 / 100}, "pass.number", 64, 1,
	     VQ_COL_WHITE, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, line);
	gate_fmt_time(zone_of(gate_sitestate(g)), ps->start, t1, sizeof t1);
	gate_fmt_time(zone_of(gate_sitestate(g)), ps->end, t2, sizeof t2);
	vq_i18n_arg win[2] = {{"time", t1}, {"end", t2}};
	vq_i18n_format(t, v->lang, "gate_access_return", win, 2, line, sizeof line);
	text(p, (vq_rect){pad, m.y + m.h * 48 / 100, tw, m.h * 18 / 100}, "pass.window", 34, 1,
	     VQ_COL_WHITE, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, line);
	fmt_n(t, v->lang, "gate_party", ps->party, line, sizeof line);
	text(p, (vq_rect){pad, m.y + m.h * 66 / 100, tw, m.h * 14 / 100}, "pass.party", 30, 0,
	     VQ_COL_WHITE, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, line);
	text(p, (vq_rect){pad, m.y + m.h * 82 / 100, tw, m.h * 16 / 100}, "pass.show", 24, 0,
	     VQ_COL_WHITE, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE,
	     vq_i18n_get(t, v->lang, "gate_access_show"));
	if (ps->code[0])
		vq_view_qr(p->v, (vq_rect){m.w - pad - qr, m.y + pad, qr, qr}, "pass.qr", ps->code);
}

static void draw_footer(struct pen *p, const gate *g, const gate_layout *lay)
{
	const gate_view *v = gate_view_get(g);
	const vq_i18n *t = gate_i18n(g);
	const vq_sitestate *ss = gate_sitestate(g);
	fill(p, lay->footer, 0, VQ_COL_WHITE);
	fill(p, (vq_rect){0, lay->footer.y, lay->footer.w, S(p, 3)}, 0, VQ_COL_MUTED);

	/* merge guidance */
	char ratio[GATE_TEXT_MAX], backlog[GATE_TEXT_MAX], phase[GATE_TEXT_MAX];
	gate_merge_text(vq_sitestate_find(ss, v->attraction), t, v->lang, ratio, backlog, phase,
	                sizeof ratio);
	vq_rect mg = lay->merge;
	fill(p, mg, S(p, 12), VQ_COL_LIGHT);
	vq_rect in = inset(mg, S(p, 14), S(p, 8));
	text(p, (vq_rect){in.x, in.y, in.w, in.h * 22 / 100}, "merge.label", 22, 0, VQ_COL_MUTED,
	     VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, vq_i18n_get(t, v->lang, "gate_merge"));
	text(p, (vq_rect){in.x, in.y + in.h * 22 / 100, in.w, in.h * 42 / 100}, "merge.ratio", 36,
	     1, VQ_COL_INK, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, ratio);
	if (phase[0])
		join(backlog, sizeof backlog, phase);
	text(p, (vq_rect){in.x, in.y + in.h * 64 / 100, in.w, in.h * 36 / 100}, "merge.backlog", 24,
	     0, VQ_COL_INK, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, backlog);

	/* the shift's counters */
	const gate_counters *c = &v->counters;
	char row[3][GATE_TEXT_MAX], breakdown[GATE_TEXT_MAX * 2] = "", part[GATE_TEXT_MAX];
	for (int i = 0; i < 3; i++)
		row[i][0] = '\0';
	fmt_n(t, v->lang, "gate_count_admitted", c->admitted, part, sizeof part);
	join(row[0], sizeof row[0], part);
	fmt_n(t, v->lang, "gate_count_offline", c->offline, part, sizeof part);
	join(row[0], sizeof row[0], part);
	fmt_n(t, v->lang, "gate_count_refused", c->refused, part, sizeof part);
	join(row[1], sizeof row[1], part);
	fmt_n(t, v->lang, "gate_count_overrides", c->overrides, part, sizeof part);
	join(row[1], sizeof row[1], part);
	fmt_n(t, v->lang, "gate_count_conflicts", c->conflicts + c->sync_refused, part,
	      sizeof part);
	join(row[2], sizeof row[2], part);
	static const struct {
		int reason;
		const char *key;
	} rs[] = {{GATE_R_TOO_EARLY, "gate_rs_too_early"}, {GATE_R_EXPIRED, "gate_rs_expired"},
	          {GATE_R_USED, "gate_rs_used"},           {GATE_R_FORGED, "gate_rs_forged"},
	          {GATE_R_NOT_OURS, "gate_rs_not_ours"},   {GATE_R_WRONG_ATTR, "gate_rs_wrong"},
	          {GATE_R_CLOSED, "gate_rs_closed"}};
	int other = c->refused;
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
		int n = c->by_reason[rs[i].reason];
		other -= n;
		if (!n)
			continue;
		fmt_n(t, v->lang, rs[i].key, n, part, sizeof part);
		join(breakdown, sizeof breakdown, part);
	}
	if (other > 0) {
		fmt_n(t, v->lang, "gate_rs_other", other, part, sizeof part);
		join(breakdown, sizeof breakdown, part);
	}
	vq_rect cr = lay->counters;
	vq_color conflict = c->conflicts + c->sync_refused ? VQ_COL_ERROR : VQ_COL_INK;
	for (int i = 0; i < 3; i++)
		text(p, (vq_rect){cr.x, cr.y + cr.h * i * 21 / 100, cr.w, cr.h * 21 / 100}, "count",
		     25, 1, i == 2 ? conflict : VQ_COL_INK, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE,
		     row[i]);
	text(p, (vq_rect){cr.x, cr.y + cr.h * 63 / 100, cr.w, cr.h * 37 / 100}, "count.reasons", 21,
	     0, VQ_COL_MUTED, VQ_ALIGN_LEFT, VQ_VALIGN_MIDDLE, breakdown);
}

void gate_view_build(const gate *g, vq_view *out)
{
	const gate_view *v = gate_view_get(g);
	const vq_i18n *t = gate_i18n(g);
	gate_layout lay;
	gate_layout_get(g, &lay);
	int w = lay.header.w, h = lay.footer.y + lay.footer.h;
	vq_view_reset(out, w, h);
	struct pen p = {out, h};
	fill(&p, (vq_rect){0, 0, w, h}, 0, VQ_COL_WHITE);
	draw_header(&p, g, &lay);
	draw_banner(&p, g, &lay);
	switch (v->screen) {
	case GATE_SCREEN_CHECKING:
		fill(&p, lay.main, 0, VQ_COL_LIGHT);
		text(&p, lay.main, "checking", 72, 1, VQ_COL_INK, VQ_ALIGN_CENTER, VQ_VALIGN_MIDDLE,
		     vq_i18n_get(t, v->lang, "gate_checking"));
		break;
	case GATE_SCREEN_VERDICT:
		draw_verdict(&p, g, lay.main);
		break;
	case GATE_SCREEN_OVERRIDE:
		draw_override(&p, g, lay.main);
		break;
	case GATE_SCREEN_ACCESS:
		draw_access(&p, g, lay.main);
		break;
	case GATE_SCREEN_PASS:
		draw_pass(&p, g, lay.main);
		break;
	default:
		draw_ready(&p, g, lay.main);
		break;
	}
	draw_footer(&p, g, &lay);
	/* the buttons, as gate_buttons hit-tests them; buttons that do one kind of thing
	 * share a role (and so a label size) */
	vq_button bs[16];
	int n = gate_buttons(g, bs, 16);
	for (int i = 0; i < n; i++) {
		const char *role = !strncmp(bs[i].id, "ov-", 3)           ? "button.reason"
		                   : !strncmp(bs[i].id, "acc-party-", 10) ? "button.party"
		                                                          : "button";
		vq_el *e =
		    vq_view_button(out, bs[i].r, bs[i].id, role, bs[i].label, bs[i].bg, bs[i].fg);
		e->px = bs[i].px;
		e->pressed = bs[i].pressed;
		e->disabled = bs[i].disabled;
	}
}

int gate_render(const gate *g, vq_ui *ui, int *clipped)
{
	vq_view *v = malloc(sizeof *v);
	if (!v)
		return VQ_ENOMEM;
	gate_view_build(g, v);
	vq_view_stats st;
	int rc = vq_view_draw(ui, v, 0, 0, &st);
	if (clipped)
		*clipped = st.clipped + st.midword;
	free(v);
	return rc;
}
