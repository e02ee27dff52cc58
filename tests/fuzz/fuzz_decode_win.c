/*
 * fuzz_decode_win.c - the decoder of iphlpapi's tables
 * (GetExtendedTcpTable / GetExtendedUdpTable as they fill the caller's
 * buffer: a count, then the rows), decode_win_table and through it the
 * four row decoders.
 *
 * Input: one selector byte (its value mod 4 picks WIN_TCP4, WIN_TCP6,
 * WIN_UDP4 or WIN_UDP6), then the table's bytes. Seeds:
 * tests/fixtures/windows/{tcp4,tcp6,udp4,udp6}.bin behind the byte.
 */
#include "decode_win.h"
#include "fuzz.h"

struct count {
	int proto, family;
	int n;
};

static int
on_sock(void *arg, const struct sock_info *si)
{
	struct count *c = arg;

	fuzz_check_sock(si, c->proto, c->family);
	FUZZ_CHECK(si->uid == PD_UID_UNKNOWN);
	c->n++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int tables[4] = { WIN_TCP4, WIN_TCP6, WIN_UDP4,
	    WIN_UDP6 };
	struct count c = { 0, 0, 0 };
	char err[256];
	uint8_t *buf;
	uint32_t count;
	int table, r;

	if (size < 1)
		return 0;
	table = tables[data[0] % 4];
	c.proto = table == WIN_TCP4 || table == WIN_TCP6 ? PD_TCP : PD_UDP;
	c.family = table == WIN_TCP4 || table == WIN_UDP4 ? PD_INET : PD_INET6;
	/* Exactly the rest, unaligned by one: the decoder promises both. */
	if ((buf = malloc(size)) == NULL)
		abort();
	if (size > 1)
		memcpy(buf + 1, data + 1, size - 1);
	err[0] = '\0';
	r = decode_win_table(buf + 1, size - 1, table, on_sock, &c, err,
	    sizeof(err));
	FUZZ_CHECK(r == -1 || r == c.n);
	FUZZ_CHECK(r != -1 || err[0] != '\0');
	if (r >= 0) {
		/* Accepted: the count fits in what was given. */
		FUZZ_CHECK(size - 1 >= sizeof(count));
		memcpy(&count, buf + 1, sizeof(count));
		FUZZ_CHECK(count <= (size - 1 - sizeof(count)) /
		    decode_win_row_size(table));
		FUZZ_CHECK((uint32_t)r <= count);
	}
	free(buf);
	return 0;
}
