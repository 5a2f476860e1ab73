# Dates and study days as they arrive from real ADaM exports: ISO 8601
# (full, partial, with a time part), R Date/POSIXct, SAS DATE9 ("01JAN2024"),
# numeric SAS dates (days since 1960-01-01) and study days written as text
# ("Day -20"). Every date and study day the safety layer reads goes through
# here, so a format is either read correctly or refused with a classed error;
# never a factor code used as a day, a US date read as year 1 or a
# string turned into NA.

date9_months <- c("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                  "NOV", "DEC")

# Origin of numeric dates: "sas" (days since 1960-01-01, SAS and SPSS exports
# read without formats), "r" (days since 1970-01-01), or "none" (refuse: a
# number alone does not say which).
numeric_date_origin <- function(numeric_dates) {
  switch(numeric_dates, sas = as.Date("1960-01-01"), r = as.Date("1970-01-01"), NULL)
}

date_error <- function(msg, column, data, class, call, .envir = parent.frame()) {
  glycotrial_abort(msg, class = c("input", class, "glycotrial_error_date"), call = call,
                   .envir = .envir)
}

#' Read a date column of an ADaM data set
#'
#' Accepts `Date`, `POSIXct`/`POSIXlt`, ISO 8601 text (`"2024-01-31"`,
#' `"2024-01-31T08:30"`, and the partial `"2024-01"` and `"2024"`), SAS DATE9
#' text (`"31JAN2024"`), and numbers when their origin is given explicitly
#' (`numeric_dates = "sas"`: days since 1960-01-01; `"r"`: days since
#' 1970-01-01). Blank and `NA` are missing. Text such as `"01/02/2024"` (day
#' and month cannot be told apart), impossible dates (`"2024-02-30"`) and
#' anything else are refused with a classed error, as are numbers without an
#' origin.
#'
#' @param x The column.
#' @param column,data Column and data-set names used in messages.
#' @param numeric_dates Origin of numeric dates: `"none"` (refuse numbers),
#'   `"sas"` or `"r"`.
#' @param partial How partial ISO dates are completed: `"first"` (first day of
#'   the month or year, the usual imputation of a start date) or `"last"` (last
#'   day, for an end date).
#' @param call Call reported in errors.
#' @return A `Date` vector.
#' @noRd
read_adam_date <- function(x, column = "date", data = "data",
                           numeric_dates = c("none", "sas", "r"),
                           partial = c("first", "last"), call = sys.call(-1)) {
  numeric_dates <- match.arg(numeric_dates)
  partial <- match.arg(partial)
  if (inherits(x, "Date")) return(as.Date(x))
  if (inherits(x, "POSIXlt")) x <- as.POSIXct(x)
  if (inherits(x, "POSIXct")) {
    tz <- attr(x, "tzone")
    return(as.Date(format(x, "%Y-%m-%d", tz = if (is.null(tz)) "" else tz[1])))
  }
  if (is.numeric(x)) {
    origin <- numeric_date_origin(numeric_dates)
    if (is.null(origin)) {
      date_error(c("{.arg {data}} column {.field {column}} holds numbers, not dates; their origin is unknown.",
                   "i" = "Numeric SAS dates count days from 1960-01-01: say so with {.code numeric_dates = \"sas\"} (or {.code \"r\"} for days from 1970-01-01), or convert the column to {.cls Date}."),
                 column, data, "glycotrial_error_date_ambiguous", call)
    }
    bad <- !is.na(x) & (!is.finite(x) | x != round(x))
    if (any(bad)) {
      date_error("{.arg {data}} column {.field {column}} has non-integer day count{?s} {.val {unique(x[bad])[1]}}.",
                 column, data, "glycotrial_error_date_invalid", call)
    }
    return(origin + as.numeric(x))
  }
  if (!(is.character(x) || is.factor(x)) || is.list(x)) {
    date_error("{.arg {data}} column {.field {column}} must hold dates, not {describe_value(x)}.",
               column, data, "glycotrial_error_date_invalid", call)
  }
  # Parse the distinct values only.
  u <- unique(as.character(x))
  v <- toupper(trimws(u))
  out <- rep(as.Date(NA), length(u))
  miss <- is.na(v) | v == ""
  iso_full <- grepl("^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]*([+-][0-9:]+|Z)?)?$", v)
  iso_month <- grepl("^[0-9]{4}-[0-9]{2}$", v)
  iso_year <- grepl("^[0-9]{4}$", v)
  date9 <- grepl("^[0-9]{1,2}[A-Z]{3}[0-9]{4}$", v)
  slash <- grepl("^[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}$", v)
  ymd <- function(y, m, d) {
    s <- sprintf("%04d-%02d-%02d", y, m, d)
    r <- as.Date(s, format = "%Y-%m-%d", optional = TRUE)
    # as.Date() accepts "2024-02-30" as NA; check the round trip.
    r[!is.na(r) & format(r, "%Y-%m-%d") != s] <- NA
    r
  }
  if (any(iso_full)) {
    p <- substr(v[iso_full], 1, 10)
    out[iso_full] <- ymd(as.integer(substr(p, 1, 4)), as.integer(substr(p, 6, 7)),
                         as.integer(substr(p, 9, 10)))
  }
  month_end <- function(y, m) {
    first <- ymd(y, m, 1L)
    nxt <- ymd(ifelse(m == 12L, y + 1L, y), ifelse(m == 12L, 1L, m + 1L), 1L)
    nxt - 1
  }
  if (any(iso_month)) {
    y <- as.integer(substr(v[iso_month], 1, 4))
    m <- as.integer(substr(v[iso_month], 6, 7))
    ok <- m >= 1L & m <= 12L
    r <- rep(as.Date(NA), length(y))
    r[ok] <- if (partial == "first") ymd(y[ok], m[ok], 1L) else month_end(y[ok], m[ok])
    out[iso_month] <- r
  }
  if (any(iso_year)) {
    y <- as.integer(v[iso_year])
    out[iso_year] <- if (partial == "first") ymd(y, 1L, 1L) else ymd(y, 12L, 31L)
  }
  if (any(date9)) {
    s <- v[date9]
    n <- nchar(s)
    d <- as.integer(substr(s, 1, n - 7))
    m <- match(substr(s, n - 6, n - 4), date9_months)
    y <- as.integer(substr(s, n - 3, n))
    r <- rep(as.Date(NA), length(s))
    ok <- !is.na(m)
    r[ok] <- ymd(y[ok], m[ok], d[ok])
    out[date9] <- r
  }
  if (any(slash & !miss)) {
    date_error(c("{.arg {data}} column {.field {column}} has date{?s} such as {.val {u[slash][1]}} whose day and month cannot be told apart.",
                 "i" = "Convert the column to ISO 8601 ({.val 2024-02-01}) or {.cls Date}."),
               column, data, "glycotrial_error_date_ambiguous", call)
  }
  recognised <- iso_full | iso_month | iso_year | date9
  impossible <- recognised & !miss & is.na(out)
  if (any(impossible)) {
    date_error("{.arg {data}} column {.field {column}} has impossible date{?s} {.val {u[impossible][1:min(3, sum(impossible))]}}.",
               column, data, "glycotrial_error_date_invalid", call)
  }
  unknown <- !recognised & !miss
  if (any(unknown)) {
    date_error(c("{.arg {data}} column {.field {column}} has value{?s} {.val {u[unknown][1:min(3, sum(unknown))]}} that {?is/are} not a date.",
                 "i" = "Accepted: ISO 8601 ({.val 2024-01-31}, partial {.val 2024-01}), SAS DATE9 ({.val 31JAN2024}), {.cls Date}/{.cls POSIXct}, numbers with {.arg numeric_dates}."),
               column, data, "glycotrial_error_date_invalid", call)
  }
  out[match(as.character(x), u)]
}

# Does a column hold dates rather than study days? Date/POSIXct always; text
# when some value has the shape of a date (ISO 8601, DATE9, d/m/y); other
# text is read as study days (and refused there if it is neither).
is_date_like <- function(x) {
  if (inherits(x, c("Date", "POSIXct", "POSIXlt"))) return(TRUE)
  if (!(is.character(x) || is.factor(x))) return(FALSE)
  u <- toupper(trimws(unique(as.character(x))))
  u <- u[!is.na(u) & u != ""]
  any(grepl(date_shape_pattern, u))
}

date_shape_pattern <- paste0("^[0-9]{4}-[0-9]{2}(-[0-9]{2})?|^[0-9]{1,2}[A-Z]{3}[0-9]{4}$|",
                             "^[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}$")

study_day_pattern <- "^(STUDY )?(DAY|D)? *[+-]? *[0-9]+(\\.[0-9]+)?$"

#' Read a study-day column
#'
#' Numbers are study days; factors are read by their labels (never their
#' codes); text may be a number or `"Day -20"`, `"DAY 5"`, `"D3"`. Blank and
#' `NA` are missing; anything else is a classed error.
#' @noRd
read_study_day <- function(x, column = "day", data = "data", call = sys.call(-1)) {
  if (is.numeric(x) && !inherits(x, c("Date", "POSIXct", "difftime"))) return(as.numeric(x))
  if (inherits(x, "difftime")) return(as.numeric(x, units = "days"))
  if (is.logical(x) && all(is.na(x))) return(as.numeric(x))
  if (!(is.character(x) || is.factor(x))) {
    date_error("{.arg {data}} column {.field {column}} must hold study days, not {describe_value(x)}.",
               column, data, "glycotrial_error_study_day", call)
  }
  u <- unique(as.character(x))
  v <- toupper(trimws(u))
  miss <- is.na(v) | v == ""
  ok <- grepl(study_day_pattern, v)
  bad <- !miss & !ok
  if (any(bad)) {
    date_error(c("{.arg {data}} column {.field {column}} has value{?s} {.val {u[bad][1:min(3, sum(bad))]}} that {?is/are} not a study day.",
                 "i" = "Study days are numbers (or text such as {.val Day -20})."),
               column, data, "glycotrial_error_study_day", call)
  }
  num <- rep(NA_real_, length(u))
  num[ok] <- as.numeric(gsub(" ", "", sub("^(STUDY )?(DAY|D)?", "", v[ok])))
  num[match(as.character(x), u)]
}

# ADaM study day of a date relative to the first dose: no day 0 (day 1 = the
# first-dose date, day -1 = the day before).
study_day_from_dates <- function(date, start) {
  d <- as.numeric(date - start)
  ifelse(d >= 0, d + 1, d)
}
