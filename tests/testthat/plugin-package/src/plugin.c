/* A compiled index and a compiled covariance structure, registered with
 * glycotrial through its C API (inst/include/glycotrial/glycotrial.h). */
#include <math.h>
#include <string.h>
#include <glycotrial/glycotrial.h>
#include <Rinternals.h>

static int ratio_compute(int n, const double* const* in, double* out, char* err, int len) {
  for (int i = 0; i < n; ++i) out[i] = in[1][i] > 0 ? in[0][i] / in[1][i] : NAN;
  return 0;
}

static const char* ratio_names[] = {"glucose", "insulin"};
static const char* ratio_units[] = {"mmol/L", "uU/mL"};

static const glycotrial_index_v1 ratio_plugin = {
  GLYCOTRIAL_PLUGIN_ABI, "plugin_glucose_ratio", "Glucose / insulin ratio (test plugin)",
  "test fixture", "mmol/L per uU/mL", 2, ratio_names, ratio_units, ratio_compute};

/* Compound symmetry: theta = (log sd, atanh-like rho transform). */
static int cs_n_theta(int n_visits) { return 2; }
static int cs_sigma(const double* theta, int k, int n_visits, const double* coords, int m,
                    double* sigma, double* dsigma, char* err, int len) {
  double v = exp(2 * theta[0]);
  double rho = tanh(theta[1]);
  if (dsigma != NULL) return 2; /* ask glycotrial for numerical derivatives */
  for (int j = 0; j < m; ++j)
    for (int i = 0; i < m; ++i) sigma[i + j * m] = v * (i == j ? 1.0 : rho);
  return 0;
}

static const glycotrial_covariance_v1 cs_plugin = {
  GLYCOTRIAL_PLUGIN_ABI, "plugin_cs", "Compound symmetry (test plugin)", "test fixture", 0,
  cs_n_theta, cs_sigma};

/* Registered with the DLL name ("glycoplugin", as in R_init_glycoplugin), so
 * glycotrial drops these plugins if this library is unloaded; R/zzz.R's
 * .onUnload unregisters them when the package is unloaded. */
static SEXP glycoplugin_register(void) {
  char err[256];
  if (glycotrial_register_index2(&ratio_plugin, "glycoplugin", "glycoplugin",
                                 GLYCOTRIAL_REGISTER_OVERWRITE, err, sizeof(err)) != 0)
    Rf_error("%s", err);
  if (glycotrial_register_covariance2(&cs_plugin, "glycoplugin", "glycoplugin",
                                      GLYCOTRIAL_REGISTER_OVERWRITE, err, sizeof(err)) != 0)
    Rf_error("%s", err);
  return R_NilValue;
}

static const R_CallMethodDef calls[] = {
  {"glycoplugin_register", (DL_FUNC)&glycoplugin_register, 0}, {NULL, NULL, 0}};

void R_init_glycoplugin(DllInfo* dll) {
  R_registerRoutines(dll, NULL, calls, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
}
