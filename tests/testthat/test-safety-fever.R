# Fever after infusions: a constructed example worked out by hand.
#   Arm A: S1, S2; arm B: S3, S4, S5 (S5 received only infusion 1).
#   Infusion 1 on 1 Jan, infusion 2 on 15 Jan (08:00 for S1, 09:00 otherwise).
#   Window 0-48 h after each infusion start; CTCAE v5.0 fever: G1 >= 38.0,
#   G2 > 39.0, G3 > 40.0 degC.
#   S1: 07:00 1 Jan 38.5 (before infusion 1: out); +24 h 38.2 (G1); +48 h 39.5
#       (G2, window end included) -> infusion 1 worst G2, max 39.5;
#       +12 h after infusion 2 37.0 (G0).
#   S2: +48 h 1 min after infusion 1 40.5 (out); +1 h after infusion 2 39.0 (G1).
#   S3: +3 h after infusion 1 40.1 (G3); +3 h after infusion 2 38.0 (G1).
#   S4: +1 h after infusion 1 37.9 (G0); no measurement after infusion 2.
#   S5: +15 h after infusion 1 37.5 (G0).
fever_toy <- function() {
  adsl <- data.frame(USUBJID = paste0("S", 1:5), ARM = c("A", "A", "B", "B", "B"),
                     SAFFL = "Y", stringsAsFactors = FALSE)
  at <- function(d, hm) as.POSIXct(paste0("2024-01-", d, " ", hm), tz = "UTC")
  start <- c(S1 = "08:00", S2 = "09:00", S3 = "09:00", S4 = "09:00", S5 = "09:00")
  adex <- data.frame(USUBJID = c("S1", "S1", "S2", "S2", "S3", "S3", "S4", "S4", "S5"),
                     EXINFNO = c(1, 2, 1, 2, 1, 2, 1, 2, 1), stringsAsFactors = FALSE)
  adex$ASTDTM <- at(ifelse(adex$EXINFNO == 1, "01", "15"), start[adex$USUBJID])
  adex$ASTDY <- ifelse(adex$EXINFNO == 1, 1, 15)
  advs <- data.frame(
    USUBJID = c("S1", "S1", "S1", "S1", "S2", "S2", "S3", "S3", "S4", "S5", "S1"),
    PARAMCD = c(rep("TEMP", 10), "PULSE"),
    AVAL = c(38.5, 38.2, 39.5, 37.0, 40.5, 39.0, 40.1, 38.0, 37.9, 37.5, 120),
    AVALU = c(rep("C", 10), "beats/min"), stringsAsFactors = FALSE)
  advs$ADTM <- c(at("01", "07:00"), at("02", "08:00"), at("03", "08:00"), at("15", "20:00"),
                 at("03", "09:01"), at("15", "10:00"), at("01", "12:00"), at("15", "12:00"),
                 at("01", "10:00"), at("02", "00:00"), at("02", "08:00"))
  list(adsl = adsl, adex = adex, advs = advs)
}

fstat <- function(res, infusion, category, arm, stat_name = "n") {
  a <- res$ard
  a$stat[a$infusion == infusion & a$category == category & a$arm == arm &
           a$stat_name == stat_name]
}

test_that("infusion_fever counts subjects by worst grade per infusion as derived by hand", {
  d <- fever_toy()
  res <- infusion_fever(d$advs, d$adsl, d$adex)
  expect_s3_class(res, "glycotrial_safety")
  m <- "Temperature measured in window"
  f <- "Fever (grade >= 1)"
  # Infusion 1: N = 2 (A), 3 (B). Measured: A S1 only (S2's value is 1 min late); B S3, S4, S5.
  expect_equal(fstat(res, "Infusion 1", m, "A", "N"), 2)
  expect_equal(fstat(res, "Infusion 1", m, "B", "N"), 3)
  expect_equal(fstat(res, "Infusion 1", m, "A"), 1)
  expect_equal(fstat(res, "Infusion 1", m, "B"), 3)
  expect_equal(fstat(res, "Infusion 1", f, "A"), 1)        # S1 (G2)
  expect_equal(fstat(res, "Infusion 1", "Grade 2", "A"), 1)
  expect_equal(fstat(res, "Infusion 1", "Grade 1", "A"), 0)
  expect_equal(fstat(res, "Infusion 1", f, "B"), 1)        # S3 (G3)
  expect_equal(fstat(res, "Infusion 1", "Grade >= 3", "B"), 1)
  expect_equal(fstat(res, "Infusion 1", f, "B", "pct"), 100 / 3)
  # Infusion 2: N = 2 (A), 2 (B: S3, S4). Measured A: S1, S2; B: S3.
  expect_equal(fstat(res, "Infusion 2", m, "B", "N"), 2)
  expect_equal(fstat(res, "Infusion 2", m, "A"), 2)
  expect_equal(fstat(res, "Infusion 2", m, "B"), 1)
  expect_equal(fstat(res, "Infusion 2", "Grade 1", "A"), 1)  # S2 at 39.0 (boundary: G1)
  expect_equal(fstat(res, "Infusion 2", "Grade 1", "B"), 1)  # S3 at 38.0 (boundary: G1)
  # Any infusion: A S1 (worst G2), S2 (G1); B S3 (G3).
  expect_equal(fstat(res, "Any infusion", f, "A"), 2)
  expect_equal(fstat(res, "Any infusion", "Grade 1", "A"), 1)
  expect_equal(fstat(res, "Any infusion", "Grade 2", "A"), 1)
  expect_equal(fstat(res, "Any infusion", "Grade >= 3", "B"), 1)
  expect_equal(fstat(res, "Any infusion", m, "B"), 3)
  # Risk difference B vs A for fever after infusion 1: 1/3 - 1/2 (Newcombe).
  rd <- res$ard[res$ard$infusion == "Infusion 1" & res$ard$category == f &
                  res$ard$arm == "B vs A" & res$ard$stat_name == "rd", "stat"]
  expect_equal(rd, 100 * (1 / 3 - 1 / 2))
  # Per subject and infusion.
  s <- res$data$subjects
  s1 <- s[s$USUBJID == "S1" & s$infusion == 1, ]
  expect_equal(c(s1$max_temp, s1$grade, s1$n_measurements), c(39.5, 2, 2))
  expect_false(any(s$USUBJID == "S2" & s$infusion == 1))
  # S1 x 2, S2 infusion 2, S3 x 2, S4 and S5 infusion 1.
  expect_equal(nrow(s), 7)
})

test_that("windows in days on study days, and Fahrenheit values", {
  d <- fever_toy()
  # Study days: infusion days 1 and 15; measurement days from the date-times.
  advs <- d$advs
  advs$ADY <- as.numeric(as.Date(advs$ADTM) - as.Date("2024-01-01")) + 1
  # Window 0-1 day: S1's day-3 value (39.5) and S2's day-3 value are out;
  # S1's day-1 07:00 value (38.5) is on the infusion day and counts.
  res <- infusion_fever(advs, d$adsl, d$adex, window = c(0, 1), unit = "days",
                        vs_time = "ADY", ex_time = "ASTDY")
  expect_equal(fstat(res, "Infusion 1", "Grade 1", "A"), 1)   # S1: 38.5, 38.2
  expect_equal(fstat(res, "Infusion 1", "Grade 2", "A"), 0)
  # Fahrenheit: 100.4 F = 38.0 C (G1), 102.2 F = 39.0 C (G1), 102.3 F = 39.06 C (G2).
  fah <- d$advs[d$advs$PARAMCD == "TEMP", ]
  fah$AVALU <- "F"
  fah$AVAL <- c(99, 100.4, 99, 99, 99, 102.2, 102.3, 99, 99, 99)
  r2 <- infusion_fever(fah, d$adsl, d$adex)
  expect_equal(fstat(r2, "Infusion 1", "Grade 1", "A"), 1)     # S1 100.4 F
  expect_equal(fstat(r2, "Infusion 2", "Grade 1", "A"), 1)     # S2 102.2 F
  expect_equal(fstat(r2, "Infusion 1", "Grade 2", "B"), 1)     # S3 102.3 F
})

test_that("infusion_fever rejects bad input with classed errors", {
  d <- fever_toy()
  expect_error(infusion_fever(d$advs, d$adsl, d$adex, window = c(48, 0)),
               class = "glycotrial_error_input")
  expect_error(infusion_fever(d$advs, d$adsl, d$adex, paramcd = "BODYTEMP"),
               class = "glycotrial_error_input")
  expect_error(infusion_fever(d$advs[, -which(names(d$advs) == "ADTM")], d$adsl, d$adex),
               class = "glycotrial_error_input")
  # Date-times in ADVS, study days in ADEX.
  expect_error(infusion_fever(d$advs, d$adsl, d$adex, ex_time = "ASTDY"),
               class = "glycotrial_error_input")
  txt <- d$advs
  txt$ADTM <- format(txt$ADTM)
  expect_error(infusion_fever(txt, d$adsl, d$adex), class = "glycotrial_error_input")
  mixed <- d$advs
  mixed$AVALU[1] <- "F"
  expect_error(infusion_fever(mixed, d$adsl, d$adex), class = "glycotrial_error_units")
  bad_ex <- d$adex
  bad_ex$EXINFNO[1] <- 0.5
  expect_error(infusion_fever(d$advs, d$adsl, bad_ex), class = "glycotrial_error_input")
})
