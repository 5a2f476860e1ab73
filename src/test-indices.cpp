// C++ unit tests of the index formulas and the built-in index plugins.
#include <testthat.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/common/plugin_registry.hpp"
#include "core/indices/builtin.hpp"
#include "core/indices/formulas.hpp"
#include "core/indices/plausibility.hpp"
#include "core/common/errors.hpp"
#include "test-helpers.h"

namespace ix = glycotrial::indices;

namespace {
bool near(double a, double b, double tol = 1e-10) {
  return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b));
}
const glycotrial_index_v1* builtin(const std::string& key) {
  return test_helpers::builtin_index(key);
}
}  // namespace

context("index formulas") {
  test_that("fasting formulas reproduce the hand calculations") {
    // FPG 93 mg/dL = 93/18 mmol/L, FPI 12.8 uU/mL: HOMA1-IR 2.939259, %B 153.6.
    expect_true(near(ix::homa1_ir(93.0 / 18.0, 12.8), 93.0 * 12.8 / 405.0));
    expect_true(near(ix::homa1_b(93.0 / 18.0, 12.8), 153.6));
    expect_true(std::isnan(ix::homa1_b(3.5, 12.8)));
    expect_true(std::isnan(ix::homa1_ir(-1.0, 12.8)));
    expect_true(near(ix::quicki(93.0, 12.8), 1.0 / (std::log10(93.0) + std::log10(12.8))));
    expect_true(near(ix::homa_ir_cp(7.2, 695.1), 1.5 + 7.2 * 695.1 / 2800.0));
    expect_true(near(ix::homa_b_cp(7.2, 695.1, 50.0), 0.27 * 695.1 / 3.7 + 50.0));
    expect_true(near(ix::ohkura(130.0, 1.5), 20.0 / 195.0));
    expect_true(near(ix::cpi(130.0, 1.5), 1.5 / 130.0 * 100.0));
  }

  test_that("HbA1c, eAG and CKD-EPI 2021") {
    expect_true(near(ix::hba1c_ifcc_to_ngsp(ix::hba1c_ngsp_to_ifcc(7.0)), 7.0));
    expect_true(std::round(ix::hba1c_ngsp_to_ifcc(7.0)) == 53.0);
    expect_true(near(ix::eag_mgdl(7.0), 154.2));
    // Creatinine 1.09 mg/dL, 55-year-old man -> 80 mL/min/1.73 m2.
    expect_true(std::round(ix::egfr_ckd_epi_2021(1.09, 55.0, 0.0)) == 80.0);
    expect_true(std::isnan(ix::egfr_ckd_epi_2021(1.09, 55.0, 0.5)));
  }

  test_that("AUCs: total, Wolever incremental with crossings, net, missing points") {
    const double t[] = {0, 30, 60, 90, 120};
    const double g[] = {93, 129, 178, 164, 97};
    ix::Curve c{t, g, 5};
    expect_true(near(ix::auc_total(c), 16980.0));
    expect_true(near(ix::auc_incremental_positive(c), 5820.0));
    expect_true(near(ix::curve_mean_trapezoid(c), 141.5));
    expect_true(near(ix::curve_mean_arithmetic(c), 132.2));
    const double t2[] = {0, 30, 60, 120};
    const double y2[] = {5, 7, 3, 6};
    ix::Curve d{t2, y2, 4};
    expect_true(near(ix::auc_incremental_positive(d), 55.0));
    expect_true(near(ix::auc_net(d), 0.0));
    const double y3[] = {5, NAN, 3, 6};
    ix::Curve e{t2, y3, 4};
    expect_true(near(ix::auc_total(e), 0.5 * 8 * 60 + 0.5 * 9 * 60));
    expect_true(std::isnan(e.at(30)));
    const double one[] = {5};
    expect_true(std::isnan(ix::auc_total(ix::Curve{t, one, 1})));
  }

  test_that("OGIS reproduces the tabletools worked example (344.5)") {
    expect_true(std::fabs(ix::ogis_120(90, 135, 115, 15, 150, 170, 70) - 344.5) < 0.05);
  }
}

context("built-in index plugins") {
  test_that("every built-in plugin is well formed and registers through the C entry point") {
    std::size_t n = 0;
    const glycotrial_index_v1* p = ix::builtin_plugins(&n);
    expect_true(n >= 30);
    for (std::size_t k = 0; k < n; ++k) {
      expect_true(p[k].abi_version == GLYCOTRIAL_PLUGIN_ABI);
      expect_true((p[k].compute != nullptr && p[k].n_inputs > 0));
      expect_true(std::strlen(p[k].reference) > 0);
      expect_true(glycotrial::plugins::find_index(p[k].key) != nullptr);
    }
  }

  test_that("curve plugins give every row its curve's value and refuse unsorted time") {
    const glycotrial_index_v1* p = builtin("matsuda");
    expect_true(p != nullptr);
    std::vector<double> id = {1, 1, 1, 1, 1, 2, 2, 2};
    std::vector<double> t = {0, 30, 60, 90, 120, 0, 60, 120};
    std::vector<double> g = {93, 129, 178, 164, 97, 90, 150, 110};
    std::vector<double> i = {12.8, 30.7, 68.5, 74.1, 44.0, 10, 50, 30};
    const double* in[] = {id.data(), t.data(), g.data(), i.data()};
    std::vector<double> out(8);
    char err[256] = {0};
    expect_true(p->compute(8, in, out.data(), err, sizeof(err)) == 0);
    expect_true(near(out[0], 10000.0 / std::sqrt(93 * 12.8 * 141.5 * 50.425)));
    expect_true(near(out[4], out[0]));
    expect_true(near(out[7], 10000.0 / std::sqrt(90.0 * 10 * 125.0 * 35.0)));
    t[2] = 20;  // 0, 30, 20: not increasing
    expect_true(p->compute(8, in, out.data(), err, sizeof(err)) != 0);
    expect_true(std::strstr(err, "increasing") != nullptr);
  }

  test_that("row plugins evaluate through the registry") {
    const glycotrial_index_v1* p = glycotrial::plugins::find_index("homa1_ir");
    expect_true(p != nullptr);
    auto out = glycotrial::plugins::compute_index(*p, {{5.0, 6.0}, {9.0, -1.0}});
    expect_true((near(out[0], 2.0) && std::isnan(out[1])));
  }
}

context("unit plausibility") {
  test_that("common unit mix-ups are recognised and the likely unit named") {
    std::size_t nr = 0;
    const ix::UnitRange* tab = ix::unit_ranges(&nr);
    expect_true(nr > 0);
    auto likely = [&](const ix::PlausibilityVerdict& v, std::size_t i) {
      return v.likely[i] >= 0 ? std::string(tab[v.likely[i]].unit) : std::string();
    };
    // glucose 95 declared mmol/L: mg/dL; 5.5 mmol/L and NA and -1 (impossible, handled elsewhere): fine
    std::vector<double> g = {95.0, 5.5, std::nan(""), -1.0, 5000.0};
    auto v = ix::check_unit_plausibility("glucose", "mmol/L", g.data(), g.size());
    expect_true((v.status[0] == 1 && likely(v, 0) == "mg/dL"));
    expect_true((v.status[1] == 0 && v.status[2] == 0 && v.status[3] == 0));
    expect_true((v.status[4] == 2 && v.likely[4] == -1));
    // creatinine 88 declared mg/dL: umol/L
    double c = 88.0;
    v = ix::check_unit_plausibility("creatinine", "mg/dL", &c, 1);
    expect_true((v.status[0] == 1 && likely(v, 0) == "umol/L"));
    // HbA1c 53 declared %: mmol/mol; 7 declared mmol/mol: %
    double a = 53.0, b = 7.0;
    v = ix::check_unit_plausibility("hba1c", "%", &a, 1);
    expect_true((v.status[0] == 1 && likely(v, 0) == "mmol/mol"));
    v = ix::check_unit_plausibility("hba1c", "mmol/mol", &b, 1);
    expect_true((v.status[0] == 1 && likely(v, 0) == "%"));
    // C-peptide 500 declared ng/mL: pmol/L (nmol/L's range ends at 13.24)
    double cp = 500.0;
    v = ix::check_unit_plausibility("cpeptide", "ng/mL", &cp, 1);
    expect_true((v.status[0] == 1 && likely(v, 0) == "pmol/L"));
  }

  test_that("unknown quantities and units throw InputError") {
    double x = 1.0;
    expect_error_as(ix::check_unit_plausibility("weight", "kg", &x, 1), glycotrial::InputError);
    expect_error_as(ix::check_unit_plausibility("glucose", "mmol/dL", &x, 1), glycotrial::InputError);
    expect_true((ix::has_unit_ranges("insulin") && !ix::has_unit_ranges("time")));
  }
}
