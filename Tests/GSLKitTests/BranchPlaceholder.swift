// Placeholder so this target builds on the kernels branch before main's sources land; safe to delete.
