# Rendering the trial report (fast settings) and its early, classed errors.

headings <- c("Disposition and baseline characteristics", "Primary endpoint",
              "Longitudinal efficacy", "Beta-cell function and insulin resistance", "Safety",
              "Reproducibility appendix")

test_that("the report renders on the shipped data with every section and no errors", {
  skip_report()
  out <- tempfile(fileext = ".html")
  path <- render_trial_report(output_file = out, params = list(fast = TRUE))
  expect_equal(path, normalizePath(out))
  h <- html_text(path)
  for (s in headings) expect_true(s %in% h$h1, info = s)
  expect_false(grepl("Error in |## Error|Traceback|could not find function|could not be computed", h$text))
  # Primary endpoint table equals the direct calculation: 9/45 vs 2/44 and the
  # published Wald CI 2.25 to 28.66 % (Zang et al. 2022).
  prim <- table_in(h$doc, "primary-endpoint-table")
  expect_equal(prim$Arm, c("UC-MSC", "Placebo"))
  expect_equal(prim[["N analysed"]], c("45", "44"))
  expect_equal(prim[["Composite, n (%)"]], c("9 (20.0)", "2 (4.5)"))
  rd <- table_in(h$doc, "primary-endpoint-difference")
  # Default CI: Newcombe's hybrid score interval, written out (Wilson limits
  # of each proportion combined, Newcombe 1998 method 10).
  p1 <- 9 / 45; p2 <- 2 / 44
  z <- qnorm(0.975)
  wilson <- function(x, n) {
    p <- x / n
    (p + z^2 / (2 * n) + c(-1, 1) * z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2))) / (1 + z^2 / n)
  }
  w1 <- wilson(9, 45); w2 <- wilson(2, 44)
  lo <- p1 - p2 - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2)
  hi <- p1 - p2 + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2)
  expect_equal(rd[["Risk difference (%)"]], sprintf("%.2f", 100 * (p1 - p2)))
  expect_equal(rd[["95% CI (newcombe)"]], sprintf("%.2f to %.2f", 100 * lo, 100 * hi))
  fp <- fisher.test(matrix(c(9, 36, 2, 42), 2, byrow = TRUE))$p.value
  expect_equal(rd[["Fisher p"]], format_pvalue(fp, alpha = 0.05))
  # ... and equals the package functions called directly.
  rsp <- derive_responders(adlb, adsl, visit = 48, population = "ITTFL")
  res <- responder_analysis(rsp, treatment = "UC-MSC", control = "Placebo",
                            missing = "complete-case", ci = list(diff = "newcombe"))
  expect_equal(rd[["Risk difference (%)"]], sprintf("%.2f", 100 * res$difference$estimate[1]))
  expect_equal(rd[["95% CI (newcombe)"]], sprintf("%.2f to %.2f", 100 * res$difference$lower[1],
                                                  100 * res$difference$upper[1]))
  expect_equal(rd[["Chi-square p"]],
               format_pvalue(res$tests$p_value[res$tests$test == "Pearson chi-square"], alpha = 0.05))
  expect_equal(prim[["N analysed"]], as.character(res$arms$n))
  # Index ratios: the rendered table equals index_ratio_mmrm() called directly.
  gtab <- table_in(h$doc, "index-ratio-table")
  idx <- suppressWarnings(beta_cell_indices(
    adlb[adlb$PARAMCD %in% c("FPG", "FCPEP", "FINS", "GLUC", "CPEP", "INS"), ],
    indices = c("homa_ir_cp", "homa_b_cp", "cpeptide_auc", "glucose_auc"),
    keep = c("ARM", "AVISITN")))
  gm <- index_ratio_mmrm(idx, reference = "Placebo")$ratios
  expect_equal(nrow(gtab), 12)
  expect_equal(gtab$Visit, gm$AVISIT)
  expect_equal(gtab[["Ratio of geometric means"]], sprintf("%.3f", gm$ratio))
  expect_equal(gtab$Lower, sprintf("%.3f", gm$lower))
  expect_equal(gtab$Upper, sprintf("%.3f", gm$upper))
  # AE overview and SOC rows equal counts made here with base R: subjects
  # of the safety set with a TEAE (TRTEMFL), serious (AESER), related (AEREL).
  sl <- adsl[adsl$SAFFL == "Y", ]
  arms <- c("UC-MSC", "Placebo")
  N <- table(factor(sl$ARM, arms))
  te <- adae[adae$TRTEMFL == "Y" & adae$USUBJID %in% sl$USUBJID, ]
  te$ARM <- sl$ARM[match(te$USUBJID, sl$USUBJID)]
  subj <- function(rows) table(factor(unique(te[rows, c("USUBJID", "ARM")])$ARM, arms))
  ov <- table_in(h$doc, "ae-overview-table")
  cols <- sprintf("%s (N=%d)", arms, N)
  expect_equal(names(ov)[names(ov) %in% cols], cols)
  row <- function(tab, lab) unname(unlist(tab[tab[[1]] == lab, cols]))
  expect_equal(row(ov, "Any TEAE"), n_pct(subj(TRUE), N))
  expect_equal(row(ov, "Serious TEAE"), n_pct(subj(te$AESER == "Y"), N))
  expect_equal(row(ov, "Related TEAE"), n_pct(subj(te$AEREL == "RELATED"), N))
  st <- table_in(h$doc, "ae-soc-pt-table")
  for (s in unique(te$AEBODSYS)) expect_equal(row(st, s), n_pct(subj(te$AEBODSYS == s), N), info = s)
  # The risk-difference CI method is stated under the table; p-values never "0.000".
  notes <- xml2::xml_text(xml2::xml_find_all(h$doc, "//div[@id='ae-overview-table']//p[@class='glycotrial-footnote']"))
  expect_match(gsub("\\s+", " ", notes), "RD = risk difference (newcombe)", fixed = TRUE)
  expect_match(h$text, "<0.001*", fixed = TRUE)
  expect_false(grepl("0.000", h$text, fixed = TRUE))
  # Disposition: discontinuation reasons indented (em spaces) and capitalised,
  # counted by hand from adsl.
  disp <- table_in(h$doc, "disposition-table")
  sub <- disp[startsWith(disp$Category, "\u2003\u2003"), ]
  expect_gt(nrow(sub), 0)
  reason <- sub("^\u2003+", "", sub$Category)
  expect_true(all(grepl("^[A-Z][a-z]", reason)))
  dc <- adsl[adsl$EOSSTT == "DISCONTINUED", ]
  want <- table(tolower(dc$DCSREAS))
  expect_setequal(tolower(reason), names(want))
})

test_that("the template calls only exported glycotrial functions", {
  skip_if_not_installed("knitr")
  tmpl <- system.file("rmarkdown", "templates", "trial-report", "skeleton", "skeleton.Rmd",
                      package = "glycotrial")
  r <- withr::local_tempfile(fileext = ".R")
  knitr::purl(tmpl, output = r, documentation = 0, quiet = TRUE,
              envir = list2env(list(on = function(section) TRUE, fast = FALSE)))
  code <- readLines(r)
  expect_false(any(grepl("glycotrial:::", code, fixed = TRUE)))
  pd <- utils::getParseData(parse(text = code, keep.source = TRUE))
  called <- unique(pd$text[pd$token == "SYMBOL_FUNCTION_CALL"])
  ours <- called[vapply(called, exists, logical(1), envir = asNamespace("glycotrial"), inherits = FALSE)]
  expect_gt(length(ours), 20)
  expect_equal(setdiff(ours, getNamespaceExports("glycotrial")), character())
})

test_that("the tipping-point plot is left out, with a line saying why, when an arm has no missing response", {
  skip_report()
  # Keep only the UC-MSC subjects with both endpoint values at week 48.
  w <- adlb[adlb$AVISITN == 48 & adlb$PARAMCD %in% c("HBA1C", "INSDOSE") & !is.na(adlb$AVAL), ]
  both <- names(which(table(w$USUBJID) == 2))
  keep <- adsl$USUBJID[adsl$ARM == "Placebo" | adsl$USUBJID %in% both]
  sl <- adsl[adsl$USUBJID %in% keep, ]
  path <- suppressMessages(render_trial_report(sl, adlb[adlb$USUBJID %in% keep, ],
                                               output_file = tempfile(fileext = ".html"),
                                               params = list(sections = "primary", fast = FALSE)))
  h <- html_text(path)
  expect_match(h$text, "Tipping-point analysis left out because UC-MSC has no missing response at Week 48",
               fixed = TRUE)
  expect_length(xml2::xml_find_all(h$doc, "//img"), 0)
  expect_false(grepl("Error in |## Error|could not be computed", h$text))
})

test_that("the report renders on a different trial (arm names, visits, missingness)", {
  skip_report()
  tr <- simulate_trial(n = c(24, 20), arms = c("Cells", "Saline"), visits = c(0, 6, 13, 26),
                       visit_labels = c("Day 1", "Month 1.5", "Month 3", "Month 6"),
                       ogtt_visits = c(0, 26), infusion_weeks = c(0, 6),
                       dropout = c(0.1, 0.2), missingness = 0.2, seed = 42)
  out <- tempfile(fileext = ".html")
  path <- render_trial_report(tr$adsl, tr$adlb, tr$adae, tr$adex, output_file = out,
                              params = list(fast = TRUE, title = "Second trial",
                                            arms = "Cells, Saline", hba1c_threshold = 7.5))
  h <- html_text(path)
  for (s in headings) expect_true(s %in% h$h1, info = s)
  expect_false(grepl("Error in |## Error|Traceback|could not be computed", h$text))
  expect_true(grepl("Month 6", h$text, fixed = TRUE))
  expect_true(grepl("Second trial", h$text, fixed = TRUE))
  prim <- table_in(h$doc, "primary-endpoint-table")
  expect_equal(prim$Arm, c("Cells", "Saline"))
  # Direct count: HbA1c < 7.5 and insulin reduced >= 50 % at week 26.
  w <- tr$adlb[tr$adlb$AVISITN == 26 & is.na(tr$adlb$ATPTN), ]
  a <- w[w$PARAMCD == "HBA1C", c("USUBJID", "ARM", "AVAL")]
  i <- w[w$PARAMCD == "INSDOSE", c("USUBJID", "AVAL", "BASE")]
  m <- merge(a, i, by = "USUBJID")
  r <- m$AVAL.x < 7.5 & (m$BASE - m$AVAL.y) / m$BASE >= 0.5
  n <- table(m$ARM)[c("Cells", "Saline")]
  k <- tapply(r, m$ARM, sum)[c("Cells", "Saline")]
  expect_equal(prim[["N analysed"]], as.character(as.vector(n)))
  expect_equal(prim[["Composite, n (%)"]], sprintf("%d (%.1f)", k, 100 * k / n))
})

test_that("the report stops early on wrong parameters, naming the value and the choices", {
  e <- tryCatch(render_trial_report(params = list(target_visit = 52), output_file = tempfile()),
                error = identity)
  expect_s3_class(e, "glycotrial_error_report_input")
  expect_match(conditionMessage(e), "No HBA1C records at the target visit")
  expect_error(render_trial_report(params = list(arms = "UC-MSC, Sham"), output_file = tempfile()),
               "arm 'Sham' has no subjects")
  empty_arm <- adsl
  empty_arm$ARM[empty_arm$ARM == "Placebo"] <- "UC-MSC"
  expect_error(render_trial_report(adsl = empty_arm, output_file = tempfile()),
               class = "glycotrial_error_report_input")
  expect_error(render_trial_report(params = list(nonsense = 1)), class = "glycotrial_error_input")
  expect_error(render_trial_report(params = list(conf_level = 2)), class = "glycotrial_error_input")
  expect_error(render_trial_report(params = list(1)), class = "glycotrial_error_input")
  e <- tryCatch(render_trial_report(params = list(hba1c_param = "HBA1CX"), output_file = tempfile()),
                error = identity)
  expect_s3_class(e, "glycotrial_error_input")
  expect_match(conditionMessage(e), "HBA1CX")
  expect_match(conditionMessage(e), "INSDOSE")
})

test_that("check_trial_data() logs every check it ran", {
  log <- check_trial_data(adsl, adlb, adae, adex)
  expect_true(all(log$result == "pass"))
  expect_true(any(grepl("HBA1C at target visit 48", log$check)))
  expect_error(check_trial_data(adsl, adlb, adae, adex, params = "NOPE"),
               "no records with PARAMCD NOPE")
})

test_that("the template is installed and drafts with rmarkdown::draft()", {
  skip_if_not_installed("rmarkdown")
  tmpl <- system.file("rmarkdown", "templates", "trial-report", package = "glycotrial")
  expect_true(file.exists(file.path(tmpl, "template.yaml")))
  dir <- tempfile(); dir.create(dir)
  f <- rmarkdown::draft(file.path(dir, "my-report.Rmd"), template = "trial-report",
                        package = "glycotrial", edit = FALSE)
  expect_true(file.exists(f))
  yaml <- rmarkdown::yaml_front_matter(f)
  expect_true(all(c("data", "arms", "target_visit", "hba1c_threshold", "conf_level",
                    "covariance", "alpha") %in% names(yaml$params)))
})

test_that("plots use the palette and label units", {
  skip_if_not_installed("ggplot2")
  expect_equal(glycotrial_palette(2), c("#0072B2", "#D55E00"))
  expect_error(glycotrial_palette(9), class = "glycotrial_error_input")
  g <- plot_trajectories(adlb, "HBA1C")
  expect_s3_class(g, "ggplot")
  expect_equal(g$labels$y, "Hemoglobin A1c (%)")
  g2 <- plot_trajectories(adlb, "INSDOSE", value = "CHG", spaghetti = FALSE)
  expect_equal(g2$labels$y, "Change in Daily insulin dose (U/day)")
  g3 <- plot_ogtt_curves(adlb, "CPEP", visits = c("Baseline", "Week 48"))
  expect_equal(g3$labels$y, "C-peptide, mixed-meal/OGTT (ng/mL)")
  expect_equal(g3$labels$x, "Time after load (min)")
  # Mean +/- SE by hand at one visit.
  d <- adlb[adlb$PARAMCD == "HBA1C" & adlb$AVISITN == 48 & adlb$ARM == "Placebo", "AVAL"]
  ms <- g$layers[[3]]$data
  row <- ms[ms$arm == "Placebo" & ms$visit == 48, ]
  expect_equal(row$mean, mean(d), tolerance = 1e-12)
  expect_equal(row$se, sd(d) / sqrt(length(d)), tolerance = 1e-12)
  expect_error(plot_trajectories(adlb, "NOPE"), class = "glycotrial_error_input")
  expect_error(plot_ogtt_curves(adlb, "HBA1C"), class = "glycotrial_error_input")
})

test_that("plots match vdiffr snapshots", {
  skip_if_not_installed("vdiffr")
  skip_if_not_installed("ggplot2")
  vdiffr::expect_doppelganger("trajectories-hba1c", plot_trajectories(adlb, "HBA1C"))
  vdiffr::expect_doppelganger("ogtt-glucose",
                              plot_ogtt_curves(adlb, "GLUC", visits = c("Baseline", "Week 48")))
})
