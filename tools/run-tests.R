# Runs the whole testthat suite (R and C++) against the installed package and
# ends with one plain line "N passed, N failed, N skipped" for CI; exits
# non-zero when any expectation fails or errors.
Sys.setenv(NOT_CRAN = "true")
suppressPackageStartupMessages(library(testthat))
results <- testthat::test_dir(
  "tests/testthat",
  package = "glycotrial",
  load_package = "installed",
  reporter = testthat::ProgressReporter$new(show_praise = FALSE),
  stop_on_failure = FALSE
)
df <- as.data.frame(results)
n_failed <- sum(df$failed) + sum(df$error)
n_skipped <- sum(df$skipped)
n_passed <- sum(df$passed)
cat(sprintf("%d passed, %d failed, %d skipped\n", n_passed, n_failed, n_skipped))
quit(status = if (n_failed > 0) 1L else 0L)
