/* vibed: a team workspace server. See README.md and `vibed --help`. */
#include "app/vb_app.h"
#include "app/vb_config.h"

#include <malloc.h>

int main(int argc, char **argv)
{
    /* No fastbins: freeing a large response buffer would otherwise sweep
     * (malloc_consolidate) every small JSON node freed before it, which showed
     * up as the top cost of list requests. Small blocks still go through the
     * per-thread cache. */
    mallopt(M_MXFAST, 0);
    /* Response buffers of list routes are tens of KiB: keep them on the heap
     * instead of fresh mmap()s, and keep freed memory for the next request
     * rather than trimming and page-faulting it back in every time. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 8 << 20);
    vb_config cfg;
    int rc = vb_config_load(&cfg, argc, argv);
    if (rc > 0) return 0;
    if (rc < 0) return 2;
    return vb_app_main(&cfg);
}
