/* ui/i18n.c — translation tables (see i18n.h).
 *
 * Owns one table per language: its entries sorted by key (byte order) for binary search,
 * every key and value a valid UTF-8 copy. Languages are sorted English first. A loaded
 * vq_i18n never changes, so lookups may run from any thread.
 */
#include "ui/i18n.h"

#include "core/mem.h"
#include "ui/file.h"
#include "ui/utf8.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_MAX    8  /* "xxx-XXX" and the NUL */
#define NAME_MAX_PH 32 /* placeholder name, bytes */
#define MAX_PH      16 /* placeholders compared in one string */

struct entry {
	char *key;
	char *val;
};

struct lang {
	char code[CODE_MAX];
	struct entry *e;
	size_t n;
};

struct vq_i18n {
	struct lang langs[VQ_I18N_MAX_LANGS];
	size_t n;
};

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

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = vq_malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static void lang_clear(struct lang *l)
{
	for (size_t i = 0; i < l->n; i++) {
		vq_free(l->e[i].key);
		vq_free(l->e[i].val);
	}
	vq_free(l->e);
	l->e = NULL;
	l->n = 0;
}

void vq_i18n_free(vq_i18n *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		lang_clear(&t->langs[i]);
	vq_free(t);
}

/* [a-z]{2,3}(-[A-Z0-9]{2,3})? */
static int code_ok(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] >= 'a' && s[i] <= 'z')
		i++;
	if (i < 2 || i > 3)
		return 0;
	if (i == n)
		return 1;
	if (s[i] != '-')
		return 0;
	size_t j = ++i;
	while (j < n && ((s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')))
		j++;
	return j == n && j - i >= 2 && j - i <= 3;
}

static int cmp_code(const void *a, const void *b)
{
	const struct lang *x = a, *y = b;
	int xe = strcmp(x->code, VQ_I18N_FALLBACK) == 0,
	    ye = strcmp(y->code, VQ_I18N_FALLBACK) == 0;
	if (xe != ye)
		return ye - xe;
	return strcmp(x->code, y->code);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static int load_lang(const char *dir, struct lang *l, char *err, size_t errlen)
{
	char path[4096];
	char *text = NULL;
	size_t len = 0;
	cJSON *root = NULL;
	snprintf(path, sizeof path, "%s/%s.json", dir, l->code);
	int rc = ui_read_file(path, VQ_I18N_MAX_BYTES, &text, &len, err, errlen);
	if (rc != VQ_OK)
		return rc;
	rc = VQ_ECONFIG;
	root = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(root)) {
		put_err(err, errlen, "%s: not a JSON object", path);
		goto cleanup;
	}
	size_t count = (size_t)cJSON_GetArraySize(root);
	l->e = vq_calloc(count ? count : 1, sizeof *l->e);
	if (!l->e) {
		rc = VQ_ENOMEM;
		put_err(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	for (const cJSON *it = root->child; it; it = it->next) {
		const char *k = it->string;
		if (!k || !*k || !vq_utf8_valid(k, strlen(k)) || !cJSON_IsString(it) ||
		    !vq_utf8_valid(it->valuestring, strlen(it->valuestring))) {
			put_err(err, errlen,
			        "%s: key \"%.60s\": want a non-empty key and a UTF-8 string", path,
			        k ? k : "");
			goto cleanup;
		}
		struct entry *e = &l->e[l->n];
		e->key = dup_str(k);
		e->val = dup_str(it->valuestring);
		l->n++;
		if (!e->key || !e->val) {
			rc = VQ_ENOMEM;
			put_err(err, errlen, "%s: out of memory", path);
			goto cleanup;
		}
	}
	qsort(l->e, l->n, sizeof *l->e, cmp_entry);
	for (size_t i = 1; i < l->n; i++) {
		if (strcmp(l->e[i - 1].key, l->e[i].key) == 0) {
			put_err(err, errlen, "%s: key \"%.60s\" appears twice", path, l->e[i].key);
			goto cleanup;
		}
	}
	rc = VQ_OK;
cleanup:
	if (rc != VQ_OK)
		lang_clear(l);
	cJSON_Delete(root);
	vq_free(text);
	return rc;
}

int vq_i18n_load(const char *dir, vq_i18n **out, char *err, size_t errlen)
{
	if (!dir || !out) {
		put_err(err, errlen, "no folder");
		return VQ_EINVAL;
	}
	int rc = VQ_ENOMEM;
	vq_i18n *t = vq_calloc(1, sizeof *t);
	if (!t) {
		put_err(err, errlen, "out of memory");
		return VQ_ENOMEM;
	}
	DIR *d = opendir(dir);
	if (!d) {
		put_err(err, errlen, "%s: %s", dir, strerror(errno));
		rc = VQ_ENOTFOUND;
		goto fail;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0 ||
		    !code_ok(de->d_name, n - 5))
			continue;
		if (t->n == VQ_I18N_MAX_LANGS) {
			put_err(err, errlen, "%s: more than %d languages", dir, VQ_I18N_MAX_LANGS);
			rc = VQ_ETOOBIG;
			closedir(d);
			goto fail;
		}
		memcpy(t->langs[t->n].code, de->d_name, n - 5);
		t->langs[t->n].code[n - 5] = '\0';
		t->n++;
	}
	closedir(d);
	/* Sorted now, so the file read first, and any message, is the same everywhere. */
	qsort(t->langs, t->n, sizeof t->langs[0], cmp_code);
	if (t->n == 0 || strcmp(t->langs[0].code, VQ_I18N_FALLBACK) != 0) {
		put_err(err, errlen, "%s: no %s.json", dir, VQ_I18N_FALLBACK);
		rc = VQ_ENOTFOUND;
		goto fail;
	}
	for (size_t i = 0; i < t->n; i++)
		if ((rc = load_lang(dir, &t->langs[i], err, errlen)) != VQ_OK)
			goto fail;
	*out = t;
	return VQ_OK;
fail:
	vq_i18n_free(t);
	return rc;
}

size_t vq_i18n_lang_count(const vq_i18n *t)
{
	return t ? t->n : 0;
}

const char *vq_i18n_lang_at(const vq_i18n *t, size_t i)
{
	return t && i < t->n ? t->langs[i].code : NULL;
}

static const struct lang *find_lang(const vq_i18n *t, const char *code, size_t n)
{
	for (size_t i = 0; t && code && i < t->n; i++)
		if (strlen(t->langs[i].code) == n && memcmp(t->langs[i].code, code, n) == 0)
			return &t->langs[i];
	return NULL;
}

int vq_i18n_has_lang(const vq_i18n *t, const char *lang)
{
	return lang && find_lang(t, lang, strlen(lang)) != NULL;
}

static const char *lookup(const struct lang *l, const char *key)
{
	if (!l)
		return NULL;
	struct entry want = {(char *)key, NULL};
	const struct entry *e = bsearch(&want, l->e, l->n, sizeof *l->e, cmp_entry);
	return e ? e->val : NULL;
}

const char *vq_i18n_get(const vq_i18n *t, const char *lang, const char *key)
{
	if (!key)
		return "";
	const char *v = NULL;
	if (lang) {
		v = lookup(find_lang(t, lang, strlen(lang)), key);
		const char *dash = strchr(lang, '-');
		if (!v && dash)
			v = lookup(find_lang(t, lang, (size_t)(dash - lang)), key);
	}
	if (!v)
		v = lookup(find_lang(t, VQ_I18N_FALLBACK, strlen(VQ_I18N_FALLBACK)), key);
	return v ? v : key;
}

/* If s starts a placeholder "{name}" with name [a-z0-9_]{1,NAME_MAX_PH}, returns the
 * name's length (its bytes start at s + 1); else 0. */
static size_t placeholder(const char *s)
{
	if (*s != '{')
		return 0;
	size_t n = strspn(s + 1, "abcdefghijklmnopqrstuvwxyz0123456789_");
	return n > 0 && n <= NAME_MAX_PH && s[1 + n] == '}' ? n : 0;
}

/* Appends src[0..n) to out, cutting between characters if it does not fit. */
static int append(char *out, size_t outlen, size_t *o, const char *src, size_t n)
{
	size_t room = outlen - 1 - *o;
	size_t take = n <= room ? n : vq_utf8_prefix(src, n, room);
	memcpy(out + *o, src, take);
	*o += take;
	out[*o] = '\0';
	return take == n;
}

int vq_i18n_format(const vq_i18n *t, const char *lang, const char *key, const vq_i18n_arg *args,
                   size_t nargs, char *out, size_t outlen)
{
	if (!out || outlen == 0 || (nargs && !args))
		return VQ_EINVAL;
	const char *s = vq_i18n_get(t, lang, key);
	size_t o = 0;
	out[0] = '\0';
	while (*s) {
		size_t n = placeholder(s);
		const char *val = NULL;
		for (size_t i = 0; n && i < nargs; i++)
			if (args[i].name && args[i].value && strlen(args[i].name) == n &&
			    memcmp(args[i].name, s + 1, n) == 0)
				val = args[i].value;
		int ok;
		if (val) {
			ok = append(out, outlen, &o, val, strlen(val));
			s += n + 2;
		} else {
			/* Copy up to the next brace: a lone '{' or an unknown name stays as is. */
			size_t run = 1 + strcspn(s + 1, "{");
			ok = append(out, outlen, &o, s, run);
			s += run;
		}
		if (!ok)
			return VQ_ETOOBIG;
	}
	return VQ_OK;
}

size_t vq_i18n_key_count(const vq_i18n *t, const char *lang)
{
	const struct lang *l = lang ? find_lang(t, lang, strlen(lang)) : NULL;
	return l ? l->n : 0;
}

const char *vq_i18n_key_at(const vq_i18n *t, const char *lang, size_t i)
{
	const struct lang *l = lang ? find_lang(t, lang, strlen(lang)) : NULL;
	return l && i < l->n ? l->e[i].key : NULL;
}

/* The placeholders of s as a sorted, de-duplicated list of "name" strings in buf. */
static size_t placeholders(const char *s, char names[MAX_PH][NAME_MAX_PH + 1])
{
	size_t k = 0;
	for (; *s; s++) {
		size_t n = placeholder(s);
		if (!n)
			continue;
		char name[NAME_MAX_PH + 1];
		memcpy(name, s + 1, n);
		name[n] = '\0';
		size_t i = 0;
		while (i < k && strcmp(names[i], name) < 0)
			i++;
		if ((i == k || strcmp(names[i], name) != 0) && k < MAX_PH) {
			memmove(names[i + 1], names[i], (k - i) * sizeof names[0]);
			memcpy(names[i], name, n + 1);
			k++;
		}
		s += n + 1;
	}
	return k;
}

int vq_i18n_check(const vq_i18n *t, char *err, size_t errlen)
{
	if (!t || t->n == 0)
		return VQ_EINVAL;
	const struct lang *en = &t->langs[0];
	for (size_t li = 1; li < t->n; li++) {
		const struct lang *l = &t->langs[li];
		for (size_t i = 0; i < l->n; i++) {
			if (!lookup(en, l->e[i].key)) {
				put_err(err, errlen, "%s: key %s is not in English", l->code,
				        l->e[i].key);
				return VQ_ECONFIG;
			}
		}
		for (size_t i = 0; i < en->n; i++) {
			const char *v = lookup(l, en->e[i].key);
			if (!v) {
				put_err(err, errlen, "%s: missing key %s", l->code, en->e[i].key);
				return VQ_ECONFIG;
			}
			char a[MAX_PH][NAME_MAX_PH + 1], b[MAX_PH][NAME_MAX_PH + 1];
			size_t na = placeholders(en->e[i].val, a), nb = placeholders(v, b);
			int same = na == nb;
			for (size_t j = 0; same && j < na; j++)
				same = strcmp(a[j], b[j]) == 0;
			if (!same) {
				put_err(err, errlen,
				        "%s: %s: its {placeholders} differ from English", l->code,
				        en->e[i].key);
				return VQ_ECONFIG;
			}
		}
	}
	return VQ_OK;
}
