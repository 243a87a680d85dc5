/* SPDX-License-Identifier: ISC */
/*
 * Setuid handling for odin-mfa-cli.  See privs.h for the model.  Nothing
 * the caller passes in (environment, fds, signal mask, arguments) is
 * trusted; the caller is identified by the real uid alone, never by
 * $USER or $LOGNAME.
 */
#include "autoconfig.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "user.h"
#include "privs.h"

#define PRIV_SAFE_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

static uid_t priv_ruid;

static void
priv_msg(const char *what)
{
	/* stderr may be /dev/null by now; that is fine. */
	fprintf(stderr, "odin-mfa-cli: %s\n", what);
}

static int
priv_fix_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* A closed 0-2 would let a later open() land on it. */
		if (open("/dev/null", O_RDWR) != fd)
			return -1;
	}
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	if (close_range(3, ~0U, 0) == 0)
		return 0;
#endif
	{
		long max = sysconf(_SC_OPEN_MAX);

		if (max < 0 || max > 65536)
			max = 65536;
		for (fd = 3; fd < max; fd++)
			(void)close(fd);
	}
	return 0;
}

static int
priv_fix_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGTSTP,
	    SIGCHLD, SIGXCPU, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2 };
	sigset_t none;
	size_t i;

	/* Dispositions and the mask are inherited across exec: reset them. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (signal(sigs[i], SIG_DFL) == SIG_ERR)
			return -1;
	/* A write that would pass a file-size limit fails with EFBIG instead of killing us. */
	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		return -1;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * The caller's resource limits are inherited too, and they could make a
 * write, an allocation or the CPU run out at a moment of the caller's
 * choosing (between checking a code and recording it, say).  Set our own
 * while we still run as root: no file-size, address-space, data or CPU
 * limit, 1024 files, no core dumps -- soft and hard.  If one of these
 * cannot be set (a hard limit the caller lowered, and no
 * CAP_SYS_RESOURCE, as in some containers), refuse to run: the store's
 * rules hold even then (an attempt is counted before its verdict is acted on), but
 * this is no state to act as root in.  The stack (8 MiB) and locked memory
 * (8 MiB, for the pages that hold secrets) are raised as far as the hard
 * limit allows and never refuse: too little of either costs only the
 * caller (a crash after the attempt is counted; a secret page that may
 * swap).  Not installed setuid, the caller runs as themselves and only the
 * core limit must hold.
 */
static int
priv_fix_limits(int elevated)
{
	static const struct {
		int res;
		rlim_t cur;
	} lim[] = {
		{ RLIMIT_CORE, 0 },
		{ RLIMIT_FSIZE, RLIM_INFINITY },
		{ RLIMIT_AS, RLIM_INFINITY },
		{ RLIMIT_DATA, RLIM_INFINITY },
		{ RLIMIT_CPU, RLIM_INFINITY },
		{ RLIMIT_NOFILE, 1024 },
		{ RLIMIT_STACK, 8 * 1024 * 1024 },
		{ RLIMIT_MEMLOCK, 8 * 1024 * 1024 },
	};
	size_t i;

	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		struct rlimit rl, old;
		int soft_only = lim[i].res == RLIMIT_STACK || lim[i].res == RLIMIT_MEMLOCK;

		if (getrlimit(lim[i].res, &old) != 0)
			return -1;
		rl.rlim_cur = lim[i].cur;
		rl.rlim_max = lim[i].cur;
		if (soft_only) {
			/* enough, not more than the system allows */
			rl.rlim_max = old.rlim_max;
			if (old.rlim_max != RLIM_INFINITY && old.rlim_max < rl.rlim_cur)
				rl.rlim_cur = old.rlim_max;
		}
		if (setrlimit(lim[i].res, &rl) == 0)
			continue;
		if (elevated || lim[i].res == RLIMIT_CORE)
			return -1;
	}
	return 0;
}

int
priv_startup(struct priv_caller *c)
{
	struct passwd *pw;
	uid_t ruid = getuid(), euid = geteuid();
	gid_t rgid = getgid(), egid = getegid();

	memset(c, 0, sizeof(*c));
	if (priv_fix_fds() != 0)
		_exit(3);	/* cannot even report it safely */
	umask(077);
	if (clearenv() != 0 || setenv("PATH", PRIV_SAFE_PATH, 1) != 0) {
		priv_msg("cannot reset the environment");
		return -1;
	}
	if (priv_fix_limits(ruid != euid || rgid != egid) != 0) {
		priv_msg("cannot set resource limits");
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		priv_msg("cannot disable core dumps");
		return -1;
	}
	if (priv_fix_signals() != 0) {
		priv_msg("cannot reset signal handling");
		return -1;
	}
	c->uid = ruid;
	c->gid = rgid;
	c->elevated = (ruid != euid || rgid != egid);
	priv_ruid = ruid;

	/* Group privileges are never needed: give them up for good. */
	if (egid != rgid && setresgid(rgid, rgid, rgid) != 0) {
		priv_msg("cannot drop group privileges");
		return -1;
	}
	/* Run as the caller; the saved set-user-ID keeps root for priv_raise(). */
	if (euid != ruid && seteuid(ruid) != 0) {
		priv_msg("cannot drop privileges");
		return -1;
	}
	/* seteuid() may reset the dumpable flag; set it again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		priv_msg("cannot disable core dumps");
		return -1;
	}

	errno = 0;
	pw = getpwuid(ruid);
	if (pw == NULL || pw->pw_name == NULL || pw->pw_name[0] == '\0') {
		priv_msg("who are you? (the real uid has no passwd entry)");
		return -1;
	}
	if (strlen(pw->pw_name) >= sizeof(c->name)) {
		priv_msg("user name too long");
		return -1;
	}
	memcpy(c->name, pw->pw_name, strlen(pw->pw_name) + 1);
	c->gid_pw = pw->pw_gid;
	return 0;
}

int
priv_raise(void)
{
	uid_t r, e, s;

	if (geteuid() == 0)
		return 0;
	if (getresuid(&r, &e, &s) != 0 || s != 0)
		return -1;
	if (seteuid(0) != 0)
		return -1;
	return 0;
}

void
priv_lower(void)
{
	if (geteuid() == priv_ruid)
		return;
	if (seteuid(priv_ruid) != 0 || geteuid() != priv_ruid) {
		priv_msg("cannot drop privileges");
		abort();
	}
}

void
priv_drop_forever(void)
{
	uid_t r, e, s;

	/* Going back to root for a moment is what allows setresuid to change the saved uid. */
	if (getresuid(&r, &e, &s) == 0 && r == e && e == s)
		return;
	if ((e != 0 && s == 0 && seteuid(0) != 0) ||
	    setresuid(priv_ruid, priv_ruid, priv_ruid) != 0 ||
	    getresuid(&r, &e, &s) != 0 || r != priv_ruid || e != priv_ruid || s != priv_ruid) {
		priv_msg("cannot drop privileges");
		abort();
	}
}

int
priv_is_admin(const struct priv_caller *c, const struct odin_config *cfg)
{
	if (c->uid == 0)
		return 1;
	if (cfg->admin_group[0] == '\0')
		return 0;
	/* the group database now (user.h), not the process's supplementary groups */
	return odin_user_in_group(c->name, c->gid_pw, cfg->admin_group) == 1;
}
