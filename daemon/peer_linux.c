/*
 * peer_linux.c - control clients identified by SO_PEERCRED.
 */
#include <sys/socket.h>

#include <string.h>

#include "peer.h"

void
peer_identify(uv_pipe_t *pipe, struct peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	memset(p, 0, sizeof(*p));
	p->uid = PD_UID_UNKNOWN;
	p->pid = -1;
	if (uv_fileno((uv_handle_t *)pipe, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return;
	p->uid = cred.uid;
	p->pid = cred.pid;
	p->admin = cred.uid == 0;
}
