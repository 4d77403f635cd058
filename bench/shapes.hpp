#pragma once
// The real providers' answer shapes: success fixtures of tests/fixtures served verbatim, with
// their headers, by the bench server (one port per shape, at the path the provider's API uses),
// and what both the orchestrator and the raw baseline send and must read back from each.

#include <map>
#include <string>
#include <vector>

#include <polyrouter/polyrouter.hpp>

#include "baseline.hpp"
#include "common.hpp"

namespace bench {

/// One answer shape. Every name is a file of the fixtures directory.
struct ShapeSpec {
  const char* name;          ///< "groq", "openai_tool_call", ...: the case's key and the server's label
  const char* label;         ///< how the report names it: "Groq", "OpenAI, tool call", ...
  const char* provider;      ///< polyrouter's provider name: groq, cerebras, openai, gemini
  const char* body_file;     ///< the success body, served byte for byte
  const char* headers_file;  ///< its status line and headers (the status line becomes HTTP/1.1 200 OK)
  const char* error_file;    ///< the provider's answer to a request without its key header
  int error_status;          ///< ... and its status
  /// Where the provider's API takes a chat request; "{model}" stands for any one path segment.
  const char* path;
  /// What a pool's base_url adds to the server root: "" where the pool's base_url is the root
  /// (groq, cerebras, gemini), "/v1" where it holds the version path (openai, as OPENAI_BASE_URL).
  const char* base_path;
  bool async;  ///< also measured on the async path (64 in flight vs curl multi)
};

/// Every shape, in the order the case measures them.
const std::vector<ShapeSpec>& shape_specs();

/// The fixtures directory: --fixtures, or the repository's tests/fixtures (compiled in).
std::string fixtures_dir(const Options& options);

/// The whole text of @p name in @p dir. @throws std::runtime_error naming the file.
std::string read_fixture(const std::string& dir, const std::string& name);

/// Whether @p path (a request target, no query) is what @p pattern names ("{model}" = one segment).
bool path_matches(const std::string& pattern, std::string_view path);

/// A tool call as both clients report it (Gemini gives no id: both number them call_0, call_1...).
struct Call {
  std::string id;
  std::string name;
  std::string arguments;
  bool operator==(const Call& other) const {
    return id == other.id && name == other.name && arguments == other.arguments;
  }
};

/// What an answer holds that a client reads: the text and the tool calls.
struct Answer {
  std::string text;
  std::vector<Call> calls;
  bool operator==(const Answer& other) const { return text == other.text && calls == other.calls; }
};

/// A shape made ready for the clients: the server's URL for it, the request, the expected answer.
struct Shape {
  ShapeSpec spec;
  bool gemini = false;     ///< the Gemini wire; otherwise OpenAI Chat Completions
  std::string root;        ///< "http://127.0.0.1:PORT", the shape's own origin
  std::string model;       ///< the fixture's model, asked for by both clients
  std::string url;         ///< the chat URL the raw client posts to
  polyrouter::ChatRequest request;  ///< the prompt, plus the called tool when the answer is a tool call
  Answer expected;         ///< read from the fixture with decode_answer()
};

/// "name=URL,name=URL" (the server's ports) -> name -> URL.
std::map<std::string, std::string> parse_shape_urls(const std::string& list);

/// Loads @p spec's fixture from @p dir for the server at @p root. @throws std::runtime_error.
Shape load_shape(const ShapeSpec& spec, const std::string& dir, const std::string& root);

/// The orchestrator's configuration: one pool of the shape's provider on its origin.
polyrouter::OrchestratorConfig shape_config(const Shape& shape);

/// The raw client's request body for @p shape, built with nlohmann::json as polyrouter's codec
/// builds it (the same bytes).
std::string raw_body(const Shape& shape);

/// Parses a whole answer body with nlohmann::json and reads it fully: the OpenAI shapes'
/// choices[0].message content and tool_calls, Gemini's candidates[0].content.parts[*] text and
/// functionCall parts. @throws on a malformed body.
Answer decode_answer(bool gemini, const std::string& body);

/// Whether @p response carries @p expected (text and tool calls, ids included).
bool answer_matches(const polyrouter::Response& response, const Answer& expected);
/// Throws unless answer_matches().
void check_shape_answer(const polyrouter::Response& response, const Answer& expected);

/// The raw client's exchange for @p shape (which must outlive it): the same headers as
/// polyrouter's client for that provider, raw_body() built anew for every request, and the
/// answer read with decode_answer() and compared with the expected one.
RawExchange raw_exchange(const Shape& shape);

}  // namespace bench
