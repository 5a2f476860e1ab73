# Conditions for intervals that a method cannot give for some elements
# (shared by prop_ci(), diff_ci() and ratio_ci()): an undefined interval
# (NaN limits from the core, e.g. Hauck-Anderson with one subject in a
# group) becomes NA with a classed warning, and a zero-width interval
# (lower == upper, e.g. a Wald interval whose estimated variance is 0
# because every subject in each group has the same outcome) is kept, as
# the closed form gives it, but flagged with a classed warning.

ci_undefined_reason <- c(
  "hauck-anderson" = "Hauck-Anderson divides by n - 1 and needs at least 2 subjects per group"
)

# `d`: the data frame of one method's intervals; `method`: its name.
# Returns `d` with NaN limits replaced by NA.
flag_ci_conditions <- function(d, method) {
  undefined <- is.nan(d$lower) | is.nan(d$upper)
  if (any(undefined)) {
    i <- which(undefined)
    d$lower[i] <- NA_real_
    d$upper[i] <- NA_real_
    reason <- ci_undefined_reason[method]
    if (is.na(reason)) reason <- "the method is not defined for these counts"
    glycotrial_warn(
      c("The {.val {method}} interval is undefined for element{?s} {i}; its limits are NA.",
        "i" = "{reason}. The other elements are unaffected; a score method (e.g. {.val mn} or {.val newcombe}) is defined for every table."),
      class = "glycotrial_warning_undefined_interval")
  }
  degenerate <- !undefined & is.finite(d$lower) & is.finite(d$upper) & d$lower == d$upper
  if (any(degenerate)) {
    i <- which(degenerate)
    glycotrial_warn(
      c("The {.val {method}} interval has zero width for element{?s} {i} (lower = upper).",
        "i" = "A zero-width interval does not express the uncertainty. Wald intervals have zero width when every subject in each group has the same outcome (estimated variance 0); score and exact methods (e.g. {.val wilson}, {.val newcombe}, {.val mn}, {.val score}) do not."),
      class = "glycotrial_warning_degenerate_interval")
  }
  d
}
