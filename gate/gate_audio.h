/* gate/gate_audio.h — the gate's audible cues: a short beep for admit, a low buzz for a
 * refusal, three beeps for something staff must look at (a conflict).
 *
 * Optional by design: ui/ never opens audio, so this opens SDL's audio subsystem itself,
 * and if there is no device (or SDL_AUDIODRIVER=dummy, or --mute) the gate works the same,
 * silently. Sounds are synthesised (no files) and queued, so a cue never blocks the loop.
 */
#ifndef VQ_GATE_AUDIO_H
#define VQ_GATE_AUDIO_H

#include "core/vq.h"

typedef struct gate_audio gate_audio;

/* Opens the default output. VQ_ENOTFOUND (and *out NULL) when there is none; the caller
 * then just goes on without sound. */
int gate_audio_new(gate_audio **out);
void gate_audio_free(gate_audio *a); /* NULL is fine */

/* Plays cue (enum gate_cue), cutting off whatever still plays. NULL a is fine. */
void gate_audio_cue(gate_audio *a, int cue);

#endif
