# The result object shared by every safety summary: an analysis-results data
# frame (ARD: one row per statistic, pharmaverse "cards" style), a display
# table (one row per table line, one column per arm), a title and the
# settings used. Methods: print, format, as.data.frame, tidy, as_flextable
# (when flextable is installed) and autoplot where a plot fits.

new_safety_result <- function(ard, table, title, subclass, meta = list(), data = list()) {
  rownames(ard) <- NULL
  rownames(table) <- NULL
  structure(list(ard = ard, table = table, title = title, meta = meta, data = data),
            class = c(subclass, "glycotrial_safety"))
}

# Long ARD from a wide frame of group columns and statistics.
ard_long <- function(df, group_cols, stat_cols, labels = stat_cols) {
  if (nrow(df) == 0) {
    out <- df[0, group_cols, drop = FALSE]
    out$stat_name <- character()
    out$stat_label <- character()
    out$stat <- numeric()
    return(out)
  }
  parts <- lapply(seq_along(stat_cols), function(j) {
    p <- df[, group_cols, drop = FALSE]
    p$stat_name <- stat_cols[j]
    p$stat_label <- labels[j]
    p$stat <- as.numeric(df[[stat_cols[j]]])
    p$.row <- seq_len(nrow(df))
    p$.col <- j
    p
  })
  out <- do.call(rbind, parts)
  out <- out[order(out$.row, out$.col), , drop = FALSE]
  out$.row <- out$.col <- NULL
  rownames(out) <- NULL
  out
}

fmt_n_pct <- function(n, N, digits = 1) {
  N <- rep_len(N, length(n))
  pct <- ifelse(N > 0, 100 * n / N, NA_real_)
  ifelse(is.na(pct), paste0(n), sprintf(paste0("%d (%.", digits, "f)"), as.integer(n), pct))
}

fmt_est_ci <- function(est, lo, hi, digits = 1) {
  ifelse(is.na(est), "",
         sprintf(paste0("%.", digits, "f (%.", digits, "f, %.", digits, "f)"), est, lo, hi))
}

#' Methods for glycotrial safety summaries
#'
#' Every safety summary ([ae_overview()], [ae_by_term()],
#' [ae_special_interest()], [infusion_reactions()], [infusion_fever()], [ae_time_to_first()],
#' [lab_shift()], [lab_worst_grade()], [hys_law()], [egfr_decline()],
#' [lab_trajectory()]) returns an object of class `glycotrial_safety` holding
#' an analysis-results data frame (`$ard`, one row per statistic) and a display
#' table (`$table`). `as.data.frame()` and `tidy()` return the ARD; `print()`
#' shows the display table; `as_flextable()` (flextable package) renders it
#' for HTML or Word.
#'
#' @param x A `glycotrial_safety` object.
#' @param ... Unused.
#' @param row.names,optional Ignored (for the generic).
#' @param n Maximum number of table rows to print.
#' @return `as.data.frame()`/`tidy()`: the ARD data frame with grouping
#'   columns, `stat_name`, `stat_label` and `stat`. `format()`: the display
#'   table as a character data frame. `print()`: `x`, invisibly.
#' @examples
#' adsl <- data.frame(USUBJID = 1:4, ARM = c("A", "A", "B", "B"), SAFFL = "Y")
#' adae <- data.frame(USUBJID = c(1, 1, 3), AEDECOD = c("Nausea", "Rash", "Nausea"),
#'                    AEBODSYS = c("GI", "Skin", "GI"), TRTEMFL = "Y")
#' res <- ae_by_term(adae, adsl)
#' res
#' head(as.data.frame(res))
#' @name safety_methods
NULL

#' @rdname safety_methods
#' @export
as.data.frame.glycotrial_safety <- function(x, row.names = NULL, optional = FALSE, ...) {
  x$ard
}

#' @rdname safety_methods
#' @importFrom generics tidy
#' @export
tidy.glycotrial_safety <- function(x, ...) {
  x$ard
}

#' @rdname safety_methods
#' @export
format.glycotrial_safety <- function(x, ...) {
  tab <- x$table
  tab[] <- lapply(tab, function(col) {
    if (is.numeric(col)) format(col, digits = 4) else as.character(col)
  })
  tab
}

#' @rdname safety_methods
#' @export
print.glycotrial_safety <- function(x, ..., n = 30) {
  cat(x$title, "\n", sep = "")
  if (!is.null(x$meta$subtitle)) cat(x$meta$subtitle, "\n", sep = "")
  tab <- format(x)
  if (nrow(tab) == 0) {
    cat("(no rows)\n")
  } else {
    console_cat(console_table(tab, n = n))
  }
  if (!is.null(x$meta$footnote)) cat(x$meta$footnote, "\n", sep = "")
  invisible(x)
}

# flextable::as_flextable method, registered when flextable loads.
as_flextable_glycotrial_safety <- function(x, ...) {
  report_flextable(x, ...)
}
