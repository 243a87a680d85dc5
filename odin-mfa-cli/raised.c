/* SPDX-License-Identifier: ISC */
/*
 * The only code of odin-mfa-cli that runs with the effective uid raised
 * (to the saved uid: root when installed setuid).  Each function raises,
 * makes one call into common/ -- a store transaction of account.h, the
 * store's open or close, the default config -- and lowers again before
 * it returns.  Nothing here prints, prompts or reads the terminal, and
 * nothing here touches a path the caller chose: errors go back as codes
 * (and common/'s log line, cli_detail()) for the verbs to report once the
 * privileges are down again.  The interrupting signals are blocked for the
 * duration, so a transaction is never cut short by the caller's Ctrl-C.
 */
#include "autoconfig.h"

#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "cli.h"

/*
 * Raise, block signals, forget common/'s last warning so that the next
 * one (cli_detail()) belongs to this call; 0 or -1 (not setuid root and
 * not root).
 */
static int
raised_begin(sigset_t *old)
{
	if (priv_raise() != 0)
		return -1;
	cli_signals_block(1, old);
	cli_clear_detail();
	return 0;
}

static void
raised_end(sigset_t *old)
{
	priv_lower();
	cli_signals_block(0, old);
}

static int64_t
raised_now(void)
{
	return (int64_t)time(NULL);
}

int
raised_load_config(struct cli *c)
{
	const char *path = c->config_path != NULL ? c->config_path : ODIN_CONFIG_PATH;
	char s[ODIN_PATH_MAX * 4];
	sigset_t old;
	int rc, raised = 0;

	odin_config_defaults(&c->cfg);
	if (c->config_path != NULL && c->who.elevated) {
		cli_err("--config is refused when running setuid: only the compiled-in %s is used",
		    ODIN_CONFIG_PATH);
		return EXIT_USAGE;
	}
	/* The default config may be root-only; a chosen one is read as the caller. */
	if (c->config_path == NULL && raised_begin(&old) == 0)
		raised = 1;
	cli_clear_detail();
	rc = odin_config_load(path, &c->cfg);
	if (raised)
		raised_end(&old);
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

int
raised_open(struct cli *c)
{
	char s[ODIN_PATH_MAX * 4];
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0) {
		cli_err("the store needs root: odin-mfa-cli must be installed setuid root");
		return EXIT_SYSTEM;
	}
	rc = odin_store_open_config(&c->cfg, &c->st);
	raised_end(&old);
	if (rc != ODIN_OK) {
		c->st = NULL;
		cli_err("store %s: %s", cli_safe(c->cfg.store_dir, s, sizeof(s)), cli_detail(rc));
		return EXIT_SYSTEM;
	}
	return EXIT_DONE;
}

void
raised_close(struct cli *c)
{
	sigset_t old;

	if (c->st == NULL)
		return;
	/* not raised_begin(): the last warning still explains the call before */
	if (priv_raise() == 0) {
		cli_signals_block(1, &old);
		odin_store_close(c->st);
		raised_end(&old);
	}
	c->st = NULL;
}

int
raised_info(struct cli *c, const char *user, struct odin_account_info *info)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_info(c->st, user, info);
	raised_end(&old);
	return rc;
}

int
raised_verify(struct cli *c, const char *user, const char *input, unsigned flags,
    struct odin_attempt *a)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_verify_flags(c->st, &c->cfg, user, input, raised_now(), flags, a);
	raised_end(&old);
	return rc;
}

int
raised_enroll_begin(struct cli *c, const char *user, int forced,
    const struct odin_token_spent *spent, struct odin_enrollment **en)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_enroll_begin(c->st, &c->cfg, user, forced, spent, raised_now(), en);
	raised_end(&old);
	return rc;
}

int
raised_enroll_commit(struct cli *c, const char *user, struct odin_enrollment *en)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_enroll_commit(c->st, user, en, raised_now());
	raised_end(&old);
	return rc;
}

int
raised_new_backup_codes(struct cli *c, const char *user, struct odin_backup_code *codes)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_new_backup_codes(c->st, &c->cfg, user, raised_now(), codes);
	raised_end(&old);
	return rc;
}

int
raised_set_pending(struct cli *c, const char *user, int reset, int64_t token_ttl,
    char shown[ODIN_ONETIME_SHOWN_MAX], enum odin_pending_outcome *out)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_set_pending(c->st, user, reset, raised_now(), token_ttl, shown, out);
	raised_end(&old);
	return rc;
}

int
raised_disable(struct cli *c, const char *user, int *unreadable)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_disable(c->st, user, unreadable);
	raised_end(&old);
	return rc;
}

int
raised_unlock(struct cli *c, const char *user)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_unlock(c->st, user, raised_now());
	raised_end(&old);
	return rc;
}

int
raised_import(struct cli *c, const char *user, const struct odin_import *imp, int force,
    unsigned *nbackup)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_import(c->st, user, imp, force, raised_now(), nbackup);
	raised_end(&old);
	return rc;
}

int
raised_list(struct cli *c, int (*cb)(const char *, void *), void *ctx)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_store_list(c->st, cb, ctx);
	raised_end(&old);
	return rc;
}

int
raised_db_init(struct cli *c, int *created_what)
{
	struct odin_store *st = NULL;
	sigset_t old;
	int rc;

	*created_what = 0;
	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_store_create(&c->cfg);
	if (rc == ODIN_OK) {
		*created_what = 1;	/* the files store */
	} else if (rc == ODIN_ENOTSUP && (rc = odin_store_open_config(&c->cfg, &st)) == ODIN_OK) {
		rc = odin_store_init(st);
		if (rc == ODIN_OK)
			*created_what = 2;	/* the database schema */
		odin_store_close(st);
	}
	raised_end(&old);
	return rc;
}

static void
raised_count(const char *user, void *ctx)
{
	(void)user;
	(*(unsigned *)ctx)++;
}

int
raised_migrate(struct cli *c, const struct odin_config *to_cfg, unsigned *n)
{
	struct odin_store *to = NULL;
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	/* the target of an explicit migration may be a files store still to be made */
	rc = odin_store_create(to_cfg);
	if (rc == ODIN_OK || rc == ODIN_ENOTSUP)
		rc = odin_store_open_config(to_cfg, &to);
	*n = 0;
	if (rc == ODIN_OK)
		rc = odin_store_copy(c->st, to, raised_count, n);
	odin_store_close(to);
	raised_end(&old);
	return rc;
}

int
raised_bypass_issue(struct cli *c, const char *user, int64_t ttl, unsigned uses,
    char shown[ODIN_ONETIME_SHOWN_MAX], int *replaced)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_bypass_issue(c->st, user, raised_now(), ttl, uses, shown, replaced);
	raised_end(&old);
	return rc;
}

int
raised_bypass_revoke(struct cli *c, const char *user, int *had)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_bypass_revoke(c->st, user, raised_now(), had);
	raised_end(&old);
	return rc;
}

int
raised_token_check(struct cli *c, const char *user, const char *input, struct odin_attempt *a,
    struct odin_token_spent *spent)
{
	sigset_t old;
	int rc;

	if (raised_begin(&old) != 0)
		return ODIN_EPERM;
	rc = odin_account_token_check(c->st, &c->cfg, user, input, raised_now(), a, spent);
	raised_end(&old);
	return rc;
}
