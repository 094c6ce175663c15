/* speech/speech.h — spoken announcements, offline: a chime, then text in a language.
 *
 * Speech comes from libespeak-ng, linked in: no network, no service that can be down. One
 * vq_speech owns a worker thread that takes announcements from a queue and plays them one
 * at a time, never overlapping: a short two-note chime, then the text in its language's
 * voice. The same code path writes either to the sound device (SDL audio, queued) or to a
 * WAV file (tests and benchmarks measure that file). Without a sound device the engine
 * still accepts announcements, drops them, and says so once through the log callback, so a
 * board or kiosk without speakers works silently.
 *
 * espeak-ng keeps its state in the process, so at most one vq_speech exists at a time
 * (a second vq_speech_new says VQ_EEXISTS). Every function here may be called from any
 * thread; the callbacks run on the worker thread.
 */
#ifndef VQ_SPEECH_H
#define VQ_SPEECH_H

#include <stddef.h>
#include <stdint.h>

#include "core/vq.h"

#define VQ_SPEECH_TEXT_MAX     512 /* bytes of UTF-8 an announcement may hold, NUL included */
#define VQ_SPEECH_QUEUE_MAX    32  /* announcements waiting at most; more are refused */
#define VQ_SPEECH_PHONEMES_MAX 256
#define VQ_SPEECH_PARTS_MAX    8 /* an announcement in this many languages at most */

typedef struct vq_speech vq_speech;

typedef struct vq_speech_opts {
	/* NULL: the sound device; a path: every announcement goes into this WAV file (mono,
	 * 16-bit, the voice's rate), whose header is brought up to date after each one. */
	const char *wav_path;
	int volume;   /* 0..100; -1: 100 */
	int rate_wpm; /* words a minute, 80..450; 0: 160 */
	/* One line for the program's log ("speech: no sound device (...): silent"); may be
	 * NULL. Called on the worker thread. */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
} vq_speech_opts;

/* Starts the engine and opens its sink. VQ_EEXISTS if one exists,
 * VQ_EINVAL for an option out of range, VQ_ENOTFOUND if espeak-ng's data is missing,
 * VQ_ENOMEM. A missing sound device is not an error: see vq_speech_silent. */
int vq_speech_new(const vq_speech_opts *o, vq_speech **out);
/* Stops after the announcement being played (the rest of the queue is dropped). NULL ok. */
void vq_speech_free(vq_speech *sp);

/* Queues an announcement: lang is a language tag ("en", "ru", "ro", "pt-BR"), text
 * 1..VQ_SPEECH_TEXT_MAX-1 bytes of UTF-8. VQ_EINVAL for bad text or tag, VQ_ELIMIT when
 * VQ_SPEECH_QUEUE_MAX wait already. A language espeak-ng has no voice for is spoken with
 * the English voice (and logged once). */
int vq_speech_say(vq_speech *sp, const char *lang, const char *text);
/* One announcement in several languages: one chime, then each part in its language's
 * voice, in order (a board says the same thing in each of its languages). n is
 * 1..VQ_SPEECH_PARTS_MAX; each part as for vq_speech_say. */
typedef struct vq_speech_part {
	const char *lang;
	const char *text;
} vq_speech_part;
int vq_speech_say_parts(vq_speech *sp, const vq_speech_part *parts, int n);
/* Says text at once, without the chime: drops what waits and cuts short what plays (a
 * kiosk answering a key: only the latest thing matters). Checked as vq_speech_say. */
int vq_speech_say_now(vq_speech *sp, const char *lang, const char *text);
/* Drops what waits (not what plays). */
void vq_speech_clear(vq_speech *sp);
/* 0..100, from the next announcement on. */
int vq_speech_set_volume(vq_speech *sp, int volume);

/* Nothing waits or plays (on a device: the last sample has left the queue). */
int vq_speech_idle(vq_speech *sp);
/* Waits until idle, at most timeout_ms. VQ_OK or VQ_ETIMEOUT. */
int vq_speech_wait_idle(vq_speech *sp, int timeout_ms);
/* 1 when announcements are dropped for want of a sound device (or a writable WAV). */
int vq_speech_silent(vq_speech *sp);
int vq_speech_rate(vq_speech *sp); /* samples a second (espeak-ng's, 22050) */

/* What the engine did with one part of an announcement (a record each), in samples from
 * the start of its output (the WAV file's data, or the device's stream), so a test or
 * benchmark can measure it. */
typedef struct vq_speech_record {
	char lang[16];   /* as asked */
	char voice[16];  /* the voice's language as espeak-ng reports it ("en-gb", "ru") */
	int part;        /* 0: the first part, which the chime opens */
	int64_t start;   /* first sample of the chime (part 0), or of the part */
	int64_t speech;  /* first sample of the part's speech */
	int64_t word;    /* first sample of the first spoken word (-1: nothing voiced) */
	int64_t end;     /* one past the last sample, trailing pause included */
	double asked_ms; /* monotonic ms (CLOCK_MONOTONIC) when vq_speech_say queued it */
	double start_ms; /* monotonic ms when its chime was handed to the sink */
	double word_ms;  /* monotonic ms when its first word's first sample was handed over */
	int64_t backlog; /* samples queued on the device ahead of the chime then (0 in a WAV) */
	int dropped;     /* not played: no sound device */
	char phonemes[VQ_SPEECH_PHONEMES_MAX]; /* what espeak-ng spoke, its phoneme names */
} vq_speech_record;

/* When the first word of r is heard, in ms after it was asked for: the later of when its
 * sample was handed over and when the audio queued before it has played out. */
double vq_speech_first_word_ms(const vq_speech_record *r, int rate);

/* Copies the records of the parts played so far (oldest first, the last max if there were
 * more) and returns how many there were in all. */
size_t vq_speech_records(vq_speech *sp, vq_speech_record *out, size_t max);

/* The chime that opens every announcement, at rate: writes up to cap samples, returns how
 * many it has (call with cap 0 to learn the length). Pure. */
size_t vq_speech_chime(int rate, int volume, int16_t *out, size_t cap);
/* The chime's two notes, in Hz, for tests that look for it. */
#define VQ_SPEECH_CHIME_HZ1 880
#define VQ_SPEECH_CHIME_HZ2 1320

#endif
