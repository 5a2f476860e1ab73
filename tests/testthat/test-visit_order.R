# Visit order: levels sorted as text ("Week 12" < "Week 4")
# gave ar1 the wrong neighbours silently although AVISITN was in the data.

vo_data <- function(n = 60, seed = 17) {
  set.seed(seed)
  wk <- c(4, 8, 12, 24)
  d <- expand.grid(AVISITN = wk, USUBJID = sprintf("S%02d", seq_len(n)), stringsAsFactors = FALSE)
  d$AVISIT <- factor(paste("Week", d$AVISITN))          # levels sorted as text
  d$ARM <- factor(ifelse(match(d$USUBJID, unique(d$USUBJID)) %% 2 == 0, "Drug", "Placebo"))
  R <- 0.8^abs(outer(1:4, 1:4, "-"))
  e <- t(chol(R)) %*% matrix(rnorm(4 * n), 4)
  d$CHG <- as.vector(e) + 0.3 * (d$ARM == "Drug") + d$AVISITN / 10
  d
}
vo_good <- function(d) {
  d$AVISIT <- factor(as.character(d$AVISIT), levels = paste("Week", c(4, 8, 12, 24)))
  d
}
f_ar1 <- CHG ~ ARM * AVISIT + ar1(AVISIT | USUBJID)

# Passes when `expr` emits no visit-order message (other messages are muffled).
expect_no_vo_message <- function(expr) {
  cls <- character()
  withCallingHandlers(expr, message = function(m) {
    cls <<- c(cls, class(m))
    invokeRestart("muffleMessage")
  })
  expect_false("glycotrial_message_visit_order" %in% cls)
}

test_that("the test data really are text-sorted", {
  expect_equal(levels(vo_data()$AVISIT), c("Week 12", "Week 24", "Week 4", "Week 8"))
})

test_that("fit_mmrm reorders by AVISITN with a classed message; estimates equal the ordered fit", {
  d <- vo_data()
  expect_message(f1 <- mmrm_fit(f_ar1, d), class = "glycotrial_message_visit_order")
  f2 <- expect_silent(mmrm_fit(f_ar1, vo_good(d)))
  expect_equal(f1$loglik, f2$loglik, tolerance = 1e-10)
  expect_equal(coef(f1), coef(f2), tolerance = 1e-8)
  # and the text order would have given another (wrong) model
  d0 <- d
  d0$AVISITN <- NULL
  f0 <- suppressWarnings(mmrm_fit(f_ar1, d0))
  expect_gt(abs(f0$loglik - f2$loglik), 1)
})

test_that("the ordered fit agrees with mmrm::mmrm on correctly ordered data", {
  skip_if_not_installed("mmrm")
  d <- vo_good(vo_data())
  m <- suppressWarnings(mmrm::mmrm(f_ar1, data = d, reml = TRUE))
  f <- suppressMessages(mmrm_fit(f_ar1, vo_data()))
  expect_equal(f$loglik, as.numeric(stats::logLik(m)), tolerance = 1e-6)
  expect_equal(unname(coef(f)), unname(coef(m)), tolerance = 1e-5)
  expect_equal(names(coef(f)), names(coef(m)))
})

test_that("option glycotrial.visit_order = 'error' refuses instead", {
  withr::local_options(glycotrial.visit_order = "error")
  expect_error(mmrm_fit(f_ar1, vo_data()), class = "glycotrial_error_visit_order")
  expect_silent(mmrm_fit(f_ar1, vo_good(vo_data())))
})

test_that("without an order column, order-dependent structures warn on text-sorted levels", {
  d <- vo_data()
  d$AVISITN <- NULL
  expect_warning(mmrm_fit(f_ar1, d), class = "glycotrial_warning_visit_order")
  for (st in c("ar1h", "ad", "toep")) {
    f <- stats::as.formula(sprintf("CHG ~ ARM * AVISIT + %s(AVISIT | USUBJID)", st))
    expect_warning(suppressWarnings(mmrm_fit(f, d), classes = "glycotrial_warning_convergence"),
                   class = "glycotrial_warning_visit_order")
  }
  # us does not depend on the order: no warning
  w <- NULL
  withCallingHandlers(mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), d),
                      glycotrial_warning_visit_order = function(x) w <<- x)
  expect_null(w)
  # the example of ?mmrm_fit before the fix
  expect_true(glycotrial:::looks_text_sorted(levels(factor(paste0("W", c(4, 8, 12))))))
  expect_false(glycotrial:::looks_text_sorted(c("Screening", "Baseline", "W4", "W8", "W12")))
})

test_that("a user-named order column and the option are honoured", {
  d <- vo_data()
  d$VISNUM <- d$AVISITN
  d$AVISITN <- NULL
  expect_message(o <- order_visits(d, "AVISIT", order_by = "VISNUM"),
                 class = "glycotrial_message_visit_order")
  expect_equal(levels(o$AVISIT), paste("Week", c(4, 8, 12, 24)))
  withr::local_options(glycotrial.visit_order_column = "VISNUM")
  expect_message(f1 <- mmrm_fit(f_ar1, d), class = "glycotrial_message_visit_order")
  expect_equal(f1$loglik, suppressMessages(mmrm_fit(f_ar1, vo_good(d)))$loglik, tolerance = 1e-10)
  expect_error(order_visits(d, order_by = "NOPE"), class = "glycotrial_error_input")
})

test_that("conflicting AVISITN for one visit label is a classed error", {
  d <- vo_data()
  d$AVISITN[d$AVISIT == "Week 8"][1] <- 9
  expect_error(mmrm_fit(f_ar1, d), class = "glycotrial_error_visit_order")
  expect_error(order_visits(d), class = "glycotrial_error_visit_order")
})

test_that("character visits: natural order without, AVISITN order with an order column", {
  x <- data.frame(AVISIT = c("Week 12", "Baseline", "Week 4", "Week 48", "Week 8"))
  # natural order is the only order character labels have: no message
  expect_no_vo_message(o <- order_visits(x))
  expect_equal(levels(o$AVISIT), c("Baseline", "Week 4", "Week 8", "Week 12", "Week 48"))
  # an order column that disagrees with the natural order is news
  x$AVISITN <- c(12, 0, 48, 4, 8)
  expect_message(o2 <- order_visits(x), class = "glycotrial_message_visit_order")
  expect_equal(levels(o2$AVISIT), c("Baseline", "Week 48", "Week 8", "Week 12", "Week 4"))
  x$AVISITN <- c(12, -1, 4, 48, 8)
  x$AVISIT[2] <- "Screening"
  o <- suppressMessages(order_visits(x))
  expect_equal(levels(o$AVISIT), c("Screening", "Week 4", "Week 8", "Week 12", "Week 48"))
  # character AVISIT in a fit: same estimates as the ordered factor
  d <- vo_data()
  d$AVISIT <- as.character(d$AVISIT)
  expect_no_vo_message(f1 <- mmrm_fit(f_ar1, d))
  expect_equal(f1$loglik, mmrm_fit(f_ar1, vo_good(d))$loglik, tolerance = 1e-10)
})

test_that("blank ADaM visits are missing, with a message", {
  d <- vo_data()
  d$AVISIT <- as.character(d$AVISIT)
  d$AVISIT[c(3, 10)] <- c("", ".")
  d$AVISITN[c(3, 10)] <- NA
  msgs <- character()
  collect <- function(m) {
    msgs <<- c(msgs, class(m)[1])
    invokeRestart("muffleMessage")
  }
  o <- withCallingHandlers(order_visits(d), message = collect)
  expect_true("glycotrial_message_blank_visit" %in% msgs)
  expect_true(all(is.na(o$AVISIT[c(3, 10)])))
  expect_equal(levels(o$AVISIT), paste("Week", c(4, 8, 12, 24)))
  msgs <- character()
  f1 <- withCallingHandlers(mmrm_fit(f_ar1, d), message = collect)
  expect_true("glycotrial_message_blank_visit" %in% msgs)
  good <- vo_good(d[-c(3, 10), ])
  expect_equal(f1$loglik, suppressMessages(mmrm_fit(f_ar1, good))$loglik, tolerance = 1e-10)
})

test_that("fit_lmm with a residual structure reorders too; estimates equal the ordered fit", {
  d <- vo_data()
  f <- CHG ~ ARM + AVISIT + ar1(AVISIT | USUBJID)
  expect_message(f1 <- fit_lmm(f, d), class = "glycotrial_message_visit_order")
  f2 <- fit_lmm(f, vo_good(d))
  expect_equal(as.numeric(stats::logLik(f1)), as.numeric(stats::logLik(f2)), tolerance = 1e-8)
  expect_equal(lme4::fixef(f1), lme4::fixef(f2), tolerance = 1e-6)
})

test_that("fit_joint orders AVISIT by its visit column", {
  a <- adlb[adlb$PARAMCD %in% c("HBA1C", "INSDOSEKG") & (is.na(adlb$ATPTN) | adlb$ATPTN == 0), ]
  a$AVISIT <- as.character(a$AVISIT)
  # natural order of the labels agrees with AVISITN: nothing to say
  expect_no_vo_message(j1 <- fit_joint(a))
  b <- a
  b$AVISIT <- factor(b$AVISIT, levels = unique(b$AVISIT[order(b$AVISITN)]))
  j2 <- fit_joint(b)
  expect_equal(j1$loglik, j2$loglik, tolerance = 1e-8)
})

test_that("model_selection orders once, then every structure sees the same order", {
  d <- vo_data()
  expect_message(ms <- model_selection(CHG ~ ARM * AVISIT, d, structures = c("ar1", "us")),
                 class = "glycotrial_message_visit_order")
  good <- model_selection(CHG ~ ARM * AVISIT, vo_good(d), structures = c("ar1", "us"))
  expect_equal(ms$logLik, good$logLik, tolerance = 1e-8)
})

test_that("tables and plots use visit order", {
  d <- data.frame(USUBJID = rep(c("S1", "S2"), each = 3), ARM = rep(c("A", "B"), each = 3),
                  AVISIT = rep(c("Baseline", "Week 12", "Week 4"), 2),
                  AVISITN = rep(c(0, 12, 4), 2), PARAMCD = "FPG", AVAL = c(7, 6, 6.5, 8, 7, 7.5))
  ic <- index_change(d)
  expect_equal(ic$summary$AVISIT, c("Week 4", "Week 12", "Week 4", "Week 12"))
  lb <- data.frame(USUBJID = rep("S1", 6), AVISIT = rep(c("Week 12", "Week 4", "Baseline"), each = 2),
                   AVISITN = rep(c(12, 4, 0), each = 2), PARAMCD = rep(c("FPG", "FINS"), 3),
                   AVAL = c(6, 10, 6.5, 11, 7, 12), AVALU = rep(c("mmol/L", "uU/mL"), 3))
  bc <- suppressWarnings(beta_cell_indices(lb, "homa1_ir"))
  expect_equal(as.character(bc$AVISIT), c("Baseline", "Week 4", "Week 12"))
  expect_equal(bc$homa1_ir, c(7 * 12, 6.5 * 11, 6 * 10) / 22.5)
  skip_if_not_installed("ggplot2")
  p <- plot_trajectories(transform(d, PARAMCD = "HBA1C"), visit = "AVISIT")
  expect_equal(levels(p$data$visit), c("Baseline", "Week 4", "Week 12"))
})
