// An Anthropic Message, and the same object as a stream event: the decoder and the stream
// decoder may only reject with std::invalid_argument (the client turns that into
// InvalidJsonResponseError, the stream exchange into a skipped event).

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "providers/anthropic/format.hpp"

using namespace polyrouter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const nlohmann::json tree = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (tree.is_discarded()) return 0;
  if (tree.is_object()) {
    fuzz::only_typed_errors<std::invalid_argument>([&] { detail::anthropic::decode_response(tree); });
  }
  // A list is read as the events of one stream, anything else as one event (twice).
  fuzz::only_typed_errors<std::invalid_argument>([&] {
    detail::anthropic::StreamDecoder stream;
    if (tree.is_array()) {
      for (const auto& event : tree) {
        try {
          stream.add(event);
        } catch (const std::invalid_argument&) {
          // one malformed event is skipped; the stream goes on
        }
      }
    } else {
      stream.add(tree);
      stream.add(tree);
    }
    stream.finish();
  });
  return 0;
}
