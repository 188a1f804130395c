// mint suspend NODE / mint resume NODE: suspend to RAM, with the host in the firmware's place
// (docs/suspend.md). The node suspends itself (its agent writes "mem" to /sys/power/state);
// the host module parks its cores once its ACPI sleep control byte says S3 and, on resume,
// sends its boot core back to its kernel's wakeup code.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "boot_node.h"
#include "commands.h"
#include "console_ring.h"
#include "image.h"
#include "node_access.h"

namespace mint::cli {
namespace {

constexpr const char* kSuspendUsage =
    "usage: mint suspend NODE [--timeout S] [--json] [--device PATH]\n"
    "\n"
    "Asks a running node to suspend itself to RAM (ACPI S3: its agent writes 'mem' to\n"
    "/sys/power/state) and waits until the host module has parked its cores. The node keeps\n"
    "its cores and memory; 'mint ps' shows it suspended and for how long; 'mint resume NODE'\n"
    "wakes it where it left off. A node may also suspend itself (echo mem > /sys/power/state).\n"
    "  --timeout S  give up after S seconds (default 20)\n"
    "  --json       print the timings as JSON\n";

constexpr const char* kResumeUsage =
    "usage: mint resume NODE [--timeout S] [--json] [--device PATH]\n"
    "\n"
    "Wakes a suspended node: its boot core goes straight back to its kernel's wakeup code, the\n"
    "kernel brings its other cores back, and its processes carry on. Prints how long after the\n"
    "SIPI the kernel was back (it wrote S0 to its sleep control register) and its userspace\n"
    "was (the agent's suspend request returned, or a command ran through the agent).\n"
    "  --timeout S  give up after S seconds (default 20)\n"
    "  --json       print the timings as JSON\n";

struct Options {
  std::string device = "/dev/mint";
  double timeout_s = 20;
  bool json = false;
  std::string name;
};

// Parses NODE [--timeout S] [--json] [--device PATH]; nullopt after saying what was wrong.
std::optional<Options> Parse(const Args& in, const char* usage, int* status) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) {
    *status = Usage(usage, 0);
    return std::nullopt;
  }
  Options options;
  options.json = TakeFlag(args, "--json");
  std::string timeout;
  bool ok = true;
  TakeValue(args, "--device", options.device, ok);
  TakeValue(args, "--timeout", timeout, ok);
  if (!ok || args.size() != 1 || args[0].starts_with("-")) {
    *status = ok ? Usage(usage, 2) : 2;
    return std::nullopt;
  }
  if (!timeout.empty()) {
    char* end = nullptr;
    options.timeout_s = std::strtod(timeout.c_str(), &end);
    if (end == timeout.c_str() || *end != '\0' || options.timeout_s <= 0) {
      *status = Error("--timeout '" + timeout + "' is not a positive number of seconds");
      return std::nullopt;
    }
  }
  options.name = args[0];
  return options;
}

std::string StateOf(const mint_node_status& status) {
  NodeView view;
  view.module_state = status.state;
  return NodeStateName(view);
}

// Polls the node's status until `done` says so or the timeout passes.
template <typename Done>
Result<mint_node_status> WaitFor(HostDevice& host, uint32_t id, double timeout_s, Done done) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto status = MINT_TRY(host.Status(id));
    if (done(status)) return status;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_s)
      return Fail("timed out after ", std::to_string(static_cast<int>(timeout_s)),
                  " s; the node is ", StateOf(status));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

Result<SuspendTimes> SuspendNode(HostDevice& host, const mint_node_status& node, double timeout_s) {
  std::string name(node.name, strnlen(node.name, sizeof(node.name)));
  if (node.state == MINT_STATE_SUSPENDED) return Fail("node ", name, " is already suspended");
  if (node.state != MINT_STATE_READY)
    return Fail("node ", name, " is ", StateOf(node), "; only a running node can suspend");
  auto info = MINT_TRY(host.Info());
  uint32_t suspends = node.suspends;
  auto outcome = MINT_TRY(ExecInNode(host, node, {"mint-agent", "suspend"}, timeout_s));
  if (outcome.timed_out || outcome.status != 0)
    return Fail(
        "node ", name, ": its agent did not take the request (",
        outcome.timed_out ? std::string("no answer") : "exit " + std::to_string(outcome.status),
        "): ", std::string(outcome.output.begin(), outcome.output.end()));
  auto done = WaitFor(host, node.id, timeout_s, [&](const mint_node_status& s) {
    return s.state != MINT_STATE_READY || s.suspends != suspends;
  });
  if (!done) return Fail("node ", name, ": no suspend: ", done.error().message);
  if (done->state != MINT_STATE_SUSPENDED)
    return Fail("node ", name, " did not suspend: it is ", StateOf(*done));
  SuspendTimes times;
  times.status = *done;
  times.request_to_s3_ms = TscMs(done->page.tsc_suspend, done->tsc_sleep_request, info.tsc_khz);
  times.s3_to_parked_ms = TscMs(done->tsc_sleep_request, done->tsc_suspended, info.tsc_khz);
  return times;
}

Result<ResumeTimes> ResumeNode(HostDevice& host, const mint_node_status& node, double timeout_s) {
  std::string name(node.name, strnlen(node.name, sizeof(node.name)));
  if (node.state != MINT_STATE_SUSPENDED)
    return Fail("node ", name, " is ", StateOf(node), ", not suspended");
  auto info = MINT_TRY(host.Info());
  uint64_t khz = info.tsc_khz;
  ResumeTimes times;
  times.slept_s = SecondsSinceTsc(node.tsc_suspended, khz);
  // The agent asked for this sleep (mint suspend) when its request is the latest and open.
  times.agent_asked = node.page.tsc_suspend != 0 &&
                      node.page.tsc_suspend < node.tsc_sleep_request &&
                      node.page.tsc_resumed < node.page.tsc_suspend;
  auto resumed = MINT_TRY(host.Resume(node.id));
  times.wakeup = resumed.wakeup;
  uint64_t sipi = resumed.tsc_sipi;
  // Userspace is back when the agent's suspend request returns; a node that suspended itself
  // from a shell has no such stamp, so then a command run through the agent says it.
  auto back = WaitFor(host, node.id, timeout_s, [&](const mint_node_status& s) {
    if (s.state != MINT_STATE_READY) return true;
    return s.tsc_kernel_back > sipi && (!times.agent_asked || s.page.tsc_resumed > sipi);
  });
  if (!back) return Fail("node ", name, ": not back: ", back.error().message);
  if (back->state != MINT_STATE_READY)
    return Fail("node ", name, " is ", StateOf(*back), " after the resume");
  times.sipi_to_kernel_ms = TscMs(sipi, back->tsc_kernel_back, khz);
  if (times.agent_asked) {
    times.sipi_to_user_ms = TscMs(sipi, back->page.tsc_resumed, khz);
  } else {
    auto ran = ExecInNode(host, *back, {"true"}, timeout_s);
    if (!ran || ran->timed_out || ran->status != 0)
      return Fail("node ", name, ": its kernel is back but its agent does not answer");
    times.sipi_to_user_ms = SecondsSinceTsc(sipi, khz) * 1000;
  }
  return times;
}

int Suspend(const Args& in) {
  int status_code = 0;
  auto options = Parse(in, kSuspendUsage, &status_code);
  if (!options) return status_code;
  auto host = HostDevice::Open(options->device);
  if (!host) return Error(host.error().message);
  auto node = FindNodeByName(**host, options->name);
  if (!node) return Error(node.error().message);
  auto done = SuspendNode(**host, *node, options->timeout_s);
  if (!done) return Error(done.error().message);
  if (options->json) {
    std::cout << nlohmann::json{{"node", options->name},
                                {"state", "suspended"},
                                {"request_to_s3_ms", done->request_to_s3_ms},
                                {"s3_to_parked_ms", done->s3_to_parked_ms},
                                {"suspends", done->status.suspends}}
                     .dump()
              << "\n";
  } else {
    std::printf(
        "mint: node %s suspended to RAM: its kernel asked for S3 %.1f ms after the agent's "
        "request, its cores were parked %.1f ms later\n",
        options->name.c_str(), done->request_to_s3_ms, done->s3_to_parked_ms);
  }
  return 0;
}

int Resume(const Args& in) {
  int status_code = 0;
  auto options = Parse(in, kResumeUsage, &status_code);
  if (!options) return status_code;
  auto host = HostDevice::Open(options->device);
  if (!host) return Error(host.error().message);
  auto node = FindNodeByName(**host, options->name);
  if (!node) return Error(node.error().message);
  auto times = ResumeNode(**host, *node, options->timeout_s);
  if (!times) return Error(times.error().message);
  if (options->json) {
    std::cout << nlohmann::json{{"node", options->name},
                                {"state", "running"},
                                {"slept_s", times->slept_s},
                                {"sipi_to_kernel_ms", times->sipi_to_kernel_ms},
                                {"sipi_to_user_ms", times->sipi_to_user_ms},
                                {"user_measured_by", times->agent_asked ? "agent" : "exec"},
                                {"wakeup", times->wakeup}}
                     .dump()
              << "\n";
  } else {
    std::printf(
        "mint: node %s resumed after %.1f s asleep: kernel back %.1f ms after the SIPI "
        "(seen within the host's 4 ms poll), userspace %.1f ms (%s)\n",
        options->name.c_str(), times->slept_s, times->sipi_to_kernel_ms, times->sipi_to_user_ms,
        times->agent_asked ? "its agent's request returned" : "a command ran through its agent");
  }
  return 0;
}

}  // namespace mint::cli
