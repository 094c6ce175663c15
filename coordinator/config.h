/* coordinator/config.h — the site config as vqd runs it: the file, plus the tier rules
 * operators changed at run time (kept in the store as one JSON object, applied over the
 * file's tiers at every start and reload). */
#ifndef VQ_CONFIG_H
#define VQ_CONFIG_H

#include "core/site.h"

#include <cjson/cJSON.h>

/* The tier fields an operator may change. */
extern const char *const vqd_tier_fields[];

/* Reads the config at path, applies overrides ({"gold":{"max_passes":4},...}; NULL or ""
 * for none) and parses the result. On failure err names the file or the field. */
int vqd_config_load(const char *path, const char *overrides, vq_site **out, char *err,
                    size_t errlen);

/* Returns (malloc'd) overrides with tier's fields set from changes (an object holding
 * some of vqd_tier_fields). VQ_EBADREQ if changes holds anything else. */
int vqd_config_merge(const char *overrides, const char *tier, const cJSON *changes, char **out);

#endif
