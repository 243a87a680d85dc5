/* SPDX-License-Identifier: ISC */
/*
 * The files backend of the store.  Layout:
 *
 *   STORE/                 root:root 0700
 *   STORE/users/NAME       the record: root, 0600, one link, <= ODIN_RECORD_MAX
 *   STORE/users/.NAME.tmp  the temporary file of an atomic replace
 *   STORE/locks/NAME       the per-user flock(2) lock file, never unlinked
 *
 * NAME is the user's name, encoded (fs_encode) so that any name a user
 * database hands out (john.doe@corp.example, CORP\\jdoe) is one file name
 * and back: [A-Za-z0-9._@+-] stay as they are, every other byte (and a
 * leading '.' or '-') becomes %XX (upper-case hex).  A name of the old
 * [A-Za-z0-9._-] kind is its own file name.  Two names never share one,
 * NAME never starts with '.', so never looks like a temporary file, and
 * it is never "." or "..".
 *
 * Security contract, which every change here MUST keep:
 *  - a user name becomes a path component only through fs_encode(), after
 *    odin_user_valid(): never a '/', never a leading '.';
 *  - the store directory is opened with O_NOFOLLOW and checked on its fd
 *    (directory, owner root, no group/other bits); users/ and locks/ are
 *    checked the same way by a stat (AT_SYMLINK_NOFOLLOW) from that fd.
 *    Only root may rename anything in a root directory without group or
 *    other bits, so the users/ and locks/ that a later openat() of
 *    "users/NAME" from the store's fd goes through are the ones checked,
 *    not a symlink; every file below is reached that way, with O_NOFOLLOW
 *    for the file itself.  The rarer paths that need users/ or locks/ as
 *    an fd of its own (a record replaced or removed, a lock file created,
 *    the list) open it with O_NOFOLLOW and check it again on that fd
 *    (fs_subdir).  A login thus opens one directory, not three;
 *  - a record or lock file is trusted only if a stat of the open fd says
 *    regular, owner root, no group/other bits, link count 1 (a hard link
 *    could let a write or the wipe on delete land in another file), and a
 *    record only if it is no larger than ODIN_RECORD_MAX -- checked before
 *    a single byte is read;
 *  - the lock is taken on a separate file that is never unlinked, because
 *    rename() replaces the record's inode and a lock on the old inode
 *    would protect nothing;
 *  - a save writes a fresh O_EXCL temporary, fsyncs it, renames it over
 *    the record and fsyncs the directory; on failure it removes the
 *    temporary and never touches the record, so the old record survives
 *    (an attempt counted before it is judged, ODIN_SAVE_ATTEMPT, skips
 *    only the directory fsync: it must outlive the process, not a crash);
 *  - every file and directory it creates is root:root, whatever group the
 *    calling process (su, sudo, the setuid CLI) runs with;
 *  - it never creates the store itself: only fs_create() does, for an
 *    administrator's explicit command; a missing store is an error;
 *  - a lock is waited for at most ODIN_LOCK_WAIT_MS.
 * With a secret_key_file (st->base.key, set by odin_store_open_config) the
 * secret line is sealed for the user (crypt.h) on every save.
 * Intermediate components of the store path itself are followed: they
 * belong to the administrator who chose the path.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "secure.h"
#include "slots.h"
#include "store_backend.h"

/* Longest encoded name: ".NAME.tmp" must fit NAME_MAX (255). */
#define FS_NAME_MAX 250
#define FS_REL_MAX (FS_NAME_MAX + 7)	/* "users/" or "locks/", NAME, NUL */
#define FS_WHERE_MAX 256

struct odin_store {
	struct odin_store_base base;
	int dirfd;
	int usersfd;			/* users/ and locks/ as fds: -1 until fs_subdir() */
	int locksfd;
	char where[FS_WHERE_MAX];	/* for log messages only */
	/*
	 * What the last peek opened, kept for the lock that usually follows
	 * (a login peeks before it asks, then locks): the record's fd, used
	 * again only while users/FILE still names that same inode (a record
	 * is replaced by rename, never changed in place), and the state
	 * file's fd (opened read-write, never unlinked).  -1: none.
	 */
	char kept_file[FS_NAME_MAX + 1];
	int kept_rec;
	int kept_state;
	struct stat kept_sb;		/* kept_state's, as the peek checked it */
	dev_t kept_rec_dev;		/* kept_rec's inode (an fd's never changes) */
	ino_t kept_rec_ino;
	char *buf;			/* ODIN_RECORD_MAX + 1 bytes of secure memory, for record text */
};

struct odin_txn {
	struct odin_store_base base;
	struct odin_store *st;
	int lockfd;
	char user[ODIN_USER_MAX + 1];	/* the name, for logs and as the seal's AAD */
	char file[FS_NAME_MAX + 1];	/* its file name in users/ and locks/ */
	struct odin_slots sl;		/* the state file's slots (slots.h) */
	struct odin_slots_base stored;	/* the record as stored, when have_base */
	int have_base;			/* a record with a generation: a login's save goes to a slot */
	int record_synced;		/* this transaction made the record durable (fsync users/) */
	int readonly;			/* the store is on a read-only file system */
	int reseal;			/* the secret is stored in clear and a key is set */
};

/* errno -> ODIN_E*, where a vanished file in a write path is an I/O error. */
static int
fs_err(int e)
{
	int rc = odin_err_from_errno(e);

	return rc == ODIN_ENOENT ? ODIN_EIO : rc;
}

static void
fs_close(int fd)
{
	if (fd >= 0)
		(void)close(fd);
}

/* A byte a file name keeps as it is (but not first, if '.' or '-'). */
static int
fs_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
}

/*
 * user -> its file name (see the layout above).  ODIN_EBADNAME if user is
 * not a valid name or its encoding is longer than FS_NAME_MAX.
 */
static int
fs_encode(const char *user, char out[FS_NAME_MAX + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	for (i = 0; user[i] != '\0'; i++) {
		unsigned char c = (unsigned char)user[i];

		if (fs_plain(c) && !(i == 0 && (c == '.' || c == '-'))) {
			if (o + 1 > FS_NAME_MAX)
				return ODIN_EBADNAME;
			out[o++] = (char)c;
		} else {
			if (o + 3 > FS_NAME_MAX)
				return ODIN_EBADNAME;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	out[o] = '\0';
	return ODIN_OK;
}

static int
fs_hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * A file name in users/ -> the user's name; ODIN_EBADNAME for anything
 * fs_encode() would not have written (temporary files, strays): a name
 * is listed only under its one canonical file name.
 */
static int
fs_decode(const char *file, char out[ODIN_USER_MAX + 1])
{
	char again[FS_NAME_MAX + 1];
	size_t i, o = 0;

	for (i = 0; file[i] != '\0'; i++) {
		if (o >= ODIN_USER_MAX)
			return ODIN_EBADNAME;
		if (file[i] == '%') {
			int hi = fs_hexval(file[i + 1]), lo = hi < 0 ? -1 : fs_hexval(file[i + 2]);

			if (hi < 0 || lo < 0)
				return ODIN_EBADNAME;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = file[i];
		}
	}
	out[o] = '\0';
	if (fs_encode(out, again) != ODIN_OK || strcmp(again, file) != 0)
		return ODIN_EBADNAME;
	return ODIN_OK;
}

/*
 * stat() of a store file or directory for its checks (at dirfd, path, or
 * the fd dirfd itself when path is ""), without its times.  A stat that
 * asks for them marks the inode's ctime as seen, and Linux (multigrain
 * timestamps, 6.13 on) then gives the next write a fine-grained mtime: the
 * state file's inode would change at every login, and ext4 without a
 * journal writes the inode's block with the login's durable write (about
 * 30 us more per write on the disk of bench/run).  statx() asked for only
 * the fields checked leaves the times coarse; where it is missing or
 * cannot give them, fstatat() does.  No st_*tim in sb then: only what
 * the checks read (type, mode, owner, group, links, size, device, inode).
 */
#define FS_STATX_MASK (STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID | \
	STATX_INO | STATX_SIZE)
static int
fs_stat(int dirfd, const char *path, struct stat *sb)
{
	const int at = path[0] == '\0' ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW;
#ifdef STATX_TYPE
	struct statx sx;
#endif

	memset(sb, 0, sizeof(*sb));	/* every field defined, whichever call fills it */
#ifdef STATX_TYPE
	if (statx(dirfd, path, at, FS_STATX_MASK, &sx) == 0) {
		if ((sx.stx_mask & FS_STATX_MASK) == FS_STATX_MASK) {
			sb->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
			sb->st_ino = (ino_t)sx.stx_ino;
			sb->st_mode = sx.stx_mode;
			sb->st_nlink = (nlink_t)sx.stx_nlink;
			sb->st_uid = sx.stx_uid;
			sb->st_gid = sx.stx_gid;
			sb->st_size = (off_t)sx.stx_size;
			return 0;
		}
		/* a file system that cannot give them all: fstatat() below */
	} else if (errno != ENOSYS && errno != EINVAL && errno != EPERM && errno != EOPNOTSUPP) {
		return -1;
	}
#endif
	return fstatat(dirfd, path, sb, at);
}

/* sb is a directory owned by root with no group/other permission. */
static int
fs_check_dir_stat(const struct stat *sb, const char *where, const char *what)
{
	if (!S_ISDIR(sb->st_mode)) {
		odin_log(LOG_ERR, "store %s: %s is not a directory", where, what);
		return ODIN_EUNSAFE;
	}
	if (sb->st_uid != 0) {
		odin_log(LOG_ERR, "store %s: %s is owned by uid %lu, not root",
		    where, what, (unsigned long)sb->st_uid);
		return ODIN_EUNSAFE;
	}
	if ((sb->st_mode & 077) != 0) {
		odin_log(LOG_ERR, "store %s: %s has mode %04o, group/other must have no access",
		    where, what, (unsigned)(sb->st_mode & 07777));
		return ODIN_EUNSAFE;
	}
	return ODIN_OK;
}

/* The same checks on an open fd. */
static int
fs_check_dir(int fd, const char *where, const char *what)
{
	struct stat sb;

	if (fs_stat(fd, "", &sb) != 0) {
		odin_log(LOG_ERR, "store %s: cannot stat %s: %s", where, what, strerror(errno));
		return fs_err(errno);
	}
	return fs_check_dir_stat(&sb, where, what);
}

/* sb is a regular file owned by root, no group/other bits, one link. */
static int
fs_check_stat(const struct stat *sb, const struct odin_store *st,
    const char *what, const char *user)
{
	if (S_ISLNK(sb->st_mode)) {
		odin_log(LOG_ERR, "store %s: the %s of %s is a symlink", st->where, what, user);
		return ODIN_EUNSAFE;
	}
	if (!S_ISREG(sb->st_mode)) {
		odin_log(LOG_ERR, "store %s: the %s of %s is not a regular file",
		    st->where, what, user);
		return ODIN_EUNSAFE;
	}
	if (sb->st_uid != 0) {
		odin_log(LOG_ERR, "store %s: the %s of %s is owned by uid %lu, not root",
		    st->where, what, user, (unsigned long)sb->st_uid);
		return ODIN_EUNSAFE;
	}
	if ((sb->st_mode & 077) != 0) {
		odin_log(LOG_ERR, "store %s: the %s of %s has mode %04o, group/other must have no access",
		    st->where, what, user, (unsigned)(sb->st_mode & 07777));
		return ODIN_EUNSAFE;
	}
	if (sb->st_nlink != 1) {
		odin_log(LOG_ERR, "store %s: the %s of %s has %lu links, expected 1",
		    st->where, what, user, (unsigned long)sb->st_nlink);
		return ODIN_EUNSAFE;
	}
	return ODIN_OK;
}

/* The same checks on an open fd. */
static int
fs_check_file(int fd, const struct odin_store *st, const char *what,
    const char *user, struct stat *sb)
{
	if (fs_stat(fd, "", sb) != 0) {
		odin_log(LOG_ERR, "store %s: cannot stat the %s of %s: %s",
		    st->where, what, user, strerror(errno));
		return fs_err(errno);
	}
	return fs_check_stat(sb, st, what, user);
}

/*
 * openat() of a user's record or state file, without an access-time update:
 * with relatime, reading the state file that the last login wrote would
 * otherwise dirty its inode at every login, a journal write for nothing.
 * O_NOATIME needs the file's owner or CAP_FOWNER (root, as the module and
 * the setuid CLI run); refused, the file is opened without it.
 */
static int
fs_openat(int dirfd, const char *name, int flags)
{
	int fd = openat(dirfd, name, flags | O_NOATIME, 0600);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags, 0600);
	return fd;
}

/* Logs a failed openat() of a store file and maps it. */
static int
fs_open_error(const struct odin_store *st, const char *what, const char *user, int e)
{
	if (e == ELOOP) {
		odin_log(LOG_ERR, "store %s: the %s of %s is a symlink", st->where, what, user);
		return ODIN_EUNSAFE;
	}
	odin_log(LOG_ERR, "store %s: cannot open the %s of %s: %s",
	    st->where, what, user, strerror(e));
	return fs_err(e);
}

/* Logs why a subdirectory of the store cannot be used (errno e from a stat or an open). */
static int
fs_subdir_error(const struct odin_store *st, const char *name, int e)
{
	if (e == ENOENT) {
		odin_log(LOG_ERR, "store %s: %s/ is missing (an administrator "
		    "creates the store with: odin-mfa-cli admin db-init)", st->where, name);
		return ODIN_ENOENT;
	}
	if (e == ELOOP || e == ENOTDIR) {
		odin_log(LOG_ERR, "store %s: %s/ is a symlink or not a directory", st->where, name);
		return ODIN_EUNSAFE;
	}
	odin_log(LOG_ERR, "store %s: cannot open %s/: %s", st->where, name, strerror(e));
	return fs_err(e);
}

/* Checks a subdirectory of the store from the store's fd, without opening it. */
static int
fs_check_subdir(const struct odin_store *st, const char *name)
{
	struct stat sb;

	if (fs_stat(st->dirfd, name, &sb) != 0)
		return fs_subdir_error(st, name, errno);
	if (!S_ISDIR(sb.st_mode))
		return fs_subdir_error(st, name, S_ISLNK(sb.st_mode) ? ELOOP : ENOTDIR);
	return fs_check_dir_stat(&sb, st->where, name);
}

/*
 * users/ or locks/ as an fd of its own, opened and checked on first use:
 * for the paths that need the directory itself (an fsync of it, a
 * rename or unlink in it, a file created in it, its list).
 */
static int
fs_subdir(struct odin_store *st, const char *name, int *fdp)
{
	const int oflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd, rc;

	if (*fdp >= 0)
		return ODIN_OK;
	/* gone since the store was opened: in a write path that is an I/O error, as fs_err() has it */
	if ((fd = openat(st->dirfd, name, oflags)) < 0)
		return (rc = fs_subdir_error(st, name, errno)) == ODIN_ENOENT ? ODIN_EIO : rc;
	if ((rc = fs_check_dir(fd, st->where, name)) != ODIN_OK) {
		fs_close(fd);
		return rc;
	}
	*fdp = fd;
	return ODIN_OK;
}

/* "users/NAME" or "locks/NAME": a store file's path from the store's fd (fits: NAME is encoded). */
static const char *
fs_rel(char out[FS_REL_MAX], const char *dir, const char *file)
{
	(void)snprintf(out, FS_REL_MAX, "%s/%s", dir, file);
	return out;
}

static void fs_close_store(struct odin_store *st);

static int
fs_open(const char *dir, struct odin_store **out)
{
	const int oflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	struct odin_store *st;
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return ODIN_ENOMEM;
	st->base.ops = &odin_store_files_ops;
	st->dirfd = st->usersfd = st->locksfd = st->kept_rec = st->kept_state = -1;
	(void)snprintf(st->where, sizeof(st->where), "%s", dir);	/* truncation harmless: logs only */

	st->dirfd = open(dir, oflags);
	if (st->dirfd < 0) {
		if (errno == ENOENT) {
			odin_log(LOG_ERR, "store %s: does not exist (an unmounted volume? an "
			    "administrator creates it with: odin-mfa-cli admin db-init)", st->where);
			rc = ODIN_ENOENT;
		} else if (errno == ELOOP || errno == ENOTDIR) {
			odin_log(LOG_ERR, "store %s: is a symlink or not a directory", st->where);
			rc = ODIN_EUNSAFE;
		} else {
			odin_log(LOG_ERR, "store %s: cannot open: %s", st->where, strerror(errno));
			rc = fs_err(errno);
		}
		goto fail;
	}
	if ((rc = fs_check_dir(st->dirfd, st->where, "the store directory")) != ODIN_OK)
		goto fail;
	if ((rc = fs_check_subdir(st, "users")) != ODIN_OK)
		goto fail;
	if ((rc = fs_check_subdir(st, "locks")) != ODIN_OK)
		goto fail;
	*out = st;
	return ODIN_OK;
fail:
	fs_close_store(st);
	return rc;
}

static void
fs_close_store(struct odin_store *st)
{
	if (st == NULL)
		return;
	fs_close(st->dirfd);
	fs_close(st->usersfd);
	fs_close(st->locksfd);
	fs_close(st->kept_rec);
	fs_close(st->kept_state);
	odin_secure_free(st->buf);
	free(st);
}

/* Closes what the last peek kept. */
static void
fs_drop_kept(struct odin_store *st)
{
	fs_close(st->kept_rec);
	fs_close(st->kept_state);
	st->kept_rec = st->kept_state = -1;
	st->kept_file[0] = '\0';
}

/* mkdir name at dirfd (0700, then root:root); an existing one is left to fs_open()'s checks. */
static int
fs_mkdir_root(int dirfd, const char *name, const char *where, const char *what)
{
	int fd;

	if (mkdirat(dirfd, name, 0700) != 0) {
		if (errno == EEXIST)
			return ODIN_OK;
		odin_log(LOG_ERR, "store %s: cannot create %s: %s", where, what, strerror(errno));
		return fs_err(errno);
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchown(fd, 0, 0) != 0 || fchmod(fd, 0700) != 0) {
		int e = errno;

		odin_log(LOG_ERR, "store %s: cannot make %s root's: %s", where, what, strerror(e));
		fs_close(fd);
		return fs_err(e);
	}
	fs_close(fd);
	return ODIN_OK;
}

/*
 * The administrator's explicit creation of a store (admin db-init): the
 * directory if missing (its parent must exist; never a chain of parents),
 * then users/ and locks/ inside it once it has passed the checks, then
 * everything is checked exactly as a login would.
 */
static int
fs_create(const char *dir)
{
	char where[FS_WHERE_MAX];
	struct odin_store *st = NULL;
	int dfd, rc;

	(void)snprintf(where, sizeof(where), "%s", dir);	/* logs only */
	if ((rc = fs_mkdir_root(AT_FDCWD, dir, where, "the store directory")) != ODIN_OK)
		return rc;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		odin_log(LOG_ERR, "store %s: cannot open: %s", where, strerror(errno));
		return errno == ELOOP || errno == ENOTDIR ? ODIN_EUNSAFE : fs_err(errno);
	}
	if ((rc = fs_check_dir(dfd, where, "the store directory")) == ODIN_OK &&
	    (rc = fs_mkdir_root(dfd, "users", where, "users/")) == ODIN_OK &&
	    (rc = fs_mkdir_root(dfd, "locks", where, "locks/")) == ODIN_OK &&
	    fsync(dfd) != 0) {
		odin_log(LOG_ERR, "store %s: cannot fsync: %s", where, strerror(errno));
		rc = fs_err(errno);
	}
	fs_close(dfd);
	if (rc == ODIN_OK && (rc = fs_open(dir, &st)) == ODIN_OK)
		fs_close_store(st);
	return rc;
}

/*
 * Reads and parses users/USER.  Returns ODIN_OK, ODIN_ENOENT (no record,
 * not logged), or a logged error.  *fdp: an fd of the record that the
 * caller made sure is still users/USER (the last peek's), or -1 to open
 * it; on return the fd read (the caller closes it), or -1.  *sbp: with
 * known and a given fd, that inode's stat just made by the caller; on
 * return, the stat checked (fs_stat() of the fd otherwise).  Every copy of
 * the text is wiped; the buffer that holds it lives in pages kept out of
 * core dumps and swap (st->buf, made once per store handle).  The secret
 * sealed in clear: *clear is set (a save then replaces the record, which
 * seals it).
 */
static int
fs_read_record(struct odin_txn *t, int *fdp, struct stat *sbp, int known, struct odin_record *rec,
    int *clear)
{
	struct odin_store *st = t->st;
	const size_t bufsz = ODIN_RECORD_MAX + 1;
	char rel[FS_REL_MAX];
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd = *fdp, rc;

	*clear = 0;
	if (fd < 0) {
		known = 0;
		fd = fs_openat(st->dirfd, fs_rel(rel, "users", t->file),
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	}
	*fdp = fd;
	if (fd < 0) {
		if (errno == ENOENT)
			return ODIN_ENOENT;
		return fs_open_error(st, "record", t->user, errno);
	}
	if (st->buf == NULL && (st->buf = odin_secure_alloc(bufsz)) == NULL) {
		rc = ODIN_ENOMEM;
		goto out;
	}
	if (known)
		sb = *sbp;
	else if (fs_stat(fd, "", &sb) != 0) {
		odin_log(LOG_ERR, "store %s: cannot stat the record of %s: %s",
		    st->where, t->user, strerror(errno));
		rc = fs_err(errno);
		goto out;
	}
	*sbp = sb;
	if ((rc = fs_check_stat(&sb, st, "record", t->user)) != ODIN_OK)
		goto out;
	if (sb.st_size > ODIN_RECORD_MAX) {
		odin_log(LOG_ERR, "store %s: the record of %s is %lld bytes, more than %d: refused",
		    st->where, t->user, (long long)sb.st_size, ODIN_RECORD_MAX);
		rc = ODIN_ETOOBIG;
		goto out;
	}
	/*
	 * Read one byte more than allowed, in case the file grew since fstat;
	 * a short read that reaches the size fstat gave is the end (no second
	 * call to see 0).
	 */
	while (len < bufsz) {
		n = pread(fd, st->buf + len, bufsz - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			odin_log(LOG_ERR, "store %s: cannot read the record of %s: %s",
			    st->where, t->user, strerror(errno));
			rc = fs_err(errno);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len < bufsz && len >= (size_t)sb.st_size)
			break;
	}
	if (len > ODIN_RECORD_MAX) {
		odin_log(LOG_ERR, "store %s: the record of %s is larger than %d bytes: refused",
		    st->where, t->user, ODIN_RECORD_MAX);
		rc = ODIN_ETOOBIG;
		goto out;
	}
	rc = odin_record_parse_key(st->buf, len, rec, st->base.key, t->user);
	if (rc == ODIN_ECRYPTO)
		odin_log(LOG_ERR, "store %s: the secret of %s does not decrypt (%s)", st->where,
		    t->user, st->base.key == NULL ? "no secret_key_file configured" :
		    "wrong key, or a record copied from another user");
	else if (rc == ODIN_EIO)	/* crypt.c said why */
		odin_log(LOG_ERR, "store %s: cannot open the secret of %s now", st->where, t->user);
	else if (rc != ODIN_OK)
		odin_log(LOG_ERR, "store %s: the record of %s is corrupt", st->where, t->user);
	else if (st->base.key != NULL && rec->secret_len > 0 &&
	    memmem(st->buf, len, "\nsecret enc1:", 13) == NULL)
		*clear = 1;
out:
	odin_wipe(st->buf, len < bufsz ? len : bufsz);
	if (rc != ODIN_OK)
		odin_record_wipe(rec);
	return rc;
}

/*
 * flock(LOCK_EX) waited for at most ODIN_LOCK_WAIT_MS, counted in the
 * naps themselves so that a frozen or jumping clock cannot stretch it.
 * Returns 0, or -1 with errno (ETIMEDOUT: still held by someone else).
 */
static int
fs_flock_wait(int fd)
{
	struct timespec nap = { 0, 500000 };
	long waited_us = 0;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return -1;
		if (waited_us >= (long)ODIN_LOCK_WAIT_MS * 1000) {
			errno = ETIMEDOUT;
			return -1;
		}
		(void)nanosleep(&nap, NULL);
		waited_us += nap.tv_nsec / 1000;
		if (nap.tv_nsec < 16000000)
			nap.tv_nsec *= 2;
	}
}

/* Who holds the flock on fd (from /proc/locks), for the message an admin acts on; 0 if unknown. */
static long
fs_lock_holder(int fd)
{
	char line[256];
	struct stat sb;
	long pid = 0;
	FILE *f;

	if (fs_stat(fd, "", &sb) != 0 || (f = fopen("/proc/locks", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char type[16], mode[16], rw[16];
		unsigned maj, min;
		unsigned long long ino;
		long p;

		/* a diagnostic only: a line that does not parse just names no pid */
		if (sscanf(line, "%*[^:]: %15s %15s %15s %ld %x:%x:%llu", type, mode, rw, &p,	/* NOLINT(cert-err34-c) */
		    &maj, &min, &ino) == 7 && strcmp(type, "FLOCK") == 0 &&
		    ino == (unsigned long long)sb.st_ino &&
		    maj == major(sb.st_dev) && min == minor(sb.st_dev)) {
			pid = p;
			break;
		}
	}
	fclose(f);
	return pid;
}

/*
 * Whether process pid is stopped (SIGSTOP, or a debugger): a stopped
 * holder keeps its lock until someone continues or ends it, which is
 * what the admin who reads the message has to do.  A diagnostic only.
 */
static int
fs_pid_stopped(long pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold anything, so the last ')' */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2] == 'T' || p[2] == 't';
}

/*
 * Reads the state file (slots.h) on fd -- the lock file -- into *sl and applies the current slot of rec's generation to rec;
 * rec NULL (no record): *sl alone, for the saves that will create one.
 * With a record that has a generation, *base gets it as stored (before
 * the slot) and *have_base is set: a later save that changes only what a
 * slot holds goes to a slot.  A record without one (written before slots
 * existed, or by hand) ignores the slots; its first save replaces it with
 * a generation.  A bad slot is skipped behind the fence; two bad slots
 * are ODIN_ECORRUPT unless FS_STATE_RESET (admin unlock: start from the
 * record, fenced).  FS_STATE_PEEK: read without the lock, where a slot
 * being written at that moment looks bad: no warning for that.
 */
#define FS_STATE_RESET 0x1
#define FS_STATE_PEEK 0x2

static int
fs_read_state(const struct odin_store *st, const char *user, int fd, struct odin_record *rec,
    int how, struct odin_slots *sl, struct odin_slots_base *base, int *have_base)
{
	const int reset = (how & FS_STATE_RESET) != 0;
	struct stat sb;
	uint8_t buf[ODIN_SLOTS_SIZE];
	uint64_t gen = rec != NULL ? rec->generation : 0;
	int64_t fence;
	ssize_t n;
	int rc, both_bad;

	*have_base = 0;
	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		rc = errno;
		odin_log(LOG_ERR, "store %s: cannot read the login state of %s: %s",
		    st->where, user, strerror(rc));
		return fs_err(rc);
	}
	both_bad = odin_slots_read(buf, (size_t)n, gen, sl) == ODIN_ECORRUPT;
	if (gen == 0)
		return ODIN_OK;
	if (base != NULL && (rc = odin_slots_base(rec, gen, base)) != ODIN_OK)
		return rc;
	if (both_bad && !reset) {
		odin_log(LOG_ERR, "store %s: the login state of %s is unreadable (both slots of "
		    "locks/ bad): refused; odin-mfa-cli admin unlock %s starts it again from the record",
		    st->where, user, user);
		return ODIN_ECORRUPT;
	}
	if (sl->cur >= 0 && odin_slots_apply(&sl->slot[sl->cur], rec) != ODIN_OK) {
		if (!reset) {
			odin_log(LOG_ERR, "store %s: the login state of %s does not fit its record: "
			    "refused; odin-mfa-cli admin unlock %s starts it again from the record",
			    st->where, user, user);
			return ODIN_ECORRUPT;
		}
		sl->kind[sl->cur] = ODIN_SLOT_BAD;
		sl->bad++;
		odin_slots_use(sl, gen);
	}
	if (sl->bad > 0) {
		unsigned voided = rec->nbackup;

		/*
		 * A lost write may have taken a code, at any time up to now: the
		 * state file's mtime says when it was last written, but a slot
		 * write does not make the mtime durable, so after a power loss it
		 * can be older than that write.  Every code of a step up to now's
		 * (or the mtime's, should the clock have gone back) plus the
		 * widest window is refused, and every backup code, which a lost
		 * write may have used, is void.  fs_lock() writes this state at
		 * once, so that the fence does not move on with the clock.  (The
		 * one stat of a store file that wants its times: fstat(), not
		 * fs_stat(); a torn slot is rare.)
		 */
		if (fstat(fd, &sb) != 0) {
			rc = errno;
			odin_log(LOG_ERR, "store %s: cannot stat the lock file of %s: %s",
			    st->where, user, strerror(rc));
			return fs_err(rc);
		}
		fence = odin_slots_fence((int64_t)time(NULL), rec->period);
		if (fence < odin_slots_fence((int64_t)sb.st_mtime, rec->period))
			fence = odin_slots_fence((int64_t)sb.st_mtime, rec->period);
		if (rec->last_step < fence)
			rec->last_step = fence;
		odin_wipe(rec->backup, sizeof(rec->backup));
		rec->nbackup = 0;
		if ((how & FS_STATE_PEEK) == 0)
			odin_log(LOG_WARNING, "store %s: a login-state slot of %s was torn, corrupt "
			    "or not this record's (a crash during a write?): %s; codes up to step %lld "
			    "are refused%s",
			    st->where, user, sl->cur >= 0 ? "the other one is used" :
			    "the record's state is used", (long long)rec->last_step,
			    voided > 0 ? ", and its backup codes are void (odin-mfa-cli backup-codes "
			    "makes new ones)" : "");
	}
	*have_base = 1;
	return ODIN_OK;
}

static int fs_save_state(struct odin_txn *t, struct odin_login_state *s, int flags);

static int
fs_lock(struct odin_store *st, const char *user, int flags,
    struct odin_txn **txn, struct odin_record *rec)
{
	const int oflags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	char file[FS_NAME_MAX + 1], rec_rel[FS_REL_MAX], lock_rel[FS_REL_MAX];
	struct odin_txn *t;
	struct stat sb, sb2;
	int rc, created = 0, recfd = -1, kept;
	dev_t kept_dev = 0;
	ino_t kept_ino = 0;

	*txn = NULL;
	memset(&sb, 0, sizeof(sb));
	memset(&sb2, 0, sizeof(sb2));
	odin_record_wipe(rec);
	/* store.c validated it already; a backend never trusts that alone. */
	if ((rc = fs_encode(user, file)) != ODIN_OK) {
		odin_log(LOG_ERR, "store %s: the name %s is too long for a file name", st->where, user);
		return rc;
	}
	/* what the last peek of this user opened: no second open, no second check */
	kept = st->kept_state >= 0 && st->kept_rec >= 0 && strcmp(st->kept_file, file) == 0;
	/*
	 * Also refuses an unsafe record before a lock file is created for it.
	 * With the peek's files kept, the lock file exists, and users/FILE is
	 * checked under the lock below, as it always is: not twice.
	 */
	fs_rel(rec_rel, "users", file);
	fs_rel(lock_rel, "locks", file);
	if ((flags & ODIN_LOCK_IF_EXISTS) != 0 && !kept) {
		if (fs_stat(st->dirfd, rec_rel, &sb) != 0) {
			if (errno == ENOENT)
				return ODIN_ENOENT;
			odin_log(LOG_ERR, "store %s: cannot stat the record of %s: %s",
			    st->where, user, strerror(errno));
			return fs_err(errno);
		}
		if ((rc = fs_check_stat(&sb, st, "record", user)) != ODIN_OK)
			return rc;
		if (sb.st_size > ODIN_RECORD_MAX) {
			odin_log(LOG_ERR, "store %s: the record of %s is %lld bytes, more than %d: refused",
			    st->where, user, (long long)sb.st_size, ODIN_RECORD_MAX);
			return ODIN_ETOOBIG;
		}
	}
	/* secure memory: the txn keeps the record as stored, secret included (slots.h) */
	if ((t = odin_secure_alloc(sizeof(*t))) == NULL)
		return ODIN_ENOMEM;
	memset(t, 0, sizeof(*t));
	t->base.ops = &odin_store_files_ops;
	t->st = st;
	(void)snprintf(t->user, sizeof(t->user), "%s", user);	/* fits: validated */
	memcpy(t->file, file, sizeof(t->file));

	t->lockfd = -1;
	if (kept) {
		t->lockfd = st->kept_state;
		recfd = st->kept_rec;
		kept_dev = st->kept_rec_dev;
		kept_ino = st->kept_rec_ino;
		sb = st->kept_sb;	/* the peek's fs_check_file() of this very fd */
		st->kept_state = st->kept_rec = -1;
	}
	fs_drop_kept(st);
	if (t->lockfd < 0)
		t->lockfd = fs_openat(st->dirfd, lock_rel, oflags);
	if (t->lockfd < 0 && errno == EROFS) {
		/* a read-only store: the record can be read; every save fails with EROFS */
		t->lockfd = fs_openat(st->dirfd, lock_rel, (oflags & ~O_RDWR) | O_RDONLY);
		t->readonly = t->lockfd >= 0;
	}
	if (t->lockfd < 0 && errno == ENOENT) {
		/* made in locks/ as an fd of its own: it is fsynced below */
		if ((rc = fs_subdir(st, "locks", &st->locksfd)) != ODIN_OK)
			goto fail;
		t->lockfd = fs_openat(st->locksfd, t->file, oflags | O_CREAT | O_EXCL);
		created = t->lockfd >= 0;
		if (t->lockfd < 0 && errno == EEXIST)	/* another process made it first */
			t->lockfd = fs_openat(st->locksfd, t->file, oflags);
	}
	if (t->lockfd < 0) {
		rc = fs_open_error(st, "lock file", user, errno);
		goto fail;
	}
	if (!kept && (rc = fs_check_file(t->lockfd, st, "lock file", user, &sb)) != ODIN_OK)
		goto fail;
	if (sb.st_gid != 0 && fchown(t->lockfd, 0, 0) != 0)	/* made by a process of another group */
		odin_log(LOG_WARNING, "store %s: cannot make the lock file of %s root's: %s",
		    st->where, user, strerror(errno));
	/* it holds the login state: its name must outlive a crash before the first state does */
	if (created && fsync(st->locksfd) != 0) {
		rc = fs_err(errno);
		odin_log(LOG_ERR, "store %s: cannot fsync locks/ after creating the lock file of %s: %s",
		    st->where, user, strerror(errno));
		goto fail;
	}
	if (fs_flock_wait(t->lockfd) != 0) {
		if (errno == ETIMEDOUT) {
			long holder = fs_lock_holder(t->lockfd);

			if (holder > 0 && fs_pid_stopped(holder))
				odin_log(LOG_ERR, "store %s: the record of %s is still locked by another "
				    "process (pid %ld, stopped: it holds the lock until it is continued "
				    "or killed) after %d ms; giving up", st->where, user, holder,
				    ODIN_LOCK_WAIT_MS);
			else if (holder > 0)
				odin_log(LOG_ERR, "store %s: the record of %s is still locked by another "
				    "process (pid %ld) after %d ms; giving up", st->where, user, holder,
				    ODIN_LOCK_WAIT_MS);
			else
				odin_log(LOG_ERR, "store %s: the record of %s is still locked by another "
				    "process after %d ms; giving up", st->where, user, ODIN_LOCK_WAIT_MS);
		} else
			odin_log(LOG_ERR, "store %s: cannot lock the record of %s: %s",
			    st->where, user, strerror(errno));
		rc = ODIN_ELOCK;
		goto fail;
	}
	/*
	 * The kept record fd only if users/FILE still names it (now that
	 * nobody can replace it): then what fs_stat() says of that name is
	 * this very inode's owner, mode, links and size now, no stat of
	 * the fd needed.
	 */
	if (recfd >= 0 && (fs_stat(st->dirfd, rec_rel, &sb2) != 0 ||
	    sb2.st_dev != kept_dev || sb2.st_ino != kept_ino)) {
		fs_close(recfd);
		recfd = -1;
	}
	rc = fs_read_record(t, &recfd, &sb2, recfd >= 0, rec, &t->reseal);
	fs_close(recfd);
	recfd = -1;
	if (rc == ODIN_OK || rc == ODIN_ENOENT) {
		struct odin_login_state s;
		int e = fs_read_state(st, user, t->lockfd, rc == ODIN_OK ? rec : NULL,
		    (flags & ODIN_LOCK_RESET_STATE) != 0 ? FS_STATE_RESET : 0, &t->sl, &t->stored,
		    &t->have_base);

		/* a bad slot's fence, written before anything is judged against it (durable) */
		if (e == ODIN_OK && rc == ODIN_OK && t->sl.bad > 0 && t->have_base && !t->readonly &&
		    odin_slots_diff(&t->stored, rec, &s) == 1)
			e = fs_save_state(t, &s, 0);
		if (e != ODIN_OK) {
			rc = e;
			goto fail;
		}
	}
	if (rc == ODIN_OK || (rc == ODIN_ENOENT && (flags & ODIN_LOCK_IF_EXISTS) == 0) ||
	    ((rc == ODIN_ECORRUPT || rc == ODIN_ECRYPTO) && (flags & ODIN_LOCK_EVEN_CORRUPT) != 0)) {
		*txn = t;
		return rc;
	}
fail:
	fs_close(recfd);	/* the peek's, when the lock was not had */
	fs_close(t->lockfd);	/* releases the flock */
	odin_secure_free(t);
	odin_record_wipe(rec);
	return rc;
}

/*
 * The record and its login state without the flock: a save replaces the
 * record with rename(), so this sees one whole record or the other, and a
 * slot is written whole or caught by its checksum (then the other one is
 * used, as after a crash).  fs_read_record() makes every check fs_lock()
 * makes, on the open fd; the state file is only opened, never created.
 */
static int
fs_peek(struct odin_store *st, const char *user, struct odin_record *rec)
{
	char rel[FS_REL_MAX];
	struct odin_txn t;
	struct stat sb, rsb;
	int rc, fd = -1, recfd = -1, clear, rw = 1;

	odin_record_wipe(rec);
	fs_drop_kept(st);
	memset(&t, 0, sizeof(t));
	memset(&sb, 0, sizeof(sb));
	memset(&rsb, 0, sizeof(rsb));
	if ((rc = fs_encode(user, t.file)) != ODIN_OK) {
		odin_log(LOG_ERR, "store %s: the name %s is too long for a file name", st->where, user);
		return rc;
	}
	t.base.ops = &odin_store_files_ops;
	t.st = st;
	t.lockfd = -1;
	(void)snprintf(t.user, sizeof(t.user), "%s", user);	/* fits: validated */
	rc = fs_read_record(&t, &recfd, &rsb, 0, rec, &clear);
	/* and the login state; no state file yet: the record's own.  Never created here. */
	if (rc == ODIN_OK) {
		fs_rel(rel, "locks", t.file);
		fd = fs_openat(st->dirfd, rel, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0 && errno == EROFS) {
			rw = 0;
			fd = fs_openat(st->dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		}
		if (fd < 0 && errno != ENOENT)
			rc = fs_open_error(st, "lock file", user, errno);
		else if (fd >= 0 && (rc = fs_check_file(fd, st, "lock file", user, &sb)) == ODIN_OK)
			rc = fs_read_state(st, user, fd, rec, FS_STATE_PEEK, &t.sl, NULL, &t.have_base);
		if (rc != ODIN_OK)
			odin_record_wipe(rec);
	}
	/* kept for the lock that usually follows (a read-write state fd only) */
	if (rc == ODIN_OK && fd >= 0 && rw) {
		memcpy(st->kept_file, t.file, sizeof(st->kept_file));
		st->kept_rec = recfd;
		st->kept_state = fd;
		st->kept_sb = sb;
		st->kept_rec_dev = rsb.st_dev;
		st->kept_rec_ino = rsb.st_ino;
	} else {
		fs_close(recfd);
		fs_close(fd);
	}
	odin_wipe(&t, sizeof(t));
	return rc;
}

static int
fs_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Zeros slot i (then empty); 0 or -1 with errno. */
static int
fs_state_clear(struct odin_txn *t, int i)
{
	static const uint8_t zeros[ODIN_SLOT_SIZE];
	ssize_t n;

	do
		n = pwrite(t->lockfd, zeros, sizeof(zeros), (off_t)i * ODIN_SLOT_SIZE);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(zeros)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	t->sl.kind[i] = ODIN_SLOT_EMPTY;
	t->sl.bad = (t->sl.kind[0] == ODIN_SLOT_BAD) + (t->sl.kind[1] == ODIN_SLOT_BAD);
	return 0;
}

/*
 * A login's save: the state s into the target slot, in place (no temporary
 * file, no rename; users/ is synced only before a generation's first
 * slot, see below).  Durable (flags 0): fdatasync
 * before ODIN_OK; an attempt (ODIN_SAVE_ATTEMPT): the write alone, which
 * outlives the process.  The slot written is never the one that holds the
 * newest durable state, so a torn write loses at most itself.
 */
static int
fs_save_state(struct odin_txn *t, struct odin_login_state *s, int flags)
{
	struct odin_store *st = t->st;
	uint8_t slot[ODIN_SLOT_SIZE];
	const char *step = "write";
	ssize_t n;
	int rc, e, synced = 0;

	s->seq = t->sl.next_seq;
	s->durable = (flags & ODIN_SAVE_ATTEMPT) == 0;
	if (t->readonly) {
		e = EROFS;
		goto fail;
	}
	/* a file-size limit the caller set and the store could not lift: refused whole, never torn */
	if ((uint64_t)(t->sl.target + 1) * ODIN_SLOT_SIZE > odin_store_fsize_limit()) {
		e = EFBIG;
		goto fail;
	}
	/*
	 * The first slot of a generation: its record made durable first.  A
	 * record replaced by a login's attempt (an upgrade, a reseal) was not,
	 * nor one whose writer was killed between its rename and the fsync of
	 * users/: after a power loss the record before it would come back,
	 * and a code this generation's slots took would be taken again.  So a
	 * slot of a generation exists only once its record is durable, and
	 * every later slot can rely on that (fs_save leaves one at once).
	 */
	step = "fsync users/";
	if (t->sl.cur < 0 && !t->record_synced) {
		if ((rc = fs_subdir(st, "users", &st->usersfd)) != ODIN_OK)
			return rc;	/* logged */
		if (fsync(st->usersfd) != 0) {
			e = errno;
			goto fail;
		}
	}
	t->record_synced = 1;
	step = "write";
	odin_slot_encode(s, slot);
	n = -1;
#ifdef RWF_DSYNC
	/* durable in one call where the kernel can (Linux 4.7): the write and its sync */
	if (s->durable) {
		struct iovec io = { slot, sizeof(slot) };

		do
			n = pwritev2(t->lockfd, &io, 1, (off_t)t->sl.target * ODIN_SLOT_SIZE, RWF_DSYNC);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL) {
			e = errno;
			goto fail;
		}
		if (n >= 0)
			synced = 1;
	}
#endif
	if (n < 0) {
		do
			n = pwrite(t->lockfd, slot, sizeof(slot), (off_t)t->sl.target * ODIN_SLOT_SIZE);
		while (n < 0 && errno == EINTR);
	}
	if (n != (ssize_t)sizeof(slot)) {
		e = n < 0 ? errno : EIO;	/* short: the rest is a torn slot, caught by its checksum */
		goto fail;
	}
	step = "fdatasync";
	if (s->durable && !synced && fdatasync(t->lockfd) != 0) {
		e = errno;
		goto fail;
	}
	odin_slots_wrote(&t->sl, s);
	/* a bad slot beside a good one would fence every read: cleared (lost, it stays bad: safe) */
	if (t->sl.kind[1 - t->sl.cur] == ODIN_SLOT_BAD && fs_state_clear(t, 1 - t->sl.cur) != 0)
		odin_log(LOG_WARNING, "store %s: cannot clear a bad login-state slot of %s: %s",
		    st->where, t->user, strerror(errno));
	return ODIN_OK;
fail:
	odin_log(LOG_ERR, "store %s: cannot save the login state of %s (%s): %s",
	    st->where, t->user, step, strerror(e));
	return fs_err(e);
}

/*
 * The state file of a record being replaced: both slots long, so that a
 * login writes in place into blocks it already has, and no bad slot left
 * (the new record holds the whole state; a slot of the old one that does
 * not read must not count against the new).  Durable with the record.
 * Valid slots of the old record are left: stale, but their seq counts.
 */
static int
fs_state_prepare(struct odin_txn *t)
{
	int i, wrote = 0;
	struct stat sb;

	if (fs_stat(t->lockfd, "", &sb) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (t->sl.kind[i] == ODIN_SLOT_BAD ||
		    (sb.st_size < (off_t)(i + 1) * ODIN_SLOT_SIZE && t->sl.kind[i] != ODIN_SLOT_VALID)) {
			if (fs_state_clear(t, i) != 0)
				return -1;
			wrote = 1;
		}
	}
	return wrote ? fdatasync(t->lockfd) : 0;
}

static int
fs_save(struct odin_txn *t, const struct odin_record *rec, int flags)
{
	struct odin_store *st = t->st;
	struct odin_login_state s;
	char tmp[FS_NAME_MAX + 8];
	char *text = NULL;
	size_t len = 0;
	const char *step;
	uint64_t gen = 0;
	int fd = -1, rc, e;

	/* what a login changes goes to a slot; anything else replaces the record */
	if (t->have_base && !t->reseal) {
		if ((rc = odin_slots_diff(&t->stored, rec, &s)) < 0)
			return rc;
		if (rc == 1)
			return fs_save_state(t, &s, flags);
	}
	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", t->file) >= (int)sizeof(tmp))
		return ODIN_EBADNAME;
	if ((rc = fs_subdir(st, "users", &st->usersfd)) != ODIN_OK)
		return rc;
	/*
	 * A new generation: every slot written for the old record is stale at
	 * once, and every slot written from now on has a seq at least its low
	 * bits (the state file's next seq).
	 */
	if ((rc = odin_random(&gen, sizeof(gen))) != ODIN_OK)
		return rc;
	gen = odin_slots_generation(gen, t->sl.next_seq);
	if ((rc = odin_record_format_gen(rec, gen, st->base.key, t->user, &text, &len)) != ODIN_OK)
		return rc;
	step = "prepare the state file";
	if (!t->readonly && fs_state_prepare(t) != 0)
		goto fail_nounlink;

	step = "remove the stale temporary file";
	if (unlinkat(st->usersfd, tmp, 0) != 0 && errno != ENOENT)
		goto fail_nounlink;
	step = "create the temporary file";
	fd = openat(st->usersfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		goto fail_nounlink;
	step = "set the owner and mode of the temporary file";
	if (fchown(fd, 0, 0) != 0 || fchmod(fd, 0600) != 0)
		goto fail;
	step = "write the temporary file";
	if (fs_write_all(fd, text, len) != 0)
		goto fail;
	step = "fsync the temporary file";
	if (fsync(fd) != 0)
		goto fail;
	step = "close the temporary file";
	e = close(fd);
	fd = -1;
	if (e != 0)
		goto fail;
	step = "rename the temporary file over the record";
	if (renameat(st->usersfd, tmp, st->usersfd, t->file) != 0)
		goto fail;
	odin_record_text_free(text);
	/* The new record is in place; without this it may not survive a crash. */
	if ((flags & ODIN_SAVE_ATTEMPT) == 0 && fsync(st->usersfd) != 0) {
		e = errno;
		odin_log(LOG_ERR, "store %s: cannot save the record of %s (fsync users/): %s",
		    st->where, t->user, strerror(e));
		return fs_err(e);
	}
	/* later saves in this transaction: against the record as now stored */
	t->record_synced = (flags & ODIN_SAVE_ATTEMPT) == 0;
	t->reseal = 0;
	if ((rc = odin_slots_base(rec, gen, &t->stored)) != ODIN_OK)
		return rc;
	t->have_base = 1;
	odin_slots_use(&t->sl, gen);
	/*
	 * A durable record: its first slot now (the record's own state, not
	 * synced), so that the first login does not fsync users/ again.  Lost
	 * or not written: that login does.
	 */
	if (t->record_synced && !t->readonly && odin_slots_diff(&t->stored, rec, &s) == 1)
		(void)fs_save_state(t, &s, ODIN_SAVE_ATTEMPT);
	return ODIN_OK;

fail:
	e = errno;
	fs_close(fd);
	(void)unlinkat(st->usersfd, tmp, 0);
	errno = e;
fail_nounlink:
	e = errno;
	odin_record_text_free(text);
	odin_log(LOG_ERR, "store %s: cannot save the record of %s (%s): %s",
	    st->where, t->user, step, strerror(e));
	return fs_err(e);
}

/*
 * Removes the record in two phases.  First it is renamed out of place (to
 * the user's temporary name) and the directory fsynced: from then on there
 * is no record, atomically, so a crash or an error at any point leaves
 * either the old record or none, never a half-wiped one.  Then the bytes
 * of the renamed file are overwritten and it is unlinked; a failure there
 * is logged, but the record is gone, which is what was asked.  A temporary
 * left by a crash in between is removed by the next save or delete.
 */
static int
fs_delete(struct odin_txn *t)
{
	static const char zeros[512];
	struct odin_store *st = t->st;
	char tmp[FS_NAME_MAX + 8];
	struct stat sb;
	off_t off, size;
	ssize_t n;
	size_t chunk;
	int fd, rc, e;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", t->file) >= (int)sizeof(tmp))
		return ODIN_EBADNAME;
	if ((rc = fs_subdir(st, "users", &st->usersfd)) != ODIN_OK)
		return rc;
	fd = openat(st->usersfd, t->file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return ODIN_ENOENT;
		return fs_open_error(st, "record", t->user, errno);
	}
	/* The link-count check keeps the wipe from landing in another file. */
	if ((rc = fs_check_file(fd, st, "record", t->user, &sb)) != ODIN_OK) {
		fs_close(fd);
		return rc;
	}
	if (renameat(st->usersfd, t->file, st->usersfd, tmp) != 0) {
		e = errno;
		odin_log(LOG_ERR, "store %s: cannot remove the record of %s (rename): %s",
		    st->where, t->user, strerror(e));
		fs_close(fd);
		return fs_err(e);
	}
	if (fsync(st->usersfd) != 0) {
		e = errno;
		odin_log(LOG_ERR, "store %s: cannot fsync users/ after removing %s: %s",
		    st->where, t->user, strerror(e));
		rc = fs_err(e);
	}
	/* We never write more than ODIN_RECORD_MAX bytes, so no secret of ours lies beyond. */
	size = sb.st_size < ODIN_RECORD_MAX ? sb.st_size : ODIN_RECORD_MAX;
	for (off = 0; off < size; ) {
		chunk = (size_t)(size - off) < sizeof(zeros) ? (size_t)(size - off) : sizeof(zeros);
		n = pwrite(fd, zeros, chunk, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			odin_log(LOG_ERR, "store %s: the record of %s is removed, but overwriting it failed: %s",
			    st->where, t->user, strerror(e));
			break;
		}
		off += n;
	}
	if (off >= size && fsync(fd) != 0)
		odin_log(LOG_ERR, "store %s: the record of %s is removed, but fsync of the overwrite failed: %s",
		    st->where, t->user, strerror(errno));
	fs_close(fd);
	if (unlinkat(st->usersfd, tmp, 0) != 0)
		odin_log(LOG_ERR, "store %s: the record of %s is removed, but users/%s stays: %s",
		    st->where, t->user, tmp, strerror(errno));
	else if (fsync(st->usersfd) != 0)
		odin_log(LOG_ERR, "store %s: cannot fsync users/ after removing %s: %s",
		    st->where, t->user, strerror(errno));
	return rc;
}

static void
fs_unlock(struct odin_txn *t)
{
	fs_close(t->lockfd);	/* closing the only fd releases the flock */
	odin_secure_free(t);	/* wiped */
}

static int
fs_list(struct odin_store *st, int (*cb)(const char *, void *), void *ctx)
{
	char user[ODIN_USER_MAX + 1];
	struct dirent *de;
	DIR *d;
	int fd, rc = ODIN_OK;

	if ((rc = fs_subdir(st, "users", &st->usersfd)) != ODIN_OK)
		return rc;
	/* A fresh fd: readdir state must not be shared with the long-lived one. */
	fd = openat(st->usersfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		odin_log(LOG_ERR, "store %s: cannot open users/: %s", st->where, strerror(errno));
		return fs_err(errno);
	}
	if ((d = fdopendir(fd)) == NULL) {
		rc = fs_err(errno);
		fs_close(fd);
		return rc;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				odin_log(LOG_ERR, "store %s: cannot read users/: %s",
				    st->where, strerror(errno));
				rc = fs_err(errno);
			}
			break;
		}
		if (de->d_name[0] == '.' || fs_decode(de->d_name, user) != ODIN_OK)
			continue;	/* temporaries, strays: not a record's name */
		if ((rc = cb(user, ctx)) != 0)
			break;
	}
	(void)closedir(d);
	return rc;
}

const struct odin_store_ops odin_store_files_ops = {
	.name = "files",
	.open = fs_open,
	.close = fs_close_store,
	.lock = fs_lock,
	.save = fs_save,
	.del = fs_delete,
	.unlock = fs_unlock,
	.list = fs_list,
	.peek = fs_peek,
	.create = fs_create,
};
