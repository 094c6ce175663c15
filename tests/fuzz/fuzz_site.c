/* tests/fuzz/fuzz_site.c — core/site: the site config vqd starts from. A config that
 * parses must hold up to every accessor. */
#include "tests/fuzz/fuzz.h"

#include "core/site.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vq_site *site = NULL;
	char err[256];
	int rc = vq_site_parse((const char *)data, size, &site, err, sizeof err);
	if (rc != VQ_OK) {
		FUZZ_ASSERT(rc == VQ_ECONFIG && site == NULL && err[0]);
		return 0;
	}
	FUZZ_ASSERT(vq_site_attr_count(site) >= 1 && vq_site_tier_count(site) >= 1);
	for (int a = 0; a < vq_site_attr_count(site); a++) {
		const vq_attraction *at = vq_site_attr(site, a);
		FUZZ_ASSERT(vq_site_attr_find(site, at->id) == a);
		FUZZ_ASSERT(at->open_min < at->close_min && at->slot_min >= 1);
		for (int l = 0; l < vq_site_lang_count(site); l++)
			FUZZ_ASSERT(vq_attr_name(site, a, l)[0]);
	}
	for (int t = 0; t < vq_site_tier_count(site); t++)
		FUZZ_ASSERT(vq_site_tier_find(site, vq_site_tier(site, t)->id) == t);
	vq_site_free(site);
	return 0;
}
