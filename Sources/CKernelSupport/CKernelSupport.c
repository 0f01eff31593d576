// The helpers are static inline in include/CKernelSupport.h; SwiftPM needs one source file.
#include "CKernelSupport.h"
