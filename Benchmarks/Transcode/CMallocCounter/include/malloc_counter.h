#ifndef HALO_MALLOC_COUNTER_H
#define HALO_MALLOC_COUNTER_H

#include <stdint.h>

/// Number of allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made by the
/// process since it started. The benchmark links this file, which interposes those functions over glibc's.
uint64_t halo_malloc_count(void);

#endif
