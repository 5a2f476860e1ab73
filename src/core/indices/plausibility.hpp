// Physiological plausibility of laboratory values in a declared unit. A value
// that no living patient can have in the unit it is labelled with, but that is
// ordinary in another common unit of the same analyte, is almost always a unit
// mix-up (glucose in mg/dL read as mmol/L, creatinine in umol/L read as mg/dL,
// HbA1c in mmol/mol read as %). The table below says, per analyte and unit,
// which values are plausible; the R layer turns the verdicts into classed
// warnings (R/plausibility.R). Pure C++, no R headers.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace glycotrial {
namespace indices {

// One analyte in one unit: values in [low, high] are physiologically
// plausible (serum/plasma, adults, including the extremes a trial can see);
// `typical` is an ordinary value, used to choose between several units under
// which an implausible value would be plausible. Units are spelled as in
// R/units.R (normalise_unit()).
struct UnitRange {
  const char* quantity;
  const char* unit;
  double low;
  double high;
  double typical;
};

// The whole table, in declaration order (n rows in *n).
const UnitRange* unit_ranges(std::size_t* n);

// Whether `quantity` has plausible ranges (glucose, insulin, cpeptide,
// creatinine, hba1c).
bool has_unit_ranges(const std::string& quantity);

// Verdict per value, for `x` declared in `unit`:
//   status 0: plausible in `unit`, or missing / not finite / negative (those are
//             handled elsewhere as missing or impossible);
//   status 1: implausible in `unit` but plausible in another unit, whose table
//             row is in `likely` (the one with the typical value nearest on the
//             log scale);
//   status 2: implausible in every unit of the analyte.
// `likely` is -1 unless status is 1. Throws InputError for an unknown
// quantity or a unit the table does not list for it.
struct PlausibilityVerdict {
  std::vector<int> status;
  std::vector<int> likely;
};
PlausibilityVerdict check_unit_plausibility(const std::string& quantity, const std::string& unit,
                                            const double* x, std::size_t n);

}  // namespace indices
}  // namespace glycotrial
