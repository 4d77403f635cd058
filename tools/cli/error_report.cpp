#include "error_report.hpp"

#include <iostream>
#include <string>

#include "exit_codes.hpp"
#include "output.hpp"
#include "polyrouter/errors.hpp"

namespace polyrouter::cli {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// What a failed request looks like: the typed error's name, its message, and for exhaustion
// the attempt table followed by why each attempt failed.
int report(const Error& e, int code, const std::vector<Attempt>* attempts, bool json, const Secrets& secrets) {
  const std::string type = error_type_name(e.kind());
  std::cout.flush();  // whatever was streamed comes before the error
  std::cerr << "polyrouter: " << type << ": " << secrets.scrub(first_line(e.what())) << '\n';
  if (attempts != nullptr && !attempts->empty()) {
    std::cerr << "attempts:\n" << secrets.scrub(format_attempts(*attempts)) << '\n';
    std::cerr << "errors:\n";
    for (std::size_t i = 0; i < attempts->size(); ++i) {
      const Attempt& a = (*attempts)[i];
      if (!a.error.empty()) std::cerr << "  " << (i + 1) << "  " << clip(secrets.scrub(a.error), 160) << '\n';
    }
  }
  if (json) {
    Json error;
    error["type"] = type;
    error["tag"] = std::string(tag(e.kind()));
    error["message"] = secrets.scrub(first_line(e.what()));
    error["exit_code"] = code;
    if (e.http_status() != 0) error["status"] = e.http_status();
    if (attempts != nullptr) error["attempts"] = to_json(*attempts);
    std::cout << Json{{"error", std::move(error)}}.dump(2) << std::endl;
  }
  return code;
}

int report_plain(const std::string& type, const std::string& message, int code, bool json,
                 const Secrets& secrets) {
  std::cout.flush();
  std::cerr << "polyrouter: " << type << ": " << secrets.scrub(message) << '\n';
  if (code == exit_usage && type == "usage") std::cerr << "Run with --help for more information.\n";
  if (json) {
    std::cout << Json{{"error", Json{{"type", type}, {"message", secrets.scrub(message)}, {"exit_code", code}}}}
                     .dump(2)
              << std::endl;
  }
  return code;
}

}  // namespace

int report_exception(const std::exception_ptr& error, bool json, const Secrets& secrets) {
  try {
    std::rethrow_exception(error);
  } catch (const UsageError& e) {
    return report_plain("usage", e.what(), exit_usage, json, secrets);
  } catch (const AllClientsExhaustedError& e) {
    return report(e, exit_exhausted, &e.attempts(), json, secrets);
  } catch (const BadRequestError& e) {
    return report(e, exit_rejected, nullptr, json, secrets);
  } catch (const ContentFilteredError& e) {
    return report(e, exit_rejected, nullptr, json, secrets);
  } catch (const StreamInterruptedError& e) {
    if (!e.partial_text().empty()) std::cout << '\n';
    return report(e, exit_failure, &e.attempts(), json, secrets);
  } catch (const ConfigError& e) {  // NoApiKeysError and NoModelError too
    return report(e, exit_usage, nullptr, json, secrets);
  } catch (const Error& e) {
    return report(e, exit_failure, nullptr, json, secrets);
  } catch (const std::exception& e) {
    return report_plain("error", e.what(), exit_failure, json, secrets);
  } catch (...) {
    return report_plain("error", "unknown exception", exit_failure, json, secrets);
  }
}

}  // namespace polyrouter::cli
