/* SPDX-License-Identifier: ISC */
/*
 * Internals shared by the files of pam_odin.so.  Nothing declared here is
 * exported: the version script (pam_odin.map) keeps only pam_sm_*.
 */
#ifndef POD_H
#define POD_H

#include <stddef.h>
#include <sys/types.h>

#include <security/pam_modules.h>

#include "config.h"
#include "store.h"
#include "user.h"

/* Longest answer accepted at the code prompt; anything longer is refused unread. */
#define POD_INPUT_MAX 256
/* Longest "password+code" answer accepted with forward_pass. */
#define POD_FWD_MAX 1024

struct pod {
	pam_handle_t *pamh;
	struct odin_config cfg;
	char user[ODIN_USER_MAX + 1];	/* the canonical name (user.h), never the typed spelling */
	gid_t gid;			/* its primary group */
	char target[ODIN_USER_MAX + 1];	/* su_caller: the account su/sudo switches to ("" if none) */
	int split;			/* forward_pass on this module line: the splitting stage */
	struct odin_store *st;
};

/*
 * What forward_pass's first stage keeps for the instance after the
 * password module (pam_set_data; secure memory, wiped at pam_end).
 */
struct pod_fwd {
	char code[16];			/* the tail cut off the password ("" if none) */
	char user[ODIN_USER_MAX + 1];	/* whose password it was (canonical) */
	int toolong;			/* the password+code did not fit: a wrong answer */
	int need;			/* the user needs a check (enabled, pending or enforced) */
	int kept;			/* (the checking line's copy) something was kept */
};

/* report.c: what the module tells the log */
/* common/'s log sink for the module: pam_syslog(), LOG_DEBUG only with debug. */
void pod_log_sink(void *ctx, int prio, const char *msg);
/* Logs one decision line: user, result, method, reason (never a code). */
void pod_decision(const struct pod *p, int prio, const char *result,
    const char *method, const char *reason);
/* Maps an ODIN_E* store error to the PAM code that denies. */
int pod_store_err(int e);
/* If until is after now: tells the person how long the lockout lasts, logs it, returns 1; else 0. */
int pod_locked_out(struct pod *p, int64_t until, int64_t now);

/* who.c: whose login it is */
/*
 * PAM_USER -> p->user (the canonical name) and p->gid.  PAM_SUCCESS, or
 * PAM_USER_UNKNOWN (unknown or unusable name), PAM_AUTHINFO_UNAVAIL (the
 * user database did not answer), ...; logged.
 */
int pod_get_user(struct pod *p);
/* 1 if enforce_group covers p->user, 0 if not or unset, -(PAM code) if it cannot be told. */
int pod_enforced(struct pod *p);
/*
 * su_caller: switches p->user to the account that runs su/sudo (its real
 * uid; PAM_RUSER must agree), keeping the target in p->target.
 * PAM_SUCCESS; PAM_IGNORE (no caller: uid 0); else a logged denial.
 */
int pod_caller(struct pod *p);

/* forward.c: forward_pass's two stages */
/* The splitting line (p->split): cut the code off the password and keep it; PAM_IGNORE or a denial. */
int pod_forward_stage(struct pod *p);
/*
 * The checking line: takes what the splitting line kept (removing it).
 * PAM_SUCCESS with out->kept set if there was something (out->kept 0 if
 * not), or a denial (kept for another user, PAM failure).
 */
int pod_fwd_take(struct pod *p, struct pod_fwd *out);

/* conv.c */
/*
 * Shows n lines, each one message of style (PAM_TEXT_INFO or
 * PAM_ERROR_MSG), in as few conversation calls as PAM_MAX_NUM_MSG allows.
 * Returns PAM_SUCCESS or the conversation's error (PAM_CONV_ERR if none).
 */
int pod_conv_show(pam_handle_t *pamh, int style, const char *const *lines, size_t n);
/* One formatted message; the result is ignored by callers that only inform. */
int pod_say(pam_handle_t *pamh, int style, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Asks one question (PAM_PROMPT_ECHO_OFF or _ON).  The answer goes to out
 * (NUL-terminated); the application's copy is wiped and freed.  An answer
 * of outsz bytes or more is not copied: out is "" and *toolong is 1.
 * A missing answer is "".  Returns PAM_SUCCESS or the conversation's error.
 */
int pod_conv_ask(pam_handle_t *pamh, int style, const char *prompt,
    char *out, size_t outsz, int *toolong);

/* enroll.c */
/*
 * In-login enrollment for a pending user, or an enforced one without a
 * record.  Writes the enabled record only after the code is confirmed and
 * the backup codes shown, and only if the stored record did not change
 * meanwhile (common/account.c).  forward: the login came through
 * forward_pass (a service that asks once): never enroll there.  Returns a
 * PAM code.
 */
int pod_enroll(struct pod *p, int forward);

#endif
