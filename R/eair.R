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
  check_count(events, allow_na = TRUE)
  check_number(time_at_risk, lower = 0, open = TRUE, allow_na = TRUE, len = NULL)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  check_number(per, lower = 0, open = TRUE)
  n <- max(length(events), length(time_at_risk))
  if (n > 0 && (n %% length(events) != 0 || n %% length(time_at_risk) != 0)) {
    glycotrial_abort("{.arg events} (length {length(events)}) and {.arg time_at_risk} (length {length(time_at_risk)}) must have the same length or length 1.")
  }
  events <- rep_len(as.numeric(events), n)
  time_at_risk <- rep_len(as.numeric(time_at_risk), n)
  r <- cpp_safety_eair(events, time_at_risk, conf_level, per)
  data.frame(events = events, time_at_risk = time_at_risk, rate = r$rate, lower = r$lower,
             upper = r$upper, conf_level = conf_level)
}

#' @rdname eair
#' @export
eair_diff <- function(events1, time1, events2, time2, conf_level = 0.95, per = 100,
                      method = c("mover", "wald")) {
  method <- check_choice(method[1], c("mover", "wald"), arg = "method")
  check_count(events1)
  check_count(events2)
  check_number(time1, lower = 0, open = TRUE, len = NULL)
  check_number(time2, lower = 0, open = TRUE, len = NULL)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  check_number(per, lower = 0, open = TRUE)
  n <- max(length(events1), length(time1), length(events2), length(time2))
  a <- lapply(list(events1, time1, events2, time2), function(v) rep_len(as.numeric(v), n))
  r <- cpp_safety_rate_diff(a[[1]], a[[2]], a[[3]], a[[4]], conf_level, per, method)
  data.frame(events1 = a[[1]], time1 = a[[2]], events2 = a[[3]], time2 = a[[4]],
             diff = r$diff, lower = r$lower, upper = r$upper, method = method,
             conf_level = conf_level)
}
