/* core/vq.h — the error codes every vq module returns, and the limits they share.
 *
 * Every function that can fail returns an int from enum vq_err (0 = VQ_OK); results go
 * through out-parameters and, on failure, the callee leaves its state unchanged.
 * vq_errname() is the stable wire name (docs/protocol.md); vq_strerror() is for people.
 */
#ifndef VQ_VQ_H
#define VQ_VQ_H

#include <stddef.h>
#include <stdint.h>

enum vq_err {
	VQ_OK = 0,
	VQ_ENOMEM,       /* out of memory */
	VQ_EINVAL,       /* an argument is out of its range */
	VQ_ECONFIG,      /* the site config is invalid */
	VQ_ENOATTR,      /* unknown attraction */
	VQ_ENOTIER,      /* unknown tier */
	VQ_ESOLDOUT,     /* no slot today fits this tier and party */
	VQ_ELIMIT,       /* guest already holds the most passes the tier allows */
	VQ_EPARTY,       /* party size out of 1..max_party */
	VQ_ECLOSED,      /* attraction closed (breakdown) */
	VQ_ENOTOPEN,     /* attraction not operating now (outside opening hours) */
	VQ_ENOTICKET,    /* unknown ticket */
	VQ_ESTATE,       /* the ticket's state does not allow this (cancel a used ticket) */
	VQ_EMALFORMED,   /* a ticket code that does not parse */
	VQ_EBADSIG,      /* a ticket code whose signature does not verify (forged) */
	VQ_EUNKNOWNKEY,  /* a ticket code signed with a key id we do not hold */
	VQ_ETOOEARLY,    /* admission: before the window (minus grace) */
	VQ_EEXPIRED,     /* admission: after the window (plus grace) */
	VQ_EWRONGATTR,   /* admission: ticket is for another attraction */
	VQ_EUSED,        /* admission: ticket already redeemed */
	VQ_ECANCELLED,   /* admission: ticket was cancelled */
	VQ_ESTORE,       /* the store failed (I/O, corruption); nothing was acknowledged */
	VQ_ENOTFOUND,    /* a lookup found nothing (member, request id) */
	VQ_EEXISTS,      /* a unique thing already exists */
	VQ_EUNKNOWNCARD, /* card number not a member and the site refuses unknown cards */
	VQ_EBUS,         /* the broker is unreachable or refused us */
	VQ_ETIMEOUT,     /* no answer in time */
	VQ_EBADREQ,      /* a request that is not valid JSON or lacks/mistypes a field */
	VQ_ETOOBIG,      /* a payload over the size limit */
	VQ_EUNKNOWNCMD,  /* an operator command vqd does not know */
	VQ_EDENIED,      /* not allowed for this role */
	VQ_ERATELIMIT,   /* too many requests from this client (or of this kind) just now */
	VQ_ERIDREUSED,   /* a request id already used for another request of this client */
	VQ_ENODAY,       /* today's book could not be loaded: nothing is decided until it is */
	VQ_ERR_COUNT
};

const char *vq_strerror(int err); /* never NULL; stable English text */
const char *vq_errname(int err);  /* never NULL; stable snake_case wire code */

#define VQ_MAX_TIERS 8
#define VQ_MAX_LANGS 8
#define VQ_MAX_PARTY 20
#define VQ_ID_MAX    32 /* ids: [a-z0-9_-], 1..31 bytes plus NUL */
#define VQ_NAME_MAX  96 /* display names, UTF-8, plus NUL */
#define VQ_LANG_MAX  8  /* "en", "ro", "pt-BR" plus NUL */

#endif
