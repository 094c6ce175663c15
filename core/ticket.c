/* core/ticket.c — the names of ticket states and the short number a person reads.
 *
 * Owns the text forms only: state and kind names are part of the wire protocol and the store's
 * schema (docs/protocol.md), so a name, once shipped, never changes. The short number is
 * always prefix, '-', exactly three digits; nothing here allocates or reads the clock.
 */
#include "ticket.h"

#include <stdio.h>
#include <string.h>

static const char *const state_names[] = {
    [VQ_TS_ISSUED] = "issued",
    [VQ_TS_REDEEMED] = "redeemed",
    [VQ_TS_CANCELLED] = "cancelled",
    [VQ_TS_ANYTIME] = "anytime",
};

#define STATE_COUNT ((int)(sizeof state_names / sizeof state_names[0]))

static const char *const kind_names[] = {
    [VQ_TK_FAST] = "fast",
    [VQ_TK_ACCESS] = "access",
};

#define KIND_COUNT ((int)(sizeof kind_names / sizeof kind_names[0]))

const char *vq_ticket_state_name(int state)
{
	if (state < 0 || state >= STATE_COUNT)
		return "?";
	return state_names[state];
}

int vq_ticket_state_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0)
			return i;
	}
	return -1;
}

const char *vq_ticket_kind_name(int kind)
{
	if (kind < 0 || kind >= KIND_COUNT)
		return "?";
	return kind_names[kind];
}

int vq_ticket_kind_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < KIND_COUNT; i++) {
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	}
	return -1;
}

void vq_ticket_number_format(const char *prefix, unsigned number, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return;
	if (!prefix)
		prefix = "";
	/* A number outside 1..999 is a bug upstream; "???" shows it on the board instead of
	 * printing four digits that look like some other ticket's number. */
	if (number < 1 || number > 999)
		snprintf(out, outlen, "%s-???", prefix);
	else
		snprintf(out, outlen, "%s-%03u", prefix, number);
}
