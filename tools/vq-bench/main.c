/* tools/vq-bench/main.c — vq's benchmark programs behind one command.
 * Figures live here, not in timed tests: each measurement prints vq's number next to the
 * bare cost of the same work on the same machine in the same run. */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

double vq_bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t vq_bench_rng(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int usage(void)
{
	fprintf(stderr, "usage: vq-bench core [--site FILE] [--seconds S]\n"
	                "       vq-bench store [--seconds S | --count N]\n"
	                "       vq-bench mqtt --site ID --credentials FILE [--help for more]\n"
	                "       vq-bench report [--site FILE] [--tickets N] [--runs R]\n"
	                "       vq-bench speech [--runs N] [--wav FILE] [--lang en]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "core"))
		return vq_bench_core(argc - 2, argv + 2);
	if (!strcmp(argv[1], "store"))
		return vq_bench_store(argc - 2, argv + 2);
	if (!strcmp(argv[1], "report"))
		return vq_bench_report(argc - 2, argv + 2);
	if (!strcmp(argv[1], "speech"))
		return vq_bench_speech(argc - 2, argv + 2);
	if (!strcmp(argv[1], "mqtt"))
		return vq_bench_mqtt(argc - 2, argv + 2);
	return usage();
}
