/* SPDX-License-Identifier: ISC */
/*
 * Every transaction on a user's record, for the PAM module and the CLI:
 * verify a login answer, enroll, make pending, disable, unlock, import,
 * replace the backup codes, and read what a front end may show.  The
 * front ends only talk to the person; they call these and report the
 * outcome in their own words.  Nothing here prompts, writes to a terminal
 * or talks to a PAM conversation, so no record lock is ever held while a
 * person, a full pipe or a stopped process is in the loop.
 *
 * Rules kept here and nowhere else:
 *  - an answer is counted as a failed attempt before any verdict on it is
 *    acted on, under the record's lock (or by the store's single
 *    statement), and if that count cannot be written the verdict is
 *    dropped (the answer is judged once, before the count, which is how
 *    a used code is told and refused uncounted); a success then clears
 *    the count and is durable before it is reported;
 *  - what a failure and a lockout do (odin_auth_fail(), the config's
 *    max_failures, lockout_seconds and lockout_max_seconds);
 *  - what "the record did not change meanwhile" means (odin_record_same());
 *  - the parameters of a new enrollment (odin_record_init()'s defaults).
 * user is always the canonical name (user.h).  Secrets are held in memory
 * kept out of core dumps and swap (odin_secure_alloc) and never leave this
 * file except the new secret of an enrollment, which must be shown.
 * Every function logs what an administrator needs (a clock-skew hint, a
 * lockout) through odin_log(), never a code or a secret.
 */
#ifndef ODIN_ACCOUNT_H
#define ODIN_ACCOUNT_H

#include <stdint.h>

#include "auth.h"
#include "backup.h"
#include "config.h"
#include "import.h"
#include "onetime.h"
#include "record.h"
#include "store.h"

/* What a front end may know of a record: everything but the secret and the hashes. */
struct odin_account_info {
	enum odin_state state;
	enum odin_alg alg;
	unsigned digits;
	unsigned period;
	int64_t last_step;
	unsigned failures;
	int64_t lockout_until;
	unsigned lockout_count;
	unsigned nbackup;
	int64_t created;
	int64_t updated;
	unsigned bypass_uses;		/* a bypass code's uses left; 0: none */
	int64_t bypass_expires;
	int64_t bypass_issued;
	enum odin_token_state token;	/* pending records: the enrollment token */
	int64_t token_expires;
	int64_t token_issued;
};

/*
 * Reads user's record without locking it (odin_store_peek).  Returns
 * ODIN_OK (*info filled), ODIN_ENOENT (no record) or the store's error
 * (logged by the store).
 */
int odin_account_info(struct odin_store *st, const char *user, struct odin_account_info *info);

/*
 * odin_account_info for a login, before it asks: the snapshot its answer
 * will be judged on (store.h odin_store_snapshot), so that a store shared
 * by many hosts reads the row once per login.  info->nbackup may be 0
 * where the store keeps the backup codes apart (postgresql): not for
 * display.
 */
int odin_account_login_info(struct odin_store *st, const char *user,
    struct odin_account_info *info);

/* The outcome of one answer, for the front end's message and log line. */
struct odin_attempt {
	enum odin_auth_method method;	/* what the answer looked like */
	const char *reason;		/* static text for the log; never holds input */
	int64_t lockout_seconds;	/* > 0: this attempt started a lockout */
	int64_t locked_until;		/* ODIN_ELOCKEDOUT: when the lockout ends */
};

/*
 * Checks one answer (what the person typed, up to its NUL; NULL for an
 * answer too long to read, which counts as a wrong one) for user's enabled
 * record at time now.  Returns
 *   ODIN_OK          accepted, and recorded durably (the step or the
 *                    consumed backup code; failures and lockout cleared);
 *   ODIN_ENOMATCH    wrong, malformed or empty: counted;
 *   ODIN_EREPLAY     a code for a step already used: not counted (it can
 *                    never succeed, and counting it would let anyone who
 *                    saw a code lock its owner out); tell the person to
 *                    wait for the next code;
 *   ODIN_ELOCKEDOUT  locked out: not judged, not counted (a->locked_until);
 *   ODIN_ECHANGED    the record is gone or no longer enabled: not judged;
 *   other            the store failed (logged): not judged, or judged
 *                    right but not recorded -- deny either way.
 * a->lockout_seconds > 0 when this attempt started a lockout.  A wrong
 * code that matches at a larger clock offset is logged (never accepted,
 * never told to the person at the prompt).
 */
int odin_account_verify(struct odin_store *st, const struct odin_config *cfg,
    const char *user, const char *input, int64_t now, struct odin_attempt *a);

/*
 * The same, with flags: ODIN_VERIFY_NO_BYPASS refuses a bypass code
 * (ODIN_ENOMATCH, not judged, not counted, nothing spent), where a
 * temporary code must not buy a lasting one (new backup codes).
 */
#define ODIN_VERIFY_NO_BYPASS 0x1
int odin_account_verify_flags(struct odin_store *st, const struct odin_config *cfg,
    const char *user, const char *input, int64_t now, unsigned flags, struct odin_attempt *a);

/*
 * Enrollment, in three steps so that the front end can talk to the
 * person in between without holding anything: begin (a new secret, and a
 * snapshot of the record as it is now), confirm (a code from the person's
 * app), commit (written only if the stored record is still the snapshot).
 * The secret is SHA1, 6 digits, 30 s, 160 bits (odin_record_init()).
 */
struct odin_enrollment;

/*
 * An enrollment token this session spent: odin_account_token_check() sets
 * it on ODIN_OK, odin_enroll_begin() takes it.  Where the store checks
 * codes itself it holds the store's proof (store.h: odin_store_token),
 * which the enrollment shows when it commits, so that no other session
 * can enroll that row: it may outlive the store handle that spent the
 * token (the CLI closes its handle while the user scans the code).  Wipe
 * it when done (odin_wipe).
 */
struct odin_token_spent {
	int spent;
	struct odin_token_proof proof;
};

/*
 * Starts an enrollment for user: reads the record (any state, or none)
 * and makes a new secret.  The record read is the one commit checks, and
 * the token rule (odin_account_token_need()) is applied to it here: if it
 * needs an enrollment token, this session must have spent it (spent:
 * what odin_account_token_check() set; NULL: none), else ODIN_EPERM.
 * forced: no record means enforce_group made this enrollment.  Returns
 * ODIN_OK (*en set, with spent's proof; free it with odin_enroll_free()),
 * ODIN_EPERM, ODIN_ENOMEM, ODIN_ECRYPTO, or the store's error.
 */
int odin_enroll_begin(struct odin_store *st, const struct odin_config *cfg, const char *user,
    int forced, const struct odin_token_spent *spent, int64_t now, struct odin_enrollment **en);

/* The new secret (to show as a URI, QR code and key) and its parameters. */
const uint8_t *odin_enroll_secret(const struct odin_enrollment *en, size_t *len);
void odin_enroll_params(const struct odin_enrollment *en, struct odin_totp_params *tp);
/*
 * What begin found: 0 (no record), ODIN_STATE_PENDING or
 * ODIN_STATE_ENABLED.  A front end that may only enroll a pending user
 * (the module) stops when it finds anything else; replacing an enabled
 * record needs the person to have proven the current one first.
 */
int odin_enroll_found(const struct odin_enrollment *en);

/*
 * Checks a code typed to confirm the new secret (the config's window).
 * Returns ODIN_OK (remembered for commit), ODIN_ENOMATCH (*skew_seconds
 * is the clock offset it would match at within skew_steps, else 0: the
 * person holds this secret, so the front end may tell them), or
 * ODIN_EINVAL (not a code of the right form).
 */
int odin_enroll_confirm(struct odin_enrollment *en, const struct odin_config *cfg,
    const char *input, int64_t now, int64_t *skew_seconds);

/*
 * Makes n (cfg->backup_codes) backup codes for the new record into codes
 * (ODIN_BACKUP_MAX entries); they become valid only with commit.  The
 * caller shows them once and wipes them.  Returns ODIN_OK, ODIN_EINVAL
 * (not confirmed yet), ODIN_ECRYPTO.
 */
int odin_enroll_codes(struct odin_enrollment *en, const struct odin_config *cfg,
    struct odin_backup_code *codes);

/*
 * Writes the enabled record (durably), under the lock, only if the stored
 * record is exactly the one begin read.  Needs confirm and codes first.
 * Returns ODIN_OK, ODIN_ECHANGED (someone changed or removed it meanwhile;
 * nothing written), ODIN_EINVAL, or the store's error (nothing written).
 */
int odin_enroll_commit(struct odin_store *st, const char *user,
    struct odin_enrollment *en, int64_t now);

/* Wipes and frees en; NULL is fine. */
void odin_enroll_free(struct odin_enrollment *en);

/* What odin_account_set_pending() found and did. */
enum odin_pending_outcome {
	ODIN_PENDING_CREATED = 1,	/* no record before: now pending */
	ODIN_PENDING_ALREADY = 2,	/* was pending: unchanged */
	ODIN_PENDING_KEPT = 3,		/* was enabled, no reset: unchanged */
	ODIN_PENDING_RESET = 4,		/* was enabled, reset: now pending */
};

/*
 * Makes user pending (admin force-enable): they enroll at their next
 * login.  An enabled record is replaced only with reset.  token_ttl > 0
 * (1..ODIN_TOKEN_TTL_MAX): the pending record also gets a new enrollment
 * token, valid that many seconds, in the same transaction (an earlier one
 * dies); shown gets it to hand over once.  Returns ODIN_OK (*out says what
 * happened; ODIN_PENDING_KEPT gets no token), ODIN_EINVAL, ODIN_ECRYPTO,
 * or the store's error (nothing changed).
 */
int odin_account_set_pending(struct odin_store *st, const char *user, int reset,
    int64_t now, int64_t token_ttl, char shown[ODIN_ONETIME_SHOWN_MAX],
    enum odin_pending_outcome *out);

/*
 * Removes user's record, secret and backup codes (admin disable), also a
 * record that does not parse or decrypt (the recovery path; *unreadable
 * is then 1).  Returns ODIN_OK, ODIN_ENOENT, or the store's error.
 */
int odin_account_disable(struct odin_store *st, const char *user, int *unreadable);

/* Clears user's failures and lockout.  Returns ODIN_OK, ODIN_ENOENT, or the store's error. */
int odin_account_unlock(struct odin_store *st, const char *user, int64_t now);

/*
 * Enables user with an imported secret (and its scratch codes as backup
 * codes).  An enabled record is replaced only with force.  Returns ODIN_OK
 * (*nbackup: backup codes stored), ODIN_EEXIST (enabled, no force: nothing
 * changed), ODIN_EINVAL (the import cannot make a record), or the store's
 * error.
 */
int odin_account_import(struct odin_store *st, const char *user,
    const struct odin_import *imp, int force, int64_t now, unsigned *nbackup);

/*
 * Replaces the backup codes of user's enabled record with n
 * (cfg->backup_codes) new ones, returned in codes (ODIN_BACKUP_MAX
 * entries) to show once.  Called right after odin_account_verify()
 * accepted an answer.  Returns ODIN_OK, ODIN_ECHANGED (no longer
 * enabled), ODIN_ECRYPTO, or the store's error (nothing changed).
 */
int odin_account_new_backup_codes(struct odin_store *st, const struct odin_config *cfg,
    const char *user, int64_t now, struct odin_backup_code *codes);

/* ---- helpdesk: bypass codes and enrollment tokens (helpdesk.c) ---------- */

#define ODIN_BYPASS_TTL_DEFAULT 3600		/* one hour */
#define ODIN_BYPASS_TTL_MAX (3 * 86400)	/* three days */
#define ODIN_TOKEN_TTL_DEFAULT 86400		/* one day */
#define ODIN_TOKEN_TTL_MAX (7 * 86400)	/* a week */

/*
 * Issues a temporary bypass code for user's enabled record (admin bypass):
 * valid for ttl seconds (1..ODIN_BYPASS_TTL_MAX) and uses logins
 * (1..ODIN_BYPASS_USES_MAX), accepted at the code prompt like a backup
 * code; the secret and the backup codes stay as they are.  It replaces an
 * outstanding one (*replaced set).  shown gets the code to hand over once.
 * Returns ODIN_OK, ODIN_ENOENT (no record), ODIN_ECHANGED (not enabled),
 * ODIN_EINVAL, ODIN_ECRYPTO, or the store's error (nothing changed).
 */
int odin_account_bypass_issue(struct odin_store *st, const char *user, int64_t now,
    int64_t ttl, unsigned uses, char shown[ODIN_ONETIME_SHOWN_MAX], int *replaced);

/* Revokes user's bypass code.  Returns ODIN_OK (*had: there was one), ODIN_ENOENT, or the store's error. */
int odin_account_bypass_revoke(struct odin_store *st, const char *user, int64_t now, int *had);

/* What an enrollment of user needs first (odin_account_token_need()). */
enum odin_token_need {
	ODIN_TOKEN_NEED_NONE = 0,	/* nothing: go on */
	ODIN_TOKEN_NEED_ASK = 1,	/* ask for the token (odin_account_token_check) */
	ODIN_TOKEN_NEED_MISSING = 2,	/* a token is needed and none is outstanding */
};

/*
 * The one rule: a pending record that was given a token (or whose token
 * was spent or expired) needs one, and with cfg->enroll_token every
 * forced enrollment does: a pending record, or no record (found 0) for a
 * member of enforce_group (forced set).  A voluntary first enrollment and
 * an enabled user (who proves the current secret instead) need none.
 * found: 0, ODIN_STATE_PENDING or ODIN_STATE_ENABLED.
 */
enum odin_token_need odin_account_token_need(const struct odin_config *cfg, int found,
    const struct odin_account_info *info, int forced, int64_t now);

/*
 * Checks an enrollment token typed for user's pending record: counted as
 * a failed attempt (written) before it is judged; a right one is spent
 * (it can never be used again), the count cleared, durably.  Returns
 * ODIN_OK (*spent set, for odin_enroll_begin()), ODIN_ENOMATCH (wrong,
 * malformed or expired: counted), ODIN_ELOCKEDOUT (not judged:
 * a->locked_until), ODIN_ECHANGED (no longer pending with an outstanding
 * token), or the store's error.  *spent is wiped first.
 */
int odin_account_token_check(struct odin_store *st, const struct odin_config *cfg,
    const char *user, const char *input, int64_t now, struct odin_attempt *a,
    struct odin_token_spent *spent);

#endif
