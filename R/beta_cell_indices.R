# Integer codes of the distinct rows of a data frame (first appearance order),
# without pasting keys: columns are coded one at a time and combined.
group_codes <- function(df) {
  code <- rep(1, nrow(df))
  for (col in df) {
    u <- match(col, unique(col))
    code <- (code - 1) * max(u, 1L) + u
    # Re-code whenever the combined numbers could lose integer precision.
    if (max(code, 0) > 2^50) code <- match(code, unique(code))
  }
  match(code, unique(code))
}

# Indices from ADaM long data (one row per subject, visit, parameter and, for
# OGTT curves, time point): resolve each index's inputs by quantity, convert
# units row by row from AVALU, and evaluate every index through the same
# engine as the single-index functions.

#' Beta-cell function and insulin-sensitivity indices from ADaM data
#'
#' Computes the requested indices for every subject-visit of a long ADaM
#' laboratory data set (`PARAMCD`, `AVAL`, `AVALU` and a time-point column for
#' OGTT samples). Each value is converted from its own `AVALU` to the unit the
#' index needs; an unknown unit is an error. Indices registered with
#' [register_index()] work here exactly like the built-ins.
#'
#' Inputs are found by quantity: fasting values through `fasting` (PARAMCD per
#' quantity), OGTT / meal curves through `curves` (PARAMCD per analyte, time
#' point in `time`), per-subject covariates (age, sex, weight, height, BMI)
#' through `covariates` (columns of `data`, or of `adsl` matched on
#' `subject`). With `fasting_from_curve = TRUE` a missing fasting value is
#' taken from the curve's 0-min sample. A subject-visit with no data for an
#' index gets `NA` silently; one with partial data (a curve without a needed
#' time point, a formula undefined for its values, impossible values) gets
#' `NA` with a classed warning naming it (see [evaluate_index()]).
#'
#' @param data A data frame in ADaM long format.
#' @param indices Character vector of index keys (see
#'   `glycotrial_plugins("index")`), or `NULL` for every built-in beta-cell,
#'   insulin-sensitivity, AUC and kidney index whose inputs (and, for OGTT
#'   indices, time points) occur in `data`.
#' @param by Columns identifying a subject-visit.
#' @param fasting Named character vector: quantity = PARAMCD of fasting values.
#' @param curves Named character vector: analyte = PARAMCD of curve samples.
#' @param covariates Named character vector: quantity = column name.
#' @param covariate_units Units of the covariate columns.
#' @param adsl Optional subject-level data frame with the covariate columns.
#' @param subject Subject identifier column (for `adsl`).
#' @param param,value,unit,time Column names of the parameter code, the value,
#'   its unit and the OGTT time point. `unit = NULL` assumes `default_units`
#'   (unless `param_text` gives the unit). Values implausible in their unit
#'   give a classed warning (see [unit_ranges()]).
#' @param time_unit Unit of `time` (`"min"` or `"h"`).
#' @param param_text Column with the parameter's text (ADaM `PARAM`); a unit
#'   in its last parentheses (`"Fasting plasma glucose (mg/dL)"`) is used
#'   where `unit` is absent or missing (and must agree with it where both
#'   are given). `NULL` to ignore.
#' @param default_units Units assumed when `unit = NULL`.
#' @param keep Further columns, constant within a subject-visit, to carry
#'   into the result (e.g. `c("ARM", "AVISITN")`).
#' @param fasting_from_curve Use the 0-min curve sample when a fasting value
#'   is missing?
#' @param format `"wide"` (one row per subject-visit; a column per index and
#'   a `<index>_unit` column with its unit) or `"long"` (ADaM-like: `PARAMCD`
#'   = index key, `PARAM`, `AVAL`, `AVALU`).
#' @param strict Make a curve missing a needed time point an error.
#' @inheritParams index_unit_arguments
#' @return A data frame of class `glycotrial_indices` (see `format`), with an
#'   attribute `units` (named by index key).
#' @examples
#' adlb <- data.frame(
#'   USUBJID = "S1", AVISIT = "Baseline",
#'   PARAMCD = c("FPG", "FINS", "FCPEP", rep("GLUC", 5), rep("INS", 5)),
#'   ATPTN = c(NA, NA, NA, 0, 30, 60, 90, 120, 0, 30, 60, 90, 120),
#'   AVAL = c(5.16, 12.8, 2.1, 5.16, 7.16, 9.88, 9.10, 5.38, 12.8, 30.7, 68.5, 74.1, 44.0),
#'   AVALU = c("mmol/L", "uU/mL", "ng/mL", rep("mmol/L", 5), rep("uU/mL", 5)))
#' beta_cell_indices(adlb, c("homa1_ir", "homa_ir_cp", "matsuda", "igi", "glucose_auc"))
#' @inheritSection evaluate_index Overflow and underflow
#' @export
beta_cell_indices <- function(data, indices = NULL, by = c("USUBJID", "AVISIT"),
                              fasting = c(glucose = "FPG", insulin = "FINS", cpeptide = "FCPEP",
                                          hba1c = "HBA1C", creatinine = "CREAT"),
                              curves = c(glucose = "GLUC", insulin = "INS", cpeptide = "CPEP"),
                              covariates = c(age = "AGE", sex = "SEX", weight = "WEIGHT",
                                             height = "HEIGHT", bmi = "BMI"),
                              covariate_units = c(age = "years", weight = "kg", height = "cm",
                                                  bmi = "kg/m2"),
                              adsl = NULL, subject = "USUBJID", param = "PARAMCD",
                              value = "AVAL", unit = "AVALU", time = "ATPTN",
                              time_unit = "min",
                              default_units = c(glucose = "mmol/L", insulin = "uU/mL",
                                                cpeptide = "ng/mL", hba1c = "%",
                                                creatinine = "mg/dL"),
                              keep = NULL, fasting_from_curve = TRUE,
                              format = c("wide", "long"), strict = FALSE,
                              glucose_factor = 18.016, insulin_factor = 6,
                              cpeptide_factor = 0.331, param_text = "PARAM") {
  call <- sys.call()
  factors <- list(glucose_factor = glucose_factor, insulin_factor = insulin_factor,
                  cpeptide_factor = cpeptide_factor)
  check_unit_factors(factors)
  check_flag(fasting_from_curve)
  check_flag(strict)
  format <- check_choice(format[1], c("wide", "long"), arg = "format")
  for (a in c("param", "value", "subject", "time_unit")) check_string(get(a), arg = a)
  if (!is.null(unit)) check_string(unit)
  if (!is.null(param_text)) check_string(param_text)
  if (!is.character(by) || !length(by)) {
    glycotrial_abort("{.arg by} must name at least one column, not {describe_value(by)}.")
  }
  check_data_frame(data, c(by, param, value, keep,
                           if (is.null(param_text) || !param_text %in% names(data)) unit))
  if (!is.null(adsl)) check_data_frame(adsl, subject)
  if (!is.numeric(data[[value]])) {
    glycotrial_abort("Column {.field {value}} of {.arg data} must be numeric, not {describe_value(data[[value]])}.")
  }
  for (m in c("fasting", "curves", "covariates")) {
    v <- get(m)
    if (length(v) && (!is.character(v) || is.null(names(v)))) {
      glycotrial_abort("{.arg {m}} must be a named character vector, not {describe_value(v)}.")
    }
  }

  # Subject-visits, in sorted order (AVISIT in visit order, R/visit_order.R);
  # g maps each row to its subject-visit.
  gk <- group_codes(data[by])
  first_rows <- which(!duplicated(gk))
  grp <- data[first_rows, by, drop = FALSE]
  sort_keys <- unname(as.list(grp))
  if ("AVISIT" %in% by) {
    sort_keys[[match("AVISIT", by)]] <- visit_rank(data[first_rows, , drop = FALSE], "AVISIT")
  }
  o <- do.call(order, c(sort_keys, method = "radix"))
  grp <- grp[o, , drop = FALSE]
  rownames(grp) <- NULL
  G <- nrow(grp)
  g <- match(gk, gk[first_rows[o]])
  labels <- function(i) do.call(paste, c(lapply(grp[i, , drop = FALSE], as.character), sep = " / "))
  pc <- as.character(data[[param]])

  canonical <- function(q) names(unit_catalogue(factors)[[q]])[1]
  # Units: the unit column (AVALU), else the unit in the PARAM text
  # ("Fasting plasma glucose (mg/dL)"), else (unit = NULL) default_units.
  param_units <- if (!is.null(param_text) && param_text %in% names(data)) {
    unit_from_param_text(data[[param_text]])
  }
  has_unit_col <- !is.null(unit) && unit %in% names(data)
  convert_rows <- function(rows, q, code) {
    v <- data[[value]][rows]
    u <- if (has_unit_col) as.character(data[[unit]][rows]) else rep(NA_character_, length(rows))
    if (!is.null(param_units)) {
      pu <- param_units[rows]
      both <- !is.na(u) & !is.na(pu) & !is.na(normalise_unit(u))
      clash <- both & normalise_unit(u) != normalise_unit(pu)
      if (any(clash)) {
        glycotrial_abort(c("{.val {code}} values are labelled {.val {unique(u[clash])}} in {.field {unit}} but {.val {unique(pu[clash])}} in {.field {param_text}}.",
                           "x" = "Subject-visit(s) {.val {format_labels(labels(unique(g[rows][clash])))}}.",
                           "i" = "Correct one of the two columns."),
                         class = c("input", "glycotrial_error_unit"), call = call)
      }
      u[is.na(u)] <- pu[is.na(u)]
    }
    unit_arg <- paste0(unit %||% param_text %||% "unit", " of ", code)
    if (is.null(unit)) {
      u[is.na(u)] <- if (q %in% names(default_units)) default_units[[q]] else canonical(q)
      unit_arg <- "default_units"
    }
    if (anyNA(u) && any(!is.na(v[is.na(u)]))) {
      glycotrial_abort(c("Missing unit ({.field {unit}}) for {.val {code}} values.",
                         "x" = "Subject-visit(s) {.val {format_labels(labels(unique(g[rows][is.na(u)])))}}."),
                       class = c("input", "glycotrial_error_unit"), call = call)
    }
    out <- rep(NA_real_, length(v))
    for (uu in unique(u[!is.na(u)])) {
      idx <- which(u == uu)
      match_unit(uu, q, factors, arg = unit_arg, call = call)
      check_unit_plausibility(v[idx], q, uu, what = code,
                              labels = function(i) labels(g[rows][idx][i]))
      out[idx] <- convert_quantity(v[idx], q, uu, canonical(q), factors, arg = unit_arg, call = call)
    }
    out
  }

  # Fasting values per subject-visit (canonical units).
  fast <- list()
  for (q in names(fasting)) {
    rows <- which(pc == fasting[[q]])
    if (!length(rows)) next
    dup <- duplicated(g[rows])
    if (any(dup)) {
      glycotrial_abort(c("More than one {.val {fasting[[q]]}} record per subject-visit.",
                         "x" = "{.val {format_labels(labels(unique(g[rows][dup])))}}",
                         "i" = "Filter the analysis records (e.g. on ANL01FL) first."),
                       call = call)
    }
    v <- rep(NA_real_, G)
    v[g[rows]] <- convert_rows(rows, q, fasting[[q]])
    fast[[q]] <- v
  }

  # Curves: one row per subject-visit and time point, a column per analyte.
  crows <- which(pc %in% curves)
  curve_tab <- NULL
  if (length(crows)) {
    if (!time %in% names(data)) {
      glycotrial_abort("{.arg data} has OGTT records ({.val {unique(pc[crows])}}) but no time-point column {.field {time}}.",
                       call = call)
    }
    tt <- data[[time]][crows]
    if (!is.numeric(tt)) {
      glycotrial_abort("Time-point column {.field {time}} must be numeric, not {describe_value(tt)}.",
                       call = call)
    }
    if (anyNA(tt)) {
      glycotrial_abort(c("Missing time point ({.field {time}}) in OGTT records.",
                         "x" = "Subject-visit(s) {.val {format_labels(labels(unique(g[crows][is.na(tt)])))}}."),
                       call = call)
    }
    tt <- convert_quantity(tt, "time", time_unit, "min", factors, arg = "time_unit", call = call)
    cg <- g[crows]
    ord <- order(cg, tt, method = "radix")
    cgo <- cg[ord]
    tto <- tt[ord]
    n_c <- length(ord)
    newrow <- if (n_c) c(TRUE, cgo[-1L] != cgo[-n_c] | tto[-1L] != tto[-n_c]) else logical()
    pos <- integer(n_c)
    pos[ord] <- cumsum(newrow)  # table row of each curve record
    curve_tab <- list(g = cgo[newrow], time = tto[newrow])
    for (q in names(curves)) {
      sel <- which(pc[crows] == curves[[q]])
      if (!length(sel)) next
      dup <- duplicated(pos[sel])
      if (any(dup)) {
        glycotrial_abort(c("Duplicated {.val {curves[[q]]}} time points.",
                           "x" = "{.val {format_labels(unique(paste0(labels(cg[sel][dup]), ' at ', tt[sel][dup], ' min')))}}"),
                         call = call)
      }
      v <- rep(NA_real_, length(curve_tab$g))
      v[pos[sel]] <- convert_rows(crows[sel], q, curves[[q]])
      curve_tab[[q]] <- v
    }
    if (fasting_from_curve) {
      for (q in intersect(names(curves), names(fasting))) {
        if (is.null(curve_tab[[q]])) next
        at0 <- which(curve_tab$time == 0 & !is.na(curve_tab[[q]]))
        if (!length(at0)) next
        v <- fast[[q]] %||% rep(NA_real_, G)
        fill <- at0[is.na(v[curve_tab$g[at0]])]
        v[curve_tab$g[fill]] <- curve_tab[[q]][fill]
        fast[[q]] <- v
      }
    }
  }

  # Covariates per subject-visit.
  first_per_group <- function(x, gg) {
    out <- rep(x[NA_integer_], G)
    ok <- which(!is.na(x))
    first <- ok[!duplicated(gg[ok])]
    out[gg[first]] <- x[first]
    out
  }
  covs <- list()
  find_column <- function(col) {
    if (col %in% names(data)) return(first_per_group(data[[col]], g))
    if (!is.null(adsl) && col %in% names(adsl)) {
      if (!subject %in% by) {
        glycotrial_abort("{.arg subject} ({.val {subject}}) must be one of {.arg by} to use {.arg adsl}.",
                         call = call)
      }
      return(adsl[[col]][match(as.character(grp[[subject]]), as.character(adsl[[subject]]))])
    }
    NULL
  }
  for (q in names(covariates)) {
    v <- find_column(covariates[[q]])
    if (is.null(v)) next
    if (q != "sex" && q %in% names(unit_catalogue(factors))) {
      if (!is.numeric(v)) {
        glycotrial_abort("Covariate column {.field {covariates[[q]]}} must be numeric, not {describe_value(v)}.",
                         call = call)
      }
      v <- convert_quantity(v, q, if (q %in% names(covariate_units)) covariate_units[[q]] else canonical(q), canonical(q), factors,
                            arg = "covariate_units", call = call)
    }
    covs[[q]] <- v
  }

  # Which indices?
  available <- function(info) {
    for (q in names(info$inputs)) {
      has <- if (info$shape == "curve" && q %in% names(curves)) !is.null(curve_tab[[q]])
             else !is.null(fast[[q]]) || !is.null(covs[[q]]) ||
               !is.null(find_column(q))
      if (!has) return(q)
    }
    NULL
  }
  if (is.null(indices)) {
    lst <- glycotrial_plugins("index")
    fam <- vapply(lst$key, function(k) get_plugin("index", k)$meta$family %||% "", character(1))
    cand <- lst$key[fam %in% c("fasting", "fasting_cpeptide", "ogtt", "ogtt_cpeptide", "auc",
                               "auc_cpeptide", "kidney") & lst$package == "glycotrial"]
    usable <- function(k) {
      info <- index_info(k)
      is.null(available(info)) &&
        (info$shape == "row" || all(info$times %in% curve_tab$time))
    }
    indices <- cand[vapply(cand, usable, logical(1))]
  } else if (!is.character(indices) || !length(indices) || anyNA(indices)) {
    glycotrial_abort("{.arg indices} must be a character vector of index keys, not {describe_value(indices)}.")
  }

  # Values were checked for plausibility in their own units above; the
  # indices get them converted, so do not check (and warn) twice.
  op <- options(glycotrial.check_plausibility = FALSE)
  on.exit(options(op), add = TRUE)
  res <- list()
  units_out <- character()
  for (key in indices) {
    info <- index_info(key)
    miss <- available(info)
    if (!is.null(miss)) {
      glycotrial_abort(c("Index {.val {key}} needs {.field {miss}}, which is not in {.arg data}.",
                         "i" = "Map it with {.arg fasting}, {.arg curves} or {.arg covariates}."),
                       call = call)
    }
    canon_units <- vapply(names(info$inputs), function(q) {
      if (q %in% names(unit_catalogue(factors)) && q != "sex") canonical(q) else info$inputs[[q]]
    }, character(1))
    get_row_input <- function(q) {
      fast[[q]] %||% covs[[q]] %||% find_column(q)
    }
    if (info$shape == "row") {
      inputs <- lapply(names(info$inputs), get_row_input)
      names(inputs) <- names(info$inputs)
      out <- run_index(info, inputs, canon_units, NULL, labels, strict, factors, call)
    } else {
      out <- rep(NA_real_, G)
      if (!is.null(curve_tab)) {
        inputs <- lapply(names(info$inputs), function(q) {
          if (q %in% names(curves)) curve_tab[[q]] else get_row_input(q)[curve_tab$g]
        })
        names(inputs) <- names(info$inputs)
        inputs$time <- curve_tab$time
        ug <- unique(curve_tab$g)
        v <- run_index(info, inputs, c(canon_units, time = "min"), curve_tab$g,
                       function(i) labels(ug[i]), strict, factors, call)
        out[ug] <- unname(v)
      }
    }
    res[[key]] <- out
    units_out[[key]] <- info$output_unit
  }

  base <- grp
  for (col in keep) base[[col]] <- first_per_group(data[[col]], g)
  if (format == "wide") {
    out <- base
    for (key in names(res)) {
      out[[key]] <- res[[key]]
      out[[paste0(key, "_unit")]] <- rep(units_out[[key]], G)
    }
  } else {
    desc <- vapply(names(res), function(k) get_plugin("index", k)$description, character(1))
    out <- do.call(rbind, lapply(names(res), function(key) {
      cbind(base, data.frame(PARAMCD = key, PARAM = desc[[key]], AVAL = res[[key]],
                             AVALU = units_out[[key]], stringsAsFactors = FALSE))
    }))
    if (is.null(out)) out <- cbind(base[0, , drop = FALSE],
                                   data.frame(PARAMCD = character(), PARAM = character(),
                                              AVAL = numeric(), AVALU = character()))
    rownames(out) <- NULL
  }
  attr(out, "units") <- units_out
  class(out) <- c("glycotrial_indices", "data.frame")
  out
}

#' @export
print.glycotrial_indices <- function(x, ...) {
  u <- attr(x, "units")
  cat("<glycotrial indices: ", nrow(x), " rows>\n", sep = "")
  if (length(u)) cat("Units: ", paste0(names(u), " [", u, "]", collapse = ", "), "\n", sep = "")
  print(as.data.frame(unclass_indices(x)), ...)
  invisible(x)
}

unclass_indices <- function(x) {
  class(x) <- "data.frame"
  attr(x, "units") <- NULL
  x
}
