// mint rootfs build|ls|reset: diskless nodes' root images and their overlays (docs/diskless.md).
// `build` runs scripts/rootfs (installed as /usr/lib/mint/rootfs) with this installation's
// agent and node init; `ls` and `reset` read and drop the per-node overlays the root servers
// write (hostio/root_server.h).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app.h"
#include "child.h"
#include "root_server.h"

namespace mint::cli {
namespace {

namespace fs = std::filesystem;

struct RootfsArgs {
  std::string node;
  std::string init = "busybox";
  std::string out;
  std::string size;
  std::string ssh_key;
  bool force = false;
  bool json = false;
};

// What `build` needs: installed (the mint-node package), else this build's tree.
struct RootfsTools {
  std::string script, agent, init_script;
};

Result<RootfsTools> FindRootfsTools() {
  const RootfsTools installed{"/usr/lib/mint/rootfs", "/usr/lib/mint/mint-agent",
                              "/usr/lib/mint/node-init"};
  const RootfsTools tree{std::string(MINT_SOURCE_DIR) + "/scripts/rootfs",
                         std::string(MINT_BINARY_DIR) + "/guest/mint-agent",
                         std::string(MINT_SOURCE_DIR) + "/guest/node/init"};
  std::error_code error;
  for (const RootfsTools& tools : {installed, tree})
    if (fs::exists(tools.script, error) && fs::exists(tools.agent, error) &&
        fs::exists(tools.init_script, error))
      return tools;
  return Fail("cannot find the root image builder (", installed.script, ", ", installed.agent,
              " and ", installed.init_script, "): install the mint-node package");
}

Result<int> RunBuild(const RootfsArgs& args) {
  RootfsTools tools = MINT_TRY(FindRootfsTools());
  std::vector<std::string> argv = {tools.script, "build",  "--init",  args.init,
                                   "--out",      args.out, "--agent", tools.agent};
  if (args.init == "busybox") {
    argv.insert(argv.end(), {"--init-script", tools.init_script});
  }
  if (!args.size.empty()) argv.insert(argv.end(), {"--size", args.size});
  if (!args.ssh_key.empty()) argv.insert(argv.end(), {"--ssh-key", args.ssh_key});
  if (args.force) argv.push_back("--force");
  // The script's progress and result go to the terminal as they come; its status is ours.
  std::fflush(stdout);
  ExecChild(argv, -1, -1);
}

nlohmann::json OverlayJson(const RootOverlay& overlay) {
  nlohmann::json out = {{"node", overlay.node},
                        {"overlay", overlay.path},
                        {"image", overlay.image},
                        {"used_bytes", overlay.used_bytes},
                        {"served", overlay.server.has_value()}};
  if (overlay.server) out["server_pid"] = *overlay.server;
  return out;
}

Result<int> RunList(const RootfsArgs& args) {
  std::vector<RootOverlay> overlays = MINT_TRY(ListRootOverlays(DefaultRootServerPaths()));
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const RootOverlay& overlay : overlays) out.push_back(OverlayJson(overlay));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (overlays.empty()) {
    std::printf("no diskless node has an overlay in %s\n",
                DefaultRootServerPaths().state_dir.c_str());
    return 0;
  }
  std::printf("%-16s %-10s %-22s %s\n", "NODE", "WRITTEN", "SERVER", "ROOT IMAGE");
  for (const RootOverlay& overlay : overlays) {
    std::string server =
        overlay.server ? "qemu-nbd, pid " + std::to_string(*overlay.server) : "not running";
    std::printf("%-16s %-10s %-22s %s\n", overlay.node.c_str(),
                (std::to_string(overlay.used_bytes >> 10) + " KiB").c_str(), server.c_str(),
                overlay.image.c_str());
  }
  return 0;
}

Result<int> RunReset(const RootfsArgs& args) {
  bool had = MINT_TRY(ResetRootOverlay(args.node, DefaultRootServerPaths()));
  if (args.json) {
    std::cout << nlohmann::json{{"node", args.node}, {"dropped", had}}.dump() << "\n";
    return 0;
  }
  if (had)
    std::printf(
        "mint: node %s's overlay dropped: its next boot starts from the root image as "
        "it is\n",
        args.node.c_str());
  else
    std::printf("mint: node %s has no overlay (it wrote nothing, or it was reset already)\n",
                args.node.c_str());
  return 0;
}

}  // namespace

void AddRootfs(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<RootfsArgs>();
  CLI::App* cmd = app.add_subcommand("rootfs", "root images of diskless nodes and their overlays");
  cmd->footer(
      "A node whose plan names a root image (root = \"FILE\") boots diskless: the host serves\n"
      "the image to it over its link (qemu-nbd), through an overlay of the node's own that\n"
      "keeps its writes across 'mint restart' and 'mint stop'; the image is only read.\n"
      "'reset' drops a stopped node's overlay. docs/diskless.md.");
  cmd->callback([cmd] {
    if (cmd->get_subcommands().empty())
      throw CLI::RequiredError("a subcommand (build, ls or reset)");
  });
  CLI::App* build = cmd->add_subcommand("build", "make a root image for diskless nodes");
  build->add_option("OUT", args->out, "the image file to write (raw ext4)")->required();
  build
      ->add_option("--init", args->init,
                   "busybox (small, built in seconds, no ssh) or systemd (Debian bookworm "
                   "with dropbear; downloads with mmdebstrap, needs root)")
      ->check(CLI::IsMember({"busybox", "systemd"}))
      ->capture_default_str();
  build->add_option("--size", args->size,
                    "the file system's size (default 48M busybox, 1G systemd)");
  build->add_option("--ssh-key", args->ssh_key,
                    "systemd: a public key file, root's authorized_keys in the image");
  build->add_flag("--force", args->force, "rebuild even when OUT was built from the same inputs");
  build->callback([args, &chosen] { chosen = [args] { return RunBuild(*args); }; });
  CLI::App* ls = cmd->add_subcommand("ls", "list diskless nodes' overlays and their servers");
  ls->add_flag("--json", args->json, "print the list as JSON");
  ls->callback([args, &chosen] { chosen = [args] { return RunList(*args); }; });
  CLI::App* reset = cmd->add_subcommand("reset", "drop a stopped diskless node's writes");
  reset->add_option("NODE", args->node, "the node")->required();
  reset->add_flag("--json", args->json, "print the result as JSON");
  reset->callback([args, &chosen] { chosen = [args] { return RunReset(*args); }; });
}

}  // namespace mint::cli
