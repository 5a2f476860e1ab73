# A separately built package with `LinkingTo: glycotrial` registers a compiled
# index and a compiled covariance structure through the C API; glycotrial then
# lists and evaluates them exactly like built-ins.
test_that("a LinkingTo package registers compiled plugins", {
  skip_on_cran()
  load_plugin_package()

  lst <- glycotrial_plugins()
  row <- lst[lst$key == "plugin_glucose_ratio", ]
  expect_equal(nrow(row), 1)
  expect_equal(row$package, plugin_pkg)
  expect_equal(row$implementation, "C++")
  expect_match(row$units, "glucose [mmol/L], insulin [uU/mL]", fixed = TRUE)

  p <- get_plugin("index", "plugin_glucose_ratio")
  expect_s3_class(p$impl, "glycotrial_compiled_plugin")
  res <- glycotrial:::cpp_compute_compiled_index("plugin_glucose_ratio",
                                                 list(c(5, 10), c(10, 0)))
  expect_equal(res, c(0.5, NaN))

  cov <- glycotrial:::cpp_compiled_covariance("plugin_cs", c(log(2), atanh(0.5)), 3,
                                              c(0, 1, 2), TRUE)
  expect_equal(cov$sigma, matrix(c(4, 2, 2, 2, 4, 2, 2, 2, 4), 3))
  # Numerical derivative supplied by glycotrial: d sigma / d log sd = 2 sigma.
  expect_equal(cov$dsigma[[1]], 2 * cov$sigma, tolerance = 1e-6)
  expect_equal(cov$n_theta, 2)

  # Unloading the plugin package unregisters its plugins.
  unloadNamespace(plugin_pkg)
  expect_false("plugin_glucose_ratio" %in% glycotrial_plugins()$key)
})
