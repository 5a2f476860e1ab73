/* The C plugin interface of glycotrial: plain structs of C function pointers,
 * so packages built separately never exchange C++ objects. A plugin package
 * fills one of these structs with static data and passes it to the matching
 * registration function (see glycotrial.h for the R_GetCCallable wrappers).
 *
 * Conventions for every callback:
 *  - return 0 on success; on failure return non-zero and write a NUL-terminated
 *    message of at most err_len bytes into err (it becomes the R error text);
 *  - matrices are column-major doubles;
 *  - callbacks must be thread-safe and must not call the R API (they may run
 *    on worker threads). */
#ifndef GLYCOTRIAL_PLUGIN_API_H
#define GLYCOTRIAL_PLUGIN_API_H

#include "version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A residual covariance structure for MMRM / LMM fits. */
typedef struct glycotrial_covariance_v1 {
  int abi_version;          /* set to GLYCOTRIAL_PLUGIN_ABI */
  const char* key;          /* formula name, e.g. "ar1" in ar1(AVISIT | USUBJID) */
  const char* description;  /* one line */
  const char* reference;    /* literature or documentation reference */
  int spatial;              /* 1: coordinates are continuous times; 0: visit indices */
  /* Number of variance parameters for a structure over n_visits visits
   * (for spatial structures n_visits is the number of distinct times). */
  int (*n_theta)(int n_visits);
  /* n_theta is bounded: at most max(n_visits^2, 64) parameters, for at most
   * 10000 visits; larger counts are refused (glycotrial_error_plugin_output).
   * Fill the m x m covariance matrix sigma for one subject whose m
   * observations sit at coords[0..m-1] (0-based visit indices, or times), from
   * theta[0..n_theta-1] on the unconstrained scale. If dsigma is not NULL,
   * also fill n_theta m x m matrices with d sigma / d theta_j, stored one after
   * another. A plugin without analytic derivatives may return 2 when dsigma is
   * requested; the engine then differentiates numerically. sigma must be
   * finite and symmetric (both triangles are checked). */
  int (*sigma)(const double* theta, int n_theta, int n_visits,
               const double* coords, int m, double* sigma, double* dsigma,
               char* err, int err_len);
} glycotrial_covariance_v1;

/* A vectorised index (e.g. HOMA-IR) computed from named numeric inputs. */
typedef struct glycotrial_index_v1 {
  int abi_version;                 /* set to GLYCOTRIAL_PLUGIN_ABI */
  const char* key;                 /* e.g. "homa1_ir" */
  const char* description;
  const char* reference;
  const char* output_unit;         /* e.g. "1" for unitless, "mg/dL*min" */
  int n_inputs;
  const char* const* input_names;  /* n_inputs names */
  const char* const* input_units;  /* n_inputs units the callback expects */
  /* inputs[j][i] is input j of row i; write n results into out (NaN for a row
   * where the index is undefined; out starts as NaN, so a row left unwritten
   * is NA). Inputs named after a quantity glycotrial converts (glucose,
   * insulin, cpeptide, creatinine, time, weight, height, age, bmi, hba1c,
   * sex, value) must declare one of its units, spelled as in
   * index_units(); registration refuses other units. */
  int (*compute)(int n, const double* const* inputs, double* out,
                 char* err, int err_len);
} glycotrial_index_v1;

/* Flags of the registration functions (bitwise or).
 * GLYCOTRIAL_REGISTER_OVERWRITE replaces a plugin of the same key registered
 * by a package. The plugins built into glycotrial (e.g. covariance "us",
 * index "homa1_ir") are protected: replacing one also needs
 * GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN, and glycotrial then tells the user
 * (a message of class glycotrial_message_builtin_override naming the
 * package). The built-in comes back when the override is unregistered or its
 * shared library unloaded. */
#define GLYCOTRIAL_REGISTER_OVERWRITE 1
#define GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN 2

/* Signatures of the registration functions exported with R_RegisterCCallable.
 * v1: `overwrite` takes the flags above (0 refuses a key that is already
 * registered); the shared library owning the callbacks is found from their
 * addresses.
 * v2 (preferred): also names the owning shared library `dll` (the name R
 * gives it: the package name for a package's DLL, as in R_init_<dll>), so
 * glycotrial can drop the plugin when that library is unloaded instead of
 * calling into unmapped code; NULL means "find it from the callbacks".
 * Return 0 on success, non-zero with a message in err otherwise. */
typedef int (*glycotrial_register_covariance_v1_fn)(const glycotrial_covariance_v1* plugin,
                                                    const char* package, int overwrite,
                                                    char* err, int err_len);
typedef int (*glycotrial_register_index_v1_fn)(const glycotrial_index_v1* plugin,
                                               const char* package, int overwrite,
                                               char* err, int err_len);
typedef int (*glycotrial_register_covariance_v2_fn)(const glycotrial_covariance_v1* plugin,
                                                    const char* package, const char* dll,
                                                    int flags, char* err, int err_len);
typedef int (*glycotrial_register_index_v2_fn)(const glycotrial_index_v1* plugin,
                                               const char* package, const char* dll, int flags,
                                               char* err, int err_len);

#ifdef __cplusplus
}
#endif

#endif
