# The "Estimands and sensitivity analyses" section of the trial report
# (issue 20): the estimand of the glycaemic-marker endpoint, its
# intercurrent events from ADSL, MAR / jump-to-reference / copy-reference
# conditional-mean imputation and a tipping-point grid.

# Why the section cannot be computed ("" / NULL when it can): called from the
# report registry (R/report_sections.R).
report_estimands_check <- function(ctx) {
  adsl <- ctx$adsl
  if (!any(c("DCTREAS", "DCSREAS") %in% names(adsl))) {
    return("ADSL has no discontinuation reason (DCTREAS or DCSREAS) to define the intercurrent events")
  }
  reason <- intersect(c("DCTREAS", "DCSREAS"), names(adsl))[1]
  date <- if (reason == "DCSREAS") "EOSDT" else "TRTEDT"
  miss <- setdiff(c(date, "TRTSDT"), names(adsl))
  if (length(miss)) return(sprintf("ADSL has no %s for the discontinuation day", paste(miss, collapse = ", ")))
  if (!"ADY" %in% names(ctx$adlb)) return("ADLB has no study day ADY to map events to visits")
  if (length(unique(ctx$visits$AVISITN[ctx$visits$AVISITN > 0])) < 2) {
    return("the glycaemic marker has fewer than two post-baseline visits")
  }
  ""
}

#' Estimands and sensitivity analyses of the trial report
#'
#' Computes the section "Estimands and sensitivity analyses" of
#' [render_trial_report()] from a [report_context()]: the intercurrent events
#' (treatment discontinuation, else study discontinuation, from ADSL, mapped
#' to the first affected visit by [mi_ice_from_discontinuation()]), the
#' change from baseline of the glycaemic marker analysed by ANCOVA on baseline
#' at the primary visit after conditional-mean imputation
#' ([mi_reference_based()], jackknife standard errors) under MAR,
#' jump-to-reference and copy-reference with the control arm as reference,
#' and a tipping-point grid of the MAR analysis ([mi_tipping_point()]) over
#' shifts of the active arms' imputed values.
#'
#' @param ctx A [report_context()].
#' @param tipping Compute the tipping-point grid.
#' @param draws Also run approximate Bayesian MI ([mi_approxbayes()], Rubin's
#'   rules) for each strategy.
#' @param n_imputations Imputations of the approximate Bayesian MI.
#' @param seed Seed of the approximate Bayesian MI.
#' @return A list: `estimand` (attribute, definition), `results` (one row per
#'   strategy and comparison at the primary visit), `data_ice`, `fits` (by
#'   strategy), `tipping` (a [mi_tipping_point()] grid or `NULL`) and
#'   `tipping_note` (why there is no grid, or `""`).
#' @examples
#' ctx <- suppressMessages(report_context(list(fast = TRUE)))
#' est <- report_estimands(ctx, tipping = FALSE)
#' est$estimand
#' est$results
#' @export
report_estimands <- function(ctx, tipping = TRUE, draws = FALSE, n_imputations = 50, seed = 1) {
  if (!is.environment(ctx) || is.null(ctx$plan)) {
    glycotrial_abort("{.arg ctx} must be a {.fn report_context} result, not {describe_value(ctx)}.")
  }
  why <- report_estimands_check(ctx)
  if (nzchar(why)) {
    glycotrial_abort("The estimands section cannot be computed: {why}.",
                     class = c("input", "glycotrial_error_report_input"))
  }
  arm_var <- ctx$arm_var
  control <- ctx$control
  d <- report_estimands_data(ctx)
  sched <- mi_ice_schedule(ctx$adlb_visits[ctx$adlb_visits$PARAMCD == ctx$marker, , drop = FALSE])
  sched <- sched[sched$AVISIT %in% levels(d$AVISIT), , drop = FALSE]
  adsl <- ctx$adsl[ctx$adsl$USUBJID %in% d$USUBJID, , drop = FALSE]
  ice <- suppressMessages(mi_ice_from_discontinuation(adsl, sched, strategy = "MAR"))
  vars <- list(subjid = "USUBJID", visit = "AVISIT", group = arm_var, outcome = "CHG",
               covariates = c("BASE*AVISIT", paste0("`", arm_var, "`*AVISIT")))
  reference <- stats::setNames(rep(control, length(ctx$comparisons)), ctx$comparisons)
  target <- ctx$target_label
  fits <- list()
  rows <- list()
  cov <- ctx$params$covariance %||% "us"
  methods <- list(condmean = mi_condmean(covariance = cov))
  if (isTRUE(draws)) methods$approxbayes <- mi_approxbayes(n_imputations, covariance = cov)
  labels <- c(condmean = "conditional mean (jackknife)",
              approxbayes = sprintf("approximate Bayesian MI (m = %d)", n_imputations))
  for (st in c("MAR", "JR", "CR")) for (mt in names(methods)) {
    ice_st <- ice
    ice_st$strategy <- rep(st, nrow(ice_st))
    fit <- mi_reference_based(d, vars, data_ice = ice_st, method = methods[[mt]],
                              reference = reference, analysis_covariates = "BASE",
                              post_ice = "exclude", conf_level = ctx$conf,
                              seed = if (mt == "condmean") NULL else seed)
    if (mt == "condmean") fits[[st]] <- fit
    r <- fit$results[fit$results$visit == target, , drop = FALSE]
    rows[[paste(st, mt)]] <- data.frame(strategy = st, method = labels[[mt]],
                                        comparison = sub(" - ", " vs ", r$contrast),
                                        estimate = r$estimate, se = r$se, lower = r$lower,
                                        upper = r$upper, p_value = r$p_value,
                                        stringsAsFactors = FALSE)
  }
  results <- do.call(rbind, rows)
  rownames(results) <- NULL
  reason <- intersect(c("DCTREAS", "DCSREAS"), names(adsl))[1]
  ev <- if (reason == "DCTREAS") "treatment discontinuation" else "study discontinuation"
  n_miss <- sum(is.na(d$CHG[d$AVISIT == target]))
  unit <- unique(ctx$adlb$AVALU[ctx$adlb$PARAMCD == ctx$marker])
  unit <- if (length(unit) && !is.na(unit[1]) && nzchar(unit[1])) paste0(" (", unit[1], ")") else ""
  estimand <- data.frame(
    attribute = c("Population", "Treatment", "Variable", "Intercurrent events and strategies",
                  "Summary measure", "Missing data"),
    definition = c(
      if (!is.null(ctx$itt_flag)) sprintf("Randomized subjects (%s = Y), N = %d", ctx$itt_flag,
                                           length(unique(d$USUBJID)))
      else sprintf("Randomized subjects, N = %d", length(unique(d$USUBJID))),
      sprintf("%s vs %s", paste(ctx$comparisons, collapse = ", "), control),
      sprintf("Change from baseline in %s%s at %s", ctx$marker, unit, target),
      sprintf("%s (%s, %d subject%s): hypothetical strategy under MAR (primary); reference-based jump to reference (JR) and copy reference (CR) with %s as reference (sensitivity)",
              paste0(toupper(substr(ev, 1, 1)), substring(ev, 2)), reason, nrow(ice), if (nrow(ice) == 1) "" else "s", control),
      sprintf("Difference in means (ANCOVA on baseline) at %s with %g%% CI", target, 100 * ctx$conf),
      sprintf("%d missing at %s; conditional mean imputation (MMRM, %s covariance), jackknife standard errors%s",
              n_miss, target, cov,
              if (isTRUE(draws)) sprintf("; approximate Bayesian MI with %d imputations, Rubin's rules", n_imputations) else "")),
    stringsAsFactors = FALSE)
  out <- list(estimand = estimand, results = results, data_ice = ice, fits = fits, tipping = NULL,
              tipping_note = "")
  if (tipping) {
    tp <- report_estimands_tipping(fits$MAR, target)
    out$tipping <- tp$grid
    out$tipping_note <- tp$note
  }
  out
}

# One row per subject and post-baseline visit (missing outcomes NA) of the
# marker's change from baseline; population: the ITT flag when present.
report_estimands_data <- function(ctx) {
  arm_var <- ctx$arm_var
  al <- ctx$adlb_visits
  al <- al[al$PARAMCD == ctx$marker & al$AVISITN > 0 & is.na(al$ATPTN), , drop = FALSE]
  al <- al[al$AVISITN <= ctx$target, , drop = FALSE]
  adsl <- ctx$adsl
  if (!is.null(ctx$itt_flag)) adsl <- adsl[adsl[[ctx$itt_flag]] %in% "Y", , drop = FALSE]
  vis <- unique(al[order(al$AVISITN), c("AVISITN", "AVISIT")])
  base <- tapply(al$BASE, al$USUBJID, function(b) b[!is.na(b)][1])
  ids <- intersect(adsl$USUBJID, names(base)[!is.na(base)])
  g <- expand.grid(AVISIT = as.character(vis$AVISIT), USUBJID = ids, stringsAsFactors = FALSE)
  key <- paste(al$USUBJID, al$AVISIT)
  g$CHG <- al$CHG[match(paste(g$USUBJID, g$AVISIT), key)]
  g$BASE <- unname(base[g$USUBJID])
  g[[arm_var]] <- factor(as.character(adsl[[arm_var]][match(g$USUBJID, adsl$USUBJID)]),
                         levels = c(ctx$control, ctx$comparisons))
  g$AVISIT <- factor(g$AVISIT, levels = as.character(vis$AVISIT))
  g[order(g$USUBJID, g$AVISIT), c("USUBJID", arm_var, "AVISIT", "BASE", "CHG")]
}

# Tipping-point grid of the MAR analysis: shifts of the active arms' imputed
# values from 0 to 1.5 times the shift where the first comparison's CI
# reaches 0 (found from the slope of its limit over a unit shift).
report_estimands_tipping <- function(fit, target) {
  pb <- fit$problem
  k <- length(pb$visits)
  at_target <- rep(pb$visits == target, length(pb$subjects))
  has_imp <- function(arms) any(pb$is_missing & at_target & rep(pb$arm %in% arms, each = k))
  active <- unique(pb$arm[pb$reference != pb$arm])
  # the active arms' imputed values, else (none missing there) the control's
  arms <- if (has_imp(active)) active else unique(pb$reference)
  if (!has_imp(arms)) {
    return(list(grid = NULL, note = sprintf("no value is imputed at %s", target)))
  }
  probe <- mi_tipping_point(fit, deltas = c(0, 1), arms = arms, visits = target)
  first <- probe[probe$visit == target & probe$contrast == probe$contrast[1], , drop = FALSE]
  bound <- if (first$estimate[1] < 0) first$upper else first$lower
  slope <- diff(bound)
  if (!is.finite(slope) || abs(slope) < 1e-12) {
    return(list(grid = NULL, note = sprintf("shifting the imputed values at %s does not move the confidence limit", target)))
  }
  grid <- seq(0, -1.5 * bound[1] / slope, length.out = 16)
  tp <- mi_tipping_point(fit, deltas = grid, arms = arms, visits = target)
  attr(tp, "arms") <- arms
  list(grid = tp, note = "")
}
