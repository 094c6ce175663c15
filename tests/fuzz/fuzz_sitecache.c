/* tests/fuzz/fuzz_sitecache.c — the site cache a gate reads at start (--site-cache), so it
 * can verify codes while vqd is unreachable: vq_sitestate_load of any file, then a save
 * and a load of what it kept. */
#include "tests/fuzz/fuzz.h"

#include "client/sitestate.h"

#include <string.h>

static char path[600], again[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(path, sizeof path, "%s/site-cache", fuzz_tempdir());
	snprintf(again, sizeof again, "%s/site-cache-2", fuzz_tempdir());
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	FUZZ_ASSERT(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
	vq_sitestate *s = NULL;
	FUZZ_ASSERT(vq_sitestate_new(&s) == VQ_OK);
	if (vq_sitestate_load(s, path, 1000) == VQ_OK && vq_sitestate_save(s, again) == VQ_OK) {
		vq_sitestate *t = NULL;
		FUZZ_ASSERT(vq_sitestate_new(&t) == VQ_OK);
		FUZZ_ASSERT(vq_sitestate_load(t, again, 2000) == VQ_OK);
		FUZZ_ASSERT(vq_sitestate_site(t)->keys.count == vq_sitestate_site(s)->keys.count);
		vq_sitestate_free(t);
	}
	vq_sitestate_free(s);
	return 0;
}
