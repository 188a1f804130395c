// Suspend to RAM and resume, with the host in the firmware's place (docs/suspend.md): for mint
// suspend|resume, mint snapshot and the benchmarks.
#pragma once

#include "host_device.h"
#include "mint/abi.h"
#include "result.h"

namespace mint {

struct SuspendTimes {
  mint_node_status status;      // as the module reports it once suspended
  double request_to_s3_ms = 0;  // the agent's request -> the kernel writes S3
  double s3_to_parked_ms = 0;   // -> the module parked the cores (its grace period)
};
Result<SuspendTimes> SuspendNode(HostDevice& host, const mint_node_status& node, double timeout_s);
struct ResumeTimes {
  double slept_s = 0;
  double sipi_to_kernel_ms = 0;  // the kernel wrote S0 (seen within the module's poll)
  double sipi_to_user_ms = 0;    // the agent's suspend request returned (or an exec ran)
  bool agent_asked = false;      // whether the suspend came from mint suspend
  uint32_t wakeup = 0;           // the kernel's wakeup_start
};
Result<ResumeTimes> ResumeNode(HostDevice& host, const mint_node_status& node, double timeout_s);

}  // namespace mint
