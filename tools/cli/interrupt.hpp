#pragma once
// Ctrl-C for the subcommands: `check` keeps what it gathered and stops, `ask --stream` ends the
// line it was printing. Both exit 130, as shells expect of a process ended by SIGINT.

namespace polyrouter::cli {

/// SIGINT (and SIGTERM) only sets a flag that interrupted() reads.
void catch_interrupts();

/// SIGINT (and SIGTERM) ends the process at once with exit code 130, after a newline on stdout
/// (the partial line of a stream is ended, not left hanging).
void end_line_on_interrupt();

/// True once SIGINT or SIGTERM arrived after catch_interrupts().
bool interrupted() noexcept;

}  // namespace polyrouter::cli
