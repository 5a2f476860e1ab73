# The connection side of the database route (mmrm_data_dbi()): opening a
# connection from a function (and closing it after the pass), listing a
# table's columns portably, and turning the back end's errors into classed
# ones that name the table: server unreachable, credentials refused, a query
# that failed. The route only reads (SELECT with common table expressions):
# it creates no table, temporary or not, so a failure leaves nothing behind.

# The table as people write it: schema.table for a DBI::Id().
sources_dbi_label <- function(table) {
  if (methods::is(table, "Id")) paste(unname(table@name), collapse = ".") else as.character(table)
}

# Kind of a back-end error from its message (DBI has no error classes):
# "authentication", "unreachable" or "database".
sources_dbi_kind <- function(e) {
  msg <- conditionMessage(e)
  auth <- paste("password authentication failed", "authentication failed", "access denied",
                "invalid password", "no password supplied", "role \"[^\"]*\" does not exist",
                "pg_hba.conf", sep = "|")
  down <- paste("could not connect", "connection refused", "could not translate host",
                "timeout expired", "timed out", "no route to host", "server closed the connection",
                "terminating connection", "could not receive data", "no connection to the server",
                "is the server running", "connection to server", "connection is closed",
                "invalid connection", sep = "|")
  if (grepl(auth, msg, ignore.case = TRUE)) "authentication"
  else if (grepl(down, msg, ignore.case = TRUE)) "unreachable"
  else "database"
}

# A back-end error as a classed glycotrial error naming the table.
sources_dbi_abort <- function(e, label, connecting = FALSE) {
  kind <- sources_dbi_kind(e)
  msg <- gsub("[{}]", "", conditionMessage(e))
  cls <- switch(kind,
                authentication = c("glycotrial_error_authentication", "glycotrial_error_connection"),
                unreachable = c("glycotrial_error_unreachable", "glycotrial_error_connection"),
                database = "glycotrial_error_database")
  what <- switch(kind,
                 authentication = "the database refused the credentials",
                 unreachable = "the database server cannot be reached",
                 database = if (connecting) "opening the connection failed" else "a query failed")
  glycotrial_abort(c("Database table {.val {label}}: {what}.",
                     "x" = "{msg}",
                     "i" = "Nothing was fitted; the database route only reads (it creates no tables)."),
                   class = c("input", cls), call = NULL, parent = e)
}

# Runs .fun(con, ...) on the source's connection: an open DBI connection, or
# one opened by the source's function and closed afterwards whatever happens.
# Errors of the back end become classed errors naming the table.
sources_dbi_with <- function(.src, .fun, ...) {
  label <- sources_dbi_label(.src$table)
  con <- .src$con
  if (is.function(con)) {
    con <- tryCatch(con(), error = function(e) sources_dbi_abort(e, label, connecting = TRUE))
    if (!methods::is(con, "DBIConnection")) {
      glycotrial_abort("The function {.arg con} of the source for table {.val {label}} must return a DBI connection, not {describe_value(con)}.",
                       call = NULL)
    }
    on.exit(try(DBI::dbDisconnect(con), silent = TRUE), add = TRUE)
  }
  tryCatch(.fun(con, ...), error = function(e) {
    if (inherits(e, "glycotrial_error")) stop(e)
    sources_dbi_abort(e, label)
  })
}

# Column names of a table or view (NULL when there is none): a query that
# returns no rows, the same in every SQL dialect and for any quoted name
# (dbListFields() and dbExistsTable() differ between back ends for DBI::Id()s
# and names with quotes). Connection failures are not "no table".
sources_dbi_fields <- function(con, table) {
  tbl <- as.character(DBI::dbQuoteIdentifier(con, table))
  tryCatch(names(suppressWarnings(DBI::dbGetQuery(con, paste("SELECT * FROM", tbl, "WHERE 1 = 0")))),
           error = function(e) {
             if (sources_dbi_kind(e) != "database") stop(e)
             NULL
           })
}
