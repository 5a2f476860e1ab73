# Change from baseline of indices by arm and visit: the secondary analysis of
# beta-cell function and insulin resistance.

#' Change from baseline of indices by arm and visit
#'
#' Turns the result of [beta_cell_indices()] (wide or long) into ADaM-style
#' change-from-baseline records (`BASE`, `CHG`), ready for `mmrm_fit()`, and
#' summarises them by index, arm and visit. Skewed indices (HOMA-IR, Matsuda,
#' C-peptide indices) are usually analysed on the log scale: with `log =
#' TRUE`, `CHG` is `log(AVAL) - log(BASE)` and the summary back-transforms the
#' mean and its t confidence interval to a geometric mean ratio to baseline.
#'
#' @param x Result of [beta_cell_indices()], or a long data frame with
#'   `subject`, `visit`, `arm`, `PARAMCD` and `AVAL` columns.
#' @param baseline Value of `visit` that marks the baseline.
#' @param subject,visit,arm Column names.
#' @param indices Index keys to keep (`NULL`: all).
#' @param log Analyse on the log scale?
#' @param conf_level Confidence level of the intervals in the summary.
#' @return An object of class `glycotrial_index_change`: a list with `data`
#'   (one row per subject, visit and index: `AVAL`, `BASE`, `CHG`, `ABLFL`) and
#'   `summary` (per index, arm and post-baseline visit: `n`, `mean_base`,
#'   `mean_chg`, `sd_chg`, `lower`, `upper`, and with `log = TRUE` the
#'   geometric mean `ratio` with `ratio_lower`, `ratio_upper`).
#' @examples
#' adlb <- data.frame(
#'   USUBJID = rep(c("S1", "S2"), each = 4), ARM = rep(c("A", "B"), each = 4),
#'   AVISIT = rep(rep(c("Baseline", "Week 48"), each = 2), 2),
#'   PARAMCD = rep(c("FPG", "FINS"), 4),
#'   AVAL = c(8.1, 10, 7.2, 9, 9.0, 14, 8.8, 13),
#'   AVALU = rep(c("mmol/L", "uU/mL"), 4))
#' x <- beta_cell_indices(adlb, c("homa1_ir", "homa1_b"), keep = "ARM")
#' index_change(x, log = TRUE)
#' @export
index_change <- function(x, baseline = "Baseline", subject = "USUBJID", visit = "AVISIT",
                         arm = "ARM", indices = NULL, log = FALSE, conf_level = 0.95) {
  check_flag(log)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  check_string(subject)
  check_string(visit)
  check_string(arm)
  if (length(baseline) != 1 || is.na(baseline)) {
    glycotrial_abort("{.arg baseline} must be a single visit value, not {describe_value(baseline)}.")
  }
  if (is.data.frame(x) && !"PARAMCD" %in% names(x) && !is.null(attr(x, "units"))) {
    keys <- names(attr(x, "units"))
    check_data_frame(x, c(subject, visit, arm, keys), arg = "x")
    x <- do.call(rbind, lapply(keys, function(k) {
      data.frame(x[c(subject, visit, arm)], PARAMCD = k, AVAL = x[[k]],
                 AVALU = attr(x, "units")[[k]], stringsAsFactors = FALSE)
    }))
  }
  check_data_frame(x, c(subject, visit, arm, "PARAMCD", "AVAL"), arg = "x")
  x <- as.data.frame(x)
  class(x) <- "data.frame"
  if (!is.null(indices)) x <- x[x$PARAMCD %in% indices, , drop = FALSE]
  is_base <- as.character(x[[visit]]) == as.character(baseline)
  if (!any(is_base)) {
    glycotrial_abort(c("No records at baseline visit {.val {baseline}} in column {.field {visit}}.",
                       "i" = "Visits present: {.val {unique(as.character(x[[visit]]))}}."))
  }
  bkey <- paste(x[[subject]], x$PARAMCD, sep = "\r")
  bx <- x[is_base, , drop = FALSE]
  dup <- duplicated(bkey[is_base])
  if (any(dup)) {
    glycotrial_abort("More than one baseline record for {.val {format_labels(unique(bkey[is_base][dup]))}}.")
  }
  x$BASE <- bx$AVAL[match(bkey, bkey[is_base])]
  x$ABLFL <- ifelse(is_base, "Y", "")
  if (log) {
    bad <- (!is.na(x$AVAL) & x$AVAL <= 0) | (!is.na(x$BASE) & x$BASE <= 0)
    if (any(bad)) {
      glycotrial_warn("{sum(bad)} record{?s} with non-positive values set to NA on the log scale.",
                      class = "glycotrial_warning_impossible_value")
    }
    x$CHG <- ifelse(bad, NA_real_, suppressWarnings(base::log(x$AVAL) - base::log(x$BASE)))
  } else {
    x$CHG <- x$AVAL - x$BASE
  }
  post <- x[!is_base & !is.na(x$CHG), , drop = FALSE]
  # visits in visit order (AVISITN when present; R/visit_order.R), not as text
  keep <- !duplicated(post[c("PARAMCD", arm, visit)])
  cells <- post[keep, c("PARAMCD", arm, visit), drop = FALSE]
  vrank <- visit_rank(post, visit)[keep]
  cells <- cells[order(cells$PARAMCD, cells[[arm]], vrank), , drop = FALSE]
  summ <- do.call(rbind, lapply(seq_len(nrow(cells)), function(k) {
    sel <- post$PARAMCD == cells$PARAMCD[k] & post[[arm]] == cells[[arm]][k] &
      post[[visit]] == cells[[visit]][k]
    v <- post$CHG[sel]
    n <- length(v)
    m <- mean(v)
    s <- if (n > 1) stats::sd(v) else NA_real_
    h <- if (n > 1) stats::qt(1 - (1 - conf_level) / 2, n - 1) * s / sqrt(n) else NA_real_
    row <- data.frame(cells[k, , drop = FALSE], n = n,
                      mean_base = if (log) exp(mean(base::log(post$BASE[sel]))) else mean(post$BASE[sel]),
                      mean_chg = m, sd_chg = s, lower = m - h, upper = m + h,
                      stringsAsFactors = FALSE, check.names = FALSE)
    if (log) {
      row$ratio <- exp(m)
      row$ratio_lower <- exp(m - h)
      row$ratio_upper <- exp(m + h)
    }
    row
  }))
  rownames(summ) <- NULL
  rownames(x) <- NULL
  structure(list(data = x, summary = summ, log = log, conf_level = conf_level),
            class = "glycotrial_index_change")
}

#' @export
print.glycotrial_index_change <- function(x, ...) {
  cat("<glycotrial change from baseline", if (x$log) " (log scale; ratio = geometric mean ratio)",
      ">\n", sep = "")
  print(x$summary, ...)
  invisible(x)
}
