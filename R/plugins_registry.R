# The plugin registry: one mechanism for built-in and user plugins of every
# kind (index, covariance, lab_grading, aesi, ...). Each kind declares a
# validator for its implementations; each entry carries its metadata. Entries
# whose implementation is compiled live in the C++ core's table and are
# mirrored here (see sync_compiled_plugins()).

registry <- new.env(parent = emptyenv())
registry$kinds <- list()    # kind -> list(validate, description, builtin)
# One table per kind: kind -> named list key -> entry. Lookups are exact
# (`[[` on names; never a regular expression or a "kind:key" string), so
# keys of different kinds cannot collide.
registry$tables <- list()
# Functions that register the built-in plugins of one area, run in .onLoad.
registry$builtins <- list()

plugin_entry <- function(kind, key) {
  tbl <- registry$tables[[kind]]
  if (is.null(tbl)) NULL else tbl[[key]]
}

set_plugin_entry <- function(kind, key, entry) {
  tbl <- registry$tables[[kind]] %||% list()
  tbl[[key]] <- entry
  registry$tables[[kind]] <- tbl
  invisible(entry)
}

all_plugin_entries <- function() unlist(unname(registry$tables), recursive = FALSE)

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
  old <- registry$kinds[[kind]]
  if (isTRUE(old$builtin) && !isTRUE(registry$loading)) {
    glycotrial_abort(c(
      "Plugin kind {.val {kind}} is built into glycotrial and cannot be declared again.",
      "i" = "Its checks stay in force; choose another name for a new kind."),
      class = c("input", "glycotrial_error_registry_conflict"))
  }
  registry$kinds[[kind]] <- list(validate = validate, description = description,
                                 builtin = isTRUE(registry$loading))
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
#' The plugins built into glycotrial (for example the covariance structure
#' `"us"` or the index `"homa1_ir"`) are protected: replacing or removing one
#' needs `override_builtin = TRUE` as well, and emits a message of class
#' `glycotrial_message_builtin_override` naming the package that did it (the
#' same holds for compiled plugins, which need the flag
#' `GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN`). Unregistering the override brings
#' the built-in back. A compiled plugin whose shared library has been
#' unloaded is dropped from the registry; using it is an error of class
#' `glycotrial_error_plugin_unloaded`.
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
#' @param override_builtin Allow replacing (or, in `unregister_plugin()`,
#'   removing) a plugin built into glycotrial?
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
                            overwrite = FALSE, override_builtin = FALSE) {
  check_string(kind)
  check_plugin_key(key)
  check_flag(overwrite)
  check_flag(override_builtin)
  spec <- registry$kinds[[kind]]
  if (is.null(spec)) {
    glycotrial_abort(c("Unknown plugin {.arg kind} {.val {kind}}.",
                       "i" = "Known kinds: {.val {names(registry$kinds)}}."))
  }
  registered_by <- calling_package()
  if (is.null(package)) package <- registered_by
  if (!is.null(spec$validate)) {
    tryCatch(spec$validate(impl, meta), error = function(e) {
      if (inherits(e, "glycotrial_error")) stop(e)
      glycotrial_abort("Invalid {kind} plugin {.val {key}}: {conditionMessage(e)}",
                       call = NULL)
    })
  }
  loading <- isTRUE(registry$loading)
  entry <- list(kind = kind, key = key, impl = impl,
                description = as.character(description),
                units = as.character(units), reference = as.character(reference),
                package = package, meta = meta,
                registered_by = if (loading) "glycotrial" else registered_by,
                builtin = loading)
  old <- plugin_entry(kind, key)
  same <- function(a, b) {
    skip <- c("impl", "shadow", "registered_by")
    identical(a[setdiff(names(a), skip)], b[setdiff(names(b), skip)]) &&
      identical(deparse(a$impl), deparse(b$impl))
  }
  if (!is.null(old) && !loading) {
    protected <- isTRUE(old$builtin) || !is.null(old$shadow)
    if (protected && !override_builtin) {
      if (!overwrite && same(old, entry)) return(invisible(old))
      glycotrial_abort(c(
        "{.val {key}} is a {kind} plugin built into glycotrial; it is not replaced.",
        "i" = "Choose another key, or opt in with {.code override_builtin = TRUE} (and {.code overwrite = TRUE})."),
        class = c("input", "glycotrial_error_registry_conflict", "glycotrial_error_builtin_protected"))
    }
    if (!overwrite && !override_builtin) {
      if (same(old, entry)) return(invisible(old))
      glycotrial_abort(c(
        "A {kind} plugin with key {.val {key}} is already registered (by {.pkg {old$package}}).",
        "i" = "Use {.code overwrite = TRUE} to replace it, or choose another key."),
        class = c("input", "glycotrial_error_registry_conflict"))
    }
    if (protected) {
      # Keep the built-in to restore it when the override is unregistered.
      entry$shadow <- if (isTRUE(old$builtin)) old else old$shadow
    }
  }
  set_plugin_entry(kind, key, entry)
  if (!is.null(entry$shadow)) {
    inform_builtin_override(kind, key, package)
  }
  invisible(entry)
}

# The classed message for a built-in replaced by a package.
inform_builtin_override <- function(kind, key, package, text = NULL) {
  if (is.null(text)) {
    text <- sprintf("Package '%s' overrides the built-in %s plugin '%s'.", package, kind, key)
  }
  glycotrial_inform(gsub("([{}])", "\\1\\1", text),
                    class = "glycotrial_message_builtin_override",
                    kind = kind, key = key, package = package)
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
  ns <- topenv(environment(calling_package))
  # Follow the chain of callers (sys.parents(), not the frame stack, so the
  # frames of evaluation helpers such as rlang's or testthat's do not count)
  # out of glycotrial's own functions.
  parents <- sys.parents()
  i <- sys.nframe()
  while (i > 0 && identical(topenv(sys.frame(i)), ns)) i <- parents[i]
  if (i == 0) return("user")
  env <- topenv(sys.frame(i))
  if (isNamespace(env) && !identical(env, .BaseNamespaceEnv)) environmentName(env) else "user"
}

#' @rdname register_plugin
#' @export
get_plugin <- function(kind, key) {
  check_string(kind)
  check_string(key)
  sync_compiled_plugins()
  entry <- plugin_entry(kind, key)
  if (is.null(entry)) {
    abort_if_unloaded(kind, key)
    known <- plugin_keys(kind)
    glycotrial_abort(c("No {kind} plugin is registered under {.val {key}}.",
                       "i" = if (length(known)) "Registered {kind} plugins: {.val {known}}."
                             else "No {kind} plugins are registered."),
                     class = c("input", "glycotrial_error_unknown_plugin"))
  }
  entry
}

plugin_keys <- function(kind) {
  names(registry$tables[[kind]]) %||% character()
}

# A compiled plugin dropped because its shared library was unloaded: a
# classed error rather than "unknown plugin".
abort_if_unloaded <- function(kind, key, call = NULL) {
  dll <- if (kind %in% c("covariance", "index")) cpp_plugin_unloaded_owner(kind, key) else ""
  if (!nzchar(dll)) return(invisible(NULL))
  glycotrial_abort(c(
    "The {kind} plugin {.val {key}} is gone: its shared library {.file {dll}} has been unloaded.",
    "i" = "Load the package that provides it again (e.g. {.code library({dll})})."),
    class = c("glycotrial_error_plugin_unloaded", "glycotrial_error_input"), call = call)
}

#' @rdname register_plugin
#' @export
unregister_plugin <- function(kind, key, override_builtin = FALSE) {
  check_string(kind)
  check_string(key)
  check_flag(override_builtin)
  entry <- plugin_entry(kind, key)
  if (is.null(entry)) return(invisible(FALSE))
  if (isTRUE(entry$builtin) && !override_builtin) {
    glycotrial_abort(c(
      "{.val {key}} is a {kind} plugin built into glycotrial; it is not removed.",
      "i" = "Opt in with {.code override_builtin = TRUE} to remove it."),
      class = c("input", "glycotrial_error_builtin_protected"))
  }
  if (inherits(entry$impl, "glycotrial_compiled_plugin")) {
    cpp_unregister_compiled(kind, key)
  }
  if (!is.null(entry$shadow)) {
    # The override goes; the built-in it replaced comes back.
    shadow <- entry$shadow
    if (inherits(shadow$impl, "glycotrial_compiled_plugin") &&
        inherits(entry$impl, "glycotrial_compiled_plugin")) {
      sync_compiled_plugins()
    } else {
      set_plugin_entry(kind, key, shadow)
    }
  } else {
    tbl <- registry$tables[[kind]]
    tbl[[key]] <- NULL
    registry$tables[[kind]] <- tbl
  }
  # Messages last, once the registry is consistent (a handler may not return).
  flush_plugin_notices()
  if (isTRUE(entry$builtin)) {
    inform_builtin_override(kind, key, calling_package(),
                            sprintf("The built-in %s plugin '%s' was removed.", kind, key))
  }
  invisible(TRUE)
}

#' List registered plugins
#'
#' @param kind Optional kind to filter on (e.g. `"index"`, `"covariance"`,
#'   `"lab_grading"`).
#' @return A data frame with one row per plugin and columns `kind`, `key`,
#'   `package`, `implementation` (`"R"` or `"C++"`), `description`, `units`,
#'   `reference`, `registered_by` (the package whose code registered it: the
#'   calling package, or for compiled plugins the shared library) and
#'   `builtin` (`TRUE` for glycotrial's own, protected plugins).
#' @examples
#' head(glycotrial_plugins())
#' @rdname register_plugin
#' @export
glycotrial_plugins <- function(kind = NULL) {
  if (!is.null(kind)) check_string(kind)
  sync_compiled_plugins()
  entries <- if (is.null(kind)) all_plugin_entries() else registry$tables[[kind]] %||% list()
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
    registered_by = col(function(e) e$registered_by %||% e$package),
    builtin = vapply(entries, function(e) isTRUE(e$builtin), logical(1), USE.NAMES = FALSE),
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
  on.exit(flush_plugin_notices())
  for (i in seq_len(nrow(core))) {
    kind <- core$kind[i]
    key <- core$key[i]
    old <- plugin_entry(kind, key)
    if (!is.null(old) && !inherits(old$impl, "glycotrial_compiled_plugin")) next
    # A compiled plugin registered again from R with metadata (e.g. the
    # built-in indices' accepted units and formulas) keeps that metadata.
    if (!is.null(old) && length(old$meta) && identical(old$package, core$package[i])) next
    # A built-in back after its override went: restore its R-level entry.
    if (!is.null(old$shadow) && identical(old$shadow$package, core$package[i]) &&
        isTRUE(core$builtin[i])) {
      set_plugin_entry(kind, key, old$shadow)
      next
    }
    if (is.null(registry$kinds[[kind]])) register_plugin_kind(kind)
    entry <- list(
      kind = kind, key = key, impl = compiled_plugin(kind, key),
      description = core$description[i],
      units = if (nzchar(core$units[i])) core$units[i] else NA_character_,
      reference = core$reference[i], package = core$package[i], meta = list(),
      registered_by = if (nzchar(core$dll[i])) core$dll[i] else core$package[i],
      builtin = isTRUE(core$builtin[i]))
    if (!is.null(old) && !identical(old$package, core$package[i]) &&
        (isTRUE(old$builtin) || !is.null(old$shadow))) {
      entry$shadow <- if (isTRUE(old$builtin)) old else old$shadow
    } else if (!is.null(old) && !isTRUE(entry$builtin)) {
      entry$shadow <- old$shadow
    }
    set_plugin_entry(kind, key, entry)
  }
  for (kind in names(registry$tables)) {
    keep <- core$key[core$kind == kind]
    for (key in names(registry$tables[[kind]])) {
      e <- registry$tables[[kind]][[key]]
      if (inherits(e$impl, "glycotrial_compiled_plugin") && !key %in% keep) {
        tbl <- registry$tables[[kind]]
        tbl[[key]] <- NULL
        registry$tables[[kind]] <- tbl
      }
    }
  }
  invisible(NULL)
}

# Built-in overrides made through the C API (and built-ins restored) are
# recorded by the core; say them here, as classed messages.
flush_plugin_notices <- function() {
  n <- cpp_plugin_notices()
  for (i in seq_len(nrow(n))) {
    inform_builtin_override(n$kind[i], n$key[i], n$package[i],
                            paste0(toupper(substr(n$text[i], 1, 1)), substring(n$text[i], 2), "."))
  }
  invisible(nrow(n))
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
  cpp_plugins_seal_builtins()
  for (area in names(registry$builtins)) registry$builtins[[area]]()
  sync_compiled_plugins()
  # Everything registered so far is glycotrial's own: protected from now on.
  for (kind in names(registry$kinds)) registry$kinds[[kind]]$builtin <- TRUE
  for (kind in names(registry$tables)) {
    tbl <- registry$tables[[kind]]
    for (key in names(tbl)) {
      if (identical(tbl[[key]]$package, "glycotrial")) {
        tbl[[key]]$builtin <- TRUE
        tbl[[key]]$registered_by <- "glycotrial"
      }
    }
    registry$tables[[kind]] <- tbl
  }
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
