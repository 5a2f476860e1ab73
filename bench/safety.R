# Benchmark of the safety summaries against equivalent dplyr pipelines:
# 100,000 subjects x 50 AEs (5 M AE records) for TEAE-by-SOC/PT counts and
# 2 M lab records for CTCAE grading plus worst grade per subject/parameter.
# Prints timings and the ratio dplyr / glycotrial; checks the counts agree.
suppressPackageStartupMessages({
  library(glycotrial)
  library(dplyr)
})
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
cpu <- c(gly_ae = NA, dp_ae = NA, gly_lab = NA, dp_lab = NA)
time_it <- function(expr, key) {
  t <- system.time(force(expr))
  cpu[[key]] <<- t[["user.self"]] + t[["sys.self"]]
  t[["elapsed"]]
}

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

cat(sprintf("AE by SOC/PT/grade, %d subjects x %d AEs (%.1f M records): glycotrial %.2f s (CPU %.2f s), dplyr %.2f s (CPU %.2f s), ratio dplyr/glycotrial %.1f (CPU %.1f)\n",
            n_subj, n_ae, nrow(adae) / 1e6, t_gly_ae, cpu[["gly_ae"]], t_dp_ae, cpu[["dp_ae"]],
            t_dp_ae / t_gly_ae, cpu[["dp_ae"]] / cpu[["gly_ae"]]))
cat(sprintf("CTCAE grading + worst grade, %.1f M lab records: glycotrial %.2f s (CPU %.2f s), dplyr %.2f s (CPU %.2f s), ratio dplyr/glycotrial %.1f (CPU %.1f)\n",
            n_lab / 1e6, t_gly_lab, cpu[["gly_lab"]], t_dp_lab, cpu[["dp_lab"]],
            t_dp_lab / t_gly_lab, cpu[["dp_lab"]] / cpu[["gly_lab"]]))
