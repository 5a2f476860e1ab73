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

# CTCAE v5.0 grade 4 fever (> 40.0 C for > 24 h) from the temperature series,
# worked out by hand. One infusion at 08:00 on 1 Mar for all; window 0-48 h.
# A run = consecutive measurements (in time order) all > 40.0 C; grade 4 when
# its first and last measurement are more than 24 h apart.
#   F1 (A): 40.5 @ 2 h, 40.2 @ 14 h, 40.1 @ 26.5 h -> run of 24.5 h > 24: G4.
#   F2 (A): 40.5 @ 2 h, 40.3 @ 26 h -> exactly 24 h, not > 24: G3; 40.9 @ 50 h
#           is outside the window (it would make 48 h) and does not count.
#   F3 (A): 40.5 @ 2 h, 40.0 @ 14 h (exactly 40.0 is not > 40.0: a dip, G2),
#           40.6 @ 30 h -> two runs of 0 h: G3.
#   F4 (B): 40.0 @ 2 h, 40.0 @ 30 h -> never > 40.0: G2, no run.
#   F5 (B): rows out of time order 40.4 @ 40 h, 40.9 @ 3 h, 40.2 @ 15 h
#           -> one run 3 h to 40 h = 37 h: G4.
#   F6 (B): 41.0 @ 3 h, 39.5 @ 10 h (dip), 40.8 @ 20 h, 40.7 @ 45 h -> runs of
#           0 h and 25 h: G4.
fever4_toy <- function() {
  adsl <- data.frame(USUBJID = paste0("F", 1:6), ARM = rep(c("A", "B"), each = 3),
                     SAFFL = "Y", stringsAsFactors = FALSE)
  t0 <- as.POSIXct("2024-03-01 08:00", tz = "UTC")
  adex <- data.frame(USUBJID = adsl$USUBJID, EXINFNO = 1, ASTDTM = t0, stringsAsFactors = FALSE)
  m <- rbind(
    data.frame(id = "F1", h = c(2, 14, 26.5), t = c(40.5, 40.2, 40.1)),
    data.frame(id = "F2", h = c(2, 26, 50), t = c(40.5, 40.3, 40.9)),
    data.frame(id = "F3", h = c(2, 14, 30), t = c(40.5, 40.0, 40.6)),
    data.frame(id = "F4", h = c(2, 30), t = c(40.0, 40.0)),
    data.frame(id = "F5", h = c(40, 3, 15), t = c(40.4, 40.9, 40.2)),
    data.frame(id = "F6", h = c(3, 10, 20, 45), t = c(41.0, 39.5, 40.8, 40.7)))
  advs <- data.frame(USUBJID = m$id, PARAMCD = "TEMP", AVAL = m$t, AVALU = "C",
                     ADTM = t0 + m$h * 3600, stringsAsFactors = FALSE)
  list(adsl = adsl, adex = adex, advs = advs)
}

test_that("grade 4 fever: > 40.0 C without a dip for more than 24 h, by hand", {
  d <- fever4_toy()
  res <- infusion_fever(d$advs, d$adsl, d$adex)
  s <- res$data$subjects
  expect_equal(s$grade, c(4, 3, 3, 2, 4, 4))
  expect_equal(s$fever_hours, c(24.5, 24, 0, NA, 37, 25))
  expect_equal(s$n_measurements, c(3, 2, 3, 2, 3, 4))
  g <- function(cat, arm) fstat(res, "Infusion 1", cat, arm)
  expect_equal(c(g("Grade 2", "A"), g("Grade 3", "A"), g("Grade 4", "A"), g("Grade >= 3", "A")),
               c(0, 2, 1, 3))
  expect_equal(c(g("Grade 2", "B"), g("Grade 3", "B"), g("Grade 4", "B"), g("Grade >= 3", "B")),
               c(1, 0, 2, 2))
  expect_equal(fstat(res, "Any infusion", "Grade 4", "B"), 2)
  # A wider window takes in F2's 50-h value: 2 h to 50 h = 48 h -> G4.
  wide <- infusion_fever(d$advs, d$adsl, d$adex, window = c(0, 72))
  expect_equal(wide$data$subjects$grade[2], 4)
  # The same temperatures in Fahrenheit give the same grades (40.0 C = 104.0 F).
  fah <- d$advs
  fah$AVAL <- fah$AVAL * 9 / 5 + 32
  fah$AVALU <- "F"
  expect_equal(infusion_fever(fah, d$adsl, d$adex)$data$subjects$grade, c(4, 3, 3, 2, 4, 4))
})

test_that("grade 4 fever with study days only, and with a time of day", {
  # Infusion on day 1 at 08:00. D1 (A): > 40.0 on days 2 and 3; D2 (B): days 2, 3, 4.
  adsl <- data.frame(USUBJID = c("D1", "D2"), ARM = c("A", "B"), SAFFL = "Y")
  adex <- data.frame(USUBJID = c("D1", "D2"), EXINFNO = 1, ASTDY = 1, ASTTM = "08:00")
  advs <- data.frame(USUBJID = c("D1", "D1", "D2", "D2", "D2"), PARAMCD = "TEMP",
                     AVAL = c(40.6, 40.4, 40.6, 40.4, 40.2), ADY = c(2, 3, 2, 3, 4),
                     ATM = c("08:00", "09:00", "10:00", "10:00", "07:00"))
  # Day level: D1's readings are 24 h apart (not > 24: G3); D2's 48 h (G4).
  r1 <- infusion_fever(advs, adsl, adex, window = c(0, 5), unit = "days", vs_time = "ADY",
                       ex_time = "ASTDY")
  expect_equal(r1$data$subjects$grade, c(3, 4))
  expect_equal(r1$data$subjects$fever_hours, c(24, 48))
  # With ATM: D1 day 2 08:00 to day 3 09:00 = 25 h (G4); D2 day 2 10:00 to
  # day 4 07:00 = 45 h (G4).
  r2 <- infusion_fever(advs, adsl, adex, window = c(0, 5), unit = "days", vs_time = "ADY",
                       ex_time = "ASTDY", vs_clock = "ATM", ex_clock = "ASTTM")
  expect_equal(r2$data$subjects$fever_hours, c(25, 45))
  expect_equal(r2$data$subjects$grade, c(4, 4))
  # Clock columns: not with date-times; missing or invalid times are errors.
  d <- fever4_toy()
  d$advs$ATM <- "08:00"
  expect_error(infusion_fever(d$advs, d$adsl, d$adex, vs_clock = "ATM"),
               class = "glycotrial_error_input")
  bad <- advs
  bad$ATM[2] <- NA
  expect_error(infusion_fever(bad, adsl, adex, unit = "days", vs_time = "ADY", ex_time = "ASTDY",
                              vs_clock = "ATM"), "ATM", class = "glycotrial_error_input")
  bad$ATM[2] <- "24:10"
  expect_error(infusion_fever(bad, adsl, adex, unit = "days", vs_time = "ADY", ex_time = "ASTDY",
                              vs_clock = "ATM"), "ATM", class = "glycotrial_error_input")
})
