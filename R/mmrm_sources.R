# Data sources for mmrm_fit()'s moment route: a database table (the data pass
# is one aggregate SQL query), CSV files read chunk by chunk, and lists of
# data frames or functions returning chunks. Each source fixes the variable
# types and factor levels first (given `levels`, else a first pass), then
# produces pattern moments; chunk passes map with future, so the
# user's future::plan() decides where they run. Only moment matrices travel.

#' Data sources for fitting MMRMs on large, chunked or remote data
#'
#' Wrap data that do not fit (or should not be loaded) into one data frame so
#' that [mmrm_fit()] can fit it from per-visit-pattern moments: the data pass
#' accumulates, per subject group and visit pattern, the sums of products of
#' the design and the response; the fit then needs only these matrices.
#' Estimates agree with the in-memory fit to floating-point summation order
#' (tested to 1e-10 relative). Per-subject quantities (residuals, fitted
#' values, sandwich covariances, between-within degrees of freedom) are not
#' available from such fits (a classed error, `glycotrial_error_moments_only`,
#' says so); `predict(fit, newdata = d)` gives fitted values for data at hand,
#' and `anova()`, [least_squares_means()] and emmeans work from the moments.
#'
#' * `mmrm_data_dbi(con, table)`: a table (or view) of a DBI connection. The
#'   data pass is one aggregate SQL query (self-join per subject, `GROUP BY`
#'   visit pattern, `SUM` of products) that runs in the database; raw rows
#'   never come into R. Tested with PostgreSQL (a real server, RPostgreSQL)
#'   and SQLite (RSQLite); duckdb and other DBI back ends use the same
#'   portable SQL. Identifiers are quoted with [DBI::dbQuoteIdentifier()]
#'   (names with quotes or semicolons, schema-qualified [DBI::Id()]s); the
#'   route only reads (no tables, temporary or not, are created). Back-end
#'   errors become classed errors naming the table: server unreachable
#'   (`glycotrial_error_unreachable`), credentials refused
#'   (`glycotrial_error_authentication`; both also
#'   `glycotrial_error_connection`), a failing query
#'   (`glycotrial_error_database`), missing columns
#'   (`glycotrial_error_missing_column`). Wide
#'   designs are split over several queries of at most
#'   `getOption("glycotrial.sql_max_columns", 1000)` sums each (SQLite
#'   returns at most 2000 columns). Observation weights need `SQRT` and `LN`
#'   (or `LOG`) in the database; for SQLite they are loaded with
#'   `RSQLite::initExtension(con, "math")` when missing.
#' * `mmrm_data_csv(files)`: CSV files, each read in chunks of `chunk_rows`
#'   rows; each file is one task for the workers. Rows of a subject must be
#'   contiguous within a file and a subject may not appear in two files.
#' * `mmrm_data_parquet(files)`: Parquet files, read with the small
#'   dependency-free package nanoparquet (arrow is not needed). Each file is
#'   one chunk and one task for the workers, read whole (nanoparquet has no
#'   row-group reader) but only the columns the formula uses, so memory is
#'   bounded by the largest file: split big data into several files (e.g.
#'   by subject range). A subject may not appear in two files.
#'   Write such files with `nanoparquet::write_parquet()` (or arrow, Spark,
#'   duckdb, pandas, ...). arrow Datasets: read record batches with arrow and
#'   use `mmrm_data_chunks()` with a function.
#' * `mmrm_data_chunks(x)`: a list of data frames (each a task for the
#'   workers), or a function `x(i)` returning chunk `i` (`NULL` after the
#'   last; called in this R session, twice per chunk when levels must be
#'   found). Each subject's rows must all be in one chunk.
#'
#' Factor levels and column types are fixed before the data pass: from
#' `levels` (a named list, e.g. `list(AVISIT = paste("Week", c(4, 12, 24)))`;
#' recommended for the visit variable, whose level order sets the visit
#' order) or else from a first pass over the data (sorted distinct values).
#' A chunk whose columns have other types or unknown levels is an error
#' naming the chunk (class `glycotrial_error_chunk`).
#'
#' Chunk passes run as one [future::future()] per chunk when future is
#' installed (at most as many in flight as the plan has workers):
#' `future::plan(multisession, workers = 4)` spreads them over local
#' processes, `future.batchtools` over a cluster; results are summed in
#' chunk order, so the number of workers does not change them. Progress is
#' reported through progressr (`progressr::with_progress(mmrm_fit(...))`).
#' Ctrl-C interrupts a fit and nothing half-fitted is returned: the threaded
#' C++ data pass checks for it between blocks of 4096 subjects (on the R
#' thread, after its worker threads stop); chunk and query loops are R loops
#' (interruptible between chunks and SQL queries; inside one SQL query it is
#' up to the DBI back end, RSQLite answers after the query); with future
#' workers, the chunks already running are waited for (at most one per
#' worker), so no worker is left busy.
#'
#' Data far from zero (e.g. a response offset by 1e6) keep full accuracy:
#' numeric covariates are centred where that is an exact reparametrisation
#' (intercept and marginal columns in the model) and a pilot least-squares
#' fit from a sample of rows (up to `getOption("glycotrial.moments_pilot_rows",
#' 20000)`: spread over a data frame, the first chunk, the first rows of the
#' first CSV file, the first rows of the table) is subtracted from the
#' response before products are summed (in SQL inside the query); estimates
#' and covariances are mapped back.
#' Large data frames (at least `getOption("glycotrial.mmrm_moment_rows",
#' 250000)` rows) take the same route automatically, with the data pass
#' threaded in C++ (`getOption("glycotrial.threads", 2)` threads), when
#' their visit patterns make it worth it: each pattern of m visits costs a
#' matrix of (m (p + 1))^2 numbers, so with many visits and scattered missing
#' values (nearly a pattern per subject) such a data frame takes the row route
#' instead (whose engine keeps patterns with few subjects as rows).
#'
#' Memory: the pattern matrices of a data source may use at most
#' `getOption("glycotrial.moment_memory_limit", 2 * 1024^3)` bytes; beyond
#' that the fit stops with an error of class `glycotrial_error_resources`
#' that says so (the database route checks this with a small query before
#' any pass over the data); read such data into a data frame and fit that.
#' Numeric columns of a database table must hold numbers (text that is not a
#' number is an error of class `glycotrial_error_column_type`, not read as
#' 0); a closed connection is an error of class `glycotrial_error_connection`;
#' the database route supports up to 53 visits.
#'
#' @section fit_lmm():
#' [fit_lmm()] accepts these sources too when the random-effect design of a
#' row depends only on its visit, so that a subject's marginal covariance is
#' the submatrix at its visits of one matrix `Z G Z' + R`: one grouping
#' factor, random intercept and/or slopes in one numeric variable with at most
#' one row per subject and value (e.g. `(1 + WEEK | USUBJID)`, `(1 + WEEK ||
#' USUBJID)`), optionally a (non-spatial) residual structure over that same
#' variable; or a residual structure over a visit factor with a random
#' intercept and/or slopes in one numeric variable that is constant within
#' each visit (`(1 + WEEK | USUBJID) + ar1(AVISIT | USUBJID)`, checked from
#' the distinct visit-value pairs of the rows with a response, found in the
#' first pass or by a `SELECT DISTINCT` in the database). The fit runs on the
#' pattern moments (the covariance and its derivatives are handed to the MMRM
#' engine as a structured covariance) and agrees with the in-memory
#' [fit_lmm()] (beta, variance components, log-likelihood; tested to 1e-8
#' relative, vcov to 1e-6). Its result (class `glycotrial_lmm_moments`) has
#' `fixef()`, `coef()`, `vcov()`, `VarCorr()`, `logLik()`, `nobs()`,
#' `deviance()`, `print()`, and fixed-effect inference with Satterthwaite df:
#' `summary()` (coefficient table), `anova()` (F tests), `confint()` (t
#' intervals) and emmeans (tested against the in-memory fit and lmerTest);
#' conditional modes, fitted values, residuals,
#' predictions and simulation need the rows and give the classed error
#' `glycotrial_error_moments_only`. Other designs (slopes in several
#' variables, a slope variable that varies within a visit, several grouping
#' factors, a random intercept alone without a residual structure, spatial
#' residual structures, observation weights) give an error of class
#' `glycotrial_error_moment_route`. Kenward-Roger df are not provided for
#' such fits; `vcov()` is the asymptotic covariance.
#'
#' @param con A DBI connection, or a function of no arguments that opens one
#'   (e.g. `function() DBI::dbConnect(RPostgreSQL::PostgreSQL(), host = ...)`):
#'   called when the source is made and for each fit, and the connection is
#'   closed afterwards whatever happens, so that connection failures (server
#'   unreachable, credentials refused) surface as classed errors.
#' @param table Name of the table or view (character, or a [DBI::Id()]).
#' @param files Paths of CSV files with a header row (`mmrm_data_csv()`), or
#'   of Parquet files (`mmrm_data_parquet()`).
#' @param chunk_rows Rows read per chunk.
#' @param x A list of data frames, or a function of the chunk index.
#' @param levels Optional named list of factor levels (see Details).
#' @param ... Further arguments to [utils::read.csv()].
#' @return An object of class `glycotrial_mmrm_source` to pass as `data` to
#'   [mmrm_fit()].
#' @examples
#' set.seed(1)
#' d <- expand.grid(AVISIT = factor(c("W4", "W8", "W12"), levels = c("W4", "W8", "W12")),
#'                  USUBJID = sprintf("S%03d", 1:60))
#' d$ARM <- ifelse(as.integer(factor(d$USUBJID)) %% 2 == 0, "Drug", "Placebo")
#' d$CHG <- rnorm(nrow(d)) + 0.5 * (d$ARM == "Drug")
#' chunks <- split(d, rep(1:3, each = 60))
#' fit <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID),
#'                 data = mmrm_data_chunks(chunks, levels = list(AVISIT = levels(d$AVISIT))))
#' coef(fit)
#' if (requireNamespace("RSQLite", quietly = TRUE)) {
#'   con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
#'   DBI::dbWriteTable(con, "adlb", transform(d, AVISIT = as.character(AVISIT)))
#'   fit2 <- mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID),
#'                    data = mmrm_data_dbi(con, "adlb",
#'                                         levels = list(AVISIT = levels(d$AVISIT))))
#'   print(all.equal(coef(fit), coef(fit2)))
#'   DBI::dbDisconnect(con)
#' }
#' @export
mmrm_data_dbi <- function(con, table, levels = NULL) {
  if (!requireNamespace("DBI", quietly = TRUE)) {
    glycotrial_abort("{.fun mmrm_data_dbi} needs the {.pkg DBI} package.")
  }
  if (!methods::is(con, "DBIConnection") && !is.function(con)) {
    glycotrial_abort("{.arg con} must be a DBI connection or a function that opens one, not {describe_value(con)}.")
  }
  if (!(is.character(table) && length(table) == 1 && !is.na(table) && nzchar(table)) &&
      !methods::is(table, "Id")) {
    glycotrial_abort("{.arg table} must be a table name, not {describe_value(table)}.")
  }
  sources_check_levels(levels)
  src <- structure(list(con = con, table = table, levels = levels),
                   class = c("glycotrial_mmrm_source_dbi", "glycotrial_mmrm_source"))
  sources_dbi_with(src, function(con) {
    sources_check_connection(con)
    if (is.null(sources_dbi_fields(con, table))) {
      glycotrial_abort("{.arg table}: the connection has no table {.val {sources_dbi_label(table)}}.",
                       class = c("input", "glycotrial_error_missing_table"))
    }
  })
  src
}

#' @rdname mmrm_data_dbi
#' @export
mmrm_data_csv <- function(files, chunk_rows = 100000L, levels = NULL, ...) {
  if (!is.character(files) || !length(files)) {
    glycotrial_abort("{.arg files} must be paths of CSV files, not {describe_value(files)}.")
  }
  missing_files <- files[!file.exists(files)]
  if (length(missing_files)) {
    glycotrial_abort("{.arg files}: file{?s} {.file {missing_files}} do{?es/} not exist.")
  }
  check_count(chunk_rows, lower = 1, len = 1)
  sources_check_levels(levels)
  structure(list(files = files, chunk_rows = as.integer(chunk_rows), levels = levels,
                 read_args = list(...)),
            class = c("glycotrial_mmrm_source_csv", "glycotrial_mmrm_source"))
}

#' @rdname mmrm_data_dbi
#' @export
mmrm_data_parquet <- function(files, levels = NULL) {
  if (!is.character(files) || !length(files)) {
    glycotrial_abort("{.arg files} must be paths of Parquet files, not {describe_value(files)}.")
  }
  missing_files <- files[!file.exists(files)]
  if (length(missing_files)) {
    glycotrial_abort("{.arg files}: file{?s} {.file {missing_files}} do{?es/} not exist.")
  }
  sources_check_levels(levels)
  if (!requireNamespace("nanoparquet", quietly = TRUE)) {
    glycotrial_abort("{.fun mmrm_data_parquet} needs the {.pkg nanoparquet} package; install it with {.code install.packages(\"nanoparquet\")}.")
  }
  structure(list(files = files, levels = levels),
            class = c("glycotrial_mmrm_source_parquet", "glycotrial_mmrm_source"))
}

#' @rdname mmrm_data_dbi
#' @export
mmrm_data_chunks <- function(x, levels = NULL) {
  if (!(is.list(x) && !is.data.frame(x) && length(x)) && !is.function(x)) {
    glycotrial_abort("{.arg x} must be a non-empty list of data frames or a function returning chunks, not {describe_value(x)}.")
  }
  sources_check_levels(levels)
  structure(list(x = x, levels = levels),
            class = c("glycotrial_mmrm_source_chunks", "glycotrial_mmrm_source"))
}

#' @export
print.glycotrial_mmrm_source <- function(x, ...) {
  what <- switch(class(x)[1],
    glycotrial_mmrm_source_dbi = paste("database table", sources_dbi_label(x$table)),
    glycotrial_mmrm_source_csv = sprintf("%d CSV file(s), %d rows per chunk", length(x$files), x$chunk_rows),
    glycotrial_mmrm_source_parquet = sprintf("%d Parquet file(s)", length(x$files)),
    glycotrial_mmrm_source_chunks = if (is.function(x$x)) "chunks from a function" else sprintf("%d chunk(s)", length(x$x)),
    glycotrial_mmrm_source_frame = sprintf("data frame, %d rows", nrow(x$data)))
  cat("<glycotrial_mmrm_source>", what, "\n")
  invisible(x)
}

# A closed (or otherwise invalid) DBI connection: a classed error, not the
# back end's own.
sources_check_connection <- function(con) {
  # (back ends without a dbIsValid() method, e.g. RPostgreSQL, are let
  # through: a dead connection then fails its first query, also classed)
  ok <- tryCatch(isTRUE(DBI::dbIsValid(con)), error = function(e) NA)
  if (isFALSE(ok)) {
    glycotrial_abort(c("The database connection {.arg con} is closed or invalid.",
                       "i" = "Open it again with {.fun DBI::dbConnect} and build the source with {.fun mmrm_data_dbi}."),
                     class = c("input", "glycotrial_error_connection"), call = NULL)
  }
  invisible(TRUE)
}

sources_check_levels <- function(levels) {
  if (!is.null(levels) && (!is.list(levels) || is.null(names(levels)) || any(!nzchar(names(levels))))) {
    glycotrial_abort("{.arg levels} must be a named list of factor levels, not {describe_value(levels)}.",
                     call = NULL)
  }
}

mmrm_data_frame_source <- function(data) {
  structure(list(data = data), class = c("glycotrial_mmrm_source_frame", "glycotrial_mmrm_source"))
}

# ---- mapping over chunks -----------------------------------------------------------

# Test hook (tests only): getOption("glycotrial.scale_test_chunk_hook") is
# called as hook(stage, i) in this R session before chunk / query i, so that
# tests can inject an interrupt at a known point.
sources_test_hook <- function(stage, i) {
  h <- getOption("glycotrial.scale_test_chunk_hook")
  if (is.function(h)) h(stage, i)
  invisible(NULL)
}

sources_check_straddle <- function(ids, labels) {
  all_ids <- unlist(ids, use.names = FALSE)
  dup <- anyDuplicated(all_ids)
  if (dup) {
    id <- all_ids[dup]
    where <- labels[vapply(ids, function(x) id %in% x, logical(1))]
    glycotrial_abort(c("Subject {.val {id}} has rows in more than one chunk ({where}).",
                       "i" = "Each subject's rows must all be in one chunk (sort the data by subject)."),
                     class = c("input", "glycotrial_error_chunk"), call = NULL)
  }
}

# ---- the data pass per source ---------------------------------------------------

mmrm_data_pass <- function(src, roles) UseMethod("mmrm_data_pass")

sources_need_cols <- function(roles) {
  unique(c(roles$response, roles$fixed, roles$visit, roles$subject, roles$group, roles$weights,
           roles$visit_value))
}

sources_check_cols <- function(have, roles, what) {
  miss <- setdiff(sources_need_cols(roles), have)
  if (length(miss)) {
    glycotrial_abort("{what} lack{?s/} column{?s} {.field {miss}} needed by {.arg formula}.",
                     class = c("input", "glycotrial_error_missing_column"), call = NULL)
  }
}

#' @export
mmrm_data_pass.glycotrial_mmrm_source_frame <- function(src, roles) {
  df <- src$data
  sources_check_cols(names(df), roles, "`data`")
  schema <- moments_schema(df, roles)
  enc <- moments_pilot(moments_encoding(NULL, roles, schema), moments_pilot_sample(df))
  mom <- moments_chunk(df, enc, threads = moments_threads())
  list(moments = moments_merge(list(mom)), encoding = enc)
}

sources_first_pass <- function(chunks_schema, roles, labels, levels) {
  schema <- NULL
  for (i in seq_along(chunks_schema)) {
    s <- chunks_schema[[i]]
    if (!is.null(schema)) {
      for (v in names(schema)) {
        if (!identical(schema[[v]]$type, s[[v]]$type) && !(v %in% names(levels))) {
          glycotrial_abort("{labels[i]}: column {.field {v}} is {s[[v]]$type} but {schema[[v]]$type} in earlier chunks.",
                           class = c("input", "glycotrial_error_chunk"), call = NULL)
        }
      }
    }
    schema <- moments_schema_merge(schema, s)
  }
  for (v in names(levels)) if (!is.null(schema[[v]])) schema[[v]]$levels <- as.character(levels[[v]])
  schema
}

sources_chunk_schema <- function(df, roles, levels, label) {
  if (!is.data.frame(df)) {
    glycotrial_abort("{label}: expected a data frame, found {describe_value(df)}.",
                     class = c("input", "glycotrial_error_chunk"), call = NULL)
  }
  miss <- setdiff(sources_need_cols(roles), names(df))
  if (length(miss)) {
    glycotrial_abort("{label}: column{?s} {.field {miss}} missing.",
                     class = c("input", "glycotrial_error_chunk", "glycotrial_error_missing_column"),
                     call = NULL)
  }
  s <- moments_schema(df, roles, levels)
  # an all-missing column says nothing about its type
  for (v in names(s)) if (all(is.na(df[[v]])) && is.logical(df[[v]])) s[[v]]$type <- NA
  s
}

sources_fix_na_types <- function(schema) {
  for (v in names(schema)) if (is.na(schema[[v]]$type)) schema[[v]]$type <- "numeric"
  schema
}

#' @export
mmrm_data_pass.glycotrial_mmrm_source_chunks <- function(src, roles) {
  if (is.function(src$x)) {
    get_chunk <- src$x
    chunks <- NULL
  } else {
    chunks <- src$x
  }
  labels <- function(n) sprintf("chunk %d", seq_len(n))
  if (!is.null(chunks)) {
    lab <- labels(length(chunks))
    sch <- Map(sources_chunk_schema, chunks, list(roles), list(src$levels), lab)
    schema <- sources_fix_na_types(sources_first_pass_na(sch, roles, lab, src$levels))
    enc <- moments_pilot(moments_encoding(NULL, roles, schema), moments_pilot_sample(chunks[[1]]))
    res <- future_map(chunks, function(ch, i, enc) {
      list(moments = moments_chunk(ch, enc, threads = 1L, label = sprintf("chunk %d", i)),
           subjects = moments_chunk_subjects(ch, enc))
    }, enc = enc)
  } else {
    sch <- list()
    i <- 1L
    first <- NULL
    repeat {
      ch <- get_chunk(i)
      if (is.null(ch)) break
      if (i == 1L) first <- ch
      sch[[i]] <- sources_chunk_schema(ch, roles, src$levels, sprintf("chunk %d", i))
      i <- i + 1L
    }
    if (!length(sch)) glycotrial_abort("{.arg x} returned no chunks.", call = NULL)
    lab <- labels(length(sch))
    schema <- sources_fix_na_types(sources_first_pass_na(sch, roles, lab, src$levels))
    enc <- moments_pilot(moments_encoding(NULL, roles, schema), moments_pilot_sample(first))
    rm(first)
    res <- vector("list", length(sch))
    for (i in seq_along(sch)) {
      sources_test_hook("chunk", i)
      ch <- get_chunk(i)
      res[[i]] <- list(moments = moments_chunk(ch, enc, threads = moments_threads(),
                                                     label = sprintf("chunk %d", i)),
                       subjects = moments_chunk_subjects(ch, enc))
    }
  }
  sources_check_straddle(lapply(res, `[[`, "subjects"), lab)
  list(moments = moments_merge(lapply(res, `[[`, "moments")), encoding = enc)
}

# First pass tolerant of all-missing columns (type NA).
sources_first_pass_na <- function(sch, roles, labels, levels) {
  ref <- NULL
  for (i in seq_along(sch)) {
    for (v in names(sch[[i]])) {
      t <- sch[[i]][[v]]$type
      if (is.na(t)) next
      if (is.null(ref[[v]])) {
        ref[[v]] <- t
      } else if (!identical(ref[[v]], t) && !(v %in% names(levels))) {
        glycotrial_abort("{labels[i]}: column {.field {v}} is {t} but {ref[[v]]} in earlier chunks.",
                         class = c("input", "glycotrial_error_chunk"), call = NULL)
      }
    }
  }
  for (i in seq_along(sch)) for (v in names(sch[[i]])) {
    if (is.na(sch[[i]][[v]]$type) && !is.null(ref[[v]])) {
      sch[[i]][[v]]$type <- ref[[v]]
      if (ref[[v]] == "factor") sch[[i]][[v]]$levels <- character()
    }
  }
  sources_first_pass(sch, roles, labels, levels)
}

# read.csv() with the column types decided the same way in every chunk:
# read.csv's own guess turns a chunk whose text column holds only "F" or "T"
# (e.g. SEX) into a logical column, which then disagrees with the other
# chunks. Columns are read as text and become numeric when every non-missing
# value is a number, all-missing columns logical NA (type unknown), others
# character. User-given colClasses are respected.
sources_read_csv <- function(args) {
  if (!is.null(args$colClasses)) {
    return(do.call(utils::read.csv, c(args, list(stringsAsFactors = FALSE))))
  }
  df <- do.call(utils::read.csv, c(args, list(colClasses = "character")))
  for (v in names(df)) {
    x <- df[[v]]
    blank <- is.na(x) | !nzchar(trimws(x))
    if (all(blank)) {
      df[[v]] <- rep(NA, length(x))
      next
    }
    num <- suppressWarnings(as.numeric(x[!blank]))
    if (!anyNA(num)) {
      y <- rep(NA_real_, length(x))
      y[!blank] <- num
      df[[v]] <- y
    }
  }
  df
}

# Reads a CSV file in chunks, keeping each subject's rows together (the last
# subject of a chunk moves to the next one), and applies FUN to each chunk.
sources_csv_apply <- function(file, chunk_rows, subject, read_args, FUN) {
  con <- file(file, "r")
  on.exit(close(con), add = TRUE)
  header <- utils::read.csv(con, nrows = 1, header = FALSE, stringsAsFactors = FALSE,
                            colClasses = "character")
  cols <- as.character(unlist(header[1, ]))
  carry <- NULL
  out <- list()
  j <- 0L
  repeat {
    ch <- tryCatch(sources_read_csv(c(list(con, nrows = chunk_rows, header = FALSE, col.names = cols),
                                    read_args)),
                   error = function(e) NULL)
    last <- is.null(ch) || nrow(ch) < chunk_rows
    if (!is.null(carry)) ch <- if (is.null(ch)) carry else sources_rbind(carry, ch)
    if (is.null(ch) || !nrow(ch)) break
    if (!last) {
      s <- as.character(ch[[subject]])
      s[is.na(s)] <- "\001NA"
      r <- rle(s)
      n_tail <- r$lengths[length(r$lengths)]
      if (n_tail == nrow(ch)) {
        carry <- ch
        next
      }
      tail_rows <- seq.int(nrow(ch) - n_tail + 1L, nrow(ch))
      carry <- ch[tail_rows, , drop = FALSE]
      ch <- ch[-tail_rows, , drop = FALSE]
    } else {
      carry <- NULL
    }
    j <- j + 1L
    out[[j]] <- FUN(ch, j)
    if (last && is.null(carry)) break
  }
  out
}

sources_rbind <- function(a, b) {
  for (v in names(a)) {
    if (!identical(class(a[[v]]), class(b[[v]]))) {
      if (is.logical(a[[v]]) && all(is.na(a[[v]]))) a[[v]] <- b[[v]][NA_integer_][seq_len(nrow(a))]
      else if (is.logical(b[[v]]) && all(is.na(b[[v]]))) b[[v]] <- a[[v]][NA_integer_][seq_len(nrow(b))]
      else if (is.numeric(a[[v]]) && is.numeric(b[[v]])) {
        a[[v]] <- as.double(a[[v]])
        b[[v]] <- as.double(b[[v]])
      } else {
        a[[v]] <- as.character(a[[v]])
        b[[v]] <- as.character(b[[v]])
      }
    }
  }
  rbind(a, b)
}

#' @export
mmrm_data_pass.glycotrial_mmrm_source_csv <- function(src, roles) {
  files <- src$files
  lab <- sprintf("file %s", basename(files))
  levels <- src$levels
  # runs in the workers: the files need only be readable there
  schema_of_file <- function(file, i, roles, levels, chunk_rows, read_args) {
    hdr <- names(utils::read.csv(file, nrows = 1))
    sources_check_cols(hdr, roles, paste0("CSV file ", basename(file)))
    sch <- sources_csv_apply(file, chunk_rows, roles$subject, read_args, function(ch, j) {
      sources_chunk_schema(ch, roles, levels, sprintf("file %s, chunk %d", basename(file), j))
    })
    sch
  }
  sch <- future_map(files, schema_of_file, roles = roles, levels = levels,
                   chunk_rows = src$chunk_rows, read_args = src$read_args)
  flat <- unlist(sch, recursive = FALSE)
  flab <- unlist(Map(function(f, s) sprintf("file %s, chunk %d", basename(f), seq_along(s)), files, sch))
  schema <- sources_fix_na_types(sources_first_pass_na(flat, roles, flab, levels))
  # the pilot sample: the first rows of the first file
  pilot <- tryCatch(sources_read_csv(c(list(files[1], nrows = moments_pilot_rows()), src$read_args)),
                    error = function(e) NULL)
  enc <- moments_pilot(moments_encoding(NULL, roles, schema), pilot)
  moments_of_file <- function(file, i, enc, chunk_rows, read_args) {
    parts <- sources_csv_apply(file, chunk_rows, enc$subject, read_args, function(ch, j) {
      list(moments = moments_chunk(ch, enc, threads = 1L,
                                         label = sprintf("file %s, chunk %d", basename(file), j)),
           subjects = moments_chunk_subjects(ch, enc))
    })
    list(moments = moments_merge(lapply(parts, `[[`, "moments")),
         subjects = lapply(parts, `[[`, "subjects"))
  }
  res <- future_map(files, moments_of_file, enc = enc, chunk_rows = src$chunk_rows,
                   read_args = src$read_args)
  ids <- unlist(lapply(res, `[[`, "subjects"), recursive = FALSE)
  sources_check_straddle(ids, flab[seq_along(ids)])
  list(moments = moments_merge(lapply(res, `[[`, "moments")), encoding = enc)
}

# ---- Parquet files (nanoparquet) ----------------------------------------------------

# Reads the columns `cols` of a Parquet file (nanoparquet reads a whole file
# at once: each file is one chunk) and applies FUN(chunk, 1).
sources_parquet_apply <- function(file, cols, subject, FUN) {
  df <- as.data.frame(nanoparquet::read_parquet(file, col_select = cols), stringsAsFactors = FALSE)
  # Parquet strings read as character; dictionary columns may come as factors
  for (v in names(df)) if (is.factor(df[[v]])) df[[v]] <- as.character(df[[v]])
  if (!nrow(df)) return(list())
  list(FUN(df, 1L))
}

# Column names of a Parquet file (its leaf columns).
sources_parquet_columns <- function(file) {
  sch <- nanoparquet::read_parquet_schema(file)
  nm <- sch$name
  if (!is.null(sch$num_children)) nm <- nm[is.na(sch$num_children) | sch$num_children == 0]
  nm
}

#' @export
mmrm_data_pass.glycotrial_mmrm_source_parquet <- function(src, roles) {
  files <- src$files
  levels <- src$levels
  cols <- sources_need_cols(roles)
  chunk_label <- function(file, j) sprintf("file %s", basename(file))
  # runs in the workers: the files need only be readable there
  schema_of_file <- function(file, i, roles, levels, cols) {
    have <- sources_parquet_columns(file)
    sources_check_cols(have, roles, paste0("Parquet file ", basename(file)))
    sources_parquet_apply(file, cols, roles$subject, function(ch, j) {
      sources_chunk_schema(ch, roles, levels, sprintf("file %s", basename(file)))
    })
  }
  sch <- future_map(files, schema_of_file, roles = roles, levels = levels, cols = cols)
  flat <- unlist(sch, recursive = FALSE)
  flab <- unlist(Map(function(f, s) chunk_label(f, seq_along(s)), files, sch))
  if (!length(flat)) glycotrial_abort("{.arg files}: the Parquet files have no rows.", call = NULL)
  schema <- sources_fix_na_types(sources_first_pass_na(flat, roles, flab, levels))
  # the pilot sample: the first rows of the first file
  pilot <- tryCatch({
    p1 <- sources_parquet_apply(files[1], cols, roles$subject, function(ch, j) ch)[[1]]
    p1[seq_len(min(nrow(p1), moments_pilot_rows())), , drop = FALSE]
  }, error = function(e) NULL)
  enc <- moments_pilot(moments_encoding(NULL, roles, schema), pilot)
  moments_of_file <- function(file, i, enc, cols) {
    parts <- sources_parquet_apply(file, cols, enc$subject, function(ch, j) {
      list(moments = moments_chunk(ch, enc, threads = 1L,
                                         label = sprintf("file %s", basename(file))),
           subjects = moments_chunk_subjects(ch, enc))
    })
    list(moments = moments_merge(lapply(parts, `[[`, "moments")),
         subjects = lapply(parts, `[[`, "subjects"))
  }
  res <- future_map(files, moments_of_file, enc = enc, cols = cols)
  ids <- unlist(lapply(res, `[[`, "subjects"), recursive = FALSE)
  sources_check_straddle(ids, flab[seq_along(ids)])
  list(moments = moments_merge(lapply(res, `[[`, "moments")), encoding = enc)
}

# ---- the database route -----------------------------------------------------------

# Maximum number of product columns in one aggregate query (SQLite's default
# limit is 2000 result columns; wider designs are split over several queries
# with the same grouping).
sources_sql_max_columns <- function() {
  max(10L, as.integer(getOption("glycotrial.sql_max_columns", 1000L)))
}

# SQL for sqrt(x) and ln(x) in this database, found by probing (dialects
# differ: SQLite has neither unless its math functions are loaded, which
# RSQLite::initExtension(con, "math") does; PostgreSQL and duckdb have SQRT
# and LN, some databases only LOG). NULL when unavailable.
sources_sql_math <- function(con) {
  probe <- function(expr) {
    v <- tryCatch(suppressWarnings(DBI::dbGetQuery(con, paste("SELECT", expr, "AS v"))$v),
                  error = function(e) NULL)
    if (length(v) == 1 && is.numeric(v) && is.finite(v)) v else NA_real_
  }
  find <- function() {
    sq <- if (isTRUE(all.equal(probe("SQRT(4.0)"), 2))) {
      function(x) paste0("SQRT(", x, ")")
    } else if (isTRUE(all.equal(probe("POWER(4.0, 0.5)"), 2))) {
      function(x) paste0("POWER(", x, ", 0.5)")
    }
    ln <- NULL
    for (f in c("LN", "LOG")) {
      v <- probe(paste0(f, "(2.0)"))
      if (isTRUE(all.equal(v, log(2)))) {
        ln <- local({ ff <- f; function(x) paste0(ff, "(", x, ")") })
        break
      }
      if (isTRUE(all.equal(v, log10(2)))) {
        ln <- local({ ff <- f; function(x) sprintf("(%s(%s) * %.17g)", ff, x, log(10)) })
        break
      }
    }
    list(sqrt = sq, ln = ln)
  }
  m <- find()
  if ((is.null(m$sqrt) || is.null(m$ln)) && methods::is(con, "SQLiteConnection") &&
      requireNamespace("RSQLite", quietly = TRUE)) {
    try(RSQLite::initExtension(con, "math"), silent = TRUE)
    m <- find()
  }
  m
}

#' @export
mmrm_data_pass.glycotrial_mmrm_source_dbi <- function(src, roles) {
  sources_dbi_with(src, sources_dbi_pass, src = src, roles = roles)
}

sources_dbi_pass <- function(con, src, roles) {
  sources_check_connection(con)
  fields <- sources_dbi_fields(con, src$table)
  if (is.null(fields)) {
    glycotrial_abort("The connection has no table {.val {sources_dbi_label(src$table)}}.",
                     class = c("input", "glycotrial_error_missing_table"), call = NULL)
  }
  sources_check_cols(fields, roles, paste("Database table", sources_dbi_label(src$table)))
  qi <- function(x) as.character(DBI::dbQuoteIdentifier(con, x))
  tbl <- if (methods::is(src$table, "Id")) as.character(DBI::dbQuoteIdentifier(con, src$table)) else qi(src$table)
  cols <- unique(c(roles$response, roles$fixed, roles$visit, roles$group))
  sample <- DBI::dbGetQuery(con, sprintf("SELECT %s FROM %s LIMIT 1000", paste(qi(cols), collapse = ", "), tbl))
  levels <- src$levels
  num_col <- list()
  for (v in cols) num_col[[v]] <- is.numeric(sample[[v]])
  # levels of a column: its distinct values in the database, or the given
  # `levels` (which must cover them)
  db_levels <- function(v) {
    distinct <- DBI::dbGetQuery(con, sprintf("SELECT DISTINCT %s AS v FROM %s WHERE %s IS NOT NULL",
                                             qi(v), tbl, qi(v)))$v
    lv <- if (is.numeric(distinct)) as.character(sort(distinct)) else sort(as.character(distinct))
    if (is.null(levels[[v]])) return(lv)
    unknown <- setdiff(lv, as.character(levels[[v]]))
    if (length(unknown)) {
      glycotrial_abort("Database table {.val {sources_dbi_label(src$table)}}: column {.field {v}} has value{?s} {.val {unknown}} not among the given {.arg levels}.",
                       class = c("input", "glycotrial_error_chunk"), call = NULL)
    }
    as.character(levels[[v]])
  }
  schema <- list()
  alias <- isTRUE(roles$visit_alias)
  for (v in cols) {
    own <- alias && identical(v, roles$visit)
    type <- if ((!is.null(levels[[v]]) && !own) || v %in% c(if (!alias) roles$visit, roles$group)) "factor" else moments_col_type(sample[[v]])
    if (identical(v, roles$response)) type <- "numeric"
    if (type == "other") type <- "numeric"
    schema[[v]] <- list(name = v, type = type, levels = if (type == "factor") db_levels(v))
  }
  if (alias) {
    # fit_lmm()'s moment route: visit levels of a (possibly numeric) visit
    # variable, kept apart from its own type (see moments_schema())
    v <- roles$visit
    schema[[".visit"]] <- list(name = v, type = "factor", levels = db_levels(v))
    if (!is.null(roles$visit_value)) {
      if (!roles$visit_value %in% fields) {
        glycotrial_abort("Database table {.val {sources_dbi_label(src$table)}} lacks column {.field {roles$visit_value}} needed by {.arg formula}.",
                         class = c("input", "glycotrial_error_missing_column"), call = NULL)
      }
      pr <- DBI::dbGetQuery(con, sprintf("SELECT DISTINCT %s AS v, %s AS w FROM %s WHERE %s IS NOT NULL AND %s IS NOT NULL",
                                         qi(v), qi(roles$visit_value), tbl, qi(v), qi(roles$response)))
      schema[[".visit"]]$pairs <- unique(paste(as.character(pr$v), "\r", as.character(pr$w), sep = ""))
    }
  }
  enc <- moments_encoding(NULL, roles, schema)
  p <- length(enc$colnames)
  num <- function(x) sprintf("%.17g", x)
  if (length(enc$visit_levels) > 53) {
    # visit sets travel as 64-bit masks, which R reads as doubles (exact to 2^53)
    glycotrial_abort(c("{.fun mmrm_data_dbi} supports at most 53 visits; {.field {roles$visit}} has {length(enc$visit_levels)}.",
                       "i" = "Read the rows into a data frame (e.g. {.code DBI::dbReadTable()}) and fit that."),
                     class = c("input", "glycotrial_error_moment_route"), call = NULL)
  }
  # numeric columns must hold numbers: CAST() of unreadable text gives 0 in
  # some databases (SQLite), so text that is not a number is refused here
  # (as the chunk, CSV and Parquet routes refuse it)
  num_check <- unique(c(roles$response, roles$weights,
                        names(schema)[vapply(schema, function(x) identical(x$type, "numeric"), logical(1))]))
  num_check <- intersect(num_check, fields)
  for (v in num_check) {
    bad <- tryCatch(DBI::dbGetQuery(con, sprintf(
      "SELECT %s AS v FROM %s WHERE %s IS NOT NULL AND NOT (CAST(%s AS DOUBLE PRECISION) = %s) LIMIT 3",
      qi(v), tbl, qi(v), qi(v), qi(v)))$v, error = function(e) NULL)
    if (length(bad)) {
      bad <- as.character(bad)
      glycotrial_abort(c("Column {.field {v}} of the database table must be numeric but holds value{?s} {.val {bad}} that {?is/are} not a number.",
                         "i" = "Clean the column (or cast it in a view) before fitting."),
                       class = c("input", "glycotrial_error_column_type"), call = NULL)
    }
  }
  lit0 <- function(v, lv) {
    if (num_col[[v]]) lv else as.character(DBI::dbQuoteString(con, lv))
  }
  vcode <- paste0("(CASE ", qi(roles$visit),
                  paste0(" WHEN ", lit0(roles$visit, enc$visit_levels), " THEN ",
                         seq_along(enc$visit_levels) - 1L, collapse = ""), " END)")
  gcode <- if (is.null(roles$group)) "0" else {
    paste0("(CASE ", qi(roles$group),
           paste0(" WHEN ", lit0(roles$group, enc$group_levels), " THEN ",
                  seq_along(enc$group_levels) - 1L, collapse = ""), " END)")
  }
  notnull <- paste(paste0(qi(unique(c(roles$response, roles$fixed, roles$visit, roles$subject,
                                      roles$group, roles$weights))),
                          " IS NOT NULL"), collapse = " AND ")
  # the size of the pattern matrices before any pass over the data: one row
  # per (visit pattern, group); capped by glycotrial.moment_memory_limit
  pats <- DBI::dbGetQuery(con, sprintf(paste(
    "WITH d AS (SELECT %s AS s, %s AS v, %s AS g FROM %s WHERE %s),",
    "pat AS (SELECT s, SUM(CAST(1 AS BIGINT) << v) AS pm, MIN(g) AS g, COUNT(*) AS nv FROM d GROUP BY s)",
    "SELECT pm, g, MIN(nv) AS nv, COUNT(*) AS n FROM pat GROUP BY pm, g"),
    qi(roles$subject), vcode, gcode, tbl, notnull))
  bytes <- moments_moment_bytes(as.numeric(pats$nv), p + 1)
  if (bytes > moments_memory_limit()) moments_abort_memory(bytes, nrow(pats))
  # pilot sample (centres, response shift; see moments_pilot()): the first rows
  # with all columns present
  pilot_cols <- unique(c(roles$response, roles$fixed, roles$visit, roles$subject, roles$group, roles$weights))
  pilot <- tryCatch(DBI::dbGetQuery(con, sprintf(
    "SELECT %s FROM %s WHERE %s LIMIT %d", paste(qi(pilot_cols), collapse = ", "), tbl,
    paste(paste0(qi(pilot_cols), " IS NOT NULL"), collapse = " AND "), moments_pilot_rows())),
    error = function(e) NULL)
  enc <- moments_pilot(enc, pilot)
  lit <- function(v, lv) {
    if (num_col[[v]]) lv else as.character(DBI::dbQuoteString(con, lv))
  }
  case_of <- function(v, lv, values) {
    nz <- values != 0
    if (!any(nz)) return("0.0")
    paste0("(CASE ", qi(v), paste0(" WHEN ", lit(v, lv[nz]), " THEN ", values[nz], collapse = ""),
           " ELSE 0.0 END)")
  }
  comp_sql <- function(cp) {  # one component of a design column
    v <- enc$vars[[cp$var + 1]]$name
    if (is.null(cp$map)) {
      ce <- cp$centre %||% 0
      if (ce == 0) paste0("CAST(", qi(v), " AS DOUBLE PRECISION)") else paste0("(CAST(", qi(v), " AS DOUBLE PRECISION) - (", num(ce), "))")
    } else {
      case_of(v, enc$vars[[cp$var + 1]]$levels, num(cp$map))
    }
  }
  col_expr <- vapply(enc$design, function(comps) {
    if (!length(comps)) return("1.0")
    paste(vapply(comps, comp_sql, ""), collapse = " * ")
  }, "")
  yexpr <- paste0("CAST(", qi(roles$response), " AS DOUBLE PRECISION)")
  if (!is.null(enc$y_coef)) {
    # the response minus the pilot fit, row by row in the database
    nzc <- which(enc$y_coef != 0)
    yexpr <- paste0("(", yexpr, " - (",
                    paste0("(", num(enc$y_coef[nzc]), ") * ", col_expr[nzc], collapse = " + "), "))")
  }
  cexprs <- c(col_expr, yexpr)
  # observation weights: every column of A_i is scaled by sqrt(w), and
  # sum log w enters log|Sigma_i| (as in the in-memory data pass)
  wsel <- ""
  if (!is.null(roles$weights)) {
    math <- sources_sql_math(con)
    if (is.null(math$sqrt) || is.null(math$ln)) {
      glycotrial_abort(c("Observation weights with {.fun mmrm_data_dbi} need SQRT and LN (or LOG) functions in the database, which this connection lacks.",
                         "i" = "Load them (for SQLite: {.code RSQLite::initExtension(con, \"math\")}) or fit without {.arg weights}."),
                       class = c("input", "glycotrial_error_moment_route"), call = NULL)
    }
    wq <- paste0("CAST(", qi(roles$weights), " AS DOUBLE PRECISION)")
    bad_w <- DBI::dbGetQuery(con, sprintf("SELECT COUNT(*) AS n FROM %s WHERE %s AND NOT (%s > 0)",
                                          tbl, notnull, wq))$n
    if (bad_w > 0) {
      glycotrial_abort("weights {.field {roles$weights}} must be positive and finite; {bad_w} row{?s} of the database table {?is/are} not.",
                       call = NULL)
    }
    sw <- math$sqrt(wq)
    cexprs <- paste0("(", cexprs, ") * ", sw)
    wsel <- paste0(", ", math$ln(wq), " AS lw")
  }
  # numeric covariates, for their means over the rows used
  num_vars <- names(enc$vars)[vapply(enc$vars, function(v) identical(v$type, "numeric"), logical(1))]
  xsel <- if (length(num_vars)) {
    paste0(", ", paste0("CAST(", qi(num_vars), " AS DOUBLE PRECISION) AS x", seq_along(num_vars), collapse = ", "))
  } else {
    ""
  }
  d_cte <- sprintf("d AS (SELECT %s AS s, %s AS v, %s AS g, %s%s%s FROM %s WHERE %s)",
                   qi(roles$subject), vcode, gcode,
                   paste0(cexprs, " AS c", seq_along(cexprs) - 1L, collapse = ", "), wsel, xsel,
                   tbl, notnull)
  pat_cte <- "pat AS (SELECT s, SUM(CAST(1 AS BIGINT) << v) AS pm, MIN(g) AS g, MAX(g) AS g2, COUNT(*) AS nv, COUNT(DISTINCT v) AS ndv FROM d GROUP BY s)"
  chk <- DBI::dbGetQuery(con, sprintf(
    "WITH %s, %s SELECT (SELECT s FROM pat WHERE nv <> ndv LIMIT 1) AS dup, (SELECT s FROM pat WHERE g <> g2 LIMIT 1) AS twog",
    d_cte, pat_cte))
  if (!is.na(chk$dup)) {
    glycotrial_abort("Subject {.val {as.character(chk$dup)}} has more than one row at one visit of {.field {roles$visit}} in the database table; an MMRM needs at most one observation per subject and visit.",
                     call = NULL)
  }
  if (!is.na(chk$twog)) {
    glycotrial_abort("Subject {.val {as.character(chk$twog)}} appears in more than one group of {.field {roles$group}}.",
                     call = NULL)
  }
  q1 <- p + 1
  mom <- sources_dbi_subject_pass(con, tbl, qi, notnull, vcode, gcode, enc, roles, yexpr, comp_sql)
  if (!is.null(mom)) {
    agg <- NULL
  } else {
  prods <- character()
  for (dd in seq_len(q1) - 1L) for (cc in seq_len(q1) - 1L) {
    prods <- c(prods, sprintf("SUM(a.c%d * b.c%d) AS m%d_%d", cc, dd, cc, dd))
  }
  # the product columns in pieces of at most sources_sql_max_columns(), each
  # piece one query with the same grouping and order (rows then line up)
  pieces <- split(prods, ceiling(seq_along(prods) / sources_sql_max_columns()))
  agg <- NULL
  for (ip in seq_along(pieces)) {
    pc <- pieces[[ip]]
    sources_test_hook("query", ip)
    sql <- sprintf(paste(
      "WITH %s, %s SELECT pat.pm AS pm, pat.g AS g, a.v AS va, b.v AS vb, COUNT(*) AS n, %s",
      "FROM d a JOIN d b ON a.s = b.s AND a.v >= b.v JOIN pat ON pat.s = a.s",
      "GROUP BY pat.pm, pat.g, a.v, b.v ORDER BY pat.g, pat.pm, a.v, b.v"),
      d_cte, pat_cte, paste(pc, collapse = ", "))
    part <- DBI::dbGetQuery(con, sql)
    if (is.null(agg)) {
      agg <- part
    } else {
      key <- c("pm", "g", "va", "vb", "n")
      if (nrow(part) != nrow(agg) ||
          !isTRUE(all.equal(as.data.frame(lapply(part[key], as.numeric)),
                            as.data.frame(lapply(agg[key], as.numeric))))) {
        glycotrial_abort("The pieces of the SQL data pass returned different groups; the table changed during the fit?",
                         class = "numerical", call = NULL)
      }
      agg <- cbind(agg, part[setdiff(names(part), key)])
    }
  }
  mom <- sources_dbi_moments(agg, q1, length(enc$visit_levels))
  }
  totals <- DBI::dbGetQuery(con, sprintf(
    "WITH %s SELECT COUNT(*) AS n%s%s FROM d", d_cte,
    if (nzchar(wsel)) ", SUM(lw) AS lw" else "",
    if (length(num_vars)) paste0(", ", paste0("SUM(x", seq_along(num_vars), ") AS x", seq_along(num_vars), collapse = ", ")) else ""))
  dropped <- DBI::dbGetQuery(con, sprintf("SELECT COUNT(*) AS n FROM %s WHERE %s IS NOT NULL AND NOT (%s)",
                                          tbl, qi(roles$response), notnull))$n
  mom$n_dropped <- as.numeric(dropped)
  if (nzchar(wsel)) mom$log_weight_sum <- as.numeric(totals$lw)
  var_sums <- stats::setNames(rep(0, length(enc$vars)), names(enc$vars))
  for (i in seq_along(num_vars)) var_sums[[num_vars[i]]] <- as.numeric(totals[[paste0("x", i)]])
  mom$var_sums <- var_sums
  list(moments = moments_merge(list(mom)), encoding = enc)
}

# Pattern moment matrices from the rows of the aggregate query.
sources_dbi_moments <- function(agg, q1, k) {
  agg$pm <- as.numeric(agg$pm)
  vals <- as.matrix(agg[, sprintf("m%d_%d", rep(seq_len(q1) - 1L, q1),
                                  rep(seq_len(q1) - 1L, each = q1)), drop = FALSE])
  storage.mode(vals) <- "double"
  key <- paste(agg$g, agg$pm)
  pats <- list()
  for (kk in unique(key)) {
    rows <- which(key == kk)
    pm <- agg$pm[rows[1]]
    # (doubles: exact for masks of up to 53 visits, where bitwAnd() stops at 31)
    visits <- which((pm %/% 2^(seq_len(k) - 1)) %% 2 == 1) - 1L
    m <- length(visits)
    M <- matrix(0, m * q1, m * q1)
    n <- NA_real_
    for (r in rows) {
      ai <- match(agg$va[r], visits)
      bi <- match(agg$vb[r], visits)
      V <- matrix(vals[r, ], q1, q1)
      ri <- (seq_len(q1) - 1L) * m + ai
      ci <- (seq_len(q1) - 1L) * m + bi
      M[ri, ci] <- V
      M[ci, ri] <- t(V)
      if (ai == 1L && bi == 1L) n <- as.numeric(agg$n[r])
    }
    pats[[length(pats) + 1]] <- list(group = as.integer(agg$g[rows[1]]), visits = as.integer(visits),
                                     n = n, M = M)
  }
  n_subj <- sum(vapply(pats, `[[`, 1, "n"))
  list(patterns = pats, n_obs = sum(vapply(pats, function(p) p$n * length(p$visits), 1)),
       n_subjects = n_subj, n_dropped = 0, log_weight_sum = 0)
}
