# ADaM flag and numeric columns: every common spelling of yes/no is read, a
# blank stays missing, anything else is a classed error naming the column.

test_that("flags are read in every common spelling, blanks are NA", {
  read_flag <- glycotrial:::read_adam_flag
  expect_identical(read_flag(c("Y", "y", "Yes", "TRUE", "t", "1", " N ", "no", "F", "0", "", NA)),
                   c(rep(TRUE, 6), rep(FALSE, 4), NA, NA))
  expect_identical(read_flag(factor(c("N", "Y", "Y"), levels = c("Y", "N", "maybe"))),
                   c(FALSE, TRUE, TRUE))  # an unused odd level is no error
  expect_identical(read_flag(c(1, 0, NA)), c(TRUE, FALSE, NA))
  expect_identical(read_flag(c(TRUE, NA)), c(TRUE, NA))
  expect_identical(glycotrial:::adam_flag_is_yes(c("Y", "", NA, "N")), c(TRUE, FALSE, FALSE, FALSE))
  e <- expect_error(read_flag(c("Y", "maybe"), column = "SAFFL", data = "adsl"),
                    class = "glycotrial_error_flag")
  expect_match(conditionMessage(e), "SAFFL")
  expect_match(conditionMessage(e), "maybe")
  expect_error(read_flag(c(1, 2)), class = "glycotrial_error_flag")
  expect_error(read_flag(list("Y")), class = "glycotrial_error_flag")
})

test_that("numeric columns accept numbers written as text, refuse other text", {
  read_num <- glycotrial:::read_adam_numeric
  expect_identical(read_num(c(" 1.5", "2e3", "", NA)), c(1.5, 2000, NA, NA))
  expect_identical(read_num(1:3), c(1, 2, 3))
  expect_identical(read_num(c(NA, NA)), c(NA_real_, NA_real_))
  e <- expect_error(read_num(c("1", "<0.5"), column = "AVAL", data = "adlb"),
                    class = "glycotrial_error_column_type")
  expect_match(conditionMessage(e), "<0.5", fixed = TRUE)
  expect_error(read_num(as.Date("2024-01-01")), class = "glycotrial_error_column_type")
  df <- data.frame(a = 1:2)
  df$b <- list(1, 2)
  expect_error(glycotrial:::check_atomic_columns(df, c("a", "b")),
               class = "glycotrial_error_column_type")
  expect_identical(glycotrial:::check_atomic_columns(df, "a"), df)
})
