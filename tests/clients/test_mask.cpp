// mask_key() and redact(): how keys may be shown, and that they are never shown whole.

#include <string>

#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "polyrouter/mask.hpp"

using polyrouter::mask_key;
using polyrouter::redact;
namespace pt = polyrouter::test;

namespace {

const std::string kEllipsis = "\xE2\x80\xA6";  // "…"
const std::string kGroqSample = pt::fake_key("gsk_", 48, 401);
const std::string kCerebrasSample = pt::fake_key("csk-", 40, 402);
const std::string kGeminiSample = pt::fake_key("AIza", 35, 403);
const std::string kOpenAISample = pt::fake_key("sk-proj-", 48, 404);
const std::string kXaiSample = pt::fake_key("xai-", 40, 405);

std::string last4(const std::string& key) { return key.substr(key.size() - 4); }

}  // namespace

TEST_CASE("mask_key shows the provider prefix and the last four characters", "[mask]") {
  CHECK(mask_key(kGroqSample) == "gsk_" + kEllipsis + last4(kGroqSample));
  CHECK(mask_key(kCerebrasSample) == "csk-" + kEllipsis + last4(kCerebrasSample));
  CHECK(mask_key(kGeminiSample) == "AIza" + kEllipsis + last4(kGeminiSample));
  CHECK(mask_key(kOpenAISample) == "sk-" + kEllipsis + last4(kOpenAISample));
  CHECK(mask_key(kXaiSample) == "xai-" + kEllipsis + last4(kXaiSample));
  CHECK(mask_key("local-secret-0123456789abcdef") == kEllipsis + "cdef");
}

TEST_CASE("mask_key of short keys shows at most two characters", "[mask]") {
  CHECK(mask_key("") == kEllipsis);
  CHECK(mask_key("abc") == kEllipsis);
  CHECK(mask_key("abcde") == kEllipsis);
  CHECK(mask_key("abcdef") == kEllipsis + "ef");
  CHECK(mask_key("abcdefghijk") == kEllipsis + "jk");
  CHECK(mask_key("abcdefghijkl") == kEllipsis + "ijkl");
  CHECK(mask_key("gsk_1234567") == kEllipsis + "67");  // short: no prefix either
}

TEST_CASE("A masked key never holds enough of the key to leak it", "[mask]") {
  for (const std::string& key : {kGroqSample, kCerebrasSample, kGeminiSample, kOpenAISample, kXaiSample}) {
    INFO(key);
    CHECK_FALSE(pt::leaks_key(mask_key(key), key));
    CHECK(mask_key(key).size() < key.size());
  }
}

TEST_CASE("redact replaces every occurrence of the secret", "[mask][redact]") {
  const std::string secret = "hunter2-very-secret-value";
  CHECK(redact("key=" + secret + "; again " + secret + ".", secret) ==
        "key=" + mask_key(secret) + "; again " + mask_key(secret) + ".");
  CHECK(redact("nothing secret here", secret) == "nothing secret here");
  CHECK(redact("", secret).empty());
  CHECK(redact(secret, secret) == mask_key(secret));
}

TEST_CASE("redact masks key-shaped text even without the secret", "[mask][redact]") {
  CHECK(redact("Incorrect API key provided: " + kGroqSample + ". See docs.") ==
        "Incorrect API key provided: " + mask_key(kGroqSample) + ". See docs.");
  CHECK(redact(R"({"api_key":")" + kCerebrasSample + R"("})") == R"({"api_key":")" + mask_key(kCerebrasSample) + R"("})");
  CHECK(redact("GET /v1beta/models?key=" + kGeminiSample + "&pageSize=5") ==
        "GET /v1beta/models?key=" + mask_key(kGeminiSample) + "&pageSize=5");
  CHECK(redact("Authorization: Bearer " + kOpenAISample) == "Authorization: Bearer " + mask_key(kOpenAISample));
  CHECK(redact("xai " + kXaiSample) == "xai " + mask_key(kXaiSample));
  for (const std::string& key : {kGroqSample, kCerebrasSample, kGeminiSample, kOpenAISample, kXaiSample}) {
    INFO(key);
    CHECK_FALSE(pt::leaks_key(redact("prefix " + key + " suffix"), key));
    CHECK_FALSE(pt::leaks_key(redact("prefix " + key + " suffix", key), key));
  }
}

TEST_CASE("redact leaves ordinary words alone", "[mask][redact]") {
  for (const char* text : {"pip install scikit-learn sk-learn", "the gsk_ prefix", "task-manager-service-name-long",
                           "ask-me-anything-about-anything", "AIzaShort", "csk-12345"}) {
    INFO(text);
    CHECK(redact(text) == text);
  }
  // 20 characters is where a key shape starts to count.
  const std::string nineteen = "gsk_" + std::string(15, 'A');
  const std::string twenty = "gsk_" + std::string(16, 'A');
  CHECK(redact(nineteen) == nineteen);
  CHECK(redact(twenty) == mask_key(twenty));
}

TEST_CASE("redact is idempotent", "[mask][redact]") {
  const std::string text = "keys " + kGroqSample + " and " + kGeminiSample + " end";
  const std::string once = redact(text, kGroqSample);
  CHECK(redact(once, kGroqSample) == once);
  CHECK(redact(once) == once);
}

TEST_CASE("redact_url masks credentials in user info and in credential-named query values", "[mask][redact]") {
  const std::string secret = "Zq7" + std::string(20, 'x') + "9f3a";
  CHECK(redact_url("https://api.groq.com/openai/v1/chat/completions") ==
        "https://api.groq.com/openai/v1/chat/completions");
  CHECK(redact_url("https://gw:" + secret + "@host:8080/v1?x=1") == "https://gw:" + mask_key(secret) + "@host:8080/v1?x=1");
  CHECK(redact_url("https://gw@host/v1") == "https://gw@host/v1");  // a user without password
  CHECK(redact_url("http://h/v1?pageSize=10&key=" + secret + "&X-Api-Token=" + secret + "#top") ==
        "http://h/v1?pageSize=10&key=" + mask_key(secret) + "&X-Api-Token=" + mask_key(secret) + "#top");
  CHECK(redact_url("http://h/v1?api_key=" + secret + "/chat/completions").find(secret.substr(0, 8)) ==
        std::string::npos);
  // Key-shaped text and the named secret are masked anywhere, as redact() does.
  CHECK(redact_url("http://h/" + kGroqSample + "/v1") == "http://h/" + mask_key(kGroqSample) + "/v1");
  CHECK(redact_url("http://h/v1?q=" + secret, secret) == "http://h/v1?q=" + mask_key(secret));
  for (const char* odd : {"", "?", "?&&=", "://@", "a://b@", "http://h?#", "http://[::1]:80/?k"}) {
    INFO(odd);
    CHECK(redact_url(odd).size() <= std::string(odd).size() + 8);
  }
}
