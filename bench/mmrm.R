# Benchmark: glycotrial::mmrm_fit() vs mmrm::mmrm() vs nlme::gls() on the same
# models (unstructured covariance, REML, Satterthwaite df where applicable).
# Each fit runs in a fresh R process so that peak memory (VmHWM, which counts
# the C++ heap too) belongs to that fit alone. Prints times, ratios and peak
# memory; elapsed and CPU (user + system of the fitting process) seconds, since
# the machine is shared (the load average is printed). Run:
#   Rscript bench/mmrm.R [n_subjects_for_simulation] [cases]
# e.g. Rscript bench/mmrm.R 1000 fev_data,bcva_data; BENCH_GLS=0 skips nlme::gls.
args <- commandArgs(trailingOnly = TRUE)
n_sim <- if (length(args)) as.integer(args[1]) else 100000L
only <- if (length(args) > 1) strsplit(args[2], ",")[[1]] else NULL
run_gls <- !identical(Sys.getenv("BENCH_GLS"), "0")
load_avg <- function() tryCatch(scan("/proc/loadavg", what = "", n = 3, quiet = TRUE),
                                error = function(e) rep(NA, 3))
rscript <- file.path(R.home("bin"), "Rscript")

run <- function(setup, fit, reps = 1L) {
  code <- sprintf('
suppressMessages({library(glycotrial); library(mmrm); library(nlme)})
%s
# R compiles a top-level for loop before running it (JIT level 3); the first
# compilation in a process loads the compiler (15-20 ms of CPU). Do it here,
# outside the timed region, so that neither engine is charged for it.
invisible(system.time(for (i in seq_len(1L)) NULL))
invisible(gc())
st <- system.time(for (i in seq_len(%d)) res <- {%s})
t <- st[["elapsed"]] / %d
cpu <- (st[["user.self"]] + st[["sys.self"]]) / %d
hwm <- grep("VmHWM", readLines("/proc/self/status"), value = TRUE)
cat(sprintf("RESULT %%.4f %%s %%.4f\\n", t, gsub("[^0-9]", "", hwm), cpu))', setup, reps, fit, reps, reps)
  f <- tempfile(fileext = ".R")
  writeLines(code, f)
  out <- suppressWarnings(system2(rscript, f, stdout = TRUE, stderr = FALSE))
  line <- grep("^RESULT", out, value = TRUE)
  if (!length(line)) return(c(time = NA, mem_mb = NA, cpu = NA))
  v <- strsplit(line, " ")[[1]]
  c(time = as.numeric(v[2]), mem_mb = as.numeric(v[3]) / 1024, cpu = as.numeric(v[4]))
}

sim_setup <- sprintf('
set.seed(1)
n <- %d; k <- 6
d <- data.frame(USUBJID = factor(rep(sprintf("S%%06d", seq_len(n)), each = k)),
                AVISIT = factor(rep(paste0("W", seq_len(k)), n), levels = paste0("W", seq_len(k))))
d$ARM <- factor(rep(sample(c("Placebo", "Drug"), n, TRUE), each = k))
d$BASE <- rep(rnorm(n), each = k)
S <- 0.6^abs(outer(1:k, 1:k, "-")) * outer(sqrt(1:k), sqrt(1:k))
d$CHG <- 0.5 * d$BASE + 0.3 * (d$ARM == "Drug") + as.vector(t(chol(S)) %%*%% matrix(rnorm(k * n), k))
d$CHG[sample(nrow(d), nrow(d) %%/%% 10)] <- NA', n_sim)

cases <- list(
  fev_data = list(
    setup = 'dat <- mmrm::fev_data',
    glyco = 'glycotrial::mmrm_fit(FEV1 ~ RACE + SEX + ARMCD * AVISIT + us(AVISIT | USUBJID), dat, df = "Satterthwaite")',
    mmrm = 'mmrm::mmrm(FEV1 ~ RACE + SEX + ARMCD * AVISIT + us(AVISIT | USUBJID), dat)',
    gls = 'nlme::gls(FEV1 ~ RACE + SEX + ARMCD * AVISIT, dat, na.action = na.omit, correlation = corSymm(form = ~ as.integer(AVISIT) | USUBJID), weights = varIdent(form = ~ 1 | AVISIT))',
    reps = 5L),
  bcva_data = list(
    setup = 'dat <- mmrm::bcva_data',
    glyco = 'glycotrial::mmrm_fit(BCVA_CHG ~ BCVA_BL + RACE + ARMCD * AVISIT + us(AVISIT | USUBJID), dat, df = "Satterthwaite")',
    mmrm = 'mmrm::mmrm(BCVA_CHG ~ BCVA_BL + RACE + ARMCD * AVISIT + us(AVISIT | USUBJID), dat)',
    gls = 'nlme::gls(BCVA_CHG ~ BCVA_BL + RACE + ARMCD * AVISIT, dat, na.action = na.omit, correlation = corSymm(form = ~ as.integer(AVISIT) | USUBJID), weights = varIdent(form = ~ 1 | AVISIT))',
    reps = 1L),
  simulated = list(
    setup = sim_setup,
    glyco = 'glycotrial::mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d, df = "Satterthwaite")',
    mmrm = 'mmrm::mmrm(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d)',
    gls = NULL,  # nlme::gls on 100,000 subjects takes far too long to include
    reps = 1L)
)

cat("load average (1, 5, 15 min):", load_avg(), "\n")
cat(sprintf("%-10s %-10s %10s %8s %10s %8s %8s\n", "data", "engine", "seconds", "ratio",
            "CPU s", "ratio", "peak MB"))
for (nm in if (is.null(only)) names(cases) else only) {
  cs <- cases[[nm]]
  g <- run(cs$setup, cs$glyco, cs$reps)
  m <- run(cs$setup, cs$mmrm, cs$reps)
  l <- if (is.null(cs$gls) || !run_gls) c(time = NA, mem_mb = NA, cpu = NA) else
    run(cs$setup, cs$gls, cs$reps)
  for (e in list(list("glycotrial", g), list("mmrm", m), list("nlme::gls", l))) {
    cat(sprintf("%-10s %-10s %10.3f %7.1fx %10.3f %7.1fx %8.0f\n", nm, e[[1]], e[[2]][["time"]],
                e[[2]][["time"]] / g[["time"]], e[[2]][["cpu"]], e[[2]][["cpu"]] / g[["cpu"]],
                e[[2]][["mem_mb"]]))
  }
}
cat("load average (1, 5, 15 min):", load_avg(), "\n")
cat("ratio = engine time / glycotrial time (higher: glycotrial faster).\n")
