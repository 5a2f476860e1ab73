# Laboratory safety tables (worst grade, shifts, eGFR decline, trajectories) on
# lab_toy() of helper-safety.R, counted by hand.

test_that("worst grade and shift tables by hand", {
  d <- lab_toy()
  g <- grade_lab(d$adlb[d$adlb$PARAMCD != "EGFR", ])
  w <- lab_worst_grade(g, d$adsl)
  # ALT, arm A: S1 worst 130 (> 3 x ULN: grade 2); S2 baseline 50 abnormal,
  # 70 < 1.5 x 50 -> grade 0. Arm B: S3 850 > 20 x ULN -> grade 4.
  expect_equal(ard_stat(w, param = "ALT", grade = "Grade 2", arm = "A", stat_name = "n"), 1)
  expect_equal(ard_stat(w, param = "ALT", grade = "Grade 0", arm = "A", stat_name = "n"), 1)
  expect_equal(ard_stat(w, param = "ALT", grade = "Grade 4", arm = "B", stat_name = "n"), 1)
  expect_equal(ard_stat(w, param = "ALT", grade = "Grade >= 3", arm = "B", stat_name = "n"), 1)
  sh <- lab_shift(g, d$adsl)
  # S2 ALT: baseline 50 > ULN -> baseline grade 1, worst 0.
  expect_equal(ard_stat(sh, param = "ALT", arm = "A", baseline_grade = "1", worst_grade = "0",
                        stat_name = "n"), 1)
  expect_equal(ard_stat(sh, param = "ALT", arm = "A", baseline_grade = "0", worst_grade = "2",
                        stat_name = "n"), 1)
  expect_error(lab_shift(d$adlb, d$adsl), "grade_lab", class = "glycotrial_error_input")
})

test_that("eGFR decline categories by hand", {
  d <- lab_toy()
  res <- egfr_decline(d$adlb, d$adsl)
  # S1: 80 -> nadir 55 (-31.25 %), new < 60. S2: 50 -> 30 (-40 %). S3: 95 -> 90.
  cat_n <- function(cat, arm) ard_stat(res, category = cat, arm = arm, stat_name = "n")
  expect_equal(cat_n("Decline >= 30% from baseline", "A"), 2)
  expect_equal(cat_n("Decline >= 40% from baseline", "A"), 1)
  expect_equal(cat_n("Decline >= 50% from baseline", "A"), 0)
  expect_equal(cat_n("New eGFR < 60 (CKD stage 3+), baseline >= 60", "A"), 1)
  expect_equal(cat_n("New eGFR < 30 (CKD stage 4+), baseline >= 30", "A"), 0)
  expect_equal(res$data$subjects$pchg, c(-31.25, -40, 100 * (90 - 95) / 95))
  expect_error(egfr_decline(d$adlb, d$adsl, paramcd = "CKD"), class = "glycotrial_error_input")
})

test_that("lab_trajectory means and standard errors", {
  d <- lab_toy()
  res <- lab_trajectory(d$adlb, d$adsl, "ALT")
  s <- res$data$summary
  wk4 <- s[s$arm == "A" & s$visit == "Week 4", ]
  expect_equal(wk4$mean, 60)
  expect_equal(wk4$se, stats::sd(c(50, 70)) / sqrt(2))
  skip_if_not_installed("ggplot2")
  expect_s3_class(ggplot2::autoplot(res), "ggplot")
})

test_that("lab_shift integer coding matches a base-R table() of the same cells", {
  # Reference: per subject and parameter, worst post-baseline ATOXGRH (missing
  # grades as "Missing") and the first non-missing BTOXGRH, cross-tabulated
  # with table(): the string-keyed computation lab_shift() used before it
  # moved to integer codes.
  set.seed(11)
  n <- 600
  adsl <- data.frame(USUBJID = sprintf("P%03d", 1:60),
                     ARM = factor(sample(c("A", "B"), 60, TRUE), levels = c("A", "B", "C")),
                     SAFFL = "Y")
  lb <- data.frame(USUBJID = sample(adsl$USUBJID, n, TRUE),
                   PARAMCD = sample(c("ALT", "BILI", "K"), n, TRUE),
                   ADY = sample(c(1, 8:60), n, TRUE), stringsAsFactors = FALSE)
  lb$ATOXDSCH <- "term"
  lb$ATOXGRH <- sample(c(0:4, NA), n, TRUE)
  lb$BTOXGRH <- sample(c(0:2, NA), n, TRUE)
  lb$ATOXGRL <- lb$BTOXGRL <- NA_integer_
  res <- lab_shift(lb, adsl)
  post <- lb[lb$ADY > 1, ]
  key <- paste(post$USUBJID, post$PARAMCD)
  worst <- tapply(ifelse(is.na(post$ATOXGRH), -1, post$ATOXGRH), key, max)
  base <- tapply(post$BTOXGRH, key, function(v) v[!is.na(v)][1])
  lvl <- c("0", "1", "2", "3", "4", "Missing")
  lab <- function(v) factor(ifelse(is.na(v) | v < 0, "Missing", v), levels = lvl)
  ks <- names(worst)
  subj <- sub(" .*$", "", ks)
  ref <- as.data.frame(table(param = sub("^.* ", "", ks),
                             arm = adsl$ARM[match(subj, adsl$USUBJID)],
                             baseline_grade = lab(base[ks]), worst_grade = lab(worst[ks])),
                       stringsAsFactors = FALSE)
  got <- res$ard[res$ard$stat_name == "n", ]
  m <- merge(ref, got, by = c("param", "arm", "baseline_grade", "worst_grade"))
  expect_equal(nrow(m), nrow(ref))
  expect_equal(nrow(got), 3 * 3 * 36)  # every parameter x arm x grade cell, empty arm C too
  expect_equal(m$stat, m$Freq)
  expect_equal(sum(got$stat), length(ks))
})
