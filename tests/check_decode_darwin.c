/*
 * check_decode_darwin.c - tests of the pure macOS decoders, on any host.
 *
 * There is no Mac here: the socket records (fixtures/darwin/sockets.txt)
 * and the byte buffers below are synthesized from the macOS SDK headers'
 * layouts and values, not captured. They pin down the decoding; whether a
 * real Mac fills its records this way is verified by the SDK itself only
 * as far as backend_darwin.c's _Static_asserts go (checked by make macos).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_darwin.h"

#ifndef FIXTURES
#error "build with -DFIXTURES=\"/path/to/tests/fixtures\""
#endif

/* ---- sockets, from the fixture -------------------------------------- */

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/*
 * insi_lport as the int a little-endian Mac holds: its low two bytes lie
 * in memory low byte first. This is what backend_darwin.c's memcpy of
 * (uint16_t)insi_lport yields there, spelled out so the test does not
 * depend on this host's byte order.
 */
static void
port_bytes(long v, uint8_t out[2])
{
	out[0] = (uint8_t)(v & 0xff);
	out[1] = (uint8_t)((v >> 8) & 0xff);
}

/* Parses "key=value ..." into ds; -1 on an unknown key or bad value. */
static int
parse_record(char *s, struct darwin_sock *ds)
{
	char *tok, *eq;
	size_t n;
	long long v;

	memset(ds, 0, sizeof(*ds));
	/* strspn/strcspn rather than strtok_r: C11 alone, any C library. */
	for (tok = s + strspn(s, " \t"); *tok != '\0';
	    tok += n + strspn(tok + n, " \t")) {
		n = strcspn(tok, " \t");
		if (tok[n] != '\0')
			tok[n++] = '\0';
		if ((eq = strchr(tok, '=')) == NULL)
			return -1;
		*eq++ = '\0';
		if (strcmp(tok, "laddr") == 0) {
			if (unhex(eq, ds->laddr, 16) == -1)
				return -1;
			continue;
		}
		if (strcmp(tok, "faddr") == 0) {
			if (unhex(eq, ds->faddr, 16) == -1)
				return -1;
			continue;
		}
		if (strcmp(tok, "so") == 0 || strcmp(tok, "pcb") == 0) {
			unsigned long long u = strtoull(eq, NULL, 0);

			if (tok[0] == 's')
				ds->so = u;
			else
				ds->pcb = u;
			continue;
		}
		v = strtoll(eq, NULL, 0);
		if (strcmp(tok, "family") == 0)
			ds->family = (int32_t)v;
		else if (strcmp(tok, "protocol") == 0)
			ds->protocol = (int32_t)v;
		else if (strcmp(tok, "kind") == 0)
			ds->kind = (int32_t)v;
		else if (strcmp(tok, "uid") == 0)
			ds->uid = (uint32_t)v;
		else if (strcmp(tok, "vflag") == 0)
			ds->vflag = (uint8_t)v;
		else if (strcmp(tok, "flags") == 0)
			ds->flags = (uint32_t)v;
		else if (strcmp(tok, "lport") == 0)
			port_bytes((long)v, ds->lport);
		else if (strcmp(tok, "fport") == 0)
			port_bytes((long)v, ds->fport);
		else if (strcmp(tok, "ifindex") == 0)
			ds->ifindex = (uint16_t)v;
		else if (strcmp(tok, "state") == 0)
			ds->tcp_state = (int32_t)v;
		else
			return -1;
	}
	return 0;
}

/* What a decoded socket is, in the fixture's words. */
static void
describe(int r, const struct sock_info *si, char *buf, size_t len)
{
	char addr[80];

	if (r == 0) {
		snprintf(buf, len, "skip");
		return;
	}
	if (r != 1) {
		snprintf(buf, len, "error");
		return;
	}
	sock_addr_text(si, addr, sizeof(addr));
	snprintf(buf, len, "%s %s %s %u %s v6only=%d inode=0x%llx uid=%u",
	    pd_proto_name(si->proto), pd_family_name(si->family), addr,
	    (unsigned)si->port, pd_state_name(si->state), (int)si->v6only,
	    (unsigned long long)si->inode, (unsigned)si->uid);
}

static void
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

START_TEST(test_socket_fixture)
{
	FILE *fp = fopen(FIXTURES "/darwin/sockets.txt", "r");
	char line[1024], rec[1024], got[256], err[256], *arrow, *want;
	char fails[8192] = "";
	struct darwin_sock ds;
	struct sock_info si;
	int r, lineno = 0, n = 0, listeners = 0, skips = 0, errors = 0;
	size_t used;

	ck_assert_msg(fp != NULL, "cannot open the darwin socket fixture");
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		trim(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		arrow = strstr(line, " => ");
		ck_assert_msg(arrow != NULL, "line %d: no ' => '", lineno);
		*arrow = '\0';
		want = arrow + 4;
		snprintf(rec, sizeof(rec), "%s", line);
		ck_assert_msg(parse_record(rec, &ds) == 0,
		    "line %d: bad record", lineno);
		err[0] = '\0';
		memset(&si, 0xa5, sizeof(si));
		r = decode_darwin_socket(&ds, &si, err, sizeof(err));
		describe(r, &si, got, sizeof(got));
		n++;
		if (r == 1) {
			listeners++;
			ck_assert_int_eq(si.pid, 0);
			ck_assert(si.scope_id == 0 || si.family == PD_INET6);
		} else if (r == 0) {
			skips++;
		} else {
			errors++;
			ck_assert_msg(err[0] != '\0',
			    "line %d: error without a reason", lineno);
		}
		if (strcmp(got, want) != 0) {
			used = strlen(fails);
			snprintf(fails + used, sizeof(fails) - used,
			    "\n  line %d: got '%s', want '%s'%s%s", lineno,
			    got, want, err[0] ? ": " : "", err);
		}
	}
	fclose(fp);
	ck_assert_msg(fails[0] == '\0', "fixture mismatches:%s", fails);
	/* The file must not be quietly emptied of any kind of case. */
	ck_assert_int_ge(listeners, 20);
	ck_assert_int_ge(skips, 15);
	ck_assert_int_ge(errors, 8);
	ck_assert_int_eq(n, listeners + skips + errors);
}
END_TEST

/* A few fields checked directly, not through the text. */
START_TEST(test_socket_fields)
{
	struct darwin_sock ds;
	struct sock_info si;
	char err[128];
	static const uint8_t ll[16] = { 0xfe, 0x80, 0, 4, [15] = 1 };

	memset(&ds, 0, sizeof(ds));
	ds.family = DARWIN_AF_INET6;
	ds.protocol = DARWIN_IPPROTO_TCP;
	ds.kind = DARWIN_SOCKINFO_TCP;
	ds.vflag = DARWIN_INI_IPV6;
	ds.tcp_state = DARWIN_TSI_S_LISTEN;
	ds.lport[0] = 0x1f;	/* 8080, network order */
	ds.lport[1] = 0x90;
	memcpy(ds.laddr, ll, 16);
	ds.so = 0;
	ds.pcb = 42;
	ck_assert_int_eq(decode_darwin_socket(&ds, &si, err, sizeof(err)), 1);
	ck_assert_uint_eq(si.port, 8080);
	ck_assert_uint_eq(si.scope_id, 4);
	/* The embedded scope is cleared from the address. */
	ck_assert_int_eq(si.addr[2], 0);
	ck_assert_int_eq(si.addr[3], 0);
	ck_assert_int_eq(si.addr[0], 0xfe);
	ck_assert_int_eq(si.addr[15], 1);
	ck_assert_uint_eq(si.inode, 42);
	ck_assert_int_eq(si.proto, PD_TCP);
	ck_assert_int_eq(si.family, PD_INET6);
	ck_assert_int_eq(si.state, PD_LISTEN);
	ck_assert_int_eq(sock_is_dualstack(&si), 0);

	/* Dual-stack [::] is what sock_is_dualstack calls one. */
	memset(ds.laddr, 0, 16);
	ds.vflag = DARWIN_INI_IPV4 | DARWIN_INI_IPV6;
	ck_assert_int_eq(decode_darwin_socket(&ds, &si, err, sizeof(err)), 1);
	ck_assert_int_eq(si.v6only, 0);
	ck_assert_uint_eq(si.scope_id, 0);
	ck_assert_int_eq(sock_is_dualstack(&si), 1);
	ds.vflag = DARWIN_INI_IPV6;
	ds.flags = DARWIN_IN6P_IPV6_V6ONLY;
	ck_assert_int_eq(decode_darwin_socket(&ds, &si, err, sizeof(err)), 1);
	ck_assert_int_eq(si.v6only, 1);
	ck_assert_int_eq(sock_is_dualstack(&si), 0);

	/* A skipped socket leaves out zeroed, and err alone. */
	ds.tcp_state = 4;
	strcpy(err, "untouched");
	ck_assert_int_eq(decode_darwin_socket(&ds, &si, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "untouched");
	ck_assert_uint_eq(si.port, 0);

	/* err may be NULL. */
	ds.tcp_state = 99;
	ck_assert_int_eq(decode_darwin_socket(&ds, &si, NULL, 0), -1);
}
END_TEST

/* ---- PROC_PIDLISTFDS ------------------------------------------------ */

struct fdent {
	int32_t fd;
	uint32_t type;
};

START_TEST(test_socket_fds)
{
	/* PROX_FDTYPE_VNODE 1, SOCKET 2, PIPE 6, KQUEUE 5. */
	static const struct fdent ents[] = {
		{ 0, 1 }, { 1, 1 }, { 2, 1 }, { 3, 2 }, { 4, 6 }, { 5, 5 },
		{ 7, 2 }, { -1, 2 }, { 1000, 2 },
	};
	unsigned char buf[sizeof(ents) + 1];
	int32_t out[16];

	memcpy(buf, ents, sizeof(ents));
	ck_assert_uint_eq(decode_darwin_socket_fds(buf, sizeof(ents), out,
	    16), 3);
	ck_assert_int_eq(out[0], 3);
	ck_assert_int_eq(out[1], 7);
	ck_assert_int_eq(out[2], 1000);
	/* max is honoured. */
	ck_assert_uint_eq(decode_darwin_socket_fds(buf, sizeof(ents), out,
	    2), 2);
	ck_assert_uint_eq(decode_darwin_socket_fds(buf, sizeof(ents), out,
	    0), 0);
	/* Empty, and shorter than one entry. */
	ck_assert_uint_eq(decode_darwin_socket_fds(buf, 0, out, 16), 0);
	ck_assert_uint_eq(decode_darwin_socket_fds(buf, 7, out, 16), 0);
	/* A trailing partial entry is ignored: 4 whole entries, fd 3. */
	ck_assert_uint_eq(decode_darwin_socket_fds(buf, 4 * 8 + 5, out, 16),
	    1);
	ck_assert_int_eq(out[0], 3);
	/* Any alignment. */
	memcpy(buf + 1, ents, sizeof(ents));
	ck_assert_uint_eq(decode_darwin_socket_fds(buf + 1, sizeof(ents),
	    out, 16), 3);
	ck_assert_int_eq(out[1], 7);
}
END_TEST

/* ---- PROC_PIDTBSDINFO ----------------------------------------------- */

static struct darwin_proc
sample_proc(void)
{
	struct darwin_proc dp;

	memset(&dp, 0, sizeof(dp));
	dp.pid = 4242;
	dp.ppid = 1;
	dp.status = 2;		/* SRUN */
	dp.ruid = 501;
	dp.svuid = 502;
	memcpy(dp.comm, "python3.11", 10);
	dp.start_sec = 1763914742;	/* 2025-11-23T16:19:02Z */
	dp.start_usec = 220512;
	return dp;
}

START_TEST(test_proc)
{
	struct darwin_proc dp = sample_proc();
	struct proc_info pi;

	memset(&pi, 0, sizeof(pi));
	ck_assert_int_eq(decode_darwin_proc(&dp, &pi), 0);
	ck_assert_int_eq(pi.pid, 4242);
	ck_assert_int_eq(pi.ppid, 1);
	ck_assert_uint_eq(pi.uid, 501);
	ck_assert_uint_eq(pi.suid, 502);
	ck_assert_str_eq(pi.comm, "python3.11");
	ck_assert_uint_eq(pi.start_time, 1763914742220512ULL);
	ck_assert_int_eq(pi.started_ms, 1763914742220LL);
	ck_assert_ptr_null(pi.exe);

	/* pbi_name, the longer name, wins when set. */
	memcpy(dp.name, "com.docker.backend", 18);
	ck_assert_int_eq(decode_darwin_proc(&dp, &pi), 0);
	ck_assert_str_eq(pi.comm, "com.docker.backend");
}
END_TEST

START_TEST(test_proc_unterminated)
{
	struct darwin_proc dp = sample_proc();
	struct proc_info pi;

	/* MAXCOMLEN bytes and no NUL: all of them, nothing beyond. */
	memset(dp.comm, 'c', sizeof(dp.comm));
	memset(dp.name, 0, sizeof(dp.name));
	memset(&pi, 0, sizeof(pi));
	ck_assert_int_eq(decode_darwin_proc(&dp, &pi), 0);
	ck_assert_uint_eq(strlen(pi.comm), DARWIN_MAXCOMLEN);
	memset(dp.name, 'n', sizeof(dp.name));
	ck_assert_int_eq(decode_darwin_proc(&dp, &pi), 0);
	ck_assert_uint_eq(strlen(pi.comm), 2 * DARWIN_MAXCOMLEN);
	ck_assert_int_eq(pi.comm[0], 'n');
}
END_TEST

START_TEST(test_proc_malformed)
{
	struct darwin_proc dp = sample_proc();
	struct proc_info pi;

	memset(&pi, 0x5a, sizeof(pi));
	dp.start_usec = 1000000;
	ck_assert_int_eq(decode_darwin_proc(&dp, &pi), -1);
	dp = sample_proc();
	dp.start_sec = 0;
	ck_assert_int_eq(decode_darwin_proc(&dp, &pi), -1);
	dp = sample_proc();
	dp.start_sec = UINT64_MAX;
	ck_assert_int_eq(decode_darwin_proc(&dp, &pi), -1);
	/* out untouched by a failure. */
	ck_assert_int_eq(pi.pid, 0x5a5a5a5a);
	ck_assert_int_eq((unsigned char)pi.comm[0], 0x5a);
}
END_TEST

START_TEST(test_same_process)
{
	struct darwin_proc dp = sample_proc();
	uint64_t st = 1763914742220512ULL;

	ck_assert_int_eq(decode_darwin_same_process(&dp, 4242, st), 1);
	/* pid reused: same pid, another start */
	ck_assert_int_eq(decode_darwin_same_process(&dp, 4242, st + 1), 0);
	ck_assert_int_eq(decode_darwin_same_process(&dp, 4243, st), 0);
	/* a zombie is not alive */
	dp.status = DARWIN_SZOMB;
	ck_assert_int_eq(decode_darwin_same_process(&dp, 4242, st), 0);
	dp = sample_proc();
	dp.start_usec = 2000000;
	ck_assert_int_eq(decode_darwin_same_process(&dp, 4242, st), 0);
}
END_TEST

/* ---- KERN_PROCARGS2 ------------------------------------------------- */

/* Builds argc (host order) + body (with its NULs) into buf. */
static size_t
procargs(unsigned char *buf, int32_t argc, const char *body, size_t len)
{
	memcpy(buf, &argc, 4);
	memcpy(buf + 4, body, len);
	return 4 + len;
}

#define BODY(s)	(s), sizeof(s) - 1

START_TEST(test_launchd_label)
{
	unsigned char buf[512];
	char label[64];
	size_t n;

	n = procargs(buf, 2, BODY("/usr/local/bin/nginx\0\0\0\0"
	    "nginx\0-g\0PATH=/usr/bin:/bin\0"
	    "XPC_SERVICE_NAME=org.nginx.nginx\0HOME=/var/empty\0\0"
	    "executable_path=/usr/local/bin/nginx\0"));
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label,
	    sizeof(label)), 0);
	ck_assert_str_eq(label, "org.nginx.nginx");

	/* An argument that looks like the variable is not the variable. */
	n = procargs(buf, 1, BODY("/bin/sh\0\0\0\0"
	    "XPC_SERVICE_NAME=fake\0PATH=/bin\0\0"));
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label,
	    sizeof(label)), -1);
	ck_assert_str_eq(label, "");
	/* Nor is an apple[] string after the environment. */
	n = procargs(buf, 1, BODY("/bin/sh\0\0\0\0sh\0PATH=/bin\0\0"
	    "XPC_SERVICE_NAME=fake\0"));
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label,
	    sizeof(label)), -1);
	/* Started from a shell, not by launchd as a job. */
	n = procargs(buf, 1, BODY("/bin/sh\0\0\0\0sh\0XPC_SERVICE_NAME=0\0"
	    "\0"));
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label,
	    sizeof(label)), -1);
	/* No environment at all. */
	n = procargs(buf, 0, BODY("/sbin/launchd\0\0\0\0"));
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label,
	    sizeof(label)), -1);
	/* A label longer than the buffer: none, not a truncated one. */
	n = procargs(buf, 0, BODY("/x\0\0XPC_SERVICE_NAME=org.example.long\0"
	    "\0"));
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label, 8), -1);
	ck_assert_str_eq(label, "");
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label,
	    sizeof(label)), 0);
	ck_assert_str_eq(label, "org.example.long");
}
END_TEST

START_TEST(test_launchd_label_short)
{
	unsigned char buf[512];
	char label[64];
	size_t n, cut;
	int32_t argc;

	n = procargs(buf, 2, BODY("/usr/local/bin/nginx\0\0\0\0"
	    "nginx\0-g\0XPC_SERVICE_NAME=org.nginx.nginx\0\0"));
	/* Every truncation that cuts the label's NUL off fails cleanly
	 * (the rest, run under ASan, must not read past the end). */
	for (cut = 0; cut < n; cut++) {
		int r = decode_darwin_launchd_label(buf, cut, label,
		    sizeof(label));

		if (cut < n - 1)
			ck_assert_msg(r == -1, "cut at %zu: %d", cut, r);
	}
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n - 1, label,
	    sizeof(label)), 0);
	/* argc says more arguments than there are. */
	n = procargs(buf, 1000, BODY("/bin/sh\0\0\0\0sh\0PATH=/bin\0\0"));
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label,
	    sizeof(label)), -1);
	/* A negative argc. */
	n = procargs(buf, -1, BODY("/bin/sh\0\0\0\0sh\0\0"));
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label,
	    sizeof(label)), -1);
	/* No room even for argc. */
	argc = 0;
	memcpy(buf, &argc, 4);
	ck_assert_int_eq(decode_darwin_launchd_label(buf, 3, label,
	    sizeof(label)), -1);
	/* Unterminated executable path. */
	n = procargs(buf, 0, BODY("/bin/sh"));
	ck_assert_int_eq(decode_darwin_launchd_label(buf, n, label,
	    sizeof(label)), -1);
}
END_TEST

static Suite *
decode_darwin_suite(void)
{
	Suite *s = suite_create("decode_darwin");
	TCase *tc;

	tc = tcase_create("socket");
	tcase_add_test(tc, test_socket_fixture);
	tcase_add_test(tc, test_socket_fields);
	tcase_add_test(tc, test_socket_fds);
	suite_add_tcase(s, tc);

	tc = tcase_create("proc");
	tcase_add_test(tc, test_proc);
	tcase_add_test(tc, test_proc_unterminated);
	tcase_add_test(tc, test_proc_malformed);
	tcase_add_test(tc, test_same_process);
	tcase_add_test(tc, test_launchd_label);
	tcase_add_test(tc, test_launchd_label_short);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(decode_darwin_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
