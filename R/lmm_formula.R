# Formula handling for fit_lmm(), for one and several grouping factors:
# split an lme4-style formula into the fixed part, random-effect terms
# `(lhs | group)` / `(lhs || group)` and an optional residual covariance term
# `key(time | group)` naming a registered covariance plugin
# (lmm_parse_formula(), exported as a stage like lme4's lFormula()); and,
# when the terms use several grouping factors or nested/interaction
# groupings (`g1/g2`, `g1:g2`), the parse of the sparse path
# (lmm_sparse_parse()). Designs: R/lmm_dense.R, R/lmm_sparse.R,
# R/lmm_design_common.R.

# Top-level summands of a formula right-hand side.
lmm_split_terms <- function(expr) {
  if (is.call(expr) && identical(expr[[1]], as.name("+")) && length(expr) == 3) {
    return(c(lmm_split_terms(expr[[2]]), lmm_split_terms(expr[[3]])))
  }
  list(expr)
}

lmm_is_bar <- function(e) {
  if (is.call(e) && identical(e[[1]], as.name("("))) e <- e[[2]]
  is.call(e) && (identical(e[[1]], as.name("|")) || identical(e[[1]], as.name("||")))
}

#' Parse an LMM formula into its fixed, random and residual parts
#'
#' The first stage of [fit_lmm()]: splits an lme4-style formula into the
#' fixed-effects formula, the random-effect terms for one grouping factor and
#' an optional residual covariance term naming a registered covariance
#' structure (see `glycotrial_plugins("covariance")`). A formula needs at
#' least one random-effect term or a residual covariance term (or both).
#'
#' @param formula A two-sided formula such as
#'   `AVAL ~ ARM * WEEK + (1 + WEEK | USUBJID)`, optionally with a residual
#'   term such as `ar1(AVISIT | USUBJID)`.
#' @param covariance_keys Names of the residual covariance structures
#'   recognised as terms; defaults to the registered covariance plugins.
#' @return A list with `fixed` (formula), `random` (a list of terms, each with
#'   `lhs` (one-sided formula), `group` (name) and `double_bar`), `group`
#'   (the grouping variable name) and `residual` (`NULL` or a list with `key`,
#'   `time`, `group`).
#' @examples
#' lmm_parse_formula(Reaction ~ Days + (1 + Days | Subject))
#' @export
lmm_parse_formula <- function(formula, covariance_keys = NULL) {
  if (!inherits(formula, "formula") || length(formula) != 3) {
    glycotrial_abort("{.arg formula} must be a two-sided formula, not {describe_value(formula)}.")
  }
  if (is.null(covariance_keys)) covariance_keys <- lmm_covariance_keys()
  terms <- lmm_split_terms(formula[[3]])
  fixed <- list()
  random <- list()
  residual <- NULL
  for (e in terms) {
    if (lmm_is_bar(e)) {
      b <- if (identical(e[[1]], as.name("("))) e[[2]] else e
      grp <- b[[3]]
      if (!is.name(grp)) {
        glycotrial_abort(c("The grouping factor of a random-effect term must be a single column name.",
                           "x" = "Found {.code {deparse(grp)}} in {.code {deparse(e)}}."))
      }
      random[[length(random) + 1]] <- list(
        lhs = stats::as.formula(call("~", b[[2]]), env = environment(formula)),
        group = as.character(grp), double_bar = identical(b[[1]], as.name("||")))
    } else if (is.call(e) && is.name(e[[1]]) && as.character(e[[1]]) %in% covariance_keys) {
      residual <- lmm_parse_residual_term(e, residual, call = sys.call())
    } else {
      fixed[[length(fixed) + 1]] <- e
    }
  }
  if (length(random) == 0 && is.null(residual)) {
    glycotrial_abort(c("{.arg formula} has neither a random-effect term nor a residual covariance term.",
                       "i" = "Add a term such as {.code (1 | USUBJID)} or {.code ar1(AVISIT | USUBJID)}; for models without random effects you can also use {.fn mmrm_fit}."))
  }
  groups <- unique(c(vapply(random, `[[`, "", "group"), residual$group))
  if (length(groups) > 1) {
    glycotrial_abort(c("All random-effect and residual terms must share one grouping factor.",
                       "x" = "Found {.field {groups}}."))
  }
  rhs <- if (length(fixed)) Reduce(function(a, b) call("+", a, b), fixed) else 1
  fixed_formula <- stats::as.formula(call("~", formula[[2]], rhs), env = environment(formula))
  list(fixed = fixed_formula, random = random, group = groups, residual = residual)
}

# A residual covariance term `key(TIME | SUBJECT)` of either path: its key,
# time and subject columns (`residual`: the term found so far, at most one).
lmm_parse_residual_term <- function(e, residual, call) {
  key <- as.character(e[[1]])
  inner <- if (length(e) == 2) e[[2]] else NULL
  if (!is.call(inner) || !identical(inner[[1]], as.name("|")) || !is.name(inner[[2]]) ||
      !is.name(inner[[3]])) {
    glycotrial_abort(c("A residual covariance term must look like {.code {key}(TIME | SUBJECT)}.",
                       "x" = "Found {.code {deparse(e)}}."), call = call)
  }
  if (!is.null(residual)) {
    glycotrial_abort("{.arg formula} may contain only one residual covariance term.", call = call)
  }
  list(key = key, time = as.character(inner[[2]]), group = as.character(inner[[3]]))
}

lmm_covariance_keys <- function() {
  keys <- tryCatch(glycotrial_plugins("covariance")$key, error = function(e) character())
  unique(keys)
}

cpp_compiled_plugin_spatial <- function(key) {
  entry <- get_plugin("covariance", key)
  if (!inherits(entry$impl, "glycotrial_compiled_plugin")) {
    glycotrial_abort("Covariance structure {.val {key}} is an R plugin; the LMM core needs a compiled structure.")
  }
  list(spatial = cpp_lmm_plugin_spatial(key))
}

# ---- several grouping factors (the sparse path, R/lmm_sparse.R) ----------------

# Does the formula need the several-grouping-factor path?
lmm_sparse_needed <- function(formula) {
  if (!inherits(formula, "formula") || length(formula) != 3) return(FALSE)
  bars <- Filter(lmm_is_bar, lmm_split_terms(formula[[3]]))
  if (!length(bars)) return(FALSE)
  grp <- lapply(bars, function(e) {
    b <- if (identical(e[[1]], as.name("("))) e[[2]] else e
    b[[3]]
  })
  if (any(!vapply(grp, is.name, logical(1)))) return(TRUE)
  # a residual term `key(TIME | SUBJECT)` whose subject is not the random
  # effects' factor (e.g. (1 | SITE) + ar1(AVISIT | USUBJID)) counts as a
  # second grouping factor
  keys <- lmm_covariance_keys()
  res <- Filter(function(e) is.call(e) && is.name(e[[1]]) && as.character(e[[1]]) %in% keys &&
                  length(e) == 2 && is.call(e[[2]]) && identical(e[[2]][[1]], as.name("|")),
                lmm_split_terms(formula[[3]]))
  grp <- c(grp, lapply(res, function(e) e[[2]][[3]]))
  length(unique(vapply(grp, function(g) paste(deparse(g), collapse = ""), ""))) > 1
}

# Components of a grouping expression: `a` -> "a"; `a:b` -> c("a", "b").
lmm_sparse_components <- function(g, formula) {
  if (is.name(g)) return(as.character(g))
  if (is.call(g) && identical(g[[1]], as.name(":")) && length(g) == 3) {
    return(c(lmm_sparse_components(g[[2]], formula), lmm_sparse_components(g[[3]], formula)))
  }
  glycotrial_abort(c("A grouping factor must be a column name, an interaction {.code a:b} or a nesting {.code a/b}.",
                     "x" = "Found {.code {deparse(g)}} in {.code {paste(deparse(formula), collapse = ' ')}}."),
                   call = NULL)
}

# Expand `a/b/c` into the groupings a, b:a, c:b:a (lme4's names).
lmm_sparse_expand_group <- function(g, formula) {
  if (is.call(g) && identical(g[[1]], as.name("/")) && length(g) == 3) {
    outer <- lmm_sparse_expand_group(g[[2]], formula)
    inner <- lmm_sparse_components(g[[3]], formula)
    last <- outer[[length(outer)]]
    return(c(outer, list(c(inner, last))))
  }
  list(lmm_sparse_components(g, formula))
}

# Parse: fixed formula and a list of random terms, each with `lhs`
# (one-sided formula), `vars` (grouping columns, innermost first), `label`
# (e.g. "cask:batch") and `double_bar`.
lmm_sparse_parse <- function(formula) {
  keys <- lmm_covariance_keys()
  fixed <- list()
  random <- list()
  residual <- NULL
  for (e in lmm_split_terms(formula[[3]])) {
    if (lmm_is_bar(e)) {
      b <- if (identical(e[[1]], as.name("("))) e[[2]] else e
      for (v in lmm_sparse_expand_group(b[[3]], formula)) {
        random[[length(random) + 1]] <- list(
          lhs = stats::as.formula(call("~", b[[2]]), env = environment(formula)),
          vars = v, label = paste(v, collapse = ":"),
          double_bar = identical(b[[1]], as.name("||")))
      }
    } else if (is.call(e) && is.name(e[[1]]) && as.character(e[[1]]) %in% keys) {
      residual <- lmm_parse_residual_term(e, residual, call = NULL)
    } else {
      fixed[[length(fixed) + 1]] <- e
    }
  }
  rhs <- if (length(fixed)) Reduce(function(a, b) call("+", a, b), fixed) else 1
  list(fixed = stats::as.formula(call("~", formula[[2]], rhs), env = environment(formula)),
       random = random, residual = residual, formula = formula)
}
