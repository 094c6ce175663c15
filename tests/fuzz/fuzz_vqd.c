/* tests/fuzz/fuzz_vqd.c — one request verb of vqd (FUZZ_VERB: "svc/issue", "web/svc/ticket",
 * ...): the input is a request payload, handled by vqd_handle as vqd's loop would, on a
 * real store and book.
 *
 * The site is the demo park on a fixed clock (2027-06-15 11:00 in its zone). At start one
 * batch imports two members and issues two tickets; an input may name their codes as
 * $CODE1 and $CODE2, so redeem, sync, override and lookup get past the signature and into
 * their own checks. Every input runs in a batch that is rolled back afterwards (book
 * rebuilt, settings, keys and tier rules dropped), so inputs do not depend on each other.
 * Every reply must be a JSON object with "v":1 and "ok". The context is vqd's own
 * (vqd_size_for_site, vqd_keys_start, vqd_batch, vqd_settle), its rate limits refilled
 * before every input. */
#include "tests/fuzz/fuzz.h"

#include "coordinator/config.h"
#include "coordinator/log.h"
#include "coordinator/ratelimit.h"
#include "coordinator/vqd.h"

#include <sodium.h>
#include <string.h>

#define PARK VQ_SOURCE_DIR "/assets/demo-park.json"

static vq_vqd d;
static int64_t now;
static char codes[2][VQ_CODE_MAX];

static const char *client_of(const char *verb)
{
	if (!strncmp(verb, "web/", 4))
		return "0123456789abcdef0123456789abcdef"; /* a phone's visitor id */
	if (!strcmp(verb, "svc/ops"))
		return "ops-1";
	if (!strcmp(verb, "svc/redeem") || !strcmp(verb, "svc/sync") ||
	    !strcmp(verb, "svc/override") || !strcmp(verb, "svc/lookup") ||
	    !strcmp(verb, "svc/access"))
		return "gate-1";
	return "kiosk-1";
}

static void check_reply(const char *reply)
{
	FUZZ_ASSERT(reply != NULL);
	cJSON *r = cJSON_Parse(reply);
	FUZZ_ASSERT(cJSON_IsObject(r));
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "v");
	FUZZ_ASSERT(cJSON_IsNumber(v) && v->valuedouble == 1);
	FUZZ_ASSERT(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(r, "ok")));
	cJSON_Delete(r);
}

static void code_of(const char *reply, char *code)
{
	cJSON *r = cJSON_Parse(reply);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "ticket");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(t, "code");
	if (!cJSON_IsString(c)) {
		fprintf(stderr, "fuzz_vqd: no ticket: %s\n", reply);
		abort();
	}
	snprintf(code, VQ_CODE_MAX, "%s", c->valuestring);
	cJSON_Delete(r);
}

static void teardown(void)
{
	vq_service_free(d.svc);
	vqd_web_free(d.web);
	vqd_free_memory(&d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512], db[600], keys[600];
	FUZZ_ASSERT(sodium_init() >= 0);
	vq_log_set_level(VQ_LOG_ERROR + 1); /* quiet: a log line per input is all cost */
	FUZZ_ASSERT(vqd_config_load(PARK, NULL, &d.site, err, sizeof err) == VQ_OK);
	now = 1813046400; /* 2027-06-15 11:00 in Europe/Chisinau, the demo park's zone */
	snprintf(db, sizeof db, "%s/vqd.db", fuzz_tempdir());
	FUZZ_ASSERT(vq_service_open(d.site, db, NULL, &d.svc, err, sizeof err) == VQ_OK);
	d.config_path = PARK;
	d.started = now;
	/* rate limits as vqd has them; each input comes a long (real) while after the last */
	vqd_web_limits web = {
	    .visitor_rate = 1, .visitor_burst = 10, .site_rate = 200, .site_burst = 400};
	FUZZ_ASSERT(vqd_web_new(&web, &d.web) == VQ_OK);
	FUZZ_ASSERT(vq_ratelimit_new(VQD_RATE_BUCKETS, &d.limits) == VQ_OK);
	FUZZ_ASSERT(vqd_size_for_site(&d, d.site) == VQ_OK);
	vqd_day_follow(&d, now, 1.0); /* the day that holds now, as vqd loads it (days.c) */
	FUZZ_ASSERT(vq_service_book(d.svc) != NULL);
	snprintf(keys, sizeof keys, "%s/keys", fuzz_tempdir());
	if (vqd_keys_start(&d, keys, 0, now, err, sizeof err) != VQ_OK) {
		fprintf(stderr, "fuzz_vqd: keys: %s\n", err);
		abort();
	}
	atexit(teardown);
	/* the members and tickets every input may refer to, committed as vqd would */
	char bodies[3][256];
	snprintf(bodies[0], sizeof bodies[0],
	         "{\"v\":1,\"rid\":\"init-1\",\"cmd\":\"members_import\",\"members\":["
	         "{\"card\":\"demo-gold-1\",\"tier\":\"gold\"},{\"card\":\"demo-silver-1\","
	         "\"tier\":\"silver\"}]}");
	snprintf(bodies[1], sizeof bodies[1],
	         "{\"v\":1,\"rid\":\"init-2\",\"card\":\"demo-gold-1\",\"attraction\":\"%s\","
	         "\"party\":2}",
	         vq_site_attr(d.site, 0)->id);
	snprintf(bodies[2], sizeof bodies[2],
	         "{\"v\":1,\"rid\":\"init-3\",\"card\":\"guest-7\",\"attraction\":\"%s\","
	         "\"party\":1}",
	         vq_site_attr(d.site, vq_site_attr_count(d.site) - 1)->id);
	const char *verbs[3] = {"svc/ops", "svc/issue", "svc/issue"};
	vqd_in in[3];
	char *replies[3];
	for (int i = 0; i < 3; i++)
		in[i] = (vqd_in){verbs[i], bodies[i], strlen(bodies[i]), client_of(verbs[i])};
	FUZZ_ASSERT(vqd_batch(&d, in, 3, now, replies) == VQ_OK);
	for (int i = 0; i < 3; i++) {
		check_reply(replies[i]);
		if (i)
			code_of(replies[i], codes[i - 1]);
		free(replies[i]);
	}
	for (size_t e = 0; e < d.nevents; e++)
		free(d.events[e].json);
	d.nevents = 0;
	return 0;
}

/* The input with $CODE1 and $CODE2 replaced by the real codes. */
static char *with_codes(const uint8_t *data, size_t size, size_t *len)
{
	char *out = malloc(size * (VQ_CODE_MAX / 6 + 1) + 1);
	FUZZ_ASSERT(out);
	size_t w = 0;
	for (size_t i = 0; i < size;) {
		if (size - i >= 6 && !memcmp(data + i, "$CODE", 5) &&
		    (data[i + 5] == '1' || data[i + 5] == '2')) {
			const char *c = codes[data[i + 5] - '1'];
			memcpy(out + w, c, strlen(c));
			w += strlen(c);
			i += 6;
		} else {
			out[w++] = (char)data[i++];
		}
	}
	*len = w;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	char *body = with_codes(data, size, &len);
	d.real_ms += 3600 * 1000;
	FUZZ_ASSERT(vq_service_begin(d.svc) == VQ_OK);
	char *reply = vqd_handle(&d, FUZZ_VERB, body, len, client_of(FUZZ_VERB), now);
	check_reply(reply);
	free(reply);
	/* what vqd does with a batch that did not commit (batch.c) */
	FUZZ_ASSERT(vq_service_rollback(d.svc) == VQ_OK);
	for (size_t e = 0; e < d.nevents; e++)
		free(d.events[e].json);
	d.nevents = 0;
	memset(d.soldout, 0, (size_t)vq_site_attr_count(d.site) * VQ_MAX_TIERS);
	vqd_settle(&d, 0);
	free(body);
	return 0;
}
