# Small helpers used across the package.

# NULL-default: `a %||% b` is b when a is NULL (base R has it only from 4.4.0,
# rlang's copy would make rlang an import for one line).
`%||%` <- function(a, b) if (is.null(a)) b else a
