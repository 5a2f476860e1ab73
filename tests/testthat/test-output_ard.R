# Analysis results data in the cards layout (issue 19, item 7).

card_cols <- c("group1", "group1_level", "variable", "variable_level", "context",
               "stat_name", "stat_label", "stat", "fmt_fun", "warning", "error")

test_that("as_ard() of the AE overview has the cards columns and the table's counts", {
  ov <- ae_overview(adae, adsl)
  ard <- as_ard(ov)
  expect_s3_class(ard, "card")
  expect_true(all(card_cols %in% names(ard)))
  expect_true(is.list(ard$stat) && is.list(ard$group1_level) && is.list(ard$fmt_fun))
  # Subjects with any TEAE per arm, counted independently with base R.
  te <- adae[adae$TRTEMFL == "Y", ]
  for (a in c("Placebo", "UC-MSC")) {
    want <- length(unique(te$USUBJID[te$USUBJID %in% adsl$USUBJID[adsl$ARM == a]]))
    row <- ard$group1_level == a & ard$variable_level == "Any TEAE" & ard$stat_name == "n"
    expect_equal(sum(row), 1L)
    expect_equal(unlist(ard$stat[row]), want)
    expect_equal(ard$stat_fmt[row], as.character(want))
  }
})

test_that("SOC/PT results follow the hierarchical layout (AEBODSYS group of AEDECOD)", {
  ard <- as_ard(ae_by_term(adae, adsl))
  pt <- ard[ard$variable == "AEDECOD" & ard$stat_name == "n", ]
  expect_true(all(pt$group2 == "AEBODSYS"))
  row <- pt$group1_level == "Placebo" & pt$variable_level == "Nasopharyngitis"
  te <- adae[adae$TRTEMFL == "Y" & adae$AEDECOD == "Nasopharyngitis", ]
  want <- length(unique(te$USUBJID[te$USUBJID %in% adsl$USUBJID[adsl$ARM == "Placebo"]]))
  expect_equal(unlist(pt$stat[row]), want)
})

test_that("responder analyses and data frames convert; bad input is a classed error", {
  res <- responder_analysis(derive_responders(adlb, adsl), treatment = "UC-MSC")
  ard <- as_ard(res)
  r <- ard[ard$context == "responder_by_arm" & ard$stat_name == "responders", ]
  expect_equal(unlist(r$stat[unlist(r$group1_level) == "UC-MSC"]),
               res$arms$responders[res$arms$arm == "UC-MSC"])
  p <- ard[ard$stat_name == "p_value", ]
  expect_equal(unlist(p$stat), res$tests$p_value)
  expect_error(as_ard(1:3), class = "glycotrial_error")
  expect_error(as_ard(data.frame(a = 1)), class = "glycotrial_error")
})

test_that("cards takes our card: structure check, formatting, filtering", {
  skip_if_not_installed("cards")
  skip_if_not_installed("dplyr")
  ard <- as_ard(ae_overview(adae, adsl))
  expect_silent(cards::check_ard_structure(ard, column_order = FALSE, method = FALSE))
  fmt <- cards::apply_fmt_fun(ard)
  pct <- fmt[fmt$stat_name == "pct", ]
  expect_equal(unlist(pct$stat_fmt), formatC(unlist(pct$stat), format = "f", digits = 1))
  sub <- dplyr::filter(ard, .data$stat_name == "n")
  expect_s3_class(sub, "card")
  expect_output(print(sub), "ARD")
})
