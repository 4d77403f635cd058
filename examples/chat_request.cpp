// A full chat request: roles, sampling, JSON schema output, and pools configured from code.
// Pass a base URL (e.g. the simulator's) to run it offline. It needs a scenario in which these
// keys answer: examples/scenarios/all_ok.json (with demo.json every route fails on purpose):
//
//   polyrouter-sim --scenario examples/scenarios/all_ok.json --port-file /tmp/sim.port &
//   ./chat_request http://127.0.0.1:$(cat /tmp/sim.port)
#include <polyrouter/polyrouter.hpp>

#include <iostream>

int main(int argc, char** argv) {
  const std::string base_url = argc > 1 ? argv[1] : "";
  polyrouter::OrchestratorConfig config;
  config.system_prompt = "You are a helpful assistant.";
  config.pools = {
      {polyrouter::Provider::groq, {"openai/gpt-oss-120b", "openai/gpt-oss-20b"}, {"sim-groq-0", "sim-groq-1"}},
      {polyrouter::Provider::gemini, {"gemini-2.5-flash"}, {"sim-gemini-0"}},
  };
  for (auto& pool : config.pools) pool.base_url = base_url;

  polyrouter::ChatRequest request;
  request.messages = {polyrouter::Message::user("Name a primary colour, as JSON.")};
  request.temperature = 0.2;
  request.max_tokens = 256;
  request.seed = 42;
  request.response_format = polyrouter::ResponseFormat::json_schema(
      "colour", {{"type", "object"},
                 {"properties", {{"colour", {{"type", "string"}}}}},
                 {"required", {"colour"}}});

  try {
    polyrouter::Orchestrator orchestrator(config);
    const auto response = orchestrator.request(request);
    std::cout << response.text << "\n"
              << polyrouter::format_attempts(response.attempts) << "\n";
    return 0;
  } catch (const polyrouter::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
