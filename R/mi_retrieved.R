# Retrieved-dropout imputation (issue 20): an MMRM with the subject's
# off-treatment status as a time-varying covariate, fitted on every observed
# outcome including those retrieved after treatment discontinuation, then
# imputation of the missing outcomes from that model (MAR given the status).

#' Retrieved-dropout multiple imputation
#'
#' The approach FDA reviewers prefer for treatment-policy estimands: outcomes
#' observed after treatment discontinuation ("retrieved dropouts") inform the
#' imputation of the outcomes missing after discontinuation. The imputation
#' model is the MMRM of [mi_reference_based()] with the off-treatment status
#' added as a covariate,
#' \deqn{E(Y_{ij}) = x_{ij}^\top\beta + \gamma_{a(i)} s_{ij}}{E(Y_ij) = x_ij' beta + gamma_a(i) s_ij}
#' where \eqn{x_{ij}} holds `group + visit + vars$covariates`, \eqn{s_{ij}}
#' is the status of subject \eqn{i} at visit \eqn{j} (`off_treatment =
#' "indicator"`: `OFFTRT`, 1 from the first visit affected by its event in
#' `data_ice`; `"time"`: `TSD`, the number of visits since, 1, 2, ...) and
#' \eqn{\gamma} is one coefficient (`interaction = "none"`), one per arm
#' (`"arm"`, the default) or one per arm and visit (`"arm_visit"`), with an
#' unstructured (by default) covariance over visits. It is fitted by REML on
#' all observed outcomes, on and off treatment. Each missing outcome is then
#' imputed under MAR given the subject's observed outcomes and its status at
#' the missing visit: by its conditional mean
#' \eqn{\mu_m + \Sigma_{mo}\Sigma_{oo}^{-1}(y_o - \mu_o)} with
#' [mi_condmean()] (jackknife or bootstrap standard errors), as in
#' [mi_reference_based()] with every strategy `MAR`. The per-visit ANCOVA and
#' pooling are those of [mi_reference_based()].
#'
#' Every off-treatment coefficient must be estimable: each arm (and visit,
#' for `"arm_visit"`) with a missing off-treatment outcome needs at least one
#' observed (retrieved) off-treatment outcome, otherwise a classed error
#' `glycotrial_error_mi_retrieved` says which cell has none.
#'
#' @inheritParams mi_reference_based
#' @param data_ice The treatment-discontinuation events: the subject column and
#'   the first visit off treatment (`vars$visit` column), e.g. from
#'   [mi_ice_from_discontinuation()]; a strategy column is not needed.
#' @param off_treatment `"indicator"` or `"time"` (see Details).
#' @param interaction `"arm"`, `"arm_visit"` or `"none"` (see Details).
#' @param ... Passed to [mi_reference_based()] (`analysis_covariates`,
#'   `delta`, `n_threads`, `conf_level`, `alternative`, `pool_type`).
#' @return A `glycotrial_mi` result (class `glycotrial_mi_retrieved` first)
#'   with `retrieved`: the covariate terms added and the number of observed
#'   off-treatment outcomes per arm.
#' @references Wang Y, Tu W, Kim Y, Sinks S, He J, Cambon A, Crackel R,
#'   Hamilton K, Kettermann A, Clark J (2023). Statistical methods for
#'   handling missing data to align with treatment policy strategy.
#'   Pharmaceutical Statistics 22:650-670.
#' @examples
#' d <- mi_example_data(n = 60, seed = 1)
#' ice <- attr(d, "data_ice")
#' # discontinuation one visit before dropout: that visit's outcome is retrieved
#' ice$AVISIT <- levels(d$AVISIT)[match(ice$AVISIT, levels(d$AVISIT)) - 1]
#' fit <- mi_retrieved_dropout(d, mi_example_vars(), ice, interaction = "none",
#'   analysis_covariates = "BASE")
#' fit
#' @export
mi_retrieved_dropout <- function(data, vars, data_ice, method = mi_condmean(),
                                 off_treatment = c("indicator", "time"),
                                 interaction = c("arm", "arm_visit", "none"), ...) {
  call <- sys.call()
  off_treatment <- match.arg(off_treatment)
  interaction <- match.arg(interaction)
  check_data_frame(data, call = call)
  vars <- mi_check_vars(vars, data)
  if (is.null(data_ice) || !is.data.frame(data_ice) || !nrow(data_ice)) {
    glycotrial_abort("{.arg data_ice} must list the treatment discontinuations (one row per subject); without them there is no off-treatment status.",
                     class = c("input", "glycotrial_error_mi_retrieved"), call = call)
  }
  clash <- intersect(c("OFFTRT", "TSD"), names(data))
  if (length(clash)) {
    glycotrial_abort("{.arg data} already has column{?s} {.field {clash}}, which {.fn mi_retrieved_dropout} derives from {.arg data_ice}; rename {?it/them}.",
                     call = call)
  }
  d <- mi_ice_treatment_status(data, data_ice, vars$subjid, vars$visit)
  term <- if (off_treatment == "indicator") "OFFTRT" else "TSD"
  cov <- switch(interaction, none = term, arm = paste0(term, ":", vars$group),
                arm_visit = paste0(term, ":", vars$group, ":", vars$visit))
  cells <- switch(interaction, none = rep("all", nrow(d)), arm = as.character(d[[vars$group]]),
                  arm_visit = paste(d[[vars$group]], d[[vars$visit]], sep = " at "))
  off <- d$OFFTRT == 1
  y_obs <- !is.na(d[[vars$outcome]])
  n_ret <- table(factor(cells[off & y_obs], levels = unique(cells)))
  need <- unique(cells[off & !y_obs])
  lacking <- need[n_ret[need] == 0]
  if (length(lacking)) {
    glycotrial_abort(c("No retrieved (observed off-treatment) outcome in {.val {lacking}}: the off-treatment effect there cannot be estimated, yet outcomes are missing off treatment.",
                       "i" = "Use a coarser {.arg interaction} (e.g. {.val none}), or a reference-based strategy for those subjects."),
                     class = c("input", "glycotrial_error_mi_retrieved"), call = call)
  }
  vars2 <- vars
  vars2$covariates <- c(vars$covariates, cov)
  fit <- mi_reference_based(d, vars2, data_ice = NULL, method = method, ...)
  fit$retrieved <- list(terms = cov, off_treatment = off_treatment, interaction = interaction,
                        n_retrieved = c(n_ret), data = d)
  class(fit) <- c("glycotrial_mi_retrieved", class(fit))
  fit
}

#' @export
print.glycotrial_mi_retrieved <- function(x, ...) {
  r <- x$retrieved
  cat(sprintf("Retrieved-dropout imputation: off-treatment %s (%s), %d retrieved outcome%s\n",
              r$off_treatment, paste(r$terms, collapse = ", "), sum(r$n_retrieved),
              if (sum(r$n_retrieved) == 1) "" else "s"))
  NextMethod()
}
