// Links libpolyrouter.so, which exports only what its headers mark POLYROUTER_API. What the
// library throws is caught here by its classes; what this program throws, the library's walk
// recognizes by its class. With the exception family hidden, this program does not link (it
// constructs a RateLimitError, whose base constructor lives in the library), and where
// type_info is compared by address (libc++, macOS) the catches fail too; libstdc++ compares
// type names, which is why run_shared_library_test.sh also checks the exported typeinfo.
#include <polyrouter/polyrouter.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAILED: " << what << "\n";
    ++failures;
  }
}

// A loopback port bound but never listened on: connections to it are refused. It stays bound
// for the program's life, so nothing else can take it meanwhile.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot bind a loopback port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// Throws this program's own RateLimitError for model m1: only its class says "provider-wide",
// which sends the walk to the next model instead of the next key.
class Walled : public polyrouter::LLMClient {
 public:
  polyrouter::Provider provider() const noexcept override { return polyrouter::Provider::openai_compatible; }
  polyrouter::Response complete(const polyrouter::ChatRequest&, const polyrouter::CallOptions& call) override {
    if (call.model == "m1") {
      throw polyrouter::RateLimitError("capacity", {}, polyrouter::RateLimitError::Scope::provider);
    }
    polyrouter::Response r;
    r.text = "ok";
    r.finish_reason = polyrouter::FinishReason::stop;
    return r;
  }
};

}  // namespace

int main() {
  using polyrouter::ErrorKind;

  // Thrown by the library's constructor.
  try {
    polyrouter::Orchestrator orchestrator{polyrouter::OrchestratorConfig{}};
    check(false, "no pools: no ConfigError");
  } catch (const polyrouter::ConfigError& e) {
    check(e.kind() == ErrorKind::config, "ConfigError::kind()");
  }
  try {
    polyrouter::Orchestrator orchestrator{polyrouter::OrchestratorConfig{}};
    check(false, "no pools: no Error");
  } catch (const polyrouter::Error& e) {
    check(e.kind() == ErrorKind::config, "ConfigError caught as Error");
  }

  // Thrown by the library's walk, after a failed round trip.
  RefusingPort refusing;
  polyrouter::OrchestratorConfig config;
  config.pools = {{polyrouter::Provider::openai_compatible, {"m"}, {"k"},
                   "http://127.0.0.1:" + std::to_string(refusing.port()) + "/v1"}};
  config.retry.max_retries = 0;
  polyrouter::Orchestrator refused{config};
  try {
    refused.request("hi");
    check(false, "a refused connection: no AllClientsExhaustedError");
  } catch (const polyrouter::AllClientsExhaustedError& e) {
    check(e.kind() == ErrorKind::all_clients_exhausted, "AllClientsExhaustedError::kind()");
    check(!e.attempts().empty() && e.attempts()[0].outcome == polyrouter::AttemptOutcome::unavailable,
          "the attempt failed as unavailable");
  }
  try {
    refused.request("hi");
    check(false, "a refused connection: no Error");
  } catch (const polyrouter::Error& e) {
    check(e.kind() == ErrorKind::all_clients_exhausted, "AllClientsExhaustedError caught as Error");
  }

  // Thrown here, classified inside the library.
  polyrouter::OrchestratorConfig own;
  polyrouter::PoolConfig walled{polyrouter::Provider::openai_compatible, {"m1", "m2"}, {"k0", "k1"}};
  walled.client = std::make_shared<Walled>();
  own.pools = {walled};
  polyrouter::Orchestrator orchestrator{own};
  const polyrouter::Response r = orchestrator.request("hi");
  check(r.model == "m2" && r.attempts.size() == 2 &&
            r.attempts[0].outcome == polyrouter::AttemptOutcome::rate_limited,
        "the library read this program's RateLimitError by its class:\n" + polyrouter::format_attempts(r.attempts));

  std::cout << (failures == 0 ? "every error crossed the library boundary by its class\n" : "");
  return failures == 0 ? 0 : 1;
}
