/* SPDX-License-Identifier: ISC */
/*
 * What every admin verb shares, for admin_verbs.c and helpdesk_verbs.c:
 * the permission check, USER resolved to the account's canonical name,
 * the store opened, the syslog line of a change, the names of every
 * record, and durations as admins type them.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "err.h"
#include "cli.h"

void
cli_admin_log(struct cli *c, const char *action, const char *user, const char *result)
{
	cli_syslog(LOG_NOTICE, "admin %s (uid %lu): %s %s: %s",
	    c->who.name, (unsigned long)c->who.uid, action, user, result);
}

/*
 * USER as the store knows it: the canonical name NSS returns, so that
 * "admin disable ALICE" on a directory that ignores case acts on alice.
 */
static int
cli_admin_target(struct cli *c, const char *user, enum admin_who who)
{
	char s[128];
	int rc;

	c->target_known = 0;
	rc = odin_user_canonical(user, c->target, sizeof(c->target), NULL, NULL);
	if (rc == ODIN_OK) {
		c->target_known = 1;
		return EXIT_DONE;
	}
	cli_safe(user, s, sizeof(s));
	if (rc == ODIN_ENOENT && who == ADMIN_ANY && odin_user_valid(user)) {
		(void)snprintf(c->target, sizeof(c->target), "%s", user);	/* fits: valid */
		return EXIT_DONE;
	}
	if (rc == ODIN_ENOENT && odin_user_valid(user)) {
		cli_err("%s: no such user", s);
		return EXIT_REFUSED;
	}
	if (rc == ODIN_EBADNAME || rc == ODIN_ENOENT) {
		cli_err("%s: not a valid user name", s);
		return EXIT_USAGE;
	}
	cli_err("%s: the user database did not answer: %s", s, odin_strerror(rc));
	return EXIT_SYSTEM;
}

/* The config, and whether the caller may administer.  Returns an exit status. */
int
cli_admin_check(struct cli *c, const char *verb)
{
	char s[128];
	int ret;

	if ((ret = raised_load_config(c)) != EXIT_DONE)
		return ret;
	if (!priv_is_admin(&c->who, &c->cfg)) {
		cli_syslog(LOG_NOTICE, "refused: %s (uid %lu) is not an admin (admin %s)",
		    c->who.name, (unsigned long)c->who.uid, verb);
		if (c->cfg.admin_group[0] != '\0')
			cli_err("admin commands need root or membership of group %s",
			    cli_safe(c->cfg.admin_group, s, sizeof(s)));
		else
			cli_err("admin commands need root");
		return EXIT_REFUSED;
	}
	return EXIT_DONE;
}

/* Common admin preamble: config, permission, user name, store.  Returns an exit status. */
int
cli_admin_begin(struct cli *c, const char *verb, const char *user, enum admin_who who)
{
	int ret;

	if ((ret = cli_admin_check(c, verb)) != EXIT_DONE)
		return ret;
	if (who != ADMIN_NONE && (ret = cli_admin_target(c, user, who)) != EXIT_DONE)
		return ret;
	return raised_open(c);
}

/* Parses "admin VERB [--flag] USER"; returns an exit status, or -1 to go on. */
int
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

void
cli_names_sort(struct cli_names *nm)
{
	if (nm->n > 1)
		qsort(nm->v, nm->n, sizeof(*nm->v), cli_cmp_names);
}

void
cli_names_free(struct cli_names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

int
cli_parse_duration(const char *s, int64_t max, int64_t *out)
{
	char *end;
	unsigned long long v;
	int64_t unit = 1;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return ODIN_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || v == 0 || v > (unsigned long long)max)
		return ODIN_EINVAL;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		unit = 60, end++;
	else if (*end == 'h')
		unit = 3600, end++;
	else if (*end == 'd')
		unit = 86400, end++;
	if (*end != '\0' || (int64_t)v > max / unit)
		return ODIN_EINVAL;
	*out = (int64_t)v * unit;
	return ODIN_OK;
}
