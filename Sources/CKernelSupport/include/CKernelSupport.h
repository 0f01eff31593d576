// Small C helpers for the Swift kernels: things Swift cannot express (cache prefetch hints).
#ifndef GSA_CKERNELSUPPORT_H
#define GSA_CKERNELSUPPORT_H

/// Hint the CPU to bring the cache line holding `address` into all cache levels (read access).
/// A hint only: never faults, even for an invalid address.
static inline void gsa_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
