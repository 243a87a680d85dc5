/* SPDX-License-Identifier: ISC */
/*
 * forward_pass, for services that ask once (the password with the code
 * appended), in two stack lines so that nothing that has not proven the
 * password can touch the failure count: the line with forward_pass among
 * its arguments, before the password module, cuts the code off and keeps
 * it (pam_set_data), replacing what an earlier try on the same handle
 * kept; the next pam_odin line, after the password module, takes it away
 * (pod_fwd_take) and checks it instead of prompting.
 */
#include "autoconfig.h"

#include <string.h>
#include <syslog.h>

#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "account.h"
#include "backup.h"
#include "err.h"
#include "log.h"
#include "secure.h"
#include "pod.h"

#define POD_FWD_PROMPT "Password and verification code: "
#define POD_FWD_DATA "odin_mfa_forward_code"

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
int
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

/* forward_pass's first stage: does the user need a code, and how many digits? */
int
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

