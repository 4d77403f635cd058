// polyrouter.json text: a FileConfig, or a ConfigError naming the file and field; nothing else
// escapes (no JSON library exception, whatever the numbers).

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config_file.hpp"
#include "fuzz_support.hpp"

using namespace polyrouter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const OrchestratorConfig defaults;
  try {
    detail::parse_config(text, "polyrouter.json", defaults);
  } catch (const ConfigError&) {  // its text is the file's own: no key check here
  } catch (const std::exception& e) {
    fuzz::fail("an exception other than ConfigError", e.what());
  }
  return 0;
}
