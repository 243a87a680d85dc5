/* SPDX-License-Identifier: ISC */
/*
 * The record contract, on either backend: every transaction of
 * common/account.c and the store calls under it (lock, save, peek,
 * delete, list), with the same assertions for a files store in a
 * temporary directory (the default) and for the postgresql backend
 * (ODIN_TEST_BACKEND=postgresql with ODIN_TEST_PG_CONNINFO,
 * ODIN_TEST_PG_PWFILE and ODIN_TEST_PG_KEY, which tests/pg/run.sh sets
 * for a private server; without them that run skips, exit 77).  Codes
 * come from oathtool (the independent oracle).  What is particular to
 * one backend (file modes and links; sealed rows and SQL) stays in
 * check_store and check_store_pg.
 */
#include "autoconfig.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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
#define NPROC 16

static char root[64];
static struct odin_config cfg;
static struct odin_store *st;
static int on_pg;

static void
quiet(void *ctx, int prio, const char *msg)
{
	(void)ctx; (void)prio; (void)msg;
}

static int
drop_one(const char *user, void *ctx)
{
	int unreadable, rc = odin_account_disable(st, user, &unreadable);

	(void)ctx;
	return rc == ODIN_OK || rc == ODIN_ENOENT ? 0 : rc;
}

static void
setup(void)
{
	odin_log_set_sink(quiet, NULL);
	snprintf(root, sizeof(root), "/tmp/odin-contract-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	odin_config_defaults(&cfg);
	if (on_pg) {
		ck_assert_int_eq(odin_config_set(&cfg, "backend", "postgresql"), ODIN_OK);
		ck_assert_int_eq(odin_config_set(&cfg, "pg_conninfo", getenv("ODIN_TEST_PG_CONNINFO")), ODIN_OK);
		ck_assert_int_eq(odin_config_set(&cfg, "pg_password_file", getenv("ODIN_TEST_PG_PWFILE")), ODIN_OK);
		ck_assert_int_eq(odin_config_set(&cfg, "secret_key_file", getenv("ODIN_TEST_PG_KEY")), ODIN_OK);
		ck_assert_int_eq(odin_config_set(&cfg, "pg_statement_timeout", "2"), ODIN_OK);
		ck_assert_int_eq(odin_config_set(&cfg, "pg_plugin", TESTS_PG_PLUGIN), ODIN_OK);
		ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
		ck_assert_str_eq(odin_store_backend(st), "postgresql");
		ck_assert_int_eq(odin_store_init(st), ODIN_OK);
		/* every case starts from an empty table, through the contract itself */
		ck_assert_int_eq(odin_store_list(st, drop_one, NULL), ODIN_OK);
	} else {
		snprintf(cfg.store_dir, sizeof(cfg.store_dir), "%s/s", root);
		ck_assert_int_eq(odin_store_create(&cfg), ODIN_OK);
		ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
		ck_assert_str_eq(odin_store_backend(st), "files");
	}
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

/*
 * admin import --force of the same secret again (a configuration job run
 * twice): the code already accepted stays used.  Another secret starts
 * afresh.
 */
START_TEST(import_again_keeps_used_codes)
{
	struct odin_import imp;
	struct odin_attempt a;
	char code[16];
	unsigned nb;

	enable("alice");
	oath(T0, code);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0, &a), ODIN_OK);
	enable("alice");
	ck_assert_int_eq(info("alice").last_step, T0 / 30);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0 + 5, &a), ODIN_EREPLAY);
	/* with scratch codes (a google-authenticator file): one used, the file imported again */
	memset(&imp, 0, sizeof(imp));
	ck_assert_int_eq(odin_base32_decode(KEY_B32, imp.secret, sizeof(imp.secret), &imp.secret_len), ODIN_OK);
	imp.alg = ODIN_ALG_SHA1;
	imp.digits = 6;
	imp.period = 30;
	imp.nscratch = 2;
	strcpy(imp.scratch[0], "12345678");
	strcpy(imp.scratch[1], "23456789");
	ck_assert_int_eq(odin_account_import(st, "alice", &imp, 1, T0, &nb), ODIN_OK);
	ck_assert_uint_eq(nb, 2);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "12345678", T0 + 10, &a), ODIN_OK);
	ck_assert_int_eq(a.method, ODIN_AUTH_BACKUP);
	ck_assert_int_eq(odin_account_import(st, "alice", &imp, 1, T0 + 20, &nb), ODIN_OK);
	ck_assert_uint_eq(nb, 1);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "12345678", T0 + 25, &a), ODIN_ENOMATCH);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "23456789", T0 + 25, &a), ODIN_OK);
	/* another secret: its codes, from step 0 */
	memset(&imp, 0, sizeof(imp));
	ck_assert_int_eq(odin_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", imp.secret,
	    sizeof(imp.secret), &imp.secret_len), ODIN_OK);
	imp.alg = ODIN_ALG_SHA1;
	imp.digits = 6;
	imp.period = 30;
	ck_assert_int_eq(odin_account_import(st, "alice", &imp, 1, T0, &nb), ODIN_OK);
	ck_assert_int_eq(info("alice").last_step, 0);
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
	ck_assert_int_eq(odin_account_set_pending(st, "pat", 0, T0, 0, NULL, &out), ODIN_OK);
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

	ck_assert_int_eq(odin_enroll_begin(st, &cfg, "erin", 0, NULL, T0, &en), ODIN_OK);
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

	ck_assert_int_eq(odin_account_set_pending(st, "pat", 0, T0, 0, NULL, &out), ODIN_OK);
	ck_assert_int_eq(odin_enroll_begin(st, &cfg, "pat", 0, NULL, T0, &en), ODIN_OK);
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

	ck_assert_int_eq(odin_account_set_pending(st, "pat", 0, T0, 0, NULL, &out), ODIN_OK);
	ck_assert_int_eq(odin_enroll_begin(st, &cfg, "pat", 0, NULL, T0, &en), ODIN_OK);
	ck_assert_int_eq(odin_enroll_begin(st, &cfg, "pat", 0, NULL, T0, &other), ODIN_OK);
	confirm(en, T0);
	confirm(other, T0);
	ck_assert_int_eq(odin_enroll_codes(en, &cfg, codes), ODIN_OK);
	ck_assert_int_eq(odin_enroll_codes(other, &cfg, codes), ODIN_OK);
	ck_assert_int_eq(odin_enroll_commit(st, "pat", other, T0), ODIN_OK);	/* another login won */
	ck_assert_int_eq(odin_enroll_commit(st, "pat", en, T0), ODIN_ECHANGED);
	odin_enroll_free(other);
	odin_enroll_free(en);

	/* disabled meanwhile: stays disabled */
	ck_assert_int_eq(odin_enroll_begin(st, &cfg, "pat", 0, NULL, T0, &en), ODIN_OK);
	confirm(en, T0 + 30);
	ck_assert_int_eq(odin_enroll_codes(en, &cfg, codes), ODIN_OK);
	ck_assert_int_eq(odin_account_disable(st, "pat", &unreadable), ODIN_OK);
	ck_assert_int_eq(odin_enroll_commit(st, "pat", en, T0 + 30), ODIN_ECHANGED);
	odin_enroll_free(en);
	ck_assert_int_eq(odin_account_disable(st, "pat", &unreadable), ODIN_ENOENT);
}
END_TEST

/*
 * Bypass codes on both backends: accepted like a backup code, one use
 * each, never where a lasting code is being bought; of 16 processes
 * racing with a one-use code exactly one gets in.
 */
static char race_bypass[ODIN_ONETIME_SHOWN_MAX];

static int
answer_bypass(struct odin_store *s, char unused)
{
	struct odin_attempt a;
	int rc = odin_account_verify(s, &cfg, "alice", race_bypass, T0, &a);

	(void)unused;
	/* refused: spent by another, or the record busy past the lock wait (valgrind's slow KDF) */
	return rc == ODIN_OK ? 0 : rc == ODIN_ENOMATCH || rc == ODIN_ELOCK ? 1 : 2;
}

static int race(int (*fn)(struct odin_store *, char), char code_arg);

START_TEST(bypass_codes)
{
	char shown[ODIN_ONETIME_SHOWN_MAX], code[16];
	struct odin_attempt a;
	int replaced, had;

	enable("alice");
	ck_assert_int_eq(odin_account_bypass_issue(st, "nobody", T0, 3600, 1, shown, &replaced), ODIN_ENOENT);
	ck_assert_int_eq(odin_account_bypass_issue(st, "alice", T0, 3600, 2, shown, &replaced), ODIN_OK);
	ck_assert_int_eq(replaced, 0);
	ck_assert_int_eq(info("alice").bypass_uses, 2);
	/* not where a lasting code is bought: refused, not counted, not spent */
	ck_assert_int_eq(odin_account_verify_flags(st, &cfg, "alice", shown, T0, ODIN_VERIFY_NO_BYPASS, &a),
	    ODIN_ENOMATCH);
	ck_assert_int_eq(info("alice").bypass_uses, 2);
	ck_assert_int_eq(info("alice").failures, 0);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", shown, T0, &a), ODIN_OK);
	ck_assert_int_eq(a.method, ODIN_AUTH_BYPASS);
	ck_assert_int_eq(info("alice").bypass_uses, 1);
	ck_assert_int_eq(info("alice").last_step, 0);	/* the step stays free for the app's code */
	oath(T0, code);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0, &a), ODIN_OK);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", shown, T0 + 3600, &a), ODIN_ENOMATCH);	/* expired */
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", shown, T0 + 1, &a), ODIN_OK);	/* the last use */
	ck_assert_int_eq(info("alice").bypass_uses, 0);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", shown, T0 + 2, &a), ODIN_ENOMATCH);
	ck_assert_int_eq(odin_account_bypass_revoke(st, "alice", T0, &had), ODIN_OK);
	ck_assert_int_eq(had, 0);

	/* one use, 16 racing logins: exactly one (the losers' counts kept below a lockout) */
	ck_assert_int_eq(odin_account_unlock(st, "alice", T0), ODIN_OK);
	ck_assert_int_eq(odin_account_bypass_issue(st, "alice", T0, 3600, 1, race_bypass, &replaced), ODIN_OK);
	cfg.max_failures = 100;
	ck_assert_int_eq(race(answer_bypass, 0), 1);
	cfg.max_failures = 5;
	ck_assert_int_eq(info("alice").bypass_uses, 0);
}
END_TEST

/*
 * Enrollment tokens on both backends: issued with the pending record in
 * one transaction, counted when wrong, spent when right; an enrollment
 * whose record gained a token after the front end looked is refused.
 */
START_TEST(enrollment_tokens)
{
	char shown[ODIN_ONETIME_SHOWN_MAX];
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	enum odin_pending_outcome out;
	struct odin_enrollment *en;
	struct odin_token_spent sp, saved;
	struct odin_attempt a;

	/* pending without a token; the front end looked; then an admin issues one */
	ck_assert_int_eq(odin_account_set_pending(st, "pat", 0, T0, 0, NULL, &out), ODIN_OK);
	ck_assert_int_eq(info("pat").token, ODIN_TOKEN_NONE);
	ck_assert_int_eq(odin_account_set_pending(st, "pat", 0, T0, 3600, shown, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_ALREADY);
	ck_assert_int_eq(info("pat").token, ODIN_TOKEN_ACTIVE);
	ck_assert_int_eq(odin_enroll_begin(st, &cfg, "pat", 0, NULL, T0, &en), ODIN_EPERM);
	ck_assert_ptr_null(en);
	/* wrong: counted; right: spent; then the enrollment may begin, and commit */
	ck_assert_int_eq(odin_account_token_check(st, &cfg, "pat", "abcd-efgh-jkmn-pqrs", T0, &a, &sp), ODIN_ENOMATCH);
	ck_assert_int_eq(info("pat").failures, 1);
	ck_assert_int_eq(odin_account_token_check(st, &cfg, "pat", shown, T0 + 3600, &a, &sp), ODIN_ENOMATCH);	/* expired */
	ck_assert_int_eq(odin_account_token_check(st, &cfg, "pat", shown, T0, &a, &sp), ODIN_OK);
	ck_assert_int_eq(info("pat").token, ODIN_TOKEN_SPENT);
	ck_assert_int_eq(info("pat").failures, 0);
	ck_assert_int_eq(sp.spent, 1);
	saved = sp;
	ck_assert_int_eq(odin_account_token_check(st, &cfg, "pat", shown, T0, &a, &sp), ODIN_ECHANGED);	/* once */
	ck_assert_int_eq(sp.spent, 0);
	sp = saved;
	ck_assert_int_eq(odin_enroll_begin(st, &cfg, "pat", 0, NULL, T0, &en), ODIN_EPERM);	/* not this session's */
	ck_assert_int_eq(odin_enroll_begin(st, &cfg, "pat", 0, &sp, T0, &en), ODIN_OK);
	confirm(en, T0);
	ck_assert_int_eq(odin_enroll_codes(en, &cfg, codes), ODIN_OK);
	ck_assert_int_eq(odin_enroll_commit(st, "pat", en, T0), ODIN_OK);
	odin_enroll_free(en);
	ck_assert_int_eq(info("pat").state, ODIN_STATE_ENABLED);
	ck_assert_int_eq(info("pat").token, ODIN_TOKEN_NONE);
	/* a reset with a token: one transaction; the enabled user cannot be given one without a reset */
	ck_assert_int_eq(odin_account_set_pending(st, "pat", 0, T0, 3600, shown, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_KEPT);
	ck_assert_int_eq(info("pat").state, ODIN_STATE_ENABLED);
	ck_assert_int_eq(odin_account_set_pending(st, "pat", 1, T0, 3600, shown, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_RESET);
	ck_assert_int_eq(info("pat").token, ODIN_TOKEN_ACTIVE);
	ck_assert_int_eq(odin_account_set_pending(st, "pat", 1, T0, ODIN_TOKEN_TTL_MAX + 1, shown, &out), ODIN_EINVAL);
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

	ck_assert_int_eq(odin_account_set_pending(st, "bob", 0, T0, 0, NULL, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_CREATED);
	ck_assert_int_eq(odin_account_set_pending(st, "bob", 0, T0, 0, NULL, &out), ODIN_OK);
	ck_assert_int_eq(out, ODIN_PENDING_ALREADY);
	enable("bob");
	ck_assert_int_eq(odin_account_set_pending(st, "bob", 0, T0, 0, NULL, &out), ODIN_OK);
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

	ck_assert_int_eq(odin_account_set_pending(st, "bob", 1, T0, 0, NULL, &out), ODIN_OK);
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

/* ---- the store calls under the transactions -------------------------- */

/* An enabled record with every field set away from its default. */
static void
make_record(struct odin_record *r)
{
	unsigned i;

	odin_record_init(r, T0);
	r->state = ODIN_STATE_ENABLED;
	ck_assert_int_eq(odin_base32_decode(KEY_B32, r->secret, sizeof(r->secret), &r->secret_len), ODIN_OK);
	r->alg = ODIN_ALG_SHA256;
	r->digits = 8;
	r->period = 60;
	r->last_step = 100;
	r->failures = 2;
	r->lockout_until = T0 + 5;
	r->lockout_count = 1;
	r->backup_iter = 1000;
	for (i = 0; i < ODIN_BACKUP_SALT_LEN; i++)
		r->backup_salt[i] = (uint8_t)(0xa0 + i);
	r->nbackup = 3;
	for (i = 0; i < 3; i++)
		memset(r->backup[i], 0x11 * (int)(i + 1), ODIN_BACKUP_HASH_LEN);
	r->updated = T0 + 100;
}

/* got is want, but for the generation: the store's own tag (files; 0 elsewhere). */
static void
same_record(const struct odin_record *got, const struct odin_record *want)
{
	struct odin_record w = *want;

	w.generation = got->generation;
	ck_assert_mem_eq(got, &w, sizeof(w));
	odin_record_wipe(&w);
}

static void
put(const char *user, const struct odin_record *r)
{
	struct odin_txn *t;
	struct odin_record old;
	int rc = odin_store_lock(st, user, 0, &t, &old);

	ck_assert(rc == ODIN_OK || rc == ODIN_ENOENT);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(odin_store_save(t, r, 0), ODIN_OK);
	odin_store_unlock(t);
}

START_TEST(store_round_trip)
{
	struct odin_record r, back;
	struct odin_txn *t = (struct odin_txn *)1;

	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &t, &back), ODIN_ENOENT);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(odin_store_peek(st, "alice", &back), ODIN_ENOENT);
	/* without IF_EXISTS an absent record is locked, so the caller may create it */
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &t, &back), ODIN_ENOENT);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(odin_store_delete(t), ODIN_ENOENT);
	odin_store_unlock(t);
	ck_assert_int_eq(odin_store_peek(st, "alice", &back), ODIN_ENOENT);

	make_record(&r);
	put("alice", &r);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &t, &back), ODIN_OK);
	odin_store_unlock(t);
	same_record(&back, &r);
	memset(&back, 0, sizeof(back));
	ck_assert_int_eq(odin_store_peek(st, "alice", &back), ODIN_OK);
	same_record(&back, &r);
	/* two saves in one transaction: the second one counts */
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &t, &back), ODIN_OK);
	back.last_step = 200;
	ck_assert_int_eq(odin_store_save(t, &back, 0), ODIN_OK);
	back.nbackup = 1;
	ck_assert_int_eq(odin_store_save(t, &back, 0), ODIN_OK);
	odin_store_unlock(t);
	ck_assert_int_eq(odin_store_peek(st, "alice", &back), ODIN_OK);
	ck_assert_int_eq(back.last_step, 200);
	ck_assert_uint_eq(back.nbackup, 1);
	ck_assert_mem_eq(back.backup[0], r.backup[0], ODIN_BACKUP_HASH_LEN);

	/* a pending record: no secret, no codes */
	odin_record_init(&r, T0);
	put("pend", &r);
	ck_assert_int_eq(odin_store_peek(st, "pend", &back), ODIN_OK);
	ck_assert_int_eq(back.state, ODIN_STATE_PENDING);
	ck_assert_uint_eq(back.secret_len, 0);
	same_record(&back, &r);
	odin_record_wipe(&back);
	odin_record_wipe(&r);
}
END_TEST

struct seen {
	char names[256];
	int calls, stop_at;
};

static int
collect(const char *user, void *ctx)
{
	struct seen *s = ctx;

	s->calls++;
	ck_assert_uint_lt(strlen(s->names) + strlen(user) + 2, sizeof(s->names));
	strcat(s->names, user);
	strcat(s->names, ",");
	return s->calls == s->stop_at ? 42 : 0;
}

START_TEST(store_delete_and_list)
{
	struct odin_record r;
	struct odin_txn *t;
	struct seen s;

	make_record(&r);
	put("carol", &r);
	put("alice", &r);
	put("bob", &r);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(odin_store_list(st, collect, &s), ODIN_OK);
	ck_assert_int_eq(s.calls, 3);
	ck_assert_ptr_nonnull(strstr(s.names, "alice,"));
	ck_assert_ptr_nonnull(strstr(s.names, "bob,"));
	ck_assert_ptr_nonnull(strstr(s.names, "carol,"));
	ck_assert_uint_eq(strlen(s.names), strlen("alice,bob,carol,"));
	/* a callback's non-zero value stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	ck_assert_int_eq(odin_store_list(st, collect, &s), 42);
	ck_assert_int_eq(s.calls, 2);

	ck_assert_int_eq(odin_store_lock(st, "bob", ODIN_LOCK_IF_EXISTS, &t, &r), ODIN_OK);
	ck_assert_int_eq(odin_store_delete(t), ODIN_OK);
	odin_store_unlock(t);
	ck_assert_int_eq(odin_store_peek(st, "bob", &r), ODIN_ENOENT);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(odin_store_list(st, collect, &s), ODIN_OK);
	ck_assert_int_eq(s.calls, 2);
	ck_assert_ptr_null(strstr(s.names, "bob,"));
	odin_record_wipe(&r);
}
END_TEST

/* Runs fn in NPROC processes at once, each with its own store handle; returns how many exited 0. */
static int
race(int (*fn)(struct odin_store *, char), char code_arg)
{
	pid_t pids[NPROC];
	int i, status, wins = 0, go[2];
	char ch = 0;

	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct odin_store *s;

			/* the parent's handle is left alone: closing a shared connection would end it */
			close(go[1]);
			if (odin_store_open_config(&cfg, &s) != ODIN_OK)
				_exit(2);
			if (read(go[0], &ch, 1) != 0)	/* all start when the parent closes the pipe */
				_exit(2);
			_exit(fn(s, code_arg));
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < NPROC; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) <= 1, "child %d: status %#x", i, status);
		wins += WEXITSTATUS(status) == 0;
	}
	return wins;
}

/* Each process locks, checks the step is unused, saves it: exactly one may win. */
static int
take_step_by_hand(struct odin_store *s, char unused)
{
	struct odin_txn *t;
	struct odin_record x;
	int won = 0;

	(void)unused;
	if (odin_store_lock(s, "alice", ODIN_LOCK_IF_EXISTS, &t, &x) != ODIN_OK)
		return 2;
	if (x.last_step < 101) {
		x.last_step = 101;
		won = odin_store_save(t, &x, 0) == ODIN_OK;
	}
	odin_store_unlock(t);
	return won ? 0 : 1;
}

START_TEST(one_winner_lock_save)
{
	struct odin_record r;

	make_record(&r);
	r.lockout_until = 0;
	put("alice", &r);
	ck_assert_int_eq(race(take_step_by_hand, 0), 1);
	ck_assert_int_eq(odin_store_peek(st, "alice", &r), ODIN_OK);
	ck_assert_int_eq(r.last_step, 101);
	odin_record_wipe(&r);
}
END_TEST

static char race_code[16];

/* Each process answers with the same right code: one login, the rest replays. */
static int
answer(struct odin_store *s, char unused)
{
	struct odin_attempt a;
	int rc = odin_account_verify(s, &cfg, "alice", race_code, T0, &a);

	(void)unused;
	return rc == ODIN_OK ? 0 : rc == ODIN_EREPLAY ? 1 : 2;
}

START_TEST(one_winner_verify)
{
	enable("alice");
	oath(T0, race_code);
	ck_assert_int_eq(race(answer, 0), 1);
	ck_assert_int_eq(info("alice").last_step, T0 / 30);
	ck_assert_int_eq(info("alice").failures, 0);	/* the replays were not counted */
}
END_TEST

/*
 * Another process holds alice's record (a login stuck in its transaction,
 * a database row lock): an answer is then neither judged nor counted, and
 * the outcome is a store error -- not "wrong code", not "locked out"
 * (the postgresql backend once reported a lock timeout while counting as
 * a lockout, PAM_MAXTRIES).
 */
START_TEST(busy_record_is_a_store_error)
{
	struct odin_attempt a;
	char code[16], ch;
	int hold[2], held[2], status;
	pid_t pid;

	enable("alice");
	ck_assert_int_eq(pipe(hold), 0);
	ck_assert_int_eq(pipe(held), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct odin_store *s;
		struct odin_txn *t;
		struct odin_record x;

		close(hold[1]);
		if (odin_store_open_config(&cfg, &s) != ODIN_OK ||
		    odin_store_lock(s, "alice", ODIN_LOCK_IF_EXISTS, &t, &x) != ODIN_OK)
			_exit(2);
		if (write(held[1], "x", 1) != 1)
			_exit(3);
		if (read(hold[0], &ch, 1) < 0)	/* held until the parent closes the pipe */
			_exit(4);
		odin_store_unlock(t);
		_exit(0);
	}
	close(hold[0]);
	close(held[1]);
	ck_assert_int_eq(read(held[0], &ch, 1), 1);

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "000000", T0, &a), ODIN_ELOCK);
	ck_assert_int_eq(a.locked_until, 0);
	oath(T0, code);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0, &a), ODIN_ELOCK);

	close(hold[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(info("alice").failures, 0);	/* nothing counted */
	ck_assert_int_eq(info("alice").last_step, 0);	/* nothing taken */
	/* and once it is free, the same code works */
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, T0, &a), ODIN_OK);
}
END_TEST

static Suite *
contract_suite(void)
{
	Suite *s = suite_create(on_pg ? "contract (postgresql)" : "contract (files)");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, store_round_trip);
	tcase_add_test(tc, import_again_keeps_used_codes);
	tcase_add_test(tc, store_delete_and_list);
	tcase_add_test(tc, one_winner_lock_save);
	tcase_add_test(tc, one_winner_verify);
	tcase_add_test(tc, busy_record_is_a_store_error);
	tcase_add_test(tc, verify_right_wrong_replay);
	tcase_add_test(tc, verify_locks_out_and_then_judges_nothing);
	tcase_add_test(tc, replays_never_lock_out);
	tcase_add_test(tc, verify_last_try_right);
	tcase_add_test(tc, verify_not_enabled);
	tcase_add_test(tc, enroll_absent_and_pending);
	tcase_add_test(tc, enroll_refused_when_changed);
	tcase_add_test(tc, admin_transactions);
	tcase_add_test(tc, bypass_codes);
	tcase_add_test(tc, enrollment_tokens);
	if (!on_pg)	/* a file that does not parse (check_store_pg has the tampered rows) */
		tcase_add_test(tc, disable_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *b = getenv("ODIN_TEST_BACKEND");
	SRunner *sr;
	int failed;

	if (b != NULL && strcmp(b, "postgresql") == 0) {
		if (getenv("ODIN_TEST_PG_CONNINFO") == NULL || getenv("ODIN_TEST_PG_PWFILE") == NULL ||
		    getenv("ODIN_TEST_PG_KEY") == NULL) {
			fprintf(stderr, "SKIP: no server (tests/pg/run.sh starts one)\n");
			return 77;
		}
		on_pg = 1;
	} else if (b != NULL && *b != '\0' && strcmp(b, "files") != 0) {
		fprintf(stderr, "ODIN_TEST_BACKEND=%s: files or postgresql\n", b);
		return 99;
	}
	sr = srunner_create(contract_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
