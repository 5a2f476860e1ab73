test_that("ae_by_term counts subjects and events as derived by hand", {
  d <- safety_toy()
  res <- ae_by_term(d$adae, d$adsl)
  expect_s3_class(res, "glycotrial_safety")
  # Arm A (N=3): S1, S2 with TEAEs; 4 events. Arm B (N=2): S4 (Headache d15),
  # S5 (Nausea, missing flag counted as TEAE); 2 events. Arm C: N = 0.
  expect_equal(ard_stat(res, level = "any", arm = "A", stat_name = "n"), 2)
  expect_equal(ard_stat(res, level = "any", arm = "A", stat_name = "events"), 4)
  expect_equal(ard_stat(res, level = "any", arm = "A", stat_name = "N"), 3)
  expect_equal(ard_stat(res, level = "any", arm = "B", stat_name = "n"), 2)
  expect_equal(ard_stat(res, level = "any", arm = "B", stat_name = "N"), 2)
  expect_equal(ard_stat(res, level = "any", arm = "C", stat_name = "N"), 0)
  expect_true(is.na(ard_stat(res, level = "any", arm = "C", stat_name = "pct")))
  expect_equal(ard_stat(res, level = "pt", pt = "Nausea", arm = "A", stat_name = "n"), 2)
  expect_equal(ard_stat(res, level = "pt", pt = "Nausea", arm = "A", stat_name = "events"), 3)
  expect_equal(ard_stat(res, level = "pt", pt = "Nausea", arm = "B", stat_name = "n"), 1)
  expect_equal(ard_stat(res, level = "soc", soc = "Nervous", arm = "B", stat_name = "n"), 1)
  expect_equal(ard_stat(res, level = "pt", pt = "Nausea", arm = "A", stat_name = "pct"), 200 / 3)
  # Rash (after the window, TRTEMFL N) is not a TEAE: no Skin line at all.
  expect_false("Skin" %in% res$ard$soc)
  # Sorted by frequency: GI (3 subjects) before Nervous (2).
  expect_equal(res$table$term[1:3], c("Any TEAE", "GI", "  Nausea"))
})

test_that("missing onset handling and the onset-window rule", {
  d <- safety_toy()
  ex <- ae_by_term(d$adae, d$adsl, teae = teae_window("flag", missing_onset = "exclude"))
  expect_equal(ard_stat(ex, level = "any", arm = "B", stat_name = "n"), 1)
  # Window rule (days 1 .. 90 + 30): S4 day -3 and S5 day 200 out, S5 missing onset in.
  w <- ae_by_term(d$adae, d$adsl, teae = teae_window("window", lag = 30))
  expect_equal(ard_stat(w, level = "any", arm = "B", stat_name = "n"), 2)
  expect_equal(ard_stat(w, level = "pt", pt = "Headache", arm = "B", stat_name = "events"), 1)
  w0 <- ae_by_term(d$adae, d$adsl, teae = teae_window("window", missing_onset = "exclude"))
  expect_equal(ard_stat(w0, level = "any", arm = "B", stat_name = "n"), 1)
  none <- ae_by_term(d$adae, d$adsl, teae = teae_window("none"))
  expect_equal(ard_stat(none, level = "pt", pt = "Rash", arm = "B", stat_name = "n"), 1)
})

test_that("worst grade, severity and relatedness per subject and term", {
  d <- safety_toy()
  g <- ae_by_term(d$adae, d$adsl, by = "grade")
  # Nausea in A: S1 worst grade 3 (grades 1 and 3), S2 grade 2.
  expect_equal(ard_stat(g, pt = "Nausea", arm = "A", category = "Grade 3", stat_name = "n"), 1)
  expect_equal(ard_stat(g, pt = "Nausea", arm = "A", category = "Grade 2", stat_name = "n"), 1)
  expect_equal(ard_stat(g, pt = "Nausea", arm = "A", category = "Grade 1", stat_name = "n"), 0)
  # Any TEAE in A: S1 worst 3, S2 worst 2.
  expect_equal(ard_stat(g, level = "any", arm = "A", category = "Grade 3", stat_name = "n"), 1)
  s <- ae_by_term(d$adae, d$adsl, by = "severity")
  expect_equal(ard_stat(s, pt = "Nausea", arm = "A", category = "Severe", stat_name = "n"), 1)
  r <- ae_by_term(d$adae, d$adsl, by = "relatedness")
  # Nausea A: S1 has a related (g1) and an unrelated event -> related; S2 RELATED.
  expect_equal(ard_stat(r, pt = "Nausea", arm = "A", category = "Related", stat_name = "n"), 2)
  expect_equal(ard_stat(r, level = "pt", pt = "Headache", arm = "B", category = "Not related",
                        stat_name = "n"), 1)
})

test_that("risk differences use the Newcombe hybrid score interval", {
  d <- safety_toy()
  res <- ae_by_term(d$adae, d$adsl, ref_arm = "A")
  # Nausea: B 1/2 vs A 2/3. Newcombe (1998) method 10 from Wilson limits
  # (prop.test without continuity correction gives the Wilson interval).
  w1 <- suppressWarnings(stats::prop.test(1, 2, correct = FALSE))$conf.int
  w2 <- suppressWarnings(stats::prop.test(2, 3, correct = FALSE))$conf.int
  p1 <- 1 / 2
  p2 <- 2 / 3
  lo <- (p1 - p2) - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2)
  hi <- (p1 - p2) + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2)
  expect_equal(ard_stat(res, level = "pt", pt = "Nausea", arm = "B vs A", stat_name = "rd"),
               100 * (p1 - p2), tolerance = 1e-10)
  expect_equal(ard_stat(res, level = "pt", pt = "Nausea", arm = "B vs A", stat_name = "rd_lower"),
               100 * lo, tolerance = 1e-6)
  expect_equal(ard_stat(res, level = "pt", pt = "Nausea", arm = "B vs A", stat_name = "rd_upper"),
               100 * hi, tolerance = 1e-6)
  # The empty arm has no risk difference.
  expect_true(is.na(ard_stat(res, level = "pt", pt = "Nausea", arm = "C vs A", stat_name = "rd")))
})

test_that("min_pct keeps terms frequent in any arm", {
  d <- safety_toy()
  res <- ae_by_term(d$adae, d$adsl, min_pct = 60)
  # Nausea: A 66.7 %; Headache: A 33.3 %, B 50 % -> dropped.
  expect_true("Nausea" %in% res$ard$pt)
  expect_false("Headache" %in% res$ard$pt)
  expect_false("Nervous" %in% res$ard$soc)
})

test_that("ae_overview lines are counted by hand", {
  d <- safety_toy()
  o <- ae_overview(d$adae, d$adsl, aesi = character())
  cat_n <- function(cat, arm) ard_stat(o, category = cat, arm = arm, stat_name = "n")
  expect_equal(cat_n("Any TEAE", "A"), 2)
  # Related TEAE: S1 (Nausea g1 Y), S2 (RELATED) in A; S5 (Nausea Y) in B.
  expect_equal(cat_n("Related TEAE", "A"), 2)
  expect_equal(cat_n("Related TEAE", "B"), 1)
  expect_equal(cat_n("Serious TEAE", "A"), 1)
  expect_equal(cat_n("Serious TEAE", "B"), 0)
  expect_equal(cat_n("TEAE of CTCAE grade >= 3", "A"), 1)
  expect_equal(cat_n("TEAE leading to discontinuation", "A"), 1)
  expect_equal(cat_n("TEAE leading to death", "A"), 0)
  expect_false("AE of special interest" %in% o$ard$category)
  o2 <- ae_overview(d$adae, d$adsl, aesi = "infusion_reactions")
  expect_equal(ard_stat(o2, category = "AE of special interest", arm = "A", stat_name = "n"), 2)
  # The built-in (trial-specific) AESI groups apply only when asked for.
  expect_equal(ae_overview(d$adae, d$adsl)$ard, o$ard)
  expect_error(ae_special_interest(d$adae, d$adsl), "glycotrial_plugins",
               class = "glycotrial_error_input")
  expect_error(ae_time_to_first(d$adae, d$adsl), class = "glycotrial_error_input")
})

test_that("results convert, print and render", {
  d <- safety_toy()
  res <- ae_by_term(d$adae, d$adsl)
  ard <- as.data.frame(res)
  expect_named(ard, c("level", "soc", "pt", "category", "arm", "stat_name", "stat_label", "stat"))
  expect_identical(generics::tidy(res), ard)
  expect_output(print(res), "Treatment-emergent adverse events")
  skip_if_not_installed("flextable")
  ft <- flextable::as_flextable(res)
  expect_s3_class(ft, "flextable")
  skip_if_not_installed("ggplot2")
  p <- ggplot2::autoplot(res)
  expect_s3_class(p, "ggplot")
})

test_that("tidy() works with only glycotrial attached (re-exported generic)", {
  d <- safety_toy()
  res <- ae_by_term(d$adae, d$adsl)
  expect_identical(glycotrial::tidy(res), res$ard)
  expect_identical(glycotrial::tidy, generics::tidy)
  # A fresh R session that attaches glycotrial alone: tidy() must resolve to
  # the re-exported generic and dispatch to the safety method.
  rscript <- file.path(R.home("bin"), "Rscript")
  skip_if_not(file.exists(rscript))
  code <- paste(
    "suppressPackageStartupMessages(library(glycotrial))",
    "adsl <- data.frame(USUBJID = 1:4, ARM = c('A', 'A', 'B', 'B'), SAFFL = 'Y')",
    "adae <- data.frame(USUBJID = c(1, 3), AEDECOD = 'Nausea', AEBODSYS = 'GI', TRTEMFL = 'Y')",
    "td <- tidy(ae_by_term(adae, adsl))",
    "cat(!'package:generics' %in% search(), !'package:broom' %in% search(),",
    "    is.data.frame(td), sum(td$stat_name == 'n' & td$level == 'pt'), sep = ',')",
    sep = "\n")
  f <- tempfile(fileext = ".R")
  on.exit(unlink(f))
  writeLines(code, f)
  out <- withr::with_envvar(c(R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep)),
                            system2(rscript, c("--vanilla", f), stdout = TRUE, stderr = TRUE))
  expect_identical(utils::tail(out, 1), "TRUE,TRUE,TRUE,2")
})

test_that("bad input raises classed errors", {
  d <- safety_toy()
  bad <- d$adae
  bad$USUBJID[1] <- "S99"
  expect_error(ae_by_term(bad, d$adsl, unmatched = "error"), "S99",
               class = "glycotrial_error_unmatched_subjects")
  # Default: dropped with a classed message naming the subject.
  expect_message(res <- ae_by_term(bad, d$adsl), "S99",
                 class = "glycotrial_message_dropped_subjects")
  expect_equal(ard_stat(res, level = "any", arm = "A", stat_name = "events"), 3)
  sev <- d$adae
  sev$AESEV[2] <- "LIFE THREATENING"
  expect_error(ae_by_term(sev, d$adsl, by = "severity"), "LIFE THREATENING",
               class = "glycotrial_error_input")
  gr <- d$adae
  gr$AETOXGR[1] <- "7"
  expect_error(ae_by_term(gr, d$adsl, by = "grade"), class = "glycotrial_error_input")
  rel <- d$adae
  rel$AEREL[1] <- "POSSIBLE"
  expect_error(ae_by_term(rel, d$adsl, by = "relatedness"), "POSSIBLE",
               class = "glycotrial_error_input")
  expect_silent(ae_by_term(rel, d$adsl, by = "relatedness",
                           vars = ae_vars(related_values = c("Y", "RELATED", "POSSIBLE"))))
  expect_error(ae_by_term(d$adae[, -2], d$adsl), "AEBODSYS", class = "glycotrial_error_input")
  expect_error(ae_by_term(d$adae, d$adsl, min_pct = 120), class = "glycotrial_error_input")
  expect_error(ae_by_term(d$adae, d$adsl, by = "colour"), class = "glycotrial_error_input")
  expect_error(ae_by_term(d$adae, d$adsl, ref_arm = "Z"), class = "glycotrial_error_input")
  expect_error(ae_overview(d$adae, d$adsl, vars = list()), class = "glycotrial_error_input")
  dup <- rbind(d$adsl, d$adsl[1, ])
  expect_error(ae_by_term(d$adae, dup), "one row per subject", class = "glycotrial_error_input")
  flag <- d$adae
  flag$TRTEMFL[1] <- "maybe"
  expect_error(ae_by_term(flag, d$adsl), class = "glycotrial_error_input")
})

test_that("counts do not depend on record order, factor coding or string encoding", {
  d <- safety_toy()
  ref <- ae_by_term(d$adae, d$adsl, by = "grade")$ard
  # Records shuffled (subjects no longer grouped: the core's sorting path).
  shuffled <- d$adae[c(9, 4, 1, 6, 2, 8, 3, 5, 7), ]
  expect_equal(ae_by_term(shuffled, d$adsl, by = "grade")$ard, ref)
  # Factors (with an unused level) instead of character columns.
  fac <- d$adae
  for (col in c("USUBJID", "AEBODSYS", "AEDECOD", "AETOXGR", "TRTEMFL")) {
    fac[[col]] <- factor(fac[[col]], levels = c(sort(unique(fac[[col]])), "unused"))
  }
  expect_equal(ae_by_term(fac, d$adsl, by = "grade")$ard, ref)
  # The same term in two string encodings is one term.
  adsl <- data.frame(USUBJID = c("S1", "S2"), ARM = "A", SAFFL = "Y")
  pt_utf8 <- enc2utf8("Pyr\u00e9xie")
  pt_latin1 <- iconv(pt_utf8, "UTF-8", "latin1")
  expect_identical(Encoding(pt_latin1), "latin1")
  adae <- data.frame(USUBJID = c("S1", "S2"), AEBODSYS = "General", TRTEMFL = "Y",
                     AEDECOD = c(pt_utf8, pt_latin1), stringsAsFactors = FALSE)
  res <- ae_by_term(adae, adsl)
  expect_equal(sum(res$ard$level == "pt" & res$ard$stat_name == "n"), 1)
  expect_equal(ard_stat(res, level = "pt", arm = "A", stat_name = "n"), 2)
})
