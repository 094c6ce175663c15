/* tests/fuzz/fuzz_config.c — coordinator/config: the operators' tier rules vqd keeps in
 * its store and lays over the site config at every start ({"gold":{"max_passes":4}}).
 * Drives the load over the demo park and a merge of one more change. */
#include "tests/fuzz/fuzz.h"

#include "coordinator/config.h"

#include <string.h>

#define PARK VQ_SOURCE_DIR "/assets/demo-park.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *ov = malloc(size + 1); /* the store hands overrides over as a string */
	FUZZ_ASSERT(ov);
	memcpy(ov, data, size);
	ov[size] = '\0';
	vq_site *site = NULL;
	char err[512];
	if (vqd_config_load(PARK, ov, &site, err, sizeof err) == VQ_OK)
		vq_site_free(site);
	else
		FUZZ_ASSERT(site == NULL && err[0]);
	cJSON *changes = cJSON_CreateObject();
	cJSON_AddNumberToObject(changes, "max_passes", 4);
	char *merged = NULL;
	if (vqd_config_merge(ov, "gold", changes, &merged) == VQ_OK) {
		FUZZ_ASSERT(merged);
		site = NULL;
		if (vqd_config_load(PARK, merged, &site, err, sizeof err) == VQ_OK)
			vq_site_free(site);
		free(merged);
	}
	cJSON_Delete(changes);
	free(ov);
	return 0;
}
