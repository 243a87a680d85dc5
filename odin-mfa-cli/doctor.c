/* SPDX-License-Identifier: ISC */
/*
 * odin-mfa-cli check: the administrator's doctor, run before and after a
 * change.  It reads the configuration (file:line: what is wrong), the
 * store, key and plugin files, every PAM service that uses pam_odin
 * (played through with pamstack.c for the logins that matter), sshd's
 * effective settings and the clock, and says what it finds.  "error" is a
 * finding that would lock someone out, or let someone in without a code;
 * any error makes the exit status 1.  Root only; it changes nothing.
 */
#include "autoconfig.h"

#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "err.h"
#include "log.h"
#include "cli.h"
#include "pamstack.h"

#define DR_MAX 256
#define DR_PAM_DIR "/etc/pam.d"
#define DR_SSHD "/usr/sbin/sshd"
#define DR_SSHD_CONFIG "/etc/ssh/sshd_config"

enum { DR_OK = 0, DR_WARN = 1, DR_ERROR = 2 };

struct dr_finding {
	int level;
	char area[24];
	char msg[640];
};

struct doctor {
	struct dr_finding f[DR_MAX];
	size_t n;
	char captured[8][400];		/* the log lines of the call being checked */
	size_t ncaptured;
	int odin_services;
	int sshd_uses_odin;
};

static void dr_add(struct doctor *d, int level, const char *area, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
dr_add(struct doctor *d, int level, const char *area, const char *fmt, ...)
{
	struct dr_finding *f;
	va_list ap;

	if (d->n >= DR_MAX)
		return;
	f = &d->f[d->n++];
	f->level = level;
	snprintf(f->area, sizeof(f->area), "%s", area);
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

/* common/'s log lines, caught while one check runs. */
static void
dr_capture(void *ctx, int prio, const char *msg)
{
	struct doctor *d = ctx;

	if (prio > LOG_WARNING || d->ncaptured >= sizeof(d->captured) / sizeof(d->captured[0]))
		return;
	snprintf(d->captured[d->ncaptured++], sizeof(d->captured[0]), "%s", msg);
}

static void
dr_capture_begin(struct doctor *d)
{
	d->ncaptured = 0;
	odin_log_set_sink(dr_capture, d);
}

static void
dr_capture_end(void)
{
	cli_clear_detail();	/* the CLI's own sink again */
}

/* ---- configuration, store, keys ------------------------------------------ */

static int
dr_config(struct doctor *d, struct cli *c)
{
	const char *path = c->config_path != NULL ? c->config_path : ODIN_CONFIG_PATH;
	size_t i;
	int rc;

	odin_config_defaults(&c->cfg);
	dr_capture_begin(d);
	rc = odin_config_load(path, &c->cfg);
	dr_capture_end();
	if (rc == ODIN_ENOENT && c->config_path == NULL) {
		dr_add(d, DR_OK, "config", "%s: not there; the compiled-in defaults apply", path);
		return 0;
	}
	if (rc == ODIN_OK) {
		dr_add(d, DR_OK, "config", "%s: read, every line understood", path);
		if (c->cfg.forward_pass)
			dr_add(d, DR_WARN, "config", "%s: forward_pass is ignored there: it belongs on the "
			    "first of the two pam_odin lines of a stack (pam_odin(8))", path);
		return 0;
	}
	for (i = 0; i < d->ncaptured; i++)
		dr_add(d, DR_ERROR, "config", "%s (pam_odin denies every login it covers while this stands)",
		    d->captured[i]);
	if (d->ncaptured == 0)
		dr_add(d, DR_ERROR, "config", "%s: %s (pam_odin denies every login it covers)", path,
		    odin_strerror(rc));
	return -1;
}

/* A file that must be root's and not writable (or readable) by others. */
static void
dr_root_file(struct doctor *d, const char *area, const char *what, const char *path, int secret)
{
	struct stat sb;

	if (lstat(path, &sb) != 0) {
		dr_add(d, DR_ERROR, area, "%s %s: %s", what, path, strerror(errno));
		return;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_uid != 0 ||
	    (sb.st_mode & (secret ? 077 : 022)) != 0) {
		dr_add(d, DR_ERROR, area, "%s %s: %s, owner uid %lu, mode %04o; must be a regular file "
		    "owned by root, %s (pam_odin refuses it: every login it covers is denied)",
		    what, path, S_ISLNK(sb.st_mode) ? "a symlink" : S_ISREG(sb.st_mode) ? "a file" : "not a file",
		    (unsigned long)sb.st_uid, (unsigned)(sb.st_mode & 07777),
		    secret ? "0600 or 0400" : "not writable by group or others");
		return;
	}
	dr_add(d, DR_OK, area, "%s %s: root's, mode %04o", what, path, (unsigned)(sb.st_mode & 07777));
}

static int
dr_count(const char *user, void *ctx)
{
	(void)user;
	(*(unsigned *)ctx)++;
	return 0;
}

static void
dr_store(struct doctor *d, struct cli *c)
{
	struct odin_account_info root;
	unsigned n = 0;
	size_t i;
	int rc;

	if (c->cfg.secret_key_file[0] != '\0')
		dr_root_file(d, "keys", "secret_key_file", c->cfg.secret_key_file, 1);
	if (c->cfg.pg_password_file[0] != '\0')
		dr_root_file(d, "keys", "pg_password_file", c->cfg.pg_password_file, 1);
	if (c->cfg.backend == ODIN_BACKEND_POSTGRESQL)
		dr_root_file(d, "plugin", "the postgresql plugin", c->cfg.pg_plugin[0] != '\0' ?
		    c->cfg.pg_plugin : ODIN_PLUGIN_DIR "/odin_store_pg.so", 0);
	dr_capture_begin(d);
	rc = odin_store_open_config(&c->cfg, &c->st);
	dr_capture_end();
	if (rc != ODIN_OK) {
		c->st = NULL;
		for (i = 0; i < d->ncaptured; i++)
			dr_add(d, DR_ERROR, "store", "%s", d->captured[i]);
		dr_add(d, DR_ERROR, "store", "the store cannot be used (%s): every login pam_odin covers "
		    "is denied%s", rc == ODIN_ENOENT ? "missing" : odin_strerror(rc), rc == ODIN_ENOENT ?
		    "; create it with: odin-mfa-cli admin db-init" : "");
		return;
	}
	if ((rc = odin_store_list(c->st, dr_count, &n)) != ODIN_OK)
		dr_add(d, DR_ERROR, "store", "cannot list the records: %s", odin_strerror(rc));
	else
		dr_add(d, DR_OK, "store", "%s store %s: safe, %u record%s",
		    odin_store_backend(c->st), c->cfg.backend == ODIN_BACKEND_FILES ?
		    c->cfg.store_dir : "(database)", n, n == 1 ? "" : "s");
	rc = odin_account_info(c->st, "root", &root);
	if (rc == ODIN_OK && root.state == ODIN_STATE_ENABLED)
		dr_add(d, DR_WARN, "store", "root has MFA enabled: keep its backup codes, and a console "
		    "path (see pam_odin(8), RECOVERY)");
	odin_store_close(c->st);	/* root (real uid 0): nothing was raised */
	c->st = NULL;
}

/* ---- PAM ------------------------------------------------------------------ */

static const char *
dr_code(int rv)
{
	return rv == PAM_SUCCESS ? "success" : rv == PAM_PERM_DENIED ? "denied (no module decided)" :
	    rv == PAM_AUTH_ERR ? "denied" : rv == PAM_AUTHINFO_UNAVAIL ? "denied (store unusable)" :
	    rv == PAM_IGNORE ? "ignored" : "denied";
}

static int
dr_play(const struct pamstack *s, const char *service, const char *user, int pw, int odin,
    int *reached, char *unknown, size_t unknownsz)
{
	struct pamstack_scene sc;

	sc.user = user;
	sc.service = service;
	sc.caller_root = 0;	/* a user runs su, sudo, chfn: pam_rootok does not let them past */
	sc.password_ok = pw;
	sc.odin = odin;
	return pamstack_play(s, &sc, reached, unknown, unknownsz);
}

static int
dr_has_password_module(const struct pamstack *s)
{
	static const char *const pw[] = { "pam_unix.so", "pam_sss.so", "pam_ldap.so", "pam_krb5.so",
	    "pam_winbind.so" };
	size_t i, k;

	for (i = 0; i < s->n; i++)
		for (k = 0; k < sizeof(pw) / sizeof(pw[0]); k++)
			if (strcmp(s->line[i].module, pw[k]) == 0)
				return 1;
	return 0;
}

static void
dr_service(struct doctor *d, const char *service, const struct pamstack *s)
{
	char unknown[256], area[24];
	size_t i, fwd = s->n, checked = 0;
	int reached, rv, problems = 0;

	snprintf(area, sizeof(area), "pam %.19s", service);
	for (i = 0; i < s->n; i++) {
		if (!pamstack_is_odin(&s->line[i]))
			continue;
		if (pamstack_has_arg(&s->line[i], "forward_pass")) {
			if (fwd == s->n)
				fwd = i;
		} else if (fwd < i) {
			checked = 1;
		}
	}
	if (fwd < s->n && !checked) {
		dr_add(d, DR_ERROR, area, "%s: pam_odin forward_pass cuts the code off, but no pam_odin line "
		    "after the password module checks it: the password alone gets in", s->line[fwd].file);
		problems++;
	}
	/* a user with a record, right code / wrong code */
	rv = dr_play(s, service, "odin-check-user", PAM_SUCCESS, PAM_SUCCESS, &reached, unknown, sizeof(unknown));
	if (rv != PAM_SUCCESS) {
		dr_add(d, DR_ERROR, area, "a user with MFA is %s even with the right password and code", dr_code(rv));
		problems++;
	}
	rv = dr_play(s, service, "odin-check-user", PAM_SUCCESS, PAM_AUTH_ERR, &reached, unknown, sizeof(unknown));
	if (rv == PAM_SUCCESS) {
		dr_add(d, DR_ERROR, area, "a wrong code gets in: nothing in the stack acts on pam_odin's answer");
		problems++;
	}
	/* a user without a record */
	rv = dr_play(s, service, "odin-check-user", PAM_SUCCESS, PAM_IGNORE, &reached, unknown, sizeof(unknown));
	if (rv != PAM_SUCCESS) {
		dr_add(d, DR_ERROR, area, "a user without a record is %s (pam_odin answers PAM_IGNORE and "
		    "nothing else lets them in): add 'auth required pam_permit.so' after pam_odin, with "
		    "pam_odin as [success=done ignore=ignore default=die] (see pam_odin(8), EXAMPLES)",
		    dr_code(rv));
		problems++;
	}
	/* a wrong password */
	if (dr_has_password_module(s)) {
		(void)dr_play(s, service, "odin-check-user", PAM_AUTH_ERR, PAM_AUTH_ERR, &reached,
		    unknown, sizeof(unknown));
		if (reached) {
			dr_add(d, DR_WARN, area, "a wrong password still reaches pam_odin: its prompt, the "
			    "lockout and in-login enrollment are open to anyone; make the password module "
			    "'requisite'");
			problems++;
		}
	}
	/* root on the console when the store cannot be used */
	if (strcmp(service, "login") == 0) {
		rv = dr_play(s, service, "root", PAM_SUCCESS, PAM_AUTHINFO_UNAVAIL, &reached,
		    unknown, sizeof(unknown));
		if (rv != PAM_SUCCESS) {
			dr_add(d, DR_ERROR, area, "root's console login goes through pam_odin: if the store "
			    "cannot be used (a full disk, an unmounted volume) root is locked out too; put "
			    "'auth [success=1 default=ignore] pam_succeed_if.so service = login user = root "
			    "quiet' just before pam_odin");
			problems++;
		}
	}
	if (unknown[0] != '\0')
		dr_add(d, DR_WARN, area, "taken as neutral (not known to check): %s", unknown);
	if (problems == 0)
		dr_add(d, DR_OK, area, "a user with MFA is asked after the password; without a record, "
		    "the password alone; a wrong code is refused");
}

static void
dr_pam(struct doctor *d)
{
	struct pamstack *s;
	struct dirent *de;
	char why[256];
	DIR *dir;

	if ((dir = opendir(DR_PAM_DIR)) == NULL) {
		dr_add(d, DR_WARN, "pam", "%s: %s", DR_PAM_DIR, strerror(errno));
		return;
	}
	if ((s = malloc(sizeof(*s))) == NULL) {
		closedir(dir);
		dr_add(d, DR_ERROR, "pam", "out of memory");
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t i;
		int uses = 0;

		if (de->d_name[0] == '.' || strncmp(de->d_name, "common-", 7) == 0 ||
		    strchr(de->d_name, '~') != NULL || strstr(de->d_name, ".dpkg-") != NULL)
			continue;
		if (pamstack_read(DR_PAM_DIR, de->d_name, s, why, sizeof(why)) != 0) {
			dr_add(d, DR_WARN, "pam", "%s: cannot read its auth stack: %s", de->d_name, why);
			continue;
		}
		for (i = 0; i < s->n; i++)
			uses |= pamstack_is_odin(&s->line[i]);
		if (!uses)
			continue;
		d->odin_services++;
		if (strcmp(de->d_name, "sshd") == 0)
			d->sshd_uses_odin = 1;
		dr_service(d, de->d_name, s);
	}
	closedir(dir);
	free(s);
	if (d->odin_services == 0)
		dr_add(d, DR_WARN, "pam", "no service in %s uses pam_odin: nobody is asked for a code",
		    DR_PAM_DIR);
}

/* ---- sshd ----------------------------------------------------------------- */

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

static void
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

static void
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

/* ---- output ------------------------------------------------------------------ */

static void
dr_json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static int
dr_report(const struct doctor *d, int json)
{
	static const char *const word[] = { "ok", "warning", "error" };
	size_t i, errors = 0, warnings = 0;
	char buf[1400];

	for (i = 0; i < d->n; i++) {
		errors += d->f[i].level == DR_ERROR;
		warnings += d->f[i].level == DR_WARN;
	}
	if (json) {
		printf("{\"ok\": %s, \"errors\": %zu, \"warnings\": %zu, \"findings\": [",
		    errors == 0 ? "true" : "false", errors, warnings);
		for (i = 0; i < d->n; i++) {
			printf("%s\n  {\"level\": \"%s\", \"area\": ", i == 0 ? "" : ",", word[d->f[i].level]);
			dr_json_str(d->f[i].area);
			printf(", \"message\": ");
			dr_json_str(cli_safe(d->f[i].msg, buf, sizeof(buf)));
			printf("}");
		}
		printf("\n]}\n");
	} else {
		for (i = 0; i < d->n; i++)
			printf("%-7s %-14s %s\n", d->f[i].level == DR_ERROR ? "ERROR" :
			    d->f[i].level == DR_WARN ? "warning" : "ok", d->f[i].area,
			    cli_safe(d->f[i].msg, buf, sizeof(buf)));
		printf("\n%zu error%s, %zu warning%s%s\n", errors, errors == 1 ? "" : "s", warnings,
		    warnings == 1 ? "" : "s", errors > 0 ?
		    ": fix the errors before relying on this host (each would lock someone out or let "
		    "someone in without a code)" : "");
	}
	return errors > 0 ? EXIT_REFUSED : EXIT_DONE;
}

int
cmd_check(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli check [--json]\n"
	    "The administrator's doctor (root): the configuration, the store, the key and\n"
	    "plugin files, every PAM service that uses pam_odin, sshd's settings and the\n"
	    "clock.  Changes nothing.  Exit status 1 if a finding would lock someone out or\n"
	    "let someone in without a code.\n";
	static const struct option json = { "json", no_argument, NULL, OPT_JSON };
	struct doctor *d;
	const char *arg;
	int as_json = 0, ch, ret;

	while ((ch = cli_getopt(c, argc, argv, &json, 1, &arg)) != -1) {
		if (ch == OPT_JSON)
			as_json = 1;
		else
			return cli_verb_usage(usage, ch == OPT_HELP);
	}
	if (optind != argc)
		return cli_verb_usage(usage, 0);
	if (c->who.uid != 0) {
		cli_err("check needs root (it reads root's files)");
		return EXIT_REFUSED;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		cli_err("out of memory");
		return EXIT_SYSTEM;
	}
	if (dr_config(d, c) == 0)
		dr_store(d, c);
	dr_pam(d);
	dr_sshd(d);
	dr_clock(d);
	ret = dr_report(d, as_json);
	free(d);
	return ret;
}
