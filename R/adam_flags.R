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

# Numeric analysis values (AVAL, BASE, ANRHI, grades): numbers, or text that
# is entirely numbers (a CSV import); anything else is a classed error rather
# than the NA that as.numeric() would make of it.
read_adam_numeric <- function(x, column = "value", data = "data", call = sys.call(-1)) {
  if (is.numeric(x) && !is.factor(x)) return(as.numeric(x))
  if (is.logical(x) && all(is.na(x))) return(as.numeric(x))
  if (is.character(x) || is.factor(x)) {
    s <- trimws(as.character(x))
    s[s == ""] <- NA_character_
    v <- suppressWarnings(as.numeric(s))
    bad <- !is.na(s) & is.na(v)
    if (!any(bad)) return(v)
    glycotrial_abort(c("{.arg {data}} column {.field {column}} must be numeric; found {.val {unique(s[bad])[1:min(3, length(unique(s[bad])))]}}.",
                       "i" = "Convert the column to numbers (missing values as {.code NA})."),
                     class = c("input", "glycotrial_error_column_type"), call = call)
  }
  glycotrial_abort("{.arg {data}} column {.field {column}} must be numeric, not {describe_value(x)}.",
                   class = c("input", "glycotrial_error_column_type"), call = call)
}

# Columns that must hold one atomic value per row (not list columns).
check_atomic_columns <- function(df, cols, data = "data", call = sys.call(-1)) {
  for (cl in intersect(cols, names(df))) {
    x <- df[[cl]]
    if (is.list(x) || !is.atomic(x)) {
      glycotrial_abort("{.arg {data}} column {.field {cl}} must hold one value per row, not {describe_value(x)}.",
                       class = c("input", "glycotrial_error_column_type"), call = call)
    }
  }
  invisible(df)
}
