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
#' @param pop_flag Population flag in ADSL (`"Y"` = included), or `NULL` to use
#'   every ADSL subject.
#' @param soc,pt System organ class and preferred term in ADAE.
#' @param severity Severity (`MILD`, `MODERATE`, `SEVERE`).
#' @param grade CTCAE grade (`"1"` to `"5"`).
#' @param related Relatedness; values are classified with `related_values` and
#'   `unrelated_values` (anything else is an error).
#' @param serious Serious flag (`"Y"`/`"N"`).
#' @param teae_flag Treatment-emergent flag (`"Y"`/`"N"`).
#' @param onset_day Study day of onset (day 1 = first dose).
#' @param action Action taken with study treatment.
#' @param outcome Outcome.
#' @param trt_start,trt_end First and last treatment dates in ADSL.
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
                    fatal_values = "FATAL") {
  cols <- list(subject = subject, arm = arm, soc = soc, pt = pt, severity = severity,
               grade = grade, related = related, serious = serious, teae_flag = teae_flag,
               onset_day = onset_day, action = action, outcome = outcome,
               trt_start = trt_start, trt_end = trt_end)
  for (nm in names(cols)) check_string(cols[[nm]], arg = nm)
  if (!is.null(pop_flag)) check_string(pop_flag)
  for (v in c("related_values", "unrelated_values", "discontinuation_values", "fatal_values")) {
    val <- get(v)
    if (!is.character(val)) {
      glycotrial_abort("{.arg {v}} must be a character vector, not {describe_value(val)}.")
    }
  }
  structure(c(cols, list(pop_flag = pop_flag, related_values = related_values,
                         unrelated_values = unrelated_values,
                         discontinuation_values = discontinuation_values,
                         fatal_values = fatal_values)),
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

# The analysis population: one row per subject with arm (factor), treatment
# duration in days and end-of-treatment study day.
safety_population <- function(adsl, vars, call = sys.call(-1)) {
  check_data_frame(adsl, c(vars$subject, vars$arm), arg = "adsl", call = call)
  keep <- rep(TRUE, nrow(adsl))
  if (!is.null(vars$pop_flag)) {
    check_data_frame(adsl, vars$pop_flag, arg = "adsl", call = call)
    keep <- adsl[[vars$pop_flag]] %in% "Y"
  }
  ids <- as.character(adsl[[vars$subject]])
  if (anyDuplicated(ids)) {
    glycotrial_abort("{.arg adsl} must have one row per subject; {.val {unique(ids[duplicated(ids)])[1:min(3, sum(duplicated(ids)))]}} occur{?s} more than once.",
                     call = call)
  }
  arm <- adsl[[vars$arm]]
  arm <- if (is.factor(arm)) droplevels(arm, exclude = NA) else factor(arm)
  if (any(is.na(arm[keep]))) {
    glycotrial_abort("{.arg adsl} column {.field {vars$arm}} is missing for {sum(is.na(arm[keep]))} subject{?s} of the population.",
                     call = call)
  }
  if (is.factor(adsl[[vars$arm]])) arm <- factor(as.character(arm), levels = levels(adsl[[vars$arm]]))
  dur <- rep(NA_real_, nrow(adsl))
  if (all(c(vars$trt_start, vars$trt_end) %in% names(adsl))) {
    dur <- as.numeric(as.Date(adsl[[vars$trt_end]]) - as.Date(adsl[[vars$trt_start]])) + 1
  }
  pop <- data.frame(id = ids, arm = arm, trt_days = dur, in_pop = keep,
                    stringsAsFactors = FALSE)
  pop
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
# Returns list(pop = population (in_pop only), ae = events with subj index).
prepare_ae <- function(adae, adsl, vars, teae, unmatched, call = sys.call(-1),
                       need = character(), copy = NULL) {
  check_vars(vars, call)
  if (!inherits(teae, "glycotrial_teae")) {
    glycotrial_abort("{.arg teae} must come from {.fn teae_window}, not {describe_value(teae)}.",
                     call = call)
  }
  unmatched <- check_choice(unmatched[1], c("error", "drop"), arg = "unmatched", call = call)
  allpop <- safety_population(adsl, vars, call)
  check_data_frame(adae, c(vars$subject, vars$soc, vars$pt, unlist(vars[need])),
                   arg = "adae", call = call)
  # Subjects matched through their distinct identifiers only.
  sid <- encode_values(adae[[vars$subject]])
  m_lv <- match(sid$levels, allpop$id)
  n_lv <- tabulate(sid$code, length(sid$levels))
  unknown <- is.na(m_lv) & n_lv > 0  # unused factor levels do not count
  if (any(unknown)) {
    miss <- sid$levels[unknown]
    n_rec <- sum(n_lv[unknown])
    if (unmatched == "error") {
      glycotrial_abort(c("{.arg adae} has records for {length(miss)} subject{?s} not in {.arg adsl}: {.val {utils::head(miss, 5)}}.",
                         "i" = "Use {.code unmatched = \"drop\"} to drop them with a warning."),
                       call = call)
    }
    glycotrial_warn("Dropped {n_rec} AE record{?s} of {length(miss)} subject{?s} not in {.arg adsl}: {.val {utils::head(miss, 5)}}.",
                    class = "glycotrial_warning_unmatched_subjects")
  }
  pop <- allpop[allpop$in_pop, , drop = FALSE]
  # ADSL row -> population row (NA outside the population).
  to_pop <- rep(NA_integer_, nrow(allpop))
  to_pop[allpop$in_pop] <- seq_len(nrow(pop))
  subj <- to_pop[m_lv][sid$code]
  rows <- which(!is.na(subj))
  subj <- subj[rows]

  # Treatment emergence.
  method <- teae$method
  if (method == "auto") method <- if (vars$teae_flag %in% names(adae)) "flag" else "window"
  keep <- NULL
  if (method == "flag") {
    check_data_frame(adae, vars$teae_flag, arg = "adae", call = call)
    fl <- encode_values(adae[[vars$teae_flag]])
    fcode <- fl$code[rows]
    f <- fl$levels
    present <- tabulate(fcode, length(f)) > 0
    bad <- present & !is.na(f) & !f %in% c("Y", "N", "")
    if (any(bad)) {
      glycotrial_abort("{.arg adae} column {.field {vars$teae_flag}} must be {.val Y}, {.val N} or missing; found {.val {f[bad][1]}}.",
                       call = call)
    }
    keep <- (f %in% "Y" | ((is.na(f) | f == "") & teae$missing_onset == "teae"))[fcode]
  } else if (method == "window") {
    check_data_frame(adae, vars$onset_day, arg = "adae", call = call)
    onset <- suppressWarnings(as.numeric(adae[[vars$onset_day]][rows]))
    keep <- cpp_safety_teae(onset, pop$trt_days[subj], teae$lag,
                            teae$missing_onset == "teae")
  }
  if (!is.null(keep)) {
    rows <- rows[keep]
    subj <- subj[keep]
  }
  # Copy only the columns the summaries read (ADAE may have many more; `copy`
  # names the `vars` entries a caller needs when it needs fewer).
  wanted <- if (is.null(copy)) vars[vapply(vars, is.character, logical(1))] else vars[copy]
  used <- intersect(names(adae), unlist(wanted))
  ae <- df_rows(adae, used, rows)
  list(pop = pop, ae = ae, subj = subj, teae_method = method)
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
