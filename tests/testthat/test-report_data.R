# The template's `data` parameter: shipped data, an .rds path, or four data
# frame names looked up where the report is rendered.
test_that("report_data() reads the shipped data, an .rds file and data frame names", {
  shipped <- glycotrial:::report_data("")
  expect_identical(shipped$adsl, glycotrial::adsl)
  expect_identical(names(shipped), c("adsl", "adlb", "adae", "adex"))

  f <- withr::local_tempfile(fileext = ".rds")
  saveRDS(list(adex = adex[1:3, ], adsl = adsl[1:2, ], adlb = adlb[1:4, ], adae = adae[1:5, ]), f)
  from_rds <- glycotrial:::report_data(f)
  expect_identical(names(from_rds), c("adsl", "adlb", "adae", "adex"))
  expect_identical(from_rds$adae, adae[1:5, ])

  env <- new.env()
  env$s <- adsl[1:2, ]; env$l <- adlb[1:3, ]; env$a <- adae[1:4, ]; env$x <- adex[1:5, ]
  by_name <- glycotrial:::report_data(" s, l,a , x", env)
  expect_identical(by_name$adsl, adsl[1:2, ])
  expect_identical(by_name$adex, adex[1:5, ])
})

test_that("report_data() names params$data and what is wrong", {
  env <- new.env()
  env$s <- adsl; env$l <- adlb; env$a <- adae; env$x <- "not a data frame"
  expect_error(glycotrial:::report_data(NA_character_), class = "glycotrial_error_input",
               regexp = "params$data", fixed = TRUE)
  expect_error(glycotrial:::report_data("missing-file.rds"), class = "glycotrial_error_input",
               regexp = "does not exist")
  expect_error(glycotrial:::report_data("s, l, a", env), class = "glycotrial_error_input",
               regexp = "four data frame names")
  expect_error(glycotrial:::report_data("s, l, a, nope", env), class = "glycotrial_error_input",
               regexp = "nope")
  expect_error(glycotrial:::report_data("s, l, a, x", env), class = "glycotrial_error_input",
               regexp = "must be a data frame")
  f <- withr::local_tempfile(fileext = ".rds")
  saveRDS(list(adsl = adsl), f)
  expect_error(glycotrial:::report_data(f), class = "glycotrial_error_input",
               regexp = "must hold a list")
})
