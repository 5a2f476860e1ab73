# mmrm_fit(): checks its arguments once and chains the exported stages
# (ARCHITECTURE.md): mmrm_formula() (R/mmrm_formula.R) -> mmrm_design()
# (R/mmrm_design.R: data -> design matrices, or pattern moments; the route is
# chosen there) -> mmrm_engine() (R/mmrm_engine.R: the C++ engine,
# src/core/mmrm/engine.hpp) -> the optimiser -> mmrm_result()
# (R/mmrm_result.R: the glycotrial_mmrm object).

mmrm_df_methods <- c("Kenward-Roger", "Kenward-Roger-Linear", "Satterthwaite",
                     "Between-Within", "Residual")
mmrm_vcov_types <- c("Asymptotic", "Kenward-Roger", "Kenward-Roger-Linear", "Empirical",
                     "Empirical-Jackknife", "Empirical-Bias-Reduced")

#' Control options for mmrm_fit()
#'
#' @param optimizers Methods of the C++ optimiser (`src/core/optim/`) tried
#'   in turn until one reaches a minimum (a small gradient and a positive
#'   definite Hessian, not a saddle point; each later method starts from the
#'   best point so far, moved off a saddle point along the direction of
#'   negative curvature; spatial structures then also try further starts of
#'   the range parameter): `"newton"` (Newton-Raphson on the exact Hessian of
#'   the engine, Levenberg damping where it is not positive definite, a line
#'   search, a last Newton step to rounding precision) and `"bfgs"` (BFGS on
#'   the analytic gradient followed by Newton steps on the exact Hessian).
#'   The R optimisers of earlier versions are gone: `"nlminb"`, `"BFGS"` and
#'   `"L-BFGS-B"` still work and mean `"bfgs"`, with a message of class
#'   `glycotrial_message_deprecated`.
#' @param start Optional starting values for the covariance parameters
#'   (unconstrained scale, all groups concatenated); `NULL` derives them from
#'   the empirical covariance of ordinary least-squares residuals (for
#'   `sp_exp`/`sp_gau`: the range parameter from the median within-subject
#'   distance of the times, so that the start suits their unit).
#' @param max_iter Maximum iterations per optimiser (at most
#'   `.Machine$integer.max`).
#' @param rel_tol Unused (it was the tolerance of the R optimiser `nlminb`);
#'   kept so that old calls keep working.
#' @param grad_tol Convergence is declared when the largest absolute gradient
#'   of the deviance is below `grad_tol * max(1, |deviance|)` (Newton stops
#'   at a thousandth of it) and the Hessian is positive definite.
#' @param accept_singular Drop aliased (linearly dependent) columns of the
#'   design matrix and report their coefficients as `NA` (as mmrm does)?
#'   With `FALSE` a rank-deficient design is an error.
#' @return A list of class `glycotrial_mmrm_control`.
#' @examples
#' mmrm_fit_control(optimizers = "bfgs")
#' @export
mmrm_fit_control <- function(optimizers = c("newton", "bfgs"), start = NULL,
                         max_iter = 1000L, rel_tol = 1e-12, grad_tol = 1e-6,
                         accept_singular = TRUE) {
  optimizers <- mmrm_optimizer_methods(optimizers)
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
#' @seealso The stages `mmrm_fit()` chains, to stop after any of them (e.g.
#'   for the deviance function of [mmrm_engine()] to profile):
#'   [mmrm_formula()] -> [mmrm_design()] -> [mmrm_engine()] ->
#'   `mmrm_optimise()` -> [mmrm_result()].
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
  # the arguments are checked here, once; the stages below trust them
  na_type <- mmrm_na_action_type(na.action)
  if (missing(df)) df <- df[1]
  inf <- mmrm_check_inference(reml, df, vcov)
  mmrm_check_control(control)
  spec <- mmrm_formula(formula)
  design <- mmrm_design_impl(spec, data, weights, control, na_type, inf$df, inf$vcov)
  engine <- mmrm_engine_impl(design, reml)
  optimum <- mmrm_run_optimiser(engine, control)
  mmrm_result_impl(optimum, engine, inf$df, inf$vcov, call)
}

