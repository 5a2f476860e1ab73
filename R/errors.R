# Classed errors. Every error glycotrial raises inherits from
# "glycotrial_error" and one of:
#   glycotrial_error_input        the caller passed something unusable
#   glycotrial_error_numerical    a computation failed numerically
#   glycotrial_error_convergence  an iterative fit did not converge
# Warnings use "glycotrial_warning" plus a specific class.

#' Signal a classed glycotrial error
#'
#' Used throughout the package (and available to plugin authors) so that all
#' errors carry a class that callers can catch with `tryCatch()`.
#'
#' @param message Character; the message, with cli inline markup.
#' @param class One of `"input"`, `"numerical"`, `"convergence"`, or a
#'   further specific class name appended after the standard ones.
#' @param ... Passed to [cli::cli_abort()] (e.g. extra fields).
#' @param call The call to report; defaults to the caller's caller.
#' @param .envir Environment in which cli markup is evaluated.
#' @return Does not return; signals an error of class
#'   `c("glycotrial_error_<class>", "glycotrial_error", "error", "condition")`.
#' @examples
#' tryCatch(
#'   glycotrial_abort("{.arg n} must be positive, not {-1}."),
#'   glycotrial_error_input = function(e) conditionMessage(e)
#' )
#' @export
glycotrial_abort <- function(message, class = "input", ..., call = rlang_caller(),
                             .envir = parent.frame()) {
  force(call)
  std <- c("input", "numerical", "convergence")
  cls <- ifelse(class %in% std, paste0("glycotrial_error_", class), class)
  cli::cli_abort(message, class = c(cls, "glycotrial_error"), ..., call = call,
                 .envir = .envir)
}

#' @rdname glycotrial_abort
#' @export
glycotrial_warn <- function(message, class = "glycotrial_warning_data", ...,
                            .envir = parent.frame()) {
  cli::cli_warn(message, class = unique(c(class, "glycotrial_warning")), ...,
                .envir = .envir)
}

# The frame two up: the user-facing function that called the helper which
# called glycotrial_abort().
rlang_caller <- function() {
  n <- sys.nframe()
  if (n >= 3) sys.call(n - 2) else NULL
}

# Called from C++ (src/r_guard.h) to turn a core exception into an R condition.
raise_core_error <- function(r_class, message, argument) {
  prefix <- if (nzchar(argument)) paste0("`", argument, "`: ") else ""
  # A core class may carry its parent: "glycotrial_error_plugin_failed glycotrial_error_input".
  r_class <- strsplit(r_class, " ", fixed = TRUE)[[1]]
  cnd <- structure(
    class = unique(c(r_class, "glycotrial_error", "error", "condition")),
    list(message = paste0(prefix, message), call = NULL, argument = argument)
  )
  stop(cnd)
}
