/* coordinator/vqd.h — what vqd's parts share: the daemon's context.
 *
 * vqd.c owns the process (options, signals, the loop, MQTT); handlers.c turns one
 * request into one reply inside the open batch; state.c renders the retained state.
 * Everything here is touched by the main thread only.
 */
#ifndef VQ_VQD_H
#define VQ_VQD_H

#include "coordinator/intake.h"
#include "coordinator/service.h"
#include "core/code.h"

#include <cjson/cJSON.h>

#define VQD_MAX_REQUEST    (64 * 1024)
#define VQD_MAX_OPS        (1024 * 1024)
#define VQD_MAX_IMPORT     1000
#define VQD_KEEP_REPLIES_S (2 * 86400) /* request ids answered from memory this long */
#define VQD_MAX_SYNC       200
#define VQD_MERGE_FAST     4 /* the base merge ratio until an operator sets one */
#define VQD_MERGE_STANDBY  1

typedef struct vqd_event {
	char suffix[64];
	char *json; /* malloc'd */
} vqd_event;

typedef struct vq_vqd {
	vq_site *site; /* owned; replaced whole on a reload or a tier change */
	const char *config_path;
	char *overrides;       /* operators' tier rules (JSON), as stored */
	vq_site *pending_site; /* a tier change, applied once its batch committed */
	char *pending_overrides;
	vq_service *svc;
	uint8_t kid; /* the active signing key */
	uint8_t pk[32];
	uint8_t sk[64];
	vq_keyring ring;       /* every key that verifies */
	uint8_t guest_key[32]; /* keys the hash that turns a card into a guest reference */
	int *standby_min;      /* per attraction, posted standby wait */
	int *merge_fast;       /* per attraction, the operator's base merge ratio */
	int *merge_standby;
	int *backlog;      /* per attraction, as of backlog_now (one pass for them all) */
	vq_noshow *noshow; /* per attraction, as of backlog_now too (one more pass) */
	int64_t backlog_now;
	unsigned char *dirty;   /* per attraction: state to publish */
	unsigned char *soldout; /* per attraction x VQ_MAX_TIERS: today's sell-out noted */
	int site_dirty;         /* state/_site to publish */
	vqd_event *events;      /* to publish once the batch is committed */
	size_t nevents, capevents;
	int64_t started;
	uint64_t batches, requests, replays, failed_commits;
	vqd_intake intake; /* requests refused before they are decided (intake.h) */
} vq_vqd;

/* Loads (or makes, on first start) the signing key and the guest key from the store. */
int vqd_keys_load(vq_vqd *d, int64_t now);

/* Handles one request inside the open batch and returns its reply (malloc'd JSON text,
 * NULL only without memory). suffix is the verb ("svc/issue"); client is the requester's
 * account, the last level of its request topic (intake.h). */
char *vqd_handle(vq_vqd *d, const char *suffix, const char *payload, size_t len, const char *client,
                 int64_t now);

/* The reply every request of a batch whose commit failed gets instead. */
char *vqd_storage_error(const char *payload, size_t len);

/* Retained state of attraction a, and of the site. The caller deletes them. */
cJSON *vqd_state_attr(const vq_vqd *d, int a, int64_t now);
cJSON *vqd_state_site(const vq_vqd *d, int64_t now);

#endif
