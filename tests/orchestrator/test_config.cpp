// Configuration from the environment, a .env file and the JSON config file.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include <polyrouter/polyrouter.hpp>

#include "config/config_file.hpp"
#include "config/dotenv.hpp"

using namespace polyrouter;
using namespace std::chrono_literals;

namespace {

// A scratch directory with files, and environment variables restored on exit.
struct Sandbox {
  std::string dir;
  std::vector<std::string> vars;

  Sandbox() {
    char pattern[] = "/tmp/polyrouter-config-XXXXXX";
    dir = mkdtemp(pattern);
    // Start from a clean slate whatever the machine's environment holds.
    for (const char* prefix : {"GROQ", "GEMINI", "CEREBRAS", "ANTHROPIC", "OPENAI", "LOCAL"}) {
      for (const char* suffix : {"_API_KEY", "_API_KEY0", "_API_KEY1", "_API_KEY2", "_API_KEY3", "_API_KEY7", "_BASE_URL",
                                 "_REQUESTS_PER_MINUTE", "_TOKENS_PER_MINUTE"}) {
        unset(std::string(prefix) + suffix);
      }
    }
    unset("POLYROUTER_CONFIG");
  }
  ~Sandbox() {
    for (const auto& v : vars) unsetenv(v.c_str());
    std::system(("rm -rf '" + dir + "'").c_str());
  }
  void set(const std::string& name, const std::string& value) {
    setenv(name.c_str(), value.c_str(), 1);
    vars.push_back(name);
  }
  void unset(const std::string& name) { unsetenv(name.c_str()); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  EnvOptions options(const std::string& env_file = "", const std::string& config = "") {
    EnvOptions o;
    o.env_file = env_file.empty() ? dir + "/absent.env" : env_file;
    o.config_file = config;
    return o;
  }
};

std::vector<std::string> labels(const PoolConfig& p) {
  std::vector<std::string> out;
  for (const auto& k : p.keys) out.push_back(k.label);
  return out;
}

}  // namespace

TEST_CASE(".env parsing: comments, quotes, export, inline comments", "[config][dotenv]") {
  const auto vars = detail::parse_dotenv(
      "# a comment\n"
      "\n"
      "GROQ_API_KEY0=gsk_plain\n"
      "export GROQ_API_KEY1 = 'gsk single # not a comment'\n"
      "GEMINI_API_KEY0=\"AIza \\\"quoted\\\"\\n\"  # trailing comment\n"
      "CEREBRAS_API_KEY0=csk-value # inline comment\n"
      "EMPTY=\n",
      ".env");
  REQUIRE(vars.size() == 5);
  CHECK(vars[0] == std::make_pair(std::string("GROQ_API_KEY0"), std::string("gsk_plain")));
  CHECK(vars[1].second == "gsk single # not a comment");
  CHECK(vars[2].second == "AIza \"quoted\"\n");
  CHECK(vars[3].second == "csk-value");
  CHECK(vars[4].second.empty());
}

TEST_CASE(".env errors name the file and line", "[config][dotenv]") {
  auto message = [](const std::string& text) {
    try {
      detail::parse_dotenv(text, "my.env");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("A=1\nno equals sign\n"), Catch::Contains("my.env:2"));
  CHECK_THAT(message("1BAD=x\n"), Catch::Contains("invalid variable name"));
  CHECK_THAT(message("A=\"unterminated\n"), Catch::Contains("unterminated quote"));
  CHECK_THAT(message("A='x' trailing\n"), Catch::Contains("unexpected text"));
}

TEST_CASE("from_env reads numbered keys with gaps, in index order, env over .env", "[config][env]") {
  Sandbox box;
  const std::string env_file = box.write(".env",
                                         "GROQ_API_KEY0=from-file-0\n"
                                         "GROQ_API_KEY3=from-file-3\n"
                                         "GEMINI_API_KEY0=gem-file\n");
  box.set("GROQ_API_KEY0", "from-env-0");
  box.set("GROQ_API_KEY7", "from-env-7");
  box.set("GROQ_BASE_URL", "http://127.0.0.1:9");
  const OrchestratorConfig config = config_from_env(box.options(env_file));
  REQUIRE(config.pools.size() == 2);  // no Cerebras key: that pool is left out
  CHECK(config.pools[0].name == "groq");
  CHECK(labels(config.pools[0]) == std::vector<std::string>{"GROQ_API_KEY0", "GROQ_API_KEY3", "GROQ_API_KEY7"});
  CHECK(config.pools[0].keys[0].value == "from-env-0");  // the environment wins
  CHECK(config.pools[0].keys[1].value == "from-file-3");
  CHECK(config.pools[0].base_url == "http://127.0.0.1:9");
  CHECK(config.pools[0].models == std::vector<std::string>{"openai/gpt-oss-120b", "openai/gpt-oss-20b"});
  CHECK(config.pools[1].name == "gemini");
  CHECK(config.pools[1].models == std::vector<std::string>{"gemini-2.5-flash", "gemini-3-flash-preview"});
}

TEST_CASE("from_env finds Anthropic and OpenAI by the names their SDKs use", "[config][env][anthropic]") {
  Sandbox box;
  box.set("ANTHROPIC_API_KEY1", "a1");
  box.set("ANTHROPIC_API_KEY", "a");
  box.set("ANTHROPIC_API_KEY0", "a0");
  box.set("OPENAI_API_KEY0", "o0");
  SECTION("defaults") {
    const OrchestratorConfig config = config_from_env(box.options());
    REQUIRE(config.pools.size() == 2);
    CHECK(config.pools[0].name == "anthropic");
    CHECK(config.pools[0].provider == Provider("anthropic"));
    CHECK(labels(config.pools[0]) == std::vector<std::string>{"ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY0", "ANTHROPIC_API_KEY1"});
    CHECK(config.pools[0].models == std::vector<std::string>{"claude-sonnet-4-6", "claude-haiku-4-5"});
    CHECK(config.pools[0].base_url.empty());  // the descriptor's https://api.anthropic.com
    CHECK(config.pools[1].name == "openai");
    CHECK(config.pools[1].models == std::vector<std::string>{"gpt-4o-mini"});
  }
  SECTION("ANTHROPIC_BASE_URL is the root, as the SDK takes it; the file names the pool like any other") {
    box.set("ANTHROPIC_BASE_URL", "http://127.0.0.1:9");
    const std::string path = box.write("polyrouter.json", R"({"provider_order": ["anthropic"],
      "providers": {"anthropic": {"models": ["claude-haiku-4-5"], "key_count": 2}}})");
    const OrchestratorConfig config = config_from_env(box.options("", path));
    REQUIRE(config.pools.size() == 1);
    CHECK(config.pools[0].base_url == "http://127.0.0.1:9");
    CHECK(config.pools[0].models == std::vector<std::string>{"claude-haiku-4-5"});
    CHECK(labels(config.pools[0]) == std::vector<std::string>{"ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY0"});
    auto client = std::dynamic_pointer_cast<WireClient>(make_client(config.pools[0]));
    REQUIRE(client);
    CHECK(client->api_base() == "http://127.0.0.1:9/v1");
  }
}

TEST_CASE("from_env with no key at all raises NoApiKeysError", "[config][env]") {
  Sandbox box;
  SECTION("naming the .env file it read") {
    EnvOptions options = box.options();
    CHECK_THROWS_WITH(config_from_env(options),
                      Catch::Contains("no API key found in the environment or " + options.env_file + " (set GROQ_API_KEY0"));
  }
  SECTION("without a .env file") {
    EnvOptions options = box.options();
    options.env_file.clear();
    CHECK_THROWS_WITH(config_from_env(options), Catch::Contains("no API key found in the environment (set GROQ_API_KEY0"));
  }
  CHECK_THROWS_AS(config_from_env(box.options()), NoApiKeysError);
}

TEST_CASE("the JSON config carries models, order, key counts and policies", "[config][file]") {
  Sandbox box;
  box.set("GROQ_API_KEY0", "g0");
  box.set("GROQ_API_KEY1", "g1");
  box.set("GROQ_API_KEY2", "g2");
  box.set("CEREBRAS_API_KEY0", "c0");
  const std::string path = box.write("polyrouter.json", R"({
    "debug": false,
    "provider_order": ["cerebras", "groq", "local"],
    "system_prompt": "Be brief.",
    "round_robin": true,
    "content_filter": "next",
    "providers": {
      "groq": {"models": ["openai/gpt-oss-20b"], "key_count": 2, "shared_quota": true},
      "cerebras": {"base_url": "http://127.0.0.1:8"}
    },
    "openai_compatible": [{"name": "local", "base_url": "http://127.0.0.1:8080/v1", "models": ["qwen"]}],
    "retry": {"max_retries": 4, "initial_backoff_ms": 10, "max_backoff_ms": 100, "jitter": 0.1,
              "throttle": false},
    "cooldown": {"rate_limit_default_ms": 5000, "invalid_key_ttl_ms": 3600000, "missing_model_ttl_ms": null},
    "breaker": {"failure_ratio": 0.25, "minimum_requests": 8, "window_ms": 5000, "open_ms": 2000, "max_open_ms": 9000},
    "timeouts": {"connect_ms": 1000, "attempt_ms": 2000, "total_ms": 9000, "max_wait_ms": 500},
    "max_response_bytes": 65536
  })");
  const OrchestratorConfig c = config_from_env(box.options("", path));
  REQUIRE(c.pools.size() == 3);
  CHECK(c.pools[0].name == "cerebras");
  CHECK(c.pools[0].base_url == "http://127.0.0.1:8");
  CHECK(c.pools[1].name == "groq");
  CHECK(labels(c.pools[1]) == std::vector<std::string>{"GROQ_API_KEY0", "GROQ_API_KEY1"});
  CHECK(c.pools[1].shared_quota);
  CHECK(c.pools[1].models == std::vector<std::string>{"openai/gpt-oss-20b"});
  CHECK(c.pools[2].name == "local");
  CHECK(c.pools[2].provider == Provider::openai_compatible);
  CHECK(c.pools[2].base_url == "http://127.0.0.1:8080/v1");
  CHECK(c.system_prompt == "Be brief.");
  CHECK(c.round_robin);
  CHECK(c.content_filter == ContentFilterPolicy::next);
  CHECK(c.retry.max_retries == 4);
  CHECK(c.retry.initial_backoff == 10ms);
  CHECK_FALSE(c.retry_throttle.enabled);
  CHECK(c.cooldown.rate_limit_default == 5s);
  CHECK(c.cooldown.invalid_key_ttl == std::optional<std::chrono::milliseconds>(1h));
  CHECK_FALSE(c.cooldown.missing_model_ttl.has_value());
  CHECK(c.breaker.failure_ratio == 0.25);
  CHECK(c.breaker.minimum_requests == 8);
  CHECK(c.breaker.window == 5s);
  CHECK(c.breaker.open_duration == 2s);
  CHECK(c.breaker.max_open_duration == 9s);
  CHECK(c.timeouts.total == 9s);
  CHECK(c.timeouts.max_wait == 500ms);
  CHECK(c.http.max_response_bytes == 65536);
  Orchestrator orchestrator(c);  // and it builds
  CHECK(orchestrator.health().pools.size() == 3);
}

TEST_CASE("POLYROUTER_CONFIG names the config file", "[config][file]") {
  Sandbox box;
  box.set("GROQ_API_KEY0", "g0");
  box.set("POLYROUTER_CONFIG", box.write("custom.json", R"({"providers": {"groq": {"models": ["x"]}}})"));
  const OrchestratorConfig c = config_from_env(box.options());
  REQUIRE(c.pools.size() == 1);
  CHECK(c.pools[0].models == std::vector<std::string>{"x"});
}

TEST_CASE("config file errors name the file and the field", "[config][file]") {
  OrchestratorConfig defaults;
  auto message = [&](const std::string& text) {
    try {
      detail::parse_config(text, "conf.json", defaults);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("{not json"), Catch::Contains("conf.json: not valid JSON"));
  CHECK_THAT(message("[]"), Catch::Contains("must be an object"));
  CHECK_THAT(message(R"({"debugg": true})"), Catch::Contains("conf.json: field 'debugg' is not a known setting"));
  CHECK_THAT(message(R"({"debug": "yes"})"), Catch::Contains("field 'debug' must be true or false"));
  CHECK_THAT(message(R"({"providers": {"openia": {}}})"), Catch::Contains("field 'providers.openia' is not a known provider"));
  CHECK_THAT(message(R"({"providers": {"groq": {"models": []}}})"), Catch::Contains("'providers.groq.models' must not be empty"));
  CHECK_THAT(message(R"({"providers": {"groq": {"models": "m"}}})"), Catch::Contains("'providers.groq.models' must be a list"));
  CHECK_THAT(message(R"({"providers": {"groq": {"key_count": -1}}})"), Catch::Contains("'providers.groq.key_count' must be an integer"));
  CHECK_THAT(message(R"({"providers": {"groq": {"modles": ["m"]}}})"), Catch::Contains("'providers.groq.modles' is not a known"));
  CHECK_THAT(message(R"({"retry": {"max_retries": 1.5}})"), Catch::Contains("'retry.max_retries' must be an integer"));
  CHECK_THAT(message(R"({"retry": {"jitter": 2}})"), Catch::Contains("'retry.jitter' must be a number within [0, 1]"));  // as the README quotes it
  CHECK_THAT(message(R"({"timeouts": {"total_ms": 0}})"), Catch::Contains("'timeouts.total_ms' must be an integer"));
  CHECK_THAT(message(R"({"cooldown": {"invalid_key_ttl_ms": "forever"}})"), Catch::Contains("'cooldown.invalid_key_ttl_ms' must be null"));
  CHECK_THAT(message(R"({"content_filter": "ignore"})"), Catch::Contains("'content_filter' must be"));
  CHECK_THAT(message(R"({"openai_compatible": [{"name": "x", "models": ["m"]}]})"), Catch::Contains("'openai_compatible[0].base_url' is required"));
  CHECK_THAT(message(R"({"openai_compatible": {}})"), Catch::Contains("'openai_compatible' must be a list"));
}

TEST_CASE("a number no double or clock holds is a ConfigError naming its field", "[config][file]") {
  Sandbox box;
  box.set("GROQ_API_KEY0", "g0");
  auto message = [&](const std::string& text) {
    try {
      config_from_env(box.options("", box.write("overflow.json", text)));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message(R"({"retry": {"jitter": 1e400}})"), Catch::Contains("overflow.json: field 'retry.jitter'"));
  CHECK_THAT(message(R"({"debug": false, "timeouts": {"connect_ms": 5, "total_ms": -1e999}})"),
             Catch::Contains("field 'timeouts.total_ms'"));
  // Durations a clock cannot add to its time points are refused as well.
  CHECK_THAT(message(R"({"cooldown": {"invalid_key_ttl_ms": 9223372036854775807}})"),
             Catch::Contains("'cooldown.invalid_key_ttl_ms' must be null (forever) or milliseconds within [0, 10^12]"));
  CHECK_THAT(message(R"({"breaker": {"open_ms": 18446744073709551615}})"), Catch::Contains("'breaker.open_ms' must be"));
  CHECK_THAT(message(R"({"timeouts": {"total_ms": 1000000000001}})"), Catch::Contains("'timeouts.total_ms' must be"));
  CHECK_THAT(message(R"({"providers": {"groq": {"models": ["m"]}}, "retry": {"multiplier": 2,
             "max_retries": 1E+400}})"), Catch::Contains("field 'retry.max_retries'"));
}

TEST_CASE("provider_order naming an unknown provider is an error; a missing file too", "[config][file]") {
  Sandbox box;
  box.set("GROQ_API_KEY0", "g0");
  const std::string path = box.write("p.json", R"({"provider_order": ["groq", "mistral"]})");
  CHECK_THROWS_WITH(config_from_env(box.options("", path)), Catch::Contains("unknown provider 'mistral'"));
  CHECK_THROWS_AS(config_from_env(box.options("", box.dir + "/absent.json")), ConfigError);
}

TEST_CASE("debug flags in the config raise the library's log level", "[config][file]") {
  Sandbox box;
  box.set("GROQ_API_KEY0", "g0");
  config_from_env(box.options("", box.write("d.json", R"({"debug": true})")));
  CHECK(log_level() == LogLevel::debug);
  config_from_env(box.options("", box.write("t.json", R"({"in_depth_debug": true})")));
  CHECK(log_level() == LogLevel::trace);
  set_log_level(LogLevel::off);
}

TEST_CASE("a base URL that cannot be called is a ConfigError naming the setting, at construction", "[config][url]") {
  SECTION("from the environment: set but empty is a mistake, not the provider's default") {
    Sandbox box;
    box.set("GROQ_API_KEY0", "g0");
    box.set("GROQ_BASE_URL", "");
    CHECK_THROWS_AS(config_from_env(box.options()), ConfigError);
    CHECK_THROWS_WITH(config_from_env(box.options()), Catch::Contains("GROQ_BASE_URL") && Catch::Contains("empty"));
  }
  SECTION("from the environment: no scheme, a wrong scheme, no host") {
    for (const char* url : {"not a url", "htp:/x", "ftp://example.com", "http://", "https:///v1", "localhost:8080"}) {
      INFO(url);
      Sandbox box;
      box.set("CEREBRAS_API_KEY0", "c0");
      box.set("CEREBRAS_BASE_URL", url);
      CHECK_THROWS_WITH(config_from_env(box.options()),
                        Catch::Contains("CEREBRAS_BASE_URL: '" + std::string(url) + "'"));
    }
  }
  SECTION("from the config file") {
    Sandbox box;
    box.set("GEMINI_API_KEY0", "k0");
    const std::string path = box.write("u.json", R"({"providers": {"gemini": {"base_url": "htp:/x"}}})");
    CHECK_THROWS_WITH(config_from_env(box.options("", path)),
                      Catch::Contains("u.json") && Catch::Contains("base_url") && Catch::Contains("htp:/x"));
  }
  SECTION("from code: the Orchestrator refuses it when it is built") {
    for (const char* url : {"not a url", "htp:/x", "http://exa mple.com"}) {
      INFO(url);
      OrchestratorConfig config;
      config.pools = {PoolConfig{Provider::groq, {"m"}, {"k"}, url}};
      CHECK_THROWS_AS(Orchestrator{config}, ConfigError);
      CHECK_THROWS_WITH(Orchestrator{config}, Catch::Contains("pool 'groq' base_url"));
    }
  }
  SECTION("URLs that can be called pass") {
    for (const char* url : {"http://127.0.0.1:8080", "https://api.groq.com", "HTTPS://Example.com/openai",
                            "http://[::1]:9000/v1", "http://user:pass@proxy.local:3128"}) {
      INFO(url);
      OrchestratorConfig config;
      config.pools = {PoolConfig{Provider::groq, {"m"}, {"k"}, url}};
      CHECK_NOTHROW(Orchestrator{config});
    }
  }
}

TEST_CASE("the config file sets stream recovery, per pool too, and the lasting cooldowns", "[config][file]") {
  Sandbox box;
  box.set("GROQ_API_KEY0", "g0");
  box.set("CEREBRAS_API_KEY0", "c0");
  const std::string path = box.write("r.json", R"({"stream_recovery": "surface",
      "providers": {"cerebras": {"stream_recovery": "continue_partial"}},
      "cooldown": {"no_quota_ms": 7200000, "network_block_ms": 60000}, "retry": {"route_failure_limit": 0}})");
  const OrchestratorConfig c = config_from_env(box.options("", path));
  CHECK(c.stream_recovery == StreamRecovery::surface);
  CHECK(c.cooldown.no_quota == 2h);
  CHECK(c.cooldown.network_block == 1min);
  CHECK(c.retry.route_failure_limit == 0);
  for (const PoolConfig& p : c.pools) {
    INFO(p.name);
    if (p.name == "cerebras") {
      CHECK(p.stream_recovery == StreamRecovery::continue_partial);
    } else {
      CHECK_FALSE(p.stream_recovery.has_value());
    }
  }
  CHECK_THROWS_WITH(config_from_env(box.options("", box.write("bad.json", R"({"stream_recovery": "retry"})"))),
                    Catch::Contains("field 'stream_recovery' must be \"restart\", \"continue_partial\" or \"surface\""));
}

TEST_CASE("rate budgets come from the config file and the environment, the environment winning", "[config][budget]") {
  Sandbox box;
  box.set("GROQ_API_KEY0", "g0");
  box.set("CEREBRAS_API_KEY0", "c0");
  box.set("GEMINI_API_KEY0", "m0");
  box.set("LOCAL_API_KEY0", "l0");
  const std::string path = box.write("polyrouter.json", R"({
    "provider_order": ["groq", "cerebras", "gemini", "local"],
    "providers": {
      "groq": {"rate_budget": {"requests_per_minute": 30, "tokens_per_minute": 6000}},
      "cerebras": {"rate_budget": {"tokens_per_minute": 60000}}
    },
    "openai_compatible": [{"name": "local", "base_url": "http://127.0.0.1:8080/v1", "models": ["q"],
                           "rate_budget": {"requests_per_minute": 5}}]
  })");
  box.set("CEREBRAS_REQUESTS_PER_MINUTE", "100");
  box.set("GEMINI_TOKENS_PER_MINUTE", "250000");
  const OrchestratorConfig c = config_from_env(box.options("", path));
  REQUIRE(c.pools.size() == 4);
  CHECK(c.pools[0].rate_budget.requests == 30);
  CHECK(c.pools[0].rate_budget.tokens == 6000);
  CHECK(c.pools[0].rate_budget.window == std::chrono::minutes(1));
  CHECK(c.pools[1].rate_budget.requests == 100);  // from the environment
  CHECK(c.pools[1].rate_budget.tokens == 60000);  // from the file
  CHECK(c.pools[2].rate_budget.requests == 0);
  CHECK(c.pools[2].rate_budget.tokens == 250000);
  CHECK(c.pools[3].rate_budget.requests == 5);
  box.set("GROQ_REQUESTS_PER_MINUTE", "7");
  CHECK(config_from_env(box.options("", path)).pools[0].rate_budget.requests == 7);
  box.unset("GROQ_REQUESTS_PER_MINUTE");
  box.unset("CEREBRAS_REQUESTS_PER_MINUTE");
  box.unset("GEMINI_TOKENS_PER_MINUTE");
  // No budget anywhere: none.
  CHECK_FALSE(config_from_env(box.options()).pools[0].rate_budget.enabled());
}

TEST_CASE("a bad rate budget is a ConfigError naming the setting", "[config][budget]") {
  OrchestratorConfig defaults;
  auto message = [&](const std::string& text) {
    try {
      detail::parse_config(text, "conf.json", defaults);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message(R"({"providers": {"groq": {"rate_budget": {"requests_per_minute": 0}}}})"),
             Catch::Contains("'providers.groq.rate_budget.requests_per_minute' must be an integer >= 1"));
  CHECK_THAT(message(R"({"providers": {"groq": {"rate_budget": {"tokens_per_minute": "lots"}}}})"),
             Catch::Contains("'providers.groq.rate_budget.tokens_per_minute' must be an integer >= 1"));
  CHECK_THAT(message(R"({"providers": {"groq": {"rate_budget": {"rpm": 5}}}})"),
             Catch::Contains("'providers.groq.rate_budget.rpm' is not a known setting"));
  CHECK_THAT(message(R"({"providers": {"groq": {"rate_budget": {}}}})"),
             Catch::Contains("'providers.groq.rate_budget' must set requests_per_minute or tokens_per_minute"));
  CHECK_THAT(message(R"({"providers": {"groq": {"rate_budget": 30}}})"),
             Catch::Contains("'providers.groq.rate_budget' must be an object"));
  CHECK(message(R"({"providers": {"groq": {"rate_budget": {"requests_per_minute": 30}}}})") == "no error");

  Sandbox box;
  box.set("GROQ_API_KEY0", "g0");
  for (const char* bad : {"", "ten", "-5", "0", "1.5", "30 ", "99999999999"}) {
    INFO("'" << bad << "'");
    box.set("GROQ_REQUESTS_PER_MINUTE", bad);
    const auto error = [&] {
      try {
        config_from_env(box.options());
      } catch (const ConfigError& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    }();
    CHECK_THAT(error, Catch::Contains("GROQ_REQUESTS_PER_MINUTE must be a whole number"));
  }
  box.unset("GROQ_REQUESTS_PER_MINUTE");
  box.set("GROQ_TOKENS_PER_MINUTE", "x");
  CHECK_THROWS_WITH(config_from_env(box.options()), Catch::Contains("GROQ_TOKENS_PER_MINUTE"));
}
