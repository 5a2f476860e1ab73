# Safety inputs: the column map (ae_vars()), the TEAE rule (teae_window()),
# the safety population and value coding, checked against the constructed
# trial of helper-safety.R.

test_that("ae_vars() and teae_window() validate and keep their settings", {
  v <- ae_vars(grade = "ATOXGR")
  expect_s3_class(v, "glycotrial_ae_vars")
  expect_identical(v$grade, "ATOXGR")
  expect_identical(v$subject, "USUBJID")
  expect_error(ae_vars(grade = 3), class = "glycotrial_error_input")
  expect_error(ae_vars(related_values = 1), class = "glycotrial_error")
  w <- teae_window("window", lag = 7)
  expect_identical(unclass(w), list(method = "window", lag = 7, missing_onset = "teae"))
  expect_error(teae_window(lag = -1), class = "glycotrial_error_input")
  expect_error(teae_window("sometimes"), class = "glycotrial_error_input")
})

test_that("the population keeps SAFFL = Y subjects with their treatment days", {
  d <- safety_toy()
  pop <- glycotrial:::safety_population(d$adsl, ae_vars())
  expect_identical(pop$id, paste0("S", 1:5))  # S6 has SAFFL N
  # 2024-01-01 to 2024-03-30: 31 + 29 + 30 = 90 days, both ends counted.
  expect_equal(pop$trt_days, rep(90, 5))
  bad <- d$adsl
  bad$TRTEDT <- as.Date("2023-12-01")
  expect_error(glycotrial:::safety_population(bad, ae_vars()), class = "glycotrial_error_date_window")
})

test_that("values are coded in one pass, factors keep only used levels", {
  enc <- glycotrial:::encode_values
  e <- enc(c("b", "a", "b", NA))
  expect_identical(e$levels[e$code], c("b", "a", "b", NA))
  f <- enc(factor(c("y", "x"), levels = c("x", "y", "z")))
  expect_identical(f$levels, c("x", "y"))
  expect_identical(f$code, c(2L, 1L))
})
