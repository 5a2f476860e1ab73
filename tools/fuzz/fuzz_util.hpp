// Shared by the libFuzzer harnesses (tools/fuzz/fuzz_*.cpp). A harness feeds
// arbitrary bytes to a core entry point that consumes external data. The core
// may return or throw a glycotrial::Error (the glue maps it to a classed R
// condition); anything else - another exception type, which would reach R as
// an unclassed error, or a broken invariant - aborts so libFuzzer records it.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>

#include "core/common/errors.hpp"

namespace fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "FUZZ DEFECT: %s\n", what);
  std::abort();
}

template <class F>
bool classed_or_ok(F&& f) {
  try {
    f();
    return true;
  } catch (const glycotrial::Error&) {
    return false;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FUZZ DEFECT: unclassed exception: %s\n", e.what());
    std::abort();
  }
}

// A double that is often a small whole number (the interesting region for
// counts) and sometimes anything at all, NaN and infinities included.
inline double count_like(FuzzedDataProvider& p) {
  switch (p.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: return p.ConsumeFloatingPoint<double>();
    case 1: return std::numeric_limits<double>::quiet_NaN();
    case 2: return p.ConsumeBool() ? std::numeric_limits<double>::infinity()
                                   : -std::numeric_limits<double>::infinity();
    case 3: return static_cast<double>(p.ConsumeIntegral<int64_t>());
    case 4: return p.ConsumeFloatingPointInRange<double>(-2.0, 2.0);
    default: return static_cast<double>(p.ConsumeIntegralInRange<int>(0, 60));
  }
}

inline double any_double(FuzzedDataProvider& p) {
  switch (p.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return std::numeric_limits<double>::quiet_NaN();
    case 1: return p.ConsumeBool() ? std::numeric_limits<double>::infinity()
                                   : -std::numeric_limits<double>::infinity();
    case 2: return p.ConsumeFloatingPoint<double>();
    default: return p.ConsumeFloatingPointInRange<double>(-10.0, 10.0);
  }
}

}  // namespace fuzz
