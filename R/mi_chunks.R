# The sample loop of multiple imputation (refits of the imputation model,
# draws, analyses) in parts of consecutive samples. With `chunks` > 1 each
# part is one future (R/future_map.R), for runs with very many samples: the
# user's future::plan() decides where they run (local processes, or Slurm
# through future.batchtools). Otherwise a long run (40 samples or more) goes
# through the core in 20 parts in this process, so that it reports progress.
# Every sample's random stream is keyed by its index in the whole run and
# every refit starts from the full-data optimum, so the results do not depend
# on the parts, workers or threads.

# Consecutive runs of seq_len(n), at most `chunks` of them.
mi_chunk_index <- function(n, chunks) {
  chunks <- max(1L, min(as.integer(chunks), n))
  unname(split(seq_len(n), rep(seq_len(chunks), diff(round(seq(0, n, length.out = chunks + 1L))))))
}

# The parts of n samples: `chunks` futures, or local parts for progress.
mi_parts <- function(n, chunks) mi_chunk_index(n, if (chunks > 1L) chunks else if (n >= 40L) 20L else 1L)

# FUN(part, i, ...) over the parts: futures when chunks > 1, else in turn
# here with a progress bar.
mi_map <- function(parts, FUN, ..., chunks, what) {
  if (chunks > 1L) return(future_map(parts, FUN, ..., .what = what))
  with_progress_bar(label = paste0(toupper(substr(what, 1, 1)), substring(what, 2)), {
    p <- progress_ticker(length(parts))
    lapply(seq_along(parts), function(i) {
      out <- FUN(parts[[i]], i, ...)
      p()
      out
    })
  })
}

mi_fit_samples <- function(pb, samples, n_threads, chunks) {
  ix <- mi_parts(length(samples), chunks)
  if (length(ix) == 1L) return(cpp_mi_fit_samples(pb$cpp, samples, pb$theta0, n_threads, 1e-6, 100L))
  res <- mi_map(lapply(ix, function(j) samples[j]), function(s, i, cpp, theta0, n_threads) {
    cpp_mi_fit_samples(cpp, s, theta0, n_threads, 1e-6, 100L)
  }, cpp = pb$cpp, theta0 = pb$theta0, n_threads = n_threads, chunks = chunks,
  what = "imputation-model refit")
  unlist(res, recursive = FALSE)
}

mi_analyse_samples <- function(cpp, samples, fits, n_threads, chunks) {
  ix <- mi_parts(length(samples), chunks)
  if (length(ix) == 1L) return(cpp_mi_analyse_samples(cpp, samples, fits, n_threads))
  parts <- lapply(ix, function(j) list(samples = samples[j], fits = fits[j]))
  res <- mi_map(parts, function(x, i, cpp, n_threads) {
    cpp_mi_analyse_samples(cpp, x$samples, x$fits, n_threads)
  }, cpp = cpp, n_threads = n_threads, chunks = chunks, what = "imputation and analysis")
  unlist(res, recursive = FALSE)
}

# Draws: a part starts at the global index of its first fit, so that it uses
# the same streams as the whole run; the visits x contrasts x imputations
# arrays are bound along the imputations in sample order.
mi_draw_analyse <- function(cpp, sets, fits, D, seed, n_threads, chunks) {
  ix <- mi_parts(length(sets), chunks)
  if (length(ix) == 1L) return(cpp_mi_draw_analyse(cpp, sets, fits, D, seed, n_threads))
  parts <- lapply(ix, function(j) list(sets = sets[j], fits = fits[j], first = j[1] - 1L))
  res <- mi_map(parts, function(x, i, cpp, D, seed, n_threads) {
    cpp_mi_draw_analyse(cpp, x$sets, x$fits, D, seed, n_threads, x$first)
  }, cpp = cpp, D = D, seed = seed, n_threads = n_threads, chunks = chunks,
  what = "imputation and analysis")
  dims <- dim(res[[1]]$est)
  m <- sum(vapply(res, function(r) dim(r$est)[3], numeric(1)))
  list(est = array(unlist(lapply(res, `[[`, "est"), use.names = FALSE), c(dims[1:2], m)),
       se = array(unlist(lapply(res, `[[`, "se"), use.names = FALSE), c(dims[1:2], m)),
       df = unlist(lapply(res, `[[`, "df"), use.names = FALSE))
}
