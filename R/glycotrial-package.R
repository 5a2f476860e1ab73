#' glycotrial: analysis of randomized diabetes trials
#'
#' Mixed models for repeated measures, composite responder analyses,
#' beta-cell function indices, safety summaries and a trial report, computed
#' by a C++17 core. Start with `vignette("getting-started", package =
#' "glycotrial")`; [glycotrial_plugins()] lists everything that is registered.
#'
#' @keywords internal
#' @useDynLib glycotrial, .registration = TRUE
#' @importFrom Rcpp sourceCpp
#' @import stats
#' @importFrom utils modifyList
#' @importFrom methods new
"_PACKAGE"

# Keeps testthat's Catch runner (src/test-runner.cpp) in the native routine
# table that Rcpp::compileAttributes() generates, so that
# testthat::run_cpp_tests("glycotrial") finds it.
cpp_unit_tests <- function(use_xml = FALSE) {
  .Call("run_testthat_tests", use_xml, PACKAGE = "glycotrial")
}
