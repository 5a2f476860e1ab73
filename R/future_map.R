# One future per chunk of work, for the data passes of big-data MMRM fits
# (R/mmrm_sources.R) and the sample loop of multiple imputation
# (R/mi_chunks.R): the user's future::plan() decides where they run (local
# processes, or Slurm through future.batchtools).

# Applies FUN(chunk, index, ...) to every element of X, one future per chunk
# (the user's future::plan() decides where; sequential without future), at
# most as many in flight as the plan has workers, results collected in chunk
# order (so the number of workers does not change them), with progressr
# progress. FUN may use only its arguments and package functions: its
# environment is replaced by the namespace so that the data are not shipped
# along with it. An error keeps the worker's message and class. On an
# interrupt or error the chunks already running are waited for (at most one
# per worker), so no worker is left busy with this fit.
future_map <- function(X, FUN, ..., .what = "data pass") {
  with_progress_bar(future_map_run(X, FUN, ..., .what = .what),
                    label = paste0(toupper(substr(.what, 1, 1)), substring(.what, 2)))
}

future_map_run <- function(X, FUN, ..., .what) {
  task <- .what
  n <- length(X)
  args <- list(...)
  environment(FUN) <- asNamespace("glycotrial")
  p <- progress_ticker(n)
  f <- function(chunk, i, args) {
    out <- do.call(FUN, c(list(chunk, i), args))
    p()
    out
  }
  environment(f) <- list2env(list(FUN = FUN, p = p), parent = asNamespace("glycotrial"))
  # the chunk whose result is awaited, for the error message; futures carry
  # the label "glycotrial-chunk-<i>" (the job name on Slurm with
  # future.batchtools), so that a failed or cancelled job can be named
  cur <- NA_integer_
  wrap_error <- function(e) {
    if (inherits(e, "glycotrial_error")) stop(e)
    job <- if (!is.na(cur)) sprintf("chunk %d (job %s)", cur, future_map_label(cur)) else "a chunk"
    glycotrial_abort(c("The {task} of {job} failed in a worker: {conditionMessage(e)}",
                       "i" = "Nothing was fitted."),
                     class = "glycotrial_error_worker", parent = e, call = NULL)
  }
  res <- vector("list", n)
  if (!requireNamespace("future", quietly = TRUE)) {
    tryCatch(for (i in seq_len(n)) {
      sources_test_hook("chunk", i)
      res[[i]] <- f(X[[i]], i, args)
    }, error = wrap_error)
    return(res)
  }
  nw <- suppressWarnings(as.numeric(future::nbrOfWorkers()))
  nw <- if (!is.finite(nw) || nw < 1) n else min(n, nw)
  pending <- list()
  on.exit(for (fu in pending) try(future::value(fu, signal = FALSE), silent = TRUE), add = TRUE)
  next_i <- 1L
  tryCatch({
    for (i in seq_len(n)) {
      while (next_i <= n && next_i < i + nw) {
        sources_test_hook("chunk", next_i)
        # A quoted expression (substitute = FALSE): its names are the globals below.
        pending[[as.character(next_i)]] <- future::future(
          quote(f(chunk, i, args)), substitute = FALSE,
          globals = list(f = f, chunk = X[[next_i]], i = next_i, args = args),
          packages = "glycotrial", seed = FALSE, label = future_map_label(next_i))
        next_i <- next_i + 1L
      }
      cur <- i
      res[[i]] <- future::value(pending[[as.character(i)]])
      pending[[as.character(i)]] <- NULL
    }
  }, error = wrap_error)
  res
}

future_map_label <- function(i) sprintf("glycotrial-chunk-%d", i)
