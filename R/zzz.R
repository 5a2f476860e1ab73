.onLoad <- function(libname, pkgname) {
  register_builtin_plugins()
  register_s3_interop()
}
