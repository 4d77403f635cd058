#include "providers/openai_reader.hpp"

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "logging.hpp"
#include "providers/json_capture.hpp"
#include "providers/json_read.hpp"
#include "providers/openai_codec.hpp"

namespace polyrouter::detail::openai {
namespace {

using json = nlohmann::json;

// SAX events for a chat.completion, kept only where a Response reads them. Every container the
// reader does not need is skipped by depth. Whatever the tree decoder would treat differently
// (an error envelope, a malformed tool call, a missing or misshapen choice or message, a repeated
// field) stops the parse, so the caller falls back to that decoder and its error messages.
class PlainResponseReader {
 public:
  bool null() {
    if (capture_.active()) return end_arguments(capture_.null());
    return scalar(Kind::null);  // null arguments read as absent: "{}"
  }
  bool boolean(bool value) {
    if (capture_.active() || begin_arguments()) return end_arguments(capture_.boolean(value));
    return scalar(Kind::other);
  }
  bool number_integer(json::number_integer_t value) {
    if (capture_.active() || begin_arguments()) return end_arguments(capture_.number_integer(value));
    return number(value);
  }
  bool number_unsigned(json::number_unsigned_t value) {
    if (capture_.active() || begin_arguments()) return end_arguments(capture_.number_unsigned(value));
    return number(exact_int64(value));
  }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    if (capture_.active() || begin_arguments()) return end_arguments(capture_.number_float(value, text));
    return number(exact_int64(value));
  }
  bool binary(json::binary_t& value) {
    if (capture_.active()) return end_arguments(capture_.binary(value));
    return scalar(Kind::other);
  }

  bool string(json::string_t& value) {
    if (capture_.active()) return end_arguments(capture_.string(value));
    if (skip_ > 0 || depth_ == 0 || !in_object()) return scalar(Kind::other);
    switch (field_) {
      case Field::id:
        (top() == Frame::tool_call ? call_.id : response_.id) = std::move(value);
        return true;
      case Field::content: response_.text = std::move(value); return true;
      case Field::finish_reason: response_.raw_finish_reason = std::move(value); return true;
      case Field::type: call_skipped_ = value != "function"; return true;
      case Field::name: call_.name = std::move(value); return true;
      case Field::arguments: call_.arguments = std::move(value); return true;  // the text as sent
      default: return scalar(Kind::other);
    }
  }

  bool start_object(std::size_t n) {
    if (capture_.active() || begin_arguments()) return capture_.start_object(n);
    return open(/*object=*/true);
  }
  bool start_array(std::size_t n) {
    if (capture_.active() || begin_arguments()) return capture_.start_array(n);
    return open(/*object=*/false);
  }
  bool end_object() {
    if (capture_.active()) return end_arguments(capture_.end_object());
    return close();
  }
  bool end_array() {
    if (capture_.active()) return end_arguments(capture_.end_array());
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
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  /// The answer, once the whole body has been read without a reason to fall back.
  std::optional<Response> take() {
    if (!message_seen_) return std::nullopt;
    response_.finish_reason = decode_finish_reason(response_.raw_finish_reason);
    response_.usage = usage_object_ ? usage_ : groq_usage_;
    return std::move(response_);
  }

 private:
  enum class Frame : std::uint8_t {
    root, choices, choice, message, tool_calls, tool_call, function, usage, usage_details, x_groq, groq_usage,
    groq_usage_details,
    skip,  // not a frame: nested() says "read past this container"
    stop,  // not a frame: nested() says "leave this body to the tree decoder"
  };
  enum class Field : std::uint8_t {
    none, id, choices, error, usage, x_groq, message, finish_reason, content, tool_calls,
    prompt_tokens, completion_tokens, total_tokens, details, reasoning_tokens, type, function, name, arguments
  };
  enum class Kind : std::uint8_t { null, other };

  static Field field_named(Frame frame, const std::string& name) {
    switch (frame) {
      case Frame::root:
        if (name == "id") return Field::id;
        if (name == "choices") return Field::choices;
        if (name == "usage") return Field::usage;
        if (name == "error") return Field::error;
        if (name == "x_groq") return Field::x_groq;
        return Field::none;
      case Frame::choice:
        if (name == "message") return Field::message;
        if (name == "finish_reason") return Field::finish_reason;
        return Field::none;
      case Frame::message:
        if (name == "content") return Field::content;
        if (name == "tool_calls") return Field::tool_calls;
        return Field::none;
      case Frame::usage:
      case Frame::groq_usage:
        if (name == "prompt_tokens") return Field::prompt_tokens;
        if (name == "completion_tokens") return Field::completion_tokens;
        if (name == "total_tokens") return Field::total_tokens;
        if (name == "completion_tokens_details") return Field::details;
        return Field::none;
      case Frame::usage_details:
      case Frame::groq_usage_details:
        return name == "reasoning_tokens" ? Field::reasoning_tokens : Field::none;
      case Frame::x_groq:
        return name == "usage" ? Field::usage : Field::none;
      case Frame::tool_call:
        if (name == "id") return Field::id;
        if (name == "type") return Field::type;
        if (name == "function") return Field::function;
        return Field::none;
      case Frame::function:
        if (name == "name") return Field::name;
        if (name == "arguments") return Field::arguments;
        return Field::none;
      default:
        return Field::none;
    }
  }

  Frame top() const { return frames_[depth_ - 1]; }
  bool in_object() const { return top() != Frame::choices && top() != Frame::tool_calls; }
  Usage& usage_of(Frame frame) {
    return frame == Frame::usage || frame == Frame::usage_details ? usage_ : groq_usage_;
  }

  // An element of an array the reader tracks; false when the tree decoder must decide.
  bool array_element(bool is_object) {
    if (top() == Frame::tool_calls) return is_object;  // the tree decoder rejects any other call
    // choices: only the first element counts, and it must be an object.
    return choices_seen_++ != 0 || is_object;
  }

  // A function call's arguments that are a JSON value rather than text: the tree decoder gives
  // that value's dump(), so the value is built as a small tree and dumped the same way.
  bool begin_arguments() {
    if (skip_ > 0 || depth_ == 0 || top() != Frame::function || field_ != Field::arguments) return false;
    capture_.begin();
    return true;
  }
  bool end_arguments(bool ok) {
    if (ok && !capture_.active()) call_.arguments = capture_.dump();
    return ok;
  }

  bool scalar(Kind kind) {
    if (skip_ > 0) return true;
    if (depth_ == 0) return false;  // the body is not an object
    if (!in_object()) return array_element(/*is_object=*/false);
    switch (field_) {
      case Field::error: return kind == Kind::null;  // a non-null error envelope
      case Field::choices:
      case Field::message: return false;  // not an array / not an object
      default: return true;  // wrong-typed id, content, reason or count: read as absent
    }
  }

  // A count that is not a whole int64 reads as absent, as in the tree decoder.
  bool number(std::optional<std::int64_t> value) {
    if (skip_ > 0 || depth_ == 0 || !in_object()) return scalar(Kind::other);
    switch (field_) {
      case Field::prompt_tokens: usage_of(top()).prompt_tokens = value.value_or(0); return true;
      case Field::completion_tokens: usage_of(top()).completion_tokens = value.value_or(0); return true;
      case Field::total_tokens: usage_of(top()).total_tokens = value.value_or(0); return true;
      case Field::reasoning_tokens: usage_of(top()).reasoning_tokens = value.value_or(0); return true;
      default: return scalar(Kind::other);
    }
  }

  bool push(Frame frame) {
    if (depth_ == frames_.size()) return false;
    frames_[depth_++] = frame;
    seen_[static_cast<std::size_t>(frame)] = 0;  // a tool call's fields, afresh for each call
    return true;
  }

  bool open(bool object) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    if (depth_ == 0) return object && push(Frame::root);
    if (!in_object()) {
      const bool first_choice = top() == Frame::choices && choices_seen_ == 0;
      const bool call = top() == Frame::tool_calls;
      if (!array_element(object)) return false;
      if (first_choice) return push(Frame::choice);
      if (call) {
        call_ = ToolCall{};
        call_.arguments = "{}";  // absent or null arguments
        call_skipped_ = false;
        call_has_function_ = false;
        return push(Frame::tool_call);
      }
      skip_ = 1;
      return true;
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
  // when the tree decoder must decide (it fails on it, or reads tool calls).
  Frame nested(bool object) {
    const Frame parent = top();
    switch (field_) {
      case Field::choices: return object ? Frame::stop : Frame::choices;
      case Field::error: return Frame::stop;
      case Field::message:
        if (!object) return Frame::stop;
        message_seen_ = true;
        return Frame::message;
      case Field::tool_calls: return object ? Frame::skip : Frame::tool_calls;
      case Field::function:
        if (!object) return Frame::skip;  // not a function object: a malformed call, unless skipped
        call_has_function_ = true;
        return Frame::function;
      case Field::usage:
        if (!object) return Frame::skip;
        if (parent == Frame::root) {
          usage_object_ = true;
          return Frame::usage;
        }
        return Frame::groq_usage;
      case Field::x_groq: return object ? Frame::x_groq : Frame::skip;
      case Field::details:
        if (!object) return Frame::skip;
        return parent == Frame::usage ? Frame::usage_details : Frame::groq_usage_details;
      default: return Frame::skip;
    }
  }

  bool close() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    const Frame closed = frames_[--depth_];
    if (closed != Frame::tool_call) return true;
    // A call of another type ("custom", or one newer than this code) is skipped, as the tree
    // decoder does; a function call without a function object is malformed: the tree decoder
    // names it.
    if (call_skipped_) {
      log().debug("openai: skipped a tool call that is not a function call");  // the answer stands
      return true;
    }
    if (!call_has_function_) return false;
    response_.tool_calls.push_back(std::move(call_));
    return true;
  }

  std::array<Frame, 8> frames_{};
  std::size_t depth_ = 0;
  std::size_t skip_ = 0;  ///< depth inside a container nobody reads
  Field field_ = Field::none;
  std::array<std::uint32_t, static_cast<std::size_t>(Frame::skip)> seen_{};
  std::size_t choices_seen_ = 0;
  bool message_seen_ = false;
  bool usage_object_ = false;
  Usage usage_;
  Usage groq_usage_;
  Response response_;
  ToolCall call_;  ///< the tool call being read
  bool call_skipped_ = false;  ///< its type is a string other than "function"
  bool call_has_function_ = false;  ///< its "function" is an object
  JsonCapture capture_;  ///< arguments sent as a JSON value
};

}  // namespace

std::optional<Response> read_plain_response(std::string_view body) {
  PlainResponseReader reader;
  if (!json::sax_parse(body.begin(), body.end(), &reader)) return std::nullopt;
  return reader.take();
}

}  // namespace polyrouter::detail::openai
