// The streaming reader of plain chat.completion bodies (src/providers/openai_reader.hpp): where it
// answers it must agree field for field with the tree decoder, and it must leave every body the
// tree decoder treats specially (errors, malformed tool calls, odd shapes, truncation) to that
// decoder.

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
  REQUIRE(fast.tool_calls.size() == tree.tool_calls.size());
  for (std::size_t i = 0; i < fast.tool_calls.size(); ++i) {
    INFO("tool call " << i);
    CHECK(fast.tool_calls[i].id == tree.tool_calls[i].id);
    CHECK(fast.tool_calls[i].name == tree.tool_calls[i].name);
    CHECK(fast.tool_calls[i].arguments == tree.tool_calls[i].arguments);
    CHECK(fast.tool_calls[i].signature == tree.tool_calls[i].signature);
  }
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

TEST_CASE("the fast reader reads the providers' real tool-call answers as the tree decoder does",
          "[openai_reader][tools]") {
  for (const char* name : {"groq_tool_call.json", "openai_tool_call.json"}) {
    INFO(name);
    const std::string body = pt::load_fixture(name);
    require_read_alike(body);
    const Response r = *read_plain_response(body);
    REQUIRE(r.tool_calls.size() >= 1);
    CHECK_FALSE(r.tool_calls[0].id.empty());
    CHECK_FALSE(r.tool_calls[0].name.empty());
    CHECK(r.tool_calls[0].arguments.front() == '{');
    CHECK(r.finish_reason == polyrouter::FinishReason::tool_calls);
  }
  // The arguments are the text as sent, byte for byte, not a re-serialization.
  const Response r = *read_plain_response(pt::load_fixture("openai_tool_call.json"));
  CHECK(r.tool_calls[0].arguments == R"({"city":"Paris"})");
}

TEST_CASE("the fast reader reads tool calls of every shape the tree decoder accepts", "[openai_reader][tools]") {
  const char* bodies[] = {
      // several calls; arguments text kept verbatim, spaces and escapes included
      R"({"choices":[{"message":{"content":null,"tool_calls":[
          {"id":"a","type":"function","function":{"name":"f","arguments":"{ \"x\" : 1 }"}},
          {"id":"b","type":"function","function":{"name":"g","arguments":""}}]},"finish_reason":"tool_calls"}]})",
      // fields in any order; type after function; no type at all; a type that is not a string
      R"({"choices":[{"message":{"tool_calls":[{"function":{"arguments":"{}","name":"f"},"type":"function","id":"a"},
          {"function":{"name":"g"},"id":"b"},{"type":7,"function":{"name":"h"}},{"type":null,"function":{}}]}}]})",
      // an unknown kind of call is skipped, whatever it holds, before or after the function calls
      R"({"choices":[{"message":{"content":"t","tool_calls":[
          {"id":"c1","type":"custom","custom":{"name":"grep","input":"needle"}},
          {"id":"c2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},
          {"type":"custom","function":"not an object"},{"function":[1],"type":"web_search"}]},
          "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})",
      // arguments absent or null: "{}"; arguments sent as a JSON value: its dump()
      R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":null}},
          {"function":{"name":"g","arguments":{"z":[1,2.50,{"b":true,"a":null}],"a":"é","a":"last"}}},
          {"function":{"name":"h","arguments":[]}},{"function":{"name":"i","arguments":1e300}},
          {"function":{"name":"j","arguments":-0.0}},{"function":{"name":"k","arguments":18446744073709551615}},
          {"function":{"name":"l","arguments":false}},{"function":{"name":"m","arguments":{}}}]}}]})",
      // id, name of the wrong type read as empty; unknown fields at every level skipped
      R"({"choices":[{"message":{"tool_calls":[{"id":5,"index":0,"extra":{"function":{"name":"no"}},
          "function":{"name":{"n":1},"strict":true,"arguments":"{}","more":[{"name":"no"}]}}]}}]})",
      // the same field names in separate calls are no repetition
      R"({"choices":[{"message":{"tool_calls":[{"id":"a","function":{"name":"f"}},{"id":"b","function":{"name":"g"}}]}}]})",
      // tool_calls that is not a list is ignored
      R"({"choices":[{"message":{"content":"x","tool_calls":{"id":"a","function":{"name":"f"}}}}]})",
      R"({"choices":[{"message":{"content":"x","tool_calls":"f"}}]})",
  };
  for (const char* body : bodies) require_read_alike(body);
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
      // malformed tool calls: the tree decoder names them
      R"({"choices":[{"message":{"tool_calls":[1]}}]})", R"({"choices":[{"message":{"tool_calls":[null]}}]})",
      R"({"choices":[{"message":{"tool_calls":[[]]}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"id":"c","type":"function"}]}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"id":"c","function":"f"}]}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"function":null}]}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"function":[{"name":"f"}]}]}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"f"}},{"type":"function"}]}}]})",
      // a repeated field inside a call
      R"({"choices":[{"message":{"tool_calls":[{"id":"a","id":"b","function":{"name":"f"}}]}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"f","name":"g"}}]}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":"{}","arguments":{}}}]}}]})",
      R"({"choices":[{"message":{"tool_calls":[{"type":"custom","type":"function","function":{}}]}}]})",
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
  for (const char* name : {"groq_ok.json", "openai_tool_call.json"}) {
    INFO(name);
    const std::string body = pt::load_fixture(name);
    REQUIRE(read_plain_response(body).has_value());
    std::string trimmed = body;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
    for (std::size_t n = 0; n < trimmed.size(); ++n) {
      INFO("first " << n << " bytes");
      REQUIRE_FALSE(read_plain_response(std::string_view(trimmed).substr(0, n)).has_value());
    }
  }
}
