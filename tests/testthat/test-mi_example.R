# The example trial of the multiple-imputation functions (R/mi_example.R).

test_that("mi_example_data() has one row per subject and visit, monotone dropout and an ICE table", {
  d <- mi_example_data(n = 30, dropout = 0.25, n_visits = 4, seed = 3)
  v <- mi_example_vars()
  expect_true(all(c(v$subjid, v$visit, v$group, v$outcome) %in% names(d)))
  expect_equal(nrow(d), 30 * 4)
  expect_equal(as.vector(table(d[[v$subjid]])), rep(4L, 30))
  # dropout is monotone: once missing, missing at every later visit
  y <- split(d[[v$outcome]], d[[v$subjid]])
  mono <- vapply(y, function(x) { m <- is.na(x); !any(diff(m) < 0) }, logical(1))
  expect_true(all(mono))
  # every subject with missing outcomes has an intercurrent event at its first missing visit
  ice <- attr(d, "data_ice")
  miss_subj <- names(y)[vapply(y, anyNA, logical(1))]
  expect_setequal(as.character(ice[[v$subjid]]), miss_subj)
  first_miss <- vapply(miss_subj, function(s) {
    ds <- d[d[[v$subjid]] == s, ]
    as.character(ds[[v$visit]][which(is.na(ds[[v$outcome]]))[1]])
  }, character(1))
  expect_equal(as.character(ice[[v$visit]][match(miss_subj, ice[[v$subjid]])]), unname(first_miss))
})

test_that("mi_example_data() is reproducible and leaves the caller's RNG alone", {
  set.seed(42)
  before <- runif(1)
  set.seed(42)
  a <- mi_example_data(n = 10, seed = 7)
  after <- runif(1)
  expect_identical(before, after)
  expect_identical(a, mi_example_data(n = 10, seed = 7))
  expect_error(mi_example_data(n = 2), class = "glycotrial_error")
  expect_error(mi_example_data(dropout = 2), class = "glycotrial_error")
})
