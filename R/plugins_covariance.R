# Covariance structures for mmrm_fit(): the plugin kind "covariance", the
# R-level register_covariance(), and the checked parameter count of any
# structure (compiled or R) for a number of visits. The built-in structures
# are compiled plugins registered at load through
# glycotrial_register_covariance_v1(), the C entry point other packages use
# (src/r_mmrm.cpp); sync_compiled_plugins() mirrors them here with package
# "glycotrial" and implementation "C++".

#' @include plugins_registry.R
NULL

validate_covariance_plugin <- function(impl, meta) {
  if (inherits(impl, "glycotrial_compiled_plugin")) return(invisible(TRUE))
  if (!is.list(impl) || !is.function(impl$n_theta) || !is.function(impl$sigma)) {
    stop("a covariance plugin needs functions `n_theta(n_visits)` and ",
         "`sigma(theta, n_visits, coords)`")
  }
  if (!is.logical(impl$spatial) || length(impl$spatial) != 1 || is.na(impl$spatial)) {
    stop("`spatial` must be TRUE or FALSE")
  }
  invisible(TRUE)
}

add_builtin_plugins("mmrm", function() {
  register_plugin_kind(
    "covariance", validate = validate_covariance_plugin,
    description = "Residual covariance structures for mmrm_fit()")
})

#' Register a covariance structure for mmrm_fit()
#'
#' Adds a residual covariance structure written in R. Once registered, its key
#' can be used in a [mmrm_fit()] formula exactly like a built-in structure,
#' e.g. `my_cs(AVISIT | USUBJID)`. The engine evaluates `sigma()` on the R
#' main thread once per covariance pattern and evaluation. Compiled structures
#' are added from C/C++ through `glycotrial_register_covariance_v1()` (see
#' `inst/include/glycotrial/plugin_api.h`); the built-ins are registered that
#' way.
#'
#' @param key Name used in formulas: letters, digits, `_`, `.`.
#' @param n_theta `function(n_visits)` returning the number of parameters for
#'   a structure over `n_visits` visits.
#' @param sigma `function(theta, n_visits, coords)` returning the `m x m`
#'   covariance matrix at the visits `coords` (0-based visit indices, or times
#'   for spatial structures) from unconstrained parameters `theta`. It may
#'   attach an attribute `"gradient"`: a list of `length(theta)` matrices
#'   with the derivatives in each parameter; otherwise the engine uses central
#'   differences.
#' @param spatial `TRUE` when coordinates are continuous times.
#' @param start Optional `function(n_visits)` giving starting values
#'   (default: zeros).
#' @param description,reference One line each, shown by
#'   `glycotrial_plugins("covariance")`.
#' @param overwrite Replace an existing structure of the same key?
#' @param override_builtin Replace a structure built into glycotrial (such as
#'   `"us"`)? Needs `overwrite = TRUE` too; emits a message of class
#'   `glycotrial_message_builtin_override`.
#' @return The registry entry, invisibly.
#' @examples
#' # Compound symmetry with theta = (log sd, Fisher z of rho).
#' register_covariance(
#'   "my_cs",
#'   n_theta = function(n_visits) 2L,
#'   sigma = function(theta, n_visits, coords) {
#'     m <- length(coords)
#'     s <- matrix(tanh(theta[2]), m, m)
#'     diag(s) <- 1
#'     exp(2 * theta[1]) * s
#'   },
#'   description = "Compound symmetry written in R"
#' )
#' glycotrial_plugins("covariance")[, c("key", "package", "implementation")]
#' unregister_plugin("covariance", "my_cs")
#' @export
register_covariance <- function(key, n_theta, sigma, spatial = FALSE, start = NULL,
                                description = "", reference = NA_character_,
                                overwrite = FALSE, override_builtin = FALSE) {
  check_plugin_key(key)
  if (!is.function(n_theta)) {
    glycotrial_abort("{.arg n_theta} must be a function of {.code n_visits}, not {describe_value(n_theta)}.")
  }
  if (!is.function(sigma)) {
    glycotrial_abort("{.arg sigma} must be a function of {.code (theta, n_visits, coords)}, not {describe_value(sigma)}.")
  }
  if (!is.null(start) && !is.function(start)) {
    glycotrial_abort("{.arg start} must be NULL or a function of {.code n_visits}, not {describe_value(start)}.")
  }
  # The engine calls n_theta(n_visits) and sigma(theta, n_visits, coords):
  # refuse functions that cannot take those arguments now rather than with
  # an "unused argument" error in the middle of a fit.
  takes <- function(f, k) {
    fm <- names(formals(f))
    is.primitive(f) || "..." %in% fm || length(fm) >= k
  }
  if (!takes(n_theta, 1)) {
    glycotrial_abort("{.arg n_theta} must accept one argument ({.code n_visits}); it takes none.")
  }
  if (!takes(sigma, 3)) {
    glycotrial_abort("{.arg sigma} must accept three arguments {.code (theta, n_visits, coords)}; it takes {length(formals(sigma))}.")
  }
  check_flag(spatial)
  check_flag(overwrite)
  check_flag(override_builtin)
  sync_compiled_plugins()
  old <- plugin_entry("covariance", key)
  if (!is.null(old) && inherits(old$impl, "glycotrial_compiled_plugin") && !overwrite &&
      !isTRUE(old$builtin)) {
    glycotrial_abort(c(
      "A covariance structure with key {.val {key}} is already registered (by {.pkg {old$package}}).",
      "i" = "Choose another key."),
      class = c("input", "glycotrial_error_registry_conflict"))
  }
  impl <- list(n_theta = n_theta, sigma = sigma, spatial = spatial, start = start)
  register_plugin("covariance", key, impl, description = description,
                  reference = reference, overwrite = overwrite,
                  override_builtin = override_builtin)
}

# The covariance plugin for a key: list(key, compiled, spatial, impl).
covariance_plugin <- function(key, call = NULL) {
  entry <- plugin_entry("covariance", key)
  # Fast path (mmrm_fit() calls this on every fit): an R plugin, or a
  # compiled one the C++ registry still has, needs no full registry sync.
  known <- !is.null(entry) &&
    (!inherits(entry$impl, "glycotrial_compiled_plugin") ||
       !is.null(tryCatch(cpp_covariance_info(key, 1L), error = function(e) NULL)))
  if (!known) {
    sync_compiled_plugins()
    entry <- plugin_entry("covariance", key)
  }
  if (is.null(entry)) {
    abort_if_unloaded("covariance", key, call = call)
    builtin <- key %in% c("us", "toep", "toeph", "ar1", "ar1h", "ad", "adh", "cs", "csh", "sp_exp", "sp_gau")
    glycotrial_abort(c(
      "Unknown covariance structure {.val {key}} in {.arg formula}.",
      "i" = "Registered structures: {.val {plugin_keys('covariance')}}.",
      "i" = if (builtin) "{.val {key}} is a built-in structure that was unregistered in this session ({.fun unregister_plugin}); restart R to restore it." else "Add one with {.fun register_covariance}."),
      class = c("input", "glycotrial_error_unknown_plugin"), call = call)
  }
  compiled <- inherits(entry$impl, "glycotrial_compiled_plugin")
  spatial <- if (compiled) cpp_covariance_info(key, 1L)$spatial else isTRUE(entry$impl$spatial)
  impl <- entry$impl
  if (!compiled) {
    # Errors inside the user's functions become glycotrial_error_plugin_failed
    # (keeping their message); the engine calls these wrappers.
    for (f in intersect(c("n_theta", "sigma", "start"), names(impl))) {
      if (is.function(impl[[f]])) impl[[f]] <- wrap_plugin_function(impl[[f]], "covariance", key, f)
    }
  }
  list(key = key, compiled = compiled, spatial = spatial, impl = impl)
}

# Number of parameters of a structure over n_visits visits.
covariance_n_theta <- function(plugin, n_visits) {
  k <- if (plugin$compiled) {
    cpp_covariance_info(plugin$key, as.integer(n_visits))$n_theta
  } else {
    plugin$impl$n_theta(n_visits)
  }
  if (!is.numeric(k) || length(k) != 1 || !is.finite(k) || k != round(k) || k < 0) {
    glycotrial_abort("{.arg n_theta} of covariance structure {.val {plugin$key}} must return one whole number for {n_visits} visit{?s}; it returned {describe_value(k)}.",
                     class = c("glycotrial_error_plugin_output", "glycotrial_error_input"),
                     call = NULL)
  }
  check_plugin_n_theta(plugin$key, k, n_visits)
  as.integer(k)
}
