# rbmi's rules for an intercurrent-event table (R/mi_ice_check.R).

test_that("mi_ice_check() raises the classed errors of rbmi's rules", {
  d <- mi_example_data(n = 20, seed = 5)
  ice <- attr(d, "data_ice")
  v <- mi_example_vars()
  expect_invisible(mi_ice_check(d, v, ice, reference = c(TRT = "PBO")))
  bad <- ice; bad$AVISIT[1] <- "WEEK99"
  expect_error(mi_ice_check(d, v, bad, c(TRT = "PBO")), class = "glycotrial_error_mi_visit",
               regexp = "WEEK99")
  bad <- rbind(ice, data.frame(USUBJID = "NOPE", AVISIT = "WEEK8", strategy = "JR"))
  expect_error(mi_ice_check(d, v, bad, c(TRT = "PBO")), class = "glycotrial_error_mi_subject",
               regexp = "NOPE")
  expect_error(mi_ice_check(d, v, ice), class = "glycotrial_error_mi_reference",
               regexp = ice$USUBJID[1])
  # a per-subject reference column is enough
  ice_r <- ice; ice_r$reference <- "PBO"
  expect_invisible(mi_ice_check(d, v, ice_r))
  # an observed value after a JR event; MAR for the same subject is fine
  s <- ice$USUBJID[1]
  bad <- ice
  first <- which(levels(d$AVISIT) == ice$AVISIT[1])
  bad$AVISIT[1] <- levels(d$AVISIT)[first - 1]
  expect_error(mi_ice_check(d, v, bad, c(TRT = "PBO")), class = "glycotrial_error_mi_post_ice",
               regexp = s)
  bad_mar <- bad; bad_mar$strategy[1] <- "MAR"
  expect_invisible(mi_ice_check(d, v, bad_mar, c(TRT = "PBO")))
  # mi_ice_set_missing() sets exactly that one value to NA, and then the check passes
  expect_message(d2 <- mi_ice_set_missing(d, v, bad), class = "glycotrial_message_mi_post_ice")
  changed <- which(!is.na(d$CHG) & is.na(d2$CHG))
  expect_identical(d$USUBJID[changed], s)
  expect_identical(as.character(d$AVISIT[changed]), levels(d$AVISIT)[first - 1])
  expect_invisible(mi_ice_check(d2, v, bad, c(TRT = "PBO")))
})
