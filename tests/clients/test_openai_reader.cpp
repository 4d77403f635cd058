// The streaming reader of plain chat.completion bodies (src/providers/openai_reader.hpp): where it
// answers it must agree field for field with the tree decoder, and it must leave every body the
// tree decoder treats specially (errors, tool calls, odd shapes, truncation) to that decoder.

#include <optional>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "providers/openai_codec.hpp"
#include "providers/openai_reader.hpp"

using polyrouter::Response;
using polyrouter::detail::openai::decode_response;
using polyrouter::detail::openai::read_plain_response;
namespace pt = polyrouter::test;

namespace {

void require_same(const Response& fast, const Response& tree) {
  CHECK(fast.text == tree.text);
  CHECK(fast.tool_calls.size() == tree.tool_calls.size());
  CHECK(fast.finish_reason == tree.finish_reason);
  CHECK(fast.raw_finish_reason == tree.raw_finish_reason);
  CHECK(fast.usage.prompt_tokens == tree.usage.prompt_tokens);
  CHECK(fast.usage.completion_tokens == tree.usage.completion_tokens);
  CHECK(fast.usage.reasoning_tokens == tree.usage.reasoning_tokens);
  CHECK(fast.usage.total_tokens == tree.usage.total_tokens);
  CHECK(fast.id == tree.id);
}

// The body must be read by the fast reader, with the tree decoder's result.
void require_read_alike(const std::string& body) {
  INFO(body);
  const std::optional<Response> fast = read_plain_response(body);
  REQUIRE(fast.has_value());
  require_same(*fast, decode_response(nlohmann::json::parse(body)));
}

}  // namespace

TEST_CASE("the fast reader reads the providers' real success bodies as the tree decoder does", "[openai_reader]") {
  for (const char* name : {"groq_ok.json", "cerebras_ok.json"}) {
    INFO(name);
    const std::string body = pt::load_fixture(name);
    require_read_alike(body);
    const Response r = *read_plain_response(body);
    CHECK_FALSE(r.text.empty());
    CHECK(r.usage.total_tokens > 0);
    CHECK_FALSE(r.id.empty());
  }
}

TEST_CASE("the fast reader agrees with the tree decoder on unusual but valid answers", "[openai_reader]") {
  const char* bodies[] = {
      // content null or of the wrong type: no text
      R"({"choices":[{"message":{"role":"assistant","content":null},"finish_reason":"stop"}]})",
      R"({"choices":[{"message":{"content":42},"finish_reason":7}],"id":12})",
      // no finish reason, no usage, no id
      R"({"choices":[{"message":{"content":"hi"}}]})",
      // usage only under x_groq (older Groq), or usage null next to it
      R"({"x_groq":{"id":"req_1","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}},
          "choices":[{"message":{"content":"a"},"finish_reason":"length"}]})",
      R"({"usage":null,"x_groq":{"usage":{"prompt_tokens":3,"total_tokens":3}},
          "choices":[{"message":{"content":"a"},"finish_reason":"length"}]})",
      // top-level usage wins over x_groq's, wherever each appears
      R"({"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},
          "x_groq":{"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}},
          "choices":[{"message":{"content":"a"}}]})",
      // reasoning tokens, float and huge counts, counts of the wrong type
      R"({"choices":[{"message":{"content":"a"},"finish_reason":"stop"}],
          "usage":{"prompt_tokens":1.9,"completion_tokens":"2","total_tokens":18446744073709551615,
                   "completion_tokens_details":{"reasoning_tokens":5,"accepted_prediction_tokens":0}}})",
      // unknown fields, deep and of every type, before and after the answer
      R"({"system_fingerprint":null,"logprobs":{"content":[{"token":"a","top":[[1,2],{"x":{"y":[]}}]}]},
          "choices":[{"index":0,"logprobs":null,"message":{"role":"assistant","content":"deep",
            "annotations":[{"content":"not this"}],"refusal":null},"finish_reason":"content_filter"}],
          "service_tier":"on_demand","flags":[true,false,null,1.5e3,"s"]})",
      // only the first choice counts; the others may hold anything, tool calls included
      R"({"choices":[{"message":{"content":"first"},"finish_reason":"stop"},
                     {"message":{"content":"second","tool_calls":[{"function":{"name":"f"}}]}},
                     7, null, []]})",
      // tool_calls empty or null, error null
      R"({"error":null,"choices":[{"message":{"content":"x","tool_calls":[]},"finish_reason":"stop"}]})",
      R"({"choices":[{"message":{"content":"x","tool_calls":null},"finish_reason":"tool_calls"}]})",
      // escapes and non-ASCII text
      R"({"choices":[{"message":{"content":"line\nnext \"quoted\" \u00e9\ud83d\ude00 \\ /"}}],"id":"c\u0031"})",
  };
  for (const char* body : bodies) require_read_alike(body);
}

TEST_CASE("the fast reader leaves errors, tool calls and odd shapes to the tree decoder", "[openai_reader]") {
  const char* bodies[] = {
      // error envelopes on a success status (some proxies), of any type
      R"({"error":{"message":"overloaded","type":"server_error"}})",
      R"({"choices":[{"message":{"content":"x"}}],"error":"boom"})",
      R"({"choices":[{"message":{"content":"x"}}],"error":[1]})",
      // tool calls: the tree decoder reads them
      R"({"choices":[{"message":{"content":null,"tool_calls":[{"id":"c","type":"function",
          "function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]})",
      // no usable first choice or message
      R"({"id":"x"})", R"({"choices":{}})", R"({"choices":[]})", R"({"choices":[1]})",
      R"({"choices":[[]]})", R"({"choices":"x"})", R"({"choices":[{"finish_reason":"stop"}]})",
      R"({"choices":[{"message":null}]})", R"({"choices":[{"message":[]}]})",
      R"({"choices":[{"message":"text"}]})",
      // a repeated field: the tree keeps the last one
      R"({"choices":[{"message":{"content":"a","content":"b"}}]})",
      R"({"usage":{"total_tokens":1},"choices":[{"message":{"content":"a"}}],"usage":{"total_tokens":2}})",
      R"({"choices":[{"message":{"content":"a"}}],"choices":[{"message":{"content":"b"}}]})",
      // not an object, not JSON, nothing
      R"([{"choices":[]}])", R"("text")", "null", "", "<html><body>502 Bad Gateway</body></html>",
      R"({"choices":[{"message":{"content":"a"}}]} trailing)",
  };
  for (const char* body : bodies) {
    INFO(body);
    CHECK_FALSE(read_plain_response(body).has_value());
  }
}

TEST_CASE("the fast reader gives up on every truncation of a real answer", "[openai_reader]") {
  const std::string body = pt::load_fixture("groq_ok.json");
  REQUIRE(read_plain_response(body).has_value());
  std::string trimmed = body;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
  for (std::size_t n = 0; n < trimmed.size(); ++n) {
    INFO("first " << n << " bytes");
    REQUIRE_FALSE(read_plain_response(std::string_view(trimmed).substr(0, n)).has_value());
  }
}
