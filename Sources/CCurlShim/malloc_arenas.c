// One process setting FoundationNetworking's many threads make worth having: glibc gives every
// thread that allocates an arena of its own, and eight transfers at once then keep about 15 MiB
// more resident than two arenas do (docs/performance.md, "Uploads").
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "CCurlShim.h"

int ia_limit_malloc_arenas(int count) {
#ifdef M_ARENA_MAX
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (getenv("MALLOC_ARENA_MAX") != NULL || (tunables != NULL && strstr(tunables, "glibc.malloc.arena_max") != NULL)) return 0;
    return mallopt(M_ARENA_MAX, count) == 1;
#else
    (void)count;
    return 0;
#endif
}
