/*
 * peer_darwin.c - control clients identified by getpeereid(3) (the uid,
 * from LOCAL_PEERCRED) and LOCAL_PEERPID (the pid).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <string.h>
#include <unistd.h>

#include "peer.h"

void
peer_identify(uv_pipe_t *pipe, struct peer *p)
{
	uv_os_fd_t fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	socklen_t len = sizeof(pid);

	memset(p, 0, sizeof(*p));
	p->uid = PD_UID_UNKNOWN;
	p->pid = -1;
	if (uv_fileno((uv_handle_t *)pipe, &fd) != 0 ||
	    getpeereid(fd, &uid, &gid) == -1)
		return;
	p->uid = (uint32_t)uid;
	p->admin = uid == 0;
	/* The pid is for the log only: access goes by uid. */
	if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) == 0)
		p->pid = (int32_t)pid;
}
