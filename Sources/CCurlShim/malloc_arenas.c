// One process setting FoundationNetworking's many threads make worth having: glibc gives every
// thread that allocates an arena of its own, and eight transfers at once then keep about 15 MiB
// more resident than two arenas do (docs/performance.md, "Uploads").
#include <malloc.h>
#include <stdlib.h>

#include "CCurlShim.h"

int ia_limit_malloc_arenas(int count) {
#ifdef M_ARENA_MAX
    if (getenv("MALLOC_ARENA_MAX") != NULL) return 0;
    return mallopt(M_ARENA_MAX, count) == 1;
#else
    (void)count;
    return 0;
#endif
}
