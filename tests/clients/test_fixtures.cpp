// The wire fixtures live in the repository: every one the tests name is there, and a missing one
// fails loudly with its name instead of reading as an empty body.

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "fixtures.hpp"

using polyrouter::test::fixture_path;
using polyrouter::test::load_fixture;

TEST_CASE("fixtures are read from the repository's tests/fixtures", "[fixtures]") {
  const std::string path = fixture_path("groq_ok.json");
  CHECK(path.find("/tests/fixtures/groq_ok.json") != std::string::npos);
  CHECK(path.find("shared") == std::string::npos);
  CHECK(load_fixture("groq_ok.json").find("chat.completion") != std::string::npos);
  CHECK_FALSE(load_fixture("README.md").empty());
}

TEST_CASE("a missing fixture fails with its file name", "[fixtures]") {
  try {
    load_fixture("no_such_fixture.json");
    FAIL("a missing fixture was read");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("no_such_fixture.json"));
  }
}
