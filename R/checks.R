# Argument checks shared by every exported function. Each names the argument,
# says what was expected and what was found, and raises glycotrial_error_input.
# `arg` defaults to the expression the caller passed.

describe_value <- function(x) {
  if (is.null(x)) return("NULL")
  cls <- class(x)[1]
  if (is.atomic(x) && length(x) == 1) {
    return(paste0("the ", cls, " value ", format(x)))
  }
  paste0("a ", cls, " of length ", length(x))
}

#' Argument checks for glycotrial and its plugins
#'
#' Small validators that raise a `glycotrial_error_input` condition naming the
#' argument, what was expected and what was found. Exported so that plugin
#' authors give the same kind of errors.
#'
#' @param x The value to check.
#' @param arg Name of the argument, used in the message.
#' @param lower,upper Inclusive bounds (or exclusive with `open = TRUE`).
#' @param open Logical; use open bounds.
#' @param allow_na Logical; are `NA`s acceptable?
#' @param len Required length, or `NULL` for any length.
#' @param choices Allowed values.
#' @param cols Required column names.
#' @param call Call reported in the error.
#' @return `x`, invisibly (for `check_choice()`, the matched choice).
#' @examples
#' check_number(0.95, lower = 0, upper = 1, open = TRUE)
#' try(check_number(1.5, lower = 0, upper = 1, arg = "conf_level"))
#' check_choice("wilson", c("wald", "wilson"))
#' @name checks
NULL

#' @rdname checks
#' @export
check_number <- function(x, lower = -Inf, upper = Inf, open = FALSE, allow_na = FALSE,
                         len = 1L, arg = deparse(substitute(x)), call = sys.call(-1)) {
  if (!is.numeric(x) || is.factor(x)) {
    glycotrial_abort("{.arg {arg}} must be numeric, not {describe_value(x)}.", call = call)
  }
  if (!is.null(len) && length(x) != len) {
    glycotrial_abort("{.arg {arg}} must have length {len}, not {length(x)}.", call = call)
  }
  bad_na <- is.na(x)
  if (!allow_na && any(bad_na)) {
    glycotrial_abort("{.arg {arg}} must not be NA or NaN (found at position{?s} {which(bad_na)}).",
                     call = call)
  }
  y <- x[!bad_na]
  out <- if (open) y <= lower | y >= upper else y < lower | y > upper
  if (any(out)) {
    br <- if (open) c("(", ")") else c("[", "]")
    glycotrial_abort(
      "{.arg {arg}} must lie in {br[1]}{lower}, {upper}{br[2]}; found {format(y[out][1])}.",
      call = call)
  }
  invisible(x)
}

#' @rdname checks
#' @export
check_count <- function(x, lower = 0, allow_na = FALSE, len = NULL,
                        arg = deparse(substitute(x)), call = sys.call(-1)) {
  check_number(x, lower = lower, allow_na = allow_na, len = len, arg = arg, call = call)
  y <- x[!is.na(x)]
  if (any(is.infinite(y)) || any(y != round(y))) {
    glycotrial_abort("{.arg {arg}} must contain whole numbers; found {format(y[y != round(y) | is.infinite(y)][1])}.",
                     call = call)
  }
  invisible(x)
}

#' @rdname checks
#' @export
check_string <- function(x, arg = deparse(substitute(x)), call = sys.call(-1)) {
  if (!is.character(x) || length(x) != 1 || is.na(x)) {
    glycotrial_abort("{.arg {arg}} must be a single string, not {describe_value(x)}.",
                     call = call)
  }
  invisible(x)
}

#' @rdname checks
#' @export
check_flag <- function(x, arg = deparse(substitute(x)), call = sys.call(-1)) {
  if (!is.logical(x) || length(x) != 1 || is.na(x)) {
    glycotrial_abort("{.arg {arg}} must be TRUE or FALSE, not {describe_value(x)}.",
                     call = call)
  }
  invisible(x)
}

#' @rdname checks
#' @export
check_choice <- function(x, choices, arg = deparse(substitute(x)), call = sys.call(-1)) {
  if (!is.character(x) || length(x) != 1 || is.na(x) || !x %in% choices) {
    glycotrial_abort(
      c("{.arg {arg}} must be one of {.val {choices}}.",
        "x" = "Found {describe_value(x)}."),
      call = call)
  }
  x
}

#' @rdname checks
#' @export
check_data_frame <- function(x, cols = character(), arg = deparse(substitute(x)),
                             call = sys.call(-1)) {
  if (!is.data.frame(x)) {
    glycotrial_abort("{.arg {arg}} must be a data frame, not {describe_value(x)}.", call = call)
  }
  miss <- setdiff(cols, names(x))
  if (length(miss)) {
    glycotrial_abort(
      c("{.arg {arg}} lacks required column{?s} {.field {miss}}.",
        "i" = "Columns present: {.field {names(x)}}."),
      call = call)
  }
  invisible(x)
}
