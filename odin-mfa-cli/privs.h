/* SPDX-License-Identifier: ISC */
/*
 * All of the CLI's setuid logic: process hygiene at startup, who is
 * calling, whether they are an admin, and the one place where the
 * effective uid is raised to the saved (root) uid for store access.
 *
 * Model: the binary is installed setuid root.  priv_startup() immediately
 * sets the effective uid to the real uid (the saved set-user-ID keeps
 * root), so everything the caller controls -- argument parsing, terminal
 * I/O, --qr-png/--qr-svg files, reading /etc/group -- runs with the
 * caller's own privileges.  priv_raise()/priv_lower() bracket store and
 * config access only; priv_drop_forever() gives root up for good once a
 * verb no longer needs the store.
 */
#ifndef ODIN_CLI_PRIVS_H
#define ODIN_CLI_PRIVS_H

#include <sys/types.h>

#include <pwd.h>

#include "config.h"
#include "user.h"

struct priv_caller {
	uid_t uid;			/* real uid at startup */
	gid_t gid;			/* real gid at startup */
	int elevated;			/* started with euid != uid or egid != gid */
	gid_t gid_pw;			/* that passwd entry's primary group */
	char name[ODIN_USER_MAX + 1];	/* the real uid's passwd name */
};

/*
 * Process hygiene; must be the first thing main() does.  Makes sure fds
 * 0-2 are open (else /dev/null), closes every other fd, replaces the
 * environment by a fixed PATH, sets umask 077, sets its own resource
 * limits (no file-size, memory or CPU limit from the caller; no core
 * dumps), resets signal dispositions (SIGXFSZ ignored), not dumpable, and
 * lowers the effective uid/gid to the real ones.  Fills c.  Returns 0, or
 * -1 with a message already printed.
 */
int priv_startup(struct priv_caller *c);

/*
 * Raises the effective uid to the saved uid (root when installed setuid),
 * for store or config access only.  Returns 0, or -1 if the process
 * cannot act as root (not installed setuid root and not run by root).
 */
int priv_raise(void);

/* Lowers the effective uid back to the real uid.  Aborts if it cannot. */
void priv_lower(void);

/* Sets real, effective and saved uid to the real uid: no way back. */
void priv_drop_forever(void);

/* 1 if c may use admin verbs: real uid 0, or a member of admin_group (group database). */
int priv_is_admin(const struct priv_caller *c, const struct odin_config *cfg);

#endif
