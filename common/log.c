/*
 * log.c - see log.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strvis.h"

static const char *log_prog = "portd";
static int log_level = LOG_LVL_INFO;
static int log_journal;
static FILE *log_fp;		/* NULL: stderr */

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warning",
	[LOG_LVL_NOTICE] = "notice", [LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * to stderr; only if stderr is still that stream (not redirected to a
 * file by a script) do lines get priority prefixes.
 */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, int level)
{
	log_prog = progname;
	log_level = level;
	log_journal = stderr_is_journal();
}

void
log_to_file(FILE *fp)
{
	log_fp = fp;
	log_journal = 0;
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s)
{
	int i;

	for (i = LOG_LVL_ERR; i <= LOG_LVL_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < LOG_LVL_ERR || level > LOG_LVL_DEBUG)
		return "unknown";
	return level_names[level];
}

static void vlog(int, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
vlog(int level, const char *errstr, const char *fmt, va_list ap)
{
	char raw[2048], msg[STRVIS_LEN(sizeof(raw))];

	if (level > log_level)
		return;
	/*
	 * Arguments carry names any local user sets (process names, paths,
	 * rule and user names): the whole line is escaped, here once rather
	 * than at each of the calls, so that no call can forget it and a
	 * name can never start a line of its own ("x\n<0>FORGED") or reach
	 * a terminal's escape sequences. Our formats hold no control
	 * characters, so nothing of ours is changed.
	 */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	strvis(msg, sizeof(msg), raw);
	if (log_fp != NULL) {
		time_t now = time(NULL);
		struct tm tm;
		char when[32] = "";

		if (gmtime_r(&now, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(log_fp, "%s %s%s%s%s%s\n", when,
		    level <= LOG_LVL_WARN ? level_names[level] : "",
		    level <= LOG_LVL_WARN ? ": " : "", msg,
		    errstr ? ": " : "", errstr ? errstr : "");
		fflush(log_fp);
	} else if (log_journal)
		fprintf(stderr, "<%d>%s%s%s\n", level, msg,
		    errstr ? ": " : "", errstr ? errstr : "");
	else
		fprintf(stderr, "%s: %s%s%s%s%s\n", log_prog,
		    level <= LOG_LVL_WARN ? level_names[level] : "",
		    level <= LOG_LVL_WARN ? ": " : "", msg,
		    errstr ? ": " : "", errstr ? errstr : "");
	fflush(stderr);
}

#define LOG_FN(name, level)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	vlog(level, NULL, fmt, ap);					\
	va_end(ap);							\
}
static void log_at(int, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
log_at(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

LOG_FN(log_errx, LOG_LVL_ERR)
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_notice, LOG_LVL_NOTICE)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

int
log_limited(struct log_limit *ll, uint64_t now, uint64_t window, int level,
    const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	if (ll->logged != 0 && now < ll->logged + window) {
		ll->unlogged++;
		return 0;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ll->unlogged > 0)
		log_at(level, "%s (and %lu more like it in the last %llu s)",
		    msg, ll->unlogged,
		    (unsigned long long)(now > ll->logged ?
		    (now - ll->logged) / 1000 : 0));
	else
		log_at(level, "%s", msg);
	/* 0 means never: a clock starting at 0 still limits. */
	ll->logged = now != 0 ? now : 1;
	ll->unlogged = 0;
	return 1;
}

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, e, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
