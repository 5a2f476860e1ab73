# mmrm_design(): stage 2 of mmrm_fit() (R/mmrm_design.R): the data, and the
# choice of the route, made once.

fev_data <- function() suppressWarnings(mmrm::fev_data)

test_that("the row route gives the design mmrm_fit() fits, in the engine's order", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  des <- mmrm_design(FEV1 ~ ARMCD * AVISIT + us(AVISIT | USUBJID), fev)
  expect_s3_class(des, "glycotrial_mmrm_design")
  expect_identical(des$route, "rows")
  d <- des$design
  used <- !is.na(fev$FEV1)
  expect_identical(length(d$y), sum(used))
  # reference: model.matrix() of the complete rows, sorted by subject and visit
  ref <- fev[used, ]
  ref <- ref[order(as.character(ref$USUBJID), ref$AVISIT), ]
  expect_equal(unname(d$X), unname(model.matrix(FEV1 ~ ARMCD * AVISIT, ref)), ignore_attr = TRUE)
  expect_equal(unname(d$y), ref$FEV1)
  expect_identical(d$n_visits, 4L)
  expect_identical(d$subject_start[length(d$subject_start)], sum(used))
  expect_null(des$reparam)  # ordinary data: not centred
  expect_output(print(des), "537 observations, 197 subjects")
})

test_that("a weights column name and na.action are resolved at the design stage", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  fev$W <- seq_len(nrow(fev)) %% 3 + 1
  des <- mmrm_design(FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID), fev, weights = "W",
                     na.action = na.exclude)
  expect_true(des$design$has_weights)
  expect_identical(des$design$weights, fev$W[des$design$rows])
  expect_identical(des$na_type, "exclude")
})

test_that("data far from zero are centred at the design stage, once", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  fev$FEV1 <- fev$FEV1 + 1e4
  des <- mmrm_design(FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID), fev)
  expect_false(is.null(des$reparam))
  # the engine sees the shifted response; the design keeps the original one
  expect_gt(abs(mean(des$design$y)), 1e3)
  expect_lt(abs(mean(des$engine_design$y)), 10)
})

test_that("a data source takes the moment route, chosen at the design stage", {
  set.seed(3)
  wk <- paste0("W", 1:3)
  d <- expand.grid(USUBJID = factor(1:30), AVISIT = factor(wk, levels = wk))
  d$ARM <- factor(ifelse(as.integer(d$USUBJID) %% 2 == 0, "A", "B"))
  d$CHG <- rnorm(nrow(d)) + rep(rnorm(30), times = 3)
  d <- d[order(d$USUBJID), ]
  des <- mmrm_design(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID),
                     mmrm_data_chunks(list(d[1:42, ], d[43:90, ])))
  expect_identical(des$route, "moments")
  expect_identical(des$moments$mom$n_obs, 90)
  expect_identical(des$moments$n_subj, 30)
  # X'X of the moments = that of the rows (hand reference: crossprod)
  X <- model.matrix(~ ARM + AVISIT, d)
  expect_equal(unname(des$moments$XY[1:4, 1:4]), unname(crossprod(X)))
  expect_output(print(des), "route: moments")
})

test_that("bad input to the design stage gives classed errors", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  f <- FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID)
  expect_error(mmrm_design(f, "fev"), class = "glycotrial_error_input")
  expect_error(mmrm_design(f, fev, weights = "NOPE"), class = "glycotrial_error_input")
  expect_error(mmrm_design(f, fev, weights = -seq_len(nrow(fev))), class = "glycotrial_error_input")
  expect_error(mmrm_design(f, fev, control = list()), class = "glycotrial_error_input")
  expect_error(mmrm_design(f, fev, na.action = "na.pass"), class = "glycotrial_error_input")
  expect_error(mmrm_design(FEV1 ~ NOPE + cs(AVISIT | USUBJID), fev), class = "glycotrial_error_input")
  expect_error(mmrm_design(f, mmrm_data_chunks(list(fev)), weights = rep(1, nrow(fev))),
               class = "glycotrial_error_input")
  expect_error(mmrm_design(FEV1 ~ ARMCD + sp_exp(VISITN | USUBJID), mmrm_data_chunks(list(fev))),
               class = "glycotrial_error_moment_route")
})
