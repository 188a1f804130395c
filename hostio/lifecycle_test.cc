#include "lifecycle.h"

#include <gtest/gtest.h>
#include <set>

#include <cstring>

#include "acpi_read.h"
#include "boot_params.h"
#include "decompress.h"
#include "fake_loader.h"
#include "format.h"
#include "test_images.h"

namespace mint {
namespace {

class BootNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kernel_bytes_ = testing::SyntheticBzImage(4096);
    kernel_ = *ParseBzImage(kernel_bytes_);
    initrd_.assign(10000, 0x5a);
    node_.name = "alpha";
    node_.kernel = "k";
    node_.cpus = {1};
    node_.memory = {{0x40000000, 0x50000000}};
    node_.low = PhysRange{0x70000, 0x80000};
    host_.low_window = {0x10000, 0x90000};
  }
  Result<NodeArtifacts> Build(const NodeLink* link = nullptr) {
    NodeInputs inputs{&node_, kernel_bytes_, &kernel_, initrd_, 2000000};
    inputs.link = link;
    return BuildNodeArtifacts(inputs);
  }
  // alpha at 10.77.0.2 with its link at 0x60000000, built.
  Result<NodeArtifacts> BuildLinked() {
    Plan plan;
    plan.network = NetworkPlan{};
    plan.network->subnet = *ParseSubnet("10.77.0.0/24");
    node_.address = 0x0a4d0002;
    node_.link = PhysRange{0x60000000, 0x60000000 + LinkRegionBytes(kDefaultLinkRing)};
    std::optional<NodeLink> link = NodeLinkOf(plan, node_);
    if (!link) return Fail("no link for alpha");
    return Build(&*link);
  }
  std::vector<uint8_t> kernel_bytes_;
  KernelImage kernel_;
  std::vector<uint8_t> initrd_;
  NodePlan node_;
  HostPlan host_;
  testing::FakeLoader loader_;
};

// A node with a link: CREATE, then MINT_IOC_LINK and the bridge, then LOAD and START; its
// command line says where the link is.
TEST_F(BootNodeTest, LinkComesAfterTheClaimAndBeforeTheStart) {
  auto art = BuildLinked();
  ASSERT_TRUE(art.ok()) << art.error().message;
  EXPECT_TRUE(art->cmdline.ends_with(" mint_link=0x60000000,0x203000 mint_net=10.77.0.2/24"))
      << art->cmdline;
  ASSERT_TRUE(EnsureTrampoline(loader_, host_).ok());
  loader_.calls.clear();
  std::vector<std::string> connected;
  auto connect = [&](const NodeLink& l) -> Result<void> {
    connected.push_back(l.ifname + " to " + l.bridge);
    loader_.calls.push_back("bridge");
    return Ok{};
  };
  auto started = StartNode(loader_, node_, *art, connect);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(started->link_ring, kDefaultLinkRing);
  EXPECT_EQ(connected, std::vector<std::string>{"mint-alpha to mint0"});
  ASSERT_GE(loader_.calls.size(), 4u);
  EXPECT_EQ(loader_.calls[0], "create alpha");
  EXPECT_EQ(loader_.calls[1], "link mint-alpha");
  EXPECT_EQ(loader_.calls[2], "bridge");
  EXPECT_EQ(loader_.calls.back(), "start");
  EXPECT_EQ(loader_.links["mint-alpha"], *node_.link);
}

// A node with a direct link to another node: the region is reserved in its e820, its command
// line names it with the node's side and address, and MINT_IOC_DLINK comes after the claim and
// before anything is loaded.
TEST_F(BootNodeTest, DirectLinkIsReservedNamedAndAttachedBeforeTheLoad) {
  NodeDirectLink link;
  link.name = "beta-alpha";
  link.region = {0x60400000, 0x60400000 + LinkRegionBytes(kDefaultLinkRing)};
  link.ring = kDefaultLinkRing;
  link.side = 1;
  link.peer = "beta";
  link.mac = DirectLinkMacs("beta", "alpha");
  link.subnet = *ParseSubnet("10.78.0.0/30");
  link.address = 0x0a4e0002;
  link.peer_address = 0x0a4e0001;
  std::vector<NodeDirectLink> links{link};
  NodeInputs inputs{&node_, kernel_bytes_, &kernel_, initrd_, 2000000};
  inputs.direct_links = &links;
  auto art = BuildNodeArtifacts(inputs);
  ASSERT_TRUE(art.ok()) << art.error().message;
  EXPECT_TRUE(art->cmdline.ends_with(" mint_dlink=0x60400000,0x203000,1,10.78.0.2/30"))
      << art->cmdline;
  bool reserved = false;
  for (const E820Entry& e : art->layout.e820)
    reserved |= e.addr == link.region.start && e.size == link.region.size() &&
                e.type == static_cast<uint32_t>(E820Type::kReserved);
  EXPECT_TRUE(reserved) << "the direct link's region is reserved in the node's e820";
  ASSERT_TRUE(EnsureTrampoline(loader_, host_).ok());
  loader_.calls.clear();
  auto started = StartNode(loader_, node_, *art, nullptr);
  ASSERT_TRUE(started.ok()) << started.error().message;
  ASSERT_GE(loader_.calls.size(), 3u);
  EXPECT_EQ(loader_.calls[0], "create alpha");
  EXPECT_EQ(loader_.calls[1], "dlink beta-alpha side 1");
  EXPECT_EQ(loader_.calls.back(), "start");
  EXPECT_EQ(loader_.direct_links["beta-alpha/1"], link.region);
}

// A bridge that cannot be set up gives the claim back; nothing starts.
TEST_F(BootNodeTest, FailedBridgeGivesTheClaimBack) {
  auto art = BuildLinked();
  ASSERT_TRUE(art.ok()) << art.error().message;
  auto started = StartNode(loader_, node_, *art, [](const NodeLink&) -> Result<void> {
    return Fail("bridge mint0: Operation not permitted");
  });
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("node alpha: network link: bridge mint0"),
            std::string::npos)
      << started.error().message;
  EXPECT_EQ(loader_.calls.back(), "destroy");
  EXPECT_TRUE(loader_.nodes.empty());
}

TEST_F(BootNodeTest, CopiesEverySegmentAndStartsAtTheEntry) {
  ASSERT_TRUE(EnsureTrampoline(loader_, host_).ok());
  EXPECT_EQ(loader_.trampoline_at, 0x10000u);
  EXPECT_EQ(loader_.memory[0x10000].size(), TrampolineCode().size());
  auto art = Build();
  ASSERT_TRUE(art.ok()) << art.error().message;
  auto started = StartNode(loader_, node_, *art);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(loader_.started_entry, 0x40200000u);
  EXPECT_EQ(loader_.started_boot_params, 0x40001000u);
  // The protected-mode code lands at the entry; the initrd where boot_params says.
  const auto& kernel_copy = loader_.memory[0x40200000];
  ASSERT_EQ(kernel_copy.size(), kernel_bytes_.size() - kernel_.setup_bytes);
  EXPECT_EQ(0, std::memcmp(kernel_copy.data(), kernel_bytes_.data() + kernel_.setup_bytes,
                           kernel_copy.size()));
  const auto& params = loader_.memory[0x40001000];
  ASSERT_EQ(params.size(), 4096u);
  uint32_t ramdisk = 0;
  std::memcpy(&ramdisk, params.data() + 0x218, 4);
  EXPECT_EQ(loader_.memory[ramdisk], initrd_);
  // The command line the zero page points at is the one built, NUL-terminated.
  uint32_t cmdline_ptr = 0;
  std::memcpy(&cmdline_ptr, params.data() + 0x228, 4);
  const auto& cmdline = loader_.memory[cmdline_ptr];
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(cmdline.data())), art->cmdline);
  EXPECT_NE(art->cmdline.find("mint_status=0x40000000"), std::string::npos);
  // The ACPI tables the zero page points at verify.
  uint64_t rsdp = 0;
  std::memcpy(&rsdp, params.data() + 0x070, 8);
  auto summary = VerifyAcpiTables(loader_.memory[0x40004000], 0x40004000, rsdp);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->enabled_apic_ids, std::vector<uint32_t>{1});
  EXPECT_EQ(summary->io_apic_count, 0u);

  auto ready = WaitReady(loader_, started->id, std::chrono::seconds(1), nullptr);
  ASSERT_TRUE(ready.ok());
  EXPECT_NEAR(TscMs(started->stamps.tsc_before_init, ready->page.tsc_ready, 2000000), 3000.0, 0.01);
}

TEST_F(BootNodeTest, AFailedCopyGivesEverythingBack) {
  ASSERT_TRUE(EnsureTrampoline(loader_, host_).ok());
  auto art = Build();
  ASSERT_TRUE(art.ok());
  loader_.fail_load_at = 0x40200000;
  auto started = StartNode(loader_, node_, *art);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("kernel"), std::string::npos) << started.error().message;
  EXPECT_TRUE(loader_.nodes.empty());
  EXPECT_EQ(loader_.calls.back(), "destroy");
}

TEST_F(BootNodeTest, ARefusedClaimLoadsNothing) {
  ASSERT_TRUE(EnsureTrampoline(loader_, host_).ok());
  node_.cpus = {0};  // online in the host
  auto art = Build();
  ASSERT_TRUE(art.ok());
  auto started = StartNode(loader_, node_, *art);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("online"), std::string::npos);
  for (const std::string& call : loader_.calls) EXPECT_FALSE(call.starts_with("load")) << call;
}

TEST_F(BootNodeTest, WaitReadyTimesOutSayingWhatItSaw) {
  ASSERT_TRUE(EnsureTrampoline(loader_, host_).ok());
  loader_.ready_after_start = false;
  auto art = Build();
  ASSERT_TRUE(art.ok());
  auto started = StartNode(loader_, node_, *art);
  ASSERT_TRUE(started.ok());
  auto ready = WaitReady(loader_, started->id, std::chrono::milliseconds(100), nullptr);
  ASSERT_FALSE(ready.ok());
  EXPECT_NE(ready.error().message.find("never reached the trampoline"), std::string::npos)
      << ready.error().message;
}

TEST_F(BootNodeTest, ArchMismatchIsRefused) {
  node_.arch = "i386";
  auto art = Build();
  ASSERT_FALSE(art.ok());
  EXPECT_NE(art.error().message.find("x86_64 kernel"), std::string::npos) << art.error().message;
}

TEST(Trampoline, FitsItsPageAndStartsWithCli) {
  auto code = TrampolineCode();
  ASSERT_GT(code.size(), 16u);
  EXPECT_LE(code.size(), MINT_TRAMPOLINE_CODE_SIZE);
  EXPECT_EQ(code[0], 0xfa);  // cli: the first thing a woken core does
}

// The real Debian kernel, end to end through the write step.
TEST(ArtifactsDebian, CloudKernelBuildsAndVerifies) {
  auto path = testing::CachedKernel("MINT_KERNEL");
  if (!path) GTEST_SKIP() << "no kernel cache: run scripts/setup";
  auto bytes = testing::ReadAll(*path);
  auto kernel = ParseBzImage(bytes);
  ASSERT_TRUE(kernel.ok());
  NodePlan node;
  node.name = "alpha";
  node.cpus = {1, 2};
  node.memory = {{0x40000000, 0x50000000}};
  node.low = PhysRange{0x70000, 0x80000};
  std::vector<uint8_t> initrd(3 << 20, 1);
  NodeInputs inputs{&node, bytes, &*kernel, initrd, 2500000};
  auto art = BuildNodeArtifacts(inputs);
  ASSERT_TRUE(art.ok()) << art.error().message;
  EXPECT_EQ(art->entry, 0x40200000u);
  EXPECT_GE(art->layout.initrd, art->entry + kernel->header.init_size);
  auto summary = VerifyAcpiTables(art->acpi.blob, art->acpi.base, art->acpi.rsdp_address);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->enabled_apic_ids, (std::vector<uint32_t>{1, 2}));
  EXPECT_NE(art->cmdline.find("nr_cpus=2"), std::string::npos);
}

// Direct entry with kaslr = true: every base is a 2 MiB slot between the layout's kernel address
// and the initrd, the segments and the entry move with it, and seeds spread over the slots.
TEST(ArtifactsDebian, DirectEntryKaslrPicksAnAlignedSlotBelowTheInitrd) {
  auto path = testing::CachedKernel("MINT_KERNEL");
  if (!path) GTEST_SKIP() << "no kernel cache: run scripts/setup";
  auto bytes = testing::ReadAll(*path);
  auto kernel = ParseBzImage(bytes);
  ASSERT_TRUE(kernel.ok());
  auto elf_bytes = ExtractKernelElf(bytes, *kernel);
  ASSERT_TRUE(elf_bytes.ok()) << elf_bytes.error().message;
  auto elf = ParseKernelElf(*elf_bytes, kernel->header.pref_address, kernel->header.init_size);
  ASSERT_TRUE(elf.ok()) << elf.error().message;
  DirectKernel direct{*elf_bytes, &*elf};
  NodePlan node;
  node.name = "alpha";
  node.cpus = {1};
  node.memory = {{0x40000000, 0x50000000}};
  node.low = PhysRange{0x70000, 0x80000};
  std::vector<uint8_t> initrd(3 << 20, 1);

  NodeInputs inputs{&node, bytes, &*kernel, initrd, 2500000};
  auto fixed = BuildNodeArtifacts(inputs, &direct);
  ASSERT_TRUE(fixed.ok()) << fixed.error().message;
  EXPECT_EQ(fixed->kernel_base, fixed->layout.kernel);
  EXPECT_EQ(fixed->kaslr_slots, 0u);

  node.kaslr = true;
  uint64_t span = elf->phys_end - kernel->header.pref_address;
  std::set<uint64_t> bases;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    inputs.kaslr_seed = seed;
    auto art = BuildNodeArtifacts(inputs, &direct);
    ASSERT_TRUE(art.ok()) << art.error().message;
    uint64_t base = art->kernel_base;
    EXPECT_EQ(base % 0x200000, 0u) << Hex(base);
    EXPECT_GE(base, art->layout.kernel);
    EXPECT_LE(base + span, art->layout.initrd) << Hex(base);
    EXPECT_EQ(art->entry - base, fixed->entry - fixed->kernel_base);
    EXPECT_EQ(art->kaslr_slots, (art->layout.initrd - span - art->layout.kernel) / 0x200000 + 1);
    for (const Segment& s : art->segments) {
      if (s.kind == SegmentKind::kKernelElf || s.kind == SegmentKind::kKernelZeroTail) {
        EXPECT_GE(s.phys, base);
        EXPECT_LE(s.phys + s.bytes.size(), base + span) << SegmentName(s);
      }
    }
    bases.insert(base);
  }
  // 64 seeds over ~200 slots: a constant or badly mixed pick would give a handful.
  EXPECT_GT(bases.size(), 40u);

  node.memory = {{0x40000000, 0x43400000}};  // 52 MiB: no room for the kernel's 46 MiB span
  auto cramped = BuildNodeArtifacts(inputs, &direct);
  ASSERT_FALSE(cramped.ok());
}

}  // namespace
}  // namespace mint
