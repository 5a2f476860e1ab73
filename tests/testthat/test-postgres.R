# The database route on a real PostgreSQL server (started by helper-postgres.R
# with tools/postgres.sh): the moment pass is one aggregate query in the
# server; estimates equal the in-memory fits (<= 1e-10 relative); quoted and
# schema-qualified table names; classed errors naming the table for an
# unreachable server, refused credentials and missing columns, with no table
# left behind.

lv_pg <- list(AVISIT = paste0("W", 1:4 * 4))

pg_tables <- function(con) {
  DBI::dbGetQuery(con, "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
                        WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")$t
}

test_that("mmrm_fit on PostgreSQL equals the in-memory fit; odd table names are quoted", {
  con <- pg_connect()
  d <- scale_sim_data(200, 4, seed = 31)
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  ref <- mmrm_fit(scale_formula, data = d)
  dd <- d
  dd$AVISIT <- as.character(dd$AVISIT)
  name <- "adlb\"; DROP TABLE x; --"
  DBI::dbWriteTable(con, name, dd, row.names = FALSE, overwrite = TRUE)
  DBI::dbExecute(con, "CREATE SCHEMA IF NOT EXISTS \"my schema\"")
  id <- DBI::Id(schema = "my schema", table = "ad;lb")
  DBI::dbWriteTable(con, c("my schema", "ad;lb"), dd, row.names = FALSE, overwrite = TRUE)
  before <- pg_tables(con)
  for (tb in list(name, id)) {
    f <- mmrm_fit(scale_formula, data = mmrm_data_dbi(con, tb, levels = lv_pg))
    expect_lt(rel_diff(coef(f), coef(ref)), 1e-10)
    expect_lt(rel_diff(f$theta, ref$theta), 1e-10)
    expect_equal(vcov(f), vcov(ref), tolerance = 1e-10)
    expect_equal(f$n_obs, ref$n_obs)
  }
  # without levels the visits come from the server's DISTINCT values (sorted
  # as text: another parametrisation, the same unstructured model)
  f2 <- mmrm_fit(scale_formula, data = mmrm_data_dbi(con, id))
  expect_equal(as.numeric(logLik(f2)), as.numeric(logLik(ref)), tolerance = 1e-10)
  # the route created nothing in the database
  expect_setequal(pg_tables(con), before)
})

test_that("fit_lmm on PostgreSQL equals the in-memory fit", {
  con <- pg_connect()
  d <- scale_sim_data(150, 4, seed = 32)
  d$WEEK <- as.numeric(sub("W", "", as.character(d$AVISIT)))
  form <- CHG ~ BASE + ARM + WEEK + (1 + WEEK | USUBJID)
  ref <- fit_lmm(form, data = d[!is.na(d$CHG), ])
  dd <- d
  dd$AVISIT <- as.character(dd$AVISIT)
  DBI::dbWriteTable(con, "adlb_lmm", dd, row.names = FALSE, overwrite = TRUE)
  f <- fit_lmm(form, data = mmrm_data_dbi(con, "adlb_lmm"))
  expect_lt(rel_diff(fixef(f), fixef(ref)), 1e-8)
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(ref)), tolerance = 1e-8)
})

test_that("unreachable server, refused credentials, missing columns: classed errors naming the table", {
  s <- pg_server()
  con <- pg_connect()
  d <- scale_sim_data(40, 4, seed = 33)
  d$AVISIT <- as.character(d$AVISIT)
  DBI::dbWriteTable(con, "adlb_bad", d[setdiff(names(d), "BASE")], row.names = FALSE, overwrite = TRUE)
  opener <- function(...) {
    args <- utils::modifyList(s, list(...))
    function() do.call(DBI::dbConnect, c(list(RPostgreSQL::PostgreSQL()), args))
  }
  # credentials refused
  expect_error(mmrm_data_dbi(opener(password = "wrong"), "adlb_bad"),
               class = "glycotrial_error_authentication", regexp = "adlb_bad")
  # nothing listens on port 1
  expect_error(mmrm_data_dbi(opener(port = 1L), "adlb_bad"),
               class = "glycotrial_error_unreachable", regexp = "adlb_bad")
  # a table without the needed columns
  src <- mmrm_data_dbi(opener(), "adlb_bad")
  expect_error(mmrm_fit(scale_formula, data = src),
               class = "glycotrial_error_missing_column", regexp = "adlb_bad.*BASE|BASE.*adlb_bad")
  # no such table
  expect_error(mmrm_data_dbi(con, DBI::Id(schema = "nope", table = "adlb")),
               class = "glycotrial_error_missing_table", regexp = "nope.adlb")
  # a level outside the given levels names the table and the column
  expect_error(mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID),
                        data = mmrm_data_dbi(con, "adlb_bad", levels = list(AVISIT = c("W4", "W8")))),
               class = "glycotrial_error_chunk", regexp = "adlb_bad")
  # the connections opened by the sources were closed
  n_conn <- DBI::dbGetQuery(con, "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database()")$n
  expect_equal(as.numeric(n_conn), 1)
})
