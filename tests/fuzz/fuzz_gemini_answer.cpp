// A Gemini GenerateContentResponse: the one-pass SAX reader and the tree decoder must agree
// whenever both read it, the SAX reader must never read what the tree path rejects, the decoder
// may only reject with std::invalid_argument (the client turns that into
// InvalidJsonResponseError), and the stream decoder reads the same body as an event.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "providers/gemini_codec.hpp"
#include "providers/gemini_reader.hpp"

using namespace polyrouter;

namespace {

void require_same(const detail::gemini::Decoded& fast, const detail::gemini::Decoded& tree, std::string_view body) {
  const Response& f = fast.response;
  const Response& t = tree.response;
  bool same = fast.blocked_reason == tree.blocked_reason && f.text == t.text &&
              f.tool_calls.size() == t.tool_calls.size() && f.finish_reason == t.finish_reason &&
              f.raw_finish_reason == t.raw_finish_reason && f.usage.prompt_tokens == t.usage.prompt_tokens &&
              f.usage.completion_tokens == t.usage.completion_tokens &&
              f.usage.reasoning_tokens == t.usage.reasoning_tokens && f.usage.total_tokens == t.usage.total_tokens &&
              f.id == t.id;
  for (std::size_t i = 0; same && i < f.tool_calls.size(); ++i) {
    const ToolCall& a = f.tool_calls[i];
    const ToolCall& b = t.tool_calls[i];
    same = a.id == b.id && a.name == b.name && a.arguments == b.arguments && a.signature == b.signature;
  }
  if (!same) fuzz::fail("the SAX reader and the tree decoder disagree", body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::optional<detail::gemini::Decoded> fast = detail::gemini::read_response(body);
  const nlohmann::json tree = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (tree.is_discarded() || !tree.is_object()) {
    if (fast) fuzz::fail("the SAX reader read a body that is no JSON object", body);
    return 0;
  }
  // The client's tree path rejects an error envelope on a success status before decoding.
  const bool error_envelope = tree.contains("error") && !tree["error"].is_null();
  if (fast && error_envelope) fuzz::fail("the SAX reader read an error envelope", body);
  std::optional<detail::gemini::Decoded> decoded;
  try {
    decoded = detail::gemini::decode_response(tree);
  } catch (const std::invalid_argument&) {
  } catch (const std::exception& e) {
    fuzz::fail("the tree decoder threw outside std::invalid_argument", e.what());
  }
  if (fast && !decoded) fuzz::fail("the SAX reader read what the tree decoder rejects", body);
  if (fast && decoded) require_same(*fast, *decoded, body);
  fuzz::only_typed_errors<std::invalid_argument>([&] {
    detail::gemini::StreamDecoder stream;
    stream.add(tree);
    stream.add(tree);
    stream.finish();
  });
  return 0;
}
