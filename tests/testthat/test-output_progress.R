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
