# Console layout of glycotrial result tables: one aligned block at the
# console width (getOption("width")), header words wrapped inside their
# column, the first column (terms) truncated so the other columns fit, the
# first `n` rows and a "... N more rows" footer, as tibble prints.

# Character matrix view of a data frame: NA shown as "", numbers formatted
# per column (whole numbers as integers).
console_cells <- function(tab, digits = 4) {
  out <- lapply(tab, function(v) {
    if (is.factor(v)) v <- as.character(v)
    if (is.numeric(v)) {
      whole <- all(is.na(v) | (is.finite(v) & abs(v - round(v)) < 1e-9))
      s <- if (whole) format(round(v), trim = TRUE, scientific = FALSE) else
        format(signif(v, digits), trim = TRUE, drop0trailing = TRUE)
      s[is.na(v)] <- ""
      return(s)
    }
    s <- as.character(v)
    s[is.na(s)] <- ""
    s
  })
  names(out) <- names(tab)
  out
}

# Strings cut to `w` display characters with a trailing ellipsis (leading
# spaces, the indentation of PT rows, are kept).
console_truncate <- function(s, w) {
  ell <- if (cli::is_utf8_output()) "\u2026" else "~"
  long <- nchar(s) > w
  s[long] <- paste0(substr(s[long], 1, max(1, w - 1)), ell)
  s
}

# Header wrapped into lines of at most `w` characters (words kept whole).
console_header_lines <- function(h, w) {
  if (!nzchar(h)) return("")
  strwrap(h, width = w + 1)
}

#' Compact console layout of a table
#'
#' Internal: lays out a data frame as one aligned block no wider than
#' `width`: the first column is truncated (keeping its indentation), the
#' others are right-aligned with their headers wrapped word by word; columns
#' that still do not fit are named in a footer, and rows beyond `n` are
#' counted in a "... N more rows" footer.
#' @noRd
console_table <- function(tab, width = getOption("width", 80), n = 20, digits = 4) {
  width <- max(40L, as.integer(width))
  cells <- console_cells(as.data.frame(tab, stringsAsFactors = FALSE), digits)
  nr <- if (length(cells)) length(cells[[1]]) else 0L
  shown <- seq_len(min(nr, n))
  cells <- lapply(cells, `[`, shown)
  hdr <- names(cells)
  # Width of a column: its longest cell or header word, the header wrapped
  # to at most two words per line where that fits in the data width.
  col_w <- vapply(seq_along(cells), function(j) {
    words <- strsplit(hdr[j], "\\s+")[[1]]
    max(c(nchar(cells[[j]]), nchar(words), 1L))
  }, integer(1))
  gap <- 1L
  first_min <- min(col_w[1], 12L)
  keep <- length(cells)
  while (keep > 1 && sum(col_w[2:keep]) + gap * (keep - 1) + first_min > width) keep <- keep - 1
  dropped <- if (keep < length(cells)) hdr[(keep + 1):length(cells)] else character()
  col_w[1] <- max(first_min, min(col_w[1], width - (if (keep > 1) sum(col_w[2:keep]) + gap * (keep - 1) else 0)))
  idx <- seq_len(keep)
  cells[[1]] <- console_truncate(cells[[1]], col_w[1])
  hl <- lapply(idx, function(j) console_truncate(console_header_lines(hdr[j], col_w[j]), col_w[j]))
  nh <- max(lengths(hl))
  pad <- function(s, w, right) formatC(s, width = if (right) w else -w)
  lines <- character()
  for (k in seq_len(nh)) {
    parts <- vapply(idx, function(j) {
      h <- hl[[j]]
      h <- c(rep("", nh - length(h)), h)[k]
      pad(h, col_w[j], j > 1)
    }, character(1))
    lines <- c(lines, paste(parts, collapse = strrep(" ", gap)))
  }
  for (i in seq_along(shown)) {
    parts <- vapply(idx, function(j) pad(cells[[j]][i], col_w[j], j > 1), character(1))
    lines <- c(lines, paste(parts, collapse = strrep(" ", gap)))
  }
  lines <- sub("\\s+$", "", lines)
  if (nr > length(shown)) lines <- c(lines, sprintf("# ... %d more rows", nr - length(shown)))
  if (length(dropped)) {
    lines <- c(lines, strwrap(sprintf("# %d more column%s: %s", length(dropped),
                                      if (length(dropped) > 1) "s" else "",
                                      paste(dropped, collapse = ", ")), width = width))
  }
  lines
}

console_cat <- function(lines) cat(lines, sep = "\n")

# Whole numbers print as integers ("9/45"), fractional ones with one decimal
# (multiple-imputation averages).
fmt_count <- function(v) {
  ifelse(is.na(v), "NA", ifelse(abs(v - round(v)) < 1e-9, format(round(v), trim = TRUE),
                                formatC(v, format = "f", digits = 1)))
}

# p-values as in the report: "<0.001", never "0.000".
fmt_pvalue <- function(p, digits = 3) {
  lim <- 10^-digits
  ifelse(is.na(p), "", ifelse(p < lim, paste0("<", formatC(lim, format = "f", digits = digits)),
                              formatC(p, format = "f", digits = digits)))
}

#' Summary printing of derived data sets
#'
#' [grade_lab()] and [derive_responders()] return data frames (every data
#' frame operation works on them); at the console they print a short summary
#' and the first rows instead of thousands of lines. Use
#' `as.data.frame()` or `print(as.data.frame(x))` for the full listing.
#'
#' @param x A result of [grade_lab()] (`glycotrial_graded_lab`) or
#'   [derive_responders()] (`glycotrial_responders`).
#' @param n Number of rows to show.
#' @param ... Unused.
#' @return `x`, invisibly.
#' @examples
#' lb <- data.frame(USUBJID = 1, PARAMCD = "ALT", AVAL = c(30, 45, 130, 210, 900),
#'                  AVALU = "U/L", ANRLO = 0, ANRHI = 40, BASE = 30)
#' grade_lab(lb)
#' derive_responders(adlb, adsl)
#' @name derived_printing
NULL

#' @rdname derived_printing
#' @export
print.glycotrial_graded_lab <- function(x, n = 10, ...) {
  df <- as.data.frame(unclass_df(x))
  cat(sprintf("# Graded lab data: %d records, %d parameters, %d subjects\n", nrow(df),
              if ("PARAMCD" %in% names(df)) length(unique(df$PARAMCD)) else NA_integer_,
              if ("USUBJID" %in% names(df)) length(unique(df$USUBJID)) else NA_integer_))
  for (dir in c("H", "L")) {
    g <- df[[paste0("ATOXGR", dir)]]
    if (is.null(g)) next
    tab <- table(factor(g[!is.na(g)], levels = 0:5))
    cat(sprintf("# Grade (%s): %s; ungraded %d\n", if (dir == "H") "high" else "low",
                paste0(names(tab), ": ", as.integer(tab), collapse = ", "), sum(is.na(g))))
  }
  cols <- intersect(c("USUBJID", "PARAMCD", "AVISIT", "AVAL", "ATOXGRH", "ATOXGRL", "ATOXGR"),
                    names(df))
  if (!length(cols)) cols <- names(df)
  console_cat(console_table(df[, cols, drop = FALSE], n = n))
  invisible(x)
}

#' @rdname derived_printing
#' @export
print.glycotrial_responders <- function(x, n = 10, ...) {
  df <- unclass_df(x)
  resp <- attr(x, "response") %||% "RESPONDER"
  arm <- attr(x, "arm") %||% "ARM"
  cat(sprintf("# Responders (%s): %d subjects\n", resp, nrow(df)))
  if (resp %in% names(df) && arm %in% names(df)) {
    r <- df[[resp]]
    a <- as.character(df[[arm]])
    for (lv in unique(a)) {
      ri <- r[a == lv]
      cat(sprintf("#   %s: %s/%s responders, %s missing\n", lv, fmt_count(sum(ri, na.rm = TRUE)),
                  fmt_count(sum(!is.na(ri))), fmt_count(sum(is.na(ri)))))
    }
  }
  subj <- attr(x, "subject") %||% "USUBJID"
  comp <- grep("_RESP$", names(df), value = TRUE)
  cols <- intersect(c(subj, arm, comp, resp, "REASON"), names(df))
  console_cat(console_table(df[, cols, drop = FALSE], n = n))
  invisible(x)
}

unclass_df <- function(x) {
  attrs <- setdiff(names(attributes(x)), c("names", "row.names", "class"))
  for (a in attrs) attr(x, a) <- NULL
  class(x) <- "data.frame"
  x
}

