// The root server for real: qemu-nbd on the loopback serving a small image through a node's
// overlay, read and written with qemu-io as an NBD client (qemu-utils, which scripts/setup
// installs), in folders of the test's own.
#include "root_server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "child.h"
#include "store.h"

namespace mint {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kLoopback = 0x7f000001;

class RootServer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mint-root-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    paths_ = {(dir_ / "state").string(), (dir_ / "run").string()};
    image_ = (dir_ / "root.img").string();
    std::vector<char> bytes(1 << 20, 'A');  // 1 MiB of 'A'
    std::ofstream(image_, std::ios::binary).write(bytes.data(), bytes.size());
    // A port of this run's own: tests of two builds may run at once.
    root_ = {image_, kLoopback, static_cast<uint16_t>(20000 + ::getpid() % 20000), "alpha", ""};
  }
  void TearDown() override {
    (void)StopRootServer("alpha", paths_);
    fs::remove_all(dir_);
  }
  // qemu-io on the export: `command` (e.g. "read -P 0x41 0 4k"); its exit status and output.
  CommandResult Io(const std::string& command) {
    std::string uri = "nbd://127.0.0.1:" + std::to_string(root_.port) + "/alpha";
    auto ran = RunProgram({"/usr/bin/qemu-io", "-f", "raw", "-c", command, uri});
    EXPECT_TRUE(ran.ok());
    return ran.ok() ? *ran : CommandResult{-1, ran.error().message};
  }
  // Alive and not a zombie (the daemon's parent here is whoever reaps orphans, maybe slowly).
  static bool Running(int pid) {
    std::string stat = ImageBytes("/proc/" + std::to_string(pid) + "/stat");
    size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
  }
  static std::string ImageBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
  RootServerPaths paths_;
  std::string image_;
  NodeRoot root_;
};

TEST_F(RootServer, ServesTheImageAndKeepsWritesInTheOverlay) {
  if (::access("/usr/bin/qemu-io", X_OK) != 0) GTEST_SKIP() << "no qemu-io (qemu-utils)";
  const std::string before = ImageBytes(image_);
  auto started = StartRootServer(root_, paths_);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_TRUE(started->overlay_created);
  EXPECT_EQ(started->image_bytes, 1u << 20);
  EXPECT_EQ(RootServerPid("alpha", paths_), started->pid);

  CommandResult read = Io("read -P 0x41 0 1M");  // the image's bytes come through
  EXPECT_EQ(read.status, 0) << read.output;
  CommandResult wrote = Io("write -P 0x55 4096 4096");
  ASSERT_EQ(wrote.status, 0) << wrote.output;
  EXPECT_EQ(ImageBytes(image_), before) << "the shared image was written";

  // A restart of the server (a node's restart or stop and boot): the write is still there.
  ASSERT_TRUE(StopRootServer("alpha", paths_).ok());
  EXPECT_FALSE(RootServerPid("alpha", paths_));
  EXPECT_FALSE(Running(started->pid)) << "qemu-nbd still runs after the stop";
  auto again = StartRootServer(root_, paths_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->overlay_created);
  CommandResult kept = Io("read -P 0x55 4096 4096");
  EXPECT_EQ(kept.status, 0) << kept.output;

  auto listed = ListRootOverlays(paths_);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].node, "alpha");
  EXPECT_EQ((*listed)[0].image, fs::absolute(image_).string());
  EXPECT_EQ((*listed)[0].server, again->pid);

  // Reset is refused while the node's root is served, and drops the writes once it is not.
  auto busy = ResetRootOverlay("alpha", paths_);
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.error().message.find("stop the node first"), std::string::npos);
  ASSERT_TRUE(StopRootServer("alpha", paths_).ok());
  auto reset = ResetRootOverlay("alpha", paths_);
  ASSERT_TRUE(reset.ok()) << reset.error().message;
  EXPECT_TRUE(*reset);
  ASSERT_TRUE(StartRootServer(root_, paths_).ok());
  CommandResult fresh = Io("read -P 0x41 4096 4096");
  EXPECT_EQ(fresh.status, 0) << fresh.output;
}

TEST_F(RootServer, RefusesAnOverlayMadeOverAnotherImage) {
  if (::access("/usr/bin/qemu-io", X_OK) != 0) GTEST_SKIP() << "no qemu-io (qemu-utils)";
  ASSERT_TRUE(StartRootServer(root_, paths_).ok());
  ASSERT_TRUE(StopRootServer("alpha", paths_).ok());
  // The image changes under the overlay: its writes would land on the wrong blocks.
  std::ofstream(image_, std::ios::binary | std::ios::app) << "more";
  auto refused = CheckRootServable(root_, paths_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("before that image changed"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("mint rootfs reset alpha"), std::string::npos);
  EXPECT_FALSE(StartRootServer(root_, paths_).ok());
  EXPECT_FALSE(RootServerPid("alpha", paths_));
}

// A root from a URL (qemu's curl driver, package qemu-block-extra), served by busybox's httpd
// on the loopback: read through the export on demand, and what was read kept in the overlay.
TEST_F(RootServer, ServesAUrlOnDemand) {
  if (::access("/usr/bin/qemu-io", X_OK) != 0) GTEST_SKIP() << "no qemu-io (qemu-utils)";
  const uint16_t http_port = static_cast<uint16_t>(root_.port + 1);
  pid_t httpd = ::fork();
  ASSERT_GE(httpd, 0);
  if (httpd == 0)
    ExecChild({"/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:" + std::to_string(http_port), "-h",
               dir_.string()},
              -1, -1);
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{httpd};
  ::usleep(300 * 1000);  // httpd binds its port
  root_.image = "http://127.0.0.1:" + std::to_string(http_port) + "/root.img";

  NodeRoot missing = root_;
  missing.image = "http://127.0.0.1:" + std::to_string(http_port) + "/nope.img";
  auto refused = CheckRootServable(missing, paths_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find(missing.image), std::string::npos)
      << refused.error().message;

  ASSERT_TRUE(CheckRootServable(root_, paths_).ok());
  auto started = StartRootServer(root_, paths_);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(started->image_bytes, 1u << 20);
  auto before = ListRootOverlays(paths_);
  ASSERT_TRUE(before.ok() && before->size() == 1);
  CommandResult read = Io("read -P 0x41 0 512k");
  EXPECT_EQ(read.status, 0) << read.output;
  auto after = ListRootOverlays(paths_);
  ASSERT_TRUE(after.ok() && after->size() == 1);
  // Copy-on-read: the half that was read is in the overlay now (64 KiB clusters).
  EXPECT_GE((*after)[0].used_bytes, (*before)[0].used_bytes + (512u << 10))
      << (*before)[0].used_bytes << " -> " << (*after)[0].used_bytes;
  EXPECT_EQ((*after)[0].image, root_.image);
}

TEST_F(RootServer, ChecksTheImagesSum) {
  const std::string bytes = ImageBytes(image_);
  const std::string right =
      HexDigest(Sha256Of({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}));
  root_.sha256 = right;
  ASSERT_TRUE(CheckRootServable(root_, paths_).ok());
  // Truncated by one byte: refused, naming both sums.
  fs::resize_file(image_, bytes.size() - 1);
  auto refused = CheckRootServable(root_, paths_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("not the plan's root_sha256 " + right), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("(1048575 bytes)"), std::string::npos);
}

TEST_F(RootServer, MissingImageNamesIt) {
  root_.image = (dir_ / "nope.img").string();
  auto refused = CheckRootServable(root_, paths_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("nope.img: No such file"), std::string::npos)
      << refused.error().message;
}

}  // namespace
}  // namespace mint
