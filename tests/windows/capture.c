/*
 * capture.c - writes the four socket tables iphlpapi returns, exactly as
 * it fills the buffer, to DIR/tcp4.bin, tcp6.bin, udp4.bin, udp6.bin:
 * how tests/fixtures/windows/ was made (under Wine; see expected.txt
 * there). Prints how long each call took.
 *
 *   capture.exe DIR
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include <stdio.h>
#include <stdlib.h>

static int
dump(const char *dir, const char *name, int tcp, ULONG af)
{
	DWORD size = 0, r;
	void *buf = NULL;
	char path[1024];
	LARGE_INTEGER f, t0, t1;
	FILE *fp;
	int tries;

	QueryPerformanceFrequency(&f);
	for (tries = 0; tries < 16; tries++) {
		QueryPerformanceCounter(&t0);
		r = tcp ? GetExtendedTcpTable(buf, &size, FALSE, af,
		    TCP_TABLE_OWNER_PID_LISTENER, 0) :
		    GetExtendedUdpTable(buf, &size, FALSE, af,
		    UDP_TABLE_OWNER_PID, 0);
		QueryPerformanceCounter(&t1);
		fprintf(stderr, "%s: call %d: %lu bytes, %.1f ms\n", name,
		    tries + 1, (unsigned long)size, (double)(t1.QuadPart -
		    t0.QuadPart) * 1000.0 / (double)f.QuadPart);
		if (r == NO_ERROR)
			break;
		if (r != ERROR_INSUFFICIENT_BUFFER) {
			fprintf(stderr, "%s: error %lu\n", name,
			    (unsigned long)r);
			return -1;
		}
		size += 4096;
		free(buf);
		if ((buf = malloc(size)) == NULL)
			return -1;
	}
	snprintf(path, sizeof(path), "%s\\%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL) {
		perror(path);
		return -1;
	}
	/* The count, then exactly the rows it announces. */
	fwrite(buf, 1, size, fp);
	fclose(fp);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: capture DIR\n");
		return 2;
	}
	if (dump(argv[1], "tcp4.bin", 1, AF_INET) == -1 ||
	    dump(argv[1], "tcp6.bin", 1, AF_INET6) == -1 ||
	    dump(argv[1], "udp4.bin", 0, AF_INET) == -1 ||
	    dump(argv[1], "udp6.bin", 0, AF_INET6) == -1)
		return 1;
	return 0;
}
