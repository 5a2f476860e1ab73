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
    expect_equal(unlist(ard$stat_fmt[row]), as.character(want))
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

# The ARD structure cards documents and checks (cards::check_ard_structure()
# and cards::tidy_ard_column_order(), cards 0.6+), written out so that it is
# verified where cards cannot be installed (R 4.2's Debian cli/rlang/vctrs/
# dplyr are older than any cards release needs):
# - class "card" on a data frame;
# - columns variable, stat_name, stat_label, stat, fmt_fun, warning, error;
# - groupN and variable character; groupN_level, variable_level, stat,
#   stat_fmt, fmt_fun, warning, error list columns;
# - column order: group1, group1_level, group2, group2_level, ..., variable,
#   variable_level, context, stat_name, stat_label, stat, stat_fmt, fmt_fun,
#   warning, error;
# - fmt_fun holds functions, and fmt_fun(stat) is the formatted statistic.
ard_spec_problems <- function(ard) {
  p <- character()
  if (!inherits(ard, "card") || !is.data.frame(ard)) p <- c(p, "not a data frame of class card")
  nm <- names(ard)
  miss <- setdiff(c("variable", "stat_name", "stat_label", "stat", "fmt_fun", "warning", "error"), nm)
  if (length(miss)) p <- c(p, paste("missing columns", paste(miss, collapse = ", ")))
  k <- sort(as.integer(sub("^group", "", grep("^group[0-9]+$", nm, value = TRUE))))
  if (!identical(k, seq_along(k))) p <- c(p, "groups not numbered 1, 2, ...")
  order_want <- c(as.vector(rbind(paste0("group", k), paste0("group", k, "_level"))),
                  "variable", "variable_level", "context", "stat_name", "stat_label", "stat",
                  "stat_fmt", "fmt_fun", "warning", "error")
  if (!identical(nm, order_want)) p <- c(p, paste("column order", paste(nm, collapse = ", ")))
  for (g in intersect(c(paste0("group", k), "variable", "context", "stat_name", "stat_label"), nm)) {
    if (!is.character(ard[[g]])) p <- c(p, paste(g, "is not character"))
  }
  for (l in intersect(c(paste0("group", k, "_level"), "variable_level", "stat", "stat_fmt", "fmt_fun",
                        "warning", "error"), nm)) {
    if (!is.list(ard[[l]])) p <- c(p, paste(l, "is not a list column"))
  }
  if (length(p)) return(p)
  if (!all(vapply(ard$fmt_fun, is.function, logical(1)))) p <- c(p, "fmt_fun holds non-functions")
  ok <- !vapply(ard$stat, function(v) is.null(v) || is.na(v), logical(1))
  if (!identical(unlist(ard$stat_fmt[ok]),
                 vapply(which(ok), function(i) ard$fmt_fun[[i]](ard$stat[[i]]), character(1)))) {
    p <- c(p, "stat_fmt is not fmt_fun(stat)")
  }
  # A group level is given exactly when its group is.
  for (g in k) {
    if (!identical(lengths(ard[[paste0("group", g, "_level")]]) > 0, !is.na(ard[[paste0("group", g)]]))) {
      p <- c(p, sprintf("group%d_level not given exactly with group%d", g, g))
    }
  }
  p
}

test_that("as_ard() results follow the cards ARD column specification (checked without cards)", {
  expect_equal(ard_spec_problems(as_ard(ae_overview(adae, adsl))), character())
  expect_equal(ard_spec_problems(as_ard(ae_by_term(adae, adsl))), character())
  res <- responder_analysis(derive_responders(adlb, adsl), treatment = "UC-MSC")
  expect_equal(ard_spec_problems(as_ard(res)), character())
  # The pct statistic formatted with one decimal, counts as integers.
  ard <- as_ard(ae_overview(adae, adsl))
  pct <- ard[ard$stat_name == "pct", ]
  expect_equal(unlist(pct$stat_fmt), formatC(unlist(pct$stat), format = "f", digits = 1))
  n <- ard[ard$stat_name == "n", ]
  expect_equal(unlist(n$stat_fmt), as.character(unlist(n$stat)))
  # A wrong structure is caught by the check (so the check can fail).
  bad <- ard
  bad$stat <- unlist(bad$stat)
  expect_match(ard_spec_problems(bad), "stat is not a list column")
  expect_match(ard_spec_problems(ard[, c(3:4, 1:2, 5:ncol(ard))]), "column order")
})
