/*
 * strvis.c - see strvis.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "strvis.h"

size_t
strvis_utf8_seq(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	/* RFC 3629's table: the second byte's range depends on the first. */
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int
strvis_utf8_valid(const char *s, size_t n)
{
	size_t k;

	while (n > 0) {
		if ((k = strvis_utf8_seq(s, n)) == 0)
			return 0;
		s += k;
		n -= k;
	}
	return 1;
}

static uint32_t
code_point(const unsigned char *s, size_t len)
{
	switch (len) {
	case 2:
		return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	case 3:
		return (uint32_t)(s[0] & 0x0f) << 12 |
		    (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	case 4:
		return (uint32_t)(s[0] & 0x07) << 18 |
		    (uint32_t)(s[1] & 0x3f) << 12 |
		    (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	}
	return s[0];
}

/* C1 controls (U+009B is CSI to some terminals), line and paragraph
 * separators (a new line to some log viewers), bidirectional embeddings,
 * overrides and isolates (they reorder what follows on the line). */
static int
invisible(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

char *
strvis(char *dst, size_t dstlen, const char *src)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	size_t n = strlen((const char *)s), o = 0, k;
	char esc[16];
	uint32_t c;

	while (n > 0) {
		k = strvis_utf8_seq((const char *)s, n);
		if (k == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", *s);
			k = 1;
		} else if (k == 1 && (*s < 0x20 || *s == 0x7f)) {
			if (*s == '\n')
				snprintf(esc, sizeof(esc), "\\n");
			else if (*s == '\r')
				snprintf(esc, sizeof(esc), "\\r");
			else if (*s == '\t')
				snprintf(esc, sizeof(esc), "\\t");
			else
				snprintf(esc, sizeof(esc), "\\x%02x", *s);
		} else if (k > 1 && invisible(c = code_point(s, k)))
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)c);
		else {
			memcpy(esc, s, k);
			esc[k] = '\0';
		}
		if (o + strlen(esc) + 1 > dstlen)
			break;
		memcpy(dst + o, esc, strlen(esc));
		o += strlen(esc);
		s += k;
		n -= k;
	}
	dst[o] = '\0';
	return dst;
}
