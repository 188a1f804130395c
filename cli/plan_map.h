// What mint plan draws: the plan's memory map (each node's ranges and low slice, the trampoline
// and the rest of the low window, the image store, the free parts of the reserved ranges and,
// given an inventory, the host's RAM) and its core map, as text and as a picture (SVG). Pure:
// a plan and an optional inventory in, regions, text and SVG out (cli/plan_map_test.cc).
// mint check and mint inventory share its formatting helpers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "inventory.h"
#include "phys_range.h"
#include "plan.h"

namespace mint::cli {

// One region of the memory map.
struct Region {
  PhysRange range;
  std::string what;  // "host RAM", "reserved, free", "node alpha", "low slice of alpha", ...
  // "ram", "reserved", "node", "low", "link" (a node's network link), "trampoline", "store",
  // "window"
  std::string kind;
  int node = -1;  // index in plan.nodes of the node owning it; -1 for none
};

// Every region of interest in address order (by start, then end): each node's memory, low
// slice and network link, the trampoline at the bottom of the low window, the image store, the free
// parts of the reserved ranges and of the low window, and, when `inventory` is given, host RAM
// (around the low window where the two overlap).
std::vector<Region> MapRegions(const Plan& plan, const Inventory* inventory);

// Every APIC ID the plan or `inventory` names, ascending, with its owner: "host", a node's
// name ("alpha (boot core)" for its first core), or for a core only the inventory names,
// "host (online)" or "free".
using CoreOwners = std::vector<std::pair<uint32_t, std::string>>;
CoreOwners CoreMap(const Plan& plan, const Inventory* inventory);

// The two maps as mint plan prints them, headed "memory map of PLAN_PATH:".
std::string MapText(const std::string& plan_path, const std::vector<Region>& regions,
                    const CoreOwners& cores);

// The memory map as boxes in address order, then the core map, each box coloured by its
// node; a whole SVG document under `title`.
std::string MapSvg(const std::string& title, const Plan& plan, const std::vector<Region>& regions,
                   const CoreOwners& cores);

// `text` as XML character data: <, > and & escaped.
std::string Escape(const std::string& text);

// A size for people: whole GiB as "2 GiB", else from 1 MiB up "192 MiB" (rounded), else
// "12 KiB" (rounded down).
std::string Size(uint64_t bytes);

// How many nodes of the plan have a low slice.
uint64_t LowSlicesInUse(const Plan& plan);

// APIC IDs as "1,2,3".
std::string Cores(const std::vector<uint32_t>& cpus);

}  // namespace mint::cli
