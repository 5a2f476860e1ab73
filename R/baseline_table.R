# Baseline characteristics and disposition (CONSORT-style counts) by arm,
# plus the generic HTML table helper used by the report and knit_print.

default_var_labels <- c(
  AGE = "Age (years)", SEX = "Sex", RACE = "Race", HEIGHT = "Height (cm)",
  WEIGHT = "Weight (kg)", BMI = "BMI (kg/m\u00b2)", DIABDUR = "Diabetes duration (years)",
  HBA1CBL = "HbA1c (%)", INSDOSBL = "Insulin dose (U/day)", FCPEPBL = "Fasting C-peptide (ng/mL)",
  HBA1CGR1 = "HbA1c stratum", STRATA = "Stratum")

# Arms in display order: TRT01PN order when present, else first appearance.
arm_levels <- function(adsl, arm) {
  x <- as.character(adsl[[arm]])
  if (is.factor(adsl[[arm]])) return(levels(droplevels(adsl[[arm]])))
  if ("TRT01PN" %in% names(adsl) && arm %in% c("ARM", "TRT01P", "TRT01A")) {
    o <- order(adsl$TRT01PN)
    return(unique(x[o]))
  }
  unique(x)
}

fmt_num <- function(x, digits) formatC(x, format = "f", digits = digits)

# Counts as "n (pct)": fmt_n_pct() of R/safety_results.R (one definition for
# every table; a second one here was shadowed by it in the collation order).

#' Baseline characteristics by arm
#'
#' The "Table 1" of a trial: continuous variables as mean \eqn{\pm} SD and
#' median \[Q1, Q3\] (quantile type 7), categorical variables as n (%), by
#' arm and in total. Column headers carry the arm sizes.
#'
#' @param adsl Subject-level data, one row per subject.
#' @param vars Columns to summarise (those absent are skipped with a warning).
#' @param arm Column with the arm.
#' @param labels Named character vector of row labels (with units) for
#'   `vars`; defaults cover the ADaM columns of [glycotrial-data].
#' @param population Optional flag column (e.g. `"ITTFL"`, `"SAFFL"`): only
#'   rows with `"Y"` are used.
#' @param total Add a total column?
#' @param digits Decimals for means, SDs and quantiles.
#' @param subject Subject identifier column (checked for duplicates).
#' @return A data frame of class `glycotrial_baseline_table` (and
#'   `glycotrial_table`) with columns `Characteristic`, `Statistic`, one per
#'   arm (named `"<arm> (N=<n>)"`) and `"Total (N=<n>)"`; attribute `n`
#'   holds the arm sizes.
#' @examples
#' baseline_table(adsl)
#' baseline_table(adsl, vars = c("AGE", "SEX"), total = FALSE)
#' @export
baseline_table <- function(adsl, vars = c("AGE", "SEX", "WEIGHT", "BMI", "DIABDUR", "HBA1CBL",
                                          "INSDOSBL", "FCPEPBL", "STRATA"),
                           arm = "ARM", labels = NULL, population = NULL, total = TRUE,
                           digits = 1, subject = "USUBJID") {
  check_data_frame(adsl, c(arm, subject))
  check_flag(total)
  check_count(digits, len = 1L)
  if (!is.character(vars) || !length(vars)) {
    glycotrial_abort("{.arg vars} must be a non-empty character vector, not {describe_value(vars)}.")
  }
  if (!is.null(population)) {
    check_string(population)
    check_data_frame(adsl, population)
    adsl <- adsl[adsl[[population]] %in% "Y", , drop = FALSE]
  }
  if (anyDuplicated(adsl[[subject]])) {
    glycotrial_abort("{.arg adsl} must have one row per subject; {.field {subject}} has duplicates.")
  }
  miss <- setdiff(vars, names(adsl))
  if (length(miss)) {
    glycotrial_warn("Skipping column{?s} absent from {.arg adsl}: {.field {miss}}.",
                    class = "glycotrial_warning_missing_column")
    vars <- intersect(vars, names(adsl))
  }
  labs <- default_var_labels
  if (!is.null(labels)) labs[names(labels)] <- labels
  arms <- arm_levels(adsl, arm)
  grp <- as.character(adsl[[arm]])
  groups <- c(stats::setNames(lapply(arms, function(a) grp == a), arms),
              if (total) list(Total = rep(TRUE, nrow(adsl))))
  n <- vapply(groups, sum, integer(1))
  rows <- list()
  for (v in vars) {
    x <- adsl[[v]]
    lab <- if (!is.na(labs[v])) labs[[v]] else v
    if (is.numeric(x)) {
      stat <- function(f) vapply(groups, function(g) f(x[g & !is.na(x)]), character(1))
      rows[[length(rows) + 1]] <- c(lab, "Mean \u00b1 SD", stat(function(y)
        if (length(y)) paste0(fmt_num(mean(y), digits), " \u00b1 ",
                              if (length(y) > 1) fmt_num(stats::sd(y), digits) else "NA") else "-"))
      rows[[length(rows) + 1]] <- c("", "Median [Q1, Q3]", stat(function(y) {
        if (!length(y)) return("-")
        q <- stats::quantile(y, c(0.5, 0.25, 0.75), names = FALSE, type = 7)
        paste0(fmt_num(q[1], digits), " [", fmt_num(q[2], digits), ", ", fmt_num(q[3], digits), "]")
      }))
      if (anyNA(x)) {
        rows[[length(rows) + 1]] <- c("", "Missing, n",
                                      vapply(groups, function(g) as.character(sum(g & is.na(x))),
                                             character(1)))
      }
    } else {
      lev <- if (is.factor(x)) levels(x) else sort(unique(stats::na.omit(as.character(x))))
      first <- TRUE
      for (l in c(lev, if (anyNA(x)) NA)) {
        is_l <- if (is.na(l)) is.na(x) else (!is.na(x) & as.character(x) == l)
        rows[[length(rows) + 1]] <- c(if (first) lab else "",
                                      paste0(if (is.na(l)) "Missing" else l, ", n (%)"),
                                      vapply(groups, function(g) fmt_n_pct(sum(g & is_l), sum(g)),
                                             character(1)))
        first <- FALSE
      }
    }
  }
  out <- as.data.frame(do.call(rbind, rows), stringsAsFactors = FALSE)
  names(out) <- c("Characteristic", "Statistic", paste0(names(groups), " (N=", n, ")"))
  structure(out, n = n, class = c("glycotrial_baseline_table", "glycotrial_table", "data.frame"))
}

#' Disposition (CONSORT-style flow) by arm
#'
#' Counts of randomized subjects, analysis populations, completion,
#' discontinuation by reason and subjects with data at the primary visit, by
#' arm and in total; n (%) relative to the randomized subjects.
#'
#' @param adsl Subject-level data.
#' @param adlb Optional long data; when given, the number of subjects with a
#'   non-missing `paramcd` value at `target_visit` is added ("analysed").
#' @param arm,subject Column names in `adsl` (and `adlb`).
#' @param flags Named character vector: row label -> population flag column
#'   (rows for absent columns are skipped).
#' @param status,reason End-of-study status and discontinuation reason columns.
#' @param paramcd,target_visit,visit,paramcd_col,value Which `adlb` records
#'   define "analysed" (default: HbA1c at the last visit).
#' @param screened Optional number of subjects screened/enrolled (shown in
#'   the flow, e.g. 103 for NCT02302599).
#' @return A data frame of class `glycotrial_disposition` (and
#'   `glycotrial_table`) with columns `Category` and one per arm plus
#'   `Total`; attribute `counts` is the integer matrix behind it.
#' @examples
#' disposition_table(adsl, adlb)
#' attr(disposition_table(adsl, adlb), "counts")
#' @export
disposition_table <- function(adsl, adlb = NULL, arm = "ARM", subject = "USUBJID",
                              flags = c("Treated (safety set)" = "SAFFL",
                                        "Per-protocol set" = "PPROTFL"),
                              status = "EOSSTT", reason = "DCSREAS",
                              paramcd = "HBA1C", target_visit = NULL, visit = "AVISITN",
                              paramcd_col = "PARAMCD", value = "AVAL", screened = NULL) {
  check_data_frame(adsl, c(arm, subject))
  if (!is.character(flags) || (length(flags) && (is.null(names(flags)) || any(!nzchar(names(flags)))))) {
    glycotrial_abort("{.arg flags} must be a named character vector (row label = flag column), not {describe_value(flags)}.")
  }
  # Optional columns are skipped when absent, unless the caller named them.
  if (!missing(flags)) check_data_frame(adsl, unname(flags), arg = "adsl")
  if (!missing(status)) check_data_frame(adsl, status, arg = "adsl")
  if (!missing(reason)) check_data_frame(adsl, reason, arg = "adsl")
  arms <- arm_levels(adsl, arm)
  grp <- as.character(adsl[[arm]])
  count <- function(sel) c(vapply(arms, function(a) sum(sel & grp == a), integer(1)),
                           Total = sum(sel))
  rows <- list("Randomized" = count(rep(TRUE, nrow(adsl))))
  for (lab in names(flags)) {
    if (flags[[lab]] %in% names(adsl)) rows[[lab]] <- count(adsl[[flags[[lab]]]] %in% "Y")
  }
  if (status %in% names(adsl)) {
    st <- toupper(as.character(adsl[[status]]))
    rows[["Completed"]] <- count(st == "COMPLETED")
    disc <- st == "DISCONTINUED"
    rows[["Discontinued"]] <- count(disc)
    if (reason %in% names(adsl)) {
      rs <- as.character(adsl[[reason]])
      for (r in sort(unique(rs[disc & !is.na(rs) & nzchar(rs)]))) {
        lab <- tolower(r)
        rows[[paste0("  ", toupper(substr(lab, 1, 1)), substring(lab, 2))]] <- count(disc & rs %in% r)
      }
    }
  }
  if (!is.null(adlb)) {
    check_data_frame(adlb, c(subject, visit, paramcd_col, value), arg = "adlb")
    if (is.null(target_visit)) target_visit <- max(adlb[[visit]], na.rm = TRUE)
    has <- unique(adlb[[subject]][adlb[[paramcd_col]] == paramcd & adlb[[visit]] == target_visit &
                                    !is.na(adlb[[value]])])
    rows[[sprintf("With %s at visit %s (analysed)", paramcd, format(target_visit))]] <-
      count(adsl[[subject]] %in% has)
  }
  counts <- do.call(rbind, rows)
  n_rand <- counts["Randomized", ]
  shown <- t(apply(counts, 1, function(k) fmt_n_pct(k, n_rand)))
  shown[1, ] <- as.character(counts[1, ])
  out <- data.frame(Category = rownames(counts), shown, check.names = FALSE,
                    stringsAsFactors = FALSE)
  names(out) <- c("Category", paste0(colnames(counts), ""))
  if (!is.null(screened)) {
    check_count(screened, len = 1L)
    out <- rbind(data.frame(Category = "Screened/enrolled",
                            matrix(c(rep("", length(arms)), as.character(screened)), nrow = 1,
                                   dimnames = list(NULL, colnames(counts))),
                            check.names = FALSE, stringsAsFactors = FALSE), out)
  }
  rownames(out) <- NULL
  structure(out, counts = counts,
            class = c("glycotrial_disposition", "glycotrial_table", "data.frame"))
}

#' @export
print.glycotrial_table <- function(x, ..., n = 40) {
  df <- x
  class(df) <- "data.frame"
  attr(df, "n") <- NULL
  attr(df, "counts") <- NULL
  console_cat(console_table(df, n = n))
  invisible(x)
}

#' HTML table for reports
#'
#' Formats any data frame (including glycotrial result tables) as an HTML
#' table for R Markdown: numbers are rounded to `digits`, `NA` shown as
#' `"-"`. Areas of glycotrial use it in their `knit_print()` methods, and
#' users can call it in their own documents.
#'
#' @param x A data frame.
#' @param caption Optional caption.
#' @param digits Decimals for numeric columns.
#' @param format `"auto"` (the output format being knitted: a fitted
#'   [report_flextable()] for Word, HTML otherwise), `"html"`, `"markdown"`
#'   (pipe table) or `"docx"`.
#' @return A `knit_asis` object (character string of the table, or the
#'   Word XML of the flextable).
#' @examples
#' report_table(head(adsl[, c("USUBJID", "ARM", "AGE")]), caption = "Subjects")
#' @export
report_table <- function(x, caption = NULL, digits = 2, format = c("auto", "html", "markdown", "docx")) {
  format <- check_choice(format[1], c("auto", "html", "markdown", "docx"), arg = "format")
  if (format == "auto") format <- report_output_kind()
  if (format == "docx") return(word_knit_table(report_flextable(x, caption = caption, digits = digits)))
  if (is.null(caption) && inherits(x, "glycotrial_safety")) caption <- x$title
  # A safety table's footnote (what n (%) counts, the risk-difference CI method).
  footnote <- if (inherits(x, "glycotrial_safety")) x$meta$footnote else attr(x, "footnote")
  if (inherits(x, c("glycotrial_safety", "glycotrial_responder_analysis", "glycotrial_lsmeans"))) {
    x <- word_display_frame(x)
  }
  if (!is.data.frame(x) && !is.matrix(x)) {
    glycotrial_abort("{.arg x} must be a data frame or matrix, not {describe_value(x)}.")
  }
  check_count(digits, len = 1L)
  if (!is.null(caption)) check_string(caption)
  if (!requireNamespace("knitr", quietly = TRUE)) {
    glycotrial_abort("Package {.pkg knitr} is needed for {.fn report_table}.",
                     class = c("glycotrial_error_missing_package", "input"))
  }
  df <- as.data.frame(x, stringsAsFactors = FALSE)
  class(df) <- "data.frame"
  for (nm in names(df)) {
    v <- df[[nm]]
    if (is.numeric(v)) {
      isint <- all(is.na(v) | v == round(v))
      df[[nm]] <- ifelse(is.na(v), "-", if (isint) format(v, trim = TRUE) else fmt_num(v, digits))
    } else if (inherits(v, "Date")) {
      df[[nm]] <- format(v)
    } else {
      df[[nm]] <- ifelse(is.na(v), "-", as.character(v))
    }
  }
  fmt <- if (format == "html") "html" else "pipe"
  tab <- knitr::kable(df, format = fmt, caption = caption, row.names = FALSE,
                      escape = TRUE, align = c("l", rep("r", max(0, ncol(df) - 1))),
                      table.attr = if (fmt == "html") 'class="table table-condensed glycotrial-table"' else NULL)
  note <- if (length(footnote) && nzchar(footnote[1])) {
    if (fmt == "html") sprintf('<p class="glycotrial-footnote"><small>%s</small></p>', html_escape(footnote[1]))
    else paste0("*", gsub("([_*`\\[\\]])", "\\\\\\1", footnote[1]), "*")
  }
  knitr::asis_output(paste(c("", tab, "", note, if (length(note)) ""), collapse = "\n"))
}

html_escape <- function(x) {
  x <- gsub("&", "&amp;", x, fixed = TRUE)
  x <- gsub("<", "&lt;", x, fixed = TRUE)
  gsub(">", "&gt;", x, fixed = TRUE)
}

knit_print_glycotrial_table <- function(x, options = NULL, ...) {
  report_table(x, caption = options$tab.cap)
}
