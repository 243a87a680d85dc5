/* SPDX-License-Identifier: ISC */
/*
 * The one decision "is this answer good for this enabled record", shared
 * by the PAM module and the CLI, with the bookkeeping that belongs to it:
 * the last accepted step, the consumed backup code, the failure count and
 * the lockout (lockout_seconds, doubled for each lockout since the last
 * success, capped at lockout_max_seconds).  Pure: no I/O and no logging.
 * The caller holds the record's lock, saves the record whatever the
 * result, and reports the result in its own words.
 */
#ifndef ODIN_AUTH_H
#define ODIN_AUTH_H

#include <stdint.h>

#include "config.h"
#include "record.h"

enum odin_auth_method { ODIN_AUTH_NONE = 0, ODIN_AUTH_TOTP = 1, ODIN_AUTH_BACKUP = 2, ODIN_AUTH_BYPASS = 3 };

struct odin_auth_result {
	enum odin_auth_method method;
	const char *reason;		/* static text for logs; never holds input */
	int skew;			/* a wrong TOTP code matches skew_seconds away */
	int64_t skew_seconds;		/* > 0: the device clock is behind */
	int64_t lockout_seconds;	/* > 0: this failure started a lockout */
};

/*
 * What a successful decision asks the store to record: method TOTP, take
 * step; method BACKUP, consume the code stored as backup_hash (slot
 * backup_idx of the record decided on); method BYPASS, one use of the
 * record's bypass code.  Holds no secret, but wipe it.
 */
struct odin_auth_plan {
	enum odin_auth_method method;
	int64_t step;
	unsigned backup_idx;
	uint8_t backup_hash[ODIN_BACKUP_HASH_LEN];
};

/* "totp", "backup", "bypass" or "none". */
const char *odin_auth_method_name(enum odin_auth_method m);

/* Seconds until r's lockout ends; 0 if r is not locked out at now. */
int64_t odin_auth_lockout_left(const struct odin_record *r, int64_t now);

/*
 * Checks input (what the user typed, up to its NUL) against the enabled
 * record r at time now, with cfg's window, skew_steps, max_failures and
 * lockout settings, and updates r.  On success: last_step is the matched
 * step or the backup code is removed, and the failure and lockout
 * counters are reset.  On any failure: odin_auth_fail().  Returns ODIN_OK,
 * ODIN_EREPLAY (a code for a step already used), ODIN_ENOMATCH (wrong,
 * used, malformed or empty input), or ODIN_EINVAL/ODIN_ECRYPTO (record or
 * library trouble; counted as a failure too).  A locked-out record is not
 * checked here: callers test odin_auth_lockout_left() first.
 */
int odin_auth_check(const struct odin_config *cfg, struct odin_record *r,
    const char *input, int64_t now, struct odin_auth_result *res);

/*
 * The decision of odin_auth_check() without changing r: same returns and
 * res, but no skew diagnosis (res->skew 0); on ODIN_OK *plan says what to
 * record, on anything else the caller counts one failure (odin_auth_fail()
 * or the store's count).  The same work for a right code as for a wrong
 * one of the same kind: nothing between a store's lock and its count may
 * show the verdict (to a caller who watches the CPU and kills the process
 * before the count is written, say).
 */
int odin_auth_decide(const struct odin_config *cfg, const struct odin_record *r,
    const char *input, int64_t now, struct odin_auth_result *res,
    struct odin_auth_plan *plan);

/*
 * For a wrong TOTP code (decided: odin_auth_decide()'s return for res):
 * whether it is right for a step up to cfg->skew_steps away, a device
 * clock off by res->skew_seconds (res->skew set).  Diagnostics only, and
 * work only a wrong code makes: call it once the attempt is counted.
 * Clears res->skew otherwise.
 */
void odin_auth_skew(const struct odin_config *cfg, const struct odin_record *r,
    const char *input, int64_t now, int decided, struct odin_auth_result *res);

/* One use of r's bypass code (cleared with its last use): ODIN_OK, or ODIN_EINVAL if none. */
int odin_auth_use_bypass(struct odin_record *r);

/*
 * Applies decision e (what odin_auth_decide() returned for r) to r: on
 * ODIN_OK the plan and the reset of the failure/lockout counters, else
 * odin_auth_fail().  Returns e, or ODIN_EINVAL (counted as a failure) if
 * an ODIN_OK plan cannot be applied to r.
 */
int odin_auth_apply(const struct odin_config *cfg, struct odin_record *r, int e,
    const struct odin_auth_plan *plan, int64_t now, struct odin_auth_result *res);

/*
 * A success, or an administrator's unlock: no failures, no lockout, the
 * doubling starts again.  (The postgresql backend's single statements
 * apply the same rule in SQL: store_pg.c accept_step/consume_backup.)
 */
void odin_auth_clear(struct odin_record *r, int64_t now);

/*
 * Counts one failed attempt in r (also for failures the caller detects
 * itself, such as an answer too long to read): at cfg->max_failures
 * consecutive failures it starts a lockout and sets res->lockout_seconds.
 */
void odin_auth_fail(const struct odin_config *cfg, struct odin_record *r,
    int64_t now, struct odin_auth_result *res);

#endif
