/*
 * log.h - logging to stderr, one line per message. Under systemd
 * (JOURNAL_STREAM set) every line starts with its syslog priority, "<6>",
 * so that journalctl -p works; otherwise with "portd: " and the level.
 * Every message is escaped with strvis() (strvis.h) before it is written:
 * control characters and invalid UTF-8 in an argument never reach the
 * log as they are.
 *
 * log_warn appends strerror(errno); log_warnx does not. log_errx is for
 * an error the caller then acts on (portd refusing to start); fatal and
 * fatalx are for broken invariants only: they log and exit(1).
 */
#ifndef PORTD_LOG_H
#define PORTD_LOG_H

#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_NOTICE = 5,
    LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void	log_init(const char *progname, int level);
/*
 * Lines go to fp (opened for appending, kept open) instead of stderr, each
 * with its UTC time: for a service with no console or journal (Windows).
 */
void	log_to_file(FILE *fp);
void	log_set_level(int level);
int	log_get_level(void);
/* "error", "warning", "notice", "info", "debug" -> level; -1 if unknown. */
int	log_level_parse(const char *);
const char *log_level_name(int level);

void	log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * A message any local user can cause (a refused client, a denied kill):
 * one line per window at most, for all of its kind, so that a flood of
 * requests is never a flood of lines. The first line of a window is
 * written with a count of those left out since the last one written
 * ("... (and 12 more like it in the last 10 s)"). A struct log_limit per
 * kind, zeroed; now and window in ms (any monotonic clock). Returns 1 if
 * the line was written (or would be at a lower level), 0 if counted.
 */
struct log_limit {
	uint64_t logged;	/* when the last line was written, 0: never */
	unsigned long unlogged;	/* left out since */
};
int	log_limited(struct log_limit *, uint64_t now, uint64_t window,
	    int level, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));

#endif
