/* coordinator/handlers_access.c — accessibility return passes: svc/access, ops passes.
 *
 * Owns the staff's verb that gives a guest who cannot wait in the standby line a return
 * time worth that wait: the attraction's posted standby wait (the operators' `standby`)
 * less the site's access_margin_min, from now. The pass is a ticket of kind "access" in the
 * book (core/book.h: it holds no seats, so the fast lane's inventory and the tier's pass
 * limit are untouched; one active pass per guest), signed as such, so every gate admits it
 * by the code rules it applies to any ticket, online and offline. Invariants:
 *   - every pass issued is in the audit log under the staff account that asked, in the
 *     same batch as the pass itself; a pass whose audit cannot be written is answered
 *     `storage`, like the override;
 *   - a request that fails a check changes nothing.
 */
#include "coordinator/handlers.h"
#include "coordinator/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The return wait in minutes at attraction a: the posted standby wait less the margin. */
static int access_wait(const vq_vqd *d, int a)
{
	int wait = d->standby_min[a] - vq_site_access_margin_min(d->site);
	return wait > 0 ? wait : 0;
}

static cJSON *pass_json(const vq_vqd *d, const vq_ticket *t, int with_code)
{
	cJSON *o = vqd_ticket_json(d, t, with_code);
	cJSON_AddStringToObject(o, "issued_by", t->issued_by);
	return o;
}

cJSON *vqd_do_access(vq_vqd *d, vqd_req *q, const char *client, int64_t now)
{
	const char *card, *attr;
	int64_t party;
	int tier, member, a;
	if (vqd_get_str(q, "card", 1, 32, &card) ||
	    vqd_get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) ||
	    vqd_get_int(q, "party", 1, 1, VQ_MAX_PARTY, &party, NULL) ||
	    (a = vqd_attr_of(d, q, attr)) < 0 || vqd_tier_of(d, q, card, &tier, &member))
		return q->reply;
	if (vq_site_attr(d->site, a)->kind != VQ_KIND_RIDE) {
		vqd_reply_err(&q->reply, q->rid, VQ_EINVAL,
		              "attraction: '%s' is a service desk: it has no standby line", attr);
		return q->reply;
	}
	uint64_t guest = vqd_guest_of(d, card);
	int wait = access_wait(d, a);
	vq_request rq = {
	    .attr = a, .tier = tier, .party = (int)party, .guest = guest, .by = client};
	vq_book *b = vq_service_book(d->svc);
	vq_ticket t;
	int rc = vq_book_issue_access(b, &rq, wait, now, &t);
	if (rc != VQ_OK) {
		cJSON *e;
		if (rc == VQ_ELIMIT) {
			e = vqd_reply_err(&q->reply, q->rid, rc,
			                  "this guest already holds an accessibility pass");
			cJSON *held = cJSON_AddArrayToObject(e, "held");
			const vq_ticket *p = vq_book_guest_pass(b, guest, now);
			if (p)
				cJSON_AddItemToArray(held, pass_json(d, p, 1));
		} else if (rc == VQ_ENOTOPEN) {
			vqd_reply_err(&q->reply, q->rid, rc,
			              "the return time (in %d min) would fall after closing", wait);
		} else {
			e = vqd_reply_err(&q->reply, q->rid, rc, NULL);
			if (rc == VQ_EPARTY)
				cJSON_AddNumberToObject(e, "max_party",
				                        vq_site_attr(d->site, a)->max_party);
		}
		return q->reply;
	}
	cJSON *detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "ticket", (double)t.id);
	cJSON_AddStringToObject(detail, "attraction", t.attr);
	cJSON_AddNumberToObject(detail, "party", t.party);
	cJSON_AddNumberToObject(detail, "start", (double)t.win_start);
	cJSON_AddNumberToObject(detail, "standby_min", d->standby_min[a]);
	cJSON_AddNumberToObject(detail, "margin_min", vq_site_access_margin_min(d->site));
	char *text = vqd_render(detail);
	rc = text ? vq_store_audit(vq_service_store(d->svc), now, client, "access_pass", text)
	          : VQ_ENOMEM;
	free(text);
	if (rc != VQ_OK) {
		vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
		return q->reply;
	}
	vqd_mark_dirty(d, t.attr);
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "ticket", pass_json(d, &t, 1));
	cJSON_AddNumberToObject(r, "standby_min", d->standby_min[a]);
	cJSON_AddNumberToObject(r, "margin_min", vq_site_access_margin_min(d->site));
	return r;
}

cJSON *vqd_ops_passes(vq_vqd *d, vqd_req *q)
{
	const char *attr;
	int only = -1;
	if (vqd_get_str(q, "attraction", 0, VQ_ID_MAX - 1, &attr) ||
	    (attr && (only = vqd_attr_of(d, q, attr)) < 0))
		return q->reply;
	const vq_book *b = vq_service_book(d->svc);
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON *arr = cJSON_AddArrayToObject(r, "passes");
	for (size_t i = 0; i < vq_book_ticket_count(b); i++) {
		const vq_ticket *t = vq_book_ticket_at(b, i);
		if (t->kind != VQ_TK_ACCESS ||
		    (only >= 0 && strcmp(t->attr, vq_site_attr(d->site, only)->id) != 0))
			continue;
		cJSON_AddItemToArray(arr, pass_json(d, t, 0));
	}
	return r;
}
