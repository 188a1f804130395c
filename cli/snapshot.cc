// mint snapshot NODE: a suspended node's memory as an image (docs/suspend.md) that
// mint boot PLAN --image resumes.
#include <cstdio>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app.h"
#include "devices.h"
#include "format.h"
#include "memory_images.h"
#include "node_access.h"
#include "plan_site.h"

namespace mint::cli {
namespace {

struct SnapshotArgs {
  std::string node;
  std::string out_path;
  std::string name;  // default: the node's
  std::string plan_path;
  bool no_store = false;
  bool json = false;
  std::string store_codec = "raw";
  std::string file_codec = "lz4";
  std::string device = "/dev/mint";
};

PageCodec CodecNamed(const std::string& text) {
  return text == "lz4" ? PageCodec::kLz4 : PageCodec::kRaw;  // checked by IsMember
}

Result<int> RunSnapshot(const SnapshotArgs& args) {
  const std::string& node_name = args.node;
  std::string name = args.name.empty() ? node_name : args.name;
  if (args.no_store && args.out_path.empty())
    return Fail("--no-store needs --out FILE: the image must go somewhere");
  PageCodec store_codec = CodecNamed(args.store_codec);
  PageCodec file_codec = CodecNamed(args.file_codec);

  auto host = MINT_TRY(HostDevice::Open(args.device));
  auto node = MINT_TRY(FindNodeByName(*host, node_name));
  if (node.state != MINT_STATE_SUSPENDED)
    return Fail("node ", node_name, " is not suspended; 'mint suspend ", node_name,
                "' first (an image of a running node would be torn)");
  // The plan says which devices the node owns (recorded in the image) and where its store is.
  std::string plan_path = args.plan_path;
  if (plan_path.empty()) plan_path = RememberedPlan(node_name).value_or("");
  std::optional<Plan> plan;
  if (!plan_path.empty()) plan = MINT_TRY(LoadHostPlan(plan_path));
  const NodePlan* node_plan = plan ? plan->FindNode(node_name) : nullptr;
  if (node_plan == nullptr && NodeOwnsDevices(node_name))
    return Fail("node ", node_name, " owns devices",
                plan ? ", and " + plan_path + " has no node of that name" : "",
                ": give --plan PLAN (the plan it was booted from) so the image records them");
  std::vector<std::string> devices;
  if (node_plan != nullptr) devices = NodeDeviceNames(*node_plan);
  std::unique_ptr<StoreSession> store;
  if (!args.no_store) {
    if (!plan)
      return Fail("no plan is remembered for node ", node_name,
                  ": give --plan PLAN (for its store) or --no-store --out FILE");
    if (!plan->host.store)
      return Fail(plan_path,
                  " has no [host] store to keep the image in; give --out FILE --no-store, or "
                  "add a store to the plan");
    store = MINT_TRY(OpenPlanStore(plan->host, args.device));
  }
  auto taken =
      TakeSnapshot(*host, node, devices, store.get(), name, store_codec, args.out_path, file_codec);
  if (!taken) return Fail("node ", node_name, ": ", taken.error().message);
  if (args.json) {
    std::cout << nlohmann::json{{"node", node_name},
                                {"name", name},
                                {"pages", taken->pages},
                                {"nonzero_pages", taken->nonzero_pages},
                                {"nonzero_bytes", taken->nonzero_pages * kPage},
                                {"file_bytes", taken->file_bytes},
                                {"store_bytes", taken->store_bytes},
                                {"read_ms", taken->read_ms},
                                {"compress_ms", taken->compress_ms},
                                {"file", args.out_path},
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
                args.store_codec.c_str());
  if (!args.out_path.empty())
    std::printf(
        "  written to %s: %s (%s%s)\n", args.out_path.c_str(), MiB(taken->file_bytes).c_str(),
        args.file_codec.c_str(),
        file_codec == PageCodec::kLz4
            ? (", compressed in " + std::to_string(static_cast<int>(taken->compress_ms)) + " ms")
                  .c_str()
            : "");
  return 0;
}

}  // namespace

void AddSnapshot(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<SnapshotArgs>();
  CLI::App* cmd = app.add_subcommand("snapshot", "save a suspended node's memory as an image");
  cmd->footer(
      "Saves a suspended node's memory (mint suspend NODE first) as a memory image: its non-zero\n"
      "pages with the layout they depend on (memory ranges, low slice, APIC IDs, status page, and\n"
      "the devices the node owns). The image goes into the plan's resident store as NAME\n"
      "(default: the node's name), and to FILE with --out. 'mint boot PLAN --image NAME|FILE'\n"
      "resumes it in a node of the same layout, on this host or after a reboot. The node stays\n"
      "suspended. Codecs: raw (a boot copies the pages straight from the store into the node)\n"
      "or lz4 (smaller, decompressed at boot).");
  cmd->add_option("NODE", args->node, "the suspended node")->required();
  cmd->add_option("--out", args->out_path, "also write the image to FILE");
  cmd->add_option("--name", args->name, "its name in the store (default: the node's name)");
  cmd->add_option("--plan", args->plan_path,
                  "the plan the node was booted from (default: the one mint remembers): its "
                  "store, and the devices the node owns");
  cmd->add_flag("--no-store", args->no_store, "only write FILE (--out)");
  cmd->add_flag("--json", args->json, "print what was saved as JSON");
  cmd->add_option("--store-codec", args->store_codec, "how the store keeps the pages")
      ->check(CLI::IsMember({"raw", "lz4"}))
      ->capture_default_str();
  cmd->add_option("--file-codec", args->file_codec, "how FILE keeps the pages")
      ->check(CLI::IsMember({"raw", "lz4"}))
      ->capture_default_str();
  cmd->add_option("--device", args->device, "the host module's device")->capture_default_str();
  cmd->callback([args, &chosen] { chosen = [args] { return RunSnapshot(*args); }; });
}

}  // namespace mint::cli
