/* SPDX-License-Identifier: ISC */
/* common/base32.c against RFC 4648 section 10, plus what a pasted key looks like. */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "err.h"
#include "secure.h"

struct vec {
	const char *plain;
	const char *padded;	/* as printed in RFC 4648 section 10 */
};

static const struct vec rfc_vecs[] = {
	{ "", "" },
	{ "f", "MY======" },
	{ "fo", "MZXQ====" },
	{ "foo", "MZXW6===" },
	{ "foob", "MZXW6YQ=" },
	{ "fooba", "MZXW6YTB" },
	{ "foobar", "MZXW6YTBOI======" },
};
#define NVECS (sizeof(rfc_vecs) / sizeof(rfc_vecs[0]))

/* The RFC text without its '=' padding: what our encoder must produce. */
static void
strip_pad(const char *in, char *out, size_t outsz)
{
	size_t n = strcspn(in, "=");

	ck_assert_uint_lt(n, outsz);
	memcpy(out, in, n);
	out[n] = '\0';
}

START_TEST(rfc_encode)
{
	char want[32], got[32];

	strip_pad(rfc_vecs[_i].padded, want, sizeof(want));
	ck_assert_int_eq(odin_base32_encode((const uint8_t *)rfc_vecs[_i].plain,
	    strlen(rfc_vecs[_i].plain), got, sizeof(got)), ODIN_OK);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(odin_base32_enclen(strlen(rfc_vecs[_i].plain)), strlen(want));
}
END_TEST

START_TEST(rfc_decode_padded_and_bare)
{
	char bare[32];
	uint8_t out[16];
	size_t n = 99;
	const char *plain = rfc_vecs[_i].plain;

	ck_assert_int_eq(odin_base32_decode(rfc_vecs[_i].padded, out, sizeof(out), &n), ODIN_OK);
	ck_assert_uint_eq(n, strlen(plain));
	ck_assert_mem_eq(out, plain, n);

	strip_pad(rfc_vecs[_i].padded, bare, sizeof(bare));
	n = 99;
	ck_assert_int_eq(odin_base32_decode(bare, out, sizeof(out), &n), ODIN_OK);
	ck_assert_uint_eq(n, strlen(plain));
	ck_assert_mem_eq(out, plain, n);
}
END_TEST

START_TEST(enclen_values)
{
	static const size_t want[] = { 0, 2, 4, 5, 7, 8, 10, 12, 13, 15, 16 };
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_uint_eq(odin_base32_enclen(i), want[i]);
	ck_assert_uint_eq(odin_base32_enclen(20), 32);
	ck_assert_uint_eq(odin_base32_enclen(64), 103);
}
END_TEST

START_TEST(round_trip_random)
{
	uint8_t in[64], back[64];
	char enc[128], grp[160];
	size_t len, n, i;

	for (len = 0; len <= 64; len++) {
		ck_assert_int_eq(odin_random(in, len), ODIN_OK);
		ck_assert_int_eq(odin_base32_encode(in, len, enc, sizeof(enc)), ODIN_OK);
		ck_assert_uint_eq(strlen(enc), odin_base32_enclen(len));
		ck_assert_uint_eq(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), strlen(enc));
		memset(back, 0xa5, sizeof(back));
		ck_assert_int_eq(odin_base32_decode(enc, back, sizeof(back), &n), ODIN_OK);
		ck_assert_uint_eq(n, len);
		ck_assert_mem_eq(back, in, len);

		/* The grouped form and a lower-cased copy decode to the same bytes. */
		ck_assert_int_eq(odin_base32_grouped(in, len, grp, sizeof(grp)), ODIN_OK);
		ck_assert_int_eq(odin_base32_decode(grp, back, sizeof(back), &n), ODIN_OK);
		ck_assert_uint_eq(n, len);
		ck_assert_mem_eq(back, in, len);
		for (i = 0; enc[i] != '\0'; i++)
			if (enc[i] >= 'A' && enc[i] <= 'Z')
				enc[i] = (char)(enc[i] - 'A' + 'a');
		ck_assert_int_eq(odin_base32_decode(enc, back, sizeof(back), &n), ODIN_OK);
		ck_assert_uint_eq(n, len);
		ck_assert_mem_eq(back, in, len);
	}
}
END_TEST

/* Inputs a person might paste that must decode to "foobar". */
static const char *const tolerated[] = {
	"mzxw6ytboi",
	"MzXw6YtBoI",
	"MZXW 6YTB OI",
	"  MZXW6YTBOI  ",
	"M Z X W 6 Y T B O I",
	"mzxw 6ytb oi== ====",
	"MZXW6YTBOI======",
	"mzxw6ytboi======   ",
};

START_TEST(tolerant_inputs)
{
	uint8_t out[16];
	size_t n = 0;

	ck_assert_int_eq(odin_base32_decode(tolerated[_i], out, sizeof(out), &n), ODIN_OK);
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(out, "foobar", 6);
}
END_TEST

/* Inputs that must be refused with ODIN_EINVAL. */
static const char *const rejected[] = {
	"MZXW6YTB=OI",		/* padding in the middle */
	"MY======MY======",	/* data after padding */
	"MZXW6YQ==",		/* two '=' where one belongs */
	"MY=",			/* too little padding */
	"MY=======",		/* too much padding */
	"MZXW6YTB========",	/* padding after a whole block */
	"========",		/* padding alone */
	"M",			/* 1 leftover character */
	"MZX",			/* 3 leftover characters */
	"MZXW6Y",		/* 6 leftover characters */
	"MZXW6YTBO",		/* 9 = 8 + 1 */
	"MZ",			/* non-zero trailing bits ("MY" is canonical) */
	"MZXW6YTBOJ",		/* non-zero trailing bits after a block */
	"MZXW6YR=",		/* non-zero trailing bits with padding */
	"MZXW6YT1",		/* '1' is not in the alphabet */
	"MZXW6YT0",		/* '0' */
	"MZXW6YT8",		/* '8' */
	"MZXW\t6YTB",		/* only ASCII space is ignored */
	"MZXW6YTB\n",		/* newline */
	"MZXW-6YTB",		/* dash */
	"MZXW6YT\xc2\xa0",	/* non-ASCII (NBSP) */
	"MZXW6YT\xff",		/* high byte */
	"MZXW6YTB+",		/* base64 characters */
	"MZXW6YTB/",
};

START_TEST(strict_rejections)
{
	uint8_t out[16];
	size_t n = 77;

	memset(out, 0x5a, sizeof(out));
	ck_assert_msg(odin_base32_decode(rejected[_i], out, sizeof(out), &n) == ODIN_EINVAL,
	    "accepted bad input #%d", _i);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(failure_wipes_output)
{
	uint8_t out[16], zero[16];
	size_t n;

	memset(zero, 0, sizeof(zero));
	/* "MZ" writes 'f' before the trailing bits are found non-zero. */
	memset(out, 0x5a, sizeof(out));
	ck_assert_int_eq(odin_base32_decode("MZ", out, sizeof(out), &n), ODIN_EINVAL);
	ck_assert_mem_eq(out, zero, sizeof(out));
	memset(out, 0x5a, sizeof(out));
	ck_assert_int_eq(odin_base32_decode("MZXW6YT!", out, sizeof(out), &n), ODIN_EINVAL);
	ck_assert_mem_eq(out, zero, sizeof(out));
	memset(out, 0x5a, sizeof(out));
	ck_assert_int_eq(odin_base32_decode("MZXW6YTBOI", out, 5, &n), ODIN_ETOOBIG);
	ck_assert_mem_eq(out, zero, 5);
	ck_assert_uint_eq(out[5], 0x5a);	/* never writes past outsz */
}
END_TEST

START_TEST(output_size_limits)
{
	uint8_t out[8];
	char enc[16];
	size_t n = 0;

	ck_assert_int_eq(odin_base32_decode("MZXW6YTBOI", out, 6, &n), ODIN_OK);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(odin_base32_decode("MZXW6YTBOI", out, 5, &n), ODIN_ETOOBIG);
	ck_assert_int_eq(odin_base32_decode("", NULL, 0, &n), ODIN_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(odin_base32_decode(NULL, out, sizeof(out), &n), ODIN_EINVAL);
	ck_assert_int_eq(odin_base32_decode("MY", out, sizeof(out), NULL), ODIN_EINVAL);

	/* "foobar" needs 10 characters plus the NUL. */
	ck_assert_int_eq(odin_base32_encode((const uint8_t *)"foobar", 6, enc, 10), ODIN_EINVAL);
	ck_assert_int_eq(odin_base32_encode((const uint8_t *)"foobar", 6, enc, 11), ODIN_OK);
	ck_assert_str_eq(enc, "MZXW6YTBOI");
	ck_assert_int_eq(odin_base32_encode(NULL, 1, enc, sizeof(enc)), ODIN_EINVAL);
}
END_TEST

START_TEST(grouped_format)
{
	static const uint8_t hello[] = { 'H', 'e', 'l', 'l', 'o', '!', 0xde, 0xad, 0xbe, 0xef };
	uint8_t key[20];
	char out[64];
	size_t i;

	ck_assert_int_eq(odin_base32_grouped(hello, sizeof(hello), out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "JBSW Y3DP EHPK 3PXP");
	/* Exactly enclen + enclen/4 + 1 is enough; one less is not. */
	ck_assert_int_eq(odin_base32_grouped(hello, sizeof(hello), out, 16 + 4 + 1), ODIN_OK);
	ck_assert_str_eq(out, "JBSW Y3DP EHPK 3PXP");
	ck_assert_int_eq(odin_base32_grouped(hello, sizeof(hello), out, 16 + 4), ODIN_EINVAL);

	ck_assert_int_eq(odin_base32_grouped((const uint8_t *)"foobar", 6, out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "MZXW 6YTB OI");
	ck_assert_int_eq(odin_base32_grouped((const uint8_t *)"f", 1, out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "MY");
	ck_assert_int_eq(odin_base32_grouped(NULL, 0, out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "");

	/* A default 160-bit key: 8 groups of 4, single spaces, no trailing space. */
	memset(key, 0xff, sizeof(key));
	ck_assert_int_eq(odin_base32_grouped(key, sizeof(key), out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "7777 7777 7777 7777 7777 7777 7777 7777");
	for (i = 0; i < 20; i++)
		key[i] = (uint8_t)i;
	ck_assert_int_eq(odin_base32_grouped(key, sizeof(key), out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "AAAQ EAYE AUDA OCAJ BIFQ YDIO B4IB CEQT");
}
END_TEST

/* RFC 4648 section 10, base16 (in lower case, the form records use). */
START_TEST(base16_rfc_vectors)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const want[] = { "", "66", "666f", "666f6f", "666f6f62",
	    "666f6f6261", "666f6f626172" };
	static const uint8_t all[] = { 0x00, 0x7f, 0x80, 0xa5, 0xff };
	char out[16];
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		memset(out, 'X', sizeof(out));
		odin_base16_encode((const uint8_t *)in[i], strlen(in[i]), out);
		ck_assert_str_eq(out, want[i]);
	}
	odin_base16_encode(all, sizeof(all), out);
	ck_assert_str_eq(out, "007f80a5ff");
}
END_TEST

static Suite *
base32_suite(void)
{
	Suite *s = suite_create("base32");
	TCase *tc;

	tc = tcase_create("rfc4648");
	tcase_add_loop_test(tc, rfc_encode, 0, NVECS);
	tcase_add_loop_test(tc, rfc_decode_padded_and_bare, 0, NVECS);
	tcase_add_test(tc, enclen_values);
	tcase_add_test(tc, base16_rfc_vectors);
	suite_add_tcase(s, tc);

	tc = tcase_create("round_trip");
	tcase_add_test(tc, round_trip_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("tolerance");
	tcase_add_loop_test(tc, tolerant_inputs, 0,
	    (int)(sizeof(tolerated) / sizeof(tolerated[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("strict");
	tcase_add_loop_test(tc, strict_rejections, 0,
	    (int)(sizeof(rejected) / sizeof(rejected[0])));
	tcase_add_test(tc, failure_wipes_output);
	tcase_add_test(tc, output_size_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("grouped");
	tcase_add_test(tc, grouped_format);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(base32_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
