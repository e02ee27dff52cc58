/*
 * listener.c - a Windows test process that holds sockets: binds each
 * PROTO:ADDRESS:PORT given (tcp4, tcp6, udp4, udp6; port 0 picks one),
 * listens on the TCP ones, prints one line
 *
 *   READY pid=N tcp4:127.0.0.1:41001 udp6:::1:41002 ...
 *
 * with the ports it got, then sleeps for SECONDS (so it never outlives a
 * test run) or until it is terminated. Exit status 2 on a bad argument,
 * 1 when a socket cannot be bound.
 *
 *   listener.exe SECONDS SPEC...
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	WSADATA wsa;
	static char line[256 * 1024];
	struct sockaddr_storage ss;
	char host[64];
	const char *spec, *addr, *colon;
	size_t n = 0;
	long seconds;
	int i, len, tcp, six, port, one = 1;
	SOCKET s;

	if (argc < 3 || (seconds = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: listener SECONDS PROTO:ADDRESS:PORT...\n");
		return 2;
	}
	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
		return 1;
	n = (size_t)snprintf(line, sizeof(line), "READY pid=%lu",
	    (unsigned long)GetCurrentProcessId());
	for (i = 2; i < argc; i++) {
		spec = argv[i];
		if (strlen(spec) < 6 || spec[4] != ':' ||
		    (colon = strrchr(spec, ':')) == spec + 4) {
			fprintf(stderr, "listener: bad spec %s\n", spec);
			return 2;
		}
		tcp = strncmp(spec, "tcp", 3) == 0;
		six = spec[3] == '6';
		addr = spec + 5;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		port = atoi(colon + 1);
		memset(&ss, 0, sizeof(ss));
		if (six) {
			struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((u_short)port);
			if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) {
				fprintf(stderr, "listener: bad address %s\n",
				    host);
				return 2;
			}
			len = sizeof(*a6);
		} else {
			struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

			a4->sin_family = AF_INET;
			a4->sin_port = htons((u_short)port);
			if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
				fprintf(stderr, "listener: bad address %s\n",
				    host);
				return 2;
			}
			len = sizeof(*a4);
		}
		s = socket(six ? AF_INET6 : AF_INET, tcp ? SOCK_STREAM :
		    SOCK_DGRAM, 0);
		if (s == INVALID_SOCKET)
			return 1;
		if (six)
			setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY,
			    (const char *)&one, sizeof(one));
		if (bind(s, (struct sockaddr *)&ss, len) != 0 ||
		    (tcp && listen(s, 16) != 0)) {
			fprintf(stderr, "listener: %s: error %d\n", spec,
			    WSAGetLastError());
			return 1;
		}
		len = sizeof(ss);
		getsockname(s, (struct sockaddr *)&ss, &len);
		port = ntohs(six ? ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
		if (n < sizeof(line))
			n += (size_t)snprintf(line + n, sizeof(line) - n,
			    " %.4s:%s:%d", spec, host, port);
	}
	printf("%s\n", line);
	fflush(stdout);
	Sleep((DWORD)(seconds * 1000));
	return 0;
}
