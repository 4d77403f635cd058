#include "providers/content_parts.hpp"

#include <cctype>

#include "providers/error_body.hpp"

namespace polyrouter::detail {
namespace {

constexpr std::string_view data_scheme = "data:";

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// "data:image/png;base64,AAAA" -> {image/png, AAAA}; a data: URL without ;base64 holds
// percent-encoded bytes, which are encoded here. nullopt for anything that is not a data: URL.
std::optional<InlineImage> parse_data_url(std::string_view url) {
  if (!starts_with_ci(url, data_scheme)) return std::nullopt;
  const std::string_view rest = url.substr(data_scheme.size());
  const auto comma = rest.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view meta = rest.substr(0, comma);
  const std::string_view payload = rest.substr(comma + 1);
  bool base64 = false;
  constexpr std::string_view base64_suffix = ";base64";
  if (meta.size() >= base64_suffix.size() &&
      starts_with_ci(meta.substr(meta.size() - base64_suffix.size()), base64_suffix)) {
    base64 = true;
    meta.remove_suffix(base64_suffix.size());
  }
  InlineImage image;
  image.media_type = std::string(meta.substr(0, meta.find(';')));  // parameters (charset=...) dropped
  image.base64 = base64 ? std::string(payload) : base64_encode(percent_decoded(payload));
  return image;
}

std::string guessed_media_type(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const auto dot = url.rfind('.');
  if (dot == std::string_view::npos || url.find('/', dot) != std::string_view::npos) return {};
  std::string extension;
  for (char c : url.substr(dot + 1))
    extension.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (extension == "png") return "image/png";
  if (extension == "jpg" || extension == "jpeg") return "image/jpeg";
  if (extension == "gif") return "image/gif";
  if (extension == "webp") return "image/webp";
  return {};
}

[[noreturn]] void refuse(Provider provider, const CallOptions& options, const std::string& why) {
  throw BadRequestError(why, make_context(provider, options));
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (two ? static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8 : 0u);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(two ? alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<InlineImage> inline_image(const ContentPart& part) {
  switch (part.kind) {
    case ContentPart::Kind::image_bytes:
      return InlineImage{part.media_type, base64_encode(part.data)};
    case ContentPart::Kind::image_url: {
      std::optional<InlineImage> image = parse_data_url(part.data);
      if (image && !part.media_type.empty()) image->media_type = part.media_type;
      return image;
    }
    case ContentPart::Kind::text:
      break;
  }
  return std::nullopt;
}

std::string image_url_of(const ContentPart& part) {
  if (part.kind != ContentPart::Kind::image_bytes) return part.data;
  return "data:" + part.media_type + ";base64," + base64_encode(part.data);
}

std::string media_type_of(const ContentPart& part) {
  if (!part.media_type.empty() || part.kind != ContentPart::Kind::image_url) return part.media_type;
  return guessed_media_type(part.data);
}

std::string message_text(const Message& message) {
  std::string text = message.content;
  for (const ContentPart& part : message.parts) {
    if (part.kind == ContentPart::Kind::text) text += part.data;
  }
  return text;
}

void check_images(const ChatRequest& request, Provider provider, const CallOptions& options) {
  for (std::size_t i = 0; i < request.messages.size(); ++i) {
    const Message& m = request.messages[i];
    for (const ContentPart& part : m.parts) {
      if (!part.is_image()) continue;
      const std::string where = "messages[" + std::to_string(i) + "]";
      if (m.role != Role::user) {
        refuse(provider, options,
               where + ": images are taken in user messages only (this is a " + std::string(to_string(m.role)) +
                   " message)");
      }
      if (part.kind == ContentPart::Kind::image_bytes && part.media_type.empty()) {
        refuse(provider, options, where + ": image bytes need a media type (\"image/png\", \"image/jpeg\", ...)");
      }
      if (part.data.empty()) refuse(provider, options, where + ": an image part without a URL or bytes");
    }
  }
}

}  // namespace polyrouter::detail
