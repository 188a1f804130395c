// An AML writer for the small subset of ACPI Machine Language a node's DSDT needs: the named
// objects that describe a PCI root bridge or a virtio-mmio device, and the sleep packages of a
// node that can suspend. Encodings are those of ACPI 6.3 chapter 20 (AML grammar) and section
// 6.4 (resource descriptors). Every construct writes exactly the bytes Debian's iasl writes for
// its ASL form, so a generated table decompiles and recompiles to itself (aml_test.cc checks).
//
// Terms are values built by nesting calls, the way the ASL reads:
//
//   std::vector<aml::Term> dsdt = {
//       aml::Name("_S3", aml::Package({5, 5})),
//       aml::Scope("_SB", {
//           aml::Device("PC01", {
//               aml::Name("_HID", aml::EisaId("PNP0A08")),
//               aml::Name("_CRS", aml::ResourceTemplate({aml::WordBusNumber(1, 1)})),
//           }),
//       }),
//   };
//   config.dsdt_aml = MINT_TRY(aml::Encode(dsdt));
//
// A mistake (a bad name, a string with a NUL, a window whose end is below its start) does not
// throw: the term carries the error and Encode() returns it, naming the value.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "result.h"

namespace mint::aml {

// A piece of AML: a named object, a data object or a list of them, already encoded.
class Term {
 public:
  // An integer in its shortest encoding (ACPI 6.3 section 20.2.3): Zero, One, Ones (all bits
  // set; DSDT revision 2 makes integers 64 bits wide), then Byte/Word/DWord/QWord constants.
  // Implicit so that `Package({5, 5})` and `Name("_UID", 1)` read like their ASL.
  template <std::integral T>
  Term(T value)  // NOLINT(google-explicit-constructor)
  {
    if constexpr (std::is_signed_v<T>) {
      if (value < 0) {
        error_ =
            "AML: integer " + std::to_string(value) + " is negative; AML integers are unsigned";
        return;
      }
    }
    EncodeInteger(static_cast<uint64_t>(value));
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

  // For the builders below.
  static Term Bytes(std::vector<uint8_t> bytes) { return Term(std::move(bytes), {}); }
  static Term Error(std::string message) { return Term({}, std::move(message)); }

 private:
  Term(std::vector<uint8_t> bytes, std::string error)
      : bytes_(std::move(bytes)), error_(std::move(error)) {}
  void EncodeInteger(uint64_t value);

  std::vector<uint8_t> bytes_;
  std::string error_;  // empty when the term is good
};

// One resource descriptor (ACPI 6.3 section 6.4); only a ResourceTemplate takes them.
class Resource {
 public:
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

  static Resource Bytes(std::vector<uint8_t> bytes) { return Resource(std::move(bytes), {}); }
  static Resource Error(std::string message) { return Resource({}, std::move(message)); }

 private:
  Resource(std::vector<uint8_t> bytes, std::string error)
      : bytes_(std::move(bytes)), error_(std::move(error)) {}
  std::vector<uint8_t> bytes_;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// Names and objects. A name is a path of 1-4 character segments of A-Z, 0-9 and '_' (not
// starting with a digit) separated by '.', optionally rooted with '\'; short segments are padded
// with '_' ("_SB" is "_SB_"), as iasl does. A root prefix is written as given; iasl drops it
// where it changes nothing (at the top of a definition block), so write "_SB" there, not "\_SB",
// for the table to round-trip byte for byte.
// ---------------------------------------------------------------------------------------------

// Scope (path) { terms }
Term Scope(std::string_view path, const std::vector<Term>& terms);
// Device (name) { terms }
Term Device(std::string_view name, const std::vector<Term>& terms);
// Name (name, value)
Term Name(std::string_view name, Term value);

// "text": printable ASCII, no NUL.
Term String(std::string_view text);
// EisaId ("PNP0A08"): three upper-case letters and four hex digits, compressed into a DWord
// (ACPI 6.3 section 19.6.35).
Term EisaId(std::string_view id);
// Package () { elements }: at most 255 elements.
Term Package(const std::vector<Term>& elements);
// Buffer () { bytes }
Term Buffer(const std::vector<uint8_t>& bytes);

// ---------------------------------------------------------------------------------------------
// Resource templates (_CRS). Windows a root bridge forwards are produced (ResourceProducer);
// ranges a device decodes itself are consumed (ResourceConsumer).
// ---------------------------------------------------------------------------------------------

// ResourceTemplate () { descriptors }: a Buffer holding them and an end tag. The end tag's
// checksum is 0, which means "treat as valid" (ACPI 6.3 section 6.4.2.9) and is what iasl
// writes; a computed checksum would not survive iasl's round trip.
Term ResourceTemplate(const std::vector<Resource>& descriptors);

enum class Usage { kProducer, kConsumer };

// WordBusNumber (producer, MinFixed, MaxFixed, PosDecode, 0, first, last, 0, count): the bus
// numbers a root bridge decodes (section 6.4.3.5.3).
Resource WordBusNumber(uint16_t first, uint16_t last);

// Memory attributes of an address space descriptor (Table 6-242, _MEM).
enum class Cache { kNonCacheable, kCacheable, kWriteCombining, kPrefetchable };

// [first, last] inclusive, as the ASL names it (_MIN, _MAX); length is last - first + 1.
struct MemoryWindow {
  uint64_t first = 0;
  uint64_t last = 0;
  Cache cache = Cache::kNonCacheable;
  Usage usage = Usage::kProducer;
};
// DWordMemory (usage, PosDecode, MinFixed, MaxFixed, cache, ReadWrite, 0, first, last, 0,
// length): a window below 4 GiB (section 6.4.3.5.2).
Resource DWordMemory(const MemoryWindow& window);
// QWordMemory (...), the same for any window (section 6.4.3.5.1).
Resource QWordMemory(const MemoryWindow& window);
// Memory32Fixed (ReadWrite, base, size): a range a device decodes (section 6.4.3.4).
Resource Memory32Fixed(uint32_t base, uint32_t size);

enum class Trigger { kLevel, kEdge };
enum class Polarity { kActiveHigh, kActiveLow };
// Interrupt (ResourceConsumer, trigger, polarity, Exclusive) { gsis }: the extended interrupt
// descriptor (section 6.4.3.6), 1 to 255 global system interrupts.
Resource Interrupt(Trigger trigger, Polarity polarity, const std::vector<uint32_t>& gsis);

// ---------------------------------------------------------------------------------------------
// The TermList that follows a definition block's header (AcpiNodeConfig::dsdt_aml), or the
// first error any term carries.
Result<std::vector<uint8_t>> Encode(const std::vector<Term>& terms);

}  // namespace mint::aml
