/* SPDX-License-Identifier: ISC */
/*
 * What pam_odin.so tells the system log: its sink for common/'s lines and
 * the one decision line per login.  Never a code, a secret or a hash.
 */
#include "autoconfig.h"

#include <syslog.h>

#include <security/pam_appl.h>
#include <security/pam_ext.h>

#include "err.h"
#include "log.h"
#include "pod.h"

void
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

static unsigned
pod_minutes(int64_t secs)
{
	return secs <= 0 ? 1 : (unsigned)((secs + 59) / 60);
}

int
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
