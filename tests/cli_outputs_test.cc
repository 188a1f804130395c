// What mint prints for every example plan, kept in tests/golden/: `mint check --json`,
// `mint plan` and `mint boot --dry-run --json`, with tiny synthetic images in place of the
// Debian kernels and node initramfs (so a Debian kernel update changes nothing here). The
// goldens were recorded with the mint of before the host-I/O split (issue 17): the commands'
// output must not drift when code moves. Where a plan's dry run reads the live machine (devices
// of its own), only check and plan are compared.
//
// MINT_GOLDEN_UPDATE=1 rewrites the goldens from the mint under test; MINT_BIN runs another
// mint binary (how the goldens were first recorded).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "test_images.h"

namespace mint {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = MINT_SOURCE_DIR;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteBytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// The images every example names, made once per run: a 64-bit and a 32-bit synthetic bzImage
// and three initrds of fixed sizes.
class Images {
 public:
  Images() {
    dir_ = fs::temp_directory_path() / ("mint-golden-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    auto kernel = testing::SyntheticBzImage(3 << 20);
    WriteBytes(dir_ / "vmlinuz", kernel);
    auto i386 = kernel;
    i386[0x236] = 0;  // xloadflags: no 64-bit entry, not above 4 GiB: an i386 kernel
    WriteBytes(dir_ / "vmlinuz-686", i386);
    // Each initrd carries a node module built for the synthetic kernels' release.
    WriteBytes(dir_ / "node-initrd", testing::FakeNodeInitrd(2 << 20, kRelease));
    WriteBytes(dir_ / "node-initrd-i386", testing::FakeNodeInitrd(1 << 20, kRelease, false));
    WriteBytes(dir_ / "node-initrd-devices", testing::FakeNodeInitrd(3 << 20, kRelease));
    WriteBytes(dir_ / "node-initrd-diskless", testing::FakeNodeInitrd(5 << 20, kRelease));
    WriteBytes(dir_ / "root.img", std::vector<uint8_t>(1 << 20, 0));  // a diskless node's root
    // The kernel cache a plan's kernel = "debian:..." reads (`mint kernel fetch` fills it).
    for (const char* name : {"linux-image-686", "linux-image-6.12-cloud-amd64"}) {
      bool i386_kernel = std::string(name).ends_with("686");
      fs::create_directories(dir_ / "kernels" / name);
      WriteBytes(dir_ / "kernels" / name / "vmlinuz", i386_kernel ? i386 : kernel);
      WriteBytes(dir_ / "kernels" / name / "mint_node.ko",
                 testing::FakeNodeModule(kRelease, !i386_kernel));
    }
  }
  static constexpr const char* kRelease = "6.1.0-test";  // testing::SyntheticBzImage's
  ~Images() { fs::remove_all(dir_); }
  const fs::path& dir() const { return dir_; }
  std::string Env() const {
    std::string d = dir_.string();
    return "MINT_KERNEL=" + d + "/vmlinuz MINT_I386_KERNEL=" + d +
           "/vmlinuz-686 MINT_NODE_INITRD=" + d + "/node-initrd MINT_I386_NODE_INITRD=" + d +
           "/node-initrd-i386 MINT_NODE_DEVICES_INITRD=" + d +
           "/node-initrd-devices MINT_NODE_DISKLESS_INITRD=" + d +
           "/node-initrd-diskless MINT_NODE_ROOT_BUSYBOX=" + d + "/root.img MINT_KERNEL_CACHE=" + d;
  }

 private:
  fs::path dir_;
};

std::string MintBinary() {
  const char* bin = std::getenv("MINT_BIN");
  return bin != nullptr && *bin ? bin : MINT_BINARY;
}

// Runs `mint ARGS` with the images' environment; stdout and stderr together, then the status.
std::string RunMint(const Images& images, const std::string& args) {
  std::string command = "cd " + kSource.string() + " && env " + images.Env() + " " + MintBinary() +
                        " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  int status = ::pclose(pipe);
  out += "[exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "]\n";
  // What differs from machine to machine or run to run: where the images are, the host's TSC
  // rate a dry run guesses from /proc/cpuinfo.
  out = std::regex_replace(out, std::regex(images.dir().string()), "$IMAGES");
  out = std::regex_replace(out, std::regex("tsc_early_khz=[0-9]+"), "tsc_early_khz=N");
  return out;
}

bool ReadsLiveDevices(const std::string& plan) {
  std::string text = ReadText(plan);
  return text.find("pci ") != std::string::npos || text.find("pci=") != std::string::npos ||
         text.find("virtio_mmio") != std::string::npos || text.find("io_apic") != std::string::npos;
}

TEST(CliOutputs, EveryExamplePrintsWhatItDidBeforeTheSplit) {
  Images images;
  bool update = std::getenv("MINT_GOLDEN_UPDATE") != nullptr;
  fs::path golden_dir = kSource / "tests/golden";
  if (update) fs::create_directories(golden_dir);
  std::vector<fs::path> plans;
  for (const auto& entry : fs::directory_iterator(kSource / "examples"))
    if (entry.path().extension() == ".toml") plans.push_back(entry.path());
  std::sort(plans.begin(), plans.end());
  ASSERT_FALSE(plans.empty());
  int compared = 0;
  for (const fs::path& plan : plans) {
    std::string rel = "examples/" + plan.filename().string();
    std::vector<std::pair<std::string, std::string>> runs = {{"check", "check --json " + rel},
                                                             {"plan", "plan " + rel}};
    if (!ReadsLiveDevices(plan)) runs.push_back({"dry-run", "boot " + rel + " --dry-run --json"});
    for (const auto& [what, args] : runs) {
      fs::path golden = golden_dir / (plan.stem().string() + "." + what + ".txt");
      std::string out = RunMint(images, args);
      if (update) {
        std::ofstream(golden, std::ios::binary | std::ios::trunc) << out;
        continue;
      }
      ASSERT_TRUE(fs::exists(golden)) << golden << " is missing (MINT_GOLDEN_UPDATE=1 makes it)";
      EXPECT_EQ(out, ReadText(golden)) << "mint " << args << " differs from " << golden;
      ++compared;
    }
  }
  if (!update) {
    EXPECT_GE(compared, 30);
  }
}

// A node whose initramfs carries a module for another kernel is refused by mint check and by a
// boot (here its dry run), naming both kernels; a module the plan names, or node_module =
// "none", lets it through (docs/kernels.md).
TEST(CliOutputs, ANodeModuleForAnotherKernelIsRefused) {
  Images images;
  WriteBytes(images.dir() / "foreign-initrd", testing::FakeNodeInitrd(1 << 20, "6.12.9-other"));
  WriteBytes(images.dir() / "own.ko", testing::FakeNodeModule(Images::kRelease));
  auto plan_with = [&](const std::string& extra) {
    fs::path plan = images.dir() / "plan.toml";
    std::ofstream(plan, std::ios::trunc)
        << "[host]\nreserved = [\"0x40000000-0x4fffffff\"]\nlow_window = \"0x10000-0x8ffff\"\n"
           "cpus = [0]\n\n[[node]]\nname = \"beta\"\nkernel = \"${MINT_KERNEL}\"\n"
           "initrd = \"" +
               (images.dir() / "foreign-initrd").string() +
               "\"\ncpus = [1]\n"
               "memory = [\"0x40000000-0x4fffffff\"]\n" +
               extra;
    return plan.string();
  };
  std::string refused = RunMint(images, "check " + plan_with(""));
  EXPECT_NE(refused.find("node beta: the mint_node.ko it would load ($IMAGES/foreign-initrd "
                         "/lib/mint/mint_node.ko) is built for 6.12.9-other, not for its kernel "
                         "6.1.0-test"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.find("[exit 1]"), std::string::npos) << refused;
  std::string boot = RunMint(images, "boot " + plan_with("") + " --dry-run");
  EXPECT_NE(boot.find("is built for 6.12.9-other"), std::string::npos) << boot;
  EXPECT_EQ(boot.find("[exit 0]"), std::string::npos) << boot;

  std::string own = RunMint(
      images,
      "check " + plan_with("node_module = \"" + (images.dir() / "own.ko").string() + "\"\n"));
  EXPECT_NE(own.find("[exit 0]"), std::string::npos) << own;
  // A module for the kernel's release in the kernel cache (`mint kernel fetch`) is taken
  // without the plan naming it.
  fs::create_directories(images.dir() / "kernels" / Images::kRelease);
  fs::copy_file(images.dir() / "own.ko",
                images.dir() / "kernels" / Images::kRelease / "mint_node.ko");
  std::string cached = RunMint(images, "boot " + plan_with("") + " --dry-run");
  EXPECT_NE(cached.find("[exit 0]"), std::string::npos) << cached;
  fs::remove_all(images.dir() / "kernels" / Images::kRelease);

  std::string none = RunMint(images, "check " + plan_with("node_module = \"none\"\n"));
  EXPECT_NE(none.find("[exit 0]"), std::string::npos) << none;
  std::string dry = RunMint(
      images, "boot " +
                  plan_with("node_module = \"" + (images.dir() / "own.ko").string() + "\"\n") +
                  " --dry-run");
  EXPECT_NE(dry.find("[exit 0]"), std::string::npos) << dry;
}

}  // namespace
}  // namespace mint
