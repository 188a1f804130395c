#include "aml.h"

#include <algorithm>
#include <cstring>

#include "format.h"

namespace mint::aml {
namespace {

// Opcodes and prefixes, ACPI 6.3 section 20.3 (AML byte stream byte values).
constexpr uint8_t kZeroOp = 0x00;
constexpr uint8_t kOneOp = 0x01;
constexpr uint8_t kNameOp = 0x08;
constexpr uint8_t kBytePrefix = 0x0A;
constexpr uint8_t kWordPrefix = 0x0B;
constexpr uint8_t kDWordPrefix = 0x0C;
constexpr uint8_t kStringPrefix = 0x0D;
constexpr uint8_t kQWordPrefix = 0x0E;
constexpr uint8_t kScopeOp = 0x10;
constexpr uint8_t kBufferOp = 0x11;
constexpr uint8_t kPackageOp = 0x12;
constexpr uint8_t kDualNamePrefix = 0x2E;
constexpr uint8_t kMultiNamePrefix = 0x2F;
constexpr uint8_t kExtOpPrefix = 0x5B;
constexpr uint8_t kDeviceOp = 0x82;  // after kExtOpPrefix
constexpr uint8_t kRootChar = 0x5C;  // '\'
constexpr uint8_t kOnesOp = 0xFF;

// Resource descriptor tags, ACPI 6.3 section 6.4.
constexpr uint8_t kEndTag = 0x79;                // small item 0x0F, length 1 (6.4.2.9)
constexpr uint8_t kMemory32FixedTag = 0x86;      // large item 0x06 (6.4.3.4)
constexpr uint8_t kDWordAddressTag = 0x87;       // large item 0x07 (6.4.3.5.2)
constexpr uint8_t kWordAddressTag = 0x88;        // large item 0x08 (6.4.3.5.3)
constexpr uint8_t kExtendedInterruptTag = 0x89;  // large item 0x09 (6.4.3.6)
constexpr uint8_t kQWordAddressTag = 0x8A;       // large item 0x0A (6.4.3.5.1)

// Address space descriptor fields (Table 6-241 ff.).
constexpr uint8_t kResourceTypeMemory = 0;
constexpr uint8_t kResourceTypeBusNumber = 2;
constexpr uint8_t kGeneralConsumer = 1u << 0;  // else producer
constexpr uint8_t kGeneralMinFixed = 1u << 2;
constexpr uint8_t kGeneralMaxFixed = 1u << 3;
constexpr uint8_t kMemoryReadWrite = 1u << 0;  // type-specific flags, _RW
// Extended interrupt flags (Table 6-238).
constexpr uint8_t kInterruptConsumer = 1u << 0;
constexpr uint8_t kInterruptEdge = 1u << 1;
constexpr uint8_t kInterruptActiveLow = 1u << 2;

// The largest value a PkgLength can hold: 4 bits + 3 bytes (section 20.2.4).
constexpr size_t kMaxPkgLength = 0x0FFFFFFF;

using ByteVector = std::vector<uint8_t>;

template <typename T>
void Append(ByteVector& out, T value) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

void Append(ByteVector& out, const ByteVector& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// PkgLength (section 20.2.4) for `content` bytes that follow it: the length counts its own
// bytes too. One byte holds up to 63; otherwise the lead byte's bits 7-6 say how many bytes
// follow, its low nibble holds bits 0-3 and each following byte the next 8. The shortest form
// is the one iasl writes.
Result<ByteVector> PkgLength(size_t content) {
  for (size_t count = 1; count <= 4; ++count) {
    size_t total = content + count;
    size_t limit = count == 1 ? 0x3F : (size_t{1} << (4 + 8 * (count - 1))) - 1;
    if (total > limit || total > kMaxPkgLength) {
      continue;
    }
    if (count == 1) {
      return ByteVector{static_cast<uint8_t>(total)};
    }
    ByteVector out{static_cast<uint8_t>(((count - 1) << 6) | (total & 0x0F))};
    for (size_t i = 1; i < count; ++i) {
      out.push_back(static_cast<uint8_t>(total >> (4 + 8 * (i - 1))));
    }
    return out;
  }
  return Fail("AML: an object of ", std::to_string(content),
              " bytes is larger than a package length can say (", Hex(kMaxPkgLength), ")");
}

// opcode(s) PkgLength body.
Term WithPkgLength(ByteVector opcode, const ByteVector& body) {
  auto length = PkgLength(body.size());
  if (!length.ok()) {
    return Term::Error(length.error().message);
  }
  ByteVector out = std::move(opcode);
  Append(out, *length);
  Append(out, body);
  return Term::Bytes(std::move(out));
}

bool IsLeadNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsNameChar(char c) {
  return IsLeadNameChar(c) || (c >= '0' && c <= '9');
}

// NameString (section 20.2.2): [RootChar] NameSeg | DualNamePath | MultiNamePath.
Result<ByteVector> NameString(std::string_view path) {
  const std::string_view whole = path;
  auto bad = [&](std::string_view why) {
    return Fail("AML: name \"", whole, "\" ", why,
                " (a name is 1-4 characters of A-Z, 0-9 and _ per segment, not starting with a "
                "digit, segments joined by '.', optionally starting with '\\')");
  };
  ByteVector out;
  if (!path.empty() && path.front() == '\\') {
    out.push_back(kRootChar);
    path.remove_prefix(1);
  }
  std::vector<std::string_view> segments;
  while (true) {
    size_t dot = path.find('.');
    segments.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos) {
      break;
    }
    path.remove_prefix(dot + 1);
  }
  if (segments.size() > 255) {
    return bad("has more than 255 segments");
  }
  for (std::string_view segment : segments) {
    if (segment.empty() || segment.size() > 4) {
      return bad("has a segment that is not 1-4 characters long");
    }
    if (!IsLeadNameChar(segment.front()) ||
        !std::all_of(segment.begin(), segment.end(), IsNameChar)) {
      return bad("has a character AML does not allow in names");
    }
  }
  if (segments.size() == 2) {
    out.push_back(kDualNamePrefix);
  } else if (segments.size() > 2) {
    out.push_back(kMultiNamePrefix);
    out.push_back(static_cast<uint8_t>(segments.size()));
  }
  for (std::string_view segment : segments) {
    for (size_t i = 0; i < 4; ++i) {
      out.push_back(static_cast<uint8_t>(i < segment.size() ? segment[i] : '_'));
    }
  }
  return out;
}

// The first error among `terms`, or empty.
template <typename T>
std::string FirstError(const std::vector<T>& terms) {
  for (const T& term : terms) {
    if (!term.ok()) {
      return term.error();
    }
  }
  return {};
}

ByteVector Concatenate(const std::vector<Term>& terms) {
  ByteVector out;
  for (const Term& term : terms) {
    Append(out, term.bytes());
  }
  return out;
}

// Scope and Device: opcode PkgLength NameString TermList.
Term NamedBlock(ByteVector opcode, std::string_view name, const std::vector<Term>& terms) {
  auto encoded_name = NameString(name);
  if (!encoded_name.ok()) {
    return Term::Error(encoded_name.error().message);
  }
  if (std::string error = FirstError(terms); !error.empty()) {
    return Term::Error(error);
  }
  ByteVector body = std::move(encoded_name).value();
  Append(body, Concatenate(terms));
  return WithPkgLength(std::move(opcode), body);
}

// The fields every address space descriptor shares (Tables 6-241, 6-242, 6-243), in order after
// the tag and length: resource type, general flags, type-specific flags.
void AddressHeader(ByteVector& out, uint8_t tag, uint16_t length, uint8_t type, Usage usage,
                   uint8_t type_flags) {
  out.push_back(tag);
  Append(out, length);
  out.push_back(type);
  out.push_back(static_cast<uint8_t>((usage == Usage::kConsumer ? kGeneralConsumer : 0) |
                                     kGeneralMinFixed | kGeneralMaxFixed));
  out.push_back(type_flags);
}

uint8_t MemoryFlags(Cache cache) {
  return static_cast<uint8_t>(kMemoryReadWrite | (static_cast<uint8_t>(cache) << 1));
}

Result<void> CheckWindow(const MemoryWindow& window, uint64_t limit, std::string_view what) {
  if (window.last < window.first) {
    return Fail("AML: ", what, " window ", Hex(window.first), "-", Hex(window.last),
                " ends before it starts");
  }
  if (window.last > limit) {
    return Fail("AML: ", what, " window ", Hex(window.first), "-", Hex(window.last),
                " does not fit ", what, " (ends above ", Hex(limit), ")");
  }
  if (window.first == 0 && window.last == UINT64_MAX) {
    return Fail("AML: ", what, " window 0x0-0xffffffffffffffff has a length of 2^64");
  }
  return Ok{};
}

}  // namespace

void Term::EncodeInteger(uint64_t value) {
  if (value == 0) {
    bytes_ = {kZeroOp};
  } else if (value == 1) {
    bytes_ = {kOneOp};
  } else if (value == UINT64_MAX) {
    bytes_ = {kOnesOp};  // integers are 64 bits wide in a revision 2 table
  } else if (value <= UINT8_MAX) {
    bytes_ = {kBytePrefix, static_cast<uint8_t>(value)};
  } else if (value <= UINT16_MAX) {
    bytes_ = {kWordPrefix};
    Append(bytes_, static_cast<uint16_t>(value));
  } else if (value <= UINT32_MAX) {
    bytes_ = {kDWordPrefix};
    Append(bytes_, static_cast<uint32_t>(value));
  } else {
    bytes_ = {kQWordPrefix};
    Append(bytes_, value);
  }
}

Term Scope(std::string_view path, const std::vector<Term>& terms) {
  return NamedBlock({kScopeOp}, path, terms);
}

Term Device(std::string_view name, const std::vector<Term>& terms) {
  return NamedBlock({kExtOpPrefix, kDeviceOp}, name, terms);
}

Term Name(std::string_view name, Term value) {
  auto encoded_name = NameString(name);
  if (!encoded_name.ok()) {
    return Term::Error(encoded_name.error().message);
  }
  if (!value.ok()) {
    return value;
  }
  ByteVector out{kNameOp};
  Append(out, *encoded_name);
  Append(out, value.bytes());
  return Term::Bytes(std::move(out));
}

Term String(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7E) {
      return Term::Error("AML: string \"" + std::string(text) +
                         "\" holds a byte that is not printable ASCII (" +
                         Hex(static_cast<uint8_t>(c)) + ")");
    }
  }
  ByteVector out{kStringPrefix};
  out.insert(out.end(), text.begin(), text.end());
  out.push_back(0);
  return Term::Bytes(std::move(out));
}

Term EisaId(std::string_view id) {
  auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto hex_digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool good = id.size() == 7 && is_upper(id[0]) && is_upper(id[1]) && is_upper(id[2]);
  for (size_t i = 3; good && i < 7; ++i) {
    good = hex_digit(id[i]) >= 0;
  }
  if (!good) {
    return Term::Error("AML: EISA ID \"" + std::string(id) +
                       "\" is not three upper-case letters and four hex digits (like PNP0A08)");
  }
  // Section 19.6.35: each letter as 5 bits (A = 1), big-endian in the first two bytes, then the
  // product number's four hex digits in the last two, stored as a DWord in that byte order.
  auto letter = [&](size_t i) { return static_cast<uint32_t>(id[i] - 0x40); };
  uint8_t bytes[4] = {
      static_cast<uint8_t>((letter(0) << 2) | (letter(1) >> 3)),
      static_cast<uint8_t>(((letter(1) & 0x7) << 5) | letter(2)),
      static_cast<uint8_t>((hex_digit(id[3]) << 4) | hex_digit(id[4])),
      static_cast<uint8_t>((hex_digit(id[5]) << 4) | hex_digit(id[6])),
  };
  // Always a DWord constant, as iasl writes EisaId(), so the disassembler prints it as one.
  return Term::Bytes({kDWordPrefix, bytes[0], bytes[1], bytes[2], bytes[3]});
}

Term Package(const std::vector<Term>& elements) {
  if (elements.size() > 255) {
    return Term::Error("AML: a package of " + std::to_string(elements.size()) +
                       " elements is longer than Package() holds (255)");
  }
  if (std::string error = FirstError(elements); !error.empty()) {
    return Term::Error(error);
  }
  ByteVector body{static_cast<uint8_t>(elements.size())};
  Append(body, Concatenate(elements));
  return WithPkgLength({kPackageOp}, body);
}

Term Buffer(const std::vector<uint8_t>& bytes) {
  // BufferSize is a TermArg: an integer in its shortest form, as iasl writes it.
  ByteVector body = Term(bytes.size()).bytes();
  Append(body, bytes);
  return WithPkgLength({kBufferOp}, body);
}

Term ResourceTemplate(const std::vector<Resource>& descriptors) {
  if (std::string error = FirstError(descriptors); !error.empty()) {
    return Term::Error(error);
  }
  ByteVector bytes;
  for (const Resource& descriptor : descriptors) {
    Append(bytes, descriptor.bytes());
  }
  bytes.push_back(kEndTag);
  bytes.push_back(0);  // checksum 0: "treat as valid"
  return Buffer(bytes);
}

Resource WordBusNumber(uint16_t first, uint16_t last) {
  if (last < first) {
    return Resource::Error("AML: bus numbers " + std::to_string(first) + "-" +
                           std::to_string(last) + " end before they start");
  }
  ByteVector out;
  AddressHeader(out, kWordAddressTag, 0x0D, kResourceTypeBusNumber, Usage::kProducer, 0);
  Append(out, uint16_t{0});                              // _GRA
  Append(out, first);                                    // _MIN
  Append(out, last);                                     // _MAX
  Append(out, uint16_t{0});                              // _TRA
  Append(out, static_cast<uint16_t>(last - first + 1));  // _LEN
  return Resource::Bytes(std::move(out));
}

Resource DWordMemory(const MemoryWindow& window) {
  if (auto checked = CheckWindow(window, UINT32_MAX, "a DWordMemory"); !checked.ok()) {
    return Resource::Error(checked.error().message);
  }
  ByteVector out;
  AddressHeader(out, kDWordAddressTag, 0x17, kResourceTypeMemory, window.usage,
                MemoryFlags(window.cache));
  Append(out, uint32_t{0});                                            // _GRA
  Append(out, static_cast<uint32_t>(window.first));                    // _MIN
  Append(out, static_cast<uint32_t>(window.last));                     // _MAX
  Append(out, uint32_t{0});                                            // _TRA
  Append(out, static_cast<uint32_t>(window.last - window.first + 1));  // _LEN
  return Resource::Bytes(std::move(out));
}

Resource QWordMemory(const MemoryWindow& window) {
  if (auto checked = CheckWindow(window, UINT64_MAX, "a QWordMemory"); !checked.ok()) {
    return Resource::Error(checked.error().message);
  }
  ByteVector out;
  AddressHeader(out, kQWordAddressTag, 0x2B, kResourceTypeMemory, window.usage,
                MemoryFlags(window.cache));
  Append(out, uint64_t{0});                     // _GRA
  Append(out, window.first);                    // _MIN
  Append(out, window.last);                     // _MAX
  Append(out, uint64_t{0});                     // _TRA
  Append(out, window.last - window.first + 1);  // _LEN
  return Resource::Bytes(std::move(out));
}

Resource Memory32Fixed(uint32_t base, uint32_t size) {
  if (size != 0 && base + uint64_t{size} - 1 > UINT32_MAX) {
    return Resource::Error("AML: Memory32Fixed " + Hex(base) + " + " + Hex(size) +
                           " runs past 4 GiB");
  }
  ByteVector out{kMemory32FixedTag};
  Append(out, uint16_t{9});
  out.push_back(kMemoryReadWrite);
  Append(out, base);
  Append(out, size);
  return Resource::Bytes(std::move(out));
}

Resource Interrupt(Trigger trigger, Polarity polarity, const std::vector<uint32_t>& gsis) {
  if (gsis.empty() || gsis.size() > 255) {
    return Resource::Error("AML: an Interrupt descriptor lists 1 to 255 interrupts, not " +
                           std::to_string(gsis.size()));
  }
  ByteVector out{kExtendedInterruptTag};
  Append(out, static_cast<uint16_t>(2 + 4 * gsis.size()));
  out.push_back(static_cast<uint8_t>(kInterruptConsumer |
                                     (trigger == Trigger::kEdge ? kInterruptEdge : 0) |
                                     (polarity == Polarity::kActiveLow ? kInterruptActiveLow : 0)));
  out.push_back(static_cast<uint8_t>(gsis.size()));
  for (uint32_t gsi : gsis) {
    Append(out, gsi);
  }
  return Resource::Bytes(std::move(out));
}

Result<std::vector<uint8_t>> Encode(const std::vector<Term>& terms) {
  if (std::string error = FirstError(terms); !error.empty()) {
    return Error{error};
  }
  return Concatenate(terms);
}

}  // namespace mint::aml
