/* core/vq.c — names and texts of the error codes. The names are part of the wire protocol
 * (docs/protocol.md): never rename one, only add. */
#include "vq.h"

static const struct {
	const char *name;
	const char *text;
} errs[VQ_ERR_COUNT] = {
	[VQ_OK] = {"ok", "success"},
	[VQ_ENOMEM] = {"no_memory", "out of memory"},
	[VQ_EINVAL] = {"invalid", "invalid argument"},
	[VQ_ECONFIG] = {"bad_config", "invalid site configuration"},
	[VQ_ENOATTR] = {"unknown_attraction", "unknown attraction"},
	[VQ_ENOTIER] = {"unknown_tier", "unknown tier"},
	[VQ_ESOLDOUT] = {"sold_out", "no return time left today for this tier and party"},
	[VQ_ELIMIT] = {"limit_reached", "guest already holds the most passes the tier allows"},
	[VQ_EPARTY] = {"party_size", "party size out of range for this attraction"},
	[VQ_ECLOSED] = {"closed", "attraction is closed"},
	[VQ_ENOTOPEN] = {"not_operating", "attraction is not operating at this time"},
	[VQ_ENOTICKET] = {"unknown_ticket", "unknown ticket"},
	[VQ_ESTATE] = {"bad_state", "ticket state does not allow this"},
	[VQ_EMALFORMED] = {"malformed_code", "ticket code is damaged or not a vq code"},
	[VQ_EBADSIG] = {"forged", "ticket code signature does not verify"},
	[VQ_EUNKNOWNKEY] = {"unknown_key", "ticket code signed with an unknown key"},
	[VQ_ETOOEARLY] = {"too_early", "too early for the return window"},
	[VQ_EEXPIRED] = {"expired", "return window has passed"},
	[VQ_EWRONGATTR] = {"wrong_attraction", "ticket is for another attraction"},
	[VQ_EUSED] = {"already_used", "ticket was already used"},
	[VQ_ECANCELLED] = {"cancelled", "ticket was cancelled"},
	[VQ_ESTORE] = {"storage", "storage failure; nothing was recorded"},
	[VQ_ENOTFOUND] = {"not_found", "not found"},
	[VQ_EEXISTS] = {"exists", "already exists"},
	[VQ_EUNKNOWNCARD] = {"unknown_card", "card is not known to this site"},
	[VQ_EBUS] = {"unreachable", "message broker unreachable"},
	[VQ_ETIMEOUT] = {"timeout", "no answer in time"},
	[VQ_EBADREQ] = {"bad_request", "malformed request"},
	[VQ_ETOOBIG] = {"too_large", "payload too large"},
	[VQ_EUNKNOWNCMD] = {"unknown_command", "unknown command"},
	[VQ_EDENIED] = {"denied", "not allowed"},
	[VQ_ERATELIMIT] = {"rate_limited", "too many requests; retry later"},
	[VQ_ERIDREUSED] = {"rid_reused", "request id already used for another request"},
	[VQ_ENODAY] = {"day_unavailable",
	               "today could not be loaded; nothing is issued or admitted until it is"},
};

const char *vq_strerror(int err)
{
	if (err < 0 || err >= VQ_ERR_COUNT || !errs[err].text)
		return "unknown error";
	return errs[err].text;
}

const char *vq_errname(int err)
{
	if (err < 0 || err >= VQ_ERR_COUNT || !errs[err].name)
		return "unknown_error";
	return errs[err].name;
}
