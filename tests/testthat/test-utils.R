# The NULL-default operator: only NULL falls through (NA, FALSE and length-0
# vectors other than NULL are kept, as in base R 4.4's %||%).

test_that("%||% replaces NULL only", {
  `%||%` <- glycotrial:::`%||%`
  expect_identical(NULL %||% 2, 2)
  expect_identical(1 %||% 2, 1)
  expect_identical(NA %||% 2, NA)
  expect_identical(FALSE %||% TRUE, FALSE)
  expect_identical(character() %||% "a", character())
  expect_identical(list(a = NULL)$a %||% "default", "default")
})
