/* speech/speech.c — the announcement queue, its worker, espeak-ng and the two sinks.
 *
 * Owns espeak-ng's process-wide state (started once a process, with the first engine) and
 * SDL's audio subsystem while an engine plays on the sound device. Invariants:
 *   - after the start, only the worker thread calls espeak-ng (it is not thread-safe) and
 *     writes to the sink; the caller's thread opens and closes the sink around it;
 *   - announcements are played in the order asked, one at a time: the worker takes the
 *     next only once the last sample of the one before has been written (WAV) or played
 *     (the device's queue is empty), so two never overlap;
 *   - the queue never holds more than VQ_SPEECH_QUEUE_MAX; a refused say changes nothing;
 *   - a sink that cannot be opened makes the engine silent, said once in the log; a
 *     silent engine drops what it is asked and records that it did.
 * Each announcement is: the chime (two short notes, faded in and out so nothing clicks),
 * then each part in its own voice, espeak-ng's samples from the first voiced one on (its
 * leading silence is cut, so the first word follows the chime at once), with a pause after
 * each part.
 */
#include "speech/speech.h"

#include <SDL.h>
#include <ctype.h>
#include <errno.h>
#include <espeak-ng/speak_lib.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_WPM    160
#define BUF_MS         20  /* espeak-ng hands over audio in chunks this long */
#define VOICED         400 /* |sample| above this is speech, not espeak's silence */
#define PAUSE_MS       250 /* after each announcement */
#define RECORDS_KEPT   64
#define NOTE1_MS       80
#define GAP_MS         20
#define NOTE2_MS       110
#define FADE_MS        8
#define CHIME_PEAK     9000.0
#define DEVICE_SAMPLES 512 /* the device's own buffer: about 23 ms at 22050 Hz */

struct item {
	int chime; /* an announcement opens with the chime; a kiosk's reply to a key does not */
	int nparts;
	struct {
		char lang[16];
		char text[VQ_SPEECH_TEXT_MAX];
	} part[VQ_SPEECH_PARTS_MAX];
	double asked_ms;
};

struct vq_speech {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t worker;
	int stop;
	int playing; /* the worker holds an announcement */
	int cut;     /* cut short the announcement being played (vq_speech_say_now) */
	struct item q[VQ_SPEECH_QUEUE_MAX];
	size_t qhead, qn;
	int volume;
	int rate_wpm;
	int rate; /* samples a second */
	int silent;
	vq_speech_record rec[RECORDS_KEPT];
	size_t nrec; /* records made in all */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
	/* sink: opened and closed by the caller's thread, written by the worker */
	char *wav_path;
	FILE *wav;
	SDL_AudioDeviceID dev;
	int64_t written; /* samples handed to the sink */
	/* the announcement being synthesised, worker thread only */
	vq_speech_record *cur;
	int cur_volume;
	int voiced;
	char bad_langs[8][16]; /* languages without a voice, logged once each */
	int nbad;
};

static atomic_int engine_exists;

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void logf_(vq_speech *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(vq_speech *sp, const char *fmt, ...)
{
	if (!sp->log)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	sp->log(sp->log_ctx, line);
}

/* --- the chime ------------------------------------------------------------------------ */

static size_t note(int rate, double hz, int ms, double peak, int16_t *out, size_t cap, size_t at)
{
	size_t count = (size_t)rate * (size_t)ms / 1000, fade = (size_t)rate * FADE_MS / 1000;
	for (size_t i = 0; i < count; i++, at++) {
		if (at >= cap)
			continue;
		double env = 1;
		if (i < fade)
			env = (double)i / (double)fade;
		else if (count - i < fade)
			env = (double)(count - i) / (double)fade;
		double s = hz > 0 ? sin(2 * M_PI * hz * (double)i / rate) * env * peak : 0;
		out[at] = (int16_t)s;
	}
	return at;
}

size_t vq_speech_chime(int rate, int volume, int16_t *out, size_t cap)
{
	double peak = CHIME_PEAK * (volume < 0 ? 0 : volume > 100 ? 100 : volume) / 100.0;
	size_t n = note(rate, VQ_SPEECH_CHIME_HZ1, NOTE1_MS, peak, out, cap, 0);
	n = note(rate, 0, GAP_MS, 0, out, cap, n);
	return note(rate, VQ_SPEECH_CHIME_HZ2, NOTE2_MS, peak, out, cap, n);
}

/* --- sinks ---------------------------------------------------------------------------- */

static void put_le(uint8_t *p, uint32_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The canonical 44-byte header of a mono 16-bit PCM file holding `samples`. */
static int wav_header(FILE *f, int rate, int64_t samples)
{
	uint8_t h[44];
	uint32_t data = (uint32_t)(samples * 2);
	memcpy(h, "RIFF", 4);
	put_le(h + 4, 36 + data, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le(h + 16, 16, 4);
	put_le(h + 20, 1, 2); /* PCM */
	put_le(h + 22, 1, 2); /* mono */
	put_le(h + 24, (uint32_t)rate, 4);
	put_le(h + 28, (uint32_t)rate * 2, 4);
	put_le(h + 32, 2, 2);
	put_le(h + 34, 16, 2);
	memcpy(h + 36, "data", 4);
	put_le(h + 40, data, 4);
	if (fseek(f, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof h, f) != sizeof h ||
	    fseek(f, 0, SEEK_END) != 0)
		return VQ_ESTORE;
	return fflush(f) == 0 ? VQ_OK : VQ_ESTORE;
}

static int sink_open(vq_speech *sp)
{
	if (sp->wav_path) {
		sp->wav = fopen(sp->wav_path, "w+b");
		if (!sp->wav || wav_header(sp->wav, sp->rate, 0) != VQ_OK) {
			logf_(sp, "speech: cannot write %s (%s): silent", sp->wav_path,
			      strerror(errno));
			return VQ_ESTORE;
		}
		return VQ_OK;
	}
	if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
		logf_(sp, "speech: no sound device (%s): announcements are not played",
		      SDL_GetError());
		return VQ_ENOTFOUND;
	}
	SDL_AudioSpec want, have;
	SDL_zero(want);
	want.freq = sp->rate;
	want.format = AUDIO_S16SYS;
	want.channels = 1;
	want.samples = DEVICE_SAMPLES;
	sp->dev = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
	if (!sp->dev) {
		logf_(sp, "speech: no sound device (%s): announcements are not played",
		      SDL_GetError());
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
		return VQ_ENOTFOUND;
	}
	SDL_PauseAudioDevice(sp->dev, 0);
	return VQ_OK;
}

static void sink_close(vq_speech *sp)
{
	if (sp->wav) {
		fclose(sp->wav);
		sp->wav = NULL;
	}
	if (sp->dev) {
		SDL_CloseAudioDevice(sp->dev);
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
		sp->dev = 0;
	}
}

static int64_t device_queued(const vq_speech *sp)
{
	return sp->dev ? (int64_t)SDL_GetQueuedAudioSize(sp->dev) / 2 : 0;
}

static void sink_write(vq_speech *sp, const int16_t *s, size_t n)
{
	if (n == 0)
		return;
	if (sp->wav) {
		if (fwrite(s, 2, n, sp->wav) != n)
			logf_(sp, "speech: writing %s failed", sp->wav_path);
	} else if (sp->dev) {
		SDL_QueueAudio(sp->dev, s, (Uint32)(n * 2));
	}
	sp->written += (int64_t)n;
}

/* --- synthesis ------------------------------------------------------------------------ */

/* espeak-ng has no user pointer in its callback; only the worker thread synthesises. */
static _Thread_local vq_speech *synth_owner;

static int synth_cb(short *wav, int n, espeak_EVENT *ev)
{
	vq_speech *sp = synth_owner;
	if (!sp || !sp->cur)
		return 1;
	pthread_mutex_lock(&sp->mu);
	int cut = sp->cut;
	pthread_mutex_unlock(&sp->mu);
	if (cut)
		return 1; /* espeak-ng stops synthesising */
	for (; ev && ev->type != espeakEVENT_LIST_TERMINATED; ev++) {
		if (ev->type != espeakEVENT_PHONEME)
			continue;
		char name[9];
		memcpy(name, ev->id.string, 8);
		name[8] = '\0';
		size_t have = strlen(sp->cur->phonemes);
		if (have + strlen(name) + 2 < sizeof sp->cur->phonemes && name[0])
			snprintf(sp->cur->phonemes + have, sizeof sp->cur->phonemes - have, "%s%s",
			         have ? " " : "", name);
	}
	if (!wav || n <= 0)
		return 0;
	int16_t buf[4096];
	int i = 0;
	if (!sp->voiced) {
		/* espeak-ng opens with silence: start at the first voiced sample */
		while (i < n && abs(wav[i]) <= VOICED)
			i++;
		if (i == n)
			return 0;
		sp->voiced = 1;
		sp->cur->word = sp->written;
		sp->cur->word_ms = mono_ms();
	}
	while (i < n) {
		int k = 0;
		for (; k < (int)(sizeof buf / sizeof buf[0]) && i < n; k++, i++)
			buf[k] = (int16_t)((int32_t)wav[i] * sp->cur_volume / 100);
		sink_write(sp, buf, (size_t)k);
	}
	return 0;
}

/* espeak-ng's voice for a language tag: "pt-BR" is "pt-br". */
static int set_voice(vq_speech *sp, const char *lang)
{
	char name[16];
	size_t i = 0;
	for (; lang[i] && i + 1 < sizeof name; i++)
		name[i] = (char)tolower((unsigned char)lang[i]);
	name[i] = '\0';
	if (espeak_SetVoiceByName(name) == EE_OK)
		return VQ_OK;
	int logged = 0;
	for (int k = 0; k < sp->nbad; k++)
		logged |= strcmp(sp->bad_langs[k], name) == 0;
	if (!logged) {
		logf_(sp, "speech: no voice for '%s': spoken with the English voice", name);
		if (sp->nbad < 8)
			snprintf(sp->bad_langs[sp->nbad++], sizeof sp->bad_langs[0], "%s", name);
	}
	return espeak_SetVoiceByName("en") == EE_OK ? VQ_OK : VQ_ENOTFOUND;
}

static void write_silence(vq_speech *sp, int ms)
{
	int16_t zero[1024] = {0};
	for (int64_t left = (int64_t)sp->rate * ms / 1000; left > 0;) {
		size_t k = left > 1024 ? 1024 : (size_t)left;
		sink_write(sp, zero, k);
		left -= (int64_t)k;
	}
}

/* One part: its voice, then espeak-ng's samples from the first voiced one on. */
static void speak(vq_speech *sp, const char *lang, const char *text, vq_speech_record *r)
{
	if (set_voice(sp, lang) == VQ_OK) {
		const espeak_VOICE *v = espeak_GetCurrentVoice();
		/* languages: a priority byte, then the name */
		if (v && v->languages && v->languages[0])
			snprintf(r->voice, sizeof r->voice, "%s", v->languages + 1);
	}
	r->speech = sp->written;
	sp->cur = r;
	sp->voiced = 0;
	synth_owner = sp;
	espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL);
	espeak_Synchronize();
	sp->cur = NULL;
}

/* Plays an announcement: the chime, then each part with a pause after it; fills one
 * record a part. */
static void play(vq_speech *sp, const struct item *it, vq_speech_record *recs)
{
	for (int k = 0; k < it->nparts; k++) {
		vq_speech_record *r = &recs[k];
		memset(r, 0, sizeof *r);
		snprintf(r->lang, sizeof r->lang, "%s", it->part[k].lang);
		r->asked_ms = it->asked_ms;
		r->word = -1;
		r->part = k;
		r->dropped = sp->silent;
	}
	if (sp->silent)
		return;
	pthread_mutex_lock(&sp->mu);
	sp->cur_volume = sp->volume;
	pthread_mutex_unlock(&sp->mu);
	int16_t chime[8192];
	size_t nchime =
	    it->chime ? vq_speech_chime(sp->rate, sp->cur_volume, chime, sizeof chime / 2) : 0;
	recs[0].backlog = device_queued(sp);
	recs[0].start = sp->written;
	recs[0].start_ms = mono_ms();
	sink_write(sp, chime, nchime);
	for (int k = 0; k < it->nparts; k++) {
		vq_speech_record *r = &recs[k];
		if (k > 0) {
			r->start = sp->written;
			r->start_ms = mono_ms();
		}
		speak(sp, it->part[k].lang, it->part[k].text, r);
		write_silence(sp, PAUSE_MS);
		r->end = sp->written;
	}
	if (sp->wav && wav_header(sp->wav, sp->rate, sp->written) != VQ_OK)
		logf_(sp, "speech: writing %s failed", sp->wav_path);
	/* one at a time: the next waits until this one has been heard, or is cut short */
	while (sp->dev && device_queued(sp) > 0) {
		pthread_mutex_lock(&sp->mu);
		int stop = sp->stop, cut = sp->cut;
		pthread_mutex_unlock(&sp->mu);
		if (cut)
			SDL_ClearQueuedAudio(sp->dev);
		if (stop || cut)
			break;
		SDL_Delay(5);
	}
}

/* --- the worker ----------------------------------------------------------------------- */

static void *worker(void *arg)
{
	vq_speech *sp = arg;
	espeak_SetParameter(espeakRATE, sp->rate_wpm, 0);
	pthread_mutex_lock(&sp->mu);
	for (;;) {
		while (!sp->stop && sp->qn == 0)
			pthread_cond_wait(&sp->cv, &sp->mu);
		if (sp->stop)
			break;
		struct item it = sp->q[sp->qhead];
		sp->qhead = (sp->qhead + 1) % VQ_SPEECH_QUEUE_MAX;
		sp->qn--;
		sp->playing = 1;
		sp->cut = 0;
		pthread_mutex_unlock(&sp->mu);
		vq_speech_record r[VQ_SPEECH_PARTS_MAX];
		play(sp, &it, r);
		pthread_mutex_lock(&sp->mu);
		for (int k = 0; k < it.nparts; k++)
			sp->rec[sp->nrec++ % RECORDS_KEPT] = r[k];
		sp->playing = 0;
		pthread_cond_broadcast(&sp->cv);
	}
	pthread_mutex_unlock(&sp->mu);
	return NULL;
}

/* espeak-ng once a process: it cannot be started again after espeak_Terminate, so its
 * voices stay loaded for the life of the process. */
static pthread_once_t espeak_once = PTHREAD_ONCE_INIT;
static int espeak_samplerate;

static void espeak_start(void)
{
	espeak_samplerate =
	    espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, BUF_MS, NULL,
	                      espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_DONT_EXIT);
}

int vq_speech_new(const vq_speech_opts *o, vq_speech **out)
{
	vq_speech_opts d = {.volume = -1};
	if (!o)
		o = &d;
	if (!out || o->volume < -1 || o->volume > 100 ||
	    (o->rate_wpm && (o->rate_wpm < espeakRATE_MINIMUM || o->rate_wpm > espeakRATE_MAXIMUM)))
		return VQ_EINVAL;
	int expected = 0;
	if (!atomic_compare_exchange_strong(&engine_exists, &expected, 1))
		return VQ_EEXISTS;
	pthread_once(&espeak_once, espeak_start);
	vq_speech *sp = calloc(1, sizeof *sp);
	int rc = VQ_ENOMEM;
	if (!sp || (o->wav_path && !(sp->wav_path = strdup(o->wav_path))))
		goto fail;
	sp->volume = o->volume < 0 ? 100 : o->volume;
	sp->rate_wpm = o->rate_wpm ? o->rate_wpm : DEFAULT_WPM;
	sp->log = o->log;
	sp->log_ctx = o->log_ctx;
	if (espeak_samplerate <= 0) {
		logf_(sp, "speech: espeak-ng could not start (is espeak-ng-data installed?)");
		rc = VQ_ENOTFOUND;
		goto fail;
	}
	sp->rate = espeak_samplerate;
	espeak_SetSynthCallback(synth_cb);
	/* SDL keeps per-thread error text it never frees for threads it did not make, so the
	 * device is opened (and closed) on the caller's thread; queueing is thread-safe */
	if (sink_open(sp) != VQ_OK)
		sp->silent = 1;
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->cv, NULL);
	if (pthread_create(&sp->worker, NULL, worker, sp) != 0) {
		pthread_cond_destroy(&sp->cv);
		pthread_mutex_destroy(&sp->mu);
		sink_close(sp);
		goto fail;
	}
	*out = sp;
	return VQ_OK;
fail:
	if (sp)
		free(sp->wav_path);
	free(sp);
	atomic_store(&engine_exists, 0);
	return rc;
}

void vq_speech_free(vq_speech *sp)
{
	if (!sp)
		return;
	pthread_mutex_lock(&sp->mu);
	sp->stop = 1;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	pthread_join(sp->worker, NULL);
	sink_close(sp);
	pthread_cond_destroy(&sp->cv);
	pthread_mutex_destroy(&sp->mu);
	free(sp->wav_path);
	free(sp);
	atomic_store(&engine_exists, 0);
}

/* A language tag as vq's configs write them: 2..15 of [A-Za-z0-9-]. */
static int valid_lang(const char *lang)
{
	size_t n = lang ? strlen(lang) : 0;
	if (n < 2 || n > 15)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)lang[i]) && lang[i] != '-')
			return 0;
	return 1;
}

static int enqueue(vq_speech *sp, const vq_speech_part *parts, int n, int chime, int now)
{
	if (!sp || !parts || n < 1 || n > VQ_SPEECH_PARTS_MAX)
		return VQ_EINVAL;
	for (int k = 0; k < n; k++) {
		size_t len = parts[k].text ? strlen(parts[k].text) : 0;
		if (!valid_lang(parts[k].lang) || len == 0 || len >= VQ_SPEECH_TEXT_MAX)
			return VQ_EINVAL;
	}
	pthread_mutex_lock(&sp->mu);
	if (now) {
		/* what waits is dropped, what plays is cut short */
		sp->qn = 0;
		sp->cut = sp->playing;
	}
	if (sp->qn == VQ_SPEECH_QUEUE_MAX) {
		pthread_mutex_unlock(&sp->mu);
		return VQ_ELIMIT;
	}
	struct item *it = &sp->q[(sp->qhead + sp->qn) % VQ_SPEECH_QUEUE_MAX];
	it->nparts = n;
	it->chime = chime;
	for (int k = 0; k < n; k++) {
		snprintf(it->part[k].lang, sizeof it->part[k].lang, "%s", parts[k].lang);
		snprintf(it->part[k].text, sizeof it->part[k].text, "%s", parts[k].text);
	}
	it->asked_ms = mono_ms();
	sp->qn++;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	return VQ_OK;
}

int vq_speech_say_parts(vq_speech *sp, const vq_speech_part *parts, int n)
{
	return enqueue(sp, parts, n, 1, 0);
}

int vq_speech_say_now(vq_speech *sp, const char *lang, const char *text)
{
	vq_speech_part p = {lang, text};
	return enqueue(sp, &p, 1, 0, 1);
}

int vq_speech_say(vq_speech *sp, const char *lang, const char *text)
{
	vq_speech_part p = {lang, text};
	return vq_speech_say_parts(sp, &p, 1);
}

void vq_speech_clear(vq_speech *sp)
{
	if (!sp)
		return;
	pthread_mutex_lock(&sp->mu);
	sp->qn = 0;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
}

int vq_speech_set_volume(vq_speech *sp, int volume)
{
	if (!sp || volume < 0 || volume > 100)
		return VQ_EINVAL;
	pthread_mutex_lock(&sp->mu);
	sp->volume = volume;
	pthread_mutex_unlock(&sp->mu);
	return VQ_OK;
}

int vq_speech_idle(vq_speech *sp)
{
	pthread_mutex_lock(&sp->mu);
	int idle = sp->qn == 0 && !sp->playing;
	pthread_mutex_unlock(&sp->mu);
	return idle;
}

int vq_speech_wait_idle(vq_speech *sp, int timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	int rc = VQ_OK;
	pthread_mutex_lock(&sp->mu);
	while (sp->qn > 0 || sp->playing)
		if (pthread_cond_timedwait(&sp->cv, &sp->mu, &until) == ETIMEDOUT) {
			rc = sp->qn > 0 || sp->playing ? VQ_ETIMEOUT : VQ_OK;
			break;
		}
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

int vq_speech_silent(vq_speech *sp)
{
	pthread_mutex_lock(&sp->mu);
	int s = sp->silent;
	pthread_mutex_unlock(&sp->mu);
	return s;
}

int vq_speech_rate(vq_speech *sp)
{
	pthread_mutex_lock(&sp->mu);
	int r = sp->rate;
	pthread_mutex_unlock(&sp->mu);
	return r;
}

size_t vq_speech_records(vq_speech *sp, vq_speech_record *out, size_t max)
{
	pthread_mutex_lock(&sp->mu);
	size_t total = sp->nrec;
	size_t kept = total < RECORDS_KEPT ? total : RECORDS_KEPT;
	size_t n = kept < max ? kept : max;
	for (size_t i = 0; i < n; i++)
		out[i] = sp->rec[(total - n + i) % RECORDS_KEPT];
	pthread_mutex_unlock(&sp->mu);
	return total;
}

double vq_speech_first_word_ms(const vq_speech_record *r, int rate)
{
	if (r->word < 0 || rate <= 0)
		return -1;
	double handed = r->word_ms - r->asked_ms;
	double heard =
	    r->start_ms - r->asked_ms + (double)(r->backlog + (r->word - r->start)) * 1000.0 / rate;
	return handed > heard ? handed : heard;
}
