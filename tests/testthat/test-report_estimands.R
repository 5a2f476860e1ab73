# The report section "Estimands and sensitivity analyses" (R/report_estimands.R).

test_that("the MAR result equals ANCOVA on data imputed from an mmrm::mmrm fit of the same model", {
  skip_if_not_installed("mmrm")
  ctx <- suppressMessages(report_context(list(fast = TRUE)))
  expect_true(ctx$on("estimands"))
  est <- report_estimands(ctx, tipping = FALSE)
  expect_identical(est$estimand$attribute[c(1, 3, 4, 5)],
                   c("Population", "Variable", "Intercurrent events and strategies", "Summary measure"))
  # the shipped trial: two study discontinuations (DCSREAS), both in the placebo arm
  expect_setequal(est$data_ice$USUBJID, adsl$USUBJID[adsl$DCSREAS %in% "ADVERSE EVENT"])
  # hand: the imputation model by mmrm, conditional means, ANCOVA at week 48
  d <- glycotrial:::report_estimands_data(ctx)
  d$USUBJID <- factor(d$USUBJID)
  ref <- mmrm::mmrm(CHG ~ ARM + AVISIT + BASE * AVISIT + ARM * AVISIT + us(AVISIT | USUBJID),
                    data = d[!is.na(d$CHG), ], reml = TRUE,
                    control = mmrm::mmrm_control(optimizer = "BFGS",  # tight: same optimum
                                                 optimizer_control = list(reltol = 1e-14)))
  S <- mmrm::VarCorr(ref)
  X <- stats::model.matrix(~ ARM + AVISIT + BASE * AVISIT + ARM * AVISIT, d)[, names(stats::coef(ref))]
  mu <- drop(X %*% stats::coef(ref))
  y <- d$CHG
  for (s in unique(d$USUBJID[is.na(d$CHG)])) {
    i <- which(d$USUBJID == s)
    o <- !is.na(y[i])
    y[i][!o] <- mu[i][!o] + S[!o, o, drop = FALSE] %*% solve(S[o, o], y[i][o] - mu[i][o])
  }
  w <- d$AVISIT == "Week 48"
  b <- stats::coef(stats::lm(y[w] ~ d$BASE[w] + d$ARM[w]))
  mar <- est$results[est$results$strategy == "MAR", ]
  expect_equal(mar$estimate, unname(b[3]), tolerance = 1e-6)
  # JR and CR use the placebo arm as reference: for placebo subjects they are MAR
  expect_equal(est$results$estimate[est$results$strategy == "JR"], mar$estimate, tolerance = 1e-10)
  expect_equal(est$results$estimate[est$results$strategy == "CR"], mar$estimate, tolerance = 1e-10)
})

test_that("approximate Bayesian MI rows agree with the conditional mean within Monte-Carlo error", {
  ctx <- suppressMessages(report_context(list(fast = TRUE)))
  est <- report_estimands(ctx, tipping = FALSE, draws = TRUE, n_imputations = 20)
  cm <- est$results[grepl("conditional", est$results$method), ]
  mi <- est$results[grepl("Bayesian", est$results$method), ]
  expect_identical(mi$strategy, c("MAR", "JR", "CR"))
  # two of 91 subjects imputed: the imputation noise moves the ANCOVA estimate
  # by about sd(imputed) * 2 / 46 / sqrt(20) < 0.01
  expect_lt(max(abs(mi$estimate - cm$estimate)), 0.02)
  expect_true(all(mi$se > 0))
})

test_that("the tipping grid shifts the arm with imputed values and crosses the CI limit", {
  ctx <- suppressMessages(report_context(list(fast = TRUE)))
  est <- report_estimands(ctx, tipping = TRUE)
  tp <- est$tipping
  expect_s3_class(tp, "glycotrial_mi_tipping")
  expect_identical(attr(tp, "arms"), "Placebo")  # no UC-MSC value is missing at week 48
  tip <- mi_tipping_delta(tp)
  expect_false(is.na(tip$tipping_delta))
  expect_lt(tip$tipping_delta, 0)
})

test_that("the section is left out with the skipped message when ADSL lacks a discontinuation reason", {
  a <- adsl[, setdiff(names(adsl), "DCSREAS")]
  msgs <- list()
  ctx <- withCallingHandlers(report_context(list(data = "a, adlb, adae, adex", fast = TRUE)),
                             glycotrial_message_section_skipped = function(m) {
                               msgs[[length(msgs) + 1]] <<- conditionMessage(m)
                               invokeRestart("muffleMessage")
                             })
  expect_false(ctx$on("estimands"))
  expect_true(any(grepl("Estimands and sensitivity analyses left out because ADSL has no discontinuation reason",
                        unlist(msgs), fixed = TRUE)))
  expect_match(ctx$skip_note("estimands"), "left out because")
  expect_error(report_estimands(ctx), class = "glycotrial_error_report_input")
  expect_error(report_estimands(list()), class = "glycotrial_error_input")
})

test_that("the section renders in the report with its tables and the tipping plot", {
  skip_report()
  out <- tempfile(fileext = ".html")
  path <- suppressMessages(render_trial_report(output_file = out,
                                               params = list(sections = "primary, estimands", fast = FALSE)))
  h <- html_text(path)
  expect_true("Estimands and sensitivity analyses" %in% h$h1)
  expect_false(grepl("could not be computed|Error in ", h$text))
  expect_match(h$text, "Jump to reference")
  expect_match(h$text, "approximate Bayesian MI")
  expect_match(h$text, "Composite responder endpoint at Week 48 under multiple imputation")
  expect_match(h$text, "mi-newcombe")
  expect_match(h$text, "Intercurrent events and strategies")
  expect_gte(length(xml2::xml_find_all(h$doc, "//img")), 1)
})
