/* SPDX-License-Identifier: ISC */
/*
 * A PAM auth stack, read and played through as libpam would (see
 * pamstack.h).  The control semantics follow Linux-PAM's
 * _pam_dispatch_aux(): an "impression" that the first ok/done sets and
 * bad/die turn negative, done ending a positive run, die ending any,
 * jumps skipping lines, and PAM_PERM_DENIED when nothing made an
 * impression.  Reading only: runs as root from `check`, on root's files.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "pamstack.h"

#define PS_DEPTH 8
#define PS_LINE 2048

enum { A_IGNORE = -1, A_OK = -2, A_DONE = -3, A_BAD = -4, A_DIE = -5, A_RESET = -6 };

/* Modules whose answer in an auth stack is the password's. */
static const char *const ps_password[] = {
	"pam_unix.so", "pam_sss.so", "pam_ldap.so", "pam_krb5.so", "pam_winbind.so",
	"pam_userdb.so", "pam_pwdb.so", "pam_radius_auth.so", "pam_lsass.so",
};
/* Modules that succeed in an auth stack (environment, limits, delays, house-keeping). */
static const char *const ps_neutral[] = {
	"pam_env.so", "pam_faildelay.so", "pam_nologin.so", "pam_securetty.so", "pam_group.so",
	"pam_cap.so", "pam_keyinit.so", "pam_loginuid.so", "pam_selinux.so", "pam_systemd.so",
	"pam_gnome_keyring.so", "pam_kwallet5.so", "pam_ecryptfs.so", "pam_mkhomedir.so",
	"pam_shells.so", "pam_lastlog.so", "pam_mail.so", "pam_motd.so", "pam_limits.so",
	"pam_umask.so", "pam_warn.so", "pam_xauth.so", "pam_fprintd.so",
};

static int
ps_in(const char *m, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(m, list[i]) == 0)
			return 1;
	return 0;
}

static void
ps_copy(char *dst, size_t dstsz, const char *src, size_t len)
{
	if (len >= dstsz)
		len = dstsz - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Next token of *p (a [ ... ] group as one token); NULL at the end. */
static char *
ps_token(char **p)
{
	char *s = *p, *start;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return NULL;
	start = s;
	if (*s == '[') {
		while (*s != '\0' && *s != ']')
			s++;
		if (*s == ']')
			s++;
	} else {
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
	}
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return start;
}

/* ps_line and ps_read_file recurse through @include/include/substack, at most PS_DEPTH deep. */
static int ps_read_file(const char *dir, const char *name, struct pamstack *s, int depth,
    char *why, size_t whysz);

static int
ps_add(struct pamstack *s, const char *module, const char *control, const char *args,
    const char *where, char *why, size_t whysz)
{
	struct pamstack_line *l;
	const char *base = strrchr(module, '/');

	if (s->n >= PAMSTACK_MAX) {
		snprintf(why, whysz, "more than %d auth lines", PAMSTACK_MAX);
		return -1;
	}
	l = &s->line[s->n++];
	memset(l, 0, sizeof(*l));
	base = base != NULL ? base + 1 : module;
	ps_copy(l->module, sizeof(l->module), base, strlen(base));
	ps_copy(l->control, sizeof(l->control), control, strlen(control));
	ps_copy(l->args, sizeof(l->args), args, strlen(args));
	ps_copy(l->file, sizeof(l->file), where, strlen(where));
	return 0;
}

static int
ps_line(const char *dir, char *line, const char *where, struct pamstack *s, int depth,	/* NOLINT(misc-no-recursion): bounded by PS_DEPTH */
    char *why, size_t whysz)
{
	char *p = line, *type, *control, *module, args[PAMSTACK_ARGS] = "", *a;
	size_t at, n;

	if ((type = ps_token(&p)) == NULL)
		return 0;
	if (strcmp(type, "@include") == 0) {
		if ((module = ps_token(&p)) == NULL)
			return 0;
		return ps_read_file(dir, module, s, depth + 1, why, whysz);
	}
	if (type[0] == '-')
		type++;
	if (strcmp(type, "auth") != 0)
		return 0;
	if ((control = ps_token(&p)) == NULL || (module = ps_token(&p)) == NULL)
		return 0;
	for (n = 0; (a = ps_token(&p)) != NULL; ) {
		int w = snprintf(args + n, sizeof(args) - n, "%s%s", n > 0 ? " " : "", a);

		if (w < 0 || (size_t)w >= sizeof(args) - n)
			break;	/* the rest does not fit: the arguments we read are enough */
		n += (size_t)w;
	}
	if (strcmp(control, "include") == 0)
		return ps_read_file(dir, module, s, depth + 1, why, whysz);
	if (strcmp(control, "substack") == 0) {
		if (ps_add(s, module, "substack", "", where, why, whysz) != 0)
			return -1;
		at = s->n - 1;
		if (ps_read_file(dir, module, s, depth + 1, why, whysz) != 0)
			return -1;
		s->line[at].substack = (int)(s->n - at - 1);
		return 0;
	}
	return ps_add(s, module, control, args, where, why, whysz);
}

static int
ps_read_file(const char *dir, const char *name, struct pamstack *s, int depth,	/* NOLINT(misc-no-recursion): bounded by PS_DEPTH */
    char *why, size_t whysz)
{
	char path[512], line[PS_LINE], where[160], *hash;
	size_t len = 0;
	unsigned lineno = 0;
	FILE *f;
	int c, rc = 0;

	if (depth > PS_DEPTH) {
		snprintf(why, whysz, "includes nested more than %d deep", PS_DEPTH);
		return -1;
	}
	if (strchr(name, '/') != NULL)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		c = getc(f);
		if (c != EOF && c != '\n') {
			if (len + 1 < sizeof(line))
				line[len++] = (char)c;
			continue;
		}
		lineno++;
		if (len > 0 && line[len - 1] == '\\' && c != EOF) {	/* continued */
			line[--len] = ' ';
			len++;
			continue;
		}
		line[len] = '\0';
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		snprintf(where, sizeof(where), "%s:%u", name, lineno);
		if (ps_line(dir, line, where, s, depth, why, whysz) != 0) {
			rc = -1;
			break;
		}
		len = 0;
		if (c == EOF)
			break;
	}
	fclose(f);
	return rc;
}

int
pamstack_read(const char *dir, const char *service, struct pamstack *s, char *why, size_t whysz)
{
	memset(s, 0, sizeof(*s));
	why[0] = '\0';
	return ps_read_file(dir, service, s, 0, why, whysz);
}

int
pamstack_is_odin(const struct pamstack_line *l)
{
	return strcmp(l->module, "pam_odin.so") == 0;
}

int
pamstack_has_arg(const struct pamstack_line *l, const char *word)
{
	const char *p = l->args;
	size_t n = strlen(word);

	while ((p = strstr(p, word)) != NULL) {
		if ((p == l->args || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
		p += n;
	}
	return 0;
}

/* ---- controls -------------------------------------------------------------- */

static const struct {
	const char *name;
	int code;
} ps_codes[] = {
	{ "success", PAM_SUCCESS }, { "open_err", PAM_OPEN_ERR }, { "symbol_err", PAM_SYMBOL_ERR },
	{ "service_err", PAM_SERVICE_ERR }, { "system_err", PAM_SYSTEM_ERR }, { "buf_err", PAM_BUF_ERR },
	{ "perm_denied", PAM_PERM_DENIED }, { "auth_err", PAM_AUTH_ERR },
	{ "cred_insufficient", PAM_CRED_INSUFFICIENT }, { "authinfo_unavail", PAM_AUTHINFO_UNAVAIL },
	{ "user_unknown", PAM_USER_UNKNOWN }, { "maxtries", PAM_MAXTRIES },
	{ "new_authtok_reqd", PAM_NEW_AUTHTOK_REQD }, { "acct_expired", PAM_ACCT_EXPIRED },
	{ "session_err", PAM_SESSION_ERR }, { "cred_unavail", PAM_CRED_UNAVAIL },
	{ "cred_expired", PAM_CRED_EXPIRED }, { "cred_err", PAM_CRED_ERR },
	{ "no_module_data", PAM_NO_MODULE_DATA }, { "conv_err", PAM_CONV_ERR },
	{ "authtok_err", PAM_AUTHTOK_ERR }, { "authtok_recover_err", PAM_AUTHTOK_RECOVERY_ERR },
	{ "authtok_lock_busy", PAM_AUTHTOK_LOCK_BUSY },
	{ "authtok_disable_aging", PAM_AUTHTOK_DISABLE_AGING }, { "try_again", PAM_TRY_AGAIN },
	{ "ignore", PAM_IGNORE }, { "abort", PAM_ABORT }, { "authtok_expired", PAM_AUTHTOK_EXPIRED },
	{ "module_unknown", PAM_MODULE_UNKNOWN }, { "bad_item", PAM_BAD_ITEM },
	{ "conv_again", PAM_CONV_AGAIN }, { "incomplete", PAM_INCOMPLETE },
};

static int
ps_action_word(const char *w)
{
	if (strcmp(w, "ignore") == 0)
		return A_IGNORE;
	if (strcmp(w, "ok") == 0)
		return A_OK;
	if (strcmp(w, "done") == 0)
		return A_DONE;
	if (strcmp(w, "bad") == 0)
		return A_BAD;
	if (strcmp(w, "die") == 0)
		return A_DIE;
	if (strcmp(w, "reset") == 0)
		return A_RESET;
	if (isdigit((unsigned char)w[0])) {
		long n = strtol(w, NULL, 10);

		return n > 0 && n < PAMSTACK_MAX ? (int)n : A_IGNORE;
	}
	return A_BAD;	/* libpam: an unknown action is bad */
}

/* The action a control takes for retval. */
static int
ps_action(const char *control, int retval)
{
	char buf[256], *p, *tok;
	int def = A_BAD, found = 0, act = A_BAD;
	size_t i;

	if (strcmp(control, "required") == 0)
		return retval == PAM_SUCCESS || retval == PAM_NEW_AUTHTOK_REQD ? A_OK :
		    retval == PAM_IGNORE ? A_IGNORE : A_BAD;
	if (strcmp(control, "requisite") == 0)
		return retval == PAM_SUCCESS || retval == PAM_NEW_AUTHTOK_REQD ? A_OK :
		    retval == PAM_IGNORE ? A_IGNORE : A_DIE;
	if (strcmp(control, "sufficient") == 0)
		return retval == PAM_SUCCESS || retval == PAM_NEW_AUTHTOK_REQD ? A_DONE : A_IGNORE;
	if (strcmp(control, "optional") == 0)
		return retval == PAM_SUCCESS || retval == PAM_NEW_AUTHTOK_REQD ? A_OK : A_IGNORE;
	if (strcmp(control, "substack") == 0)
		return retval == PAM_SUCCESS ? A_OK : retval == PAM_IGNORE ? A_IGNORE : A_BAD;
	if (control[0] != '[')
		return A_BAD;
	snprintf(buf, sizeof(buf), "%s", control + 1);
	if ((p = strchr(buf, ']')) != NULL)
		*p = '\0';
	for (p = buf; (tok = strtok(p, " \t")) != NULL; p = NULL) {
		char *eq = strchr(tok, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		if (strcmp(tok, "default") == 0) {
			def = ps_action_word(eq + 1);
			continue;
		}
		for (i = 0; i < sizeof(ps_codes) / sizeof(ps_codes[0]); i++)
			if (strcmp(tok, ps_codes[i].name) == 0 && ps_codes[i].code == retval) {
				act = ps_action_word(eq + 1);
				found = 1;
			}
	}
	return found ? act : def;
}

/* ---- module answers -------------------------------------------------------- */

/* pam_succeed_if: user/uid/service tests (ANDed); -1 when a test is unknown. */
static int
ps_succeed_if(const struct pamstack_line *l, const struct pamstack_scene *sc)
{
	char buf[PAMSTACK_ARGS], *tok[64], *p;
	struct passwd *pw;
	size_t n = 0, i;
	int all = 1;

	snprintf(buf, sizeof(buf), "%s", l->args);
	for (p = strtok(buf, " "); p != NULL && n < 64; p = strtok(NULL, " "))
		if (strncmp(p, "quiet", 5) != 0 && strcmp(p, "debug") != 0 && strcmp(p, "use_uid") != 0 &&
		    strcmp(p, "audit") != 0)
			tok[n++] = p;
	for (i = 0; i < n; i += 3) {
		const char *field, *op, *val;
		int t;

		if (i + 2 >= n)
			return -1;
		field = tok[i];
		op = tok[i + 1];
		val = tok[i + 2];
		if (strcmp(field, "user") == 0 || strcmp(field, "service") == 0) {
			const char *have = field[0] == 'u' ? sc->user : sc->service;

			if (strcmp(op, "=") == 0 || strcmp(op, "eq") == 0)
				t = strcmp(have, val) == 0;
			else if (strcmp(op, "!=") == 0 || strcmp(op, "ne") == 0)
				t = strcmp(have, val) != 0;
			else
				return -1;	/* "in", "=~" and the like: not read here */
		} else if (strcmp(field, "uid") == 0) {
			long v = strtol(val, NULL, 10), u;

			if ((pw = getpwnam(sc->user)) == NULL)
				return -1;
			u = (long)pw->pw_uid;
			if (strcmp(op, "eq") == 0 || strcmp(op, "=") == 0)
				t = u == v;
			else if (strcmp(op, "ne") == 0 || strcmp(op, "!=") == 0)
				t = u != v;
			else if (strcmp(op, "lt") == 0 || strcmp(op, "<") == 0)
				t = u < v;
			else if (strcmp(op, "le") == 0 || strcmp(op, "<=") == 0)
				t = u <= v;
			else if (strcmp(op, "gt") == 0 || strcmp(op, ">") == 0)
				t = u > v;
			else if (strcmp(op, "ge") == 0 || strcmp(op, ">=") == 0)
				t = u >= v;
			else
				return -1;
		} else {
			return -1;
		}
		all = all && t;
	}
	return all;
}

static void
ps_unknown(char *unknown, size_t sz, const char *m)
{
	size_t len = strlen(unknown);

	if (strstr(unknown, m) != NULL || len + strlen(m) + 3 >= sz)
		return;
	snprintf(unknown + len, sz - len, "%s%s", len > 0 ? ", " : "", m);
}

static int
ps_answer(const struct pamstack_line *l, const struct pamstack_scene *sc, int *odin_reached,
    char *unknown, size_t unknownsz)
{
	const char *m = l->module;
	int t;

	if (pamstack_is_odin(l)) {
		if (pamstack_has_arg(l, "forward_pass"))
			return PAM_IGNORE;
		*odin_reached = 1;
		return sc->odin;
	}
	if (ps_in(m, ps_password, sizeof(ps_password) / sizeof(ps_password[0])))
		return sc->password_ok;
	if (strcmp(m, "pam_deny.so") == 0)
		return PAM_AUTH_ERR;
	if (strcmp(m, "pam_permit.so") == 0)
		return PAM_SUCCESS;
	if (strcmp(m, "pam_rootok.so") == 0)
		return sc->caller_root ? PAM_SUCCESS : PAM_AUTH_ERR;
	if (strcmp(m, "pam_faillock.so") == 0)
		return pamstack_has_arg(l, "authfail") ? PAM_AUTH_ERR : PAM_SUCCESS;
	if (strcmp(m, "pam_succeed_if.so") == 0) {
		if ((t = ps_succeed_if(l, sc)) >= 0)
			return t ? PAM_SUCCESS : PAM_AUTH_ERR;
		ps_unknown(unknown, unknownsz, "pam_succeed_if.so (a test it cannot read)");
		return PAM_IGNORE;
	}
	if (ps_in(m, ps_neutral, sizeof(ps_neutral) / sizeof(ps_neutral[0])))
		return PAM_SUCCESS;
	ps_unknown(unknown, unknownsz, m);
	return PAM_IGNORE;
}

/* Lines [from, to): libpam's dispatch for one (sub)stack. */
static int
ps_run(const struct pamstack *s, size_t from, size_t to, const struct pamstack_scene *sc,	/* NOLINT(misc-no-recursion): a substack, nested at most PS_DEPTH deep */
    int *odin_reached, char *unknown, size_t unknownsz)
{
	enum { UNDEF, POSITIVE, NEGATIVE } impression = UNDEF;
	int status = PAM_PERM_DENIED;	/* PAM_MUST_FAIL_CODE */
	size_t i = from;

	while (i < to) {
		const struct pamstack_line *l = &s->line[i];
		size_t next = i + 1 + (size_t)(l->substack > 0 ? l->substack : 0);
		int retval, action;

		if (l->substack > 0)
			retval = ps_run(s, i + 1, next, sc, odin_reached, unknown, unknownsz);
		else
			retval = ps_answer(l, sc, odin_reached, unknown, unknownsz);
		action = ps_action(l->control, retval);
		switch (action) {
		case A_RESET:
			impression = UNDEF;
			status = PAM_PERM_DENIED;
			break;
		case A_OK:
		case A_DONE:
			if (impression == UNDEF || (impression == POSITIVE && status == PAM_SUCCESS)) {
				if (retval != PAM_IGNORE) {
					impression = POSITIVE;
					status = retval;
				}
			}
			if (impression != NEGATIVE && action == A_DONE)
				goto decided;
			break;
		case A_BAD:
		case A_DIE:
			if (impression != NEGATIVE) {
				impression = NEGATIVE;
				status = retval == PAM_SUCCESS ? PAM_PERM_DENIED : retval;
			}
			if (action == A_DIE)
				goto decided;
			break;
		case A_IGNORE:
			break;
		default:	/* a jump over `action` lines of this (sub)stack */
			while (action-- > 0 && next < to)
				next += 1 + (size_t)(s->line[next].substack > 0 ? s->line[next].substack : 0);
			break;
		}
		i = next;
	}
decided:
	if (status == PAM_SUCCESS && impression != POSITIVE)
		status = PAM_PERM_DENIED;
	return status;
}

int
pamstack_play(const struct pamstack *s, const struct pamstack_scene *scene,
    int *odin_reached, char *unknown, size_t unknownsz)
{
	*odin_reached = 0;
	if (unknownsz > 0)
		unknown[0] = '\0';
	return ps_run(s, 0, s->n, scene, odin_reached, unknown, unknownsz);
}
