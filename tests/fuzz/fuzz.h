/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share: the entry
 * point's prototype (libFuzzer declares none), an invariant check that
 * aborts (libFuzzer reports an abort as a crash, with the input saved),
 * and a cursor that takes fixed-size fields off the input.
 *
 * Built only by `make fuzz-build` (clang -fsanitize=fuzzer,address,
 * undefined). Each target's top comment says how its input is laid out;
 * tests/fuzz/seeds.py builds its seeds from tests/fixtures in that
 * layout, and tests/fuzz/run.sh runs it.
 */
#ifndef PORTD_FUZZ_H
#define PORTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which, then crash so the input is kept. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* Takes n bytes off the front of the input; zeros once it runs out, so
 * a short input still makes a whole (zero-padded) record. */
struct fuzz_cursor {
	const uint8_t *p;
	size_t left;
};

static inline void
fuzz_take(struct fuzz_cursor *c, void *out, size_t n)
{
	size_t k = n < c->left ? n : c->left;

	if (k > 0)
		memcpy(out, c->p, k);
	memset((uint8_t *)out + k, 0, n - k);
	c->p += k;
	c->left -= k;
}

/* The input as a NUL-terminated string the target owns (the parsers
 * under test take C strings or expect a terminator past len). */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * What every decoder promises of a row it passes on (snapshot.h): a
 * known protocol, family and state, v6only in range and 0 for IPv4, a
 * scope only on IPv6. want_proto/want_family: what the caller asked for
 * (0: any).
 */
#ifdef PORTD_SNAPSHOT_H
static inline void
fuzz_check_sock(const struct sock_info *si, int want_proto, int want_family)
{
	char addr[64];

	FUZZ_CHECK(si->proto == PD_TCP || si->proto == PD_UDP);
	FUZZ_CHECK(si->family == PD_INET || si->family == PD_INET6);
	FUZZ_CHECK(si->state == PD_LISTEN || si->state == PD_BOUND);
	FUZZ_CHECK(si->v6only >= -1 && si->v6only <= 1);
	FUZZ_CHECK(si->family == PD_INET6 || si->v6only == 0);
	FUZZ_CHECK((si->proto == PD_TCP) == (si->state == PD_LISTEN));
	/* A scope only where it names a link: fe80::/10, and the
	 * interface- and link-local multicast ff01::/16, ff02::/16 (KAME
	 * embeds it in both). */
	FUZZ_CHECK(si->scope_id == 0 || (si->family == PD_INET6 &&
	    ((si->addr[0] == 0xfe && (si->addr[1] & 0xc0) == 0x80) ||
	    (si->addr[0] == 0xff && ((si->addr[1] & 0x0f) == 0x01 ||
	    (si->addr[1] & 0x0f) == 0x02)))));
	FUZZ_CHECK(want_proto == 0 || si->proto == want_proto);
	FUZZ_CHECK(want_family == 0 || si->family == want_family);
	sock_addr_text(si, addr, sizeof(addr));
	FUZZ_CHECK(strlen(addr) < sizeof(addr));
}
#endif

#endif
