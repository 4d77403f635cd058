// Unit tests of the private text/event-stream reader: framing must not depend on where the
// network splits the body, whatever the line ends.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "http/sse.hpp"

using polyrouter::detail::SseEvent;
using polyrouter::detail::SseReader;

namespace {

std::vector<std::string> read_in_pieces(const std::string& body, std::size_t piece) {
  std::vector<std::string> events;
  SseReader reader([&](const SseEvent& e) {
    events.push_back(e.event + "|" + e.data);
    return true;
  });
  for (std::size_t at = 0; at < body.size(); at += piece) REQUIRE(reader.feed(body.substr(at, piece)));
  reader.finish();
  return events;
}

}  // namespace

TEST_CASE("SSE events are the same however the body is split", "[sse]") {
  const std::string lf =
      ": keep-alive\n\ndata: {\"a\":1}\n\nevent: error\ndata: line one\ndata: line two\n\n"
      "data:no-space\n\n{\n  \"error\": 1\n}\n";
  const std::vector<std::string> expected{"message|{\"a\":1}", "error|line one\nline two", "message|no-space",
                                          "raw|{\n  \"error\": 1\n}\n"};
  for (const char* ending : {"\n", "\r\n", "\r"}) {
    std::string body;
    for (char c : lf) {
      if (c == '\n') {
        body += ending;
      } else {
        body += c;
      }
    }
    for (std::size_t piece = 1; piece <= body.size(); ++piece) {
      INFO("line end " << (std::string(ending) == "\n" ? "LF" : std::string(ending) == "\r" ? "CR" : "CRLF")
                       << ", pieces of " << piece << " bytes");
      REQUIRE(read_in_pieces(body, piece) == expected);
    }
  }
}

TEST_CASE("an SSE handler that returns false stops the reader", "[sse]") {
  int seen = 0;
  SseReader reader([&](const SseEvent&) { return ++seen < 2; });
  CHECK(reader.feed("data: 1\n\ndata: 2\n\ndata: 3\n\n") == false);
  CHECK(seen == 2);
  CHECK(reader.feed("data: 4\n\n") == false);
  CHECK(seen == 2);
}

TEST_CASE("an event cut before its blank line is delivered by finish()", "[sse]") {
  std::vector<std::string> data;
  SseReader reader([&](const SseEvent& e) {
    data.push_back(e.data);
    return true;
  });
  reader.feed("data: whole\n\ndata: cut");
  CHECK(reader.has_partial());
  CHECK(data == std::vector<std::string>{"whole"});
  reader.finish();
  CHECK(data == std::vector<std::string>{"whole", "cut"});
}
