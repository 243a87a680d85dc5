/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"

#include <string.h>

#include "auth.h"
#include "backup.h"
#include "err.h"
#include "onetime.h"
#include "otp.h"
#include "secure.h"

/* A normalised answer: at most a backup code or 8 digits, with room to spare. */
#define AUTH_NORM_MAX 64

const char *
odin_auth_method_name(enum odin_auth_method m)
{
	switch (m) {
	case ODIN_AUTH_TOTP:	return "totp";
	case ODIN_AUTH_BACKUP:	return "backup";
	case ODIN_AUTH_BYPASS:	return "bypass";
	case ODIN_AUTH_NONE:	break;
	}
	return "none";
}

int64_t
odin_auth_lockout_left(const struct odin_record *r, int64_t now)
{
	return r->lockout_until > now ? r->lockout_until - now : 0;
}

void
odin_auth_clear(struct odin_record *r, int64_t now)
{
	r->failures = 0;
	r->lockout_until = 0;
	r->lockout_count = 0;
	r->updated = now;
}

void
odin_auth_fail(const struct odin_config *cfg, struct odin_record *r,
    int64_t now, struct odin_auth_result *res)
{
	uint64_t secs = cfg->lockout_seconds, cap = cfg->lockout_max_seconds;

	r->updated = now;
	if (r->failures < UINT32_MAX)
		r->failures++;
	if (r->failures < cfg->max_failures)
		return;
	if (cap < secs)
		cap = secs;	/* a cap below the base would shorten the first lockout */
	/* lockout_seconds <= 86400 < 2^17, so a shift below 40 cannot overflow. */
	if (r->lockout_count >= 40 || (secs << r->lockout_count) > cap)
		secs = cap;
	else
		secs <<= r->lockout_count;
	r->lockout_until = now + (int64_t)secs;
	if (r->lockout_count < UINT32_MAX)
		r->lockout_count++;
	r->failures = 0;
	res->lockout_seconds = (int64_t)secs;
}

static int
auth_totp(const struct odin_config *cfg, const struct odin_record *r, const char *norm,
    int64_t now, struct odin_auth_result *res, struct odin_auth_plan *plan)
{
	struct odin_totp_params tp;
	int64_t matched = 0;
	int e;

	tp.alg = r->alg;
	tp.digits = r->digits;
	tp.period = r->period;
	tp.window = cfg->window;
	e = odin_totp_verify(&tp, r->secret, r->secret_len, norm, now, r->last_step, &matched);
	switch (e) {
	case ODIN_OK:
		plan->step = matched;
		res->reason = "code accepted";
		break;
	case ODIN_EREPLAY:
		res->reason = "replayed code";
		break;
	case ODIN_ENOMATCH:
		res->reason = "wrong code";	/* the skew search is odin_auth_skew()'s, after the count */
		break;
	default:
		res->reason = odin_strerror(e);
		break;
	}
	return e;
}

int
odin_auth_decide(const struct odin_config *cfg, const struct odin_record *r,
    const char *input, int64_t now, struct odin_auth_result *res,
    struct odin_auth_plan *plan)
{
	char norm[AUTH_NORM_MAX];
	int e;

	memset(res, 0, sizeof(*res));
	memset(plan, 0, sizeof(*plan));
	res->reason = "malformed input";
	if (r->state != ODIN_STATE_ENABLED || r->secret_len == 0) {
		res->reason = "record not enabled";
		return ODIN_EINVAL;
	}
	switch (odin_input_classify(input, r->digits, norm, sizeof(norm))) {
	case ODIN_INPUT_TOTP:
		res->method = ODIN_AUTH_TOTP;
		e = auth_totp(cfg, r, norm, now, res, plan);
		break;
	case ODIN_INPUT_BACKUP:
		/* norm is the form find() hashes, imported scratch codes included */
		res->method = ODIN_AUTH_BACKUP;
		e = odin_backup_find(r, norm, &plan->backup_idx, plan->backup_hash);
		res->reason = e == ODIN_OK ? "backup code accepted" :
		    e == ODIN_ENOMATCH ? "wrong or used backup code" : odin_strerror(e);
		break;
	case ODIN_INPUT_BYPASS:
		res->method = ODIN_AUTH_BYPASS;
		if (r->bypass_uses == 0 || now >= r->bypass_expires) {
			/* the same KDF either way: the time taken tells no one whether a code is outstanding */
			static const struct odin_onetime none;

			(void)odin_onetime_check(&none, norm);
			res->reason = r->bypass_uses == 0 ? "no bypass code" : "expired bypass code";
			e = ODIN_ENOMATCH;
		} else {
			e = odin_onetime_check(&r->bypass, norm);
			res->reason = e == ODIN_OK ? "bypass code accepted" :
			    e == ODIN_ENOMATCH ? "wrong bypass code" : odin_strerror(e);
		}
		break;
	default:
		if (input[0] == '\0')
			res->reason = "empty input";
		e = ODIN_ENOMATCH;
		break;
	}
	odin_wipe(norm, sizeof(norm));
	if (e == ODIN_OK)
		plan->method = res->method;
	return e;
}

int
odin_auth_use_bypass(struct odin_record *r)
{
	if (r->bypass_uses == 0 || r->bypass_uses > ODIN_BYPASS_USES_MAX)
		return ODIN_EINVAL;
	if (--r->bypass_uses == 0) {
		r->bypass_expires = r->bypass_issued = 0;
		odin_wipe(&r->bypass, sizeof(r->bypass));
	}
	return ODIN_OK;
}

int
odin_auth_apply(const struct odin_config *cfg, struct odin_record *r, int e,
    const struct odin_auth_plan *plan, int64_t now, struct odin_auth_result *res)
{
	if (e == ODIN_OK && plan->method == ODIN_AUTH_TOTP)
		r->last_step = plan->step;
	else if (e == ODIN_OK && plan->method == ODIN_AUTH_BACKUP)
		e = odin_backup_remove(r, plan->backup_idx);
	else if (e == ODIN_OK && plan->method == ODIN_AUTH_BYPASS)
		e = odin_auth_use_bypass(r);
	else if (e == ODIN_OK)
		e = ODIN_EINVAL;	/* a plan with nothing to record is no success */
	if (e == ODIN_OK) {
		odin_auth_clear(r, now);
	} else {
		odin_auth_fail(cfg, r, now, res);
	}
	return e;
}

void
odin_auth_skew(const struct odin_config *cfg, const struct odin_record *r, const char *input,
    int64_t now, int decided, struct odin_auth_result *res)
{
	struct odin_totp_params tp;
	char norm[AUTH_NORM_MAX];
	int64_t off = 0;

	res->skew = 0;
	res->skew_seconds = 0;
	if (decided != ODIN_ENOMATCH || res->method != ODIN_AUTH_TOTP || input == NULL ||
	    cfg->skew_steps == 0 || r->state != ODIN_STATE_ENABLED || r->secret_len == 0 ||
	    odin_input_classify(input, r->digits, norm, sizeof(norm)) != ODIN_INPUT_TOTP) {
		odin_wipe(norm, sizeof(norm));
		return;
	}
	tp.alg = r->alg;
	tp.digits = r->digits;
	tp.period = r->period;
	tp.window = cfg->window;
	/* diagnostics only: the code stays refused */
	if (odin_totp_find_skew(&tp, r->secret, r->secret_len, norm, now, cfg->skew_steps,
	    &off) == ODIN_OK) {
		res->skew = 1;
		res->skew_seconds = off * (int64_t)r->period;
	}
	odin_wipe(norm, sizeof(norm));
}

int
odin_auth_check(const struct odin_config *cfg, struct odin_record *r,
    const char *input, int64_t now, struct odin_auth_result *res)
{
	struct odin_auth_plan plan;
	int e;

	e = odin_auth_decide(cfg, r, input, now, res, &plan);
	odin_auth_skew(cfg, r, input, now, e, res);
	e = odin_auth_apply(cfg, r, e, &plan, now, res);
	odin_wipe(&plan, sizeof(plan));
	return e;
}
