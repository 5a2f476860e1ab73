# Responder derivation: one row per subject with each component, the
# composite and the reason when it cannot be derived.

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
#' @param rules A rule from [composite()], [any_of()] or a single condition;
#'   [glycaemic_composite()] maps the marker and dose `PARAMCD`s, the
#'   threshold and the required reduction (default: HbA1c < 7.0 % and
#'   insulin dose reduced by >= 50 %, NCT02302599).
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
derive_responders <- function(adlb, adsl, rules = glycaemic_composite(),
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

