/* tools/vqctl/table.c — vqctl's output for people: tables, times, progress, replies.
 *
 * Printers are forgiving: a field vqd leaves out prints as "?" rather than failing the
 * command, because the operator's change has already been applied by the time we
 * print. Only a reply missing its whole subject (no "attractions", no "ticket") is an
 * error, and then the caller shows the raw JSON. See table.h.
 */
#include "tools/vqctl/table.h"
#include "core/json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/vq.h"
#include "tools/vqctl/cli.h"

struct vqctl_table {
	size_t ncols;
	char **cells; /* rows * ncols, row-major */
	size_t rows, cap;
	unsigned char *right; /* per column */
};

vqctl_table *vqctl_table_new(size_t ncols)
{
	vqctl_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ncols = ncols;
	t->right = calloc(ncols ? ncols : 1, 1);
	if (!t->right) {
		free(t);
		return NULL;
	}
	return t;
}

int vqctl_table_add(vqctl_table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, nc * t->ncols * sizeof *n);
		if (!n)
			return VQ_ENOMEM;
		t->cells = n;
		t->cap = nc;
	}
	char **row = t->cells + t->rows * t->ncols;
	for (size_t c = 0; c < t->ncols; c++) {
		row[c] = strdup(cells[c] ? cells[c] : "");
		if (!row[c]) {
			while (c-- > 0)
				free(row[c]);
			return VQ_ENOMEM;
		}
	}
	t->rows++;
	return VQ_OK;
}

void vqctl_table_align_right(vqctl_table *t, size_t col)
{
	if (col < t->ncols)
		t->right[col] = 1;
}

/* Terminal columns are characters, not bytes: names may be UTF-8. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

void vqctl_table_print(const vqctl_table *t, FILE *out)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof *w);
	if (!w)
		return;
	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t gap = w[c] - width(s);
			bool last = c + 1 == t->ncols;
			if (c)
				fputs("  ", out);
			if (t->right[c])
				pad(out, gap);
			fputs(s, out);
			if (!t->right[c] && !last)
				pad(out, gap);
		}
		fputc('\n', out);
	}
	free(w);
}

void vqctl_table_free(vqctl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t);
}

void vqctl_hhmm(const char *zone, int64_t t, char out[VQ_TIME_HHMM_MAX])
{
	if (t <= 0) {
		snprintf(out, VQ_TIME_HHMM_MAX, "-");
		return;
	}
	vq_time_hhmm(zone, t, out);
}

void vqctl_progress(char *out, size_t n, size_t done, size_t total, int width_chars)
{
	char bar[128];
	int w = width_chars < 1 ? 1 : width_chars > 120 ? 120 : width_chars;
	size_t filled = total ? done * (size_t)w / total : (size_t)w;
	if (filled > (size_t)w)
		filled = (size_t)w;
	for (int i = 0; i < w; i++)
		bar[i] = (size_t)i < filled ? '#' : '.';
	bar[w] = '\0';
	unsigned pct = total ? (unsigned)(done * 100 / total) : 100;
	snprintf(out, n, "[%s]  %zu/%zu  %u%%", bar, done, total, pct);
}

/* ---- reply printers ---------------------------------------------------------------- */

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static bool num(const cJSON *o, const char *k, int64_t *out)
{
	/* range-checked before any cast (core/json.h) */
	return vq_json_int(get(o, k), INT64_MIN, INT64_MAX, out) == VQ_OK;
}

static const char *str(const cJSON *o, const char *k, const char *dflt)
{
	const cJSON *v = get(o, k);
	return cJSON_IsString(v) ? v->valuestring : dflt;
}

static void fmt_num(const cJSON *o, const char *k, const char *suffix, char *buf, size_t n)
{
	int64_t v;
	if (num(o, k, &v))
		snprintf(buf, n, "%" PRId64 "%s", v, suffix);
	else
		snprintf(buf, n, "?");
}

/* "14:05-15:05" from an object with start and end. */
static void fmt_window(const char *zone, const cJSON *w, const char *from, const char *to,
                       char *buf, size_t n)
{
	int64_t s, e;
	char a[VQ_TIME_HHMM_MAX], b[VQ_TIME_HHMM_MAX];
	if (!cJSON_IsObject(w) || !num(w, from, &s) || !num(w, to, &e)) {
		snprintf(buf, n, "-");
		return;
	}
	vqctl_hhmm(zone, s, a);
	vqctl_hhmm(zone, e, b);
	snprintf(buf, n, "%s-%s", a, b);
}

/* The tiers of the "next" objects, lowest first as vqd lists them; the union over all
 * attractions, so an attraction missing one still lines up. */
static size_t collect_tiers(const cJSON *states, const char **tiers, size_t max)
{
	size_t n = 0;
	const cJSON *st;
	cJSON_ArrayForEach(st, states)
	{
		const cJSON *t;
		cJSON_ArrayForEach(t, get(st, "next"))
		{
			size_t k = 0;
			while (k < n && strcmp(tiers[k], t->string) != 0)
				k++;
			if (k == n && n < max)
				tiers[n++] = t->string;
		}
	}
	return n;
}

static int status_table(FILE *out, const char *zone, const cJSON *states)
{
	const char *tiers[VQ_MAX_TIERS];
	size_t nt = collect_tiers(states, tiers, VQ_MAX_TIERS);
	size_t ncols = 4 + nt;
	int rc = VQ_ENOMEM;
	vqctl_table *t = vqctl_table_new(ncols);
	char up[VQ_MAX_TIERS][VQ_ID_MAX];
	const char *cells[4 + VQ_MAX_TIERS];
	char cell[4 + VQ_MAX_TIERS][64];
	if (!t)
		goto cleanup;
	cells[0] = "ATTRACTION";
	cells[1] = "STATUS";
	for (size_t i = 0; i < nt; i++) {
		size_t k = 0;
		for (; tiers[i][k] && k < sizeof up[i] - 1; k++)
			up[i][k] =
			    (char)(tiers[i][k] >= 'a' && tiers[i][k] <= 'z' ? tiers[i][k] - 32
			                                                    : tiers[i][k]);
		up[i][k] = '\0';
		cells[2 + i] = up[i];
	}
	cells[2 + nt] = "TAKEN/TODAY";
	cells[3 + nt] = "STANDBY";
	if (vqctl_table_add(t, cells) != VQ_OK)
		goto cleanup;
	vqctl_table_align_right(t, 2 + nt);
	vqctl_table_align_right(t, 3 + nt);

	const cJSON *st;
	cJSON_ArrayForEach(st, states)
	{
		for (size_t c = 0; c < ncols; c++)
			cells[c] = cell[c];
		snprintf(cell[0], sizeof cell[0], "%s", str(st, "attraction", "?"));
		const char *status = str(st, "status", "?");
		int64_t at;
		char hm[VQ_TIME_HHMM_MAX];
		if (!strcmp(status, "closed") && num(st, "closed_at", &at) && at > 0) {
			vqctl_hhmm(zone, at, hm);
			snprintf(cell[1], sizeof cell[1], "closed %s", hm);
		} else {
			snprintf(cell[1], sizeof cell[1], "%s", status);
		}
		const cJSON *next = get(st, "next");
		for (size_t i = 0; i < nt; i++) {
			int64_t s;
			const cJSON *w = get(next, tiers[i]);
			/* null: nothing left today for that tier */
			if (cJSON_IsObject(w) && num(w, "start", &s))
				vqctl_hhmm(zone, s, cell[2 + i]);
			else
				snprintf(cell[2 + i], sizeof cell[2 + i], "-");
		}
		const cJSON *cap = get(st, "capacity");
		int64_t taken, today;
		if (num(cap, "taken", &taken) && num(cap, "today", &today))
			snprintf(cell[2 + nt], sizeof cell[2 + nt], "%" PRId64 "/%" PRId64, taken,
			         today);
		else
			snprintf(cell[2 + nt], sizeof cell[2 + nt], "?");
		int64_t sb;
		if (num(st, "standby_min", &sb))
			snprintf(cell[3 + nt], sizeof cell[3 + nt], "%" PRId64 " min", sb);
		else
			snprintf(cell[3 + nt], sizeof cell[3 + nt], "-");
		if (vqctl_table_add(t, cells) != VQ_OK)
			goto cleanup;
	}
	vqctl_table_print(t, out);
	rc = VQ_OK;
cleanup:
	vqctl_table_free(t);
	return rc;
}

/* Key/value lines, nested objects flattened to "a.b". */
static int add_kv(vqctl_table *t, const cJSON *o, const char *prefix)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, o)
	{
		char key[128], val[256];
		if (!prefix[0] && (!strcmp(it->string, "v") || !strcmp(it->string, "rid") ||
		                   !strcmp(it->string, "ok")))
			continue;
		snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", it->string);
		if (cJSON_IsObject(it)) {
			int rc = add_kv(t, it, key);
			if (rc != VQ_OK)
				return rc;
			continue;
		}
		int64_t v;
		if (vq_json_int(it, INT64_MIN, INT64_MAX, &v) == VQ_OK) {
			if (!strcmp(it->string, "uptime_s") && v >= 60)
				snprintf(val, sizeof val,
				         "%" PRId64 " (%" PRId64 "h %02" PRId64 "m)", v, v / 3600,
				         v / 60 % 60);
			else
				snprintf(val, sizeof val, "%" PRId64, v);
		} else if (cJSON_IsString(it)) {
			snprintf(val, sizeof val, "%s", it->valuestring);
		} else {
			char *j = cJSON_PrintUnformatted(it);
			snprintf(val, sizeof val, "%s", j ? j : "?");
			free(j);
		}
		const char *cells[2] = {key, val};
		if (vqctl_table_add(t, cells) != VQ_OK)
			return VQ_ENOMEM;
	}
	return VQ_OK;
}

static int kv_print(FILE *out, const cJSON *o)
{
	vqctl_table *t = vqctl_table_new(2);
	int rc = t ? add_kv(t, o, "") : VQ_ENOMEM;
	if (rc == VQ_OK)
		vqctl_table_print(t, out);
	vqctl_table_free(t);
	return rc;
}

static int ticket_print(FILE *out, const char *zone, const cJSON *tk)
{
	static const char *const shown[] = {
	    "id",      "number",    "attraction",   "tier",       "party",
	    "start",   "end",       "state",        "valid_from", "valid_until",
	    "used_at", "used_gate", "used_offline", "code",       NULL};
	vqctl_table *t = vqctl_table_new(2);
	cJSON *rest = NULL;
	int rc = VQ_ENOMEM;
	char id[64], party[32], win[48], valid[48], used[128], hm[VQ_TIME_HHMM_MAX];
	if (!t)
		goto cleanup;
	int64_t v;
	snprintf(id, sizeof id, "%s", "?");
	if (num(tk, "id", &v))
		snprintf(id, sizeof id, "%" PRId64 "  %s", v, str(tk, "number", ""));
	fmt_num(tk, "party", "", party, sizeof party);
	fmt_window(zone, tk, "start", "end", win, sizeof win);
	const char *rows[][2] = {
	    {"ticket", id},
	    {"attraction", str(tk, "attraction", "?")},
	    {"tier", str(tk, "tier", "?")},
	    {"party", party},
	    {"window", win},
	    {"state", str(tk, "state", "?")},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (vqctl_table_add(t, rows[i]) != VQ_OK)
			goto cleanup;
	if (get(tk, "valid_from")) {
		fmt_window(zone, tk, "valid_from", "valid_until", valid, sizeof valid);
		const char *r[2] = {"valid", valid};
		if (vqctl_table_add(t, r) != VQ_OK)
			goto cleanup;
	}
	if (num(tk, "used_at", &v)) {
		vqctl_hhmm(zone, v, hm);
		snprintf(used, sizeof used, "%s at %s%s", hm, str(tk, "used_gate", "?"),
		         cJSON_IsTrue(get(tk, "used_offline")) ? " (offline)" : "");
		const char *r[2] = {"used", used};
		if (vqctl_table_add(t, r) != VQ_OK)
			goto cleanup;
	}
	/* fields this vqctl does not know yet still show, so nothing is hidden */
	if (!(rest = cJSON_Duplicate(tk, 1)))
		goto cleanup;
	for (size_t i = 0; shown[i]; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(rest, shown[i]);
	if ((rc = add_kv(t, rest, "")) != VQ_OK)
		goto cleanup;
	/* the code goes last: it is long, and a lookup by id may not return it */
	const char *r[2] = {"code", str(tk, "code", NULL)};
	if (r[1] && (rc = vqctl_table_add(t, r)) != VQ_OK)
		goto cleanup;
	vqctl_table_print(t, out);
cleanup:
	cJSON_Delete(rest);
	vqctl_table_free(t);
	return rc;
}

static int keys_print(FILE *out, const cJSON *keys)
{
	vqctl_table *t = vqctl_table_new(3);
	int rc = VQ_ENOMEM;
	const char *head[3] = {"KID", "ACTIVE", "PUBLIC KEY"};
	if (!t || vqctl_table_add(t, head) != VQ_OK)
		goto cleanup;
	vqctl_table_align_right(t, 0);
	const cJSON *k;
	cJSON_ArrayForEach(k, keys)
	{
		char kid[32];
		fmt_num(k, "kid", "", kid, sizeof kid);
		const char *row[3] = {kid, cJSON_IsTrue(get(k, "active")) ? "yes" : "",
		                      str(k, "public_key", "?")};
		if (vqctl_table_add(t, row) != VQ_OK)
			goto cleanup;
	}
	vqctl_table_print(t, out);
	rc = VQ_OK;
cleanup:
	vqctl_table_free(t);
	return rc;
}

static int tiers_print(FILE *out, const cJSON *tiers)
{
	static const char *const head[6] = {"TIER",       "PROTECT %",   "RELEASE MIN",
	                                    "MAX PASSES", "HORIZON MIN", "LATE GRACE MIN"};
	static const char *const field[5] = {"protect_pct", "release_min", "max_passes",
	                                     "horizon_min", "late_grace_min"};
	vqctl_table *t = vqctl_table_new(6);
	int rc = VQ_ENOMEM;
	if (!t || vqctl_table_add(t, head) != VQ_OK)
		goto cleanup;
	for (size_t c = 1; c < 6; c++)
		vqctl_table_align_right(t, c);
	const cJSON *k;
	cJSON_ArrayForEach(k, tiers)
	{
		char v[5][32];
		for (int f = 0; f < 5; f++)
			fmt_num(k, field[f], "", v[f], sizeof v[f]);
		const char *row[6] = {str(k, "id", "?"), v[0], v[1], v[2], v[3], v[4]};
		if (vqctl_table_add(t, row) != VQ_OK)
			goto cleanup;
	}
	vqctl_table_print(t, out);
	rc = VQ_OK;
cleanup:
	vqctl_table_free(t);
	return rc;
}

/* The day's accessibility passes, one a line, in issue order. */
static int passes_print(FILE *out, const char *zone, const cJSON *passes)
{
	static const char *const head[] = {"NUMBER", "ATTRACTION", "PARTY",     "RETURN",
	                                   "UNTIL",  "STATE",      "ISSUED BY", "AT"};
	vqctl_table *t = vqctl_table_new(8);
	int rc = VQ_ENOMEM;
	if (!t || vqctl_table_add(t, head) != VQ_OK)
		goto cleanup;
	vqctl_table_align_right(t, 2);
	const cJSON *p;
	cJSON_ArrayForEach(p, passes)
	{
		char party[32], from[VQ_TIME_HHMM_MAX] = "?", until[VQ_TIME_HHMM_MAX] = "?",
		                at[VQ_TIME_HHMM_MAX] = "?";
		int64_t v;
		fmt_num(p, "party", "", party, sizeof party);
		if (num(p, "start", &v))
			vqctl_hhmm(zone, v, from);
		if (num(p, "end", &v))
			vqctl_hhmm(zone, v, until);
		if (num(p, "issued_at", &v))
			vqctl_hhmm(zone, v, at);
		const char *row[8] = {
		    str(p, "number", "?"), str(p, "attraction", "?"), party, from, until,
		    str(p, "state", "?"),  str(p, "issued_by", "?"),  at};
		if (vqctl_table_add(t, row) != VQ_OK)
			goto cleanup;
	}
	vqctl_table_print(t, out);
	fprintf(out, "%d pass%s\n", cJSON_GetArraySize(passes),
	        cJSON_GetArraySize(passes) == 1 ? "" : "es");
	rc = VQ_OK;
cleanup:
	vqctl_table_free(t);
	return rc;
}

/* Replies that carry one attraction's new state: the status line, then what changed. */
static int state_print(FILE *out, const char *zone, int cmd, const cJSON *reply)
{
	const cJSON *st = get(reply, "state");
	if (!cJSON_IsObject(st))
		return VQ_EBADREQ;
	cJSON *one = cJSON_CreateArray();
	if (!one)
		return VQ_ENOMEM;
	/* a reference, so the reply is not copied or taken apart */
	if (!cJSON_AddItemReferenceToArray(one, (cJSON *)st)) {
		cJSON_Delete(one);
		return VQ_ENOMEM;
	}
	int rc = status_table(out, zone, one);
	cJSON_Delete(one);
	if (rc != VQ_OK)
		return rc;
	char a[32], b[32], c[32];
	int64_t n;
	switch (cmd) {
	case VQCTL_CAPACITY:
		fmt_num(st, "throughput_per_hour", "/h", a, sizeof a);
		fmt_num(st, "fast_share_pct", "%", b, sizeof b);
		fmt_num(st, "overbook_pct", "%", c, sizeof c);
		fprintf(out,
		        "throughput %s, fast share %s, overbooking %s (slots not yet started)\n", a,
		        b, c);
		break;
	case VQCTL_REOPEN:
		if (num(reply, "converted", &n))
			fprintf(out,
			        "%" PRId64
			        " ticket%s caught by the closure became 'any time today'\n",
			        n, n == 1 ? "" : "s");
		break;
	default:
		break;
	}
	return VQ_OK;
}

int vqctl_print_reply(FILE *out, const char *zone, int cmd, const cJSON *reply)
{
	const cJSON *x;
	switch (cmd) {
	case VQCTL_STATUS:
		x = get(reply, "attractions");
		return cJSON_IsArray(x) ? status_table(out, zone, x) : VQ_EBADREQ;
	case VQCTL_CAPACITY:
	case VQCTL_CLOSE:
	case VQCTL_REOPEN:
	case VQCTL_STANDBY:
		return state_print(out, zone, cmd, reply);
	case VQCTL_TICKET:
		x = get(reply, "ticket");
		return cJSON_IsObject(x) ? ticket_print(out, zone, x) : VQ_EBADREQ;
	case VQCTL_KEYS:
		x = get(reply, "keys");
		return cJSON_IsArray(x) ? keys_print(out, x) : VQ_EBADREQ;
	case VQCTL_KEYS_ROTATE: {
		char kid[32];
		if (!get(reply, "kid"))
			return VQ_EBADREQ;
		fmt_num(reply, "kid", "", kid, sizeof kid);
		fprintf(out,
		        "new signing key %s, active now\npublic key  %s\n"
		        "(gates take it from state/_site; older keys still verify)\n",
		        kid, str(reply, "public_key", "?"));
		return VQ_OK;
	}
	case VQCTL_KEYS_RETIRE: {
		char kid[32], n[32];
		if (!get(reply, "kid"))
			return VQ_EBADREQ;
		fmt_num(reply, "kid", "", kid, sizeof kid);
		fmt_num(reply, "tickets", "", n, sizeof n);
		fprintf(out, "key %s retired: gates no longer accept codes signed with it", kid);
		if (strcmp(n, "0") != 0 && strcmp(n, "?") != 0)
			fprintf(out, " (%s unexpired ticket%s among them)", n,
			        strcmp(n, "1") ? "s" : "");
		fprintf(out, "\n");
		return VQ_OK;
	}
	case VQCTL_TIERS:
		x = get(reply, "tiers");
		return cJSON_IsArray(x) ? tiers_print(out, x) : VQ_EBADREQ;
	case VQCTL_TIER: {
		cJSON *one = cJSON_CreateArray();
		x = get(reply, "tier");
		if (!one || !cJSON_IsObject(x)) {
			cJSON_Delete(one);
			return VQ_EBADREQ;
		}
		cJSON_AddItemReferenceToArray(one, (cJSON *)x);
		int rc = tiers_print(out, one);
		cJSON_Delete(one);
		return rc;
	}
	case VQCTL_PASSES:
		x = get(reply, "passes");
		return cJSON_IsArray(x) ? passes_print(out, zone, x) : VQ_EBADREQ;
	case VQCTL_MEMBER:
	case VQCTL_STATS:
		return kv_print(out, reply);
	default:
		return VQ_EINVAL;
	}
}
