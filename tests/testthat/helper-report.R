# Shared by the report tests: skip conditions, reading rendered HTML, and a
# second diabetes trial whose PARAMCDs, units and arm names differ from the
# shipped one (given to the report through its parameters).

skip_report <- function() {
  skip_if_not_installed("rmarkdown")
  skip_if_not_installed("ggplot2")
  skip_if_not_installed("xml2")
  skip_if_not(rmarkdown::pandoc_available(), "pandoc not available")
}

html_text <- function(path) {
  doc <- xml2::read_html(path)
  xml2::xml_remove(xml2::xml_find_all(doc, "//script|//style"))
  list(doc = doc, text = gsub("\\s+", " ", xml2::xml_text(xml2::xml_find_first(doc, "//body"))),
       h1 = trimws(sub("^[0-9.]+\\s*", "", gsub("\\s+", " ", xml2::xml_text(xml2::xml_find_all(doc, "//h1"))))),
       h2 = trimws(sub("^[0-9.]+\\s*", "", gsub("\\s+", " ", xml2::xml_text(xml2::xml_find_all(doc, "//h2"))))))
}

table_in <- function(doc, id) {
  tab <- xml2::xml_find_first(doc, sprintf("//div[@id='%s']//table", id))
  rows <- xml2::xml_find_all(tab, ".//tr")
  cells <- lapply(rows, function(r) {
    trimws(gsub("[ \t\r\n]+", " ", xml2::xml_text(xml2::xml_find_all(r, "./th|./td"))))
  })
  m <- do.call(rbind, cells[-1])
  colnames(m) <- cells[[1]]
  as.data.frame(m, stringsAsFactors = FALSE)
}

# n (%) of subjects as the AE tables print it.
n_pct <- function(k, n) sprintf("%d (%.1f)", k, 100 * k / n)

# Second trial: HbA1c as "A1C" in mmol/mol with the unit only in PARAM (no
# AVALU), the insulin dose as "TDD", arms "Drug X" / "Vehicle".
renamed_trial <- function(seed = 7) {
  tr <- simulate_trial(n = c(20, 18), arms = c("Drug X", "Vehicle"), visits = c(0, 12, 26),
                       ogtt_visits = 0, infusion_weeks = 0, dropout = c(0.1, 0.1),
                       missingness = 0.1, seed = seed)
  lb <- tr$adlb
  a1c <- lb$PARAMCD == "HBA1C"
  for (v in intersect(c("AVAL", "BASE"), names(lb))) lb[[v]][a1c] <- (lb[[v]][a1c] - 2.15) * 10.929
  lb$CHG[a1c] <- lb$AVAL[a1c] - lb$BASE[a1c]
  lb$PARAM[a1c] <- "Glycated haemoglobin (mmol/mol)"
  lb$PARAMCD[a1c] <- "A1C"
  lb$PARAMCD[lb$PARAMCD == "INSDOSE"] <- "TDD"
  lb$PARAM[lb$PARAMCD == "TDD"] <- "Total daily insulin dose (U/day)"
  lb$AVALU <- NULL
  tr$adlb <- lb
  tr
}
