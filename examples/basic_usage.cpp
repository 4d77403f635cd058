// The original tool's one-liner, in C++: keys from the environment (or .env), models from the
// defaults or polyrouter.json, one call, the answer.
//
//   GROQ_API_KEY0=gsk_... ./basic_usage "Why is the sky blue?"
#include <polyrouter/polyrouter.hpp>

#include <iostream>

int main(int argc, char** argv) {
  const char* prompt = argc > 1 ? argv[1] : "Why is the sky blue?";
  try {
    auto orchestrator = polyrouter::Orchestrator::from_env();
    const polyrouter::Response answer = orchestrator.request(prompt);
    std::cout << answer.text << "\n";
    std::cerr << "answered by " << answer.pool << " / " << answer.model << " with " << answer.key_label << "\n";
  } catch (const polyrouter::AllClientsExhaustedError& e) {
    std::cerr << e.what() << "\n";  // every attempt, as a table
    return 3;
  } catch (const polyrouter::Error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
}
