// mint console NODE: the node's shared-memory console (docs/shared-memory.md), like
// `virsh console`: kernel messages and the shell on the node's /dev/ttyMint0 come out, what is
// typed goes in. On a terminal it runs raw until Ctrl-] is typed; otherwise it relays stdin
// line by line and, after stdin ends, keeps printing until the node has been quiet a while,
// so scripts and tests can drive it.
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app.h"
#include "console_ring.h"
#include "node_access.h"

namespace mint::cli {
namespace {

struct ConsoleArgs {
  std::string node;
  bool history = false;
  bool dump = false;
  double quiet_after = 1.5;
  double wait_s = 30;
  std::string device = "/dev/mint";
};

constexpr char kEscape = 0x1d;  // Ctrl-]

class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0) return;
    termios raw = saved_;
    cfmakeraw(&raw);
    active_ = tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) tcsetattr(fd_, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  bool active() const { return active_; }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

struct ConsoleSession {
  HostDevice& host;
  uint32_t id;
  std::string name;
  uint64_t tail = 0;
  bool raw = false;
  bool last_was_cr = false;

  // Prints what the ring gained since `tail`. Returns the number of bytes shown.
  Result<size_t> Pump() {
    auto page = ReadNodePage(host, id);
    if (!page) return Fail("node ", name, " has no node page: is mint_node.ko loaded in it?");
    uint64_t before = page->console_head;
    std::vector<uint8_t> ring(MINT_CONSOLE_OUT_SIZE);
    MINT_TRY_VOID(host.ReadShared(id, MINT_SHARED_CONSOLE_OUT, ring));
    page = ReadNodePage(host, id);
    uint64_t after = page ? page->console_head : before;
    RingChunk chunk = ReadRing(tail, before, after, ring);
    tail = chunk.next_tail;
    std::string out;
    if (chunk.lost > 0) out += "\n[mint: " + std::to_string(chunk.lost) + " bytes lost]\n";
    out += chunk.bytes;
    if (!raw) {
      // Relaying to a file or a pipe: plain LF lines, and without the cursor-position query
      // (ESC [6n) busybox's shell sends to size its line editor.
      std::string plain;
      for (size_t i = 0; i < out.size(); ++i) {
        if (out.compare(i, 4, "\x1b[6n") == 0) {
          i += 3;
          continue;
        }
        if (out[i] == '\r' && i + 1 < out.size() && out[i + 1] == '\n') continue;
        plain += out[i];
      }
      out = plain;
    } else {
      // Kernel messages end lines with LF alone; a raw terminal needs CR LF.
      std::string fixed;
      for (char c : out) {
        if (c == '\n' && !last_was_cr) fixed += '\r';
        fixed += c;
        last_was_cr = c == '\r';
      }
      out = fixed;
    }
    if (!out.empty()) {
      if (::write(STDOUT_FILENO, out.data(), out.size()) < 0) return Fail("stdout closed");
    }
    return chunk.bytes.size();
  }

  // Sends bytes into the input ring, waiting (bounded) for room.
  Result<void> Send(const std::string& bytes) {
    size_t sent = 0;
    auto start = std::chrono::steady_clock::now();
    while (sent < bytes.size()) {
      auto host_page = MINT_TRY(host.ReadSharedAs<mint_host_page>(id, MINT_SHARED_HOST_PAGE));
      auto page = ReadNodePage(host, id);
      if (!page) return Fail("node ", name, " has no node page any more");
      uint64_t head = host_page.console_in_head;
      uint64_t room = InputRoom(head, page->console_in_tail, MINT_CONSOLE_IN_SIZE);
      if (room == 0) {
        if (std::chrono::steady_clock::now() - start > std::chrono::seconds(10))
          return Fail("node ", name, " takes no console input (its input ring stays full)");
        MINT_TRY_VOID(Pump());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      size_t n = std::min<uint64_t>(room, bytes.size() - sent);
      for (size_t i = 0; i < n;) {
        uint64_t at = (head + i) % MINT_CONSOLE_IN_SIZE;
        size_t piece = std::min<uint64_t>(n - i, MINT_CONSOLE_IN_SIZE - at);
        MINT_TRY_VOID(
            host.WriteShared(id, MINT_SHARED_CONSOLE_IN + at,
                             {reinterpret_cast<const uint8_t*>(bytes.data() + sent + i), piece}));
        i += piece;
      }
      uint64_t new_head = head + n;
      MINT_TRY_VOID(
          host.WriteShared(id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, console_in_head),
                           {reinterpret_cast<const uint8_t*>(&new_head), sizeof(new_head)}));
      sent += n;
    }
    return Ok{};
  }
};

Result<int> RunConsole(const ConsoleArgs& args) {
  const std::string& name = args.node;
  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto node = MINT_TRY(FindNodeByName(*host, name));
  auto page = ReadNodePage(*host, node.id);
  if (!page)
    return Fail("node ", name,
                " has no shared console: its kernel has not loaded mint_node.ko (yet)");
  ConsoleSession session{*host, node.id, name};
  session.tail = args.history || args.dump ? 0 : page->console_head;
  if (args.dump) {
    MINT_TRY_VOID(session.Pump());
    return 0;
  }
  if (page->condition == MINT_NODE_PARKED)
    std::cerr << "mint: node " << name << " is parked (" << ReasonText(*page) << "): output only\n";
  bool interactive = isatty(STDIN_FILENO) != 0;
  // One writer at a time: a second console waits its turn (bounded) instead of failing.
  Deadline deadline = DeadlineIn(args.wait_s);
  auto lock = MINT_TRY(RunLock::Take(name + ".console", std::chrono::steady_clock::now()));
  if (!lock) {
    if (interactive)
      std::cerr << "mint: another mint console is writing to node " << name << "; waiting up to "
                << args.wait_s << " s for it to leave (--wait)\n";
    auto waited = MINT_TRY(RunLock::Take(name + ".console", deadline));
    if (!waited) {
      std::ostringstream seconds;
      seconds << args.wait_s;
      return Fail("node ", name, ": ", seconds.str(),
                  " s passed waiting for another mint console to stop writing to it "
                  "(mint console --dump shows the output meanwhile)");
    }
    lock.emplace(std::move(*waited));
    // What the node printed for the other console is not this one's to show (--history aside).
    auto now = ReadNodePage(*host, node.id);
    if (!args.history && now) session.tail = now->console_head;
  }

  if (interactive) std::cerr << "Connected to node " << name << " (escape character is ^])\n";
  RawTerminal terminal(STDIN_FILENO);
  session.raw = interactive && terminal.active();
  if (args.history) MINT_TRY_VOID(session.Pump());

  bool stdin_open = true;
  auto last_output = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point stdin_closed;
  std::string pending;  // a partial line read from a non-terminal stdin
  for (;;) {
    size_t shown = MINT_TRY(session.Pump());
    auto now = std::chrono::steady_clock::now();
    if (shown > 0) last_output = now;
    if (!stdin_open) {
      double quiet = std::chrono::duration<double>(now - last_output).count();
      double since_eof = std::chrono::duration<double>(now - stdin_closed).count();
      if ((quiet >= args.quiet_after && since_eof >= args.quiet_after) || since_eof > 30) break;
    }
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    int ready = stdin_open ? poll(&fd, 1, 20) : 0;
    if (!stdin_open) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (ready <= 0 || !(fd.revents & (POLLIN | POLLHUP))) continue;
    char buffer[1024];
    ssize_t got = ::read(STDIN_FILENO, buffer, sizeof(buffer));
    if (got <= 0) {
      stdin_open = false;
      stdin_closed = now;
      if (!pending.empty()) MINT_TRY_VOID(session.Send(pending + "\n"));
      if (interactive) break;
      continue;
    }
    std::string bytes(buffer, static_cast<size_t>(got));
    if (interactive) {
      auto escape = bytes.find(kEscape);
      if (escape != std::string::npos) {
        MINT_TRY_VOID(session.Send(bytes.substr(0, escape)));
        break;
      }
      MINT_TRY_VOID(session.Send(bytes));
      continue;
    }
    // Not a terminal: whole lines, each as the node's shell would see them typed.
    pending += bytes;
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      MINT_TRY_VOID(session.Send(pending.substr(0, newline + 1)));
      pending.erase(0, newline + 1);
    }
  }
  if (session.raw) std::cout << "\r\n";
  if (interactive) std::cerr << "Disconnected from node " << name << "\n";
  return 0;
}

}  // namespace

void AddConsole(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<ConsoleArgs>();
  CLI::App* cmd = app.add_subcommand("console", "attach to a node's console (Ctrl-] leaves)");
  cmd->footer(
      "Attaches to the node's shared-memory console: everything the node's kernel prints and\n"
      "the shell on its /dev/ttyMint0. On a terminal, Ctrl-] leaves. When stdin is not a\n"
      "terminal, its lines are sent to the node and, once it ends, output is shown until the\n"
      "node has printed nothing for S seconds (--quiet-after; at most 30 s after stdin ends).\n"
      "One console writes to a node at a time: another one waits for it to leave, at most\n"
      "--wait seconds, then fails saying so (--dump reads the output meanwhile).");
  cmd->add_option("NODE", args->node, "the node to attach to")->required();
  cmd->add_flag("--history", args->history,
                "show what the ring still holds (the last 64 KiB) before attaching");
  cmd->add_flag("--dump", args->dump, "show what the ring holds and exit");
  cmd->add_option("--quiet-after", args->quiet_after,
                  "when stdin is not a terminal: stop once the node has printed nothing for S "
                  "seconds after stdin ended")
      ->check(PositiveSeconds())
      ->capture_default_str();
  cmd->add_option("--wait", args->wait_s,
                  "one console writes to a node at a time: wait at most S seconds for another "
                  "one to leave")
      ->check(PositiveSeconds())
      ->capture_default_str();
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->callback([args, &chosen] { chosen = [args] { return RunConsole(*args); }; });
}

}  // namespace mint::cli
