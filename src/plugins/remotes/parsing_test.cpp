// URL, header and WWW-Authenticate parsing.
#include <gtest/gtest.h>

#include "plugins/remotes/auth.h"
#include "plugins/remotes/headers.h"
#include "plugins/remotes/url.h"

namespace berth::remotes {
namespace {

TEST(UrlTest, ParsesSchemesPortsAndTargets) {
  auto url = Url::Parse("https://registry-1.docker.io/v2/");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/v2/");
  EXPECT_EQ(url->Authority(), "registry-1.docker.io");
  EXPECT_EQ(url->Endpoint(), "registry-1.docker.io:443");

  url = Url::Parse("http://127.0.0.1:5000");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->Authority(), "127.0.0.1:5000");

  url = Url::Parse("http://[::1]:8080/x?y=1#frag");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->target, "/x?y=1");
  EXPECT_EQ(url->Authority(), "[::1]:8080");

  for (const char* bad : {"ftp://x/", "http://", "http://h:0/", "http://h:99999/", "nohost", "http://u@h/"}) {
    EXPECT_FALSE(Url::Parse(bad).ok()) << bad;
  }
}

TEST(UrlTest, ResolvesRedirectLocations) {
  Url base = *Url::Parse("http://a:1/v2/r/blobs/sha256:x?q=1");
  EXPECT_EQ(base.Resolve("https://s3.example/bucket/obj?sig=1")->String(), "https://s3.example/bucket/obj?sig=1");
  EXPECT_EQ(base.Resolve("//b:2/x")->String(), "http://b:2/x");
  EXPECT_EQ(base.Resolve("/other")->String(), "http://a:1/other");
  EXPECT_EQ(base.Resolve("sibling")->String(), "http://a:1/v2/r/blobs/sibling");
}

TEST(UrlTest, QueryEscape) {
  EXPECT_EQ(QueryEscape("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
  EXPECT_EQ(QueryEscape("A-z_0.~"), "A-z_0.~");
}

TEST(HeadersTest, CaseInsensitiveLookupKeepsRepeats) {
  Headers h;
  h.Add("Content-Type", "a");
  h.Add("www-authenticate", "Bearer x=1");
  h.Add("WWW-Authenticate", "Basic realm=r");
  EXPECT_EQ(h.Get("content-type"), "a");
  EXPECT_EQ(h.GetAll("Www-Authenticate").size(), 2u);
  h.Set("CONTENT-TYPE", "b");
  EXPECT_EQ(h.GetAll("content-type").size(), 1u);
  EXPECT_EQ(h.Get("Content-Type"), "b");
  h.Remove("www-AUTHENTICATE");
  EXPECT_FALSE(h.Has("WWW-Authenticate"));
}

TEST(ChallengeTest, ParsesBearerWithQuotedCommas) {
  auto challenges = ParseChallenges(
      {R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
       R"(scope="repository:library/busybox:pull,push")"});
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(challenges[0].params["service"], "registry.docker.io");
  EXPECT_EQ(challenges[0].params["scope"], "repository:library/busybox:pull,push");
}

TEST(ChallengeTest, ParsesSeveralSchemesAndUnquotedValues) {
  auto challenges = ParseChallenges({"Basic realm=\"Registry Realm\", Bearer realm=http://t/token,service=s",
                                     "Negotiate"});
  ASSERT_EQ(challenges.size(), 3u);
  EXPECT_EQ(challenges[0].scheme, "basic");
  EXPECT_EQ(challenges[0].params["realm"], "Registry Realm");
  EXPECT_EQ(challenges[1].scheme, "bearer");
  EXPECT_EQ(challenges[1].params["realm"], "http://t/token");
  EXPECT_EQ(challenges[1].params["service"], "s");
  EXPECT_EQ(challenges[2].scheme, "negotiate");
}

TEST(ChallengeTest, BasicAuthorizationIsBase64) {
  EXPECT_EQ(BasicAuthorization({.username = "Aladdin", .password = "open sesame"}),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

}  // namespace
}  // namespace berth::remotes
