# Responder derivation (one row per subject with each component, the
# composite and the reason when it cannot be derived) and the responder
# analysis (proportions, differences, ratios, tests, stratified and
# covariate-adjusted analyses, missing-data strategies).

#' Derive responders from ADaM data
#'
#' Evaluates responder rules (see [responder_rules]) at one analysis visit for
#' every subject of `adsl`, returning one row per subject with, for each
#' component, the value at the visit, the baseline, and the component result;
#' then the composite and, when it cannot be derived, the reason (missing
#' visit, missing baseline, zero baseline for a relative change).
#'
#' The value is `aval` at the visit. The baseline is `base` on that row when
#' present, otherwise `aval` on the subject's baseline record
#' (`baseline_flag == "Y"`). A relative change is `(value - baseline) /
#' baseline` (not the `PCHG` column, whose rounding could flip a boundary).
#' Components combine with three-valued logic: a subject with one component
#' known to fail is a non-responder even if another is missing.
#'
#' @param adlb Long data: one row per subject, parameter and visit.
#' @param adsl Subject-level data; every subject becomes a row of the result
#'   and all its columns are carried (for arms, strata and covariates).
#' @param rules A rule from [composite()], [any_of()] or a single condition.
#' @param visit Analysis visit: a value of `visit_var` (e.g. `"Week 48"`) or
#'   a number matched against `visitn`.
#' @param subject,arm,paramcd,visit_var,visitn,aval,base,unit,baseline_flag
#'   Column names (ADaM defaults). `arm` must be in `adsl`; `base`, `unit`,
#'   `visitn` and `baseline_flag` may be absent from `adlb` when not needed.
#' @param population Optional name of a `"Y"`/`"N"` flag in `adsl` (e.g.
#'   `"ITTFL"`) selecting the analysis population (Y/N, Yes/No, TRUE/FALSE,
#'   1/0 in any case).
#' @param unmatched `"drop"` (default): ADSL subjects with a missing arm and
#'   ADLB records of subjects absent from ADSL are left out with a classed
#'   message (`glycotrial_message_dropped_subjects`); `"error"`: they are a
#'   classed error. An empty population is always an error
#'   (`glycotrial_error_no_subjects`).
#' @return A data frame of class `glycotrial_responders`, one row per
#'   subject: the `adsl` columns, then for each component `<name>_AVAL`,
#'   `<name>_BASE` and `<name>` (logical), then the composite (logical, named
#'   after the rule, `RESPONDER` by default) and `REASON` (`""` when derived).
#'   The rules, visit and the longitudinal values used (for multiple
#'   imputation) are kept as attributes.
#' @examples
#' rsp <- derive_responders(adlb, adsl, visit = "Week 48")
#' table(rsp$ARM, rsp$RESPONDER, useNA = "ifany")
#' @export
derive_responders <- function(adlb, adsl, rules = composite(hba1c_below(7.0), insulin_reduction(0.5)),
                              visit = "Week 48", subject = "USUBJID", arm = "ARM",
                              paramcd = "PARAMCD", visit_var = "AVISIT", visitn = "AVISITN",
                              aval = "AVAL", base = "BASE", unit = "AVALU",
                              baseline_flag = "ABLFL", population = NULL,
                              unmatched = c("drop", "error")) {
  call <- sys.call()
  if (!inherits(rules, "glycotrial_rule")) {
    glycotrial_abort("{.arg rules} must be a responder rule (see {.fn composite}), not {describe_value(rules)}.",
                     call = call)
  }
  for (a in c("subject", "arm", "paramcd", "visit_var", "aval")) {
    check_string(get(a), arg = a, call = call)
  }
  unmatched <- check_unmatched(unmatched, call = call)
  if (!is.null(population)) check_string(population, arg = "population", call = call)
  check_data_frame(adlb, cols = c(subject, paramcd, aval), arg = "adlb", call = call)
  # One subject rule (R/subject_keys.R): population flag, missing arms and
  # identifiers, ADLB subjects absent from ADSL, empty population.
  pop <- subject_population(adsl, subject, arm, population, unmatched = unmatched,
                            data = "adsl", call = call)
  match_subjects(adlb[[subject]], as.character(adsl[[subject]]), pop$id,
                 unmatched = unmatched, data = "adlb", call = call)
  adsl <- adsl[pop$row, , drop = FALSE]
  if (!(is.character(visit) || is.numeric(visit)) || length(visit) != 1 || is.na(visit)) {
    glycotrial_abort("{.arg visit} must be a single visit name or number, not {describe_value(visit)}.",
                     call = call)
  }
  vcol <- if (is.numeric(visit)) visitn else visit_var
  check_data_frame(adlb, cols = vcol, arg = "adlb", call = call)
  if (!any(adlb[[vcol]] == visit, na.rm = TRUE)) {
    glycotrial_abort(c("Visit {.val {visit}} does not occur in {.field {vcol}} of {.arg adlb}.",
                       "i" = "Visits present: {.val {unique(adlb[[vcol]])}}."), call = call)
  }
  ids <- adsl[[subject]]
  out <- adsl
  leaves <- rule_leaves(rules)
  comp <- list()
  reasons <- list()
  long <- list()
  for (l in leaves) {
    rows <- adlb[!is.na(adlb[[paramcd]]) & adlb[[paramcd]] == l$paramcd, , drop = FALSE]
    if (!nrow(rows)) {
      glycotrial_abort(c("Parameter {.val {l$paramcd}} (rule {.field {l$name}}) does not occur in {.field {paramcd}} of {.arg adlb}.",
                         "i" = "Parameters present: {.val {unique(adlb[[paramcd]])}}."),
                       call = call)
    }
    rows[[aval]] <- read_adam_numeric(rows[[aval]], aval, "adlb", call)
    if (base %in% names(rows)) rows[[base]] <- read_adam_numeric(rows[[base]], base, "adlb", call)
    rows[[aval]] <- rule_units(rows, l, unit, aval, base, call)
    if (base %in% names(rows) && !is.null(attr(rows[[aval]], "base"))) {
      rows[[base]] <- attr(rows[[aval]], "base")
    }
    attr(rows[[aval]], "base") <- NULL
    at <- rows[!is.na(rows[[vcol]]) & rows[[vcol]] == visit, , drop = FALSE]
    if (anyDuplicated(at[[subject]])) {
      glycotrial_abort(c("{.arg adlb} has several {.val {l$paramcd}} records at {.val {visit}} for subject {.val {at[[subject]][duplicated(at[[subject]])][1]}}.",
                         "i" = "Keep one analysis record per subject and visit (e.g. filter on {.field ANL01FL})."),
                       call = call)
    }
    value <- at[[aval]][match(ids, at[[subject]])]
    bval <- if (base %in% names(at)) at[[base]][match(ids, at[[subject]])] else rep(NA_real_, length(ids))
    if (baseline_flag %in% names(rows)) {
      bl <- rows[adam_flag_is_yes(rows[[baseline_flag]], baseline_flag, "adlb", call), ,
                 drop = FALSE]
      bl <- bl[!duplicated(bl[[subject]]), , drop = FALSE]
      from_bl <- bl[[aval]][match(ids, bl[[subject]])]
      bval[is.na(bval)] <- from_bl[is.na(bval)]
    }
    reason <- ifelse(is.na(value), paste0("no ", visit, " ", l$paramcd), "")
    res <- switch(l$kind,
      threshold = compare_op(value, l$op, l$value),
      absolute = compare_op(value - bval, l$op, l$value),
      relative = {
        rel <- ifelse(!is.na(bval) & bval == 0, NA_real_, (value - bval) / bval)
        compare_op(rel, l$op, l$value)
      })
    if (l$kind != "threshold") {
      reason <- ifelse(is.na(bval), trimws(paste(reason, paste0("no baseline ", l$paramcd))), reason)
      if (l$kind == "relative") {
        reason <- ifelse(!is.na(bval) & bval == 0,
                         trimws(paste(reason, paste0("baseline ", l$paramcd, " is 0"))), reason)
      }
    }
    out[[paste0(l$name, "_AVAL")]] <- value
    out[[paste0(l$name, "_BASE")]] <- bval
    out[[l$name]] <- res
    comp[[l$name]] <- res
    reasons[[l$name]] <- reason
    if (visitn %in% names(rows)) {
      long[[l$name]] <- data.frame(id = rows[[subject]], visitn = rows[[visitn]],
                                   value = rows[[aval]], stringsAsFactors = FALSE)
    }
  }
  resp <- eval_rule(rules, comp)
  why <- do.call(paste, c(unname(reasons), sep = "; "))
  why <- gsub("^(; )+|(; )+$", "", gsub("(; )+", "; ", why))
  resp_name <- if (inherits(rules, "glycotrial_rule_node")) rules$name else "RESPONDER"
  out[[resp_name]] <- resp
  out$REASON <- ifelse(is.na(resp), why, "")
  rownames(out) <- NULL
  structure(out, class = c("glycotrial_responders", "data.frame"),
            rules = rules, visit = visit, response = resp_name,
            subject = subject, arm = arm, long = long,
            target_visitn = target_visitn(adlb, vcol, visit, visitn))
}

`%||%` <- function(a, b) if (is.null(a)) b else a

target_visitn <- function(adlb, vcol, visit, visitn) {
  if (is.numeric(visit)) return(visit)
  if (!visitn %in% names(adlb)) return(NA_real_)
  v <- unique(adlb[[visitn]][!is.na(adlb[[vcol]]) & adlb[[vcol]] == visit])
  if (length(v) == 1) v else NA_real_
}

# Checks (and where possible converts) the units of one parameter's records
# against the rule; returns the values in the rule's unit (with the converted
# baseline as an attribute).
rule_units <- function(rows, rule, unit, aval, base, call) {
  vals <- rows[[aval]]
  if (is.null(rule$unit)) return(vals)
  if (!unit %in% names(rows)) {
    glycotrial_abort("Rule {.field {rule$name}} states unit {.val {rule$unit}} but {.arg adlb} has no unit column {.field {unit}}.",
                     class = c("input", "glycotrial_error_units"), call = call)
  }
  u <- rows[[unit]]
  if (!is.null(rule$quantity)) {
    # HbA1c in mmol/mol labelled % gives no responders, silently (R/plausibility.R)
    for (uu in unique(as.character(u[!is.na(u)]))) {
      i <- which(!is.na(u) & as.character(u) == uu)
      check_unit_plausibility(vals[i], rule$quantity, uu, what = rule$paramcd,
                              labels = if ("USUBJID" %in% names(rows)) rows$USUBJID[i])
    }
  }
  same <- function(a, b) {
    na <- normalise_unit(a); nb <- normalise_unit(b)
    ifelse(!is.na(na) & !is.na(nb), na == nb,
           tolower(gsub("\\s+", "", a)) == tolower(gsub("\\s+", "", b)))
  }
  ok <- !is.na(u) & same(u, rule$unit)
  if (all(ok | is.na(vals))) return(vals)
  bad_units <- unique(u[!ok & !is.na(vals)])
  if (is.null(rule$quantity) || anyNA(bad_units)) {
    glycotrial_abort(c("{.val {rule$paramcd}} is recorded in {.val {bad_units}} but rule {.field {rule$name}} expects {.val {rule$unit}}.",
                       "i" = "Convert the data, or state the rule's threshold in the data's unit."),
                     class = c("input", "glycotrial_error_units"), call = call)
  }
  out <- vals
  bout <- if (base %in% names(rows)) rows[[base]] else NULL
  for (bu in bad_units) {
    i <- !ok & !is.na(u) & u == bu
    out[i] <- convert_units(vals[i], rule$quantity, bu, rule$unit)
    if (!is.null(bout)) bout[i] <- convert_units(bout[i], rule$quantity, bu, rule$unit)
  }
  attr(out, "base") <- bout
  out
}

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
#'     regression within arm (each post-baseline visit in turn from the
#'     component's baseline, the other components' baselines and the earlier
#'     visits, with proper Bayesian draws of the regression parameters;
#'     values of non-negative parameters are truncated at 0); responders are
#'     derived per imputation with the same rules (observed components are kept)
#'     and the risk differences (Wald variance) and, with strata, the MH risk
#'     differences (Sato variance) are pooled with Rubin's rules and the
#'     Barnard–Rubin degrees of freedom. Needs `responders` from
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
  per <- t(vapply(imps, function(y) {
    p1 <- mean(y[g1]); p0 <- mean(y[g0])
    c(p1 = p1, p0 = p0, v1 = p1 * (1 - p1) / n1, v0 = p0 * (1 - p0) / n0)
  }, numeric(4)))
  rd <- rubin_pool(per[, "p1"] - per[, "p0"], per[, "v1"] + per[, "v0"], n1 + n0 - 2, conf_level)
  a1 <- rubin_pool(per[, "p1"], per[, "v1"], n1 - 1, conf_level)
  a0 <- rubin_pool(per[, "p0"], per[, "v0"], n0 - 1, conf_level)
  arms_tab <- data.frame(arm = unname(arms), n = c(n1, n0),
                         responders = c(a1$estimate * n1, a0$estimate * n0),
                         proportion = c(a1$estimate, a0$estimate),
                         lower = pmax(0, c(a1$lower, a0$lower)),
                         upper = pmin(1, c(a1$upper, a0$upper)),
                         method = "rubin (wald within imputation)", stringsAsFactors = FALSE)
  difference <- data.frame(method = "rubin (wald within imputation)", estimate = rd$estimate,
                           lower = rd$lower, upper = rd$upper, stringsAsFactors = FALSE)
  pooled <- cbind(term = "risk difference", rd, stringsAsFactors = FALSE)
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

#' @export
print.glycotrial_responder_analysis <- function(x, digits = 3, ...) {
  s <- x$settings
  f <- function(v) formatC(v, format = "f", digits = digits)
  pct <- function(v) formatC(100 * v, format = "f", digits = 1)
  cat("Responder analysis: ", s$response, " (", s$treatment, " vs ", s$control, ")\n", sep = "")
  cat("Missing data: ", x$missing$strategy, " (missing: ",
      paste0(c(s$treatment, s$control), " ", x$missing$n_missing, collapse = ", "), ")\n",
      sep = "")
  cat(sprintf("Confidence level: %g%%\n\n", 100 * s$conf_level))
  a <- x$arms
  cat("Response by arm\n")
  for (i in seq_len(nrow(a))) {
    cat(sprintf("  %-12s %6.1f/%-4d %5s%%  (%s%%, %s%%) [%s]\n", a$arm[i], a$responders[i],
                a$n[i], pct(a$proportion[i]), pct(a$lower[i]), pct(a$upper[i]), a$method[i]))
  }
  cat("\nRisk difference (", s$treatment, " - ", s$control, ")\n", sep = "")
  dd <- x$difference
  for (i in seq_len(nrow(dd))) {
    cat(sprintf("  %-45s %s  (%s, %s)\n", dd$method[i], f(dd$estimate[i]), f(dd$lower[i]),
                f(dd$upper[i])))
  }
  cat("\nRelative risk and odds ratio\n")
  r <- x$ratios
  for (i in seq_len(nrow(r))) {
    cat(sprintf("  %-3s %-12s %s  (%s, %s)\n", toupper(r$measure[i]), r$method[i], f(r$estimate[i]),
                f(r$lower[i]), f(r$upper[i])))
  }
  cat("\nTests\n")
  t <- x$tests
  for (i in seq_len(nrow(t))) {
    st <- if (is.na(t$statistic[i])) "" else sprintf("stat %s, df %g, ", f(t$statistic[i]), t$df[i])
    cat(sprintf("  %-28s %sp = %s\n", t$test[i], st, format.pval(t$p_value[i], digits = 3)))
  }
  if (!is.null(x$stratified)) {
    cat("\nStratified risk difference (strata: ", paste(s$strata, collapse = ", "), ")\n", sep = "")
    sd <- x$stratified$difference
    for (i in seq_len(nrow(sd))) {
      cat(sprintf("  %-10s %s  (%s, %s)\n", sd$method[i], f(sd$estimate[i]), f(sd$lower[i]),
                  f(sd$upper[i])))
    }
  }
  if (!is.null(x$adjusted)) {
    e <- x$adjusted$estimates
    cat(sprintf("\nCovariate-adjusted risk difference (g-computation; %s): %s  (%s, %s)\n",
                paste(s$covariates, collapse = ", "), f(e$estimate), f(e$lower), f(e$upper)))
  }
  if (!is.null(x$imputation)) {
    cat(sprintf("\nMultiple imputation: m = %d; fraction of missing information %s\n",
                x$imputation$m, f(x$imputation$pooled$fmi[1])))
    cat("  (response by arm and the 'rubin' difference are pooled over imputations; ratios,\n",
        "  tests and stratified/adjusted analyses use non-responder imputation)\n", sep = "")
  }
  if (!is.null(x$tipping)) {
    tp <- x$tipping
    cat(sprintf("\nTipping point: %d of %d imputation scenarios keep the %s CI excluding 0.\n",
                sum(tp$significant), nrow(tp), s$ci$diff[1]))
  }
  invisible(x)
}

#' @export
as.data.frame.glycotrial_responder_analysis <- function(x, ...) {
  rows <- list(
    data.frame(section = "arm", term = x$arms$arm, method = x$arms$method,
               estimate = x$arms$proportion, lower = x$arms$lower, upper = x$arms$upper,
               p_value = NA_real_, stringsAsFactors = FALSE),
    data.frame(section = "risk difference", term = paste(x$settings$treatment, "-", x$settings$control),
               method = x$difference$method, estimate = x$difference$estimate,
               lower = x$difference$lower, upper = x$difference$upper, p_value = NA_real_,
               stringsAsFactors = FALSE),
    data.frame(section = ifelse(x$ratios$measure == "rr", "relative risk", "odds ratio"),
               term = paste(x$settings$treatment, "/", x$settings$control),
               method = x$ratios$method, estimate = x$ratios$estimate, lower = x$ratios$lower,
               upper = x$ratios$upper, p_value = NA_real_, stringsAsFactors = FALSE),
    data.frame(section = "test", term = x$tests$test, method = "", estimate = x$tests$statistic,
               lower = NA_real_, upper = NA_real_, p_value = x$tests$p_value,
               stringsAsFactors = FALSE))
  if (!is.null(x$stratified)) {
    sd <- x$stratified$difference
    rows[[length(rows) + 1]] <- data.frame(section = "stratified risk difference",
                                           term = paste(x$settings$treatment, "-", x$settings$control),
                                           method = sd$method, estimate = sd$estimate,
                                           lower = sd$lower, upper = sd$upper,
                                           p_value = sd$p_value, stringsAsFactors = FALSE)
  }
  if (!is.null(x$adjusted)) {
    e <- x$adjusted$estimates
    rows[[length(rows) + 1]] <- data.frame(section = "adjusted risk difference",
                                           term = paste(x$settings$treatment, "-", x$settings$control),
                                           method = paste("g-computation", x$adjusted$variance),
                                           estimate = e$estimate, lower = e$lower,
                                           upper = e$upper, p_value = e$p_value,
                                           stringsAsFactors = FALSE)
  }
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

#' @method tidy glycotrial_responder_analysis
#' @export
tidy.glycotrial_responder_analysis <- function(x, ...) {
  d <- as.data.frame(x)
  data.frame(section = d$section, term = d$term, method = d$method, estimate = d$estimate,
             conf.low = d$lower, conf.high = d$upper, p.value = d$p_value,
             stringsAsFactors = FALSE)
}

# ggplot2::autoplot for tipping-point results: the grid of imputed response
# rates in the missing subjects of each arm, coloured by the p-value, with
# cells whose primary CI excludes 0 marked.
autoplot_responder_analysis <- function(object, ...) {
  if (is.null(object$tipping)) {
    glycotrial_abort("autoplot() needs a tipping-point analysis ({.code missing = \"tipping-point\"}).")
  }
  .data <- ggplot2::.data
  tp <- object$tipping
  s <- object$settings
  tp$x <- tp$k_treatment
  tp$y <- tp$k_control
  tp$label <- ifelse(tp$significant, "CI excludes 0", "CI includes 0")
  ggplot2::ggplot(tp, ggplot2::aes(x = .data$x, y = .data$y)) +
    ggplot2::geom_tile(ggplot2::aes(fill = .data$p_value), colour = "white") +
    ggplot2::geom_point(ggplot2::aes(shape = .data$label), size = 2) +
    ggplot2::scale_fill_gradient(low = "#2166ac", high = "#f7f7f7", limits = c(0, 1),
                                 name = "Fisher p") +
    ggplot2::scale_shape_manual(values = c("CI excludes 0" = 16, "CI includes 0" = 4),
                                name = paste(s$ci$diff[1], "CI")) +
    ggplot2::labs(
      x = sprintf("Imputed responders among %d missing (%s)", object$missing$n_missing[["treatment"]], s$treatment),
      y = sprintf("Imputed responders among %d missing (%s)", object$missing$n_missing[["control"]], s$control),
      title = "Tipping-point analysis of the responder rate difference") +
    ggplot2::theme_minimal()
}

# Registered from the built-in hook: .onLoad runs the built-in hooks before it
# registers the S3 interop methods, and zzz.R (which defines add_s3_interop)
# is collated after this file.
add_builtin_plugins("responder", function() {
  add_s3_interop("ggplot2", "autoplot", "glycotrial_responder_analysis",
                 autoplot_responder_analysis)
})

#' Publication table of a responder analysis
#'
#' Lays out a [responder_analysis()] result as a table in the usual layout of
#' a clinical study report: one column per arm and a comparison column
#' (treatment vs control), with counts, percentages, confidence intervals and
#' p-values formatted as text. Render it with `knitr::kable()`, or with
#' `flextable::as_flextable()` on the analysis object (HTML, Word,
#' PowerPoint); in R Markdown the analysis object prints as this table.
#'
#' @param x A `glycotrial_responder_analysis`.
#' @param digits Decimals for percentages and estimates.
#' @return A data frame with columns `statistic`, one per arm, and
#'   `comparison`.
#' @examples
#' res <- responder_analysis(derive_responders(adlb, adsl), treatment = "UC-MSC")
#' responder_table(res)
#' @export
responder_table <- function(x, digits = 1) {
  if (!inherits(x, "glycotrial_responder_analysis")) {
    glycotrial_abort("{.arg x} must be a responder analysis (from {.fn responder_analysis}), not {describe_value(x)}.")
  }
  check_count(digits, len = 1, arg = "digits")
  s <- x$settings
  f <- function(v, k = digits) formatC(v, format = "f", digits = k)
  pc <- function(v) f(100 * v)
  ci_txt <- function(e, l, u, scale = 100) {
    sprintf("%s (%s, %s)", f(scale * e), f(scale * l), f(scale * u))
  }
  p_txt <- function(p) ifelse(is.na(p), "", ifelse(p < 0.001, "<0.001", formatC(p, format = "f", digits = 3)))
  a <- x$arms
  a1 <- a[a$arm == s$treatment, ][1, ]
  a0 <- a[a$arm == s$control, ][1, ]
  lvl <- paste0(100 * s$conf_level, "% CI")
  resp_n <- function(r) if (abs(r - round(r)) < 1e-9) format(round(r)) else f(r)
  row <- function(stat, t = "", c = "", comp = "") {
    data.frame(statistic = stat, t = t, c = c, comparison = comp, stringsAsFactors = FALSE)
  }
  rows <- list(
    row("N", format(a1$n), format(a0$n)),
    row("Missing response, n", format(x$missing$n_missing[[1]]), format(x$missing$n_missing[[2]])),
    row(sprintf("Responders, n (%%) [%s]", x$missing$strategy),
        sprintf("%s (%s)", resp_n(a1$responders), pc(a1$proportion)),
        sprintf("%s (%s)", resp_n(a0$responders), pc(a0$proportion))),
    row(sprintf("%s (%s)", lvl, a1$method), sprintf("(%s, %s)", pc(a1$lower), pc(a1$upper)),
        sprintf("(%s, %s)", pc(a0$lower), pc(a0$upper))))
  d <- x$difference
  for (i in seq_len(nrow(d))) {
    rows[[length(rows) + 1]] <- row(sprintf("Risk difference, %% (%s) [%s]", lvl, d$method[i]),
                                    comp = ci_txt(d$estimate[i], d$lower[i], d$upper[i]))
  }
  r <- x$ratios
  for (i in seq_len(nrow(r))) {
    rows[[length(rows) + 1]] <- row(sprintf("%s (%s) [%s]",
                                            if (r$measure[i] == "rr") "Relative risk" else "Odds ratio",
                                            lvl, r$method[i]),
                                    comp = ci_txt(r$estimate[i], r$lower[i], r$upper[i], 1))
  }
  if (!is.null(x$stratified)) {
    sd <- x$stratified$difference
    for (i in seq_len(nrow(sd))) {
      rows[[length(rows) + 1]] <- row(sprintf("Stratified risk difference, %% (%s) [%s]", lvl, sd$method[i]),
                                      comp = ci_txt(sd$estimate[i], sd$lower[i], sd$upper[i]))
    }
  }
  if (!is.null(x$adjusted)) {
    e <- x$adjusted$estimates
    rows[[length(rows) + 1]] <- row(sprintf("Adjusted risk difference, %% (%s) [g-computation]", lvl),
                                    comp = ci_txt(e$estimate, e$lower, e$upper))
  }
  t <- x$tests
  for (i in seq_len(nrow(t))) {
    rows[[length(rows) + 1]] <- row(paste0(t$test[i], " p-value"), comp = p_txt(t$p_value[i]))
  }
  out <- do.call(rbind, rows)
  names(out) <- c("statistic", s$treatment, s$control, "comparison")
  names(out)[4] <- sprintf("%s vs %s", s$treatment, s$control)
  rownames(out) <- NULL
  out
}

as_flextable_responder_analysis <- function(x, ...) {
  tab <- responder_table(x, ...)
  ft <- flextable::flextable(tab)
  ft <- flextable::set_header_labels(ft, statistic = "")
  flextable::autofit(ft)
}

knit_print_responder_analysis <- function(x, ...) {
  knitr::knit_print(knitr::kable(responder_table(x), row.names = FALSE), ...)
}

add_builtin_plugins("responder_tables", function() {
  add_s3_interop("flextable", "as_flextable", "glycotrial_responder_analysis",
                 as_flextable_responder_analysis)
  add_s3_interop("knitr", "knit_print", "glycotrial_responder_analysis",
                 knit_print_responder_analysis)
})
