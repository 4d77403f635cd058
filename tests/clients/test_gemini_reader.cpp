// The single-pass reader of generateContent answers (src/providers/gemini_reader.hpp): where it
// answers it must agree field for field with the tree decoder, and it must leave every body the
// tree decoder treats specially (errors, odd shapes, repeated fields, truncation) to that decoder.

#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "providers/gemini_codec.hpp"
#include "providers/gemini_reader.hpp"

using polyrouter::FinishReason;
using polyrouter::detail::gemini::Decoded;
using polyrouter::detail::gemini::read_response;
namespace pt = polyrouter::test;

namespace {

// Names of their own: the unity build puts this file beside the OpenAI reader test.
void gemini_require_same(const Decoded& fast, const Decoded& tree) {
  CHECK(fast.blocked_reason == tree.blocked_reason);
  CHECK(fast.response.text == tree.response.text);
  CHECK(fast.response.finish_reason == tree.response.finish_reason);
  CHECK(fast.response.raw_finish_reason == tree.response.raw_finish_reason);
  CHECK(fast.response.usage.prompt_tokens == tree.response.usage.prompt_tokens);
  CHECK(fast.response.usage.completion_tokens == tree.response.usage.completion_tokens);
  CHECK(fast.response.usage.reasoning_tokens == tree.response.usage.reasoning_tokens);
  CHECK(fast.response.usage.total_tokens == tree.response.usage.total_tokens);
  CHECK(fast.response.id == tree.response.id);
  REQUIRE(fast.response.tool_calls.size() == tree.response.tool_calls.size());
  for (std::size_t i = 0; i < fast.response.tool_calls.size(); ++i) {
    INFO("tool call " << i);
    CHECK(fast.response.tool_calls[i].id == tree.response.tool_calls[i].id);
    CHECK(fast.response.tool_calls[i].name == tree.response.tool_calls[i].name);
    CHECK(fast.response.tool_calls[i].arguments == tree.response.tool_calls[i].arguments);
    CHECK(fast.response.tool_calls[i].signature == tree.response.tool_calls[i].signature);
  }
}

// What the client's tree path makes of @p body: nullopt where it fails (not JSON, not an object,
// an error envelope, or decode_response throws).
std::optional<Decoded> gemini_tree_decode(const std::string& body) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  if (json.contains("error") && !json["error"].is_null()) return std::nullopt;
  try {
    return polyrouter::detail::gemini::decode_response(json);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

// The fast reader reads @p body with the tree decoder's result.
void gemini_require_read_alike(const std::string& body) {
  INFO(body);
  const std::optional<Decoded> tree = gemini_tree_decode(body);
  REQUIRE(tree.has_value());
  const std::optional<Decoded> fast = read_response(body);
  REQUIRE(fast.has_value());
  gemini_require_same(*fast, *tree);
}

// Wherever the fast reader answers, it agrees with the tree decoder; where the tree path fails,
// the fast reader leaves the body to it.
void gemini_require_never_differs(const std::string& body) {
  INFO(body);
  const std::optional<Decoded> fast = read_response(body);
  const std::optional<Decoded> tree = gemini_tree_decode(body);
  if (!tree) {
    CHECK_FALSE(fast.has_value());
  } else if (fast) {
    gemini_require_same(*fast, *tree);
  }
}

std::vector<std::string> gemini_fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(pt::fixture_path(""))) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("gemini_", 0) == 0 && entry.path().extension() == ".json") names.push_back(name);
  }
  return names;
}

}  // namespace

TEST_CASE("the Gemini fast reader agrees with the tree decoder on every Gemini fixture", "[gemini_reader]") {
  const std::vector<std::string> names = gemini_fixture_names();
  REQUIRE(names.size() >= 10);
  for (const std::string& name : names) {
    INFO(name);
    const std::string body = pt::load_fixture(name);
    gemini_require_never_differs(body);
    // Every answer the tree decoder reads is read by the fast reader too.
    if (gemini_tree_decode(body)) gemini_require_read_alike(body);
  }
  for (const char* name : {"gemini_ok.json", "gemini_tool_call.json", "gemini_finish_max_tokens.json",
                           "gemini_finish_safety.json"}) {
    INFO(name);
    REQUIRE(read_response(pt::load_fixture(name)).has_value());
  }
  const Decoded call = *read_response(pt::load_fixture("gemini_tool_call.json"));
  REQUIRE(call.response.tool_calls.size() == 1);
  CHECK(call.response.tool_calls[0].arguments == R"({"location":"San Francisco"})");
  CHECK(call.response.tool_calls[0].id == "call_0");
  CHECK_FALSE(call.response.tool_calls[0].signature.empty());
  CHECK(call.response.finish_reason == FinishReason::tool_calls);
}

TEST_CASE("the Gemini fast reader agrees with the tree decoder on every streamed event", "[gemini_reader]") {
  std::istringstream sse(pt::load_fixture("gemini_stream.sse"));
  std::size_t events = 0;
  for (std::string line; std::getline(sse, line);) {
    if (line.rfind("data: ", 0) != 0) continue;
    ++events;
    gemini_require_never_differs(line.substr(6));
  }
  CHECK(events > 0);
}

TEST_CASE("the Gemini fast reader agrees with the tree decoder on unusual but valid answers", "[gemini_reader]") {
  const char* bodies[] = {
      // several parts: text joined; thought parts dropped wherever "thought" stands; parts that are
      // no object skipped; a thought that is not true is no thought
      R"({"candidates":[{"content":{"parts":[{"text":"a"},{"text":"secret","thought":true},
          {"thought":true,"text":"secret"},7,null,[],"s",{"text":"b","thought":false},{"thought":1,"text":"c"},
          {"thought":"true","text":"d"},{"text":5},{}],"role":"model"},"finishReason":"STOP"}]})",
      // function calls: ids given or numbered, args of any type dumped, absent args "{}", a text
      // and a call in one part, a thought call dropped, a call that is no object ignored
      R"({"candidates":[{"content":{"parts":[
          {"functionCall":{"name":"f","args":{"z":[1,2.50,{"b":true,"a":null}],"a":"\u00e9","a":"last"}}},
          {"functionCall":{"id":"given","name":"g"},"thoughtSignature":"sig"},
          {"text":"and ","functionCall":{"args":null,"name":7,"id":3}},
          {"functionCall":{"name":"t"},"thought":true},
          {"functionCall":"f"},{"functionCall":[{"name":"f"}]},
          {"functionCall":{"name":"h","args":"a string"},"thoughtSignature":5},
          {"functionCall":{"name":"i","args":[1e300,-0.0,18446744073709551615,-9223372036854775808]}},
          {"functionCall":{"name":"j","args":{}}},{"functionCall":{"name":"k","args":false}}]},
          "finishReason":"STOP"}]})",
      // every finish reason, including none and wrong-typed ones
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"MAX_TOKENS"}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"RECITATION"}]})",
      R"({"candidates":[{"finishReason":"SAFETY"}]})", R"({"candidates":[{"finishReason":"IMAGE_SAFETY"}]})",
      R"({"candidates":[{"content":{"parts":[]},"finishReason":"MALFORMED_FUNCTION_CALL"}]})",
      R"({"candidates":[{}]})", R"({"candidates":[{"finishReason":7,"content":null}]})",
      // content or parts of the wrong type read as empty
      R"({"candidates":[{"content":[{"parts":[{"text":"no"}]}],"finishReason":"STOP"}]})",
      R"({"candidates":[{"content":{"parts":{"text":"no"}},"finishReason":"STOP"}]})",
      R"({"candidates":[{"content":"text","finishReason":"STOP"}]})",
      // only the first candidate counts; the others may hold anything
      R"({"candidates":[{"content":{"parts":[{"text":"first"}]}},{"content":{"parts":[{"text":"second"}]}},7,null]})",
      // usage: absent parts, floats, huge and wrong-typed counts, a sum beyond int64, not an object
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"usageMetadata":{"promptTokenCount":1.0,
          "candidatesTokenCount":"2","totalTokenCount":18446744073709551615,"thoughtsTokenCount":2.5,
          "promptTokensDetails":[{"modality":"TEXT","tokenCount":9}]}})",
      R"({"usageMetadata":{"candidatesTokenCount":9223372036854775807,"thoughtsTokenCount":1},
          "candidates":[{"content":{"parts":[{"text":"x"}]}}]})",
      R"({"usageMetadata":{"candidatesTokenCount":-9223372036854775807,"thoughtsTokenCount":-2},
          "candidates":[{"content":{"parts":[{"text":"x"}]}}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"usageMetadata":[1,2]})",
      // responseId of the wrong type; unknown fields everywhere; promptFeedback next to candidates
      R"({"responseId":5,"modelVersion":{"a":[1]},"candidates":[{"index":0,"safetyRatings":[{"blocked":true}],
          "content":{"role":"model","parts":[{"text":"x","extra":{"text":"no"}}]},"citationMetadata":{}}],
          "promptFeedback":{"blockReason":"SAFETY"},"error":null})",
      // a blocked prompt: no candidates (absent, empty, not a list), a reason of any type
      R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT","safetyRatings":[]},
          "usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"responseId":"r1"})",
      R"({"candidates":[],"promptFeedback":{"blockReason":""}})",
      R"({"candidates":{"content":{}},"promptFeedback":{"blockReason":7}})",
      R"({"candidates":"x","promptFeedback":{"blockReason":null}})",
      R"({"promptFeedback":{"blockReason":{"why":"x"}}})",
      // escapes and non-ASCII text
      R"({"candidates":[{"content":{"parts":[{"text":"line\nnext \"q\" \u00e9\ud83d\ude00 \\ /"}]}}],"responseId":"c\u0031"})",
  };
  for (const char* body : bodies) gemini_require_read_alike(body);
}

TEST_CASE("the Gemini fast reader leaves errors and odd shapes to the tree decoder", "[gemini_reader]") {
  const char* bodies[] = {
      // error envelopes on a success status, of any type
      R"({"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"error":"boom"})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"error":[1]})",
      // no candidates and no block; a first candidate that is not an object
      R"({})", R"({"candidates":[]})", R"({"promptFeedback":{}})", R"({"promptFeedback":{"blockReason":"X"}} )"
      R"( trailing)", R"({"candidates":[7]})", R"({"candidates":[null,{}]})", R"({"candidates":[[]]})",
      R"({"promptFeedback":"SAFETY"})",
      // a repeated field: the tree keeps the last one
      R"({"candidates":[{"finishReason":"STOP","finishReason":"MAX_TOKENS"}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"a","text":"b"}]}}]})",
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"a","name":"b"}}]}}]})",
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"a","args":{},"args":[]}}]}}]})",
      R"({"candidates":[{}],"candidates":[{}]})",
      R"({"candidates":[{}],"usageMetadata":{"totalTokenCount":1,"totalTokenCount":2}})",
      R"({"promptFeedback":{"blockReason":"A","blockReason":"B"}})",
      // not an object, not JSON, nothing
      R"([{"candidates":[]}])", R"("text")", "null", "", "<html><body>502 Bad Gateway</body></html>",
  };
  for (const char* body : bodies) {
    INFO(body);
    CHECK_FALSE(read_response(body).has_value());
  }
}

TEST_CASE("the Gemini fast reader gives up on every truncation of a real answer", "[gemini_reader]") {
  for (const char* name : {"gemini_ok.json", "gemini_tool_call.json"}) {
    INFO(name);
    const std::string body = pt::load_fixture(name);
    REQUIRE(read_response(body).has_value());
    std::string trimmed = body;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
    for (std::size_t n = 0; n < trimmed.size(); ++n) {
      INFO("first " << n << " bytes");
      REQUIRE_FALSE(read_response(std::string_view(trimmed).substr(0, n)).has_value());
    }
  }
}
