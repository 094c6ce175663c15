/* gate/gate_audio.c — the gate's beeps (see gate_audio.h).
 *
 * Owns SDL's audio subsystem while a gate_audio exists (and quits it again on free, so the
 * video side, which ui/ owns, is left as found) and one queued output device: mono,
 * signed 16-bit. Each cue is a few tone bursts with short fades, so nothing clicks.
 */
#include "gate/gate_audio.h"

#include <SDL.h>
#include <math.h>
#include <stdlib.h>

#include "gate/gate_state.h"

#define RATE      22050
#define FADE_S    0.005
#define AMPLITUDE 9000.0

struct gate_audio {
	SDL_AudioDeviceID dev;
};

int gate_audio_new(gate_audio **out)
{
	*out = NULL;
	if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0)
		return VQ_ENOTFOUND;
	SDL_AudioSpec want, have;
	SDL_zero(want);
	want.freq = RATE;
	want.format = AUDIO_S16SYS;
	want.channels = 1;
	want.samples = 1024;
	SDL_AudioDeviceID dev = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
	if (!dev) {
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
		return VQ_ENOTFOUND;
	}
	gate_audio *a = calloc(1, sizeof *a);
	if (!a) {
		SDL_CloseAudioDevice(dev);
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
		return VQ_ENOMEM;
	}
	a->dev = dev;
	SDL_PauseAudioDevice(dev, 0);
	*out = a;
	return VQ_OK;
}

void gate_audio_free(gate_audio *a)
{
	if (!a)
		return;
	SDL_CloseAudioDevice(a->dev);
	SDL_QuitSubSystem(SDL_INIT_AUDIO);
	free(a);
}

/* Appends a tone (hz, 0 = silence) of seconds to buf at *n; square-ish for the buzz. */
static void tone(int16_t *buf, size_t cap, size_t *n, double hz, double seconds, int buzz)
{
	size_t count = (size_t)(seconds * RATE), fade = (size_t)(FADE_S * RATE);
	for (size_t i = 0; i < count && *n < cap; i++) {
		double s = 0;
		if (hz > 0) {
			double ph = sin(2 * M_PI * hz * (double)i / RATE);
			s = buzz ? (ph > 0 ? 0.6 : -0.6) + 0.4 * ph : ph;
			double env = 1;
			if (i < fade)
				env = (double)i / (double)fade;
			else if (count - i < fade)
				env = (double)(count - i) / (double)fade;
			s *= env;
		}
		buf[(*n)++] = (int16_t)(s * AMPLITUDE);
	}
}

void gate_audio_cue(gate_audio *a, int cue)
{
	if (!a)
		return;
	static int16_t buf[RATE]; /* a second at most */
	size_t n = 0, cap = sizeof buf / sizeof buf[0];
	switch (cue) {
	case GATE_CUE_ADMIT:
		tone(buf, cap, &n, 1320, 0.09, 0);
		tone(buf, cap, &n, 0, 0.05, 0);
		tone(buf, cap, &n, 1760, 0.12, 0);
		break;
	case GATE_CUE_REFUSE:
		tone(buf, cap, &n, 220, 0.45, 1);
		break;
	default:
		for (int i = 0; i < 3; i++) {
			tone(buf, cap, &n, 988, 0.12, 0);
			tone(buf, cap, &n, 0, 0.08, 0);
		}
		break;
	}
	SDL_ClearQueuedAudio(a->dev);
	SDL_QueueAudio(a->dev, buf, (Uint32)(n * sizeof buf[0]));
}
