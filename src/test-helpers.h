// Look-ups and checks the C++ unit tests (src/test-*.cpp) share.
#pragma once

#include <cstddef>
#include <string>

#include "core/common/errors.hpp"
#include "core/covariance/covariance.hpp"
#include "core/indices/builtin.hpp"

namespace test_helpers {

// The built-in covariance / index plugin of `key`, or nullptr.
inline const glycotrial_covariance_v1* builtin_covariance(const std::string& key) {
  for (const auto& p : glycotrial::mmrm::builtin_covariances())
    if (key == p.key) return &p;
  return nullptr;
}
inline const glycotrial_index_v1* builtin_index(const std::string& key) {
  std::size_t n = 0;
  const glycotrial_index_v1* p = glycotrial::indices::builtin_plugins(&n);
  for (std::size_t k = 0; k < n; ++k)
    if (key == p[k].key) return &p[k];
  return nullptr;
}

// True when f() throws glycotrial::InputError.
template <typename F>
bool throws_input_error(F f) {
  try {
    f();
  } catch (const glycotrial::InputError&) {
    return true;
  }
  return false;
}

}  // namespace test_helpers
