// polyrouter-sim: the provider simulator as a standalone process, for examples, benchmarks and
// manual poking with curl. See docs/simulator.md.

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

#include "polyrouter/sim/simulator.hpp"

namespace {

// Write-then-rename, so a watcher never reads a half-written port file.
void write_port_file(const std::string& path, int port) {
  const auto temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + temporary + " to " + path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"polyrouter-sim: a loopback Groq / Cerebras / Gemini / Anthropic simulator"};
  std::string scenario_path;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string port_file;
  app.add_option("--scenario", scenario_path, "Scenario JSON file (default: every request ok)");
  app.add_option("--host", host, "Address to bind")->capture_default_str();
  app.add_option("--port", port, "Port to bind; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--port-file", port_file, "Write the bound port here once listening");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts, so every server thread inherits the mask
  // and only sigwait() below ever sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  nlohmann::json scenario = nlohmann::json::object();
  try {
    if (!scenario_path.empty()) scenario = polyrouter::sim::load_scenario_file(scenario_path);
  } catch (const std::exception& e) {
    std::cerr << "polyrouter-sim: " << e.what() << '\n';
    return 2;
  }

  try {
    polyrouter::sim::Simulator simulator(std::move(scenario), host, port);
    std::cout << "polyrouter-sim listening on " << simulator.url() << std::endl;
    if (!port_file.empty()) write_port_file(port_file, simulator.port());

    int received = 0;
    sigwait(&stop_signals, &received);
    simulator.stop();
  } catch (const std::invalid_argument& e) {
    std::cerr << "polyrouter-sim: bad scenario: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "polyrouter-sim: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
