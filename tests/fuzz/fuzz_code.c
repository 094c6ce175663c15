/* tests/fuzz/fuzz_code.c — core/code: the ticket code a gate scans.
 *
 * Codes are verified against a ring of two fixed keys (the seeds in corpus/code are
 * signed with the first), so mutations of a real code reach every field's check. A code
 * that verifies must sign back to itself: decoding is one-to-one. */
#include "tests/fuzz/fuzz.h"

#include "core/code.h"

#include <sodium.h>
#include <string.h>

static vq_keyring ring;
static uint8_t sk[2][64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (sodium_init() < 0)
		abort();
	for (int k = 0; k < 2; k++) {
		uint8_t seed[32], pk[32];
		memset(seed, 'a' + k, sizeof seed); /* fixed: the committed seeds verify */
		crypto_sign_seed_keypair(pk, sk[k], seed);
		FUZZ_ASSERT(vq_keyring_add(&ring, (uint8_t)(k + 1), pk) == VQ_OK);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vq_claims c;
	int rc = vq_code_verify((const char *)data, size, &ring, &c);
	FUZZ_ASSERT(rc == VQ_OK || rc == VQ_EMALFORMED || rc == VQ_EUNKNOWNKEY ||
	            rc == VQ_EBADSIG || rc == VQ_EINVAL);
	if (rc == VQ_OK) {
		char again[VQ_CODE_MAX];
		FUZZ_ASSERT(c.kid >= 1 && c.kid <= 2);
		FUZZ_ASSERT(vq_code_sign(&c, sk[c.kid - 1], again, sizeof again) == VQ_OK);
		FUZZ_ASSERT(strlen(again) == size && memcmp(again, data, size) == 0);
	}
	return 0;
}
