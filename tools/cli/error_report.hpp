#pragma once
// Turns whatever a subcommand threw into a message on stderr (and an error object on stdout
// with --json) and the documented exit code.

#include <exception>

#include "sources.hpp"

namespace polyrouter::cli {

/// Reports @p error and returns its exit code (see exit_codes.hpp).
int report_exception(const std::exception_ptr& error, bool json, const Secrets& secrets);

}  // namespace polyrouter::cli
