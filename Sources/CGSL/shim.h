// Shim over GNU GSL for Swift 6: GSL exposes generator types and the version as mutable
// globals, which strict concurrency rejects; these static inline accessors read them.
#ifndef GSA_THEORY_CGSL_SHIM_H
#define GSA_THEORY_CGSL_SHIM_H

#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_cdf.h>

static inline const gsl_rng_type *cgsl_rng_mt19937(void) { return gsl_rng_mt19937; }
static inline const gsl_rng_type *cgsl_rng_ranlxd2(void) { return gsl_rng_ranlxd2; }
static inline const gsl_rng_type *cgsl_rng_taus2(void) { return gsl_rng_taus2; }
static inline const char *cgsl_version(void) { return gsl_version; }

/// Installs no error handler: every GSL routine then returns its status instead of aborting.
static inline void cgsl_disable_error_handler(void) { (void)gsl_set_error_handler_off(); }

/// A gsl_function whose callback is a C function pointer plus an opaque context.
static inline gsl_function cgsl_make_function(double (*f)(double, void *), void *params) {
  gsl_function F;
  F.function = f;
  F.params = params;
  return F;
}

#endif
