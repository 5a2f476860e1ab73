# AE onset for the report when the ADAE export has no study day ASTDY: the
# onset date, ASTDT where present and else the ISO 8601 collected date
# AESTDTC, partial dates ("2014-03", "2014") completed to the first day of the
# month or year (the usual start-date imputation), read by read_adam_date()
# (R/adam_dates.R) and turned into study days against ADSL's first-dose date.
# First-dose month rule (the usual AE start-date imputation convention): a
# partial onset whose month ("2014-03") or year ("2014") contains the
# subject's first-dose date is completed to the first-dose date, so an AE
# known only to start in the month (year) of the first dose counts as
# treatment-emergent rather than being dated before it.
# A column that cannot be read as dates is not used, and the report says so.

# Returns list(adae, onset_day, notes): adae with the derived onset date in
# column ".ONSETDT" when one was built, the ae_vars() onset column to use, and
# the lines for the report's data notes.
report_ae_onset <- function(adae, adsl, trt_start = "TRTSDT") {
  out <- list(adae = adae, onset_day = "ASTDY", notes = character())
  if (is.null(adae) || "ASTDY" %in% names(adae) || !trt_start %in% names(adsl)) return(out)
  cols <- intersect(c("ASTDT", "AESTDTC"), names(adae))
  date <- rep(as.Date(NA), nrow(adae))
  from_dtc <- partial <- at_first_dose <- 0L
  first_dose <- tryCatch(read_adam_date(adsl[[trt_start]], trt_start, "adsl"),
                         glycotrial_error_date = function(e) NULL)
  if (!is.null(first_dose)) first_dose <- first_dose[match(adae$USUBJID, adsl$USUBJID)]
  for (col in cols) {
    d <- tryCatch(read_adam_date(adae[[col]], col, "adae", partial = "first"),
                  glycotrial_error_date = function(e) NULL)
    if (is.null(d)) {
      out$notes <- c(out$notes, sprintf("ADAE column %s could not be read as dates and is not used for the AE onset.", col))
      next
    }
    # First-dose month (year) rule for partial dates.
    txt <- if (is.character(adae[[col]]) || is.factor(adae[[col]])) trimws(as.character(adae[[col]])) else NULL
    if (!is.null(txt) && !is.null(first_dose)) {
      part <- !is.na(d) & !is.na(txt) & nchar(txt) %in% c(4L, 7L) & !is.na(first_dose)
      if (any(part)) {
        last <- read_adam_date(adae[[col]], col, "adae", partial = "last")
        move <- part & first_dose > d & first_dose <= last
        d[move] <- first_dose[move]
        at_first_dose <- at_first_dose + sum(move & is.na(date))
      }
    }
    fill <- is.na(date) & !is.na(d)
    if (col == "AESTDTC") {
      from_dtc <- sum(fill)
      partial <- sum(fill & nchar(trimws(as.character(adae[[col]]))) < 10)
    }
    date[fill] <- d[fill]
  }
  if (all(is.na(date))) return(out)
  out$adae$.ONSETDT <- date
  out$onset_day <- ".ONSETDT"
  if (from_dtc > 0) {
    out$notes <- c(out$notes, sprintf(
      "%d AE onset date%s taken from AESTDTC (ASTDT missing)%s.", from_dtc, if (from_dtc > 1) "s" else "",
      if (partial > 0) sprintf(", %d of them partial and completed to the first day of the month or year", partial) else ""))
  }
  if (at_first_dose > 0) {
    out$notes <- c(out$notes, sprintf(
      "%d partial AE onset date%s in the month (or year) of the first dose completed to the first-dose date (counted as treatment-emergent).",
      at_first_dose, if (at_first_dose > 1) "s" else ""))
  }
  out
}
