test_that("plugins of a declared kind register, list, resolve and unregister", {
  register_plugin_kind("test_kind", validate = function(impl, meta) {
    if (!is.function(impl)) stop("impl must be a function")
  }, description = "kind used by the tests")
  on.exit(unregister_plugin("test_kind", "double_it"), add = TRUE)

  register_plugin("test_kind", "double_it", function(x) 2 * x,
                  description = "doubles", units = "1 -> 1", reference = "none",
                  package = "user")
  p <- get_plugin("test_kind", "double_it")
  expect_equal(p$impl(21), 42)
  expect_equal(p$package, "user")
  lst <- glycotrial_plugins("test_kind")
  expect_equal(lst$key, "double_it")
  expect_equal(lst$implementation, "R")
  expect_named(lst, c("kind", "key", "package", "implementation", "description", "units",
                      "reference", "registered_by", "builtin"))
  expect_false(lst$builtin)

  # Identical content again is a no-op; different content conflicts.
  expect_silent(register_plugin("test_kind", "double_it", function(x) 2 * x,
                                description = "doubles", units = "1 -> 1",
                                reference = "none", package = "user"))
  expect_error(register_plugin("test_kind", "double_it", function(x) 3 * x),
               class = "glycotrial_error_registry_conflict")
  register_plugin("test_kind", "double_it", function(x) 3 * x, overwrite = TRUE)
  expect_equal(get_plugin("test_kind", "double_it")$impl(1), 3)

  expect_true(unregister_plugin("test_kind", "double_it"))
  expect_false(unregister_plugin("test_kind", "double_it"))
  expect_error(get_plugin("test_kind", "double_it"), class = "glycotrial_error_unknown_plugin")
})

test_that("registration validates kind, key and implementation", {
  expect_error(register_plugin("no_such_kind", "a", identity), "Unknown plugin",
               class = "glycotrial_error_input")
  register_plugin_kind("test_kind2", validate = function(impl, meta) {
    if (!is.function(impl)) stop("impl must be a function")
  })
  expect_error(register_plugin("test_kind2", "bad key", identity), "letters, digits",
               class = "glycotrial_error_input")
  expect_error(register_plugin("test_kind2", "k", 42), "impl must be a function",
               class = "glycotrial_error_input")
  expect_error(register_plugin("test_kind2", "k", identity, overwrite = NA),
               class = "glycotrial_error_input")
})

test_that("plugins are attributed to the calling package, or 'user'", {
  from_user <- function() glycotrial:::calling_package()
  environment(from_user) <- globalenv()
  expect_equal(from_user(), "user")
  from_pkg <- function() glycotrial:::calling_package()
  environment(from_pkg) <- asNamespace("stats")
  expect_equal(from_pkg(), "stats")
})

test_that("built-in plugins are listed, registered through the same C entry point", {
  all <- glycotrial_plugins()
  builtin <- all[all$package == "glycotrial", ]
  # Indices are compiled built-ins: they reached the registry through
  # glycotrial_register_index_v1, the entry point other packages use.
  idx <- builtin[builtin$kind == "index", ]
  expect_true(all(c("homa1_ir", "quicki") %in% idx$key))
  expect_true(all(idx$implementation == "C++"))
  expect_true(all(nzchar(idx$reference)))
  expect_equal(nrow(glycotrial_plugins("index")), nrow(idx))
})
