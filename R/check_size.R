# Upper bounds on sizes that decide how much memory or time a call takes
# (without them simulate_trial(n = 2^31), power_trial(nsim = 2^31) and
# joint_bootstrap(n_boot = 1e12) overflowed integers or tried to allocate
# many GB). A size beyond the bound is a classed error that names the bound.

# x: a whole number (or vector of them), already checked by check_count().
check_size <- function(x, max, arg = deparse(substitute(x)), what = "units",
                       call = sys.call(-1)) {
  big <- x[!is.na(x) & x > max]
  if (length(big)) {
    glycotrial_abort(c(
      "{.arg {arg}} = {format(big[1], big.mark = ',', scientific = FALSE)} exceeds the supported maximum of {format(max, big.mark = ',', scientific = FALSE)} {what}.",
      "i" = "Use a smaller {.arg {arg}} (or split the work over several calls)."),
      class = c("input", "glycotrial_error_resources"), call = call)
  }
  invisible(x)
}
