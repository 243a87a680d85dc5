/* SPDX-License-Identifier: ISC */
/* common/secure.c: constant-time compare, random bytes, wiping. */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "secure.h"

START_TEST(ct_equal_results)
{
	uint8_t a[64], b[64];
	size_t i;

	for (i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)(i * 7 + 3);
	ck_assert_int_eq(odin_ct_equal(a, b, sizeof(a)), 1);
	ck_assert_int_eq(odin_ct_equal(a, b, 0), 1);
	/* A difference anywhere, in any bit, is seen. */
	for (i = 0; i < sizeof(a); i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			ck_assert_msg(odin_ct_equal(a, b, sizeof(a)) == 0,
			    "missed byte %zu bit %u", i, bit);
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* Only the first n bytes count. */
	b[63] ^= 0xff;
	ck_assert_int_eq(odin_ct_equal(a, b, 63), 1);
	ck_assert_int_eq(odin_ct_equal(a, b, 64), 0);
	ck_assert_int_eq(odin_ct_equal("123456", "123456", 6), 1);
	ck_assert_int_eq(odin_ct_equal("123456", "123457", 6), 0);
}
END_TEST

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

START_TEST(random_fills)
{
	uint8_t a[64], b[64], guard[80];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ck_assert_int_eq(odin_random(a, sizeof(a)), ODIN_OK);
	ck_assert_int_eq(odin_random(b, sizeof(b)), ODIN_OK);
	ck_assert(!all_zero(a, sizeof(a)));
	ck_assert(!all_zero(b, sizeof(b)));
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	/* The whole buffer is filled, not just a prefix: 8 zero bytes at the end would be 2^-64. */
	memset(a, 0, sizeof(a));
	ck_assert_int_eq(odin_random(a, sizeof(a)), ODIN_OK);
	ck_assert(!all_zero(a + 56, 8));
	/* Exactly n bytes are written. */
	memset(guard, 0xee, sizeof(guard));
	ck_assert_int_eq(odin_random(guard, 64), ODIN_OK);
	for (size_t i = 64; i < sizeof(guard); i++)
		ck_assert_uint_eq(guard[i], 0xee);
	ck_assert_int_eq(odin_random(NULL, 0), ODIN_OK);
	ck_assert_int_eq(odin_random(NULL, 16), ODIN_EINVAL);
}
END_TEST

START_TEST(random_not_biased_to_constant)
{
	/* 4096 random bytes: every bit position is set sometimes and clear sometimes. */
	uint8_t buf[4096], or = 0, and = 0xff;
	size_t i;

	ck_assert_int_eq(odin_random(buf, sizeof(buf)), ODIN_OK);
	for (i = 0; i < sizeof(buf); i++) {
		or |= buf[i];
		and &= buf[i];
	}
	ck_assert_uint_eq(or, 0xff);
	ck_assert_uint_eq(and, 0);
}
END_TEST

START_TEST(wipe_zeroes)
{
	uint8_t buf[48];

	memset(buf, 0xa5, sizeof(buf));
	odin_wipe(buf + 8, 32);
	ck_assert(all_zero(buf + 8, 32));
	/* Only the n bytes asked for. */
	ck_assert_uint_eq(buf[7], 0xa5);
	ck_assert_uint_eq(buf[40], 0xa5);
	odin_wipe(NULL, 0);
	odin_wipe(buf, 0);
	ck_assert_uint_eq(buf[0], 0xa5);
}
END_TEST

START_TEST(free_helpers)
{
	char *s = strdup("JBSWY3DPEHPK3PXP");
	uint8_t *p = malloc(32);

	/* NULL is accepted; real buffers are released (ASan/valgrind catch a leak or bad free). */
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(p);
	memset(p, 0x5a, 32);
	odin_free_str(NULL);
	odin_free_wipe(NULL, 10);
	odin_free_str(s);
	odin_free_wipe(p, 32);
}
END_TEST

START_TEST(strerror_table)
{
	const char *msg[1 - ODIN_ERR_LAST];
	int e, j;

	/* Every code has its own message; unknown codes get a generic one. */
	for (e = ODIN_OK; e >= ODIN_ERR_LAST; e--) {
		msg[-e] = odin_strerror(e);
		ck_assert_ptr_nonnull(msg[-e]);
		ck_assert_str_ne(msg[-e], "unknown error");
		for (j = 0; j < -e; j++)
			ck_assert_str_ne(msg[j], msg[-e]);
	}
	ck_assert_str_eq(odin_strerror(ODIN_ERR_LAST - 1), "unknown error");
	ck_assert_str_eq(odin_strerror(1), "unknown error");
	ck_assert_int_eq(odin_err_from_errno(ENOSPC), ODIN_ENOSPC);
	ck_assert_int_eq(odin_err_from_errno(EDQUOT), ODIN_ENOSPC);
	ck_assert_int_eq(odin_err_from_errno(EROFS), ODIN_EROFS);
	ck_assert_int_eq(odin_err_from_errno(ELOOP), ODIN_EUNSAFE);
	ck_assert_int_eq(odin_err_from_errno(EACCES), ODIN_EPERM);
	ck_assert_int_eq(odin_err_from_errno(ENOENT), ODIN_ENOENT);
	ck_assert_int_eq(odin_err_from_errno(EBADF), ODIN_EIO);
}
END_TEST

static Suite *
secure_suite(void)
{
	Suite *s = suite_create("secure");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, ct_equal_results);
	tcase_add_test(tc, random_fills);
	tcase_add_test(tc, random_not_biased_to_constant);
	tcase_add_test(tc, wipe_zeroes);
	tcase_add_test(tc, free_helpers);
	suite_add_tcase(s, tc);

	tc = tcase_create("err");
	tcase_add_test(tc, strerror_table);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(secure_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
