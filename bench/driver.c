/* SPDX-License-Identifier: ISC */
/*
 * bench/driver.c -- the side-by-side benchmark of pam_odin against
 * pam_permit (the libpam floor), pam_google_authenticator and pam_oath
 * (issue 6).  Run it through bench/run, which builds it, gives it a
 * private /dev/log and turns its key/value output into bench/RESULTS.md.
 *
 * Every login is a real pam_start_confdir -> pam_authenticate -> pam_end
 * cycle against a service directory written here, answering the prompt
 * with a TOTP code for the real clock from bench-codes (codes.c), a helper
 * process with its own HMAC-SHA1 (OpenSSL's) and RFC 4226 truncation that
 * share nothing with common/, so a bug there cannot hide itself here.  The
 * driver itself does not link libcrypto: a module that needs it pays for
 * loading and initialising it, as it does in su or sudo.
 *
 * Each user has a distinct secret and logs in at most once per run, so
 * the replay protection of every module stays on and never refuses a
 * legitimate login.  Users of a store are split into five classes by
 * index % 5: class 0 for the sequential success runs, 1 for the
 * one-process throughput baseline, 2 and 3 for the two parallel
 * processes, 4 for the race rounds and the RSS child.
 *
 * Subcommands (all write "key value" lines to --out):
 *   run      the whole benchmark (or --smoke)
 *   hostlog  a small run per module with the host's syslog as it is
 *   rss      internal: a fresh process measuring its own peak RSS
 *   report   key/value files -> markdown table on stdout
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

extern char **environ;

/*
 * M_FLOOR (bench/pam_floor.c) is the in-place design's floor as a module:
 * the prompt and the two writes of a login, no verification.  Like
 * pam_permit it is a floor, not a contender: it takes part in the login
 * runs only (it would accept any code, so no race, parallel or wrong-code
 * runs).
 */
enum mod { M_PERMIT, M_FLOOR, M_ODIN, M_GA, M_OATH, M_COUNT };
static const char *const mod_key[M_COUNT] = { "permit", "floor", "odin", "ga", "oath" };
static const char *const mod_title[M_COUNT] = {
	"pam_permit", "in-place floor module", "pam_odin", "google-authenticator", "pam_oath"
};
#define IS_FLOOR(m) ((m) == M_PERMIT || (m) == M_FLOOR)

#define NCLASS 5
#define RACE_PROCS 32
#define RACE_ROUNDS 10
#define SECRET_LEN 20

/* ---- output -------------------------------------------------------- */

static FILE *out;

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-driver: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void
emit(const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s ", key);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

static void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- secrets and codes, from bench-codes ------------------------------ */

/* This program's own path (to spawn itself, or what was built beside it). */
static void
self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0)
		die("readlink /proc/self/exe: %s", strerror(errno));
	buf[n] = '\0';
}

/*
 * The oracle process of this process (a forked child asks its own: two
 * processes on one pipe would read each other's answers).
 */
static pid_t codes_owner;
static FILE *codes_to, *codes_from;

static void
codes_start(void)
{
	char self[PATH_MAX], *slash, *path;
	int to[2], from[2];
	pid_t pid;

	if (codes_to != NULL) {		/* the parent's, inherited: not ours to use */
		(void)fclose(codes_to);
		(void)fclose(codes_from);
	}
	self_path(self, sizeof(self));
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	if (asprintf(&path, "%s/bench-codes", self) < 0)
		die("out of memory");
	if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0)
			_exit(127);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	free(path);
	close(to[0]);
	close(from[1]);
	if ((codes_to = fdopen(to[1], "w")) == NULL || (codes_from = fdopen(from[0], "r")) == NULL)
		die("fdopen: %s", strerror(errno));
	codes_owner = getpid();
}

static void
codes_ask(char *answer, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (codes_owner != getpid())
		codes_start();
	va_start(ap, fmt);
	vfprintf(codes_to, fmt, ap);
	va_end(ap);
	if (fflush(codes_to) != 0 || fgets(answer, (int)len, codes_from) == NULL)
		die("bench-codes did not answer (built beside the driver?)");
	n = strlen(answer);
	if (n == 0 || answer[n - 1] != '\n')
		die("bench-codes: a short answer");
	answer[n - 1] = '\0';
}

static void
secret_of(unsigned user, uint8_t key[SECRET_LEN])
{
	char a[2 * SECRET_LEN + 2];
	unsigned i, b = 0;

	codes_ask(a, sizeof(a), "k %u\n", user);
	if (strlen(a) != 2 * SECRET_LEN)
		die("bench-codes: a bad secret");
	for (i = 0; i < SECRET_LEN; i++) {
		if (sscanf(a + 2 * i, "%2x", &b) != 1)
			die("bench-codes: a bad secret");
		key[i] = (uint8_t)b;
	}
}

/* The user's code at step (the key argument is the user's, as bench-codes knows it). */
static unsigned
totp_of(unsigned user, int64_t step)
{
	char a[16];
	unsigned c = 0;

	codes_ask(a, sizeof(a), "t %u %" PRId64 "\n", user, step);
	if (strlen(a) != 6 || sscanf(a, "%u", &c) != 1)
		die("bench-codes: a bad code");
	return c;
}

static int64_t
step_now(void)
{
	return (int64_t)time(NULL) / 30;
}


static void
base32(const uint8_t *in, size_t n, char *outbuf)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			*outbuf++ = a[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		*outbuf++ = a[(acc << (5 - bits)) & 31];
	*outbuf = '\0';
}

static void
hex(const uint8_t *in, size_t n, char *outbuf)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(outbuf + 2 * i, "%02x", in[i]);
}

/* ---- files --------------------------------------------------------- */

static void
xmkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
	if (chmod(path, mode) != 0)
		die("chmod %s: %s", path, strerror(errno));
}

static void
write_at(int dirfd, const char *name, const char *buf, size_t len, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, mode);

	if (fd < 0)
		die("create %s: %s", name, strerror(errno));
	if (write(fd, buf, len) != (ssize_t)len)
		die("write %s: %s", name, strerror(errno));
	if (fchmod(fd, mode) != 0 || close(fd) != 0)
		die("close %s: %s", name, strerror(errno));
}

static void
write_file(const char *path, const char *buf, size_t len, mode_t mode)
{
	write_at(AT_FDCWD, path, buf, len, mode);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	if (remove(path) != 0)
		die("remove %s: %s", path, strerror(errno));
	return 0;
}

static void
rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		die("out of memory");
	return s;
}

/* ---- module instances ------------------------------------------------ */

/*
 * An instance: S stores of N users each for one module, with one service
 * file per store in INST/conf.  N = 1 uses many one-user stores so that
 * every login still meets a fresh user in a store of size one.
 */
struct inst {
	enum mod m;
	char *dir;		/* ROOT/MOD-nN */
	char *conf;		/* DIR/conf */
	unsigned n, s;
};

static const char *odin_so;	/* absolute path of pam_odin.so */
static const char *floor_so;	/* absolute path of bench/pam_floor.so */

static void
user_name(unsigned u, char *buf, size_t len)
{
	snprintf(buf, len, "bu%u", u);
}

static void
service_name(unsigned s, char *buf, size_t len)
{
	snprintf(buf, len, "b%u", s);
}

static void
setup_service(const struct inst *in, unsigned s)
{
	char svc[32], *line, *path;

	service_name(s, svc, sizeof(svc));
	switch (in->m) {
	case M_PERMIT:
		line = xasprintf("auth required pam_permit.so\n");
		break;
	case M_FLOOR:
		line = xasprintf("auth required %s dir=%s/store-%u/locks\n", floor_so, in->dir, s);
		break;
	case M_ODIN:
		line = xasprintf("auth required %s store=%s/store-%u "
		    "config=%s/odin.conf window=1\n", odin_so, in->dir, s, in->dir);
		break;
	case M_GA:
		line = xasprintf("auth required pam_google_authenticator.so "
		    "secret=%s/store-%u/${USER} user=root\n", in->dir, s);
		break;
	default:
		line = xasprintf("auth required pam_oath.so "
		    "usersfile=%s/oath-%u.users window=1\n", in->dir, s);
		break;
	}
	path = xasprintf("%s/%s", in->conf, svc);
	write_file(path, line, strlen(line), 0644);
	free(path);
	free(line);
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit. */
static uint32_t
crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	int k;

	while (n-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return ~c;
}

static void
le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * pam_odin's state file as an enrollment leaves it (odin-mfa.conf(5),
 * LOGIN STATE): in slot 0 the record's own state under its generation,
 * seq = the generation's low 40 bits, not durable; slot 1 empty.
 */
static void
odin_state_file(uint8_t out[128], uint64_t generation, long updated)
{
	memset(out, 0, 128);
	memcpy(out, "OdS1", 4);
	le(out + 8, generation & ((UINT64_C(1) << 40) - 1), 8);	/* seq */
	le(out + 16, generation, 8);
	le(out + 40, (uint64_t)updated, 8);
	le(out + 60, crc32c(out, 60), 4);
}

/* Writes store s: N users numbered 0..N-1.  Fast: no fsync, one dir fd. */
static void
setup_store(const struct inst *in, unsigned s)
{
	char name[32], b32[64], hx[64], buf[1024];
	uint8_t key[SECRET_LEN];
	long now = (long)time(NULL);
	char *path, *sub;
	static const char zeros[128];
	unsigned u;
	int dfd, lfd = -1, len;
	FILE *f;

	if (in->m == M_PERMIT)
		return;
	if (in->m == M_OATH) {
		path = xasprintf("%s/oath-%u.users", in->dir, s);
		f = fopen(path, "w");
		if (f == NULL)
			die("%s: %s", path, strerror(errno));
		for (u = 0; u < in->n; u++) {
			secret_of(u, key);
			hex(key, SECRET_LEN, hx);
			fprintf(f, "HOTP/T30 bu%u - %s\n", u, hx);
		}
		if (fchmod(fileno(f), 0600) != 0 || fclose(f) != 0)
			die("%s: %s", path, strerror(errno));
		free(path);
		return;
	}
	path = xasprintf("%s/store-%u", in->dir, s);
	xmkdir(path, 0700);
	if (in->m == M_FLOOR) {
		/* the state files only, as pam_odin's: 128 zero bytes each */
		sub = xasprintf("%s/locks", path);
		xmkdir(sub, 0700);
		lfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0)
			die("%s: %s", sub, strerror(errno));
		for (u = 0; u < in->n; u++) {
			user_name(u, name, sizeof(name));
			write_at(lfd, name, zeros, sizeof(zeros), 0600);
		}
		close(lfd);
		free(sub);
		free(path);
		return;
	}
	if (in->m == M_ODIN) {
		sub = xasprintf("%s/locks", path);
		xmkdir(sub, 0700);
		lfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0)
			die("%s: %s", sub, strerror(errno));
		free(sub);
		sub = xasprintf("%s/users", path);
		xmkdir(sub, 0700);
		free(path);
		path = sub;
	}
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die("%s: %s", path, strerror(errno));
	for (u = 0; u < in->n; u++) {
		secret_of(u, key);
		base32(key, SECRET_LEN, b32);
		user_name(u, name, sizeof(name));
		/*
		 * pam_odin: what an enrollment leaves (odin-mfa.conf(5)): the
		 * record with its generation, and the state file with its first
		 * slot (odin_state_file).
		 */
		if (in->m == M_ODIN)
			len = snprintf(buf, sizeof(buf),
			    "odin-mfa-record 1\nstate enabled\nsecret %s\n"
			    "algorithm SHA1\ndigits 6\nperiod 30\nlast_step 0\n"
			    "failures 0\nlockout_until 0\nlockout_count 0\n"
			    "backup_kdf none\ncreated %ld\nupdated %ld\n"
			    "generation %016llx\nend\n",
			    b32, now, now, ((u + 1ULL) << 40) | 1);	/* odin-mfa.conf(5): the seq in the low 40 bits */
		else
			len = snprintf(buf, sizeof(buf),
			    "%s\n\" TOTP_AUTH\n\" DISALLOW_REUSE\n", b32);
		if (len < 0 || (size_t)len >= sizeof(buf))
			die("record too long");
		write_at(dfd, name, buf, (size_t)len, 0600);
		if (in->m == M_ODIN) {
			uint8_t state[128];

			odin_state_file(state, ((u + 1ULL) << 40) | 1, now);
			write_at(lfd, name, (const char *)state, sizeof(state), 0600);
		}
	}
	close(dfd);
	if (lfd >= 0)
		close(lfd);
	free(path);
}

static struct inst *
inst_setup(const char *root, enum mod m, unsigned n, unsigned s)
{
	struct inst *in = calloc(1, sizeof(*in));
	double t0 = now_s();
	char key[64];
	unsigned i;

	if (in == NULL)
		die("out of memory");
	in->m = m;
	in->n = n;
	in->s = s;
	in->dir = xasprintf("%s/%s-n%u", root, mod_key[m], n);
	in->conf = xasprintf("%s/conf", in->dir);
	rm_rf(in->dir);
	xmkdir(in->dir, 0700);
	xmkdir(in->conf, 0755);
	if (m == M_ODIN) {
		char *p = xasprintf("%s/odin.conf", in->dir);

		write_file(p, "", 0, 0600);
		free(p);
	}
	for (i = 0; i < s; i++) {
		setup_service(in, i);
		setup_store(in, i);
	}
	/*
	 * On disk before the first login, as after an enrollment of yesterday:
	 * otherwise the first write of a login would also write out what the
	 * setup just made (the same for every module).
	 */
	{
		int fd = open(in->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || syncfs(fd) != 0)
			die("syncfs %s: %s", in->dir, strerror(errno));
		close(fd);
	}
	snprintf(key, sizeof(key), "%s.n%u.setup_s", mod_key[m], n);
	emit(key, "%.2f", now_s() - t0);
	return in;
}

static void
inst_free(struct inst *in, int remove_files)
{
	if (remove_files)
		rm_rf(in->dir);
	free(in->dir);
	free(in->conf);
	free(in);
}

/* ---- one login -------------------------------------------------------- */

struct convdata {
	const char *answer;
	int prompts;
};

static int
conv_fn(int n, const struct pam_message **msg, struct pam_response **resp,
    void *appdata)
{
	struct convdata *cd = appdata;
	struct pam_response *r;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			r[i].resp = strdup(cd->answer);
			if (r[i].resp == NULL) {
				while (i-- > 0)
					free(r[i].resp);
				free(r);
				return PAM_BUF_ERR;
			}
			cd->prompts++;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* Applications such as sshd replace libpam's failure sleep the same way. */
static void
no_fail_delay(int retval, unsigned usec, void *appdata)
{
	(void)retval; (void)usec; (void)appdata;
}

struct login {
	unsigned user;
	unsigned code;
	int64_t step;
	int ok;
	double us;
};

/*
 * Set (to this program's path) while every login is a new process, as in
 * su and sudo: "bench-driver one" makes the pam_start..pam_end cycle, and
 * the time is from its spawn to its exit, so loading the module and what
 * it links (and initialising those) is in it.
 */
static const char *fresh_self;

static int
pam_one(const char *conf, const char *svc, const char *user, const char *answer)
{
	struct convdata cd = { answer, 0 };
	struct pam_conv conv = { conv_fn, &cd };
	pam_handle_t *ph = NULL;
	int rc;

	rc = pam_start_confdir(svc, user, &conv, conf, &ph);
	if (rc == PAM_SUCCESS) {
		pam_set_item(ph, PAM_FAIL_DELAY, (const void *)no_fail_delay);
		rc = pam_authenticate(ph, 0);
		pam_end(ph, rc);
	}
	return rc;
}

static int
pam_cycle_fresh(const struct inst *in, const char *svc, const char *user,
    const char *answer, double *us)
{
	char *argv[] = { (char *)"bench-driver", (char *)"one", in->conf, (char *)svc,
	    (char *)user, (char *)answer, NULL };
	double t0;
	pid_t pid;
	int st;

	t0 = now_s();
	if (posix_spawn(&pid, fresh_self, NULL, NULL, argv, environ) != 0)
		die("spawn %s failed", fresh_self);
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid: %s", strerror(errno));
	if (us != NULL)
		*us = (now_s() - t0) * 1e6;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int
pam_cycle(const struct inst *in, unsigned store, unsigned user, unsigned code,
    double *us)
{
	char svc[32], name[32], answer[16];
	struct convdata cd = { answer, 0 };
	struct pam_conv conv = { conv_fn, &cd };
	pam_handle_t *ph = NULL;
	double t0;
	int rc;

	service_name(store, svc, sizeof(svc));
	user_name(user, name, sizeof(name));
	snprintf(answer, sizeof(answer), "%06u", code);
	if (fresh_self != NULL)
		return pam_cycle_fresh(in, svc, name, answer, us);
	t0 = now_s();
	rc = pam_start_confdir(svc, name, &conv, in->conf, &ph);
	if (rc == PAM_SUCCESS) {
		pam_set_item(ph, PAM_FAIL_DELAY, (const void *)no_fail_delay);
		rc = pam_authenticate(ph, 0);
		pam_end(ph, rc);
	}
	if (us != NULL)
		*us = (now_s() - t0) * 1e6;
	return rc == PAM_SUCCESS;
}

/* A code that is not the user's code for any step within +-3 of now. */
static unsigned
wrong_code(unsigned user, int64_t step)
{
	unsigned c = (totp_of(user, step) + 500000) % 1000000;
	int64_t d;

again:
	for (d = -3; d <= 3; d++)
		if (totp_of(user, step + d) == c) {
			c = (c + 1) % 1000000;
			goto again;
		}
	return c;
}

static struct login
login_user(const struct inst *in, unsigned store, unsigned user, int wrong)
{
	struct login l;

	l.user = user;
	l.step = step_now();
	l.code = wrong ? wrong_code(user, l.step) : totp_of(user, l.step);
	l.ok = pam_cycle(in, store, user, l.code, &l.us);
	return l;
}

/* ---- statistics ------------------------------------------------------ */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of v[0..n-1] (sorted here). */
static double
pct(double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)ceil(p / 100.0 * (double)n);
	return v[k == 0 ? 0 : k - 1];
}

/* ---- runs -------------------------------------------------------------- */

struct plan {
	int smoke;
	unsigned nsizes;
	unsigned sizes[4];
	unsigned k1;		/* logins (= one-user stores) at N = 1 */
	unsigned kmax;		/* logins at N > 1 (each user at most once) */
	double cap_s;		/* stop a success run after this long ... */
	unsigned min_k;		/* ... once it has this many samples */
	unsigned wrong_n, wrong_k;
	unsigned par_n, par_m;
	unsigned rss_k;
};

/* Releases every child blocked in barrier_wait() at the same instant. */
struct barrier {
	int ready[2], go[2];
};

static void
barrier_init(struct barrier *b)
{
	if (pipe(b->ready) != 0 || pipe(b->go) != 0)
		die("pipe: %s", strerror(errno));
}

static void
barrier_wait(struct barrier *b)
{
	char c = 'r';

	close(b->go[1]);
	close(b->ready[0]);
	if (write(b->ready[1], &c, 1) != 1)
		_exit(3);
	close(b->ready[1]);
	while (read(b->go[0], &c, 1) < 0 && errno == EINTR)
		;
}

static void
barrier_release(struct barrier *b, unsigned nchild)
{
	unsigned got = 0;
	char c;

	close(b->ready[1]);
	close(b->go[0]);
	while (got < nchild) {
		ssize_t r = read(b->ready[0], &c, 1);

		if (r == 1)
			got++;
		else if (r == 0 || errno != EINTR)
			break;
	}
	close(b->ready[0]);
	close(b->go[1]);	/* EOF wakes them all */
}

/*
 * The modules are measured interleaved, login by login (the order rotating),
 * and the durable-write floor is sampled between them, so that the load of
 * a neighbour on a shared machine falls on every column alike.
 */
struct seq {
	double *lat;
	unsigned done, ok;
	double spent;		/* seconds inside this module's cycles */
	int active;
};

/* The durable-write floor: 512 bytes, fsync, rename, fsync the directory. */
static double
floor_op(int dfd, int dirsync)
{
	char buf[512];
	double t0;
	int fd;

	memset(buf, 'x', sizeof(buf));
	t0 = now_s();
	fd = openat(dfd, ".rec.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
	    fsync(fd) != 0 || close(fd) != 0 ||
	    renameat(dfd, ".rec.tmp", dfd, "rec") != 0 ||
	    (dirsync && fsync(dfd) != 0))
		die("floor: %s", strerror(errno));
	return (now_s() - t0) * 1e6;
}

/*
 * The in-place floor: 64 bytes written over a slot of an existing 128-byte
 * file and made durable, the two slots in turn -- with fdatasync, and in
 * one call with pwritev2(RWF_DSYNC) (what pam_odin's state file does).
 */
static double
floor_inplace(int fd, unsigned i, int dsync)
{
	char buf[64];
	struct iovec io = { buf, sizeof(buf) };
	double t0;

	memset(buf, 'y', sizeof(buf));
	t0 = now_s();
	if (dsync) {
		if (pwritev2(fd, &io, 1, (off_t)(i & 1) * 64, RWF_DSYNC) != (ssize_t)sizeof(buf))
			die("floor (RWF_DSYNC): %s", strerror(errno));
	} else if (pwrite(fd, buf, sizeof(buf), (off_t)(i & 1) * 64) != (ssize_t)sizeof(buf) ||
	    fdatasync(fd) != 0)
		die("floor (in place): %s", strerror(errno));
	return (now_s() - t0) * 1e6;
}

/*
 * What a login's write meets: another user's state file each time, on disk
 * since the setup (not the one hot file above): open, a 64-byte write, a
 * 64-byte write with RWF_DSYNC, close.
 */
static double
floor_cold(int cdfd, unsigned i)
{
	char name[32], buf[64];
	struct iovec io = { buf, sizeof(buf) };
	double t0;
	int fd;

	memset(buf, 'z', sizeof(buf));
	snprintf(name, sizeof(name), "s%u", i);
	t0 = now_s();
	fd = openat(cdfd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, buf, sizeof(buf), 64) != (ssize_t)sizeof(buf) ||
	    pwritev2(fd, &io, 1, 64, RWF_DSYNC) != (ssize_t)sizeof(buf) || close(fd) != 0)
		die("floor (cold): %s", strerror(errno));
	return (now_s() - t0) * 1e6;
}

static struct {
	char *dir;
	int dfd, ifd, cdfd;
	double *d, *nd;		/* with and without the directory fsync */
	double *ip, *ds, *cold;	/* in place: fdatasync, RWF_DSYNC; a cold file each time */
	unsigned n, cap;
} fl = { NULL, -1, -1, -1, NULL, NULL, NULL, NULL, NULL, 0, 0 };

static int
floor_dir(const char *dir)
{
	int dfd;

	xmkdir(dir, 0700);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die("%s: %s", dir, strerror(errno));
	return dfd;
}

static void
floor_open(const char *root, unsigned cap)
{
	fl.dir = xasprintf("%s/floor", root);
	fl.dfd = floor_dir(fl.dir);
	fl.cap = cap;
	fl.d = calloc(cap, sizeof(double));
	fl.nd = calloc(cap, sizeof(double));
	fl.ip = calloc(cap, sizeof(double));
	fl.ds = calloc(cap, sizeof(double));
	fl.cold = calloc(cap, sizeof(double));
	if (fl.d == NULL || fl.nd == NULL || fl.ip == NULL || fl.ds == NULL || fl.cold == NULL)
		die("out of memory");
	{
		static const char zeros[128];
		char name[32];
		unsigned i;

		fl.ifd = openat(fl.dfd, "state", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fl.ifd < 0 || pwrite(fl.ifd, zeros, sizeof(zeros), 0) != (ssize_t)sizeof(zeros) ||
		    fsync(fl.ifd) != 0 || fsync(fl.dfd) != 0)
			die("floor: %s", strerror(errno));
		if (mkdirat(fl.dfd, "cold", 0700) != 0 ||
		    (fl.cdfd = openat(fl.dfd, "cold", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			die("floor (cold): %s", strerror(errno));
		for (i = 0; i < cap; i++) {
			snprintf(name, sizeof(name), "s%u", i);
			write_at(fl.cdfd, name, zeros, sizeof(zeros), 0600);
		}
		if (syncfs(fl.cdfd) != 0)
			die("floor (cold): %s", strerror(errno));
	}
}

static void
floor_sample(void)
{
	if (fl.n >= fl.cap)
		return;
	fl.d[fl.n] = floor_op(fl.dfd, 1);
	fl.nd[fl.n] = floor_op(fl.dfd, 0);
	fl.ip[fl.n] = floor_inplace(fl.ifd, fl.n, 0);
	fl.ds[fl.n] = floor_inplace(fl.ifd, fl.n, 1);
	fl.cold[fl.n] = floor_cold(fl.cdfd, fl.n);
	fl.n++;
}

static void
floor_close(void)
{
	emit("floor.k", "%u", fl.n);
	emit("floor.p50", "%.0f", pct(fl.d, fl.n, 50));
	emit("floor.p99", "%.0f", pct(fl.d, fl.n, 99));
	emit("floor.nodirsync.p50", "%.0f", pct(fl.nd, fl.n, 50));
	emit("floor.nodirsync.p99", "%.0f", pct(fl.nd, fl.n, 99));
	emit("floor.inplace.p50", "%.0f", pct(fl.ip, fl.n, 50));
	emit("floor.inplace.p99", "%.0f", pct(fl.ip, fl.n, 99));
	emit("floor.dsync.p50", "%.0f", pct(fl.ds, fl.n, 50));
	emit("floor.dsync.p99", "%.0f", pct(fl.ds, fl.n, 99));
	emit("floor.cold.p50", "%.0f", pct(fl.cold, fl.n, 50));
	emit("floor.cold.p99", "%.0f", pct(fl.cold, fl.n, 99));
	close(fl.cdfd);
	close(fl.ifd);
	close(fl.dfd);
	rm_rf(fl.dir);
	free(fl.dir);
	free(fl.d);
	free(fl.nd);
	free(fl.ip);
	free(fl.ds);
	free(fl.cold);
}

/* count durable writes in each of procs processes at once, own directories. */
static double
floor_burst(const char *root, unsigned procs, unsigned count)
{
	struct barrier b;
	pid_t pid[2];
	double t0, wall;
	unsigned p, i;

	fflush(NULL);
	barrier_init(&b);
	for (p = 0; p < procs; p++) {
		pid[p] = fork();
		if (pid[p] < 0)
			die("fork: %s", strerror(errno));
		if (pid[p] == 0) {
			char *d = xasprintf("%s/floor-p%u", root, p);
			int dfd = floor_dir(d);

			barrier_wait(&b);
			for (i = 0; i < count; i++)
				floor_op(dfd, 1);
			_exit(0);
		}
	}
	barrier_release(&b, procs);
	t0 = now_s();
	for (p = 0; p < procs; p++)
		waitpid(pid[p], NULL, 0);
	wall = now_s() - t0;
	for (p = 0; p < procs; p++) {
		char *d = xasprintf("%s/floor-p%u", root, p);

		rm_rf(d);
		free(d);
	}
	return procs * count / wall;
}

/*
 * Sequential logins for every instance: k users of class cls (all users
 * when cls < 0; store i at N = 1), spread evenly over the store.  A module
 * drops out after cap_s seconds of its own cycles once it has min_k
 * samples.  Emits MOD.WHAT.{k,ok,p50,p99}.
 */
static void
run_seq(const struct plan *pl, struct inst **in, unsigned nin, const char *what,
    int cls, unsigned k, int wrong, int floor, unsigned *failed)
{
	struct seq s[M_COUNT];
	unsigned i, j, r, pool, stride, n = in[0]->n;
	char key[96];

	if (n == 1)
		pool = in[0]->s;
	else if (cls < 0)
		pool = n;
	else
		pool = (n - (unsigned)cls + NCLASS - 1) / NCLASS;
	if (k > pool)
		k = pool;
	stride = k ? pool / k : 1;
	for (j = 0; j < nin; j++) {
		s[j].lat = calloc(k ? k : 1, sizeof(double));
		if (s[j].lat == NULL)
			die("out of memory");
		s[j].done = s[j].ok = 0;
		s[j].spent = 0;
		s[j].active = 1;
	}
	for (i = 0; i < k; i++) {
		for (r = 0; r < nin; r++) {
			struct login l;

			j = (i + r) % nin;
			if (!s[j].active)
				continue;
			if (n == 1)
				l = login_user(in[j], i, 0, wrong);
			else if (cls < 0)
				l = login_user(in[j], 0, i * stride, wrong);
			else
				l = login_user(in[j], 0,
				    i * stride * NCLASS + (unsigned)cls, wrong);
			s[j].lat[s[j].done++] = l.us;
			s[j].ok += (unsigned)l.ok;
			s[j].spent += l.us / 1e6;
			if (s[j].done >= pl->min_k && s[j].spent > pl->cap_s)
				s[j].active = 0;
		}
		if (floor)
			floor_sample();
	}
	for (j = 0; j < nin; j++) {
		const char *mk = mod_key[in[j]->m];

		snprintf(key, sizeof(key), "%s.%s.k", mk, what);
		emit(key, "%u", s[j].done);
		snprintf(key, sizeof(key), "%s.%s.ok", mk, what);
		emit(key, "%u", s[j].ok);
		snprintf(key, sizeof(key), "%s.%s.p50", mk, what);
		emit(key, "%.0f", pct(s[j].lat, s[j].done, 50));
		snprintf(key, sizeof(key), "%s.%s.p99", mk, what);
		emit(key, "%.0f", pct(s[j].lat, s[j].done, 99));
		if (!wrong && s[j].ok != s[j].done) {
			note("%s.%s: %u of %u legitimate logins refused", mk, what,
			    s[j].done - s[j].ok, s[j].done);
			(*failed)++;
		}
		if (wrong && s[j].ok != 0) {
			note("%s.%s: %u wrong codes accepted", mk, what, s[j].ok);
			(*failed)++;
		}
		free(s[j].lat);
	}
}

/*
 * Throughput with one process (class 1 users) against two processes at
 * once (classes 2 and 3), in PAR_ROUNDS alternating rounds, the modules and
 * the floor taking turns within each round; the medians of the rounds are
 * reported.  After each round every login the two processes accepted is
 * presented again: an accepted replay is a lost update (the used step was
 * not recorded).
 */
#define PAR_ROUNDS 5

struct par {
	struct login *res;
	unsigned ok1, ok2, lost, replayed, unverified;
	double t1[PAR_ROUNDS], t2[PAR_ROUNDS], sp[PAR_ROUNDS];
};

static double
par_two(const struct inst *in, struct login *res, unsigned m, unsigned lo,
    unsigned hi, unsigned stride)
{
	struct barrier b;
	double t0;
	pid_t pid[2];
	unsigned p, i;

	fflush(NULL);
	barrier_init(&b);
	for (p = 0; p < 2; p++) {
		pid[p] = fork();
		if (pid[p] < 0)
			die("fork: %s", strerror(errno));
		if (pid[p] == 0) {
			barrier_wait(&b);
			for (i = lo; i < hi; i++)
				res[p * m + i] = login_user(in, 0,
				    i * stride * NCLASS + 2 + p, 0);
			_exit(0);
		}
	}
	barrier_release(&b, 2);
	t0 = now_s();
	for (p = 0; p < 2; p++)
		waitpid(pid[p], NULL, 0);
	return now_s() - t0;
}

static void
par_module(const struct inst *in, struct par *P, unsigned r, unsigned c,
    unsigned m, unsigned stride)
{
	unsigned lo = r * c, hi = lo + c, ok = 0, ok2 = 0, i, p;
	double t0 = now_s(), wall;

	for (i = lo; i < hi; i++)
		ok += (unsigned)login_user(in, 0, i * stride * NCLASS + 1, 0).ok;
	wall = now_s() - t0;
	P->ok1 += ok;
	P->t1[r] = ok / wall;
	wall = par_two(in, P->res, m, lo, hi, stride);
	for (i = lo; i < hi; i++)
		for (p = 0; p < 2; p++)
			ok2 += (unsigned)P->res[p * m + i].ok;
	P->ok2 += ok2;
	P->t2[r] = ok2 / wall;
	P->sp[r] = P->t1[r] > 0 ? P->t2[r] / P->t1[r] : 0;

	/* Replay, oldest first, while still inside window=1. */
	for (i = lo; i < hi; i++)
		for (p = 0; p < 2; p++) {
			struct login *l = &P->res[p * m + i];

			if (!l->ok)
				continue;
			if (step_now() > l->step + 1) {
				P->unverified++;
				continue;
			}
			P->replayed++;
			P->lost += (unsigned)pam_cycle(in, 0, l->user, l->code, NULL);
		}
}

static void
run_parallel(const struct plan *pl, struct inst **in, unsigned nin,
    const char *root, unsigned *failed)
{
	unsigned m = pl->par_m, pool = in[0]->n / NCLASS, stride, j, r, rr, c;
	double f1[PAR_ROUNDS], f2[PAR_ROUNDS], fs[PAR_ROUNDS];
	struct par P[M_COUNT];
	char key[64];

	if (m > pool)
		m = pool;
	c = m / PAR_ROUNDS;
	if (c == 0)
		die("parallel run needs at least %u users per class", PAR_ROUNDS);
	m = c * PAR_ROUNDS;
	stride = pool / m;
	memset(P, 0, sizeof(P));
	for (j = 0; j < nin; j++) {
		P[j].res = mmap(NULL, 2 * m * sizeof(struct login),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (P[j].res == MAP_FAILED)
			die("mmap: %s", strerror(errno));
	}
	for (r = 0; r < PAR_ROUNDS; r++) {
		for (rr = 0; rr < nin; rr++) {
			j = (r + rr) % nin;
			par_module(in[j], &P[j], r, c, m, stride);
		}
		f1[r] = floor_burst(root, 1, c);
		f2[r] = floor_burst(root, 2, c);
		fs[r] = f2[r] / f1[r];
	}
	for (j = 0; j < nin; j++) {
		const char *mk = mod_key[in[j]->m];

		snprintf(key, sizeof(key), "%s.par1.tput", mk);
		emit(key, "%.1f", pct(P[j].t1, PAR_ROUNDS, 50));
		snprintf(key, sizeof(key), "%s.par1.ok", mk);
		emit(key, "%u/%u", P[j].ok1, m);
		snprintf(key, sizeof(key), "%s.par2.tput", mk);
		emit(key, "%.1f", pct(P[j].t2, PAR_ROUNDS, 50));
		snprintf(key, sizeof(key), "%s.par2.speedup", mk);
		emit(key, "%.2f", pct(P[j].sp, PAR_ROUNDS, 50));
		snprintf(key, sizeof(key), "%s.par2.ok", mk);
		emit(key, "%u/%u", P[j].ok2, 2 * m);
		snprintf(key, sizeof(key), "%s.par2.lost", mk);
		emit(key, "%u", P[j].lost);
		snprintf(key, sizeof(key), "%s.par2.replayed", mk);
		emit(key, "%u", P[j].replayed);
		snprintf(key, sizeof(key), "%s.par2.unverified", mk);
		emit(key, "%u", P[j].unverified);
		if (in[j]->m != M_OATH && (P[j].ok1 != m || P[j].ok2 != 2 * m)) {
			note("%s: parallel logins refused: %u of %u", mk,
			    3 * m - P[j].ok1 - P[j].ok2, 3 * m);
			(*failed)++;
		}
		munmap(P[j].res, 2 * m * sizeof(struct login));
	}
	emit("floor.tput1", "%.0f", pct(f1, PAR_ROUNDS, 50));
	emit("floor.tput2", "%.0f", pct(f2, PAR_ROUNDS, 50));
	emit("floor.speedup", "%.2f", pct(fs, PAR_ROUNDS, 50));
}

/* 32 processes, one valid code, one user, released together. */
static void
run_race(const struct inst *in, unsigned *race_bad)
{
	const char *mk = mod_key[in->m];
	unsigned r, i, wins, lo = RACE_PROCS, hi = 0, pool = in->n / NCLASS;
	char key[64], list[RACE_ROUNDS * 4 + 1] = "";
	pid_t pid[RACE_PROCS];

	for (r = 0; r < RACE_ROUNDS && r < pool; r++) {
		unsigned user = r * NCLASS + 4;
		struct barrier b;
		unsigned code;

		code = totp_of(user, step_now());
		fflush(NULL);
		barrier_init(&b);
		for (i = 0; i < RACE_PROCS; i++) {
			pid[i] = fork();
			if (pid[i] < 0)
				die("fork: %s", strerror(errno));
			if (pid[i] == 0) {
				char svc[32], name[32], answer[16];
				struct convdata cd = { answer, 0 };
				struct pam_conv conv = { conv_fn, &cd };
				pam_handle_t *ph = NULL;
				int rc;

				service_name(0, svc, sizeof(svc));
				user_name(user, name, sizeof(name));
				snprintf(answer, sizeof(answer), "%06u", code);
				rc = pam_start_confdir(svc, name, &conv, in->conf, &ph);
				pam_set_item(ph, PAM_FAIL_DELAY,
				    (const void *)no_fail_delay);
				barrier_wait(&b);
				if (rc == PAM_SUCCESS) {
					rc = pam_authenticate(ph, 0);
					pam_end(ph, rc);
				}
				_exit(rc == PAM_SUCCESS ? 0 : 1);
			}
		}
		barrier_release(&b, RACE_PROCS);
		wins = 0;
		for (i = 0; i < RACE_PROCS; i++) {
			int st;

			if (waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) &&
			    WEXITSTATUS(st) == 0)
				wins++;
		}
		if (wins < lo)
			lo = wins;
		if (wins > hi)
			hi = wins;
		if (in->m == M_ODIN && wins != 1)
			(*race_bad)++;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%u",
		    r ? "," : "", wins);
	}
	snprintf(key, sizeof(key), "%s.race.rounds", mk);
	emit(key, "%s", list);
	snprintf(key, sizeof(key), "%s.race.min", mk);
	emit(key, "%u", lo);
	snprintf(key, sizeof(key), "%s.race.max", mk);
	emit(key, "%u", hi);
}

/* Peak RSS in a fresh process image: VmHWM is per address space, whereas
 * ru_maxrss would carry over the parent's peak across fork and exec. */
static void
run_rss_child(const char *self, const char *outpath, const struct inst *in,
    unsigned first, unsigned count)
{
	char n[16], f[16], c[16], m[4];
	char *argv[] = { (char *)"bench-driver", (char *)"rss", (char *)"--out",
	    (char *)outpath, m, in->dir, n, f, c, NULL };
	pid_t pid;
	int st;

	snprintf(m, sizeof(m), "%d", (int)in->m);
	snprintf(n, sizeof(n), "%u", in->n);
	snprintf(f, sizeof(f), "%u", first);
	snprintf(c, sizeof(c), "%u", count);
	fflush(NULL);
	if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0)
		die("spawn %s failed", self);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("rss child failed");
}

static long
vm_hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int
cmd_rss(int argc, char **argv)
{
	struct inst in;
	unsigned first, count, i, ok = 0;
	struct rusage ru;
	char key[64];

	if (argc != 5)
		die("usage: rss MOD DIR N FIRST COUNT");
	memset(&in, 0, sizeof(in));
	in.m = (enum mod)atoi(argv[0]);
	if ((unsigned)in.m >= M_COUNT)
		die("bad module");
	in.dir = argv[1];
	in.conf = xasprintf("%s/conf", in.dir);
	in.n = (unsigned)strtoul(argv[2], NULL, 10);
	in.s = 1;
	first = (unsigned)strtoul(argv[3], NULL, 10);
	count = (unsigned)strtoul(argv[4], NULL, 10);
	for (i = 0; i < count; i++)
		ok += (unsigned)login_user(&in, 0, (first + i) * NCLASS + 4, 0).ok;
	getrusage(RUSAGE_SELF, &ru);
	snprintf(key, sizeof(key), "%s.rss.hwm_kb", mod_key[in.m]);
	emit(key, "%ld", vm_hwm_kb());
	snprintf(key, sizeof(key), "%s.rss.maxrss_kb", mod_key[in.m]);
	emit(key, "%ld", ru.ru_maxrss);
	snprintf(key, sizeof(key), "%s.rss.ok", mod_key[in.m]);
	emit(key, "%u/%u", ok, count);
	free(in.conf);
	return 0;
}

/* Binds a datagram socket at path and discards what arrives. */
static pid_t
start_logsink(const char *path)
{
	struct sockaddr_un sa;
	pid_t pid;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		die("sink path too long");
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("bind %s: %s", path, strerror(errno));
	chmod(path, 0666);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char buf[8192];

		/* Never outlive the driver, however it ends. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
			_exit(0);
		for (;;)
			(void)recv(fd, buf, sizeof(buf), 0);
	}
	close(fd);
	return pid;
}

static enum mod
mod_parse(const char *s)
{
	int m;

	for (m = 0; m < M_COUNT; m++)
		if (strcmp(s, mod_key[m]) == 0)
			return (enum mod)m;
	die("unknown module %s", s);
	return M_PERMIT;
}

static int
cmd_run(int argc, char **argv, int hostlog)
{
	struct plan pl;
	const char *root = NULL, *sink = NULL, *mods = "permit,odin,ga,oath";
	unsigned failed = 0, race_bad = 0, i, j, nm = 0, si;
	char self[PATH_MAX], *list, *tok, *save = NULL;
	enum mod ms[M_COUNT];
	struct inst *in[M_COUNT];
	pid_t sinkpid = -1;

	memset(&pl, 0, sizeof(pl));
	pl.nsizes = 4;
	pl.sizes[0] = 1; pl.sizes[1] = 1000; pl.sizes[2] = 10000; pl.sizes[3] = 100000;
	pl.k1 = 1000;
	pl.kmax = 2000;
	pl.cap_s = 20;
	pl.min_k = 200;
	pl.wrong_n = 1000;
	pl.wrong_k = 300;
	pl.par_n = 10000;
	pl.par_m = 250;
	pl.rss_k = 200;
	for (i = 0; i < (unsigned)argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			pl.smoke = 1;
			pl.nsizes = 2;
			pl.sizes[1] = 100;
			pl.k1 = pl.kmax = 20;
			pl.min_k = 10;
			pl.wrong_n = pl.par_n = 100;
			pl.wrong_k = pl.par_m = pl.rss_k = 10;
		} else if (strcmp(argv[i], "--root") == 0 && i + 1 < (unsigned)argc)
			root = argv[++i];
		else if (strcmp(argv[i], "--odin") == 0 && i + 1 < (unsigned)argc)
			odin_so = argv[++i];
		else if (strcmp(argv[i], "--floor") == 0 && i + 1 < (unsigned)argc)
			floor_so = argv[++i];
		else if (strcmp(argv[i], "--sink") == 0 && i + 1 < (unsigned)argc)
			sink = argv[++i];
		else if (strcmp(argv[i], "--modules") == 0 && i + 1 < (unsigned)argc)
			mods = argv[++i];
		else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < (unsigned)argc) {
			/* e.g. 1,1000,10000: the last is also used for the
			 * wrong-code, parallel and race rows */
			char *e = argv[++i];

			pl.nsizes = 0;
			while (*e && pl.nsizes < 4) {
				pl.sizes[pl.nsizes] = (unsigned)strtoul(e, &e, 10);
				if (pl.sizes[pl.nsizes] == 0 || (*e && *e != ','))
					die("bad --sizes");
				pl.nsizes++;
				if (*e == ',')
					e++;
			}
			if (pl.nsizes == 0 || pl.sizes[0] != 1 ||
			    pl.sizes[pl.nsizes - 1] < 100)
				die("--sizes must start with 1 and end with >= 100");
			pl.wrong_n = pl.par_n = pl.sizes[pl.nsizes - 1];
		} else if (strcmp(argv[i], "--par-m") == 0 && i + 1 < (unsigned)argc)
			pl.par_m = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			die("unknown argument %s", argv[i]);
	}
	if (root == NULL)
		die("--root DIR is required");
	self_path(self, sizeof(self));
	xmkdir(root, 0700);
	if (sink != NULL)
		sinkpid = start_logsink(sink);

	list = strdup(mods);
	if (list == NULL)
		die("out of memory");
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (nm == M_COUNT)
			die("too many modules");
		ms[nm] = mod_parse(tok);
		if (ms[nm] == M_ODIN && odin_so == NULL)
			die("--odin PATH is required for odin");
		if (ms[nm] == M_FLOOR && floor_so == NULL)
			die("--floor PATH is required for floor");
		nm++;
	}
	free(list);
	if (nm == 0)
		die("no modules");

	if (hostlog) {
		unsigned n = pl.smoke ? 5 : 20;

		for (j = 0; j < nm; j++)
			in[j] = inst_setup(root, ms[j], n, 1);
		run_seq(&pl, in, nm, "hostlog", -1, n, 0, 0, &failed);
		emit("hostlog.n", "%u", n);
		for (j = 0; j < nm; j++)
			inst_free(in[j], 1);
		if (sinkpid > 0) {
			kill(sinkpid, SIGTERM);
			waitpid(sinkpid, NULL, 0);
		}
		return failed ? 1 : 0;
	}

	emit("cfg.smoke", "%d", pl.smoke);
	{
		char sz[64] = "";

		for (i = 0; i < pl.nsizes; i++)
			snprintf(sz + strlen(sz), sizeof(sz) - strlen(sz), "%s%u",
			    i ? "," : "", pl.sizes[i]);
		emit("cfg.sizes", "%s", sz);
	}
	emit("cfg.wrong_n", "%u", pl.wrong_n);
	emit("cfg.par_n", "%u", pl.par_n);
	emit("cfg.par_m", "%u", pl.par_m);
	emit("cfg.syslog", "%s", sink ? "discarding socket" : "host");
	floor_open(root, 8000);

	for (si = 0; si < pl.nsizes; si++) {
		unsigned n = pl.sizes[si], nc = 0;
		/* Classes only where the parallel and race runs need them. */
		int cls = n == pl.par_n ? 0 : -1;
		struct inst *codes[M_COUNT];	/* the modules that ask for a code */
		char what[32];
		double t0 = now_s();

		for (j = 0; j < nm; j++) {
			in[j] = inst_setup(root, ms[j], n, n == 1 ? pl.k1 : 1);
			if (!IS_FLOOR(ms[j]))
				codes[nc++] = in[j];
		}
		note("N=%u: setup %.1f s", n, now_s() - t0);
		t0 = now_s();
		if (n == pl.wrong_n && nc > 0)
			/* Class 0 users: they then log in correctly below. */
			run_seq(&pl, codes, nc, "wrong", cls, pl.wrong_k, 1, 0,
			    &failed);
		snprintf(what, sizeof(what), "n%u", n);
		run_seq(&pl, in, nm, what, cls, n == 1 ? pl.k1 : pl.kmax, 0, 1,
		    &failed);
		note("N=%u: logins %.1f s", n, now_s() - t0);
		if (n == pl.par_n) {
			t0 = now_s();
			if (nc > 0)
				run_parallel(&pl, codes, nc, root, &failed);
			note("N=%u: parallel %.1f s", n, now_s() - t0);
			for (j = 0; j < nc; j++)
				run_race(codes[j], &race_bad);
			for (j = 0; j < nm; j++)
				run_rss_child(self, getenv("BENCH_OUT"), in[j],
				    RACE_ROUNDS, pl.rss_k);
		}
		for (j = 0; j < nm; j++)
			inst_free(in[j], 1);
	}
	/*
	 * Each login a new process (su, sudo, and any application that does not
	 * keep libpam's modules or their libraries loaded): N=1, one store per
	 * login, the modules in turn.
	 */
	{
		unsigned k = pl.smoke ? 10 : 300;
		double t0 = now_s();

		for (j = 0; j < nm; j++)
			in[j] = inst_setup(root, ms[j], 1, k);
		fresh_self = self;
		run_seq(&pl, in, nm, "fresh", -1, k, 0, 0, &failed);
		fresh_self = NULL;
		emit("cfg.fresh_k", "%u", k);
		for (j = 0; j < nm; j++)
			inst_free(in[j], 1);
		note("fresh processes %.1f s", now_s() - t0);
	}
	floor_close();
	if (sinkpid > 0) {
		kill(sinkpid, SIGTERM);
		waitpid(sinkpid, NULL, 0);
	}
	emit("result.failed_setups", "%u", failed);
	emit("result.odin_race_bad_rounds", "%u", race_bad);
	if (failed)
		note("FAIL: %u module runs refused a legitimate login or accepted a wrong code", failed);
	if (race_bad)
		note("FAIL: pam_odin let other than exactly 1 of 32 through in %u "
		    "rounds", race_bad);
	return failed || race_bad ? 1 : 0;
}

/* ---- report ----------------------------------------------------------- */

#define MAXKV 2048
static char *kv_k[MAXKV], *kv_v[MAXKV];
static unsigned nkv;

static void
kv_load(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL && nkv < MAXKV) {
		char *sp = strchr(line, ' ');

		line[strcspn(line, "\n")] = '\0';
		if (sp == NULL)
			continue;
		*sp = '\0';
		kv_k[nkv] = strdup(line);
		kv_v[nkv] = strdup(sp + 1);
		if (kv_k[nkv] == NULL || kv_v[nkv] == NULL)
			die("out of memory");
		nkv++;
	}
	fclose(f);
}

/* The last value for key, or NULL. */
static const char *
kv(const char *fmt, ...)
{
	char key[128];
	va_list ap;
	unsigned i;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	for (i = nkv; i-- > 0;)
		if (strcmp(kv_k[i], key) == 0)
			return kv_v[i];
	return NULL;
}

static double
kvd(const char *v)
{
	return v == NULL ? NAN : strtod(v, NULL);
}

/* One row: a value per module and its ratio to pam_odin's. */
static void
row_num(const char *label, const char *fmt, int ratio, int skip_permit)
{
	double ref = kvd(kv(fmt, "odin"));
	int m;

	printf("| %s |", label);
	for (m = 0; m < M_COUNT; m++) {
		double v = kvd(kv(fmt, mod_key[m]));

		if ((m == M_PERMIT && skip_permit) || isnan(v))
			printf(" — |");
		else if (ratio && m != M_ODIN && ref > 0)
			printf(" %.0f (%.2f×) |", v, v / ref);
		else
			printf(" %.0f |", v);
	}
	printf("\n");
}

static void
row_str(const char *label, const char *fmt, int skip_permit)
{
	int m;

	printf("| %s |", label);
	for (m = 0; m < M_COUNT; m++) {
		const char *v = kv(fmt, mod_key[m]);

		printf(" %s |", (m == M_PERMIT && skip_permit) || v == NULL ? "—" : v);
	}
	printf("\n");
}

static void
target(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("- %s ", ok ? "**met**" : "**missed**");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int
cmd_report(int argc, char **argv)
{
	unsigned sizes[4], ns = 0, i;
	const char *s;
	char label[128], fmt[64];
	double o, g, v, f;
	int m;

	for (i = 0; i < (unsigned)argc; i++)
		kv_load(argv[i]);
	s = kv("cfg.sizes");
	if (s == NULL)
		die("no cfg.sizes in input");
	while (ns < 4 && *s) {
		sizes[ns] = (unsigned)strtoul(s, (char **)&s, 10);
		if (sizes[ns] != 0)
			ns++;
		if (*s == ',')
			s++;
	}

	printf("| Measurement (µs unless noted; ratio = module / pam_odin) |");
	for (m = 0; m < M_COUNT; m++)
		printf(" %s |", mod_title[m]);
	printf("\n|");
	for (m = 0; m <= M_COUNT; m++)
		printf("---|");
	printf("\n");
	for (i = 0; i < ns; i++) {
		snprintf(label, sizeof(label), "success p50, N=%u (%s logins)",
		    sizes[i], kv("odin.n%u.k", sizes[i]) ? kv("odin.n%u.k", sizes[i]) : "?");
		snprintf(fmt, sizeof(fmt), "%%s.n%u.p50", sizes[i]);
		row_num(label, fmt, 1, 0);
		snprintf(label, sizeof(label), "success p99, N=%u", sizes[i]);
		snprintf(fmt, sizeof(fmt), "%%s.n%u.p99", sizes[i]);
		row_num(label, fmt, 1, 0);
	}
	if (kv("odin.fresh.p50") != NULL) {
		snprintf(label, sizeof(label), "success p50, a new process per login as in su and sudo, "
		    "N=1 (%s logins)", kv("cfg.fresh_k"));
		row_num(label, "%s.fresh.p50", 1, 0);
		row_num("success p99, a new process per login", "%s.fresh.p99", 1, 0);
	}
	printf("| logins measured at N=%u |", sizes[ns - 1]);
	for (m = 0; m < M_COUNT; m++)
		printf(" %s |", kv("%s.n%u.k", mod_key[m], sizes[ns - 1]) ?
		    kv("%s.n%u.k", mod_key[m], sizes[ns - 1]) : "—");
	printf("\n| growth p50(N=%u) / p50(N=1) |", sizes[ns - 1]);
	for (m = 0; m < M_COUNT; m++) {
		v = kvd(kv("%s.n%u.p50", mod_key[m], sizes[ns - 1])) /
		    kvd(kv("%s.n1.p50", mod_key[m]));
		printf(isnan(v) ? " — |" : " %.2f |", v);
	}
	printf("\n");
	snprintf(label, sizeof(label), "wrong code p50, N=%s", kv("cfg.wrong_n"));
	row_num(label, "%s.wrong.p50", 1, 1);
	snprintf(label, sizeof(label), "throughput, 1 process, N=%s (logins/s)",
	    kv("cfg.par_n"));
	row_num(label, "%s.par1.tput", 1, 1);
	snprintf(label, sizeof(label), "throughput, 2 processes (logins/s)");
	row_num(label, "%s.par2.tput", 1, 1);
	row_str("speed-up, 2 processes / 1 (median of 5 alternating rounds)",
	    "%s.par2.speedup", 1);
	row_str("legitimate logins accepted, 2 processes", "%s.par2.ok", 1);
	row_str("lost updates (accepted code replayable afterwards)", "%s.par2.lost", 1);
	row_str("race: successes per round, 32 processes × 10 rounds (correct: 1)",
	    "%s.race.rounds", 1);
	printf("| peak RSS of the driver, MB (delta to pam_permit) |");
	for (m = 0; m < M_COUNT; m++) {
		double base = kvd(kv("permit.rss.hwm_kb"));

		v = kvd(kv("%s.rss.hwm_kb", mod_key[m]));
		if (isnan(v))
			printf(" — |");
		else if (m == M_PERMIT || isnan(base))
			printf(" %.1f |", v / 1024);
		else
			printf(" %.1f (%+.2f) |", v / 1024, (v - base) / 1024);
	}
	printf("\n");
	if (kv("odin.hostlog.p50") != NULL) {
		snprintf(label, sizeof(label),
		    "success p50 with the host's syslog as it is, N=%s", kv("hostlog.n"));
		row_num(label, "%s.hostlog.p50", 1, 0);
	}
	printf("| durable-write floor (512 B, fsync, rename, fsync dir) p50 / p99 | %s / %s | | | | |\n",
	    kv("floor.p50") ? kv("floor.p50") : "?", kv("floor.p99") ? kv("floor.p99") : "?");
	printf("| the same without the directory fsync (google-authenticator's way) p50 / p99 | %s / %s | | | | |\n",
	    kv("floor.nodirsync.p50") ? kv("floor.nodirsync.p50") : "?",
	    kv("floor.nodirsync.p99") ? kv("floor.nodirsync.p99") : "?");
	printf("| in-place floor (64 B over a slot of a 128 B file, fdatasync) p50 / p99 | %s / %s | | | | |\n",
	    kv("floor.inplace.p50") ? kv("floor.inplace.p50") : "?",
	    kv("floor.inplace.p99") ? kv("floor.inplace.p99") : "?");
	printf("| the same in one call, pwritev2(RWF_DSYNC) (pam_odin's way) p50 / p99 | %s / %s | | | | |\n",
	    kv("floor.dsync.p50") ? kv("floor.dsync.p50") : "?",
	    kv("floor.dsync.p99") ? kv("floor.dsync.p99") : "?");
	printf("| a login's write as it meets it: another synced 128 B file each time (open, write, "
	    "RWF_DSYNC write, close) p50 / p99 | %s / %s | | | | |\n",
	    kv("floor.cold.p50") ? kv("floor.cold.p50") : "?",
	    kv("floor.cold.p99") ? kv("floor.cold.p99") : "?");
	printf("| durable writes/s, 1 process / 2 processes (own directories), speed-up | %s / %s, %s | | | | |\n",
	    kv("floor.tput1") ? kv("floor.tput1") : "?",
	    kv("floor.tput2") ? kv("floor.tput2") : "?",
	    kv("floor.speedup") ? kv("floor.speedup") : "?");

	printf("\n### Targets (issue 14)\n\n");
	for (i = 0; i < ns; i += ns - 1) {
		o = kvd(kv("odin.n%u.p50", sizes[i]));
		g = kvd(kv("ga.n%u.p50", sizes[i]));
		target(o <= 0.8 * g, "success p50 at N=%u: pam_odin %.0f µs ≤ 0.8 × google-authenticator "
		    "%.0f µs = %.0f µs (%.2f×)", sizes[i], o, g, 0.8 * g, o / g);
		o = kvd(kv("odin.n%u.p99", sizes[i]));
		g = kvd(kv("ga.n%u.p99", sizes[i]));
		target(o <= g, "success p99 at N=%u: pam_odin %.0f µs ≤ google-authenticator %.0f µs (%.2f×)",
		    sizes[i], o, g, o / g);
		o = kvd(kv("odin.n%u.p50", sizes[i]));
		v = kvd(kv("permit.n%u.p50", sizes[i])) + 1.3 * kvd(kv("floor.inplace.p50"));
		target(o <= v, "success p50 at N=%u: pam_odin %.0f µs ≤ pam_permit + 1.3 × in-place "
		    "floor (pwrite + fdatasync) = %.0f µs", sizes[i], o, v);
		f = kvd(kv("floor.n%u.p50", sizes[i]));
		if (!isnan(f))
			printf("  - for scale: the in-place floor as a module (prompt, the two writes, no "
			    "check) %.0f µs is itself %s that line; pam_odin is %.0f µs above it "
			    "(%.2f×)\n", f, f <= v ? "within" : "above", o - f, o / f);
		if (ns == 1)
			break;
	}
	v = kvd(kv("odin.n%u.p50", sizes[ns - 1])) / kvd(kv("odin.n1.p50"));
	g = kvd(kv("permit.n%u.p50", sizes[ns - 1])) / kvd(kv("permit.n1.p50"));
	target(v <= (g > 1 ? g : 1), "flat in N: pam_odin p50(N=%u) / p50(N=1) = %.2f, within "
	    "pam_permit's own drift %.2f", sizes[ns - 1], v, g);
	f = kvd(kv("floor.n%u.p50", sizes[ns - 1])) / kvd(kv("floor.n1.p50"));
	if (!isnan(f))
		printf("  - for scale: the in-place floor module, whose writes go to one of N "
		    "users' state files as pam_odin's do, grew %.2f\n", f);
	target(kv("result.odin_race_bad_rounds") != NULL &&
	    strcmp(kv("result.odin_race_bad_rounds"), "0") == 0,
	    "race: pam_odin exactly 1 success in every round (%s)",
	    kv("odin.race.rounds") ? kv("odin.race.rounds") : "not run");
	target(kv("odin.par2.lost") != NULL && strcmp(kv("odin.par2.lost"), "0") == 0,
	    "parallel: pam_odin lost updates = %s (replayed %s, too late to check %s)",
	    kv("odin.par2.lost") ? kv("odin.par2.lost") : "?",
	    kv("odin.par2.replayed") ? kv("odin.par2.replayed") : "?",
	    kv("odin.par2.unverified") ? kv("odin.par2.unverified") : "?");
	/* a module that makes a durable write per login cannot scale past the disk itself */
	v = kvd(kv("odin.par2.speedup"));
	g = kvd(kv("floor.speedup"));
	target(v >= 1.5 || (!isnan(g) && v >= g), "parallel: pam_odin throughput 2 processes / 1 = "
	    "%.2f ≥ 1.5, or ≥ the disk's own durable-write speed-up in the same run (%.2f)", v, g);
	o = kvd(kv("odin.wrong.p50"));
	g = kvd(kv("ga.wrong.p50"));
	target(o <= g, "wrong code p50: pam_odin %.0f µs ≤ google-authenticator %.0f µs", o, g);
	v = (kvd(kv("odin.rss.hwm_kb")) - kvd(kv("permit.rss.hwm_kb"))) / 1024;
	target(v < 1.0, "peak RSS: pam_odin adds %.2f MB over pam_permit (< 1 MB)", v);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *outpath = NULL;
	int i = 1;

	if (argc < 2)
		die("usage: bench-driver run|hostlog|rss|report [--out FILE] ...");
	if (strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 2, argv + 2);
	if (strcmp(argv[1], "one") == 0) {	/* internal: one login, this process's only */
		if (argc != 6)
			die("usage: bench-driver one CONFDIR SERVICE USER CODE");
		return pam_one(argv[2], argv[3], argv[4], argv[5]) == PAM_SUCCESS ? 0 : 1;
	}
	if (argc >= 4 && strcmp(argv[2], "--out") == 0) {
		outpath = argv[3];
		i = 3;
	}
	if (outpath == NULL)
		die("%s: --out FILE must come first", argv[1]);
	out = fopen(outpath, "a");
	if (out == NULL)
		die("%s: %s", outpath, strerror(errno));
	setenv("BENCH_OUT", outpath, 1);
	if (strcmp(argv[1], "rss") == 0)
		return cmd_rss(argc - i - 1, argv + i + 1);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - i - 1, argv + i + 1, 0);
	if (strcmp(argv[1], "hostlog") == 0)
		return cmd_run(argc - i - 1, argv + i + 1, 1);
	die("unknown command %s", argv[1]);
	return 2;
}
