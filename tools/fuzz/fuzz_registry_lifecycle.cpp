// libFuzzer harness for the plugin registry's lifecycle (register, overwrite,
// override a built-in, unregister, unload and reload the owning library):
// the bytes are a sequence of operations on the model in
// tools/sanitize/registry_lifecycle_model.hpp, which aborts on a call into an
// unloaded library, a listed entry of one, a built-in replaced without the
// opt-in, or an unclassed exception.
#include <cstddef>
#include <cstdint>

#include "../sanitize/registry_lifecycle_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lifecycle::run(data, size);
  return 0;
}
