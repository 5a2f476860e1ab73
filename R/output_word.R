# Word output a medical writer accepts: tables as flextables fitted to the
# body width of the page (landscape sections for tables that do not fit a
# portrait page), SOC rows bold and PT rows indented, header rows repeated
# and rows never split across pages (set in the finished .docx by
# word_finish_docx()), figures at the page width, and a table of contents.

# Page geometry (inches) of the report: US Letter, 1-inch margins, as the
# default reference document of pandoc.
word_page <- function(orient = c("portrait", "landscape")) {
  orient <- match.arg(orient)
  w <- 8.5
  h <- 11
  mar <- 1
  if (orient == "landscape") {
    tmp <- w
    w <- h
    h <- tmp
  }
  list(orient = orient, width = w, height = h, margin = mar, body = w - 2 * mar)
}

# The display data frame of any glycotrial table object.
word_display_frame <- function(x) {
  if (inherits(x, "glycotrial_safety")) return(format(x))
  if (inherits(x, "glycotrial_responder_analysis")) return(responder_table(x))
  if (inherits(x, "glycotrial_lsmeans")) {
    d <- x$diffs
    if ("p_value" %in% names(d)) d$p_value <- fmt_pvalue(d$p_value)
    return(d)
  }
  if (!is.data.frame(x) && !is.matrix(x)) return(NULL)
  df <- as.data.frame(x, stringsAsFactors = FALSE)
  class(df) <- "data.frame"
  attr(df, "n") <- NULL
  attr(df, "counts") <- NULL
  df
}

# Character cells as shown in the report: NA as "-", numbers rounded, text
# that WordprocessingML can hold (word_text()).
word_cells <- function(df, digits = 2) {
  out <- lapply(df, function(v) {
    if (is.factor(v)) v <- as.character(v)
    if (is.numeric(v)) {
      isint <- all(is.na(v) | v == round(v))
      return(ifelse(is.na(v), "-", if (isint) format(v, trim = TRUE) else fmt_num(v, digits)))
    }
    if (inherits(v, "Date")) v <- format(v)
    word_text(ifelse(is.na(v), "-", as.character(v)))
  })
  out <- as.data.frame(out, stringsAsFactors = FALSE, optional = TRUE)
  names(out) <- word_text(names(df))
  out
}

# Longest unbreakable run of a word in a table cell (characters).
word_max_run <- 24L

# Text a Word table cell can hold: control characters (invalid in XML 1.0)
# dropped, tabs and line breaks as spaces, invalid UTF-8 bytes replaced, and
# words longer than word_max_run characters (identifiers, URLs, terms joined
# by "/") given a zero-width space as a break opportunity every
# word_max_run characters, so no column has to be as wide as the word.
word_text <- function(x) {
  x <- as.character(x)
  bad <- !is.na(x) & !validUTF8(x)
  x[bad] <- iconv(x[bad], "UTF-8", "UTF-8", sub = "?")
  x <- gsub("[\t\r\n]", " ", x, perl = TRUE)
  x <- gsub("[\\x01-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]", "", x, perl = TRUE)
  long <- !is.na(x) & grepl(sprintf("[^[:space:]\u200b]{%d}", word_max_run + 1L), x)
  if (any(long)) {
    x[long] <- gsub("([/_-])(?=[^[:space:]\u200b])", "\\1\u200b", x[long], perl = TRUE)
    x[long] <- gsub(sprintf("([^[:space:]\u200b]{%d})(?=[^[:space:]\u200b])", word_max_run),
                    "\\1\u200b", x[long], perl = TRUE)
  }
  x
}

# Longest word of each string (what a cell cannot be narrower than); a
# zero-width space is a break opportunity.
longest_word <- function(s) {
  vapply(strsplit(as.character(s), "[[:space:]\u200b]+", perl = TRUE), function(w) {
    w <- w[nzchar(w)]
    if (!length(w)) "" else w[which.max(nchar(w))]
  }, character(1))
}

#' Table for Word, HTML or Markdown reports
#'
#' Builds a `flextable` from a glycotrial table object or any data frame,
#' laid out for a Word document: font 9 pt, the column widths fitted to the
#' body width of the page (every column at least as wide as its longest
#' word, the remaining width shared in proportion to the content), rows of
#' a system organ class bold and rows of preferred terms (first-column text
#' starting with spaces) indented. A table whose words do not fit a
#' portrait page is marked for a landscape section (attribute
#' `"orientation"`). Cell text is made safe for WordprocessingML: control
#' characters dropped, `NA` shown as `"-"`, and words longer than 24
#' characters given break opportunities (zero-width spaces, after `/`, `-`,
#' `_` first) so that no column must be as wide as an identifier or URL. In
#' a Word document knitted by `rmarkdown::render()` the table rows never
#' split across pages.
#'
#' @param x A glycotrial result (safety summary, baseline or disposition
#'   table, responder analysis, least-squares means) or a data frame.
#' @param caption Optional caption (defaults to the title of a safety
#'   summary).
#' @param digits Decimals for numeric columns of a data frame.
#' @param font_size Font size in points.
#' @return A `flextable` (class `c("glycotrial_flextable", "flextable")`,
#'   whose `knitr::knit_print()` method writes valid rows in Word output)
#'   with attribute `"orientation"` (`"portrait"` or
#'   `"landscape"`).
#' @examples
#' if (requireNamespace("flextable", quietly = TRUE)) {
#'   ft <- report_flextable(ae_by_term(adae, adsl))
#'   flextable::flextable_dim(ft)$widths
#' }
#' @export
report_flextable <- function(x, caption = NULL, digits = 2, font_size = 9) {
  if (!requireNamespace("flextable", quietly = TRUE)) {
    glycotrial_abort("Package {.pkg flextable} is needed for {.fn report_flextable}.",
                     class = c("glycotrial_error_missing_package", "input"))
  }
  if (is.null(caption) && inherits(x, "glycotrial_safety")) caption <- x$title
  footnote <- if (inherits(x, "glycotrial_safety")) x$meta$footnote else attr(x, "footnote")
  df <- word_display_frame(x)
  if (!is.data.frame(df)) {
    glycotrial_abort("{.arg x} must be a glycotrial table or a data frame, not {describe_value(x)}.")
  }
  check_count(digits, len = 1L)
  check_number(font_size, lower = 4, arg = "font_size")
  cells <- word_cells(df, digits)
  nm <- names(cells)
  # SOC/PT hierarchy: first-column text indented with spaces marks child rows.
  first <- if (ncol(cells)) cells[[1]] else character()
  indent <- nchar(first) - nchar(sub("^ +", "", first))
  hier <- any(indent > 0) && any(indent == 0)
  if (ncol(cells)) cells[[1]] <- sub("^ +", "", first)
  keys <- make.names(nm, unique = TRUE)
  names(cells) <- keys
  ft <- flextable::flextable(cells)
  ft <- flextable::set_header_labels(ft, values = stats::setNames(as.list(nm), keys))
  ft <- flextable::fontsize(ft, size = font_size, part = "all")
  ft <- flextable::bold(ft, part = "header")
  ft <- flextable::align(ft, j = seq_along(keys)[-1], align = "right", part = "all")
  ft <- flextable::align(ft, j = 1, align = "left", part = "all")
  ft <- flextable::valign(ft, valign = "bottom", part = "header")
  ft <- flextable::padding(ft, padding.top = 1, padding.bottom = 1, part = "all")
  if (hier) {
    parent <- which(indent == 0)
    ft <- flextable::bold(ft, i = parent, j = 1, part = "body")
    for (lev in setdiff(unique(indent), 0)) {
      ft <- flextable::padding(ft, i = which(indent == lev), j = 1,
                               padding.left = 4 + 6 * lev, part = "body")
    }
  }
  if (!is.null(caption)) ft <- flextable::set_caption(ft, word_text(caption))
  if (!is.null(footnote)) {
    ft <- flextable::add_footer_lines(ft, word_text(footnote))
    ft <- flextable::fontsize(ft, size = font_size - 1, part = "footer")
  }
  # Smaller type (down to 6 pt) when the words do not fit even a landscape page.
  repeat {
    fitted <- word_fit(ft, cells, nm, indent, font_size)
    if (!isTRUE(attr(fitted, "too_narrow")) || font_size <= 6) break
    font_size <- font_size - 1
    ft <- flextable::fontsize(ft, size = font_size, part = "all")
  }
  attr(fitted, "too_narrow") <- NULL
  class(fitted) <- unique(c("glycotrial_flextable", class(fitted)))
  fitted
}

# Column widths: at least the longest word (plus padding and indentation),
# the rest of the body width shared in proportion to the unwrapped width.
word_fit <- function(ft, cells, header, indent, font_size) {
  nc <- ncol(cells)
  if (!nc) return(structure(ft, orientation = "portrait"))
  words <- as.data.frame(lapply(seq_len(nc), function(j) {
    c(longest_word(header[j]), longest_word(cells[[j]]))
  }), stringsAsFactors = FALSE)
  names(words) <- names(cells)
  measure <- function(d) {
    f <- flextable::delete_part(flextable::flextable(d), part = "header")
    f <- flextable::fontsize(f, size = font_size, part = "all")
    f <- flextable::bold(f, part = "all")
    flextable::dim_pretty(f)$widths
  }
  min_w <- measure(words) + 0.02
  min_w[1] <- min_w[1] + max(c(indent, 0)) * 6 / 72
  full <- pmax(flextable::dim_pretty(ft)$widths, min_w)
  orient <- "portrait"
  body <- word_page("portrait")$body
  if (sum(min_w) > body) {
    orient <- "landscape"
    body <- word_page("landscape")$body
  }
  w <- if (sum(full) <= body) {
    full * body / sum(full)
  } else if (nc > 1 && sum(full[-1]) + min_w[1] <= body) {
    # Numbers unwrapped; the term column takes the rest and wraps.
    c(body - sum(full[-1]), full[-1])
  } else if (sum(min_w) >= body) {
    min_w * body / sum(min_w)
  } else {
    extra <- full - min_w
    min_w + extra * (body - sum(min_w)) / sum(extra)
  }
  ft <- flextable::width(ft, j = seq_len(nc), width = w)
  ft <- flextable::set_table_properties(ft, layout = "fixed")
  structure(ft, orientation = orient, body_width = body, too_narrow = sum(min_w) > body)
}

# OpenXML paragraph ending a section of the given orientation.
word_section_break <- function(orient) {
  pg <- word_page(orient)
  tw <- function(inch) as.integer(round(1440 * inch))
  sprintf(paste0('<w:p><w:pPr><w:sectPr><w:pgSz w:w="%d" w:h="%d"%s/>',
                 '<w:pgMar w:top="%d" w:right="%d" w:bottom="%d" w:left="%d" ',
                 'w:header="720" w:footer="720" w:gutter="0"/></w:sectPr></w:pPr></w:p>'),
          tw(pg$width), tw(pg$height), if (orient == "landscape") ' w:orient="landscape"' else "",
          tw(pg$margin), tw(pg$margin), tw(pg$margin), tw(pg$margin))
}

# knitr output of a flextable in a Word document, wrapped in a landscape
# section when it needs one.
word_knit_table <- function(ft) {
  class(ft) <- setdiff(class(ft), "glycotrial_flextable")
  out <- word_clean_rows(as.character(knitr::knit_print(ft)))
  if (identical(attr(ft, "orientation"), "landscape")) {
    raw <- function(xml) paste0("\n\n```{=openxml}\n", xml, "\n```\n\n")
    out <- paste0(raw(word_section_break("portrait")), out, raw(word_section_break("landscape")))
  }
  knitr::asis_output(out)
}

# Table rows as WordprocessingML allows them in any renderer (also a user's
# rmarkdown::render(..., "word_document"), where word_finish_docx() does not
# run): the row ids some flextable versions write as bare text between
# <w:trPr> and the first <w:tc> dropped, rows never split across pages.
word_clean_rows <- function(xml) {
  xml <- gsub("(</w:trPr>|<w:trPr/>)[^<]+(<w:tc[ >])", "\\1\\2", xml, perl = TRUE)
  gsub("<w:trPr>(?!<w:cantSplit)", "<w:trPr><w:cantSplit/>", xml, perl = TRUE)
}

# knitr::knit_print() of report_flextable() results: in Word documents the
# cleaned rows of word_knit_table() (and a landscape section when needed);
# elsewhere flextable's own method.
knit_print_glycotrial_flextable <- function(x, options = NULL, ...) {
  if (report_output_kind() == "docx") return(word_knit_table(x))
  class(x) <- setdiff(class(x), "glycotrial_flextable")
  knitr::knit_print(x, options = options, ...)
}

# "docx" while knitting to Word, "html" otherwise (also outside knitr).
report_output_kind <- function() {
  to <- if (requireNamespace("knitr", quietly = TRUE)) knitr::opts_knit$get("rmarkdown.pandoc.to") else NULL
  if (!is.null(to) && to %in% c("docx", "openxml")) "docx" else if (!is.null(to) && !grepl("html", to) &&
                                                                   to != "") "markdown" else "html"
}

# The output format of render_trial_report(output_format = "word"): a
# table of contents, figures at the page width.
report_word_format <- function() {
  fmt <- rmarkdown::word_document(toc = TRUE, toc_depth = 2, fig_width = 6.5, fig_height = 3.6,
                                  fig_caption = TRUE)
  fmt$knitr$opts_chunk$out.width <- "100%"
  fmt
}

# Rows never split across pages; header rows repeated on every page. Edits
# the document.xml of a rendered .docx in place.
word_finish_docx <- function(path) {
  if (!requireNamespace("xml2", quietly = TRUE)) return(invisible(path))
  dir <- tempfile("docx-")
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  utils::unzip(path, exdir = dir)
  doc_path <- file.path(dir, "word", "document.xml")
  doc <- xml2::read_xml(doc_path)
  ns <- xml2::xml_ns(doc)
  # Stray text directly inside table rows (row ids written by some flextable
  # versions) is invalid WordprocessingML: drop it.
  xml2::xml_remove(xml2::xml_find_all(doc, "//w:tr/text()", ns))
  # The last section (pandoc writes an empty one) gets the portrait page.
  last <- xml2::xml_find_first(doc, "/w:document/w:body/w:sectPr", ns)
  if (!inherits(last, "xml_missing") &&
      inherits(xml2::xml_find_first(last, "./w:pgSz", ns), "xml_missing")) {
    pg <- xml2::read_xml(sprintf('<w:root xmlns:w="%s">%s</w:root>', ns[["w"]],
                                 word_section_break("portrait")))
    for (child in xml2::xml_children(xml2::xml_find_first(pg, ".//w:sectPr", xml2::xml_ns(pg)))) {
      xml2::xml_add_child(last, child)
    }
  }
  for (tbl in xml2::xml_find_all(doc, "//w:tbl", ns)) {
    rows <- xml2::xml_find_all(tbl, "./w:tr", ns)
    header_rows <- which(vapply(rows, function(r) {
      length(xml2::xml_find_all(r, "./w:trPr/w:tblHeader", ns)) > 0
    }, logical(1)))
    # Pandoc tables mark no header row: take the first one.
    if (!length(header_rows) && length(rows)) header_rows <- 1L
    for (i in seq_along(rows)) {
      r <- rows[[i]]
      trpr <- xml2::xml_find_first(r, "./w:trPr", ns)
      if (inherits(trpr, "xml_missing")) {
        xml2::xml_add_child(r, "w:trPr", .where = 0)
        trpr <- xml2::xml_find_first(r, "./w:trPr", ns)
      }
      if (inherits(xml2::xml_find_first(trpr, "./w:cantSplit", ns), "xml_missing")) {
        xml2::xml_add_child(trpr, "w:cantSplit")
      }
      if (i %in% header_rows &&
          inherits(xml2::xml_find_first(trpr, "./w:tblHeader", ns), "xml_missing")) {
        xml2::xml_add_child(trpr, "w:tblHeader")
      }
    }
  }
  xml2::write_xml(doc, doc_path)
  old <- setwd(dir)
  on.exit(setwd(old), add = TRUE, after = FALSE)
  tmp <- tempfile(fileext = ".docx")
  utils::zip(tmp, files = list.files(".", recursive = TRUE, all.files = TRUE), flags = "-q -X")
  file.copy(tmp, path, overwrite = TRUE)
  invisible(path)
}

# flextable::as_flextable methods (registered when flextable loads).
as_flextable_glycotrial <- function(x, ...) report_flextable(x, ...)

add_builtin_plugins("output_word", function() {
  for (cls in c("glycotrial_table", "glycotrial_lsmeans")) {
    add_s3_interop("flextable", "as_flextable", cls, as_flextable_glycotrial)
  }
  add_s3_interop("knitr", "knit_print", "glycotrial_flextable", knit_print_glycotrial_flextable)
})
