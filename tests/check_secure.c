/* SPDX-License-Identifier: ISC */
/* common/secure.c: constant-time compare, random bytes, wiping, secret memory. */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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


/*
 * The mapping of /proc/self/smaps that holds p: its length and whether its
 * VmFlags have dd (no core dump) and lo (locked).  The kernel's own view,
 * independent of secure.c's bookkeeping.
 */
struct mapinfo {
	size_t len;
	int dd, lo;
};

static int
map_of(const void *p, struct mapinfo *mi)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, found = 0;
	uintptr_t a = (uintptr_t)p;

	ck_assert_ptr_nonnull(f);
	memset(mi, 0, sizeof(*mi));
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			if (in) {
				mi->len = hi - lo;
				found = 1;
			}
		} else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			mi->dd = strstr(line, " dd") != NULL;
			mi->lo = strstr(line, " lo") != NULL;
		}
	}
	fclose(f);
	return found;
}

/* AddressSanitizer makes mlock() a no-op; elsewhere the limit decides. */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

static int
can_lock(size_t n)
{
	struct rlimit rl;

#ifdef ASAN_BUILD
	return 0;
#endif

	return getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= n);
}

START_TEST(secure_blocks)
{
	static const size_t sizes[] = { 1, 15, 16, 17, 100, 1000, 4096, 8193 };
	uint8_t *b[8];
	struct mapinfo mi;
	uintptr_t lo, hi;
	size_t i, j, k;

	for (i = 0; i < 8; i++) {
		b[i] = odin_secure_alloc(sizes[i]);
		ck_assert_ptr_nonnull(b[i]);
		ck_assert_uint_eq((uintptr_t)b[i] % 16, 0);
		ck_assert_msg(all_zero(b[i], sizes[i]), "block %zu not zero-filled", i);
		memset(b[i], (int)(0x30 + i), sizes[i]);
	}
	/* No two blocks overlap: each still holds its own pattern. */
	for (i = 0; i < 8; i++)
		for (k = 0; k < sizes[i]; k++)
			ck_assert_uint_eq(b[i][k], 0x30 + i);
	/* All in the one arena, out of core dumps, locked where the limit allows. */
	lo = hi = (uintptr_t)b[0];
	for (i = 0; i < 8; i++) {
		ck_assert(map_of(b[i], &mi));
		ck_assert(mi.dd);
		if (can_lock(ODIN_SECURE_ARENA))
			ck_assert(mi.lo);
		if ((uintptr_t)b[i] < lo)
			lo = (uintptr_t)b[i];
		if ((uintptr_t)b[i] + sizes[i] > hi)
			hi = (uintptr_t)b[i] + sizes[i];
	}
	ck_assert_uint_le(hi - lo, ODIN_SECURE_ARENA);
	/* A freed block comes back wiped. */
	for (i = 0; i < 8; i++)
		odin_secure_free(b[i]);
	for (j = 0; j < 8; j++) {
		b[j] = odin_secure_alloc(sizes[j]);
		ck_assert_ptr_nonnull(b[j]);
		ck_assert_msg(all_zero(b[j], sizes[j]), "reused block %zu not wiped", j);
	}
	for (j = 0; j < 8; j++)
		odin_secure_free(b[j]);
	odin_secure_free(NULL);
	ck_assert_ptr_null(odin_secure_alloc(0));
	ck_assert_ptr_null(odin_secure_alloc(((size_t)1 << 24) + 1));
}
END_TEST

START_TEST(secure_full_and_merged)
{
	uint8_t *b[48], *big, *whole;
	uintptr_t base;
	struct mapinfo mi;
	size_t i, k, inside = 0;

	/* More than the arena holds: the rest get mappings of their own, as safe. */
	for (i = 0; i < 48; i++) {
		b[i] = odin_secure_alloc(1000);
		ck_assert_ptr_nonnull(b[i]);
		ck_assert(all_zero(b[i], 1000));
		memset(b[i], (int)i + 1, 1000);
		ck_assert(map_of(b[i], &mi));
		ck_assert(mi.dd);
	}
	for (i = 0; i < 48; i++)
		for (k = 0; k < 1000; k++)
			ck_assert_uint_eq(b[i][k], i + 1);
	/* Freed in an interleaved order, the free space merges back into one block. */
	for (i = 0; i < 48; i += 2)
		odin_secure_free(b[i]);
	for (i = 1; i < 48; i += 2)
		odin_secure_free(b[i]);
	whole = odin_secure_alloc(ODIN_SECURE_ARENA - 16);
	ck_assert_ptr_nonnull(whole);
	ck_assert(all_zero(whole, ODIN_SECURE_ARENA - 16));
	/* That block is the whole arena: as many 1 KiB blocks (with their headers) as it holds were in it. */
	base = (uintptr_t)whole - 16;
	ck_assert_uint_eq(base % 4096, 0);
	for (i = 0; i < 48; i++)
		if ((uintptr_t)b[i] >= base && (uintptr_t)b[i] < base + ODIN_SECURE_ARENA)
			inside++;
	ck_assert_uint_eq(inside, ODIN_SECURE_ARENA / 1024);
	/* With the arena taken, a new block still works (its own pages). */
	big = odin_secure_alloc(100000);
	ck_assert_ptr_nonnull(big);
	ck_assert(all_zero(big, 100000));
	ck_assert(map_of(big, &mi));
	ck_assert(mi.dd);
	ck_assert_uint_ge(mi.len, 100000);
	memset(big, 0x77, 100000);
	odin_secure_free(big);
	odin_secure_free(whole);
}
END_TEST

/*
 * A child of fork() inherits the arena's pages but not their lock (mlock(2)):
 * the fork handlers lock the child's arena again as it starts, so the
 * secrets a child holds (an application that forks per connection after a
 * login in the parent) stay out of swap as the parent's do, and the
 * child's allocations work (the arena's mutex is not left taken).
 */
START_TEST(secure_child_relocks)
{
	struct mapinfo mi;
	uint8_t *b, *c;
	int status;
	pid_t pid;

	if (!can_lock(ODIN_SECURE_ARENA)) {
		fprintf(stderr, "secure_child_relocks: cannot lock here (limit or ASan): skipped\n");
		return;
	}
	b = odin_secure_alloc(100);
	ck_assert_ptr_nonnull(b);
	ck_assert(map_of(b, &mi));
	ck_assert(mi.lo);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* exit codes: 0 locked and usable, 3 not locked, 4 other */
		if (!map_of(b, &mi))
			_exit(4);
		if (!mi.lo)
			_exit(3);
		c = odin_secure_alloc(100);
		if (c == NULL || (uintptr_t)c < (uintptr_t)b - ODIN_SECURE_ARENA ||
		    (uintptr_t)c > (uintptr_t)b + ODIN_SECURE_ARENA)
			_exit(4);	/* not from the inherited arena */
		odin_secure_free(c);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "the child died");
	ck_assert_msg(WEXITSTATUS(status) != 3, "the child's arena was not locked again");
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	odin_secure_free(b);
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

	tc = tcase_create("memory");
	tcase_add_test(tc, secure_blocks);
	tcase_add_test(tc, secure_full_and_merged);
	tcase_add_test(tc, secure_child_relocks);
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
