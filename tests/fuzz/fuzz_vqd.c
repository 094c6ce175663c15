/* tests/fuzz/fuzz_vqd.c — one request verb of vqd (FUZZ_VERB, "svc/issue"...): the input is
 * a request payload, handled by vqd_handle as vqd's loop would, on a real store and book.
 *
 * The site is the demo park on a fixed clock (2027-06-15 11:00 in its zone). At start one
 * batch imports two members and issues two tickets; an input may name their codes as
 * $CODE1 and $CODE2, so redeem, sync, override and lookup get past the signature and into
 * their own checks. Every input runs in a batch that is rolled back afterwards (book
 * rebuilt, keys and settings put back), so inputs do not depend on each other. Every
 * reply must be a JSON object with "v":1 and "ok". The context is laid out as vqd.c's
 * size_for_site lays it out (every per-attraction array). */
#include "tests/fuzz/fuzz.h"

#include "coordinator/clock.h"
#include "coordinator/config.h"
#include "coordinator/log.h"
#include "coordinator/vqd.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#define PARK VQ_SOURCE_DIR "/assets/demo-park.json"

static vq_vqd d;
static int64_t now;
static char codes[2][VQ_CODE_MAX];
static int *standby0, *mfast0, *mstandby0;
static size_t nattrs;

static const char *client_of(const char *verb)
{
	if (!strcmp(verb, "svc/ops"))
		return "ops-1";
	if (!strcmp(verb, "svc/redeem") || !strcmp(verb, "svc/sync") ||
	    !strcmp(verb, "svc/override") || !strcmp(verb, "svc/lookup"))
		return "gate-1";
	return "kiosk-1";
}

static char *handle(const char *verb, const char *body, size_t len)
{
	char *reply = vqd_handle(&d, verb, body, len, client_of(verb), now);
	FUZZ_ASSERT(reply != NULL);
	cJSON *r = cJSON_Parse(reply);
	FUZZ_ASSERT(cJSON_IsObject(r));
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "v");
	FUZZ_ASSERT(cJSON_IsNumber(v) && v->valuedouble == 1);
	FUZZ_ASSERT(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(r, "ok")));
	cJSON_Delete(r);
	return reply;
}

static void issue_code(const char *body, char *code)
{
	char *reply = handle("svc/issue", body, strlen(body));
	cJSON *r = cJSON_Parse(reply);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "ticket");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(t, "code");
	if (!cJSON_IsString(c)) {
		fprintf(stderr, "fuzz_vqd: no ticket: %s\n", reply);
		abort();
	}
	snprintf(code, VQ_CODE_MAX, "%s", c->valuestring);
	cJSON_Delete(r);
	free(reply);
}

static int *copy_ints(const int *v)
{
	int *c = malloc(nattrs * sizeof *c);
	FUZZ_ASSERT(c);
	memcpy(c, v, nattrs * sizeof *c);
	return c;
}

static void teardown(void)
{
	vq_service_free(d.svc);
	vq_site_free(d.site);
	free(d.standby_min);
	free(d.merge_fast);
	free(d.merge_standby);
	free(d.backlog);
	free(d.noshow);
	free(d.dirty);
	free(d.soldout);
	free(d.events);
	free(standby0);
	free(mfast0);
	free(mstandby0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512], db[600];
	FUZZ_ASSERT(sodium_init() >= 0);
	vq_log_set_level(VQ_LOG_ERROR + 1); /* quiet: a log line per input is all cost */
	FUZZ_ASSERT(vqd_config_load(PARK, NULL, &d.site, err, sizeof err) == VQ_OK);
	setenv("TZ", vq_site_timezone(d.site), 1);
	tzset();
	struct tm tm = {.tm_year = 127, .tm_mon = 5, .tm_mday = 15, .tm_hour = 11, .tm_isdst = -1};
	now = (int64_t)mktime(&tm);
	snprintf(db, sizeof db, "%s/vqd.db", fuzz_tempdir());
	FUZZ_ASSERT(vq_service_open(d.site, db, vq_local_midnight(now), &d.svc, err, sizeof err) ==
	            VQ_OK);
	d.config_path = PARK;
	d.started = now;
	nattrs = (size_t)vq_site_attr_count(d.site);
	d.standby_min = calloc(nattrs, sizeof *d.standby_min);
	d.merge_fast = calloc(nattrs, sizeof *d.merge_fast);
	d.merge_standby = calloc(nattrs, sizeof *d.merge_standby);
	d.backlog = calloc(nattrs, sizeof *d.backlog);
	d.noshow = calloc(nattrs, sizeof *d.noshow);
	d.dirty = calloc(nattrs, 1);
	d.soldout = calloc(nattrs * VQ_MAX_TIERS, 1);
	FUZZ_ASSERT(d.standby_min && d.merge_fast && d.merge_standby && d.backlog && d.noshow &&
	            d.dirty && d.soldout);
	for (size_t a = 0; a < nattrs; a++) {
		d.standby_min[a] = vq_site_attr(d.site, (int)a)->standby_min;
		d.merge_fast[a] = VQD_MERGE_FAST;
		d.merge_standby[a] = VQD_MERGE_STANDBY;
	}
	d.backlog_now = -1;
	FUZZ_ASSERT(vq_service_begin(d.svc) == VQ_OK);
	FUZZ_ASSERT(vqd_keys_load(&d, now) == VQ_OK);
	static const char import[] =
	    "{\"v\":1,\"rid\":\"init-1\",\"cmd\":\"members_import\",\"members\":["
	    "{\"card\":\"demo-gold-1\",\"tier\":\"gold\"},{\"card\":\"demo-silver-1\",\"tier\":"
	    "\"silver\"}]}";
	free(handle("svc/ops", import, sizeof import - 1));
	char body[256];
	snprintf(body, sizeof body,
	         "{\"v\":1,\"rid\":\"init-2\",\"card\":\"demo-gold-1\",\"attraction\":\"%s\","
	         "\"party\":2}",
	         vq_site_attr(d.site, 0)->id);
	issue_code(body, codes[0]);
	snprintf(body, sizeof body,
	         "{\"v\":1,\"rid\":\"init-3\",\"card\":\"guest-7\",\"attraction\":\"%s\","
	         "\"party\":1}",
	         vq_site_attr(d.site, (int)nattrs - 1)->id);
	issue_code(body, codes[1]);
	FUZZ_ASSERT(vq_service_commit(d.svc) == VQ_OK);
	for (size_t e = 0; e < d.nevents; e++)
		free(d.events[e].json);
	d.nevents = 0;
	standby0 = copy_ints(d.standby_min);
	mfast0 = copy_ints(d.merge_fast);
	mstandby0 = copy_ints(d.merge_standby);
	atexit(teardown);
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
	uint8_t kid = d.kid;
	FUZZ_ASSERT(vq_service_begin(d.svc) == VQ_OK);
	free(handle(FUZZ_VERB, body, len));
	FUZZ_ASSERT(vq_service_rollback(d.svc) == VQ_OK);
	/* what vqd does when a batch does not commit */
	for (size_t e = 0; e < d.nevents; e++)
		free(d.events[e].json);
	d.nevents = 0;
	vq_site_free(d.pending_site);
	free(d.pending_overrides);
	d.pending_site = NULL;
	d.pending_overrides = NULL;
	if (d.kid != kid) {
		FUZZ_ASSERT(vq_service_begin(d.svc) == VQ_OK);
		FUZZ_ASSERT(vqd_keys_load(&d, now) == VQ_OK);
		FUZZ_ASSERT(vq_service_rollback(d.svc) == VQ_OK);
	}
	memset(d.soldout, 0, nattrs * VQ_MAX_TIERS);
	memcpy(d.standby_min, standby0, nattrs * sizeof *standby0);
	memcpy(d.merge_fast, mfast0, nattrs * sizeof *mfast0);
	memcpy(d.merge_standby, mstandby0, nattrs * sizeof *mstandby0);
	free(body);
	return 0;
}
