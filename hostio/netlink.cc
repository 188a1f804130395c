#include "netlink.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include <cstring>
#include <memory>
#include <string>

namespace mint {
namespace {

// libnl's objects, each released by its own function.
struct SocketFree {
  void operator()(nl_sock* sock) const { nl_socket_free(sock); }
};
struct LinkPut {
  void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
struct AddrPut {
  void operator()(rtnl_addr* addr) const { rtnl_addr_put(addr); }
};
struct NlAddrPut {
  void operator()(nl_addr* addr) const { nl_addr_put(addr); }
};
struct CacheFree {
  void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
using Socket = std::unique_ptr<nl_sock, SocketFree>;
using Link = std::unique_ptr<rtnl_link, LinkPut>;

Error NetlinkError(const std::string& what, int err) {
  return Fail(what, ": ", nl_geterror(err), " (netlink error ", std::to_string(-err), ")");
}

// The interface called `name`, or null when there is none.
Result<Link> FindLink(nl_sock* sock, const std::string& name) {
  rtnl_link* found = nullptr;
  int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &found);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return Link{};
  if (err < 0) return NetlinkError("looking up interface " + name, err);
  return Link(found);
}

Result<Link> EnsureBridge(nl_sock* sock, const std::string& name) {
  Link bridge = MINT_TRY(FindLink(sock, name));
  if (!bridge) {
    Link want(rtnl_link_bridge_alloc());
    if (!want) return Fail("bridge ", name, ": out of memory");
    rtnl_link_set_name(want.get(), name.c_str());
    int err = rtnl_link_add(sock, want.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0 && err != -NLE_EXIST) return NetlinkError("creating bridge " + name, err);
    bridge = MINT_TRY(FindLink(sock, name));
    if (!bridge) return Fail("bridge ", name, ": created, but the kernel does not list it");
  }
  if (!rtnl_link_is_bridge(bridge.get()))
    return Fail("interface ", name,
                " exists but is not a bridge: name another one in the plan's [network] bridge");
  return bridge;
}

// Adds address/prefix to interface `index` unless it has it already.
Result<void> EnsureAddress(nl_sock* sock, const std::string& name, int index, uint32_t address,
                           uint32_t prefix) {
  const uint32_t wire = htonl(address);
  const std::string text = FormatIpv4(address) + "/" + std::to_string(prefix);
  nl_cache* raw = nullptr;
  int err = rtnl_addr_alloc_cache(sock, &raw);
  if (err < 0) return NetlinkError("listing the addresses of " + name, err);
  std::unique_ptr<nl_cache, CacheFree> cache(raw);
  for (nl_object* object = nl_cache_get_first(raw); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* have = reinterpret_cast<rtnl_addr*>(object);
    nl_addr* local = rtnl_addr_get_local(have);
    if (rtnl_addr_get_ifindex(have) != index || rtnl_addr_get_family(have) != AF_INET ||
        local == nullptr || nl_addr_get_len(local) != sizeof(wire))
      continue;
    if (std::memcmp(nl_addr_get_binary_addr(local), &wire, sizeof(wire)) == 0 &&
        static_cast<uint32_t>(rtnl_addr_get_prefixlen(have)) == prefix)
      return Ok{};
  }
  std::unique_ptr<rtnl_addr, AddrPut> addr(rtnl_addr_alloc());
  std::unique_ptr<nl_addr, NlAddrPut> local(nl_addr_build(AF_INET, &wire, sizeof(wire)));
  if (!addr || !local) return Fail("adding ", text, " to ", name, ": out of memory");
  nl_addr_set_prefixlen(local.get(), static_cast<int>(prefix));
  rtnl_addr_set_ifindex(addr.get(), index);
  rtnl_addr_set_family(addr.get(), AF_INET);
  err = rtnl_addr_set_local(addr.get(), local.get());
  if (err < 0) return NetlinkError("adding " + text + " to " + name, err);
  rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(prefix));
  err = rtnl_addr_add(sock, addr.get(), 0);
  if (err < 0 && err != -NLE_EXIST) return NetlinkError("adding " + text + " to " + name, err);
  return Ok{};
}

// Brings `link` up, enslaved to `master` when it is nonzero.
Result<void> BringUp(nl_sock* sock, rtnl_link* link, const std::string& name, int master) {
  Link change(rtnl_link_alloc());
  if (!change) return Fail("bringing ", name, " up: out of memory");
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (master != 0) rtnl_link_set_master(change.get(), master);
  int err = rtnl_link_change(sock, link, change.get(), 0);
  if (err < 0)
    return NetlinkError(master != 0 ? "adding " + name + " to its bridge and bringing it up"
                                    : "bringing " + name + " up",
                        err);
  return Ok{};
}

}  // namespace

Result<void> ConnectLinkToBridge(const NodeLink& link) {
  Socket sock(nl_socket_alloc());
  if (!sock) return Fail("netlink: out of memory");
  int err = nl_connect(sock.get(), NETLINK_ROUTE);
  if (err < 0) return NetlinkError("connecting to rtnetlink", err);
  Link bridge = MINT_TRY(EnsureBridge(sock.get(), link.bridge));
  const int bridge_index = rtnl_link_get_ifindex(bridge.get());
  MINT_TRY_VOID(EnsureAddress(sock.get(), link.bridge, bridge_index, link.bridge_address,
                              link.subnet.prefix));
  MINT_TRY_VOID(BringUp(sock.get(), bridge.get(), "bridge " + link.bridge, 0));
  Link device = MINT_TRY(FindLink(sock.get(), link.ifname));
  if (!device)
    return Fail("interface ", link.ifname,
                " does not exist: the host module should have made it when it attached the link");
  MINT_TRY_VOID(BringUp(sock.get(), device.get(), "interface " + link.ifname, bridge_index));
  return Ok{};
}

}  // namespace mint
