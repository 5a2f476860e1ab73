#' Fit a linear mixed model with random effects (and a residual structure)
#'
#' Fits `y = X beta + Z b + e` by REML or ML in the C++ core, with lme4-style
#' random-effect terms for one grouping factor (the subject) and, optionally,
#' a residual covariance structure per subject taken from the covariance
#' plugin registry (e.g. `ar1(AVISIT | USUBJID)`), which lme4 cannot fit.
#' Random-effect covariance blocks use the log-Cholesky parametrisation;
#' without a residual structure the residual variance is profiled out as in
#' lme4. Optimisation is BFGS on the analytic gradient polished by Newton
#' steps.
#'
#' Several grouping factors, nested (`(1 | batch/cask)`, equivalently
#' `(1 | batch) + (1 | cask:batch)`) or crossed (`(1 | plate) + (1 | sample)`),
#' each term with intercept and/or numeric slopes correlated within the term,
#' are fitted by a separate sparse core: the profiled deviance of Bates et al.
#' (2015) with the relative covariance factor Lambda, a sparse Cholesky of
#' `Lambda' Z' Z Lambda + I` analysed once and refactorised per iteration, and
#' a bounded quasi-Newton search over theta (finite-difference gradients,
#' Newton polish). Such fits have class
#' `c("glycotrial_lmm_multi", "glycotrial_lmm")`: `ranef()` returns a list
#' with one data frame per grouping factor (conditional variances in attribute
#' `condVar`), `coef()` a list likewise, `VarCorr()` one entry per term;
#' `predict(level = "subject")` (or `"conditional"`) adds all conditional
#' modes, levels absent from the fit contributing 0 (population prediction);
#' `anova()`/`summary()` and emmeans use Satterthwaite df (as lmerTest) or,
#' with `ddf = "Kenward-Roger"` (emmeans: `mode = "kenward-roger"`), the
#' Kenward-Roger adjusted covariance and df in pbkrtest's parametrisation
#' (REML fits; dense in the observations, as pbkrtest, so meant for up to a
#' few thousand rows); `confint(method = "profile")` gives likelihood-profile
#' intervals for the variance components (named e.g.
#' `"sd__(Intercept)|plate"`, `"cor__(Intercept).x|subj"`, `"sd__Observation"`)
#' and fixed effects, from the ML deviance as lme4; `weights` work as for one
#' grouping factor (as lme4).
#'
#' Several grouping factors also combine with a residual covariance
#' structure, e.g. `y ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID) +
#' ar1(AVISIT | USUBJID)` (the residual subject nested in or crossed with the
#' other factors): R = sigma^2 C(theta_r), block-diagonal by the residual
#' subject, C evaluated by the registered structure as with one grouping
#' factor. For given theta_r each subject's rows of X, y and Z are whitened
#' by the Cholesky factor of C_i, the sparse core profiles the whitened
#' problem, and log|C| is added (REML and ML); the random-effect parameters
#' and theta_r are optimised jointly in C++ (the bounded method of the
#' package's optimiser) from several starts (the
#' structure's first parameter, its overall scale, is held fixed as
#' sigma^2 carries it). `converged` is `TRUE` only when the best end point
#' passes an optimality check: a small gradient (central differences; at a
#' variance bound the deviance must rise into the interior, also at finite
#' steps, since a variance component's slope at 0 is always 0) and a positive
#' semi-definite Hessian in the free parameters (`object$optinfo$gradient`,
#' `object$optinfo$hessian_eigen`); otherwise a warning of class
#' `glycotrial_warning_convergence`. The residual structure's subject need
#' not be a random-effect factor: `(1 | SITE) + ar1(AVISIT | USUBJID)` is a
#' site effect with AR(1) residuals within subjects (as
#' `nlme::lme(random = ~ 1 | SITE, correlation = corAR1(form = ~ t |
#' SITE/USUBJID))`). Results have class `glycotrial_lmm_multi_resid`
#' (`residual_cov`: sigma^2 C for all visits). Available: `fixef`, `vcov`,
#' `logLik`, `AIC`/`BIC`, `ranef`, `VarCorr`, `fitted`, `predict`,
#' response residuals, Wald `confint()`, `anova()`/`summary()` with
#' Satterthwaite df (the structure's parameters included in the variance
#' parameters), Pearson residuals (divided by sigma sqrt(diag C_i)),
#' `simulate()` (correlated residuals). Not available yet (an error of class
#' `glycotrial_error_unsupported`, also `glycotrial_error_input`):
#' Kenward-Roger df and `confint(method = "profile")`.
#'
#' A residual covariance term without random-effect terms, e.g.
#' `AVAL ~ ARM * AVISIT + ar1(AVISIT | USUBJID)`, gives a covariance-pattern
#' model (an MMRM; the same likelihood as [mmrm_fit()] and `nlme::gls()`),
#' fitted by the same core so that it can be compared with random-effect
#' models by `logLik()`/`AIC()` and has all the methods above (`ranef()` and
#' `VarCorr()` then have no random effects). Kenward-Roger df use the expected
#' information (as pbkrtest), so they differ slightly from `mmrm_fit()`'s,
#' which follow mmrm (observed information); use [mmrm_fit()] for mmrm's
#' df, its covariance structures written in R and large data.
#'
#' With a residual structure, `fit$sigma2` is the residual variance (the
#' mean over visits for heterogeneous structures) and `VarCorr()`/`tidy()`
#' list the structure's parameters: `sd__Observation` (one per visit,
#' `sd__Observation.<visit>`, when heterogeneous) and the correlations
#' (`cor__Observation.lag1` for AR(1)-type structures, nlme's Phi; one per
#' lag for stationary ones; every pair otherwise).
#'
#' An `offset()` term in `formula` is honoured as in lme4: the model is
#' fitted to the response minus the offset, and `fitted()`/`predict()` add
#' it back. Data sources refuse it (an error of class
#' `glycotrial_error_unsupported`).
#'
#' `anova()` of one fit gives Type III F tests as lmerTest and SAS (each
#' term's contrasts orthogonal to the higher-order terms containing it);
#' `anova(type = "marginal")` tests the fit's own treatment-coded columns.
#'
#' Rows with missing values in the variables used are dropped (as lme4 does),
#' except missing subject identifiers, which are an error. A fit on the
#' boundary of the parameter space (a random-effect variance, or the
#' determinant of a block, at zero) is reported as singular (see
#' `object$singular`, like `lme4::isSingular()`), with a warning of class
#' `glycotrial_warning_singular_fit`; it is not an error.
#'
#' @param formula Two-sided formula, e.g.
#'   `AVAL ~ ARM * AVISITN + (1 + AVISITN | USUBJID)`. Random-effect terms
#'   `(lhs | g)` give correlated effects, `(lhs || g)` or several terms give
#'   uncorrelated blocks. With one grouping factor `g`, a term
#'   `key(TIME | g)` adds the registered residual covariance structure `key`
#'   (also alone, without random-effect terms).
#'   Terms may use different grouping factors (crossed), `g1/g2` (nested) or
#'   interactions `g1:g2`, also together with a residual structure
#'   `key(TIME | SUBJECT)` (see Details).
#' @param data A data frame, or a data source ([mmrm_data_chunks()],
#'   [mmrm_data_csv()], [mmrm_data_parquet()], [mmrm_data_dbi()]) for
#'   out-of-core data when the random design depends only on the visit (see
#'   [mmrm_data_dbi()], section "fit_lmm()").
#' @param reml Logical; REML (default) or maximum likelihood.
#' @param weights Optional observation weights: `NULL` (none), a numeric
#'   vector with one positive, finite value per row of `data`, or the name of
#'   a column of `data` holding them. The residual variance of row `i` is
#'   `sigma^2 / w_i` (as `lme4::lmer(weights = )`); with a residual structure
#'   a subject's residual covariance is `W^{-1/2} Sigma W^{-1/2}` (as
#'   `nlme::lme(weights = varFixed(~ 1/w))` and mmrm). The log-likelihood
#'   includes the `sum(log(w)) / 2` term, so it matches lme4 and nlme.
#'   Weights change the estimates, not the meaning of the mean: `fitted()` and
#'   `predict()` are unweighted linear predictors, `residuals(type =
#'   "response")` are `y - fitted`, `residuals(type = "pearson")` divide them
#'   by the residual SD of each row (`sigma / sqrt(w_i)`), and `simulate()`
#'   draws residuals with the weighted covariance.
#' @param control A list from [lmm_control()].
#' @param na.action What to do with rows that have missing values in the
#'   variables used: `"na.omit"` (default; drop them), `"na.exclude"` (drop
#'   them from the fit, but `fitted()`, `residuals()` and `predict()` return
#'   `NA` at their positions, as `lm(na.action = na.exclude)`) or `"na.fail"`
#'   (an error). A name or the function. Whatever is chosen, `fitted()`,
#'   `residuals()`, `predict()` and `augment()` come back in the order of
#'   the rows of `data` (named by its row names), not in the sorted
#'   subject-visit order the model is fitted in.
#' @param ... Unused; must be empty.
#' @return An object of class `glycotrial_lmm` with methods `print`,
#'   `summary`, `fixef`, `ranef`, `VarCorr`, `coef`, `vcov`, `logLik`, `AIC`,
#'   `BIC`, `nobs`, `fitted`, `residuals`, `predict`, `simulate`, `anova`,
#'   `confint`, `tidy`, `glance`.
#' @references Bates D, Maechler M, Bolker B, Walker S (2015). Fitting linear
#'   mixed-effects models using lme4. J Stat Softw 67(1).
#'   Pinheiro JC, Bates DM (1996). Unconstrained parametrizations for
#'   variance-covariance matrices. Stat Comput 6:289-296.
#' @examples
#' if (requireNamespace("lme4", quietly = TRUE)) {
#'   fit <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), lme4::sleepstudy)
#'   fit
#'   fixef(fit)
#'   VarCorr(fit)
#'   # crossed and nested grouping factors
#'   pen <- fit_lmm(diameter ~ 1 + (1 | plate) + (1 | sample), lme4::Penicillin)
#'   summary(pen, ddf = "Kenward-Roger")
#'   confint(pen, parm = "theta_", method = "profile")
#'   fit_lmm(strength ~ 1 + (1 | batch/cask), lme4::Pastes)
#' }
#' @export
fit_lmm <- function(formula, data, reml = TRUE, weights = NULL, control = lmm_control(),
                    na.action = "na.omit", ...) {
  cl <- match.call()
  na_action <- lmm_na_action_name(na.action)
  data <- visit_order_for_fit(formula, data)  # visit levels in visit order (R/visit_order.R)
  if (...length() > 0) {
    glycotrial_abort("Unknown argument{?s} {.arg {names(list(...))}} to {.fn fit_lmm}.")
  }
  if (lmm_use_moments(data)) {
    # out-of-core data sources: pattern moments (R/lmm_moments.R)
    return(lmm_fit_moments(cl, formula, data, reml, weights, control))
  }
  check_flag(reml)
  check_data_frame(data)
  ctl_names <- names(formals(lmm_control))
  if (!is.list(control) || !all(ctl_names %in% names(control))) {
    glycotrial_abort("{.arg control} must come from {.fn lmm_control}, not {describe_value(control)}.")
  }
  do.call(lmm_control, control[ctl_names])
  if (lmm_sparse_needed(formula)) {
    # Several grouping factors: sparse profiled-deviance core (R/lmm_sparse.R).
    fit <- lmm_fit_sparse(formula, data, reml = reml, control = control, weights = weights)
  } else {
    parsed <- lmm_parse_formula(formula)
    design <- lmm_design(parsed, data, weights = weights)
    fit <- lmm_fit_design(design, reml = reml, control = control)
  }
  fit$call <- cl
  fit$formula <- formula
  fit <- lmm_record_rows(fit, data, na_action)
  if (fit$singular) {
    glycotrial_warn("Boundary (singular) fit: a random-effect variance (or correlation) is at the edge of the parameter space.",
                    class = "glycotrial_warning_singular_fit")
  }
  if (!fit$converged) {
    glycotrial_warn("The optimiser did not converge: {fit$optinfo$message}.",
                    class = "glycotrial_warning_convergence")
  }
  fit
}

#' Control settings for fit_lmm()
#'
#' @param max_iter Maximum BFGS iterations.
#' @param grad_tol Convergence tolerance on the largest absolute gradient
#'   element of the deviance.
#' @param newton_steps Maximum Newton polishing steps after BFGS.
#' @param singular_tol Relative tolerance for declaring a fit singular (as
#'   `lme4::isSingular()`, default `1e-4`).
#' @return A list.
#' @examples
#' lmm_control(max_iter = 1000)
#' @export
lmm_control <- function(max_iter = 500, grad_tol = 1e-7, newton_steps = 6, singular_tol = 1e-4) {
  check_count(max_iter, lower = 1, len = 1)
  check_number(grad_tol, lower = 0, open = TRUE, upper = Inf)
  check_count(newton_steps, lower = 0, len = 1)
  check_number(singular_tol, lower = 0, upper = 1)
  list(max_iter = as.integer(max_iter), grad_tol = grad_tol,
       newton_steps = as.integer(newton_steps), singular_tol = singular_tol)
}
