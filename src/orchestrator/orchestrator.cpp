#include "polyrouter/orchestrator.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <thread>

#include "logging.hpp"
#include "orchestrator/health.hpp"
#include "orchestrator/retry.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/gemini_client.hpp"
#include "polyrouter/openai_compatible_client.hpp"

namespace polyrouter {
namespace {

using detail::HealthBook;
using detail::TimePoint;
using std::chrono::milliseconds;

constexpr std::size_t outcome_count = static_cast<std::size_t>(AttemptOutcome::unknown_error) + 1;
// A floor on waiting passes, so a server that keeps answering "retry in 0 s" cannot spin us.
constexpr int max_passes = 16;

AttemptOutcome outcome_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_api_key: return AttemptOutcome::invalid_key;
    case ErrorKind::rate_limit: return AttemptOutcome::rate_limited;
    case ErrorKind::model_not_found: return AttemptOutcome::model_not_found;
    case ErrorKind::bad_request: return AttemptOutcome::bad_request;
    case ErrorKind::content_filtered: return AttemptOutcome::content_filtered;
    case ErrorKind::provider_unavailable: return AttemptOutcome::unavailable;
    case ErrorKind::timeout: return AttemptOutcome::timeout;
    case ErrorKind::invalid_json_response: return AttemptOutcome::invalid_response;
    default: return AttemptOutcome::unknown_error;
  }
}

bool is_transient(ErrorKind kind) {
  return kind == ErrorKind::provider_unavailable || kind == ErrorKind::timeout ||
         kind == ErrorKind::invalid_json_response;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  return out;
}

std::shared_ptr<LLMClient> make_client(const PoolConfig& pool, const HttpOptions& http) {
  if (pool.client) return pool.client;
  switch (pool.provider) {
    case Provider::groq:
      return std::make_shared<OpenAICompatibleClient>(OpenAICompatibleClient::groq(
          pool.base_url.empty() ? OpenAICompatibleClient::groq_default_root : pool.base_url, http));
    case Provider::cerebras:
      return std::make_shared<OpenAICompatibleClient>(OpenAICompatibleClient::cerebras(
          pool.base_url.empty() ? OpenAICompatibleClient::cerebras_default_root : pool.base_url, http));
    case Provider::gemini:
      return std::make_shared<GeminiClient>(pool.base_url.empty() ? GeminiClient::default_root : pool.base_url,
                                            http);
    case Provider::openai_compatible:
      if (pool.base_url.empty()) {
        throw ConfigError("pool '" + pool.name + "': an openai_compatible pool needs a base_url");
      }
      return std::make_shared<OpenAICompatibleClient>(pool.base_url, Provider::openai_compatible, http);
  }
  throw ConfigError("unknown provider");
}

void validate(const OrchestratorConfig& c) {
  if (c.pools.empty()) throw ConfigError("no provider pools configured");
  if (c.retry.max_retries < 0) throw ConfigError("retry.max_retries must be >= 0");
  if (c.retry.multiplier < 1.0) throw ConfigError("retry.multiplier must be >= 1");
  if (c.retry.jitter < 0.0 || c.retry.jitter > 1.0) throw ConfigError("retry.jitter must be within [0, 1]");
  if (c.retry.initial_backoff.count() < 0 || c.retry.max_backoff.count() < 0) {
    throw ConfigError("retry backoff must be >= 0");
  }
  if (c.timeouts.attempt.count() <= 0 || c.timeouts.total.count() <= 0 || c.timeouts.connect.count() <= 0) {
    throw ConfigError("timeouts must be > 0");
  }
  if (c.timeouts.max_wait.count() < 0) throw ConfigError("timeouts.max_wait must be >= 0");
  if (c.retry_throttle.max_tokens <= 0 || c.retry_throttle.token_ratio < 0) {
    throw ConfigError("retry_throttle values must be positive");
  }
}

}  // namespace

struct Orchestrator::Impl {
  struct Pool {
    PoolConfig config;
    std::shared_ptr<LLMClient> client;
  };

  OrchestratorConfig config;
  std::vector<Pool> pools;
  HealthBook health;
  detail::Backoff backoff;
  detail::RetryThrottle throttle;

  std::atomic<std::uint64_t> requests{0}, successes{0}, fallbacks{0}, exhaustions{0};
  std::array<std::atomic<std::uint64_t>, outcome_count> outcomes{};
  std::atomic<std::uint64_t> rotation{0};

  static std::vector<HealthBook::PoolShape> shape_of(const OrchestratorConfig& c) {
    std::vector<HealthBook::PoolShape> shape;
    for (const PoolConfig& p : c.pools) shape.push_back({p.models.size(), p.keys.size()});
    return shape;
  }

  explicit Impl(OrchestratorConfig c)
      : config((validate(c), std::move(c))),
        health(shape_of(config), config.breaker),
        backoff(config.retry, config.jitter_seed),
        throttle(config.retry_throttle) {
    for (PoolConfig& p : config.pools) {
      if (p.name.empty()) p.name = std::string(to_string(p.provider));
      if (p.models.empty()) throw NoModelError("pool '" + p.name + "' has no model");
      if (p.keys.empty()) throw NoApiKeysError("pool '" + p.name + "' has no API key");
      const std::string prefix = upper(p.name) + "_API_KEY";
      for (std::size_t i = 0; i < p.keys.size(); ++i) {
        if (p.keys[i].label.empty()) p.keys[i].label = prefix + std::to_string(i);
      }
      pools.push_back({p, make_client(p, config.http)});
    }
  }

  TimePoint now() const { return config.clock.now ? config.clock.now() : std::chrono::steady_clock::now(); }

  void sleep(milliseconds d) const {
    if (d.count() <= 0) return;
    if (config.clock.sleep) {
      config.clock.sleep(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  static TimePoint after(TimePoint now, std::optional<milliseconds> ttl) {
    return ttl ? now + *ttl : detail::forever;
  }

  // What the walk does after one combination's attempts end.
  enum class Next { next_key, next_model };

  struct Walk {
    const ChatRequest& request;
    TimePoint deadline;
    milliseconds attempt_timeout;
    std::vector<Attempt> attempts;
    bool cut_by_deadline = false;  // a retry or attempt was skipped because time ran out
    const DeltaCallback* on_delta = nullptr;  // set for streams
  };

  void record(Walk& walk, Attempt attempt) {
    outcomes[static_cast<std::size_t>(attempt.outcome)].fetch_add(1, std::memory_order_relaxed);
    walk.attempts.push_back(std::move(attempt));
    if (config.events.on_attempt) config.events.on_attempt(walk.attempts.back());
  }

  void note_fallback(Walk& walk) {
    if (walk.attempts.empty() || walk.attempts.back().outcome == AttemptOutcome::success) return;
    fallbacks.fetch_add(1, std::memory_order_relaxed);
    if (config.events.on_fallback) config.events.on_fallback(walk.attempts.back());
  }

  /// Tries one (pool, model, key), retrying transient faults. Returns the response on success,
  /// or what to do next; throws errors that must stop the walk.
  std::optional<Response> try_combination(Walk& walk, std::size_t pi, std::size_t mi, std::size_t ki,
                                          bool breaker_trial, Next& next) {
    Pool& pool = pools[pi];
    const std::string& model = pool.config.models[mi];
    const ApiKey& key = pool.config.keys[ki];
    auto& logger = detail::log();

    for (int retry = 0;; ++retry) {
      const TimePoint start = now();
      if (start >= walk.deadline) {
        walk.cut_by_deadline = true;
        next = Next::next_key;
        return std::nullopt;
      }
      const auto remaining = std::chrono::ceil<milliseconds>(walk.deadline - start);
      CallOptions options;
      options.model = model;
      options.api_key = key.value;
      options.key_label = key.label;
      options.timeout = std::min(walk.attempt_timeout, remaining);
      options.connect_timeout = std::min(config.timeouts.connect, options.timeout);
      options.first_delta_timeout = config.timeouts.first_delta;
      options.stall_timeout = config.timeouts.stall;

      if (walk.attempts.size() > 0 && retry == 0) note_fallback(walk);
      logger.debug("trying {} {} with {}{}", pool.config.name, model, key.label,
                   retry > 0 ? " (retry " + std::to_string(retry) + ")" : std::string());

      Attempt attempt;
      attempt.pool = pool.config.name;
      attempt.provider = pool.client->provider();
      attempt.model = model;
      attempt.key_label = key.label;
      // A stream commits to this route once its first delta reached the caller.
      bool committed = false;
      std::string partial;
      DeltaCallback forward;
      if (walk.on_delta != nullptr) {
        forward = [&](std::string_view delta) {
          committed = true;
          partial.append(delta);
          return (*walk.on_delta)(delta);
        };
      }
      try {
        Response response = walk.on_delta != nullptr ? pool.client->stream(walk.request, options, forward)
                                                     : pool.client->complete(walk.request, options);
        attempt.latency = std::chrono::duration_cast<milliseconds>(now() - start);
        attempt.outcome = AttemptOutcome::success;
        attempt.http_status = 200;
        record(walk, attempt);
        health.record_success(pi, mi);
        throttle.on_success();
        response.pool = pool.config.name;
        response.key_label = key.label;
        response.model = model;
        return response;
      } catch (const Error& e) {
        const TimePoint end = now();
        attempt.latency = std::chrono::duration_cast<milliseconds>(end - start);
        attempt.outcome = outcome_of(e.kind());
        attempt.http_status = e.http_status();
        attempt.retry_after = e.retry_after();
        attempt.error = e.what();
        record(walk, attempt);
        logger.debug("{} {} with {} failed: {}", pool.config.name, model, key.label, e.what());
        if (is_transient(e.kind())) health.record_transient_failure(pi, mi, end);
        if (committed) {
          // Past the commit point: never a silent success, never another model's continuation.
          if (breaker_trial && !is_transient(e.kind())) health.release_trial(pi, mi);
          ErrorContext context = e.context();
          throw StreamInterruptedError(std::string("stream interrupted after ") + std::to_string(partial.size()) +
                                           " bytes: " + e.detail(),
                                       std::move(context), std::move(partial), std::move(walk.attempts));
        }

        if (is_transient(e.kind())) {
          throttle.on_failure();
          if (breaker_trial || health.breaker_open(pi, mi)) {
            logger.debug("breaker open for {} {}", pool.config.name, model);
            next = Next::next_model;  // the model is failing, whichever key asks
            return std::nullopt;
          }
          if (retry >= config.retry.max_retries || !throttle.allows_retry()) {
            if (retry < config.retry.max_retries) logger.debug("retry throttled for {} {}", pool.config.name, model);
            next = Next::next_key;
            return std::nullopt;
          }
          const milliseconds delay = backoff.delay(retry, e.retry_after());
          if (end + delay >= walk.deadline) {
            walk.cut_by_deadline = true;
            next = Next::next_key;
            return std::nullopt;
          }
          logger.debug("retrying {} {} with {} in {} ms", pool.config.name, model, key.label, delay.count());
          sleep(delay);
          continue;
        }

        if (breaker_trial) health.release_trial(pi, mi);
        return on_failure(e, end, pi, mi, ki, next);
      } catch (const std::exception& e) {
        if (committed) throw;  // thrown by the caller's own delta callback: theirs to see
        // A user's client threw something outside the family: record it and move on.
        attempt.latency = std::chrono::duration_cast<milliseconds>(now() - start);
        attempt.outcome = AttemptOutcome::unknown_error;
        attempt.error = e.what();
        record(walk, attempt);
        if (breaker_trial) health.release_trial(pi, mi);
        next = Next::next_key;
        return std::nullopt;
      }
    }
  }

  std::optional<Response> on_failure(const Error& e, TimePoint now_, std::size_t pi, std::size_t mi,
                                     std::size_t ki, Next& next) {
    Pool& pool = pools[pi];
    auto& logger = detail::log();
    switch (e.kind()) {
      case ErrorKind::invalid_api_key:
        health.quarantine_key(pi, ki, after(now_, config.cooldown.invalid_key_ttl));
        logger.debug("quarantined {} in pool {}", pool.config.keys[ki].label, pool.config.name);
        next = Next::next_key;
        return std::nullopt;
      case ErrorKind::rate_limit: {
        const auto& limit = static_cast<const RateLimitError&>(e);
        // A zero hint ("retry now") on a 429 says nothing useful: cool for the default.
        const auto hint = e.retry_after();
        milliseconds wait = hint && hint->count() > 0 ? *hint : config.cooldown.rate_limit_default;
        if (limit.daily()) wait = std::max(wait, config.cooldown.daily_limit_minimum);
        const TimePoint until = now_ + wait;
        if (pool.config.shared_quota || limit.scope() == RateLimitError::Scope::provider) {
          health.cool_model(pi, mi, until);
          logger.debug("cooling {} {} for every key for {} ms", pool.config.name, pool.config.models[mi], wait.count());
          next = Next::next_model;
        } else {
          health.cool(pi, mi, ki, until);
          logger.debug("cooling {} {} with {} for {} ms", pool.config.name, pool.config.models[mi],
                       pool.config.keys[ki].label, wait.count());
          next = Next::next_key;
        }
        return std::nullopt;
      }
      case ErrorKind::model_not_found:
        health.mark_missing(pi, mi, after(now_, config.cooldown.missing_model_ttl));
        logger.debug("model {} missing in pool {}: skipped from now on", pool.config.models[mi], pool.config.name);
        next = Next::next_model;
        return std::nullopt;
      case ErrorKind::bad_request:
        if (static_cast<const BadRequestError&>(e).cause() == BadRequestError::Cause::request) throw;
        next = Next::next_model;
        return std::nullopt;
      case ErrorKind::content_filtered:
        if (config.content_filter == ContentFilterPolicy::surface) throw;
        next = Next::next_model;
        return std::nullopt;
      default:
        next = Next::next_key;
        return std::nullopt;
    }
  }

  Response run(const ChatRequest& original, const RequestOptions& options, const DeltaCallback* on_delta = nullptr) {
    requests.fetch_add(1, std::memory_order_relaxed);
    auto& logger = detail::log();

    ChatRequest with_system;
    const ChatRequest* request = &original;
    if (!config.system_prompt.empty()) {
      with_system = original;
      with_system.messages.insert(with_system.messages.begin(), Message::system(config.system_prompt));
      request = &with_system;
    }

    const TimePoint start = now();
    Walk walk{*request, start + options.deadline.value_or(config.timeouts.total),
              options.attempt_timeout.value_or(config.timeouts.attempt), {}, false, on_delta};
    const milliseconds max_wait = options.max_wait.value_or(config.timeouts.max_wait);
    const std::uint64_t turn = config.round_robin ? rotation.fetch_add(1, std::memory_order_relaxed) : 0;

    // Combinations that failed for good in this request (rate limits are tracked by cooldown).
    std::vector<std::vector<std::vector<bool>>> done(pools.size());
    for (std::size_t pi = 0; pi < pools.size(); ++pi) {
      done[pi].assign(pools[pi].config.models.size(), std::vector<bool>(pools[pi].config.keys.size(), false));
    }

    std::string reason = "every provider, model and key failed";
    for (int pass = 0; pass < max_passes; ++pass) {
      for (std::size_t pi = 0; pi < pools.size(); ++pi) {
        Pool& pool = pools[pi];
        const std::size_t key_count = pool.config.keys.size();
        for (std::size_t mi = 0; mi < pool.config.models.size(); ++mi) {
          const auto verdict = health.check_model(pi, mi, now());
          if (verdict.state != HealthBook::ModelVerdict::State::usable) {
            logger.debug("skipping {} {}: {}", pool.config.name, pool.config.models[mi],
                         verdict.state == HealthBook::ModelVerdict::State::missing ? "model missing" : "breaker open");
            continue;
          }
          bool trial = verdict.trial;
          for (std::size_t n = 0; n < key_count; ++n) {
            const std::size_t ki = static_cast<std::size_t>((turn + n) % key_count);
            if (done[pi][mi][ki]) continue;
            const auto key_state = health.check_key(pi, mi, ki, now());
            if (key_state.state != HealthBook::KeyVerdict::State::usable) {
              logger.debug("skipping {} {} with {}: {}", pool.config.name, pool.config.models[mi],
                           pool.config.keys[ki].label,
                           key_state.state == HealthBook::KeyVerdict::State::quarantined ? "key quarantined"
                                                                                         : "cooling down");
              continue;
            }
            if (now() >= walk.deadline) return exhausted(walk, "request deadline exceeded");
            Next next = Next::next_key;
            if (auto response = try_combination(walk, pi, mi, ki, trial, next)) {
              successes.fetch_add(1, std::memory_order_relaxed);
              response->attempts = std::move(walk.attempts);
              return std::move(*response);
            }
            trial = false;
            if (walk.attempts.empty() || walk.attempts.back().outcome != AttemptOutcome::rate_limited) {
              done[pi][mi][ki] = true;
            }
            if (next == Next::next_model) break;
          }
          if (trial) health.release_trial(pi, mi);  // never used: let the next caller try
        }
      }

      // Nothing answered. Wait for a cooldown to end when that fits the caller's max_wait.
      const TimePoint t = now();
      if (t >= walk.deadline) {
        reason = "request deadline exceeded";
        break;
      }
      const auto earliest = health.earliest_cooldown_end(t);
      if (!earliest || *earliest - t > max_wait || *earliest >= walk.deadline) break;
      logger.debug("every usable combination is cooling down; waiting {} ms",
                   std::chrono::ceil<milliseconds>(*earliest - t).count());
      sleep(std::chrono::ceil<milliseconds>(*earliest - t));
    }
    if (walk.cut_by_deadline) reason = "request deadline exceeded";
    return exhausted(walk, reason);
  }

  [[noreturn]] Response exhausted(Walk& walk, std::string_view reason) {
    exhaustions.fetch_add(1, std::memory_order_relaxed);
    const TimePoint t = now();
    std::optional<milliseconds> earliest;
    if (auto e = health.earliest_cooldown_end(t)) earliest = std::chrono::ceil<milliseconds>(*e - t);
    std::vector<AllModelsFailedError> pool_failures;
    for (const Pool& pool : pools) {
      std::vector<Attempt> mine;
      for (const Attempt& a : walk.attempts) {
        if (a.pool == pool.config.name) mine.push_back(a);
      }
      ErrorContext context;
      context.provider = pool.config.provider;
      pool_failures.emplace_back(pool.config.name, std::move(mine), std::move(context));
    }
    if (config.events.on_exhausted) config.events.on_exhausted(walk.attempts);
    detail::log().debug("exhausted after {} attempts: {}", walk.attempts.size(), reason);
    throw AllClientsExhaustedError(std::move(walk.attempts), std::move(pool_failures), earliest, reason);
  }
};

Orchestrator::Orchestrator(OrchestratorConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Orchestrator::~Orchestrator() = default;
Orchestrator::Orchestrator(Orchestrator&&) noexcept = default;
Orchestrator& Orchestrator::operator=(Orchestrator&&) noexcept = default;

Orchestrator Orchestrator::from_env(const EnvOptions& options) { return Orchestrator(config_from_env(options)); }

Response Orchestrator::request(std::string_view prompt, const RequestOptions& options) {
  return impl_->run(ChatRequest::from_prompt(std::string(prompt)), options);
}

Response Orchestrator::request(const ChatRequest& request, const RequestOptions& options) {
  return impl_->run(request, options);
}

Response Orchestrator::stream(const ChatRequest& request, const DeltaCallback& on_delta,
                             const RequestOptions& options) {
  return impl_->run(request, options, &on_delta);
}

Response Orchestrator::stream(std::string_view prompt, const DeltaCallback& on_delta, const RequestOptions& options) {
  return stream(ChatRequest::from_prompt(std::string(prompt)), on_delta, options);
}

Stats Orchestrator::stats() const {
  Stats s;
  s.requests = impl_->requests.load();
  s.successes = impl_->successes.load();
  s.fallbacks = impl_->fallbacks.load();
  s.exhaustions = impl_->exhaustions.load();
  for (std::size_t i = 0; i < outcome_count; ++i) {
    if (auto n = impl_->outcomes[i].load()) s.attempts[static_cast<AttemptOutcome>(i)] = n;
  }
  return s;
}

HealthSnapshot Orchestrator::health() const {
  HealthSnapshot snapshot;
  for (const auto& pool : impl_->pools) {
    PoolHealth ph;
    ph.name = pool.config.name;
    ph.provider = pool.config.provider;
    for (const auto& m : pool.config.models) ph.models.push_back({m, ModelHealth::State::ok, std::nullopt, {}});
    for (const auto& k : pool.config.keys) ph.keys.push_back({k.label, KeyHealth::State::ok, std::nullopt});
    snapshot.pools.push_back(std::move(ph));
  }
  impl_->health.snapshot(impl_->now(), snapshot);
  return snapshot;
}

}  // namespace polyrouter
