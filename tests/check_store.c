/* SPDX-License-Identifier: ISC */
/*
 * The files store: safety refusals leave everything as it was, atomic
 * replace, stale temporaries, delete wipes, list, and no lost update under
 * 32 concurrent writers.  Runs as root against a temporary store.
 */
#include "autoconfig.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "record.h"
#include "secure.h"
#include "slots.h"
#include "store_backend.h"	/* the plugin loader's own checks */

static char root[64];		/* the temp dir; the store is root/s */
static char sdir[160];

static void
quiet(void *ctx, int prio, const char *msg)
{
	(void)ctx; (void)prio; (void)msg;
}

static void
setup(void)
{
	odin_log_set_sink(quiet, NULL);
	snprintf(root, sizeof(root), "/tmp/odin-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(chmod(root, 0700), 0);
	snprintf(sdir, sizeof(sdir), "%s/s", root);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
}

static void
path(char *out, size_t outsz, const char *rel)
{
	int n = snprintf(out, outsz, "%s/%s", sdir, rel);

	ck_assert(n > 0 && (size_t)n < outsz);
}

/* Everything that could change about a file or directory entry. */
struct snap {
	int exists;
	struct stat sb;
	char data[16384];
	ssize_t len;
	char names[2048];	/* directories: sorted entry names */
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
take(struct snap *s, const char *rel)
{
	char p[256];
	int fd;

	memset(s, 0, sizeof(*s));
	path(p, sizeof(p), rel);
	if (lstat(p, &s->sb) != 0) {
		ck_assert_int_eq(errno, ENOENT);
		return;
	}
	s->exists = 1;
	s->sb.st_atim.tv_sec = s->sb.st_atim.tv_nsec = 0;
	if (S_ISREG(s->sb.st_mode) && s->sb.st_size <= (off_t)sizeof(s->data)) {
		fd = open(p, O_RDONLY | O_NOATIME);
		ck_assert_int_ge(fd, 0);
		s->len = read(fd, s->data, sizeof(s->data));
		close(fd);
	} else if (S_ISDIR(s->sb.st_mode)) {
		char *v[64];
		size_t n = 0, i;
		DIR *d = opendir(p);
		struct dirent *de;

		ck_assert_ptr_nonnull(d);
		while ((de = readdir(d)) != NULL && n < 64)
			v[n++] = strdup(de->d_name);
		closedir(d);
		qsort(v, n, sizeof(v[0]), name_cmp);
		for (i = 0; i < n; i++) {
			strncat(s->names, v[i], sizeof(s->names) - strlen(s->names) - 2);
			strcat(s->names, "/");
			free(v[i]);
		}
	}
}

static void
same(const struct snap *a, const struct snap *b, const char *what)
{
	ck_assert_msg(a->exists == b->exists, "%s: existence changed", what);
	if (!a->exists)
		return;
	ck_assert_msg(a->sb.st_ino == b->sb.st_ino, "%s: inode changed", what);
	ck_assert_msg(a->sb.st_mode == b->sb.st_mode, "%s: mode changed", what);
	ck_assert_msg(a->sb.st_uid == b->sb.st_uid, "%s: owner changed", what);
	ck_assert_msg(a->sb.st_nlink == b->sb.st_nlink, "%s: link count changed", what);
	ck_assert_msg(a->sb.st_size == b->sb.st_size, "%s: size changed", what);
	ck_assert_msg(a->sb.st_mtim.tv_sec == b->sb.st_mtim.tv_sec &&
	    a->sb.st_mtim.tv_nsec == b->sb.st_mtim.tv_nsec, "%s: mtime changed", what);
	ck_assert_msg(a->len == b->len && memcmp(a->data, b->data, (size_t)a->len) == 0,
	    "%s: content changed", what);
	ck_assert_msg(strcmp(a->names, b->names) == 0, "%s: entries changed: %s -> %s",
	    what, a->names, b->names);
}

/* What admin db-init does for the files backend: odin_store_create(). */
static int
create_store(const char *dir)
{
	struct odin_config cfg;

	odin_config_defaults(&cfg);
	snprintf(cfg.store_dir, sizeof(cfg.store_dir), "%s", dir);
	return odin_store_create(&cfg);
}

static struct odin_store *
open_store(void)
{
	struct odin_store *st = NULL;

	ck_assert_int_eq(create_store(sdir), ODIN_OK);
	ck_assert_int_eq(odin_store_open(sdir, &st), ODIN_OK);
	ck_assert_ptr_nonnull(st);
	return st;
}

/* Creates or replaces user's record with last_step = step. */
static void
put(struct odin_store *st, const char *user, int64_t step)
{
	struct odin_txn *txn;
	struct odin_record r;
	int rc;

	rc = odin_store_lock(st, user, 0, &txn, &r);
	ck_assert(rc == ODIN_OK || rc == ODIN_ENOENT);
	ck_assert_ptr_nonnull(txn);
	if (rc == ODIN_ENOENT)
		odin_record_init(&r, 1700000000);
	r.last_step = step;
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);
	odin_store_unlock(txn);
}

static int64_t
get(struct odin_store *st, const char *user)
{
	struct odin_txn *txn;
	struct odin_record r;

	ck_assert_int_eq(odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	odin_store_unlock(txn);
	return r.last_step;
}

/*
 * Both lock modes refuse user's record with want; the record and users/
 * are unchanged, and so is locks/ after an IF_EXISTS attempt unless the
 * problem is only visible in the content (ECORRUPT: the lock comes first).
 */
static void
refused(struct odin_store *st, const char *user, int want, const char *logpart)
{
	struct snap rec0, rec1, users0, users1, locks0, locks1;
	struct odin_txn *txn = (struct odin_txn *)1;
	struct odin_record r;
	char rel[64];

	snprintf(rel, sizeof(rel), "users/%s", user);
	take(&rec0, rel);
	take(&users0, "users");
	take(&locks0, "locks");
	memset(&r, 0x5a, sizeof(r));
	ck_assert_int_eq(odin_store_lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, &r), want);
	ck_assert_ptr_null(txn);
	ck_assert_uint_eq(r.secret_len, 0);
	if (logpart != NULL)
		ck_assert_msg(strstr(odin_log_last(), logpart) != NULL,
		    "log \"%s\" lacks \"%s\"", odin_log_last(), logpart);
	take(&locks1, "locks");
	if (want != ODIN_ECORRUPT)
		same(&locks0, &locks1, "locks/ (IF_EXISTS)");
	/* the unlocked read refuses alike, and never touches locks/ */
	memset(&r, 0x5a, sizeof(r));
	ck_assert_int_eq(odin_store_peek(st, user, &r), want);
	ck_assert_uint_eq(r.secret_len, 0);
	if (logpart != NULL)
		ck_assert_msg(strstr(odin_log_last(), logpart) != NULL,
		    "peek: log \"%s\" lacks \"%s\"", odin_log_last(), logpart);
	take(&locks0, "locks");
	same(&locks1, &locks0, "locks/ (peek)");
	txn = (struct odin_txn *)1;
	ck_assert_int_eq(odin_store_lock(st, user, 0, &txn, &r), want);
	ck_assert_ptr_null(txn);
	take(&rec1, rel);
	take(&users1, "users");
	same(&rec0, &rec1, "record");
	same(&users0, &users1, "users/");
}

START_TEST(create_makes_layout)
{
	struct odin_store *st;
	struct stat sb;
	char p[256];

	/* made by a process of another group (su, sudo, the setuid CLI): still root:root */
	ck_assert_int_eq(setegid(65534), 0);
	st = open_store();
	ck_assert_int_eq(setegid(0), 0);
	ck_assert_int_eq(lstat(sdir, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0700);
	ck_assert(sb.st_uid == 0 && sb.st_gid == 0);
	path(p, sizeof(p), "users");
	ck_assert_int_eq(lstat(p, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode) && (sb.st_mode & 077) == 0 && sb.st_gid == 0);
	path(p, sizeof(p), "locks");
	ck_assert_int_eq(lstat(p, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode) && (sb.st_mode & 077) == 0 && sb.st_gid == 0);
	odin_store_close(st);
	/* Creating an existing store again checks it and changes nothing; reopening works. */
	odin_store_close(open_store());
}
END_TEST

START_TEST(save_load_round_trip)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r, back;
	char p[256], *text, file[ODIN_RECORD_MAX];
	size_t len;
	struct stat sb;
	int fd;

	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &txn, &r), ODIN_ENOENT);
	ck_assert_ptr_nonnull(txn);
	odin_record_init(&r, 1700000000);
	r.state = ODIN_STATE_ENABLED;
	r.secret_len = 20;
	ck_assert_int_eq(odin_random(r.secret, 20), ODIN_OK);
	r.last_step = 123;
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);
	odin_store_unlock(txn);

	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &back), ODIN_OK);
	ck_assert_int_eq(back.state, ODIN_STATE_ENABLED);
	ck_assert(memcmp(back.secret, r.secret, 20) == 0);
	ck_assert(back.last_step == 123);
	ck_assert(back.generation != 0);	/* a new record gets a generation of its own */
	odin_store_unlock(txn);

	/* the file is the record's text, with that generation */
	path(p, sizeof(p), "users/alice");
	ck_assert_int_eq(lstat(p, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode) && (sb.st_mode & 07777) == 0600 &&
	    sb.st_uid == 0 && sb.st_nlink == 1);
	ck_assert_int_eq(odin_record_format_gen(&r, back.generation, NULL, NULL, &text, &len), ODIN_OK);
	fd = open(p, O_RDONLY);
	ck_assert_int_eq(read(fd, file, sizeof(file)), (ssize_t)len);
	close(fd);
	ck_assert(memcmp(file, text, len) == 0);
	odin_record_text_free(text);
	/* and the state file is there, both slots long, still empty */
	path(p, sizeof(p), "locks/alice");
	ck_assert_int_eq(lstat(p, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode) && (sb.st_mode & 077) == 0 && sb.st_size == 128);
	odin_store_close(st);
}
END_TEST

START_TEST(absent_user)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	char p[256];
	struct stat sb;

	ck_assert_int_eq(odin_store_lock(st, "nobody1", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_ENOENT);
	ck_assert_ptr_null(txn);
	path(p, sizeof(p), "locks/nobody1");
	ck_assert_int_eq(lstat(p, &sb), -1);	/* no lock file created */
	ck_assert_int_eq(odin_store_lock(st, "nobody1", 0, &txn, &r), ODIN_ENOENT);
	ck_assert_ptr_nonnull(txn);		/* locked, so the caller may create */
	ck_assert_int_eq(odin_store_delete(txn), ODIN_ENOENT);
	odin_store_unlock(txn);
	path(p, sizeof(p), "users/nobody1");
	ck_assert_int_eq(lstat(p, &sb), -1);
	odin_store_close(st);
}
END_TEST

/*
 * odin_store_peek: reads while another holder has the lock (a flock would
 * block until the alarm kills the test), sees a save at once, and for a
 * user without a record creates nothing.
 */
START_TEST(peek_unlocked)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r, held;
	struct snap u0, u1, l0, l1;

	put(st, "alice", 7);
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &txn, &held), ODIN_OK);
	alarm(3);
	ck_assert_int_eq(odin_store_peek(st, "alice", &r), ODIN_OK);
	ck_assert(r.last_step == 7);
	held.last_step = 8;
	ck_assert_int_eq(odin_store_save(txn, &held, 0), ODIN_OK);
	ck_assert_int_eq(odin_store_peek(st, "alice", &r), ODIN_OK);
	ck_assert(r.last_step == 8);		/* the renamed-in record, still locked */
	alarm(0);
	odin_store_unlock(txn);
	odin_record_wipe(&held);

	take(&u0, "users");
	take(&l0, "locks");
	memset(&r, 0x5a, sizeof(r));
	ck_assert_int_eq(odin_store_peek(st, "nobody2", &r), ODIN_ENOENT);
	ck_assert_uint_eq(r.secret_len, 0);
	take(&u1, "users");
	take(&l1, "locks");
	same(&u0, &u1, "users/ (peek, no record)");
	same(&l0, &l1, "locks/ (peek, no record)");
	ck_assert_int_eq(odin_store_peek(st, "../alice", &r), ODIN_EBADNAME);
	ck_assert_int_eq(odin_store_peek(st, "alice", NULL), ODIN_EINVAL);
	ck_assert_int_eq(odin_store_peek(NULL, "alice", &r), ODIN_EINVAL);
	odin_store_close(st);
}
END_TEST

START_TEST(bad_user_names)
{
	static const char *const bad[] = {
		"a/b", "", "../../etc/passwd", "a b", "bob\n", "x:y", "tab\there", "del\177",
	};
	char toolong[ODIN_USER_MAX + 2];
	struct odin_store *st = open_store();
	struct snap u0, u1, l0, l1;
	struct odin_txn *txn;
	struct odin_record r;
	size_t i;

	memset(toolong, 'a', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	put(st, "alice", 1);
	take(&u0, "users");
	take(&l0, "locks");
	for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		const char *b = i < sizeof(bad) / sizeof(bad[0]) ? bad[i] : toolong;

		ck_assert_msg(!odin_user_valid(b), "valid: bad[%zu]", i);
		txn = (struct odin_txn *)1;
		ck_assert_msg(odin_store_lock(st, b, 0, &txn, &r) == ODIN_EBADNAME,
		    "accepted bad[%zu]", i);
		ck_assert_ptr_null(txn);
		ck_assert_int_eq(odin_store_lock(st, b, ODIN_LOCK_IF_EXISTS, &txn, &r),
		    ODIN_EBADNAME);
	}
	ck_assert_int_eq(odin_store_lock(st, NULL, 0, &txn, &r), ODIN_EBADNAME);
	take(&u1, "users");
	take(&l1, "locks");
	same(&u0, &u1, "users/");
	same(&l0, &l1, "locks/");
	/* The edges that are allowed. */
	toolong[ODIN_USER_MAX] = '\0';
	ck_assert(odin_user_valid(toolong));		/* 255 */
	ck_assert(odin_user_valid("a.b-c_D9"));
	ck_assert(odin_user_valid("x"));
	odin_store_close(st);
}
END_TEST

static int
collect_cb(const char *user, void *ctx)
{
	char *all = ctx;

	strcat(all, user);
	strcat(all, "|");
	return 0;
}

/*
 * Any name a user database hands out is a record of its own: directory
 * names, case, dots, dashes, UTF-8, '%', '\\' -- each one file in users/
 * (never ".", "..", a dot file or a path), listed back as itself.
 */
START_TEST(directory_names)
{
	static const char *const names[] = {
		"john.doe@corp.example", "CORP\\jdoe", "ALICE", "alice", "Alice", ".", "..",
		".hidden", "-rf", "al\303\257ce", "a%41", "a%2541", "x+y@z", "o'brien",
	};
	char longname[200], toolong[120], all[4096] = "", want[4096] = "", p[256];
	struct odin_store *st = open_store();
	struct dirent *de;
	struct odin_txn *txn;
	struct odin_record r;
	size_t i, n = sizeof(names) / sizeof(names[0]);
	DIR *d;

	memset(longname, 'q', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (i = 0; i < n; i++)
		put(st, names[i], (int64_t)i + 1);
	put(st, longname, 1000);
	for (i = 0; i < n; i++)
		ck_assert_msg(get(st, names[i]) == (int64_t)i + 1, "round trip of name %zu", i);
	ck_assert_int_eq(get(st, longname), 1000);
	/* valid, but its file name (each '\\' is 3 bytes) would pass NAME_MAX: refused cleanly */
	memset(toolong, '\\', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	ck_assert(odin_user_valid(toolong));
	ck_assert_int_eq(odin_store_lock(st, toolong, 0, &txn, &r), ODIN_EBADNAME);
	/* every record is one plain file name in users/, no dot file, nothing outside */
	path(p, sizeof(p), "users");
	d = opendir(p);
	ck_assert_ptr_nonnull(d);
	i = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_msg(de->d_name[0] != '.', "a record file name starts with a dot: %s", de->d_name);
		ck_assert(strchr(de->d_name, '/') == NULL);
		i++;
	}
	closedir(d);
	ck_assert_uint_eq(i, n + 1);
	/* listed back as themselves, and a plain old name is its own file name */
	ck_assert_int_eq(odin_store_list(st, collect_cb, all), ODIN_OK);
	for (i = 0; i < n; i++) {
		char one[300];

		snprintf(one, sizeof(one), "|%s|", names[i]);
		strcat(want, names[i]);
		ck_assert_msg(strstr(all, one) != NULL || strncmp(all, one + 1, strlen(one) - 1) == 0,
		    "not listed: name %zu in %s", i, all);
	}
	path(p, sizeof(p), "users/alice");
	ck_assert_int_eq(access(p, F_OK), 0);
	path(p, sizeof(p), "users/john.doe@corp.example");
	ck_assert_int_eq(access(p, F_OK), 0);
	odin_store_close(st);
}
END_TEST

START_TEST(symlink_record)
{
	struct odin_store *st = open_store();
	struct snap t0, t1;
	char p[256], target[256];

	put(st, "victim", 5);
	/* users/alice -> victim's record (valid, root, 0600): still refused. */
	path(p, sizeof(p), "users/alice");
	path(target, sizeof(target), "users/victim");
	ck_assert_int_eq(symlink(target, p), 0);
	take(&t0, "users/victim");
	refused(st, "alice", ODIN_EUNSAFE, "symlink");
	take(&t1, "users/victim");
	same(&t0, &t1, "symlink target");
	odin_store_close(st);
}
END_TEST

START_TEST(symlink_lock)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	struct snap t0, t1;
	char p[256], target[256];

	put(st, "alice", 5);
	path(p, sizeof(p), "locks/bob");
	snprintf(target, sizeof(target), "%s/outside", root);
	ck_assert_int_eq(symlink(target, p), 0);
	take(&t0, "locks");
	ck_assert_int_eq(odin_store_lock(st, "bob", 0, &txn, &r), ODIN_EUNSAFE);
	ck_assert_ptr_null(txn);
	take(&t1, "locks");
	same(&t0, &t1, "locks/");
	ck_assert_int_eq(access(target, F_OK), -1);	/* not created through the link */
	odin_store_close(st);
}
END_TEST

START_TEST(hard_link_record)
{
	struct odin_store *st = open_store();
	struct snap o0, o1;
	char p[256], other[256];

	put(st, "alice", 5);
	path(p, sizeof(p), "users/alice");
	snprintf(other, sizeof(other), "%s/s/elsewhere", root);
	ck_assert_int_eq(link(p, other), 0);
	take(&o0, "elsewhere");
	refused(st, "alice", ODIN_EUNSAFE, "2 links");
	take(&o1, "elsewhere");
	same(&o0, &o1, "hard-linked file");
	odin_store_close(st);
}
END_TEST

START_TEST(record_wrong_owner)
{
	struct odin_store *st = open_store();
	char p[256];

	put(st, "alice", 5);
	path(p, sizeof(p), "users/alice");
	ck_assert_int_eq(chown(p, 65534, 0), 0);
	refused(st, "alice", ODIN_EUNSAFE, "uid 65534");
	odin_store_close(st);
}
END_TEST

START_TEST(record_mode_0644)
{
	struct odin_store *st = open_store();
	char p[256];

	put(st, "alice", 5);
	path(p, sizeof(p), "users/alice");
	ck_assert_int_eq(chmod(p, 0644), 0);
	refused(st, "alice", ODIN_EUNSAFE, "0644");
	odin_store_close(st);
}
END_TEST

START_TEST(record_not_regular)
{
	struct odin_store *st = open_store();
	char p[256];

	path(p, sizeof(p), "users/fifo");
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	refused(st, "fifo", ODIN_EUNSAFE, "not a regular file");
	path(p, sizeof(p), "users/dir");
	ck_assert_int_eq(mkdir(p, 0700), 0);
	refused(st, "dir", ODIN_EUNSAFE, NULL);
	odin_store_close(st);
}
END_TEST

START_TEST(record_corrupt)
{
	struct odin_store *st = open_store();
	char p[256];
	int fd;

	path(p, sizeof(p), "users/alice");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "odin-mfa-record 1\nstate enabled\n", 32), 32);
	close(fd);
	refused(st, "alice", ODIN_ECORRUPT, "corrupt");
	odin_store_close(st);
}
END_TEST

/* admin disable's recovery path: a corrupt record can be locked for deletion only. */
START_TEST(corrupt_record_deletable)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn = NULL;
	struct odin_record r;
	char p[256];
	int fd;

	path(p, sizeof(p), "users/alice");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "odin-mfa-record 1\nstate enabled\n", 32), 32);
	close(fd);
	/* without the flag: an error and no lock */
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_ECORRUPT);
	ck_assert_ptr_null(txn);
	/* with it: locked, nothing loaded, and it can be removed */
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS | ODIN_LOCK_EVEN_CORRUPT,
	    &txn, &r), ODIN_ECORRUPT);
	ck_assert_ptr_nonnull(txn);
	ck_assert_uint_eq(r.secret_len, 0);
	ck_assert_int_eq(odin_store_delete(txn), ODIN_OK);
	odin_store_unlock(txn);
	ck_assert_int_eq(access(p, F_OK), -1);
	/* an unsafe record is never locked, flag or not */
	put(st, "bob", 5);
	path(p, sizeof(p), "users/bob");
	ck_assert_int_eq(chmod(p, 0644), 0);
	txn = NULL;
	ck_assert_int_eq(odin_store_lock(st, "bob", ODIN_LOCK_IF_EXISTS | ODIN_LOCK_EVEN_CORRUPT,
	    &txn, &r), ODIN_EUNSAFE);
	ck_assert_ptr_null(txn);
	odin_store_close(st);
}
END_TEST

/* The store directory (or a subdirectory) itself is unsafe: open refuses, nothing changes. */
static void
open_refused(const char *logpart)
{
	struct odin_store *st = (struct odin_store *)1;
	struct snap s0, s1, u0, u1;

	take(&s0, "");
	take(&u0, "users");
	ck_assert_int_eq(odin_store_open(sdir, &st), ODIN_EUNSAFE);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(odin_log_last(), logpart) != NULL,
	    "log \"%s\" lacks \"%s\"", odin_log_last(), logpart);
	take(&s1, "");
	take(&u1, "users");
	same(&s0, &s1, "store dir");
	same(&u0, &u1, "users/");
}

START_TEST(store_group_writable)
{
	odin_store_close(open_store());
	ck_assert_int_eq(chmod(sdir, 0770), 0);
	open_refused("0770");
	ck_assert_int_eq(chmod(sdir, 0701), 0);
	open_refused("0701");
}
END_TEST

START_TEST(store_wrong_owner)
{
	odin_store_close(open_store());
	ck_assert_int_eq(chown(sdir, 65534, 65534), 0);
	open_refused("uid 65534");
}
END_TEST

START_TEST(users_dir_unsafe)
{
	char p[256];

	odin_store_close(open_store());
	path(p, sizeof(p), "users");
	ck_assert_int_eq(chmod(p, 0755), 0);
	open_refused("0755");
	ck_assert_int_eq(chmod(p, 0700), 0);
	path(p, sizeof(p), "locks");
	ck_assert_int_eq(rmdir(p), 0);
	ck_assert_int_eq(symlink("/tmp", p), 0);
	open_refused("symlink");
}
END_TEST

/*
 * users/ is checked when the store opens and opened only when a write
 * needs it: gone by then, the save is an I/O error (never "no record"),
 * and nothing is written elsewhere.
 */
START_TEST(users_dir_gone_before_save)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn = NULL;
	struct odin_record r;
	struct stat sb;
	char p[256], q[256];
	int rc;

	path(p, sizeof(p), "users");
	path(q, sizeof(q), "users.gone");
	ck_assert_int_eq(rename(p, q), 0);
	rc = odin_store_lock(st, "bob", 0, &txn, &r);
	ck_assert_int_eq(rc, ODIN_ENOENT);	/* no record: locked, so it may be created */
	ck_assert_ptr_nonnull(txn);
	odin_record_init(&r, 1700000000);
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_EIO);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "users/ is missing"));
	odin_store_unlock(txn);
	ck_assert_int_eq(lstat(p, &sb), -1);
	path(q, sizeof(q), "users.gone/bob");
	ck_assert_int_eq(lstat(q, &sb), -1);
	odin_store_close(st);
}
END_TEST

START_TEST(store_is_symlink)
{
	struct odin_store *st = (struct odin_store *)1;
	char real[128];
	struct stat a, b;

	snprintf(real, sizeof(real), "%s/real", root);
	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(symlink(real, sdir), 0);
	ck_assert_int_eq(stat(real, &a), 0);
	ck_assert_int_eq(odin_store_open(sdir, &st), ODIN_EUNSAFE);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "symlink"));
	ck_assert_int_eq(stat(real, &b), 0);
	ck_assert(a.st_nlink == b.st_nlink && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);
	ck_assert_int_eq(lstat(sdir, &b), 0);
	ck_assert(S_ISLNK(b.st_mode));
}
END_TEST

/*
 * A store that is not there (an unmounted volume, a deleted directory) is
 * an error, never an empty store: opening creates nothing.
 */
START_TEST(open_never_creates)
{
	struct odin_store *st = (struct odin_store *)1;
	struct stat sb;
	char deep[160], p[256];

	ck_assert_int_eq(odin_store_open(sdir, &st), ODIN_ENOENT);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "does not exist"));
	ck_assert_int_eq(lstat(sdir, &sb), -1);
	/* a store directory without its users/ (or locks/) is not created either */
	ck_assert_int_eq(mkdir(sdir, 0700), 0);
	st = (struct odin_store *)1;
	ck_assert_int_eq(odin_store_open(sdir, &st), ODIN_ENOENT);
	ck_assert_ptr_null(st);
	path(p, sizeof(p), "users");
	ck_assert_int_eq(lstat(p, &sb), -1);
	/* odin_store_create() makes only the last component: a missing parent stays an error */
	snprintf(deep, sizeof(deep), "%s/no/such", root);
	ck_assert_int_ne(create_store(deep), ODIN_OK);
	snprintf(deep, sizeof(deep), "%s/no", root);
	ck_assert_int_eq(lstat(deep, &sb), -1);
}
END_TEST

START_TEST(huge_record)
{
	struct odin_store *st = open_store();
	struct timespec t0, t1;
	char p[256];
	int fd;

	path(p, sizeof(p), "users/alice");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 100 * 1024 * 1024), 0);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	refused(st, "alice", ODIN_ETOOBIG, "104857600 bytes");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500,
	    "refusing took too long: it was read");
	/* One byte over the limit is refused too; exactly the limit is read (and is corrupt). */
	ck_assert_int_eq(truncate(p, ODIN_RECORD_MAX + 1), 0);
	refused(st, "alice", ODIN_ETOOBIG, NULL);
	ck_assert_int_eq(truncate(p, ODIN_RECORD_MAX), 0);
	refused(st, "alice", ODIN_ECORRUPT, NULL);
	odin_store_close(st);
}
END_TEST

START_TEST(stale_temp)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	char p[256];
	int fd;

	put(st, "alice", 7);
	path(p, sizeof(p), "users/.alice.tmp");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "odin-mfa-record 1\nhalf a rec", 28), 28);
	close(fd);
	ck_assert(get(st, "alice") == 7);	/* ignored by load */
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &txn, &r), ODIN_OK);
	r.last_step = 8;
	r.created++;		/* a replacement, not a login's change (which is written in place) */
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);	/* cleaned by save */
	odin_store_unlock(txn);
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert(get(st, "alice") == 8);
	/* A stale temporary that is a symlink is removed, not followed. */
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &txn, &r), ODIN_OK);
	r.last_step = 9;
	r.created++;
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);
	odin_store_unlock(txn);
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert(get(st, "alice") == 9);
	odin_store_close(st);
}
END_TEST

START_TEST(delete_wipes)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	char p[256], buf[ODIN_RECORD_MAX];
	ssize_t n, i;
	struct stat sb;
	int fd;

	put(st, "alice", 11);
	path(p, sizeof(p), "users/alice");
	fd = open(p, O_RDONLY);	/* keeps the old inode readable after unlink */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert_int_eq(odin_store_delete(txn), ODIN_OK);
	ck_assert_int_eq(odin_store_delete(txn), ODIN_ENOENT);
	odin_store_unlock(txn);
	ck_assert_int_eq(access(p, F_OK), -1);
	n = pread(fd, buf, sizeof(buf), 0);
	ck_assert_int_eq(n, sb.st_size);
	for (i = 0; i < n; i++)
		ck_assert_msg(buf[i] == 0, "byte %zd not wiped", i);
	close(fd);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_ENOENT);
	odin_store_close(st);
}
END_TEST

START_TEST(delete_refuses_hard_link)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	struct snap o0, o1;
	char p[256], other[256];

	put(st, "alice", 5);
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &txn, &r), ODIN_OK);
	/* The link appears after the lock: delete must still not wipe through it. */
	path(p, sizeof(p), "users/alice");
	path(other, sizeof(other), "elsewhere");
	ck_assert_int_eq(link(p, other), 0);
	take(&o0, "elsewhere");
	ck_assert_int_eq(odin_store_delete(txn), ODIN_EUNSAFE);
	odin_store_unlock(txn);
	take(&o1, "elsewhere");
	same(&o0, &o1, "hard-linked file");
	odin_store_close(st);
}
END_TEST

struct seen { char names[512]; int calls; };

/* What a listing shows (check_contract has the rest of odin_store_list's contract). */
static int
collect(const char *user, void *ctx)
{
	struct seen *s = ctx;

	ck_assert_uint_lt(strlen(s->names) + strlen(user) + 2, sizeof(s->names));
	strcat(s->names, user);
	strcat(s->names, ",");
	s->calls++;
	return 0;
}

START_TEST(list_users)
{
	struct odin_store *st = open_store();
	struct seen s;
	char p[256];
	int fd;

	put(st, "carol", 1);
	put(st, "alice", 1);
	put(st, "bob", 1);
	path(p, sizeof(p), "users/.bob.tmp");
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	close(fd);
	path(p, sizeof(p), "users/bad name");
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	close(fd);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(odin_store_list(st, collect, &s), ODIN_OK);
	ck_assert_int_eq(s.calls, 3);
	ck_assert_ptr_nonnull(strstr(s.names, "alice,"));
	ck_assert_ptr_nonnull(strstr(s.names, "bob,"));
	ck_assert_ptr_nonnull(strstr(s.names, "carol,"));
	ck_assert_uint_eq(strlen(s.names), strlen("alice,bob,carol,"));	/* no temp file, no stray name */
	odin_store_close(st);
}
END_TEST

/* 32 processes x 100 locked read-modify-write increments: no lost update. */
#define NPROC 32
#define NINC 100

START_TEST(concurrent_increments)
{
	struct odin_store *st = open_store();
	pid_t pids[NPROC];
	int i, status;

	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct odin_store *cst;
			int k, bad = 0;

			/* Half share the parent's store handle, half open their own. */
			if (i % 2 == 0)
				cst = st;
			else if (odin_store_open(sdir, &cst) != ODIN_OK)
				_exit(2);
			for (k = 0; k < NINC && !bad; k++) {
				struct odin_txn *txn;
				struct odin_record r;
				int rc = odin_store_lock(cst, "counter", 0, &txn, &r);

				if (rc == ODIN_ENOENT)
					odin_record_init(&r, 1700000000);
				else if (rc != ODIN_OK)
					_exit(3);
				r.failures++;
				if (odin_store_save(txn, &r, 0) != ODIN_OK)
					bad = 1;
				odin_store_unlock(txn);
			}
			if (cst != st)
				odin_store_close(cst);
			odin_store_close(st);
			_exit(bad ? 4 : 0);
		}
	}
	for (i = 0; i < NPROC; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "worker %d failed: status %d", i, status);
	}
	{
		struct odin_txn *txn;
		struct odin_record r;

		ck_assert_int_eq(odin_store_lock(st, "counter", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
		ck_assert_uint_eq(r.failures, NPROC * NINC);
		odin_store_unlock(txn);
	}
	odin_store_close(st);
}
END_TEST

/*
 * A save that cannot be written (a full or read-only file system) fails
 * with the mapped error, says why in the log and leaves the old record;
 * a login's change, in place, needs no space.
 * Needs a private mount namespace for a tiny tmpfs; done in a child so the
 * mount never leaks into this process.
 */
static int
full_fs_child(void)
{
	struct odin_store *st;
	struct odin_txn *txn;
	struct odin_record r;
	struct snap before, after;
	char mp[128], p[256], buf[4096];
	int fd;
	unsigned i;

	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
		return 77;
	snprintf(mp, sizeof(mp), "%s/mnt", root);
	if (mkdir(mp, 0700) != 0 || mount("tmpfs", mp, "tmpfs", 0, "size=64k,mode=0700") != 0)
		return 77;
	snprintf(sdir, sizeof(sdir), "%s/s", mp);
	if (create_store(sdir) != ODIN_OK || odin_store_open(sdir, &st) != ODIN_OK)
		return 10;
	put(st, "alice", 1);
	put(st, "alice", 2);	/* the lock file exists, the next lock needs no space */
	take(&before, "users/alice");
	/* Fill the file system. */
	snprintf(p, sizeof(p), "%s/filler", mp);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	memset(buf, 'x', sizeof(buf));
	while (write(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	/* A login's change is written in place, in blocks the state file has: it needs no space. */
	if (odin_store_lock(st, "alice", 0, &txn, &r) != ODIN_OK)
		return 11;
	r.last_step = 3;
	if (odin_store_save(txn, &r, 0) != ODIN_OK)
		return 12;
	odin_store_unlock(txn);
	if (get(st, "alice") != 3)
		return 22;
	/* Replacing the record needs space: ENOSPC, and the old record stays. */
	if (odin_store_lock(st, "alice", 0, &txn, &r) != ODIN_OK)
		return 23;
	r.created++;
	for (i = 0; i < ODIN_BACKUP_MAX; i++)
		r.secret[i] = (uint8_t)i;
	if (odin_store_save(txn, &r, 0) != ODIN_ENOSPC)
		return 24;
	odin_store_unlock(txn);
	if (strstr(odin_log_last(), strerror(ENOSPC)) == NULL)
		return 13;
	take(&after, "users/alice");
	same(&before, &after, "record after ENOSPC");
	path(p, sizeof(p), "users/.alice.tmp");
	if (access(p, F_OK) == 0)
		return 14;
	if (get(st, "alice") != 3)
		return 15;

	/* Read-only: the record can still be read, not written. */
	snprintf(p, sizeof(p), "%s/filler", mp);
	if (unlink(p) != 0)
		return 16;
	if (mount("none", mp, "none", MS_REMOUNT | MS_RDONLY, NULL) != 0)
		return 17;
	if (odin_store_lock(st, "alice", 0, &txn, &r) != ODIN_OK)
		return 18;
	r.last_step = 4;
	if (odin_store_save(txn, &r, 0) != ODIN_EROFS)
		return 19;
	r.created++;	/* and a replacement */
	if (odin_store_save(txn, &r, 0) != ODIN_EROFS)
		return 25;
	odin_store_unlock(txn);
	if (strstr(odin_log_last(), strerror(EROFS)) == NULL)
		return 20;
	if (get(st, "alice") != 3)
		return 21;
	odin_store_close(st);
	return 0;
}

START_TEST(save_failure_keeps_old)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(full_fs_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		fprintf(stderr, "save_failure_keeps_old: SKIPPED (no private tmpfs mount)\n");
		return;
	}
	ck_assert_msg(WEXITSTATUS(status) == 0, "full-fs check failed at step %d",
	    WEXITSTATUS(status));
}
END_TEST

/* ---- the postgresql plugin loader (store_plugin.c), no server needed ---- */

/* A config for backend = postgresql with a key, an unreachable server, and plugin. */
static void
pg_conf(struct odin_config *cfg, const char *plugin)
{
	char kp[256];
	int fd;

	snprintf(kp, sizeof(kp), "%s/key", root);
	fd = open(kp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 65), 65);
	close(fd);
	odin_config_defaults(cfg);
	ck_assert_int_eq(odin_config_set(cfg, "backend", "postgresql"), ODIN_OK);
	ck_assert_int_eq(odin_config_set(cfg, "pg_conninfo", "host=/nonexistent-odin dbname=x"), ODIN_OK);
	ck_assert_int_eq(odin_config_set(cfg, "pg_connect_timeout", "1"), ODIN_OK);
	ck_assert_int_eq(odin_config_set(cfg, "secret_key_file", kp), ODIN_OK);
	if (plugin != NULL)
		ck_assert_int_eq(odin_config_set(cfg, "pg_plugin", plugin), ODIN_OK);
}

/* open_config with plugin fails with want, and the last log line names why. */
static void
plugin_refused(const char *plugin, int want, const char *logpart)
{
	struct odin_config cfg;
	struct odin_store *st = (struct odin_store *)1;

	pg_conf(&cfg, plugin);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), want);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(odin_log_last(), logpart) != NULL, "%s: log \"%s\" lacks \"%s\"",
	    plugin != NULL ? plugin : "(default)", odin_log_last(), logpart);
}

/* 1 if a file named name is mapped into this process (one still linked, if live). */
static int
mapped_as(const char *name, int live)
{
	char line[1024];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, name) != NULL && (!live || strstr(line, "(deleted)") == NULL))
			found = 1;
	fclose(f);
	return found;
}

static int
mapped(const char *name)
{
	return mapped_as(name, 0);
}

/* Copies the built plugin to dst with mode; 0 if this build has no plugin. */
static int
copy_plugin(const char *dst, mode_t mode)
{
	char cmd[512];

	if (access(TESTS_PG_PLUGIN, F_OK) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod %o '%s'", TESTS_PG_PLUGIN, dst,
	    (unsigned)mode, dst);
	ck_assert_int_eq(system(cmd), 0);
	return 1;
}

/*
 * With no pg_plugin the loader looks in ODIN_PLUGIN_DIR, and a missing
 * plugin there fails closed.  Checked in a private mount namespace with an
 * empty ODIN_PLUGIN_DIR, so the result does not depend on whether
 * `make install` put a plugin there.
 */
static void
default_plugin_missing(void)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct stat sb;

		if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
			_exit(77);
		if (stat(ODIN_PLUGIN_DIR, &sb) == 0 &&
		    mount("odin-empty", ODIN_PLUGIN_DIR, "tmpfs", 0, "mode=0755") != 0)
			_exit(77);
		plugin_refused(NULL, ODIN_EIO, ODIN_PLUGIN_DIR "/odin_store_pg.so");
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77),
	    "the default plugin path: child status %#x", status);
	if (WEXITSTATUS(status) == 77)
		fprintf(stderr, "plugin_unsafe_refused: no private mount namespace, default path skipped\n");
}

START_TEST(plugin_unsafe_refused)
{
	char p[256], q[256];
	int fd;

	snprintf(p, sizeof(p), "%s/missing.so", root);
	plugin_refused(p, ODIN_EIO, "cannot open");
	default_plugin_missing();
	snprintf(p, sizeof(p), "%s/dir.so", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	plugin_refused(p, ODIN_EUNSAFE, "not a regular file");
	snprintf(p, sizeof(p), "%s/text.so", root);
	fd = open(p, O_WRONLY | O_CREAT, 0755);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not ELF\n", 8), 8);
	close(fd);
	plugin_refused(p, ODIN_EIO, "cannot load");
	if (!copy_plugin(p, 0755)) {
		fprintf(stderr, "plugin_unsafe_refused: built without libpq, real-plugin cases skipped\n");
		return;
	}
	/* the real plugin, made unsafe in each way */
	snprintf(q, sizeof(q), "%s/link.so", root);
	ck_assert_int_eq(symlink(p, q), 0);
	plugin_refused(q, ODIN_EUNSAFE, "symlink");
	ck_assert_int_eq(chmod(p, 0775), 0);
	plugin_refused(p, ODIN_EUNSAFE, "group/other-writable");
	ck_assert_int_eq(chmod(p, 0757), 0);
	plugin_refused(p, ODIN_EUNSAFE, "group/other-writable");
	ck_assert_int_eq(chmod(p, 0755), 0);
	ck_assert_int_eq(chown(p, 65534, 0), 0);
	plugin_refused(p, ODIN_EUNSAFE, "not root");
	/*
	 * A shared object that is not a store plugin (the PAM module), tried in
	 * a child: the module is NODELETE, so it would stay in this process
	 * under the name /proc/self/fd/N, which glibc would then hand back to
	 * a later load of the real plugin at the same fd number (the valgrind
	 * run keeps every test in one process).
	 */
	snprintf(q, sizeof(q), "%s", TESTS_PG_PLUGIN);
	ck_assert_ptr_nonnull(strstr(q, "common/.libs/odin_store_pg.so"));
	strcpy(strstr(q, "common/.libs/odin_store_pg.so"), "pam_odin/.libs/pam_odin.so");
	{
		struct odin_config cfg;
		struct odin_store *st = NULL;
		int status;
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			pg_conf(&cfg, q);
			_exit(odin_store_open_config(&cfg, &st) == ODIN_EIO && st == NULL &&
			    strstr(odin_log_last(), "no odin_store_plugin symbol") != NULL ? 0 : 1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the PAM module as a plugin: not refused for its missing symbol");
	}
	ck_assert_msg(!mapped(root), "a refused plugin stayed mapped");
}
END_TEST

/*
 * An object that cannot be unloaded, loaded once through the plugin loader
 * (the NODELETE PAM module given as pg_plugin by mistake: refused), keeps
 * its name /proc/self/fd/N in this process.  A later load of the real
 * plugin at the same fd number must still get the file it checked, not
 * that resident object.
 */
START_TEST(plugin_name_not_taken_by_a_resident)
{
	char p[256], q[512];

	snprintf(p, sizeof(p), "%s/odin_store_pg.so", root);
	if (!copy_plugin(p, 0755)) {
		fprintf(stderr, "plugin_name_not_taken_by_a_resident: built without libpq: skipped\n");
		return;
	}
	snprintf(q, sizeof(q), "%s", TESTS_PG_PLUGIN);
	ck_assert_ptr_nonnull(strstr(q, "common/.libs/odin_store_pg.so"));
	strcpy(strstr(q, "common/.libs/odin_store_pg.so"), "pam_odin/.libs/pam_odin.so");
	plugin_refused(q, ODIN_EIO, "no odin_store_plugin symbol");
	ck_assert(mapped("pam_odin.so"));	/* premise: it stayed */
	plugin_refused(p, ODIN_EIO, "postgresql: cannot connect");	/* loaded: it went on to connect */
	ck_assert(mapped(p));	/* the file checked */
}
END_TEST

/*
 * The real plugin loads (its own log line, "postgresql: cannot connect",
 * reaches this thread's sink through the host's odin_log), fails closed
 * on an unreachable server, and stays loaded (NODELETE, store_plugin.c):
 * the next load of that file, checked again, reuses it, and a plugin
 * file put in its place (an upgrade) is loaded beside it.  A files store
 * maps no libpq (seen where this process has not mapped it yet: the
 * valgrind run keeps every test in one process).
 */
START_TEST(plugin_loads_and_stays)
{
	struct odin_store *st = NULL;
	char p[256], q[256];

	snprintf(p, sizeof(p), "%s/odin_store_pg.so", root);
	if (!copy_plugin(p, 0755)) {
		fprintf(stderr, "plugin_loads_and_stays: built without libpq: skipped\n");
		return;
	}
	if (!mapped("libpq")) {
		st = open_store();
		odin_store_close(st);
		ck_assert(!mapped("libpq"));
	}
	plugin_refused(p, ODIN_EIO, "postgresql: cannot connect");
	ck_assert(mapped(p));
	ck_assert_int_eq(chmod(p, 0775), 0);	/* checked again before it is reused */
	plugin_refused(p, ODIN_EUNSAFE, "group/other-writable");
	ck_assert_int_eq(chmod(p, 0755), 0);
	plugin_refused(p, ODIN_EIO, "postgresql: cannot connect");
	snprintf(q, sizeof(q), "%s/odin_store_pg.so.new", root);
	ck_assert(copy_plugin(q, 0755));
	ck_assert_int_eq(rename(q, p), 0);
	ck_assert(!mapped_as(p, 1));	/* only the file it replaced */
	plugin_refused(p, ODIN_EIO, "postgresql: cannot connect");
	ck_assert_msg(mapped_as(p, 1), "the plugin put in place of the loaded one was not loaded");
}
END_TEST

/* plugin_first_load_races: one thread's load of the plugin at path */
#define LOAD_THREADS 16
static pthread_barrier_t load_bar;

static void *
load_thread(void *arg)
{
	const struct odin_store_ops *ops = NULL;

	(void)pthread_barrier_wait(&load_bar);
	return odin_store_plugin_load(arg, "postgresql", &ops) == ODIN_OK ? (void *)ops : NULL;
}

/*
 * Sixteen logins of one process load a new plugin file at the same moment:
 * each gets the same object.  Then a file put in its place (an upgrade)
 * is loaded: the object those loads left behind must not answer to the
 * name the new file is loaded under.  (Loads that raced each other
 * probed names the first object answered to by its file, and glibc gave
 * it every such name: the new file then got the old object.)
 */
START_TEST(plugin_first_load_races)
{
	pthread_t t[LOAD_THREADS];
	void *got[LOAD_THREADS];
	char p[256], q[256];

	snprintf(p, sizeof(p), "%s/odin_store_pg.so", root);
	if (!copy_plugin(p, 0755)) {
		fprintf(stderr, "plugin_first_load_races: built without libpq: skipped\n");
		return;
	}
	ck_assert_int_eq(pthread_barrier_init(&load_bar, NULL, LOAD_THREADS), 0);
	for (int i = 0; i < LOAD_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, load_thread, p), 0);
	for (int i = 0; i < LOAD_THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], &got[i]), 0);
	ck_assert_int_eq(pthread_barrier_destroy(&load_bar), 0);
	for (int i = 0; i < LOAD_THREADS; i++)
		ck_assert_msg(got[i] != NULL && got[i] == got[0], "load %d: %p, load 0: %p", i, got[i], got[0]);
	snprintf(q, sizeof(q), "%s/odin_store_pg.so.new", root);
	ck_assert(copy_plugin(q, 0755));
	ck_assert_int_eq(rename(q, p), 0);
	plugin_refused(p, ODIN_EIO, "postgresql: cannot connect");
	ck_assert_msg(mapped_as(p, 1), "the plugin put in place of the raced one was not loaded");
}
END_TEST

/* Files written by a process running with another group (su, sudo, the CLI) are root:root. */
START_TEST(files_root_group)
{
	struct odin_store *st = open_store();
	struct stat sb;
	char p[256];

	ck_assert_int_eq(setegid(65534), 0);
	put(st, "alice", 7);
	ck_assert_int_eq(setegid(0), 0);
	path(p, sizeof(p), "users/alice");
	ck_assert_int_eq(lstat(p, &sb), 0);
	ck_assert_msg(sb.st_uid == 0 && sb.st_gid == 0, "record %lu:%lu",
	    (unsigned long)sb.st_uid, (unsigned long)sb.st_gid);
	path(p, sizeof(p), "locks/alice");
	ck_assert_int_eq(lstat(p, &sb), 0);
	ck_assert_msg(sb.st_uid == 0 && sb.st_gid == 0, "lock file %lu:%lu",
	    (unsigned long)sb.st_uid, (unsigned long)sb.st_gid);
	odin_store_close(st);
}
END_TEST

/* The child of fsize_limit_lifted_for_save: 0 saved in full, 10 refused cleanly, else a failure. */
static int
fsize_child(struct odin_store *st)
{
	struct rlimit rl = { 64, 64 }, now, probe = { RLIM_INFINITY, RLIM_INFINITY };
	struct odin_txn *txn;
	struct odin_record r;
	int can_raise, rc1, rc2;

	signal(SIGXFSZ, SIG_DFL);
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 2;
	can_raise = setrlimit(RLIMIT_FSIZE, &probe) == 0;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 2;
	if (odin_store_lock(st, "alice", 0, &txn, &r) != ODIN_ENOENT)
		return 3;
	odin_record_init(&r, 1700000000);	/* ~250 bytes of text: over the limit */
	rc1 = odin_store_save(txn, &r, ODIN_SAVE_ATTEMPT);
	rc2 = odin_store_save(txn, &r, 0);
	odin_store_unlock(txn);
	if (can_raise ? rc1 != ODIN_OK || rc2 != ODIN_OK : rc1 == ODIN_OK || rc2 == ODIN_OK)
		return 4;
	if (getrlimit(RLIMIT_FSIZE, &now) != 0 || now.rlim_cur != 64 || now.rlim_max != 64)
		return 5;
	if (signal(SIGXFSZ, SIG_DFL) != SIG_DFL)
		return 6;
	return can_raise ? 0 : 10;
}

/*
 * A caller's file-size limit (inherited by su, sudo, the setuid CLI)
 * never kills a save with SIGXFSZ.  A process that may raise the limit
 * (CAP_SYS_RESOURCE: root, except in some containers) saves in full; one
 * that may not gets a clean error and an unchanged store.  Either way the
 * limit is back in force afterwards.
 */
START_TEST(fsize_limit_lifted_for_save)
{
	struct odin_store *st = open_store();
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int code = fsize_child(st);

		odin_store_close(st);	/* nothing of the parent's left over in the child */
		_exit(code);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 10),
	    "child status %#x", status);
	if (WEXITSTATUS(status) == 0) {
		ck_assert_int_eq(get(st, "alice"), 0);
	} else {
		struct odin_txn *txn;
		struct odin_record r;
		char p[256];
		struct stat sb;

		/* no record, no temporary left behind */
		ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_ENOENT);
		path(p, sizeof(p), "users/.alice.tmp");
		ck_assert_int_eq(lstat(p, &sb), -1);
	}
	odin_store_close(st);
}
END_TEST

/* The fds this process has open. */
static int
count_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* opendir's own */
}

/*
 * A lock held by a stuck process is waited for at most ODIN_LOCK_WAIT_MS,
 * then ODIN_ELOCK; what the peek before it kept open is closed too.
 */
START_TEST(lock_wait_bounded)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn = (struct odin_txn *)1;
	struct odin_record r;
	struct timespec t0, t1;
	char p[256];
	int fd, held[2], hold[2], nfd;
	pid_t pid;
	double secs;

	put(st, "alice", 3);
	path(p, sizeof(p), "locks/alice");
	/* two pipes: one pipe read by both sides could hand the child its own byte */
	ck_assert_int_eq(pipe(held), 0);
	ck_assert_int_eq(pipe(hold), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char ch;

		odin_store_close(st);	/* the child only holds the lock */
		fd = open(p, O_RDONLY);
		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			_exit(2);
		if (write(held[1], "x", 1) != 1)
			_exit(3);
		if (read(hold[0], &ch, 1) < 0)	/* held until the parent is done */
			_exit(4);
		_exit(0);
	}
	{
		char ch;

		ck_assert_int_eq(read(held[0], &ch, 1), 1);
	}
	nfd = count_fds();
	ck_assert_int_eq(odin_store_peek(st, "alice", &r), ODIN_OK);	/* keeps the record's and state's fds */
	ck_assert_int_eq(count_fds(), nfd + 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_ELOCK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_ptr_null(txn);
	ck_assert_int_eq(count_fds(), nfd);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "still locked"));
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(secs >= ODIN_LOCK_WAIT_MS / 1000.0 && secs < ODIN_LOCK_WAIT_MS / 1000.0 + 3,
	    "waited %.2f s", secs);
	ck_assert_int_eq(write(hold[1], "x", 1), 1);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	/* once released, the record is there as before */
	ck_assert_int_eq(get(st, "alice"), 3);
	odin_store_close(st);
}
END_TEST

/* ---- the login state: two slots in the lock file (slots.h) ---------------- */

#define STATE_T 1700000000	/* the faked time of the state file's last write: step 56666666 */

/* r as an enabled record with the test secret, nothing else set. */
static void
enabled_record(struct odin_record *r)
{
	odin_record_init(r, 1690000000);
	r->state = ODIN_STATE_ENABLED;
	memcpy(r->secret, "12345678901234567890", 20);
	r->secret_len = 20;
}

/* An enabled record of user (a generation of its own) and its state after one durable save. */
static void
enable_with_state(struct odin_store *st, const char *user, int64_t last_step)
{
	struct odin_txn *txn;
	struct odin_record r;
	int rc;

	rc = odin_store_lock(st, user, 0, &txn, &r);
	ck_assert(rc == ODIN_OK || rc == ODIN_ENOENT);
	enabled_record(&r);
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);	/* a replacement: a generation */
	r.last_step = last_step;
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);	/* a login: a slot */
	odin_store_unlock(txn);
}

/* The state file's 128 bytes; then overwrites n of them at off, and sets its mtime to STATE_T. */
static void
state_bytes(const char *user, uint8_t out[128])
{
	char p[256], rel[64];
	int fd;

	snprintf(rel, sizeof(rel), "locks/%s", user);
	path(p, sizeof(p), rel);
	fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, out, 128, 0), 128);
	close(fd);
}

static void
state_poke(const char *user, size_t off, const void *bytes, size_t n)
{
	struct timespec ts[2] = { { STATE_T, 0 }, { STATE_T, 0 } };
	char p[256], rel[64];
	int fd;

	snprintf(rel, sizeof(rel), "locks/%s", user);
	path(p, sizeof(p), rel);
	fd = open(p, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
	ck_assert_int_eq(futimens(fd, ts), 0);
	close(fd);
}

/* The fence a bad slot sets now (slots.h): the widest window past the clock's step. */
static int64_t
fence_now(void)
{
	return odin_slots_fence((int64_t)time(NULL), 30);
}

/* v is the fence of a read made between lo and hi (fence_now() before and after it). */
#define ck_assert_fenced(v, lo, hi) \
	ck_assert_msg((v) >= (lo) && (v) <= (hi), "last_step %lld, not the fence %lld..%lld", \
	    (long long)(v), (long long)(lo), (long long)(hi))

/* Which slot holds the newest valid state (highest seq), from the raw bytes. */
static int
newest_slot(const uint8_t f[128])
{
	struct odin_login_state a, b;
	int ka = odin_slot_decode(f, &a), kb = odin_slot_decode(f + 64, &b);

	if (ka == ODIN_SLOT_VALID && (kb != ODIN_SLOT_VALID || a.seq > b.seq))
		return 0;
	return kb == ODIN_SLOT_VALID ? 1 : -1;
}

/* A login's save writes one slot in place: the record file is not touched, and the durable slot is kept. */
START_TEST(state_in_place)
{
	struct odin_store *st = open_store();
	struct snap rec0, rec1;
	struct odin_txn *txn;
	struct odin_record r;
	uint8_t f0[128], f1[128];
	int i, d;

	enable_with_state(st, "alice", 100);
	take(&rec0, "users/alice");
	state_bytes("alice", f0);
	d = newest_slot(f0);
	ck_assert_int_ge(d, 0);
	/* ten counted attempts (not synced): never over the durable slot d */
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
		ck_assert_uint_eq(r.failures, (unsigned)i);
		r.failures++;
		ck_assert_int_eq(odin_store_save(txn, &r, ODIN_SAVE_ATTEMPT), ODIN_OK);
		odin_store_unlock(txn);
		state_bytes("alice", f1);
		ck_assert_mem_eq(f1 + 64 * d, f0 + 64 * d, 64);
	}
	take(&rec1, "users/alice");
	same(&rec0, &rec1, "the record, after ten counted attempts");
	ck_assert_int_eq(get(st, "alice"), 100);
	odin_store_close(st);
}
END_TEST

/*
 * The lock that follows a peek reads the record again, under the lock: a
 * record rewritten in place in between (the same inode; never done by the
 * store, which renames) is what the lock sees, and nothing of a peek of
 * another user is taken.  (The peek's parse is not kept for the lock: it
 * would hold the secret in memory for as long as the user takes to type.)
 */
START_TEST(lock_after_peek_sees_in_place_change)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	char p[256], buf[4096], *at;
	ssize_t n;
	int fd;

	enable_with_state(st, "alice", 100);
	/* untouched: the lock gives what the peek gave */
	ck_assert_int_eq(odin_store_peek(st, "alice", &r), ODIN_OK);
	ck_assert_int_eq(r.created, 1690000000);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert_int_eq(r.created, 1690000000);
	ck_assert_int_eq(r.last_step, 100);
	ck_assert_uint_eq(r.secret_len, 20);
	ck_assert_mem_eq(r.secret, "12345678901234567890", 20);
	odin_store_unlock(txn);
	/* changed in place between the peek and the lock: the lock reads it */
	ck_assert_int_eq(odin_store_peek(st, "alice", &r), ODIN_OK);
	ck_assert_int_eq(r.created, 1690000000);
	path(p, sizeof(p), "users/alice");
	fd = open(p, O_RDWR);
	ck_assert_int_ge(fd, 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	at = strstr(buf, "\ncreated 1690000000\n");
	ck_assert_ptr_nonnull(at);
	ck_assert_int_eq(pwrite(fd, "1690000009", 10, (off_t)(at - buf) + 9), 10);
	close(fd);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert_int_eq(r.created, 1690000009);
	ck_assert_int_eq(r.last_step, 100);
	odin_store_unlock(txn);
	/* a peek of another user in between: nothing of it is taken */
	enable_with_state(st, "bob", 200);
	ck_assert_int_eq(odin_store_peek(st, "bob", &r), ODIN_OK);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert_int_eq(r.created, 1690000009);
	ck_assert_int_eq(r.last_step, 100);
	odin_store_unlock(txn);
	odin_store_close(st);
}
END_TEST

/* Half a slot written (a torn write): the other slot is used, fenced; the torn one is written next. */
START_TEST(state_torn_half)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	uint8_t f[128], junk[32];
	int64_t lo, hi, fenced;
	int n;

	enable_with_state(st, "alice", 100);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	r.failures = 1;
	ck_assert_int_eq(odin_store_save(txn, &r, ODIN_SAVE_ATTEMPT), ODIN_OK);
	odin_store_unlock(txn);
	state_bytes("alice", f);
	n = newest_slot(f);
	memset(junk, 0xee, sizeof(junk));
	state_poke("alice", (size_t)n * 64 + 32, junk, sizeof(junk));

	/*
	 * fenced from the clock, not from the mtime (STATE_T, years ago): a
	 * slot write does not make its mtime durable, so a lost write may be
	 * younger than the mtime says
	 */
	lo = fence_now();
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	hi = fence_now();
	ck_assert_uint_eq(r.failures, 0);		/* the durable slot: the attempt is lost */
	ck_assert_fenced(r.last_step, lo, hi);
	ck_assert_int_gt(r.last_step, 56666666 + ODIN_WINDOW_MAX);
	fenced = r.last_step;
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "torn, corrupt"));
	odin_store_unlock(txn);
	/* written at once (no save needed): both slots valid, the fence in the newest, durable */
	state_bytes("alice", f);
	ck_assert_int_eq(odin_slot_decode(f, &(struct odin_login_state){ 0 }), ODIN_SLOT_VALID);
	ck_assert_int_eq(odin_slot_decode(f + 64, &(struct odin_login_state){ 0 }), ODIN_SLOT_VALID);
	{
		struct odin_login_state s;

		ck_assert_int_eq(odin_slot_decode(f + 64 * newest_slot(f), &s), ODIN_SLOT_VALID);
		ck_assert_int_eq(s.last_step, fenced);
		ck_assert_int_eq(s.durable, 1);
	}
	/* and it does not move on with the clock: read again, the same step, nothing logged */
	odin_log_set_sink(quiet, NULL);	/* and odin_log_last() empty */
	ck_assert_int_eq(get(st, "alice"), fenced);
	ck_assert_str_eq(odin_log_last(), "");
	odin_store_close(st);
}
END_TEST

/* A slot of garbage, slots from another record, a stale slot: none is taken. */
START_TEST(state_garbage_and_other_generation)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	uint8_t f[128], g[64], bob[128];
	int64_t lo, hi;
	int n, i;

	enable_with_state(st, "alice", 100);
	enable_with_state(st, "bob", 5000000000LL);
	/* garbage over alice's newest slot */
	state_bytes("alice", f);
	n = newest_slot(f);
	for (i = 0; i < 64; i++)
		g[i] = (uint8_t)(i * 37 + 11);
	state_poke("alice", (size_t)n * 64, g, sizeof(g));
	lo = fence_now();
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	hi = fence_now();
	ck_assert_fenced(r.last_step, lo, hi);	/* the record's 0, fenced */
	odin_store_unlock(txn);

	/*
	 * bob's newest slot copied over carol's: checksum fine, but of another
	 * record, written after carol's was made: not taken (bob's last_step
	 * would be), and not trusted as stale either: fenced like bad ones
	 * (both of bob's slots over carol's: both bad, refused)
	 */
	enable_with_state(st, "carol", 300);
	state_bytes("bob", bob);
	state_bytes("carol", f);
	state_poke("carol", (size_t)newest_slot(f) * 64, bob + 64 * newest_slot(bob), 64);
	lo = fence_now();
	ck_assert_int_eq(odin_store_lock(st, "carol", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	hi = fence_now();
	ck_assert_fenced(r.last_step, lo, hi);	/* never bob's 5000000000 */
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "torn, corrupt"));
	odin_store_unlock(txn);
	/* one slot of an earlier record (carol re-enrolled): stale, ignored without a fence */
	enable_with_state(st, "dave", 400);
	{
		struct odin_txn *t2;
		struct odin_record r2;

		ck_assert_int_eq(odin_store_lock(st, "dave", ODIN_LOCK_IF_EXISTS, &t2, &r2), ODIN_OK);
		r2.created++;		/* a replacement: a new generation */
		r2.last_step = 401;
		ck_assert_int_eq(odin_store_save(t2, &r2, 0), ODIN_OK);
		odin_store_unlock(t2);
	}
	ck_assert_int_eq(odin_store_lock(st, "dave", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert_int_eq(r.last_step, 401);	/* the record's own, no fence: the old slot is stale */
	odin_store_unlock(txn);
	odin_store_close(st);
}
END_TEST

/* Both slots bad: refused (fail closed), with the way out in the log; admin unlock's reset recovers. */
START_TEST(state_both_bad)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn = (struct odin_txn *)1;
	struct odin_record r;
	uint8_t g[128];
	int64_t lo, hi, fenced;

	enable_with_state(st, "alice", 100);
	memset(g, 0x33, sizeof(g));
	state_poke("alice", 0, g, sizeof(g));
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_ECORRUPT);
	ck_assert_ptr_null(txn);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "odin-mfa-cli admin unlock alice"));
	ck_assert_int_eq(odin_store_peek(st, "alice", &r), ODIN_ECORRUPT);
	lo = fence_now();
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS | ODIN_LOCK_RESET_STATE,
	    &txn, &r), ODIN_OK);
	hi = fence_now();
	ck_assert_fenced(r.last_step, lo, hi);
	fenced = r.last_step;
	r.failures = 0;
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);
	odin_store_unlock(txn);
	ck_assert_int_eq(get(st, "alice"), fenced);
	odin_store_close(st);
}
END_TEST

/* A slot that names a backup line the record does not have: refused, not guessed. */
START_TEST(state_does_not_fit)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn = (struct odin_txn *)1;
	struct odin_record r;
	struct odin_login_state s;
	uint8_t f[128], b[64];
	int n;

	enable_with_state(st, "alice", 100);
	state_bytes("alice", f);
	n = newest_slot(f);
	ck_assert_int_eq(odin_slot_decode(f + 64 * n, &s), ODIN_SLOT_VALID);
	s.used = 1;		/* the record has no backup codes */
	s.seq += 10;
	odin_slot_encode(&s, b);
	state_poke("alice", (size_t)n * 64, b, sizeof(b));
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "does not fit"));
	odin_store_close(st);
}
END_TEST

/* A record from before the state file (no generation): slots are ignored, its first save replaces it. */
START_TEST(state_legacy_record)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	char p[256];
	uint8_t g[128];
	int fd;

	memset(g, 0x44, sizeof(g));	/* whatever an old lock file held: not slots */
	path(p, sizeof(p), "users/alice");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(dprintf(fd, "odin-mfa-record 1\nstate enabled\nsecret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n"
	    "algorithm SHA1\ndigits 6\nperiod 30\nlast_step 7\nfailures 0\nlockout_until 0\n"
	    "lockout_count 0\nbackup_kdf none\ncreated 1690000000\nupdated 1690000000\nend\n"), 0);
	close(fd);
	path(p, sizeof(p), "locks/alice");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, g, sizeof(g)), (ssize_t)sizeof(g));
	close(fd);
	ck_assert_msg(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r) == ODIN_OK, "%s",
	    odin_log_last());
	ck_assert_int_eq(r.last_step, 7);
	ck_assert(r.generation == 0);
	r.last_step = 8;
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);
	odin_store_unlock(txn);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert(r.generation != 0);		/* upgraded */
	ck_assert_int_eq(r.last_step, 8);
	odin_store_unlock(txn);
	odin_store_close(st);
}
END_TEST

/* A bad slot with an mtime ahead of the clock (the clock went back): fenced from the mtime. */
START_TEST(state_fence_clock_back)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	struct timespec ts[2];
	uint8_t f[128], junk[16];
	char p[256];
	int fd;

	enable_with_state(st, "alice", 100);
	state_bytes("alice", f);
	memset(junk, 0x5a, sizeof(junk));
	state_poke("alice", (size_t)newest_slot(f) * 64 + 8, junk, sizeof(junk));
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) + 3600;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	path(p, sizeof(p), "locks/alice");
	fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(futimens(fd, ts), 0);
	close(fd);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert_int_eq(r.last_step, odin_slots_fence(ts[0].tv_sec, 30));
	odin_store_unlock(txn);
	odin_store_close(st);
}
END_TEST

/*
 * A bad slot voids every backup code: the lost write may have used one,
 * and which one nobody knows.  Said in the log, written at once.
 */
START_TEST(state_bad_slot_voids_backup_codes)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	uint8_t f[128], junk[8];
	unsigned i;

	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &txn, &r), ODIN_ENOENT);
	enabled_record(&r);
	r.backup_iter = ODIN_BACKUP_ITER_MIN;
	memset(r.backup_salt, 7, sizeof(r.backup_salt));
	r.nbackup = 3;
	for (i = 0; i < r.nbackup; i++)
		memset(r.backup[i], (int)(0x10 + i), ODIN_BACKUP_HASH_LEN);
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);
	r.nbackup = 2;			/* a login used the last one: a slot */
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);
	odin_store_unlock(txn);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert_uint_eq(r.nbackup, 2);
	odin_store_unlock(txn);

	state_bytes("alice", f);
	memset(junk, 0xa5, sizeof(junk));
	state_poke("alice", (size_t)newest_slot(f) * 64 + 56, junk, sizeof(junk));
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert_uint_eq(r.nbackup, 0);
	ck_assert_ptr_nonnull(strstr(odin_log_last(), "backup codes are void"));
	odin_store_unlock(txn);
	/* written: the record keeps its three lines, the state uses them all */
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	ck_assert_uint_eq(r.nbackup, 0);
	odin_store_unlock(txn);
	{
		struct odin_login_state s;

		state_bytes("alice", f);
		ck_assert_int_eq(odin_slot_decode(f + 64 * newest_slot(f), &s), ODIN_SLOT_VALID);
		ck_assert_uint_eq(s.used, 7);
	}
	odin_store_close(st);
}
END_TEST

/*
 * A record written durably leaves the first slot of its generation at once
 * (so that the first login need not fsync users/ before its own); a record
 * replaced by an attempt (not synced) leaves none, and the first slot
 * written after it is preceded by the fsync (seen with strace, and across
 * a power loss, in tests/faults/powerloss.test).
 */
START_TEST(state_first_slot_of_a_generation)
{
	struct odin_store *st = open_store();
	struct odin_txn *txn;
	struct odin_record r;
	struct odin_login_state s;
	uint8_t f[128];
	int n;

	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &txn, &r), ODIN_ENOENT);
	enabled_record(&r);
	r.last_step = 33;
	ck_assert_int_eq(odin_store_save(txn, &r, 0), ODIN_OK);
	odin_store_unlock(txn);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &txn, &r), ODIN_OK);
	odin_store_unlock(txn);
	state_bytes("alice", f);
	n = newest_slot(f);
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(odin_slot_decode(f + 64 * n, &s), ODIN_SLOT_VALID);
	ck_assert(s.generation == r.generation);
	ck_assert_int_eq(s.last_step, 33);
	ck_assert_int_eq(s.durable, 0);
	odin_store_close(st);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("basics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_makes_layout);
	tcase_add_test(tc, save_load_round_trip);
	tcase_add_test(tc, absent_user);
	tcase_add_test(tc, peek_unlocked);
	tcase_add_test(tc, stale_temp);
	tcase_add_test(tc, delete_wipes);
	tcase_add_test(tc, list_users);
	tcase_add_test(tc, open_never_creates);
	tcase_add_test(tc, files_root_group);
	tcase_add_test(tc, fsize_limit_lifted_for_save);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bad_user_names);
	tcase_add_test(tc, directory_names);
	tcase_add_test(tc, symlink_record);
	tcase_add_test(tc, symlink_lock);
	tcase_add_test(tc, hard_link_record);
	tcase_add_test(tc, record_wrong_owner);
	tcase_add_test(tc, record_mode_0644);
	tcase_add_test(tc, record_not_regular);
	tcase_add_test(tc, record_corrupt);
	tcase_add_test(tc, corrupt_record_deletable);
	tcase_add_test(tc, store_group_writable);
	tcase_add_test(tc, store_wrong_owner);
	tcase_add_test(tc, users_dir_unsafe);
	tcase_add_test(tc, users_dir_gone_before_save);
	tcase_add_test(tc, store_is_symlink);
	tcase_add_test(tc, huge_record);
	tcase_add_test(tc, delete_refuses_hard_link);
	suite_add_tcase(s, tc);

	tc = tcase_create("plugin");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, plugin_unsafe_refused);
	tcase_add_test(tc, plugin_loads_and_stays);
	tcase_add_test(tc, plugin_first_load_races);
	tcase_add_test(tc, plugin_name_not_taken_by_a_resident);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, state_in_place);
	tcase_add_test(tc, lock_after_peek_sees_in_place_change);
	tcase_add_test(tc, state_torn_half);
	tcase_add_test(tc, state_garbage_and_other_generation);
	tcase_add_test(tc, state_both_bad);
	tcase_add_test(tc, state_does_not_fit);
	tcase_add_test(tc, state_legacy_record);
	tcase_add_test(tc, state_fence_clock_back);
	tcase_add_test(tc, state_bad_slot_voids_backup_codes);
	tcase_add_test(tc, state_first_slot_of_a_generation);
	suite_add_tcase(s, tc);

	tc = tcase_create("durability");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, concurrent_increments);
	tcase_add_test(tc, save_failure_keeps_old);
	tcase_add_test(tc, lock_wait_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);	/* CK_VERBOSITY=verbose names each case */
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
