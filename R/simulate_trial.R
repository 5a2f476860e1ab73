# Simulation of an ADaM-style randomized trial modelled on NCT02302599
# (umbilical-cord mesenchymal stem cells vs placebo in insulin-treated type 2
# diabetes; Zang et al., Stem Cell Res Ther 2022, doi:10.1186/s13287-022-02848-6).
#
# The algorithm is fixed: with the same arguments and seed the same data come
# out (the random numbers are drawn in a fixed order, subject-level outcomes
# first). The caller's RNG state is restored on exit.

#' Simulate an ADaM-style diabetes cell-therapy trial
#'
#' Simulates a randomized, placebo-controlled trial of intravenous infusions
#' in insulin-treated type 2 diabetes, modelled on NCT02302599 (UC-MSC vs
#' placebo, three infusions at weeks 0, 4 and 8, follow-up to week 48), and
#' returns the four ADaM-style data sets `adsl`, `adlb`, `adae` and `adex`
#' described in [glycotrial-data]. The shipped example data were produced by
#' this function (see `data-raw/trial_data.R`).
#'
#' Design of the simulation (all on the scale of the final visit, the last
#' element of `visits`):
#' * Eligibility is respected by construction (truncated distributions):
#'   age 20--65 y, diabetes duration 1--20 y, BMI 24--40 kg/m\eqn{^2},
#'   insulin 0.5--1.0 U/kg/day, HbA1c 7--12 %, fasting C-peptide
#'   \eqn{\ge} 1 ng/mL.
#' * HbA1c at the final visit is `baseline + hba1c_change[arm]` plus
#'   regression towards the mean and a subject effect that is correlated
#'   (0.85) with the subject's insulin-dose response; intermediate visits
#'   follow an exponential approach (time constant 12 weeks) with AR(1)
#'   visit noise (rho = 0.5), giving realistic within-subject correlation.
#' * The relative change in daily insulin dose at the final visit is normal
#'   with mean `insulin_change[arm]` and SD 0.28 (truncated to the interval from -0.3 to 0.9).
#' * Fasting and OGTT (mixed-meal) glucose, insulin and C-peptide; liver and
#'   kidney chemistry with occasional transaminase elevations; eGFR by the
#'   CKD-EPI 2021 creatinine equation (Inker et al., N Engl J Med 2021).
#' * Adverse events: infusion-related events (onset 0--2 days after an
#'   infusion) with arm-specific probabilities per infusion (the first arm is
#'   the active one), and background events over follow-up.
#' * Missing data: monotone dropout (probability `dropout[arm]` per subject;
#'   the subject leaves after a uniformly chosen post-baseline visit before
#'   the final one) and intermittent missed visits (probability
#'   `missingness` per intermediate post-baseline visit). The final visit is
#'   missing only for subjects who dropped out.
#'
#' @param n Number of randomized subjects per arm: a vector of counts with one
#'   element per arm (optionally named by arm), or a single count used for
#'   every arm.
#' @param arms Character vector of arm names; the first is the active
#'   treatment, the others receive placebo infusions.
#' @param hba1c_change Mean change in HbA1c (percentage points) from
#'   baseline to the final visit, one per arm (or named by arm).
#' @param insulin_change Mean relative change in daily insulin dose at the
#'   final visit (-0.28 = 28 % reduction), one per arm (or named by arm).
#' @param dropout Probability that a subject drops out before the final visit,
#'   one per arm (or named by arm) or a single value.
#' @param missingness Probability that a subject misses an intermediate
#'   post-baseline visit (intermittent missingness), in \[0, 1).
#' @param visits Visit weeks, starting with 0 (baseline); the last is the
#'   final (primary endpoint) visit.
#' @param visit_labels Labels for `visits` (`AVISIT`), by default
#'   `"Baseline"`, `"Week 4"`, ...
#' @param ogtt_visits Weeks (a subset of `visits`) with a mixed-meal/OGTT
#'   profile and fasting insulin and C-peptide.
#' @param infusion_weeks Weeks of the infusions (a subset of `visits`
#'   before the final visit).
#' @param dose Infusion dose per arm in 10^6 cells/kg (placebo arms 0).
#' @param ae_rate Multiplier for all adverse-event probabilities and rates
#'   (1 = rates modelled on the trial; 0 = no adverse events).
#' @param seed Integer seed; `NULL` uses the current RNG state. The caller's
#'   RNG state is restored afterwards when a seed is given.
#' @param studyid Study identifier used in `STUDYID` and `USUBJID`.
#' @return A list of class `glycotrial_trial` with data frames `adsl`,
#'   `adlb`, `adae`, `adex` (columns documented in [glycotrial-data]) and
#'   `settings` (the arguments used).
#' @examples
#' tr <- simulate_trial(n = c(20, 20), seed = 1)
#' names(tr)
#' head(tr$adsl)
#' table(tr$adlb$PARAMCD)
#' # Different arm names and a shorter schedule
#' tr2 <- simulate_trial(n = 15, arms = c("Active", "Control"),
#'                       visits = c(0, 4, 8, 12, 24),
#'                       ogtt_visits = c(0, 24), seed = 2)
#' unique(tr2$adlb$AVISIT)
#' @seealso [glycotrial-data] for the shipped data and column definitions.
#' @export
simulate_trial <- function(n = c(45, 46), arms = c("UC-MSC", "Placebo"),
                           hba1c_change = c(-1.5, -0.7),
                           insulin_change = c(-0.28, -0.16),
                           dropout = c(0.02, 0.04), missingness = 0.04,
                           visits = c(0, 4, 8, 12, 24, 36, 48),
                           visit_labels = NULL,
                           ogtt_visits = c(0, 12, 24, 48),
                           infusion_weeks = c(0, 4, 8),
                           dose = NULL, ae_rate = 1, seed = NULL,
                           studyid = "GT-UCMSC-01") {
  s <- sim_settings(n = n, arms = arms, hba1c_change = hba1c_change,
                    insulin_change = insulin_change, dropout = dropout,
                    missingness = missingness, visits = visits,
                    visit_labels = visit_labels, ogtt_visits = ogtt_visits,
                    infusion_weeks = infusion_weeks, dose = dose,
                    ae_rate = ae_rate, studyid = studyid)
  if (!is.null(seed)) {
    check_count(seed, len = 1L, lower = -.Machine$integer.max, arg = "seed")
    old_rng <- save_rng()
    on.exit(restore_rng(old_rng), add = TRUE)
    set.seed(seed, kind = "Mersenne-Twister", normal.kind = "Inversion",
             sample.kind = "Rejection")
  }
  subj <- sim_subjects(s)
  visits_df <- sim_visit_schedule(subj, s)
  adlb <- sim_adlb(subj, visits_df, s)
  adex <- sim_adex(subj, s)
  adae <- sim_adae(subj, s)
  adsl <- sim_adsl(subj, s)
  structure(list(adsl = adsl, adlb = adlb, adae = adae, adex = adex,
                 settings = s),
            class = "glycotrial_trial")
}

#' @export
print.glycotrial_trial <- function(x, ...) {
  cat("<glycotrial_trial> simulated trial\n")
  print(table(ARM = x$adsl$ARM))
  for (nm in c("adsl", "adlb", "adae", "adex")) {
    cat(sprintf("  %-5s %6d rows x %2d columns\n", nm, nrow(x[[nm]]), ncol(x[[nm]])))
  }
  invisible(x)
}

# The caller's RNG state, so that a seeded simulation leaves it untouched.
save_rng <- function() {
  list(kind = RNGkind(),
       seed = if (exists(".Random.seed", envir = globalenv(), inherits = FALSE))
         get(".Random.seed", envir = globalenv()) else NULL)
}

restore_rng <- function(old) {
  do.call(RNGkind, as.list(old$kind))
  if (!is.null(old$seed)) {
    assign(".Random.seed", old$seed, envir = globalenv())
  } else if (exists(".Random.seed", envir = globalenv(), inherits = FALSE)) {
    rm(".Random.seed", envir = globalenv())
  }
  invisible(NULL)
}

# ---- argument handling -------------------------------------------------------

# One value per arm from a scalar, an unnamed vector or a vector named by arm.
per_arm <- function(x, arms, arg, call) {
  if (!is.null(names(x)) && any(nzchar(names(x)))) {
    unknown <- setdiff(names(x), arms)
    if (length(unknown)) {
      glycotrial_abort(
        c("{.arg {arg}} is named by unknown arm{?s} {.val {unknown}}.",
          "i" = "Arms are {.val {arms}}."),
        class = c("glycotrial_error_unknown_arm", "input"), call = call)
    }
    missing_arms <- setdiff(arms, names(x))
    if (length(missing_arms)) {
      glycotrial_abort("{.arg {arg}} has no value for arm{?s} {.val {missing_arms}}.",
                       call = call)
    }
    return(unname(x[arms]))
  }
  if (length(x) == 1L) return(rep(x, length(arms)))
  if (length(x) != length(arms)) {
    glycotrial_abort(
      "{.arg {arg}} must have length 1 or {length(arms)} (one per arm), not {length(x)}.",
      call = call)
  }
  x
}

sim_settings <- function(n, arms, hba1c_change, insulin_change, dropout,
                         missingness, visits, visit_labels, ogtt_visits,
                         infusion_weeks, dose, ae_rate, studyid,
                         call = sys.call(-1)) {
  if (!is.character(arms) || length(arms) < 2 || anyNA(arms) || any(!nzchar(arms)) ||
      anyDuplicated(arms)) {
    glycotrial_abort(
      "{.arg arms} must be at least two distinct non-empty arm names, not {describe_value(arms)}.",
      call = call)
  }
  k <- length(arms)
  check_count(n, lower = 0, arg = "n", call = call)
  check_size(sum(n), 1e7, arg = "n", what = "simulated subjects per trial", call = call)
  n <- per_arm(n, arms, "n", call)
  if (any(n < 1)) {
    glycotrial_abort("{.arg n} must be at least 1 in every arm; found {min(n)}.", call = call)
  }
  check_number(hba1c_change, lower = -5, upper = 3, len = NULL, arg = "hba1c_change", call = call)
  hba1c_change <- per_arm(hba1c_change, arms, "hba1c_change", call)
  check_number(insulin_change, lower = -0.9, upper = 0.5, len = NULL,
               arg = "insulin_change", call = call)
  insulin_change <- per_arm(insulin_change, arms, "insulin_change", call)
  check_number(dropout, lower = 0, upper = 1, len = NULL, arg = "dropout", call = call)
  dropout <- per_arm(dropout, arms, "dropout", call)
  check_number(missingness, lower = 0, upper = 1, arg = "missingness", call = call)
  if (missingness >= 1) {
    glycotrial_abort("{.arg missingness} must be below 1 (found {missingness}); every visit would be missed.",
                     call = call)
  }
  check_number(visits, lower = 0, upper = 520, len = NULL, arg = "visits", call = call)
  if (length(visits) < 2 || visits[1] != 0 || any(diff(visits) <= 0)) {
    glycotrial_abort(
      "{.arg visits} must be increasing weeks starting at 0 (baseline) with at least one follow-up visit; found {.val {visits}}.",
      call = call)
  }
  if (is.null(visit_labels)) {
    visit_labels <- ifelse(visits == 0, "Baseline", paste("Week", visits))
  }
  if (!is.character(visit_labels) || length(visit_labels) != length(visits) ||
      anyNA(visit_labels) || anyDuplicated(visit_labels)) {
    glycotrial_abort(
      "{.arg visit_labels} must be {length(visits)} distinct strings (one per visit), not {describe_value(visit_labels)}.",
      call = call)
  }
  check_number(ogtt_visits, len = NULL, arg = "ogtt_visits", call = call)
  if (!all(ogtt_visits %in% visits) || !0 %in% ogtt_visits) {
    glycotrial_abort(
      "{.arg ogtt_visits} must be a subset of {.arg visits} that includes baseline (0); found {.val {ogtt_visits}}.",
      call = call)
  }
  check_number(infusion_weeks, len = NULL, arg = "infusion_weeks", call = call)
  final <- max(visits)
  if (length(infusion_weeks) < 1 || !all(infusion_weeks %in% visits) ||
      any(infusion_weeks >= final) || infusion_weeks[1] != 0 ||
      any(diff(infusion_weeks) <= 0)) {
    glycotrial_abort(
      "{.arg infusion_weeks} must be increasing visit weeks starting at 0 and before the final visit (week {final}); found {.val {infusion_weeks}}.",
      call = call)
  }
  if (is.null(dose)) dose <- c(1.5, rep(0, k - 1))
  check_number(dose, lower = 0, len = NULL, arg = "dose", call = call)
  dose <- per_arm(dose, arms, "dose", call)
  check_number(ae_rate, lower = 0, upper = 20, arg = "ae_rate", call = call)
  check_string(studyid, arg = "studyid", call = call)
  list(n = as.integer(n), arms = arms, hba1c_change = hba1c_change,
       insulin_change = insulin_change, dropout = dropout,
       missingness = missingness, visits = visits, visit_labels = visit_labels,
       ogtt_visits = sort(ogtt_visits), infusion_weeks = infusion_weeks,
       dose = dose, ae_rate = ae_rate, studyid = studyid)
}

# ---- subject level -----------------------------------------------------------

# Truncated normal by inversion (one uniform per value: fixed RNG use).
rtnorm <- function(n, mean, sd, lo = -Inf, hi = Inf) {
  plo <- stats::pnorm(lo, mean, sd)
  phi <- stats::pnorm(hi, mean, sd)
  stats::qnorm(plo + stats::runif(n) * (phi - plo), mean, sd)
}

# Progression towards the final-visit effect: exponential approach, 12-week
# time constant, scaled to reach 1 at the final visit.
progress <- function(week, final) (1 - exp(-week / 12)) / (1 - exp(-final / 12))

# Subject-level characteristics and the final-visit outcomes that define the
# primary composite. Drawn first, so data-raw/ can search seeds cheaply.
sim_subjects <- function(s) {
  k <- length(s$arms)
  N <- sum(s$n)
  arm_i <- rep(seq_len(k), s$n)
  # Randomization order: a permuted sequence, so arms interleave in USUBJID.
  ord <- order(stats::runif(N))
  arm_i <- arm_i[ord]
  sex <- ifelse(stats::runif(N) < 0.58, "M", "F")
  age <- round(rtnorm(N, 51, 9, 20, 65.99), 0)
  age <- pmin(pmax(age, 20), 65)
  height <- ifelse(sex == "M", rtnorm(N, 170, 6, 155, 190), rtnorm(N, 159, 5.5, 145, 178))
  bmi <- rtnorm(N, 27.5, 3.2, 24.05, 39.95)
  weight <- round(bmi * (height / 100)^2, 1)
  bmi <- round(weight / (height / 100)^2, 1)
  diabdur <- round(rtnorm(N, 10, 4.5, 1, 20), 1)
  hba1c_bl <- round(rtnorm(N, 8.75, 1.6, 7.05, 11.94), 1)
  ukg_bl <- rtnorm(N, 0.72, 0.13, 0.52, 0.98)
  ins_bl <- round(ukg_bl * weight)
  fcp_bl <- round(exp(rtnorm(N, log(1.9), 0.35, log(1.01), log(5))), 2)

  # Latent response (correlated across HbA1c and insulin-dose response).
  u <- stats::rnorm(N)
  v <- stats::rnorm(N)
  rel <- s$insulin_change[arm_i] + 0.28 * u          # relative change in dose
  rel <- pmin(pmax(rel, -0.9), 0.3)
  ins_fin <- round(ins_bl * (1 + rel))
  e <- 0.8 * (0.85 * u + 0.527 * v)                    # more dose reduction ~ lower HbA1c
  hba1c_fin <- 9.0 + s$hba1c_change[arm_i] + 0.6 * (hba1c_bl - 9.0) + e
  hba1c_fin <- round(pmin(pmax(hba1c_fin, 5.0), 14), 1)

  # Dropout: after a uniformly chosen post-baseline visit before the final one.
  drop <- stats::runif(N) < s$dropout[arm_i]
  nv <- length(s$visits)
  last_idx <- rep(nv, N)
  cand <- seq_len(nv - 1)                            # last attended visit index
  pick <- cand[pmin(length(cand), 1 + floor(stats::runif(N) * length(cand)))]
  last_idx[drop] <- pick[drop]

  data.frame(
    idx = seq_len(N), arm_i = arm_i, ARM = s$arms[arm_i], SEX = sex, AGE = age,
    HEIGHT = round(height, 1), WEIGHT = weight, BMI = bmi, DIABDUR = diabdur,
    HBA1C_BL = hba1c_bl, INS_BL = ins_bl, FCP_BL = fcp_bl,
    u = u, rel = rel, INS_FIN = ins_fin, HBA1C_FIN = hba1c_fin,
    drop = drop, last_idx = last_idx, stringsAsFactors = FALSE)
}

# ---- visit schedule and missingness -----------------------------------------

sim_visit_schedule <- function(subj, s) {
  nv <- length(s$visits)
  N <- nrow(subj)
  grid <- expand.grid(v = seq_len(nv), idx = seq_len(N))
  grid <- grid[, c("idx", "v")]
  miss_draw <- stats::runif(nrow(grid))
  jitter <- floor(stats::runif(nrow(grid)) * 7) - 3
  wk <- s$visits[grid$v]
  on_infusion <- wk %in% s$infusion_weeks
  ady <- ifelse(wk == 0, 1L - floor(jitter + 3) %/% 2, wk * 7 + 1 + ifelse(on_infusion, 0, jitter))
  final <- grid$v == nv
  attended <- grid$v <= subj$last_idx[grid$idx] &
    (grid$v == 1 | final | miss_draw >= s$missingness)
  data.frame(idx = grid$idx, v = grid$v, AVISITN = wk, AVISIT = s$visit_labels[grid$v],
             ADY = as.integer(ady), attended = attended)[attended, , drop = FALSE]
}

# ---- adsl --------------------------------------------------------------------

usubjid <- function(s, idx) sprintf("%s-%04d", s$studyid, 1000L + idx)

sim_trtsdt <- function(N) {
  # Staggered entry Oct 2015 - Dec 2017; deterministic spacing given N.
  as.Date("2015-10-12") + round(seq(0, 800, length.out = N))
}

sim_adsl <- function(subj, s) {
  N <- nrow(subj)
  nv <- length(s$visits)
  trtsdt <- sim_trtsdt(N)
  ninf_wk <- s$infusion_weeks
  last_wk <- s$visits[subj$last_idx]
  ninf <- vapply(last_wk, function(w) sum(ninf_wk <= w), numeric(1))
  last_inf_day <- (ninf_wk[ninf] * 7)
  reasons <- c("WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "ADVERSE EVENT")
  dcs <- ifelse(subj$drop, reasons[1 + (subj$idx %% 3)], "")
  # Per-protocol: completers with all infusions and no major deviation.
  deviation <- (subj$idx * 7919) %% 53 == 0
  complete <- !subj$drop
  hbgr <- ifelse(subj$HBA1C_BL < 9.0, "<9.0%", ">=9.0%")
  data.frame(
    STUDYID = s$studyid,
    USUBJID = usubjid(s, subj$idx),
    SUBJID = sprintf("%04d", 1000L + subj$idx),
    SITEID = "001",
    ARM = subj$ARM,
    ARMCD = toupper(gsub("[^A-Za-z0-9]", "", subj$ARM)),
    TRT01P = subj$ARM,
    TRT01A = subj$ARM,
    TRT01PN = subj$arm_i,
    AGE = subj$AGE,
    AGEU = "YEARS",
    SEX = subj$SEX,
    RACE = "ASIAN",
    HEIGHT = subj$HEIGHT,
    WEIGHT = subj$WEIGHT,
    BMI = subj$BMI,
    DIABDUR = subj$DIABDUR,
    HBA1CBL = subj$HBA1C_BL,
    INSDOSBL = subj$INS_BL,
    FCPEPBL = subj$FCP_BL,
    HBA1CGR1 = hbgr,
    STRATA = hbgr,
    RANDDT = trtsdt - 3,
    TRTSDT = trtsdt,
    TRTEDT = trtsdt + last_inf_day,
    NINFUS = as.integer(ninf),
    LSTVISN = last_wk,
    ITTFL = "Y",
    SAFFL = "Y",
    PPROTFL = ifelse(complete & !deviation, "Y", "N"),
    COMPLFL = ifelse(complete, "Y", "N"),
    EOSSTT = ifelse(complete, "COMPLETED", "DISCONTINUED"),
    DCSREAS = dcs,
    EOSDT = trtsdt + ifelse(complete, max(s$visits) * 7, last_wk * 7 + 14),
    stringsAsFactors = FALSE)
}

# ---- adlb --------------------------------------------------------------------

lab_catalog <- function() {
  data.frame(
    PARAMCD = c("HBA1C", "INSDOSE", "INSDOSEKG", "FPG", "FINS", "FCPEP",
                "GLUC", "INS", "CPEP", "ALT", "AST", "ALP", "BILI", "CREAT", "EGFR"),
    PARAM = c("Hemoglobin A1c (%)", "Daily insulin dose (U/day)",
              "Daily insulin dose per kg (U/kg/day)", "Fasting plasma glucose (mmol/L)",
              "Fasting insulin (uU/mL)", "Fasting C-peptide (ng/mL)",
              "Glucose, mixed-meal/OGTT (mmol/L)", "Insulin, mixed-meal/OGTT (uU/mL)",
              "C-peptide, mixed-meal/OGTT (ng/mL)", "Alanine aminotransferase (U/L)",
              "Aspartate aminotransferase (U/L)", "Alkaline phosphatase (U/L)",
              "Total bilirubin (mg/dL)", "Creatinine (mg/dL)",
              "eGFR, CKD-EPI 2021 (mL/min/1.73m2)"),
    PARCAT1 = c("EFFICACY", "EFFICACY", "EFFICACY", "EFFICACY", "EFFICACY", "EFFICACY",
                "OGTT", "OGTT", "OGTT", "CHEMISTRY", "CHEMISTRY", "CHEMISTRY",
                "CHEMISTRY", "CHEMISTRY", "CHEMISTRY"),
    AVALU = c("%", "U/day", "U/kg/day", "mmol/L", "uU/mL", "ng/mL", "mmol/L", "uU/mL",
              "ng/mL", "U/L", "U/L", "U/L", "mg/dL", "mg/dL", "mL/min/1.73m2"),
    # Glucose during the meal/OGTT keeps the fasting lower limit (3.9 mmol/L):
    # CTCAE hypoglycaemia grade 1 (< LLN) needs it; no upper limit after a load.
    ANRLO = c(4.0, NA, NA, 3.9, 2.6, 1.1, 3.9, NA, NA, 7, 13, 40, 0.2, NA, 90),
    ANRHI = c(6.0, NA, NA, 6.1, 24.9, 4.4, NA, NA, NA, 40, 40, 150, 1.2, NA, NA),
    digits = c(1, 0, 3, 1, 1, 2, 1, 1, 2, 0, 0, 0, 2, 2, 0),
    stringsAsFactors = FALSE)
}

# CKD-EPI 2021 creatinine equation (race-free), Inker LA et al. N Engl J Med
# 2021;385:1737-49: 142 * min(Scr/k,1)^a * max(Scr/k,1)^-1.200 * 0.9938^age
# * 1.012 [female]; k = 0.7 (F) / 0.9 (M), a = -0.241 (F) / -0.302 (M).
ckd_epi_2021 <- function(scr, age, sex) {
  fem <- sex == "F"
  kap <- ifelse(fem, 0.7, 0.9)
  alp <- ifelse(fem, -0.241, -0.302)
  142 * pmin(scr / kap, 1)^alp * pmax(scr / kap, 1)^-1.200 * 0.9938^age *
    ifelse(fem, 1.012, 1)
}

# AR(1) noise along each subject's visits (rho, marginal sd).
ar1_noise <- function(nsubj, nvis, rho, sd) {
  z <- matrix(stats::rnorm(nsubj * nvis), nsubj, nvis)
  out <- z
  if (nvis > 1) for (j in 2:nvis) out[, j] <- rho * out[, j - 1] + sqrt(1 - rho^2) * z[, j]
  out * sd
}

sim_adlb <- function(subj, vis, s) {
  N <- nrow(subj)
  nv <- length(s$visits)
  wk <- s$visits
  final <- max(wk)
  g <- progress(wk, final)
  # ---- HbA1c: baseline -> final through a smooth path + AR(1) noise (zero at
  # baseline and at the final visit, which carry the subject-level values).
  a1c_noise <- ar1_noise(N, nv, 0.5, 0.3)
  a1c_noise[, c(1, nv)] <- 0
  a1c <- subj$HBA1C_BL + outer(subj$HBA1C_FIN - subj$HBA1C_BL, g) + a1c_noise
  a1c <- round(pmin(pmax(a1c, 4.5), 14.5), 1)
  a1c[, 1] <- subj$HBA1C_BL
  a1c[, nv] <- subj$HBA1C_FIN
  # ---- insulin dose
  ins_noise <- ar1_noise(N, nv, 0.6, 0.05)
  ins_noise[, c(1, nv)] <- 0
  ins <- subj$INS_BL * (1 + outer(subj$rel, g) + ins_noise)
  ins <- round(pmax(ins, 0))
  ins[, 1] <- subj$INS_BL
  ins[, nv] <- subj$INS_FIN
  inskg <- round(ins / subj$WEIGHT, 3)
  # ---- fasting glucose tracks HbA1c; C-peptide unchanged on average
  fpg <- round(pmax(1.4 * a1c - 3.5 + ar1_noise(N, nv, 0.3, 1.1), 3.5), 1)
  fcp <- subj$FCP_BL * exp(ar1_noise(N, nv, 0.4, 0.15))
  fcp[, 1] <- subj$FCP_BL
  fcp <- round(fcp, 2)
  # Peripheral insulin on insulin therapy: endogenous + exogenous (rises with dose).
  fins <- round(exp(log(6) + 0.5 * log(fcp) + 0.5 * log(pmax(ins, 1) / 40) +
                      ar1_noise(N, nv, 0.4, 0.25)), 1)
  # ---- chemistry
  male <- subj$SEX == "M"
  alt <- exp(log(ifelse(male, 26, 20)) + 0.3 * stats::rnorm(N) + ar1_noise(N, nv, 0.4, 0.18))
  ast <- exp(log(ifelse(male, 24, 21)) + 0.25 * stats::rnorm(N) + ar1_noise(N, nv, 0.4, 0.15))
  alp <- exp(log(78) + 0.25 * stats::rnorm(N) + ar1_noise(N, nv, 0.4, 0.1))
  bili <- exp(log(ifelse(male, 0.65, 0.55)) + 0.25 * stats::rnorm(N) + ar1_noise(N, nv, 0.3, 0.15))
  # Occasional transaminase elevations (3-8 x ULN), rarely with bilirubin.
  spike <- matrix(stats::runif(N * nv) < 0.012, N, nv)
  spike[, 1] <- FALSE
  mult <- matrix(3 + 5 * stats::runif(N * nv), N, nv)
  alt[spike] <- 40 * mult[spike]
  ast[spike] <- 40 * mult[spike] * 0.7
  bspike <- spike & matrix(stats::runif(N * nv) < 0.2, N, nv)
  bili[bspike] <- bili[bspike] * 3.5
  creat <- exp(log(ifelse(male, 0.92, 0.70)) + 0.15 * stats::rnorm(N) + ar1_noise(N, nv, 0.5, 0.06))
  creat <- round(creat, 2)
  age_v <- outer(subj$AGE, wk / 52, "+")
  egfr <- round(ckd_epi_2021(creat, age_v, rep(subj$SEX, nv)))

  # ---- OGTT profiles at ogtt_visits: 0/30/60/120/180 min
  tpt <- c(0, 30, 60, 120, 180)
  gshape <- c(0, 0.45, 0.85, 1.0, 0.7)
  cshape <- c(0, 0.5, 1.0, 1.5, 1.3)
  ishape <- c(0, 0.6, 1.2, 1.6, 1.1)
  oi <- which(wk %in% s$ogtt_visits)
  no <- length(oi)
  gamp <- matrix(exp(log(7) + 0.25 * stats::rnorm(N * no)), N, no)
  camp <- matrix(exp(0.3 * stats::rnorm(N * no)), N, no)
  tnoise <- array(stats::rnorm(N * no * length(tpt) * 3), c(N, no, length(tpt), 3))

  cat_ <- lab_catalog()
  rows <- list()
  add <- function(paramcd, mat, digits) {
    rows[[length(rows) + 1]] <<- data.frame(
      idx = rep(seq_len(N), nv), v = rep(seq_len(nv), each = N),
      PARAMCD = paramcd, ATPT = "", ATPTN = NA_real_,
      AVAL = round(as.vector(mat), digits), stringsAsFactors = FALSE)
  }
  add("HBA1C", a1c, 1); add("INSDOSE", ins, 0); add("INSDOSEKG", inskg, 3)
  add("FPG", fpg, 1)
  add("ALT", alt, 0); add("AST", ast, 0); add("ALP", alp, 0); add("BILI", bili, 2)
  add("CREAT", creat, 2); add("EGFR", egfr, 0)
  # Fasting insulin and C-peptide only at OGTT visits; the 0-min OGTT sample is
  # the fasting sample, so FPG/FINS/FCPEP equal GLUC/INS/CPEP at 0 min there.
  for (j in seq_len(no)) {
    v <- oi[j]
    for (t in seq_along(tpt)) {
      gl <- if (t == 1) fpg[, v] else
        fpg[, v] + gamp[, j] * gshape[t] * (a1c[, v] / 9)^1.5 * exp(0.08 * tnoise[, j, t, 1])
      cp <- if (t == 1) fcp[, v] else fcp[, v] * (1 + camp[, j] * cshape[t] * exp(0.1 * tnoise[, j, t, 2]))
      isn <- if (t == 1) fins[, v] else fins[, v] * (1 + camp[, j] * ishape[t] * exp(0.1 * tnoise[, j, t, 3]))
      lab <- paste(tpt[t], "min")
      for (p in list(list("GLUC", gl, 1), list("CPEP", cp, 2), list("INS", isn, 1))) {
        rows[[length(rows) + 1]] <- data.frame(
          idx = seq_len(N), v = v, PARAMCD = p[[1]], ATPT = lab, ATPTN = tpt[t],
          AVAL = round(p[[2]], p[[3]]), stringsAsFactors = FALSE)
      }
    }
    rows[[length(rows) + 1]] <- data.frame(idx = seq_len(N), v = v, PARAMCD = "FINS",
                                           ATPT = "", ATPTN = NA_real_,
                                           AVAL = round(fins[, v], 1))
    rows[[length(rows) + 1]] <- data.frame(idx = seq_len(N), v = v, PARAMCD = "FCPEP",
                                           ATPT = "", ATPTN = NA_real_,
                                           AVAL = round(fcp[, v], 2))
  }
  lb <- do.call(rbind, rows)
  # Keep attended visits only (monotone + intermittent missingness).
  key_vis <- paste(vis$idx, vis$v)
  m <- match(paste(lb$idx, lb$v), key_vis)
  lb <- lb[!is.na(m), , drop = FALSE]
  lb$AVISITN <- vis$AVISITN[m[!is.na(m)]]
  lb$AVISIT <- vis$AVISIT[m[!is.na(m)]]
  lb$ADY <- vis$ADY[m[!is.na(m)]]
  ci <- match(lb$PARAMCD, cat_$PARAMCD)
  lb$PARAM <- cat_$PARAM[ci]
  lb$PARCAT1 <- cat_$PARCAT1[ci]
  lb$AVALU <- cat_$AVALU[ci]
  lb$ANRLO <- cat_$ANRLO[ci]
  lb$ANRHI <- cat_$ANRHI[ci]
  male_r <- subj$SEX[lb$idx] == "M"
  cr <- lb$PARAMCD == "CREAT"
  lb$ANRLO[cr] <- ifelse(male_r[cr], 0.74, 0.59)
  lb$ANRHI[cr] <- ifelse(male_r[cr], 1.35, 1.04)
  lb$ANRIND <- ifelse(!is.na(lb$ANRLO) & lb$AVAL < lb$ANRLO, "LOW",
                      ifelse(!is.na(lb$ANRHI) & lb$AVAL > lb$ANRHI, "HIGH",
                             ifelse(is.na(lb$ANRLO) & is.na(lb$ANRHI), "", "NORMAL")))
  lb$ABLFL <- ifelse(lb$AVISITN == 0, "Y", "")
  bkey <- paste(lb$idx, lb$PARAMCD, lb$ATPTN)
  bl <- lb[lb$ABLFL == "Y", ]
  lb$BASE <- bl$AVAL[match(bkey, paste(bl$idx, bl$PARAMCD, bl$ATPTN))]
  lb$CHG <- ifelse(lb$ABLFL == "Y", NA_real_, lb$AVAL - lb$BASE)
  lb$PCHG <- ifelse(lb$ABLFL == "Y" | lb$BASE == 0, NA_real_, 100 * lb$CHG / lb$BASE)
  lb$CHG <- round(lb$CHG, 3)
  lb$PCHG <- round(lb$PCHG, 2)
  lb$ANL01FL <- "Y"
  lb$STUDYID <- s$studyid
  lb$USUBJID <- usubjid(s, lb$idx)
  lb$ARM <- subj$ARM[lb$idx]
  lb$TRT01A <- lb$ARM
  pord <- match(lb$PARAMCD, cat_$PARAMCD)
  lb <- lb[order(lb$idx, pord, lb$AVISITN, lb$ATPTN, na.last = FALSE), ]
  lb$ATPTN[lb$ATPT == ""] <- NA_real_
  out <- lb[, c("STUDYID", "USUBJID", "ARM", "TRT01A", "PARCAT1", "PARAMCD", "PARAM",
                "AVISIT", "AVISITN", "ADY", "ATPT", "ATPTN", "AVAL", "AVALU", "BASE",
                "CHG", "PCHG", "ANRLO", "ANRHI", "ANRIND", "ABLFL", "ANL01FL")]
  rownames(out) <- NULL
  out
}

# ---- adex --------------------------------------------------------------------

sim_adex <- function(subj, s) {
  trtsdt <- sim_trtsdt(nrow(subj))
  last_wk <- s$visits[subj$last_idx]
  rows <- lapply(seq_along(s$infusion_weeks), function(j) {
    w <- s$infusion_weeks[j]
    got <- last_wk >= w
    data.frame(idx = subj$idx[got], EXSEQ = j, ASTDY = as.integer(w * 7 + 1))
  })
  ex <- do.call(rbind, rows)
  ex <- ex[order(ex$idx, ex$EXSEQ), ]
  arm_i <- subj$arm_i[ex$idx]
  data.frame(
    STUDYID = s$studyid,
    USUBJID = usubjid(s, ex$idx),
    ARM = s$arms[arm_i],
    TRT01A = s$arms[arm_i],
    EXSEQ = ex$EXSEQ,
    EXINFNO = ex$EXSEQ,
    EXTRT = ifelse(s$dose[arm_i] > 0, s$arms[arm_i], "PLACEBO"),
    EXROUTE = "INTRAVENOUS",
    ASTDT = trtsdt[ex$idx] + ex$ASTDY - 1,
    ASTDY = ex$ASTDY,
    AENDY = ex$ASTDY,
    EXDOSE = s$dose[arm_i],
    EXDOSU = "10^6 cells/kg",
    EXVOL = 100,
    EXVOLU = "mL",
    stringsAsFactors = FALSE, row.names = NULL)
}

# ---- adae --------------------------------------------------------------------

ae_catalog <- function() {
  # type: "infusion" = onset 0-2 days after an infusion, probability per
  # infusion (active, placebo); "background" = per subject over 48 weeks.
  data.frame(
    AEDECOD = c("Pyrexia", "Pruritus", "Nausea", "Vomiting", "Headache",
                "Phlebitis", "Anaphylactic reaction",
                "Upper respiratory tract infection", "Nasopharyngitis",
                "Urinary tract infection", "Pneumonia", "Herpes zoster",
                "Hypoglycaemia", "Colon adenoma", "Thyroid neoplasm",
                "Hepatic function abnormal", "Alanine aminotransferase increased",
                "Renal impairment", "Proteinuria", "Dizziness", "Diarrhoea"),
    AEBODSYS = c("General disorders and administration site conditions",
                 "Skin and subcutaneous tissue disorders",
                 "Gastrointestinal disorders", "Gastrointestinal disorders",
                 "Nervous system disorders", "Vascular disorders",
                 "Immune system disorders",
                 "Infections and infestations", "Infections and infestations",
                 "Infections and infestations", "Infections and infestations",
                 "Infections and infestations",
                 "Metabolism and nutrition disorders",
                 "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
                 "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
                 "Hepatobiliary disorders", "Investigations",
                 "Renal and urinary disorders", "Renal and urinary disorders",
                 "Nervous system disorders", "Gastrointestinal disorders"),
    type = c(rep("infusion", 7), rep("background", 14)),
    p_active = c(0.10, 0.04, 0.03, 0.015, 0.04, 0.02, 0.006,
                 0.22, 0.15, 0.07, 0.025, 0.025, 0.30, 0.02, 0.012,
                 0.03, 0.04, 0.02, 0.03, 0.06, 0.06),
    p_placebo = c(0.02, 0.02, 0.02, 0.01, 0.03, 0.015, 0.002,
                  0.22, 0.15, 0.07, 0.025, 0.02, 0.32, 0.02, 0.01,
                  0.03, 0.035, 0.02, 0.03, 0.06, 0.06),
    related = c(0.9, 0.8, 0.6, 0.6, 0.5, 0.9, 1, 0.05, 0.05, 0.05, 0.05, 0.1,
                0.1, 0, 0, 0.3, 0.3, 0.2, 0.1, 0.3, 0.2),
    p_serious = c(0, 0, 0, 0, 0, 0, 0.6, 0, 0, 0.05, 0.6, 0.1, 0.03, 0.3, 0.5,
                  0.1, 0, 0.3, 0, 0, 0),
    dur = c(2, 4, 1, 1, 1, 7, 1, 8, 6, 7, 14, 21, 1, 30, 60, 20, 20, 30, 30, 3, 3),
    stringsAsFactors = FALSE)
}

sim_adae <- function(subj, s) {
  cat_ <- ae_catalog()
  N <- nrow(subj)
  trtsdt <- sim_trtsdt(N)
  final_day <- max(s$visits) * 7 + 1
  last_day <- ifelse(subj$drop, s$visits[subj$last_idx] * 7 + 14, final_day)
  active <- s$dose[subj$arm_i] > 0
  inf_days <- s$infusion_weeks * 7 + 1
  ni <- length(inf_days)
  nc <- nrow(cat_)
  inf_rows <- which(cat_$type == "infusion")
  bg_rows <- which(cat_$type == "background")
  # Fixed number of uniforms per subject and event type, drawn in one block.
  U_inf <- array(stats::runif(N * length(inf_rows) * ni * 6), c(N, length(inf_rows), ni, 6))
  U_bg <- array(stats::runif(N * length(bg_rows) * 7), c(N, length(bg_rows), 7))
  # Scale from "probability over the trial" to the follow-up actually observed
  # for background events; infusion events need the infusion to have happened.
  p_of <- function(r, a) pmin(1, s$ae_rate * ifelse(a, cat_$p_active[r], cat_$p_placebo[r]))
  ev <- list()
  mk <- function(i, r, astdy, u_sev, u_rel, u_ser, u_dur, infusion_related) {
    prev <- max(which(inf_days <= astdy))
    sev_p <- if (cat_$AEDECOD[r] == "Anaphylactic reaction") c(0, 0.5) else c(0.65, 0.93)
    grade <- if (u_sev < sev_p[1]) 1L else if (u_sev < sev_p[2]) 2L else 3L
    serious <- u_ser < cat_$p_serious[r]
    if (serious && grade < 3) grade <- 3L
    dur <- max(0, round(cat_$dur[r] * (0.5 + u_dur)))
    aendy <- astdy + dur
    ongoing <- aendy > last_day[i]
    rel <- u_rel < cat_$related[r] && (active[i] || infusion_related || u_rel < 0.5 * cat_$related[r])
    list(idx = i, AEDECOD = cat_$AEDECOD[r], AEBODSYS = cat_$AEBODSYS[r],
         ASTDY = as.integer(astdy), AENDY = if (ongoing) NA_integer_ else as.integer(aendy),
         grade = grade, serious = serious, rel = rel, AEINFNO = as.integer(prev),
         AEINFDY = as.integer(astdy - inf_days[prev]), ongoing = ongoing)
  }
  for (i in seq_len(N)) {
    n_inf_got <- sum(inf_days <= last_day[i])
    for (jr in seq_along(inf_rows)) {
      r <- inf_rows[jr]
      for (j in seq_len(n_inf_got)) {
        U <- U_inf[i, jr, j, ]
        if (U[1] < p_of(r, active[i])) {
          astdy <- inf_days[j] + floor(U[2] * 3)
          ev[[length(ev) + 1]] <- mk(i, r, astdy, U[3], U[4], U[5], U[6], TRUE)
        }
      }
    }
    for (jr in seq_along(bg_rows)) {
      r <- bg_rows[jr]
      U <- U_bg[i, jr, ]
      frac <- (last_day[i] - 1) / (final_day - 1)
      if (U[1] < p_of(r, active[i]) * frac) {
        astdy <- 2 + floor(U[2] * (last_day[i] - 2))
        ev[[length(ev) + 1]] <- mk(i, r, astdy, U[3], U[4], U[5], U[6], FALSE)
        # Hypoglycaemia and infections recur.
        if (U[7] < 0.3 && cat_$AEDECOD[r] %in% c("Hypoglycaemia", "Nasopharyngitis")) {
          astdy2 <- 2 + floor(((U[2] + 0.5) %% 1) * (last_day[i] - 2))
          ev[[length(ev) + 1]] <- mk(i, r, astdy2, U[4], U[3], U[6], U[5], FALSE)
        }
      }
    }
  }
  cols <- c("STUDYID", "USUBJID", "ARM", "TRT01A", "AESEQ", "AETERM", "AEDECOD",
            "AEBODSYS", "AESEV", "AETOXGR", "AESER", "AEREL", "TRTEMFL", "ASTDT",
            "AENDT", "ASTDY", "AENDY", "AEINFNO", "AEINFDY", "AEACN", "AEOUT")
  if (!length(ev)) {
    empty <- as.data.frame(setNames(replicate(length(cols), character(), simplify = FALSE), cols),
                           stringsAsFactors = FALSE)
    for (nm in c("AESEQ", "ASTDY", "AENDY", "AEINFNO", "AEINFDY")) empty[[nm]] <- integer()
    empty$ASTDT <- as.Date(character()); empty$AENDT <- as.Date(character())
    return(empty)
  }
  ae <- do.call(rbind, lapply(ev, as.data.frame, stringsAsFactors = FALSE))
  ae <- ae[order(ae$idx, ae$ASTDY, ae$AEDECOD), ]
  ae$AESEQ <- stats::ave(seq_len(nrow(ae)), ae$idx, FUN = seq_along)
  sev <- c("MILD", "MODERATE", "SEVERE")
  out <- data.frame(
    STUDYID = s$studyid,
    USUBJID = usubjid(s, ae$idx),
    ARM = subj$ARM[ae$idx],
    TRT01A = subj$ARM[ae$idx],
    AESEQ = as.integer(ae$AESEQ),
    AETERM = toupper(ae$AEDECOD),
    AEDECOD = ae$AEDECOD,
    AEBODSYS = ae$AEBODSYS,
    AESEV = sev[pmin(ae$grade, 3L)],
    AETOXGR = as.character(ae$grade),
    AESER = ifelse(ae$serious, "Y", "N"),
    AEREL = ifelse(ae$rel, "RELATED", "NOT RELATED"),
    TRTEMFL = "Y",
    ASTDT = trtsdt[ae$idx] + ae$ASTDY - 1,
    AENDT = trtsdt[ae$idx] + ae$AENDY - 1,
    ASTDY = ae$ASTDY,
    AENDY = ae$AENDY,
    AEINFNO = ae$AEINFNO,
    AEINFDY = ae$AEINFDY,
    AEACN = ifelse(ae$ASTDY <= max(inf_days) + 2, "DOSE NOT CHANGED", "NOT APPLICABLE"),
    AEOUT = ifelse(ae$ongoing, "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED"),
    stringsAsFactors = FALSE)
  rownames(out) <- NULL
  out
}
