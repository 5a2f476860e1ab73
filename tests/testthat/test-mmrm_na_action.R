# na.action of mmrm_fit(), as lm() does it: results in the data's row order
# and names, na.omit leaves the incomplete rows out, na.exclude pads them
# with NA, na.fail refuses them.

test_that("fitted() and residuals() follow na.omit / na.exclude as lm() does", {
  d <- sim_mmrm_data(n = 40)
  d <- d[sample(nrow(d)), ]  # rows not sorted by subject and visit
  rownames(d) <- paste0("r", seq_len(nrow(d)))
  miss <- which(is.na(d$CHG))
  expect_gt(length(miss), 0)
  f_omit <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), d)
  f_excl <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), d, na.action = na.exclude)
  l_omit <- lm(CHG ~ ARM + AVISIT, d)
  l_excl <- lm(CHG ~ ARM + AVISIT, d, na.action = na.exclude)
  expect_identical(names(fitted(f_omit)), names(fitted(l_omit)))
  expect_identical(names(fitted(f_excl)), names(fitted(l_excl)))
  expect_identical(which(is.na(fitted(f_excl))), which(is.na(fitted(l_excl))))
  expect_equal(fitted(f_excl)[-miss], fitted(f_omit))
  expect_equal(unname(residuals(f_omit)), unname(d$CHG[-miss] - fitted(f_omit)))
  e <- expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), d, na.action = "na.fail"),
                    class = "glycotrial_error_na_fail")
  expect_match(conditionMessage(e), as.character(length(miss)))
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), d, na.action = "na.pass"),
               class = "glycotrial_error")
})
