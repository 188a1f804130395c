#include "child.h"

#include <fcntl.h>
#include <sys/wait.h>
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

Result<CommandResult> RunProgram(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return Fail("cannot make a pipe: ", std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return Fail("cannot fork: ", std::strerror(errno));
  }
  if (pid == 0) ExecChild(argv, pipefd[1], pipefd[1]);
  ::close(pipefd[1]);
  CommandResult result;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buffer, sizeof(buffer))) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    result.output.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace mint
