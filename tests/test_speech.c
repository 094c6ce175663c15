/* tests/test_speech.c — the speech engine (speech/speech.h): real espeak-ng rendering to a
 * WAV file through the same path that feeds the sound device, then measured, never
 * compared byte for byte: the file is a valid WAV; each announcement is heard (not
 * silent), opens with the chime and only the chime, and ends in silence before the next
 * one's chime (so none overlaps another); the count of chimes is the count asked for; each
 * is spoken with its language's voice (espeak-ng's own report, and the phonemes it spoke
 * for the same digits differ as the languages do); volume scales what is measured.
 * Without a sound device the engine is silent and says so once; with SDL's dummy driver it
 * plays in real time and waits for each announcement to be heard before the next. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "speech/speech.h"
#include "support/tutil.h"

#define WAIT_MS 60000

typedef struct wav {
	int rate, channels, bits;
	int16_t *s;
	size_t n;
} wav;

static uint32_t le(const uint8_t *p, int n)
{
	uint32_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Reads a canonical PCM WAV (what the engine writes): header fields and samples. */
static void wav_read(const char *path, wav *w)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "no %s", path);
	uint8_t h[44];
	ck_assert_int_eq(fread(h, 1, 44, f), 44);
	ck_assert(!memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WAVEfmt ", 8) &&
	          !memcmp(h + 36, "data", 4));
	ck_assert_uint_eq(le(h + 20, 2), 1); /* PCM */
	w->channels = (int)le(h + 22, 2);
	w->rate = (int)le(h + 24, 4);
	w->bits = (int)le(h + 34, 2);
	uint32_t data = le(h + 40, 4);
	ck_assert_uint_eq(le(h + 4, 4), 36 + data);
	w->n = data / 2;
	w->s = malloc(data ? data : 1);
	ck_assert_uint_eq(fread(w->s, 2, w->n, f), w->n);
	uint8_t extra;
	ck_assert_int_eq(fread(&extra, 1, 1, f), 0); /* the header counts every sample */
	fclose(f);
}

static double rms(const wav *w, int64_t from, int64_t to)
{
	double acc = 0;
	if (to <= from)
		return 0;
	for (int64_t i = from; i < to; i++)
		acc += (double)w->s[i] * w->s[i];
	return sqrt(acc / (double)(to - from));
}

/* The share of a window's energy at hz (Goertzel), 0..1. */
static double tone_share(const wav *w, int64_t from, int64_t len, double hz)
{
	double k = 2 * cos(2 * M_PI * hz / w->rate), s1 = 0, s2 = 0, total = 0;
	for (int64_t i = from; i < from + len; i++) {
		double x = w->s[i];
		double s0 = x + k * s1 - s2;
		s2 = s1;
		s1 = s0;
		total += x * x;
	}
	double power = s1 * s1 + s2 * s2 - k * s1 * s2;
	return total > 0 ? 2 * power / ((double)len * total) : 0;
}

/* Chimes found in the audio: windows of 10 ms where the first note's tone holds most of a
 * loud signal, counted where such a run begins. */
static int count_chimes(const wav *w, int64_t *starts, int max)
{
	int64_t win = w->rate / 100;
	int n = 0, in = 0;
	for (int64_t at = 0; at + win <= (int64_t)w->n; at += win) {
		int chime = rms(w, at, at + win) > 1000 &&
		            tone_share(w, at, win, VQ_SPEECH_CHIME_HZ1) > 0.8;
		if (chime && !in && n < max)
			starts[n++] = at;
		if (chime && !in && n >= max)
			n++;
		in = chime;
	}
	return n;
}

static void log_line(void *ctx, const char *line)
{
	char *buf = ctx;
	size_t have = strlen(buf);
	snprintf(buf + have, 4096 - have, "%s\n", line);
}

static char path[512];

static void scratch_setup(void)
{
	tu_scratch_begin("speech-tests");
}

static void scratch_teardown(void)
{
	tu_scratch_end();
}

START_TEST(test_chime)
{
	size_t n = vq_speech_chime(22050, 100, NULL, 0);
	ck_assert_uint_eq(n, 22050 * 210 / 1000); /* 80 + 20 + 110 ms */
	int16_t *c = calloc(n, 2);
	ck_assert_uint_eq(vq_speech_chime(22050, 100, c, n), n);
	wav w = {.rate = 22050, .s = c, .n = n};
	int64_t note1 = 22050 * 80 / 1000, gap = 22050 * 20 / 1000;
	ck_assert(tone_share(&w, 0, note1, VQ_SPEECH_CHIME_HZ1) > 0.9);
	ck_assert(tone_share(&w, note1 + gap, (int64_t)n - note1 - gap, VQ_SPEECH_CHIME_HZ2) > 0.9);
	ck_assert(rms(&w, note1 + 4, note1 + gap - 4) < 1);
	double loud = rms(&w, 0, (int64_t)n);
	ck_assert_uint_eq(vq_speech_chime(22050, 25, c, n), n);
	ck_assert_double_eq_tol(rms(&w, 0, (int64_t)n) / loud, 0.25, 0.01);
	ck_assert_uint_eq(vq_speech_chime(22050, 0, c, n), n);
	ck_assert(rms(&w, 0, (int64_t)n) == 0);
	/* nothing clicks: the notes fade in from silence */
	ck_assert_int_lt(abs(c[0]), 100);
	free(c);
}
END_TEST

static const struct {
	const char *lang, *text, *voice, *digits;
} SAID[] = {
    {"en", "Thunder Coaster: return times up to 10:30 are welcome. 42.", "en", "f o@ t i"},
    {"ru", "Громовые горки: возвращайтесь до 10:30. 42.", "ru", "d v A"},
    {"ro", "Montagnele rusești: reveniți până la 10:30. 42.", "ro", "d oI"},
};

START_TEST(test_wav_announcements)
{
	snprintf(path, sizeof path, "%s/three.wav", getenv("TMPDIR"));
	char logbuf[4096] = "";
	vq_speech_opts o = {.wav_path = path, .volume = -1, .log = log_line, .log_ctx = logbuf};
	vq_speech *sp = NULL;
	ck_assert_int_eq(vq_speech_new(&o, &sp), VQ_OK);
	ck_assert(!vq_speech_silent(sp));
	vq_speech *second = NULL;
	ck_assert_int_eq(vq_speech_new(&o, &second), VQ_EEXISTS);
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(vq_speech_say(sp, SAID[i].lang, SAID[i].text), VQ_OK);
	ck_assert_int_eq(vq_speech_wait_idle(sp, WAIT_MS), VQ_OK);
	ck_assert(vq_speech_idle(sp));
	int rate = vq_speech_rate(sp);
	vq_speech_record r[3];
	ck_assert_uint_eq(vq_speech_records(sp, r, 3), 3);
	vq_speech_free(sp);
	ck_assert_str_eq(logbuf, "");

	wav w;
	wav_read(path, &w);
	ck_assert_int_eq(w.rate, rate);
	ck_assert_int_eq(w.channels, 1);
	ck_assert_int_eq(w.bits, 16);
	ck_assert_int_eq((int64_t)w.n, r[2].end);

	/* as many chimes as announcements, where the engine says they start */
	int64_t chimes[8];
	ck_assert_int_eq(count_chimes(&w, chimes, 8), 3);
	int64_t chime_len = (int64_t)vq_speech_chime(rate, 100, NULL, 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(llabs(chimes[i] - r[i].start) <= rate / 100,
		              "chime %d at %lld, not %lld", i, (long long)chimes[i],
		              (long long)r[i].start);
		ck_assert_int_eq(r[i].speech - r[i].start, chime_len);
		/* the chime region holds the chime and nothing else */
		int64_t n1 = rate * 80 / 1000, n2 = rate * 110 / 1000;
		ck_assert(tone_share(&w, r[i].start, n1, VQ_SPEECH_CHIME_HZ1) > 0.9);
		ck_assert(tone_share(&w, r[i].speech - n2, n2, VQ_SPEECH_CHIME_HZ2) > 0.9);
		/* then words, loud and long enough to be heard, the first at once */
		ck_assert_int_ge(r[i].word, r[i].speech);
		ck_assert_int_lt(r[i].word - r[i].speech, rate / 20);
		double speech = rms(&w, r[i].speech, r[i].end);
		ck_assert_msg(speech > 800, "announcement %d is too quiet: rms %.0f", i, speech);
		ck_assert_int_gt(r[i].end - r[i].speech, rate); /* more than a second of speech */
		/* and it ends in silence before the next one begins: no overlap */
		int64_t pause = rate / 5;
		ck_assert_msg(rms(&w, r[i].end - pause, r[i].end) < 50, "announcement %d runs on",
		              i);
		if (i < 2)
			ck_assert_int_le(r[i].end, r[i + 1].start);
		/* its own language's voice */
		ck_assert_msg(!strncmp(r[i].voice, SAID[i].voice, strlen(SAID[i].voice)),
		              "%s spoken by the %s voice", SAID[i].lang, r[i].voice);
		ck_assert_msg(strstr(r[i].phonemes, SAID[i].digits), "%s: 42 is not '%s' in: %s",
		              SAID[i].lang, SAID[i].digits, r[i].phonemes);
		ck_assert(!r[i].dropped);
	}
	/* the same digits, spoken three ways */
	ck_assert(!strstr(r[0].phonemes, "d v A") && !strstr(r[1].phonemes, "f o@ t i") &&
	          !strstr(r[2].phonemes, "d v A"));
	free(w.s);
}
END_TEST

/* One announcement in the board's three languages: one chime, then each language in turn,
 * each in its own voice, with silence between them. */
START_TEST(test_parts)
{
	snprintf(path, sizeof path, "%s/parts.wav", getenv("TMPDIR"));
	vq_speech_opts o = {.wav_path = path, .volume = -1};
	vq_speech *sp = NULL;
	ck_assert_int_eq(vq_speech_new(&o, &sp), VQ_OK);
	vq_speech_part parts[3];
	for (int i = 0; i < 3; i++)
		parts[i] = (vq_speech_part){SAID[i].lang, SAID[i].text};
	ck_assert_int_eq(vq_speech_say_parts(sp, parts, 0), VQ_EINVAL);
	ck_assert_int_eq(vq_speech_say_parts(sp, parts, VQ_SPEECH_PARTS_MAX + 1), VQ_EINVAL);
	parts[1].text = "";
	ck_assert_int_eq(vq_speech_say_parts(sp, parts, 3), VQ_EINVAL);
	parts[1].text = SAID[1].text;
	ck_assert_int_eq(vq_speech_say_parts(sp, parts, 3), VQ_OK);
	ck_assert_int_eq(vq_speech_wait_idle(sp, WAIT_MS), VQ_OK);
	int rate = vq_speech_rate(sp);
	vq_speech_record r[3];
	ck_assert_uint_eq(vq_speech_records(sp, r, 3), 3);
	vq_speech_free(sp);
	wav w;
	wav_read(path, &w);
	int64_t chimes[4];
	ck_assert_int_eq(count_chimes(&w, chimes, 4), 1);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(r[i].part, i);
		ck_assert_msg(!strncmp(r[i].voice, SAID[i].voice, strlen(SAID[i].voice)),
		              "part %d: %s", i, r[i].voice);
		ck_assert_msg(strstr(r[i].phonemes, SAID[i].digits), "part %d: %s", i,
		              r[i].phonemes);
		ck_assert(rms(&w, r[i].speech, r[i].end) > 800);
		ck_assert(rms(&w, r[i].end - rate / 5, r[i].end) < 50);
		if (i > 0)
			ck_assert_int_eq(r[i].start, r[i - 1].end);
	}
	ck_assert_int_eq(r[0].speech - r[0].start, (int64_t)vq_speech_chime(rate, 100, NULL, 0));
	ck_assert_int_eq(r[1].speech, r[1].start);
	free(w.s);
}
END_TEST

/* Volume scales everything heard; an unknown language is spoken in English, logged once. */
START_TEST(test_volume_and_fallback)
{
	snprintf(path, sizeof path, "%s/volume.wav", getenv("TMPDIR"));
	char logbuf[4096] = "";
	vq_speech_opts o = {.wav_path = path, .volume = 100, .log = log_line, .log_ctx = logbuf};
	vq_speech *sp = NULL;
	ck_assert_int_eq(vq_speech_new(&o, &sp), VQ_OK);
	ck_assert_int_eq(vq_speech_say(sp, "en", "Log Flume is closed."), VQ_OK);
	ck_assert_int_eq(vq_speech_wait_idle(sp, WAIT_MS), VQ_OK);
	ck_assert_int_eq(vq_speech_set_volume(sp, 30), VQ_OK);
	ck_assert_int_eq(vq_speech_set_volume(sp, 101), VQ_EINVAL);
	ck_assert_int_eq(vq_speech_say(sp, "en", "Log Flume is closed."), VQ_OK);
	ck_assert_int_eq(vq_speech_say(sp, "xx", "Log Flume is closed."), VQ_OK);
	ck_assert_int_eq(vq_speech_say(sp, "xx", "Log Flume is open again."), VQ_OK);
	ck_assert_int_eq(vq_speech_wait_idle(sp, WAIT_MS), VQ_OK);
	vq_speech_record r[4];
	ck_assert_uint_eq(vq_speech_records(sp, r, 4), 4);
	vq_speech_free(sp);
	wav w;
	wav_read(path, &w);
	double loud = rms(&w, r[0].start, r[0].end), quiet = rms(&w, r[1].start, r[1].end);
	ck_assert_msg(fabs(quiet / loud - 0.3) < 0.02, "volume 30: %.0f vs %.0f", quiet, loud);
	ck_assert(!strncmp(r[2].voice, "en", 2) && !strncmp(r[3].voice, "en", 2));
	ck_assert_ptr_nonnull(strstr(logbuf, "no voice for 'xx'"));
	ck_assert_ptr_null(strstr(strstr(logbuf, "no voice for 'xx'") + 1, "no voice"));
	free(w.s);
}
END_TEST

START_TEST(test_refusals_and_queue)
{
	snprintf(path, sizeof path, "%s/queue.wav", getenv("TMPDIR"));
	vq_speech_opts o = {.wav_path = path, .volume = -1};
	vq_speech_opts bad = o;
	vq_speech *sp = NULL;
	bad.volume = 101;
	ck_assert_int_eq(vq_speech_new(&bad, &sp), VQ_EINVAL);
	bad = o;
	bad.rate_wpm = 20;
	ck_assert_int_eq(vq_speech_new(&bad, &sp), VQ_EINVAL);
	ck_assert_int_eq(vq_speech_new(&o, &sp), VQ_OK);
	ck_assert_int_eq(vq_speech_say(sp, "e", "x"), VQ_EINVAL);
	ck_assert_int_eq(vq_speech_say(sp, "en x", "x"), VQ_EINVAL);
	ck_assert_int_eq(vq_speech_say(sp, "en", ""), VQ_EINVAL);
	ck_assert_int_eq(vq_speech_say(sp, "en", NULL), VQ_EINVAL);
	char big[VQ_SPEECH_TEXT_MAX + 1];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(vq_speech_say(sp, "en", big), VQ_EINVAL);
	/* a burst beyond the queue: the excess is refused, the rest is dropped by clear */
	int accepted = 0, refused = 0;
	for (int i = 0; i < VQ_SPEECH_QUEUE_MAX + 8; i++) {
		int rc = vq_speech_say(sp, "en", "H-042, desk 2.");
		accepted += rc == VQ_OK;
		refused += rc == VQ_ELIMIT;
	}
	ck_assert_int_eq(accepted + refused, VQ_SPEECH_QUEUE_MAX + 8);
	ck_assert_int_ge(refused, 6);
	vq_speech_clear(sp);
	ck_assert_int_eq(vq_speech_wait_idle(sp, WAIT_MS), VQ_OK);
	vq_speech_record r[1];
	size_t played = vq_speech_records(sp, r, 1);
	ck_assert_uint_lt(played, (size_t)accepted); /* what waited was dropped */
	ck_assert_int_eq(vq_speech_say(sp, "en", "Desk 2."), VQ_OK);
	ck_assert_int_eq(vq_speech_wait_idle(sp, WAIT_MS), VQ_OK);
	ck_assert_uint_eq(vq_speech_records(sp, r, 1), played + 1);
	vq_speech_free(sp);
	vq_speech_free(NULL);
}
END_TEST

/* No sound device: announcements are dropped and the log says so, once. */
START_TEST(test_no_device)
{
	setenv("SDL_AUDIODRIVER", "no-such-driver", 1);
	char logbuf[4096] = "";
	vq_speech_opts o = {.volume = -1, .log = log_line, .log_ctx = logbuf};
	vq_speech *sp = NULL;
	ck_assert_int_eq(vq_speech_new(&o, &sp), VQ_OK);
	ck_assert(vq_speech_silent(sp));
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(vq_speech_say(sp, "en", "Thunder Coaster is open again."), VQ_OK);
	ck_assert_int_eq(vq_speech_wait_idle(sp, WAIT_MS), VQ_OK);
	vq_speech_record r[3];
	ck_assert_uint_eq(vq_speech_records(sp, r, 3), 3);
	ck_assert(r[0].dropped && r[1].dropped && r[2].dropped);
	vq_speech_free(sp);
	const char *first = strstr(logbuf, "no sound device");
	ck_assert_msg(first && !strstr(first + 1, "no sound device"), "log: %s", logbuf);
	ck_assert_ptr_eq(strchr(logbuf, '\n') + 1, logbuf + strlen(logbuf)); /* one line */
}
END_TEST

/* A device (SDL's dummy driver plays in real time): each announcement is heard before the
 * next is queued, so the second's chime starts once the first has played out. */
START_TEST(test_device_one_at_a_time)
{
	setenv("SDL_AUDIODRIVER", "dummy", 1);
	vq_speech_opts o = {.volume = 80};
	vq_speech *sp = NULL;
	ck_assert_int_eq(vq_speech_new(&o, &sp), VQ_OK);
	ck_assert(!vq_speech_silent(sp));
	ck_assert_int_eq(vq_speech_say(sp, "en", "H-042, desk 2."), VQ_OK);
	ck_assert_int_eq(vq_speech_say(sp, "ro", "H-043, ghișeul 1."), VQ_OK);
	ck_assert(!vq_speech_idle(sp));
	ck_assert_int_eq(vq_speech_wait_idle(sp, WAIT_MS), VQ_OK);
	int rate = vq_speech_rate(sp);
	vq_speech_record r[2];
	ck_assert_uint_eq(vq_speech_records(sp, r, 2), 2);
	vq_speech_free(sp);
	ck_assert(!r[0].dropped && !r[1].dropped && r[0].word >= 0 && r[1].word >= 0);
	ck_assert_int_eq(r[1].start, r[0].end);
	/* nothing of the first was still queued when the second began, and the second began
	 * no earlier than the first's audio takes to play */
	ck_assert_int_eq(r[1].backlog, 0);
	double first_len_ms = (double)(r[0].end - r[0].start) * 1000.0 / rate;
	ck_assert_msg(r[1].start_ms - r[0].start_ms >= first_len_ms - 50,
	              "second started %.0f ms after the first, which lasts %.0f ms",
	              r[1].start_ms - r[0].start_ms, first_len_ms);
}
END_TEST

/* A kiosk answering a key: the new words cut short what is being said, with no chime. */
START_TEST(test_say_now_cuts)
{
	setenv("SDL_AUDIODRIVER", "dummy", 1);
	vq_speech_opts o = {.volume = -1};
	vq_speech *sp = NULL;
	ck_assert_int_eq(vq_speech_new(&o, &sp), VQ_OK);
	ck_assert_int_eq(vq_speech_say(sp, "en",
	                               "Welcome. Choose an attraction. Thunder Coaster, return "
	                               "ten fifteen to eleven fifteen. Log Flume, return ten "
	                               "twenty-five to eleven ten. Haunted Mine, closed."),
	                 VQ_OK);
	while (vq_speech_idle(sp))
		;
	struct timespec nap = {0, 200 * 1000000L};
	nanosleep(&nap, NULL);
	ck_assert_int_eq(vq_speech_say_now(sp, "en", "Log Flume."), VQ_OK);
	ck_assert_int_eq(vq_speech_wait_idle(sp, WAIT_MS), VQ_OK);
	int rate = vq_speech_rate(sp);
	vq_speech_record r[2];
	ck_assert_uint_eq(vq_speech_records(sp, r, 2), 2);
	vq_speech_free(sp);
	double first_ms = (double)(r[0].end - r[0].start) * 1000.0 / rate;
	ck_assert_msg(first_ms > 5000, "the long text lasts %.0f ms", first_ms);
	ck_assert_msg(r[1].start_ms - r[0].start_ms < first_ms - 2000,
	              "the second began %.0f ms after the first, which lasts %.0f ms",
	              r[1].start_ms - r[0].start_ms, first_ms);
	ck_assert_int_eq(r[1].speech, r[1].start); /* no chime */
	ck_assert(!r[1].dropped && r[1].word >= 0);
}
END_TEST

static Suite *speech_suite(void)
{
	Suite *s = suite_create("speech");
	TCase *tc = tcase_create("engine");
	tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_chime);
	tcase_add_test(tc, test_wav_announcements);
	tcase_add_test(tc, test_parts);
	tcase_add_test(tc, test_volume_and_fallback);
	tcase_add_test(tc, test_refusals_and_queue);
	tcase_add_test(tc, test_no_device);
	tcase_add_test(tc, test_device_one_at_a_time);
	tcase_add_test(tc, test_say_now_cuts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(speech_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
