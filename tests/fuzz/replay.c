/* tests/fuzz/replay.c — a fuzz target without libFuzzer: runs it once on every file of the
 * folders (or files) named on the command line, in name order.
 *
 * Linked into each target of the normal build, so ctest replays the committed corpus
 * under the same sanitizers as every other test. It fails if a folder holds no input: a
 * target whose corpus went missing would otherwise pass without testing anything.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *b = realloc(buf, cap *= 2);
			if (!b)
				free(buf);
			buf = b;
		}
	}
	fclose(f);
	if (!buf)
		return -1;
	/* an exactly sized copy, so ASan sees any read past the input */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int inputs = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) != 0)
				return 1;
			inputs++;
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, NULL);
		if (n < 0) {
			perror(argv[i]);
			return 1;
		}
		char **paths = calloc((size_t)n + 1, sizeof *paths);
		int np = 0;
		for (int k = 0; k < n; k++) {
			if (names[k]->d_name[0] != '.' && paths) {
				size_t len = strlen(argv[i]) + strlen(names[k]->d_name) + 2;
				if ((paths[np] = malloc(len)))
					snprintf(paths[np++], len, "%s/%s", argv[i],
					         names[k]->d_name);
			}
			free(names[k]);
		}
		free(names);
		if (!paths)
			return 1;
		qsort(paths, (size_t)np, sizeof *paths, by_name);
		for (int k = 0; k < np; k++) {
			if (run_file(paths[k]) != 0)
				return 1;
			free(paths[k]);
			inputs++;
		}
		free(paths);
		if (np == 0) {
			fprintf(stderr, "%s: no inputs\n", argv[i]);
			return 1;
		}
	}
	printf("%d inputs replayed\n", inputs);
	return 0;
}
