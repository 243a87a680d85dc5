/* SPDX-License-Identifier: ISC */
/*
 * In-login enrollment for a pending user (admin force-enabled, or member
 * of enforce_group without a record).  Nothing is written until the user
 * has confirmed a code from the new secret and has been shown the backup
 * codes; then the record is written only if the stored one is still the
 * one we started from.  A conversation that fails at any point leaves the
 * user pending.
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

#include "backup.h"
#include "base32.h"
#include "err.h"
#include "log.h"
#include "otp.h"
#include "qr.h"
#include "record.h"
#include "secure.h"
#include "store.h"
#include "pod.h"

#define ENROLL_TRIES 3
#define ENROLL_CLI "odin-mfa-cli enroll"

static const char *const enroll_intro[] = {
	"Two-factor authentication is required for this account and is not set up yet.",
	"Scan this QR code with an authenticator app (or type the key below),",
	"then enter the code the app shows.",
};

/* The stored record is still the one enrollment started from. */
static int
enroll_unchanged(int e, const struct odin_record *cur, const struct odin_record *orig)
{
	if (orig == NULL)
		return e == ODIN_ENOENT;
	return e == ODIN_OK && cur->state == ODIN_STATE_PENDING &&
	    cur->created == orig->created && cur->updated == orig->updated;
}

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

int
pod_enroll(struct pod *p, const struct odin_record *pending)
{
	struct odin_record nr, cur;
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	struct odin_totp_params tp;
	struct odin_txn *txn = NULL;
	uint8_t secret[ODIN_SECRET_DEFAULT];
	char host[256], account[384], grouped[64], input[POD_INPUT_MAX + 1], norm[64];
	char *uri = NULL;
	int64_t now = (int64_t)time(NULL), matched = 0;
	int rv = PAM_AUTH_ERR, e, tries, toolong, ok = 0;

	memset(&nr, 0, sizeof(nr));
	memset(&cur, 0, sizeof(cur));
	memset(codes, 0, sizeof(codes));
	if (p->cfg.no_enroll || p->cfg.forward_pass) {
		/* forward_pass runs before the password is checked: never enroll then */
		pod_say(p->pamh, PAM_ERROR_MSG,
		    "Two-factor authentication is required for this account but is not set up; "
		    "set it up with '%s' (ask your administrator).", ENROLL_CLI);
		pod_decision(p, LOG_NOTICE, "deny", "enroll",
		    p->cfg.no_enroll ? "enrollment required, no_enroll set" :
		    "enrollment required, not possible with forward_pass");
		return PAM_AUTH_ERR;
	}

	if (pending != NULL)
		nr = *pending;
	else
		odin_record_init(&nr, now);
	tp.alg = nr.alg;
	tp.digits = nr.digits;
	tp.period = nr.period;
	tp.window = p->cfg.window;

	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if ((size_t)snprintf(account, sizeof(account), "%s@%s", p->user, host) >= sizeof(account)) {
		odin_log(LOG_ERR, "user=%s account label too long", p->user);
		rv = PAM_SYSTEM_ERR;
		goto out;
	}
	if ((e = odin_random(secret, sizeof(secret))) != ODIN_OK ||
	    (e = odin_base32_grouped(secret, sizeof(secret), grouped, sizeof(grouped))) != ODIN_OK ||
	    (e = odin_otpauth_uri(p->cfg.issuer, account, secret, sizeof(secret),
	    tp.alg, tp.digits, tp.period, &uri)) != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=enroll reason=cannot make a secret: %s",
		    p->user, odin_strerror(e));
		rv = e == ODIN_ENOMEM ? PAM_BUF_ERR : PAM_SYSTEM_ERR;
		goto out;
	}

	rv = enroll_show_secret(p, &tp, uri, grouped);
	if (rv != PAM_SUCCESS) {
		pod_say(p->pamh, PAM_ERROR_MSG,
		    "Two-factor authentication must be set up, and this login cannot show it; "
		    "use '%s' from a terminal login.", ENROLL_CLI);
		pod_decision(p, LOG_NOTICE, "deny", "enroll", "conversation cannot show text");
		rv = PAM_AUTH_ERR;
		goto out;
	}
	for (tries = 0; tries < ENROLL_TRIES && !ok; tries++) {
		rv = pod_conv_ask(p->pamh, p->cfg.echo_code ? PAM_PROMPT_ECHO_ON :
		    PAM_PROMPT_ECHO_OFF, "Verification code: ", input, sizeof(input), &toolong);
		if (rv != PAM_SUCCESS) {
			pod_decision(p, LOG_NOTICE, "deny", "enroll", "conversation failed");
			rv = PAM_AUTH_ERR;
			goto out;
		}
		if (!toolong &&
		    odin_input_classify(input, tp.digits, norm, sizeof(norm)) == ODIN_INPUT_TOTP &&
		    odin_totp_verify(&tp, secret, sizeof(secret), norm, (int64_t)time(NULL),
		    0, &matched) == ODIN_OK)
			ok = 1;
		else if (tries + 1 < ENROLL_TRIES)
			pod_say(p->pamh, PAM_ERROR_MSG,
			    "That code is not correct; check the app and the time on your device.");
		odin_wipe(input, sizeof(input));
		odin_wipe(norm, sizeof(norm));
	}
	if (!ok) {
		pod_say(p->pamh, PAM_ERROR_MSG, "Set-up not completed; nothing was changed.");
		pod_decision(p, LOG_NOTICE, "deny", "enroll", "confirmation code not correct");
		rv = PAM_AUTH_ERR;
		goto out;
	}

	now = (int64_t)time(NULL);
	nr.state = ODIN_STATE_ENABLED;
	memcpy(nr.secret, secret, sizeof(secret));
	nr.secret_len = sizeof(secret);
	nr.last_step = matched;
	nr.failures = 0;
	nr.lockout_until = 0;
	nr.lockout_count = 0;
	nr.updated = now;
	e = odin_backup_generate(&nr, p->cfg.backup_codes, codes);
	if (e != ODIN_OK) {
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

	e = odin_store_lock(p->st, p->user, 0, &txn, &cur);
	if (e != ODIN_OK && e != ODIN_ENOENT) {
		odin_log(LOG_ERR, "user=%s result=deny method=enroll reason=cannot read record: %s",
		    p->user, odin_strerror(e));
		rv = pod_store_err(e);
		goto fail_msg;
	}
	if (!enroll_unchanged(e, &cur, pending)) {
		pod_decision(p, LOG_NOTICE, "deny", "enroll", "record changed during enrollment");
		rv = PAM_AUTH_ERR;
		goto fail_msg;
	}
	e = odin_store_save(txn, &nr);
	if (e != ODIN_OK) {
		odin_log(LOG_ERR, "user=%s result=deny method=enroll reason=cannot save record: %s (see pam_odin(8), RECOVERY)",
		    p->user, odin_strerror(e));
		rv = pod_store_err(e);
		goto fail_msg;
	}
	pod_decision(p, LOG_INFO, "success", "enroll", "enrolled");
	pod_say(p->pamh, PAM_TEXT_INFO, "Two-factor authentication is now set up.");
	rv = PAM_SUCCESS;
	goto out;
fail_msg:
	pod_say(p->pamh, PAM_ERROR_MSG,
	    "Set-up could not be saved; the codes shown are not valid. Try again later.");
out:
	odin_store_unlock(txn);
	odin_free_str(uri);
	odin_wipe(secret, sizeof(secret));
	odin_wipe(grouped, sizeof(grouped));
	odin_wipe(input, sizeof(input));
	odin_wipe(norm, sizeof(norm));
	odin_wipe(codes, sizeof(codes));
	odin_record_wipe(&nr);
	odin_record_wipe(&cur);
	return rv;
}
