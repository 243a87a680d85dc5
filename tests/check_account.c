/* SPDX-License-Identifier: ISC */
/*
 * common/account.c: every transaction on a record, on a files store in a
 * temporary directory.  Codes come from oathtool (the independent oracle).
 * The store's own guarantees are check_store's; here: what each
 * transaction writes, counts and refuses.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "base32.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "record.h"
#include "store.h"

#define T0 1700000000LL		/* step 56666666 of 30 s */
#define KEY_B32 "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

static char root[64];
static struct odin_config cfg;
static struct odin_store *st;

static void
quiet(void *ctx, int prio, const char *msg)
{
	(void)ctx; (void)prio; (void)msg;
}

static void
setup(void)
{
	odin_log_set_sink(quiet, NULL);
	snprintf(root, sizeof(root), "/tmp/odin-account-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	odin_config_defaults(&cfg);
	snprintf(cfg.store_dir, sizeof(cfg.store_dir), "%s/s", root);
	ck_assert_int_eq(odin_store_create(&cfg), ODIN_OK);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
}

static void
teardown(void)
{
	char cmd[128];

	odin_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
}

/* oathtool's code for a base32 key at time t. */
static void
oath_key(const char *key, long long t, char out[16])
{
	char cmd[200];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "oathtool --totp -b %s -N @%lld", key, t);
	f = popen(cmd, "r");
	ck_assert_msg(f != NULL, "cannot run oathtool");
	ck_assert_msg(fgets(out, 16, f) != NULL, "no output from oathtool (installed?)");
	ck_assert_int_eq(pclose(f), 0);
	out[strcspn(out, "\n")] = '\0';
}

static void
oath(long long t, char out[16])
{
	oath_key(KEY_B32, t, out);
}

/* An enabled record for user with KEY_B32 (what admin import makes). */
static void
enable(const char *user)
{
	struct odin_import imp;
	unsigned nb;

	memset(&imp, 0, sizeof(imp));
	imp.kind = ODIN_IMPORT_BASE32;
	ck_assert_int_eq(odin_base32_decode(KEY_B32, imp.secret, sizeof(imp.secret), &imp.secret_len), ODIN_OK);
	imp.alg = ODIN_ALG_SHA1;
	imp.digits = 6;
	imp.period = 30;
	ck_assert_int_eq(odin_account_import(st, user, &imp, 1, T0 - 1000, &nb), ODIN_OK);
}

static struct odin_account_info
info(const char *user)
{
	struct odin_account_info i;

	ck_assert_int_eq(odin_account_info(st, user, &i), ODIN_OK);
	return i;
}

START_TEST(verify_right_wrong_replay)
{
	struct odin_attempt a;
	char code[16];

	enable("alice");
	oath(T0, code);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "000000", T0, &a), ODIN_ENOMATCH);
	ck_assert_int_eq(info("alice").failures, 1);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0, &a), ODIN_OK);
	ck_assert_int_eq(a.method, ODIN_AUTH_TOTP);
	ck_assert_int_eq(info("alice").last_step, T0 / 30);
	ck_assert_int_eq(info("alice").failures, 0);	/* the success clears the count */
	/* a replay never succeeds and is not counted: seeing a code must not let anyone lock its owner out */
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0 + 5, &a), ODIN_EREPLAY);
	ck_assert_str_eq(a.reason, "replayed code");
	ck_assert_int_eq(info("alice").failures, 0);
	ck_assert_int_eq(info("alice").last_step, T0 / 30);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", NULL, T0 + 5, &a), ODIN_ENOMATCH);
	ck_assert_str_eq(a.reason, "input too long");
	ck_assert_int_eq(info("alice").failures, 1);
}
END_TEST

START_TEST(verify_locks_out_and_then_judges_nothing)
{
	struct odin_attempt a;
	char code[16];
	int i;

	enable("alice");
	cfg.max_failures = 3;
	cfg.lockout_seconds = 60;
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "000000", T0, &a), ODIN_ENOMATCH);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "000000", T0, &a), ODIN_ENOMATCH);
	ck_assert_int_eq(a.lockout_seconds, 60);
	oath(T0 + 10, code);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0 + 10, &a), ODIN_ELOCKEDOUT);
	ck_assert_int_eq(a.locked_until, T0 + 60);
	ck_assert_int_eq(info("alice").last_step, 0);	/* not judged: the right code took nothing */
	oath(T0 + 61, code);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0 + 61, &a), ODIN_OK);
	ck_assert_int_eq(info("alice").lockout_count, 0);
}
END_TEST

/* Any number of replays: never a lockout, and a wrong code still counts. */
START_TEST(replays_never_lock_out)
{
	struct odin_attempt a;
	char code[16];
	int i;

	enable("alice");
	cfg.max_failures = 3;
	oath(T0, code);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0, &a), ODIN_OK);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0 + 10, &a), ODIN_EREPLAY);
	ck_assert_int_eq(info("alice").failures, 0);
	ck_assert_int_eq(info("alice").lockout_until, 0);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "000000", T0 + 10, &a), ODIN_ENOMATCH);
	ck_assert_int_eq(info("alice").failures, 1);
}
END_TEST

/* The attempt that reaches max_failures and is right: the lockout it would start is undone. */
START_TEST(verify_last_try_right)
{
	struct odin_attempt a;
	char code[16];

	enable("alice");
	cfg.max_failures = 2;
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "000000", T0, &a), ODIN_ENOMATCH);
	oath(T0, code);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0, &a), ODIN_OK);
	ck_assert_int_eq(info("alice").lockout_until, 0);
	ck_assert_int_eq(info("alice").failures, 0);
}
END_TEST

START_TEST(verify_not_enabled)
{
	struct odin_attempt a;
	enum odin_pending_outcome out;

	ck_assert_int_eq(odin_account_verify(st, &cfg, "nobody", "000000", T0, &a), ODIN_ECHANGED);
	ck_assert_int_eq(odin_account_set_pending(st, "pat", 0, T0, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_CREATED);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "pat", "000000", T0, &a), ODIN_ECHANGED);
	ck_assert_int_eq(info("pat").failures, 0);
}
END_TEST

/* An enrollment confirmed with oathtool's code for the secret it shows. */
static void
confirm(struct odin_enrollment *en, long long t)
{
	char b32[128], code[16];
	const uint8_t *secret;
	size_t len;
	int64_t skew;

	secret = odin_enroll_secret(en, &len);
	ck_assert_uint_eq(len, 20);
	ck_assert_int_eq(odin_base32_encode(secret, len, b32, sizeof(b32)), ODIN_OK);
	ck_assert_int_eq(odin_enroll_confirm(en, &cfg, "12345", t, &skew), ODIN_EINVAL);
	oath_key(b32, t + 150, code);	/* five steps ahead: wrong, but a clock hint */
	ck_assert_int_eq(odin_enroll_confirm(en, &cfg, code, t, &skew), ODIN_ENOMATCH);
	ck_assert_int_eq(skew, 150);
	oath_key(b32, t, code);
	ck_assert_int_eq(odin_enroll_confirm(en, &cfg, code, t, &skew), ODIN_OK);
}

START_TEST(enroll_absent_and_pending)
{
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	struct odin_enrollment *en;
	enum odin_pending_outcome out;
	struct odin_account_info i;

	ck_assert_int_eq(odin_enroll_begin(st, "erin", T0, &en), ODIN_OK);
	ck_assert_int_eq(odin_enroll_found(en), 0);
	ck_assert_int_eq(odin_enroll_commit(st, "erin", en, T0), ODIN_EINVAL);	/* not confirmed */
	confirm(en, T0);
	ck_assert_int_eq(odin_enroll_commit(st, "erin", en, T0), ODIN_EINVAL);	/* no codes yet */
	ck_assert_int_eq(odin_enroll_codes(en, &cfg, codes), ODIN_OK);
	ck_assert_int_eq(odin_enroll_commit(st, "erin", en, T0), ODIN_OK);
	odin_enroll_free(en);
	i = info("erin");
	ck_assert_int_eq(i.state, ODIN_STATE_ENABLED);
	ck_assert_int_eq(i.nbackup, cfg.backup_codes);
	ck_assert_int_eq(i.last_step, T0 / 30);

	ck_assert_int_eq(odin_account_set_pending(st, "pat", 0, T0, &out), ODIN_OK);
	ck_assert_int_eq(odin_enroll_begin(st, "pat", T0, &en), ODIN_OK);
	ck_assert_int_eq(odin_enroll_found(en), ODIN_STATE_PENDING);
	confirm(en, T0);
	ck_assert_int_eq(odin_enroll_codes(en, &cfg, codes), ODIN_OK);
	ck_assert_int_eq(odin_enroll_commit(st, "pat", en, T0), ODIN_OK);
	odin_enroll_free(en);
	ck_assert_int_eq(info("pat").state, ODIN_STATE_ENABLED);
}
END_TEST

/* The record changed between begin and commit: nothing is written. */
START_TEST(enroll_refused_when_changed)
{
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	struct odin_enrollment *en, *other;
	enum odin_pending_outcome out;
	int unreadable;

	ck_assert_int_eq(odin_account_set_pending(st, "pat", 0, T0, &out), ODIN_OK);
	ck_assert_int_eq(odin_enroll_begin(st, "pat", T0, &en), ODIN_OK);
	ck_assert_int_eq(odin_enroll_begin(st, "pat", T0, &other), ODIN_OK);
	confirm(en, T0);
	confirm(other, T0);
	ck_assert_int_eq(odin_enroll_codes(en, &cfg, codes), ODIN_OK);
	ck_assert_int_eq(odin_enroll_codes(other, &cfg, codes), ODIN_OK);
	ck_assert_int_eq(odin_enroll_commit(st, "pat", other, T0), ODIN_OK);	/* another login won */
	ck_assert_int_eq(odin_enroll_commit(st, "pat", en, T0), ODIN_ECHANGED);
	odin_enroll_free(other);
	odin_enroll_free(en);

	/* disabled meanwhile: stays disabled */
	ck_assert_int_eq(odin_enroll_begin(st, "pat", T0, &en), ODIN_OK);
	confirm(en, T0 + 30);
	ck_assert_int_eq(odin_enroll_codes(en, &cfg, codes), ODIN_OK);
	ck_assert_int_eq(odin_account_disable(st, "pat", &unreadable), ODIN_OK);
	ck_assert_int_eq(odin_enroll_commit(st, "pat", en, T0 + 30), ODIN_ECHANGED);
	odin_enroll_free(en);
	ck_assert_int_eq(odin_account_disable(st, "pat", &unreadable), ODIN_ENOENT);
}
END_TEST

START_TEST(admin_transactions)
{
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	enum odin_pending_outcome out;
	struct odin_import imp;
	struct odin_attempt a;
	unsigned nb;
	int unreadable;

	ck_assert_int_eq(odin_account_set_pending(st, "bob", 0, T0, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_CREATED);
	ck_assert_int_eq(odin_account_set_pending(st, "bob", 0, T0, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_ALREADY);
	enable("bob");
	ck_assert_int_eq(odin_account_set_pending(st, "bob", 0, T0, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_KEPT);
	ck_assert_int_eq(info("bob").state, ODIN_STATE_ENABLED);

	memset(&imp, 0, sizeof(imp));
	ck_assert_int_eq(odin_base32_decode(KEY_B32, imp.secret, sizeof(imp.secret), &imp.secret_len), ODIN_OK);
	imp.alg = ODIN_ALG_SHA1;
	imp.digits = 6;
	imp.period = 30;
	ck_assert_int_eq(odin_account_import(st, "bob", &imp, 0, T0, &nb), ODIN_EEXIST);

	ck_assert_int_eq(odin_account_verify(st, &cfg, "bob", "000000", T0, &a), ODIN_ENOMATCH);
	ck_assert_int_eq(odin_account_unlock(st, "bob", T0), ODIN_OK);
	ck_assert_int_eq(info("bob").failures, 0);
	ck_assert_int_eq(odin_account_unlock(st, "nobody", T0), ODIN_ENOENT);

	ck_assert_int_eq(odin_account_new_backup_codes(st, &cfg, "bob", T0, codes), ODIN_OK);
	ck_assert_int_eq(info("bob").nbackup, cfg.backup_codes);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "bob", codes[3].s, T0, &a), ODIN_OK);
	ck_assert_int_eq(a.method, ODIN_AUTH_BACKUP);
	ck_assert_int_eq(info("bob").nbackup, cfg.backup_codes - 1);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "bob", codes[3].s, T0, &a), ODIN_ENOMATCH);

	ck_assert_int_eq(odin_account_set_pending(st, "bob", 1, T0, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_RESET);
	ck_assert_int_eq(info("bob").state, ODIN_STATE_PENDING);
	ck_assert_int_eq(odin_account_new_backup_codes(st, &cfg, "bob", T0, codes), ODIN_ECHANGED);

	ck_assert_int_eq(odin_account_disable(st, "bob", &unreadable), ODIN_OK);
	ck_assert_int_eq(unreadable, 0);
	ck_assert_int_eq(odin_account_info(st, "bob", &(struct odin_account_info){ 0 }), ODIN_ENOENT);
}
END_TEST

/* A record that does not parse can still be disabled (the recovery path). */
START_TEST(disable_unreadable)
{
	char path[ODIN_PATH_MAX + 16];
	FILE *f;
	int unreadable;

	enable("alice");
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/users/alice", cfg.store_dir), (int)sizeof(path));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("garbage\n", f);
	fclose(f);
	ck_assert_int_eq(odin_account_info(st, "alice", &(struct odin_account_info){ 0 }), ODIN_ECORRUPT);
	ck_assert_int_eq(odin_account_disable(st, "alice", &unreadable), ODIN_OK);
	ck_assert_int_eq(unreadable, 1);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

static Suite *
account_suite(void)
{
	Suite *s = suite_create("account");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, verify_right_wrong_replay);
	tcase_add_test(tc, verify_locks_out_and_then_judges_nothing);
	tcase_add_test(tc, replays_never_lock_out);
	tcase_add_test(tc, verify_last_try_right);
	tcase_add_test(tc, verify_not_enabled);
	tcase_add_test(tc, enroll_absent_and_pending);
	tcase_add_test(tc, enroll_refused_when_changed);
	tcase_add_test(tc, admin_transactions);
	tcase_add_test(tc, disable_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(account_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
