/* coordinator/intake.c — see intake.h: the account from the request topic, the response
 * topic checked against it, refusals counted and logged at a bounded pace. */
#include "coordinator/intake.h"
#include "coordinator/log.h"

#include <stdio.h>
#include <string.h>

/* A client's text made safe for one log line: printable ASCII, '?' for anything else,
 * cut to fit. */
static void loggable(const char *s, char *out, size_t n)
{
	size_t i = 0;
	for (; s && s[i] && i + 1 < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

/* Logs the refusal unless this account's last one was logged less than the quiet time
 * ago; then it is only counted, and the next line says how many went unsaid. */
static void say(vqd_intake *in, const char *account, const char *verb, const char *why,
                double now_ms)
{
	int free_slot = -1, oldest = 0, at = -1;
	for (int i = 0; i < VQD_INTAKE_SLOTS && at < 0; i++) {
		if (!in->slot[i].account[0]) {
			if (free_slot < 0)
				free_slot = i;
		} else if (strcmp(in->slot[i].account, account) == 0) {
			at = i;
		} else if (in->slot[i].said_ms < in->slot[oldest].said_ms) {
			oldest = i;
		}
	}
	if (at >= 0 && now_ms - in->slot[at].said_ms < VQD_INTAKE_QUIET_MS) {
		in->slot[at].unsaid++;
		return;
	}
	uint64_t unsaid = at >= 0 ? in->slot[at].unsaid : 0;
	if (at < 0) {
		at = free_slot >= 0 ? free_slot : oldest;
		snprintf(in->slot[at].account, sizeof in->slot[at].account, "%s", account);
	}
	in->slot[at].said_ms = now_ms;
	in->slot[at].unsaid = 0;
	char more[64] = "";
	if (unsaid)
		snprintf(more, sizeof more, "; %llu more from it since the last of these",
		         (unsigned long long)unsaid);
	vq_log(VQ_LOG_WARN, "refused %s from %s: %s; not answered%s (said at most once a minute)",
	       verb, account, why, more);
}

const char *vqd_intake_take(vqd_intake *in, const vq_bus_msg *m, double now_ms,
                            char verb[VQ_BUS_TOPIC_MAX])
{
	const char *slash = strrchr(m->suffix, '/');
	size_t vlen = slash ? (size_t)(slash - m->suffix) : 0;
	const char *account = slash ? slash + 1 : "";
	char who[VQ_BUS_ID_MAX], why[VQ_BUS_TOPIC_MAX + 64];
	loggable(account[0] ? account : "?", who, sizeof who);
	snprintf(verb, VQ_BUS_TOPIC_MAX, "%.*s", (int)vlen, m->suffix);
	if (strncmp(m->suffix, "svc/", 4) != 0 || vlen <= 4 || !account[0] ||
	    memchr(m->suffix + 4, '/', vlen - 4)) {
		/* Not svc/<verb>/<account>: our own subscription (svc/+/+) rules it out. */
		in->refused++;
		char topic[VQ_BUS_TOPIC_MAX];
		loggable(m->suffix, topic, sizeof topic);
		say(in, who, topic, "not a request topic (svc/<verb>/<account>)", now_ms);
		return NULL;
	}
	char own[VQ_BUS_TOPIC_MAX];
	int n = snprintf(own, sizeof own, "%.*sreply/%s", (int)(m->suffix - m->topic), m->topic,
	                 account);
	if (m->response_topic && n > 0 && (size_t)n < sizeof own &&
	    strcmp(m->response_topic, own) == 0)
		return account;
	in->refused++;
	if (m->response_topic) {
		char rt[VQ_BUS_TOPIC_MAX];
		loggable(m->response_topic, rt, sizeof rt);
		snprintf(why, sizeof why, "response topic '%s' is not its own reply topic", rt);
	} else {
		snprintf(why, sizeof why, "no response topic");
	}
	say(in, who, verb, why, now_ms);
	return NULL;
}
