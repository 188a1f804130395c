#include "node_module.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

#include "cpio.h"
#include "test_images.h"

namespace mint {
namespace {

std::vector<uint8_t> FakeModule(std::string_view modinfo, bool wide) {
  return testing::FakeModuleWithModinfo(std::string(modinfo), wide);
}

constexpr char kModinfo61Raw[] =
    "license=GPL\0vermagic=6.1.0-57-cloud-amd64 SMP preempt mod_unload modversions \0name="
    "mint_node";
const std::string_view kModinfo61(kModinfo61Raw, sizeof(kModinfo61Raw));  // with the last NUL

std::vector<uint8_t> Gzip(const std::vector<uint8_t>& in) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&stream, in.size()) + 64);
  stream.next_in = const_cast<Bytef*>(in.data());
  stream.avail_in = static_cast<uInt>(in.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::vector<uint8_t> Archive(std::string_view path, std::string_view text) {
  CpioArchive archive;
  EXPECT_TRUE(archive.AddFile(path, text).ok());
  EXPECT_TRUE(archive.AddFile("init", std::string_view("#!/bin/sh\n"), 0755).ok());
  return archive.Serialize();
}

TEST(NodeModule, VermagicOf64And32BitModules) {
  for (bool wide : {true, false}) {
    auto vermagic = ModuleVermagic(FakeModule(kModinfo61, wide));
    ASSERT_TRUE(vermagic.ok()) << vermagic.error().message;
    EXPECT_EQ(*vermagic, "6.1.0-57-cloud-amd64 SMP preempt mod_unload modversions ");
    EXPECT_EQ(KernelRelease(*vermagic), "6.1.0-57-cloud-amd64");
  }
}

TEST(NodeModule, VermagicRefusesWhatIsNoModule) {
  EXPECT_NE(ModuleVermagic(std::vector<uint8_t>{'M', 'Z', 0, 0, 0, 0}).error().message.find("ELF"),
            std::string::npos);
  auto no_vermagic = ModuleVermagic(FakeModule(std::string_view("license=GPL\0", 12), true));
  EXPECT_NE(no_vermagic.error().message.find("no vermagic"), std::string::npos);
  // Every truncation of a module is refused, or (when only bytes no field needs are cut, at
  // the end of the section table) read the same: never past the end.
  std::vector<uint8_t> ko = FakeModule(kModinfo61, true);
  int refused = 0;
  for (size_t size = 0; size < ko.size(); ++size) {
    std::vector<uint8_t> cut(ko.begin(), ko.begin() + static_cast<long>(size));
    auto vermagic = ModuleVermagic(cut);
    if (vermagic.ok())
      EXPECT_EQ(*vermagic, "6.1.0-57-cloud-amd64 SMP preempt mod_unload modversions ") << size;
    else
      ++refused;
  }
  EXPECT_GT(refused, static_cast<int>(ko.size()) - 64);
}

TEST(NodeModule, KernelReleaseIsTheFirstWord) {
  EXPECT_EQ(KernelRelease("6.12.118+deb12-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP"),
            "6.12.118+deb12-cloud-amd64");
  EXPECT_EQ(KernelRelease(""), "");
}

TEST(NodeModule, FindsAFileInPlainAndGzipArchivesLaterCopiesWin) {
  std::vector<uint8_t> plain = Archive("lib/mint/mint_node.ko", "first");
  auto found = FindInInitramfs(plain, kNodeModulePath);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(std::string((*found)->begin(), (*found)->end()), "first");

  // An early uncompressed archive, padding, then a gzip one with a later copy (the kernel's
  // order: the last copy is the one the node sees).
  std::vector<uint8_t> initrd = plain;
  initrd.resize(initrd.size() + 8, 0);
  std::vector<uint8_t> second = Gzip(Archive("/lib/mint/mint_node.ko", "second"));
  initrd.insert(initrd.end(), second.begin(), second.end());
  found = FindInInitramfs(initrd, kNodeModulePath);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(std::string((*found)->begin(), (*found)->end()), "second");

  auto missing = FindInInitramfs(Gzip(Archive("bin/sh", "x")), kNodeModulePath);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(NodeModule, NamesWhatItCannotRead) {
  std::vector<uint8_t> zstd{0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3};
  EXPECT_NE(FindInInitramfs(zstd, kNodeModulePath).error().message.find("zstd"), std::string::npos);
  std::vector<uint8_t> junk{'h', 'e', 'l', 'l', 'o'};
  EXPECT_NE(FindInInitramfs(junk, kNodeModulePath).error().message.find("neither"),
            std::string::npos);
  std::vector<uint8_t> gz = Gzip(Archive("a", std::string(1 << 16, 'x')));
  EXPECT_NE(FindInInitramfs(gz, kNodeModulePath, 4096).error().message.find("more than"),
            std::string::npos);
  gz.resize(gz.size() / 2);
  EXPECT_FALSE(FindInInitramfs(gz, kNodeModulePath).ok());
}

TEST(NodeModule, AppendedModuleReplacesTheInitramfsOwn) {
  std::vector<uint8_t> initrd = Gzip(Archive("lib/mint/mint_node.ko", "old"));
  initrd.push_back(0x00);  // an odd length: the appended archive must start 4-aligned
  std::vector<uint8_t> ko = FakeModule(kModinfo61, true);
  auto out = AppendToInitramfs(initrd, kNodeModulePath, ko);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(std::vector<uint8_t>(out->begin(), out->begin() + static_cast<long>(initrd.size())),
            initrd);
  auto found = FindInInitramfs(*out, kNodeModulePath);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(**found, ko);
  size_t start = (initrd.size() + 3) & ~size_t{3};
  EXPECT_EQ(std::string(out->begin() + static_cast<long>(start),
                        out->begin() + static_cast<long>(start) + 6),
            "070701");
}

TEST(NodeModule, RefusesAMissingOrForeignModuleUnlessThePlanSaysNone) {
  NodePlan node;
  node.name = "beta";
  NodeModuleFacts facts{"6.12.118+deb12-cloud-amd64", "", "initrd.gz /lib/mint/mint_node.ko"};
  std::string missing = NodeModuleProblem(node, facts);
  EXPECT_NE(missing.find("node beta: no mint_node.ko for its kernel 6.12.118+deb12-cloud-amd64"),
            std::string::npos)
      << missing;
  EXPECT_NE(missing.find("mint kernel fetch 6.12.118+deb12-cloud-amd64"), std::string::npos);

  facts.vermagic = "6.1.0-57-cloud-amd64 SMP preempt mod_unload modversions ";
  std::string foreign = NodeModuleProblem(node, facts);
  EXPECT_NE(foreign.find("is built for 6.1.0-57-cloud-amd64, not for its kernel 6.12.118"),
            std::string::npos)
      << foreign;

  facts.kernel_release = "6.1.0-57-cloud-amd64";
  EXPECT_EQ(NodeModuleProblem(node, facts), "");
  facts.kernel_release = "6.12.118+deb12-cloud-amd64";
  node.node_module = "none";
  EXPECT_EQ(NodeModuleProblem(node, facts), "");
}

}  // namespace
}  // namespace mint
