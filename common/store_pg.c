/* SPDX-License-Identifier: ISC */
/*
 * The postgresql backend of the store (libpq), one database shared by many
 * hosts.  Built as the plugin odin_store_pg.so (store_backend.h: store plugins),
 * so that only a host configured for it ever loads libpq.  Schema (odin_store_init, version ODIN_PG_SCHEMA):
 *
 *   odin_schema(version)
 *   users(user_name PK, mfa_enabled, pending, mfa_secret, algorithm, digits,
 *         period, last_step, failures, lockout_until, lockout_count,
 *         backup_kdf, backup_iter, backup_salt, created, updated,
 *         bypass, enroll_token)  (the values of the record's lines, record.h)
 *   backup_codes(user_name FK ON DELETE CASCADE, idx, hash)  PK (user_name, idx)
 *
 * Mapping of the store contract:
 *   lock    BEGIN; a transaction advisory lock on the user name (so two
 *           hosts creating one record serialise too); SELECT ... FOR UPDATE
 *   save    UPSERT (+ rewrite of backup_codes if they changed); COMMIT --
 *           so ODIN_OK from save means durable in the database
 *   delete  DELETE (backup codes cascade); COMMIT
 *   unlock  ROLLBACK if anything is still open
 * and the optional single-statement operations of store.h (conditional
 * UPDATE of last_step, DELETE of a backup code, failure increments).
 *
 * Security contract:
 *  - the secret is stored only sealed (crypt.h, AES-256-GCM, the user name
 *    as associated data); a row whose secret is in clear is refused;
 *  - a row is turned into the record text and parsed by the strict record
 *    parser, so a tampered row is ODIN_ECORRUPT, never a default;
 *  - every value goes to the server as a parameter, never spliced into SQL;
 *  - libpq reads PG* environment variables for any parameter pg_conninfo
 *    leaves unset; pam_odin runs inside su/sudo with the caller's
 *    environment and the CLI is setuid, so such a variable is either pinned
 *    back to the compiled-in default or the connection is refused
 *    (PGHOSTADDR could point the module at a fake server);
 *  - every round trip has a client-side deadline (pg_statement_timeout + 2 s)
 *    on top of the server's statement_timeout/lock_timeout, so a dead or
 *    stalled server fails closed in bounded time instead of hanging;
 *  - errors are logged with SQLSTATE and the server's primary message,
 *    never a value, conninfo or password.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "backup.h"
#include "config.h"
#include "crypt.h"
#include "base32.h"
#include "err.h"
#include "log.h"
#include "otp.h"
#include "record.h"
#include "secure.h"
#include "store_backend.h"
#include "user.h"

#define ODIN_PG_SCHEMA 4
#define PG_PARAMS_MAX 64
#define PG_PASSWORD_MAX 512
#define PG_OPTIONS_MAX 1024
/* a sealed secret's text: enc1 (crypt.h), or srv1 (odin_srv_seal: the user name is inside) */
#define PG_SEALED_MAX 2048
#define ODIN_PG_STR2(x) #x
#define ODIN_PG_STR(x) ODIN_PG_STR2(x)
#define ODIN_BACKUP_MAX_LESS1 19	/* ODIN_BACKUP_MAX - 1, as a literal for SQL */
_Static_assert(ODIN_BACKUP_MAX_LESS1 == ODIN_BACKUP_MAX - 1, "ODIN_BACKUP_MAX_LESS1");
#define PG_SLACK_SECONDS 2
/* a row lock is waited for: a statement's time less half a second, shared by two waits in server mode */
#define PG_LOCK_TIMEOUT_MS(T, SERVER) (((T) * 1000u - 500u) / ((SERVER) ? 2u : 1u))
/*
 * In odin_srv_submit and odin_srv_token_submit: the count commits without
 * waiting for the WAL to reach the disk (synchronous_commit = off, for the
 * rest of the caller's transaction: in CALL, the submit's own).  It is
 * committed, so every other login sees it at once and a caller that ends
 * its session cannot take it back; what it is not yet is durable, and
 * that is the collect's commit.  A collect that finds the ticket the
 * count was filed with deletes it, so it writes, and its commit flushes
 * the WAL (and waits for a synchronous standby) up to its own record,
 * which comes after the count's.  A collect that finds none (none was
 * filed, or it was taken or swept already) writes nothing and answers
 * "absent", which says nothing about the code.  So the verdict the module
 * reads once CALL odin_srv_login has completed is never for a count that
 * a crash or a failover could undo, and a login waits for one flush, not
 * two: issue 9's rule, as the files store keeps it (counted before
 * judged; a success durable before it is answered).  A host that reads
 * the collect's verdict before its commit (calling the two functions
 * itself, nesting the CALL in a DO block, or reading the result before
 * the statement ends) can roll the collect back: its count stays
 * committed, and reaches the disk with the WAL writer (within three
 * wal_writer_delay) or with the next durable commit of any session.  It
 * could do as much before, by lowering synchronous_commit in its own
 * transaction block after the submit (README, Durability).
 */
#define PG_SRV_COUNT_COMMIT \
	"  PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);"
/*
 * In odin_srv_collect and odin_srv_token_collect: their transaction commits
 * at least as durably as synchronous_commit = on (flushed here and, with
 * synchronous_standby_names, on the standby), whatever the host set for
 * its session: a step taken, a count cleared or a token spent that a crash
 * or a failover could undo after its verdict was seen would be a code
 * that works twice.  A stronger setting (remote_apply) is kept.
 */
#define PG_SRV_DURABLE_COMMIT \
	"  IF pg_catalog.current_setting('synchronous_commit') IN ('off', 'local', 'remote_write') THEN" \
	"   PERFORM pg_catalog.set_config('synchronous_commit', 'on', true); END IF;"
/*
 * In odin_srv_submit and odin_srv_token_submit: tickets older than 600 s,
 * which no collect takes any more, deleted, skipping any a caller holds
 * locked (an open transaction of its own must not make every login wait).
 */
#define PG_SRV_SWEEP \
	"  DELETE FROM odin_pending d WHERE d.ticket IN (SELECT o.ticket FROM odin_pending o" \
	"   WHERE o.created < now - 600 FOR UPDATE SKIP LOCKED);"
/*
 * In odin_srv_collect and odin_srv_token_collect: ticket t of user u
 * (and W, more of the WHERE) taken into q, once: "absent" when there is
 * none or it is older than 600 s; no verdict before the submit's count is
 * committed (an error, not an answer); locked_until the lockout that count
 * started; a verdict the submit already gave (not "counted") given back.
 */
#define PG_SRV_TAKE_TICKET(W) \
	"  DELETE FROM odin_pending WHERE ticket = t AND user_name = u" W " RETURNING * INTO q;" \
	"  IF NOT FOUND OR q.created < now - 600 THEN verdict := 'absent'; RETURN; END IF;" \
	"  IF pg_catalog.pg_xact_status(q.xid) IS DISTINCT FROM 'committed' THEN" \
	"   RAISE EXCEPTION 'odin-mfa: a verdict is given only after its count is committed';" \
	"  END IF;" \
	"  locked_until := q.started;" \
	"  IF q.verdict <> 'counted' THEN verdict := q.verdict; RETURN; END IF;"
/*
 * In odin_srv_submit and odin_srv_collect: what a TOTP code's step depends
 * on besides the code and the time, as one digest of the row r's sealed
 * secret, algorithm, digits and period and the policy p's window.
 */
#define PG_SRV_HELD \
	"pg_catalog.sha256(pg_catalog.convert_to(r.mfa_secret || ' ' || r.algorithm || ' ' ||" \
	" r.digits || ' ' || r.period || ' ' || p.win, 'UTF8'))"
/*
 * In odin_srv_submit and odin_srv_collect: 64 bits of an HMAC of the
 * ticket T under the server key, which the step filed with a ticket is
 * XORed with, so that its bytes are as random for a wrong code (step 0)
 * as for a right one: a compressed full-page image in the WAL, whose size
 * the caller can read inside its own transaction (EXPLAIN (ANALYZE, WAL),
 * pg_current_wal_insert_lsn), would be smaller for a 0.
 */
#define PG_SRV_STEP_MASK(T) \
	"('x' || pg_catalog.substr(pg_catalog.encode(hmac(" T ", (SELECT o.k FROM odin_server_key o)," \
	" 'sha256'), 'hex'), 1, 16))::bit(64)::bigint"
/* odin_srv_login's arguments, as GRANT and REVOKE name the procedure */
#define PG_PROOF_LEN 32	/* odin_srv_token_collect's proof: gen_random_bytes(32) */
_Static_assert(PG_PROOF_LEN == ODIN_TOKEN_PROOF_LEN, "PG_PROOF_LEN");
#define PG_SRV_LOGIN_ARGS "text, text, text, bytea, bigint, text, bigint, bigint, bigint"
/* odin_srv_token_login's arguments */
#define PG_SRV_TOKEN_ARGS "text, bytea, text, bigint, text"
/* odin_srv_enroll's arguments: the last is the proof odin_srv_token_login gave for a spent token */
#define PG_SRV_ENROLL_ARGS "text, bytea, text, integer, integer, bigint, integer, bytea, text, bigint, bytea"

struct odin_store {
	struct odin_store_base base;
	PGconn *conn;
	unsigned timeout;	/* seconds: statement/lock timeout */
	int broken;		/* a round trip timed out: the connection is unusable */
	char failed_state[6];	/* the SQLSTATE of the last statement that failed */
	int failed_inside;	/* ... and it failed inside a function it called (an error context) */
	int server;		/* pg_verify = server: the database seals and checks */
	char policy[4][16];	/* server: max_failures, lockout_seconds, cap, window (db-init) */
	/*
	 * Host-key mode: the last snapshot read (odin_store_snapshot), held in
	 * odin_secure_alloc memory, with its secret, algorithm, digits and
	 * period as the row has them: pg_settle takes effect only while the
	 * row still has those.
	 */
	struct odin_record *snap;
	int snap_ok;
	char snap_user[ODIN_USER_MAX + 1];
	char snap_sealed[PG_SEALED_MAX + 1];
	char snap_param[3][16];	/* algorithm, digits, period */
};

struct odin_txn {
	struct odin_store_base base;
	struct odin_store *st;
	int open;		/* a transaction is open on st->conn */
	int had;		/* a row was there when locked (or saved since) */
	int reseal;		/* pg_verify = server, and that row's secret is sealed with a host key */
	struct odin_record *was;	/* that row (odin_secure_alloc: it holds the secret) */
	char was_sealed[PG_SEALED_MAX];	/* its secret as sealed in the row ("": none, or too long) */
	char user[ODIN_USER_MAX + 1];
};

static const struct odin_store_ops pg_ops;

/* The rule of odin_user_valid() (user.h), kept by the database too. */
#define PG_NAME_RULE \
	"(octet_length(user_name) BETWEEN 1 AND 255 AND user_name !~ '[\\x01-\\x20\\x7f/:]')"

/* The values of the record's "bypass" and "enroll_token" lines (record.h), kept by the database too. */
#define PG_BYPASS_RULE \
	"(bypass IS NULL OR bypass ~ '^[1-9][0-9]? [0-9]+ [0-9]+ [0-9a-f]{32} [0-9a-f]{64}$')"
/*
 * A token spent by odin_srv_token_collect (server mode) keeps the hash of the
 * proof it handed to the host that presented it, which odin_srv_enroll
 * asks for: "spent ISSUED PROOFHASH".  Everyone else reads it without.
 */
#define PG_TOKEN_NO_PROOF(P) \
	"(CASE WHEN " P "enroll_token LIKE 'spent % %' THEN 'spent ' ||" \
	" pg_catalog.split_part(" P "enroll_token, ' ', 2) ELSE " P "enroll_token END)"
#define PG_TOKEN_RULE \
	"(enroll_token IS NULL OR enroll_token ~" \
	" '^(active [0-9]+ [0-9]+ [0-9a-f]{32} [0-9a-f]{64}|spent [0-9]+( [0-9a-f]{64})?)$')"

static const char pg_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS odin_schema (version integer NOT NULL);"
	"CREATE TABLE IF NOT EXISTS users ("
	" user_name text PRIMARY KEY CONSTRAINT users_user_name_check CHECK " PG_NAME_RULE ","
	" mfa_enabled boolean NOT NULL,"
	" pending boolean NOT NULL CHECK (pending = NOT mfa_enabled),"
	" mfa_secret text CHECK (mfa_secret IS NULL OR mfa_secret LIKE 'enc1:%'),"
	" algorithm text NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),"
	" digits integer NOT NULL,"
	" period integer NOT NULL,"
	" last_step bigint NOT NULL DEFAULT 0 CHECK (last_step >= 0),"
	" failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),"
	" lockout_until bigint NOT NULL DEFAULT 0 CHECK (lockout_until >= 0),"
	" lockout_count integer NOT NULL DEFAULT 0 CHECK (lockout_count >= 0),"
	" backup_kdf text NOT NULL DEFAULT 'none' CHECK (backup_kdf IN ('none', 'pbkdf2-sha256')),"
	" backup_iter integer NOT NULL DEFAULT 0,"
	" backup_salt bytea,"
	" created bigint NOT NULL,"
	" updated bigint NOT NULL,"
	" bypass text CONSTRAINT users_bypass_check CHECK " PG_BYPASS_RULE ","
	" enroll_token text CONSTRAINT users_enroll_token_check CHECK " PG_TOKEN_RULE ","
	" CONSTRAINT users_bypass_enabled CHECK (bypass IS NULL OR mfa_enabled),"
	" CONSTRAINT users_enroll_token_pending CHECK (enroll_token IS NULL OR pending));"
	"CREATE TABLE IF NOT EXISTS backup_codes ("
	" user_name text NOT NULL REFERENCES users (user_name) ON DELETE CASCADE,"
	" idx integer NOT NULL,"
	" hash bytea NOT NULL,"
	" PRIMARY KEY (user_name, idx));"
	"INSERT INTO odin_schema (version) SELECT 3 WHERE NOT EXISTS (SELECT 1 FROM odin_schema);";
	/* (version 3 here: pg_privileges_sql, run by every db-init, makes it 4) */

/*
 * Version 1 allowed only [A-Za-z0-9_][A-Za-z0-9._-]{0,31}; version 2 any
 * name odin_user_valid() allows (john.doe@corp.example, CORP\jdoe).
 */
static const char pg_upgrade_2_sql[] =
	"ALTER TABLE users DROP CONSTRAINT IF EXISTS users_user_name_check;"
	"ALTER TABLE users ADD CONSTRAINT users_user_name_check CHECK " PG_NAME_RULE ";"
	"UPDATE odin_schema SET version = 2;";

/*
 * Version 3: bypass codes and enrollment tokens (account.h, helpdesk).  A
 * host still running an older build writes whole rows without these
 * columns: the two table checks make such a write fail (an enrollment
 * that skipped a token, a reset that kept a bypass code) instead of
 * silently keeping what no longer belongs to the row.
 */
static const char pg_upgrade_3_sql[] =
	"ALTER TABLE users ADD COLUMN IF NOT EXISTS bypass text"
	" CONSTRAINT users_bypass_check CHECK " PG_BYPASS_RULE ";"
	"ALTER TABLE users ADD COLUMN IF NOT EXISTS enroll_token text"
	" CONSTRAINT users_enroll_token_check CHECK " PG_TOKEN_RULE ";"
	"ALTER TABLE users DROP CONSTRAINT IF EXISTS users_bypass_enabled;"
	"ALTER TABLE users ADD CONSTRAINT users_bypass_enabled CHECK (bypass IS NULL OR mfa_enabled);"
	"ALTER TABLE users DROP CONSTRAINT IF EXISTS users_enroll_token_pending;"
	"ALTER TABLE users ADD CONSTRAINT users_enroll_token_pending CHECK (enroll_token IS NULL OR pending);"
	"UPDATE odin_schema SET version = 3;";

/*
 * Version 4, and every db-init after it: least privilege for hosts.  Hosts
 * connect as a login role that is a member of ODIN_PG_HOST_ROLE.  That
 * role may read the rows (a host judges codes with the secret_key_file),
 * change only the login state (last_step, failures, lockout, updated),
 * and delete a used backup code.  Everything else a login or a user's
 * enrollment needs goes through three functions that run as the owner
 * and can only do their one thing: take one use of a bypass code, spend
 * an enrollment token, and enroll a user who has no row or a pending one
 * (no active token).  A host cannot insert or delete a row, change an
 * enabled user's secret, or plant a bypass or backup code; the owner role
 * (the admin's conninfo) can.  It can read a pending user's token hash,
 * so it can spend the token and enroll that user (tokens stop someone who
 * has only the user's password, not root on a host: README, Roles).  Run
 * in full at every db-init, so grants that drifted are put back.
 *
 * The functions run with the owner's rights, so nobody else may create
 * objects where they resolve names: db-init refuses to run as a superuser
 * and takes CREATE on the schema from PUBLIC, and refuses while any other
 * role still has it; built-ins whose arguments an overload could match
 * better are named with pg_catalog.
 */
#define ODIN_PG_HOST_ROLE "odin_host"
/*
 * The parts of a record that odin_enroll and odin_srv_enroll both take as
 * arguments (alg, dig, per, iter, salt, hashes), as SQL that is true when
 * one is out of what a login reads back.
 */
#define PG_ENROLL_BAD \
	" alg IS NULL OR alg NOT IN ('SHA1', 'SHA256', 'SHA512')" \
	" OR dig IS NULL OR dig NOT BETWEEN " ODIN_PG_STR(ODIN_DIGITS_MIN) " AND " ODIN_PG_STR(ODIN_DIGITS_MAX) \
	" OR per IS NULL OR per NOT BETWEEN " ODIN_PG_STR(ODIN_PERIOD_MIN) " AND " ODIN_PG_STR(ODIN_PERIOD_MAX) \
	" OR iter IS NULL" \
	" OR (iter > 0 AND (salt IS NULL OR pg_catalog.length(salt) <> " ODIN_PG_STR(ODIN_BACKUP_SALT_LEN) "))" \
	" OR hashes IS NULL" \
	" OR hashes !~ '^([0-9a-f]{64}(,[0-9a-f]{64}){0," ODIN_PG_STR(ODIN_BACKUP_MAX_LESS1) "})?$'" \
	" OR (iter = 0 AND hashes <> '')"
static const char pg_privileges_sql[] =
	"DO $do$ DECLARE who text; BEGIN"
	" IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN"
	"  RAISE EXCEPTION 'db-init must run as the owner of the tables, not as a superuser: its"
	" functions run with the rights of the role that creates them';"
	" END IF;"
	" EXECUTE pg_catalog.format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());"
	" SELECT pg_catalog.string_agg(r.rolname, ', ') INTO who FROM pg_catalog.pg_roles r"
	"  WHERE r.rolname <> current_user AND NOT r.rolsuper AND r.rolname <> 'pg_database_owner'"
	"  AND pg_catalog.has_schema_privilege(r.oid, current_schema(), 'CREATE');"
	" IF who IS NOT NULL THEN"
	"  RAISE EXCEPTION 'roles % may create objects in schema %, where odin-mfa''s functions run"
	" with the owner''s rights: REVOKE CREATE ON SCHEMA % FROM them, then db-init again',"
	"  who, current_schema(), current_schema();"
	" END IF;"
	" IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '" ODIN_PG_HOST_ROLE "') THEN"
	"  CREATE ROLE " ODIN_PG_HOST_ROLE " NOLOGIN;"
	" END IF; END $do$;"
	"REVOKE ALL ON users, backup_codes, odin_schema FROM PUBLIC, " ODIN_PG_HOST_ROLE ";"
	"GRANT SELECT ON users, backup_codes, odin_schema TO " ODIN_PG_HOST_ROLE ";"
	"GRANT UPDATE (last_step, failures, lockout_until, lockout_count, updated) ON users TO "
	ODIN_PG_HOST_ROLE ";"
	"GRANT DELETE ON backup_codes TO " ODIN_PG_HOST_ROLE ";"
	/* one use of the bypass code the caller read (the same value): uses - 1, none after the last */
	"CREATE OR REPLACE FUNCTION odin_bypass_use(u text, was text) RETURNS boolean"
	" LANGUAGE sql SECURITY DEFINER AS $f$"
	" WITH x AS (UPDATE users SET bypass = CASE"
	"  WHEN pg_catalog.split_part(was, ' ', 1)::integer > 1"
	"  THEN (pg_catalog.split_part(was, ' ', 1)::integer - 1)::text ||"
	"  pg_catalog.substr(was, pg_catalog.strpos(was, ' ')) ELSE NULL END"
	"  WHERE user_name = u AND mfa_enabled AND bypass = was RETURNING 1)"
	" SELECT pg_catalog.count(*) = 1 FROM x $f$;"
	/* the active token the caller read, spent (only its issue time is kept) */
	"CREATE OR REPLACE FUNCTION odin_token_spend(u text, was text) RETURNS boolean"
	" LANGUAGE sql SECURITY DEFINER AS $f$"
	" WITH x AS (UPDATE users SET enroll_token = 'spent ' || pg_catalog.split_part(was, ' ', 3)"
	"  WHERE user_name = u AND pending AND enroll_token = was AND was LIKE 'active %' RETURNING 1)"
	" SELECT pg_catalog.count(*) = 1 FROM x $f$;"
	/* a whole enabled record (no bypass code, no token) where there is no row or a pending one */
	"CREATE OR REPLACE FUNCTION odin_enroll(u text, secret text, alg text, dig integer, per integer,"
	" ls bigint, fl integer, lu bigint, lc integer, iter integer, salt bytea, cr bigint, up bigint,"
	" hashes text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER AS $f$"
	" BEGIN"
	/* a record every host can read back: nothing a login would refuse as corrupt */
	"  IF secret IS NULL OR (secret NOT LIKE 'enc1:%' AND secret NOT LIKE 'srv1:%') OR" PG_ENROLL_BAD
	"   OR ls IS NULL OR ls < 0 OR fl IS NULL OR fl < 0 OR lu IS NULL OR lu < 0 OR lc IS NULL OR lc < 0"
	"   OR cr IS NULL OR cr < 0 OR up IS NULL OR up < 0"
	"   OR (iter <> 0 AND iter NOT BETWEEN " ODIN_PG_STR(ODIN_BACKUP_ITER_MIN) " AND "
	ODIN_PG_STR(ODIN_BACKUP_ITER_MAX) ") THEN RETURN false; END IF;"
	"  PERFORM 1 FROM users WHERE user_name = u FOR UPDATE;"
	"  IF FOUND THEN"
	"   UPDATE users SET mfa_enabled = true, pending = false, mfa_secret = secret, algorithm = alg,"
	"    digits = dig, period = per, last_step = ls, failures = fl, lockout_until = lu,"
	"    lockout_count = lc, backup_kdf = CASE WHEN iter > 0 THEN 'pbkdf2-sha256' ELSE 'none' END,"
	"    backup_iter = iter, backup_salt = salt, created = cr, updated = up, bypass = NULL,"
	"    enroll_token = NULL"
	"    WHERE user_name = u AND pending AND (enroll_token IS NULL OR enroll_token LIKE 'spent %');"
	"   IF NOT FOUND THEN RETURN false; END IF;"
	"   DELETE FROM backup_codes WHERE user_name = u;"
	"  ELSE"
	"   INSERT INTO users (user_name, mfa_enabled, pending, mfa_secret, algorithm, digits, period,"
	"    last_step, failures, lockout_until, lockout_count, backup_kdf, backup_iter, backup_salt,"
	"    created, updated) VALUES (u, true, false, secret, alg, dig, per, ls, fl, lu, lc,"
	"    CASE WHEN iter > 0 THEN 'pbkdf2-sha256' ELSE 'none' END, iter, salt, cr, up);"
	"  END IF;"
	"  INSERT INTO backup_codes (user_name, idx, hash) SELECT u, o, pg_catalog.decode(h, 'hex')"
	"   FROM pg_catalog.unnest(pg_catalog.string_to_array(hashes, ',')) WITH ORDINALITY AS x(h, o)"
	"   WHERE h <> '';"
	"  RETURN true;"
	" END $f$;"
	/* their names resolve only in this schema (a SECURITY DEFINER function must not follow a caller's search_path) */
	"DO $do$ BEGIN"
	" EXECUTE format('ALTER FUNCTION odin_bypass_use(text, text) SET search_path = %I, pg_temp', current_schema());"
	" EXECUTE format('ALTER FUNCTION odin_token_spend(text, text) SET search_path = %I, pg_temp', current_schema());"
	" EXECUTE format('ALTER FUNCTION odin_enroll(text, text, text, integer, integer, bigint, integer,"
	" bigint, integer, integer, bytea, bigint, bigint, text) SET search_path = %I, pg_temp', current_schema());"
	" END $do$;"
	"REVOKE ALL ON FUNCTION odin_bypass_use(text, text), odin_token_spend(text, text),"
	" odin_enroll(text, text, text, integer, integer, bigint, integer, bigint, integer, integer, bytea,"
	" bigint, bigint, text) FROM PUBLIC;"
	"GRANT EXECUTE ON FUNCTION odin_bypass_use(text, text), odin_token_spend(text, text),"
	" odin_enroll(text, text, text, integer, integer, bigint, integer, bigint, integer, integer, bytea,"
	" bigint, bigint, text) TO " ODIN_PG_HOST_ROLE ";"
	"UPDATE odin_schema SET version = 4;";

/*
 * pg_verify = server (db-init from an admin host whose config says so):
 * the database checks the codes, and hosts hold no key.
 *
 *  - Secrets are sealed by the database: pgcrypto's pgp_sym_encrypt_bytea
 *    (AES-256, with its integrity check) of "user NUL secret" under a
 *    random 256-bit key kept in odin_server_key, which only the owner can
 *    read; "srv1:HEX" in mfa_secret.  Opening one checks that it names
 *    its own row's user.  A dump made with the owner's or a superuser's
 *    rights holds the key and the sealed secrets, so it reveals every
 *    secret (README says so); one made with a host's rights holds nothing.
 *  - The policy a login obeys (max_failures, lockout, window) is the
 *    admin's, stored by db-init in odin_policy: a host cannot raise it.
 *  - Hosts connect as members of ODIN_PG_VERIFIER_ROLE, which has no right
 *    on any table: only EXECUTE on functions that run as the owner,
 *    each doing one thing with the server's clock, and on two procedures
 *    with the host's own rights (odin_srv_login, odin_srv_token_login:
 *    submit, commit, collect, an answer in one statement):
 *      odin_srv_info    a row without its secret or any hash (the salts
 *                       a host needs to hash a typed code are there);
 *      odin_srv_submit  one login's answer (a TOTP code, a backup code's
 *      odin_srv_collect or a bypass code's hash): counted and filed by the
 *                       first call, which judges only whether a code's
 *                       step was taken already; judged by the second
 *                       only once the count is committed; the host's
 *                       clock only reported back;
 *      odin_srv_token_submit, odin_srv_token_collect  an enrollment
 *                       token's hash, the same way: counted, then judged;
 *                       a right one spent, with a proof for the caller;
 *      odin_srv_enroll  a new secret sealed into a row that is missing,
 *                       pending without a token, or pending with a token
 *                       spent with the proof the caller shows.
 */
#define ODIN_PG_VERIFIER_ROLE "odin_verifier"
static const char pg_server_sql[] =
	"CREATE EXTENSION IF NOT EXISTS pgcrypto;"
	"ALTER TABLE users DROP CONSTRAINT IF EXISTS users_mfa_secret_check;"
	"ALTER TABLE users ADD CONSTRAINT users_mfa_secret_check CHECK (mfa_secret IS NULL"
	" OR mfa_secret LIKE 'enc1:%' OR mfa_secret LIKE 'srv1:%');"
	/* a token spent here keeps the hash of its proof (odin_srv_token_collect) */
	"ALTER TABLE users DROP CONSTRAINT IF EXISTS users_enroll_token_check;"
	"ALTER TABLE users ADD CONSTRAINT users_enroll_token_check CHECK " PG_TOKEN_RULE ";"
	"CREATE TABLE IF NOT EXISTS odin_server_key (k text NOT NULL);"
	"DO $do$ BEGIN"
	" IF NOT EXISTS (SELECT 1 FROM odin_server_key) AND EXISTS (SELECT 1 FROM users"
	"  WHERE mfa_secret LIKE 'srv1:%') THEN"
	"  RAISE EXCEPTION 'odin_server_key is empty but rows are sealed with a key: restore it"
	" from a backup; a new key would leave every such secret unreadable';"
	" END IF; END $do$;"
	"INSERT INTO odin_server_key SELECT pg_catalog.encode(gen_random_bytes(32), 'hex')"
	" WHERE NOT EXISTS (SELECT 1 FROM odin_server_key);"
	"CREATE TABLE IF NOT EXISTS odin_policy (max_failures integer NOT NULL,"
	" lockout_seconds bigint NOT NULL, lockout_cap bigint NOT NULL, win integer NOT NULL);"
	"REVOKE ALL ON odin_server_key, odin_policy FROM PUBLIC;"
	"DO $do$ BEGIN"
	" IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '" ODIN_PG_VERIFIER_ROLE "') THEN"
	"  CREATE ROLE " ODIN_PG_VERIFIER_ROLE " NOLOGIN;"
	" END IF; END $do$;"
	"REVOKE ALL ON users, backup_codes, odin_schema, odin_server_key, odin_policy FROM "
	ODIN_PG_VERIFIER_ROLE ";"
	"CREATE OR REPLACE FUNCTION odin_srv_seal(u text, s bytea) RETURNS text LANGUAGE sql AS $f$"
	" SELECT 'srv1:' || pg_catalog.encode(pgp_sym_encrypt_bytea(pg_catalog.convert_to(u, 'UTF8')"
	" || pg_catalog.decode('00', 'hex') || s, (SELECT k FROM odin_server_key),"
	" 'cipher-algo=aes256, s2k-mode=1, s2k-digest-algo=sha256'), 'hex') $f$;"
	"CREATE OR REPLACE FUNCTION odin_srv_open(u text, sealed text) RETURNS bytea LANGUAGE plpgsql AS $f$"
	" DECLARE p bytea; n bytea := pg_catalog.convert_to(u, 'UTF8') || pg_catalog.decode('00', 'hex');"
	" BEGIN"
	"  IF sealed IS NULL OR sealed NOT LIKE 'srv1:%' THEN RETURN NULL; END IF;"
	"  p := pgp_sym_decrypt_bytea(pg_catalog.decode(pg_catalog.substr(sealed, 6), 'hex'),"
	"   (SELECT k FROM odin_server_key));"
	"  IF pg_catalog.substr(p, 1, pg_catalog.length(n)) <> n THEN"
	"   RAISE EXCEPTION 'the secret of % is sealed for another user', u;"
	"  END IF;"
	"  RETURN pg_catalog.substr(p, pg_catalog.length(n) + 1);"
	" END $f$;"
	/* RFC 6238 / 4226: HMAC of the 8-byte big-endian step, dynamic truncation */
	"CREATE OR REPLACE FUNCTION odin_srv_totp(k bytea, alg text, dig integer, step bigint)"
	" RETURNS text LANGUAGE plpgsql IMMUTABLE AS $f$"
	" DECLARE h bytea; o integer; v bigint;"
	" BEGIN"
	"  h := hmac(pg_catalog.int8send(step), k, pg_catalog.lower(alg));"
	"  o := pg_catalog.get_byte(h, pg_catalog.length(h) - 1) & 15;"
	"  v := ((pg_catalog.get_byte(h, o) & 127)::bigint << 24) | (pg_catalog.get_byte(h, o + 1)::bigint << 16)"
	"   | (pg_catalog.get_byte(h, o + 2)::bigint << 8) | pg_catalog.get_byte(h, o + 3)::bigint;"
	"  RETURN pg_catalog.lpad((v % pg_catalog.power(10::numeric, dig)::bigint)::text, dig, '0');"
	" END $f$;"
	/*
	 * The step of the window around time t0 whose code is "code" (the
	 * current step first, then one back, one ahead, ...), or 0: every step's
	 * code is computed whichever matches, and the first match is kept.
	 */
	"CREATE OR REPLACE FUNCTION odin_srv_match(k bytea, alg text, dig integer, per integer, t0 bigint,"
	" win integer, code text) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $f$"
	" DECLARE s bigint; st bigint := 0; i integer;"
	" BEGIN"
	"  FOR i IN 0 .. 2 * win LOOP"
	"   s := t0 / per + CASE WHEN i % 2 = 0 THEN -(i / 2) ELSE (i + 1) / 2 END;"
	"   IF s > 0 AND odin_srv_totp(k, alg, dig, s) = code AND st = 0 THEN st := s; END IF;"
	"  END LOOP;"
	"  RETURN st;"
	" END $f$;"
	/* a failure counted with the rule of odin_auth_fail(); the resulting lockout_until */
	"CREATE OR REPLACE FUNCTION odin_srv_count(u text, now bigint) RETURNS bigint LANGUAGE plpgsql AS $f$"
	" DECLARE p odin_policy%ROWTYPE; r users%ROWTYPE;"
	" BEGIN"
	"  SELECT * INTO STRICT p FROM odin_policy;"
	"  SELECT * INTO STRICT r FROM users WHERE user_name = u;"
	"  IF r.failures + 1 >= p.max_failures THEN"
	"   UPDATE users SET failures = 0, lockout_count = lockout_count + 1, updated = now,"
	"    lockout_until = now + CASE WHEN r.lockout_count >= 40 OR (p.lockout_seconds << r.lockout_count)"
	"    > p.lockout_cap THEN p.lockout_cap ELSE p.lockout_seconds << r.lockout_count END"
	"    WHERE user_name = u RETURNING lockout_until INTO r.lockout_until;"
	"  ELSE"
	"   UPDATE users SET failures = failures + 1, updated = now WHERE user_name = u;"
	"  END IF;"
	"  RETURN r.lockout_until;"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION odin_srv_info(u text, OUT mfa_enabled boolean, OUT algorithm text,"
	" OUT digits integer, OUT period integer, OUT last_step bigint, OUT failures integer,"
	" OUT lockout_until bigint, OUT lockout_count integer, OUT backup_kdf text, OUT backup_iter integer,"
	" OUT backup_salt text, OUT created bigint, OUT updated bigint, OUT nbackup integer,"
	" OUT bypass text, OUT enroll_token text)"
	/*
	 * plpgsql, not sql: a SECURITY DEFINER sql function is planned again
	 * at every call, a plpgsql one once per server session, which a
	 * pooler's sessions outlive (README: a pooler in front).
	 */
	" LANGUAGE plpgsql STABLE SECURITY DEFINER AS $f$ BEGIN"
	" SELECT x.mfa_enabled, x.algorithm, x.digits, x.period, x.last_step, x.failures, x.lockout_until,"
	"  x.lockout_count, x.backup_kdf, x.backup_iter, pg_catalog.encode(x.backup_salt, 'hex'),"
	"  x.created, x.updated, (SELECT pg_catalog.count(*)::integer FROM backup_codes b"
	"  WHERE b.user_name = u),"
	/* the hash is the 5th field of both: left out */
	"  pg_catalog.substring(x.bypass, '^([^ ]+ [^ ]+ [^ ]+ [^ ]+) '),"
	"  CASE WHEN x.enroll_token LIKE 'active %' THEN"
	"  pg_catalog.substring(x.enroll_token, '^([^ ]+ [^ ]+ [^ ]+ [^ ]+) ') ELSE " PG_TOKEN_NO_PROOF("x.") " END"
	" INTO mfa_enabled, algorithm, digits, period, last_step, failures, lockout_until, lockout_count,"
	"  backup_kdf, backup_iter, backup_salt, created, updated, nbackup, bypass, enroll_token"
	" FROM users x WHERE x.user_name = u; END $f$;"
	/*
	 * A login is two calls, so that no verdict can be seen before its count
	 * is committed: a caller could otherwise undo the count (ROLLBACK, a
	 * savepoint, or an exception in a DO block) and guess for free.
	 *
	 * odin_srv_submit does not tell whether an answer is right.  It
	 * counts the attempt and files the answer under a random ticket; it
	 * answers only the ticket.  Whatever it does and leaves behind -- the
	 * rows it reads, writes and their sizes, which the caller can measure
	 * inside its own transaction (pg_stat_get_xact_*, pg_relation_size)
	 * before rolling it back -- depends on what the caller sent (kept
	 * only in a fixed shape: a TOTP code of 6 to 8 digits, a 32-byte hash,
	 * or nothing) and on the row's state, never on whether the answer is
	 * right.  The one thing it does tell: a code of a step already taken
	 * is refused there, uncounted, as the files store refuses it before
	 * counting -- a code that no longer works, nothing about one that does
	 * (every step of the window is computed either way).  The step a code
	 * matched (0 for none) is filed with the ticket, masked
	 * (PG_SRV_STEP_MASK: as random for a wrong code as for a right one),
	 * beside a digest of what it was matched on (PG_SRV_HELD), in a table
	 * only the owner reads, for nobody but the collect.
	 *
	 * odin_srv_collect judges, and only once the submit's transaction is
	 * committed: a code by the database's clock when it was counted (the
	 * submit's step, or where the row has changed since -- another secret,
	 * algorithm, digits, period or window -- the code matched again on the
	 * row as it is), a backup or bypass code by its hash.  It takes the
	 * step, the backup
	 * code or the bypass use and clears the count (and a lockout that
	 * count started).  A code whose step another login took since the
	 * submit is a replay, counted (no count is given back: which count is
	 * still this one's cannot be told once another login reset it).
	 *
	 * Old tickets (600 s) are deleted by later submits, skipping any a
	 * caller holds locked (an open transaction of its own must not make
	 * every other login wait), and no longer collected.
	 */
	"CREATE TABLE IF NOT EXISTS odin_pending (ticket text PRIMARY KEY, user_name text NOT NULL,"
	" xid xid8 NOT NULL, verdict text NOT NULL, kind text, step bigint NOT NULL, hash bytea,"
	" started bigint NOT NULL, created bigint NOT NULL);"
	"ALTER TABLE odin_pending ADD COLUMN IF NOT EXISTS answer text;"
	"ALTER TABLE odin_pending ADD COLUMN IF NOT EXISTS held bytea;"
	"CREATE INDEX IF NOT EXISTS odin_pending_created ON odin_pending (created);"
	/* tickets filed by older functions carry a verdict this collect would hand out unchecked */
	"DELETE FROM odin_pending WHERE verdict NOT IN ('counted', 'replay', 'locked', 'unsealed');"
	"REVOKE ALL ON odin_pending FROM PUBLIC;"
	"DROP FUNCTION IF EXISTS odin_srv_login(text, text, text, bytea, bigint);"
	"CREATE OR REPLACE FUNCTION odin_srv_submit(u text, kind text, code text, h bytea, host_now bigint,"
	" OUT ticket text, OUT skew bigint)"
	" LANGUAGE plpgsql SECURITY DEFINER AS $f$"
	" DECLARE r users%ROWTYPE; p odin_policy%ROWTYPE; now bigint; v text; started bigint := 0; a text;"
	"  hh bytea; k text := 'other'; key bytea; st bigint := 0;"
	" BEGIN"
	"  now := pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))::bigint;"
	"  skew := host_now - now;"
	"  ticket := pg_catalog.encode(gen_random_bytes(16), 'hex');"
	PG_SRV_COUNT_COMMIT
	PG_SRV_SWEEP
	"  SELECT * INTO STRICT p FROM odin_policy;"
	"  SELECT * INTO r FROM users WHERE user_name = u FOR UPDATE;"
	/* nothing filed: the collect answers "absent" */
	"  IF NOT FOUND OR NOT r.mfa_enabled THEN RETURN; END IF;"
	"  IF kind = 'totp' AND code ~ '^[0-9]{" ODIN_PG_STR(ODIN_DIGITS_MIN) "," ODIN_PG_STR(ODIN_DIGITS_MAX) "}$' THEN"
	"   k := 'totp'; a := code;"
	"  ELSIF kind IN ('backup', 'bypass') AND pg_catalog.length(h) = " ODIN_PG_STR(ODIN_BACKUP_HASH_LEN) " THEN"
	"   k := kind; hh := h;"
	"  END IF;"
	"  IF r.lockout_until > now THEN v := 'locked'; started := r.lockout_until;"
	"  ELSIF k = 'totp' THEN"
	/* a row the database did not seal: an admin's mistake, not a guess (not counted) */
	"   key := odin_srv_open(u, r.mfa_secret);"
	"   IF key IS NULL THEN v := 'unsealed';"
	"   ELSE st := odin_srv_match(key, r.algorithm, r.digits, r.period, now, p.win, a); END IF;"
	/* only a step already taken: whether a code is right for one not taken is the collect's */
	"   IF v IS NULL AND st > 0 AND st <= r.last_step THEN v := 'replay'; END IF;"
	"  END IF;"
	"  IF v IS NULL THEN"
	"   started := odin_srv_count(u, now);"
	"   IF started <= now THEN started := 0; END IF;"
	"   v := 'counted';"
	"  END IF;"
	/* the step the code matched (0: none) beside what it was matched on, for the collect */
	"  INSERT INTO odin_pending (ticket, user_name, xid, verdict, kind, step, hash, started, created,"
	"   answer, held) VALUES (ticket, u, pg_catalog.pg_current_xact_id(), v, k,"
	"   st # " PG_SRV_STEP_MASK("ticket") ", hh, started, now, a,"
	"   CASE WHEN k = 'totp' AND v = 'counted' THEN " PG_SRV_HELD " END);"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION odin_srv_collect(u text, t text, OUT verdict text,"
	" OUT locked_until bigint, OUT used_step bigint)"
	" LANGUAGE plpgsql SECURITY DEFINER AS $f$"
	" DECLARE q odin_pending%ROWTYPE; r users%ROWTYPE; p odin_policy%ROWTYPE; now bigint; k bytea;"
	"  st bigint := 0;"
	" BEGIN"
	"  now := pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))::bigint;"
	"  locked_until := 0; used_step := 0;"
	PG_SRV_DURABLE_COMMIT
	PG_SRV_TAKE_TICKET("")
	"  SELECT * INTO STRICT p FROM odin_policy;"
	"  SELECT * INTO r FROM users WHERE user_name = u FOR UPDATE;"
	/* still enabled, and no lockout but the one this attempt's own count started */
	"  IF NOT FOUND OR NOT r.mfa_enabled OR (r.lockout_until > now AND r.lockout_until <> q.started) THEN"
	"   verdict := CASE WHEN FOUND AND r.mfa_enabled THEN 'locked' ELSE 'absent' END;"
	"   locked_until := r.lockout_until; RETURN;"
	"  END IF;"
	"  verdict := 'wrong';"
	"  IF q.kind = 'totp' AND q.answer IS NOT NULL THEN"
	/* the submit's match, where the row still holds what it was matched on */
	"   IF q.held IS NOT NULL AND q.held = " PG_SRV_HELD " THEN"
	"    st := q.step # " PG_SRV_STEP_MASK("q.ticket") ";"
	"   ELSE"
	"    k := odin_srv_open(u, r.mfa_secret);"
	"    IF k IS NULL THEN verdict := 'unsealed'; RETURN; END IF;"
	/* the window around the time the answer was counted, by the database's clock */
	"    st := odin_srv_match(k, r.algorithm, r.digits, r.period, q.created, p.win, q.answer);"
	"   END IF;"
	"   IF st > 0 AND st <= r.last_step THEN verdict := 'replay';"
	"   ELSIF st > 0 THEN verdict := 'ok';"
	"   END IF;"
	"  ELSIF q.kind = 'backup' AND q.hash IS NOT NULL THEN"
	"   DELETE FROM backup_codes WHERE user_name = u AND hash = q.hash;"
	"   IF FOUND THEN verdict := 'ok'; END IF;"
	"  ELSIF q.kind = 'bypass' AND q.hash IS NOT NULL AND r.bypass IS NOT NULL AND"
	"   pg_catalog.split_part(r.bypass, ' ', 2)::bigint > now AND"
	"   pg_catalog.decode(pg_catalog.split_part(r.bypass, ' ', 5), 'hex') = q.hash THEN"
	"   IF odin_bypass_use(u, r.bypass) THEN verdict := 'ok'; END IF;"
	"  END IF;"
	"  IF verdict = 'ok' THEN"
	"   UPDATE users SET last_step = CASE WHEN st > 0 THEN st ELSE last_step END, failures = 0,"
	"    lockout_until = 0, lockout_count = 0, updated = now WHERE user_name = u;"
	"   locked_until := 0; used_step := st;"
	"  END IF;"
	" END $f$;"
	/*
	 * The two calls in one statement (one round trip): CALL runs the
	 * submit, commits its count, then collects.  A procedure may commit
	 * only when CALL is not inside a transaction block, and only if it is
	 * not SECURITY DEFINER: it runs with the host's own rights, and all it
	 * adds is the COMMIT between the two functions, which keep every rule
	 * themselves.  A host that wraps it in BEGIN gets an error and no
	 * verdict, its count rolled back with the rest.  The functions are
	 * named with db-init's schema, whatever the caller's search_path.
	 */
	"DO $do$ BEGIN EXECUTE pg_catalog.format("
	" 'CREATE OR REPLACE PROCEDURE %1$I.odin_srv_login(u text, kind text, code text, h bytea,"
	"  host_now bigint, INOUT verdict text, INOUT locked_until bigint, INOUT used_step bigint,"
	"  INOUT skew bigint) LANGUAGE plpgsql AS $p$ DECLARE t pg_catalog.text; BEGIN"
	"  SELECT s.ticket, s.skew INTO t, skew FROM %1$I.odin_srv_submit(u, kind, code, h, host_now) s;"
	"  COMMIT;"
	"  SELECT c.verdict, c.locked_until, c.used_step INTO verdict, locked_until, used_step"
	"   FROM %1$I.odin_srv_collect(u, t) c;"
	"  END $p$', current_schema()); END $do$;"
	"REVOKE ALL ON PROCEDURE odin_srv_login(" PG_SRV_LOGIN_ARGS ") FROM PUBLIC;"
	/*
	 * An enrollment token, as a login's code: counted by the first call,
	 * judged by the second only once that count is committed, the two in
	 * one CALL (odin_srv_token_login) that commits between them.  The
	 * right token is spent, its own count undone, and the caller handed a
	 * proof whose hash the row keeps: odin_srv_enroll asks for it.  The
	 * one-call odin_srv_token answered in the transaction that counted,
	 * which a caller could roll back.
	 */
	"DROP FUNCTION IF EXISTS odin_srv_token(text, bytea);"
	"CREATE OR REPLACE FUNCTION odin_srv_token_submit(u text, h bytea, OUT ticket text)"
	" LANGUAGE plpgsql SECURITY DEFINER AS $f$"
	" DECLARE r users%ROWTYPE; now bigint; v text; started bigint := 0;"
	" BEGIN"
	"  now := pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))::bigint;"
	"  ticket := pg_catalog.encode(gen_random_bytes(16), 'hex');"
	PG_SRV_COUNT_COMMIT
	PG_SRV_SWEEP
	"  SELECT * INTO r FROM users WHERE user_name = u FOR UPDATE;"
	/* nothing filed: the collect answers "absent" (a host cannot fill the table with names) */
	"  IF NOT FOUND OR NOT r.pending OR r.enroll_token IS NULL OR r.enroll_token NOT LIKE 'active %' THEN"
	"   RETURN;"
	"  END IF;"
	"  IF r.lockout_until > now THEN v := 'locked'; started := r.lockout_until;"
	"  ELSE"
	"   started := odin_srv_count(u, now);"
	"   IF started <= now THEN started := 0; END IF;"
	"   v := 'counted';"
	"  END IF;"
	/* a hash of any other length is no token's: filed as none (a wrong answer, counted) */
	"  INSERT INTO odin_pending (ticket, user_name, xid, verdict, kind, step, hash, started, created)"
	"   VALUES (ticket, u, pg_catalog.pg_current_xact_id(), v, 'token', 0,"
	"   CASE WHEN pg_catalog.length(h) = " ODIN_PG_STR(ODIN_BACKUP_HASH_LEN) " THEN h END, started, now);"
	" END $f$;"
	"CREATE OR REPLACE FUNCTION odin_srv_token_collect(u text, t text, OUT verdict text,"
	" OUT locked_until bigint, OUT proof text)"
	" LANGUAGE plpgsql SECURITY DEFINER AS $f$"
	" DECLARE q odin_pending%ROWTYPE; r users%ROWTYPE; now bigint; pr bytea;"
	" BEGIN"
	"  now := pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))::bigint;"
	"  locked_until := 0;"
	PG_SRV_DURABLE_COMMIT
	PG_SRV_TAKE_TICKET(" AND kind = 'token'")
	"  SELECT * INTO r FROM users WHERE user_name = u FOR UPDATE;"
	"  IF NOT FOUND OR NOT r.pending OR r.enroll_token IS NULL OR r.enroll_token NOT LIKE 'active %' THEN"
	"   verdict := 'absent'; RETURN;"
	"  END IF;"
	/* no lockout but the one this attempt's own count started */
	"  IF r.lockout_until > now AND r.lockout_until <> q.started THEN"
	"   verdict := 'locked'; locked_until := r.lockout_until; RETURN;"
	"  END IF;"
	/* judged at the time it was counted, by the database's clock */
	"  IF pg_catalog.split_part(r.enroll_token, ' ', 2)::bigint > q.created AND q.hash IS NOT NULL AND"
	"   pg_catalog.decode(pg_catalog.split_part(r.enroll_token, ' ', 5), 'hex') = q.hash THEN"
	"   pr := gen_random_bytes(" ODIN_PG_STR(PG_PROOF_LEN) ");"
	"   UPDATE users SET enroll_token = 'spent ' || pg_catalog.split_part(r.enroll_token, ' ', 3) || ' ' ||"
	"    pg_catalog.encode(pg_catalog.sha256(pr), 'hex'),"
	"    failures = 0, lockout_until = 0, lockout_count = 0, updated = now WHERE user_name = u;"
	"   verdict := 'ok'; locked_until := 0; proof := pg_catalog.encode(pr, 'hex'); RETURN;"
	"  END IF;"
	"  verdict := CASE WHEN pg_catalog.split_part(r.enroll_token, ' ', 2)::bigint > q.created"
	"   THEN 'wrong' ELSE 'expired' END;"
	" END $f$;"
	"DO $do$ BEGIN EXECUTE pg_catalog.format("
	" 'CREATE OR REPLACE PROCEDURE %1$I.odin_srv_token_login(u text, h bytea, INOUT verdict text,"
	"  INOUT locked_until bigint, INOUT proof text) LANGUAGE plpgsql AS $p$"
	"  DECLARE t pg_catalog.text; BEGIN"
	"  SELECT s.ticket INTO t FROM %1$I.odin_srv_token_submit(u, h) s;"
	"  COMMIT;"
	"  SELECT c.verdict, c.locked_until, c.proof INTO verdict, locked_until, proof"
	"   FROM %1$I.odin_srv_token_collect(u, t) c;"
	"  END $p$', current_schema()); END $do$;"
	"REVOKE ALL ON PROCEDURE odin_srv_token_login(" PG_SRV_TOKEN_ARGS ") FROM PUBLIC;"
	/* was: the row's "updated" as the caller read it, -1 if it read none (compare-and-set) */
	"DROP FUNCTION IF EXISTS odin_srv_enroll(text, bytea, text, integer, integer, bigint, integer, bytea, text);"
	"CREATE OR REPLACE FUNCTION odin_srv_enroll(u text, secret bytea, alg text, dig integer, per integer,"
	" ls bigint, iter integer, salt bytea, hashes text, was bigint, proof bytea) RETURNS boolean"
	" LANGUAGE plpgsql SECURITY DEFINER AS $f$"
	" DECLARE now bigint; w integer;"
	" BEGIN"
	"  now := pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))::bigint;"
	"  SELECT win INTO STRICT w FROM odin_policy;"
	"  IF secret IS NULL OR ls IS NULL OR was IS NULL OR" PG_ENROLL_BAD
	"   OR pg_catalog.length(secret) NOT BETWEEN " ODIN_PG_STR(ODIN_SECRET_MIN) " AND "
	ODIN_PG_STR(ODIN_SECRET_MAX) "   OR iter NOT IN (0, " ODIN_PG_STR(ODIN_BACKUP_ITER) ")"
	"  THEN RETURN false; END IF;"
	/* a host's fast clock must not leave the new record with a step the database has not reached */
	"  ls := LEAST(ls, now / per + w);"
	"  PERFORM 1 FROM users WHERE user_name = u FOR UPDATE;"
	"  IF FOUND THEN"
	"   IF was < 0 THEN RETURN false; END IF;"
	"   UPDATE users SET mfa_enabled = true, pending = false, mfa_secret = odin_srv_seal(u, secret),"
	"    algorithm = alg, digits = dig, period = per, last_step = ls, failures = 0, lockout_until = 0,"
	"    lockout_count = 0, backup_kdf = CASE WHEN iter > 0 THEN 'pbkdf2-sha256' ELSE 'none' END,"
	"    backup_iter = iter, backup_salt = salt, created = now, updated = now, bypass = NULL,"
	"    enroll_token = NULL"
	"    WHERE user_name = u AND pending AND updated = was"
	"    AND (enroll_token IS NULL OR (proof IS NOT NULL AND enroll_token = " PG_TOKEN_NO_PROOF("")
	"    || ' ' || pg_catalog.encode(pg_catalog.sha256(proof), 'hex')));"
	"   IF NOT FOUND THEN RETURN false; END IF;"
	"   DELETE FROM backup_codes WHERE user_name = u;"
	"  ELSE"
	"   IF was >= 0 THEN RETURN false; END IF;"
	"   INSERT INTO users (user_name, mfa_enabled, pending, mfa_secret, algorithm, digits, period,"
	"    last_step, failures, lockout_until, lockout_count, backup_kdf, backup_iter, backup_salt,"
	"    created, updated) VALUES (u, true, false, odin_srv_seal(u, secret), alg, dig, per, ls, 0, 0, 0,"
	"    CASE WHEN iter > 0 THEN 'pbkdf2-sha256' ELSE 'none' END, iter, salt, now, now);"
	"  END IF;"
	"  INSERT INTO backup_codes (user_name, idx, hash) SELECT u, o, pg_catalog.decode(x.h, 'hex')"
	"   FROM pg_catalog.unnest(pg_catalog.string_to_array(hashes, ',')) WITH ORDINALITY AS x(h, o)"
	"   WHERE x.h <> '';"
	"  RETURN true;"
	" END $f$;"
	/* a host built before the proof: a missing row, or a pending one without a token */
	"CREATE OR REPLACE FUNCTION odin_srv_enroll(u text, secret bytea, alg text, dig integer, per integer,"
	" ls bigint, iter integer, salt bytea, hashes text, was bigint) RETURNS boolean"
	" LANGUAGE plpgsql SECURITY DEFINER AS $f$ BEGIN"
	"  RETURN odin_srv_enroll(u, secret, alg, dig, per, ls, iter, salt, hashes, was, NULL::bytea);"
	" END $f$;"
	"DO $do$ DECLARE f text; BEGIN"
	" FOREACH f IN ARRAY ARRAY['odin_srv_seal(text, bytea)', 'odin_srv_open(text, text)',"
	"  'odin_srv_totp(bytea, text, integer, bigint)',"
	"  'odin_srv_match(bytea, text, integer, integer, bigint, integer, text)',"
	"  'odin_srv_count(text, bigint)',"
	"  'odin_srv_info(text)', 'odin_srv_submit(text, text, text, bytea, bigint)',"
	"  'odin_srv_collect(text, text)',"
	"  'odin_srv_token_submit(text, bytea)', 'odin_srv_token_collect(text, text)',"
	"  'odin_srv_enroll(text, bytea, text, integer, integer, bigint, integer, bytea, text, bigint)',"
	"  'odin_srv_enroll(" PG_SRV_ENROLL_ARGS ")'] LOOP"
	"  EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = %I, pg_temp', f, current_schema());"
	"  EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);"
	" END LOOP; END $do$;"
	"GRANT EXECUTE ON FUNCTION odin_srv_info(text), odin_srv_submit(text, text, text, bytea, bigint),"
	" odin_srv_collect(text, text),"
	" odin_srv_token_submit(text, bytea), odin_srv_token_collect(text, text),"
	" odin_srv_enroll(text, bytea, text, integer, integer, bigint, integer, bytea, text, bigint),"
	" odin_srv_enroll(" PG_SRV_ENROLL_ARGS ") TO " ODIN_PG_VERIFIER_ROLE ";"
	"GRANT EXECUTE ON PROCEDURE odin_srv_login(" PG_SRV_LOGIN_ARGS "),"
	" odin_srv_token_login(" PG_SRV_TOKEN_ARGS ") TO " ODIN_PG_VERIFIER_ROLE ";"
	/*
	 * Nobody else keeps a right on what the server mode keeps: default
	 * privileges or old grants could hand out the key or a function that
	 * opens seals.  In a database whose hosts verify on the server, odin_host
	 * (the host-key mode's role, which reads sealed rows) keeps nothing.
	 */
	"DO $do$ DECLARE g record; BEGIN"
	" FOR g IN SELECT DISTINCT c.oid::regclass AS obj, a.grantee FROM pg_catalog.pg_class c,"
	"  pg_catalog.aclexplode(c.relacl) a WHERE c.relnamespace = current_schema()::regnamespace"
	"  AND c.relname IN ('odin_server_key', 'odin_policy', 'odin_pending', 'users', 'backup_codes',"
	"  'odin_schema') AND a.grantee <> c.relowner AND a.grantee <> 0 LOOP"
	"  EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM %I', g.obj, pg_catalog.pg_get_userbyid(g.grantee));"
	" END LOOP;"
	" FOR g IN SELECT DISTINCT p.oid::regprocedure AS obj, a.grantee FROM pg_catalog.pg_proc p,"
	"  pg_catalog.aclexplode(p.proacl) a WHERE p.pronamespace = current_schema()::regnamespace"
	"  AND p.proname LIKE 'odin\\_%' AND a.grantee <> p.proowner AND a.grantee <> 0 LOOP"
	"  EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM %I', g.obj,"
	"   pg_catalog.pg_get_userbyid(g.grantee));"
	" END LOOP; END $do$;"
	"GRANT EXECUTE ON FUNCTION odin_srv_info(text), odin_srv_submit(text, text, text, bytea, bigint),"
	" odin_srv_collect(text, text), odin_srv_token_submit(text, bytea), odin_srv_token_collect(text, text),"
	" odin_srv_enroll(text, bytea, text, integer, integer, bigint, integer, bytea, text, bigint),"
	" odin_srv_enroll(" PG_SRV_ENROLL_ARGS ") TO " ODIN_PG_VERIFIER_ROLE ";"
	"GRANT EXECUTE ON PROCEDURE odin_srv_login(" PG_SRV_LOGIN_ARGS "),"
	" odin_srv_token_login(" PG_SRV_TOKEN_ARGS ") TO " ODIN_PG_VERIFIER_ROLE ";";
/* db-init's policy row (pg_server_sql): $1..$4 = max_failures, lockout_seconds, cap, window */
static const char pg_policy_sql[] =
	"WITH d AS (DELETE FROM odin_policy) INSERT INTO odin_policy VALUES"
	" ($1::integer, $2::bigint, $3::bigint, $4::integer)";

/* ---- plumbing ----------------------------------------------------------- */

static int64_t
pg_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first line of a libpq/server message, for a one-line log. */
static const char *
pg_oneline(const char *msg, char *buf, size_t bufsz)
{
	size_t n;

	if (msg == NULL)
		msg = "unknown error";
	n = strcspn(msg, "\n");
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	return buf;
}

/* Maps a failed result to ODIN_E*, logging one line: what, user, SQLSTATE, primary message. */
static int
pg_fail(struct odin_store *st, const PGresult *res, const char *what, const char *user)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *cons;
	char line[256];

	if (msg == NULL)
		msg = PQerrorMessage(st->conn);
	/* a column (42703) or a function (42883) this build uses is not there yet */
	if (state != NULL && (strcmp(state, "42703") == 0 || strcmp(state, "42883") == 0)) {
		odin_log(LOG_ERR, "postgresql: %s%s%s: the schema is older than this host's (run: odin-mfa-cli admin db-init)",
		    what, user != NULL ? " for " : "", user != NULL ? user : "");
		return ODIN_EIO;
	}
	if (state != NULL && strcmp(state, "42501") == 0) {
		if (strcmp(what, "db-init") == 0) {
			odin_log(LOG_ERR, "postgresql: db-init: %s (db-init needs the tables' owner, and "
			    "CREATEROLE unless the role " ODIN_PG_HOST_ROLE " exists: as a superuser, run "
			    "CREATE ROLE " ODIN_PG_HOST_ROLE " NOLOGIN)", pg_oneline(msg, line, sizeof(line)));
			return ODIN_EPERM;
		}
		/* least privilege (pg_privileges_sql): a host's role asked for what only the owner may do */
		odin_log(LOG_ERR, "postgresql: %s%s%s: permission denied to this database role (a host role "
		    "may only log users in and enroll pending users; run admin commands with the owner's conninfo)",
		    what, user != NULL ? " for " : "", user != NULL ? user : "");
		return ODIN_EPERM;
	}
	if (state != NULL && strcmp(state, "42P01") == 0) {
		odin_log(LOG_ERR, "postgresql: %s%s%s: the schema is missing (run: odin-mfa-cli admin db-init)",
		    what, user != NULL ? " for " : "", user != NULL ? user : "");
		return ODIN_EIO;
	}
	odin_log(LOG_ERR, "postgresql: %s%s%s failed: %s%s%s", what,
	    user != NULL ? " for " : "", user != NULL ? user : "",
	    state != NULL ? state : "", state != NULL ? " " : "",
	    pg_oneline(msg, line, sizeof(line)));
	if (state != NULL && (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0))
		return ODIN_ELOCK;	/* lock_timeout, deadlock */
	if (state != NULL && strcmp(state, "23514") == 0 && (cons = PQresultErrorField(res,
	    PG_DIAG_CONSTRAINT_NAME)) != NULL && strcmp(cons, "users_user_name_check") == 0) {
		odin_log(LOG_ERR, "postgresql: the database refuses this user name: its schema is older "
		    "than this host's (run: odin-mfa-cli admin db-init)");
		return ODIN_EBADNAME;
	}
	if (state != NULL && strncmp(state, "23", 2) == 0)
		return ODIN_ECORRUPT;	/* a constraint refused the row */
	return ODIN_EIO;
}

/*
 * Runs one statement with text parameters and waits for its result at
 * most timeout + PG_SLACK_SECONDS.  Returns the last result (the caller
 * PQclear()s it) or NULL with *rc set (logged).
 */
static PGresult *
pg_run(struct odin_store *st, const char *what, const char *user,
    const char *sql, int n, const char *const *vals, int *rc)
{
	PGresult *res, *last = NULL;
	int64_t deadline = pg_now_ms() + ((int64_t)st->timeout + PG_SLACK_SECONDS) * 1000;
	struct pollfd pfd;
	int f, left;

	*rc = ODIN_EIO;
	st->failed_state[0] = '\0';
	st->failed_inside = 0;
	if (user != NULL && !odin_utf8_valid(user)) {
		/* the server would refuse it in a UTF8 database, and store it unreadable in another */
		odin_log(LOG_ERR, "postgresql: %s: a user name that is not UTF-8 cannot be stored here", what);
		*rc = ODIN_EBADNAME;
		return NULL;
	}
	if (st->broken || PQstatus(st->conn) != CONNECTION_OK) {
		odin_log(LOG_ERR, "postgresql: %s%s%s: the connection is lost", what,
		    user != NULL ? " for " : "", user != NULL ? user : "");
		st->broken = 1;
		return NULL;
	}
	if (PQsendQueryParams(st->conn, sql, n, NULL, vals, NULL, NULL, 0) != 1)
		goto conn_error;
	for (;;) {
		f = PQflush(st->conn);
		if (f < 0)
			goto conn_error;
		if (f == 0 && !PQisBusy(st->conn))
			break;
		left = (int)(deadline - pg_now_ms());
		if (left <= 0)
			goto timed_out;
		pfd.fd = PQsocket(st->conn);
		pfd.events = POLLIN | (f == 1 ? POLLOUT : 0);
		pfd.revents = 0;
		f = poll(&pfd, 1, left);
		if (f < 0 && errno == EINTR)
			continue;
		if (f < 0)
			goto conn_error;
		if (f == 0)
			goto timed_out;
		if ((pfd.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && PQconsumeInput(st->conn) != 1)
			goto conn_error;
	}
	while ((res = PQgetResult(st->conn)) != NULL) {
		PQclear(last);
		last = res;
	}
	if (last == NULL)
		goto conn_error;
	f = PQresultStatus(last);
	if (f != PGRES_COMMAND_OK && f != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(last, PG_DIAG_SQLSTATE);

		(void)snprintf(st->failed_state, sizeof(st->failed_state), "%s", state != NULL ? state : "");
		st->failed_inside = PQresultErrorField(last, PG_DIAG_CONTEXT) != NULL;
		*rc = pg_fail(st, last, what, user);
		PQclear(last);
		if (PQstatus(st->conn) != CONNECTION_OK)
			st->broken = 1;
		return NULL;
	}
	*rc = ODIN_OK;
	return last;

timed_out:
	odin_log(LOG_ERR, "postgresql: %s%s%s: no answer within %u s; failing closed", what,
	    user != NULL ? " for " : "", user != NULL ? user : "",
	    st->timeout + PG_SLACK_SECONDS);
	st->broken = 1;
	return NULL;
conn_error:
	{
		char line[256];

		odin_log(LOG_ERR, "postgresql: %s%s%s failed: %s", what,
		    user != NULL ? " for " : "", user != NULL ? user : "",
		    pg_oneline(PQerrorMessage(st->conn), line, sizeof(line)));
	}
	PQclear(last);
	st->broken = 1;
	return NULL;
}

/* pg_run for statements whose result is not needed. */
static int
pg_cmd(struct odin_store *st, const char *what, const char *user,
    const char *sql, int n, const char *const *vals)
{
	PGresult *res;
	int rc;

	res = pg_run(st, what, user, sql, n, vals, &rc);
	PQclear(res);
	return rc;
}

/* ---- connecting ----------------------------------------------------------- */

/* The password: the first line of a root-only file, checked like the key file. */
static int
pg_read_password(const char *path, char *out, size_t outsz)
{
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd, rc = ODIN_OK;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		odin_log(LOG_ERR, "pg_password_file %s: cannot open: %s", path,
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
		return errno == ELOOP ? ODIN_EUNSAFE : ODIN_EIO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != 0 ||
	    (sb.st_mode & 077) != 0) {
		odin_log(LOG_ERR, "pg_password_file %s: must be a regular file owned by root, mode 0600 or 0400",
		    path);
		rc = ODIN_EUNSAFE;
	}
	while (rc == ODIN_OK && len < outsz - 1) {
		n = read(fd, out + len, outsz - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = ODIN_EIO;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);
	out[len] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (rc == ODIN_OK && out[0] == '\0') {
		odin_log(LOG_ERR, "pg_password_file %s: empty", path);
		rc = ODIN_ECORRUPT;
	}
	if (rc != ODIN_OK)
		odin_wipe(out, outsz);
	return rc;
}

static const char *const pg_pinned[][2] = {
	/* parameters that get a value of ours if neither conninfo nor compiled default sets one */
	{ "passfile", "/nonexistent/odin-mfa-no-pgpass" },
	{ "application_name", "odin-mfa" },
	{ "client_encoding", "SQL_ASCII" },
};

static const char *
pg_pin(const char *kw)
{
	size_t i;

	for (i = 0; i < sizeof(pg_pinned) / sizeof(pg_pinned[0]); i++)
		if (strcmp(pg_pinned[i][0], kw) == 0)
			return pg_pinned[i][1];
	return NULL;
}

static int
pg_add(const char **kw, const char **val, int *n, const char *k, const char *v)
{
	int i;

	for (i = 0; i < *n; i++) {
		if (strcmp(kw[i], k) == 0) {
			val[i] = v;
			return 0;
		}
	}
	if (*n >= PG_PARAMS_MAX - 1)
		return -1;
	kw[*n] = k;
	val[*n] = v;
	(*n)++;
	return 0;
}

static void pg_close(struct odin_store *st);

static const char *const pg_env_refused[] = { "PGLOCALEDIR", "PGSYSCONFDIR", "PGSERVICEFILE", NULL };

/* Server notices (e.g. "already exists, skipping") must not reach a login terminal. */
static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
pg_open_config(const struct odin_config *cfg, struct odin_store **out)
{
	const char *kw[PG_PARAMS_MAX], *val[PG_PARAMS_MAX];
	PQconninfoOption *given = NULL, *defs = NULL, *o;
	char password[PG_PASSWORD_MAX], ctimeout[16], stimeout[32], ltimeout[32], idle[32], line[256];
	const char *sslmode = NULL, *sslrootcert = NULL, *options = NULL, *p;
	char opts[PG_OPTIONS_MAX];
	struct odin_store *st;
	char *err = NULL;
	int n = 0, rc;
	size_t e;

	*out = NULL;
	password[0] = '\0';
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return ODIN_ENOMEM;
	st->base.ops = &pg_ops;
	st->timeout = cfg->pg_statement_timeout > 0 ? cfg->pg_statement_timeout : 5;
	st->server = cfg->pg_verify == ODIN_PG_VERIFY_SERVER;
	st->base.verifies = st->server;
	(void)snprintf(st->policy[0], sizeof(st->policy[0]), "%u", cfg->max_failures);
	(void)snprintf(st->policy[1], sizeof(st->policy[1]), "%u", cfg->lockout_seconds);
	(void)snprintf(st->policy[2], sizeof(st->policy[2]), "%u",
	    cfg->lockout_max_seconds > cfg->lockout_seconds ? cfg->lockout_max_seconds : cfg->lockout_seconds);
	(void)snprintf(st->policy[3], sizeof(st->policy[3]), "%u", cfg->window);

	given = PQconninfoParse(cfg->pg_conninfo, &err);
	if (given == NULL) {
		/* libpq's message may quote the string, and the string may hold a password */
		odin_log(LOG_ERR, "pg_conninfo: not a valid libpq connection string");
		PQfreemem(err);
		rc = ODIN_EINVAL;
		goto fail;
	}
	if ((defs = PQconndefaults()) == NULL) {
		rc = ODIN_ENOMEM;
		goto fail;
	}
	for (o = given; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "sslmode") == 0)
			sslmode = o->val;
		if (strcmp(o->keyword, "sslrootcert") == 0)
			sslrootcert = o->val;
		if (strcmp(o->keyword, "options") == 0)
			options = o->val;
		if (pg_add(kw, val, &n, o->keyword, o->val) != 0)
			goto toomany;
	}
	/* What the environment would fill in: pin it back or refuse. */
	for (o = defs; o->keyword != NULL; o++) {
		int i, set = 0;

		for (i = 0; i < n; i++)
			if (strcmp(kw[i], o->keyword) == 0)
				set = 1;
		if (set)
			continue;
		if ((p = pg_pin(o->keyword)) != NULL) {
			if (pg_add(kw, val, &n, o->keyword, p) != 0)
				goto toomany;
			continue;
		}
		if (o->envvar == NULL || getenv(o->envvar) == NULL)
			continue;
		if (o->compiled != NULL && o->compiled[0] != '\0') {
			if (pg_add(kw, val, &n, o->keyword, o->compiled) != 0)
				goto toomany;
			continue;
		}
		odin_log(LOG_ERR, "postgresql: environment variable %s is set and pg_conninfo does not set %s: refusing to connect",
		    o->envvar, o->keyword);
		rc = ODIN_EUNSAFE;
		goto fail;
	}
	/*
	 * Variables libpq reads that are no connection parameter: where its
	 * message catalogs come from (a crafted one would hand format strings
	 * to libpq's error messages inside a setuid or root process), and
	 * where service files are looked for.  Never the caller's to choose.
	 */
	for (e = 0; pg_env_refused[e] != NULL; e++) {
		if (getenv(pg_env_refused[e]) != NULL) {
			odin_log(LOG_ERR, "postgresql: environment variable %s is set: refusing to connect",
			    pg_env_refused[e]);
			rc = ODIN_EUNSAFE;
			goto fail;
		}
	}
	if (sslmode != NULL && strncmp(sslmode, "verify", 6) == 0 && sslrootcert == NULL) {
		odin_log(LOG_ERR, "pg_conninfo: sslmode=%s needs sslrootcert=FILE (the default lives in $HOME)",
		    sslmode);
		rc = ODIN_EINVAL;
		goto fail;
	}
	if (cfg->pg_password_file[0] != '\0') {
		if ((rc = pg_read_password(cfg->pg_password_file, password, sizeof(password))) != ODIN_OK)
			goto fail;
		if (pg_add(kw, val, &n, "password", password) != 0)
			goto toomany;
	}
	(void)snprintf(ctimeout, sizeof(ctimeout), "%u", cfg->pg_connect_timeout > 0 ?
	    cfg->pg_connect_timeout : 5);
	if (pg_add(kw, val, &n, "connect_timeout", ctimeout) != 0)
		goto toomany;
	/*
	 * The session's limits travel with the connection request (no round
	 * trip of their own), after any options pg_conninfo gives, so they
	 * win.  A row another login holds is waited for a little less than a
	 * statement may take, so that waiting too long ends as a lock timeout
	 * (ODIN_ELOCK, "busy") and not as a cancelled statement (an I/O
	 * error); a host that dies inside a transaction must not hold a row
	 * lock for long.  In server mode one statement (odin_srv_login) may
	 * wait for the row twice, in the submit and in the collect: half as
	 * long each.
	 */
	(void)snprintf(stimeout, sizeof(stimeout), "%us", st->timeout);
	(void)snprintf(ltimeout, sizeof(ltimeout), "%ums", PG_LOCK_TIMEOUT_MS(st->timeout, st->server));
	(void)snprintf(idle, sizeof(idle), "%us", 4 * st->timeout + 10);
	if (snprintf(opts, sizeof(opts), "%s%s-c statement_timeout=%s -c lock_timeout=%s"
	    " -c idle_in_transaction_session_timeout=%s", options != NULL ? options : "",
	    options != NULL ? " " : "", stimeout, ltimeout, idle) >= (int)sizeof(opts)) {
		odin_log(LOG_ERR, "pg_conninfo: options too long");
		rc = ODIN_EINVAL;
		goto fail;
	}
	if (pg_add(kw, val, &n, "options", opts) != 0)
		goto toomany;
	kw[n] = NULL;
	val[n] = NULL;

	st->conn = PQconnectdbParams(kw, val, 0);
	odin_wipe(password, sizeof(password));
	if (st->conn == NULL) {
		rc = ODIN_ENOMEM;
		goto fail;
	}
	if (PQstatus(st->conn) != CONNECTION_OK) {
		odin_log(LOG_ERR, "postgresql: cannot connect: %s%s",
		    pg_oneline(PQerrorMessage(st->conn), line, sizeof(line)),
		    strstr(PQerrorMessage(st->conn), "unsupported startup parameter") != NULL ?
		    " (a pooler: it must ignore the startup parameter options; odin-mfa.conf(5), POOLERS)" : "");
		rc = ODIN_EIO;
		goto fail;
	}
	(void)PQsetNoticeProcessor(st->conn, pg_notice, NULL);
	if (PQsetnonblocking(st->conn, 1) != 0) {
		rc = ODIN_EIO;
		goto fail;
	}
	PQconninfoFree(given);
	PQconninfoFree(defs);
	*out = st;
	return ODIN_OK;

toomany:
	odin_log(LOG_ERR, "pg_conninfo: too many parameters");
	rc = ODIN_EINVAL;
fail:
	odin_wipe(password, sizeof(password));
	PQconninfoFree(given);	/* may hold a password: libpq frees, we cannot wipe it */
	PQconninfoFree(defs);
	pg_close(st);
	return rc;
}

static int
pg_open(const char *where, struct odin_store **st)
{
	(void)where;
	*st = NULL;
	odin_log(LOG_ERR, "postgresql: open it with odin_store_open_config()");
	return ODIN_EINVAL;
}

static void
pg_close(struct odin_store *st)
{
	if (st == NULL)
		return;
	if (st->conn != NULL)
		PQfinish(st->conn);
	odin_secure_free(st->snap);
	odin_wipe(st, sizeof(*st));
	free(st);
}

/* The snapshot kept for a settle (odin_store_snapshot), dropped and wiped. */
static void
pg_drop_snapshot(struct odin_store *st)
{
	st->snap_ok = 0;
	if (st->snap != NULL)
		odin_record_wipe(st->snap);
}

/* ---- rows and records ----------------------------------------------------- */

/* Appends "key value\n"; value must not contain a line break (a tampered row could add keys). */
static int
pg_put(char *buf, size_t *off, const char *key, const char *value)
{
	int w;

	if (value == NULL || strpbrk(value, "\n\r") != NULL)
		return -1;
	w = snprintf(buf + *off, ODIN_RECORD_MAX - *off, "%s%s%s\n", key, key[0] != '\0' ? " " : "", value);
	if (w < 0 || (size_t)w >= ODIN_RECORD_MAX - *off)
		return -1;
	*off += (size_t)w;
	return 0;
}

#define PG_COLUMNS_WITH(secret, backup) \
	"mfa_enabled, " secret ", algorithm, digits, period, last_step, failures," \
	" lockout_until, lockout_count, backup_kdf, backup_iter, encode(backup_salt, 'hex')," \
	" created, updated, " backup ", bypass, " PG_TOKEN_NO_PROOF("")
#define PG_BACKUP_CODES \
	"(SELECT string_agg(encode(b.hash, 'hex'), ',' ORDER BY b.idx) FROM backup_codes b" \
	"  WHERE b.user_name = u.user_name)"
#define PG_COLUMNS(secret) PG_COLUMNS_WITH(secret, PG_BACKUP_CODES)
#define PG_SELECT_COLUMNS PG_COLUMNS("mfa_secret")
/* a login's read before the prompt: the same row, without the second table (no backup codes) */
#define PG_SELECT_COLUMNS_NO_BACKUP PG_COLUMNS_WITH("mfa_secret", "NULL::text")
/*
 * pg_verify = server, the owner's read: an 18th column, the secret as the
 * database opens its own seal (pg_row_to_record), beside the sealed text.
 */
#define PG_SELECT_COLUMNS_SRV PG_SELECT_COLUMNS ", CASE WHEN mfa_secret LIKE 'srv1:%' THEN" \
	" pg_catalog.encode(odin_srv_open(user_name, mfa_secret), 'hex') END"

/*
 * Turns row 0 of res into the record text and parses it strictly.
 * ODIN_OK, ODIN_ECORRUPT or ODIN_ECRYPTO (logged).
 */
static int
pg_row_to_record(struct odin_txn *t, const PGresult *res, struct odin_record *rec)
{
	char buf[ODIN_RECORD_MAX];
	char kdf[ODIN_RECORD_LINE_MAX];
	char clear[2 * ODIN_SECRET_MAX];
	const char *v, *secret, *hashes;
	size_t off = 0;
	int rc = ODIN_ECORRUPT, bad = 0;

	odin_record_wipe(rec);
	if (PQnfields(res) != (t->st->server ? 18 : 17))
		goto out;
	secret = PQgetisnull(res, 0, 1) ? "-" : PQgetvalue(res, 0, 1);
	t->reseal = t->st->server && strncmp(secret, "enc1:", 5) == 0;
	if (t->st->server && strncmp(secret, "srv1:", 5) == 0) {
		/* pg_verify = server: opened by the database (odin_srv_open), for the owner only */
		const char *hx = PQgetisnull(res, 0, 17) ? "" : PQgetvalue(res, 0, 17);
		uint8_t raw[ODIN_SECRET_MAX];
		size_t n = strlen(hx) / 2;

		if (n == 0 || n > sizeof(raw) || strlen(hx) != 2 * n ||
		    odin_base16_decode(hx, 2 * n, raw, n) != ODIN_OK ||
		    odin_base32_encode(raw, n, clear, sizeof(clear)) != ODIN_OK) {
			odin_wipe(raw, sizeof(raw));
			goto out;
		}
		odin_wipe(raw, sizeof(raw));
		secret = clear;
	} else if (strcmp(secret, "-") != 0 && !odin_sealed(secret, strlen(secret))) {
		odin_log(LOG_ERR, "postgresql: the secret of %s is not encrypted: refused", t->user);
		goto out;
	}
	bad |= pg_put(buf, &off, "", "odin-mfa-record 1");
	bad |= pg_put(buf, &off, "state", strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? "enabled" : "pending");
	bad |= pg_put(buf, &off, "secret", secret);
	bad |= pg_put(buf, &off, "algorithm", PQgetvalue(res, 0, 2));
	bad |= pg_put(buf, &off, "digits", PQgetvalue(res, 0, 3));
	bad |= pg_put(buf, &off, "period", PQgetvalue(res, 0, 4));
	bad |= pg_put(buf, &off, "last_step", PQgetvalue(res, 0, 5));
	bad |= pg_put(buf, &off, "failures", PQgetvalue(res, 0, 6));
	bad |= pg_put(buf, &off, "lockout_until", PQgetvalue(res, 0, 7));
	bad |= pg_put(buf, &off, "lockout_count", PQgetvalue(res, 0, 8));
	if (strcmp(PQgetvalue(res, 0, 9), "none") == 0)
		(void)snprintf(kdf, sizeof(kdf), "none");
	else if (snprintf(kdf, sizeof(kdf), "%s %s %s", PQgetvalue(res, 0, 9),
	    PQgetvalue(res, 0, 10), PQgetisnull(res, 0, 11) ? "" : PQgetvalue(res, 0, 11)) >=
	    (int)sizeof(kdf))
		bad = -1;
	bad |= pg_put(buf, &off, "backup_kdf", kdf);
	if (!PQgetisnull(res, 0, 14)) {
		char h[2 * ODIN_BACKUP_HASH_LEN + 1];
		size_t i, len;

		hashes = PQgetvalue(res, 0, 14);
		for (v = hashes; *v != '\0'; v += len + (v[len] == ',')) {
			len = strcspn(v, ",");
			if (len >= sizeof(h)) {
				bad = -1;
				break;
			}
			for (i = 0; i < len; i++)
				h[i] = v[i];
			h[len] = '\0';
			bad |= pg_put(buf, &off, "backup", h);
		}
	}
	bad |= pg_put(buf, &off, "created", PQgetvalue(res, 0, 12));
	bad |= pg_put(buf, &off, "updated", PQgetvalue(res, 0, 13));
	if (!PQgetisnull(res, 0, 15))
		bad |= pg_put(buf, &off, "bypass", PQgetvalue(res, 0, 15));
	if (!PQgetisnull(res, 0, 16))
		bad |= pg_put(buf, &off, "enroll_token", PQgetvalue(res, 0, 16));
	bad |= pg_put(buf, &off, "", "end");
	if (bad)
		goto out;
	rc = odin_record_parse_key(buf, off, rec, t->st->base.key, t->user);
out:
	if (rc == ODIN_ECRYPTO)
		odin_log(LOG_ERR, "postgresql: the secret of %s does not decrypt (wrong secret_key_file, or a row copied from another user)",
		    t->user);
	else if (rc == ODIN_EIO)	/* crypt.c said why */
		odin_log(LOG_ERR, "postgresql: cannot open the secret of %s now", t->user);
	else if (rc != ODIN_OK)
		odin_log(LOG_ERR, "postgresql: the row of %s is corrupt", t->user);
	odin_wipe(buf, sizeof(buf));
	odin_wipe(kdf, sizeof(kdf));
	odin_wipe(clear, sizeof(clear));
	if (rc != ODIN_OK)
		odin_record_wipe(rec);
	return rc;
}

/* ---- the transaction ----------------------------------------------------- */

static int
pg_begin(struct odin_txn *t)
{
	const char *v[1] = { t->user };
	int rc;

	if ((rc = pg_cmd(t->st, "begin", t->user, "BEGIN", 0, NULL)) != ODIN_OK)
		return rc;
	t->open = 1;
	rc = pg_cmd(t->st, "lock", t->user,
	    "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('odin-mfa:' || $1::text,"
	    " 0::bigint))", 1, v);
	if (rc != ODIN_OK) {
		(void)pg_cmd(t->st, "rollback", t->user, "ROLLBACK", 0, NULL);
		t->open = 0;
	}
	return rc;
}

static void
pg_end(struct odin_txn *t, const char *sql)
{
	if (t->open) {
		(void)pg_cmd(t->st, sql[0] == 'C' ? "commit" : "rollback", t->user, sql, 0, NULL);
		t->open = 0;
	}
}

/*
 * 1 if a statement failed where odin_srv_open() could not open a seal:
 * its own exception (P0001: sealed for another user), pgcrypto's (39xxx:
 * wrong key or corrupt data), or a sealed text that is not hex (22023).
 */
static int
pg_seal_failed(const char *state)
{
	return strcmp(state, "P0001") == 0 || strncmp(state, "39", 2) == 0 ||
	    strcmp(state, "22023") == 0;
}

static int
pg_lock(struct odin_store *st, const char *user, int flags,
    struct odin_txn **txn, struct odin_record *rec)
{
	const char *v[1];
	struct odin_txn *t;
	PGresult *res = NULL;
	int rc;

	*txn = NULL;
	odin_record_wipe(rec);
	pg_drop_snapshot(st);	/* what this lock may change, a later settle reads again */
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ODIN_ENOMEM;
	t->base.ops = &pg_ops;
	t->st = st;
	(void)snprintf(t->user, sizeof(t->user), "%s", user);
	v[0] = t->user;
	if ((t->was = odin_secure_alloc(sizeof(*t->was))) == NULL) {
		rc = ODIN_ENOMEM;
		goto fail;
	}
	if ((rc = pg_begin(t)) != ODIN_OK)
		goto fail;
	res = pg_run(st, "read", user,
	    st->server ? "SELECT " PG_SELECT_COLUMNS_SRV " FROM users u WHERE user_name = $1 FOR UPDATE" :
	    "SELECT " PG_SELECT_COLUMNS " FROM users u WHERE user_name = $1 FOR UPDATE", 1, v, &rc);
	if (res == NULL && st->server && (flags & ODIN_LOCK_EVEN_CORRUPT) != 0 && !st->broken &&
	    PQstatus(st->conn) == CONNECTION_OK && pg_seal_failed(st->failed_state)) {
		/*
		 * The database cannot open the row's seal (another user's, a
		 * dump restored without its odin_server_key, tampered): locked
		 * for deletion all the same (admin disable, the recovery),
		 * read without opening it, so it is ODIN_ECORRUPT below.
		 */
		pg_end(t, "ROLLBACK");
		if ((rc = pg_begin(t)) != ODIN_OK)
			goto fail;
		res = pg_run(st, "read", user, "SELECT " PG_SELECT_COLUMNS ", NULL::text"
		    " FROM users u WHERE user_name = $1 FOR UPDATE", 1, v, &rc);
	}
	if (res == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		rc = ODIN_ENOENT;
		if ((flags & ODIN_LOCK_IF_EXISTS) != 0)
			goto fail;
		PQclear(res);
		*txn = t;
		return rc;
	}
	if ((rc = pg_row_to_record(t, res, rec)) != ODIN_OK) {
		if ((rc == ODIN_ECORRUPT || rc == ODIN_ECRYPTO) &&
		    (flags & ODIN_LOCK_EVEN_CORRUPT) != 0) {
			/* locked for deletion only (store.h) */
			PQclear(res);
			odin_record_wipe(rec);
			*txn = t;
			return rc;
		}
		goto fail;
	}
	/* the seal, kept: a save that leaves the secret as it is keeps it too (pg_save) */
	if (!PQgetisnull(res, 0, 1)) {
		size_t n = strlen(PQgetvalue(res, 0, 1));

		if (n < sizeof(t->was_sealed))
			memcpy(t->was_sealed, PQgetvalue(res, 0, 1), n + 1);
	}
	PQclear(res);
	*t->was = *rec;
	t->had = 1;
	*txn = t;
	return ODIN_OK;
fail:
	PQclear(res);
	pg_end(t, "ROLLBACK");
	odin_secure_free(t->was);
	odin_wipe(t, sizeof(*t));
	free(t);
	odin_record_wipe(rec);
	return rc;
}

/*
 * pg_verify = server: the row as odin_srv_info() gives it, redacted
 * (store.h, odin_store_verifies): the secret and every hash are random
 * bytes made here for this read, so that nothing judged on them can match.
 */
static int
pg_peek_redacted(struct odin_store *st, const char *user, struct odin_record *rec)
{
	char buf[ODIN_RECORD_MAX], line[ODIN_RECORD_LINE_MAX], hex[2 * ODIN_BACKUP_HASH_LEN + 1];
	char b32[2 * ODIN_SECRET_MAX];
	uint8_t rnd[ODIN_BACKUP_HASH_LEN];
	const char *v[1] = { user };
	PGresult *res;
	size_t off = 0;
	int rc, bad = 0, i, n, enabled;

	res = pg_run(st, "read", user, "SELECT * FROM odin_srv_info($1::text)", 1, v, &rc);
	if (res == NULL)
		return rc;
	if (PQntuples(res) != 1 || PQnfields(res) != 16) {
		PQclear(res);
		odin_log(LOG_ERR, "postgresql: read for %s: odin_srv_info() answered out of shape", user);
		return ODIN_EIO;
	}
	if (PQgetisnull(res, 0, 0)) {	/* no such row */
		PQclear(res);
		return ODIN_ENOENT;
	}
	enabled = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	rc = ODIN_ECRYPTO;
	if (odin_random(rnd, ODIN_SECRET_DEFAULT) != ODIN_OK ||
	    odin_base32_encode(rnd, ODIN_SECRET_DEFAULT, b32, sizeof(b32)) != ODIN_OK)
		goto out;
	bad |= pg_put(buf, &off, "", "odin-mfa-record 1");
	bad |= pg_put(buf, &off, "state", enabled ? "enabled" : "pending");
	bad |= pg_put(buf, &off, "secret", enabled ? b32 : "-");
	bad |= pg_put(buf, &off, "algorithm", PQgetvalue(res, 0, 1));
	bad |= pg_put(buf, &off, "digits", PQgetvalue(res, 0, 2));
	bad |= pg_put(buf, &off, "period", PQgetvalue(res, 0, 3));
	bad |= pg_put(buf, &off, "last_step", PQgetvalue(res, 0, 4));
	bad |= pg_put(buf, &off, "failures", PQgetvalue(res, 0, 5));
	bad |= pg_put(buf, &off, "lockout_until", PQgetvalue(res, 0, 6));
	bad |= pg_put(buf, &off, "lockout_count", PQgetvalue(res, 0, 7));
	if (strcmp(PQgetvalue(res, 0, 8), "none") == 0)
		(void)snprintf(line, sizeof(line), "none");
	else if (snprintf(line, sizeof(line), "%s %s %s", PQgetvalue(res, 0, 8), PQgetvalue(res, 0, 9),
	    PQgetisnull(res, 0, 10) ? "" : PQgetvalue(res, 0, 10)) >= (int)sizeof(line))
		bad = -1;
	bad |= pg_put(buf, &off, "backup_kdf", line);
	n = atoi(PQgetvalue(res, 0, 13));
	for (i = 0; i < n && i < ODIN_BACKUP_MAX && !bad; i++) {
		if (odin_random(rnd, sizeof(rnd)) != ODIN_OK)
			goto out;
		odin_base16_encode(rnd, sizeof(rnd), hex);
		bad |= pg_put(buf, &off, "backup", hex);
	}
	bad |= pg_put(buf, &off, "created", PQgetvalue(res, 0, 11));
	bad |= pg_put(buf, &off, "updated", PQgetvalue(res, 0, 12));
	/* bypass "USES EXPIRES ISSUED SALT", token "active EXPIRES ISSUED SALT" or "spent ISSUED" */
	for (i = 14; i <= 15 && !bad; i++) {
		const char *f = PQgetvalue(res, 0, i);

		if (PQgetisnull(res, 0, i))
			continue;
		if (odin_random(rnd, sizeof(rnd)) != ODIN_OK)
			goto out;
		odin_base16_encode(rnd, sizeof(rnd), hex);
		if (i == 15 && strncmp(f, "spent ", 6) == 0)
			(void)snprintf(line, sizeof(line), "%s", f);
		else if (snprintf(line, sizeof(line), "%s %s", f, hex) >= (int)sizeof(line))
			bad = -1;
		bad |= pg_put(buf, &off, i == 14 ? "bypass" : "enroll_token", line);
	}
	bad |= pg_put(buf, &off, "", "end");
	rc = bad ? ODIN_ECORRUPT : odin_record_parse_key(buf, off, rec, NULL, user);
	if (rc != ODIN_OK)
		odin_log(LOG_ERR, "postgresql: the row of %s is corrupt", user);
out:
	PQclear(res);
	odin_wipe(buf, sizeof(buf));
	odin_wipe(b32, sizeof(b32));
	odin_wipe(rnd, sizeof(rnd));
	if (rc != ODIN_OK)
		odin_record_wipe(rec);
	return rc;
}

/*
 * Keeps a row just read (PG_SELECT_COLUMNS) for the settle of a login:
 * the record, and the columns as the row has them that the settle holds
 * it to (no secret: "", which no row's secret equals).  A row whose
 * columns do not fit is not kept: its settle refuses.
 */
static void
pg_keep_snapshot(struct odin_store *st, const char *user, const PGresult *res,
    const struct odin_record *rec)
{
	static const int col[3] = { 2, 3, 4 };	/* algorithm, digits, period */
	int i;

	pg_drop_snapshot(st);
	if (strlen(PQgetvalue(res, 0, 1)) >= sizeof(st->snap_sealed))	/* "" if NULL */
		return;
	for (i = 0; i < 3; i++)
		if (PQgetisnull(res, 0, col[i]) ||
		    strlen(PQgetvalue(res, 0, col[i])) >= sizeof(st->snap_param[i]))
			return;
	if (st->snap == NULL && (st->snap = odin_secure_alloc(sizeof(*st->snap))) == NULL)
		return;
	*st->snap = *rec;
	(void)snprintf(st->snap_user, sizeof(st->snap_user), "%s", user);
	(void)snprintf(st->snap_sealed, sizeof(st->snap_sealed), "%s", PQgetvalue(res, 0, 1));
	for (i = 0; i < 3; i++)
		(void)snprintf(st->snap_param[i], sizeof(st->snap_param[i]), "%s",
		    PQgetvalue(res, 0, col[i]));
	st->snap_ok = 1;
}

/*
 * One plain SELECT, no transaction, no row lock (store.h: odin_store_peek);
 * snapshot: odin_store_snapshot's read, kept; with PG_ROW_FRESH whole,
 * else without the backup codes.
 */
#define PG_ROW_PEEK 0
#define PG_ROW_SNAPSHOT 1
#define PG_ROW_FRESH 2
static int
pg_read_row(struct odin_store *st, const char *user, int how, struct odin_record *rec)
{
	const char *v[1];
	struct odin_txn *t;
	PGresult *res;
	int rc;

	odin_record_wipe(rec);
	pg_drop_snapshot(st);
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	if (st->server)
		return pg_peek_redacted(st, user, rec);
	/* pg_row_to_record() reads the store and the user from a txn */
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ODIN_ENOMEM;
	t->base.ops = st->base.ops;
	t->st = st;
	(void)snprintf(t->user, sizeof(t->user), "%s", user);
	v[0] = t->user;
	res = pg_run(st, "read", user, how != PG_ROW_SNAPSHOT ?
	    "SELECT " PG_SELECT_COLUMNS " FROM users u WHERE user_name = $1" :
	    "SELECT " PG_SELECT_COLUMNS_NO_BACKUP " FROM users u WHERE user_name = $1", 1, v, &rc);
	if (res != NULL) {
		rc = PQntuples(res) == 0 ? ODIN_ENOENT : pg_row_to_record(t, res, rec);
		if (rc == ODIN_OK && how != PG_ROW_PEEK)
			pg_keep_snapshot(st, t->user, res, rec);
		PQclear(res);
	}
	odin_wipe(t, sizeof(*t));
	free(t);
	if (rc != ODIN_OK)
		odin_record_wipe(rec);
	return rc;
}

static int
pg_peek(struct odin_store *st, const char *user, struct odin_record *rec)
{
	return pg_read_row(st, user, PG_ROW_PEEK, rec);
}

/*
 * store.h odin_store_snapshot: what the last snapshot of user kept (the
 * read before the prompt, without the backup codes), else a new read,
 * kept; ODIN_SNAP_FRESH: always a new read, whole (host-key mode).
 */
static int
pg_snapshot(struct odin_store *st, const char *user, unsigned flags, struct odin_record *rec)
{
	if ((flags & ODIN_SNAP_FRESH) == 0 && !st->server && st->snap_ok &&
	    strcmp(st->snap_user, user) == 0) {
		*rec = *st->snap;
		return ODIN_OK;
	}
	return pg_read_row(st, user, (flags & ODIN_SNAP_FRESH) != 0 ? PG_ROW_FRESH : PG_ROW_SNAPSHOT,
	    rec);
}

/*
 * What a save changes, against the row as locked (t->was), decides the
 * statement -- the narrowest one that does it, so that a host's role
 * (pg_privileges_sql) can do what a login needs and nothing more:
 *   STATE        only the login state, and backup codes used: an UPDATE of
 *                those columns and a DELETE of the used codes;
 *   BYPASS_USE   that, and one use of the bypass code: odin_bypass_use();
 *   TOKEN_SPENT  that, and the enrollment token spent: odin_token_spend();
 *   ENROLL       an enabled record without bypass code or token where there
 *                was no row or a pending one without an active token:
 *                odin_enroll();
 *   ALL          anything else (the owner's: a new secret on an enabled
 *                row, force-enable, a bypass code issued, ...): an UPSERT
 *                and the backup codes rewritten.
 */
enum pg_change { PG_CHANGE_ALL, PG_CHANGE_STATE, PG_CHANGE_BYPASS_USE, PG_CHANGE_TOKEN_SPENT,
	PG_CHANGE_ENROLL };

/* 1 if a and b agree on all that only enrollment, import and the admin change. */
static int
pg_same_core(const struct odin_record *a, const struct odin_record *b)
{
	if (a->state != b->state || a->secret_len != b->secret_len || a->alg != b->alg ||
	    a->digits != b->digits || a->period != b->period || a->backup_iter != b->backup_iter ||
	    a->created != b->created || a->secret_len > sizeof(a->secret))
		return 0;
	return odin_ct_equal(a->secret, b->secret, a->secret_len) &
	    odin_ct_equal(a->backup_salt, b->backup_salt, sizeof(a->backup_salt));
}

/* 1 if next's backup hashes are was's with none or some removed, in order. */
static int
pg_backup_used(const struct odin_record *was, const struct odin_record *next)
{
	unsigned i, j = 0;

	if (next->nbackup > was->nbackup || was->nbackup > ODIN_BACKUP_MAX)
		return 0;
	for (i = 0; i < was->nbackup && j < next->nbackup; i++)
		if (memcmp(was->backup[i], next->backup[j], ODIN_BACKUP_HASH_LEN) == 0)
			j++;
	return j == next->nbackup;
}

static enum pg_change
pg_classify(const struct odin_txn *t, const struct odin_record *next)
{
	const struct odin_record *was = t->was;
	int bypass_same, token_same;

	if ((!t->had || (was->state == ODIN_STATE_PENDING && was->token != ODIN_TOKEN_ACTIVE)) &&
	    next->state == ODIN_STATE_ENABLED && next->bypass_uses == 0 &&
	    next->token == ODIN_TOKEN_NONE)
		return PG_CHANGE_ENROLL;
	if (!t->had || t->reseal || !pg_same_core(was, next) || !pg_backup_used(was, next))
		return PG_CHANGE_ALL;	/* (reseal: the database seals it anew, pg_seal) */
	bypass_same = odin_record_bypass_same(was, next);
	token_same = odin_record_token_same(was, next);
	if (bypass_same && token_same)
		return PG_CHANGE_STATE;
	if (token_same && was->bypass_uses > 0 && next->bypass_uses == was->bypass_uses - 1 &&
	    (next->bypass_uses == 0 || (next->bypass_expires == was->bypass_expires &&
	    next->bypass_issued == was->bypass_issued &&
	    memcmp(&next->bypass, &was->bypass, sizeof(next->bypass)) == 0)))
		return PG_CHANGE_BYPASS_USE;
	if (bypass_same && was->token == ODIN_TOKEN_ACTIVE && next->token == ODIN_TOKEN_SPENT &&
	    next->token_issued == was->token_issued)
		return PG_CHANGE_TOKEN_SPENT;
	return PG_CHANGE_ALL;
}

/* Hex hashes joined by ',' into out (ODIN_BACKUP_MAX * 65 + 1 bytes): n of them from h. */
static void
pg_hashes(const uint8_t (*h)[ODIN_BACKUP_HASH_LEN], unsigned n, char *out)
{
	size_t off = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			out[off++] = ',';
		odin_base16_encode(h[i], ODIN_BACKUP_HASH_LEN, out + off);
		off += 2 * ODIN_BACKUP_HASH_LEN;
	}
	out[off] = '\0';
}

/* A function of pg_privileges_sql that answers true or false; false is ODIN_EPERM, logged. */
static int
pg_call(struct odin_store *st, const char *what, const char *user, const char *sql, int n,
    const char *const *vals)
{
	PGresult *res;
	int rc;

	if ((res = pg_run(st, what, user, sql, n, vals, &rc)) == NULL)
		return rc;
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		odin_log(LOG_ERR, "postgresql: %s for %s: refused by the database (the row is not as read)",
		    what, user);
		rc = ODIN_EPERM;
	}
	PQclear(res);
	return rc;
}

/* The login state of rec into the row, and the backup codes it no longer has deleted. */
static int
pg_save_state(struct odin_txn *t, const struct odin_record *rec)
{
	char nums[5][24], gone[ODIN_BACKUP_MAX * (2 * ODIN_BACKUP_HASH_LEN + 1) + 1];
	uint8_t used[ODIN_BACKUP_MAX][ODIN_BACKUP_HASH_LEN];
	const char *v[6];
	unsigned i, j = 0, n = 0;
	int rc;

	(void)snprintf(nums[0], sizeof(nums[0]), "%" PRId64, rec->last_step);
	(void)snprintf(nums[1], sizeof(nums[1]), "%u", rec->failures);
	(void)snprintf(nums[2], sizeof(nums[2]), "%" PRId64, rec->lockout_until);
	(void)snprintf(nums[3], sizeof(nums[3]), "%u", rec->lockout_count);
	(void)snprintf(nums[4], sizeof(nums[4]), "%" PRId64, rec->updated);
	v[0] = t->user;
	for (i = 0; i < 5; i++)
		v[i + 1] = nums[i];
	rc = pg_cmd(t->st, "save login state", t->user,
	    "UPDATE users SET last_step = $2, failures = $3, lockout_until = $4, lockout_count = $5,"
	    " updated = $6 WHERE user_name = $1", 6, v);
	if (rc != ODIN_OK)
		return rc;
	/* pg_backup_used(): rec's codes are t->was's in order, some left out */
	for (i = 0; i < t->was->nbackup; i++) {
		if (j < rec->nbackup && memcmp(t->was->backup[i], rec->backup[j], ODIN_BACKUP_HASH_LEN) == 0)
			j++;
		else
			memcpy(used[n++], t->was->backup[i], ODIN_BACKUP_HASH_LEN);
	}
	if (n == 0)
		return ODIN_OK;
	pg_hashes((const uint8_t (*)[ODIN_BACKUP_HASH_LEN])used, n, gone);
	v[1] = gone;
	rc = pg_cmd(t->st, "save login state", t->user,
	    "DELETE FROM backup_codes WHERE user_name = $1::text AND hash IN"
	    " (SELECT pg_catalog.decode(h, 'hex') FROM pg_catalog.unnest("
	    "pg_catalog.string_to_array($2::text, ',')) AS x(h))", 2, v);
	odin_wipe(used, sizeof(used));
	odin_wipe(gone, sizeof(gone));
	return rc;
}

/*
 * rec's secret sealed for the row: with secret_key_file on the host, or
 * (pg_verify = server) by the database, odin_srv_seal().
 */
static int
pg_seal(struct odin_txn *t, const struct odin_record *rec, char *out, size_t outsz)
{
	char hex[2 * ODIN_SECRET_MAX + 1];
	const char *v[2] = { t->user, hex };
	PGresult *res;
	int rc;

	if (!t->st->server)
		return odin_seal(t->st->base.key, t->user, rec->secret, rec->secret_len, out, outsz);
	if (rec->secret_len > ODIN_SECRET_MAX)
		return ODIN_EINVAL;
	odin_base16_encode(rec->secret, rec->secret_len, hex);
	res = pg_run(t->st, "seal", t->user,
	    "SELECT odin_srv_seal($1::text, pg_catalog.decode($2::text, 'hex'))", 2, v, &rc);
	odin_wipe(hex, sizeof(hex));
	if (res == NULL)
		return rc;
	rc = ODIN_EIO;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) &&
	    snprintf(out, outsz, "%s", PQgetvalue(res, 0, 0)) < (int)outsz)
		rc = ODIN_OK;
	PQclear(res);
	return rc;
}

/* Every statement is committed before it returns: ODIN_SAVE_ATTEMPT changes nothing here. */
static int
pg_save(struct odin_txn *t, const struct odin_record *rec, int flags)
{
	char secret[PG_SEALED_MAX];
	char nums[9][24], salt[2 * ODIN_BACKUP_SALT_LEN + 1];
	char hashes[ODIN_BACKUP_MAX * (2 * ODIN_BACKUP_HASH_LEN + 1) + 1];
	char bypass[ODIN_RECORD_LINE_MAX], token[ODIN_RECORD_LINE_MAX];
	const char *v[18];
	enum pg_change change;
	int rc;

	(void)flags;
	secret[0] = hashes[0] = bypass[0] = token[0] = '\0';
	if ((t->st->base.key == NULL && !t->st->server) || t->was == NULL)
		return ODIN_EINVAL;
	/* the formatter's consistency check, without keeping its text */
	{
		char *text = NULL;
		size_t len = 0;

		if ((rc = odin_record_format(rec, &text, &len)) != ODIN_OK)
			return rc;
		odin_record_text_free(text);
	}
	change = pg_classify(t, rec);
	if (!t->open && (rc = pg_begin(t)) != ODIN_OK)	/* a second save on this txn */
		goto out;
	v[0] = t->user;
	switch (change) {
	case PG_CHANGE_STATE:
		rc = pg_save_state(t, rec);
		break;
	case PG_CHANGE_BYPASS_USE:
		odin_record_bypass_value(t->was, bypass);
		v[1] = bypass;
		if ((rc = pg_save_state(t, rec)) == ODIN_OK)
			rc = pg_call(t->st, "bypass code use", t->user,
			    "SELECT odin_bypass_use($1::text, $2::text)", 2, v);
		break;
	case PG_CHANGE_TOKEN_SPENT:
		odin_record_token_value(t->was, token);
		v[1] = token;
		if ((rc = pg_save_state(t, rec)) == ODIN_OK)
			rc = pg_call(t->st, "enrollment token", t->user,
			    "SELECT odin_token_spend($1::text, $2::text)", 2, v);
		break;
	case PG_CHANGE_ENROLL:
	case PG_CHANGE_ALL:
		/*
		 * The secret as it was (a bypass code issued, new backup codes):
		 * its seal as it was, so that a login judged on the row before
		 * this save still settles (pg_settle holds it to the seal); a
		 * row that needs a new seal (t->reseal) gets one.
		 */
		if (rec->secret_len > 0 && t->had && !t->reseal && t->was_sealed[0] != '\0' &&
		    t->was->secret_len == rec->secret_len &&
		    odin_ct_equal(t->was->secret, rec->secret, rec->secret_len))
			memcpy(secret, t->was_sealed, sizeof(secret));	/* the same size, NUL within */
		else if (rec->secret_len > 0 && (rc = pg_seal(t, rec, secret, sizeof(secret))) != ODIN_OK)
			break;
		(void)snprintf(nums[0], sizeof(nums[0]), "%u", rec->digits);
		(void)snprintf(nums[1], sizeof(nums[1]), "%u", rec->period);
		(void)snprintf(nums[2], sizeof(nums[2]), "%" PRId64, rec->last_step);
		(void)snprintf(nums[3], sizeof(nums[3]), "%u", rec->failures);
		(void)snprintf(nums[4], sizeof(nums[4]), "%" PRId64, rec->lockout_until);
		(void)snprintf(nums[5], sizeof(nums[5]), "%u", rec->lockout_count);
		(void)snprintf(nums[6], sizeof(nums[6]), "%u", rec->backup_iter);
		(void)snprintf(nums[7], sizeof(nums[7]), "%" PRId64, rec->created);
		(void)snprintf(nums[8], sizeof(nums[8]), "%" PRId64, rec->updated);
		odin_base16_encode(rec->backup_salt, sizeof(rec->backup_salt), salt);
		pg_hashes((const uint8_t (*)[ODIN_BACKUP_HASH_LEN])rec->backup, rec->nbackup, hashes);
		if (change == PG_CHANGE_ENROLL) {
			v[1] = secret;
			v[2] = odin_alg_name(rec->alg);
			v[3] = nums[0];
			v[4] = nums[1];
			v[5] = nums[2];
			v[6] = nums[3];
			v[7] = nums[4];
			v[8] = nums[5];
			v[9] = nums[6];
			v[10] = rec->backup_iter != 0 ? salt : NULL;
			v[11] = nums[7];
			v[12] = nums[8];
			v[13] = hashes;
			rc = pg_call(t->st, "enroll", t->user,
			    "SELECT odin_enroll($1::text, $2::text, $3::text, $4::integer, $5::integer,"
			    " $6::bigint, $7::integer, $8::bigint, $9::integer, $10::integer,"
			    " pg_catalog.decode($11::text, 'hex'), $12::bigint, $13::bigint, $14::text)", 14, v);
			break;
		}
		v[1] = rec->state == ODIN_STATE_ENABLED ? "t" : "f";
		v[2] = rec->secret_len > 0 ? secret : NULL;
		v[3] = odin_alg_name(rec->alg);
		v[4] = nums[0];
		v[5] = nums[1];
		v[6] = nums[2];
		v[7] = nums[3];
		v[8] = nums[4];
		v[9] = nums[5];
		v[10] = rec->backup_iter != 0 ? "pbkdf2-sha256" : "none";
		v[11] = nums[6];
		v[12] = rec->backup_iter != 0 ? salt : NULL;
		v[13] = nums[7];
		v[14] = nums[8];
		odin_record_bypass_value(rec, bypass);
		odin_record_token_value(rec, token);
		v[15] = bypass[0] != '\0' ? bypass : NULL;
		v[16] = token[0] != '\0' ? token : NULL;
		rc = pg_cmd(t->st, "save", t->user,
		    "INSERT INTO users (user_name, mfa_enabled, pending, mfa_secret, algorithm, digits, period,"
		    " last_step, failures, lockout_until, lockout_count, backup_kdf, backup_iter, backup_salt,"
		    " created, updated, bypass, enroll_token) VALUES ($1, $2::boolean, NOT $2::boolean, $3, $4,"
		    " $5, $6, $7, $8, $9, $10, $11, $12, pg_catalog.decode($13::text, 'hex'), $14, $15, $16, $17)"
		    " ON CONFLICT (user_name) DO UPDATE SET mfa_enabled = EXCLUDED.mfa_enabled,"
		    " pending = EXCLUDED.pending, mfa_secret = EXCLUDED.mfa_secret,"
		    " algorithm = EXCLUDED.algorithm, digits = EXCLUDED.digits, period = EXCLUDED.period,"
		    " last_step = EXCLUDED.last_step, failures = EXCLUDED.failures,"
		    " lockout_until = EXCLUDED.lockout_until, lockout_count = EXCLUDED.lockout_count,"
		    " backup_kdf = EXCLUDED.backup_kdf, backup_iter = EXCLUDED.backup_iter,"
		    " backup_salt = EXCLUDED.backup_salt, created = EXCLUDED.created,"
		    " updated = EXCLUDED.updated, bypass = EXCLUDED.bypass,"
		    " enroll_token = EXCLUDED.enroll_token", 17, v);
		if (rc != ODIN_OK || (t->had && rec->nbackup == t->was->nbackup &&
		    memcmp(rec->backup, t->was->backup, (size_t)rec->nbackup * ODIN_BACKUP_HASH_LEN) == 0))
			break;	/* failed, or the same backup codes: no rewrite */
		rc = pg_cmd(t->st, "save backup codes", t->user,
		    "DELETE FROM backup_codes WHERE user_name = $1", 1, v);
		if (rc != ODIN_OK || rec->nbackup == 0)
			break;
		v[1] = hashes;
		rc = pg_cmd(t->st, "save backup codes", t->user,
		    "INSERT INTO backup_codes (user_name, idx, hash)"
		    " SELECT $1::text, o, pg_catalog.decode(h, 'hex')"
		    " FROM pg_catalog.unnest(pg_catalog.string_to_array($2::text, ',')) WITH ORDINALITY"
		    " AS x(h, o)", 2, v);
		break;
	}
	if (rc != ODIN_OK) {
		pg_end(t, "ROLLBACK");
		goto out;
	}
	rc = pg_cmd(t->st, "commit", t->user, "COMMIT", 0, NULL);
	t->open = 0;
	if (rc == ODIN_OK) {
		*t->was = *rec;
		t->had = 1;
		t->reseal = 0;
		/* the seal now in the row, for a later save on this txn */
		if (change == PG_CHANGE_ENROLL || change == PG_CHANGE_ALL)
			memcpy(t->was_sealed, rec->secret_len > 0 ? secret : "", rec->secret_len > 0 ?
			    sizeof(t->was_sealed) : 1);
	}
out:
	odin_wipe(secret, sizeof(secret));
	odin_wipe(hashes, sizeof(hashes));
	odin_wipe(bypass, sizeof(bypass));
	odin_wipe(token, sizeof(token));
	return rc;
}

static int
pg_delete(struct odin_txn *t)
{
	const char *v[1] = { t->user };
	PGresult *res;
	int rc, gone;

	if (!t->open && (rc = pg_begin(t)) != ODIN_OK)
		return rc;
	res = pg_run(t->st, "delete", t->user,
	    "DELETE FROM users WHERE user_name = $1", 1, v, &rc);
	if (res == NULL) {
		pg_end(t, "ROLLBACK");
		return rc;
	}
	gone = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	if (!gone) {
		pg_end(t, "ROLLBACK");
		return ODIN_ENOENT;
	}
	rc = pg_cmd(t->st, "commit", t->user, "COMMIT", 0, NULL);
	t->open = 0;
	if (rc == ODIN_OK)
		t->had = 0;
	return rc;
}

static void
pg_unlock(struct odin_txn *t)
{
	pg_end(t, "ROLLBACK");
	odin_secure_free(t->was);
	odin_wipe(t, sizeof(*t));
	free(t);
}

static int
pg_list(struct odin_store *st, int (*cb)(const char *, void *), void *ctx)
{
	PGresult *res;
	int i, rc;

	res = pg_run(st, "list", NULL, "SELECT user_name FROM users ORDER BY user_name", 0, NULL, &rc);
	if (res == NULL)
		return rc;
	rc = ODIN_OK;
	for (i = 0; i < PQntuples(res); i++) {
		const char *u = PQgetvalue(res, i, 0);

		if (!odin_user_valid(u))
			continue;
		if ((rc = cb(u, ctx)) != 0)
			break;
	}
	PQclear(res);
	return rc;
}

/* Several statements, no parameters: the simple-query protocol. */
static int
pg_script(struct odin_store *st, const char *sql)
{
	PGresult *res = PQexec(st->conn, sql);
	int rc = ODIN_OK;

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(st, res, "db-init", NULL);
	PQclear(res);
	return rc;
}

static int
pg_init(struct odin_store *st)
{
	PGresult *res;
	int rc, version;

	if ((rc = pg_cmd(st, "db-init", NULL, "BEGIN", 0, NULL)) != ODIN_OK)
		return rc;
	rc = pg_cmd(st, "db-init", NULL, "SELECT pg_catalog.pg_advisory_xact_lock("
	    "pg_catalog.hashtextextended('odin-mfa:schema'::text, 0::bigint))", 0, NULL);
	if (rc == ODIN_OK)
		rc = pg_cmd(st, "db-init", NULL, "CREATE TABLE IF NOT EXISTS odin_schema (version integer NOT NULL)", 0, NULL);
	if (rc != ODIN_OK)
		goto rollback;
	res = pg_run(st, "db-init", NULL, "SELECT max(version) FROM odin_schema", 0, NULL, &rc);
	if (res == NULL)
		goto rollback;
	version = PQgetisnull(res, 0, 0) ? 0 : atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (version > ODIN_PG_SCHEMA) {
		odin_log(LOG_ERR, "postgresql: schema version %d is newer than this build's %d",
		    version, ODIN_PG_SCHEMA);
		rc = ODIN_EINVAL;
		goto rollback;
	}
	/* a new database gets the whole schema; an older one each upgrade step after its version */
	if ((version < 1 && (rc = pg_script(st, pg_schema_sql)) != ODIN_OK) ||
	    (version == 1 && (rc = pg_script(st, pg_upgrade_2_sql)) != ODIN_OK) ||
	    (version >= 1 && version < 3 && (rc = pg_script(st, pg_upgrade_3_sql)) != ODIN_OK) ||
	    (rc = pg_script(st, pg_privileges_sql)) != ODIN_OK)
		goto rollback;
	if (st->server) {
		const char *pv[4] = { st->policy[0], st->policy[1], st->policy[2], st->policy[3] };

		if ((rc = pg_script(st, pg_server_sql)) != ODIN_OK ||
		    (rc = pg_cmd(st, "db-init", NULL, pg_policy_sql, 4, pv)) != ODIN_OK)
			goto rollback;
	}
	if (version >= 1 && version < ODIN_PG_SCHEMA)
		odin_log(LOG_NOTICE, "postgresql: schema upgraded from version %d to %d",
		    version, ODIN_PG_SCHEMA);
	return pg_cmd(st, "db-init", NULL, "COMMIT", 0, NULL);
rollback:
	(void)pg_cmd(st, "db-init", NULL, "ROLLBACK", 0, NULL);
	return rc;
}

/* ---- single-statement operations ------------------------------------------ */

/*
 * store.h: odin_store_settle.  One statement, on the row of the snapshot
 * the answer was judged on (odin_store_snapshot: the read before the
 * prompt), which takes effect only on an enabled record not locked out
 * at now, for a step whose last_step is still below it, and whose secret
 * (as sealed), algorithm, digits and period are still the snapshot's: the
 * row's login state either cleared (accepted) or counted, with the rule
 * of odin_auth_fail() (lockout_seconds << lockout_count, capped at
 * max(lockout_max_seconds, lockout_seconds)).  A backup code's statement
 * locks the row first (so a lockout another host starts meanwhile is seen
 * by every part of it, and a backup code is never deleted for a login
 * that then fails) and deletes the code (only for a right answer); a
 * TOTP code's touches the row alone.  No row: a second read tells a
 * missing or changed record from a lockout or a used step.  Every
 * parameter has a fixed width for a given kind of answer (the step
 * zero-padded, a wrong backup code's hash as 64 zeros), so a right
 * answer's statement is as long as a wrong one's.
 */
/* a right answer (a backup code: its row deleted here) */
#define PG_SETTLE_OK_BACKUP "($7::boolean AND EXISTS (SELECT 1 FROM d))"
#define PG_SETTLE_OK_TOTP "$7::boolean"
/* the state a settle writes, where OK is the right answer's condition */
#define PG_SETTLE_SET(OK) \
	" UPDATE users SET" \
	" last_step = CASE WHEN " OK " AND $8::bigint <> 0 THEN $8::bigint ELSE last_step END," \
	" failures = CASE WHEN " OK " OR failures + 1 >= $3::integer THEN 0" \
	"  ELSE failures + 1 END," \
	" lockout_until = CASE WHEN " OK " THEN 0 WHEN failures + 1 >= $3::integer THEN" \
	"  $2::bigint + CASE WHEN lockout_count >= 40 OR ($4::bigint << lockout_count) > $5::bigint" \
	"  THEN $5::bigint ELSE $4::bigint << lockout_count END ELSE lockout_until END," \
	" lockout_count = CASE WHEN " OK " THEN 0 WHEN failures + 1 >= $3::integer" \
	"  THEN lockout_count + 1 ELSE lockout_count END," \
	" updated = $2::bigint"
/* the snapshot's secret (as sealed), algorithm, digits and period: parameters S, A, D, P */
#define PG_HELD_TO_SNAPSHOT(S, A, D, P) \
	" AND mfa_secret = $" S "::text AND algorithm = $" A "::text" \
	" AND digits = $" D "::integer AND period = $" P "::integer"
/* the row as it was judged: enabled, not locked out, the step unused, the snapshot's */
#define PG_SETTLE_WHERE \
	" WHERE user_name = $1::text AND mfa_enabled AND lockout_until <= $2::bigint" \
	" AND ($8::bigint = 0 OR last_step < $8::bigint)" PG_HELD_TO_SNAPSHOT("9", "10", "11", "12")
static int
pg_settle(struct odin_store *st, const char *user, int64_t now,
    const struct odin_lockout_policy *pol, const struct odin_answer *a, int64_t *locked_until)
{
	char n[24], mf[16], ls[16], lm[16], sp[24], h[2 * ODIN_BACKUP_HASH_LEN + 1];
	const char *v[12] = { user, n, mf, ls, lm, h, a->right ? "t" : "f", sp, st->snap_sealed,
		st->snap_param[0], st->snap_param[1], st->snap_param[2] };
	PGresult *res;
	int rc, won;

	/* judged on odin_store_snapshot's record, which the statement holds to the row */
	if (st->server || !st->snap_ok || strcmp(st->snap_user, user) != 0) {
		odin_log(LOG_ERR, "postgresql: a settle for %s without its snapshot: refused", user);
		return ODIN_EINVAL;
	}
	pg_drop_snapshot(st);	/* the state it holds is this settle's to change: a retry reads again */
	(void)snprintf(n, sizeof(n), "%" PRId64, now);
	(void)snprintf(mf, sizeof(mf), "%u", pol->max_failures);
	(void)snprintf(ls, sizeof(ls), "%u", pol->lockout_seconds);
	(void)snprintf(lm, sizeof(lm), "%u", pol->lockout_max_seconds > pol->lockout_seconds ?
	    pol->lockout_max_seconds : pol->lockout_seconds);
	(void)snprintf(sp, sizeof(sp), "%019" PRId64, a->step);
	if (a->backup_hash != NULL)
		odin_base16_encode(a->backup_hash, ODIN_BACKUP_HASH_LEN, h);
	else
		h[0] = '\0';
	/*
	 * Two statements, by the kind of answer (never by its verdict): a TOTP
	 * code's touches the row alone; a backup code's locks the row, then
	 * deletes the code (only for a right answer) before the update.
	 */
	if (a->backup_hash == NULL)
		res = pg_run(st, "settle", user,
		    PG_SETTLE_SET(PG_SETTLE_OK_TOTP) PG_SETTLE_WHERE
		    " AND $6::text = '' RETURNING lockout_until, " PG_SETTLE_OK_TOTP, 12, v, &rc);
	else
		res = pg_run(st, "settle", user,
		    "WITH l AS (SELECT 1 FROM users" PG_SETTLE_WHERE " FOR UPDATE),"
		    " d AS (DELETE FROM backup_codes WHERE $7::boolean AND $6::text <> ''"
		    "  AND user_name = $1::text AND hash = pg_catalog.decode($6::text, 'hex')"
		    "  AND EXISTS (SELECT 1 FROM l) RETURNING 1)"
		    PG_SETTLE_SET(PG_SETTLE_OK_BACKUP) PG_SETTLE_WHERE
		    " RETURNING lockout_until, " PG_SETTLE_OK_BACKUP, 12, v, &rc);
	odin_wipe(h, sizeof(h));
	if (res == NULL)
		return rc;
	if (PQntuples(res) == 1) {
		won = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
		if (locked_until != NULL)
			*locked_until = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		return won ? ODIN_OK : ODIN_ENOMATCH;
	}
	PQclear(res);
	/* why: the row of the snapshot locked out, or its step used; else gone or changed */
	v[2] = sp;
	v[3] = st->snap_sealed;
	v[4] = st->snap_param[0];
	v[5] = st->snap_param[1];
	v[6] = st->snap_param[2];
	res = pg_run(st, "settle", user,
	    "SELECT lockout_until, lockout_until > $2::bigint,"
	    " $3::bigint <> 0 AND last_step >= $3::bigint"
	    " FROM users WHERE user_name = $1 AND mfa_enabled" PG_HELD_TO_SNAPSHOT("4", "5", "6", "7"),
	    7, v, &rc);
	if (res == NULL)
		return rc;
	rc = ODIN_ENOENT;	/* gone, or changed between the two statements */
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		if (locked_until != NULL)
			*locked_until = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		rc = ODIN_ELOCKEDOUT;
	} else if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
		rc = ODIN_EREPLAY;
	}
	PQclear(res);
	return rc;
}

/* ---- pg_verify = server: the database judges (store.h: odin_store_verifies) ---- */

/* A verdict of odin_srv_collect / odin_srv_token_collect as a store.h return. */
static int
pg_verdict(const char *verdict)
{
	if (strcmp(verdict, "ok") == 0)
		return ODIN_OK;
	if (strcmp(verdict, "wrong") == 0 || strcmp(verdict, "expired") == 0)
		return ODIN_ENOMATCH;
	if (strcmp(verdict, "replay") == 0)
		return ODIN_EREPLAY;
	if (strcmp(verdict, "locked") == 0)
		return ODIN_ELOCKEDOUT;
	if (strcmp(verdict, "absent") == 0)
		return ODIN_ENOENT;
	if (strcmp(verdict, "unsealed") == 0)
		return ODIN_ECRYPTO;
	return ODIN_EIO;
}

/* A verdict row (verdict, locked_until, used_step) of odin_srv_collect or odin_srv_login. */
static int
pg_verdict_row(const PGresult *res, const char *user, struct odin_server_verdict *v)
{
	int rc;

	if (PQntuples(res) != 1 || PQnfields(res) < 3 || PQgetisnull(res, 0, 0))
		return ODIN_EIO;
	rc = pg_verdict(PQgetvalue(res, 0, 0));
	v->locked_until = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	v->step = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	if (rc == ODIN_ECRYPTO)
		odin_log(LOG_ERR, "postgresql: the secret of %s is not sealed by the database: "
		    "pg_verify = server needs every row sealed there (README: server-side "
		    "verification, moving to it)", user);
	return rc;
}

/* pg_verify in two round trips, for a database whose db-init predates odin_srv_login. */
static int
pg_verify_two(struct odin_store *st, const char *user, const char **vals,
    struct odin_server_verdict *v)
{
	char ticket[64];
	PGresult *res;
	int rc;

	/* 1. counted and filed (not judged right or wrong); committed when the statement returns */
	res = pg_run(st, "verify", user, "SELECT ticket, skew FROM"
	    " odin_srv_submit($1::text, $2::text, $3::text, pg_catalog.decode($4::text, 'hex'), $5::bigint)",
	    5, vals, &rc);
	if (res == NULL)
		return rc;
	if (PQntuples(res) != 1 || PQnfields(res) != 2 || PQgetisnull(res, 0, 0) ||
	    snprintf(ticket, sizeof(ticket), "%s", PQgetvalue(res, 0, 0)) >= (int)sizeof(ticket)) {
		PQclear(res);
		return ODIN_EIO;
	}
	v->skew = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	/* 2. the verdict, now that the count is committed */
	vals[1] = ticket;
	res = pg_run(st, "verify", user, "SELECT verdict, locked_until, used_step FROM"
	    " odin_srv_collect($1::text, $2::text)", 2, vals, &rc);
	if (res == NULL)
		return rc;
	rc = pg_verdict_row(res, user, v);
	PQclear(res);
	return rc;
}

static int
pg_verify(struct odin_store *st, const char *user, const struct odin_server_answer *a,
    struct odin_server_verdict *v)
{
	char hn[24], hx[2 * ODIN_BACKUP_HASH_LEN + 1];
	const char *vals[5];
	PGresult *res;
	int rc;

	(void)snprintf(hn, sizeof(hn), "%" PRId64, a->host_now);
	vals[0] = user;
	vals[1] = a->kind == ODIN_INPUT_TOTP ? "totp" : a->kind == ODIN_INPUT_BACKUP ? "backup" :
	    a->kind == ODIN_INPUT_BYPASS ? "bypass" : "other";
	vals[2] = a->kind == ODIN_INPUT_TOTP ? a->code : NULL;
	vals[3] = NULL;
	if ((a->kind == ODIN_INPUT_BACKUP || a->kind == ODIN_INPUT_BYPASS) && a->hash != NULL) {
		odin_base16_encode(a->hash, ODIN_BACKUP_HASH_LEN, hx);
		vals[3] = hx;
	}
	vals[4] = hn;
	/*
	 * One round trip: odin_srv_login counts the answer, commits the count,
	 * then judges it.  Where db-init has not made the procedure
	 * yet (the log says to run it), and CALL itself found nothing to call,
	 * the two functions are called in turn.
	 */
	res = pg_run(st, "verify", user, "CALL odin_srv_login($1::text, $2::text, $3::text,"
	    " pg_catalog.decode($4::text, 'hex'), $5::bigint, NULL, NULL, NULL, NULL)", 5, vals, &rc);
	if (res != NULL) {
		rc = pg_verdict_row(res, user, v);
		if (rc != ODIN_EIO && PQnfields(res) == 4 && !PQgetisnull(res, 0, 3))
			v->skew = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
		PQclear(res);
	} else if (strcmp(st->failed_state, "42883") == 0 && !st->failed_inside && !st->broken)
		rc = pg_verify_two(st, user, vals, v);
	odin_wipe(hx, sizeof(hx));
	return rc;
}

static int
pg_token(struct odin_store *st, const char *user, const uint8_t *hash, int64_t host_now,
    struct odin_server_verdict *v, struct odin_token_proof *proof)
{
	char hx[2 * ODIN_BACKUP_HASH_LEN + 1];
	const char *vals[2] = { user, hx };
	PGresult *res;
	int rc;

	(void)host_now;
	odin_base16_encode(hash, ODIN_BACKUP_HASH_LEN, hx);
	/* counted and committed, then judged: one statement (odin_srv_token_login) */
	res = pg_run(st, "enrollment token", user, "CALL odin_srv_token_login($1::text,"
	    " pg_catalog.decode($2::text, 'hex'), NULL, NULL, NULL)", 2, vals, &rc);
	odin_wipe(hx, sizeof(hx));
	if (res == NULL)
		return rc;
	rc = ODIN_EIO;
	if (PQntuples(res) == 1 && PQnfields(res) == 3 && !PQgetisnull(res, 0, 0)) {
		rc = pg_verdict(PQgetvalue(res, 0, 0));
		if (rc == ODIN_ENOENT)
			rc = ODIN_ECHANGED;	/* no outstanding token */
		v->locked_until = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		/* a spent token comes with its proof, or the spend is of no use: refused */
		if (rc == ODIN_OK && (PQgetisnull(res, 0, 2) || odin_base16_decode(PQgetvalue(res, 0, 2),
		    (size_t)PQgetlength(res, 0, 2), proof->b, sizeof(proof->b)) != ODIN_OK)) {
			odin_log(LOG_ERR, "postgresql: enrollment token for %s: spent without a proof", user);
			odin_wipe(proof, sizeof(*proof));
			rc = ODIN_EIO;
		} else if (rc == ODIN_OK) {
			proof->set = 1;
		}
	}
	PQclear(res);
	return rc;
}

static int
pg_enroll(struct odin_store *st, const char *user, const struct odin_record *rec, int64_t was_updated,
    const struct odin_token_proof *tp)
{
	char secret[2 * ODIN_SECRET_MAX + 1], salt[2 * ODIN_BACKUP_SALT_LEN + 1];
	char hashes[ODIN_BACKUP_MAX * (2 * ODIN_BACKUP_HASH_LEN + 1) + 1], nums[5][24];
	char proof[2 * PG_PROOF_LEN + 1];
	const char *v[11];
	PGresult *res;
	int rc;

	if (rec->secret_len == 0 || rec->secret_len > ODIN_SECRET_MAX || rec->nbackup > ODIN_BACKUP_MAX)
		return ODIN_EINVAL;
	/* the proof of the token the caller spent, if it spent one (odin_srv_token_collect) */
	proof[0] = '\0';
	if (tp != NULL && tp->set)
		odin_base16_encode(tp->b, sizeof(tp->b), proof);
	odin_base16_encode(rec->secret, rec->secret_len, secret);
	odin_base16_encode(rec->backup_salt, sizeof(rec->backup_salt), salt);
	pg_hashes((const uint8_t (*)[ODIN_BACKUP_HASH_LEN])rec->backup, rec->nbackup, hashes);
	(void)snprintf(nums[0], sizeof(nums[0]), "%u", rec->digits);
	(void)snprintf(nums[1], sizeof(nums[1]), "%u", rec->period);
	(void)snprintf(nums[2], sizeof(nums[2]), "%" PRId64, rec->last_step);
	(void)snprintf(nums[3], sizeof(nums[3]), "%u", rec->backup_iter);
	v[0] = user;
	v[1] = secret;
	v[2] = odin_alg_name(rec->alg);
	v[3] = nums[0];
	v[4] = nums[1];
	v[5] = nums[2];
	v[6] = nums[3];
	v[7] = rec->backup_iter != 0 ? salt : NULL;
	v[8] = hashes;
	(void)snprintf(nums[4], sizeof(nums[4]), "%" PRId64, was_updated < 0 ? (int64_t)-1 : was_updated);
	v[9] = nums[4];
	v[10] = proof[0] != '\0' ? proof : NULL;
	res = pg_run(st, "enroll", user, "SELECT odin_srv_enroll($1::text, pg_catalog.decode($2::text, 'hex'),"
	    " $3::text, $4::integer, $5::integer, $6::bigint, $7::integer, pg_catalog.decode($8::text, 'hex'),"
	    " $9::text, $10::bigint, pg_catalog.decode($11::text, 'hex'))", 11, v, &rc);
	if (res != NULL) {
		if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
			odin_log(LOG_ERR, "postgresql: enroll for %s: refused by the database: the record "
			    "is enabled (a new secret is set from the admin host), waits for an "
			    "enrollment token, or changed since it was read", user);
			rc = ODIN_EPERM;
		}
		PQclear(res);
	}
	odin_wipe(secret, sizeof(secret));
	odin_wipe(hashes, sizeof(hashes));
	odin_wipe(proof, sizeof(proof));
	return rc;
}

/* store.h: odin_store_rights -- what the database lets this connection's role do. */
static int
pg_rights(struct odin_store *st, unsigned *rights)
{
	PGresult *res;
	int rc;

	*rights = 0;
	res = pg_run(st, "rights", NULL,
	    "SELECT has_table_privilege('users', 'INSERT') OR has_table_privilege('users', 'DELETE')"
	    " OR has_column_privilege('users', 'mfa_secret', 'UPDATE'),"
	    " CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" ODIN_PG_HOST_ROLE "')"
	    " THEN pg_has_role('" ODIN_PG_HOST_ROLE "', 'MEMBER') ELSE false END OR"
	    " CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" ODIN_PG_VERIFIER_ROLE "')"
	    " THEN pg_has_role('" ODIN_PG_VERIFIER_ROLE "', 'MEMBER') ELSE false END", 0, NULL, &rc);
	if (res == NULL)
		return rc;
	if (PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
			*rights |= ODIN_RIGHTS_ALL;
		if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
			*rights |= ODIN_RIGHTS_HOST;
	}
	PQclear(res);
	return ODIN_OK;
}

static const struct odin_store_ops pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.lock = pg_lock,
	.save = pg_save,
	.del = pg_delete,
	.unlock = pg_unlock,
	.list = pg_list,
	.open_config = pg_open_config,
	.init = pg_init,
	.settle = pg_settle,
	.peek = pg_peek,
	.snapshot = pg_snapshot,
	.rights = pg_rights,
	.verify = pg_verify,
	.token = pg_token,
	.enroll = pg_enroll,
};

/* The host's odin_log() for this plugin's copy of log.c. */
static void
pg_attach(void (*log)(int prio, const char *msg))
{
	odin_log_forward(log);
}

/* The one symbol this plugin exports (store_backend.h, odin_store_pg.map). */
const struct odin_store_plugin odin_store_plugin = {
	.abi = ODIN_STORE_PLUGIN_ABI,
	.version = PACKAGE_VERSION,
	.sizes = ODIN_STORE_PLUGIN_SIZES,
	.ops = &pg_ops,
	.attach = pg_attach,
};
