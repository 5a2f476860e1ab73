# Progress of long work (simulations, data-source passes) without ceremony:
# the work signals progress through progressr; when the user has set
# progressr handlers (progressr::handlers(), handlers(global = TRUE) or a
# progressr::with_progress() around the call) those receive it; otherwise an
# interactive session shows a cli progress bar, which cli displays only
# after the work has taken cli.progress_show_after (2 s) seconds.

# Has the user chosen how progress is reported?
progress_user_handlers <- function() {
  !is.null(getOption("progressr.handlers")) || isTRUE(progressr::handlers(global = NA))
}

# A progressor of `steps` steps (a no-op without progressr).
progress_ticker <- function(steps) {
  if (requireNamespace("progressr", quietly = TRUE)) {
    progressr::progressor(steps = steps)
  } else {
    function(...) invisible(NULL)
  }
}

# Evaluates `expr` (which creates its progress_ticker() inside) with a cli
# progress bar when the session is interactive (or option
# glycotrial.progress = TRUE) and the user has not set progressr handlers.
with_progress_bar <- function(expr, label = NULL) {
  show <- isTRUE(getOption("glycotrial.progress", interactive()))
  if (!show || !requireNamespace("progressr", quietly = TRUE) || progress_user_handlers()) {
    return(expr)
  }
  h <- progressr::handler_cli(format = paste0(if (!is.null(label)) paste0(label, " ") else "",
                                              "{cli::pb_bar} {cli::pb_current}/{cli::pb_total} ETA: {cli::pb_eta}"))
  progressr::with_progress(expr, handlers = h, enable = TRUE)
}
