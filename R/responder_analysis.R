# Responder analysis: proportions, differences, ratios, tests, stratified and
# covariate-adjusted analyses and the missing-data strategies.

responder_missing <- c("non-responder", "complete-case", "multiple-imputation", "tipping-point")

default_responder_ci <- function() {
  list(prop = "wilson", diff = c("newcombe", "mn", "wald"), ratio = "score",
       strat = c("mh", "mnmh", "mn", "newcombe"))
}

#' Responder analysis: proportions, differences, ratios and tests
#'
#' Analyses a binary responder endpoint by arm, with every interval and test
#' a reviewer (or SAS PROC FREQ) would show, and a chosen strategy for
#' subjects whose response could not be derived.
#'
#' For the two arms compared (treatment minus control) it reports per-arm
#' proportions with CIs ([prop_ci()]), risk-difference CIs ([diff_ci()]; the
#' first method in `ci$diff` is the primary), relative risk and odds ratio
#' ([ratio_ci()]), Fisher's exact and Pearson's chi-square tests; with
#' `strata`, the CMH test, Mantel–Haenszel estimates, stratified risk
#' differences ([stratified_diff_ci()]) and the Breslow–Day test; with
#' `covariates`, the logistic-regression g-computation risk difference
#' ([covariate_adjusted_rd()]).
#'
#' Missing-data strategies (`missing`):
#' \describe{
#'   \item{`"non-responder"`}{(default for a composite) missing = failure.}
#'   \item{`"complete-case"`}{subjects with a missing response are dropped.}
#'   \item{`"multiple-imputation"`}{the continuous components at the analysis
#'     visit are imputed under MAR, `n_imputations` times, by sequential
#'     regression within arm (the visits of all components in visit order,
#'     each value from the component's baseline, the other components'
#'     baselines, every component's earlier visits and the components
#'     imputed before it at the same visit, so that the correlation between
#'     the components, on which a composite depends, is kept; with
#'     proper Bayesian draws of the regression parameters;
#'     values of non-negative parameters are truncated at 0); responders are
#'     derived per imputation with the same rules (observed components are kept)
#'     and the risk differences (Wald variance) and, with strata, the MH risk
#'     differences (Sato variance) are pooled with Rubin's rules and the
#'     Barnard–Rubin degrees of freedom; the per-arm proportions get the
#'     MI-Wilson interval (Lott & Reiter) and the difference also the
#'     MI-Newcombe interval built from them (see [mi_composite()]). Needs `responders` from
#'     [derive_responders()]. Subjects without a baseline count as
#'     non-responders.}
#'   \item{`"tipping-point"`}{every split of each arm's missing subjects into
#'     responders and non-responders (imputed response rates from 0 to 1 by
#'     arm), with the primary CI and Fisher's p-value for each; the
#'     headline analysis is non-responder imputation. See `autoplot()`.}
#' }
#'
#' @param responders A data frame with one row per subject, usually from
#'   [derive_responders()].
#' @param arm Name of the arm column.
#' @param strata Optional names of stratification columns (their combinations
#'   define the strata).
#' @param missing One of the strategies above.
#' @param ci A list with elements `prop`, `diff`, `ratio`, `strat`: method
#'   names for [prop_ci()], [diff_ci()], [ratio_ci()] and
#'   [stratified_diff_ci()]. Elements not given take the defaults
#'   `list(prop = "wilson", diff = c("newcombe", "mn", "wald"), ratio = "score",
#'   strat = c("mh", "mnmh", "mn", "newcombe"))`.
#' @param conf_level Confidence level in (0, 1).
#' @param response Name of the response column (default: the composite of
#'   `responders`, else `"RESPONDER"`); logical or 0/1 with `NA` for missing.
#' @param treatment,control Arm values compared (default: `control` is the
#'   first sorted value).
#' @param covariates Optional baseline covariate columns for the adjusted
#'   analysis.
#' @param n_imputations Number of imputations (multiple imputation).
#' @param seed Optional seed for the imputations (the caller's RNG state is
#'   restored afterwards).
#' @param unmatched `"drop"` (default): subjects with a missing arm are left
#'   out with a classed message (`glycotrial_message_dropped_subjects`);
#'   `"error"`: they are a classed error.
#' @return An object of class `glycotrial_responder_analysis`: a list with
#'   `arms`, `difference`, `ratios`, `tests`, `stratified` (or `NULL`),
#'   `adjusted` (or `NULL`), `imputation` (or `NULL`), `tipping` (or `NULL`),
#'   `missing`, `settings`. Methods: `print()`, `as.data.frame()` (one long
#'   table), `tidy()`, and `autoplot()` for tipping-point results.
#' @examples
#' rsp <- derive_responders(adlb, adsl, visit = "Week 48")
#' res <- responder_analysis(rsp, arm = "ARM", treatment = "UC-MSC")
#' res
#' tidy(res)
#' responder_analysis(rsp, treatment = "UC-MSC", strata = "STRATA",
#'                    missing = "tipping-point")
#' @export
responder_analysis <- function(responders, arm = "ARM", strata = NULL,
                               missing = c("non-responder", "complete-case",
                                           "multiple-imputation", "tipping-point"),
                               ci = list(), conf_level = 0.95, response = NULL,
                               treatment = NULL, control = NULL, covariates = NULL,
                               n_imputations = 50, seed = NULL,
                               unmatched = c("drop", "error")) {
  call <- sys.call()
  missing <- check_choice(missing[1], responder_missing, arg = "missing", call = call)
  response <- response %||% attr(responders, "response") %||% "RESPONDER"
  check_string(arm, arg = "arm", call = call)
  check_data_frame(responders, cols = c(arm, response, strata, covariates), arg = "responders",
                   call = call)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE, arg = "conf_level", call = call)
  if (!is.list(ci)) glycotrial_abort("{.arg ci} must be a list, not {describe_value(ci)}.", call = call)
  unknown <- setdiff(names(ci), names(default_responder_ci()))
  if (length(unknown)) {
    glycotrial_abort(c("Unknown element{?s} {.val {unknown}} in {.arg ci}.",
                       "i" = "Valid elements: {.val {names(default_responder_ci())}}."), call = call)
  }
  ci <- utils::modifyList(default_responder_ci(), ci)
  ci$prop <- match_ci_method(ci$prop, prop_ci_methods, prop_ci_aliases, arg = "ci$prop", call = call)
  ci$diff <- match_ci_method(ci$diff, diff_ci_methods, diff_ci_aliases, arg = "ci$diff", call = call)
  ci$ratio <- match_ci_method(ci$ratio, ratio_ci_methods, ratio_ci_aliases, arg = "ci$ratio", call = call)
  ci$strat <- match_ci_method(ci$strat, strat_diff_methods, arg = "ci$strat", call = call)
  unmatched <- check_unmatched(unmatched, call = call)
  if (!is.null(seed) && (!is.numeric(seed) || length(seed) != 1 || !is.finite(seed) ||
                         abs(seed) > .Machine$integer.max)) {
    glycotrial_abort("{.arg seed} must be a single whole number or {.code NULL}, not {describe_value(seed)}.",
                     call = call)
  }
  # Subjects without an arm are never left out silently (R/subject_keys.R).
  av <- responders[[arm]]
  if (is.list(av) || !is.atomic(av)) {
    glycotrial_abort("{.arg responders} column {.field {arm}} must hold treatment arms, not {describe_value(av)}.",
                     call = call)
  }
  no_arm <- is.na(av) | trimws(as.character(av)) == ""
  if (any(no_arm)) {
    sid <- attr(responders, "subject") %||% "USUBJID"
    ids <- if (sid %in% names(responders)) responders[[sid]][no_arm] else character()
    report_missing_key(ids, sum(no_arm), "subjects", sprintf("missing arm (%s)", arm),
                       unmatched, call)
  }
  if (all(no_arm)) {
    no_subjects_error("{.arg responders} has no subjects with an arm to analyse.", call)
  }
  arms <- resolve_arms(responders[[arm]], treatment, control, arm, call)
  d <- responders[responders[[arm]] %in% arms, , drop = FALSE]
  y <- d[[response]]
  if (is.logical(y)) y <- as.numeric(y)
  if (!is.numeric(y) || any(!y[!is.na(y)] %in% c(0, 1))) {
    glycotrial_abort("Response column {.field {response}} must be logical or 0/1 (NA = missing).",
                     call = call)
  }
  for (a in arms) {
    if (all(is.na(y[d[[arm]] == a]))) {
      glycotrial_abort(c("Every response in arm {.val {a}} is missing; the analysis is not defined.",
                         "i" = "Check the analysis visit and the data of this arm."),
                       class = c("input", "glycotrial_error_all_missing"), call = call)
    }
  }
  n_missing <- vapply(arms, function(a) sum(is.na(y[d[[arm]] == a])), numeric(1))
  out <- list(missing = list(strategy = missing, n_missing = n_missing),
              settings = list(arm = arm, treatment = arms[["treatment"]],
                              control = arms[["control"]], response = response, strata = strata,
                              covariates = covariates, ci = ci, conf_level = conf_level))
  if (missing == "multiple-imputation") {
    if (!inherits(responders, "glycotrial_responders")) {
      glycotrial_abort("Multiple imputation needs {.arg responders} from {.fn derive_responders} (it imputes the components).",
                       call = call)
    }
    check_count(n_imputations, lower = 2, len = 1, arg = "n_imputations", call = call)
    full <- responders
    keep <- full[[arm]] %in% arms
    imps <- impute_responders(full, full[[arm]], unname(arms), n_imputations, seed)
    imps <- lapply(imps, function(v) v[keep])
    res <- analyse_responders(d, ifelse(is.na(y), 0, y), arm, arms, strata, covariates, ci,
                              conf_level, call)
    out <- c(res, out)
    out$imputation <- pool_imputations(imps, d, arm, arms, strata, conf_level)
    out$arms <- out$imputation$arms
    out$difference <- rbind(out$imputation$difference, transform_nri(res$difference))
  } else {
    yy <- y
    dd <- d
    if (missing == "complete-case") {
      dd <- d[!is.na(y), , drop = FALSE]
      yy <- y[!is.na(y)]
    } else {
      yy[is.na(yy)] <- 0
    }
    out <- c(analyse_responders(dd, yy, arm, arms, strata, covariates, ci, conf_level, call), out)
    if (missing == "tipping-point") {
      obs <- !is.na(y)
      t1 <- d[[arm]] == arms[["treatment"]]; t0 <- d[[arm]] == arms[["control"]]
      out$tipping <- tipping_grid(sum(y[t1 & obs]), sum(t1 & obs), sum(t1 & !obs),
                                  sum(y[t0 & obs]), sum(t0 & obs), sum(t0 & !obs),
                                  ci$diff[1], conf_level)
    }
  }
  class(out) <- "glycotrial_responder_analysis"
  out
}

# Labels the NRI rows shown next to the multiple-imputation result.
transform_nri <- function(tab) {
  tab$method <- paste0(tab$method, " (non-responder imputation)")
  tab
}

analyse_responders <- function(d, y, arm, arms, strata, covariates, ci, conf_level, call) {
  g1 <- d[[arm]] == arms[["treatment"]]
  g0 <- d[[arm]] == arms[["control"]]
  x1 <- sum(y[g1]); n1 <- sum(g1); x0 <- sum(y[g0]); n0 <- sum(g0)
  pc <- prop_ci(c(x1, x0), c(n1, n0), method = ci$prop, conf_level = conf_level)
  arms_tab <- data.frame(arm = rep(unname(arms), length(ci$prop)), n = pc$n, responders = pc$x,
                         proportion = pc$estimate, lower = pc$lower, upper = pc$upper,
                         method = pc$method, stringsAsFactors = FALSE)
  dc <- diff_ci(x1, n1, x0, n0, method = ci$diff, conf_level = conf_level)
  difference <- data.frame(method = dc$method, estimate = dc$estimate, lower = dc$lower,
                           upper = dc$upper, stringsAsFactors = FALSE)
  ratios <- rbind(ratio_ci(x1, n1, x0, n0, "rr", ci$ratio, conf_level),
                  ratio_ci(x1, n1, x0, n0, "or", ci$ratio, conf_level))
  ratios <- ratios[, c("measure", "method", "estimate", "lower", "upper")]
  fe <- fisher_exact_test(x1, n1, x0, n0)
  tests <- data.frame(test = "Fisher's exact", statistic = NA_real_, df = NA_real_,
                      p_value = fe$p_value, stringsAsFactors = FALSE)
  chi <- tryCatch(pearson_chisq_test(matrix(c(x1, x0, n1 - x1, n0 - x0), 2)),
                  glycotrial_error_input = function(e) NULL)
  if (!is.null(chi)) {
    tests <- rbind(tests, data.frame(test = "Pearson chi-square", statistic = chi$statistic,
                                     df = chi$df, p_value = chi$p_value))
  }
  stratified <- NULL
  if (length(strata)) {
    s <- stratum_counts(d, y, arm, arms, strata, call)
    cmh <- cmh_test(s$x1, s$n1, s$x0, s$n0)
    tests <- rbind(tests, data.frame(test = "CMH (general association)",
                                     statistic = cmh$statistic, df = cmh$df,
                                     p_value = cmh$p_value))
    bd <- tryCatch(breslow_day_test(s$x1, s$n1, s$x0, s$n0),
                   glycotrial_error_input = function(e) NULL)
    if (!is.null(bd)) {
      tests <- rbind(tests, data.frame(test = bd$test, statistic = bd$statistic, df = bd$df,
                                       p_value = bd$p_value))
    }
    stratified <- list(
      counts = s,
      difference = stratified_diff_ci(s$x1, s$n1, s$x0, s$n0, ci$strat, conf_level),
      mh = mh_estimate(s$x1, s$n1, s$x0, s$n0, c("rd", "rr", "or"), conf_level))
  }
  adjusted <- NULL
  if (length(covariates)) {
    dd <- d
    dd$.response <- y
    adjusted <- covariate_adjusted_rd(dd, ".response", arm, covariates,
                                      treatment = arms[["treatment"]],
                                      control = arms[["control"]], conf_level = conf_level)
  }
  list(arms = arms_tab, difference = difference, ratios = ratios, tests = tests,
       stratified = stratified, adjusted = adjusted)
}

stratum_counts <- function(d, y, arm, arms, strata, call) {
  key <- interaction(d[, strata, drop = FALSE], drop = TRUE, sep = " / ")
  lev <- levels(key)
  g1 <- d[[arm]] == arms[["treatment"]]
  cnt <- function(sel) vapply(lev, function(l) sum(sel & key == l), numeric(1))
  s <- data.frame(stratum = lev,
                  x1 = vapply(lev, function(l) sum(y[g1 & key == l]), numeric(1)),
                  n1 = cnt(g1),
                  x0 = vapply(lev, function(l) sum(y[!g1 & key == l]), numeric(1)),
                  n0 = cnt(!g1), stringsAsFactors = FALSE, row.names = NULL)
  single <- s$stratum[s$n1 == 0 | s$n0 == 0]
  if (length(single)) {
    glycotrial_abort(c("Stratum {.val {single}} contains only one arm; stratified analyses need both arms in every stratum.",
                       "i" = "Pool sparse strata before the analysis."),
                     class = c("input", "glycotrial_error_single_arm_stratum"), call = call)
  }
  s
}

pool_imputations <- function(imps, d, arm, arms, strata, conf_level) {
  g1 <- d[[arm]] == arms[["treatment"]]
  g0 <- d[[arm]] == arms[["control"]]
  n1 <- sum(g1); n0 <- sum(g0)
  # Per-arm MI-Wilson intervals, Rubin on the difference and MI-Newcombe
  # (R/mi_composite.R).
  pr <- mi_pool_responders(imps, g1, g0, arms, conf_level)
  per <- pr$per_imputation
  arms_tab <- pr$arms
  difference <- pr$difference
  pooled <- cbind(term = "risk difference", pr$rubin, stringsAsFactors = FALSE)
  if (length(strata)) {
    mh <- t(vapply(imps, function(y) {
      s <- stratum_counts(d, y, arm, arms, strata, NULL)
      r <- mh_estimate(s$x1, s$n1, s$x0, s$n0, "rd", conf_level)
      c(r$estimate, r$se^2)
    }, numeric(2)))
    pm <- rubin_pool(mh[, 1], mh[, 2], n1 + n0 - 2, conf_level)
    pooled <- rbind(pooled, cbind(term = "MH risk difference (Sato)", pm, stringsAsFactors = FALSE))
  }
  list(arms = arms_tab, difference = difference, pooled = pooled, m = length(imps),
       per_imputation = per)
}
