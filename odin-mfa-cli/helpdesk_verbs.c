/* SPDX-License-Identifier: ISC */
/*
 * The helpdesk's admin verbs: bypass (a temporary one-time code for a user
 * who lost their phone, instead of disabling MFA) and report (who is
 * supposed to have MFA and does not, for people and for node_exporter).
 * Like the other admin verbs (admin_verbs.c): arguments, permission, the
 * canonical USER, one transaction through raised.c, and only then output
 * and the log line -- which never holds a code.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "secure.h"
#include "cli.h"

/* ---- admin bypass ---------------------------------------------------------- */

int
cmd_admin_bypass(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin bypass [--expires DURATION] [--uses N] USER\n"
	    "odin-mfa-cli admin bypass --revoke USER\n"
	    "Issues a one-time bypass code for USER (who lost their phone): accepted at the\n"
	    "code prompt like a backup code, N times (default 1, at most 10), until it\n"
	    "expires (default 1h, at most 3d).  USER's secret and backup codes stay as\n"
	    "they are; a new code replaces an outstanding one.  --revoke ends it now.\n";
	static const struct option opts[] = {
		{ "expires", required_argument, NULL, OPT_EXPIRES },
		{ "uses", required_argument, NULL, OPT_USES },
		{ "revoke", no_argument, NULL, OPT_REVOKE },
	};
	char shown[ODIN_ONETIME_SHOWN_MAX], t[64], result[160];
	const char *user, *arg;
	int64_t ttl = ODIN_BYPASS_TTL_DEFAULT, uses = 1;
	int revoke = 0, given = 0, replaced = 0, had = 0, ret, rc, ch;

	while ((ch = cli_getopt(c, argc, argv, opts, 3, &arg)) != -1) {
		if (ch == OPT_EXPIRES) {
			if (cli_parse_duration(arg, ODIN_BYPASS_TTL_MAX, &ttl) != ODIN_OK) {
				cli_err("--expires: a duration of at most 3d (90s, 30m, 12h, 3d)");
				return EXIT_USAGE;
			}
			given = 1;
		} else if (ch == OPT_USES) {
			if (arg[0] < '1' || arg[0] > '9' || cli_parse_duration(arg, ODIN_BYPASS_USES_MAX, &uses) != ODIN_OK ||
			    strspn(arg, "0123456789") != strlen(arg)) {
				cli_err("--uses: a number from 1 to %d", ODIN_BYPASS_USES_MAX);
				return EXIT_USAGE;
			}
			given = 1;
		} else if (ch == OPT_REVOKE) {
			revoke = 1;
		} else
			return cli_verb_usage(usage, ch == OPT_HELP);
	}
	if (argc - optind != 1 || (revoke && given))
		return cli_verb_usage(usage, 0);
	if ((ret = cli_admin_begin(c, "bypass", argv[optind], ADMIN_ANY)) != EXIT_DONE)
		return ret;
	user = c->target;
	if (revoke) {
		rc = raised_bypass_revoke(c, user, &had);
		raised_close(c);
		if (rc == ODIN_ENOENT) {
			cli_err("%s: MFA is not set up; nothing changed", user);
			return EXIT_REFUSED;
		}
		if (rc != ODIN_OK)
			return cli_store_error(user, rc);
		if (had)
			cli_admin_log(c, "bypass --revoke", user, "bypass code revoked");
		printf("%s: %s\n", user, had ? "bypass code revoked" : "no bypass code; nothing changed");
		return EXIT_DONE;
	}
	rc = raised_bypass_issue(c, user, ttl, (unsigned)uses, shown, &replaced);
	raised_close(c);
	if (rc == ODIN_ENOENT || rc == ODIN_ECHANGED) {
		cli_err("%s: MFA is %s; a bypass code is for enabled users (nothing changed)", user,
		    rc == ODIN_ENOENT ? "not set up" : "pending");
		return EXIT_REFUSED;
	}
	if (rc != ODIN_OK)
		return cli_store_error(user, rc);
	cli_fmt_time((int64_t)time(NULL) + ttl, t, sizeof(t));
	(void)snprintf(result, sizeof(result), "bypass code issued: %lld use%s, until %s%s",
	    (long long)uses, uses == 1 ? "" : "s", t, replaced ? " (replaces the outstanding one)" : "");
	cli_admin_log(c, "bypass", user, result);
	printf("Bypass code for %s (%lld use%s, until %s):\n\n    %s\n\n"
	    "%s types it at the \"Verification code\" prompt instead of a code from the app.\n"
	    "Hand it over yourself (phone, in person); it is not shown again.%s\n",
	    user, (long long)uses, uses == 1 ? "" : "s", t, shown, user,
	    replaced ? "\nThe bypass code issued before is no longer valid." : "");
	odin_wipe(shown, sizeof(shown));
	return EXIT_DONE;
}

/* ---- admin report ---------------------------------------------------------- */

struct report {
	int64_t now;
	int64_t stale_days;
	int64_t backup_min;
	struct cli_names nm;		/* every record */
	struct odin_account_info *info;
	int *rc;
	struct cli_names missing;	/* enforce_group members without a record */
	int group_rc;			/* ODIN_OK, or why the group could not be read */
	unsigned enabled, pending, errors;
};

static int
rep_has_record(const struct report *r, const char *user)
{
	size_t lo = 0, hi = r->nm.n;

	while (lo < hi) {	/* r->nm is sorted */
		size_t mid = (lo + hi) / 2;
		int d = strcmp(user, r->nm.v[mid]);

		if (d == 0)
			return r->rc[mid] != ODIN_ENOENT;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static void
rep_add_missing(struct report *r, const char *user)
{
	size_t i;

	if (rep_has_record(r, user))
		return;
	for (i = 0; i < r->missing.n; i++)
		if (strcmp(r->missing.v[i], user) == 0)
			return;
	(void)cli_collect(user, &r->missing);
}

/*
 * enforce_group's members: its member list and every account whose
 * primary group it is (as NSS enumerates them: a directory that does not
 * enumerate users shows its listed members only).
 */
static void
rep_group(struct report *r, const char *group)
{
	struct group gr, *grp = NULL;
	struct passwd *pw;
	char *buf = NULL;
	size_t sz = 16384;
	int e;

	for (;;) {
		char *nb = realloc(buf, sz);

		if (nb == NULL) {
			r->group_rc = ODIN_ENOMEM;
			free(buf);
			return;
		}
		buf = nb;
		e = getgrnam_r(group, &gr, buf, sz, &grp);
		if (e != ERANGE || sz >= (1u << 24))
			break;
		sz *= 2;
	}
	if (e != 0 || grp == NULL) {
		r->group_rc = e != 0 ? ODIN_EIO : ODIN_ENOENT;
		free(buf);
		return;
	}
	for (char **m = grp->gr_mem; m != NULL && *m != NULL; m++)
		if (odin_user_valid(*m))
			rep_add_missing(r, *m);
	setpwent();
	while ((pw = getpwent()) != NULL && r->missing.n < CLI_LIST_MAX)
		if (pw->pw_gid == grp->gr_gid && odin_user_valid(pw->pw_name))
			rep_add_missing(r, pw->pw_name);
	endpwent();
	free(buf);
	cli_names_sort(&r->missing);
}

enum rep_kind { REP_PENDING, REP_STALE, REP_BACKUP, REP_LOCKED, REP_BYPASS, REP_KINDS };

/* When the last code from the app was taken (0: never); a record's absurd step cannot overflow it. */
static int64_t
rep_last_code(const struct odin_account_info *a)
{
	if (a->last_step <= 0 || a->period == 0)
		return 0;
	return a->last_step > INT64_MAX / (int64_t)a->period ? INT64_MAX :
	    a->last_step * (int64_t)a->period;
}

/* Whether record i belongs in list k. */
static int
rep_in(const struct report *r, size_t i, enum rep_kind k)
{
	const struct odin_account_info *a = &r->info[i];
	int64_t last;

	if (r->rc[i] != ODIN_OK)
		return 0;
	switch (k) {
	case REP_PENDING:
		return a->state == ODIN_STATE_PENDING;
	case REP_STALE:
		if (a->state != ODIN_STATE_ENABLED)
			return 0;
		last = rep_last_code(a) > 0 ? rep_last_code(a) : a->created;
		return r->now - last >= r->stale_days * 86400;
	case REP_BACKUP:
		return a->state == ODIN_STATE_ENABLED && (int64_t)a->nbackup <= r->backup_min;
	case REP_LOCKED:
		return a->lockout_until > r->now;
	case REP_BYPASS:
		return a->bypass_uses > 0 && a->bypass_expires > r->now;
	case REP_KINDS:
		break;
	}
	return 0;
}

static unsigned
rep_count(const struct report *r, enum rep_kind k)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < r->nm.n; i++)
		n += (unsigned)rep_in(r, i, k);
	return n;
}

static const char *
rep_token_name(enum odin_token_state t)
{
	return t == ODIN_TOKEN_ACTIVE ? "active" : t == ODIN_TOKEN_SPENT ? "spent" : "none";
}

static void
rep_json_entry(const struct report *r, size_t i, enum rep_kind k)
{
	const struct odin_account_info *a = &r->info[i];

	printf("{\"user\": ");
	cli_json_str(r->nm.v[i]);
	switch (k) {
	case REP_PENDING:
		printf(", \"since\": %lld, \"token\": \"%s\", \"token_expires\": %lld}",
		    (long long)a->created, rep_token_name(a->token),
		    (long long)(a->token == ODIN_TOKEN_ACTIVE ? a->token_expires : 0));
		break;
	case REP_STALE:
		printf(", \"last_code_time\": %lld, \"enrolled\": %lld}",
		    (long long)rep_last_code(a),
		    (long long)a->created);
		break;
	case REP_BACKUP:
		printf(", \"backup_codes\": %u}", a->nbackup);
		break;
	case REP_LOCKED:
		printf(", \"locked_until\": %lld, \"lockouts\": %u}", (long long)a->lockout_until,
		    a->lockout_count);
		break;
	case REP_BYPASS:
		printf(", \"uses_left\": %u, \"expires\": %lld, \"issued\": %lld}", a->bypass_uses,
		    (long long)a->bypass_expires, (long long)a->bypass_issued);
		break;
	case REP_KINDS:
		printf("}");
		break;
	}
}

static const char *const rep_json_keys[REP_KINDS] = {
	"pending", "stale", "few_backup_codes", "locked_out", "bypass_codes",
};

static void
rep_json(const struct report *r, const struct odin_config *cfg)
{
	size_t i;
	int k, first;

	printf("{\"generated\": %lld, \"stale_days\": %lld, \"backup_min\": %lld,\n",
	    (long long)r->now, (long long)r->stale_days, (long long)r->backup_min);
	printf(" \"records\": {\"enabled\": %u, \"pending\": %u, \"unreadable\": %u},\n",
	    r->enabled, r->pending, r->errors);
	printf(" \"enforce_group\": ");
	if (cfg->enforce_group[0] != '\0')
		cli_json_str(cfg->enforce_group);
	else
		printf("null");
	printf(",\n \"not_enrolled\": [");
	for (i = 0; i < r->missing.n; i++) {
		printf("%s{\"user\": ", i == 0 ? "" : ", ");
		cli_json_str(r->missing.v[i]);
		printf("}");
	}
	printf("]");
	for (k = 0; k < REP_KINDS; k++) {
		printf(",\n \"%s\": [", rep_json_keys[k]);
		first = 1;
		for (i = 0; i < r->nm.n; i++) {
			if (!rep_in(r, i, (enum rep_kind)k))
				continue;
			printf("%s", first ? "" : ", ");
			rep_json_entry(r, i, (enum rep_kind)k);
			first = 0;
		}
		printf("]");
	}
	printf(",\n \"errors\": [");
	first = 1;
	for (i = 0; i < r->nm.n; i++) {
		if (r->rc[i] == ODIN_OK || r->rc[i] == ODIN_ENOENT)
			continue;
		printf("%s{\"user\": ", first ? "" : ", ");
		cli_json_str(r->nm.v[i]);
		printf(", \"error\": ");
		cli_json_str(odin_strerror(r->rc[i]));
		printf("}");
		first = 0;
	}
	printf("]}\n");
}

static void
rep_text(const struct report *r, const struct odin_config *cfg)
{
	char t[64], title[96], s[128];
	size_t i;
	int k;

	cli_fmt_time(r->now, t, sizeof(t));
	printf("odin-mfa report, %s: %u enabled, %u pending", t, r->enabled, r->pending);
	if (r->errors > 0)
		printf(", %u unreadable", r->errors);
	printf("\n");
	if (cfg->enforce_group[0] != '\0') {
		cli_safe(cfg->enforce_group, s, sizeof(s));
		if (r->group_rc != ODIN_OK)
			printf("\nenforce_group %s: cannot be read (%s)\n", s, odin_strerror(r->group_rc));
		else {
			printf("\nenforce_group %s, members without a record (asked to enroll at their next login): %zu\n",
			    s, r->missing.n);
			for (i = 0; i < r->missing.n; i++)
				printf("    %s\n", cli_safe(r->missing.v[i], s, sizeof(s)));
		}
	}
	for (k = 0; k < REP_KINDS; k++) {
		if (k == REP_STALE)
			(void)snprintf(title, sizeof(title), "no code from the app for %lld days",
			    (long long)r->stale_days);
		else if (k == REP_BACKUP)
			(void)snprintf(title, sizeof(title), "few backup codes left (%lld or fewer)",
			    (long long)r->backup_min);
		else
			(void)snprintf(title, sizeof(title), "%s", k == REP_PENDING ?
			    "pending (set up at the next login)" : k == REP_LOCKED ? "locked out now" :
			    "outstanding bypass codes");
		printf("\n%s: %u\n", title, rep_count(r, (enum rep_kind)k));
		for (i = 0; i < r->nm.n; i++) {
			const struct odin_account_info *a = &r->info[i];

			if (!rep_in(r, i, (enum rep_kind)k))
				continue;
			printf("    %-32s ", cli_safe(r->nm.v[i], s, sizeof(s)));
			switch (k) {
			case REP_PENDING:
				cli_fmt_time(a->created, t, sizeof(t));
				printf("since %s%s\n", t, a->token == ODIN_TOKEN_ACTIVE ?
				    ", enrollment token outstanding" : a->token == ODIN_TOKEN_SPENT ?
				    ", enrollment token used" : "");
				break;
			case REP_STALE:
				cli_fmt_time(rep_last_code(a), t, sizeof(t));
				printf("last code %s\n", t);
				break;
			case REP_BACKUP:
				printf("%u left\n", a->nbackup);
				break;
			case REP_LOCKED:
				cli_fmt_time(a->lockout_until, t, sizeof(t));
				printf("until %s (lockout %u in a row)\n", t, a->lockout_count);
				break;
			default:
				cli_fmt_time(a->bypass_expires, t, sizeof(t));
				printf("%u use%s left, until %s\n", a->bypass_uses, a->bypass_uses == 1 ? "" : "s", t);
				break;
			}
		}
	}
	for (i = 0; i < r->nm.n; i++)
		if (r->rc[i] != ODIN_OK && r->rc[i] != ODIN_ENOENT)
			printf("\nunreadable record: %s (%s)\n", cli_safe(r->nm.v[i], s, sizeof(s)),
			    odin_strerror(r->rc[i]));
}

/*
 * The Prometheus text format, for node_exporter's textfile collector:
 * written next to path and renamed over it, so the collector never reads
 * half a file.  Written as the caller (never raised), so the path is the
 * caller's to choose.
 */
static int
rep_prometheus(const struct report *r, const char *path)
{
	char tmp[4096];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp)) {
		cli_err("--prometheus: path too long");
		return EXIT_USAGE;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	/* readable by node_exporter's user, whatever umask the CLI runs with (077) */
	if (fd >= 0 && fchmod(fd, 0644) != 0) {
		cli_err("--prometheus: cannot set the mode of %s: %s", tmp, strerror(errno));
		close(fd);
		(void)unlink(tmp);
		return EXIT_SYSTEM;
	}
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		cli_err("--prometheus: cannot create %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_SYSTEM;
	}
	fprintf(f, "# HELP odin_mfa_records Users with an odin-mfa record, by state.\n"
	    "# TYPE odin_mfa_records gauge\n"
	    "odin_mfa_records{state=\"enabled\"} %u\nodin_mfa_records{state=\"pending\"} %u\n"
	    "# HELP odin_mfa_records_unreadable Records that could not be read.\n"
	    "# TYPE odin_mfa_records_unreadable gauge\nodin_mfa_records_unreadable %u\n",
	    r->enabled, r->pending, r->errors);
	fprintf(f, "# HELP odin_mfa_not_enrolled Members of enforce_group without a record.\n"
	    "# TYPE odin_mfa_not_enrolled gauge\nodin_mfa_not_enrolled %zu\n", r->missing.n);
	fprintf(f, "# HELP odin_mfa_stale Enabled users with no code from their app for stale_days.\n"
	    "# TYPE odin_mfa_stale gauge\nodin_mfa_stale{stale_days=\"%lld\"} %u\n",
	    (long long)r->stale_days, rep_count(r, REP_STALE));
	fprintf(f, "# HELP odin_mfa_few_backup_codes Enabled users with at most backup_min backup codes left.\n"
	    "# TYPE odin_mfa_few_backup_codes gauge\nodin_mfa_few_backup_codes{backup_min=\"%lld\"} %u\n",
	    (long long)r->backup_min, rep_count(r, REP_BACKUP));
	fprintf(f, "# HELP odin_mfa_locked_out Users locked out now.\n"
	    "# TYPE odin_mfa_locked_out gauge\nodin_mfa_locked_out %u\n", rep_count(r, REP_LOCKED));
	fprintf(f, "# HELP odin_mfa_pending Users who must enroll at their next login.\n"
	    "# TYPE odin_mfa_pending gauge\nodin_mfa_pending %u\n", rep_count(r, REP_PENDING));
	fprintf(f, "# HELP odin_mfa_bypass_outstanding Outstanding bypass codes.\n"
	    "# TYPE odin_mfa_bypass_outstanding gauge\nodin_mfa_bypass_outstanding %u\n",
	    rep_count(r, REP_BYPASS));
	fprintf(f, "# HELP odin_mfa_report_timestamp_seconds When this report was made.\n"
	    "# TYPE odin_mfa_report_timestamp_seconds gauge\nodin_mfa_report_timestamp_seconds %lld\n",
	    (long long)r->now);
	{
		int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;

		bad |= fclose(f) != 0;	/* closed whatever happened */
		if (bad) {
			cli_err("--prometheus: cannot write %s: %s", tmp, strerror(errno));
			(void)unlink(tmp);
			return EXIT_SYSTEM;
		}
	}
	if (rename(tmp, path) != 0) {
		cli_err("--prometheus: cannot rename %s to %s: %s", tmp, path, strerror(errno));
		(void)unlink(tmp);
		return EXIT_SYSTEM;
	}
	return EXIT_DONE;
}

int
cmd_admin_report(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
	    "odin-mfa-cli admin report [--json | --prometheus FILE] [--stale-days N] [--backup-min N]\n"
	    "Who is supposed to have MFA and does not: members of enforce_group without a\n"
	    "record, pending users and since when, users with no code from their app for N\n"
	    "days (default 90), users with N or fewer backup codes (default 3), users locked\n"
	    "out now, outstanding bypass codes.  --json for scripts; --prometheus writes a\n"
	    "node_exporter textfile (atomically, as the caller).\n";
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },
		{ "stale-days", required_argument, NULL, OPT_STALE_DAYS },
		{ "backup-min", required_argument, NULL, OPT_BACKUP_MIN },
	};
	struct report r;
	const char *arg, *prom = NULL;
	int as_json = 0, ret, rc, ch;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.stale_days = 90;
	r.backup_min = 3;
	while ((ch = cli_getopt(c, argc, argv, opts, 4, &arg)) != -1) {
		if (ch == OPT_JSON)
			as_json = 1;
		else if (ch == OPT_PROMETHEUS)
			prom = arg;
		else if (ch == OPT_STALE_DAYS || ch == OPT_BACKUP_MIN) {
			int64_t v = 0;

			/* digits only (no unit), 0..36500 */
			if (arg[0] == '\0' || strspn(arg, "0123456789") != strlen(arg) ||
			    (strcmp(arg, "0") != 0 && cli_parse_duration(arg, 36500, &v) != ODIN_OK)) {
				cli_err("--%s: a number", ch == OPT_STALE_DAYS ? "stale-days" : "backup-min");
				return EXIT_USAGE;
			}
			if (ch == OPT_STALE_DAYS)
				r.stale_days = v;
			else
				r.backup_min = v;
		} else
			return cli_verb_usage(usage, ch == OPT_HELP);
	}
	if (argc != optind || (as_json && prom != NULL))
		return cli_verb_usage(usage, 0);
	if ((ret = cli_admin_begin(c, "report", NULL, ADMIN_NONE)) != EXIT_DONE)
		return ret;
	r.now = (int64_t)time(NULL);
	rc = raised_list(c, cli_collect, &r.nm);
	if (rc != ODIN_OK || r.nm.oom) {
		ret = r.nm.oom ? (cli_err("out of memory"), EXIT_SYSTEM) : cli_store_error("report", rc);
		goto out;
	}
	cli_names_sort(&r.nm);
	r.info = calloc(r.nm.n + 1, sizeof(*r.info));
	r.rc = calloc(r.nm.n + 1, sizeof(*r.rc));
	if (r.info == NULL || r.rc == NULL) {
		cli_err("out of memory");
		ret = EXIT_SYSTEM;
		goto out;
	}
	/* every record read first (no lock); the store closed before anything is printed */
	for (i = 0; i < r.nm.n; i++) {
		r.rc[i] = raised_info(c, r.nm.v[i], &r.info[i]);
		if (r.rc[i] == ODIN_OK && r.info[i].state == ODIN_STATE_ENABLED)
			r.enabled++;
		else if (r.rc[i] == ODIN_OK)
			r.pending++;
		else if (r.rc[i] != ODIN_ENOENT)
			r.errors++;
	}
	raised_close(c);
	if (c->cfg.enforce_group[0] != '\0')
		rep_group(&r, c->cfg.enforce_group);
	if (r.missing.oom) {
		cli_err("out of memory");
		ret = EXIT_SYSTEM;
		goto out;
	}
	if (prom != NULL)
		ret = rep_prometheus(&r, prom);
	else {
		if (as_json)
			rep_json(&r, &c->cfg);
		else
			rep_text(&r, &c->cfg);
		ret = EXIT_DONE;
	}
out:
	cli_names_free(&r.nm);
	cli_names_free(&r.missing);
	free(r.info);
	free(r.rc);
	raised_close(c);
	return ret;
}
