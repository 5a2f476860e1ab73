# Physiological plausibility of laboratory values in their declared unit: a
# unit mix-up (glucose in mg/dL under the mmol/L default, creatinine in umol/L
# as mg/dL, HbA1c in mmol/mol labelled %) gives a plausible-looking wrong
# index, so values implausible in their unit are reported. The ranges live in
# the C++ core (src/core/indices/plausibility.cpp, with their sources).

plausibility_quantities <- c("glucose", "insulin", "cpeptide", "creatinine", "hba1c")

#' Plausible ranges of laboratory values per unit
#'
#' The index functions ([homa1_ir()], [egfr_ckd_epi_2021()],
#' [hba1c_convert()], [beta_cell_indices()], ...) and [derive_responders()]
#' check glucose, insulin, C-peptide, creatinine and HbA1c against these
#' ranges in the unit the values are declared in (argument, `AVALU` or the
#' unit in `PARAM` text):
#'
#' * values implausible in the declared unit but plausible in another common
#'   unit of the analyte give a warning of class
#'   `glycotrial_warning_implausible_unit` naming the likely unit (field
#'   `likely_unit`): e.g. `homa1_ir(95, 10)` (glucose 95 is mg/dL, not
#'   mmol/L), `egfr_ckd_epi_2021(88, 50, "M")` (creatinine in umol/L),
#'   `hba1c_convert(53)` (already mmol/mol);
#' * values implausible in every unit give `glycotrial_warning_implausible_value`.
#'
#' Both also have class `glycotrial_warning_plausibility`. The values are not
#' changed: convert them (or declare the right unit) and the warning goes. The
#' ranges are deliberately wide (every patient a diabetes trial can see,
#' including severe hypoglycaemia, hyperosmolar states and renal failure); for
#' other populations (e.g. animal studies) set
#' `options(glycotrial.check_plausibility = FALSE)`. Negative values are
#' handled as impossible (see [evaluate_index()]), zero insulin or C-peptide
#' as below detection.
#'
#' @param quantity `NULL` (all) or one of `"glucose"`, `"insulin"`,
#'   `"cpeptide"`, `"creatinine"`, `"hba1c"`.
#' @return `unit_ranges()`: a data frame with columns `quantity`, `unit`,
#'   `low`, `high` (plausible range) and `typical` (an ordinary value, used to
#'   choose the likely unit when several fit).
#' @examples
#' unit_ranges()
#' tryCatch(homa1_ir(95, 10), glycotrial_warning_implausible_unit = function(w) w$likely_unit)
#' homa1_ir(95, 10, glucose_unit = "mg/dL")
#' @export
unit_ranges <- function(quantity = NULL) {
  r <- cpp_unit_ranges()
  if (is.null(quantity)) return(r)
  quantity <- check_choice(quantity, plausibility_quantities, arg = "quantity")
  r <- r[r$quantity == quantity, , drop = FALSE]
  rownames(r) <- NULL
  r
}

# Warns (classed) about values of `quantity` implausible in `unit` (any
# accepted spelling). `what` names the values in the message, `labels`
# (vector or function of indices) the rows.
check_unit_plausibility <- function(x, quantity, unit, what = quantity, labels = NULL) {
  if (!isTRUE(getOption("glycotrial.check_plausibility", TRUE))) return(invisible(NULL))
  if (!quantity %in% plausibility_quantities || !is.numeric(x) || !length(x)) {
    return(invisible(NULL))
  }
  u <- normalise_unit(unit)
  if (length(u) != 1 || is.na(u) ||
      !u %in% names(unit_catalogue(default_unit_factors())[[quantity]])) {
    return(invisible(NULL))  # unknown units are the conversion's error
  }
  v <- cpp_unit_plausibility(quantity, u, as.numeric(x))
  lab <- function(i) if (is.null(labels)) i else label_at(labels, i)
  s1 <- which(v$status == 1L)
  if (length(s1)) {
    likely <- names(sort(table(v$likely[s1]), decreasing = TRUE))[1]
    rows <- format_labels(lab(s1))
    ex <- format(x[s1][1])
    glycotrial_warn(c(
      "{length(s1)} {what} value{?s} implausible in {.val {u}} but plausible in {.val {likely}} (e.g. {ex}): {what} is probably in {likely}.",
      "i" = "Rows: {.val {rows}}.",
      "i" = "Declare the unit as {.val {likely}} (or convert the values); results computed as {u} are wrong."),
      class = c("glycotrial_warning_implausible_unit", "glycotrial_warning_plausibility"),
      likely_unit = likely, declared_unit = u, quantity = quantity, rows = s1)
  }
  s2 <- which(v$status == 2L)
  if (length(s2)) {
    rows <- format_labels(lab(s2))
    ex <- format(x[s2][1])
    rng <- unit_ranges()
    rng <- rng[rng$quantity == quantity & rng$unit == u, ]
    glycotrial_warn(c(
      "{length(s2)} {what} value{?s} physiologically implausible in {.val {u}} and in every other unit of {quantity} (e.g. {ex}; plausible in {u}: {format(rng$low)} to {format(rng$high)}).",
      "i" = "Rows: {.val {rows}}.",
      "i" = "Check the data (a data-entry or scaling error?)."),
      class = c("glycotrial_warning_implausible_value", "glycotrial_warning_plausibility"),
      declared_unit = u, quantity = quantity, rows = s2)
  }
  invisible(v)
}

# ADaM PARAM text often carries the unit: "Fasting plasma glucose (mg/dL)".
# Returns the unit in the last parentheses when glycotrial knows it, else NA.
unit_from_param_text <- function(param) {
  p <- as.character(param)
  has <- !is.na(p) & grepl("\\(([^()]+)\\)\\s*$", p)
  out <- rep(NA_character_, length(p))
  out[has] <- sub("^.*\\(([^()]+)\\)\\s*$", "\\1", p[has])
  known <- !is.na(normalise_unit(out))
  out[!known] <- NA_character_
  out
}
