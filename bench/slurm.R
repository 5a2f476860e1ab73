# Benchmark of power_trial() on a real single-node Slurm cluster (issue 21):
# the same simulated trials run sequentially in this session and spread over
# Slurm jobs through future.batchtools with glycotrial's template
# (inst/batchtools/slurm.tmpl), with 1 and with 2 job slots (workers; one
# job per slot, future.apply's default chunking). Prints the wall times,
# their ratios to the sequential run and the overhead per job:
#   overhead per job = (wall on Slurm - sequential wall / slots) / jobs per slot
# (job submission, queueing, R start-up and loading glycotrial in the job,
# polling for the result). No assertion: the numbers depend on the machine's
# load. Results are checked to equal the sequential run.
# Needs root for tools/slurm.sh (Debian slurmctld, slurmd, munge) and
# future.batchtools.
# Run: Rscript bench/slurm.R   (SLURM_NSIM = simulated trials, default 1000)

suppressPackageStartupMessages(library(glycotrial))
nsim <- as.integer(Sys.getenv("SLURM_NSIM", "1000"))
dir <- tempfile("glycotrial-slurm-bench-", tmpdir = "/tmp")
status <- system2("bash", c("tools/slurm.sh", "start", dir), stdout = FALSE)
if (status != 0) stop("tools/slurm.sh could not start a cluster (see its message above)")
# (stopped at the end of the script; on.exit() does not run at top level)
Sys.setenv(SLURM_CONF = file.path(dir, "slurm.conf"))
# batchtools finds its jobs with squeue --user=$USER (see the template)
if (!nzchar(Sys.getenv("USER"))) Sys.setenv(USER = system("id -un", intern = TRUE))
reg_dir <- tempfile("glycotrial-slurm-reg-", tmpdir = "/tmp")
dir.create(reg_dir)
options(future.cache.path = reg_dir)
tmpl <- system.file("batchtools", "slurm.tmpl", package = "glycotrial")

args <- list(n = 40, effect = -0.5, nsim = nsim, endpoint = "mmrm", df = "Satterthwaite", seed = 1)
timed <- function(expr) {
  t <- system.time(val <- expr)[["elapsed"]]
  list(value = val, time = t)
}

future::plan(future::sequential)
seq_run <- timed(do.call(power_trial, args))
rows <- list(data.frame(run = "sequential (this session)", slots = NA, jobs = 0,
                        wall_s = seq_run$time, ratio = 1, overhead_per_job_s = NA))
for (slots in 1:2) {
  future::plan(future.batchtools::batchtools_slurm, template = tmpl, workers = slots,
               resources = list(ncpus = 1L))
  n0 <- sum(grepl("_slurm_rpc_submit_batch_job", readLines(file.path(dir, "slurmctld.log"))))
  sl <- timed(do.call(power_trial, args))
  jobs <- sum(grepl("_slurm_rpc_submit_batch_job", readLines(file.path(dir, "slurmctld.log")))) - n0
  stopifnot(isTRUE(all.equal(as.data.frame(sl$value), as.data.frame(seq_run$value))))
  rows[[length(rows) + 1]] <- data.frame(
    run = sprintf("Slurm, %d job slot%s", slots, if (slots > 1) "s" else ""), slots = slots,
    jobs = jobs, wall_s = sl$time, ratio = sl$time / seq_run$time,
    overhead_per_job_s = (sl$time - seq_run$time / slots) / (jobs / slots))
}
future::plan(future::sequential)
res <- do.call(rbind, rows)
res[c("wall_s", "ratio", "overhead_per_job_s")] <- lapply(res[c("wall_s", "ratio", "overhead_per_job_s")], round, 2)
cat(sprintf("power_trial(): %d simulated trials (MMRM endpoint, n = 40 per arm), %d cores\n",
            nsim, parallel::detectCores()))
print(res, row.names = FALSE)
cat(sprintf("jobs left in the queue: %d\n",
            length(system2("squeue", c("-h", "-o", "%i"), stdout = TRUE))))
system2("bash", c("tools/slurm.sh", "stop", dir))
unlink(reg_dir, recursive = TRUE)
