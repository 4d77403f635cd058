// Error classification: status + headers + body -> the typed error. Only polyrouter::Error
// escapes, no field holds the key (the input may contain it anywhere), retry hints are >= 0
// and capped. The input is a status (two bytes), a provider (one byte: groq, cerebras, gemini,
// anthropic), header lines "name: value" up to an empty line, then the body.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "providers/error_body.hpp"

using namespace polyrouter;

namespace {

detail::HttpResponse response_from(std::string_view input, long status) {
  detail::HttpResponse response;
  response.status = status;
  const std::size_t end = input.find("\n\n");
  std::string_view head = input.substr(0, end);
  response.body = std::string(end == std::string_view::npos ? std::string_view() : input.substr(end + 2));
  while (!head.empty()) {
    const std::size_t eol = std::min(head.find('\n'), head.size());
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(std::min(eol + 1, head.size()));
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    response.headers.emplace_back(std::move(name), std::string(value));
  }
  return response;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const long status = 100 + (data[0] | (data[1] << 8)) % 500;
  // Anthropic's descriptor adds its own rules (error types, RFC 3339 reset headers).
  static const Provider providers[] = {Provider::groq, Provider::cerebras, Provider::gemini, Provider("anthropic")};
  const Provider provider = providers[data[2] % 4];
  const std::string_view input(reinterpret_cast<const char*>(data + 3), size - 3);
  const CallOptions options = fuzz::call_options();

  detail::HttpResponse response = response_from(input, status < 200 || status >= 300 ? status : 500);
  fuzz::only_typed_errors([&] {
    detail::throw_for_status(provider, options, response);
  });
  // The same body on a success status: an error envelope in a 200, or the JSON object.
  response.status = 200;
  fuzz::only_typed_errors([&] { detail::success_json(provider, options, response); });
  return 0;
}
