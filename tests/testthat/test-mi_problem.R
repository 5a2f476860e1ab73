# Checks of the imputation problem (R/mi_problem.R): ICE table, reference arms,
# post-ICE data.

test_that("bad input gives classed errors naming the subject or value", {
  d <- mi_example_data(n = 20, seed = 5)
  ice <- attr(d, "data_ice")
  v <- mi_example_vars()
  bad <- ice
  bad$AVISIT[1] <- "WEEK99"
  expect_error(mi_reference_based(d, v, bad, reference = c(TRT = "PBO")),
               class = "glycotrial_error_mi_visit", regexp = "WEEK99")
  bad <- rbind(ice, data.frame(USUBJID = "NOPE", AVISIT = "WEEK8", strategy = "JR"))
  expect_error(mi_reference_based(d, v, bad, reference = c(TRT = "PBO")),
               class = "glycotrial_error_mi_subject", regexp = "NOPE")
  expect_error(mi_reference_based(d, v, ice), class = "glycotrial_error_mi_reference",
               regexp = ice$USUBJID[1])
  # an observed outcome after a JR event
  s <- ice$USUBJID[1]
  bad <- ice
  first <- which(levels(d$AVISIT) == ice$AVISIT[1])
  bad$AVISIT[1] <- levels(d$AVISIT)[first - 1]
  expect_error(mi_reference_based(d, v, bad, reference = c(TRT = "PBO")),
               class = "glycotrial_error_mi_post_ice", regexp = s)
  expect_s3_class(mi_reference_based(d, v, bad, reference = c(TRT = "PBO"), post_ice = "exclude"),
                  "glycotrial_mi")
  bad <- ice
  bad$strategy[1] <- "J2R"
  expect_error(mi_reference_based(d, v, bad, reference = c(TRT = "PBO")),
               class = "glycotrial_error_input", regexp = "J2R")
  expect_error(mi_reference_based(d[-1, ], v, ice, reference = c(TRT = "PBO")),
               class = "glycotrial_error_input", regexp = "one row per subject")
})
