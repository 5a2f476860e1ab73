#include "plausibility.hpp"

#include <cmath>
#include <limits>

#include "../common/errors.hpp"

namespace glycotrial {
namespace indices {
namespace {

// Ranges are wide on purpose: they must hold every real patient in a diabetes
// trial (including severe hypoglycaemia, hyperosmolar states, renal failure,
// insulin-treated patients and assays' "below detection" zeros), so that only
// unit mix-ups fall outside. Each unit's range is the other unit's range
// converted with the factor glycotrial uses (R/units.R), so no value changes
// verdict merely because of the unit it is given in.
//
// glucose: 1.0-60 mmol/L. Upper: hyperosmolar hyperglycaemic state is defined
//   from > 33.3 mmol/L (600 mg/dL; Kitabchi AE et al. Diabetes Care
//   2009;32:1335-43) and laboratory hexokinase methods are linear to about
//   40-50 mmol/L before dilution; values above 60 mmol/L are case reports.
//   Lower: 1.0 mmol/L, below the level of severe hypoglycaemia (< 3.0 mmol/L,
//   International Hypoglycaemia Study Group, Diabetes Care 2017;40:155-7).
//   The 60 and 1.0 bounds themselves are from memory (clinical chemistry
//   practice), not from a verified source. mg/dL = mmol/L x 18.016.
// insulin: 0-2000 uU/mL. 0 = below the assay's detection limit (type 1
//   diabetes); fasting insulin is ~2-25 uU/mL, OGTT peaks in insulin
//   resistance reach several hundred; 2000 uU/mL is from memory (beyond the
//   range of immunoassays without dilution). pmol/L = uU/mL x 6.00 (Knopp JL
//   et al. J Diabetes Sci Technol 2019;13:597, see ../shared/references).
// cpeptide: 0-40 ng/mL. 0 = undetectable; fasting ~0.5-3 ng/mL, stimulated
//   up to ~10-15, higher in renal failure (C-peptide is cleared by the
//   kidney); 40 ng/mL from memory. nmol/L = ng/mL x 0.331 (molar mass
//   3020.3 g/mol), pmol/L = nmol/L x 1000.
// creatinine: 0.1-25 mg/dL. Upper: end-stage kidney disease before dialysis
//   rarely exceeds 15-20 mg/dL; lower: severe sarcopenia / children ~0.2.
//   Both bounds from memory. umol/L = mg/dL x 88.42.
// hba1c: 3-20 %. Assays report about 4-18 % (NGSP-certified methods;
//   haemoglobin variants and transfusion give lower values); bounds from
//   memory. mmol/mol by the IFCC-NGSP master equation (Hoelzel W et al. Clin
//   Chem 2004;50:166-74): (3 - 2.15) / 0.0915 = 9.3, (20 - 2.15) / 0.0915 = 195.1.
const UnitRange kRanges[] = {
    {"glucose", "mmol/L", 1.0, 60.0, 6.0},
    {"glucose", "mg/dL", 18.016, 60.0 * 18.016, 108.0},
    {"insulin", "uU/mL", 0.0, 2000.0, 10.0},
    {"insulin", "pmol/L", 0.0, 12000.0, 60.0},
    {"cpeptide", "ng/mL", 0.0, 40.0, 2.0},
    {"cpeptide", "nmol/L", 0.0, 40.0 * 0.331, 0.662},
    {"cpeptide", "pmol/L", 0.0, 40.0 * 331.0, 662.0},
    {"creatinine", "mg/dL", 0.1, 25.0, 1.0},
    {"creatinine", "umol/L", 0.1 * 88.42, 25.0 * 88.42, 88.42},
    {"hba1c", "%", 3.0, 20.0, 7.0},
    {"hba1c", "mmol/mol", (3.0 - 2.15) / 0.0915, (20.0 - 2.15) / 0.0915, 53.0},
};
const std::size_t kNRanges = sizeof(kRanges) / sizeof(kRanges[0]);

bool inside(const UnitRange& r, double x) { return x >= r.low && x <= r.high; }

}  // namespace

const UnitRange* unit_ranges(std::size_t* n) {
  if (n) *n = kNRanges;
  return kRanges;
}

bool has_unit_ranges(const std::string& quantity) {
  for (std::size_t k = 0; k < kNRanges; ++k)
    if (quantity == kRanges[k].quantity) return true;
  return false;
}

PlausibilityVerdict check_unit_plausibility(const std::string& quantity, const std::string& unit,
                                            const double* x, std::size_t n) {
  std::vector<std::size_t> rows;  // table rows of this quantity
  std::size_t declared = kNRanges;
  for (std::size_t k = 0; k < kNRanges; ++k) {
    if (quantity != kRanges[k].quantity) continue;
    rows.push_back(k);
    if (unit == kRanges[k].unit) declared = k;
  }
  require(!rows.empty(), "quantity", "no plausible ranges for quantity '" + quantity + "'");
  require(declared < kNRanges, "unit",
          "no plausible range for " + quantity + " in unit '" + unit + "'");
  PlausibilityVerdict v;
  v.status.assign(n, 0);
  v.likely.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    const double xi = x[i];
    if (!std::isfinite(xi) || xi < 0 || inside(kRanges[declared], xi)) continue;
    int best = -1;
    double best_dist = std::numeric_limits<double>::infinity();
    for (std::size_t k : rows) {
      if (k == declared || !inside(kRanges[k], xi)) continue;
      // nearest typical value on the log scale (0 is inside every range
      // that starts at 0, so never reaches here as implausible)
      const double d = std::fabs(std::log(xi / kRanges[k].typical));
      if (d < best_dist) {
        best_dist = d;
        best = static_cast<int>(k);
      }
    }
    v.status[i] = best >= 0 ? 1 : 2;
    v.likely[i] = best;
  }
  return v;
}

}  // namespace indices
}  // namespace glycotrial
