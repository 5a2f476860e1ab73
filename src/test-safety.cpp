// C++ unit tests of the safety core: exact Poisson rates, event counting,
// TEAE and infusion windows, rule-based lab grading, fever duration.
#include <testthat.h>

#include <cmath>
#include <vector>

#include "core/common/errors.hpp"
#include "core/safety/events.hpp"
#include "core/safety/fever.hpp"
#include "core/safety/lab_grading.hpp"
#include "core/safety/rates.hpp"
#include "test-helpers.h"

namespace sf = glycotrial::safety;

context("safety: exposure-adjusted rates") {
  test_that("exact Poisson limits match the published check values") {
    sf::RateEstimate r = sf::poisson_rate_exact(10, 250, 0.95, 100);
    expect_true(std::fabs(r.rate - 4.0) < 1e-12);
    expect_true(std::fabs(r.lower - 1.918) < 5e-4);
    expect_true(std::fabs(r.upper - 7.356) < 5e-4);
    sf::RateEstimate z = sf::poisson_rate_exact(0, 250, 0.95, 100);
    expect_true((z.lower == 0 && std::fabs(z.upper - 1.476) < 5e-4));
  }
  test_that("rate differences and invalid input") {
    sf::RateDifference d = sf::rate_difference(10, 250, 10, 250, 0.95, 100, "mover");
    expect_true((d.diff == 0 && d.lower < 0 && d.upper > 0));
    expect_true(std::fabs(d.lower + d.upper) < 1e-12);
    expect_true(test_helpers::throws_input_error([&] { sf::poisson_rate_exact(-1, 10, 0.95, 100); }));
  }
}

context("safety: event counting") {
  test_that("subjects once per term at worst grade, events all") {
    // Subjects 0,1 in arm 0; 2 in arm 1; 3 outside the population.
    std::vector<int> arm = {0, 0, 1, -1};
    std::vector<int> subj = {0, 0, 1, 2, 3, 0};
    std::vector<int> term = {0, 0, 0, 1, 0, 1};
    std::vector<int> grade = {1, 3, 2, 0, 1, 2};
    sf::TermCounts c = sf::count_terms(arm, 2, subj, term, 2, grade, 3);
    // Term 0, arm 0: subjects 0 (worst 3) and 1 (2): 2 subjects, 3 events.
    expect_true((c.subjects[0] == 2 && c.events[0] == 3));
    expect_true((c.by_worst_grade[0 * 4 + 3] == 1 && c.by_worst_grade[0 * 4 + 2] == 1));
    expect_true((c.subjects[1] == 0 && c.events[1] == 0));  // subject 3 is skipped
    // Term 1: subject 2 in arm 1 (missing grade -> 0), subject 0 in arm 0.
    expect_true((c.subjects[2] == 1 && c.subjects[3] == 1));
    expect_true(c.by_worst_grade[(3) * 4 + 0] == 1);
  }
  test_that("dense worst-grade cells agree with count_terms") {
    // The example above in the 1-based layout of worst_grade_cells(): grades
    // are 0..2 or NA (-99), code 0 = missing, g + 1 = grade g; row 0 = skip.
    const int na = -99;
    std::vector<int> arm = {1, 1, 2, 0};
    std::vector<int> subj = {1, 1, 2, 3, 4, 1, 2};
    std::vector<int> row = {1, 1, 1, 2, 1, 2, 0};
    std::vector<int> grade = {0, 2, 1, na, 0, 1, 2};
    sf::TermCounts c = sf::worst_grade_cells(arm.data(), 4, 2, subj.data(), row.data(),
                                             grade.data(), subj.size(), 2, 2, na);
    std::vector<int> arm0 = {0, 0, 1, -1};
    std::vector<int> subj0 = {0, 0, 1, 2, 3, 0};
    std::vector<int> term0 = {0, 0, 0, 1, 0, 1};
    std::vector<int> code0 = {1, 3, 2, 0, 1, 2};
    sf::TermCounts ref = sf::count_terms(arm0, 2, subj0, term0, 2, code0, 3);
    expect_true(c.subjects == ref.subjects);
    expect_true(c.events == ref.events);
    expect_true(c.by_worst_grade == ref.by_worst_grade);
    std::vector<int> bad = {0, 3, 1, na, 0, 1, 2};  // grade above max_grade
    bool thrown = false;
    try {
      sf::worst_grade_cells(arm.data(), 4, 2, subj.data(), row.data(), bad.data(), subj.size(),
                            2, 2, na);
    } catch (const glycotrial::InputError&) {
      thrown = true;
    }
    expect_true(thrown);
  }
  test_that("term-to-row maps count a subject once per row; any event order") {
    // Terms 0, 1 (PTs of SOC row 1) and 2 (PT of SOC row 2); row 0 = any.
    sf::TermRows rows;
    rows.start = {0, 3, 6, 9};
    rows.index = {0, 1, 3, 0, 1, 4, 0, 2, 5};
    rows.n_rows = 6;
    std::vector<int> arm = {0, 1, 0};
    // Subject 0 twice in separate runs (not grouped): sorting path.
    std::vector<int> subj = {0, 1, 0, 2, 1};
    std::vector<int> term = {0, 1, 1, 2, 1};
    std::vector<int> grade = {2, 1, 3, 1, 2};
    sf::TermCounts c = sf::count_term_rows(arm, 2, subj, term, 3, grade, 3, rows);
    // Row 0 (any): arm 0 subjects 0 and 2, arm 1 subject 1; worst grades 3, 1 | 2.
    expect_true((c.subjects[0] == 2 && c.subjects[1] == 1 && c.events[0] == 3 && c.events[1] == 2));
    expect_true((c.by_worst_grade[0 * 4 + 3] == 1 && c.by_worst_grade[0 * 4 + 1] == 1));
    expect_true(c.by_worst_grade[1 * 4 + 2] == 1);
    // Row 1 (SOC of terms 0, 1): subject 0 once (2 events, worst 3).
    expect_true((c.subjects[2] == 1 && c.events[2] == 2 && c.by_worst_grade[2 * 4 + 3] == 1));
    // Same counts when the events are grouped by subject.
    sf::TermCounts g = sf::count_term_rows(arm, 2, {0, 0, 1, 1, 2}, {0, 1, 1, 1, 2},
                                           3, {2, 3, 1, 2, 1}, 3, rows);
    expect_true((g.subjects == c.subjects && g.events == c.events &&
                 g.by_worst_grade == c.by_worst_grade));
    rows.index[0] = 7;
    expect_true(test_helpers::throws_input_error(
        [&] { sf::count_term_rows(arm, 2, subj, term, 3, grade, 3, rows); }));
  }
  test_that("TEAE and infusion windows") {
    std::vector<double> onset = {-3, 1, 120, 121, std::nan("")};
    std::vector<double> end = {90, 90, 90, 90, 90};
    std::vector<int> f = sf::teae_flag(onset, end, 30, true);
    expect_true((f[0] == 0 && f[1] == 1 && f[2] == 1 && f[3] == 0 && f[4] == 1));
    expect_true(sf::teae_flag(onset, end, 30, false)[4] == 0);
    // Infusions of subject 0 on days 1, 15, 29; window 0..2.
    std::vector<int> inf = sf::infusion_window({0, 0, 0, 1}, {3, 16, 20, 2}, {0, 0, 0}, {29, 1, 15},
                                               {3, 1, 2}, 2, 0, 2);
    expect_true((inf[0] == 1 && inf[1] == 2 && inf[2] == 0 && inf[3] == 0));
  }
}

context("safety: lab grading rules") {
  test_that("highest satisfied rule wins; boundaries follow the operator") {
    std::vector<sf::GradeRule> rules(3);
    rules[0] = {0, 1, 1, sf::Ref::ULN, sf::Op::GT, 1.0, sf::BaselineCond::ANY, true};
    rules[1] = {0, 1, 2, sf::Ref::ULN, sf::Op::GT, 3.0, sf::BaselineCond::ANY, true};
    rules[2] = {0, 1, 3, sf::Ref::ABS, sf::Op::GE, 500, sf::BaselineCond::ANY, true};
    std::vector<double> aval = {40, 40.01, 120, 120.01, 500, 50};
    std::vector<double> uln = {40, 40, 40, 40, 40, std::nan("")};
    std::vector<double> nan(6, std::nan(""));
    sf::LabGrades g = sf::grade_labs(rules, 1, {0, 0, 0, 0, 0, 0}, aval, nan, uln, nan);
    expect_true((g.high[0] == 0 && g.high[1] == 1 && g.high[2] == 1 && g.high[3] == 2));
    expect_true(g.high[4] == 3);
    expect_true(g.high[5] == sf::kGradeNA);         // ULN missing, no higher rule held
    expect_true(g.low[0] == sf::kGradeNone);        // no low-direction rule
  }
  test_that("baseline-abnormal rules apply only when baseline exceeds ULN") {
    std::vector<sf::GradeRule> rules(2);
    rules[0] = {0, 1, 1, sf::Ref::ULN, sf::Op::GT, 1.0, sf::BaselineCond::NORMAL, true};
    rules[1] = {0, 1, 1, sf::Ref::BASE, sf::Op::GE, 1.5, sf::BaselineCond::ABNORMAL, true};
    std::vector<double> aval = {50, 50, 90}, uln = {40, 40, 40}, base = {30, 60, 60};
    std::vector<double> nan(3, std::nan(""));
    sf::LabGrades g = sf::grade_labs(rules, 1, {0, 0, 0}, aval, nan, uln, base);
    expect_true((g.high[0] == 1 && g.high[1] == 0 && g.high[2] == 1));
  }
}

context("safety: fever duration (CTCAE grade 4: > 40.0 C for > 24 h)") {
  test_that("runs of consecutive high readings; strict > 24 h; a dip splits the run") {
    // Group 0: high at 0, 12, 24.5 h -> span 24.5 h (> 24). Group 1: high at
    // 0 and 24 h exactly -> 24 h, not > 24. Group 2: high 0, 12, dip at 18,
    // high 30, 40 -> runs of 12 and 10 h. Group 3: no high reading. Group 4:
    // one high reading -> span 0. Input out of time order in group 0.
    std::vector<int> group = {0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 3, 4, -1};
    std::vector<double> time = {24.5, 0, 12, 0, 24, 0, 12, 18, 30, 40, 5, 7, 0};
    std::vector<int> high = {1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1};
    sf::FeverRuns r = sf::fever_runs(group, time, high, 5, 24);
    expect_true(std::fabs(r.longest_span[0] - 24.5) < 1e-12);
    expect_true(r.sustained[0] == 1);
    expect_true((r.longest_span[1] == 24 && r.sustained[1] == 0));
    expect_true((r.longest_span[2] == 12 && r.sustained[2] == 0));
    expect_true((std::isnan(r.longest_span[3]) && r.sustained[3] == 0));
    expect_true((r.longest_span[4] == 0 && r.sustained[4] == 0));
  }
  test_that("invalid input throws InputError") {
    bool thrown = false;
    try {
      sf::fever_runs({0}, {0, 1}, {1}, 1, 24);
    } catch (const glycotrial::InputError&) {
      thrown = true;
    }
    expect_true(thrown);
    thrown = false;
    try {
      sf::fever_runs({3}, {0}, {1}, 1, 24);
    } catch (const glycotrial::InputError&) {
      thrown = true;
    }
    expect_true(thrown);
  }
}

context("safety: first event per row and subject") {
  test_that("row_subject_min counts an event in every row of its term") {
    // Terms: 0 -> rows {0, 1}, 1 -> row {1}, 2 -> no row. Subjects 0, 1.
    sf::TermRows rows;
    rows.start = {0, 2, 3, 3};
    rows.index = {0, 1, 1};
    rows.n_rows = 2;
    std::vector<int> subject = {0, 0, 1, 1, 1};
    std::vector<int> term = {0, 1, 1, 2, 0};
    std::vector<double> value = {10, 5, 7, 1, std::nan("")};
    std::vector<double> m = sf::row_subject_min(subject, term, value, 2, 3, rows);
    // Row 0: subject 0 -> 10 (term 0), subject 1 -> none (its term-0 value is NaN).
    // Row 1: subject 0 -> min(10, 5) = 5, subject 1 -> 7 (term 2 maps nowhere).
    expect_true((m[0] == 10 && std::isnan(m[1]) && m[2] == 5 && m[3] == 7));
  }
}
