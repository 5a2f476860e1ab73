# Confidence intervals for one binomial proportion (C++ core:
# src/core/stats/proportion_ci.cpp). Shared helpers for the CI family
# (recycling, method matching) live here too.

prop_ci_methods <- c("wilson", "wilson-cc", "clopper-pearson", "jeffreys",
                     "agresti-coull", "mid-p", "wald", "wald-cc")
prop_ci_aliases <- c(exact = "clopper-pearson", midp = "mid-p", ac = "agresti-coull",
                     wilsoncc = "wilson-cc", waldcc = "wald-cc", score = "wilson")

# Resolve method names (case-insensitive, SAS-style aliases) or raise a
# classed error listing the valid names.
match_ci_method <- function(method, valid, aliases = character(), arg = "method",
                            call = sys.call(-1)) {
  if (!is.character(method) || length(method) < 1 || anyNA(method)) {
    glycotrial_abort(c("{.arg {arg}} must be a character vector of method names.",
                       "i" = "Valid methods: {.val {valid}}.",
                       "x" = "Found {describe_value(method)}."),
                     class = c("input", "glycotrial_error_unknown_method"), call = call)
  }
  m <- tolower(method)
  hit <- m %in% names(aliases)
  m[hit] <- aliases[m[hit]]
  bad <- !m %in% valid
  if (any(bad)) {
    glycotrial_abort(c("Unknown {.arg {arg}} {.val {method[bad]}}.",
                       "i" = "Valid methods: {.val {valid}}."),
                     class = c("input", "glycotrial_error_unknown_method"), call = call)
  }
  unique(m)
}

# Checks counts and recycles arguments to a common length (each must have
# length 1 or the common length).
check_binomial_counts <- function(x, n, xname, nname, call) {
  check_count(x, arg = xname, call = call)
  check_count(n, lower = 1, arg = nname, call = call)
  len <- max(length(x), length(n))
  if (length(x) && length(n)) {
    xx <- rep_len(x, len)
    nn <- rep_len(n, len)
    if (any(xx > nn)) {
      i <- which(xx > nn)[1]
      glycotrial_abort(
        "{.arg {xname}} must not exceed {.arg {nname}}; found {xx[i]} > {nn[i]} at position {i}.",
        call = call)
    }
  }
  invisible(NULL)
}

recycle_args <- function(args, call) {
  lens <- lengths(args)
  if (any(lens == 0)) {
    glycotrial_abort("{.arg {names(args)[lens == 0][1]}} must not be empty.", call = call)
  }
  n <- max(lens)
  bad <- !(lens %in% c(1L, n))
  if (any(bad)) {
    glycotrial_abort(c("Arguments must have length 1 or a common length ({n}).",
                       "x" = "{.arg {names(args)[bad][1]}} has length {lens[bad][1]}."),
                     call = call)
  }
  lapply(args, rep_len, length.out = n)
}

# Shared by diff_ci() and ratio_ci(): the two groups' counts and the
# confidence level checked, then everything recycled to one length.
two_sample_ci_args <- function(x1, n1, x2, n2, conf_level, call) {
  check_binomial_counts(x1, n1, "x1", "n1", call)
  check_binomial_counts(x2, n2, "x2", "n2", call)
  check_conf_level(conf_level, call)
  recycle_args(list(x1 = x1, n1 = n1, x2 = x2, n2 = n2, conf_level = conf_level), call)
}

# One row per table and method: `compute(m)` returns the core's list of
# estimate/lower/upper for method m; `measure` (ratio_ci) adds that column.
two_sample_ci_table <- function(a, methods, compute, measure = NULL) {
  out <- lapply(methods, function(m) {
    r <- compute(m)
    d <- data.frame(x1 = a$x1, n1 = a$n1, x2 = a$x2, n2 = a$n2, stringsAsFactors = FALSE)
    if (!is.null(measure)) d$measure <- measure
    d$estimate <- r$estimate
    d$lower <- r$lower
    d$upper <- r$upper
    d$method <- m
    d$conf_level <- a$conf_level
    flag_ci_conditions(d, m)
  })
  out <- do.call(rbind, out)
  rownames(out) <- NULL
  out
}

check_conf_level <- function(conf_level, call) {
  check_number(conf_level, lower = 0, upper = 1, open = TRUE, len = NULL,
               arg = "conf_level", call = call)
}

#' Confidence intervals for a binomial proportion
#'
#' Vectorised confidence intervals for `x` successes out of `n`, computed by
#' the C++ core with Boost.Math distributions. Method names follow SAS PROC
#' FREQ `BINOMIAL(CL=...)`:
#' \describe{
#'   \item{`"wilson"`}{Wilson (1927) score interval (SAS `WILSON`).}
#'   \item{`"wilson-cc"`}{Wilson with continuity correction, Newcombe (1998a)
#'     method 4 (SAS `WILSON(CORRECT)`).}
#'   \item{`"clopper-pearson"`, alias `"exact"`}{Clopper–Pearson (SAS `EXACT`).}
#'   \item{`"jeffreys"`}{Equal-tailed Beta(x + 1/2, n - x + 1/2) interval; lower
#'     limit 0 when x = 0 and upper limit 1 when x = n (Brown, Cai & DasGupta
#'     2001; SAS `JEFFREYS`).}
#'   \item{`"agresti-coull"`}{Agresti & Coull (1998), truncated to \[0, 1\]
#'     (SAS `AGRESTICOULL`).}
#'   \item{`"mid-p"`}{Lancaster mid-p exact interval (SAS `MIDP`).}
#'   \item{`"wald"`, `"wald-cc"`}{Wald, optionally with the 1/(2n) continuity
#'     correction, truncated to \[0, 1\] (SAS `WALD`, `WALD(CORRECT)`).}
#' }
#' At `x = 0` or `x = n` every method returns its limiting value (e.g. the
#' Wilson interval for 0/n is `(0, z^2 / (n + z^2))`).
#'
#' @param x Number of successes (whole numbers, `0 <= x <= n`).
#' @param n Number of trials (whole numbers, at least 1).
#' @param method One or more method names (see Details); case-insensitive.
#' @param conf_level Confidence level(s) in (0, 1).
#' @return A data frame with one row per input element and method: `x`, `n`,
#'   `estimate` (x / n), `lower`, `upper`, `method`, `conf_level`. The Wald
#'   intervals at `x = 0` or `x = n` have zero width ((0, 0), (1, 1)); they
#'   are returned with a `glycotrial_warning_degenerate_interval` warning.
#' @references Newcombe RG (1998). Two-sided confidence intervals for the
#'   single proportion: comparison of seven methods. *Stat Med* 17:857–872.
#' @examples
#' prop_ci(15, 148)
#' prop_ci(c(0, 1, 15), c(20, 29, 148), method = c("wilson", "clopper-pearson"))
#' @export
prop_ci <- function(x, n, method = "wilson", conf_level = 0.95) {
  call <- sys.call()
  method <- match_ci_method(method, prop_ci_methods, prop_ci_aliases, call = call)
  check_binomial_counts(x, n, "x", "n", call)
  check_conf_level(conf_level, call)
  a <- recycle_args(list(x = x, n = n, conf_level = conf_level), call)
  out <- lapply(method, function(m) {
    r <- cpp_stats_prop_ci(as.double(a$x), as.double(a$n), m, as.double(a$conf_level))
    flag_ci_conditions(
      data.frame(x = a$x, n = a$n, estimate = r$estimate, lower = r$lower, upper = r$upper,
                 method = m, conf_level = a$conf_level, stringsAsFactors = FALSE), m)
  })
  out <- do.call(rbind, out)
  rownames(out) <- NULL
  out
}
