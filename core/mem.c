/* core/mem.c — core's allocator door with a starvation switch for fault-injection tests.
 * The counters are the only mutable statics in core (see mem.h); they are atomic so a test
 * may starve while another thread allocates. */
#include "mem.h"

#include <stdatomic.h>
#include <stdlib.h>

static atomic_ulong fail_at;  /* 0 = never fail */
static atomic_ulong made;     /* allocations since the last vq_mem_fail_after */

static int starving(void)
{
	unsigned long n = atomic_fetch_add(&made, 1) + 1;
	unsigned long f = atomic_load(&fail_at);
	return f != 0 && n >= f;
}

void *vq_malloc(size_t n)
{
	return starving() ? NULL : malloc(n ? n : 1);
}

void *vq_calloc(size_t count, size_t size)
{
	return starving() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *vq_realloc(void *p, size_t n)
{
	return starving() ? NULL : realloc(p, n ? n : 1);
}

void vq_free(void *p)
{
	free(p);
}

unsigned long vq_mem_fail_after(unsigned long n)
{
	unsigned long prev = atomic_exchange(&made, 0);
	atomic_store(&fail_at, n);
	return prev;
}
