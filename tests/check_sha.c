/* SPDX-License-Identifier: ISC */
/*
 * sha.c against outside oracles: the FIPS 180 example digests (with the
 * million-'a' message), RFC 2202 and RFC 4231 HMAC vectors (a key longer
 * than a block included), RFC 7914's PBKDF2-HMAC-SHA256 vectors, and
 * OpenSSL's libcrypto (linked by this test only) on random lengths and
 * contents around every block boundary.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "err.h"
#include "sha.h"

static void
hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void
expect_hash(enum odin_hash h, const void *msg, size_t len, const char *want)
{
	uint8_t d[ODIN_HASH_MAX];
	char got[2 * ODIN_HASH_MAX + 1];

	ck_assert_int_eq(odin_hash(h, msg, len, d), ODIN_OK);
	hex(d, odin_hash_len(h), got);
	ck_assert_str_eq(got, want);
}

static void
expect_hmac(enum odin_hash h, const void *key, size_t keylen, const char *msg, const char *want)
{
	uint8_t d[ODIN_HASH_MAX];
	char got[2 * ODIN_HASH_MAX + 1];

	ck_assert_int_eq(odin_hmac(h, key, keylen, msg, strlen(msg), d), ODIN_OK);
	hex(d, odin_hash_len(h), got);
	ck_assert_str_eq(got, want);
}

static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

START_TEST(fips180_examples)
{
	char *million = malloc(1000000);

	ck_assert_ptr_nonnull(million);
	memset(million, 'a', 1000000);
	expect_hash(ODIN_SHA1, "", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	expect_hash(ODIN_SHA1, "abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	expect_hash(ODIN_SHA1, m448, strlen(m448), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	expect_hash(ODIN_SHA1, million, 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	expect_hash(ODIN_SHA256, "", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	expect_hash(ODIN_SHA256, "abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect_hash(ODIN_SHA256, m448, strlen(m448),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	expect_hash(ODIN_SHA256, million, 1000000,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	expect_hash(ODIN_SHA512, "", 0,
	    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
	expect_hash(ODIN_SHA512, "abc", 3,
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	expect_hash(ODIN_SHA512, m896, strlen(m896),
	    "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
	    "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
	expect_hash(ODIN_SHA512, million, 1000000,
	    "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
	    "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
	free(million);
}
END_TEST

START_TEST(rfc2202_rfc4231_hmac)
{
	uint8_t k0b[20], kaa[131];

	memset(k0b, 0x0b, sizeof(k0b));
	memset(kaa, 0xaa, sizeof(kaa));
	expect_hmac(ODIN_SHA1, k0b, 20, "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00");
	expect_hmac(ODIN_SHA1, "Jefe", 4, "what do ya want for nothing?",
	    "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	expect_hmac(ODIN_SHA256, k0b, 20, "Hi There",
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	expect_hmac(ODIN_SHA512, k0b, 20, "Hi There",
	    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
	/* RFC 4231 test case 6: a key longer than the block is hashed first */
	expect_hmac(ODIN_SHA256, kaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	expect_hmac(ODIN_SHA512, kaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
	    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	    "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}
END_TEST

START_TEST(rfc7914_pbkdf2)
{
	uint8_t out[64];
	char got[129];

	ck_assert_int_eq(odin_pbkdf2_sha256("passwd", 6, (const uint8_t *)"salt", 4, 1, out, 64), ODIN_OK);
	hex(out, 64, got);
	ck_assert_str_eq(got, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
	    "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
	ck_assert_int_eq(odin_pbkdf2_sha256("Password", 8, (const uint8_t *)"NaCl", 4, 80000, out, 64),
	    ODIN_OK);
	hex(out, 64, got);
	ck_assert_str_eq(got, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
	    "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
	/* bad arguments: refused, the output wiped */
	memset(out, 0x55, sizeof(out));
	ck_assert_int_eq(odin_pbkdf2_sha256("p", 1, (const uint8_t *)"s", 1, 0, out, 32), ODIN_EINVAL);
	ck_assert_int_eq(out[0] | out[31], 0);
	ck_assert_int_eq(odin_pbkdf2_sha256("p", 1, NULL, 1, 1, out, 32), ODIN_EINVAL);
	ck_assert_int_eq(odin_hash((enum odin_hash)7, "", 0, out), ODIN_EINVAL);
	ck_assert_int_eq(odin_hmac((enum odin_hash)7, "k", 1, "", 0, out), ODIN_EINVAL);
	ck_assert_uint_eq(odin_hash_len((enum odin_hash)7), 0);
}
END_TEST

static const EVP_MD *
ossl_md(enum odin_hash h)
{
	return h == ODIN_SHA1 ? EVP_sha1() : h == ODIN_SHA256 ? EVP_sha256() : EVP_sha512();
}

/* Every length 0..300 (every padding case of both block sizes) and random ones, vs OpenSSL. */
START_TEST(against_openssl)
{
	static uint8_t msg[5000], key[300];
	uint8_t a[ODIN_HASH_MAX], b[EVP_MAX_MD_SIZE];
	unsigned int blen;
	size_t len, klen;
	int h, i;

	srand(4242);
	for (i = 0; i < (int)sizeof(msg); i++)
		msg[i] = (uint8_t)rand();
	for (i = 0; i < (int)sizeof(key); i++)
		key[i] = (uint8_t)rand();
	for (h = ODIN_SHA1; h <= ODIN_SHA512; h++) {
		for (i = 0; i < 500; i++) {
			len = i <= 300 ? (size_t)i : (size_t)rand() % sizeof(msg);
			klen = (size_t)rand() % sizeof(key);
			ck_assert_int_eq(odin_hash((enum odin_hash)h, msg, len, a), ODIN_OK);
			ck_assert_int_eq(EVP_Digest(msg, len, b, &blen, ossl_md((enum odin_hash)h), NULL), 1);
			ck_assert_uint_eq(blen, odin_hash_len((enum odin_hash)h));
			ck_assert_mem_eq(a, b, blen);
			ck_assert_int_eq(odin_hmac((enum odin_hash)h, key, klen, msg, len, a), ODIN_OK);
			ck_assert_ptr_nonnull(HMAC(ossl_md((enum odin_hash)h), key, (int)klen, msg, len, b, &blen));
			ck_assert_mem_eq(a, b, blen);
		}
	}
	for (i = 0; i < 40; i++) {
		uint8_t x[100], y[100];
		unsigned iter = 1 + (unsigned)rand() % 300;

		len = 1 + (size_t)rand() % sizeof(x);
		klen = (size_t)rand() % 100;
		ck_assert_int_eq(odin_pbkdf2_sha256(key, klen, msg, 16, iter, x, len), ODIN_OK);
		ck_assert_int_eq(PKCS5_PBKDF2_HMAC((const char *)key, (int)klen, msg, 16, (int)iter,
		    EVP_sha256(), (int)len, y), 1);
		ck_assert_mem_eq(x, y, len);
	}
	/* the output over the salt (and over the password): the same answer */
	for (i = 0; i < 10; i++) {
		uint8_t x[100], y[100];

		len = 1 + (size_t)rand() % sizeof(x);
		memcpy(x, msg, sizeof(x));
		ck_assert_int_eq(odin_pbkdf2_sha256(key, 40, msg, 16, 3, y, len), ODIN_OK);
		ck_assert_int_eq(odin_pbkdf2_sha256(key, 40, x, 16, 3, x, len), ODIN_OK);
		ck_assert_mem_eq(x, y, len);
		memcpy(x, key, sizeof(x));
		ck_assert_int_eq(odin_pbkdf2_sha256(key, 40, msg, 16, 3, y, len), ODIN_OK);
		ck_assert_int_eq(odin_pbkdf2_sha256(x, 40, msg, 16, 3, x, len), ODIN_OK);
		ck_assert_mem_eq(x, y, len);
	}
}
END_TEST

/* A window's HMACs under one prepared key are OpenSSL's HMACs of each big-endian counter. */
START_TEST(hmac_counters_against_openssl)
{
	static const uint64_t firsts[] = { 0, 1, 255, 56666665, 0xffffffffULL, INT64_MAX - 20 };
	uint8_t key[200], out[21 * ODIN_HASH_MAX], b[EVP_MAX_MD_SIZE], msg[8];
	unsigned int blen;
	size_t klen, n, i, dl;
	uint64_t c;
	int h, j, f, k;

	srand(777);
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)rand();
	for (h = ODIN_SHA1; h <= ODIN_SHA512; h++) {
		dl = odin_hash_len((enum odin_hash)h);
		for (j = 0; j < 60; j++) {
			f = j % (int)(sizeof(firsts) / sizeof(firsts[0]));
			klen = j < 3 ? (size_t)j : (size_t)rand() % sizeof(key);	/* 0, 1, 2, then up to two blocks */
			n = 1 + (size_t)rand() % 21;
			memset(out, 0xa5, sizeof(out));
			ck_assert_int_eq(odin_hmac_counters((enum odin_hash)h, key, klen, firsts[f], n, out), ODIN_OK);
			for (i = 0; i < n; i++) {
				c = firsts[f] + i;
				for (k = 7; k >= 0; k--) {
					msg[k] = (uint8_t)(c & 0xff);
					c >>= 8;
				}
				ck_assert_ptr_nonnull(HMAC(ossl_md((enum odin_hash)h), key, (int)klen, msg,
				    sizeof(msg), b, &blen));
				ck_assert_uint_eq(blen, dl);
				ck_assert_mem_eq(out + i * dl, b, dl);
			}
			for (i = n * dl; i < sizeof(out); i++)	/* nothing written past the n digests */
				ck_assert_uint_eq(out[i], 0xa5);
		}
	}
	ck_assert_int_eq(odin_hmac_counters(ODIN_SHA1, key, 20, 0, 0, out), ODIN_EINVAL);
	ck_assert_int_eq(odin_hmac_counters(ODIN_SHA1, key, 20, 0, 1, NULL), ODIN_EINVAL);
	ck_assert_int_eq(odin_hmac_counters(ODIN_SHA1, NULL, 20, 0, 1, out), ODIN_EINVAL);
	ck_assert_int_eq(odin_hmac_counters((enum odin_hash)7, key, 20, 0, 1, out), ODIN_EINVAL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sha");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fips180_examples);
	tcase_add_test(tc, rfc2202_rfc4231_hmac);
	tcase_add_test(tc, rfc7914_pbkdf2);
	tcase_add_test(tc, against_openssl);
	tcase_add_test(tc, hmac_counters_against_openssl);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
