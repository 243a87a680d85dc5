/* SPDX-License-Identifier: ISC */
/*
 * odin_auth_check(): the shared decision of the module and the CLI.
 * Codes come from oathtool (the independent oracle), run once per case.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "backup.h"
#include "base32.h"
#include "config.h"
#include "err.h"
#include "record.h"

#define T0 1700000000LL		/* step 56666666 of 30 s */
#define KEY_B32 "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

static struct odin_config cfg;
static struct odin_record rec;

static void
setup(void)
{
	size_t len = 0;

	odin_config_defaults(&cfg);
	odin_record_init(&rec, T0 - 1000);
	rec.state = ODIN_STATE_ENABLED;
	ck_assert_int_eq(odin_base32_decode(KEY_B32, rec.secret, sizeof(rec.secret), &len), ODIN_OK);
	rec.secret_len = len;
}

/* oathtool's code for KEY_B32 at time t. */
static void
oath(long long t, char out[16])
{
	char cmd[160];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "oathtool --totp -b %s -N @%lld", KEY_B32, t);
	f = popen(cmd, "r");
	ck_assert_msg(f != NULL, "cannot run oathtool");
	ck_assert_msg(fgets(out, 16, f) != NULL, "no output from oathtool (installed?)");
	ck_assert_int_eq(pclose(f), 0);
	out[strcspn(out, "\n")] = '\0';
	ck_assert_uint_eq(strlen(out), 6);
}

START_TEST(totp_accepted_updates_step)
{
	struct odin_auth_result res;
	char code[16];

	oath(T0, code);
	rec.failures = 3;
	rec.lockout_count = 2;
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, code, T0, &res), ODIN_OK);
	ck_assert_int_eq(res.method, ODIN_AUTH_TOTP);
	ck_assert_int_eq(rec.last_step, T0 / 30);
	ck_assert_uint_eq(rec.failures, 0);
	ck_assert_uint_eq(rec.lockout_count, 0);
	ck_assert_int_eq(rec.updated, T0);
	ck_assert_str_eq(odin_auth_method_name(res.method), "totp");
}
END_TEST

START_TEST(totp_spaces_and_dashes)
{
	struct odin_auth_result res;
	char code[16], typed[32];

	oath(T0, code);
	snprintf(typed, sizeof(typed), " %.3s-%s ", code, code + 3);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, typed, T0, &res), ODIN_OK);
}
END_TEST

START_TEST(totp_replay_refused_and_counted)
{
	struct odin_auth_result res;
	char code[16];

	oath(T0, code);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, code, T0, &res), ODIN_OK);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, code, T0 + 5, &res), ODIN_EREPLAY);
	ck_assert_str_eq(res.reason, "replayed code");
	ck_assert_uint_eq(rec.failures, 1);
	/* an earlier step inside the window is a replay too */
	oath(T0 - 30, code);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, code, T0, &res), ODIN_EREPLAY);
}
END_TEST

START_TEST(totp_window_edges)
{
	struct odin_auth_result res;
	char code[16];

	cfg.window = 1;
	oath(T0 + 30, code);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, code, T0, &res), ODIN_OK);
	setup();
	oath(T0 + 60, code);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, code, T0, &res), ODIN_ENOMATCH);
	ck_assert_int_eq(rec.last_step, 0);
}
END_TEST

START_TEST(skew_reported_never_accepted)
{
	struct odin_auth_result res;
	char code[16];

	/* the phone is 4 minutes behind: its code is for T0 - 240 */
	oath(T0 - 240, code);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, code, T0, &res), ODIN_ENOMATCH);
	ck_assert_int_eq(res.skew, 1);
	ck_assert_int_eq(res.skew_seconds, -240);
	ck_assert_int_eq(rec.last_step, 0);
	ck_assert_uint_eq(rec.failures, 1);
	/* beyond skew_steps: no diagnosis */
	cfg.skew_steps = 2;
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, code, T0, &res), ODIN_ENOMATCH);
	ck_assert_int_eq(res.skew, 0);
}
END_TEST

START_TEST(malformed_and_empty)
{
	static const char *bad[] = { "", "abc", "12345", "1234567", "12345x", "１２３４５６" };
	struct odin_auth_result res;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(odin_auth_check(&cfg, &rec, bad[i], T0, &res), ODIN_ENOMATCH);
		ck_assert_int_eq(res.method, ODIN_AUTH_NONE);
	}
	ck_assert_uint_eq(rec.failures, sizeof(bad) / sizeof(bad[0]) < cfg.max_failures ?
	    sizeof(bad) / sizeof(bad[0]) : sizeof(bad) / sizeof(bad[0]) - cfg.max_failures);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, "", T0, &res), ODIN_ENOMATCH);
	ck_assert_str_eq(res.reason, "empty input");
}
END_TEST

START_TEST(backup_generated_once)
{
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	struct odin_auth_result res;
	char upper[16];
	size_t i;

	ck_assert_int_eq(odin_backup_generate(&rec, 3, codes), ODIN_OK);
	for (i = 0; codes[1].s[i] != '\0'; i++)
		upper[i] = (char)(codes[1].s[i] >= 'a' && codes[1].s[i] <= 'z' ?
		    codes[1].s[i] - 32 : codes[1].s[i]);
	upper[i] = '\0';
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, upper, T0, &res), ODIN_OK);
	ck_assert_int_eq(res.method, ODIN_AUTH_BACKUP);
	ck_assert_uint_eq(rec.nbackup, 2);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, codes[1].s, T0, &res), ODIN_ENOMATCH);
	ck_assert_str_eq(res.reason, "wrong or used backup code");
	ck_assert_uint_eq(rec.nbackup, 2);
}
END_TEST

/* odin_auth_decide() changes nothing and plans what odin_auth_check() does. */
START_TEST(decide_is_pure_and_plans)
{
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	struct odin_auth_result res;
	struct odin_auth_plan plan;
	struct odin_record before;
	uint8_t h[ODIN_BACKUP_HASH_LEN];
	char code[16], norm[16];

	ck_assert_int_eq(odin_backup_generate(&rec, 3, codes), ODIN_OK);
	rec.failures = 2;
	before = rec;
	oath(T0 + 30, code);
	ck_assert_int_eq(odin_auth_decide(&cfg, &rec, code, T0, &res, &plan), ODIN_OK);
	ck_assert_mem_eq(&rec, &before, sizeof(rec));
	ck_assert_int_eq(plan.method, ODIN_AUTH_TOTP);
	ck_assert_int_eq(plan.step, T0 / 30 + 1);
	ck_assert_int_eq(odin_auth_decide(&cfg, &rec, codes[2].s, T0, &res, &plan), ODIN_OK);
	ck_assert_mem_eq(&rec, &before, sizeof(rec));
	ck_assert_int_eq(plan.method, ODIN_AUTH_BACKUP);
	ck_assert_uint_eq(plan.backup_idx, 2);
	/* the planned hash is the stored one, as odin_backup_hash computes it */
	ck_assert_int_eq(odin_backup_normalise(codes[2].s, norm, sizeof(norm)), ODIN_OK);
	ck_assert_int_eq(odin_backup_hash(&rec, norm, h), ODIN_OK);
	ck_assert_mem_eq(plan.backup_hash, h, sizeof(h));
	ck_assert_mem_eq(plan.backup_hash, rec.backup[2], sizeof(h));
	ck_assert_int_eq(odin_auth_decide(&cfg, &rec, "000000", T0, &res, &plan), ODIN_ENOMATCH);
	ck_assert_mem_eq(&rec, &before, sizeof(rec));
	ck_assert_int_eq(plan.method, ODIN_AUTH_NONE);
	/* apply: the plan, then the counters reset */
	ck_assert_int_eq(odin_auth_decide(&cfg, &rec, codes[0].s, T0, &res, &plan), ODIN_OK);
	ck_assert_int_eq(odin_auth_apply(&cfg, &rec, ODIN_OK, &plan, T0, &res), ODIN_OK);
	ck_assert_uint_eq(rec.nbackup, 2);
	ck_assert_mem_eq(rec.backup[0], before.backup[1], sizeof(h));
	ck_assert_uint_eq(rec.failures, 0);
	/* a plan with nothing to record is counted as a failure, never a success */
	memset(&plan, 0, sizeof(plan));
	ck_assert_int_eq(odin_auth_apply(&cfg, &rec, ODIN_OK, &plan, T0, &res), ODIN_EINVAL);
	ck_assert_uint_eq(rec.failures, 1);
	odin_record_wipe(&before);
}
END_TEST

/* Regression: imported google-authenticator scratch codes (8 digits) must work at the prompt. */
START_TEST(backup_imported_scratch_code)
{
	const char *scratch[] = { "12345678", "87654321" };
	struct odin_auth_result res;

	ck_assert_int_eq(odin_backup_set_plain(&rec, scratch, 2), ODIN_OK);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, "8765 4321", T0, &res), ODIN_OK);
	ck_assert_int_eq(res.method, ODIN_AUTH_BACKUP);
	ck_assert_uint_eq(rec.nbackup, 1);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, "87654321", T0, &res), ODIN_ENOMATCH);
}
END_TEST

START_TEST(lockout_doubles_and_caps)
{
	struct odin_auth_result res;
	unsigned round, i;
	int64_t now = T0, want = 300;

	cfg.max_failures = 3;
	cfg.lockout_seconds = 300;
	cfg.lockout_max_seconds = 1000;
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 3; i++) {
			ck_assert_int_eq(odin_auth_lockout_left(&rec, now), 0);
			ck_assert_int_eq(odin_auth_check(&cfg, &rec, "000000", now, &res), ODIN_ENOMATCH);
			ck_assert_int_eq(res.lockout_seconds, i == 2 ? want : 0);
		}
		ck_assert_int_eq(odin_auth_lockout_left(&rec, now), want);
		ck_assert_uint_eq(rec.failures, 0);
		ck_assert_uint_eq(rec.lockout_count, round + 1);
		now += want;	/* wait it out */
		want = want * 2 > 1000 ? 1000 : want * 2;
	}
}
END_TEST

START_TEST(success_resets_lockout_count)
{
	struct odin_auth_result res;
	char code[16];

	rec.lockout_count = 5;
	rec.failures = 2;
	oath(T0, code);
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, code, T0, &res), ODIN_OK);
	ck_assert_uint_eq(rec.lockout_count, 0);
	ck_assert_uint_eq(rec.failures, 0);
	ck_assert_int_eq(rec.lockout_until, 0);
}
END_TEST

START_TEST(cap_below_base_keeps_base)
{
	struct odin_auth_result res;

	cfg.max_failures = 1;
	cfg.lockout_seconds = 600;
	cfg.lockout_max_seconds = 60;
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, "000000", T0, &res), ODIN_ENOMATCH);
	ck_assert_int_eq(res.lockout_seconds, 600);
}
END_TEST

START_TEST(pending_record_refused)
{
	struct odin_auth_result res;

	rec.state = ODIN_STATE_PENDING;
	ck_assert_int_eq(odin_auth_check(&cfg, &rec, "123456", T0, &res), ODIN_EINVAL);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, totp_accepted_updates_step);
	tcase_add_test(tc, totp_spaces_and_dashes);
	tcase_add_test(tc, totp_replay_refused_and_counted);
	tcase_add_test(tc, totp_window_edges);
	tcase_add_test(tc, skew_reported_never_accepted);
	tcase_add_test(tc, malformed_and_empty);
	tcase_add_test(tc, backup_generated_once);
	tcase_add_test(tc, decide_is_pure_and_plans);
	tcase_add_test(tc, backup_imported_scratch_code);
	tcase_add_test(tc, lockout_doubles_and_caps);
	tcase_add_test(tc, success_resets_lockout_count);
	tcase_add_test(tc, cap_below_base_keeps_base);
	tcase_add_test(tc, pending_record_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
