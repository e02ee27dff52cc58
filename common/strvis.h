/*
 * strvis.h - text from outside (process names, paths, user names, rule
 * names) made safe for a terminal and for a log line, in the spirit of
 * OpenBSD's strvis(3); and the UTF-8 check the wire uses.
 *
 * A process can name itself anything: "x\n<0>FORGED" would forge a log
 * line with a syslog priority, "\e]0;PWNED\a" retitle the admin's
 * terminal. strvis() writes control characters (C0, DEL, C1), the
 * Unicode line separators and bidirectional overrides, and bytes that
 * are not valid UTF-8 as visible escapes; everything else, valid UTF-8
 * included, is copied as it is. A backslash is not doubled (as ps(1)
 * does with VIS_NOSLASH): the text is for people; the exact bytes are in
 * the JSON output.
 */
#ifndef PORTD_STRVIS_H
#define PORTD_STRVIS_H

#include <stddef.h>

/* Room for n source bytes escaped, plus the NUL: an escape is at most
 * four bytes per source byte ("\x1b", "\u202e" for three). */
#define STRVIS_LEN(n)	((n) * 4 + 1)

/*
 * Writes src escaped into dst (dstlen > 0) and returns dst. With dstlen
 * >= STRVIS_LEN(strlen(src)) nothing is lost; a smaller dst ends at a
 * whole character or escape, never inside one. src NULL is "".
 */
char	*strvis(char *dst, size_t dstlen, const char *src);

/* Length (1-4) of the well-formed UTF-8 sequence that starts s (n bytes
 * available), or 0 if it is not one (overlong, surrogate, > U+10FFFF,
 * stray continuation, cut short). */
size_t	 strvis_utf8_seq(const char *s, size_t n);
/* True if the n bytes of s are all well-formed UTF-8. */
int	 strvis_utf8_valid(const char *s, size_t n);

#endif
