/* coordinator/fields.c — which fields each request may carry (docs/protocol.md, field for
 * field), checked before a handler reads any: a field vqd does not know is refused with
 * bad_request naming it, never ignored, so a misspelt optional one ("overbok_pct",
 * "atraction" in a quote) cannot get an ok that did not do what its sender meant.
 * Invariant: every field a handler reads is listed here for its verb (or ops cmd); an ops
 * cmd not listed is the handler's to refuse (unknown_command).
 */
#include "coordinator/handlers.h"

#include <string.h>

/* What each request may carry besides v and rid. */
static const char *const f_identify[] = {"card", NULL};
static const char *const f_quote[] = {"card", "attraction", "tier", "party", NULL};
static const char *const f_issue[] = {"card", "attraction", "party", NULL};
static const char *const f_cancel[] = {"card", "ticket", NULL};
static const char *const f_redeem[] = {"code", "attraction", "at", NULL};
static const char *const f_sync[] = {"admissions", NULL};
static const char *const f_override[] = {"code", "ticket", "attraction", "reason", NULL};
static const char *const f_lookup[] = {"code", "ticket", NULL};
static const char *const f_access[] = {"card", "attraction", "party", NULL};
static const char *const f_web[] = {"code", NULL};

/* An ops request also carries its cmd. */
static const struct ops_fields {
	const char *cmd;
	const char *const fields[9];
} ops_fields[] = {
    {"status", {"cmd", NULL}},
    {"stats", {"cmd", NULL}},
    {"tiers", {"cmd", NULL}},
    {"keys", {"cmd", NULL}},
    {"keys_rotate", {"cmd", NULL}},
    {"slots", {"cmd", "attraction", NULL}},
    {"passes", {"cmd", "attraction", NULL}},
    {"close", {"cmd", "attraction", NULL}},
    {"reopen", {"cmd", "attraction", NULL}},
    {"member", {"cmd", "card", NULL}},
    {"members_import", {"cmd", "members", NULL}},
    {"audit", {"cmd", "limit", "since", "action", NULL}},
    {"keys_retire", {"cmd", "kid", "force", NULL}},
    {"standby", {"cmd", "attraction", "minutes", NULL}},
    {"merge", {"cmd", "attraction", "fast", "standby", NULL}},
    {"capacity",
     {"cmd", "attraction", "throughput_per_hour", "fast_share_pct", "overbook_pct", NULL}},
    {"tier",
     {"cmd", "tier", "protect_pct", "release_min", "max_passes", "horizon_min", "late_grace_min",
      NULL}},
};

static int listed(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

const char *vqd_unknown_field(const cJSON *obj, const char *const *allowed, int envelope)
{
	static const char *const env[] = {"v", "rid", NULL};
	const cJSON *f;
	cJSON_ArrayForEach(f, obj)
	{
		if (!listed(f->string, allowed) && !(envelope && listed(f->string, env)))
			return f->string;
	}
	return NULL;
}

int vqd_check_fields(vqd_req *q, const cJSON *obj, const char *path, const char *const *allowed)
{
	const char *name = vqd_unknown_field(obj, allowed, path == NULL);
	if (!name)
		return VQ_OK;
	/* the strict parser let only text without control characters through */
	vqd_reply_err(&q->reply, q->rid, VQ_EBADREQ, "%s%s%s: unknown field", path ? path : "",
	              path ? "." : "", name);
	return VQ_EBADREQ;
}

int vqd_check_request_fields(vqd_req *q, const char *verb, const char *cmd)
{
	static const struct {
		const char *verb;
		const char *const *fields;
	} by_verb[] = {
	    {"svc/identify", f_identify}, {"svc/quote", f_quote},     {"svc/issue", f_issue},
	    {"svc/cancel", f_cancel},     {"svc/redeem", f_redeem},   {"svc/sync", f_sync},
	    {"svc/override", f_override}, {"svc/lookup", f_lookup},   {"svc/access", f_access},
	    {"web/svc/ticket", f_web},    {"web/svc/giveback", f_web}};
	if (strcmp(verb, "svc/ops") == 0) {
		for (size_t i = 0; i < sizeof ops_fields / sizeof ops_fields[0]; i++)
			if (strcmp(cmd, ops_fields[i].cmd) == 0)
				return vqd_check_fields(q, q->root, NULL, ops_fields[i].fields);
		return VQ_OK;
	}
	for (size_t i = 0; i < sizeof by_verb / sizeof by_verb[0]; i++)
		if (strcmp(verb, by_verb[i].verb) == 0)
			return vqd_check_fields(q, q->root, NULL, by_verb[i].fields);
	return VQ_OK;
}
