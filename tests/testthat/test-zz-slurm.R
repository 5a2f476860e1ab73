# End to end on a real single-node Slurm cluster (helper-slurm.R starts it
# with tools/slurm.sh): future.batchtools with glycotrial's template
# (inst/batchtools/slurm.tmpl) sends every chunk of mmrm_fit()'s data pass
# and every block of power_trial()'s simulations to Slurm as a job, and
# bootstrap replicates of the reference-based MI as jobs through
# future.apply. A
# cancelled or failing job is a classed error naming the chunk and job, and
# no job is left in the queue. (Named zz so that it runs last: job start-up
# takes a few seconds.)

lv_sl <- list(AVISIT = paste0("W", 1:4 * 4))

slurm_submitted <- function() {
  log <- file.path(dirname(Sys.getenv("SLURM_CONF")), "slurmctld.log")
  if (!file.exists(log)) return(NA_integer_)
  sum(grepl("_slurm_rpc_submit_batch_job", readLines(log, warn = FALSE)))
}

test_that("mmrm_fit over CSV files, each chunk a Slurm job, equals the in-memory fit", {
  slurm_plan(workers = 2L)
  d <- scale_sim_data(120, 4, seed = 51)
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  ref <- mmrm_fit(scale_formula, data = d)
  files <- write_csv_halves(d, 240)
  n0 <- slurm_submitted()
  f <- mmrm_fit(scale_formula, data = mmrm_data_csv(files, chunk_rows = 100, levels = lv_sl))
  expect_lt(rel_diff(coef(f), coef(ref)), 1e-10)
  expect_lt(rel_diff(f$theta, ref$theta), 1e-10)
  # two files, two passes (levels and types, then moments): four jobs
  if (!is.na(n0)) expect_equal(slurm_submitted() - n0, 4)
  expect_length(slurm_queue(), 0)
})

test_that("power_trial() spread over Slurm jobs equals the sequential run", {
  args <- list(n = 40, effect = 0.5, nsim = 6L, seed = 7)
  n0 <- NA
  on_slurm <- function() {
    slurm_plan(workers = 2L)
    n0 <<- slurm_submitted()
    do.call(power_trial, args)
  }
  sl_res <- on_slurm()
  if (!is.na(n0)) expect_equal(slurm_submitted() - n0, 2)
  expect_length(slurm_queue(), 0)
  seq_res <- do.call(power_trial, args)
  expect_equal(as.data.frame(sl_res), as.data.frame(seq_res))
})

test_that("the MI bootstrap spread over Slurm jobs equals the sequential run", {
  d <- mi_example_data(n = 30, seed = 3)
  ice <- attr(d, "data_ice")
  # each job: one bootstrap MI (rbmi-style conditional mean, 5 samples) on
  # its own L'Ecuyer stream; the per-sample estimates of all jobs must equal
  # those of the same streams run here
  one <- function(i, d, ice) {
    fit <- glycotrial::mi_reference_based(d, glycotrial::mi_example_vars(), data_ice = ice,
                                          method = glycotrial::mi_condmean("bootstrap", n_samples = 5),
                                          reference = c(TRT = "PBO", PBO = "PBO"),
                                          analysis_covariates = "BASE")
    fit$estimates
  }
  run <- function() future.apply::future_lapply(1:2, one, d = d, ice = ice, future.seed = 11L)
  on_slurm <- function() {
    slurm_plan(workers = 2L)
    n0 <- slurm_submitted()
    res <- run()
    if (!is.na(n0)) expect_equal(slurm_submitted() - n0, 2)
    res
  }
  sl <- on_slurm()
  expect_length(slurm_queue(), 0)
  sq <- run()
  expect_equal(sl, sq, tolerance = 1e-12)
  # different streams: the two jobs drew different bootstrap samples
  expect_false(isTRUE(all.equal(sl[[1]], sl[[2]])))
})

test_that("a cancelled job: classed error naming the chunk and job, no job left", {
  slurm_plan(workers = 2L)
  d <- scale_sim_data(80, 4, seed = 52)
  chunks <- split(d, rep(1:2, each = 40 * 4))
  # cancel chunk 1's job right after it is submitted (while pending or running)
  withr::local_options(glycotrial.scale_test_chunk_hook = function(stage, i) {
    if (stage == "chunk" && i == 2) {
      system2("scancel", c("--name", "glycotrial-chunk-1"))
    }
  })
  res <- NULL
  expect_error(res <- mmrm_fit(scale_formula, data = mmrm_data_chunks(chunks, levels = lv_sl)),
               class = "glycotrial_error_worker", regexp = "chunk 1.*glycotrial-chunk-1")
  expect_null(res)
  expect_length(slurm_queue(), 0)
})
