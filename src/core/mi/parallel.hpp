// The thread loop of the MI resampling (src/core/mi): plain std::thread, no
// R inside; the work split never changes what an item computes, so results
// do not depend on the number of threads.
#pragma once

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace glycotrial {
namespace mi {

// Runs body(i) for i in [0, n) on up to n_threads threads (static
// interleaved split, so every item is computed the same way whatever the
// number of threads); the first exception is rethrown on the caller's thread.
template <class Body>
void parallel_for(int n, int n_threads, Body body) {
  n_threads = std::max(1, std::min(n_threads, n));
  if (n_threads == 1) {
    for (int i = 0; i < n; ++i) body(i, 0);
    return;
  }
  std::exception_ptr err;
  std::mutex mu;
  std::vector<std::thread> pool;
  for (int t = 0; t < n_threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        for (int i = t; i < n; i += n_threads) {
          {
            std::lock_guard<std::mutex> lock(mu);
            if (err) return;
          }
          body(i, t);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!err) err = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  if (err) std::rethrow_exception(err);
}

}  // namespace mi
}  // namespace glycotrial
