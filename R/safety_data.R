# Input handling shared by the adverse-event summaries: column names with
# ADaM defaults, the analysis population, treatment-emergence and the
# normalisation of severity, grade and relatedness values.

#' Column names and codings of ADSL and ADAE for the safety summaries
#'
#' Every column the adverse-event functions read is named here, with the
#' ADaM default. Pass the result as `vars` to [ae_overview()], [ae_by_term()],
#' [ae_special_interest()], [infusion_reactions()] or [ae_time_to_first()].
#'
#' @param subject Subject identifier (ADSL and ADAE).
#' @param arm Treatment arm in ADSL (a factor keeps its level order, including
#'   arms without subjects).
#' @param pop_flag Population flag in ADSL, or `NULL` to use every ADSL
#'   subject. Y/N, Yes/No, TRUE/FALSE and 1/0 are accepted in any case; other
#'   values are a classed error.
#' @param soc,pt System organ class and preferred term in ADAE.
#' @param severity Severity (`MILD`, `MODERATE`, `SEVERE`).
#' @param grade CTCAE grade (`"1"` to `"5"`).
#' @param related Relatedness; values are classified with `related_values` and
#'   `unrelated_values` (anything else is an error).
#' @param serious Serious flag (`"Y"`/`"N"`).
#' @param teae_flag Treatment-emergent flag (`"Y"`/`"N"`).
#' @param onset_day Study day of onset (day 1 = first dose): numbers, a
#'   factor (read by its labels) or text such as `"Day -20"`; or a date column
#'   (e.g. `"ASTDT"`: `Date`, ISO 8601 or DATE9 text), turned into the study
#'   day against `trt_start`.
#' @param action Action taken with study treatment.
#' @param outcome Outcome.
#' @param trt_start,trt_end First and last treatment dates in ADSL: `Date`,
#'   `POSIXct`, ISO 8601 text (full or partial), SAS DATE9 text
#'   (`"01JAN2024"`), or numbers with `numeric_dates`. Ambiguous text such as
#'   `"01/02/2024"` is refused.
#' @param discontinuation_reason ADSL columns, tried in turn, with the reason
#'   for discontinuing treatment or study (`DCSREAS`, `DCDECOD`, `DCREASCD`).
#'   Used for "TEAE leading to discontinuation" when ADAE's `action` column is
#'   absent or blank.
#' @param discontinuation_reason_values Values of the reason meaning an
#'   adverse event (compared case-insensitively).
#' @param numeric_dates Origin of numeric date columns: `"none"` (refuse
#'   them; default), `"sas"` (days since 1960-01-01) or `"r"` (days since
#'   1970-01-01).
#' @param related_values,unrelated_values Values of `related` meaning related
#'   and not related.
#' @param discontinuation_values Values of `action` meaning the treatment was
#'   withdrawn.
#' @param fatal_values Values of `outcome` meaning death.
#' @return A named list of class `glycotrial_ae_vars`.
#' @examples
#' ae_vars(arm = "TRT01A", related_values = c("POSSIBLE", "PROBABLE"),
#'         unrelated_values = c("NONE", "REMOTE"))
#' @export
ae_vars <- function(subject = "USUBJID", arm = "ARM", pop_flag = "SAFFL",
                    soc = "AEBODSYS", pt = "AEDECOD", severity = "AESEV",
                    grade = "AETOXGR", related = "AEREL", serious = "AESER",
                    teae_flag = "TRTEMFL", onset_day = "ASTDY", action = "AEACN",
                    outcome = "AEOUT", trt_start = "TRTSDT", trt_end = "TRTEDT",
                    related_values = c("Y", "RELATED"),
                    unrelated_values = c("N", "NOT RELATED"),
                    discontinuation_values = "DRUG WITHDRAWN",
                    fatal_values = "FATAL",
                    discontinuation_reason = c("DCSREAS", "DCDECOD", "DCREASCD"),
                    discontinuation_reason_values = "ADVERSE EVENT",
                    numeric_dates = c("none", "sas", "r")) {
  cols <- list(subject = subject, arm = arm, soc = soc, pt = pt, severity = severity,
               grade = grade, related = related, serious = serious, teae_flag = teae_flag,
               onset_day = onset_day, action = action, outcome = outcome,
               trt_start = trt_start, trt_end = trt_end)
  for (nm in names(cols)) check_string(cols[[nm]], arg = nm)
  if (!is.null(pop_flag)) check_string(pop_flag)
  numeric_dates <- check_choice(numeric_dates[1], c("none", "sas", "r"), arg = "numeric_dates")
  for (v in c("related_values", "unrelated_values", "discontinuation_values", "fatal_values",
              "discontinuation_reason", "discontinuation_reason_values")) {
    val <- get(v)
    if (!is.character(val)) {
      glycotrial_abort("{.arg {v}} must be a character vector, not {describe_value(val)}.")
    }
  }
  structure(c(cols, list(pop_flag = pop_flag, related_values = related_values,
                         unrelated_values = unrelated_values,
                         discontinuation_values = discontinuation_values,
                         fatal_values = fatal_values,
                         discontinuation_reason = discontinuation_reason,
                         discontinuation_reason_values = discontinuation_reason_values,
                         numeric_dates = numeric_dates)),
            class = "glycotrial_ae_vars")
}

#' Treatment-emergence rule
#'
#' @param method `"auto"` uses the ADAE flag (`vars$teae_flag`) when the column
#'   exists and the onset window otherwise; `"flag"` requires the flag;
#'   `"window"` derives emergence from the onset day: onset on or after day 1
#'   and no later than the last treatment day plus `lag` days; `"none"` keeps
#'   every record.
#' @param lag Days after the last dose that still count as on treatment.
#' @param missing_onset What to do with a missing onset day (window method) or a
#'   missing flag: `"teae"` (default, conservative) counts the event as
#'   treatment-emergent, `"exclude"` drops it.
#' @return A list of class `glycotrial_teae`.
#' @examples
#' teae_window("window", lag = 14)
#' @export
teae_window <- function(method = c("auto", "flag", "window", "none"), lag = 30,
                        missing_onset = c("teae", "exclude")) {
  method <- check_choice(method[1], c("auto", "flag", "window", "none"), arg = "method")
  check_number(lag, lower = 0)
  missing_onset <- check_choice(missing_onset[1], c("teae", "exclude"), arg = "missing_onset")
  structure(list(method = method, lag = lag, missing_onset = missing_onset),
            class = "glycotrial_teae")
}

check_vars <- function(vars, call = sys.call(-1)) {
  if (!inherits(vars, "glycotrial_ae_vars")) {
    glycotrial_abort("{.arg vars} must come from {.fn ae_vars}, not {describe_value(vars)}.",
                     call = call)
  }
  vars
}

# The analysis population (subject_population(): population flag, missing
# arms and identifiers handled by the one rule of R/subject_keys.R): one row
# per subject with arm (factor), first-dose date and treatment duration in
# days. `dates = FALSE` skips the treatment dates (lab summaries do not use
# them). The identifiers of every ADSL row are kept as attribute "adsl_ids"
# for match_subjects().
safety_population <- function(adsl, vars, unmatched = "drop", call = sys.call(-1),
                              dates = TRUE) {
  pop <- subject_population(adsl, vars$subject, vars$arm, vars$pop_flag,
                            unmatched = unmatched, data = "adsl", call = call)
  pop$trt_start <- rep(as.Date(NA), nrow(pop))
  pop$trt_days <- rep(NA_real_, nrow(pop))
  has_start <- !is.null(vars$trt_start) && vars$trt_start %in% names(adsl)
  has_end <- !is.null(vars$trt_end) && vars$trt_end %in% names(adsl)
  nd <- if (is.null(vars$numeric_dates)) "none" else vars$numeric_dates
  if (dates && has_start) {
    pop$trt_start <- read_adam_date(adsl[[vars$trt_start]][pop$row], vars$trt_start, "adsl",
                                    numeric_dates = nd, partial = "first", call = call)
  }
  if (dates && has_start && has_end) {
    end <- read_adam_date(adsl[[vars$trt_end]][pop$row], vars$trt_end, "adsl",
                          numeric_dates = nd, partial = "last", call = call)
    dur <- as.numeric(end - pop$trt_start) + 1
    bad <- !is.na(dur) & dur < 1
    if (any(bad)) {
      glycotrial_abort(c("{.arg adsl}: treatment ends before it starts ({.field {vars$trt_end}} < {.field {vars$trt_start}}) for {sum(bad)} subject{?s}: {.val {utils::head(pop$id[bad], 5)}}.",
                         "i" = "Correct the treatment dates; the onset window would be impossible."),
                       class = c("input", "glycotrial_error_date_window"), call = call)
    }
    pop$trt_days <- dur
  }
  attr(pop, "has_window") <- dates && has_start && has_end
  attr(pop, "adsl_ids") <- as.character(adsl[[vars$subject]])
  rownames(pop) <- NULL
  pop
}

# Onset study days of ADAE rows `rows` (population subjects `subj`): a
# study-day column as it is (factor labels, "Day -20" read by
# read_study_day()), a date column (Date, ISO 8601, DATE9) converted to the
# study day against the first-dose date. NULL when the column is absent.
ae_onset_days <- function(adae, rows, subj, pop, vars, call) {
  col <- vars$onset_day
  if (!col %in% names(adae)) return(NULL)
  raw <- adae[[col]]
  if (!is_date_like(raw)) return(read_study_day(raw, col, "adae", call)[rows])
  nd <- if (is.null(vars$numeric_dates)) "none" else vars$numeric_dates
  date <- read_adam_date(raw, col, "adae", numeric_dates = nd, partial = "first",
                         call = call)[rows]
  if (all(is.na(pop$trt_start))) {
    glycotrial_abort(c("{.arg adae} column {.field {col}} holds dates, but {.arg adsl} has no first-dose date {.field {vars$trt_start}} to turn them into study days.",
                       "i" = "Add {.field {vars$trt_start}} to {.arg adsl}, or name a study-day column with {.code ae_vars(onset_day = )}."),
                     class = c("input", "glycotrial_error_date_window"), call = call)
  }
  study_day_from_dates(date, pop$trt_start[subj])
}

# Integer codes (1-based) and distinct values of a vector, in one pass for
# character vectors (C++ glue) and from the codes for factors. Levels are
# returned as character, are unique and all occur; with `missing`, NA and ""
# become that label.
encode_values <- function(x, missing = NULL) {
  if (is.factor(x)) {
    code <- as.integer(x)
    lv <- levels(x)
    if (anyNA(code)) {
      lv <- c(lv, NA_character_)
      code[is.na(code)] <- length(lv)
    }
    # Only the values that occur, as for character vectors.
    used <- tabulate(code, length(lv)) > 0
    if (!all(used)) {
      code <- cumsum(used)[code]
      lv <- lv[used]
    }
  } else if (is.character(x)) {
    e <- cpp_safety_encode(x)
    code <- e$code
    lv <- e$levels
  } else {
    u <- unique(x)
    code <- match(x, u)
    lv <- as.character(u)
  }
  if (!is.null(missing)) lv[is.na(lv) | lv == ""] <- missing
  # Equal values (different string encodings, or several missing spellings)
  # share one code.
  u <- unique(lv)
  if (length(u) < length(lv)) {
    code <- match(lv, u)[code]
    lv <- u
  }
  list(code = code, levels = lv)
}

# Rows `rows` of columns `cols` as a data frame with compact row names: no
# row-name bookkeeping, which dominates `[.data.frame` on millions of rows.
df_rows <- function(df, cols, rows) {
  n <- length(rows)
  # All rows in order (the usual case: every record of a population
  # subject): the columns themselves, not copies.
  all_rows <- n == nrow(df) && (n == 0 || (rows[1] == 1 && rows[n] == n &&
                                            !is.unsorted(rows, strictly = TRUE)))
  out <- lapply(cols, function(col) if (all_rows) df[[col]] else df[[col]][rows])
  names(out) <- cols
  structure(out, class = "data.frame", row.names = .set_row_names(length(rows)))
}

# Treatment-emergent, population-matched AE records with normalised columns.
# Returns list(pop = population, ae = events, subj = population row of each
# event, onset = onset study day of each event (NULL without an onset
# column), teae_method).
prepare_ae <- function(adae, adsl, vars, teae, unmatched, call = sys.call(-1),
                       need = character(), copy = NULL) {
  check_vars(vars, call)
  if (!inherits(teae, "glycotrial_teae")) {
    glycotrial_abort("{.arg teae} must come from {.fn teae_window}, not {describe_value(teae)}.",
                     call = call)
  }
  unmatched <- check_unmatched(unmatched, call = call)
  pop <- safety_population(adsl, vars, unmatched, call)
  check_data_frame(adae, c(vars$subject, vars$soc, vars$pt, unlist(vars[need])),
                   arg = "adae", call = call)
  check_atomic_columns(adae, unlist(vars[c("subject", "soc", "pt", "severity", "grade",
                                           "related", "serious", "teae_flag", "action",
                                           "outcome")]), "adae", call)
  subj <- match_subjects(adae[[vars$subject]], attr(pop, "adsl_ids"), pop$id,
                         unmatched = unmatched, data = "adae", call = call)
  rows <- which(!is.na(subj))
  subj <- subj[rows]

  # Treatment emergence.
  method <- teae$method
  if (method == "auto") method <- if (vars$teae_flag %in% names(adae)) "flag" else "window"
  onset <- ae_onset_days(adae, rows, subj, pop, vars, call)
  keep <- NULL
  if (method == "flag") {
    check_data_frame(adae, vars$teae_flag, arg = "adae", call = call)
    fl <- read_adam_flag(adae[[vars$teae_flag]], vars$teae_flag, "adae", call)[rows]
    keep <- (!is.na(fl) & fl) | (is.na(fl) & teae$missing_onset == "teae")
  } else if (method == "window") {
    check_data_frame(adae, vars$onset_day, arg = "adae", call = call)
    if (!isTRUE(attr(pop, "has_window"))) {
      glycotrial_abort(c("The treatment-emergence window needs the treatment dates {.field {c(vars$trt_start, vars$trt_end)}} in {.arg adsl}; without them the window would have no end.",
                         "i" = "Add them to {.arg adsl}, name them with {.code ae_vars(trt_start = , trt_end = )}, or use the ADAE flag ({.code teae_window(\"flag\")})."),
                       class = c("input", "glycotrial_error_date_window"), call = call)
    }
    open <- is.na(pop$trt_days)
    if (any(open)) {
      glycotrial_inform(c("{sum(open)} subject{?s} without a last treatment date ({.field {vars$trt_end}}): their onset window has no end.",
                          "i" = "Subjects still on treatment at the data cut-off: {.val {utils::head(pop$id[open], 5)}}."),
                        class = "glycotrial_message_open_window")
    }
    keep <- cpp_safety_teae(as.numeric(onset), pop$trt_days[subj], teae$lag,
                            teae$missing_onset == "teae")
  }
  if (!is.null(keep)) {
    rows <- rows[keep]
    subj <- subj[keep]
    if (!is.null(onset)) onset <- onset[keep]
  }
  # Copy only the columns the summaries read (ADAE may have many more; `copy`
  # names the `vars` entries a caller needs when it needs fewer).
  wanted <- if (is.null(copy)) vars[vapply(vars, is.character, logical(1))] else vars[copy]
  used <- intersect(names(adae), unlist(wanted))
  ae <- df_rows(adae, used, rows)
  pop$in_pop <- TRUE
  list(pop = pop, ae = ae, subj = subj, onset = onset, teae_method = method)
}

# Severity / grade / relatedness as integer codes (0 = missing).
severity_levels <- c("MILD", "MODERATE", "SEVERE")

# Work on the distinct values only: ADAE columns have few distinct values but
# millions of rows.
distinct_codes <- function(x, f) {
  e <- encode_values(x)
  f(e$levels)[e$code]
}

code_values <- function(x, levels, col, call) {
  code <- distinct_codes(x, function(u) {
    v <- toupper(trimws(u))
    miss <- is.na(v) | v == ""
    code <- match(v, levels)
    bad <- !miss & is.na(code)
    if (any(bad)) {
      glycotrial_abort(c("{.arg adae} column {.field {col}} has unknown value{?s} {.val {u[bad]}}.",
                         "i" = "Expected one of {.val {levels}} or missing."),
                       call = call)
    }
    code[miss] <- 0L
    code
  })
  as.integer(code)
}

ae_grade_codes <- function(ae, by, vars, call = sys.call(-1)) {
  switch(by,
    severity = {
      check_data_frame(ae, vars$severity, arg = "adae", call = call)
      list(code = code_values(ae[[vars$severity]], severity_levels, vars$severity, call),
           labels = c("Missing", "Mild", "Moderate", "Severe"))
    },
    grade = {
      check_data_frame(ae, vars$grade, arg = "adae", call = call)
      list(code = code_values(ae[[vars$grade]], as.character(1:5), vars$grade, call),
           labels = c("Missing", paste("Grade", 1:5)))
    },
    relatedness = {
      list(code = related_codes(ae, vars, call), labels = c("Missing", "Not related", "Related"))
    },
    list(code = rep(0L, nrow(ae)), labels = "Any"))
}

related_codes <- function(ae, vars, call = sys.call(-1)) {
  check_data_frame(ae, vars$related, arg = "adae", call = call)
  rel <- toupper(vars$related_values)
  unrel <- toupper(vars$unrelated_values)
  out <- distinct_codes(ae[[vars$related]], function(u) {
    v <- toupper(trimws(u))
    miss <- is.na(v) | v == ""
    bad <- !miss & !v %in% c(rel, unrel)
    if (any(bad)) {
      glycotrial_abort(c("{.arg adae} column {.field {vars$related}} has value{?s} {.val {u[bad]}} that are neither related nor unrelated.",
                         "i" = "Classify them with {.code ae_vars(related_values = , unrelated_values = )}."),
                       call = call)
    }
    out <- ifelse(v %in% rel, 2L, 1L)
    out[miss] <- 0L
    out
  })
  as.integer(out)
}

# Risk-difference comparisons: each non-reference arm vs the reference.
rd_arms <- function(levels, ref_arm, call = sys.call(-1)) {
  if (length(levels) < 2) return(character())
  if (is.null(ref_arm)) {
    # Default reference: the single arm called "placebo", else the first arm.
    pl <- grep("placebo", levels, ignore.case = TRUE, value = TRUE)
    ref_arm <- if (length(pl) == 1) pl else levels[1]
  }
  check_choice(ref_arm, levels, arg = "ref_arm", call = call)
  setdiff(levels, ref_arm)
}
