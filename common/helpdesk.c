/* SPDX-License-Identifier: ISC */
/*
 * The helpdesk's transactions (account.h): temporary bypass codes and
 * enrollment tokens.  Both are one-time codes an administrator reads out
 * (onetime.h), stored only as salted hashes in the user's record.  A
 * bypass code lives in an enabled record beside the secret and the backup
 * codes, which it never touches, and is accepted at the code prompt by
 * odin_account_verify() (auth.c decides, odin_auth_use_bypass() spends a
 * use).  A token lives in a pending record and guards the new secret of
 * an enrollment: it is checked here, counted like any answer before it is
 * judged, and spent when right.  Disable, a reset and a new enrollment
 * write a record without either, so those end them too.
 */
#include "autoconfig.h"

#include <string.h>
#include <syslog.h>

#include "account.h"
#include "auth.h"
#include "err.h"
#include "log.h"
#include "onetime.h"
#include "secure.h"

static struct odin_record *
hd_record(void)
{
	return odin_secure_alloc(sizeof(struct odin_record));
}

int
odin_account_bypass_issue(struct odin_store *st, const char *user, int64_t now,
    int64_t ttl, unsigned uses, char shown[ODIN_ONETIME_SHOWN_MAX], int *replaced)
{
	struct odin_record *r;
	struct odin_txn *txn = NULL;
	int rc;

	*replaced = 0;
	shown[0] = '\0';
	if (ttl < 1 || ttl > ODIN_BYPASS_TTL_MAX || uses < 1 || uses > ODIN_BYPASS_USES_MAX)
		return ODIN_EINVAL;
	if ((r = hd_record()) == NULL)
		return ODIN_ENOMEM;
	rc = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, r);
	if (rc != ODIN_OK)
		goto out;
	if (r->state != ODIN_STATE_ENABLED) {
		rc = ODIN_ECHANGED;
		goto out;
	}
	*replaced = r->bypass_uses > 0 && now < r->bypass_expires;
	if ((rc = odin_onetime_make(ODIN_BYPASS_LEN, &r->bypass, shown)) != ODIN_OK)
		goto out;
	r->bypass_uses = uses;
	r->bypass_issued = now;
	r->bypass_expires = now + ttl;
	r->updated = now;
	rc = odin_store_save(txn, r, 0);
	if (rc != ODIN_OK)
		odin_wipe(shown, ODIN_ONETIME_SHOWN_MAX);	/* not stored: never shown */
out:
	odin_store_unlock(txn);
	odin_secure_free(r);
	return rc;
}

int
odin_account_bypass_revoke(struct odin_store *st, const char *user, int64_t now, int *had)
{
	struct odin_record *r;
	struct odin_txn *txn = NULL;
	int rc;

	*had = 0;
	if ((r = hd_record()) == NULL)
		return ODIN_ENOMEM;
	rc = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, r);
	if (rc != ODIN_OK || r->bypass_uses == 0)
		goto out;
	*had = 1;
	r->bypass_uses = 0;
	r->bypass_expires = r->bypass_issued = 0;
	odin_wipe(&r->bypass, sizeof(r->bypass));
	r->updated = now;
	rc = odin_store_save(txn, r, 0);
	if (rc != ODIN_OK)
		*had = 0;
out:
	odin_store_unlock(txn);
	odin_secure_free(r);
	return rc;
}

enum odin_token_need
odin_account_token_need(const struct odin_config *cfg, int found,
    const struct odin_account_info *info, int forced, int64_t now)
{
	if (found == ODIN_STATE_ENABLED)
		return ODIN_TOKEN_NEED_NONE;	/* replacing a secret needs the current one, not a token */
	if (found == ODIN_STATE_PENDING && info != NULL && info->token == ODIN_TOKEN_ACTIVE)
		return now < info->token_expires ? ODIN_TOKEN_NEED_ASK : ODIN_TOKEN_NEED_MISSING;
	if (found == ODIN_STATE_PENDING && info != NULL && info->token == ODIN_TOKEN_SPENT)
		return ODIN_TOKEN_NEED_MISSING;
	if (found == ODIN_STATE_PENDING || forced)
		return cfg->enroll_token ? ODIN_TOKEN_NEED_MISSING : ODIN_TOKEN_NEED_NONE;
	return ODIN_TOKEN_NEED_NONE;
}

/* The pending record with an outstanding token, not locked out: what may be counted and judged. */
static int
hd_token_admit(int rc, const struct odin_record *r, int64_t now, struct odin_attempt *a)
{
	if (rc == ODIN_ENOENT || (rc == ODIN_OK && (r->state != ODIN_STATE_PENDING ||
	    r->token != ODIN_TOKEN_ACTIVE))) {
		a->reason = "no outstanding enrollment token";
		return ODIN_ECHANGED;
	}
	if (rc != ODIN_OK) {
		a->reason = "cannot read record";
		return rc;
	}
	if (odin_auth_lockout_left(r, now) > 0) {
		a->reason = "locked out";
		a->locked_until = r->lockout_until;
		return ODIN_ELOCKEDOUT;
	}
	return ODIN_OK;
}

/*
 * A store that checks codes itself (store.h: odin_store_verifies): the
 * token's salt from the redacted row, the typed token's hash judged,
 * counted or spent by the store in one transaction.
 */
static int
hd_token_server(struct odin_store *st, const char *user, const char *input, int64_t now,
    struct odin_attempt *a, struct odin_token_spent *spent)
{
	struct odin_server_verdict v;
	struct odin_record *r;
	uint8_t h[ODIN_BACKUP_HASH_LEN];
	char norm[ODIN_TOKEN_LEN + 1];
	int rc;

	memset(h, 0, sizeof(h));
	norm[0] = '\0';
	if ((r = hd_record()) == NULL)
		return ODIN_ENOMEM;
	rc = odin_store_peek(st, user, r);
	if ((rc = hd_token_admit(rc, r, now, a)) != ODIN_OK)
		goto out;
	/* a malformed token is hashed as the empty guess: counted like any wrong one */
	if (input == NULL || odin_onetime_normalise(input, ODIN_TOKEN_LEN, norm, sizeof(norm)) != ODIN_OK)
		a->reason = "malformed enrollment token";
	else if ((rc = odin_onetime_hash(&r->token_hash, norm, h)) != ODIN_OK)
		goto out;
	rc = odin_store_token(st, user, h, now, &v, &spent->proof);
	switch (rc) {
	case ODIN_OK:
		a->reason = "enrollment token accepted";
		spent->spent = 1;
		break;
	case ODIN_ENOMATCH:
		if (a->reason[0] == '?')
			a->reason = now >= r->token_expires ? "expired enrollment token" : "wrong enrollment token";
		if (v.locked_until > now) {
			a->lockout_seconds = v.locked_until - now;
			odin_log(LOG_INFO, "user=%s locked out for %lld s", user, (long long)a->lockout_seconds);
		}
		break;
	case ODIN_ELOCKEDOUT:
		a->reason = "locked out";
		a->locked_until = v.locked_until;
		break;
	case ODIN_ECHANGED:
		a->reason = "no outstanding enrollment token";
		break;
	default:
		a->reason = "cannot check the enrollment token";
		break;
	}
out:
	odin_wipe(h, sizeof(h));
	odin_wipe(norm, sizeof(norm));
	odin_secure_free(r);
	return rc;
}

int
odin_account_token_check(struct odin_store *st, const struct odin_config *cfg,
    const char *user, const char *input, int64_t now, struct odin_attempt *a,
    struct odin_token_spent *spent)
{
	struct odin_auth_result fres;
	struct odin_record *r, *r2 = NULL;
	struct odin_onetime judged;
	struct odin_txn *txn = NULL;
	char norm[ODIN_TOKEN_LEN + 1];
	int rc, e;

	memset(a, 0, sizeof(*a));
	memset(&fres, 0, sizeof(fres));
	odin_wipe(spent, sizeof(*spent));
	a->method = ODIN_AUTH_NONE;
	a->reason = "?";
	if (odin_store_verifies(st))
		return hd_token_server(st, user, input, now, a, spent);
	if ((r = hd_record()) == NULL || (r2 = hd_record()) == NULL) {
		odin_secure_free(r);
		return ODIN_ENOMEM;
	}
	/* 1. count the attempt, under the lock, before anything is judged */
	rc = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, r);
	if ((rc = hd_token_admit(rc, r, now, a)) != ODIN_OK) {
		odin_store_unlock(txn);
		goto out;
	}
	judged = r->token_hash;
	*r2 = *r;
	odin_auth_fail(cfg, r2, now, &fres);
	rc = odin_store_save(txn, r2, ODIN_SAVE_ATTEMPT);
	odin_store_unlock(txn);
	txn = NULL;
	if (rc != ODIN_OK) {
		a->reason = "cannot count the attempt";
		goto out;
	}
	a->lockout_seconds = fres.lockout_seconds;

	/* 2. judged against the token as it was when counted (the KDF runs unlocked) */
	if (input == NULL || odin_onetime_normalise(input, ODIN_TOKEN_LEN, norm, sizeof(norm)) != ODIN_OK) {
		a->reason = "malformed enrollment token";
		rc = ODIN_ENOMATCH;
		goto out;
	}
	if (now >= r->token_expires) {
		a->reason = "expired enrollment token";
		rc = ODIN_ENOMATCH;
		goto out;
	}
	if ((e = odin_onetime_check(&judged, norm)) != ODIN_OK) {
		a->reason = e == ODIN_ENOMATCH ? "wrong enrollment token" : odin_strerror(e);
		rc = e == ODIN_ENOMATCH ? ODIN_ENOMATCH : e;
		goto out;
	}

	/* 3. right: spent, if it is still the token judged and no lockout began meanwhile */
	rc = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, r2);
	if (rc == ODIN_OK && (r2->state != ODIN_STATE_PENDING || r2->token != ODIN_TOKEN_ACTIVE ||
	    memcmp(&r2->token_hash, &judged, sizeof(judged)) != 0)) {
		a->reason = "enrollment token used or replaced meanwhile";
		rc = ODIN_ECHANGED;
	} else if (rc == ODIN_OK && r2->lockout_until > now && fres.lockout_seconds == 0) {
		a->reason = "locked out";
		a->locked_until = r2->lockout_until;
		rc = ODIN_ELOCKEDOUT;
	} else if (rc == ODIN_OK) {
		r2->token = ODIN_TOKEN_SPENT;
		r2->token_expires = 0;
		odin_wipe(&r2->token_hash, sizeof(r2->token_hash));
		odin_auth_clear(r2, now);
		if ((rc = odin_store_save(txn, r2, 0)) == ODIN_OK) {
			a->reason = "enrollment token accepted";
			a->lockout_seconds = 0;
			spent->spent = 1;	/* the record says so; no proof beside it */
		} else
			a->reason = "cannot save record";
	} else {
		a->reason = rc == ODIN_ENOENT ? "record removed meanwhile" : "cannot read record";
		if (rc == ODIN_ENOENT)
			rc = ODIN_ECHANGED;
	}
	odin_store_unlock(txn);
out:
	if (a->lockout_seconds > 0)
		odin_log(LOG_INFO, "user=%s locked out for %lld s after %u failures",
		    user, (long long)a->lockout_seconds, cfg->max_failures);
	odin_wipe(norm, sizeof(norm));
	odin_wipe(&judged, sizeof(judged));
	odin_secure_free(r);
	odin_secure_free(r2);
	return rc;
}
