#include "shim/sha256.h"

#include <gtest/gtest.h>

#include "shim/start.h"

namespace berth::shim {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000, 'a')), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(Sha256Test, SocketPathFollowsContainerdScheme) {
  EXPECT_EQ(SocketPath("/run/containerd/containerd.sock", "default", "t3"),
            "/run/containerd/s/" + Sha256Hex("/run/containerd/containerd.sock/default/t3"));
}

}  // namespace
}  // namespace berth::shim
