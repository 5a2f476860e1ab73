# future_map(): one future per chunk, results in chunk order, worker errors
# re-raised as classed conditions that name the chunk.

test_that("results come back in chunk order with the extra arguments passed", {
  skip_if_not_installed("future")
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  out <- glycotrial:::future_map(as.list(5:1), function(x, i, k) c(x, i, k), k = 10)
  expect_identical(out, lapply(1:5, function(i) c(6L - i, i, 10)))
  skip_on_cran()
  future::plan(future::multisession, workers = 2)
  out2 <- glycotrial:::future_map(as.list(5:1), function(x, i, k) c(x, i, k), k = 10)
  expect_identical(out2, out)
})

test_that("a failing chunk is a glycotrial_error_worker naming the chunk and the task", {
  skip_if_not_installed("future")
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  f <- function(x, i) if (i == 2) stop("boom in the worker") else x
  err <- tryCatch(glycotrial:::future_map(list(1, 2, 3), f, .what = "imputation and analysis"),
                  error = identity)
  expect_s3_class(err, "glycotrial_error_worker")
  expect_match(conditionMessage(err), "imputation and analysis of chunk 2 \\(job glycotrial-chunk-2\\)")
  expect_match(conditionMessage(err), "boom in the worker")
  # the package's own errors pass through unchanged
  g <- function(x, i) glycotrial:::glycotrial_abort("own error", class = "glycotrial_error_data")
  expect_error(glycotrial:::future_map(list(1), g), class = "glycotrial_error_data")
})
