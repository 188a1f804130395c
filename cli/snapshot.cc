// mint snapshot NODE: a suspended node's memory as an image (docs/suspend.md) that
// mint boot PLAN --image resumes.
#include <cstdio>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "devices.h"
#include "format.h"
#include "memory_images.h"
#include "node_access.h"

namespace mint::cli {
namespace {

constexpr const char* kSnapshotUsage =
    "usage: mint snapshot NODE [--out FILE] [--name NAME] [--plan PLAN] [--no-store] [--json]\n"
    "                          [--store-codec raw|lz4] [--file-codec raw|lz4] [--device PATH]\n"
    "\n"
    "Saves a suspended node's memory (mint suspend NODE first) as a memory image: its non-zero\n"
    "pages with the layout they depend on (memory ranges, low slice, APIC IDs, status page, and\n"
    "the devices the node owns). The image goes into the plan's resident store as NAME\n"
    "(default: the node's name), and to FILE with --out. 'mint boot PLAN --image NAME|FILE'\n"
    "resumes it in a node of the same layout, on this host or after a reboot. The node stays\n"
    "suspended.\n"
    "  --plan PLAN   the plan the node was booted from (default: the one mint remembers): its\n"
    "                store, and the devices the node owns\n"
    "  --no-store    only write FILE\n"
    "  --store-codec, --file-codec\n"
    "                how the pages are kept: raw (a boot copies them straight from the store\n"
    "                into the node; the store's default) or LZ4 (smaller, decompressed at\n"
    "                boot; the file's default)\n";

Result<PageCodec> ParseCodec(const std::string& text) {
  if (text == "raw") return PageCodec::kRaw;
  if (text == "lz4") return PageCodec::kLz4;
  return Fail("codec '", text, "': raw or lz4");
}

}  // namespace

int Snapshot(const Args& in) {
  Args args = in;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) return Usage(kSnapshotUsage, 0);
  bool json = TakeFlag(args, "--json");
  bool no_store = TakeFlag(args, "--no-store");
  std::string out_path, name, plan_path, device = "/dev/mint";
  std::string store_codec_text = "raw", file_codec_text = "lz4";
  bool ok = true;
  TakeValue(args, "--store-codec", store_codec_text, ok);
  TakeValue(args, "--file-codec", file_codec_text, ok);
  TakeValue(args, "--out", out_path, ok);
  TakeValue(args, "--name", name, ok);
  TakeValue(args, "--plan", plan_path, ok);
  TakeValue(args, "--device", device, ok);
  if (!ok) return 2;
  if (args.size() != 1 || args[0].starts_with("-")) return Usage(kSnapshotUsage, 2);
  const std::string& node_name = args[0];
  if (name.empty()) name = node_name;
  if (no_store && out_path.empty())
    return Error("--no-store needs --out FILE: the image must go somewhere");
  auto store_codec = ParseCodec(store_codec_text);
  auto file_codec = ParseCodec(file_codec_text);
  if (!store_codec || !file_codec)
    return Error(!store_codec ? "--store-codec: " + store_codec.error().message
                              : "--file-codec: " + file_codec.error().message);

  auto host = HostDevice::Open(device);
  if (!host) return Error(host.error().message);
  auto node = FindNodeByName(**host, node_name);
  if (!node) return Error(node.error().message);
  if (node->state != MINT_STATE_SUSPENDED)
    return Error("node " + node_name + " is not suspended; 'mint suspend " + node_name +
                 "' first (an image of a running node would be torn)");
  // The plan says which devices the node owns (recorded in the image) and where its store is.
  if (plan_path.empty()) plan_path = RememberedPlan(node_name).value_or("");
  std::optional<Plan> plan;
  if (!plan_path.empty()) {
    auto loaded = LoadPlanFile(plan_path);
    if (!loaded) return Error(loaded.error().message);
    plan = std::move(*loaded);
  }
  const NodePlan* node_plan = plan ? plan->FindNode(node_name) : nullptr;
  if (node_plan == nullptr && NodeOwnsDevices(node_name))
    return Error("node " + node_name + " owns devices" +
                 (plan ? ", and " + plan_path + " has no node of that name" : "") +
                 ": give --plan PLAN (the plan it was booted from) so the image records them");
  std::vector<std::string> devices;
  if (node_plan != nullptr) devices = NodeDeviceNames(*node_plan);
  std::unique_ptr<StoreSession> store;
  if (!no_store) {
    if (!plan)
      return Error("no plan is remembered for node " + node_name +
                   ": give --plan PLAN (for its store) or --no-store --out FILE");
    if (!plan->host.store)
      return Error(plan_path +
                   " has no [host] store to keep the image in; give --out FILE --no-store, or "
                   "add a store to the plan");
    auto opened = OpenPlanStore(plan->host, device);
    if (!opened) return Error(opened.error().message);
    store = std::move(*opened);
  }
  auto taken =
      TakeSnapshot(**host, *node, devices, store.get(), name, *store_codec, out_path, *file_codec);
  if (!taken) return Error("node " + node_name + ": " + taken.error().message);
  if (json) {
    std::cout << nlohmann::json{{"node", node_name},
                                {"name", name},
                                {"pages", taken->pages},
                                {"nonzero_pages", taken->nonzero_pages},
                                {"nonzero_bytes", taken->nonzero_pages * kPage},
                                {"file_bytes", taken->file_bytes},
                                {"store_bytes", taken->store_bytes},
                                {"read_ms", taken->read_ms},
                                {"compress_ms", taken->compress_ms},
                                {"file", out_path},
                                {"stored", store != nullptr}}
                     .dump()
              << "\n";
    return 0;
  }
  std::printf(
      "mint: memory image of node %s: %llu of %llu pages are non-zero (%s), read in %.0f ms\n",
      node_name.c_str(), static_cast<unsigned long long>(taken->nonzero_pages),
      static_cast<unsigned long long>(taken->pages), MiB(taken->nonzero_pages * kPage).c_str(),
      taken->read_ms);
  if (store)
    std::printf("  in the store as %s: %s (%s)\n", name.c_str(), MiB(taken->store_bytes).c_str(),
                store_codec_text.c_str());
  if (!out_path.empty())
    std::printf(
        "  written to %s: %s (%s%s)\n", out_path.c_str(), MiB(taken->file_bytes).c_str(),
        file_codec_text.c_str(),
        *file_codec == PageCodec::kLz4
            ? (", compressed in " + std::to_string(static_cast<int>(taken->compress_ms)) + " ms")
                  .c_str()
            : "");
  return 0;
}

}  // namespace mint::cli
