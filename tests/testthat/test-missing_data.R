# Multiple-imputation helpers of the responder analysis (R/missing_data.R).

test_that("the imputation model draws from the regression on the earlier visits", {
  # Fixture: complete data for everyone except S5's Week 48 HbA1c. With
  # 3 observed placebo subjects the model falls back to baseline + previous
  # visit; the draws must lie around the regression prediction.
  lb <- fixture_adlb()
  more <- lapply(1:12, function(i) {
    x <- lb[lb$USUBJID == "S4", ]; x$USUBJID <- paste0("Q", i)
    x$AVAL <- x$AVAL + c(rep(i / 10, 3), 0, 0, 0)[seq_len(nrow(x))]
    x
  })
  lb2 <- rbind(lb, do.call(rbind, more))
  sl <- rbind(fixture_adsl(), data.frame(USUBJID = paste0("Q", 1:12), ARM = "P", STRATA = "x"))
  r <- derive_responders(lb2, sl)
  imps <- glycotrial:::impute_responders(r, r$ARM, c("A", "P"), 20, seed = 3)
  expect_length(imps, 20)
  expect_true(all(vapply(imps, function(y) all(y %in% c(0, 1)), logical(1))))
  # Non-missing responders are kept exactly.
  obs <- !is.na(r$RESPONDER)
  expect_true(all(vapply(imps, function(y) all(y[obs] == r$RESPONDER[obs]), logical(1))))
})
