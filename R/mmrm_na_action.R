# na.action of mmrm_fit(): results in the row order of the data, named by its
# row names, the unused rows left out (na.omit) or padded with NA
# (na.exclude), as lm() and nlme::gls() do. The engine works on the rows
# sorted by subject and visit (object$rows: their numbers in the data).

mmrm_na_action_type <- function(na.action) {
  if (is.character(na.action) && length(na.action) == 1 && !is.na(na.action)) {
    if (na.action %in% c("na.omit", "na.exclude", "na.fail")) return(sub("^na\\.", "", na.action))
  } else if (is.function(na.action)) {
    for (nm in c("omit", "exclude", "fail")) {
      if (identical(na.action, get(paste0("na.", nm), envir = asNamespace("stats")))) return(nm)
    }
  }
  glycotrial_abort(c(
    "{.arg na.action} must be {.fn na.omit}, {.fn na.exclude} or {.fn na.fail} (or their names).",
    "x" = "Found {describe_value(na.action)}."),
    call = NULL)
}

mmrm_na_action_moments <- function(na_type) {
  if (!identical(na_type, "omit")) {
    glycotrial_abort(c(
      "{.arg na.action} = {.fn na.{na_type}} needs the data rows; a fit from pattern moments (data sources, or data frames of at least {.code getOption(\"glycotrial.mmrm_moment_rows\")} rows) drops incomplete rows.",
      "i" = "Use the default {.code na.action = na.omit}, or fit a smaller data frame."),
      call = NULL)
  }
  invisible(NULL)
}

mmrm_na_action_store <- function(obj, na_type, data) {
  n0 <- nrow(data)
  if (identical(na_type, "fail") && length(obj$rows) < n0) {
    glycotrial_abort(c(
      "{n0 - length(obj$rows)} row{?s} of {.arg data} {?has/have} missing values in the model's variables and {.code na.action = na.fail}.",
      "i" = "Remove them first, or use {.code na.action = na.omit} (or {.code na.exclude})."),
      class = c("glycotrial_error_na_fail", "glycotrial_error_input"), call = NULL)
  }
  rn <- row.names(data)
  obj$na_action <- na_type
  obj$data_rownames <- rn
  obj$n_data <- n0
  if (identical(na_type, "exclude") && length(obj$rows) < n0) {
    obj$data_excluded <- data[-obj$rows, , drop = FALSE]
  }
  obj
}

# Values in engine order (one per used row) -> the data's row order, named
# by row name; padded with NA for na.exclude.
mmrm_to_data_order <- function(object, v) {
  rows <- object$rows
  rn <- object$data_rownames %||% as.character(seq_len(max(rows)))
  if (identical(object$na_action, "exclude")) {
    out <- rep(NA_real_, object$n_data)
    out[rows] <- v
    names(out) <- rn
    return(out)
  }
  o <- order(rows)
  out <- v[o]
  names(out) <- rn[rows[o]]
  out
}

# The model data in the data's row order (with the unused rows for
# na.exclude).
mmrm_data_in_order <- function(object) {
  d <- object$data
  o <- order(object$rows)
  d <- d[o, , drop = FALSE]
  if (identical(object$na_action, "exclude") && !is.null(object$data_excluded)) {
    all_rows <- c(object$rows[o], setdiff(seq_len(object$n_data), object$rows))
    d <- rbind(d, object$data_excluded)
    d <- d[order(all_rows), , drop = FALSE]
  }
  d
}
