// libFuzzer target for the ACPI builder and verifier. Three modes, picked by the first byte:
//   0: the rest is a table blob at a fixed base; the verifier must never read outside it, and
//      whatever it accepts must really be well formed.
//   1: a config is derived from the input, built, and the blob is then damaged at input-chosen
//      places before it is verified (reaches deep verifier paths far sooner than raw bytes).
//   2: a config is derived from the input; what the builder accepts the verifier must accept,
//      reporting exactly the configured cores.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <span>
#include <vector>

#include "acpi_build.h"
#include "acpi_read.h"
#include "byte_reader.h"

namespace {

using mint::AcpiByteSum;
using mint::AcpiNodeConfig;
using mint::AcpiTableSummary;

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// Everything the verifier promises about a table set it accepted, checked from the raw bytes.
void CheckAccepted(std::span<const uint8_t> blob, uint64_t base, const AcpiTableSummary& summary) {
  Check(summary.rsdp_address >= base && summary.rsdp_address - base + 20 <= blob.size());
  bool fadt = false;
  bool madt = false;
  bool dsdt = false;
  for (const auto& table : summary.tables) {
    Check(table.signature.size() == 4);
    Check(table.length >= sizeof(mint::AcpiSdtHeader));
    Check(table.address >= base);
    uint64_t offset = table.address - base;
    Check(offset <= blob.size() && blob.size() - offset >= table.length);
    Check(AcpiByteSum(blob.subspan(offset, table.length)) == 0);
    Check(std::memcmp(blob.data() + offset, table.signature.data(), 4) == 0);
    fadt |= table.signature == "FACP";
    madt |= table.signature == "APIC";
    dsdt |= table.signature == "DSDT";
  }
  Check(fadt && madt && dsdt);
  Check(summary.tables.back().signature == "DSDT");
  std::set<uint32_t> ids(summary.enabled_apic_ids.begin(), summary.enabled_apic_ids.end());
  Check(ids.size() == summary.enabled_apic_ids.size());
}

// Consumes input bytes front to back; yields zeros once they run out.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  template <typename T>
  T Take() {
    T value{};
    size_t count = std::min(sizeof(T), size_ - offset_);
    std::memcpy(&value, data_ + offset_, count);
    offset_ += count;
    return value;
  }
  bool AtEnd() const { return offset_ == size_; }
  std::span<const uint8_t> Rest() const { return {data_ + offset_, size_ - offset_}; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t offset_ = 0;
};

AcpiNodeConfig TakeConfig(Input& input) {
  AcpiNodeConfig config;
  // Mostly plausible bases (aligned, below 4 GiB), sometimes anything at all.
  uint64_t raw_base = input.Take<uint64_t>();
  config.base = (raw_base & 1) ? (raw_base >> 1) : ((raw_base >> 1) & 0xFFFFFFF0);
  size_t cpus = input.Take<uint8_t>();
  for (size_t i = 0; i < cpus && !input.AtEnd(); ++i) {
    uint8_t id = input.Take<uint8_t>();
    config.apic_ids.push_back(id == 0xFF ? input.Take<uint16_t>() : id);
  }
  size_t aml = input.Take<uint8_t>();
  for (size_t i = 0; i < aml && !input.AtEnd(); ++i) {
    config.dsdt_aml.push_back(input.Take<uint8_t>());
  }
  if (input.Take<uint8_t>() & 1) {
    size_t length = input.Take<uint8_t>() % 10;
    config.oem_id.clear();
    for (size_t i = 0; i < length; ++i) {
      config.oem_id.push_back(input.Take<char>());
    }
  }
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  switch (input.Take<uint8_t>() % 3) {
    case 0: {
      const uint64_t base = 0x40003000;
      uint64_t rsdp_address = base + input.Take<uint8_t>();
      // A heap copy of exactly the bytes, so ASan catches any read past the end.
      std::vector<uint8_t> blob(input.Rest().begin(), input.Rest().end());
      auto summary = mint::VerifyAcpiTables(blob, base, rsdp_address);
      if (summary.ok()) {
        CheckAccepted(blob, base, *summary);
      }
      break;
    }
    case 1: {
      AcpiNodeConfig config = TakeConfig(input);
      auto tables = mint::BuildAcpiTables(config);
      if (!tables.ok()) {
        break;
      }
      std::vector<uint8_t> blob = std::move(tables->blob);
      uint8_t cut = input.Take<uint8_t>();
      while (!input.AtEnd() && !blob.empty()) {
        uint16_t at = input.Take<uint16_t>();
        blob[at % blob.size()] ^= input.Take<uint8_t>();
      }
      if (cut & 1) {
        blob.resize(blob.size() - std::min<size_t>(blob.size(), cut >> 1));
      }
      auto summary = mint::VerifyAcpiTables(blob, tables->base, tables->rsdp_address);
      if (summary.ok()) {
        CheckAccepted(blob, tables->base, *summary);
      }
      break;
    }
    case 2: {
      AcpiNodeConfig config = TakeConfig(input);
      auto tables = mint::BuildAcpiTables(config);
      if (!tables.ok()) {
        Check(!tables.error().message.empty());
        break;
      }
      Check(tables->base + tables->blob.size() <= (uint64_t{1} << 32));
      Check(tables->rsdp_address == config.base);
      auto summary = mint::VerifyAcpiTables(tables->blob, tables->base, tables->rsdp_address);
      Check(summary.ok());
      CheckAccepted(tables->blob, tables->base, *summary);
      Check(summary->enabled_apic_ids == config.apic_ids);
      Check(summary->io_apic_count == 0);
      Check(summary->fadt_flags ==
            (mint::kFadtHwReducedAcpi | mint::kFadtForceApicPhysicalDestinationMode));
      break;
    }
  }
  return 0;
}
