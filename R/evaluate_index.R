# One evaluation path for every index, built-in or registered: convert the
# inputs to the units the index declares, turn impossible values into NA with
# a classed warning naming the rows, call the compiled plugin (or the R
# function) and report rows where the index is undefined.

#' Evaluate any registered index
#'
#' The engine behind the single-index functions ([homa1_ir()], [matsuda()],
#' ...) and [beta_cell_indices()]; use it directly for indices registered with
#' [register_index()] or by other packages.
#'
#' Negative concentrations, weights, heights or ages are impossible: such rows
#' give `NA` with a warning of class `glycotrial_warning_impossible_value`.
#' Rows where the formula is undefined (e.g. fasting glucose <= 3.5 mmol/L in
#' a %B denominator, glucose not rising at 30 min in the insulinogenic index,
#' a zero glucose AUC in a ratio) give `NA` with a warning of class
#' `glycotrial_warning_undefined_index`. So do rows within a relative 1e-4 of
#' such a pole (a denominator or logarithm that is zero to within the rounding
#' of values reported to 4 significant digits), where the formula would return
#' an arbitrarily large number.
#' Results spoiled by an overflow or underflow, in the result or part-way
#' through the formula, give `NA` with a warning of class
#' `glycotrial_warning_overflow` or `glycotrial_warning_underflow` naming the
#' rows or curves (see the section below).
#' Curves lacking a time point the index needs give `NA` with a warning of
#' class `glycotrial_warning_missing_timepoint` (an error with
#' `strict = TRUE`).
#'
#' @section Overflow and underflow:
#' A formula can leave the range of double precision part-way through and
#' still return a finite, wrong number: e.g. Matsuda with glucose and insulin
#' near 1e200 overflows \eqn{G_0 I_0 \bar G \bar I}{G0 x I0 x Gmean x Imean}
#' to `Inf` and returns 0. For compiled indices (the built-ins and those
#' registered through the C API, see `vignette("plugins")`) the IEEE 754
#' floating-point exception flags are cleared before the computation and
#' tested after it, and each row (row indices) or curve (curve indices) where
#' one was raised is examined on its own:
#' * **overflow** - whenever a value overflowed while computing the row or
#'   curve, its result is `NA` with a `glycotrial_warning_overflow` warning
#'   naming it (an overflow always changes what the formula computes).
#' * **underflow** - an intermediate value that underflowed (rounded into the
#'   subnormal range or to 0) often does not matter, e.g. a tiny term added
#'   to a normal one. The result is set to `NA` with a
#'   `glycotrial_warning_underflow` warning only when the underflow affected
#'   it: the result is 0 or subnormal, or recomputing the row or curve with
#'   rounding toward +Inf and toward -Inf gives results that differ in more
#'   than the 10th significant digit (relative difference > 1e-10) or where
#'   only one of them is finite. So `homa1_ir(1e-200, 1e-200)` (true value
#'   about 4e-402, rounded to 0) warns, while a harmless subnormal
#'   intermediate does not.
#'
#' Regardless of the flags, a result that is `Inf` from finite inputs, or a
#' finite input that the conversion to the index's units takes to `Inf`,
#' counts as an overflow, and a subnormal result as an underflow. Only the affected
#' rows or curves are named and set to `NA`; `NA` inputs give `NA` as before.
#'
#' Indices written in R (functions passed to [register_index()]) are not
#' covered by the flag check: R's own arithmetic cannot be observed from the
#' compiled layer, so only their final values are checked (`Inf` from finite
#' inputs, subnormal results). A compiled plugin that spreads its work over
#' several threads is checked only for the work done on the calling thread.
#'
#' @param key Index key (see `glycotrial_plugins("index")`).
#' @param inputs Named list of input vectors (names as in [index_info()]); for
#'   curve indices also `time`. Vectors have one common length; length-one
#'   vectors are recycled.
#' @param units Named character vector of the units of `inputs` (inputs not
#'   named here are taken to be in the index's own units). `time` defaults to
#'   minutes.
#' @param id For curve indices: the curve each row belongs to (`NULL`: one
#'   curve).
#' @param labels Row (row indices) or curve (curve indices) labels used in
#'   warnings.
#' @param strict Logical; make missing time points an error.
#' @inheritParams index_unit_arguments
#' @return Numeric vector: one value per row for row indices, one per curve
#'   (in order of first appearance of `id`, named by it) for curve indices.
#' @examples
#' evaluate_index("homa1_ir", list(glucose = c(5.2, 6.1), insulin = c(60, 90)),
#'                units = c(insulin = "pmol/L"))
#' evaluate_index("glucose_auc", list(time = c(0, 30, 60, 120),
#'                                    glucose = c(5, 8, 9, 6)))
#' @export
evaluate_index <- function(key, inputs, units = NULL, id = NULL, labels = NULL,
                           strict = FALSE, glucose_factor = 18.016, insulin_factor = 6,
                           cpeptide_factor = 0.331) {
  factors <- list(glucose_factor = glucose_factor, insulin_factor = insulin_factor,
                  cpeptide_factor = cpeptide_factor)
  index_eval(key, inputs, units, id, labels, strict, factors, call = sys.call(),
             unit_arg = function(q) paste0("units[\"", q, "\"]"))
}

# Shared by evaluate_index() and the single-index functions; `call` is the
# user-facing call reported in errors.
# `unit_arg(q)` names the argument through which the user gave the unit of
# input q (e.g. "glucose_unit", or units["glucose"] for evaluate_index()), so
# a unit error names an argument the user actually passed.
index_eval <- function(key, inputs, units = NULL, id = NULL, labels = NULL, strict = FALSE,
                       factors = default_unit_factors(), call = sys.call(-1),
                       unit_arg = function(q) paste0(q, "_unit")) {
  check_unit_factors(factors, call = call)
  check_flag(strict, call = call)
  info <- index_info(key)
  if (!is.list(inputs) || is.null(names(inputs))) {
    glycotrial_abort("{.arg inputs} must be a named list of vectors, not {describe_value(inputs)}.",
                     call = call)
  }
  if (!is.null(units) && (!is.character(units) || is.null(names(units)))) {
    glycotrial_abort("{.arg units} must be a named character vector, not {describe_value(units)}.",
                     call = call)
  }
  run_index(info, inputs, units, id, labels, strict, factors, call = call, unit_arg = unit_arg)
}

quantity_is_nonnegative <- c("glucose", "insulin", "cpeptide", "creatinine", "hba1c",
                             "weight", "height", "age", "bmi")

# Check and convert one input to the unit the index expects.
prepare_input <- function(x, q, native_unit, given_unit, factors, arg, call,
                          unit_arg = paste0(arg, "_unit")) {
  if (q == "sex") return(as_female_indicator(x, arg = arg, call = call))
  if (!is.numeric(x) || is.factor(x)) {
    if (is.logical(x) && all(is.na(x))) {
      x <- as.numeric(x)
    } else {
      glycotrial_abort("{.arg {arg}} must be numeric, not {describe_value(x)}.",
                       call = call)
    }
  }
  cat <- unit_catalogue(factors)
  if (!q %in% names(cat)) {
    if (!is.null(given_unit) && !identical(given_unit, native_unit)) {
      glycotrial_abort("{.arg {unit_arg}} is {.val {given_unit}} but the index expects {arg} in {.val {native_unit}}, and glycotrial does not know how to convert {q}.",
                       class = c("input", "glycotrial_error_unit"), call = call)
    }
    return(as.numeric(x))
  }
  from <- given_unit %||% native_unit
  if (q %in% plausibility_quantities) {
    # a unit mix-up gives a plausible-looking wrong index (R/plausibility.R)
    check_unit_plausibility(x, q, match_unit(from, q, factors, arg = unit_arg, call = call),
                            what = arg)
  }
  convert_quantity(x, q, from, native_unit, factors, arg = unit_arg, call = call)
}

format_labels <- function(labels, max = 10) {
  labels <- as.character(labels)
  if (length(labels) > max) c(labels[seq_len(max)], paste0("... (", length(labels), " in all)"))
  else labels
}

warn_rows <- function(what, labels, class) {
  lab <- format_labels(labels)
  glycotrial_warn(c("{what}", "i" = "{.val {lab}}"), class = class)
}

run_index <- function(info, inputs, units, id, labels, strict, factors, call,
                      unit_arg = function(q) paste0(q, "_unit")) {
  key <- info$key
  need <- names(info$inputs)
  if (info$shape == "curve") need <- c("time", need)
  miss <- setdiff(need, names(inputs))
  if (length(miss)) {
    glycotrial_abort("Index {.val {key}} needs input{?s} {.arg {miss}}.", call = call)
  }
  lens <- vapply(inputs[need], length, integer(1))
  n <- max(lens)
  bad <- lens != n & lens != 1L
  if (any(bad)) {
    glycotrial_abort(c("Inputs of {.val {key}} must have one common length (or length 1).",
                       "x" = "Lengths: {paste0(need, ' = ', lens, collapse = ', ')}."),
                     call = call)
  }
  vals <- list()
  conv_over <- rep(FALSE, n)
  for (q in need) {
    nat <- if (q == "time") "min" else info$inputs[[q]]
    qq <- if (q == "time") "time" else q
    v <- prepare_input(inputs[[q]], qq, nat, if (q %in% names(units)) units[[q]] else NULL, factors,
                       arg = q, call = call, unit_arg = unit_arg(q))
    vals[[q]] <- if (length(v) == n) v else rep_len(v, n)
    # A finite value that the unit conversion (R arithmetic) took to +-Inf
    # is an overflow of the row, not an "undefined" index.
    if (is.numeric(inputs[[q]]) && !is.factor(inputs[[q]])) {
      conv <- is.infinite(v) & is.finite(inputs[[q]])
      if (any(conv)) conv_over <- conv_over | rep_len(conv, n)
    }
  }
  if (info$shape == "row") {
    run_row_index(info, vals, labels %||% function(i) i, n, conv_over)
  } else {
    run_curve_index(info, vals, id, labels, strict, n, call, conv_over)
  }
}

# Negative (impossible) values become NA with a warning; `label_rows(bad)`
# gives the labels of the flagged rows (built only when needed).
flag_impossible <- function(key, vals, label_rows) {
  q <- intersect(names(vals), quantity_is_nonnegative)
  bad_rows <- if (length(q)) cpp_indices_negative_rows(unname(vals[q])) else integer()
  bad <- rep(FALSE, length(vals[[1]]))
  if (length(bad_rows)) {
    bad[bad_rows] <- TRUE
    warn_rows(paste0("Index \"", key, "\": negative (impossible) input values set to NA in ",
                     length(bad_rows), " row", if (length(bad_rows) > 1) "s", ":"),
              label_rows(bad), "glycotrial_warning_impossible_value")
    for (nm in names(vals)) vals[[nm]][bad_rows] <- NA_real_
  }
  list(vals = vals, bad = bad)
}

call_impl <- function(info, cols) {
  if (identical(info$implementation, "C++")) {
    cpp_indices_compute(info$key, unname(cols), by_curve = FALSE)
  } else {
    check_index_output(call_plugin_function(info$impl, cols, "index", info$key), info$key)
  }
}

run_row_index <- function(info, vals, labels, n, conv_over = FALSE) {
  if (n == 0) return(numeric())
  chk <- flag_impossible(info$key, vals, function(bad) label_at(labels, which(bad)))
  vals <- chk$vals
  out <- call_impl(info, vals)
  fp <- fp_units(out, seq_len(n), n)
  fp$overflow <- fp$overflow | conv_over
  if (length(out) != n) {
    glycotrial_abort("Index {.val {info$key}} returned {length(out)} value{?s} for {n} row{?s}.",
                     class = "numerical")
  }
  out <- as.numeric(out)
  out[is.nan(out)] <- NA_real_
  rng <- flag_range(info$key, out, Reduce(`&`, lapply(vals, function(v) !is.infinite(v))),
                    labels, "row", fp)
  out <- rng$out
  undefined <- is.na(out) & !chk$bad & !rng$flagged
  if (any(undefined)) {
    # Only rows with all inputs present are "undefined"; others are just missing.
    cand <- which(undefined)
    undefined[cand] <- Reduce(`&`, lapply(vals, function(v) !is.na(v[cand])))
  }
  if (any(undefined)) {
    warn_rows(paste0("Index \"", info$key, "\" is undefined for ", sum(undefined),
                     " row", if (sum(undefined) > 1) "s", " (see index_info(\"", info$key, "\")):"),
              label_at(labels, which(undefined)), "glycotrial_warning_undefined_index")
  }
  out
}

# The units (rows or curves) that the compiled call found affected by an
# overflow or underflow part-way through the formula (attributes "overflow" /
# "underflow" of cpp_indices_compute(): 1-based first rows of the units);
# `unit_of_row` maps rows to units 1..n_units.
fp_units <- function(res, unit_of_row, n_units) {
  at <- function(a) {
    hit <- rep(FALSE, n_units)
    rows <- attr(res, a, exact = TRUE)
    if (length(rows)) hit[unit_of_row[rows]] <- TRUE
    hit
  }
  list(overflow = at("overflow"), underflow = at("underflow"))
}

# Results that overflowed or underflowed cannot be trusted: NA with a classed
# warning naming the rows or curves. Overflow: the compiled call raised the
# IEEE overflow flag (`fp$overflow`, see fp_units()), or the result is +-Inf
# although the unit's inputs are finite (`finite`). Underflow: the compiled
# call found an underflow that changed the result (`fp$underflow`), or the
# result lies in the subnormal range. `fp` is NULL (or all FALSE) for R-function plugins
# (only their final values can be checked). Returns the new values and the
# flagged units.
flag_range <- function(key, out, finite, labels, unit, fp = NULL) {
  fp_over <- if (is.null(fp)) FALSE else fp$overflow
  fp_under <- if (is.null(fp)) FALSE else fp$underflow & !fp_over
  over <- fp_over | (is.infinite(out) & finite & !fp_under)
  under <- !over & (fp_under | (!is.na(out) & is.finite(out) & out != 0 &
                                  abs(out) < .Machine$double.xmin))
  if (any(over)) {
    warn_rows(paste0("Index \"", key, "\" overflowed (a value exceeded double precision, ",
                     "in the result or part-way through the formula: inputs too large) in ",
                     sum(over), " ", unit, if (sum(over) > 1) "s", "; set to NA:"),
              label_at(labels, which(over)), "glycotrial_warning_overflow")
  }
  if (any(under)) {
    warn_rows(paste0("Index \"", key, "\" underflowed (a value fell below ",
                     .Machine$double.xmin, ", in the result or part-way through the formula, ",
                     "and precision of the result was lost) in ", sum(under), " ", unit,
                     if (sum(under) > 1) "s", "; set to NA:"),
              label_at(labels, which(under)), "glycotrial_warning_underflow")
  }
  out[over | under] <- NA_real_
  list(out = out, flagged = over | under)
}

# Labels may be a vector or a function of indices (built only when needed).
label_at <- function(labels, i) if (is.function(labels)) labels(i) else labels[i]

# Curve codes 1..k in order of first appearance. Rows already grouped by curve
# (the usual case) need no sorting; otherwise `ord` regroups them, keeping
# the given order within a curve.
curve_codes <- function(id) {
  n <- length(id)
  if (is.factor(id)) id <- as.character(id)
  runs <- cpp_indices_runs(id)
  chg <- if (n) c(TRUE, runs[-1L] != runs[-n]) else logical()
  uid <- id[chg]
  if (!anyDuplicated(uid)) {
    return(list(uid = uid, code = runs, ord = NULL, first = chg))
  }
  uid <- unique(id)
  code <- match(id, uid)
  ord <- order(code)
  code <- code[ord]
  list(uid = uid, code = code, ord = ord, first = c(TRUE, code[-1L] != code[-n]))
}

# Name the curves with unsorted or duplicated time points (an error).
check_curve_times <- function(code, time, labels, call) {
  n <- length(code)
  if (n < 2) return(invisible())
  same <- code[-1L] == code[-n]
  dt <- time[-1L] - time[-n]
  bad <- which(same & dt < 0)
  if (length(bad)) {
    glycotrial_abort(c("Time points must be in increasing order within each curve.",
                       "x" = "Unsorted in curve(s) {.val {format_labels(label_at(labels, unique(code[bad])))}}."),
                     call = call)
  }
  dup <- which(same & dt == 0)
  if (length(dup)) {
    glycotrial_abort(c("Duplicated time points within a curve.",
                       "x" = "Curve(s) {.val {format_labels(label_at(labels, unique(code[dup])))}} at {.val {unique(time[dup])}} min."),
                     call = call)
  }
  invisible()
}

run_curve_index <- function(info, vals, id, labels, strict, n, call, conv_over = rep(FALSE, n)) {
  named <- !is.null(id)
  if (is.null(id)) id <- rep(1L, n)
  if (length(id) != n) {
    glycotrial_abort("{.arg id} has length {length(id)} but the inputs have length {n}.",
                     call = call)
  }
  if (anyNA(id)) glycotrial_abort("{.arg id} must not contain NA.", call = call)
  if (anyNA(vals$time)) {
    glycotrial_abort("{.arg time} must not contain NA (rows {.val {format_labels(which(is.na(vals$time)))}}).",
                     call = call)
  }
  cc <- curve_codes(id)
  uid <- cc$uid
  code <- cc$code
  first <- cc$first
  ncurve <- length(uid)
  if (is.null(labels)) labels <- function(i) as.character(uid[i])
  if (!is.null(cc$ord)) {
    vals <- lapply(vals, function(v) v[cc$ord])
    conv_over <- conv_over[cc$ord]
  }
  chk <- flag_impossible(info$key, vals[setdiff(names(vals), "time")], function(bad) {
    paste0(label_at(labels, code[bad]), " (t = ", vals$time[bad], ")")
  })
  vals[names(chk$vals)] <- chk$vals
  analytes <- intersect(names(info$inputs), c("glucose", "insulin", "cpeptide", "value"))
  cols <- unname(vals[c("time", names(info$inputs))])
  if (identical(info$implementation, "C++")) {
    # The plugin refuses unsorted or duplicated times; only then are the
    # offending curves looked up, to name them.
    res <- tryCatch(cpp_indices_compute(info$key, c(list(as.numeric(code)), cols), by_curve = TRUE),
                    glycotrial_error_input = function(e) {
                      check_curve_times(code, vals$time, labels, call)
                      stop(e)
                    })
    fp <- fp_units(res, code, ncurve)
    out <- res[first]
  } else {
    fp <- NULL
    check_curve_times(code, vals$time, labels, call)
    idx <- split(seq_along(code), code)
    out <- vapply(idx, function(r) {
      v <- check_index_output(
        call_plugin_function(info$impl, lapply(vals[c("time", names(info$inputs))], `[`, r),
                             "index", info$key),
        info$key)
      if (length(v) != 1) {
        glycotrial_abort("Curve index {.val {info$key}} must return one number per curve; got {length(v)}.",
                         class = "numerical")
      }
      v
    }, numeric(1))
  }
  out <- as.numeric(out)
  out[is.nan(out)] <- NA_real_
  if (any(conv_over)) {
    fp <- fp %||% list(overflow = rep(FALSE, ncurve), underflow = rep(FALSE, ncurve))
    fp$overflow <- fp$overflow | tabulate(code[conv_over], nbins = ncurve) > 0
  }
  inf_rows <- Reduce(`|`, lapply(vals, is.infinite))
  rng <- flag_range(info$key, out, tabulate(code[inf_rows], nbins = ncurve) == 0, labels, "curve",
                    fp)
  out <- rng$out
  # Which curves lack a required time point (or, for AUCs, two measured
  # points), or a covariate? Only curves without a result need looking at.
  missing_tp <- rep(FALSE, ncurve)
  missing_cov <- rep(FALSE, ncurve)
  covs <- setdiff(names(info$inputs), analytes)
  na_curves <- which(is.na(out))
  if (length(na_curves)) {
    rows <- which(code %in% na_curves)
    cr <- code[rows]
    tr <- vals$time[rows]
    for (a in analytes) {
      ok_rows <- !is.na(vals[[a]][rows])
      for (t0 in info$times) {
        has <- rep(FALSE, ncurve)
        has[cr[ok_rows & abs(tr - t0) < 1e-9]] <- TRUE
        missing_tp <- missing_tp | !has
      }
      if (!length(info$times)) {
        missing_tp <- missing_tp | tabulate(cr[ok_rows], nbins = ncurve) < 2
      }
    }
    for (q in covs) {
      has <- rep(FALSE, ncurve)
      has[cr[!is.na(vals[[q]][rows])]] <- TRUE
      missing_cov <- missing_cov | !has
    }
    not_na <- rep(TRUE, ncurve)
    not_na[na_curves] <- FALSE
    missing_tp[not_na] <- FALSE
    missing_cov[not_na] <- FALSE
  }
  if (any(missing_cov & !missing_tp)) {
    warn_rows(paste0("Index \"", info$key, "\" needs ", paste(covs, collapse = ", "),
                     "; missing for ", sum(missing_cov & !missing_tp), " curve",
                     if (sum(missing_cov & !missing_tp) > 1) "s", ":"),
              label_at(labels, which(missing_cov & !missing_tp)), "glycotrial_warning_missing_input")
  }
  if (any(missing_tp)) {
    what <- paste0("Index \"", info$key, "\" needs time point",
                   if (length(info$times) != 1) "s", " ",
                   if (length(info$times)) paste(info$times, collapse = "/") else "(two measured points)",
                   " min; missing in ", sum(missing_tp), " curve", if (sum(missing_tp) > 1) "s", ":")
    if (strict) {
      glycotrial_abort(c(what, "x" = "{.val {format_labels(label_at(labels, which(missing_tp)))}}"),
                       class = c("input", "glycotrial_error_missing_timepoint"), call = call)
    }
    warn_rows(what, label_at(labels, which(missing_tp)), "glycotrial_warning_missing_timepoint")
  }
  undefined <- is.na(out) & !missing_tp & !missing_cov & !rng$flagged
  if (any(undefined)) {
    warn_rows(paste0("Index \"", info$key, "\" is undefined for ", sum(undefined), " curve",
                     if (sum(undefined) > 1) "s", " (see index_info(\"", info$key, "\")):"),
              label_at(labels, which(undefined)), "glycotrial_warning_undefined_index")
  }
  if (named) names(out) <- as.character(uid)
  out
}
