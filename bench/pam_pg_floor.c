/* SPDX-License-Identifier: ISC */
/*
 * bench/pam_pg_floor.c -- the connection floor of the postgresql backend,
 * as a PAM module: what any module that asks a database must do at least.
 * It asks for the code (the same conversation as pam_odin), connects with
 * libpq as pam_odin's plugin does (the conninfo on the first line of
 * conninfo_file=PATH, the password on the first line of password_file=PATH,
 * and the plugin's application_name and client_encoding, which a pooler
 * would otherwise SET on its server connection whenever a login of the
 * other kind used it last),
 * runs SELECT 1, disconnects and says yes to any code.  With "row" it
 * reads the user's row with its backup codes instead (the statement
 * pam_odin's plugin reads a record with), the floor of any design that
 * looks at the row at all; with "row write" it then also commits one
 * UPDATE of that row (a durable change, as a login that counts or
 * accepts must make); with "fn" it calls odin_bench_floor(user) instead,
 * a SECURITY DEFINER plpgsql function that locks the row and commits one
 * UPDATE of it (bench/pg.sh makes it): the floor of any design where the
 * database itself judges, on a fresh connection; with "row two" it reads
 * the row and then runs CALL odin_bench_floor2(user) (bench/pg.sh makes
 * it), a procedure that locks the row and commits one UPDATE of it without
 * waiting for the disk, then locks it again and commits a second UPDATE
 * durably: the floor of server mode's protocol (a count committed before
 * its verdict, then the verdict durable).  It verifies nothing: a
 * benchmark column only (bench/pg.sh builds it; never install it).  pam_odin's login on
 * postgresql minus this is the cost of its own statements and checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <security/pam_appl.h>
#include <security/pam_modules.h>

/* The first line of path into buf; 0 or -1. */
static int
first_line(const char *path, char *buf, size_t bufsz)
{
	FILE *f;
	int ok;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return -1;
	ok = fgets(buf, (int)bufsz, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	const struct pam_conv *conv;
	const struct pam_message msg = { PAM_PROMPT_ECHO_OFF, "Verification code: " };
	const struct pam_message *pmsg = &msg;
	struct pam_response *resp = NULL;
	const char *cpath = NULL, *ppath = NULL, *user = NULL;
	int row = 0, write = 0, fn = 0, two = 0;
	const char *kw[5] = { "dbname", "password", "application_name", "client_encoding", NULL };
	const char *val[5];
	char conninfo[1024], password[256];
	PGconn *c;
	PGresult *res;
	int ok;

	(void)flags;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conninfo_file=", 14) == 0)
			cpath = argv[i] + 14;
		else if (strncmp(argv[i], "password_file=", 14) == 0)
			ppath = argv[i] + 14;
		else if (strcmp(argv[i], "row") == 0)
			row = 1;
		else if (strcmp(argv[i], "write") == 0)
			write = 1;
		else if (strcmp(argv[i], "fn") == 0)
			fn = 1;
		else if (strcmp(argv[i], "two") == 0)
			two = 1;
	}
	if (first_line(cpath, conninfo, sizeof(conninfo)) != 0 ||
	    first_line(ppath, password, sizeof(password)) != 0)
		return PAM_AUTHINFO_UNAVAIL;
	if (pam_get_item(ph, PAM_CONV, (const void **)&conv) != PAM_SUCCESS || conv == NULL ||
	    conv->conv(1, &pmsg, &resp, conv->appdata_ptr) != PAM_SUCCESS || resp == NULL)
		return PAM_CONV_ERR;
	if (resp->resp != NULL) {
		memset(resp->resp, 0, strlen(resp->resp));
		free(resp->resp);
	}
	free(resp);
	val[0] = conninfo;	/* dbname as a conninfo string: expanded by libpq */
	val[1] = password;
	val[2] = "odin-mfa";	/* store_pg.c: pg_pinned */
	val[3] = "SQL_ASCII";
	val[4] = NULL;
	c = PQconnectdbParams(kw, val, 1);
	ok = c != NULL && PQstatus(c) == CONNECTION_OK;
	if (ok && (row || fn) && (pam_get_user(ph, &user, NULL) != PAM_SUCCESS || user == NULL))
		ok = 0;
	if (ok && fn) {
		const char *v[1] = { user };

		res = PQexecParams(c, "SELECT odin_bench_floor($1::text)", 1, NULL, v, NULL, NULL, 0);
		ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
		PQclear(res);
	} else if (ok && row) {
		const char *v[1] = { user };

		res = PQexecParams(c, "SELECT mfa_enabled, mfa_secret, algorithm, digits, period,"
		    " last_step, failures, lockout_until, lockout_count, backup_kdf, backup_iter,"
		    " encode(backup_salt, 'hex'), created, updated, (SELECT string_agg(encode(b.hash,"
		    " 'hex'), ',' ORDER BY b.idx) FROM backup_codes b WHERE b.user_name = u.user_name),"
		    " bypass, enroll_token FROM users u WHERE user_name = $1", 1, NULL, v, NULL, NULL, 0);
		ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
		PQclear(res);
		if (ok && write) {
			res = PQexecParams(c, "UPDATE users SET updated = updated WHERE user_name = $1",
			    1, NULL, v, NULL, NULL, 0);
			ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
			PQclear(res);
		} else if (ok && two) {
			res = PQexecParams(c, "CALL odin_bench_floor2($1::text)", 1, NULL, v, NULL, NULL, 0);
			ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
			PQclear(res);
		}
	} else if (ok) {
		res = PQexec(c, "SELECT 1");
		ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
	}
	PQfinish(c);
	memset(password, 0, sizeof(password));
	return ok ? PAM_SUCCESS : PAM_AUTHINFO_UNAVAIL;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	(void)ph;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
