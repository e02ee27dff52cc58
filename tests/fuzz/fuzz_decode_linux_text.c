/*
 * fuzz_decode_linux_text.c - the decoders of Linux's text files:
 * /proc/net/{tcp,tcp6,udp,udp6} (decode_procnet), /proc/PID/stat,
 * /proc/PID/status, /proc/PID/cgroup and a /proc/PID/fd link target.
 * Any user can shape what these files say about their own processes
 * (a command name holds any byte but NUL), so they are outside input.
 *
 * Input: one selector byte (its value mod 8 picks the decoder), then the
 * file's text. Seeds: tests/fixtures/linux/proc_*.txt behind the byte.
 */
#include "decode_linux.h"
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
	/* The file lists no pid: the decoder must not invent one. */
	FUZZ_CHECK(si->pid == 0);
	c->n++;
	return 0;
}

static void
procnet(const char *text, size_t len, int proto, int family)
{
	struct count c = { proto, family, 0 };
	char err[256];
	int r;

	err[0] = '\0';
	r = decode_procnet(text, len, proto, family, on_sock, &c, err,
	    sizeof(err));
	FUZZ_CHECK(r == -1 || r == c.n);
	FUZZ_CHECK(r != -1 || err[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_info pi, before;
	uint32_t ruid, euid, suid;
	char *text, unit[256], small[8];
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	text = fuzz_strdup(data + 1, len);
	switch (data[0] % 8) {
	case 0:
		procnet(text, len, PD_TCP, PD_INET);
		break;
	case 1:
		procnet(text, len, PD_TCP, PD_INET6);
		break;
	case 2:
		procnet(text, len, PD_UDP, PD_INET);
		break;
	case 3:
		procnet(text, len, PD_UDP, PD_INET6);
		break;
	case 4:
		memset(&pi, 0x5a, sizeof(pi));
		pi.exe = NULL;
		before = pi;
		if (decode_proc_stat(text, len, &pi) == 0) {
			FUZZ_CHECK(memchr(pi.comm, '\0', sizeof(pi.comm)) !=
			    NULL);
		} else
			FUZZ_CHECK(memcmp(&pi, &before, sizeof(pi)) == 0);
		break;
	case 5:
		(void)decode_proc_status_uids(text, len, &ruid, &euid, &suid);
		break;
	case 6:
		/* A found unit is named, unless the text holds a NUL (no
		 * cgroup name does: the kernel refuses one). */
		if (decode_cgroup_unit(text, len, unit, sizeof(unit)) == 0)
			FUZZ_CHECK(unit[0] != '\0' ||
			    memchr(text, '\0', len) != NULL);
		else
			FUZZ_CHECK(unit[0] == '\0');
		FUZZ_CHECK(strlen(unit) < sizeof(unit));
		/* A unit longer than the buffer must not overrun it. */
		(void)decode_cgroup_unit(text, len, small, sizeof(small));
		FUZZ_CHECK(strlen(small) < sizeof(small));
		break;
	case 7:
		(void)decode_socket_link(text, len);
		break;
	}
	free(text);
	return 0;
}
