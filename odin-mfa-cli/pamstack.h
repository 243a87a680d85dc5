/* SPDX-License-Identifier: ISC */
/*
 * For `odin-mfa-cli check` (doctor.c) only: reads a PAM service's auth
 * stack the way libpam does (@include, include, substack, [value=action]
 * controls, jumps) and plays it through for an imagined login, to tell
 * whether pam_odin is reached after a wrong password, whether a user
 * without a record gets in, whether root can still log in when the store
 * is broken.  The module results are the scenario's, not real calls.
 */
#ifndef ODIN_CLI_PAMSTACK_H
#define ODIN_CLI_PAMSTACK_H

#include <stddef.h>

#define PAMSTACK_MAX 128		/* lines of one flattened stack */
#define PAMSTACK_ARGS 512

struct pamstack_line {
	char module[64];		/* basename, e.g. "pam_unix.so" */
	char control[256];		/* as written: "requisite", "[success=1 default=ignore]" */
	char args[PAMSTACK_ARGS];	/* the arguments, single spaces */
	char file[128];			/* where it was read: "common-auth:25" */
	int substack;			/* > 0: lines[i+1 .. i+substack] are this line's substack */
};

struct pamstack {
	struct pamstack_line line[PAMSTACK_MAX];
	size_t n;
};

/*
 * Reads service's auth lines from dir (e.g. /etc/pam.d), @include and
 * "include" inlined, "substack" kept nested.  Returns 0, or -1 with a
 * reason in why (no such service, too deep, too long).
 */
int pamstack_read(const char *dir, const char *service, struct pamstack *s,
    char *why, size_t whysz);

/* 1 if line i is pam_odin (any path). */
int pamstack_is_odin(const struct pamstack_line *l);
/* 1 if the line's arguments contain word. */
int pamstack_has_arg(const struct pamstack_line *l, const char *word);

/* What a module answers in an imagined login (PAM_* codes). */
struct pamstack_scene {
	const char *user;		/* PAM_USER */
	const char *service;		/* PAM_SERVICE */
	int caller_root;		/* the application runs as root for the user (login, sshd) */
	int password_ok;		/* what password modules answer: PAM_SUCCESS or PAM_AUTH_ERR */
	int odin;			/* what pam_odin (without forward_pass) answers */
};

/*
 * Plays the stack through for scene.  Returns the final PAM code, and in
 * *odin_reached whether a pam_odin line (without forward_pass) ran.
 * Modules it does not know are taken as PAM_IGNORE; their names are put
 * in unknown (comma-separated, truncated to unknownsz).
 */
int pamstack_play(const struct pamstack *s, const struct pamstack_scene *scene,
    int *odin_reached, char *unknown, size_t unknownsz);

#endif
