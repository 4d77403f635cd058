// The direct writer of text-only generateContent bodies (write_plain_request in
// src/providers/gemini_codec.hpp): byte for byte what the tree encoder's dump() gives, and
// nothing for requests only the tree encoder writes.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "providers/gemini_codec.hpp"

using polyrouter::ChatRequest;
using polyrouter::Message;
namespace gemini = polyrouter::detail::gemini;

namespace {

// A distinct name: the unity build puts this file beside the OpenAI writer test.
void require_gemini_written_alike(const ChatRequest& request) {
  const std::optional<std::string> plain = gemini::write_plain_request(request);
  REQUIRE(plain.has_value());
  const std::string tree = gemini::encode_request(request).dump();
  INFO("tree:  " << tree << "\nplain: " << *plain);
  CHECK(*plain == tree);
}

}  // namespace

TEST_CASE("text-only Gemini request bodies are written byte for byte as the tree encoder dumps them",
          "[gemini_writer]") {
  SECTION("one prompt") { require_gemini_written_alike(ChatRequest::from_prompt("What is 2+2?")); }
  SECTION("no messages") { require_gemini_written_alike(ChatRequest{}); }
  SECTION("only a system message") {
    ChatRequest r;
    r.messages = {Message::system("Be brief.")};
    require_gemini_written_alike(r);
  }
  SECTION("conversations: system messages anywhere, empty texts, assistant turns") {
    ChatRequest r;
    r.messages = {Message::system("Be brief."), Message::user("Weather?"), Message::assistant("Where?"),
                  Message::system(""),          Message::user(""),         Message::assistant(""),
                  Message::user("Oslo"),        Message::system("Answer in Norwegian.")};
    require_gemini_written_alike(r);
    r.messages = {Message::assistant("first"), Message::assistant("second"), Message::user("u")};
    require_gemini_written_alike(r);
  }
  SECTION("every generation setting alone, and all together, with awkward numbers") {
    const ChatRequest base = ChatRequest::from_prompt("hi");
    std::vector<ChatRequest> requests(6, base);
    requests[0].temperature = 0.7;
    requests[1].top_p = 1.0;
    requests[2].max_tokens = 2147483647;
    requests[3].seed = -9223372036854775807LL - 1;
    requests[4].stop = {"\n\n", "END", "\"quoted\"", ""};
    requests[5].temperature = 1e-7;
    requests[5].top_p = 123456789.125;
    requests[5].max_tokens = 0;
    requests[5].seed = 0;
    requests[5].stop = {"x"};
    for (const ChatRequest& r : requests) require_gemini_written_alike(r);
    ChatRequest odd = requests[5];
    odd.temperature = std::numeric_limits<double>::quiet_NaN();  // dump() writes null
    odd.top_p = std::numeric_limits<double>::infinity();
    odd.max_tokens = -1;
    odd.messages.insert(odd.messages.begin(), Message::system("sys"));
    require_gemini_written_alike(odd);
  }
  SECTION("text that needs escaping, and non-ASCII text") {
    const std::string awkward = std::string("tab\tquote\" back\\slash \x01\x1f nul") + std::string(1, '\0') +
                                " \xc3\xa9 \xf0\x9f\x98\x80 </script>";
    ChatRequest r;
    r.messages = {Message::system(awkward), Message::user(awkward), Message::assistant(awkward)};
    r.stop = {awkward};
    require_gemini_written_alike(r);
  }
  SECTION("a long prompt") { require_gemini_written_alike(ChatRequest::from_prompt(std::string(100000, 'a'))); }
  SECTION("an extra that is not an object, or an empty one") {
    ChatRequest r = ChatRequest::from_prompt("hi");
    r.extra = nullptr;
    require_gemini_written_alike(r);
    r.extra = nlohmann::json::object();
    require_gemini_written_alike(r);
  }
}

TEST_CASE("Gemini requests with tools, tool turns, parts, formats, extra fields or bad UTF-8 are left to the tree "
          "encoder",
          "[gemini_writer]") {
  ChatRequest tools = ChatRequest::from_prompt("hi");
  tools.tools.push_back({"get_weather", "Weather", {{"type", "object"}}});
  CHECK_FALSE(gemini::write_plain_request(tools));

  ChatRequest choice = ChatRequest::from_prompt("hi");
  choice.tool_choice = polyrouter::ToolChoice::none();
  CHECK_FALSE(gemini::write_plain_request(choice));

  ChatRequest format = ChatRequest::from_prompt("hi");
  format.response_format = polyrouter::ResponseFormat::json_object();
  CHECK_FALSE(gemini::write_plain_request(format));

  ChatRequest extra = ChatRequest::from_prompt("hi");
  extra.extra = {{"safetySettings", nlohmann::json::array()}};
  CHECK_FALSE(gemini::write_plain_request(extra));

  ChatRequest calls;
  Message assistant = Message::assistant("");
  assistant.tool_calls.push_back({"call_1", "get_weather", "{}", ""});
  calls.messages = {Message::user("hi"), assistant};
  CHECK_FALSE(gemini::write_plain_request(calls));

  ChatRequest result;
  result.messages = {Message::user("hi"), Message::tool("call_1", "get_weather", R"({"temp":21})")};
  CHECK_FALSE(gemini::write_plain_request(result));

  ChatRequest image;
  image.messages = {Message::user({polyrouter::ContentPart::text("What is this?"),
                                   polyrouter::ContentPart::image_url("https://example.com/a.png")})};
  CHECK_FALSE(gemini::write_plain_request(image));
  ChatRequest text_parts;  // parts, even text-only ones, are joined or listed by the tree encoder
  text_parts.messages = {Message::system("s"), Message::user("hi")};
  text_parts.messages[0].parts.push_back(polyrouter::ContentPart::text(" more"));
  CHECK_FALSE(gemini::write_plain_request(text_parts));
  text_parts.messages[0].parts.clear();
  require_gemini_written_alike(text_parts);

  const ChatRequest bad_utf8 = ChatRequest::from_prompt("caf\xe9");
  CHECK_FALSE(gemini::write_plain_request(bad_utf8));
  CHECK_THROWS_AS(gemini::encode_request(bad_utf8).dump(), nlohmann::json::type_error);
}
