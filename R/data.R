#' Example trial data modelled on NCT02302599
#'
#' Simulated ADaM-style data of a double-blind, randomized, placebo-controlled
#' phase II trial of umbilical-cord mesenchymal stem cells (UC-MSC) in
#' insulin-treated type 2 diabetes, modelled on NCT02302599 (Zang L et al.,
#' Stem Cell Res Ther 2022;13:180, doi:10.1186/s13287-022-02848-6): 91
#' randomized (45 UC-MSC, 46 placebo), three intravenous infusions at weeks
#' 0, 4 and 8 (study days 1, 29, 57), follow-up to week 48. The data are
#' **simulated** by [simulate_trial()] (`data-raw/trial_data.R`, seed 6249);
#' they are not the trial's data. The seed was chosen so that the week-48
#' primary composite (HbA1c < 7.0 % and daily insulin dose reduced by at
#' least 50 % from baseline) gives the published 9/45 (20.0 %) vs 2/44
#' (4.55 %) responders among the 89 subjects with week-48 data (two placebo
#' subjects discontinued).
#'
#' Eligibility is respected: age 20--65 years, diabetes duration at most 20
#' years, BMI 24--40 kg/m\eqn{^2}, insulin 0.5--1.0 U/kg/day, HbA1c 7--12 %,
#' fasting C-peptide at least 1 ng/mL.
#'
#' @name glycotrial-data
#' @docType data
#' @keywords datasets
#' @format
#' **`adsl`** -- subject level, one row per randomized subject (91 rows):
#' \describe{
#'   \item{STUDYID, USUBJID, SUBJID, SITEID}{Study, unique subject, subject and site identifiers.}
#'   \item{ARM, ARMCD}{Randomized arm (`"UC-MSC"`, `"Placebo"`) and its code.}
#'   \item{TRT01P, TRT01A, TRT01PN}{Planned and actual treatment (equal to ARM), planned treatment number.}
#'   \item{AGE, AGEU}{Age at baseline (years, 20--65) and its unit.}
#'   \item{SEX}{`"M"` or `"F"`.}
#'   \item{RACE}{`"ASIAN"`.}
#'   \item{HEIGHT}{Height (cm).}
#'   \item{WEIGHT}{Body weight at baseline (kg).}
#'   \item{BMI}{Body-mass index at baseline (kg/m^2, 24--40).}
#'   \item{DIABDUR}{Duration of diabetes (years, at most 20).}
#'   \item{HBA1CBL}{Baseline HbA1c (%).}
#'   \item{INSDOSBL}{Baseline daily insulin dose (U/day).}
#'   \item{FCPEPBL}{Baseline fasting C-peptide (ng/mL).}
#'   \item{HBA1CGR1, STRATA}{Randomization stratum: baseline HbA1c `"<9.0%"` or `">=9.0%"`.}
#'   \item{RANDDT, TRTSDT, TRTEDT}{Dates of randomization, first and last infusion (`Date`).}
#'   \item{NINFUS}{Number of infusions received (0--3).}
#'   \item{LSTVISN}{Week of the last attended visit.}
#'   \item{ITTFL, SAFFL, PPROTFL, COMPLFL}{Population flags (`"Y"`/`"N"`): intention to treat (randomized), safety (at least one infusion), per protocol, completed week 48.}
#'   \item{EOSSTT, DCSREAS}{End-of-study status (`"COMPLETED"`/`"DISCONTINUED"`) and reason for discontinuation (`""` if completed).}
#'   \item{EOSDT}{End-of-study date (`Date`).}
#' }
#'
#' **`adlb`** -- efficacy and laboratory parameters, long format, one row per
#' subject, parameter, visit (and time point). Rows exist only for attended
#' visits (missing visits have no rows):
#' \describe{
#'   \item{STUDYID, USUBJID, ARM, TRT01A}{As in `adsl`.}
#'   \item{PARCAT1}{`"EFFICACY"`, `"OGTT"` or `"CHEMISTRY"`.}
#'   \item{PARAMCD, PARAM}{Parameter code and label; units in `AVALU`:
#'     `HBA1C` HbA1c (%); `INSDOSE` daily insulin dose (U/day);
#'     `INSDOSEKG` daily insulin dose per kg of baseline weight (U/kg/day);
#'     `FPG` fasting plasma glucose (mmol/L); `FINS` fasting insulin (uU/mL;
#'     patients are on exogenous insulin, so insulin-based indices are
#'     confounded -- prefer C-peptide); `FCPEP` fasting C-peptide (ng/mL);
#'     `GLUC`, `INS`, `CPEP` mixed-meal/OGTT glucose (mmol/L), insulin
#'     (uU/mL) and C-peptide (ng/mL) at `ATPTN` 0, 30, 60, 120, 180 min;
#'     `ALT`, `AST`, `ALP` (U/L); `BILI` total bilirubin (mg/dL);
#'     `CREAT` serum creatinine (mg/dL); `EGFR` eGFR by the CKD-EPI 2021
#'     creatinine equation (mL/min/1.73m2).}
#'   \item{AVISIT, AVISITN}{Visit label (`"Baseline"`, `"Week 4"`, ...,
#'     `"Week 48"`) and visit week (0, 4, 8, 12, 24, 36, 48). OGTT, `FINS`
#'     and `FCPEP` at weeks 0, 12, 24, 48; other parameters at every visit.}
#'   \item{ADY}{Study day of the assessment (day 1 = first infusion).}
#'   \item{ATPT, ATPTN}{OGTT time point label (`"0 min"`, ...) and minutes
#'     after the meal/glucose load; `""`/`NA` for other parameters. The 0-min
#'     values equal the fasting `FPG`, `FINS`, `FCPEP` of that visit.}
#'   \item{AVAL, AVALU}{Analysis value and its unit.}
#'   \item{BASE}{Baseline value (same parameter and time point).}
#'   \item{CHG, PCHG}{Change and percent change from baseline (`NA` at baseline).}
#'   \item{ANRLO, ANRHI}{Reference range in `AVALU` (`NA` where not
#'     applicable; creatinine sex-specific).}
#'   \item{ANRIND}{`"LOW"`, `"NORMAL"`, `"HIGH"` or `""` (no range).}
#'   \item{ABLFL}{Baseline record flag (`"Y"` or `""`).}
#'   \item{ANL01FL}{Analysis record flag (`"Y"`).}
#' }
#'
#' **`adae`** -- adverse events, one row per event (all treatment-emergent):
#' \describe{
#'   \item{STUDYID, USUBJID, ARM, TRT01A}{As in `adsl`.}
#'   \item{AESEQ}{Sequence number within subject.}
#'   \item{AETERM, AEDECOD, AEBODSYS}{Reported term, MedDRA-like preferred
#'     term and system organ class (pyrexia, pruritus, nausea, vomiting,
#'     headache, phlebitis, anaphylactic reaction, several infections,
#'     hypoglycaemia, neoplasms, hepatic and renal events, ...).}
#'   \item{AESEV}{Severity: `"MILD"`, `"MODERATE"`, `"SEVERE"`.}
#'   \item{AETOXGR}{CTCAE-like toxicity grade (`"1"`--`"3"`).}
#'   \item{AESER}{Serious (`"Y"`/`"N"`).}
#'   \item{AEREL}{Relationship to study treatment (`"RELATED"`/`"NOT RELATED"`).}
#'   \item{TRTEMFL}{Treatment-emergent flag (`"Y"`).}
#'   \item{ASTDT, AENDT, ASTDY, AENDY}{Start and end date and study day (`NA` end if ongoing).}
#'   \item{AEINFNO}{Number of the most recent infusion before onset (1--3).}
#'   \item{AEINFDY}{Days from that infusion to onset (0 = day of infusion);
#'     infusion reactions have onset 0--2 days after an infusion.}
#'   \item{AEACN}{Action taken (`"DOSE NOT CHANGED"`, `"NOT APPLICABLE"`).}
#'   \item{AEOUT}{Outcome (`"RECOVERED/RESOLVED"`, `"NOT RECOVERED/NOT RESOLVED"`).}
#' }
#'
#' **`adex`** -- exposure, one row per infusion received:
#' \describe{
#'   \item{STUDYID, USUBJID, ARM, TRT01A}{As in `adsl`.}
#'   \item{EXSEQ, EXINFNO}{Infusion number (1--3).}
#'   \item{EXTRT}{Treatment infused (`"UC-MSC"` or `"PLACEBO"`).}
#'   \item{EXROUTE}{`"INTRAVENOUS"`.}
#'   \item{ASTDT, ASTDY, AENDY}{Date and study day of the infusion (days 1, 29, 57).}
#'   \item{EXDOSE, EXDOSU}{Dose and unit (1.5 10^6 cells/kg; 0 for placebo).}
#'   \item{EXVOL, EXVOLU}{Infused volume and unit (100 mL).}
#' }
#' @source Simulated with [simulate_trial()]; design from ClinicalTrials.gov
#'   NCT02302599 and Zang et al. (2022).
#' @examples
#' head(adsl)
#' table(adsl$ARM)
#' subset(adlb, USUBJID == adsl$USUBJID[1] & PARAMCD == "HBA1C")
#' table(adae$AEDECOD, adae$ARM)
#' head(adex)
"adsl"

#' @rdname glycotrial-data
"adlb"

#' @rdname glycotrial-data
"adae"

#' @rdname glycotrial-data
"adex"
