#include "polyrouter/chat.hpp"

namespace polyrouter {

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::system: return "system";
    case Role::user: return "user";
    case Role::assistant: return "assistant";
    case Role::tool: return "tool";
  }
  return "user";
}

ContentPart ContentPart::text(std::string value) { return {Kind::text, std::move(value), {}}; }
ContentPart ContentPart::image_url(std::string url, std::string media_type) {
  return {Kind::image_url, std::move(url), std::move(media_type)};
}
ContentPart ContentPart::image_bytes(std::string bytes, std::string media_type) {
  return {Kind::image_bytes, std::move(bytes), std::move(media_type)};
}
ContentPart ContentPart::image_bytes(const std::vector<std::uint8_t>& bytes, std::string media_type) {
  return {Kind::image_bytes, std::string(bytes.begin(), bytes.end()), std::move(media_type)};
}

Message Message::system(std::string text) { return {Role::system, std::move(text), {}, {}, {}, {}}; }
Message Message::user(std::string text) { return {Role::user, std::move(text), {}, {}, {}, {}}; }
Message Message::user(std::vector<ContentPart> parts) {
  Message m;
  m.role = Role::user;
  m.parts = std::move(parts);
  return m;
}
Message Message::assistant(std::string text) { return {Role::assistant, std::move(text), {}, {}, {}, {}}; }
Message Message::tool(std::string call_id, std::string function_name, std::string result) {
  return {Role::tool, std::move(result), {}, std::move(call_id), std::move(function_name), {}};
}

ChatRequest ChatRequest::from_prompt(std::string prompt) {
  ChatRequest request;
  request.messages.push_back(Message::user(std::move(prompt)));
  return request;
}

}  // namespace polyrouter
