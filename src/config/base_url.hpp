#pragma once
// A base URL is checked when the configuration is read and when a pool's client is made, so a
// typo is a ConfigError at construction, never an attempt that fails (and is retried) later.

#include <string_view>

namespace polyrouter::detail {

/// @throws ConfigError naming @p setting unless @p url is http:// or https:// with a host.
void check_base_url(std::string_view url, std::string_view setting);

}  // namespace polyrouter::detail
