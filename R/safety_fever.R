#' Fever after each infusion, from temperature measurements
#'
#' For each infusion in ADEX, the body-temperature measurements (ADVS) taken
#' within `window` after the infusion start are graded with the CTCAE v5.0
#' fever criteria of the lab grading scheme (grade 1: 38.0 to 39.0 °C,
#' grade 2: > 39.0 to 40.0 °C, grade 3: > 40.0 °C; Fahrenheit is converted)
#' and each subject is counted once per infusion at the worst grade. A
#' measurement inside the windows of two infusions belongs to the most recent
#' one, as in [infusion_reactions()].
#'
#' Grade 4 (CTCAE v5.0: > 40.0 °C for > 24 hrs) is derived from the
#' temperature series of each subject and infusion: the measurements in the
#' window are put in time order, and a run is a sequence of consecutive
#' measurements that are all > 40.0 °C (graded 3 by the scheme; Fahrenheit
#' converted). The fever lasted longer than 24 hours when a run's first and
#' last measurement are more than 24 hours apart (strictly: exactly 24 h is
#' grade 3); one measurement of 40.0 °C or below between them (a dip) ends
#' the run, and exactly 40.0 °C is not above 40.0. The span is measured
#' between readings, so it is a lower bound of the fever's duration; only
#' measurements inside the window count. With date-times the span is exact.
#' With dates or study days alone every measurement is placed at the start of
#' its day, so spans are whole days: grade 4 then needs measurements > 40.0 °C
#' on days at least two days apart with none at or below 40.0 °C in between
#' (a fever on two consecutive days only is not derived as grade 4); give the
#' time of day with `vs_clock` (e.g. ADVS `ATM`) and `ex_clock` to measure
#' hours. Grade 5 (death) cannot be derived from temperatures and is not
#' reported.
#'
#' Times are date-times (`POSIXct`, e.g. ADVS `ADTM` and ADEX `ASTDTM`), dates
#' (`Date`) or study days (numbers, e.g. `ADY` and `ASTDY`); both data sets
#' must use the same kind. With
#' dates or study days a window in hours is compared on whole days (day
#' difference x 24). The window is closed: a measurement exactly `window[2]`
#' after the infusion counts.
#'
#' The rows give, per infusion (and for any infusion), the subjects with a
#' temperature measured in the window, with fever (grade >= 1), and by worst
#' grade, as n/N (%) where N is the number of subjects of the arm who received
#' that infusion, with risk differences against the reference arm.
#'
#' @inheritParams infusion_reactions
#' @param advs Vital signs (ADVS): one row per measurement.
#' @param adsl ADSL: one row per subject (arm and safety population).
#' @param ex_number ADEX column with the number of the infusion (1, 2, 3, ...).
#' @param window Two numbers: start and end of the window after each infusion
#'   start, in `unit`.
#' @param unit `"hours"` or `"days"`.
#' @param paramcd `PARAMCD` of body temperature in ADVS.
#' @param vs_time,ex_time Time columns of the measurement (ADVS) and of the
#'   infusion start (ADEX).
#' @param vs_clock,ex_clock Optional time-of-day columns (ADVS `ATM`, ADEX
#'   `ASTTM`) added to dates or study days in `vs_time` / `ex_time`: text
#'   `"HH:MM"` or `"HH:MM:SS"`, or `difftime` / `hms` values. Not with
#'   date-times, and no missing values (impute first).
#' @param param,aval,aval_unit ADVS parameter, value and unit columns (the unit
#'   column may be absent: values are then taken to be in °C).
#' @param scheme Registered lab grading scheme holding the `TEMP` criteria
#'   (see [register_lab_grading()]).
#' @return A `glycotrial_safety` object of class `glycotrial_infusion_fever`;
#'   ARD columns `infusion`, `category`, `arm`, `stat_name`, `stat_label`,
#'   `stat`. `$data$subjects` has one row per subject and infusion with a
#'   measurement in the window: `infusion`, `max_temp` (in the data's unit),
#'   `grade` (worst grade, 4 when derived from the duration),
#'   `fever_hours` (hours from the first to the last measurement of the
#'   longest run of consecutive measurements > 40.0 °C; 0 for a single one,
#'   `NA` when none) and `n_measurements`.
#' @examples
#' adsl <- data.frame(USUBJID = c("S1", "S2"), ARM = c("Active", "Placebo"), SAFFL = "Y")
#' t0 <- as.POSIXct("2024-01-01 08:00", tz = "UTC")
#' adex <- data.frame(USUBJID = rep(c("S1", "S2"), each = 2), EXINFNO = c(1, 2, 1, 2),
#'                    ASTDTM = t0 + c(0, 14, 0, 14) * 86400)
#' advs <- data.frame(USUBJID = c("S1", "S1", "S2"), PARAMCD = "TEMP",
#'                    AVAL = c(38.4, 37.1, 36.9), AVALU = "C",
#'                    ADTM = t0 + c(6, 14 * 24 + 30, 20) * 3600)
#' infusion_fever(advs, adsl, adex)
#' @export
infusion_fever <- function(advs, adsl, adex, window = c(0, 48), unit = c("hours", "days"),
                           paramcd = "TEMP", vars = ae_vars(), vs_time = "ADTM",
                           ex_time = "ASTDTM", vs_clock = NULL, ex_clock = NULL,
                           ex_number = "EXINFNO", param = "PARAMCD",
                           aval = "AVAL", aval_unit = "AVALU", scheme = "ctcae_v5",
                           ref_arm = NULL, conf_level = 0.95, rd_method = "newcombe") {
  call <- sys.call()
  unit <- check_choice(unit[1], c("hours", "days"), arg = "unit")
  check_number(window, len = 2)
  if (window[1] > window[2]) {
    glycotrial_abort("{.arg window} must be increasing, found {window[1]} > {window[2]}.")
  }
  for (nm in c("paramcd", "vs_time", "ex_time", "ex_number", "param", "aval", "aval_unit",
               "scheme")) {
    check_string(get(nm), arg = nm)
  }
  if (!is.null(vs_clock)) check_string(vs_clock)
  if (!is.null(ex_clock)) check_string(ex_clock)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  check_vars(vars, call)
  check_data_frame(advs, c(vars$subject, param, aval, vs_time, vs_clock), arg = "advs")
  check_data_frame(adex, c(vars$subject, ex_time, ex_number, ex_clock), arg = "adex")
  rules <- get_plugin("lab_grading", scheme)$impl$rules
  if (!"TEMP" %in% rules$param) {
    glycotrial_abort("Scheme {.val {scheme}} has no {.val TEMP} (fever) criteria.",
                     call = call)
  }
  pop <- safety_population(adsl, vars, "drop", call, dates = FALSE)
  nS <- nrow(pop)

  # Temperature records of population subjects, graded by the core.
  sel <- which(as.character(advs[[param]]) %in% paramcd)
  if (!length(sel)) {
    glycotrial_abort("{.arg advs} has no records with {.field {param}} == {.val {paramcd}}.",
                     call = call)
  }
  vs_subj <- match_subjects(advs[[vars$subject]], attr(pop, "adsl_ids"), pop$id,
                            data = "advs", call = call)[sel]
  sel <- sel[!is.na(vs_subj)]
  vs_subj <- vs_subj[!is.na(vs_subj)]
  temp <- advs[[aval]][sel]
  if (!is.numeric(temp)) {
    glycotrial_abort("{.arg advs} column {.field {aval}} must be numeric, not {describe_value(temp)}.",
                     call = call)
  }
  tl <- data.frame(PARAMCD = rep(paramcd, length(sel)), AVAL = as.numeric(temp),
                   stringsAsFactors = FALSE)
  if (aval_unit %in% names(advs)) tl$AVALU <- as.character(advs[[aval_unit]][sel])
  grade <- grade_lab(tl, scheme = scheme, paramcd = c(TEMP = paramcd),
                     missing_range = "ignore")$ATOXGRH

  # Times on one scale (hours) for both data sets.
  ex <- prepare_adex(adex, pop, vars, ex_number, call)
  vs_t <- time_in_hours(advs[[vs_time]][sel], vs_time, "advs", call,
                        clock = if (!is.null(vs_clock)) advs[[vs_clock]][sel], clock_col = vs_clock)
  ex_t <- time_in_hours(adex[[ex_time]][ex$rows], ex_time, "adex", call,
                        clock = if (!is.null(ex_clock)) adex[[ex_clock]][ex$rows],
                        clock_col = ex_clock)
  if (length(sel) && length(ex$rows) && !identical(vs_t$kind, ex_t$kind)) {
    glycotrial_abort(c("{.arg advs} column {.field {vs_time}} holds {vs_t$kind} but {.arg adex} column {.field {ex_time}} holds {ex_t$kind}.",
                       "i" = "Use the same kind in both: date-times, dates or study days."),
                     call = call)
  }
  scale <- if (unit == "hours") 1 else 24
  inf_no <- cpp_safety_infusion_window(as.integer(vs_subj), vs_t$hours, as.integer(ex$subj),
                                       ex_t$hours, ex$number, nS, window[1] * scale,
                                       window[2] * scale)
  hit <- which(inf_no > 0 & !is.na(temp))
  K <- ex$K
  s_hit <- vs_subj[hit]
  k_hit <- inf_no[hit]
  g_hit <- grade[hit]
  # CTCAE grade 4: a run of consecutive measurements > 40.0 C (graded 3)
  # whose first and last are more than 24 h apart, per subject and infusion,
  # found by the core; every measurement of such a cell then counts as grade 4.
  cell <- (s_hit - 1L) * K + k_hit
  runs <- cpp_safety_fever_runs(as.integer(cell), vs_t$hours[hit],
                                !is.na(g_hit) & g_hit >= 3L, nS * K, 24)
  g_hit[runs$sustained[cell] == 1L & !is.na(g_hit)] <- 4L
  # Worst grade per subject and infusion, and over any infusion, in one core
  # pass: infusion k counts in row 1 (any) and row k + 1. Grade codes:
  # 0 = not gradable, g + 1 for grade g.
  code <- ifelse(is.na(g_hit), 0L, g_hit + 1L)
  cc <- count_cells(pop, s_hit, k_hit, K, code, 6L,
                    term_rows = lapply(seq_len(K), function(k) c(1L, k + 1L)),
                    n_rows = K + 1L)
  arms <- cc$arms
  A <- length(arms)
  labels <- c("Any infusion", if (K) paste("Infusion", seq_len(K)))
  cats <- c("Temperature measured in window", "Fever (grade >= 1)", "Grade 1", "Grade 2",
            "Grade 3", "Grade 4", "Grade >= 3")
  # worst[row, arm, code + 1]: code 0 = not gradable, g + 1 = grade g.
  n <- array(0, dim = c(length(cats), K + 1L, A))
  for (r in seq_len(K + 1L)) {
    w <- matrix(cc$worst[r, , ], nrow = A)  # arms x 7 codes
    n[1, r, ] <- cc$subjects[r, ]
    n[2, r, ] <- rowSums(w[, 3:7, drop = FALSE])
    n[3, r, ] <- w[, 3]
    n[4, r, ] <- w[, 4]
    n[5, r, ] <- w[, 5]
    n[6, r, ] <- rowSums(w[, 6:7, drop = FALSE])
    n[7, r, ] <- rowSums(w[, 5:7, drop = FALSE])
  }
  n <- matrix(n, ncol = A, dimnames = list(NULL, arms))
  Nm <- ex$N[rep(seq_len(K + 1L), each = length(cats)), , drop = FALSE]
  keys <- data.frame(infusion = rep(labels, each = length(cats)),
                     category = rep(cats, K + 1L), stringsAsFactors = FALSE)
  comparisons <- rd_arms(arms, ref_arm, call)
  ref <- if (length(comparisons)) setdiff(arms, comparisons) else NA_character_
  blk <- incidence_block(keys, n, n, Nm, arms, comparisons, ref, conf_level, rd_method,
                         events = FALSE)
  wide <- blk$wide
  wide$term <- ifelse(keys$category == cats[1], keys$infusion, "")
  wide <- wide[, c("term", "category", setdiff(names(wide), c("infusion", "category", "term")))]

  # Per subject and infusion: maximum temperature, worst grade, measurements.
  maxt <- cpp_safety_group_max(as.integer(cell), as.numeric(temp[hit]), nS * K)
  worst <- cpp_safety_group_max(as.integer(cell), as.numeric(g_hit), nS * K)
  nmeas <- tabulate(cell, nS * K)
  has <- which(nmeas > 0)
  subjects <- data.frame(USUBJID = pop$id[(has - 1L) %/% K + 1L],
                         arm = pop$arm[(has - 1L) %/% K + 1L],
                         infusion = (has - 1L) %% K + 1L, max_temp = maxt[has],
                         grade = as.integer(worst[has]),
                         fever_hours = runs$longest_span[has], n_measurements = nmeas[has],
                         stringsAsFactors = FALSE)
  new_safety_result(
    blk$long, wide,
    sprintf("Fever within %g to %g %s after each infusion (CTCAE v5.0 grade of body temperature)",
            window[1], window[2], unit),
    "glycotrial_infusion_fever",
    meta = list(window = window, unit = unit, ref_arm = ref, scheme = scheme,
                footnote = paste0("n/N (%): N = subjects of the arm who received that infusion; ",
                                  "each subject counted once per infusion at the worst grade; ",
                                  "a measurement in two windows belongs to the most recent infusion. ",
                                  "Grade 4: measurements > 40.0 C without a dip, first to last more than 24 h apart.")),
    data = list(subjects = subjects))
}

# Times as hours: date-times (POSIXct) in hours since the epoch, dates and
# study days in days x 24 (each kind has its own origin, so the caller checks
# that both data sets use the same kind).
time_in_hours <- function(x, col, arg, call, clock = NULL, clock_col = NULL) {
  if (inherits(x, "POSIXt")) {
    if (!is.null(clock_col)) {
      glycotrial_abort(c("{.arg {arg}} column {.field {col}} holds date-times, which already have a time of day.",
                         "i" = "Give a time-of-day column ({.field {clock_col}}) only with dates or study days."),
                       call = call)
    }
    return(list(hours = as.numeric(as.POSIXct(x)) / 3600, kind = "date-times"))
  }
  if ((is.character(x) || is.factor(x)) &&
      !any(grepl("[0-9][T ][0-9]{1,2}:", as.character(x)))) {
    # Text dates (ISO 8601, DATE9) and study days ("Day 3") through the shared
    # readers (R/adam_dates.R); date-times as text are refused below (their
    # time of day must not be dropped).
    x <- if (is_date_like(x)) read_adam_date(x, col, arg, call = call) else
      read_study_day(x, col, arg, call)
  }
  add <- if (is.null(clock_col)) 0 else clock_hours(clock, clock_col, arg, call)
  if (inherits(x, "Date")) {
    return(list(hours = as.numeric(x) * 24 + add, kind = "dates"))
  }
  if (is.numeric(x) && !is.factor(x)) {
    return(list(hours = as.numeric(x) * 24 + add, kind = "study days"))
  }
  glycotrial_abort(c("{.arg {arg}} column {.field {col}} must hold date-times (POSIXct), dates or study days, not {describe_value(x)}.",
                     "i" = "Convert ISO 8601 text with {.fn as.POSIXct} or {.fn as.Date}."),
                   call = call)
}

# Time of day in hours (0 to < 24) from "HH:MM[:SS]" text or difftime / hms
# values; missing or out-of-range values are an error naming the column.
clock_hours <- function(x, col, arg, call) {
  if (inherits(x, "difftime")) {
    h <- as.numeric(x, units = "hours")
  } else if (is.character(x) || is.factor(x)) {
    x <- as.character(x)
    ok <- grepl("^[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]*)?)?$", x)
    parts <- strsplit(ifelse(ok, x, "NA:NA"), ":", fixed = TRUE)
    h <- vapply(parts, function(p) {
      v <- suppressWarnings(as.numeric(p))
      v[1] + v[2] / 60 + (if (length(v) > 2) v[3] / 3600 else 0)
    }, numeric(1))
    mins <- vapply(parts, function(p) suppressWarnings(as.numeric(p[2])), numeric(1))
    h[!ok | is.na(mins) | mins >= 60] <- NA
  } else {
    glycotrial_abort(c("{.arg {arg}} column {.field {col}} must hold times of day as \"HH:MM\" or \"HH:MM:SS\" text or difftime/hms values, not {describe_value(x)}."),
                     call = call)
  }
  bad <- is.na(h) | h < 0 | h >= 24
  if (any(bad)) {
    glycotrial_abort(c("{.arg {arg}} column {.field {col}} has {sum(bad)} missing or invalid time{?s} of day (first: {.val {as.character(x[bad][1])}}).",
                       "i" = "Times of day run from 00:00 to 23:59:59; impute missing times first."),
                     call = call)
  }
  h
}
