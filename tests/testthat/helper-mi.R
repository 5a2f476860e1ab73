# rbmi's antidepressant_data preprocessed as in rbmi's quickstart vignette:
# one row per patient and visit (expand_locf), the first missing visit of
# each patient with monotone dropout as its ICE (patient 3618 has an
# intermittent missing value and stays MAR). Also used by
# fixtures/make-mi-rbmi.R.
mi_antidepressant <- function() {
  dat <- rbmi::antidepressant_data
  dat <- rbmi::expand_locf(dat, PATIENT = levels(dat$PATIENT), VISIT = levels(dat$VISIT),
                           vars = c("BASVAL", "THERAPY"), group = c("PATIENT"),
                           order = c("PATIENT", "VISIT"))
  dat$THERAPY <- factor(as.character(dat$THERAPY), levels = c("PLACEBO", "DRUG"))
  dat <- dat[order(dat$PATIENT, dat$VISIT), c("PATIENT", "VISIT", "THERAPY", "BASVAL", "CHANGE")]
  miss <- dat[is.na(dat$CHANGE), ]
  ice <- miss[!duplicated(miss$PATIENT), c("PATIENT", "VISIT")]
  ice <- ice[ice$PATIENT != "3618", ]
  ice$VISIT <- as.character(ice$VISIT)
  ice$PATIENT <- as.character(ice$PATIENT)
  list(data = dat, ice = ice)
}

mi_antidepressant_vars <- list(outcome = "CHANGE", visit = "VISIT", subjid = "PATIENT",
                               group = "THERAPY", covariates = c("BASVAL*VISIT", "THERAPY*VISIT"),
                               strategy = "strategy")
