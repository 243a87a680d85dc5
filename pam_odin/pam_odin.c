/* SPDX-License-Identifier: ISC */
/*
 * pam_odin.so: the TOTP second factor at login.
 *
 * pam_sm_authenticate: options -> user -> record -> prompt -> verify and
 * update under the record lock -> PAM code.  The lock is never held while
 * the user types: the record is read once to decide what to ask, then
 * locked again, read again and verified against that fresh copy, so that N
 * concurrent logins presenting one code let exactly one through.  A store
 * with single-statement operations (postgresql, shared by many hosts)
 * instead records the decision with one conditional statement
 * (pod_verify_atomic), which gives the same guarantee across hosts.
 *
 * Fails closed: only a user with no record at all (and not enforced) is
 * PAM_IGNORE; anything unreadable, unsafe or unwritable denies.
 */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define PAM_SM_AUTH
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "auth.h"
#include "backup.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "otp.h"
#include "record.h"
#include "secure.h"
#include "store.h"
#include "pod.h"

#define POD_FAIL_DELAY_USEC 2000000
#define POD_PROMPT "Verification code: "
#define POD_FWD_PROMPT "Password and verification code: "

/* ---- logging ---------------------------------------------------------- */

static void
pod_log_sink(void *ctx, int prio, const char *msg)
{
	const struct pod *p = ctx;

	if (prio == LOG_DEBUG && !p->cfg.debug)
		return;
	pam_syslog(p->pamh, prio, "%s", msg);
}

void
pod_decision(const struct pod *p, int prio, const char *result,
    const char *method, const char *reason)
{
	odin_log(prio, "user=%s result=%s method=%s reason=%s",
	    p->user != NULL ? p->user : "?", result, method, reason);
}

int
pod_store_err(int e)
{
	return e == ODIN_ENOMEM ? PAM_BUF_ERR : PAM_AUTHINFO_UNAVAIL;
}

/* ---- options ---------------------------------------------------------- */

/*
 * Configuration file first, module arguments on top.  Unknown keys are
 * logged and ignored; a bad value or an untrustworthy file denies, since
 * guessing what the administrator meant could weaken the check.
 */
static int
pod_options(struct pod *p, int argc, const char **argv)
{
	const char *path = ODIN_CONFIG_PATH;
	int explicit_path = 0, i, e, bad = 0;

	odin_config_defaults(&p->cfg);
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "config=", 7) == 0) {
			path = argv[i] + 7;
			explicit_path = 1;
		}
	}
	e = odin_config_load(path, &p->cfg);
	if (e == ODIN_ENOENT && !explicit_path) {
		/* no file: compiled-in defaults */
	} else if (e != ODIN_OK) {
		odin_log(LOG_ERR, "configuration %s not used: %s; denying", path,
		    odin_strerror(e));
		return PAM_AUTHINFO_UNAVAIL;
	}
	for (i = 0; i < argc; i++) {
		char key[64];
		const char *eq = strchr(argv[i], '='), *val = NULL;
		size_t klen = eq != NULL ? (size_t)(eq - argv[i]) : strlen(argv[i]);

		if (klen == 0 || klen >= sizeof(key)) {
			odin_log(LOG_WARNING, "unknown option '%s' ignored", argv[i]);
			continue;
		}
		memcpy(key, argv[i], klen);
		key[klen] = '\0';
		if (eq != NULL)
			val = eq + 1;
		if (strcmp(key, "config") == 0)
			continue;
		if (strcmp(key, "store") == 0)
			strcpy(key, "store_dir");
		e = odin_config_set(&p->cfg, key, val);
		if (e == ODIN_ENOENT) {
			odin_log(LOG_WARNING, "unknown option '%s' ignored", argv[i]);
		} else if (e != ODIN_OK) {
			odin_log(LOG_ERR, "bad value in option '%s'", argv[i]);
			bad = 1;
		}
	}
	if (bad)
		return PAM_SERVICE_ERR;
	odin_log(LOG_DEBUG, "config %s, store %s, window %u, max_failures %u",
	    path, p->cfg.store_dir, p->cfg.window, p->cfg.max_failures);
	return PAM_SUCCESS;
}

/* ---- who ---------------------------------------------------------------- */

static int
pod_get_user(struct pod *p)
{
	const char *user = NULL;
	int rv;

	rv = pam_get_user(p->pamh, &user, NULL);
	if (rv != PAM_SUCCESS) {
		odin_log(LOG_ERR, "cannot get the user name: %s",
		    pam_strerror(p->pamh, rv));
		return rv == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rv;
	}
	if (user == NULL || !odin_user_valid(user)) {
		char clean[80];
		size_t i;

		/* odin_log escapes control bytes; spaces and '=' too, so the name cannot fake fields */
		for (i = 0; user != NULL && user[i] != '\0' && i < 16; i++)
			clean[i] = (user[i] == ' ' || user[i] == '=') ? '_' : user[i];
		clean[i] = '\0';
		odin_log(LOG_NOTICE, "user=%s%s result=deny method=none reason=user name not usable",
		    clean, user != NULL && user[i] != '\0' ? "..." : "");
		return PAM_USER_UNKNOWN;
	}
	p->user = user;
	return PAM_SUCCESS;
}

/*
 * 1 if the user is a member (primary or supplementary) of enforce_group,
 * 0 if not or none is set, or a PAM error code (negated) when it cannot
 * be decided: an enforcement we cannot evaluate denies.
 */
static int
pod_enforced(struct pod *p)
{
	const struct passwd *pw;
	const struct group *gr;
	gid_t gid, *groups = NULL;
	int n = 32, i, member = 0;

	if (p->cfg.enforce_group[0] == '\0')
		return 0;
	gr = pam_modutil_getgrnam(p->pamh, p->cfg.enforce_group);
	if (gr == NULL) {
		odin_log(LOG_ERR, "enforce_group %s does not exist; denying",
		    p->cfg.enforce_group);
		return -PAM_AUTHINFO_UNAVAIL;
	}
	gid = gr->gr_gid;
	pw = pam_modutil_getpwnam(p->pamh, p->user);
	if (pw == NULL) {
		odin_log(LOG_NOTICE, "user=%s result=deny method=none reason=unknown to the system",
		    p->user);
		return -PAM_USER_UNKNOWN;
	}
	if (pw->pw_gid == gid)
		return 1;
	for (;;) {
		int got = n;
		gid_t *g = realloc(groups, (size_t)n * sizeof(*g));

		if (g == NULL) {
			free(groups);
			odin_log(LOG_CRIT, "out of memory");
			return -PAM_BUF_ERR;
		}
		groups = g;
		if (getgrouplist(p->user, pw->pw_gid, groups, &got) >= 0) {
			for (i = 0; i < got; i++)
				if (groups[i] == gid)
					member = 1;
			break;
		}
		if (got <= n)
			got = n * 2;
		if (got > 65536) {
			free(groups);
			odin_log(LOG_ERR, "user=%s has too many groups; denying", p->user);
			return -PAM_AUTHINFO_UNAVAIL;
		}
		n = got;
	}
	free(groups);
	return member;
}

/* ---- the code ----------------------------------------------------------- */

static int
pod_all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
pod_is_backup(const char *s)
{
	char norm[ODIN_BACKUP_CODE_LEN + 1];
	int ok = odin_backup_normalise(s, norm, sizeof(norm)) == ODIN_OK;

	odin_wipe(norm, sizeof(norm));
	return ok;
}

/*
 * forward_pass: the code is the tail of the password, which the previous
 * module collected or which we ask for once.  PAM_AUTHTOK is set to the
 * rest for the password module that follows.  Tails tried in order: a
 * dashed backup code, `digits` digits, an undashed backup code.
 */
static int
pod_forward_code(struct pod *p, unsigned digits, char *code, size_t codesz,
    int *toolong)
{
	const void *item = NULL;
	char buf[POD_FWD_MAX + 1];
	size_t len, cut;
	int rv;

	*toolong = 0;
	code[0] = '\0';
	rv = pam_get_item(p->pamh, PAM_AUTHTOK, &item);
	if (rv == PAM_SUCCESS && item != NULL) {
		len = strnlen(item, sizeof(buf));
		if (len >= sizeof(buf)) {
			*toolong = 1;
			return PAM_SUCCESS;
		}
		memcpy(buf, item, len + 1);
	} else {
		rv = pod_conv_ask(p->pamh, PAM_PROMPT_ECHO_OFF, POD_FWD_PROMPT,
		    buf, sizeof(buf), toolong);
		if (rv != PAM_SUCCESS)
			return rv;
		if (*toolong)
			return PAM_SUCCESS;
		len = strlen(buf);
	}
	cut = len;
	if (len >= ODIN_BACKUP_SHOWN_LEN && buf[len - 6] == '-' &&
	    pod_is_backup(buf + len - ODIN_BACKUP_SHOWN_LEN))
		cut = len - ODIN_BACKUP_SHOWN_LEN;
	else if (len >= digits && pod_all_digits(buf + len - digits, digits))
		cut = len - digits;
	else if (len >= ODIN_BACKUP_CODE_LEN &&
	    pod_is_backup(buf + len - ODIN_BACKUP_CODE_LEN))
		cut = len - ODIN_BACKUP_CODE_LEN;
	if (len - cut < codesz) {
		memcpy(code, buf + cut, len - cut + 1);
		buf[cut] = '\0';
	}
	rv = pam_set_item(p->pamh, PAM_AUTHTOK, buf);
	odin_wipe(buf, sizeof(buf));
	if (rv != PAM_SUCCESS) {
		odin_wipe(code, codesz);
		odin_log(LOG_ERR, "cannot set the password for the next module: %s",
		    pam_strerror(p->pamh, rv));
	}
	return rv;
}

/* forward_pass with a user who needs no code: make sure the next module has a password. */
static int
pod_forward_password_only(struct pod *p)
{
	const void *item = NULL;
	char buf[POD_FWD_MAX + 1];
	int rv, toolong;

	if (pam_get_item(p->pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item != NULL)
		return PAM_SUCCESS;
	rv = pod_conv_ask(p->pamh, PAM_PROMPT_ECHO_OFF, "Password: ", buf,
	    sizeof(buf), &toolong);
	if (rv == PAM_SUCCESS && !toolong)
		rv = pam_set_item(p->pamh, PAM_AUTHTOK, buf);
	odin_wipe(buf, sizeof(buf));
	return rv;
}

static unsigned
pod_minutes(int64_t secs)
{
	return secs <= 0 ? 1 : (unsigned)((secs + 59) / 60);
}

static int
pod_locked_out(struct pod *p, const struct odin_record *r, int64_t now)
{
	int64_t left = odin_auth_lockout_left(r, now);
	unsigned m;

	if (left == 0)
		return 0;
	m = pod_minutes(left);
	pod_say(p->pamh, PAM_ERROR_MSG,
	    "Too many failed attempts; try again in %u minute%s", m, m == 1 ? "" : "s");
	pod_decision(p, LOG_NOTICE, "deny", "none", "locked out");
	return 1;
}

/* What an admin needs beyond the decision line: a clock-skew diagnosis, a new lockout. */
static void
pod_note(const struct pod *p, const struct odin_auth_result *res)
{
	if (res->skew)
		odin_log(LOG_NOTICE, "user=%s code matches a clock offset of %+lld s; check the device clock",
		    p->user, (long long)res->skew_seconds);
	if (res->lockout_seconds > 0)
		odin_log(LOG_INFO, "user=%s locked out for %lld s after %u failures",
		    p->user, (long long)res->lockout_seconds, p->cfg.max_failures);
}

/*
 * Checks one answer against the fresh, locked record r and updates it
 * (odin_auth_check: the decision the CLI makes too).
 */
static int
pod_check(struct pod *p, struct odin_record *r, const char *input, int toolong,
    int64_t now, const char **method, const char **reason)
{
	struct odin_auth_result res;
	int e;

	memset(&res, 0, sizeof(res));
	if (toolong) {
		res.reason = "input too long";
		odin_auth_fail(&p->cfg, r, now, &res);
		e = ODIN_ENOMATCH;
	} else {
		e = odin_auth_check(&p->cfg, r, input, now, &res);
	}
	*method = odin_auth_method_name(res.method);
	*reason = res.reason;
	pod_note(p, &res);
	return e == ODIN_OK ? PAM_SUCCESS : PAM_AUTH_ERR;
}

/*
 * The record read again once the user has answered (under the lock, or
 * the snapshot the atomic path decides on): e is the read's result.
 * Returns PAM_SUCCESS if it is still there, enabled and not locked out,
 * else the PAM code that denies, logged.
 */
static int
pod_reread(struct pod *p, int e, const struct odin_record *r, int64_t now)
{
	if (e == ODIN_ENOENT) {
		pod_decision(p, LOG_NOTICE, "deny", "none", "record removed during login");
		return PAM_AUTH_ERR;
	}
	if (e != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=cannot read record: %s",
		    p->user, odin_strerror(e));
		return pod_store_err(e);
	}
	if (r->state != ODIN_STATE_ENABLED) {
		pod_decision(p, LOG_NOTICE, "deny", "none", "record changed during login");
		return PAM_AUTH_ERR;
	}
	if (pod_locked_out(p, r, now))
		return PAM_MAXTRIES;
	return PAM_SUCCESS;
}

/* The decision could not be recorded: deny, and say why. */
static int
pod_save_failed(struct pod *p, const char *method, int e)
{
	odin_log(LOG_ERR, "user=%s result=deny method=%s reason=cannot save record: %s (see pam_odin(8), RECOVERY)",
	    p->user, method, odin_strerror(e));
	return pod_store_err(e);
}

/*
 * A store with single-statement operations (a database shared by many
 * hosts): decide on a snapshot read after the user answered
 * (odin_auth_decide, the decision odin_auth_check makes), then let one
 * conditional statement record it -- take the step only if last_step is
 * still below it, delete the backup code only if it is still there --
 * so of N logins with one code on any number of hosts exactly one wins,
 * and the others are refused as replays.  A failure is an increment in
 * the store (with the lockout rule of odin_auth_fail), never a
 * read-modify-write here.  Nothing is held while the statements run.
 */
static int
pod_verify_atomic(struct pod *p, const char *input, int toolong)
{
	struct odin_record r;
	struct odin_auth_result res;
	struct odin_auth_plan plan;
	struct odin_lockout_policy pol;
	const char *method;
	int64_t now = (int64_t)time(NULL), until = 0;
	int rv, e;

	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	memset(&plan, 0, sizeof(plan));
	e = odin_store_peek(p->st, p->user, &r);	/* a snapshot: decided on, never written back */
	if ((rv = pod_reread(p, e, &r, now)) != PAM_SUCCESS)
		goto out;

	if (toolong) {
		res.reason = "input too long";
		e = ODIN_ENOMATCH;
	} else {
		e = odin_auth_decide(&p->cfg, &r, input, now, &res, &plan);
	}
	method = odin_auth_method_name(res.method);
	if (e == ODIN_OK) {
		if (plan.method == ODIN_AUTH_BACKUP)
			e = odin_store_consume_backup(p->st, p->user, plan.backup_hash, now);
		else
			e = odin_store_accept_step(p->st, p->user, plan.step, now);
		if (e == ODIN_EREPLAY) {
			res.reason = "replayed code";	/* another login took this step first */
		} else if (e == ODIN_ENOMATCH) {
			res.reason = "wrong or used backup code";
		} else if (e != ODIN_OK) {
			rv = pod_save_failed(p, method, e);
			goto out;
		}
	}
	if (e != ODIN_OK) {
		pol.max_failures = p->cfg.max_failures;
		pol.lockout_seconds = p->cfg.lockout_seconds;
		pol.lockout_max_seconds = p->cfg.lockout_max_seconds;
		e = odin_store_count_failure(p->st, p->user, now, &pol, &until);
		if (e == ODIN_ELOCK) {
			/* another login started a lockout meanwhile: refused as under the lock */
			r.lockout_until = until;
			if (!pod_locked_out(p, &r, now))
				pod_decision(p, LOG_NOTICE, "deny", "none", "locked out");
			rv = PAM_MAXTRIES;
			goto out;
		} else if (e == ODIN_ENOENT) {
			pod_decision(p, LOG_NOTICE, "deny", "none", "record changed during login");
			rv = PAM_AUTH_ERR;
			goto out;
		} else if (e != ODIN_OK) {
			rv = pod_save_failed(p, method, e);
			goto out;
		}
		if (until > now)
			res.lockout_seconds = until - now;
		rv = PAM_AUTH_ERR;
	} else {
		rv = PAM_SUCCESS;
	}
	pod_note(p, &res);
	if (rv == PAM_SUCCESS)
		pod_decision(p, LOG_INFO, "success", method, res.reason);
	else
		pod_decision(p, LOG_NOTICE, "deny", method, res.reason);
out:
	odin_record_wipe(&r);
	odin_wipe(&plan, sizeof(plan));
	return rv;
}

/* An enabled user: ask, then verify and update under the lock (or atomically). */
static int
pod_verify(struct pod *p, const struct odin_record *first)
{
	struct odin_record r;
	struct odin_txn *txn = NULL;
	char input[POD_FWD_MAX + 1];
	const char *method = "none", *reason = "?";
	int64_t now = (int64_t)time(NULL);
	int rv, e, toolong = 0;

	memset(&r, 0, sizeof(r));
	if (pod_locked_out(p, first, now))
		return PAM_MAXTRIES;
	if (p->cfg.forward_pass)
		rv = pod_forward_code(p, first->digits, input, POD_INPUT_MAX + 1, &toolong);
	else
		rv = pod_conv_ask(p->pamh,
		    p->cfg.echo_code ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF,
		    POD_PROMPT, input, POD_INPUT_MAX + 1, &toolong);
	if (rv != PAM_SUCCESS) {
		odin_log(LOG_NOTICE, "user=%s result=deny method=none reason=conversation failed: %s",
		    p->user, pam_strerror(p->pamh, rv));
		goto out;
	}

	if (odin_store_has_atomic(p->st)) {
		rv = pod_verify_atomic(p, input, toolong);
		goto out;
	}
	now = (int64_t)time(NULL);
	e = odin_store_lock(p->st, p->user, ODIN_LOCK_IF_EXISTS, &txn, &r);
	if ((rv = pod_reread(p, e, &r, now)) != PAM_SUCCESS)
		goto out;

	rv = pod_check(p, &r, input, toolong, now, &method, &reason);
	e = odin_store_save(txn, &r);
	if (e != ODIN_OK) {
		/* never succeed without a durable record: the code could be replayed after a crash */
		rv = pod_save_failed(p, method, e);
		goto out;
	}
	if (rv == PAM_SUCCESS)
		pod_decision(p, LOG_INFO, "success", method, reason);
	else
		pod_decision(p, LOG_NOTICE, "deny", method, reason);
out:
	odin_store_unlock(txn);
	odin_record_wipe(&r);
	odin_wipe(input, sizeof(input));
	return rv;
}

/* ---- entry points ------------------------------------------------------- */

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pod p;
	struct odin_record rec;
	int rv, e, enf;

	memset(&p, 0, sizeof(p));
	memset(&rec, 0, sizeof(rec));
	p.pamh = pamh;
	odin_log_set_sink(pod_log_sink, &p);

	if ((rv = pod_options(&p, argc, argv)) != PAM_SUCCESS)
		goto out;
	if ((rv = pod_get_user(&p)) != PAM_SUCCESS)
		goto out;
	if ((e = odin_store_open_config(&p.cfg, &p.st)) != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=store %s: %s",
		    p.user, p.cfg.store_dir, odin_strerror(e));
		rv = pod_store_err(e);
		goto out;
	}
	/*
	 * read (no lock) to decide what to ask; whatever is written later is
	 * decided again under the lock or by a conditional statement
	 */
	e = odin_store_peek(p.st, p.user, &rec);
	if (e == ODIN_ENOENT) {
		enf = pod_enforced(&p);
		if (enf < 0) {
			rv = -enf;
		} else if (enf == 0) {
			pod_decision(&p, LOG_INFO, "ignore", "none", "no record");
			rv = PAM_IGNORE;
			if (p.cfg.forward_pass && pod_forward_password_only(&p) != PAM_SUCCESS)
				odin_log(LOG_NOTICE, "user=%s: no password collected for the next module", p.user);
		} else {
			rv = pod_enroll(&p, NULL);
		}
	} else if (e != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=cannot read record: %s",
		    p.user, odin_strerror(e));
		rv = pod_store_err(e);
	} else if (rec.state == ODIN_STATE_PENDING) {
		rv = pod_enroll(&p, &rec);
	} else {
		rv = pod_verify(&p, &rec);
	}
out:
	odin_record_wipe(&rec);
	if (p.st != NULL)
		odin_store_close(p.st);
	if (rv != PAM_SUCCESS && rv != PAM_IGNORE)
		pam_fail_delay(pamh, POD_FAIL_DELAY_USEC);
	odin_log_set_sink(NULL, NULL);
	return rv;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}
