/* tools/vqctl/csv.c — members CSV to checked members, and the members_import body.
 *
 * Strict on purpose: a member file is usually an export from another system, and a
 * silently guessed field (a stray quote, a third column) would give a guest the wrong
 * tier at a kiosk. So anything not clearly "card,tier" is a bad line with a reason,
 * and the operator decides (fix the file, or --skip-bad). See csv.h.
 */
#include "tools/vqctl/csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Fields longer than this are kept cut short; their full length is still counted so
 * the message can say how long they were. Far above the longest valid field. */
#define FIELD_MAX 128

typedef struct field {
	char s[FIELD_MAX];
	size_t len; /* full length, even when s was cut */
} field;

static void put(field *f, char c)
{
	if (f->len < FIELD_MAX - 1)
		f->s[f->len] = c;
	f->len++;
}

static void end_field(field *f)
{
	f->s[f->len < FIELD_MAX - 1 ? f->len : FIELD_MAX - 1] = '\0';
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return VQ_OK;
	size_t nc = *cap ? *cap * 2 : 256;
	while (nc < need)
		nc *= 2;
	void *np = realloc(*p, nc * size);
	if (!np)
		return VQ_ENOMEM;
	*p = np;
	*cap = nc;
	return VQ_OK;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
add_bad(vqctl_members *m, unsigned line, const char *fmt, ...)
{
	m->nbad++;
	if (m->nbad_kept >= VQCTL_BAD_KEEP)
		return VQ_OK;
	if (!m->bad && !(m->bad = malloc(VQCTL_BAD_KEEP * sizeof *m->bad)))
		return VQ_ENOMEM;
	vqctl_bad_line *b = &m->bad[m->nbad_kept++];
	b->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->why, sizeof b->why, fmt, ap);
	va_end(ap);
	return VQ_OK;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits one line (without its line end) into fields, keeping the first maxf. Returns
 * the number of fields, or -1 with the reason in why. */
static int split(const char *p, const char *e, field *f, int maxf, char *why, size_t whylen)
{
	int nf = 0;
	field spare;
	for (;;) {
		field *cur = nf < maxf ? &f[nf] : &spare;
		cur->len = 0;
		while (p < e && blank(*p))
			p++;
		if (p < e && *p == '"') {
			for (p++;; p++) {
				if (p >= e) {
					snprintf(why, whylen, "field %d: quote not closed", nf + 1);
					return -1;
				}
				if (*p == '"') {
					if (p + 1 < e && p[1] == '"') {
						put(cur, '"');
						p++;
						continue;
					}
					p++;
					break;
				}
				put(cur, *p);
			}
			while (p < e && blank(*p))
				p++;
			if (p < e && *p != ',') {
				snprintf(why, whylen, "field %d: text after the closing quote",
				         nf + 1);
				return -1;
			}
		} else {
			const char *s = p;
			while (p < e && *p != ',') {
				if (*p == '"') {
					snprintf(
					    why, whylen,
					    "field %d: a quote inside an unquoted field (quote the "
					    "whole field, and double the quote)",
					    nf + 1);
					return -1;
				}
				p++;
			}
			const char *t = p;
			while (t > s && blank(t[-1]))
				t--;
			for (; s < t; s++)
				put(cur, *s);
		}
		end_field(cur);
		nf++;
		if (p >= e)
			return nf;
		p++; /* the comma */
	}
}

/* Checks one record's card and tier; on success writes the member (tier lowercased). */
static bool check_member(const field *card, field *tier, char *why, size_t whylen)
{
	if (card->len == 0) {
		snprintf(why, whylen, "empty card");
		return false;
	}
	if (card->len > VQCTL_CARD_MAX - 1) {
		snprintf(why, whylen, "card is %zu characters long (at most %d)", card->len,
		         VQCTL_CARD_MAX - 1);
		return false;
	}
	if (!vqctl_valid_card(card->s)) {
		snprintf(why, whylen, "card '%.40s' %s", card->s,
		         (card->s[0] == ' ' || card->s[card->len - 1] == ' ')
		             ? "starts or ends with a space"
		             : "has a character that is not printable ASCII");
		return false;
	}
	if (tier->len == 0) {
		snprintf(why, whylen, "empty tier");
		return false;
	}
	/* tier ids are lowercase, so 'Gold' can only mean 'gold' */
	for (char *c = tier->s; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (tier->len > VQ_ID_MAX - 1 || !vqctl_valid_id(tier->s)) {
		snprintf(why, whylen,
		         "tier '%.40s' is not a tier id (letters, digits, '_', '-'; at most %d)",
		         tier->s, VQ_ID_MAX - 1);
		return false;
	}
	return true;
}

static int by_line(const void *a, const void *b)
{
	const vqctl_bad_line *x = a, *y = b;
	return (x->line > y->line) - (x->line < y->line);
}

static int by_card(const void *a, const void *b)
{
	const vqctl_member *x = *(const vqctl_member *const *)a;
	const vqctl_member *y = *(const vqctl_member *const *)b;
	int c = strcmp(x->card, y->card);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Keeps the members whose keep flag is set, in their order. */
static void compact(vqctl_members *m, const unsigned char *keep)
{
	size_t w = 0;
	for (size_t r = 0; r < m->n; r++)
		if (keep[r])
			m->v[w++] = m->v[r];
	m->n = w;
}

/* A card listed twice with one tier is harmless and sent once. With two tiers the file
 * contradicts itself: every line of that card is bad, since we cannot tell which is
 * right. */
static int dedup(vqctl_members *m)
{
	if (m->n < 2)
		return VQ_OK;
	int rc = VQ_ENOMEM;
	const vqctl_member **idx = malloc(m->n * sizeof *idx);
	unsigned char *keep = malloc(m->n);
	if (!idx || !keep)
		goto cleanup;
	for (size_t i = 0; i < m->n; i++) {
		idx[i] = &m->v[i];
		keep[i] = 1;
	}
	qsort(idx, m->n, sizeof *idx, by_card);
	for (size_t g = 0; g < m->n;) {
		size_t end = g + 1;
		bool conflict = false;
		while (end < m->n && !strcmp(idx[end]->card, idx[g]->card)) {
			conflict |= strcmp(idx[end]->tier, idx[g]->tier) != 0;
			end++;
		}
		for (size_t k = g; k < end; k++) {
			const vqctl_member *me = idx[k];
			if (conflict) {
				size_t o = g;
				while (!strcmp(idx[o]->tier, me->tier))
					o++;
				if (add_bad(m, me->line,
				            "card '%.40s' has tier '%s' here, '%s' on line %u",
				            me->card, me->tier, idx[o]->tier,
				            idx[o]->line) != VQ_OK)
					goto cleanup;
				keep[me - m->v] = 0;
			} else if (k > g) {
				m->duplicates++;
				keep[me - m->v] = 0;
			}
		}
		g = end;
	}
	compact(m, keep);
	rc = VQ_OK;
cleanup:
	free(idx);
	free(keep);
	return rc;
}

int vqctl_csv_parse(const char *buf, size_t len, vqctl_members *out)
{
	memset(out, 0, sizeof *out);
	const char *p = buf, *end = buf + len;
	unsigned line = 0;
	bool seen_record = false;
	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3; /* spreadsheets write a UTF-8 BOM */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;
		line++;
		if (e > p && e[-1] == '\r')
			e--;
		const char *s = p;
		p = next;
		while (s < e && blank(*s))
			s++;
		if (s == e || *s == '#')
			continue;
		char why[sizeof out->bad->why];
		field f[2];
		int nf;
		if (memchr(s, '\0', (size_t)(e - s))) {
			snprintf(why, sizeof why, "NUL byte (is this a text file?)");
			nf = -1;
		} else {
			nf = split(s, e, f, 2, why, sizeof why);
		}
		bool first = !seen_record;
		seen_record = true;
		if (nf == 2 && first && !strcasecmp(f[0].s, "card") &&
		    !strcasecmp(f[1].s, "tier")) {
			out->header = true;
			continue;
		}
		if (nf >= 0 && nf != 2)
			snprintf(why, sizeof why, "expected 2 fields (card,tier), found %d", nf);
		if (nf != 2 || !check_member(&f[0], &f[1], why, sizeof why)) {
			if (add_bad(out, line, "%s", why) != VQ_OK)
				goto nomem;
			continue;
		}
		if (grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v) != VQ_OK)
			goto nomem;
		vqctl_member *m = &out->v[out->n++];
		/* check_member bounded both lengths */
		memcpy(m->card, f[0].s, f[0].len + 1);
		memcpy(m->tier, f[1].s, f[1].len + 1);
		m->line = line;
	}
	if (dedup(out) != VQ_OK)
		goto nomem;
	if (out->nbad_kept > 1)
		qsort(out->bad, out->nbad_kept, sizeof *out->bad, by_line);
	return VQ_OK;
nomem:
	vqctl_members_free(out);
	return VQ_ENOMEM;
}

void vqctl_members_check_tiers(vqctl_members *m, const char *const *tiers, size_t ntiers)
{
	char list[256] = "";
	size_t used = 0;
	for (size_t t = 0; t < ntiers && used < sizeof list; t++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", t ? ", " : "",
		                         tiers[t]);
	size_t w = 0;
	for (size_t r = 0; r < m->n; r++) {
		size_t t = 0;
		while (t < ntiers && strcmp(m->v[r].tier, tiers[t]) != 0)
			t++;
		if (t < ntiers) {
			m->v[w++] = m->v[r];
			continue;
		}
		/* out of memory for the message: the count still says the line is bad */
		(void)add_bad(m, m->v[r].line, "unknown tier '%s' (this site has: %s)",
		              m->v[r].tier, list);
	}
	m->n = w;
	if (m->nbad_kept > 1)
		qsort(m->bad, m->nbad_kept, sizeof *m->bad, by_line);
}

void vqctl_members_free(vqctl_members *m)
{
	free(m->v);
	free(m->bad);
	memset(m, 0, sizeof *m);
}

cJSON *vqctl_import_request(const vqctl_member *m, size_t n, const char *rid)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr;
	if (!o || !cJSON_AddNumberToObject(o, "v", 1) || !cJSON_AddStringToObject(o, "rid", rid) ||
	    !cJSON_AddStringToObject(o, "cmd", "members_import") ||
	    !(arr = cJSON_AddArrayToObject(o, "members")))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		if (!e)
			goto fail;
		cJSON_AddItemToArray(arr, e);
		if (!cJSON_AddStringToObject(e, "card", m[i].card) ||
		    !cJSON_AddStringToObject(e, "tier", m[i].tier))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}
