# Stage 1 of mmrm_fit(): the formula. Splits the covariance term
# (`us(AVISIT | USUBJID)`, `ar1(AVISIT | ARM / USUBJID)`, ...) from the fixed
# effects and looks up the covariance structure in the registry
# (R/plugins_covariance.R). No data are touched here.

split_plus <- function(e) {
  if (is.call(e) && identical(e[[1]], as.name("+")) && length(e) == 3) {
    c(split_plus(e[[2]]), list(e[[3]]))
  } else {
    list(e)
  }
}

is_cov_term <- function(e) {
  is.call(e) && is.name(e[[1]]) && length(e) == 2 && is.call(e[[2]]) &&
    identical(e[[2]][[1]], as.name("|"))
}

#' Parse an MMRM formula (stage 1 of mmrm_fit())
#'
#' The first of the stages [mmrm_fit()] chains, after the modular interface
#' of lme4 (`lFormula()`, `mkLmerDevfun()`, `optimizeLmer()`, `mkMerMod()`):
#' `mmrm_formula()` -> [mmrm_design()] -> [mmrm_engine()] -> `mmrm_optimise()`
#' -> [mmrm_result()]. It splits the covariance term from the fixed effects
#' and looks up the covariance structure; the data are not needed yet.
#'
#' @param formula Model formula with exactly one covariance term, e.g.
#'   `CHG ~ ARM * AVISIT + us(AVISIT | USUBJID)` or
#'   `CHG ~ ARM + ar1(AVISIT | ARM / USUBJID)` (grouped). A parsed formula is
#'   returned unchanged.
#' @return An object of class `glycotrial_mmrm_formula`, a list with
#'   `formula` (as given), `fixed` (without the covariance term), `response`,
#'   `key` (the structure, e.g. `"us"`), `plugin` (its registry entry),
#'   `visit`, `subject`, `group` (column names; `group` `NULL` when
#'   ungrouped) and `cov_term` (the covariance term as a call).
#' @seealso [mmrm_fit()], which chains all stages.
#' @examples
#' f <- mmrm_formula(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID))
#' f
#' f$fixed
#' f$key
#' @export
mmrm_formula <- function(formula) {
  if (inherits(formula, "glycotrial_mmrm_formula")) return(formula)
  if (!inherits(formula, "formula")) {
    glycotrial_abort("{.arg formula} must be a formula, not {describe_value(formula)}.", call = NULL)
  }
  if (length(formula) != 3) {
    glycotrial_abort("{.arg formula} needs a response on the left-hand side, e.g. {.code CHG ~ ARM + us(AVISIT | USUBJID)}.",
                     call = NULL)
  }
  terms_rhs <- split_plus(formula[[3]])
  is_cov <- vapply(terms_rhs, is_cov_term, logical(1))
  if (!any(is_cov)) {
    glycotrial_abort(c(
      "{.arg formula} has no covariance term.",
      "i" = "Add one such as {.code us(AVISIT | USUBJID)} or {.code ar1(AVISIT | ARM / USUBJID)}."),
      call = NULL)
  }
  if (sum(is_cov) > 1) {
    glycotrial_abort("{.arg formula} must have exactly one covariance term; found {sum(is_cov)}.",
                     call = NULL)
  }
  ct <- terms_rhs[[which(is_cov)]]
  key <- as.character(ct[[1]])
  inner <- ct[[2]]
  lhs <- inner[[2]]
  rhs <- inner[[3]]
  if (!is.name(lhs)) {
    glycotrial_abort("The visit (or time) in {.code {deparse(ct)}} must be a single column name.",
                     call = NULL)
  }
  group <- NULL
  if (is.call(rhs) && identical(rhs[[1]], as.name("/"))) {
    group <- rhs[[2]]
    rhs <- rhs[[3]]
    if (!is.name(group)) {
      glycotrial_abort("The group in {.code {deparse(ct)}} must be a single column name.", call = NULL)
    }
    group <- as.character(group)
  }
  if (!is.name(rhs)) {
    glycotrial_abort("The subject in {.code {deparse(ct)}} must be a single column name.", call = NULL)
  }
  plugin <- covariance_plugin(key)
  rest <- terms_rhs[!is_cov]
  rhs_fixed <- if (length(rest)) Reduce(function(a, b) call("+", a, b), rest) else 1
  fixed <- formula
  fixed[[3]] <- rhs_fixed
  environment(fixed) <- environment(formula)
  structure(list(formula = formula, fixed = fixed, response = deparse(formula[[2]]),
                 key = key, plugin = plugin, visit = as.character(lhs), subject = as.character(rhs),
                 group = group, cov_term = ct),
            class = "glycotrial_mmrm_formula")
}

#' @export
print.glycotrial_mmrm_formula <- function(x, ...) {
  cat("<glycotrial_mmrm_formula> ", deparse1(x$formula), "\n", sep = "")
  cat("  fixed effects: ", deparse1(x$fixed), "\n", sep = "")
  cat("  covariance:    ", x$key, " over visit ", x$visit, ", subject ", x$subject,
      if (!is.null(x$group)) paste0(", by group ", x$group), "\n", sep = "")
  invisible(x)
}
