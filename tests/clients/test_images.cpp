// Images in messages on every wire protocol, over real loopback HTTP: OpenAI image_url parts
// (bytes as data: URLs), Gemini inlineData / fileData, Anthropic image blocks (base64 or url
// source); text-only messages keep their bytes; images where no provider takes them are refused
// before any round trip.

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "polyrouter/polyrouter.hpp"
#include "client_helpers.hpp"
#include "test_server.hpp"

using namespace polyrouter;
using nlohmann::json;
using polyrouter::test::catch_as;
using polyrouter::test::Reply;
using polyrouter::test::TestServer;
namespace pt = polyrouter::test;

namespace {

// Every byte value, so the encoding is checked beyond printable text.
std::string all_bytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

// The test's own decoder, independent of the library's encoder.
std::string decode_base64(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const auto at = alphabet.find(c);
    REQUIRE(at != std::string::npos);
    buffer = (buffer << 6) | static_cast<unsigned>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

const std::string kPhotoUrl = "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg";

ChatRequest image_request(const std::string& bytes) {
  ChatRequest request;
  request.messages.push_back(Message::system("Describe images."));
  Message user = Message::user({ContentPart::text("What are these?"), ContentPart::image_url(kPhotoUrl),
                                ContentPart::image_bytes(bytes, "image/png")});
  request.messages.push_back(user);
  return request;
}

std::shared_ptr<LLMClient> client_for(Provider provider, const std::string& url) {
  PoolConfig pool;
  pool.provider = provider;
  pool.base_url = provider == Provider("openai") ? url + "/v1" : url;
  return make_client(pool);
}

Reply ok_reply_for(Provider provider) {
  if (provider == Provider::gemini) return Reply::fixture("gemini_ok.json");
  if (provider == Provider("anthropic")) return Reply::fixture("anthropic_ok.json");
  return Reply::fixture("groq_ok.json");
}

}  // namespace

TEST_CASE("Images: OpenAI image_url parts, bytes as a data: URL", "[images][openai]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = client_for(Provider("openai"), server.url());
  const std::string bytes = all_bytes();
  const auto check = [&] {
    const json sent = server.last().json();
    CHECK(sent["messages"][0] == json{{"role", "system"}, {"content", "Describe images."}});
    const json& content = sent["messages"][1]["content"];
    REQUIRE(content.size() == 3);
    CHECK(content[0] == json{{"type", "text"}, {"text", "What are these?"}});
    CHECK(content[1] == json{{"type", "image_url"}, {"image_url", {{"url", kPhotoUrl}}}});
    const std::string url = content[2]["image_url"]["url"].get<std::string>();
    const std::string prefix = "data:image/png;base64,";
    REQUIRE(url.rfind(prefix, 0) == 0);
    CHECK(decode_base64(url.substr(prefix.size())) == bytes);
  };
  SECTION("complete") {
    client->complete(image_request(bytes), pt::options_for("gpt-4o-mini", "sk-test", "OPENAI_API_KEY0"));
    check();
  }
  SECTION("stream") {
    server.respond(Reply::text(pt::load_fixture("openai_stream_include_usage.sse"), 200, "text/event-stream"));
    client->stream(image_request(bytes), pt::options_for("gpt-4o-mini", "sk-test", "OPENAI_API_KEY0"),
                   [](std::string_view) { return true; });
    check();
    CHECK(server.last().json()["stream"] == true);
  }
}

TEST_CASE("Images: a text-only request keeps today's exact bytes", "[images][openai]") {
  TestServer server(Reply::fixture("groq_ok.json"));
  auto client = client_for(Provider("openai"), server.url());
  ChatRequest request;
  request.messages = {Message::system("S"), Message::user("U")};
  request.messages[1].parts.clear();  // an empty parts list is a text-only message
  client->complete(request, pt::options_for("gpt-4o-mini", "sk-test", "OPENAI_API_KEY0"));
  CHECK(server.last().body ==
        R"({"messages":[{"content":"S","role":"system"},{"content":"U","role":"user"}],"model":"gpt-4o-mini"})");
  SECTION("and a message with text parts only is a list of text parts") {
    request.messages[1] = Message::user({ContentPart::text("U")});
    client->complete(request, pt::options_for("gpt-4o-mini", "sk-test", "OPENAI_API_KEY0"));
    CHECK(server.last().json()["messages"][1]["content"] == json::parse(R"([{"type":"text","text":"U"}])"));
  }
}

TEST_CASE("Images: Gemini inlineData for bytes and data: URLs, fileData for URLs", "[images][gemini]") {
  TestServer server(Reply::fixture("gemini_ok.json"));
  auto client = client_for(Provider::gemini, server.url());
  const std::string bytes = all_bytes();
  ChatRequest request = image_request(bytes);
  request.messages[1].parts.push_back(ContentPart::image_url("data:image/webp;base64,UklGRg=="));
  request.messages[1].parts.push_back(ContentPart::image_url("https://example.com/scan", "image/jpeg"));
  request.messages[1].parts.push_back(ContentPart::image_url("https://example.com/no-extension"));
  client->complete(request, pt::options_for("gemini-2.5-flash", "AIza-test", "GEMINI_API_KEY0"));
  const json sent = server.last().json();
  CHECK(sent["systemInstruction"] == json::parse(R"({"parts":[{"text":"Describe images."}]})"));
  const json& parts = sent["contents"][0]["parts"];
  REQUIRE(parts.size() == 6);
  CHECK(parts[0] == json{{"text", "What are these?"}});
  CHECK(parts[1] == json{{"fileData", {{"fileUri", kPhotoUrl}, {"mimeType", "image/jpeg"}}}});  // from .jpg
  CHECK(parts[2]["inlineData"]["mimeType"] == "image/png");
  CHECK(decode_base64(parts[2]["inlineData"]["data"].get<std::string>()) == bytes);
  CHECK(parts[3] == json{{"inlineData", {{"mimeType", "image/webp"}, {"data", "UklGRg=="}}}});
  CHECK(parts[4] == json{{"fileData", {{"fileUri", "https://example.com/scan"}, {"mimeType", "image/jpeg"}}}});
  CHECK(parts[5] == json{{"fileData", {{"fileUri", "https://example.com/no-extension"}}}});
}

TEST_CASE("Images: Anthropic image blocks with base64 or url sources", "[images][anthropic]") {
  TestServer server(Reply::fixture("anthropic_ok.json"));
  auto client = client_for(Provider("anthropic"), server.url());
  const std::string bytes = all_bytes();
  ChatRequest request = image_request(bytes);
  request.messages[1].parts.push_back(ContentPart::image_url("data:image/gif;base64,R0lGODlh"));
  client->complete(request, pt::options_for("claude-sonnet-4-6", "sk-ant-test", "ANTHROPIC_API_KEY0"));
  const json sent = server.last().json();
  CHECK(sent["system"] == "Describe images.");
  const json& blocks = sent["messages"][0]["content"];
  REQUIRE(blocks.size() == 4);
  CHECK(blocks[0] == json{{"type", "text"}, {"text", "What are these?"}});
  CHECK(blocks[1] == json{{"type", "image"}, {"source", {{"type", "url"}, {"url", kPhotoUrl}}}});
  CHECK(blocks[2]["source"]["type"] == "base64");
  CHECK(blocks[2]["source"]["media_type"] == "image/png");
  CHECK(decode_base64(blocks[2]["source"]["data"].get<std::string>()) == bytes);
  CHECK(blocks[3] ==
        json::parse(R"({"type":"image","source":{"type":"base64","media_type":"image/gif","data":"R0lGODlh"}})"));
}

TEST_CASE("Images: refused before any round trip where the request cannot carry them", "[images][errors]") {
  const Provider provider = GENERATE(Provider("openai"), Provider::gemini, Provider("anthropic"));
  TestServer server(ok_reply_for(provider));
  auto client = client_for(provider, server.url());
  const CallOptions options = pt::options_for("m", "test-key", "KEY0");
  SECTION("an image in an assistant message") {
    ChatRequest request = pt::hello();
    Message assistant = Message::assistant("Here:");
    assistant.parts.push_back(ContentPart::image_url(kPhotoUrl));
    request.messages.push_back(assistant);
    auto e = catch_as<BadRequestError>([&] { client->complete(request, options); });
    REQUIRE(e);
    CHECK_THAT(e->what(), Catch::Contains("user messages only"));
    CHECK(e->cause() == BadRequestError::Cause::request);
    REQUIRE(e->provider().has_value());
    CHECK(*e->provider() == provider);
  }
  SECTION("image bytes without a media type") {
    ChatRequest request;
    request.messages.push_back(Message::user({ContentPart::image_bytes(std::string("\x89PNG"), "")}));
    auto e =
        catch_as<BadRequestError>([&] { client->stream(request, options, [](std::string_view) { return true; }); });
    REQUIRE(e);
    CHECK_THAT(e->what(), Catch::Contains("media type"));
  }
  CHECK(server.count() == 0);
}

TEST_CASE("Images: Anthropic takes jpeg, png, gif and webp only", "[images][anthropic][errors]") {
  TestServer server(Reply::fixture("anthropic_ok.json"));
  auto client = client_for(Provider("anthropic"), server.url());
  ChatRequest request;
  request.messages.push_back(
      Message::user({ContentPart::image_bytes(std::vector<std::uint8_t>{1, 2, 3}, "image/bmp")}));
  auto e = catch_as<BadRequestError>(
      [&] { client->complete(request, pt::options_for("claude-sonnet-4-6", "sk-ant-test", "ANTHROPIC_API_KEY0")); });
  REQUIRE(e);
  CHECK_THAT(e->what(), Catch::Contains("image/bmp"));
  CHECK(server.count() == 0);
}
