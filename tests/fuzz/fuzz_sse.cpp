// The SSE reader gives the same events for every split of the body (the split points come from
// the input's first bytes), and a stream exchange with each protocol's decoding reads the body:
// only polyrouter::Error escapes, with no key in it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "http/sse.hpp"
#include "providers/anthropic/codec.hpp"
#include "providers/streaming.hpp"
#include "providers/wire.hpp"

using namespace polyrouter;

namespace {

std::vector<detail::SseEvent> read_in_pieces(std::string_view body, const std::vector<std::size_t>& cuts) {
  std::vector<detail::SseEvent> events;
  detail::SseReader reader([&](const detail::SseEvent& e) {
    events.push_back(e);
    return true;
  });
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    if (cut <= at || cut >= body.size()) continue;
    reader.feed(body.substr(at, cut - at));
    at = cut;
  }
  reader.feed(body.substr(at));
  reader.finish();
  return events;
}

bool same(const std::vector<detail::SseEvent>& a, const std::vector<detail::SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].event != b[i].event || a[i].data != b[i].data) return false;
  }
  return true;
}

// The whole exchange as a transfer drives it: bytes in through the request's body callback,
// then finish(). Only a polyrouter::Error may come out: the exchange is the parsers' edge.
void exchange(const std::shared_ptr<const detail::WireCodec>& codec, std::string_view body,
              const std::vector<std::size_t>& cuts) {
  const CallOptions options = fuzz::call_options();
  detail::StreamExchange stream(codec->provider(), options, codec->stream_decoding(),
                                [](std::string_view) { return true; });
  detail::HttpRequest request;
  stream.attach(request);
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    if (cut <= at || cut >= body.size()) continue;
    if (!request.on_body(body.substr(at, cut - at))) break;
    at = cut;
  }
  if (at < body.size()) request.on_body(body.substr(at));
  detail::HttpResponse http;
  http.status = 200;
  fuzz::only_typed_errors([&] { stream.finish(std::move(http)); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 4), size - 4);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < 4; ++i) cuts.push_back(data[i] % (body.size() + 1));
  std::sort(cuts.begin(), cuts.end());
  const std::vector<detail::SseEvent> whole = read_in_pieces(body, {});
  if (!same(whole, read_in_pieces(body, cuts))) fuzz::fail("events depend on where the body was split", body);
  std::vector<std::size_t> bytewise;
  if (body.size() <= 256) {
    for (std::size_t i = 1; i < body.size(); ++i) bytewise.push_back(i);
    if (!same(whole, read_in_pieces(body, bytewise))) fuzz::fail("byte-by-byte reading differs", body);
  }

  static const auto openai = detail::make_openai_codec(Provider::groq, "http://127.0.0.1:1/v1", {});
  static const auto gemini = detail::make_gemini_codec(Provider::gemini, "http://127.0.0.1:1/v1beta", {});
  static const auto anthropic = detail::anthropic::make_codec(Provider("anthropic"), "http://127.0.0.1:1/v1", {});
  exchange(openai, body, cuts);
  exchange(gemini, body, cuts);
  exchange(anthropic, body, cuts);
  return 0;
}
