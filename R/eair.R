#' Exposure-adjusted incidence rates with exact Poisson confidence intervals
#'
#' `eair()` computes `events / time_at_risk * per` with the exact (Garwood)
#' Poisson interval: lower `qchisq(a/2, 2x) / (2T)`, upper
#' `qchisq(1 - a/2, 2x + 2) / (2T)`, lower 0 when `x = 0` (Ulm 1990). With
#' `time_at_risk` in patient-years and `per = 100` the rate is per 100
#' patient-years. For an incidence rate (EAIR), `events` is the number of
#' subjects with the event and `time_at_risk` runs to each subject's first
#' event; for an event rate (EAER) count every event over total exposure.
#'
#' `eair_diff()` gives the difference of two rates (group 1 minus group 2) with
#' a MOVER interval built on the exact limits (square-and-add; Li, Tang & Wong
#' 2014, Stat Med 33:1637) or a Wald interval.
#'
#' @param events Number of events (or subjects with an event); vectorised.
#' @param time_at_risk Time at risk (e.g. patient-years), positive.
#' @param conf_level Confidence level.
#' @param per Rate multiplier (100 = per 100 units of time).
#' @param events1,time1,events2,time2 Counts and times of the two groups.
#' @param method `"mover"` (default) or `"wald"`.
#' @return A data frame with the inputs and `rate`, `lower`, `upper`
#'   (`eair()`) or `diff`, `lower`, `upper` (`eair_diff()`), plus
#'   `conf_level`.
#' @examples
#' eair(10, 250)      # 4.00 (1.918, 7.356) per 100 patient-years
#' eair(c(0, 10), c(250, 250))
#' eair_diff(10, 250, 4, 240)
#' @export
eair <- function(events, time_at_risk, conf_level = 0.95, per = 100) {
  call <- sys.call()
  check_count(events, allow_na = TRUE, call = call)
  check_event_size(events, "events", call)
  check_number(time_at_risk, lower = 0, open = TRUE, allow_na = TRUE, len = NULL, call = call)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE, call = call)
  check_number(per, lower = 0, open = TRUE, call = call)
  a <- recycle_args(list(events = as.numeric(events), time_at_risk = as.numeric(time_at_risk)),
                    call)
  events <- a$events
  time_at_risk <- a$time_at_risk
  r <- cpp_safety_eair(events, time_at_risk, conf_level, per)
  data.frame(events = events, time_at_risk = time_at_risk, rate = r$rate, lower = r$lower,
             upper = r$upper, conf_level = conf_level)
}

#' @rdname eair
#' @export
eair_diff <- function(events1, time1, events2, time2, conf_level = 0.95, per = 100,
                      method = c("mover", "wald")) {
  call <- sys.call()
  method <- check_choice(method[1], c("mover", "wald"), arg = "method", call = call)
  check_count(events1, call = call)
  check_count(events2, call = call)
  check_event_size(events1, "events1", call)
  check_event_size(events2, "events2", call)
  check_number(time1, lower = 0, open = TRUE, len = NULL, call = call)
  check_number(time2, lower = 0, open = TRUE, len = NULL, call = call)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE, call = call)
  check_number(per, lower = 0, open = TRUE, call = call)
  a <- unname(recycle_args(list(events1 = as.numeric(events1), time1 = as.numeric(time1),
                                events2 = as.numeric(events2), time2 = as.numeric(time2)),
                           call))
  r <- cpp_safety_rate_diff(a[[1]], a[[2]], a[[3]], a[[4]], conf_level, per, method)
  data.frame(events1 = a[[1]], time1 = a[[2]], events2 = a[[3]], time2 = a[[4]],
             diff = r$diff, lower = r$lower, upper = r$upper, method = method,
             conf_level = conf_level)
}

# The exact (chi-square quantile) limits are computed for counts up to 1e10;
# beyond that Boost's quantile does not converge. Such counts are not event
# counts of a trial: refuse them with a classed error rather than an
# internal one.
check_event_size <- function(x, arg, call) {
  big <- which(!is.na(x) & x > 1e10)
  if (length(big)) {
    glycotrial_abort(c("{.arg {arg}} must be at most 1e10 (found {format(x[big[1]])} at position {big[1]}).",
                       "i" = "These are counts of events or of subjects with an event; check that a time or a rate was not passed instead."),
                     call = call)
  }
  invisible(x)
}
