// .env text: parsed, or a ConfigError naming the line; nothing else escapes.

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/dotenv.hpp"
#include "fuzz_support.hpp"

using namespace polyrouter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    detail::parse_dotenv(text, ".env");
  } catch (const ConfigError&) {  // its text is the file's own: no key check here
  } catch (const std::exception& e) {
    fuzz::fail("an exception other than ConfigError", e.what());
  }
  return 0;
}
