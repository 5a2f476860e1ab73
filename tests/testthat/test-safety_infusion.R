# infusion_reactions(): events attributed to infusions, counted by hand.

test_that("no infusion records give no infusion-reaction rows", {
  d <- safety_toy()
  adex <- data.frame(USUBJID = character(), ASTDY = numeric(), EXINFNO = integer())
  res <- infusion_reactions(d$adae, d$adsl, adex)
  expect_equal(nrow(res$table), 0)
  expect_equal(nrow(res$ard), 0)
  expect_match(res$meta$footnote, "No infusion records")
  expect_output(print(res), "no rows")
})

test_that("infusion_reactions attributes events to the infusion window", {
  d <- safety_toy()
  # Infusions on days 1, 15 and 29 (S3 only the first two; S5 only the first).
  adex <- data.frame(USUBJID = c(rep(c("S1", "S2", "S4"), each = 3), "S3", "S3", "S5"),
                     ASTDY = c(rep(c(1, 15, 29), 3), 1, 15, 1),
                     EXINFNO = c(rep(1:3, 3), 1, 2, 1))
  ae <- d$adae
  ae$AEDECOD[ae$AEDECOD == "Headache"] <- "Pyrexia"
  # Window 0..2 days: S1 Nausea d5 (no), d20 (no), Pyrexia d10 (no);
  # S2 Nausea d3 -> infusion 1 (day 1 + 2); S4 Pyrexia d15 -> infusion 2.
  res <- infusion_reactions(ae, d$adsl, adex)
  expect_equal(ard_stat(res, infusion = "Infusion 1", pt = NA, arm = "A", stat_name = "n"), 1)
  expect_equal(ard_stat(res, infusion = "Infusion 1", pt = NA, arm = "A", stat_name = "N"), 3)
  expect_equal(ard_stat(res, infusion = "Infusion 2", pt = NA, arm = "B", stat_name = "n"), 1)
  expect_equal(ard_stat(res, infusion = "Infusion 3", pt = NA, arm = "A", stat_name = "N"), 2)
  expect_equal(ard_stat(res, infusion = "Infusion 3", pt = NA, arm = "B", stat_name = "N"), 1)
  expect_equal(ard_stat(res, infusion = "Any infusion", pt = NA, arm = "A", stat_name = "n"), 1)
  # A wider window (0..5) also catches S1 Nausea day 5 after infusion 1 (day 1 + 4).
  wide <- infusion_reactions(ae, d$adsl, adex, window = c(0, 5))
  expect_equal(ard_stat(wide, infusion = "Infusion 1", pt = NA, arm = "A", stat_name = "n"), 2)
  expect_error(infusion_reactions(ae, d$adsl, adex, window = c(2, 0)),
               class = "glycotrial_error_input")
  bad <- adex
  bad$EXINFNO[1] <- NA
  expect_error(infusion_reactions(ae, d$adsl, bad), class = "glycotrial_error_input")
})
