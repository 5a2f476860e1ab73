# The test plugin package (tests/testthat/plugin-package, `LinkingTo: glycotrial`),
# built into a temporary library and loaded for the calling test; it is
# unloaded (its plugins unregistered) when that test ends. Named through a
# variable: it is built here, not a dependency, and R CMD check would otherwise
# list it as an undeclared test dependency.
plugin_pkg <- "glycoplugin"

load_plugin_package <- function(env = parent.frame()) {
  lib <- withr::local_tempdir(.local_envir = env)
  pkgdir <- file.path(withr::local_tempdir(.local_envir = env), plugin_pkg)
  dir.create(pkgdir)
  file.copy(list.files(test_path("plugin-package"), full.names = TRUE), pkgdir,
            recursive = TRUE)
  rbin <- file.path(R.home("bin"), "R")
  out <- withr::with_envvar(
    c(R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep)),
    system2(rbin, c("CMD", "INSTALL", "--no-test-load", paste0("--library=", lib), pkgdir),
            stdout = TRUE, stderr = TRUE)
  )
  status <- attr(out, "status")
  testthat::expect_true(is.null(status) || status == 0, info = paste(out, collapse = "\n"))
  loadNamespace(plugin_pkg, lib.loc = lib)
  withr::defer(if (plugin_pkg %in% loadedNamespaces()) unloadNamespace(plugin_pkg),
               envir = env)
  invisible(lib)
}
