# Laboratory toxicity grading schemes (plugin kind "lab_grading") and
# grade_lab(). A scheme is a table of rules evaluated by the C++ core
# (src/core/safety/lab_grading.cpp); CTCAE v5.0 is registered as "ctcae_v5"
# through the same path as any user scheme.

lab_rule <- function(param, term, direction, grade, ref, op, factor, baseline = "any",
                     required = TRUE, unit = NA_character_) {
  data.frame(param = param, term = term, direction = direction, grade = grade, ref = ref,
             op = op, factor = factor, baseline = baseline, required = required,
             unit = unit, stringsAsFactors = FALSE)
}

# CTCAE v5.0 (NCI, 27 Nov 2017) laboratory terms in SI units, with the
# operational conventions of admiral's ncictcaev5 metadata (pharmaverse/admiral
# data-raw/adlb_grading/ncictcaev5.json): ">" / ">=" exactly as the criterion
# text; "baseline abnormal" = BASE above ULN (increase terms) or below LLN
# (decrease terms); symptom-dependent grades take the worst case (hypokalaemia
# < LLN is grade 2; sodium 125-129 mmol/L is grade 3). Fever follows the CTCAE
# v5.0 General disorders term (grade 4 needs > 24 h and is not derivable from
# single values). CKD uses the eGFR thresholds of the CTCAE v5.0 Renal term.
ctcae_v5_rules <- function() {
  liver <- function(p, term, g1_base_op, g1_base, f) {
    rbind(
      lab_rule(p, term, "high", 1:4, "ULN", ">", f, "normal"),
      lab_rule(p, term, "high", 1, "BASE", g1_base_op, g1_base, "abnormal"),
      lab_rule(p, term, "high", 2:4, "BASE", ">", f[2:4], "abnormal"))
  }
  rbind(
    liver("ALT", "Alanine aminotransferase increased", ">=", 1.5, c(1, 3, 5, 20)),
    liver("AST", "Aspartate aminotransferase increased", ">=", 1.5, c(1, 3, 5, 20)),
    liver("ALP", "Alkaline phosphatase increased", ">=", 2.0, c(1, 2.5, 5, 20)),
    liver("BILI", "Blood bilirubin increased", ">", 1.0, c(1, 1.5, 3, 10)),
    lab_rule("CREAT", "Creatinine increased", "high", 1, "ULN", ">", 1),
    lab_rule("CREAT", "Creatinine increased", "high", 2:4, "ULN", ">", c(1.5, 3, 6),
             required = FALSE),
    lab_rule("CREAT", "Creatinine increased", "high", 2:3, "BASE", ">", c(1.5, 3),
             required = FALSE),
    # Chronic kidney disease (CTCAE v5.0, Renal and urinary disorders, MedDRA
    # 10064848; NCI CTCAE v5.0, 27 Nov 2017). Criterion text checked against a
    # machine-readable transcription of the whole CTCAE v5.0 table: GitHub
    # oncohub/CTCAE5, file ctcaev5.js, commit
    # b5abf4e84948dcdc06742f81adff790141467f7c, entry "Chronic kidney disease":
    # G1 "eGFR (estimated Glomerular Filtration Rate) or CrCl (creatinine
    # clearance) <LLN - 60 ml/min/1.73 m2 or proteinuria 2+ present; urine
    # protein/creatinine >0.5" (the proteinuria part is not gradable from
    # eGFR), G2 "eGFR or CrCl 59 - 30 ml/min/1.73 m2", G3 "29 - 15", G4 "<15
    # ml/min/1.73 m2; dialysis or renal transplant indicated", G5 "Death". The integer ranges are
    # read as < 60, < 30, < 15 (a value of 59.5 is grade 2). Grade 1 needs the
    # LLN, as every "< LLN" criterion here: without it an eGFR of 60 or more
    # cannot be told normal and is not graded (NA, missing_range warning).
    lab_rule("EGFR", "Chronic kidney disease", "low", 1, "LLN", "<", 1),
    lab_rule("EGFR", "Chronic kidney disease", "low", 2:4, "ABS", "<", c(60, 30, 15)),
    lab_rule("GLUC", "Hypoglycemia", "low", 1, "LLN", "<", 1),
    lab_rule("GLUC", "Hypoglycemia", "low", 2:4, "ABS", "<", c(3.0, 2.2, 1.7)),
    # CTCAE v5.0 states the glucose and haemoglobin thresholds in each unit
    # and they are not exact conversions of each other (55 mg/dL = 3.05
    # mmol/L; 6.2 mmol/L = 99.9 g/L): data in these units are graded on the
    # unit's own thresholds, as admiral's ncictcaev5_uscv.json does for mg/dL.
    lab_rule("GLUC", "Hypoglycemia", "low", 1, "LLN", "<", 1, unit = "mg/dl"),
    lab_rule("GLUC", "Hypoglycemia", "low", 2:4, "ABS", "<", c(55, 40, 30), unit = "mg/dl"),
    lab_rule("NEUT", "Neutrophil count decreased", "low", 1, "LLN", "<", 1),
    lab_rule("NEUT", "Neutrophil count decreased", "low", 2:4, "ABS", "<", c(1.5, 1.0, 0.5)),
    lab_rule("PLAT", "Platelet count decreased", "low", 1, "LLN", "<", 1),
    lab_rule("PLAT", "Platelet count decreased", "low", 2:4, "ABS", "<", c(75, 50, 25)),
    lab_rule("HGB", "Anemia", "low", 1, "LLN", "<", 1),
    lab_rule("HGB", "Anemia", "low", 2:3, "ABS", "<", c(100, 80)),
    lab_rule("HGB", "Anemia", "low", 1, "LLN", "<", 1, unit = "g/dl"),
    lab_rule("HGB", "Anemia", "low", 2:3, "ABS", "<", c(10.0, 8.0), unit = "g/dl"),
    lab_rule("HGB", "Anemia", "low", 1, "LLN", "<", 1, unit = "mmol/l"),
    lab_rule("HGB", "Anemia", "low", 2:3, "ABS", "<", c(6.2, 4.9), unit = "mmol/l"),
    lab_rule("K", "Hyperkalemia", "high", 1, "ULN", ">", 1),
    lab_rule("K", "Hyperkalemia", "high", 2:4, "ABS", ">", c(5.5, 6.0, 7.0)),
    lab_rule("K", "Hypokalemia", "low", 2, "LLN", "<", 1),
    lab_rule("K", "Hypokalemia", "low", 3:4, "ABS", "<", c(3.0, 2.5)),
    lab_rule("SODIUM", "Hypernatremia", "high", 1, "ULN", ">", 1),
    lab_rule("SODIUM", "Hypernatremia", "high", 2:4, "ABS", ">", c(150, 155, 160)),
    lab_rule("SODIUM", "Hyponatremia", "low", 1, "LLN", "<", 1),
    lab_rule("SODIUM", "Hyponatremia", "low", 3, "ABS", "<=", 129),
    lab_rule("SODIUM", "Hyponatremia", "low", 4, "ABS", "<", 120),
    lab_rule("TEMP", "Fever", "high", 1, "ABS", ">=", 38.0),
    lab_rule("TEMP", "Fever", "high", 2:3, "ABS", ">", c(39.0, 40.0)))
}

# Units each parameter accepts, as scheme value = AVAL * multiplier + offset.
# Parameters graded only relative to ULN/LLN/BASE accept any unit.
ctcae_v5_units <- function() {
  u <- function(param, unit, multiplier, offset = 0) {
    data.frame(param = param, unit = unit, multiplier = multiplier, offset = offset,
               stringsAsFactors = FALSE)
  }
  count_units <- c("10^9/l", "gi/l", "10^3/ul", "x10^9/l", "10e9/l", "k/ul", "10^3/mm3")
  rbind(
    u("EGFR", c("ml/min/1.73m2", "ml/min/1.73m^2", "ml/min/{1.73_m2}", "ml/min"), 1),
    u("GLUC", "mmol/l", 1), u("GLUC", "mg/dl", 1 / 18.016),
    u("NEUT", count_units, 1), u("NEUT", c("/mm3", "cells/ul", "/ul", "cells/mm3"), 1e-3),
    u("PLAT", count_units, 1), u("PLAT", c("/mm3", "cells/ul", "/ul", "cells/mm3"), 1e-3),
    u("HGB", "g/l", 1), u("HGB", "g/dl", 10), u("HGB", "mmol/l", 16.114),
    u("K", c("mmol/l", "meq/l"), 1), u("SODIUM", c("mmol/l", "meq/l"), 1),
    u("TEMP", c("c", "degc", "\u00b0c", "celsius"), 1),
    u("TEMP", c("f", "degf", "\u00b0f", "fahrenheit"), 5 / 9, -32 * 5 / 9))
}

lab_unit_key <- function(x) {
  x <- tolower(gsub("\\s+", "", as.character(x)))
  x <- gsub("\u00b5|\u03bc", "u", x)
  gsub("\\*\\*", "^", x)
}

validate_lab_grading <- function(impl, meta) {
  if (!is.list(impl) || !is.data.frame(impl$rules)) {
    stop("a lab grading scheme must be a list with a `rules` data frame")
  }
  r <- impl$rules
  need <- c("param", "term", "direction", "grade", "ref", "op", "factor", "baseline", "required")
  miss <- setdiff(need, names(r))
  if (length(miss)) stop("the rules lack column(s) ", paste(miss, collapse = ", "))
  if (!all(r$direction %in% c("high", "low"))) stop("rule `direction` must be \"high\" or \"low\"")
  if (!all(r$ref %in% c("ULN", "LLN", "BASE", "ABS"))) {
    stop("rule `ref` must be one of ULN, LLN, BASE, ABS")
  }
  if (!all(r$op %in% c(">", ">=", "<", "<="))) stop("rule `op` must be one of >, >=, <, <=")
  if (!all(r$baseline %in% c("any", "normal", "abnormal"))) {
    stop("rule `baseline` must be \"any\", \"normal\" or \"abnormal\"")
  }
  if (!is.numeric(r$grade) || any(!r$grade %in% 1:5)) stop("rule `grade` must be 1 to 5")
  if (!is.numeric(r$factor) || any(!is.finite(r$factor))) stop("rule `factor` must be finite numbers")
  if (!is.null(r$unit) && !is.character(r$unit) && !all(is.na(r$unit))) {
    stop("rule `unit` must be a character vector (NA: the scheme's unit)")
  }
  if (!is.null(impl$units)) {
    if (!is.data.frame(impl$units) ||
        !all(c("param", "unit", "multiplier", "offset") %in% names(impl$units))) {
      stop("`units` must be a data frame with columns param, unit, multiplier, offset")
    }
  }
}

#' Register a laboratory grading scheme
#'
#' A grading scheme is a table of rules: grade `grade` applies in direction
#' `direction` when `AVAL <op> factor * REF`, where `REF` is `"ULN"`
#' (`ANRHI`), `"LLN"` (`ANRLO`), `"BASE"` (baseline value) or `"ABS"` (then
#' `factor` is the threshold itself). `baseline = "normal"`/`"abnormal"`
#' restricts a rule to subjects whose baseline was within/outside the normal
#' range in that direction. The highest grade whose rule holds is the grade; a
#' missing reference for a rule with `required = TRUE` makes the grade missing.
#' `units` lists the units (`AVALU`) a parameter with absolute thresholds
#' accepts, as `AVAL * multiplier + offset` in the scheme's unit. The built-in
#' scheme `"ctcae_v5"` (CTCAE v5.0) is registered the same way; use this to
#' add, e.g., sponsor-defined hyperglycaemia thresholds, which CTCAE v5.0 does
#' not grade by value.
#'
#' @param key Scheme name, used as `grade_lab(scheme = key)`.
#' @param rules Data frame with columns `param`, `direction`, `grade`, `ref`,
#'   `op`, `factor`, and optionally `term` (name of the graded term),
#'   `baseline` (default `"any"`), `required` (default `TRUE`) and `unit`
#'   (default `NA`: the scheme's unit). Rules with a `unit` grade only data
#'   recorded in that unit, without conversion, and replace the parameter's
#'   rules without a unit for such data (for criteria whose thresholds in
#'   another unit are not exact conversions, such as glucose in mg/dL).
#' @param units Optional data frame with columns `param`, `unit`,
#'   `multiplier`, `offset`; parameters without rows accept any unit.
#' @param paramcd Named character vector mapping scheme parameters to
#'   `PARAMCD` values (default: identical names).
#' @param description,reference One-line description and source.
#' @param overwrite Replace an existing scheme with this key?
#' @return The registry entry, invisibly.
#' @examples
#' hyper <- data.frame(param = "FPG", direction = "high", grade = 1:3, ref = "ABS",
#'                     op = ">", factor = c(7, 13.3, 22.2), term = "Hyperglycaemia")
#' register_lab_grading("sponsor_hyperglycaemia", hyper,
#'                      units = data.frame(param = "FPG", unit = "mmol/L",
#'                                         multiplier = 1, offset = 0),
#'                      description = "Sponsor FPG thresholds")
#' grade_lab(data.frame(USUBJID = 1, PARAMCD = "FPG", AVAL = c(6, 8, 14), AVALU = "mmol/L"),
#'           scheme = "sponsor_hyperglycaemia")
#' unregister_plugin("lab_grading", "sponsor_hyperglycaemia")
#' @export
register_lab_grading <- function(key, rules, units = NULL, paramcd = NULL, description = "",
                                 reference = NA_character_, overwrite = FALSE) {
  check_data_frame(rules, c("param", "direction", "grade", "ref", "op", "factor"))
  rules <- as.data.frame(rules, stringsAsFactors = FALSE)
  if (is.null(rules$term)) rules$term <- rules$param
  if (is.null(rules$baseline)) rules$baseline <- "any"
  if (is.null(rules$required)) rules$required <- TRUE
  rules$unit <- if (is.null(rules$unit)) NA_character_ else lab_unit_key(rules$unit)
  rules$param <- as.character(rules$param)
  if (!is.null(units)) {
    check_data_frame(units, c("param", "unit", "multiplier"))
    units <- as.data.frame(units, stringsAsFactors = FALSE)
    if (is.null(units$offset)) units$offset <- 0
    units$unit <- lab_unit_key(units$unit)
  }
  if (!is.null(paramcd) && (!is.character(paramcd) || is.null(names(paramcd)))) {
    glycotrial_abort("{.arg paramcd} must be a named character vector, not {describe_value(paramcd)}.")
  }
  params <- unique(rules$param)
  units_txt <- if (is.null(units)) NA_character_ else
    paste(unique(paste0(units$param, " [", units$unit, "]")), collapse = ", ")
  register_plugin("lab_grading", key,
                  list(rules = rules, units = units, paramcd = paramcd),
                  description = description, units = units_txt, reference = reference,
                  meta = list(params = params), overwrite = overwrite)
}


#' Grade laboratory values (CTCAE v5.0 or a registered scheme)
#'
#' Adds the ADaM toxicity-grade columns to a lab (or vital-signs) data set:
#' `ATOXGRH`/`ATOXGRL` (grade in the increased/decreased direction, integer,
#' `NA` when the parameter has no criterion in that direction or a needed
#' reference is missing), `ATOXDSCH`/`ATOXDSCL` (graded term), `ATOXGR`
#' (signed: the high grade when positive, otherwise minus the low grade, as
#' admiral does) and the same for the baseline value (`BTOXGRH`, `BTOXGRL`,
#' `BTOXGR`, graded with the normal-baseline criteria). The grading runs in
#' the C++ core.
#'
#' Values are converted to the scheme's units first (e.g. glucose mg/dL to
#' mmol/L, haemoglobin g/dL to g/L, temperature F to C); a parameter whose
#' units differ between records, or a unit the scheme does not know, is an
#' error naming the parameter. Records with a missing reference range needed by
#' a criterion get a missing grade and a warning (`missing_range`).
#'
#' @section The `"ctcae_v5"` scheme and its sources:
#' NCI CTCAE v5.0 (27 Nov 2017) criteria for ALT, AST, ALP and total
#' bilirubin (with the baseline-abnormal rules: baseline above ULN), creatinine
#' (x ULN or x baseline), hypoglycaemia, neutrophils, platelets, anaemia,
#' hyper-/hypokalaemia, hyper-/hyponatraemia, chronic kidney disease (eGFR)
#' and fever. The thresholds, operators (`>` vs `>=`), missing-range handling
#' and worst-case readings of symptom-dependent grades (hypokalaemia `< LLN`
#' is grade 2, sodium 125-129 mmol/L grade 3) were checked term by term
#' against the machine-readable CTCAE v5.0 table of the pharmaverse admiral
#' package (`data-raw/adlb_grading/ncictcaev5.json` and
#' `ncictcaev5_uscv.json`, the source of `atoxgr_criteria_ctcv5` of admiral);
#' glucose in mg/dL (55/40/30) and haemoglobin in g/dL (10.0/8.0) or mmol/L
#' (6.2/4.9) are graded on CTCAE's own thresholds for that unit rather than
#' converted. admiral's table covers only the Investigations, Metabolism and
#' Blood SOCs; chronic kidney disease (Renal SOC: grade 1 eGFR `< LLN`, grade 2
#' `< 60`, grade 3 `< 30`, grade 4 `< 15` mL/min/1.73 m2, the integer ranges
#' 59-30 and 29-15 read as `< 60` and `< 30`; proteinuria, dialysis and
#' transplant are not lab values) was checked against the criterion text of a
#' transcription of the full CTCAE v5.0 table (GitHub `oncohub/CTCAE5`,
#' `ctcaev5.js`, commit `b5abf4e84948dcdc06742f81adff790141467f7c`, term
#' "Chronic kidney disease", MedDRA 10064848: "eGFR ... or CrCl ... <LLN - 60
#' ml/min/1.73 m2 ...; 59 - 30; 29 - 15; <15 ml/min/1.73 m2; dialysis or renal
#' transplant indicated"). admiral's CTCAE v6.0 table
#' (`data-raw/adlb_grading/ncictcaev6.json`) has no eGFR or chronic kidney
#' disease term; its new "Creatinine clearance decreased" (24-hour urine CrCl,
#' grade 2 26-49, grade 3 10-25 mL/min) is a different measurement and is not
#' part of this v5.0 scheme. Fever (General disorders SOC: grade 1
#' `>= 38.0`, grade 2 `> 39.0`, grade 3 `> 40.0` degrees C; grade 4 `> 40.0`
#' for more than 24 h is derived from the series by [infusion_fever()]) follow
#' the NCI CTCAE v5.0 quick reference.
#'
#' @param adlb Lab data (long, one row per value).
#' @param scheme Key of a registered `lab_grading` scheme.
#' @param paramcd Named character vector overriding which `PARAMCD` holds each
#'   scheme parameter, e.g. `c(GLUC = "FPG")`.
#' @param param,aval,unit,lln,uln,base Column names (`unit` and `base` may be
#'   absent from the data: values are then taken to be in the scheme's units
#'   and the baseline is missing).
#' @param missing_range `"warn"`, `"error"` or `"ignore"` records whose grade
#'   is missing because a reference range is.
#' @return `adlb` with the grade columns added.
#' @examples
#' lb <- data.frame(USUBJID = 1, PARAMCD = "ALT", AVAL = c(30, 45, 130, 210, 900),
#'                  AVALU = "U/L", ANRLO = 0, ANRHI = 40, BASE = 30)
#' grade_lab(lb)[, c("AVAL", "ATOXGRH", "ATOXDSCH")]
#' @export
grade_lab <- function(adlb, scheme = "ctcae_v5", paramcd = NULL, param = "PARAMCD",
                      aval = "AVAL", unit = "AVALU", lln = "ANRLO", uln = "ANRHI",
                      base = "BASE", missing_range = c("warn", "error", "ignore")) {
  check_string(scheme)
  missing_range <- check_choice(missing_range[1], c("warn", "error", "ignore"),
                                arg = "missing_range")
  check_data_frame(adlb, c(param, aval))
  for (nm in c("unit", "lln", "uln", "base")) check_string(get(nm), arg = nm)
  entry <- get_plugin("lab_grading", scheme)
  sch <- entry$impl
  rules <- sch$rules
  params <- unique(rules$param)
  map <- stats::setNames(params, params)
  if (!is.null(sch$paramcd)) map[names(sch$paramcd)] <- sch$paramcd
  if (!is.null(paramcd)) {
    if (!is.character(paramcd) || is.null(names(paramcd)) || !all(names(paramcd) %in% params)) {
      glycotrial_abort("{.arg paramcd} must be a character vector named by scheme parameters {.val {params}}.")
    }
    map[names(paramcd)] <- paramcd
  }
  n <- nrow(adlb)
  pe <- encode_values(adlb[[param]])
  pidx <- match(pe$levels, map)[pe$code]
  num <- function(col) {
    if (!col %in% names(adlb)) return(rep(NA_real_, n))
    v <- adlb[[col]]
    if (is.logical(v) && all(is.na(v))) return(rep(NA_real_, n))
    if (!is.numeric(v)) {
      glycotrial_abort("{.arg adlb} column {.field {col}} must be numeric, not {describe_value(v)}.")
    }
    as.numeric(v)
  }
  x <- num(aval)
  lo <- num(lln)
  hi <- num(uln)
  bs <- num(base)
  # Units: one unit per parameter; convert to the scheme's unit, unless the
  # scheme has rules stated in the data's unit (rules$unit), which then
  # replace the parameter's other rules. Units are normalised on their
  # distinct values only (millions of rows, few units).
  rule_unit <- if (is.null(rules$unit)) rep(NA_character_, nrow(rules)) else rules$unit
  data_unit <- rep(NA_character_, length(params))
  if (unit %in% names(adlb) && (!is.null(sch$units) || any(!is.na(rule_unit)))) {
    ue <- encode_values(adlb[[unit]])
    ukey <- lab_unit_key(ue$levels)
    nU <- length(ue$levels)
    ok <- !is.na(pidx)
    seen <- matrix(tabulate((pidx[ok] - 1L) * nU + ue$code[ok], length(params) * nU) > 0,
                   nrow = nU)
    mult <- rep(1, length(params))
    off <- rep(0, length(params))
    for (p in which(colSums(seen) > 0)) {
      raw <- ue$levels[seen[, p]]
      up <- unique(ukey[seen[, p]])
      up <- up[!is.na(up) & up != ""]
      if (length(up) > 1) {
        glycotrial_abort(c("Parameter {.val {map[p]}} has records in more than one unit: {.val {raw}}.",
                           "i" = "Convert {.field {aval}} to one unit per parameter before grading."),
                         class = c("input", "glycotrial_error_units"))
      }
      if (!length(up)) next
      if (any(rules$param == params[p] & rule_unit %in% up)) {
        data_unit[p] <- up  # thresholds in this unit: no conversion
        next
      }
      tab <- if (is.null(sch$units)) sch$units else
        sch$units[sch$units$param == params[p], , drop = FALSE]
      if (is.null(tab) || !nrow(tab)) next
      k <- match(up, tab$unit)
      if (is.na(k)) {
        glycotrial_abort(c("Parameter {.val {map[p]}} is in unit {.val {raw[!is.na(raw) & raw != ''][1]}}, which scheme {.val {scheme}} does not know.",
                           "i" = "Known units: {.val {tab$unit}}."),
                         class = c("input", "glycotrial_error_units"))
      }
      mult[p] <- tab$multiplier[k]
      off[p] <- tab$offset[k]
    }
    if (any(mult != 1 | off != 0)) {
      m <- mult[pidx]
      o <- off[pidx]
      m[!ok] <- 1
      o[!ok] <- 0
      x <- x * m + o
      lo <- lo * m + o
      hi <- hi * m + o
      bs <- bs * m + o
    }
  }
  # Rules in a unit apply only to data in that unit; they replace the
  # parameter's unit-free rules.
  rp <- match(rules$param, params)
  own <- !is.na(data_unit[rp])
  use <- ifelse(is.na(rule_unit), !own, own & rule_unit == data_unit[rp])
  rules <- rules[use, , drop = FALSE]
  crules <- data.frame(param = match(rules$param, params),
                       direction = ifelse(rules$direction == "high", 1L, -1L),
                       grade = as.integer(rules$grade), ref = rules$ref, op = rules$op,
                       factor = as.numeric(rules$factor), baseline = rules$baseline,
                       required = as.logical(rules$required), stringsAsFactors = FALSE)
  # One pass in the core grades the value and the baseline in both directions
  # (signed grades included) and counts the records lacking a reference.
  threads <- max(1L, as.integer(getOption("glycotrial.threads", 2L)))
  g <- cpp_safety_grade_labs(crules, length(params), as.integer(pidx), as.numeric(x),
                             as.numeric(lo), as.numeric(hi), as.numeric(bs), threads)
  # Per-parameter term names; the core returns NA grades for parameters
  # without a criterion in a direction and for records it does not grade.
  term_of <- function(dir) {
    r <- rules[rules$direction == dir, , drop = FALSE]
    r$term[match(params, r$param)][pidx]
  }
  adlb$ATOXDSCH <- term_of("high")
  adlb$ATOXDSCL <- term_of("low")
  adlb$ATOXGRH <- g$high
  adlb$ATOXGRL <- g$low
  adlb$ATOXGR <- g$signed
  adlb$BTOXGRH <- g$base_high
  adlb$BTOXGRL <- g$base_low
  adlb$BTOXGR <- g$base_signed
  if (any(g$gap_count > 0) && missing_range != "ignore") {
    # Parameters in the order of their first such record, as PARAMCD values.
    first <- g$gap_first[g$gap_count > 0]
    bad <- pe$levels[pe$code[sort(first)]]
    n_gap <- sum(g$gap_count)
    msg <- "{n_gap} record{?s} of parameter{?s} {.val {bad}} could not be graded: a reference range (or baseline) needed by the criterion is missing."
    if (missing_range == "error") {
      glycotrial_abort(msg, class = c("input", "glycotrial_error_missing_range"))
    }
    glycotrial_warn(msg, class = "glycotrial_warning_missing_range")
  }
  # Still a data frame; prints a summary (print.glycotrial_graded_lab).
  class(adlb) <- unique(c("glycotrial_graded_lab", class(adlb)))
  adlb
}
