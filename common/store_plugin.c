/* SPDX-License-Identifier: ISC */
/*
 * Loading a store plugin (store_backend.h).  The path comes from the configuration
 * (pg_plugin, trusted only as far as the config file is: root-owned, not
 * group/other-writable; the CLI refuses --config when setuid-elevated) or
 * from ODIN_PLUGIN_DIR, fixed at build time; never from the environment.
 * The file is opened once with O_NOFOLLOW, checked on the fd (regular,
 * owner root, not group/other-writable), and that very file is handed to
 * dlopen() as /proc/self/fd/N, so nothing can be swapped in between the
 * check and the load.  (The directories above it are the administrator's
 * choice, as for the store directory.)  Then the exported descriptor must
 * match this build's plugin interface (ABI number and the sizes of the
 * structures that cross it) before a single op is called; a plugin of
 * another release with the same interface is loaded with a warning (a
 * service that runs since before an upgrade).
 *
 * A plugin that passed stays loaded for the life of the process
 * (RTLD_NODELETE), like the PAM module itself (Makefile.am): unloading
 * libpq and the ~25 libraries under it at the end of every login cost a
 * login process almost a millisecond (bench/pg.sh), runs the teardown of
 * libraries (Kerberos, GnuTLS, OpenSSL) never meant to be unloaded, and
 * made a long-lived process map and relocate them all again at its next
 * login.  The next load of the same file (the same device and inode,
 * after the same checks on a freshly opened fd) reuses it; a file that
 * differs (an upgrade) is loaded beside it and checked as above.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "store_backend.h"

/* What the plugin's copy of log.c forwards to: sanitised and sunk here. */
static void
plugin_log(int prio, const char *msg)
{
	odin_log(prio, "%s", msg);
}

/* Opens and checks path; returns the fd (*sb its fstat) or -1 with *rc set (logged). */
static int
plugin_open(const char *path, struct stat *sb, int *rc)
{
	int fd;

	if (path[0] != '/') {
		odin_log(LOG_ERR, "store plugin %s: not an absolute path", path);
		*rc = ODIN_EUNSAFE;
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP) {
			odin_log(LOG_ERR, "store plugin %s: is a symlink: refused", path);
			*rc = ODIN_EUNSAFE;
		} else {
			odin_log(LOG_ERR, "store plugin %s: cannot open: %s", path, strerror(errno));
			*rc = ODIN_EIO;
		}
		return -1;
	}
	*rc = ODIN_EUNSAFE;
	if (fstat(fd, sb) != 0) {
		odin_log(LOG_ERR, "store plugin %s: cannot stat: %s", path, strerror(errno));
		*rc = ODIN_EIO;
	} else if (!S_ISREG(sb->st_mode)) {
		odin_log(LOG_ERR, "store plugin %s: not a regular file: refused", path);
	} else if (sb->st_uid != 0) {
		odin_log(LOG_ERR, "store plugin %s: owned by uid %lu, not root: refused",
		    path, (unsigned long)sb->st_uid);
	} else if ((sb->st_mode & 022) != 0) {
		odin_log(LOG_ERR, "store plugin %s: mode %04o, group/other-writable: refused",
		    path, (unsigned)(sb->st_mode & 07777));
	} else {
		*rc = ODIN_OK;
		return fd;
	}
	(void)close(fd);
	return -1;
}

/*
 * The plugins this process has loaded: the file each came from and its
 * descriptor, already checked.  A list that only grows and is never freed
 * (a process loads one plugin per upgrade at most).  Loads are one at a
 * time (load_mu): two logins of one process that loaded the same new file
 * at once would each probe names the other's object answers to, and
 * glibc gives such an object every name it was probed by.
 */
struct resident {
	dev_t dev;
	ino_t ino;
	const struct odin_store_plugin *pl;
	struct resident *next;
};
static struct resident *residents;
static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_forksafe;

/* fork() waits for a load in another thread: the child's mutex is never left held */
static void
load_lock(void)
{
	(void)pthread_mutex_lock(&load_mu);
}

static void
load_unlock(void)
{
	(void)pthread_mutex_unlock(&load_mu);
}

static void
load_init(void)
{
	load_forksafe = pthread_atfork(load_lock, load_unlock, load_unlock) == 0;
}

/* The resident plugin loaded from this file, or NULL (load_mu held). */
static const struct odin_store_plugin *
resident_find(const struct stat *sb)
{
	const struct resident *r;

	for (r = residents; r != NULL; r = r->next)
		if (r->dev == sb->st_dev && r->ino == sb->st_ino)
			return r->pl;
	return NULL;
}

/*
 * The same interface from another release: what a long-running service
 * meets after an upgrade (the PAM module is NODELETE: the process keeps
 * the module it loaded, the plugin on disk is the new one).  Loaded, so
 * that its logins go on; the log says, at each of them, to restart it.
 */
static void
release_warn(const char *path, const struct odin_store_plugin *pl)
{
	if (strcmp(pl->version, PACKAGE_VERSION) != 0)
		odin_log(LOG_WARNING, "store plugin %s: from odin-mfa %.32s, this process runs %s "
		    "(started before an upgrade? restart it); the same plugin interface: loaded",
		    path, pl->version, PACKAGE_VERSION);
}

/* odin_store_plugin_load with load_mu held; closes fd. */
static int
plugin_load_locked(const char *path, const char *name, int fd, const struct stat *sb,
    const struct odin_store_ops **ops)
{
	static const size_t sizes[4] = ODIN_STORE_PLUGIN_SIZES;
	const struct odin_store_plugin *pl;
	struct resident *r;
	char self[64];
	const char *why = NULL;
	void *h = NULL, *kept = NULL;
	int rc = ODIN_EIO;

	/* the file just checked was loaded and checked before: that object */
	if ((pl = resident_find(sb)) != NULL) {
		(void)close(fd);
		if (strcmp(pl->ops->name, name) != 0) {
			odin_log(LOG_ERR, "store plugin %s: not the plugin of this backend: refused", path);
			return ODIN_EIO;
		}
		release_warn(path, pl);
		*ops = pl->ops;
		return ODIN_OK;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {	/* before the load: a plugin kept is a plugin listed */
		odin_log(LOG_ERR, "store plugin %s: out of memory", path);
		rc = ODIN_ENOMEM;
		goto fail;
	}
	(void)snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	/*
	 * glibc matches a loaded object by name before it looks at the file:
	 * an object that stayed resident after an earlier load by this very
	 * name (a plugin of the release before an upgrade, or a NODELETE
	 * module given as pg_plugin by mistake) would be handed back instead
	 * of the file checked above.  While some object answers to the name,
	 * move the fd to another number; a move that fails is a refusal.
	 * (Each resident has the one name it was loaded under, the lists
	 * above see to it; the checked file itself, already loaded under
	 * another name by another copy of this code in the process, answers
	 * too: after a few moves it is simply loaded, and glibc hands back
	 * that same object.)
	 */
	for (int moves = 0; moves < 8; moves++) {
		void *old = dlopen(self, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
		int nfd;

		if (old == NULL)
			break;
		(void)dlclose(old);
		if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1)) < 0) {
			odin_log(LOG_ERR, "store plugin %s: cannot move it to a free name: %s: refused",
			    path, strerror(errno));
			goto fail;
		}
		(void)close(fd);
		fd = nfd;
		(void)snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	}
	if ((h = dlopen(self, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		odin_log(LOG_ERR, "store plugin %s: cannot load: %s", path, e != NULL ? e : "?");
		goto fail;
	}
	pl = dlsym(h, ODIN_STORE_PLUGIN_SYMBOL);
	if (pl == NULL)
		why = "no " ODIN_STORE_PLUGIN_SYMBOL " symbol";
	else if (pl->abi != ODIN_STORE_PLUGIN_ABI || pl->version == NULL ||
	    memcmp(pl->sizes, sizes, sizeof(sizes)) != 0)
		why = "built for another version of odin-mfa, with another plugin interface (" PACKAGE_VERSION " here)";
	else if (pl->ops == NULL || pl->attach == NULL || pl->ops->name == NULL ||
	    strcmp(pl->ops->name, name) != 0)
		why = "not the plugin of this backend";
	/*
	 * Resident from here on: NODELETE, set on the loaded object by a
	 * second dlopen() with RTLD_NOLOAD (glibc), while fd still holds the
	 * name, so that no other object can answer to it.  A refused plugin
	 * is unloaded.
	 */
	else if ((kept = dlopen(self, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD | RTLD_NODELETE)) != h)
		why = "cannot keep it loaded";
	if (why != NULL) {
		odin_log(LOG_ERR, "store plugin %s: %s: refused", path, why);
		goto fail;
	}
	(void)close(fd);
	release_warn(path, pl);
	pl->attach(plugin_log);
	r->dev = sb->st_dev;
	r->ino = sb->st_ino;
	r->pl = pl;
	r->next = residents;
	residents = r;
	*ops = pl->ops;
	return ODIN_OK;

fail:
	if (kept != NULL)
		(void)dlclose(kept);
	if (h != NULL)
		(void)dlclose(h);
	(void)close(fd);
	free(r);
	return rc;
}

int
odin_store_plugin_load(const char *path, const char *name, const struct odin_store_ops **ops)
{
	struct stat sb;
	int fd, rc;

	*ops = NULL;
	if ((fd = plugin_open(path, &sb, &rc)) < 0)
		return rc;
	(void)pthread_once(&load_once, load_init);
	if (!load_forksafe) {
		(void)close(fd);
		odin_log(LOG_ERR, "store plugin %s: cannot register its fork handlers: refused", path);
		return ODIN_ENOMEM;
	}
	load_lock();
	rc = plugin_load_locked(path, name, fd, &sb, ops);
	load_unlock();
	return rc;
}
