// The RedisServer fixture itself: a private server on a free port, persistence off, stopped by
// PID, and each of its chaos helpers doing what it says.

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "redis_server.hpp"

using polyrouter::test::RedisEndpoint;
using polyrouter::test::RedisServer;
using polyrouter::test::RedisServerError;
using polyrouter::test::RedisServerOptions;
using namespace std::chrono_literals;

namespace {

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The first line a shell command prints (redis-cli for the TLS check).
std::string first_line_of(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  REQUIRE(pipe);
  char line[512] = {};
  if (std::fgets(line, sizeof line, pipe.get()) == nullptr) return "";
  std::string s(line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

TEST_CASE("RedisServer runs a private server with persistence off and stops it by PID", "[fleet][redis_server]") {
  REQUIRE(polyrouter::test::redis_server_available());
  pid_t pid = -1;
  std::string folder;
  int port = 0;
  {
    RedisServer redis;
    pid = redis.pid();
    folder = redis.folder();
    port = redis.port();
    CHECK(pid > 0);
    CHECK(port > 0);
    CHECK(port != 6379);
    CHECK(redis.url() == "redis://127.0.0.1:" + std::to_string(port) + "/0");
    CHECK(redis.unix_url().empty());
    CHECK(path_exists(folder));
    CHECK(redis.command({"PING"}) == "PONG");
    CHECK(redis.command({"SET", "greeting", "hello"}) == "OK");
    CHECK(redis.command({"GET", "greeting"}) == "hello");
    CHECK(redis.command({"GET", "missing"}) == "(nil)");
    CHECK(redis.command({"INCR", "counter"}) == "1");
    CHECK(redis.command({"CONFIG", "GET", "save"}) == "save\n");
    CHECK(redis.command({"CONFIG", "GET", "appendonly"}) == "appendonly\nno");
    CHECK(redis.command({"CONFIG", "GET", "dir"}) == "dir\n" + folder);
    CHECK_THROWS_AS(redis.command({"NO-SUCH-COMMAND"}), RedisServerError);
    const auto before = redis.commands_processed();
    redis.command({"PING"});
    CHECK(redis.commands_processed() == before + 2);  // the first INFO and the PING
    redis.flushall();
    CHECK(redis.command({"DBSIZE"}) == "0");
  }
  CHECK_FALSE(process_exists(pid));
  CHECK_FALSE(path_exists(folder));
  RedisEndpoint gone;
  gone.port = port;
  CHECK_THROWS_AS(polyrouter::test::redis_command(gone, {"PING"}, {}, 300ms), RedisServerError);
}

TEST_CASE("RedisServer kills, restarts on the same port, pauses and resumes", "[fleet][redis_server]") {
  RedisServer redis;
  const int port = redis.port();
  redis.command({"SET", "k", "v"});

  redis.kill();
  CHECK_FALSE(redis.running());
  CHECK_THROWS_AS(redis.command({"PING"}, 300ms), RedisServerError);

  redis.restart();
  CHECK(redis.running());
  CHECK(redis.port() == port);
  CHECK(redis.command({"PING"}) == "PONG");
  CHECK(redis.command({"GET", "k"}) == "(nil)");  // nothing persisted

  // Paused: the connection is accepted by the kernel, and nothing answers.
  redis.pause();
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(redis.command({"PING"}, 300ms), RedisServerError);
  CHECK(std::chrono::steady_clock::now() - t0 >= 250ms);
  redis.resume();
  CHECK(redis.command({"PING"}) == "PONG");

  // Restarting a paused server works too (stop continues it so it can handle SIGTERM).
  redis.pause();
  redis.restart();
  CHECK(redis.command({"PING"}) == "PONG");
}

TEST_CASE("RedisServer with a password and a unix socket", "[fleet][redis_server]") {
  RedisServerOptions options;
  options.password = "s3cret-pass";
  options.unix_socket = true;
  RedisServer redis(options);
  CHECK(redis.url() == "redis://:s3cret-pass@127.0.0.1:" + std::to_string(redis.port()) + "/0");
  CHECK(redis.unix_url() == "unix://" + redis.unix_path());
  CHECK(redis.command({"PING"}) == "PONG");

  RedisEndpoint plain;
  plain.port = redis.port();
  CHECK_THROWS_WITH(polyrouter::test::redis_command(plain, {"GET", "x"}), Catch::Contains("NOAUTH"));

  RedisEndpoint socket;
  socket.unix_path = redis.unix_path();
  CHECK(polyrouter::test::redis_command(socket, {"PING"}, "s3cret-pass") == "PONG");
  CHECK_THROWS_WITH(polyrouter::test::redis_command(socket, {"PING"}, "wrong"), Catch::Contains("WRONGPASS"));

  redis.restart();  // the socket is made again
  CHECK(polyrouter::test::redis_command(socket, {"PING"}, "s3cret-pass") == "PONG");
}

TEST_CASE("RedisServer with TLS serves a certificate its CA file verifies", "[fleet][redis_server]") {
  RedisServerOptions options;
  options.tls = true;
  RedisServer redis(options);
  CHECK(redis.url() == "rediss://127.0.0.1:" + std::to_string(redis.tls_port()) + "/0");
  CHECK(redis.plain_url() == "redis://127.0.0.1:" + std::to_string(redis.port()) + "/0");
  REQUIRE(path_exists(redis.ca_file()));
  CHECK(redis.command({"PING"}) == "PONG");

  const std::string tls_port = std::to_string(redis.tls_port());
  // Verified against the generated CA, by IP address and by name.
  CHECK(first_line_of("redis-cli --tls --cacert " + redis.ca_file() + " -h 127.0.0.1 -p " + tls_port + " PING 2>&1") ==
        "PONG");
  CHECK(first_line_of("redis-cli --tls --cacert " + redis.ca_file() + " -h localhost -p " + tls_port + " PING 2>&1") ==
        "PONG");
  // Without the CA the certificate is not trusted.
  CHECK(first_line_of("redis-cli --tls -h 127.0.0.1 -p " + tls_port + " PING 2>&1") != "PONG");
}
