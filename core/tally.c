/* core/tally.c — the book's running counts of backlog and no-shows (see tally.h).
 *
 * Owns the groups (an attraction's parts of one admission interval, summed), their two
 * orders (by start, by end: index arrays kept sorted as groups are made) and a hash of
 * them by (attr, from, until), and the counts at the cursor. Invariants: both orders hold
 * every group once, sorted; the hash finds every group; counts[a] is the sum of a's groups'
 * contributions at the cursor.
 */
#include "tally.h"

#include "mem.h"

#include <string.h>

struct group {
	int64_t from, until;
	int attr;
	int64_t backlog, seats, no_shows;
};

struct vq_tally {
	int nattrs;
	struct group *groups;
	int32_t *by_from, *by_until; /* group indices, sorted by from and by until */
	size_t n, cap;
	int32_t *hash; /* open addressing, -1 empty; hcap a power of two, at most half full */
	size_t hcap;
	int64_t now; /* the cursor */
	int64_t *backlog;
	vq_noshow *noshow;
};

int vq_tally_new(int nattrs, vq_tally **out)
{
	*out = NULL;
	if (nattrs < 0)
		return VQ_EINVAL;
	vq_tally *t = vq_calloc(1, sizeof *t);
	if (!t)
		return VQ_ENOMEM;
	t->nattrs = nattrs;
	t->backlog = vq_calloc((size_t)nattrs + 1, sizeof *t->backlog);
	t->noshow = vq_calloc((size_t)nattrs + 1, sizeof *t->noshow);
	if (!t->backlog || !t->noshow) {
		vq_tally_free(t);
		return VQ_ENOMEM;
	}
	*out = t;
	return VQ_OK;
}

void vq_tally_free(vq_tally *t)
{
	if (!t)
		return;
	vq_free(t->groups);
	vq_free(t->by_from);
	vq_free(t->by_until);
	vq_free(t->hash);
	vq_free(t->backlog);
	vq_free(t->noshow);
	vq_free(t);
}

size_t vq_tally_groups(const vq_tally *t)
{
	return t ? t->n : 0;
}

static size_t key_hash(int attr, int64_t from, int64_t until)
{
	uint64_t h = (uint64_t)from * 0x9E3779B97F4A7C15ull;
	h ^= (uint64_t)until * 0xC2B2AE3D27D4EB4Full + (uint64_t)attr;
	h ^= h >> 31;
	h *= 0xBF58476D1CE4E5B9ull;
	h ^= h >> 29;
	return (size_t)h;
}

static void hash_put(int32_t *hash, size_t hcap, const struct group *g, int32_t idx)
{
	size_t i = key_hash(g->attr, g->from, g->until) & (hcap - 1);
	while (hash[i] >= 0)
		i = (i + 1) & (hcap - 1);
	hash[i] = idx;
}

static int grow_array(void **p, size_t n, size_t elem)
{
	void *np = vq_realloc(*p, n * elem);
	if (!np)
		return VQ_ENOMEM;
	*p = np;
	return VQ_OK;
}

int vq_tally_reserve(vq_tally *t, size_t more)
{
	size_t need = t->n + more;
	if (need > INT32_MAX)
		return VQ_ENOMEM;
	if (need > t->cap) {
		size_t cap = t->cap ? t->cap : 64;
		while (cap < need)
			cap *= 2;
		/* each array grown alone: one that grew and another that did not leave the
		 * contents as they were */
		if (grow_array((void **)&t->groups, cap, sizeof *t->groups) != VQ_OK ||
		    grow_array((void **)&t->by_from, cap, sizeof *t->by_from) != VQ_OK ||
		    grow_array((void **)&t->by_until, cap, sizeof *t->by_until) != VQ_OK)
			return VQ_ENOMEM;
		t->cap = cap;
	}
	if (need * 2 > t->hcap) {
		size_t hcap = t->hcap ? t->hcap : 128;
		while (need * 2 > hcap)
			hcap *= 2;
		int32_t *hash = vq_malloc(hcap * sizeof *hash);
		if (!hash)
			return VQ_ENOMEM;
		memset(hash, 0xff, hcap * sizeof *hash); /* -1 */
		for (size_t i = 0; i < t->n; i++)
			hash_put(hash, hcap, &t->groups[i], (int32_t)i);
		vq_free(t->hash);
		t->hash = hash;
		t->hcap = hcap;
	}
	return VQ_OK;
}

/* The first position in order (n indices) whose group's from (or until) is above x. */
static size_t upper(const vq_tally *t, const int32_t *order, int by_until, int64_t x)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct group *g = &t->groups[order[mid]];
		if ((by_until ? g->until : g->from) <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void insert_sorted(vq_tally *t, int32_t *order, int by_until, int32_t idx)
{
	const struct group *g = &t->groups[idx];
	size_t at = upper(t, order, by_until, by_until ? g->until : g->from);
	memmove(order + at + 1, order + at, (t->n - at) * sizeof *order);
	order[at] = idx;
}

static int32_t find_or_make(vq_tally *t, const vq_tally_part *p)
{
	size_t i = key_hash(p->attr, p->from, p->until) & (t->hcap - 1);
	for (; t->hash[i] >= 0; i = (i + 1) & (t->hcap - 1)) {
		const struct group *g = &t->groups[t->hash[i]];
		if (g->attr == p->attr && g->from == p->from && g->until == p->until)
			return t->hash[i];
	}
	/* vq_tally_reserve made room in the arrays and kept the hash at most half full */
	int32_t idx = (int32_t)t->n;
	t->groups[idx] = (struct group){.from = p->from, .until = p->until, .attr = p->attr};
	t->hash[i] = idx;
	insert_sorted(t, t->by_from, 0, idx); /* uses t->n entries: the new one not yet */
	insert_sorted(t, t->by_until, 1, idx);
	t->n++;
	return idx;
}

/* Adds sign times what seats (backlog, ended, unredeemed) of interval [from, until) count
 * at the cursor to attr's counts. */
static void count_at_cursor(vq_tally *t, int attr, int64_t from, int64_t until, int64_t backlog,
                            int64_t seats, int64_t no_shows, int sign)
{
	if (from <= t->now && t->now < until)
		t->backlog[attr] += sign * backlog;
	if (until <= t->now) {
		t->noshow[attr].seats += sign * seats;
		t->noshow[attr].no_shows += sign * no_shows;
	}
}

int32_t vq_tally_add(vq_tally *t, const vq_tally_part *p)
{
	int32_t idx = find_or_make(t, p);
	struct group *g = &t->groups[idx];
	g->backlog += p->backlog;
	g->seats += p->seats;
	g->no_shows += p->no_shows;
	count_at_cursor(t, g->attr, g->from, g->until, p->backlog, p->seats, p->no_shows, 1);
	return idx;
}

void vq_tally_sub(vq_tally *t, int32_t idx, const vq_tally_part *p)
{
	if (idx < 0 || (size_t)idx >= t->n)
		return;
	struct group *g = &t->groups[idx];
	g->backlog -= p->backlog;
	g->seats -= p->seats;
	g->no_shows -= p->no_shows;
	count_at_cursor(t, g->attr, g->from, g->until, p->backlog, p->seats, p->no_shows, -1);
}

/* Moves group g's contribution from the cursor's instant to `to`. */
static void move_group(vq_tally *t, const struct group *g, int64_t to)
{
	int was_in = g->from <= t->now && t->now < g->until, is_in = g->from <= to && to < g->until;
	int was_ended = g->until <= t->now, is_ended = g->until <= to;
	t->backlog[g->attr] += (is_in - was_in) * g->backlog;
	t->noshow[g->attr].seats += (is_ended - was_ended) * g->seats;
	t->noshow[g->attr].no_shows += (is_ended - was_ended) * g->no_shows;
}

void vq_tally_at(vq_tally *t, int64_t now, int *backlog, vq_noshow *noshow)
{
	if (now != t->now) {
		/* a group's contribution changes only where its interval starts or ends */
		int64_t lo = now < t->now ? now : t->now, hi = now < t->now ? t->now : now;
		size_t end = upper(t, t->by_from, 0, hi);
		for (size_t i = upper(t, t->by_from, 0, lo); i < end; i++)
			move_group(t, &t->groups[t->by_from[i]], now);
		end = upper(t, t->by_until, 1, hi);
		for (size_t i = upper(t, t->by_until, 1, lo); i < end; i++) {
			const struct group *g = &t->groups[t->by_until[i]];
			if (g->from > lo && g->from <= hi)
				continue; /* moved above already */
			move_group(t, g, now);
		}
		t->now = now;
	}
	for (int a = 0; a < t->nattrs; a++) {
		if (backlog)
			backlog[a] = (int)t->backlog[a];
		if (noshow)
			noshow[a] = t->noshow[a];
	}
}
