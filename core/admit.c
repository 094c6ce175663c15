/* core/admit.c — the gate's verdict: may this ticket pass here, now, and if not, why.
 *
 * Owns the order of the checks and the admission interval; not the redemption itself (the
 * book marks a ticket used) nor the code's signature (core/code.c). Pure: no clock, no I/O,
 * no allocation. Invariants:
 *   - *out is always filled; from/until are the ticket's admission interval whenever the
 *     ticket's attraction is known to the site (both 0 otherwise), so a refused guest can
 *     always be told when to come back;
 *   - the interval is half-open: now == from admits, now == until does not;
 *   - the interval never starts before the ticket's issue time.
 *
 * Order, first match wins, most fundamental first:
 *   1. unknown tier: the ticket does not belong to this site's config (a stale or foreign
 *      ticket); nothing else about it can be trusted, and the interval would need the tier;
 *   2. wrong attraction: the guest is at the wrong gate; "used" or "too early" would send
 *      them back to a gate where the ticket may still be good;
 *   3. cancelled, then 4. redeemed: permanent facts about the ticket that no waiting fixes,
 *      so they outrank the transient ones below (a used ticket at a closed ride is "used",
 *      not "come back later"). The two states exclude each other, so their order is moot;
 *   5. closed: nobody passes a closed attraction; and a window that falls in a closure
 *      becomes an anytime pass on reopening, so saying "expired" now would be false;
 *   6. time: too early, expired, or admitted.
 * A state outside enum vq_ticket_state (a corrupt record) gives VQ_EINVAL after 1-2: a gate
 * must never admit what it does not understand. NULL arguments give VQ_EINVAL too.
 */
#include "admit.h"

#include <string.h>

static int64_t add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* Copies an id held in a VQ_ID_MAX array; 0 if the array holds no NUL (a corrupt ticket). */
static int id_copy(char dst[VQ_ID_MAX], const char src[VQ_ID_MAX])
{
	const char *nul = memchr(src, '\0', VQ_ID_MAX);
	if (!nul)
		return 0;
	memcpy(dst, src, (size_t)(nul - src) + 1);
	return 1;
}

/* The verdict for a ticket whose attraction (a, NULL if unknown) and tier (NULL if
 * unknown) were looked up; *out already holds the interval. */
static int judge(const vq_ticket *t, const vq_attraction *a, const vq_tier *tier,
                 const char *attr_id, const char *gate_attr, int attr_closed, int64_t now,
                 const vq_verdict *out)
{
	if (!tier)
		return VQ_ENOTIER;
	if (!a || strcmp(attr_id, gate_attr) != 0)
		return VQ_EWRONGATTR;
	switch (t->state) {
	case VQ_TS_CANCELLED:
		return VQ_ECANCELLED;
	case VQ_TS_REDEEMED:
		return VQ_EUSED;
	case VQ_TS_ISSUED:
	case VQ_TS_ANYTIME:
		break;
	default:
		return VQ_EINVAL; /* a state this code does not know: never admit */
	}
	if (attr_closed)
		return VQ_ECLOSED;
	if (now < out->from)
		return VQ_ETOOEARLY;
	if (now >= out->until)
		return VQ_EEXPIRED;
	return VQ_OK;
}

int vq_admit_check(const vq_site *site, const vq_ticket *t, const char *gate_attr, int attr_closed,
                   int64_t now, vq_verdict *out)
{
	char attr_id[VQ_ID_MAX] = "";
	const vq_attraction *a = NULL;
	const vq_tier *tier = NULL;

	if (!out)
		return VQ_EINVAL;
	memset(out, 0, sizeof *out);
	if (!site || !t || !gate_attr) {
		out->result = VQ_EINVAL;
		return VQ_EINVAL;
	}

	if (id_copy(attr_id, t->attr)) {
		int ai = vq_site_attr_find(site, attr_id);
		if (ai >= 0)
			a = vq_site_attr(site, ai);
	}
	if (t->tier < vq_site_tier_count(site))
		tier = vq_site_tier(site, t->tier);

	if (a && t->state == VQ_TS_ANYTIME) {
		out->from = t->valid_from;
		out->until = t->valid_until;
	} else if (a) {
		/* An unknown tier gets no tier grace: the interval is shown only with VQ_ENOTIER,
		 * and the shorter one promises nothing the site might not keep. */
		int64_t late = (int64_t)a->late_grace_min + (tier ? tier->late_grace_min : 0);
		out->from = add_sat(t->win_start, -(int64_t)a->early_grace_min * 60);
		out->until = add_sat(t->win_end, late * 60);
	}
	/* Nobody was admitted with a ticket before it existed: an admission dated earlier (a
	 * gate's clock, a forged journal) is too early, whatever the early grace says. */
	if (a && t->issued_at > out->from)
		out->from = t->issued_at;

	out->result = judge(t, a, tier, attr_id, gate_attr, attr_closed, now, out);
	if (out->result == VQ_EUSED) {
		out->used_at = t->used_at;
		if (!id_copy(out->used_gate, t->used_gate))
			memcpy(out->used_gate, t->used_gate, VQ_ID_MAX - 1);
	}
	return out->result;
}
