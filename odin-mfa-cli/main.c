/* SPDX-License-Identifier: ISC */
/*
 * odin-mfa-cli: self-enrollment and administration of odin-mfa.
 *
 * Installed setuid root (like passwd) so that a user can enroll into the
 * root-owned store.  privs.c drops to the caller's uid before anything
 * else happens and raises only around store and config access (the st_*
 * wrappers below); files named by the caller are opened with the caller's
 * own privileges.  The caller is the real uid, nothing else.
 *
 * Exit status: 0 done; 1 refused (wrong code, not permitted, locked out,
 * cancelled, nothing to do); 2 usage or configuration error; 3 store or
 * system error.  Nothing in the store changes unless the exit status is 0.
 */
#include "autoconfig.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "backup.h"
#include "base32.h"
#include "config.h"
#include "err.h"
#include "import.h"
#include "log.h"
#include "otp.h"
#include "qr.h"
#include "qr_image.h"
#include "record.h"
#include "secure.h"
#include "store.h"
#include "privs.h"

#define EXIT_DONE	0
#define EXIT_REFUSED	1
#define EXIT_USAGE	2
#define EXIT_SYSTEM	3

#define CLI_TRIES	3
#define CLI_LINE_MAX	64
#define CLI_IMPORT_MAX	(64 * 1024)
#define CLI_LIST_MAX	100000

struct cli {
	struct priv_caller who;
	struct odin_config cfg;
	const char *config_path;	/* --config, NULL if not given */
	struct odin_store *st;
};

/* What enroll saw before asking for the code; the save is refused if it changed. */
struct cli_snapshot {
	int exists;
	enum odin_state state;
	int64_t created;
	size_t secret_len;
	uint8_t secret[ODIN_SECRET_MAX];
};

static volatile sig_atomic_t cli_interrupted;
static char cli_outbuf[4096];	/* stdout's buffer: wiped at exit, it held secrets */

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
"       odin-mfa-cli --help | --version\n";

static const char cli_exit_text[] =
"Exit status: 0 done; 1 refused (wrong code, not permitted, locked out,\n"
"cancelled, nothing to do); 2 usage or configuration error; 3 store or\n"
"system error.  --config is refused when the program runs setuid.\n";

/* ---- output ------------------------------------------------------------ */

static void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("odin-mfa-cli: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A user-supplied string made safe for a terminal or a log line. */
static const char *
cli_safe(const char *s, char *buf, size_t bufsz)
{
	return odin_log_sanitise(s, buf, bufsz);
}

static void
cli_log_sink(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	syslog(LOG_AUTHPRIV | (prio & LOG_PRIMASK), "%s", msg);
}

/* Detail from common/'s last warning, for a one-line error. */
static const char *
cli_detail(int rc)
{
	const char *d = odin_log_last();

	return d[0] != '\0' ? d : odin_strerror(rc);
}

static void
cli_clear_detail(void)
{
	odin_log_set_sink(cli_log_sink, NULL);
}

static void
cli_exit_wipe(void)
{
	fflush(stdout);
	odin_wipe(cli_outbuf, sizeof(cli_outbuf));
}

static void
cli_fmt_time(int64_t t, char *buf, size_t bufsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, bufsz, "%s", t <= 0 ? "never" : "?");
}

/* ---- signals and terminal input ---------------------------------------- */

static void
cli_on_signal(int sig)
{
	(void)sig;
	cli_interrupted = 1;
}

static const int cli_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void
cli_signals_init(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_on_signal;	/* no SA_RESTART: a read() returns EINTR */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(cli_sigs) / sizeof(cli_sigs[0]); i++)
		(void)sigaction(cli_sigs[i], &sa, NULL);
}

/* Blocks (1) or unblocks (0) the interrupting signals around a store transaction. */
static void
cli_signals_block(int block, sigset_t *old)
{
	sigset_t set;
	size_t i;

	if (!block) {
		(void)sigprocmask(SIG_SETMASK, old, NULL);
		return;
	}
	sigemptyset(&set);
	for (i = 0; i < sizeof(cli_sigs) / sizeof(cli_sigs[0]); i++)
		sigaddset(&set, cli_sigs[i]);
	(void)sigprocmask(SIG_BLOCK, &set, old);
}

/*
 * Reads one line from standard input into buf (bounded; an over-long line
 * comes back empty, i.e. invalid).  Returns 1 for a line, 0 for EOF, -1
 * if interrupted or on a read error.
 */
static int
cli_read_line(char *buf, size_t bufsz)
{
	size_t n = 0;
	int over = 0, got = 0;

	for (;;) {
		char ch;
		ssize_t r;

		if (cli_interrupted)
			goto fail;
		r = read(STDIN_FILENO, &ch, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0) {
			if (!got)
				return 0;
			break;
		}
		got = 1;
		if (ch == '\n')
			break;
		if (ch == '\r')
			continue;
		if (n + 1 < bufsz)
			buf[n++] = ch;
		else
			over = 1;
		ch = 0;
	}
	if (over)
		n = 0;
	buf[n] = '\0';
	return 1;
fail:
	odin_wipe(buf, bufsz);
	buf[0] = '\0';
	return -1;
}

static void
cli_prompt(const char *text)
{
	fputs(text, stdout);
	fflush(stdout);
}

/* ---- store access: the only places the effective uid is raised ----------- */

static int
st_open(struct cli *c)
{
	int rc;

	if (priv_raise() != 0) {
		cli_err("the store needs root: odin-mfa-cli must be installed setuid root");
		return EXIT_SYSTEM;
	}
	cli_clear_detail();
	rc = odin_store_open_config(&c->cfg, &c->st);
	priv_lower();
	if (rc != ODIN_OK) {
		char s[ODIN_PATH_MAX * 4];

		cli_err("store %s: %s", cli_safe(c->cfg.store_dir, s, sizeof(s)), cli_detail(rc));
		c->st = NULL;
		return EXIT_SYSTEM;
	}
	return EXIT_DONE;
}

static int
st_lock(struct cli *c, const char *user, int flags, struct odin_txn **txn, struct odin_record *rec)
{
	int rc;

	if (priv_raise() != 0)
		return ODIN_EPERM;
	cli_clear_detail();
	rc = odin_store_lock(c->st, user, flags, txn, rec);
	priv_lower();
	return rc;
}

static int
st_save(struct odin_txn *txn, const struct odin_record *rec)
{
	int rc;

	if (priv_raise() != 0)
		return ODIN_EPERM;
	rc = odin_store_save(txn, rec);
	priv_lower();
	return rc;
}

static int
st_delete(struct odin_txn *txn)
{
	int rc;

	if (priv_raise() != 0)
		return ODIN_EPERM;
	rc = odin_store_delete(txn);
	priv_lower();
	return rc;
}

static void
st_unlock(struct odin_txn *txn)
{
	if (txn == NULL)
		return;
	if (priv_raise() != 0) {
		/* Cannot happen after a successful lock; the lock dies with us. */
		return;
	}
	odin_store_unlock(txn);
	priv_lower();
}

static int
st_list(struct cli *c, int (*cb)(const char *, void *), void *ctx)
{
	int rc;

	if (priv_raise() != 0)
		return ODIN_EPERM;
	cli_clear_detail();
	rc = odin_store_list(c->st, cb, ctx);
	priv_lower();
	return rc;
}

static void
st_close(struct cli *c)
{
	if (c->st == NULL)
		return;
	if (priv_raise() == 0) {
		odin_store_close(c->st);
		priv_lower();
	}
	c->st = NULL;
}

static int
cli_store_error(const char *user, int rc)
{
	cli_err("%s: store error: %s", user, cli_detail(rc));
	return EXIT_SYSTEM;
}

/* Loads user's record without keeping the lock.  Returns ODIN_OK, ODIN_ENOENT or an error. */
static int
cli_peek(struct cli *c, const char *user, struct odin_record *rec)
{
	struct odin_txn *txn = NULL;
	int rc;

	rc = st_lock(c, user, ODIN_LOCK_IF_EXISTS, &txn, rec);
	if (rc == ODIN_OK)
		st_unlock(txn);
	return rc;
}

/* ---- config --------------------------------------------------------------- */

static int
cli_load_config(struct cli *c)
{
	const char *path = c->config_path != NULL ? c->config_path : ODIN_CONFIG_PATH;
	char s[ODIN_PATH_MAX * 4];
	int rc, raised = 0;

	odin_config_defaults(&c->cfg);
	if (c->config_path != NULL && c->who.elevated) {
		cli_err("--config is refused when running setuid: only the compiled-in %s is used",
		    ODIN_CONFIG_PATH);
		return EXIT_USAGE;
	}
	/* The default config may be root-only; a chosen one is read as the caller. */
	if (c->config_path == NULL && priv_raise() == 0)
		raised = 1;
	cli_clear_detail();
	rc = odin_config_load(path, &c->cfg);
	if (raised)
		priv_lower();
	cli_safe(path, s, sizeof(s));
	switch (rc) {
	case ODIN_OK:
		return EXIT_DONE;
	case ODIN_ENOENT:
		if (c->config_path == NULL)
			return EXIT_DONE;	/* no file: compiled-in defaults */
		cli_err("%s: no such file", s);
		return EXIT_USAGE;
	case ODIN_EUNSAFE:
		cli_err("%s: not trusted (must be a regular file owned by root, not group/other-writable)", s);
		return EXIT_USAGE;
	default:
		cli_err("%s: %s", s, cli_detail(rc));
		return EXIT_USAGE;
	}
}

/* ---- verifying codes -------------------------------------------------- */

/* Says, without ever showing a code, that the device clock looks off by seconds. */
static void
cli_say_skew(int64_t seconds)
{
	printf("That code would be right if your device's clock were %lld seconds %s.\n"
	    "Check the time on your device (automatic time is best).\n",
	    (long long)(seconds < 0 ? -seconds : seconds), seconds < 0 ? "later" : "earlier");
}

/*
 * Checks typed input against an enabled record under its lock and updates
 * it (odin_auth_check: the same decision and bookkeeping as the module).
 * Says, without ever showing a code, whether the device clock looks off.
 * Returns ODIN_OK, ODIN_ENOMATCH, ODIN_EREPLAY or an error.  The caller
 * saves r either way.
 */
static int
cli_verify_record(struct cli *c, struct odin_record *r, const char *typed, int64_t now, const char **method)
{
	struct odin_auth_result res;
	int rc;

	rc = odin_auth_check(&c->cfg, r, typed, now, &res);
	*method = res.method == ODIN_AUTH_NONE ? "invalid" : odin_auth_method_name(res.method);
	if (res.skew)
		cli_say_skew(res.skew_seconds);
	return rc;
}

/*
 * Asks an enabled user for a current code or a backup code (3 tries).
 * Each try is verified and recorded under the record's lock.  If newset
 * is not NULL its backup codes replace the record's in the same
 * transaction as the successful check.  Returns an exit status.
 */
static int
cli_reauth(struct cli *c, const char *user, const struct odin_record *newset)
{
	char line[CLI_LINE_MAX];
	struct odin_record r;
	int tries, ret = EXIT_REFUSED;

	for (tries = 0; tries < CLI_TRIES; tries++) {
		struct odin_txn *txn = NULL;
		const char *method = "";
		int64_t now;
		sigset_t old;
		int rc, got;

		cli_prompt("Verification code (or a backup code): ");
		got = cli_read_line(line, sizeof(line));
		if (got <= 0) {
			fputc('\n', stdout);
			cli_err(got == 0 ? "no code given; nothing changed" : "interrupted; nothing changed");
			goto out;
		}
		cli_signals_block(1, &old);
		rc = st_lock(c, user, ODIN_LOCK_IF_EXISTS, &txn, &r);
		if (rc != ODIN_OK) {
			cli_signals_block(0, &old);
			if (rc == ODIN_ENOENT) {
				cli_err("MFA is no longer set up for %s; nothing changed", user);
				goto out;
			}
			ret = cli_store_error(user, rc);
			goto out;
		}
		now = (int64_t)time(NULL);
		if (r.state != ODIN_STATE_ENABLED) {
			st_unlock(txn);
			cli_signals_block(0, &old);
			cli_err("MFA for %s is no longer enabled; nothing changed", user);
			goto out;
		}
		if (r.lockout_until > now) {
			char t[64];

			st_unlock(txn);
			cli_signals_block(0, &old);
			cli_fmt_time(r.lockout_until, t, sizeof(t));
			cli_err("%s is locked out after too many wrong codes until %s (an admin can run: odin-mfa-cli admin unlock %s)",
			    user, t, user);
			goto out;
		}
		rc = cli_verify_record(c, &r, line, now, &method);
		odin_wipe(line, sizeof(line));
		if (rc == ODIN_OK && newset != NULL) {
			r.backup_iter = newset->backup_iter;
			memcpy(r.backup_salt, newset->backup_salt, sizeof(r.backup_salt));
			r.nbackup = newset->nbackup;
			memcpy(r.backup, newset->backup, sizeof(r.backup));
		}
		if (rc == ODIN_OK || rc == ODIN_ENOMATCH || rc == ODIN_EREPLAY) {
			int src = st_save(txn, &r);

			if (src != ODIN_OK) {
				st_unlock(txn);
				cli_signals_block(0, &old);
				ret = cli_store_error(user, src);
				goto out;
			}
		}
		st_unlock(txn);
		cli_signals_block(0, &old);
		if (rc == ODIN_OK) {
			syslog(LOG_AUTHPRIV | LOG_INFO, "user %s confirmed with a %s code", user, method);
			ret = EXIT_DONE;
			goto out;
		}
		if (rc == ODIN_EREPLAY)
			printf("That code was already used; wait for the next one.\n");
		else if (rc == ODIN_ENOMATCH)
			printf("Code not accepted.\n");
		else {
			ret = cli_store_error(user, rc);
			goto out;
		}
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "user %s: wrong code when confirming", user);
		if (r.lockout_until > now) {
			cli_err("too many wrong codes: %s is locked out for a while", user);
			goto out;
		}
	}
	cli_err("%d wrong codes; nothing changed", CLI_TRIES);
out:
	odin_wipe(line, sizeof(line));
	odin_record_wipe(&r);
	return ret;
}

/* ---- verb option parsing ---------------------------------------------- */

enum { OPT_HELP = 'h', OPT_CONFIG = 0x100, OPT_QR, OPT_QR_PNG, OPT_QR_SVG, OPT_RESET, OPT_JSON, OPT_FORCE };

/*
 * getopt_long over a verb's arguments; --help and --config are accepted by
 * every verb.  Returns the option, -1 at the end, '?' on error (reported).
 */
static int
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

static void
cli_reset_getopt(void)
{
	optind = 0;	/* glibc: full re-initialisation for the next vector */
	opterr = 1;
}

static int
cli_verb_usage(const char *lines, int ok)
{
	FILE *f = ok ? stdout : stderr;

	fprintf(f, "usage: %s", lines);
	if (ok)
		fputs(cli_exit_text, f);
	return ok ? EXIT_DONE : EXIT_USAGE;
}

/* ---- shared output ------------------------------------------------------ */

static void
cli_print_status(const char *user, int rc, const struct odin_record *r)
{
	char t[64];
	int64_t now = (int64_t)time(NULL);

	printf("user:          %s\n", user);
	if (rc == ODIN_ENOENT) {
		printf("MFA:           off\n");
		return;
	}
	printf("MFA:           %s\n", odin_state_name(r->state));
	if (r->state == ODIN_STATE_PENDING) {
		printf("               (the next login, or odin-mfa-cli enroll, sets it up)\n");
	} else {
		cli_fmt_time(r->created, t, sizeof(t));
		printf("enrolled:      %s\n", t);
		printf("backup codes:  %u left\n", r->nbackup);
		cli_fmt_time(r->last_step > 0 ? r->last_step * (int64_t)r->period : 0, t, sizeof(t));
		printf("last code:     %s\n", t);
	}
	if (r->lockout_until > now) {
		cli_fmt_time(r->lockout_until, t, sizeof(t));
		printf("locked:        until %s\n", t);
	} else {
		printf("locked:        no (%u recent failure%s)\n", r->failures, r->failures == 1 ? "" : "s");
	}
}

static void
cli_print_backup_codes(const struct odin_backup_code *codes, unsigned n)
{
	unsigned i;

	printf("\nYour backup codes (each works once, instead of a code from your app):\n\n");
	for (i = 0; i < n; i++)
		printf("    %s%s", codes[i].s, i % 2 == 1 || i + 1 == n ? "\n" : "    ");
	printf("\nThey are shown only this once.  Print them or write them down and keep them\n"
	    "somewhere safe, away from the device with your authenticator app.  Anyone\n"
	    "with your password and one of these codes can log in as you.  When you run\n"
	    "low, get a new set with: odin-mfa-cli backup-codes\n");
}

/* ---- enroll ------------------------------------------------------------ */

static int
cli_open_output(const char *path)
{
	/*
	 * Runs with the caller's uid (privileges are raised only inside st_*).
	 * O_EXCL: never overwrite, never follow a symlink or write through a
	 * hard link someone planted; the file holds the secret, hence 0600.
	 */
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static int
cli_write_qr_file(const char *path, const char *uri, int svg)
{
	char s[PATH_MAX];
	int fd, rc;

	cli_safe(path, s, sizeof(s));
	fd = cli_open_output(path);
	if (fd < 0) {
		cli_err("%s: %s", s, strerror(errno));
		return EXIT_SYSTEM;
	}
	rc = svg ? odin_qr_svg(uri, fd) : odin_qr_png(uri, fd);
	if (rc == ODIN_OK && fsync(fd) != 0)
		rc = ODIN_EIO;
	if (close(fd) != 0 && rc == ODIN_OK)
		rc = ODIN_EIO;
	if (rc != ODIN_OK) {
		(void)unlink(path);
		cli_err("%s: cannot write the QR code: %s", s, odin_strerror(rc));
		return EXIT_SYSTEM;
	}
	return EXIT_DONE;
}

static void
cli_snapshot_take(struct cli_snapshot *s, int rc, const struct odin_record *r)
{
	memset(s, 0, sizeof(*s));
	s->exists = (rc == ODIN_OK);
	if (!s->exists)
		return;
	s->state = r->state;
	s->created = r->created;
	s->secret_len = r->secret_len;
	memcpy(s->secret, r->secret, r->secret_len);
}

static int
cli_snapshot_same(const struct cli_snapshot *s, int rc, const struct odin_record *r)
{
	if (!s->exists)
		return rc == ODIN_ENOENT;
	return rc == ODIN_OK && r->state == s->state && r->created == s->created &&
	    r->secret_len == s->secret_len && odin_ct_equal(r->secret, s->secret, s->secret_len);
}

static int
cmd_enroll(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli enroll [--qr=utf8|ansi|none] [--qr-png FILE] [--qr-svg FILE]\n"
	    "Sets up MFA for you: a new secret shown as a QR code, URI and key; confirm\n"
	    "with a code from your app; then your backup codes are shown once.\n"
	    "--qr-png/--qr-svg write a new file (it must not exist) with your own permissions.\n";
	static const struct option opts[] = {
		{ "qr", required_argument, NULL, OPT_QR },
		{ "qr-png", required_argument, NULL, OPT_QR_PNG },
		{ "qr-svg", required_argument, NULL, OPT_QR_SVG },
	};
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	struct odin_record r, nr;
	struct cli_snapshot snap;
	struct odin_totp_params p = { ODIN_ALG_SHA1, 6, 30, 0 };
	struct odin_txn *txn = NULL;
	uint8_t secret[ODIN_SECRET_DEFAULT];
	char key[ODIN_SECRET_DEFAULT * 2 + 16], line[CLI_LINE_MAX], norm[CLI_LINE_MAX];
	char host[256], account[128];
	const char *png = NULL, *svg = NULL, *arg, *user = c->who.name;
	char **qr = NULL, *uri = NULL;
	size_t nqr = 0, i;
	int style = ODIN_QR_UTF8, ret = EXIT_SYSTEM, ch, rc, tries, accepted = 0;
	int64_t step = 0, now;
	sigset_t old;

	memset(codes, 0, sizeof(codes));
	memset(&r, 0, sizeof(r));
	memset(&nr, 0, sizeof(nr));
	memset(&snap, 0, sizeof(snap));
	memset(line, 0, sizeof(line));
	memset(norm, 0, sizeof(norm));
	memset(key, 0, sizeof(key));
	memset(secret, 0, sizeof(secret));
	while ((ch = cli_getopt(c, argc, argv, opts, 3, &arg)) != -1) {
		switch (ch) {
		case OPT_HELP:
			return cli_verb_usage(usage, 1);
		case OPT_QR:
			if (strcmp(arg, "utf8") == 0)
				style = ODIN_QR_UTF8;
			else if (strcmp(arg, "ansi") == 0)
				style = ODIN_QR_ANSI;
			else if (strcmp(arg, "none") == 0)
				style = -1;
			else {
				cli_err("--qr: expected utf8, ansi or none");
				return EXIT_USAGE;
			}
			break;
		case OPT_QR_PNG:
			png = arg;
			break;
		case OPT_QR_SVG:
			svg = arg;
			break;
		default:
			return cli_verb_usage(usage, 0);
		}
	}
	if (optind != argc) {
		cli_err("enroll takes no arguments (it always enrolls you, %s)", user);
		return EXIT_USAGE;
	}
	if ((ret = cli_load_config(c)) != EXIT_DONE)
		return ret;
	if (!odin_user_valid(user)) {
		cli_err("your user name cannot be used with odin-mfa");
		return EXIT_REFUSED;
	}
	p.window = c->cfg.window;
	if ((ret = st_open(c)) != EXIT_DONE)
		return ret;
	ret = EXIT_SYSTEM;

	rc = cli_peek(c, user, &r);
	if (rc != ODIN_OK && rc != ODIN_ENOENT) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	if (rc == ODIN_OK && r.state == ODIN_STATE_ENABLED) {
		printf("MFA is already enabled for %s.  Enrolling again replaces your\n"
		    "authenticator secret and your backup codes.  First confirm it is you.\n", user);
		if ((ret = cli_reauth(c, user, NULL)) != EXIT_DONE)
			goto out;
		ret = EXIT_SYSTEM;
		rc = cli_peek(c, user, &r);
		if (rc != ODIN_OK && rc != ODIN_ENOENT) {
			ret = cli_store_error(user, rc);
			goto out;
		}
	}
	cli_snapshot_take(&snap, rc, &r);
	odin_record_wipe(&r);
	/* Hold nothing of root's while the caller is shown things and types. */
	st_close(c);

	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if ((size_t)snprintf(account, sizeof(account), "%s@%s", user, host) >= sizeof(account)) {
		cli_err("user@hostname is too long for an authenticator label");
		goto out;
	}
	if ((rc = odin_random(secret, sizeof(secret))) != ODIN_OK ||
	    (rc = odin_otpauth_uri(c->cfg.issuer, account, secret, sizeof(secret),
	        ODIN_ALG_SHA1, 6, 30, &uri)) != ODIN_OK ||
	    (rc = odin_base32_grouped(secret, sizeof(secret), key, sizeof(key))) != ODIN_OK) {
		cli_err("cannot create a secret: %s", odin_strerror(rc));
		goto out;
	}
	if (png != NULL && (ret = cli_write_qr_file(png, uri, 0)) != EXIT_DONE)
		goto out;
	if (svg != NULL && (ret = cli_write_qr_file(svg, uri, 1)) != EXIT_DONE)
		goto out;
	ret = EXIT_SYSTEM;
	if (style >= 0) {
		if ((rc = odin_qr_text(uri, (enum odin_qr_style)style, &qr, &nqr)) != ODIN_OK) {
			cli_err("cannot render the QR code: %s", odin_strerror(rc));
			goto out;
		}
		printf("Scan this QR code with your authenticator app:\n\n");
		for (i = 0; i < nqr; i++)
			printf("%s\n", qr[i]);
		printf("\n");
	}
	printf("Or open this link on the device with the app:\n%s\n\n", uri);
	printf("Or enter this key by hand (time-based, SHA1, 6 digits, 30 seconds):\n%s\n\n", key);
	fflush(stdout);
	odin_free_str(uri);
	uri = NULL;
	odin_wipe(key, sizeof(key));

	for (tries = 0; tries < CLI_TRIES && !accepted; tries++) {
		int got;

		cli_prompt("Enter the 6-digit code from your app to confirm: ");
		got = cli_read_line(line, sizeof(line));
		if (got <= 0) {
			fputc('\n', stdout);
			cli_err("enrollment cancelled; nothing was stored");
			ret = EXIT_REFUSED;
			goto out;
		}
		now = (int64_t)time(NULL);
		if (odin_input_classify(line, 6, norm, sizeof(norm)) != ODIN_INPUT_TOTP) {
			printf("That is not a 6-digit code.\n");
			continue;
		}
		rc = odin_totp_verify(&p, secret, sizeof(secret), norm, now, 0, &step);
		if (rc == ODIN_OK) {
			accepted = 1;
		} else {
			int64_t off;

			printf("Code not accepted.\n");
			if (c->cfg.skew_steps > 0 && odin_totp_find_skew(&p, secret, sizeof(secret),
			    norm, now, c->cfg.skew_steps, &off) == ODIN_OK)
				cli_say_skew(off * (int64_t)p.period);
		}
		odin_wipe(line, sizeof(line));
		odin_wipe(norm, sizeof(norm));
	}
	if (!accepted) {
		cli_err("%d wrong codes; enrollment cancelled, nothing was stored", CLI_TRIES);
		ret = EXIT_REFUSED;
		goto out;
	}

	now = (int64_t)time(NULL);
	odin_record_init(&nr, now);
	nr.state = ODIN_STATE_ENABLED;
	memcpy(nr.secret, secret, sizeof(secret));
	nr.secret_len = sizeof(secret);
	nr.last_step = step;
	if ((rc = odin_backup_generate(&nr, c->cfg.backup_codes, codes)) != ODIN_OK) {
		cli_err("cannot create backup codes: %s; nothing was stored", odin_strerror(rc));
		goto out;
	}

	if ((ret = st_open(c)) != EXIT_DONE)
		goto out;
	ret = EXIT_SYSTEM;
	/* Once the code is confirmed an interrupt no longer cancels: finish and show the codes. */
	cli_signals_block(1, &old);
	rc = st_lock(c, user, 0, &txn, &r);
	if (rc != ODIN_OK && rc != ODIN_ENOENT) {
		cli_signals_block(0, &old);
		ret = cli_store_error(user, rc);
		goto out;
	}
	if (!cli_snapshot_same(&snap, rc, &r)) {
		st_unlock(txn);
		cli_signals_block(0, &old);
		cli_err("your MFA record changed while you were enrolling (an admin or another session); nothing was stored, run enroll again");
		ret = EXIT_REFUSED;
		goto out;
	}
	rc = st_save(txn, &nr);
	st_unlock(txn);
	txn = NULL;
	if (rc != ODIN_OK) {
		cli_signals_block(0, &old);
		ret = cli_store_error(user, rc);
		goto out;
	}
	st_close(c);
	priv_drop_forever();
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "user %s (uid %lu) enrolled: MFA enabled",
	    user, (unsigned long)c->who.uid);
	printf("\nCode accepted: MFA is now enabled for %s.\n", user);
	cli_print_backup_codes(codes, c->cfg.backup_codes);
	fflush(stdout);
	cli_signals_block(0, &old);
	ret = EXIT_DONE;
out:
	if (qr != NULL)
		odin_qr_lines_free(qr, nqr);
	odin_free_str(uri);
	odin_wipe(secret, sizeof(secret));
	odin_wipe(key, sizeof(key));
	odin_wipe(line, sizeof(line));
	odin_wipe(norm, sizeof(norm));
	odin_wipe(codes, sizeof(codes));
	odin_wipe(&snap, sizeof(snap));
	odin_record_wipe(&r);
	odin_record_wipe(&nr);
	st_close(c);
	return ret;
}

/* ---- status, backup-codes ------------------------------------------------ */

static int
cmd_status(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "odin-mfa-cli status\nShows whether MFA is off, pending or enabled for you.\n";
	struct odin_record r;
	const char *arg;
	int ch, rc, ret;

	while ((ch = cli_getopt(c, argc, argv, NULL, 0, &arg)) != -1)
		return cli_verb_usage(usage, ch == OPT_HELP);
	if (optind != argc)
		return cli_verb_usage(usage, 0);
	if ((ret = cli_load_config(c)) != EXIT_DONE)
		return ret;
	if (!odin_user_valid(c->who.name)) {
		printf("user:          (not usable with odin-mfa)\nMFA:           off\n");
		return EXIT_DONE;
	}
	if ((ret = st_open(c)) != EXIT_DONE)
		return ret;
	rc = cli_peek(c, c->who.name, &r);
	st_close(c);
	priv_drop_forever();
	if (rc != ODIN_OK && rc != ODIN_ENOENT)
		ret = cli_store_error(c->who.name, rc);
	else
		cli_print_status(c->who.name, rc, &r);
	odin_record_wipe(&r);
	return ret;
}

static int
cmd_backup_codes(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli backup-codes\n"
	    "Asks for a current code (or a backup code), replaces all your backup codes\n"
	    "and shows the new set once.\n";
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	struct odin_record r, set;
	const char *arg, *user = c->who.name;
	int ch, rc, ret;

	while ((ch = cli_getopt(c, argc, argv, NULL, 0, &arg)) != -1)
		return cli_verb_usage(usage, ch == OPT_HELP);
	if (optind != argc)
		return cli_verb_usage(usage, 0);
	if ((ret = cli_load_config(c)) != EXIT_DONE)
		return ret;
	if (!odin_user_valid(user)) {
		cli_err("MFA is not enabled for you");
		return EXIT_REFUSED;
	}
	if ((ret = st_open(c)) != EXIT_DONE)
		return ret;
	memset(codes, 0, sizeof(codes));
	odin_record_init(&set, 0);
	rc = cli_peek(c, user, &r);
	if (rc != ODIN_OK && rc != ODIN_ENOENT) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	if (rc == ODIN_ENOENT || r.state != ODIN_STATE_ENABLED) {
		cli_err("MFA is not enabled for %s; run: odin-mfa-cli enroll", user);
		ret = EXIT_REFUSED;
		goto out;
	}
	/* The new set is hashed before the prompt so that the lock is held briefly. */
	if ((rc = odin_backup_generate(&set, c->cfg.backup_codes, codes)) != ODIN_OK) {
		cli_err("cannot create backup codes: %s", odin_strerror(rc));
		ret = EXIT_SYSTEM;
		goto out;
	}
	if ((ret = cli_reauth(c, user, &set)) != EXIT_DONE)
		goto out;
	st_close(c);
	priv_drop_forever();
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "user %s (uid %lu) replaced the backup codes",
	    user, (unsigned long)c->who.uid);
	printf("Your old backup codes no longer work.\n");
	cli_print_backup_codes(codes, c->cfg.backup_codes);
	fflush(stdout);
out:
	odin_wipe(codes, sizeof(codes));
	odin_record_wipe(&r);
	odin_record_wipe(&set);
	st_close(c);
	return ret;
}

/* ---- admin --------------------------------------------------------------- */

static void
cli_admin_log(struct cli *c, const char *action, const char *user, const char *result)
{
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "admin %s (uid %lu): %s %s: %s",
	    c->who.name, (unsigned long)c->who.uid, action, user, result);
}

/* Common admin preamble: config, permission, store, user name.  Returns an exit status. */
static int
cli_admin_begin(struct cli *c, const char *verb, const char *user)
{
	char s[128];
	int ret;

	if ((ret = cli_load_config(c)) != EXIT_DONE)
		return ret;
	if (!priv_is_admin(&c->who, &c->cfg)) {
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "refused: %s (uid %lu) is not an admin (admin %s)",
		    c->who.name, (unsigned long)c->who.uid, verb);
		if (c->cfg.admin_group[0] != '\0')
			cli_err("admin commands need root or membership of group %s",
			    cli_safe(c->cfg.admin_group, s, sizeof(s)));
		else
			cli_err("admin commands need root");
		return EXIT_REFUSED;
	}
	if (user != NULL && !odin_user_valid(user)) {
		cli_err("%s: not a valid user name", cli_safe(user, s, sizeof(s)));
		return EXIT_USAGE;
	}
	return st_open(c);
}

/* Parses "admin VERB [--flag] USER"; returns an exit status, or -1 to go on. */
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
	    "odin-mfa-cli admin force-enable [--reset] USER\n"
	    "Makes MFA pending for USER: they set it up at their next login (or with enroll).\n"
	    "An enabled user stays enabled unless --reset (new secret and backup codes needed).\n";
	static const struct option reset = { "reset", no_argument, NULL, OPT_RESET };
	struct odin_txn *txn = NULL;
	struct odin_record r;
	const char *user;
	int do_reset = 0, ret, rc;

	if ((ret = cli_admin_args(c, argc, argv, usage, &reset, &do_reset, 1, &user)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "force-enable", user)) != EXIT_DONE)
		return ret;
	if (getpwnam(user) == NULL) {
		cli_err("%s: no such user", user);
		ret = EXIT_REFUSED;
		goto out;
	}
	rc = st_lock(c, user, 0, &txn, &r);
	if (rc != ODIN_OK && rc != ODIN_ENOENT) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	if (rc == ODIN_OK && r.state == ODIN_STATE_PENDING) {
		printf("%s: already pending; nothing changed\n", user);
		ret = EXIT_DONE;
		goto out;
	}
	if (rc == ODIN_OK && r.state == ODIN_STATE_ENABLED && !do_reset) {
		printf("%s: already enabled; nothing changed (use --reset to make them enroll again)\n", user);
		ret = EXIT_DONE;
		goto out;
	}
	odin_record_wipe(&r);
	odin_record_init(&r, (int64_t)time(NULL));
	if ((rc = st_save(txn, &r)) != ODIN_OK) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	cli_admin_log(c, do_reset ? "force-enable --reset" : "force-enable", user, "pending");
	printf("%s: MFA pending; they will set it up at their next login or with odin-mfa-cli enroll\n", user);
	ret = EXIT_DONE;
out:
	st_unlock(txn);
	odin_record_wipe(&r);
	st_close(c);
	return ret;
}

static int
cmd_admin_disable(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin disable USER\n"
	    "Removes USER's record (secret and backup codes): password-only logins again.\n"
	    "A corrupt record, or one whose secret does not decrypt, is removed too.\n";
	struct odin_txn *txn = NULL;
	struct odin_record r;
	const char *user;
	int ret, rc, unusable;

	memset(&r, 0, sizeof(r));
	if ((ret = cli_admin_args(c, argc, argv, usage, NULL, NULL, 1, &user)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "disable", user)) != EXIT_DONE)
		return ret;
	/* A record that does not parse or open can still be removed: that is the recovery path. */
	rc = st_lock(c, user, ODIN_LOCK_IF_EXISTS | ODIN_LOCK_EVEN_CORRUPT, &txn, &r);
	if (rc == ODIN_ENOENT) {
		cli_err("%s: MFA is not set up; nothing changed", user);
		ret = EXIT_REFUSED;
		goto out;
	}
	if (txn == NULL) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	unusable = rc != ODIN_OK;
	if ((rc = st_delete(txn)) != ODIN_OK) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	cli_admin_log(c, "disable", user, unusable ? "unreadable record removed" : "record removed");
	printf("%s: MFA disabled; %s\n", user, unusable ?
	    "the unreadable record was removed" : "secret and backup codes removed");
	ret = EXIT_DONE;
out:
	st_unlock(txn);
	odin_record_wipe(&r);
	st_close(c);
	return ret;
}

static int
cmd_admin_unlock(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin unlock USER\nClears USER's failure count and lockout.\n";
	struct odin_txn *txn = NULL;
	struct odin_record r;
	const char *user;
	int ret, rc;

	memset(&r, 0, sizeof(r));
	if ((ret = cli_admin_args(c, argc, argv, usage, NULL, NULL, 1, &user)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "unlock", user)) != EXIT_DONE)
		return ret;
	rc = st_lock(c, user, ODIN_LOCK_IF_EXISTS, &txn, &r);
	if (rc == ODIN_ENOENT) {
		cli_err("%s: MFA is not set up; nothing changed", user);
		ret = EXIT_REFUSED;
		goto out;
	}
	if (rc != ODIN_OK) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	r.failures = 0;
	r.lockout_until = 0;
	r.lockout_count = 0;
	r.updated = (int64_t)time(NULL);
	if ((rc = st_save(txn, &r)) != ODIN_OK) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	cli_admin_log(c, "unlock", user, "failures and lockout cleared");
	printf("%s: unlocked\n", user);
	ret = EXIT_DONE;
out:
	st_unlock(txn);
	odin_record_wipe(&r);
	st_close(c);
	return ret;
}

static int
cmd_admin_status(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "odin-mfa-cli admin status USER\nShows USER's MFA state.\n";
	struct odin_record r;
	const char *user;
	int ret, rc;

	memset(&r, 0, sizeof(r));
	if ((ret = cli_admin_args(c, argc, argv, usage, NULL, NULL, 1, &user)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "status", user)) != EXIT_DONE)
		return ret;
	rc = cli_peek(c, user, &r);
	st_close(c);
	if (rc != ODIN_OK && rc != ODIN_ENOENT)
		ret = cli_store_error(user, rc);
	else
		cli_print_status(user, rc, &r);
	odin_record_wipe(&r);
	return ret;
}

struct cli_names {
	char **v;
	size_t n, cap;
	int oom;
};

static int
cli_collect(const char *user, void *ctx)
{
	struct cli_names *nm = ctx;

	if (nm->n >= CLI_LIST_MAX)
		return 1;
	if (nm->n == nm->cap) {
		size_t cap = nm->cap ? nm->cap * 2 : 64;
		char **v = realloc(nm->v, cap * sizeof(*v));

		if (v == NULL) {
			nm->oom = 1;
			return 1;
		}
		nm->v = v;
		nm->cap = cap;
	}
	if ((nm->v[nm->n] = strdup(user)) == NULL) {
		nm->oom = 1;
		return 1;
	}
	nm->n++;
	return 0;
}

static int
cli_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
cli_json_str(const char *s)
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
cmd_admin_list(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin list [--json]\n"
	    "Every user with a record: state, backup codes left, lockout, last code time.\n";
	static const struct option json = { "json", no_argument, NULL, OPT_JSON };
	struct cli_names nm = { NULL, 0, 0, 0 };
	struct odin_record r;
	const char *none;
	int as_json = 0, ret, rc;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	memset(&r, 0, sizeof(r));
	if ((ret = cli_admin_args(c, argc, argv, usage, &json, &as_json, 0, &none)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "list", NULL)) != EXIT_DONE)
		return ret;
	rc = st_list(c, cli_collect, &nm);
	if (rc != ODIN_OK || nm.oom) {
		ret = nm.oom ? (cli_err("out of memory"), EXIT_SYSTEM) : cli_store_error("list", rc);
		goto out;
	}
	if (nm.n > 1)
		qsort(nm.v, nm.n, sizeof(*nm.v), cli_cmp_names);
	if (as_json)
		printf("[");
	else
		printf("%-32s %-8s %-7s %-26s %s\n", "USER", "STATE", "BACKUP", "LOCKED UNTIL", "LAST CODE");
	for (i = 0; i < nm.n; i++) {
		char t1[64], t2[64];
		int locked;
		int64_t last;

		rc = cli_peek(c, nm.v[i], &r);
		if (rc == ODIN_ENOENT)
			continue;	/* removed meanwhile */
		locked = rc == ODIN_OK && r.lockout_until > now;
		last = rc == ODIN_OK && r.last_step > 0 ? r.last_step * (int64_t)r.period : 0;
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
				    odin_state_name(r.state), r.nbackup, locked ? "true" : "false",
				    (long long)(locked ? r.lockout_until : 0), r.failures,
				    (long long)last, (long long)r.created);
			}
		} else if (rc != ODIN_OK) {
			printf("%-32s %-8s %s\n", nm.v[i], "error", odin_strerror(rc));
		} else {
			if (locked)
				cli_fmt_time(r.lockout_until, t1, sizeof(t1));
			else
				snprintf(t1, sizeof(t1), "-");
			cli_fmt_time(last, t2, sizeof(t2));
			printf("%-32s %-8s %-7u %-26s %s\n", nm.v[i], odin_state_name(r.state),
			    r.nbackup, t1, t2);
		}
		odin_record_wipe(&r);
	}
	if (as_json)
		printf("%s]\n", nm.n > 0 ? "\n" : "");
	ret = EXIT_DONE;
out:
	for (i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	odin_record_wipe(&r);
	st_close(c);
	return ret;
}

/* Reads all of standard input (bounded) into a malloc'd buffer. */
static int
cli_read_stdin(char **out, size_t *outlen)
{
	size_t cap = CLI_IMPORT_MAX + 1, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return ODIN_ENOMEM;
	for (;;) {
		ssize_t r;

		if (cli_interrupted) {
			odin_free_wipe(buf, cap);
			return ODIN_EIO;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			odin_free_wipe(buf, cap);
			return ODIN_EIO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			odin_free_wipe(buf, cap);
			return ODIN_ETOOBIG;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return ODIN_OK;
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
	struct odin_import imp;
	struct odin_txn *txn = NULL;
	struct odin_record r, nr;
	const char *user, *why = NULL, *ptrs[ODIN_BACKUP_MAX];
	char *text = NULL;
	size_t len = 0;
	unsigned i;
	int do_force = 0, ret, rc;

	memset(&imp, 0, sizeof(imp));
	memset(&r, 0, sizeof(r));
	memset(&nr, 0, sizeof(nr));
	if ((ret = cli_admin_args(c, argc, argv, usage, &force, &do_force, 1, &user)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "import", user)) != EXIT_DONE)
		return ret;
	if (getpwnam(user) == NULL) {
		cli_err("%s: no such user", user);
		ret = EXIT_REFUSED;
		goto out;
	}
	if ((rc = cli_read_stdin(&text, &len)) != ODIN_OK) {
		cli_err("standard input: %s", rc == ODIN_ETOOBIG ? "larger than any secret file" : odin_strerror(rc));
		ret = EXIT_USAGE;
		goto out;
	}
	rc = odin_import_parse(text, len, user, &imp, &why);
	odin_free_wipe(text, len + 1);
	text = NULL;
	if (rc != ODIN_OK) {
		cli_err("cannot import: %s", why != NULL ? why : odin_strerror(rc));
		ret = EXIT_REFUSED;
		goto out;
	}
	odin_record_init(&nr, (int64_t)time(NULL));
	nr.state = ODIN_STATE_ENABLED;
	memcpy(nr.secret, imp.secret, imp.secret_len);
	nr.secret_len = imp.secret_len;
	nr.alg = imp.alg;
	nr.digits = imp.digits;
	nr.period = imp.period;
	if (imp.nscratch > 0) {
		for (i = 0; i < imp.nscratch && i < ODIN_BACKUP_MAX; i++)
			ptrs[i] = imp.scratch[i];
		if ((rc = odin_backup_set_plain(&nr, ptrs, i)) != ODIN_OK) {
			cli_err("cannot import the scratch codes: %s", odin_strerror(rc));
			ret = EXIT_REFUSED;
			goto out;
		}
	}
	rc = st_lock(c, user, 0, &txn, &r);
	if (rc != ODIN_OK && rc != ODIN_ENOENT) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	if (rc == ODIN_OK && r.state == ODIN_STATE_ENABLED && !do_force) {
		cli_err("%s: MFA is already enabled; nothing changed (--force replaces it)", user);
		ret = EXIT_REFUSED;
		goto out;
	}
	if ((rc = st_save(txn, &nr)) != ODIN_OK) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	cli_admin_log(c, "import", user, odin_import_kind_name(imp.kind));
	printf("%s: imported (%s, %s, %u digits, %u s); MFA enabled with %u backup code%s\n",
	    user, odin_import_kind_name(imp.kind), odin_alg_name(nr.alg), nr.digits, nr.period,
	    nr.nbackup, nr.nbackup == 1 ? "" : "s");
	ret = EXIT_DONE;
out:
	st_unlock(txn);
	if (text != NULL)
		odin_free_wipe(text, len + 1);
	odin_wipe(&imp, sizeof(imp));
	odin_wipe(ptrs, sizeof(ptrs));
	odin_record_wipe(&r);
	odin_record_wipe(&nr);
	st_close(c);
	return ret;
}

/* admin db-init: create or upgrade the database schema (postgresql backend). */
static int
cmd_admin_db_init(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "odin-mfa-cli admin db-init\n"
	    "Creates or upgrades the database schema (backend = postgresql).\n";
	const char *none;
	int ret, rc;

	if ((ret = cli_admin_args(c, argc, argv, usage, NULL, NULL, 0, &none)) >= 0)
		return ret;
	if ((ret = cli_admin_begin(c, "db-init", NULL)) != EXIT_DONE)
		return ret;
	if (priv_raise() != 0) {
		st_close(c);
		return EXIT_SYSTEM;
	}
	rc = odin_store_init(c->st);
	priv_lower();
	st_close(c);
	if (rc == ODIN_EPERM) {
		cli_err("db-init: the configured backend has no schema (backend = files)");
		return EXIT_USAGE;
	}
	if (rc != ODIN_OK)
		return cli_store_error("db-init", rc);
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "admin db-init (uid %lu): schema ready", (unsigned long)c->who.uid);
	printf("schema ready\n");
	return EXIT_DONE;
}

static void
cli_migrated(const char *user, void *ctx)
{
	(*(unsigned *)ctx)++;
	(void)user;
}

/* admin migrate --to postgresql|files: copy every record from the configured backend. */
static int
cmd_admin_migrate(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "odin-mfa-cli admin migrate --to postgresql|files\n"
	    "Copies every record (secret, last code, lockout, backup codes) from the\n"
	    "configured backend to the other one; then set backend = ... in the config.\n";
	struct odin_config to_cfg;
	struct odin_store *to = NULL;
	const char *target = NULL;
	unsigned n = 0;
	int ret, rc;

	if (argc == 3 && strcmp(argv[1], "--to") == 0)
		target = argv[2];
	else if (argc == 2 && strncmp(argv[1], "--to=", 5) == 0)
		target = argv[1] + 5;
	if (target == NULL || (strcmp(target, "postgresql") != 0 && strcmp(target, "files") != 0))
		return cli_verb_usage(usage, argc == 2 && strcmp(argv[1], "--help") == 0);
	if ((ret = cli_admin_begin(c, "migrate", NULL)) != EXIT_DONE)
		return ret;
	to_cfg = c->cfg;
	if (odin_config_set(&to_cfg, "backend", target) != ODIN_OK || to_cfg.backend == c->cfg.backend) {
		cli_err("migrate: the configured backend already is %s", target);
		st_close(c);
		return EXIT_USAGE;
	}
	if (priv_raise() != 0) {
		st_close(c);
		return EXIT_SYSTEM;
	}
	rc = odin_store_open_config(&to_cfg, &to);
	if (rc == ODIN_OK)
		rc = odin_store_copy(c->st, to, cli_migrated, &n);
	odin_store_close(to);
	priv_lower();
	st_close(c);
	if (rc != ODIN_OK)
		return cli_store_error("migrate", rc);
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "admin migrate (uid %lu): %u records copied to %s",
	    (unsigned long)c->who.uid, n, target);
	printf("%u records copied to %s\n", n, target);
	return EXIT_DONE;
}

static int
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
	};
	static const char usage[] =
	    "odin-mfa-cli admin force-enable [--reset] USER\n"
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

/* ---- main ------------------------------------------------------------------ */

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
	};
	struct cli c;
	int i, ret = EXIT_USAGE;
	size_t v;

	memset(&c, 0, sizeof(c));
	if (priv_startup(&c.who) != 0)
		return EXIT_SYSTEM;
	setvbuf(stdout, cli_outbuf, _IOLBF, sizeof(cli_outbuf));
	atexit(cli_exit_wipe);
	openlog("odin-mfa-cli", LOG_PID, LOG_AUTHPRIV);
	odin_log_set_sink(cli_log_sink, NULL);
	cli_signals_init();

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
