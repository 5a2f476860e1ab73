# index_change(): change from baseline of the indices by arm and visit.

test_that("index_change() gives change from baseline by arm and visit", {
  adlb <- indices_adlb()
  res <- beta_cell_indices(adlb, c("homa1_ir", "homa_ir_cp"), keep = "ARM")
  ch <- index_change(res, baseline = "Baseline")
  d <- ch$data
  expect_true(all(c("USUBJID", "ARM", "AVISIT", "PARAMCD", "AVAL", "BASE", "CHG") %in% names(d)))
  wk <- d[d$AVISIT == "Week 48" & d$PARAMCD == "homa1_ir", ]
  expect_equal(wk$CHG, c(7.2 * 9 / 22.5 - 8.1 * 10 / 22.5, 8.8 * 13 / 22.5 - 9 * 14 / 22.5),
               tolerance = 1e-12)
  s <- ch$summary
  expect_equal(nrow(s[s$PARAMCD == "homa1_ir" & s$AVISIT == "Week 48", ]), 2)
  lg <- index_change(res, baseline = "Baseline", log = TRUE)
  wl <- lg$data[lg$data$AVISIT == "Week 48" & lg$data$PARAMCD == "homa1_ir", ]
  expect_equal(wl$CHG, log(c(7.2 * 9 / (8.1 * 10), 8.8 * 13 / (9 * 14))), tolerance = 1e-12)
  sl <- lg$summary[lg$summary$PARAMCD == "homa1_ir" & lg$summary$AVISIT == "Week 48" &
                     lg$summary$ARM == "UC-MSC", ]
  expect_equal(sl$ratio, 7.2 * 9 / (8.1 * 10), tolerance = 1e-12)
})
