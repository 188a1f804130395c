// Memory images on the CLI side (cli/image.cc): mint snapshot, and mint boot --image.
#pragma once

#include <cstdint>
#include <string>

#include "host_device.h"
#include "image_store.h"
#include "memory_image.h"
#include "plan.h"
#include "result.h"

namespace mint::cli {

// Suspend and resume (cli/suspend.cc), for mint suspend|resume and the benchmarks.
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

// mint snapshot's work: reads a suspended node's memory and keeps the image in `store` (as
// "snapshot:NAME", pages stored per `store_codec`) and/or `out_path` (per `file_codec`).
struct SnapshotResult {
  uint64_t pages = 0;
  uint64_t nonzero_pages = 0;
  uint64_t store_bytes = 0;
  uint64_t file_bytes = 0;
  double read_ms = 0;
  double compress_ms = 0;  // LZ4, when a copy is compressed
};
// `devices`: what the node owns (NodeDeviceNames of its plan node), recorded in the image.
Result<SnapshotResult> TakeSnapshot(HostDevice& host, const mint_node_status& node,
                                    const std::vector<std::string>& devices, StoreSession* store,
                                    const std::string& name, PageCodec store_codec,
                                    const std::string& out_path, PageCodec file_codec);

struct ImageBootResult {
  uint32_t id = 0;
  std::string node;
  uint64_t image_bytes = 0;  // the image as read
  uint64_t page_bytes = 0;   // its non-zero pages
  double read_ms = 0;        // read the image (file; a view of the store costs nothing)
  double check_ms = 0;       // parse it and check its XXH64
  double decompress_ms = 0;  // LZ4
  double zero_ms = 0;        // zero the pages the image does not hold
  double copy_ms = 0;        // copy its pages into the node
  double host_ms = 0;        // all of the above, up to the SIPI
  double sipi_to_kernel_ms = 0;
  double sipi_to_user_ms = 0;
  double total_ms = 0;  // start of the read -> the node's userspace is back
};

// Puts the memory image `source` (a file, or a name in the plan's store) into the plan's node
// `node_name` (empty: the node the image was taken of), which must have the image's layout,
// and resumes it; waits until its userspace is back. Nothing stays claimed on failure.
Result<ImageBootResult> BootFromImage(HostDevice& host, const Plan& plan,
                                      const std::string& node_name, const std::string& source,
                                      StoreSession* store, double timeout_s);

}  // namespace mint::cli
