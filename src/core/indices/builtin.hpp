// The built-in index plugins: each one a glycotrial_index_v1 struct whose
// callback evaluates a formula from formulas.hpp. The glue registers them
// through glycotrial_register_index_v1(), the same C entry point other
// packages use.
//
// Two shapes of plugin share the ABI:
//  - row plugins: input j of row i is one value (e.g. fasting glucose);
//  - curve plugins: inputs[0] is a curve id and inputs[1] the time (min) of a
//    long table sorted by id then time; the remaining inputs are the measured
//    values at that time (NaN when not measured) or per-curve covariates
//    (repeated on every row). Every row receives its curve's result.
#pragma once

#include <cstddef>

#include "glycotrial/plugin_api.h"

namespace glycotrial {
namespace indices {

// Pointer to the first of `*n` built-in plugin structs (static storage).
const glycotrial_index_v1* builtin_plugins(std::size_t* n);

}  // namespace indices
}  // namespace glycotrial
