// Plan files as text: TOML -> Plan, with the line of every value kept beside the plan
// (PlanLines), and Plan -> TOML. Both directions run from one table of keys per section
// ([host], [network], [[node]]), so a key is added in one place: a row here, plus its rule in
// plan_rules.h. A row names the key, reads its TOML value into the plan (types, formats and
// the value's own rules) and writes it back; the round trip parse(write(plan)) == plan is
// what lib/plan_fuzz.cc and plan_test.cc hold every row to.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "plan.h"
#include "plan_variables.h"

namespace mint {

class KeyReader;  // a key's TOML value being read, and where its problems go (plan_parse.cc)
class KeyWriter;  // the TOML text a plan is being written to (plan_parse.cc)

// Whether a key at its default value is written out (SerializePlan's text has always named
// some keys even then: the name, the paths, cores, memory, the console, the host's ranges).
enum class AtDefault { kLeftOut, kWritten };

template <typename Section>
struct PlanKey {
  std::string_view name;
  // Reads the key into the section; called for every row, present or not (a row decides what
  // a missing key means: a default, or a problem).
  void (*read)(KeyReader& in, Section& section);
  // Writes `name = value` (nothing for an empty optional).
  void (*write)(const Section& section, KeyWriter& out);
  AtDefault at_default = AtDefault::kLeftOut;
};

// The keys of [host] and of [[node]], in the order the file format lists and writes them.
std::span<const PlanKey<HostPlan>> HostKeys();
std::span<const PlanKey<NodePlan>> NodeKeys();
std::span<const PlanKey<NetworkPlan>> NetworkKeys();
std::span<const PlanKey<DirectLinkPlan>> LinkKeys();

// Reads plan text into `out` (plan, lines and every problem of syntax, types and single
// values; no whole-plan rules, no placement). False when the text is not TOML at all (or not
// ASCII): then `out` holds only that problem. ${NAME} in paths comes from `variables`.
bool ReadPlan(std::string_view text, std::string_view origin, PlanCheck& out,
              const PlanVariables& variables = PlanVariables::Environment());

// Writes a plan with the given key tables (SerializePlan: HostKeys(), NodeKeys() and
// NetworkKeys()).
std::string WritePlan(const Plan& plan, std::span<const PlanKey<HostPlan>> host_keys,
                      std::span<const PlanKey<NodePlan>> node_keys,
                      std::span<const PlanKey<NetworkPlan>> network_keys = NetworkKeys(),
                      std::span<const PlanKey<DirectLinkPlan>> link_keys = LinkKeys());

}  // namespace mint
