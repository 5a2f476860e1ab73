# cli markup must be rendered, never shown raw ("Database table
# {.val {format(src$table)}} lacks column ...", "{.fun residuals} need the
# data rows"). (a) Errors, warnings and messages of the exported functions
# under bad input contain no unrendered cli pattern; (b) no message template
# in R/ pastes markup into a string that cli would then insert as plain text.

# Unrendered cli: an inline class ({.val ...}), pluralisation ({?s}) or a
# plain interpolation ({x}, {format(y)}) left in the text.
markup_pattern <- paste0(
  "\\{\\.(val|vals|fun|fn|arg|field|code|cls|pkg|file|path|var|envvar|emph|strong|",
  "href|url|span|kbd|key|dt|dd|obj_type_friendly|or|and)[ }]|\\{\\?|",
  "\\{[A-Za-z_][A-Za-z0-9_.$]*(\\([^{}]*\\))?\\}")

condition_texts <- function(expr) {
  out <- character()
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  setTimeLimit(elapsed = 20, transient = TRUE)
  on.exit(setTimeLimit(elapsed = Inf), add = TRUE)
  tryCatch(
    withCallingHandlers(utils::capture.output(force(expr)),
      warning = function(w) {
        out <<- c(out, conditionMessage(w))
        invokeRestart("muffleWarning")
      },
      message = function(m) {
        out <<- c(out, conditionMessage(m))
        invokeRestart("muffleMessage")
      }),
    error = function(e) out <<- c(out, conditionMessage(e)))
  out
}

test_that("the markup of the reported cases is rendered", {
  skip_if_not_installed("RSQLite")
  d <- data.frame(USUBJID = rep(sprintf("S%02d", 1:20), each = 3),
                  AVISIT = rep(c("V1", "V2", "V3"), 20), ARM = rep(c("A", "B"), 30),
                  CHG = rnorm(60))
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  withr::defer(DBI::dbDisconnect(con))
  DBI::dbWriteTable(con, "adlb", d)
  msg <- condition_texts(mmrm_fit(CHG ~ ARM + AVISIT + BASE + cs(AVISIT | USUBJID),
                                  data = mmrm_data_dbi(con, "adlb")))
  expect_match(msg, "Database table adlb", all = FALSE)
  expect_false(any(grepl(markup_pattern, msg)))
  fit <- mmrm_fit(CHG ~ ARM + AVISIT + cs(AVISIT | USUBJID), data = mmrm_data_dbi(con, "adlb"))
  for (f in list(residuals, fitted, stats::model.matrix, function(x) predict(x))) {
    msg <- condition_texts(f(fit))
    expect_length(msg, 1)
    expect_false(grepl(markup_pattern, msg), info = msg)
  }
  expect_match(condition_texts(residuals(fit)), "residuals\\(\\)")
})

test_that("bad input to the exported functions gives rendered messages", {
  ns <- asNamespace("glycotrial")
  skip_fun <- c("glycotrial_abort", "glycotrial_warn", "render_trial_report", "compiled_plugin",
                "unregister_plugin", "power_trial", "simulate_trial",
                grep("^register_", getNamespaceExports("glycotrial"), value = TRUE))
  funs <- setdiff(sort(getNamespaceExports("glycotrial")), skip_fun)
  bad_args <- list(list(), list("bad"), list(NULL), list(data.frame(x = 1:3)), list(-1),
                   list(NA), list(list(a = 1)), list(data = "bad"), list(formula = y ~ x, data = data.frame(y = 1)))
  offenders <- character()
  for (f in funs) {
    fn <- get(f, envir = ns)
    if (!is.function(fn)) next
    for (a in bad_args) {
      msg <- condition_texts(do.call(fn, a))
      hit <- msg[grepl(markup_pattern, msg)]
      if (length(hit)) offenders <- c(offenders, paste0(f, "(): ", hit[1]))
    }
  }
  expect_identical(offenders, character())
})

test_that("no message template pastes cli markup into text inserted later", {
  files <- list.files(test_path("..", "..", "R"), pattern = "[.]R$", full.names = TRUE)
  skip_if(!length(files), "package sources not available")
  offenders <- character()
  for (file in files) {
    exprs <- tryCatch(parse(file, keep.source = FALSE), error = function(e) NULL)
    walk <- function(e) {
      if (is.call(e)) {
        fn <- paste(deparse(e[[1]]), collapse = "")
        # markup inside sprintf()/paste() arguments of a message call, or
        # markup passed to a helper that inserts it with {what}/{label}
        if (fn %in% c("sprintf", "paste", "paste0")) {
          strs <- Filter(is.character, as.list(e)[-1])
          for (s in unlist(strs)) {
            if (grepl("\\{[^{}]*\\{", s) && !grepl("^[^{]*$", s)) {
              offenders <<- c(offenders, sprintf("%s: %s(\"%s\")", basename(file), fn, s))
            }
          }
        }
        if (fn %in% c("mmrm_need_rows", "sources_check_cols")) {
          # these render their text argument themselves (cli::format_inline) or take plain text
          s <- unlist(Filter(is.character, as.list(e)[-1]))
          if (fn == "sources_check_cols" && any(grepl("\\{", s))) {
            offenders <<- c(offenders, sprintf("%s: %s(\"%s\")", basename(file), fn, s))
          }
        }
        for (x in as.list(e)[-1]) if (!missing(x)) walk(x)
      }
    }
    for (e in exprs) walk(e)
  }
  expect_identical(offenders, character())
})
