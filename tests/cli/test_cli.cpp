// The `polyrouter` command as a user runs it: a child process with an environment built from
// scratch, pointed at an in-process simulator. Checks output, --json shapes, exit codes, and that
// no key ever appears in stdout or stderr.

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "polyrouter/sim/simulator.hpp"
#include "../streaming/stream_server.hpp"
#include "process.hpp"

using nlohmann::json;
using polyrouter::test::ProcessResult;

namespace {

// Realistic-looking fake keys; the simulator scripts its behaviour by key value.
const std::string groq_ok = "gsk_Qm7TzR2vLx9WcN4bH8pK1sJd6FgY3eUa5iOo0lVnXrCtBqZw";
const std::string groq_bad = "gsk_Bd4Lq8ZrT1xWm6NcV3pY9hKs2JfG7aUe5RoI0tMnXvCbPlQy";
const std::string groq_limited = "gsk_Lm2Xw9RtQ5zN8cVb1HpK7sJd4FgY6eUa3iOo0lTnBrCvMqZe";
const std::string groq_reject = "gsk_Rj6Nq3ZtW8xLm1VcB5pY2hKs9JfG4aUe7TdI0oMnXvCbPlHy";
const std::string gemini_bad = "AIzaGb7Kp2Lq9Xw4Rt8Zn1Vc6Mb3Hs5Jd0Fy";
const std::string cerebras_ok = "csk-Co3Pn8Qw5Lx2Rz9Tv6Mb1Kc4Hs7Jd0Fy5Gu8Ae2Wi3";
const std::string groq_cut = "gsk_Ct5Wq2ZrN8xLm4VcB1pY7hKs3JfG9aUe6TdI0oMnXvCbPlRy";
const std::string anthropic_ok = "sk-ant-api03-Ah7Kq2Lw9Xr4Tz8Nv1Bc6Mp3Hs5Jd0FyGu8Ae2Wi3Ro7Qn";
const std::string openai_ok = "sk-proj-Op4Nq8Zw2Lx7Rt1Vc5Mb9Kh3Js6Df0Gy4Ua8Ie2Wo7Pn";

const std::vector<std::string> all_keys{groq_ok,    groq_bad, groq_limited, groq_reject, gemini_bad,
                                        cerebras_ok, groq_cut, anthropic_ok, openai_ok};

json scenario() {
  return json{
      {"models",
       {{"groq", {"openai/gpt-oss-120b", "openai/gpt-oss-20b"}},
        {"gemini", {"gemini-2.5-flash"}},
        {"cerebras", {"gpt-oss-120b"}}}},
      {"rules",
       {
           {{"key", groq_bad}, {"behavior", "invalid_key"}},
           {{"key", gemini_bad}, {"behavior", "invalid_key"}},
           {{"key", groq_limited}, {"behavior", "rate_limit"}, {"retry_after_s", 42}},
           {{"key", groq_reject}, {"behavior", "server_error"}, {"status", 400}},
           {{"key", groq_cut}, {"behavior", "stream_cut"}, {"after_chunks", 3}, {"text", "Groq starts but is cut off"}},
           {{"provider", "groq"}, {"key", groq_ok}, {"behavior", "ok"}, {"text", "Groq answers."}},
           {{"provider", "anthropic"}, {"key", anthropic_ok}, {"behavior", "ok"}, {"text", "Claude answers."}},
           {{"provider", "cerebras"}, {"behavior", "ok"}, {"text", "Cerebras answers."}},
       }},
  };
}

// Any 8 characters of a key in the output count as a leak (a masked key shows at most 4).
bool leaks(const std::string& text, const std::string& key) {
  for (std::size_t i = 0; i + 8 <= key.size(); ++i) {
    if (text.find(key.substr(i, 8)) != std::string::npos) return true;
  }
  return false;
}

class Cli {
 public:
  explicit Cli(json sim_scenario = scenario()) : sim_(std::move(sim_scenario)) {
    char pattern[] = "/tmp/polyrouter-cli-test.XXXXXX";
    const char* made = mkdtemp(pattern);
    REQUIRE(made != nullptr);
    dir_ = made;
  }
  ~Cli() {
    for (const std::string& f : files_) std::remove(f.c_str());
    rmdir(dir_.c_str());
  }
  Cli(const Cli&) = delete;
  Cli& operator=(const Cli&) = delete;

  /// Writes @p text to a file in the working directory; returns its path.
  std::string file(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    files_.push_back(path);
    return path;
  }

  /// Runs polyrouter with @p args and only @p keys ("GROQ_API_KEY0=...") plus the simulator's
  /// base URLs in its environment (unless @p keys sets one), in an empty directory. Sends
  /// SIGINT once stdout contains @p interrupt_when_out_has, when that is not empty.
  ProcessResult run(const std::vector<std::string>& args, const std::vector<std::string>& keys,
                    const std::string& stdin_text = {}, const std::string& interrupt_when_out_has = {}) {
    std::vector<std::string> env = keys;
    for (const char* name : {"GROQ_BASE_URL", "GEMINI_BASE_URL", "CEREBRAS_BASE_URL"}) {
      const std::string set = std::string(name) + "=";
      const bool given = std::any_of(keys.begin(), keys.end(), [&](const std::string& e) { return e.rfind(set, 0) == 0; });
      if (!given) env.push_back(set + sim_.url());
    }
    return run_with_only(args, env, stdin_text, interrupt_when_out_has);
  }

  /// Runs polyrouter with exactly @p env (plus sanitizer settings) in its environment.
  ProcessResult run_with_only(const std::vector<std::string>& args, std::vector<std::string> env,
                              const std::string& stdin_text = {}, const std::string& interrupt_when_out_has = {}) {
    std::vector<std::string> argv{POLYROUTER_CLI_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    // Sanitizer builds keep their settings in the child.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
      if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
    }
    ProcessResult result = polyrouter::test::run_process(argv, env, dir_, stdin_text, std::chrono::seconds(30),
                                                         interrupt_when_out_has);
    INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
    REQUIRE_FALSE(result.timed_out);
    for (const std::string& key : all_keys) {
      INFO("key leaked: " << key.substr(0, 4) << "...");
      CHECK_FALSE(leaks(result.out + result.err, key));
    }
    return result;
  }

  polyrouter::sim::Simulator& sim() { return sim_; }

 private:
  polyrouter::sim::Simulator sim_;
  std::string dir_;
  std::vector<std::string> files_;
};

std::string key_env(const std::string& name, const std::string& key) { return name + "=" + key; }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// An OpenAI-style stream "Hel" + "lo"; the server holds "lo" until open_gate().
void script_hello_held(polyrouter::test::StreamServer& server) {
  const auto chunk = [](const std::string& text, const char* finish) {
    const json c{{"object", "chat.completion.chunk"},
                 {"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", finish ? json(finish) : json()}}}}};
    return polyrouter::test::sse(c.dump());
  };
  server.script({{chunk("Hel", nullptr)}, {chunk("lo", "stop"), /*wait_for_gate=*/true}, {polyrouter::test::sse("[DONE]")}});
}

}  // namespace

TEST_CASE("ask prints the answer", "[cli][ask]") {
  Cli cli;
  const auto r = cli.run({"ask", "Why", "is", "the", "sky", "blue?"},
                         {key_env("GROQ_API_KEY0", groq_bad), key_env("GROQ_API_KEY1", groq_ok)});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Groq answers.\n");
  CHECK(r.err.empty());
  CHECK(cli.sim().hits("groq", groq_bad) == 1);
  CHECK(cli.sim().hits("groq", groq_ok) == 1);
}

TEST_CASE("ask --json prints one object with the answer and every attempt", "[cli][ask][json]") {
  Cli cli;
  const auto r = cli.run({"ask", "--json", "Why is the sky blue?"},
                         {key_env("GROQ_API_KEY0", groq_bad), key_env("GROQ_API_KEY1", groq_ok)});
  REQUIRE(r.exit_code == 0);
  const json out = json::parse(r.out);
  CHECK(out["text"] == "Groq answers.");
  CHECK(out["provider"] == "groq");
  CHECK(out["model"] == "openai/gpt-oss-120b");
  CHECK(out["key"] == "GROQ_API_KEY1");
  CHECK(out["finish_reason"] == "stop");
  REQUIRE(out["usage"].is_object());
  for (const char* field : {"prompt_tokens", "completion_tokens", "total_tokens"}) {
    CHECK(out["usage"][field].is_number_integer());
  }
  REQUIRE(out["attempts"].is_array());
  REQUIRE(out["attempts"].size() == 2);
  for (const json& a : out["attempts"]) {
    for (const char* field : {"provider", "model", "key", "outcome", "status", "latency_ms"}) {
      INFO(field);
      CHECK(a.contains(field));
    }
    CHECK(a["latency_ms"].is_number_integer());
  }
  CHECK(out["attempts"][0]["provider"] == "groq");
  CHECK(out["attempts"][0]["key"] == "GROQ_API_KEY0");
  CHECK(out["attempts"][0]["outcome"] == "invalid_key");
  CHECK(out["attempts"][0]["status"] == 401);
  CHECK(out["attempts"][1]["key"] == "GROQ_API_KEY1");
  CHECK(out["attempts"][1]["outcome"] == "success");
  CHECK(out["attempts"][1]["status"] == 200);
}

TEST_CASE("ask reads the prompt from stdin", "[cli][ask]") {
  Cli cli;
  const std::vector<std::string> keys{key_env("GROQ_API_KEY0", groq_ok)};
  SECTION("with no prompt argument") {
    const auto r = cli.run({"ask", "-vv"}, keys, "hello from stdin\n");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Groq answers.\n");
    CHECK(contains(r.err, "hello from stdin"));  // the trace log shows the request body
  }
  SECTION("with - as the prompt") {
    const auto r = cli.run({"ask", "-"}, keys, "a question on stdin");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Groq answers.\n");
  }
  SECTION("an empty stdin is a usage error") {
    const auto r = cli.run({"ask"}, keys, " \n");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "prompt"));
    CHECK(cli.sim().hits() == 0);
  }
}

TEST_CASE("ask --stream prints the text", "[cli][ask][stream]") {
  Cli cli;
  const auto r = cli.run({"ask", "--stream", "Stream it"}, {key_env("CEREBRAS_API_KEY0", cerebras_ok)});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Cerebras answers.\n");
}

TEST_CASE("ask and ask --stream with only ANTHROPIC_API_KEY0 and ANTHROPIC_BASE_URL set", "[cli][ask][anthropic]") {
  Cli cli;
  const std::vector<std::string> env{key_env("ANTHROPIC_API_KEY0", anthropic_ok), "ANTHROPIC_BASE_URL=" + cli.sim().url()};
  for (const bool stream : {false, true}) {
    const auto r = cli.run_with_only(stream ? std::vector<std::string>{"ask", "--stream", "Hi"}
                                            : std::vector<std::string>{"ask", "Hi"},
                                     env);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Claude answers.\n");
  }
  const auto r = cli.run_with_only({"ask", "--json", "Hi"}, env);
  REQUIRE(r.exit_code == 0);
  const json out = json::parse(r.out);
  CHECK(out["provider"] == "anthropic");
  CHECK(out["model"] == "claude-sonnet-4-6");
  CHECK(out["key"] == "ANTHROPIC_API_KEY0");
  CHECK(cli.sim().hits("anthropic", anthropic_ok) == 3);
}

TEST_CASE("ask and ask --stream with only OPENAI_API_KEY0 and OPENAI_BASE_URL set", "[cli][ask][openai]") {
  // OPENAI_BASE_URL holds the version path, as OpenAI's SDK takes it; the simulator answers the
  // OpenAI wire on /v1 (as its Cerebras) and knows OpenAI's default model here.
  Cli cli(json{{"models", {{"cerebras", {"gpt-4o-mini"}}}},
               {"rules", {{{"key", openai_ok}, {"behavior", "ok"}, {"text", "OpenAI answers."}}}}});
  const std::vector<std::string> env{key_env("OPENAI_API_KEY0", openai_ok), "OPENAI_BASE_URL=" + cli.sim().url() + "/v1"};
  for (const bool stream : {false, true}) {
    const auto r = cli.run_with_only(stream ? std::vector<std::string>{"ask", "--stream", "Hi"}
                                            : std::vector<std::string>{"ask", "Hi"},
                                     env);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "OpenAI answers.\n");
  }
  const auto r = cli.run_with_only({"ask", "--json", "Hi"}, env);
  REQUIRE(r.exit_code == 0);
  const json out = json::parse(r.out);
  CHECK(out["provider"] == "openai");
  CHECK(out["model"] == "gpt-4o-mini");
  CHECK(out["key"] == "OPENAI_API_KEY0");
  CHECK(cli.sim().hits("", openai_ok, "gpt-4o-mini") == 3);
}

TEST_CASE("ask --stream shows a restart: the partial line ends, a note on stderr, then the whole answer",
          "[cli][ask][stream]") {
  Cli cli;
  const auto r = cli.run({"ask", "--stream", "Stream it"},
                         {key_env("GROQ_API_KEY0", groq_cut), key_env("CEREBRAS_API_KEY0", cerebras_ok)});
  CHECK(r.exit_code == 0);
  // Both Groq models are cut (the key's rule): each partial line ends before the next answer.
  CHECK(r.out == "Groq starts\nGroq starts\nCerebras answers.\n");
  CHECK(contains(r.err, "stream cut after 11 bytes"));
  CHECK_FALSE(leaks(r.out + r.err, groq_cut));
}

TEST_CASE("ask --stream prints each delta as it arrives", "[cli][ask][stream]") {
  // The server holds the rest of the answer until the first delta came out of the CLI's stdout.
  polyrouter::test::StreamServer server;
  script_hello_held(server);
  const std::string command = "env -i CEREBRAS_API_KEY0=test-key CEREBRAS_BASE_URL=" + server.url() + " " +
                              POLYROUTER_CLI_PATH + " ask --stream hi 2>/dev/null";
  FILE* out = popen(command.c_str(), "r");
  REQUIRE(out != nullptr);
  std::string seen;
  for (int c; seen.size() < 3 && (c = std::fgetc(out)) != EOF;) seen += static_cast<char>(c);
  CHECK(seen == "Hel");
  server.open_gate();
  for (int c; (c = std::fgetc(out)) != EOF;) seen += static_cast<char>(c);
  CHECK(pclose(out) == 0);
  CHECK(seen == "Hello\n");
  CHECK(server.gate_opened_in_time());
}

TEST_CASE("Ctrl-C during ask --stream ends the line and exits 130", "[cli][ask][stream]") {
  polyrouter::test::StreamServer server;
  script_hello_held(server);
  Cli cli;
  const auto r = cli.run({"ask", "--stream", "hi"}, {"CEREBRAS_API_KEY0=test-key", "CEREBRAS_BASE_URL=" + server.url()}, {},
                         "Hel");
  server.open_gate();
  CHECK(r.exit_code == 130);
  CHECK(r.out == "Hel\n");
}

TEST_CASE("ask --provider and --model narrow the walk", "[cli][ask]") {
  Cli cli;
  const auto r = cli.run({"ask", "--json", "--provider", "cerebras", "--model", "gpt-oss-120b", "Hi"},
                         {key_env("GROQ_API_KEY0", groq_ok), key_env("CEREBRAS_API_KEY0", cerebras_ok)});
  REQUIRE(r.exit_code == 0);
  const json out = json::parse(r.out);
  CHECK(out["provider"] == "cerebras");
  CHECK(out["attempts"].size() == 1);
  CHECK(cli.sim().hits("groq") == 0);
}

TEST_CASE("ask --repeat reuses what the router learned", "[cli][ask]") {
  Cli cli;
  const std::vector<std::string> keys{key_env("GROQ_API_KEY0", groq_bad), key_env("GROQ_API_KEY1", groq_ok)};
  SECTION("text: each answer, the attempts and the health snapshot") {
    const auto r = cli.run({"ask", "--repeat", "2", "--attempts", "Hi"}, keys);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "Groq answers.\nGroq answers.\n");
    CHECK(contains(r.err, "== request 2 of 2"));
    CHECK(contains(r.err, "after 2 attempts"));
    CHECK(contains(r.err, "after 1 attempt "));
    CHECK(contains(r.err, "GROQ_API_KEY0: quarantined"));
  }
  SECTION("json: one object per request, health on the last") {
    const auto r = cli.run({"ask", "--repeat", "2", "--json", "Hi"}, keys);
    REQUIRE(r.exit_code == 0);
    std::istringstream stream(r.out);
    json first;
    json second;
    stream >> first >> second;
    CHECK(first["attempts"].size() == 2);
    CHECK(second["attempts"].size() == 1);
    CHECK_FALSE(first.contains("health"));
    REQUIRE(second.contains("health"));
    CHECK(second["health"]["pools"][0]["keys"][0]["state"] == "quarantined");
  }
  CHECK(cli.sim().hits("groq", groq_bad) == 1);  // learned once, never asked again
}

TEST_CASE("usage errors exit 2", "[cli][exit]") {
  Cli cli;
  const std::vector<std::string> keys{key_env("GROQ_API_KEY0", groq_ok)};
  SECTION("no subcommand") { CHECK(cli.run({}, keys).exit_code == 2); }
  SECTION("an unknown option") { CHECK(cli.run({"ask", "--no-such-option", "Hi"}, keys).exit_code == 2); }
  SECTION("a temperature out of range") { CHECK(cli.run({"ask", "--temperature", "7", "Hi"}, keys).exit_code == 2); }
  SECTION("--stream with --json") { CHECK(cli.run({"ask", "--stream", "--json", "Hi"}, keys).exit_code == 2); }
  SECTION("an unknown provider") {
    const auto r = cli.run({"ask", "--provider", "nosuch", "Hi"}, keys);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "nosuch"));
  }
  SECTION("no API key at all") {
    const auto r = cli.run({"ask", "Hi"}, {});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "NoApiKeysError"));
  }
  SECTION("a command that does not exist is named, with the commands there are") {
    const auto r = cli.run({"frobnicate"}, keys);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "'frobnicate' is not a command"));
    CHECK(contains(r.err, "ask, check, models"));
  }
  CHECK(cli.sim().hits() == 0);
}

TEST_CASE("a configuration mistake exits 2 before any round trip", "[cli][exit][config]") {
  Cli cli;
  const std::vector<std::string> key{key_env("GROQ_API_KEY0", groq_ok)};
  auto with = [&](std::string setting) {
    std::vector<std::string> env = key;
    env.push_back(std::move(setting));
    return env;
  };
  SECTION("an empty GROQ_BASE_URL is not the real Groq") {
    const auto r = cli.run({"ask", "Hi"}, with("GROQ_BASE_URL="));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "ConfigError"));
    CHECK(contains(r.err, "GROQ_BASE_URL"));
  }
  SECTION("a base URL with an unsupported scheme") {
    const auto r = cli.run({"check"}, with("GROQ_BASE_URL=htp:/x"));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "GROQ_BASE_URL: 'htp:/x'"));
  }
  SECTION("a base URL that is not a URL") {
    const auto r = cli.run({"models"}, with("GROQ_BASE_URL=not a url"));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "GROQ_BASE_URL: 'not a url'"));
  }
  SECTION("a missing --env-file") {
    const auto r = cli.run({"ask", "--env-file", "missing.env", "Hi"}, key);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "--env-file missing.env"));
  }
  CHECK(cli.sim().hits() == 0);
}

TEST_CASE("a bad config file exits 2", "[cli][exit][config]") {
  Cli cli;
  const std::vector<std::string> keys{key_env("GROQ_API_KEY0", groq_ok)};
  SECTION("not JSON") {
    const std::string path = cli.file("broken.json", "{\"providers\": ");
    const auto r = cli.run({"ask", "--config", path, "Hi"}, keys);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "ConfigError"));
    CHECK(contains(r.err, "broken.json"));
  }
  SECTION("an unknown setting") {
    const std::string path = cli.file("typo.json", R"({"retry": {"max_retriez": 1}})");
    const auto r = cli.run({"check", "--config", path}, keys);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "max_retriez"));
  }
  SECTION("a missing file") {
    const auto r = cli.run({"models", "--config", "/nonexistent/polyrouter.json"}, keys);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "/nonexistent/polyrouter.json"));
  }
  CHECK(cli.sim().hits() == 0);
}

TEST_CASE("a rejected request exits 3 without failing over", "[cli][exit]") {
  Cli cli;
  const std::vector<std::string> keys{key_env("GROQ_API_KEY0", groq_reject), key_env("GROQ_API_KEY1", groq_ok)};
  SECTION("text") {
    const auto r = cli.run({"ask", "Hi"}, keys);
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "BadRequestError"));
    CHECK(contains(r.err, "polyrouter.bad_request"));
  }
  SECTION("json") {
    const auto r = cli.run({"ask", "--json", "Hi"}, keys);
    CHECK(r.exit_code == 3);
    const json out = json::parse(r.out);
    CHECK(out["error"]["type"] == "BadRequestError");
    CHECK(out["error"]["exit_code"] == 3);
  }
  CHECK(cli.sim().hits("groq", groq_ok) == 0);
}

TEST_CASE("exhaustion exits 4 with the error's name and the attempt table on stderr", "[cli][exit]") {
  Cli cli;
  const std::vector<std::string> keys{key_env("GROQ_API_KEY0", groq_bad), key_env("GEMINI_API_KEY0", gemini_bad)};
  SECTION("text") {
    const auto r = cli.run({"ask", "Hi"}, keys);
    CHECK(r.exit_code == 4);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "AllClientsExhaustedError"));
    CHECK(contains(r.err, "outcome"));  // the table's header
    CHECK(contains(r.err, "GROQ_API_KEY0"));
    CHECK(contains(r.err, "GEMINI_API_KEY0"));
    CHECK(contains(r.err, "invalid_key"));
  }
  SECTION("json: an error object with the attempts on stdout too") {
    const auto r = cli.run({"ask", "--json", "Hi"}, keys);
    CHECK(r.exit_code == 4);
    CHECK(contains(r.err, "AllClientsExhaustedError"));
    const json out = json::parse(r.out);
    CHECK(out["error"]["type"] == "AllClientsExhaustedError");
    CHECK(out["error"]["tag"] == "polyrouter.all_clients_exhausted");
    CHECK(out["error"]["attempts"].size() == 2);
  }
}

TEST_CASE("check probes every key x model once", "[cli][check]") {
  Cli cli;
  const std::vector<std::string> keys{key_env("GROQ_API_KEY0", groq_ok), key_env("GROQ_API_KEY1", groq_bad),
                                      key_env("GROQ_API_KEY2", groq_limited)};
  const std::vector<std::string> args{"check", "--provider", "groq", "--model", "openai/gpt-oss-120b,no-such-model"};
  SECTION("table") {
    const auto r = cli.run(args, keys);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());  // no progress line when stderr is not a terminal
    for (const char* part : {"pool", "model", "key", "status", "detail", "ok", "invalid_key", "rate_limited",
                             "model_missing", "resets in 42 s", "GROQ_API_KEY2", "1 of 6 combinations ok"}) {
      INFO(part);
      CHECK(contains(r.out, part));
    }
  }
  SECTION("json: one object per line, as each probe finishes") {
    std::vector<std::string> with_json = args;
    with_json.push_back("--json");
    const auto r = cli.run(with_json, keys);
    CHECK(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::map<std::pair<std::string, std::string>, json> rows;  // (model, key) -> row
    for (std::string line; std::getline(lines, line);) {
      const json row = json::parse(line);
      for (const char* field : {"pool", "model", "key", "status", "detail"}) {
        INFO(field);
        CHECK(row.contains(field));
      }
      rows[{row["model"], row["key"]}] = row;
    }
    REQUIRE(rows.size() == 6);
    const std::string m1 = "openai/gpt-oss-120b", m2 = "no-such-model";
    CHECK(rows[{m1, "GROQ_API_KEY0"}]["status"] == "ok");
    CHECK(rows[{m1, "GROQ_API_KEY1"}]["status"] == "invalid_key");
    CHECK(rows[{m1, "GROQ_API_KEY2"}]["status"] == "rate_limited");
    CHECK(rows[{m1, "GROQ_API_KEY2"}]["reset_in_ms"] == 42000);
    CHECK(rows[{m2, "GROQ_API_KEY0"}]["status"] == "model_missing");
    CHECK(rows[{m2, "GROQ_API_KEY1"}]["status"] == "invalid_key");
    CHECK(rows[{m2, "GROQ_API_KEY2"}]["status"] == "model_missing");
  }
  CHECK(cli.sim().hits("groq") == 6);  // exactly one round trip per combination
}

TEST_CASE("check probes concurrently and prints each row as it finishes", "[cli][check]") {
  // Gemini accepts every request and never answers within the probe's limit; Groq answers at
  // once. Probed one after another this takes 6 x the limit; concurrently, one limit.
  const json hung{{"rules",
                   {{{"provider", "gemini"}, {"behavior", "ok"}, {"latency_ms", 60000}},
                    {{"provider", "groq"}, {"behavior", "ok"}}}}};
  polyrouter::sim::Simulator sim(hung);
  Cli cli;
  std::vector<std::string> env{key_env("GROQ_API_KEY0", groq_ok), "GROQ_BASE_URL=" + sim.url(),
                               "GEMINI_BASE_URL=" + sim.url(), "CEREBRAS_BASE_URL=" + sim.url()};
  for (int i = 0; i < 3; ++i) env.push_back("GEMINI_API_KEY" + std::to_string(i) + "=AIza-test-key-" + std::to_string(i));
  const std::vector<std::string> args{"check", "--provider", "gemini,groq", "--model", "m1,m2", "--timeout-ms", "2000"};

  SECTION("the whole check takes about one probe's limit, not six") {
    const auto start = std::chrono::steady_clock::now();
    const auto r = cli.run(args, env);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(r.exit_code == 0);
    CHECK(took < std::chrono::milliseconds(2 * 2000));
    CHECK(contains(r.out, "2 of 8 combinations ok"));
    // Groq's rows finished first, so they come first although Gemini is asked first.
    const auto first_unreachable = r.out.find("unreachable");
    REQUIRE(first_unreachable != std::string::npos);
    CHECK(r.out.rfind("GROQ_API_KEY0") < first_unreachable);
    // The reason is shown whole, never cut mid-word.
    CHECK(contains(r.out, "Operation timed out after"));
    CHECK(contains(r.out, "milliseconds with 0 bytes received"));
    CHECK(sim.hits("gemini") == 6);
  }
  SECTION("Ctrl-C prints the rows gathered so far and exits 130") {
    std::vector<std::string> slow = args;
    slow.back() = "20000";
    const auto start = std::chrono::steady_clock::now();
    const auto r = cli.run(slow, env, {}, "GROQ_API_KEY0");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    CHECK(r.exit_code == 130);
    CHECK(contains(r.out, "ok"));
    CHECK(contains(r.out, "(interrupted: "));
  }
}

TEST_CASE("check shows a connection failure's reason whole", "[cli][check]") {
  Cli cli;
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const auto r = cli.run({"check", "--provider", "groq", "--model", "m"},
                         {key_env("GROQ_API_KEY0", groq_ok), "GROQ_BASE_URL=http://127.0.0.1:1"});
  CHECK(r.exit_code == 4);
  CHECK(contains(r.out, "unreachable"));
  CHECK(contains(r.out, "Couldn't connect to server"));
}

TEST_CASE("check exits 4 when nothing works", "[cli][check][exit]") {
  Cli cli;
  const auto r = cli.run({"check"}, {key_env("GROQ_API_KEY0", groq_bad), key_env("GEMINI_API_KEY0", gemini_bad)});
  CHECK(r.exit_code == 4);
  CHECK(contains(r.out, "0 of 4 combinations ok"));
}

TEST_CASE("models lists each provider's models", "[cli][models]") {
  Cli cli;
  const std::vector<std::string> keys{key_env("GROQ_API_KEY0", groq_bad), key_env("GROQ_API_KEY1", groq_ok),
                                      key_env("CEREBRAS_API_KEY0", cerebras_ok)};
  SECTION("text") {
    const auto r = cli.run({"models"}, keys);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "groq: openai/gpt-oss-120b\ngroq: openai/gpt-oss-20b\ncerebras: gpt-oss-120b\n");
  }
  SECTION("json") {
    const auto r = cli.run({"models", "--json"}, keys);
    CHECK(r.exit_code == 0);
    CHECK(json::parse(r.out) ==
          json{{"groq", {"openai/gpt-oss-120b", "openai/gpt-oss-20b"}}, {"cerebras", {"gpt-oss-120b"}}});
  }
}

TEST_CASE("--help documents the subcommands and exit codes", "[cli][help]") {
  Cli cli;
  const auto r = cli.run({"--help"}, {});
  CHECK(r.exit_code == 0);
  for (const char* part : {"ask", "check", "models", "Exit codes", "2  usage or configuration error",
                           "3  request rejected", "4  all providers exhausted"}) {
    INFO(part);
    CHECK(contains(r.out, part));
  }
}
