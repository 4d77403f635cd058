// The event loop's own queue (src/http/event_loop.hpp): an HTTP/1 host gets at most
// max_host_connections transfers from libcurl at once, the rest wait in the loop in order, and a
// request's time limit counts that wait. Real libcurl, a real loopback server.

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "http/event_loop.hpp"
#include "test_server.hpp"

using polyrouter::TransportFailure;
using polyrouter::detail::EventLoop;
using polyrouter::detail::HttpRequest;
using polyrouter::detail::HttpResponse;
using polyrouter::test::RecordedRequest;
using polyrouter::test::Reply;
using polyrouter::test::TestServer;
using namespace std::chrono_literals;

namespace {

HttpRequest post(const std::string& url, std::string body) {
  HttpRequest r;
  r.url = url;
  r.body = std::move(body);
  return r;
}

// Runs @p task on the loop thread and returns its result.
template <typename F>
auto on_loop(EventLoop& loop, F task) {
  std::promise<decltype(task())> result;
  loop.post([&] { result.set_value(task()); });
  return result.get_future().get();
}

// Holds every request until release(): the test decides when the server answers.
class Gate {
 public:
  Reply wait(const RecordedRequest& request) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, 10s, [this] { return open_; });
    return Reply::text("answer to " + request.body);
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace

TEST_CASE("an HTTP/1 host gets max_host_connections transfers at once; the others wait in the loop",
          "[event_loop]") {
  TestServer server;
  Gate gate;
  server.respond_with([&](const RecordedRequest& r) { return gate.wait(r); });
  EventLoop loop(/*max_host_connections=*/2);

  constexpr int kRequests = 7;
  std::vector<std::promise<HttpResponse>> answers(kRequests);
  on_loop(loop, [&] {
    for (int i = 0; i < kRequests; ++i) {
      loop.start_transfer(post(server.url() + "/chat", std::to_string(i)),
                          [&answers, i](HttpResponse r) { answers[i].set_value(std::move(r)); });
    }
    return 0;
  });
  REQUIRE(server.wait_for_count(2, 5s));
  CHECK(on_loop(loop, [&] { return loop.transfers_waiting(); }) == kRequests - 2);
  CHECK(loop.transfers_in_flight() == kRequests);
  CHECK(server.count() == 2);  // the waiting ones were never sent

  gate.release();
  for (int i = 0; i < kRequests; ++i) {
    const HttpResponse r = answers[i].get_future().get();
    CHECK(r.failure == TransportFailure::none);
    CHECK(r.status == 200);
    CHECK(r.body == "answer to " + std::to_string(i));
  }
  CHECK(server.count() == kRequests);
  CHECK(server.connections_accepted() <= 2);
  CHECK(on_loop(loop, [&] { return loop.transfers_waiting(); }) == 0);
  CHECK(loop.transfers_in_flight() == 0);
}

TEST_CASE("each origin has its own connections and its own queue", "[event_loop]") {
  TestServer slow;
  TestServer fast(Reply::text("fast"));
  Gate gate;
  slow.respond_with([&](const RecordedRequest& r) { return gate.wait(r); });
  EventLoop loop(/*max_host_connections=*/1);

  std::promise<HttpResponse> slow_first, slow_second, fast_answer;
  on_loop(loop, [&] {
    loop.start_transfer(post(slow.url(), "1"), [&](HttpResponse r) { slow_first.set_value(std::move(r)); });
    loop.start_transfer(post(slow.url(), "2"), [&](HttpResponse r) { slow_second.set_value(std::move(r)); });
    loop.start_transfer(post(fast.url(), "3"), [&](HttpResponse r) { fast_answer.set_value(std::move(r)); });
    return 0;
  });
  // The busy origin's queue does not hold up another origin.
  const HttpResponse fast_response = fast_answer.get_future().get();
  CHECK(fast_response.body == "fast");
  CHECK(on_loop(loop, [&] { return loop.transfers_waiting(); }) == 1);
  gate.release();
  CHECK(slow_first.get_future().get().body == "answer to 1");
  CHECK(slow_second.get_future().get().body == "answer to 2");
}

TEST_CASE("a request's time limit counts its wait for a connection", "[event_loop]") {
  TestServer server;
  server.enqueue(Reply::text("slow").after(600ms));
  server.respond(Reply::text("quick"));
  EventLoop loop(/*max_host_connections=*/1);

  std::promise<HttpResponse> first, second;
  on_loop(loop, [&] {
    loop.start_transfer(post(server.url(), "1"), [&](HttpResponse r) { first.set_value(std::move(r)); });
    HttpRequest limited = post(server.url(), "2");
    limited.timeout = 200ms;  // spent waiting behind the first request
    loop.start_transfer(std::move(limited), [&](HttpResponse r) { second.set_value(std::move(r)); });
    return 0;
  });
  CHECK(first.get_future().get().body == "slow");
  const HttpResponse late = second.get_future().get();
  CHECK(late.failure == TransportFailure::timeout);
  CHECK(late.body != "quick");
}

TEST_CASE("a waiting request times out on time while its host's connections stay busy", "[event_loop]") {
  TestServer server;
  Gate gate;
  server.respond_with([&](const RecordedRequest& r) { return gate.wait(r); });
  EventLoop loop(/*max_host_connections=*/1);

  std::promise<HttpResponse> first, second;
  on_loop(loop, [&] {
    loop.start_transfer(post(server.url(), "1"), [&](HttpResponse r) { first.set_value(std::move(r)); });
    HttpRequest limited = post(server.url(), "2");
    limited.timeout = 200ms;
    loop.start_transfer(std::move(limited), [&](HttpResponse r) { second.set_value(std::move(r)); });
    return 0;
  });
  auto second_answer = second.get_future();
  REQUIRE(second_answer.wait_for(5s) == std::future_status::ready);
  const HttpResponse late = second_answer.get();
  CHECK(late.failure == TransportFailure::timeout);
  auto first_answer = first.get_future();
  CHECK(first_answer.wait_for(0s) == std::future_status::timeout);  // still held by the gate
  CHECK(server.count() == 1);
  gate.release();
  CHECK(first_answer.get().body == "answer to 1");
}
