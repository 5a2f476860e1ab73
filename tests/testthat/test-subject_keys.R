# One subject rule for every entry point (R/subject_keys.R): missing arms,
# subjects absent from ADSL and empty populations are never dropped silently.
# Each test asserts the condition class AND that the result equals the one on
# the correctly filtered data (the reference is the analysis of the data the
# user should have passed).

lab_toy <- function() {
  adsl <- data.frame(USUBJID = c("L1", "L2", "L3", "L4"), ARM = c("A", "A", "B", "B"),
                     SAFFL = "Y", stringsAsFactors = FALSE)
  adlb <- data.frame(
    USUBJID = rep(c("L1", "L2", "L3", "L4"), each = 4),
    PARAMCD = rep(c("ALT", "AST", "BILI", "ALP"), 4),
    AVAL = c(150, 90, 3, 100, 30, 25, 0.5, 80, 45, 30, 1, 90, 200, 150, 3.5, 100),
    ANRHI = rep(c(40, 40, 1.2, 120), 4), ADY = 15, stringsAsFactors = FALSE)
  list(adsl = adsl, adlb = adlb)
}

# A ghost subject with grade-4 ALT and Hy's law values, absent from ADSL.
ghost_rows <- function(adlb) {
  g <- adlb[adlb$USUBJID == "L1", ]
  g$USUBJID <- "GHOST"
  g$AVAL[g$PARAMCD == "ALT"] <- 1000
  rbind(adlb, g)
}

test_that("hys_law: a subject absent from ADSL is reported, and the result equals the filtered data", {
  d <- lab_toy()
  lb <- ghost_rows(d$adlb)
  ref <- hys_law(d$adlb, d$adsl)
  expect_message(res <- hys_law(lb, d$adsl), "GHOST",
                 class = "glycotrial_message_dropped_subjects")
  expect_equal(res$ard, ref$ard)
  expect_equal(res$data$subjects, ref$data$subjects)
  expect_error(hys_law(lb, d$adsl, unmatched = "error"), "GHOST",
               class = "glycotrial_error_unmatched_subjects")
})

test_that("lab_worst_grade and lab_shift report ghost subjects", {
  d <- lab_toy()
  graded <- suppressWarnings(grade_lab(d$adlb))
  graded_ghost <- suppressWarnings(grade_lab(ghost_rows(d$adlb)))
  expect_message(w <- lab_worst_grade(graded_ghost, d$adsl), "GHOST",
                 class = "glycotrial_message_dropped_subjects")
  expect_equal(w$ard, lab_worst_grade(graded, d$adsl)$ard)
  expect_message(s <- lab_shift(graded_ghost, d$adsl), "GHOST",
                 class = "glycotrial_message_dropped_subjects")
  expect_equal(s$ard, lab_shift(graded, d$adsl)$ard)
  expect_error(lab_shift(graded_ghost, d$adsl, unmatched = "error"),
               class = "glycotrial_error_unmatched_subjects")
})

test_that("AE summaries: NA arm and unknown subjects are dropped with a message", {
  d <- safety_toy()
  adsl <- d$adsl
  adsl$ARM[2] <- NA  # S2 (arm A, one TEAE)
  ref_adsl <- d$adsl[-2, ]
  ref_adae <- d$adae[d$adae$USUBJID != "S2", ]
  expect_message(res <- ae_by_term(d$adae, adsl), "S2",
                 class = "glycotrial_message_dropped_subjects")
  ref <- ae_by_term(ref_adae, ref_adsl)
  expect_equal(res$ard, ref$ard)
  # Hand count: arm A keeps S1 and S3 (N = 2), S1 has a TEAE.
  any_a <- res$ard[res$ard$level == "any" & res$ard$arm == "A", ]
  expect_equal(any_a$stat[any_a$stat_name == "N"], 2)
  expect_equal(any_a$stat[any_a$stat_name == "n"], 1)
  expect_error(ae_by_term(d$adae, adsl, unmatched = "error"), "missing arm",
               class = "glycotrial_error_unmatched_subjects")
  # Blank arm is the same as NA.
  adsl$ARM <- as.character(adsl$ARM)
  adsl$ARM[2] <- ""
  expect_message(res2 <- ae_overview(d$adae, adsl),
                 class = "glycotrial_message_dropped_subjects")
  expect_equal(res2$ard, ae_overview(ref_adae, transform(ref_adsl, ARM = as.character(ARM)))$ard)
})

test_that("an empty population is a classed error, never a table of zeros", {
  d <- safety_toy()
  expect_error(ae_overview(d$adae, d$adsl[0, ]), class = "glycotrial_error_no_subjects")
  expect_error(ae_overview(d$adae, transform(d$adsl, SAFFL = "N")),
               class = "glycotrial_error_no_subjects")
  l <- lab_toy()
  expect_error(hys_law(l$adlb, l$adsl[0, ]), class = "glycotrial_error_no_subjects")
  expect_error(derive_responders(glycotrial::adlb, glycotrial::adsl[0, ]),
               class = "glycotrial_error_no_subjects")
  all_na <- glycotrial::adsl
  all_na$ARM <- NA
  expect_error(suppressMessages(derive_responders(glycotrial::adlb, all_na)),
               class = "glycotrial_error_no_subjects")
})

test_that("derive_responders and responder_analysis report NA arms (45 -> 43 never silent)", {
  adsl <- glycotrial::adsl
  adlb <- glycotrial::adlb
  na_ids <- adsl$USUBJID[c(3, 30)]
  adsl_na <- adsl
  adsl_na$ARM[c(3, 30)] <- NA
  expect_message(rsp <- derive_responders(adlb, adsl_na),
                 class = "glycotrial_message_dropped_subjects")
  # (the reference's ADLB has the two subjects ADSL lacks: reported too)
  expect_message(ref <- derive_responders(adlb, adsl[-c(3, 30), ]), "256 records",
                 class = "glycotrial_message_dropped_subjects")
  expect_equal(nrow(rsp), nrow(adsl) - 2)
  expect_equal(as.data.frame(rsp), as.data.frame(ref), ignore_attr = TRUE)
  # responder_analysis on responders with NA arm: message, and the estimates
  # equal those of the filtered data.
  full <- derive_responders(adlb, adsl)
  full_na <- full
  full_na$ARM[full_na$USUBJID %in% na_ids] <- NA
  expect_message(a <- responder_analysis(full_na, treatment = "UC-MSC"), "missing arm",
                 class = "glycotrial_message_dropped_subjects")
  b <- responder_analysis(full[!full$USUBJID %in% na_ids, ], treatment = "UC-MSC")
  expect_equal(a$arms, b$arms)
  expect_equal(a$difference, b$difference)
  expect_equal(sum(a$arms$n[!duplicated(a$arms$arm)]), nrow(full) - 2)
  expect_error(responder_analysis(full_na, treatment = "UC-MSC", unmatched = "error"),
               class = "glycotrial_error_unmatched_subjects")
})

test_that("derive_responders reports ADLB subjects absent from ADSL", {
  adsl <- glycotrial::adsl
  adlb <- glycotrial::adlb
  ghost <- adlb[adlb$USUBJID == adlb$USUBJID[1], ]
  ghost$USUBJID <- "GHOST-1"
  expect_message(rsp <- derive_responders(rbind(adlb, ghost), adsl), "GHOST-1",
                 class = "glycotrial_message_dropped_subjects")
  expect_equal(as.data.frame(rsp), as.data.frame(derive_responders(adlb, adsl)),
               ignore_attr = TRUE)
})

test_that("helpers: population flag spellings, duplicates, records without identifier", {
  adsl <- data.frame(USUBJID = c("a", "b", "c"), ARM = c("X", "Y", "Y"),
                     SAFFL = c("y", "Yes", "N"))
  pop <- glycotrial:::subject_population(adsl, pop_flag = "SAFFL")
  expect_equal(pop$id, c("a", "b"))
  expect_equal(levels(pop$arm), c("X", "Y"))
  expect_error(glycotrial:::subject_population(rbind(adsl, adsl[1, ])), "more than once",
               class = "glycotrial_error_input")
  msgs <- character()
  m <- withCallingHandlers(
    glycotrial:::match_subjects(c("a", NA, "b", "zz"), adsl$USUBJID, pop$id),
    glycotrial_message_dropped_subjects = function(cnd) {
      msgs <<- c(msgs, conditionMessage(cnd))
      invokeRestart("muffleMessage")
    })
  expect_length(msgs, 2)
  expect_match(msgs[1], "zz")
  expect_match(msgs[2], "missing subject identifier")
  expect_equal(m, c(1L, NA, 2L, NA))
})
