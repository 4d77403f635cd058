#include "providers/gemini_reader.hpp"

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "providers/json_capture.hpp"
#include "providers/json_read.hpp"

namespace polyrouter::detail::gemini {
namespace {

using json = nlohmann::json;

// SAX events for a GenerateContentResponse, kept only where decode_response reads them. Every
// container the reader does not need is skipped by depth. Whatever the tree decoder would treat
// differently (an error envelope, a first candidate that is not an object, a repeated field)
// stops the parse, so the caller falls back to that decoder and its error messages.
class ResponseReader {
 public:
  bool null() {
    if (capture_.active() || begin_args()) return end_args(capture_.null());
    return scalar(Kind::null);
  }
  bool boolean(bool value) {
    if (capture_.active() || begin_args()) return end_args(capture_.boolean(value));
    if (skip_ == 0 && depth_ > 0 && top() == Frame::part && field_ == Field::thought) part_thought_ = value;
    return scalar(Kind::other);
  }
  bool number_integer(json::number_integer_t value) {
    if (capture_.active() || begin_args()) return end_args(capture_.number_integer(value));
    return number(value);
  }
  bool number_unsigned(json::number_unsigned_t value) {
    if (capture_.active() || begin_args()) return end_args(capture_.number_unsigned(value));
    return number(exact_int64(value));
  }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    if (capture_.active() || begin_args()) return end_args(capture_.number_float(value, text));
    return number(exact_int64(value));
  }
  bool binary(json::binary_t& value) {
    if (capture_.active()) return end_args(capture_.binary(value));
    return scalar(Kind::other);
  }

  bool string(json::string_t& value) {
    if (capture_.active() || begin_args()) return end_args(capture_.string(value));
    if (skip_ > 0 || depth_ == 0 || !in_object()) return scalar(Kind::other);
    switch (field_) {
      case Field::response_id: response().id = std::move(value); return true;
      case Field::finish_reason: response().raw_finish_reason = std::move(value); return true;
      case Field::text:
        part_has_text_ = true;
        part_text_ = std::move(value);
        return true;
      case Field::signature: part_signature_ = std::move(value); return true;
      case Field::name: call_.name = std::move(value); return true;
      case Field::id:
        call_has_id_ = true;
        call_.id = std::move(value);
        return true;
      case Field::block_reason:
        block_reason_ = std::move(value);
        block_reason_is_string_ = true;
        return true;
      default: return scalar(Kind::other);
    }
  }

  bool start_object(std::size_t n) {
    if (capture_.active() || begin_args()) return capture_.start_object(n);
    return open(/*object=*/true);
  }
  bool start_array(std::size_t n) {
    if (capture_.active() || begin_args()) return capture_.start_array(n);
    return open(/*object=*/false);
  }
  bool end_object() {
    if (capture_.active()) return end_args(capture_.end_object());
    return close();
  }
  bool end_array() {
    if (capture_.active()) return end_args(capture_.end_array());
    return close();
  }

  bool key(json::string_t& name) {
    if (capture_.active()) return capture_.key(name);
    if (skip_ > 0) return true;
    field_ = field_named(top(), name);
    if (field_ == Field::none) return true;
    // A repeated field: the tree keeps the last value; leave that to the tree decoder.
    auto& seen = seen_[static_cast<std::size_t>(top())];
    const auto bit = static_cast<std::uint32_t>(1U << static_cast<unsigned>(field_));
    if ((seen & bit) != 0) return false;
    seen |= bit;
    if (field_ == Field::block_reason) has_block_reason_ = true;  // of any type
    if (field_ == Field::args) call_has_args_ = true;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  /// The answer, once the whole body has been read without a reason to fall back.
  std::optional<Decoded> take() {
    if (candidates_seen_ > 0) {
      Response& r = response();
      r.usage = usage_;
      r.usage.completion_tokens = completion_tokens(candidates_tokens_, usage_.reasoning_tokens);
      settle_finish_reason(decoded_);
      return std::move(decoded_);
    }
    if (!has_block_reason_) return std::nullopt;  // neither candidates nor a block: the tree decoder says so
    // A blocked prompt: no candidate is read, only the reason, the usage and the id.
    Decoded out;
    out.response.id = std::move(response().id);
    out.response.usage = usage_;
    out.response.usage.completion_tokens = completion_tokens(candidates_tokens_, usage_.reasoning_tokens);
    out.response.finish_reason = FinishReason::content_filter;
    out.blocked_reason = block_reason_is_string_ ? std::move(block_reason_) : std::string("BLOCKED");
    return out;
  }

 private:
  enum class Frame : std::uint8_t {
    root, candidates, candidate, content, parts, part, function_call, usage, feedback,
    skip,  // not a frame: nested() says "read past this container"
    stop,  // not a frame: nested() says "leave this body to the tree decoder"
  };
  enum class Field : std::uint8_t {
    none, error, usage, response_id, candidates, feedback, finish_reason, content, parts, thought, text,
    function_call, signature, name, id, args, prompt_tokens, candidates_tokens, thoughts_tokens, total_tokens,
    block_reason
  };
  enum class Kind : std::uint8_t { null, other };

  static Field field_named(Frame frame, const std::string& name) {
    switch (frame) {
      case Frame::root:
        if (name == "candidates") return Field::candidates;
        if (name == "usageMetadata") return Field::usage;
        if (name == "responseId") return Field::response_id;
        if (name == "promptFeedback") return Field::feedback;
        if (name == "error") return Field::error;
        return Field::none;  // modelVersion and the rest: no part of a Response
      case Frame::candidate:
        if (name == "content") return Field::content;
        if (name == "finishReason") return Field::finish_reason;
        return Field::none;
      case Frame::content:
        return name == "parts" ? Field::parts : Field::none;
      case Frame::part:
        if (name == "text") return Field::text;
        if (name == "thought") return Field::thought;
        if (name == "functionCall") return Field::function_call;
        if (name == "thoughtSignature") return Field::signature;
        return Field::none;
      case Frame::function_call:
        if (name == "name") return Field::name;
        if (name == "id") return Field::id;
        if (name == "args") return Field::args;
        return Field::none;
      case Frame::usage:
        if (name == "promptTokenCount") return Field::prompt_tokens;
        if (name == "candidatesTokenCount") return Field::candidates_tokens;
        if (name == "thoughtsTokenCount") return Field::thoughts_tokens;
        if (name == "totalTokenCount") return Field::total_tokens;
        return Field::none;
      case Frame::feedback:
        return name == "blockReason" ? Field::block_reason : Field::none;
      default:
        return Field::none;
    }
  }

  Response& response() { return decoded_.response; }
  Frame top() const { return frames_[depth_ - 1]; }
  bool in_object() const { return top() != Frame::candidates && top() != Frame::parts; }

  // A functionCall's args, any JSON value: the tree decoder gives its dump(), so it is built as a
  // small tree and dumped the same way.
  bool begin_args() {
    if (skip_ > 0 || depth_ == 0 || top() != Frame::function_call || field_ != Field::args) return false;
    capture_.begin();
    return true;
  }
  bool end_args(bool ok) {
    if (ok && !capture_.active()) call_.arguments = capture_.dump();
    return ok;
  }

  bool scalar(Kind kind) {
    if (skip_ > 0) return true;
    if (depth_ == 0) return false;  // the body is not an object
    if (top() == Frame::candidates) return candidates_seen_++ != 0;  // a first candidate must be an object
    if (top() == Frame::parts) return true;  // a part that is not an object is skipped
    if (field_ == Field::error) return kind == Kind::null;  // a non-null error envelope
    return true;  // wrong-typed values read as absent, as string_or and int64_or_zero do
  }

  // A count that is not a whole int64 reads as 0, as in the tree decoder.
  bool number(std::optional<std::int64_t> value) {
    if (skip_ > 0 || depth_ == 0 || !in_object() || top() != Frame::usage) return scalar(Kind::other);
    switch (field_) {
      case Field::prompt_tokens: usage_.prompt_tokens = value.value_or(0); return true;
      case Field::candidates_tokens: candidates_tokens_ = value.value_or(0); return true;
      case Field::thoughts_tokens: usage_.reasoning_tokens = value.value_or(0); return true;
      case Field::total_tokens: usage_.total_tokens = value.value_or(0); return true;
      default: return true;
    }
  }

  bool push(Frame frame) {
    if (depth_ == frames_.size()) return false;
    frames_[depth_++] = frame;
    seen_[static_cast<std::size_t>(frame)] = 0;  // a part's fields, afresh for each part
    return true;
  }

  bool open(bool object) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    if (depth_ == 0) return object && push(Frame::root);
    if (top() == Frame::candidates) {
      if (candidates_seen_++ == 0) return object && push(Frame::candidate);
      skip_ = 1;  // only the first candidate counts
      return true;
    }
    if (top() == Frame::parts) {
      if (!object) {
        skip_ = 1;  // a part that is not an object is skipped
        return true;
      }
      part_thought_ = false;
      part_has_text_ = false;
      part_text_.clear();
      part_signature_.clear();
      part_has_call_ = false;
      call_ = ToolCall{};
      call_has_id_ = false;
      call_has_args_ = false;
      return push(Frame::part);
    }
    const Frame next = nested(object);
    if (next == Frame::stop) return false;
    if (next == Frame::skip) {
      skip_ = 1;
      return true;
    }
    return push(next);
  }

  // The frame a container opens under the current field: skip when nothing in it is read, stop
  // when the tree decoder must decide.
  Frame nested(bool object) {
    switch (field_) {
      case Field::error: return Frame::stop;
      case Field::candidates: return object ? Frame::skip : Frame::candidates;
      case Field::usage: return object ? Frame::usage : Frame::skip;
      case Field::feedback: return object ? Frame::feedback : Frame::skip;
      case Field::content: return object ? Frame::content : Frame::skip;
      case Field::parts: return object ? Frame::skip : Frame::parts;
      case Field::function_call:
        if (!object) return Frame::skip;
        part_has_call_ = true;
        return Frame::function_call;
      default: return Frame::skip;
    }
  }

  bool close() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    if (frames_[--depth_] == Frame::part) end_part();
    return true;
  }

  // A part's text and call count once the whole part is read: a thought part is no answer,
  // wherever its "thought" stands.
  void end_part() {
    if (part_thought_) return;
    Response& r = response();
    if (part_has_text_) r.text += part_text_;
    if (!part_has_call_) return;
    if (!call_has_id_) call_.id = "call_" + std::to_string(r.tool_calls.size());
    if (!call_has_args_) call_.arguments = "{}";
    call_.signature = std::move(part_signature_);
    r.tool_calls.push_back(std::move(call_));
  }

  std::array<Frame, 8> frames_{};
  std::size_t depth_ = 0;
  std::size_t skip_ = 0;  ///< depth inside a container nobody reads
  Field field_ = Field::none;
  std::array<std::uint32_t, static_cast<std::size_t>(Frame::skip)> seen_{};
  std::size_t candidates_seen_ = 0;
  Usage usage_;
  std::int64_t candidates_tokens_ = 0;
  bool has_block_reason_ = false;
  std::string block_reason_;
  bool block_reason_is_string_ = false;
  // The part being read.
  bool part_thought_ = false;
  bool part_has_text_ = false;
  std::string part_text_;
  std::string part_signature_;
  bool part_has_call_ = false;
  ToolCall call_;
  bool call_has_id_ = false;
  bool call_has_args_ = false;
  JsonCapture capture_;  ///< the call's args
  Decoded decoded_;
};

}  // namespace

std::optional<Decoded> read_response(std::string_view body) {
  ResponseReader reader;
  if (!json::sax_parse(body.begin(), body.end(), &reader)) return std::nullopt;
  return reader.take();
}

}  // namespace polyrouter::detail::gemini
