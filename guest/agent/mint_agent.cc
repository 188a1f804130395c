// mint-agent: the node's init helper. A node has no tty (its console is the kernel's early
// console on its own UART), so everything this program says goes to /dev/kmsg.
//
//   mint-agent ready      writes READY into the node's status page (struct mint_status_page in
//                         include/mint/abi.h), whose physical address the loader passed on the
//                         kernel command line as mint_status=0x...
//   mint-agent heartbeat  increments the status page's heartbeat once a second, forever.
//   mint-agent status     prints the status page (for people debugging a node).
//   mint-agent serve      the heartbeat, plus the exec mailbox: runs the commands `mint exec`
//                         leaves in the host page and writes their output and exit status
//                         back (docs/shared-memory.md).
//   mint-agent suspend    puts the node to sleep (ACPI S3) from a child process, so the
//                         caller (`mint suspend`, through the exec mailbox) hears back first;
//                         the child stamps the status page before the request and when it
//                         returns, which is when the node's userspace is back (docs/suspend.md).
//
// The page is reached through /dev/mem: the loader marks it reserved in the node's e820, which
// is what CONFIG_STRICT_DEVMEM requires of a page user space maps.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mint/abi.h"

namespace mint {
namespace {

constexpr uint64_t kPageSize = 0x1000;
constexpr char kCmdlinePath[] = "/proc/cmdline";
constexpr char kMemPath[] = "/dev/mem";
constexpr char kCmdlineKey[] = "mint_status=";

// One line to the kernel log (one write() is one record); also to stderr when /dev/kmsg cannot
// be opened or stderr is a terminal (someone running the agent by hand). `level` is a syslog
// level: 3 for errors, 4 (the kernel's default for /dev/kmsg) otherwise.
void Say(int level, const char* format, ...) {
  char line[512];
  int prefix = snprintf(line, sizeof(line), "<%d>mint-agent: ", level);
  va_list args;
  va_start(args, format);
  vsnprintf(line + prefix, sizeof(line) - static_cast<size_t>(prefix) - 1, format, args);
  va_end(args);
  size_t length = strlen(line);
  line[length++] = '\n';
  static int kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  bool logged = kmsg >= 0 && write(kmsg, line, length) == static_cast<ssize_t>(length);
  // A person at a terminal sees it too; without the "<N>" only the kernel log understands.
  if (!logged || isatty(STDERR_FILENO)) {
    if (write(STDERR_FILENO, line + 3, length - 3) < 0) return;
  }
}

// Reads mint_status=ADDRESS from the kernel command line. Returns false after saying why.
bool FindStatusAddress(uint64_t* address) {
  FILE* file = fopen(kCmdlinePath, "r");
  if (file == nullptr) {
    Say(3, "cannot read %s: %s (is /proc mounted?)", kCmdlinePath, strerror(errno));
    return false;
  }
  char cmdline[4096] = {};
  size_t length = fread(cmdline, 1, sizeof(cmdline) - 1, file);
  fclose(file);
  cmdline[length] = '\0';
  for (char* token = strtok(cmdline, " \t\n"); token != nullptr; token = strtok(nullptr, " \t\n")) {
    if (strncmp(token, kCmdlineKey, strlen(kCmdlineKey)) != 0) continue;
    const char* value = token + strlen(kCmdlineKey);
    char* end = nullptr;
    errno = 0;
    unsigned long long parsed = strtoull(value, &end, 0);
    if (errno != 0 || end == value || *end != '\0' || parsed == 0) {
      Say(3, "%s in %s is not a physical address (expected e.g. %s0x4ffff000)", token, kCmdlinePath,
          kCmdlineKey);
      return false;
    }
    *address = parsed;
    return true;
  }
  Say(3, "no %s in %s: this kernel was not booted by `mint boot`, so there is no status page",
      kCmdlineKey, kCmdlinePath);
  return false;
}

// Maps the status page read-write and uncached. Returns nullptr after saying why.
volatile mint_status_page* MapStatusPage(uint64_t address) {
  uint64_t base = address & ~(kPageSize - 1);
  uint64_t offset = address - base;
  if (offset + sizeof(mint_status_page) > kPageSize) {
    Say(3, "status page 0x%" PRIx64 " crosses a page boundary; %s must point at a page start",
        address, kCmdlineKey);
    return nullptr;
  }
  int fd = open(kMemPath, O_RDWR | O_SYNC | O_CLOEXEC);
  if (fd < 0) {
    Say(3, "cannot open %s read-write: %s (needs root and a kernel with /dev/mem)", kMemPath,
        strerror(errno));
    return nullptr;
  }
  void* map =
      mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(base));
  int map_errno = errno;
  close(fd);
  if (map == MAP_FAILED) {
    Say(3,
        "cannot map the status page 0x%" PRIx64
        " through %s: %s (the page must be marked "
        "reserved in the node's e820; STRICT_DEVMEM refuses RAM)",
        base, kMemPath, strerror(map_errno));
    return nullptr;
  }
  return reinterpret_cast<volatile mint_status_page*>(static_cast<char*>(map) + offset);
}

volatile mint_status_page* OpenStatusPage(uint64_t* address) {
  if (!FindStatusAddress(address)) return nullptr;
  return MapStatusPage(*address);
}

int Ready() {
  uint64_t address = 0;
  volatile mint_status_page* page = OpenStatusPage(&address);
  if (page == nullptr) {
    Say(3, "not ready: the host will not see this node as READY");
    return 1;
  }
  page->tsc_ready = __rdtsc();
  const char message[] = "ready";
  static_assert(sizeof(message) <= sizeof(page->message));
  for (size_t i = 0; i < sizeof(page->message); ++i)
    page->message[i] = i < sizeof(message) ? message[i] : '\0';
  // The host reads magic and phase first and trusts the rest once they are set: everything
  // above must be visible before them.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  page->phase = MINT_PHASE_READY;
  page->magic = MINT_STATUS_MAGIC;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  Say(4, "ready (status page 0x%" PRIx64 ")", address);
  return 0;
}

// The node cannot become what its plan asked (its root did not mount): writes `why` as its last
// words with the magic but not the READY phase, so the host's wait for READY ends at once with
// the reason instead of running into its timeout.
int Fail(const char* why) {
  uint64_t address = 0;
  volatile mint_status_page* page = OpenStatusPage(&address);
  if (page == nullptr) return 1;
  size_t length = strnlen(why, sizeof(page->message) - 1);
  for (size_t i = 0; i < sizeof(page->message); ++i) page->message[i] = i < length ? why[i] : '\0';
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  page->magic = MINT_STATUS_MAGIC;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  Say(3, "failed: %s", why);
  return 0;
}

int Heartbeat() {
  uint64_t address = 0;
  volatile mint_status_page* page = OpenStatusPage(&address);
  if (page == nullptr) {
    Say(3, "no heartbeat: the status page is not reachable");
    return 1;
  }
  Say(4, "heartbeat every 1 s in status page 0x%" PRIx64, address);
  while (true) {
    page->heartbeat = page->heartbeat + 1;  // single writer: no atomic read-modify-write needed
    sleep(1);
  }
}

// Maps [offset, offset + size) of Mint's area (offsets from the status page) read-write.
volatile uint8_t* MapShared(uint64_t status_address, uint64_t offset, uint64_t size) {
  int fd = open(kMemPath, O_RDWR | O_SYNC | O_CLOEXEC);
  if (fd < 0) {
    Say(3, "cannot open %s read-write: %s", kMemPath, strerror(errno));
    return nullptr;
  }
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                   static_cast<off_t>(status_address + offset));
  int map_errno = errno;
  close(fd);
  if (map == MAP_FAILED) {
    Say(3, "cannot map the shared sections 0x%" PRIx64 "+0x%" PRIx64 " through %s: %s",
        status_address + offset, size, kMemPath, strerror(map_errno));
    return nullptr;
  }
  return static_cast<volatile uint8_t*>(map);
}

// Runs argv with stdin /dev/null and stdout + stderr into `out` (at most `capacity` bytes,
// the rest counted in `*truncated`). Returns the exit status, 128 + signal, or 127 when the
// command could not be started. Returns once the command itself exits, even if something it
// started in the background still holds the output open.
int RunCommand(const std::vector<std::string>& args, volatile uint8_t* out, uint32_t capacity,
               uint32_t* out_len, uint32_t* truncated) {
  *out_len = 0;
  *truncated = 0;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return 127;
  pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return 127;
  }
  if (pid == 0) {
    setsid();
    int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    dprintf(STDERR_FILENO, "mint-agent: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(pipe_fds[1]);
  fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  int wait_status = 0;
  bool exited = false;
  auto drain = [&]() {
    char buffer[4096];
    for (;;) {
      ssize_t got = read(pipe_fds[0], buffer, sizeof(buffer));
      if (got <= 0) return got == 0;  // true at EOF
      for (ssize_t i = 0; i < got; ++i) {
        if (*out_len < capacity)
          out[(*out_len)++] = static_cast<uint8_t>(buffer[i]);
        else
          *truncated = 1;
      }
    }
  };
  for (;;) {
    pollfd fd{pipe_fds[0], POLLIN, 0};
    poll(&fd, 1, 50);
    bool eof = drain();
    if (!exited && waitpid(pid, &wait_status, WNOHANG) == pid) exited = true;
    if (exited) {
      drain();
      break;
    }
    if (eof) {
      waitpid(pid, &wait_status, 0);
      exited = true;
      break;
    }
  }
  close(pipe_fds[0]);
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 127;
}

// The host page's request, checked against the page before anything is trusted.
bool ReadRequest(const volatile mint_host_page* host, std::vector<std::string>* args) {
  uint32_t argc = host->exec_argc;
  uint32_t length = host->exec_len;
  if (argc == 0 || length == 0 || length > MINT_EXEC_ARGV_MAX) return false;
  std::string bytes(length, '\0');
  for (uint32_t i = 0; i < length; ++i) bytes[i] = host->exec_argv[i];
  if (bytes.back() != '\0') return false;
  args->clear();
  size_t at = 0;
  while (at < bytes.size()) {
    size_t end = bytes.find('\0', at);
    args->push_back(bytes.substr(at, end - at));
    at = end + 1;
  }
  return args->size() == argc && !args->front().empty();
}

int Serve() {
  uint64_t address = 0;
  volatile mint_status_page* page = OpenStatusPage(&address);
  if (page == nullptr) {
    Say(3, "not serving: the status page is not reachable");
    return 1;
  }
  volatile uint8_t* shared =
      MapShared(address, MINT_SHARED_HOST_PAGE,
                MINT_SHARED_EXEC_RESULT + MINT_EXEC_RESULT_SIZE - MINT_SHARED_HOST_PAGE);
  if (shared == nullptr) return Heartbeat();
  auto* host = reinterpret_cast<volatile mint_host_page*>(shared);
  auto* result = reinterpret_cast<volatile mint_exec_result*>(
      shared + (MINT_SHARED_EXEC_RESULT - MINT_SHARED_HOST_PAGE));
  volatile uint8_t* output =
      shared + (MINT_SHARED_EXEC_RESULT - MINT_SHARED_HOST_PAGE) + sizeof(mint_exec_result);
  // The heartbeat goes on in its own process while a command runs.
  if (fork() == 0) return Heartbeat();
  signal(SIGCHLD, SIG_DFL);
  Say(4, "serving exec requests from the host (shared sections at 0x%" PRIx64 ")",
      address + MINT_SHARED_HOST_PAGE);
  while (true) {
    uint64_t seq = host->exec_seq;
    if (seq == result->done_seq) {
      usleep(20000);
      continue;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the request's bytes after its sequence number
    result->started_seq = seq;
    std::vector<std::string> args;
    int exit_status = 127;
    uint32_t out_len = 0, truncated = 0;
    if (ReadRequest(host, &args)) {
      exit_status = RunCommand(args, output, MINT_EXEC_OUTPUT_MAX, &out_len, &truncated);
    } else {
      const char message[] = "mint-agent: malformed exec request\n";
      for (size_t i = 0; i + 1 < sizeof(message); ++i) output[i] = message[i];
      out_len = sizeof(message) - 1;
    }
    result->status = exit_status;
    result->out_len = out_len;
    result->truncated = truncated;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the answer before done_seq
    result->done_seq = seq;
  }
}

int Status() {
  uint64_t address = 0;
  volatile mint_status_page* page = OpenStatusPage(&address);
  if (page == nullptr) return 1;
  char message[sizeof(page->message) + 1] = {};
  for (size_t i = 0; i < sizeof(page->message); ++i) message[i] = page->message[i];
  printf("status page 0x%" PRIx64 ": magic 0x%08x phase %u tsc_trampoline %" PRIu64
         " tsc_ready %" PRIu64 " heartbeat %" PRIu64 " apic %u message \"%s\"\n",
         address, page->magic, page->phase, static_cast<uint64_t>(page->tsc_trampoline),
         static_cast<uint64_t>(page->tsc_ready), static_cast<uint64_t>(page->heartbeat),
         page->trampoline_apic, message);
  return 0;
}

// Writes `text` to the sysfs file at `path`; false (errno set) if it could not.
bool WriteSysfs(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t length = static_cast<ssize_t>(strlen(text));
  bool ok = write(fd, text, static_cast<size_t>(length)) == length;
  int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}

int Suspend() {
  uint64_t address = 0;
  volatile mint_status_page* page = OpenStatusPage(&address);
  if (page == nullptr) {
    Say(3, "not suspending: the status page is not reachable");
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    Say(3, "not suspending: fork: %s", strerror(errno));
    return 1;
  }
  if (pid > 0) return 0;
  // The child: off the caller's pipes (an exec waits for them to close) and session.
  setsid();
  int null = open("/dev/null", O_RDWR);
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) dup2(null, fd);
  usleep(100000);  // the exec's answer reaches the host before the node sleeps
  WriteSysfs("/sys/power/mem_sleep", "deep");  // S3, not suspend-to-idle; may already be
  page->tsc_suspend = __rdtsc();
  bool ok = WriteSysfs("/sys/power/state", "mem");
  uint64_t back = __rdtsc();
  if (!ok) {
    Say(3, "suspend to RAM failed: /sys/power/state: %s", strerror(errno));
    _exit(1);
  }
  page->tsc_resumed = back;
  page->resumes = page->resumes + 1;  // single writer: only this child, one at a time
  Say(4, "resumed from suspend to RAM (%u so far)", static_cast<unsigned>(page->resumes));
  _exit(0);
}

constexpr char kUsage[] =
    "usage: mint-agent ready|heartbeat|serve|status|suspend|fail REASON\n"
    "  ready      mark this node READY in its status page (mint_status= on the command line)\n"
    "  fail WHY   tell the host this node cannot become ready, and why (63 bytes shown)\n"
    "  heartbeat  increment the status page's heartbeat every second, forever\n"
    "  serve      heartbeat, and run the commands `mint exec` sends (forever)\n"
    "  status     print the status page\n"
    "  suspend    put this node to sleep (ACPI S3) from a child process; returns at once\n";

}  // namespace
}  // namespace mint

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "fail") == 0) return mint::Fail(argv[2]);
  const char* command = argc == 2 ? argv[1] : "";
  if (strcmp(command, "ready") == 0) return mint::Ready();
  if (strcmp(command, "heartbeat") == 0) return mint::Heartbeat();
  if (strcmp(command, "serve") == 0) return mint::Serve();
  if (strcmp(command, "status") == 0) return mint::Status();
  if (strcmp(command, "suspend") == 0) return mint::Suspend();
  if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
    fputs(mint::kUsage, stdout);
    return 0;
  }
  fputs(mint::kUsage, stderr);
  return 2;
}
