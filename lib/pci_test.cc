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

// A function's configuration space as sysfs "config" gives it to anyone: the first 64 bytes,
// written at the offsets of the PCI-to-PCI Bridge Architecture Specification 1.2, section 3.2
// (by hand, not through PciType1Header, so that struct's layout is checked too).
class ConfigSpace {
 public:
  explicit ConfigSpace(uint8_t header_type, size_t size = 64) : bytes_(size) {
    bytes_[0x0E] = header_type;
  }
  ConfigSpace& Byte(size_t offset, uint8_t value) {
    bytes_.at(offset) = value;
    return *this;
  }
  ConfigSpace& Word(size_t offset, uint16_t value) {
    return Byte(offset, static_cast<uint8_t>(value))
        .Byte(offset + 1, static_cast<uint8_t>(value >> 8));
  }
  ConfigSpace& Dword(size_t offset, uint32_t value) {
    return Word(offset, static_cast<uint16_t>(value))
        .Word(offset + 2, static_cast<uint16_t>(value >> 16));
  }
  ConfigSpace& Buses(uint8_t secondary, uint8_t subordinate) {
    return Byte(0x19, secondary).Byte(0x1A, subordinate);
  }
  ConfigSpace& Memory(uint16_t base, uint16_t limit) { return Word(0x20, base).Word(0x22, limit); }
  ConfigSpace& Prefetchable(uint16_t base, uint16_t limit, uint32_t base_upper = 0,
                            uint32_t limit_upper = 0) {
    return Word(0x24, base).Word(0x26, limit).Dword(0x28, base_upper).Dword(0x2C, limit_upper);
  }
  ConfigSpace& Io(uint8_t base, uint8_t limit) { return Byte(0x1C, base).Byte(0x1D, limit); }
  std::vector<uint8_t> Truncated(size_t size) const {
    return {bytes_.begin(), bytes_.begin() + static_cast<ptrdiff_t>(size)};
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// The lab's root port 00:1c.0 as the firmware programs it: bus 1 behind it, an I/O window
// 0xe000-0xefff, memory 0xfe800000-0xfe9fffff and 64-bit prefetchable memory at 32 GiB.
ConfigSpace LabRootPort() {
  ConfigSpace config(0x81);                      // type 1, multi-function
  config.Word(0x00, 0x8086).Word(0x0A, 0x0604);  // vendor; class: PCI-to-PCI bridge
  config.Byte(0x18, 0).Buses(1, 1).Io(0xE1, 0xE1).Word(0x30, 0).Word(0x32, 0);
  config.Memory(0xFE80, 0xFE90).Prefetchable(0x0001, 0x0001, 0x8, 0x8);
  return config;
}

PciBridgeHeader ParsedBridge(const std::vector<uint8_t>& config) {
  auto bridge = ParsePciBridge(config);
  EXPECT_TRUE(bridge.ok()) << bridge.error().message;
  EXPECT_TRUE(bridge.ok() && bridge->has_value());
  return bridge.ok() && bridge->has_value() ? **bridge : PciBridgeHeader{};
}

TEST(PciBridgeHeader, ReadsTheBusesAndEachWindow) {
  // The I/O window is programmed too; it must not leak into the memory windows.
  PciBridgeHeader expected{.secondary_bus = 1,
                           .subordinate_bus = 1,
                           .memory_window = PhysRange{0xFE800000, 0xFEA00000},
                           .prefetch_window = PhysRange{0x800000000, 0x800100000}};
  EXPECT_EQ(ParsedBridge(LabRootPort().bytes()), expected);

  // Root reads all 4096 bytes: the rest changes nothing.
  std::vector<uint8_t> whole = LabRootPort().bytes();
  whole.resize(4096, 0xA5);
  EXPECT_EQ(ParsedBridge(whole), expected);

  // A bridge with buses 2-5 behind it and a 32-bit prefetchable window: the upper halves are
  // not implemented, whatever their bytes hold.
  ConfigSpace deeper(0x01);
  deeper.Buses(2, 5).Memory(0xC000, 0xC3F0).Prefetchable(0xD000, 0xDFF0, 0x7, 0x7);
  EXPECT_EQ(ParsedBridge(deeper.bytes()),
            (PciBridgeHeader{.secondary_bus = 2,
                             .subordinate_bus = 5,
                             .memory_window = PhysRange{0xC0000000, 0xC4000000},
                             .prefetch_window = PhysRange{0xD0000000, 0xE0000000}}));

  // Base equal to limit is one open 1 MiB window, the smallest there is.
  ConfigSpace smallest(0x01);
  smallest.Memory(0x0010, 0x0010).Prefetchable(0xFFF0, 0xFFF0);
  PciBridgeHeader small = ParsedBridge(smallest.bytes());
  EXPECT_EQ(small.memory_window, (PhysRange{0x100000, 0x200000}));
  EXPECT_EQ(small.prefetch_window, (PhysRange{0xFFF00000, 0x100000000}));
}

TEST(PciBridgeHeader, AWindowWithItsLimitBelowItsBaseIsClosed) {
  // How firmware closes a window: base 0xfff0, limit 0.
  ConfigSpace closed(0x01);
  closed.Buses(3, 3).Memory(0xFFF0, 0x0000).Prefetchable(0xFFF1, 0x0001);
  PciBridgeHeader bridge = ParsedBridge(closed.bytes());
  EXPECT_EQ(bridge.secondary_bus, 3);
  EXPECT_EQ(bridge.memory_window, std::nullopt);
  EXPECT_EQ(bridge.prefetch_window, std::nullopt);

  // 64-bit: the upper halves decide. The low halves alone would be open; the upper ones put
  // the base (36 GiB) a byte above the limit.
  ConfigSpace upper(0x01);
  upper.Memory(0xFE80, 0xFE80).Prefetchable(0x0001, 0xFFF1, 0x9, 0x8);
  bridge = ParsedBridge(upper.bytes());
  EXPECT_EQ(bridge.memory_window, (PhysRange{0xFE800000, 0xFE900000}));
  EXPECT_EQ(bridge.prefetch_window, std::nullopt);

  // A window up to the last byte of the 64-bit space has no end a PhysRange can hold: no node
  // could be given it, so it counts as closed rather than wrapping to an end of 0.
  ConfigSpace top(0x01);
  top.Prefetchable(0xFFF1, 0xFFF1, 0xFFFFFFFF, 0xFFFFFFFF);
  EXPECT_EQ(ParsedBridge(top.bytes()).prefetch_window, std::nullopt);
}

TEST(PciBridgeHeader, ATruncatedConfigSpaceFailsWithoutReadingPastIt) {
  // Each length short of the bridge's 64-byte header, copied so AddressSanitizer sees its end.
  const ConfigSpace port = LabRootPort();
  for (size_t size = 0; size < 64; ++size) {
    auto bridge = ParsePciBridge(port.Truncated(size));
    ASSERT_FALSE(bridge.ok()) << size << " bytes";
    EXPECT_NE(bridge.error().message.find(std::to_string(size) + " bytes"), std::string::npos)
        << bridge.error().message;
  }
  EXPECT_EQ(ParsePciBridge(port.Truncated(14)).error().message,
            "PCI configuration space of 14 bytes ends before its header type at 0xe (sysfs "
            "gives anyone the first 64 bytes: did the function go away?)");
  EXPECT_EQ(ParsePciBridge(port.Truncated(48)).error().message,
            "PCI bridge configuration space of 48 bytes ends before its 64-byte header does "
            "(sysfs gives anyone the first 64 bytes: did the function go away?)");
  EXPECT_TRUE(ParsePciBridge(port.Truncated(64)).ok());
  // An endpoint needs no more than its header type.
  auto endpoint = ParsePciBridge(ConfigSpace(0x00, 15).bytes());
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  EXPECT_EQ(*endpoint, std::nullopt);
}

TEST(PciBridgeHeader, OtherHeaderTypesAreNoBridge) {
  // Type 0 (an endpoint, alone or one of several functions) and type 2 (a CardBus bridge):
  // bytes where a bridge keeps its buses and windows are BARs here, and are not read as such.
  for (int type : {0x00, 0x80, 0x02, 0x82, 0x7F}) {
    ConfigSpace config(static_cast<uint8_t>(type));
    config.Buses(1, 1).Memory(0xFE80, 0xFE90).Prefetchable(0x8001, 0x8001, 0x8, 0x8);
    auto bridge = ParsePciBridge(config.bytes());
    ASSERT_TRUE(bridge.ok()) << bridge.error().message;
    EXPECT_EQ(*bridge, std::nullopt) << "header type " << type;
  }
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
