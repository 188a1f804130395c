// The link status mint ps shows, read from a fake sysfs root (a directory shaped like /sys).
#include "live_inventory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mint {
namespace {

namespace fs = std::filesystem;

class FakeSysfs : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mint-sysfs-" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  // Writes class/net/IFNAME/RELATIVE with `text`.
  void Write(const std::string& ifname, const std::string& relative, const std::string& text) {
    fs::path path = root_ / "class/net" / ifname / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  void Device(const std::string& ifname, const std::string& carrier, const std::string& operstate) {
    Write(ifname, "carrier", carrier);
    Write(ifname, "operstate", operstate);
    Write(ifname, "statistics/rx_bytes", "123456\n");
    Write(ifname, "statistics/tx_bytes", "654321\n");
    Write(ifname, "statistics/rx_packets", "100\n");
    Write(ifname, "statistics/tx_packets", "200\n");
  }
  fs::path root_;
};

TEST_F(FakeSysfs, UpWithCounters) {
  Device("mint-alpha", "1\n", "up\n");
  auto status = ReadLinkStatus(root_.string(), "mint-alpha");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state, "up");
  EXPECT_EQ(status->rx_bytes, 123456u);
  EXPECT_EQ(status->tx_bytes, 654321u);
  EXPECT_EQ(status->rx_packets, 100u);
  EXPECT_EQ(status->tx_packets, 200u);
}

TEST_F(FakeSysfs, UnknownOperstateWithCarrierIsUp) {
  Device("mint-alpha", "1\n", "unknown\n");
  EXPECT_EQ(ReadLinkStatus(root_.string(), "mint-alpha")->state, "up");
}

TEST_F(FakeSysfs, NoCarrierOrDownIsDown) {
  Device("mint-alpha", "0\n", "up\n");
  EXPECT_EQ(ReadLinkStatus(root_.string(), "mint-alpha")->state, "down");
  Device("mint-beta", "1\n", "lowerlayerdown\n");
  EXPECT_EQ(ReadLinkStatus(root_.string(), "mint-beta")->state, "down");
  // A device that is down has no readable carrier (EINVAL): no file here.
  Write("mint-gamma", "operstate", "down\n");
  auto gamma = ReadLinkStatus(root_.string(), "mint-gamma");
  ASSERT_TRUE(gamma);
  EXPECT_EQ(gamma->state, "down");
  EXPECT_EQ(gamma->rx_bytes, 0u);
}

TEST_F(FakeSysfs, GarbledCountersAreZero) {
  Device("mint-alpha", "1\n", "up\n");
  Write("mint-alpha", "statistics/rx_bytes", "12x\n");
  Write("mint-alpha", "statistics/tx_bytes", "\n");
  auto status = ReadLinkStatus(root_.string(), "mint-alpha");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->rx_bytes, 0u);
  EXPECT_EQ(status->tx_bytes, 0u);
}

TEST_F(FakeSysfs, NoDeviceIsNone) {
  Device("mint-alpha", "1\n", "up\n");
  EXPECT_FALSE(ReadLinkStatus(root_.string(), "mint-beta"));
  EXPECT_FALSE(ReadLinkStatus(root_.string(), "../net/mint-alpha"));
  EXPECT_FALSE(ReadLinkStatus(root_.string(), ""));
}

}  // namespace
}  // namespace mint
