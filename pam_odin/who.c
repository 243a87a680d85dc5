/* SPDX-License-Identifier: ISC */
/*
 * Who the login is for: the account NSS returns for PAM_USER (records are
 * keyed by its canonical name, never by the spelling typed), whether
 * enforce_group covers it, and, with su_caller, the account that runs su.
 */
#include "autoconfig.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_appl.h>
#include <security/pam_ext.h>

#include "err.h"
#include "log.h"
#include "user.h"
#include "pod.h"

/* A name as typed, made safe to log: at most 16 bytes, no field separators. */
static void
pod_log_name(const char *user, const char *reason)
{
	char clean[20];
	size_t i;

	/* odin_log escapes control bytes; spaces and '=' too, so the name cannot fake fields */
	for (i = 0; user != NULL && user[i] != '\0' && i < 16; i++) {
		clean[i] = user[i];
		if (clean[i] == ' ' || clean[i] == '=')
			clean[i] = '_';
	}
	clean[i] = '\0';
	odin_log(LOG_NOTICE, "user=%s%s result=deny method=none reason=%s",
	    clean, user != NULL && user[i] != '\0' ? "..." : "", reason);
}

/*
 * The account's canonical name: records are keyed by what NSS returns in
 * pw_name, never by the spelling the client typed, so "ALICE" on a
 * directory that resolves names case-insensitively finds alice's record.
 */
int
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
int
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

/*
 * su_caller: the account that runs su or sudo -- the real uid of this
 * process (su and sudo are setuid: the kernel's word), which PAM_RUSER,
 * when the application sets it, must agree with.  Switches p->user to it
 * and keeps the target in p->target.  PAM_SUCCESS; PAM_IGNORE when there
 * is no caller to ask (uid 0: sshd, login, root itself); else a denial.
 */
int
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

