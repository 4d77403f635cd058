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

Message Message::system(std::string text) { return {Role::system, std::move(text), {}, {}, {}}; }
Message Message::user(std::string text) { return {Role::user, std::move(text), {}, {}, {}}; }
Message Message::assistant(std::string text) { return {Role::assistant, std::move(text), {}, {}, {}}; }
Message Message::tool(std::string call_id, std::string function_name, std::string result) {
  return {Role::tool, std::move(result), {}, std::move(call_id), std::move(function_name)};
}

ChatRequest ChatRequest::from_prompt(std::string prompt) {
  ChatRequest request;
  request.messages.push_back(Message::user(std::move(prompt)));
  return request;
}

}  // namespace polyrouter
