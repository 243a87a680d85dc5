/* SPDX-License-Identifier: ISC */
/*
 * The verbs a user runs on their own record: enroll, status and
 * backup-codes.  The caller is the real uid's passwd name (privs.c),
 * canonical by construction.  Everything that touches the store goes
 * through raised.c; everything here runs as the caller.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base32.h"
#include "err.h"
#include "otp.h"
#include "otpauth.h"
#include "qr.h"
#include "qr_image.h"
#include "secure.h"
#include "cli.h"

/* ---- shared output -------------------------------------------------------- */

void
cli_print_status(const char *user, int rc, const struct odin_account_info *r)
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
	if (r->bypass_uses > 0 && r->bypass_expires > now) {
		cli_fmt_time(r->bypass_expires, t, sizeof(t));
		printf("bypass code:   %u use%s left, until %s\n", r->bypass_uses,
		    r->bypass_uses == 1 ? "" : "s", t);
	} else if (r->bypass_uses > 0) {
		printf("bypass code:   expired\n");
	}
	if (r->token == ODIN_TOKEN_ACTIVE && r->token_expires > now) {
		cli_fmt_time(r->token_expires, t, sizeof(t));
		printf("enroll token:  outstanding, until %s\n", t);
	} else if (r->token != ODIN_TOKEN_NONE) {
		printf("enroll token:  %s (a new one is needed: admin force-enable --token)\n",
		    r->token == ODIN_TOKEN_SPENT ? "used" : "expired");
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

/* ---- proving it is you ------------------------------------------------------ */

/*
 * Asks an enabled user for a current code or a backup code (3 tries).
 * Each answer is counted, judged and recorded by odin_account_verify()
 * before anything is printed about it; a clock-skew hint goes only to
 * the log (it would tell a guesser which codes are valid soon).
 * Returns an exit status.
 */
/*
 * The enrollment token an administrator handed out, where one is needed
 * (odin_account_token_need): asked before any secret is made or shown,
 * each answer counted.  info NULL: no record.  An exit status.
 */
static int
cli_enroll_token(struct cli *c, const char *user, const struct odin_account_info *info,
    int *forced, struct odin_token_spent *spent)
{
	char line[CLI_LINE_MAX];
	struct odin_attempt a;
	int tries, rc, got;

	*forced = 0;
	odin_wipe(spent, sizeof(*spent));
	if (info == NULL && c->cfg.enforce_group[0] != '\0') {
		rc = odin_user_in_group(user, c->who.gid_pw, c->cfg.enforce_group);
		if (rc < 0) {	/* as the module: membership unknown is not "not a member" */
			cli_err("membership of enforce_group cannot be read (%s); nothing changed",
			    odin_strerror(rc));
			return EXIT_SYSTEM;
		}
		*forced = rc == 1;
	}
	switch (odin_account_token_need(&c->cfg, info != NULL ? (int)info->state : 0, info, *forced,
	    (int64_t)time(NULL))) {
	case ODIN_TOKEN_NEED_NONE:
		return EXIT_DONE;
	case ODIN_TOKEN_NEED_MISSING:
		cli_err("setting up MFA for %s needs an enrollment token from your administrator, "
		    "and none is outstanding; ask for one (admin force-enable --token)", user);
		return EXIT_REFUSED;
	case ODIN_TOKEN_NEED_ASK:
		break;
	}
	printf("Your administrator gave you an enrollment token for this.\n");
	for (tries = 0; tries < CLI_TRIES; tries++) {
		cli_prompt("Enrollment token: ");
		got = cli_read_line(line, sizeof(line));
		if (got <= 0) {
			fputc('\n', stdout);
			cli_err(got == 0 ? "no token given; nothing changed" : "interrupted; nothing changed");
			return EXIT_REFUSED;
		}
		rc = raised_token_check(c, user, line, &a, spent);
		odin_wipe(line, sizeof(line));
		switch (rc) {
		case ODIN_OK:
			cli_syslog(LOG_INFO, "user %s (uid %lu): enrollment token accepted", user,
			    (unsigned long)c->who.uid);
			return EXIT_DONE;
		case ODIN_ENOMATCH:
			cli_syslog(LOG_NOTICE, "user %s (uid %lu): enrollment token refused: %s", user,
			    (unsigned long)c->who.uid, a.reason);
			printf("That enrollment token is not correct.\n");
			if (a.lockout_seconds == 0)
				continue;
			/* FALLTHROUGH */
		case ODIN_ELOCKEDOUT: {
			char t[64];

			cli_fmt_time(a.lockout_seconds > 0 ? (int64_t)time(NULL) + a.lockout_seconds :
			    a.locked_until, t, sizeof(t));
			cli_err("%s is locked out after too many wrong answers until %s", user, t);
			return EXIT_REFUSED;
		}
		case ODIN_ECHANGED:
			cli_err("no enrollment token is outstanding for %s any more; ask for a new one", user);
			return EXIT_REFUSED;
		default:
			return cli_store_error(user, rc);
		}
	}
	cli_err("too many wrong enrollment tokens; nothing changed");
	return EXIT_REFUSED;
}

static int
cli_reauth(struct cli *c, const char *user, unsigned flags)
{
	char line[CLI_LINE_MAX];
	struct odin_attempt a;
	int tries, rc, got;

	for (tries = 0; tries < CLI_TRIES; tries++) {
		cli_prompt("Verification code (or a backup code): ");
		got = cli_read_line(line, sizeof(line));
		if (got <= 0) {
			fputc('\n', stdout);
			cli_err(got == 0 ? "no code given; nothing changed" : "interrupted; nothing changed");
			return EXIT_REFUSED;
		}
		rc = raised_verify(c, user, line, flags, &a);
		odin_wipe(line, sizeof(line));
		switch (rc) {
		case ODIN_OK:
			cli_syslog(LOG_INFO, "user %s confirmed with a %s code", user,
			    odin_auth_method_name(a.method));
			return EXIT_DONE;
		case ODIN_EREPLAY:
			printf("That code was already used; wait for the next one (not counted as a failure).\n");
			continue;
		case ODIN_ENOMATCH:
			if (a.method == ODIN_AUTH_BYPASS && (flags & ODIN_VERIFY_NO_BYPASS) != 0)
				printf("A bypass code cannot make lasting codes; use a code from your app "
				    "or a backup code.\n");
			else
				printf("Code not accepted.\n");
			break;
		case ODIN_ELOCKEDOUT: {
			char t[64];

			cli_fmt_time(a.locked_until, t, sizeof(t));
			cli_err("%s is locked out after too many wrong codes until %s (an admin can run: odin-mfa-cli admin unlock %s)",
			    user, t, user);
			return EXIT_REFUSED;
		}
		case ODIN_ECHANGED:
			cli_err("MFA is no longer enabled for %s; nothing changed", user);
			return EXIT_REFUSED;
		default:
			return cli_store_error(user, rc);
		}
		cli_syslog(LOG_NOTICE, "user %s: wrong code when confirming (%s)", user, a.reason);
		if (a.lockout_seconds > 0) {
			cli_err("too many wrong codes: %s is locked out for a while", user);
			return EXIT_REFUSED;
		}
	}
	cli_err("%d wrong codes; nothing changed", CLI_TRIES);
	return EXIT_REFUSED;
}

/* ---- enroll ------------------------------------------------------------ */

static int
cli_write_qr_file(const char *path, const char *uri, int svg)
{
	char s[PATH_MAX];
	int fd, rc;

	cli_safe(path, s, sizeof(s));
	/*
	 * As the caller (privileges are raised only inside raised.c).  O_EXCL:
	 * never overwrite, never follow a symlink or write through a hard link
	 * someone planted; the file holds the secret, hence 0600.
	 */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
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

/* Says, without ever showing a code, that the device clock looks off (enrollment only). */
static void
cli_say_skew(int64_t seconds)
{
	printf("That code would be right if your device's clock were %lld seconds %s.\n"
	    "Check the time on your device (automatic time is best).\n",
	    (long long)(seconds < 0 ? -seconds : seconds), seconds < 0 ? "later" : "earlier");
}

/* The new secret as QR code, URI and key, on the terminal and in the files asked for. */
static int
cli_enroll_show(struct cli *c, const char *user, const struct odin_enrollment *en,
    int style, const char *png, const char *svg)
{
	struct odin_totp_params tp;
	char key[ODIN_SECRET_MAX * 2 + 16], host[256], account[ODIN_USER_MAX + 320];
	char **qr = NULL, *uri = NULL;
	const uint8_t *secret;
	size_t slen, nqr = 0, i;
	int rc, ret = EXIT_SYSTEM;

	secret = odin_enroll_secret(en, &slen);
	odin_enroll_params(en, &tp);
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if ((size_t)snprintf(account, sizeof(account), "%s@%s", user, host) >= sizeof(account)) {
		cli_err("user@hostname is too long for an authenticator label");
		return EXIT_SYSTEM;
	}
	if ((rc = odin_otpauth_uri(c->cfg.issuer, account, secret, slen,
	    tp.alg, tp.digits, tp.period, &uri)) != ODIN_OK ||
	    (rc = odin_base32_grouped(secret, slen, key, sizeof(key))) != ODIN_OK) {
		cli_err("cannot show the secret: %s", odin_strerror(rc));
		goto out;
	}
	if (png != NULL && (ret = cli_write_qr_file(png, uri, 0)) != EXIT_DONE)
		goto out;
	if (svg != NULL && (ret = cli_write_qr_file(svg, uri, 1)) != EXIT_DONE) {
		if (png != NULL)
			(void)unlink(png);	/* ours: written just above */
		goto out;
	}
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
	printf("Or enter this key by hand (time-based, %s, %u digits, %u seconds):\n%s\n\n",
	    odin_alg_name(tp.alg), tp.digits, tp.period, key);
	fflush(stdout);
	ret = EXIT_DONE;
out:
	if (qr != NULL) {
		for (i = 0; i < nqr; i++)
			odin_wipe(qr[i], strlen(qr[i]));
		odin_qr_lines_free(qr, nqr);
	}
	odin_free_str(uri);
	odin_wipe(key, sizeof(key));
	return ret;
}

/* Up to CLI_TRIES codes from the new secret; EXIT_DONE once one is right. */
static int
cli_enroll_confirm(struct cli *c, struct odin_enrollment *en)
{
	char line[CLI_LINE_MAX];
	int64_t skew;
	int tries, got, rc;

	for (tries = 0; tries < CLI_TRIES; tries++) {
		cli_prompt("Enter the 6-digit code from your app to confirm: ");
		got = cli_read_line(line, sizeof(line));
		if (got <= 0) {
			fputc('\n', stdout);
			cli_err("enrollment cancelled; nothing was stored");
			return EXIT_REFUSED;
		}
		rc = odin_enroll_confirm(en, &c->cfg, line, (int64_t)time(NULL), &skew);
		odin_wipe(line, sizeof(line));
		if (rc == ODIN_OK)
			return EXIT_DONE;
		if (rc == ODIN_EINVAL) {
			printf("That is not a 6-digit code.\n");
			continue;
		}
		printf("Code not accepted.\n");
		/* the person holds this new secret: the hint tells them nothing they cannot compute */
		if (skew != 0)
			cli_say_skew(skew);
	}
	cli_err("%d wrong codes; enrollment cancelled, nothing was stored", CLI_TRIES);
	return EXIT_REFUSED;
}

int
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
	struct odin_account_info info;
	struct odin_enrollment *en = NULL;
	const char *png = NULL, *svg = NULL, *arg, *user = c->who.name;
	struct odin_token_spent spent;
	int style = ODIN_QR_UTF8, ret, ch, rc, proven = 0, made = 0, forced = 0;
	sigset_t old;

	memset(codes, 0, sizeof(codes));
	memset(&spent, 0, sizeof(spent));
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
	if ((ret = raised_load_config(c)) != EXIT_DONE)
		return ret;
	if (!odin_user_valid(user)) {
		cli_err("your user name cannot be used with odin-mfa");
		return EXIT_REFUSED;
	}
	if ((ret = raised_open(c)) != EXIT_DONE)
		return ret;

	rc = raised_info(c, user, &info);
	if (rc != ODIN_OK && rc != ODIN_ENOENT) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	if ((ret = cli_enroll_token(c, user, rc == ODIN_OK ? &info : NULL, &forced, &spent)) != EXIT_DONE)
		goto out;
	if (rc == ODIN_OK && info.state == ODIN_STATE_ENABLED) {
		printf("MFA is already enabled for %s.  Enrolling again replaces your\n"
		    "authenticator secret and your backup codes.  First confirm it is you.\n", user);
		/* a bypass code proves it too: it is how a user who lost the phone moves to a new one */
		if ((ret = cli_reauth(c, user, 0)) != EXIT_DONE)
			goto out;
		proven = 1;
	}
	rc = raised_enroll_begin(c, user, forced, &spent, &en);
	odin_wipe(&spent, sizeof(spent));	/* en holds what it needs */
	if (rc != ODIN_OK) {
		if (rc == ODIN_EPERM) {
			cli_err("your MFA record now needs an enrollment token (an admin issued one "
			    "meanwhile); run enroll again");
			ret = EXIT_REFUSED;
		} else
			ret = cli_store_error(user, rc);
		goto out;
	}
	if (odin_enroll_found(en) == ODIN_STATE_ENABLED && !proven) {
		cli_err("your MFA record changed meanwhile (another session enrolled); nothing was stored, run enroll again");
		ret = EXIT_REFUSED;
		goto out;
	}
	/* Hold nothing of root's while the caller is shown things and types. */
	raised_close(c);

	if ((ret = cli_enroll_show(c, user, en, style, png, svg)) != EXIT_DONE)
		goto out;	/* it removed what it wrote */
	made = 1;
	if ((ret = cli_enroll_confirm(c, en)) != EXIT_DONE)
		goto out;
	if ((rc = odin_enroll_codes(en, &c->cfg, codes)) != ODIN_OK) {
		cli_err("cannot create backup codes: %s; nothing was stored", odin_strerror(rc));
		ret = EXIT_SYSTEM;
		goto out;
	}
	if ((ret = raised_open(c)) != EXIT_DONE)
		goto out;
	/* Once the code is confirmed an interrupt no longer cancels: finish and show the codes. */
	cli_signals_block(1, &old);
	rc = raised_enroll_commit(c, user, en);
	raised_close(c);
	if (rc == ODIN_ECHANGED) {
		cli_signals_block(0, &old);
		cli_err("your MFA record changed while you were enrolling (an admin or another session); nothing was stored, run enroll again");
		ret = EXIT_REFUSED;
		goto out;
	}
	if (rc != ODIN_OK) {
		cli_signals_block(0, &old);
		ret = cli_store_error(user, rc);
		goto out;
	}
	priv_drop_forever();
	cli_syslog(LOG_NOTICE, "user %s (uid %lu) enrolled: MFA enabled", user, (unsigned long)c->who.uid);
	printf("\nCode accepted: MFA is now enabled for %s.\n", user);
	cli_print_backup_codes(codes, c->cfg.backup_codes);
	fflush(stdout);
	cli_signals_block(0, &old);
	ret = EXIT_DONE;
out:
	/*
	 * Not enrolled: the QR code files we made hold a secret worth nothing
	 * now, and a retry with the same names must not fail.  Removed as the
	 * caller, who created them (euid is theirs here); never a file that was
	 * there before (O_EXCL refused those).
	 */
	if (made && ret != EXIT_DONE) {
		if (png != NULL)
			(void)unlink(png);
		if (svg != NULL)
			(void)unlink(svg);
	}
	odin_wipe(codes, sizeof(codes));
	odin_wipe(&spent, sizeof(spent));
	odin_enroll_free(en);
	raised_close(c);
	return ret;
}

/* ---- status, backup-codes ------------------------------------------------ */

int
cmd_status(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "odin-mfa-cli status\nShows whether MFA is off, pending or enabled for you.\n";
	struct odin_account_info info;
	const char *arg;
	int ch, rc, ret;

	while ((ch = cli_getopt(c, argc, argv, NULL, 0, &arg)) != -1)
		return cli_verb_usage(usage, ch == OPT_HELP);
	if (optind != argc)
		return cli_verb_usage(usage, 0);
	if ((ret = raised_load_config(c)) != EXIT_DONE)
		return ret;
	if (!odin_user_valid(c->who.name)) {
		printf("user:          (not usable with odin-mfa)\nMFA:           off\n");
		return EXIT_DONE;
	}
	if ((ret = raised_open(c)) != EXIT_DONE)
		return ret;
	rc = raised_info(c, c->who.name, &info);
	raised_close(c);
	priv_drop_forever();
	if (rc != ODIN_OK && rc != ODIN_ENOENT)
		return cli_store_error(c->who.name, rc);
	cli_print_status(c->who.name, rc, &info);
	return EXIT_DONE;
}

int
cmd_backup_codes(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli backup-codes\n"
	    "Asks for a current code (or a backup code), replaces all your backup codes\n"
	    "and shows the new set once.\n";
	struct odin_backup_code codes[ODIN_BACKUP_MAX];
	struct odin_account_info info;
	const char *arg, *user = c->who.name;
	int ch, rc, ret;

	while ((ch = cli_getopt(c, argc, argv, NULL, 0, &arg)) != -1)
		return cli_verb_usage(usage, ch == OPT_HELP);
	if (optind != argc)
		return cli_verb_usage(usage, 0);
	if ((ret = raised_load_config(c)) != EXIT_DONE)
		return ret;
	if (!odin_user_valid(user)) {
		cli_err("MFA is not enabled for you");
		return EXIT_REFUSED;
	}
	if ((ret = raised_open(c)) != EXIT_DONE)
		return ret;
	memset(codes, 0, sizeof(codes));
	rc = raised_info(c, user, &info);
	if (rc != ODIN_OK && rc != ODIN_ENOENT) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	if (rc == ODIN_ENOENT || info.state != ODIN_STATE_ENABLED) {
		cli_err("MFA is not enabled for %s; run: odin-mfa-cli enroll", user);
		ret = EXIT_REFUSED;
		goto out;
	}
	if ((ret = cli_reauth(c, user, ODIN_VERIFY_NO_BYPASS)) != EXIT_DONE)
		goto out;
	rc = raised_new_backup_codes(c, user, codes);
	raised_close(c);
	if (rc == ODIN_ECHANGED) {
		cli_err("MFA is no longer enabled for %s; nothing changed", user);
		ret = EXIT_REFUSED;
		goto out;
	}
	if (rc != ODIN_OK) {
		ret = cli_store_error(user, rc);
		goto out;
	}
	priv_drop_forever();
	cli_syslog(LOG_NOTICE, "user %s (uid %lu) replaced the backup codes", user, (unsigned long)c->who.uid);
	printf("Your old backup codes no longer work.\n");
	cli_print_backup_codes(codes, c->cfg.backup_codes);
	fflush(stdout);
	ret = EXIT_DONE;
out:
	odin_wipe(codes, sizeof(codes));
	raised_close(c);
	return ret;
}
