/* display/display_voice.c — a board's announcements from the state it follows (see
 * display_voice.h).
 *
 * Owns what each attraction last looked like to the announcer (open or not, its last
 * reopening, the end of its admitting window) and the tickets lately called. Invariants:
 * an announcement comes only from a difference between two states of one attraction that
 * both arrived, or from a new admission at a service desk; the memory is updated whether
 * or not anything is said (quiet hours), so the hours do not store up a backlog.
 */
#include "display/display_voice.h"

#include "clock/timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seen {
	char id[VQ_ID_MAX];
	int open;
	int64_t reopened_at;
	int64_t admitting_end;
};

struct board_voice {
	board_voice_opts o;
	char langs[VQ_SPEECH_PARTS_MAX][VQ_LANG_MAX];
	char (*attrs)[VQ_ID_MAX];
	struct seen seen[BOARD_VOICE_ATTRS_MAX];
	int nseen;
	uint64_t called[BOARD_VOICE_CALLED]; /* a ring of the latest */
	int ncalled, next_called;
};

int board_voice_new(const board_voice_opts *o, board_voice **out)
{
	if (!o || !out || !o->i18n || o->nlangs < 1 || o->nlangs > VQ_SPEECH_PARTS_MAX ||
	    o->nattrs < 0 || o->quiet_from < 0 || o->quiet_from >= 1440 || o->quiet_until < 0 ||
	    o->quiet_until >= 1440)
		return VQ_EINVAL;
	board_voice *v = calloc(1, sizeof *v);
	if (!v)
		return VQ_ENOMEM;
	v->o = *o;
	for (int i = 0; i < o->nlangs; i++) {
		if (!o->langs[i] || !*o->langs[i]) {
			free(v);
			return VQ_EINVAL;
		}
		snprintf(v->langs[i], sizeof v->langs[i], "%s", o->langs[i]);
		v->o.langs[i] = v->langs[i];
	}
	if (o->nattrs > 0) {
		v->attrs = calloc((size_t)o->nattrs, sizeof *v->attrs);
		if (!v->attrs) {
			free(v);
			return VQ_ENOMEM;
		}
		for (int i = 0; i < o->nattrs; i++)
			snprintf(v->attrs[i], sizeof v->attrs[i], "%s",
			         o->attrs[i] ? o->attrs[i] : "");
	}
	v->o.attrs = NULL;
	*out = v;
	return VQ_OK;
}

void board_voice_free(board_voice *v)
{
	if (!v)
		return;
	free(v->attrs);
	free(v);
}

static int quiet(const board_voice *v, int local_min)
{
	int f = v->o.quiet_from, u = v->o.quiet_until;
	if (f == u)
		return 0;
	return f < u ? local_min >= f && local_min < u : local_min >= f || local_min < u;
}

static int ours(const board_voice *v, const char *id)
{
	if (v->o.nattrs == 0)
		return 1;
	for (int i = 0; i < v->o.nattrs; i++)
		if (strcmp(v->attrs[i], id) == 0)
			return 1;
	return 0;
}

static struct seen *seen_find(board_voice *v, const char *id)
{
	for (int i = 0; i < v->nseen; i++)
		if (strcmp(v->seen[i].id, id) == 0)
			return &v->seen[i];
	return NULL;
}

/* Fills a with key in every language; args name the attraction ("name") and more. */
static void compose(const board_voice *v, const vq_sitestate *ss, const vq_attr_view *a,
                    const char *kind, const char *key, const vq_i18n_arg *more, size_t nmore,
                    board_announcement *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->kind, sizeof out->kind, "%s", kind);
	snprintf(out->attr, sizeof out->attr, "%s", a->id);
	for (int i = 0; i < v->o.nlangs; i++) {
		int li = vq_sitestate_lang(ss, v->langs[i]);
		const char *name = vq_sitestate_attr_name(ss, a, li >= 0 ? li : 0);
		vq_i18n_arg args[4] = {{"name", name && *name ? name : a->id}};
		for (size_t k = 0; k < nmore && k < 3; k++)
			args[1 + k] = more[k];
		snprintf(out->lang[i], sizeof out->lang[i], "%s", v->langs[i]);
		vq_i18n_format(v->o.i18n, v->langs[i], key, args, 1 + (nmore < 3 ? nmore : 3),
		               out->text[i], sizeof out->text[i]);
	}
	out->nparts = v->o.nlangs;
}

int board_voice_state(board_voice *v, const vq_sitestate *ss, int local_min,
                      board_announcement *out, int max)
{
	int n = 0, hush = quiet(v, local_min);
	for (int i = 0; i < vq_sitestate_attr_count(ss); i++) {
		const vq_attr_view *a = vq_sitestate_attr(ss, i);
		if (!a->known || !ours(v, a->id))
			continue;
		struct seen *s = seen_find(v, a->id);
		if (!s) {
			if (v->nseen == BOARD_VOICE_ATTRS_MAX)
				continue;
			s = &v->seen[v->nseen++];
			snprintf(s->id, sizeof s->id, "%s", a->id);
			s->open = a->open;
			s->reopened_at = a->reopened_at;
			s->admitting_end = a->admitting.start ? a->admitting.end : 0;
			continue; /* first sight: learned, not announced */
		}
		int64_t end = a->admitting.start ? a->admitting.end : 0;
		const char *kind = NULL, *key = NULL;
		vq_i18n_arg arg;
		char t[VQ_TIME_HHMM_MAX] = "";
		size_t nargs = 0;
		if (s->open && !a->open) {
			kind = "closed";
			key = "voice_closed";
		} else if (a->open && (!s->open || a->reopened_at > s->reopened_at)) {
			kind = "reopened";
			key = "voice_reopened";
		} else if (a->open && s->open && s->admitting_end > 0 && end > s->admitting_end) {
			/* what the board shows as "up to": vqd's clock plus the early grace */
			int64_t early = a->has_rules ? (int64_t)a->early_grace_min * 60 : 0;
			const vq_site_view *site = vq_sitestate_site(ss);
			vq_time_hhmm(site->timezone[0] ? site->timezone : NULL,
			             (a->updated + early) / 60 * 60, t);
			arg = (vq_i18n_arg){"time", t};
			nargs = 1;
			kind = "admitting";
			key = "voice_admitting";
		}
		s->open = a->open;
		s->reopened_at = a->reopened_at;
		s->admitting_end = end;
		if (!kind || hush || n >= max)
			continue;
		compose(v, ss, a, kind, key, nargs ? &arg : NULL, nargs, &out[n++]);
	}
	return n;
}

/* "desk-2" -> "2"; "north" -> "north". */
static void desk_of(const char *gate, char *out, size_t outlen)
{
	size_t n = strlen(gate), k = n;
	while (k > 0 && isdigit((unsigned char)gate[k - 1]))
		k--;
	snprintf(out, outlen, "%s", k < n ? gate + k : gate);
}

/* "H-042" -> "H 42": a short number as people say it. */
static void number_spoken(const char *number, char *out, size_t outlen)
{
	const char *dash = strrchr(number, '-');
	if (!dash || !isdigit((unsigned char)dash[1])) {
		snprintf(out, outlen, "%s", number);
		return;
	}
	long num = strtol(dash + 1, NULL, 10);
	snprintf(out, outlen, "%.*s %ld", (int)(dash - number), number, num);
}

int board_voice_admission(board_voice *v, const vq_sitestate *ss, const char *attr,
                          const char *number, const char *gate, uint64_t ticket, int local_min,
                          board_announcement *out)
{
	if (!attr || !number || !*number || !gate || !ours(v, attr))
		return 0;
	const vq_attr_view *a = vq_sitestate_find(ss, attr);
	if (!a || !a->service)
		return 0;
	for (int i = 0; i < v->ncalled; i++)
		if (v->called[i] == ticket)
			return 0;
	v->called[v->next_called] = ticket;
	v->next_called = (v->next_called + 1) % BOARD_VOICE_CALLED;
	if (v->ncalled < BOARD_VOICE_CALLED)
		v->ncalled++;
	if (quiet(v, local_min))
		return 0;
	char said[32], desk[VQ_ID_MAX];
	number_spoken(number, said, sizeof said);
	desk_of(gate, desk, sizeof desk);
	vq_i18n_arg args[2] = {{"number", said}, {"desk", desk}};
	compose(v, ss, a, "called", "voice_called", args, 2, out);
	return 1;
}

int board_voice_parts(const board_announcement *a, vq_speech_part *parts)
{
	for (int i = 0; i < a->nparts; i++)
		parts[i] = (vq_speech_part){a->lang[i], a->text[i]};
	return a->nparts;
}

int board_voice_parse_quiet(const char *text, int *from, int *until)
{
	int h1, m1, h2, m2;
	char tail;
	if (!text || sscanf(text, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 < 0 ||
	    h1 > 23 || h2 < 0 || h2 > 23 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 ||
	    strlen(text) != 11)
		return VQ_EINVAL;
	*from = h1 * 60 + m1;
	*until = h2 * 60 + m2;
	return VQ_OK;
}
