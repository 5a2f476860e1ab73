# Sections follow the data (report_context(), report_sections()): the plan,
# the classed messages and errors, ADaM realities (unscheduled visits, units
# from PARAM text, mixed units, three arms, relatedness vocabularies), and
# renders on the CDISC pilot (safety only) and on a renamed diabetes trial.

pilot <- function() {
  skip_if_not_installed("safetyData")
  list(adsl = safetyData::adam_adsl, adae = safetyData::adam_adae, adlb = safetyData::adam_adlbc)
}

ctx_of <- function(adsl, adlb = NULL, adae = NULL, adex = NULL, params = list()) {
  f <- withr::local_tempfile(fileext = ".rds", .local_envir = parent.frame())
  saveRDS(list(adsl = adsl, adlb = adlb, adae = adae, adex = adex), f)
  report_context(c(list(data = f), params), explicit = names(params))
}

test_that("report_sections() lists every section with what it needs", {
  s <- report_sections()
  expect_true(all(c("disposition", "baseline", "primary", "ae_overview", "ae_by_term", "infusion",
                    "aesi", "lab_shift", "liver") %in% s$section))
  expect_setequal(unique(s$group), c("baseline", "efficacy", "safety"))
  expect_match(s$needs[s$section == "primary"], "PARAMCD marker, dose")
})

test_that("a safety-only trial keeps disposition, baseline and safety and says why the rest is left out", {
  d <- pilot()
  msgs <- list()
  ctx <- withCallingHandlers(
    ctx_of(d$adsl, d$adlb, d$adae, params = list(control = "Placebo")),
    glycotrial_message_section_skipped = function(m) {
      msgs[[length(msgs) + 1]] <<- conditionMessage(m)
      invokeRestart("muffleMessage")
    },
    glycotrial_message_unscheduled_records = function(m) invokeRestart("muffleMessage"))
  pl <- ctx$plan
  on <- pl$section[pl$included]
  expect_true(all(c("disposition", "baseline", "ae_overview", "ae_by_term", "lab_shift", "liver") %in% on))
  expect_false(any(c("primary", "longitudinal_marker", "indices", "infusion") %in% on))
  expect_match(pl$reason[pl$section == "primary"], "no PARAMCD HBA1C")
  expect_match(pl$reason[pl$section == "infusion"], "ADEX was not supplied")
  expect_equal(length(msgs), sum(!pl$included))
  # No diabetes AESI matches the patch trial's events... or only those that do.
  expect_false("hypoglycaemia" %in% ctx$aesi)
  # Three arms, control last; every other arm compared with it.
  expect_equal(ctx$arms, c("Xanomeline Low Dose", "Xanomeline High Dose", "Placebo"))
  expect_equal(ctx$comparisons, c("Xanomeline Low Dose", "Xanomeline High Dose"))
  expect_equal(levels(ctx$adsl$ARM), ctx$arms)
  # The 1,482 records with AVISIT "." are out of the by-visit data only.
  expect_equal(ctx$n_unscheduled, sum(d$adlb$AVISIT == "." | is.na(d$adlb$AVISITN)))
  expect_equal(ctx$n_unscheduled, 1482)
  expect_equal(nrow(ctx$adlb) - nrow(ctx$adlb_visits), 1482)
  # The pilot's reference range is A1LO/A1HI.
  expect_equal(ctx$lv$uln, "A1HI")
})

test_that("check_trial_data() counts AVISITN NA records instead of failing on them", {
  d <- pilot()
  log <- check_trial_data(d$adsl, d$adlb, d$adae, NULL, params = character())
  expect_false(any(log$result == "FAIL"))
  expect_match(log$detail[log$check == "records without a visit number"], "^1482 records")
  expect_equal(log$result[log$check == "data set adex supplied"], "absent")
})

test_that("sections= chooses sections; unknown names are classed errors listing the choices", {
  ctx <- suppressMessages(ctx_of(adsl, adlb, adae, adex, params = list(sections = "baseline, ae_overview")))
  expect_equal(ctx$plan$section[ctx$plan$included], c("disposition", "baseline", "ae_overview"))
  expect_match(ctx$plan$reason[ctx$plan$section == "primary"], "not chosen")
  e <- tryCatch(ctx_of(adsl, adlb, adae, adex, params = list(sections = "baseline, effcacy")),
                error = identity)
  expect_s3_class(e, "glycotrial_error_report_input")
  expect_match(conditionMessage(e), "effcacy")
  expect_match(conditionMessage(e), "safety")
})

test_that("wrong arm, control or PARAMCD is a classed error naming the value and the choices", {
  e <- tryCatch(ctx_of(adsl, adlb, params = list(arms = "UC-MSC, Sham")), error = identity)
  expect_s3_class(e, "glycotrial_error_report_input")
  expect_match(conditionMessage(e), "Sham")
  expect_match(conditionMessage(e), "Placebo")
  e <- tryCatch(ctx_of(adsl, adlb, params = list(control = "Vehicle")), error = identity)
  expect_match(conditionMessage(e), "Vehicle")
  expect_match(conditionMessage(e), "UC-MSC")
  e <- tryCatch(ctx_of(adsl, adlb, params = list(insulin_param = "TDD")), error = identity)
  expect_s3_class(e, "glycotrial_error_report_input")
  expect_match(conditionMessage(e), "TDD")
  expect_match(conditionMessage(e), "INSDOSE")
  e <- tryCatch(ctx_of(adsl, adlb, adae, params = list(aesi = "hepatic, nope")), error = identity)
  expect_match(conditionMessage(e), "nope")
  expect_match(conditionMessage(e), "hypoglycaemia")
  # Default PARAMCDs absent: sections left out, no error.
  lb <- adlb[adlb$PARAMCD != "INSDOSE", ]
  ctx <- suppressMessages(ctx_of(adsl, lb))
  expect_false(ctx$on("primary"))
  expect_false(ctx$on("longitudinal_dose"))
  expect_true(ctx$on("longitudinal_marker"))
  expect_message(ctx_of(adsl, lb), class = "glycotrial_message_section_skipped")
})

test_that("units come from PARAM text when AVALU is missing; mixed units are an input error", {
  lb <- adlb
  lb$AVALU <- NULL
  ctx <- suppressMessages(ctx_of(adsl, lb))
  expect_equal(unique(ctx$adlb$AVALU[ctx$adlb$PARAMCD == "FPG"]), "mmol/L")
  expect_equal(unique(ctx$adlb$AVALU[ctx$adlb$PARAMCD == "BILI"]), "mg/dL")
  lb <- adlb
  i <- which(lb$PARAMCD == "FPG")[1:3]
  lb$AVALU[i] <- "mg/dL"
  e <- tryCatch(ctx_of(adsl, lb), error = identity)
  expect_s3_class(e, "glycotrial_error_mixed_units")
  expect_match(conditionMessage(e), "FPG in (mmol/L and mg/dL|mg/dL and mmol/L)")
})

test_that("infusion reactions only when the exposure records say the drug is infused", {
  ctx <- suppressMessages(ctx_of(adsl, adlb, adae, adex))
  expect_true(ctx$on("infusion"))
  ex <- adex
  ex$EXROUTE <- "TRANSDERMAL"
  ctx <- suppressMessages(ctx_of(adsl, adlb, adae, ex))
  expect_false(ctx$on("infusion"))
  expect_match(ctx$plan$reason[ctx$plan$section == "infusion"], "TRANSDERMAL")
  ctx <- suppressMessages(ctx_of(adsl, adlb, adae, ex, params = list(infusion = "yes")))
  expect_true(ctx$on("infusion"))
})

test_that("TRT01A chosen by arm_var; AEREL outside the vocabularies is an error naming it", {
  sl <- adsl
  sl$TRT01A[1] <- "Placebo"  # one subject received placebo
  ctx <- suppressMessages(ctx_of(sl, adlb, adae, params = list(arm_var = "TRT01A")))
  expect_equal(as.character(ctx$adsl$TRT01A[1]), "Placebo")
  expect_equal(ctx$sv$arm, "TRT01A")
  ae <- adae
  ae$AEREL[1] <- "MAYBE"
  e <- tryCatch(ctx_of(adsl, adlb, ae), error = identity)
  expect_s3_class(e, "glycotrial_error_report_input")
  expect_match(conditionMessage(e), "MAYBE")
})

test_that("grade_lab() grades the shipped meal/OGTT glucose without warnings (LLN 3.9 mmol/L)", {
  g <- expect_no_warning(grade_lab(adlb))
  gl <- adlb[adlb$PARAMCD == "GLUC", ]
  expect_true(all(gl$ANRLO == 3.9))
  # CTCAE v5 hypoglycaemia: grade 1 < LLN and >= 3.0 mmol/L, grade 2 < 3.0.
  want <- ifelse(gl$AVAL < 3.9, ifelse(gl$AVAL < 3.0, 2, 1), 0)
  expect_equal(g$ATOXGRL[g$PARAMCD == "GLUC"], want)
})

test_that("plots follow the arm order of the factor levels (one palette order)", {
  skip_if_not_installed("ggplot2")
  lb <- adlb
  lb$ARM <- factor(lb$ARM, levels = c("Placebo", "UC-MSC"))
  expect_equal(levels(plot_trajectories(lb, "HBA1C")$data$arm), c("Placebo", "UC-MSC"))
  lb$ARM <- factor(lb$ARM, levels = c("UC-MSC", "Placebo"))
  expect_equal(levels(plot_trajectories(lb, "HBA1C")$data$arm), c("UC-MSC", "Placebo"))
  expect_equal(levels(plot_ogtt_curves(lb, "GLUC")$data$arm), c("UC-MSC", "Placebo"))
})

test_that("format_pvalue() never prints 0.000 and marks p < alpha", {
  expect_equal(format_pvalue(c(0.2, 0.0123, 1e-6, NA)), c("0.200", "0.012", "<0.001", "-"))
  expect_equal(format_pvalue(c(0.2, 0.0123), alpha = 0.05), c("0.200", "0.012*"))
  expect_error(format_pvalue("a"), class = "glycotrial_error_input")
})

test_that("ae_by_term() sorts by the frequency in a chosen arm", {
  sl <- data.frame(USUBJID = 1:6, ARM = rep(c("Active", "Placebo"), each = 3), SAFFL = "Y")
  ae <- data.frame(USUBJID = c(1, 2, 3, 4, 5, 6, 4), AEDECOD = c("A", "A", "B", "B", "B", "B", "C"),
                   AEBODSYS = c("S1", "S1", "S1", "S1", "S1", "S1", "S2"), TRTEMFL = "Y")
  tot <- ae_by_term(ae, sl)
  act <- ae_by_term(ae, sl, sort_arm = "Active")
  # Totals: B 4, A 2; in Active: A 2, B 1.
  expect_equal(trimws(format(tot)$term[3:4]), c("B", "A"))
  expect_equal(trimws(format(act)$term[3:4]), c("A", "B"))
  # SOC order by Active: S1 (3 subjects) before S2 (0).
  expect_equal(format(act)$term[2], "S1")
  expect_error(ae_by_term(ae, sl, sort_arm = "Nope"), "Nope")
})

test_that("a part that fails shows one line and the appendix, never R's error text", {
  skip_report()
  ae <- adae
  ae$AESER[1] <- "MAYBE"
  path <- suppressMessages(render_trial_report(adsl, adae = ae, output_file = tempfile(fileext = ".html"),
                                               params = list(sections = "ae_overview")))
  h <- html_text(path)
  expect_match(h$text, "This part could not be computed (ae-overview)", fixed = TRUE)
  expect_match(h$text, "Parts of included sections that could not be computed", fixed = TRUE)
  expect_false(grepl("Error|MAYBE|Traceback", h$text))
  expect_match(h$text, "Disposition: left out because it was not chosen in params$sections", fixed = TRUE)
})

test_that("the report renders on the CDISC pilot: safety only, three arms, AE counts by hand", {
  skip_report()
  d <- pilot()
  out <- tempfile(fileext = ".html")
  path <- suppressMessages(render_trial_report(d$adsl, adae = d$adae, adlb = d$adlb, output_file = out,
                                               params = list(fast = TRUE, control = "Placebo")))
  h <- html_text(path)
  expect_true(all(c("Disposition and baseline characteristics", "Safety",
                    "Reproducibility appendix") %in% h$h1))
  expect_true(all(c("AE overview", "AEs by system organ class and preferred term") %in% h$h2))
  expect_match(h$text, "Primary endpoint: left out because ADLB has no PARAMCD HBA1C", fixed = TRUE)
  expect_match(h$text, "Infusion reactions: left out because ADEX was not supplied", fixed = TRUE)
  expect_match(h$text, "1482 ADLB records without a scheduled visit", fixed = TRUE)
  expect_false(grepl("Error in |## Error|Traceback|could not be computed", h$text))
  # Independent counts: safety population, TEAE flag, serious, related
  # (POSSIBLE/PROBABLE, blank counted as related), by SOC.
  sl <- d$adsl[d$adsl$SAFFL == "Y", ]
  ae <- d$adae[d$adae$TRTEMFL == "Y" & d$adae$USUBJID %in% sl$USUBJID, ]
  ae$ARM <- sl$ARM[match(ae$USUBJID, sl$USUBJID)]
  arms <- c("Xanomeline Low Dose", "Xanomeline High Dose", "Placebo")
  N <- table(factor(sl$ARM, arms))
  subj <- function(rows) table(factor(unique(ae[rows, c("USUBJID", "ARM")])$ARM, arms))
  ov <- table_in(h$doc, "ae-overview-table")
  cols <- sprintf("%s (N=%d)", arms, N)
  expect_equal(names(ov)[names(ov) %in% cols], cols)  # one arm order, control last
  row <- function(lab) unlist(ov[ov[[1]] == lab, cols])
  expect_equal(unname(row("Any TEAE")), n_pct(subj(TRUE), N))
  expect_equal(unname(row("Serious TEAE")), n_pct(subj(ae$AESER == "Y"), N))
  expect_equal(unname(row("Related TEAE")), n_pct(subj(ae$AEREL %in% c("POSSIBLE", "PROBABLE", "")), N))
  st <- table_in(h$doc, "ae-soc-pt-table")
  for (s in c("GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS", "SKIN AND SUBCUTANEOUS TISSUE DISORDERS")) {
    expect_equal(unname(unlist(st[st[[1]] == s, cols])), n_pct(subj(ae$AEBODSYS == s), N), info = s)
  }
  # SOC rows bold, PT rows indented; SOCs by descending frequency in the first active arm.
  bold <- xml2::xml_text(xml2::xml_find_all(h$doc, "//div[@id='ae-soc-pt-table']//td/strong"))
  expect_true("SKIN AND SUBCUTANEOUS TISSUE DISORDERS" %in% bold)
  k <- as.integer(sub(" .*", "", st[st[[1]] %in% bold, cols[1]]))
  expect_false(is.unsorted(rev(k)))
  expect_true(any(startsWith(st[[1]], "\u2003\u2003APPLICATION SITE")))
  # Baseline and disposition tables in the same arm order.
  bt <- xml2::xml_find_all(h$doc, "//table")
  heads <- lapply(bt, function(t) trimws(xml2::xml_text(xml2::xml_find_all(t, ".//th"))))
  base <- heads[[which(vapply(heads, function(x) x[1] == "Characteristic", NA))[1]]]
  expect_equal(base[3:5], sprintf("%s (N=%d)", arms, table(factor(d$adsl$ARM, arms))))
  disp <- heads[[which(vapply(heads, function(x) x[1] == "Category", NA))[1]]]
  expect_equal(disp[2:4], arms)
  expect_match(h$text, "Adverse event", fixed = TRUE)  # DCDECOD reasons, capitalised
})

test_that("the report renders a renamed diabetes trial through its parameters", {
  skip_report()
  tr <- renamed_trial()
  out <- tempfile(fileext = ".html")
  path <- suppressMessages(render_trial_report(
    tr$adsl, tr$adlb, tr$adae, tr$adex, output_file = out,
    params = list(fast = TRUE, hba1c_param = "A1C", insulin_param = "TDD", hba1c_threshold = 7.5,
                  arms = "Drug X, Vehicle", control = "Vehicle",
                  sections = "baseline, primary, ae_overview, ae_by_term")))
  h <- html_text(path)
  expect_true(all(c("Disposition and baseline characteristics", "Primary endpoint", "Safety") %in% h$h1))
  expect_match(h$text, "Infusion reactions: left out because it was not chosen in params$sections", fixed = TRUE)
  expect_false(grepl("Error in |## Error|Traceback|could not be computed", h$text))
  prim <- table_in(h$doc, "primary-endpoint-table")
  expect_equal(prim$Arm, c("Drug X", "Vehicle"))
  # By hand: HbA1c (mmol/mol -> %) < 7.5 and dose reduced >= 50 % at week 26.
  w <- tr$adlb[tr$adlb$AVISITN == 26 & is.na(tr$adlb$ATPTN), ]
  a <- w[w$PARAMCD == "A1C", c("USUBJID", "AVAL")]
  i <- w[w$PARAMCD == "TDD", c("USUBJID", "AVAL", "BASE")]
  m <- merge(a, i, by = "USUBJID")
  m$ARM <- tr$adsl$ARM[match(m$USUBJID, tr$adsl$USUBJID)]
  m <- m[!is.na(m$AVAL.x) & !is.na(m$AVAL.y), ]
  r <- m$AVAL.x / 10.929 + 2.15 < 7.5 & (m$BASE - m$AVAL.y) / m$BASE >= 0.5
  n <- table(factor(m$ARM, c("Drug X", "Vehicle")))
  k <- tapply(r, factor(m$ARM, c("Drug X", "Vehicle")), sum)
  expect_equal(prim[["N analysed"]], as.character(as.vector(n)))
  expect_equal(prim[["Composite, n (%)"]], sprintf("%d (%.1f)", k, 100 * k / n))
  # AE overview by hand.
  ae <- tr$adae[tr$adae$TRTEMFL == "Y", ]
  ae$ARM <- tr$adsl$ARM[match(ae$USUBJID, tr$adsl$USUBJID)]
  N <- table(factor(tr$adsl$ARM[tr$adsl$SAFFL == "Y"], c("Drug X", "Vehicle")))
  subj <- function(rows) table(factor(unique(ae[rows, c("USUBJID", "ARM")])$ARM, c("Drug X", "Vehicle")))
  ov <- table_in(h$doc, "ae-overview-table")
  cols <- sprintf("%s (N=%d)", c("Drug X", "Vehicle"), N)
  expect_equal(unname(unlist(ov[ov[[1]] == "Any TEAE", cols])), n_pct(subj(TRUE), N))
  expect_equal(unname(unlist(ov[ov[[1]] == "Related TEAE", cols])), n_pct(subj(ae$AEREL == "RELATED"), N))
  expect_equal(unname(unlist(ov[ov[[1]] == "Serious TEAE", cols])), n_pct(subj(ae$AESER == "Y"), N))
})

test_that("character and ISO 8601 partial dates: the safety section renders, TEAE by the onset window", {
  skip_report()
  d <- pilot()
  sl <- as.data.frame(d$adsl)
  # First dose as ISO text, last dose as SAS DATE9 text ("02JUL2014").
  months <- c("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
  date9 <- function(x) ifelse(is.na(x), "", sprintf("%02d%s%s", as.integer(format(x, "%d")),
                                                    months[as.integer(format(x, "%m"))], format(x, "%Y")))
  trt_start <- sl$TRTSDT
  trt_end <- sl$TRTEDT
  sl$TRTSDT <- ifelse(is.na(trt_start), "", format(trt_start, "%Y-%m-%d"))
  sl$TRTEDT <- date9(trt_end)
  # No ASTDY and no TRTEMFL: emergence comes from the onset dates. ASTDT as
  # text; every 4th record has ASTDT missing and only a partial AESTDTC
  # ("2014-03"), every 9th a year ("2014"), every 13th nothing at all.
  ae <- as.data.frame(d$adae)
  ae$ASTDY <- NULL
  ae$TRTEMFL <- NULL
  onset <- ae$ASTDT
  ae$ASTDT <- ifelse(is.na(onset), "", format(onset, "%Y-%m-%d"))
  ae$AESTDTC <- ae$ASTDT
  i <- seq_len(nrow(ae))
  month <- i %% 4 == 0
  year <- i %% 9 == 0 & !month
  none <- i %% 13 == 0 & !month & !year
  ae$ASTDT[month | year | none] <- NA
  ae$AESTDTC[month] <- substr(ae$AESTDTC[month], 1, 7)
  ae$AESTDTC[year] <- substr(ae$AESTDTC[year], 1, 4)
  ae$AESTDTC[none] <- ""
  # Hand imputation: partial start dates complete to the first day, or to
  # the first-dose date when it lies in that month (year).
  first <- trt_start[match(ae$USUBJID, sl$USUBJID)]
  same <- !is.na(first) & ((month & format(onset, "%Y-%m") == format(first, "%Y-%m")) |
                             (year & format(onset, "%Y") == format(first, "%Y")))
  onset[month] <- as.Date(paste0(format(onset[month], "%Y-%m"), "-01"))
  onset[year] <- as.Date(paste0(format(onset[year], "%Y"), "-01-01"))
  moved <- same & first > onset
  onset[moved] <- first[moved]
  onset[none] <- NA
  path <- suppressMessages(render_trial_report(sl, adae = ae, output_file = tempfile(fileext = ".html"),
                                               params = list(sections = "safety", control = "Placebo")))
  h <- html_text(path)
  expect_true("Safety" %in% h$h1)
  expect_true(all(c("AE overview", "AEs by system organ class and preferred term") %in% h$h2))
  expect_false(grepl("Error in |## Error|Traceback|could not be computed", h$text))
  n_dtc <- sum((month | year) & !is.na(onset))
  expect_match(h$text, sprintf("%d AE onset dates taken from AESTDTC (ASTDT missing), %d of them partial",
                               n_dtc, n_dtc), fixed = TRUE)
  n_moved <- sum(moved & !none, na.rm = TRUE)
  expect_gt(n_moved, 0)
  expect_match(h$text, sprintf("%d partial AE onset dates in the month (or year) of the first dose completed to the first-dose date",
                               n_moved), fixed = TRUE)
  # Independent TEAE count: onset on or after the first dose and at most 30
  # days after the last; a missing onset counts as treatment-emergent.
  saf <- sl$SAFFL == "Y"
  k <- match(ae$USUBJID, sl$USUBJID[saf])
  start <- trt_start[saf][k]
  end <- trt_end[saf][k]
  teae <- !is.na(k) & (is.na(onset) | (onset >= start & (is.na(end) | onset <= end + 30)))
  arms <- c("Xanomeline Low Dose", "Xanomeline High Dose", "Placebo")
  N <- table(factor(sl$ARM[saf], arms))
  arm_of <- sl$ARM[saf][k]
  n <- table(factor(unique(data.frame(id = ae$USUBJID, arm = arm_of)[teae, ])$arm, arms))
  ov <- table_in(h$doc, "ae-overview-table")
  cols <- sprintf("%s (N=%d)", arms, N)
  expect_equal(unname(unlist(ov[ov[[1]] == "Any TEAE", cols])), n_pct(n, N))
})
