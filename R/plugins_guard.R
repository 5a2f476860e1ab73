# Guards around plugin code: bounds on the sizes a plugin reports, checks of
# what it returns, and errors raised inside user plugins wrapped as
# glycotrial_error_plugin_failed. (The compiled side does the same in
# src/core/common/plugin_registry.cpp; the bounds are the same.)

plugin_max_visits <- 10000L
plugin_min_theta_bound <- 64L

# Number of parameters a structure reports for n_visits visits: at most
# max(n_visits^2, 64), for at most 1e4 visits, before anything is allocated.
check_plugin_n_theta <- function(key, k, n_visits) {
  if (n_visits > plugin_max_visits) {
    glycotrial_abort(c("Covariance structure {.val {key}} over {n_visits} visits: at most {plugin_max_visits} are supported.",
                       "i" = "Use a spatial structure on the visit times instead."),
                     class = c("glycotrial_error_plugin_output", "glycotrial_error_input"),
                     call = NULL)
  }
  bound <- max(as.numeric(n_visits)^2, plugin_min_theta_bound)
  if (k > bound) {
    glycotrial_abort(c("Covariance structure {.val {key}} reports {format(k, big.mark = ',', scientific = FALSE)} parameters for {n_visits} visit{?s}.",
                       "i" = "A plugin may have at most {format(bound, big.mark = ',')} (visits squared); check its {.code n_theta}."),
                     class = c("glycotrial_error_plugin_output", "glycotrial_error_numerical"),
                     call = NULL)
  }
  invisible(k)
}

# f wrapped so that an error raised inside it (not one of glycotrial's own
# classed errors) becomes glycotrial_error_plugin_failed naming the plugin,
# with the original message and condition (`parent`) kept.
wrap_plugin_function <- function(f, kind, key, what) {
  force(f)
  wrapper <- function(...) call_plugin_function(f, list(...), kind, key, what)
  wrapper
}

call_plugin_function <- function(f, args, kind, key, what = "function") {
  withCallingHandlers(
    do.call(f, args),
    error = function(e) {
      if (inherits(e, "glycotrial_error")) return()
      msg <- conditionMessage(e)
      glycotrial_abort(c("The {kind} plugin {.val {key}} failed in {.code {what}}: {msg}"),
                       class = c("glycotrial_error_plugin_failed", "glycotrial_error_input"),
                       original_message = msg, parent = e, call = NULL)
    })
}

# The value of an R index: numeric (or all-NA logical); a factor, character
# or list is refused rather than having its codes used.
check_index_output <- function(out, key) {
  if (is.logical(out) && all(is.na(out))) return(as.numeric(out))
  if (!is.numeric(out) || is.factor(out) || is.object(out) && !inherits(out, c("numeric", "integer"))) {
    glycotrial_abort(c("Index plugin {.val {key}} returned {describe_value(out)}; it must return numbers.",
                       "i" = "Return a numeric vector (e.g. {.code as.numeric(...)}); factor codes are never used as values."),
                     class = c("glycotrial_error_plugin_output", "glycotrial_error_numerical"),
                     call = NULL)
  }
  as.numeric(out)
}
