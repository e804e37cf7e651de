#ifndef CSEALBOXSYS_H
#define CSEALBOXSYS_H

#include <sys/types.h>

/// The layout of Linux's `struct ucred`, as `getsockopt(SO_PEERCRED)` fills it. Swift's Glibc module
/// does not expose `struct ucred` (it needs _GNU_SOURCE), so this target restates it and checks the
/// layout at compile time.
typedef struct {
    pid_t pid;
    uid_t uid;
    gid_t gid;
} csealbox_peercred;

/// Disables core dumps and ptrace-style attachment for this process
/// (RLIMIT_CORE=0 and PR_SET_DUMPABLE=0). Returns 0 on success, -1 with errno set.
int csealbox_disable_core_dumps(void);

/// The soft RLIMIT_MEMLOCK in bytes, or -1 when it is unlimited or cannot be read.
long long csealbox_memlock_limit(void);

/// Returns free heap pages to the kernel (glibc's malloc_trim); a no-op elsewhere.
void csealbox_release_free_memory(void);
/// Zeroes the 4 KiB of stack below the caller's frame, where the functions it just called kept their
/// locals: libsodium's secretbox leaves the first bytes of a plaintext and its keystream there.
void csealbox_wipe_stack(void);

#endif
