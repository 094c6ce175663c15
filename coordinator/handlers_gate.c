/* coordinator/handlers_gate.c — the gates' verbs: redeem, sync, override, lookup.
 *
 * Owns admission: a ticket is admitted at most once, online or by a gate's sync; every
 * admission becomes an events/admission message after the batch commits.
 */
#include "coordinator/handlers.h"
#include "coordinator/log.h"
#include "core/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- svc/redeem, svc/sync, svc/override, svc/lookup --------------------------------- */

/* Boards show admitted numbers; gates' shift counters and audits read the same event. */
static void admission_event(vq_vqd *d, const vq_ticket *t, const char *attr, const char *gate,
                            int64_t at, int offline, int override)
{
	int a = vq_site_attr_find(d->site, attr);
	char number[16];
	vq_ticket_number_format(a >= 0 ? vq_site_attr(d->site, a)->prefix : "?", t->number, number,
	                        sizeof number);
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "v", 1);
	cJSON_AddStringToObject(ev, "attraction", attr);
	cJSON_AddStringToObject(ev, "number", number);
	cJSON_AddNumberToObject(ev, "ticket", (double)t->id);
	cJSON_AddNumberToObject(ev, "party", t->party);
	cJSON_AddStringToObject(ev, "tier", vq_site_tier(d->site, t->tier)->id);
	cJSON_AddStringToObject(ev, "gate", gate);
	cJSON_AddNumberToObject(ev, "at", (double)at);
	cJSON_AddBoolToObject(ev, "offline", offline);
	if (override)
		cJSON_AddBoolToObject(ev, "override", 1);
	if (t->kind == VQ_TK_ACCESS)
		cJSON_AddBoolToObject(ev, "access", 1);
	vqd_add_event(d, "events/admission", ev);
}

/* Verifies a code field into claims, or sets an error reply. */
static int code_of(vq_vqd *d, vqd_req *q, const char *code, vq_claims *c)
{
	int rc = vq_code_verify(code, strlen(code), &d->ring, c);
	if (rc == VQ_OK && strcmp(c->site, vq_site_id(d->site)) != 0)
		rc = VQ_EBADSIG; /* a valid code of another site is not ours to honour */
	if (rc != VQ_OK)
		vqd_reply_err(&q->reply, q->rid, rc == VQ_EINVAL ? VQ_EMALFORMED : rc, NULL);
	return rc;
}

cJSON *vqd_do_redeem(vq_vqd *d, vqd_req *q, const char *client, int64_t now)
{
	const char *code, *attr;
	int64_t at = now;
	int has_at;
	vq_claims c;
	if (vqd_get_str(q, "code", 1, VQ_CODE_MAX - 1, &code) ||
	    vqd_get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) ||
	    vqd_get_int(q, "at", 0, 0, now, &at, &has_at) || vqd_attr_of(d, q, attr) < 0 ||
	    code_of(d, q, code, &c))
		return q->reply;
	vq_verdict v;
	vq_ticket t;
	int rc = vq_service_redeem(d->svc, c.ticket_id, attr, client, has_at, at, &v, &t);
	if (rc == VQ_OK) {
		vqd_mark_dirty(d, attr);
		cJSON *r = vqd_reply_new(q->rid, 1);
		cJSON_AddBoolToObject(r, "admit", 1);
		cJSON_AddItemToObject(r, "ticket", vqd_ticket_json(d, &t, 0));
		admission_event(d, &t, attr, client, at, has_at, 0);
		return r;
	}
	if (rc == VQ_ENOTICKET && c.win_end < vq_book_day_start(vq_service_book(d->svc))) {
		/* a ticket of an earlier day: its window is long gone */
		rc = VQ_EEXPIRED;
		v.from = c.win_start;
		v.until = c.win_end;
	}
	cJSON *e = vqd_reply_err(&q->reply, q->rid, rc, NULL);
	if (rc == VQ_ETOOEARLY || rc == VQ_EEXPIRED) {
		cJSON_AddNumberToObject(e, "from", (double)v.from);
		cJSON_AddNumberToObject(e, "until", (double)v.until);
	} else if (rc == VQ_EUSED) {
		cJSON_AddNumberToObject(e, "used_at", (double)v.used_at);
		cJSON_AddStringToObject(e, "used_gate", v.used_gate);
	} else if (rc == VQ_EWRONGATTR) {
		cJSON_AddStringToObject(e, "ticket_attraction", c.attr);
	}
	return q->reply;
}

/* A gate that admitted while it could not reach vqd sends those admissions when it can.
 * Each is checked at the instant it happened; one that another gate admitted first is a
 * conflict: the ticket was used twice, and both gates must know. */
cJSON *vqd_do_sync(vq_vqd *d, vqd_req *q, const char *client, int64_t now)
{
	/* an admission with a field vqd does not know is refused like a malformed one */
	static const char *const sync_fields[] = {"code", "attraction", "at", NULL};
	const cJSON *adm = cJSON_GetObjectItemCaseSensitive(q->root, "admissions");
	int n = cJSON_IsArray(adm) ? cJSON_GetArraySize(adm) : -1;
	if (n < 1 || n > VQD_MAX_SYNC) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "admissions: %s",
		              n < 0 ? "missing or not an array" : "1..200 a request");
		return q->reply;
	}
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON *results = cJSON_AddArrayToObject(r, "results");
	const cJSON *it;
	cJSON_ArrayForEach(it, adm)
	{
		cJSON *res = cJSON_CreateObject();
		cJSON_AddItemToArray(results, res);
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(it, "code");
		const cJSON *attr = cJSON_GetObjectItemCaseSensitive(it, "attraction");
		int64_t when = 0;
		vq_claims c;
		int rc = VQ_EBADREQ;
		if (cJSON_IsString(code) && cJSON_IsString(attr) &&
		    !vqd_unknown_field(it, sync_fields, 0) &&
		    vq_json_int(cJSON_GetObjectItemCaseSensitive(it, "at"), 0, now, &when) ==
		        VQ_OK &&
		    vq_site_attr_find(d->site, attr->valuestring) >= 0) {
			rc = vq_code_verify(code->valuestring, strlen(code->valuestring), &d->ring,
			                    &c);
			if (rc == VQ_OK && strcmp(c.site, vq_site_id(d->site)) != 0)
				rc = VQ_EBADSIG;
		}
		if (rc != VQ_OK) {
			cJSON_AddBoolToObject(res, "ok", 0);
			cJSON_AddStringToObject(res, "error", vq_errname(rc));
			continue;
		}
		cJSON_AddNumberToObject(res, "ticket", (double)c.ticket_id);
		vq_verdict v;
		vq_ticket t;
		rc = vq_service_redeem(d->svc, c.ticket_id, attr->valuestring, client, 1, when, &v,
		                       &t);
		if (rc == VQ_ESTORE || rc == VQ_EINVAL) {
			cJSON_Delete(r);
			vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
			return q->reply;
		}
		cJSON_AddBoolToObject(res, "ok", rc == VQ_OK);
		if (rc == VQ_OK) {
			vqd_mark_dirty(d, attr->valuestring);
			admission_event(d, &t, attr->valuestring, client, when, 1, 0);
			continue;
		}
		cJSON_AddStringToObject(res, "error", vq_errname(rc));
		if (rc == VQ_EUSED) {
			cJSON_AddBoolToObject(res, "conflict", 1);
			cJSON_AddNumberToObject(res, "used_at", (double)v.used_at);
			cJSON_AddStringToObject(res, "used_gate", v.used_gate);
			cJSON *ev = cJSON_CreateObject();
			cJSON_AddNumberToObject(ev, "v", 1);
			cJSON_AddStringToObject(ev, "attraction", attr->valuestring);
			cJSON_AddNumberToObject(ev, "ticket", (double)c.ticket_id);
			cJSON_AddStringToObject(ev, "gate", client);
			cJSON_AddNumberToObject(ev, "at", (double)when);
			cJSON_AddStringToObject(ev, "first_gate", v.used_gate);
			cJSON_AddNumberToObject(ev, "first_at", (double)v.used_at);
			vqd_note_conflict(d, client, ev, now);
			vqd_add_event(d, "events/conflict", ev);
		}
	}
	return r;
}

/* Staff admit anyway, with a reason that lands in the audit log: a damaged code, a guest
 * who missed the window through the park's fault. A known, unused ticket of this gate's
 * attraction is marked used; any other ticket is left as it is (one of another attraction
 * stays usable there), and the reply and the audit say why in "ticket_state". */
cJSON *vqd_do_override(vq_vqd *d, vqd_req *q, const char *client, int64_t now)
{
	const char *code, *attr, *reason;
	int64_t id = 0;
	int has_id;
	vq_claims c;
	if (vqd_get_str(q, "code", 0, VQ_CODE_MAX - 1, &code) ||
	    vqd_get_int(q, "ticket", 0, 1, INT64_C(1) << 48, &id, &has_id) ||
	    vqd_get_str(q, "attraction", 1, VQ_ID_MAX - 1, &attr) || vqd_attr_of(d, q, attr) < 0 ||
	    vqd_get_text(q, "reason", 1, 200, &reason))
		return q->reply;
	const char *state = NULL; /* what became of the ticket, when it was not marked used */
	char other[VQ_ID_MAX] = "";
	if (code) {
		int vrc = vq_code_verify(code, strlen(code), &d->ring, &c);
		if (vrc == VQ_OK && strcmp(c.site, vq_site_id(d->site)) != 0)
			vrc = VQ_EBADSIG;
		if (vrc == VQ_OK) {
			id = (int64_t)c.ticket_id;
			has_id = 1;
		} else if (!has_id) {
			state = vq_errname(vrc == VQ_EINVAL ? VQ_EMALFORMED : vrc);
		}
	}
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddBoolToObject(r, "admit", 1);
	if (has_id) {
		vq_ticket t;
		int rc = vq_service_override(d->svc, (uint64_t)id, attr, client, now, &t);
		if (rc == VQ_ESTORE || rc == VQ_EINVAL) {
			cJSON_Delete(r);
			vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
			return q->reply;
		}
		if (rc == VQ_OK) {
			vqd_mark_dirty(d, t.attr);
			cJSON_AddItemToObject(r, "ticket", vqd_ticket_json(d, &t, 0));
			admission_event(d, &t, t.attr, client, now, 0, 1);
		} else {
			/* admitted all the same: the audit says the ticket could not be marked */
			state = vq_errname(rc);
			const vq_ticket *bt = vq_book_ticket(vq_service_book(d->svc), (uint64_t)id);
			if (rc == VQ_EWRONGATTR && bt)
				snprintf(other, sizeof other, "%s", bt->attr);
		}
	}
	if (state)
		cJSON_AddStringToObject(r, "ticket_state", state);
	if (other[0])
		cJSON_AddStringToObject(r, "ticket_attraction", other);
	/* the audit: the request, with what became of its ticket in vqd's words (in place of
	 * anything the request itself said under those names) */
	cJSON *audit = cJSON_Duplicate(q->root, 1);
	if (audit) {
		cJSON_DeleteItemFromObjectCaseSensitive(audit, "ticket_state");
		cJSON_DeleteItemFromObjectCaseSensitive(audit, "ticket_attraction");
		cJSON_AddStringToObject(audit, "ticket_state",
		                        state    ? state
		                        : has_id ? "redeemed"
		                                 : "no_ticket");
		if (other[0])
			cJSON_AddStringToObject(audit, "ticket_attraction", other);
	}
	char *detail = vqd_render(audit);
	if (!detail ||
	    vq_store_audit(vq_service_store(d->svc), now, client, "override", detail) != VQ_OK) {
		free(detail);
		cJSON_Delete(r);
		vqd_reply_err(&q->reply, q->rid, VQ_ESTORE, NULL);
		return q->reply;
	}
	free(detail);
	return r;
}

cJSON *vqd_do_lookup(vq_vqd *d, vqd_req *q)
{
	const char *code;
	int64_t id = 0;
	int has_id;
	vq_claims c;
	if (vqd_get_str(q, "code", 0, VQ_CODE_MAX - 1, &code) ||
	    vqd_get_int(q, "ticket", 0, 1, INT64_C(1) << 48, &id, &has_id))
		return q->reply;
	if (!code && !has_id) {
		vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "ticket or code: missing");
		return q->reply;
	}
	if (code) {
		if (code_of(d, q, code, &c))
			return q->reply;
		id = (int64_t)c.ticket_id;
	}
	vq_ticket t;
	const vq_ticket *bt = vq_book_ticket(vq_service_book(d->svc), (uint64_t)id);
	if (bt)
		t = *bt;
	else if (vq_store_get_ticket(vq_service_store(d->svc), (uint64_t)id, &t) != VQ_OK) {
		vqd_reply_err(&q->reply, q->rid, VQ_ENOTICKET, "no ticket %" PRId64, id);
		return q->reply;
	}
	cJSON *r = vqd_reply_new(q->rid, 1);
	cJSON_AddItemToObject(r, "ticket", vqd_ticket_json(d, &t, 0));
	return r;
}
