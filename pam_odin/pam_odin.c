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
#define POD_REPLAY_ASKS 3	/* a used code, explained, then asked again: at most this often */

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

/* ---- the code ----------------------------------------------------------- */

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

/* What the record says, for a user and a stage; rv is the answer when no code path applies. */
static int
pod_route(struct pod *p, struct pod_fwd *fwd)
{
	struct odin_account_info info;
	int e, enf, rv;

	e = odin_account_login_info(p->st, p->user, &info);
	if (e == ODIN_ENOENT && p->cfg.su_caller && fwd == NULL && pod_enforced(p) == 0) {
		/* the target (root, say) has no record: the caller of su answers instead */
		if ((rv = pod_caller(p)) != PAM_SUCCESS) {
			if (rv == PAM_IGNORE)
				pod_decision(p, LOG_INFO, "ignore", "none", "no record, no caller to ask");
			return rv;
		}
		e = odin_account_login_info(p->st, p->user, &info);	/* the caller's record decides */
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
		/* the store's own line said why; ENOENT here is the store, not a record */
		odin_log(LOG_ERR, "user=%s result=deny method=none reason=store %s: %s",
		    p.user, p.cfg.store_dir, e == ODIN_ENOENT ? "does not exist" : odin_strerror(e));
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
