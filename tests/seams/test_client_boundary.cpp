// The orchestrator reaches providers only through LLMClient: a subclass of a built-in client
// that overrides complete() or stream() is called on every path, asynchronous ones included;
// a custom client's own provider name shows in attempts and answers.

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

using namespace polyrouter;
using namespace std::chrono_literals;

namespace {

// Counts and tags every call it makes through the built-in implementation.
template <typename Base>
class Tagging : public Base {
 public:
  using Base::Base;
  explicit Tagging(Base base) : Base(std::move(base)) {}

  Response complete(const ChatRequest& request, const CallOptions& options) override {
    ++completes;
    Response r = Base::complete(request, options);
    r.text += " [tagged]";
    return r;
  }
  Response stream(const ChatRequest& request, const CallOptions& options, const DeltaCallback& on_delta) override {
    ++streams;
    Response r = Base::stream(request, options, on_delta);
    r.text += " [tagged]";
    return r;
  }
  std::atomic<int> completes{0};
  std::atomic<int> streams{0};
};

template <typename Client>
void check_every_path(std::shared_ptr<Client> client, Provider provider, const std::string& model,
                      const sim::Simulator& sim) {
  OrchestratorConfig config;
  PoolConfig pool(provider, {model}, {"k-0"});
  pool.client = client;
  config.pools = {pool};
  Orchestrator orchestrator(config);
  const auto deltas = [](std::string& into) {
    return [&into](std::string_view d) {
      into.append(d);
      return true;
    };
  };

  SECTION("request") {
    CHECK_THAT(orchestrator.request("hi").text, Catch::EndsWith(" [tagged]"));
    CHECK(client->completes == 1);
  }
  SECTION("stream") {
    std::string got;
    CHECK_THAT(orchestrator.stream("hi", deltas(got)).text, Catch::EndsWith(" [tagged]"));
    CHECK_FALSE(got.empty());
    CHECK(client->streams == 1);
  }
  SECTION("request_async") {
    CHECK_THAT(orchestrator.request_async("hi").get().text, Catch::EndsWith(" [tagged]"));
    CHECK(client->completes == 1);
  }
  SECTION("stream_async") {
    std::string got;
    CHECK_THAT(orchestrator.stream_async(ChatRequest::from_prompt("hi"), deltas(got)).get().text,
               Catch::EndsWith(" [tagged]"));
    CHECK_FALSE(got.empty());
    CHECK(client->streams == 1);
  }
  CHECK(sim.hits() == 1);  // the override called the built-in implementation once
}

}  // namespace

TEST_CASE("a subclass of OpenAICompatibleClient is called by request, stream and both async forms", "[seams]") {
  sim::Simulator sim;
  auto client = std::make_shared<Tagging<OpenAICompatibleClient>>(OpenAICompatibleClient::groq(sim.url()));
  check_every_path(client, Provider::groq, "openai/gpt-oss-120b", sim);
}

TEST_CASE("a subclass of GeminiClient is called by request, stream and both async forms", "[seams]") {
  sim::Simulator sim;
  auto client = std::make_shared<Tagging<GeminiClient>>(GeminiClient(sim.url()));
  check_every_path(client, Provider::gemini, "gemini-2.5-flash", sim);
}

TEST_CASE("an unmodified built-in client streams asynchronously on the event loop thread", "[seams]") {
  sim::Simulator sim;
  OrchestratorConfig config;
  PoolConfig pool(Provider::groq, {"openai/gpt-oss-120b"}, {"k-0"});
  pool.client = std::make_shared<OpenAICompatibleClient>(OpenAICompatibleClient::groq(sim.url()));
  config.pools = {pool};
  Orchestrator orchestrator(config);
  std::thread::id first, second;
  orchestrator.stream_async(ChatRequest::from_prompt("a"), [&](std::string_view) {
    first = std::this_thread::get_id();
    return true;
  }).get();
  orchestrator.stream_async(ChatRequest::from_prompt("b"), [&](std::string_view) {
    second = std::this_thread::get_id();
    return true;
  }).get();
  CHECK(first == second);  // one loop thread carries every transfer
  CHECK(first != std::this_thread::get_id());
}

namespace {

// A provider polyrouter does not know, answering in-process.
class EchoClient : public LLMClient {
 public:
  Provider provider() const noexcept override { return Provider("echo-llm"); }
  Response complete(const ChatRequest& request, const CallOptions& options) override {
    if (options.api_key == "bad") {
      ErrorContext context;
      context.provider = provider();
      context.key_label = options.key_label;
      throw InvalidApiKeyError("rejected", context);
    }
    Response r;
    r.text = request.messages.back().content;
    r.provider = provider();
    return r;
  }
};

}  // namespace

TEST_CASE("a custom client reports its own provider name in attempts, answers and health", "[seams]") {
  OrchestratorConfig config;
  PoolConfig pool;
  pool.client = std::make_shared<EchoClient>();
  pool.models = {"m"};
  pool.keys = {"bad", "good"};
  config.pools = {pool};
  Orchestrator orchestrator(config);
  const Response r = orchestrator.request("ping");
  CHECK(r.text == "ping");
  CHECK(r.pool == "echo-llm");  // an unnamed pool is shown by its client's provider
  REQUIRE(r.attempts.size() == 2);
  CHECK(to_string(r.attempts[0].provider) == "echo-llm");
  CHECK(r.attempts[0].outcome == AttemptOutcome::invalid_key);
  CHECK(to_string(r.attempts[1].provider) == "echo-llm");
  CHECK(Provider("echo-llm") == r.provider);
  CHECK_FALSE(provider_from_string("echo-llm"));  // not a registered provider: a name only
}
