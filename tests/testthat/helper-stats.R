# Absolute-difference expectation for published values printed to a fixed
# number of decimals (testthat's tolerance is relative).
expect_close <- function(actual, expected, abs_tol, label = NULL) {
  actual <- unname(as.numeric(unlist(actual)))
  expected <- unname(as.numeric(unlist(expected)))
  testthat::expect_equal(length(actual), length(expected))
  fin <- is.finite(expected)
  testthat::expect_identical(is.finite(actual), fin)
  d <- max(c(0, abs(actual[fin] - expected[fin])))
  testthat::expect_lte(d, abs_tol, label = paste(label %||% "max |actual - expected|", "=", signif(d, 3)))
}
`%||%` <- function(a, b) if (is.null(a)) b else a
