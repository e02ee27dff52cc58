/*
 * glob.c - pattern matching (see glob.h). Iterative with one backtrack
 * point per '*', so a pattern cannot make it take exponential time.
 */
#include <ctype.h>
#include <stddef.h>

#include "glob.h"

static int
fold(int c, int flags)
{
	return (flags & GLOB_CASEFOLD) ? tolower((unsigned char)c) :
	    (unsigned char)c;
}

/* Whether '\\' escapes the next character (not with GLOB_BACKSLASH). */
static int
escapes(const char *p, int flags)
{
	return *p == '\\' && p[1] != '\0' && !(flags & GLOB_BACKSLASH);
}

/* A character wildcards do not match under GLOB_PATHNAME. */
static int
separator(int c, int flags)
{
	return (flags & GLOB_PATHNAME) &&
	    (c == '/' || (c == '\\' && (flags & GLOB_BACKSLASH)));
}

/*
 * Matches one character against the bracket expression at *pp (just after
 * '['); advances *pp past ']'. Returns 1 match, 0 no match, -1 malformed.
 */
static int
bracket(const char **pp, int c, int flags)
{
	const char *p = *pp;
	int negate = 0, match = 0, lo, hi;

	if (*p == '!' || *p == '^') {
		negate = 1;
		p++;
	}
	/* A ']' first is an ordinary character. */
	if (*p == ']') {
		match |= fold(']', flags) == fold(c, flags);
		p++;
	}
	while (*p != ']') {
		if (*p == '\0')
			return -1;
		if (escapes(p, flags))
			p++;
		lo = fold(*p++, flags);
		hi = lo;
		if (*p == '-' && p[1] != ']' && p[1] != '\0') {
			p++;
			if (escapes(p, flags))
				p++;
			hi = fold(*p++, flags);
		}
		if (lo <= fold(c, flags) && fold(c, flags) <= hi)
			match = 1;
	}
	*pp = p + 1;
	if (separator(c, flags))
		return 0;
	return match != negate;
}

int
glob_match(const char *pattern, const char *s, int flags)
{
	const char *p = pattern, *star_p = NULL, *star_s = NULL;
	int r;

	if (p == NULL || s == NULL)
		return 0;
	for (;;) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*s == '\0') {
			if (*p == '\0')
				return 1;
			goto backtrack;
		}
		if (*p == '?') {
			if (separator(*s, flags))
				goto backtrack;
			p++;
			s++;
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;

			if ((r = bracket(&q, *s, flags)) == -1)
				return 0;
			if (r == 0)
				goto backtrack;
			p = q;
			s++;
			continue;
		}
		if (escapes(p, flags))
			p++;
		if (*p != '\0' && fold(*p, flags) == fold(*s, flags)) {
			p++;
			s++;
			continue;
		}
backtrack:
		/* Let the last '*' eat one more character and retry. */
		if (star_p == NULL || *star_s == '\0' ||
		    separator(*star_s, flags))
			return 0;
		star_s++;
		p = star_p;
		s = star_s;
	}
}
