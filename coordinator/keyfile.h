/* coordinator/keyfile.h — vqd's signing secrets, in a file of their own.
 *
 * The database holds only the public half of each signing key, so a copy of it (a backup,
 * a support dump) verifies tickets but cannot mint one. The secret halves live in one small
 * text file that only vqd's user may read: vqd refuses a key file that is not a regular
 * file, that another user owns, or whose mode lets anyone else read or write it. A change
 * is written whole to FILE.tmp (mode 0600), synced, renamed over FILE and the folder
 * synced, so a crash leaves the old file or the new one, never a mix.
 *
 * Format, text:
 *     # comments and empty lines are skipped
 *     vq-keys 1
 *     <kid 0..255> <secret key: 128 hex digits (libsodium's Ed25519 secret key)>
 *     ...
 * Secrets are held in memory from sodium_malloc (guarded, locked, wiped when freed).
 * Call sodium_init() before anything here.
 */
#ifndef VQ_KEYFILE_H
#define VQ_KEYFILE_H

#include "core/vq.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vq_keyfile vq_keyfile;

/* Reads the key file at path into *out. A file that does not exist gives an empty set
 * (VQ_OK; vq_keyfile_exists says 0): it is written at the first put. VQ_EDENIED if its
 * owner, mode or type is wrong, VQ_ECONFIG if its text is not the format above, VQ_ESTORE
 * if it cannot be read; err says which and how to fix it. */
int vq_keyfile_open(const char *path, vq_keyfile **out, char *err, size_t errlen);
void vq_keyfile_free(vq_keyfile *kf); /* NULL is fine; wipes the secrets */

int vq_keyfile_exists(const vq_keyfile *kf);
const char *vq_keyfile_path(const vq_keyfile *kf);
int vq_keyfile_count(const vq_keyfile *kf);

/* The secret key of kid (64 bytes, owned by kf), or NULL. */
const uint8_t *vq_keyfile_get(const vq_keyfile *kf, uint8_t kid);

/* Adds or replaces kid's secret, or removes it, and writes the file durably before
 * returning. VQ_ESTORE (err says why) leaves both the file and kf as they were. Removing
 * a kid the file does not hold is VQ_OK and writes nothing. */
int vq_keyfile_put(vq_keyfile *kf, uint8_t kid, const uint8_t sk[64], char *err, size_t errlen);
int vq_keyfile_remove(vq_keyfile *kf, uint8_t kid, char *err, size_t errlen);

#endif
