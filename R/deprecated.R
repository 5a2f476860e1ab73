# Old names kept for one release: mmrm exports fit_mmrm() and
# mmrm_control(), emmeans exports lsmeans(); attached beside glycotrial they
# masked ours (or ours masked theirs) without a word. Each alias warns once
# per call with a classed warning and forwards every argument unchanged.

deprecated_alias <- function(old, new) {
  glycotrial_warn(
    c("{.fun {old}} is deprecated; use {.fun {new}} instead.",
      i = "The old name clashes with a function of the same name in another package and will be removed in the next release."),
    class = "glycotrial_warning_deprecated", old = old, new = new
  )
}

#' Deprecated names
#'
#' `fit_mmrm()`, `mmrm_control()` and `lsmeans()` were renamed to
#' [mmrm_fit()], [mmrm_fit_control()] and [least_squares_means()], because
#' the packages mmrm and emmeans export functions of the same names: with
#' both packages attached, whichever was attached last silently replaced the
#' other. The old names still work for this release, with a warning of class
#' `glycotrial_warning_deprecated`.
#'
#' @param ... Passed unchanged to the new function.
#' @return What the new function returns.
#' @name glycotrial-deprecated
#' @keywords internal
#' @examples
#' ctl <- suppressWarnings(mmrm_control(max_iter = 50))
#' identical(ctl, mmrm_fit_control(max_iter = 50))
NULL

#' @rdname glycotrial-deprecated
#' @export
fit_mmrm <- function(...) {
  deprecated_alias("fit_mmrm", "mmrm_fit")
  mmrm_fit(...)
}

#' @rdname glycotrial-deprecated
#' @export
mmrm_control <- function(...) {
  deprecated_alias("mmrm_control", "mmrm_fit_control")
  mmrm_fit_control(...)
}

#' @rdname glycotrial-deprecated
#' @export
lsmeans <- function(...) {
  deprecated_alias("lsmeans", "least_squares_means")
  least_squares_means(...)
}
