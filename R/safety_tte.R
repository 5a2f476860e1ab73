#' Time to first adverse event (Kaplan-Meier)
#'
#' Time from first dose to the first treatment-emergent event of an AESI
#' group (or of the given preferred terms), censored at the end of the risk
#' window (treatment duration plus the TEAE lag, or the `exposure` column) for
#' subjects without an event. Kaplan-Meier estimates come from
#' [survival::survfit()]; the table gives, at each of `times`, the number at
#' risk and the cumulative incidence (1 - KM) with its confidence interval
#' per arm. `autoplot()` draws the cumulative-incidence curves.
#'
#' @inheritParams ae_special_interest
#' @param aesi Key of one registered AESI group (ignored when `terms` is
#'   given); one of `aesi` and `terms` is required.
#' @param terms Optional preferred terms defining the event.
#' @param times Days at which to tabulate (default: quartiles of follow-up).
#' @return A `glycotrial_safety` object of class `glycotrial_ae_time_to_first`;
#'   the `survfit` object is in `$data$fit`, per-subject times in
#'   `$data$subjects`.
#' @examples
#' adsl <- data.frame(USUBJID = 1:4, ARM = c("A", "A", "B", "B"), SAFFL = "Y",
#'                    TRTSDT = as.Date("2024-01-01"), TRTEDT = as.Date("2024-03-31"))
#' adae <- data.frame(USUBJID = c(1, 3, 4), AEDECOD = "Pyrexia", AEBODSYS = "General",
#'                    TRTEMFL = "Y", ASTDY = c(2, 10, 40))
#' if (requireNamespace("survival", quietly = TRUE))
#'   ae_time_to_first(adae, adsl, aesi = "infusion_reactions", times = c(7, 30, 60))
#' @export
ae_time_to_first <- function(adae, adsl, aesi = NULL, terms = NULL,
                             vars = ae_vars(), teae = teae_window(), exposure = NULL,
                             times = NULL, conf_level = 0.95,
                             unmatched = c("drop", "error")) {
  call <- sys.call()
  if (!requireNamespace("survival", quietly = TRUE)) {
    glycotrial_abort("{.fn ae_time_to_first} needs the {.pkg survival} package.")
  }
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  if (!is.null(times)) check_number(times, lower = 0, len = NULL)
  d <- prepare_ae(adae, adsl, vars, teae, unmatched, call = call, need = "onset_day")
  ae <- d$ae
  if (is.null(terms)) {
    if (is.null(aesi)) {
      glycotrial_abort("Name the event: give {.arg aesi} (a registered AESI group) or {.arg terms}.")
    }
    check_string(aesi)
    member <- aesi_membership(ae, vars, aesi)[, 1]
    label <- aesi
  } else {
    if (!is.character(terms) || !length(terms)) {
      glycotrial_abort("{.arg terms} must be a non-empty character vector, not {describe_value(terms)}.")
    }
    member <- toupper(trimws(as.character(ae[[vars$pt]]))) %in% toupper(terms)
    label <- paste(terms, collapse = ", ")
  }
  window <- risk_window_days(adsl, d$pop, vars, exposure, teae$lag, call)
  if (all(is.na(window))) {
    glycotrial_abort("No risk window: {.arg adsl} lacks {.field {c(vars$trt_start, vars$trt_end)}} and no {.arg exposure} column was given.")
  }
  onset <- d$onset[member]
  first <- cpp_safety_group_subject_min(as.integer(d$subj[member]),
                                        rep(1L, sum(member)), onset, nrow(d$pop), 1L)
  event <- !is.na(first)
  time <- ifelse(event, pmax(first, 1), window)
  keep <- !is.na(time)
  subjects <- data.frame(USUBJID = d$pop$id, arm = d$pop$arm, time = time, event = event)[keep, ]
  fit <- survival::survfit(survival::Surv(time, event) ~ arm, data = subjects,
                           conf.int = conf_level)
  if (is.null(times)) times <- unique(round(stats::quantile(subjects$time, c(0.25, 0.5, 0.75, 1))))
  s <- summary(fit, times = times, extend = TRUE)
  strata <- sub("^arm=", "", as.character(s$strata))
  tab <- data.frame(arm = factor(strata, levels = levels(d$pop$arm)), time = s$time,
                    n_risk = s$n.risk, n_event = s$n.event, cum_inc = 100 * (1 - s$surv),
                    cum_inc_lower = 100 * (1 - s$upper), cum_inc_upper = 100 * (1 - s$lower))
  long <- ard_long(tab, c("arm", "time"),
                   c("n_risk", "n_event", "cum_inc", "cum_inc_lower", "cum_inc_upper"),
                   c("Number at risk", "Events in interval", "Cumulative incidence (%)",
                     "Lower limit (%)", "Upper limit (%)"))
  wide <- data.frame(arm = tab$arm, day = tab$time, at_risk = tab$n_risk,
                     cumulative_incidence = fmt_est_ci(tab$cum_inc, tab$cum_inc_lower,
                                                       tab$cum_inc_upper))
  new_safety_result(long, wide, sprintf("Time to first event: %s (Kaplan-Meier)", label),
                    "glycotrial_ae_time_to_first",
                    meta = list(label = label, conf_level = conf_level,
                                footnote = "Cumulative incidence = 1 - Kaplan-Meier estimate (%), with CI; time in days from first dose."),
                    data = list(fit = fit, subjects = subjects))
}
