#include "images.h"
#include "format.h"

#include <chrono>
#include <filesystem>

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

namespace {

// Adds `ko` to the node's initramfs as its node module. The store keeps the initrd file as it
// is, not this node's copy with the module added.
Result<void> AppendNodeModule(const NodePlan& node, LoadedImages& out,
                              std::span<const uint8_t> ko) {
  out.initrd = MINT_TRY(AppendToInitramfs(out.initrd.span(), kNodeModulePath, ko));
  std::erase_if(out.to_place,
                [&](const DeferredPlacement& placement) { return placement.path == node.initrd; });
  return {};
}

// The node module (lib/node_module.h): the one the plan names goes into the initramfs as one
// more archive; otherwise the initramfs's own is the one the node loads.
Result<void> AddNodeModule(const NodePlan& node, LoadedImages& out) {
  NodeModuleFacts& facts = out.module;
  facts.kernel_release = KernelRelease(out.image.version);
  if (node.node_module == kNoNodeModule) {
    facts.from = "node_module = \"none\"";
    return {};
  }
  if (!node.node_module.empty()) {
    facts.from = node.node_module;
    std::error_code error;
    if (!std::filesystem::exists(node.node_module, error)) {
      facts.from += ", which does not exist";
      return {};
    }
    auto ko = MINT_TRY(ReadFile(node.node_module, "node " + node.name + "'s node_module"));
    auto vermagic = ModuleVermagic(ko);
    if (!vermagic)
      return Fail("node ", node.name, ": node_module ", node.node_module, ": ",
                  vermagic.error().message);
    facts.vermagic = *vermagic;
    return AppendNodeModule(node, out, ko);
  }
  facts.from = node.initrd.empty() ? std::string("the node has no initrd")
                                   : node.initrd + " /" + std::string(kNodeModulePath);
  if (!node.initrd.empty()) {
    auto found = FindInInitramfs(out.initrd.span(), kNodeModulePath);
    if (!found) {
      facts.from = node.initrd + ": " + found.error().message;
    } else if (!*found) {
      facts.from += ": not there";
    } else if (auto vermagic = ModuleVermagic(**found); !vermagic) {
      facts.from += ": " + vermagic.error().message;
    } else {
      facts.vermagic = *vermagic;
    }
  }
  if (KernelRelease(facts.vermagic) == facts.kernel_release) return {};
  // Not the kernel's own: the kernel cache may hold one built for it (`mint kernel fetch
  // RELEASE`), which then goes in as a plan's node_module would.
  std::string cached = KernelCacheDir() + "/kernels/" + facts.kernel_release + "/mint_node.ko";
  std::error_code error;
  if (facts.kernel_release.empty() || !std::filesystem::exists(cached, error)) return {};
  auto ko = MINT_TRY(ReadFile(cached, "the kernel cache's node module"));
  auto vermagic = ModuleVermagic(ko);
  if (!vermagic || KernelRelease(*vermagic) != facts.kernel_release) return {};
  facts.vermagic = *vermagic;
  facts.from = cached;
  return AppendNodeModule(node, out, ko);
}

}  // namespace

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
  auto image = ParseBzImage(out.kernel);
  if (!image) return Fail("node ", node.name, ": ", node.kernel, ": ", image.error().message);
  out.image = std::move(*image);
  MINT_TRY_VOID(AddNodeModule(node, out));
  out.read_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
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
