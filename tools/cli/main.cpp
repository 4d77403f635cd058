// polyrouter: the command-line tool. Parses the command line with CLI11 and hands over to one
// subcommand (ask.cpp, check.cpp, models.cpp); see --help for the exit codes.

#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "ask.hpp"
#include "check.hpp"
#include "exit_codes.hpp"
#include "models.hpp"
#include "polyrouter/version.hpp"

namespace {

using namespace polyrouter::cli;

constexpr const char* examples =
    "Examples:\n"
    "  polyrouter ask \"Why is the sky blue?\"\n"
    "  git diff | polyrouter ask --provider groq --model openai/gpt-oss-20b --system \"Review this diff\"\n"
    "  polyrouter ask --json --attempts \"Say hi\"\n"
    "  polyrouter check          # which keys and models work right now\n";

void add_source_options(CLI::App& command, SourceOptions& source, bool with_model) {
  command.add_option("-c,--config", source.config_file,
                     "JSON config file (default: $POLYROUTER_CONFIG, else ./polyrouter.json)");
  command
      .add_option_function<std::string>(
          "--env-file",
          [&source](const std::string& file) {
            source.env_file = file;
            source.env_file_required = !file.empty();
          },
          ".env file (default: ./.env when it exists; \"\" = none); a file named here must exist")
      ->default_str(source.env_file);
  command
      .add_option("-p,--provider", source.providers,
                  "Only these providers, in this order (repeatable, or cerebras,groq)")
      ->delimiter(',')
      ->allow_extra_args(false);  // one value per use, so the prompt after it stays the prompt
  if (with_model) {
    command
        .add_option("-m,--model", source.models,
                    "These models instead of the configured ones (best with one --provider)")
        ->delimiter(',')
        ->allow_extra_args(false);
  }
  command.add_flag("-v,--verbose", source.verbosity,
                   "Log routing decisions to stderr; -vv adds request and response bodies");
  command.add_flag("--json", source.json, "Print JSON instead of text");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"polyrouter " + std::string(polyrouter::version_string) +
                   ": ask Groq, Gemini, Cerebras, Anthropic and OpenAI through every configured model and key,\n"
                   "with failover. "
                   "Keys come from the environment, a .env file and an optional JSON config.",
               "polyrouter"};
  app.set_version_flag("--version", "polyrouter " + std::string(polyrouter::version_string));
  app.require_subcommand(1);
  app.footer(std::string(examples) + "\n" + help_footer);
  app.get_formatter()->column_width(30);

  AskOptions ask;
  CLI::App* ask_command = app.add_subcommand("ask", "Ask one question; prints the answer (the prompt may come on stdin)");
  add_source_options(*ask_command, ask.source, true);
  ask_command->add_option("PROMPT", ask.prompt, "The question (words are joined; none or - reads stdin)");
  std::string system;
  double temperature = 0;
  int max_tokens = 0;
  long long max_wait_ms = 0;
  long long timeout_ms = 0;
  CLI::Option* system_option = ask_command->add_option("-s,--system", system, "System prompt (replaces the configured one)");
  CLI::Option* temperature_option =
      ask_command->add_option("-t,--temperature", temperature, "Sampling temperature")->check(CLI::Range(0.0, 2.0));
  CLI::Option* max_tokens_option =
      ask_command->add_option("--max-tokens", max_tokens, "Longest answer, in tokens")->check(CLI::Range(1, 10000000));
  CLI::Option* max_wait_option =
      ask_command
          ->add_option("--max-wait-ms", max_wait_ms,
                       "When every route is cooling down, wait this long for one")
          ->check(CLI::Range(0, 86400000));
  CLI::Option* timeout_option =
      ask_command->add_option("--timeout-ms", timeout_ms, "Deadline of the whole request, failover included")
          ->check(CLI::Range(1, 86400000));
  CLI::Option* stream_option =
      ask_command->add_flag("--stream", ask.stream, "Print the answer as it arrives");
  stream_option->excludes(ask_command->get_option("--json"));
  ask_command->add_flag("-a,--attempts", ask.attempts,
                        "Print who answered and every attempt, on stderr");
  ask_command->add_flag("--health", ask.health,
                        "Print what the router learned (keys, cooldowns, models) at the end");
  ask_command
      ->add_option("-r,--repeat", ask.repeat,
                   "Ask N times through one router: later asks skip what earlier ones learned")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  ask_command->footer(help_footer);

  CheckOptions check;
  CLI::App* check_command = app.add_subcommand(
      "check", "Probe every configured key x model with one cheap real call and print a health table");
  add_source_options(*check_command, check.source, true);
  check_command->add_option("--timeout-ms", check.timeout_ms, "Time limit of each probe")
      ->check(CLI::Range(1, 86400000))
      ->capture_default_str();
  check_command->add_option("-j,--concurrency", check.concurrency, "Probes in flight at once")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  check_command->footer(help_footer);

  ModelsOptions models;
  CLI::App* models_command = app.add_subcommand("models", "List the models each configured provider offers");
  add_source_options(*models_command, models.source, false);
  models_command->add_option("--timeout-ms", models.timeout_ms, "Time limit of each provider's answer")
      ->check(CLI::Range(1, 86400000))
      ->capture_default_str();
  models_command->footer(help_footer);

  // CLI11 reports a mistyped command as "A subcommand is required"; say what happened.
  if (argc > 1 && argv[1][0] != '-') {
    const std::string word = argv[1];
    std::string commands;
    bool known = false;
    for (const CLI::App* command : app.get_subcommands({})) {
      commands += (commands.empty() ? "" : ", ") + command->get_name();
      known = known || command->get_name() == word;
    }
    if (!known) {
      std::cerr << "polyrouter: '" << word << "' is not a command. Commands: " << commands
                << ". Run polyrouter --help for more.\n";
      return exit_usage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;  // --help and --version exit 0
  }

  if (*ask_command) {
    if (*system_option) ask.system = system;
    if (*temperature_option) ask.temperature = temperature;
    if (*max_tokens_option) ask.max_tokens = max_tokens;
    if (*max_wait_option) ask.max_wait_ms = max_wait_ms;
    if (*timeout_option) ask.timeout_ms = timeout_ms;
    return run_ask(ask);
  }
  if (*check_command) return run_check(check);
  if (*models_command) return run_models(models);
  return exit_usage;
}
