# hys_law(): peak ALT/AST and bilirubin per subject, quadrants and potential
# Hy's law cases, worked out by hand.

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
