// Standalone Catch runner for the core's C++ unit tests (src/test-*.cpp), so
// that they can be built with AddressSanitizer/UBSan without an instrumented R.
// testthat's <testthat.h> routes Catch's output through R's Rprintf and
// R_FlushConsole; outside R we provide those two symbols here (stdio) and
// write our own main(). src/test-runner.cpp (the R entry point) is not used.
#define CATCH_CONFIG_RUNNER
#include <testthat.h>

#include <cstdarg>
#include <cstdio>

extern "C" void Rprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vprintf(fmt, ap);
  va_end(ap);
}

extern "C" void R_FlushConsole() { std::fflush(stdout); }

int main(int argc, char** argv) {
  Catch::Session session;
  const int rc = session.applyCommandLine(argc, argv);
  if (rc != 0) return rc;
  const int failed = session.run();
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}
