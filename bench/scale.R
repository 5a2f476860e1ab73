# The moment pass at memory speed (issue 21 item 5): mmrm_fit() of 1e6
# subjects x 6 visits (6 M rows, 18 fixed-effect columns, us covariance) on an
# in-memory data frame, this build against an older build in the same run
# (OLD_LIB, default /work/lib/main: ratios, because the 2 cores are shared),
# with a profile of where the time goes in each, peak memory against the data
# frame, and 1e7 subjects (60 M rows) from RDS chunks read one at a time
# (Parquet is not installable here; the chunk source takes any reader).
# Each case runs in its own R process so that its peak RSS is its own.
# Run: Rscript bench/scale.R
# Environment: NEW_LIB (default: the library path of this R), OLD_LIB,
# SCALE_N (default 1e6), SCALE_CHUNKS (1e6-subject chunks for the large case,
# default 10; 0 skips it), SCALE_CHUNK_DIR (default a temporary directory).

new_lib <- Sys.getenv("NEW_LIB", .libPaths()[1])
old_lib <- Sys.getenv("OLD_LIB", "/work/lib/main")
n <- as.numeric(Sys.getenv("SCALE_N", "1e6"))
n_chunks <- as.integer(Sys.getenv("SCALE_CHUNKS", "10"))

# gen(): bench/scale_data.R (shared with bench/mmrm_moments.R)
gen_code <- paste0(paste(readLines("bench/scale_data.R"), collapse = "\n"), '
f <- CHG ~ BASE + AGE + BMI + DIABDUR + SEX + REGION + ARM * AVISIT + us(AVISIT | USUBJID)
peak <- function() as.numeric(sub("[^0-9]*([0-9]+).*", "\\\\1",
  grep("VmHWM", readLines("/proc/self/status"), value = TRUE))) / 1024
load1 <- function() as.numeric(strsplit(readLines("/proc/loadavg"), " ")[[1]][1])
mb <- function(cells) cells
')

# In-memory case: data built, then gc(reset = TRUE); the fit's extra R heap is
# the "max used" growth (Ncells 56 bytes, Vcells 8 bytes) over the data frame.
memory_case <- sprintf('
suppressMessages(library(glycotrial))
d <- gen(%g)
df_mb <- as.numeric(object.size(d)) / 1024^2
g0 <- gc(reset = TRUE)
base_mb <- sum(g0[, 2])
l0 <- load1()
t1 <- system.time(fit <- mmrm_fit(f, data = d))[["elapsed"]]
g1 <- gc()
heap_extra <- sum(g1[, 6]) - base_mb
t2 <- system.time(fit <- mmrm_fit(f, data = d))[["elapsed"]]
Rprof(tf <- tempfile(), interval = 0.01)
invisible(mmrm_fit(f, data = d))
Rprof(NULL)
pr <- summaryRprof(tf)$by.total
rownames(pr) <- gsub("\\"", "", rownames(pr))
keep <- c("mmrm_fit", "moments_route_plan", "moments_schema", "moments_encoding", "moments_pilot",
          "visit_order_for_fit", "moments_codes", "moments_code_col", "moments_chunk",
          "cpp_scale_moments", "moments_prepare", "mmrm_run_optimiser", "moments_result")
pr <- pr[intersect(keep, rownames(pr)), c("total.time", "total.pct")]
for (i in seq_len(nrow(pr))) cat(sprintf("PROFILE %%s %%.2f %%.0f\\n", rownames(pr)[i], pr[i, 1], pr[i, 2]))
# the C++ pass alone, 1 and 2 threads
spec <- mmrm_formula(f); roles <- glycotrial:::moments_roles(spec, NULL)
enc <- glycotrial:::moments_pilot(glycotrial:::moments_encoding(NULL, roles, glycotrial:::moments_schema(d, roles)),
                                  glycotrial:::moments_pilot_sample(d))
tp1 <- system.time(m1 <- glycotrial:::moments_chunk(d, enc, threads = 1L))[["elapsed"]]
tp2 <- system.time(m2 <- glycotrial:::moments_chunk(d, enc, threads = 2L))[["elapsed"]]
same_threads <- identical(m1, m2)
cat(sprintf("RESULT fit1=%%.3f fit2=%%.3f pass1=%%.3f pass2=%%.3f df_mb=%%.0f heap_extra_mb=%%.0f peak_mb=%%.0f load=%%.1f/%%.1f same_threads=%%s coef=%%.12g\\n",
            t1, t2, tp1, tp2, df_mb, heap_extra, peak(), l0, load1(), same_threads, coef(fit)[["ARMDrug"]]))
', n)

chunk_case <- '
suppressMessages(library(glycotrial))
files <- strsplit(Sys.getenv("SCALE_FILES"), ",")[[1]]
reader <- function(i) if (i <= length(files)) readRDS(files[i])
l0 <- load1()
t_read <- system.time(for (i in seq_along(files)) invisible(reader(i)))[["elapsed"]]
t <- system.time(fit <- mmrm_fit(f, data = mmrm_data_chunks(reader)))[["elapsed"]]
cat(sprintf("RESULT fit=%.3f read_once=%.3f peak_mb=%.0f subjects=%.0f rows=%.0f load=%.1f/%.1f coef=%.12g\\n",
            t, t_read, peak(), fit$n_subjects, fit$n_obs, l0, load1(), coef(fit)[["ARMDrug"]]))
'

run <- function(code, lib, env = character()) {
  script <- tempfile(fileext = ".R")
  writeLines(c(gen_code, code), script)
  o <- system2("Rscript", script, stdout = TRUE, stderr = FALSE,
               env = c(paste0("R_LIBS=", lib), env))
  list(result = grep("^RESULT", o, value = TRUE), profile = grep("^PROFILE", o, value = TRUE))
}
kv <- function(line) {
  p <- strsplit(strsplit(sub("^RESULT ", "", line), " ")[[1]], "=")
  stats::setNames(lapply(p, `[`, 2), vapply(p, `[`, "", 1))
}

cat(sprintf("== %g subjects x 6 visits in memory: this build (%s) vs old build (%s)\n", n, new_lib, old_lib))
new <- run(memory_case, new_lib)
old <- if (dir.exists(old_lib)) run(memory_case, old_lib)
show_profile <- function(x, what) {
  cat(sprintf("-- profile (%s): Rprof total seconds and %% of a fit\n", what))
  cat(sprintf("   %s\n", sub("^PROFILE ", "", x$profile)), sep = "")
}
show_profile(new, "new")
if (!is.null(old)) show_profile(old, "old")
rn <- kv(new$result)
tab <- data.frame(build = "new", fit_s = as.numeric(rn$fit2), first_fit_s = as.numeric(rn$fit1),
                  pass_1thread_s = as.numeric(rn$pass1), pass_2threads_s = as.numeric(rn$pass2),
                  df_mb = as.numeric(rn$df_mb), heap_extra_mb = as.numeric(rn$heap_extra_mb),
                  peak_rss_mb = as.numeric(rn$peak_mb), load = rn$load, coef = as.numeric(rn$coef))
if (!is.null(old) && length(old$result)) {
  ro <- kv(old$result)
  tab <- rbind(tab, data.frame(build = "old", fit_s = as.numeric(ro$fit2), first_fit_s = as.numeric(ro$fit1),
                               pass_1thread_s = as.numeric(ro$pass1), pass_2threads_s = as.numeric(ro$pass2),
                               df_mb = as.numeric(ro$df_mb), heap_extra_mb = as.numeric(ro$heap_extra_mb),
                               peak_rss_mb = as.numeric(ro$peak_mb), load = ro$load, coef = as.numeric(ro$coef)))
}
print(tab, row.names = FALSE)
cat(sprintf("thread count changes nothing (identical moments, 1 vs 2 threads): %s\n", rn$same_threads))
cat(sprintf("fit R heap beyond the data frame: %.2f x the data frame (target: total <= 1.5 x)\n",
            tab$heap_extra_mb[1] / tab$df_mb[1]))
if (nrow(tab) == 2) {
  cat(sprintf("ratio old/new: fit %.1fx, C++ pass (2 threads) %.1fx; |coef new - old| = %.2e\n",
              tab$fit_s[2] / tab$fit_s[1], tab$pass_2threads_s[2] / tab$pass_2threads_s[1],
              abs(tab$coef[1] - tab$coef[2])))
}

if (n_chunks > 0) {
  dir <- Sys.getenv("SCALE_CHUNK_DIR", tempfile("glycotrial-scale-"))
  dir.create(dir, showWarnings = FALSE)
  files <- file.path(dir, sprintf("chunk%02d.rds", seq_len(n_chunks)))
  if (!all(file.exists(files))) {
    cat(sprintf("== writing %d RDS chunks of 1e6 subjects (uncompressed) to %s\n", n_chunks, dir))
    writer <- sprintf('
      files <- strsplit(Sys.getenv("SCALE_FILES"), ",")[[1]]
      for (i in seq_along(files)) if (!file.exists(files[i]))
        saveRDS(gen(1e6, seed = i, id0 = (i - 1L) * 1000000L), files[i], compress = FALSE)
      cat("RESULT done=1\\n")')
    invisible(run(writer, new_lib, paste0("SCALE_FILES=", paste(files, collapse = ","))))
  }
  cat(sprintf("== %g subjects (%g rows) from %d RDS chunks, one in memory at a time\n",
              n_chunks * 1e6, n_chunks * 6e6, n_chunks))
  ch <- kv(run(chunk_case, new_lib, paste0("SCALE_FILES=", paste(files, collapse = ",")))$result)
  print(data.frame(fit_s = as.numeric(ch$fit), reading_all_chunks_once_s = as.numeric(ch$read_once),
                   peak_rss_mb = as.numeric(ch$peak_mb), subjects = as.numeric(ch$subjects),
                   rows_used = as.numeric(ch$rows), load = ch$load), row.names = FALSE)
  cat("(the chunk source reads each chunk twice: a schema pass for the factor levels, then the moment pass)\n")
  if (!nzchar(Sys.getenv("SCALE_CHUNK_DIR"))) unlink(dir, recursive = TRUE)
}
