# Benchmark of the safety summaries against equivalent dplyr pipelines:
# 100,000 subjects x 50 AEs (5 M AE records) for TEAE-by-SOC/PT counts and
# AEs of special interest, 2 M lab records for CTCAE grading plus worst grade
# per subject/parameter and for the baseline x worst grade shift table.
# Prints timings and the ratio dplyr / glycotrial; checks the counts agree.
suppressPackageStartupMessages({
  library(glycotrial)
  library(dplyr)
})
# SAFETY_BENCH_PARTS (comma-separated, default all): ae, lab, shift, aesi.
# The dplyr AE reference alone takes many minutes on a loaded machine.
parts <- strsplit(Sys.getenv("SAFETY_BENCH_PARTS", "ae,lab,shift,aesi"), ",")[[1]]
set.seed(1)
n_subj <- 100000
n_ae <- 50
arms <- c("Placebo", "Low dose", "High dose")
adsl <- data.frame(USUBJID = sprintf("S%06d", seq_len(n_subj)),
                   ARM = sample(arms, n_subj, replace = TRUE), SAFFL = "Y",
                   stringsAsFactors = FALSE)
soc <- sprintf("SOC %02d", 1:25)
pt_soc <- rep(soc, each = 8)
pt <- sprintf("PT %03d", seq_along(pt_soc))
k <- sample(length(pt), n_subj * n_ae, replace = TRUE, prob = rev(seq_along(pt)))
adae <- data.frame(USUBJID = rep(adsl$USUBJID, each = n_ae), AEDECOD = pt[k],
                   AEBODSYS = pt_soc[k], AETOXGR = as.character(sample(1:4, length(k), TRUE)),
                   TRTEMFL = sample(c("Y", "N"), length(k), TRUE, prob = c(0.9, 0.1)),
                   stringsAsFactors = FALSE)

# Elapsed and CPU (user + system) seconds: on the shared machine elapsed time
# mostly measures the load, CPU time the work done (all code is single-threaded).
cpu <- c(gly_ae = NA, dp_ae = NA, gly_lab = NA, dp_lab = NA, gly_shift = NA, old_shift = NA,
         dp_shift = NA, gly_aesi = NA, dp_aesi = NA)
time_it <- function(expr, key) {
  t <- system.time(force(expr))
  cpu[[key]] <<- t[["user.self"]] + t[["sys.self"]]
  t[["elapsed"]]
}

t_gly_ae <- t_dp_ae <- t_gly_lab <- t_dp_lab <- t_gly_shift <- t_old_shift <- t_dp_shift <-
  t_gly_aesi <- t_dp_aesi <- NA
if ("ae" %in% parts) {
t_gly_ae <- time_it(res <- ae_by_term(adae, adsl, by = "grade"), "gly_ae")
t_dp_ae <- time_it({
  pop <- adsl %>% filter(SAFFL == "Y") %>% select(USUBJID, ARM)
  teae <- adae %>% filter(TRTEMFL == "Y") %>% inner_join(pop, by = "USUBJID")
  worst <- teae %>% group_by(ARM, AEBODSYS, AEDECOD, USUBJID) %>%
    summarise(grade = max(as.integer(AETOXGR)), n_ev = n(), .groups = "drop")
  by_pt <- worst %>% group_by(ARM, AEBODSYS, AEDECOD) %>%
    summarise(n = n(), events = sum(n_ev), .groups = "drop")
  by_grade <- worst %>% count(ARM, AEBODSYS, AEDECOD, grade)
  by_soc <- teae %>% distinct(ARM, AEBODSYS, USUBJID) %>% count(ARM, AEBODSYS)
}, "dp_ae")
ours <- res$ard[res$ard$level == "pt" & res$ard$category == "Any" & res$ard$stat_name == "n", ]
chk <- merge(by_pt, ours, by.x = c("ARM", "AEBODSYS", "AEDECOD"), by.y = c("arm", "soc", "pt"))
stopifnot(nrow(chk) == nrow(by_pt), all(chk$n == chk$stat))
}

# Labs: 2 M records, ALT/AST/BILI/CREAT/K with ranges and baselines.
n_lab <- 2e6
params <- c("ALT", "AST", "BILI", "CREAT", "K")
uln <- c(ALT = 40, AST = 40, BILI = 21, CREAT = 110, K = 5.1)
lln <- c(ALT = 0, AST = 0, BILI = 3, CREAT = 60, K = 3.5)
p <- sample(params, n_lab, TRUE)
adlb <- data.frame(USUBJID = sample(adsl$USUBJID, n_lab, TRUE), PARAMCD = p,
                   AVAL = uln[p] * rlnorm(n_lab, -0.3, 0.5), ANRLO = lln[p], ANRHI = uln[p],
                   BASE = uln[p] * rlnorm(n_lab, -0.4, 0.3), ADY = sample(2:200, n_lab, TRUE),
                   stringsAsFactors = FALSE)
adlb$AVAL[p == "K"] <- rnorm(sum(p == "K"), 4.4, 0.6)
adlb$BASE[p == "K"] <- 4.4
adlb$AVALU <- ifelse(p == "K", "mmol/L", "U/L")

if (any(c("lab", "shift") %in% parts)) {
t_gly_lab <- time_it({
  g <- grade_lab(adlb)
  w <- lab_worst_grade(g, adsl)
}, "gly_lab")
# dplyr equivalent of the ALT/AST/BILI/CREAT (high) and K (high and low) criteria.
t_dp_lab <- time_it({
  gd <- adlb %>% mutate(
    ab = BASE > ANRHI,
    r = ifelse(PARAMCD %in% c("ALT", "AST", "BILI") & ab, AVAL / BASE, AVAL / ANRHI),
    hi = case_when(
      PARAMCD %in% c("ALT", "AST") & !ab ~ case_when(r > 20 ~ 4L, r > 5 ~ 3L, r > 3 ~ 2L, r > 1 ~ 1L, TRUE ~ 0L),
      PARAMCD %in% c("ALT", "AST") & ab ~ case_when(r > 20 ~ 4L, r > 5 ~ 3L, r > 3 ~ 2L, r >= 1.5 ~ 1L, TRUE ~ 0L),
      PARAMCD == "BILI" ~ case_when(r > 10 ~ 4L, r > 3 ~ 3L, r > 1.5 ~ 2L, r > 1 ~ 1L, TRUE ~ 0L),
      PARAMCD == "CREAT" ~ pmax(case_when(r > 6 ~ 4L, r > 3 ~ 3L, r > 1.5 ~ 2L, r > 1 ~ 1L, TRUE ~ 0L),
                                case_when(AVAL > 3 * BASE ~ 3L, AVAL > 1.5 * BASE ~ 2L, TRUE ~ 0L)),
      PARAMCD == "K" ~ case_when(AVAL > 7 ~ 4L, AVAL > 6 ~ 3L, AVAL > 5.5 ~ 2L, AVAL > ANRHI ~ 1L, TRUE ~ 0L)),
    lo = if_else(PARAMCD == "K", case_when(AVAL < 2.5 ~ 4L, AVAL < 3 ~ 3L, AVAL < ANRLO ~ 2L, TRUE ~ 0L),
                 NA_integer_))
  wd <- gd %>% inner_join(adsl %>% select(USUBJID, ARM), by = "USUBJID") %>%
    group_by(ARM, PARAMCD, USUBJID) %>% summarise(worst = max(hi), .groups = "drop") %>%
    count(ARM, PARAMCD, worst)
}, "dp_lab")
stopifnot(all(g$ATOXGRH == gd$hi, na.rm = TRUE), identical(is.na(g$ATOXGRH), is.na(gd$hi)))
}


# lab_shift() on the same 2 M graded records: integer codes (now) vs the former
# string-keyed code (kept here verbatim as the reference: paste() keys,
# tapply() per key, sub() to split them back, table()) and vs dplyr.
lab_shift_strings <- function(adlb, adsl, direction = c("high", "low"), vars = lab_vars()) {
  call <- sys.call()
  direction <- check_choice(direction[1], c("high", "low"), arg = "direction")
  cols <- check_graded(adlb, direction, call)
  d <- prepare_lab(adlb, adsl, vars, call = call, extra = cols)
  lb <- d$lb
  post <- is_postbaseline(lb, vars)
  has_crit <- !is.na(lb[[cols[3]]])
  lb <- lb[post & has_crit, , drop = FALSE]
  subj <- d$subj[post & has_crit]
  key <- paste(subj, lb[[vars$param]], sep = "\r")
  g <- lb[[cols[1]]]
  worst <- tapply(ifelse(is.na(g), -1L, g), key, max)
  bgr <- tapply(lb[[cols[2]]], key, function(v) v[!is.na(v)][1])
  ks <- names(worst)
  s_idx <- as.integer(sub("\r.*$", "", ks))
  param <- sub("^.*\r", "", ks)
  lvl <- c("0", "1", "2", "3", "4", "Missing")
  lab <- function(v) factor(ifelse(is.na(v) | v < 0, "Missing", as.character(pmin(v, 4))),
                            levels = lvl)
  df <- data.frame(param = param, arm = d$pop$arm[s_idx], baseline_grade = lab(bgr[ks]),
                   worst_grade = lab(worst[ks]))
  tab <- as.data.frame(table(df$param, df$arm, df$baseline_grade, df$worst_grade),
                       stringsAsFactors = FALSE)
  names(tab) <- c("param", "arm", "baseline_grade", "worst_grade", "n")
  tab[order(tab$param, match(tab$arm, levels(d$pop$arm)), tab$baseline_grade,
            tab$worst_grade), ]
}
environment(lab_shift_strings) <- asNamespace("glycotrial")
if ("shift" %in% parts) {
t_gly_shift <- time_it(sh <- lab_shift(g, adsl), "gly_shift")
t_old_shift <- time_it(sh_old <- lab_shift_strings(g, adsl), "old_shift")
t_dp_shift <- time_it({
  shd <- g %>% filter(ADY > 1, !is.na(ATOXDSCH)) %>%
    inner_join(adsl %>% filter(SAFFL == "Y") %>% select(USUBJID, ARM), by = "USUBJID") %>%
    group_by(ARM, PARAMCD, USUBJID) %>%
    summarise(worst = max(coalesce(ATOXGRH, -1L)), base = first(BTOXGRH[!is.na(BTOXGRH)]),
              .groups = "drop") %>%
    mutate(worst = if_else(worst < 0, "Missing", as.character(pmin(worst, 4L))),
           base = if_else(is.na(base), "Missing", as.character(pmin(base, 4L)))) %>%
    count(PARAMCD, ARM, base, worst)
}, "dp_shift")
ours_sh <- sh$ard[sh$ard$stat_name == "n", ]
stopifnot(all(ours_sh$stat == sh_old$n))
chk <- merge(shd, ours_sh, by.x = c("PARAMCD", "ARM", "base", "worst"),
             by.y = c("param", "arm", "baseline_grade", "worst_grade"))
stopifnot(nrow(chk) == nrow(shd), all(chk$n == chk$stat), sum(ours_sh$stat) == sum(shd$n))
}

# AEs of special interest on 5 M AE records: the same 100,000 subjects x 50
# AEs with realistic terms, so that every registered AESI group has events
# (PTs of the infusion-reaction, hepatic, renal and hypoglycaemia groups and
# whole SOCs for infections, neoplasms and hepatobiliary disorders), onset days
# and treatment dates for the exposure-adjusted rates.
if ("aesi" %in% parts) {
aesi_keys <- c("infusion_reactions", "infections", "neoplasms", "hepatic", "renal",
               "hypoglycaemia")
term_pt <- unique(unlist(lapply(aesi_keys, function(k) aesi_terms(k)$terms)))
si_pt <- c(term_pt, sprintf("PT %03d", seq_len(200 - length(term_pt))))
si_soc <- c(rep("Investigations", length(term_pt)),
            rep(c("Infections and infestations",
                  "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
                  "Hepatobiliary disorders", soc[1:9]), length.out = 200 - length(term_pt)))
adae$AEDECOD <- si_pt[k]
adae$AEBODSYS <- si_soc[k]
adae$ASTDY <- sample(c(1:365, NA), length(k), TRUE, prob = c(rep(1, 365), 5))
adsl$TRTSDT <- as.Date("2024-01-01")
adsl$TRTEDT <- adsl$TRTSDT + sample(150:364, n_subj, TRUE)
t_gly_aesi <- time_it(si <- ae_special_interest(adae, adsl, aesi = aesi_keys), "gly_aesi")
t_dp_aesi <- time_it({
  pop <- adsl %>% filter(SAFFL == "Y") %>%
    transmute(USUBJID, ARM, window = as.numeric(TRTEDT - TRTSDT) + 1 + 30)
  key_map <- bind_rows(lapply(aesi_keys, function(g) {
    d <- aesi_terms(g)
    bind_rows(tibble(group = g, by = "pt", key = toupper(d$terms)),
              tibble(group = g, by = "soc", key = toupper(d$socs)))
  }))
  teae <- adae %>% filter(TRTEMFL == "Y") %>% inner_join(pop, by = "USUBJID") %>%
    mutate(rid = row_number(), PTU = toupper(trimws(AEDECOD)), SOCU = toupper(trimws(AEBODSYS)))
  mem <- bind_rows(
    teae %>% inner_join(filter(key_map, by == "pt"), by = c(PTU = "key")),
    teae %>% inner_join(filter(key_map, by == "soc"), by = c(SOCU = "key"))) %>%
    distinct(group, rid, .keep_all = TRUE)
  by_group <- mem %>% group_by(group, ARM) %>%
    summarise(n = n_distinct(USUBJID), events = n(), .groups = "drop")
  first_ev <- mem %>% group_by(group, USUBJID) %>%
    summarise(first = min(coalesce(as.numeric(ASTDY), Inf)), .groups = "drop")
  rates <- pop %>% slice(rep(seq_len(n()), length(aesi_keys))) %>%
    mutate(group = rep(aesi_keys, each = nrow(pop))) %>%
    left_join(first_ev, by = c("group", "USUBJID")) %>%
    mutate(t = if_else(is.na(first), window, pmin(pmax(first, 1), window))) %>%
    group_by(group, ARM) %>%
    summarise(py = sum(t) / 365.25, x = sum(!is.na(first)), .groups = "drop") %>%
    mutate(eair = 100 * x / py, lower = 100 * qchisq(0.025, 2 * x) / 2 / py,
           upper = 100 * qchisq(0.975, 2 * x + 2) / 2 / py)
  by_pt <- mem %>% group_by(group, AEDECOD, ARM) %>%
    summarise(n = n_distinct(USUBJID), events = n(), .groups = "drop")
}, "dp_aesi")
ours_si <- si$ard[is.na(si$ard$pt) & si$ard$stat_name %in% c("n", "eair"), ]
chk_n <- merge(by_group, ours_si[ours_si$stat_name == "n", ], by.x = c("group", "ARM"),
               by.y = c("group", "arm"))
chk_r <- merge(rates, ours_si[ours_si$stat_name == "eair", ], by.x = c("group", "ARM"),
               by.y = c("group", "arm"))
stopifnot(nrow(chk_n) == nrow(by_group), all(chk_n$n == chk_n$stat),
          nrow(chk_r) == nrow(rates), isTRUE(all.equal(chk_r$eair, chk_r$stat)))
}

load_avg <- tryCatch(readLines("/proc/loadavg")[1], error = function(e) NA)
cat(sprintf("load average (1/5/15 min, at the end): %s\n", load_avg))
if ("ae" %in% parts) cat(sprintf("AE by SOC/PT/grade, %d subjects x %d AEs (%.1f M records): glycotrial %.2f s (CPU %.2f s), dplyr %.2f s (CPU %.2f s), ratio dplyr/glycotrial %.1f (CPU %.1f)\n",
            n_subj, n_ae, nrow(adae) / 1e6, t_gly_ae, cpu[["gly_ae"]], t_dp_ae, cpu[["dp_ae"]],
            t_dp_ae / t_gly_ae, cpu[["dp_ae"]] / cpu[["gly_ae"]]))
if (any(c("lab", "shift") %in% parts)) cat(sprintf("CTCAE grading + worst grade, %.1f M lab records: glycotrial %.2f s (CPU %.2f s), dplyr %.2f s (CPU %.2f s), ratio dplyr/glycotrial %.1f (CPU %.1f)\n",
            n_lab / 1e6, t_gly_lab, cpu[["gly_lab"]], t_dp_lab, cpu[["dp_lab"]],
            t_dp_lab / t_gly_lab, cpu[["dp_lab"]] / cpu[["gly_lab"]]))
if ("shift" %in% parts) cat(sprintf("lab_shift, %.1f M lab records: glycotrial %.2f s (CPU %.2f s), former string-keyed code %.2f s (CPU %.2f s), dplyr %.2f s (CPU %.2f s); speed-up vs former %.1f (CPU %.1f), ratio dplyr/glycotrial %.1f (CPU %.1f)\n",
            n_lab / 1e6, t_gly_shift, cpu[["gly_shift"]], t_old_shift, cpu[["old_shift"]],
            t_dp_shift, cpu[["dp_shift"]], t_old_shift / t_gly_shift,
            cpu[["old_shift"]] / cpu[["gly_shift"]], t_dp_shift / t_gly_shift,
            cpu[["dp_shift"]] / cpu[["gly_shift"]]))
if ("aesi" %in% parts) cat(sprintf("ae_special_interest, %.1f M AE records, %d AESI groups: glycotrial %.2f s (CPU %.2f s), dplyr %.2f s (CPU %.2f s), ratio dplyr/glycotrial %.1f (CPU %.1f)\n",
            nrow(adae) / 1e6, length(aesi_keys), t_gly_aesi, cpu[["gly_aesi"]], t_dp_aesi,
            cpu[["dp_aesi"]], t_dp_aesi / t_gly_aesi, cpu[["dp_aesi"]] / cpu[["gly_aesi"]]))
# The issue's target read strictly: the AE summary (5 M records) and the lab
# grading + worst grade (2 M records) together, against the two dplyr
# pipelines together.
if (all(c("ae", "lab") %in% parts)) cat(sprintf("Combined AE by SOC/PT/grade (%.1f M) + CTCAE grading and worst grade (%.1f M): glycotrial %.2f s (CPU %.2f s), dplyr %.2f s (CPU %.2f s), ratio dplyr/glycotrial %.1f (CPU %.1f)\n",
            nrow(adae) / 1e6, n_lab / 1e6, t_gly_ae + t_gly_lab, cpu[["gly_ae"]] + cpu[["gly_lab"]],
            t_dp_ae + t_dp_lab, cpu[["dp_ae"]] + cpu[["dp_lab"]],
            (t_dp_ae + t_dp_lab) / (t_gly_ae + t_gly_lab),
            (cpu[["dp_ae"]] + cpu[["dp_lab"]]) / (cpu[["gly_ae"]] + cpu[["gly_lab"]])))
