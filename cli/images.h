// Reading a node's kernel and initrd: the one place the boot paths (boot, up, bench) get
// image bytes, so a faster source (the resident store) plugs in here for all of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bzimage.h"
#include "plan.h"
#include "result.h"
#include "store.h"

namespace mint::cli {

class StoreSession;  // cli/image_store.h

// An image read from disk that still goes into the store (see LoadImageBytes).
struct DeferredPlacement {
  std::string path;
  std::string what;
  ImageSource source;
};

struct LoadedImages {
  std::vector<uint8_t> kernel;
  std::vector<uint8_t> initrd;
  std::string kernel_path;
  KernelImage image;
  double read_ms = 0;
  // Images read from disk that still go into the store (ReadImages with defer_placement).
  std::vector<DeferredPlacement> to_place;
};

// With a store (OpenPlanStore), the bytes come from it when it holds them and go into it when
// they had to be read from disk (LoadImageBytes).
// With defer_placement, images read from disk are placed in the store only by a later
// PlaceInStore: a boot path calls it once the node is started, so the placement overlaps
// the node's boot.
Result<LoadedImages> ReadImages(const NodePlan& node, StoreSession* store = nullptr,
                                bool defer_placement = false);
void PlaceInStore(StoreSession* store, const LoadedImages& images);

}  // namespace mint::cli
