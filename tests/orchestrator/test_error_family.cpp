// A user's own client (a subclass of LLMClient) throwing each class of the error family drives
// the walk as the built-in clients' errors do, on the blocking and the async path; and no error
// can claim a kind() its class does not have.

#include <catch2/catch.hpp>

#include <functional>
#include <string_view>
#include <type_traits>

#include <polyrouter/polyrouter.hpp>

using namespace polyrouter;
using namespace std::chrono_literals;

// The walk downcasts by kind(): only the class of a kind may give an Error that kind.
static_assert(!std::is_constructible<Error, ErrorKind, std::string_view>::value,
              "an Error of any kind would be constructible");
static_assert(!std::is_constructible<Error, ErrorKind, std::string_view, ErrorContext>::value,
              "an Error of any kind would be constructible");
static_assert(!std::is_constructible<ProviderUnavailableError, ErrorKind, std::string_view, ErrorContext>::value,
              "a ProviderUnavailableError of any kind would be constructible");
static_assert(!std::is_constructible<ConfigError, ErrorKind, std::string_view, ErrorContext>::value,
              "a ConfigError of any kind would be constructible");
// Nor by slicing: `throw e;` on a caught `const Error& e` would make an Error saying rate_limit.
static_assert(!std::is_copy_constructible<Error>::value, "a sliced copy would keep its kind");
static_assert(std::is_copy_constructible<RateLimitError>::value && std::is_nothrow_move_constructible<CancelledError>::value,
              "the concrete classes copy (an exception_ptr needs it)");
static_assert(std::is_base_of<Error, CancelledError>::value, "cancelled work is in the family");

namespace error_family {  // named: a unity build shares one anonymous namespace with test_walk.cpp

// Throws what it is given for model m1 with key k0; answers every other call.
class Throwing : public LLMClient {
 public:
  explicit Throwing(std::function<void(const CallOptions&)> thrower) : thrower_(std::move(thrower)) {}
  Provider provider() const noexcept override { return Provider::openai_compatible; }
  Response complete(const ChatRequest&, const CallOptions& call) override {
    if (call.model == "m1" && call.api_key == "k0") thrower_(call);
    Response r;
    r.text = "answered by " + call.model + " with " + call.key_label;
    r.finish_reason = FinishReason::stop;
    return r;
  }

 private:
  std::function<void(const CallOptions&)> thrower_;
};

struct Expected {
  std::string model, key;
  AttemptOutcome outcome;
};

OrchestratorConfig config_for(std::function<void(const CallOptions&)> thrower) {
  OrchestratorConfig config;
  PoolConfig pool{Provider::openai_compatible, {"m1", "m2"}, {ApiKey{"K0", "k0"}, ApiKey{"K1", "k1"}}};
  pool.name = "mine";
  pool.client = std::make_shared<Throwing>(std::move(thrower));
  config.pools = {pool};
  config.retry.max_retries = 1;
  config.retry.initial_backoff = 1ms;
  config.retry.max_backoff = 1ms;
  config.breaker.failure_ratio = 0;  // one request per case: no breaker in the way
  return config;
}

ErrorContext context_of(const CallOptions& call) {
  ErrorContext c;
  c.model = call.model;
  c.key_label = call.key_label;
  return c;
}

// Runs one request, blocking or async; the walk must match @p expected either way.
Response ask(Orchestrator& orchestrator, bool async) {
  return async ? orchestrator.request_async("hi").get() : orchestrator.request("hi");
}

void require_walk(const Response& r, const std::vector<Expected>& expected) {
  INFO(format_attempts(r.attempts));
  REQUIRE(r.attempts.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("attempt " << i + 1);
    CHECK(r.attempts[i].model == expected[i].model);
    CHECK(r.attempts[i].key_label == expected[i].key);
    CHECK(to_string(r.attempts[i].outcome) == to_string(expected[i].outcome));
  }
}

}  // namespace error_family

using namespace error_family;

TEST_CASE("a user client's errors drive the walk by their class", "[orchestrator][errors]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "request_async" : "request"));

  SECTION("InvalidApiKeyError quarantines the key: the next key answers") {
    Orchestrator o(config_for([](const CallOptions& c) { throw InvalidApiKeyError("rejected", context_of(c)); }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::invalid_key}, {"m1", "K1", AttemptOutcome::success}});
    CHECK(o.health().pools[0].keys[0].state == KeyHealth::State::quarantined);
    CHECK(o.health().pools[0].keys[1].state == KeyHealth::State::ok);
  }
  SECTION("RateLimitError of the key cools (m1, k0): the next key answers") {
    Orchestrator o(config_for([](const CallOptions& c) { throw RateLimitError("slow down", context_of(c)); }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::rate_limited}, {"m1", "K1", AttemptOutcome::success}});
    const auto cooldowns = o.health().pools[0].models[0].cooldowns;
    REQUIRE(cooldowns.size() == 1);
    CHECK(cooldowns[0].key_label == "K0");
  }
  SECTION("RateLimitError of the provider cools the model for every key: the next model answers") {
    // Only the class says "provider": the walk must have read it through RateLimitError.
    Orchestrator o(config_for([](const CallOptions& c) {
      throw RateLimitError("capacity", context_of(c), RateLimitError::Scope::provider);
    }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::rate_limited}, {"m2", "K0", AttemptOutcome::success}});
  }
  SECTION("a daily RateLimitError cools at least the daily minimum, whatever its hint") {
    Orchestrator o(config_for([](const CallOptions& c) {
      ErrorContext context = context_of(c);
      context.retry_after = 1s;
      throw RateLimitError("requests per day", context, RateLimitError::Scope::key, /*daily=*/true);
    }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::rate_limited}, {"m1", "K1", AttemptOutcome::success}});
    const auto cooldowns = o.health().pools[0].models[0].cooldowns;
    REQUIRE(cooldowns.size() == 1);
    CHECK(cooldowns[0].reset_in >= CooldownPolicy{}.daily_limit_minimum - 10s);
  }
  SECTION("ModelNotFoundError skips the model: the next model answers") {
    Orchestrator o(config_for([](const CallOptions& c) { throw ModelNotFoundError("no such model", context_of(c)); }));
    require_walk(ask(o, async),
                  {{"m1", "K0", AttemptOutcome::model_not_found}, {"m2", "K0", AttemptOutcome::success}});
    CHECK(o.health().pools[0].models[0].state == ModelHealth::State::missing);
  }
  SECTION("BadRequestError caused by the request is thrown at once, as its class") {
    Orchestrator o(config_for([](const CallOptions& c) { throw BadRequestError("bad field", context_of(c)); }));
    try {
      ask(o, async);
      FAIL("no error");
    } catch (const BadRequestError& e) {
      CHECK(e.kind() == ErrorKind::bad_request);
      CHECK(e.detail() == "bad field");
    }
  }
  SECTION("BadRequestError of context length moves to the next model") {
    Orchestrator o(config_for([](const CallOptions& c) {
      throw BadRequestError("too long", context_of(c), BadRequestError::Cause::context_length);
    }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::bad_request}, {"m2", "K0", AttemptOutcome::success}});
  }
  SECTION("ContentFilteredError is surfaced, as its class") {
    Orchestrator o(config_for([](const CallOptions& c) { throw ContentFilteredError("SAFETY", context_of(c)); }));
    CHECK_THROWS_AS(ask(o, async), ContentFilteredError);
  }
  SECTION("ProviderUnavailableError is retried on the same route, then the next key answers") {
    Orchestrator o(config_for([](const CallOptions& c) { throw ProviderUnavailableError("503", context_of(c)); }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::unavailable},
                                  {"m1", "K0", AttemptOutcome::unavailable},
                                  {"m1", "K1", AttemptOutcome::success}});
  }
  SECTION("TimeoutError is not retried: the next key answers") {
    Orchestrator o(config_for([](const CallOptions& c) { throw TimeoutError("silent", context_of(c)); }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::timeout}, {"m1", "K1", AttemptOutcome::success}});
  }
  SECTION("InvalidJsonResponseError is retried as a transient fault") {
    Orchestrator o(config_for([](const CallOptions& c) { throw InvalidJsonResponseError("not JSON", context_of(c)); }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::invalid_response},
                                  {"m1", "K0", AttemptOutcome::invalid_response},
                                  {"m1", "K1", AttemptOutcome::success}});
  }
  SECTION("UnknownError moves on to the next key") {
    Orchestrator o(config_for([](const CallOptions& c) { throw UnknownError("odd", context_of(c)); }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::unknown_error}, {"m1", "K1", AttemptOutcome::success}});
  }
  SECTION("a subclass of a concrete error is handled as that error") {
    struct QuotaWall : RateLimitError {
      explicit QuotaWall(const ErrorContext& c) : RateLimitError("wall", c, Scope::provider) {}
    };
    Orchestrator o(config_for([](const CallOptions& c) { throw QuotaWall(context_of(c)); }));
    require_walk(ask(o, async), {{"m1", "K0", AttemptOutcome::rate_limited}, {"m2", "K0", AttemptOutcome::success}});
  }
}

TEST_CASE("every kind has its own tag and class", "[errors]") {
  const CancelledError cancelled("dropped");
  CHECK(cancelled.kind() == ErrorKind::cancelled);
  CHECK(tag(ErrorKind::cancelled) == "polyrouter.cancelled");
  CHECK(std::string(cancelled.what()) == "[polyrouter.cancelled]: dropped");
  // A copy keeps its class, so a rethrown copy is still caught as that class.
  try {
    throw RateLimitError(RateLimitError("copied", {}, RateLimitError::Scope::network));
  } catch (const RateLimitError& e) {
    CHECK(e.scope() == RateLimitError::Scope::network);
  }
}
