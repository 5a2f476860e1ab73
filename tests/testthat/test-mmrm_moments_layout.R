# The compressed layout of the moment data pass (subject terms accumulated
# once per subject, visit terms applied at the end; src/core/mmrm/moments.hpp,
# "Layout") against a reference computed here from model.matrix(): each
# pattern's M_P = sum_i vec(A_i) vec(A_i)', A_i = [sqrt(w) X_i | sqrt(w) y_i].

# Reference moments of a data frame from model.matrix(), in R loops.
layout_reference <- function(d, f_fixed, visit_levels, w = NULL) {
  X <- stats::model.matrix(f_fixed, d)
  y <- d$CHG
  w <- if (is.null(w)) rep(1, nrow(d)) else d[[w]]
  out <- list()
  for (s in unique(d$USUBJID)) {
    rows <- which(d$USUBJID == s)
    rows <- rows[order(match(as.character(d$AVISIT[rows]), visit_levels))]
    A <- sqrt(w[rows]) * cbind(X[rows, , drop = FALSE], y[rows])
    key <- paste(match(as.character(d$AVISIT[rows]), visit_levels) - 1L, collapse = ",")
    v <- as.vector(A)
    out[[key]] <- (if (is.null(out[[key]])) 0 else out[[key]]) + tcrossprod(v)
  }
  out
}

layout_pass <- function(d, formula, weights = NULL, pilot = FALSE) {
  spec <- mmrm_formula(formula)
  roles <- glycotrial:::moments_roles(spec, weights)
  enc <- glycotrial:::moments_encoding(NULL, roles, glycotrial:::moments_schema(d, roles))
  if (pilot) enc <- glycotrial:::moments_pilot(enc, d)
  glycotrial:::moments_chunk(d, enc, threads = 2L)
}

layout_compare <- function(mom, ref) {
  keys <- vapply(mom$patterns, function(p) paste(p$visits, collapse = ","), "")
  expect_setequal(keys, names(ref))
  for (i in seq_along(keys)) {
    R <- ref[[keys[i]]]
    expect_lt(max(abs(mom$patterns[[i]]$M - R)) / max(abs(R)), 1e-13)
  }
}

test_that("subject-level and visit-level columns: compressed moments equal model.matrix() sums", {
  d <- scale_sim_data(n = 60, k = 4, seed = 3)
  d <- d[!is.na(d$CHG), ]
  f <- CHG ~ BASE + SEX + REGION + ARM * AVISIT + BASE:AVISIT + us(AVISIT | USUBJID)
  ref <- layout_reference(d, ~ BASE + SEX + REGION + ARM * AVISIT + BASE:AVISIT,
                          levels(d$AVISIT))
  layout_compare(layout_pass(d, f), ref)
  # rows shuffled (subject ids not in runs) and ids as a factor: same moments
  d2 <- d[withr::with_seed(1, sample(nrow(d))), ]
  d2$USUBJID <- factor(d2$USUBJID)
  layout_compare(layout_pass(d2, f), ref)
})

test_that("a covariate that varies within subject and weights: both layouts agree with the reference", {
  d <- scale_sim_data(n = 50, k = 3, seed = 4)
  d <- d[!is.na(d$CHG), ]
  d$HR <- withr::with_seed(2, stats::rnorm(nrow(d), 70, 8))    # varies by visit
  d$W <- rep(withr::with_seed(5, stats::runif(50, 0.5, 2)), each = 3)[seq_len(nrow(d))]
  d$W <- stats::ave(d$W, d$USUBJID, FUN = function(x) x[1])     # one weight per subject
  f <- CHG ~ BASE + HR + ARM * AVISIT + us(AVISIT | USUBJID)
  ref <- layout_reference(d, ~ BASE + HR + ARM * AVISIT, levels(d$AVISIT), w = "W")
  layout_compare(layout_pass(d, f, weights = "W"), ref)
  # weights that vary within subject: the plain layout, same reference
  d$W <- withr::with_seed(6, stats::runif(nrow(d), 0.5, 2))
  ref <- layout_reference(d, ~ BASE + HR + ARM * AVISIT, levels(d$AVISIT), w = "W")
  layout_compare(layout_pass(d, f, weights = "W"), ref)
})

test_that("the compressed and plain layouts give the same moments, also with the pilot shift", {
  d <- scale_sim_data(n = 200, k = 5, seed = 7)
  d$BASE <- d$BASE + 1e4  # far from zero: centring and the response shift apply
  a <- layout_pass(d, scale_formula, pilot = TRUE)
  b <- withr::with_options(list(glycotrial.moments_compress = FALSE),
                           layout_pass(d, scale_formula, pilot = TRUE))
  expect_identical(length(a$patterns), length(b$patterns))
  for (i in seq_along(a$patterns)) {
    expect_identical(a$patterns[[i]]$visits, b$patterns[[i]]$visits)
    expect_lt(max(abs(a$patterns[[i]]$M - b$patterns[[i]]$M)) / max(abs(b$patterns[[i]]$M)), 1e-12)
  }
  expect_identical(a$n_obs, b$n_obs)
})

test_that("factors are read through their level table: other level order, unused and foreign levels", {
  d <- scale_sim_data(n = 40, k = 3, seed = 8)
  f <- CHG ~ REGION + AVISIT + us(AVISIT | USUBJID)
  spec <- mmrm_formula(f)
  roles <- glycotrial:::moments_roles(spec, NULL)
  enc <- glycotrial:::moments_encoding(NULL, roles, glycotrial:::moments_schema(d, roles))
  a <- glycotrial:::moments_chunk(d, enc)
  d2 <- d
  d2$REGION <- factor(d2$REGION, levels = c("ZZZ", rev(sort(unique(d$REGION)))))  # unused + reversed
  d2$AVISIT <- factor(as.character(d2$AVISIT), levels = rev(levels(d$AVISIT)))
  b <- glycotrial:::moments_chunk(d2, enc)
  for (i in seq_along(a$patterns)) expect_equal(a$patterns[[i]]$M, b$patterns[[i]]$M, tolerance = 1e-14)
  d2$REGION[1] <- "ZZZ"
  expect_error(glycotrial:::moments_chunk(d2, enc, label = "chunk 1"),
               class = "glycotrial_error_chunk", regexp = "ZZZ")
})

test_that("the pass does not depend on the thread count (fixed blocks merged in order)", {
  d <- scale_sim_data(n = 9000, k = 3, seed = 9)
  spec <- mmrm_formula(scale_formula)
  roles <- glycotrial:::moments_roles(spec, NULL)
  enc <- glycotrial:::moments_encoding(NULL, roles, glycotrial:::moments_schema(d, roles))
  a <- glycotrial:::moments_chunk(d, enc, threads = 1L)
  b <- glycotrial:::moments_chunk(d, enc, threads = 2L)
  expect_identical(a, b)
})
