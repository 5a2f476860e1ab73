# The per-subject SQL shape of the database moment pass
# (R/sources_dbi_subject.R: one row per subject, GROUP BY visit pattern)
# against the self-join shape and the in-memory pass, on SQLite and on the
# PostgreSQL server of helper-postgres.R; a covariate that varies within
# subject falls back to the self-join.

dbi_pass <- function(con, table, formula, subject_shape, levels) {
  withr::local_options(glycotrial.sql_subject_moments = subject_shape)
  roles <- glycotrial:::moments_roles(mmrm_formula(formula), NULL)
  glycotrial:::mmrm_data_pass(mmrm_data_dbi(con, table, levels = levels), roles)$moments
}

expect_same_moments <- function(a, b, tol) {
  expect_identical(length(a$patterns), length(b$patterns))
  for (i in seq_along(a$patterns)) {
    expect_identical(a$patterns[[i]]$visits, b$patterns[[i]]$visits)
    expect_identical(a$patterns[[i]]$n, b$patterns[[i]]$n)
    expect_lt(max(abs(a$patterns[[i]]$M - b$patterns[[i]]$M)) / max(abs(b$patterns[[i]]$M)), tol)
  }
}

subject_shape_checks <- function(con) {
  d <- scale_sim_data(150, 4, seed = 41)
  d$BASE <- d$BASE + 50
  d$HR <- withr::with_seed(3, stats::rnorm(nrow(d), 70, 5))  # varies by visit
  dd <- d
  dd$AVISIT <- as.character(dd$AVISIT)
  DBI::dbWriteTable(con, "adlb_subject", dd, row.names = FALSE, overwrite = TRUE)
  lv <- list(AVISIT = levels(d$AVISIT))
  for (form in list(scale_formula, CHG ~ BASE + HR + ARM * AVISIT + us(AVISIT | USUBJID))) {
    a <- dbi_pass(con, "adlb_subject", form, TRUE, lv)
    b <- dbi_pass(con, "adlb_subject", form, FALSE, lv)
    expect_same_moments(a, b, 1e-12)
  }
  # and the fit equals the in-memory fit of the same rows
  ref <- withr::with_options(list(glycotrial.mmrm_moment_rows = 1), mmrm_fit(scale_formula, data = d))
  f <- mmrm_fit(scale_formula, data = mmrm_data_dbi(con, "adlb_subject", levels = lv))
  expect_lt(rel_diff(coef(f), coef(ref)), 1e-10)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(ref)), tolerance = 1e-10)
}

test_that("SQLite: the per-subject SQL shape gives the self-join's moments", {
  skip_if_not_installed("RSQLite")
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con))
  subject_shape_checks(con)
})

test_that("PostgreSQL: the per-subject SQL shape gives the self-join's moments", {
  con <- pg_connect()
  subject_shape_checks(con)
})
