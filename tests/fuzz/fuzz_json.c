/* tests/fuzz/fuzz_json.c — core/json: the strict parser every decoder uses.
 *
 * Beyond not crashing: whatever it accepts, cJSON reads as the same tree (the scan and
 * cJSON agree), every number it keeps reads back as its literal when it is an integer, and
 * every refusal has a message. */
#include "tests/fuzz/fuzz.h"

#include "core/json.h"

#include <inttypes.h>
#include <string.h>

static void numbers(const cJSON *n)
{
	for (; n; n = n->next) {
		if (cJSON_IsNumber(n)) {
			FUZZ_ASSERT(n->valuestring != NULL);
			int64_t v;
			int rc = vq_json_int(n, INT64_MIN, INT64_MAX, &v);
			int plain = strpbrk(n->valuestring, ".eE") == NULL;
			FUZZ_ASSERT(rc == VQ_OK || rc == VQ_EBADREQ || rc == VQ_EINVAL);
			FUZZ_ASSERT((rc == VQ_EBADREQ) == !plain);
			if (rc == VQ_OK) {
				char back[32];
				snprintf(back, sizeof back, "%" PRId64, v);
				FUZZ_ASSERT(strcmp(back, n->valuestring) == 0 ||
				            strcmp(n->valuestring, "-0") == 0);
			}
		}
		numbers(n->child);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[] = {0, VQ_JSON_TEXT | VQ_JSON_BOM};
	for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
		cJSON *j = NULL;
		vq_json_error e;
		int rc = vq_json_parse((const char *)data, size, flags[f], &j, &e);
		FUZZ_ASSERT(rc == VQ_OK || rc == VQ_EBADREQ);
		if (rc != VQ_OK) {
			char msg[256];
			vq_json_error_text(&e, "doc", msg, sizeof msg);
			FUZZ_ASSERT(e.reason[0] && strlen(msg) > 5);
			FUZZ_ASSERT(j == NULL);
			continue;
		}
		size_t skip = size >= 3 && !memcmp(data, "\xef\xbb\xbf", 3) ? 3 : 0;
		cJSON *ref = cJSON_ParseWithLength((const char *)data + skip, size - skip);
		FUZZ_ASSERT(ref != NULL);
		char *a = cJSON_PrintUnformatted(j), *b = cJSON_PrintUnformatted(ref);
		FUZZ_ASSERT(a && b && strcmp(a, b) == 0);
		free(a);
		free(b);
		numbers(j);
		cJSON_Delete(ref);
		cJSON_Delete(j);
	}
	int fault = vq_json_text_check((const char *)data, size);
	FUZZ_ASSERT(fault >= VQ_TEXT_OK && fault <= VQ_TEXT_BIDI);
	return 0;
}
