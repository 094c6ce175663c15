/* coordinator/handlers.h — what vqd's request handlers share (handlers*.c only).
 *
 * handlers.c owns the request envelope (rate limit, size, strict JSON, v, rid, idempotency) and
 * the helpers below; handlers_guest.c the kiosks' verbs, handlers_gate.c the gates',
 * handlers_ops.c the operators', and handlers_web.c the guests' phones'. A handler checks every
 * field before it changes anything: a getter that fails leaves its error reply in q->reply and
 * changes nothing.
 */
#ifndef VQ_HANDLERS_H
#define VQ_HANDLERS_H

#include "coordinator/vqd.h"

#include <stdint.h>

#define VQD_RID_MAX 64 /* a request id: 1..64 printable ASCII characters */

typedef struct vqd_req {
	cJSON *root;
	const char *rid;
	cJSON *reply; /* set by a failing getter */
} vqd_req;

/* Replies. */
cJSON *vqd_reply_new(const char *rid, int ok);
/* An error reply in *out; returns its "error" object so callers can add details. */
cJSON *vqd_reply_err(cJSON **out, const char *rid, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
char *vqd_render(cJSON *r); /* deletes r */
/* The refusal of a request vqd did not read (the strict parser refused it, its batch is
 * dead, its account is unusable): under its rid, read leniently (cJSON) only to address
 * the reply, when it is a valid one (1..VQD_RID_MAX printable), else under rid null.
 * Rendered; NULL without memory. vqd_storage_error is the one for `storage`. */
char *vqd_refuse(const char *payload, size_t len, int code, const char *msg);

/* Request fields. */
int vqd_printable(const char *s, size_t min, size_t max);
/* Optional string field: VQ_OK with *out NULL when absent. */
int vqd_get_str(vqd_req *q, const char *name, int required, size_t maxlen, const char **out);
/* Text a person reads (reasons): 1..maxlen bytes of UTF-8, no control or bidi characters;
 * VQ_OK with *out NULL when absent and optional. */
int vqd_get_text(vqd_req *q, const char *name, int required, size_t maxlen, const char **out);
/* Integer field in [lo, hi], as written (1.0 and 1e0 are not integers); *present says
 * whether it was there. VQ_EBADREQ for a wrong type, VQ_EINVAL out of range. */
int vqd_get_int(vqd_req *q, const char *name, int required, int64_t lo, int64_t hi, int64_t *out,
                int *present);

/* The first field of obj not in allowed (NULL-ended), or NULL; with envelope, v and rid
 * are allowed too. */
const char *vqd_unknown_field(const cJSON *obj, const char *const *allowed, int envelope);
/* The fields of obj (a request's nested object, at path such as "members[2]"; NULL: the
 * request itself, which may also carry v and rid) must all be in allowed (NULL-ended):
 * VQ_EBADREQ with the reply naming the first that is not. */
int vqd_check_fields(vqd_req *q, const cJSON *obj, const char *path, const char *const *allowed);
/* The request's own fields (q->root) for its verb ("svc/issue"; "svc/ops" with its cmd):
 * VQ_EBADREQ with q->reply naming the first field it may not carry. */
int vqd_check_request_fields(vqd_req *q, const char *verb, const char *cmd);

/* Guests and tickets. */
uint64_t vqd_guest_of(const vq_vqd *d, const char *card);
int vqd_tier_of(vq_vqd *d, vqd_req *q, const char *card, int *tier, int *member);
int vqd_attr_of(vq_vqd *d, vqd_req *q, const char *id);
cJSON *vqd_ticket_json(const vq_vqd *d, const vq_ticket *t, int with_code);
/* When t's admission interval ends (window, attraction's and tier's grace; anytime's end). */
int64_t vqd_ticket_until(const vq_vqd *d, const vq_ticket *t);
cJSON *vqd_held_json(const vq_vqd *d, uint64_t guest, int64_t now);
void vqd_mark_dirty(vq_vqd *d, const char *attr);
void vqd_add_event(vq_vqd *d, const char *suffix, cJSON *ev);

/* The verbs. */
cJSON *vqd_do_identify(vq_vqd *d, vqd_req *q, int64_t now);
cJSON *vqd_do_quote(vq_vqd *d, vqd_req *q, int64_t now);
cJSON *vqd_do_issue(vq_vqd *d, vqd_req *q, const char *client, int64_t now);
cJSON *vqd_do_cancel(vq_vqd *d, vqd_req *q, int64_t now);
cJSON *vqd_do_redeem(vq_vqd *d, vqd_req *q, const char *client, int64_t now);
cJSON *vqd_do_sync(vq_vqd *d, vqd_req *q, const char *client, int64_t now);
cJSON *vqd_do_override(vq_vqd *d, vqd_req *q, const char *client, int64_t now);
cJSON *vqd_do_lookup(vq_vqd *d, vqd_req *q);
cJSON *vqd_do_access(vq_vqd *d, vqd_req *q, const char *client, int64_t now);
cJSON *vqd_ops_passes(vq_vqd *d, vqd_req *q); /* ops "passes": the day's access passes */
int vqd_ops_reads_only(const char *cmd);

/* The day's log for the report (daylog.c): a first sell-out per attraction and tier after
 * an issue or a capacity change; a conflict a gate's sync found (its events/conflict). */
void vqd_note_soldout(vq_vqd *d, int a, int64_t now);
void vqd_note_conflict(vq_vqd *d, const char *gate, const cJSON *event, int64_t now);
cJSON *vqd_do_ops(vq_vqd *d, vqd_req *q, const char *cmd, const char *client, int64_t now);
cJSON *vqd_do_web_ticket(vq_vqd *d, vqd_req *q, int64_t now);
cJSON *vqd_do_web_giveback(vq_vqd *d, vqd_req *q, int64_t now);

/* A web request's two token buckets (the visitor's, then the site's): VQ_OK takes one
 * token from each; VQ_ERATELIMIT leaves the refusal in q->reply. */
int vqd_web_admit(vq_vqd *d, vqd_req *q, const char *client);

#endif
