/* coordinator/handlers_guest.c — the kiosks' verbs: identify, quote, issue, cancel.
 *
 * Owns what a guest may ask of the book; the card becomes a keyed pseudonym before
 * anything is looked up, and a request that fails a check changes nothing.
 */
#include "coordinator/handlers.h"
#include "coordinator/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- svc/identify, svc/quote --------------------------------------------------------- */

cJSON *vqd_do_identify(vq_vqd *d, vqd_req *q, int64_t now)
{
	const char *card;
	int tier, member;
	if (vqd_get_str(q, "card", 1, 32, &card) || vqd_tier_of(d, q, card, &tier, &member))
		return q->reply;
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddStringToObject(r, "tier", vq_site_tier(d->site, tier)->id);
	cJSON_AddBoolToObject(r, "member", member);
	cJSON_AddNumberToObject(r, "max_passes", vq_site_tier(d->site, tier)->max_passes);
	cJSON_AddItemToObject(r, "held", vqd_held_json(d, vqd_guest_of(d, card), now));
	return r;
}

static cJSON *quote_item(vq_vqd *d, int a, const vq_request *rq, int64_t now)
{
	vq_request r = *rq;
	r.attr = a;
	vq_offer o;
	cJSON *it = cJSON_CreateObject();
	cJSON_AddStringToObject(it, "attraction", vq_site_attr(d->site, a)->id);
	int rc = vq_book_quote(vq_service_book(d->svc), &r, now, &o);
	cJSON_AddBoolToObject(it, "ok", rc == VQ_OK);
	if (rc == VQ_OK) {
		cJSON_AddNumberToObject(it, "start", (double)o.win_start);
		cJSON_AddNumberToObject(it, "end", (double)o.win_end);
		cJSON_AddNumberToObject(it, "seats_left", o.seats_left);
	} else {
		cJSON_AddStringToObject(it, "error", vq_errname(rc));
	}
	return it;
}

/* A quote may ask "what if": "tier" quotes as that tier instead of the card's, with the
 * same card, party and rules, so a kiosk can compare honestly (same party, same rule). */
cJSON *vqd_do_quote(vq_vqd *d, vqd_req *q, int64_t now)
{
	const char *card, *attr, *as_tier;
	int64_t party;
	int tier, member;
	if (vqd_get_str(q, "card", 0, 32, &card) ||
	    vqd_get_str(q, "attraction", 0, VQ_ID_MAX - 1, &attr) ||
	    vqd_get_str(q, "tier", 0, VQ_ID_MAX - 1, &as_tier) ||
	    vqd_get_int(q, "party", 1, 1, VQ_MAX_PARTY, &party, NULL) ||
	    vqd_tier_of(d, q, card, &tier, &member))
		return q->reply;
	if (as_tier && (tier = vq_site_tier_find(d->site, as_tier)) < 0) {
		vqd_reply_err(&q->reply, q->rid, VQ_ENOTIER, "tier: unknown tier '%s'", as_tier);
		return q->reply;
	}
	int only = -1;
	if (attr && (only = vqd_attr_of(d, q, attr)) < 0)
		return q->reply;
	uint64_t guest = card ? vqd_guest_of(d, card) : 0;
	vq_request rq = {.tier = tier, .party = (int)party, .guest = guest};
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddStringToObject(r, "tier", vq_site_tier(d->site, tier)->id);
	cJSON_AddNumberToObject(r, "held", vq_book_guest_held(vq_service_book(d->svc), guest, now));
	cJSON_AddNumberToObject(r, "max_passes", vq_site_tier(d->site, tier)->max_passes);
	cJSON *arr = cJSON_AddArrayToObject(r, "quotes");
	for (int a = 0; a < vq_site_attr_count(d->site); a++)
		if (only < 0 || a == only)
			cJSON_AddItemToArray(arr, quote_item(d, a, &rq, now));
	return r;
}

/* --- svc/issue, svc/cancel ----------------------------------------------------------- */

cJSON *vqd_do_issue(vq_vqd *d, vqd_req *q, const char *client, int64_t now)
{
	const char *card, *attr;
	int64_t party;
	int tier, member, a;
	if (vqd_get_str(q, "card", 0, 32, &card) ||
	    vqd_get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) ||
	    vqd_get_int(q, "party", 1, 1, VQ_MAX_PARTY, &party, NULL) ||
	    (a = vqd_attr_of(d, q, attr)) < 0 || vqd_tier_of(d, q, card, &tier, &member))
		return q->reply;
	uint64_t guest = card ? vqd_guest_of(d, card) : 0;
	vq_request rq = {
	    .attr = a, .tier = tier, .party = (int)party, .guest = guest, .by = client};
	vq_ticket t;
	vq_book *b = vq_service_book(d->svc);
	int rc = vq_book_issue(b, &rq, now, &t);
	if (rc == VQ_OK) {
		vqd_mark_dirty(d, t.attr);
		vqd_note_soldout(d, a, now);
		cJSON *r = vqd_reply_new(q->rid, 1);
		cJSON_AddItemToObject(r, "ticket", vqd_ticket_json(d, &t, 1));
		return r;
	}
	cJSON *r;
	cJSON *e = vqd_reply_err(&r, q->rid, rc, NULL);
	if (rc == VQ_EPARTY) {
		cJSON_AddNumberToObject(e, "max_party", vq_site_attr(d->site, a)->max_party);
	} else if (rc == VQ_ELIMIT) {
		cJSON_AddItemToObject(e, "held", vqd_held_json(d, guest, now));
	} else if (rc == VQ_ESOLDOUT || rc == VQ_ECLOSED || rc == VQ_ENOTOPEN) {
		/* what the guest could take instead, so the kiosk can offer it */
		cJSON *alts = cJSON_AddArrayToObject(e, "alternatives");
		for (int o = 0; o < vq_site_attr_count(d->site); o++) {
			vq_offer off;
			vq_request alt = rq;
			alt.attr = o;
			if (o == a || vq_book_quote(b, &alt, now, &off) != VQ_OK)
				continue;
			cJSON *it = cJSON_CreateObject();
			cJSON_AddStringToObject(it, "attraction", vq_site_attr(d->site, o)->id);
			cJSON_AddNumberToObject(it, "start", (double)off.win_start);
			cJSON_AddNumberToObject(it, "end", (double)off.win_end);
			cJSON_AddItemToArray(alts, it);
		}
	}
	return r;
}

cJSON *vqd_do_cancel(vq_vqd *d, vqd_req *q, int64_t now)
{
	const char *card;
	int64_t id;
	if (vqd_get_str(q, "card", 1, 32, &card) ||
	    vqd_get_int(q, "ticket", 1, 1, INT64_C(1) << 48, &id, NULL))
		return q->reply;
	vq_book *b = vq_service_book(d->svc);
	const vq_ticket *t = vq_book_ticket(b, (uint64_t)id);
	/* someone else's ticket is reported as unknown: ids are not secrets */
	if (!t || t->guest != vqd_guest_of(d, card)) {
		vqd_reply_err(&q->reply, q->rid, VQ_ENOTICKET,
		              "no ticket %" PRId64 " for this card", id);
		return q->reply;
	}
	vq_ticket out;
	int rc = vq_book_cancel(b, (uint64_t)id, now, &out);
	if (rc != VQ_OK) {
		vqd_reply_err(&q->reply, q->rid, rc, "ticket %" PRId64 " is %s", id,
		              vq_ticket_state_name(t->state));
		return q->reply;
	}
	vqd_mark_dirty(d, out.attr);
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "ticket", vqd_ticket_json(d, &out, 0));
	return r;
}
