#pragma once
// The benchmark cases. Each runs in its own process (the driver re-executes this program with
// --child --case NAME) and returns its raw metrics as JSON; main.cpp turns them into the table.

#include <string>
#include <vector>

#include "common.hpp"

namespace bench {

/// Every case, in the order the driver runs them.
const std::vector<std::string>& case_names();

/// Cases whose variants each need a process of their own (peak RSS is per process).
bool runs_per_variant(const std::string& name);

/// Runs case @p name against the bench server at @p url (root). @throws on any failure
/// (a wrong answer, an unexpected error, an unknown case).
json run_case(const std::string& name, const Options& options, const std::string& url);

}  // namespace bench
