/* SPDX-License-Identifier: ISC */
/*
 * The transactions on a user's record (account.h).  Two ways to record a
 * login decision, chosen here and nowhere else:
 *
 *  - locked (the files backend): lock, read, count the attempt (a write
 *    that must outlive the process), judge, and on success write the new
 *    state durably, then unlock.  Everything happens under the lock, so N
 *    concurrent logins with one code see each other's last_step.
 *  - single-statement (a database shared by many hosts): judge in
 *    memory on a snapshot (the read before the prompt), and let one
 *    conditional statement count the attempt and take the step or
 *    delete the backup code, only while the row still has the snapshot's
 *    secret (a code for a step someone took meanwhile is not counted: a
 *    replay); of N logins with one code on any number of hosts exactly
 *    one wins.
 *
 * In both, no verdict is acted on until the attempt is counted: a caller
 * who can make a write fail (a file-size limit), or kill the process
 * between the judgment and the write, gains no uncounted guess.  One answer is
 * told apart first, without a count: a code of a step already used (a
 * replay).  It can never succeed, telling it apart reveals only codes
 * that are spent, and counting it would let anyone who saw a code (the
 * user's own sudo right after their SSH login) lock the user out.
 */
#include "autoconfig.h"

#include <string.h>
#include <syslog.h>

#include "account.h"
#include "err.h"
#include "log.h"
#include "onetime.h"
#include "otp.h"
#include "secure.h"

struct odin_enrollment {
	struct odin_record snap;	/* the stored record when begin ran */
	int absent;			/* there was none */
	struct odin_token_proof proof;	/* the store's, for the token this session spent */
	struct odin_record nr;		/* the record commit writes */
	int confirmed;
	int coded;
};

/* Two records' worth of memory out of core dumps and swap. */
static struct odin_record *
acct_records(void)
{
	return odin_secure_alloc(2 * sizeof(struct odin_record));
}

static void
acct_info_from(struct odin_account_info *info, const struct odin_record *r)
{
	memset(info, 0, sizeof(*info));
	info->state = r->state;
	info->alg = r->alg;
	info->digits = r->digits;
	info->period = r->period;
	info->last_step = r->last_step;
	info->failures = r->failures;
	info->lockout_until = r->lockout_until;
	info->lockout_count = r->lockout_count;
	info->nbackup = r->nbackup;
	info->created = r->created;
	info->updated = r->updated;
	info->bypass_uses = r->bypass_uses;
	info->bypass_expires = r->bypass_expires;
	info->bypass_issued = r->bypass_issued;
	info->token = r->token;
	info->token_expires = r->token_expires;
	info->token_issued = r->token_issued;
}

/* The record of user as read by peek (0) or as the snapshot of a login (1), into *info. */
static int
acct_info_read(struct odin_store *st, const char *user, int login, struct odin_account_info *info)
{
	struct odin_record *r;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((r = acct_records()) == NULL)
		return ODIN_ENOMEM;
	rc = login ? odin_store_snapshot(st, user, 0, r) : odin_store_peek(st, user, r);
	if (rc == ODIN_OK)
		acct_info_from(info, r);
	odin_secure_free(r);
	return rc;
}

int
odin_account_info(struct odin_store *st, const char *user, struct odin_account_info *info)
{
	return acct_info_read(st, user, 0, info);
}

int
odin_account_login_info(struct odin_store *st, const char *user, struct odin_account_info *info)
{
	return acct_info_read(st, user, 1, info);
}

/* What an administrator needs beyond the decision: a clock-skew diagnosis, a new lockout. */
static void
acct_note(const struct odin_config *cfg, const char *user, const struct odin_auth_result *res,
    int64_t lockout_seconds)
{
	if (res->skew)
		odin_log(LOG_NOTICE, "user=%s code matches a clock offset of %+lld s; check the device clock",
		    user, (long long)res->skew_seconds);
	if (lockout_seconds > 0)
		odin_log(LOG_INFO, "user=%s locked out for %lld s after %u failures",
		    user, (long long)lockout_seconds, cfg->max_failures);
}

/* The answer judged against r (never written back): fills res and plan. */
static int
acct_judge(const struct odin_config *cfg, const struct odin_record *r, const char *input,
    int64_t now, struct odin_auth_result *res, struct odin_auth_plan *plan)
{
	if (input == NULL) {
		memset(res, 0, sizeof(*res));
		memset(plan, 0, sizeof(*plan));
		res->reason = "input too long";
		return ODIN_ENOMATCH;
	}
	return odin_auth_decide(cfg, r, input, now, res, plan);
}

/* A verdict other than success, as the caller sees it: wrong, or a used code. */
static int
acct_wrong(int e)
{
	return e == ODIN_EREPLAY ? ODIN_EREPLAY : ODIN_ENOMATCH;
}

/*
 * What is settled before the answer is judged, from the record as read
 * (rc: the read's result): a record gone, unreadable or not enabled, a
 * lockout.  ODIN_OK: go on and judge it.
 */
static int
acct_admit(int rc, const struct odin_record *r, int64_t now, struct odin_attempt *a)
{
	if (rc == ODIN_ENOENT) {
		a->reason = "record removed during login";
		return ODIN_ECHANGED;
	}
	if (rc != ODIN_OK) {
		a->reason = "cannot read record";
		return rc;
	}
	if (r->state != ODIN_STATE_ENABLED) {
		a->reason = "record changed during login";
		return ODIN_ECHANGED;
	}
	if (odin_auth_lockout_left(r, now) > 0) {
		a->reason = "locked out";
		a->locked_until = r->lockout_until;
		return ODIN_ELOCKEDOUT;
	}
	return ODIN_OK;
}

/*
 * The answer judged once, before anything is written: only a replay (a
 * code for a step r already used: refused, uncounted) is acted on before
 * the attempt is counted.  The same work for every answer of a kind
 * (store.h, auth.h), so the judging tells nothing before the count.
 */
static int
acct_judge_once(const struct odin_config *cfg, const struct odin_record *r, const char *input,
    int64_t now, struct odin_auth_result *res, struct odin_auth_plan *plan, struct odin_attempt *a)
{
	int e = acct_judge(cfg, r, input, now, res, plan);

	if (e == ODIN_EREPLAY) {
		a->method = res->method;
		a->reason = "replayed code";
	}
	return e;
}

static int
acct_verify_locked(struct odin_store *st, const struct odin_config *cfg, const char *user,
    const char *input, int64_t now, struct odin_attempt *a)
{
	struct odin_record *recs, *r, *counted;
	struct odin_auth_result res, fres;
	struct odin_auth_plan plan;
	struct odin_txn *txn = NULL;
	int rc, e, skew = ODIN_OK;

	memset(&res, 0, sizeof(res));
	memset(&fres, 0, sizeof(fres));
	memset(&plan, 0, sizeof(plan));
	if ((recs = acct_records()) == NULL)
		return ODIN_ENOMEM;
	r = &recs[0];
	counted = &recs[1];

	rc = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, r);
	if ((rc = acct_admit(rc, r, now, a)) != ODIN_OK)
		goto out;
	if ((e = acct_judge_once(cfg, r, input, now, &res, &plan, a)) == ODIN_EREPLAY) {
		rc = e;
		goto out;
	}

	/* Count first: if this cannot be written, the verdict is not acted on at all. */
	*counted = *r;
	odin_auth_fail(cfg, counted, now, &fres);
	if ((rc = odin_store_save(txn, counted, ODIN_SAVE_ATTEMPT)) != ODIN_OK) {
		a->reason = "cannot count the attempt";
		goto out;
	}
	a->method = res.method;
	a->reason = res.reason;
	if (e == ODIN_OK) {
		/* the state before the count, plus the success: the count is undone */
		if ((e = odin_auth_apply(cfg, r, ODIN_OK, &plan, now, &res)) == ODIN_OK) {
			if ((rc = odin_store_save(txn, r, 0)) != ODIN_OK) {
				a->reason = "cannot save record";	/* the attempt stays counted */
				goto out;
			}
			acct_note(cfg, user, &res, 0);
			goto out;
		}
		a->reason = "record cannot take the code";
	}
	acct_note(cfg, user, &res, fres.lockout_seconds);
	a->lockout_seconds = fres.lockout_seconds;
	rc = acct_wrong(e);
	skew = e;
out:
	odin_store_unlock(txn);
	/* counted, and the lock given back: what only a wrong code costs comes now */
	if (skew == ODIN_ENOMATCH) {
		odin_auth_skew(cfg, r, input, now, skew, &res);
		acct_note(cfg, user, &res, 0);
	}
	odin_wipe(&plan, sizeof(plan));
	odin_secure_free(recs);
	return rc;
}

/*
 * One use of the bypass code judged (it must still be the same one, with
 * a use left, and no lockout but this count's own), in one locked
 * transaction: the helpdesk's rare path, so no single statement of its own.
 */
static int
acct_take_bypass(struct odin_store *st, const char *user, const struct odin_record *judged,
    int64_t now, int64_t admitted)
{
	struct odin_record *r;
	struct odin_txn *txn = NULL;
	int rc;

	if ((r = acct_records()) == NULL)
		return ODIN_ENOMEM;
	rc = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, r);
	if (rc == ODIN_ENOENT)
		rc = ODIN_ENOMATCH;
	if (rc != ODIN_OK)
		goto out;
	if (r->state != ODIN_STATE_ENABLED || r->bypass_uses == 0 || now >= r->bypass_expires ||
	    memcmp(&r->bypass, &judged->bypass, sizeof(r->bypass)) != 0 ||
	    (r->lockout_until > now && r->lockout_until > admitted)) {
		rc = ODIN_ENOMATCH;
		goto out;
	}
	if ((rc = odin_auth_use_bypass(r)) == ODIN_OK) {
		odin_auth_clear(r, now);
		rc = odin_store_save(txn, r, 0);
	}
out:
	odin_store_unlock(txn);
	odin_secure_free(r);
	return rc;
}

static int
acct_verify_atomic(struct odin_store *st, const struct odin_config *cfg, const char *user,
    const char *input, int64_t now, struct odin_attempt *a)
{
	static const uint8_t no_hash[ODIN_BACKUP_HASH_LEN];
	struct odin_lockout_policy pol;
	struct odin_auth_result res;
	struct odin_auth_plan plan;
	struct odin_answer ans;
	struct odin_record *r;
	char norm[64];
	int64_t until = 0, started = 0;
	int rc, e;

	memset(&res, 0, sizeof(res));
	memset(&plan, 0, sizeof(plan));
	if ((r = acct_records()) == NULL)
		return ODIN_ENOMEM;

	/*
	 * The snapshot decided on, never written back: the read before the
	 * prompt where the store keeps it (the settle holds it to the row).
	 */
	rc = odin_store_snapshot(st, user, 0, r);
	/*
	 * A backup or bypass code is judged on the row as it is now, whole:
	 * the backup codes, and a bypass code the helpdesk may have issued
	 * while the person was on the phone (what is read depends on the
	 * kind of answer only, never on the verdict).
	 */
	if (rc == ODIN_OK && input != NULL) {
		enum odin_input_kind k = odin_input_classify(input, r->digits, norm, sizeof(norm));

		if (k == ODIN_INPUT_BACKUP || k == ODIN_INPUT_BYPASS)
			rc = odin_store_snapshot(st, user, ODIN_SNAP_FRESH, r);
	}
	odin_wipe(norm, sizeof(norm));
	if ((rc = acct_admit(rc, r, now, a)) != ODIN_OK)
		goto out;
	if ((e = acct_judge_once(cfg, r, input, now, &res, &plan, a)) == ODIN_EREPLAY) {
		rc = e;
		goto out;
	}

	/*
	 * Judged in memory against the snapshot; the verdict takes effect
	 * only with the one statement that also counts the attempt, so
	 * nothing of it leaves this process before the count is written.  A
	 * code for a step is settled on the condition that the step is still
	 * unused, so one that another login took meanwhile is a replay,
	 * uncounted, as under the lock.  A bypass code is counted here and
	 * taken under the lock (acct_take_bypass).  A wrong backup code sends
	 * a hash of zeros: the statement is the same size either way.
	 */
	pol.max_failures = cfg->max_failures;
	pol.lockout_seconds = cfg->lockout_seconds;
	pol.lockout_max_seconds = cfg->lockout_max_seconds;
	memset(&ans, 0, sizeof(ans));
	if (e == ODIN_OK && plan.method == ODIN_AUTH_TOTP) {
		ans.right = 1;
		ans.step = plan.step;
	} else if (e == ODIN_OK && plan.method == ODIN_AUTH_BACKUP) {
		ans.right = 1;
		ans.backup_hash = plan.backup_hash;
	} else if (res.method == ODIN_AUTH_BACKUP) {
		ans.backup_hash = no_hash;
	}
	rc = odin_store_settle(st, user, now, &pol, &ans, &until);
	if (rc == ODIN_OK) {
		a->method = res.method;
		a->reason = res.reason;
		acct_note(cfg, user, &res, 0);
		goto out;
	}
	if (rc == ODIN_ELOCKEDOUT) {
		a->reason = "locked out";
		a->locked_until = until;
		goto out;
	}
	if (rc == ODIN_EREPLAY) {
		a->method = res.method;
		a->reason = "replayed code";	/* another login took this step first */
		goto out;
	}
	if (rc == ODIN_ENOENT) {
		a->reason = "record changed during login";
		rc = ODIN_ECHANGED;
		goto out;
	}
	if (rc != ODIN_ENOMATCH) {
		a->reason = "cannot count the attempt";
		goto out;
	}
	/* counted */
	if (until > now)
		started = until - now;
	a->method = res.method;
	a->reason = res.reason;
	if (e == ODIN_OK && plan.method == ODIN_AUTH_BYPASS) {
		/* this count's own lockout: a right answer clears it */
		e = acct_take_bypass(st, user, r, now, started > 0 ? until : 0);
		if (e == ODIN_OK) {
			acct_note(cfg, user, &res, 0);
			rc = ODIN_OK;
			goto out;
		}
		if (e != ODIN_ENOMATCH) {
			a->reason = "cannot save record";	/* the attempt stays counted */
			rc = e;
			goto out;
		}
		a->reason = "bypass code used or revoked meanwhile";
	} else if (e == ODIN_OK) {
		e = ODIN_ENOMATCH;
		a->reason = "wrong or used backup code";	/* another login used it first */
	}
	acct_note(cfg, user, &res, started);
	a->lockout_seconds = started;
	rc = acct_wrong(e);
	/* counted: what only a wrong code costs comes now */
	odin_auth_skew(cfg, r, input, now, e, &res);
	acct_note(cfg, user, &res, 0);
out:
	odin_wipe(&plan, sizeof(plan));
	odin_wipe(&ans, sizeof(ans));
	odin_secure_free(r);
	return rc;
}

/*
 * A store that checks codes itself (store.h: odin_store_verifies): the
 * host only reads the redacted row (the salts to hash a typed code with),
 * and the store judges and counts in one transaction, by its own clock.
 * A clock of this host that is off by more than the window is logged.
 */
static int
acct_verify_server(struct odin_store *st, const struct odin_config *cfg, const char *user,
    const char *input, int64_t now, struct odin_attempt *a)
{
	struct odin_server_answer ans;
	struct odin_server_verdict v;
	struct odin_record *r;
	uint8_t h[ODIN_BACKUP_HASH_LEN];
	char norm[64];
	unsigned period = ODIN_PERIOD_DEFAULT;	/* the clock warning's unit: the row's, once read */
	int rc, kind;

	if ((r = acct_records()) == NULL)
		return ODIN_ENOMEM;
	memset(&ans, 0, sizeof(ans));
	norm[0] = '\0';
	ans.host_now = now;
	/*
	 * Six digits are a TOTP code whatever the record says (backup.c: no
	 * other kind of code is six digits), and the database judges it by
	 * the row's own digits, period and window: the answer goes without a
	 * read of the row first (one round trip less).  A row that changed
	 * since the prompt is the database's "absent" below.  Anything else
	 * needs the row's digits or salts.
	 */
	if (input != NULL && odin_input_classify(input, ODIN_DIGITS_MIN, norm, sizeof(norm)) ==
	    ODIN_INPUT_TOTP) {
		kind = ODIN_INPUT_TOTP;
		ans.kind = kind;
		ans.code = norm;
		a->method = ODIN_AUTH_TOTP;
		goto ask;
	}
	rc = odin_store_peek(st, user, r);
	if (rc == ODIN_ENOENT || (rc == ODIN_OK && r->state != ODIN_STATE_ENABLED)) {
		a->reason = rc == ODIN_ENOENT ? "record removed during login" : "record changed during login";
		rc = ODIN_ECHANGED;
		goto out;
	}
	if (rc != ODIN_OK) {
		a->reason = "cannot read record";
		goto out;
	}
	period = r->period;
	kind = input != NULL ? (int)odin_input_classify(input, r->digits, norm, sizeof(norm)) :
	    ODIN_INPUT_INVALID;
	ans.kind = kind;
	a->method = kind == ODIN_INPUT_TOTP ? ODIN_AUTH_TOTP : kind == ODIN_INPUT_BACKUP ?
	    ODIN_AUTH_BACKUP : kind == ODIN_INPUT_BYPASS ? ODIN_AUTH_BYPASS : ODIN_AUTH_NONE;
	if (kind == ODIN_INPUT_TOTP) {
		ans.code = norm;
	} else if ((kind == ODIN_INPUT_BACKUP && r->backup_iter != 0 &&
	    odin_backup_hash(r, norm, h) == ODIN_OK) || (kind == ODIN_INPUT_BYPASS &&
	    r->bypass_uses > 0 && odin_onetime_hash(&r->bypass, norm, h) == ODIN_OK)) {
		ans.hash = h;
	} else {
		ans.kind = ODIN_INPUT_INVALID;	/* nothing the store could match: counted */
	}
ask:
	rc = odin_store_verify(st, user, &ans, &v);
	if (v.skew > (int64_t)cfg->window * period + period ||
	    v.skew < -((int64_t)cfg->window * period + period))
		odin_log(LOG_WARNING, "user=%s: this host's clock is %lld s off the database's; "
		    "codes are judged by the database's clock", user, (long long)v.skew);
	switch (rc) {
	case ODIN_OK:
		a->reason = "accepted";
		break;
	case ODIN_ENOMATCH:
		a->reason = kind == ODIN_INPUT_TOTP ? "wrong code" : kind == ODIN_INPUT_BACKUP ?
		    "wrong or used backup code" : kind == ODIN_INPUT_BYPASS ?
		    "wrong, used or expired bypass code" : "malformed code";
		/* a lockout this count started, measured on the store's clock (now - skew) */
		if (v.locked_until > now - v.skew) {
			a->lockout_seconds = v.locked_until - (now - v.skew);
			odin_log(LOG_INFO, "user=%s locked out for %lld s", user,
			    (long long)a->lockout_seconds);
		}
		break;
	case ODIN_EREPLAY:
		a->reason = "replayed code";
		break;
	case ODIN_ELOCKEDOUT:
		a->reason = "locked out";
		a->locked_until = v.locked_until;
		break;
	case ODIN_ENOENT:
		a->reason = "record changed during login";
		rc = ODIN_ECHANGED;
		break;
	case ODIN_ECRYPTO:
		a->reason = "secret not sealed by the database";
		break;
	default:
		a->reason = "cannot verify";
		break;
	}
out:
	odin_wipe(norm, sizeof(norm));
	odin_wipe(h, sizeof(h));
	odin_wipe(&ans, sizeof(ans));
	odin_secure_free(r);
	return rc;
}

int
odin_account_verify(struct odin_store *st, const struct odin_config *cfg,
    const char *user, const char *input, int64_t now, struct odin_attempt *a)
{
	return odin_account_verify_flags(st, cfg, user, input, now, 0, a);
}

int
odin_account_verify_flags(struct odin_store *st, const struct odin_config *cfg,
    const char *user, const char *input, int64_t now, unsigned flags, struct odin_attempt *a)
{
	memset(a, 0, sizeof(*a));
	a->method = ODIN_AUTH_NONE;
	a->reason = "?";
	if (st == NULL || cfg == NULL || user == NULL)
		return ODIN_EINVAL;
	if ((flags & ODIN_VERIFY_NO_BYPASS) != 0 && input != NULL) {
		char norm[64];
		enum odin_input_kind k = odin_input_classify(input, ODIN_DIGITS_MAX, norm, sizeof(norm));

		odin_wipe(norm, sizeof(norm));
		if (k == ODIN_INPUT_BYPASS) {
			a->method = ODIN_AUTH_BYPASS;
			a->reason = "bypass code not accepted here";
			return ODIN_ENOMATCH;
		}
	}
	if (odin_store_verifies(st))
		return acct_verify_server(st, cfg, user, input, now, a);
	if (odin_store_has_atomic(st))
		return acct_verify_atomic(st, cfg, user, input, now, a);
	return acct_verify_locked(st, cfg, user, input, now, a);
}

/* ---- enrollment ---------------------------------------------------------- */

int
odin_enroll_begin(struct odin_store *st, const struct odin_config *cfg, const char *user,
    int forced, const struct odin_token_spent *spent, int64_t now, struct odin_enrollment **out)
{
	struct odin_account_info info;
	struct odin_enrollment *en;
	enum odin_token_need need;
	int rc;

	*out = NULL;
	if ((en = odin_secure_alloc(sizeof(*en))) == NULL)
		return ODIN_ENOMEM;
	rc = odin_store_peek(st, user, &en->snap);
	if (rc == ODIN_ENOENT) {
		en->absent = 1;
	} else if (rc != ODIN_OK) {
		odin_enroll_free(en);
		return rc;
	}
	/* the token rule on the very record commit will check: no window after the front end's look */
	acct_info_from(&info, &en->snap);
	need = odin_account_token_need(cfg, en->absent ? 0 : (int)en->snap.state,
	    en->absent ? NULL : &info, forced, now);
	if (need != ODIN_TOKEN_NEED_NONE && !(spent != NULL && spent->spent && !en->absent &&
	    en->snap.state == ODIN_STATE_PENDING && en->snap.token == ODIN_TOKEN_SPENT)) {
		odin_enroll_free(en);
		return ODIN_EPERM;
	}
	if (spent != NULL && spent->spent)
		en->proof = spent->proof;
	odin_record_init(&en->nr, now);
	en->nr.secret_len = ODIN_SECRET_DEFAULT;
	if ((rc = odin_random(en->nr.secret, en->nr.secret_len)) != ODIN_OK) {
		odin_enroll_free(en);
		return rc;
	}
	*out = en;
	return ODIN_OK;
}

const uint8_t *
odin_enroll_secret(const struct odin_enrollment *en, size_t *len)
{
	*len = en->nr.secret_len;
	return en->nr.secret;
}

void
odin_enroll_params(const struct odin_enrollment *en, struct odin_totp_params *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->alg = en->nr.alg;
	tp->digits = en->nr.digits;
	tp->period = en->nr.period;
}

int
odin_enroll_found(const struct odin_enrollment *en)
{
	return en->absent ? 0 : (int)en->snap.state;
}

int
odin_enroll_confirm(struct odin_enrollment *en, const struct odin_config *cfg,
    const char *input, int64_t now, int64_t *skew_seconds)
{
	struct odin_totp_params tp;
	char norm[64];
	int64_t step = 0, off = 0;
	int rc;

	*skew_seconds = 0;
	odin_enroll_params(en, &tp);
	tp.window = cfg->window;
	if (input == NULL ||
	    odin_input_classify(input, tp.digits, norm, sizeof(norm)) != ODIN_INPUT_TOTP) {
		odin_wipe(norm, sizeof(norm));
		return ODIN_EINVAL;
	}
	rc = odin_totp_verify(&tp, en->nr.secret, en->nr.secret_len, norm, now, 0, &step);
	if (rc == ODIN_OK) {
		en->nr.last_step = step;
		en->confirmed = 1;
	} else {
		rc = ODIN_ENOMATCH;
		if (cfg->skew_steps > 0 && odin_totp_find_skew(&tp, en->nr.secret,
		    en->nr.secret_len, norm, now, cfg->skew_steps, &off) == ODIN_OK)
			*skew_seconds = off * (int64_t)tp.period;
	}
	odin_wipe(norm, sizeof(norm));
	return rc;
}

int
odin_enroll_codes(struct odin_enrollment *en, const struct odin_config *cfg,
    struct odin_backup_code *codes)
{
	int rc;

	if (!en->confirmed)
		return ODIN_EINVAL;
	/* hashed here, before any lock: the KDF takes milliseconds per code */
	if ((rc = odin_backup_generate(&en->nr, cfg->backup_codes, codes)) != ODIN_OK)
		return rc;
	en->coded = 1;
	return ODIN_OK;
}

int
odin_enroll_commit(struct odin_store *st, const char *user,
    struct odin_enrollment *en, int64_t now)
{
	struct odin_record *cur;
	struct odin_txn *txn = NULL;
	int rc;

	if (!en->confirmed || !en->coded)
		return ODIN_EINVAL;
	if (odin_store_verifies(st)) {
		/* the store seals the secret and keeps the rule (missing, or pending without a token) */
		en->nr.state = ODIN_STATE_ENABLED;
		en->nr.created = now;
		en->nr.updated = now;
		return odin_store_enroll(st, user, &en->nr, en->absent ? -1 : en->snap.updated, &en->proof);
	}
	if ((cur = acct_records()) == NULL)
		return ODIN_ENOMEM;
	rc = odin_store_lock(st, user, 0, &txn, cur);
	if (rc != ODIN_OK && rc != ODIN_ENOENT)
		goto out;
	if (en->absent ? rc != ODIN_ENOENT : (rc != ODIN_OK || !odin_record_same(cur, &en->snap))) {
		rc = ODIN_ECHANGED;
		goto out;
	}
	en->nr.state = ODIN_STATE_ENABLED;
	en->nr.created = now;
	en->nr.updated = now;
	rc = odin_store_save(txn, &en->nr, 0);
out:
	odin_store_unlock(txn);
	odin_secure_free(cur);
	return rc;
}

void
odin_enroll_free(struct odin_enrollment *en)
{
	odin_secure_free(en);
}

/* ---- administration -------------------------------------------------------- */

int
odin_account_set_pending(struct odin_store *st, const char *user, int reset,
    int64_t now, int64_t token_ttl, char shown[ODIN_ONETIME_SHOWN_MAX],
    enum odin_pending_outcome *out)
{
	struct odin_record *r;
	struct odin_txn *txn = NULL;
	enum odin_pending_outcome what;
	int rc;

	*out = 0;
	if (shown != NULL)
		shown[0] = '\0';
	if (token_ttl < 0 || token_ttl > ODIN_TOKEN_TTL_MAX || (token_ttl > 0 && shown == NULL))
		return ODIN_EINVAL;
	if ((r = acct_records()) == NULL)
		return ODIN_ENOMEM;
	rc = odin_store_lock(st, user, 0, &txn, r);
	if (txn == NULL)
		goto out;
	if (rc == ODIN_OK && r->state == ODIN_STATE_PENDING) {
		what = ODIN_PENDING_ALREADY;
	} else if (rc == ODIN_OK && !reset) {
		*out = ODIN_PENDING_KEPT;
		goto out;
	} else {
		what = rc == ODIN_ENOENT ? ODIN_PENDING_CREATED : ODIN_PENDING_RESET;
		odin_record_init(r, now);
	}
	if (token_ttl > 0) {
		if ((rc = odin_onetime_make(ODIN_TOKEN_LEN, &r->token_hash, shown)) != ODIN_OK)
			goto out;
		r->token = ODIN_TOKEN_ACTIVE;
		r->token_issued = now;
		r->token_expires = now + token_ttl;
		r->updated = now;
	} else if (what == ODIN_PENDING_ALREADY) {
		*out = what;	/* nothing to write */
		rc = ODIN_OK;
		goto out;
	}
	if ((rc = odin_store_save(txn, r, 0)) == ODIN_OK)
		*out = what;
out:
	if (rc != ODIN_OK && shown != NULL)
		odin_wipe(shown, ODIN_ONETIME_SHOWN_MAX);	/* not stored: never shown */
	odin_store_unlock(txn);
	odin_secure_free(r);
	return rc;
}

int
odin_account_disable(struct odin_store *st, const char *user, int *unreadable)
{
	struct odin_record *r;
	struct odin_txn *txn = NULL;
	int rc;

	*unreadable = 0;
	if ((r = acct_records()) == NULL)
		return ODIN_ENOMEM;
	/* A record that does not parse or open can still be removed: the recovery path. */
	rc = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS | ODIN_LOCK_EVEN_CORRUPT, &txn, r);
	if (txn != NULL) {
		*unreadable = rc != ODIN_OK;
		rc = odin_store_delete(txn);
	}
	odin_store_unlock(txn);
	odin_secure_free(r);
	return rc;
}

int
odin_account_unlock(struct odin_store *st, const char *user, int64_t now)
{
	struct odin_record *r;
	struct odin_txn *txn = NULL;
	int rc;

	if ((r = acct_records()) == NULL)
		return ODIN_ENOMEM;
	rc = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS | ODIN_LOCK_RESET_STATE, &txn, r);
	if (rc == ODIN_OK) {
		odin_auth_clear(r, now);
		rc = odin_store_save(txn, r, 0);
	}
	odin_store_unlock(txn);
	odin_secure_free(r);
	return rc;
}

int
odin_account_import(struct odin_store *st, const char *user,
    const struct odin_import *imp, int force, int64_t now, unsigned *nbackup)
{
	const char *ptrs[ODIN_BACKUP_MAX];
	struct odin_record *recs, *nr, *cur;
	struct odin_txn *txn = NULL;
	unsigned i;
	int rc;

	*nbackup = 0;
	if (imp->secret_len == 0 || imp->secret_len > ODIN_SECRET_MAX)
		return ODIN_EINVAL;
	if ((recs = acct_records()) == NULL)
		return ODIN_ENOMEM;
	nr = &recs[0];
	cur = &recs[1];
	odin_record_init(nr, now);
	nr->state = ODIN_STATE_ENABLED;
	memcpy(nr->secret, imp->secret, imp->secret_len);
	nr->secret_len = imp->secret_len;
	nr->alg = imp->alg;
	nr->digits = imp->digits;
	nr->period = imp->period;
	if (imp->nscratch > 0) {
		for (i = 0; i < imp->nscratch && i < ODIN_BACKUP_MAX; i++)
			ptrs[i] = imp->scratch[i];
		if ((rc = odin_backup_set_plain(nr, ptrs, i)) != ODIN_OK)
			goto out;
	}
	rc = odin_store_lock(st, user, 0, &txn, cur);
	if (rc != ODIN_OK && rc != ODIN_ENOENT)
		goto out;
	if (rc == ODIN_OK && cur->state == ODIN_STATE_ENABLED && !force) {
		rc = ODIN_EEXIST;
		goto out;
	}
	/*
	 * The same secret again (a configuration job importing the same file
	 * twice): the codes it has already accepted stay used -- its step,
	 * and its backup codes as they are, where it has any (the file's
	 * scratch codes may be ones it used).
	 */
	if (rc == ODIN_OK && cur->secret_len == nr->secret_len && cur->alg == nr->alg &&
	    cur->period == nr->period && odin_ct_equal(cur->secret, nr->secret, nr->secret_len)) {
		if (cur->last_step > nr->last_step)
			nr->last_step = cur->last_step;
		if (cur->backup_iter != 0) {
			nr->backup_iter = cur->backup_iter;
			memcpy(nr->backup_salt, cur->backup_salt, sizeof(nr->backup_salt));
			memcpy(nr->backup, cur->backup, sizeof(nr->backup));
			nr->nbackup = cur->nbackup;
		}
	}
	if ((rc = odin_store_save(txn, nr, 0)) == ODIN_OK)
		*nbackup = nr->nbackup;
out:
	odin_store_unlock(txn);
	odin_wipe(ptrs, sizeof(ptrs));
	odin_secure_free(recs);
	return rc;
}

int
odin_account_new_backup_codes(struct odin_store *st, const struct odin_config *cfg,
    const char *user, int64_t now, struct odin_backup_code *codes)
{
	struct odin_record *recs, *set, *r;
	struct odin_txn *txn = NULL;
	int rc;

	if ((recs = acct_records()) == NULL)
		return ODIN_ENOMEM;
	set = &recs[0];
	r = &recs[1];
	/* hashed before the lock is taken: the KDF takes milliseconds per code */
	odin_record_init(set, now);
	if ((rc = odin_backup_generate(set, cfg->backup_codes, codes)) != ODIN_OK)
		goto out;
	rc = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, r);
	if (rc == ODIN_ENOENT || (rc == ODIN_OK && r->state != ODIN_STATE_ENABLED)) {
		rc = ODIN_ECHANGED;
		goto out;
	}
	if (rc != ODIN_OK)
		goto out;
	r->backup_iter = set->backup_iter;
	memcpy(r->backup_salt, set->backup_salt, sizeof(r->backup_salt));
	r->nbackup = set->nbackup;
	memcpy(r->backup, set->backup, sizeof(r->backup));
	r->updated = now;
	rc = odin_store_save(txn, r, 0);
out:
	odin_store_unlock(txn);
	if (rc != ODIN_OK)
		odin_wipe(codes, ODIN_BACKUP_MAX * sizeof(*codes));
	odin_secure_free(recs);
	return rc;
}
