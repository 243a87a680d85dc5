/* SPDX-License-Identifier: ISC */
/*
 * admin import parsing.  Oracle: for each accepted form, the code computed
 * from the imported secret must equal what oathtool computes from the
 * original text's own key (given to oathtool as written in the input).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "err.h"
#include "import.h"
#include "otp.h"
#include "secure.h"

static const uint8_t rfc_key[20] = "12345678901234567890";
#define RFC_B32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
#define RFC_HEX "3132333435363738393031323334353637383930"

struct good {
	const char *text;
	const char *user;
	enum odin_import_kind kind;
	enum odin_alg alg;
	unsigned digits, period, nscratch;
	const char *oathtool;	/* arguments for the same key, from the input */
};

static const struct good goods[] = {
	{ "otpauth://totp/O.D.I.N.:alice%40host?secret=" RFC_B32 "&issuer=O.D.I.N.\n", "alice",
	  ODIN_IMPORT_URI, ODIN_ALG_SHA1, 6, 30, 0, "--totp -b " RFC_B32 },
	{ "  otpauth://totp/Corp:bob?secret=" RFC_B32 "&algorithm=SHA256&digits=8&period=60\r\n", NULL,
	  ODIN_IMPORT_URI, ODIN_ALG_SHA256, 8, 60, 0, "--totp=sha256 -d 8 -s 60 -b " RFC_B32 },
	{ "otpauth://totp/x?secret=" RFC_B32 "&algorithm=SHA512", NULL,
	  ODIN_IMPORT_URI, ODIN_ALG_SHA512, 6, 30, 0, "--totp=sha512 -b " RFC_B32 },
	{ "gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n", "alice",
	  ODIN_IMPORT_BASE32, ODIN_ALG_SHA1, 6, 30, 0, "--totp -b " RFC_B32 },
	{ "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", NULL,
	  ODIN_IMPORT_BASE32, ODIN_ALG_SHA1, 6, 30, 0, "--totp -b " RFC_B32 },
	{ RFC_B32 "\n"
	  "\" RATE_LIMIT 3 30 1700000001 1700000002\n"
	  "\" WINDOW_SIZE 17\n"
	  "\" DISALLOW_REUSE 56666666\n"
	  "\" TOTP_AUTH\n"
	  "12345678\n"
	  "87654321\n"
	  "00000001\n"
	  "99999999\n"
	  "31415926\n", "alice",
	  ODIN_IMPORT_GA, ODIN_ALG_SHA1, 6, 30, 5, "--totp -b " RFC_B32 },
	{ RFC_B32 "\n\" TOTP_AUTH\n\" STEP_SIZE 60\n", NULL,
	  ODIN_IMPORT_GA, ODIN_ALG_SHA1, 6, 60, 0, "--totp -s 60 -b " RFC_B32 },
	{ "HOTP/T30 alice - " RFC_HEX "\n", "alice",
	  ODIN_IMPORT_OATH, ODIN_ALG_SHA1, 6, 30, 0, "--totp " RFC_HEX },
	{ "HOTP/T30/8\talice\t-\t" RFC_HEX "\n", "alice",
	  ODIN_IMPORT_OATH, ODIN_ALG_SHA1, 8, 30, 0, "--totp -d 8 " RFC_HEX },
	{ "HOTP/T60 alice - " RFC_HEX, NULL,
	  ODIN_IMPORT_OATH, ODIN_ALG_SHA1, 6, 60, 0, "--totp -s 60 " RFC_HEX },
	/* A whole users file: comments, other users, an updated line with last OTP and time. */
	{ "# users\n"
	  "HOTP bob - 00112233445566778899\n"
	  "HOTP/T30/7 alice - " RFC_HEX " 1234567 2024-01-01T00:00:00L\n"
	  "HOTP/T30 carol 1234 00112233445566778899\n", "alice",
	  ODIN_IMPORT_OATH, ODIN_ALG_SHA1, 7, 30, 0, "--totp -d 7 " RFC_HEX },
};

static void
oathtool_code(const char *args, long long now, char *out, size_t outsz)
{
	char cmd[512];
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "oathtool %s -N @%lld", args, now);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(out, (int)outsz, f));
	st = pclose(f);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "oathtool failed (is it installed?)");
	out[strcspn(out, "\n")] = '\0';
}

START_TEST(recognised)
{
	static const long long times[] = { 59, 1111111109, 1700000000, 2000000000 };
	const struct good *g = &goods[_i];
	struct odin_import im;
	const char *why = "unset";
	char ours[16], theirs[16];
	size_t t;

	ck_assert_int_eq(odin_import_parse(g->text, strlen(g->text), g->user, &im, &why), ODIN_OK);
	ck_assert_int_eq(im.kind, g->kind);
	ck_assert_uint_eq(im.secret_len, sizeof(rfc_key));
	ck_assert_mem_eq(im.secret, rfc_key, sizeof(rfc_key));
	ck_assert_int_eq(im.alg, g->alg);
	ck_assert_uint_eq(im.digits, g->digits);
	ck_assert_uint_eq(im.period, g->period);
	ck_assert_uint_eq(im.nscratch, g->nscratch);
	for (t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
		ck_assert_int_eq(odin_totp_code(im.alg, im.secret, im.secret_len, im.digits,
		    im.period, times[t], ours, sizeof(ours)), ODIN_OK);
		oathtool_code(g->oathtool, times[t], theirs, sizeof(theirs));
		ck_assert_str_eq(ours, theirs);
	}
	odin_wipe(&im, sizeof(im));
}
END_TEST

START_TEST(ga_scratch_codes)
{
	struct odin_import im;
	const char *why;

	ck_assert_int_eq(odin_import_parse(goods[5].text, strlen(goods[5].text), "alice", &im, &why), ODIN_OK);
	ck_assert_uint_eq(im.nscratch, 5);
	ck_assert_str_eq(im.scratch[0], "12345678");
	ck_assert_str_eq(im.scratch[1], "87654321");
	ck_assert_str_eq(im.scratch[2], "00000001");
	ck_assert_str_eq(im.scratch[3], "99999999");
	ck_assert_str_eq(im.scratch[4], "31415926");
	odin_wipe(&im, sizeof(im));
}
END_TEST

START_TEST(kind_names)
{
	ck_assert_str_eq(odin_import_kind_name(ODIN_IMPORT_URI), "otpauth URI");
	ck_assert_str_eq(odin_import_kind_name(ODIN_IMPORT_BASE32), "base32 secret");
	ck_assert_str_eq(odin_import_kind_name(ODIN_IMPORT_GA), "google-authenticator state file");
	ck_assert_str_eq(odin_import_kind_name(ODIN_IMPORT_OATH), "pam_oath users file line");
	ck_assert_str_eq(odin_import_kind_name((enum odin_import_kind)0), "unknown");
}
END_TEST

struct bad {
	const char *text;
	const char *user;
	const char *why_has;	/* a word the reason must contain */
};

static const struct bad bads[] = {
	{ "", NULL, "empty" },
	{ " \n\t\n", NULL, "empty" },
	{ "otpauth://hotp/X:y?secret=" RFC_B32 "&counter=1", NULL, "HOTP" },
	{ "otpauth://totp/X:y?secret=" RFC_B32 "&digits=9", NULL, "otpauth" },
	{ "otpauth://totp/X:y?secret=" RFC_B32 "\notpauth://totp/X:z?secret=" RFC_B32, NULL, "single line" },
	{ "GEZDGNBVGY3TQOJ", NULL, "unrecognised" },			/* under 80 bits */
	{ "GEZDGNBVGY3TQOJQ1", NULL, "unrecognised" },			/* '1' is not base32 */
	{ RFC_B32 "\n" RFC_B32 "\n", NULL, "unrecognised" },		/* two bare lines */
	{ "hello world", NULL, "unrecognised" },
	/* google-authenticator */
	{ RFC_B32 "\n\" RATE_LIMIT 3 30\n12345678\n", NULL, "TOTP_AUTH" },	/* HOTP file */
	{ RFC_B32 "\n\" HOTP_COUNTER 1\n12345678\n", NULL, "counter" },
	{ RFC_B32 "\n\" TOTP_AUTH\n\" FROB 1\n", NULL, "unknown" },
	{ RFC_B32 "\n\" TOTP_AUTH\n\" WINDOW_SIZE x\n", NULL, "unknown or malformed" },
	{ RFC_B32 "\n\" TOTP_AUTH\n1234567\n", NULL, "scratch" },
	{ RFC_B32 "\n\" TOTP_AUTH\n123456789\n", NULL, "scratch" },
	{ RFC_B32 "\n\" TOTP_AUTH\n1234567a\n", NULL, "scratch" },
	{ RFC_B32 "\n12345678\n\" TOTP_AUTH\n", NULL, "after scratch" },
	{ RFC_B32 "\n\" TOTP_AUTH\n\" STEP_SIZE 0\n", NULL, "STEP_SIZE" },
	{ "GEZD1\n\" TOTP_AUTH\n", NULL, "first line" },
	/* pam_oath */
	{ "HOTP alice - " RFC_HEX, "alice", "event-based" },
	{ "HOTP/E alice - " RFC_HEX, "alice", "event-based" },
	{ "HOTP/E/8 alice - " RFC_HEX, "alice", "event-based" },
	{ "HOTP/T30 alice 1234 " RFC_HEX, "alice", "PIN" },
	{ "HOTP/T30 alice + " RFC_HEX, "alice", "PIN" },
	{ "HOTP/T30 alice - " RFC_HEX, "bob", "no pam_oath line" },
	{ "HOTP/T30 alice - " RFC_HEX "\nHOTP/T30 alice - " RFC_HEX, "alice", "more than one" },
	{ "HOTP/T30 alice - " RFC_HEX "\nHOTP/T30 bob - " RFC_HEX, NULL, "more than one" },
	{ "HOTP/T30 alice - 313233343536373839303", "alice", "hex" },	/* odd length */
	{ "HOTP/T30 alice - 31323334353637383930zz", "alice", "hex" },
	{ "HOTP/T30 alice - 3132333435", "alice", "hex" },		/* 40 bits */
	{ "HOTP/T0 alice - " RFC_HEX, "alice", "time step" },
	{ "HOTP/T30/9 alice - " RFC_HEX, "alice", "digits" },
	{ "HOTP/Tx alice - " RFC_HEX, "alice", "time step" },
	{ "HOTP/T30 alice -", "alice", "malformed" },
	{ "HOTP/T30 alice - " RFC_HEX " 1 2 3", "alice", "malformed" },
	{ "HOTP/T30 alice - " RFC_HEX "\ngarbage line\n", "alice", "malformed" },
};

START_TEST(rejected)
{
	const struct bad *b = &bads[_i];
	struct odin_import im;
	const char *why = NULL;

	memset(&im, 0xa5, sizeof(im));
	ck_assert_msg(odin_import_parse(b->text, strlen(b->text), b->user, &im, &why) == ODIN_EINVAL,
	    "accepted case %d", _i);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, b->why_has) != NULL, "case %d: reason '%s' lacks '%s'", _i, why, b->why_has);
	/* The reason is a fixed string: no input bytes in it. */
	ck_assert_ptr_null(strstr(why, "alice"));
	ck_assert_ptr_null(strstr(why, "GEZD"));
	ck_assert_ptr_null(strstr(why, "3132"));
	/* Nothing of the secret is left in *out. */
	ck_assert_uint_eq(im.secret_len, 0);
	ck_assert_uint_eq(im.nscratch, 0);
	for (size_t i = 0; i < sizeof(im.secret); i++)
		ck_assert_uint_eq(im.secret[i], 0);
}
END_TEST

START_TEST(rejected_binary_and_big)
{
	static const char nul[] = RFC_B32 "\0";
	struct odin_import im;
	const char *why = NULL;
	char *big;

	ck_assert_int_eq(odin_import_parse(nul, sizeof(nul), NULL, &im, &why), ODIN_EINVAL);
	ck_assert_str_eq(why, "input contains a NUL byte");
	big = malloc(70000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'A', 70000);
	ck_assert_int_eq(odin_import_parse(big, 70000, NULL, &im, &why), ODIN_ETOOBIG);
	/* Too long for any secret (ODIN_SECRET_MAX). */
	big[200] = '\0';
	ck_assert_int_eq(odin_import_parse(big, 200, NULL, &im, &why), ODIN_EINVAL);
	free(big);
	ck_assert_int_eq(odin_import_parse(NULL, 0, NULL, &im, &why), ODIN_EINVAL);
	ck_assert_int_eq(odin_import_parse("x", 1, NULL, NULL, &why), ODIN_EINVAL);
}
END_TEST

START_TEST(too_many_scratch)
{
	char text[1024];
	size_t n;
	struct odin_import im;
	const char *why;
	int i;

	n = (size_t)snprintf(text, sizeof(text), "%s\n\" TOTP_AUTH\n", RFC_B32);
	for (i = 0; i < ODIN_BACKUP_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%08d\n", 10000000 + i);
	ck_assert_int_eq(odin_import_parse(text, n, NULL, &im, &why), ODIN_OK);
	ck_assert_uint_eq(im.nscratch, ODIN_BACKUP_MAX);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "%08d\n", 99999999);
	ck_assert_int_eq(odin_import_parse(text, n, NULL, &im, &why), ODIN_EINVAL);
	ck_assert_str_eq(why, "google-authenticator file: too many scratch codes");
}
END_TEST

/* A grouped base32 secret whose first group happens to be "HOTP" is still base32. */
START_TEST(base32_starting_hotp)
{
	struct odin_import im;
	const char *why;

	ck_assert_int_eq(odin_import_parse("HOTP ABCD EFGH IJKL", 19, "alice", &im, &why), ODIN_OK);
	ck_assert_int_eq(im.kind, ODIN_IMPORT_BASE32);
	ck_assert_uint_eq(im.secret_len, 10);
}
END_TEST

static Suite *
import_suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc;

	tc = tcase_create("formats");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, recognised, 0, (int)(sizeof(goods) / sizeof(goods[0])));
	tcase_add_test(tc, ga_scratch_codes);
	tcase_add_test(tc, kind_names);
	tcase_add_test(tc, base32_starting_hotp);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_add_loop_test(tc, rejected, 0, (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(tc, rejected_binary_and_big);
	tcase_add_test(tc, too_many_scratch);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(import_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
