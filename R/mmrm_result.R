# Stage 5 of mmrm_fit(): the glycotrial_mmrm object from the optimum of
# stage 4 and the engine of stage 3 (coefficients, their covariance and
# degrees-of-freedom pieces; Kenward-Roger in R/mmrm_df.R), mapped back to
# the formula's parametrisation when the design stage centred the data (an
# exact linear map: the engine of stage 3 stays the fit's only engine).
# The argument checks of mmrm_fit() that concern the inference live here,
# called once per fit.

#' Assemble a fitted MMRM (stage 5 of mmrm_fit())
#'
#' Turns the optimum of the covariance parameters into the fitted model:
#' coefficients, their covariance (asymptotic, Kenward-Roger or empirical)
#' and what the degrees of freedom need. The result is what [mmrm_fit()]
#' returns (apart from `call`).
#'
#' @param optimum The output of `mmrm_optimise()` for `engine`.
#' @param engine The output of [mmrm_engine()].
#' @param df,vcov As for [mmrm_fit()].
#' @return An object of class `glycotrial_mmrm`; see [mmrm_fit()].
#' @seealso [mmrm_fit()], which chains all stages.
#' @examples
#' wk <- paste0("W", c(4, 8, 12))
#' d <- expand.grid(USUBJID = factor(1:20), AVISIT = factor(wk, levels = wk))
#' set.seed(2)
#' d$CHG <- rnorm(nrow(d)) + rep(rnorm(20), times = 3)
#' des <- mmrm_design(CHG ~ AVISIT + cs(AVISIT | USUBJID), d)
#' eng <- mmrm_engine(des)
#' opt <- mmrm_optimise(eng)
#' fit <- mmrm_result(opt, eng, df = "Satterthwaite")
#' coef(fit)
#' @export
mmrm_result <- function(optimum, engine,
                        df = c("Kenward-Roger", "Kenward-Roger-Linear", "Satterthwaite",
                               "Between-Within", "Residual"),
                        vcov = NULL) {
  call <- match.call()
  if (!inherits(engine, "glycotrial_mmrm_engine")) {
    glycotrial_abort("{.arg engine} must come from {.fun mmrm_engine}, not {describe_value(engine)}.",
                     call = NULL)
  }
  if (!inherits(optimum, "glycotrial_mmrm_optimum")) {
    glycotrial_abort("{.arg optimum} must come from {.fun mmrm_optimise}, not {describe_value(optimum)}.",
                     call = NULL)
  }
  if (length(optimum$theta) != engine$n_theta) {
    glycotrial_abort("{.arg optimum} has {length(optimum$theta)} covariance parameter{?s}, the engine {engine$n_theta}: it comes from another engine.",
                     call = NULL)
  }
  if (missing(df)) df <- df[1]
  inf <- mmrm_check_inference(engine$reml, df, vcov)
  if (identical(engine$route, "moments")) mmrm_check_moment_inference(inf$df, inf$vcov)
  mmrm_result_impl(optimum, engine, inf$df, inf$vcov, call)
}

mmrm_result_impl <- function(optimum, engine, df, vcov, call) {
  d <- engine$mmrm_design
  spec <- d$formula
  optimum$engine <- engine$ptr
  optimum$plugin <- engine$plugin
  if (identical(engine$route, "moments")) {
    obj <- moments_result(optimum, engine$moments, spec, engine$reml, df, vcov)
    obj$call <- call
    obj$data_source <- d$source_class
    return(obj)
  }
  obj <- mmrm_assemble(optimum, engine$design, spec, engine$reml, df, vcov)
  obj <- mmrm_row_map_back(obj, d$reparam, d$design)
  obj$call <- call
  obj$offset <- d$design$offset
  mmrm_na_action_store(obj, d$na_type, d$input)
}

# ---- argument checks (once per fit) -------------------------------------------

# df and vcov of mmrm_fit()/mmrm_result(): the chosen methods, completed
# (vcov defaults to the Kenward-Roger one for Kenward-Roger df).
mmrm_check_inference <- function(reml, df, vcov, call = sys.call(-1)) {
  force(call)
  check_flag(reml, call = call)
  df <- check_choice(df, mmrm_df_methods, arg = "df", call = call)
  if (is.null(vcov)) vcov <- if (df %in% c("Kenward-Roger", "Kenward-Roger-Linear")) df else "Asymptotic"
  vcov <- check_choice(vcov, mmrm_vcov_types, arg = "vcov", call = call)
  if (vcov %in% c("Kenward-Roger", "Kenward-Roger-Linear") && df != vcov) {
    glycotrial_abort("{.arg vcov} {.val {vcov}} requires {.arg df} = {.val {vcov}}; found {.val {df}}.",
                     call = call)
  }
  if (!reml && (df %in% c("Kenward-Roger", "Kenward-Roger-Linear") ||
                vcov %in% c("Kenward-Roger", "Kenward-Roger-Linear"))) {
    glycotrial_abort("Kenward-Roger ({.arg df} or {.arg vcov}) requires {.code reml = TRUE}; use {.code df = \"Satterthwaite\"} with ML.",
                     call = call)
  }
  list(df = df, vcov = vcov)
}

# What the moment route cannot give (it keeps no per-subject rows).
mmrm_check_moment_inference <- function(df, vcov) {
  if (is.null(df) || is.null(vcov)) return(invisible(NULL))
  if (df == "Between-Within" || grepl("^Empirical", vcov)) {
    glycotrial_abort(c(
      "{.arg df} = {.val {df}} / {.arg vcov} = {.val {vcov}} need per-subject rows, which the moment route (large, chunked, database or distributed data) does not keep.",
      "i" = "Use {.val Kenward-Roger}, {.val Satterthwaite} or {.val Residual} with asymptotic or Kenward-Roger covariances."),
      class = c("input", "glycotrial_error_moment_route"), call = NULL)
  }
  invisible(NULL)
}

mmrm_check_control <- function(control, call = sys.call(-1)) {
  force(call)
  if (!inherits(control, "glycotrial_mmrm_control")) {
    glycotrial_abort("{.arg control} must come from {.fun mmrm_fit_control}, not {describe_value(control)}.",
                     call = call)
  }
  invisible(control)
}

# ---- assembly -------------------------------------------------------------------

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

# Maps a row-route fit made by mmrm_row_reparam() back to the formula's
# parametrisation. The reparametrisation is linear in beta (X* = X T, beta =
# T (b0 + beta*)) and leaves theta unchanged, so the one engine (built on the
# centred design) serves the whole fit: beta and its covariances are mapped
# here, and what later asks the engine for X-dependent pieces (Kenward-Roger
# sums, scores) maps them with obj$engine_map (mmrm_engine_beta(),
# mmrm_engine_info()). Sigma_i and the residuals y - X beta are invariant.
mmrm_row_map_back <- function(obj, map, design) {
  if (is.null(map)) return(obj)
  keep <- !design$aliased
  obj <- moments_map_back(obj, map, keep)
  Tk <- map$T[keep, keep, drop = FALSE]
  obj$engine_map <- list(T = Tk, Ti = if (all(Tk == diag(nrow(Tk)))) NULL else solve(Tk),
                         b0 = map$y_coef[keep])
  obj$x_matrix <- design$X
  obj$y <- design$y
  # the empirical df pieces need only X and Sigma_i: recomputed on the
  # formula's X
  if (!is.null(obj$emp_df)) obj$emp_df <- mmrm_empirical_df_pieces(obj)
  obj$centring <- list(centre = map$centre, y_coef = map$y_coef)
  obj
}

# beta in the parametrisation of object$engine (the centred one for data far
# from zero: beta* = T^-1 beta - b0).
mmrm_engine_beta <- function(object, beta = object$beta_est) {
  em <- object$engine_map
  if (is.null(em)) return(beta)
  if (!is.null(em$Ti)) beta <- drop(em$Ti %*% beta)
  beta - em$b0
}

# An information-type matrix X*' A X* of the engine (P_j, the Kenward-Roger
# sums Q and R) in the formula's parametrisation: T^-T M T^-1.
mmrm_engine_info <- function(object, M) {
  Ti <- object$engine_map$Ti
  if (is.null(Ti)) return(M)
  out <- crossprod(Ti, M %*% Ti)
  out <- (out + t(out)) / 2
  dimnames(out) <- dimnames(M)
  out
}
