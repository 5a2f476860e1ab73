# Benchmark of the moment route: glycotrial's mmrm_fit() vs
# mmrm::mmrm() at n = 1e3, 1e4, 1e5 subjects x 6 visits (us covariance,
# ~8 % missing responses, 18 fixed-effect columns), glycotrial alone at 1e6,
# and the SQL (SQLite) route vs the in-memory route on the same data.
# Each case runs in its own R process so that its peak RSS (VmHWM, which
# includes building the data) is its own. Run: Rscript bench/mmrm_moments.R
# Environment: SCALE_NS (subject counts, default "1e3,1e4,1e5,1e6"),
# SCALE_MMRM_MAX (largest n for mmrm, default 1e5), SCALE_SQL_NS
# (default "1e4,1e5"), SCALE_FORCE_MOMENTS (non-empty: moment route at every n;
# by default data frames below 250000 rows take the row route). The machine
# may be shared: timings are noisy, so the 1-minute load average before and
# after each case is printed with it.

ns <- as.numeric(strsplit(Sys.getenv("SCALE_NS", "1e3,1e4,1e5,1e6"), ",")[[1]])
mmrm_max <- as.numeric(Sys.getenv("SCALE_MMRM_MAX", "1e5"))
sql_ns <- as.numeric(strsplit(Sys.getenv("SCALE_SQL_NS", "1e4,1e5"), ",")[[1]])

# gen(): bench/scale_data.R (shared with bench/scale.R)
gen_code <- paste0(paste(readLines("bench/scale_data.R"), collapse = "\n"), '
f <- CHG ~ BASE + AGE + BMI + DIABDUR + SEX + REGION + ARM * AVISIT + us(AVISIT | USUBJID)
peak <- function() as.numeric(sub("[^0-9]*([0-9]+).*", "\\\\1",
  grep("VmHWM", readLines("/proc/self/status"), value = TRUE))) / 1024
')

run_case <- function(engine, n) {
  body <- switch(engine,
    glycotrial = sprintf('
      suppressMessages(library(glycotrial)); d <- gen(%g)
      if (nzchar(Sys.getenv("SCALE_FORCE_MOMENTS"))) options(glycotrial.mmrm_moment_rows = 1)
      st <- system.time(fit <- mmrm_fit(f, data = d, df = "Satterthwaite"))
      tm <- st[["elapsed"]]; cpu <- st[["user.self"]] + st[["sys.self"]]
      # the data pass alone (the only part that grows with n)
      spec <- mmrm_formula(f); roles <- glycotrial:::moments_roles(spec, NULL)
      enc <- glycotrial:::moments_encoding(NULL, roles, glycotrial:::moments_schema(d, roles))
      tp <- system.time(glycotrial:::moments_chunk(d, enc, threads = glycotrial:::moments_threads()))[["elapsed"]]
      cat(sprintf("RESULT %%s %%.3f %%.0f %%s %%.3f %%.3f\\n", "glycotrial", tm, peak(),
                  paste(format(coef(fit)[c("ARMDrug", "BASE")], digits = 10), collapse = ","), tp, cpu))', n),
    mmrm = sprintf('
      suppressMessages(library(mmrm)); d <- gen(%g); d$USUBJID <- factor(d$USUBJID)
      st <- system.time(fit <- mmrm(CHG ~ BASE + AGE + BMI + DIABDUR + SEX + REGION + ARM * AVISIT +
        us(AVISIT | USUBJID), data = d, method = "Satterthwaite"))
      tm <- st[["elapsed"]]; cpu <- st[["user.self"]] + st[["sys.self"]]
      cat(sprintf("RESULT %%s %%.3f %%.0f %%s NA %%.3f\\n", "mmrm", tm, peak(),
                  paste(format(coef(fit)[c("ARMDrug", "BASE")], digits = 10), collapse = ","), cpu))', n),
    sqlite = sprintf('
      suppressMessages(library(glycotrial)); d <- gen(%g)
      d$AVISIT <- as.character(d$AVISIT); lv <- list(AVISIT = paste0("W", 1:6 * 8), ARM = c("Placebo", "Drug"))
      db <- tempfile(fileext = ".sqlite"); con <- DBI::dbConnect(RSQLite::SQLite(), db)
      DBI::dbWriteTable(con, "adlb", d); rm(d); invisible(gc())
      st <- system.time(fit <- mmrm_fit(f, data = mmrm_data_dbi(con, "adlb", levels = lv),
                                        df = "Satterthwaite"))
      tm <- st[["elapsed"]]; cpu <- st[["user.self"]] + st[["sys.self"]]
      cat(sprintf("RESULT %%s %%.3f %%.0f %%s NA %%.3f\\n", "sqlite", tm, peak(),
                  paste(format(coef(fit)[c("ARMDrug", "BASE")], digits = 10), collapse = ","), cpu))
      DBI::dbDisconnect(con); unlink(db)', n))
  script <- tempfile(fileext = ".R")
  writeLines(c(gen_code, body), script)
  load1 <- function() as.numeric(strsplit(readLines("/proc/loadavg"), " ")[[1]][1])
  l0 <- load1()
  out <- system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE)
  l1 <- load1()
  line <- grep("^RESULT", out, value = TRUE)
  if (!length(line)) {
    return(data.frame(engine = engine, n = n, seconds = NA, cpu_seconds = NA, pass_seconds = NA, peak_mb = NA,
                      load_before = l0, load_after = l1, coefs = paste(tail(out, 2), collapse = " ")))
  }
  parts <- strsplit(line, " ")[[1]]
  data.frame(engine = engine, n = n, seconds = as.numeric(parts[3]),
             cpu_seconds = suppressWarnings(as.numeric(parts[7])),
             pass_seconds = suppressWarnings(as.numeric(parts[6])),
             peak_mb = as.numeric(parts[4]), load_before = l0, load_after = l1, coefs = parts[5])
}

res <- list()
for (n in ns) {
  res[[length(res) + 1]] <- run_case("glycotrial", n)
  print(res[[length(res)]])
  if (n <= mmrm_max) {
    res[[length(res) + 1]] <- run_case("mmrm", n)
    print(res[[length(res)]])
  }
  if (n %in% sql_ns) {
    res[[length(res) + 1]] <- run_case("sqlite", n)
    print(res[[length(res)]])
  }
}
tab <- do.call(rbind, res)
g <- tab[tab$engine == "glycotrial", c("n", "seconds", "cpu_seconds", "peak_mb")]
gl <- tab[tab$engine == "glycotrial", c("n", "seconds", "cpu_seconds", "pass_seconds")]
if (nrow(gl) > 1) {
  gl$us_per_subject_fit <- 1e6 * gl$seconds / gl$n
  gl$us_cpu_per_subject_fit <- 1e6 * gl$cpu_seconds / gl$n
  gl$us_per_subject_pass <- 1e6 * gl$pass_seconds / gl$n
  cat("\nLinearity (glycotrial; microseconds per subject, whole fit and data pass alone):\n")
  print(gl, row.names = FALSE)
}
m <- tab[tab$engine == "mmrm", c("n", "seconds", "cpu_seconds", "peak_mb")]
s <- tab[tab$engine == "sqlite", c("n", "seconds", "peak_mb")]
cat("\nAll cases (seconds of the fit; peak RSS of the whole process incl. data, MB):\n")
print(tab, row.names = FALSE)
if (nrow(m)) {
  mm <- merge(g, m, by = "n", suffixes = c("_glycotrial", "_mmrm"))
  mm$time_ratio_mmrm_over_glycotrial <- mm$seconds_mmrm / mm$seconds_glycotrial
  mm$cpu_ratio_mmrm_over_glycotrial <- mm$cpu_seconds_mmrm / mm$cpu_seconds_glycotrial
  mm$rss_ratio <- mm$peak_mb_mmrm / mm$peak_mb_glycotrial
  cat("\nglycotrial vs mmrm:\n")
  print(mm, row.names = FALSE)
}
if (nrow(s)) {
  ss <- merge(g, s, by = "n", suffixes = c("_memory", "_sqlite"))
  ss$time_ratio_sqlite_over_memory <- ss$seconds_sqlite / ss$seconds_memory
  cat("\nSQL route vs in-memory route:\n")
  print(ss, row.names = FALSE)
}

# ---- many visits (the moment matrices grow with the square of the visits) ----
# 26 visits with 20 % of the responses missing at random: nearly every
# subject has a visit pattern of its own, so pattern moments ((m (p + 1))^2
# per pattern) cost far more than the rows. mmrm_fit() now chooses its route
# from the patterns (moments_route_plan()): the data frame of n x 26 rows
# (>= 250,000 rows at the default n) takes the row route. Compared: the
# default choice, the row route forced, mmrm, and the SQL route (which has no
# row route: refused with glycotrial_error_resources beyond
# glycotrial.moment_memory_limit). SCALE_MV_NS: subject counts (default
# "1e4"; "0" skips), SCALE_MV_VISITS (default 26).
mv_ns <- as.numeric(strsplit(Sys.getenv("SCALE_MV_NS", "1e4"), ",")[[1]])
mv_k <- as.integer(Sys.getenv("SCALE_MV_VISITS", "26"))
mv_code <- sprintf('
gen_mv <- function(n, k = %d, seed = 1) {
  set.seed(seed)
  vis <- sprintf("V%%02d", seq_len(k))
  d <- data.frame(USUBJID = rep(seq_len(n), each = k), AVISIT = factor(rep(vis, n), levels = vis))
  d$ARM <- factor(c("Placebo", "Drug")[(d$USUBJID %%%% 2) + 1L], levels = c("Placebo", "Drug"))
  d$CHG <- rnorm(n)[d$USUBJID] + rnorm(nrow(d)) - 0.02 * as.integer(d$AVISIT) * (d$ARM == "Drug")
  d$CHG[runif(nrow(d)) < 0.2] <- NA
  d
}
fmv <- CHG ~ ARM * AVISIT + cs(AVISIT | USUBJID)
peak <- function() as.numeric(sub("[^0-9]*([0-9]+).*", "\\\\1",
  grep("VmHWM", readLines("/proc/self/status"), value = TRUE))) / 1024
', mv_k)
run_mv <- function(engine, n) {
  body <- switch(engine,
    choice = sprintf('suppressMessages(library(glycotrial)); d <- gen_mv(%g)
      tm <- system.time(fit <- mmrm_fit(fmv, data = d))[["elapsed"]]
      cat(sprintf("RESULT %%.3f %%.0f %%s\\n", tm, peak(), if (isTRUE(fit$moments_only)) "moments" else "rows"))', n),
    rows = sprintf('suppressMessages(library(glycotrial)); d <- gen_mv(%g); options(glycotrial.mmrm_moment_rows = Inf)
      tm <- system.time(fit <- mmrm_fit(fmv, data = d))[["elapsed"]]
      cat(sprintf("RESULT %%.3f %%.0f rows\\n", tm, peak()))', n),
    mmrm = sprintf('suppressMessages(library(mmrm)); d <- gen_mv(%g); d$USUBJID <- factor(d$USUBJID)
      tm <- system.time(fit <- mmrm(fmv, data = d))[["elapsed"]]
      cat(sprintf("RESULT %%.3f %%.0f mmrm\\n", tm, peak()))', n),
    sqlite = sprintf('suppressMessages(library(glycotrial)); d <- gen_mv(%g)
      lv <- list(AVISIT = levels(d$AVISIT)); d$AVISIT <- as.character(d$AVISIT)
      con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:"); DBI::dbWriteTable(con, "adlb", d)
      r <- "moments"
      tm <- system.time(tryCatch(mmrm_fit(fmv, data = mmrm_data_dbi(con, "adlb", levels = lv)),
        glycotrial_error_resources = function(e) r <<- "refused"))[["elapsed"]]
      cat(sprintf("RESULT %%.3f %%.0f %%s\\n", tm, peak(), r))', n))
  script <- tempfile(fileext = ".R")
  writeLines(c(mv_code, body), script)
  out <- system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE)
  line <- grep("^RESULT", out, value = TRUE)
  if (!length(line)) return(data.frame(engine = engine, n = n, seconds = NA, peak_mb = NA,
                                       route = paste(tail(out, 1), collapse = " ")))
  p <- strsplit(line, " ")[[1]]
  data.frame(engine = engine, n = n, seconds = as.numeric(p[2]), peak_mb = as.numeric(p[3]), route = p[4])
}
mv <- list()
for (n in mv_ns[mv_ns > 0]) {
  for (e in c("choice", "rows", if (n <= mmrm_max) "mmrm", "sqlite")) {
    mv[[length(mv) + 1]] <- run_mv(e, n)
    print(mv[[length(mv)]])
  }
}
if (length(mv)) {
  mv <- do.call(rbind, mv)
  cat(sprintf("\nMany visits (%d visits, 20 %% missing at random):\n", mv_k))
  ref <- mv[mv$engine == "rows", c("n", "seconds", "peak_mb")]
  mv2 <- merge(mv, ref, by = "n", suffixes = c("", "_rows"))
  mv2$time_ratio_vs_rows <- mv2$seconds / mv2$seconds_rows
  mv2$rss_ratio_vs_rows <- mv2$peak_mb / mv2$peak_mb_rows
  mm <- mv[mv$engine == "mmrm", c("n", "seconds")]
  if (nrow(mm)) {
    mv2 <- merge(mv2, stats::setNames(mm, c("n", "seconds_mmrm")), by = "n", all.x = TRUE)
    mv2$time_ratio_vs_mmrm <- mv2$seconds / mv2$seconds_mmrm
  }
  print(mv2, row.names = FALSE)
}
