# Tests mirror R/: tools/check-test-mirror.R lists R files without
# test-<file>.R, test files named after no R file (cross-cutting suites are
# test-zz-<topic>.R) and dashed names where R/ uses underscores.

test_that("every R file has its mirrored test file, and test files are named by the rule", {
  root <- testthat::test_path("..", "..")
  tool <- file.path(root, "tools", "check-test-mirror.R")
  # Only from a source checkout: an installed package has no R/ or tools/.
  skip_if_not(file.exists(tool) && dir.exists(file.path(root, "R")), "not a source checkout")
  env <- new.env()
  sys.source(tool, envir = env)
  res <- env$check_test_mirror(root)
  expect_identical(res$unmirrored, character(), label = "R files without a test file")
  expect_identical(res$orphans, character(), label = "test files named after no R file")
  expect_identical(res$separators, character(), label = "test file names with '-'")
})

test_that("the check finds an unmirrored file, an orphan and a dashed name", {
  root <- testthat::test_path("..", "..")
  tool <- file.path(root, "tools", "check-test-mirror.R")
  skip_if_not(file.exists(tool), "not a source checkout")
  env <- new.env()
  sys.source(tool, envir = env)
  tmp <- withr::local_tempdir()
  dir.create(file.path(tmp, "R"))
  dir.create(file.path(tmp, "tests", "testthat"), recursive = TRUE)
  file.create(file.path(tmp, "R", c("a_b.R", "c.R", "zzz.R")))
  file.create(file.path(tmp, "tests", "testthat",
                        c("test-a_b.R", "test-a_b_more.R", "test-a_b_more-x.R", "test-a_b-x.R", "test-d.R",
                          "test-zz-cross_cut.R", "test-zz-bad-name.R", "helper-x.R")))
  res <- env$check_test_mirror(tmp)
  expect_identical(res$unmirrored, "c")
  expect_setequal(res$orphans, c("test-a_b-x.R", "test-d.R"))
  expect_setequal(res$separators, c("test-a_b_more-x.R", "test-zz-bad-name.R"))
})

# ARCHITECTURE.md names only files and functions that exist
# (tools/check-architecture.R).
test_that("every file and function ARCHITECTURE.md names exists, and the check can fail", {
  root <- testthat::test_path("..", "..")
  tool <- file.path(root, "tools", "check-architecture.R")
  skip_if_not(file.exists(tool) && file.exists(file.path(root, "ARCHITECTURE.md")) &&
                dir.exists(file.path(root, "R")), "not a source checkout")
  env <- new.env()
  sys.source(tool, envir = env)
  expect_identical(env$check_architecture(root), character())
  tmp <- withr::local_tempdir()
  dir.create(file.path(tmp, "R"))
  dir.create(file.path(tmp, "src", "core"), recursive = TRUE)
  writeLines("fit_a <- function(x) x", file.path(tmp, "R", "a.R"))
  writeLines("class Model {};\nint engine_run(int k) { return k; }", file.path(tmp, "src", "core", "m.hpp"))
  writeLines(c("`R/a.R` and `R/b.R`, `fit_a()`, `fit_b()`, `engine_run()`, `Model`, `OtherModel`,",
               "`r_gone.cpp`, `src/core/`, `R/safety_<topic>.R`, `R/*.R`"),
             file.path(tmp, "ARCHITECTURE.md"))
  expect_setequal(env$check_architecture(tmp), c("R/b.R", "fit_b()", "OtherModel", "r_gone.cpp"))
})
