/* SPDX-License-Identifier: ISC */
/*
 * The store, for its callers (account.c, the doctor, the tests): the only
 * code that touches stored records.  Behind these calls sits a small
 * backend interface (store_backend.h, for backend and plugin authors); the
 * files backend (store_files.c) is the default.  Contract of every backend:
 *
 *  - odin_store_lock() takes an exclusive per-user lock that is held until
 *    odin_store_unlock(); read, decide, write all happen under it, so N
 *    concurrent logins with one code see each other's last_step.
 *  - odin_store_save() is atomic and durable: after it returns ODIN_OK the
 *    new record survives a crash; if it fails, the old record is intact.
 *  - odin_store_delete() removes the record and leaves no secret byte.
 *  - nothing ever follows a symlink, trusts a record not owned by root, or
 *    accepts a group/world-accessible store; such a store is ODIN_EUNSAFE.
 *  - cost per login does not depend on the number of users.
 */
#ifndef ODIN_STORE_H
#define ODIN_STORE_H

#include "record.h"
#include "user.h"

struct odin_store;
struct odin_txn;
struct odin_config;
struct odin_key;

/*
 * Opens the store rooted at dir.  Never creates anything: a store that is
 * not there (an unmounted volume, a deleted directory) must deny logins,
 * not look like a store where nobody has MFA.  Checks it: a real
 * directory, owned by root, no group/other permission bits; users/ and
 * locks/ likewise.  The last path component must not be a symlink;
 * earlier ones are the administrator's choice and are followed.  Returns
 * ODIN_OK, ODIN_ENOENT (the store or a subdirectory is missing; logged
 * with the command that creates it), ODIN_EUNSAFE (logged: why),
 * ODIN_ENOMEM, or an I/O error mapped by odin_err_from_errno().  Every txn
 * must be unlocked before the store is closed.
 */
int odin_store_open(const char *dir, struct odin_store **st);

/*
 * Creates the store the configuration names, if it is not there yet: for
 * the files backend the directory (its parent must exist), users/ and
 * locks/, each root:root 0700; an existing store is checked as by
 * odin_store_open().  Only an explicit administrator's command calls it
 * (odin-mfa-cli admin db-init) -- never a login.  Returns ODIN_OK,
 * ODIN_ENOTSUP (the backend has no such step: postgresql, whose schema is
 * odin_store_init()), or the errors of odin_store_open(), logged.
 */
int odin_store_create(const struct odin_config *cfg);

/*
 * Opens the store the configuration names: backend = files (store_dir)
 * or postgresql (pg_conninfo, pg_password_file, the timeouts).  If
 * secret_key_file is set (required for postgresql) the key is loaded and
 * every secret is sealed with it on save (crypt.h) and opened on lock.
 * Returns what the backend's open returns, ODIN_EINVAL (postgresql
 * without pg_conninfo or secret_key_file, or not compiled in; logged), or
 * a key error from odin_key_load().  A database that cannot be reached
 * within pg_connect_timeout is ODIN_EIO, logged in one line.
 */
int odin_store_open_config(const struct odin_config *cfg, struct odin_store **st);

/* The backend's name ("files", "postgresql"). */
const char *odin_store_backend(const struct odin_store *st);

void odin_store_close(struct odin_store *st);

/*
 * How long a lock is waited for: a record is locked only for the few
 * milliseconds of a read-decide-write, never across a prompt or terminal
 * output, so a longer wait means something is stuck (a stopped process);
 * the caller then fails with ODIN_ELOCK instead of hanging.
 */
#define ODIN_LOCK_WAIT_MS 5000

#define ODIN_LOCK_IF_EXISTS 0x1	/* ODIN_ENOENT without creating anything if there is no record */
/*
 * Also lock a record that is there but unusable: it does not parse
 * (ODIN_ECORRUPT) or its secret does not open (ODIN_ECRYPTO).  Then *txn
 * is set, *rec is wiped and that error is returned; the only thing to do
 * with such a txn is odin_store_delete() (admin disable, the recovery
 * path) or odin_store_unlock().  An unsafe record (symlink, owner, mode,
 * links, size) is never locked.
 */
#define ODIN_LOCK_EVEN_CORRUPT 0x2
/*
 * The record's login state (files: the slots of its state file) is
 * unreadable: start again from the record, with every code up to the
 * state's last write refused.  For admin unlock, the recovery path;
 * backends without a separate state ignore it.
 */
#define ODIN_LOCK_RESET_STATE 0x4

/*
 * Locks user's record and loads it into *rec.  Returns:
 *   ODIN_OK      locked, record loaded, *txn set
 *   ODIN_ENOENT  no record; locked and *txn set (so the caller may create
 *                one with odin_store_save), unless ODIN_LOCK_IF_EXISTS,
 *                in which case nothing is locked and *txn is NULL
 *   other        error, nothing locked, *txn NULL, *rec wiped:
 *                ODIN_EBADNAME (user name not valid), ODIN_EUNSAFE (symlink,
 *                hard link, owner, mode, not a regular file), ODIN_ETOOBIG
 *                (larger than ODIN_RECORD_MAX, refused unread),
 *                ODIN_ECORRUPT, ODIN_ELOCK (still busy after
 *                ODIN_LOCK_WAIT_MS), or a mapped I/O error.
 * Each refusal is logged with the reason, never with record content.
 */
int odin_store_lock(struct odin_store *st, const char *user, int flags,
    struct odin_txn **txn, struct odin_record *rec);

/*
 * Reads user's record without taking the lock: for a look before a
 * decision that is made again under the lock (or by the single-statement
 * operations below) before anything is written, such as what to ask at a
 * login prompt.  Safe because every save is an atomic replace: a reader
 * sees the old record or the new one, never a mix.  Returns ODIN_OK,
 * ODIN_ENOENT (no record; nothing is created, not even a lock file), or
 * an error as odin_store_lock() (the same checks of name, owner, mode,
 * links and size, logged the same way); *rec is wiped on any error.
 * files: the record alone, no lock file, no flock; postgresql: one plain
 * SELECT; a backend without it: lock with ODIN_LOCK_IF_EXISTS + unlock.
 */
int odin_store_peek(struct odin_store *st, const char *user, struct odin_record *rec);

/*
 * Atomically replaces (or creates) the locked record.  Returns ODIN_OK,
 * ODIN_EINVAL (rec not consistent), ODIN_ENOMEM, or a logged, mapped I/O
 * error (ODIN_ENOSPC, ODIN_EROFS, ODIN_EIO, ...); on error the old record
 * is untouched and no temporary file is left.  The caller's resource
 * limits cannot cut a save short: RLIMIT_FSIZE is lifted (where the
 * process may) and SIGXFSZ ignored for its duration.
 *
 * flags 0: durable -- after ODIN_OK the new record survives a crash.
 * ODIN_SAVE_ATTEMPT: an attempt counted before its verdict is acted on; it must
 * survive the process (which the caller of su or sudo can kill), not the
 * machine, so the backend may skip what only a crash needs (files: the
 * directory fsync); still atomic: after a crash the old record or the new
 * one, whole.
 */
#define ODIN_SAVE_ATTEMPT 0x1
int odin_store_save(struct odin_txn *txn, const struct odin_record *rec, int flags);

/* Removes the locked record (overwritten first); ODIN_ENOENT if there is none. */
int odin_store_delete(struct odin_txn *txn);

/* Releases the lock and frees txn; NULL is fine. */
void odin_store_unlock(struct odin_txn *txn);

/*
 * Calls cb(user, ctx) for every user with a record, in no particular
 * order; stops early and returns cb's value if non-zero.  Returns ODIN_OK
 * or an error.
 */
int odin_store_list(struct odin_store *st, int (*cb)(const char *user, void *ctx), void *ctx);

/*
 * The optional single-statement operation.  A backend that cannot do it
 * atomically leaves it NULL and the wrapper returns ODIN_ENOTSUP: the
 * caller then uses lock/save as usual.  It is what makes a shared
 * database safe without holding a lock across hosts, in one round trip.
 *
 * odin_store_settle: a login's answer, judged by the caller on a snapshot
 * (odin_store_snapshot), counted or accepted in one atomic statement -- the
 * verdict takes effect with the count, so nothing of it is acted on
 * before the attempt is recorded, whatever happens to the caller.  It
 * takes effect only while the row still has the snapshot's secret and TOTP
 * parameters (a re-enrollment meanwhile: ODIN_ENOENT, nothing counted):
 *   - a->right and a->step > 0 (a TOTP code): last_step = step, failures,
 *     lockout_until and lockout_count cleared, updated = now -- if the
 *     record is enabled, its last_step < step and it is not locked out;
 *   - a->right and a->backup_hash (a backup code, as odin_backup_hash()
 *     gives it): that stored hash deleted and the same clearing, on the
 *     same conditions; a code another login used meanwhile is counted;
 *   - otherwise (a wrong answer; a right bypass code, which the caller
 *     then takes under the lock): failures += 1, and when it reaches
 *     max_failures, lockout_until = now + min(lockout_seconds <<
 *     lockout_count, max(lockout_max_seconds, lockout_seconds)),
 *     lockout_count += 1, failures = 0 -- the rule of odin_auth_fail();
 *     with a->step > 0 only while last_step < step.
 * The statement's text and size do not depend on a->right.  Returns:
 *   ODIN_OK          accepted
 *   ODIN_ENOMATCH    counted; *locked_until (may be NULL) = the record's
 *                    lockout_until after it (> now: this count started a
 *                    lockout)
 *   ODIN_EREPLAY     a->step (or a later one) was already used: nothing
 *                    counted (a code another login took meanwhile)
 *   ODIN_ELOCKEDOUT  locked out at now: nothing counted, nothing judged;
 *                    *locked_until = its end
 *   ODIN_ENOENT      no enabled record
 *   ODIN_ELOCK       the record stayed busy (another transaction holds it):
 *                    a store error, never a lockout; or another error.
 */
struct odin_lockout_policy {
	unsigned max_failures;
	unsigned lockout_seconds;
	unsigned lockout_max_seconds;
};

struct odin_answer {
	int right;				/* the caller judged it right */
	int64_t step;				/* a TOTP code's step; 0: none */
	const uint8_t *backup_hash;		/* a backup code's stored hash; NULL: none */
};

int odin_store_has_atomic(const struct odin_store *st);

/*
 * odin_store_snapshot: the record a login judges its answer on, for the
 * odin_store_settle that follows on the same st: what the last snapshot
 * of user on st kept (the read before the prompt, so that a TOTP login
 * reads its row once), else a new read, kept.  A store that keeps the
 * backup codes apart (postgresql) leaves them out of such a read
 * (nbackup 0).  ODIN_SNAP_FRESH: a new read, whole (a backup or bypass
 * code is judged on one).  The settle's conditions make an old snapshot
 * safe: a secret or parameters changed since, a lockout, a used step or
 * a used backup code are the row's, not the snapshot's.  Returns what
 * odin_store_peek returns; ODIN_EINVAL for an unknown flag.  A store
 * without settle: odin_store_peek.
 */
#define ODIN_SNAP_FRESH 0x1
int odin_store_snapshot(struct odin_store *st, const char *user, unsigned flags,
    struct odin_record *rec);
int odin_store_settle(struct odin_store *st, const char *user, int64_t now,
    const struct odin_lockout_policy *pol, const struct odin_answer *a, int64_t *locked_until);

/*
 * A store that checks codes itself (postgresql with pg_verify = server):
 * the host never holds a secret or a hash.  Its odin_store_peek() gives a
 * redacted record: every secret byte and every hash in it (the TOTP
 * secret, the backup codes, the bypass code's and the token's hash) is
 * random, made for that read, so that nothing judged on the host can ever
 * match; states, counts, times and salts are real.  What is judged, the
 * store judges, with its own clock and its own policy (max_failures,
 * lockouts, window), in one transaction that also counts the attempt:
 *
 * odin_store_verify: a->kind ODIN_INPUT_TOTP (a->code: the digits),
 *   ODIN_INPUT_BACKUP or ODIN_INPUT_BYPASS (a->hash: the typed code's hash
 *   under the record's salt, odin_backup_hash() / odin_onetime_hash()), or
 *   anything else (counted as wrong).  Returns ODIN_OK (accepted: last_step
 *   = v->step for a TOTP code, the backup code used, a bypass use taken),
 *   ODIN_ENOMATCH (counted; v->locked_until > its now: this count started a
 *   lockout), ODIN_EREPLAY (a used step: nothing counted), ODIN_ELOCKEDOUT
 *   (nothing counted; v->locked_until), ODIN_ENOENT (no enabled record),
 *   ODIN_ECRYPTO (the secret is not sealed by the store: nothing counted,
 *   logged), or an error.  v->skew is a->host_now minus the store's clock.
 * odin_store_token: hash is a typed enrollment token's hash under the
 *   token's salt: ODIN_OK (spent; *proof set: what this caller shows to
 *   enroll the row), ODIN_ENOMATCH (counted; wrong or expired),
 *   ODIN_ELOCKEDOUT, ODIN_ECHANGED (no outstanding token).
 * odin_store_enroll: rec (enabled; its secret, parameters, last_step and
 *   backup codes) into a missing row, a pending one without a token, or a
 *   pending one whose token this proof's odin_store_token spent (proof
 *   NULL or not set: none), the secret sealed by the store, created =
 *   updated = its now -- only if the row is still as the caller read it:
 *   was_updated is its "updated" then, or -1 if there was none.  ODIN_OK,
 *   or ODIN_EPERM (the row is enabled, waits for a token, or changed
 *   meanwhile).
 */
struct odin_server_answer {
	int kind;			/* enum odin_input_kind (backup.h) */
	const char *code;		/* ODIN_INPUT_TOTP: the digits */
	const uint8_t *hash;		/* ODIN_INPUT_BACKUP / _BYPASS: ODIN_BACKUP_HASH_LEN bytes */
	int64_t host_now;
};

struct odin_server_verdict {
	int64_t locked_until;
	int64_t skew;
	int64_t step;
};

/*
 * What odin_store_token hands the caller whose enrollment token it spent:
 * another caller, seeing the token spent, cannot enroll that row without
 * it.  A bearer capability until that enrollment: wipe it (odin_wipe).
 */
#define ODIN_TOKEN_PROOF_LEN 32
struct odin_token_proof {
	int set;
	uint8_t b[ODIN_TOKEN_PROOF_LEN];
};

int odin_store_verifies(const struct odin_store *st);
int odin_store_verify(struct odin_store *st, const char *user, const struct odin_server_answer *a,
    struct odin_server_verdict *v);
int odin_store_token(struct odin_store *st, const char *user, const uint8_t hash[ODIN_BACKUP_HASH_LEN],
    int64_t host_now, struct odin_server_verdict *v, struct odin_token_proof *proof);
int odin_store_enroll(struct odin_store *st, const char *user, const struct odin_record *rec,
    int64_t was_updated, const struct odin_token_proof *proof);

/*
 * What this connection may do to a shared store (the doctor's question:
 * a host that connects as the tables' owner lets root on it delete rows
 * and change secrets on every host).  ODIN_OK with *rights a set of:
 *   ODIN_RIGHTS_ALL    may insert and delete rows and change secrets
 *   ODIN_RIGHTS_HOST   a member of the hosts' role (a login's rights only)
 * ODIN_ENOTSUP for a store with nothing of the kind (files); or an error.
 */
#define ODIN_RIGHTS_ALL 0x1
#define ODIN_RIGHTS_HOST 0x2
int odin_store_rights(struct odin_store *st, unsigned *rights);

/*
 * Creates or upgrades the backend's schema (postgresql: tables users,
 * backup_codes, odin_schema); ODIN_OK, or ODIN_ENOTSUP if the backend has
 * none (files).
 */
int odin_store_init(struct odin_store *st);

/*
 * Copies every record of from into to (each under both locks), keeping
 * every field (last_step, lockouts, backup hashes).  cb (may be NULL) is
 * called per user copied.  Returns ODIN_OK or the first error (records
 * copied before it stay copied; running it again is harmless).
 */
int odin_store_copy(struct odin_store *from, struct odin_store *to,
    void (*cb)(const char *user, void *ctx), void *ctx);

#endif
