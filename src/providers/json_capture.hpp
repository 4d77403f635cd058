#pragma once
// One JSON value lifted out of a SAX pass as a tree (private). The single-pass answer readers
// keep almost nothing as a tree; a tool call's arguments sent as a JSON value are the exception:
// the tree decoders give them as that value's dump(), and building the same small tree with the
// library's own DOM builder gives the same bytes (key order, number format, last repeated key).

#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace polyrouter::detail {

class JsonCapture {
 public:
  using json = nlohmann::json;

  /// Starts capturing the next value.
  void begin() {
    value_ = json();
    builder_.emplace(value_, /*allow_exceptions=*/false);
    depth_ = 0;
  }
  /// Whether a value is being captured: every SAX event goes to the capture until it is whole.
  bool active() const { return builder_.has_value(); }
  /// The captured value's dump(), once it is whole.
  std::string dump() const { return value_.dump(); }

  bool null() { return scalar(builder_->null()); }
  bool boolean(bool v) { return scalar(builder_->boolean(v)); }
  bool number_integer(json::number_integer_t v) { return scalar(builder_->number_integer(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(builder_->number_unsigned(v)); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return scalar(builder_->number_float(v, s)); }
  bool string(json::string_t& v) { return scalar(builder_->string(v)); }
  bool binary(json::binary_t& v) { return scalar(builder_->binary(v)); }
  bool key(json::string_t& v) { return builder_->key(v); }
  bool start_object(std::size_t n) {
    ++depth_;
    return builder_->start_object(n);
  }
  bool start_array(std::size_t n) {
    ++depth_;
    return builder_->start_array(n);
  }
  bool end_object() { return close(builder_->end_object()); }
  bool end_array() { return close(builder_->end_array()); }

 private:
  // A scalar at depth 0 is the whole value.
  bool scalar(bool ok) {
    if (depth_ == 0) builder_.reset();
    return ok;
  }
  bool close(bool ok) {
    if (--depth_ == 0) builder_.reset();
    return ok;
  }

  json value_;
  std::optional<nlohmann::detail::json_sax_dom_parser<json>> builder_;
  std::size_t depth_ = 0;
};

}  // namespace polyrouter::detail
