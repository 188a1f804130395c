// Placement: what a plan leaves to Mint, chosen around what it fixed. Sized memory ("256M")
// goes to the first free 2 MiB aligned range of the host's reserved memory, clear of the low
// window; a node without `low` gets kDefaultLowSlice bytes from the top of the low window down.
#pragma once

#include <vector>

#include "plan.h"

namespace mint {

// Places every node's memory_sizes (appended to its memory, in order) and missing low slice,
// after the fixed ones of every node; what does not fit is a problem at the node's line.
void PlacePlan(Plan& plan, const PlanLines& lines, std::vector<PlanProblem>& problems);

}  // namespace mint
