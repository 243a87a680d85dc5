/* SPDX-License-Identifier: ISC */
/*
 * AES-256-GCM sealing of TOTP secrets (see crypt.h).  The user name is
 * the associated data; a fresh random nonce per seal; the tag is checked
 * by EVP_DecryptFinal_ex before any plaintext is handed back.
 *
 * libcrypto is not linked: su, sudo and sshd load pam_odin.so in a fresh
 * process for every login, and there mapping libcrypto costs about as much
 * as the rest of a login, which on a host without secret_key_file never
 * seals anything.  So it is dlopen()ed here, by its SONAME (the system's
 * library search, as for a DT_NEEDED entry: LD_LIBRARY_PATH is ignored in
 * a setuid or otherwise secure process), for each seal or unseal, as
 * qr_encode.c does with libqrencode.  The pointers keep the prototypes of
 * <openssl/evp.h> (typeof), so the compiler checks every call.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crypt.h"
#include "base32.h"
#include "err.h"
#include "log.h"
#include "secure.h"

#define KEYFILE_MAX 128
#define CRYPTO_SONAME "libcrypto.so.3"	/* configure requires OpenSSL 3 */

/* The libcrypto functions this file calls, from the loaded library. */
struct evp {
	void *lib;
	__typeof__(EVP_CIPHER_CTX_new) *ctx_new;
	__typeof__(EVP_CIPHER_CTX_free) *ctx_free;
	__typeof__(EVP_CIPHER_CTX_ctrl) *ctx_ctrl;
	__typeof__(EVP_CipherInit_ex) *init;
	__typeof__(EVP_aes_256_gcm) *aes_256_gcm;
	__typeof__(EVP_EncryptUpdate) *enc_update;
	__typeof__(EVP_EncryptFinal_ex) *enc_final;
	__typeof__(EVP_DecryptUpdate) *dec_update;
	__typeof__(EVP_DecryptFinal_ex) *dec_final;
};

static void
evp_close(struct evp *e)
{
	if (e->lib != NULL)
		(void)dlclose(e->lib);
	memset(e, 0, sizeof(*e));
}

/*
 * dlsym() gives an object pointer; a union turns it into the field's own
 * function-pointer type (POSIX: the two have the same representation).
 */
#define EVP_SYM(e, field, name) __extension__ ({				\
	union { void *p; __typeof__((e)->field) f; } u_;			\
	u_.p = dlsym((e)->lib, (name));					\
	if (u_.p == NULL)							\
		odin_log(LOG_ERR, "%s lacks %s", CRYPTO_SONAME, (name));	\
	(e)->field = u_.f;							\
	u_.p == NULL ? -1 : 0;							\
})

static int
evp_open(struct evp *e)
{
	const char *why;

	memset(e, 0, sizeof(*e));
	if ((e->lib = dlopen(CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		odin_log(LOG_ERR, "cannot load %s to seal or open a secret: %s", CRYPTO_SONAME,
		    why != NULL ? why : "?");
		return ODIN_EIO;
	}
	if (EVP_SYM(e, ctx_new, "EVP_CIPHER_CTX_new") != 0 ||
	    EVP_SYM(e, ctx_free, "EVP_CIPHER_CTX_free") != 0 ||
	    EVP_SYM(e, ctx_ctrl, "EVP_CIPHER_CTX_ctrl") != 0 ||
	    EVP_SYM(e, init, "EVP_CipherInit_ex") != 0 ||
	    EVP_SYM(e, aes_256_gcm, "EVP_aes_256_gcm") != 0 ||
	    EVP_SYM(e, enc_update, "EVP_EncryptUpdate") != 0 ||
	    EVP_SYM(e, enc_final, "EVP_EncryptFinal_ex") != 0 ||
	    EVP_SYM(e, dec_update, "EVP_DecryptUpdate") != 0 ||
	    EVP_SYM(e, dec_final, "EVP_DecryptFinal_ex") != 0) {
		evp_close(e);
		return ODIN_EIO;
	}
	return ODIN_OK;
}

void
odin_key_wipe(struct odin_key *key)
{
	if (key != NULL)
		odin_wipe(key, sizeof(*key));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 2*n hex digits into out; -1 if anything else. */
static int
unhex(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (len != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = hexval(s[2 * i]);
		lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
odin_key_load(const char *path, struct odin_key *key)
{
	char buf[KEYFILE_MAX];
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	odin_key_wipe(key);
	if (path == NULL || path[0] == '\0')
		return ODIN_EINVAL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			odin_log(LOG_ERR, "secret_key_file %s: does not exist", path);
			return ODIN_ENOENT;
		}
		if (errno == ELOOP) {
			odin_log(LOG_ERR, "secret_key_file %s: refusing a symbolic link", path);
			return ODIN_EUNSAFE;
		}
		odin_log(LOG_ERR, "secret_key_file %s: cannot open: %s", path, strerror(errno));
		return errno == EACCES ? ODIN_EPERM : ODIN_EIO;
	}
	rc = ODIN_EUNSAFE;
	if (fstat(fd, &sb) != 0) {
		odin_log(LOG_ERR, "secret_key_file %s: fstat: %s", path, strerror(errno));
		rc = ODIN_EIO;
	} else if (!S_ISREG(sb.st_mode)) {
		odin_log(LOG_ERR, "secret_key_file %s: not a regular file", path);
	} else if (sb.st_uid != 0) {
		odin_log(LOG_ERR, "secret_key_file %s: not owned by root (uid %lu)", path,
		    (unsigned long)sb.st_uid);
	} else if ((sb.st_mode & 077) != 0) {
		odin_log(LOG_ERR, "secret_key_file %s: mode %04o, group/other must have no access",
		    path, (unsigned)(sb.st_mode & 07777));
	} else {
		rc = ODIN_OK;
	}
	while (rc == ODIN_OK && len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			odin_log(LOG_ERR, "secret_key_file %s: read: %s", path, strerror(errno));
			rc = ODIN_EIO;
		}
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);
	if (rc == ODIN_OK) {
		if (len > 0 && buf[len - 1] == '\n')
			len--;
		if (unhex(buf, len, key->k, sizeof(key->k)) != 0) {
			odin_log(LOG_ERR, "secret_key_file %s: expected 64 hex digits", path);
			odin_key_wipe(key);
			rc = ODIN_ECORRUPT;
		}
	}
	odin_wipe(buf, sizeof(buf));
	return rc;
}

int
odin_sealed(const char *text, size_t len)
{
	size_t pl = sizeof(ODIN_SEAL_PREFIX) - 1;

	return text != NULL && len >= pl && memcmp(text, ODIN_SEAL_PREFIX, pl) == 0;
}

/* The cipher context with key and nonce set; NULL on failure. */
static EVP_CIPHER_CTX *
gcm_ctx(const struct evp *e, const struct odin_key *key, const uint8_t *nonce, int enc)
{
	EVP_CIPHER_CTX *ctx = e->ctx_new();

	if (ctx == NULL)
		return NULL;
	if (e->init(ctx, e->aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    e->ctx_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, ODIN_SEAL_NONCE, NULL) != 1 ||
	    e->init(ctx, NULL, NULL, key->k, nonce, enc) != 1) {
		e->ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

int
odin_seal(const struct odin_key *key, const char *user,
    const uint8_t *secret, size_t len, char *out, size_t outsz)
{
	uint8_t blob[ODIN_SEAL_NONCE + 64 + ODIN_SEAL_TAG];
	size_t pl = sizeof(ODIN_SEAL_PREFIX) - 1, blen;
	EVP_CIPHER_CTX *ctx;
	struct evp e;
	int n, rc = ODIN_ECRYPTO;

	if (key == NULL || user == NULL || secret == NULL || out == NULL ||
	    len == 0 || len > 64 || outsz < ODIN_SEAL_TEXTLEN(len) + 1)
		return ODIN_EINVAL;
	blen = ODIN_SEAL_NONCE + len + ODIN_SEAL_TAG;
	if (odin_random(blob, ODIN_SEAL_NONCE) != ODIN_OK)
		return ODIN_ECRYPTO;
	/* no library (a memory limit, a broken install): not the record's fault */
	if (evp_open(&e) != ODIN_OK) {
		odin_wipe(blob, sizeof(blob));
		return ODIN_EIO;
	}
	if ((ctx = gcm_ctx(&e, key, blob, 1)) == NULL)
		goto out_noctx;
	if (e.enc_update(ctx, NULL, &n, (const unsigned char *)user, (int)strlen(user)) != 1 ||
	    e.enc_update(ctx, blob + ODIN_SEAL_NONCE, &n, secret, (int)len) != 1 ||
	    (size_t)n != len ||
	    e.enc_final(ctx, blob + ODIN_SEAL_NONCE + len, &n) != 1 || n != 0 ||
	    e.ctx_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, ODIN_SEAL_TAG,
	    blob + ODIN_SEAL_NONCE + len) != 1)
		goto out;
	memcpy(out, ODIN_SEAL_PREFIX, pl);
	odin_base16_encode(blob, blen, out + pl);
	rc = ODIN_OK;
out:
	e.ctx_free(ctx);
out_noctx:
	evp_close(&e);
	odin_wipe(blob, sizeof(blob));
	return rc;
}

int
odin_unseal(const struct odin_key *key, const char *user,
    const char *text, size_t textlen, uint8_t *secret, size_t secretsz, size_t *len)
{
	uint8_t blob[ODIN_SEAL_NONCE + 64 + ODIN_SEAL_TAG];
	size_t pl = sizeof(ODIN_SEAL_PREFIX) - 1, blen, clen;
	EVP_CIPHER_CTX *ctx;
	struct evp e;
	int n, rc = ODIN_ECRYPTO;

	if (len != NULL)
		*len = 0;
	if (key == NULL || user == NULL || text == NULL || secret == NULL || len == NULL)
		return ODIN_EINVAL;
	odin_wipe(secret, secretsz);
	if (!odin_sealed(text, textlen) || (textlen - pl) % 2 != 0)
		return ODIN_ECORRUPT;
	blen = (textlen - pl) / 2;
	if (blen <= ODIN_SEAL_NONCE + ODIN_SEAL_TAG || blen > sizeof(blob))
		return ODIN_ECORRUPT;
	clen = blen - ODIN_SEAL_NONCE - ODIN_SEAL_TAG;
	if (clen > secretsz)
		return ODIN_EINVAL;
	if (unhex(text + pl, textlen - pl, blob, blen) != 0)
		return ODIN_ECORRUPT;
	if (evp_open(&e) != ODIN_OK) {	/* not the record's fault: not ECRYPTO */
		rc = ODIN_EIO;
		goto out_nolib;
	}
	if ((ctx = gcm_ctx(&e, key, blob, 0)) == NULL)
		goto out_noctx;
	if (e.dec_update(ctx, NULL, &n, (const unsigned char *)user, (int)strlen(user)) != 1 ||
	    e.dec_update(ctx, secret, &n, blob + ODIN_SEAL_NONCE, (int)clen) != 1 ||
	    (size_t)n != clen ||
	    e.ctx_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, ODIN_SEAL_TAG,
	    blob + ODIN_SEAL_NONCE + clen) != 1 ||
	    e.dec_final(ctx, secret + clen, &n) != 1) {
		odin_wipe(secret, secretsz);
		goto out;
	}
	*len = clen;
	rc = ODIN_OK;
out:
	e.ctx_free(ctx);
out_noctx:
	evp_close(&e);
out_nolib:
	odin_wipe(blob, sizeof(blob));
	return rc;
}
