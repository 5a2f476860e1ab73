# Benchmark of fit_lmm() on out-of-core sources: random
# intercept and slope (1 + WEEK | USUBJID), n subjects x 6 visits, ~8 %
# missing; the in-memory fit_lmm() and lme4::lmer() vs the pattern-moment
# route from a list of chunks (10 chunks) and, at the smallest n, SQLite.
# Each case runs in its own R process (peak RSS = VmHWM, includes the data).
# Run: Rscript bench/lmm_moments.R   (SCALE_LMM_NS, default "1e4,1e5")
ns <- as.numeric(strsplit(Sys.getenv("SCALE_LMM_NS", "1e4,1e5"), ",")[[1]])
gen_code <- '
gen <- function(n, seed = 1) {
  set.seed(seed)
  weeks <- c(0, 4, 8, 12, 24, 52)
  sid <- rep(seq_len(n), each = 6)
  d <- data.frame(USUBJID = sid, WEEK = rep(weeks, n))
  d$ARM <- c("Placebo", "Drug")[sample(1:2, n, TRUE)][sid]
  d$BASE <- rnorm(n, 8)[sid]
  d$AVAL <- 8 + 0.5 * (d$BASE - 8) - 0.01 * d$WEEK * (d$ARM == "Drug") + rnorm(n)[sid] +
    rnorm(n, 0, 0.02)[sid] * d$WEEK + rnorm(nrow(d), 0, 0.6)
  d$AVAL[runif(nrow(d)) < 0.08] <- NA
  d
}
form <- AVAL ~ BASE + ARM * WEEK + (1 + WEEK | USUBJID)
peak <- function() { l <- grep("VmHWM", readLines("/proc/self/status"), value = TRUE); as.numeric(gsub("[^0-9]", "", l)) / 1024 }
'
run_case <- function(route, n) {
  code <- paste0(gen_code, sprintf('
suppressMessages(library(glycotrial))
n <- %g; d <- gen(n)
route <- "%s"
t0 <- proc.time()
if (route == "in-memory") { f <- fit_lmm(form, data = d); b <- fixef(f) }
if (route == "lme4") { f <- lme4::lmer(form, data = d); b <- lme4::fixef(f) }
if (route == "chunks") { f <- fit_lmm(form, data = mmrm_data_chunks(split(d, (d$USUBJID - 1) %%/%% ceiling(n / 10)))); b <- fixef(f) }
if (route == "sqlite") {
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:"); DBI::dbWriteTable(con, "adlb", d)
  t0 <- proc.time(); f <- fit_lmm(form, data = mmrm_data_dbi(con, "adlb")); b <- fixef(f)
}
tt <- proc.time() - t0
cat(sprintf("RESULT %%s %%g %%.2f %%.2f %%.0f %%s\\n", route, n, tt[["elapsed"]], tt[["user.self"]] + tt[["sys.self"]] + tt[["user.child"]], peak(), paste(signif(b, 8), collapse = ",")))
', n, route))
  f <- tempfile(fileext = ".R")
  writeLines(code, f)
  out <- system2(file.path(R.home("bin"), "Rscript"), f, stdout = TRUE, stderr = FALSE)
  res <- grep("^RESULT", out, value = TRUE)
  if (length(res)) cat(res, "\n") else cat("FAILED", route, n, "\n")
  invisible(res)
}
cat("load:", readLines("/proc/loadavg"), "\n")
for (n in ns) {
  for (route in c("in-memory", "chunks", if (n <= 1e4) c("lme4", "sqlite"))) run_case(route, n)
}
cat("load:", readLines("/proc/loadavg"), "\n")
