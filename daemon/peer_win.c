/*
 * peer_win.c - control clients on Windows: the pipe names the client's
 * process (GetNamedPipeClientProcessId), whose token says who it is: its
 * account, "DOMAIN\user", and whether it is an Administrator (a member of
 * the Administrators group in an elevated token, CheckTokenMembership) or
 * LocalSystem. An Administrator may terminate anything; anyone else only
 * the processes of the same account, compared with the account the
 * backend read from the target's token.
 *
 * Windows has no uids: peer.uid stays PD_UID_UNKNOWN and peer.user names
 * the account.
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "peer.h"

/* Fills user and admin from a primary token. */
static void
token_identity(HANDLE tok, struct peer *p)
{
	union {
		TOKEN_USER tu;
		unsigned char raw[256];
	} u;
	SID_IDENTIFIER_AUTHORITY nt = { SECURITY_NT_AUTHORITY };
	WCHAR name[256], domain[256], full[520];
	DWORD n, nname = 256, ndomain = 256;
	SID_NAME_USE use;
	HANDLE imp;
	PSID admins = NULL;
	BOOL member = FALSE;

	if (GetTokenInformation(tok, TokenUser, &u, sizeof(u), &n)) {
		if (IsWellKnownSid(u.tu.User.Sid, WinLocalSystemSid))
			p->admin = 1;
		if (LookupAccountSidW(NULL, u.tu.User.Sid, name, &nname,
		    domain, &ndomain, &use)) {
			if (domain[0] != L'\0')
				_snwprintf(full, 520, L"%ls\\%ls", domain,
				    name);
			else
				_snwprintf(full, 520, L"%ls", name);
			full[519] = L'\0';
			if (WideCharToMultiByte(CP_UTF8, 0, full, -1, p->user,
			    sizeof(p->user), NULL, NULL) == 0)
				p->user[0] = '\0';
		}
	}
	/* CheckTokenMembership wants an impersonation token; a filtered
	 * (not elevated) token has Administrators deny-only: not admin. */
	if (DuplicateToken(tok, SecurityIdentification, &imp)) {
		if (AllocateAndInitializeSid(&nt, 2,
		    SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0, 0,
		    0, 0, 0, 0, &admins)) {
			if (CheckTokenMembership(imp, admins, &member) &&
			    member)
				p->admin = 1;
			FreeSid(admins);
		}
		CloseHandle(imp);
	}
}

static void
process_identity(HANDLE proc, struct peer *p)
{
	HANDLE tok;

	if (!OpenProcessToken(proc, TOKEN_QUERY | TOKEN_DUPLICATE, &tok))
		return;
	token_identity(tok, p);
	CloseHandle(tok);
}

void
peer_identify(uv_pipe_t *pipe, struct peer *p)
{
	uv_os_fd_t h;
	ULONG pid;
	HANDLE proc;

	memset(p, 0, sizeof(*p));
	p->uid = PD_UID_UNKNOWN;
	p->pid = -1;
	if (uv_fileno((uv_handle_t *)pipe, &h) != 0 ||
	    !GetNamedPipeClientProcessId(h, &pid))
		return;
	p->pid = (int32_t)pid;
	/* The client holds its end open while we look, so the pid is its. */
	if ((proc = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
	    pid)) == NULL)
		return;
	process_identity(proc, p);
	CloseHandle(proc);
}

void
peer_self(struct peer *p)
{
	memset(p, 0, sizeof(*p));
	p->uid = PD_UID_UNKNOWN;
	p->pid = (int32_t)GetCurrentProcessId();
	process_identity(GetCurrentProcess(), p);
	p->admin = 1;		/* the reaper acts with portd's own rights */
}

int
peer_may_signal(const struct peer *peer, const struct proc_info *p)
{
	if (peer->admin)
		return 1;
	/* Same account; Windows compares account names without case. */
	return peer->user[0] != '\0' && p->user[0] != '\0' &&
	    _stricmp(peer->user, p->user) == 0;
}
