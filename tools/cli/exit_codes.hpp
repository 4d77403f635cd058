#pragma once
// The exit codes of the polyrouter command, shown in --help and the README.

namespace polyrouter::cli {

enum ExitCode : int {
  exit_ok = 0,         ///< the request was answered (check: at least one combination works)
  exit_usage = 2,      ///< bad command line, bad config file, no API key
  exit_rejected = 3,   ///< the provider rejected the request itself (BadRequestError, ContentFilteredError)
  exit_exhausted = 4,  ///< every provider, model and key failed (AllClientsExhaustedError)
  exit_failure = 5,    ///< any other error
  exit_interrupted = 130,  ///< Ctrl-C (128 + SIGINT, as shells report it)
};

/// The exit-code and environment section of --help.
inline constexpr const char* help_footer =
    "Exit codes:\n"
    "  0  success (check: at least one key x model works; models: at least one provider listed)\n"
    "  2  usage or configuration error (bad option, bad config file, no API key found)\n"
    "  3  request rejected by the provider (BadRequestError, ContentFilteredError)\n"
    "  4  all providers exhausted (AllClientsExhaustedError; the attempt table goes to stderr;\n"
    "     check: no combination works)\n"
    "  5  any other error\n"
    "  130  interrupted (Ctrl-C; check prints the rows it has)\n"
    "\n"
    "Environment (the process environment wins over the .env file):\n"
    "  GROQ_API_KEY0.. GEMINI_API_KEY0.. CEREBRAS_API_KEY0..   keys, tried in index order\n"
    "  GROQ_BASE_URL GEMINI_BASE_URL CEREBRAS_BASE_URL         provider roots (proxies, simulator)\n"
    "  POLYROUTER_CONFIG                                       JSON config file (default: ./polyrouter.json)\n"
    "Keys are only ever shown by their label (GROQ_API_KEY1), never by value.";

}  // namespace polyrouter::cli
