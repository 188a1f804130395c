#include "virtio_mmio.h"

#include <gtest/gtest.h>

#include "acpi_build.h"
#include "acpi_read.h"
#include "iasl_testing.h"
#include "plan_check.h"

namespace mint {
namespace {

// QEMU's microvm with ioapic2=on: IO-APIC 0 (GSI 0-23) is the host's, IO-APIC 1 (GSI 24-47)
// carries the virtio-mmio transports; the lab fills the top two.
std::vector<AcpiIoApic> MicrovmIoApics() {
  return {{.id = 0, .address = 0xFEC00000, .gsi_base = 0},
          {.id = 1, .address = 0xFEC10000, .gsi_base = 24}};
}

std::vector<MmioDevice> MicrovmTransports() {
  return {{{0xFEB02C00, 0xFEB02E00}, "LNRO0005:01", ""},
          {{0xFEB02E00, 0xFEB03000}, "LNRO0005:00", ""}};
}

NodePlan NodeWith(std::optional<uint32_t> io_apic, std::vector<std::string> transports) {
  NodePlan node;
  node.name = "alpha";
  node.io_apic = io_apic;
  for (const std::string& text : transports) {
    auto transport = ParseVirtioMmio(text);
    EXPECT_TRUE(transport.ok()) << text;
    if (transport.ok()) node.virtio_mmio.push_back(*transport);
  }
  return node;
}

std::string ResolveError(const NodePlan& node) {
  auto mmio = ResolveNodeMmio(node, MicrovmIoApics(), MicrovmTransports());
  EXPECT_FALSE(mmio.ok());
  return mmio.ok() ? "" : mmio.error().message;
}

TEST(VirtioMmio, ParsesAndFormatsTransports) {
  auto transport = ParseVirtioMmio("0xfeb02e00-0xfeb02fff@47");
  ASSERT_TRUE(transport.ok()) << transport.error().message;
  EXPECT_EQ(transport->range, (PhysRange{0xFEB02E00, 0xFEB03000}));
  EXPECT_EQ(transport->gsi, 47u);
  EXPECT_EQ(FormatVirtioMmio(*transport), "0xfeb02e00-0xfeb02fff@47");
  for (const char* bad : {"0xfeb02e00-0xfeb02fff", "0xfeb02e00-0xfeb02fff@", "@47",
                          "0xfeb02e00-0xfeb02fff@x", "0x100000000-0x1000001ff@30"}) {
    EXPECT_FALSE(ParseVirtioMmio(bad).ok()) << bad;
  }
}

TEST(VirtioMmio, ResolvesTheTransportsOnTheNodesIoApic) {
  auto mmio = ResolveNodeMmio(NodeWith(1, {"0xfeb02e00-0xfeb02fff@47", "0xfeb02c00-0xfeb02dff@46"}),
                              MicrovmIoApics(), MicrovmTransports());
  ASSERT_TRUE(mmio.ok()) << mmio.error().message;
  ASSERT_EQ(mmio->size(), 1u);
  EXPECT_EQ(mmio->front().io_apic, MicrovmIoApics()[1]);
  EXPECT_EQ(mmio->front().host_names, (std::vector<std::string>{"LNRO0005:00", "LNRO0005:01"}));
  auto none = ResolveNodeMmio(NodePlan{}, MicrovmIoApics(), MicrovmTransports());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(VirtioMmio, RefusesWhatANodeCannotOwn) {
  EXPECT_NE(ResolveError(NodeWith(0, {"0xfeb02e00-0xfeb02fff@47"})).find("carries GSI 0 and up"),
            std::string::npos);
  EXPECT_NE(
      ResolveError(NodeWith(5, {"0xfeb02e00-0xfeb02fff@47"}))
          .find("IO-APIC 5 is not in the machine's MADT (it lists 0 (GSI 0-23), 1 (GSI 24-47))"),
      std::string::npos);
  EXPECT_NE(ResolveError(NodeWith(1, {"0xfeb02e00-0xfeb02fff@12"})).find("GSI 12 is not a pin"),
            std::string::npos);
  EXPECT_NE(ResolveError(NodeWith(1, {"0xfeb01000-0xfeb011ff@30"}))
                .find("is not a device the firmware describes"),
            std::string::npos);
  std::vector<MmioDevice> bound = MicrovmTransports();
  bound[1].driver = "virtio-mmio";
  NodePlan node = NodeWith(1, {"0xfeb02e00-0xfeb02fff@47"});
  auto problems = MmioBindingProblems(node, bound);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("(LNRO0005:00) is bound to the host's driver virtio-mmio"),
            std::string::npos);
  node.unbind_host_drivers = true;
  EXPECT_TRUE(MmioBindingProblems(node, bound).empty());
}

TEST(VirtioMmio, DescribesEachTransportAndTheIoApicToTheNode) {
  auto mmio = ResolveNodeMmio(NodeWith(1, {"0xfeb02e00-0xfeb02fff@47"}), MicrovmIoApics(),
                              MicrovmTransports());
  ASSERT_TRUE(mmio.ok());
  auto aml = aml::Encode(DescribeNodeMmio(mmio->front()));
  ASSERT_TRUE(aml.ok()) << aml.error().message;
  AcpiNodeConfig config;
  config.base = 0x40003000;
  config.apic_ids = {1};
  config.io_apics = {mmio->front().io_apic};
  config.dsdt_aml = *aml;
  auto tables = BuildAcpiTables(config);
  ASSERT_TRUE(tables.ok()) << tables.error().message;
  auto summary = VerifyAcpiTables(tables->blob, tables->base, tables->rsdp_address);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->io_apics, (std::vector<AcpiIoApic>{MicrovmIoApics()[1]}));
  if (!testing::HaveIasl()) GTEST_SKIP() << "iasl is not installed (scripts/setup installs it)";
  testing::ScratchDir dir;
  dir.Write("dsdt.dat",
            std::vector<uint8_t>(tables->blob.begin() + tables->dsdt.offset, tables->blob.end()));
  ASSERT_EQ(dir.Iasl("-d dsdt.dat").status, 0);
  std::string dsl = dir.ReadText("dsdt.dsl");
  for (const char* expected :
       {"Device (VR00)", "Name (_HID, \"LNRO0005\")", "0xFEB02E00,         // Address Base",
        "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, )", "0x0000002F,"}) {
    EXPECT_NE(dsl.find(expected), std::string::npos) << expected << "\n" << dsl;
  }
}

TEST(VirtioMmio, PlanKeysParseSerializeAndConflict) {
  const char* text = R"(
[host]
reserved = ["0x40000000-0x7fffffff"]

[[node]]
name = "alpha"
kernel = "/k"
cpus = [1]
memory = ["0x40000000-0x4fffffff"]
io_apic = 1
virtio_mmio = ["0xfeb02e00-0xfeb02fff@47"]

[[node]]
name = "beta"
kernel = "/k"
cpus = [2]
console = "ttyS2"
memory = ["0x50000000-0x5fffffff"]
io_apic = 1
virtio_mmio = ["0xfeb02f00-0xfeb030ff@45"]

[[node]]
name = "gamma"
kernel = "/k"
cpus = [3]
console = "ttyS3"
memory = ["0x60000000-0x6fffffff"]
virtio_mmio = ["0xfeb02000-0xfeb021ff@40"]
)";
  PlanCheck check = ParsePlanAll(text, "mmio.toml");
  std::string all;
  for (const PlanProblem& problem : check.problems) all += problem.message + "\n";
  EXPECT_NE(all.find("node beta: IO-APIC 1 is already given to node alpha"), std::string::npos)
      << all;
  EXPECT_NE(all.find("node beta: virtio-mmio transport 0xfeb02f00-0xfeb030ff@45 overlaps node "
                     "alpha's 0xfeb02e00-0xfeb02fff@47"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("node gamma: virtio_mmio transports need 'io_apic'"), std::string::npos)
      << all;

  auto plan = ParsePlan(
      "[host]\nreserved = [\"0x40000000-0x7fffffff\"]\n[[node]]\nname = \"a\"\nkernel = "
      "\"/k\"\ncpus = [1]\nmemory = [\"0x40000000-0x4fffffff\"]\nio_apic = 1\n"
      "virtio_mmio = [\"0xfeb02e00-0xfeb02fff@47\", \"0xfeb02c00-0xfeb02dff@46\"]\n",
      "ok.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->nodes[0].io_apic, 1u);
  EXPECT_EQ(again->nodes[0].virtio_mmio, plan->nodes[0].virtio_mmio);

  // Against a machine: the checker runs the same resolution.
  Inventory inventory;
  inventory.io_apics = MicrovmIoApics();
  inventory.virtio_mmio = MicrovmTransports();
  PlanCheck wrong = ParsePlanAll(
      "[host]\nreserved = [\"0x40000000-0x7fffffff\"]\n[[node]]\nname = \"a\"\nkernel = "
      "\"/k\"\ncpus = [1]\nmemory = [\"0x40000000-0x4fffffff\"]\nio_apic = 0\n"
      "virtio_mmio = [\"0xfeb02e00-0xfeb02fff@47\"]\n",
      "wrong.toml");
  PlanCheckOptions options;
  options.inventory = &inventory;
  CheckPlan(wrong, options);
  all.clear();
  for (const PlanProblem& problem : wrong.problems) all += problem.message + "\n";
  EXPECT_NE(all.find("IO-APIC 0 carries GSI 0 and up"), std::string::npos) << all;
}

TEST(VirtioMmio, InventoryJsonKeepsIoApicsAndTransports) {
  Inventory inventory;
  inventory.io_apics = MicrovmIoApics();
  inventory.virtio_mmio = MicrovmTransports();
  auto again = ParseInventoryJson(InventoryToJson(inventory), "saved.json");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->io_apics, inventory.io_apics);
  EXPECT_EQ(again->virtio_mmio, inventory.virtio_mmio);
}

}  // namespace
}  // namespace mint
