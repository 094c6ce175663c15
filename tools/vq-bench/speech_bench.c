/* tools/vq-bench/speech_bench.c — how soon a board's first spoken word follows a state
 * change (issue: within 300 ms on this machine).
 *
 * Each run hands the board's code a retained state/<attraction> message in which a new
 * return window opens, exactly as the bus would (client/sitestate, display/display_voice),
 * queues the announcement on the speech engine (speech/speech.h, on the sound device, or
 * SDL's dummy driver where there is none, or a WAV file), and takes from the engine's record
 * when the first voiced sample of the first word is heard: the later of when it was handed
 * to the device and when the chime and anything queued before it have played, plus the
 * device's own buffer. The bare cost beside it is espeak-ng alone, in the same process:
 * from espeak_Synth to its first voiced sample, plus the leading silence it would play.
 */
#include "bench.h"

#include <espeak-ng/speak_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "display/display_voice.h"
#include "speech/speech.h"

#define DEVICE_BUFFER_SAMPLES 512 /* speech.c's device buffer */
#define GOAL_MS               300.0
#define VOICED                400

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void stats(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	int p95 = (int)(0.95 * (n - 1) + 0.5);
	printf("%-44s %8.1f %8.1f %8.1f\n", what, v[n / 2], v[p95], v[n - 1]);
}

static void feed(vq_sitestate *ss, const char *suffix, const char *payload)
{
	vq_bus_msg m;
	memset(&m, 0, sizeof m);
	m.kind = VQ_BUS_MESSAGE;
	m.topic = suffix;
	m.suffix = suffix;
	m.payload = payload;
	m.len = strlen(payload);
	vq_sitestate_feed(ss, &m, 0);
}

static void coaster_state(char *buf, size_t len, int64_t at, int64_t until)
{
	snprintf(buf, len,
	         "{\"v\":1,\"attraction\":\"coaster\",\"kind\":\"ride\","
	         "\"names\":{\"en\":\"Thunder Coaster\",\"ru\":\"Громовые горки\","
	         "\"ro\":\"Montagnele rusești\"},\"status\":\"open\",\"closed_at\":0,"
	         "\"reopened_at\":0,\"admitting\":{\"from\":%lld,\"until\":%lld},"
	         "\"next\":{\"standard\":null},\"capacity\":{\"today\":900,\"taken\":12},"
	         "\"standby_min\":35,\"prefix\":\"C\",\"early_grace_min\":5,\"late_grace_min\":15,"
	         "\"updated\":%lld}",
	         (long long)(until - 3600), (long long)until, (long long)at);
}

static double bare_ms;
static int bare_voiced;
static double bare_t0;
static int bare_rate;
static long bare_samples;

static int bare_cb(short *wav, int n, espeak_EVENT *ev)
{
	(void)ev;
	for (int i = 0; wav && i < n && !bare_voiced; i++) {
		if (abs(wav[i]) > VOICED) {
			bare_voiced = 1;
			bare_ms = (vq_bench_now() - bare_t0) * 1000.0 +
			          (double)(bare_samples + i) * 1000.0 / bare_rate;
		}
	}
	if (wav && n > 0)
		bare_samples += n;
	return bare_voiced; /* the first word is all we time */
}

int vq_bench_speech(int argc, char **argv)
{
	int runs = 10;
	const char *wav = NULL, *assets = VQ_BENCH_ASSETS, *lang = "en";
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--wav") && i + 1 < argc)
			wav = argv[++i];
		else if (!strcmp(argv[i], "--assets") && i + 1 < argc)
			assets = argv[++i];
		else if (!strcmp(argv[i], "--lang") && i + 1 < argc)
			lang = argv[++i];
		else {
			fprintf(stderr,
			        "usage: vq-bench speech [--runs N] [--wav FILE] [--lang en] "
			        "[--assets DIR]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > 1000)
		runs = 10;
	char dir[600], err[256];
	snprintf(dir, sizeof dir, "%s/i18n", assets);
	vq_i18n *i18n = NULL;
	vq_sitestate *ss = NULL;
	board_voice *bv = NULL;
	vq_speech *sp = NULL;
	double *total = calloc((size_t)runs, sizeof *total);
	double *bare = calloc((size_t)runs, sizeof *bare);
	int rc = 1;
	if (!total || !bare || vq_i18n_load(dir, &i18n, err, sizeof err) != VQ_OK ||
	    vq_sitestate_new(&ss) != VQ_OK) {
		fprintf(stderr, "vq-bench speech: cannot load %s: %s\n", dir, err);
		goto cleanup;
	}
	feed(ss, "state/_site",
	     "{\"v\":1,\"site\":\"bench\",\"name\":\"Bench\",\"timezone\":\"UTC\","
	     "\"languages\":[\"en\",\"ru\",\"ro\"],\"tiers\":[{\"id\":\"standard\","
	     "\"names\":{\"en\":\"Standard\"}}],\"attractions\":[\"coaster\"],\"keys\":[],"
	     "\"updated\":1}");
	board_voice_opts bo = {.i18n = i18n, .langs = {lang}, .nlangs = 1};
	if (board_voice_new(&bo, &bv) != VQ_OK)
		goto cleanup;
	const char *driver = "file";
	vq_speech_opts so = {.wav_path = wav, .volume = -1};
	if (vq_speech_new(&so, &sp) != VQ_OK)
		goto cleanup;
	if (!wav && vq_speech_silent(sp)) {
		vq_speech_free(sp);
		sp = NULL;
		setenv("SDL_AUDIODRIVER", "dummy", 1);
		if (vq_speech_new(&so, &sp) != VQ_OK || vq_speech_silent(sp))
			goto cleanup;
		driver = "dummy (no sound device here)";
	} else if (!wav) {
		driver = getenv("SDL_AUDIODRIVER") ? getenv("SDL_AUDIODRIVER") : "SDL's default";
	}
	int rate = vq_speech_rate(sp);
	double device_ms = wav ? 0 : DEVICE_BUFFER_SAMPLES * 1000.0 / rate;
	char buf[1024];
	int64_t at = 1798797600, until = at + 3600;
	coaster_state(buf, sizeof buf, at, until);
	feed(ss, "state/coaster", buf);
	board_announcement a[2];
	board_voice_state(bv, ss, 600, a, 2); /* first sight */
	double chime_ms = (double)vq_speech_chime(rate, 100, NULL, 0) * 1000.0 / rate;
	for (int r = 0; r < runs; r++) {
		at += 900;
		until += 900;
		coaster_state(buf, sizeof buf, at, until);
		double t0 = vq_bench_now() * 1000.0;
		feed(ss, "state/coaster", buf);
		int n = board_voice_state(bv, ss, 600, a, 2);
		vq_speech_part parts[VQ_SPEECH_PARTS_MAX];
		if (n != 1 ||
		    vq_speech_say_parts(sp, parts, board_voice_parts(&a[0], parts)) != VQ_OK ||
		    vq_speech_wait_idle(sp, 60000) != VQ_OK) {
			fprintf(stderr, "vq-bench speech: run %d: no announcement\n", r);
			goto cleanup;
		}
		vq_speech_record rec;
		vq_speech_records(sp, &rec, 1);
		double word = vq_speech_first_word_ms(&rec, rate);
		if (word < 0) {
			fprintf(stderr, "vq-bench speech: run %d: nothing voiced\n", r);
			goto cleanup;
		}
		total[r] = rec.asked_ms - t0 + word + device_ms;
	}
	vq_speech_free(sp);
	sp = NULL;
	/* the bare cost: espeak-ng alone, now that the engine's worker is gone */
	espeak_SetSynthCallback(bare_cb);
	espeak_SetVoiceByName(lang);
	bare_rate = rate;
	for (int r = 0; r < runs; r++) {
		bare_voiced = 0;
		bare_samples = 0;
		bare_t0 = vq_bench_now();
		espeak_Synth(a[0].text[0], strlen(a[0].text[0]) + 1, 0, POS_CHARACTER, 0,
		             espeakCHARS_UTF8, NULL, NULL);
		espeak_Synchronize();
		bare[r] = bare_ms + device_ms;
	}
	printf("speech: first spoken word after a state change, ms (%d runs; sink %s, %d Hz; "
	       "device buffer %.0f ms included)\n",
	       runs, wav ? wav : driver, rate, device_ms);
	printf("%-44s %8s %8s %8s\n", "", "median", "p95", "max");
	stats("vq: state message -> first word heard", total, runs);
	printf("%-44s %8.1f\n", "  of which the chime before it", chime_ms);
	stats("bare espeak-ng: text -> first voiced sample", bare, runs);
	printf("goal: %.0f ms; \"%s\"\n", GOAL_MS, a[0].text[0]);
	rc = 0;
cleanup:
	vq_speech_free(sp);
	board_voice_free(bv);
	vq_sitestate_free(ss);
	vq_i18n_free(i18n);
	free(total);
	free(bare);
	return rc;
}
