#include "http/sse.hpp"

namespace polyrouter::detail {

SseReader::SseReader(std::function<bool(const SseEvent&)> on_event) : on_event_(std::move(on_event)) {}

bool SseReader::feed(std::string_view bytes) {
  std::size_t at = 0;
  while (at < bytes.size() && !stopped_) {
    if (last_was_cr_) {  // the LF of a CRLF: the CR already ended the line
      last_was_cr_ = false;
      if (bytes[at] == '\n' && ++at == bytes.size()) break;
    }
    // A plain scan: find_first_of with two characters calls memchr once per byte.
    std::size_t end = at;
    while (end < bytes.size() && bytes[end] != '\n' && bytes[end] != '\r') ++end;
    if (end == bytes.size()) {
      line_.append(bytes.substr(at));  // the rest of this line comes with the next bytes
      break;
    }
    last_was_cr_ = bytes[end] == '\r';
    const std::string_view piece = bytes.substr(at, end - at);
    if (line_.empty()) {
      stopped_ = !line(piece);  // the common case: the whole line is in this chunk
    } else {
      line_.append(piece);
      stopped_ = !line(line_);
      line_.clear();
    }
    at = end + 1;
  }
  return !stopped_;
}

bool SseReader::finish() {
  if (stopped_) return false;
  if (!line_.empty()) {
    const bool more = line(line_);
    line_.clear();
    if (!more) return false;
  }
  return dispatch();
}

bool SseReader::line(std::string_view text) {
  if (text.empty()) return dispatch();
  if (text.front() == ':') return true;  // comment / keep-alive
  const auto colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (data_lines_++ > 0) event_.data += '\n';
    event_.data += value;
  } else if (field == "event") {
    event_.event.assign(value);
  } else if (field == "id" || field == "retry") {
    // Not used by any provider polyrouter speaks to.
  } else {
    raw_ += text;  // unframed text, e.g. a pretty-printed {"error": ...}
    raw_ += '\n';
  }
  return true;
}

bool SseReader::dispatch() {
  bool keep_going = true;
  if (data_lines_ > 0) {
    if (event_.event.empty()) event_.event = "message";
    keep_going = on_event_(event_);
  } else if (!raw_.empty()) {
    keep_going = on_event_(SseEvent{"raw", raw_});
  }
  raw_.clear();
  event_.event.clear();  // clear() keeps the capacity for the next event
  event_.data.clear();
  data_lines_ = 0;
  return keep_going;
}

}  // namespace polyrouter::detail
