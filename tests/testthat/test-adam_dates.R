# AE onset windows with real-world date and flag columns. One
# date reader (R/adam_dates.R) and one flag reader (R/adam_flags.R); each
# format is either read correctly (the result equals the one on the clean
# numeric/Date data) or refused with a classed error.

read_date <- function(x, ...) glycotrial:::read_adam_date(x, "X", "d", ...)

test_that("the date reader accepts ISO 8601, DATE9, Date/POSIXct and origin-explicit numbers", {
  ref <- as.Date(c("2024-01-01", "2024-02-29", NA))
  expect_equal(read_date(c("2024-01-01", "2024-02-29", "")), ref)
  expect_equal(read_date(c("2024-01-01T08:30:00", "2024-02-29 23:59", NA)), ref)
  expect_equal(read_date(c("01JAN2024", "29feb2024", " ")), ref)
  expect_equal(read_date(factor(c("01JAN2024", "29FEB2024", NA))), ref)
  expect_equal(read_date(ref), ref)
  expect_equal(read_date(as.POSIXct(c("2024-01-01 23:30", "2024-02-29 00:10", NA), tz = "UTC")), ref)
  # Numeric SAS dates: days since 1960-01-01 (SAS: '01JAN2024'd = 23376).
  expect_equal(read_date(c(23376, 23435, NA), numeric_dates = "sas"), ref)
  expect_equal(read_date(as.numeric(ref), numeric_dates = "r"), ref)
  # Partial ISO dates: first or last day of the month / year.
  expect_equal(read_date(c("2024-02", "2024")), as.Date(c("2024-02-01", "2024-01-01")))
  expect_equal(read_date(c("2024-02", "2023"), partial = "last"),
               as.Date(c("2024-02-29", "2023-12-31")))
  expect_equal(read_date(c("2023-12"), partial = "last"), as.Date("2023-12-31"))
})

test_that("ambiguous, impossible and unknown dates are classed errors", {
  expect_error(read_date("01/02/2024"), "cannot be told apart",
               class = "glycotrial_error_date_ambiguous")
  expect_error(read_date(c(23376, 1)), "1960-01-01", class = "glycotrial_error_date_ambiguous")
  expect_error(read_date("2024-02-30"), class = "glycotrial_error_date_invalid")
  expect_error(read_date("31FEB2024"), class = "glycotrial_error_date_invalid")
  expect_error(read_date("2024-13"), class = "glycotrial_error_date_invalid")
  expect_error(read_date("yesterday"), "not a date", class = "glycotrial_error_date_invalid")
  expect_error(read_date(TRUE), class = "glycotrial_error_date")
  expect_error(read_date(1.5, numeric_dates = "sas"), class = "glycotrial_error_date_invalid")
  for (f in list(function() read_date("01/02/2024"), function() read_date("x"))) {
    expect_error(f(), class = "glycotrial_error_input")
    expect_error(f(), class = "glycotrial_error_date")
  }
})

test_that("study days: factor labels, 'Day -20' text; nonsense refused", {
  rd <- function(x) glycotrial:::read_study_day(x, "ASTDY", "adae")
  expect_equal(rd(factor(c("10", "-3", "2"))), c(10, -3, 2))  # labels, not codes 3, 1, 2
  expect_equal(rd(c("Day -20", "DAY 5", "d3", "12", "", NA)), c(-20, 5, 3, 12, NA, NA))
  expect_error(rd(c("5", "after dose")), "not a study day", class = "glycotrial_error_study_day")
  expect_error(rd(list(1)), class = "glycotrial_error_input")
})

test_that("flags: Y/N spellings accepted case-insensitively, others refused", {
  rf <- function(x) glycotrial:::read_adam_flag(x, "SAFFL", "adsl")
  expect_equal(rf(c("Y", "y", "Yes", "YES", "N", "no", "", NA)),
               c(TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, NA, NA))
  expect_equal(rf(c(TRUE, FALSE, NA)), c(TRUE, FALSE, NA))
  expect_equal(rf(c(1, 0, NA)), c(TRUE, FALSE, NA))
  expect_equal(rf(factor(c("true", "False", "1", "0"))), c(TRUE, FALSE, TRUE, FALSE))
  expect_error(rf(c("Y", "maybe")), "maybe", class = "glycotrial_error_flag")
  expect_error(rf(c(1, 2)), class = "glycotrial_error_flag")
  expect_error(rf(as.Date("2024-01-01")), class = "glycotrial_error_input")
})

# The AE toy trial (helper-safety.R) with the onset window instead of the flag:
# the reference is the window on the clean numeric ASTDY and Date TRTSDT/TRTEDT.
window_ref <- function() {
  d <- safety_toy()
  d$adae$TRTEMFL <- NULL
  d
}

test_that("onset windows give the same counts whatever the date/day format", {
  d <- window_ref()
  ref <- ae_by_term(d$adae, d$adsl)
  n_any <- function(r) r$ard$stat[r$ard$level == "any" & r$ard$stat_name == "n"]
  # Hand count, window day 1..90+30: S1, S2 in A (S1 days 5, 20, 10; S2 day 3);
  # B: S4 day 15 (day -3 is before), S5 onset missing counts (conservative).
  expect_equal(n_any(ref), c(2, 2, 0))

  # Factor ASTDY (codes would be 1..k, not the days).
  f <- d
  f$adae$ASTDY <- factor(f$adae$ASTDY)
  expect_equal(ae_by_term(f$adae, f$adsl)$ard, ref$ard)
  # "Day -20" strings.
  s <- d
  s$adae$ASTDY <- ifelse(is.na(d$adae$ASTDY), NA, paste("Day", d$adae$ASTDY))
  expect_equal(ae_by_term(s$adae, s$adsl)$ard, ref$ard)
  # Onset as a Date column (ASTDT), converted to the study day (no day 0).
  dt <- d
  dy <- d$adae$ASTDY
  dt$adae$ASTDT <- as.Date("2024-01-01") + ifelse(dy > 0, dy - 1, dy)
  dt$adae$ASTDY <- NULL
  expect_equal(ae_by_term(dt$adae, dt$adsl, vars = ae_vars(onset_day = "ASTDT"))$ard, ref$ard)
  # ... and as ISO text / DATE9 text.
  iso <- dt
  iso$adae$ASTDT <- format(dt$adae$ASTDT)
  expect_equal(ae_by_term(iso$adae, iso$adsl, vars = ae_vars(onset_day = "ASTDT"))$ard, ref$ard)
  # ADSL treatment dates as DATE9 text and as numeric SAS dates.
  d9 <- d
  d9$adsl$TRTEDT <- c("30MAR2024", "30MAR2024", "30MAR2024", "30MAR2024", "30MAR2024", "30MAR2024")
  withr::with_locale(c(LC_TIME = "C"), {
    d9$adsl$TRTSDT <- toupper(format(d$adsl$TRTSDT, "%d%b%Y"))
  })
  expect_equal(ae_by_term(d9$adae, d9$adsl)$ard, ref$ard)
  sas <- d
  sas$adsl$TRTSDT <- as.numeric(d$adsl$TRTSDT - as.Date("1960-01-01"))
  sas$adsl$TRTEDT <- as.numeric(d$adsl$TRTEDT - as.Date("1960-01-01"))
  expect_error(ae_by_term(sas$adae, sas$adsl), class = "glycotrial_error_date_ambiguous")
  expect_equal(ae_by_term(sas$adae, sas$adsl, vars = ae_vars(numeric_dates = "sas"))$ard, ref$ard)
})

test_that("impossible or missing treatment windows are refused, not silently opened", {
  d <- window_ref()
  us <- d
  us$adsl$TRTSDT <- "01/02/2024"
  expect_error(ae_by_term(us$adae, us$adsl), class = "glycotrial_error_date_ambiguous")
  rev <- d
  rev$adsl$TRTEDT[1] <- as.Date("2023-12-01")
  expect_error(ae_by_term(rev$adae, rev$adsl), "before it starts",
               class = "glycotrial_error_date_window")
  nodates <- d
  nodates$adsl$TRTSDT <- nodates$adsl$TRTEDT <- NULL
  expect_error(ae_by_term(nodates$adae, nodates$adsl), class = "glycotrial_error_date_window")
  # A subject still on treatment (no end date): open window, said in a message.
  open <- d
  open$adsl$TRTEDT[4] <- NA
  expect_message(ae_by_term(open$adae, open$adsl), class = "glycotrial_message_open_window")
  # Onset dates without a first-dose date cannot become study days.
  dt <- d
  dt$adae$ASTDT <- as.Date("2024-01-05")
  dt$adsl$TRTSDT <- NULL
  expect_error(ae_by_term(dt$adae, dt$adsl, vars = ae_vars(onset_day = "ASTDT")),
               class = "glycotrial_error_date_window")
})

test_that("population and TEAE flags in any common spelling give the same table", {
  d <- safety_toy()
  ref <- ae_by_term(d$adae, d$adsl)
  for (yes_no in list(c("y", "n"), c("Yes", "No"), c(TRUE, FALSE), c(1, 0))) {
    x <- d
    x$adsl$SAFFL <- ifelse(d$adsl$SAFFL == "Y", yes_no[1], yes_no[2])
    x$adae$TRTEMFL <- ifelse(d$adae$TRTEMFL %in% "Y", yes_no[1],
                             ifelse(is.na(d$adae$TRTEMFL), NA, yes_no[2]))
    expect_equal(ae_by_term(x$adae, x$adsl)$ard, ref$ard)
  }
  bad <- d
  bad$adsl$SAFFL[1] <- "maybe"
  expect_error(ae_by_term(bad$adae, bad$adsl), "maybe", class = "glycotrial_error_flag")
  bad <- d
  bad$adae$TRTEMFL[1] <- "X"
  expect_error(ae_by_term(bad$adae, bad$adsl), class = "glycotrial_error_flag")
})

test_that("infusion_fever reads text dates and 'Day n' study days like Date / numbers", {
  # The study-day case of test-safety_fever.R with the days as text and as
  # dates (day 1 = 2024-01-01): the same grades and durations.
  adsl <- data.frame(USUBJID = c("D1", "D2"), ARM = c("A", "B"), SAFFL = "Y")
  adex <- data.frame(USUBJID = c("D1", "D2"), EXINFNO = 1, ASTDY = 1, ASTTM = "08:00")
  advs <- data.frame(USUBJID = c("D1", "D1", "D2", "D2", "D2"), PARAMCD = "TEMP",
                     AVAL = c(40.6, 40.4, 40.6, 40.4, 40.2), ADY = c(2, 3, 2, 3, 4),
                     ATM = c("08:00", "09:00", "10:00", "10:00", "07:00"))
  run <- function(advs, adex) {
    infusion_fever(advs, adsl, adex, window = c(0, 5), unit = "days", vs_time = "ADY",
                   ex_time = "ASTDY", vs_clock = "ATM", ex_clock = "ASTTM")$data$subjects
  }
  ref <- run(advs, adex)
  expect_equal(ref$fever_hours, c(25, 45))
  txt <- advs
  txt$ADY <- paste("Day", advs$ADY)
  expect_equal(run(txt, transform(adex, ASTDY = "Day 1")), ref)
  dts <- advs
  dts$ADY <- format(as.Date("2024-01-01") + advs$ADY - 1)
  expect_equal(run(dts, transform(adex, ASTDY = "01JAN2024")), ref)
  expect_error(run(transform(advs, ADY = "02/01/2024"), adex),
               class = "glycotrial_error_date_ambiguous")
})

test_that("the serious flag in any common spelling gives the same overview", {
  d <- safety_toy()
  ref <- ae_overview(d$adae, d$adsl)
  x <- d
  x$adae$AESER <- ifelse(d$adae$AESER == "Y", "yes", "no")
  expect_equal(ae_overview(x$adae, x$adsl)$ard, ref$ard)
  x$adae$AESER <- d$adae$AESER == "Y"
  expect_equal(ae_overview(x$adae, x$adsl)$ard, ref$ard)
  x$adae$AESER[1] <- NA
  x$adae$AESER <- ifelse(is.na(x$adae$AESER), "unknown", "Y")
  expect_error(ae_overview(x$adae, x$adsl), class = "glycotrial_error_flag")
})
