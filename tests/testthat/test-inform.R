# Classed messages: what an analysis leaves out is said in a message that can
# be caught or silenced by class.

test_that("glycotrial_inform_dropped counts, names up to five and is silent for none", {
  drop <- glycotrial:::glycotrial_inform_dropped
  expect_silent(expect_identical(drop(character()), 0L))
  m <- expect_message(drop(c("S1", "S2", "S2"), reason = "no baseline", n = 2L),
                      class = "glycotrial_message_dropped_subjects")
  expect_match(conditionMessage(m), "Dropped 2 subjects (S1, S2): no baseline.", fixed = TRUE)
  expect_identical(m$dropped, c("S1", "S2"))
  m <- expect_message(drop(paste0("S", 1:7), what = "rows", class = "glycotrial_message_dropped_rows"),
                      class = "glycotrial_message")
  expect_match(conditionMessage(m), "Dropped 7 rows (S1, S2, S3, S4, S5 and 2 more).", fixed = TRUE)
  m <- expect_message(drop("{x}"), class = "glycotrial_message")
  expect_match(conditionMessage(m), "Dropped 1 subject ({x}).", fixed = TRUE)
})

test_that("glycotrial_inform adds the package class", {
  m <- expect_message(glycotrial:::glycotrial_inform("hello", class = "glycotrial_message_x"),
                      class = "glycotrial_message_x")
  expect_s3_class(m, "glycotrial_message")
})
