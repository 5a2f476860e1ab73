# The moment route with many visits, memory caps, the DBI
# route's input checks.

scale_many_visits <- function(n = 25, k = 26, miss = 0.2, seed = 1) {
  set.seed(seed)
  d <- expand.grid(AVISIT = factor(sprintf("V%02d", 1:k), levels = sprintf("V%02d", 1:k)),
                   USUBJID = sprintf("S%04d", 1:n))
  d$ARM <- ifelse(as.integer(factor(d$USUBJID)) %% 2 == 0, "Drug", "Placebo")
  b <- rnorm(n)[as.integer(factor(d$USUBJID))]
  d$CHG <- b + rnorm(nrow(d)) + 0.1 * as.integer(d$AVISIT) * (d$ARM == "Drug")
  d$CHG[runif(nrow(d)) < miss] <- NA
  d
}

test_that("many visits with scattered missing values: the route choice takes the rows", {
  d <- scale_many_visits()
  withr::local_options(glycotrial.mmrm_moment_rows = 1, glycotrial.moment_route_min_bytes = 0)
  plan <- glycotrial:::moments_route_plan(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), d)
  # every subject its own pattern: 25 patterns of ~21 visits, p = 27
  expect_equal(plan$n_patterns, 25)
  expect_false(plan$moments)
  expect_gt(plan$moment_bytes, plan$row_bytes)
  f1 <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = d)
  expect_false(isTRUE(f1$moments_only))
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  f2 <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = d)
  expect_equal(coef(f1), coef(f2), tolerance = 1e-8)
  skip_if_not_installed("mmrm")
  # independent reference
  d2 <- d[!is.na(d$CHG), ]
  d2$USUBJID <- factor(d2$USUBJID)
  ref <- mmrm::mmrm(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = d2)
  expect_equal(unname(coef(f1)), unname(coef(ref)), tolerance = 1e-5)
})

test_that("few visits, many subjects per pattern: the moment route stays", {
  d <- scale_many_visits(n = 200, k = 4, miss = 0)
  withr::local_options(glycotrial.mmrm_moment_rows = 1, glycotrial.moment_route_min_bytes = 0)
  f1 <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), data = d)
  expect_true(isTRUE(f1$moments_only))
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  f2 <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), data = d)
  expect_equal(coef(f1), coef(f2), tolerance = 1e-8)
})

test_that("the Kronecker congruence of the moment unmapping is exact", {
  set.seed(2)
  m <- 3; q <- 4
  A <- matrix(rnorm((m * q)^2), m * q)
  M <- crossprod(A)
  V <- matrix(rnorm(q * q), q)
  K <- kronecker(V, diag(m))
  expect_equal(glycotrial:::moments_kron_congruence(M, V, m), crossprod(K, M %*% K), tolerance = 1e-12)
})

test_that("a tiny memory limit gives glycotrial_error_resources naming the row route", {
  d <- scale_many_visits(n = 30, k = 10)
  withr::local_options(glycotrial.moment_memory_limit = 1e4)
  e <- expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID),
                             data = mmrm_data_chunks(list(d))),
                    class = "glycotrial_error_resources")
  expect_match(conditionMessage(e), "row route")
  skip_if_not_installed("RSQLite")
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  withr::defer(DBI::dbDisconnect(con))
  DBI::dbWriteTable(con, "adlb", transform(d, AVISIT = as.character(AVISIT)))
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID),
                        data = mmrm_data_dbi(con, "adlb", levels = list(AVISIT = levels(d$AVISIT)))),
               class = "glycotrial_error_resources")
  withr::local_options(glycotrial.moment_memory_limit = -1)
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = mmrm_data_chunks(list(d))),
               class = "glycotrial_error_input")
})

test_that("DBI: unreadable text in a numeric column is glycotrial_error_column_type", {
  skip_if_not_installed("RSQLite")
  d <- scale_many_visits(n = 40, k = 3, miss = 0)
  d$AVISIT <- as.character(d$AVISIT)
  d$CHG <- as.character(round(d$CHG, 6))
  d$CHG[5] <- "abc"
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  withr::defer(DBI::dbDisconnect(con))
  DBI::dbWriteTable(con, "adlb", d)
  e <- expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = mmrm_data_dbi(con, "adlb")),
                    class = "glycotrial_error_column_type")
  expect_match(conditionMessage(e), "abc")
  # numbers stored as text are numbers
  DBI::dbExecute(con, "UPDATE adlb SET CHG = '0.25' WHERE CHG = 'abc'")
  fit <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = mmrm_data_dbi(con, "adlb"))
  d$CHG[5] <- "0.25"
  d$CHG <- as.numeric(d$CHG)
  d$AVISIT <- factor(d$AVISIT)
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  ref <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = d)
  expect_equal(coef(fit), coef(ref), tolerance = 1e-8)
})

test_that("DBI: more than 31 visits work; a closed connection is glycotrial_error_connection", {
  skip_if_not_installed("RSQLite")
  d <- scale_many_visits(n = 60, k = 35, miss = 0)
  # monotone dropout: few patterns
  d$CHG[as.integer(d$AVISIT) > 33 & d$ARM == "Drug"] <- NA
  lv <- levels(d$AVISIT)
  d$AVISIT <- as.character(d$AVISIT)
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  DBI::dbWriteTable(con, "adlb", d)
  src <- mmrm_data_dbi(con, "adlb", levels = list(AVISIT = lv))
  fit <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = src)
  d$AVISIT <- factor(d$AVISIT, levels = lv)
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  ref <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = d)
  expect_equal(coef(fit), coef(ref), tolerance = 1e-8)
  DBI::dbDisconnect(con)
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = src),
               class = "glycotrial_error_connection")
  expect_error(mmrm_data_dbi(con, "adlb"), class = "glycotrial_error_connection")
})

test_that("column names with spaces or quotes work on the moment route", {
  d <- scale_many_visits(n = 60, k = 3, miss = 0.1)
  names(d)[names(d) == "ARM"] <- "my arm"
  names(d)[names(d) == "CHG"] <- "chg'x"
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  f1 <- mmrm_fit(`chg'x` ~ `my arm` * AVISIT + cs(AVISIT | USUBJID), data = d)
  expect_true(isTRUE(f1$moments_only))
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  f2 <- mmrm_fit(`chg'x` ~ `my arm` * AVISIT + cs(AVISIT | USUBJID), data = d)
  expect_equal(coef(f1), coef(f2), tolerance = 1e-8)
})

test_that("huge simulation and bootstrap sizes are refused before allocating", {
  expect_error(simulate_trial(n = 2^31), class = "glycotrial_error_resources")
  expect_error(power_trial(n = 10, effect = 1, nsim = 2^31), class = "glycotrial_error_resources")
  expect_error(power_trial(n = 2^31, effect = 1, nsim = 10), class = "glycotrial_error_resources")
  e <- expect_error(glycotrial:::check_size(1e12, 1e6, arg = "n_boot", what = "bootstrap resamples"),
                    class = "glycotrial_error_resources")
  expect_match(conditionMessage(e), "1,000,000")
  expect_false(grepl("at least 1", conditionMessage(e)))
})

test_that("joint_bootstrap(n_boot = 1e12) says what the bound is", {
  d <- adlb[adlb$USUBJID %in% unique(adlb$USUBJID)[1:30], ]
  fit <- fit_joint(d)
  e <- expect_error(joint_bootstrap(fit, n_boot = 1e12), class = "glycotrial_error_resources")
  expect_match(conditionMessage(e), "maximum")
})
