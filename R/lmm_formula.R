# Formula handling for fit_lmm(): split an lme4-style formula into the fixed
# part, random-effect terms `(lhs | group)` / `(lhs || group)` for one
# grouping factor, and an optional residual covariance term `key(time | group)`
# naming a registered covariance plugin. Exposed as stages (parse -> design)
# so that power users can inspect them (cf. lme4::lFormula).

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
      key <- as.character(e[[1]])
      inner <- if (length(e) == 2) e[[2]] else NULL
      if (!is.call(inner) || !identical(inner[[1]], as.name("|")) || !is.name(inner[[2]]) ||
          !is.name(inner[[3]])) {
        glycotrial_abort(c("A residual covariance term must look like {.code {key}(TIME | SUBJECT)}.",
                           "x" = "Found {.code {deparse(e)}}."))
      }
      if (!is.null(residual)) {
        glycotrial_abort("{.arg formula} may contain only one residual covariance term.")
      }
      residual <- list(key = key, time = as.character(inner[[2]]),
                       group = as.character(inner[[3]]))
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

lmm_covariance_keys <- function() {
  keys <- tryCatch(glycotrial_plugins("covariance")$key, error = function(e) character())
  unique(keys)
}

# Random-effects design: one block per term; `||` splits a term into one
# block per column. Returns Z, blocks, block term labels, column names.
lmm_random_design <- function(random, data, call = sys.call(-1)) {
  if (!length(random)) {
    # residual-structure-only model (no random effects)
    return(list(Z = matrix(0, nrow(data), 0), blocks = integer()))
  }
  Zs <- list()
  blocks <- integer()
  names_all <- character()
  for (t in random) {
    vars <- all.vars(t$lhs)
    for (v in vars) {
      if (!v %in% names(data)) {
        glycotrial_abort("{.arg data} lacks column {.field {v}} used in a random-effect term.",
                         call = call)
      }
      lmm_check_re_numeric(data[[v]], v, call = call)
    }
    mm <- stats::model.matrix(t$lhs, data = data)
    if (ncol(mm) == 0) {
      glycotrial_abort("The random-effect term {.code {deparse(t$lhs[[2]])}} has no columns.",
                       call = call)
    }
    if (t$double_bar) {
      for (j in seq_len(ncol(mm))) {
        Zs[[length(Zs) + 1]] <- mm[, j, drop = FALSE]
        blocks <- c(blocks, 1L)
      }
    } else {
      Zs[[length(Zs) + 1]] <- mm
      blocks <- c(blocks, ncol(mm))
    }
    names_all <- c(names_all, colnames(mm))
  }
  Z <- do.call(cbind, Zs)
  colnames(Z) <- make.unique(names_all)
  list(Z = Z, blocks = blocks)
}

# Residual coordinates: visit indices (0-based, in the sorted order of the
# time variable's levels) for visit-based structures, times for spatial ones.
lmm_residual_coords <- function(residual, data, group, call = sys.call(-1)) {
  if (is.null(residual)) return(list(coords = numeric(nrow(data)), n_visits = 0L, levels = NULL))
  tv <- data[[residual$time]]
  if (is.null(tv)) {
    glycotrial_abort("{.arg data} lacks the residual time column {.field {residual$time}}.",
                     call = call)
  }
  info <- cpp_compiled_plugin_spatial(residual$key)
  if (info$spatial) {
    if (!is.numeric(tv)) {
      glycotrial_abort("The spatial structure {.val {residual$key}} needs a numeric time, not {describe_value(tv)}.",
                       call = call)
    }
    lev <- sort(unique(tv))
    coords <- as.numeric(tv)
  } else {
    f <- if (is.factor(tv)) droplevels(tv) else factor(tv)
    lev <- levels(f)
    coords <- as.numeric(f) - 1
  }
  key <- paste(group, coords, sep = "\r")
  if (!info$spatial && anyDuplicated(key)) {
    glycotrial_abort(c("Each subject may have at most one row per visit of {.field {residual$time}}.",
                       "x" = "Subject {.val {group[duplicated(key)][1]}} has duplicates."),
                     call = call)
  }
  list(coords = coords, n_visits = length(lev), levels = lev, spatial = info$spatial)
}

cpp_compiled_plugin_spatial <- function(key) {
  entry <- get_plugin("covariance", key)
  if (!inherits(entry$impl, "glycotrial_compiled_plugin")) {
    glycotrial_abort("Covariance structure {.val {key}} is an R plugin; the LMM core needs a compiled structure.")
  }
  list(spatial = cpp_lmm_plugin_spatial(key))
}
