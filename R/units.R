# Units of the quantities the indices take. Every input is converted to the
# unit its formula was published in ("native" unit, declared by the plugin);
# an unknown unit is an error, never a guess.

#' Units and conversion factors for the indices
#'
#' Each index takes its inputs in the units of the original publication
#' (listed by `glycotrial_plugins("index")` and [index_info()]). Values given
#' in another accepted unit are converted first; an unknown unit is a
#' `glycotrial_error_input`. Unit strings are matched case-insensitively, with
#' `"µ"` and `"u"` and `"IU"`/`"U"` treated alike (`"µIU/mL"` = `"uU/mL"` =
#' `"mU/L"`).
#'
#' | quantity   | accepted units                         | conversion |
#' |------------|----------------------------------------|------------|
#' | glucose    | mmol/L, mg/dL                          | mg/dL = mmol/L x `glucose_factor` (18.016, from the molar mass 180.16 g/mol) |
#' | insulin    | uU/mL (= mU/L), pmol/L                 | pmol/L = uU/mL x `insulin_factor` (6.00, Völund 1993; Heinemann 2010; Knopp 2019; the legacy 6.945 may be given) |
#' | cpeptide   | nmol/L, pmol/L, ng/mL (= ug/L)         | nmol/L = ng/mL x `cpeptide_factor` (0.331, molar mass 3020.3 g/mol) |
#' | creatinine | mg/dL, umol/L                          | umol/L = mg/dL x 88.42 |
#' | hba1c      | %, mmol/mol                            | IFCC-NGSP master equation (see [hba1c_convert()]) |
#' | time       | min, h                                 | 60 |
#' | weight     | kg, g, lb                              | 1 lb = 0.45359237 kg |
#' | height     | cm, m, in                              | 1 in = 2.54 cm |
#' | age        | years                                  | |
#' | sex        | `"F"`/`"M"`, `"Female"`/`"Male"`, or 1 = female / 0 = male | |
#'
#' The classical mg/dL forms of HOMA1 (`G x I / 405`, `360 x I / (G - 63)`)
#' correspond to `glucose_factor = 18`; pass it to reproduce them exactly.
#'
#' @param x Numeric vector.
#' @param quantity One of the quantities above.
#' @param from,to Unit strings.
#' @param glucose_factor mg/dL per mmol/L of glucose (default 18.016).
#' @param insulin_factor pmol/L per uU/mL of insulin (default 6.00).
#' @param cpeptide_factor nmol/L per ng/mL of C-peptide (default 0.331).
#' @return `convert_units()`: `x` in unit `to`.
#' @examples
#' convert_units(5.5, "glucose", "mmol/L", "mg/dL")
#' convert_units(60, "insulin", "pmol/L", "uU/mL")
#' convert_units(60, "insulin", "pmol/L", "uU/mL", insulin_factor = 6.945)
#' convert_units(2, "cpeptide", "ng/mL", "pmol/L")
#' try(convert_units(5, "glucose", "mmol/dL", "mg/dL"))
#' @name index_units
NULL

#' Unit arguments shared by the index functions
#'
#' See [index_units] for accepted units and conversions.
#'
#' @param glucose_unit Unit of glucose: `"mmol/L"` or `"mg/dL"`.
#' @param insulin_unit Unit of insulin: `"uU/mL"` (= mU/L) or `"pmol/L"`.
#' @param cpeptide_unit Unit of C-peptide: `"ng/mL"`, `"nmol/L"` or `"pmol/L"`.
#' @param time_unit Unit of time: `"min"` or `"h"`.
#' @param glucose_factor mg/dL per mmol/L of glucose (default 18.016).
#' @param insulin_factor pmol/L per uU/mL of insulin (default 6.00).
#' @param cpeptide_factor nmol/L per ng/mL of C-peptide (default 0.331).
#' @keywords internal
#' @name index_unit_arguments
NULL

# Multipliers from each unit to the canonical unit of a quantity (functions of
# the conversion factors). The first unit is canonical.
unit_catalogue <- function(factors) {
  list(
    glucose = c("mmol/L" = 1, "mg/dL" = 1 / factors$glucose_factor),
    insulin = c("uU/mL" = 1, "pmol/L" = 1 / factors$insulin_factor),
    cpeptide = c("nmol/L" = 1, "pmol/L" = 1e-3, "ng/mL" = factors$cpeptide_factor),
    creatinine = c("mg/dL" = 1, "umol/L" = 1 / 88.42),
    time = c("min" = 1, "h" = 60),
    weight = c("kg" = 1, "g" = 1e-3, "lb" = 0.45359237),
    height = c("cm" = 1, "m" = 100, "in" = 2.54),
    age = c("years" = 1),
    bmi = c("kg/m2" = 1),
    hba1c = c("%" = 1, "mmol/mol" = NA_real_),  # affine: master equation
    sex = c("female=1" = 1),
    value = c("1" = 1)
  )
}

# Spelling variants mapped to the catalogue's spelling.
normalise_unit <- function(u) {
  v <- tolower(gsub("\\s+", "", u))
  v <- gsub("\u00b5|\u03bc", "u", v)
  v <- sub("^uiu/", "uu/", v)
  v <- sub("^miu/", "mu/", v)
  aliases <- c(
    "mmol/l" = "mmol/L", "mg/dl" = "mg/dL", "uu/ml" = "uU/mL", "mu/l" = "uU/mL",
    "pmol/l" = "pmol/L", "nmol/l" = "nmol/L", "ng/ml" = "ng/mL", "ug/l" = "ng/mL",
    "umol/l" = "umol/L", "min" = "min", "mins" = "min", "minutes" = "min", "minute" = "min",
    "h" = "h", "hr" = "h", "hrs" = "h", "hour" = "h", "hours" = "h", "kg" = "kg", "g" = "g",
    "lb" = "lb", "lbs" = "lb", "cm" = "cm", "m" = "m", "in" = "in", "years" = "years",
    "year" = "years", "y" = "years", "yr" = "years", "kg/m2" = "kg/m2", "kg/m^2" = "kg/m2",
    "%" = "%", "percent" = "%", "mmol/mol" = "mmol/mol", "female=1" = "female=1", "1" = "1"
  )
  out <- unname(aliases[v])
  out[is.na(u)] <- NA_character_
  out
}

default_unit_factors <- function() {
  list(glucose_factor = 18.016, insulin_factor = 6, cpeptide_factor = 0.331)
}

check_unit_factors <- function(factors, call = sys.call(-1)) {
  for (nm in names(factors)) {
    check_number(factors[[nm]], lower = 0, open = TRUE, upper = Inf, arg = nm, call = call)
  }
  invisible(factors)
}

# Resolve a unit string for a quantity, or abort naming the argument.
match_unit <- function(unit, quantity, factors, arg = "unit", call = sys.call(-1)) {
  cat_q <- unit_catalogue(factors)[[quantity]]
  if (is.null(cat_q)) {
    glycotrial_abort("Unknown quantity {.val {quantity}} for {.arg {arg}}.", call = call)
  }
  if (!is.character(unit) || length(unit) != 1 || is.na(unit)) {
    glycotrial_abort("{.arg {arg}} must be a single unit string, not {describe_value(unit)}.",
                     call = call)
  }
  u <- normalise_unit(unit)
  if (is.na(u) || !u %in% names(cat_q)) {
    glycotrial_abort(
      c("Unknown {quantity} unit {.val {unit}} in {.arg {arg}}.",
        "i" = "Accepted units: {.val {names(cat_q)}}."),
      class = c("input", "glycotrial_error_unit"), call = call)
  }
  u
}

#' @rdname index_units
#' @export
convert_units <- function(x, quantity, from, to, glucose_factor = 18.016,
                          insulin_factor = 6, cpeptide_factor = 0.331) {
  factors <- list(glucose_factor = glucose_factor, insulin_factor = insulin_factor,
                  cpeptide_factor = cpeptide_factor)
  check_unit_factors(factors)
  check_string(quantity)
  if (!is.numeric(x)) {
    glycotrial_abort("{.arg x} must be numeric, not {describe_value(x)}.")
  }
  convert_quantity(x, quantity, from, to, factors, arg = "from")
}

# Internal workhorse: x from unit `from` to unit `to` of `quantity`.
convert_quantity <- function(x, quantity, from, to, factors, arg = "unit",
                             call = sys.call(-1)) {
  f <- match_unit(from, quantity, factors, arg = arg, call = call)
  t <- match_unit(to, quantity, factors, arg = "to", call = call)
  if (identical(f, t)) return(as.numeric(x))
  if (quantity == "hba1c") {
    # IFCC-NGSP master equation, Hoelzel W et al. Clin Chem 2004;50:166-74.
    return(if (f == "%") (x - 2.15) / 0.0915 else 0.0915 * x + 2.15)
  }
  m <- unit_catalogue(factors)[[quantity]]
  as.numeric(x) * m[[f]] / m[[t]]
}

# Sex as 1 = female, 0 = male, from common codings.
as_female_indicator <- function(x, arg = "sex", call = sys.call(-1)) {
  if (is.factor(x)) x <- as.character(x)
  if (is.logical(x)) return(as.numeric(x))
  if (is.numeric(x)) {
    bad <- !is.na(x) & !x %in% c(0, 1)
    if (any(bad)) {
      glycotrial_abort("Numeric {.arg {arg}} must be 1 (female) or 0 (male); found {x[bad][1]}.",
                       call = call)
    }
    return(as.numeric(x))
  }
  if (is.character(x)) {
    v <- toupper(trimws(x))
    out <- ifelse(v %in% c("F", "FEMALE", "W", "WOMAN"), 1,
                  ifelse(v %in% c("M", "MALE", "MAN"), 0, NA_real_))
    bad <- !is.na(x) & is.na(out)
    if (any(bad)) {
      glycotrial_abort(c("Cannot read {.arg {arg}} value {.val {x[bad][1]}} as a sex.",
                         "i" = "Use {.val F}/{.val M}, {.val Female}/{.val Male}, or 1/0."),
                       call = call)
    }
    return(out)
  }
  glycotrial_abort("{.arg {arg}} must be character, factor, logical or numeric, not {describe_value(x)}.",
                   call = call)
}
