/* core/admit.h — may this ticket pass this gate now, and if not, exactly why.
 *
 * Pure: the verdict depends only on the ticket, the attraction, the tier rules and now.
 * The admission interval is [win_start - early_grace, win_end + late_grace + tier's
 * late_grace); an anytime ticket admits in [valid_from, valid_until). Neither starts before
 * the ticket's issued_at: nobody was admitted with a ticket before it was issued.
 */
#ifndef VQ_ADMIT_H
#define VQ_ADMIT_H

#include "site.h"
#include "ticket.h"

typedef struct vq_verdict {
	int result;       /* VQ_OK, VQ_ETOOEARLY, VQ_EEXPIRED, VQ_EWRONGATTR, VQ_EUSED,
	                     VQ_ECANCELLED, VQ_ECLOSED, VQ_ENOTIER */
	int64_t from;     /* the admission interval, for "come back at ..." */
	int64_t until;
	int64_t used_at;  /* VQ_EUSED: when and where */
	char used_gate[VQ_ID_MAX];
} vq_verdict;

/* Checks ticket t at a gate of attraction gate_attr (id) at time now; attr_closed says the
 * attraction is closed right now. Returns the verdict's result and fills *out. */
int vq_admit_check(const vq_site *site, const vq_ticket *t, const char *gate_attr,
                   int attr_closed, int64_t now, vq_verdict *out);

#endif
