/* core/mem.h — the one door through which core allocates.
 *
 * Tests starve it (fail the Nth allocation) to prove that every failing call leaves its
 * state unchanged. The hook is the single piece of process-wide state in core, and it
 * exists only for fault injection.
 */
#ifndef VQ_MEM_H
#define VQ_MEM_H

#include <stddef.h>

void *vq_malloc(size_t n);
void *vq_calloc(size_t count, size_t size);
void *vq_realloc(void *p, size_t n);
void vq_free(void *p);

/* After this call the n-th next allocation (1 = the very next) and every one after it
 * fails; n = 0 turns starving off. Returns the number of allocations made since the
 * previous call, so a test can loop n = 1..count. */
unsigned long vq_mem_fail_after(unsigned long n);

#endif
