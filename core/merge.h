/* core/merge.h — how many fast-lane guests to let in for each standby guest.
 *
 * Parks merge their two queues at a ratio (say 4 fast : 1 standby). When the fast lane's
 * backlog grows — after a breakdown every anytime pass comes back at once — the ratio
 * steps up in phases so the backlog drains, and back down when it has. The backlog is
 * measured in minutes: the guests with a ticket that admits now and has not been used,
 * divided by the fast lane's share of the throughput.
 */
#ifndef VQ_MERGE_H
#define VQ_MERGE_H

#include "vq.h"

typedef struct vq_merge {
	int fast;        /* guests from the fast lane ... */
	int standby;     /* ... for this many from standby (0: fast lane only) */
	int phase;       /* 0 = the operator's base ratio, up to 3 = fast lane only */
	int backlog_min; /* the backlog in minutes of fast-lane throughput */
} vq_merge;

/* Backlog thresholds (minutes) at which phases 1, 2 and 3 begin. */
#define VQ_MERGE_PHASE1_MIN 15
#define VQ_MERGE_PHASE2_MIN 30
#define VQ_MERGE_PHASE3_MIN 60

/* base_fast:base_standby is the operator's ratio (1..99 : 1..99); backlog the guests
 * waiting; fast_per_hour the fast lane's throughput (guests per hour, > 0). Phase 1
 * doubles the fast side, phase 2 quadruples it, phase 3 admits the fast lane only.
 * VQ_EINVAL for arguments out of range. */
int vq_merge_ratio(int base_fast, int base_standby, int backlog, int fast_per_hour, vq_merge *out);

#endif
