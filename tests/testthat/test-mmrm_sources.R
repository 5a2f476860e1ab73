# mmrm_fit() on data arriving as chunks, CSV files, a function, a database
# table (SQL aggregate) or through future workers: identical estimates
# (<= 1e-10 relative) to the in-memory moment fit, which itself is checked
# against mmrm in test-mmrm_moments.R.

scale_ref_fit <- function(d) {
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  mmrm_fit(scale_formula, data = d)
}

lv <- list(AVISIT = paste0("W", 1:4 * 4))

test_that("chunks, a chunk function, CSV files and SQLite give identical estimates", {
  d <- scale_sim_data(240, 4, seed = 11)
  ref <- scale_ref_fit(d)
  chunks <- split(d, rep(1:4, each = 60 * 4))
  f_chunks <- mmrm_fit(scale_formula, data = mmrm_data_chunks(chunks, levels = lv))
  expect_lt(rel_diff(coef(f_chunks), coef(ref)), 1e-10)
  expect_lt(rel_diff(f_chunks$theta, ref$theta), 1e-10)
  expect_equal(vcov(f_chunks), vcov(ref), tolerance = 1e-10)
  expect_identical(f_chunks$n_obs, ref$n_obs)
  # without given levels the first pass finds the same (sorted) levels here
  f_nolv <- mmrm_fit(scale_formula, data = mmrm_data_chunks(chunks))
  expect_lt(rel_diff(coef(f_nolv), coef(ref)), 1e-10)
  # a function returning chunks
  f_fun <- mmrm_fit(scale_formula,
                    data = mmrm_data_chunks(function(i) if (i <= 4) chunks[[i]], levels = lv))
  expect_lt(rel_diff(coef(f_fun), coef(ref)), 1e-10)
  # CSV files, read in small chunks (subjects carried across chunk borders)
  files <- write_csv_halves(d, 480)
  f_csv <- mmrm_fit(scale_formula, data = mmrm_data_csv(files, chunk_rows = 37, levels = lv))
  expect_lt(rel_diff(coef(f_csv), coef(ref)), 1e-10)
  expect_lt(rel_diff(f_csv$theta, ref$theta), 1e-10)
  # SQLite: the data pass is one SQL aggregate
  skip_if_not_installed("RSQLite")
  con <- sqlite_adlb(d)
  f_sql <- mmrm_fit(scale_formula, data = mmrm_data_dbi(con, "adlb", levels = lv))
  expect_lt(rel_diff(coef(f_sql), coef(ref)), 1e-10)
  expect_lt(rel_diff(f_sql$theta, ref$theta), 1e-10)
  expect_equal(f_sql$n_obs, ref$n_obs)
  expect_equal(f_sql$n_subjects, ref$n_subjects)
})

test_that("duckdb gives the same estimates (when installed)", {
  skip_if_not_installed("duckdb")
  d <- scale_sim_data(150, 4, seed = 12)
  ref <- scale_ref_fit(d)
  con <- DBI::dbConnect(duckdb::duckdb())
  on.exit(DBI::dbDisconnect(con, shutdown = TRUE), add = TRUE)
  dd <- d
  dd$AVISIT <- as.character(dd$AVISIT)
  DBI::dbWriteTable(con, "adlb", dd)
  f_db <- mmrm_fit(scale_formula, data = mmrm_data_dbi(con, "adlb", levels = lv))
  expect_lt(rel_diff(coef(f_db), coef(ref)), 1e-10)
})

test_that("1, 2 and 4 future workers give bit-identical results", {
  skip_if_not_installed("future")
  skip_if_not_installed("future.apply")
  d <- scale_sim_data(160, 4, seed = 13)
  chunks <- split(d, rep(1:8, each = 20 * 4))
  src <- mmrm_data_chunks(chunks, levels = lv)
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  f1 <- mmrm_fit(scale_formula, data = src)
  future::plan(future::multisession, workers = 2)
  f2 <- mmrm_fit(scale_formula, data = src)
  expect_identical(coef(f2), coef(f1))
  expect_identical(f2$theta, f1$theta)
  if (future::supportsMulticore()) {
    future::plan(future::multicore, workers = 4)
    f4 <- mmrm_fit(scale_formula, data = src)
    expect_identical(coef(f4), coef(f1))
  }
  # a failing worker (a file vanished from shared storage): the worker's
  # message surfaces, nothing is fitted
  files <- write_csv_halves(d, 320)
  src_csv <- mmrm_data_csv(files, chunk_rows = 100, levels = lv)
  unlink(files[2])
  future::plan(future::multisession, workers = 2)
  res <- NULL
  expect_error(suppressWarnings(res <- mmrm_fit(scale_formula, data = src_csv)),
               class = "glycotrial_error_worker", regexp = "b.csv|cannot open")
  expect_null(res)
  future::plan(future::sequential)
})

test_that("progress is reported through progressr", {
  skip_if_not_installed("progressr")
  d <- scale_sim_data(80, 4, seed = 14)
  chunks <- split(d, rep(1:4, each = 20 * 4))
  n_updates <- 0
  h <- progressr::handler_void()
  withr::local_options(progressr.enable = TRUE)
  expect_no_error(progressr::with_progress(
    mmrm_fit(scale_formula, data = mmrm_data_chunks(chunks, levels = lv)),
    handlers = progressr::handler_void()))
})

test_that("bad sources: missing column, chunk types and levels, straddling subjects", {
  d <- scale_sim_data(60, 4, seed = 15)
  chunks <- split(d, rep(1:3, each = 20 * 4))
  # a chunk with a different column type names the chunk
  ch <- chunks
  ch[[2]]$BASE <- as.character(ch[[2]]$BASE)
  expect_error(mmrm_fit(scale_formula, data = mmrm_data_chunks(ch, levels = lv)),
               class = "glycotrial_error_chunk", regexp = "chunk 2")
  # a level outside the given levels names the chunk
  ch <- chunks
  ch[[3]]$REGION[1] <- "MARS"
  expect_error(mmrm_fit(scale_formula,
                        data = mmrm_data_chunks(ch, levels = c(lv, list(REGION = c("ASIA", "EU", "NAM"))))),
               class = "glycotrial_error_chunk", regexp = "chunk 3")
  # a missing column in one chunk
  ch <- chunks
  ch[[2]]$SEX <- NULL
  expect_error(mmrm_fit(scale_formula, data = mmrm_data_chunks(ch)),
               class = "glycotrial_error_chunk", regexp = "chunk 2")
  # a subject in two chunks
  ch <- split(d, rep(1:3, length.out = nrow(d)))
  expect_error(mmrm_fit(scale_formula, data = mmrm_data_chunks(ch, levels = lv)),
               class = "glycotrial_error_chunk", regexp = "more than one chunk")
  expect_error(mmrm_data_chunks(42), class = "glycotrial_error_input")
  expect_error(mmrm_data_csv("/nonexistent/file.csv"), class = "glycotrial_error_input")
  skip_if_not_installed("RSQLite")
  con <- sqlite_adlb(d, drop = "REGION")
  expect_error(mmrm_fit(scale_formula, data = mmrm_data_dbi(con, "adlb", levels = lv)),
               class = "glycotrial_error_missing_column", regexp = "REGION")
  expect_error(mmrm_data_dbi("not a connection", "adlb"), class = "glycotrial_error_input")
  # duplicated subject-visit rows are found in the database
  dd2 <- rbind(d, d[5, ])
  dd2$AVISIT <- as.character(dd2$AVISIT)
  DBI::dbWriteTable(con, "dup", dd2)
  expect_error(mmrm_fit(scale_formula, data = mmrm_data_dbi(con, "dup", levels = lv)),
               class = "glycotrial_error_input", regexp = "more than one row")
})

test_that("SQL route: observation weights and designs wider than one query", {
  skip_if_not_installed("RSQLite")
  d <- scale_sim_data(200, 4, seed = 16)
  d$W <- withr::with_seed(2, stats::runif(nrow(d), 0.5, 2))
  d$W[3] <- NA  # a row without weight is dropped, as in memory
  con <- sqlite_adlb(d)
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  # weights: sqrt(w) scaling of each row and sum(log w) computed in SQLite
  # (its math functions are loaded when missing)
  ref_w <- suppressMessages(mmrm_fit(scale_formula, data = d, weights = "W"))
  f_w <- suppressMessages(mmrm_fit(scale_formula, data = mmrm_data_dbi(con, "adlb", levels = lv),
                                   weights = "W"))
  expect_lt(rel_diff(coef(f_w), coef(ref_w)), 1e-10)
  expect_lt(rel_diff(f_w$theta, ref_w$theta), 1e-10)
  expect_equal(f_w$deviance, ref_w$deviance, tolerance = 1e-12)
  expect_equal(f_w$n_obs, ref_w$n_obs)
  # and the row route (independent of the moment code) to 1e-10 as well
  withr::with_options(list(glycotrial.mmrm_moment_rows = Inf), {
    ref_rows <- suppressMessages(mmrm_fit(scale_formula, data = d, weights = "W",
                                          control = mmrm_fit_control(grad_tol = 1e-9)))
  })
  expect_lt(rel_diff(coef(f_w), coef(ref_rows)), 1e-10)
  # covariate means come back from the database too (least-squares means)
  expect_equal(f_w$covariate_means$BASE, ref_w$covariate_means$BASE, tolerance = 1e-12)
  expect_equal(least_squares_means(f_w, "ARM")$lsmeans$estimate, least_squares_means(ref_w, "ARM")$lsmeans$estimate,
               tolerance = 1e-9)
  # non-positive weights are refused
  dd0 <- d
  dd0$AVISIT <- as.character(dd0$AVISIT)
  dd0$W[5] <- 0
  DBI::dbWriteTable(con, "adlb0", dd0)
  expect_error(mmrm_fit(scale_formula, data = mmrm_data_dbi(con, "adlb0", levels = lv), weights = "W"),
               class = "glycotrial_error_input", regexp = "positive")
  # the product sums split over several queries give the same moments
  ref <- mmrm_fit(scale_formula, data = d)
  withr::local_options(glycotrial.sql_max_columns = 25L)
  f_split <- mmrm_fit(scale_formula, data = mmrm_data_dbi(con, "adlb", levels = lv))
  expect_lt(rel_diff(coef(f_split), coef(ref)), 1e-10)
  expect_lt(rel_diff(f_split$theta, ref$theta), 1e-10)
})

test_that("SQL route: a design with more than 43 columns (more than 2000 sums)", {
  skip_if_not_installed("RSQLite")
  d <- scale_sim_data(240, 4, seed = 17)
  d$SITE <- sprintf("S%02d", (as.integer(factor(d$USUBJID)) %% 11) + 1)
  f <- CHG ~ BASE + SITE * AVISIT + us(AVISIT | USUBJID)  # 1 + 1 + 10 + 3 + 30 = 45 columns
  con <- sqlite_adlb(d)
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  ref <- mmrm_fit(f, data = d, df = "Residual")
  expect_equal(length(coef(ref)), 45)
  f_sql <- mmrm_fit(f, data = mmrm_data_dbi(con, "adlb", levels = lv), df = "Residual")
  expect_lt(rel_diff(coef(f_sql), coef(ref)), 1e-10)
  expect_lt(rel_diff(f_sql$theta, ref$theta), 1e-10)
})

test_that("an interrupt between chunks or SQL queries is honoured; no worker is left busy", {
  skip_if_not_installed("rlang")
  d <- scale_sim_data(240, 4, seed = 11)
  chunks <- unname(split(d, rep(1:6, each = 40 * 4)))
  ref <- mmrm_fit(scale_formula, data = mmrm_data_chunks(chunks, levels = lv))
  # the hook runs in this session before chunk / query i; rlang::interrupt()
  # raises the interrupt condition Ctrl-C raises
  hook_at <- function(stage, k) function(s, i) if (identical(s, stage) && i == k) rlang::interrupt()
  interrupted <- function(expr) tryCatch(expr, interrupt = function(e) "interrupted")
  fit_chunks <- function() mmrm_fit(scale_formula, data = mmrm_data_chunks(chunks, levels = lv))
  withr::local_options(glycotrial.scale_test_chunk_hook = hook_at("chunk", 3))
  expect_identical(interrupted(fit_chunks()), "interrupted")
  expect_identical(interrupted(mmrm_fit(scale_formula, data = mmrm_data_chunks(
    function(i) if (i <= 6) chunks[[i]], levels = lv))), "interrupted")
  # the SQL route, between the pieces of the aggregate query
  skip_if_not_installed("RSQLite")
  con <- sqlite_adlb(d)
  withr::local_options(glycotrial.sql_max_columns = 50,
                       glycotrial.scale_test_chunk_hook = hook_at("query", 2))
  src <- mmrm_data_dbi(con, "adlb", levels = lv)
  expect_identical(interrupted(mmrm_fit(scale_formula, data = src)), "interrupted")
  withr::local_options(glycotrial.scale_test_chunk_hook = NULL)
  f_sql <- mmrm_fit(scale_formula, data = src)   # the connection is still usable
  expect_lt(rel_diff(coef(f_sql), coef(ref)), 1e-10)
  # future workers: chunk 3 is running on a worker when the interrupt comes
  # before chunk 4; it is waited for, so both workers are free afterwards
  # and the next fit is bit-identical
  skip_on_cran()
  skip_if_not_installed("future")
  old_plan <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old_plan), add = TRUE)
  withr::local_options(glycotrial.scale_test_chunk_hook = hook_at("chunk", 4))
  expect_identical(interrupted(fit_chunks()), "interrupted")
  expect_equal(future::nbrOfFreeWorkers(), 2)
  withr::local_options(glycotrial.scale_test_chunk_hook = NULL)
  expect_identical(coef(fit_chunks()), coef(ref))
})

test_that("Parquet files (nanoparquet) give the same estimates as a data frame and CSV files", {
  skip_if_not_installed("nanoparquet")
  d <- scale_sim_data(240, 4, seed = 18)
  ref <- scale_ref_fit(d)
  dd <- d
  dd$AVISIT <- as.character(dd$AVISIT)
  dir <- withr::local_tempdir()
  csv <- file.path(dir, c("a.csv", "b.csv"))
  pq <- file.path(dir, c("a.parquet", "b.parquet"))
  rows <- list(1:480, 481:960)
  for (i in 1:2) {
    utils::write.csv(dd[rows[[i]], ], csv[i], row.names = FALSE)
    # several row groups per file
    nanoparquet::write_parquet(dd[rows[[i]], ], pq[i],
                               options = nanoparquet::parquet_options(num_rows_per_row_group = 50L))
  }
  f_csv <- mmrm_fit(scale_formula, data = mmrm_data_csv(csv, chunk_rows = 53, levels = lv))
  f_pq <- mmrm_fit(scale_formula, data = mmrm_data_parquet(pq, levels = lv))
  for (f in list(f_csv, f_pq)) {
    expect_lt(rel_diff(coef(f), coef(ref)), 1e-10)
    expect_lt(rel_diff(f$theta, ref$theta), 1e-10)
    expect_equal(vcov(f), vcov(ref), tolerance = 1e-10)
    expect_identical(f$n_obs, ref$n_obs)
  }
  expect_identical(f_pq$data_source, "glycotrial_mmrm_source_parquet")
  # levels found by a first pass over the files
  f_nolv <- mmrm_fit(scale_formula, data = mmrm_data_parquet(pq))
  expect_lt(rel_diff(coef(f_nolv), coef(mmrm_fit(scale_formula, data = mmrm_data_chunks(list(dd))))), 1e-10)
  expect_output(print(mmrm_data_parquet(pq)), "2 Parquet file")
})

test_that("Parquet files: missing column, mismatched types, unknown levels name the file", {
  skip_if_not_installed("nanoparquet")
  d <- scale_sim_data(60, 4, seed = 19)
  dd <- d
  dd$AVISIT <- as.character(dd$AVISIT)
  dir <- withr::local_tempdir()
  pq <- file.path(dir, c("p1.parquet", "p2.parquet"))
  a <- dd[1:120, ]
  b <- dd[121:240, ]
  nanoparquet::write_parquet(a, pq[1])
  # a missing column
  nanoparquet::write_parquet(b[setdiff(names(b), "REGION")], pq[2])
  expect_error(mmrm_fit(scale_formula, data = mmrm_data_parquet(pq, levels = lv)),
               class = "glycotrial_error_missing_column", regexp = "p2.parquet")
  # a column stored with another type in one file
  b2 <- b
  b2$BASE <- as.character(b2$BASE)
  nanoparquet::write_parquet(b2, pq[2])
  expect_error(mmrm_fit(scale_formula, data = mmrm_data_parquet(pq, levels = lv)),
               class = "glycotrial_error_chunk", regexp = "p2.parquet")
  # a level outside the given levels
  b3 <- b
  b3$REGION[2] <- "MARS"
  nanoparquet::write_parquet(b3, pq[2])
  expect_error(mmrm_fit(scale_formula,
                        data = mmrm_data_parquet(pq, levels = c(lv, list(REGION = c("ASIA", "EU", "NAM"))))),
               class = "glycotrial_error_chunk", regexp = "p2.parquet.*MARS")
  # a subject in both files
  nanoparquet::write_parquet(dd[c(117:120, 121:240), ], pq[2])
  expect_error(mmrm_fit(scale_formula, data = mmrm_data_parquet(pq, levels = lv)),
               class = "glycotrial_error_chunk", regexp = "more than one chunk")
  expect_error(mmrm_data_parquet(file.path(dir, "none.parquet")), class = "glycotrial_error_input")
  expect_error(mmrm_data_parquet(42), class = "glycotrial_error_input")
})
