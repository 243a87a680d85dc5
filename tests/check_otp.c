/* SPDX-License-Identifier: ISC */
/*
 * common/otp.c against RFC 4226 Appendix D, RFC 6238 Appendix B and, as an
 * independent implementation, oathtool(1) on random inputs.
 */
#include "autoconfig.h"

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "otp.h"
#include "secure.h"

/* The RFC seed "1234567890..." repeated to n bytes (20, 32 or 64). */
static const uint8_t *
rfc_key(size_t n)
{
	static uint8_t key[64];
	size_t i;

	for (i = 0; i < n && i < sizeof(key); i++)
		key[i] = (uint8_t)('0' + (i + 1) % 10);
	return key;
}

static void
unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	ck_assert_uint_eq(strlen(hex), 2 * n);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* RFC 4226 Appendix D: HMAC-SHA1, truncated value and 6-digit HOTP per count. */
static const struct {
	const char *hmac;
	uint32_t trunc;
	uint32_t hotp;
} rfc4226[] = {
	{ "cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 1284755224, 755224 },
	{ "75a48a19d4cbe100644e8ac1397eea747a2d33ab", 1094287082, 287082 },
	{ "0bacb7fa082fef30782211938bc1c5e70416ff44", 137359152, 359152 },
	{ "66c28227d03a2d5529262ff016a1e6ef76557ece", 1726969429, 969429 },
	{ "a904c900a64b35909874b33e61c5938a8e15ed1c", 1640338314, 338314 },
	{ "a37e783d7b7233c083d4f62926c7a25f238d0316", 868254676, 254676 },
	{ "bc9cd28561042c83f219324d3c607256c03272ae", 1918287922, 287922 },
	{ "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 82162583, 162583 },
	{ "1b3c89f65e6c9e883012052823443f048b4332db", 673399871, 399871 },
	{ "1637409809a679dc698207310c8c7fc07290d9e5", 645520489, 520489 },
};

START_TEST(rfc4226_hotp)
{
	uint32_t code = 0;

	ck_assert_int_eq(odin_hotp(ODIN_ALG_SHA1, rfc_key(20), 20, (uint64_t)_i, 6, &code), ODIN_OK);
	ck_assert_uint_eq(code, rfc4226[_i].hotp);
}
END_TEST

START_TEST(rfc4226_truncation)
{
	uint8_t mac[20];

	unhex(rfc4226[_i].hmac, mac, sizeof(mac));
	ck_assert_uint_eq(odin_hotp_truncate(mac, sizeof(mac)), rfc4226[_i].trunc);
	ck_assert_uint_eq(rfc4226[_i].trunc % 1000000, rfc4226[_i].hotp);
}
END_TEST

START_TEST(rfc4226_section_5_4)
{
	/* The worked example in RFC 4226 section 5.4. */
	uint8_t mac[20];

	unhex("1f8698690e02ca16618550ef7f19da8e945b555a", mac, sizeof(mac));
	ck_assert_uint_eq(odin_hotp_truncate(mac, sizeof(mac)), 0x50ef7f19);
	ck_assert_uint_eq(odin_hotp_truncate(mac, 19), UINT32_MAX);
	ck_assert_uint_eq(odin_hotp_truncate(NULL, 20), UINT32_MAX);
}
END_TEST

/* RFC 6238 Appendix B, 8 digits, 30 s steps. */
static const struct {
	int64_t t;
	enum odin_alg alg;
	const char *code;
} rfc6238[] = {
	{ 59, ODIN_ALG_SHA1, "94287082" },
	{ 59, ODIN_ALG_SHA256, "46119246" },
	{ 59, ODIN_ALG_SHA512, "90693936" },
	{ 1111111109, ODIN_ALG_SHA1, "07081804" },
	{ 1111111109, ODIN_ALG_SHA256, "68084774" },
	{ 1111111109, ODIN_ALG_SHA512, "25091201" },
	{ 1111111111, ODIN_ALG_SHA1, "14050471" },
	{ 1111111111, ODIN_ALG_SHA256, "67062674" },
	{ 1111111111, ODIN_ALG_SHA512, "99943326" },
	{ 1234567890, ODIN_ALG_SHA1, "89005924" },
	{ 1234567890, ODIN_ALG_SHA256, "91819424" },
	{ 1234567890, ODIN_ALG_SHA512, "93441116" },
	{ 2000000000, ODIN_ALG_SHA1, "69279037" },
	{ 2000000000, ODIN_ALG_SHA256, "90698825" },
	{ 2000000000, ODIN_ALG_SHA512, "38618901" },
	{ 20000000000, ODIN_ALG_SHA1, "65353130" },
	{ 20000000000, ODIN_ALG_SHA256, "77737706" },
	{ 20000000000, ODIN_ALG_SHA512, "47863826" },
};

static size_t
rfc6238_keylen(enum odin_alg alg)
{
	return alg == ODIN_ALG_SHA1 ? 20 : alg == ODIN_ALG_SHA256 ? 32 : 64;
}

START_TEST(rfc6238_totp)
{
	size_t kl = rfc6238_keylen(rfc6238[_i].alg);
	struct odin_totp_params p = { rfc6238[_i].alg, 8, 30, 0 };
	char out[9];
	int64_t m = -5;

	ck_assert_int_eq(odin_totp_code(rfc6238[_i].alg, rfc_key(kl), kl, 8, 30,
	    rfc6238[_i].t, out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, rfc6238[_i].code);
	/* And the verifier accepts it, at that step. */
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(kl), kl, rfc6238[_i].code,
	    rfc6238[_i].t, -1, &m), ODIN_OK);
	ck_assert_int_eq(m, rfc6238[_i].t / 30);
}
END_TEST

START_TEST(alg_names)
{
	enum odin_alg a = ODIN_ALG_SHA1;

	ck_assert_str_eq(odin_alg_name(ODIN_ALG_SHA1), "SHA1");
	ck_assert_str_eq(odin_alg_name(ODIN_ALG_SHA256), "SHA256");
	ck_assert_str_eq(odin_alg_name(ODIN_ALG_SHA512), "SHA512");
	ck_assert_ptr_null(odin_alg_name((enum odin_alg)3));
	ck_assert_int_eq(odin_alg_parse("sha256", &a), ODIN_OK);
	ck_assert_int_eq(a, ODIN_ALG_SHA256);
	ck_assert_int_eq(odin_alg_parse("Sha512", &a), ODIN_OK);
	ck_assert_int_eq(a, ODIN_ALG_SHA512);
	ck_assert_int_eq(odin_alg_parse("SHA1", &a), ODIN_OK);
	ck_assert_int_eq(a, ODIN_ALG_SHA1);
	ck_assert_int_eq(odin_alg_parse("SHA-1", &a), ODIN_EINVAL);
	ck_assert_int_eq(odin_alg_parse("MD5", &a), ODIN_EINVAL);
	ck_assert_int_eq(odin_alg_parse("", &a), ODIN_EINVAL);
	ck_assert_int_eq(odin_alg_parse("SHA1 ", &a), ODIN_EINVAL);
	ck_assert_int_eq(odin_alg_parse(NULL, &a), ODIN_EINVAL);
}
END_TEST

START_TEST(out_of_range)
{
	const uint8_t *k = rfc_key(20);
	uint8_t big[ODIN_SECRET_MAX + 1] = { 0 };
	uint32_t c;
	int64_t step;
	char out[16];

	ck_assert_int_eq(odin_hotp(ODIN_ALG_SHA1, k, 20, 0, 5, &c), ODIN_EINVAL);
	ck_assert_int_eq(odin_hotp(ODIN_ALG_SHA1, k, 20, 0, 9, &c), ODIN_EINVAL);
	ck_assert_int_eq(odin_hotp(ODIN_ALG_SHA1, k, 0, 0, 6, &c), ODIN_EINVAL);
	ck_assert_int_eq(odin_hotp(ODIN_ALG_SHA1, big, sizeof(big), 0, 6, &c), ODIN_EINVAL);
	ck_assert_int_eq(odin_hotp(ODIN_ALG_SHA1, big, ODIN_SECRET_MAX, 0, 6, &c), ODIN_OK);
	ck_assert_int_eq(odin_hotp((enum odin_alg)7, k, 20, 0, 6, &c), ODIN_EINVAL);
	ck_assert_int_eq(odin_hotp(ODIN_ALG_SHA1, NULL, 20, 0, 6, &c), ODIN_EINVAL);
	ck_assert_int_eq(odin_hotp(ODIN_ALG_SHA1, k, 20, 0, 6, NULL), ODIN_EINVAL);

	ck_assert_int_eq(odin_totp_step(-1, 30, &step), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_step(59, 0, &step), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_step(59, 3601, &step), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_step(59, 30, &step), ODIN_OK);
	ck_assert_int_eq(step, 1);
	ck_assert_int_eq(odin_totp_step(INT64_MAX, 1, &step), ODIN_OK);
	ck_assert_int_eq(step, INT64_MAX);
	ck_assert_int_eq(odin_totp_step(7199, 3600, &step), ODIN_OK);
	ck_assert_int_eq(step, 1);

	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA1, k, 20, 6, 30, -1, out, sizeof(out)), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA1, k, 20, 6, 0, 59, out, sizeof(out)), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA1, k, 20, 5, 30, 59, out, sizeof(out)), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA1, k, 20, 9, 30, 59, out, sizeof(out)), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA1, k, 0, 6, 30, 59, out, sizeof(out)), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA1, k, 20, 8, 30, 59, out, 8), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA1, k, 20, 8, 30, 59, out, 9), ODIN_OK);
	ck_assert_str_eq(out, "94287082");
	/* 6 and 7 digits are the low digits of the same truncated value. */
	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA1, k, 20, 6, 30, 59, out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "287082");
	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA1, k, 20, 7, 30, 59, out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "4287082");
}
END_TEST

/* ---- verification ------------------------------------------------------ */

#define V_NOW	((int64_t)1111111111)	/* step 37037037 at 30 s */

static void
code_at_step(const struct odin_totp_params *p, int64_t step, char *out, size_t outsz)
{
	uint32_t v;

	ck_assert_int_eq(odin_hotp(p->alg, rfc_key(20), 20, (uint64_t)step, p->digits, &v), ODIN_OK);
	ck_assert_int_lt(snprintf(out, outsz, "%0*u", (int)p->digits, (unsigned)v), (int)outsz);
}

static int
verify_step(const struct odin_totp_params *p, int64_t code_step, int64_t now,
    int64_t last, int64_t *m)
{
	char code[16];

	code_at_step(p, code_step, code, sizeof(code));
	return odin_totp_verify(p, rfc_key(20), 20, code, now, last, m);
}

START_TEST(window_edges)
{
	static const unsigned windows[] = { 0, 1, 3, ODIN_WINDOW_MAX };
	struct odin_totp_params p = { ODIN_ALG_SHA1, 6, 30, 0 };
	int64_t step = V_NOW / 30, m, w;
	size_t i;

	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		p.window = windows[i];
		w = p.window;
		for (int64_t off = -w; off <= w; off++) {
			m = -7;
			ck_assert_int_eq(verify_step(&p, step + off, V_NOW, -1, &m), ODIN_OK);
			ck_assert_int_eq(m, step + off);
		}
		ck_assert_int_eq(verify_step(&p, step + w + 1, V_NOW, -1, &m), ODIN_ENOMATCH);
		ck_assert_int_eq(verify_step(&p, step - w - 1, V_NOW, -1, &m), ODIN_ENOMATCH);
	}
	/* The first and last second of a step belong to it. */
	p.window = 0;
	ck_assert_int_eq(verify_step(&p, step, step * 30, -1, &m), ODIN_OK);
	ck_assert_int_eq(verify_step(&p, step, step * 30 + 29, -1, &m), ODIN_OK);
	ck_assert_int_eq(verify_step(&p, step, step * 30 + 30, -1, &m), ODIN_ENOMATCH);
	ck_assert_int_eq(verify_step(&p, step, step * 30 - 1, -1, &m), ODIN_ENOMATCH);
}
END_TEST

START_TEST(replay)
{
	struct odin_totp_params p = { ODIN_ALG_SHA1, 6, 30, 1 };
	int64_t step = V_NOW / 30, m;

	/* The code for the last accepted step, or any earlier one, is a replay. */
	m = -7;
	ck_assert_int_eq(verify_step(&p, step, V_NOW, step, &m), ODIN_EREPLAY);
	ck_assert_int_eq(m, step);
	ck_assert_int_eq(verify_step(&p, step - 1, V_NOW, step, &m), ODIN_EREPLAY);
	ck_assert_int_eq(m, step - 1);
	ck_assert_int_eq(verify_step(&p, step + 1, V_NOW, step + 1, &m), ODIN_EREPLAY);
	ck_assert_int_eq(m, step + 1);
	/* A later step is fresh. */
	ck_assert_int_eq(verify_step(&p, step + 1, V_NOW, step, &m), ODIN_OK);
	ck_assert_int_eq(m, step + 1);
	ck_assert_int_eq(verify_step(&p, step, V_NOW, step - 1, &m), ODIN_OK);
	ck_assert_int_eq(m, step);
	/* Accept-then-retry, as the module does it. */
	ck_assert_int_eq(verify_step(&p, step - 1, V_NOW, -1, &m), ODIN_OK);
	ck_assert_int_eq(verify_step(&p, step - 1, V_NOW, m, &m), ODIN_EREPLAY);
	/* Outside the window a replay is simply no match. */
	ck_assert_int_eq(verify_step(&p, step - 2, V_NOW, step, &m), ODIN_ENOMATCH);
}
END_TEST

START_TEST(bad_codes)
{
	static const char *const bad[] = {
		"", "12345", "1234567", "12a456", " 123456", "123456 ",
		"-12345", "+12345", "１23456", "12345\n",
	};
	struct odin_totp_params p = { ODIN_ALG_SHA1, 6, 30, 1 };
	int64_t m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(odin_totp_verify(&p, rfc_key(20), 20, bad[i], V_NOW, -1, &m) == ODIN_EINVAL,
		    "accepted code form #%zu", i);
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, NULL, V_NOW, -1, &m), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, "123456", -1, -1, &m), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 0, "123456", V_NOW, -1, &m), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, "123456", V_NOW, -1, NULL), ODIN_EINVAL);
	p.window = ODIN_WINDOW_MAX + 1;
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, "123456", V_NOW, -1, &m), ODIN_EINVAL);
	p.window = 1;
	p.period = 0;
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, "123456", V_NOW, -1, &m), ODIN_EINVAL);
	p.period = 30;
	p.digits = 9;
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, "123456789", V_NOW, -1, &m), ODIN_EINVAL);
	p.digits = 8;
	/* An 8-digit verifier refuses the 6-digit form of the right code. */
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, "287082", 59, -1, &m), ODIN_EINVAL);
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, "94287082", 59, -1, &m), ODIN_OK);
}
END_TEST

START_TEST(ends_of_time)
{
	struct odin_totp_params p = { ODIN_ALG_SHA1, 8, 1, 3 };
	int64_t m;

	/* now = INT64_MAX with 1 s steps: the window runs off the end. */
	ck_assert_int_eq(verify_step(&p, INT64_MAX, INT64_MAX, -1, &m), ODIN_OK);
	ck_assert_int_eq(m, INT64_MAX);
	ck_assert_int_eq(verify_step(&p, INT64_MAX - 3, INT64_MAX, -1, &m), ODIN_OK);
	ck_assert_int_eq(m, INT64_MAX - 3);
	ck_assert_int_eq(verify_step(&p, INT64_MAX, INT64_MAX - 1, INT64_MAX - 1, &m), ODIN_OK);
	/* Counter 2^63 (one past INT64_MAX) is never a candidate. */
	{
		char code[16];
		uint32_t v;

		ck_assert_int_eq(odin_hotp(ODIN_ALG_SHA1, rfc_key(20), 20, (uint64_t)INT64_MAX + 1, 8, &v), ODIN_OK);
		snprintf(code, sizeof(code), "%08u", (unsigned)v);
		ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, code, INT64_MAX, -1, &m), ODIN_ENOMATCH);
	}
	/* now = 0: step - window < 0; counter 2^64-1 (step -1) is never tried. */
	ck_assert_int_eq(verify_step(&p, 0, 0, -1, &m), ODIN_OK);
	ck_assert_int_eq(m, 0);
	ck_assert_int_eq(verify_step(&p, 3, 1, -1, &m), ODIN_OK);
	ck_assert_int_eq(m, 3);
	ck_assert_int_eq(verify_step(&p, -1, 0, -1, &m), ODIN_ENOMATCH);
	ck_assert_int_eq(verify_step(&p, 0, 0, 0, &m), ODIN_EREPLAY);
	/* The skew finder survives the same ends. */
	ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, "00000000", INT64_MAX, 240, &m) != ODIN_EINVAL, 1);
	ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, "00000000", 0, 240, &m) != ODIN_EINVAL, 1);
}
END_TEST

START_TEST(skew_found)
{
	struct odin_totp_params p = { ODIN_ALG_SHA1, 8, 30, 1 };
	int64_t step = V_NOW / 30, off = 0, m;
	char code[16];

	code_at_step(&p, step + 4, code, sizeof(code));
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, code, V_NOW, -1, &m), ODIN_ENOMATCH);
	ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, code, V_NOW, 10, &off), ODIN_OK);
	ck_assert_int_eq(off, 4);
	/* Not searched far enough: no answer rather than a wrong one. */
	ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, code, V_NOW, 3, &off), ODIN_ENOMATCH);

	code_at_step(&p, step - 8, code, sizeof(code));
	ck_assert_int_eq(odin_totp_verify(&p, rfc_key(20), 20, code, V_NOW, -1, &m), ODIN_ENOMATCH);
	ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, code, V_NOW, 10, &off), ODIN_OK);
	ck_assert_int_eq(off, -8);

	/* The bound is 240 steps whatever the caller asks for. */
	code_at_step(&p, step + 240, code, sizeof(code));
	ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, code, V_NOW, 100000, &off), ODIN_OK);
	ck_assert_int_eq(off, 240);
	code_at_step(&p, step - 241, code, sizeof(code));
	ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, code, V_NOW, 100000, &off), ODIN_ENOMATCH);
	ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, "123", V_NOW, 10, &off), ODIN_EINVAL);
}
END_TEST

START_TEST(skew_never_in_window)
{
	struct odin_totp_params p = { ODIN_ALG_SHA1, 8, 30, 2 };
	int64_t step = V_NOW / 30, off = 99;
	char code[16];

	for (int64_t d = -2; d <= 2; d++) {
		code_at_step(&p, step + d, code, sizeof(code));
		ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, code, V_NOW, 240, &off), ODIN_ENOMATCH);
		ck_assert_int_eq(off, 0);
	}
	/* Just outside the window is skew. */
	code_at_step(&p, step + 3, code, sizeof(code));
	ck_assert_int_eq(odin_totp_find_skew(&p, rfc_key(20), 20, code, V_NOW, 240, &off), ODIN_OK);
	ck_assert_int_eq(off, 3);
}
END_TEST

/* ---- oathtool cross-check --------------------------------------------- */

#define OATH_CASES 1000
#define OATH_EXTRA 2	/* oathtool -w: codes for the next steps too */

struct oath_case {
	uint8_t key[ODIN_SECRET_MAX];
	size_t keylen;
	enum odin_alg alg;
	unsigned digits, period;
	int64_t t;
};

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64*: reproducible from the printed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

START_TEST(oathtool_cross_check)
{
	static const char *const mode[] = { "sha1", "sha256", "sha512" };
	static const unsigned periods[] = { 30, 60, 1, 3600 };
	struct oath_case *c;
	char path[] = "/tmp/odin-oath-XXXXXX", line[64], mine[16], cmd[64];
	uint64_t seed;
	FILE *f, *pp;
	size_t i, k;
	int fd, mismatches = 0, compared = 0;

	ck_assert_msg(system("command -v oathtool >/dev/null 2>&1") == 0,
	    "oathtool not found: install the Debian package 'oathtool' (this test never skips)");
	ck_assert_int_eq(odin_random(&seed, sizeof(seed)), ODIN_OK);
	seed |= 1;
	rng_state = seed;
	c = calloc(OATH_CASES, sizeof(*c));
	ck_assert_ptr_nonnull(c);

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < OATH_CASES; i++) {
		c[i].keylen = ODIN_SECRET_MIN + rng() % (ODIN_SECRET_MAX - ODIN_SECRET_MIN + 1);
		for (k = 0; k < c[i].keylen; k++)
			c[i].key[k] = (uint8_t)rng();
		c[i].alg = (enum odin_alg)(rng() % 3);
		c[i].digits = ODIN_DIGITS_MIN + (unsigned)(rng() % 3);
		c[i].period = i % 5 < 4 ? periods[i % 4] : 1 + (unsigned)(rng() % ODIN_PERIOD_MAX);
		/* Mostly 1970..2106, some up to year ~2500; a few fixed edges. */
		c[i].t = i % 7 == 0 ? (int64_t)(rng() % 17179869184ULL) : (int64_t)(rng() % 4294967296ULL);
		if (i < 3)
			c[i].t = (int64_t)i * 29;
		fprintf(f, "oathtool --totp=%s --digits=%u --time-step-size=%us -w %d -N @%" PRId64 " ",
		    mode[c[i].alg], c[i].digits, c[i].period, OATH_EXTRA, c[i].t);
		for (k = 0; k < c[i].keylen; k++)
			fprintf(f, "%02x", c[i].key[k]);
		fprintf(f, " || { i=0; while [ $i -le %d ]; do echo ERROR; i=$((i+1)); done; }\n",
		    OATH_EXTRA);
	}
	ck_assert_int_eq(fclose(f), 0);

	/* One shell runs the whole batch; output is OATH_EXTRA + 1 lines per case. */
	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "sh %s 2>&1", path), (int)sizeof(cmd));
	pp = popen(cmd, "r");
	ck_assert_ptr_nonnull(pp);
	for (i = 0; i < OATH_CASES; i++) {
		for (k = 0; k <= OATH_EXTRA; k++) {
			if (fgets(line, sizeof(line), pp) == NULL)
				break;
			line[strcspn(line, "\n")] = '\0';
			ck_assert_int_eq(odin_totp_code(c[i].alg, c[i].key, c[i].keylen,
			    c[i].digits, c[i].period, c[i].t + (int64_t)k * c[i].period,
			    mine, sizeof(mine)), ODIN_OK);
			compared++;
			if (strcmp(line, mine) != 0 && mismatches++ < 5)
				fprintf(stderr, "oathtool mismatch (seed %" PRIu64 ", case %zu+%zu, %s/%u/%us @%" PRId64 "): oathtool '%s' ours '%s'\n",
				    seed, i, k, mode[c[i].alg], c[i].digits, c[i].period, c[i].t, line, mine);
		}
	}
	pclose(pp);
	unlink(path);
	odin_wipe(c, OATH_CASES * sizeof(*c));
	free(c);
	ck_assert_msg(compared == OATH_CASES * (OATH_EXTRA + 1),
	    "oathtool produced %d of %d codes (seed %" PRIu64 ")", compared,
	    OATH_CASES * (OATH_EXTRA + 1), seed);
	ck_assert_msg(mismatches == 0, "%d of %d codes differ from oathtool (seed %" PRIu64 ")",
	    mismatches, compared, seed);
}
END_TEST

static Suite *
otp_suite(void)
{
	Suite *s = suite_create("otp");
	TCase *tc;

	tc = tcase_create("rfc4226");
	tcase_add_loop_test(tc, rfc4226_hotp, 0, (int)(sizeof(rfc4226) / sizeof(rfc4226[0])));
	tcase_add_loop_test(tc, rfc4226_truncation, 0, (int)(sizeof(rfc4226) / sizeof(rfc4226[0])));
	tcase_add_test(tc, rfc4226_section_5_4);
	suite_add_tcase(s, tc);

	tc = tcase_create("rfc6238");
	tcase_add_loop_test(tc, rfc6238_totp, 0, (int)(sizeof(rfc6238) / sizeof(rfc6238[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("args");
	tcase_add_test(tc, alg_names);
	tcase_add_test(tc, out_of_range);
	tcase_add_test(tc, bad_codes);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_add_test(tc, window_edges);
	tcase_add_test(tc, replay);
	tcase_add_test(tc, ends_of_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("skew");
	tcase_add_test(tc, skew_found);
	tcase_add_test(tc, skew_never_in_window);
	tcase_set_timeout(tc, 30);	/* hundreds of HMACs; slow under valgrind */
	suite_add_tcase(s, tc);

	tc = tcase_create("oathtool");
	tcase_add_test(tc, oathtool_cross_check);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(otp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
