#include "images.h"
#include "format.h"

#include <chrono>

#include "files.h"
#include "store_session.h"

namespace mint {

ImageBytes::ImageBytes() = default;
ImageBytes::ImageBytes(std::vector<uint8_t> owned) : owned_(std::move(owned)) {}
ImageBytes::ImageBytes(std::span<const uint8_t> stored, std::unique_ptr<LockedStore> pin)
    : view_(stored), pin_(std::move(pin)) {}
ImageBytes::ImageBytes(std::unique_ptr<MappedFile> mapped)
    : view_(mapped->bytes()), mapped_(std::move(mapped)) {}
ImageBytes::ImageBytes(ImageBytes&&) noexcept = default;
ImageBytes& ImageBytes::operator=(ImageBytes&&) noexcept = default;
ImageBytes::~ImageBytes() = default;

Result<LoadedImages> ReadImages(const NodePlan& node, StoreSession* store, bool defer_placement) {
  LoadedImages out;
  auto start = std::chrono::steady_clock::now();
  std::vector<DeferredPlacement>* defer = defer_placement ? &out.to_place : nullptr;
  out.kernel_path = node.kernel;
  out.kernel = MINT_TRY(
      LoadImageBytes(node.kernel, "node " + node.name + "'s kernel", store, nullptr, defer));
  if (!node.initrd.empty())
    out.initrd = MINT_TRY(
        LoadImageBytes(node.initrd, "node " + node.name + "'s initrd", store, nullptr, defer));
  out.read_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  auto image = ParseBzImage(out.kernel);
  if (!image) return Fail("node ", node.name, ": ", node.kernel, ": ", image.error().message);
  out.image = std::move(*image);
  return out;
}

void PlaceInStore(StoreSession* store, const LoadedImages& images) {
  if (store == nullptr) return;
  for (const DeferredPlacement& placement : images.to_place) {
    bool is_kernel = placement.path == images.kernel_path;
    PlaceDeferred(*store, placement, is_kernel ? images.kernel : images.initrd);
  }
}

}  // namespace mint
