/* SPDX-License-Identifier: ISC */
/*
 * check: every PAM service that uses pam_odin, played through (pamstack.c)
 * for the logins that matter: a user with MFA and the right or a wrong
 * code, a user without a record, a wrong password, root on the console
 * when the store cannot be used, and a forward_pass line without its check.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "doctor_pam.h"
#include "pamstack.h"

static const char *
dr_code(int rv)
{
	return rv == PAM_SUCCESS ? "success" : rv == PAM_PERM_DENIED ? "denied (no module decided)" :
	    rv == PAM_AUTH_ERR ? "denied" : rv == PAM_AUTHINFO_UNAVAIL ? "denied (store unusable)" :
	    rv == PAM_IGNORE ? "ignored" : "denied";
}

static int
dr_play(const struct pamstack *s, const char *service, const char *user, int pw, int odin,
    int *reached, char *unknown, size_t unknownsz)
{
	struct pamstack_scene sc;

	sc.user = user;
	sc.service = service;
	sc.caller_root = 0;	/* a user runs su, sudo, chfn: pam_rootok does not let them past */
	sc.password_ok = pw;
	sc.odin = odin;
	return pamstack_play(s, &sc, reached, unknown, unknownsz);
}

static int
dr_has_password_module(const struct pamstack *s)
{
	static const char *const pw[] = { "pam_unix.so", "pam_sss.so", "pam_ldap.so", "pam_krb5.so",
	    "pam_winbind.so" };
	size_t i, k;

	for (i = 0; i < s->n; i++)
		for (k = 0; k < sizeof(pw) / sizeof(pw[0]); k++)
			if (strcmp(s->line[i].module, pw[k]) == 0)
				return 1;
	return 0;
}

static void
dr_service(struct doctor *d, const char *service, const struct pamstack *s)
{
	char unknown[256], area[24];
	size_t i, fwd = s->n, checked = 0;
	int reached, rv, problems = 0;

	snprintf(area, sizeof(area), "pam %.19s", service);
	for (i = 0; i < s->n; i++) {
		if (!pamstack_is_odin(&s->line[i]))
			continue;
		if (pamstack_has_arg(&s->line[i], "forward_pass")) {
			if (fwd == s->n)
				fwd = i;
		} else if (fwd < i) {
			checked = 1;
		}
	}
	if (fwd < s->n && !checked) {
		dr_add(d, DR_ERROR, area, "%s: pam_odin forward_pass cuts the code off, but no pam_odin line "
		    "after the password module checks it: the password alone gets in", s->line[fwd].file);
		problems++;
	}
	/* a user with a record, right code / wrong code */
	rv = dr_play(s, service, "odin-check-user", PAM_SUCCESS, PAM_SUCCESS, &reached, unknown, sizeof(unknown));
	if (rv != PAM_SUCCESS) {
		dr_add(d, DR_ERROR, area, "a user with MFA is %s even with the right password and code", dr_code(rv));
		problems++;
	}
	rv = dr_play(s, service, "odin-check-user", PAM_SUCCESS, PAM_AUTH_ERR, &reached, unknown, sizeof(unknown));
	if (rv == PAM_SUCCESS) {
		dr_add(d, DR_ERROR, area, "a wrong code gets in: nothing in the stack acts on pam_odin's answer");
		problems++;
	}
	/* a user without a record */
	rv = dr_play(s, service, "odin-check-user", PAM_SUCCESS, PAM_IGNORE, &reached, unknown, sizeof(unknown));
	if (rv != PAM_SUCCESS) {
		dr_add(d, DR_ERROR, area, "a user without a record is %s (pam_odin answers PAM_IGNORE and "
		    "nothing else lets them in): add 'auth required pam_permit.so' after pam_odin, with "
		    "pam_odin as [success=done ignore=ignore default=die] (see pam_odin(8), EXAMPLES)",
		    dr_code(rv));
		problems++;
	}
	/* a wrong password */
	if (dr_has_password_module(s)) {
		(void)dr_play(s, service, "odin-check-user", PAM_AUTH_ERR, PAM_AUTH_ERR, &reached,
		    unknown, sizeof(unknown));
		if (reached) {
			dr_add(d, DR_WARN, area, "a wrong password still reaches pam_odin: its prompt, the "
			    "lockout and in-login enrollment are open to anyone; make the password module "
			    "'requisite'");
			problems++;
		}
	}
	/* root on the console when the store cannot be used */
	if (strcmp(service, "login") == 0) {
		rv = dr_play(s, service, "root", PAM_SUCCESS, PAM_AUTHINFO_UNAVAIL, &reached,
		    unknown, sizeof(unknown));
		if (rv != PAM_SUCCESS) {
			dr_add(d, DR_ERROR, area, "root's console login goes through pam_odin: if the store "
			    "cannot be used (a full disk, an unmounted volume) root is locked out too; put "
			    "'auth [success=1 default=ignore] pam_succeed_if.so service = login user = root "
			    "quiet' just before pam_odin");
			problems++;
		}
	}
	if (unknown[0] != '\0')
		dr_add(d, DR_WARN, area, "taken as neutral (not known to check): %s", unknown);
	if (problems == 0)
		dr_add(d, DR_OK, area, "a user with MFA is asked after the password; without a record, "
		    "the password alone; a wrong code is refused");
}

void
dr_pam(struct doctor *d)
{
	struct pamstack *s;
	struct dirent *de;
	char why[256];
	DIR *dir;

	if ((dir = opendir(DR_PAM_DIR)) == NULL) {
		dr_add(d, DR_WARN, "pam", "%s: %s", DR_PAM_DIR, strerror(errno));
		return;
	}
	if ((s = malloc(sizeof(*s))) == NULL) {
		closedir(dir);
		dr_add(d, DR_ERROR, "pam", "out of memory");
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t i;
		int uses = 0;

		if (de->d_name[0] == '.' || strncmp(de->d_name, "common-", 7) == 0 ||
		    strchr(de->d_name, '~') != NULL || strstr(de->d_name, ".dpkg-") != NULL)
			continue;
		if (pamstack_read(DR_PAM_DIR, de->d_name, s, why, sizeof(why)) != 0) {
			dr_add(d, DR_WARN, "pam", "%s: cannot read its auth stack: %s", de->d_name, why);
			continue;
		}
		for (i = 0; i < s->n; i++)
			uses |= pamstack_is_odin(&s->line[i]);
		if (!uses)
			continue;
		d->odin_services++;
		if (strcmp(de->d_name, "sshd") == 0)
			d->sshd_uses_odin = 1;
		dr_service(d, de->d_name, s);
	}
	closedir(dir);
	free(s);
	if (d->odin_services == 0)
		dr_add(d, DR_WARN, "pam", "no service in %s uses pam_odin: nobody is asked for a code",
		    DR_PAM_DIR);
}

