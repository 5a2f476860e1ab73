# One mmrm_fit() call on a data frame, traced (issue 16): the R -> C++
# crossings (every cpp_* wrapper of the namespace counted with trace()) show
# ONE engine construction and no call into the moment route (the functions of
# R/mmrm_moments.R and R/mmrm_sources.R).

ns <- asNamespace("glycotrial")

# Functions of the moment route: parsed from the source files when the tests
# run next to them (test() of devtools), and by their prefixes otherwise (the
# files name their functions moments_*, sources_* and mmrm_data_*).
moment_route_functions <- function() {
  by_prefix <- grep("^(moments_|sources_|mmrm_data_)", ls(ns, all.names = TRUE), value = TRUE)
  files <- file.path(test_path(), "..", "..", "R", c("mmrm_moments.R", "mmrm_sources.R"))
  by_file <- unlist(lapply(files[file.exists(files)], function(f) {
    ex <- parse(f, keep.source = FALSE)
    unlist(lapply(ex, function(e) {
      if (is.call(e) && identical(e[[1]], as.name("<-")) && is.name(e[[2]]) &&
          is.call(e[[3]]) && identical(e[[3]][[1]], as.name("function"))) as.character(e[[2]])
    }))
  }))
  fns <- unique(c(by_prefix, by_file))
  fns[vapply(fns, function(f) exists(f, ns, inherits = FALSE) && is.function(get(f, ns)), NA)]
}

# Counts the calls of `fns` while evaluating `expr`.
count_calls <- function(fns, expr) {
  counts <- new.env()
  for (f in fns) counts[[f]] <- 0L
  for (f in fns) {
    tracer <- bquote(assign(.(f), get(.(f), envir = .(counts)) + 1L, envir = .(counts)))
    suppressMessages(trace(f, tracer = tracer, where = ns, print = FALSE))
  }
  on.exit(for (f in fns) suppressMessages(untrace(f, where = ns)), add = TRUE)
  force(expr)
  unlist(as.list(counts))[fns]
}

test_that("one mmrm_fit() on a data frame builds one engine and never enters the moment route", {
  d <- sim_mmrm_data(n = 40, missing = 0.1)
  cpp <- grep("^cpp_", ls(ns), value = TRUE)
  mom <- moment_route_functions()
  expect_true(all(c("moments_fit", "moments_prepare", "mmrm_data_pass") %in% mom))
  n <- count_calls(c(cpp, mom), {
    fit <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d)
  })
  expect_s3_class(fit, "glycotrial_mmrm")
  expect_identical(n[["cpp_mmrm_engine"]], 1L)
  expect_identical(n[["cpp_mmrm_engine_moments"]], 0L)
  expect_identical(sum(n[mom]), 0L, info = paste(names(n[mom])[n[mom] > 0], collapse = ", "))
  # the crossings of this fit, for the record (entry points and calls)
  used <- n[cpp][n[cpp] > 0]
  expect_gt(length(used), 0L)
  # the trace itself can fail: a data source goes through the moment route
  # (a second moment engine in the formula's parametrisation, as BASE is
  # centred)
  n_src <- count_calls(c("cpp_mmrm_engine", "cpp_mmrm_engine_moments", "moments_prepare"), {
    mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), mmrm_data_chunks(list(d)))
  })
  expect_identical(n_src[["cpp_mmrm_engine"]], 0L)
  expect_gte(n_src[["cpp_mmrm_engine_moments"]], 1L)
  expect_identical(n_src[["moments_prepare"]], 1L)
})

test_that("one mmrm_fit() on data far from zero builds one engine, too", {
  d <- sim_mmrm_data(n = 40, missing = 0.1)
  d$CHG <- d$CHG + 1e4
  d$BASE <- d$BASE + 1e4
  n <- count_calls(c("cpp_mmrm_engine", "cpp_mmrm_engine_moments", "mmrm_row_reparam"), {
    fit <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d)
  })
  # centred at the design stage (the trace can fail: the map is in the fit)
  expect_identical(n[["mmrm_row_reparam"]], 1L)
  expect_false(is.null(fit$engine_map$Ti))
  expect_identical(n[["cpp_mmrm_engine"]], 1L)
  expect_identical(n[["cpp_mmrm_engine_moments"]], 0L)
  # mapped back to the formula's parametrisation: the fit on the data as
  # simulated differs by the shift only (hand calculation: CHG + 1e4 with
  # BASE + 1e4 moves the intercept by 1e4 (1 - beta_BASE))
  ref <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), sim_mmrm_data(n = 40, missing = 0.1))
  expect_equal(coef(fit)[-1], coef(ref)[-1], tolerance = 1e-6)
  expect_equal(unname(coef(fit)[1]), unname(coef(ref)[1] + 1e4 * (1 - coef(ref)[["BASE"]])),
               tolerance = 1e-8)
})
