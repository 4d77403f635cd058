// Hostile answers through both client families: broken JSON, cut bodies, endless bodies, silent
// servers and refused connections. Each must end in its typed error, promptly, without the key.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "polyrouter/polyrouter.hpp"
#include "client_helpers.hpp"
#include "test_server.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;
using nlohmann::json;
using polyrouter::test::catch_as;
using polyrouter::test::Reply;
using polyrouter::test::TestServer;
namespace pt = polyrouter::test;
using pt::hello;
using pt::options_for;
using pt::starts_with;
using pt::str;

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t k50MB = 50 * kMiB;

// One client family under test: how to build it, what to call it with, and a valid answer.
struct Family {
  const char* name;
  std::function<std::unique_ptr<LLMClient>(const std::string& url, HttpOptions http)> make;
  CallOptions options;
  const char* ok_fixture;
  json wrong_shape;  ///< valid JSON object, but not an answer of this protocol
};

std::vector<Family> families() {
  return {
      {"groq",
       [](const std::string& url, HttpOptions http) {
         return std::make_unique<OpenAICompatibleClient>(OpenAICompatibleClient::groq(url, std::move(http)));
       },
       options_for("openai/gpt-oss-120b", pt::fake_key("gsk_", 48, 301), "GROQ_API_KEY0"), "groq_ok.json",
       json{{"id", "chatcmpl-1"}, {"object", "chat.completion"}, {"usage", {{"total_tokens", 3}}}}},
      {"gemini",
       [](const std::string& url, HttpOptions http) { return std::make_unique<GeminiClient>(url, std::move(http)); },
       options_for("gemini-2.5-flash", pt::fake_key("AIza", 35, 302), "GEMINI_API_KEY0"), "gemini_ok.json",
       json{{"usageMetadata", {{"promptTokenCount", 1}}}, {"modelVersion", "gemini-2.5-flash"}}},
  };
}

void check_transport_error(const Error& e, ErrorKind kind, TransportFailure failure, const CallOptions& o) {
  INFO("what(): " << e.what());
  CHECK(str(tag(e.kind())) == str(tag(kind)));
  CHECK(str(to_string(e.context().transport)) == str(to_string(failure)));
  CHECK(std::string(e.what()).rfind("[" + str(tag(kind)) + "]", 0) == 0);
  CHECK(std::string(e.what()).find("transport=" + str(to_string(failure))) != std::string::npos);
  CHECK(e.model() == o.model);
  CHECK(e.key_label() == o.key_label);
  CHECK(e.body_excerpt().empty());
  CHECK_FALSE(pt::leaks_key(e.what(), o.api_key));
  CHECK_FALSE(pt::leaks_key(e.detail(), o.api_key));
}

void check_invalid_json(const Error& e, const CallOptions& o) {
  INFO("what(): " << e.what());
  CHECK(str(tag(e.kind())) == "polyrouter.invalid_json_response");
  CHECK(std::string(e.what()).rfind("[polyrouter.invalid_json_response]", 0) == 0);
  CHECK(e.http_status() == 200);
  CHECK(str(to_string(e.context().transport)) == "none");
  CHECK(e.model() == o.model);
  CHECK(e.key_label() == o.key_label);
  CHECK_FALSE(pt::leaks_key(e.what(), o.api_key));
  CHECK_FALSE(pt::leaks_key(e.body_excerpt(), o.api_key));
  CHECK_FALSE(pt::leaks_key(e.detail(), o.api_key));
}

}  // namespace

TEST_CASE("Malformed JSON on 200 is InvalidJsonResponseError", "[transport][groq][gemini]") {
  for (const Family& f : families()) {
    DYNAMIC_SECTION(f.name) {
      TestServer server(Reply::text(R"({"id": "chatcmpl-1", "choices": [{"index": 0, "message": {"content": "Hel)",
                                    200, "application/json"));
      auto client = f.make(server.url(), {});
      REQUIRE_THROWS_AS(client->complete(ChatRequest::from_prompt("Hi"), f.options), InvalidJsonResponseError);
      auto e = catch_as<InvalidJsonResponseError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_invalid_json(*e, f.options);
      CHECK(e->body_excerpt().find("chatcmpl-1") != std::string::npos);
    }
  }
}

TEST_CASE("Empty body on 200 is InvalidJsonResponseError", "[transport][groq][gemini]") {
  for (const Family& f : families()) {
    DYNAMIC_SECTION(f.name) {
      TestServer server(Reply::text("", 200, "application/json"));
      auto client = f.make(server.url(), {});
      auto e = catch_as<InvalidJsonResponseError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_invalid_json(*e, f.options);
      CHECK(e->body_excerpt().empty());
    }
  }
}

TEST_CASE("An HTML page on 200 is InvalidJsonResponseError", "[transport][groq][gemini]") {
  for (const Family& f : families()) {
    DYNAMIC_SECTION(f.name) {
      TestServer server(Reply::text("<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
                                    "<body>Checking your browser</body></html>",
                                    200, "text/html; charset=UTF-8"));
      auto client = f.make(server.url(), {});
      auto e = catch_as<InvalidJsonResponseError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_invalid_json(*e, f.options);
      CHECK(e->body_excerpt().find("Just a moment") != std::string::npos);
    }
  }
}

TEST_CASE("Valid JSON of the wrong shape on 200 is InvalidJsonResponseError", "[transport][groq][gemini]") {
  for (const Family& f : families()) {
    DYNAMIC_SECTION(f.name << ": no choices or candidates") {
      TestServer server(Reply::json(f.wrong_shape));
      auto client = f.make(server.url(), {});
      auto e = catch_as<InvalidJsonResponseError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_invalid_json(*e, f.options);
    }
    DYNAMIC_SECTION(f.name << ": a JSON array") {
      TestServer server(Reply::json(json::array({1, 2})));
      auto client = f.make(server.url(), {});
      auto e = catch_as<InvalidJsonResponseError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_invalid_json(*e, f.options);
    }
  }
}

TEST_CASE("OpenAI-compatible answers of the wrong shape", "[transport][groq]") {
  const std::vector<std::pair<const char*, json>> bodies{
      {"empty choices", {{"id", "x"}, {"choices", json::array()}}},
      {"choices not a list", {{"id", "x"}, {"choices", "none"}}},
      {"choice without message", {{"id", "x"}, {"choices", json::array({{{"index", 0}, {"finish_reason", "stop"}}})}}},
      {"tool call without function",
       {{"id", "x"},
        {"choices", json::array({{{"index", 0},
                                  {"message", {{"role", "assistant"}, {"tool_calls", json::array({{{"id", "c"}}})}}},
                                  {"finish_reason", "tool_calls"}}})}}},
  };
  const Family f = families()[0];
  for (const auto& [name, body] : bodies) {
    DYNAMIC_SECTION(name) {
      TestServer server(Reply::json(body));
      auto client = f.make(server.url(), {});
      auto e = catch_as<InvalidJsonResponseError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_invalid_json(*e, f.options);
    }
  }
}

TEST_CASE("Gemini answers of the wrong shape", "[transport][gemini]") {
  const std::vector<std::pair<const char*, json>> bodies{
      {"empty candidates", {{"candidates", json::array()}}},
      {"candidate not an object", {{"candidates", json::array({"text"})}}},
  };
  const Family f = families()[1];
  for (const auto& [name, body] : bodies) {
    DYNAMIC_SECTION(name) {
      TestServer server(Reply::json(body));
      auto client = f.make(server.url(), {});
      auto e = catch_as<InvalidJsonResponseError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_invalid_json(*e, f.options);
    }
  }
}

TEST_CASE("A body cut short of its Content-Length is ProviderUnavailableError transport receive",
          "[transport][groq][gemini]") {
  for (const Family& f : families()) {
    DYNAMIC_SECTION(f.name) {
      TestServer server(Reply::truncated(pt::load_fixture(f.ok_fixture).substr(0, 120), 4000));
      auto client = f.make(server.url(), {});
      REQUIRE_THROWS_AS(client->complete(ChatRequest::from_prompt("Hi"), f.options), ProviderUnavailableError);
      auto e = catch_as<ProviderUnavailableError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_transport_error(*e, ErrorKind::provider_unavailable, TransportFailure::receive, f.options);
    }
  }
}

TEST_CASE("A 50 MB body stops at the configured cap: transport too_large", "[transport][groq][gemini]") {
  HttpOptions http;
  http.max_response_bytes = kMiB;
  for (const Family& f : families()) {
    DYNAMIC_SECTION(f.name << " with Content-Length") {
      TestServer server(Reply::huge(k50MB, /*chunked=*/false));
      auto client = f.make(server.url(), http);
      auto e = catch_as<ProviderUnavailableError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_transport_error(*e, ErrorKind::provider_unavailable, TransportFailure::too_large, f.options);
    }
    DYNAMIC_SECTION(f.name << " chunked") {
      TestServer server(Reply::huge(k50MB, /*chunked=*/true));
      auto client = f.make(server.url(), http);
      auto e = catch_as<ProviderUnavailableError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_transport_error(*e, ErrorKind::provider_unavailable, TransportFailure::too_large, f.options);
    }
  }
}

TEST_CASE("A 50 MB chunked body stops at the default 8 MiB cap", "[transport][groq]") {
  CHECK(HttpOptions{}.max_response_bytes == 8 * kMiB);
  const Family f = families()[0];
  TestServer server(Reply::huge(k50MB, /*chunked=*/true));
  auto client = f.make(server.url(), {});
  auto e = catch_as<ProviderUnavailableError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
  REQUIRE(e);
  check_transport_error(*e, ErrorKind::provider_unavailable, TransportFailure::too_large, f.options);
}

TEST_CASE("The size cap is inclusive: a body of exactly the cap is accepted", "[transport][groq]") {
  const Family f = families()[0];
  const std::string body = pt::load_fixture(f.ok_fixture);
  TestServer server(Reply::text(body, 200, "application/json"));
  HttpOptions http;
  SECTION("exactly the cap") {
    http.max_response_bytes = body.size();
    auto client = f.make(server.url(), http);
    CHECK(client->complete(ChatRequest::from_prompt("Hi"), f.options).id ==
          "chatcmpl-09d64d2a-ed1c-4473-829f-78db43f45d13");
  }
  SECTION("one byte over") {
    http.max_response_bytes = body.size() - 1;
    auto client = f.make(server.url(), http);
    auto e = catch_as<ProviderUnavailableError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
    REQUIRE(e);
    check_transport_error(*e, ErrorKind::provider_unavailable, TransportFailure::too_large, f.options);
  }
}

TEST_CASE("A server that never answers is TimeoutError transport timeout", "[transport][groq][gemini]") {
  for (const Family& f : families()) {
    DYNAMIC_SECTION(f.name) {
      TestServer server(Reply::never());
      auto client = f.make(server.url(), {});
      CallOptions o = f.options;
      o.timeout = 300ms;
      REQUIRE_THROWS_AS(client->complete(ChatRequest::from_prompt("Hi"), o), TimeoutError);
      auto e = catch_as<TimeoutError>([&] { client->complete(ChatRequest::from_prompt("Hi"), o); });
      REQUIRE(e);
      check_transport_error(*e, ErrorKind::timeout, TransportFailure::timeout, o);
      CHECK(e->http_status() == 0);
      CHECK(std::string(e->what()).rfind("[polyrouter.timeout]", 0) == 0);
      // TimeoutError is a ProviderUnavailableError: callers treating that as transient catch both.
      CHECK_THROWS_AS(client->complete(ChatRequest::from_prompt("Hi"), o), ProviderUnavailableError);
      CHECK(server.count() == 3);
    }
  }
}

TEST_CASE("A slow answer within the timeout succeeds", "[transport][groq]") {
  const Family f = families()[0];
  TestServer server(Reply::fixture(f.ok_fixture).after(150ms));
  auto client = f.make(server.url(), {});
  CallOptions o = f.options;
  o.timeout = 5s;
  CHECK(client->complete(ChatRequest::from_prompt("Hi"), o).id == "chatcmpl-09d64d2a-ed1c-4473-829f-78db43f45d13");
}

TEST_CASE("A refused connection is ProviderUnavailableError transport connect", "[transport][groq][gemini]") {
  const std::string url = "http://127.0.0.1:" + std::to_string(pt::unused_loopback_port());
  for (const Family& f : families()) {
    DYNAMIC_SECTION(f.name) {
      auto client = f.make(url, {});
      auto e = catch_as<ProviderUnavailableError>([&] { client->complete(ChatRequest::from_prompt("Hi"), f.options); });
      REQUIRE(e);
      check_transport_error(*e, ErrorKind::provider_unavailable, TransportFailure::connect, f.options);
      CHECK(e->http_status() == 0);
    }
  }
}

TEST_CASE("list_models meets the same transport failures", "[transport][groq][gemini][models]") {
  for (const Family& f : families()) {
    DYNAMIC_SECTION(f.name << " refused") {
      auto client = f.make("http://127.0.0.1:" + std::to_string(pt::unused_loopback_port()), {});
      auto e = catch_as<ProviderUnavailableError>([&] { client->list_models(f.options); });
      REQUIRE(e);
      check_transport_error(*e, ErrorKind::provider_unavailable, TransportFailure::connect, f.options);
    }
    DYNAMIC_SECTION(f.name << " timeout") {
      TestServer server(Reply::never());
      auto client = f.make(server.url(), {});
      CallOptions o = f.options;
      o.timeout = 300ms;
      REQUIRE_THROWS_AS(client->list_models(o), TimeoutError);
    }
    DYNAMIC_SECTION(f.name << " malformed") {
      TestServer server(Reply::text("{\"data\": [", 200, "application/json"));
      auto client = f.make(server.url(), {});
      REQUIRE_THROWS_AS(client->list_models(f.options), InvalidJsonResponseError);
    }
  }
}
