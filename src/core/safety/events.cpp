#include "events.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/common/errors.hpp"

namespace glycotrial {
namespace safety {

TermCounts count_terms(const std::vector<int>& subject_arm, int n_arms,
                       const std::vector<int>& ev_subject, const std::vector<int>& ev_term,
                       int n_terms, const std::vector<int>& ev_grade, int n_grades) {
  const size_t n = ev_subject.size();
  require(ev_term.size() == n && ev_grade.size() == n, "events",
          "event subject, term and grade vectors must have the same length");
  require(n_arms >= 0 && n_terms >= 0 && n_grades >= 0, "n", "counts must be non-negative");
  const int n_subj = static_cast<int>(subject_arm.size());
  for (int a : subject_arm)
    require(a >= -1 && a < n_arms, "arm", "arm index out of range");

  TermCounts out;
  out.n_terms = n_terms;
  out.n_arms = n_arms;
  out.n_grades = n_grades;
  const size_t cells = static_cast<size_t>(n_terms) * n_arms;
  out.subjects.assign(cells, 0);
  out.events.assign(cells, 0);
  out.by_worst_grade.assign(cells * (n_grades + 1), 0);

  // Counting sort of event indices by term.
  std::vector<size_t> start(static_cast<size_t>(n_terms) + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const int t = ev_term[i], s = ev_subject[i], g = ev_grade[i];
    require(t >= 0 && t < n_terms, "term", "term index out of range at event " + std::to_string(i + 1));
    require(s >= 0 && s < n_subj, "subject",
            "subject index out of range at event " + std::to_string(i + 1));
    require(g >= 0 && g <= n_grades, "grade",
            "grade out of range at event " + std::to_string(i + 1));
    ++start[static_cast<size_t>(t) + 1];
  }
  for (int t = 0; t < n_terms; ++t) start[t + 1] += start[t];
  std::vector<size_t> order(n), pos(start.begin(), start.end() - 1);
  for (size_t i = 0; i < n; ++i) order[pos[ev_term[i]]++] = i;

  // stamp[s] == t + 1 when subject s has already been seen for term t.
  std::vector<int> stamp(n_subj, 0), worst(n_subj, 0), touched;
  touched.reserve(1024);
  for (int t = 0; t < n_terms; ++t) {
    touched.clear();
    for (size_t k = start[t]; k < start[t + 1]; ++k) {
      const size_t i = order[k];
      const int s = ev_subject[i];
      const int a = subject_arm[s];
      if (a < 0) continue;
      ++out.events[static_cast<size_t>(t) * n_arms + a];
      if (stamp[s] != t + 1) {
        stamp[s] = t + 1;
        worst[s] = ev_grade[i];
        touched.push_back(s);
      } else if (ev_grade[i] > worst[s]) {
        worst[s] = ev_grade[i];
      }
    }
    for (int s : touched) {
      const size_t cell = static_cast<size_t>(t) * n_arms + subject_arm[s];
      ++out.subjects[cell];
      ++out.by_worst_grade[cell * (n_grades + 1) + worst[s]];
    }
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
