# Built-ins are protected, kinds are not re-declared, and
# kinds and keys are looked up exactly (no regex, no "kind:key" strings).

test_that("overriding a built-in from R needs override_builtin and says who did it", {
  us <- function(n_visits) 2L
  sig <- function(theta, n_visits, coords) diag(length(coords))
  expect_error(register_covariance("us", n_theta = us, sigma = sig, overwrite = TRUE),
               class = "glycotrial_error_builtin_protected")
  expect_error(register_index("homa1_ir", function(glucose, insulin) glucose + insulin,
                              inputs = c(glucose = "mmol/L", insulin = "uU/mL"), overwrite = TRUE),
               class = "glycotrial_error_builtin_protected")
  # unchanged: HOMA1-IR = 5 * 10 / 22.5 (Matthews 1985)
  expect_equal(homa1_ir(5, 10), 5 * 10 / 22.5)
  expect_error(unregister_plugin("covariance", "us"), class = "glycotrial_error_builtin_protected")

  expect_message(
    register_index("homa1_ir", function(glucose, insulin) glucose + insulin,
                   inputs = c(glucose = "mmol/L", insulin = "uU/mL"), overwrite = TRUE,
                   override_builtin = TRUE),
    class = "glycotrial_message_builtin_override")
  on.exit(if (!get_plugin("index", "homa1_ir")$builtin)
    unregister_plugin("index", "homa1_ir"), add = TRUE)
  expect_equal(homa1_ir(5, 10), 15)
  row <- glycotrial_plugins("index")
  row <- row[row$key == "homa1_ir", ]
  expect_false(row$builtin)
  expect_equal(row$implementation, "R")
  expect_true(nzchar(row$registered_by))
  # the override goes, the built-in (with its R-level metadata) comes back
  expect_true(unregister_plugin("index", "homa1_ir"))
  expect_equal(homa1_ir(5, 10), 5 * 10 / 22.5)
  expect_true(get_plugin("index", "homa1_ir")$builtin)
  expect_equal(get_plugin("index", "homa1_ir")$meta$family, "fasting")
})

test_that("the message names the package that overrides a built-in", {
  cnd <- NULL
  withCallingHandlers(
    register_covariance("cs", n_theta = function(n_visits) 2L,
                        sigma = function(theta, n_visits, coords) diag(length(coords)),
                        overwrite = TRUE, override_builtin = TRUE),
    glycotrial_message_builtin_override = function(m) {
      cnd <<- m
      invokeRestart("muffleMessage")
    })
  on.exit(unregister_plugin("covariance", "cs"), add = TRUE)
  expect_s3_class(cnd, "glycotrial_message")
  expect_equal(cnd$key, "cs")
  expect_match(conditionMessage(cnd), "overrides the built-in covariance plugin 'cs'", fixed = TRUE)
})

test_that("the C API refuses to replace a built-in without the override flag", {
  skip_on_cran()
  load_tiny_plugin()
  # overwrite = 1 (what the example package passed) no longer replaces `us`
  err <- tp_register_cov("us", flags = 1L)
  expect_match(err, "built into glycotrial", fixed = TRUE)
  err <- tp_register_index("homa1_ir", flags = 1L, v2 = FALSE)
  expect_match(err, "built into glycotrial", fixed = TRUE)
  expect_equal(homa1_ir(5, 10), 5 * 10 / 22.5)
  expect_equal(glycotrial:::cpp_covariance_info("us", 4L)$n_theta, 10L)  # 4 * 5 / 2

  # with the explicit flag it is replaced, and the next call says so
  expect_equal(tp_register_index("homa1_ir", flags = 3L), "")
  expect_message(val <- homa1_ir(5, 10), class = "glycotrial_message_builtin_override")
  expect_equal(val, 15)
  row <- glycotrial_plugins("index")
  row <- row[row$key == "homa1_ir", ]
  expect_equal(row$package, "tinyplug")
  expect_equal(row$registered_by, "tinyplug")
  expect_false(row$builtin)
  # unregistering the override restores the built-in and its metadata
  expect_message(unregister_plugin("index", "homa1_ir"), class = "glycotrial_message_builtin_override")
  expect_equal(homa1_ir(5, 10), 5 * 10 / 22.5)
  expect_true(get_plugin("index", "homa1_ir")$builtin)
  expect_equal(get_plugin("index", "homa1_ir")$meta$family, "fasting")

  expect_equal(tp_register_cov("us", flags = 3L), "")
  expect_message(glycotrial_plugins(), class = "glycotrial_message_builtin_override")
  expect_equal(glycotrial:::cpp_covariance_info("us", 4L)$n_theta, 2L)
  expect_message(unregister_plugin("covariance", "us"), class = "glycotrial_message_builtin_override")
  expect_equal(glycotrial:::cpp_covariance_info("us", 4L)$n_theta, 10L)
  expect_true(get_plugin("covariance", "us")$builtin)
})

test_that("a built-in kind keeps its checks: it cannot be declared again", {
  expect_error(register_plugin_kind("covariance"), class = "glycotrial_error_registry_conflict")
  expect_error(register_plugin_kind("index", validate = NULL),
               class = "glycotrial_error_registry_conflict")
  # the covariance validator is still in force
  expect_error(register_plugin("covariance", "not_a_structure", impl = 42),
               class = "glycotrial_error")
  expect_error(get_plugin("covariance", "not_a_structure"), class = "glycotrial_error_unknown_plugin")
  # a user's own kind may be declared again
  register_plugin_kind("test_user_kind")
  expect_silent(register_plugin_kind("test_user_kind", description = "again"))
})

test_that("kinds and keys are matched exactly, not as regular expressions", {
  expect_error(get_plugin("(", "x"), class = "glycotrial_error_unknown_plugin")
  expect_error(get_plugin("covariance", "("), class = "glycotrial_error_unknown_plugin")
  expect_error(get_plugin("covariance", "u."), class = "glycotrial_error_unknown_plugin")
  expect_equal(nrow(glycotrial_plugins("(")), 0L)
  expect_false(unregister_plugin("[", "x"))

  # "k.1" as a regex matches "kx1"; as a kind it must not
  register_plugin_kind("k.1")
  register_plugin_kind("kx1")
  register_plugin("k.1", "a", 1)
  register_plugin("kx1", "b", 2)
  on.exit({
    unregister_plugin("k.1", "a")
    unregister_plugin("kx1", "b")
  }, add = TRUE)
  expect_equal(glycotrial:::plugin_keys("k.1"), "a")
  expect_equal(glycotrial_plugins("k.1")$key, "a")
  expect_error(get_plugin("k.1", "b"), class = "glycotrial_error_unknown_plugin")
  # the same key in two kinds: two entries
  register_plugin("kx1", "a", 3)
  on.exit(unregister_plugin("kx1", "a"), add = TRUE)
  expect_equal(get_plugin("k.1", "a")$impl, 1)
  expect_equal(get_plugin("kx1", "a")$impl, 3)
})
