#pragma once
// An incremental text/event-stream reader (private). Accepts LF, CRLF and CR line ends, joins
// multi-line data, skips comments. Lines outside SSE framing (a provider writing raw JSON into
// the stream, as Gemini does for some errors) are kept and handed over as a "raw" event.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace polyrouter::detail {

struct SseEvent {
  std::string event;  ///< "message" unless the stream named it; "raw" for unframed text
  std::string data;
};

class SseReader {
 public:
  /// @p on_event returns false to stop reading.
  explicit SseReader(std::function<bool(const SseEvent&)> on_event);

  /// Feeds bytes as they arrive; returns false once the handler asked to stop.
  bool feed(std::string_view bytes);
  /// Dispatches whatever is buffered at the end of the body; returns false on a stop.
  bool finish();
  /// Whether undelivered bytes remain (a body cut mid-event).
  bool has_partial() const { return !line_.empty() || !event_.data.empty() || data_lines_ > 0; }
  /// Bytes held for the event being read (its unfinished line and data so far).
  std::size_t buffered() const { return line_.size() + event_.data.size() + raw_.size(); }

 private:
  bool line(std::string_view text);
  bool dispatch();

  std::function<bool(const SseEvent&)> on_event_;
  std::string line_;
  SseEvent event_;
  std::string raw_;
  int data_lines_ = 0;
  bool last_was_cr_ = false;
  bool stopped_ = false;
};

}  // namespace polyrouter::detail
