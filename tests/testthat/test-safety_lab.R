lab_toy <- function() {
  adsl <- data.frame(USUBJID = c("S1", "S2", "S3"), ARM = c("A", "A", "B"), SAFFL = "Y")
  mk <- function(id, p, base, vals, uln, lln = NA) {
    data.frame(USUBJID = id, PARAMCD = p, AVAL = c(base, vals), BASE = base,
               ANRHI = uln, ANRLO = lln, ADY = c(1, seq_along(vals) * 14 + 1),
               ABLFL = c("Y", rep("", length(vals))),
               AVISIT = c("Baseline", paste("Week", seq_along(vals) * 2)),
               AVISITN = c(0, seq_along(vals) * 2), stringsAsFactors = FALSE)
  }
  adlb <- rbind(
    mk("S1", "ALT", 30, c(130, 50), 40), mk("S1", "AST", 25, c(90, 30), 40),
    mk("S1", "BILI", 10, c(45, 12), 20), mk("S1", "ALP", 80, c(90, 100), 120),
    mk("S2", "ALT", 50, c(60, 70), 40), mk("S2", "AST", 30, c(35, 30), 40),
    mk("S2", "BILI", 8, c(9, 10), 20), mk("S2", "ALP", 70, c(75, 80), 120),
    mk("S3", "ALT", 20, c(25, 850), 40), mk("S3", "AST", 20, c(20, 20), 40),
    mk("S3", "BILI", 10, c(50, 10), 20), mk("S3", "ALP", 100, c(300, 90), 120),
    mk("S1", "EGFR", 80, c(70, 55), NA), mk("S2", "EGFR", 50, c(40, 30), NA),
    mk("S3", "EGFR", 95, c(90, 92), NA))
  list(adsl = adsl, adlb = adlb)
}

test_that("hys_law peaks, quadrants and potential Hy's law by hand", {
  d <- lab_toy()
  res <- hys_law(d$adlb, d$adsl)
  s <- res$data$subjects
  # S1: peak ALT 130/40 = 3.25, BILI 45/20 = 2.25, ALP 100/120 < 2 -> potential Hy's law.
  expect_equal(s$alt_uln[s$USUBJID == "S1"], 3.25)
  expect_true(s$potential_hys_law[s$USUBJID == "S1"])
  # S2: 70/40 = 1.75: normal range. S3: ALT 850/40 = 21.25, BILI 2.5, but ALP 300/120 = 2.5.
  expect_equal(s$quadrant, c("Potential Hy's law", "Normal range", "Potential Hy's law"))
  expect_false(s$potential_hys_law[s$USUBJID == "S3"])
  expect_equal(ard_stat(res, category = "ALT >= 20 x ULN", arm = "B", stat_name = "n"), 1)
  expect_equal(ard_stat(res, category = "ALT >= 3 x ULN", arm = "A", stat_name = "n"), 1)
  expect_equal(ard_stat(res, category = "ALT >= 3 x ULN", arm = "A", stat_name = "N"), 2)
  skip_if_not_installed("ggplot2")
  expect_s3_class(ggplot2::autoplot(res), "ggplot")
  bad <- d$adlb
  bad$ANRHI[bad$PARAMCD == "ALT"] <- NA
  expect_error(hys_law(bad, d$adsl), class = "glycotrial_error_missing_range")
})

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
