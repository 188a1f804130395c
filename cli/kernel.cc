// mint kernel fetch|ls: Debian kernels for nodes, each with the mint_node.ko built for it, in
// the kernel cache (docs/kernels.md). The download and the module build are scripts/node-kernel
// (apt-get download, dpkg-deb -x, Kbuild against the kernel's own headers); this command runs
// it and then checks, from the files themselves, that the module's vermagic names the kernel's
// own release. A plan uses such a kernel as kernel = "debian:RELEASE".
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app.h"
#include "bzimage.h"
#include "child.h"
#include "commands.h"
#include "files.h"
#include "node_module.h"

#ifndef MINT_SOURCE_DIR
#define MINT_SOURCE_DIR ""
#endif

namespace mint::cli {
namespace {

namespace fs = std::filesystem;

struct KernelArgs {
  std::string spec;
  std::string cache;
  bool json = false;
};

// Where scripts/node-kernel and the node module's sources are: installed (the mint-node
// package), else this build's source tree.
struct Tools {
  std::string script;
  std::string sources;
};

Result<Tools> FindTools() {
  const Tools installed{"/usr/lib/mint/node-kernel", "/usr/share/mint/src"};
  const Tools tree{std::string(MINT_SOURCE_DIR) + "/scripts/node-kernel", MINT_SOURCE_DIR};
  std::error_code error;
  for (const Tools& tools : {installed, tree})
    if (!tools.sources.empty() && fs::exists(tools.script, error) &&
        fs::exists(tools.sources + "/kmod/node/Kbuild", error))
      return tools;
  return Fail("cannot find node-kernel and the node module's sources (", installed.script, " and ",
              installed.sources, "/kmod/node: install the mint-node package)");
}

// Runs argv, its stderr (the script's progress) passing through; stdout captured when `out`.
Result<void> Run(const std::vector<std::string>& argv, std::string* out = nullptr) {
  int pipefd[2] = {-1, -1};
  if (out != nullptr && pipe2(pipefd, O_CLOEXEC) != 0) return Fail("pipe: ", std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) return Fail("fork: ", std::strerror(errno));
  // Without `out`, the script's standard output joins its progress on standard error.
  if (pid == 0) ExecChild(argv, out != nullptr ? pipefd[1] : STDERR_FILENO, -1);
  if (out != nullptr) {
    close(pipefd[1]);
    char buffer[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buffer, sizeof buffer)) > 0) out->append(buffer, n);
    close(pipefd[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Fail(fs::path(argv[0]).filename().string(), " ", argv.size() > 1 ? argv[1] : "",
                " failed (status ", std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1),
                ")");
  return {};
}

// What the cache holds for one kernel, read from the files.
struct CachedKernel {
  std::string name;     // the directory: a release, or a package name pointing at one
  std::string release;  // the image's own
  std::string vermagic;
  uint64_t image_bytes = 0;
  uint64_t module_bytes = 0;
  std::string problem;  // empty: the node module matches the image
};

CachedKernel Inspect(const fs::path& dir) {
  CachedKernel kernel;
  kernel.name = dir.filename().string();
  auto image = ReadFile((dir / "vmlinuz").string(), "kernel image");
  if (!image) {
    kernel.problem = image.error().message;
    return kernel;
  }
  kernel.image_bytes = image->size();
  auto parsed = ParseBzImage(*image);
  if (!parsed) {
    kernel.problem = (dir / "vmlinuz").string() + ": " + parsed.error().message;
    return kernel;
  }
  kernel.release = KernelRelease(parsed->version);
  auto ko = ReadFile((dir / "mint_node.ko").string(), "node module");
  if (!ko) {
    kernel.problem = "no mint_node.ko built for it";
    return kernel;
  }
  kernel.module_bytes = ko->size();
  auto vermagic = ModuleVermagic(*ko);
  if (!vermagic) {
    kernel.problem = "mint_node.ko: " + vermagic.error().message;
    return kernel;
  }
  kernel.vermagic = *vermagic;
  if (KernelRelease(*vermagic) != kernel.release)
    kernel.problem =
        "mint_node.ko is built for " + KernelRelease(*vermagic) + ", not " + kernel.release;
  return kernel;
}

nlohmann::json ToJson(const CachedKernel& kernel, const std::string& cache) {
  return {{"name", kernel.name},
          {"plan_kernel", std::string(kDebianKernelPrefix) + kernel.name},
          {"release", kernel.release},
          {"vermagic", kernel.vermagic},
          {"image_bytes", kernel.image_bytes},
          {"module_bytes", kernel.module_bytes},
          {"path", cache + "/kernels/" + kernel.name},
          {"ok", kernel.problem.empty()},
          {"problem", kernel.problem}};
}

Result<int> RunFetch(const KernelArgs& args) {
  const std::string cache = args.cache.empty() ? KernelCacheDir() : args.cache;
  Tools tools = MINT_TRY(FindTools());
  std::string release;
  MINT_TRY_VOID(Run({tools.script, "release", args.spec}, &release));
  while (!release.empty() && (release.back() == '\n' || release.back() == ' ')) release.pop_back();
  if (release.empty() || release.find('/') != std::string::npos)
    return Fail("cannot tell which kernel '", args.spec, "' is");
  MINT_TRY_VOID(Run({tools.script, "fetch", release, "--cache", cache}));
  fs::path dir = fs::path(cache) / "kernels" / release;
  std::error_code error;
  fs::remove(dir / "mint_node.ko", error);  // never left from an earlier build if this one fails
  MINT_TRY_VOID(Run({tools.script, "build", release, "--cache", cache, "--src", tools.sources}));
  CachedKernel kernel = Inspect(dir);
  if (kernel.release != release && kernel.problem.empty())
    kernel.problem = "the image in " + dir.string() + " is " + kernel.release + ", not " + release;
  if (!kernel.problem.empty()) {
    fs::remove(dir / "mint_node.ko", error);
    return Fail("kernel ", release, ": ", kernel.problem);
  }
  // A package name (linux-image-6.12-cloud-amd64) also names the release it resolved to.
  if (args.spec != release && args.spec.find('/') == std::string::npos) {
    fs::path alias = fs::path(cache) / "kernels" / args.spec;
    if (fs::is_symlink(alias, error) || !fs::exists(alias, error)) {
      fs::remove(alias, error);
      fs::create_directory_symlink(release, alias, error);
    }
  }
  if (args.json) {
    std::cout << ToJson(kernel, cache).dump(2) << "\n";
  } else {
    std::cout << "kernel " << release << " ready in " << dir.string() << ": image "
              << Bytes(kernel.image_bytes) << ", mint_node.ko " << Bytes(kernel.module_bytes)
              << " (vermagic \"" << kernel.vermagic << "\")\n"
              << "In a plan: kernel = \"" << kDebianKernelPrefix << args.spec << "\"\n";
  }
  return 0;
}

Result<int> RunList(const KernelArgs& args) {
  const std::string cache = args.cache.empty() ? KernelCacheDir() : args.cache;
  std::vector<CachedKernel> kernels;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(cache + "/kernels", error))
    if (fs::exists(entry.path() / "vmlinuz", error)) kernels.push_back(Inspect(entry.path()));
  std::sort(kernels.begin(), kernels.end(),
            [](const CachedKernel& a, const CachedKernel& b) { return a.name < b.name; });
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const CachedKernel& kernel : kernels) list.push_back(ToJson(kernel, cache));
    std::cout << nlohmann::json{{"cache", cache}, {"kernels", list}}.dump(2) << "\n";
    return 0;
  }
  if (kernels.empty()) {
    std::cout << "no kernels in " << cache << "/kernels (mint kernel fetch SPEC adds one)\n";
    return 0;
  }
  std::cout << "kernels in " << cache
            << "/kernels (a plan names one as kernel = \"debian:NAME\")\n";
  for (const CachedKernel& kernel : kernels) {
    std::cout << "  " << kernel.name;
    if (kernel.name != kernel.release && !kernel.release.empty())
      std::cout << " -> " << kernel.release;
    std::cout << ": "
              << (kernel.problem.empty() ? "mint_node.ko matches" : "NOT USABLE: " + kernel.problem)
              << "\n";
  }
  return 0;
}

}  // namespace

void AddKernel(CLI::App& app, Command& chosen) {
  auto args = std::make_shared<KernelArgs>();
  CLI::App* cmd = app.add_subcommand("kernel", "Debian kernels for nodes, with their node module");
  cmd->require_subcommand(1);
  cmd->footer(
      "A node needs mint_node.ko built for its own kernel (without it, its reboot or panic\n"
      "resets the whole machine). 'mint kernel fetch' downloads a Debian kernel's image and\n"
      "headers as packages into the kernel cache (never installing them), builds mint_node.ko\n"
      "against the headers, checks every symbol against the kernel's Module.symvers and the\n"
      "module's vermagic against the image. A plan then names it as kernel = \"debian:SPEC\".\n"
      "The cache is $MINT_KERNEL_CACHE, else /var/cache/mint (--cache overrides).");
  CLI::App* fetch =
      cmd->add_subcommand("fetch", "download a Debian kernel and build its node module");
  fetch
      ->add_option("SPEC", args->spec,
                   "a kernel release (6.12.118+deb12-cloud-amd64, 6.1.0-57-686) or a Debian "
                   "image package (linux-image-6.12-cloud-amd64)")
      ->required();
  CLI::App* list = cmd->add_subcommand("ls", "list the kernels in the cache and their modules");
  for (CLI::App* sub : {fetch, list}) {
    sub->add_option("--cache", args->cache,
                    "the kernel cache (default: $MINT_KERNEL_CACHE, else /var/cache/mint)");
    sub->add_flag("--json", args->json, "print the result as JSON");
  }
  fetch->callback([args, &chosen] { chosen = [args] { return RunFetch(*args); }; });
  list->callback([args, &chosen] { chosen = [args] { return RunList(*args); }; });
}

}  // namespace mint::cli
