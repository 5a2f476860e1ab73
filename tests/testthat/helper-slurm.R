# A single-node Slurm cluster for test-zz-slurm.R, started once per test run
# by tools/slurm.sh (munge + slurmctld + slurmd, all files in a temporary
# directory) and stopped when the run ends. GLYCOTRIAL_SLURM_CONF may name the
# slurm.conf of a cluster that is already running; it is then left running.

slurm_state <- new.env()

# Sets SLURM_CONF for this session (sbatch/squeue find the cluster through it)
# or skips with the exact reason why Slurm cannot start here.
slurm_cluster <- function() {
  if (!is.null(slurm_state$conf)) return(slurm_state$conf)
  if (!is.null(slurm_state$failed)) testthat::skip(slurm_state$failed)
  fail <- function(msg) {
    slurm_state$failed <- msg
    testthat::skip(msg)
  }
  if (identical(Sys.getenv("GLYCOTRIAL_SLURM_TESTS"), "false")) {
    fail("Slurm tests: turned off by GLYCOTRIAL_SLURM_TESTS=false")
  }
  for (p in c("future.batchtools", "batchtools")) {
    if (!requireNamespace(p, quietly = TRUE)) fail(sprintf("Slurm tests: R package %s is not installed (Debian r-cran-future.batchtools)", p))
  }
  conf <- Sys.getenv("GLYCOTRIAL_SLURM_CONF")
  if (!nzchar(conf)) {
    script <- "../../tools/slurm.sh"
    if (!file.exists(script)) fail("Slurm tests: tools/slurm.sh not found (not run from the source tree)")
    script <- normalizePath(script)
    dir <- tempfile("glycotrial-slurm-", tmpdir = if (dir.exists("/tmp")) "/tmp" else tempdir())
    out <- suppressWarnings(system2("bash", c(script, "start", dir), stdout = TRUE, stderr = TRUE))
    if (!is.null(attr(out, "status"))) {
      fail(paste("Slurm tests: tools/slurm.sh could not start a cluster:",
                 paste(utils::tail(out, 3), collapse = " / ")))
    }
    conf <- file.path(dir, "slurm.conf")
    old <- Sys.getenv("SLURM_CONF", unset = NA)
    withr::defer({
      system2("bash", c(script, "stop", dir), stdout = FALSE, stderr = FALSE)
      if (is.na(old)) Sys.unsetenv("SLURM_CONF") else Sys.setenv(SLURM_CONF = old)
    }, envir = testthat::teardown_env())
  }
  Sys.setenv(SLURM_CONF = conf)
  slurm_user_env()
  slurm_state$conf <- conf
  conf
}

# batchtools lists a registry's jobs with `squeue --user=$USER` (expanded by
# the shell): with USER unset, as in containers and CI runners, squeue lists
# no job at all, so waitForJobs() counts every job that has not finished
# within three polls as gone from the system and future.batchtools reports
# BatchtoolsExpiration although the job runs and finishes. (This was the
# "expired under testthat" failure of issue 21: it hit the jobs that started
# or ran slowly, so it looked random.) Sets USER to the effective user for
# the rest of the run when it is unset.
slurm_user_env <- function() {
  if (nzchar(Sys.getenv("USER"))) return(invisible())
  user <- suppressWarnings(tryCatch(system2("id", "-un", stdout = TRUE, stderr = FALSE),
                                    error = function(e) character()))
  if (!length(user) || !nzchar(user[1])) {
    testthat::skip("Slurm tests: USER is unset and `id -un` does not name the user (batchtools' squeue --user=$USER would list no job)")
  }
  Sys.setenv(USER = user[1])
  withr::defer(Sys.unsetenv("USER"), envir = testthat::teardown_env())
  invisible()
}

# Job ids in the queue.
slurm_queue <- function() {
  out <- suppressWarnings(system2("squeue", c("-h", "-o", "%i"), stdout = TRUE, stderr = TRUE))
  out[nzchar(out)]
}

# future::plan() on the test cluster with glycotrial's template, registries
# in a temporary directory; the previous plan comes back when `envir` ends.
slurm_plan <- function(workers = 2L, envir = parent.frame()) {
  slurm_cluster()
  tmpl <- system.file("batchtools", "slurm.tmpl", package = "glycotrial")
  reg_dir <- withr::local_tempdir(.local_envir = envir)
  # (the default polling interval: a very short one, e.g. 0.05 s, polls squeue
  # before a submitted job shows there and batchtools declares it expired)
  withr::local_options(future.cache.path = reg_dir, .local_envir = envir)
  old <- future::plan(future.batchtools::batchtools_slurm, template = tmpl, workers = workers,
                      resources = list(ncpus = 1L))
  withr::defer(future::plan(old), envir = envir)
  invisible(tmpl)
}
