/* SPDX-License-Identifier: ISC */
/*
 * In-login enrollment for a pending user (admin force-enabled, or member
 * of enforce_group without a record).  Nothing is written until the user
 * has confirmed a code from the new secret and has been shown the backup
 * codes; then the record is written only if the stored one is still the
 * one we started from (odin_enroll_*, common/account.c).  A conversation
 * that fails at any point leaves the user pending.  Nothing is shown while
 * the record is locked: the lock is taken inside odin_enroll_commit().
 * Where an administrator's enrollment token is needed (admin force-enable
 * --token, or enroll_token), it is asked for before any secret is shown.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "account.h"
#include "backup.h"
#include "base32.h"
#include "err.h"
#include "log.h"
#include "otp.h"
#include "otpauth.h"
#include "qr.h"
#include "secure.h"
#include "pod.h"

#define ENROLL_TRIES 3
#define ENROLL_CLI "odin-mfa-cli enroll"

static const char *const enroll_intro[] = {
	"Two-factor authentication is required for this account and is not set up yet.",
	"Scan this QR code with an authenticator app (or type the key below),",
	"then enter the code the app shows.",
};

/* Explanation, QR code, URI and grouped key, in as few conversation calls as possible. */
static int
enroll_show_secret(struct pod *p, const struct odin_totp_params *tp,
    const char *uri, const char *grouped)
{
	char **qr = NULL, keyline[160], uriline[1024], kind[96];
	const char **lines = NULL;
	size_t nqr = 0, n = 0, i, total;
	int rv = PAM_BUF_ERR, e;

	e = odin_qr_text(uri, ODIN_QR_UTF8, &qr, &nqr);
	if (e != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s cannot render the QR code: %s", p->user, odin_strerror(e));
		return e == ODIN_ENOMEM ? PAM_BUF_ERR : PAM_SYSTEM_ERR;
	}
	if (snprintf(keyline, sizeof(keyline), "Key: %s", grouped) >= (int)sizeof(keyline) ||
	    snprintf(uriline, sizeof(uriline), "URI: %s", uri) >= (int)sizeof(uriline) ||
	    snprintf(kind, sizeof(kind), "(time-based, %s, %u digits, every %u seconds)",
	    odin_alg_name(tp->alg), tp->digits, tp->period) >= (int)sizeof(kind)) {
		odin_log(LOG_ERR, "user=%s enrollment text too long", p->user);
		goto out;
	}
	total = sizeof(enroll_intro) / sizeof(enroll_intro[0]) + nqr + 3;
	lines = calloc(total, sizeof(*lines));
	if (lines == NULL) {
		odin_log(LOG_CRIT, "out of memory");
		goto out;
	}
	for (i = 0; i < sizeof(enroll_intro) / sizeof(enroll_intro[0]); i++)
		lines[n++] = enroll_intro[i];
	for (i = 0; i < nqr; i++)
		lines[n++] = qr[i];
	lines[n++] = uriline;
	lines[n++] = keyline;
	lines[n++] = kind;
	rv = pod_conv_show(p->pamh, PAM_TEXT_INFO, lines, n);
out:
	free(lines);
	for (i = 0; i < nqr; i++)
		odin_wipe(qr[i], strlen(qr[i]));
	odin_qr_lines_free(qr, nqr);
	odin_wipe(keyline, sizeof(keyline));
	odin_wipe(uriline, sizeof(uriline));
	return rv;
}

static int
enroll_show_backup(struct pod *p, const struct odin_backup_code *codes, unsigned n)
{
	char text[ODIN_BACKUP_MAX][32];
	const char *lines[ODIN_BACKUP_MAX + 1];
	char ack[POD_INPUT_MAX + 1];
	unsigned i, k = 0;
	int rv, toolong;

	lines[k++] = "Backup codes (each works once, shown only now; keep them somewhere safe):";
	for (i = 0; i < n && i < ODIN_BACKUP_MAX; i++) {
		(void)snprintf(text[i], sizeof(text[i]), "    %.11s", codes[i].s);
		lines[k++] = text[i];
	}
	rv = pod_conv_show(p->pamh, PAM_TEXT_INFO, lines, k);
	odin_wipe(text, sizeof(text));
	if (rv != PAM_SUCCESS)
		return rv;
	/*
	 * Some applications show informational text only together with the
	 * next prompt (sshd's keyboard-interactive for "ssh host command"), so
	 * end with one: otherwise the codes could be lost unseen.  The answer
	 * itself does not matter; a failed conversation means not seen.
	 */
	rv = pod_conv_ask(p->pamh, PAM_PROMPT_ECHO_ON,
	    "Press Enter once the backup codes are saved: ", ack, sizeof(ack), &toolong);
	odin_wipe(ack, sizeof(ack));
	return rv;
}

/* The secret as a URI and a grouped key, then shown: PAM_SUCCESS, or the code that denies. */
static int
enroll_present(struct pod *p, const struct odin_enrollment *en, const struct odin_totp_params *tp)
{
	char host[256], account[ODIN_USER_MAX + 320], grouped[64];
	const uint8_t *secret;
	char *uri = NULL;
	size_t slen;
	int rv, e;

	secret = odin_enroll_secret(en, &slen);
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if ((size_t)snprintf(account, sizeof(account), "%s@%s", p->user, host) >= sizeof(account)) {
		odin_log(LOG_ERR, "user=%s account label too long", p->user);
		return PAM_SYSTEM_ERR;
	}
	if ((e = odin_base32_grouped(secret, slen, grouped, sizeof(grouped))) != ODIN_OK ||
	    (e = odin_otpauth_uri(p->cfg.issuer, account, secret, slen,
	    tp->alg, tp->digits, tp->period, &uri)) != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=enroll reason=cannot show the secret: %s",
		    p->user, odin_strerror(e));
		odin_wipe(grouped, sizeof(grouped));
		return e == ODIN_ENOMEM ? PAM_BUF_ERR : PAM_SYSTEM_ERR;
	}
	rv = enroll_show_secret(p, tp, uri, grouped);
	odin_free_str(uri);
	odin_wipe(grouped, sizeof(grouped));
	if (rv != PAM_SUCCESS) {
		pod_say(p->pamh, PAM_ERROR_MSG,
		    "Two-factor authentication must be set up, and this login cannot show it; "
		    "use '%s' from a terminal login.", ENROLL_CLI);
		pod_decision(p, LOG_NOTICE, "deny", "enroll", "conversation cannot show text");
		return PAM_AUTH_ERR;
	}
	return PAM_SUCCESS;
}

/* Up to ENROLL_TRIES codes from the new secret: PAM_SUCCESS once one is right. */
static int
enroll_confirm(struct pod *p, struct odin_enrollment *en)
{
	char input[POD_INPUT_MAX + 1];
	int64_t skew;
	int tries, rv, toolong;

	for (tries = 0; tries < ENROLL_TRIES; tries++) {
		rv = pod_conv_ask(p->pamh, p->cfg.echo_code ? PAM_PROMPT_ECHO_ON :
		    PAM_PROMPT_ECHO_OFF, "Verification code: ", input, sizeof(input), &toolong);
		if (rv != PAM_SUCCESS) {
			pod_decision(p, LOG_NOTICE, "deny", "enroll", "conversation failed");
			return PAM_AUTH_ERR;
		}
		rv = odin_enroll_confirm(en, &p->cfg, toolong ? NULL : input, (int64_t)time(NULL), &skew);
		odin_wipe(input, sizeof(input));
		if (rv == ODIN_OK)
			return PAM_SUCCESS;
		if (tries + 1 < ENROLL_TRIES)
			pod_say(p->pamh, PAM_ERROR_MSG,
			    "That code is not correct; check the app and the time on your device.");
	}
	pod_say(p->pamh, PAM_ERROR_MSG, "Set-up not completed; nothing was changed.");
	pod_decision(p, LOG_NOTICE, "deny", "enroll", "confirmation code not correct");
	return PAM_AUTH_ERR;
}

/*
 * The enrollment token, where one is needed (odin_account_token_need):
 * asked before any secret is shown, up to ENROLL_TRIES times, each answer
 * counted like a code.  PAM_SUCCESS: go on (none needed, or it was right).
 */
static int
enroll_token(struct pod *p, struct odin_token_spent *spent)
{
	struct odin_account_info info;
	struct odin_attempt a;
	char input[POD_INPUT_MAX + 1];
	int e, found, tries, rv, toolong;

	e = odin_account_info(p->st, p->user, &info);
	if (e != ODIN_OK && e != ODIN_ENOENT) {
		odin_log(LOG_ERR, "user=%s result=deny method=enroll reason=cannot read record: %s",
		    p->user, odin_strerror(e));
		return pod_store_err(e);
	}
	found = e == ODIN_OK ? (int)info.state : 0;
	/* no record here means enforce_group made this enrollment (pod_route) */
	switch (odin_account_token_need(&p->cfg, found, e == ODIN_OK ? &info : NULL, 1,
	    (int64_t)time(NULL))) {
	case ODIN_TOKEN_NEED_NONE:
		return PAM_SUCCESS;
	case ODIN_TOKEN_NEED_MISSING:
		pod_say(p->pamh, PAM_ERROR_MSG, "Setting up two-factor authentication for this "
		    "account needs an enrollment token from your administrator, and none is "
		    "outstanding; ask for one.");
		pod_decision(p, LOG_NOTICE, "deny", "enroll", "enrollment token needed, none outstanding");
		return PAM_AUTH_ERR;
	case ODIN_TOKEN_NEED_ASK:
		break;
	}
	if (pod_locked_out(p, info.lockout_until, (int64_t)time(NULL)))
		return PAM_MAXTRIES;
	for (tries = 0; tries < ENROLL_TRIES; tries++) {
		rv = pod_conv_ask(p->pamh, PAM_PROMPT_ECHO_OFF, "Enrollment token: ", input,
		    sizeof(input), &toolong);
		if (rv != PAM_SUCCESS) {
			pod_decision(p, LOG_NOTICE, "deny", "enroll", "conversation failed");
			return PAM_AUTH_ERR;
		}
		e = odin_account_token_check(p->st, &p->cfg, p->user, toolong ? NULL : input,
		    (int64_t)time(NULL), &a, spent);
		odin_wipe(input, sizeof(input));
		switch (e) {
		case ODIN_OK:
			odin_log(LOG_INFO, "user=%s enrollment token accepted", p->user);
			return PAM_SUCCESS;
		case ODIN_ENOMATCH:
			pod_decision(p, LOG_NOTICE, "deny", "enroll", a.reason);
			if (a.lockout_seconds > 0) {
				(void)pod_locked_out(p, (int64_t)time(NULL) + a.lockout_seconds,
				    (int64_t)time(NULL));
				return PAM_MAXTRIES;
			}
			if (tries + 1 < ENROLL_TRIES)
				pod_say(p->pamh, PAM_ERROR_MSG, "That enrollment token is not correct.");
			continue;
		case ODIN_ELOCKEDOUT:
			(void)pod_locked_out(p, a.locked_until, (int64_t)time(NULL));
			return PAM_MAXTRIES;
		case ODIN_ECHANGED:
			pod_say(p->pamh, PAM_ERROR_MSG, "No enrollment token is outstanding for this "
			    "account any more; ask your administrator for a new one.");
			pod_decision(p, LOG_NOTICE, "deny", "enroll", a.reason);
			return PAM_AUTH_ERR;
		default:
			odin_log(LOG_ERR, "user=%s result=deny method=enroll reason=%s: %s",
			    p->user, a.reason, odin_strerror(e));
			return pod_store_err(e);
		}
	}
	pod_say(p->pamh, PAM_ERROR_MSG, "Set-up not started; nothing was changed.");
	return PAM_AUTH_ERR;
}

int
pod_enroll(struct pod *p, int forward)
{
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	struct odin_enrollment *en = NULL;
	struct odin_totp_params tp;
	struct odin_token_spent spent;
	int rv, e;

	memset(codes, 0, sizeof(codes));
	memset(&spent, 0, sizeof(spent));	/* enroll_token() fills it only when a token is spent */
	if (p->cfg.no_enroll || forward) {
		/* forward_pass serves applications that ask once: no room for a QR code there */
		pod_say(p->pamh, PAM_ERROR_MSG,
		    "Two-factor authentication is required for this account but is not set up; "
		    "set it up with '%s' (ask your administrator).", ENROLL_CLI);
		pod_decision(p, LOG_NOTICE, "deny", "enroll",
		    p->cfg.no_enroll ? "enrollment required, no_enroll set" :
		    "enrollment required, not possible with forward_pass");
		return PAM_AUTH_ERR;
	}
	if ((rv = enroll_token(p, &spent)) != PAM_SUCCESS)
		return rv;
	/* no record here: enforce_group made this enrollment (pod_route) */
	e = odin_enroll_begin(p->st, &p->cfg, p->user, 1, &spent, (int64_t)time(NULL), &en);
	odin_wipe(&spent, sizeof(spent));	/* en holds what it needs */
	if (e == ODIN_EPERM) {
		pod_say(p->pamh, PAM_ERROR_MSG, "Setting up two-factor authentication for this "
		    "account needs an enrollment token from your administrator; ask for one.");
		pod_decision(p, LOG_NOTICE, "deny", "enroll", "enrollment token needed, none spent");
		return PAM_AUTH_ERR;
	}
	if (e != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=enroll reason=cannot start: %s",
		    p->user, odin_strerror(e));
		return pod_store_err(e);
	}
	if (odin_enroll_found(en) == ODIN_STATE_ENABLED) {
		/* enrolled by another login since we looked: never replace it here */
		pod_decision(p, LOG_NOTICE, "deny", "enroll", "record changed during enrollment");
		rv = PAM_AUTH_ERR;
		goto out;
	}
	odin_enroll_params(en, &tp);
	if ((rv = enroll_present(p, en, &tp)) != PAM_SUCCESS)
		goto out;
	if ((rv = enroll_confirm(p, en)) != PAM_SUCCESS)
		goto out;
	if ((e = odin_enroll_codes(en, &p->cfg, codes)) != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=enroll reason=cannot make backup codes: %s",
		    p->user, odin_strerror(e));
		rv = PAM_SYSTEM_ERR;
		goto out;
	}
	if (enroll_show_backup(p, codes, p->cfg.backup_codes) != PAM_SUCCESS) {
		pod_decision(p, LOG_NOTICE, "deny", "enroll", "conversation failed");
		rv = PAM_AUTH_ERR;
		goto out;
	}
	odin_wipe(codes, sizeof(codes));
	e = odin_enroll_commit(p->st, p->user, en, (int64_t)time(NULL));
	if (e == ODIN_OK) {
		pod_decision(p, LOG_INFO, "success", "enroll", "enrolled");
		pod_say(p->pamh, PAM_TEXT_INFO, "Two-factor authentication is now set up.");
		rv = PAM_SUCCESS;
		goto out;
	}
	if (e == ODIN_ECHANGED) {
		pod_decision(p, LOG_NOTICE, "deny", "enroll", "record changed during enrollment");
		rv = PAM_AUTH_ERR;
	} else {
		odin_log(LOG_ERR, "user=%s result=deny method=enroll reason=cannot save record: %s (see pam_odin(8), RECOVERY)",
		    p->user, odin_strerror(e));
		rv = pod_store_err(e);
	}
	pod_say(p->pamh, PAM_ERROR_MSG,
	    "Set-up could not be saved; the codes shown are not valid. Try again later.");
out:
	odin_wipe(codes, sizeof(codes));
	odin_enroll_free(en);
	return rv;
}
