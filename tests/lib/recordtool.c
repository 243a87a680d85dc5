/* SPDX-License-Identifier: ISC */
/*
 * recordtool: lets the shell suites (tests/pam_odin.test, tests/cli_*.sh)
 * create and inspect records through common/ on whatever backend the
 * configuration names, instead of touching STORE/users/USER; that is what
 * makes them runnable against postgresql (ODIN_TEST_BACKEND).  Test use
 * only: `cat` prints the record text with the secret in clear.
 *
 *   recordtool CONFIG init              create the schema (postgresql)
 *   recordtool CONFIG wipe              delete every record
 *   recordtool CONFIG put USER < TEXT   store the record text (record.h)
 *   recordtool CONFIG cat USER          print the record text
 *   recordtool CONFIG get USER FIELD    print one field ("backup": the count)
 *   recordtool CONFIG exists USER       exit 0 if there is a record, else 1
 *   recordtool CONFIG del USER          delete the record (exit 1 if none)
 *   recordtool CONFIG dump              every record's text, by user name
 *
 * Exit 0 on success, 1 for "no such record", 2 for any error (printed).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "record.h"
#include "secure.h"
#include "store.h"

#define RT_USERS_MAX 4096

static void
rt_sink(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	if (prio <= LOG_WARNING)
		fprintf(stderr, "recordtool: %s\n", msg);
}

static int
rt_fail(const char *what, int e)
{
	fprintf(stderr, "recordtool: %s: %s\n", what, odin_strerror(e));
	return 2;
}

/* Prints user's record text (or one field of it); 1 if there is none. */
static int
rt_show(struct odin_store *st, const char *user, const char *field)
{
	struct odin_txn *t = NULL;
	struct odin_record r;
	char *text = NULL, *line, *save = NULL;
	size_t len = 0, flen;
	unsigned nb = 0;
	int e;

	e = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &t, &r);
	odin_store_unlock(t);
	if (e == ODIN_ENOENT)
		return 1;
	if (e != ODIN_OK)
		return rt_fail(user, e);
	e = odin_record_format(&r, &text, &len);
	odin_record_wipe(&r);
	if (e != ODIN_OK)
		return rt_fail(user, e);
	if (field == NULL) {
		fwrite(text, 1, len, stdout);
		odin_record_text_free(text);
		return 0;
	}
	flen = strlen(field);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, field, flen) != 0 || line[flen] != ' ')
			continue;
		if (strcmp(field, "backup") == 0)
			nb++;
		else {
			printf("%s\n", line + flen + 1);
			break;
		}
	}
	if (strcmp(field, "backup") == 0)
		printf("%u\n", nb);
	odin_record_text_free(text);
	return 0;
}

static int
rt_put(struct odin_store *st, const char *user)
{
	char buf[ODIN_RECORD_MAX + 1];
	struct odin_txn *t = NULL;
	struct odin_record r, old;
	size_t len;
	int e;

	len = fread(buf, 1, sizeof(buf), stdin);
	if (len == 0 || len > ODIN_RECORD_MAX)
		return rt_fail("record text on stdin", ODIN_ETOOBIG);
	e = odin_record_parse(buf, len, &r);
	odin_wipe(buf, sizeof(buf));
	if (e != ODIN_OK)
		return rt_fail("record text on stdin", e);
	e = odin_store_lock(st, user, 0, &t, &old);
	odin_record_wipe(&old);
	if (e == ODIN_OK || e == ODIN_ENOENT)
		e = odin_store_save(t, &r, 0);
	odin_store_unlock(t);
	odin_record_wipe(&r);
	return e == ODIN_OK ? 0 : rt_fail(user, e);
}

static int
rt_del(struct odin_store *st, const char *user)
{
	struct odin_txn *t = NULL;
	struct odin_record r;
	int e;

	e = odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &t, &r);
	odin_record_wipe(&r);
	if (e == ODIN_OK)
		e = odin_store_delete(t);
	odin_store_unlock(t);
	if (e == ODIN_ENOENT)
		return 1;
	return e == ODIN_OK ? 0 : rt_fail(user, e);
}

struct rt_list {
	char *names[RT_USERS_MAX];
	unsigned n;
};

static int
rt_collect(const char *user, void *ctx)
{
	struct rt_list *l = ctx;

	if (l->n >= RT_USERS_MAX || (l->names[l->n] = strdup(user)) == NULL)
		return 1;
	l->n++;
	return 0;
}

static int
rt_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* wipe: delete each record; dump: print "user USER" and its text for each. */
static int
rt_all(struct odin_store *st, int wipe)
{
	static struct rt_list l;
	unsigned i;
	int e, rc = 0;

	l.n = 0;
	e = odin_store_list(st, rt_collect, &l);
	if (e != ODIN_OK)
		rc = rt_fail("list", e == 1 ? ODIN_ENOMEM : e);
	if (l.n > 1)
		qsort(l.names, l.n, sizeof(l.names[0]), rt_cmp);
	for (i = 0; i < l.n; i++) {
		if (rc == 0 && wipe)
			rc = rt_del(st, l.names[i]) == 2 ? 2 : 0;
		else if (rc == 0) {
			printf("user %s\n", l.names[i]);
			rc = rt_show(st, l.names[i], NULL) == 2 ? 2 : 0;
		}
		free(l.names[i]);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct odin_config cfg;
	struct odin_store *st = NULL;
	const char *cmd;
	int e, rc = 2;

	odin_log_set_sink(rt_sink, NULL);
	if (argc < 3) {
		fprintf(stderr, "usage: recordtool CONFIG init|wipe|dump|put|cat|get|exists|del [USER [FIELD]]\n");
		return 2;
	}
	cmd = argv[2];
	odin_config_defaults(&cfg);
	if ((e = odin_config_load(argv[1], &cfg)) != ODIN_OK)
		return rt_fail(argv[1], e);
	if ((e = odin_store_open_config(&cfg, &st)) != ODIN_OK)
		return rt_fail("store", e);
	if (strcmp(cmd, "init") == 0 && argc == 3) {
		e = odin_store_init(st);
		rc = e == ODIN_OK || e == ODIN_ENOTSUP ? 0 : rt_fail("init", e);
	} else if (strcmp(cmd, "wipe") == 0 && argc == 3) {
		rc = rt_all(st, 1);
	} else if (strcmp(cmd, "dump") == 0 && argc == 3) {
		rc = rt_all(st, 0);
	} else if (strcmp(cmd, "put") == 0 && argc == 4) {
		rc = rt_put(st, argv[3]);
	} else if (strcmp(cmd, "cat") == 0 && argc == 4) {
		rc = rt_show(st, argv[3], NULL);
	} else if (strcmp(cmd, "exists") == 0 && argc == 4) {
		struct odin_txn *t = NULL;
		struct odin_record r;

		e = odin_store_lock(st, argv[3], ODIN_LOCK_IF_EXISTS, &t, &r);
		odin_store_unlock(t);
		odin_record_wipe(&r);
		rc = e == ODIN_OK ? 0 : e == ODIN_ENOENT ? 1 : rt_fail(argv[3], e);
	} else if (strcmp(cmd, "get") == 0 && argc == 5) {
		rc = rt_show(st, argv[3], argv[4]);
	} else if (strcmp(cmd, "del") == 0 && argc == 4) {
		rc = rt_del(st, argv[3]);
	} else {
		fprintf(stderr, "recordtool: bad command\n");
	}
	odin_store_close(st);
	fflush(stdout);
	return rc;
}
