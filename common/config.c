/*
 * config.c - portd.conf to struct config. Three passes over the text:
 *
 *   1. comments are replaced by spaces (newlines kept), so that every
 *      position in the copy is the same line:column as in the file;
 *   2. a strict JSON scanner checks the syntax and, on the first error,
 *      says what it expected and where (cJSON only says where it gave
 *      up, sometimes a token late, and accepts "01");
 *   3. cJSON builds the tree, and a table of keys per object checks
 *      every value, collecting every error with its key path.
 *
 * Values land in the caller's struct as they are checked; on any error
 * the struct is freed and re-initialised, so a caller never sees half a
 * configuration.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "log.h"

#define CONFIG_FILE_MAX		(1024 * 1024)	/* config_load's limit */
#define CONFIG_ERRORS_MAX	100	/* messages kept per parse */
#define CONFIG_ERRORS_MAX_TEXT	"100"
#define CONFIG_DEPTH_MAX	64	/* nesting of arrays and objects */
#define CONFIG_NUMBER_MAX	63	/* cJSON silently cuts longer numbers */
#define CONFIG_SOCKET_MAX	108	/* sizeof(sun_path) on Linux */
#define CONFIG_TOKEN_SHOWN	32	/* bytes of text quoted after "near" */

/* One parse: where messages go and what they are prefixed with. */
struct cparse {
	const char *name;
	portspec_lookup_fn lookup;
	struct config_errors *errs;
	size_t nerrs;		/* messages from this parse */
	int failed;		/* set by any error, even one not stored */
	struct config *cfg;
	size_t rule;		/* the rule being checked */
};

/* ------------------------------------------------------------------ */
/* Messages */

static void
errs_push(struct cparse *cp, char *msg)
{
	char **v;

	if ((v = realloc(cp->errs->v, (cp->errs->n + 1) *
	    sizeof(*v))) == NULL) {
		free(msg);
		return;
	}
	cp->errs->v = v;
	cp->errs->v[cp->errs->n++] = msg;
}

static void errs_vadd(struct cparse *, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

/*
 * Appends name, sep and the formatted text: sep is ": " before a key
 * path or a plain message, ":" before "LINE:COLUMN: syntax error".
 */
static void
errs_vadd(struct cparse *cp, const char *sep, const char *fmt, va_list ap)
{
	va_list ap2;
	char *msg;
	size_t len;
	int n;

	cp->failed = 1;
	if (cp->nerrs > CONFIG_ERRORS_MAX)
		return;
	if (cp->nerrs++ == CONFIG_ERRORS_MAX) {
		sep = ": ";
		fmt = "more than " CONFIG_ERRORS_MAX_TEXT " errors; the rest "
		    "are not shown";
	}
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	len = strlen(cp->name) + strlen(sep);
	if (n < 0 || (msg = malloc(len + (size_t)n + 1)) == NULL)
		return;
	snprintf(msg, len + 1, "%s%s", cp->name, sep);
	vsnprintf(msg + len, (size_t)n + 1, fmt, ap);
	errs_push(cp, msg);
}

static void errs_add(struct cparse *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends "NAME: <text>". */
static void
errs_add(struct cparse *cp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errs_vadd(cp, ": ", fmt, ap);
	va_end(ap);
}

/*
 * Copies user text for a message: at most max bytes (not cutting a UTF-8
 * character), control characters as '?', "..." when cut.
 */
static void
shown(char *dst, size_t dstlen, const char *src, size_t srclen, size_t max)
{
	size_t i, n = srclen < max ? srclen : max;

	if (dstlen < 4)
		return;
	if (n > dstlen - 4)
		n = dstlen - 4;
	while (n > 0 && n < srclen && ((unsigned char)src[n] & 0xc0) == 0x80)
		n--;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n < srclen) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

/* ------------------------------------------------------------------ */
/* Pass 1: comments */

/* 1-based line and column (in characters) of byte pos. */
static void
linecol(const char *s, size_t len, size_t pos, size_t *line, size_t *col)
{
	size_t i, start = 0;

	*line = 1;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		start = 3;	/* a BOM is not a column */
	if (pos > len)
		pos = len;
	*col = 1;
	for (i = start; i < pos; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

static void errs_at(struct cparse *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends "NAME:<text>", text starting with LINE:COLUMN. */
static void
errs_at(struct cparse *cp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errs_vadd(cp, ":", fmt, ap);
	va_end(ap);
}

static void syntax_error(struct cparse *, const char *, size_t, size_t,
    const char *, ...) __attribute__((format(printf, 5, 6)));

static void
syntax_error(struct cparse *cp, const char *s, size_t len, size_t pos,
    const char *fmt, ...)
{
	char what[256];
	size_t line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	linecol(s, len, pos, &line, &col);
	errs_at(cp, "%zu:%zu: syntax error: %s", line, col, what);
}

/*
 * Returns a NUL-terminated copy of text with // and / * * / comments
 * turned into spaces (newlines kept), or NULL (error reported).
 */
static char *
strip_comments(struct cparse *cp, const char *text, size_t len)
{
	enum { CODE, STRING, LINE, BLOCK } st = CODE;
	size_t i, start = 0;
	char *s;

	if ((s = malloc(len + 1)) == NULL) {
		errs_add(cp, "out of memory");
		return NULL;
	}
	memcpy(s, text, len);
	s[len] = '\0';
	for (i = 0; i < len; i++) {
		switch (st) {
		case CODE:
			if (s[i] == '"')
				st = STRING;
			else if (s[i] == '/' && i + 1 < len &&
			    (s[i + 1] == '/' || s[i + 1] == '*')) {
				st = s[i + 1] == '/' ? LINE : BLOCK;
				start = i;
				s[i] = s[i + 1] = ' ';
				i++;
			}
			break;
		case STRING:
			/* A raw newline ends a string for this pass: the
			 * scanner reports it, and later comments still go. */
			if (s[i] == '\\' && i + 1 < len && s[i + 1] != '\n')
				i++;
			else if (s[i] == '"' || s[i] == '\n')
				st = CODE;
			break;
		case LINE:
			if (s[i] == '\n')
				st = CODE;
			else
				s[i] = ' ';
			break;
		case BLOCK:
			if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
				s[i] = s[i + 1] = ' ';
				i++;
				st = CODE;
			} else if (s[i] != '\n')
				s[i] = ' ';
			break;
		}
	}
	if (st == BLOCK) {
		syntax_error(cp, text, len, start, "unterminated /* comment");
		free(s);
		return NULL;
	}
	return s;
}

/* ------------------------------------------------------------------ */
/* Pass 2: strict JSON syntax (RFC 8259) */

struct scan {
	const char *s;
	size_t len, pos;
	size_t errpos;
	char err[200];
};

static int
is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+' ||
	    c == '.';
}

/* "near 'xyz'", "at end of file" or "near control character 0x01". */
static void
near_text(const struct scan *sc, size_t pos, char *buf, size_t len)
{
	char tok[CONFIG_TOKEN_SHOWN + 4];
	unsigned char c;
	size_t n;

	if (pos >= sc->len) {
		snprintf(buf, len, "at end of file");
		return;
	}
	c = (unsigned char)sc->s[pos];
	if (c < 0x20 || c == 0x7f) {
		snprintf(buf, len, "near control character 0x%02x", c);
		return;
	}
	n = 1;
	if (c == '"') {
		while (pos + n < sc->len && sc->s[pos + n] != '"' &&
		    sc->s[pos + n] != '\n')
			n++;
		if (pos + n < sc->len && sc->s[pos + n] == '"')
			n++;
	} else if (is_word(c)) {
		while (pos + n < sc->len && is_word(sc->s[pos + n]))
			n++;
	} else if (c >= 0x80) {
		while (pos + n < sc->len &&
		    ((unsigned char)sc->s[pos + n] & 0xc0) == 0x80)
			n++;
	}
	shown(tok, sizeof(tok), sc->s + pos, n, CONFIG_TOKEN_SHOWN);
	snprintf(buf, len, "near '%s'", tok);
}

static int scan_fail(struct scan *, size_t, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the first error; near adds what stands at pos. Returns -1. */
static int
scan_fail(struct scan *sc, size_t pos, int near, const char *fmt, ...)
{
	char where[CONFIG_TOKEN_SHOWN + 64];
	va_list ap;
	size_t n;

	sc->errpos = pos;
	va_start(ap, fmt);
	vsnprintf(sc->err, sizeof(sc->err), fmt, ap);
	va_end(ap);
	if (near) {
		near_text(sc, pos, where, sizeof(where));
		n = strlen(sc->err);
		snprintf(sc->err + n, sizeof(sc->err) - n, " %s", where);
	}
	return -1;
}

static void
scan_ws(struct scan *sc)
{
	while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' ||
	    sc->s[sc->pos] == '\t' || sc->s[sc->pos] == '\n' ||
	    sc->s[sc->pos] == '\r'))
		sc->pos++;
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= (unsigned)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= (unsigned)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			v |= (unsigned)(s[i] - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Length of the UTF-8 character at p (RFC 3629), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, size_t avail)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n > avail || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static int
scan_string(struct scan *sc)
{
	size_t start = sc->pos, n;
	unsigned u, u2;
	unsigned char c;

	sc->pos++;			/* the opening quote */
	for (;;) {
		if (sc->pos >= sc->len || sc->s[sc->pos] == '\n')
			return scan_fail(sc, start, 0, "unterminated string");
		c = (unsigned char)sc->s[sc->pos];
		if (c == '"') {
			sc->pos++;
			return 0;
		}
		if (c < 0x20 || c == 0x7f)
			return scan_fail(sc, sc->pos, 0, "control character "
			    "0x%02x in a string (write it as \\u%04x)", c, c);
		if (c >= 0x80) {
			if ((n = utf8_len((const unsigned char *)sc->s +
			    sc->pos, sc->len - sc->pos)) == 0)
				return scan_fail(sc, sc->pos, 0,
				    "invalid UTF-8 in a string");
			sc->pos += n;
			continue;
		}
		if (c != '\\') {
			sc->pos++;
			continue;
		}
		if (sc->pos + 1 >= sc->len)
			return scan_fail(sc, start, 0, "unterminated string");
		switch (sc->s[sc->pos + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			sc->pos += 2;
			continue;
		case 'u':
			break;
		default:
			c = (unsigned char)sc->s[sc->pos + 1];
			return scan_fail(sc, sc->pos, 0, "invalid escape "
			    "'\\%c' in a string", c >= 0x20 && c < 0x7f ?
			    c : '?');
		}
		if (sc->pos + 6 > sc->len || hex4(sc->s + sc->pos + 2, &u))
			return scan_fail(sc, sc->pos, 0, "\\u needs four hex "
			    "digits");
		/* cJSON's strings end at a NUL; a name must not. */
		if (u == 0)
			return scan_fail(sc, sc->pos, 0, "\\u0000 is not "
			    "allowed in a string");
		if (u >= 0xdc00 && u <= 0xdfff)
			return scan_fail(sc, sc->pos, 0, "unpaired surrogate "
			    "\\u%04x", u);
		if (u >= 0xd800 && u <= 0xdbff) {
			if (sc->pos + 12 > sc->len ||
			    sc->s[sc->pos + 6] != '\\' ||
			    sc->s[sc->pos + 7] != 'u' ||
			    hex4(sc->s + sc->pos + 8, &u2) ||
			    u2 < 0xdc00 || u2 > 0xdfff)
				return scan_fail(sc, sc->pos, 0, "unpaired "
				    "surrogate \\u%04x", u);
			sc->pos += 6;
		}
		sc->pos += 6;
	}
}

static int
scan_digits(struct scan *sc)
{
	size_t start = sc->pos;

	while (sc->pos < sc->len && sc->s[sc->pos] >= '0' &&
	    sc->s[sc->pos] <= '9')
		sc->pos++;
	return sc->pos > start ? 0 : -1;
}

static int
scan_number(struct scan *sc)
{
	size_t start = sc->pos;
	int bad = 0;

	if (sc->s[sc->pos] == '-')
		sc->pos++;
	if (sc->pos < sc->len && sc->s[sc->pos] == '0') {
		sc->pos++;
		if (sc->pos < sc->len && sc->s[sc->pos] >= '0' &&
		    sc->s[sc->pos] <= '9')
			bad = 1;	/* no leading zeros */
	} else if (scan_digits(sc) == -1)
		bad = 1;
	if (!bad && sc->pos < sc->len && sc->s[sc->pos] == '.') {
		sc->pos++;
		bad = scan_digits(sc) == -1;
	}
	if (!bad && sc->pos < sc->len && (sc->s[sc->pos] == 'e' ||
	    sc->s[sc->pos] == 'E')) {
		sc->pos++;
		if (sc->pos < sc->len && (sc->s[sc->pos] == '+' ||
		    sc->s[sc->pos] == '-'))
			sc->pos++;
		bad = scan_digits(sc) == -1;
	}
	/* "10ms" is one bad number, not a number and a stray word. */
	if (bad || (sc->pos < sc->len && is_word(sc->s[sc->pos])))
		return scan_fail(sc, start, 1, "invalid number");
	if (sc->pos - start > CONFIG_NUMBER_MAX)
		return scan_fail(sc, start, 0, "number longer than %d "
		    "characters", CONFIG_NUMBER_MAX);
	return 0;
}

static int scan_value(struct scan *, int);

static int
scan_object(struct scan *sc, int depth)
{
	size_t comma = 0;
	int first = 1;

	sc->pos++;			/* '{' */
	for (;;) {
		scan_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
			if (!first)
				return scan_fail(sc, comma, 0, "trailing comma "
				    "before '}'");
			sc->pos++;
			return 0;
		}
		if (sc->pos < sc->len && sc->s[sc->pos] == '\'')
			return scan_fail(sc, sc->pos, 0, "keys take double "
			    "quotes");
		if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
			return scan_fail(sc, sc->pos, 1, first ? "expected a "
			    "key in double quotes or '}'" : "expected a key "
			    "in double quotes");
		if (scan_string(sc) == -1)
			return -1;
		scan_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
			return scan_fail(sc, sc->pos, 1, "expected ':'");
		sc->pos++;
		if (scan_value(sc, depth) == -1)
			return -1;
		scan_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
			sc->pos++;
			return 0;
		}
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',')
			return scan_fail(sc, sc->pos, 1, "expected ',' or '}'");
		comma = sc->pos++;
		first = 0;
	}
}

static int
scan_array(struct scan *sc, int depth)
{
	size_t comma = 0;
	int first = 1;

	sc->pos++;			/* '[' */
	for (;;) {
		scan_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
			if (!first)
				return scan_fail(sc, comma, 0, "trailing comma "
				    "before ']'");
			sc->pos++;
			return 0;
		}
		if (scan_value(sc, depth) == -1)
			return -1;
		scan_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
			sc->pos++;
			return 0;
		}
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',')
			return scan_fail(sc, sc->pos, 1, "expected ',' or ']'");
		comma = sc->pos++;
		first = 0;
	}
}

static int
scan_literal(struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0 ||
	    (sc->pos + n < sc->len && is_word(sc->s[sc->pos + n])))
		return -1;
	sc->pos += n;
	return 0;
}

static int
scan_value(struct scan *sc, int depth)
{
	char c;

	scan_ws(sc);
	if (sc->pos >= sc->len)
		return scan_fail(sc, sc->pos, 0, "expected a value at end of "
		    "file");
	if (depth >= CONFIG_DEPTH_MAX)
		return scan_fail(sc, sc->pos, 0, "nested more than %d deep",
		    CONFIG_DEPTH_MAX);
	c = sc->s[sc->pos];
	if (c == '{')
		return scan_object(sc, depth + 1);
	if (c == '[')
		return scan_array(sc, depth + 1);
	if (c == '"')
		return scan_string(sc);
	if (c == '-' || (c >= '0' && c <= '9'))
		return scan_number(sc);
	if (scan_literal(sc, "true") == 0 || scan_literal(sc, "false") == 0 ||
	    scan_literal(sc, "null") == 0)
		return 0;
	if (c == '\'')
		return scan_fail(sc, sc->pos, 0, "strings take double quotes");
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return scan_fail(sc, sc->pos, 1, "expected a value (strings "
		    "take double quotes)");
	return scan_fail(sc, sc->pos, 1, "expected a value");
}

/* 0, or -1 with the first error in sc. */
static int
scan_document(struct scan *sc)
{
	if (sc->len >= 3 && memcmp(sc->s, "\xef\xbb\xbf", 3) == 0)
		sc->pos = 3;
	scan_ws(sc);
	if (sc->pos >= sc->len)		/* nothing but comments */
		return scan_fail(sc, 0, 0, "no JSON object");
	if (sc->s[sc->pos] != '{')
		return scan_fail(sc, sc->pos, 1, "expected '{'");
	if (scan_value(sc, 0) == -1)
		return -1;
	scan_ws(sc);
	if (sc->pos < sc->len)
		return scan_fail(sc, sc->pos, 1, "text after the closing '}'");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pass 3: values */

typedef void (*key_fn)(struct cparse *, const cJSON *, const char *path,
    void *dst);

struct key {
	const char *name;
	key_fn fn;
};

static size_t
edit_distance(const char *a, const char *b)
{
	size_t row[32], i, j, diag, up, la = strlen(a), lb = strlen(b);

	if (lb >= sizeof(row) / sizeof(row[0]) || la > 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

static void
unknown_key(struct cparse *cp, const char *path, const char *key,
    const struct key *keys, size_t nkeys)
{
	char k[CONFIG_TOKEN_SHOWN * 2 + 4];
	const char *best = NULL;
	size_t i, d, bestd = 3;

	/* A suggestion only for a near miss, not for any short word. */
	for (i = 0; i < nkeys; i++)
		if ((d = edit_distance(key, keys[i].name)) < bestd &&
		    d * 2 <= strlen(key)) {
			bestd = d;
			best = keys[i].name;
		}
	shown(k, sizeof(k), key, strlen(key), CONFIG_TOKEN_SHOWN * 2);
	if (best != NULL)
		errs_add(cp, "%s%s%s: unknown key (did you mean '%s'?)", path,
		    *path ? "." : "", k, best);
	else
		errs_add(cp, "%s%s%s: unknown key", path, *path ? "." : "", k);
}

/* Checks obj's keys against the table; returns the bitmask of those seen. */
static unsigned
walk_object(struct cparse *cp, const cJSON *obj, const char *path,
    const struct key *keys, size_t nkeys, void *dst)
{
	char sub[256], k[CONFIG_TOKEN_SHOWN + 4];
	const cJSON *it;
	unsigned seen = 0;
	size_t i;

	for (it = obj->child; it != NULL; it = it->next) {
		for (i = 0; i < nkeys; i++)
			if (strcmp(it->string, keys[i].name) == 0)
				break;
		if (i == nkeys) {
			unknown_key(cp, path, it->string, keys, nkeys);
			continue;
		}
		if (seen & (1u << i)) {
			shown(k, sizeof(k), it->string, strlen(it->string),
			    CONFIG_TOKEN_SHOWN);
			if (*path)
				errs_add(cp, "%s: key '%s' given twice", path,
				    k);
			else
				errs_add(cp, "key '%s' given twice", k);
			continue;
		}
		seen |= 1u << i;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
		    keys[i].name);
		keys[i].fn(cp, it, sub, dst);
	}
	return seen;
}

/* An integer in [lo, hi]: 1.0 is one, 1.5 is not. 0, or -1 (reported). */
static int
get_int(struct cparse *cp, const cJSON *v, const char *path, double lo,
    double hi, long long *out)
{
	double d = cJSON_IsNumber(v) ? v->valuedouble : lo - 1;

	if (!(d >= lo && d <= hi) || (double)(long long)d != d) {
		errs_add(cp, "%s: expected an integer from %.0f to %.0f",
		    path, lo, hi);
		return -1;
	}
	*out = (long long)d;
	return 0;
}

static int
get_bool(struct cparse *cp, const cJSON *v, const char *path, int *out)
{
	if (!cJSON_IsBool(v)) {
		errs_add(cp, "%s: expected true or false", path);
		return -1;
	}
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return 0;
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* A non-empty string without control characters, copied. */
static int
get_string(struct cparse *cp, const cJSON *v, const char *path, char **out)
{
	if (!cJSON_IsString(v) || *v->valuestring == '\0') {
		errs_add(cp, "%s: expected a non-empty string", path);
		return -1;
	}
	if (has_control(v->valuestring)) {
		errs_add(cp, "%s: control characters are not allowed", path);
		return -1;
	}
	if ((*out = strdup(v->valuestring)) == NULL) {
		errs_add(cp, "out of memory");
		return -1;
	}
	return 0;
}

static void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* An array of non-empty strings (globs, names). */
static void
get_strlist(struct cparse *cp, const cJSON *v, const char *path,
    struct strlist *out)
{
	char sub[280];
	const cJSON *it;
	size_t i, n;

	if (!cJSON_IsArray(v)) {
		errs_add(cp, "%s: expected an array of strings", path);
		return;
	}
	if ((n = (size_t)cJSON_GetArraySize(v)) == 0)
		return;
	if ((out->v = calloc(n, sizeof(*out->v))) == NULL) {
		errs_add(cp, "out of memory");
		return;
	}
	out->n = n;
	i = 0;
	cJSON_ArrayForEach(it, v) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		(void)get_string(cp, it, sub, &out->v[i]);
		i++;
	}
}

/* Top-level numbers. */

static void
key_interval(struct cparse *cp, const cJSON *v, const char *path, void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 100, 3600000, &n) == 0) {
		c->interval_ms = (uint32_t)n;
		c->set |= CONFIG_SET_INTERVAL;
	}
}

static void
key_resync(struct cparse *cp, const cJSON *v, const char *path, void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 0, 86400, &n) == 0) {
		c->resync_ms = (uint32_t)n * 1000;
		c->set |= CONFIG_SET_RESYNC;
	}
}

static void
key_history(struct cparse *cp, const cJSON *v, const char *path, void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 1, 1000000, &n) == 0) {
		c->history = (size_t)n;
		c->set |= CONFIG_SET_HISTORY;
	}
}

static void
key_max_clients(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 1, 1000000, &n) == 0) {
		c->max_clients = (size_t)n;
		c->set |= CONFIG_SET_MAX_CLIENTS;
	}
}

/* The limits on what one user may make portd hold or do. */
static void
key_max_clients_per_uid(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 1, 1000000, &n) == 0) {
		c->max_clients_per_uid = (size_t)n;
		c->set |= CONFIG_SET_CLIENT_LIMITS;
	}
}

static void
key_idle_timeout(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 0, 86400000, &n) == 0) {
		c->idle_timeout_ms = (uint32_t)n;
		c->set |= CONFIG_SET_IDLE_TIMEOUT;
	}
}

static void
key_max_kill_jobs(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 1, 100000, &n) == 0) {
		c->max_kill_jobs = (size_t)n;
		c->set |= CONFIG_SET_KILL_JOBS;
	}
}

static void
key_max_kill_timeout(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 0, 3600000, &n) == 0) {
		c->max_kill_timeout_ms = (uint32_t)n;
		c->set |= CONFIG_SET_KILL_TIMEOUT;
	}
}

static void
key_watch_buffer(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 1024, 1073741824, &n) == 0) {
		c->watch_buffer = (size_t)n;
		c->set |= CONFIG_SET_WATCH_BUFFER;
	}
}

static void
key_log_level(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	int level;

	if (!cJSON_IsString(v) ||
	    (level = log_level_parse(v->valuestring)) == -1) {
		errs_add(cp, "%s: expected one of error, warning, notice, "
		    "info, debug", path);
		return;
	}
	c->log_level = level;
	c->set |= CONFIG_SET_LOG_LEVEL;
}

static void
key_respawn_limit(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 1, 1000, &n) == 0)
		c->respawn_limit = (unsigned)n;
}

static void
key_respawn_window(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	long long n;

	if (get_int(cp, v, path, 1, 86400, &n) == 0)
		c->respawn_window_s = (unsigned)n;
}

/* socket { path, mode, group } */

static void
key_socket_path(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	size_t n;

	if (!cJSON_IsString(v) || v->valuestring[0] != '/') {
		errs_add(cp, "%s: expected an absolute path", path);
		return;
	}
	if ((n = strlen(v->valuestring)) >= CONFIG_SOCKET_MAX) {
		errs_add(cp, "%s: %zu bytes long; a socket path must be "
		    "shorter than %d bytes", path, n, CONFIG_SOCKET_MAX);
		return;
	}
	(void)get_string(cp, v, path, &c->socket_path);
}

static void
key_socket_mode(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;
	unsigned mode = 0;
	const char *s;

	if (!cJSON_IsString(v) || *(s = v->valuestring) == '\0')
		goto bad;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			goto bad;
		mode = mode * 8 + (unsigned)(*s - '0');
		if (mode > 0777)
			goto bad;
	}
	c->socket_mode = mode;
	return;
bad:
	errs_add(cp, "%s: expected permissions in octal from \"0000\" to "
	    "\"0777\", like \"0660\"", path);
}

static void
key_socket_group(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;

	(void)get_string(cp, v, path, &c->socket_group);
}

static const struct key socket_keys[] = {
	{ "path", key_socket_path },
	{ "mode", key_socket_mode },
	{ "group", key_socket_group },
};

static void
key_socket(struct cparse *cp, const cJSON *v, const char *path, void *dst)
{
	struct config *c = dst;

	if (!cJSON_IsObject(v)) {
		errs_add(cp, "%s: expected an object", path);
		return;
	}
	c->set |= CONFIG_SET_SOCKET;
	(void)walk_object(cp, v, path, socket_keys,
	    sizeof(socket_keys) / sizeof(socket_keys[0]), c);
}

/* An array of uids (rules[i].allow.uids, protect.uids). */
static void
get_uids(struct cparse *cp, const cJSON *v, const char *path, uint32_t **out,
    size_t *nout)
{
	char sub[280];
	const cJSON *it;
	long long uid;
	size_t i, n;

	if (!cJSON_IsArray(v)) {
		errs_add(cp, "%s: expected an array of integers", path);
		return;
	}
	if ((n = (size_t)cJSON_GetArraySize(v)) == 0)
		return;
	if ((*out = calloc(n, sizeof(**out))) == NULL) {
		errs_add(cp, "out of memory");
		return;
	}
	*nout = n;
	i = 0;
	cJSON_ArrayForEach(it, v) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		/* (uid_t)-1 means "no uid" to the kernel; never a user. */
		if (get_int(cp, it, sub, 0, 4294967294.0, &uid) == 0)
			(*out)[i] = (uint32_t)uid;
		i++;
	}
}

/* protect { commands, users, uids, exes } */

static void
key_protect_commands(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	get_strlist(cp, v, path, &((struct config *)dst)->protect_commands);
}

static void
key_protect_users(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	get_strlist(cp, v, path, &((struct config *)dst)->protect_users);
}

static void
key_protect_uids(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct config *c = dst;

	get_uids(cp, v, path, &c->protect_uids, &c->nprotect_uids);
}

static void
key_protect_exes(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	get_strlist(cp, v, path, &((struct config *)dst)->protect_exes);
}

static const struct key protect_keys[] = {
	{ "commands", key_protect_commands },
	{ "users", key_protect_users },
	{ "uids", key_protect_uids },
	{ "exes", key_protect_exes },
};

static void
key_protect(struct cparse *cp, const cJSON *v, const char *path, void *dst)
{
	struct config *c = dst;

	if (!cJSON_IsObject(v)) {
		errs_add(cp, "%s: expected an object", path);
		return;
	}
	(void)walk_object(cp, v, path, protect_keys,
	    sizeof(protect_keys) / sizeof(protect_keys[0]), dst);
	/* Any process can call itself "sshd": a name alone would shield
	 * whoever picks it from every rule. */
	if (c->protect_commands.n > 0 && c->protect_users.n == 0 &&
	    c->nprotect_uids == 0 && c->protect_exes.n == 0)
		errs_add(cp, "%s.commands: a command name alone protects "
		    "nothing (any process can call itself \"sshd\"); add "
		    "%s.uids, %s.users or %s.exes, e.g. \"uids\": [0]", path,
		    path, path, path);
}

/* rules[i].allow { users, uids, commands, exes } */

static void
key_allow_users(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	get_strlist(cp, v, path, &((struct rule *)dst)->allow_users);
}

static void
key_allow_commands(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	get_strlist(cp, v, path, &((struct rule *)dst)->allow_commands);
}

static void
key_allow_exes(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	get_strlist(cp, v, path, &((struct rule *)dst)->allow_exes);
}

static void
key_allow_uids(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct rule *r = dst;

	get_uids(cp, v, path, &r->allow_uids, &r->nallow_uids);
}

static const struct key allow_keys[] = {
	{ "users", key_allow_users },
	{ "uids", key_allow_uids },
	{ "commands", key_allow_commands },
	{ "exes", key_allow_exes },
};

/* rules[i] */

static void
key_rule_name(struct cparse *cp, const cJSON *v, const char *path, void *dst)
{
	struct rule *r = dst;
	char shown_name[CONFIG_NAME_MAX + 4];
	size_t i, n;

	if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) == 0 ||
	    n >= CONFIG_NAME_MAX) {
		errs_add(cp, "%s: expected a string of 1 to %d bytes", path,
		    CONFIG_NAME_MAX - 1);
		return;
	}
	if (has_control(v->valuestring)) {
		errs_add(cp, "%s: control characters are not allowed", path);
		return;
	}
	for (i = 0; i < cp->rule; i++)
		if (strcmp(cp->cfg->rules[i].name, v->valuestring) == 0) {
			shown(shown_name, sizeof(shown_name), v->valuestring,
			    n, CONFIG_NAME_MAX);
			errs_add(cp, "%s: duplicate rule name '%s' (also "
			    "rules[%zu])", path, shown_name, i);
			return;
		}
	memcpy(r->name, v->valuestring, n + 1);
}

static void
key_rule_ports(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct rule *r = dst;
	struct portspec ps;
	char sub[280], err[256];
	const cJSON *it;
	size_t i, n;

	if (!cJSON_IsArray(v) || (n = (size_t)cJSON_GetArraySize(v)) == 0) {
		errs_add(cp, "%s: expected a non-empty array of port "
		    "specifications", path);
		return;
	}
	if (n > FILTER_MAX_SPECS) {
		errs_add(cp, "%s: %zu port specifications; at most %d", path,
		    n, FILTER_MAX_SPECS);
		return;
	}
	if ((r->ports_text.v = calloc(n, sizeof(char *))) == NULL) {
		errs_add(cp, "out of memory");
		return;
	}
	r->ports_text.n = n;
	i = 0;
	cJSON_ArrayForEach(it, v) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!cJSON_IsString(it))
			errs_add(cp, "%s: expected a string like \"5432\", "
			    "\"53/udp\" or \"8000-8100/tcp\"", sub);
		else if (portspec_parse(it->valuestring, cp->lookup, &ps, err,
		    sizeof(err)) == -1)
			errs_add(cp, "%s: %s", sub, err);
		else if (get_string(cp, it, sub, &r->ports_text.v[i]) == 0)
			(void)filter_add(&r->ports, &ps);	/* n fits */
		i++;
	}
}

static void
key_rule_allow(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	if (!cJSON_IsObject(v)) {
		errs_add(cp, "%s: expected an object", path);
		return;
	}
	(void)walk_object(cp, v, path, allow_keys,
	    sizeof(allow_keys) / sizeof(allow_keys[0]), dst);
}

static void
key_rule_action(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct rule *r = dst;
	int a;

	if (cJSON_IsString(v))
		for (a = RULE_LOG; a <= RULE_KILL; a++)
			if (strcmp(v->valuestring, rule_action_name(a)) == 0) {
				r->action = a;
				return;
			}
	errs_add(cp, "%s: expected one of log, terminate, kill", path);
}

static void
key_rule_grace(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	struct rule *r = dst;
	long long n;

	if (get_int(cp, v, path, 0, 600000, &n) == 0)
		r->grace_ms = (uint32_t)n;
}

static void
key_rule_dry_run(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	(void)get_bool(cp, v, path, &((struct rule *)dst)->dry_run);
}

static void
key_rule_enabled(struct cparse *cp, const cJSON *v, const char *path,
    void *dst)
{
	(void)get_bool(cp, v, path, &((struct rule *)dst)->enabled);
}

/* The order of the first two is known to key_rules. */
static const struct key rule_keys[] = {
	{ "name", key_rule_name },
	{ "ports", key_rule_ports },
	{ "allow", key_rule_allow },
	{ "action", key_rule_action },
	{ "grace_ms", key_rule_grace },
	{ "dry_run", key_rule_dry_run },
	{ "enabled", key_rule_enabled },
};

static void
rule_init(struct rule *r)
{
	memset(r, 0, sizeof(*r));
	filter_init(&r->ports);
	r->action = RULE_LOG;
	r->grace_ms = 3000;
	r->enabled = 1;
}

static void
rule_free(struct rule *r)
{
	strlist_free(&r->ports_text);
	strlist_free(&r->allow_users);
	strlist_free(&r->allow_commands);
	strlist_free(&r->allow_exes);
	free(r->allow_uids);
	r->allow_uids = NULL;
	r->nallow_uids = 0;
}

static void
key_rules(struct cparse *cp, const cJSON *v, const char *path, void *dst)
{
	struct config *c = dst;
	char sub[64];
	const cJSON *it;
	unsigned seen;
	size_t n;

	if (!cJSON_IsArray(v)) {
		errs_add(cp, "%s: expected an array of rules", path);
		return;
	}
	if ((n = (size_t)cJSON_GetArraySize(v)) == 0)
		return;
	if ((c->rules = calloc(n, sizeof(*c->rules))) == NULL) {
		errs_add(cp, "out of memory");
		return;
	}
	c->nrules = n;
	cp->rule = 0;
	cJSON_ArrayForEach(it, v) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, cp->rule);
		rule_init(&c->rules[cp->rule]);
		if (!cJSON_IsObject(it))
			errs_add(cp, "%s: expected an object", sub);
		else {
			seen = walk_object(cp, it, sub, rule_keys,
			    sizeof(rule_keys) / sizeof(rule_keys[0]),
			    &c->rules[cp->rule]);
			if (!(seen & 1))
				errs_add(cp, "%s: missing 'name'", sub);
			if (!(seen & 2))
				errs_add(cp, "%s: missing 'ports'", sub);
		}
		cp->rule++;
	}
}

static const struct key top_keys[] = {
	{ "interval_ms", key_interval },
	{ "resync_s", key_resync },
	{ "socket", key_socket },
	{ "history", key_history },
	{ "max_clients", key_max_clients },
	{ "max_clients_per_uid", key_max_clients_per_uid },
	{ "idle_timeout_ms", key_idle_timeout },
	{ "max_kill_jobs", key_max_kill_jobs },
	{ "max_kill_timeout_ms", key_max_kill_timeout },
	{ "watch_buffer", key_watch_buffer },
	{ "log_level", key_log_level },
	{ "respawn_limit", key_respawn_limit },
	{ "respawn_window_s", key_respawn_window },
	{ "protect", key_protect },
	{ "rules", key_rules },
};

/* ------------------------------------------------------------------ */
/* The interface */

void
config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ms = 1000;
	c->resync_ms = 300000;
	c->socket_mode = 0666;
	c->history = 1024;
	c->max_clients = 256;
	c->max_clients_per_uid = 32;
	c->idle_timeout_ms = 60000;
	c->max_kill_jobs = 4;
	c->max_kill_timeout_ms = 60000;
	c->watch_buffer = 1024 * 1024;
	c->log_level = LOG_LVL_INFO;
	c->respawn_limit = 5;
	c->respawn_window_s = 60;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->socket_path);
	free(c->socket_group);
	strlist_free(&c->protect_commands);
	strlist_free(&c->protect_users);
	strlist_free(&c->protect_exes);
	free(c->protect_uids);
	for (i = 0; i < c->nrules; i++)
		rule_free(&c->rules[i]);
	free(c->rules);
	memset(c, 0, sizeof(*c));
}

void
config_errors_free(struct config_errors *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

const char *
rule_action_name(int action)
{
	switch (action) {
	case RULE_LOG:
		return "log";
	case RULE_TERMINATE:
		return "terminate";
	case RULE_KILL:
		return "kill";
	default:
		return "unknown";
	}
}

int
config_parse(const char *text, size_t len, const char *name,
    portspec_lookup_fn lookup, struct config *out,
    struct config_errors *errs)
{
	struct config_errors ignored = { NULL, 0 };
	struct cparse cp;
	struct scan sc;
	char *s;
	cJSON *root;

	config_init(out);
	memset(&cp, 0, sizeof(cp));
	cp.name = name != NULL ? name : "(config)";
	cp.lookup = lookup;
	cp.errs = errs != NULL ? errs : &ignored;
	cp.cfg = out;
	if (text == NULL || len == 0) {
		text = "";
		len = 0;
	}
	if ((s = strip_comments(&cp, text, len)) == NULL)
		goto fail;
	memset(&sc, 0, sizeof(sc));
	sc.s = s;
	sc.len = len;
	if (scan_document(&sc) == -1) {
		/* Columns from the file: a comment's bytes are all spaces. */
		syntax_error(&cp, text, len, sc.errpos, "%s", sc.err);
		free(s);
		goto fail;
	}
	/* The scanner is stricter than cJSON: only memory fails here. */
	if ((root = cJSON_ParseWithLengthOpts(s, len, NULL, 0)) == NULL) {
		errs_add(&cp, "out of memory while parsing");
		free(s);
		goto fail;
	}
	free(s);
	(void)walk_object(&cp, root, "", top_keys,
	    sizeof(top_keys) / sizeof(top_keys[0]), out);
	cJSON_Delete(root);
	if (!cp.failed)
		return 0;
fail:
	config_errors_free(&ignored);
	config_free(out);
	config_init(out);
	return -1;
}

int
config_load(const char *path, struct config *out,
    struct config_errors *errs)
{
	struct config_errors ignored = { NULL, 0 };
	struct cparse cp;
	char *buf = NULL;
	size_t len = 0, n;
	struct stat st;
	FILE *fp = NULL;
	int ret = -1;

	config_init(out);
	memset(&cp, 0, sizeof(cp));
	cp.name = path;
	cp.errs = errs != NULL ? errs : &ignored;
	/* Said the same everywhere (Windows refuses to open a directory
	 * with "Permission denied"). */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errs_add(&cp, "%s", strerror(EISDIR));
		goto done;
	}
	if ((fp = fopen(path, "rb")) == NULL) {
		errs_add(&cp, "%s", strerror(errno));
		goto done;
	}
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		errs_add(&cp, "out of memory");
		goto done;
	}
	/* One byte more than the limit tells a full file from a big one. */
	while ((n = fread(buf + len, 1, CONFIG_FILE_MAX + 1 - len, fp)) > 0)
		if ((len += n) > CONFIG_FILE_MAX)
			break;
	if (ferror(fp))
		errs_add(&cp, "%s", strerror(errno != 0 ? errno : EIO));
	else if (len > CONFIG_FILE_MAX)
		errs_add(&cp, "larger than %d bytes", CONFIG_FILE_MAX);
	else
		ret = config_parse(buf, len, path, portspec_lookup_services,
		    out, errs);
done:
	if (fp != NULL)
		fclose(fp);
	free(buf);
	config_errors_free(&ignored);
	return ret;
}
