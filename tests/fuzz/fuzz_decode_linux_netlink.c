/*
 * fuzz_decode_linux_netlink.c - the sock_diag decoders: a buffer of
 * netlink messages as one recv() returns it (decode_netlink), and one
 * inet_diag payload alone (decode_inet_diag). The kernel writes these,
 * but a decoder that trusts lengths in a buffer is one bug away from
 * reading past it, and the checks here are what keep it from that.
 *
 * Input: one selector byte (bit 0: TCP or UDP dump; bit 1: the whole
 * buffer to decode_netlink, or the rest as one payload to
 * decode_inet_diag), then the bytes. Seeds: tests/fixtures/linux/
 * netlink_*.bin behind the byte.
 */
#include "decode_linux.h"
#include "fuzz.h"

struct count {
	int proto;
	int n;
};

static int
on_sock(void *arg, const struct sock_info *si)
{
	struct count *c = arg;

	fuzz_check_sock(si, c->proto, 0);
	FUZZ_CHECK(si->pid == 0);
	c->n++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct count c = { 0, 0 };
	struct sock_info si;
	char err[256];
	uint8_t *buf;
	int r, nlerr = 0;

	if (size < 1)
		return 0;
	c.proto = data[0] & 1 ? PD_UDP : PD_TCP;
	/* A copy of exactly the rest, so ASan sees a read one byte past. */
	if ((buf = malloc(size - 1 > 0 ? size - 1 : 1)) == NULL)
		abort();
	if (size > 1)
		memcpy(buf, data + 1, size - 1);
	err[0] = '\0';
	if (data[0] & 2) {
		memset(&si, 0, sizeof(si));
		r = decode_inet_diag(buf, size - 1, c.proto, &si, err,
		    sizeof(err));
		FUZZ_CHECK(r >= -1 && r <= 1);
		if (r == 1)
			fuzz_check_sock(&si, c.proto, 0);
		FUZZ_CHECK(r != -1 || err[0] != '\0');
	} else {
		r = decode_netlink(buf, size - 1, c.proto, on_sock, &c, &nlerr,
		    err, sizeof(err));
		FUZZ_CHECK(r >= -1 && r <= 1);
		FUZZ_CHECK(r != -1 || err[0] != '\0');
	}
	free(buf);
	return 0;
}
