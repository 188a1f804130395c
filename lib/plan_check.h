// The checks of a plan that need more than the plan file: each node's kernel image (its
// layout, alignment and architecture) and the machine the plan is for (an inventory). Every
// problem is reported, each at the plan file's line, with the values involved.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bzimage.h"
#include "inventory.h"
#include "layout.h"
#include "node_module.h"
#include "plan.h"
#include "plan_rules.h"
#include "result.h"

namespace mint {

// Room a node needs beyond its kernel's init_size and its initrd to get through boot and run
// a small userspace (page tables, per-CPU areas, the unpacked initramfs, slab). Most of
// init_size is the decompressor's room and is free again once the kernel runs, so 16 MiB on
// top is enough for the lab's busybox node (a 96 MiB Debian 6.1 node boots and runs).
inline constexpr uint64_t kWorkingMargin = uint64_t{16} << 20;

struct NodeImage {
  KernelImage kernel;
  uint64_t initrd_size = 0;
  // The node module it will load; nullopt: not looked for (no refusal).
  std::optional<NodeModuleFacts> module;
};
// Reads a node's kernel image header and initrd size (the CLI reads files; tests fake it).
using NodeImageReader = std::function<Result<NodeImage>(const NodePlan&)>;

struct PlanCheckOptions {
  const Inventory* inventory = nullptr;  // null: no checks against a machine
  NodeImageReader images;                // empty: no image checks
};

// What the checks learned about one node, for display.
struct NodeCheck {
  std::string name;
  std::string arch;  // from the plan or the image; empty when unknown
  std::optional<NodeLayout> layout;
  uint64_t needs_bytes = 0;  // kernel + initrd + working margin, when the image was read
  std::string image_note;    // why the image checks did not run, if they did not
};

// Runs the image and inventory checks on a parsed plan (ParsePlanAll), adding each problem to
// check.problems at the line check.lines gives (sorted by line again afterwards).
std::vector<NodeCheck> CheckPlan(PlanCheck& check, const PlanCheckOptions& options);

}  // namespace mint
