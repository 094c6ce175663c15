/* tests/fuzz/fuzz_csv.c — tools/vqctl/csv: the members file an operator imports. Every
 * member it lets through is a valid card and tier, once each, and the request it makes is
 * one vqd would take. */
#include "tests/fuzz/fuzz.h"

#include "tools/vqctl/csv.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vqctl_members m;
	if (vqctl_csv_parse((const char *)data, size, &m) != VQ_OK)
		return 0;
	static const char *const tiers[] = {"standard", "silver", "gold", "platinum"};
	vqctl_members_check_tiers(&m, tiers, 4);
	FUZZ_ASSERT(m.nbad_kept <= m.nbad && m.nbad_kept <= VQCTL_BAD_KEEP);
	for (size_t i = 0; i < m.n; i++) {
		FUZZ_ASSERT(vqctl_valid_card(m.v[i].card) && vqctl_valid_id(m.v[i].tier));
		for (size_t k = 0; k < i && m.n < 64; k++)
			FUZZ_ASSERT(strcmp(m.v[k].card, m.v[i].card) != 0);
	}
	cJSON *req = vqctl_import_request(m.v, m.n, "fuzz-1");
	FUZZ_ASSERT(req != NULL);
	cJSON_Delete(req);
	vqctl_members_free(&m);
	return 0;
}
