// Your own LLMClient as a pool: anything that can answer a ChatRequest can take part in the
// walk, and its typed errors drive the same failover.
#include <polyrouter/polyrouter.hpp>

#include <iostream>

class EchoClient : public polyrouter::LLMClient {
 public:
  polyrouter::Provider provider() const noexcept override { return polyrouter::Provider::openai_compatible; }

  polyrouter::Response complete(const polyrouter::ChatRequest& request, const polyrouter::CallOptions& options) override {
    if (options.api_key == "expired") {
      polyrouter::ErrorContext context;
      context.key_label = options.key_label;
      throw polyrouter::InvalidApiKeyError("this key has expired", context);
    }
    polyrouter::Response response;
    response.text = "echo: " + request.messages.back().content;
    response.finish_reason = polyrouter::FinishReason::stop;
    return response;
  }
};

int main() {
  polyrouter::OrchestratorConfig config;
  polyrouter::PoolConfig echo{polyrouter::Provider::openai_compatible, {"echo-1"}, {"expired", "fresh"}};
  echo.name = "echo";
  echo.client = std::make_shared<EchoClient>();
  config.pools = {echo};

  polyrouter::Orchestrator orchestrator(config);
  const auto response = orchestrator.request("hello");
  std::cout << response.text << "\n" << polyrouter::format_attempts(response.attempts) << "\n";
  return response.text == "echo: hello" && response.attempts.size() == 2 ? 0 : 1;
}
