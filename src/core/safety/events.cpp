#include "events.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace safety {

namespace {
// The term-to-row map of count_term_rows() and row_subject_min(): n_terms + 1
// non-decreasing offsets from 0 to the number of row indices, each row index
// in 0..n_rows-1.
void check_term_rows(const TermRows& rows, int n_terms) {
  require(rows.start.size() == static_cast<size_t>(n_terms) + 1, "rows",
          "the term-to-row map must have n_terms + 1 offsets");
  require(rows.start[0] == 0 && static_cast<size_t>(rows.start[n_terms]) == rows.index.size(),
          "rows", "the term-to-row offsets must run from 0 to the number of row indices");
  for (int t = 0; t < n_terms; ++t)
    require(rows.start[t] <= rows.start[t + 1], "rows", "term-to-row offsets must not decrease");
  for (int r : rows.index)
    require(r >= 0 && r < rows.n_rows, "rows", "row index out of range");
}
}  // namespace

TermCounts count_term_rows(const std::vector<int>& subject_arm, int n_arms,
                           const std::vector<int>& ev_subject, const std::vector<int>& ev_term,
                           int n_terms, const std::vector<int>& ev_grade, int n_grades,
                           const TermRows& rows) {
  const size_t n = ev_subject.size();
  require(ev_term.size() == n && ev_grade.size() == n, "events",
          "event subject, term and grade vectors must have the same length");
  require(n_arms >= 0 && n_terms >= 0 && n_grades >= 0 && rows.n_rows >= 0, "n",
          "counts must be non-negative");
  check_term_rows(rows, n_terms);
  const int n_subj = static_cast<int>(subject_arm.size());
  for (int a : subject_arm)
    if (a < -1 || a >= n_arms) throw InputError("arm index out of range", "arm");

  const int n_rows = rows.n_rows;
  TermCounts out;
  out.n_terms = n_rows;
  out.n_arms = n_arms;
  out.n_grades = n_grades;
  const size_t cells = static_cast<size_t>(n_rows) * n_arms;
  out.subjects.assign(cells, 0);
  out.events.assign(cells, 0);
  out.by_worst_grade.assign(cells * (n_grades + 1), 0);

  // Validate and find out whether the events are already grouped by subject
  // (the usual ADAE order), in which case no sort is needed.
  bool grouped = true;
  std::vector<size_t> start(static_cast<size_t>(n_subj) + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const int t = ev_term[i], s = ev_subject[i], g = ev_grade[i];
    // Messages are built only on failure (this loop runs over millions of events).
    if (t < 0 || t >= n_terms)
      throw InputError("term index out of range at event " + std::to_string(i + 1), "term");
    if (s < 0 || s >= n_subj)
      throw InputError("subject index out of range at event " + std::to_string(i + 1), "subject");
    if (g < 0 || g > n_grades)
      throw InputError("grade out of range at event " + std::to_string(i + 1), "grade");
    ++start[static_cast<size_t>(s) + 1];
    if (i > 0 && s != ev_subject[i - 1] && start[static_cast<size_t>(s) + 1] > 1) grouped = false;
  }
  std::vector<size_t> order;
  if (!grouped) {
    for (int s = 0; s < n_subj; ++s) start[s + 1] += start[s];
    order.resize(n);
    std::vector<size_t> pos(start.begin(), start.end() - 1);
    for (size_t i = 0; i < n; ++i) order[pos[ev_subject[i]]++] = i;
  }

  // stamp[r] == s + 1 when row r has already been seen for subject s.
  std::vector<int> stamp(static_cast<size_t>(n_rows), 0), worst(static_cast<size_t>(n_rows), 0);
  std::vector<int> touched;
  touched.reserve(256);
  auto one_event = [&](size_t i, int stamp_value, int a) {
    const int t = ev_term[i], g = ev_grade[i];
    for (int k = rows.start[t]; k < rows.start[t + 1]; ++k) {
      const int r = rows.index[k];
      ++out.events[static_cast<size_t>(r) * n_arms + a];
      if (stamp[r] != stamp_value) {
        stamp[r] = stamp_value;
        worst[r] = g;
        touched.push_back(r);
      } else if (g > worst[r]) {
        worst[r] = g;
      }
    }
  };
  auto close_subject = [&](int a) {
    for (int r : touched) {
      const size_t cell = static_cast<size_t>(r) * n_arms + a;
      ++out.subjects[cell];
      ++out.by_worst_grade[cell * (n_grades + 1) + worst[r]];
    }
    touched.clear();
  };
  if (grouped) {
    // Runs of equal subjects; each subject occurs in one run only.
    size_t i = 0;
    while (i < n) {
      const int s = ev_subject[i];
      const int a = subject_arm[s];
      size_t j = i;
      while (j < n && ev_subject[j] == s) ++j;
      if (a >= 0) {
        for (size_t k = i; k < j; ++k) one_event(k, s + 1, a);
        close_subject(a);
      }
      i = j;
    }
  } else {
    for (int s = 0; s < n_subj; ++s) {
      const int a = subject_arm[s];
      if (a < 0 || start[s] == start[s + 1]) continue;
      for (size_t k = start[s]; k < start[s + 1]; ++k) one_event(order[k], s + 1, a);
      close_subject(a);
    }
  }
  return out;
}

TermCounts count_terms(const std::vector<int>& subject_arm, int n_arms,
                       const std::vector<int>& ev_subject, const std::vector<int>& ev_term,
                       int n_terms, const std::vector<int>& ev_grade, int n_grades) {
  require(n_terms >= 0, "n", "counts must be non-negative");
  TermRows identity;
  identity.n_rows = n_terms;
  identity.start.resize(static_cast<size_t>(n_terms) + 1);
  identity.index.resize(static_cast<size_t>(n_terms));
  for (int t = 0; t <= n_terms; ++t) identity.start[t] = t;
  for (int t = 0; t < n_terms; ++t) identity.index[t] = t;
  return count_term_rows(subject_arm, n_arms, ev_subject, ev_term, n_terms, ev_grade, n_grades,
                         identity);
}

TermCounts worst_grade_cells(const int* subject_arm, int n_subjects, int n_arms,
                             const int* subj, const int* row, const int* grade, size_t n,
                             int n_rows, int max_grade, int na) {
  require(n_subjects >= 0 && n_arms >= 0 && n_rows >= 0 && max_grade >= 0 && max_grade < 126,
          "n", "counts must be non-negative and grades below 126");
  require(static_cast<double>(n_rows) * n_subjects <= 4e8, "n",
          "too many rows x subjects for the dense worst-grade table");
  for (int s = 0; s < n_subjects; ++s)
    if (subject_arm[s] > n_arms) throw InputError("arm index out of range", "arm");
  const int n_codes = max_grade + 2;
  TermCounts out;
  out.n_terms = n_rows;
  out.n_arms = n_arms;
  out.n_grades = n_codes - 1;
  const size_t cells = static_cast<size_t>(n_rows) * n_arms;
  out.subjects.assign(cells, 0);
  out.events.assign(cells, 0);
  out.by_worst_grade.assign(cells * n_codes, 0);
  // worst[r * n_subjects + s] = code + 1 (0 = no record yet).
  std::vector<signed char> worst(static_cast<size_t>(n_rows) * n_subjects, 0);
  for (size_t i = 0; i < n; ++i) {
    const int s = subj[i], r = row[i];
    if (r < 1 || s < 1 || s > n_subjects) continue;
    if (r > n_rows) throw InputError("row index out of range at record " + std::to_string(i + 1), "row");
    const int a = subject_arm[s - 1];
    if (a < 1) continue;
    const int g = grade[i];
    int code = 0;
    if (g != na) {
      if (g < 0 || g > max_grade)
        throw InputError("grade out of range at record " + std::to_string(i + 1), "grade");
      code = g + 1;
    }
    ++out.events[static_cast<size_t>(r - 1) * n_arms + (a - 1)];
    signed char& w = worst[static_cast<size_t>(r - 1) * n_subjects + (s - 1)];
    if (code + 1 > w) w = static_cast<signed char>(code + 1);
  }
  for (int r = 0; r < n_rows; ++r)
    for (int s = 0; s < n_subjects; ++s) {
      const int w = worst[static_cast<size_t>(r) * n_subjects + s];
      if (w == 0) continue;
      const size_t cell = static_cast<size_t>(r) * n_arms + (subject_arm[s] - 1);
      ++out.subjects[cell];
      ++out.by_worst_grade[cell * n_codes + (w - 1)];
    }
  return out;
}

std::vector<int> teae_flag(const std::vector<double>& onset_day,
                           const std::vector<double>& end_day, double lag,
                           bool missing_is_teae) {
  require(onset_day.size() == end_day.size(), "end_day",
          "onset and end-of-treatment days must have the same length");
  require(std::isfinite(lag) && lag >= 0, "lag", "the TEAE lag must be a non-negative number");
  std::vector<int> out(onset_day.size());
  for (size_t i = 0; i < onset_day.size(); ++i) {
    const double d = onset_day[i];
    if (std::isnan(d)) {
      out[i] = missing_is_teae ? 1 : 0;
      continue;
    }
    const double e = end_day[i];
    out[i] = (d >= 1 && (std::isnan(e) || d <= e + lag)) ? 1 : 0;
  }
  return out;
}

std::vector<int> infusion_window(const std::vector<int>& ev_subject,
                                 const std::vector<double>& ev_day,
                                 const std::vector<int>& inf_subject,
                                 const std::vector<double>& inf_day,
                                 const std::vector<int>& inf_number, int n_subjects,
                                 double lower, double upper) {
  require(ev_subject.size() == ev_day.size(), "adae", "event vectors differ in length");
  require(inf_subject.size() == inf_day.size() && inf_day.size() == inf_number.size(), "adex",
          "infusion vectors differ in length");
  require(std::isfinite(lower) && std::isfinite(upper) && lower <= upper, "window",
          "the infusion window must be two finite numbers with lower <= upper");
  // Infusions bucketed by subject, sorted by day.
  std::vector<size_t> start(static_cast<size_t>(n_subjects) + 1, 0);
  for (int s : inf_subject) {
    require(s >= 0 && s < n_subjects, "adex", "infusion subject index out of range");
    ++start[static_cast<size_t>(s) + 1];
  }
  for (int s = 0; s < n_subjects; ++s) start[s + 1] += start[s];
  std::vector<size_t> order(inf_subject.size()), pos(start.begin(), start.end() - 1);
  for (size_t j = 0; j < inf_subject.size(); ++j) order[pos[inf_subject[j]]++] = j;
  for (int s = 0; s < n_subjects; ++s)
    std::sort(order.begin() + start[s], order.begin() + start[s + 1],
              [&](size_t a, size_t b) { return inf_day[a] < inf_day[b]; });

  std::vector<int> out(ev_subject.size(), 0);
  for (size_t i = 0; i < ev_subject.size(); ++i) {
    const int s = ev_subject[i];
    const double d = ev_day[i];
    if (s < 0 || s >= n_subjects || std::isnan(d)) continue;
    // Most recent infusion whose window contains the onset day.
    for (size_t k = start[s + 1]; k-- > start[s];) {
      const size_t j = order[k];
      if (std::isnan(inf_day[j])) continue;
      if (d >= inf_day[j] + lower && d <= inf_day[j] + upper) {
        out[i] = inf_number[j];
        break;
      }
    }
  }
  return out;
}

std::vector<double> group_subject_min(const std::vector<int>& subject,
                                      const std::vector<int>& group,
                                      const std::vector<double>& value, int n_subjects,
                                      int n_groups) {
  require(subject.size() == group.size() && group.size() == value.size(), "value",
          "subject, group and value vectors must have the same length");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> out(static_cast<size_t>(n_subjects) * n_groups, nan);
  for (size_t i = 0; i < subject.size(); ++i) {
    const int s = subject[i], g = group[i];
    if (s < 0 || s >= n_subjects || g < 0 || g >= n_groups || std::isnan(value[i])) continue;
    double& o = out[static_cast<size_t>(g) * n_subjects + s];
    if (std::isnan(o) || value[i] < o) o = value[i];
  }
  return out;
}

std::vector<double> row_subject_min(const std::vector<int>& subject,
                                    const std::vector<int>& term,
                                    const std::vector<double>& value, int n_subjects,
                                    int n_terms, const TermRows& rows) {
  require(subject.size() == term.size() && term.size() == value.size(), "value",
          "subject, term and value vectors must have the same length");
  require(n_subjects >= 0 && n_terms >= 0 && rows.n_rows >= 0, "n",
          "counts must be non-negative");
  check_term_rows(rows, n_terms);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> out(static_cast<size_t>(n_subjects) * rows.n_rows, nan);
  for (size_t i = 0; i < subject.size(); ++i) {
    const int s = subject[i], t = term[i];
    if (s < 0 || s >= n_subjects || t < 0 || t >= n_terms || std::isnan(value[i])) continue;
    for (int j = rows.start[t]; j < rows.start[t + 1]; ++j) {
      double& o = out[static_cast<size_t>(rows.index[j]) * n_subjects + s];
      if (std::isnan(o) || value[i] < o) o = value[i];
    }
  }
  return out;
}

std::vector<double> group_max(const std::vector<int>& group, const std::vector<double>& value,
                              int n_groups) {
  require(group.size() == value.size(), "value", "group and value must have the same length");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> out(static_cast<size_t>(n_groups), nan);
  for (size_t i = 0; i < group.size(); ++i) {
    const int g = group[i];
    if (g < 0 || g >= n_groups || std::isnan(value[i])) continue;
    if (std::isnan(out[g]) || value[i] > out[g]) out[g] = value[i];
  }
  return out;
}

}  // namespace safety
}  // namespace glycotrial
