/*
 * glob.h - shell-style pattern matching for rules (users, commands, exes):
 * '*', '?', '[abc]', '[a-z]', '[!a]' and '\' escapes, like fnmatch(3),
 * but portable (Windows has no fnmatch) and with a case-insensitive mode
 * for systems whose names are (Windows account and file names). Pure.
 */
#ifndef PORTD_GLOB_H
#define PORTD_GLOB_H

enum {
	GLOB_PATHNAME = 0x01,	/* wildcards do not match '/' */
	GLOB_CASEFOLD = 0x02,	/* ASCII letters match either case */
	GLOB_BACKSLASH = 0x04,	/* Windows: '\\' is an ordinary character, not
				 * an escape, and with GLOB_PATHNAME a
				 * separator like '/' */
};

/* 1 if s matches pattern, else 0 (also for a malformed pattern). */
int	glob_match(const char *pattern, const char *s, int flags);

#endif
