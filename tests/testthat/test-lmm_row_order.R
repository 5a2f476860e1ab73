# fitted(), residuals(), predict(), augment() of fit_lmm()/fit_joint() in
# the data's row order, named by row, na.action honoured.
# Reference: lme4::lmer / the same fit on sorted data.

lmm_row_data <- function(seed = 1) {
  set.seed(seed)
  n <- 30
  d <- expand.grid(WEEK = c(0, 4, 8, 12), USUBJID = sprintf("S%02d", seq_len(n)),
                   stringsAsFactors = FALSE)
  d$ARM <- factor(ifelse(as.integer(factor(d$USUBJID)) %% 2 == 0, "A", "B"))
  d$AVAL <- 8 + stats::rnorm(n)[as.integer(factor(d$USUBJID))] - 0.05 * d$WEEK * (d$ARM == "B") +
    stats::rnorm(nrow(d), 0, 0.4)
  d
}

test_that("results follow the row order of shuffled data, named by row (as lme4)", {
  d <- lmm_row_data()
  set.seed(2)
  sh <- d[sample(nrow(d)), ]
  fit <- fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID), sh)
  expect_equal(names(fitted(fit)), rownames(sh))
  expect_equal(unname(residuals(fit)), unname(sh$AVAL - fitted(fit)))
  expect_equal(predict(fit), fitted(fit))
  # the same model on sorted data gives the same values for the same rows
  fit0 <- fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID), d)
  expect_equal(fitted(fit)[rownames(d)], fitted(fit0), tolerance = 1e-8)
  aug <- augment(fit)
  expect_equal(aug$AVAL, sh$AVAL)
  expect_equal(aug$.fitted, unname(fitted(fit)))
  skip_if_not_installed("lme4")
  ref <- lmm_tight_lmer(AVAL ~ ARM * WEEK + (1 | USUBJID), sh)
  expect_equal(fitted(fit), fitted(ref), tolerance = 1e-5)
  expect_equal(residuals(fit), residuals(ref), tolerance = 1e-5)
})

test_that("several grouping factors and residual structures keep the row order", {
  d <- lmm_row_data(3)
  d$SITE <- paste0("site", as.integer(factor(d$USUBJID)) %% 5)
  d$AVISIT <- factor(paste0("W", d$WEEK), levels = paste0("W", c(0, 4, 8, 12)))
  set.seed(4)
  sh <- d[sample(nrow(d)), ]
  f1 <- suppressWarnings(fit_lmm(AVAL ~ ARM * WEEK + (1 | SITE) + (1 | USUBJID), sh))
  expect_equal(names(fitted(f1)), rownames(sh))
  expect_equal(unname(residuals(f1)), unname(sh$AVAL - fitted(f1)))
  f2 <- fit_lmm(AVAL ~ ARM * AVISIT + ar1(AVISIT | USUBJID), sh)
  expect_equal(names(residuals(f2)), rownames(sh))
  expect_equal(unname(residuals(f2)), unname(sh$AVAL - fitted(f2)))
})

test_that("na.action: omit drops, exclude pads with NA, fail refuses", {
  d <- lmm_row_data(5)
  d$AVAL[c(3, 10, 50)] <- NA
  d$ARM[7] <- NA
  fo <- fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID), d)
  expect_length(fitted(fo), nrow(d) - 4)
  expect_equal(names(fitted(fo)), rownames(d)[-c(3, 7, 10, 50)])
  fe <- fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID), d, na.action = "na.exclude")
  expect_length(fitted(fe), nrow(d))
  expect_true(all(is.na(fitted(fe)[c(3, 7, 10, 50)])))
  expect_true(all(is.na(residuals(fe)[c(3, 7, 10, 50)])))
  expect_equal(fitted(fe)[-c(3, 7, 10, 50)], fitted(fo))
  d$fit <- fitted(fe)  # lines up
  expect_equal(d$fit[1], unname(fitted(fo)[1]))
  expect_equal(fitted(fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID), d, na.action = stats::na.exclude)),
               fitted(fe))
  expect_error(fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID), d, na.action = "na.fail"),
               class = "glycotrial_error_input")
  expect_error(fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID), d, na.action = "drop"),
               class = "glycotrial_error_input")
  # lm() semantics as the reference for the padding
  ref <- stats::lm(AVAL ~ ARM * WEEK, d, na.action = stats::na.exclude)
  expect_equal(which(is.na(fitted(fe))), which(is.na(fitted(ref))))
  expect_equal(names(fitted(fe)), names(fitted(ref)))
})

test_that("fit_joint results follow the data's rows", {
  d <- adlb[adlb$PARAMCD %in% c("HBA1C", "INSDOSEKG"), ]
  set.seed(6)
  sh <- d[sample(nrow(d)), ]
  fit <- suppressWarnings(fit_joint(sh))
  fit0 <- suppressWarnings(fit_joint(d))
  used <- sh$AVISITN > 0 & !is.na(sh$AVAL)
  expect_equal(sort(names(fitted(fit))), sort(rownames(sh)[used]))
  expect_equal(names(fitted(fit)), rownames(sh)[sort(match(names(fitted(fit)), rownames(sh)))])
  expect_equal(fitted(fit)[names(fitted(fit0))], fitted(fit0), tolerance = 1e-6)
  r <- residuals(fit)
  hb <- sh[names(r), "PARAMCD"] == "HBA1C"  # identity scale (INSDOSEKG is on the log scale)
  expect_equal(unname(r[hb]), unname(sh[names(r), "AVAL"][hb] - fitted(fit)[hb]), tolerance = 1e-10)
  fe <- suppressWarnings(fit_joint(sh, na.action = "na.exclude"))
  expect_length(fitted(fe), nrow(sh))
  expect_equal(unname(is.na(fitted(fe))), !used)
})
