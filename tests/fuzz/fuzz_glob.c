/*
 * fuzz_glob.c - glob_match, which compares the rules' allow and protect
 * patterns (portd.conf) with command names and paths that any user
 * chooses for their own processes.
 *
 * Input: one flags byte (its low three bits: GLOB_PATHNAME,
 * GLOB_CASEFOLD, GLOB_BACKSLASH), then the pattern, a NUL, and the
 * string. Seeds: the patterns and names of tests/fixtures/config's rules
 * (tests/fuzz/seeds.py).
 *
 * Invariants: a pattern without special characters matches exactly
 * itself; a "*" matches anything without flags; the result is 0 or 1.
 */
#include "glob.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *pattern, *s;
	int flags, r;

	if (size < 1)
		return 0;
	flags = data[0] & (GLOB_PATHNAME | GLOB_CASEFOLD | GLOB_BACKSLASH);
	buf = fuzz_strdup(data + 1, size - 1);
	pattern = buf;
	s = pattern + strlen(pattern);
	if ((size_t)(s - buf) < size - 1)
		s++;			/* past the NUL: the string */
	r = glob_match(pattern, s, flags);
	FUZZ_CHECK(r == 0 || r == 1);
	if (strpbrk(s, "*?[\\") == NULL)
		FUZZ_CHECK(glob_match(s, s, flags & ~GLOB_BACKSLASH) == 1);
	if (!(flags & GLOB_PATHNAME))
		FUZZ_CHECK(glob_match("*", s, flags) == 1);
	free(buf);
	return 0;
}
