# Word output fitted to the page (issue 19, item 5).

skip_if_not_installed("flextable")
skip_if_not_installed("officer")
skip_if_not_installed("rmarkdown")
skip_if_not_installed("xml2")
skip_if_not_installed("gdtools")
skip_if_not(rmarkdown::pandoc_available())

render_docx <- function() {
  dir <- withr::local_tempdir(.local_envir = parent.frame(2))
  rmd <- file.path(dir, "t.Rmd")
  writeLines(c("---", "title: \"Tables\"", "---", "", "# Safety", "",
               "```{r, echo = FALSE}",
               "library(glycotrial)",
               "report_table(ae_overview(adae, adsl))",
               "report_table(ae_by_term(adae, adsl))",
               "report_table(baseline_table(adsl, vars = c('AGE', 'SEX', 'BMI')))",
               "wide <- as.data.frame(matrix('Hyperglycaemia (12.5)', 3, 9))",
               "names(wide) <- paste('Arm', 1:9, 'Treatment-emergent')",
               "report_table(wide, caption = 'Wide')",
               "```"), rmd)
  out <- rmarkdown::render(rmd, output_format = glycotrial:::report_word_format(), quiet = TRUE,
                           intermediates_dir = dir)
  glycotrial:::word_finish_docx(out)
  out
}

# Checks every table of a .docx: its grid fits the body width of its
# section, no cell is narrower than its longest word (bold, in twips), rows
# never split, header rows repeat, no bare text in rows. Returns the XML
# document and the orientation of each table's section.
expect_docx_tables_fit <- function(path) {
  dir <- withr::local_tempdir()
  utils::unzip(path, exdir = dir)
  doc <- xml2::read_xml(file.path(dir, "word", "document.xml"))
  ns <- xml2::xml_ns(doc)
  num <- function(node, xp, attr) as.numeric(xml2::xml_attr(xml2::xml_find_first(node, xp, ns), attr))
  font <- flextable::get_flextable_defaults()$font.family
  tables <- xml2::xml_find_all(doc, "//w:tbl", ns)
  orient <- character()
  for (tb in tables) {
    grid <- as.numeric(xml2::xml_attr(xml2::xml_find_all(tb, "./w:tblGrid/w:gridCol", ns), "w"))
    sect <- xml2::xml_find_first(tb, "following::w:sectPr", ns)
    body <- num(sect, "./w:pgSz", "w") - num(sect, "./w:pgMar", "left") - num(sect, "./w:pgMar", "right")
    expect_false(is.na(body))
    expect_lte(sum(grid), body + 5)
    orient <- c(orient, if (num(sect, "./w:pgSz", "w") > num(sect, "./w:pgSz", "h")) "landscape" else "portrait")
    for (tr in xml2::xml_find_all(tb, "./w:tr", ns)) {
      # Rows never split; text never sits directly inside a row.
      expect_false(inherits(xml2::xml_find_first(tr, "./w:trPr/w:cantSplit", ns), "xml_missing"))
      expect_length(xml2::xml_find_all(tr, "./text()", ns), 0)
      tcs <- xml2::xml_find_all(tr, "./w:tc", ns)
      if (length(tcs) != length(grid)) next  # spanning caption/footer rows
      for (j in seq_along(tcs)) {
        txt <- xml2::xml_text(tcs[[j]])
        words <- strsplit(txt, "[[:space:]\u200b]+", perl = TRUE)[[1]]
        words <- words[nzchar(words)]
        if (!length(words)) next
        size <- num(tcs[[j]], ".//w:sz", "val") / 2
        if (is.na(size)) size <- 9
        # Widest word in bold (upper bound), in twips, plus the cell margins.
        w_pt <- max(gdtools::str_extents(words, fontname = font, fontsize = size, bold = TRUE)[, 1])
        expect_gte(grid[j], 20 * w_pt, label = sprintf("width of cell '%s'", txt))
      }
    }
    # Header rows repeat on every page.
    expect_false(inherits(xml2::xml_find_first(tb, "./w:tr[1]/w:trPr/w:tblHeader", ns), "xml_missing"))
  }
  list(doc = doc, ns = ns, orient = orient, n_tables = length(tables))
}

test_that("every Word table fits the body width of its section and no cell is narrower than its longest word", {
  path <- render_docx()
  summ <- officer::docx_summary(officer::read_docx(path))
  cells <- summ[summ$content_type == "table cell", ]
  expect_true(any(cells$text == "Nasopharyngitis"))
  expect_true(any(grepl("Placebo (N=46)", cells$text, fixed = TRUE)))

  chk <- expect_docx_tables_fit(path)
  expect_gte(chk$n_tables, 4)
  doc <- chk$doc
  ns <- chk$ns
  orient <- chk$orient
  # The nine-column table needs a landscape section; the overview does not.
  expect_true("landscape" %in% orient)
  expect_equal(orient[1], "portrait")
  # SOC rows bold, PT rows not.
  soc <- xml2::xml_find_first(doc, "//w:tc[.//w:t[text()='Infections and infestations']]", ns)
  pt <- xml2::xml_find_first(doc, "//w:tc[.//w:t[text()='Nasopharyngitis']]", ns)
  expect_false(inherits(xml2::xml_find_first(soc, ".//w:rPr/w:b", ns), "xml_missing"))
  expect_true(inherits(xml2::xml_find_first(pt, ".//w:rPr/w:b", ns), "xml_missing") ||
                xml2::xml_attr(xml2::xml_find_first(pt, ".//w:rPr/w:b", ns), "val") %in% c("0", "false"))
  # Table of contents.
  expect_match(as.character(doc), "TOC \\\\o")
})

test_that("report_flextable() marks tables too wide for a portrait page as landscape", {
  narrow <- report_flextable(ae_overview(adae, adsl))
  expect_equal(attr(narrow, "orientation"), "portrait")
  expect_lte(sum(flextable::flextable_dim(narrow)$widths), 6.5 + 1e-6)
  wide <- as.data.frame(matrix("Hyperglycaemia", 2, 12))
  expect_equal(attr(report_flextable(wide), "orientation"), "landscape")
  expect_error(report_flextable(1:3), class = "glycotrial_error")
})

test_that("awkward cells (control characters, NA, tabs, very long words) give a valid docx in a user's render", {
  long <- "ThisIsAVeryLongIdentifierWithoutAnySpaceAtAll_0123456789"
  df <- data.frame(Term = c("Nausea\x01", NA, long, "tab\there", "amp & <lt>", "a/b"),
                   Count = c(1, NA, 3, 4, 5, 6), stringsAsFactors = FALSE)
  ft <- report_flextable(df)
  cells <- ft$body$dataset$Term
  expect_equal(cells[c(1, 2, 4, 5, 6)], c("Nausea", "-", "tab here", "amp & <lt>", "a/b"))
  # The long word keeps its characters, with break opportunities of at most 24.
  expect_equal(gsub("\u200b", "", cells[3]), long)
  expect_lte(max(nchar(strsplit(cells[3], "\u200b")[[1]])), 24)
  # officer writes it (a control character used to abort the XML parse) and reads it back.
  f <- withr::local_tempfile(fileext = ".docx")
  print(flextable::body_add_flextable(officer::read_docx(), ft), target = f)
  s <- officer::docx_summary(officer::read_docx(f))
  expect_true("Nausea" %in% s$text)
  # A user's rmarkdown::render(..., "word_document") (no word_finish_docx()):
  # no bare text inside table rows, rows kept on one page.
  dir <- withr::local_tempdir()
  saveRDS(df, file.path(dir, "df.rds"))
  rmd <- file.path(dir, "u.Rmd")
  writeLines(c("---", "output: word_document", "---", "", "```{r, echo = FALSE}",
               "library(glycotrial)", "report_flextable(readRDS('df.rds'))",
               "flextable::as_flextable(ae_by_term(adae, adsl))", "```"), rmd)
  out <- rmarkdown::render(rmd, quiet = TRUE, intermediates_dir = dir)
  s <- officer::docx_summary(officer::read_docx(out))
  expect_true(all(c("Nausea", "Nasopharyngitis") %in% s$text))
  ex <- withr::local_tempdir()
  utils::unzip(out, exdir = ex)
  doc <- xml2::read_xml(file.path(ex, "word", "document.xml"))
  ns <- xml2::xml_ns(doc)
  expect_length(xml2::xml_find_all(doc, "//w:tr/text()", ns), 0)
  rows <- xml2::xml_find_all(doc, "//w:tr", ns)
  expect_gt(length(rows), 10)
  expect_length(xml2::xml_find_all(doc, "//w:tr[not(w:trPr/w:cantSplit)]", ns), 0)
})

test_that("the Word report of a real trial (CDISC pilot, three arms) fits every table to its page", {
  skip_if_not_installed("safetyData")
  # Two system organ classes keep the cell-by-cell check fast.
  ae <- safetyData::adam_adae
  ae <- ae[ae$AEBODSYS %in% c("GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS",
                              "SKIN AND SUBCUTANEOUS TISSUE DISORDERS"), ]
  path <- suppressMessages(render_trial_report(
    safetyData::adam_adsl, adae = ae, output_format = "word",
    output_file = tempfile(fileext = ".docx"),
    params = list(sections = "baseline, ae_overview, ae_by_term", control = "Placebo")))
  s <- officer::docx_summary(officer::read_docx(path))
  expect_true("APPLICATION SITE PRURITUS" %in% trimws(s$text))
  chk <- expect_docx_tables_fit(path)
  expect_gte(chk$n_tables, 4)
  # Table of contents; section headings present.
  expect_match(as.character(chk$doc), "TOC \\\\o")
  expect_true(all(c("Safety", "Reproducibility appendix") %in% s$text[s$style_name %in% c("heading 1", "Heading 1")]))
})
