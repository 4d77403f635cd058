// The provider registry: names, environment variables and clients come from one descriptor per
// provider.

#include <catch2/catch.hpp>

#include <cstdlib>

#include <polyrouter/polyrouter.hpp>
#include <polyrouter/sim/simulator.hpp>

using namespace polyrouter;

namespace {

// Sets variables for one test and restores the environment after it.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const char* prefix : {"GROQ", "GEMINI", "CEREBRAS", "OPENAI", "ANTHROPIC"}) {
      for (const char* suffix : {"_API_KEY", "_API_KEY0", "_API_KEY1", "_BASE_URL"}) {
        unset(std::string(prefix) + suffix);
      }
    }
    for (const auto& [name, value] : vars) set(name, value);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  void remember(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
  }
  void set(const std::string& name, const std::string& value) {
    remember(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    remember(name);
    ::unsetenv(name.c_str());
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace

TEST_CASE("the registry knows the built-in providers by name", "[seams][registry]") {
  for (const char* name : {"groq", "gemini", "cerebras", "openai", "openai_compatible"}) {
    INFO(name);
    const auto p = provider_from_string(name);
    REQUIRE(p);
    CHECK(to_string(*p) == name);
  }
  CHECK(provider_from_string("groq") == Provider::groq);
  CHECK_FALSE(provider_from_string("nope"));
  CHECK(Provider("groq") == Provider::groq);  // a name is its identity
}

TEST_CASE("OpenAI by name: OPENAI_API_KEY0 and OPENAI_BASE_URL (with its version path) are enough",
          "[seams][registry]") {
  sim::Simulator sim;  // answers the OpenAI protocol under /v1
  const std::string base = sim.url() + "/v1";
  ScopedEnv env{{"OPENAI_API_KEY0", "sk-openai-0"}, {"OPENAI_BASE_URL", base.c_str()}};
  EnvOptions where;
  where.env_file = "";
  where.config_file = "";
  const OrchestratorConfig config = config_from_env(where);
  REQUIRE(config.pools.size() == 1);
  CHECK(config.pools[0].name == "openai");
  CHECK(config.pools[0].provider == Provider("openai"));
  CHECK(config.pools[0].base_url == base);
  CHECK(config.pools[0].keys.at(0).label == "OPENAI_API_KEY0");
  Orchestrator orchestrator(config);
  const Response r = orchestrator.request("hello");
  CHECK_FALSE(r.text.empty());
  CHECK(to_string(r.provider) == "openai");
  CHECK(sim.hits("cerebras") == 1);  // the simulator serves /v1 with the Cerebras (OpenAI) wire
}

TEST_CASE("OPENAI_API_KEY without an index is read too", "[seams][registry]") {
  ScopedEnv env{{"OPENAI_API_KEY", "sk-openai"}};
  EnvOptions where;
  where.env_file = "";
  const OrchestratorConfig config = config_from_env(where);
  REQUIRE(config.pools.size() == 1);
  CHECK(config.pools[0].keys.at(0).label == "OPENAI_API_KEY");
  CHECK(config.pools[0].base_url.empty());  // the registry's default root
}

TEST_CASE("a pool naming a provider the registry does not know needs its own client", "[seams][registry]") {
  OrchestratorConfig config;
  config.pools = {{Provider("mystery"), {"m"}, {"k"}, "http://127.0.0.1:9"}};
  try {
    Orchestrator orchestrator(config);
    FAIL("constructed");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("no provider named 'mystery'"));
  }
}
