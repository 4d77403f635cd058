// What the Redis store reads from outside: a URL from the user's config, descriptions of facts
// from the fleet's channel (anyone who can publish there), and the server's RESP replies. Any
// bytes: never a crash or an exception outside ConfigError, a password never shown, a fact read
// back as it was written.

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "health/redis/connection.hpp"
#include "health/redis/endpoint.hpp"
#include "health/redis/fact.hpp"
#include "polyrouter/errors.hpp"

using namespace polyrouter;
using namespace polyrouter::detail::redis;

namespace {

void url(std::string_view text) {
  try {
    const Endpoint e = parse_endpoint(text);
    if (e.password.size() >= 4 && e.display().find(e.password) != std::string::npos) {
      fuzz::fail("display() shows the password", text);
    }
  } catch (const ConfigError&) {
  }
  // The text as a password: never in the message or the display, whatever it holds.
  if (text.size() < 4 || text.find_first_of("@/?# \t\r\n%") != std::string_view::npos) return;
  const std::string with_password = "redis://user:" + std::string(text) + "@host:6379/0";
  try {
    const Endpoint e = parse_endpoint(with_password);
    if (e.password != text) fuzz::fail("the password was not read whole", text);
    if (e.display().find(text) != std::string::npos) fuzz::fail("display() shows the password", text);
  } catch (const ConfigError& error) {
    if (std::string(error.what()).find(text) != std::string::npos) fuzz::fail("a message shows the password", text);
  }
}

void description(std::string_view text) {
  std::string origin;
  const auto fact = read_description(text, origin);
  if (!fact) return;
  std::string again_origin;
  const auto again = read_description(describe(*fact, origin), again_origin);
  if (!again) fuzz::fail("a description read back is no longer one", text);
  // Names with invalid UTF-8 are replaced when written, so compare only what round-trips.
  if (again->kind != fact->kind) fuzz::fail("a description changed its kind", text);
  (void)key_name(*fact, "polyrouter:");
}

void replies(std::string_view text) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, text.data(), text.size());
  for (int i = 0; i < 64; ++i) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK || !raw) break;
    const Reply reply(static_cast<redisReply*>(raw));
    (void)is_error(reply);
    (void)text_of(reply);
    (void)integer_of(reply);
    (void)texts_of(reply);
    std::string cursor;
    std::vector<std::string> names;
    (void)read_scan_page(reply, cursor, names);
  }
  redisReaderFree(reader);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  url(text);
  description(text);
  replies(text);
  return 0;
}
