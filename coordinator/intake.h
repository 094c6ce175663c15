/* coordinator/intake.h — which received messages vqd takes as requests, and from whom.
 *
 * Owns the rule that identity is what the broker authenticated: a request arrives on
 * "vq/v1/<site>/svc/<verb>/<account>", a topic the broker's ACL lets only <account> write,
 * so the topic's last level is who asks. vqd answers only on that account's own reply
 * topic, so a request whose MQTT 5 response topic is anything else (another account's
 * reply topic, state/, events/...) or that has none is refused: not decided, not answered,
 * counted, and logged at most once per account per VQD_INTAKE_QUIET_MS.
 * Invariants: memory is fixed (VQD_INTAKE_SLOTS accounts remembered for the log, the
 * least recently logged one forgotten first); refused only ever grows.
 */
#ifndef VQ_INTAKE_H
#define VQ_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

#define VQD_INTAKE_SLOTS    32
#define VQD_INTAKE_QUIET_MS 60000.0

typedef struct vqd_intake {
	uint64_t refused; /* requests refused for their response topic, since start */
	struct {
		char account[VQ_BUS_ID_MAX]; /* "" = free */
		double said_ms;              /* when a refusal of it was last logged */
		uint64_t unsaid;             /* refusals since then, not logged */
	} slot[VQD_INTAKE_SLOTS];
} vqd_intake;

/* If m is a request vqd takes, writes its verb's suffix ("svc/issue") into verb and
 * returns the account (pointing into m). Otherwise counts and maybe logs the refusal and
 * returns NULL. now_ms is a monotonic clock in milliseconds (only for the log's pace). */
const char *vqd_intake_take(vqd_intake *in, const vq_bus_msg *m, double now_ms,
                            char verb[VQ_BUS_TOPIC_MAX]);

#endif
