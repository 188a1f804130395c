#include "pci.h"

#include <gtest/gtest.h>

#include "acpi_build.h"
#include "iasl_testing.h"
#include "inventory.h"
#include "plan_check.h"

namespace mint {
namespace {

PciAddress Address(const char* text) {
  auto address = ParsePciAddress(text);
  EXPECT_TRUE(address.ok()) << text;
  return address.ok() ? *address : PciAddress{};
}

PciFunction Bridge(const char* address, uint8_t bus, PhysRange memory,
                   std::optional<PhysRange> prefetch = std::nullopt) {
  PciFunction f;
  f.address = Address(address);
  f.class_code = 0x060400;
  f.driver = "pcieport";
  f.is_bridge = true;
  f.secondary_bus = bus;
  f.subordinate_bus = bus;
  f.memory_window = memory;
  f.prefetch_window = prefetch;
  return f;
}

PciFunction Endpoint(const char* address, uint32_t class_code, const char* driver = "") {
  PciFunction f;
  f.address = Address(address);
  f.class_code = class_code;
  f.driver = driver;
  return f;
}

// The lab's q35 machine: two root ports; bus 1 holds a node's disk and NIC, bus 2 a device the
// host uses.
PciTopology LabTopology() {
  PciTopology topology;
  topology.functions = {
      Endpoint("0000:00:00.0", 0x060000),
      Bridge("0000:00:1c.0", 1, {0xFE800000, 0xFEA00000}, PhysRange{0x800000000, 0x800100000}),
      Bridge("0000:00:1c.1", 2, {0xFE600000, 0xFE800000}),
      Endpoint("0000:00:1f.2", 0x010601, "ahci"),
      Endpoint("0000:01:00.0", 0x010000),
      Endpoint("0000:01:00.1", 0x020000),
      Endpoint("0000:02:00.0", 0x010802, "nvme"),
  };
  topology.ecam = PciEcam{0xB0000000, 0, 0, 0xFF};
  return topology;
}

NodePlan NodeWith(std::vector<std::string> pci) {
  NodePlan node;
  node.name = "alpha";
  node.pci = std::move(pci);
  return node;
}

std::string ResolveError(const NodePlan& node, const PciTopology& topology = LabTopology()) {
  auto buses = ResolveNodePci(node, topology);
  EXPECT_FALSE(buses.ok());
  return buses.ok() ? "" : buses.error().message;
}

TEST(PciAddress, ParsesAndFormats) {
  EXPECT_EQ(FormatPciAddress(Address("0000:01:00.1")), "0000:01:00.1");
  EXPECT_EQ(FormatPciAddress(Address("01:1f.7")), "0000:01:1f.7");
  EXPECT_EQ(FormatPciAddress(Address("00AB:FF:1F.0")), "00ab:ff:1f.0");
  for (const char* bad : {"", "01:00", "1:2:3:4.0", "00:20.0", "00:00.8", "0000:100:00.0",
                          "0000:01:00.0x", "zz:00.0"}) {
    EXPECT_FALSE(ParsePciAddress(bad).ok()) << bad;
  }
}

TEST(PciSysfs, ParsesResourceLinesAndEcam) {
  auto ranges = ParsePciResources(
      "0x00000000fe800000 0x00000000fe800fff 0x0000000000040200\n"
      "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
  ASSERT_TRUE(ranges.ok()) << ranges.error().message;
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_EQ((*ranges)[0], (PhysRange{0xFE800000, 0xFE801000}));
  EXPECT_EQ((*ranges)[1].size(), 0u);
  EXPECT_FALSE(ParsePciResources("0x10 0x0f 0x0\n").ok());
  EXPECT_FALSE(ParsePciResources("junk\n").ok());

  auto ecam = FindEcam(
      "00000000-00000fff : Reserved\n"
      "b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]\n"
      "  b0000000-bfffffff : Reserved\n");
  ASSERT_TRUE(ecam.has_value());
  EXPECT_EQ(*ecam, (PciEcam{0xB0000000, 0, 0, 0xFF}));
  EXPECT_FALSE(FindEcam("00000000-00000fff : Reserved\n").has_value());
}

TEST(PciResolve, TheBusBehindARootPort) {
  auto buses = ResolveNodePci(NodeWith({"0000:01:00.1", "0000:01:00.0"}), LabTopology());
  ASSERT_TRUE(buses.ok()) << buses.error().message;
  ASSERT_EQ(buses->size(), 1u);
  const NodePciBus& bus = buses->front();
  EXPECT_EQ(bus.root_port, Address("0000:00:1c.0"));
  EXPECT_EQ(bus.bus, 1);
  EXPECT_EQ(bus.segment, 1);
  EXPECT_EQ(bus.ecam_bus, 0xB0100000u);
  EXPECT_EQ(bus.windows,
            (std::vector<PhysRange>{{0xFE800000, 0xFEA00000}, {0x800000000, 0x800100000}}));
  EXPECT_EQ(bus.prefetchable, (std::vector<bool>{false, true}));
  EXPECT_EQ(bus.functions,
            (std::vector<PciAddress>{Address("0000:01:00.0"), Address("0000:01:00.1")}));
}

TEST(PciResolve, RefusesWhatANodeCannotOwn) {
  EXPECT_NE(ResolveError(NodeWith({"0000:05:00.0"})).find("0000:05:00.0 does not exist"),
            std::string::npos);
  EXPECT_NE(ResolveError(NodeWith({"0000:00:1c.0"})).find("is a bridge"), std::string::npos);
  // Bus 0 is the host's: its functions are behind no root port.
  EXPECT_NE(ResolveError(NodeWith({"0000:00:1f.2"})).find("not behind a root port"),
            std::string::npos);
  // Half a bus: the other function stays the host's.
  std::string error = ResolveError(NodeWith({"0000:01:00.0"}));
  EXPECT_NE(error.find("bus 0x1 also holds 0000:01:00.1, which is not the node's"),
            std::string::npos)
      << error;
  PciTopology no_ecam = LabTopology();
  no_ecam.ecam.reset();
  EXPECT_NE(ResolveError(NodeWith({"01:00.0", "01:00.1"}), no_ecam).find("not covered by ECAM"),
            std::string::npos);
  PciTopology deeper = LabTopology();
  deeper.functions[1].subordinate_bus = 3;
  EXPECT_NE(ResolveError(NodeWith({"01:00.0", "01:00.1"}), deeper).find("also forwards buses"),
            std::string::npos);
}

TEST(PciResolve, HostDriversNeedConsent) {
  NodePlan node = NodeWith({"0000:02:00.0"});
  auto problems = HostBindingProblems(node, LabTopology());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("bound to the host's driver nvme"), std::string::npos);
  EXPECT_NE(problems[0].find("unbind_host_drivers = true"), std::string::npos);
  node.unbind_host_drivers = true;
  EXPECT_TRUE(HostBindingProblems(node, LabTopology()).empty());
  EXPECT_TRUE(HostBindingProblems(NodeWith({"01:00.0", "01:00.1"}), LabTopology()).empty());
}

TEST(PciAcpi, DescribesARootBridgeAnEcamReservationAndTheMcfg) {
  auto buses = ResolveNodePci(NodeWith({"0000:01:00.0", "0000:01:00.1"}), LabTopology());
  ASSERT_TRUE(buses.ok());
  NodePciAcpi acpi = DescribeNodePci(*buses);
  ASSERT_EQ(acpi.ecam.size(), 1u);
  // MCFG base addresses name bus 0 of the segment: bus 1 lies 1 MiB above.
  EXPECT_EQ(acpi.ecam[0], (AcpiEcamRange{0xB0000000, 1, 1, 1}));
  auto aml = aml::Encode(acpi.dsdt);
  ASSERT_TRUE(aml.ok()) << aml.error().message;

  AcpiNodeConfig config;
  config.base = 0x40003000;
  config.apic_ids = {1};
  config.ecam = acpi.ecam;
  config.dsdt_aml = *aml;
  auto tables = BuildAcpiTables(config);
  ASSERT_TRUE(tables.ok()) << tables.error().message;
  if (!testing::HaveIasl()) GTEST_SKIP() << "iasl is not installed (scripts/setup installs it)";
  testing::ScratchDir dir;
  dir.Write("dsdt.dat",
            std::vector<uint8_t>(tables->blob.begin() + tables->dsdt.offset, tables->blob.end()));
  ASSERT_EQ(dir.Iasl("-d dsdt.dat").status, 0);
  std::string dsl = dir.ReadText("dsdt.dsl");
  for (const char* expected : {
           "Device (PC01)",
           "Name (_HID, EisaId (\"PNP0A08\")",
           "Name (_SEG, One)",
           "Name (_BBN, One)",
           "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,",
           "0xFE800000,         // Range Minimum",
           "QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Prefetchable, ReadWrite,",
           "Device (RS01)",
           "Name (_HID, EisaId (\"PNP0C02\")",
           "Memory32Fixed (ReadWrite,\n                    0xB0100000,         // Address Base",
       }) {
    EXPECT_NE(dsl.find(expected), std::string::npos) << expected << "\n" << dsl;
  }
}

// The checker, given a live-like inventory: each refusal the issue names.
TEST(PciCheck, RefusedPlansSayWhy) {
  const char* plan_text = R"(
[host]
reserved = ["0x40000000-0x7fffffff"]

[[node]]
name = "alpha"
kernel = "/k"
cpus = [1]
memory = ["0x40000000-0x4fffffff"]
pci = ["0000:01:00.0", "0000:01:00.1"]

[[node]]
name = "beta"
kernel = "/k"
cpus = [2]
console = "ttyS2"
memory = ["0x50000000-0x5fffffff"]
pci = ["01:00.1", "0000:02:00.0"]
)";
  PlanCheck check = ParsePlanAll(plan_text, "two.toml");
  std::string all;
  for (const PlanProblem& problem : check.problems) all += problem.message + "\n";
  EXPECT_NE(all.find("node beta: PCI function 0000:01:00.1 is already given to node alpha"),
            std::string::npos)
      << all;

  Inventory inventory;
  inventory.pci = LabTopology();
  PlanCheckOptions options;
  options.inventory = &inventory;
  CheckPlan(check, options);
  all.clear();
  for (const PlanProblem& problem : check.problems) all += problem.message + "\n";
  EXPECT_NE(all.find("node beta: PCI function 0000:02:00.0 is bound to the host's driver nvme"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("node beta: bus 0x1 also holds 0000:01:00.0"), std::string::npos) << all;
  EXPECT_EQ(all.find("node alpha: bus"), std::string::npos) << all;
}

TEST(PciPlan, PciKeysParseAndSerialize) {
  const char* plan_text = R"(
[host]
reserved = ["0x40000000-0x7fffffff"]

[[node]]
name = "alpha"
kernel = "/k"
cpus = [1]
memory = ["0x40000000-0x4fffffff"]
pci = ["01:00.0", "0000:01:00.1"]
unbind_host_drivers = true
)";
  auto plan = ParsePlan(plan_text, "p.toml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->nodes[0].pci, (std::vector<std::string>{"0000:01:00.0", "0000:01:00.1"}));
  EXPECT_TRUE(plan->nodes[0].unbind_host_drivers);
  auto again = ParsePlan(SerializePlan(*plan), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->nodes[0].pci, plan->nodes[0].pci);
  EXPECT_TRUE(again->nodes[0].unbind_host_drivers);

  PlanCheck bad = ParsePlanAll(
      "[[node]]\nname = \"a\"\nkernel = \"/k\"\ncpus = [1]\nmemory = [\"64M\"]\n"
      "pci = [\"01:00\", \"01:00.0\", \"0000:01:00.0\"]\nunbind_host_drivers = 1\n",
      "bad.toml");
  std::string all;
  for (const PlanProblem& problem : bad.problems) all += problem.message + "\n";
  EXPECT_NE(all.find("PCI address '01:00'"), std::string::npos) << all;
  EXPECT_NE(all.find("0000:01:00.0 is listed twice"), std::string::npos) << all;
  EXPECT_NE(all.find("'unbind_host_drivers' must be true or false"), std::string::npos) << all;
}

TEST(PciInventory, JsonRoundTrip) {
  Inventory inventory;
  inventory.pci = LabTopology();
  auto again = ParseInventoryJson(InventoryToJson(inventory), "saved.json");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->pci.ecam, inventory.pci.ecam);
  EXPECT_EQ(again->pci.functions, inventory.pci.functions);
}

}  // namespace
}  // namespace mint
