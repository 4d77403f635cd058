#include "orchestrator/walk.hpp"

#include <algorithm>

#include "logging.hpp"

namespace polyrouter::detail {
namespace {

// A bound on waiting passes, so a server that keeps answering "retry in 0 s" cannot spin us.
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

// Whether a transient failure is worth another try on the same route (design §8).
enum class SameRoute { backoff, once, never };

SameRoute same_route_rule(const Error& e) {
  // Silence (no headers, no first byte, no first delta) would only cost another timeout.
  if (e.kind() == ErrorKind::timeout) return SameRoute::never;
  switch (e.context().transport) {
    case TransportFailure::resolve:  // DNS will say the same in a moment
    case TransportFailure::tls:
    case TransportFailure::too_large:
      return SameRoute::never;
    case TransportFailure::connect:
      // Refused: a server restarting comes back within a backoff or two; one more try.
      return SameRoute::once;
    case TransportFailure::send:
    case TransportFailure::receive:
      // A reset before any response bytes is often a stale pooled connection: one more try.
      return e.http_status() == 0 ? SameRoute::once : SameRoute::backoff;
    default: return SameRoute::backoff;
  }
}

HealthTime after(HealthTime now, std::optional<milliseconds> ttl) { return ttl ? now + *ttl : health_forever; }

template <typename Time>
milliseconds until(Time when, Time now) {
  return std::chrono::ceil<milliseconds>(when - now);
}

}  // namespace

Walk::Walk(Engine& engine, ChatRequest request, const RequestOptions& options, bool stream, bool async)
    : engine_(engine),
      id_(next_request_id()),
      stream_(stream),
      async_(async),
      started_at_(engine.now()),
      request_(std::move(request)),
      deadline_(started_at_ + options.deadline.value_or(engine.config.timeouts.total)),
      attempt_timeout_(options.attempt_timeout.value_or(engine.config.timeouts.attempt)),
      max_wait_(options.max_wait.value_or(engine.config.timeouts.max_wait)),
      turn_(engine.config.round_robin ? engine.rotation.fetch_add(1, std::memory_order_relaxed) : 0) {
  if (!engine_.config.system_prompt.empty()) {
    request_.messages.insert(request_.messages.begin(), Message::system(engine_.config.system_prompt));
  }
  done_.assign(engine_.slots, false);
}

Walk::~Walk() {
  if (started_ && !ended_) {
    error_kind_ = ErrorKind::unknown;
    error_message_ = "the request was abandoned before it ended";
    report_end();
  }
}

std::size_t Walk::slot() const {
  const Engine::Pool& p = engine_.pools[pool_];
  return p.first_slot + model_ * p.config.keys.size() + key_;
}

Walk::Step Walk::next() {
  auto& logger = log();
  if (finished_) return {};
  if (!started_) {
    started_ = true;
    engine_.observers.request_started(info());
  }
  if (pending_retry_) {
    const milliseconds delay = *pending_retry_;
    pending_retry_.reset();
    retrying_ = true;
    return Step::sleep_for(delay);
  }

  auto attempt = [&]() {
    const TimePoint start = engine_.now();
    const Engine::Pool& pool = engine_.pools[pool_];
    Step step;
    step.kind = Step::Kind::attempt;
    step.pool = pool_;
    step.model = model_;
    step.key = key_;
    step.call.model = pool.config.models[model_];
    step.call.api_key = pool.config.keys[key_].value;
    step.call.key_label = pool.config.keys[key_].label;
    step.call.request_id = id_;
    step.call.timeout = std::min(attempt_timeout_, until(deadline_, start));
    step.call.stream_total_timeout = until(deadline_, start);  // a healthy stream runs to the deadline
    step.call.connect_timeout = std::min(engine_.config.timeouts.connect, step.call.timeout);
    step.call.first_delta_timeout = engine_.config.timeouts.first_delta;
    step.call.stall_timeout = engine_.config.timeouts.stall;
    // Only streams read the clock, and only an injected one needs passing on.
    if (engine_.config.clock.now && (step.call.first_delta_timeout.count() > 0 || step.call.stall_timeout.count() > 0)) {
      step.call.clock = engine_.config.clock.now;
    }
    if (retry_ == 0 && !attempts_.empty() && attempts_.back().outcome != AttemptOutcome::success) {
      engine_.observers.fell_back(info(), attempts_.back());
    }
    prepare_stream_recovery();
    if (engine_.observers.has_listeners()) {
      AttemptStart started;
      started.pool = pool.config.name;
      started.provider = pool.client->provider();
      started.model = step.call.model;
      started.key_label = step.call.key_label;
      started.retry = retry_;
      started.number = attempt_count_ + 1;
      engine_.observers.attempt_started(info(), started);
    }
    logger.debug("[{}] trying {} {} with {}{}", id_, pool.config.name, step.call.model, step.call.key_label,
                 retry_ > 0 ? " (retry " + std::to_string(retry_) + ")" : std::string());
    return step;
  };

  if (retrying_) {
    retrying_ = false;
    if (engine_.now() >= deadline_) {
      cut_by_deadline_ = true;
      move_on(Next::next_key);
    } else if (take_budget()) {
      return attempt();
    } else {
      retry_ = 0;  // the key's budget is spent: the next key, and this one again after its window
      ++n_;
    }
  }

  while (pass_ < max_passes) {
    if (pool_ >= engine_.pools.size()) {
      // A whole pass found no answer. Wait for a cooldown to end when that fits max_wait.
      const TimePoint t = engine_.now();
      if (t >= deadline_) {
        cut_by_deadline_ = true;
        break;
      }
      const HealthTime wall = engine_.health_now();
      // A spent budget comes back like a cooldown: whichever ends first.
      auto earliest = engine_.health->earliest_cooldown_end(engine_.routes, wall);
      if (budget_until_ && (!earliest || *budget_until_ < *earliest)) earliest = budget_until_;
      if (!earliest) break;
      const milliseconds wait = std::max(until(*earliest, wall), milliseconds(0));
      if (wait > max_wait_ || t + wait >= deadline_) break;
      ++pass_;
      pool_ = model_ = n_ = 0;
      model_checked_ = false;
      logger.debug("[{}] every usable combination is cooling down{}; waiting {} ms", id_,
                   budget_spent_.empty() ? "" : " or out of rate budget", wait.count());
      budget_until_.reset();
      budget_spent_.clear();
      return Step::sleep_for(wait);
    }
    const Engine::Pool& pool = engine_.pools[pool_];
    if (model_ >= pool.config.models.size()) {
      ++pool_;
      model_ = 0;
      model_checked_ = false;
      continue;
    }
    if (!model_checked_) {
      using State = HealthStore::ModelVerdict::State;
      const HealthTime wall = engine_.health_now();
      const ModelId& model_id = engine_.model_id(pool_, model_);
      const auto verdict = engine_.health->check_model(model_id, wall);
      trial_ = {};
      if (verdict.state == State::trial_available) {
        // Half-open: one caller gets the trial. The claim lapses after one attempt's time, so
        // a walk that never reports back blocks the model no longer than that.
        const milliseconds hold = std::min(attempt_timeout_, until(deadline_, engine_.now()));
        trial_ = engine_.health->claim_trial(model_id, wall, wall + hold);
      }
      if (verdict.state == State::missing || verdict.state == State::breaker_open ||
          (verdict.state == State::trial_available && !trial_)) {
        logger.debug("[{}] skipping {} {}: {}", id_, pool.config.name, pool.config.models[model_],
                     verdict.state == State::missing ? "model missing" : "breaker open");
        ++model_;
        continue;
      }
      model_checked_ = true;
      n_ = 0;
    }
    const std::size_t key_count = pool.config.keys.size();
    if (n_ >= key_count) {
      release_trial();  // never used: let the next caller try
      ++model_;
      model_checked_ = false;
      continue;
    }
    key_ = static_cast<std::size_t>((turn_ + n_) % key_count);
    if (done_[slot()]) {
      ++n_;
      continue;
    }
    const auto key_state = engine_.health->check_route(engine_.route_id(pool_, model_, key_), engine_.health_now());
    if (key_state.state != HealthStore::KeyVerdict::State::usable) {
      logger.debug("[{}] skipping {} {} with {}: {}", id_, pool.config.name, pool.config.models[model_],
                   pool.config.keys[key_].label,
                   key_state.state == HealthStore::KeyVerdict::State::quarantined ? "key quarantined" : "cooling down");
      ++n_;
      continue;
    }
    if (engine_.now() >= deadline_) {
      cut_by_deadline_ = true;
      break;
    }
    retry_ = 0;
    if (!take_budget()) {
      ++n_;  // not done: the key comes back when its window moves on
      continue;
    }
    return attempt();
  }
  if (cut_by_deadline_) reason_ = "request deadline exceeded";
  finish_exhausted(reason_);
  return {};
}

Attempt Walk::attempt_here(AttemptOutcome outcome, TimePoint start, TimePoint end) const {
  const Engine::Pool& pool = engine_.pools[pool_];
  Attempt a;
  a.pool = pool.config.name;
  a.provider = pool.client->provider();
  a.model = pool.config.models[model_];
  a.key_label = pool.config.keys[key_].label;
  a.outcome = outcome;
  a.latency = std::chrono::duration_cast<milliseconds>(end - start);
  return a;
}

void Walk::record(Attempt attempt, TimePoint start, TimePoint end) {
  attempts_.push_back(std::move(attempt));
  ++attempt_count_;
  engine_.observers.attempt_ended(info(), attempts_.back(), pool_, model_, end - start);
}

void Walk::succeeded(Response response, TimePoint start) {
  const Engine::Pool& pool = engine_.pools[pool_];
  const TimePoint end = engine_.now();
  Attempt a = attempt_here(AttemptOutcome::success, start, end);
  a.http_status = 200;
  a.provider_request_id = response.provider_request_id;
  record(std::move(a), start, end);
  if (breaker_pending_ && *breaker_pending_ == std::make_pair(pool_, model_)) breaker_pending_.reset();
  settle_breaker();  // another model failed this request before this one answered
  const HealthTime wall = engine_.health_now();
  engine_.health->record_success(engine_.route_id(pool_, model_, key_), wall);
  engine_.throttle.on_success();
  if (pool.config.rate_budget.tokens > 0) {
    const Usage& u = response.usage;
    const std::int64_t tokens = u.total_tokens > 0 ? u.total_tokens : u.prompt_tokens + u.completion_tokens;
    if (tokens > 0) engine_.health->spend_tokens(engine_.routes.pools[pool_].keys[key_], tokens, wall);
  }
  if (!response.rate_limits.empty()) learn_rate_limits(response.rate_limits, wall);
  if (prefilling_) response.text.insert(0, delivered_);  // the caller holds the start already
  response.pool = pool.config.name;
  response.key_label = pool.config.keys[key_].label;
  response.model = pool.config.models[model_];
  response.request_id = id_;
  response.attempts = std::move(attempts_);
  response_ = std::move(response);
  finished_ = true;
}

void Walk::failed(const Error& e, TimePoint start, bool committed, std::string partial) {
  auto& logger = log();
  const Engine::Pool& pool = engine_.pools[pool_];
  const TimePoint end = engine_.now();
  Attempt a = attempt_here(outcome_of(e.kind()), start, end);
  a.http_status = e.http_status();
  a.retry_after = e.retry_after();
  a.error = e.what();
  a.provider_request_id = e.context().provider_request_id;
  record(std::move(a), start, end);
  logger.debug("[{}] {} {} with {} failed: {}{}", id_, pool.config.name, pool.config.models[model_],
               pool.config.keys[key_].label, e.what(),
               e.context().provider_request_id.empty() ? std::string()
                                                       : " (provider request " + e.context().provider_request_id + ")");

  const bool transient = is_transient(e.kind());
  if (transient) {
    // One outcome per request and model: a trial's failure counts at once (it reopens the
    // breaker); otherwise it counts when the request leaves the model without its answer.
    if (trial_) {
      engine_.health->record_failure(engine_.model_id(pool_, model_), engine_.health_now(), trial_);
    } else if (!breaker_pending_ || *breaker_pending_ != std::make_pair(pool_, model_)) {
      settle_breaker();
      breaker_pending_ = std::make_pair(pool_, model_);
    }
  }
  if (committed) {
    delivered_ += partial;  // a continuation adds to what the caller holds; a restart voided the rest
    cut_attempt_ = attempts_.back();
    if (recovery_of(pool_) == StreamRecovery::surface) {
      if (!transient) release_trial();
      const std::string message =
          "stream interrupted after " + std::to_string(delivered_.size()) + " bytes: " + e.detail();
      ErrorContext context = e.context();
      context.request_id = id_;  // a user's client may not have set it
      StreamInterruptedError error(message, std::move(context), std::move(delivered_), std::move(attempts_));
      std::string what = error.what();
      end_with(std::make_exception_ptr(std::move(error)), ErrorKind::stream_interrupted, std::move(what));
      return;
    }
    logger.debug("[{}] stream cut after {} bytes; recovering on the next route", id_, delivered_.size());
  } else if (prefilling_ && e.kind() == ErrorKind::bad_request) {
    // This route rejects a prefill: ask it again from the start. Never the final error.
    logger.debug("[{}] {} {} rejected the prefill; restarting the stream there", id_, pool.config.name,
                 pool.config.models[model_]);
    prefill_rejected_ = true;
    pending_retry_ = milliseconds(0);
    return;
  }

  if (transient) {
    transient_seen_ = true;
    if (committed) {  // the cut route is not asked again within this request
      release_trial();  // its failure reopened the breaker above, which ended the claim
      move_on(Next::next_key);
      return;
    }
    if (trial_ || engine_.health->breaker_open(engine_.model_id(pool_, model_))) {
      logger.debug("[{}] breaker open for {} {}", id_, pool.config.name, pool.config.models[model_]);
      trial_ = {};
      move_on(Next::next_model);  // the model is failing, whichever key asks
      return;
    }
    const SameRoute rule = same_route_rule(e);
    const bool failing = engine_.health->record_route_failure(engine_.route_id(pool_, model_, key_));
    const int max_retries = rule == SameRoute::never || failing ? 0
                            : rule == SameRoute::once          ? std::min(1, engine_.config.retry.max_retries)
                                                               : engine_.config.retry.max_retries;
    if (failing) {
      logger.debug("[{}] {} {} with {} keeps failing: no retry", id_, pool.config.name, pool.config.models[model_],
                   pool.config.keys[key_].label);
    }
    if (retry_ >= max_retries || !engine_.throttle.allows_retry()) {
      if (retry_ < max_retries) {
        logger.debug("[{}] retry throttled for {} {}", id_, pool.config.name, pool.config.models[model_]);
      }
      move_on(Next::next_key);
      return;
    }
    const milliseconds delay = engine_.backoff.delay(retry_, e.retry_after());
    if (end + delay >= deadline_) {
      cut_by_deadline_ = true;
      move_on(Next::next_key);
      return;
    }
    logger.debug("[{}] retrying {} {} with {} in {} ms", id_, pool.config.name, pool.config.models[model_],
                 pool.config.keys[key_].label, delay.count());
    ++retry_;
    pending_retry_ = delay;
    return;
  }

  release_trial();
  Next next = Next::next_key;
  if (on_failure(e, next)) {
    std::exception_ptr error = std::current_exception();
    // Not called from a handler: keep what we can. A copy of `e` as Error would slice it (a
    // bad_request that no catch of BadRequestError sees), so Error does not copy.
    if (!error) error = std::make_exception_ptr(UnknownError(e.detail(), e.context()));
    end_with(std::move(error), e.kind(), e.what());
    return;
  }
  move_on(next);
}

void Walk::failed_unknown(const std::exception& error, TimePoint start) {
  const TimePoint end = engine_.now();
  Attempt a = attempt_here(AttemptOutcome::unknown_error, start, end);
  a.error = error.what();
  record(std::move(a), start, end);
  release_trial();
  move_on(Next::next_key);
}

void Walk::move_on(Next next) {
  retry_ = 0;
  if (attempts_.empty() || attempts_.back().outcome != AttemptOutcome::rate_limited) {
    done_[slot()] = true;  // rate limits come back through their cooldown instead
  }
  if (next == Next::next_pool) model_ = engine_.pools[pool_].config.models.size() - 1;  // its last model, done
  if (next != Next::next_key) {
    n_ = engine_.pools[pool_].config.keys.size();
  } else {
    ++n_;
  }
}

bool Walk::on_failure(const Error& e, Next& next) {
  const Engine::Pool& pool = engine_.pools[pool_];
  HealthStore& health = *engine_.health;
  const HealthTime now = engine_.health_now();
  const auto& cooldown = engine_.config.cooldown;
  auto& logger = log();
  switch (e.kind()) {
    case ErrorKind::invalid_api_key:
      health.quarantine_key(engine_.routes.pools[pool_].keys[key_], now, after(now, cooldown.invalid_key_ttl));
      logger.debug("[{}] quarantined {} in pool {}", id_, pool.config.keys[key_].label, pool.config.name);
      next = Next::next_key;
      return false;
    case ErrorKind::rate_limit: {
      // Checked: only RateLimitError has this kind, but a cast is no place to trust that.
      const auto* limit = dynamic_cast<const RateLimitError*>(&e);
      const auto scope = limit ? limit->scope() : RateLimitError::Scope::key;
      // A zero hint ("retry now") on a 429 says nothing useful: cool for the default.
      const auto hint = e.retry_after();
      milliseconds wait = hint && hint->count() > 0 ? *hint : cooldown.rate_limit_default;
      if (limit && limit->daily()) wait = std::max(wait, cooldown.daily_limit_minimum);
      if (limit && limit->no_quota()) wait = std::max(wait, cooldown.no_quota);
      if (scope == RateLimitError::Scope::network) {
        // The caller's network is refused: no key of this pool is to blame; try it again later.
        wait = std::max(wait, cooldown.network_block);
        for (std::size_t m = 0; m < pool.config.models.size(); ++m) {
          health.cool_model(engine_.model_id(pool_, m), now, now + wait);
        }
        logger.debug("[{}] pool {} blocks this network: cooling it for {} ms", id_, pool.config.name, wait.count());
        next = Next::next_pool;
        return false;
      }
      if (pool.config.shared_quota || scope == RateLimitError::Scope::provider) {
        health.cool_model(engine_.model_id(pool_, model_), now, now + wait);
        logger.debug("[{}] cooling {} {} for every key for {} ms", id_, pool.config.name, pool.config.models[model_],
                     wait.count());
        next = Next::next_model;
      } else {
        health.cool_route(engine_.route_id(pool_, model_, key_), now, now + wait);
        logger.debug("[{}] cooling {} {} with {} for {} ms", id_, pool.config.name, pool.config.models[model_],
                     pool.config.keys[key_].label, wait.count());
        next = Next::next_key;
      }
      return false;
    }
    case ErrorKind::model_not_found:
      health.mark_missing(engine_.model_id(pool_, model_), now, after(now, cooldown.missing_model_ttl));
      logger.debug("[{}] model {} missing in pool {}: skipped from now on", id_, pool.config.models[model_],
                   pool.config.name);
      next = Next::next_model;
      return false;
    case ErrorKind::bad_request:
      next = Next::next_model;
      if (const auto* bad = dynamic_cast<const BadRequestError*>(&e)) return bad->cause() == BadRequestError::Cause::request;
      return true;  // the request's own fault unless it says otherwise
    case ErrorKind::content_filtered:
      next = Next::next_model;
      return engine_.config.content_filter == ContentFilterPolicy::surface;
    default:
      next = Next::next_key;
      return false;
  }
}

bool Walk::take_budget() {
  const Engine::Pool& pool = engine_.pools[pool_];
  if (!pool.config.rate_budget.enabled()) return true;
  const auto verdict = engine_.health->take_budget(engine_.routes.pools[pool_].keys[key_], engine_.health_now());
  if (verdict.granted) return true;
  const auto spent = std::make_pair(pool_, key_);
  if (std::find(budget_spent_.begin(), budget_spent_.end(), spent) == budget_spent_.end()) budget_spent_.push_back(spent);
  if (!budget_until_ || verdict.until < *budget_until_) budget_until_ = verdict.until;
  log().debug("[{}] skipping {} {} with {}: its rate budget is spent for {} ms", id_, pool.config.name,
              pool.config.models[model_], pool.config.keys[key_].label,
              std::max(until(verdict.until, engine_.health_now()), milliseconds(0)).count());
  return false;
}

void Walk::learn_rate_limits(const RateLimitStatus& limits, HealthTime now) {
  // The later of the exhausted buckets' resets: until then the provider would refuse.
  std::optional<milliseconds> wait;
  for (const RateLimitBucket* bucket : {&limits.requests, &limits.tokens}) {
    if (bucket->remaining && *bucket->remaining == 0 && bucket->reset && bucket->reset->count() > 0 &&
        (!wait || *bucket->reset > *wait)) {
      wait = bucket->reset;
    }
  }
  if (!wait) return;
  const Engine::Pool& pool = engine_.pools[pool_];
  engine_.health->cool_route(engine_.route_id(pool_, model_, key_), now, now + *wait);
  log().debug("[{}] {} {} with {} has no rate limit left: cooling it for {} ms", id_, pool.config.name,
              pool.config.models[model_], pool.config.keys[key_].label, wait->count());
}

void Walk::settle_breaker() {
  if (!breaker_pending_) return;
  const auto [pool, model] = *breaker_pending_;
  breaker_pending_.reset();
  engine_.health->record_failure(engine_.model_id(pool, model), engine_.health_now(), {});
}

void Walk::release_trial() {
  if (trial_) engine_.health->release_trial(engine_.model_id(pool_, model_), trial_);
  trial_ = {};
}

void Walk::finish_exhausted(std::string_view reason) {
  finished_ = true;
  const HealthTime wall = engine_.health_now();
  std::optional<HealthTime> soonest = engine_.health->earliest_cooldown_end(engine_.routes, wall);
  if (budget_until_ && (!soonest || *budget_until_ < *soonest)) soonest = budget_until_;
  std::optional<milliseconds> earliest;
  if (soonest) earliest = std::max(until(*soonest, wall), milliseconds(0));
  std::string why(reason);
  if (!budget_spent_.empty()) {
    const std::size_t keys = budget_spent_.size();
    why += "; the rate budget of " + std::to_string(keys) + (keys == 1 ? " key" : " keys") + " is spent";
  }
  reason = why;
  std::vector<AllModelsFailedError> pool_failures;
  for (const Engine::Pool& pool : engine_.pools) {
    std::vector<Attempt> mine;
    for (const Attempt& a : attempts_) {
      if (a.pool == pool.config.name) mine.push_back(a);
    }
    ErrorContext context;
    context.provider = pool.config.provider;
    pool_failures.emplace_back(pool.config.name, std::move(mine), std::move(context));
  }
  engine_.observers.exhausted(info(), attempts_);
  log().debug("[{}] exhausted after {} attempts: {}", id_, attempts_.size(), reason);
  ErrorContext context;
  context.request_id = id_;
  if (!delivered_.empty()) {
    // The caller holds part of an answer no route could finish: say so, with that text.
    if (cut_attempt_) {
      context.provider = cut_attempt_->provider;
      context.model = cut_attempt_->model;
      context.key_label = cut_attempt_->key_label;
      context.provider_request_id = cut_attempt_->provider_request_id;
    }
    const std::string message = "stream interrupted after " + std::to_string(delivered_.size()) +
                                " bytes and no route could recover it: " + std::string(reason);
    StreamInterruptedError error(message, std::move(context), std::move(delivered_), std::move(attempts_));
    std::string what = error.what();
    end_with(std::make_exception_ptr(std::move(error)), ErrorKind::stream_interrupted, std::move(what));
    return;
  }
  AllClientsExhaustedError error(std::move(attempts_), std::move(pool_failures), earliest, reason, std::move(context));
  std::string what = error.what();
  end_with(std::make_exception_ptr(std::move(error)), ErrorKind::all_clients_exhausted, std::move(what));
}

void Walk::end_with(std::exception_ptr error, ErrorKind kind, std::string message) {
  error_ = std::move(error);
  error_kind_ = kind;
  error_message_ = std::move(message);
  finished_ = true;
}

StreamRecovery Walk::recovery_of(std::size_t pool) const {
  return engine_.pools[pool].config.stream_recovery.value_or(engine_.config.stream_recovery);
}

void Walk::prepare_stream_recovery() {
  prefilling_ = false;
  if (delivered_.empty()) return;
  if (recovery_of(pool_) == StreamRecovery::continue_partial && !prefill_rejected_) {
    prefilled_ = request_;
    prefilled_.messages.push_back(Message::assistant(delivered_));
    prefilling_ = true;
    return;
  }
  StreamRestart restart;
  restart.discarded_bytes = delivered_.size();
  if (cut_attempt_) restart.failed = *cut_attempt_;
  restart_ = std::move(restart);
  delivered_.clear();
}

std::optional<StreamRestart> Walk::take_restart() {
  std::optional<StreamRestart> r = std::move(restart_);
  restart_.reset();
  return r;
}

void Walk::conclude() {
  if (concluded_) return;
  concluded_ = true;
  settle_breaker();
  // The throttle, like the breaker, hears one outcome per request: a key that always fails
  // must not starve the retries that rescue requests on the healthy keys.
  if (error_ && transient_seen_) engine_.throttle.on_failure();
  report_end();  // before the caller gets the outcome
}

void Walk::report_end() {
  if (!started_ || ended_) return;
  ended_ = true;
  if (!engine_.observers.has_listeners()) return;  // the counters have what they need
  RequestEnd end;
  if (!error_kind_ && response_) end.response = &*response_;
  end.error = error_kind_;
  end.error_message = error_message_;
  end.attempts = attempt_count_;
  end.duration = std::chrono::duration_cast<milliseconds>(engine_.now() - started_at_);
  engine_.observers.request_ended(info(), end);
}

void Walk::abandon(std::string_view message) {
  error_kind_ = ErrorKind::unknown;
  error_message_ = std::string(message);
  report_end();
}

std::exception_ptr Walk::cancel(std::string_view reason) {
  ErrorContext context;
  context.request_id = id_;
  CancelledError error(reason, std::move(context));
  error_kind_ = ErrorKind::cancelled;
  error_message_ = error.what();
  report_end();
  return std::make_exception_ptr(std::move(error));
}

Response Walk::result() {
  conclude();
  if (error_) std::rethrow_exception(error_);
  return std::move(*response_);
}

std::exception_ptr Walk::take_error() {
  conclude();
  std::exception_ptr error = std::move(error_);
  error_ = nullptr;
  return error;
}

}  // namespace polyrouter::detail
