.onLoad <- function(libname, pkgname) {
  register_builtin_plugins()
  register_s3_interop()
}

# Methods for generics of optional packages (emmeans, ggplot2, knitr, ...)
# register when those packages load; areas add to this list with
# add_s3_interop(pkg, generic, class, fun).
s3_interop <- new.env(parent = emptyenv())
s3_interop$methods <- list()

add_s3_interop <- function(package, generic, class, fun) {
  s3_interop$methods[[length(s3_interop$methods) + 1]] <-
    list(package = package, generic = generic, class = class, fun = fun)
  invisible(NULL)
}

register_s3_interop <- function() {
  for (m in s3_interop$methods) {
    local({
      m <- m
      register <- function(...) {
        registerS3method(m$generic, m$class, m$fun, envir = asNamespace(m$package))
      }
      if (isNamespaceLoaded(m$package)) register()
      setHook(packageEvent(m$package, "onLoad"), register)
    })
  }
}
