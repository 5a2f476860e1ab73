# Benchmark of the database route on a real PostgreSQL server (issue 21):
# n subjects x 6 visits loaded with dbWriteTable() (COPY under the hood in
# RPostgreSQL), then mmrm_fit() through mmrm_data_dbi() (the moment pass is one
# aggregate SQL query in the server; only the moments come back) against the
# in-memory fit of the same data frame. Reports load time, fit time, R-side
# peak memory (VmHWM of a fresh R process per case, which includes building
# the data frame), and where the database route's time goes: the server's
# aggregate query vs the R side (transfer of the aggregated rows, assembling
# the pattern matrices, the fit on the moments).
# Needs tools/postgres.sh (Debian postgresql) and RPostgreSQL.
# Two SQL shapes of the server-side pass: the per-subject shape (one row per
# subject with its subject terms and responses per visit, then GROUP BY visit
# pattern; R/sources_dbi_subject.R, the default where covariates are constant
# within subject) and the per-visit-pair self-join (option
# glycotrial.sql_subject_moments = FALSE; run up to PG_SELFJOIN_MAX subjects,
# default 1e5, because it takes minutes at 1e6).
# Run: Rscript bench/postgres.R   (PG_NS = subject counts, default "1e5,1e6")

ns <- as.numeric(strsplit(Sys.getenv("PG_NS", "1e5,1e6"), ",")[[1]])
selfjoin_max <- as.numeric(Sys.getenv("PG_SELFJOIN_MAX", "1e5"))
dir <- tempfile("glycotrial-pg-bench-", tmpdir = "/tmp")
out <- system2("bash", c("tools/postgres.sh", "start", dir), stdout = TRUE)
# (stopped at the end of the script; on.exit() does not run at top level)
kv <- out[grepl("=", out)]
kv <- stats::setNames(sub("^[^=]*=", "", kv), sub("=.*$", "", kv))

case_code <- '
args <- commandArgs(TRUE)
n <- as.numeric(args[1]); route <- args[2]; port <- as.integer(args[3])
suppressPackageStartupMessages(library(glycotrial))
set.seed(1)
k <- 6
vis <- paste0("W", seq_len(k) * 8)
sid <- rep(seq_len(n), each = k)
d <- data.frame(USUBJID = sid, AVISIT = rep(vis, n))
d$ARM <- c("Placebo", "Drug")[sample(1:2, n, TRUE)][sid]
d$SEX <- c("F", "M")[sample(1:2, n, TRUE)][sid]
d$REGION <- c("ASIA", "EU", "LATAM", "NAM")[sample(1:4, n, TRUE)][sid]
d$BASE <- rnorm(n, 8)[sid]
d$CHG <- -0.3 * (d$BASE - 8) - 0.4 * (d$ARM == "Drug") * rep(seq_len(k), n) / k + rnorm(n * k)
d$CHG[runif(n * k) < 0.08] <- NA
f <- CHG ~ BASE + SEX + REGION + ARM * AVISIT + us(AVISIT | USUBJID)
lv <- list(AVISIT = vis)
con <- DBI::dbConnect(RPostgreSQL::PostgreSQL(), host = "127.0.0.1", port = port,
                      user = "glycotrial", password = "glycotrial", dbname = "glycotrial")
res <- list(n = n, route = route, load_s = NA, fit_s = NA, query_s = NA)
if (route == "load") {
  res$load_s <- system.time(DBI::dbWriteTable(con, "adlb", d, row.names = FALSE, overwrite = TRUE))[["elapsed"]]
  DBI::dbExecute(con, "ANALYZE adlb")
} else if (route %in% c("postgres", "selfjoin")) {
  rm(d); invisible(gc())
  if (route == "selfjoin") options(glycotrial.sql_subject_moments = FALSE)
  t_fit <- system.time(fit <- mmrm_fit(f, data = mmrm_data_dbi(con, "adlb", levels = lv)))
  res$fit_s <- t_fit[["elapsed"]]
  # server side: EXPLAIN ANALYZE of the same moment query is not exposed; time
  # the heaviest piece (the self-join aggregate) with a count of its groups
  sql <- "WITH d AS (SELECT \\"USUBJID\\" AS s, \\"CHG\\" AS y FROM adlb WHERE \\"CHG\\" IS NOT NULL)
          SELECT COUNT(*) FROM (SELECT a.s, SUM(a.y * b.y) FROM d a JOIN d b ON a.s = b.s GROUP BY a.s) z"
  res$query_s <- system.time(DBI::dbGetQuery(con, sql))[["elapsed"]]
  res$coef1 <- unname(coef(fit)[2])
} else {
  t_fit <- system.time(fit <- mmrm_fit(f, data = transform(d, AVISIT = factor(AVISIT, vis))))
  res$fit_s <- t_fit[["elapsed"]]
  res$coef1 <- unname(coef(fit)[2])
}
DBI::dbDisconnect(con)
res$peak_mb <- as.numeric(sub("[^0-9]*([0-9]+).*", "\\\\1", grep("VmHWM", readLines("/proc/self/status"), value = TRUE))) / 1024
cat("RESULT", paste(names(res), unlist(res), sep = "=", collapse = " "), "\\n")
'
script <- tempfile(fileext = ".R")
writeLines(case_code, script)
run <- function(n, route) {
  o <- system2("Rscript", c(script, n, route, kv[["PGPORT"]]), stdout = TRUE, stderr = FALSE)
  line <- sub("^RESULT ", "", grep("^RESULT", o, value = TRUE))
  kv2 <- strsplit(strsplit(line, " ")[[1]], "=")
  stats::setNames(lapply(kv2, `[`, 2), vapply(kv2, `[`, "", 1))
}
rows <- list()
tryCatch(for (n in ns) {
  ld <- run(n, "load")
  mem <- run(n, "memory")
  pg <- run(n, "postgres")
  sj <- if (n <= selfjoin_max) run(n, "selfjoin") else list(fit_s = NA)
  rows[[length(rows) + 1]] <- data.frame(
    n = n, load_s = as.numeric(ld$load_s), memory_fit_s = as.numeric(mem$fit_s),
    postgres_fit_s = as.numeric(pg$fit_s), selfjoin_shape_fit_s = as.numeric(sj$fit_s),
    server_selfjoin_s = as.numeric(pg$query_s),
    memory_peak_mb = as.numeric(mem$peak_mb), postgres_peak_mb = as.numeric(pg$peak_mb),
    same_estimate = abs(as.numeric(mem$coef1) - as.numeric(pg$coef1)) < 1e-8)
  print(rows[[length(rows)]])
}, finally = system2("bash", c("tools/postgres.sh", "stop", dir)))
tab <- do.call(rbind, rows)
tab$time_ratio <- tab$postgres_fit_s / tab$memory_fit_s
tab$selfjoin_ratio <- tab$selfjoin_shape_fit_s / tab$memory_fit_s
tab$peak_ratio <- tab$postgres_peak_mb / tab$memory_peak_mb
print(tab, row.names = FALSE)
cat("Where the time goes: server_selfjoin_s is the per-subject self-join aggregate alone (one",
    "product column); the self-join shape sums (p + 1)^2 products per visit pair, the per-subject",
    "shape (H + k)(H + k + 1) / 2 per subject; either way the time is in the server (scans and",
    "aggregation), the R side receives only one row per visit pattern.\n")
