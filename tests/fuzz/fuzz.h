/* tests/fuzz/fuzz.h — what every fuzz target shares: libFuzzer's entry points and a
 * scratch folder. A target gets any bytes and must neither crash, leak, hang nor trip a
 * sanitizer; it aborts on a broken invariant of the decoder it drives. */
#ifndef VQ_FUZZ_H
#define VQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A fresh folder under $TMPDIR (or /tmp) for the whole run, removed at exit. */
const char *fuzz_tempdir(void);

#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                 \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
