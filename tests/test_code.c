/* tests/test_code.c — ticket codes: round trips, strict decoding, forgery, key rotation.
 *
 * Holds its own encoder of the format written from the layout in core/code.c's opening
 * comment (ref_*), so the documented layout, not just the implementation's self-agreement,
 * is under test: a reference code must be byte-identical to vq_code_sign's (Ed25519 is
 * deterministic), and hand-made bodies with one bad field, correctly signed, must still be
 * refused as malformed. Every verify call reads from an exactly-sized heap copy, so under
 * ASan any read past len fails the test.
 */
#include "core/code.h"
#include "support/tutil.h"

#include <check.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char ID_CHARS[] = "0123456789abcdefghijklmnopqrstuvwxyz-_";
static const char QR_ALNUM[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* claims_base() signed with key_make(7). */
#define KNOWN_CODE                                                                                 \
	"VQ1:"                                                                                     \
	"AEAQSNHFTCIZFG2QA4YYFHDU43ANECIBXUGEWAB4AICAAKVGHQOI3R3V2UXFKSTLZB57LKQQIHQKUYVKKZPAIYX4" \
	"WKURY64M4A2ZQKUKD4FAI535NBNA52LP53SMKB4KMC3L7SZWYN2FRNPWZWYQW"

/* Check records every passing ck_assert (a write to its log), which dominates loops of
 * tens of thousands of cases; EXPECT talks only on failure. */
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

static const uint64_t SEEDS[] = {1, 0x5eed, 0xdeadbeefcafef00dULL};

typedef struct key {
	uint8_t pk[32];
	uint8_t sk[64];
} key;

static void key_make(key *k, uint8_t tag)
{
	uint8_t seed[32];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(tag * 31 + i);
	ck_assert_int_eq(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
}

static void setup(void)
{
	ck_assert_int_ge(sodium_init(), 0);
}

/* Verifies len bytes from an exactly-sized heap copy (no NUL after them). */
static int verify_exact(const char *text, size_t len, const vq_keyring *ring, vq_claims *out)
{
	char *copy = malloc(len ? len : 1);
	EXPECT(copy != NULL, "malloc");
	memcpy(copy, text, len);
	int rc = vq_code_verify(copy, len, ring, out);
	free(copy);
	return rc;
}

static void claims_base(vq_claims *c)
{
	memset(c, 0, sizeof *c);
	c->kid = 1;
	strcpy(c->site, "demo-park");
	strcpy(c->attr, "coaster");
	c->ticket_id = 1234;
	c->win_start = 1750000020; /* minute-aligned */
	c->win_end = c->win_start + 60 * 60;
	c->tier = 2;
	c->party = 4;
	c->number = 42;
}

static void claims_assert_eq(const vq_claims *a, const vq_claims *b, const char *what)
{
	EXPECT(a->kid == b->kid, "%s: kid", what);
	EXPECT(strcmp(a->site, b->site) == 0, "%s: site '%s' '%s'", what, a->site, b->site);
	EXPECT(strcmp(a->attr, b->attr) == 0, "%s: attr '%s' '%s'", what, a->attr, b->attr);
	EXPECT(a->ticket_id == b->ticket_id, "%s: ticket_id", what);
	EXPECT(a->win_start == b->win_start, "%s: win_start", what);
	EXPECT(a->win_end == b->win_end, "%s: win_end", what);
	EXPECT(a->tier == b->tier, "%s: tier", what);
	EXPECT(a->party == b->party, "%s: party", what);
	EXPECT(a->number == b->number, "%s: number", what);
	EXPECT(a->kind == b->kind, "%s: kind", what);
}

static void rand_id(tu_rng *r, char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = ID_CHARS[tu_rng_below(r, sizeof ID_CHARS - 1)];
	out[n] = '\0';
}

static void rand_claims(tu_rng *r, vq_claims *c)
{
	memset(c, 0, sizeof *c);
	c->kid = (uint8_t)tu_rng_below(r, 256);
	size_t n = 1 + tu_rng_below(r, 31);
	size_t mmax = VQ_CODE_IDS_MAX - n < 31 ? VQ_CODE_IDS_MAX - n : 31;
	rand_id(r, c->site, n);
	rand_id(r, c->attr, 1 + tu_rng_below(r, (uint32_t)mmax));
	switch (tu_rng_below(r, 3)) {
	case 0:
		c->ticket_id = 1 + tu_rng_below(r, 20000);
		break;
	case 1:
		c->ticket_id = 1 + (tu_rng_next(r) >> (64 - 1 - tu_rng_below(r, 48)));
		break;
	default:
		c->ticket_id = tu_rng_next(r) & (((uint64_t)1 << 48) - 1);
		if (c->ticket_id == 0)
			c->ticket_id = ((uint64_t)1 << 48) - 1;
	}
	c->win_start = (int64_t)(tu_rng_next(r) & 0xffffffffu) * 60;
	c->win_end = c->win_start + (int64_t)(1 + tu_rng_below(r, 65535)) * 60;
	c->tier = (uint8_t)tu_rng_below(r, VQ_MAX_TIERS);
	c->party = (uint8_t)(1 + tu_rng_below(r, VQ_MAX_PARTY));
	c->number = (uint16_t)(1 + tu_rng_below(r, 999));
	c->kind = (uint8_t)tu_rng_below(r, 2);
}

static void assert_qr_text(const char *code)
{
	EXPECT(strncmp(code, "VQ1:", 4) == 0, "prefix: %s", code);
	for (const char *p = code; *p; p++)
		EXPECT(strchr(QR_ALNUM, *p) != NULL, "char '%c' in %s", *p, code);
	EXPECT(strlen(code) < VQ_CODE_MAX, "length %zu", strlen(code));
}

/* ---- the reference encoder (from the documented layout) ---------------------------- */

typedef struct bits {
	uint8_t b[256];
	size_t nbits;
} bits;

static void bput(bits *w, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		if ((v >> i) & 1)
			w->b[w->nbits / 8] |= (uint8_t)(0x80 >> (w->nbits % 8));
		w->nbits++;
	}
}

static void bpad(bits *w, uint64_t pad)
{
	int n = (int)((8 - w->nbits % 8) % 8);
	bput(w, pad & ((1u << n) - 1), n);
}

static size_t blen(const bits *w)
{
	return (w->nbits + 7) / 8;
}

static unsigned ref_id_code(char ch)
{
	return (unsigned)(strchr(ID_CHARS, ch) - ID_CHARS);
}

static void ref_id(bits *w, const char *id)
{
	bput(w, strlen(id), 8);
	for (const char *p = id; *p; p++)
		bput(w, ref_id_code(*p), 6);
	bpad(w, 0);
}

static void ref_varint(bits *w, uint64_t v)
{
	do {
		uint64_t group = v & 0x7f;
		v >>= 7;
		bput(w, group | (v ? 0x80 : 0), 8);
	} while (v);
}

static void ref_body(bits *w, const vq_claims *c)
{
	memset(w, 0, sizeof *w);
	bput(w, c->kind == VQ_TK_ACCESS ? 2 : 1, 8);
	bput(w, c->kid, 8);
	ref_id(w, c->site);
	ref_id(w, c->attr);
	ref_varint(w, c->ticket_id);
	bput(w, (uint64_t)(c->win_start / 60), 32);
	bput(w, (uint64_t)((c->win_end - c->win_start) / 60), 16);
	bput(w, c->tier, 8);
	bput(w, c->party, 8);
	bput(w, c->number, 16);
}

/* prefix || base32(body || sig(context || body)); trailing_bits goes into the unused low
 * bits of the last character (0 for a well-formed code). */
static void ref_text_ctx(const bits *body, const uint8_t sk[64], const char *context,
                         uint64_t trailing_bits, char *out)
{
	uint8_t msg[300];
	bits all;
	size_t n = blen(body), clen = strlen(context);

	memcpy(msg, context, clen);
	memcpy(msg + clen, body->b, n);
	memset(&all, 0, sizeof all);
	memcpy(all.b, body->b, n);
	crypto_sign_detached(all.b + n, NULL, msg, clen + n, sk);
	all.nbits = 8 * (n + 64);

	strcpy(out, "VQ1:");
	char *p = out + 4;
	for (size_t at = 0; at < all.nbits; at += 5) {
		unsigned v = 0;
		for (size_t i = at; i < at + 5; i++) {
			unsigned bit = i < all.nbits ? (all.b[i / 8] >> (7 - i % 8)) & 1 : 0;
			v = (v << 1) | bit;
		}
		*p++ = B32[v];
	}
	*p = '\0';
	if (trailing_bits) {
		unsigned spare = (unsigned)((5 - all.nbits % 5) % 5);
		unsigned v = (unsigned)(strchr(B32, p[-1]) - B32);
		v |= (unsigned)(trailing_bits & ((1u << spare) - 1));
		p[-1] = B32[v];
	}
}

static void ref_text(const bits *body, const uint8_t sk[64], char *out)
{
	ref_text_ctx(body, sk, "vq-ticket-v1", 0, out);
}

static int b32v(char ch)
{
	const char *p = strchr(B32, ch);
	return ch && p ? (int)(p - B32) : -1;
}

/* ---- round trips -------------------------------------------------------------------- */

START_TEST(test_round_trip_random)
{
	uint64_t seed = SEEDS[_i];
	tu_rng r = {seed};
	key keys[4];
	vq_keyring ring = {0};
	for (int k = 0; k < 4; k++)
		key_make(&keys[k], (uint8_t)k);
	/* Each claim's kid picks one of four keys; the ring holds just that kid. */
	for (int step = 0; step < 2500; step++) {
		vq_claims c, got;
		char code[VQ_CODE_MAX], ref[VQ_CODE_MAX];
		bits body;
		rand_claims(&r, &c);
		const key *k = &keys[c.kid % 4];
		memset(&ring, 0, sizeof ring);
		ck_assert_int_eq(vq_keyring_add(&ring, c.kid, k->pk), VQ_OK);

		int rc = vq_code_sign(&c, k->sk, code, sizeof code);
		EXPECT(rc == VQ_OK, "seed %llu step %d: sign %d", (unsigned long long)seed, step,
		       rc);
		assert_qr_text(code);
		ref_body(&body, &c);
		ref_text(&body, k->sk, ref);
		EXPECT(strcmp(code, ref) == 0, "seed %llu step %d: layout differs\n%s\n%s",
		       (unsigned long long)seed, step, code, ref);

		memset(&got, 0xa5, sizeof got);
		rc = verify_exact(code, strlen(code), &ring, &got);
		EXPECT(rc == VQ_OK, "seed %llu step %d: verify %d %s", (unsigned long long)seed,
		       step, rc, code);
		claims_assert_eq(&got, &c, "round trip");
	}
}
END_TEST

START_TEST(test_known_answer)
{
	/* Pins the format: if this changes, codes already printed stop scanning. */
	key k;
	vq_claims c, got;
	vq_keyring ring = {0};
	char code[VQ_CODE_MAX];
	key_make(&k, 7);
	claims_base(&c);
	ck_assert_int_eq(vq_code_sign(&c, k.sk, code, sizeof code), VQ_OK);
	ck_assert_str_eq(code, KNOWN_CODE);
	ck_assert_int_eq(vq_keyring_add(&ring, 1, k.pk), VQ_OK);
	ck_assert_int_eq(verify_exact(KNOWN_CODE, strlen(KNOWN_CODE), &ring, &got), VQ_OK);
	claims_assert_eq(&got, &c, "known");
}
END_TEST

/* An accessibility pass is format 2; its kind is signed, so turning it into a fast-lane
 * ticket (format 1) or the other way round breaks the signature. Format-1 codes made before
 * passes existed (KNOWN_CODE) still verify, as fast-lane tickets. */
START_TEST(test_access_kind_signed)
{
	key k;
	vq_claims c, got;
	vq_keyring ring = {0};
	char code[VQ_CODE_MAX], flipped[VQ_CODE_MAX];
	key_make(&k, 7);
	ck_assert_int_eq(vq_keyring_add(&ring, 1, k.pk), VQ_OK);
	ck_assert_int_eq(verify_exact(KNOWN_CODE, strlen(KNOWN_CODE), &ring, &got), VQ_OK);
	ck_assert_int_eq(got.kind, VQ_TK_FAST);
	for (int kind = 0; kind < 2; kind++) {
		claims_base(&c);
		c.kind = (uint8_t)kind;
		ck_assert_int_eq(vq_code_sign(&c, k.sk, code, sizeof code), VQ_OK);
		ck_assert_int_eq(verify_exact(code, strlen(code), &ring, &got), VQ_OK);
		ck_assert_int_eq(got.kind, kind);
		/* byte 0 is the first 5 bits of the first base32 character and 3 of the second:
		 * format 1 = 00000 001.., format 2 = 00000 010.. */
		strcpy(flipped, code);
		int v = b32v(code[5]);
		v ^= 0x0c; /* bits 6 and 7 of byte 0 are bits 3 and 2 of this character */
		flipped[5] = B32[v];
		ck_assert_int_eq(verify_exact(flipped, strlen(flipped), &ring, &got), VQ_EBADSIG);
	}
	claims_base(&c);
	c.kind = 2;
	ck_assert_int_eq(vq_code_sign(&c, k.sk, code, sizeof code), VQ_EINVAL);
}
END_TEST

START_TEST(test_length_bounds)
{
	key k;
	vq_claims c;
	vq_keyring ring = {0};
	char code[VQ_CODE_MAX];
	key_make(&k, 1);
	ck_assert_int_eq(vq_keyring_add(&ring, 1, k.pk), VQ_OK);

	/* The demo's ids with a small ticket id stay near 150 characters (QR version 6-M). */
	claims_base(&c);
	ck_assert_int_eq(vq_code_sign(&c, k.sk, code, sizeof code), VQ_OK);
	EXPECT(strlen(code) <= 153, "demo code is %zu characters", strlen(code));

	/* Every pair of id lengths, with the widest values elsewhere: pairs up to
	 * VQ_CODE_IDS_MAX always sign; longer ones sign only if they fit. */
	for (size_t n = 1; n <= 31; n++) {
		for (size_t m = 1; m <= 31; m++) {
			vq_claims got;
			claims_base(&c);
			memset(c.site, 'z', n);
			c.site[n] = '\0';
			memset(c.attr, '_', m);
			c.attr[m] = '\0';
			c.ticket_id = ((uint64_t)1 << 48) - 1;
			c.win_start = (int64_t)UINT32_MAX * 60;
			c.win_end = c.win_start + 65535 * 60;
			c.tier = VQ_MAX_TIERS - 1;
			c.party = VQ_MAX_PARTY;
			c.number = 999;
			memset(code, 'x', sizeof code);
			int rc = vq_code_sign(&c, k.sk, code, sizeof code);
			if (n + m <= VQ_CODE_IDS_MAX)
				EXPECT(rc == VQ_OK, "ids %zu+%zu: %d", n, m, rc);
			if (rc == VQ_OK) {
				assert_qr_text(code);
				ck_assert_int_eq(verify_exact(code, strlen(code), &ring, &got),
				                 VQ_OK);
				claims_assert_eq(&got, &c, "long ids");
			} else {
				ck_assert_int_eq(rc, VQ_EINVAL);
				ck_assert_int_eq(code[0], 'x'); /* out untouched */
			}
		}
	}
}
END_TEST

/* ---- rejection ---------------------------------------------------------------------- */

static void sample_codes(const key *k, char codes[3][VQ_CODE_MAX])
{
	vq_claims c;
	claims_base(&c);
	ck_assert_int_eq(vq_code_sign(&c, k->sk, codes[0], VQ_CODE_MAX), VQ_OK);
	/* 1-character ids, smallest values: the shortest code. */
	strcpy(c.site, "s");
	strcpy(c.attr, "a");
	c.ticket_id = 1;
	c.win_start = 0;
	c.win_end = 60;
	c.tier = 0;
	c.party = 1;
	c.number = 1;
	ck_assert_int_eq(vq_code_sign(&c, k->sk, codes[1], VQ_CODE_MAX), VQ_OK);
	/* Longest ids and widest values: the longest code. */
	memset(c.site, 'q', 16);
	c.site[16] = '\0';
	memset(c.attr, '-', 31);
	c.attr[31] = '\0';
	c.ticket_id = ((uint64_t)1 << 48) - 1;
	c.win_start = (int64_t)UINT32_MAX * 60;
	c.win_end = c.win_start + 65535 * 60;
	c.tier = 7;
	c.party = 20;
	c.number = 999;
	ck_assert_int_eq(vq_code_sign(&c, k->sk, codes[2], VQ_CODE_MAX), VQ_OK);
}

static int is_rejection(int rc)
{
	return rc == VQ_EMALFORMED || rc == VQ_EBADSIG || rc == VQ_EUNKNOWNKEY;
}

START_TEST(test_every_single_char_change_rejected)
{
	key k;
	vq_keyring ring = {0};
	char codes[3][VQ_CODE_MAX];
	key_make(&k, 3);
	/* Every kid is in the ring, so a changed kid must fail on the signature. */
	for (int kid = 0; kid < VQ_KEYRING_MAX; kid++)
		ck_assert_int_eq(vq_keyring_add(&ring, (uint8_t)kid, k.pk), VQ_OK);
	sample_codes(&k, codes);

	for (int s = 0; s < 3; s++) {
		const char *code = codes[s];
		size_t len = strlen(code);
		char buf[VQ_CODE_MAX + 1];
		vq_claims got;
		ck_assert_int_eq(verify_exact(code, len, &ring, &got), VQ_OK);
		for (size_t i = 0; i < len; i++) {
			/* substitution by every other byte */
			for (int b = 0; b < 256; b++) {
				if (b == (unsigned char)code[i])
					continue;
				memcpy(buf, code, len);
				buf[i] = (char)b;
				int rc = verify_exact(buf, len, &ring, &got);
				EXPECT(is_rejection(rc), "code %d pos %zu byte %d: %d", s, i, b,
				       rc);
			}
			/* deletion */
			memcpy(buf, code, i);
			memcpy(buf + i, code + i + 1, len - i - 1);
			EXPECT(is_rejection(verify_exact(buf, len - 1, &ring, &got)),
			       "code %d deleted %zu", s, i);
			/* insertion of every base32 character and a few others */
			for (const char *ins = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567a01: "; *ins;
			     ins++) {
				memcpy(buf, code, i);
				buf[i] = *ins;
				memcpy(buf + i + 1, code + i, len - i);
				EXPECT(is_rejection(verify_exact(buf, len + 1, &ring, &got)),
				       "code %d inserted %c at %zu", s, *ins, i);
			}
		}
		/* appended character */
		memcpy(buf, code, len);
		buf[len] = 'A';
		ck_assert_int_eq(verify_exact(buf, len + 1, &ring, &got), VQ_EMALFORMED);
	}
}
END_TEST

START_TEST(test_truncations_malformed)
{
	key k;
	vq_keyring ring = {0};
	char codes[3][VQ_CODE_MAX];
	key_make(&k, 4);
	ck_assert_int_eq(vq_keyring_add(&ring, 1, k.pk), VQ_OK);
	sample_codes(&k, codes);
	for (int s = 0; s < 3; s++) {
		size_t len = strlen(codes[s]);
		for (size_t n = 0; n < len; n++) {
			vq_claims got;
			int rc = verify_exact(codes[s], n, &ring, &got);
			EXPECT(rc == VQ_EMALFORMED, "code %d cut to %zu: %d", s, n, rc);
		}
	}
	ck_assert_int_eq(vq_code_verify(NULL, 0, &ring, &(vq_claims){0}), VQ_EMALFORMED);
}
END_TEST

START_TEST(test_signature_bit_flips)
{
	key k;
	vq_keyring ring = {0};
	char codes[3][VQ_CODE_MAX];
	key_make(&k, 5);
	ck_assert_int_eq(vq_keyring_add(&ring, 1, k.pk), VQ_OK);
	sample_codes(&k, codes);
	for (int s = 0; s < 3; s++) {
		const char *code = codes[s];
		size_t len = strlen(code), chars = len - 4;
		size_t nbytes = chars * 5 / 8, sig_bit0 = 8 * (nbytes - 64);
		char buf[VQ_CODE_MAX];
		vq_claims got;
		for (size_t j = 0; j < 8 * 64 + (chars * 5 - 8 * nbytes); j++) {
			size_t bit = sig_bit0 + j, at = 4 + bit / 5;
			memcpy(buf, code, len);
			buf[at] = B32[b32v(code[at]) ^ (1 << (4 - bit % 5))];
			int rc = verify_exact(buf, len, &ring, &got);
			if (j < 8 * 64)
				EXPECT(rc == VQ_EBADSIG, "code %d sig bit %zu: %d", s, j, rc);
			else /* the unused bits after the last byte */
				EXPECT(rc == VQ_EMALFORMED, "code %d pad bit %zu: %d", s, j, rc);
		}
	}
}
END_TEST

START_TEST(test_keys_and_rotation)
{
	key a, b;
	vq_claims c, got;
	char code_a1[VQ_CODE_MAX], code_b2[VQ_CODE_MAX], code_a2[VQ_CODE_MAX];
	key_make(&a, 10);
	key_make(&b, 11);
	claims_base(&c);
	c.kid = 1;
	ck_assert_int_eq(vq_code_sign(&c, a.sk, code_a1, sizeof code_a1), VQ_OK);
	c.kid = 2;
	ck_assert_int_eq(vq_code_sign(&c, b.sk, code_b2, sizeof code_b2), VQ_OK);
	ck_assert_int_eq(vq_code_sign(&c, a.sk, code_a2, sizeof code_a2), VQ_OK);

	/* unknown kid: nothing about the signature is looked at */
	vq_keyring empty = {0}, only_b2 = {0}, b_as_1 = {0}, both = {0};
	ck_assert_int_eq(verify_exact(code_a1, strlen(code_a1), &empty, &got), VQ_EUNKNOWNKEY);
	ck_assert_int_eq(vq_keyring_add(&only_b2, 2, b.pk), VQ_OK);
	ck_assert_int_eq(verify_exact(code_a1, strlen(code_a1), &only_b2, &got), VQ_EUNKNOWNKEY);

	/* signed by A, ring has B under the same kid */
	ck_assert_int_eq(vq_keyring_add(&b_as_1, 1, b.pk), VQ_OK);
	ck_assert_int_eq(verify_exact(code_a1, strlen(code_a1), &b_as_1, &got), VQ_EBADSIG);

	/* rotation: old and new key side by side, each code verifies under its own kid */
	ck_assert_int_eq(vq_keyring_add(&both, 1, a.pk), VQ_OK);
	ck_assert_int_eq(vq_keyring_add(&both, 2, b.pk), VQ_OK);
	ck_assert_int_eq(verify_exact(code_a1, strlen(code_a1), &both, &got), VQ_OK);
	ck_assert_int_eq(got.kid, 1);
	ck_assert_int_eq(verify_exact(code_b2, strlen(code_b2), &both, &got), VQ_OK);
	ck_assert_int_eq(got.kid, 2);
	/* A's key claiming B's kid */
	ck_assert_int_eq(verify_exact(code_a2, strlen(code_a2), &both, &got), VQ_EBADSIG);
}
END_TEST

START_TEST(test_context_separates_protocols)
{
	/* The same body signed without the context, or under another one, is not a ticket. */
	key k;
	vq_claims c, got;
	vq_keyring ring = {0};
	bits body;
	char code[VQ_CODE_MAX];
	key_make(&k, 12);
	ck_assert_int_eq(vq_keyring_add(&ring, 1, k.pk), VQ_OK);
	claims_base(&c);
	ref_body(&body, &c);
	ref_text_ctx(&body, k.sk, "", 0, code);
	ck_assert_int_eq(verify_exact(code, strlen(code), &ring, &got), VQ_EBADSIG);
	ref_text_ctx(&body, k.sk, "vq-ticket-v2", 0, code);
	ck_assert_int_eq(verify_exact(code, strlen(code), &ring, &got), VQ_EBADSIG);
	ref_text_ctx(&body, k.sk, "vq-ticket-v1", 0, code);
	ck_assert_int_eq(verify_exact(code, strlen(code), &ring, &got), VQ_OK);
}
END_TEST

/* A hand-made body: fields in layout order, each one overridable with raw bits. */
enum bad {
	BAD_NONE,
	BAD_VERSION,
	BAD_SITE_LEN0,
	BAD_SITE_LEN32,
	BAD_SITE_CODE38,
	BAD_SITE_CODE63,
	BAD_SITE_PAD,
	BAD_ATTR_CODE40,
	BAD_VARINT_LONG,
	BAD_VARINT_8,
	BAD_TICKET_0,
	BAD_TICKET_2_48,
	BAD_WINDOW_0,
	BAD_TIER,
	BAD_PARTY_0,
	BAD_PARTY_21,
	BAD_NUMBER_0,
	BAD_NUMBER_1000,
	BAD_TRAILING_BYTE,
	BAD_SHORT_BODY,
	BAD_COUNT
};

static void bad_body(bits *w, enum bad bad)
{
	memset(w, 0, sizeof *w);
	bput(w, bad == BAD_VERSION ? 3 : 1, 8); /* 2 is an access pass */
	bput(w, 1, 8);
	switch (bad) {
	case BAD_SITE_LEN0:
		bput(w, 0, 8);
		break;
	case BAD_SITE_LEN32:
		bput(w, 32, 8);
		for (int i = 0; i < 32; i++)
			bput(w, 10, 6);
		break;
	case BAD_SITE_CODE38:
	case BAD_SITE_CODE63:
		bput(w, 3, 8);
		bput(w, 10, 6);
		bput(w, bad == BAD_SITE_CODE38 ? 38 : 63, 6);
		bput(w, 11, 6);
		bpad(w, 0);
		break;
	case BAD_SITE_PAD:
		bput(w, 2, 8);
		bput(w, 10, 6);
		bput(w, 11, 6);
		bpad(w, 1);
		break;
	default:
		ref_id(w, "demo");
	}
	if (bad == BAD_ATTR_CODE40) {
		bput(w, 1, 8);
		bput(w, 40, 6);
		bpad(w, 0);
	} else {
		ref_id(w, "coaster");
	}
	switch (bad) {
	case BAD_VARINT_LONG: /* 5 spelled in two bytes */
		bput(w, 0x85, 8);
		bput(w, 0x00, 8);
		break;
	case BAD_VARINT_8: /* eight bytes: more than 48 bits */
		for (int i = 0; i < 7; i++)
			bput(w, 0x81, 8);
		bput(w, 0x01, 8);
		break;
	case BAD_TICKET_0:
		ref_varint(w, 0);
		break;
	case BAD_TICKET_2_48:
		ref_varint(w, (uint64_t)1 << 48);
		break;
	default:
		ref_varint(w, 77);
	}
	bput(w, 29000000, 32);
	bput(w, bad == BAD_WINDOW_0 ? 0 : 60, 16);
	bput(w, bad == BAD_TIER ? VQ_MAX_TIERS : 1, 8);
	bput(w, bad == BAD_PARTY_0 ? 0 : bad == BAD_PARTY_21 ? 21 : 2, 8);
	if (bad == BAD_SHORT_BODY)
		return;
	bput(w, bad == BAD_NUMBER_0 ? 0 : bad == BAD_NUMBER_1000 ? 1000 : 7, 16);
	if (bad == BAD_TRAILING_BYTE)
		bput(w, 0, 8);
}

START_TEST(test_malformed_fields_signed)
{
	key k;
	vq_keyring ring = {0};
	bits body;
	char code[VQ_CODE_MAX];
	vq_claims got;
	key_make(&k, 13);
	ck_assert_int_eq(vq_keyring_add(&ring, 1, k.pk), VQ_OK);
	for (int bad = 0; bad < BAD_COUNT; bad++) {
		bad_body(&body, (enum bad)bad);
		ref_text(&body, k.sk, code);
		int rc = verify_exact(code, strlen(code), &ring, &got);
		if (bad == BAD_NONE) {
			ck_assert_int_eq(rc, VQ_OK);
			ck_assert_str_eq(got.site, "demo");
			ck_assert_str_eq(got.attr, "coaster");
			ck_assert_uint_eq(got.ticket_id, 77);
			ck_assert_int_eq(got.win_start, 29000000LL * 60);
			ck_assert_int_eq(got.win_end, 29000000LL * 60 + 3600);
		} else {
			EXPECT(rc == VQ_EMALFORMED, "case %d: %d %s", bad, rc, code);
		}
	}
}
END_TEST

START_TEST(test_malformed_text)
{
	key k;
	vq_keyring ring = {0};
	vq_claims c, got;
	bits body;
	char code[VQ_CODE_MAX], buf[VQ_CODE_MAX + 8];
	key_make(&k, 14);
	ck_assert_int_eq(vq_keyring_add(&ring, 1, k.pk), VQ_OK);
	claims_base(&c);
	ck_assert_int_eq(vq_code_sign(&c, k.sk, code, sizeof code), VQ_OK);
	size_t len = strlen(code);

	/* lowercase, whole or one letter */
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] + 32 : code[i]);
	ck_assert_int_eq(verify_exact(buf, len, &ring, &got), VQ_EMALFORMED);
	memcpy(buf, code, len);
	buf[4] = (char)(buf[4] >= 'A' && buf[4] <= 'Z' ? buf[4] + 32 : 'a');
	ck_assert_int_eq(verify_exact(buf, len, &ring, &got), VQ_EMALFORMED);

	/* other prefixes */
	static const char *const prefixes[] = {"VQ2:", "vq1:", "VQ1/", "XQ1:", " VQ1"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		memcpy(buf, code, len);
		memcpy(buf, prefixes[i], 4);
		ck_assert_int_eq(verify_exact(buf, len, &ring, &got), VQ_EMALFORMED);
	}
	/* padding, whitespace, a NUL inside */
	memcpy(buf, code, len);
	buf[len] = '=';
	ck_assert_int_eq(verify_exact(buf, len + 1, &ring, &got), VQ_EMALFORMED);
	buf[len] = '\n';
	ck_assert_int_eq(verify_exact(buf, len + 1, &ring, &got), VQ_EMALFORMED);
	memcpy(buf, code, len);
	buf[10] = '\0';
	ck_assert_int_eq(verify_exact(buf, len, &ring, &got), VQ_EMALFORMED);

	/* non-zero unused bits in the last character, on a correctly signed body */
	ref_body(&body, &c);
	ref_text_ctx(&body, k.sk, "vq-ticket-v1", 1, buf);
	if (strcmp(buf, code) != 0) /* the layout leaves spare bits for these ids */
		ck_assert_int_eq(verify_exact(buf, strlen(buf), &ring, &got), VQ_EMALFORMED);

	/* lengths no byte string has in base32 (L mod 8 in 1, 3, 6), all in the alphabet */
	for (size_t l = 1; l < 200; l++) {
		if (l % 8 != 1 && l % 8 != 3 && l % 8 != 6)
			continue;
		memcpy(buf, "VQ1:", 4);
		memset(buf + 4, 'A', l);
		EXPECT(verify_exact(buf, 4 + l, &ring, &got) == VQ_EMALFORMED, "length %zu", l);
	}

	/* huge length: refused before decoding */
	char *big = malloc(4096);
	ck_assert_ptr_nonnull(big);
	memset(big, 'A', 4096);
	memcpy(big, "VQ1:", 4);
	ck_assert_int_eq(vq_code_verify(big, 4096, &ring, &got), VQ_EMALFORMED);
	free(big);

	/* failure leaves *out alone */
	memset(&got, 0x5a, sizeof got);
	ck_assert_int_eq(verify_exact(code, len - 1, &ring, &got), VQ_EMALFORMED);
	ck_assert_int_eq(got.kid, 0x5a);
	ck_assert_int_eq(got.party, 0x5a);
}
END_TEST

START_TEST(test_fuzz_never_verifies)
{
	uint64_t seed = SEEDS[_i];
	tu_rng r = {seed};
	key k;
	vq_keyring ring = {0};
	vq_claims c, got;
	char code[VQ_CODE_MAX], buf[300];
	key_make(&k, 15);
	for (int kid = 0; kid < VQ_KEYRING_MAX; kid++)
		ck_assert_int_eq(vq_keyring_add(&ring, (uint8_t)kid, k.pk), VQ_OK);

	for (int step = 0; step < 20000; step++) {
		size_t len;
		switch (step % 4) {
		case 0: /* any bytes */
			len = tu_rng_below(&r, 260);
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)tu_rng_below(&r, 256);
			break;
		case 1: /* the prefix and base32 of a plausible length */
			len = 4 + 128 + tu_rng_below(&r, 80);
			memcpy(buf, "VQ1:", 4);
			for (size_t i = 4; i < len; i++)
				buf[i] = B32[tu_rng_below(&r, 32)];
			break;
		default: { /* a valid code with a few random changes */
			rand_claims(&r, &c);
			c.kid = (uint8_t)tu_rng_below(&r, VQ_KEYRING_MAX);
			EXPECT(vq_code_sign(&c, k.sk, code, sizeof code) == VQ_OK,
			       "seed %llu step %d sign", (unsigned long long)seed, step);
			len = strlen(code);
			memcpy(buf, code, len);
			int changes = 1 + (int)tu_rng_below(&r, 4);
			for (int j = 0; j < changes; j++) {
				size_t at = tu_rng_below(&r, (uint32_t)len);
				char ch = step % 4 == 2 ? B32[tu_rng_below(&r, 32)]
				                        : (char)tu_rng_below(&r, 256);
				buf[at] = ch;
			}
			if (memcmp(buf, code, len) == 0)
				continue;
		}
		}
		int rc = verify_exact(buf, len, &ring, &got);
		EXPECT(rc != VQ_OK, "seed %llu step %d verified", (unsigned long long)seed, step);
		EXPECT(is_rejection(rc), "seed %llu step %d: %d", (unsigned long long)seed, step,
		       rc);
	}
}
END_TEST

/* ---- signing ------------------------------------------------------------------------ */

START_TEST(test_sign_rejects_bad_claims)
{
	key k;
	vq_claims c;
	char code[VQ_CODE_MAX];
	key_make(&k, 16);

	static const char *const bad_ids[] = {
	    "", "Demo", "demo park", "demo.park", "démo", "0123456789012345678901234567890x"};
	for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
		claims_base(&c);
		memset(c.site, 0, sizeof c.site);
		memcpy(c.site, bad_ids[i], strlen(bad_ids[i]) < 32 ? strlen(bad_ids[i]) : 32);
		EXPECT(vq_code_sign(&c, k.sk, code, sizeof code) == VQ_EINVAL, "site '%s'",
		       bad_ids[i]);
		claims_base(&c);
		memset(c.attr, 0, sizeof c.attr);
		memcpy(c.attr, bad_ids[i], strlen(bad_ids[i]) < 32 ? strlen(bad_ids[i]) : 32);
		EXPECT(vq_code_sign(&c, k.sk, code, sizeof code) == VQ_EINVAL, "attr '%s'",
		       bad_ids[i]);
	}

	enum {
		T_ID0,
		T_ID48,
		T_START_NEG,
		T_START_SEC,
		T_END_SEC,
		T_END_EQ,
		T_END_LT,
		T_START_BIG,
		T_LEN_BIG,
		T_TIER,
		T_PARTY0,
		T_PARTY21,
		T_NUM0,
		T_NUM1000,
		T_COUNT
	};
	for (int t = 0; t < T_COUNT; t++) {
		claims_base(&c);
		switch (t) {
		case T_ID0:
			c.ticket_id = 0;
			break;
		case T_ID48:
			c.ticket_id = (uint64_t)1 << 48;
			break;
		case T_START_NEG:
			c.win_start = -60;
			break;
		case T_START_SEC:
			c.win_start += 1;
			break;
		case T_END_SEC:
			c.win_end += 30;
			break;
		case T_END_EQ:
			c.win_end = c.win_start;
			break;
		case T_END_LT:
			c.win_end = c.win_start - 60;
			break;
		case T_START_BIG:
			c.win_start = ((int64_t)UINT32_MAX + 1) * 60;
			c.win_end = c.win_start + 60;
			break;
		case T_LEN_BIG:
			c.win_end = c.win_start + 65536 * 60;
			break;
		case T_TIER:
			c.tier = VQ_MAX_TIERS;
			break;
		case T_PARTY0:
			c.party = 0;
			break;
		case T_PARTY21:
			c.party = VQ_MAX_PARTY + 1;
			break;
		case T_NUM0:
			c.number = 0;
			break;
		case T_NUM1000:
			c.number = 1000;
			break;
		}
		memset(code, 'x', sizeof code);
		EXPECT(vq_code_sign(&c, k.sk, code, sizeof code) == VQ_EINVAL, "case %d", t);
		ck_assert_int_eq(code[0], 'x');
	}

	/* out exactly big enough, then one byte short */
	claims_base(&c);
	ck_assert_int_eq(vq_code_sign(&c, k.sk, code, sizeof code), VQ_OK);
	size_t need = strlen(code) + 1;
	char *exact = malloc(need);
	ck_assert_ptr_nonnull(exact);
	ck_assert_int_eq(vq_code_sign(&c, k.sk, exact, need), VQ_OK);
	ck_assert_str_eq(exact, code);
	memset(exact, 'x', need);
	ck_assert_int_eq(vq_code_sign(&c, k.sk, exact, need - 1), VQ_EINVAL);
	ck_assert_int_eq(exact[0], 'x');
	free(exact);

	ck_assert_int_eq(vq_code_sign(NULL, k.sk, code, sizeof code), VQ_EINVAL);
	ck_assert_int_eq(vq_code_sign(&c, NULL, code, sizeof code), VQ_EINVAL);
	ck_assert_int_eq(vq_code_sign(&c, k.sk, NULL, 0), VQ_EINVAL);
}
END_TEST

START_TEST(test_keyring_add)
{
	vq_keyring ring = {0};
	key k;
	vq_claims got;
	key_make(&k, 17);
	for (int i = 0; i < VQ_KEYRING_MAX; i++)
		ck_assert_int_eq(vq_keyring_add(&ring, (uint8_t)(100 + i), k.pk), VQ_OK);
	ck_assert_int_eq(ring.count, VQ_KEYRING_MAX);
	ck_assert_int_eq(vq_keyring_add(&ring, 100, k.pk), VQ_EEXISTS);
	ck_assert_int_eq(vq_keyring_add(&ring, 1, k.pk), VQ_EINVAL);
	ck_assert_int_eq(ring.count, VQ_KEYRING_MAX);

	vq_keyring small = {0};
	ck_assert_int_eq(vq_keyring_add(&small, 0, k.pk), VQ_OK);
	ck_assert_int_eq(vq_keyring_add(&small, 0, k.pk), VQ_EEXISTS);
	ck_assert_int_eq(small.count, 1);
	ck_assert_int_eq(vq_keyring_add(NULL, 0, k.pk), VQ_EINVAL);
	ck_assert_int_eq(vq_keyring_add(&small, 1, NULL), VQ_EINVAL);
	ck_assert_int_eq(vq_code_verify("VQ1:", 4, NULL, &got), VQ_EINVAL);
	ck_assert_int_eq(vq_code_verify("VQ1:", 4, &small, NULL), VQ_EINVAL);
	ck_assert_int_eq(vq_code_verify(NULL, 4, &small, &got), VQ_EINVAL);
}
END_TEST

static Suite *code_suite(void)
{
	Suite *s = suite_create("code");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 240);
	tcase_add_loop_test(tc, test_round_trip_random, 0, sizeof SEEDS / sizeof SEEDS[0]);
	tcase_add_test(tc, test_known_answer);
	tcase_add_test(tc, test_access_kind_signed);
	tcase_add_test(tc, test_length_bounds);
	tcase_add_test(tc, test_every_single_char_change_rejected);
	tcase_add_test(tc, test_truncations_malformed);
	tcase_add_test(tc, test_signature_bit_flips);
	tcase_add_test(tc, test_keys_and_rotation);
	tcase_add_test(tc, test_context_separates_protocols);
	tcase_add_test(tc, test_malformed_fields_signed);
	tcase_add_test(tc, test_malformed_text);
	tcase_add_loop_test(tc, test_fuzz_never_verifies, 0, sizeof SEEDS / sizeof SEEDS[0]);
	tcase_add_test(tc, test_sign_rejects_bad_claims);
	tcase_add_test(tc, test_keyring_add);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(code_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
