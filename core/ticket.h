/* core/ticket.h — a ticket: who may return where, when, and what became of it.
 *
 * A ticket holds `party` seats of slot `slot_start` of attraction `attr` while its state is
 * issued, redeemed or anytime; a cancelled ticket holds none. State only moves forward:
 * issued -> redeemed | cancelled | anytime, anytime -> redeemed.
 *
 * Two kinds of ticket share the book, the codes and the gates: a fast-lane ticket holds
 * seats of its slot; an accessibility return pass (issued by staff for a guest who cannot
 * wait in the standby line) holds none, so it never draws on the fast-lane inventory. Its
 * slot_start is the slot its return time falls in, which only says which day it belongs to.
 */
#ifndef VQ_TICKET_H
#define VQ_TICKET_H

#include "vq.h"

enum vq_ticket_state {
	VQ_TS_ISSUED = 0,
	VQ_TS_REDEEMED = 1,
	VQ_TS_CANCELLED = 2,
	VQ_TS_ANYTIME = 3 /* its window fell in a closure: valid any time after reopening, today */
};

enum vq_ticket_kind {
	VQ_TK_FAST = 0,  /* a fast-lane ticket: holds party seats of its slot */
	VQ_TK_ACCESS = 1 /* an accessibility return pass: holds no seats */
};

typedef struct vq_ticket {
	uint64_t id;          /* > 0, unique for the site, never reused */
	char attr[VQ_ID_MAX]; /* attraction id */
	int64_t slot_start;   /* unix seconds: the slot whose seats it holds */
	int64_t win_start;    /* return window, unix seconds, [win_start, win_end) */
	int64_t win_end;
	uint8_t tier;    /* index into the site's tiers */
	uint8_t party;   /* 1..VQ_MAX_PARTY seats */
	uint16_t number; /* short number, 1..999, per attraction per day */
	uint64_t guest;  /* pseudonymous guest reference; 0 = anonymous */
	uint8_t state;   /* enum vq_ticket_state */
	int64_t issued_at;
	int64_t valid_from; /* anytime tickets: the window they were given instead */
	int64_t valid_until;
	int64_t used_at; /* redeemed: when, and at which gate */
	char used_gate[VQ_ID_MAX];
	uint8_t used_offline;      /* redeemed by a gate that could not reach vqd */
	uint8_t kind;              /* enum vq_ticket_kind */
	char issued_by[VQ_ID_MAX]; /* the account that asked for it (kiosk, staff); "" unknown */
} vq_ticket;

const char *vq_ticket_state_name(int state); /* "issued", ...; "?" if out of range */
int vq_ticket_state_parse(const char *name); /* -1 if unknown */
const char *vq_ticket_kind_name(int kind);   /* "fast", "access"; "?" if out of range */
int vq_ticket_kind_parse(const char *name);  /* -1 if unknown */

/* Writes the short number a person reads ("H-042") into out (>= 8 bytes). */
void vq_ticket_number_format(const char *prefix, unsigned number, char *out, size_t outlen);

#endif
