/* coordinator/store_backend.h — what a store backend implements (private to the store).
 *
 * store.h is the one store API every caller uses; store_api.c checks every argument against
 * that contract and hands the call to the backend the database chose at open: SQLite
 * (store.c) for a file path, PostgreSQL (store_pg.c) for a postgresql:// URI. A backend
 * therefore gets only arguments store.h allows (ids valid, strings within their limits,
 * pointers non-NULL) and owns the rest of each function's contract: its SQL, its
 * transactions, its error messages. Rebuilding a day is shared (store_api.c), from three
 * reads each backend provides.
 *
 * Every backend's handle starts with a struct vq_store, so the API holds one pointer and
 * a backend casts it to its own type.
 */
#ifndef VQ_STORE_BACKEND_H
#define VQ_STORE_BACKEND_H

#include "coordinator/store.h"

typedef struct vq_store_ops vq_store_ops;

struct vq_store {
	const vq_store_ops *ops;
};

/* One stored slot of an attraction's day, and one ticket row: handed to a walk's callback,
 * which returns VQ_OK to go on (anything else stops the walk and is returned). */
typedef int (*vq_store_slot_cb)(void *arg, int slot, int64_t start, int cap, int taken);
typedef int (*vq_store_ticket_cb)(void *arg, const vq_ticket *t);

struct vq_store_ops {
	const char *name; /* "sqlite", "postgresql" */
	/* where: a path or a URI; site and chain: as vq_store_open_site (chain may be NULL). */
	int (*open)(const char *where, const char *site, const char *chain, vq_store **out,
	            char *err, size_t errlen);
	void (*close)(vq_store *st);
	int (*schema_version)(vq_store *st, int *out);
	const char *(*errmsg)(const vq_store *st);

	int (*begin)(vq_store *st);
	int (*commit)(vq_store *st);
	int (*commit_rows)(vq_store *st, const vq_store_rows *rows, const vq_store_reply *r,
	                   size_t n);
	int (*rollback)(vq_store *st);
	int (*poison)(vq_store *st, const char *why);
	int (*batch_ok)(const vq_store *st);

	int (*put_ticket)(vq_store *st, const vq_ticket *t);
	int (*put_slot)(vq_store *st, const char *attr, int64_t day_start, int slot,
	                const vq_slot_view *s);
	int (*put_attr_state)(vq_store *st, const char *attr, int64_t day_start,
	                      const vq_attr_state *a);
	int (*put_request)(vq_store *st, const char *rid, const char *kind,
	                   const uint8_t digest[VQ_STORE_DIGEST_LEN], const char *reply, size_t len,
	                   int64_t at);
	int (*get_request)(vq_store *st, const char *rid, const char *kind,
	                   const uint8_t digest[VQ_STORE_DIGEST_LEN], char **reply, size_t *len);
	int (*put_rows)(vq_store *st, const vq_store_rows *rows);
	int (*put_requests)(vq_store *st, const vq_store_reply *r, size_t n);
	int (*get_requests)(vq_store *st, const char *const *rids, size_t n, vq_store_reply_fn fn,
	                    void *arg);
	int (*prune_requests)(vq_store *st, int64_t before, int64_t *removed);
	int (*redeem)(vq_store *st, uint64_t id, const char *gate, int64_t at, int offline);
	int (*get_ticket)(vq_store *st, uint64_t id, vq_ticket *out);
	int (*next_ticket_id)(vq_store *st, uint64_t *out);

	/* The reads a day is rebuilt from: the attraction's stored state of that day
	 * (VQ_ENOTFOUND if none), its stored slots in slot order, and its tickets whose slot
	 * starts in [first, last]. */
	int (*get_attr_state)(vq_store *st, const char *attr, int64_t day_start,
	                      vq_attr_state *out);
	int (*walk_slots)(vq_store *st, const char *attr, int64_t day_start, vq_store_slot_cb fn,
	                  void *arg);
	int (*walk_tickets)(vq_store *st, const char *attr, int64_t first, int64_t last,
	                    vq_store_ticket_cb fn, void *arg);
	/* Records a failure of the shared code (load_day) as the store's last message. */
	void (*set_errmsg)(vq_store *st, const char *msg);

	int (*put_member)(vq_store *st, const char *card, const char *tier);
	int (*get_member)(vq_store *st, const char *card, char tier[VQ_ID_MAX]);
	int (*prefetch_members)(vq_store *st, const char *const *cards, size_t n);
	int (*member_count)(vq_store *st, int64_t *out);

	int (*audit)(vq_store *st, int64_t at, const char *actor, const char *action,
	             const char *detail);
	int (*audit_count)(vq_store *st, int64_t *out);
	int (*audit_recent)(vq_store *st, int64_t since, const char *action, int limit,
	                    vq_audit_fn fn, void *arg);

	int (*put_key)(vq_store *st, uint8_t kid, const uint8_t pk[32], int active,
	               int64_t created);
	int (*get_active_key)(vq_store *st, uint8_t *kid, uint8_t pk[32]);
	int (*get_key)(vq_store *st, uint8_t kid, vq_store_key *out);
	int (*get_keyring)(vq_store *st, vq_keyring *ring);
	int (*retire_key)(vq_store *st, uint8_t kid, int64_t at);
	int (*count_open_tickets)(vq_store *st, int64_t day_start, int64_t issued_until,
	                          int64_t now, int64_t *out);
	int (*legacy_secrets)(vq_store *st, uint8_t kid[256], uint8_t (*sk)[64], int *n);
	int (*forget_legacy_secrets)(vq_store *st);

	int (*set_setting)(vq_store *st, const char *key, const char *value);
	int (*get_setting)(vq_store *st, const char *key, char *out, size_t outlen);

	int (*claim)(vq_store *st, int lease_ms, int *held, int64_t *term);
	double (*claim_proof)(const vq_store *st);
	int (*release_claim)(vq_store *st);
};

/* CLOCK_MONOTONIC in ms: the clock claims are proved on. */
double vq_store_mono_ms(void);

extern const vq_store_ops vq_store_sqlite_ops;
extern const vq_store_ops vq_store_pg_ops;

/* Limits both backends enforce the same way (store_api.c checks them). */
#define VQ_STORE_TEXT_MAX  65536 /* audit detail, setting values, replies: sane upper bound */
#define VQ_STORE_LABEL_MAX 64    /* request kinds, audit actors and actions, setting keys */

/* An id as site configs spell them: [a-z0-9_-], 1..VQ_ID_MAX-1 bytes. */
int vq_store_valid_id(const char *s);

#endif
