// Standalone Catch runner for the core's C++ unit tests (src/test-*.cpp), so
// that they can be built with AddressSanitizer/UBSan without an instrumented R.
// testthat's <testthat.h> routes Catch's output through R's Rprintf and
// R_FlushConsole; outside R we provide those two symbols here (stdio) and
// write our own main(). src/test-runner.cpp (the R entry point) is not used.
#define CATCH_CONFIG_RUNNER
#include <testthat.h>

#include <cstdarg>
#include <cstdio>

#include "core/common/plugin_registry.hpp"
#if __has_include("core/indices/builtin.hpp")
#include "core/indices/builtin.hpp"
#define SANITIZE_HAVE_INDICES 1
#endif

extern "C" void Rprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vprintf(fmt, ap);
  va_end(ap);
}

extern "C" void R_FlushConsole() { std::fflush(stdout); }

// What the glue's [[Rcpp::init]] functions do when R loads the package: the
// unit tests assume the built-in plugins are registered. Guarded with
// __has_include so that the runner builds whichever areas are present.
static void register_builtins_like_the_glue() {
#ifdef SANITIZE_HAVE_INDICES
  std::size_t n = 0;
  const glycotrial_index_v1* p = glycotrial::indices::builtin_plugins(&n);
  for (std::size_t k = 0; k < n; ++k) {
    char err[512] = {0};
    if (glycotrial_register_index_v1(&p[k], "glycotrial", 1, err, sizeof(err)) != 0)
      std::printf("sanitize: built-in index '%s' failed to register: %s\n", p[k].key, err);
  }
#endif
}

int main(int argc, char** argv) {
  register_builtins_like_the_glue();
  Catch::Session session;
  const int rc = session.applyCommandLine(argc, argv);
  if (rc != 0) return rc;
  const int failed = session.run();
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}
