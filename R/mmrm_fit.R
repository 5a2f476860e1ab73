# mmrm_fit(): parse the formula, prepare the data, build the C++ engine
# (src/core/mmrm/engine.hpp), optimise the REML/ML deviance with its analytic
# gradient, and assemble a glycotrial_mmrm object. The stages are separate
# functions (mmrm_parse_formula -> mmrm_design -> mmrm_fit_design ->
# mmrm_assemble) so that they can be reused.

mmrm_df_methods <- c("Kenward-Roger", "Kenward-Roger-Linear", "Satterthwaite",
                     "Between-Within", "Residual")
mmrm_vcov_types <- c("Asymptotic", "Kenward-Roger", "Kenward-Roger-Linear", "Empirical",
                     "Empirical-Jackknife", "Empirical-Bias-Reduced")

#' Control options for mmrm_fit()
#'
#' @param optimizers Optimisers tried in turn until one converges (a small
#'   gradient and a positive definite Hessian: a minimum, not a saddle point;
#'   each starts from the best point so far, moved off a saddle point along
#'   the direction of negative curvature; spatial structures then also try
#'   further starts of the range parameter):
#'   `"newton"` (Newton-Raphson with the exact Hessian of the C++ engine,
#'   Levenberg damping where it is not positive definite, and a line
#'   search), `"nlminb"`, `"BFGS"`, `"L-BFGS-B"` (driven with the analytic
#'   gradient).
#' @param start Optional starting values for the covariance parameters
#'   (unconstrained scale, all groups concatenated); `NULL` derives them from
#'   the empirical covariance of ordinary least-squares residuals (for
#'   `sp_exp`/`sp_gau`: the range parameter from the median within-subject
#'   distance of the times, so that the start suits their unit).
#' @param max_iter Maximum iterations per optimiser (at most
#'   `.Machine$integer.max`).
#' @param rel_tol Relative tolerance of the deviance for `nlminb`.
#' @param grad_tol Convergence is declared when the largest absolute gradient
#'   of the deviance is below `grad_tol * max(1, |deviance|)` after the
#'   optimiser and up to three Newton polishing steps.
#' @param accept_singular Drop aliased (linearly dependent) columns of the
#'   design matrix and report their coefficients as `NA` (as mmrm does)?
#'   With `FALSE` a rank-deficient design is an error.
#' @return A list of class `glycotrial_mmrm_control`.
#' @examples
#' mmrm_fit_control(optimizers = "BFGS")
#' @export
mmrm_fit_control <- function(optimizers = c("newton", "nlminb", "BFGS", "L-BFGS-B"), start = NULL,
                         max_iter = 1000L, rel_tol = 1e-12, grad_tol = 1e-6,
                         accept_singular = TRUE) {
  if (!is.character(optimizers) || !length(optimizers) ||
      !all(optimizers %in% c("newton", "nlminb", "BFGS", "L-BFGS-B"))) {
    glycotrial_abort("{.arg optimizers} must be a subset of {.val {c('newton', 'nlminb', 'BFGS', 'L-BFGS-B')}}; found {.val {optimizers}}.")
  }
  if (!is.null(start)) check_number(start, len = NULL)
  check_count(max_iter, lower = 1, len = 1)
  if (max_iter > .Machine$integer.max) {
    glycotrial_abort("{.arg max_iter} must be at most {(.Machine$integer.max)}; found {format(max_iter)}. A few hundred iterations are plenty: if an optimiser needs more, try another structure or rescale the data.")
  }
  check_number(rel_tol, lower = 0, open = TRUE)
  check_number(grad_tol, lower = 0, open = TRUE)
  check_flag(accept_singular)
  structure(list(optimizers = optimizers, start = start, max_iter = as.integer(max_iter),
                 rel_tol = rel_tol, grad_tol = grad_tol, accept_singular = accept_singular),
            class = "glycotrial_mmrm_control")
}

#' Fit a mixed model for repeated measures (MMRM)
#'
#' Fits a linear model with correlated residuals within subjects by REML or
#' ML, mmrm-style. The covariance structure is a term of the formula, e.g.
#' `CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID)`, grouped by a factor
#' with `us(AVISIT | ARM / USUBJID)` (separate parameters per group), or
#' spatial in a numeric time with `sp_exp(ADY | USUBJID)`. Built-in
#' structures: `us`, `toep`, `toeph`, `ar1`, `ar1h`, `ad`, `adh`, `cs`,
#' `csh`, `sp_exp`, `sp_gau` (same parametrisation as the R package mmrm);
#' structures added with [register_covariance()] or from compiled code work
#' the same way. The computation (per-visit-pattern moments, deviance,
#' analytic gradient, exact Hessian for Newton-Raphson and the covariance of
#' the variance parameters, Jacobians for the degrees of freedom) runs in C++.
#'
#' Rows with a missing response are not used (MMRM analyses the observed data
#' under missing at random); rows with missing covariates, visit, subject or
#' group are dropped with a message giving their number. Aliased design
#' columns give `NA` coefficients (see `mmrm_fit_control(accept_singular)`).
#'
#' @param formula Model formula with exactly one covariance term.
#' @param data Data frame in long format (one row per subject and visit), or a
#'   data source from [mmrm_data_dbi()], [mmrm_data_csv()] or
#'   [mmrm_data_chunks()] (fitted from pattern moments; also used for data
#'   frames of at least `getOption("glycotrial.mmrm_moment_rows", 250000)` rows).
#'   The visit levels of a data frame are put in visit order first (by
#'   `AVISITN` when present, with a message; see [order_visits()]).
#' @param reml Use REML (default) or ML.
#' @param weights Optional positive observation weights: a numeric vector of
#'   length `nrow(data)` or the name of a column of `data`. Subject `i`'s
#'   covariance is `W^{-1/2} Sigma W^{-1/2}`, as in mmrm.
#' @param df Degrees-of-freedom method for tests and intervals:
#'   `"Kenward-Roger"`, `"Kenward-Roger-Linear"`, `"Satterthwaite"`,
#'   `"Between-Within"` or `"Residual"`. With an empirical (sandwich) `vcov`,
#'   Satterthwaite df are those of Bell & McCaffrey (2002), as in mmrm.
#' @param vcov Covariance of the coefficients: `"Asymptotic"`,
#'   `"Kenward-Roger"`, `"Kenward-Roger-Linear"`, `"Empirical"` (CR0
#'   sandwich), `"Empirical-Jackknife"` or `"Empirical-Bias-Reduced"`.
#'   Default: the Kenward-Roger adjusted one for the Kenward-Roger methods,
#'   otherwise asymptotic.
#' @param control Options from [mmrm_fit_control()].
#' @param na.action What `fitted()`, `residuals()`, `predict()` (without
#'   `newdata`) and `augment()` return for the rows of `data` that the fit
#'   does not use (missing response or covariates), as for [stats::lm()]:
#'   [stats::na.omit()] (default; the used rows only) or [stats::na.exclude()]
#'   (every row of `data`, `NA` for the unused ones), or [stats::na.fail()]
#'   (an error when any row has a missing value). Either way the results are
#'   in the row order of `data`, named by its row names. (A function or its
#'   name.)
#' @return An object of class `glycotrial_mmrm`, a list with fields
#'   \describe{
#'   \item{`call`, `formula`, `formula_fixed`}{The call, the full formula and
#'     the formula without the covariance term.}
#'   \item{`cov_type`, `cov_spatial`, `cov_compiled`}{Key of the covariance
#'     structure, whether it is spatial, whether it is compiled.}
#'   \item{`response`, `visit_var`, `subject_var`, `group_var`}{Column names
#'     (`group_var` is `NULL` when ungrouped).}
#'   \item{`visit_levels`, `group_levels`}{Levels of the visit factor (or the
#'     distinct times for spatial structures) and of the group factor.}
#'   \item{`beta`}{Named coefficients including aliased ones as `NA`;
#'     `beta_est` only the estimable ones.}
#'   \item{`beta_vcov`}{Asymptotic covariance of `beta_est` (X'V^-1X)^-1;
#'     `beta_vcov_adj` the one chosen by `vcov` (used by `vcov()`,
#'     `summary()` and the tests).}
#'   \item{`theta`}{Covariance parameters on mmrm's unconstrained scale (all
#'     groups concatenated); `theta_vcov` their asymptotic covariance (inverse
#'     Hessian of minus the log-likelihood).}
#'   \item{`sigma`}{Estimated covariance matrix over the visits (a list by
#'     group when grouped); see `VarCorr()`.}
#'   \item{`loglik`, `deviance`, `reml`, `n_theta`, `n_obs`, `n_subjects`,
#'     `n_patterns`}{Fit statistics and sizes.}
#'   \item{`df_method`, `vcov_type`}{The chosen methods.}
#'   \item{`jac_list`}{Derivatives of the asymptotic `beta_vcov` in each
#'     `theta` (Satterthwaite); `kr` the Kenward-Roger pieces (`P` list,
#'     adjusted covariances) when computed.}
#'   \item{`convergence`}{A list: `converged`, `optimizer`, `iterations`,
#'     `max_gradient`, `hessian_pd`, `message`.}
#'   \item{`data`, `x_matrix`, `y`, `weights`, `subject`, `visit`, `group`,
#'     `rows`}{The model data in the engine's order (sorted by subject and
#'     visit), the full-rank design matrix, and `rows`, the row numbers in the
#'     original `data`; `n_dropped` rows with missing covariates.}
#'   \item{`terms`, `xlevels`, `contrasts`, `aliased`}{What is needed to
#'     rebuild the design matrix for new data.}
#'   }
#' @references Mallinckrodt CH et al. (2008), Recommendations for the primary
#'   analysis of continuous endpoints in longitudinal clinical trials. Drug
#'   Information Journal 42:303-319. Kenward MG, Roger JH (1997), Small sample
#'   inference for fixed effects from restricted maximum likelihood.
#'   Biometrics 53:983-997. Sabanes Bove D et al., mmrm: Mixed Models for
#'   Repeated Measures (R package).
#' @examples
#' set.seed(1)
#' # levels in visit order (factor(paste0("W", c(4, 8, 12))) alone sorts them as
#' # text, W12 < W4 < W8; see order_visits())
#' wk <- paste0("W", c(4, 8, 12))
#' d <- expand.grid(USUBJID = factor(1:40), AVISIT = factor(wk, levels = wk))
#' d$ARM <- factor(ifelse(as.integer(d$USUBJID) %% 2 == 0, "Drug", "Placebo"))
#' d$CHG <- rnorm(nrow(d)) + 0.5 * (d$ARM == "Drug") +
#'   rep(rnorm(40), times = 3)
#' fit <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), data = d)
#' fit
#' summary(fit)$coefficients
#' @export
mmrm_fit <- function(formula, data, reml = TRUE, weights = NULL,
                     df = c("Kenward-Roger", "Kenward-Roger-Linear", "Satterthwaite",
                            "Between-Within", "Residual"),
                     vcov = NULL, control = mmrm_fit_control(), na.action = stats::na.omit) {
  call <- match.call()
  na_type <- mmrm_na_action_type(na.action)
  data <- visit_order_for_fit(formula, data)  # visit levels in visit order (R/visit_order.R)
  # Large data frames and data sources (mmrm_data_dbi(), ...) are fitted from
  # pattern moments: R/mmrm_moments.R.
  if (mmrm_use_moments(data, formula, weights)) {
    mmrm_na_action_moments(na_type)
    mmrm_offset_moments(formula)
    return(mmrm_fit_route(call, formula, data, reml, weights, if (missing(df)) NULL else df,
                          vcov, control))
  }
  if (!inherits(formula, "formula")) {
    glycotrial_abort("{.arg formula} must be a formula, not {describe_value(formula)}.")
  }
  check_data_frame(data)
  check_flag(reml)
  if (missing(df)) df <- df[1]
  df <- check_choice(df, mmrm_df_methods, arg = "df")
  if (is.null(vcov)) vcov <- if (df %in% c("Kenward-Roger", "Kenward-Roger-Linear")) df else "Asymptotic"
  vcov <- check_choice(vcov, mmrm_vcov_types, arg = "vcov")
  if (vcov %in% c("Kenward-Roger", "Kenward-Roger-Linear") && df != vcov) {
    glycotrial_abort("{.arg vcov} {.val {vcov}} requires {.arg df} = {.val {vcov}}; found {.val {df}}.")
  }
  if (!reml && (df %in% c("Kenward-Roger", "Kenward-Roger-Linear") ||
                vcov %in% c("Kenward-Roger", "Kenward-Roger-Linear"))) {
    glycotrial_abort("Kenward-Roger ({.arg df} or {.arg vcov}) requires {.code reml = TRUE}; use {.code df = \"Satterthwaite\"} with ML.")
  }
  if (!inherits(control, "glycotrial_mmrm_control")) {
    glycotrial_abort("{.arg control} must come from {.fun mmrm_fit_control}, not {describe_value(control)}.")
  }
  if (is.character(weights) && length(weights) == 1) {
    check_data_frame(data, cols = weights)
    weights <- data[[weights]]
  }
  spec <- mmrm_parse_formula(formula)
  design <- mmrm_design(spec, data, weights, control)
  # data far from zero: fitted centred / shifted, mapped back (mmrm_moments.R)
  rp <- mmrm_row_reparam(design, spec, data)
  fit <- mmrm_fit_design(rp$design, reml, control, spec$plugin)
  obj <- mmrm_row_map_back(mmrm_assemble(fit, rp$design, spec, reml, df, vcov), rp, design, reml,
                           spec$plugin)
  obj$call <- call
  obj$offset <- design$offset
  mmrm_na_action_store(obj, na_type, data)
}

# ---- stage 1: formula --------------------------------------------------------

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

mmrm_parse_formula <- function(formula) {
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
  list(formula = formula, fixed = fixed, response = deparse(formula[[2]]),
       key = key, plugin = plugin, visit = as.character(lhs), subject = as.character(rhs),
       group = group, cov_term = ct)
}

# ---- stage 2: data and design ------------------------------------------------

mmrm_design <- function(spec, data, weights, control) {
  n0 <- nrow(data)
  if (!is.null(weights)) {
    if (!is.numeric(weights) || length(weights) != n0) {
      glycotrial_abort("{.arg weights} must be a numeric vector of length {n0} (rows of {.arg data}) or a column name; found {describe_value(weights)}.",
                       call = NULL)
    }
    bad <- !is.na(weights) & (!is.finite(weights) | weights <= 0)
    if (any(bad)) {
      glycotrial_abort("{.arg weights} must be positive and finite; found {format(weights[bad][1])} at row {which(bad)[1]}.",
                       call = NULL)
    }
  }
  cov_vars <- c(spec$visit, spec$subject, spec$group)
  fixed_vars <- all.vars(spec$fixed[[3]])
  resp_vars <- all.vars(spec$fixed[[2]])
  check_data_frame(data, cols = unique(c(resp_vars, fixed_vars, cov_vars)), arg = "data", call = NULL)
  data <- mmrm_check_columns(spec, data, unique(c(resp_vars, fixed_vars, cov_vars)), fixed_vars)
  fast <- mmrm_fast_frame(spec, data)
  if (is.null(fast)) {
    mf <- stats::model.frame(spec$fixed, data = data, na.action = stats::na.pass, drop.unused.levels = TRUE)
    y_all <- stats::model.response(mf)
  } else {
    y_all <- fast$y
  }
  if (is.matrix(y_all) && NCOL(y_all) != 1) {
    glycotrial_abort(c(
      "The response {.code {spec$response}} has {NCOL(y_all)} columns; {.fn mmrm_fit} fits one response.",
      "i" = "Fit each response separately (e.g. {.code CHG ~ ...}), or stack them in long format with a column naming the parameter."),
      class = c("glycotrial_error_response", "glycotrial_error_input"), call = NULL)
  }
  if (!is.numeric(y_all) || is.factor(y_all)) {
    glycotrial_abort("The response {.field {spec$response}} must be numeric, not {describe_value(y_all)}.",
                     call = NULL)
  }
  visit <- data[[spec$visit]]
  if (spec$plugin$spatial) {
    if (!is.numeric(visit)) {
      glycotrial_abort("Spatial structure {.val {spec$key}} needs a numeric time in {.field {spec$visit}}; found {describe_value(visit)}.",
                       call = NULL)
    }
  } else if (!is.factor(visit)) {
    glycotrial_abort(c(
      "The visit variable {.field {spec$visit}} must be a factor for structure {.val {spec$key}}; found {describe_value(visit)}.",
      "i" = "Convert it with {.code factor()} (its levels set the visit order), or use a spatial structure for a numeric time."),
      call = NULL)
  }
  x_na <- if (!is.null(fast)) fast$x_na else if (ncol(mf) > 1) !stats::complete.cases(mf[-1]) else rep(FALSE, n0)
  cov_na <- is.na(data[[spec$subject]]) | is.na(visit)
  if (!is.null(spec$group)) cov_na <- cov_na | is.na(data[[spec$group]])
  w_na <- if (is.null(weights)) rep(FALSE, n0) else is.na(weights)
  y_na <- is.na(y_all)
  if (all(y_na)) {
    glycotrial_abort("All values of the response {.field {spec$response}} are missing.", call = NULL)
  }
  if (spec$plugin$spatial && any(is.na(visit) & !y_na)) {
    glycotrial_abort("Spatial structure {.val {spec$key}} needs the time {.field {spec$visit}} for every observation; {sum(is.na(visit) & !y_na)} observed row{?s} lack{?s/} it.",
                     call = NULL)
  }
  drop_cov <- !y_na & (x_na | cov_na | w_na)
  keep <- !y_na & !drop_cov
  n_dropped <- sum(drop_cov)
  if (n_dropped > 0) {
    cli::cli_inform("mmrm_fit: dropped {n_dropped} row{?s} with missing covariates, visit, subject, group or weight ({sum(y_na)} row{?s} with missing response not used).",
                    class = "glycotrial_message_dropped_rows")
  }
  if (!any(keep)) {
    glycotrial_abort("No complete rows remain after removing missing values.", call = NULL)
  }
  rows <- which(keep)
  subj <- data[[spec$subject]][rows]
  vis <- visit[rows]
  grp <- if (is.null(spec$group)) NULL else data[[spec$group]][rows]
  if (!is.null(grp)) {
    grp <- droplevels(as.factor(grp))
    per_subj <- tapply(as.integer(grp), as.character(subj), function(g) length(unique(g)))
    if (any(per_subj > 1)) {
      bad <- names(per_subj)[per_subj > 1][1]
      glycotrial_abort("Subject {.val {bad}} of {.field {spec$subject}} appears in more than one group of {.field {spec$group}}; the group must be constant within a subject.",
                       call = NULL)
    }
  }
  if (spec$plugin$spatial) {
    visit_levels <- sort(unique(vis))
    coord <- as.numeric(vis)
  } else {
    vis <- droplevels(vis)
    visit_levels <- levels(vis)
    coord <- as.integer(vis) - 1L
  }
  # levels sorted as order() sorts, as factor(as.character(subj)) does; for a
  # factor without converting every row to a string
  subj_f <- if (is.factor(subj)) {
    lv <- levels(subj)
    used <- which(tabulate(as.integer(subj), length(lv)) > 0L)
    o <- used[order(lv[used])]
    structure(match(as.integer(subj), o), levels = lv[o], class = "factor")
  } else {
    factor(as.character(subj))
  }
  dup <- if (spec$plugin$spatial) {
    duplicated(data.frame(s = subj_f, v = coord))
  } else {
    duplicated(as.numeric(subj_f) * (length(visit_levels) + 1) + coord)
  }
  if (any(dup)) {
    i <- rows[which(dup)[1]]
    glycotrial_abort(c(
      "Duplicated subject-visit rows: subject {.val {as.character(data[[spec$subject]][i])}} has more than one row at {.field {spec$visit}} = {.val {as.character(visit[i])}}.",
      "i" = "An MMRM needs at most one observation per subject and visit."),
      call = NULL)
  }
  ord <- order(as.integer(subj_f), coord)
  rows <- rows[ord]
  subj_f <- subj_f[ord]
  coord <- coord[ord]
  vis <- vis[ord]
  if (!is.null(grp)) grp <- grp[ord]
  mmrm_check_single_levels(data, rows, fixed_vars)
  tt <- if (is.null(fast)) stats::terms(mf) else fast$terms
  # The design of all rows, then the used ones: no copy of the model frame
  # (rows with missing values give NA rows, which are not used). Character
  # columns get their levels from the rows model.matrix() sees, so they are
  # coded on the used rows only. Formulas of factors and numerics: built in
  # C++ on the used rows (mmrm_fast_frame()).
  X_full <- if (!is.null(fast)) {
    fast$model_matrix(rows)
  } else if (any(vapply(mf, is.character, NA))) {
    stats::model.matrix(tt, mf[rows, , drop = FALSE])
  } else {
    Xa <- stats::model.matrix(tt, mf)
    structure(Xa[rows, , drop = FALSE], assign = attr(Xa, "assign"),
              contrasts = attr(Xa, "contrasts"))
  }
  y <- as.numeric(y_all[rows])
  # offset() terms (R/mmrm_offset.R): fitted to y - offset
  off_all <- if (is.null(fast)) stats::model.offset(mf) else NULL
  offset <- if (!is.null(off_all)) mmrm_check_offset(off_all, rows)
  if (!is.null(offset)) y <- y - offset
  # Inf/-Inf pass the missing-value filter above; they would reach the
  # optimiser as a non-finite deviance (or fail inside lm.fit()).
  bad_y <- !is.finite(y)
  if (any(bad_y)) {
    glycotrial_abort("The response {.field {spec$response}} must be finite; found {format(y[bad_y][1])} at row {rows[which(bad_y)[1]]} of {.arg data}.",
                     call = NULL)
  }
  # Finite entries, and full rank when the column-scaled X'X has no
  # eigenvalue below 1e-10 (residual norms >= 1e-5 of the column norms, far
  # above qr()'s tolerance 1e-7): then qr() would find full rank, skip it.
  chk <- cpp_mmrm_check_design(X_full, 1e-10)
  bad_x <- if (chk[["finite"]]) matrix(0L, 0, 2) else which(!is.finite(X_full), arr.ind = TRUE)
  if (length(bad_x)) {
    glycotrial_abort("Covariate column {.field {colnames(X_full)[bad_x[1, 2]]}} of the design must be finite; found {format(X_full[bad_x[1, 1], bad_x[1, 2]])} at row {rows[bad_x[1, 1]]} of {.arg data}.",
                     call = NULL)
  }
  mmrm_check_scale(y, X_full)
  qr_x <- if (chk[["full_rank"]]) list(rank = ncol(X_full)) else qr(X_full)
  aliased <- rep(FALSE, ncol(X_full))
  names(aliased) <- colnames(X_full)
  if (qr_x$rank < ncol(X_full)) {
    if (!control$accept_singular) {
      glycotrial_abort("The design matrix is rank deficient ({qr_x$rank} of {ncol(X_full)} columns estimable); set {.code mmrm_fit_control(accept_singular = TRUE)} to report aliased coefficients as NA.",
                       call = NULL)
    }
    aliased[qr_x$pivot[seq.int(qr_x$rank + 1, ncol(X_full))]] <- TRUE
  }
  X <- X_full[, !aliased, drop = FALSE]
  n_subj <- nlevels(subj_f)
  starts <- c(0L, cumsum(tabulate(as.integer(subj_f), n_subj)))
  group_levels <- if (is.null(grp)) NULL else levels(grp)
  subject_group <- if (is.null(grp)) integer(n_subj) else as.integer(grp[starts[-length(starts)] + 1L]) - 1L
  n_visits <- length(visit_levels)
  n_theta_group <- covariance_n_theta(spec$plugin, n_visits)
  n_groups <- if (is.null(grp)) 1L else length(group_levels)
  w <- if (is.null(weights)) rep(1, length(rows)) else as.numeric(weights[rows])
  n_obs <- length(rows)
  if (n_obs <= ncol(X) + n_theta_group * n_groups || n_subj < 2) {
    glycotrial_abort(c(
      "Too few data to estimate structure {.val {spec$key}}: {n_obs} observation{?s} from {n_subj} subject{?s} for {ncol(X)} coefficient{?s} and {n_theta_group * n_groups} covariance parameter{?s}.",
      "i" = "Use a simpler structure (e.g. {.code cs} or {.code ar1}) or more data."),
      call = NULL)
  }
  if (!is.null(grp)) {
    tab <- tabulate(subject_group + 1L, n_groups)
    if (any(tab < 2)) {
      glycotrial_abort("Group {.val {group_levels[tab < 2][1]}} of {.field {spec$group}} has fewer than 2 subjects; too few to estimate its covariance.",
                       call = NULL)
    }
  }
  list(X = X, X_full = X_full, y = y, weights = w, has_weights = !is.null(weights),
       coord = as.numeric(coord), subject = subj_f, visit = vis, group = grp,
       subject_start = as.integer(starts), subject_group = as.integer(subject_group),
       n_groups = as.integer(n_groups), n_visits = as.integer(n_visits),
       n_theta_group = n_theta_group, visit_levels = visit_levels, group_levels = group_levels,
       rows = rows, n_dropped = n_dropped, aliased = aliased, terms = tt,
       xlevels = if (is.null(fast)) stats::.getXlevels(tt, mf) else fast$xlevels, contrasts = attr(X_full, "contrasts"),
       assign = attr(X_full, "assign"), data = data[rows, , drop = FALSE], offset = offset)
}

# What model.frame(drop.unused.levels = TRUE, na.action = na.pass) and
# model.matrix() give for the fixed-effects formula (response, missing
# covariates, terms with "predvars" and "dataClasses", xlevels, and a
# function of the used rows returning the model matrix with its dimnames,
# "assign" and "contrasts"), without building the model frame: the matrix
# comes from cpp_mmrm_model_matrix(). Only for plain column names of
# unordered factors (at least two used levels, no contrasts attribute) and
# plain numeric vectors, a numeric response, an intercept, no ".", no
# offset and the default contrasts option; otherwise NULL (the caller uses
# model.frame()/model.matrix()). Identical results: test-mmrm_fast_design.R.
mmrm_fast_frame <- function(spec, data) {
  if (!isTRUE(getOption("glycotrial.mmrm_fast_design", TRUE))) return(NULL)
  f <- spec$fixed
  if (!identical(getOption("contrasts"), c(unordered = "contr.treatment", ordered = "contr.poly")) ||
      "." %in% all.names(f)) {
    return(NULL)
  }
  tt <- stats::terms(f)
  vars <- as.list(attr(tt, "variables"))[-1L]
  if (attr(tt, "intercept") != 1L || attr(tt, "response") != 1L || !is.null(attr(tt, "offset")) ||
      !all(vapply(vars, is.name, NA))) {
    return(NULL)
  }
  nm <- vapply(vars, as.character, "")
  if (!identical(make.names(nm), nm) || anyDuplicated(nm) || !all(nm %in% names(data))) return(NULL)
  y <- data[[nm[1L]]]
  plain_num <- function(x) (is.double(x) || is.integer(x)) && is.null(attributes(x))
  if (!plain_num(y)) return(NULL)
  n0 <- length(y)
  rhs <- nm[-1L]
  cols <- vector("list", length(rhs))
  lv <- vector("list", length(rhs))
  x_na <- logical(n0)
  for (j in seq_along(rhs)) {
    x <- data[[rhs[j]]]
    if (is.factor(x)) {
      a <- attributes(x)
      if (!identical(a$class, "factor") || !setequal(names(a), c("levels", "class"))) return(NULL)
      codes <- unclass(x)
      attributes(codes) <- NULL
      l <- a$levels
      used <- tabulate(codes, length(l)) > 0L
      if (!all(used)) {
        codes <- cumsum(used)[codes]
        l <- l[used]
      }
      if (length(l) < 2L) return(NULL)
      cols[[j]] <- codes
      lv[[j]] <- l
    } else if (plain_num(x)) {
      cols[[j]] <- as.double(x)
    } else {
      return(NULL)
    }
    x_na <- x_na | is.na(cols[[j]])
  }
  is_f <- !vapply(lv, is.null, NA)
  names(lv) <- rhs
  cls <- c("numeric", ifelse(is_f, "factor", "numeric"))
  names(cls) <- nm
  attr(tt, "predvars") <- attr(tt, "variables")
  attr(tt, "dataClasses") <- cls
  fac <- attr(tt, "factors")
  fac <- if (length(fac)) fac[-1L, , drop = FALSE] else matrix(0L, length(rhs), 0L)
  storage.mode(fac) <- "integer"
  rn <- row.names(data)
  names(y) <- rn  # as model.response() names it
  ctr <- if (any(is_f)) {
    stats::setNames(as.list(rep("contr.treatment", sum(is_f))), rhs[is_f])
  }
  list(y = y, x_na = x_na, terms = tt,
       xlevels = if (length(rhs)) lv[is_f],
       model_matrix = function(rows) {
         X <- cpp_mmrm_model_matrix(cols, lv, rhs, fac, TRUE, rows, rn[rows])
         if (!is.null(ctr)) attr(X, "contrasts") <- ctr
         X
       })
}

mmrm_engine <- function(design, spec_plugin, reml) {
  r_plugin <- if (spec_plugin$compiled) NULL else spec_plugin$impl[c("n_theta", "sigma", "spatial")]
  cpp_mmrm_engine(design$X, design$y, if (design$has_weights) design$weights else numeric(0),
                  design$coord, design$subject_start, design$subject_group, design$n_groups,
                  design$n_visits, reml, spec_plugin$key, r_plugin)
}

`%||%` <- function(a, b) if (is.null(a)) b else a

# ---- stage 4: the results object ---------------------------------------------

mmrm_assemble <- function(fit, design, spec, reml, df, vcov) {
  engine <- fit$engine
  theta <- fit$theta
  est <- cpp_mmrm_estimates(engine, theta)
  coef_names <- colnames(design$X)
  beta_est <- stats::setNames(est$beta, coef_names)
  beta_vcov <- est$beta_vcov
  dimnames(beta_vcov) <- list(coef_names, coef_names)
  beta <- stats::setNames(rep(NA_real_, length(design$aliased)), names(design$aliased))
  beta[!design$aliased] <- beta_est
  # Minus log-likelihood has Hessian H/2, so Cov(theta) = 2 H^-1.
  theta_vcov <- tryCatch(2 * solve(fit$hessian), error = function(e) {
    matrix(NA_real_, length(theta), length(theta))
  })
  jac <- fit$jacobian %||% cpp_mmrm_jacobian(engine, theta)
  jac_list <- lapply(jac, function(P) {
    J <- beta_vcov %*% P %*% beta_vcov
    dimnames(J) <- dimnames(beta_vcov)
    J
  })
  sig <- lapply(seq_len(design$n_groups) - 1L, function(g) {
    coords <- if (spec$plugin$spatial) seq_along(design$visit_levels) - 1 else seq_len(design$n_visits) - 1
    coords <- if (spec$plugin$spatial) as.numeric(design$visit_levels) else coords
    S <- cpp_mmrm_sigma(engine, theta, g, coords)
    dimnames(S) <- list(as.character(design$visit_levels), as.character(design$visit_levels))
    S
  })
  if (!is.null(design$group_levels)) names(sig) <- design$group_levels
  n_obs <- length(design$y)
  obj <- list(
    formula = spec$formula, formula_fixed = spec$fixed, cov_type = spec$key,
    cov_spatial = spec$plugin$spatial, cov_compiled = spec$plugin$compiled,
    response = spec$response, visit_var = spec$visit, subject_var = spec$subject,
    group_var = spec$group, visit_levels = design$visit_levels,
    group_levels = design$group_levels,
    beta = beta, beta_est = beta_est, beta_vcov = beta_vcov, beta_vcov_adj = beta_vcov,
    theta = theta, theta_vcov = theta_vcov,
    sigma = if (is.null(design$group_levels)) sig[[1]] else sig,
    deviance = fit$deviance, loglik = -fit$deviance / 2, reml = reml,
    n_theta = length(theta), n_beta = length(beta_est), n_obs = n_obs,
    n_subjects = nlevels(design$subject), n_patterns = cpp_mmrm_info(engine)$n_patterns,
    df_method = df, vcov_type = vcov, jac_list = jac_list, jac_P = jac, kr = NULL,
    convergence = fit$convergence,
    data = design$data, x_matrix = design$X, y = design$y,
    weights = design$weights, has_weights = design$has_weights,
    subject = design$subject, visit = design$visit, group = design$group,
    coord = design$coord, subject_start = design$subject_start,
    rows = design$rows, n_dropped = design$n_dropped, terms = design$terms,
    xlevels = design$xlevels, contrasts = design$contrasts, assign = design$assign,
    aliased = design$aliased, plugin = fit$plugin, engine = engine
  )
  class(obj) <- "glycotrial_mmrm"
  if (df %in% c("Kenward-Roger", "Kenward-Roger-Linear") ||
      vcov %in% c("Kenward-Roger", "Kenward-Roger-Linear")) {
    obj$kr <- mmrm_kr_components(obj, linear = identical(df, "Kenward-Roger-Linear") ||
                                   identical(vcov, "Kenward-Roger-Linear"))
  }
  obj$beta_vcov_adj <- mmrm_vcov_compute(obj, vcov)
  if (df == "Satterthwaite" && mmrm_is_empirical(obj) && !is.null(obj$x_matrix) &&
      nrow(obj$x_matrix)) {
    obj$emp_df <- mmrm_empirical_df_pieces(obj)
  }
  if (!fit$convergence$converged) {
    glycotrial_warn(c(
      "mmrm_fit: the {.val {spec$key}} fit did not converge: {fit$convergence$message}.",
      "i" = "Optimisers tried: {.val {fit$convergence$optimizers_tried}}. See {.code fit$convergence}; consider a simpler structure ({.fun model_selection})."),
      class = "glycotrial_warning_convergence")
  }
  obj
}
