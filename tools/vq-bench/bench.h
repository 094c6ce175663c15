/* tools/vq-bench/bench.h — the measurements vq-bench runs; each prints its own table. */
#ifndef VQ_BENCH_H
#define VQ_BENCH_H

#include <stdint.h>

int vq_bench_core(int argc, char **argv);   /* the pure allocator, no I/O */
int vq_bench_store(int argc, char **argv);  /* durable group commit vs a bare SQLite loop */
int vq_bench_mqtt(int argc, char **argv);   /* issues through broker and vqd vs a bare echo */
int vq_bench_report(int argc, char **argv); /* vqctl report for a busy day vs a bare scan */
int vq_bench_speech(int argc, char **argv); /* a board's first spoken word vs bare espeak-ng */

/* Seconds on the monotonic clock. */
double vq_bench_now(void);
/* splitmix64: small, seedable, the same on every machine, so runs are repeatable. */
uint64_t vq_bench_rng(uint64_t *state);

#endif
