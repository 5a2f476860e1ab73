# One rule for subject keys at every entry point of the safety and responder
# layer (AE summaries, lab summaries, Hy's law, derive_responders(),
# responder_analysis()):
#   * the analysis population is the ADSL subjects with the population flag
#     (read by read_adam_flag()) and a known arm;
#   * subjects whose arm is missing, and records of subjects absent from
#     ADSL, are dropped with a classed message
#     (glycotrial_message_dropped_subjects) by default, or are an error with
#     `unmatched = "error"`;
#   * an empty population is a classed error (glycotrial_error_no_subjects),
#     never a table of zeros.

check_unmatched <- function(unmatched, call = sys.call(-1)) {
  check_choice(unmatched[1], c("drop", "error"), arg = "unmatched", call = call)
}

no_subjects_error <- function(what, call, hint = NULL, .envir = parent.frame()) {
  glycotrial_abort(c(what, if (!is.null(hint)) c("i" = hint)),
                   class = c("input", "glycotrial_error_no_subjects"), call = call,
                   .envir = .envir)
}

# Subjects with a missing key (arm, identifier) in `data`: an error with
# unmatched = "error", else the classed dropped-subjects message.
report_missing_key <- function(ids, n, what, reason, unmatched, call) {
  if (n == 0L) return(invisible(0L))
  if (unmatched == "error") {
    shown <- utils::head(unique(as.character(ids)), 5)
    glycotrial_abort(c("{n} {what} {reason}{if (length(shown)) paste0(': ', paste(shown, collapse = ', ')) else ''}.",
                       "i" = "Use {.code unmatched = \"drop\"} to leave them out with a message."),
                     class = c("input", "glycotrial_error_unmatched_subjects"), call = call)
  }
  glycotrial_inform_dropped(ids, what = what, reason = reason,
                            class = "glycotrial_message_dropped_subjects", n = n)
}

#' The analysis population of a subject-level data set
#'
#' @param adsl Subject-level data frame.
#' @param subject,arm Column names (`arm = NULL`: no arm needed).
#' @param pop_flag Population flag column or `NULL` (all subjects).
#' @param unmatched `"drop"` (subjects with a missing arm or identifier are
#'   left out with a classed message) or `"error"`.
#' @param data Name of `adsl` in messages.
#' @return A data frame `id` (character), `arm` (factor: a factor arm keeps
#'   its level order, including arms without subjects), `row` (row of
#'   `adsl`), `in_pop` (logical, all `TRUE` unless `keep_all`).
#' @noRd
subject_population <- function(adsl, subject = "USUBJID", arm = "ARM", pop_flag = NULL,
                               unmatched = "drop", data = "adsl", keep_all = FALSE,
                               call = sys.call(-1)) {
  check_data_frame(adsl, c(subject, arm, pop_flag), arg = data, call = call)
  if (!nrow(adsl)) {
    no_subjects_error("{.arg {data}} has no rows; there are no subjects to analyse.", call)
  }
  idv <- adsl[[subject]]
  if (is.list(idv) || !is.atomic(idv)) {
    glycotrial_abort("{.arg {data}} column {.field {subject}} must hold subject identifiers, not {describe_value(idv)}.",
                     call = call)
  }
  ids <- as.character(idv)
  ids[!is.na(ids) & trimws(ids) == ""] <- NA_character_
  keep <- rep(TRUE, nrow(adsl))
  if (!is.null(pop_flag)) {
    keep <- adam_flag_is_yes(adsl[[pop_flag]], pop_flag, data, call)
    if (!any(keep)) {
      no_subjects_error("No subject of {.arg {data}} has {.field {pop_flag}} = {.val Y}; the population is empty.",
                        call, "Check the population flag, or pass {.code pop_flag = NULL} to use every subject.")
    }
  }
  dup <- duplicated(ids) & !is.na(ids)
  if (any(dup)) {
    glycotrial_abort("{.arg {data}} must have one row per subject; {.val {utils::head(unique(ids[dup]), 3)}} occur{?s} more than once.",
                     call = call)
  }
  no_id <- keep & is.na(ids)
  report_missing_key(character(), sum(no_id), "subjects",
                     sprintf("with a missing %s in %s", subject, data), unmatched, call)
  keep <- keep & !no_id
  if (!is.null(arm)) {
    av <- adsl[[arm]]
    if (is.list(av) || !is.atomic(av)) {
      glycotrial_abort("{.arg {data}} column {.field {arm}} must hold treatment arms, not {describe_value(av)}.",
                       call = call)
    }
    lv <- if (is.factor(av)) levels(av) else sort(unique(as.character(av[keep])))
    a <- as.character(av)
    a[!is.na(a) & trimws(a) == ""] <- NA_character_
    lv <- lv[!is.na(lv) & trimws(lv) != ""]
    no_arm <- keep & is.na(a)
    report_missing_key(ids[no_arm], sum(no_arm), "subjects",
                       sprintf("missing arm (%s) in %s", arm, data), unmatched, call)
    keep <- keep & !no_arm
    armf <- factor(a, levels = lv)
  } else {
    armf <- factor(rep(NA_character_, nrow(adsl)))
  }
  if (!any(keep)) {
    no_subjects_error("No subject of {.arg {data}} is left to analyse after dropping missing arms and identifiers.",
                      call)
  }
  pop <- data.frame(id = ids, arm = armf, row = seq_len(nrow(adsl)), in_pop = keep,
                    stringsAsFactors = FALSE)
  if (keep_all) pop else pop[keep, , drop = FALSE]
}

#' Match the records of a data set to the subjects of ADSL
#'
#' @param ids Subject identifiers of the records (any atomic type).
#' @param adsl_ids Identifiers of all ADSL subjects (character).
#' @param pop_ids Identifiers of the population (character).
#' @param unmatched `"drop"` or `"error"` for records of subjects absent
#'   from ADSL.
#' @param data Name of the record data set in messages.
#' @return Integer vector: each record's row in `pop_ids`, NA for records
#'   outside the population (including the dropped ones).
#' @noRd
match_subjects <- function(ids, adsl_ids, pop_ids, unmatched = "drop", data = "data",
                           adsl = "adsl", call = sys.call(-1)) {
  # Distinct identifiers only (records outnumber subjects by far).
  e <- encode_values(ids)
  lv <- e$levels
  lv[!is.na(lv) & trimws(lv) == ""] <- NA_character_
  n_lv <- tabulate(e$code, length(lv))
  unknown <- !is.na(lv) & !lv %in% adsl_ids & n_lv > 0
  if (any(unknown)) {
    miss <- lv[unknown]
    n_rec <- sum(n_lv[unknown])
    if (unmatched == "error") {
      glycotrial_abort(c("{.arg {data}} has {n_rec} record{?s} of {length(miss)} subject{?s} not in {.arg {adsl}}: {.val {utils::head(miss, 5)}}.",
                         "i" = "Use {.code unmatched = \"drop\"} to leave them out with a message."),
                       class = c("input", "glycotrial_error_unmatched_subjects"), call = call)
    }
    glycotrial_inform_dropped(miss, what = "subjects",
                              reason = sprintf("%d record%s of %s with no %s row", n_rec,
                                               if (n_rec == 1) "" else "s", data, adsl),
                              class = "glycotrial_message_dropped_subjects",
                              n = length(miss))
  }
  no_id <- is.na(lv) & n_lv > 0
  if (any(no_id)) {
    n_rec <- sum(n_lv[no_id])
    if (unmatched == "error") {
      glycotrial_abort(c("{.arg {data}} has {n_rec} record{?s} with a missing subject identifier.",
                         "i" = "Use {.code unmatched = \"drop\"} to leave them out with a message."),
                       class = c("input", "glycotrial_error_unmatched_subjects"), call = call)
    }
    glycotrial_inform_dropped(character(), what = "records",
                              reason = sprintf("missing subject identifier in %s", data),
                              class = "glycotrial_message_dropped_subjects", n = n_rec)
  }
  match(lv, pop_ids)[e$code]
}
