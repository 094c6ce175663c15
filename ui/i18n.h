/* ui/i18n.h — what the screens say, in every language the site offers.
 *
 * Translations are files <lang>.json in one folder (assets/i18n/): a flat JSON object of
 * key -> UTF-8 string. Lookups fall back from "pt-BR" to "pt", then to English, then to
 * the key itself, so a missing translation shows as English (or the key), never as
 * nothing. Strings may hold {placeholders}, filled from name/value pairs; a placeholder
 * with no value stays as written, so the omission shows. Counts appear after a colon or
 * in parentheses in every language ("Permise: {n}"), because there are no plural rules.
 * Every file's key "lang_name" is the language's own name for itself, for the picker.
 */
#ifndef VQ_UI_I18N_H
#define VQ_UI_I18N_H

#include <stddef.h>

#include "core/vq.h"

#define VQ_I18N_MAX_LANGS 32
#define VQ_I18N_MAX_BYTES (1024 * 1024) /* a file */
#define VQ_I18N_FALLBACK  "en"

typedef struct vq_i18n vq_i18n;

typedef struct vq_i18n_arg {
	const char *name;  /* without braces: "start" fills {start} */
	const char *value; /* UTF-8 */
} vq_i18n_arg;

/* Loads every <lang>.json in dir (lang: 2-3 lower-case letters, optionally "-" and 2
 * upper-case letters or digits). English must be among them. Each value must be a valid
 * UTF-8 string. On error returns VQ_ENOTFOUND (folder or en.json missing), VQ_ECONFIG (a
 * file that is not such an object; err names the file and key), VQ_ETOOBIG or VQ_ENOMEM,
 * and leaves *out alone. */
int vq_i18n_load(const char *dir, vq_i18n **out, char *err, size_t errlen);
void vq_i18n_free(vq_i18n *t); /* NULL is fine */

/* The languages loaded, English first, then in alphabetical order. */
size_t vq_i18n_lang_count(const vq_i18n *t);
const char *vq_i18n_lang_at(const vq_i18n *t, size_t i);  /* NULL past end */
int vq_i18n_has_lang(const vq_i18n *t, const char *lang); /* exactly this one loaded */

/* The string for key in lang, with fallbacks; never NULL (the key itself, at worst). */
const char *vq_i18n_get(const vq_i18n *t, const char *lang, const char *key);

/* vq_i18n_get with {name} replaced by the matching args[i].value, into out. VQ_ETOOBIG if
 * it had to be cut (out still holds a NUL-terminated prefix, cut between characters). */
int vq_i18n_format(const vq_i18n *t, const char *lang, const char *key, const vq_i18n_arg *args,
                   size_t nargs, char *out, size_t outlen);

/* The keys of one language, in byte order, for checks and tests. */
size_t vq_i18n_key_count(const vq_i18n *t, const char *lang);
const char *vq_i18n_key_at(const vq_i18n *t, const char *lang, size_t i); /* NULL past end */

/* Checks every language against English: each English key is present, and each string
 * has the same set of {placeholders} as the English one. VQ_ECONFIG with the first
 * problem ("ru: missing key kiosk_welcome") in err. */
int vq_i18n_check(const vq_i18n *t, char *err, size_t errlen);

#endif
