// Most helpers are static inline in include/CKernelSupport.h; the parallel-region counter's
// thread-local storage lives here, so every module shares one.
#include "CKernelSupport.h"

static _Thread_local long gsa_regions_opened_here = 0;

void gsa_count_parallel_region(void) { gsa_regions_opened_here += 1; }

long gsa_parallel_regions_opened(void) { return gsa_regions_opened_here; }
