/* ui/cache.h — a bounded key -> value cache with least-recently-used eviction, private to
 * ui/ (text layouts and rendered lines, ui/text.c).
 *
 * Keys are byte strings the cache copies; values are the caller's pointers, which the
 * cache owns once put and frees with its free function when they are evicted, replaced
 * or cleared. Bounded twice: at most max_entries entries and max_bytes of the sizes the
 * caller declares, so a screen that shows ever new strings (a clock, numbers) never
 * grows without end. Not thread-safe (the ui is single-threaded).
 */
#ifndef VQ_UI_CACHE_H
#define VQ_UI_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define UI_CACHE_BUCKETS 4096 /* a power of two */

struct ui_cache_entry;

struct ui_cache {
	struct ui_cache_entry *buckets[UI_CACHE_BUCKETS];
	struct ui_cache_entry *mru, *lru; /* the use order, most recent first */
	size_t n, bytes;
	size_t max_entries, max_bytes;
	void (*free_value)(void *value);
	unsigned long hits, misses; /* for benchmarks */
};

/* An empty cache; free_value may be NULL (values are not freed). */
void ui_cache_init(struct ui_cache *c, size_t max_entries, size_t max_bytes,
                   void (*free_value)(void *value));
/* Frees every value and entry; the cache is empty and usable again. */
void ui_cache_clear(struct ui_cache *c);

/* The value under key (klen bytes), made the most recently used; NULL if absent. */
void *ui_cache_get(struct ui_cache *c, const void *key, size_t klen);

/* Puts value (bytes: its declared size) under key, replacing and freeing any value
 * there, then evicts the least recently used entries until both bounds hold again (never
 * the one just put). On VQ_ENOMEM the value is freed and the cache is unchanged. */
int ui_cache_put(struct ui_cache *c, const void *key, size_t klen, void *value, size_t bytes);

#endif
