import CKernelSupport

/// How the process's allocator treats the kernels' large buffers (glibc; a process-wide setting,
/// made by the executables, never by the library on its own).
///
/// A forward allocates its activations afresh (Q, K, V, outputs, packed copies: ~0.5 GiB at
/// L = 32768); by default glibc maps such blocks on allocation and unmaps them on free, so every
/// repeat of a forward pays for the kernel zeroing fresh pages (~0.4 CPU-seconds per forward of
/// gsa-bench's series B at L = 32768) and times the operating system along with the kernels.
public enum MemoryPolicy {
  /// Keeps freed blocks in the process for reuse by the next forward, as framework caching
  /// allocators do; returns whether glibc accepted the setting. Memory measurements stay per
  /// measurement: `releaseFreeMemory()` runs before each peak reset.
  @discardableResult
  public static func keepFreedMemory() -> Bool { gsa_keep_freed_memory() == 1 }

  /// Returns free heap memory to the operating system (so the resident size is what is in use).
  public static func releaseFreeMemory() { _ = gsa_release_free_memory() }
}
