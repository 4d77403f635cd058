#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include "exit_codes.hpp"

namespace polyrouter::cli {
namespace {

volatile sig_atomic_t interrupt_flag = 0;

extern "C" void set_flag(int) { interrupt_flag = 1; }

extern "C" void end_line_and_exit(int) {
  // Only async-signal-safe calls here: write(2) and _exit(2).
  const ssize_t ignored = write(STDOUT_FILENO, "\n", 1);
  (void)ignored;
  _exit(exit_interrupted);
}

void install(void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace

void catch_interrupts() { install(set_flag); }

void end_line_on_interrupt() { install(end_line_and_exit); }

bool interrupted() noexcept { return interrupt_flag != 0; }

}  // namespace polyrouter::cli
