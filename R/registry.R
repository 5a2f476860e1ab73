# The plugin registry: one mechanism for built-in and user plugins of every
# kind (index, covariance, lab_grading, aesi, ...). Each kind declares a
# validator for its implementations; each entry carries its metadata. Entries
# whose implementation is compiled live in the C++ core's table and are
# mirrored here (see sync_compiled_plugins()).

registry <- new.env(parent = emptyenv())
registry$kinds <- list()    # kind -> list(validate, description)
registry$entries <- list()  # "kind:key" -> entry
# Functions that register the built-in plugins of one area, run in .onLoad.
registry$builtins <- list()

plugin_id <- function(kind, key) paste0(kind, ":", key)

#' Declare a kind of plugin
#'
#' Each area of glycotrial declares the kind of plugin it accepts, with a
#' validator for implementations. Packages may declare their own kinds.
#'
#' @param kind Single string naming the kind, e.g. `"index"`.
#' @param validate A function `function(impl, meta)` that signals an error
#'   when `impl` is not a valid implementation, or `NULL` to accept anything.
#' @param description One line describing the kind.
#' @return The kind, invisibly.
#' @examples
#' register_plugin_kind("example_kind", description = "A demonstration kind")
#' @export
register_plugin_kind <- function(kind, validate = NULL, description = "") {
  check_string(kind)
  if (!is.null(validate) && !is.function(validate)) {
    glycotrial_abort("{.arg validate} must be a function or NULL, not {describe_value(validate)}.")
  }
  registry$kinds[[kind]] <- list(validate = validate, description = description)
  invisible(kind)
}

#' Register, get, list and remove plugins
#'
#' `register_plugin()` adds an implementation of some kind (an index, a
#' covariance structure, a lab grading scheme, ...) under a key. Built-in
#' plugins are registered through this same function when glycotrial loads.
#' Area-specific helpers such as `register_index()` and
#' `register_covariance()` call it after checking their own arguments.
#' Registering a key again with different content is an error unless
#' `overwrite = TRUE`; registering identical content again does nothing.
#'
#' @param kind Kind of plugin (see [glycotrial_plugins()] for those known).
#' @param key Name of the plugin, e.g. `"homa1_ir"`: letters, digits, `_`, `.`.
#' @param impl The implementation: usually an R function or a list; a
#'   compiled plugin is represented by a `glycotrial_compiled_plugin` handle.
#' @param description One line describing the plugin.
#' @param units Units of inputs and output, as one string (`NA` if none).
#' @param reference Literature or documentation reference.
#' @param package Package providing the plugin (defaults to the caller's
#'   package, or `"user"` from the global environment).
#' @param meta A named list of further kind-specific metadata.
#' @param overwrite Replace an existing plugin with the same key?
#' @return `register_plugin()` returns the entry invisibly; `get_plugin()` the
#'   entry (a list with `kind`, `key`, `impl`, `description`, `units`,
#'   `reference`, `package`, `meta`); `unregister_plugin()` `TRUE` if
#'   something was removed; `glycotrial_plugins()` a data frame.
#' @examples
#' register_plugin_kind("greeting", validate = function(impl, meta) {
#'   if (!is.function(impl)) stop("impl must be a function")
#' })
#' register_plugin("greeting", "hello", function() "hello",
#'                 description = "Says hello")
#' get_plugin("greeting", "hello")$impl()
#' glycotrial_plugins("greeting")
#' unregister_plugin("greeting", "hello")
#' @export
register_plugin <- function(kind, key, impl, description = "", units = NA_character_,
                            reference = NA_character_, package = NULL, meta = list(),
                            overwrite = FALSE) {
  check_string(kind)
  check_plugin_key(key)
  check_flag(overwrite)
  spec <- registry$kinds[[kind]]
  if (is.null(spec)) {
    glycotrial_abort(c("Unknown plugin {.arg kind} {.val {kind}}.",
                       "i" = "Known kinds: {.val {names(registry$kinds)}}."))
  }
  if (is.null(package)) package <- calling_package()
  if (!is.null(spec$validate)) {
    tryCatch(spec$validate(impl, meta), error = function(e) {
      if (inherits(e, "glycotrial_error")) stop(e)
      glycotrial_abort("Invalid {kind} plugin {.val {key}}: {conditionMessage(e)}",
                       call = NULL)
    })
  }
  entry <- list(kind = kind, key = key, impl = impl,
                description = as.character(description),
                units = as.character(units), reference = as.character(reference),
                package = package, meta = meta)
  id <- plugin_id(kind, key)
  old <- registry$entries[[id]]
  if (!is.null(old) && !overwrite) {
    if (identical(old[names(old) != "impl"], entry[names(entry) != "impl"]) &&
        identical(deparse(old$impl), deparse(entry$impl))) {
      return(invisible(old))
    }
    glycotrial_abort(c(
      "A {kind} plugin with key {.val {key}} is already registered (by {.pkg {old$package}}).",
      "i" = "Use {.code overwrite = TRUE} to replace it, or choose another key."),
      class = c("input", "glycotrial_error_registry_conflict"))
  }
  registry$entries[[id]] <- entry
  invisible(entry)
}

check_plugin_key <- function(key, call = sys.call(-1)) {
  check_string(key, arg = "key", call = call)
  if (!grepl("^[A-Za-z0-9_.]+$", key)) {
    glycotrial_abort("{.arg key} may contain only letters, digits, {.val _} and {.val .}; found {.val {key}}.",
                     call = call)
  }
}

# The package on whose behalf a plugin is registered: glycotrial while it
# loads its built-ins, otherwise the namespace of the first caller outside
# glycotrial, or "user" when that caller is not in a package.
calling_package <- function() {
  if (isTRUE(registry$loading)) return("glycotrial")
  skip <- list(topenv(environment(calling_package)), baseenv(), .BaseNamespaceEnv)
  for (i in rev(seq_len(sys.nframe()))) {
    env <- topenv(sys.frame(i))
    if (any(vapply(skip, identical, logical(1), env))) next
    return(if (isNamespace(env)) environmentName(env) else "user")
  }
  "user"
}

#' @rdname register_plugin
#' @export
get_plugin <- function(kind, key) {
  check_string(kind)
  check_string(key)
  sync_compiled_plugins()
  entry <- registry$entries[[plugin_id(kind, key)]]
  if (is.null(entry)) {
    known <- plugin_keys(kind)
    glycotrial_abort(c("No {kind} plugin is registered under {.val {key}}.",
                       "i" = if (length(known)) "Registered {kind} plugins: {.val {known}}."
                             else "No {kind} plugins are registered."),
                     class = c("input", "glycotrial_error_unknown_plugin"))
  }
  entry
}

plugin_keys <- function(kind) {
  ids <- names(registry$entries)
  sub(paste0("^", kind, ":"), "", ids[startsWith(ids, paste0(kind, ":"))])
}

#' @rdname register_plugin
#' @export
unregister_plugin <- function(kind, key) {
  check_string(kind)
  check_string(key)
  id <- plugin_id(kind, key)
  entry <- registry$entries[[id]]
  if (is.null(entry)) return(invisible(FALSE))
  if (inherits(entry$impl, "glycotrial_compiled_plugin")) {
    cpp_unregister_compiled(kind, key)
  }
  registry$entries[[id]] <- NULL
  invisible(TRUE)
}

#' List registered plugins
#'
#' @param kind Optional kind to filter on (e.g. `"index"`, `"covariance"`,
#'   `"lab_grading"`).
#' @return A data frame with one row per plugin and columns `kind`, `key`,
#'   `package`, `implementation` (`"R"` or `"C++"`), `description`, `units`,
#'   `reference`.
#' @examples
#' head(glycotrial_plugins())
#' @rdname register_plugin
#' @export
glycotrial_plugins <- function(kind = NULL) {
  if (!is.null(kind)) check_string(kind)
  sync_compiled_plugins()
  entries <- registry$entries
  if (!is.null(kind)) entries <- Filter(function(e) e$kind == kind, entries)
  col <- function(f) vapply(entries, function(e) {
    v <- f(e)
    if (length(v) == 0 || is.null(v)) NA_character_ else as.character(v[1])
  }, character(1), USE.NAMES = FALSE)
  out <- data.frame(
    kind = col(function(e) e$kind),
    key = col(function(e) e$key),
    package = col(function(e) e$package),
    implementation = col(function(e) if (inherits(e$impl, "glycotrial_compiled_plugin")) "C++" else "R"),
    description = col(function(e) e$description),
    units = col(function(e) e$units),
    reference = col(function(e) e$reference),
    stringsAsFactors = FALSE
  )
  out <- out[order(out$kind, out$key), , drop = FALSE]
  rownames(out) <- NULL
  out
}

#' Handle to a compiled plugin
#'
#' A compiled plugin (registered from C/C++ through the API in
#' `inst/include/glycotrial/`) appears in the registry with an implementation
#' of class `glycotrial_compiled_plugin`. Areas of glycotrial dispatch on this
#' class to call the core directly.
#'
#' @param kind,key Kind and key of the plugin.
#' @return An object of class `glycotrial_compiled_plugin`.
#' @examples
#' compiled_plugin("covariance", "ar1")
#' @export
compiled_plugin <- function(kind, key) {
  structure(list(kind = kind, key = key), class = "glycotrial_compiled_plugin")
}

#' @export
print.glycotrial_compiled_plugin <- function(x, ...) {
  cat("<compiled glycotrial plugin ", x$kind, ":", x$key, ">\n", sep = "")
  invisible(x)
}

# Mirror the core's table of compiled plugins into the R registry: new ones
# are added, ones removed from the core are dropped. An R plugin of the same
# key is never replaced silently.
sync_compiled_plugins <- function() {
  core <- cpp_compiled_plugins()
  core_ids <- plugin_id(core$kind, core$key)
  for (i in seq_len(nrow(core))) {
    id <- core_ids[i]
    old <- registry$entries[[id]]
    if (!is.null(old) && !inherits(old$impl, "glycotrial_compiled_plugin")) next
    # A compiled plugin registered again from R with metadata (e.g. the
    # built-in indices' accepted units and formulas) keeps that metadata.
    if (!is.null(old) && length(old$meta) && identical(old$package, core$package[i])) next
    if (is.null(registry$kinds[[core$kind[i]]])) register_plugin_kind(core$kind[i])
    registry$entries[[id]] <- list(
      kind = core$kind[i], key = core$key[i], impl = compiled_plugin(core$kind[i], core$key[i]),
      description = core$description[i],
      units = if (nzchar(core$units[i])) core$units[i] else NA_character_,
      reference = core$reference[i], package = core$package[i], meta = list())
  }
  for (id in names(registry$entries)) {
    e <- registry$entries[[id]]
    if (inherits(e$impl, "glycotrial_compiled_plugin") && !id %in% core_ids) {
      registry$entries[[id]] <- NULL
    }
  }
  invisible(NULL)
}

# Each area calls this at top level with a function that registers its
# built-in plugins (through register_plugin() like any user plugin); .onLoad
# runs them all.
add_builtin_plugins <- function(area, fun) {
  registry$builtins[[area]] <- fun
  invisible(area)
}

register_builtin_plugins <- function() {
  registry$loading <- TRUE
  on.exit(registry$loading <- FALSE)
  for (area in names(registry$builtins)) registry$builtins[[area]]()
  sync_compiled_plugins()
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
