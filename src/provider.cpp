#include "polyrouter/provider.hpp"

#include <mutex>
#include <set>
#include <string>

#include "providers/registry.hpp"

namespace polyrouter {

Provider::Provider(std::string_view name) {
  // Names are few (one per custom client): each is kept once for the life of the program, so
  // a Provider is a view that never dangles and copies for free.
  static std::mutex mutex;
  static std::set<std::string, std::less<>> names;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = names.find(name);
  if (it == names.end()) it = names.emplace(name).first;
  name_ = *it;
}

std::optional<Provider> provider_from_string(std::string_view name) noexcept {
  for (const detail::ProviderDescriptor* d : detail::registered_providers()) {
    if (d->provider.name() == name) return d->provider;
  }
  return std::nullopt;
}

}  // namespace polyrouter
