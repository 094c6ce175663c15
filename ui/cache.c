/* ui/cache.c — the bounded LRU cache (see cache.h).
 *
 * Invariants: every entry is in exactly one bucket chain (by its key's hash) and in the
 * use list; n and bytes are the counts and the sum of the declared sizes of the entries
 * in the list.
 */
#include "ui/cache.h"

#include "core/mem.h"
#include "core/vq.h"

#include <string.h>

struct ui_cache_entry {
	uint64_t hash;
	struct ui_cache_entry *chain;         /* next in the bucket */
	struct ui_cache_entry *newer, *older; /* the use list */
	void *value;
	size_t bytes;
	size_t klen;
	unsigned char key[]; /* klen bytes */
};

/* FNV-1a, 64 bits: short keys, no adversary (the screens make them). */
static uint64_t hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void ui_cache_init(struct ui_cache *c, size_t max_entries, size_t max_bytes,
                   void (*free_value)(void *value))
{
	memset(c, 0, sizeof *c);
	c->max_entries = max_entries ? max_entries : 1;
	c->max_bytes = max_bytes;
	c->free_value = free_value;
}

static void unlink_use(struct ui_cache *c, struct ui_cache_entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->mru = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->lru = e->newer;
	e->newer = e->older = NULL;
}

static void push_mru(struct ui_cache *c, struct ui_cache_entry *e)
{
	e->newer = NULL;
	e->older = c->mru;
	if (c->mru)
		c->mru->newer = e;
	c->mru = e;
	if (!c->lru)
		c->lru = e;
}

static void drop(struct ui_cache *c, struct ui_cache_entry *e)
{
	struct ui_cache_entry **p = &c->buckets[e->hash & (UI_CACHE_BUCKETS - 1)];
	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	unlink_use(c, e);
	c->n--;
	c->bytes -= e->bytes;
	if (c->free_value)
		c->free_value(e->value);
	vq_free(e);
}

void ui_cache_clear(struct ui_cache *c)
{
	while (c->lru)
		drop(c, c->lru);
}

static struct ui_cache_entry *find(const struct ui_cache *c, uint64_t h, const void *key,
                                   size_t klen)
{
	for (struct ui_cache_entry *e = c->buckets[h & (UI_CACHE_BUCKETS - 1)]; e; e = e->chain)
		if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

void *ui_cache_get(struct ui_cache *c, const void *key, size_t klen)
{
	struct ui_cache_entry *e = find(c, hash(key, klen), key, klen);
	if (!e) {
		c->misses++;
		return NULL;
	}
	c->hits++;
	unlink_use(c, e);
	push_mru(c, e);
	return e->value;
}

int ui_cache_put(struct ui_cache *c, const void *key, size_t klen, void *value, size_t bytes)
{
	uint64_t h = hash(key, klen);
	struct ui_cache_entry *e = vq_malloc(sizeof *e + klen);
	if (!e) {
		if (c->free_value)
			c->free_value(value);
		return VQ_ENOMEM;
	}
	struct ui_cache_entry *old = find(c, h, key, klen);
	if (old)
		drop(c, old);
	e->hash = h;
	e->value = value;
	e->bytes = bytes;
	e->klen = klen;
	memcpy(e->key, key, klen);
	struct ui_cache_entry **b = &c->buckets[h & (UI_CACHE_BUCKETS - 1)];
	e->chain = *b;
	*b = e;
	push_mru(c, e);
	c->n++;
	c->bytes += bytes;
	while (c->lru != e && (c->n > c->max_entries || c->bytes > c->max_bytes))
		drop(c, c->lru);
	return VQ_OK;
}
