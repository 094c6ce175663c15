/* core/code.c — ticket codes: the binary layout, its text form, and the Ed25519 seal.
 *
 * Owns the format below; vqd signs, gates verify. Invariants:
 *   - the text <-> bytes <-> claims mappings are one-to-one: decoding is strict (one
 *     spelling per byte string, one byte string per claims), so any change to a valid code
 *     either fails to parse or changes the signed message;
 *   - vq_code_verify accepts exactly the codes vq_code_sign can produce, and never reads
 *     code[len] or beyond;
 *   - every code is at most CODE_TEXT_MAX (198) characters, so it fits VQ_CODE_MAX with
 *     its NUL; vq_code_sign refuses claims whose code would not (see VQ_CODE_IDS_MAX).
 *
 * Text: "VQ1:" then the bytes in base32 (RFC 4648 alphabet A-Z 2-7, no padding, no
 * lowercase). Every character, prefix included, is in QR's alphanumeric mode, so a QR
 * carries it at 5.5 bits a character. A text of L base32 characters holds floor(5L/8)
 * bytes; L mod 8 in {1, 3, 6} never occurs and the unused low bits of the last character
 * must be zero.
 *
 * Bytes: body || sig. Multi-byte integers are big-endian unless said otherwise.
 *
 *   size      field
 *   1         format: 1 = a fast-lane ticket, 2 = an accessibility return pass (same
 *             layout; the kind is signed with the rest, so it cannot be changed)
 *   1         kid: the key id that signed it
 *   1         site id length n, 1..31
 *   ceil(6n/8) site id, 6 bits a character (below), high bits first, zero padding bits
 *   1         attraction id length m, 1..31
 *   ceil(6m/8) attraction id, as the site id
 *   1..7      ticket id, 1..2^48-1: LEB128 (7 bits a byte, low group first, high bit =
 *             more follows), shortest form only
 *   4         window start, minutes since the Unix epoch
 *   2         window length, minutes, >= 1 (window end = start + length)
 *   1         tier index, 0..VQ_MAX_TIERS-1
 *   1         party, 1..VQ_MAX_PARTY
 *   2         short number, 1..999
 *   64        Ed25519 signature of "vq-ticket-v1" || body
 *
 * Id characters as 6-bit values: '0'-'9' = 0-9, 'a'-'z' = 10-35, '-' = 36, '_' = 37;
 * 38-63 never occur. Packing ids at 6 bits instead of 8 is what keeps the worst case inside
 * VQ_CODE_MAX: at most 121 bytes fit (4 + ceil(121 * 8 / 5) = 198 characters), the other
 * fields and the signature take at most 21 + 64, which leaves 36 bytes, i.e. any site id
 * and attraction id whose lengths add up to VQ_CODE_IDS_MAX (47) or less. (Two 31-byte ids
 * cannot fit base32 in 199 characters at any packing: the signature alone is 103.) Small
 * ticket ids cost 1-3 bytes, so the demo park's codes (site "demo", ticket ids < 2^21) are
 * 145-156 characters, a version 6 or 7 QR at level M.
 *
 * Format 1 is every code issued before access passes existed, so those stay valid; a gate
 * that predates format 2 refuses a pass as malformed rather than admit it as a ticket.
 *
 * The signed message starts with a context string so that an Ed25519 signature made by the
 * same key for any other purpose (another message type, a later version) cannot be
 * replayed as a ticket, and the other way round.
 */
#include "code.h"

#include <sodium.h>
#include <string.h>

#define CODE_PREFIX      "VQ1:"
#define CODE_PREFIX_LEN  4
#define CODE_FORMAT_FAST 1 /* byte 0 of a fast-lane ticket's code */
#define CODE_FORMAT_PASS 2 /* byte 0 of an accessibility return pass's code */
#define CODE_CONTEXT     "vq-ticket-v1"
#define CODE_CONTEXT_LEN 12
#define SIG_LEN          64 /* crypto_sign_BYTES */
#define ID_LEN_MAX       (VQ_ID_MAX - 1)
#define ID_CODES         38
#define ID_PACKED_MAX    ((6 * ID_LEN_MAX + 7) / 8)
#define VARINT_MAX       7
#define TICKET_ID_LIMIT  ((uint64_t)1 << 48)
#define MINUTES_MAX      UINT32_MAX
#define WINDOW_LEN_MAX   UINT16_MAX
#define NUMBER_MAX       999

/* Smallest body: 1-character ids, 1-byte ticket id. */
#define BODY_MIN (1 + 1 + 1 + 1 + 1 + 1 + 1 + 4 + 2 + 1 + 1 + 2)
/* Largest body any claims could need, before the size check (31-character ids). */
#define BODY_ROOM (1 + 1 + 2 * (1 + ID_PACKED_MAX) + VARINT_MAX + 4 + 2 + 1 + 1 + 2)
/* Most bytes whose text, NUL included, fits VQ_CODE_MAX. */
#define BYTES_MAX     ((VQ_CODE_MAX - 1 - CODE_PREFIX_LEN) * 5 / 8)
#define B32_LEN(n)    (((n)*8 + 4) / 5)
#define CODE_TEXT_MAX (CODE_PREFIX_LEN + B32_LEN(BYTES_MAX))

_Static_assert(CODE_TEXT_MAX < VQ_CODE_MAX, "a code and its NUL fit VQ_CODE_MAX");
/* Ids adding up to VQ_CODE_IDS_MAX characters fit: for n + m <= 47 their packed bytes,
 * ceil(3n/4) + ceil(3m/4), are at most ceil(3 * 47 / 4) = 36, and the other fields take
 * BODY_ROOM less the two packed ids. test_code signs every (n, m) pair to prove it. */
_Static_assert(BYTES_MAX - SIG_LEN >= BODY_ROOM - 2 * ID_PACKED_MAX + (6 * VQ_CODE_IDS_MAX + 7) / 8,
               "ids adding up to VQ_CODE_IDS_MAX fit");
_Static_assert(crypto_sign_BYTES == SIG_LEN, "Ed25519 signature size");
_Static_assert(crypto_sign_PUBLICKEYBYTES == 32 && crypto_sign_SECRETKEYBYTES == 64,
               "key sizes in code.h");

static const char b32_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* ---- id characters ---------------------------------------------------------------- */

static int id_code(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return 10 + (c - 'a');
	if (c == '-')
		return 36;
	if (c == '_')
		return 37;
	return -1;
}

static char id_char(unsigned v)
{
	if (v < 10)
		return (char)('0' + v);
	if (v < 36)
		return (char)('a' + (v - 10));
	return v == 36 ? '-' : '_';
}

/* Length of a valid id held in a VQ_ID_MAX array, or 0: the array need not hold a NUL. */
static size_t id_len(const char id[VQ_ID_MAX])
{
	const char *nul = memchr(id, '\0', VQ_ID_MAX);
	if (!nul || nul == id)
		return 0;
	size_t n = (size_t)(nul - id);
	for (size_t i = 0; i < n; i++) {
		if (id_code(id[i]) < 0)
			return 0;
	}
	return n;
}

static size_t id_packed_len(size_t n)
{
	return (6 * n + 7) / 8;
}

/* ---- writing ------------------------------------------------------------------------ */

static uint8_t *put_id(uint8_t *p, const char *id, size_t n)
{
	uint32_t acc = 0;
	int bits = 0;

	*p++ = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 6) | (uint32_t)id_code(id[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*p++ = (uint8_t)(acc >> bits);
		}
	}
	if (bits > 0)
		*p++ = (uint8_t)(acc << (8 - bits));
	return p;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static uint8_t *put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

/* The claims vq_code_sign accepts; these are the same rules body_decode enforces. */
static int claims_valid(const vq_claims *c)
{
	if (!id_len(c->site) || !id_len(c->attr))
		return 0;
	if (c->ticket_id == 0 || c->ticket_id >= TICKET_ID_LIMIT)
		return 0;
	if (c->win_start < 0 || c->win_start % 60 != 0 || c->win_end % 60 != 0)
		return 0;
	if (c->win_start / 60 > MINUTES_MAX || c->win_end <= c->win_start)
		return 0;
	if ((c->win_end - c->win_start) / 60 > WINDOW_LEN_MAX)
		return 0;
	if (c->tier >= VQ_MAX_TIERS || c->party < 1 || c->party > VQ_MAX_PARTY)
		return 0;
	if (c->kind != VQ_TK_FAST && c->kind != VQ_TK_ACCESS)
		return 0;
	return c->number >= 1 && c->number <= NUMBER_MAX;
}

/* Writes the body of valid claims into body (BODY_ROOM bytes); returns its length. */
static size_t body_encode(const vq_claims *c, uint8_t *body)
{
	uint8_t *p = body;

	*p++ = c->kind == VQ_TK_ACCESS ? CODE_FORMAT_PASS : CODE_FORMAT_FAST;
	*p++ = c->kid;
	p = put_id(p, c->site, id_len(c->site));
	p = put_id(p, c->attr, id_len(c->attr));
	p = put_varint(p, c->ticket_id);
	p = put_be(p, (uint64_t)(c->win_start / 60), 4);
	p = put_be(p, (uint64_t)((c->win_end - c->win_start) / 60), 2);
	*p++ = c->tier;
	*p++ = c->party;
	p = put_be(p, c->number, 2);
	return (size_t)(p - body);
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct reader {
	const uint8_t *p;
	size_t n;
	size_t at;
} reader;

static int get_byte(reader *r, uint8_t *v)
{
	if (r->at >= r->n)
		return 0;
	*v = r->p[r->at++];
	return 1;
}

static int get_be(reader *r, int bytes, uint64_t *v)
{
	uint64_t acc = 0;
	for (int i = 0; i < bytes; i++) {
		uint8_t b;
		if (!get_byte(r, &b))
			return 0;
		acc = (acc << 8) | b;
	}
	*v = acc;
	return 1;
}

static int get_id(reader *r, char out[VQ_ID_MAX])
{
	uint8_t n, b;
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	if (!get_byte(r, &n) || n < 1 || n > ID_LEN_MAX)
		return 0;
	for (size_t i = 0; i < id_packed_len(n); i++) {
		if (!get_byte(r, &b))
			return 0;
		acc = (acc << 8) | b;
		bits += 8;
		while (bits >= 6 && k < n) {
			bits -= 6;
			unsigned v = (acc >> bits) & 0x3f;
			if (v >= ID_CODES)
				return 0;
			out[k++] = id_char(v);
		}
	}
	/* Padding bits must be zero, or two byte strings would spell the same id. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return 0;
	out[k] = '\0';
	return 1;
}

static int get_varint(reader *r, uint64_t *v)
{
	uint64_t acc = 0;
	for (int i = 0; i < VARINT_MAX; i++) {
		uint8_t b;
		if (!get_byte(r, &b))
			return 0;
		acc |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			/* A zero last group is a longer spelling of a shorter number. */
			if (b == 0 && i > 0)
				return 0;
			*v = acc;
			return 1;
		}
	}
	return 0;
}

/* Parses exactly n bytes of body into *c (all of it or nothing counts). */
static int body_decode(const uint8_t *body, size_t n, vq_claims *c)
{
	reader r = {body, n, 0};
	uint8_t format, kid, tier, party;
	uint64_t ticket_id, start_min, len_min, number;

	memset(c, 0, sizeof *c);
	if (!get_byte(&r, &format) || (format != CODE_FORMAT_FAST && format != CODE_FORMAT_PASS))
		return 0;
	if (!get_byte(&r, &kid) || !get_id(&r, c->site) || !get_id(&r, c->attr))
		return 0;
	if (!get_varint(&r, &ticket_id) || ticket_id == 0 || ticket_id >= TICKET_ID_LIMIT)
		return 0;
	if (!get_be(&r, 4, &start_min) || !get_be(&r, 2, &len_min) || len_min == 0)
		return 0;
	if (!get_byte(&r, &tier) || tier >= VQ_MAX_TIERS)
		return 0;
	if (!get_byte(&r, &party) || party < 1 || party > VQ_MAX_PARTY)
		return 0;
	if (!get_be(&r, 2, &number) || number < 1 || number > NUMBER_MAX)
		return 0;
	if (r.at != n)
		return 0;
	c->kind = format == CODE_FORMAT_PASS ? VQ_TK_ACCESS : VQ_TK_FAST;
	c->kid = kid;
	c->ticket_id = ticket_id;
	c->win_start = (int64_t)start_min * 60;
	c->win_end = c->win_start + (int64_t)len_min * 60;
	c->tier = tier;
	c->party = party;
	c->number = (uint16_t)number;
	return 1;
}

/* ---- text --------------------------------------------------------------------------- */

static void b32_encode(const uint8_t *in, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*out++ = b32_chars[(acc >> bits) & 0x1f];
		}
	}
	if (bits > 0)
		*out++ = b32_chars[(acc << (5 - bits)) & 0x1f];
	*out = '\0';
}

static int b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return 26 + (c - '2');
	return -1;
}

/* Decodes exactly len characters into out (room for cap bytes); returns the byte count,
 * or 0 if the text is not the one spelling of some byte string. */
static size_t b32_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = len * 5 / 8;
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	if (n == 0 || n > cap || B32_LEN(n) != len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int v = b32_value(in[i]);
		if (v < 0)
			return 0;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return 0;
	return k;
}

/* ---- the seal ----------------------------------------------------------------------- */

static size_t signed_message(const uint8_t *body, size_t n, uint8_t *msg)
{
	memcpy(msg, CODE_CONTEXT, CODE_CONTEXT_LEN);
	memcpy(msg + CODE_CONTEXT_LEN, body, n);
	return CODE_CONTEXT_LEN + n;
}

int vq_code_sign(const vq_claims *claims, const uint8_t sk[64], char *out, size_t outlen)
{
	uint8_t bytes[BODY_ROOM + SIG_LEN];
	uint8_t msg[CODE_CONTEXT_LEN + BODY_ROOM];
	size_t body_len, total, text_len;

	if (sodium_init() < 0)
		return VQ_EINVAL;
	if (!claims || !sk || !out || !claims_valid(claims))
		return VQ_EINVAL;
	body_len = body_encode(claims, bytes);
	total = body_len + SIG_LEN;
	if (total > BYTES_MAX)
		return VQ_EINVAL;
	text_len = CODE_PREFIX_LEN + B32_LEN(total);
	if (outlen < text_len + 1)
		return VQ_EINVAL;

	size_t mlen = signed_message(bytes, body_len, msg);
	if (crypto_sign_detached(bytes + body_len, NULL, msg, mlen, sk) != 0)
		return VQ_EINVAL;
	/* Nothing below can fail, so out is written only on success. */
	memcpy(out, CODE_PREFIX, CODE_PREFIX_LEN);
	b32_encode(bytes, total, out + CODE_PREFIX_LEN);
	return VQ_OK;
}

static const uint8_t *ring_find(const vq_keyring *ring, uint8_t kid)
{
	int count = ring->count < 0 ? 0 : ring->count;
	if (count > VQ_KEYRING_MAX)
		count = VQ_KEYRING_MAX;
	for (int i = 0; i < count; i++) {
		if (ring->keys[i].kid == kid)
			return ring->keys[i].pk;
	}
	return NULL;
}

int vq_code_verify(const char *code, size_t len, const vq_keyring *ring, vq_claims *out)
{
	uint8_t bytes[BYTES_MAX];
	uint8_t msg[CODE_CONTEXT_LEN + BYTES_MAX];
	vq_claims c;
	size_t n, body_len;
	const uint8_t *pk;

	if (sodium_init() < 0)
		return VQ_EINVAL;
	if ((!code && len > 0) || !ring || !out)
		return VQ_EINVAL;
	/* Length first: the decoder below may then trust len to be small. */
	if (len < CODE_PREFIX_LEN || len > CODE_TEXT_MAX)
		return VQ_EMALFORMED;
	if (memcmp(code, CODE_PREFIX, CODE_PREFIX_LEN) != 0)
		return VQ_EMALFORMED;
	n = b32_decode(code + CODE_PREFIX_LEN, len - CODE_PREFIX_LEN, bytes, sizeof bytes);
	if (n < BODY_MIN + SIG_LEN)
		return VQ_EMALFORMED;
	body_len = n - SIG_LEN;
	if (!body_decode(bytes, body_len, &c))
		return VQ_EMALFORMED;
	pk = ring_find(ring, c.kid);
	if (!pk)
		return VQ_EUNKNOWNKEY;
	size_t mlen = signed_message(bytes, body_len, msg);
	if (crypto_sign_verify_detached(bytes + body_len, msg, mlen, pk) != 0)
		return VQ_EBADSIG;
	*out = c;
	return VQ_OK;
}

int vq_keyring_add(vq_keyring *ring, uint8_t kid, const uint8_t pk[32])
{
	if (!ring || !pk || ring->count < 0 || ring->count > VQ_KEYRING_MAX)
		return VQ_EINVAL;
	if (ring_find(ring, kid))
		return VQ_EEXISTS;
	if (ring->count == VQ_KEYRING_MAX)
		return VQ_EINVAL;
	ring->keys[ring->count].kid = kid;
	memcpy(ring->keys[ring->count].pk, pk, 32);
	ring->count++;
	return VQ_OK;
}
