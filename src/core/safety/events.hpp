// Adverse-event counting: subjects and events per term (SOC, PT or any
// grouping) and arm, each subject counted once per term at its worst grade.
// Designed for one pass over millions of records: events are grouped by
// subject (counting sort unless already grouped) and each subject's events
// are scanned with a per-row stamp array, so the cost is
// O(n_events + n_subjects + n_rows * n_arms * n_grades).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace glycotrial {
namespace safety {

struct TermCounts {
  int n_terms = 0, n_arms = 0, n_grades = 0;  // grades 0..n_grades (0 = missing grade)
  std::vector<int> subjects;                  // [term * n_arms + arm]
  std::vector<int> events;                    // [term * n_arms + arm]
  std::vector<int> by_worst_grade;            // [(term * n_arms + arm) * (n_grades + 1) + g]
};

// subject_arm[s]: arm (0-based) of subject s, or -1 when outside the population.
// ev_subject[i] (0-based subject), ev_term[i] (0-based term), ev_grade[i]
// (1..n_grades, or 0 when missing). Events of subjects with arm -1 are skipped.
TermCounts count_terms(const std::vector<int>& subject_arm, int n_arms,
                       const std::vector<int>& ev_subject, const std::vector<int>& ev_term,
                       int n_terms, const std::vector<int>& ev_grade, int n_grades);

// Output rows of each term in compressed form: term t contributes to rows
// index[start[t]] .. index[start[t + 1] - 1] (0-based, < n_rows). A preferred
// term, for example, contributes to the "any event" row, its SOC row and its
// own row, so one pass over the events fills a whole SOC/PT table.
struct TermRows {
  std::vector<int> start;  // size n_terms + 1
  std::vector<int> index;
  int n_rows = 0;
};

// As count_terms(), with each term counted in every row it maps to; the
// result has n_rows rows (TermCounts::n_terms == rows.n_rows). Events are
// processed subject by subject (one counting-sort pass when ev_subject is
// not already grouped), so the cost is O(n_events * rows per term) with only
// O(n_rows) working memory per subject.
TermCounts count_term_rows(const std::vector<int>& subject_arm, int n_arms,
                           const std::vector<int>& ev_subject, const std::vector<int>& ev_term,
                           int n_terms, const std::vector<int>& ev_grade, int n_grades,
                           const TermRows& rows);

// Worst code per (row, subject) over records given as column views (R
// vectors read in place), tallied per (row, arm): subjects with a record,
// records, and subjects by worst code, in the layout of count_terms() with
// n_grades = max_grade + 1 (code 0 = missing grade, g + 1 = grade g). A dense
// row x subject table replaces the sort by subject, so it needs
// n_rows * n_subjects bytes.
//   subject_arm[s]: 1-based arm of subject s (1-based), < 1 outside the population;
//   subj[i]: 1-based subject (< 1 or > n_subjects: record skipped);
//   row[i]: 1-based output row (< 1: record skipped);
//   grade[i]: 0..max_grade, or `na` for a missing grade.
TermCounts worst_grade_cells(const int* subject_arm, int n_subjects, int n_arms,
                             const int* subj, const int* row, const int* grade, size_t n,
                             int n_rows, int max_grade, int na);

// Treatment-emergent flag from study days (day 1 = first dose, no day 0):
// onset >= 1 and onset <= end_day + lag. Missing onset (NaN) counts as
// treatment-emergent when missing_is_teae, otherwise not. Missing end_day
// means no upper limit.
std::vector<int> teae_flag(const std::vector<double>& onset_day,
                           const std::vector<double>& end_day, double lag,
                           bool missing_is_teae);

// Infusion window: for each event (subject, onset day) the number of the most
// recent infusion with inf_day + lower <= onset <= inf_day + upper, or 0 when
// none. Infusions are (subject, day, number); any order.
std::vector<int> infusion_window(const std::vector<int>& ev_subject,
                                 const std::vector<double>& ev_day,
                                 const std::vector<int>& inf_subject,
                                 const std::vector<double>& inf_day,
                                 const std::vector<int>& inf_number, int n_subjects,
                                 double lower, double upper);

// Minimum of value per (group, subject): out[group * n_subjects + subject],
// NaN where there is no record.
std::vector<double> group_subject_min(const std::vector<int>& subject,
                                      const std::vector<int>& group,
                                      const std::vector<double>& value, int n_subjects,
                                      int n_groups);

// As group_subject_min(), with each event counted in every row its term maps
// to (rows as in count_term_rows(): term t -> index[start[t] .. start[t+1]-1]):
// out[row * n_subjects + subject], NaN where there is no record. One pass over
// the events, so an event in several AESI groups is not copied per group.
std::vector<double> row_subject_min(const std::vector<int>& subject,
                                    const std::vector<int>& term,
                                    const std::vector<double>& value, int n_subjects,
                                    int n_terms, const TermRows& rows);

// Maximum of value per group (0..n_groups-1); NaN for empty groups.
// ignore_na: NaN values are skipped.
std::vector<double> group_max(const std::vector<int>& group, const std::vector<double>& value,
                              int n_groups);

}  // namespace safety
}  // namespace glycotrial
