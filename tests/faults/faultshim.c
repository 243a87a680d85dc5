/* SPDX-License-Identifier: ISC */
/*
 * A fault-injection shim for the tests only (LD_PRELOAD; built as a
 * check_LTLIBRARIES module, never installed, never linked into anything).
 * It watches the file calls that touch one directory tree (the store) and
 * makes one chosen call fail or kills the process there.
 *
 *   ODIN_FAULT_DIR=/abs/store     calls on paths under it, or on fds opened
 *                                 under it, are "tracked"; nothing else is
 *   ODIN_FAULT_TRACE=FILE         append "PID KIND NAME" for every tracked call
 *   ODIN_FAULT_TRACE_CPU=1        ... and " NS": the process's CPU time (ns)
 *                                 as the call is about to be made
 *   ODIN_FAULT=KIND:N:ACTION      the Nth tracked call of KIND (1-based) ...
 *       ACTION = EIO|ENOSPC|EROFS|EDQUOT|EACCES|EPERM|ENOLCK|EINTR|<number>
 *                the call fails with that errno, without being made
 *              | kill       SIGKILL before the call is made
 *              | killafter  the call is made, then SIGKILL
 *   KIND = open (open, openat and their 64/fortify forms), write, pwrite,
 *          fsync (fsync, fdatasync), rename (rename, renameat), close, flock, unlink
 *          (unlink, unlinkat), fchmod
 *
 * The settings are read once, in a constructor, so a program that clears
 * its environment at startup (the CLI does) is still covered.
 */
#undef _FORTIFY_SOURCE	/* we define open() ourselves */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define FS_MAXFD 1024

enum fs_kind { K_OPEN, K_WRITE, K_PWRITE, K_FSYNC, K_RENAME, K_CLOSE, K_FLOCK,
	K_UNLINK, K_FCHMOD, K_NKINDS };
static const char *const fs_kind_names[K_NKINDS] = { "open", "write", "pwrite",
	"fsync", "rename", "close", "flock", "unlink", "fchmod" };

static char fs_dir[PATH_MAX];
static size_t fs_dirlen;
static char fs_trace[PATH_MAX];
static int fs_trace_cpu;
static int fs_fault_kind = -1;
static unsigned long fs_fault_n;
static int fs_fault_errno;	/* 0: kill */
static int fs_fault_after;
static unsigned long fs_count[K_NKINDS];
static char fs_names[FS_MAXFD][48];	/* non-empty: fd is tracked */

static const struct { const char *name; int e; } fs_errnos[] = {
	{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EROFS", EROFS }, { "EDQUOT", EDQUOT },
	{ "EACCES", EACCES }, { "EPERM", EPERM }, { "ENOLCK", ENOLCK }, { "EINTR", EINTR },
};

__attribute__((constructor)) static void
fs_init(void)
{
	const char *d = getenv("ODIN_FAULT_DIR"), *t = getenv("ODIN_FAULT_TRACE");
	const char *f = getenv("ODIN_FAULT");
	char kind[16], act[16];
	size_t i;

	if (d != NULL && strlen(d) < sizeof(fs_dir) - 1) {
		strcpy(fs_dir, d);
		fs_dirlen = strlen(fs_dir);
		while (fs_dirlen > 1 && fs_dir[fs_dirlen - 1] == '/')
			fs_dir[--fs_dirlen] = '\0';
	}
	if (t != NULL && strlen(t) < sizeof(fs_trace))
		strcpy(fs_trace, t);
	fs_trace_cpu = getenv("ODIN_FAULT_TRACE_CPU") != NULL;
	if (f != NULL && sscanf(f, "%15[a-z]:%lu:%15[A-Za-z0-9]", kind, &fs_fault_n, act) == 3) {
		for (i = 0; i < K_NKINDS; i++)
			if (strcmp(kind, fs_kind_names[i]) == 0)
				fs_fault_kind = (int)i;
		if (strcmp(act, "kill") == 0) {
			fs_fault_errno = 0;
		} else if (strcmp(act, "killafter") == 0) {
			fs_fault_errno = 0;
			fs_fault_after = 1;
		} else if (act[0] >= '0' && act[0] <= '9') {
			fs_fault_errno = atoi(act);
		} else {
			fs_fault_errno = -1;
			for (i = 0; i < sizeof(fs_errnos) / sizeof(fs_errnos[0]); i++)
				if (strcmp(act, fs_errnos[i].name) == 0)
					fs_fault_errno = fs_errnos[i].e;
			if (fs_fault_errno < 0)
				fs_fault_kind = -1;
		}
	}
}

static void *
fs_next(const char *sym)
{
	void *p = dlsym(RTLD_NEXT, sym);

	if (p == NULL) {
		static const char msg[] = "faultshim: missing symbol\n";

		(void)syscall(SYS_write, 2, msg, sizeof(msg) - 1);
		abort();
	}
	return p;
}

static int
fs_fd_tracked(int fd)
{
	return fs_dirlen > 0 && fd >= 0 && fd < FS_MAXFD && fs_names[fd][0] != '\0';
}

static int
fs_path_tracked(int dirfd, const char *path)
{
	if (fs_dirlen == 0 || path == NULL)
		return 0;
	if (path[0] == '/')
		return strncmp(path, fs_dir, fs_dirlen) == 0 &&
		    (path[fs_dirlen] == '\0' || path[fs_dirlen] == '/');
	return dirfd != AT_FDCWD && fs_fd_tracked(dirfd);
}

static void
fs_track(int fd, const char *path)
{
	const char *b;

	if (fd < 0 || fd >= FS_MAXFD)
		return;
	b = strrchr(path, '/');
	b = (b != NULL && b[1] != '\0') ? b + 1 : path;
	(void)snprintf(fs_names[fd], sizeof(fs_names[fd]), "%s", b[0] != '\0' ? b : "?");
}

/* Counts a tracked call; returns 0 to go ahead, -1 (errno set) to fail it. */
static int
fs_hook(enum fs_kind k, const char *name)
{
	int e = errno;

	fs_count[k]++;
	if (fs_trace[0] != '\0') {
		char line[160];
		int fd, n;

		struct timespec cpu = { 0, 0 };

		if (fs_trace_cpu) {
			/* the raw call: libfaketime, preloaded with us, must not touch this clock */
			(void)syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &cpu);
			n = snprintf(line, sizeof(line), "%ld %s %s %lld\n", (long)getpid(),
			    fs_kind_names[k], name, (long long)cpu.tv_sec * 1000000000LL + cpu.tv_nsec);
		} else
			n = snprintf(line, sizeof(line), "%ld %s %s\n", (long)getpid(),
			    fs_kind_names[k], name);
		fd = (int)syscall(SYS_openat, AT_FDCWD, fs_trace,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0 && n > 0) {
			(void)syscall(SYS_write, fd, line, (size_t)n);
			(void)syscall(SYS_close, fd);
		}
	}
	if ((int)k == fs_fault_kind && fs_count[k] == fs_fault_n) {
		if (fs_fault_errno == 0 && !fs_fault_after)
			(void)kill(getpid(), SIGKILL);
		if (fs_fault_errno > 0) {
			errno = fs_fault_errno;
			return -1;
		}
	}
	errno = e;
	return 0;
}

/* After a tracked call that was made: the "killafter" action. */
static void
fs_after(enum fs_kind k)
{
	if (fs_fault_after && (int)k == fs_fault_kind && fs_count[k] == fs_fault_n)
		(void)kill(getpid(), SIGKILL);
}

static mode_t
fs_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) != 0 ? (mode_t)va_arg(ap, int) : 0;
}

static int
fs_openat_common(const char *sym, int dirfd, const char *path, int flags, mode_t mode, int at)
{
	int fd, tracked = fs_path_tracked(at ? dirfd : AT_FDCWD, path);

	if (tracked && fs_hook(K_OPEN, path) != 0)
		return -1;
	if (at) {
		int (*real)(int, const char *, int, ...) = fs_next(sym);

		fd = real(dirfd, path, flags, mode);
	} else {
		int (*real)(const char *, int, ...) = fs_next(sym);

		fd = real(path, flags, mode);
	}
	if (tracked && fd >= 0)
		fs_track(fd, path);
	if (tracked)
		fs_after(K_OPEN);
	return fd;
}

int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);
int openat(int dirfd, const char *path, int flags, ...);
int openat64(int dirfd, const char *path, int flags, ...);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = fs_mode(flags, ap);
	va_end(ap);
	return fs_openat_common("open", AT_FDCWD, path, flags, m, 0);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = fs_mode(flags, ap);
	va_end(ap);
	return fs_openat_common("open64", AT_FDCWD, path, flags, m, 0);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = fs_mode(flags, ap);
	va_end(ap);
	return fs_openat_common("openat", dirfd, path, flags, m, 1);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = fs_mode(flags, ap);
	va_end(ap);
	return fs_openat_common("openat64", dirfd, path, flags, m, 1);
}

int __open_2(const char *path, int flags) { return fs_openat_common("open", AT_FDCWD, path, flags, 0, 0); }
int __open64_2(const char *path, int flags) { return fs_openat_common("open64", AT_FDCWD, path, flags, 0, 0); }
int __openat_2(int dirfd, const char *path, int flags) { return fs_openat_common("openat", dirfd, path, flags, 0, 1); }
int __openat64_2(int dirfd, const char *path, int flags) { return fs_openat_common("openat64", dirfd, path, flags, 0, 1); }

ssize_t
write(int fd, const void *buf, size_t n)
{
	ssize_t (*real)(int, const void *, size_t) = fs_next("write");
	int t = fs_fd_tracked(fd);
	ssize_t r;

	if (t && fs_hook(K_WRITE, fs_names[fd]) != 0)
		return -1;
	r = real(fd, buf, n);
	if (t)
		fs_after(K_WRITE);
	return r;
}

static ssize_t
fs_pwrite(const char *sym, int fd, const void *buf, size_t n, off_t off)
{
	ssize_t (*real)(int, const void *, size_t, off_t) = fs_next(sym);
	int t = fs_fd_tracked(fd);
	ssize_t r;

	if (t && fs_hook(K_PWRITE, fs_names[fd]) != 0)
		return -1;
	r = real(fd, buf, n, off);
	if (t)
		fs_after(K_PWRITE);
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) { return fs_pwrite("pwrite", fd, buf, n, off); }
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return fs_pwrite("pwrite64", fd, buf, n, off); }

/*
 * pwritev2(RWF_DSYNC), a write and its sync in one call, is two tracked
 * calls: a "pwrite" (fails before anything is written) and an "fsync"
 * (the data is written, then the sync fails or the process dies), as the
 * kernel could fail it either way.
 */
ssize_t
pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	ssize_t (*real)(int, const struct iovec *, int, off_t, int) = fs_next("pwritev2");
	int (*sync)(int) = fs_next("fdatasync");
	int t = fs_fd_tracked(fd);
	ssize_t r;

	if (t && fs_hook(K_PWRITE, fs_names[fd]) != 0)
		return -1;
	if (!t || (flags & RWF_DSYNC) == 0) {
		r = real(fd, iov, cnt, off, flags);
		if (t)
			fs_after(K_PWRITE);
		return r;
	}
	r = real(fd, iov, cnt, off, flags & ~RWF_DSYNC);
	fs_after(K_PWRITE);
	if (r < 0)
		return r;
	if (fs_hook(K_FSYNC, fs_names[fd]) != 0)
		return -1;
	if (sync(fd) != 0)
		return -1;
	fs_after(K_FSYNC);
	return r;
}

int
fsync(int fd)
{
	int (*real)(int) = fs_next("fsync");
	int t = fs_fd_tracked(fd), r;

	if (t && fs_hook(K_FSYNC, fs_names[fd]) != 0)
		return -1;
	r = real(fd);
	if (t)
		fs_after(K_FSYNC);
	return r;
}

int
fdatasync(int fd)
{
	int (*real)(int) = fs_next("fdatasync");
	int t = fs_fd_tracked(fd), r;

	if (t && fs_hook(K_FSYNC, fs_names[fd]) != 0)
		return -1;
	r = real(fd);
	if (t)
		fs_after(K_FSYNC);
	return r;
}

int
close(int fd)
{
	int (*real)(int) = fs_next("close");
	int t = fs_fd_tracked(fd), r;

	if (t) {
		if (fs_hook(K_CLOSE, fs_names[fd]) != 0) {
			/* like Linux: the fd is gone even when close reports an error */
			int e = errno;

			fs_names[fd][0] = '\0';
			(void)real(fd);
			errno = e;
			return -1;
		}
		fs_names[fd][0] = '\0';
	}
	r = real(fd);
	if (t)
		fs_after(K_CLOSE);
	return r;
}

int
flock(int fd, int op)
{
	int (*real)(int, int) = fs_next("flock");
	int t = fs_fd_tracked(fd), r;

	if (t && fs_hook(K_FLOCK, fs_names[fd]) != 0)
		return -1;
	r = real(fd, op);
	if (t)
		fs_after(K_FLOCK);
	return r;
}

int
fchmod(int fd, mode_t mode)
{
	int (*real)(int, mode_t) = fs_next("fchmod");
	int t = fs_fd_tracked(fd), r;

	if (t && fs_hook(K_FCHMOD, fs_names[fd]) != 0)
		return -1;
	r = real(fd, mode);
	if (t)
		fs_after(K_FCHMOD);
	return r;
}

int
renameat(int od, const char *op, int nd, const char *np)
{
	int (*real)(int, const char *, int, const char *) = fs_next("renameat");
	int t = fs_path_tracked(od, op) || fs_path_tracked(nd, np), r;

	if (t && fs_hook(K_RENAME, np) != 0)
		return -1;
	r = real(od, op, nd, np);
	if (t)
		fs_after(K_RENAME);
	return r;
}

int
rename(const char *op, const char *np)
{
	int (*real)(const char *, const char *) = fs_next("rename");
	int t = fs_path_tracked(AT_FDCWD, op) || fs_path_tracked(AT_FDCWD, np), r;

	if (t && fs_hook(K_RENAME, np) != 0)
		return -1;
	r = real(op, np);
	if (t)
		fs_after(K_RENAME);
	return r;
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	int (*real)(int, const char *, int) = fs_next("unlinkat");
	int t = fs_path_tracked(dirfd, path), r;

	if (t && fs_hook(K_UNLINK, path) != 0)
		return -1;
	r = real(dirfd, path, flags);
	if (t)
		fs_after(K_UNLINK);
	return r;
}

int
unlink(const char *path)
{
	int (*real)(const char *) = fs_next("unlink");
	int t = fs_path_tracked(AT_FDCWD, path), r;

	if (t && fs_hook(K_UNLINK, path) != 0)
		return -1;
	r = real(path);
	if (t)
		fs_after(K_UNLINK);
	return r;
}
