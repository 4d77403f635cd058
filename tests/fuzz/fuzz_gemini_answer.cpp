// A Gemini GenerateContentResponse: the decoder may only reject with std::invalid_argument
// (the client turns that into InvalidJsonResponseError), and the stream decoder reads the same
// body as an event.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "providers/gemini_codec.hpp"

using namespace polyrouter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const nlohmann::json tree = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (tree.is_discarded() || !tree.is_object()) return 0;
  fuzz::only_typed_errors<std::invalid_argument>([&] { detail::gemini::decode_response(tree); });
  fuzz::only_typed_errors<std::invalid_argument>([&] {
    detail::gemini::StreamDecoder stream;
    stream.add(tree);
    stream.add(tree);
    stream.finish();
  });
  return 0;
}
