/* core/code.h — ticket codes: compact signed text for a QR code.
 *
 * vqd signs with an Ed25519 secret key (libsodium); gates verify with public keys only, so a
 * gate can check a code offline and cannot mint one. The key id inside the code lets the
 * site rotate keys while old tickets stay valid. A code uses only characters of QR's
 * alphanumeric mode, so the QR stays small. Verification never reads past len bytes.
 */
#ifndef VQ_CODE_H
#define VQ_CODE_H

#include "ticket.h"
#include "vq.h"

#define VQ_CODE_MAX    200 /* longest code text, plus NUL */
#define VQ_KEYRING_MAX 16
/* A code carries the site id and the attraction id; when their lengths add up to at most
 * this, every ticket of that attraction has a code (vq_code_sign never says VQ_EINVAL for
 * length). A site config should refuse longer pairs. */
#define VQ_CODE_IDS_MAX 47

typedef struct vq_claims {
	uint8_t kid; /* key id that signed it */
	char site[VQ_ID_MAX];
	char attr[VQ_ID_MAX];
	uint64_t ticket_id;
	int64_t win_start; /* unix seconds, minute precision */
	int64_t win_end;
	uint8_t tier;
	uint8_t party;
	uint16_t number;
	uint8_t kind; /* enum vq_ticket_kind: a fast-lane ticket or an access pass */
} vq_claims;

typedef struct vq_keyring {
	int count;
	struct {
		uint8_t kid;
		uint8_t pk[32]; /* crypto_sign_PUBLICKEYBYTES */
	} keys[VQ_KEYRING_MAX];
} vq_keyring;

/* Encodes and signs claims with secret key sk (crypto_sign_SECRETKEYBYTES = 64) into out,
 * NUL-terminated. VQ_EINVAL if a field does not fit the format or out is too small. */
int vq_code_sign(const vq_claims *claims, const uint8_t sk[64], char *out, size_t outlen);

/* Verifies len bytes of code text against the keyring. VQ_OK fills *out; otherwise
 * VQ_EMALFORMED (does not parse), VQ_EUNKNOWNKEY (kid not in ring) or VQ_EBADSIG. */
int vq_code_verify(const char *code, size_t len, const vq_keyring *ring, vq_claims *out);

/* Adds a public key to the ring; VQ_EEXISTS if kid is there, VQ_EINVAL if full. */
int vq_keyring_add(vq_keyring *ring, uint8_t kid, const uint8_t pk[32]);

#endif
