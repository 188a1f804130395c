#include "node_access.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

#include "console_ring.h"
#include "node_text.h"

namespace mint {

Result<mint_node_status> FindNodeByName(HostDevice& host, const std::string& name) {
  std::string names;
  for (uint32_t id = 0; id < MINT_MAX_NODES; ++id) {
    auto status = MINT_TRY(host.Status(id));
    if (status.state == MINT_STATE_FREE) continue;
    std::string found(status.name, strnlen(status.name, sizeof(status.name)));
    if (found == name) return status;
    names += (names.empty() ? "" : ", ") + found;
  }
  return Fail("no node named '", name, "' (the host runs: ", names.empty() ? "none" : names,
              "; see mint ps)");
}

std::string ReasonText(const mint_node_page& page) {
  return PrintableNodeText({page.reason_text, strnlen(page.reason_text, sizeof(page.reason_text))});
}

std::optional<mint_node_page> ReadNodePage(HostDevice& host, uint32_t id) {
  auto page = host.ReadSharedAs<mint_node_page>(id, MINT_SHARED_NODE_PAGE);
  if (!page || page->magic != MINT_NODE_PAGE_MAGIC) return std::nullopt;
  page->reason_text[sizeof(page->reason_text) - 1] = '\0';
  return *page;
}

double SecondsSinceTsc(uint64_t from, uint64_t tsc_khz) {
  uint64_t now = __rdtsc();
  if (tsc_khz == 0 || from == 0 || now < from) return 0;
  return static_cast<double>(now - from) / (static_cast<double>(tsc_khz) * 1000.0);
}

std::string RunDir() {
  const char* dir = std::getenv("MINT_RUN_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "/run/mint";
}

namespace {

bool MakeRunDir() {
  std::string dir = RunDir();
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at == dir.size() || dir[at] == '/') {
      std::string part = dir.substr(0, at);
      if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
  }
  return true;
}

std::string PlanRecord(const std::string& node) {
  return RunDir() + "/" + node + ".plan";
}

}  // namespace

void RememberPlan(const std::string& plan_path, const std::string& node) {
  char resolved[PATH_MAX];
  std::string path = realpath(plan_path.c_str(), resolved) != nullptr ? resolved : plan_path;
  if (!MakeRunDir()) {
    std::cerr << "mint: warning: cannot create " << RunDir() << ": " << std::strerror(errno)
              << "; 'mint restart " << node << "' will need the plan named\n";
    return;
  }
  std::ofstream out(PlanRecord(node), std::ios::trunc);
  out << path << "\n";
  if (!out)
    std::cerr << "mint: warning: cannot write " << PlanRecord(node) << "; 'mint restart " << node
              << "' will need the plan named\n";
}

std::optional<std::string> RememberedPlan(const std::string& node) {
  std::ifstream in(PlanRecord(node));
  std::string path;
  if (!std::getline(in, path) || path.empty()) return std::nullopt;
  return path;
}

Result<RunLock> RunLock::Take(const std::string& name) {
  if (!MakeRunDir()) return Fail("cannot create ", RunDir(), ": ", std::strerror(errno));
  std::string path = RunDir() + "/" + name;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Fail("cannot open ", path, ": ", std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Fail(path, " is locked: another mint process is using it");
  }
  return RunLock(fd);
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<ExecOutcome> ExecInNode(HostDevice& host, const mint_node_status& node,
                               const std::vector<std::string>& command, double timeout_s) {
  std::string name(node.name, strnlen(node.name, sizeof(node.name)));
  uint32_t id = node.id;
  std::string argv_bytes;
  for (const std::string& arg : command) argv_bytes += arg + '\0';
  if (argv_bytes.size() > MINT_EXEC_ARGV_MAX)
    return Fail("the command is ", std::to_string(argv_bytes.size()),
                " bytes with its NULs; the mailbox takes ", std::to_string(MINT_EXEC_ARGV_MAX));
  auto lock = MINT_TRY(RunLock::Take(name + ".exec"));
  auto page = ReadNodePage(host, id);
  if (page && page->condition == MINT_NODE_PARKED)
    return Fail("node ", name, " is parked (", ReasonText(*page), "); 'mint restart ", name,
                "' boots it again");
  if (node.state == MINT_STATE_SUSPENDED)
    return Fail("node ", name, " is suspended; 'mint resume ", name, "' wakes it");

  auto host_page = MINT_TRY(host.ReadSharedAs<mint_host_page>(id, MINT_SHARED_HOST_PAGE));
  auto result = MINT_TRY(host.ReadSharedAs<mint_exec_result>(id, MINT_SHARED_EXEC_RESULT));
  uint64_t seq = std::max<uint64_t>(host_page.exec_seq, result.done_seq) + 1;
  // The request first, its sequence number last: the agent starts on the number.
  struct {
    uint32_t argc;
    uint32_t len;
  } header{static_cast<uint32_t>(command.size()), static_cast<uint32_t>(argv_bytes.size())};
  static_assert(offsetof(mint_host_page, exec_len) == offsetof(mint_host_page, exec_argc) + 4);
  MINT_TRY_VOID(host.WriteShared(id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, exec_argc),
                                 {reinterpret_cast<const uint8_t*>(&header), sizeof(header)}));
  MINT_TRY_VOID(
      host.WriteShared(id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, exec_argv),
                       {reinterpret_cast<const uint8_t*>(argv_bytes.data()), argv_bytes.size()}));
  MINT_TRY_VOID(host.WriteShared(id, MINT_SHARED_HOST_PAGE + offsetof(mint_host_page, exec_seq),
                                 {reinterpret_cast<const uint8_t*>(&seq), sizeof(seq)}));

  auto start = std::chrono::steady_clock::now();
  bool picked_up = false;
  for (;;) {
    result = MINT_TRY(host.ReadSharedAs<mint_exec_result>(id, MINT_SHARED_EXEC_RESULT));
    if (result.started_seq == seq) picked_up = true;
    if (result.done_seq == seq) break;
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    page = ReadNodePage(host, id);
    if (page && page->condition == MINT_NODE_PARKED)
      return Fail("node ", name, " parked while running the command (", ReasonText(*page), ")");
    if (waited >= timeout_s) {
      ExecOutcome outcome;
      outcome.timed_out = true;
      outcome.picked_up = picked_up;
      return outcome;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ExecOutcome outcome;
  outcome.picked_up = true;
  outcome.status = result.status;
  outcome.truncated = result.truncated != 0;
  outcome.output.resize(std::min<uint32_t>(result.out_len, MINT_EXEC_OUTPUT_MAX));
  if (!outcome.output.empty())
    MINT_TRY_VOID(
        host.ReadShared(id, MINT_SHARED_EXEC_RESULT + sizeof(mint_exec_result), outcome.output));
  return outcome;
}

}  // namespace mint
