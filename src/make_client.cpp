#include <memory>
#include <typeinfo>

#include "config/base_url.hpp"
#include "providers/registry.hpp"
#include "providers/wire.hpp"

#include "polyrouter/config.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/wire_client.hpp"

namespace polyrouter {
namespace {

// A registered provider's client, whatever its wire protocol.
class RegisteredClient final : public WireClient {
 public:
  RegisteredClient(std::shared_ptr<const detail::WireCodec> codec, std::string api_base, HttpOptions http)
      : WireClient(std::move(codec), std::move(api_base), std::move(http), typeid(RegisteredClient)) {}
};

}  // namespace

std::shared_ptr<LLMClient> make_client(const PoolConfig& pool, const HttpOptions& http) {
  if (pool.client) return pool.client;
  const std::string name = pool.name.empty() ? std::string(to_string(pool.provider)) : pool.name;
  const detail::ProviderDescriptor* descriptor = detail::find_provider(pool.provider);
  if (descriptor == nullptr) {
    throw ConfigError("pool '" + name + "': no provider named '" + std::string(to_string(pool.provider)) +
                      "' (give the pool its own client)");
  }
  if (!pool.base_url.empty() || descriptor->default_root.empty()) {
    if (pool.base_url.empty()) {
      throw ConfigError("pool '" + name + "': an " + std::string(to_string(pool.provider)) + " pool needs a base_url");
    }
    detail::check_base_url(pool.base_url, "pool '" + name + "' base_url");
  }
  const std::string api_base = detail::api_base_of(*descriptor, pool.base_url);
  return std::make_shared<RegisteredClient>(descriptor->make_codec(pool.provider, api_base, http), api_base, http);
}

}  // namespace polyrouter
