# Run by tools/sanitize/valgrind.sh inside `R -d valgrind`: runs the test
# files named in VALGRIND_TESTS (those that exist) against the installed
# package and exits non-zero on any failure.
Sys.setenv(NOT_CRAN = "true")
suppressPackageStartupMessages(library(testthat))
files <- strsplit(Sys.getenv("VALGRIND_TESTS"), "[[:space:]]+")[[1]]
files <- file.path("tests/testthat", files[nzchar(files)])
files <- files[file.exists(files)]
failed <- 0
for (f in files) {
  cat("valgrind: ", f, "\n", sep = "")
  r <- as.data.frame(testthat::test_file(f, package = "glycotrial", load_package = "installed",
                                         reporter = "summary", stop_on_failure = FALSE))
  failed <- failed + sum(r$failed) + sum(r$error)
}
cat(sprintf("valgrind subset: %d files, %d failed\n", length(files), failed))
quit(status = if (failed > 0) 1L else 0L, save = "no")
