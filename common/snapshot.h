/*
 * snapshot.h - the listener model: sockets, the processes that own them,
 * and a snapshot (a set of rows, one per socket and owner).
 *
 * Every backend fills these portable structs; everything above the backend
 * (portctl's output, the daemon's diff, the rules) reads only these.
 */
#ifndef PORTD_SNAPSHOT_H
#define PORTD_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

/* Protocols and families are bit values so that filters can be masks. */
enum pd_proto { PD_TCP = 1, PD_UDP = 2 };
enum pd_family { PD_INET = 1, PD_INET6 = 2 };

/* Portable socket state: only listeners are modelled. */
enum pd_state { PD_LISTEN = 1, PD_BOUND = 2 };

/*
 * Why a row has no owning process: the code travels on the wire
 * ("reason_code"), the text is for people and may be reworded.
 *   DENIED       some process's fds could not be read
 *   NONE         every process was read; none holds it
 *   UNSUPPORTED  the backend cannot name owners
 *   UNKNOWN      a code this build does not know (from a newer portd)
 */
#define PD_REASONS(X)							\
	X(PD_OWNER_OK, "ok", "")					\
	X(PD_OWNER_DENIED, "permission_denied",				\
	    "owner not visible: permission denied")			\
	X(PD_OWNER_NONE, "no_process", "no process holds it")		\
	X(PD_OWNER_UNSUPPORTED, "unsupported",				\
	    "owner not reported by this system")			\
	X(PD_OWNER_UNKNOWN, "unknown", "owner not visible")

#define PD_REASON_ENUM(e, code, text) e,
enum pd_reason { PD_REASONS(PD_REASON_ENUM) PD_REASON_MAX };
#undef PD_REASON_ENUM

#define PD_UID_UNKNOWN ((uint32_t)-1)
#define PD_NAME_MAX 64

/* One socket, as the OS's socket table reports it. */
struct sock_info {
	uint8_t proto;		/* enum pd_proto */
	uint8_t family;		/* enum pd_family */
	uint8_t state;		/* enum pd_state */
	int8_t v6only;		/* IPv6: 1 or 0; -1 unknown; IPv4: 0 */
	uint16_t port;		/* host byte order */
	uint32_t scope_id;	/* IPv6 interface index, 0 if none */
	uint8_t addr[16];	/* network byte order; IPv4 uses addr[0..3] */
	uint64_t inode;		/* Linux socket inode; 0 where the OS has none */
	uint32_t uid;		/* socket's uid, PD_UID_UNKNOWN if not known */
	int32_t pid;		/* owner pid where the table says (Windows) */
};

/*
 * One process. start_time is opaque and OS-specific (Linux: clock ticks
 * since boot from /proc/PID/stat; Windows: FILETIME of creation), used
 * only to compare for PID reuse; started_ms is the same instant as
 * milliseconds since the Unix epoch, for display (0 if unknown).
 * exe is heap-allocated and owned by the struct (NULL if unreadable).
 */
struct proc_info {
	int32_t pid;
	int32_t ppid;
	uint32_t uid;		/* real uid */
	uint32_t suid;		/* saved uid (kill(2) permission) */
	uint64_t start_time;
	int64_t started_ms;
	char comm[PD_NAME_MAX];
	char user[PD_NAME_MAX];
	char *exe;
};

/* A row: a socket and one of its owners (proc < 0: none, see reason). */
struct listener {
	struct sock_info sock;
	int proc;		/* index into snapshot.procs, or -1 */
	uint8_t reason;		/* enum pd_reason */
};

/*
 * A snapshot owns its rows and processes. Rows are kept in canonical
 * order after snapshot_sort(), which the diff relies on.
 */
struct snapshot {
	struct listener *rows;
	size_t nrows, caprows;
	struct proc_info *procs;
	size_t nprocs, capprocs;
};

void	 snapshot_init(struct snapshot *);
void	 snapshot_clear(struct snapshot *);	/* frees contents, reusable */
/* Appends; returns the new element or NULL on allocation failure. */
struct listener *snapshot_add_row(struct snapshot *, const struct sock_info *,
	    int proc, int reason);
/* Copies p (exe duplicated); returns its index, or -1 on failure. */
int	 snapshot_add_proc(struct snapshot *, const struct proc_info *p);
/* Index of the process with this pid and start time, or -1. */
int	 snapshot_find_proc(const struct snapshot *, int32_t pid,
	    uint64_t start_time);
/* Into canonical order, in place; needs no memory, cannot fail. */
void	 snapshot_sort(struct snapshot *);
/* The row's process, or NULL. */
const struct proc_info *snapshot_row_proc(const struct snapshot *,
	    const struct listener *);

/* Compare two rows for canonical order (socket, then owner). */
int	 listener_cmp(const struct listener *, const struct proc_info *,
	    const struct listener *, const struct proc_info *);

void	 proc_info_clear(struct proc_info *);	/* frees exe, zeroes */
int	 proc_info_copy(struct proc_info *dst, const struct proc_info *src);

/*
 * The one "never signal" rule, for every caller (the kill plan, the
 * rules, each backend's signal): pid 0 and 1, pid 2 (Linux's kthreadd)
 * and its kernel threads (ppid 2), the OS's system process (Windows pid
 * 4) and self, the pid of portd or portctl asking. Whoever asks, these are
 * never signalled.
 */
int	 proc_never_signal(const struct proc_info *p, int32_t self);

/*
 * Grows *base (an array of elements of size bytes, *cap of them) to hold
 * need elements, doubling from 64. 0, or -1 with *base unchanged. Shared
 * by the snapshot and every backend.
 */
int	 vec_grow(void **base, size_t *cap, size_t need, size_t size);

/*
 * Formats a one-line reason into err (the decoders' and backends' err,
 * errlen arguments); nothing when err is NULL or errlen 0.
 */
void	 pd_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Text helpers shared by every output. */
const char *pd_proto_name(int proto);		/* "tcp" / "udp" */
const char *pd_family_name(int family);		/* "ipv4" / "ipv6" */
const char *pd_state_name(int state);		/* "LISTEN" / "BOUND" */
const char *pd_reason_text(int reason);		/* "no process holds it" */
const char *pd_reason_code(int reason);		/* "no_process" */
/* PD_OWNER_* of a code; PD_OWNER_UNKNOWN if unknown or NULL. */
int	 pd_reason_parse(const char *code);
/* Address as text (no brackets, "%scope" appended); buf >= 64 bytes. */
void	 sock_addr_text(const struct sock_info *, char *buf, size_t len);
/* True if the socket also holds the IPv4 port (dual-stack [::]). */
int	 sock_is_dualstack(const struct sock_info *);

#endif
