#include "images.h"

#include <chrono>

#include "files.h"
#include "image_store.h"

namespace mint::cli {

Result<LoadedImages> ReadImages(const NodePlan& node, StoreSession* store) {
  LoadedImages out;
  auto start = std::chrono::steady_clock::now();
  out.kernel = MINT_TRY(LoadImageBytes(node.kernel, "node " + node.name + "'s kernel", store));
  if (!node.initrd.empty())
    out.initrd = MINT_TRY(LoadImageBytes(node.initrd, "node " + node.name + "'s initrd", store));
  out.read_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  auto image = ParseBzImage(out.kernel);
  if (!image) return Fail("node ", node.name, ": ", node.kernel, ": ", image.error().message);
  out.image = std::move(*image);
  return out;
}

}  // namespace mint::cli
