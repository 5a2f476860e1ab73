# Progress of long work (issue 19, item 9).

skip_if_not_installed("progressr")

# A progressr handler recording every update it receives.
recording_handler <- function(env) {
  progressr::make_progression_handler("recorder", enable = TRUE, interval = 0, reporter = list(
    initiate = function(config, state, progression, ...) env$steps <- config$max_steps,
    update = function(config, state, progression, ...) env$updates <- c(env$updates, state$step),
    finish = function(config, state, progression, ...) {
      env$finished <- TRUE
      env$updates <- c(env$updates, state$step)
    }
  ))
}

test_that("power_trial() reports each simulation to the user's progressr handlers", {
  env <- new.env()
  env$updates <- integer()
  withr::local_options(glycotrial.progress = FALSE, progressr.enable = TRUE)
  progressr::with_progress(
    res <- power_trial(n = 8, effect = 0.5, nsim = 3, endpoint = "composite", seed = 1),
    handlers = recording_handler(env), enable = TRUE)
  expect_equal(env$steps, 3)
  expect_gt(length(env$updates), 0)
  expect_true(isTRUE(env$finished))
  # One progress update signalled per simulation.
  n <- 0
  withCallingHandlers(power_trial(n = 8, effect = 0.5, nsim = 3, endpoint = "composite", seed = 1),
                      progression = function(c) if (identical(c$type, "update")) n <<- n + c$amount)
  expect_equal(n, 3)
})

test_that("with user handlers set, no cli bar is added; without, the cli bar receives the steps", {
  env <- new.env()
  env$updates <- integer()
  withr::local_options(glycotrial.progress = TRUE, progressr.handlers = list(recording_handler(env)),
                       progressr.enable = TRUE)
  expect_true(glycotrial:::progress_user_handlers())
  progressr::with_progress(glycotrial:::with_progress_bar({
    p <- glycotrial:::progress_ticker(4)
    for (i in 1:4) p()
  }), enable = TRUE)
  expect_equal(env$steps, 4)
  expect_true(isTRUE(env$finished))

  # No user handlers: the cli bar (shown at once here) counts the steps.
  withr::local_options(progressr.handlers = NULL, cli.progress_show_after = 0,
                       cli.dynamic = FALSE, cli.progress_handlers_only = "cli")
  out <- capture.output(glycotrial:::with_progress_bar(label = "Work", {
    p <- glycotrial:::progress_ticker(4)
    for (i in 1:4) p()
  }), type = "message")
  expect_true(any(grepl("4/4", out)))
})

test_that("render_trial_report() reports one step per template chunk to the user's progressr handlers", {
  skip_if_not_installed("rmarkdown")
  skip_if_not(rmarkdown::pandoc_available(), "pandoc not available")
  env <- new.env()
  env$updates <- integer()
  env$messages <- character()
  withr::local_options(glycotrial.progress = FALSE, progressr.enable = TRUE)
  labels <- character()
  progressr::with_progress(
    withCallingHandlers(
      suppressMessages(render_trial_report(adsl, adae = adae, output_file = tempfile(fileext = ".html"),
                                           params = list(sections = "ae_overview"))),
      progression = function(c) if (identical(c$type, "update")) labels <<- c(labels, c$message)),
    handlers = recording_handler(env), enable = TRUE)
  # The chunks counted independently: knitr::purl() writes one "## ----label" line per chunk.
  tmpl <- system.file("rmarkdown", "templates", "trial-report", "skeleton", "skeleton.Rmd",
                      package = "glycotrial")
  r <- withr::local_tempfile(fileext = ".R")
  knitr::purl(tmpl, output = r, documentation = 1, quiet = TRUE,
              envir = list2env(list(on = function(section) TRUE, fast = FALSE)))
  chunks <- sub("-+$", "", sub(",.*$", "", sub("^## ----", "", grep("^## ----", readLines(r), value = TRUE))))
  expect_equal(env$steps, length(chunks))
  expect_true(isTRUE(env$finished))
  # One step per chunk, labelled with its chunk label (evaluated or not).
  expect_equal(labels, chunks)
})
