/* SPDX-License-Identifier: ISC */
/*
 * odin-mfa-cli: self-enrollment and administration of odin-mfa.
 *
 * Installed setuid root (like passwd) so that a user can enroll into the
 * root-owned store.  privs.c drops to the caller's uid before anything
 * else happens (and sets safe resource limits and signal dispositions);
 * raised.c is the only code that runs with the effective uid raised.  The
 * caller is the real uid, nothing else.  This file: global options, the
 * dispatch to a verb, usage and the verbs' option parsing (cli.h says
 * where everything else lives).
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "cli.h"

static const char cli_usage_text[] =
"usage: odin-mfa-cli [--config PATH] enroll [--qr=utf8|ansi|none] [--qr-png FILE] [--qr-svg FILE]\n"
"       odin-mfa-cli [--config PATH] status\n"
"       odin-mfa-cli [--config PATH] backup-codes\n"
"       odin-mfa-cli [--config PATH] admin force-enable [--reset] USER\n"
"       odin-mfa-cli [--config PATH] admin disable USER\n"
"       odin-mfa-cli [--config PATH] admin unlock USER\n"
"       odin-mfa-cli [--config PATH] admin status USER\n"
"       odin-mfa-cli [--config PATH] admin list [--json]\n"
"       odin-mfa-cli [--config PATH] admin import [--force] USER < SECRET\n"
"       odin-mfa-cli [--config PATH] admin db-init\n"
"       odin-mfa-cli [--config PATH] admin migrate --to postgresql|files\n"
"       odin-mfa-cli [--config PATH] check [--json]\n"
"       odin-mfa-cli --help | --version\n";

static const char cli_exit_text[] =
"Exit status: 0 done; 1 refused (wrong code, not permitted, locked out,\n"
"cancelled, nothing to do); 2 usage or configuration error; 3 store or\n"
"system error.  --config is refused when the program runs setuid.\n";

int
cli_getopt(struct cli *c, int argc, char **argv, const struct option *extra, size_t nextra,
    const char **arg)
{
	struct option opts[8];
	size_t i, n = 0;
	int ch;

	opts[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	opts[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	for (i = 0; i < nextra && n < 7; i++)
		opts[n++] = extra[i];
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	for (;;) {
		ch = getopt_long(argc, argv, "+h", opts, NULL);
		if (ch == OPT_CONFIG) {
			c->config_path = optarg;
			continue;
		}
		*arg = optarg;
		return ch;
	}
}

void
cli_reset_getopt(void)
{
	optind = 0;	/* glibc: full re-initialisation for the next vector */
	opterr = 1;
}

int
cli_verb_usage(const char *lines, int ok)
{
	FILE *f = ok ? stdout : stderr;

	fprintf(f, "usage: %s", lines);
	if (ok)
		fputs(cli_exit_text, f);
	return ok ? EXIT_DONE : EXIT_USAGE;
}

static int
cli_version(void)
{
	printf("odin-mfa-cli (%s) %s\nconfig: %s\nstore: %s\n",
	    PACKAGE_NAME, PACKAGE_VERSION, ODIN_CONFIG_PATH, ODIN_STORE_DIR);
	return EXIT_DONE;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *, int, char **);
	} verbs[] = {
		{ "enroll", cmd_enroll },
		{ "status", cmd_status },
		{ "backup-codes", cmd_backup_codes },
		{ "admin", cmd_admin },
		{ "check", cmd_check },
	};
	struct cli c;
	int i, ret = EXIT_USAGE;
	size_t v;

	memset(&c, 0, sizeof(c));
	if (priv_startup(&c.who) != 0)
		return EXIT_SYSTEM;
	cli_tty_init();

	/* Global options come before the verb. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cli_usage_text, stdout);
			fputs(cli_exit_text, stdout);
			return EXIT_DONE;
		} else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			return cli_version();
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			c.config_path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			c.config_path = argv[i] + 9;
		} else {
			char s[64];

			cli_err("unknown option %s", cli_safe(argv[i], s, sizeof(s)));
			fputs(cli_usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fputs(cli_usage_text, stderr);
		return EXIT_USAGE;
	}
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
		if (strcmp(argv[i], verbs[v].name) == 0) {
			cli_reset_getopt();
			ret = verbs[v].fn(&c, argc - i, argv + i);
			break;
		}
	}
	if (v == sizeof(verbs) / sizeof(verbs[0])) {
		char s[64];

		cli_err("unknown command %s", cli_safe(argv[i], s, sizeof(s)));
		fputs(cli_usage_text, stderr);
	}
	fflush(stdout);
	closelog();
	return ret;
}
