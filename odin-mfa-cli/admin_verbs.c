/* SPDX-License-Identifier: ISC */
/*
 * The admin verbs: force-enable, disable, unlock, status, list, import,
 * db-init, migrate (bypass and report: helpdesk_verbs.c; what they share:
 * admin_common.c).  Each parses its arguments, checks the caller may
 * administer, resolves USER to the account's canonical name, makes one
 * transaction through raised.c, and only then prints and logs -- never
 * while a record is locked.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "err.h"
#include "import.h"
#include "secure.h"
#include "cli.h"

#define CLI_IMPORT_MAX	(64 * 1024)


static int
cli_admin_args(struct cli *c, int argc, char **argv, const char *usage,
    const struct option *flag, int *flagset, int want_user, const char **user)
{
	const char *arg;
	int ch;

	while ((ch = cli_getopt(c, argc, argv, flag, flag != NULL ? 1 : 0, &arg)) != -1) {
		if (flag != NULL && ch == flag->val)
			*flagset = 1;
		else
			return cli_verb_usage(usage, ch == OPT_HELP);
	}
	if (argc - optind != (want_user ? 1 : 0))
		return cli_verb_usage(usage, 0);
	*user = want_user ? argv[optind] : NULL;
	return -1;
}

static int
cmd_admin_force_enable(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin force-enable [--reset] [--token [--token-expires DURATION]] USER\n"
	    "Makes MFA pending for USER: they set it up at their next login (or with enroll).\n"
	    "An enabled user stays enabled unless --reset (new secret and backup codes needed).\n"
	    "--token prints a one-time enrollment token (default valid 24h, at most 7d) that\n"
	    "USER must type before a secret is shown; with enroll_token in the config every\n"
	    "forced enrollment gets one.\n";
	static const struct option opts[] = {
		{ "reset", no_argument, NULL, OPT_RESET },
		{ "token", no_argument, NULL, OPT_TOKEN },
		{ "token-expires", required_argument, NULL, OPT_TOKEN_EXPIRES },
	};
	enum odin_pending_outcome what;
	char shown[ODIN_ONETIME_SHOWN_MAX], t[64], result[160];
	const char *user = NULL, *arg;
	int64_t ttl = ODIN_TOKEN_TTL_DEFAULT;
	int do_reset = 0, token = 0, ttl_set = 0, ret, rc, ch;

	while ((ch = cli_getopt(c, argc, argv, opts, 3, &arg)) != -1) {
		if (ch == OPT_RESET)
			do_reset = 1;
		else if (ch == OPT_TOKEN)
			token = 1;
		else if (ch == OPT_TOKEN_EXPIRES) {
			if (cli_parse_duration(arg, ODIN_TOKEN_TTL_MAX, &ttl) != ODIN_OK) {
				cli_err("--token-expires: a duration of at most 7d (90s, 30m, 12h, 3d)");
				return EXIT_USAGE;
			}
			ttl_set = 1;
		} else
			return cli_verb_usage(usage, ch == OPT_HELP);
	}
	if (argc - optind != 1)
		return cli_verb_usage(usage, 0);
	user = argv[optind];
	if (ttl_set && !token) {
		cli_err("--token-expires goes with --token");
		return EXIT_USAGE;
	}
	if ((ret = cli_admin_begin(c, "force-enable", user, ADMIN_EXISTING)) != EXIT_DONE)
		return ret;
	user = c->target;
	token |= c->cfg.enroll_token;
	/* pending and its token in one transaction: never a reset without the token it needs */
	rc = raised_set_pending(c, user, do_reset, token ? ttl : 0, shown, &what);
	raised_close(c);
	if (rc != ODIN_OK) {
		odin_wipe(shown, sizeof(shown));
		return cli_store_error(user, rc);
	}
	switch (what) {
	case ODIN_PENDING_ALREADY:
		printf("%s: already pending%s\n", user, token ? "" : "; nothing changed");
		break;
	case ODIN_PENDING_KEPT:
		printf("%s: already enabled; nothing changed (use --reset to make them enroll again)\n", user);
		break;
	default:
		printf("%s: MFA pending; they will set it up at their next login or with odin-mfa-cli enroll\n", user);
		break;
	}
	if (shown[0] != '\0') {
		cli_fmt_time((int64_t)time(NULL) + ttl, t, sizeof(t));
		(void)snprintf(result, sizeof(result), "pending, enrollment token issued (valid until %s)", t);
		cli_admin_log(c, do_reset ? "force-enable --reset --token" : "force-enable --token", user, result);
		printf("\nEnrollment token for %s (works once, until %s):\n\n    %s\n\n"
		    "Hand it to %s yourself (in person, by phone); it is not shown again.\n"
		    "They type it before their new secret is shown.\n", user, t, shown, user);
		odin_wipe(shown, sizeof(shown));
	} else if (what != ODIN_PENDING_ALREADY && what != ODIN_PENDING_KEPT) {
		cli_admin_log(c, do_reset ? "force-enable --reset" : "force-enable", user, "pending");
	}
	return EXIT_DONE;
}

static int
cmd_admin_disable(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin disable USER\n"
	    "Removes USER's record (secret and backup codes): password-only logins again.\n"
	    "A corrupt record, or one whose secret does not decrypt, is removed too.\n";
	const char *user = NULL;
	int ret, rc, unreadable = 0;

	if ((ret = cli_admin_args(c, argc, argv, usage, NULL, NULL, 1, &user)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "disable", user, ADMIN_ANY)) != EXIT_DONE)
		return ret;
	user = c->target;
	rc = raised_disable(c, user, &unreadable);
	raised_close(c);
	if (rc == ODIN_ENOENT) {
		cli_err("%s: MFA is not set up; nothing changed", user);
		return EXIT_REFUSED;
	}
	if (rc != ODIN_OK)
		return cli_store_error(user, rc);
	cli_admin_log(c, "disable", user, unreadable ? "unreadable record removed" : "record removed");
	printf("%s: MFA disabled; %s\n", user, unreadable ?
	    "the unreadable record was removed" : "secret and backup codes removed");
	return EXIT_DONE;
}

static int
cmd_admin_unlock(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin unlock USER\nClears USER's failure count and lockout.\n";
	const char *user = NULL;
	int ret, rc;

	if ((ret = cli_admin_args(c, argc, argv, usage, NULL, NULL, 1, &user)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "unlock", user, ADMIN_ANY)) != EXIT_DONE)
		return ret;
	user = c->target;
	rc = raised_unlock(c, user);
	raised_close(c);
	if (rc == ODIN_ENOENT) {
		cli_err("%s: MFA is not set up; nothing changed", user);
		return EXIT_REFUSED;
	}
	if (rc != ODIN_OK)
		return cli_store_error(user, rc);
	cli_admin_log(c, "unlock", user, "failures and lockout cleared");
	printf("%s: unlocked\n", user);
	return EXIT_DONE;
}

static int
cmd_admin_status(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "odin-mfa-cli admin status USER\nShows USER's MFA state.\n";
	struct odin_account_info info;
	const char *user = NULL;
	int ret, rc;

	if ((ret = cli_admin_args(c, argc, argv, usage, NULL, NULL, 1, &user)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "status", user, ADMIN_ANY)) != EXIT_DONE)
		return ret;
	user = c->target;
	rc = raised_info(c, user, &info);
	raised_close(c);
	if (rc != ODIN_OK && rc != ODIN_ENOENT)
		return cli_store_error(user, rc);
	if (rc == ODIN_ENOENT && !c->target_known) {
		/* neither an account nor a record: a typo, not "MFA off" */
		cli_err("%s: no such user, and no record", user);
		return EXIT_REFUSED;
	}
	cli_print_status(user, rc, &info);
	return EXIT_DONE;
}

static int
cmd_admin_list(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin list [--json]\n"
	    "Every user with a record: state, backup codes left, lockout, last code time.\n";
	static const struct option json = { "json", no_argument, NULL, OPT_JSON };
	struct cli_names nm = { NULL, 0, 0, 0 };
	struct odin_account_info *infos = NULL;
	const char *none;
	int as_json = 0, ret, rc, *rcs = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	if ((ret = cli_admin_args(c, argc, argv, usage, &json, &as_json, 0, &none)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "list", NULL, ADMIN_NONE)) != EXIT_DONE)
		return ret;
	rc = raised_list(c, cli_collect, &nm);
	if (rc != ODIN_OK || nm.oom) {
		ret = nm.oom ? (cli_err("out of memory"), EXIT_SYSTEM) : cli_store_error("list", rc);
		goto out;
	}
	cli_names_sort(&nm);
	infos = calloc(nm.n + 1, sizeof(*infos));
	rcs = calloc(nm.n + 1, sizeof(*rcs));
	if (infos == NULL || rcs == NULL) {
		cli_err("out of memory");
		ret = EXIT_SYSTEM;
		goto out;
	}
	/* read all first (odin_account_info: no lock), print once the store is closed */
	for (i = 0; i < nm.n; i++)
		rcs[i] = raised_info(c, nm.v[i], &infos[i]);
	raised_close(c);
	if (as_json)
		printf("[");
	else
		printf("%-32s %-8s %-7s %-26s %s\n", "USER", "STATE", "BACKUP", "LOCKED UNTIL", "LAST CODE");
	for (i = 0; i < nm.n; i++) {
		const struct odin_account_info *r = &infos[i];
		char t1[64], t2[64];
		int locked;
		int64_t last;

		rc = rcs[i];
		if (rc == ODIN_ENOENT)
			continue;	/* removed meanwhile */
		locked = rc == ODIN_OK && r->lockout_until > now;
		last = rc == ODIN_OK && r->last_step > 0 ? r->last_step * (int64_t)r->period : 0;
		if (as_json) {
			printf("%s\n  {\"user\": ", i == 0 ? "" : ",");
			cli_json_str(nm.v[i]);
			if (rc != ODIN_OK) {
				printf(", \"state\": \"error\", \"error\": ");
				cli_json_str(odin_strerror(rc));
				printf("}");
			} else {
				printf(", \"state\": \"%s\", \"backup_codes\": %u, \"locked\": %s, "
				    "\"locked_until\": %lld, \"failures\": %u, \"last_code_time\": %lld, "
				    "\"enrolled\": %lld}",
				    odin_state_name(r->state), r->nbackup, locked ? "true" : "false",
				    (long long)(locked ? r->lockout_until : 0), r->failures,
				    (long long)last, (long long)r->created);
			}
		} else if (rc != ODIN_OK) {
			printf("%-32s %-8s %s\n", nm.v[i], "error", odin_strerror(rc));
		} else {
			if (locked)
				cli_fmt_time(r->lockout_until, t1, sizeof(t1));
			else
				snprintf(t1, sizeof(t1), "-");
			cli_fmt_time(last, t2, sizeof(t2));
			printf("%-32s %-8s %-7u %-26s %s\n", nm.v[i], odin_state_name(r->state),
			    r->nbackup, t1, t2);
		}
	}
	if (as_json)
		printf("%s]\n", nm.n > 0 ? "\n" : "");
	ret = EXIT_DONE;
out:
	cli_names_free(&nm);
	free(infos);
	free(rcs);
	raised_close(c);
	return ret;
}

static int
cmd_admin_import(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin import [--force] USER < SECRET\n"
	    "Takes over an existing TOTP secret from standard input: an otpauth://totp/\n"
	    "URI, a bare base32 secret, a google-authenticator state file (its scratch\n"
	    "codes become backup codes) or a pam_oath users-file line (HOTP/T30 USER - HEXKEY).\n"
	    "USER becomes enabled.  --force replaces an enabled record.\n";
	static const struct option force = { "force", no_argument, NULL, OPT_FORCE };
	struct odin_import *imp = NULL;
	const char *user = NULL, *why = NULL;
	char *text = NULL;
	size_t len = 0;
	unsigned nbackup = 0;
	int do_force = 0, ret, rc;

	if ((ret = cli_admin_args(c, argc, argv, usage, &force, &do_force, 1, &user)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "import", user, ADMIN_EXISTING)) != EXIT_DONE)
		return ret;
	user = c->target;
	if ((imp = odin_secure_alloc(sizeof(*imp))) == NULL) {
		cli_err("out of memory");
		ret = EXIT_SYSTEM;
		goto out;
	}
	if ((rc = cli_read_all(&text, &len, CLI_IMPORT_MAX)) != ODIN_OK) {
		cli_err("standard input: %s", rc == ODIN_ETOOBIG ? "larger than any secret file" : odin_strerror(rc));
		ret = EXIT_USAGE;
		goto out;
	}
	rc = odin_import_parse(text, len, user, imp, &why);
	odin_free_wipe(text, len + 1);
	if (rc != ODIN_OK) {
		cli_err("cannot import: %s", why != NULL ? why : odin_strerror(rc));
		ret = EXIT_REFUSED;
		goto out;
	}
	rc = raised_import(c, user, imp, do_force, &nbackup);
	raised_close(c);
	if (rc == ODIN_EEXIST) {
		cli_err("%s: MFA is already enabled; nothing changed (--force replaces it)", user);
		ret = EXIT_REFUSED;
		goto out;
	}
	if (rc == ODIN_EINVAL) {
		cli_err("cannot import the scratch codes: %s", odin_strerror(rc));
		ret = EXIT_REFUSED;
		goto out;
	}
	if (rc != ODIN_OK) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	cli_admin_log(c, "import", user, odin_import_kind_name(imp->kind));
	printf("%s: imported (%s, %s, %u digits, %u s); MFA enabled with %u backup code%s\n",
	    user, odin_import_kind_name(imp->kind), odin_alg_name(imp->alg), imp->digits, imp->period,
	    nbackup, nbackup == 1 ? "" : "s");
	ret = EXIT_DONE;
out:
	odin_secure_free(imp);
	raised_close(c);
	return ret;
}

/* admin db-init: create the files store, or the database schema (postgresql). */
static int
cmd_admin_db_init(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "odin-mfa-cli admin db-init\n"
	    "Creates the store: for backend = files the store directory (root:root 0700,\n"
	    "its parent must exist), for backend = postgresql the schema (or upgrades it).\n"
	    "Logins never create a store: a missing one denies them.\n";
	const char *none;
	int ret, rc, what = 0;

	if ((ret = cli_admin_args(c, argc, argv, usage, NULL, NULL, 0, &none)) >= 0)
		return ret;
	/* no store to open first: a files store may not exist yet, db-init makes it */
	if ((ret = cli_admin_check(c, "db-init")) != EXIT_DONE)
		return ret;
	rc = raised_db_init(c, &what);
	if (rc != ODIN_OK)
		return cli_store_error("db-init", rc);
	cli_syslog(LOG_NOTICE, "admin db-init (uid %lu): %s ready", (unsigned long)c->who.uid,
	    what == 1 ? "store" : "schema");
	if (what == 1) {
		char s[ODIN_PATH_MAX * 4];

		printf("store %s ready\n", cli_safe(c->cfg.store_dir, s, sizeof(s)));
	} else {
		printf("schema ready\n");
	}
	return EXIT_DONE;
}

/* admin migrate --to postgresql|files: copy every record from the configured backend. */
static int
cmd_admin_migrate(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "odin-mfa-cli admin migrate --to postgresql|files\n"
	    "Copies every record (secret, last code, lockout, backup codes) from the\n"
	    "configured backend to the other one; then set backend = ... in the config.\n";
	struct odin_config to_cfg;
	const char *target = NULL;
	unsigned n = 0;
	int ret, rc;

	if (argc == 3 && strcmp(argv[1], "--to") == 0)
		target = argv[2];
	else if (argc == 2 && strncmp(argv[1], "--to=", 5) == 0)
		target = argv[1] + 5;
	if (target == NULL || (strcmp(target, "postgresql") != 0 && strcmp(target, "files") != 0))
		return cli_verb_usage(usage, argc == 2 && strcmp(argv[1], "--help") == 0);
	if ((ret = cli_admin_begin(c, "migrate", NULL, ADMIN_NONE)) != EXIT_DONE)
		return ret;
	to_cfg = c->cfg;
	if (odin_config_set(&to_cfg, "backend", target) != ODIN_OK || to_cfg.backend == c->cfg.backend) {
		cli_err("migrate: the configured backend already is %s", target);
		raised_close(c);
		return EXIT_USAGE;
	}
	rc = raised_migrate(c, &to_cfg, &n);
	raised_close(c);
	if (rc != ODIN_OK)
		return cli_store_error("migrate", rc);
	cli_syslog(LOG_NOTICE, "admin migrate (uid %lu): %u records copied to %s",
	    (unsigned long)c->who.uid, n, target);
	printf("%u records copied to %s\n", n, target);
	return EXIT_DONE;
}

int
cmd_admin(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *, int, char **);
	} verbs[] = {
		{ "force-enable", cmd_admin_force_enable },
		{ "disable", cmd_admin_disable },
		{ "unlock", cmd_admin_unlock },
		{ "status", cmd_admin_status },
		{ "list", cmd_admin_list },
		{ "import", cmd_admin_import },
		{ "db-init", cmd_admin_db_init },
		{ "migrate", cmd_admin_migrate },
		{ "bypass", cmd_admin_bypass },
		{ "report", cmd_admin_report },
	};
	static const char usage[] =
	    "odin-mfa-cli admin force-enable [--reset] [--token [--token-expires DURATION]] USER\n"
	    "       odin-mfa-cli admin bypass [--expires DURATION] [--uses N] USER\n"
	    "       odin-mfa-cli admin bypass --revoke USER\n"
	    "       odin-mfa-cli admin report [--json | --prometheus FILE] [--stale-days N] [--backup-min N]\n"
	    "       odin-mfa-cli admin disable USER\n"
	    "       odin-mfa-cli admin unlock USER\n"
	    "       odin-mfa-cli admin status USER\n"
	    "       odin-mfa-cli admin list [--json]\n"
	    "       odin-mfa-cli admin import [--force] USER < SECRET\n"
	    "       odin-mfa-cli admin db-init\n"
	    "       odin-mfa-cli admin migrate --to postgresql|files\n"
	    "Admin commands need root, or membership of the admin_group of the config.\n"
	    "Every change is logged to syslog (authpriv).\n";
	const char *arg;
	size_t i;
	int ch;

	while ((ch = cli_getopt(c, argc, argv, NULL, 0, &arg)) != -1)
		return cli_verb_usage(usage, ch == OPT_HELP);
	if (optind >= argc)
		return cli_verb_usage(usage, 0);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[optind], verbs[i].name) == 0) {
			int sub = optind;

			cli_reset_getopt();
			return verbs[i].fn(c, argc - sub, argv + sub);
		}
	}
	{
		char s[64];

		cli_err("unknown admin command: %s", cli_safe(argv[optind], s, sizeof(s)));
	}
	return cli_verb_usage(usage, 0);
}
