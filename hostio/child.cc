#include "child.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mint {

void ExecChild(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
  int null = ::open("/dev/null", O_RDONLY);
  if (null >= 0) ::dup2(null, STDIN_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  if (!args.empty() && args[0] != nullptr) ::execv(args[0], args.data());
  std::fprintf(stderr, "error cannot run %s: %s\n", argv.empty() ? "(nothing)" : argv[0].c_str(),
               std::strerror(errno));
  ::_exit(127);
}

}  // namespace mint
