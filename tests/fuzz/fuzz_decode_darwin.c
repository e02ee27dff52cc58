/*
 * fuzz_decode_darwin.c - the decoders of macOS's libproc records: socket
 * records (decode_darwin_socket), PROC_PIDLISTFDS answers
 * (decode_darwin_socket_fds), process records (decode_darwin_proc,
 * decode_darwin_same_process) and KERN_PROCARGS2 answers, whose
 * environment any process sets for itself (decode_darwin_launchd_label).
 *
 * Input: one selector byte (its value mod 4 picks the decoder), then:
 *  0  socket records, one after another, each packed in host byte order
 *     without padding: so u64, pcb u64, family i32, protocol i32, kind
 *     i32, uid u32, vflag u8, flags u32, lport[2], fport[2], laddr[16],
 *     faddr[16], ifindex u16, tcp_state i32 (79 bytes; a short last one
 *     is zero-padded)
 *  1  a PROC_PIDLISTFDS answer as the kernel returns it
 *  2  process records: pid, ppid, status, ruid, svuid u32, comm[16],
 *     name[32], start_sec u64, start_usec u64 (84 bytes)
 *  3  a KERN_PROCARGS2 answer
 * Seeds: tests/fixtures/darwin/sockets.txt's records packed this way
 * (tests/fuzz/seeds.py), and a few process records and procargs.
 */
#include "decode_darwin.h"
#include "fuzz.h"

#define SOCK_RECORD	79
#define PROC_RECORD	84

static void
sockets(struct fuzz_cursor *c)
{
	struct darwin_sock ds;
	struct sock_info si;
	char err[256];
	int r, proto;

	while (c->left > 0) {
		memset(&ds, 0, sizeof(ds));
		fuzz_take(c, &ds.so, 8);
		fuzz_take(c, &ds.pcb, 8);
		fuzz_take(c, &ds.family, 4);
		fuzz_take(c, &ds.protocol, 4);
		fuzz_take(c, &ds.kind, 4);
		fuzz_take(c, &ds.uid, 4);
		fuzz_take(c, &ds.vflag, 1);
		fuzz_take(c, &ds.flags, 4);
		fuzz_take(c, ds.lport, 2);
		fuzz_take(c, ds.fport, 2);
		fuzz_take(c, ds.laddr, 16);
		fuzz_take(c, ds.faddr, 16);
		fuzz_take(c, &ds.ifindex, 2);
		fuzz_take(c, &ds.tcp_state, 4);
		memset(&si, 0xa5, sizeof(si));
		err[0] = '\0';
		r = decode_darwin_socket(&ds, &si, err, sizeof(err));
		FUZZ_CHECK(r >= -1 && r <= 1);
		FUZZ_CHECK(r != -1 || err[0] != '\0');
		if (r != 1)
			continue;
		proto = ds.protocol == DARWIN_IPPROTO_TCP ? PD_TCP : PD_UDP;
		fuzz_check_sock(&si, proto, 0);
		FUZZ_CHECK(ds.protocol == DARWIN_IPPROTO_TCP ||
		    ds.protocol == DARWIN_IPPROTO_UDP);
		FUZZ_CHECK(si.port != 0);
		FUZZ_CHECK(si.pid == 0);
		FUZZ_CHECK(si.uid == ds.uid);
		FUZZ_CHECK(si.inode == (ds.so != 0 ? ds.so : ds.pcb));
	}
}

static void
fds(const uint8_t *data, size_t size)
{
	int32_t out[16];
	uint8_t *buf;
	size_t n, i;

	/* Exactly the bytes, one past a malloc'ed block's start: unaligned
	 * and bounded as the kernel's answer is. */
	if ((buf = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(buf + 1, data, size);
	n = decode_darwin_socket_fds(buf + 1, size, out, 16);
	FUZZ_CHECK(n <= 16 && n <= size / 8);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(out[i] >= 0);
	FUZZ_CHECK(decode_darwin_socket_fds(buf + 1, size, out, 0) == 0);
	free(buf);
}

static void
procs(struct fuzz_cursor *c)
{
	struct darwin_proc dp;
	struct proc_info pi, before;

	while (c->left > 0) {
		fuzz_take(c, &dp.pid, 4);
		fuzz_take(c, &dp.ppid, 4);
		fuzz_take(c, &dp.status, 4);
		fuzz_take(c, &dp.ruid, 4);
		fuzz_take(c, &dp.svuid, 4);
		fuzz_take(c, dp.comm, sizeof(dp.comm));
		fuzz_take(c, dp.name, sizeof(dp.name));
		fuzz_take(c, &dp.start_sec, 8);
		fuzz_take(c, &dp.start_usec, 8);
		memset(&pi, 0x5a, sizeof(pi));
		pi.exe = NULL;
		before = pi;
		if (decode_darwin_proc(&dp, &pi) == 0) {
			FUZZ_CHECK(memchr(pi.comm, '\0', sizeof(pi.comm)) !=
			    NULL);
			FUZZ_CHECK(pi.started_ms >= 0);
			FUZZ_CHECK(decode_darwin_same_process(&dp, pi.pid,
			    pi.start_time) == (dp.status != DARWIN_SZOMB));
		} else {
			FUZZ_CHECK(memcmp(&pi, &before, sizeof(pi)) == 0);
			FUZZ_CHECK(decode_darwin_same_process(&dp,
			    (int32_t)dp.pid, 0) == 0);
		}
	}
}

static void
label(const uint8_t *data, size_t size)
{
	char buf[256], small[8];
	uint8_t *copy;

	if ((copy = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(copy + 1, data, size);
	if (decode_darwin_launchd_label(copy + 1, size, buf, sizeof(buf)) ==
	    0) {
		FUZZ_CHECK(buf[0] != '\0' && strcmp(buf, "0") != 0);
	} else
		FUZZ_CHECK(buf[0] == '\0');
	FUZZ_CHECK(strlen(buf) < sizeof(buf));
	(void)decode_darwin_launchd_label(copy + 1, size, small,
	    sizeof(small));
	FUZZ_CHECK(strlen(small) < sizeof(small));
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c;

	if (size < 1)
		return 0;
	c.p = data + 1;
	c.left = size - 1;
	switch (data[0] % 4) {
	case 0:
		sockets(&c);
		break;
	case 1:
		fds(data + 1, size - 1);
		break;
	case 2:
		procs(&c);
		break;
	case 3:
		label(data + 1, size - 1);
		break;
	}
	return 0;
}
