#include "images.h"

#include <chrono>

#include "files.h"

namespace mint::cli {

Result<LoadedImages> ReadImages(const NodePlan& node) {
  LoadedImages out;
  auto start = std::chrono::steady_clock::now();
  out.kernel = MINT_TRY(ReadFile(node.kernel, "node " + node.name + "'s kernel"));
  if (!node.initrd.empty())
    out.initrd = MINT_TRY(ReadFile(node.initrd, "node " + node.name + "'s initrd"));
  out.read_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  auto image = ParseBzImage(out.kernel);
  if (!image) return Fail("node ", node.name, ": ", node.kernel, ": ", image.error().message);
  out.image = std::move(*image);
  return out;
}

}  // namespace mint::cli
