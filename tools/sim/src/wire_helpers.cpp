#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "provider_wire.hpp"

namespace polyrouter::sim::detail {

const ProviderWire& wire_for(Provider provider) {
  switch (provider) {
    case Provider::groq: return groq_wire();
    case Provider::cerebras: return cerebras_wire();
    case Provider::gemini: return gemini_wire();
    case Provider::anthropic: return anthropic_wire();
  }
  return groq_wire();
}

std::string sse_frame(const nlohmann::json& payload) { return "data: " + payload.dump() + "\n\n"; }

std::string named_sse_frame(const nlohmann::json& payload) {
  const auto type = payload.is_object() ? payload.value("type", nlohmann::json()) : nlohmann::json();
  return "event: " + (type.is_string() ? type.get<std::string>() : std::string("message")) + "\n" +
         sse_frame(payload);
}

std::string rfc3339_from_now(double seconds_from_now) {
  // Rounded up to the whole second: the reset is never earlier than asked.
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto t = static_cast<std::time_t>(std::ceil(now + std::max(0.0, seconds_from_now)));
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> buffer{};
  std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer.data();
}

namespace {

// Fixed notation with at most `decimals` fraction digits and no trailing zeros.
std::string trimmed_fixed(double value, int decimals) {
  std::array<char, 64> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%.*f", decimals, value);
  std::string text(buffer.data());
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

}  // namespace

std::string go_duration(double seconds) {
  const auto millis = static_cast<long long>(std::llround(std::max(0.0, seconds) * 1000.0));
  if (millis == 0) return "0s";
  if (millis < 1000) return std::to_string(millis) + "ms";
  const auto hours = millis / 3'600'000;
  const auto minutes = (millis / 60'000) % 60;
  const auto secs = trimmed_fixed(static_cast<double>(millis % 60'000) / 1000.0, 3) + "s";
  if (hours > 0) return std::to_string(hours) + "h" + std::to_string(minutes) + "m" + secs;
  if (minutes > 0) return std::to_string(minutes) + "m" + secs;
  return secs;
}

std::string float_seconds(double seconds) {
  // Cerebras prints Python floats: shortest round-trip text, always with a fraction.
  std::array<char, 64> buffer{};
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), seconds, std::chars_format::fixed);
  std::string text(buffer.data(), result.ptr);
  if (text.find('.') == std::string::npos) text += ".0";
  return text;
}

std::string proto_duration(double seconds) { return trimmed_fixed(seconds, 9) + "s"; }

std::string retry_after_header(double seconds) {
  return std::to_string(static_cast<long long>(std::ceil(std::max(0.0, seconds))));
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> pieces;
  std::string current;
  for (const char c : text) {
    // A new piece starts at a space that follows a non-space, so pieces look like
    // "Hello", " from", " groq": concatenated they give back the text exactly.
    if (c == ' ' && !current.empty() && current.back() != ' ') {
      pieces.push_back(current);
      current.clear();
    }
    current += c;
  }
  if (!current.empty() || pieces.empty()) pieces.push_back(current);
  return pieces;
}

std::string opaque_id(std::uint64_t serial, std::size_t length, std::string_view alphabet) {
  // splitmix64 per character, so consecutive serials give unrelated-looking ids.
  std::uint64_t state = serial;
  std::string id;
  for (std::size_t i = 0; i < length; ++i) {
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t x = state;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    id += alphabet[x % alphabet.size()];
  }
  return id;
}

std::string_view status_text(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 500 ? "Client Error" : "Server Error";
  }
}

std::string next_request_id() {
  static std::atomic<std::uint64_t> counter{0};
  return "req_" + opaque_id(counter.fetch_add(1) + 0x5151, 26);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace polyrouter::sim::detail
