# A real PostgreSQL server for test-postgres.R, started once per test run by
# tools/postgres.sh (initdb in a temporary directory, a free local port) and
# stopped when the run ends. GLYCOTRIAL_PG_ENV may name the env file of a
# server that is already running (tools/postgres.sh start DIR writes DIR/env);
# it is then left running.

pg_state <- new.env()

pg_script <- function() {
  for (f in c("../../tools/postgres.sh", file.path(Sys.getenv("GLYCOTRIAL_SRC", "."), "tools/postgres.sh"))) {
    if (file.exists(f)) return(normalizePath(f))
  }
  NULL
}

# Connection settings of the test server (a list), or a skip with the reason.
pg_server <- function() {
  if (!is.null(pg_state$settings)) return(pg_state$settings)
  if (!is.null(pg_state$failed)) testthat::skip(pg_state$failed)
  fail <- function(msg) {
    pg_state$failed <- msg
    testthat::skip(msg)
  }
  if (!requireNamespace("RPostgreSQL", quietly = TRUE)) {
    fail("PostgreSQL tests: R package RPostgreSQL is not installed (Debian r-cran-rpostgresql)")
  }
  env_file <- Sys.getenv("GLYCOTRIAL_PG_ENV")
  if (!nzchar(env_file)) {
    script <- pg_script()
    if (is.null(script)) fail("PostgreSQL tests: tools/postgres.sh not found (not run from the source tree)")
    # not under tempdir(): R makes it private (0700) and the server runs as
    # the postgres user when the tests run as root
    dir <- tempfile("glycotrial-pg-", tmpdir = if (dir.exists("/tmp")) "/tmp" else tempdir())
    out <- suppressWarnings(system2("bash", c(script, "start", dir), stdout = TRUE, stderr = TRUE))
    if (!is.null(attr(out, "status"))) {
      fail(paste("PostgreSQL tests: tools/postgres.sh could not start a server:",
                 paste(utils::tail(out, 3), collapse = " / ")))
    }
    env_file <- file.path(dir, "env")
    withr::defer(system2("bash", c(script, "stop", dir), stdout = FALSE, stderr = FALSE),
                 envir = testthat::teardown_env())
  }
  kv <- readLines(env_file)
  kv <- stats::setNames(sub("^[^=]*=", "", kv), sub("=.*$", "", kv))
  pg_state$settings <- list(host = kv[["PGHOST"]], port = as.integer(kv[["PGPORT"]]),
                            user = kv[["PGUSER"]], password = kv[["PGPASSWORD"]],
                            dbname = kv[["PGDATABASE"]])
  pg_state$settings
}

# A connection to the test server (closed when the calling test ends).
pg_connect <- function(..., .local_envir = parent.frame()) {
  s <- utils::modifyList(pg_server(), list(...))
  con <- do.call(DBI::dbConnect, c(list(RPostgreSQL::PostgreSQL()), s))
  withr::defer(DBI::dbDisconnect(con), envir = .local_envir)
  con
}
