// An OpenAI chat.completion body: the one-pass SAX reader and the tree decoder must agree
// whenever both read it, the SAX reader must never read what the tree decoder rejects, and the
// tree decoder may only reject with std::invalid_argument (the client turns that into
// InvalidJsonResponseError).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "providers/openai_codec.hpp"
#include "providers/openai_reader.hpp"

using namespace polyrouter;

namespace {

void require_same(const Response& fast, const Response& tree, std::string_view body) {
  const bool same = fast.text == tree.text && fast.tool_calls.size() == tree.tool_calls.size() &&
                    fast.finish_reason == tree.finish_reason && fast.raw_finish_reason == tree.raw_finish_reason &&
                    fast.usage.prompt_tokens == tree.usage.prompt_tokens &&
                    fast.usage.completion_tokens == tree.usage.completion_tokens &&
                    fast.usage.reasoning_tokens == tree.usage.reasoning_tokens &&
                    fast.usage.total_tokens == tree.usage.total_tokens && fast.id == tree.id;
  bool same_calls = same;
  for (std::size_t i = 0; same_calls && i < fast.tool_calls.size(); ++i) {
    const ToolCall& a = fast.tool_calls[i];
    const ToolCall& b = tree.tool_calls[i];
    same_calls = a.id == b.id && a.name == b.name && a.arguments == b.arguments && a.signature == b.signature;
  }
  if (!same || !same_calls) fuzz::fail("the SAX reader and the tree decoder disagree", body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::optional<Response> fast = detail::openai::read_plain_response(body);
  const nlohmann::json tree = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (tree.is_discarded() || !tree.is_object()) {
    if (fast) fuzz::fail("the SAX reader read a body that is no JSON object", body);
    return 0;
  }
  std::optional<Response> decoded;
  try {
    decoded = detail::openai::decode_response(tree);
  } catch (const std::invalid_argument&) {
  } catch (const std::exception& e) {
    fuzz::fail("the tree decoder threw outside std::invalid_argument", e.what());
  }
  if (fast && !decoded) fuzz::fail("the SAX reader read what the tree decoder rejects", body);
  if (fast && decoded) require_same(*fast, *decoded, body);
  // The stream decoder reads chunks of the same shape.
  fuzz::only_typed_errors<std::invalid_argument>([&] {
    detail::openai::StreamDecoder stream;
    stream.add(tree);
    stream.finish();
  });
  return 0;
}
