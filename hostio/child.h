// The child side of running a helper program: what a forked child does between fork() and
// execv(). Written once here for every caller (store fetches, boot configs, node kernels).
#pragma once

#include <string>
#include <vector>

#include "result.h"

namespace mint {

// In a forked child: standard output to `out_fd` and standard error to `err_fd` (-1 leaves
// either as it is), standard input from /dev/null, then runs argv[0] with `argv`. Never
// returns: when the program cannot run, says so on standard error and exits with 127.
[[noreturn]] void ExecChild(const std::vector<std::string>& argv, int out_fd, int err_fd);

// A program's exit status and its standard output and error together.
struct CommandResult {
  int status = 0;  // the exit status; 128 + N for a command killed by signal N
  std::string output;
};
// Runs argv[0] (a path) with `argv` and waits for it; fails only when it cannot be started.
Result<CommandResult> RunProgram(const std::vector<std::string>& argv);

}  // namespace mint
