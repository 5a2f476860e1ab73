# The template's `data` parameter: "" (the shipped example trial), a path to an
# .rds file holding list(adsl, adlb, adae, adex), or the names of four data
# frames (adsl, adlb, adae, adex, in that order, comma-separated) visible from
# `envir`, the environment the report is knitted in.
report_data <- function(spec, envir = parent.frame()) {
  check_string(spec, arg = "params$data")
  need <- c("adsl", "adlb", "adae", "adex")
  if (!nzchar(trimws(spec))) {
    return(list(adsl = glycotrial::adsl, adlb = glycotrial::adlb,
                adae = glycotrial::adae, adex = glycotrial::adex))
  }
  if (grepl("\\.rds$", spec, ignore.case = TRUE)) {
    if (!file.exists(spec)) {
      glycotrial_abort("{.arg params$data}: file {.file {spec}} does not exist.")
    }
    dat <- readRDS(spec)
    if (!is.list(dat) || !all(need %in% names(dat))) {
      glycotrial_abort(c("{.arg params$data}: {.file {spec}} must hold a list with elements {.val {need}}.",
                         "x" = "Found: {.cls {class(dat)}} with names {.val {names(dat)}}."))
    }
    return(dat[need])
  }
  nm <- trimws(strsplit(spec, ",", fixed = TRUE)[[1]])
  if (length(nm) != 4L || any(!nzchar(nm))) {
    glycotrial_abort(c("{.arg params$data} must be an {.file .rds} path or four data frame names (adsl, adlb, adae, adex) separated by commas.",
                       "x" = "Found {.val {spec}}."))
  }
  out <- lapply(nm, function(n) {
    if (!exists(n, envir = envir)) {
      glycotrial_abort("{.arg params$data}: no object {.val {n}} in the environment the report is rendered in.")
    }
    x <- get(n, envir = envir)
    if (!is.data.frame(x)) {
      glycotrial_abort("{.arg params$data}: {.val {n}} must be a data frame, not {.cls {class(x)}}.")
    }
    x
  })
  stats::setNames(out, need)
}
