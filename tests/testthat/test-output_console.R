# Console printing at 80 columns (issue 19, item 8).

printed <- function(x, width = 80) {
  withr::with_options(list(width = width), utils::capture.output(print(x)))
}
widths <- function(lines) nchar(lines, type = "width")

test_that("the SOC/PT table prints as one aligned block at width 80", {
  res <- ae_by_term(adae, adsl)
  out <- printed(res)
  expect_true(all(widths(out) <= 80))
  # One header block: the column heading "term" appears once (three vertical
  # blocks of 107 lines before).
  expect_equal(sum(grepl("^term\\b", out)), 1L)
  # PT rows stay indented under their SOC, values on the same line as the term.
  pt <- grep("^  Nasopharyngitis", out, value = TRUE)
  expect_length(pt, 1L)
  expect_match(pt, "7 \\(15\\.2\\)")
  # First rows and a footer counting the rest.
  n_rows <- nrow(res$table)
  expect_true(any(grepl(sprintf("# ... %d more rows", n_rows - 30), out, fixed = TRUE)))
})

test_that("long terms are truncated, keeping the PT indentation", {
  tab <- data.frame(term = c("A very long system organ class name that cannot fit",
                             "  An indented preferred term that is also very long"),
                    `Arm A (N=10)` = c("1 (10.0)", "1 (10.0)"), check.names = FALSE)
  out <- glycotrial:::console_table(tab, width = 40)
  expect_true(all(widths(out) <= 40))
  expect_match(out[length(out)], "^  An indented")
  expect_match(out[length(out)], "1 \\(10\\.0\\)$")
})

test_that("columns that do not fit are named in a footer, rows beyond n counted", {
  tab <- as.data.frame(matrix(sprintf("%08d", 1:60), 3, 20))
  out <- glycotrial:::console_table(tab, width = 50, n = 2)
  expect_true(all(widths(out) <= 50))
  expect_true(any(grepl("# ... 1 more rows", out, fixed = TRUE)))
  expect_true(any(grepl("more columns:", out)))
})

test_that("least-squares-means differences keep the p-values in the same block", {
  d <- subset(adlb, PARAMCD == "HBA1C" & AVISITN > 0)
  fit <- mmrm_fit(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID), data = d)
  out <- printed(least_squares_means(fit, "ARM", by = "AVISIT"))
  expect_true(all(widths(out) <= 80))
  hdr <- grep("contrast", out, value = TRUE)
  expect_length(hdr, 1L)
  expect_match(hdr, "p_value")
  # The p-values sit on the rows of their contrasts, as "<0.001", not 0.000.
  expect_true(all(grepl("<0\\.001$", grep("UC-MSC - Placebo", out, value = TRUE))))
})

test_that("counts print as integers", {
  expect_equal(glycotrial:::fmt_count(c(9, 45, 9.5)), c("9", "45", "9.5"))
  res <- responder_analysis(derive_responders(adlb, adsl), treatment = "UC-MSC")
  out <- printed(res)
  # 9 of 45 responders in the shipped data (hand count: RESPONDER TRUE by arm).
  r <- derive_responders(adlb, adsl)
  k <- sum(r$RESPONDER[r$ARM == "UC-MSC"], na.rm = TRUE)
  expect_true(any(grepl(sprintf("%d/45 ", k), out, fixed = TRUE)))
  expect_false(any(grepl("[0-9]\\.0/[0-9]", out)))
})

test_that("grade_lab() and derive_responders() print summaries but stay data frames", {
  g <- suppressWarnings(grade_lab(adlb))
  expect_s3_class(g, "data.frame")
  expect_equal(nrow(g), nrow(adlb))
  out <- printed(g)
  expect_lt(length(out), 20)
  expect_true(all(widths(out) <= 80))
  expect_match(out[1], sprintf("%d records", nrow(adlb)))
  hi <- sum(g$ATOXGRH == 1, na.rm = TRUE)
  expect_true(any(grepl(sprintf("1: %d,", hi), out[2], fixed = TRUE)))
  r <- derive_responders(adlb, adsl)
  expect_s3_class(r, "data.frame")
  out <- printed(r)
  expect_lt(length(out), 20)
  expect_true(all(widths(out) <= 80))
  k <- sum(r$RESPONDER[r$ARM == "Placebo"], na.rm = TRUE)
  n <- sum(!is.na(r$RESPONDER[r$ARM == "Placebo"]))
  expect_true(any(grepl(sprintf("Placebo: %d/%d responders", k, n), out, fixed = TRUE)))
})

test_that("baseline and overview tables fit 80 columns", {
  expect_true(all(widths(printed(ae_overview(adae, adsl))) <= 80))
  expect_true(all(widths(printed(baseline_table(adsl, vars = c("AGE", "SEX")))) <= 80))
})
