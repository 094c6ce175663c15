/* core/tally.h — the book's running counts of the fast lane's backlog and no-shows, kept
 * as tickets change instead of counted over every ticket each time vqd publishes.
 *
 * The book (core/book.c) tells the tally each fast-lane ticket's part when it changes: its
 * attraction, its admission interval [from, until) and its seats in each count. Parts of
 * one attraction with the same interval add up in a group; the counts at an instant are
 *   backlog[a]  = the backlog seats of a's groups whose interval holds now,
 *   seats[a]    = the ended seats of a's groups whose interval ended by now (until <= now),
 *   no_shows[a] = the same for the unredeemed seats,
 * which is what vq_book_backlogs and vq_book_noshows count ticket by ticket. The tally
 * keeps them at one instant, its cursor; moving the cursor costs the groups whose interval
 * starts or ends between the two instants (found by binary search in two orders), not the
 * day's tickets; a part added or taken away costs a hash lookup.
 *
 * Invariants: for every attraction, the kept counts equal the sums above over the groups
 * at the cursor; a group is never removed (its sums may fall to zero), so a group index
 * stays valid for the tally's life; only vq_tally_reserve allocates.
 */
#ifndef VQ_TALLY_H
#define VQ_TALLY_H

#include "book.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vq_tally vq_tally;

/* One ticket's part: the seats it counts in each of the three. */
typedef struct vq_tally_part {
	int attr;            /* 0 .. nattrs - 1 */
	int64_t from, until; /* its admission interval */
	int backlog;         /* seats counted while from <= now < until */
	int seats;           /* seats counted once until <= now */
	int no_shows;        /* of those, unredeemed */
} vq_tally_part;

int vq_tally_new(int nattrs, vq_tally **out);
void vq_tally_free(vq_tally *t); /* NULL is fine */

/* Makes room for `more` new groups, so that the next `more` vq_tally_add calls cannot fail.
 * VQ_ENOMEM leaves the tally as it was. */
int vq_tally_reserve(vq_tally *t, size_t more);

/* Adds a part to the group of its (attr, from, until), made if new (room for it must have
 * been reserved), and returns that group's index for vq_tally_sub. */
int32_t vq_tally_add(vq_tally *t, const vq_tally_part *p);

/* Takes away a part added before to group g (vq_tally_add's answer). */
void vq_tally_sub(vq_tally *t, int32_t g, const vq_tally_part *p);

/* The counts at now (backlog[attr] and noshow[attr], nattrs entries each); moves the
 * cursor there, forward or back. */
void vq_tally_at(vq_tally *t, int64_t now, int *backlog, vq_noshow *noshow);

/* How many groups the tally holds (for tests and figures). */
size_t vq_tally_groups(const vq_tally *t);

#endif
