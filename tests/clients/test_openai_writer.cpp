// The direct writer of plain chat request bodies (write_plain_request in
// src/providers/openai_codec.hpp): byte for byte what the tree encoder's dump() gives, and
// nothing for requests only the tree encoder writes.

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "providers/openai_codec.hpp"

using polyrouter::ChatRequest;
using polyrouter::Message;
using polyrouter::detail::openai::encode_request;
using polyrouter::detail::openai::write_plain_request;

namespace {

std::string tree_body(const ChatRequest& request, const std::string& model, bool stream) {
  nlohmann::json body = encode_request(request, model);
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body.dump();
}

void require_written_alike(const ChatRequest& request, const std::string& model = "llama-3.3-70b-versatile") {
  for (const bool stream : {false, true}) {
    const std::optional<std::string> plain = write_plain_request(request, model, stream);
    REQUIRE(plain.has_value());
    const std::string tree = tree_body(request, model, stream);
    INFO("stream " << stream << "\ntree:  " << tree << "\nplain: " << *plain);
    CHECK(*plain == tree);
  }
}

}  // namespace

TEST_CASE("plain request bodies are written byte for byte as the tree encoder dumps them", "[openai_writer]") {
  SECTION("one prompt") { require_written_alike(ChatRequest::from_prompt("What is 2+2?")); }
  SECTION("a conversation with every plain role") {
    ChatRequest r;
    r.messages = {Message::system("Be brief."), Message::user("Weather?"), Message::assistant("Where?"),
                  Message::tool("call_1", "get_weather", R"({"temp":21})"), Message::user("")};
    require_written_alike(r);
  }
  SECTION("every optional field, with awkward numbers") {
    ChatRequest r = ChatRequest::from_prompt("hi");
    r.temperature = 0.7;
    r.top_p = 1.0;
    r.max_tokens = 2147483647;
    r.seed = -9223372036854775807LL - 1;
    r.stop = {"\n\n", "END", "\"quoted\"", ""};
    require_written_alike(r);
    r.temperature = 1e-7;
    r.top_p = 123456789.125;
    r.seed = 0;
    r.max_tokens = 0;
    require_written_alike(r);
    r.temperature = std::numeric_limits<double>::quiet_NaN();  // dump() writes null
    r.top_p = std::numeric_limits<double>::infinity();
    require_written_alike(r);
  }
  SECTION("text that needs escaping, and non-ASCII text") {
    require_written_alike(ChatRequest::from_prompt(std::string("tab\tquote\" back\\slash \x01\x1f nul") +
                                                   std::string(1, '\0') + " \xc3\xa9 \xf0\x9f\x98\x80 </script>"));
    require_written_alike(ChatRequest::from_prompt("x"), "model/with \"quotes\"");
  }
  SECTION("a long prompt") { require_written_alike(ChatRequest::from_prompt(std::string(100000, 'a'))); }
  SECTION("no messages, and an extra that is not an object") {
    ChatRequest r;
    r.extra = nullptr;
    require_written_alike(r);
  }
}

TEST_CASE("requests with tools, formats, extra fields or bad UTF-8 are left to the tree encoder", "[openai_writer]") {
  const std::string model = "m";
  ChatRequest tools = ChatRequest::from_prompt("hi");
  tools.tools.push_back({"get_weather", "Weather", {{"type", "object"}}});
  CHECK_FALSE(write_plain_request(tools, model, false));

  ChatRequest choice = ChatRequest::from_prompt("hi");
  choice.tool_choice = polyrouter::ToolChoice::none();
  CHECK_FALSE(write_plain_request(choice, model, false));

  ChatRequest format = ChatRequest::from_prompt("hi");
  format.response_format = polyrouter::ResponseFormat::json_object();
  CHECK_FALSE(write_plain_request(format, model, false));

  ChatRequest extra = ChatRequest::from_prompt("hi");
  extra.extra = {{"reasoning_effort", "low"}};
  CHECK_FALSE(write_plain_request(extra, model, true));

  ChatRequest calls;
  Message assistant = Message::assistant("");
  assistant.tool_calls.push_back({"call_1", "get_weather", "{}", ""});
  calls.messages = {Message::user("hi"), assistant};
  CHECK_FALSE(write_plain_request(calls, model, false));

  ChatRequest image;  // content parts: a list, which the tree encoder writes
  image.messages = {Message::user({polyrouter::ContentPart::text("What is this?"),
                                   polyrouter::ContentPart::image_url("https://example.com/a.png")})};
  CHECK_FALSE(write_plain_request(image, model, false));
  image.messages[0].parts.clear();  // no parts left: a text-only message, written directly again
  image.messages[0].content = "What is this?";
  require_written_alike(image);

  const ChatRequest bad_utf8 = ChatRequest::from_prompt("caf\xe9");
  CHECK_FALSE(write_plain_request(bad_utf8, model, false));
  CHECK_THROWS_AS(encode_request(bad_utf8, model).dump(), nlohmann::json::type_error);
}
