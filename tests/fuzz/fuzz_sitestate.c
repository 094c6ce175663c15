/* tests/fuzz/fuzz_sitestate.c — client/sitestate: the retained state every screen follows.
 *
 * The input is a sequence of messages, one a line: "<topic suffix> <payload>" (e.g.
 * "state/_site {...}", "state/coaster {...}", "presence/vqd {...}"); a line "!" is a lost
 * connection. Afterwards every view a screen reads is read. */
#include "tests/fuzz/fuzz.h"

#include "client/sitestate.h"

#include <string.h>

static void feed(vq_sitestate *s, const char *line, size_t len, int64_t now)
{
	vq_bus_msg m;
	memset(&m, 0, sizeof m);
	if (len == 1 && line[0] == '!') {
		m.kind = VQ_BUS_DISCONNECTED;
		vq_sitestate_feed(s, &m, now);
		return;
	}
	const char *sp = memchr(line, ' ', len);
	size_t slen = sp ? (size_t)(sp - line) : len;
	char suffix[128];
	if (slen >= sizeof suffix)
		return;
	memcpy(suffix, line, slen);
	suffix[slen] = '\0';
	size_t plen = sp ? len - slen - 1 : 0;
	char *payload = malloc(plen + 1); /* the bus puts a NUL after every payload */
	FUZZ_ASSERT(payload);
	if (plen)
		memcpy(payload, sp + 1, plen);
	payload[plen] = '\0';
	m.kind = VQ_BUS_MESSAGE;
	m.topic = suffix;
	m.suffix = suffix;
	m.payload = payload;
	m.len = plen;
	m.retain = true;
	int rc = vq_sitestate_feed(s, &m, now);
	FUZZ_ASSERT(rc == 0 || rc == 1 || rc == -VQ_EBADREQ || rc == -VQ_ENOMEM);
	free(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vq_sitestate *s = NULL;
	FUZZ_ASSERT(vq_sitestate_new(&s) == VQ_OK);
	const char *p = (const char *)data, *end = p + size;
	int64_t now = 1000;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		feed(s, p, (size_t)(e - p), now += 250);
		p = nl ? nl + 1 : end;
	}
	const vq_site_view *v = vq_sitestate_site(s);
	for (int l = 0; l < v->nlangs; l++)
		FUZZ_ASSERT(vq_sitestate_lang(s, v->langs[l]) >= 0);
	for (int t = 0; t < v->ntiers; t++)
		vq_sitestate_tier(s, v->tiers[t]);
	for (int a = -1; a <= vq_sitestate_attr_count(s); a++) {
		const vq_attr_view *av = vq_sitestate_attr(s, a);
		vq_sitestate_stale(s, a, now, 5000);
		if (!av)
			continue;
		FUZZ_ASSERT(vq_sitestate_find(s, av->id) != NULL);
		for (int l = -1; l <= VQ_MAX_LANGS; l++)
			FUZZ_ASSERT(vq_sitestate_attr_name(s, av, l) != NULL);
	}
	vq_sitestate_free(s);
	return 0;
}
