# The registry never outlives the code it points to, and
# plugin-reported sizes are bounded. Both run in a separate R process, so a
# crash or a runaway allocation fails the test instead of killing the suite.

test_that("a compiled plugin whose shared library was unloaded gives a classed error, not a crash", {
  skip_on_cran()
  skip_if_not_installed("callr")
  so <- tiny_plugin_path()
  res <- callr::r(function(so, helper) {
    library(glycotrial)
    source(helper)
    dyn.load(so)
    cls <- function(expr) tryCatch({ force(expr); "ok" }, error = function(e) class(e))
    d <- data.frame(USUBJID = rep(sprintf("S%02d", 1:30), each = 3),
                    AVISIT = factor(rep(c("W1", "W2", "W3"), 30)),
                    ARM = rep(c("A", "B"), each = 45))
    set.seed(1)
    u <- rnorm(30)
    d$CHG <- rep(u, each = 3) + rnorm(90) + (d$ARM == "B")
    out <- list()
    out$reg_v2 <- tp_register_cov("tp_cs", v2 = TRUE)
    out$reg_v1 <- tp_register_index("tp_sum", v2 = FALSE)
    out$owner <- glycotrial_plugins("covariance")$registered_by[glycotrial_plugins("covariance")$key == "tp_cs"]
    out$owner_v1 <- glycotrial_plugins("index")$registered_by[glycotrial_plugins("index")$key == "tp_sum"]
    f <- mmrm_fit(CHG ~ ARM * AVISIT + tp_cs(AVISIT | USUBJID), d,
                  control = mmrm_fit_control(start = c(0, 0.3)))
    out$fit_before <- is.finite(f$loglik)
    out$index_before <- evaluate_index("tp_sum", list(glucose = 5, insulin = 10))
    dyn.unload(so)
    out$fit_after <- cls(mmrm_fit(CHG ~ ARM * AVISIT + tp_cs(AVISIT | USUBJID), d))
    out$fit_again <- cls(mmrm_fit(CHG ~ ARM * AVISIT + tp_cs(AVISIT | USUBJID), d))
    out$index_after <- cls(evaluate_index("tp_sum", list(glucose = 5, insulin = 10)))
    out$core_after <- cls(glycotrial:::cpp_covariance_info("tp_cs", 3L))
    out$listed <- c("tp_cs", "tp_sum") %in% glycotrial_plugins()$key
    # a built-in still works
    out$builtin <- is.finite(mmrm_fit(CHG ~ ARM * AVISIT + cs(AVISIT | USUBJID), d)$loglik)
    out
  }, args = list(so = so, helper = test_path("helper-plugin_shlib.R")))
  expect_equal(res$reg_v2, "")
  expect_equal(res$reg_v1, "")
  expect_equal(res$owner, "tinyplug")
  expect_equal(res$owner_v1, "tinyplug")  # v1: owner found from the callback's address
  expect_true(res$fit_before)
  expect_equal(res$index_before, 15)  # 5 + 10
  expect_true("glycotrial_error_plugin_unloaded" %in% res$fit_after)
  expect_true("glycotrial_error_plugin_unloaded" %in% res$fit_again)
  expect_true("glycotrial_error_plugin_unloaded" %in% res$index_after)
  expect_true("glycotrial_error_plugin_unloaded" %in% res$core_after)
  expect_equal(res$listed, c(FALSE, FALSE))
  expect_true(res$builtin)
})

test_that("the example plugin package unregisters its plugins when unloaded", {
  skip_on_cran()
  load_plugin_package()
  expect_true(all(c("plugin_cs", "plugin_glucose_ratio") %in% glycotrial_plugins()$key))
  expect_equal(glycotrial_plugins("covariance")$registered_by[glycotrial_plugins("covariance")$key == "plugin_cs"],
               plugin_pkg)
  unloadNamespace(plugin_pkg)
  expect_false(any(c("plugin_cs", "plugin_glucose_ratio") %in% glycotrial_plugins()$key))
  expect_error(get_plugin("covariance", "plugin_cs"), class = "glycotrial_error_unknown_plugin")
})

test_that("a plugin reporting 2e9 parameters is refused before anything is allocated", {
  skip_on_cran()
  skip_on_os("windows")
  skip_if_not_installed("callr")
  so <- tiny_plugin_path()
  script <- tempfile(fileext = ".R")
  result <- tempfile(fileext = ".rds")
  writeLines(c(
    "library(glycotrial)",
    sprintf("source(%s)", deparse(test_path("helper-plugin_shlib.R"))),
    sprintf("dyn.load(%s)", deparse(so)),
    "cls <- function(expr) tryCatch({ force(expr); 'ok' }, error = function(e) class(e))",
    "tp_register_cov('tp_huge', what = 1L)",
    "d <- data.frame(USUBJID = rep(sprintf('S%02d', 1:20), each = 3),",
    "  AVISIT = factor(rep(c('W1', 'W2', 'W3'), 20)), WEEK = rep(1:3, 20),",
    "  ARM = rep(c('A', 'B'), each = 30))",
    "set.seed(2); d$AVAL <- rnorm(60)",
    "out <- list(",
    "  lmm = cls(fit_lmm(AVAL ~ ARM + WEEK + (1 | USUBJID) + tp_huge(AVISIT | USUBJID), d)),",
    "  mmrm = cls(mmrm_fit(AVAL ~ ARM * AVISIT + tp_huge(AVISIT | USUBJID), d)),",
    "  core = cls(glycotrial:::cpp_covariance_info('tp_huge', 3L)),",
    "  sigma = cls(glycotrial:::cpp_compiled_covariance('tp_huge', 0, 3L, c(0, 1), FALSE)))",
    sprintf("saveRDS(out, %s)", deparse(result))
  ), script)
  rscript <- file.path(R.home("bin"), "Rscript")
  # 3 GB of address space: enough for R and glycotrial, far from the 16 GB
  # that 2e9 parameters would take.
  status <- system2("bash", c("-c", shQuote(sprintf("ulimit -v 3000000; %s %s",
                                                    shQuote(rscript), shQuote(script)))),
                    stdout = TRUE, stderr = TRUE)
  expect_true(file.exists(result), info = paste(status, collapse = "\n"))
  out <- readRDS(result)
  for (nm in names(out)) {
    expect_true("glycotrial_error_plugin_output" %in% out[[nm]], info = paste(nm, paste(out[[nm]], collapse = " ")))
  }
})

test_that("an R covariance with an absurd n_theta is refused with the same class", {
  register_covariance("test_huge_r", n_theta = function(n_visits) 2e9,
                      sigma = function(theta, n_visits, coords) diag(length(coords)))
  on.exit(unregister_plugin("covariance", "test_huge_r"))
  d <- sim_mmrm_data(n = 30, k = 3)
  expect_error(mmrm_fit(CHG ~ ARM * AVISIT + test_huge_r(AVISIT | USUBJID), d),
               class = "glycotrial_error_plugin_output")
})
