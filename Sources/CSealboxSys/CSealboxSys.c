#define _GNU_SOURCE
#include "CSealboxSys.h"

#include <stddef.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

_Static_assert(sizeof(csealbox_peercred) == sizeof(struct ucred), "ucred size");
_Static_assert(offsetof(csealbox_peercred, uid) == offsetof(struct ucred, uid), "ucred uid offset");
_Static_assert(offsetof(csealbox_peercred, gid) == offsetof(struct ucred, gid), "ucred gid offset");

int csealbox_disable_core_dumps(void) {
    struct rlimit limit = {0, 0};
    if (setrlimit(RLIMIT_CORE, &limit) != 0) {
        return -1;
    }
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

long long csealbox_memlock_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_MEMLOCK, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return -1;
    }
    return (long long)limit.rlim_cur;
}

void csealbox_release_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

__attribute__((noinline)) void csealbox_wipe_stack(void) {
    unsigned char scratch[4096];
    // explicit_bzero, unlike memset, is not removed as a store to memory nobody reads.
    explicit_bzero(scratch, sizeof scratch);
}
