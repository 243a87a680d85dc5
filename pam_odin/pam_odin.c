/* SPDX-License-Identifier: ISC */
/*
 * pam_odin.so: the TOTP second factor at login.
 *
 * pam_sm_authenticate: options -> user (the canonical name NSS returns)
 * -> what the record says (read, no lock) -> ask -> odin_account_verify()
 * -> PAM code.  Every transaction on the record is common/account.c's:
 * the attempt is counted before the answer is judged, under the record's
 * lock or by the store's single statement, and no lock is held while the
 * user types or while anything is shown.
 *
 * forward_pass splits one login into two stages so that nothing that has
 * not proven the password can touch the failure count: the line with
 * forward_pass among its arguments, before the password module, only cuts
 * the code off the password and keeps it (pam_set_data), replacing what
 * an earlier try kept; the next pam_odin line (without forward_pass),
 * after the password module, takes it away and checks it instead of
 * prompting.  A login that succeeds with a code kept but never checked is
 * logged as a broken stack.
 *
 * Fails closed: only a user with no record at all (and not enforced) is
 * PAM_IGNORE; anything unreadable, unsafe or unwritable denies.
 */
#include "autoconfig.h"

#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PAM_SM_AUTH
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "account.h"
#include "backup.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "secure.h"
#include "store.h"
#include "user.h"
#include "pod.h"

#define POD_FAIL_DELAY_USEC 2000000
#define POD_PROMPT "Verification code: "
#define POD_FWD_PROMPT "Password and verification code: "
#define POD_FWD_DATA "odin_mfa_forward_code"
#define POD_REPLAY_ASKS 3	/* a used code, explained, then asked again: at most this often */

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
	    p->user[0] != '\0' ? p->user : "?", result, method, reason);
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
	int explicit_path = 0, i, e, bad = 0, file_fwd;

	odin_config_defaults(&p->cfg);
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "config=", 7) == 0) {
			path = argv[i] + 7;
			explicit_path = 1;
		}
	}
	e = odin_config_load(path, &p->cfg);
	file_fwd = p->cfg.forward_pass;
	p->cfg.forward_pass = 0;	/* a property of one stack line: read from the line only */
	if (e == ODIN_ENOENT && !explicit_path) {
		/* no file: compiled-in defaults */
	} else if (e == ODIN_ECORRUPT) {
		odin_log(LOG_ERR, "configuration %s not used: it has errors (each logged above with "
		    "its line; odin-mfa-cli check lists them); denying", path);
		return PAM_AUTHINFO_UNAVAIL;
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
	p->split = p->cfg.forward_pass;
	if (file_fwd && !p->split)
		odin_log(LOG_WARNING, "configuration %s: forward_pass is ignored there; it belongs on "
		    "the first of the two pam_odin lines of a stack (see pam_odin(8))", path);
	odin_log(LOG_DEBUG, "config %s, store %s, window %u, max_failures %u",
	    path, p->cfg.store_dir, p->cfg.window, p->cfg.max_failures);
	return PAM_SUCCESS;
}

/* ---- who ---------------------------------------------------------------- */

/* A name as typed, made safe to log: at most 16 bytes, no field separators. */
static void
pod_log_name(const char *user, const char *reason)
{
	char clean[20];
	size_t i;

	/* odin_log escapes control bytes; spaces and '=' too, so the name cannot fake fields */
	for (i = 0; user != NULL && user[i] != '\0' && i < 16; i++)
		clean[i] = (user[i] == ' ' || user[i] == '=') ? '_' : user[i];
	clean[i] = '\0';
	odin_log(LOG_NOTICE, "user=%s%s result=deny method=none reason=%s",
	    clean, user != NULL && user[i] != '\0' ? "..." : "", reason);
}

/*
 * The account's canonical name: records are keyed by what NSS returns in
 * pw_name, never by the spelling the client typed, so "ALICE" on a
 * directory that resolves names case-insensitively finds alice's record.
 */
static int
pod_get_user(struct pod *p)
{
	const char *user = NULL;
	int rv, e;

	rv = pam_get_user(p->pamh, &user, NULL);
	if (rv != PAM_SUCCESS) {
		odin_log(LOG_ERR, "cannot get the user name: %s",
		    pam_strerror(p->pamh, rv));
		return rv == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rv;
	}
	e = odin_user_canonical(user, p->user, sizeof(p->user), NULL, &p->gid);
	switch (e) {
	case ODIN_OK:
		return PAM_SUCCESS;
	case ODIN_ENOENT:
		pod_log_name(user, "unknown to the system");
		return PAM_USER_UNKNOWN;
	case ODIN_EBADNAME:
		pod_log_name(user, "user name not usable");
		return PAM_USER_UNKNOWN;
	case ODIN_ENOMEM:
		odin_log(LOG_CRIT, "out of memory");
		return PAM_BUF_ERR;
	default:
		pod_log_name(user, "the user database did not answer");
		return PAM_AUTHINFO_UNAVAIL;
	}
}

/*
 * 1 if the user is a member (primary or supplementary) of enforce_group,
 * 0 if not or none is set, or a PAM error code (negated) when it cannot
 * be decided: an enforcement we cannot evaluate denies.
 */
static int
pod_enforced(struct pod *p)
{
	int e;

	if (p->cfg.enforce_group[0] == '\0')
		return 0;
	e = odin_user_in_group(p->user, p->gid, p->cfg.enforce_group);
	if (e >= 0)
		return e;
	if (e == ODIN_ENOENT)
		odin_log(LOG_ERR, "enforce_group %s does not exist; denying", p->cfg.enforce_group);
	else
		odin_log(LOG_ERR, "user=%s: membership of enforce_group %s cannot be read (%s); denying",
		    p->user, p->cfg.enforce_group, odin_strerror(e));
	return e == ODIN_ENOMEM ? -PAM_BUF_ERR : -PAM_AUTHINFO_UNAVAIL;
}

/* ---- forward_pass -------------------------------------------------------- */

/*
 * At pam_end.  A code that was cut off the password for a user who needs
 * one, and that no later pam_odin instance checked, means the stack lacks
 * its second line: the module cannot stop what the stack allows, but the
 * administrator must hear of it (odin-mfa-cli check looks for it too).
 */
static void
pod_fwd_cleanup(pam_handle_t *pamh, void *data, int status)
{
	const struct pod_fwd *fwd = data;

	/* replaced by the next try's split, or taken by the check: nothing to say */
	if (fwd != NULL && fwd->need && (status & PAM_DATA_REPLACE) == 0 &&
	    (status & ~(PAM_DATA_REPLACE | PAM_DATA_SILENT)) == PAM_SUCCESS)
		pam_syslog(pamh, LOG_ERR, "forward_pass: user=%s logged in, but the code cut off the "
		    "password was never checked: no pam_odin.so line after the password module "
		    "(see pam_odin(8), FORWARD_PASS)", fwd->user);
	odin_secure_free(data);
}

/*
 * The checking line: takes what the splitting line kept for this try (and
 * removes it, so that no later try sees it).  Returns PAM_SUCCESS with *out
 * filled (out->need 0: nothing was kept), or a denial.
 */
static int
pod_fwd_take(struct pod *p, struct pod_fwd *out)
{
	const void *data = NULL;
	int rv;

	memset(out, 0, sizeof(*out));
	if (pam_get_data(p->pamh, POD_FWD_DATA, &data) != PAM_SUCCESS || data == NULL)
		return PAM_SUCCESS;
	memcpy(out, data, sizeof(*out));
	out->kept = 1;
	if ((rv = pam_set_data(p->pamh, POD_FWD_DATA, NULL, NULL)) != PAM_SUCCESS) {
		odin_log(LOG_ERR, "cannot drop the code kept by forward_pass: %s", pam_strerror(p->pamh, rv));
		return PAM_SYSTEM_ERR;
	}
	if (strcmp(out->user, p->user) != 0) {
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=forward_pass kept a code for "
		    "another user (%s)", p->user, out->user);
		return PAM_AUTH_ERR;
	}
	return PAM_SUCCESS;
}

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
 * The password the previous module collected, or one asked for now (with
 * prompt): into buf (POD_FWD_MAX + 1 bytes).  *toolong if it did not fit.
 */
static int
pod_fwd_password(struct pod *p, const char *prompt, char *buf, int *toolong)
{
	const void *item = NULL;
	size_t len;
	int rv;

	*toolong = 0;
	buf[0] = '\0';
	rv = pam_get_item(p->pamh, PAM_AUTHTOK, &item);
	if (rv == PAM_SUCCESS && item != NULL) {
		len = strnlen(item, POD_FWD_MAX + 1);
		if (len > POD_FWD_MAX)
			*toolong = 1;
		else
			memcpy(buf, item, len + 1);
		return PAM_SUCCESS;
	}
	return pod_conv_ask(p->pamh, PAM_PROMPT_ECHO_OFF, prompt, buf, POD_FWD_MAX + 1, toolong);
}

/*
 * The first stage of forward_pass, before the password module: for a
 * user who needs a code, cut it off the end of the password (tails tried
 * in order: a dashed backup code, `digits` digits, an undashed backup
 * code) and keep it for the instance after the password module; hand the
 * rest on as PAM_AUTHTOK.  Judges nothing, counts nothing, writes
 * nothing: the password has not been checked yet.
 */
static int
pod_forward_split(struct pod *p, int need, unsigned digits)
{
	struct pod_fwd *fwd;
	char buf[POD_FWD_MAX + 1];
	size_t len, cut;
	int rv, toolong;

	rv = pod_fwd_password(p, need ? POD_FWD_PROMPT : "Password: ", buf, &toolong);
	if (rv != PAM_SUCCESS) {
		odin_log(LOG_NOTICE, "user=%s result=deny method=none reason=conversation failed: %s",
		    p->user, pam_strerror(p->pamh, rv));
		goto out;
	}
	if ((fwd = odin_secure_alloc(sizeof(*fwd))) == NULL) {
		odin_log(LOG_CRIT, "out of memory");
		rv = PAM_BUF_ERR;
		goto out;
	}
	fwd->need = need;
	fwd->toolong = toolong;
	memcpy(fwd->user, p->user, sizeof(fwd->user));
	len = strlen(buf);
	cut = len;
	if (need && !toolong) {
		if (len >= ODIN_BACKUP_SHOWN_LEN && buf[len - 6] == '-' &&
		    pod_is_backup(buf + len - ODIN_BACKUP_SHOWN_LEN))
			cut = len - ODIN_BACKUP_SHOWN_LEN;
		else if (len >= digits && pod_all_digits(buf + len - digits, digits))
			cut = len - digits;
		else if (len >= ODIN_BACKUP_CODE_LEN &&
		    pod_is_backup(buf + len - ODIN_BACKUP_CODE_LEN))
			cut = len - ODIN_BACKUP_CODE_LEN;
		memcpy(fwd->code, buf + cut, len - cut + 1);	/* <= ODIN_BACKUP_SHOWN_LEN + 1 */
		buf[cut] = '\0';
	}
	rv = pam_set_data(p->pamh, POD_FWD_DATA, fwd, pod_fwd_cleanup);
	if (rv != PAM_SUCCESS) {
		odin_secure_free(fwd);
		odin_log(LOG_ERR, "cannot keep the code for the next stage: %s", pam_strerror(p->pamh, rv));
		goto out;
	}
	if (!toolong && (rv = pam_set_item(p->pamh, PAM_AUTHTOK, buf)) != PAM_SUCCESS) {
		odin_log(LOG_ERR, "cannot set the password for the next module: %s",
		    pam_strerror(p->pamh, rv));
		goto out;
	}
	odin_log(LOG_DEBUG, "user=%s forward_pass: %s", p->user,
	    need ? "code kept for the check after the password module" : "no code needed");
	rv = PAM_IGNORE;
out:
	odin_wipe(buf, sizeof(buf));
	return rv;
}

/* ---- the code ----------------------------------------------------------- */

static unsigned
pod_minutes(int64_t secs)
{
	return secs <= 0 ? 1 : (unsigned)((secs + 59) / 60);
}

static int
pod_locked_out(struct pod *p, int64_t until, int64_t now)
{
	unsigned m;

	if (until <= now)
		return 0;
	m = pod_minutes(until - now);
	pod_say(p->pamh, PAM_ERROR_MSG,
	    "Too many failed attempts; try again in %u minute%s", m, m == 1 ? "" : "s");
	pod_decision(p, LOG_NOTICE, "deny", "none", "locked out");
	return 1;
}

/* Asks for the code (whose code it is, with su_caller).  PAM_SUCCESS or the conversation's error. */
static int
pod_ask_code(struct pod *p, char *input, size_t inputsz, int *toolong)
{
	char prompt[ODIN_USER_MAX + 40];

	/* su_caller: say whose code it is (the target's account has none) */
	if (p->target[0] != '\0')
		(void)snprintf(prompt, sizeof(prompt), "Verification code for %s: ", p->user);
	else
		(void)snprintf(prompt, sizeof(prompt), "%s", POD_PROMPT);
	return pod_conv_ask(p->pamh, p->cfg.echo_code ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF,
	    prompt, input, inputsz, toolong);
}

/*
 * An enabled user: ask (or take the code forward_pass kept), then let
 * odin_account_verify() count, judge and record it.  A code already used
 * (the one of the login just before: sudo right after ssh) is explained
 * and asked again, up to POD_REPLAY_ASKS times: it costs nothing, and the
 * person can type the next code when their app shows it.
 */
static int
pod_verify(struct pod *p, const struct odin_account_info *info, struct pod_fwd *fwd)
{
	struct odin_attempt a;
	char input[POD_INPUT_MAX + 1];
	const char *method;
	int rv, e, toolong = 0, asks;

	input[0] = '\0';
	if (pod_locked_out(p, info->lockout_until, (int64_t)time(NULL)))
		return PAM_MAXTRIES;
	for (asks = 0;; asks++) {
		if (fwd != NULL) {
			toolong = fwd->toolong;
			memcpy(input, fwd->code, sizeof(fwd->code));
		} else if ((rv = pod_ask_code(p, input, sizeof(input), &toolong)) != PAM_SUCCESS) {
			odin_log(LOG_NOTICE, "user=%s result=deny method=none reason=conversation failed: %s",
			    p->user, pam_strerror(p->pamh, rv));
			return asks > 0 ? PAM_AUTH_ERR : rv;	/* after a replay: that was the answer */
		}
		e = odin_account_verify(p->st, &p->cfg, p->user, toolong ? NULL : input,
		    (int64_t)time(NULL), &a);
		odin_wipe(input, sizeof(input));
		method = odin_auth_method_name(a.method);
		if (e != ODIN_EREPLAY)
			break;
		pod_decision(p, LOG_NOTICE, "deny", method, a.reason);
		pod_say(p->pamh, PAM_ERROR_MSG,
		    "That code was already used; wait for the next one (not counted as a failure).");
		if (fwd != NULL || asks + 1 >= POD_REPLAY_ASKS)
			return PAM_AUTH_ERR;
	}
	switch (e) {
	case ODIN_OK:
		pod_decision(p, LOG_INFO, "success", method, a.reason);
		return PAM_SUCCESS;
	case ODIN_ENOMATCH:
	case ODIN_ECHANGED:
		pod_decision(p, LOG_NOTICE, "deny", method, a.reason);
		return PAM_AUTH_ERR;
	case ODIN_ELOCKEDOUT:
		if (!pod_locked_out(p, a.locked_until, (int64_t)time(NULL)))
			pod_decision(p, LOG_NOTICE, "deny", "none", "locked out");
		return PAM_MAXTRIES;
	default:
		odin_log(LOG_ERR, "user=%s result=deny method=%s reason=%s: %s (see pam_odin(8), RECOVERY)",
		    p->user, method, a.reason, odin_strerror(e));
		return pod_store_err(e);
	}
}

/* ---- entry points ------------------------------------------------------- */

/*
 * su_caller: the account that runs su or sudo -- the real uid of this
 * process (su and sudo are setuid: the kernel's word), which PAM_RUSER,
 * when the application sets it, must agree with.  Switches p->user to it
 * and keeps the target in p->target.  PAM_SUCCESS; PAM_IGNORE when there
 * is no caller to ask (uid 0: sshd, login, root itself); else a denial.
 */
static int
pod_caller(struct pod *p)
{
	char name[ODIN_USER_MAX + 1], ruser[ODIN_USER_MAX + 1];
	const void *item = NULL;
	struct passwd pw, *res = NULL;
	char buf[4096];
	uid_t uid = getuid();

	if (uid == 0)
		return PAM_IGNORE;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL ||
	    odin_user_canonical(pw.pw_name, name, sizeof(name), NULL, NULL) != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=su_caller: the caller (uid %lu) cannot be looked up",
		    p->user, (unsigned long)uid);
		return PAM_AUTHINFO_UNAVAIL;
	}
	if (pam_get_item(p->pamh, PAM_RUSER, &item) == PAM_SUCCESS && item != NULL &&
	    ((const char *)item)[0] != '\0' &&
	    (odin_user_canonical(item, ruser, sizeof(ruser), NULL, NULL) != ODIN_OK ||
	    strcmp(ruser, name) != 0)) {
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=su_caller: PAM_RUSER is not the caller (uid %lu)",
		    p->user, (unsigned long)uid);
		return PAM_AUTH_ERR;
	}
	memcpy(p->target, p->user, sizeof(p->target));
	memcpy(p->user, name, sizeof(p->user));
	p->gid = pw.pw_gid;
	odin_log(LOG_INFO, "user=%s: %s has no record; asking the caller %s (su_caller)",
	    p->target, p->target, p->user);
	return PAM_SUCCESS;
}

/* What the record says, for a user and a stage; rv is the answer when no code path applies. */
static int
pod_route(struct pod *p, struct pod_fwd *fwd)
{
	struct odin_account_info info;
	int e, enf, rv;

	e = odin_account_info(p->st, p->user, &info);
	if (e == ODIN_ENOENT && p->cfg.su_caller && fwd == NULL && pod_enforced(p) == 0) {
		/* the target (root, say) has no record: the caller of su answers instead */
		if ((rv = pod_caller(p)) != PAM_SUCCESS) {
			if (rv == PAM_IGNORE)
				pod_decision(p, LOG_INFO, "ignore", "none", "no record, no caller to ask");
			return rv;
		}
		e = odin_account_info(p->st, p->user, &info);	/* the caller's record decides */
	}
	if (e == ODIN_ENOENT) {
		enf = pod_enforced(p);
		if (enf < 0)
			return -enf;
		if (enf == 0) {
			pod_decision(p, LOG_INFO, "ignore", "none", p->target[0] != '\0' ?
			    "no record for the caller either" : "no record");
			return PAM_IGNORE;
		}
		if (p->target[0] != '\0') {
			pod_say(p->pamh, PAM_ERROR_MSG, "Two-factor authentication is required for %s "
			    "but is not set up; set it up with 'odin-mfa-cli enroll' first.", p->user);
			pod_decision(p, LOG_NOTICE, "deny", "enroll", "su_caller: the caller must enroll first");
			return PAM_AUTH_ERR;
		}
		return pod_enroll(p, fwd != NULL);
	}
	if (e != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=cannot read record: %s",
		    p->user, odin_strerror(e));
		return pod_store_err(e);
	}
	if (info.state == ODIN_STATE_PENDING) {
		if (p->target[0] != '\0') {
			pod_say(p->pamh, PAM_ERROR_MSG, "Two-factor authentication for %s is pending; "
			    "set it up with 'odin-mfa-cli enroll' first.", p->user);
			pod_decision(p, LOG_NOTICE, "deny", "enroll", "su_caller: the caller must enroll first");
			return PAM_AUTH_ERR;
		}
		return pod_enroll(p, fwd != NULL);
	}
	return pod_verify(p, &info, fwd);
}

/* forward_pass's first stage: does the user need a code, and how many digits? */
static int
pod_forward_stage(struct pod *p)
{
	struct odin_account_info info;
	int e, enf, need = 0;

	e = odin_account_info(p->st, p->user, &info);
	if (e == ODIN_ENOENT) {
		if ((enf = pod_enforced(p)) < 0)
			return -enf;
		need = enf;	/* enforced: the next stage must refuse (no enrollment here) */
		info.digits = 6;
	} else if (e != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=cannot read record: %s",
		    p->user, odin_strerror(e));
		return pod_store_err(e);
	} else {
		need = 1;
	}
	return pod_forward_split(p, need, info.digits);
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pod p;
	struct pod_fwd kept;
	int rv, e;

	(void)flags;
	memset(&p, 0, sizeof(p));
	p.pamh = pamh;
	odin_log_set_sink(pod_log_sink, &p);

	if ((rv = pod_options(&p, argc, argv)) != PAM_SUCCESS)
		goto out;
	memset(&kept, 0, sizeof(kept));
	if ((rv = pod_get_user(&p)) != PAM_SUCCESS)
		goto out;
	if (!p.split && (rv = pod_fwd_take(&p, &kept)) != PAM_SUCCESS)
		goto out;
	if ((e = odin_store_open_config(&p.cfg, &p.st)) != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=store %s: %s",
		    p.user, p.cfg.store_dir, odin_strerror(e));
		rv = pod_store_err(e);
		goto out;
	}
	if (p.split)
		rv = pod_forward_stage(&p);
	else
		rv = pod_route(&p, kept.kept ? &kept : NULL);
out:
	odin_wipe(&kept, sizeof(kept));
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
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
