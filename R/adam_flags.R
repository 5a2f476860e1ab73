# ADaM flag columns (SAFFL, TRTEMFL, ABLFL, AESER, ...). Real data spell
# "yes" in many ways: "Y", "y", "Yes", TRUE, 1. Reading a flag with `== "Y"`
# silently excludes every subject of a data set that spells it otherwise, so
# every flag in the safety layer is read here: the common spellings are
# accepted case-insensitively, missing stays NA, anything else is a classed
# error naming the column and the value.

adam_flag_yes <- c("Y", "YES", "TRUE", "T", "1")
adam_flag_no <- c("N", "NO", "FALSE", "F", "0")

# Logical vector (NA for missing or blank) from a flag column. `column` and
# `data` name the column and data set in the error message.
read_adam_flag <- function(x, column = "flag", data = "data", call = sys.call(-1)) {
  if (is.logical(x)) return(x)
  if (is.numeric(x)) {
    bad <- !is.na(x) & !x %in% c(0, 1)
    if (any(bad)) {
      glycotrial_abort(c("{.arg {data}} column {.field {column}} must be a Y/N flag; found {.val {unique(x[bad])[1]}}.",
                         "i" = "Accepted: Y/N, Yes/No, TRUE/FALSE, 1/0 (any case); blank or NA = missing."),
                       class = c("input", "glycotrial_error_flag"), call = call)
    }
    return(x == 1)
  }
  if (!(is.character(x) || is.factor(x))) {
    glycotrial_abort("{.arg {data}} column {.field {column}} must be a Y/N flag, not {describe_value(x)}.",
                     class = c("input", "glycotrial_error_flag"), call = call)
  }
  # The distinct values only: flag columns have millions of rows, few values.
  e <- if (is.factor(x)) list(code = as.integer(x), levels = levels(x)) else {
    u <- unique(x)
    list(code = match(x, u), levels = u)
  }
  v <- toupper(trimws(as.character(e$levels)))
  miss <- is.na(v) | v == ""
  yes <- v %in% adam_flag_yes
  bad <- !miss & !yes & !v %in% adam_flag_no
  used <- tabulate(e$code, length(v)) > 0
  if (any(bad & used)) {
    glycotrial_abort(c("{.arg {data}} column {.field {column}} must be a Y/N flag; found {.val {e$levels[bad & used][1]}}.",
                       "i" = "Accepted: Y/N, Yes/No, TRUE/FALSE, 1/0 (any case); blank or NA = missing."),
                     class = c("input", "glycotrial_error_flag"), call = call)
  }
  out <- ifelse(miss, NA, yes)
  out[e$code]
}

# TRUE where the flag says yes; missing counts as no (population flags).
adam_flag_is_yes <- function(x, column = "flag", data = "data", call = sys.call(-1)) {
  f <- read_adam_flag(x, column, data, call)
  !is.na(f) & f
}
