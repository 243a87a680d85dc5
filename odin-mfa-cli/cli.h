/* SPDX-License-Identifier: ISC */
/*
 * Shared by the files of odin-mfa-cli, and by nothing else.  The layout,
 * one concern a file (the OpenDoas way):
 *
 *   main.c         startup, global options, dispatch, usage, verb option parsing
 *   tty.c          output, errors, signals, reading lines from the terminal
 *   raised.c       every call that runs with the effective uid raised: the
 *                  store and the default config, through common/account.h
 *   user_verbs.c   enroll, status, backup-codes (the caller's own record)
 *   admin_verbs.c  admin force-enable/disable/unlock/status/list/import/db-init/migrate
 *   doctor.c       check: what on this host would lock someone out (with
 *                  doctor_pam.c the PAM stacks, doctor_host.c sshd and the
 *                  clock; findings.c collects and prints what they find)
 *   pamstack.c     check's reader and player of PAM auth stacks
 *   privs.c        setuid hygiene, who is calling, raising and lowering the euid
 *
 * Exit status: 0 done; 1 refused (wrong code, not permitted, locked out,
 * cancelled, nothing to do); 2 usage or configuration error; 3 store or
 * system error.  The store changes only with exit status 0, except that a
 * wrong code typed to confirm it is you is counted toward the lockout.
 */
#ifndef ODIN_CLI_H
#define ODIN_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "config.h"
#include "store.h"
#include "user.h"
#include "privs.h"

#define EXIT_DONE	0
#define EXIT_REFUSED	1
#define EXIT_USAGE	2
#define EXIT_SYSTEM	3

#define CLI_TRIES	3
#define CLI_LINE_MAX	64

/* How an admin verb's USER is resolved (cli_admin_begin). */
enum admin_who {
	ADMIN_NONE,		/* the verb takes no USER */
	ADMIN_EXISTING,		/* must be an account the system knows */
	ADMIN_ANY,		/* an account, or failing that the name as typed (a deleted account's record) */
};

struct cli {
	struct priv_caller who;
	struct odin_config cfg;
	const char *config_path;	/* --config, NULL if not given */
	struct odin_store *st;
	char target[ODIN_USER_MAX + 1];	/* an admin verb's USER, canonical (admin_verbs.c) */
	int target_known;		/* the user database knows target */
};

/* ---- tty.c ---------------------------------------------------------------- */

extern volatile sig_atomic_t cli_interrupted;

/* One line "odin-mfa-cli: ..." on stderr (stdout flushed first). */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A user-supplied string made safe for a terminal or a log line; returns buf. */
const char *cli_safe(const char *s, char *buf, size_t bufsz);
/* s as a JSON string on stdout (escaped; UTF-8 kept, other bytes as U+FFFD). */
void cli_json_str(const char *s);
/* The last warning common/ logged on this thread, else odin_strerror(rc). */
const char *cli_detail(int rc);
/* Forgets the last warning (before a call whose detail we may print). */
void cli_clear_detail(void);
/* "user: store error: <detail>"; returns EXIT_SYSTEM. */
int cli_store_error(const char *user, int rc);
/* A time for people ("never" for 0). */
void cli_fmt_time(int64_t t, char *buf, size_t bufsz);
/* syslog(LOG_AUTHPRIV | prio) of one line. */
void cli_syslog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Process start: stdout buffered in memory that is wiped at exit, syslog, log sink, signals. */
void cli_tty_init(void);
/* Blocks (1) or unblocks (0) the interrupting signals around a store transaction. */
void cli_signals_block(int block, sigset_t *old);
/*
 * Reads one line from standard input into buf (bounded; an over-long line
 * comes back empty, i.e. invalid).  Returns 1 for a line, 0 for EOF, -1 if
 * interrupted or on a read error.
 */
int cli_read_line(char *buf, size_t bufsz);
/* Reads all of standard input (at most max bytes) into a malloc'd, NUL-terminated buffer. */
int cli_read_all(char **out, size_t *outlen, size_t max);
void cli_prompt(const char *text);

/* ---- main.c: option parsing for verbs ------------------------------------ */

enum { OPT_HELP = 'h', OPT_CONFIG = 0x100, OPT_QR, OPT_QR_PNG, OPT_QR_SVG, OPT_RESET, OPT_JSON,
	OPT_FORCE, OPT_TO, OPT_TOKEN, OPT_TOKEN_EXPIRES, OPT_EXPIRES, OPT_USES, OPT_REVOKE,
	OPT_PROMETHEUS, OPT_STALE_DAYS, OPT_BACKUP_MIN };

/*
 * getopt_long over a verb's arguments; --help and --config are accepted by
 * every verb.  Returns the option, -1 at the end, '?' on error (reported).
 */
int cli_getopt(struct cli *c, int argc, char **argv, const struct option *extra, size_t nextra,
    const char **arg);
/* Prints "usage: " lines (and the exit codes when asked for); EXIT_DONE if ok, else EXIT_USAGE. */
int cli_verb_usage(const char *lines, int ok);
/* Resets getopt for the next argument vector. */
void cli_reset_getopt(void);

/* ---- raised.c: the only places the effective uid is raised ----------------- */

/* Loads the configuration (the default file as root, a --config file as the caller). */
int raised_load_config(struct cli *c);
/* Opens the configured store (never creates it); an exit status, the error printed. */
int raised_open(struct cli *c);
void raised_close(struct cli *c);
/* The account transactions of common/account.h on c->st, with signals blocked. */
int raised_info(struct cli *c, const char *user, struct odin_account_info *info);
int raised_verify(struct cli *c, const char *user, const char *input, unsigned flags,
    struct odin_attempt *a);
int raised_enroll_begin(struct cli *c, const char *user, int forced,
    const struct odin_token_spent *spent, struct odin_enrollment **en);
int raised_enroll_commit(struct cli *c, const char *user, struct odin_enrollment *en);
int raised_new_backup_codes(struct cli *c, const char *user, struct odin_backup_code *codes);
int raised_set_pending(struct cli *c, const char *user, int reset, int64_t token_ttl,
    char shown[ODIN_ONETIME_SHOWN_MAX], enum odin_pending_outcome *out);
int raised_disable(struct cli *c, const char *user, int *unreadable);
int raised_unlock(struct cli *c, const char *user);
int raised_import(struct cli *c, const char *user, const struct odin_import *imp, int force,
    unsigned *nbackup);
/* Every user with a record (cb as odin_store_list). */
int raised_list(struct cli *c, int (*cb)(const char *, void *), void *ctx);
/* admin db-init: creates the files store, or the database schema. */
int raised_db_init(struct cli *c, int *created_what);
/* admin migrate: copies every record into the store of to_cfg; *n counts them. */
int raised_migrate(struct cli *c, const struct odin_config *to_cfg, unsigned *n);
/* The helpdesk's transactions (account.h): bypass codes and enrollment tokens. */
int raised_bypass_issue(struct cli *c, const char *user, int64_t ttl, unsigned uses,
    char shown[ODIN_ONETIME_SHOWN_MAX], int *replaced);
int raised_bypass_revoke(struct cli *c, const char *user, int *had);
int raised_token_check(struct cli *c, const char *user, const char *input, struct odin_attempt *a,
    struct odin_token_spent *spent);

/* ---- user_verbs.c and admin_verbs.c ---------------------------------------- */

int cmd_enroll(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_backup_codes(struct cli *c, int argc, char **argv);
int cmd_admin(struct cli *c, int argc, char **argv);
/* admin_common.c: the names of every record (raised_list's callback cli_collect: ctx a cli_names) */
struct cli_names {
	char **v;
	size_t n, cap;
	int oom;
};
#define CLI_LIST_MAX	100000
int cli_collect(const char *user, void *ctx);
void cli_names_sort(struct cli_names *nm);
void cli_names_free(struct cli_names *nm);
/* admin_common.c: config and permission; that plus USER and the store (what every admin verb does first); a change's syslog line */
int cli_admin_check(struct cli *c, const char *verb);
int cli_admin_begin(struct cli *c, const char *verb, const char *user, enum admin_who who);
void cli_admin_log(struct cli *c, const char *action, const char *user, const char *result);
/* admin_common.c: "90", "90s", "30m", "12h", "3d": seconds in *out (1..max); ODIN_OK or ODIN_EINVAL. */
int cli_parse_duration(const char *s, int64_t max, int64_t *out);
/* helpdesk_verbs.c: admin bypass and admin report */
int cmd_admin_bypass(struct cli *c, int argc, char **argv);
int cmd_admin_report(struct cli *c, int argc, char **argv);
/* doctor.c: `check`, the administrator's doctor (root only; reads, never writes). */
int cmd_check(struct cli *c, int argc, char **argv);
/* Prints an account's state (off / pending / enabled, codes left, lockout). */
void cli_print_status(const char *user, int rc, const struct odin_account_info *info);

#endif
