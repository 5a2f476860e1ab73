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

# For the fixture scripts: the data, the ICE table under JR and rbmi's
# set_vars() of the imputation and the analysis model.
mi_antidepressant_rbmi_setup <- function() {
  ad <- mi_antidepressant()
  ice <- ad$ice
  ice$strategy <- "JR"
  list(ad = ad, ice = ice, vars = do.call(rbmi::set_vars, mi_antidepressant_vars),
       vars_an = rbmi::set_vars(outcome = "CHANGE", visit = "VISIT", subjid = "PATIENT",
                                group = "THERAPY", covariates = "BASVAL"))
}

# For the fixture scripts only: rbmi fits with mmrm's default optimiser
# tolerance, which leaves ~1e-5 relative error in the estimates (glycotrial's
# fits reach rounding precision); tighten mmrm's nlminb so that the reference
# values are exact to ~1e-9. Where the tight fit reports a failure, rbmi's own
# fit is used and counted in mi_rbmi_fallbacks.
mi_rbmi_tighten <- function() {
  orig <- rbmi:::fit_mmrm
  tight <- orig
  b <- deparse(body(tight))
  b <- sub("n_cores = 1,", paste("n_cores = 1, optimizer = \"nlminb\",",
                                "optimizer_control = list(rel.tol = 1e-12, eval.max = 1000, iter.max = 1000),"),
           b, fixed = TRUE)
  stopifnot(any(grepl("rel.tol", b)))
  body(tight) <- parse(text = b)[[1]]
  assign("mi_rbmi_fallbacks", 0L, globalenv())
  fit <- function(...) {
    r <- tight(...)
    if (!isTRUE(r$failed)) return(r)
    assign("mi_rbmi_fallbacks", get("mi_rbmi_fallbacks", globalenv()) + 1L, globalenv())
    orig(...)
  }
  utils::assignInNamespace("fit_mmrm", fit, "rbmi")
}
