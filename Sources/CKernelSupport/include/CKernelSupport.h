// Small C helpers for the Swift kernels: things Swift cannot express (cache prefetch hints, an
// optimisation barrier, glibc allocator settings).
#ifndef GSA_CKERNELSUPPORT_H
#define GSA_CKERNELSUPPORT_H

#include <malloc.h>

/// Hint the CPU to bring the cache line holding `address` into all cache levels (read access).
/// A hint only: never faults, even for an invalid address.
static inline void gsa_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// 8 lanes of Int32 (imported as SIMD8<Int32>) and their mask as 8 bools.
typedef int gsa_int32x8 __attribute__((ext_vector_type(8)));
typedef _Bool gsa_bool8 __attribute__((ext_vector_type(8)));

/// Bit l set when lane l of `lanes` is negative (a comparison mask: all ones or zero): one
/// `vmovmskps` on AVX, where Swift's lane reductions compile to a chain of scalar bit tests.
static inline unsigned gsa_sign_bits(gsa_int32x8 lanes) {
  gsa_bool8 negative = __builtin_convertvector(lanes < 0, gsa_bool8);
  unsigned char bits;
  __builtin_memcpy(&bits, &negative, 1);
  return bits;
}

/// 8 lanes of float (imported as SIMD8<Float>).
typedef float gsa_float8 __attribute__((ext_vector_type(8)));

/// Returns `v` unchanged through an empty asm statement, which the optimizer cannot see into. A
/// lane-mixing reduction after an FMA loop (`laneSums`) otherwise lets LLVM's demanded-lanes
/// analysis reach into the loop and split its 8-lane accumulators into half-vectors, blends and
/// spills: the decode core's score block measured 120–165 cycles per row that way, 32 with the
/// barrier (G 4, d_h 64, in L1).
/// Without AVX (a 32-byte value fits no vector register) the value passes through memory instead.
static inline gsa_float8 gsa_opaque_float8(gsa_float8 v) {
#if defined(__AVX__)
  __asm__("" : "+x"(v));
#else
  __asm__("" : "+m"(v));
#endif
  return v;
}

/// glibc allocator policy for repeated kernels: freed blocks stay in the process for reuse (no
/// mmap'd chunks, which are unmapped on free; no trimming of the heap top), so a repeated forward
/// does not pay for the kernel zeroing hundreds of MiB of fresh pages each time. Returns 1 when
/// glibc accepted both settings.
static inline int gsa_keep_freed_memory(void) {
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, 2147483647) == 1;
}

/// Returns the heap's free memory to the kernel (glibc `malloc_trim(0)`: the top of the heap and
/// free pages inside it); 1 when some memory was released.
static inline int gsa_release_free_memory(void) { return malloc_trim(0); }

/// The vector instruction set the *including* code is compiled for: 3 with AVX-512F, 2 with AVX2 and
/// FMA (the Makefile's `-target-cpu haswell`), 1 with SSE2 only (generic x86-64, where a fused
/// multiply-add is a call to libm's fmaf), 0 elsewhere (not x86-64). Being static inline, it is
/// compiled into each Swift module that calls it, with that module's `-target-cpu` (Swift's Clang
/// importer receives it), not with this C target's flags, which SwiftPM never gives CPU options.
static inline int gsa_compiled_vector_level(void) {
#if defined(__AVX512F__) && defined(__FMA__)
  return 3;
#elif defined(__AVX2__) && defined(__FMA__)
  return 2;
#elif defined(__x86_64__)
  return 1;
#else
  return 0;
#endif
}

/// Counts one parallel region (a `concurrentPerform` on two or more workers) opened by the calling
/// thread; `gsa_parallel_regions_opened` returns the thread's count so far. A thread-local
/// counter, so concurrent tests and callers do not see each other's regions.
void gsa_count_parallel_region(void);
long gsa_parallel_regions_opened(void);

#endif
