/* coordinator/config.c — see config.h. Overrides go through the same parser as the file,
 * so an operator's change is held to every rule a config must pass (nested protection,
 * ranges) and is refused with the same precise message. */
#include "coordinator/config.h"
#include "core/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX (4u << 20)

const char *const vqd_tier_fields[] = {"protect_pct", "release_min",    "max_passes",
                                       "horizon_min", "late_grace_min", NULL};

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(CONFIG_MAX + 1);
	size_t n = buf ? fread(buf, 1, CONFIG_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > CONFIG_MAX) {
		snprintf(err, errlen, "%s: %s", path, buf ? "too large" : "out of memory");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Whether an override is one a tier may have: a known field with an integer value. */
static int field_ok(const cJSON *f)
{
	int64_t v;
	for (int i = 0; vqd_tier_fields[i]; i++)
		if (strcmp(f->string, vqd_tier_fields[i]) == 0)
			return vq_json_int(f, INT64_MIN, INT64_MAX, &v) == VQ_OK;
	return 0;
}

/* Sets the overridden fields on the matching tiers of the config document. Overrides are
 * read as strictly as a request: each tier's entry is an object of known integer fields. */
static int apply(cJSON *doc, const char *overrides, char *err, size_t errlen)
{
	cJSON *ov = NULL;
	vq_json_error je;
	if (vq_json_parse(overrides, strlen(overrides), 0, &ov, &je) != VQ_OK ||
	    !cJSON_IsObject(ov)) {
		char why[160] = "not a JSON object";
		if (!ov)
			vq_json_error_text(&je, NULL, why, sizeof why);
		snprintf(err, errlen, "tier overrides: %s", why);
		cJSON_Delete(ov);
		return -1;
	}
	cJSON *tiers = cJSON_GetObjectItemCaseSensitive(doc, "tiers");
	const cJSON *t;
	cJSON_ArrayForEach(t, ov)
	{
		const cJSON *f;
		int ok = cJSON_IsObject(t);
		cJSON_ArrayForEach(f, t) ok = ok && field_ok(f);
		if (!ok) {
			snprintf(err, errlen,
			         "tier overrides: %.40s: expected an object of integer rules",
			         t->string);
			cJSON_Delete(ov);
			return -1;
		}
		cJSON *target = NULL, *it;
		cJSON_ArrayForEach(it, tiers)
		{
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
			if (cJSON_IsString(id) && strcmp(id->valuestring, t->string) == 0)
				target = it;
		}
		if (!cJSON_IsObject(target))
			continue; /* a tier the file no longer has: its overrides lapse */
		cJSON_ArrayForEach(f, t)
		{
			cJSON *copy = cJSON_Duplicate(f, 1);
			if (!copy)
				continue; /* the parse below names what is then missing */
			if (cJSON_GetObjectItemCaseSensitive(target, f->string))
				cJSON_ReplaceItemInObjectCaseSensitive(target, f->string, copy);
			else if (!cJSON_AddItemToObject(target, f->string, copy))
				cJSON_Delete(copy);
		}
	}
	cJSON_Delete(ov);
	return 0;
}

int vqd_config_load(const char *path, const char *overrides, vq_site **out, char *err,
                    size_t errlen)
{
	size_t len = 0;
	char *text = read_file(path, &len, err, errlen);
	if (!text)
		return VQ_ECONFIG;
	int rc;
	char perr[256];
	if (!overrides || !*overrides) {
		rc = vq_site_parse(text, len, out, perr, sizeof perr);
	} else {
		cJSON *doc = NULL;
		char *merged = NULL;
		/* strict, so trailing data or a duplicate key cannot hide behind the merge */
		if (vq_json_parse(text, len, VQ_JSON_BOM, &doc, NULL) != VQ_OK)
			doc = NULL;
		if (!doc || apply(doc, overrides, perr, sizeof perr) != 0 ||
		    !(merged = cJSON_PrintUnformatted(doc))) {
			if (!doc)
				rc = vq_site_parse(text, len, out, perr, sizeof perr);
			else
				rc = VQ_ECONFIG;
		} else {
			rc = vq_site_parse(merged, strlen(merged), out, perr, sizeof perr);
		}
		free(merged);
		cJSON_Delete(doc);
	}
	if (rc != VQ_OK)
		snprintf(err, errlen, "%s: %s", path, perr);
	free(text);
	return rc;
}

int vqd_config_merge(const char *overrides, const char *tier, const cJSON *changes, char **out)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, changes)
	{
		int known = 0;
		for (int i = 0; vqd_tier_fields[i]; i++)
			known |= strcmp(f->string, vqd_tier_fields[i]) == 0;
		if (!known)
			return VQ_EBADREQ;
	}
	cJSON *ov = NULL;
	if (!overrides || !*overrides ||
	    vq_json_parse(overrides, strlen(overrides), 0, &ov, NULL) != VQ_OK ||
	    !cJSON_IsObject(ov)) {
		cJSON_Delete(ov); /* unreadable overrides are replaced, as the load ignores them */
		ov = cJSON_CreateObject();
	}
	cJSON *t = cJSON_GetObjectItemCaseSensitive(ov, tier);
	if (t && !cJSON_IsObject(t)) {
		cJSON_DeleteItemFromObjectCaseSensitive(ov, tier);
		t = NULL;
	}
	if (!t)
		t = cJSON_AddObjectToObject(ov, tier);
	cJSON_ArrayForEach(f, changes)
	{
		cJSON *copy = cJSON_Duplicate(f, 1);
		if (!copy)
			continue;
		if (cJSON_GetObjectItemCaseSensitive(t, f->string))
			cJSON_ReplaceItemInObjectCaseSensitive(t, f->string, copy);
		else if (!cJSON_AddItemToObject(t, f->string, copy))
			cJSON_Delete(copy);
	}
	*out = cJSON_PrintUnformatted(ov);
	cJSON_Delete(ov);
	return *out ? VQ_OK : VQ_ENOMEM;
}
