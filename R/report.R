# The trial report: input checks that stop early with everything that is
# missing, and render_trial_report(), which renders the R Markdown template
# inst/rmarkdown/templates/trial-report/ on ADaM data.

# Parameters of the template (skeleton.Rmd `params:`), with their defaults.
report_param_defaults <- function() {
  list(data = "", title = "Trial report", arm_var = "ARM", arms = "", control = "",
       sections = "", target_visit = -1, hba1c_param = "HBA1C", insulin_param = "INSDOSE",
       hba1c_threshold = 7.0, insulin_reduction = 50, conf_level = 0.95,
       alpha = 0.05, ci_method = "newcombe", covariance = "us", fast = FALSE,
       saf_flag = "SAFFL", itt_flag = "ITTFL", pp_flag = "PPROTFL", aesi = "",
       infusion = "auto",
       related_values = "Y, RELATED, POSSIBLE, PROBABLE, DEFINITE, POSSIBLY RELATED, PROBABLY RELATED, DEFINITELY RELATED",
       unrelated_values = "N, NOT RELATED, NONE, REMOTE, UNLIKELY, UNLIKELY RELATED, NOT SUSPECTED",
       explicit = "")
}

# Required columns of each data set for the report.
report_required_columns <- function(arm = "ARM") {
  list(adsl = c("USUBJID", arm),
       adlb = c("USUBJID", "PARAMCD", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG"),
       adae = c("USUBJID", "AEDECOD", "AEBODSYS", "AESEV", "AESER", "AEREL", "ASTDY"),
       adex = c("USUBJID", "EXSEQ", "ASTDY"))
}

#' Check trial data before reporting
#'
#' Runs the checks the trial report needs before anything is computed, and
#' stops with one error listing *all* problems found: `adsl` missing or with
#' duplicated subjects, an arm without subjects, records of unknown
#' subjects, a requested efficacy parameter absent or without records at the
#' primary visit. Data sets that are `NULL` or lack columns are noted as
#' `"absent"` (the report leaves their sections out, see
#' [report_sections()]); records without a visit number (`AVISITN` missing,
#' e.g. `AVISIT "."`) are counted. Used by [render_trial_report()] and in the
#' report template; its result is printed in the report's reproducibility
#' appendix.
#'
#' @param adsl,adlb,adae,adex The ADaM data sets (see [glycotrial-data]);
#'   only `adsl` is required.
#' @param arm Arm column of `adsl`.
#' @param arms Arms that must be present (each with at least one subject);
#'   `NULL` for all arms in `adsl`.
#' @param target_visit Visit number (`AVISITN`) of the primary endpoint;
#'   `NULL` for the last visit in `adlb`.
#' @param params Efficacy parameters (`PARAMCD`) that must have records at
#'   `target_visit` (`character()` for none).
#' @return Invisibly, a data frame with one row per check (`check`,
#'   `result` (`"pass"`, `"FAIL"` or `"absent"`), `detail`). Signals an error
#'   of class `glycotrial_error_report_input` (and `glycotrial_error_input`)
#'   when a check fails.
#' @examples
#' check_trial_data(adsl, adlb, adae, adex)
#' check_trial_data(adsl, adae = adae, params = character())
#' try(check_trial_data(adsl, adlb, params = "HBA1CX"))
#' @export
check_trial_data <- function(adsl, adlb = NULL, adae = NULL, adex = NULL, arm = "ARM", arms = NULL,
                             target_visit = NULL, params = c("HBA1C", "INSDOSE")) {
  check_string(arm)
  log <- data.frame(check = character(), result = character(), detail = character(),
                    stringsAsFactors = FALSE)
  note <- function(check, ok, detail = "") {
    res <- if (is.na(ok)) "absent" else if (isTRUE(ok)) "pass" else "FAIL"
    log[nrow(log) + 1, ] <<- list(check, res, detail)
  }
  data <- list(adsl = adsl, adlb = adlb, adae = adae, adex = adex)
  req <- report_required_columns(arm)
  usable <- character()
  for (nm in names(req)) {
    d <- data[[nm]]
    if (is.null(d) && nm != "adsl") {
      # Absent data sets leave their report sections out (report_sections()).
      note(sprintf("data set %s supplied", nm), NA, sprintf("no %s: its sections are left out", nm))
      next
    }
    if (!is.data.frame(d)) {
      note(sprintf("data set %s supplied", nm), FALSE,
           sprintf("missing data set %s (%s)", nm, if (is.null(d)) "NULL" else class(d)[1]))
      next
    }
    note(sprintf("data set %s supplied", nm), TRUE, sprintf("%d rows", nrow(d)))
    miss <- setdiff(req[[nm]], names(d))
    # Missing columns leave the data set's sections out, unless the caller
    # asked for efficacy parameters (adlb) or it is adsl.
    need_all <- nm == "adsl" || (nm == "adlb" && length(params) > 0)
    note(sprintf("required columns of %s", nm), if (length(miss) && !need_all) NA else !length(miss),
         if (length(miss)) sprintf("%s lacks column%s %s", nm, if (length(miss) > 1) "s" else "",
                                   paste(miss, collapse = ", "))
         else paste(req[[nm]], collapse = ", "))
    if (!length(miss)) usable <- c(usable, nm)
  }
  if ("adsl" %in% usable) {
    n_dup <- sum(duplicated(adsl$USUBJID))
    note("adsl has one row per subject", n_dup == 0,
         if (n_dup) sprintf("%d duplicated USUBJID in adsl", n_dup) else "")
    present <- unique(as.character(adsl[[arm]]))
    present <- present[!is.na(present)]
    want <- if (is.null(arms)) present else arms
    counts <- vapply(want, function(a) sum(as.character(adsl[[arm]]) %in% a), integer(1))
    note("at least two arms", length(want) >= 2,
         sprintf("arms: %s", paste(want, collapse = ", ")))
    for (a in want) {
      note(sprintf("arm '%s' has subjects", a), counts[[a]] > 0,
           if (counts[[a]] > 0) sprintf("%d subjects", counts[[a]])
           else sprintf("arm '%s' has no subjects in adsl (arms present: %s)", a,
                        paste(present, collapse = ", ")))
    }
    for (nm in intersect(c("adlb", "adae", "adex"), usable)) {
      unk <- setdiff(unique(data[[nm]]$USUBJID), adsl$USUBJID)
      unk <- unk[!is.na(unk)]
      note(sprintf("subjects of %s are in adsl", nm), !length(unk),
           if (length(unk)) sprintf("%d subject(s) of %s not in adsl, e.g. %s", length(unk), nm,
                                    unk[1]) else "")
    }
  }
  if ("adlb" %in% usable) {
    # Records without a scheduled visit (AVISIT "." or blank, AVISITN NA)
    # are counted, not compared.
    n_na <- sum(is.na(adlb$AVISITN))
    if (n_na) note("records without a visit number", TRUE,
                   sprintf("%d records with AVISITN missing (unscheduled or derived)", n_na))
    tv <- if (is.null(target_visit)) max(c(-Inf, adlb$AVISITN), na.rm = TRUE) else target_visit
    for (p in params) {
      has_p <- p %in% adlb$PARAMCD
      note(sprintf("parameter %s in adlb", p), has_p,
           if (has_p) "" else sprintf("adlb has no records with PARAMCD %s (present: %s)", p,
                                      report_some(adlb$PARAMCD)))
      if (has_p) {
        n_t <- sum(adlb$PARAMCD %in% p & adlb$AVISITN %in% tv & !is.na(adlb$AVAL))
        note(sprintf("%s at target visit %s", p, format(tv)), n_t > 0,
             if (n_t > 0) sprintf("%d records", n_t)
             else sprintf("no %s records at the target visit (AVISITN %s); visits present: %s",
                          p, format(tv),
                          paste(sort(unique(adlb$AVISITN[adlb$PARAMCD %in% p])), collapse = ", ")))
      }
    }
  }
  fails <- log$detail[log$result == "FAIL"]
  if (length(fails)) {
    # Report the user's call: render_trial_report() when it called us.
    from_render <- sys.nframe() > 1 && identical(sys.function(-1), render_trial_report)
    glycotrial_abort(
      c("The trial data cannot be reported; {length(fails)} problem{?s} found:",
        stats::setNames(fails, rep("x", length(fails)))),
      class = c("glycotrial_error_report_input", "input"),
      call = if (from_render) sys.call(-1) else sys.call())
  }
  invisible(log)
}

#' Render the trial report
#'
#' Renders the R Markdown template `trial-report` shipped with glycotrial
#' (also available through RStudio's "New R Markdown > From Template" and
#' `rmarkdown::draft("report.Rmd", "trial-report", package = "glycotrial")`)
#' on ADaM data: disposition and baseline characteristics, the primary
#' composite endpoint, MMRM of the glycaemic marker and the dose, beta-cell
#' function and insulin resistance, safety, and a reproducibility appendix.
#'
#' Sections follow the data ([report_sections()]): a section whose inputs
#' are absent (a data set, a `PARAMCD`, a column, infusion records) is left
#' out with one line in the report saying why, listed in the appendix, and a
#' message of class `glycotrial_message_section_skipped`. So
#' `render_trial_report(adsl, adae = adae, adlb = adlb)` on a safety-only
#' trial renders disposition, baseline and the safety sections. A parameter
#' set explicitly but absent from the data (a `PARAMCD`, an arm, the control
#' arm, a section name, an AESI group) is a classed error naming the value
#' and listing the available ones.
#'
#' Rendering reports progress, one step per chunk of the template: through
#' `progressr` when the user has set handlers (`progressr::handlers()`, or
#' a `progressr::with_progress()` around the call), else as a cli progress
#' bar in interactive sessions, shown once rendering has taken 2 s (cli's
#' `cli.progress_show_after`; option `glycotrial.progress = FALSE` turns it
#' off).
#'
#' @param adsl,adlb,adae,adex ADaM data sets. Without `adsl`, the shipped
#'   example trial ([glycotrial-data]) for every data set not given; with
#'   `adsl`, a data set not given (or `NULL`) is absent and its sections are
#'   left out.
#' @param output_file Path of the report to write.
#' @param params Named list of report parameters (see the template):
#'   `title`; `arm_var` (arm column, `"ARM"`; e.g. `"TRT01A"` for the actual
#'   treatment); `arms` (comma-separated arm order; `""` = factor levels or
#'   `TRT01PN` order); `control` (control arm, default the last arm; every
#'   other arm is compared with it and it is shown last everywhere);
#'   `sections` (comma-separated section names or groups `"baseline"`,
#'   `"efficacy"`, `"safety"`; `""` = all); `target_visit` (visit number
#'   `AVISITN` of the primary endpoint, `-1` = last visit); `hba1c_param`
#'   (glycaemic marker `PARAMCD`), `insulin_param` (dose `PARAMCD`);
#'   `hba1c_threshold` (marker below this, 7.0); `insulin_reduction` (dose
#'   reduced by at least this %, 50); `conf_level` (0.95); `alpha` (0.05,
#'   two-sided significance level marking p-values); `ci_method` (CI of the
#'   risk difference, `"newcombe"`); `covariance` (MMRM covariance structure,
#'   `"us"`); `fast` (`TRUE` skips the slower sensitivity analyses and model
#'   selection); `saf_flag`, `itt_flag`, `pp_flag` (population flags used by
#'   the safety, efficacy and disposition sections when present); `aesi`
#'   (comma-separated AESI groups, `""` = the registered groups that match an
#'   event, `"none"`); `infusion` (`"auto"`: infusion reactions only when
#'   `EXROUTE` says intravenous/infusion; `"yes"`, `"no"`);
#'   `related_values`, `unrelated_values` (comma-separated `AEREL`
#'   vocabularies; blank `AEREL` counts as related).
#' @param output_format `"html"` or `"word"` (Word: tables fitted to the
#'   page by [report_flextable()], landscape sections for wide tables,
#'   header rows repeated, rows kept on one page, a table of contents).
#' @param quiet Suppress knitr progress output?
#' @return The normalized path of the rendered report.
#' @examples
#' \donttest{
#' if (rmarkdown::pandoc_available()) {
#'   out <- render_trial_report(output_file = tempfile(fileext = ".html"),
#'                              params = list(fast = TRUE))
#'   file.exists(out)
#' }
#' }
#' @export
render_trial_report <- function(adsl = NULL, adlb = NULL, adae = NULL, adex = NULL,
                                 output_file = "trial-report.html", params = list(),
                                 output_format = c("html", "word"), quiet = TRUE) {
  output_format <- check_choice(output_format[1], c("html", "word"), arg = "output_format")
  check_string(output_file)
  check_flag(quiet)
  if (missing(adsl)) {
    # The shipped trial, less the data sets given (NULL = absent).
    adsl <- glycotrial::adsl
    if (missing(adlb)) adlb <- glycotrial::adlb
    if (missing(adae)) adae <- glycotrial::adae
    if (missing(adex)) adex <- glycotrial::adex
  }
  if (!is.list(params) || (length(params) && is.null(names(params))) ||
      any(!nzchar(names(params)))) {
    glycotrial_abort("{.arg params} must be a named list, not {describe_value(params)}.")
  }
  defaults <- report_param_defaults()
  settable <- setdiff(names(defaults), c("data", "explicit"))
  unknown <- setdiff(names(params), settable)
  if (length(unknown)) {
    glycotrial_abort(c("{.arg params} has unknown name{?s} {.val {unknown}}.",
                       "i" = "Known: {.val {settable}}."))
  }
  p <- utils::modifyList(defaults, params)
  for (nm in c("arm_var", "arms", "control", "sections", "hba1c_param", "insulin_param",
               "saf_flag", "itt_flag", "pp_flag", "aesi", "related_values", "unrelated_values",
               "ci_method")) {
    check_string(p[[nm]], arg = paste0("params$", nm))
  }
  p$infusion <- check_choice(p$infusion, c("auto", "yes", "no"), arg = "params$infusion")
  check_number(p$target_visit, arg = "params$target_visit")
  check_number(p$hba1c_threshold, lower = 0, arg = "params$hba1c_threshold")
  check_number(p$insulin_reduction, lower = 0, upper = 100, arg = "params$insulin_reduction")
  check_number(p$conf_level, lower = 0, upper = 1, open = TRUE, arg = "params$conf_level")
  check_number(p$alpha, lower = 0, upper = 1, open = TRUE, arg = "params$alpha")
  check_flag(p$fast, arg = "params$fast")
  p$explicit <- paste(names(params), collapse = ", ")
  explicit_codes <- c(if ("hba1c_param" %in% names(params)) p$hba1c_param,
                      if ("insulin_param" %in% names(params)) p$insulin_param)
  check_trial_data(adsl, adlb, adae, adex, arm = p$arm_var, arms = report_arms(p$arms),
                   target_visit = if (p$target_visit < 0 || !length(explicit_codes)) NULL else p$target_visit,
                   params = explicit_codes)
  for (pkg in c("rmarkdown", "knitr", "ggplot2")) {
    if (!requireNamespace(pkg, quietly = TRUE)) {
      glycotrial_abort("Package {.pkg {pkg}} is needed to render the report; install it.",
                       class = c("glycotrial_error_missing_package", "input"))
    }
  }
  if (!rmarkdown::pandoc_available()) {
    glycotrial_abort("Pandoc is needed to render the report; install it (Debian: {.code apt-get install pandoc}).",
                     class = c("glycotrial_error_missing_package", "input"))
  }
  template <- system.file("rmarkdown", "templates", "trial-report", "skeleton", "skeleton.Rmd",
                          package = "glycotrial")
  if (!nzchar(template)) {
    glycotrial_abort("The report template is not installed with glycotrial.",
                     class = c("glycotrial_error_missing_template", "input"))
  }
  work <- tempfile("glycotrial-report-")
  dir.create(work)
  on.exit(unlink(work, recursive = TRUE), add = TRUE)
  data_path <- file.path(work, "trial-data.rds")
  saveRDS(list(adsl = adsl, adlb = adlb, adae = adae, adex = adex), data_path)
  p$data <- data_path
  # The plan (and every parameter error) before rendering: the skipped
  # sections are announced here, where the user sees the messages.
  report_context(p, explicit = names(params))
  input <- file.path(work, "trial-report.Rmd")
  file.copy(template, input)
  out_dir <- dirname(output_file)
  if (!dir.exists(out_dir)) dir.create(out_dir, recursive = TRUE)
  out_dir <- normalizePath(out_dir)
  fmt <- if (output_format == "html") {
    rmarkdown::resolve_output_format(input)  # the template's html_document
  } else {
    report_word_format()
  }
  # Progress: one step per chunk of the template (report_progress_hook()).
  res <- with_progress_bar(label = "Rendering report", {
    fmt <- report_progress_hook(fmt, input)
    suppressMessages(rmarkdown::render(
      input, output_format = fmt, output_file = basename(output_file), output_dir = out_dir,
      params = p, quiet = quiet, envir = new.env(parent = globalenv()),
      intermediates_dir = work, knit_root_dir = work))
  })
  if (output_format == "word") word_finish_docx(res)
  normalizePath(res)
}

# Adds to an rmarkdown output format a knitr option hook that signals one
# progress step (labelled with the chunk label) as each code chunk of
# `input` starts; option hooks run for every chunk, evaluated or not, so
# the steps add up to the number of chunks. Called inside
# with_progress_bar(), where the progressor reaches the user's progressr
# handlers or the cli bar.
report_progress_hook <- function(fmt, input) {
  n <- sum(grepl("^\\s*```+\\s*\\{r[ ,}]", readLines(input, warn = FALSE)))
  p <- progress_ticker(n)
  fmt$knitr$opts_chunk$glycotrial_progress <- TRUE
  fmt$knitr$opts_hooks$glycotrial_progress <- function(options) {
    p(message = options$label)
    options
  }
  fmt
}

# knitr::knit_print for glycotrial tables (baseline, disposition), queued from
# the built-in hook like the other areas' interop methods (.onLoad runs the
# hooks before registering the S3 interop methods).
add_builtin_plugins("report", function() {
  add_s3_interop("knitr", "knit_print", "glycotrial_table", knit_print_glycotrial_table)
})
