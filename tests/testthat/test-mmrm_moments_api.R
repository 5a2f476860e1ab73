# The public map-reduce API: mmrm_moments() per chunk, merge_moments(),
# mmrm_fit()/fit_lmm() from the merged object -- equal to fitting all rows
# (<= 1e-10 relative), through serialize(), and refusing mismatched or
# foreign-version moments with classed errors.

lv_api <- list(AVISIT = paste0("W", 1:4 * 4), SEX = c("F", "M"), REGION = c("ASIA", "EU", "NAM"),
               ARM = c("Drug", "Placebo"))

test_that("map, serialise, reduce, fit equals the in-memory fit", {
  d <- scale_sim_data(180, 4, seed = 41)
  ref <- mmrm_fit(scale_formula, data = d)
  chunks <- split(d, rep(1:3, each = 60 * 4))
  parts <- lapply(seq_along(chunks), function(i) {
    m <- mmrm_moments(scale_formula, chunks[[i]], lv_api, chunk_id = i)
    unserialize(serialize(m, NULL))   # as it comes back from another process
  })
  m <- merge_moments(parts)
  expect_s3_class(m, "glycotrial_moments")
  expect_identical(m$version, 1L)
  expect_identical(m$n_chunks, 3L)
  expect_equal(m$moments$n_obs, sum(!is.na(d$CHG)))
  f <- mmrm_fit(scale_formula, data = m)
  expect_lt(rel_diff(coef(f), coef(ref)), 1e-10)
  expect_lt(rel_diff(f$theta, ref$theta), 1e-10)
  expect_equal(vcov(f), vcov(ref), tolerance = 1e-10)
  # merging in two steps is the same; another covariance structure from the same moments
  f2 <- mmrm_fit(scale_formula, data = merge_moments(merge_moments(parts[1:2]), parts[[3]]))
  expect_lt(rel_diff(coef(f2), coef(ref)), 1e-10)
  ar <- CHG ~ BASE + SEX + REGION + ARM * AVISIT + ar1(AVISIT | USUBJID)
  expect_lt(rel_diff(coef(mmrm_fit(ar, data = m)), coef(mmrm_fit(ar, data = d))), 1e-10)
  expect_output(print(m), "glycotrial_moments v1")
})

test_that("a pilot sample keeps data far from zero accurate", {
  d <- scale_sim_data(120, 4, seed = 42)
  d$CHG <- d$CHG + 1e6
  d$BASE <- d$BASE + 1e5
  # (the row route warns "NAs introduced by coercion" here under testthat; noted in issue 21)
  ref <- suppressWarnings(mmrm_fit(scale_formula, data = d))
  chunks <- split(d, rep(1:2, each = 60 * 4))
  m <- merge_moments(lapply(chunks, function(ch) mmrm_moments(scale_formula, ch, lv_api, pilot = chunks[[1]])))
  # (without the pilot these moments cancel so badly that the fit does not
  # converge; the row-route reference itself is accurate to about 1e-8 here)
  expect_lt(rel_diff(coef(mmrm_fit(scale_formula, data = m)), coef(ref)), 1e-6)
  # chunks with different pilots do not merge
  other <- mmrm_moments(scale_formula, chunks[[2]], lv_api, pilot = chunks[[2]])
  expect_error(merge_moments(mmrm_moments(scale_formula, chunks[[1]], lv_api, pilot = chunks[[1]]), other),
               class = "glycotrial_error_moments_mismatch", regexp = "pilot")
})

test_that("fit_lmm from moments equals the in-memory fit", {
  d <- scale_sim_data(120, 4, seed = 43)
  d$WEEK <- as.numeric(sub("W", "", as.character(d$AVISIT)))
  form <- CHG ~ BASE + ARM + WEEK + (1 + WEEK | USUBJID)
  ref <- fit_lmm(form, data = d[!is.na(d$CHG), ])
  chunks <- split(d, rep(1:2, each = 60 * 4))
  m <- merge_moments(lapply(chunks, function(ch) mmrm_moments(form, ch, list(ARM = lv_api$ARM, WEEK = c(4, 8, 12, 16)))))
  expect_identical(m$model, "lmm")
  f <- fit_lmm(form, data = m)
  expect_lt(rel_diff(fixef(f), fixef(ref)), 1e-8)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(ref)), tolerance = 1e-8)
})

test_that("bad input: unknown level names the chunk; mismatches and versions refused", {
  d <- scale_sim_data(60, 4, seed = 44)
  chunks <- split(d, rep(1:2, each = 30 * 4))
  ch <- chunks[[2]]
  ch$REGION[3] <- "MARS"
  expect_error(mmrm_moments(scale_formula, ch, lv_api, chunk_id = "b-7"),
               class = "glycotrial_error_chunk", regexp = "chunk b-7.*MARS")
  # levels not given: chunks may be encoded differently and do not merge
  a <- mmrm_moments(scale_formula, chunks[[1]][chunks[[1]]$REGION != "ASIA", ], lv_api["AVISIT"])
  b <- mmrm_moments(scale_formula, chunks[[2]], lv_api["AVISIT"])
  expect_error(merge_moments(a, b), class = "glycotrial_error_moments_mismatch", regexp = "REGION")
  # another fixed-effect formula is refused at the fit
  m <- mmrm_moments(scale_formula, chunks[[1]], lv_api)
  expect_error(mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), data = m),
               class = "glycotrial_error_moments_mismatch")
  # a foreign format version
  old <- m
  old$version <- 0L
  expect_error(mmrm_fit(scale_formula, data = old), class = "glycotrial_error_moments_version",
               regexp = "version")
  expect_error(merge_moments(m, old), class = "glycotrial_error_moments_version", regexp = "part 2")
  expect_error(merge_moments(list(1)), class = "glycotrial_error_moments_version")
  # a missing column names the chunk
  expect_error(mmrm_moments(scale_formula, chunks[[1]][setdiff(names(d), "BASE")], lv_api, chunk_id = 3),
               class = "glycotrial_error_chunk", regexp = "chunk 3")
})
