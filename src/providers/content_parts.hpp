#pragma once
// A message's content parts in the forms the wire protocols take them (private): text joined,
// images as base64 with a media type (Anthropic's base64 source, Gemini's inlineData) or as a
// URL (OpenAI's image_url, a data: URL for bytes; Anthropic's url source; Gemini's fileData).

#include <optional>
#include <string>
#include <string_view>

#include "polyrouter/chat.hpp"
#include "polyrouter/llm_client.hpp"

namespace polyrouter::detail {

/// Standard base64 with padding (RFC 4648 section 4).
std::string base64_encode(std::string_view bytes);

/// An image's bytes in base64 with their media type.
struct InlineImage {
  std::string media_type;
  std::string base64;
};

/// The bytes of an image_bytes part, or of an image_url part holding a data: URL; nullopt for
/// a URL the provider fetches itself.
std::optional<InlineImage> inline_image(const ContentPart& part);

/// What OpenAI's image_url.url takes: the part's URL, or a data: URL of its bytes.
std::string image_url_of(const ContentPart& part);

/// The part's media type: as given, else guessed from its URL's extension (.png, .jpg, .jpeg,
/// .gif, .webp); empty when unknown.
std::string media_type_of(const ContentPart& part);

/// Whether @p message is written as a list of parts (it has parts), not as one string.
inline bool has_parts(const Message& message) { return !message.parts.empty(); }

/// The text of @p message: `content`, then the text of its text parts, joined without a separator.
std::string message_text(const Message& message);

/// @throws BadRequestError, before any round trip, when an image sits in a message that is not
///         a user message, or image bytes come without a media type.
void check_images(const ChatRequest& request, Provider provider, const CallOptions& options);

}  // namespace polyrouter::detail
