# The sample loop of multiple imputation in chunks of consecutive samples, one
# future per chunk: the results must not depend on the number of chunks or on
# the plan (each sample's stream is keyed by its index in the whole run).

test_that("mi_chunk_index() splits 1..n into consecutive, near-equal runs", {
  # written out: 10 samples in 3 chunks -> boundaries round(0, 3.33, 6.67, 10)
  expect_identical(glycotrial:::mi_chunk_index(10, 3), list(1:3, 4:7, 8:10))
  expect_identical(glycotrial:::mi_chunk_index(5, 1), list(1:5))
  # never more chunks than samples, never an empty chunk
  expect_identical(glycotrial:::mi_chunk_index(3, 8), list(1L, 2L, 3L))
  for (n in c(1, 7, 100)) for (k in c(1, 2, 9)) {
    ix <- glycotrial:::mi_chunk_index(n, k)
    expect_identical(unlist(ix), seq_len(n))
    expect_true(all(lengths(ix) > 0))
  }
})

mi_chunks_run <- function(d, method, chunks, seed = 5) {
  mi_reference_based(d, mi_example_vars(), data_ice = attr(d, "data_ice"),
                     reference = c(TRT = "PBO"), analysis_covariates = "BASE",
                     method = method, chunks = chunks, seed = seed)
}

test_that("results are identical for 1 and 3 chunks, sequential and multisession", {
  skip_if_not_installed("future")
  d <- mi_example_data(n = 40, seed = 3)
  methods <- list(mi_bmlmi(B = 7, D = 2), mi_approxbayes(n_samples = 8),
                  mi_condmean("jackknife"), mi_condmean("bootstrap", n_samples = 6))
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  one <- lapply(methods, mi_chunks_run, d = d, chunks = 1)
  for (j in seq_along(methods)) {
    three <- mi_chunks_run(d, methods[[j]], chunks = 3)
    expect_identical(three$results, one[[j]]$results)
    expect_identical(three$estimates, one[[j]]$estimates)
    expect_identical(three$chunks, 3L)
  }
  skip_on_cran()
  future::plan(future::multisession, workers = 2)
  for (j in c(1, 3)) {
    expect_identical(mi_chunks_run(d, methods[[j]], chunks = 4)$results, one[[j]]$results)
  }
})

test_that("a bad chunks argument is a classed error", {
  d <- mi_example_data(n = 20, seed = 3)
  expect_error(mi_chunks_run(d, mi_condmean("jackknife"), chunks = 0), class = "glycotrial_error")
  expect_error(mi_chunks_run(d, mi_condmean("jackknife"), chunks = 1.5), class = "glycotrial_error")
  expect_error(mi_chunks_run(d, mi_condmean("jackknife"), chunks = c(2, 3)), class = "glycotrial_error")
})

test_that("seed makes the conditional-mean bootstrap reproducible without touching the caller's stream", {
  d <- mi_example_data(n = 30, seed = 3)
  m <- mi_condmean("bootstrap", n_samples = 4)
  set.seed(1)
  a <- mi_chunks_run(d, m, chunks = 1, seed = 9)
  after_a <- runif(1)
  set.seed(1)
  b <- mi_chunks_run(d, m, chunks = 1, seed = 9)
  expect_identical(runif(1), after_a)
  expect_identical(a$samples, b$samples)
  expect_identical(a$results, b$results)
  expect_false(identical(mi_chunks_run(d, m, chunks = 1, seed = 10)$samples, a$samples))
  # seeds above 2^31 - 1 are valid too (2^31 itself is NA as an R integer)
  expect_silent(mi_chunks_run(d, m, chunks = 1, seed = 4e9))
  expect_silent(mi_chunks_run(d, m, chunks = 1, seed = 2^31))
  expect_error(mi_chunks_run(d, m, chunks = 1, seed = -1), class = "glycotrial_error")
})

test_that("long runs go through the core in parts with progress, with the same results", {
  skip_if_not_installed("future")
  skip_if_not_installed("progressr")
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  # progressr signals progress outside interactive sessions only when enabled
  withr::local_options(progressr.enable = TRUE)
  d <- mi_example_data(n = 60, seed = 4)
  # 61 samples in 20 local parts: boundaries round(61 k / 20)
  expect_equal(lengths(glycotrial:::mi_parts(61, 1)), c(rep(3, 10), 4, rep(3, 9)))
  expect_length(glycotrial:::mi_parts(39, 1), 1)
  for (m in list(mi_approxbayes(n_samples = 40), mi_condmean("jackknife"))) {
    n_prog <- 0
    local <- withCallingHandlers(mi_chunks_run(d, m, chunks = 1),
                                 progression = function(c) n_prog <<- n_prog + 1)
    expect_gt(n_prog, 10)
    expect_identical(local$results, mi_chunks_run(d, m, chunks = 3)$results)
  }
})
