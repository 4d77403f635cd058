// Must not compile: a class of its own may not give an Error a kind its class does not have
// (the walk would read it as a RateLimitError).
#include "polyrouter/errors.hpp"

struct Claims : polyrouter::Error {
  Claims() : polyrouter::Error(polyrouter::ErrorKind::rate_limit, "not a RateLimitError") {}
};

int main() { throw Claims(); }
