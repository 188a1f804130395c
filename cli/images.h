// Reading a node's kernel and initrd: the one place the boot paths (boot, up, bench) get
// image bytes, so a faster source (the resident store) plugs in here for all of them.
#pragma once

#include <cstdint>
#include <vector>

#include "bzimage.h"
#include "plan.h"
#include "result.h"

namespace mint::cli {

struct LoadedImages {
  std::vector<uint8_t> kernel;
  std::vector<uint8_t> initrd;
  KernelImage image;
  double read_ms = 0;
};

class StoreSession;  // cli/image_store.h

// With a store (OpenPlanStore), the bytes come from it when it holds them and go into it when
// they had to be read from disk (LoadImageBytes).
Result<LoadedImages> ReadImages(const NodePlan& node, StoreSession* store = nullptr);

}  // namespace mint::cli
