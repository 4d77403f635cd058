#include "http_delivery.hpp"

#include <memory>

namespace polyrouter::sim::detail {
namespace {

// Sends a declared Content-Length, then half of the body, then reports failure so httplib
// closes the connection: the client sees a body shorter than announced.
void deliver_dropped(const Reply& reply, httplib::Response& response) {
  auto body = std::make_shared<std::string>(reply.body);
  response.set_content_provider(
      body->size(), reply.content_type,
      [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
        if (offset == 0) sink.write(body->data(), body->size() / 2);
        return false;
      });
}

// One HTTP chunk per SSE frame, so clients see each delta as it is "generated". A cut stream
// stops early and reports failure, so httplib closes the connection without the terminating
// zero-length chunk.
void deliver_stream(const Reply& reply, httplib::Response& response, Wait wait) {
  struct Progress {
    std::vector<std::string> frames;
    std::string terminator;
    std::size_t limit = 0;
    bool cut = false;
    std::size_t next = 0;
    std::chrono::milliseconds pause{0};  // once, before frame number pause_before
    std::size_t pause_before = 0;
    Wait wait;
  };
  auto progress = std::make_shared<Progress>();
  progress->frames = reply.frames;
  progress->terminator = reply.terminator;
  progress->cut = reply.delivery == Reply::Delivery::cut;
  progress->limit = progress->cut ? reply.frames_to_send : reply.frames.size();
  progress->pause = reply.pause;
  progress->pause_before = reply.pause_before;
  progress->wait = std::move(wait);

  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider(
      reply.content_type, [progress](std::size_t, httplib::DataSink& sink) {
        if (progress->pause.count() > 0 && progress->next == progress->pause_before) {
          progress->wait(progress->pause);
          progress->pause = std::chrono::milliseconds(0);
        }
        if (progress->next < progress->limit) {
          const auto& frame = progress->frames[progress->next++];
          return sink.write(frame.data(), frame.size());
        }
        if (progress->cut) return false;
        if (!progress->terminator.empty()) {
          sink.write(progress->terminator.data(), progress->terminator.size());
        }
        sink.done();
        return true;
      });
}

}  // namespace

void deliver(const Reply& reply, httplib::Response& response, Wait wait) {
  response.status = reply.status;
  for (const auto& [name, value] : reply.headers) response.set_header(name, value);
  switch (reply.delivery) {
    case Reply::Delivery::whole:
      response.set_content(reply.body, reply.content_type);
      break;
    case Reply::Delivery::drop:
      deliver_dropped(reply, response);
      break;
    case Reply::Delivery::sse:
    case Reply::Delivery::cut:
      deliver_stream(reply, response, std::move(wait));
      break;
    case Reply::Delivery::reset:
      break;
  }
}

}  // namespace polyrouter::sim::detail
