# A tiny compiled plugin, written here and built with `R CMD SHLIB` into a
# temporary directory (once per R process): it registers plugins through the
# C API of inst/include/glycotrial/ with the flags and DLL name a test asks
# for, so the registry's lifecycle (register, override, unload) and its
# output checks can be exercised with real compiled callbacks.
tiny_plugin_source <- '
#include <math.h>
#include <string.h>
#include <glycotrial/glycotrial.h>
#include <Rinternals.h>

static int cs_n_theta(int n_visits) { return 2; }
static int huge_n_theta(int n_visits) { return 2000000000; }
static int cs_sigma(const double* th, int k, int n_visits, const double* coords, int m,
                    double* s, double* ds, char* err, int len) {
  if (ds != NULL) return 2;
  double v = exp(2 * th[0]), rho = tanh(th[1]);
  for (int j = 0; j < m; ++j)
    for (int i = 0; i < m; ++i) s[i + j * m] = v * (i == j ? 1.0 : rho);
  return 0;
}
/* lower triangle differs from the upper one */
static int asym_sigma(const double* th, int k, int n_visits, const double* coords, int m,
                      double* s, double* ds, char* err, int len) {
  if (ds != NULL) return 2;
  for (int j = 0; j < m; ++j)
    for (int i = 0; i < m; ++i) s[i + j * m] = i == j ? 1.0 : (i > j ? 0.5 : 0.1);
  return 0;
}
static int sum_compute(int n, const double* const* in, double* out, char* err, int len) {
  for (int i = 0; i < n; ++i) out[i] = in[0][i] + in[1][i];
  return 0;
}
static int silent_compute(int n, const double* const* in, double* out, char* err, int len) {
  return 0; /* writes nothing */
}
static const char* gi_names[] = {"glucose", "insulin"};
static const char* gi_units[] = {"mmol/L", "uU/mL"};
static const char* bad_units[] = {"furlong", "uU/mL"};

/* what: 0 cs, 1 huge n_theta, 2 asymmetric; key and flags from R; dll NULL
   (v1 entry point) when use_v2 is FALSE. Returns the error text ("" = ok). */
SEXP tp_register_cov(SEXP key, SEXP what, SEXP flags, SEXP use_v2) {
  glycotrial_covariance_v1 p = {GLYCOTRIAL_PLUGIN_ABI, CHAR(STRING_ELT(key, 0)),
                                "tiny plugin", "test", 0, cs_n_theta, cs_sigma};
  int w = Rf_asInteger(what);
  if (w == 1) p.n_theta = huge_n_theta;
  if (w == 2) p.sigma = asym_sigma;
  char err[512] = "";
  if (Rf_asLogical(use_v2))
    glycotrial_register_covariance2(&p, "tinyplug", "tinyplug", Rf_asInteger(flags), err, sizeof(err));
  else
    glycotrial_register_covariance(&p, "tinyplug", Rf_asInteger(flags), err, sizeof(err));
  return Rf_mkString(err);
}

/* what: 0 sum, 1 writes nothing, 2 undeclared unit */
SEXP tp_register_index(SEXP key, SEXP what, SEXP flags, SEXP use_v2) {
  glycotrial_index_v1 p = {GLYCOTRIAL_PLUGIN_ABI, CHAR(STRING_ELT(key, 0)), "tiny index",
                           "test", "1", 2, gi_names, gi_units, sum_compute};
  int w = Rf_asInteger(what);
  if (w == 1) p.compute = silent_compute;
  if (w == 2) p.input_units = bad_units;
  char err[512] = "";
  if (Rf_asLogical(use_v2))
    glycotrial_register_index2(&p, "tinyplug", "tinyplug", Rf_asInteger(flags), err, sizeof(err));
  else
    glycotrial_register_index(&p, "tinyplug", Rf_asInteger(flags), err, sizeof(err));
  return Rf_mkString(err);
}
'

# Path of the built shared library (named tinyplug), or skips the test when
# no compiler is available.
tiny_plugin_path <- function() {
  cache <- getOption("glycotrial.test.tinyplug")
  if (!is.null(cache) && file.exists(cache)) return(cache)
  dir <- tempfile("tinyplug")
  dir.create(dir)
  writeLines(tiny_plugin_source, file.path(dir, "tinyplug.c"))
  inc <- system.file("include", package = "glycotrial")
  rbin <- file.path(R.home("bin"), "R")
  out <- withr::with_dir(dir, withr::with_envvar(
    c(PKG_CPPFLAGS = paste0("-I", shQuote(inc))),
    suppressWarnings(system2(rbin, c("CMD", "SHLIB", "tinyplug.c"), stdout = TRUE, stderr = TRUE))
  ))
  so <- file.path(dir, paste0("tinyplug", .Platform$dynlib.ext))
  if (!file.exists(so)) testthat::skip(paste("cannot build the test plugin:", paste(out, collapse = "\n")))
  options(glycotrial.test.tinyplug = so)
  so
}

# Loads the tiny plugin into this process (unloaded, with whatever it
# registered removed, when the calling test ends).
load_tiny_plugin <- function(env = parent.frame()) {
  so <- tiny_plugin_path()
  if (!"tinyplug" %in% names(getLoadedDLLs())) dyn.load(so)
  withr::defer({
    for (k in c("covariance", "index")) {
      p <- glycotrial_plugins(k)
      for (key in p$key[p$package == "tinyplug"]) {
        suppressMessages(unregister_plugin(k, key))
      }
    }
    if ("tinyplug" %in% names(getLoadedDLLs())) dyn.unload(so)
  }, envir = env)
  invisible(so)
}

tp_register_cov <- function(key, what = 0L, flags = 1L, v2 = TRUE) {
  .Call("tp_register_cov", key, as.integer(what), as.integer(flags), v2, PACKAGE = "tinyplug")
}
tp_register_index <- function(key, what = 0L, flags = 1L, v2 = TRUE) {
  .Call("tp_register_index", key, as.integer(what), as.integer(flags), v2, PACKAGE = "tinyplug")
}
