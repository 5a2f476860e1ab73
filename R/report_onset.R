# AE onset for the report when the ADAE export has no study day ASTDY: the
# onset date, ASTDT where present and else the ISO 8601 collected date
# AESTDTC, partial dates ("2014-03", "2014") completed to the first day of the
# month or year (the usual start-date imputation), read by read_adam_date()
# (R/adam_dates.R) and turned into study days against ADSL's first-dose date.
# A column that cannot be read as dates is not used, and the report says so.

# Returns list(adae, onset_day, notes): adae with the derived onset date in
# column ".ONSETDT" when one was built, the ae_vars() onset column to use, and
# the lines for the report's data notes.
report_ae_onset <- function(adae, adsl, trt_start = "TRTSDT") {
  out <- list(adae = adae, onset_day = "ASTDY", notes = character())
  if (is.null(adae) || "ASTDY" %in% names(adae) || !trt_start %in% names(adsl)) return(out)
  cols <- intersect(c("ASTDT", "AESTDTC"), names(adae))
  date <- rep(as.Date(NA), nrow(adae))
  from_dtc <- partial <- 0L
  for (col in cols) {
    d <- tryCatch(read_adam_date(adae[[col]], col, "adae", partial = "first"),
                  glycotrial_error_date = function(e) NULL)
    if (is.null(d)) {
      out$notes <- c(out$notes, sprintf("ADAE column %s could not be read as dates and is not used for the AE onset.", col))
      next
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
  out
}
