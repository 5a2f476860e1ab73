# offset() terms in mmrm_fit() formulas. Row route: the model is fitted to
# y - offset (the offset is a known part of the mean), fitted values and
# predictions add it back (as lm() and mmrm do). The moment route (data
# sources, very large data frames) builds its moments from the columns of
# the design and cannot carry an offset: refused there.

mmrm_check_offset <- function(off_all, rows) {
  off <- as.numeric(off_all)[rows]
  if (any(!is.finite(off))) {
    i <- rows[which(!is.finite(off))[1]]
    glycotrial_abort(c(
      "The {.fn offset} of the formula must be finite; found {format(as.numeric(off_all)[i])} at row {i} of {.arg data}.",
      "i" = "Remove or impute those rows, or drop the offset."),
      class = c("glycotrial_error_offset", "glycotrial_error_input"), call = NULL)
  }
  off
}

mmrm_has_offset <- function(formula) {
  "offset" %in% all.names(formula[[length(formula)]])
}

mmrm_offset_moments <- function(formula) {
  if (inherits(formula, "formula") && mmrm_has_offset(formula)) {
    glycotrial_abort(c(
      "{.fn offset} in the formula is not supported when the MMRM is fitted from pattern moments (data sources, or data frames of at least {.code getOption(\"glycotrial.mmrm_moment_rows\")} rows).",
      "i" = "Subtract the offset from the response in the data (e.g. a computed column {.code CHG - OFF}) and fit without {.fn offset}, or fit a data frame below the moment threshold."),
      class = c("glycotrial_error_offset_unsupported", "glycotrial_error_input"), call = NULL)
  }
  invisible(NULL)
}
