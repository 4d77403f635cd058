#include "ask.hpp"

#include <unistd.h>

#include <iostream>
#include <iterator>
#include <string>

#include "error_report.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"
#include "output.hpp"
#include "polyrouter/chat.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/orchestrator.hpp"

namespace polyrouter::cli {
namespace {

std::string read_prompt(const std::vector<std::string>& words) {
  const bool from_stdin = words.empty() || (words.size() == 1 && words[0] == "-");
  std::string prompt;
  if (from_stdin) {
    if (words.empty() && isatty(STDIN_FILENO) == 1) {
      throw UsageError("ask: no prompt: give it as an argument or pipe it on stdin");
    }
    prompt.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    for (const std::string& word : words) prompt += (prompt.empty() ? "" : " ") + word;
  }
  while (!prompt.empty() && (prompt.back() == '\n' || prompt.back() == '\r' || prompt.back() == ' ')) {
    prompt.pop_back();
  }
  if (prompt.find_first_not_of(" \t\r\n") == std::string::npos) throw UsageError("ask: the prompt is empty");
  return prompt;
}

void print_trace(const Response& response) {
  std::cout.flush();  // keep the answer and its trace in order when both go to one terminal or pipe
  std::cerr << "answered by " << describe(response) << ":\n" << format_attempts(response.attempts) << '\n';
}

}  // namespace

int run_ask(const AskOptions& options) {
  Secrets secrets;
  try {
    const std::string prompt = read_prompt(options.prompt);
    OrchestratorConfig config = load_config(options.source);
    secrets = Secrets(config);
    if (options.system) config.system_prompt = *options.system;

    ChatRequest request = ChatRequest::from_prompt(prompt);
    request.temperature = options.temperature;
    request.max_tokens = options.max_tokens;
    RequestOptions request_options;
    if (options.max_wait_ms) request_options.max_wait = std::chrono::milliseconds(*options.max_wait_ms);
    if (options.timeout_ms) request_options.deadline = std::chrono::milliseconds(*options.timeout_ms);

    Orchestrator orchestrator(std::move(config));
    if (options.stream) end_line_on_interrupt();  // Ctrl-C mid-stream ends the line, exit 130
    const bool json = options.source.json;
    const bool show_health = options.health || options.repeat > 1;
    for (int round = 1; round <= options.repeat; ++round) {
      if (options.repeat > 1 && !json) {
        std::cout.flush();
        std::cerr << (round > 1 ? "\n" : "") << "== request " << round << " of " << options.repeat << '\n';
      }
      Response response;
      if (options.stream) {
        bool at_line_start = true;
        StreamCallbacks print;
        print.on_delta = [&](std::string_view delta) {
          std::cout << delta << std::flush;
          if (!delta.empty()) at_line_start = delta.back() == '\n';
          return true;
        };
        print.on_restart = [&](const StreamRestart& restart) {
          // What was printed is void: end its line and say so, then the whole new answer.
          if (!at_line_start) std::cout << '\n';
          std::cout.flush();
          at_line_start = true;
          std::cerr << "[stream cut after " << restart.discarded_bytes << " bytes (" << restart.failed.pool << ' '
                    << restart.failed.model << ": " << restart.failed.error
                    << "); the answer restarts from another route]\n";
        };
        response = orchestrator.stream(request, print, request_options);
        if (!response.text.empty() && response.text.back() != '\n') std::cout << '\n';
        std::cout.flush();
      } else {
        response = orchestrator.request(request, request_options);
      }

      if (json) {
        Json out = to_json(response);
        if (show_health && round == options.repeat) out["health"] = to_json(orchestrator.health());
        std::cout << out.dump(2) << std::endl;
        continue;
      }
      if (!options.stream) {
        std::cout << response.text;
        if (response.text.empty() || response.text.back() != '\n') std::cout << '\n';
      }
      if (options.attempts) print_trace(response);
    }
    if (show_health && !json) {
      std::cout.flush();
      std::cerr << "\nhealth (what this orchestrator has learned):\n" << format_health(orchestrator.health());
    }
    return exit_ok;
  } catch (...) {
    return report_exception(std::current_exception(), options.source.json, secrets);
  }
}

}  // namespace polyrouter::cli
