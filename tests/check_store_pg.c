/* SPDX-License-Identifier: ISC */
/*
 * The postgresql store against a real server (tests/pg/run.sh starts one
 * and sets ODIN_TEST_PG_CONNINFO, ODIN_TEST_PG_PWFILE, ODIN_TEST_PG_KEY;
 * without them this suite skips, exit 77): what only this backend has.
 * The schema made once, sealing at rest, a row copied to another user,
 * tampered rows, the single-statement operations (against odin_auth's
 * rule, and exactly one winner among 32 processes), migration both ways,
 * and a hostile PG* environment.  The contract every backend keeps
 * (round trips, one winner under the lock, every account transaction)
 * is tests/check_contract.c, which tests/pg/run.sh runs here too.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "auth.h"
#include "backup.h"
#include "base32.h"
#include "account.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "otp.h"
#include "record.h"
#include "secure.h"
#include "store.h"

#define NPROC 32

static struct odin_config cfg;
static PGconn *raw;		/* a plain connection to look at the rows */
static char tmpdir[64];

static const uint8_t secret[20] = "12345678901234567890";

static void
quiet(void *ctx, int prio, const char *msg)
{
	(void)ctx; (void)prio; (void)msg;
}

static void
sql(const char *q)
{
	PGresult *r = PQexec(raw, q);

	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
	    "%s: %s", q, PQerrorMessage(raw));
	PQclear(r);
}

/* The single value of a query, into out. */
static void
sql1(const char *q, char *out, size_t outsz)
{
	PGresult *r = PQexec(raw, q);

	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", q,
	    PQerrorMessage(raw));
	snprintf(out, outsz, "%s", PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void
setup(void)
{
	char pw[128] = "", ci[1200];
	FILE *f;
	struct odin_store *st;

	odin_log_set_sink(quiet, NULL);
	odin_config_defaults(&cfg);
	ck_assert_int_eq(odin_config_set(&cfg, "backend", "postgresql"), ODIN_OK);
	ck_assert_int_eq(odin_config_set(&cfg, "pg_conninfo", getenv("ODIN_TEST_PG_CONNINFO")), ODIN_OK);
	ck_assert_int_eq(odin_config_set(&cfg, "pg_password_file", getenv("ODIN_TEST_PG_PWFILE")), ODIN_OK);
	ck_assert_int_eq(odin_config_set(&cfg, "secret_key_file", getenv("ODIN_TEST_PG_KEY")), ODIN_OK);
	ck_assert_int_eq(odin_config_set(&cfg, "pg_statement_timeout", "3"), ODIN_OK);
	ck_assert_int_eq(odin_config_set(&cfg, "pg_plugin", TESTS_PG_PLUGIN), ODIN_OK);
	f = fopen(getenv("ODIN_TEST_PG_PWFILE"), "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(pw, sizeof(pw), f));
	fclose(f);
	pw[strcspn(pw, "\n")] = '\0';
	snprintf(ci, sizeof(ci), "%s password=%s", getenv("ODIN_TEST_PG_CONNINFO"), pw);
	raw = PQconnectdb(ci);
	ck_assert_int_eq(PQstatus(raw), CONNECTION_OK);
	sql("SET client_min_messages = warning");
	sql("DROP TABLE IF EXISTS backup_codes, users, odin_schema");
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
	ck_assert_str_eq(odin_store_backend(st), "postgresql");
	ck_assert_int_eq(odin_store_init(st), ODIN_OK);
	odin_store_close(st);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/odin-pg-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];

	PQfinish(raw);
	raw = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static struct odin_store *
open_pg(void)
{
	struct odin_store *st = NULL;

	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
	return st;
}

/* An enabled record with a secret, last_step 100 and three backup hashes. */
static void
make_record(struct odin_record *r)
{
	unsigned i;

	odin_record_init(r, 1700000000);
	r->state = ODIN_STATE_ENABLED;
	memcpy(r->secret, secret, sizeof(secret));
	r->secret_len = sizeof(secret);
	r->alg = ODIN_ALG_SHA256;
	r->digits = 8;
	r->period = 60;
	r->last_step = 100;
	r->failures = 2;
	r->lockout_until = 0;
	r->lockout_count = 1;
	r->backup_iter = 1000;
	for (i = 0; i < ODIN_BACKUP_SALT_LEN; i++)
		r->backup_salt[i] = (uint8_t)(0xa0 + i);
	r->nbackup = 3;
	for (i = 0; i < 3; i++)
		memset(r->backup[i], 0x11 * (int)(i + 1), ODIN_BACKUP_HASH_LEN);
	r->updated = 1700000100;
}

static void
put(struct odin_store *st, const char *user, const struct odin_record *r)
{
	struct odin_txn *t;
	struct odin_record old;
	int rc = odin_store_lock(st, user, 0, &t, &old);

	ck_assert(rc == ODIN_OK || rc == ODIN_ENOENT);
	ck_assert_int_eq(odin_store_save(t, r, 0), ODIN_OK);
	odin_store_unlock(t);
}

static void
get(struct odin_store *st, const char *user, struct odin_record *r, int want)
{
	struct odin_txn *t = NULL;

	ck_assert_int_eq(odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &t, r), want);
	odin_store_unlock(t);
}

/* The row read back (into *R), with its last step and failure count (a macro: the failing line is the caller's). */
#define GET_STATE(ST, USER, R, LAST_STEP, FAILURES) do { \
	get((ST), (USER), (R), ODIN_OK); \
	ck_assert_int_eq((R)->last_step, (LAST_STEP)); \
	ck_assert_uint_eq((R)->failures, (FAILURES)); \
} while (0)

START_TEST(init_twice)
{
	struct odin_store *st = open_pg();
	char v[16];

	ck_assert_int_eq(odin_store_init(st), ODIN_OK);
	sql1("SELECT count(*) FROM odin_schema", v, sizeof(v));
	ck_assert_str_eq(v, "1");
	sql1("SELECT version FROM odin_schema", v, sizeof(v));
	ck_assert_str_eq(v, "4");
	odin_store_close(st);
}
END_TEST

/*
 * A database made by version 1 (user names [A-Za-z0-9_][A-Za-z0-9._-]{0,31}):
 * a directory name is refused with a message that names db-init, and
 * db-init upgrades it in place, rows kept.
 */
START_TEST(upgrade_from_v1)
{
	struct odin_store *st;
	struct odin_record r, back;
	struct odin_txn *t;
	char v[16];

	sql("DROP TABLE IF EXISTS backup_codes, users, odin_schema");
	st = open_pg();
	ck_assert_int_eq(odin_store_init(st), ODIN_OK);
	sql("ALTER TABLE users DROP CONSTRAINT users_user_name_check");
	sql("ALTER TABLE users ADD CONSTRAINT users_user_name_check"
	    " CHECK (user_name ~ '^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$')");
	sql("UPDATE odin_schema SET version = 1");
	make_record(&r);
	put(st, "alice", &r);
	ck_assert_int_eq(odin_store_lock(st, "alice@corp.example", 0, &t, &back), ODIN_ENOENT);
	ck_assert_int_eq(odin_store_save(t, &r, 0), ODIN_EBADNAME);
	odin_store_unlock(t);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "admin db-init"));
	ck_assert_int_eq(odin_store_init(st), ODIN_OK);
	sql1("SELECT version FROM odin_schema", v, sizeof(v));
	ck_assert_str_eq(v, "4");
	put(st, "alice@corp.example", &r);
	put(st, "CORP\\jdoe", &r);
	get(st, "alice@corp.example", &back, ODIN_OK);
	get(st, "alice", &back, ODIN_OK);
	ck_assert_mem_eq(&back, &r, sizeof(r));
	/* the database keeps the name rule too */
	ck_assert_int_ne(PQresultStatus(PQexec(raw, "INSERT INTO users (user_name, mfa_enabled, pending,"
	    " algorithm, digits, period, created, updated) VALUES ('a b', false, true, 'SHA1', 6, 30, 0, 0)")),
	    PGRES_COMMAND_OK);
	odin_store_close(st);
}
END_TEST

/*
 * A database made by version 2 (no bypass codes, no enrollment tokens): a
 * record is refused with a message that names db-init, and db-init adds
 * the two columns in place, rows kept; the database checks their form.
 */
START_TEST(upgrade_from_v2)
{
	struct odin_store *st;
	struct odin_record r, back;
	struct odin_txn *t;
	char v[16], line[256];

	sql("DROP TABLE IF EXISTS backup_codes, users, odin_schema");
	st = open_pg();
	ck_assert_int_eq(odin_store_init(st), ODIN_OK);
	sql("ALTER TABLE users DROP COLUMN bypass, DROP COLUMN enroll_token");
	sql("UPDATE odin_schema SET version = 2");
	make_record(&r);
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &t, &back), ODIN_EIO);
	odin_store_unlock(t);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "admin db-init"));
	ck_assert_int_eq(odin_store_init(st), ODIN_OK);
	sql1("SELECT version FROM odin_schema", v, sizeof(v));
	ck_assert_str_eq(v, "4");
	r.bypass_uses = 2;
	r.bypass_issued = 1700000000;
	r.bypass_expires = 1700003600;
	memset(r.bypass.salt, 0x5a, sizeof(r.bypass.salt));
	memset(r.bypass.hash, 0xa5, sizeof(r.bypass.hash));
	put(st, "alice", &r);
	get(st, "alice", &back, ODIN_OK);
	ck_assert_mem_eq(&back, &r, sizeof(r));
	sql1("SELECT bypass FROM users WHERE user_name = 'alice'", line, sizeof(line));
	ck_assert_str_eq(line, "2 1700003600 1700000000 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a "
	    "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5");	/* the record's line */
	ck_assert_int_ne(PQresultStatus(PQexec(raw, "UPDATE users SET bypass = '0 1 1 00 00'")),
	    PGRES_COMMAND_OK);
	ck_assert_int_ne(PQresultStatus(PQexec(raw, "UPDATE users SET enroll_token = 'used 5'")),
	    PGRES_COMMAND_OK);
	/* an older host's whole-row write cannot keep a bypass code on a pending row, or a token on an enabled one */
	ck_assert_int_ne(PQresultStatus(PQexec(raw, "UPDATE users SET mfa_enabled = false, pending = true,"
	    " mfa_secret = NULL WHERE user_name = 'alice'")), PGRES_COMMAND_OK);
	ck_assert_int_ne(PQresultStatus(PQexec(raw, "UPDATE users SET enroll_token = 'spent 5'"
	    " WHERE user_name = 'alice'")), PGRES_COMMAND_OK);
	odin_store_close(st);
}
END_TEST

/* A name that is not UTF-8 is refused before it reaches the server. */
START_TEST(name_not_utf8)
{
	struct odin_store *st = open_pg();
	struct odin_record back;
	struct odin_txn *t = NULL;

	ck_assert_int_eq(odin_store_lock(st, "q\xff", ODIN_LOCK_IF_EXISTS, &t, &back), ODIN_EBADNAME);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "not UTF-8"));
	ck_assert_int_eq(odin_store_lock(st, "jos\xc3\xa9", ODIN_LOCK_IF_EXISTS, &t, &back), ODIN_ENOENT);
	odin_store_close(st);
}
END_TEST

START_TEST(sealed_at_rest)
{
	struct odin_store *st = open_pg();
	struct odin_record r;
	char v[512], b32[64], q[256];

	make_record(&r);
	put(st, "alice", &r);
	sql1("SELECT mfa_secret FROM users WHERE user_name = 'alice'", v, sizeof(v));
	ck_assert_int_eq(strncmp(v, "enc1:", 5), 0);
	ck_assert_int_eq(odin_base32_encode(secret, sizeof(secret), b32, sizeof(b32)), ODIN_OK);
	snprintf(q, sizeof(q), "SELECT count(*) FROM users WHERE mfa_secret LIKE '%%%s%%'"
	    " OR mfa_secret LIKE '%%3132333435%%'", b32);
	sql1(q, v, sizeof(v));
	ck_assert_str_eq(v, "0");
	sql1("SELECT mfa_enabled::text || pending::text || algorithm || digits || period || last_step"
	    " FROM users WHERE user_name = 'alice'", v, sizeof(v));
	ck_assert_str_eq(v, "truefalseSHA256860100");
	sql1("SELECT string_agg(idx || ':' || substr(encode(hash, 'hex'), 1, 4), ',' ORDER BY idx)"
	    " FROM backup_codes WHERE user_name = 'alice'", v, sizeof(v));
	ck_assert_str_eq(v, "1:1111,2:2222,3:3333");
	odin_store_close(st);
}
END_TEST

START_TEST(row_copied_to_other_user)
{
	struct odin_store *st = open_pg();
	struct odin_record r, back;

	make_record(&r);
	put(st, "alice", &r);
	r.last_step = 5;
	put(st, "bob", &r);
	sql("UPDATE users SET mfa_secret = (SELECT mfa_secret FROM users WHERE user_name = 'alice')"
	    " WHERE user_name = 'bob'");
	get(st, "bob", &back, ODIN_ECRYPTO);
	get(st, "alice", &back, ODIN_OK);
	odin_store_close(st);
}
END_TEST

START_TEST(tampered_rows_refused)
{
	struct odin_store *st = open_pg();
	struct odin_record r, back;

	make_record(&r);
	put(st, "alice", &r);
	/* the secret in clear: refused even though it would parse */
	sql("ALTER TABLE users DROP CONSTRAINT users_mfa_secret_check");
	sql("UPDATE users SET mfa_secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' WHERE user_name = 'alice'");
	get(st, "alice", &back, ODIN_ECORRUPT);
	sql("DELETE FROM users WHERE user_name = 'alice'");
	put(st, "alice", &r);
	/* a line break smuggled into a value must not add a record line */
	sql("ALTER TABLE users DROP CONSTRAINT users_algorithm_check");
	sql("UPDATE users SET algorithm = E'SHA1\\nbackup 00' WHERE user_name = 'alice'");
	get(st, "alice", &back, ODIN_ECORRUPT);
	sql("DELETE FROM users WHERE user_name = 'alice'");
	put(st, "alice", &r);
	sql("UPDATE users SET digits = 99 WHERE user_name = 'alice'");
	get(st, "alice", &back, ODIN_ECORRUPT);
	sql("DELETE FROM users WHERE user_name = 'alice'");
	put(st, "alice", &r);
	sql("UPDATE backup_codes SET hash = '\\x00' WHERE user_name = 'alice' AND idx = 2");
	get(st, "alice", &back, ODIN_ECORRUPT);
	odin_store_close(st);
}
END_TEST

START_TEST(delete_removes_codes)
{
	struct odin_store *st = open_pg();
	struct odin_record r, back;
	struct odin_txn *t;
	char v[16];

	make_record(&r);
	put(st, "alice", &r);
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &t, &back), ODIN_OK);
	ck_assert_int_eq(odin_store_delete(t), ODIN_OK);
	odin_store_unlock(t);
	get(st, "alice", &back, ODIN_ENOENT);
	sql1("SELECT count(*) FROM backup_codes", v, sizeof(v));
	ck_assert_str_eq(v, "0");
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &t, &back), ODIN_ENOENT);
	ck_assert_int_eq(odin_store_delete(t), ODIN_ENOENT);
	odin_store_unlock(t);
	odin_store_close(st);
}
END_TEST

/*
 * A login's two calls: odin_store_snapshot (what the answer is judged on),
 * then odin_store_settle, held to that snapshot.  No record: the
 * snapshot's ODIN_ENOENT.
 */
static int
snap_settle(struct odin_store *st, const char *user, int64_t now,
    const struct odin_lockout_policy *pol, const struct odin_answer *a, int64_t *until)
{
	struct odin_record r;
	int rc = odin_store_snapshot(st, user, 0, &r);

	odin_record_wipe(&r);
	if (rc != ODIN_OK)
		return rc;
	return odin_store_settle(st, user, now, pol, a, until);
}

/* odin_store_settle() with a policy that never locks, for the cases below. */
static const struct odin_lockout_policy lax = { 1000, 10, 10 };

static int
settle_step(struct odin_store *st, const char *user, int right, int64_t step, int64_t now)
{
	struct odin_answer a = { right, step, NULL };

	return snap_settle(st, user, now, &lax, &a, NULL);
}

START_TEST(settle_step_once)
{
	struct odin_store *st = open_pg();
	struct odin_record r, back;

	make_record(&r);
	r.failures = 3;
	r.lockout_count = 2;
	put(st, "alice", &r);
	ck_assert(odin_store_has_atomic(st));
	ck_assert_int_eq(settle_step(st, "alice", 1, 101, 1700000200), ODIN_OK);
	ck_assert_int_eq(settle_step(st, "alice", 1, 101, 1700000200), ODIN_EREPLAY);
	ck_assert_int_eq(settle_step(st, "alice", 1, 100, 1700000200), ODIN_EREPLAY);
	ck_assert_int_eq(settle_step(st, "nobody", 1, 500, 1700000200), ODIN_ENOENT);
	GET_STATE(st, "alice", &back, 101, 0);
	ck_assert_uint_eq(back.lockout_count, 0);
	ck_assert_int_eq(back.updated, 1700000200);
	/* a wrong answer is counted and moves nothing else */
	ck_assert_int_eq(settle_step(st, "alice", 0, 0, 1700000250), ODIN_ENOMATCH);
	GET_STATE(st, "alice", &back, 101, 1);
	ck_assert_int_eq(settle_step(st, "alice", 1, 105, 1700000300), ODIN_OK);
	/* locked out: not even a fresh step is taken, nothing counted */
	back.lockout_until = 1700009999;
	back.last_step = 105;
	back.failures = 0;
	put(st, "alice", &back);
	ck_assert_int_eq(settle_step(st, "alice", 1, 106, 1700000400), ODIN_ELOCKEDOUT);
	ck_assert_int_eq(settle_step(st, "alice", 0, 0, 1700000400), ODIN_ELOCKEDOUT);
	GET_STATE(st, "alice", &back, 105, 0);
	ck_assert_int_eq(back.lockout_until, 1700009999);
	/* a right answer on what would be the last try: accepted, nothing locked */
	back.lockout_until = 0;
	back.failures = 2;
	put(st, "alice", &back);
	{
		struct odin_lockout_policy three = { 3, 60, 600 };
		struct odin_answer a = { 1, 107, NULL };
		int64_t until = -1;

		ck_assert_int_eq(snap_settle(st, "alice", 1700000500, &three, &a, &until), ODIN_OK);
		ck_assert_int_eq(until, 0);
	}
	get(st, "alice", &back, ODIN_OK);
	ck_assert_int_eq(back.lockout_until, 0);
	ck_assert_uint_eq(back.failures, 0);
	ck_assert_int_eq(back.last_step, 107);
	odin_store_close(st);
}
END_TEST

/* A settle is held to the snapshot it was judged on; without one it refuses. */
START_TEST(settle_held_to_snapshot)
{
	struct odin_store *st = open_pg(), *admin = open_pg();
	struct odin_record r, snap, back;
	struct odin_answer right = { 1, 101, NULL };
	char v[64];

	make_record(&r);
	put(st, "alice", &r);
	/* no snapshot, or another user's: refused, nothing counted */
	ck_assert_int_eq(odin_store_settle(st, "alice", 1700000200, &lax, &right, NULL), ODIN_EINVAL);
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	ck_assert_int_eq(odin_store_settle(st, "bob", 1700000200, &lax, &right, NULL), ODIN_EINVAL);
	GET_STATE(st, "alice", &back, 100, 2);

	/* re-enrolled (a new secret) between the snapshot and the settle: nothing taken or counted */
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	r.secret[0] ^= 1;
	put(admin, "alice", &r);
	ck_assert_int_eq(odin_store_settle(st, "alice", 1700000200, &lax, &right, NULL), ODIN_ENOENT);
	GET_STATE(st, "alice", &back, 100, 2);
	ck_assert_int_eq(back.secret[0], r.secret[0]);

	/* only the digits changed (the sealed secret as it was): the same */
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	sql1("UPDATE users SET digits = 6 WHERE user_name = 'alice' RETURNING 1", v, sizeof(v));
	ck_assert_int_eq(odin_store_settle(st, "alice", 1700000200, &lax, &right, NULL), ODIN_ENOENT);
	/* the algorithm, or the period, changed: the same */
	sql1("UPDATE users SET digits = 8, algorithm = 'SHA1' WHERE user_name = 'alice' RETURNING 1",
	    v, sizeof(v));
	ck_assert_int_eq(odin_store_settle(st, "alice", 1700000200, &lax, &right, NULL), ODIN_EINVAL);
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	sql1("UPDATE users SET algorithm = 'SHA256' WHERE user_name = 'alice' RETURNING 1", v, sizeof(v));
	ck_assert_int_eq(odin_store_settle(st, "alice", 1700000200, &lax, &right, NULL), ODIN_ENOENT);
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	sql1("UPDATE users SET period = 30 WHERE user_name = 'alice' RETURNING 1", v, sizeof(v));
	ck_assert_int_eq(odin_store_settle(st, "alice", 1700000200, &lax, &right, NULL), ODIN_ENOENT);
	sql1("UPDATE users SET digits = 6, period = 60 WHERE user_name = 'alice' RETURNING 1",
	    v, sizeof(v));
	GET_STATE(st, "alice", &back, 100, 2);
	/* ... and a new snapshot sees the change and settles */
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	ck_assert_uint_eq(snap.digits, 6);
	ck_assert_int_eq(odin_store_settle(st, "alice", 1700000200, &lax, &right, NULL), ODIN_OK);
	GET_STATE(st, "alice", &back, 101, 0);
	odin_record_wipe(&snap);
	odin_store_close(admin);
	odin_store_close(st);
}
END_TEST

/*
 * The snapshot is the read before the prompt (a login reads its row
 * once): a step another host took since is the row's, and refused.  A
 * peek (the CLI's) is not kept.
 */
START_TEST(snapshot_is_the_read_before_the_prompt)
{
	struct odin_store *st = open_pg(), *other = open_pg();
	struct odin_record r, snap, back;
	struct odin_answer right = { 1, 150, NULL };
	char v[64];

	make_record(&r);
	put(st, "alice", &r);
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	ck_assert_int_eq(snap.last_step, 100);
	sql1("UPDATE users SET last_step = 200, failures = 0 WHERE user_name = 'alice' RETURNING 1",
	    v, sizeof(v));
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	ck_assert_int_eq(snap.last_step, 100);		/* not read again */
	ck_assert_int_eq(odin_store_settle(st, "alice", 1700000200, &lax, &right, NULL), ODIN_EREPLAY);
	GET_STATE(other, "alice", &back, 200, 0);
	/* the settle used it up: the next snapshot reads the row */
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	ck_assert_int_eq(snap.last_step, 200);
	/* a peek keeps nothing: after one, a snapshot reads the row */
	ck_assert_int_eq(odin_store_peek(st, "alice", &snap), ODIN_OK);
	sql1("UPDATE users SET last_step = 210 WHERE user_name = 'alice' RETURNING 1", v, sizeof(v));
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	ck_assert_int_eq(snap.last_step, 210);
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 2, &snap), ODIN_EINVAL);	/* unknown flag */
	odin_record_wipe(&snap);
	odin_store_close(other);
	odin_store_close(st);
}
END_TEST

/*
 * The read before the prompt leaves out the second table; a backup or
 * bypass code is judged on a fresh, whole read (ODIN_SNAP_FRESH).
 */
START_TEST(snapshot_backup_codes_on_demand)
{
	struct odin_store *st = open_pg();
	struct odin_record r, snap;
	char v[64];

	make_record(&r);
	put(st, "alice", &r);
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	ck_assert_uint_eq(snap.nbackup, 0);
	ck_assert_int_eq(snap.last_step, 100);
	sql1("UPDATE users SET last_step = 120 WHERE user_name = 'alice' RETURNING 1", v, sizeof(v));
	ck_assert_int_eq(odin_store_snapshot(st, "alice", ODIN_SNAP_FRESH, &snap), ODIN_OK);
	ck_assert_uint_eq(snap.nbackup, 3);
	ck_assert_mem_eq(snap.backup[2], r.backup[2], ODIN_BACKUP_HASH_LEN);
	ck_assert_int_eq(snap.last_step, 120);
	/* that one is kept */
	sql1("UPDATE users SET last_step = 130 WHERE user_name = 'alice' RETURNING 1", v, sizeof(v));
	ck_assert_int_eq(odin_store_snapshot(st, "alice", 0, &snap), ODIN_OK);
	ck_assert_uint_eq(snap.nbackup, 3);
	ck_assert_int_eq(snap.last_step, 120);
	/* odin_store_peek is whole */
	ck_assert_int_eq(odin_store_peek(st, "alice", &snap), ODIN_OK);
	ck_assert_uint_eq(snap.nbackup, 3);
	odin_record_wipe(&snap);
	odin_store_close(st);
}
END_TEST

/* A TOTP code of make_record's secret at now. */
static void
make_code(int64_t now, char out[16])
{
	ck_assert_int_eq(odin_totp_code(ODIN_ALG_SHA256, secret, sizeof(secret), 8, 60, now,
	    out, 16), ODIN_OK);
}

/*
 * A login through the account layer, its first read before the prompt
 * (odin_account_login_info), the helpdesk at work while the person types:
 * a bypass code issued meanwhile is accepted, as a backup code is, and a
 * TOTP code still settles (the secret's seal is kept by such a save).
 */
START_TEST(login_while_the_helpdesk_works)
{
	struct odin_store *st = open_pg(), *admin = open_pg();
	struct odin_account_info info;
	struct odin_attempt a;
	struct odin_record r, back;
	char shown[ODIN_ONETIME_SHOWN_MAX], code[16], before[600], after[600];
	uint8_t h[ODIN_BACKUP_HASH_LEN];
	int64_t now = 1700000000;
	int replaced = 0;

	make_record(&r);
	r.last_step = 0;
	r.failures = 0;
	ck_assert_int_eq(odin_backup_hash(&r, "abcde12345", h), ODIN_OK);
	memcpy(r.backup[1], h, sizeof(h));
	put(st, "alice", &r);

	/* a backup code, with nothing read but the row before the prompt */
	ck_assert_int_eq(odin_account_login_info(st, "alice", &info), ODIN_OK);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", "abcde12345", now, &a), ODIN_OK);
	get(admin, "alice", &back, ODIN_OK);
	ck_assert_uint_eq(back.nbackup, 2);

	/* a bypass code the helpdesk issues while the person types */
	ck_assert_int_eq(odin_account_login_info(st, "alice", &info), ODIN_OK);
	ck_assert_uint_eq(info.bypass_uses, 0);
	sql1("SELECT mfa_secret FROM users WHERE user_name = 'alice'", before, sizeof(before));
	ck_assert_int_eq(odin_account_bypass_issue(admin, "alice", now, 3600, 1, shown, &replaced),
	    ODIN_OK);
	sql1("SELECT mfa_secret FROM users WHERE user_name = 'alice'", after, sizeof(after));
	ck_assert_str_eq(before, after);	/* the seal kept: the same secret */
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", shown, now + 5, &a), ODIN_OK);

	/* a TOTP code, new backup codes issued while the person types */
	ck_assert_int_eq(odin_account_login_info(st, "alice", &info), ODIN_OK);
	{
		struct odin_backup_code codes[ODIN_BACKUP_MAX];

		ck_assert_int_eq(odin_account_new_backup_codes(admin, &cfg, "alice", now + 10, codes),
		    ODIN_OK);
		odin_wipe(codes, sizeof(codes));
	}
	make_code(now + 60, code);
	ck_assert_int_eq(odin_account_verify(st, &cfg, "alice", code, now + 60, &a), ODIN_OK);
	odin_wipe(shown, sizeof(shown));
	odin_store_close(admin);
	odin_store_close(st);
}
END_TEST

/*
 * A save that keeps the secret keeps its seal; one that changes it seals
 * the new one, and a second save on the same lock keeps that new seal.
 */
START_TEST(seal_kept_only_for_the_same_secret)
{
	struct odin_store *st = open_pg();
	struct odin_record r, back;
	struct odin_txn *t;
	char s0[600], s1[600], s2[600];

	make_record(&r);
	put(st, "alice", &r);
	sql1("SELECT mfa_secret FROM users WHERE user_name = 'alice'", s0, sizeof(s0));
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &t, &back), ODIN_OK);
	back.secret[0] ^= 0x5a;				/* a new secret */
	ck_assert_int_eq(odin_store_save(t, &back, 0), ODIN_OK);
	sql1("SELECT mfa_secret FROM users WHERE user_name = 'alice'", s1, sizeof(s1));
	ck_assert_str_ne(s0, s1);
	back.backup_salt[0] ^= 1;			/* then, on the same lock, new backup codes */
	back.nbackup = 1;
	ck_assert_int_eq(odin_store_save(t, &back, 0), ODIN_OK);
	sql1("SELECT mfa_secret FROM users WHERE user_name = 'alice'", s2, sizeof(s2));
	ck_assert_str_eq(s1, s2);
	odin_store_unlock(t);
	get(st, "alice", &r, ODIN_OK);
	ck_assert_mem_eq(r.secret, back.secret, back.secret_len);
	ck_assert_uint_eq(r.nbackup, 1);
	odin_record_wipe(&r);
	odin_record_wipe(&back);
	odin_store_close(st);
}
END_TEST

/* User names longer than 32 bytes (a domain's) are names of their own. */
START_TEST(long_names_are_their_own)
{
	struct odin_store *st = open_pg();
	struct odin_record r, back;
	struct odin_txn *t;
	char longer[256], prefix[33];
	int i;

	for (i = 0; i < 32; i++)
		prefix[i] = (char)('a' + i % 26);
	prefix[32] = '\0';
	snprintf(longer, sizeof(longer), "%s.firstname.lastname@corp.example.com", prefix);
	make_record(&r);
	put(st, prefix, &r);
	r.last_step = 4242;
	put(st, longer, &r);
	get(st, prefix, &back, ODIN_OK);
	ck_assert_int_eq(back.last_step, 100);
	get(st, longer, &back, ODIN_OK);
	ck_assert_int_eq(back.last_step, 4242);
	ck_assert_int_eq(odin_store_lock(st, longer, 0, &t, &back), ODIN_OK);
	ck_assert_int_eq(odin_store_delete(t), ODIN_OK);
	odin_store_unlock(t);
	get(st, longer, &back, ODIN_ENOENT);
	get(st, prefix, &back, ODIN_OK);
	ck_assert_int_eq(back.last_step, 100);
	/* 255 bytes, the longest name there is */
	memset(longer, 'z', 255);
	longer[255] = '\0';
	put(st, longer, &r);
	get(st, longer, &back, ODIN_OK);
	ck_assert_int_eq(back.last_step, 4242);
	odin_record_wipe(&back);
	odin_store_close(st);
}
END_TEST

START_TEST(settle_backup_once)
{
	static const uint8_t zeros[ODIN_BACKUP_HASH_LEN];
	struct odin_store *st = open_pg();
	struct odin_record r, back;
	uint8_t h[ODIN_BACKUP_HASH_LEN];
	struct odin_answer right = { 1, 0, NULL }, wrong = { 0, 0, zeros };

	make_record(&r);
	r.failures = 1;
	ck_assert_int_eq(odin_backup_hash(&r, "abcde12345", h), ODIN_OK);
	memcpy(r.backup[1], h, sizeof(h));
	put(st, "alice", &r);
	right.backup_hash = h;
	/* a wrong backup code deletes nothing, even one whose hash is stored */
	wrong.backup_hash = h;
	ck_assert_int_eq(snap_settle(st, "alice", 1700000400, &lax, &wrong, NULL), ODIN_ENOMATCH);
	get(st, "alice", &back, ODIN_OK);
	ck_assert_uint_eq(back.nbackup, 3);
	ck_assert_uint_eq(back.failures, 2);
	ck_assert_int_eq(snap_settle(st, "alice", 1700000500, &lax, &right, NULL), ODIN_OK);
	/* used: the same code again is counted */
	ck_assert_int_eq(snap_settle(st, "alice", 1700000500, &lax, &right, NULL), ODIN_ENOMATCH);
	ck_assert_int_eq(snap_settle(st, "bob", 1700000500, &lax, &right, NULL), ODIN_ENOENT);
	get(st, "alice", &back, ODIN_OK);
	ck_assert_uint_eq(back.nbackup, 2);
	ck_assert_mem_eq(back.backup[0], r.backup[0], ODIN_BACKUP_HASH_LEN);
	ck_assert_mem_eq(back.backup[1], r.backup[2], ODIN_BACKUP_HASH_LEN);
	ck_assert_uint_eq(back.failures, 1);
	ck_assert_int_eq(back.last_step, r.last_step);
	ck_assert_int_eq(back.updated, 1700000500);
	odin_store_close(st);
}
END_TEST

START_TEST(settle_counts_and_locks)
{
	struct odin_store *st = open_pg();
	struct odin_lockout_policy pol = { 3, 10, 25 };
	struct odin_answer wrong = { 0, 0, NULL };
	struct odin_record r, back;
	int64_t until = -1;
	int i;

	make_record(&r);
	r.failures = 0;
	r.lockout_count = 0;
	put(st, "alice", &r);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(snap_settle(st, "alice", 1000, &pol, &wrong, &until), ODIN_ENOMATCH);
		ck_assert_int_eq(until, 0);
	}
	ck_assert_int_eq(snap_settle(st, "alice", 1000, &pol, &wrong, &until), ODIN_ENOMATCH);
	ck_assert_int_eq(until, 1010);
	get(st, "alice", &back, ODIN_OK);
	ck_assert_uint_eq(back.failures, 0);
	ck_assert_uint_eq(back.lockout_count, 1);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(snap_settle(st, "alice", 2000, &pol, &wrong, &until), ODIN_ENOMATCH);
	ck_assert_int_eq(until, 2020);	/* doubled */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(snap_settle(st, "alice", 3000, &pol, &wrong, &until), ODIN_ENOMATCH);
	ck_assert_int_eq(until, 3025);	/* capped */
	ck_assert_int_eq(snap_settle(st, "nobody", 3000, &pol, &wrong, &until), ODIN_ENOENT);
	/* with a step: counted only while that step is unused (last_step is 100) */
	wrong.step = 101;
	ck_assert_int_eq(snap_settle(st, "alice", 4000, &pol, &wrong, &until), ODIN_ENOMATCH);
	ck_assert_int_eq(until, 3025);
	get(st, "alice", &back, ODIN_OK);
	ck_assert_uint_eq(back.failures, 1);
	wrong.step = 100;
	ck_assert_int_eq(snap_settle(st, "alice", 4000, &pol, &wrong, &until), ODIN_EREPLAY);
	wrong.step = 99;
	ck_assert_int_eq(snap_settle(st, "alice", 4000, &pol, &wrong, &until), ODIN_EREPLAY);
	get(st, "alice", &back, ODIN_OK);
	ck_assert_uint_eq(back.failures, 1);	/* the replays were not counted */
	ck_assert_int_eq(back.last_step, 100);
	odin_store_close(st);
}
END_TEST

/*
 * The store's failure count follows odin_auth_fail() exactly (the oracle:
 * the files path's rule), policies with a cap below the base included;
 * while locked out nothing is counted (ODIN_ELOCKEDOUT), as under the lock.
 */
START_TEST(settle_matches_auth)
{
	static const struct odin_lockout_policy pols[] = {
		{ 3, 10, 25 }, { 2, 60, 30 }, { 1, 1, 604800 }, { 5, 300, 86400 },
	};
	struct odin_store *st = open_pg();
	struct odin_record r, mem, back;
	struct odin_config c;
	struct odin_auth_result res;
	struct odin_answer wrong = { 0, 0, NULL };
	int64_t now, until;
	unsigned p, i;
	int rc;

	for (p = 0; p < sizeof(pols) / sizeof(pols[0]); p++) {
		odin_config_defaults(&c);
		c.max_failures = pols[p].max_failures;
		c.lockout_seconds = pols[p].lockout_seconds;
		c.lockout_max_seconds = pols[p].lockout_max_seconds;
		make_record(&r);
		r.failures = 0;
		r.lockout_until = 0;
		r.lockout_count = 0;
		put(st, "alice", &r);
		mem = r;
		now = 1000000;
		for (i = 0; i < 40; i++) {
			memset(&res, 0, sizeof(res));
			if (odin_auth_lockout_left(&mem, now) > 0) {
				rc = snap_settle(st, "alice", now, &pols[p], &wrong, &until);
				ck_assert_int_eq(rc, ODIN_ELOCKEDOUT);
				ck_assert_int_eq(until, mem.lockout_until);
				now = mem.lockout_until;	/* wait it out */
				continue;
			}
			odin_auth_fail(&c, &mem, now, &res);
			ck_assert_int_eq(snap_settle(st, "alice", now, &pols[p], &wrong, &until), ODIN_ENOMATCH);
			ck_assert_int_eq(until, mem.lockout_until);
			get(st, "alice", &back, ODIN_OK);
			ck_assert_uint_eq(back.failures, mem.failures);
			ck_assert_uint_eq(back.lockout_count, mem.lockout_count);
			ck_assert_int_eq(back.lockout_until, mem.lockout_until);
			odin_record_wipe(&back);
			now += 7;
		}
		ck_assert_uint_gt(mem.lockout_count, 2);
		odin_record_wipe(&mem);
		odin_record_wipe(&r);
	}
	/* a record that is not enabled is not counted */
	make_record(&r);
	r.state = ODIN_STATE_PENDING;
	r.secret_len = 0;
	r.last_step = 0;
	r.failures = 0;
	r.lockout_count = 0;
	r.backup_iter = 0;
	r.nbackup = 0;
	put(st, "bob", &r);
	ck_assert_int_eq(snap_settle(st, "bob", 5, &pols[0], &wrong, &until), ODIN_ENOENT);
	odin_record_wipe(&r);
	odin_store_close(st);
}
END_TEST

START_TEST(one_winner_settle)
{
	struct odin_store *st = open_pg();
	struct odin_record r;
	pid_t pids[NPROC];
	int i, status, wins = 0;

	make_record(&r);
	put(st, "alice", &r);
	odin_store_close(st);
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct odin_store *s;
			int rc;

			if (odin_store_open_config(&cfg, &s) != ODIN_OK)
				_exit(2);
			rc = settle_step(s, "alice", 1, 101, 1700000200);
			odin_store_close(s);
			_exit(rc == ODIN_OK ? 0 : rc == ODIN_EREPLAY ? 1 : 2);
		}
	}
	for (i = 0; i < NPROC; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) != 2);
		wins += WEXITSTATUS(status) == 0;
	}
	ck_assert_int_eq(wins, 1);
}
END_TEST

static int
count_cb(const char *user, void *ctx)
{
	(void)user;
	(*(int *)ctx)++;
	return 0;
}

/* files -> postgresql -> files: every field survives, byte for byte (the generation tag aside). */
START_TEST(migrate_round_trip)
{
	struct odin_config fc = cfg;
	struct odin_store *pg, *f1, *f2;
	struct odin_record r[3], back;
	const char *users[3] = { "alice", "bob", "carol" };
	char *a, *b;
	size_t al, bl;
	int i, n = 0;

	fc.backend = ODIN_BACKEND_FILES;
	snprintf(fc.store_dir, sizeof(fc.store_dir), "%s/one", tmpdir);
	ck_assert_int_eq(odin_store_create(&fc), ODIN_OK);
	ck_assert_int_eq(odin_store_open_config(&fc, &f1), ODIN_OK);
	for (i = 0; i < 3; i++) {
		make_record(&r[i]);
		r[i].last_step = 1000 + i;
		r[i].lockout_until = i == 1 ? 1800000000 : 0;
		r[i].nbackup = (unsigned)i;
		put(f1, users[i], &r[i]);
	}
	odin_record_init(&r[2], 5);	/* carol pending */
	put(f1, users[2], &r[2]);
	pg = open_pg();
	ck_assert_int_eq(odin_store_copy(f1, pg, NULL, NULL), ODIN_OK);
	ck_assert_int_eq(odin_store_list(pg, count_cb, &n), ODIN_OK);
	ck_assert_int_eq(n, 3);
	snprintf(fc.store_dir, sizeof(fc.store_dir), "%s/two", tmpdir);
	ck_assert_int_eq(odin_store_create(&fc), ODIN_OK);
	ck_assert_int_eq(odin_store_open_config(&fc, &f2), ODIN_OK);
	ck_assert_int_eq(odin_store_copy(pg, f2, NULL, NULL), ODIN_OK);
	for (i = 0; i < 3; i++) {
		get(f2, users[i], &back, ODIN_OK);
		ck_assert(back.generation != 0);	/* the files store's own tag, new at every copy */
		back.generation = r[i].generation = 0;
		ck_assert_int_eq(odin_record_format(&r[i], &a, &al), ODIN_OK);
		ck_assert_int_eq(odin_record_format(&back, &b, &bl), ODIN_OK);
		ck_assert_uint_eq(al, bl);
		ck_assert_mem_eq(a, b, al);
		odin_record_text_free(a);
		odin_record_text_free(b);
	}
	odin_store_close(f1);
	odin_store_close(f2);
	odin_store_close(pg);
}
END_TEST

START_TEST(hostile_environment_refused)
{
	struct odin_store *st = NULL;

	setenv("PGHOSTADDR", "127.0.0.1", 1);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_EUNSAFE);
	ck_assert_ptr_null(st);
	unsetenv("PGHOSTADDR");
	setenv("PGOPTIONS", "-c search_path=evil", 1);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_EUNSAFE);
	unsetenv("PGOPTIONS");
	/* not connection parameters, but read by libpq: message catalogs, service files */
	setenv("PGLOCALEDIR", "/tmp", 1);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_EUNSAFE);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "PGLOCALEDIR"));
	unsetenv("PGLOCALEDIR");
	setenv("PGSYSCONFDIR", "/tmp", 1);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_EUNSAFE);
	unsetenv("PGSYSCONFDIR");
	/* one with a compiled default is pinned back instead, and works */
	setenv("PGPORT", "1", 1);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
	odin_store_close(st);
	unsetenv("PGPORT");
}
END_TEST

START_TEST(bad_password_fails_closed)
{
	struct odin_store *st = (struct odin_store *)1;
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/pw", tmpdir);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("wrong\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(p, 0600), 0);
	snprintf(cfg.pg_password_file, sizeof(cfg.pg_password_file), "%s", p);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_EIO);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(chmod(p, 0644), 0);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_EUNSAFE);
}
END_TEST

static Suite *
pg_suite(void)
{
	Suite *s = suite_create("store_pg");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, init_twice);
	tcase_add_test(tc, upgrade_from_v1);
	tcase_add_test(tc, upgrade_from_v2);
	tcase_add_test(tc, name_not_utf8);
	tcase_add_test(tc, sealed_at_rest);
	tcase_add_test(tc, row_copied_to_other_user);
	tcase_add_test(tc, tampered_rows_refused);
	tcase_add_test(tc, delete_removes_codes);
	tcase_add_test(tc, settle_step_once);
	tcase_add_test(tc, settle_backup_once);
	tcase_add_test(tc, settle_held_to_snapshot);
	tcase_add_test(tc, snapshot_is_the_read_before_the_prompt);
	tcase_add_test(tc, snapshot_backup_codes_on_demand);
	tcase_add_test(tc, login_while_the_helpdesk_works);
	tcase_add_test(tc, long_names_are_their_own);
	tcase_add_test(tc, seal_kept_only_for_the_same_secret);
	tcase_add_test(tc, settle_counts_and_locks);
	tcase_add_test(tc, settle_matches_auth);
	tcase_add_test(tc, one_winner_settle);
	tcase_add_test(tc, migrate_round_trip);
	tcase_add_test(tc, hostile_environment_refused);
	tcase_add_test(tc, bad_password_fails_closed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (getenv("ODIN_TEST_PG_CONNINFO") == NULL || getenv("ODIN_TEST_PG_PWFILE") == NULL ||
	    getenv("ODIN_TEST_PG_KEY") == NULL) {
		fprintf(stderr, "check_store_pg: no server (run tests/pg/run.sh); skipped\n");
		return 77;
	}
	sr = srunner_create(pg_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
