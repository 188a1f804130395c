// Test support for the ACPI tests (acpi_build_test.cc, acpi_read_test.cc): the configs they
// build tables from, and little-endian reads from the bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "acpi_build.h"

namespace mint::testing {

// The small config every golden test uses: one core (APIC ID 1) and tables at 0x40003000.
inline AcpiNodeConfig SmallConfig() {
  AcpiNodeConfig config;
  config.base = 0x40003000;
  config.apic_ids = {1};
  return config;
}

inline AcpiTables Build(const AcpiNodeConfig& config) {
  auto tables = BuildAcpiTables(config);
  EXPECT_TRUE(tables.ok()) << (tables.ok() ? "" : tables.error().message);
  return tables.ok() ? std::move(tables).value() : AcpiTables{};
}

template <typename T>
T Read(const std::vector<uint8_t>& bytes, size_t offset) {
  T value;
  EXPECT_LE(offset + sizeof(T), bytes.size());
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// A few configs that together reach every size the builder handles.
inline std::vector<AcpiNodeConfig> VariedConfigs() {
  std::vector<AcpiNodeConfig> configs;
  configs.push_back(SmallConfig());
  AcpiNodeConfig four = SmallConfig();
  four.apic_ids = {6, 2, 4, 0};
  four.base = 0x7ff10;
  configs.push_back(four);
  AcpiNodeConfig all;
  all.base = 0x10000000;
  for (uint32_t id = 0; id <= kMaxXapicId; ++id) {
    all.apic_ids.push_back(kMaxXapicId - id);
  }
  configs.push_back(all);
  AcpiNodeConfig aml = SmallConfig();
  // Name (_S5, Package (0x04) { 0x05, Zero, Zero, Zero })
  aml.dsdt_aml = {0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0A, 0x05, 0x00, 0x00, 0x00};
  aml.oem_id = "ACME";
  aml.oem_table_id = "NODE7";
  aml.oem_revision = 0x20240101;
  configs.push_back(aml);
  return configs;
}

}  // namespace mint::testing
