// Reading a node's kernel and initrd: the one place the boot paths (boot, up, bench) get
// image bytes, so a faster source (the resident store) plugs in here for all of them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bzimage.h"
#include "node_module.h"
#include "plan.h"
#include "result.h"
#include "store.h"

namespace mint {

class StoreSession;  // cli/image_store.h
class LockedStore;   // cli/image_store.h
class MappedFile;    // cli/files.h

// An image's bytes: a copy of its own (read from disk, or unpacked), a view straight into
// the resident store's mapping, or a file mapped whole (a memory image). A store view keeps
// the store locked while it lives, so no other mint can evict or overwrite the bytes before
// the host module has copied them into the node: the boot paths hold it until the node is
// started. Move-only.
class ImageBytes {
 public:
  ImageBytes();
  ImageBytes(std::vector<uint8_t> owned);  // NOLINT(google-explicit-constructor): a plain copy
  ImageBytes(std::span<const uint8_t> stored, std::unique_ptr<LockedStore> pin);
  explicit ImageBytes(std::unique_ptr<MappedFile> mapped);
  ImageBytes(ImageBytes&&) noexcept;
  ImageBytes& operator=(ImageBytes&&) noexcept;
  ~ImageBytes();

  std::span<const uint8_t> span() const {
    return pin_ || mapped_ ? view_ : std::span<const uint8_t>(owned_);
  }
  const uint8_t* data() const { return span().data(); }
  size_t size() const { return span().size(); }
  bool empty() const { return size() == 0; }
  const uint8_t* begin() const { return data(); }
  const uint8_t* end() const { return data() + size(); }
  bool in_store() const { return pin_ != nullptr; }

 private:
  std::vector<uint8_t> owned_;
  std::span<const uint8_t> view_;
  std::unique_ptr<LockedStore> pin_;
  std::unique_ptr<MappedFile> mapped_;
};

// An image read from disk that still goes into the store (see LoadImageBytes).
struct DeferredPlacement {
  std::string path;
  std::string what;
  ImageSource source;
};

struct LoadedImages {
  ImageBytes kernel;
  ImageBytes initrd;
  std::string kernel_path;
  KernelImage image;
  // The node module the node will load and the kernel it was built for (lib/node_module.h);
  // a module the plan names is already appended to `initrd`.
  NodeModuleFacts module;
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

}  // namespace mint
