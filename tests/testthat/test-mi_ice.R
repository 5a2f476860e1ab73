# Intercurrent events from ADaM (R/mi_ice.R); their checks are in test-mi_ice_check.R.

sched <- data.frame(AVISIT = c("Week 4", "Week 8", "Week 12"), AVISITN = c(4, 8, 12),
                    day = c(29, 57, 85), stringsAsFactors = FALSE)

test_that("an event day maps to the first scheduled visit after it", {
  # hand rule: first visit with target day strictly after the event day
  expect_identical(mi_ice_visit(c(1, 28, 29, 30, 57, 85, 86, NA), sched),
                   c("Week 4", "Week 4", "Week 8", "Week 8", "Week 12", NA, NA, NA))
  expect_error(mi_ice_visit("5", sched), class = "glycotrial_error_input")
})

test_that("the schedule is the median study day per post-baseline visit", {
  s <- mi_ice_schedule(adlb, "HBA1C")
  hb <- adlb[adlb$PARAMCD == "HBA1C" & adlb$AVISITN > 0, ]
  expect_identical(s$AVISITN, sort(unique(hb$AVISITN)))
  expect_equal(s$day[s$AVISITN == 24], median(hb$ADY[hb$AVISITN == 24]))
  expect_error(mi_ice_schedule(adlb, "NOPE"), class = "glycotrial_error_mi_ice_schedule")
})

test_that("discontinuation in ADSL gives one event per subject with its first affected visit", {
  adsl0 <- data.frame(USUBJID = c("A", "B", "C", "D"),
                      TRTSDT = as.Date("2020-01-01"),
                      TRTEDT = as.Date("2020-01-01") + c(40, 56, 90, 200),
                      DCTREAS = c("Adverse event", "LACK OF EFFICACY", "", "WITHDRAWAL BY SUBJECT"),
                      stringsAsFactors = FALSE)
  # A: day 41 -> Week 8; B: day 57 -> Week 12; C: completed; D: day 201, after the last visit
  expect_message(ice <- mi_ice_from_discontinuation(adsl0, sched, strategy = "JR"),
                 class = "glycotrial_message_mi_ice_after_last_visit")
  expect_identical(ice$USUBJID, c("A", "B"))
  expect_identical(ice$AVISIT, c("Week 8", "Week 12"))
  expect_identical(ice$day, c(41, 57))
  expect_identical(ice$reason, c("ADVERSE EVENT", "LACK OF EFFICACY"))
  by_reason <- suppressMessages(mi_ice_from_discontinuation(
    adsl0, sched, strategy = c("ADVERSE EVENT" = "JR", .default = "MAR")))
  expect_identical(by_reason$strategy, c("JR", "MAR"))
  expect_error(suppressMessages(mi_ice_from_discontinuation(adsl0, sched, strategy = c("ADVERSE EVENT" = "JR"))),
               class = "glycotrial_error_mi_strategy", regexp = "LACK OF EFFICACY")
  expect_error(mi_ice_from_discontinuation(adsl0, sched, strategy = "J2R"),
               class = "glycotrial_error_mi_strategy")
  expect_error(mi_ice_from_discontinuation(adsl0[, -4], sched),
               class = "glycotrial_error_mi_ice_column")
})

test_that("the shipped trial's study discontinuations map after each subject's last HbA1c", {
  s <- mi_ice_schedule(adlb, "HBA1C")
  ice <- mi_ice_from_discontinuation(adsl, s, strategy = "JR")
  expect_setequal(ice$USUBJID, adsl$USUBJID[adsl$DCSREAS %in% "ADVERSE EVENT"])
  for (i in seq_len(nrow(ice))) {
    hb <- adlb[adlb$PARAMCD == "HBA1C" & adlb$USUBJID == ice$USUBJID[i] & !is.na(adlb$AVAL), ]
    expect_gt(s$AVISITN[s$AVISIT == ice$AVISIT[i]], max(hb$AVISITN))
  }
})

test_that("rescue records: the first flagged record per subject, from days or dates", {
  cm <- data.frame(USUBJID = c("A", "A", "B", "C"), RESCUEFL = c("Y", "Y", "N", "Y"),
                   ASTDY = c(60, 20, 5, 29), stringsAsFactors = FALSE)
  ice <- mi_ice_from_rescue(cm, sched, strategy = "CR")
  expect_identical(ice$USUBJID, c("A", "C"))
  expect_identical(ice$AVISIT, c("Week 4", "Week 8"))
  expect_identical(ice$strategy, c("CR", "CR"))
  cm2 <- data.frame(USUBJID = "A", RESCUEFL = "Y", ASTDT = "2020-02-01")
  a <- data.frame(USUBJID = "A", TRTSDT = as.Date("2020-01-01"))
  ice2 <- mi_ice_from_rescue(cm2, sched, adsl = a)
  expect_identical(ice2$day, 32)  # 31 days after day 1
  expect_identical(ice2$AVISIT, "Week 8")
  expect_error(mi_ice_from_rescue(cm2, sched), class = "glycotrial_error_mi_ice_day")
})

test_that("combining keeps the earliest event per subject", {
  a <- mi_ice_from_rescue(data.frame(USUBJID = c("A", "B"), RESCUEFL = "Y", ASTDY = c(40, 10)), sched)
  b <- mi_ice_from_rescue(data.frame(USUBJID = "A", RESCUEFL = "Y", ASTDY = 10), sched, strategy = "CR")
  ice <- mi_ice_combine(a, b)
  expect_identical(ice$USUBJID, c("A", "B"))
  expect_identical(ice$strategy, c("CR", "JR"))
  expect_identical(ice$AVISIT, c("Week 4", "Week 4"))
})

test_that("treatment status: off treatment from the first affected visit, visits since", {
  d <- mi_example_data(n = 8, seed = 3)
  ice <- data.frame(USUBJID = "S001", AVISIT = "WEEK8")
  st <- mi_ice_treatment_status(d, ice)
  s1 <- st[st$USUBJID == "S001", ]
  expect_identical(s1$OFFTRT, c(0, 1, 1, 1))
  expect_identical(s1$TSD, c(0, 1, 2, 3))
  expect_true(all(st$OFFTRT[st$USUBJID != "S001"] == 0))
  expect_error(mi_ice_treatment_status(d, data.frame(USUBJID = "S001", AVISIT = "WEEK99")),
               class = "glycotrial_error_mi_visit")
})
