/* SPDX-License-Identifier: ISC */
/*
 * Recognises a secret exported by another tool.  The rule is: carry over
 * exactly what the other tool would have accepted, or refuse.  Anything
 * whose meaning we cannot reproduce -- an HOTP counter, a PIN, an option
 * we do not know -- is refused with a reason, never approximated.
 *
 * Forms, tried in this order on the text with surrounding blanks trimmed:
 *   1. "otpauth:..."                    one line, odin_otpauth_parse()
 *   2. one line that decodes as base32  a bare secret (spaces, any case)
 *   3. a line whose first word is HOTP  pam_oath users file: comment lines
 *      or HOTP/...                      and other users' lines are skipped,
 *                                       exactly one line for the user
 *   4. a line starting with '"'         google-authenticator state file:
 *                                       secret, options, 8-digit scratch codes
 * Refused: otpauth://hotp, pam_oath HOTP and HOTP/E (counters), a PIN
 * other than "-", a google-authenticator file without TOTP_AUTH or with
 * HOTP_COUNTER, unknown google-authenticator options.  Accepted and
 * dropped: RATE_LIMIT, WINDOW_SIZE, DISALLOW_REUSE (site policy applies);
 * pam_oath's last-OTP and time fields.  STEP_SIZE becomes the period.
 *
 * Every copy of the input is wiped before it is freed.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base32.h"
#include "err.h"
#include "import.h"
#include "otpauth.h"
#include "secure.h"

#define IMPORT_MAX (64 * 1024)
#define OATH_FIELDS_MAX 8

const char *
odin_import_kind_name(enum odin_import_kind k)
{
	switch (k) {
	case ODIN_IMPORT_URI:	 return "otpauth URI";
	case ODIN_IMPORT_BASE32: return "base32 secret";
	case ODIN_IMPORT_GA:	 return "google-authenticator state file";
	case ODIN_IMPORT_OATH:	 return "pam_oath users file line";
	}
	return "unknown";
}

static int
imp_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Trims blanks (incl. CR) at both ends of s in place; returns the new start. */
static char *
imp_trim(char *s)
{
	char *e;

	while (imp_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && imp_blank(e[-1]))
		*--e = '\0';
	return s;
}

/* Plain decimal within [min, max]. */
static int
imp_number(const char *s, size_t n, unsigned min, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return 0;
	}
	if (v < min)
		return 0;
	*out = (unsigned)v;
	return 1;
}

static int
imp_secret_b32(const char *s, struct odin_import *out)
{
	size_t n;

	if (odin_base32_decode(s, out->secret, sizeof(out->secret), &n) != ODIN_OK)
		return 0;
	if (n < ODIN_SECRET_MIN) {
		odin_wipe(out->secret, sizeof(out->secret));
		return 0;
	}
	out->secret_len = n;
	return 1;
}

/* ---- otpauth URI ------------------------------------------------------ */

static int
imp_uri(char *text, struct odin_import *out, const char **why)
{
	struct odin_otpauth p;
	int rc;

	if (strchr(text, '\n') != NULL) {
		*why = "an otpauth URI must be a single line";
		return ODIN_EINVAL;
	}
	if (strncasecmp(text, "otpauth://hotp", 14) == 0) {
		*why = "HOTP (counter-based) otpauth URIs cannot be carried over; only TOTP";
		return ODIN_EINVAL;
	}
	rc = odin_otpauth_parse(text, &p);
	if (rc != ODIN_OK) {
		*why = "not a valid otpauth://totp/ URI (needs a base32 secret of at least 80 bits)";
		return ODIN_EINVAL;
	}
	memcpy(out->secret, p.secret, p.secret_len);
	out->secret_len = p.secret_len;
	out->alg = p.alg;
	out->digits = p.digits;
	out->period = p.period;
	out->kind = ODIN_IMPORT_URI;
	odin_wipe(&p, sizeof(p));
	return ODIN_OK;
}

/* ---- pam_oath users file ---------------------------------------------- */

/*
 * "HOTP/T<step>[/<digits>]": TOTP with that step.  Plain "HOTP", "HOTP/E",
 * "HOTP/<digits>" are event (counter) based and refused.
 */
static int
imp_oath_type(const char *t, unsigned *period, unsigned *digits, const char **why)
{
	const char *p, *slash;

	*digits = 6;
	if (strncmp(t, "HOTP", 4) != 0 || (t[4] != '\0' && t[4] != '/')) {
		*why = "unknown token type in pam_oath line (expected HOTP/T30)";
		return 0;
	}
	if (t[4] == '\0' || t[5] != 'T') {
		*why = "pam_oath line is event-based HOTP (a counter): only HOTP/T (TOTP) can be carried over";
		return 0;
	}
	p = t + 6;
	slash = strchr(p, '/');
	if (!imp_number(p, slash != NULL ? (size_t)(slash - p) : strlen(p),
	    ODIN_PERIOD_MIN, ODIN_PERIOD_MAX, period)) {
		*why = "bad time step in pam_oath token type";
		return 0;
	}
	if (slash != NULL &&
	    !imp_number(slash + 1, strlen(slash + 1), ODIN_DIGITS_MIN, ODIN_DIGITS_MAX, digits)) {
		*why = "bad digits in pam_oath token type (6 to 8)";
		return 0;
	}
	return 1;
}

static int
imp_hex(const char *s, struct odin_import *out)
{
	size_t n = strlen(s), i;
	int hi, lo;

	if (n % 2 != 0 || n / 2 < ODIN_SECRET_MIN || n / 2 > ODIN_SECRET_MAX)
		return 0;
	for (i = 0; i < n; i += 2) {
		hi = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 :
		    s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;
		lo = s[i + 1] >= '0' && s[i + 1] <= '9' ? s[i + 1] - '0' :
		    s[i + 1] >= 'a' && s[i + 1] <= 'f' ? s[i + 1] - 'a' + 10 :
		    s[i + 1] >= 'A' && s[i + 1] <= 'F' ? s[i + 1] - 'A' + 10 : -1;
		if (hi < 0 || lo < 0) {
			odin_wipe(out->secret, sizeof(out->secret));
			return 0;
		}
		out->secret[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	out->secret_len = n / 2;
	return 1;
}

/*
 * Every non-comment line must be a users-file line.  Lines of other users
 * are skipped (so a whole users file may be piped in); exactly one line
 * must be for user (or, when user is NULL, exactly one line in all).
 * Fields: TYPE USER PIN KEY [LAST_OTP [LAST_TIME]].
 */
static int
imp_oath(char *text, const char *user, struct odin_import *out, const char **why)
{
	char *line, *next, *f[OATH_FIELDS_MAX], *sp;
	unsigned period = 0, digits = 0, nf, found = 0;
	char *key = NULL;

	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = imp_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		for (nf = 0, sp = line; *sp != '\0' && nf < OATH_FIELDS_MAX; nf++) {
			f[nf] = sp;
			while (*sp != '\0' && !imp_blank(*sp))
				sp++;
			while (imp_blank(*sp))
				*sp++ = '\0';
		}
		if (*sp != '\0' || nf < 4 || nf > 6) {
			*why = "malformed pam_oath line (expected: HOTP/T30 USER - HEXKEY)";
			return ODIN_EINVAL;
		}
		if (user != NULL && strcmp(f[1], user) != 0)
			continue;
		if (found++) {
			*why = "more than one pam_oath line for this user";
			return ODIN_EINVAL;
		}
		if (!imp_oath_type(f[0], &period, &digits, why))
			return ODIN_EINVAL;
		if (strcmp(f[2], "-") != 0) {
			*why = "pam_oath line has a PIN (only \"-\", no PIN, can be carried over)";
			return ODIN_EINVAL;
		}
		key = f[3];
	}
	if (found == 0) {
		*why = user != NULL ? "no pam_oath line for this user" : "no pam_oath line found";
		return ODIN_EINVAL;
	}
	if (!imp_hex(key, out)) {
		*why = "pam_oath key is not hex of 10 to 64 bytes";
		return ODIN_EINVAL;
	}
	out->alg = ODIN_ALG_SHA1;
	out->digits = digits;
	out->period = period;
	out->kind = ODIN_IMPORT_OATH;
	return ODIN_OK;
}

/* ---- google-authenticator state file ---------------------------------- */

static int
imp_is_word(const char *opt, const char *word)
{
	size_t n = strlen(word);

	return strncmp(opt, word, n) == 0 && (opt[n] == '\0' || imp_blank(opt[n]));
}

/* The rest of an option line: blank-separated decimal numbers only. */
static int
imp_numbers(const char *s, unsigned want_min, unsigned want_max)
{
	unsigned count = 0;
	size_t n;

	for (;;) {
		while (imp_blank(*s))
			s++;
		if (*s == '\0')
			break;
		for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
			;
		if (n == 0 || n > 20 || (s[n] != '\0' && !imp_blank(s[n])))
			return 0;
		s += n;
		count++;
	}
	return count >= want_min && count <= want_max;
}

static int
imp_ga(char *text, struct odin_import *out, const char **why)
{
	char *line, *next, *opt, *arg;
	int totp = 0, codes = 0;
	unsigned step = 30, n;

	next = strchr(text, '\n');
	if (next != NULL)
		*next++ = '\0';
	if (!imp_secret_b32(imp_trim(text), out)) {
		*why = "google-authenticator file: first line is not a base32 secret of at least 80 bits";
		return ODIN_EINVAL;
	}
	for (line = next; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = imp_trim(line);
		if (*line == '\0')
			continue;
		if (line[0] == '"') {
			if (codes) {
				*why = "google-authenticator file: option after scratch codes";
				return ODIN_EINVAL;
			}
			opt = line + 1;
			while (*opt == ' ')
				opt++;
			for (arg = opt; *arg != '\0' && !imp_blank(*arg); arg++)
				;
			if (imp_is_word(opt, "TOTP_AUTH") && imp_numbers(arg, 0, 0)) {
				totp = 1;
			} else if (imp_is_word(opt, "HOTP_COUNTER")) {
				*why = "google-authenticator file is HOTP (counter-based): only TOTP can be carried over";
				return ODIN_EINVAL;
			/* NOLINTNEXTLINE(bugprone-branch-clone): three options, each deliberately dropped */
			} else if (imp_is_word(opt, "RATE_LIMIT") && imp_numbers(arg, 2, 1000)) {
				/* Our own lockout replaces it. */
			} else if (imp_is_word(opt, "WINDOW_SIZE") && imp_numbers(arg, 1, 1)) {
				/* The window is site policy (config "window"). */
			} else if (imp_is_word(opt, "DISALLOW_REUSE") && imp_numbers(arg, 0, 1000)) {
				/* Always on here. */
			} else if (imp_is_word(opt, "STEP_SIZE")) {
				while (imp_blank(*arg))
					arg++;
				if (!imp_number(arg, strlen(arg), ODIN_PERIOD_MIN, ODIN_PERIOD_MAX, &step)) {
					*why = "google-authenticator file: bad STEP_SIZE";
					return ODIN_EINVAL;
				}
			} else {
				*why = "google-authenticator file: unknown or malformed option line";
				return ODIN_EINVAL;
			}
			continue;
		}
		/* A scratch code: exactly 8 digits. */
		if (strlen(line) != 8 || !imp_number(line, 8, 0, 99999999, &n)) {
			*why = "google-authenticator file: line is neither an option nor an 8-digit scratch code";
			return ODIN_EINVAL;
		}
		if (out->nscratch >= ODIN_BACKUP_MAX) {
			*why = "google-authenticator file: too many scratch codes";
			return ODIN_EINVAL;
		}
		memcpy(out->scratch[out->nscratch++], line, 9);
		codes = 1;
	}
	if (!totp) {
		*why = "google-authenticator file has no \" TOTP_AUTH line: it is HOTP (counter-based) and cannot be carried over";
		return ODIN_EINVAL;
	}
	out->alg = ODIN_ALG_SHA1;
	out->digits = 6;
	out->period = step;
	out->kind = ODIN_IMPORT_GA;
	return ODIN_OK;
}

/* ---- entry ------------------------------------------------------------ */

/* Some line's first word is "HOTP" or starts with "HOTP/". */
static int
imp_looks_oath(const char *s)
{
	for (;;) {
		while (imp_blank(*s))
			s++;
		if (strncmp(s, "HOTP", 4) == 0 && (s[4] == '/' || imp_blank(s[4]) || s[4] == '\0'))
			return 1;
		if ((s = strchr(s, '\n')) == NULL)
			return 0;
	}
}

int
odin_import_parse(const char *text, size_t len, const char *user,
    struct odin_import *out, const char **why)
{
	static const char *unused;
	char *copy = NULL, *s;
	int rc = ODIN_EINVAL;

	if (why == NULL)
		why = &unused;
	*why = "invalid arguments";
	if (out == NULL)
		return ODIN_EINVAL;
	odin_wipe(out, sizeof(*out));
	if (text == NULL)
		return ODIN_EINVAL;
	if (len > IMPORT_MAX) {
		*why = "input larger than 64 KiB";
		return ODIN_ETOOBIG;
	}
	if (memchr(text, '\0', len) != NULL) {
		*why = "input contains a NUL byte";
		return ODIN_EINVAL;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		*why = "out of memory";
		return ODIN_ENOMEM;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	s = imp_trim(copy);

	/*
	 * A single line that decodes as base32 is a bare secret (a grouped
	 * secret may well begin with the group "HOTP"); a pam_oath line never
	 * decodes, its PIN field and hex key hold characters base32 lacks.
	 */
	if (*s == '\0') {
		*why = "empty input";
	} else if (strncasecmp(s, "otpauth:", 8) == 0) {
		rc = imp_uri(s, out, why);
	} else if (strchr(s, '\n') == NULL && imp_secret_b32(s, out)) {
		out->kind = ODIN_IMPORT_BASE32;
		out->alg = ODIN_ALG_SHA1;
		out->digits = 6;
		out->period = ODIN_PERIOD_DEFAULT;
		rc = ODIN_OK;
	} else if (imp_looks_oath(s)) {
		rc = imp_oath(s, user, out, why);
	} else if (strstr(s, "\n\"") != NULL) {
		rc = imp_ga(s, out, why);
	} else {
		*why = "unrecognised input (not an otpauth URI, base32 secret of at least 80 bits, google-authenticator file or pam_oath line)";
	}
	odin_free_wipe(copy, len + 1);
	if (rc != ODIN_OK)
		odin_wipe(out, sizeof(*out));
	else
		*why = NULL;
	return rc;
}
