# Intercurrent events as data (issue 20, item 1): the per-subject `data_ice`
# table of mi_reference_based() built from ADaM (rescue medication records,
# treatment or study discontinuation in ADSL), the visit schedule that maps
# an event's study day to the first scheduled visit it affects, and the
# on-/off-treatment status of every record for retrieved-dropout models.

#' Visit schedule for mapping intercurrent events to visits
#'
#' The scheduled post-baseline visits of one parameter with their target
#' study day: the median analysis day (`ADY`) of the records at that visit.
#' An event on study day `d` affects the first scheduled visit whose target
#' day is after `d` and every later visit ([mi_ice_visit()]).
#'
#' @param adlb An ADaM BDS data set with `AVISIT`, `AVISITN` and the day column.
#' @param paramcd Optional `PARAMCD` whose visits are used (default: all records).
#' @param day Name of the study-day column (default `"ADY"`).
#' @return A data frame with `AVISIT`, `AVISITN` and `day`, one row per
#'   post-baseline visit (`AVISITN > 0`), in visit order.
#' @examples
#' mi_ice_schedule(adlb, paramcd = "HBA1C")
#' @export
mi_ice_schedule <- function(adlb, paramcd = NULL, day = "ADY") {
  check_data_frame(adlb, cols = c("AVISIT", "AVISITN", day))
  d <- adlb
  if (!is.null(paramcd)) {
    check_data_frame(adlb, cols = "PARAMCD")
    d <- d[d$PARAMCD %in% paramcd, , drop = FALSE]
    if (!nrow(d)) {
      glycotrial_abort("{.arg adlb} has no records with PARAMCD {.val {paramcd}}.",
                       class = c("input", "glycotrial_error_mi_ice_schedule"))
    }
  }
  dy <- read_study_day(d[[day]], day, "adlb")
  keep <- !is.na(d$AVISITN) & d$AVISITN > 0 & !is.na(dy)
  if (!any(keep)) {
    glycotrial_abort("{.arg adlb} has no post-baseline records (AVISITN > 0) with a study day {.field {day}}.",
                     class = c("input", "glycotrial_error_mi_ice_schedule"))
  }
  vn <- sort(unique(d$AVISITN[keep]))
  out <- data.frame(AVISIT = as.character(d$AVISIT[keep][match(vn, d$AVISITN[keep])]),
                    AVISITN = vn,
                    day = vapply(vn, function(v) stats::median(dy[keep & d$AVISITN == v]), numeric(1)),
                    stringsAsFactors = FALSE)
  if (is.unsorted(out$day, strictly = TRUE)) {
    glycotrial_abort("The target days of the visits ({.val {out$day}}) do not increase with AVISITN; check {.field {day}}.",
                     class = c("input", "glycotrial_error_mi_ice_schedule"))
  }
  out
}

#' First scheduled visit affected by an intercurrent event
#'
#' @param day Study day of the event (numeric; `NA` = no event).
#' @param schedule A schedule from [mi_ice_schedule()] (or any data frame with
#'   `AVISIT` and `day`, in visit order).
#' @return The `AVISIT` of the first visit whose target day is after `day`;
#'   `NA` when the event is after the last visit (it affects no visit) or
#'   `day` is `NA`.
#' @examples
#' s <- data.frame(AVISIT = c("Week 4", "Week 8"), day = c(29, 57))
#' mi_ice_visit(c(1, 29, 30, 90), s)
#' @export
mi_ice_visit <- function(day, schedule) {
  check_data_frame(schedule, cols = c("AVISIT", "day"))
  if (!is.numeric(day)) glycotrial_abort("{.arg day} must be numeric study days, not {describe_value(day)}.")
  i <- findInterval(day, schedule$day) + 1L  # first visit with target day > day
  i[is.na(day) | i > nrow(schedule)] <- NA_integer_
  as.character(schedule$AVISIT)[i]
}

# Study day of an event from a day column or from a date and the first dose.
mi_ice_day <- function(d, day, date, start, data_name, call) {
  if (!is.null(day) && day %in% names(d)) return(read_study_day(d[[day]], day, data_name, call = call))
  if (is.null(date) || !date %in% names(d) || is.null(start)) {
    glycotrial_abort("{.arg {data_name}} needs a study-day column {.field {day %||% '(none)'}} or a date column {.field {date %||% '(none)'}} with the first-dose date.",
                     class = c("input", "glycotrial_error_mi_ice_day"), call = call)
  }
  dt <- read_adam_date(d[[date]], date, data_name, call = call)
  study_day_from_dates(dt, start)
}

# Assembles a data_ice table; events after the last visit affect no visit.
mi_ice_table <- function(subject, subj, day, event, strategy, reason, schedule, call) {
  visit <- mi_ice_visit(day, schedule)
  late <- !is.na(day) & is.na(visit)
  if (any(late)) {
    glycotrial_inform("{sum(late)} intercurrent event{?s} after the last scheduled visit ({.val {unique(subj[late])}}) affect{?s/} no visit and {?is/are} left out.",
                      class = "glycotrial_message_mi_ice_after_last_visit")
  }
  keep <- !is.na(visit)
  out <- data.frame(subj[keep], visit[keep], strategy[keep], event, day[keep], reason[keep],
                    stringsAsFactors = FALSE)
  names(out) <- c(subject, "AVISIT", "strategy", "event", "day", "reason")
  out <- out[order(out[[subject]], out$day), , drop = FALSE]
  out <- out[!duplicated(out[[subject]]), , drop = FALSE]  # the first event per subject
  rownames(out) <- NULL
  out
}

mi_ice_check_strategy <- function(strategy, call) {
  keys <- mi_strategy_keys()
  bad <- setdiff(strategy, keys)
  if (!is.character(strategy) || !length(strategy) || length(bad)) {
    glycotrial_abort("{.arg strategy} must be one of {.val {keys}}; found {.val {bad}}.",
                     class = c("input", "glycotrial_error_mi_strategy"), call = call)
  }
}

#' Intercurrent events from treatment or study discontinuation (ADSL)
#'
#' One row per subject who discontinued, with the first scheduled visit
#' after the discontinuation day (see [mi_ice_visit()]) and the strategy for
#' that event.
#'
#' @param adsl ADSL with `USUBJID`, the reason column, the date column and
#'   the first-dose date `TRTSDT`.
#' @param schedule Visit schedule from [mi_ice_schedule()].
#' @param reason Reason column: `"DCTREAS"` (treatment discontinuation) or
#'   `"DCSREAS"` (study discontinuation). Default: the first of these present.
#' @param date Date of the event: default `TRTEDT` for `DCTREAS` and `EOSDT`
#'   for `DCSREAS`.
#' @param strategy The strategy (`"MAR"`, `"JR"`, `"CR"`, `"CIR"`, `"LMCF"` or
#'   one registered with [register_mi_strategy()]),
#'   or a vector named by reason (upper case as in the data) with an optional
#'   element `.default` for the other reasons, e.g.
#'   `c("ADVERSE EVENT" = "JR", "LACK OF EFFICACY" = "JR", .default = "MAR")`.
#' @param start First-dose date column of `adsl` (study day 1).
#' @param subject Subject column.
#' @return A `data_ice` data frame: the subject column, `AVISIT`, `strategy`,
#'   `event` (`"discontinuation"`), `day` and `reason`. Reasons that are blank,
#'   `NA` or `COMPLETED` are no event.
#' @examples
#' s <- mi_ice_schedule(adlb, "HBA1C")
#' mi_ice_from_discontinuation(adsl, s, strategy = "JR")
#' @export
mi_ice_from_discontinuation <- function(adsl, schedule, reason = NULL, date = NULL,
                                        strategy = "JR", start = "TRTSDT", subject = "USUBJID") {
  call <- sys.call()
  reason <- reason %||% intersect(c("DCTREAS", "DCSREAS"), names(adsl))[1]
  if (is.na(reason)) {
    glycotrial_abort("{.arg adsl} has neither {.field DCTREAS} nor {.field DCSREAS}; name the reason column with {.arg reason}.",
                     class = c("input", "glycotrial_error_mi_ice_column"), call = call)
  }
  date <- date %||% if (reason == "DCSREAS") "EOSDT" else "TRTEDT"
  check_data_frame(adsl, cols = c(subject, reason, date, start), arg = "adsl", call = call)
  why <- toupper(trimws(as.character(adsl[[reason]])))
  ev <- !is.na(why) & nzchar(why) & why != "COMPLETED"
  st <- mi_ice_reason_strategy(strategy, why[ev], call)
  first <- read_adam_date(adsl[[start]][ev], start, "adsl", call = call)
  d <- adsl[ev, , drop = FALSE]
  day <- mi_ice_day(d, NULL, date, first, "adsl", call)
  if (anyNA(day)) {
    glycotrial_abort("Subject {.val {as.character(d[[subject]][is.na(day)][1])}} discontinued ({.field {reason}}) without a date in {.field {date}} or {.field {start}}.",
                     class = c("input", "glycotrial_error_mi_ice_day"), call = call)
  }
  mi_ice_table(subject, as.character(d[[subject]]), day, "discontinuation", st, why[ev], schedule, call)
}

mi_ice_reason_strategy <- function(strategy, why, call) {
  if (is.null(names(strategy))) {
    if (length(strategy) != 1L) {
      glycotrial_abort("{.arg strategy} must be one strategy or a vector named by reason.",
                       class = c("input", "glycotrial_error_mi_strategy"), call = call)
    }
    mi_ice_check_strategy(strategy, call)
    return(rep(strategy, length(why)))
  }
  mi_ice_check_strategy(unname(strategy), call)
  st <- unname(strategy[match(why, toupper(names(strategy)))])
  miss <- is.na(st)
  if (any(miss) && !".default" %in% names(strategy)) {
    glycotrial_abort(c("No strategy for the discontinuation reason{?s} {.val {unique(why[miss])}}.",
                       "i" = "Add them to {.arg strategy} or give a {.code .default} element."),
                     class = c("input", "glycotrial_error_mi_strategy"), call = call)
  }
  st[miss] <- strategy[[".default"]]
  st
}

#' Intercurrent events from rescue-medication records (ADCM, ADEX)
#'
#' The first rescue record of each subject is its event; the first
#' scheduled visit after its start day is the first visit affected.
#'
#' @param records ADCM or ADEX records.
#' @param schedule Visit schedule from [mi_ice_schedule()].
#' @param flag Column flagging rescue records with `"Y"` (e.g. `"RESCUEFL"`,
#'   or a sponsor's `CMCAT`-derived flag); `NULL`: every record is rescue.
#' @param day Study-day column of the start (default `"ASTDY"`); when absent,
#'   `date` and `adsl` give it.
#' @param date Start-date column used when `day` is absent (default `"ASTDT"`).
#' @param adsl ADSL with the first-dose date `TRTSDT`, needed only with `date`.
#' @param strategy Strategy for rescue (default `"JR"`).
#' @param subject Subject column.
#' @return A `data_ice` data frame as [mi_ice_from_discontinuation()], with
#'   `event` `"rescue"`.
#' @examples
#' cm <- data.frame(USUBJID = c("A", "A", "B"), RESCUEFL = c("Y", "Y", "N"),
#'                  ASTDY = c(40, 20, 10))
#' s <- data.frame(AVISIT = c("Week 4", "Week 8", "Week 12"), day = c(29, 57, 85))
#' mi_ice_from_rescue(cm, s)
#' @export
mi_ice_from_rescue <- function(records, schedule, flag = "RESCUEFL", day = "ASTDY",
                               date = "ASTDT", adsl = NULL, strategy = "JR",
                               subject = "USUBJID") {
  call <- sys.call()
  check_data_frame(records, cols = c(subject, flag), arg = "records", call = call)
  mi_ice_check_strategy(strategy, call)
  if (length(strategy) != 1L) glycotrial_abort("{.arg strategy} must be one strategy.", call = call)
  d <- records
  if (!is.null(flag)) d <- d[toupper(trimws(as.character(d[[flag]]))) %in% "Y", , drop = FALSE]
  start <- NULL
  if (!day %in% names(d) && !is.null(adsl)) {
    check_data_frame(adsl, cols = c(subject, "TRTSDT"), arg = "adsl", call = call)
    start <- read_adam_date(adsl$TRTSDT, "TRTSDT", "adsl",
                            call = call)[match(d[[subject]], adsl[[subject]])]
  }
  dy <- mi_ice_day(d, day, date, start, "records", call)
  if (anyNA(dy)) {
    glycotrial_abort("Rescue record of subject {.val {as.character(d[[subject]][is.na(dy)][1])}} has no start day.",
                     class = c("input", "glycotrial_error_mi_ice_day"), call = call)
  }
  mi_ice_table(subject, as.character(d[[subject]]), dy, "rescue", rep(strategy, nrow(d)),
               rep("RESCUE MEDICATION", nrow(d)), schedule, call)
}

#' Combine intercurrent-event tables: the first event per subject
#'
#' rbmi (and [mi_reference_based()]) take one event per subject: the first
#' one handled by its strategy. Tables from [mi_ice_from_rescue()] and
#' [mi_ice_from_discontinuation()] are stacked and, per subject, the event
#' with the earliest day is kept (ties: the table given first).
#'
#' @param ... `data_ice` tables with the same columns.
#' @return One `data_ice` table.
#' @examples
#' s <- data.frame(AVISIT = c("Week 4", "Week 8"), day = c(29, 57))
#' a <- mi_ice_from_rescue(data.frame(USUBJID = "A", RESCUEFL = "Y", ASTDY = 40), s)
#' b <- mi_ice_from_rescue(data.frame(USUBJID = "A", RESCUEFL = "Y", ASTDY = 10), s,
#'                         strategy = "CR")
#' mi_ice_combine(a, b)
#' @export
mi_ice_combine <- function(...) {
  parts <- list(...)
  for (p in parts) check_data_frame(p, cols = c("AVISIT", "strategy", "day"), arg = "...")
  all <- do.call(rbind, parts)
  sid <- names(all)[1]
  all <- all[order(all[[sid]], all$day, rep(seq_along(parts), vapply(parts, nrow, 1L))), , drop = FALSE]
  out <- all[!duplicated(all[[sid]]), , drop = FALSE]
  rownames(out) <- NULL
  out
}

#' On- and off-treatment status of every record (retrieved dropout)
#'
#' Marks each subject-visit at or after the subject's first visit affected by
#' an event of `data_ice` as off treatment: `OFFTRT` (0/1) and `TSD`, the
#' number of scheduled visits since the first off-treatment visit plus one
#' (0 while on treatment), the covariates of retrieved-dropout models
#' ([mi_retrieved_dropout()]).
#'
#' @param data Longitudinal data, one row per subject and visit.
#' @param data_ice An intercurrent-event table (the subject column, `AVISIT`).
#' @param subject,visit Subject and visit columns of `data`; `data[[visit]]`
#'   must be a factor whose levels are the visits in time order.
#' @return `data` with columns `OFFTRT` and `TSD`.
#' @examples
#' d <- mi_example_data(n = 8, seed = 3)
#' head(mi_ice_treatment_status(d, attr(d, "data_ice"), "USUBJID", "AVISIT"), 8)
#' @export
mi_ice_treatment_status <- function(data, data_ice, subject = "USUBJID", visit = "AVISIT") {
  check_data_frame(data, cols = c(subject, visit))
  check_data_frame(data_ice, cols = c(subject, visit))
  if (!is.factor(data[[visit]])) {
    glycotrial_abort("{.code data${visit}} must be a factor whose levels are the visits in time order.")
  }
  chk <- mi_check_ice(cbind(data_ice[, c(subject, visit)], strategy = "MAR"),
                      list(subjid = subject, visit = visit, strategy = "strategy"),
                      unique(as.character(data[[subject]])), levels(data[[visit]]))
  first <- chk$visit_index[match(as.character(data[[subject]]), chk$subject)]
  vi <- as.integer(data[[visit]])
  off <- !is.na(first) & vi >= first
  data$OFFTRT <- as.numeric(off)
  data$TSD <- ifelse(off, vi - first + 1, 0)
  data
}
