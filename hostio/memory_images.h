// Memory images of suspended nodes (lib/memory_image.h for the format): taking one (mint
// snapshot), and finding the one a boot names (a file, or a name in the plan's store). Putting
// an image back into a node is part of the node's lifecycle (lifecycle.h, ResumeImage).
#pragma once

#include <string>
#include <vector>

#include "host_device.h"
#include "images.h"
#include "memory_image.h"
#include "plan.h"
#include "result.h"
#include "store_session.h"

namespace mint {

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

// The layout a plan's node would give an image: ranges as the module holds them (low slice
// first), cores, devices, and the status page at the start of its lowest memory.
MemoryImageLayout PlanLayout(const NodePlan& node);

// The image SRC names: a file, or an image in the store (kept as "snapshot:NAME"), viewed in
// place (the store stays locked while the view lives).
Result<ImageBytes> ReadImageSource(const std::string& source, StoreSession* store);

}  // namespace mint
