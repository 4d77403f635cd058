#pragma once
/// @file Everything an Orchestrator is built from: pools, keys and policies.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "polyrouter/export.hpp"
#include "polyrouter/http_options.hpp"
#include "polyrouter/observe.hpp"
#include "polyrouter/observer.hpp"
#include "polyrouter/provider.hpp"

namespace polyrouter {

class LLMClient;  // llm_client.hpp

using Milliseconds = std::chrono::milliseconds;

/// An API key and the label it is shown by. The value is never logged or put in a message.
struct POLYROUTER_API ApiKey {
  std::string label;  ///< e.g. "GROQ_API_KEY1"; empty = assigned from the pool ("<POOL>_API_KEY<i>")
  std::string value;

  ApiKey() = default;
  ApiKey(std::string key) : value(std::move(key)) {}  // NOLINT: implicit, so {key0, key1} reads well
  ApiKey(const char* key) : value(key) {}             // NOLINT
  ApiKey(std::string key_label, std::string key) : label(std::move(key_label)), value(std::move(key)) {}
};

/// What a stream does when its route fails after text reached the caller (the commit point).
enum class StreamRecovery {
  /// Run the request again on the next route; the caller is told to discard what it received
  /// (StreamCallbacks::on_restart) and then gets the new answer from its start.
  restart,
  /// Ask the next route to continue from the partial text (an assistant prefill) and deliver
  /// only the continuation. For pools whose models accept a prefill; a route that rejects it
  /// is asked again from the start (restart).
  continue_partial,
  /// Raise StreamInterruptedError with the partial text.
  surface,
};

/// One provider account: a client, its ordered models and its ordered keys.
struct POLYROUTER_API PoolConfig {
  PoolConfig() = default;
  /// The common case in one line: `{Provider::groq, {"openai/gpt-oss-120b"}, {key0, key1}}`.
  PoolConfig(Provider pool_provider, std::vector<std::string> pool_models, std::vector<ApiKey> pool_keys,
             std::string pool_base_url = {})
      : provider(pool_provider),
        models(std::move(pool_models)),
        keys(std::move(pool_keys)),
        base_url(std::move(pool_base_url)) {}

  Provider provider = Provider::openai_compatible;
  std::vector<std::string> models;  ///< tried in order
  std::vector<ApiKey> keys;         ///< tried in order for each model
  /// Empty = the provider's default. For groq, cerebras and gemini this is the root
  /// ("http://127.0.0.1:8080"), as GROQ_BASE_URL is; for openai_compatible it includes the
  /// version path ("http://localhost:8080/v1").
  std::string base_url;
  std::string name;                 ///< shown in attempts and logs; empty = the provider's name
  /// The keys share one account quota: a rate limit cools the model for every key of the pool.
  bool shared_quota = false;
  /// How a stream cut on this pool recovers, and (continue_partial) whether its models may
  /// continue another route's cut stream; empty = OrchestratorConfig::stream_recovery.
  std::optional<StreamRecovery> stream_recovery;
  /// The user's own client; when set, provider and base_url only label it.
  std::shared_ptr<LLMClient> client;
};

/// Retries of transient faults (5xx, 408, 409, connection errors, timeouts, malformed JSON).
struct POLYROUTER_API RetryPolicy {
  int max_retries = 2;                ///< per (pool, model, key); moving on is never limited by it
  Milliseconds initial_backoff{500};
  Milliseconds max_backoff{8000};
  double multiplier = 2.0;
  /// Each delay is shortened by up to this fraction. The default is "full jitter": many
  /// requests failing together would otherwise wake together and hit the upstream in waves.
  double jitter = 1.0;
  Milliseconds max_retry_hint{10000}; ///< a server's Retry-After replaces the backoff, capped here
  /// A (pool, model, key) whose last this-many attempts all failed transiently gets no retries
  /// (one attempt, then the walk moves on) until it answers again, so a key that always fails
  /// does not cost every request its backoff (0 = no limit).
  int route_failure_limit = 3;
};

/// gRPC-style retry throttle: each request that failed transiently costs one token, each
/// answered request returns token_ratio; retries are allowed only while more than half the
/// tokens remain. Counted per request, not per attempt: a key that always fails must not starve
/// the retries that rescue requests on the healthy keys.
struct POLYROUTER_API RetryThrottlePolicy {
  bool enabled = true;
  double max_tokens = 10.0;
  double token_ratio = 0.1;
};

/// How long learned failures are remembered.
struct POLYROUTER_API CooldownPolicy {
  Milliseconds rate_limit_default{60000};        ///< when a 429 carries no hint
  std::optional<Milliseconds> invalid_key_ttl;   ///< nullopt = the orchestrator's lifetime
  std::optional<Milliseconds> missing_model_ttl; ///< nullopt = the orchestrator's lifetime
  /// Per-day walls (RPD, TPD, Gemini PerDay) cool at least this long, whatever the hint says.
  Milliseconds daily_limit_minimum{600000};
  /// A key with no quota for a model (Gemini "limit: 0") keeps out of it this long.
  Milliseconds no_quota{6 * 3600 * 1000};
  /// A provider's edge blocking the caller's network (Cloudflare "Attention Required") cools
  /// the whole pool this long; its keys are not to blame and stay usable afterwards.
  Milliseconds network_block{300000};
};

/// Per (pool, model) circuit breaker. It counts one outcome per request (a request that got its
/// answer from the model, on whichever key and after whatever retries, is a success) and opens
/// on the failure ratio over a sliding window, as Envoy's outlier detection and Hystrix do.
struct POLYROUTER_API BreakerPolicy {
  double failure_ratio = 0.5;           ///< opens when this share of the window's requests failed (0 = never)
  int minimum_requests = 20;            ///< ...and the window holds at least this many
  Milliseconds window{10000};           ///< how far back outcomes count
  Milliseconds open_duration{2000};     ///< the first open interval; then one trial request (half-open)
  Milliseconds max_open_duration{60000}; ///< each trip in a row doubles the interval, up to this
};

/// Time limits.
struct POLYROUTER_API Timeouts {
  Milliseconds connect{5000};
  Milliseconds attempt{60000};   ///< one round trip
  Milliseconds total{180000};    ///< one request: bounds retries, waits and failover
  Milliseconds max_wait{0};      ///< wait this long for a cooldown to end rather than fail
  /// Streams: fail over when no model output (text, reasoning or a tool call) came within this.
  Milliseconds first_delta{15000};
  Milliseconds stall{30000};     ///< streams: after the first delta, the longest silence allowed
};


/// What a content-filter block does.
enum class ContentFilterPolicy { surface, next };

/// Time as the orchestrator sees it. Injectable so tests of cooldowns and backoff never sleep.
struct POLYROUTER_API Clock {
  std::function<std::chrono::steady_clock::time_point()> now;  ///< empty = steady_clock::now
  std::function<void(std::chrono::steady_clock::duration)> sleep; ///< empty = this_thread::sleep_for
  /// Wall time, for the health store's deadlines (another process can read them). Empty =
  /// system_clock::now, or, when `now` is injected, `now` plus the offset between the two clocks
  /// taken once at construction, so an injected `now` drives health deadlines as well.
  std::function<std::chrono::system_clock::time_point()> system_now;
};

class HealthStore;

/// Everything an Orchestrator is built from.
struct POLYROUTER_API OrchestratorConfig {
  std::vector<PoolConfig> pools;  ///< tried in order
  std::string system_prompt;      ///< prepended to every request when not empty
  bool round_robin = false;       ///< rotate the starting key per request
  RetryPolicy retry;
  RetryThrottlePolicy retry_throttle;
  CooldownPolicy cooldown;
  BreakerPolicy breaker;
  Timeouts timeouts;
  ContentFilterPolicy content_filter = ContentFilterPolicy::surface;
  StreamRecovery stream_recovery = StreamRecovery::restart;
  HttpOptions http;               ///< for the built-in clients
  Clock clock;
  std::uint64_t jitter_seed = 0;  ///< 0 = seeded from the system
  Events events;                  ///< callbacks, called like an Observer (see observer.hpp)
  /// Called for every event after the orchestrator's own counters and `events`, in order
  /// (threads and rules: observer.hpp).
  std::vector<std::shared_ptr<Observer>> observers;
  /// Where what is learned is kept (health_store.hpp); share one between orchestrators, or
  /// across a fleet, to share what they learn. Null = a private InMemoryHealthStore.
  std::shared_ptr<HealthStore> health_store;
  /// Keys reach the store only as HMAC-SHA256 fingerprints under this secret. Empty = random
  /// per process; a fleet sharing a store configures the same one.
  std::string key_fingerprint_secret;
};

/// The client a pool talks through: its own `client` when set, else the built-in client for
/// its provider at its base URL. @throws ConfigError (an openai_compatible pool without base_url).
POLYROUTER_API std::shared_ptr<LLMClient> make_client(const PoolConfig& pool, const HttpOptions& http = {});

/// Where Orchestrator::from_env() reads from.
struct POLYROUTER_API EnvOptions {
  /// The .env file; read when it exists. The process environment wins over it.
  std::string env_file = ".env";
  /// JSON config; empty = $POLYROUTER_CONFIG, else "polyrouter.json" when it exists.
  std::string config_file;
};

/// Builds a config the way the original tool did: .env, GROQ_API_KEY0.., GEMINI_API_KEY0..,
/// CEREBRAS_API_KEY0.., *_BASE_URL, and the JSON config file.
/// @throws ConfigError naming the file and field; NoApiKeysError when no key is found.
POLYROUTER_API OrchestratorConfig config_from_env(const EnvOptions& options = {});

/// How a pool's name appears in its environment variables: "groq" -> "GROQ", "my-llm" ->
/// "MY_LLM" (read as MY_LLM_API_KEY0.., MY_LLM_BASE_URL).
POLYROUTER_API std::string env_var_prefix(std::string_view pool_name);

}  // namespace polyrouter
