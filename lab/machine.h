// LabMachine: the one typed fixture that builds a QEMU command line, runs the machine, captures
// every serial console separately, and bounds every wait. mint-lab, the end-to-end tests and
// the benchmarks all use it (lab/README.md).
//
// Consoles: COM1..COM4 are each connected to a Unix socket the fixture listens on (QEMU
// connects as the client when it starts), so every console arrives on its own file descriptor,
// is split into lines as it arrives, kept in full, and optionally echoed live as "[name] line".
// QEMU's own stdout and stderr are kept the same way under the name "qemu".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace mint {

using LabClock = std::chrono::steady_clock;
using LabDeadline = LabClock::time_point;

struct LabConfig {
  std::string qemu = "qemu-system-x86_64";
  // -machine: "q35" (the default: PCIe, the machine every test uses), or "microvm,..." for
  // virtio-mmio devices on a second IO-APIC (lab/devices.h).
  std::string machine = "q35";
  std::string kernel;  // -kernel: the host's bzImage
  std::string initrd;  // -initrd, or empty
  std::string append;  // the host kernel's command line
  uint32_t vcpus = 2;
  uint64_t memory_bytes = uint64_t{2} << 30;
  // Console names on COM1, COM2, ... (at most 4: the ISA serial ports QEMU offers). An empty
  // name leaves that port present but unconnected.
  std::vector<std::string> consoles{"host"};
  std::vector<std::string> extra_args;  // appended to QEMU's arguments as they are
  bool echo = true;                     // print each console line live as "[name] line"
  std::string work_dir;                 // for the sockets; a fresh temporary folder when empty
  // When set, each console's bytes are appended to LIVE_LOG_DIR/NAME.log as they arrive, so a
  // run killed from outside (a test runner's timeout) still leaves what the consoles printed.
  std::string live_log_dir;
};

// One line from a console, with when it arrived (seconds since Start).
struct ConsoleLine {
  std::string console;
  std::string text;
  double seconds = 0;
};

// How a wait ended.
struct LabWait {
  enum class Kind { kFound, kTimedOut, kExited } kind = Kind::kTimedOut;
  ConsoleLine line;  // the matching line when kFound
  size_t index = 0;  // its position in LabMachine::Lines()
  bool Found() const { return kind == Kind::kFound; }
};

class LabMachine {
 public:
  // Checks the configuration (artifacts exist, sizes make sense); starts nothing.
  static Result<std::unique_ptr<LabMachine>> Create(LabConfig config);
  ~LabMachine();  // kills QEMU if it still runs and removes the sockets
  LabMachine(const LabMachine&) = delete;
  LabMachine& operator=(const LabMachine&) = delete;

  // The exact argv Start() runs, for logs and for people reproducing a run by hand.
  std::vector<std::string> CommandLine() const;
  std::string CommandLineText() const;  // shell-quoted, one line

  // Listens on the console sockets, starts QEMU and waits (until `deadline`) for QEMU to
  // connect every console.
  Result<void> Start(LabDeadline deadline);

  // Reads consoles until a line of `console` (any console when empty) satisfies `match`, QEMU
  // exits, or the deadline passes. Lines already seen before the call are searched first
  // when `from_line` is less than Lines().size().
  LabWait WaitForLine(std::string_view console,
                      const std::function<bool(const ConsoleLine&)>& match, LabDeadline deadline,
                      size_t from_line = 0);
  // Reads consoles until QEMU exits; its exit status (128 + signal when killed), or nullopt
  // when the deadline passed first.
  std::optional<int> WaitForExit(LabDeadline deadline);
  // SIGKILL, then reap. Safe to call at any time.
  void Kill();

  bool Running() const { return pid_ > 0; }
  double SecondsSinceStart() const;
  // Every complete line so far, in arrival order, across consoles.
  const std::vector<ConsoleLine>& Lines() const { return lines_; }
  // The full text one console has sent so far (including a last line without newline).
  std::string ConsoleText(std::string_view console) const;
  // Names of the consoles in use, "qemu" included.
  std::vector<std::string> ConsoleNames() const;
  // The last `count` lines, each "[name] text", for error messages.
  std::string LastLines(size_t count) const;
  // Writes each console's full text to DIR/<name>.log (and the QEMU command line to
  // DIR/qemu-cmdline.txt). Creates DIR.
  Result<void> WriteLogs(const std::string& dir) const;

  const LabConfig& Config() const { return config_; }

 private:
  struct Stream {
    std::string name;
    int listen_fd = -1;             // a console socket QEMU has yet to connect to
    int fd = -1;                    // connected socket or QEMU's output pipe; -1 after EOF
    std::string partial;            // bytes after the last newline
    bool pending_cr = false;        // the last byte was a CR: LF or a line break follows
    std::string text;               // everything received
    std::FILE* live_log = nullptr;  // LabConfig::live_log_dir's copy, flushed per read
  };

  explicit LabMachine(LabConfig config) : config_(std::move(config)) {}
  // Waits for input on every stream for at most `timeout_ms`, then takes what came.
  void Pump(int timeout_ms);
  void TakeBytes(Stream& stream, const char* data, size_t size);
  void FinishLine(Stream& stream, std::string text);
  void Reap(bool block);
  void CloseAll();

  LabConfig config_;
  std::string socket_dir_;
  bool own_socket_dir_ = false;
  std::vector<Stream> streams_;
  std::vector<ConsoleLine> lines_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  LabClock::time_point start_time_;
};

// Physical RAM ranges QEMU's q35 machine gives a guest of `memory_bytes` (its below-4 GiB part
// and the rest from 4 GiB up), for checking a plan's reserved ranges against the machine.
struct LabRamRange {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
};
std::vector<LabRamRange> Q35RamLayout(uint64_t memory_bytes);

}  // namespace mint
