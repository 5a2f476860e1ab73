# Row order and na.action for fit_lmm()/fit_joint() results. Models are
# fitted in subject-visit order; fitted(), residuals(), predict() (without
# newdata) and augment() come back in the order of the rows of `data`, named
# by its row names, as lm() and nlme do. With na.action = "na.exclude" the
# rows dropped for missing values are padded with NA (stats::naresid()), so
# that `data$fit <- fitted(fit)` lines up; "na.omit" (default) leaves them
# out; "na.fail" refuses data with incomplete rows.

lmm_na_action_name <- function(na.action, call = NULL) {
  if (is.function(na.action)) {
    for (nm in c("na.omit", "na.exclude", "na.fail")) {
      if (identical(na.action, get(nm, envir = asNamespace("stats")))) return(nm)
    }
  }
  if (is.character(na.action) && length(na.action) == 1 &&
      na.action %in% c("na.omit", "na.exclude", "na.fail")) {
    return(na.action)
  }
  glycotrial_abort(c("{.arg na.action} must be {.val na.omit}, {.val na.exclude} or {.val na.fail} (a name or the function).",
                     "x" = "Found {describe_value(na.action)}."), call = call)
}

# Stores the data's row names and the rows left out (class "omit"/"exclude"
# as stats::na.omit() gives them) in the fit; refuses incomplete rows under
# na.fail.
lmm_record_rows <- function(fit, data, na_action, incomplete = NULL, call = NULL) {
  rows <- fit$design$rows
  rn <- rownames(data)
  omitted <- setdiff(seq_len(nrow(data)), rows)
  if (is.null(incomplete)) incomplete <- omitted
  if (length(incomplete) && na_action == "na.fail") {
    omitted <- incomplete
    glycotrial_abort(c("{.arg data} has {length(omitted)} row{?s} with missing values in the model's variables and {.arg na.action} is {.val na.fail}.",
                       "x" = "First incomplete row: {omitted[1]}.",
                       "i" = "Use {.code na.action = \"na.omit\"} (drop them) or {.code \"na.exclude\"} (drop them, NA in fitted()/residuals())."),
                     call = call)
  }
  fit$row_names <- rn[sort(rows)]
  fit$na.action <- if (length(omitted)) {
    structure(omitted, names = rn[omitted], class = if (na_action == "na.exclude") "exclude" else "omit")
  } else NULL
  fit
}

# A vector (or matrix, by rows) in model order -> data row order, named by
# the data's row names, padded for na.exclude.
lmm_in_data_order <- function(object, x) {
  o <- order(object$design$rows)
  nm <- object$row_names
  if (is.matrix(x)) {
    x <- x[o, , drop = FALSE]
    if (length(nm) == nrow(x)) rownames(x) <- nm
  } else {
    x <- x[o]
    names(x) <- if (length(nm) == length(x)) nm else NULL
  }
  if (!is.null(object$na.action)) x <- stats::naresid(object$na.action, x)
  x
}
