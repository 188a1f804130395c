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

#include "commands.h"
#include "console_ring.h"
#include "lifecycle.h"
#include "memory_images.h"
#include "node_access.h"
#include "sleep.h"

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

}  // namespace

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
