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
#' a %B denominator, glucose not rising at 30 min in the insulinogenic index)
#' give `NA` with a warning of class `glycotrial_warning_undefined_index`.
#' Curves lacking a time point the index needs give `NA` with a warning of
#' class `glycotrial_warning_missing_timepoint` (an error with
#' `strict = TRUE`).
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
#' @inheritParams index_units
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
  index_eval(key, inputs, units, id, labels, strict, factors, call = sys.call())
}

# Shared by evaluate_index() and the single-index functions; `call` is the
# user-facing call reported in errors.
index_eval <- function(key, inputs, units = NULL, id = NULL, labels = NULL, strict = FALSE,
                       factors = default_unit_factors(), call = sys.call(-1)) {
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
  run_index(info, inputs, units, id, labels, strict, factors, call = call)
}

quantity_is_nonnegative <- c("glucose", "insulin", "cpeptide", "creatinine", "hba1c",
                             "weight", "height", "age", "bmi")

# Check and convert one input to the unit the index expects.
prepare_input <- function(x, q, native_unit, given_unit, factors, arg, call) {
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
      glycotrial_abort("{.arg {arg}} is in {.val {given_unit}} but the index expects {.val {native_unit}}, and glycotrial does not know how to convert {q}.",
                       class = c("input", "glycotrial_error_unit"), call = call)
    }
    return(as.numeric(x))
  }
  from <- given_unit %or% native_unit
  convert_quantity(x, q, from, native_unit, factors, arg = paste0(arg, "_unit"), call = call)
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

run_index <- function(info, inputs, units, id, labels, strict, factors, call) {
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
  for (q in need) {
    nat <- if (q == "time") "min" else info$inputs[[q]]
    qq <- if (q == "time") "time" else q
    v <- prepare_input(inputs[[q]], qq, nat, if (q %in% names(units)) units[[q]] else NULL, factors, arg = q, call = call)
    vals[[q]] <- rep_len(v, n)
  }
  if (info$shape == "row") {
    run_row_index(info, vals, labels %or% seq_len(n), n)
  } else {
    run_curve_index(info, vals, id, labels, strict, n, call)
  }
}

flag_impossible <- function(key, vals, labels_rows) {
  bad <- rep(FALSE, length(vals[[1]]))
  for (q in intersect(names(vals), quantity_is_nonnegative)) {
    bad <- bad | (!is.na(vals[[q]]) & vals[[q]] < 0)
  }
  if (any(bad)) {
    warn_rows(paste0("Index \"", key, "\": negative (impossible) input values set to NA in ",
                     sum(bad), " row", if (sum(bad) > 1) "s", ":"),
              labels_rows[bad], "glycotrial_warning_impossible_value")
    for (q in names(vals)) vals[[q]][bad] <- NA_real_
  }
  list(vals = vals, bad = bad)
}

call_impl <- function(info, cols) {
  if (identical(info$implementation, "C++")) {
    cpp_compute_compiled_index(info$key, unname(cols))
  } else {
    as.numeric(do.call(info$impl, cols))
  }
}

run_row_index <- function(info, vals, labels, n) {
  if (n == 0) return(numeric())
  chk <- flag_impossible(info$key, vals, labels)
  vals <- chk$vals
  out <- call_impl(info, vals)
  if (length(out) != n) {
    glycotrial_abort("Index {.val {info$key}} returned {length(out)} value{?s} for {n} row{?s}.",
                     class = "numerical")
  }
  out[is.nan(out)] <- NA_real_
  complete <- Reduce(`&`, lapply(vals, function(v) !is.na(v)))
  undefined <- is.na(out) & complete & !chk$bad
  if (any(undefined)) {
    warn_rows(paste0("Index \"", info$key, "\" is undefined for ", sum(undefined),
                     " row", if (sum(undefined) > 1) "s", " (see ?", info$key, "):"),
              labels[undefined], "glycotrial_warning_undefined_index")
  }
  out
}

run_curve_index <- function(info, vals, id, labels, strict, n, call) {
  if (is.null(id)) id <- rep(1L, n)
  if (length(id) != n) {
    glycotrial_abort("{.arg id} has length {length(id)} but the inputs have length {n}.",
                     call = call)
  }
  if (anyNA(id)) glycotrial_abort("{.arg id} must not contain NA.", call = call)
  uid <- unique(id)
  code <- match(id, uid)
  if (is.null(labels)) labels <- as.character(uid)
  time <- vals$time
  if (anyNA(time)) {
    glycotrial_abort("{.arg time} must not contain NA (rows {.val {format_labels(which(is.na(time)))}}).",
                     call = call)
  }
  o2 <- order(code)  # stable: keeps the given order within each curve
  t2 <- time[o2]
  c2 <- code[o2]
  bad_curves <- unique(c2[-1][diff(t2) < 0 & diff(c2) == 0])
  if (length(bad_curves)) {
    glycotrial_abort(c("Time points must be in increasing order within each curve.",
                       "x" = "Unsorted in curve{?s} {.val {format_labels(labels[bad_curves])}}."),
                     call = call)
  }
  ord <- order(code, time)
  vals <- lapply(vals, function(v) v[ord])
  code <- code[ord]
  dup <- which(diff(code) == 0 & diff(vals$time) == 0)
  if (length(dup)) {
    glycotrial_abort(c("Duplicated time points within a curve.",
                       "x" = "Curve(s) {.val {format_labels(unique(labels[code[dup]]))}} at {.val {unique(vals$time[dup])}} min."),
                     call = call)
  }
  first <- !duplicated(code)
  chk <- flag_impossible(info$key, vals[setdiff(names(vals), "time")],
                         paste0(labels[code], " (t = ", vals$time, ")"))
  vals[names(chk$vals)] <- chk$vals
  analytes <- intersect(names(info$inputs), c("glucose", "insulin", "cpeptide", "value"))
  if (identical(info$implementation, "C++")) {
    res <- cpp_compute_compiled_index(info$key, c(list(as.numeric(code)), unname(vals[c("time", names(info$inputs))])))
    out <- res[first]
  } else {
    idx <- split(seq_along(code), code)
    out <- vapply(idx, function(r) {
      v <- as.numeric(do.call(info$impl, lapply(vals[c("time", names(info$inputs))], `[`, r)))
      if (length(v) != 1) {
        glycotrial_abort("Curve index {.val {info$key}} must return one number per curve; got {length(v)}.",
                         class = "numerical")
      }
      v
    }, numeric(1))
  }
  out <- as.numeric(out)
  out[is.nan(out)] <- NA_real_
  # Which curves lack a required time point (or, for AUCs, two measured points)?
  missing_tp <- rep(FALSE, length(uid))
  for (a in analytes) {
    ok_rows <- !is.na(vals[[a]])
    for (t0 in info$times) {
      has <- tapply(ok_rows & abs(vals$time - t0) < 1e-9, code, any)
      missing_tp <- missing_tp | !has
    }
    if (!length(info$times)) {
      missing_tp <- missing_tp | tapply(ok_rows, code, sum) < 2
    }
  }
  missing_tp <- as.vector(missing_tp)
  if (any(missing_tp)) {
    what <- paste0("Index \"", info$key, "\" needs time point",
                   if (length(info$times) != 1) "s", " ",
                   if (length(info$times)) paste(info$times, collapse = "/") else "(two measured points)",
                   " min; missing in ", sum(missing_tp), " curve", if (sum(missing_tp) > 1) "s", ":")
    if (strict) {
      glycotrial_abort(c(what, "x" = "{.val {format_labels(labels[missing_tp])}}"),
                       class = c("input", "glycotrial_error_missing_timepoint"), call = call)
    }
    warn_rows(what, labels[missing_tp], "glycotrial_warning_missing_timepoint")
  }
  undefined <- is.na(out) & !missing_tp
  if (any(undefined)) {
    warn_rows(paste0("Index \"", info$key, "\" is undefined for ", sum(undefined), " curve",
                     if (sum(undefined) > 1) "s", " (see ?", info$key, "):"),
              labels[undefined], "glycotrial_warning_undefined_index")
  }
  if (!(length(uid) == 1 && all(id == 1L))) names(out) <- as.character(uid)
  out
}
