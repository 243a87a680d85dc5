/* SPDX-License-Identifier: ISC */
/*
 * check: the host around the module -- sshd's effective settings (sshd -T,
 * else sshd_config and its Includes), and whether the clock is kept.
 */
#include "autoconfig.h"

#include <sys/timex.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "doctor_host.h"

#define DR_SSHD "/usr/sbin/sshd"
#define DR_SSHD_CONFIG "/etc/ssh/sshd_config"

struct dr_sshd_cfg {
	char usepam[64], kbd[64], pw[64], methods[256];
};

static void
dr_sshd_set(struct dr_sshd_cfg *sc, const char *key, const char *val)
{
	char *dst = NULL;
	size_t sz = 0;

	if (strcasecmp(key, "usepam") == 0) {
		dst = sc->usepam;
		sz = sizeof(sc->usepam);
	} else if (strcasecmp(key, "kbdinteractiveauthentication") == 0 ||
	    strcasecmp(key, "challengeresponseauthentication") == 0) {
		dst = sc->kbd;
		sz = sizeof(sc->kbd);
	} else if (strcasecmp(key, "passwordauthentication") == 0) {
		dst = sc->pw;
		sz = sizeof(sc->pw);
	} else if (strcasecmp(key, "authenticationmethods") == 0) {
		dst = sc->methods;
		sz = sizeof(sc->methods);
	}
	if (dst != NULL && dst[0] == '\0') {	/* the first value wins, as in sshd */
		size_t i;

		snprintf(dst, sz, "%s", val);
		for (i = 0; dst[i] != '\0'; i++)
			if (dst[i] >= 'A' && dst[i] <= 'Z')
				dst[i] = (char)(dst[i] - 'A' + 'a');
	}
}

/* sshd -T: sshd's own answer.  0, or -1 (it could not run: no /run/sshd, say). */
static int
dr_sshd_T(struct dr_sshd_cfg *sc)
{
	char line[1024];
	int pfd[2], status;
	pid_t pid;
	FILE *f;

	if (pipe(pfd) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { DR_SSHD, "-T", NULL }, *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		int devnull = open("/dev/null", O_RDWR);

		dup2(pfd[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		close(pfd[0]);
		execve(DR_SSHD, argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0 || (f = fdopen(pfd[0], "r")) == NULL) {
		close(pfd[0]);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char key[64], val[256];

		if (sscanf(line, "%63s %255[^\n]", key, val) == 2)
			dr_sshd_set(sc, key, val);
	}
	fclose(f);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    sc->usepam[0] == '\0')
		return -1;
	return 0;
}

/* Without sshd -T: the first value of each keyword in sshd_config and its Includes, before any Match. */
static int
dr_sshd_file(struct dr_sshd_cfg *sc, const char *path, int depth)	/* NOLINT(misc-no-recursion): Include, at most 4 deep */
{
	char line[1024];
	FILE *f;

	if (depth > 4 || (f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char key[64], val[512];

		if (sscanf(line, " %63s %511[^\n]", key, val) != 2 || key[0] == '#')
			continue;
		if (strcasecmp(key, "match") == 0)
			break;
		if (strcasecmp(key, "include") == 0) {
			glob_t g;
			char pat[600];
			size_t i;

			snprintf(pat, sizeof(pat), "%s%s", val[0] == '/' ? "" : "/etc/ssh/", val);
			if (glob(pat, 0, NULL, &g) == 0) {
				for (i = 0; i < g.gl_pathc; i++)
					(void)dr_sshd_file(sc, g.gl_pathv[i], depth + 1);
				globfree(&g);
			}
			continue;
		}
		dr_sshd_set(sc, key, val);
	}
	fclose(f);
	return 0;
}

void
dr_sshd(struct doctor *d)
{
	struct dr_sshd_cfg sc;
	const char *how = "";

	if (!d->sshd_uses_odin)
		return;
	if (access(DR_SSHD, X_OK) != 0) {
		dr_add(d, DR_WARN, "sshd", "the sshd PAM service uses pam_odin, but %s is not there", DR_SSHD);
		return;
	}
	memset(&sc, 0, sizeof(sc));
	if (dr_sshd_T(&sc) != 0) {
		memset(&sc, 0, sizeof(sc));
		if (dr_sshd_file(&sc, DR_SSHD_CONFIG, 0) != 0) {
			dr_add(d, DR_WARN, "sshd", "neither sshd -T nor %s could be read", DR_SSHD_CONFIG);
			return;
		}
		/* OpenSSH's defaults for what the file does not say */
		if (sc.usepam[0] == '\0')
			snprintf(sc.usepam, sizeof(sc.usepam), "no");
		if (sc.kbd[0] == '\0')
			snprintf(sc.kbd, sizeof(sc.kbd), "yes");
		if (sc.pw[0] == '\0')
			snprintf(sc.pw, sizeof(sc.pw), "yes");
		how = " (read from " DR_SSHD_CONFIG ": sshd -T could not run)";
	}
	if (strcmp(sc.usepam, "yes") != 0) {
		dr_add(d, DR_WARN, "sshd", "UsePAM %s: the sshd PAM service (and pam_odin) is never used%s",
		    sc.usepam, how);
		return;
	}
	if (strcmp(sc.kbd, "yes") != 0 && strcmp(sc.pw, "yes") == 0) {
		dr_add(d, DR_ERROR, "sshd", "KbdInteractiveAuthentication %s with PasswordAuthentication yes: "
		    "sshd answers pam_odin's question with the password, so users with MFA cannot log "
		    "in by password (and count failures); set KbdInteractiveAuthentication yes and "
		    "PasswordAuthentication no -- change the line that is there, sshd keeps the first "
		    "value%s", sc.kbd, how);
		return;
	}
	if (strcmp(sc.kbd, "yes") != 0) {
		dr_add(d, DR_WARN, "sshd", "KbdInteractiveAuthentication %s: pam_odin is never asked over "
		    "SSH (change the existing line to yes: sshd keeps the first value)%s", sc.kbd, how);
		return;
	}
	dr_add(d, DR_OK, "sshd", "UsePAM yes, KbdInteractiveAuthentication yes%s%s%s",
	    sc.methods[0] != '\0' && strcmp(sc.methods, "any") != 0 ? ", AuthenticationMethods " : "",
	    sc.methods[0] != '\0' && strcmp(sc.methods, "any") != 0 ? sc.methods : "", how);
}

/* ---- the clock -------------------------------------------------------------- */

void
dr_clock(struct doctor *d)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	if (state < 0) {
		dr_add(d, DR_WARN, "clock", "cannot ask the kernel about the clock: %s", strerror(errno));
		return;
	}
	if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0)
		dr_add(d, DR_WARN, "clock", "not synchronised (NTP): a clock that drifts makes codes fail "
		    "for everyone; enable systemd-timesyncd, chrony or ntpd");
	else
		dr_add(d, DR_OK, "clock", "synchronised (estimated error %ld us)", tx.esterror);
}

