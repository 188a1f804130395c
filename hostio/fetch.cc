#include "fetch.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "child.h"
#include "remote_image.h"

namespace mint {

namespace {

// Reads mint-fetch's stderr lines: progress is passed on, the last "error" line kept, anything
// else (a libcurl or loader complaint) kept too, in case no error line comes.
class HelperLines {
 public:
  explicit HelperLines(const FetchOptions& options) : options_(options) {}

  void Add(const char* data, size_t size) {
    pending_.append(data, size);
    size_t end;
    while ((end = pending_.find('\n')) != std::string::npos) {
      Line(pending_.substr(0, end));
      pending_.erase(0, end + 1);
    }
  }

  std::string Error() const {
    if (!error_.empty()) return error_;
    return other_.empty() ? pending_ : other_;
  }

 private:
  void Line(const std::string& line) {
    unsigned long long done = 0, total = 0;
    if (std::sscanf(line.c_str(), "progress %llu %llu", &done, &total) == 2) {
      if (options_.progress) options_.progress(done, total);
    } else if (line.rfind("error ", 0) == 0) {
      error_ = line.substr(6);
    } else if (!line.empty()) {
      other_ = line;
    }
  }

  const FetchOptions& options_;
  std::string pending_, error_, other_;
};

}  // namespace

Result<std::string> FindFetchHelper() {
  if (const char* set = std::getenv("MINT_FETCH"); set != nullptr && *set != '\0') {
    if (::access(set, X_OK) != 0) return Fail("MINT_FETCH=", set, " is not an executable file");
    return std::string(set);
  }
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  std::vector<std::string> tried;
  if (!error) {
    for (const std::filesystem::path& candidate :
         {self.parent_path() / "mint-fetch", self.parent_path() / "../lib/mint/mint-fetch"}) {
      std::string path = candidate.lexically_normal().string();
      if (::access(path.c_str(), X_OK) == 0) return path;
      tried.push_back(path);
    }
  }
  std::string list;
  for (const std::string& path : tried) list += (list.empty() ? "" : ", ") + path;
  return Fail("mint-fetch, which fetches URLs (libcurl), is not installed (looked for ",
              list.empty() ? "it beside mint" : list,
              "; set MINT_FETCH, or install the mint package)");
}

Result<std::vector<uint8_t>> FetchUrl(const std::string& url, const FetchOptions& options) {
  MINT_TRY_VOID(CheckFetchUrl(url));
  std::string helper = MINT_TRY(FindFetchHelper());
  std::vector<std::string> argv = {helper,
                                   "--max-bytes",
                                   std::to_string(options.max_bytes),
                                   "--timeout",
                                   std::to_string(options.timeout_s),
                                   "--tftp-blksize",
                                   std::to_string(options.tftp_blksize),
                                   url};
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Fail("cannot make a pipe: ", std::strerror(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int saved = errno;
    ::close(out[0]);
    ::close(out[1]);
    return Fail("cannot make a pipe: ", std::strerror(saved));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int saved = errno;
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    return Fail("cannot fork: ", std::strerror(saved));
  }
  if (pid == 0) ExecChild(argv, out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  std::vector<uint8_t> bytes;
  HelperLines lines(options);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  bool overflow = false;
  char buffer[1 << 16];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        continue;
      }
      if (i == 1) {
        lines.Add(buffer, static_cast<size_t>(n));
      } else if (bytes.size() + static_cast<size_t>(n) > options.max_bytes) {
        overflow = true;  // mint-fetch enforces it too; never hold more than asked
      } else {
        bytes.insert(bytes.end(), buffer, buffer + n);
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why = lines.Error();
    if (why.empty())
      why = WIFEXITED(status)
                ? "mint-fetch exited " + std::to_string(WEXITSTATUS(status))
                : "mint-fetch was killed by signal " + std::to_string(WTERMSIG(status));
    return Fail(why);
  }
  if (overflow)
    return Fail(url, ": larger than the ", std::to_string(options.max_bytes), " bytes allowed");
  return bytes;
}

}  // namespace mint
