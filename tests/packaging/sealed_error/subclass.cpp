// Must compile: a class of its own may extend a concrete error, which keeps its kind.
#include "polyrouter/errors.hpp"

struct Wall : polyrouter::RateLimitError {
  Wall() : polyrouter::RateLimitError("a wall", {}, Scope::provider) {}
};

int main() { throw Wall(); }
