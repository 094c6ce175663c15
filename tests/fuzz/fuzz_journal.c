/* tests/fuzz/fuzz_journal.c — gate/gate_journal: the journal a gate replays at every start
 * (a file on its disk, written in part before a crash, perhaps damaged).
 *
 * The input is the file. A journal that opens keeps its invariants (entry n at index
 * n - 1, pending counts what is not done) and still takes an admission, a batch and its
 * results. */
#include "tests/fuzz/fuzz.h"

#include "gate/gate_journal.h"

#include <string.h>

static char path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(path, sizeof path, "%s/journal", fuzz_tempdir());
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	FUZZ_ASSERT(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
	gate_journal *j = NULL;
	char err[256];
	int rc = gate_journal_open(path, "gate-1", 1800000000, &j, err, sizeof err);
	if (rc != VQ_OK) {
		FUZZ_ASSERT(j == NULL);
		return 0;
	}
	int pending = 0;
	for (int n = 1; n <= gate_journal_count(j); n++) {
		const gate_jentry *e = gate_journal_entry(j, n);
		FUZZ_ASSERT(e && e->n == n);
		pending += e->state != GATE_J_DONE;
		gate_journal_find_used(j, e->ticket, NULL);
	}
	FUZZ_ASSERT(pending == gate_journal_pending(j));
	gate_jentry e;
	memset(&e, 0, sizeof e);
	e.kind = GATE_J_ADMIT;
	e.ticket = 77;
	snprintf(e.code, sizeof e.code, "VQ1:AAAA");
	snprintf(e.attraction, sizeof e.attraction, "coaster");
	e.at = 1800000000;
	int n = 0;
	if (gate_journal_add(j, &e, &n) == VQ_OK) {
		char rid[GATE_RID_MAX];
		FUZZ_ASSERT(gate_journal_batch(j, &n, 1, rid) == VQ_OK);
		gate_jresult r = {.ok = 1};
		FUZZ_ASSERT(gate_journal_results(j, &n, &r, 1) == VQ_OK);
		FUZZ_ASSERT(gate_journal_entry(j, n)->state == GATE_J_DONE);
	}
	gate_journal_free(j);
	return 0;
}
