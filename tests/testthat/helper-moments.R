# Long MMRM data for the moment-route tests: n subjects x k visits, ~8 % missing
# responses, a few covariates (numeric, two factors), us-type correlation.
scale_sim_data <- function(n = 300, k = 4, miss = 0.08, seed = 1) {
  withr::with_seed(seed, {
    vis <- paste0("W", seq_len(k) * 4)
    id <- sprintf("S%05d", seq_len(n))
    arm <- sample(c("Placebo", "Drug"), n, replace = TRUE)
    sex <- sample(c("F", "M"), n, replace = TRUE)
    region <- sample(c("EU", "NAM", "ASIA"), n, replace = TRUE)
    base <- rnorm(n, 8, 1)
    L <- t(chol(0.5^abs(outer(seq_len(k), seq_len(k), "-")) * tcrossprod(seq(1, 1.5, length.out = k))))
    e <- t(L %*% matrix(rnorm(n * k), k))
    d <- data.frame(USUBJID = rep(id, each = k),
                    AVISIT = factor(rep(vis, n), levels = vis),
                    ARM = rep(arm, each = k), SEX = rep(sex, each = k),
                    REGION = rep(region, each = k), BASE = rep(base, each = k),
                    stringsAsFactors = FALSE)
    vi <- rep(seq_len(k), n)
    d$CHG <- -0.3 * (d$BASE - 8) - 0.1 * vi - 0.4 * (d$ARM == "Drug") * vi / k +
      0.2 * (d$SEX == "M") + as.vector(t(e))
    d$CHG[stats::runif(nrow(d)) < miss] <- NA
    d
  })
}

scale_formula <- CHG ~ BASE + SEX + REGION + ARM * AVISIT + us(AVISIT | USUBJID)

rel_diff <- function(a, b) max(abs(a - b) / pmax(abs(b), 1e-8))

# Rows 1..n and n+1..2n of d as two CSV files (visits as text, as a CSV
# export has them) in a temporary directory that lives as long as the
# calling test; returns the two paths.
write_csv_halves <- function(d, n, envir = parent.frame()) {
  dir <- withr::local_tempdir(.local_envir = envir)
  files <- file.path(dir, c("a.csv", "b.csv"))
  d$AVISIT <- as.character(d$AVISIT)
  utils::write.csv(d[seq_len(n), ], files[1], row.names = FALSE)
  utils::write.csv(d[n + seq_len(n), ], files[2], row.names = FALSE)
  files
}

# An in-memory SQLite database with `d` as table "adlb" (visits as text,
# the columns `drop` removed), disconnected when the calling test ends.
sqlite_adlb <- function(d, drop = NULL, env = parent.frame()) {
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  withr::defer(DBI::dbDisconnect(con), envir = env)
  d$AVISIT <- as.character(d$AVISIT)
  d[drop] <- NULL
  DBI::dbWriteTable(con, "adlb", d)
  con
}
