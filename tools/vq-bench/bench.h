/* tools/vq-bench/bench.h — the measurements vq-bench runs; each prints its own table. */
#ifndef VQ_BENCH_H
#define VQ_BENCH_H

int vq_bench_core(int argc, char **argv);  /* the pure allocator, no I/O */
int vq_bench_store(int argc, char **argv); /* durable group commit vs a bare SQLite loop */
int vq_bench_mqtt(int argc, char **argv);  /* issues through broker and vqd vs a bare echo */

#endif
