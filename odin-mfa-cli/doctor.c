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

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "err.h"
#include "log.h"
#include "cli.h"
#include "doctor_host.h"
#include "doctor_pam.h"
#include "findings.h"

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
	unsigned n = 0, rights;
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
	if ((rc = odin_store_list(c->st, dr_count, &n)) == ODIN_EPERM)
		dr_add(d, DR_OK, "store", "%s store (database): reachable; this host's role may not "
		    "list the records, as a host's should not", odin_store_backend(c->st));
	else if (rc != ODIN_OK)
		dr_add(d, DR_ERROR, "store", "cannot list the records: %s", odin_strerror(rc));
	else
		dr_add(d, DR_OK, "store", "%s store %s: safe, %u record%s",
		    odin_store_backend(c->st), c->cfg.backend == ODIN_BACKEND_FILES ?
		    c->cfg.store_dir : "(database)", n, n == 1 ? "" : "s");
	if (odin_store_rights(c->st, &rights) == ODIN_OK) {
		if ((rights & ODIN_RIGHTS_ALL) != 0)
			dr_add(d, DR_WARN, "store", "this host's database role may insert and delete rows "
			    "and change secrets: root here could turn MFA off for everyone. Right for the "
			    "admin host only; other hosts should connect as a member of odin_host (README, "
			    "\"Roles: what a host may do\")");
		else if ((rights & ODIN_RIGHTS_HOST) != 0)
			dr_add(d, DR_OK, "store", "this host's database role is a member of odin_host "
			    "or odin_verifier: it may log users in, not change secrets or delete rows");
	}
	rc = odin_account_info(c->st, "root", &root);
	if (rc == ODIN_OK && root.state == ODIN_STATE_ENABLED)
		dr_add(d, DR_WARN, "store", "root has MFA enabled: keep its backup codes, and a console "
		    "path (see pam_odin(8), RECOVERY)");
	odin_store_close(c->st);	/* root (real uid 0): nothing was raised */
	c->st = NULL;
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
