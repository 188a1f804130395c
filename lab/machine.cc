#include "machine.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace mint {
namespace {

// QEMU's ISA serial ports on a PC: COM1..COM4.
constexpr size_t kMaxConsoles = 4;
constexpr char kQemuStream[] = "qemu";
// How long one poll may sleep while nothing arrives: bounds how late a deadline or an exit is
// noticed, not how fast output is taken (poll wakes on input).
constexpr int kPollSliceMs = 100;

std::string Errno() {
  return std::strerror(errno);
}

bool IsExecutable(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t colon = dirs.find(':', pos);
    if (colon == std::string::npos) colon = dirs.size();
    std::string candidate = dirs.substr(pos, colon - pos) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return true;
    pos = colon + 1;
  }
  return false;
}

std::string ShellQuote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789-_=/.,:+@%") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out.push_back(c);
  }
  return out + "'";
}

int MillisecondsUntil(LabDeadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - LabClock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, kPollSliceMs));
}

}  // namespace

std::vector<LabRamRange> Q35RamLayout(uint64_t memory_bytes) {
  // QEMU 7.2 hw/i386/pc_q35.c: RAM of 2.75 GiB or more is split at 2 GiB, smaller RAM may fill
  // up to 2.75 GiB; whatever does not fit below 4 GiB continues at 4 GiB.
  constexpr uint64_t kFourGiB = uint64_t{1} << 32;
  uint64_t lowmem = memory_bytes >= 0xb0000000 ? 0x80000000 : 0xb0000000;
  uint64_t below = std::min(memory_bytes, lowmem);
  std::vector<LabRamRange> ranges{{0, below}};
  if (memory_bytes > below) ranges.push_back({kFourGiB, kFourGiB + (memory_bytes - below)});
  return ranges;
}

Result<std::unique_ptr<LabMachine>> LabMachine::Create(LabConfig config) {
  if (!IsExecutable(config.qemu))
    return Fail("cannot find QEMU '", config.qemu,
                "': install qemu-system-x86 (scripts/setup does) or give its path");
  if (config.kernel.empty() || access(config.kernel.c_str(), R_OK) != 0)
    return Fail("cannot read the host kernel '", config.kernel, "'");
  if (!config.initrd.empty() && access(config.initrd.c_str(), R_OK) != 0)
    return Fail("cannot read the host initramfs '", config.initrd, "'");
  if (config.consoles.empty() || config.consoles.size() > kMaxConsoles)
    return Fail("the lab machine has COM1..COM4; ", std::to_string(config.consoles.size()),
                " consoles were asked for");
  for (size_t i = 0; i < config.consoles.size(); ++i) {
    const std::string& name = config.consoles[i];
    if (name == kQemuStream) return Fail("console name '", name, "' is taken by QEMU's own output");
    for (size_t j = 0; j < i; ++j) {
      if (!name.empty() && config.consoles[j] == name)
        return Fail("console name '", name, "' is used for COM", std::to_string(j + 1), " and COM",
                    std::to_string(i + 1));
    }
  }
  if (config.vcpus == 0 || config.vcpus > 255)
    return Fail("the lab machine needs 1..255 vCPUs (xAPIC IDs), not ",
                std::to_string(config.vcpus));
  if (config.memory_bytes < (uint64_t{128} << 20) || config.memory_bytes % (uint64_t{1} << 20))
    return Fail("the lab machine's memory must be a whole number of MiB and at least 128M, not ",
                std::to_string(config.memory_bytes), " bytes");

  std::unique_ptr<LabMachine> machine(new LabMachine(std::move(config)));
  if (machine->config_.work_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/mint-lab.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr)
      return Fail("cannot create a temporary folder like ", pattern, ": ", Errno());
    machine->socket_dir_ = pattern;
    machine->own_socket_dir_ = true;
  } else {
    machine->socket_dir_ = machine->config_.work_dir;
  }
  // A Unix socket path holds at most 107 bytes.
  if (machine->socket_dir_.size() + sizeof("/com1.sock") > sizeof(sockaddr_un{}.sun_path))
    return Fail("socket folder '", machine->socket_dir_, "' is too long for a Unix socket path");
  return machine;
}

LabMachine::~LabMachine() {
  Kill();
  CloseAll();
  for (size_t i = 0; i < config_.consoles.size(); ++i)
    unlink((socket_dir_ + "/com" + std::to_string(i + 1) + ".sock").c_str());
  if (own_socket_dir_) rmdir(socket_dir_.c_str());
}

std::vector<std::string> LabMachine::CommandLine() const {
  std::vector<std::string> argv = {config_.qemu,
                                   "-machine",
                                   config_.machine,
                                   "-accel",
                                   "tcg,thread=multi",
                                   "-cpu",
                                   "max",
                                   "-smp",
                                   std::to_string(config_.vcpus),
                                   "-m",
                                   std::to_string(config_.memory_bytes >> 20) + "M",
                                   "-nodefaults",
                                   "-display",
                                   "none",
                                   "-no-reboot",
                                   "-kernel",
                                   config_.kernel};
  if (!config_.initrd.empty()) argv.insert(argv.end(), {"-initrd", config_.initrd});
  argv.insert(argv.end(), {"-append", config_.append});
  // Serial ports are created highest index first, COM1 last. QEMU lists ISA devices in its
  // DSDT newest first, and the host's 8250 driver (8250.nr_uarts=1) gives ttyS0 to the first
  // port ACPI PNP enumerates: with COM1 created first, the host's ttyS0 would be COM2, a
  // node's port. An unnamed port is left out: a node's early console needs no device model
  // behind an unused port, only its own.
  for (size_t i = config_.consoles.size(); i-- > 0;) {
    if (config_.consoles[i].empty()) continue;
    std::string id = "com" + std::to_string(i + 1);
    std::string chardev = "socket,id=" + id;
    chardev += ",path=" + socket_dir_;
    chardev += "/" + id + ".sock";
    std::string device = "isa-serial,index=" + std::to_string(i);
    device += ",chardev=" + id;
    argv.insert(argv.end(), {"-chardev", chardev, "-device", device});
  }
  argv.insert(argv.end(), config_.extra_args.begin(), config_.extra_args.end());
  return argv;
}

std::string LabMachine::CommandLineText() const {
  std::string text;
  for (const std::string& word : CommandLine())
    text += (text.empty() ? "" : " ") + ShellQuote(word);
  return text;
}

Result<void> LabMachine::Start(LabDeadline deadline) {
  if (pid_ > 0 || exit_status_) return Fail("this lab machine was already started");
  signal(SIGPIPE, SIG_IGN);
  for (size_t i = 0; i < config_.consoles.size(); ++i) {
    if (config_.consoles[i].empty()) continue;
    std::string path = socket_dir_ + "/com" + std::to_string(i + 1) + ".sock";
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Fail("cannot create a Unix socket: ", Errno());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
    unlink(path.c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(fd, 1) != 0) {
      std::string why = Errno();
      close(fd);
      return Fail("cannot listen on ", path, ": ", why);
    }
    Stream stream;
    stream.name = config_.consoles[i];
    stream.listen_fd = fd;
    streams_.push_back(std::move(stream));
  }
  int output[2];
  if (pipe2(output, O_CLOEXEC) != 0) return Fail("cannot create a pipe: ", Errno());
  Stream qemu_output;
  qemu_output.name = kQemuStream;
  qemu_output.fd = output[0];
  streams_.push_back(std::move(qemu_output));
  if (!config_.live_log_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(config_.live_log_dir, error);
    for (Stream& stream : streams_) {
      std::string path = config_.live_log_dir + "/" + stream.name + ".log";
      stream.live_log = std::fopen(path.c_str(), "we");
      if (stream.live_log == nullptr) return Fail("cannot write ", path, ": ", Errno());
    }
  }

  std::vector<std::string> args = CommandLine();
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  start_time_ = LabClock::now();
  pid_t pid = fork();
  if (pid < 0) {
    close(output[1]);
    return Fail("cannot fork QEMU: ", Errno());
  }
  if (pid == 0) {
    // QEMU must not outlive the lab, whatever kills the lab.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(output[1], STDOUT_FILENO);
    dup2(output[1], STDERR_FILENO);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "cannot run %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(output[1]);
  pid_ = pid;

  auto unconnected = [this] {
    return std::count_if(streams_.begin(), streams_.end(),
                         [](const Stream& s) { return s.listen_fd >= 0; });
  };
  while (unconnected() > 0) {
    if (exit_status_)
      return Fail("QEMU exited (status ", std::to_string(*exit_status_),
                  ") before connecting its consoles:\n", ConsoleText(kQemuStream),
                  "command line: ", CommandLineText());
    if (LabClock::now() >= deadline) {
      Kill();
      return Fail("timed out waiting for QEMU to connect its consoles; command line: ",
                  CommandLineText());
    }
    Pump(MillisecondsUntil(deadline));
  }
  return Ok{};
}

void LabMachine::Pump(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<Stream*> owners;
  for (Stream& stream : streams_) {
    int fd = stream.listen_fd >= 0 ? stream.listen_fd : stream.fd;
    if (fd < 0) continue;
    fds.push_back(pollfd{.fd = fd, .events = POLLIN, .revents = 0});
    owners.push_back(&stream);
  }
  int ready = fds.empty() ? 0 : poll(fds.data(), fds.size(), timeout_ms);
  if (fds.empty() && timeout_ms > 0) usleep(static_cast<useconds_t>(timeout_ms) * 1000);
  for (size_t i = 0; ready > 0 && i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    Stream& stream = *owners[i];
    if (stream.listen_fd >= 0) {
      int fd = accept4(stream.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      close(stream.listen_fd);
      stream.listen_fd = -1;
      stream.fd = fd;
      continue;
    }
    char buffer[65536];
    ssize_t got = read(stream.fd, buffer, sizeof(buffer));
    if (got > 0) {
      size_t before = stream.text.size();
      TakeBytes(stream, buffer, static_cast<size_t>(got));
      if (stream.live_log != nullptr) {
        std::fwrite(stream.text.data() + before, 1, stream.text.size() - before, stream.live_log);
        std::fflush(stream.live_log);
      }
    } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
      close(stream.fd);
      stream.fd = -1;
      if (!stream.partial.empty()) FinishLine(stream, std::move(stream.partial));
      stream.partial.clear();
    }
  }
  Reap(false);
}

void LabMachine::TakeBytes(Stream& stream, const char* data, size_t size) {
  // Serial consoles end lines with CR LF. A CR on its own (a progress display redrawing its
  // line) also ends a line here: a terminal would overwrite the text, but a kernel message
  // written into the middle of such a display must not be lost to WaitForLine.
  for (size_t i = 0; i < size; ++i) {
    char c = data[i];
    if (stream.pending_cr && c != '\n') {
      stream.text.push_back('\n');
      FinishLine(stream, std::move(stream.partial));
      stream.partial.clear();
    }
    stream.pending_cr = c == '\r';
    if (c == '\r') continue;
    stream.text.push_back(c);
    if (c == '\n') {
      FinishLine(stream, std::move(stream.partial));
      stream.partial.clear();
    } else {
      stream.partial.push_back(c);
    }
  }
}

void LabMachine::FinishLine(Stream& stream, std::string text) {
  if (config_.echo) {
    std::printf("[%s] %s\n", stream.name.c_str(), text.c_str());
    std::fflush(stdout);
  }
  lines_.push_back(
      ConsoleLine{.console = stream.name, .text = std::move(text), .seconds = SecondsSinceStart()});
}

void LabMachine::Reap(bool block) {
  if (pid_ <= 0) return;
  int status = 0;
  pid_t done = waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (done != pid_) return;
  pid_ = -1;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // Take what QEMU wrote before it went: every descriptor reaches EOF now.
  for (int round = 0; round < 1000; ++round) {
    bool open =
        std::any_of(streams_.begin(), streams_.end(), [](const Stream& s) { return s.fd >= 0; });
    if (!open) break;
    Pump(10);
  }
}

LabWait LabMachine::WaitForLine(std::string_view console,
                                const std::function<bool(const ConsoleLine&)>& match,
                                LabDeadline deadline, size_t from_line) {
  size_t next = from_line;
  while (true) {
    for (; next < lines_.size(); ++next) {
      const ConsoleLine& line = lines_[next];
      if ((console.empty() || line.console == console) && match(line))
        return LabWait{.kind = LabWait::Kind::kFound, .line = line, .index = next};
    }
    if (exit_status_) return LabWait{.kind = LabWait::Kind::kExited, .line = {}, .index = 0};
    if (LabClock::now() >= deadline)
      return LabWait{.kind = LabWait::Kind::kTimedOut, .line = {}, .index = 0};
    Pump(MillisecondsUntil(deadline));
  }
}

std::optional<int> LabMachine::WaitForExit(LabDeadline deadline) {
  while (!exit_status_) {
    if (LabClock::now() >= deadline) return std::nullopt;
    Pump(MillisecondsUntil(deadline));
  }
  return exit_status_;
}

void LabMachine::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap(true);
}

void LabMachine::CloseAll() {
  for (Stream& stream : streams_) {
    if (stream.live_log != nullptr) std::fclose(stream.live_log);
    stream.live_log = nullptr;
    if (stream.listen_fd >= 0) close(stream.listen_fd);
    if (stream.fd >= 0) close(stream.fd);
    stream.listen_fd = stream.fd = -1;
  }
}

double LabMachine::SecondsSinceStart() const {
  return std::chrono::duration<double>(LabClock::now() - start_time_).count();
}

std::string LabMachine::ConsoleText(std::string_view console) const {
  for (const Stream& stream : streams_) {
    if (stream.name == console) return stream.text;
  }
  return "";
}

std::vector<std::string> LabMachine::ConsoleNames() const {
  std::vector<std::string> names;
  for (const Stream& stream : streams_) names.push_back(stream.name);
  return names;
}

std::string LabMachine::LastLines(size_t count) const {
  std::string out;
  size_t first = lines_.size() > count ? lines_.size() - count : 0;
  for (size_t i = first; i < lines_.size(); ++i)
    out += "  [" + lines_[i].console + "] " + lines_[i].text + "\n";
  for (const Stream& stream : streams_) {
    if (!stream.partial.empty())
      out += "  [" + stream.name + "] " + stream.partial + " (no newline yet)\n";
  }
  return out.empty() ? "  (no console output)\n" : out;
}

Result<void> LabMachine::WriteLogs(const std::string& dir) const {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Fail("cannot create log folder ", dir, ": ", error.message());
  auto write = [&dir](const std::string& name, const std::string& text) -> Result<void> {
    std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return Fail("cannot write ", path);
    return Ok{};
  };
  for (const Stream& stream : streams_) MINT_TRY_VOID(write(stream.name + ".log", stream.text));
  MINT_TRY_VOID(write("qemu-cmdline.txt", CommandLineText() + "\n"));
  return Ok{};
}

}  // namespace mint
